/* test-audio-player.c: SkAudioPlayer through real alsa-lib.
 *
 * Each test writes its input files with libsndfile from known samples,
 * plays them into the built-in `file:'OUT',raw` PCM (a `file` plugin over
 * `null`: every frame the player writes lands in OUT, with no pacing) and
 * compares OUT with what should have been played. Where a test must act in
 * the middle of a track (volume, pause), the track is a WAV fed through a
 * named pipe, so the player cannot run ahead of the test. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-audio-player.h"
#include "sk-import.h"
#include "sk-test-util.h"

#define RATE SK_AUDIO_RATE
#define TIMEOUT_S 30

typedef struct
{
  char *dir;
  char *out;
  char *pcm;
  SkAudioPlayer *player;
  GString *log;      /* "started 1 ", "failed 2 ", "ended 1 ", "idle " … */
  GPtrArray *errors; /* of GError, from track-failed */
  gboolean idle;
  gboolean stopped;
  guint started;
} Fixture;

static void
on_started (SkAudioPlayer *player, guint64 track, const char *path, Fixture *f)
{
  g_assert_nonnull (path);
  g_string_append_printf (f->log, "started %" G_GUINT64_FORMAT " ", track);
  f->started++;
}

static void
on_ended (SkAudioPlayer *player, guint64 track, Fixture *f)
{
  g_string_append_printf (f->log, "ended %" G_GUINT64_FORMAT " ", track);
}

static void
on_failed (SkAudioPlayer *player, guint64 track, const char *path, const GError *error, Fixture *f)
{
  g_string_append_printf (f->log, "failed %" G_GUINT64_FORMAT " ", track);
  g_ptr_array_add (f->errors, g_error_copy (error));
}

static void
on_idle (SkAudioPlayer *player, Fixture *f)
{
  g_string_append (f->log, "idle ");
  f->idle = TRUE;
}

static void
on_stopped (SkAudioPlayer *player, Fixture *f)
{
  f->stopped = TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sk-audio-XXXXXX", &error);
  g_assert_no_error (error);
  f->out = g_build_filename (f->dir, "out.raw", NULL);
  f->pcm = g_strdup_printf ("file:'%s',raw", f->out);
  f->player = sk_audio_player_new (f->pcm);
  /* exact content, as fast as the decoder goes */
  sk_audio_player_set_paced (f->player, FALSE);
  f->log = g_string_new (NULL);
  f->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_signal_connect (f->player, "track-started", G_CALLBACK (on_started), f);
  g_signal_connect (f->player, "track-ended", G_CALLBACK (on_ended), f);
  g_signal_connect (f->player, "track-failed", G_CALLBACK (on_failed), f);
  g_signal_connect (f->player, "idle", G_CALLBACK (on_idle), f);
  g_signal_connect (f->player, "stopped", G_CALLBACK (on_stopped), f);
}

static void
rmdir_recursive (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->player);
  /* events still queued for the player are dropped, not delivered */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  rmdir_recursive (f->dir);
  g_free (f->dir);
  g_free (f->out);
  g_free (f->pcm);
  g_string_free (f->log, TRUE);
  g_ptr_array_unref (f->errors);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until *@flag, or fails after TIMEOUT_S. */
static void
wait_for (gboolean *flag)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (TIMEOUT_S, on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_false (timed_out);
}

/* Starts, waits for "idle", drains. */
static void
play_all (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_audio_player_start (f->player, &error));
  g_assert_no_error (error);
  wait_for (&f->idle);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_IDLE);
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_STOPPED);
}

static gint16 *
read_output (Fixture *f, gsize *n_frames)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gint16 *samples;
  gsize len = 0;

  g_file_get_contents (f->out, &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len % 4, ==, 0);
  *n_frames = len / 4;
  /* the file's bytes as samples, in memory of their type */
  samples = g_new (gint16, len / 2 + 1);
  memcpy (samples, data, len);
  return samples;
}

static char *
write_file (Fixture *f,
            const char *name,
            int format,
            int rate,
            int channels,
            const gint16 *samples,
            gsize frames)
{
  char *path = g_build_filename (f->dir, name, NULL);
  SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
  SNDFILE *sf = sf_open (path, SFM_WRITE, &info);

  g_assert_nonnull (sf);
  g_assert_cmpint (sf_writef_short (sf, samples, (sf_count_t) frames), ==, (sf_count_t) frames);
  g_assert_cmpint (sf_close (sf), ==, 0);
  return path;
}

static char *
write_wav (Fixture *f, const char *name, const gint16 *samples, gsize frames)
{
  return write_file (f, name, SF_FORMAT_WAV | SF_FORMAT_PCM_16, RATE, 2, samples, frames);
}

/* Stereo noise with no zero sample, from @seed. */
static gint16 *
noise (gsize frames, guint32 seed)
{
  gint16 *s = g_new (gint16, frames * 2);

  for (gsize i = 0; i < frames * 2; i++)
    {
      seed = seed * 1664525u + 1013904223u;
      s[i] = (gint16) ((int) (seed >> 16) % 20000 - 10000);
      if (s[i] == 0)
        s[i] = 1;
    }
  return s;
}

static gint16 *
dc (gsize frames, gint16 left, gint16 right)
{
  gint16 *s = g_new (gint16, frames * 2);

  for (gsize i = 0; i < frames; i++)
    s[2 * i] = left, s[2 * i + 1] = right;
  return s;
}

/* The first and one past the last frame that is not silent. */
static void
audible_span (const gint16 *out, gsize n, gsize *first, gsize *end)
{
  *first = 0;
  while (*first < n && out[2 * *first] == 0 && out[2 * *first + 1] == 0)
    (*first)++;
  *end = n;
  while (*end > *first && out[2 * (*end - 1)] == 0 && out[2 * (*end - 1) + 1] == 0)
    (*end)--;
}

static void
assert_silent (const gint16 *out, gsize from, gsize to)
{
  for (gsize i = 2 * from; i < 2 * to; i++)
    if (out[i] != 0)
      g_error ("frame %zu is not silent: %d", i / 2, out[i]);
}

/* --- gapless ------------------------------------------------------------- */

