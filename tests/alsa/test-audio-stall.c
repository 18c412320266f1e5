/* test-audio-stall.c: the player's output thread, stalled once for 150 ms
 * while it plays through the paced test PCM, sees exactly one underrun,
 * recovers, and the track plays on to its end.
 *
 * The PCM runs at 1×, as a card does, with a buffer of 100 ms: less than
 * the stall, and well above the scheduling delays of a busy machine. The
 * stall is made two ways: by the player's own test hook (the output
 * thread sleeps before its next write) and by the paced PCM (the next
 * snd_pcm_writei() sleeps inside the call, as if the thread had been
 * preempted there). Both sides count: the player's "underrun" signal and
 * the PCM's own counter. No assertion is on a time; every wait is
 * bounded. */
#include "config.h"

#include <alsa/asoundlib.h>
#include <glib/gstdio.h>

#include "sk-audio-player.h"
#include "sk-audio-player-private.h"
#include "sk-paced.h"
#include "sk-test-util.h"

#define SPEED 1.0
#define BUFFER_US 100000
#define PERIOD_US 25000
#define TRACK_SECONDS 4.0
#define STALL_MS 150

static char *conf_dir;
static char *skip_reason;

typedef struct
{
  guint underrun_signals;
  guint last_count;
  guint64 frames_at_underrun;
  guint started;
  guint ended;
  guint failed;
  GError *pcm_error;
  char *stats;
} Observed;

static void
on_underrun (SkAudioPlayer *player, guint count, gpointer data)
{
  Observed *o = data;
  SkPacedStats stats = { 0 };

  o->underrun_signals++;
  o->last_count = count;
  if (sk_paced_read_stats (o->stats, &stats))
    o->frames_at_underrun = stats.frames;
}

static void
on_started (SkAudioPlayer *player, guint64 track, const char *path, gpointer data)
{
  ((Observed *) data)->started++;
}

static void
on_ended (SkAudioPlayer *player, guint64 track, gpointer data)
{
  ((Observed *) data)->ended++;
}

static void
on_failed (
    SkAudioPlayer *player, guint64 track, const char *path, const GError *error, gpointer data)
{
  g_test_message ("track-failed: %s", error->message);
  ((Observed *) data)->failed++;
}

static void
on_pcm_error (SkAudioPlayer *player, const GError *error, gpointer data)
{
  Observed *o = data;

  if (o->pcm_error == NULL)
    o->pcm_error = g_error_copy (error);
}

static guint64
frames_played (const Observed *o)
{
  SkPacedStats stats = { 0 };

  return sk_paced_read_stats (o->stats, &stats) ? stats.frames : 0;
}

typedef gboolean (*Until) (const Observed *o, gconstpointer arg);

