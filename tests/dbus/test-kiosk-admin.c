/* test-kiosk-admin.c: the admin page of org.soundscape.Kiosk1 as its
 * clients see it: Unlock (by a manager's badge or the PIN), Lock, SetPin,
 * the lock of PIN entry after wrong PINs (across restarts), the unlock's
 * end after admin_idle_seconds, and the gate of the admin methods. The
 * real soundscaped on a private bus (sk-dbus-fixture.c); the database is
 * read with SQLite to see what was (not) stored.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "sk-dbus-fixture.h"
#include "sk-settings.h"
#include "sk-test-util.h"
#include "sk-util.h"

#define PIN "2468"
#define OTHER_PIN "135790"

static void
set_pin (Fixture *f, const char *pin)
{
  g_autoptr (GError) error = NULL;

  sk_dbus_kiosk1_call_set_pin_sync (f->kiosk, pin, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
}

/* Unlock, which must succeed; returns AdminUntil as the call gave it. */
static gint64
unlock (Fixture *f, const char *ticket, const char *pin)
{
  g_autoptr (GError) error = NULL;
  gint64 until = 0;

  sk_dbus_kiosk1_call_unlock_sync (f->kiosk, ticket, pin, G_DBUS_CALL_FLAGS_NONE, 10000, &until,
                                   NULL, &error);
  g_assert_no_error (error);
  return until;
}

static void
lock (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  sk_dbus_kiosk1_call_lock_sync (f->kiosk, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
}

static gboolean
is_unlocked (Fixture *f, gconstpointer data)
{
  return sk_dbus_kiosk1_get_admin_unlocked (f->kiosk) == GPOINTER_TO_INT (data) &&
         (sk_dbus_kiosk1_get_admin_until (f->kiosk) != 0) == GPOINTER_TO_INT (data);
}

/* AdminUnlocked and AdminUntil as announced, waiting up to @seconds. */
static void
wait_unlocked (Fixture *f, gboolean unlocked, guint seconds)
{
  if (!spin_until (is_unlocked, f, GINT_TO_POINTER (unlocked), seconds))
    g_error ("AdminUnlocked is not %s within %u s", unlocked ? "true" : "false", seconds);
}

static gboolean
pin_is_set (Fixture *f, gconstpointer data)
{
  return sk_dbus_kiosk1_get_pin_set (f->kiosk);
}

static char *
stored_hash (Fixture *f)
{
  return sk_test_file_query_text (f->db, "SELECT coalesce(hash, '') FROM admin_pin");
}

/* First boot: no PIN, and the first SetPin needs no unlock; after it, a
 * new PIN needs one. The PIN is a yescrypt hash in admin_pin, nowhere in
 * settings; bad PINs are refused and store nothing. */
static void
test_first_pin (Fixture *f, gconstpointer data)
{
  g_autofree char *hash = NULL, *hash2 = NULL;
  gint64 until, now;

  start_daemon (f);
  g_assert_false (sk_dbus_kiosk1_get_pin_set (f->kiosk));
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));
  g_assert_cmpint (sk_dbus_kiosk1_get_admin_until (f->kiosk), ==, 0);
  /* no PIN to unlock with yet */
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", PIN), ERR "NotAllowed");
  /* PINs are 4 to 12 digits */
  assert_refused (f, "SetPin", g_variant_new ("(s)", "123"), ERR "InvalidArgument");
  assert_refused (f, "SetPin", g_variant_new ("(s)", "1234567890123"), ERR "InvalidArgument");
  assert_refused (f, "SetPin", g_variant_new ("(s)", "12a4"), ERR "InvalidArgument");
  assert_refused (f, "SetPin", g_variant_new ("(s)", " 1234"), ERR "InvalidArgument");
  assert_refused (f, "SetPin", g_variant_new ("(s)", "１２３４"), ERR "InvalidArgument");
  assert_refused (f, "SetPin", g_variant_new ("(s)", ""), ERR "InvalidArgument");
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM admin_pin"), ==, 0);
  g_assert_false (sk_dbus_kiosk1_get_pin_set (f->kiosk));

  set_pin (f, PIN);
  if (!spin_until (pin_is_set, f, NULL, 10))
    g_error ("PinSet is not true 10 s after SetPin");
  hash = stored_hash (f);
  g_assert_true (g_str_has_prefix (hash, "$y$"));
  g_assert_null (strstr (hash, PIN));
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM settings "
                                                  "WHERE value LIKE '%$y$%' OR value = '" PIN "'"),
                   ==, 0);
  /* setting the first PIN unlocks nothing */
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  /* a second SetPin needs the unlock */
  assert_refused (f, "SetPin", g_variant_new ("(s)", OTHER_PIN), ERR "NotAllowed");
  hash2 = stored_hash (f);
  g_assert_cmpstr (hash2, ==, hash);
  g_clear_pointer (&hash2, g_free);

  now = g_get_real_time ();
  until = unlock (f, "", PIN);
  /* admin_idle_seconds, 120 s by default, from the call */
  g_assert_cmpint (until, >=, now + 119 * G_USEC_PER_SEC);
  g_assert_cmpint (until, <=, g_get_real_time () + 120 * G_USEC_PER_SEC);
  wait_unlocked (f, TRUE, 10);
  g_assert_cmpint (sk_dbus_kiosk1_get_admin_until (f->kiosk), ==, until);
  set_pin (f, OTHER_PIN);
  hash2 = stored_hash (f);
  g_assert_cmpstr (hash2, !=, hash);
  g_assert_true (g_str_has_prefix (hash2, "$y$"));

  /* Lock ends it: admin methods are refused again */
  lock (f);
  wait_unlocked (f, FALSE, 10);
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  assert_refused (f, "SetPin", g_variant_new ("(s)", PIN), ERR "NotAllowed");
  /* the old PIN is gone, the new one opens */
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", PIN), ERR "NotAllowed");
  unlock (f, "", OTHER_PIN);
  wait_unlocked (f, TRUE, 10);
  /* Lock never refuses, locked or not */
  lock (f);
  lock (f);

  /* a restart keeps the PIN and starts locked */
  unlock (f, "", OTHER_PIN);
  restart_daemon (f);
  g_assert_true (sk_dbus_kiosk1_get_pin_set (f->kiosk));
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  unlock (f, "", OTHER_PIN);
}

