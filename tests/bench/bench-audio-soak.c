/* bench-audio-soak: minutes of play through the paced test PCM at 20×
 * with both cores loaded, underruns counted.
 *
 * The player plays a playlist of one track per format (WAV, FLAC,
 * OGG/Vorbis, Opus, MP3; 60 s each, 44.1 kHz except Opus, so most go
 * through the resampler) over and over with a 2 s crossfade, into the
 * paced PCM (tests/alsa/pcm_paced.c) running at 20×, while
 * `stress-ng --cpu 2` keeps both cores busy. The default is the half hour
 * of the budget (90 s); SK_BENCH_SOAK_MINUTES=N plays N minutes.
 * SK_BENCH_SOAK_SPEED changes the speed (to see how the margins matter).
 *
 * The PCM's buffer keeps the wall-clock margins of the player's default
 * at 1× (200 ms in periods of 50 ms): at 20× that is 4 s of audio in
 * periods of 1 s. The output thread must be woken within them and the
 * decoder must keep up at 20 times real time on a loaded core. (The
 * default buffer of 200 ms of audio would last 10 ms at 20×, a margin no
 * kiosk ever has to meet at 1×.)
 *
 * Printed: the audio minutes the PCM consumed, the underruns the player
 * signalled and those the PCM counted itself, the same for a 1-minute
 * unloaded baseline measured first in the same run. Without stress-ng
 * the load is skipped with a note. Exit non-zero only when the player
 * fails (a track fails, the PCM errors, or playback stops advancing). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "sk-audio-player.h"
#include "sk-bench-audio.h"
#include "sk-bench-util.h"
#include "sk-paced.h"
#include "sk-test-util.h"

#define DEFAULT_SPEED 20.0
/* the default's wall-clock time at any speed */
#define BUFFER_US ((guint) (200000 * speed))
#define PERIOD_US ((guint) (50000 * speed))
#define TRACK_S 60.0
#define CROSSFADE_S 2.0
#define DEFAULT_MIN 30.0

typedef struct
{
  guint underruns;
  guint ended;
  guint failed;
  gboolean pcm_error;
} Soak;

static void
on_underrun (SkAudioPlayer *player, guint count, gpointer data)
{
  ((Soak *) data)->underruns = count;
}

static void
on_ended (SkAudioPlayer *player, guint64 track, gpointer data)
{
  ((Soak *) data)->ended++;
}

static void
on_failed (
    SkAudioPlayer *player, guint64 track, const char *path, const GError *error, gpointer data)
{
  g_printerr ("%s: %s\n", path, error->message);
  ((Soak *) data)->failed++;
}

