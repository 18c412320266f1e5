/* sk-kiosk-people.c: the manager's listeners and badges: ListListeners,
 * RenameListener, SetBadgeRevoked, SetRole, and enrolment by tap
 * (EnrollByTap, CancelEnroll).
 *
 * The changes are the engine's (sk-engine-manage.c: checked first, one
 * transaction, nothing stored when refused). An enrolment by tap waits
 * ENROL_SECONDS for the next tap of an unknown badge, on the one tap path
 * (sk_kiosk_tap, which asks sk_kiosk_enrol_tap here): that badge becomes
 * the named listener, and the tap's result says 'enrolled'.
 */
#include "config.h"

#include <string.h>

#include "sk-badge.h"
#include "sk-kiosk-private.h"
#include "sk-util.h"

#define ENROL_SECONDS 60
#define MAX_LIMIT 500
#define MAX_SEARCH_CHARS 200

struct _SkKioskEnrolment
{
  char *name;
  char *role; /* NULL for a listener */
  guint timeout;
};

static void
enrolment_free (SkKioskEnrolment *e)
{
  if (e->timeout != 0)
    g_source_remove (e->timeout);
  g_free (e->name);
  g_free (e->role);
  g_free (e);
}

/* The paging arguments of the List methods, checked. */
static gboolean
check_page (const char *search, guint limit, GError **error)
{
  if (limit < 1 || limit > MAX_LIMIT)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT, "limit is 1 to %d, not %u",
                 MAX_LIMIT, limit);
  else if (g_utf8_strlen (search, -1) > MAX_SEARCH_CHARS)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "A search is at most %d characters", MAX_SEARCH_CHARS);
  else
    return TRUE;
  return FALSE;
}

/* The count of rows @sql gives with ?1 the player's id and ?2 @search. */
static guint
count_matches (
    SkStore *store, const char *sql, const char *player, const char *search, GError **error)
{
  sqlite3_stmt *stmt = sk_store_prepare (store, sql, error);
  guint total = 0;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, player, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, search, -1, SQLITE_STATIC);
  if (sk_store_step (store, stmt, error) == SQLITE_ROW)
    total = (guint) sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return total;
}

GVariant *
sk_kiosk_list (
    SkKioskService *self, GVariant *args, const SkKioskList *list, int flag, GError **error)
{
  SkStore *store = sk_engine_get_store (self->engine);
  const char *player = sk_engine_get_player_id (self->engine);
  const char *search;
  guint offset, limit, total;
  GVariantBuilder b;
  sqlite3_stmt *stmt;

  g_variant_get (args, "(&suu)", &search, &offset, &limit);
  if (!check_page (search, limit, error))
    return NULL;
  total = count_matches (store, list->count_sql, player, search, error);
  if (*error != NULL)
    return NULL;
  stmt = sk_store_prepare (store, list->sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, player, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, search, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, limit);
  sqlite3_bind_int64 (stmt, 4, offset);
  if (sqlite3_bind_parameter_count (stmt) >= 5)
    sqlite3_bind_int (stmt, 5, flag);
  g_variant_builder_init (&b, G_VARIANT_TYPE_TUPLE);
  g_variant_builder_add (&b, "u", total);
  g_variant_builder_open (&b, G_VARIANT_TYPE (list->rows_type));
  while (sk_store_step (store, stmt, error) == SQLITE_ROW)
    list->add_row (store, stmt, &b);
  sqlite3_reset (stmt);
  g_variant_builder_close (&b);
  if (*error == NULL)
    return g_variant_builder_end (&b);
  g_variant_builder_clear (&b);
  return NULL;
}

/* --- ListListeners ------------------------------------------------------ */

#define NAME_SQL "coalesce(p.display_name, p.name, 'Listener')"
#define MATCH_SQL "(?2 = '' OR instr(lower(" NAME_SQL "), lower(?2)) > 0)"

static void
add_badges (SkStore *store, const char *user_id, GVariantBuilder *b)
{
  sqlite3_stmt *stmt = sk_store_prepare (store,
                                         "SELECT uid, revoked_at IS NOT NULL FROM badges "
                                         "WHERE user_id = ?1 ORDER BY uid",
                                         NULL);

  g_variant_builder_open (b, G_VARIANT_TYPE ("a(sb)"));
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
      while (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
        g_variant_builder_add (b, "(sb)", sk_store_column_text (stmt, 0),
                               sqlite3_column_int (stmt, 1) != 0);
      sqlite3_reset (stmt);
    }
  g_variant_builder_close (b);
}

/* One listener: id, name, role, whether a guest, and the badges (a second
 * statement, stepped inside the first). */
static void
add_listener (SkStore *store, sqlite3_stmt *stmt, GVariantBuilder *b)
{
  g_variant_builder_open (b, G_VARIANT_TYPE ("(sssba(sb))"));
  g_variant_builder_add (b, "s", sk_store_column_text (stmt, 0));
  g_variant_builder_add (b, "s", sk_store_column_text (stmt, 1));
  g_variant_builder_add (b, "s", sk_store_column_text (stmt, 2));
  g_variant_builder_add (b, "b", sqlite3_column_int (stmt, 3) != 0);
  add_badges (store, sk_store_column_text (stmt, 0), b);
  g_variant_builder_close (b);
}

