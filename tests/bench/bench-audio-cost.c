/* bench-audio-cost: instructions per second of audio that the player
 * spends to decode, resample, mix and write each format.
 *
 * Instructions are counted by valgrind's callgrind, which repeats to the
 * instruction from run to run where hardware counters are not available.
 * This program is both the driver and the measured worker:
 *
 *   bench-audio-cost                 writes test music in each format,
 *                                    short (2 s) and long (12 s), and
 *                                    runs itself under callgrind on each
 *   bench-audio-cost --play FILE     plays FILE through the SkAudioPlayer
 *                                    into a `file` PCM with a `null` slave
 *                                    (no pacing: as fast as it can), to the
 *                                    track's end, then drains and stops
 *   bench-audio-cost --decode FILE   reads FILE with libsndfile alone
 *                                    (sf_readf_float, 4096 frames a call)
 *
 * The figure is (long run − short run) / 10 s: start-up, the ALSA
 * configuration, opening the codec and stopping are the same in both and
 * cancel out. The baseline, measured the same way in the same run, is the
 * decode alone: the player's ratio to it is what the player adds on top
 * of the codec (conversion to float, resampling to 48 kHz, gain, the
 * crossfade path, S16 conversion, ALSA). Every thread's instructions are
 * counted. Without valgrind the benchmark is skipped (exit 77). */
#include "config.h"

#include <glib/gstdio.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk-audio-player.h"
#include "sk-bench-audio.h"
#include "sk-bench-util.h"
#include "sk-test-util.h"

#define SHORT_S 2.0
#define LONG_S 12.0
#define WORKER_TIMEOUT_S 100

/* ---- the workers ---- */

typedef struct
{
  gboolean ended;
  gboolean stopped;
  gboolean failed;
} PlayState;

static void
on_ended (SkAudioPlayer *player, guint64 track, gpointer data)
{
  ((PlayState *) data)->ended = TRUE;
}

static void
on_failed (
    SkAudioPlayer *player, guint64 track, const char *path, const GError *error, gpointer data)
{
  g_printerr ("%s: %s\n", path, error->message);
  ((PlayState *) data)->failed = TRUE;
}

static void
on_pcm_error (SkAudioPlayer *player, const GError *error, gpointer data)
{
  g_printerr ("%s\n", error->message);
  ((PlayState *) data)->failed = TRUE;
}

static void
on_stopped (SkAudioPlayer *player, gpointer data)
{
  ((PlayState *) data)->stopped = TRUE;
}

static gboolean
iterate_until (const gboolean *flag, const gboolean *failed)
{
  gint64 deadline = g_get_monotonic_time () + WORKER_TIMEOUT_S * G_USEC_PER_SEC;

  while (!*flag && !*failed && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return *flag && !*failed;
}

static gboolean
timeout_wakeup (gpointer data)
{
  return G_SOURCE_CONTINUE; /* only wakes iterate_until to look at the clock */
}

static int
work_play (const char *path)
{
  g_autoptr (SkAudioPlayer) player = sk_audio_player_new ("file:'/dev/null',raw");
  g_autoptr (GError) error = NULL;
  PlayState st = { 0 };
  guint tick = g_timeout_add (500, timeout_wakeup, NULL);

  g_signal_connect (player, "track-ended", G_CALLBACK (on_ended), &st);
  g_signal_connect (player, "track-failed", G_CALLBACK (on_failed), &st);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_pcm_error), &st);
  g_signal_connect (player, "stopped", G_CALLBACK (on_stopped), &st);
  if (!sk_audio_player_start (player, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  sk_audio_player_append (player, path, 0.0);
  if (!iterate_until (&st.ended, &st.failed))
    return 1;
  sk_audio_player_stop (player, TRUE);
  if (!iterate_until (&st.stopped, &st.failed))
    return 1;
  g_source_remove (tick);
  return 0;
}

static int
work_decode (const char *path)
{
  SF_INFO info = { 0 };
  SNDFILE *sf = sf_open (path, SFM_READ, &info);
  g_autofree float *buf = NULL;
  sf_count_t n, total = 0;

  if (sf == NULL)
    {
      g_printerr ("%s: %s\n", path, sf_strerror (NULL));
      return 1;
    }
  buf = g_new (float, 4096 * info.channels);
  while ((n = sf_readf_float (sf, buf, 4096)) > 0)
    total += n;
  sf_close (sf);
  return total > 0 ? 0 : 1;
}

/* ---- the driver ---- */

static gboolean
parse_total (const char *out_file, guint64 *total)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (out_file, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "totals:") || g_str_has_prefix (lines[i], "summary:"))
      {
        const char *v = strchr (lines[i], ':') + 1;

        *total = g_ascii_strtoull (v, NULL, 10);
        return *total > 0;
      }
  return FALSE;
}

typedef struct
{
  GSubprocess *proc;
  char *out;
  char *what;
} Run;

