/* test-schedule.c: opening hours and volume caps in the venue's time zone
 * (sk-schedule.h), across midnight, the end of the week and both changes
 * of daylight saving time, and the schedule applied to a real playback at
 * the engine's clock, which the test moves (sk-scheduler.h).
 *
 * Every instant is written in UTC, with the venue's wall clock beside it:
 * Europe/Berlin is UTC+1 in winter (CET) and UTC+2 in summer (CEST); in
 * 2026 its clocks go from 02:00 to 03:00 at 01:00 UTC on Sunday 29 March
 * and from 03:00 back to 02:00 at 01:00 UTC on Sunday 25 October. */
#include "config.h"

#include <math.h>

#include "sk-playback.h"
#include "sk-schedule.h"
#include "sk-scheduler.h"
#include "sk-settings.h"
#include "sk-test-util.h"

#define MON 1
#define FRI 5
#define SAT 6
#define SUN 7

static gint64
utc (int year, int month, int day, int hour, int minute, int second)
{
  g_autoptr (GDateTime) t = g_date_time_new_utc (year, month, day, hour, minute, second);

  return g_date_time_to_unix (t) * G_USEC_PER_SEC;
}

static SkSchedule *
berlin (void)
{
  g_autoptr (GError) error = NULL;
  SkSchedule *s = sk_schedule_new ("Europe/Berlin", &error);

  g_assert_no_error (error);
  return s;
}

static void
add_opening (SkSchedule *s, guint weekday, guint opens, guint closes)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_schedule_add_opening (s, weekday, opens, closes, &error));
  g_assert_no_error (error);
}

static void
add_cap (SkSchedule *s, guint weekday, guint from, guint to, double cap)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_schedule_add_cap (s, weekday, from, to, cap, &error));
  g_assert_no_error (error);
}

#define assert_open(s, t) g_assert_true (sk_schedule_is_open ((s), (t)))
#define assert_closed(s, t) g_assert_false (sk_schedule_is_open ((s), (t)))

/* No opening hours: always open, no cap, no change to wait for. */
static void
test_empty (void)
{
  g_autoptr (SkSchedule) s = berlin ();

  assert_open (s, utc (2026, 1, 16, 3, 0, 0));
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 16, 3, 0, 0)), ==, 1.0);
  g_assert_cmpint (sk_schedule_next_change (s, utc (2026, 1, 16, 3, 0, 0)), ==, G_MAXINT64);
}

/* Friday 18:00 to Saturday 02:00, and Sunday 22:00 to Monday 01:00 (the
 * week's end): each runs across midnight into the next day. */
static void
test_across_midnight (void)
{
  g_autoptr (SkSchedule) s = berlin ();

  add_opening (s, FRI, 18 * 60, 2 * 60);
  add_opening (s, SUN, 22 * 60, 1 * 60);
  /* Friday 16 January 2026, CET */
  assert_closed (s, utc (2026, 1, 16, 16, 59, 59)); /* Fri 17:59:59 */
  assert_open (s, utc (2026, 1, 16, 17, 0, 0));     /* Fri 18:00 */
  assert_open (s, utc (2026, 1, 16, 23, 30, 0));    /* Sat 00:30 */
  assert_open (s, utc (2026, 1, 17, 0, 59, 59));    /* Sat 01:59:59 */
  assert_closed (s, utc (2026, 1, 17, 1, 0, 0));    /* Sat 02:00 */
  assert_closed (s, utc (2026, 1, 17, 11, 0, 0));   /* Sat 12:00 */
  assert_closed (s, utc (2026, 1, 18, 20, 59, 0));  /* Sun 21:59 */
  assert_open (s, utc (2026, 1, 18, 21, 0, 0));     /* Sun 22:00 */
  assert_open (s, utc (2026, 1, 18, 23, 30, 0));    /* Mon 00:30 */
  assert_closed (s, utc (2026, 1, 19, 0, 0, 0));    /* Mon 01:00 */
  /* a week later, the same */
  assert_open (s, utc (2026, 1, 23, 17, 0, 0));
  /* what comes next: the Friday opening, then its closing */
  g_assert_cmpint (sk_schedule_next_change (s, utc (2026, 1, 16, 12, 0, 0)), ==,
                   utc (2026, 1, 16, 17, 0, 0));
  g_assert_cmpint (sk_schedule_next_change (s, utc (2026, 1, 16, 17, 0, 0)), ==,
                   utc (2026, 1, 17, 1, 0, 0));
}