static void
test_gapless (Fixture *f, gconstpointer data)
{
  /* lengths that are no multiple of a period or of the decoder's chunk */
  const gsize na = RATE + 1237, nb = RATE / 2 + 611;
  g_autofree gint16 *a = noise (na, 1), *b = noise (nb, 2);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  g_autofree gint16 *out = NULL;
  guint64 ida, idb;
  gsize n, first, end;

  ida = sk_audio_player_append (f->player, pa, 0.0);
  idb = sk_audio_player_append (f->player, pb, 0.0);
  g_assert_cmpuint (ida, !=, 0);
  g_assert_cmpuint (idb, ==, ida + 1);
  g_assert_cmpuint (sk_audio_player_get_n_pending (f->player), ==, 2);
  play_all (f);
  g_assert_cmpstr (f->log->str, ==, "started 1 ended 1 started 2 ended 2 idle ");

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_test_message ("%zu frames of silence before, %zu after", first, n - end);
  g_assert_cmpuint (end - first, ==, na + nb);
  /* a, then b, sample for sample: nothing between them */
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
  g_assert_cmpmem (out + 2 * (first + na), nb * 4, b, nb * 4);
  assert_silent (out, end, n);
}

/* --- crossfade ----------------------------------------------------------- */

static void
test_crossfade_equal_power (Fixture *f, gconstpointer data)
{
  const gsize na = RATE * 21 / 2, nb = RATE * 21 / 2, len = 5 * RATE;
  const double al = 20000, ar = -15000, bl = 10000, br = 12000;
  g_autofree gint16 *a = dc (na, (gint16) al, (gint16) ar);
  g_autofree gint16 *b = dc (nb, (gint16) bl, (gint16) br);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end, fade;
  double worst = 0;

  g_assert_true (sk_audio_player_set_crossfade (f->player, 5.0, &error));
  g_assert_no_error (error);
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  play_all (f);
  g_assert_cmpstr (f->log->str, ==, "started 1 started 2 ended 1 ended 2 idle ");

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na + nb - len);
  fade = first + na - len;
  for (gsize i = first; i < fade; i++)
    g_assert_true (out[2 * i] == (gint16) al && out[2 * i + 1] == (gint16) ar);
  for (gsize i = 0; i < len; i++)
    {
      /* the curve at the middle of frame i: θ = π/2 · (i + ½) / len; half
       * a frame either way moves it by < 0.1 LSB at these levels */
      double theta = G_PI_2 * ((double) i + 0.5) / (double) len;
      double el = al * cos (theta) + bl * sin (theta);
      double er = ar * cos (theta) + br * sin (theta);

      worst = MAX (worst, fabs (out[2 * (fade + i)] - el));
      worst = MAX (worst, fabs (out[2 * (fade + i) + 1] - er));
      if (worst > 2.0)
        g_error ("frame %zu of the fade: %d %d, expected %.1f %.1f", i, out[2 * (fade + i)],
                 out[2 * (fade + i) + 1], el, er);
    }
  g_test_message ("largest deviation from the equal-power curve: %.2f LSB", worst);
  for (gsize i = fade + len; i < end; i++)
    g_assert_true (out[2 * i] == (gint16) bl && out[2 * i + 1] == (gint16) br);
  assert_silent (out, end, n);
}

/* Two 3 s tracks with a 5 s crossfade: the fade shrinks to half a track. */
static void
test_crossfade_short_tracks (Fixture *f, gconstpointer data)
{
  const gsize na = 3 * RATE, nb = 3 * RATE;
  g_autofree gint16 *a = dc (na, 16000, 16000), *b = dc (nb, 8000, 8000);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  g_assert_true (sk_audio_player_set_crossfade (f->player, 5.0, NULL));
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  play_all (f);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na + nb - na / 2);
  g_assert_cmpint (out[2 * (first + na / 2 - 1)], ==, 16000);
  g_assert_cmpint (out[2 * (end - nb / 2)], ==, 8000);
}

/* Tracks of a frame or two with a long crossfade: the fades shrink to
 * what the tracks hold, down to none. */
static void
test_crossfade_tiny_tracks (Fixture *f, gconstpointer data)
{
  g_autofree gint16 *a = dc (1, 1000, 1000), *b = dc (2, 2000, 2000), *c = dc (100, 3000, 3000);
  g_autofree char *pa = write_wav (f, "a.wav", a, 1);
  g_autofree char *pb = write_wav (f, "b.wav", b, 2);
  g_autofree char *pc = write_wav (f, "c.wav", c, 100);
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  g_assert_true (sk_audio_player_set_crossfade (f->player, SK_AUDIO_CROSSFADE_MAX, NULL));
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  sk_audio_player_append (f->player, pc, 0.0);
  play_all (f);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  /* a, b (no fade: a has no half to give), then b's last frame under c's
   * first (a fade of one frame) */
  g_assert_cmpuint (end - first, ==, 1 + 2 + 100 - 1);
  g_assert_cmpint (out[2 * first], ==, 1000);
  g_assert_cmpint (out[2 * (first + 1)], ==, 2000);
  g_assert_cmpint (out[2 * (end - 1)], ==, 3000);
}

/* --- a WAV through a named pipe, for acting in mid-track ---------------- */

typedef struct
{
  char *path;
  gint16 *samples;
  gsize frames;
  gsize first_part;
  GMutex lock;
  GCond cond;
  gboolean go_on;
  GThread *writer;
} PipeWav;

/* Writes all of @buf unless the reader has gone (a skip closes the file). */
static void
write_all (int fd, const void *buf, gsize len)
{
  while (len > 0)
    {
      gssize n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          g_assert_cmpint (errno, ==, EPIPE);
          return;
        }
      buf = (const guint8 *) buf + n;
      len -= (gsize) n;
    }
}