/* A manager's badge unlocks: roles (the demo's Mia Manager) or the
 * player's manager_id; a listener's or an unknown badge's ticket does not,
 * and neither does a call with both or neither of ticket and PIN. */
static void
test_unlock_by_badge (Fixture *f, gconstpointer data)
{
  g_auto (Tap) manager = { 0 };
  g_auto (Tap) listener = { 0 };
  g_auto (Tap) unknown = { 0 };
  g_auto (Tap) again = { 0 };

  start_daemon (f);
  tap (f, MIA_MANAGER, &manager);
  g_assert_cmpstr (manager.result, ==, "manager");
  tap (f, RAIN_LOVER, &listener);
  g_assert_cmpstr (listener.result, ==, "checked-in");
  tap (f, NEW_BADGE, &unknown);
  g_assert_cmpstr (unknown.result, ==, "unknown");

  assert_refused (f, "Unlock", g_variant_new ("(ss)", listener.ticket, ""), ERR "NotAllowed");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", unknown.ticket, ""), ERR "NotAllowed");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "0123456789abcdef0123456789abcdef", ""),
                  ERR "NotAllowed");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "not a ticket", ""), ERR "InvalidArgument");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", ""), ERR "InvalidArgument");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", manager.ticket, PIN), ERR "InvalidArgument");
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  unlock (f, manager.ticket, "");
  wait_unlocked (f, TRUE, 10);
  /* the first PIN can also be set while unlocked */
  set_pin (f, PIN);
  lock (f);
  wait_unlocked (f, FALSE, 10);

  /* the player's manager_id makes a listener a manager here */
  sk_test_file_exec (f->db, "UPDATE players SET manager_id = "
                            "(SELECT user_id FROM badges WHERE uid = '" RAIN_LOVER "')");
  tap (f, RAIN_LOVER, &again);
  g_assert_cmpstr (again.result, ==, "manager");
  unlock (f, again.ticket, "");
  wait_unlocked (f, TRUE, 10);
}

