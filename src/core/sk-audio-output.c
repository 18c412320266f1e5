/* sk-audio-output.c: the audio player's output thread, which owns the PCM.
 *
 * THE OUTPUT'S CHOICE, ONE PERIOD AT A TIME
 *
 *   paused and the volume ramp has reached 0   → a period of silence
 *   `ring` holds a period                      → that period
 *   the decoder is idle (or done), `ring` holds
 *     less than a period                       → what it holds + silence
 *   `ring` is short and the decoder is busy    → wait for it while the
 *                                                device has more than a
 *                                                period queued, else silence
 *                                                (the decoder is late)
 *
 *   Silence is only ever written when the device would otherwise run dry,
 *   so two tracks appended back to back join sample for sample. A PCM that
 *   does not pace (the `null` and `file` plugins: snd_pcm_delay() stays 0)
 *   cannot run dry: there the output waits for the decoder, and the clock
 *   paces the writes, a buffer ahead at most, as a sound card would take
 *   them (unpaced, sk_audio_player_set_paced(), only the silence of idle
 *   and pause keeps the clock's rate).
 *
 * NO SOUND CARD
 *
 *   When the PCM cannot be opened (or is SK_AUDIO_PCM_NONE) the output
 *   plays silently: it keeps the clock's time with no device, so tracks
 *   start, end and take votes as if heard. It says so in one line, and
 *   tries the PCM again every SILENT_RETRY_MS; alsa-lib's own error lines
 *   go to the log at debug level, each once until a PCM opens.
 */
#include "config.h"

#include "sk-audio-player-private.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <string.h>

#define RAMP_FRAMES (SK_AUDIO_VOLUME_RAMP_MS * SK_AUDIO_RATE / 1000)
#define BACKOFF_MAX_MS 5000
#define SILENT_RETRY_MS 5000 /* playing silently: how often the PCM is tried */

typedef struct
{
  SkAudioPlayer *self;
  snd_pcm_t *pcm;
  snd_pcm_uframes_t period;
  snd_pcm_uframes_t buffer;
  gboolean paces;    /* snd_pcm_delay() has been seen above 0 */
  gboolean silent;   /* no PCM: the clock keeps time, nothing is heard */
  gboolean by_clock; /* a PCM that does not pace is paced by the clock */
  gint64 anchor;     /* when `written` started counting (not pacing) */
  guint64 written;
  float *frames;
  gint16 *samples;
  float gain;
  float gain_target;
  float gain_step;
  guint ramp_left;
  char *last_error;
} Output;

/* Tells the owner of @error (taken) without a log line; a repeat of the
 * last one is dropped. */
static void
post_pcm_event (Output *out, GError *error)
{
  SkAudioEvent *ev;

  if (g_strcmp0 (out->last_error, error->message) == 0)
    {
      g_error_free (error);
      return;
    }
  g_free (out->last_error);
  out->last_error = g_strdup (error->message);
  ev = sk_audio_event_new (SK_AUDIO_EV_PCM_ERROR);
  ev->error = error;
  sk_event_queue_post (out->self->events, ev);
}

static void
post_pcm_error (Output *out, GError *error)
{
  /* a message, not a warning: the owner decides (and retries are normal) */
  if (g_strcmp0 (out->last_error, error->message) != 0)
    g_message ("%s", error->message);
  post_pcm_event (out, error);
}

/* --- alsa-lib's own error lines ------------------------------------------ */

/* alsa-lib prints its errors on stderr (eight lines for a missing card, at
 * each retry). They go to the log at debug level instead, each text once
 * until a PCM opens; the output's own line says what happened. */
static GMutex alsa_log_lock;
static GHashTable *alsa_log_seen; /* under alsa_log_lock */

static void
alsa_error (const char *file, int line, const char *function, int err, const char *fmt, ...)
    G_GNUC_PRINTF (5, 6);