static gpointer
pipe_writer (gpointer data)
{
  PipeWav *p = data;
  guint32 bytes = (guint32) (p->frames * 4);
  guint8 header[45] = "RIFF____WAVEfmt \x10\0\0\0\x01\0\x02\0________\x04\0\x10\0data____";
  guint32 v;
  int fd;

  v = GUINT32_TO_LE (bytes + 36), memcpy (header + 4, &v, 4);
  v = GUINT32_TO_LE (RATE), memcpy (header + 24, &v, 4);
  v = GUINT32_TO_LE (RATE * 4), memcpy (header + 28, &v, 4);
  v = GUINT32_TO_LE (bytes), memcpy (header + 40, &v, 4);
  fd = g_open (p->path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  write_all (fd, header, 44);
  write_all (fd, p->samples, p->first_part * 4);
  g_mutex_lock (&p->lock);
  while (!p->go_on)
    g_cond_wait (&p->cond, &p->lock);
  g_mutex_unlock (&p->lock);
  write_all (fd, p->samples + 2 * p->first_part, (p->frames - p->first_part) * 4);
  close (fd);
  return NULL;
}

/* Makes the pipe and starts its writer, which blocks until a reader opens
 * it, writes the first part and waits for pipe_go_on(). */
static void
pipe_start (PipeWav *p)
{
  g_assert_cmpint (mkfifo (p->path, 0600), ==, 0);
  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->writer = g_thread_new ("pipe-writer", pipe_writer, p);
}

/* Waits for the writer to finish (after pipe_go_on()) and frees the rest. */
static void
pipe_finish (PipeWav *p)
{
  g_thread_join (p->writer);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
}

static void
pipe_go_on (PipeWav *p)
{
  g_mutex_lock (&p->lock);
  p->go_on = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
}

typedef struct
{
  const char *path;
  goffset size;
  gboolean reached;
} SizeWait;

static gboolean
check_size (gpointer data)
{
  SizeWait *w = data;
  GStatBuf st;

  if (g_stat (w->path, &st) == 0 && st.st_size >= w->size)
    w->reached = TRUE;
  return G_SOURCE_CONTINUE;
}

/* Waits until the output file holds @frames. */
static void
wait_for_output (Fixture *f, gsize frames)
{
  SizeWait w = { f->out, (goffset) frames * 4, FALSE };
  guint id = g_timeout_add (2, check_size, &w);

  wait_for (&w.reached);
  g_source_remove (id);
}

/* --- volume -------------------------------------------------------------- */

static void
test_volume_ramp (Fixture *f, gconstpointer data)
{
  const gsize frames = 2 * RATE;
  const double level = 24000, from = 1.0, to = 0.25;
  /* the most one frame may move: the whole change spread over the ramp,
   * plus rounding */
  const double max_step = ceil (level * (from - to) / (SK_AUDIO_VOLUME_RAMP_MS * RATE / 1000)) + 1;
  g_autofree gint16 *samples = dc (frames, (gint16) level, (gint16) level);
  g_autofree char *path = g_build_filename (f->dir, "pipe.wav", NULL);
  PipeWav p = { path, samples, frames, RATE };
  g_autofree gint16 *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize n, first, end, ramp = 0;
  int worst = 0;

  pipe_start (&p);
  sk_audio_player_append (f->player, path, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  /* half of the first second has been played: turn it down */
  wait_for_output (f, RATE / 2);
  g_assert_true (sk_audio_player_set_volume (f->player, to, &error));
  g_assert_no_error (error);
  pipe_go_on (&p);
  wait_for (&f->idle);
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  pipe_finish (&p);

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, frames);
  g_assert_cmpint (out[2 * first], ==, (gint16) level);
  g_assert_cmpint (out[2 * (end - 1)], ==, (gint16) (level * to));
  for (gsize i = first + 1; i < end; i++)
    {
      worst = MAX (worst, ABS (out[2 * i] - out[2 * i - 2]));
      if (out[2 * i] != (gint16) level && out[2 * i] != (gint16) (level * to))
        ramp++;
    }
  g_test_message ("largest step %d (allowed %.0f), %zu frames of ramp", worst, max_step, ramp);
  g_assert_cmpint (worst, <=, (int) max_step);
  /* the change took the whole ramp time, give or take a frame */
  g_assert_cmpuint (ramp + 2, >=, SK_AUDIO_VOLUME_RAMP_MS * RATE / 1000);
}

/* --- pause --------------------------------------------------------------- */

static void
test_pause_resume (Fixture *f, gconstpointer data)
{
  const gsize frames = 2 * RATE;
  const double level = 20000;
  const double max_step = ceil (level / (SK_AUDIO_VOLUME_RAMP_MS * RATE / 1000)) + 1;
  g_autofree gint16 *samples = dc (frames, (gint16) level, (gint16) level);
  g_autofree char *path = g_build_filename (f->dir, "pipe.wav", NULL);
  PipeWav p = { path, samples, frames, RATE };
  g_autofree gint16 *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize n, first, end, audible = 0, quiet = 0;
  double position;
  int worst = 0;

  pipe_start (&p);
  sk_audio_player_append (f->player, path, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  wait_for_output (f, RATE / 2);
  sk_audio_player_pause (f->player);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_PAUSED);
  pipe_go_on (&p);
  /* paused, the position stops once the fade-out has played */
  for (int i = 0; i < 1000; i++)
    {
      position = sk_audio_player_get_position (f->player);
      g_usleep (20 * 1000);
      if (position > 0.5 && sk_audio_player_get_position (f->player) == position)
        break;
    }
  g_assert_cmpfloat (sk_audio_player_get_position (f->player), ==, position);
  g_assert_cmpfloat (position, <, 2.0);
  sk_audio_player_resume (f->player);
  wait_for (&f->idle);
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  pipe_finish (&p);

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  for (gsize i = first; i < end; i++)
    {
      if (out[2 * i] != 0)
        audible++;
      if (ABS (out[2 * i]) < 100)
        quiet++;
      if (i > first)
        worst = MAX (worst, ABS (out[2 * i] - out[2 * i - 2]));
    }
  g_test_message ("largest step %d (allowed %.0f), %zu quiet frames", worst, max_step, quiet);
  /* nothing lost: every frame played, faded out and in around the pause */
  g_assert_cmpuint (audible, >=, frames - 2);
  g_assert_cmpuint (audible, <=, frames);
  g_assert_cmpuint (quiet, >, 0);
  g_assert_cmpint (worst, <=, (int) max_step);
}

/* --- formats ------------------------------------------------------------- */

typedef struct
{
  const char *name;
  int format;
  gsize tolerance; /* frames of codec delay and padding allowed */
} Format;

static const Format formats[] = {
  { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 0 },
  { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 0 },
  { "ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 2048 },
  { "opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 2048 },
  { "mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 3000 },
};

/* 440 Hz left, 660 Hz right, starting at their peak */
static gint16 *
tone (gsize frames)
{
  gint16 *samples = g_new (gint16, frames * 2);

  for (gsize i = 0; i < frames; i++)
    {
      samples[2 * i] = (gint16) (12000 * cos (2 * G_PI * 440 * i / RATE));
      samples[2 * i + 1] = (gint16) (12000 * cos (2 * G_PI * 660 * i / RATE));
    }
  return samples;
}

/* `test-audio-player --encode N PATH`: writes the tone in formats[N]. The
 * tests run it as a child, so that the encoders' own faults (LAME reads
 * uninitialised memory) stay out of a valgrind run of the player. */
static int
encode_main (const char *index, const char *path)
{
  const Format *fmt = &formats[g_ascii_strtoull (index, NULL, 10) % G_N_ELEMENTS (formats)];
  SF_INFO info = { .samplerate = RATE, .channels = 2, .format = fmt->format };
  g_autofree gint16 *samples = tone (RATE);
  SNDFILE *sf = sf_open (path, SFM_WRITE, &info);

  if (sf == NULL || sf_writef_short (sf, samples, RATE) != RATE)
    return 1;
  return sf_close (sf) == 0 ? 0 : 1;
}

static void
test_format (Fixture *f, gconstpointer data)
{
  const Format *fmt = data;
  const gsize frames = RATE;
  SF_INFO info = { .samplerate = RATE, .channels = 2, .format = fmt->format };
  g_autofree gint16 *samples = tone (frames);
  g_autofree char *name = g_strdup_printf ("tone.%s", fmt->name);
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *index = g_strdup_printf ("%td", fmt - formats);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *emulator = sk_test_emulator ();
  const char *argv[] = { emulator ? emulator : self_exe, self_exe, "--encode", index, path, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;
  double in_energy = 0, out_energy = 0;
  int status;

  if (!sf_format_check (&info))
    {
      g_test_skip ("this libsndfile cannot write the format");
      return;
    }
  g_assert_nonnull (self_exe);
  g_spawn_sync (NULL, (char **) (emulator ? argv : argv + 1), NULL, G_SPAWN_DEFAULT,
                sk_test_child_setup, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  for (gsize i = 0; i < frames; i++)
    in_energy += (double) samples[2 * i] * samples[2 * i];
  sk_audio_player_append (f->player, path, 0.0);
  play_all (f);
  g_assert_cmpstr (f->log->str, ==, "started 1 ended 1 idle ");

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_test_message ("%s: %zu frames played for %zu", fmt->name, end - first, frames);
  g_assert_cmpuint (end - first + fmt->tolerance, >=, frames);
  g_assert_cmpuint (end - first, <=, frames + fmt->tolerance);
  if (fmt->tolerance == 0)
    g_assert_cmpmem (out + 2 * first, frames * 4, samples, frames * 4);
  for (gsize i = first; i < end; i++)
    out_energy += (double) out[2 * i] * out[2 * i];
  /* not silent, and about as loud (libsndfile's MP3 encoder is rough on
   * the first frames of a pure tone: a wide margin) */
  g_test_message ("%s: %.2f of the energy", fmt->name, out_energy / in_energy);
  g_assert_cmpfloat (out_energy, >, 0.5 * in_energy);
  g_assert_cmpfloat (out_energy, <, 2.0 * in_energy);
}

/* --- resampling ---------------------------------------------------------- */

static void
test_resample (Fixture *f, gconstpointer data)
{
  const int rate = 44100;
  const gsize frames = 2 * rate;
  const double hz = 441;
  g_autofree gint16 *samples = g_new (gint16, frames);
  g_autofree char *path = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;
  guint crossings = 0;

  for (gsize i = 0; i < frames; i++)
    samples[i] = (gint16) (16000 * cos (2 * G_PI * hz * i / rate));
  path = write_file (f, "mono-44k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, 1, samples, frames);
  sk_audio_player_append (f->player, path, 0.0);
  play_all (f);

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_test_message ("%zu frames at 48 kHz for %zu at 44.1 kHz", end - first, frames);
  /* 2 s at 48 kHz, give or take the resampler's edges */
  g_assert_cmpuint (end - first, >=, 2 * RATE - 16);
  g_assert_cmpuint (end - first, <=, 2 * RATE + 16);
  for (gsize i = first; i < end; i++)
    {
      /* mono on both sides */
      g_assert_cmpint (out[2 * i], ==, out[2 * i + 1]);
      if (i > first && (out[2 * i] >= 0) != (out[2 * i - 2] >= 0))
        crossings++;
    }
  /* the pitch is kept: two zero crossings per cycle of 441 Hz */
  g_assert_cmpuint (crossings, >=, 2 * 441 * 2 - 4);
  g_assert_cmpuint (crossings, <=, 2 * 441 * 2 + 4);
}

/* --- channels ----------------------------------------------------------- */

/* 5.1 in the WAVE order FL FR FC LFE BL BR: centre and surrounds at -3 dB,
 * LFE dropped, scaled so that nothing can clip. */
static void
test_downmix (Fixture *f, gconstpointer data)
{
  const gsize frames = RATE / 2;
  const double fl = 10000, fr = -3000, fc = 4000, lfe = 20000, bl = 2000, br = 6000;
  const double k = 1.0 / (1.0 + 2.0 * G_SQRT2 / 2.0);
  const double el = k * (fl + fc * G_SQRT2 / 2.0 + bl * G_SQRT2 / 2.0);
  const double er = k * (fr + fc * G_SQRT2 / 2.0 + br * G_SQRT2 / 2.0);
  g_autofree gint16 *samples = g_new (gint16, frames * 6);
  g_autofree char *path = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  for (gsize i = 0; i < frames; i++)
    {
      gint16 *s = samples + 6 * i;

      s[0] = (gint16) fl, s[1] = (gint16) fr, s[2] = (gint16) fc;
      s[3] = (gint16) lfe, s[4] = (gint16) bl, s[5] = (gint16) br;
    }
  path = write_file (f, "surround.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, RATE, 6, samples, frames);
  sk_audio_player_append (f->player, path, 0.0);
  play_all (f);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, frames);
  for (gsize i = first; i < end; i++)
    {
      g_assert_cmpfloat (fabs (out[2 * i] - el), <=, 1.0);
      g_assert_cmpfloat (fabs (out[2 * i + 1] - er), <=, 1.0);
    }
}

/* A track's gain (its loudness normalisation) scales it. */
static void
test_track_gain (Fixture *f, gconstpointer data)
{
  const gsize frames = RATE / 4;
  g_autofree gint16 *a = dc (frames, 20000, -20000);
  g_autofree char *pa = write_wav (f, "a.wav", a, frames);
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  sk_audio_player_append (f->player, pa, -6.0);
  sk_audio_player_append (f->player, pa, 20.0 * log10 (0.25));
  play_all (f);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, 2 * frames);
  g_assert_cmpint (out[2 * first], ==, (gint16) lrint (20000 * pow (10, -6.0 / 20)));
  g_assert_cmpint (out[2 * first + 1], ==, (gint16) lrint (-20000 * pow (10, -6.0 / 20)));
  g_assert_cmpint (out[2 * (first + frames)], ==, 5000);
  g_assert_cmpint (out[2 * (end - 1) + 1], ==, -5000);
}

/* --- failures ------------------------------------------------------------ */

static void
test_corrupt_skipped (Fixture *f, gconstpointer data)
{
  const gsize na = RATE / 2 + 17, nc = RATE / 3;
  g_autofree gint16 *a = noise (na, 3), *c = noise (nc, 4);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pc = write_wav (f, "c.wav", c, nc);
  g_autofree char *pb = g_build_filename (f->dir, "b.wav", NULL);
  g_autofree gint16 *out = NULL;
  g_autoptr (GError) error = NULL;
  /* a WAVE header whose format chunk is garbage, then noise */
  static const char corrupt[] = "RIFF\x40\0\0\0WAVEfmt \x10\0\0\0\xff\xff\x07\0garbage-garbage!data";
  const GError *failure;
  gsize n, first, end;

  g_file_set_contents (pb, corrupt, sizeof corrupt, &error);
  g_assert_no_error (error);
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  sk_audio_player_append (f->player, pc, 0.0);
  play_all (f);
  g_assert_cmpstr (f->log->str, ==, "started 1 ended 1 failed 2 started 3 ended 3 idle ");
  g_assert_cmpuint (f->errors->len, ==, 1);
  failure = g_ptr_array_index (f->errors, 0);
  g_assert_true (failure->domain == SK_AUDIO_ERROR);
  g_assert_cmpint (failure->code, ==, SK_AUDIO_ERROR_CORRUPT);
  g_assert_nonnull (strstr (failure->message, "b.wav"));

  /* a, then c: the bad file left no trace */
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na + nc);
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
  g_assert_cmpmem (out + 2 * (first + na), nc * 4, c, nc * 4);
}

/* A link (even to a good file), a pipe nobody writes to and a directory
 * are refused, none blocks the decoder, and the good file after them
 * plays; stop() returns. A pipe put in a file's place used to block the
 * decoder in open() and stop() with it, for ever: the alarm bounds that. */
static void
test_hostile_files_refused (Fixture *f, gconstpointer data)
{
  const gsize nc = RATE / 3;
  g_autofree gint16 *c = noise (nc, 5);
  g_autofree char *pc = write_wav (f, "c.wav", c, nc);
  g_autofree char *link = g_build_filename (f->dir, "link.wav", NULL);
  g_autofree char *fifo = g_build_filename (f->dir, "fifo.wav", NULL);
  g_autofree char *dir = g_build_filename (f->dir, "dir.wav", NULL);
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  g_assert_cmpint (symlink (pc, link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  alarm (60);
  sk_audio_player_append (f->player, link, 0.0);
  sk_audio_player_append (f->player, fifo, 0.0);
  sk_audio_player_append (f->player, dir, 0.0);
  sk_audio_player_append (f->player, pc, 0.0);
  play_all (f);
  alarm (0);
  g_assert_cmpstr (f->log->str, ==, "failed 1 failed 2 failed 3 started 4 ended 4 idle ");
  g_assert_cmpuint (f->errors->len, ==, 3);
  for (guint i = 0; i < f->errors->len; i++)
    g_test_message ("%s", ((GError *) g_ptr_array_index (f->errors, i))->message);
  g_assert_nonnull (
      strstr (((GError *) g_ptr_array_index (f->errors, 0))->message, "symbolic link"));
  g_assert_nonnull (strstr (((GError *) g_ptr_array_index (f->errors, 1))->message, "pipe"));

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, nc);
}

static void
test_nothing_playable (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "missing.flac", NULL);
  g_autofree char *text = g_build_filename (f->dir, "notes.wav", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;
  SkAudioPlayerStats st;

  g_file_set_contents (text, "not audio at all\n", -1, &error);
  g_assert_no_error (error);
  sk_audio_player_append (f->player, missing, 0.0);
  sk_audio_player_append (f->player, text, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  wait_for (&f->idle);
  g_assert_cmpstr (f->log->str, ==, "failed 1 failed 2 idle ");
  g_assert_error ((GError *) g_ptr_array_index (f->errors, 0), SK_AUDIO_ERROR,
                  SK_AUDIO_ERROR_NOT_FOUND);
  g_assert_error ((GError *) g_ptr_array_index (f->errors, 1), SK_AUDIO_ERROR,
                  SK_AUDIO_ERROR_UNSUPPORTED);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_IDLE);
  sk_audio_player_get_stats (f->player, &st);
  g_assert_cmpuint (st.current, ==, 0);
  sk_audio_player_stop (f->player, FALSE);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_STOPPED);
  wait_for (&f->stopped);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end, ==, first);
}

/* A skip before anything is heard skips nothing: the track appended plays
 * whole, its events arrive, and a drain ends. */
static void
test_skip_before_playing (Fixture *f, gconstpointer data)
{
  const gsize na = RATE / 4;
  g_autofree gint16 *a = noise (na, 5);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree gint16 *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize n, first, end;

  sk_audio_player_skip (f->player); /* nothing appended */
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_skip (f->player); /* appended, not heard yet */
  g_assert_true (sk_audio_player_start (f->player, &error));
  g_assert_no_error (error);
  wait_for (&f->idle);
  g_assert_cmpstr (f->log->str, ==, "started 1 ended 1 idle ");
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na);
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
}

/* --- skip --------------------------------------------------------------- */

/* How far (LSB, at worst) the @n audible frames @out of a skip from @a to
 * @b (@nb frames) are from an equal-power fade over @len frames. */
static double
skip_fade_error (const gint16 *out, gsize n, const gint16 *a, const gint16 *b, gsize nb, gsize len)
{
  gsize played_a = n - nb + len;
  double worst = 0;

  for (gsize i = 0; i < len; i++)
    for (int c = 0; c < 2; c++)
      {
        double theta = G_PI_2 * ((double) i + 0.5) / (double) len;
        double e = a[2 * (played_a - len + i) + c] * cos (theta) + b[2 * i + c] * sin (theta);

        worst = MAX (worst, fabs (out[2 * (played_a - len + i) + c] - e));
      }
  return worst;
}

/* Skipping in the middle of a (piped) track: it ends where the decoder
 * was, and the next follows, crossfaded if a crossfade is set. */
static void
test_skip (Fixture *f, gconstpointer data)
{
  const gsize fade = GPOINTER_TO_UINT (data) * RATE;
  const gsize na = 3 * RATE, nb = 5 * RATE / 2 + 5; /* both over twice the fade */
  g_autofree gint16 *a = noise (na, 8), *b = noise (nb, 9);
  g_autofree char *pa = g_build_filename (f->dir, "pipe.wav", NULL);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  PipeWav p = { pa, a, na, 2 * RATE };
  g_autofree gint16 *out = NULL;
  g_autoptr (GError) error = NULL;
  gsize n, first, end, played_a, len, first_match;
  double worst;
  g_assert_true (sk_audio_player_set_crossfade (f->player, (double) fade / RATE, &error));
  pipe_start (&p);
  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  /* the output has this much; the decoder has read at least a
   * crossfade's worth more (what it holds back for the fade) */
  wait_for_output (f, p.first_part - fade - RATE / 4);
  sk_audio_player_skip (f->player);
  pipe_go_on (&p);
  wait_for (&f->idle);
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  pipe_finish (&p);
  g_assert_cmpstr (f->log->str, ==,
                   fade > 0 ? "started 1 started 2 ended 1 ended 2 idle "
                            : "started 1 ended 1 started 2 ended 2 idle ");

  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  /* A skip fades out over what the decoder holds of the track, at most the
   * crossfade and at most half of what was played of it: on a slow machine
   * (valgrind) it may be shorter. The fade's length L is where b plays on
   * alone: the output ends with b from L, and so with b from any later
   * frame, and the fade's last frames round to b's too. So L is, of the
   * lengths from the first that matches on, the one the curve fits best. */
  for (first_match = MIN (fade, 1); first_match < fade; first_match++)
    if (end - first >= nb - first_match &&
        memcmp (out + 2 * (end - (nb - first_match)), b + 2 * first_match,
                (nb - first_match) * 4) == 0)
      break;
  len = first_match;
  worst = skip_fade_error (out + 2 * first, end - first, a, b, nb, len);
  for (gsize l = first_match + 1; l <= MIN (fade, first_match + 64) && end - first - nb + l <= na;
       l++)
    {
      double e = skip_fade_error (out + 2 * first, end - first, a, b, nb, l);

      if (e < worst)
        worst = e, len = l;
    }
  if (fade > 0)
    g_assert_cmpuint (len, >, fade / 2);
  played_a = end - first - nb + len;
  g_test_message ("%zu of %zu frames of the skipped track played, faded over %zu "
                  "(%g LSB off the curve at worst)",
                  played_a, na, len, worst);
  /* up to where the decoder was when it saw the skip */
  g_assert_cmpuint (played_a, >=, p.first_part - RATE / 4);
  g_assert_cmpuint (played_a, <, na);
  g_assert_cmpmem (out + 2 * first, (played_a - len) * 4, a, (played_a - len) * 4);
  g_assert_cmpfloat (worst, <=, 2.0);
  g_assert_cmpmem (out + 2 * (end - (nb - len)), (nb - len) * 4, b + 2 * len, (nb - len) * 4);
}

/* --- lifetime ------------------------------------------------------------ */

/* The player dropped while its events are still queued for the main
 * context: they are dropped with it, never delivered to freed memory. */
static void
test_unref_with_events_in_flight (Fixture *f, gconstpointer data)
{
  const gsize na = RATE / 10;
  g_autofree gint16 *a = noise (na, 13);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  for (int i = 0; i < 3; i++)
    sk_audio_player_append (f->player, pa, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  /* without running the main context, until all has been played */
  for (int i = 0; i < 1000; i++)
    {
      if (g_stat (f->out, &st) == 0 && st.st_size >= (goffset) (3 * na * 4 - 9600 * 4))
        break;
      g_usleep (10 * 1000);
    }
  g_clear_object (&f->player);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (f->log->str, ==, "");
}

/* --- stop ---------------------------------------------------------------- */

/* stop (drain) right after start: the whole queue still plays, then
 * "stopped". */
static void
test_stop_drain (Fixture *f, gconstpointer data)
{
  const gsize na = RATE / 3 + 1, nb = RATE / 5 + 3;
  g_autofree gint16 *a = noise (na, 10), *b = noise (nb, 11);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  sk_audio_player_append (f->player, pa, 0.0);
  sk_audio_player_append (f->player, pb, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  sk_audio_player_stop (f->player, TRUE);
  wait_for (&f->stopped);
  g_assert_cmpstr (f->log->str, ==, "started 1 ended 1 started 2 ended 2 idle ");
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_STOPPED);
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na + nb);
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
  g_assert_cmpmem (out + 2 * (first + na), nb * 4, b, nb * 4);
}

/* Stopping without drain ends the threads; the player starts again. */
static void
test_stop_restart (Fixture *f, gconstpointer data)
{
  const gsize na = RATE / 4;
  g_autofree gint16 *a = noise (na, 5);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;

  g_assert_false (sk_audio_player_set_crossfade (f->player, 12.5, &error));
  g_assert_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sk_audio_player_set_volume (f->player, NAN, &error));
  g_assert_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID);
  g_clear_error (&error);

  for (int i = 0; i < 20; i++)
    sk_audio_player_append (f->player, pa, 0.0);
  g_assert_true (sk_audio_player_start (f->player, &error));
  g_assert_no_error (error);
  sk_audio_player_stop (f->player, FALSE);
  g_assert_cmpint (sk_audio_player_get_state (f->player), ==, SK_AUDIO_STATE_STOPPED);
  g_assert_cmpuint (sk_audio_player_get_n_pending (f->player), ==, 0);
  wait_for (&f->stopped);

  /* again, from the start, and played out this time */
  f->stopped = FALSE;
  f->idle = FALSE;
  g_string_truncate (f->log, 0);
  sk_audio_player_append (f->player, pa, 0.0);
  play_all (f);
  g_assert_cmpstr (f->log->str, ==, "started 21 ended 21 idle ");
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na);
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
}