static void
assert_failures (Fixture *f, int failures)
{
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT failures FROM admin_pin"), ==, failures);
}

/* Five wrong PINs in a row lock PIN entry for 5 minutes, even for the
 * right PIN; the count and the lock survive a restart; a manager's badge
 * still unlocks; once the lock's time is past, the right PIN opens. */
static void
test_pin_lockout (Fixture *f, gconstpointer data)
{
  g_auto (Tap) manager = { 0 };
  g_autofree char *past = NULL;
  g_autofree char *sql = NULL;
  gint64 locked_until = 0;
  g_autofree char *until_text = NULL;

  start_daemon (f);
  set_pin (f, PIN);
  for (int i = 1; i <= 3; i++)
    {
      assert_refused (f, "Unlock", g_variant_new ("(ss)", "", "0000"), ERR "NotAllowed");
      assert_failures (f, i);
    }
  /* a PIN that is no PIN is refused as such, and not counted */
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", "12"), ERR "InvalidArgument");
  assert_failures (f, 3);

  /* the count survives a restart: two more wrong ones lock */
  restart_daemon (f);
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", "1111"), ERR "NotAllowed");
  assert_failures (f, 4);
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", "2222"), ERR "PinLocked");
  until_text = sk_test_file_query_text (f->db, "SELECT locked_until FROM admin_pin");
  g_assert_true (sk_time_parse (until_text, &locked_until, NULL));
  g_assert_cmpint (locked_until, >, g_get_real_time () + 290 * G_USEC_PER_SEC);
  g_assert_cmpint (locked_until, <=, g_get_real_time () + 300 * G_USEC_PER_SEC);
  /* locked: the right PIN too */
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", PIN), ERR "PinLocked");
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  /* and the lock survives a restart */
  restart_daemon (f);
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", PIN), ERR "PinLocked");
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  /* a manager's badge is no PIN: it still unlocks */
  tap (f, MIA_MANAGER, &manager);
  unlock (f, manager.ticket, "");
  lock (f);

  /* five minutes later (the lock's end moved into the past, as time
   * would): the right PIN opens, and the count starts again */
  past = sk_time_format (g_get_real_time () - G_USEC_PER_SEC);
  sql = g_strdup_printf ("UPDATE admin_pin SET locked_until = '%s'", past);
  sk_test_file_exec (f->db, sql);
  unlock (f, "", PIN);
  wait_unlocked (f, TRUE, 10);
  assert_failures (f, 0);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM admin_pin "
                                                  "WHERE locked_until IS NULL"),
                   ==, 1);
}

static GVariant *
get_settings (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GVariant *settings = NULL;

  sk_dbus_kiosk1_call_get_settings_sync (f->kiosk, G_DBUS_CALL_FLAGS_NONE, 10000, &settings, NULL,
                                         &error);
  g_assert_no_error (error);
  return settings;
}

static gboolean
until_after (Fixture *f, gconstpointer data)
{
  return sk_dbus_kiosk1_get_admin_until (f->kiosk) > *(const gint64 *) data;
}

/* The unlock ends admin_idle_seconds after the last admin call, announced
 * without a call; each admin call extends it. */