/* Equal opening and closing times: 24 hours. */
static void
test_whole_day (void)
{
  g_autoptr (SkSchedule) s = berlin ();

  add_opening (s, MON, 0, 0);
  assert_closed (s, utc (2026, 1, 18, 22, 59, 59)); /* Sun 23:59:59 */
  assert_open (s, utc (2026, 1, 18, 23, 0, 0));     /* Mon 00:00 */
  assert_open (s, utc (2026, 1, 19, 22, 59, 59));   /* Mon 23:59:59 */
  assert_closed (s, utc (2026, 1, 19, 23, 0, 0));   /* Tue 00:00 */
}

/* Spring: the wall clock skips from 02:00 to 03:00. A closing time in the
 * skipped hour closes at 03:00 CEST, an opening time in it opens then, and
 * the times after it keep their wall-clock meaning. */
static void
test_spring_forward (void)
{
  g_autoptr (SkSchedule) late = berlin ();
  g_autoptr (SkSchedule) early = berlin ();
  g_autoptr (SkSchedule) day = berlin ();

  add_opening (late, SAT, 20 * 60, 2 * 60 + 30);     /* Saturday 20:00 to 02:30 */
  assert_open (late, utc (2026, 3, 28, 19, 0, 0));   /* Sat 20:00 CET */
  assert_open (late, utc (2026, 3, 29, 0, 59, 59));  /* Sun 01:59:59 CET */
  assert_closed (late, utc (2026, 3, 29, 1, 0, 0));  /* Sun 03:00 CEST */
  assert_closed (late, utc (2026, 3, 29, 1, 30, 0)); /* Sun 03:30 CEST */
  g_assert_cmpint (sk_schedule_next_change (late, utc (2026, 3, 29, 0, 0, 0)), ==,
                   utc (2026, 3, 29, 1, 0, 0));

  add_opening (early, SUN, 2 * 60 + 30, 4 * 60);       /* Sunday 02:30 to 04:00 */
  assert_closed (early, utc (2026, 3, 29, 0, 59, 59)); /* 01:59:59 CET */
  assert_open (early, utc (2026, 3, 29, 1, 0, 0));     /* 03:00 CEST */
  assert_open (early, utc (2026, 3, 29, 1, 59, 59));   /* 03:59:59 CEST */
  assert_closed (early, utc (2026, 3, 29, 2, 0, 0));   /* 04:00 CEST */
  g_assert_cmpint (sk_schedule_next_change (early, utc (2026, 3, 29, 0, 0, 0)), ==,
                   utc (2026, 3, 29, 1, 0, 0));

  add_opening (day, SAT, 10 * 60, 18 * 60);
  add_opening (day, SUN, 10 * 60, 18 * 60);
  assert_closed (day, utc (2026, 3, 28, 8, 59, 0)); /* Sat 09:59 CET */
  assert_open (day, utc (2026, 3, 28, 9, 0, 0));    /* Sat 10:00 CET */
  assert_closed (day, utc (2026, 3, 29, 7, 59, 0)); /* Sun 09:59 CEST */
  assert_open (day, utc (2026, 3, 29, 8, 0, 0));    /* Sun 10:00 CEST */
  assert_open (day, utc (2026, 3, 29, 15, 59, 0));  /* Sun 17:59 CEST */
  assert_closed (day, utc (2026, 3, 29, 16, 0, 0)); /* Sun 18:00 CEST */
}

/* Autumn: the wall clock goes back from 03:00 to 02:00, so 02:00 to 03:00
 * happens twice. A closing time in that hour closes at its first
 * occurrence and the venue stays closed through the second; Sunday has 25
 * hours. */