/* A bad PCM name (what a machine with no sound card has) is a "pcm-error"
 * with a message, not a crash: with the silent fallback (the default) of
 * SK_AUDIO_ERROR_SILENT, the player playing silently; without it, of
 * SK_AUDIO_ERROR_PCM, a failure. */
typedef struct
{
  GError *error;
  gboolean got;
} PcmError;

static void
on_pcm_error (SkAudioPlayer *player, const GError *error, PcmError *e)
{
  if (e->error == NULL)
    e->error = g_error_copy (error);
  e->got = TRUE;
}

static void
test_pcm_error (gconstpointer data)
{
  gboolean fallback = GPOINTER_TO_INT (data);
  g_autoptr (SkAudioPlayer) player = sk_audio_player_new ("no-such-pcm-anywhere");
  g_autoptr (GError) error = NULL;
  PcmError e = { NULL, FALSE };
  int code = fallback ? SK_AUDIO_ERROR_SILENT : SK_AUDIO_ERROR_PCM;

  sk_audio_player_set_silent_fallback (player, fallback);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_pcm_error), &e);
  g_assert_true (sk_audio_player_start (player, &error));
  g_assert_no_error (error);
  wait_for (&e.got);
  g_assert_error (e.error, SK_AUDIO_ERROR, code);
  g_assert_nonnull (strstr (e.error->message, "no-such-pcm-anywhere"));
  g_assert_true (sk_audio_player_is_silent (player) == fallback);
  g_error_free (e.error);
  sk_audio_player_stop (player, FALSE);
  g_assert_false (sk_audio_player_is_silent (player));
  g_signal_handlers_disconnect_by_data (player, &e);
}