static void
test_idle_relock (Fixture *f, gconstpointer data)
{
  gint64 until, now;

  start_daemon (f);
  set_pin (f, PIN);
  sk_test_file_exec (f->db, "INSERT OR REPLACE INTO settings (key, value) "
                            "VALUES ('admin_idle_seconds', '5')");
  now = g_get_real_time ();
  until = unlock (f, "", PIN);
  g_assert_cmpint (until, >=, now + 5 * G_USEC_PER_SEC);
  g_assert_cmpint (until, <=, g_get_real_time () + 5 * G_USEC_PER_SEC);
  wait_unlocked (f, TRUE, 10);

  /* an admin call (a new PIN, reading the settings) extends it */
  set_pin (f, OTHER_PIN);
  if (!spin_until (until_after, f, &until, 10))
    g_error ("AdminUntil did not move after SetPin");
  until = sk_dbus_kiosk1_get_admin_until (f->kiosk);
  g_variant_unref (get_settings (f));
  if (!spin_until (until_after, f, &until, 10))
    g_error ("AdminUntil did not move after GetSettings");
  g_assert_true (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  /* then, idle, it locks by itself */
  wait_unlocked (f, FALSE, 30);
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  assert_refused (f, "SetPin", g_variant_new ("(s)", PIN), ERR "NotAllowed");
}

static char *
settings_dump (Fixture *f)
{
  return sk_test_file_query_text (f->db,
                                  "SELECT coalesce(group_concat(key || '=' || value, ';'), '') "
                                  "FROM (SELECT key, value FROM settings ORDER BY key)");
}

static gboolean
volume_is (Fixture *f, gconstpointer data)
{
  return sk_dbus_kiosk1_get_volume (f->kiosk) == *(const double *) data;
}

static gboolean
strategy_is (Fixture *f, gconstpointer data)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_strategy (f->kiosk), data) == 0;
}

/* The setting @key of a GetSettings reply: (kind, value, default,
 * choices, min, max, description). */
static GVariant *
find_setting (GVariant *settings, const char *key)
{
  GVariantIter iter;
  GVariant *child;

  g_variant_iter_init (&iter, settings);
  while ((child = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *k;

      g_variant_get_child (child, 0, "&s", &k);
      if (strcmp (k, key) == 0)
        return child;
      g_variant_unref (child);
    }
  return NULL;
}

static void
set_setting (Fixture *f, const char *key, const char *value)
{
  g_autoptr (GError) error = NULL;

  sk_dbus_kiosk1_call_set_setting_sync (f->kiosk, key, value, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                        &error);
  g_assert_no_error (error);
}

/* GetSettings lists sk-settings.c's table, each with its kind, value,
 * default, range and sentence; SetSetting writes one, applied at once
 * (Volume, Strategy), an empty value going back to the default; a bad key
 * or value is InvalidArgument and stores nothing; locked, both are
 * refused. */
static void
test_settings (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) settings = NULL;
  g_autoptr (GVariant) volume = NULL, strategy = NULL, house = NULL;
  g_autofree char *before = NULL, *after = NULL;
  const char *kind, *value, *fallback, *choices, *summary;
  double min, max, half = 0.5, full = 1.0;
  guint n;
  const SkSetting *all = sk_settings_list (&n);
  g_autofree char *long_value = g_strnfill (1025, 'x');

  start_daemon (f);
  assert_refused (f, "GetSettings", NULL, ERR "NotAllowed");
  set_pin (f, PIN);
  unlock (f, "", PIN);

  settings = get_settings (f);
  g_assert_cmpuint (g_variant_n_children (settings), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GVariant) s = g_variant_get_child_value (settings, i);
      const char *key;

      g_variant_get (s, "(&s&s&s&s&sdd&s)", &key, &kind, &value, &fallback, &choices, &min, &max,
                     &summary);
      g_assert_cmpstr (key, ==, all[i].key);
      g_assert_cmpstr (fallback, ==, all[i].fallback);
      g_assert_cmpstr (summary, ==, all[i].summary);
      /* the value stored (only the demo's library_dirs so far), else the
       * default */
      {
        g_autofree char *sql = g_strdup_printf ("SELECT coalesce((SELECT value FROM settings WHERE "
                                                "key = '%s'), '%s')",
                                                key, fallback);
        g_autofree char *want = sk_test_file_query_text (f->db, sql);

        g_assert_cmpstr (value, ==, want);
      }
    }
  volume = find_setting (settings, "volume");
  g_variant_get (volume, "(&s&s&s&s&sdd&s)", NULL, &kind, &value, NULL, &choices, &min, &max, NULL);
  g_assert_cmpstr (kind, ==, "double");
  g_assert_cmpstr (choices, ==, "");
  g_assert_cmpfloat (min, ==, 0.0);
  g_assert_cmpfloat (max, ==, 1.0);
  strategy = find_setting (settings, "strategy");
  g_variant_get (strategy, "(&s&s&s&s&sdd&s)", NULL, &kind, NULL, NULL, &choices, NULL, NULL, NULL);
  g_assert_cmpstr (kind, ==, "choice");
  g_assert_cmpstr (choices, ==, "average least_misery average_without_misery");
  house = find_setting (settings, "house_vector");
  g_variant_get (house, "(&s&s&s&s&sdd&s)", NULL, &kind, NULL, NULL, NULL, NULL, NULL, NULL);
  g_assert_cmpstr (kind, ==, "vector");
  g_clear_pointer (&settings, g_variant_unref);
  g_clear_pointer (&volume, g_variant_unref);

  /* written, and applied at once */
  set_setting (f, "volume", "0.5");
  set_setting (f, "strategy", "least_misery");
  if (!spin_until (volume_is, f, &half, 10) || !spin_until (strategy_is, f, "least_misery", 10))
    g_error ("Volume %g, Strategy %s after SetSetting", sk_dbus_kiosk1_get_volume (f->kiosk),
             sk_dbus_kiosk1_get_strategy (f->kiosk));
  settings = get_settings (f);
  volume = find_setting (settings, "volume");
  g_variant_get (volume, "(&s&s&s&s&sdd&s)", NULL, NULL, &value, NULL, NULL, NULL, NULL, NULL);
  g_assert_cmpstr (value, ==, "0.5");

  /* bad keys and values: a named error, nothing stored */
  before = settings_dump (f);
  g_assert_nonnull (strstr (before, "strategy=least_misery;volume=0.5"));
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "no_such_key", "1"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "player_id", "x"), ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "volume", "1.5"), ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "volume", "half"), ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "volume", "nan"), ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "queue_k", "2.5"), ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "admin_idle_seconds", "1"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "strategy", "best"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "house_vector", "[2,0,0,0,0]"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "audio_pcm", "a\nb"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "audio_pcm", long_value),
                  ERR "InvalidArgument");
  after = settings_dump (f);
  g_assert_cmpstr (after, ==, before);
  g_clear_pointer (&after, g_free);
  g_assert_cmpfloat (sk_dbus_kiosk1_get_volume (f->kiosk), ==, 0.5);

  /* empty: back to the default */
  set_setting (f, "volume", "");
  if (!spin_until (volume_is, f, &full, 10))
    g_error ("Volume %g after SetSetting volume to its default",
             sk_dbus_kiosk1_get_volume (f->kiosk));
  after = settings_dump (f);
  g_assert_null (strstr (after, "volume="));
  g_assert_nonnull (strstr (after, "strategy=least_misery"));
  g_clear_pointer (&after, g_free);

  /* locked: refused, nothing stored */
  lock (f);
  assert_refused (f, "GetSettings", NULL, ERR "NotAllowed");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "volume", "0.25"), ERR "NotAllowed");
  after = settings_dump (f);
  g_assert_null (strstr (after, "volume="));
}