/* Starts one worker under callgrind. */
static void
run_start (Run *run,
           const char *valgrind,
           const char *self,
           const char *dir,
           const char *mode,
           const char *file)
{
  static guint serial;
  g_autofree char *name = g_strdup_printf ("callgrind.out.%u", serial++);
  g_autofree char *out_arg = NULL;
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  const char *argv[] = { valgrind, "--tool=callgrind", "--quiet", NULL, self, mode, file, NULL };

  run->out = g_build_filename (dir, name, NULL);
  run->what = g_strdup_printf ("%s %s", mode, file);
  out_arg = g_strdup_printf ("--callgrind-out-file=%s", run->out);
  argv[3] = out_arg;
  /* the test environment's malloc checks would be counted too */
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_PERTURB_");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  run->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (run->proc == NULL)
    g_printerr ("%s: %s\n", run->what, error->message);
}

/* Its instruction count; 0 on failure. */
static guint64
run_finish (Run *run)
{
  g_autoptr (GError) error = NULL;
  guint64 total = 0;

  if (run->proc != NULL && !g_subprocess_wait_check (run->proc, NULL, &error))
    g_printerr ("%s: %s\n", run->what, error->message);
  else if (run->proc != NULL && !parse_total (run->out, &total))
    g_printerr ("%s: no instruction count in %s\n", run->what, run->out);
  g_unlink (run->out);
  g_clear_object (&run->proc);
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->what, g_free);
  return total;
}

/* The short and the long file's counts, the two runs side by side (one
 * per core; the counts do not depend on it). */
static void
count_pair (const char *valgrind,
            const char *self,
            const char *dir,
            const char *mode,
            const char *f_short,
            const char *f_long,
            guint64 *c_short,
            guint64 *c_long)
{
  Run a = { 0 }, b = { 0 };

  run_start (&a, valgrind, self, dir, mode, f_short);
  run_start (&b, valgrind, self, dir, mode, f_long);
  *c_short = run_finish (&a);
  *c_long = run_finish (&b);
}

int
main (int argc, char **argv)
{
  g_autofree char *valgrind = NULL;
  g_autofree char *self = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;
  const SkBenchFormat *formats;
  guint n_formats;
  double play_per_s[8] = { 0 }, decode_per_s[8] = { 0 };

  if (argc == 3 && strcmp (argv[1], "--play") == 0)
    return work_play (argv[2]);
  if (argc == 3 && strcmp (argv[1], "--decode") == 0)
    return work_decode (argv[2]);

  valgrind = g_find_program_in_path ("valgrind");
  if (valgrind == NULL)
    {
      printf ("bench-audio-cost: skipped: valgrind is not installed "
              "(tools/install-deps --tests)\n");
      return 77;
    }
  self = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  dir = sk_test_mkdtemp ();
  formats = sk_bench_audio_formats (&n_formats);
  g_assert_cmpuint (n_formats, <=, G_N_ELEMENTS (play_per_s));

  printf ("bench-audio-cost: instructions per second of audio (callgrind, every thread), "
          "(%.0f s run - %.0f s run) / %.0f s\n",
          LONG_S, SHORT_S, LONG_S - SHORT_S);
  printf ("player: decode + resample to 48 kHz + mix + S16 + ALSA `file` PCM (null slave); "
          "baseline: libsndfile decode alone\n\n");
  printf ("%-11s %6s %18s %18s %8s\n", "format", "rate", "player Minstr/s", "decode Minstr/s",
          "ratio");

  for (guint f = 0; f < n_formats; f++)
    {
      const SkBenchFormat *fmt = &formats[f];
      g_autofree char *base_short = g_strdup_printf ("short.%s", fmt->ext);
      g_autofree char *base_long = g_strdup_printf ("long.%s", fmt->ext);
      g_autofree char *f_short = g_build_filename (dir, base_short, NULL);
      g_autofree char *f_long = g_build_filename (dir, base_long, NULL);
      guint64 p_short, p_long, d_short, d_long;

      if (!sk_bench_write_music (f_short, fmt, SHORT_S, &error) ||
          !sk_bench_write_music (f_long, fmt, LONG_S, &error))
        {
          sk_bench_check (FALSE, error->message);
          g_clear_error (&error);
          continue;
        }
      count_pair (valgrind, self, dir, "--play", f_short, f_long, &p_short, &p_long);
      count_pair (valgrind, self, dir, "--decode", f_short, f_long, &d_short, &d_long);
      if (!sk_bench_check (p_short > 0 && p_long > p_short && d_short > 0 && d_long > d_short,
                           "a run under callgrind failed or counted nothing more for "
                           "more audio"))
        continue;
      play_per_s[f] = (double) (p_long - p_short) / (LONG_S - SHORT_S);
      decode_per_s[f] = (double) (d_long - d_short) / (LONG_S - SHORT_S);
      printf ("%-11s %6d %18.2f %18.2f %7.2fx\n", fmt->name, fmt->rate, play_per_s[f] / 1e6,
              decode_per_s[f] / 1e6, play_per_s[f] / decode_per_s[f]);
      {
        g_autofree char *figure = g_strdup_printf ("player, %s %d Hz: instructions a second of audio "
                                                   "(baseline: decode alone)",
                                                   fmt->name, fmt->rate);

        sk_bench_report (figure, play_per_s[f] / 1e6, "M", decode_per_s[f] / 1e6, NULL);
      }
      fflush (stdout);
      g_unlink (f_short);
      g_unlink (f_long);
    }

  sk_test_rmdir (dir);
  return sk_bench_exit_status ();
}