/* --- soundscape-ctl play ------------------------------------------------- */

static void
test_ctl_play (Fixture *f, gconstpointer data)
{
  const gsize na = RATE + 4321, nb = RATE * 3 / 4 + 77;
  g_autofree gint16 *a = noise (na, 6), *b = noise (nb, 7);
  g_autofree char *pa = write_wav (f, "a.wav", a, na);
  g_autofree char *pb = write_wav (f, "b.wav", b, nb);
  g_autofree char *missing = g_build_filename (f->dir, "missing.wav", NULL);
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autofree char *out_text = NULL, *err_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gint16 *out = NULL;
  gsize n, first, end;
  int status;

  g_assert_nonnull (ctl);
  {
    const char *argv[] = { ctl, "play",  pa,     pb,          "--crossfade",
                           "0", "--pcm", f->pcm, "--unpaced", "--no-normalize",
                           NULL };
    g_autofree char *expected = g_strdup_printf ("playing %s\nplaying %s\n", pa, pb);

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out_text,
                  &err_text, &status, &error);
    g_assert_no_error (error);
    g_test_message ("stdout: %s\nstderr: %s", out_text, err_text);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    g_assert_cmpstr (out_text, ==, expected);
  }
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, ==, na + nb);
  g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
  g_assert_cmpmem (out + 2 * (first + na), nb * 4, b, nb * 4);

  /* a file that cannot play: said, skipped, and the exit status tells */
  g_clear_pointer (&out_text, g_free);
  g_clear_pointer (&err_text, g_free);
  {
    const char *argv[] = { ctl,   "play",      missing,          pb,  "--pcm", f->pcm, "--volume",
                           "0.5", "--unpaced", "--no-normalize", NULL };
    g_autofree char *expected = g_strdup_printf ("playing %s\n", pb);

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out_text,
                  &err_text, &status, &error);
    g_assert_no_error (error);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 1);
    g_assert_cmpstr (out_text, ==, expected);
    g_assert_nonnull (strstr (err_text, "missing.wav"));
    g_assert_nonnull (strstr (err_text, "does not exist"));
  }

  /* no sound output: the speaker test fails, it does not play silently */
  g_clear_pointer (&out_text, g_free);
  g_clear_pointer (&err_text, g_free);
  {
    const char *argv[] = { ctl, "play", pb, "--pcm", "sk-test-no-such-card", NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out_text,
                  &err_text, &status, &error);
    g_assert_no_error (error);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 1);
    g_assert_cmpstr (out_text, ==, "");
    g_assert_nonnull (strstr (err_text, "sk-test-no-such-card"));
    g_assert_null (strstr (err_text, "silently"));
  }

  /* out-of-range options are usage errors */
  {
    const char *argv[] = { ctl, "play", pa, "--crossfade", "13", "--pcm", f->pcm, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL,
                  G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, sk_test_child_setup,
                  NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  }
}