static void
wait_audio (Fixture *f, const char *status)
{
  if (!spin_until (audio_is, f, status, 20))
    g_error ("AudioStatus is not %s within 20 s", status);
}

static char *
now_playing (Fixture *f)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  char *song = NULL;

  g_variant_get_child (now, 0, "s", &song);
  return song;
}

static gboolean
song_is_not (Fixture *f, gconstpointer data)
{
  g_autofree char *song = now_playing (f);

  return *song != '\0' && g_strcmp0 (song, data) != 0;
}

/* A Skipped 'manager' since @mark, of a song that played (which one is a
 * race with the paced output's short tracks). */
static void
assert_skipped_by_manager (Fixture *f, guint mark)
{
  Signal *s = wait_signal (f, mark, "Skipped", "'manager'", 10);
  const char *skipped;
  g_autofree char *sql = NULL;

  g_variant_get (s->params, "(&s&s&s)", &skipped, NULL, NULL);
  g_assert_cmpuint (strlen (skipped), ==, 36);
  sql = g_strdup_printf ("SELECT count(*) FROM songs_playing WHERE song_id = '%s'", skipped);
  g_assert_cmpint (sk_test_file_query_int (f->db, sql), >=, 1);
}

/* Pause and Resume (AudioStatus), Skip (Skipped 'manager' and the next
 * song), SetVolume (the setting, 0 to 1), refused while locked. */
