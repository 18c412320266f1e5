/* sk-audio-player.c: a short queue of files played through one ALSA PCM.
 *
 * THREADS AND WHAT EACH OWNS
 *
 *   caller      (the owner's main context) appends files, sets volume,
 *               crossfade, pause and skip flags under `lock`, and receives
 *               every signal. Never waits on I/O; stop (without drain) joins
 *               the threads, which answer within one bounded wait (≤ 200 ms).
 *   decoder     owns the SkAudioSources (the playing track and, during a
 *               crossfade, the next). Decodes, resamples, applies the track
 *               gain and the crossfade, and appends finished 48 kHz stereo
 *               float frames to `ring` (bounded: it waits for room). It also
 *               puts marks into `marks`, each at the ring position where it
 *               happens: a track starts, ends, fails, or nothing is left.
 *   output      owns the PCM. Takes whole periods from `ring`, applies the
 *               volume (ramped) and writes S16. When a mark's position has
 *               been written it becomes a state change and an event, so the
 *               signals follow what was handed to the device, not what was
 *               decoded. Recovers from -EPIPE/-ESTRPIPE by the PCM's state.
 *
 * The output's choice of what to write: sk-audio-output.c; the decoder's
 * states: sk-audio-decoder.c; the FIFO between them: sk-audio-fifo.c.
 *
 * Events reach the owner through an SkEventQueue (sk-event-queue.c), which
 * outlives the player if it must, so an event in flight after the player's
 * disposal is dropped, never delivered to freed memory.
 */
#include "config.h"

#include "sk-audio-player.h"
#include "sk-audio-player-private.h"

#include <math.h>

#define DEFAULT_BUFFER_US 200000
#define DEFAULT_PERIOD_US 50000

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-audio-error-quark, sk_audio_error)
/* clang-format on */

/* --- events -------------------------------------------------------------- */

SkAudioEvent *
sk_audio_event_new (SkAudioEventKind kind)
{
  SkAudioEvent *ev = g_new0 (SkAudioEvent, 1);

  ev->kind = kind;
  return ev;
}

void
sk_audio_event_free (SkAudioEvent *ev)
{
  g_free (ev->path);
  g_clear_error (&ev->error);
  g_free (ev);
}

G_DEFINE_FINAL_TYPE (SkAudioPlayer, sk_audio_player, G_TYPE_OBJECT)

enum
{
  SIGNAL_TRACK_STARTED,
  SIGNAL_TRACK_ENDED,
  SIGNAL_TRACK_FAILED,
  SIGNAL_IDLE,
  SIGNAL_UNDERRUN,
  SIGNAL_PCM_ERROR,
  SIGNAL_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
sk_audio_pending_free (SkAudioPending *p)
{
  g_free (p->path);
  g_free (p);
}

static void join_threads (SkAudioPlayer *self);
static void reset_run (SkAudioPlayer *self);

/* Each event on the owner's context (the SkEventQueue's dispatch). */
static void
emit_event (gpointer owner, gpointer event)
{
  SkAudioPlayer *self = owner;
  SkAudioEvent *ev = event;

  switch (ev->kind)
    {
    case SK_AUDIO_EV_STARTED:
      g_signal_emit (self, signals[SIGNAL_TRACK_STARTED], 0, ev->track, ev->path);
      break;
    case SK_AUDIO_EV_ENDED:
      g_signal_emit (self, signals[SIGNAL_TRACK_ENDED], 0, ev->track);
      break;
    case SK_AUDIO_EV_FAILED:
      g_signal_emit (self, signals[SIGNAL_TRACK_FAILED], 0, ev->track, ev->path, ev->error);
      break;
    case SK_AUDIO_EV_IDLE:
      g_signal_emit (self, signals[SIGNAL_IDLE], 0);
      break;
    case SK_AUDIO_EV_UNDERRUN:
      g_signal_emit (self, signals[SIGNAL_UNDERRUN], 0, ev->count);
      break;
    case SK_AUDIO_EV_PCM_ERROR:
      g_signal_emit (self, signals[SIGNAL_PCM_ERROR], 0, ev->error);
      break;
    case SK_AUDIO_EV_STOPPED:
      if (!ev->joined)
        {
          /* the end of a drain: the threads have ended or are ending */
          if (!self->running || ev->generation != self->generation)
            break;
          join_threads (self);
          reset_run (self);
        }
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* --- the object ---------------------------------------------------------- */

static void
join_threads (SkAudioPlayer *self)
{
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->wake_decoder);
  g_cond_broadcast (&self->wake_output);
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&self->decoder, g_thread_join);
  g_clear_pointer (&self->output, g_thread_join);
}

/* The tracks waiting, their marks and the ring: gone. */
static void
drop_pending (SkAudioPlayer *self)
{
  g_queue_clear_full (&self->pending, (GDestroyNotify) sk_audio_pending_free);
  g_queue_clear_full (&self->marks, (GDestroyNotify) sk_audio_event_free);
  sk_audio_fifo_clear (&self->ring);
}

/* After the threads are gone: back to STOPPED, nothing pending. */
static void
reset_run (SkAudioPlayer *self)
{
  g_mutex_lock (&self->lock);
  self->running = FALSE;
  self->stopping = FALSE;
  self->draining = FALSE;
  self->decoder_idle = FALSE;
  self->decoder_done = FALSE;
  self->paused = FALSE;
  self->skip = FALSE;
  drop_pending (self);
  self->ring_cap = SK_AUDIO_RING_FRAMES;
  self->ring_written = self->ring_read = 0;
  self->state = SK_AUDIO_STATE_STOPPED;
  self->current = 0;
  self->current_start = 0;
  self->silent = FALSE;
  g_mutex_unlock (&self->lock);
}

static void
sk_audio_player_dispose (GObject *object)
{
  SkAudioPlayer *self = SK_AUDIO_PLAYER (object);

  if (self->running)
    {
      join_threads (self);
      reset_run (self);
    }
  if (self->events != NULL)
    sk_event_queue_close (self->events);
  G_OBJECT_CLASS (sk_audio_player_parent_class)->dispose (object);
}

static void
sk_audio_player_finalize (GObject *object)
{
  SkAudioPlayer *self = SK_AUDIO_PLAYER (object);

  drop_pending (self);
  g_clear_pointer (&self->events, sk_event_queue_unref);
  g_free (self->pcm_name);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake_decoder);
  g_cond_clear (&self->wake_output);
  G_OBJECT_CLASS (sk_audio_player_parent_class)->finalize (object);
}