/* RMS in dB of frames [from, to) of @s, both channels. */
static double
rms_db (const gint16 *s, gsize from, gsize to)
{
  double sum = 0.0;

  for (gsize i = 2 * from; i < 2 * to; i++)
    sum += (double) s[i] * s[i];
  return 10.0 * log10 (sum / (double) (2 * (to - from)) / (32768.0 * 32768.0));
}

/* soundscape-ctl play measures each file and plays it at the kiosk's
 * loudness (the target of --db's setting): a file 12 dB quieter than
 * another comes out as loud; --no-normalize plays them as they are. A
 * missing file is still named with its reason. */
static void
test_ctl_play_normalizes (Fixture *f, gconstpointer data)
{
  const gsize na = 3 * RATE, nb = 3 * RATE;
  g_autofree gint16 *a = noise (na, 21), *b = noise (nb, 22);
  g_autofree char *pa = NULL, *pb = NULL;
  g_autofree char *db = g_build_filename (f->dir, "kiosk.db", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "missing.wav", NULL);
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GError) error = NULL;
  double loud_a = 0, loud_b = 0, plain_a = 0, plain_b = 0, duration;
  int status;

  g_assert_nonnull (ctl);
  for (gsize i = 0; i < nb * 2; i++)
    b[i] = (gint16) (b[i] / 4); /* -12 dB */
  pa = write_wav (f, "loud.wav", a, na);
  pb = write_wav (f, "quiet.wav", b, nb);
  {
    const char *init[] = { ctl, "init", "--db", db, NULL };
    const char *config[] = { ctl, "config", "loudness_target_lufs", "-20", "--db", db, NULL };

    g_spawn_sync (NULL, (char **) init, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, sk_test_child_setup, NULL,
                  NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    g_spawn_sync (NULL, (char **) config, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, sk_test_child_setup,
                  NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  }

  for (guint normalize = 0; normalize < 2; normalize++)
    {
      const char *argv[] = { ctl,
                             "play",
                             pa,
                             missing,
                             pb,
                             "--pcm",
                             f->pcm,
                             "--unpaced",
                             "--db",
                             db,
                             normalize ? NULL : "--no-normalize",
                             NULL };
      g_autofree char *out_text = NULL, *err_text = NULL;
      g_autofree gint16 *out = NULL;
      gsize n, first, end;

      g_unlink (f->out);
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL,
                    &out_text, &err_text, &status, &error);
      g_assert_no_error (error);
      g_test_message ("stdout: %s\nstderr: %s", out_text, err_text);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 1); /* the missing file */
      g_assert_nonnull (strstr (err_text, "missing.wav"));
      g_assert_nonnull (strstr (err_text, "does not exist"));

      out = read_output (f, &n);
      audible_span (out, n, &first, &end);
      g_assert_cmpuint (end - first, ==, na + nb);
      /* the middle of each file, away from the joins */
      if (normalize)
        {
          loud_a = rms_db (out, first + RATE / 2, first + na - RATE / 2);
          loud_b = rms_db (out, first + na + RATE / 2, first + na + nb - RATE / 2);
        }
      else
        {
          plain_a = rms_db (out, first + RATE / 2, first + na - RATE / 2);
          plain_b = rms_db (out, first + na + RATE / 2, first + na + nb - RATE / 2);
          g_assert_cmpmem (out + 2 * first, na * 4, a, na * 4);
        }
    }
  g_test_message ("as they are: %.2f and %.2f dBFS; normalised: %.2f and %.2f dBFS", plain_a,
                  plain_b, loud_a, loud_b);
  g_assert_cmpfloat_with_epsilon (plain_a - plain_b, 12.0, 0.2);
  g_assert_cmpfloat_with_epsilon (loud_a, loud_b, 0.2);
  /* and at the target's level: -20 LUFS is the measured loudness moved by
   * the gain applied */
  {
    double measured;

    g_assert_true (sk_audio_probe_loudness (pa, &duration, &measured, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (loud_a - plain_a, -20.0 - measured, 0.2);
  }
}

static void
on_ctl_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gboolean *) data = TRUE;
}

