/* test-kiosk-admin.c: the admin page of org.soundscape.Kiosk1 as its
 * clients see it: Unlock (by a manager's badge or the PIN), Lock, SetPin,
 * the lock of PIN entry after wrong PINs (across restarts), the unlock's
 * end after admin_idle_seconds, and the gate of the admin methods. The
 * real soundscaped on a private bus (sk-dbus-fixture.c); the database is
 * read with SQLite to see what was (not) stored.
 */
#include "config.h"

#include <string.h>

#include "sk-dbus-fixture.h"
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

  /* an admin call (a new PIN) extends it */
  set_pin (f, OTHER_PIN);
  if (!spin_until (until_after, f, &until, 10))
    g_error ("AdminUntil did not move after an admin call");
  g_assert_true (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));

  /* then, idle, it locks by itself */
  wait_unlocked (f, FALSE, 30);
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  assert_refused (f, "SetPin", g_variant_new ("(s)", PIN), ERR "NotAllowed");
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
  return g_test_run ();
}
