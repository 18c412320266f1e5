/* sk-kiosk-listeners.c: Tap, Join, Vote and CheckOut, and their tickets.
 *
 * A tap (the badge reader's, or Tap() over the bus) goes to
 * sk_engine_tap(), the engine's one tap path, and mints a ticket: 16 random
 * bytes in hex, valid for the setting ticket_seconds (default 20 s) on the
 * monotonic clock, naming the badge and, once known, its listener. Join,
 * Vote and CheckOut act for the ticket's listener only, so no client on the
 * bus can act for someone who is not at the device. A refused tap
 * (revoked, throttled) mints none. TapResult gives the screen the
 * reader's ticket, and in the demo every tap's (sk_kiosk_service_set_demo).
 *
 * Errors reach the caller as org.soundscape.Kiosk1.Error.*: the engine's
 * and the core's validators decide what is valid (a rating 1 to 5, a UID,
 * a display name), and a refused call stores nothing (the engine rolls
 * back its transaction).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sk-kiosk-private.h"
#include "sk-settings.h"
#include "sk-util.h"

#define TICKET_BYTES 16
#define MAX_TICKETS 1024 /* the tap limiter keeps far fewer alive */

typedef struct
{
  char *uid;      /* normalised */
  char *user_id;  /* NULL while the badge is unknown */
  gint64 expires; /* monotonic µs */
} Ticket;

static void
ticket_free (gpointer data)
{
  Ticket *t = data;

  g_free (t->uid);
  g_free (t->user_id);
  g_free (t);
}

static void
forget_expired (SkKioskService *self, gint64 now)
{
  GHashTableIter iter;
  Ticket *t;

  g_hash_table_iter_init (&iter, self->tickets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t))
    if (t->expires <= now)
      g_hash_table_iter_remove (&iter);
}

static char *
mint_ticket (SkKioskService *self, const char *uid, const char *user_id)
{
  SkStore *store = sk_engine_get_store (self->engine);
  guint8 bytes[TICKET_BYTES];
  GString *token = g_string_sized_new (2 * TICKET_BYTES);
  Ticket *t = g_new0 (Ticket, 1);
  gint64 now = g_get_monotonic_time ();
  gsize got = 0;

  while (got < sizeof bytes)
    {
      gssize n = getrandom (bytes + got, sizeof bytes - got, 0);

      /* the kernel's generator does not fail once seeded, which it is
       * long before a badge is tapped */
      if (n < 0)
        g_error ("getrandom: %s", g_strerror (errno));
      got += (gsize) n;
    }
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (token, "%02x", bytes[i]);
  forget_expired (self, now);
  if (g_hash_table_size (self->tickets) >= MAX_TICKETS)
    g_hash_table_remove_all (self->tickets);
  t->uid = g_strdup (uid);
  t->user_id = g_strdup (user_id);
  t->expires = now + sk_settings_get_int (store, "ticket_seconds") * G_USEC_PER_SEC;
  g_hash_table_insert (self->tickets, g_strdup (token->str), t);
  return g_string_free (token, FALSE);
}

/* The ticket @token names, or NULL with why not. */
static Ticket *
lookup_ticket (SkKioskService *self, const char *token, GError **error)
{
  Ticket *t;

  if (strlen (token) != 2 * TICKET_BYTES || strspn (token, "0123456789abcdef") != 2 * TICKET_BYTES)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                           "A ticket is the 32 hexadecimal characters a tap returned");
      return NULL;
    }
  t = g_hash_table_lookup (self->tickets, token);
  if (t != NULL && t->expires <= g_get_monotonic_time ())
    {
      g_hash_table_remove (self->tickets, token);
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           "This ticket has expired: tap the badge again");
      return NULL;
    }
  if (t == NULL)
    g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                         "This ticket is not one of a recent tap: tap the badge again");
  return t;
}

static Ticket *
lookup_listener_ticket (SkKioskService *self, const char *token, GError **error)
{
  Ticket *t = lookup_ticket (self, token, error);

  if (t != NULL && t->user_id == NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           "This badge belongs to nobody yet: join first");
      return NULL;
    }
  return t;
}