static void
sk_audio_player_class_init (SkAudioPlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_audio_player_dispose;
  object_class->finalize = sk_audio_player_finalize;
  sk_audio_output_route_alsa_errors ();

  signals[SIGNAL_TRACK_STARTED] = g_signal_new ("track-started", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                                2, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_TRACK_ENDED] = g_signal_new ("track-ended", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                              1, G_TYPE_UINT64);
  signals[SIGNAL_TRACK_FAILED] = g_signal_new ("track-failed", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                               3, G_TYPE_UINT64, G_TYPE_STRING, G_TYPE_ERROR);
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_UNDERRUN] = g_signal_new ("underrun", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PCM_ERROR] = g_signal_new ("pcm-error", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                            G_TYPE_ERROR);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sk_audio_player_init (SkAudioPlayer *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake_decoder);
  g_cond_init (&self->wake_output);
  g_queue_init (&self->pending);
  g_queue_init (&self->marks);
  self->volume = 1.0;
  self->next_id = 1;
  self->ring_cap = SK_AUDIO_RING_FRAMES;
  self->buffer_us = DEFAULT_BUFFER_US;
  self->period_us = DEFAULT_PERIOD_US;
  self->state = SK_AUDIO_STATE_STOPPED;
  self->paced = TRUE;
  self->silent_fallback = TRUE;
}

SkAudioPlayer *
sk_audio_player_new (const char *pcm_name)
{
  SkAudioPlayer *self = g_object_new (SK_TYPE_AUDIO_PLAYER, NULL);

  self->pcm_name = g_strdup (pcm_name != NULL && *pcm_name != '\0' ? pcm_name : "default");
  self->events = sk_event_queue_new (self, emit_event, (GDestroyNotify) sk_audio_event_free,
                                     "sk-audio-player");
  return self;
}

gboolean
sk_audio_player_set_buffer_time (SkAudioPlayer *self,
                                 guint buffer_us,
                                 guint period_us,
                                 GError **error)
{
  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);

  if (self->running || period_us < 1000 || buffer_us < 2 * period_us || buffer_us > 10000000)
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID,
                   self->running ? "The buffer is set before the player starts"
                                 : "A buffer of %u µs in periods of %u µs is out of range",
                   buffer_us, period_us);
      return FALSE;
    }
  self->buffer_us = buffer_us;
  self->period_us = period_us;
  return TRUE;
}

void
sk_audio_player_set_paced (SkAudioPlayer *self, gboolean paced)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));
  g_return_if_fail (!self->running);

  self->paced = paced;
}

void
sk_audio_player_set_silent_fallback (SkAudioPlayer *self, gboolean fallback)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));
  g_return_if_fail (!self->running);

  self->silent_fallback = fallback;
}

gboolean
sk_audio_player_start (SkAudioPlayer *self, GError **error)
{
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->running)
    return TRUE;
  g_mutex_lock (&self->lock);
  self->generation++;
  self->state = SK_AUDIO_STATE_PLAYING;
  sk_audio_fifo_reserve (&self->ring, self->ring_cap);
  g_mutex_unlock (&self->lock);
  self->running = TRUE;

  self->decoder = g_thread_try_new ("sk-audio-decode", sk_audio_decoder_thread, self, &local);
  if (self->decoder != NULL)
    self->output = g_thread_try_new ("sk-audio-output", sk_audio_output_thread, self, &local);
  if (self->output == NULL)
    {
      join_threads (self);
      reset_run (self);
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM, "The audio threads cannot start: %s",
                   local->message);
      return FALSE;
    }
  return TRUE;
}

