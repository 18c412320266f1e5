/* sk-kiosk-admin.c: the admin unlock (Unlock, Lock, SetPin), the gate
 * every admin method passes, and the settings (GetSettings, SetSetting).
 *
 * The admin page opens with a manager's ticket (a tap of a badge whose
 * listener is a manager or admin in roles, or the player's manager_id) or
 * with the PIN. The PIN is kept as a yescrypt hash (libcrypt) in the
 * store's admin_pin row, never in settings, with the count of wrong PINs
 * and the end of a lock: PIN_MAX_FAILURES wrong ones in a row lock PIN
 * entry for PIN_LOCK_SECONDS, and both the count and the lock are in the
 * database before the reply, so a restart forgets neither. On first boot
 * there is no PIN (PinSet false) and the first SetPin needs no unlock.
 *
 * An unlock lasts the setting admin_idle_seconds after the last admin
 * call (each one extends it), measured on the monotonic clock; AdminUntil
 * says when on the engine's clock. A timer locks the page when it runs
 * out, so AdminUnlocked is announced false without a call; the gate also
 * checks the deadline itself. Lock ends it at once.
 *
 * The settings are sk-settings.c's table: GetSettings lists every key with
 * its kind, value, default, range and sentence; SetSetting writes one
 * through the engine (sk_engine_set_setting: checked as soundscape-ctl
 * config checks it, applied at once), so a refused value stores nothing.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "sk-kiosk-private.h"
#include "sk-scheduler.h"
#include "sk-settings.h"
#include "sk-util.h"

#define PIN_MIN_DIGITS 4
#define PIN_MAX_DIGITS 12
#define PIN_MAX_FAILURES 5
#define PIN_LOCK_SECONDS (5 * 60)

/* --- the unlock --------------------------------------------------------- */

static void
set_locked (SkKioskService *self)
{
  if (self->admin_timeout != 0)
    g_source_remove (self->admin_timeout);
  self->admin_timeout = 0;
  self->admin_deadline = 0;
  sk_dbus_kiosk1_set_admin_unlocked (self->skeleton, FALSE);
  sk_dbus_kiosk1_set_admin_until (self->skeleton, 0);
}

static gboolean
on_idle_deadline (gpointer data)
{
  SkKioskService *self = data;
  gint64 left = self->admin_deadline - g_get_monotonic_time ();

  self->admin_timeout = 0;
  if (left > 0)
    {
      /* a timer may fire a little early: wait for the rest */
      self->admin_timeout = g_timeout_add ((guint) (left / 1000 + 1), on_idle_deadline, self);
      return G_SOURCE_REMOVE;
    }
  g_message ("admin page locked after %" G_GINT64_FORMAT " s without an admin call",
             sk_settings_get_int (sk_engine_get_store (self->engine), "admin_idle_seconds"));
  set_locked (self);
  return G_SOURCE_REMOVE;
}

/* Unlocks, or extends the unlock, for admin_idle_seconds from now. */
static gint64
extend (SkKioskService *self)
{
  gint64 idle = sk_settings_get_int (sk_engine_get_store (self->engine), "admin_idle_seconds");
  gint64 until = sk_engine_now (self->engine) + idle * G_USEC_PER_SEC;

  self->admin_deadline = g_get_monotonic_time () + idle * G_USEC_PER_SEC;
  if (self->admin_timeout != 0)
    g_source_remove (self->admin_timeout);
  self->admin_timeout = g_timeout_add ((guint) (idle * 1000), on_idle_deadline, self);
  sk_dbus_kiosk1_set_admin_unlocked (self->skeleton, TRUE);
  sk_dbus_kiosk1_set_admin_until (self->skeleton, until);
  return until;
}

static gboolean
is_unlocked (SkKioskService *self)
{
  if (self->admin_deadline != 0 && g_get_monotonic_time () >= self->admin_deadline)
    set_locked (self);
  return self->admin_deadline != 0;
}

