/* test-kiosk-schedule.c: GetSchedule and SetSchedule on the real
 * soundscaped (sk-dbus-fixture.c): refused while locked, each bad argument
 * a named error storing nothing, and a schedule that closes the venue now
 * pauses the output (not stops: the same track resumes) and caps the
 * volume, until a schedule that opens it. The times of day themselves, the
 * changes of daylight saving time and midnight are tested with a clock
 * moved by hand in tests/unit/test-schedule.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-dbus-fixture.h"
#include "sk-test-util.h"

#define PIN "2468"

static int
stored_rows (Fixture *f)
{
  return sk_test_file_query_int (f->db, "SELECT count(*) FROM settings WHERE key IN "
                                        "('schedule_opening_hours', 'schedule_volume_caps', "
                                        "'time_zone')");
}

static GVariant *
schedule_args (guint weekday, guint from, guint to, double cap, const char *zone)
{
  GVariantBuilder hours, caps;

  g_variant_builder_init (&hours, G_VARIANT_TYPE ("a(uuu)"));
  g_variant_builder_init (&caps, G_VARIANT_TYPE ("a(uuud)"));
  if (weekday != 0 || from != 0 || to != 0)
    g_variant_builder_add (&hours, "(uuu)", weekday, from, to);
  for (guint day = 1; day <= 7 && !isnan (cap); day++)
    g_variant_builder_add (&caps, "(uuud)", day, 0u, 0u, cap); /* all week */
  return g_variant_new ("(a(uuu)a(uuud)s)", &hours, &caps, zone);
}

static gboolean
volume_is (Fixture *f, gconstpointer volume)
{
  return sk_dbus_kiosk1_get_volume (f->kiosk) == *(const double *) volume;
}

static char *
song_playing (Fixture *f)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  char *song = NULL;

  g_variant_get_child (now, 0, "s", &song);
  return song;
}

static gboolean
song_is_not (Fixture *f, gconstpointer song)
{
  g_autofree char *now = song_playing (f);

  return *now != '\0' && g_strcmp0 (now, song) != 0;
}

/* Until a track starts: it then has its whole length to play (24 s and
 * more of the demo's, over a second at the paced PCM's 20×). Closing the
 * venue on it, no track starts in the period the output still writes as
 * its volume ramps down, and once open again it still plays a while: the
 * track held is the one that plays on, not the next one started as it
 * ended on its own. */
static void
wait_track_start (Fixture *f)
{
  g_autofree char *song = song_playing (f);

  if (!spin_until (song_is_not, f, song, 30))
    g_error ("no track started within 30 s");
}

static void
test_refused_while_locked (Fixture *f, gconstpointer data)
{
  start_daemon (f);
  assert_refused (f, "GetSchedule", NULL, ERR "NotAllowed");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, NAN, "UTC"), ERR "NotAllowed");
  g_assert_cmpint (stored_rows (f), ==, 0);
}

/* Each kind of bad schedule: InvalidArgument with a sentence, nothing
 * stored, the schedule in force unchanged. */
static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) hours = NULL;
  g_autoptr (GVariant) caps = NULL;
  const char *zone = NULL;
  GVariantBuilder many, none;

  start_daemon (f);
  unlock_admin (f, PIN);
  assert_refused (f, "SetSchedule", schedule_args (0, 0, 60, NAN, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (8, 0, 60, NAN, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 1440, NAN, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 1440, 0, NAN, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, 1.5, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, -0.5, "UTC"), ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, INFINITY, "UTC"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, NAN, "Mars/Olympus_Mons"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, NAN, "../../etc/passwd"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetSchedule", schedule_args (1, 0, 60, NAN, "/etc/localtime"),
                  ERR "InvalidArgument");
  /* a good entry before a bad one: still nothing */
  g_variant_builder_init (&many, G_VARIANT_TYPE ("a(uuu)"));
  for (guint i = 0; i < 101; i++)
    g_variant_builder_add (&many, "(uuu)", 1u + i % 7, 0u, 60u);
  g_variant_builder_init (&none, G_VARIANT_TYPE ("a(uuud)"));
  assert_refused (f, "SetSchedule",
                  g_variant_new ("(a(uuu)a(uuud)s)", &many, &none, "Europe/Berlin"),
                  ERR "InvalidArgument");
  g_assert_cmpint (stored_rows (f), ==, 0);

  reply = call_get (f, "GetSchedule", NULL);
  g_variant_get (reply, "(@a(uuu)@a(uuud)&s)", &hours, &caps, &zone);
  g_assert_cmpuint (g_variant_n_children (hours), ==, 0);
  g_assert_cmpuint (g_variant_n_children (caps), ==, 0);
  g_assert_cmpstr (zone, !=, "");
}

/* Closed now: paused, the same track held, the cap on Volume; open again:
 * the same track plays on. */