/* Runs the main context until @until holds or @seconds pass. */
static gboolean
run_until (const Observed *o, Until until, gconstpointer arg, double seconds)
{
  gint64 deadline = sk_test_deadline_ms ((guint) (seconds * 1000));

  while (!until (o, arg) && o->pcm_error == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      /* the stats file is refreshed every 0.1 s: look a little more often */
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return o->pcm_error == NULL;
}

static gboolean
played_at_least (const Observed *o, gconstpointer frames)
{
  return frames_played (o) >= *(const guint64 *) frames;
}

static gboolean
saw_underrun (const Observed *o, gconstpointer unused)
{
  return o->underrun_signals > 0;
}

static gboolean
saw_end (const Observed *o, gconstpointer unused)
{
  return o->ended > 0;
}

typedef enum
{
  STALL_IN_PLAYER,
  STALL_IN_WRITE,
} StallWhere;

/* One run: a track, a stall, the counts. FALSE, with @why, when the
 * underruns were not exactly the one the stall made (a machine too busy
 * to run the output thread in time makes more); any other failure is an
 * assertion. */
static gboolean
attempt (StallWhere where, char **why)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *wav = g_build_filename (dir, "track.wav", NULL);
  g_autofree char *out = g_build_filename (dir, "out.raw", NULL);
  g_autofree char *stats_path = g_build_filename (dir, "stats", NULL);
  g_autofree char *pcm = sk_paced_pcm_name (SPEED, out, stats_path);
  g_autofree char *reason = NULL;
  g_autoptr (SkAudioPlayer) player = NULL;
  g_autoptr (GError) error = NULL;
  SkAudioPlayerStats st;
  SkPacedStats stats = { 0 };
  Observed o = { 0 };
  guint64 warm = SK_AUDIO_RATE; /* 1 s of audio before the stall */
  guint64 after, whole = (guint64) (TRACK_SECONDS * SK_AUDIO_RATE);
  guint early = 0;

  o.stats = stats_path;
  sk_test_write_wav (wav, TRACK_SECONDS);

  player = sk_audio_player_new (pcm);
  g_assert_true (sk_audio_player_set_buffer_time (player, BUFFER_US, PERIOD_US, &error));
  g_assert_no_error (error);
  g_signal_connect (player, "underrun", G_CALLBACK (on_underrun), &o);
  g_signal_connect (player, "track-started", G_CALLBACK (on_started), &o);
  g_signal_connect (player, "track-ended", G_CALLBACK (on_ended), &o);
  g_signal_connect (player, "track-failed", G_CALLBACK (on_failed), &o);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_pcm_error), &o);
  g_assert_true (sk_audio_player_start (player, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sk_audio_player_append (player, wav, 0.0), !=, 0);

  /* playing steadily first */
  g_assert_true (run_until (&o, played_at_least, &warm, 10.0));
  g_assert_no_error (o.pcm_error);
  g_assert_cmpuint (o.started, ==, 1);
  early = o.underrun_signals;

  if (where == STALL_IN_PLAYER)
    sk_audio_player_stall_output_for_testing (player, STALL_MS);
  else if (!sk_paced_stall_next_write (STALL_MS, &reason))
    g_error ("%s", reason);
  g_assert_true (run_until (&o, saw_underrun, NULL, 5.0));
  g_assert_cmpuint (o.last_count, >=, 1);

  /* recovered: the rest of the track is played, and it ends */
  g_assert_true (run_until (&o, saw_end, NULL, 4 * TRACK_SECONDS / SPEED + 5.0));
  after = o.frames_at_underrun + SK_AUDIO_RATE;
  g_assert_true (run_until (&o, played_at_least, &after, 5.0));
  /* "ended" says the last frame was written; the device plays it (and the
   * idle silence after it) a buffer later */
  g_assert_true (run_until (&o, played_at_least, &whole, 5.0));
  g_assert_no_error (o.pcm_error);
  g_assert_cmpuint (o.failed, ==, 0);
  g_assert_cmpuint (o.ended, ==, 1);
  sk_audio_player_get_stats (player, &st);
  g_assert_cmpuint (st.underruns, ==, o.underrun_signals);

  sk_audio_player_stop (player, FALSE);
  g_clear_object (&player);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* the PCM is closed: its own count is final, and agrees */
  g_assert_true (sk_paced_read_stats (stats_path, &stats));
  g_assert_cmpuint (stats.underruns, ==, o.underrun_signals);
  g_assert_cmpuint (stats.frames, >=, whole);
  g_test_message ("%" G_GUINT64_FORMAT " frames played, %" G_GUINT64_FORMAT
                  " of them after the underrun",
                  stats.frames, stats.frames - o.frames_at_underrun);
  sk_test_rmdir (dir);

  if (o.underrun_signals != 1)
    {
      *why = g_strdup_printf ("%u underruns (%u before the stall), not one", o.underrun_signals,
                              early);
      return FALSE;
    }
  return TRUE;
}

/* A machine busy enough to keep the output thread off a core for longer
 * than the buffer lasts makes underruns of its own: up to three runs, and
 * one must count exactly one. A player that recovers badly fails all three. */
static void
test_stall_gives_one_underrun (gconstpointer data)
{
  g_autofree char *why = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_clear_pointer (&why, g_free);
      if (attempt (GPOINTER_TO_INT (data), &why))
        return;
      g_test_message ("run %u: %s", i + 1, why);
    }
  g_test_fail_printf ("three runs, none with exactly one underrun; the last: %s", why);
}

static void
test_skip (gconstpointer reason)
{
  g_test_skip (reason);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  conf_dir = sk_test_mkdtemp ();
  if (!sk_paced_setup (conf_dir, &skip_reason))
    {
      g_test_add_data_func ("/audio/timing/stall-in-output-thread", skip_reason, test_skip);
      g_test_add_data_func ("/audio/timing/stall-inside-write", skip_reason, test_skip);
    }
  else
    {
      g_test_add_data_func ("/audio/timing/stall-in-output-thread",
                            GINT_TO_POINTER (STALL_IN_PLAYER), test_stall_gives_one_underrun);
      g_test_add_data_func ("/audio/timing/stall-inside-write", GINT_TO_POINTER (STALL_IN_WRITE),
                            test_stall_gives_one_underrun);
    }
  status = g_test_run ();

  snd_config_update_free_global ();
  sk_test_rmdir (conf_dir);
  g_free (conf_dir);
  g_free (skip_reason);
  return status;
}