gboolean
sk_kiosk_admin_allow (SkKioskService *self, const char *method, GError **error)
{
  /* The unlock's timer, the skeleton's properties and the store belong
   * to the main context: a gate asked from another thread is a bug. */
  if (!g_main_context_is_owner (g_main_context_default ()))
    {
      g_critical ("the admin gate was asked for %s off the main context", method);
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_FAILED,
                   "%s could not be checked: the admin gate was asked from the wrong thread",
                   method);
      return FALSE;
    }
  if (!is_unlocked (self))
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                   "%s is a manager's operation: unlock the admin page first", method);
      return FALSE;
    }
  extend (self);
  return TRUE;
}

/* --- the PIN ------------------------------------------------------------ */

typedef struct
{
  char *hash;          /* NULL: no PIN yet */
  gint64 failures;     /* wrong PINs since the last right one or lock */
  gint64 locked_until; /* engine clock, µs; 0: not locked */
} PinState;

static void
pin_state_clear (PinState *p)
{
  g_free (p->hash);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PinState, pin_state_clear)

static gboolean
load_pin (SkKioskService *self, PinState *out, GError **error)
{
  SkStore *store = sk_engine_get_store (self->engine);
  sqlite3_stmt *stmt;
  int rc;

  memset (out, 0, sizeof *out);
  stmt = sk_store_prepare (store, "SELECT hash, failures, locked_until FROM admin_pin WHERE id = 1",
                           error);
  if (stmt == NULL)
    return FALSE;
  rc = sk_store_step (store, stmt, error);
  if (rc == SQLITE_ROW)
    {
      out->hash = g_strdup (sk_store_column_text (stmt, 0));
      out->failures = sqlite3_column_int64 (stmt, 1);
      if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
        sk_time_parse (sk_store_column_text (stmt, 2), &out->locked_until, NULL);
    }
  sqlite3_reset (stmt);
  return rc != -1;
}

/* Writes the whole row (one statement, so one fsync'd transaction). */
static gboolean
save_pin (SkKioskService *self, const PinState *p, GError **error)
{
  SkStore *store = sk_engine_get_store (self->engine);
  g_autofree char *now = sk_time_format (sk_engine_now (self->engine));
  g_autofree char *until = p->locked_until != 0 ? sk_time_format (p->locked_until) : NULL;
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (store,
                           "INSERT INTO admin_pin (id, hash, failures, locked_until, updated_at) "
                           "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                           "hash = excluded.hash, failures = excluded.failures, "
                           "locked_until = excluded.locked_until, updated_at = excluded.updated_at",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, p->hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, p->failures);
  sqlite3_bind_text (stmt, 3, until, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_STATIC);
  return sk_store_run (store, stmt, error);
}

static gboolean
check_pin_format (const char *pin, GError **error)
{
  size_t n = strlen (pin);

  if (n < PIN_MIN_DIGITS || n > PIN_MAX_DIGITS || strspn (pin, "0123456789") != n)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                   "A PIN is %d to %d digits, nothing else", PIN_MIN_DIGITS, PIN_MAX_DIGITS);
      return FALSE;
    }
  return TRUE;
}

/* crypt_r (@pin, @setting): the yescrypt hash, or NULL with why not. */
static char *
crypt_pin (const char *pin, const char *setting, GError **error)
{
  g_autofree struct crypt_data *data = g_new0 (struct crypt_data, 1);
  const char *out;
  char *hash = NULL;

  errno = 0;
  out = crypt_r (pin, setting, data);
  if (out != NULL && out[0] != '*')
    hash = g_strdup (out);
  else
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_FAILED, "The PIN cannot be hashed: %s",
                 errno != 0 ? g_strerror (errno) : "libcrypt refused");
  explicit_bzero (data, sizeof *data);
  return hash;
}

static char *
hash_new_pin (const char *pin, GError **error)
{
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];

  /* count 0: libcrypt's default cost; the salt from the kernel */
  if (crypt_gensalt_rn ("$y$", 0, NULL, 0, setting, sizeof setting) == NULL)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_FAILED, "No salt for the PIN's hash: %s",
                   g_strerror (errno));
      return NULL;
    }
  return crypt_pin (pin, setting, error);
}