static void
alsa_error (const char *file, int line, const char *function, int err, const char *fmt, ...)
{
  va_list args;
  g_autofree char *text = NULL;
  char *full;
  gboolean fresh;

  va_start (args, fmt);
  text = g_strdup_vprintf (fmt, args);
  va_end (args);
  full = g_strdup_printf ("ALSA lib %s:%d:(%s) %s%s%s", file, line, function, text,
                          err != 0 ? ": " : "", err != 0 ? snd_strerror (err) : "");
  g_mutex_lock (&alsa_log_lock);
  if (alsa_log_seen == NULL)
    alsa_log_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fresh = g_hash_table_add (alsa_log_seen, full);
  g_mutex_unlock (&alsa_log_lock);
  if (fresh)
    g_debug ("%s", full);
}

/* A PCM opened: the next failure is news again. */
static void
alsa_errors_forget (void)
{
  g_mutex_lock (&alsa_log_lock);
  if (alsa_log_seen != NULL)
    g_hash_table_remove_all (alsa_log_seen);
  g_mutex_unlock (&alsa_log_lock);
}

void
sk_audio_output_route_alsa_errors (void)
{
  snd_lib_error_set_handler (alsa_error);
}

/* The frame buffers for a period, and a ring that holds the device's
 * buffer and a period more. */
static void
output_buffers (Output *out)
{
  SkAudioPlayer *self = out->self;

  g_free (out->frames);
  g_free (out->samples);
  out->frames = g_new0 (float, out->period * 2);
  out->samples = g_new0 (gint16, out->period * 2);
  out->anchor = 0;
  out->written = 0;
  g_mutex_lock (&self->lock);
  /* the decoder keeps at least the device's buffer ahead */
  self->ring_cap = MAX (self->ring_cap, out->buffer + out->period);
  sk_audio_fifo_reserve (&self->ring, self->ring_cap);
  g_mutex_unlock (&self->lock);
}

/* No PCM: the output keeps the clock's time and plays nothing, so that
 * tracks start, end and take votes as if heard. @said (taken) tells the
 * owner why, as a "pcm-error" of SK_AUDIO_ERROR_SILENT: a state, not a
 * failure. */
static void
go_silent (Output *out, char *said)
{
  SkAudioPlayer *self = out->self;

  g_message ("%s", said);
  g_mutex_lock (&self->lock);
  self->silent = TRUE;
  g_mutex_unlock (&self->lock);
  post_pcm_event (out, g_error_new_literal (SK_AUDIO_ERROR, SK_AUDIO_ERROR_SILENT, said));
  g_free (said);
  out->silent = TRUE;
  out->paces = FALSE;
  out->period = (snd_pcm_uframes_t) self->period_us * SK_AUDIO_RATE / G_USEC_PER_SEC;
  out->buffer = (snd_pcm_uframes_t) self->buffer_us * SK_AUDIO_RATE / G_USEC_PER_SEC;
  output_buffers (out);
}

/* Silent: a period "written", at the clock's pace (see the wait before). */
static void
silent_write (Output *out)
{
  if (out->anchor == 0)
    out->anchor = g_get_monotonic_time ();
  out->written += out->period;
}

/* Opens the PCM for 48 kHz stereo S16; *@no_device on failure: the PCM
 * itself cannot be opened (no sound card, an unknown name). */