static void
on_pcm_error (SkAudioPlayer *player, const GError *error, gpointer data)
{
  g_printerr ("%s\n", error->message);
  ((Soak *) data)->pcm_error = TRUE;
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Plays @minutes of audio; fills @stats with the PCM's counters and
 * returns the player's underruns, or -1 when playback failed. */
static double speed = DEFAULT_SPEED;
static gboolean realtime;

static int
soak (const char *dir,
      const char *tag,
      GPtrArray *playlist,
      double minutes,
      SkPacedStats *stats,
      double *wall_s)
{
  g_autofree char *stats_name = g_strdup_printf ("stats-%s", tag);
  g_autofree char *stats_path = g_build_filename (dir, stats_name, NULL);
  g_autofree char *pcm = sk_paced_pcm_name (speed, NULL, stats_path);
  g_autoptr (SkAudioPlayer) player = sk_audio_player_new (pcm);
  g_autoptr (GError) error = NULL;
  guint64 target = (guint64) (minutes * 60 * SK_AUDIO_RATE);
  guint64 last_frames = 0;
  gint64 t0, last_progress;
  guint next = 0, tick;
  Soak s = { 0 };
  SkAudioPlayerStats st;

  if (!sk_audio_player_set_buffer_time (player, BUFFER_US, PERIOD_US, &error) ||
      !sk_audio_player_set_crossfade (player, CROSSFADE_S, &error))
    {
      sk_bench_check (FALSE, error->message);
      return -1;
    }
  g_signal_connect (player, "underrun", G_CALLBACK (on_underrun), &s);
  g_signal_connect (player, "track-ended", G_CALLBACK (on_ended), &s);
  g_signal_connect (player, "track-failed", G_CALLBACK (on_failed), &s);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_pcm_error), &s);
  for (; next < 2; next++)
    sk_audio_player_append (player, g_ptr_array_index (playlist, next % playlist->len), 0.0);
  if (!sk_audio_player_start (player, &error))
    {
      sk_bench_check (FALSE, error->message);
      return -1;
    }

  tick = g_timeout_add (50, wake, NULL);
  t0 = last_progress = g_get_monotonic_time ();
  *stats = (SkPacedStats){ 0 };
  while (stats->frames < target && s.failed == 0 && !s.pcm_error)
    {
      g_main_context_iteration (NULL, TRUE);
      /* keep one file waiting behind the playing one */
      while (sk_audio_player_get_n_pending (player) < 1)
        sk_audio_player_append (player, g_ptr_array_index (playlist, next++ % playlist->len), 0.0);
      sk_paced_read_stats (stats_path, stats);
      if (stats->frames > last_frames)
        {
          last_frames = stats->frames;
          last_progress = g_get_monotonic_time ();
        }
      else if (g_get_monotonic_time () - last_progress > 10 * G_USEC_PER_SEC)
        {
          sk_bench_check (FALSE, "playback stopped advancing for 10 s");
          break;
        }
    }
  *wall_s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  sk_audio_player_get_stats (player, &st);
  realtime = st.realtime;
  g_source_remove (tick);
  sk_audio_player_stop (player, FALSE);
  g_clear_object (&player);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  sk_paced_read_stats (stats_path, stats); /* final, now that it is closed */

  if (!sk_bench_check (s.failed == 0, "a track failed to play") ||
      !sk_bench_check (!s.pcm_error, "the paced PCM failed"))
    return -1;
  return (int) s.underruns;
}

static GSubprocess *
start_load (char **note)
{
  g_autofree char *stress = g_find_program_in_path ("stress-ng");
  g_autoptr (GError) error = NULL;
  GSubprocess *proc;

  if (stress == NULL)
    {
      *note = g_strdup ("no load: stress-ng is not installed (tools/install-deps --tests)");
      return NULL;
    }
  /* its own timeout is a backstop: it is stopped by its pid below */
  proc = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                     G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                 &error, stress, "--cpu", "2", "--timeout", "300s", "--quiet",
                                 NULL);
  if (proc == NULL)
    {
      *note = g_strdup_printf ("no load: %s", error->message);
      return NULL;
    }
  *note = g_strdup ("stress-ng --cpu 2 (both cores busy)");
  g_usleep (500 * 1000); /* its workers are running */
  return proc;
}

static void
on_load_exited (GObject *proc, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (proc), result, NULL);
  *(gboolean *) data = TRUE;
}