const char *
sk_kiosk_ticket_listener (SkKioskService *self, const char *token, GError **error)
{
  Ticket *t = lookup_listener_ticket (self, token, error);

  return t != NULL ? t->user_id : NULL;
}

void
sk_kiosk_return_error (GDBusMethodInvocation *invocation, const GError *error)
{
  SkKioskError code = SK_KIOSK_ERROR_FAILED;

  if (error->domain == SK_KIOSK_ERROR)
    code = error->code;
  else if (error->domain == SK_INPUT_ERROR)
    code = SK_KIOSK_ERROR_INVALID_ARGUMENT;
  else if (g_error_matches (error, SK_STORE_ERROR, SK_STORE_ERROR_BUSY))
    code = SK_KIOSK_ERROR_BUSY;
  else if (g_error_matches (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND))
    code = SK_KIOSK_ERROR_NOT_FOUND;
  else if (error->domain == SK_ENGINE_ERROR)
    code = SK_KIOSK_ERROR_NOT_ALLOWED;
  g_dbus_method_invocation_return_error_literal (invocation, SK_KIOSK_ERROR, code, error->message);
}

/* The listener's name and when their check-in here ends (0: not here). */
static void
lookup_listener (SkKioskService *self, const char *user_id, char **name, gint64 *until)
{
  SkStore *store = sk_engine_get_store (self->engine);
  sqlite3_stmt *stmt;

  *name = NULL;
  *until = 0;
  stmt = sk_store_prepare (store,
                           "SELECT coalesce(p.display_name, p.name, 'Listener'), s.expires_at "
                           "FROM profiles p LEFT JOIN sessions s ON s.user_id = p.id "
                           "AND s.status = 'active' AND s.player_id = ?2 WHERE p.id = ?1",
                           NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, sk_engine_get_player_id (self->engine), -1, SQLITE_STATIC);
  if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
    {
      *name = g_strdup (sk_store_column_text (stmt, 0));
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        sk_time_parse (sk_store_column_text (stmt, 1), until, NULL);
    }
  sqlite3_reset (stmt);
}

/* --- Tap ---------------------------------------------------------------- */

/* The one path of every tap (Tap, the reader, the demo's keys): the
 * engine's tap into @r (the caller clears it), an EnrollByTap's, the
 * ticket, the TapResult every observer on the bus sees, and the reply.
 * A refusal is a result (@refusal, if given, its error). */
static gboolean
tap (SkKioskService *self,
     const char *uid,
     const char *source,
     SkTapResult *r,
     GVariant **reply,
     GError **refusal,
     GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *ticket = NULL;
  g_autofree char *message = NULL;
  const char *result;

  if (!sk_engine_tap (self->engine, uid, r, &local))
    {
      if (g_error_matches (local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED))
        result = "throttled";
      else if (g_error_matches (local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED))
        result = "revoked";
      else
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      message = g_strdup (local->message);
      if (refusal != NULL)
        *refusal = g_error_copy (local);
    }
  else if (sk_kiosk_enrol_tap (self, r, &message, &local))
    {
      /* an EnrollByTap waited for this unknown badge (sk-kiosk-people.c) */
      ticket = mint_ticket (self, r->uid, r->user_id);
      result = "enrolled";
    }
  else
    {
      if (local != NULL)
        {
          g_warning ("Enrolment by tap of %s failed: %s", r->uid, local->message);
          sk_dbus_kiosk1_emit_error (self->skeleton, "store", local->message);
        }
      ticket = mint_ticket (self, r->uid, r->user_id);
      switch (r->kind)
        {
        case SK_TAP_UNKNOWN:
          result = "unknown";
          message = g_strdup ("A new badge: join as a guest?");
          break;
        case SK_TAP_MANAGER:
          result = "manager";
          message = g_strdup_printf ("Welcome, %s", r->display_name);
          break;
        case SK_TAP_LISTENER:
        default:
          result = r->extended ? "extended" : "checked-in";
          message = r->extended ? g_strdup_printf ("%s, your visit is extended", r->display_name)
                                : g_strdup_printf ("Welcome, %s", r->display_name);
          break;
        }
    }
  *reply = g_variant_ref_sink (
      g_variant_new ("(ssssxs)", result, ticket ? ticket : "", r->user_id ? r->user_id : "",
                     r->display_name ? r->display_name : "", r->expires_at, message));
  /* a Tap call's ticket is its caller's alone; the reader's (and the demo
   * keyboard's, which stands for it) is for the screen, where the person
   * stands, and so is every one in the demo */
  sk_dbus_kiosk1_emit_tap_result (self->skeleton, result,
                                  (g_strcmp0 (source, "bus") != 0 || self->demo) && ticket ? ticket
                                                                                           : "",
                                  r->user_id ? r->user_id : "",
                                  r->display_name ? r->display_name : "", r->expires_at, message,
                                  source);
  return TRUE;
}

