/* test-paced.c: the paced test PCM behaves like a sound card, seen through
 * the real alsa-lib by a writer of the test's own.
 *
 * No assertion here is on a time: the pacing is checked as a property with
 * wide bounds (what was consumed is of the order of elapsed × rate ×
 * speed, never ahead of the clock), and the 150 ms stall outlasts the
 * 100 ms buffer by half; a machine that starves the writer anyway gets
 * another try (see test_stall). */
#include "config.h"

#include <alsa/asoundlib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sk-paced.h"
#include "sk-test-util.h"

#define RATE 48000
#define CHANNELS 2
#define PERIOD 1200 /* 25 ms */
#define PERIODS 4   /* a 100 ms buffer */
/* Faster than 1×, a buffer of a second: 100 ms of wall-clock time at 10×,
 * so that a busy machine does not starve the writer. */
#define FAST_PERIODS 40

static char *tmp_dir;
static char *skip_reason;

typedef struct
{
  char *dir;
  char *out;
  char *stats;
  snd_pcm_t *pcm;
  gint16 *period;
  guint periods;
  guint64 frames_written;
} Fixture;

static void
fill_period (Fixture *fx)
{
  /* each frame carries its own number, so that the copy can be checked */
  for (guint i = 0; i < PERIOD; i++)
    {
      guint64 n = fx->frames_written + i;

      fx->period[2 * i] = (gint16) (n & 0xffff);
      fx->period[2 * i + 1] = (gint16) ((n >> 16) & 0xffff);
    }
}

static void
fixture_open (Fixture *fx, double speed, guint periods)
{
  g_autofree char *name = NULL;
  snd_pcm_hw_params_t *hw;
  snd_pcm_sw_params_t *sw;
  snd_pcm_uframes_t period = PERIOD;
  snd_pcm_uframes_t buffer = PERIOD * periods;
  unsigned int rate = RATE;
  int err;

  fx->dir = g_dir_make_tmp ("sk-paced-XXXXXX", NULL);
  g_assert_nonnull (fx->dir);
  fx->out = g_build_filename (fx->dir, "out.raw", NULL);
  fx->stats = g_build_filename (fx->dir, "stats", NULL);
  fx->period = g_new0 (gint16, PERIOD * CHANNELS);
  name = sk_paced_pcm_name (speed, fx->out, fx->stats);

  err = snd_pcm_open (&fx->pcm, name, SND_PCM_STREAM_PLAYBACK, 0);
  g_assert_cmpstr (snd_strerror (err < 0 ? err : 0), ==, snd_strerror (0));
  snd_pcm_hw_params_alloca (&hw);
  g_assert_cmpint (snd_pcm_hw_params_any (fx->pcm, hw), >=, 0);
  g_assert_cmpint (snd_pcm_hw_params_set_access (fx->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED), ==,
                   0);
  g_assert_cmpint (snd_pcm_hw_params_set_format (fx->pcm, hw, SND_PCM_FORMAT_S16_LE), ==, 0);
  g_assert_cmpint (snd_pcm_hw_params_set_channels (fx->pcm, hw, CHANNELS), ==, 0);
  g_assert_cmpint (snd_pcm_hw_params_set_rate_near (fx->pcm, hw, &rate, NULL), ==, 0);
  g_assert_cmpuint (rate, ==, RATE);
  g_assert_cmpint (snd_pcm_hw_params_set_period_size_near (fx->pcm, hw, &period, NULL), ==, 0);
  g_assert_cmpint (snd_pcm_hw_params_set_buffer_size_near (fx->pcm, hw, &buffer), ==, 0);
  g_assert_cmpuint (period, ==, PERIOD);
  g_assert_cmpuint (buffer, ==, PERIOD * periods);
  fx->periods = periods;
  g_assert_cmpint (snd_pcm_hw_params (fx->pcm, hw), ==, 0);

  /* start once the buffer is full, as a player does (alsa-lib's default
   * starts at the first frame, with nearly nothing to play) */
  snd_pcm_sw_params_alloca (&sw);
  g_assert_cmpint (snd_pcm_sw_params_current (fx->pcm, sw), ==, 0);
  g_assert_cmpint (snd_pcm_sw_params_set_start_threshold (fx->pcm, sw, buffer), ==, 0);
  g_assert_cmpint (snd_pcm_sw_params (fx->pcm, sw), ==, 0);
}

static void
fixture_close (Fixture *fx)
{
  if (fx->pcm != NULL)
    snd_pcm_close (fx->pcm);
  g_unlink (fx->out);
  g_unlink (fx->stats);
  g_rmdir (fx->dir);
  g_free (fx->out);
  g_free (fx->stats);
  g_free (fx->dir);
  g_free (fx->period);
}

/* One blocking write of a period; returns what snd_pcm_writei said. */
static snd_pcm_sframes_t
write_period (Fixture *fx)
{
  snd_pcm_sframes_t n;

  fill_period (fx);
  n = snd_pcm_writei (fx->pcm, fx->period, PERIOD);
  if (n > 0)
    fx->frames_written += (guint64) n;
  return n;
}