static void
stop_load (GSubprocess *proc)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean exited = FALSE;
  guint tick = g_timeout_add (50, wake, NULL);

  /* stress-ng stops its workers on SIGTERM; SIGKILL if it does not */
  g_subprocess_wait_async (proc, NULL, on_load_exited, &exited);
  g_subprocess_send_signal (proc, SIGTERM);
  while (!exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!exited)
    {
      g_subprocess_force_exit (proc);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *reason = NULL;
  g_autofree char *note = NULL;
  g_autofree char *loadavg = NULL;
  g_autoptr (GPtrArray) playlist = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) load = NULL;
  const char *env = g_getenv ("SK_BENCH_SOAK_MINUTES");
  const char *env_speed = g_getenv ("SK_BENCH_SOAK_SPEED");
  double minutes = env != NULL ? g_ascii_strtod (env, NULL) : DEFAULT_MIN;
  const SkBenchFormat *formats;
  SkPacedStats base_stats, stats;
  double base_wall = 0, wall = 0;
  guint n_formats;
  int base_underruns, underruns;

  if (!(minutes > 0 && minutes <= 600))
    minutes = DEFAULT_MIN;
  if (env_speed != NULL)
    speed = g_ascii_strtod (env_speed, NULL);
  if (!(speed >= 1 && speed <= 50)) /* the player takes up to 10 s */
    speed = DEFAULT_SPEED;
  if (!sk_paced_setup (dir, &reason))
    {
      printf ("bench-audio-soak: skipped: %s\n", reason);
      sk_test_rmdir (dir);
      return 77;
    }
  formats = sk_bench_audio_formats (&n_formats);
  for (guint f = 0; f < n_formats; f++)
    {
      g_autofree char *name = g_strdup_printf ("track.%s", formats[f].ext);
      char *path = g_build_filename (dir, name, NULL);

      g_ptr_array_add (playlist, path);
      if (!sk_bench_write_music (path, &formats[f], TRACK_S, &error))
        g_error ("%s", error->message);
    }

  printf ("bench-audio-soak: the paced PCM at %.0fx, buffer %u ms in periods of %u ms of "
          "audio (%.0f/%.0f ms of wall-clock time), crossfade %.0f s, a playlist of %u "
          "formats\n",
          speed, BUFFER_US / 1000, PERIOD_US / 1000, BUFFER_US / speed / 1000,
          PERIOD_US / speed / 1000, CROSSFADE_S, n_formats);
  fflush (stdout);

  /* what else the machine runs weighs on the figures as much as stress-ng */
  if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
    {
      g_strdelimit (loadavg, "\n", '\0');
      printf ("load average before the run (1, 5, 15 min; runnable, running/all, last pid): "
              "%s on %u cores\n",
              loadavg, g_get_num_processors ());
      fflush (stdout);
    }

  base_underruns = soak (dir, "baseline", playlist, 1.0, &base_stats, &base_wall);
  load = start_load (&note);
  underruns = soak (dir, "loaded", playlist, minutes, &stats, &wall);
  if (load != NULL)
    stop_load (load);

  printf ("\n%-36s %10s %8s %18s %16s\n", "", "audio min", "wall s", "underruns (player)",
          "underruns (PCM)");
  printf ("%-36s %10.2f %8.1f %18d %16u\n", "baseline: unloaded",
          (double) base_stats.frames / SK_AUDIO_RATE / 60, base_wall, base_underruns,
          base_stats.underruns);
  printf ("%-36s %10.2f %8.1f %18d %16u\n", note, (double) stats.frames / SK_AUDIO_RATE / 60, wall,
          underruns, stats.underruns);
  {
    g_autofree char *played = g_strdup_printf ("audio played, %s (baseline: 1 min unloaded)", note);
    g_autofree char *player = g_strdup_printf ("underruns counted by the player, %s "
                                               "(baseline: unloaded)",
                                               note);
    g_autofree char *pcm = g_strdup_printf ("underruns counted by the PCM, %s "
                                            "(baseline: unloaded)",
                                            note);

    sk_bench_report (played, (double) stats.frames / SK_AUDIO_RATE / 60, "min",
                     (double) base_stats.frames / SK_AUDIO_RATE / 60, NULL);
    sk_bench_report (player, underruns, NULL, base_underruns, "0");
    sk_bench_report (pcm, stats.underruns, NULL, base_stats.underruns, "0");
  }
  printf ("\nthe player's output thread ran at %s\n",
          realtime ? "a real-time priority (SCHED_FIFO)"
                   : "an ordinary priority (no right to a real-time one here)");

  sk_test_rmdir (dir);
  return sk_bench_exit_status ();
}