typedef struct
{
  GPollableInputStream *stream;
  GString *text;
  const char *wanted;
  gboolean found;
} ReadUntil;

static gboolean
read_some (gpointer data)
{
  ReadUntil *r = data;
  char buf[256];
  gssize n;

  while ((n = g_pollable_input_stream_read_nonblocking (r->stream, buf, sizeof buf, NULL, NULL)) >
         0)
    g_string_append_len (r->text, buf, n);
  if (strstr (r->text->str, r->wanted) != NULL)
    r->found = TRUE;
  return G_SOURCE_CONTINUE;
}

/* Ctrl-C in the middle of a track: a clean stop, exit status 130. */
static void
test_ctl_play_interrupted (Fixture *f, gconstpointer data)
{
  const gsize frames = 2 * RATE;
  g_autofree gint16 *samples = noise (frames, 12);
  g_autofree char *path = g_build_filename (f->dir, "pipe.wav", NULL);
  PipeWav p = { path, samples, frames, RATE };
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) err_text = g_string_new (NULL);
  g_autofree gint16 *out = NULL;
  ReadUntil r = { NULL, err_text, "interrupted", FALSE };
  gboolean exited = FALSE;
  guint id;
  gsize n, first, end;

  g_assert_nonnull (ctl);
  pipe_start (&p); /* the pipe must exist before the player opens it */
  proc = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error, ctl, "play", path, "--pcm", f->pcm, "--no-normalize",
                                 NULL);
  g_assert_no_error (error);
  wait_for_output (f, RATE / 4);
  g_subprocess_send_signal (proc, SIGINT);
  /* once it has said so, the rest of the track may come: it stops anyway
   * (its decoder is waiting for the pipe, so the rest must come) */
  r.stream = G_POLLABLE_INPUT_STREAM (g_subprocess_get_stderr_pipe (proc));
  id = g_timeout_add (2, read_some, &r);
  wait_for (&r.found);
  g_source_remove (id);
  pipe_go_on (&p);
  g_subprocess_wait_async (proc, NULL, on_ctl_exited, &exited);
  wait_for (&exited);
  pipe_finish (&p);

  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 130);
  /* what was played is the track's beginning, sample for sample */
  out = read_output (f, &n);
  audible_span (out, n, &first, &end);
  g_assert_cmpuint (end - first, >=, RATE / 4);
  g_assert_cmpmem (out + 2 * first, (end - first) * 4, samples, (end - first) * 4);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "--encode") == 0)
    return encode_main (argv[2], argv[3]);
  g_test_init (&argc, &argv, NULL);
  /* a skipped track closes its pipe under the test's writer */
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/audio/gapless/sample-exact", test_gapless);
  ADD ("/audio/crossfade/equal-power", test_crossfade_equal_power);
  ADD ("/audio/crossfade/short-tracks-shorten-the-fade", test_crossfade_short_tracks);
  ADD ("/audio/crossfade/tiny-tracks", test_crossfade_tiny_tracks);
  ADD ("/audio/volume/ramp", test_volume_ramp);
  ADD ("/audio/pause-resume", test_pause_resume);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *path = g_strdup_printf ("/audio/formats/%s", formats[i].name);

      g_test_add (path, Fixture, &formats[i], fixture_setup, test_format, fixture_teardown);
    }
  ADD ("/audio/resample", test_resample);
  ADD ("/audio/downmix/5.1", test_downmix);
  ADD ("/audio/track-gain", test_track_gain);
  ADD ("/audio/corrupt-skipped", test_corrupt_skipped);
  ADD ("/audio/nothing-playable-is-idle", test_nothing_playable);
  ADD ("/audio/links-pipes-and-directories-are-refused", test_hostile_files_refused);
  g_test_add ("/audio/skip/gapless", Fixture, GUINT_TO_POINTER (0), fixture_setup, test_skip,
              fixture_teardown);
  g_test_add ("/audio/skip/crossfade", Fixture, GUINT_TO_POINTER (1), fixture_setup, test_skip,
              fixture_teardown);
  ADD ("/audio/skip/before-playing-skips-nothing", test_skip_before_playing);
  ADD ("/audio/stop/drain-plays-the-queue", test_stop_drain);
  ADD ("/audio/lifetime/unref-with-events-in-flight", test_unref_with_events_in_flight);
  ADD ("/audio/stop/restart", test_stop_restart);
  g_test_add_data_func ("/audio/pcm-error/no-sound-card-plays-silently", GINT_TO_POINTER (TRUE),
                        test_pcm_error);
  g_test_add_data_func ("/audio/pcm-error/without-fallback", GINT_TO_POINTER (FALSE),
                        test_pcm_error);
  ADD ("/audio/ctl/play", test_ctl_play);
  ADD ("/audio/ctl/play-interrupted", test_ctl_play_interrupted);
  ADD ("/audio/ctl/play-normalizes", test_ctl_play_normalizes);
#undef ADD

  return g_test_run ();
}