static void
test_closed_pauses (Fixture *f, gconstpointer data)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  /* the day after tomorrow, all day: closed today whatever the hour */
  guint other = (guint) ((g_date_time_get_day_of_week (now) + 1) % 7) + 1;
  g_autoptr (GVariant) set = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) hours = NULL;
  g_autoptr (GVariant) caps = NULL;
  g_autofree char *held = NULL, *after = NULL;
  const char *zone = NULL;
  const double quarter = 0.25, full = 1.0;
  guint weekday = 0, from = 1, to = 1;
  double cap = 0;

  start_daemon (f);
  wait_playing (f);
  unlock_admin (f, PIN);

  wait_track_start (f);
  set = call_get (f, "SetSchedule", schedule_args (other, 0, 0, 0.25, "UTC"));
  if (!spin_until (audio_is, f, "paused", 10))
    g_error ("AudioStatus is not 'paused' 10 s after a schedule closed the venue");
  if (!spin_until (volume_is, f, &quarter, 10))
    g_error ("Volume is %g, not the cap 0.25", sk_dbus_kiosk1_get_volume (f->kiosk));
  g_assert_cmpstr (sk_dbus_kiosk1_get_player_status (f->kiosk), ==, "playing");
  held = song_playing (f);
  g_assert_cmpstr (held, !=, "");
  g_assert_cmpint (stored_rows (f), ==, 3);
  /* a manager's Resume does not open a closed venue */
  assert_refused (f, "Resume", NULL, ERR "NotAllowed");
  g_assert_true (audio_is (f, "paused"));

  reply = call_get (f, "GetSchedule", NULL);
  g_variant_get (reply, "(@a(uuu)@a(uuud)&s)", &hours, &caps, &zone);
  g_assert_cmpstr (zone, ==, "UTC");
  g_assert_cmpuint (g_variant_n_children (hours), ==, 1);
  g_variant_get_child (hours, 0, "(uuu)", &weekday, &from, &to);
  g_assert_cmpuint (weekday, ==, other);
  g_assert_cmpuint (from, ==, 0);
  g_assert_cmpuint (to, ==, 0);
  g_variant_get_child (caps, 0, "(uuud)", &weekday, &from, &to, &cap);
  g_assert_cmpfloat (cap, ==, 0.25);

  /* paused, not stopped: after a while the same track is still the one */
  {
    gboolean done = FALSE;
    guint timer = g_timeout_add (1500, on_timeout, &done);

    while (!done)
      g_main_context_iteration (NULL, TRUE);
    (void) timer;
  }
  after = song_playing (f);
  g_assert_cmpstr (after, ==, held);
  g_assert_true (audio_is (f, "paused"));

  g_clear_pointer (&set, g_variant_unref);
  set = call_get (f, "SetSchedule", schedule_args (0, 0, 0, NAN, "UTC"));
  if (!spin_until (audio_is, f, "playing", 10))
    g_error ("AudioStatus is not 'playing' 10 s after the venue opened");
  if (!spin_until (volume_is, f, &full, 10))
    g_error ("Volume is %g, not 1 once the cap is gone", sk_dbus_kiosk1_get_volume (f->kiosk));
  g_clear_pointer (&after, g_free);
  after = song_playing (f);
  g_assert_cmpstr (after, ==, held);

  /* the log, as the manager reads it on the admin page: each change of
   * the hours in words, no jargon */
  {
    g_autoptr (GVariant) log = call_get (f, "GetRecentLog", g_variant_new ("(u)", 1000u));
    g_autofree char *text = g_variant_print (log, FALSE);
    const char *at_start, *closed, *opened;

    g_test_message ("%s", text);
    at_start = strstr (text, "No opening hours are set: the music plays at all hours");
    closed = strstr (text, "Outside the opening hours: the music is paused until the venue opens");
    g_assert_nonnull (at_start);
    g_assert_nonnull (closed);
    g_assert_true (at_start < closed);
    opened = strstr (closed, "No opening hours are set: the music plays at all hours");
    g_assert_nonnull (opened);
    g_assert_null (strstr (text, "(schedule)"));
  }
}

/* The schedule's time zone is a setting too: SetSetting time_zone moves
 * the venue's hours at once.  Open all day on Kiritimati's today and
 * tomorrow (UTC+14), the venue plays; in Etc/GMT+12 (UTC-12), 26 hours
 * behind, it is always another day there, so the venue closes. */
static void
test_time_zone_setting (Fixture *f, gconstpointer data)
{
  g_autoptr (GTimeZone) east = g_time_zone_new_identifier ("Pacific/Kiritimati");
  g_autoptr (GDateTime) there = NULL;
  g_autoptr (GVariant) set = NULL;
  g_autoptr (GVariant) done = NULL;
  GVariantBuilder hours, caps;
  guint today;

  if (east == NULL)
    {
      g_test_skip ("this system has no time zone data for Pacific/Kiritimati");
      return;
    }
  there = g_date_time_new_now (east);
  today = (guint) g_date_time_get_day_of_week (there);
  g_variant_builder_init (&hours, G_VARIANT_TYPE ("a(uuu)"));
  g_variant_builder_init (&caps, G_VARIANT_TYPE ("a(uuud)"));
  g_variant_builder_add (&hours, "(uuu)", today, 0u, 0u);
  g_variant_builder_add (&hours, "(uuu)", today % 7 + 1, 0u, 0u);

  start_daemon (f);
  wait_playing (f);
  unlock_admin (f, PIN);
  set = call_get (f, "SetSchedule",
                  g_variant_new ("(a(uuu)a(uuud)s)", &hours, &caps, "Pacific/Kiritimati"));
  g_assert_true (audio_is (f, "playing"));

  done = call_get (f, "SetSetting", g_variant_new ("(ss)", "time_zone", "Etc/GMT+12"));
  if (!spin_until (audio_is, f, "paused", 10))
    g_error ("AudioStatus is not 'paused' 10 s after time_zone moved the venue to another day");
  g_assert_cmpstr (sk_dbus_kiosk1_get_player_status (f->kiosk), ==, "playing");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dbus/schedule/refused-while-locked", test_refused_while_locked);
  ADD ("/dbus/schedule/bad-arguments", test_bad_arguments);
  ADD ("/dbus/schedule/closed-pauses", test_closed_pauses);
  ADD ("/dbus/schedule/time-zone-setting", test_time_zone_setting);
  return g_test_run ();
}