static guint64
consumed (Fixture *fx)
{
  snd_pcm_sframes_t delay = 0;

  g_assert_cmpint (snd_pcm_delay (fx->pcm, &delay), ==, 0);
  g_assert_cmpint (delay, >=, 0);
  g_assert_cmpint (delay, <=, PERIOD * fx->periods);
  return fx->frames_written - (guint64) delay;
}

static void
test_pacing (void)
{
  Fixture fx = { 0 };
  const double speed = 10.0;
  gint64 t0 = 0;
  double elapsed, expected;
  guint64 played;
  guint restarts = 0;

  fixture_open (&fx, speed, FAST_PERIODS);
  /* 10 s of audio at 10× is 1 s; the buffer is 1 s of audio. The
   * first write starts the clock, a little after t0. */
  t0 = g_get_monotonic_time ();
  while (fx.frames_written < 10 * RATE)
    {
      snd_pcm_sframes_t n = write_period (&fx);

      if (n == -EPIPE && restarts < 3)
        {
          /* the machine kept the writer off the cores longer than the
           * buffer lasts: measure again from a new start */
          g_test_message ("underrun after %" G_GUINT64_FORMAT " frames: starting over",
                          fx.frames_written);
          restarts++;
          g_assert_cmpint (snd_pcm_prepare (fx.pcm), ==, 0);
          fx.frames_written = 0;
          t0 = g_get_monotonic_time ();
          continue;
        }
      g_assert_cmpint (n, ==, PERIOD);
    }
  played = consumed (&fx);
  elapsed = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  expected = elapsed * RATE * speed;
  g_test_message ("%.3f s elapsed, %" G_GUINT64_FORMAT " frames played, %.0f expected", elapsed,
                  played, expected);
  /* never ahead of the clock, and not far behind it (a loose bound: the
   * machine may be busy, the build slow) */
  g_assert_cmpfloat ((double) played, <=, expected + 1);
  g_assert_cmpfloat ((double) played, >=, expected / (2 * sk_test_time_factor ()));
  g_assert_cmpuint (played, >=, fx.frames_written - PERIOD * FAST_PERIODS);
  fixture_close (&fx);
}

static void
test_nonblocking_waits (void)
{
  Fixture fx = { 0 };
  snd_pcm_sframes_t n;
  guint would_block = 0;

  fixture_open (&fx, 1.0, PERIODS);
  g_assert_cmpint (snd_pcm_nonblock (fx.pcm, 1), ==, 0);
  /* a full buffer refuses more at once, then poll wakes the writer when a
   * period is free again */
  for (guint i = 0; i < PERIODS; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);
  for (guint i = 0; i < 8; i++)
    {
      fill_period (&fx);
      n = snd_pcm_writei (fx.pcm, fx.period, PERIOD);
      if (n == -EAGAIN)
        {
          would_block++;
          g_assert_cmpint (snd_pcm_wait (fx.pcm, 1000), ==, 1);
          g_assert_cmpint (snd_pcm_avail_update (fx.pcm), >=, PERIOD);
          continue;
        }
      g_assert_cmpint (n, ==, PERIOD);
      fx.frames_written += PERIOD;
    }
  g_assert_cmpuint (would_block, >, 0);
  fixture_close (&fx);
}

/* A writer at 1× (a 100 ms buffer) stalls 150 ms: by sleeping between two
 * writes, or (@inside) inside the next write through the PCM's seam, the
 * one the player's stall test uses. Every -EPIPE is recovered by
 * snd_pcm_prepare(); returns how many there were, after checking that
 * the PCM counted as many and that every frame written was played. */
static guint
stall_once (gboolean inside)
{
  Fixture fx = { 0 };
  SkPacedStats stats = { 0 };
  g_autofree char *reason = NULL;
  guint epipe = 0;

  fixture_open (&fx, 1.0, PERIODS);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);

  if (!inside)
    g_usleep (150 * 1000);
  else if (!sk_paced_stall_next_write (150, &reason))
    g_error ("%s", reason);
  /* a write stalled inside goes through; the one after finds the PCM ran
   * dry meanwhile */

  for (guint i = 0; i < 12; i++)
    {
      snd_pcm_sframes_t n = write_period (&fx);

      while (n == -EPIPE)
        {
          epipe++;
          g_assert_cmpint (snd_pcm_state (fx.pcm), ==, SND_PCM_STATE_XRUN);
          g_assert_cmpint (snd_pcm_prepare (fx.pcm), ==, 0);
          g_assert_cmpint (snd_pcm_state (fx.pcm), ==, SND_PCM_STATE_PREPARED);
          n = write_period (&fx);
        }
      g_assert_cmpint (n, ==, PERIOD);
    }
  g_assert_cmpint (snd_pcm_state (fx.pcm), ==, SND_PCM_STATE_RUNNING);
  g_assert_cmpint (snd_pcm_drain (fx.pcm), ==, 0);

  /* everything written was played, before the stall and after it */
  g_assert_cmpuint (fx.frames_written, ==, 20 * PERIOD);
  g_assert_true (sk_paced_read_stats (fx.stats, &stats));
  g_assert_cmpuint (stats.underruns, ==, epipe);
  g_assert_cmpuint (stats.frames, ==, fx.frames_written);
  fixture_close (&fx);
  return epipe;
}