void
sk_audio_player_stop (SkAudioPlayer *self, gboolean drain)
{
  SkAudioEvent *ev;

  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));

  if (!self->running)
    return;
  if (drain)
    {
      g_mutex_lock (&self->lock);
      self->draining = TRUE;
      self->paused = FALSE;
      g_cond_broadcast (&self->wake_decoder);
      g_cond_broadcast (&self->wake_output);
      g_mutex_unlock (&self->lock);
      return;
    }
  join_threads (self);
  reset_run (self);
  ev = sk_audio_event_new (SK_AUDIO_EV_STOPPED);
  ev->joined = TRUE;
  sk_event_queue_post (self->events, ev);
}

guint64
sk_audio_player_append (SkAudioPlayer *self, const char *path, double gain_db)
{
  SkAudioPending *p;
  guint64 id;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0);
  g_return_val_if_fail (path != NULL, 0);

  p = g_new0 (SkAudioPending, 1);
  p->path = g_strdup (path);
  p->gain_db = isfinite (gain_db) ? gain_db : 0.0;
  g_mutex_lock (&self->lock);
  id = p->id = self->next_id++;
  g_queue_push_tail (&self->pending, p);
  g_cond_signal (&self->wake_decoder);
  g_mutex_unlock (&self->lock);
  return id;
}

void
sk_audio_player_clear_pending (SkAudioPlayer *self)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));

  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->pending, (GDestroyNotify) sk_audio_pending_free);
  g_mutex_unlock (&self->lock);
}

guint
sk_audio_player_get_n_pending (SkAudioPlayer *self)
{
  guint n;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0);

  g_mutex_lock (&self->lock);
  n = self->pending.length;
  g_mutex_unlock (&self->lock);
  return n;
}

static void
set_paused (SkAudioPlayer *self, gboolean paused)
{
  g_mutex_lock (&self->lock);
  self->paused = paused;
  g_cond_broadcast (&self->wake_output);
  g_mutex_unlock (&self->lock);
}

void
sk_audio_player_pause (SkAudioPlayer *self)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));
  set_paused (self, TRUE);
}

void
sk_audio_player_resume (SkAudioPlayer *self)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));
  set_paused (self, FALSE);
}

void
sk_audio_player_skip (SkAudioPlayer *self)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));

  g_mutex_lock (&self->lock);
  /* nothing is heard yet (starting, idle): there is nothing to skip, and a
   * track ended before its first frame would leave its start unreached */
  if (self->current != 0)
    {
      self->skip = TRUE;
      self->skip_id = self->current;
      g_cond_signal (&self->wake_decoder);
    }
  g_mutex_unlock (&self->lock);
}

/* The values a setting may take, 0 to max, and how its sentence names it. */
typedef struct
{
  const char *what;
  const char *unit; /* after the value: "", " s" */
  double max;
} Range;

static const Range crossfade_range = { "crossfade", " s", SK_AUDIO_CROSSFADE_MAX };
static const Range volume_range = { "volume", "", 1.0 };

/* *@field = @value, under the lock, when @value is in @range; else FALSE
 * with a sentence. */
static gboolean
set_in_range (SkAudioPlayer *self, double *field, double value, const Range *range, GError **error)
{
  if (!(value >= 0.0 && value <= range->max))
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID,
                   "A %s of %g%s is out of range (0 to %g)", range->what, value, range->unit,
                   range->max);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  *field = value;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
sk_audio_player_set_crossfade (SkAudioPlayer *self, double seconds, GError **error)
{
  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);
  return set_in_range (self, &self->crossfade, seconds, &crossfade_range, error);
}

gboolean
sk_audio_player_set_volume (SkAudioPlayer *self, double volume, GError **error)
{
  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);
  return set_in_range (self, &self->volume, volume, &volume_range, error);
}

gboolean
sk_audio_player_is_silent (SkAudioPlayer *self)
{
  gboolean silent;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);

  g_mutex_lock (&self->lock);
  silent = self->silent;
  g_mutex_unlock (&self->lock);
  return silent;
}

SkAudioState
sk_audio_player_get_state (SkAudioPlayer *self)
{
  SkAudioState state;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), SK_AUDIO_STATE_STOPPED);

  g_mutex_lock (&self->lock);
  state = self->state;
  if (self->paused && state != SK_AUDIO_STATE_STOPPED)
    state = SK_AUDIO_STATE_PAUSED;
  g_mutex_unlock (&self->lock);
  return state;
}

double
sk_audio_player_get_position (SkAudioPlayer *self)
{
  double position = 0.0;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0.0);

  g_mutex_lock (&self->lock);
  if (self->current != 0 && self->ring_read > self->current_start)
    position = (double) (self->ring_read - self->current_start) / SK_AUDIO_RATE;
  g_mutex_unlock (&self->lock);
  return position;
}

void
sk_audio_player_stall_output_for_testing (SkAudioPlayer *self, guint ms)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));

  g_mutex_lock (&self->lock);
  self->stall_ms = ms;
  g_mutex_unlock (&self->lock);
}

void
sk_audio_player_get_stats (SkAudioPlayer *self, SkAudioPlayerStats *stats)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->lock);
  stats->current = self->current;
  stats->underruns = self->underruns;
  stats->realtime = self->realtime;
  g_mutex_unlock (&self->lock);
}