static gboolean
pcm_open (Output *out, gboolean *no_device, GError **error)
{
  SkAudioPlayer *self = out->self;
  snd_pcm_hw_params_t *hw;
  snd_pcm_sw_params_t *sw;
  unsigned int buffer_us = self->buffer_us, period_us = self->period_us;
  snd_pcm_uframes_t start;
  int err;

  snd_pcm_hw_params_alloca (&hw);
  snd_pcm_sw_params_alloca (&sw);
  err = snd_pcm_open (&out->pcm, self->pcm_name, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
  if (err < 0)
    {
      out->pcm = NULL;
      goto failed;
    }
  if ((err = snd_pcm_hw_params_any (out->pcm, hw)) < 0 ||
      (err = snd_pcm_hw_params_set_rate_resample (out->pcm, hw, 1)) < 0 ||
      (err = snd_pcm_hw_params_set_access (out->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
      (err = snd_pcm_hw_params_set_format (out->pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0 ||
      (err = snd_pcm_hw_params_set_channels (out->pcm, hw, SK_AUDIO_CHANNELS)) < 0 ||
      (err = snd_pcm_hw_params_set_rate (out->pcm, hw, SK_AUDIO_RATE, 0)) < 0 ||
      (err = snd_pcm_hw_params_set_buffer_time_near (out->pcm, hw, &buffer_us, NULL)) < 0 ||
      (err = snd_pcm_hw_params_set_period_time_near (out->pcm, hw, &period_us, NULL)) < 0 ||
      (err = snd_pcm_hw_params (out->pcm, hw)) < 0 ||
      (err = snd_pcm_hw_params_get_period_size (hw, &out->period, NULL)) < 0 ||
      (err = snd_pcm_hw_params_get_buffer_size (hw, &out->buffer)) < 0)
    goto failed;
  /* start once the buffer is full, wake when a period has room */
  start = out->buffer - out->buffer % out->period;
  if ((err = snd_pcm_sw_params_current (out->pcm, sw)) < 0 ||
      (err = snd_pcm_sw_params_set_start_threshold (out->pcm, sw, start)) < 0 ||
      (err = snd_pcm_sw_params_set_avail_min (out->pcm, sw, out->period)) < 0 ||
      (err = snd_pcm_sw_params (out->pcm, sw)) < 0)
    goto failed;

  g_debug ("PCM “%s”: period %lu, buffer %lu frames", self->pcm_name, out->period, out->buffer);
  output_buffers (out);
  g_clear_pointer (&out->last_error, g_free);
  alsa_errors_forget ();
  return TRUE;

failed:
  *no_device = (out->pcm == NULL);
  if (out->pcm == NULL)
    g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM,
                 "The sound output “%s” cannot be opened (%s)", self->pcm_name, snd_strerror (err));
  else
    g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM,
                 "The sound output “%s” cannot play 48 kHz stereo 16-bit (%s); "
                 "a plug: device converts",
                 self->pcm_name, snd_strerror (err));
  g_clear_pointer (&out->pcm, snd_pcm_close);
  return FALSE;
}

/* Frames the device still has to play, as far as is known. */
static guint64
queued (Output *out)
{
  snd_pcm_sframes_t delay = 0;
  gint64 elapsed;
  guint64 played;

  if (out->paces)
    return snd_pcm_delay (out->pcm, &delay) == 0 && delay > 0 ? (guint64) delay : 0;
  if (out->anchor == 0)
    return 0;
  elapsed = g_get_monotonic_time () - out->anchor;
  played = (guint64) elapsed * SK_AUDIO_RATE / G_USEC_PER_SEC;
  return out->written > played ? out->written - played : 0;
}

/* After an error from the PCM: brings it back by its state. FALSE when the
 * PCM was closed (it is reopened by the loop). */
static gboolean
recover (Output *out, int err)
{
  SkAudioPlayer *self = out->self;
  snd_pcm_state_t state = snd_pcm_state (out->pcm);

  out->anchor = 0;
  out->written = 0;
  if (err == -EPIPE || state == SND_PCM_STATE_XRUN)
    {
      SkAudioEvent *ev = sk_audio_event_new (SK_AUDIO_EV_UNDERRUN);

      g_mutex_lock (&self->lock);
      ev->count = ++self->underruns;
      g_mutex_unlock (&self->lock);
      g_debug ("Underrun %u", ev->count);
      sk_event_queue_post (self->events, ev);
      err = snd_pcm_prepare (out->pcm);
    }
  else if (err == -ESTRPIPE || state == SND_PCM_STATE_SUSPENDED)
    {
      /* the device was suspended: resume it if it can (bounded), else
       * start it anew */
      for (int i = 0; i < 100 && (err = snd_pcm_resume (out->pcm)) == -EAGAIN; i++)
        g_usleep (10 * 1000);
      if (err < 0)
        err = snd_pcm_prepare (out->pcm);
    }
  else if (err == -ENODEV || state == SND_PCM_STATE_DISCONNECTED)
    err = -ENODEV;
  else
    err = snd_pcm_prepare (out->pcm);

  if (err < 0)
    {
      post_pcm_error (out, g_error_new (SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM,
                                        "The sound output “%s” failed (%s)", self->pcm_name,
                                        snd_strerror (err)));
      g_clear_pointer (&out->pcm, snd_pcm_close);
      return FALSE;
    }
  return TRUE;
}

/* With the lock held: turns the marks the output has reached into state
 * and events. */
static void
pass_marks_locked (SkAudioPlayer *self)
{
  SkAudioEvent *ev;

  while ((ev = g_queue_peek_head (&self->marks)) != NULL)
    {
      /* a start is reached once its first frame went out, the rest once
       * every frame before them did */
      if (ev->kind == SK_AUDIO_EV_STARTED ? ev->at >= self->ring_read : ev->at > self->ring_read)
        break;
      g_queue_pop_head (&self->marks);
      switch (ev->kind)
        {
        case SK_AUDIO_EV_STARTED:
          self->current = ev->track;
          self->current_start = ev->at;
          self->state = SK_AUDIO_STATE_PLAYING;
          break;
        case SK_AUDIO_EV_ENDED:
          if (self->current == ev->track)
            self->current = 0;
          break;
        case SK_AUDIO_EV_IDLE:
          self->current = 0;
          self->state = SK_AUDIO_STATE_IDLE;
          break;
        case SK_AUDIO_EV_FAILED:
        case SK_AUDIO_EV_UNDERRUN:
        case SK_AUDIO_EV_PCM_ERROR:
        case SK_AUDIO_EV_STOPPED:
        default:
          break;
        }
      sk_event_queue_post (self->events, ev);
    }
}

/* Writes out->period frames of out->samples, waiting for room. FALSE when
 * the PCM was lost. */
static gboolean
write_period (Output *out)
{
  snd_pcm_uframes_t done = 0;

  if (out->anchor == 0 && !out->paces)
    out->anchor = g_get_monotonic_time ();
  while (done < out->period)
    {
      snd_pcm_sframes_t n = snd_pcm_writei (out->pcm, out->samples + 2 * done, out->period - done);

      if (n == -EAGAIN)
        {
          gboolean stopping;

          g_mutex_lock (&out->self->lock);
          stopping = out->self->stopping;
          g_mutex_unlock (&out->self->lock);
          if (stopping)
            return TRUE;
          snd_pcm_wait (out->pcm, 100);
          continue;
        }
      if (n < 0)
        {
          if (!recover (out, (int) n))
            return FALSE;
          continue;
        }
      done += (snd_pcm_uframes_t) n;
    }
  out->written += out->period;
  if (!out->paces)
    {
      snd_pcm_sframes_t delay = 0;

      if (snd_pcm_delay (out->pcm, &delay) == 0 && delay > 0)
        {
          g_debug ("PCM “%s” paces itself", out->self->pcm_name);
          out->paces = TRUE;
        }
    }
  return TRUE;
}

/* Volume (ramped) and conversion of @n frames; the rest of the period is
 * silence. */
static void
render (Output *out, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      if (out->ramp_left > 0)
        {
          out->gain += out->gain_step;
          if (--out->ramp_left == 0)
            out->gain = out->gain_target;
        }
      for (int c = 0; c < 2; c++)
        {
          float v = out->frames[2 * i + c] * out->gain * 32768.0f;

          out->samples[2 * i + c] = (gint16) lrintf (CLAMP (v, -32768.0f, 32767.0f));
        }
    }
  memset (out->samples + 2 * n, 0, (out->period - n) * 2 * sizeof (gint16));
}

static void
pcm_drain (Output *out)
{
  /* blocking for the drain: bounded by the device's buffer */
  snd_pcm_nonblock (out->pcm, 0);
  snd_pcm_drain (out->pcm);
}

/* The output thread asks for a modest real-time priority, as players of
 * sound do, so that busy cores (a sync, a UI redraw, a compiler) cannot keep
 * it from the device for longer than its buffer lasts. Below the kernel's
 * interrupt threads (50); the decoder stays an ordinary thread, the ring
 * between them is the slack. Without the right (RLIMIT_RTPRIO or
 * CAP_SYS_NICE; the service unit grants it) it plays as an ordinary thread. */
#define OUTPUT_RT_PRIORITY 20

static gboolean
output_go_realtime (void)
{
  struct sched_param param = { .sched_priority = OUTPUT_RT_PRIORITY };
  int err = pthread_setschedparam (pthread_self (), SCHED_FIFO | SCHED_RESET_ON_FORK, &param);

  if (err != 0)
    g_debug ("audio output: no real-time priority (%s); playing as an ordinary thread",
             g_strerror (err));
  return err == 0;
}

gpointer
sk_audio_output_thread (gpointer data)
{
  Output out = { .self = data };
  SkAudioPlayer *self = data;
  guint backoff_ms = 0;
  gint64 reopen_at = 0;
  gboolean drained = FALSE;
  guint generation;
  gboolean realtime = output_go_realtime ();
  gboolean fallback;

  g_mutex_lock (&self->lock);
  out.gain = out.gain_target = (float) self->volume;
  out.by_clock = self->paced;
  fallback = self->silent_fallback;
  generation = self->generation;
  self->realtime = realtime;
  g_mutex_unlock (&self->lock);
  if (strcmp (self->pcm_name, SK_AUDIO_PCM_NONE) == 0)
    {
      go_silent (&out, g_strdup_printf ("Sound output “%s”: playing silently", self->pcm_name));
    }

  for (;;)
    {
      snd_pcm_sframes_t avail;
      gsize n = 0;
      gboolean silence = FALSE;
      guint stall_ms;
      float target;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      pass_marks_locked (self);
      if (self->draining && self->decoder_done && self->ring.len == 0 && self->marks.length == 0)
        {
          g_mutex_unlock (&self->lock);
          drained = TRUE;
          break;
        }
      g_mutex_unlock (&self->lock);

      if (out.silent && strcmp (self->pcm_name, SK_AUDIO_PCM_NONE) != 0 &&
          g_get_monotonic_time () >= reopen_at)
        {
          g_autoptr (GError) error = NULL;
          gboolean no_device = FALSE;

          /* playing silently: is there a sound card now? */
          reopen_at = g_get_monotonic_time () + SILENT_RETRY_MS * G_TIME_SPAN_MILLISECOND;
          if (pcm_open (&out, &no_device, &error))
            {
              g_message ("Sound output “%s” open: playing", self->pcm_name);
              g_mutex_lock (&self->lock);
              self->silent = FALSE;
              g_mutex_unlock (&self->lock);
              out.silent = FALSE;
              out.paces = FALSE;
            }
          else if (!no_device)
            post_pcm_error (&out, g_steal_pointer (&error));
        }
      if (out.pcm == NULL && !out.silent)
        {
          g_autoptr (GError) error = NULL;
          gboolean no_device = FALSE;

          /* Each open waits a growing delay after the last, until a period
           * is written: a device that opens but fails every write (or
           * cannot be opened at all) is retried at 250 ms, 500 ms … 5 s,
           * never in a loop on this real-time thread. */
          if (g_get_monotonic_time () < reopen_at)
            {
              g_mutex_lock (&self->lock);
              if (!self->stopping)
                g_cond_wait_until (&self->wake_output, &self->lock, reopen_at);
              g_mutex_unlock (&self->lock);
              continue;
            }
          backoff_ms = CLAMP (backoff_ms * 2, 250, BACKOFF_MAX_MS);
          reopen_at = g_get_monotonic_time () + backoff_ms * G_TIME_SPAN_MILLISECOND;
          if (!pcm_open (&out, &no_device, &error))
            {
              if (!no_device || !fallback)
                {
                  post_pcm_error (&out, g_steal_pointer (&error));
                  continue;
                }
              /* the one line for this state; alsa-lib's own are at debug */
              go_silent (&out,
                         g_strdup_printf ("No sound card: playing silently (%s)", error->message));
              reopen_at = g_get_monotonic_time () + SILENT_RETRY_MS * G_TIME_SPAN_MILLISECOND;
            }
        }

      if (!out.paces && (out.silent || out.by_clock))
        {
          /* the clock plays out.buffer ahead at most, as a device would */
          guint64 q = queued (&out);

          if (q + out.period > out.buffer)
            {
              g_mutex_lock (&self->lock);
              if (!self->stopping)
                g_cond_wait_until (&self->wake_output, &self->lock,
                                   g_get_monotonic_time () +
                                       MIN ((gint64) (q + out.period - out.buffer) *
                                                G_USEC_PER_SEC / SK_AUDIO_RATE,
                                            SK_AUDIO_WAIT_SLICE_US / 2));
              g_mutex_unlock (&self->lock);
              continue;
            }
        }

      /* room for a period */
      if (out.silent)
        ;
      else
        {
          if (out.paces)
            {
              int err = snd_pcm_wait (out.pcm, 100);

              if (err < 0)
                {
                  recover (&out, err);
                  continue;
                }
            }
          avail = snd_pcm_avail_update (out.pcm);
          if (avail < 0)
            {
              recover (&out, (int) avail);
              continue;
            }
          if ((snd_pcm_uframes_t) avail < out.period)
            {
              if (!out.paces)
                snd_pcm_wait (out.pcm, 10);
              continue;
            }
        }

      /* what goes into it: see THE OUTPUT'S CHOICE above */
      g_mutex_lock (&self->lock);
      target = self->paused ? 0.0f : (float) self->volume;
      if (self->paused && out.gain == 0.0f && out.ramp_left == 0)
        silence = TRUE;
      else if (self->ring.len >= out.period)
        n = out.period;
      else if (self->decoder_idle || self->decoder_done)
        {
          n = self->ring.len;
          silence = (n == 0);
        }
      else
        {
          guint64 q = queued (&out);

          if (!out.paces || q > out.period)
            {
              /* the decoder is a little behind: wait for it (any frame it
               * writes wakes this) while the device has more than a period
               * to play. In short slices, re-reading the delay: a device
               * may run faster than its nominal rate (a test PCM at 20×). */
              gint64 wait = out.paces
                                ? (gint64) (q - out.period) * G_USEC_PER_SEC / SK_AUDIO_RATE / 8
                                : SK_AUDIO_WAIT_SLICE_US / 2;

              g_cond_wait_until (&self->wake_output, &self->lock,
                                 g_get_monotonic_time () + CLAMP (wait, G_TIME_SPAN_MILLISECOND / 2,
                                                                  SK_AUDIO_WAIT_SLICE_US / 2));
              g_mutex_unlock (&self->lock);
              continue;
            }
          g_debug ("The decoder is late: a period of silence");
          silence = TRUE;
        }
      if (silence && !out.paces)
        {
          /* nothing to play, and a PCM that does not pace: keep time */
          guint64 q = queued (&out);

          if (q >= out.buffer)
            {
              g_cond_wait_until (&self->wake_output, &self->lock,
                                 g_get_monotonic_time () +
                                     MIN ((gint64) (q - out.buffer + out.period) * G_USEC_PER_SEC /
                                              SK_AUDIO_RATE,
                                          SK_AUDIO_WAIT_SLICE_US / 2));
              g_mutex_unlock (&self->lock);
              continue;
            }
        }
      if (n > 0)
        {
          sk_audio_fifo_pop (&self->ring, out.frames, n);
          self->ring_read += n;
          g_cond_signal (&self->wake_decoder);
        }
      stall_ms = self->stall_ms;
      self->stall_ms = 0;
      if (target != out.gain_target)
        {
          out.gain_target = target;
          out.ramp_left = RAMP_FRAMES;
          out.gain_step = (target - out.gain) / RAMP_FRAMES;
        }
      g_mutex_unlock (&self->lock);

      if (stall_ms > 0)
        g_usleep (stall_ms * G_TIME_SPAN_MILLISECOND);
      render (&out, n);
      if (out.silent)
        silent_write (&out);
      else if (!write_period (&out))
        continue;
      backoff_ms = 0;
      reopen_at = 0;
    }

  if (out.pcm != NULL)
    {
      if (drained)
        pcm_drain (&out);
      else
        snd_pcm_drop (out.pcm);
      g_clear_pointer (&out.pcm, snd_pcm_close);
    }
  if (drained)
    {
      SkAudioEvent *ev = sk_audio_event_new (SK_AUDIO_EV_STOPPED);

      ev->generation = generation;
      sk_event_queue_post (self->events, ev);
    }
  g_free (out.frames);
  g_free (out.samples);
  g_free (out.last_error);
  return NULL;
}