/* A machine too busy to run the writer within 100 ms makes underruns of
 * its own: up to three runs, one of which must see exactly one. */
static void
test_stall (gconstpointer inside)
{
  guint epipe = 0;

  for (guint i = 0; i < 3; i++)
    {
      epipe = stall_once (GPOINTER_TO_INT (inside));
      if (epipe == 1)
        return;
      g_test_message ("run %u: %u underruns, not one", i + 1, epipe);
    }
  g_test_fail_printf ("three runs, none with exactly one underrun; the last: %u", epipe);
}

static void
test_copies_what_it_plays (void)
{
  Fixture fx = { 0 };
  g_autofree char *data = NULL;
  gsize length = 0;

  fixture_open (&fx, 4.0, FAST_PERIODS);
  for (guint i = 0; i < 3 * FAST_PERIODS; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);
  g_assert_cmpint (snd_pcm_drain (fx.pcm), ==, 0);
  g_assert_true (g_file_get_contents (fx.out, &data, &length, NULL));
  g_assert_cmpuint (length, ==, fx.frames_written * CHANNELS * sizeof (gint16));
  for (guint64 n = 0; n < fx.frames_written; n++)
    {
      gint16 s[CHANNELS];
      guint64 got;

      /* a frame of the file's bytes, as samples */
      memcpy (s, data + n * sizeof s, sizeof s);
      got = (guint16) s[0] | ((guint64) (guint16) s[1] << 16);

      if (got != n)
        g_assert_cmpuint (got, ==, n);
    }
  fixture_close (&fx);
}

static void
test_drop_discards (void)
{
  Fixture fx = { 0 };
  SkPacedStats stats = { 0 };
  struct stat st;

  /* slow: the buffer is still full when it is dropped */
  fixture_open (&fx, 0.01, PERIODS);
  for (guint i = 0; i < PERIODS; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);
  g_assert_cmpint (snd_pcm_drop (fx.pcm), ==, 0);
  g_assert_true (sk_paced_read_stats (fx.stats, &stats));
  g_assert_cmpuint (stats.underruns, ==, 0);
  g_assert_cmpuint (stats.frames, <, fx.frames_written);
  g_assert_cmpint (g_stat (fx.out, &st), ==, 0);
  g_assert_cmpuint ((guint64) st.st_size, ==, stats.frames * CHANNELS * sizeof (gint16));
  fixture_close (&fx);
}

static void
test_pause_stops_the_clock (void)
{
  Fixture fx = { 0 };
  guint64 at_pause, at_resume;

  fixture_open (&fx, 1.0, PERIODS);
  for (guint i = 0; i < PERIODS; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);
  g_assert_cmpint (snd_pcm_pause (fx.pcm, 1), ==, 0);
  at_pause = consumed (&fx);
  /* paused longer than the buffer lasts: no underrun, nothing consumed */
  g_usleep (150 * 1000);
  at_resume = consumed (&fx);
  g_assert_cmpuint (at_resume, ==, at_pause);
  g_assert_cmpint (snd_pcm_pause (fx.pcm, 0), ==, 0);
  for (guint i = 0; i < PERIODS; i++)
    g_assert_cmpint (write_period (&fx), ==, PERIOD);
  g_assert_cmpint (snd_pcm_state (fx.pcm), ==, SND_PCM_STATE_RUNNING);
  fixture_close (&fx);
}

static void
test_skip (gconstpointer reason)
{
  g_test_skip (reason);
}

static void
add (const char *path, GTestFunc func)
{
  if (skip_reason != NULL)
    g_test_add_data_func (path, skip_reason, test_skip);
  else
    g_test_add_func (path, func);
}

static void
add_data (const char *path, gconstpointer data, GTestDataFunc func)
{
  if (skip_reason != NULL)
    g_test_add_data_func (path, skip_reason, test_skip);
  else
    g_test_add_data_func (path, data, func);
}

int
main (int argc, char **argv)
{
  g_autofree char *conf = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("sk-paced-conf-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  conf = g_build_filename (tmp_dir, "asound.conf", NULL);
  if (!sk_paced_setup (tmp_dir, &skip_reason))
    g_assert_nonnull (skip_reason);

  add ("/alsa/paced/pacing-follows-the-clock", test_pacing);
  add ("/alsa/paced/nonblocking-writer-waits-on-poll", test_nonblocking_waits);
  add_data ("/alsa/paced/stall-gives-one-underrun", GINT_TO_POINTER (FALSE), test_stall);
  add_data ("/alsa/paced/stall-inside-a-write", GINT_TO_POINTER (TRUE), test_stall);
  add ("/alsa/paced/copies-what-it-plays", test_copies_what_it_plays);
  add ("/alsa/paced/drop-discards-the-rest", test_drop_discards);
  add ("/alsa/paced/pause-stops-the-clock", test_pause_stops_the_clock);
  status = g_test_run ();

  snd_config_update_free_global ();
  g_unlink (conf);
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_free (skip_reason);
  return status;
}