/* Compares the whole strings whatever differs first. */
static gboolean
same_hash (const char *a, const char *b)
{
  size_t n = strlen (a);
  guint8 diff = n != strlen (b);

  for (size_t i = 0; i < n && b[i] != '\0'; i++)
    diff |= (guint8) (a[i] ^ b[i]);
  return diff == 0;
}

static void
set_pin_locked_error (gint64 until, GError **error)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (until / G_USEC_PER_SEC);
  g_autofree char *when = g_date_time_format (t, "%H:%M:%S");

  g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_PIN_LOCKED,
               "Too many wrong PINs: PIN entry is locked until %s (a manager's badge still "
               "unlocks)",
               when);
}

/* TRUE when @pin is the PIN; else counts a wrong one (and locks PIN entry
 * at the limit) and says why not. */
static gboolean
check_pin (SkKioskService *self, const char *pin, GError **error)
{
  g_auto (PinState) p = { 0 };
  g_autofree char *hash = NULL;
  gint64 now = sk_engine_now (self->engine);

  if (!check_pin_format (pin, error) || !load_pin (self, &p, error))
    return FALSE;
  if (p.locked_until > now)
    {
      set_pin_locked_error (p.locked_until, error);
      return FALSE;
    }
  if (p.hash == NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           "No PIN is set yet: set one first, or unlock with a manager's badge");
      return FALSE;
    }
  hash = crypt_pin (pin, p.hash, error);
  if (hash == NULL)
    return FALSE;
  if (same_hash (hash, p.hash))
    {
      if (p.failures == 0 && p.locked_until == 0)
        return TRUE;
      p.failures = 0;
      p.locked_until = 0;
      return save_pin (self, &p, error);
    }
  p.failures++;
  p.locked_until = 0;
  if (p.failures >= PIN_MAX_FAILURES)
    {
      p.failures = 0;
      p.locked_until = now + PIN_LOCK_SECONDS * G_USEC_PER_SEC;
    }
  if (!save_pin (self, &p, error))
    return FALSE;
  g_message ("wrong admin PIN%s", p.locked_until != 0 ? ": PIN entry locked" : "");
  if (p.locked_until != 0)
    set_pin_locked_error (p.locked_until, error);
  else
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                 "Wrong PIN: %" G_GINT64_FORMAT " more wrong and PIN entry locks for %d minutes",
                 PIN_MAX_FAILURES - p.failures, PIN_LOCK_SECONDS / 60);
  return FALSE;
}

/* --- the methods -------------------------------------------------------- */

static gboolean
check_ticket (SkKioskService *self, const char *ticket, GError **error)
{
  const char *user_id = sk_kiosk_ticket_listener (self, ticket, error);

  if (user_id == NULL)
    return FALSE;
  if (!sk_engine_is_manager (self->engine, user_id))
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           "This badge's listener is not a manager here");
      return FALSE;
    }
  return TRUE;
}

GVariant *
sk_kiosk_method_unlock (SkKioskService *self, GVariant *args, GError **error)
{
  const char *ticket, *pin;

  g_variant_get (args, "(&s&s)", &ticket, &pin);
  if ((*ticket == '\0') == (*pin == '\0'))
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                           "Unlock with a manager's ticket or with the PIN: one of the two");
      return NULL;
    }
  if (*ticket != '\0' ? !check_ticket (self, ticket, error) : !check_pin (self, pin, error))
    return NULL;
  g_message ("admin page unlocked by %s", *ticket != '\0' ? "a manager's badge" : "the PIN");
  return g_variant_new ("(x)", extend (self));
}