static void
test_playback (Fixture *f, gconstpointer data)
{
  g_autofree char *song = NULL;
  g_autofree char *stored = NULL;
  double half = 0.5;
  guint mark;

  start_daemon (f);
  wait_playing (f);
  set_pin (f, PIN);
  assert_refused (f, "Pause", NULL, ERR "NotAllowed");
  assert_refused (f, "SetVolume", g_variant_new ("(d)", 0.5), ERR "NotAllowed");
  unlock (f, "", PIN);

  call_ok (f, "Pause", NULL);
  wait_audio (f, "paused");
  call_ok (f, "Resume", NULL);
  wait_audio (f, "playing");

  song = now_playing (f);
  mark = f->signals->len;
  call_ok (f, "Skip", NULL);
  assert_skipped_by_manager (f, mark);
  if (!spin_until (song_is_not, f, song, 30))
    g_error ("%s still plays 30 s after Skip", song);

  call_ok (f, "SetVolume", g_variant_new ("(d)", 0.5));
  if (!spin_until (volume_is, f, &half, 10))
    g_error ("Volume %g after SetVolume 0.5", sk_dbus_kiosk1_get_volume (f->kiosk));
  stored = sk_test_file_query_text (f->db, "SELECT value FROM settings WHERE key = 'volume'");
  g_assert_cmpstr (stored, ==, "0.5");
  assert_refused (f, "SetVolume", g_variant_new ("(d)", 1.5), ERR "InvalidArgument");
  assert_refused (f, "SetVolume", g_variant_new ("(d)", -0.1), ERR "InvalidArgument");
  assert_refused (f, "SetVolume", g_variant_new ("(d)", NAN), ERR "InvalidArgument");
  g_clear_pointer (&stored, g_free);
  stored = sk_test_file_query_text (f->db, "SELECT value FROM settings WHERE key = 'volume'");
  g_assert_cmpstr (stored, ==, "0.5");
  g_assert_cmpfloat (sk_dbus_kiosk1_get_volume (f->kiosk), ==, 0.5);

  /* within the schedule's cap (0.3 all week): above it is refused with
   * the cap in the sentence, below it is stored */
  {
    GVariantBuilder hours, caps;
    double cap = 0.3;
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) reply = NULL;
    g_autofree char *remote = NULL;

    g_variant_builder_init (&hours, G_VARIANT_TYPE ("a(uuu)"));
    g_variant_builder_init (&caps, G_VARIANT_TYPE ("a(uuud)"));
    for (guint day = 1; day <= 7; day++)
      g_variant_builder_add (&caps, "(uuud)", day, 0u, 0u, cap);
    call_ok (f, "SetSchedule", g_variant_new ("(a(uuu)a(uuud)s)", &hours, &caps, "UTC"));
    if (!spin_until (volume_is, f, &cap, 10))
      g_error ("Volume %g under a cap of 0.3", sk_dbus_kiosk1_get_volume (f->kiosk));
    reply = call (f, "SetVolume", g_variant_new ("(d)", 0.5), &error);
    g_assert_null (reply);
    remote = g_dbus_error_get_remote_error (error);
    g_assert_cmpstr (remote, ==, ERR "InvalidArgument");
    g_assert_nonnull (strstr (error->message, "at most 0.3"));
    call_ok (f, "SetVolume", g_variant_new ("(d)", 0.2));
    g_clear_pointer (&stored, g_free);
    stored = sk_test_file_query_text (f->db, "SELECT value FROM settings WHERE key = 'volume'");
    g_assert_cmpstr (stored, ==, "0.2");
  }

  lock (f);
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  assert_refused (f, "Resume", NULL, ERR "NotAllowed");
}

/* Paused among tracks shorter than a few of the output's periods, tracks
 * start and end in the period the output still writes while its volume
 * ramps down, or just before Pause, their events arriving after it: the
 * player saying a track started, ended, or that nothing is left does not
 * make AudioStatus 'playing' or 'idle' again; it stays 'paused' until
 * Resume. */