static const SkKioskList listeners = {
  "SELECT count(*) FROM profiles p WHERE " MATCH_SQL,
  "SELECT p.id, " NAME_SQL ", "
  "CASE WHEN EXISTS (SELECT 1 FROM roles r WHERE r.user_id = p.id AND r.role = 'admin') "
  "  THEN 'admin' "
  "WHEN EXISTS (SELECT 1 FROM roles r WHERE r.user_id = p.id AND r.role = 'manager') "
  "  OR EXISTS (SELECT 1 FROM players WHERE id = ?1 AND manager_id = p.id) THEN 'manager' "
  "ELSE 'listener' END, p.is_guest "
  "FROM profiles p WHERE " MATCH_SQL " ORDER BY " NAME_SQL " COLLATE NOCASE, p.id "
  "LIMIT ?3 OFFSET ?4",
  "a(sssba(sb))",
  add_listener,
};

GVariant *
sk_kiosk_method_list_listeners (SkKioskService *self, GVariant *args, GError **error)
{
  return sk_kiosk_list (self, args, &listeners, 0, error);
}

/* --- changes ------------------------------------------------------------ */

GVariant *
sk_kiosk_method_rename_listener (SkKioskService *self, GVariant *args, GError **error)
{
  const char *listener_id, *display_name;

  g_variant_get (args, "(&s&s)", &listener_id, &display_name);
  if (!sk_engine_rename_listener (self->engine, listener_id, display_name, error))
    return NULL;
  sk_kiosk_refresh_listeners (self);
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_set_badge_revoked (SkKioskService *self, GVariant *args, GError **error)
{
  const char *uid;
  gboolean revoked;

  g_variant_get (args, "(&sb)", &uid, &revoked);
  if (!sk_engine_set_badge_revoked (self->engine, uid, revoked, error))
    return NULL;
  g_message ("badge %s %s over D-Bus", uid, revoked ? "revoked" : "restored");
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_set_role (SkKioskService *self, GVariant *args, GError **error)
{
  const char *listener_id, *role;

  g_variant_get (args, "(&s&s)", &listener_id, &role);
  return sk_engine_set_role (self->engine, listener_id, role, error) ? g_variant_new ("()") : NULL;
}

/* --- enrolment by tap --------------------------------------------------- */

static void
end_enrolment (SkKioskService *self)
{
  g_clear_pointer (&self->enrolment, enrolment_free);
}

static gboolean
on_enrol_timeout (gpointer data)
{
  SkKioskService *self = data;

  self->enrolment->timeout = 0;
  g_message ("no unknown badge was tapped within %d s: the enrolment of %s ended", ENROL_SECONDS,
             self->enrolment->name);
  end_enrolment (self);
  return G_SOURCE_REMOVE;
}

GVariant *
sk_kiosk_method_enroll_by_tap (SkKioskService *self, GVariant *args, GError **error)
{
  const char *display_name, *role;
  g_autofree char *name = NULL;
  SkKioskEnrolment *e;

  g_variant_get (args, "(&s&s)", &display_name, &role);
  name = sk_badge_clean_name (display_name, error);
  if (name == NULL)
    return NULL;
  if (g_strcmp0 (role, "listener") != 0 && g_strcmp0 (role, "manager") != 0 &&
      g_strcmp0 (role, "admin") != 0)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                   "A role is listener, manager or admin, not “%.20s”", role);
      return NULL;
    }
  if (self->enrolment != NULL)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_BUSY,
                   "An enrolment for %s waits for its badge: cancel it first",
                   self->enrolment->name);
      return NULL;
    }
  e = g_new0 (SkKioskEnrolment, 1);
  e->name = g_steal_pointer (&name);
  e->role = g_strcmp0 (role, "listener") != 0 ? g_strdup (role) : NULL;
  e->timeout = g_timeout_add_seconds (ENROL_SECONDS, on_enrol_timeout, self);
  self->enrolment = e;
  g_message ("waiting %d s for an unknown badge to enrol %s", ENROL_SECONDS, e->name);
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_cancel_enroll (SkKioskService *self, GVariant *args, GError **error)
{
  end_enrolment (self);
  return g_variant_new ("()");
}

gboolean
sk_kiosk_enrol_tap (SkKioskService *self, SkTapResult *r, char **message, GError **error)
{
  g_autofree char *id = NULL;

  if (self->enrolment == NULL || r->kind != SK_TAP_UNKNOWN)
    return FALSE;
  id = sk_engine_enroll (self->engine, r->uid, self->enrolment->name, self->enrolment->role, NULL,
                         error);
  if (id == NULL)
    return FALSE; /* the tap stays an unknown badge's; the enrolment waits on */
  g_message ("badge %s enrolled for %s", r->uid, self->enrolment->name);
  r->user_id = g_steal_pointer (&id);
  r->display_name = g_strdup (self->enrolment->name);
  *message = g_strdup_printf ("This badge is now %s's", self->enrolment->name);
  end_enrolment (self);
  return TRUE;
}

void
sk_kiosk_people_clear (SkKioskService *self)
{
  end_enrolment (self);
}