GVariant *
sk_kiosk_method_set_pin (SkKioskService *self, GVariant *args, GError **error)
{
  g_auto (PinState) p = { 0 };
  const char *pin;

  g_variant_get (args, "(&s)", &pin);
  if (!load_pin (self, &p, error))
    return NULL;
  /* the first PIN needs no unlock: there is nothing to unlock with yet */
  if (p.hash != NULL && !sk_kiosk_admin_allow (self, "Changing the PIN", error))
    return NULL;
  if (!check_pin_format (pin, error))
    return NULL;
  g_free (p.hash);
  p.hash = hash_new_pin (pin, error);
  /* a new PIN starts with a clean count (PIN entry stays locked if it
   * is: the lock is against guessing, not against this PIN) */
  p.failures = 0;
  if (p.hash == NULL || !save_pin (self, &p, error))
    return NULL;
  g_message ("admin PIN set");
  sk_dbus_kiosk1_set_pin_set (self->skeleton, TRUE);
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_lock (SkKioskService *self, GVariant *args, GError **error)
{
  if (self->admin_deadline != 0)
    g_message ("admin page locked");
  set_locked (self);
  return g_variant_new ("()");
}

/* --- settings ----------------------------------------------------------- */

static const char *
kind_name (SkSettingKind kind)
{
  switch (kind)
    {
    case SK_SETTING_INT:
      return "int";
    case SK_SETTING_DOUBLE:
      return "double";
    case SK_SETTING_CHOICE:
      return "choice";
    case SK_SETTING_VECTOR:
      return "vector";
    case SK_SETTING_STRING:
    default:
      return "string";
    }
}

GVariant *
sk_kiosk_method_get_settings (SkKioskService *self, GVariant *args, GError **error)
{
  SkStore *store = sk_engine_get_store (self->engine);
  GVariantBuilder b;
  guint n;
  const SkSetting *all = sk_settings_list (&n);

  g_variant_builder_init (&b, G_VARIANT_TYPE ("(a(sssssdds))"));
  g_variant_builder_open (&b, G_VARIANT_TYPE ("a(sssssdds)"));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = sk_settings_dup_value (store, &all[i]);
      gboolean number = all[i].kind == SK_SETTING_INT || all[i].kind == SK_SETTING_DOUBLE;

      g_variant_builder_add (&b, "(sssssdds)", all[i].key, kind_name (all[i].kind), value,
                             all[i].fallback, all[i].choices ? all[i].choices : "",
                             number ? all[i].min : 0.0, number ? all[i].max : 0.0, all[i].summary);
    }
  g_variant_builder_close (&b);
  return g_variant_builder_end (&b);
}

gboolean
sk_kiosk_apply_setting (SkKioskService *self, const char *key, const char *value, GError **error)
{
  if (g_strcmp0 (key, "audio_pcm") == 0 && value != NULL &&
      !sk_kiosk_pcm_allowed (self, value, error))
    return FALSE;
  if (!sk_engine_set_setting (self->engine, key, value, error))
    return FALSE;
  g_message ("setting %s = %s", key, value != NULL ? value : "(default)");
  if (self->playback != NULL)
    sk_playback_reload_settings (self->playback);
  if (self->scheduler != NULL && g_strcmp0 (key, "time_zone") == 0)
    sk_scheduler_reload (self->scheduler); /* the hours move with the zone */
  sk_kiosk_service_reload (self);
  return TRUE;
}

GVariant *
sk_kiosk_method_set_setting (SkKioskService *self, GVariant *args, GError **error)
{
  const char *key, *value;

  g_variant_get (args, "(&s&s)", &key, &value);
  if (!sk_kiosk_apply_setting (self, key, *value != '\0' ? value : NULL, error))
    return NULL;
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_set_player_name (SkKioskService *self, GVariant *args, GError **error)
{
  const char *name;
  g_autofree char *stored = NULL;

  g_variant_get (args, "(&s)", &name);
  stored = sk_engine_set_player_name (self->engine, name, error);
  if (stored == NULL)
    return NULL;
  g_message ("The player is now called \"%s\"", stored);
  sk_dbus_kiosk1_set_player_name (self->skeleton, stored);
  return g_variant_new ("()");
}

void
sk_kiosk_admin_init (SkKioskService *self)
{
  g_auto (PinState) p = { 0 };
  g_autoptr (GError) error = NULL;

  if (!load_pin (self, &p, &error))
    g_warning ("The admin PIN cannot be read: %s", error->message);
  sk_dbus_kiosk1_set_pin_set (self->skeleton, p.hash != NULL);
  set_locked (self);
}

void
sk_kiosk_admin_clear (SkKioskService *self)
{
  if (self->admin_timeout != 0)
    g_source_remove (self->admin_timeout);
  self->admin_timeout = 0;
}