static void
test_fall_back (void)
{
  g_autoptr (SkSchedule) late = berlin ();
  g_autoptr (SkSchedule) sunday = berlin ();
  g_autoptr (SkSchedule) capped = berlin ();

  add_opening (late, SAT, 20 * 60, 2 * 60 + 30);       /* Saturday 20:00 to 02:30 */
  assert_closed (late, utc (2026, 10, 24, 17, 59, 0)); /* Sat 19:59 CEST */
  assert_open (late, utc (2026, 10, 24, 18, 0, 0));    /* Sat 20:00 CEST */
  assert_open (late, utc (2026, 10, 25, 0, 29, 59));   /* Sun 02:29:59 CEST */
  assert_closed (late, utc (2026, 10, 25, 0, 30, 0));  /* Sun 02:30 CEST */
  assert_closed (late, utc (2026, 10, 25, 1, 0, 0));   /* Sun 02:00 CET, again */
  assert_closed (late, utc (2026, 10, 25, 1, 15, 0));  /* Sun 02:15 CET */
  assert_closed (late, utc (2026, 10, 25, 1, 30, 0));  /* Sun 02:30 CET */
  g_assert_cmpint (sk_schedule_next_change (late, utc (2026, 10, 25, 0, 0, 0)), ==,
                   utc (2026, 10, 25, 0, 30, 0));
  /* the next change after the closing is next Saturday's opening */
  g_assert_cmpint (sk_schedule_next_change (late, utc (2026, 10, 25, 0, 30, 0)), ==,
                   utc (2026, 10, 31, 19, 0, 0));

  add_opening (sunday, SUN, 0, 0);                        /* all Sunday: 25 hours */
  assert_closed (sunday, utc (2026, 10, 24, 21, 59, 59)); /* Sat 23:59:59 CEST */
  assert_open (sunday, utc (2026, 10, 24, 22, 0, 0));     /* Sun 00:00 CEST */
  assert_open (sunday, utc (2026, 10, 25, 22, 59, 59));   /* Sun 23:59:59 CET */
  assert_closed (sunday, utc (2026, 10, 25, 23, 0, 0));   /* Mon 00:00 CET */

  add_cap (capped, SUN, 2 * 60, 3 * 60, 0.2); /* 02:00 to 03:00: two hours that day */
  g_assert_cmpfloat (sk_schedule_get_cap (capped, utc (2026, 10, 24, 23, 59, 0)), ==, 1.0);
  g_assert_cmpfloat (sk_schedule_get_cap (capped, utc (2026, 10, 25, 0, 0, 0)), ==, 0.2);
  g_assert_cmpfloat (sk_schedule_get_cap (capped, utc (2026, 10, 25, 1, 30, 0)), ==, 0.2);
  g_assert_cmpfloat (sk_schedule_get_cap (capped, utc (2026, 10, 25, 2, 0, 0)), ==, 1.0);
}

/* Caps across midnight; where two hold, the lower. */
static void
test_caps (void)
{
  g_autoptr (SkSchedule) s = berlin ();

  add_cap (s, FRI, 22 * 60, 7 * 60, 0.3);
  add_cap (s, FRI, 23 * 60, 1 * 60, 0.5);
  assert_open (s, utc (2026, 1, 16, 22, 30, 0)); /* caps do not close */
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 16, 20, 0, 0)), ==, 1.0);  /* 21:00 */
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 16, 21, 0, 0)), ==, 0.3);  /* 22:00 */
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 16, 22, 30, 0)), ==, 0.3); /* 23:30 */
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 17, 2, 0, 0)), ==, 0.3);   /* 03:00 */
  g_assert_cmpfloat (sk_schedule_get_cap (s, utc (2026, 1, 17, 6, 0, 0)), ==, 1.0);   /* 07:00 */
}