static void
test_pause_holds (Fixture *f, gconstpointer data)
{
  g_autofree char *library = g_build_filename (f->dir, "library", NULL);

  g_assert_cmpint (g_mkdir (library, 0700), ==, 0);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/short-%u.wav", library, i);
      g_autofree char *json = g_strdup_printf ("%s/short-%u.json", library, i);
      g_autofree char *title = g_strdup_printf ("Short %u", i);
      g_autofree char *embedding = g_strdup_printf ("[0.%u, 0.5, 0.5, 0.5, 0.5]", i + 1);

      sk_test_write_wav (wav, 0.2);
      sk_test_write_sidecar (json, title, embedding);
    }
  start_daemon_with (f, NULL, library);
  wait_playing (f);
  set_pin (f, PIN);
  unlock (f, "", PIN);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GVariant) audio = NULL;
      const char *status = NULL;

      pause_still (f);
      audio = property_now (f, "AudioStatus");
      g_variant_get_child (audio, 0, "&s", &status);
      g_assert_cmpstr (status, ==, "paused");
      call_ok (f, "Resume", NULL);
      wait_audio (f, "playing");
    }
}

/* ListAudioDevices lists what ALSA finds; TestSound plays on one of those
 * or the PCM in use, and refuses any other name (a PCM name can write
 * files), as SetSetting refuses it for audio_pcm. */
static void
test_audio_devices (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) pcms = NULL, cards = NULL;
  g_autofree char *target = g_build_filename (f->dir, "written.raw", NULL);
  g_autofree char *file_pcm = g_strdup_printf ("file:FILE=%s", target);
  g_autofree char *before = NULL, *after = NULL;
  gboolean has_null = FALSE;
  GVariantIter iter;
  const char *name, *desc;

  start_daemon (f);
  set_pin (f, PIN);
  assert_refused (f, "ListAudioDevices", NULL, ERR "NotAllowed");
  assert_refused (f, "TestSound", g_variant_new ("(s)", "null"), ERR "NotAllowed");
  unlock (f, "", PIN);

  sk_dbus_kiosk1_call_list_audio_devices_sync (f->kiosk, G_DBUS_CALL_FLAGS_NONE, 10000, &pcms,
                                               &cards, NULL, &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, pcms);
  while (g_variant_iter_next (&iter, "(&s&s)", &name, &desc))
    {
      g_test_message ("PCM %s: %s", name, desc);
      g_assert_cmpstr (name, !=, "");
      g_assert_null (strchr (desc, '\n'));
      has_null = has_null || strcmp (name, "null") == 0;
    }
  /* the stock configuration's null PCM; no sound card is needed */
  g_assert_true (has_null);
  g_test_message ("%" G_GSIZE_FORMAT " cards", g_variant_n_children (cards));

  call_ok (f, "TestSound", g_variant_new ("(s)", "null"));
  call_ok (f, "TestSound", g_variant_new ("(s)", ""));
  assert_refused (f, "TestSound", g_variant_new ("(s)", file_pcm), ERR "InvalidArgument");
  assert_refused (f, "TestSound", g_variant_new ("(s)", "sk_no_such_pcm"), ERR "InvalidArgument");
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));

  before = settings_dump (f);
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "audio_pcm", file_pcm),
                  ERR "InvalidArgument");
  after = settings_dump (f);
  g_assert_cmpstr (after, ==, before);
  set_setting (f, "audio_pcm", "null");
}

/* soundscape-ctl's next and config changes go through soundscaped when it
 * runs, behind the PIN (--pin; no terminal here to ask on), and leave the
 * admin page locked as they found it; reading the settings stays on the
 * file. */