gboolean
sk_kiosk_tap (
    SkKioskService *self, const char *uid, const char *source, GVariant **reply, GError **error)
{
  SkTapResult r = { 0 };
  gboolean ok = tap (self, uid, source, &r, reply, NULL, error);

  sk_tap_result_clear (&r);
  return ok;
}

gboolean
sk_kiosk_service_tap (SkKioskService *self, const char *uid, SkTapResult *r, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) refusal = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!tap (self, uid, "keyboard", r, &reply, &refusal, error))
    return FALSE;
  if (refusal != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&refusal));
      return FALSE;
    }
  return TRUE;
}

GVariant *
sk_kiosk_method_tap (SkKioskService *self, GVariant *args, GError **error)
{
  const char *uid;
  GVariant *reply = NULL;

  g_variant_get (args, "(&s)", &uid);
  return sk_kiosk_tap (self, uid, "bus", &reply, error) ? reply : NULL;
}

/* --- Join, Vote, CheckOut ----------------------------------------------- */

GVariant *
sk_kiosk_method_join (SkKioskService *self, GVariant *args, GError **error)
{
  const char *token, *display_name;
  g_autofree char *user_id = NULL;
  g_autofree char *name = NULL;
  gint64 until = 0;
  Ticket *t;

  g_variant_get (args, "(&s&s)", &token, &display_name);
  t = lookup_ticket (self, token, error);
  if (t != NULL && t->user_id != NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           "This badge already belongs to a listener");
      return NULL;
    }
  if (t != NULL)
    user_id = sk_engine_join (self->engine, t->uid, *display_name ? display_name : NULL, error);
  if (user_id == NULL)
    return NULL;
  t->user_id = g_strdup (user_id);
  lookup_listener (self, user_id, &name, &until);
  return g_variant_new ("(ssx)", user_id, name ? name : "", until);
}

GVariant *
sk_kiosk_method_vote (SkKioskService *self, GVariant *args, GError **error)
{
  const char *token;
  int value;
  g_autofree char *song = g_strdup (sk_engine_get_current_song (self->engine));
  Ticket *t;

  g_variant_get (args, "(&si)", &token, &value);
  t = lookup_listener_ticket (self, token, error);
  if (t == NULL || !sk_engine_vote (self->engine, t->user_id, value, error))
    return NULL;
  return g_variant_new ("(s)", song ? song : "");
}

GVariant *
sk_kiosk_method_check_out (SkKioskService *self, GVariant *args, GError **error)
{
  const char *token;
  Ticket *t;

  g_variant_get (args, "(&s)", &token);
  t = lookup_listener_ticket (self, token, error);
  if (t == NULL || !sk_engine_check_out (self->engine, t->user_id, error))
    return NULL;
  g_hash_table_remove (self->tickets, token);
  return g_variant_new ("()");
}

void
sk_kiosk_listeners_init (SkKioskService *self)
{
  self->tickets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, ticket_free);
}