/* Each bad entry or zone is refused with a sentence, and adds nothing. */
static void
test_refused (void)
{
  g_autoptr (SkSchedule) s = berlin ();
  const char *zones[] = { "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                          "CET-1CEST",         "Europe/Berlin\n",  "+01:00" };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (zones); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkSchedule) none = sk_schedule_new (zones[i], &error);

      g_assert_null (none);
      g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
      g_test_message ("%s: %s", zones[i], error->message);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (sk_schedule_add_opening (s, 0, 60, 120, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (sk_schedule_add_opening (s, 8, 60, 120, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (sk_schedule_add_opening (s, MON, 60, 1440, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (sk_schedule_add_cap (s, MON, 60, 120, 1.5, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (sk_schedule_add_cap (s, MON, 60, 120, -0.1, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_false (sk_schedule_add_cap (s, MON, 60, 120, NAN, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    g_clear_error (&error);
  }
  sk_schedule_get_opening (s, &n);
  g_assert_cmpuint (n, ==, 0);
  sk_schedule_get_caps (s, &n);
  g_assert_cmpuint (n, ==, 0);
  for (guint i = 0; i < SK_SCHEDULE_MAX_ENTRIES; i++)
    add_opening (s, 1 + i % 7, 60, 120);
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (sk_schedule_add_opening (s, MON, 60, 120, &error));
    g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
  }
}

static void
count_change (guint *changes)
{
  (*changes)++;
}

typedef struct
{
  char *dir;
  SkTestClock clock;
  SkEngine *engine;
  SkStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = sk_test_mkdtemp ();
  f->clock.now = utc (2026, 1, 16, 12, 0, 0);
  f->engine = sk_test_engine_new (f->dir, &f->clock);
  f->store = sk_engine_get_store (f->engine);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->engine);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
}

/* Saved whole and read back; the zone is a setting, checked as one. */
static void
test_stored (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkSchedule) s = berlin ();
  g_autoptr (SkSchedule) back = NULL;
  g_autoptr (SkSchedule) empty = NULL;
  g_autofree char *zone = NULL;
  const SkScheduleEntry *e;
  guint n = 0;

  empty = sk_schedule_load (f->store);
  g_assert_cmpstr (sk_schedule_get_time_zone (empty), ==, "");
  g_assert_cmpstr (sk_schedule_get_zone_name (empty), !=, "");

  add_opening (s, FRI, 18 * 60, 2 * 60);
  add_cap (s, SAT, 0, 420, 0.25);
  g_assert_true (sk_schedule_save (s, f->store, &error));
  g_assert_no_error (error);
  back = sk_schedule_load (f->store);
  g_assert_cmpstr (sk_schedule_get_time_zone (back), ==, "Europe/Berlin");
  e = sk_schedule_get_opening (back, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (e[0].weekday, ==, FRI);
  g_assert_cmpuint (e[0].from, ==, 18 * 60);
  g_assert_cmpuint (e[0].to, ==, 2 * 60);
  e = sk_schedule_get_caps (back, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpfloat (e[0].cap, ==, 0.25);
  zone = sk_settings_dup_string (f->store, "time_zone");
  g_assert_cmpstr (zone, ==, "Europe/Berlin");

  /* the setting refuses a zone that is not one, and keeps the old */
  g_assert_false (sk_settings_set (f->store, "time_zone", "Europe/Atlantis", &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_pointer (&zone, g_free);
  zone = sk_settings_dup_string (f->store, "time_zone");
  g_assert_cmpstr (zone, ==, "Europe/Berlin");
}

/* A damaged stored schedule is said and read as none: the venue plays. */
static void
test_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkSchedule) s = NULL;
  guint n = 1;

  g_assert_true (sk_store_set_setting (f->store, "schedule_opening_hours", "[[9,0,60]]", &error));
  g_test_expect_message ("sk-schedule", G_LOG_LEVEL_WARNING, "*stored schedule cannot be read*");
  s = sk_schedule_load (f->store);
  g_test_assert_expected_messages ();
  sk_schedule_get_opening (s, &n);
  g_assert_cmpuint (n, ==, 0);
  assert_open (s, f->clock.now);
}

/* The schedule applied to a running playback at the engine's clock:
 * paused (not stopped) at closing, resumed at opening, and the cap on the
 * volume heard. */
static void
test_applied (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkSchedule) s = berlin ();
  g_autoptr (SkMediaCache) cache = NULL;
  g_autoptr (SkPlayback) playback = NULL;
  g_autoptr (SkScheduler) scheduler = NULL;
  g_autofree char *cache_dir = g_build_filename (f->dir, "media", NULL);
  g_autofree char *out = g_build_filename (f->dir, "out.raw", NULL);
  g_autofree char *pcm = g_strdup_printf ("file:'%s',raw", out);
  SkAudioPlayer *player;
  guint changes = 0;

  add_opening (s, FRI, 18 * 60, 2 * 60);
  add_cap (s, FRI, 22 * 60, 7 * 60, 0.3);
  g_assert_true (sk_schedule_save (s, f->store, &error));
  g_assert_no_error (error);
  g_assert_true (sk_settings_set (f->store, "volume", "0.8", &error));

  cache = sk_media_cache_new (f->store, cache_dir, 0);
  playback = sk_playback_new (f->engine, cache, pcm);
  player = sk_playback_get_player (playback);
  g_assert_true (sk_playback_start (playback, &error));
  g_assert_no_error (error);

  /* Friday 13:00 CET: closed */
  scheduler = sk_scheduler_new (f->engine, playback);
  g_signal_connect_swapped (scheduler, "changed", G_CALLBACK (count_change), &changes);
  g_assert_false (sk_scheduler_is_open (scheduler));
  g_assert_cmpint (sk_audio_player_get_state (player), ==, SK_AUDIO_STATE_PAUSED);
  g_assert_cmpfloat (sk_playback_get_volume (playback), ==, 0.8);

  /* 18:00: open, playing again; nothing changes until the next change */
  f->clock.now = utc (2026, 1, 16, 17, 0, 0);
  sk_scheduler_apply (scheduler);
  g_assert_true (sk_scheduler_is_open (scheduler));
  g_assert_cmpint (sk_audio_player_get_state (player), !=, SK_AUDIO_STATE_PAUSED);
  g_assert_cmpint (sk_audio_player_get_state (player), !=, SK_AUDIO_STATE_STOPPED);
  g_assert_cmpuint (changes, ==, 1);
  sk_scheduler_apply (scheduler);
  g_assert_cmpuint (changes, ==, 1);

  /* 22:00: the cap, over the setting */
  f->clock.now = utc (2026, 1, 16, 21, 0, 0);
  sk_scheduler_apply (scheduler);
  g_assert_cmpfloat (sk_scheduler_get_cap (scheduler), ==, 0.3);
  g_assert_cmpfloat (sk_playback_get_volume (playback), ==, 0.3);

  /* Saturday 02:00: closed, paused */
  f->clock.now = utc (2026, 1, 17, 1, 0, 0);
  sk_scheduler_apply (scheduler);
  g_assert_false (sk_scheduler_is_open (scheduler));
  g_assert_cmpint (sk_audio_player_get_state (player), ==, SK_AUDIO_STATE_PAUSED);

  /* Saturday 08:00: still closed, the cap over */
  f->clock.now = utc (2026, 1, 17, 7, 0, 0);
  sk_scheduler_apply (scheduler);
  g_assert_cmpfloat (sk_playback_get_volume (playback), ==, 0.8);
  g_assert_cmpint (sk_audio_player_get_state (player), ==, SK_AUDIO_STATE_PAUSED);

  /* a new schedule applies at once: always open */
  g_assert_true (sk_scheduler_set_schedule (scheduler, berlin (), &error));
  g_assert_no_error (error);
  g_assert_true (sk_scheduler_is_open (scheduler));
  g_assert_cmpint (sk_audio_player_get_state (player), !=, SK_AUDIO_STATE_PAUSED);
  sk_playback_stop (playback);
  sk_media_cache_prefetch (cache, NULL, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/schedule/empty", test_empty);
  g_test_add_func ("/schedule/across-midnight", test_across_midnight);
  g_test_add_func ("/schedule/whole-day", test_whole_day);
  g_test_add_func ("/schedule/spring-forward", test_spring_forward);
  g_test_add_func ("/schedule/fall-back", test_fall_back);
  g_test_add_func ("/schedule/caps", test_caps);
  g_test_add_func ("/schedule/refused", test_refused);
  g_test_add ("/schedule/stored", Fixture, NULL, fixture_setup, test_stored, fixture_teardown);
  g_test_add ("/schedule/damaged", Fixture, NULL, fixture_setup, test_damaged, fixture_teardown);
  g_test_add ("/schedule/applied", Fixture, NULL, fixture_setup, test_applied, fixture_teardown);
  return g_test_run ();
}