static void
test_ctl_pin (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *stored = NULL;
  double quarter = 0.25;
  guint mark;

  start_daemon (f);
  wait_playing (f);
  set_pin (f, PIN);

  /* no PIN, a wrong one: refused in the daemon's words, nothing stored */
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "volume", "0.25", NULL), ==, 1);
  g_assert_cmpstr (out, ==,
                   "soundscape-ctl: config: soundscaped runs, and this goes through it: it needs "
                   "the admin PIN (--pin, or a terminal to ask on)\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "volume", "0.25", "--pin", "0000",
                            NULL),
                   ==, 1);
  g_assert_true (g_str_has_prefix (out, "soundscape-ctl: config: Wrong PIN: "));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (f, &out, "next", "--session", NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM settings WHERE key = 'volume'"),
                   ==, 0);

  /* with the PIN: applied by the daemon at once */
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "volume", "0.25", "--pin", PIN, NULL),
                   ==, 0);
  g_assert_cmpstr (out, ==, "volume = 0.25\n");
  g_clear_pointer (&out, g_free);
  if (!spin_until (volume_is, f, &quarter, 10))
    g_error ("Volume %g after soundscape-ctl config volume 0.25",
             sk_dbus_kiosk1_get_volume (f->kiosk));
  stored = sk_test_file_query_text (f->db, "SELECT value FROM settings WHERE key = 'volume'");
  g_assert_cmpstr (stored, ==, "0.25");
  /* a bad value is the daemon's sentence */
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "volume", "2", "--pin", PIN, NULL), ==,
                   1);
  g_assert_cmpstr (out, ==,
                   "soundscape-ctl: config: volume must be a number from 0 to 1, not “2”\n");
  g_clear_pointer (&out, g_free);
  /* --reset, through the daemon too */
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "volume", "--reset", "--pin", PIN,
                            NULL),
                   ==, 0);
  g_assert_cmpstr (out, ==, "volume = 1\n");
  g_clear_pointer (&out, g_free);
  /* reading needs no PIN */
  g_assert_cmpint (run_ctl (f, &out, "config", "--session", "--db", f->db, "strategy", NULL), ==,
                   0);
  g_assert_cmpstr (out, ==, "average\n");
  g_clear_pointer (&out, g_free);

  /* next skips the track playing */
  mark = f->signals->len;
  g_assert_cmpint (run_ctl (f, &out, "next", "--session", "--pin", PIN, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Skipped "));
  assert_skipped_by_manager (f, mark);

  /* locked again after each */
  wait_unlocked (f, FALSE, 10);
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
}

static gboolean
player_named (Fixture *f, gconstpointer name)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_player_name (f->kiosk), name) == 0;
}

/* SetPlayerName (first boot names the player): refused while locked; a name
 * that is empty, blank or too long is refused and changes nothing; a good
 * one is trimmed, announced in PlayerName and kept over a restart. */
static void
test_player_name (Fixture *f, gconstpointer data)
{
  g_autofree char *before = NULL;
  g_autofree char *too_long = g_strnfill (65, 'x');
  const char *bad[] = { "", "   ", too_long, "\t\n" };

  start_daemon (f);
  before = g_strdup (sk_dbus_kiosk1_get_player_name (f->kiosk));
  assert_refused (f, "SetPlayerName", g_variant_new ("(s)", "Harbour Bar"), ERR "NotAllowed");
  set_pin (f, PIN);
  unlock (f, "", PIN);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (f, "SetPlayerName", g_variant_new ("(s)", bad[i]), ERR "InvalidArgument");
  g_assert_cmpstr (sk_dbus_kiosk1_get_player_name (f->kiosk), ==, before);

  call_ok (f, "SetPlayerName", g_variant_new ("(s)", "  Harbour Bär  "));
  g_assert_true (spin_until (player_named, f, "Harbour Bär", 10));
  restart_daemon (f);
  g_assert_true (spin_until (player_named, f, "Harbour Bär", 10));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/admin/first-pin", test_first_pin);
  ADD ("/admin/unlock-by-badge", test_unlock_by_badge);
  ADD ("/admin/pin-lockout", test_pin_lockout);
  ADD ("/admin/idle-relock", test_idle_relock);
  ADD ("/admin/settings", test_settings);
  ADD ("/admin/player-name", test_player_name);
  ADD ("/admin/playback", test_playback);
  ADD ("/admin/pause-holds", test_pause_holds);
  ADD ("/admin/audio-devices", test_audio_devices);
  ADD ("/admin/ctl-pin", test_ctl_pin);
  return g_test_run ();
}
