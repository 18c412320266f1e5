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
 *   cannot run dry: there the output waits for the decoder, and writes the
 *   silence of idle and pause at the wall clock's rate.
 *
 * DECODER STATES (per track, in decoder_thread())
 *
 *   OPEN      the next pending file is opened; a failure is a FAILED mark
 *             and the one after is tried; none left → an IDLE mark and a
 *             wait for append.
 *   PLAY      the file is read into a lookahead of `crossfade` seconds;
 *             frames older than the lookahead go to the ring.
 *   TAIL      the file is over (or skipped): the lookahead is its tail. With
 *             a crossfade and a next file, the last L frames are mixed with
 *             the next file's first L, outgoing × cos(πt/2L), incoming ×
 *             sin(πt/2L), L = min(crossfade, this length / 2, next's / 2);
 *             the next file is then PLAYing. Without, the tail plays (a skip
 *             fades it out over the crossfade) and the next file is OPENed:
 *             gapless.
 *
 * Events reach the owner through an EventQueue: a small refcounted object
 * that outlives the player if it must, so an event in flight after the
 * player's finalisation is dropped, never delivered to freed memory.
 */
#include "config.h"

#include "sk-audio-player.h"
#include "sk-audio-player-private.h"
#include "sk-audio-source.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <string.h>

#define CHUNK            4096     /* frames per decoder step */
#define RING_FRAMES      16384    /* ~340 ms decoded ahead */
#define WAIT_SLICE_US    (100 * G_TIME_SPAN_MILLISECOND)
#define RAMP_FRAMES      (SK_AUDIO_VOLUME_RAMP_MS * SK_AUDIO_RATE / 1000)
#define DEFAULT_BUFFER_US 200000
#define DEFAULT_PERIOD_US 50000
#define BACKOFF_MAX_MS   5000

G_DEFINE_QUARK (sk-audio-error-quark, sk_audio_error)

/* --- a FIFO of stereo float frames --------------------------------------- */

typedef struct
{
  float *buf;
  gsize cap;   /* frames */
  gsize head;
  gsize len;
} Fifo;

static void
fifo_reserve (Fifo  *fifo,
              gsize  cap)
{
  float *buf;
  gsize first;

  if (cap <= fifo->cap)
    return;
  buf = g_new (float, cap * 2);
  first = MIN (fifo->len, fifo->cap - fifo->head);
  if (fifo->len > 0)
    {
      memcpy (buf, fifo->buf + 2 * fifo->head, first * 2 * sizeof (float));
      memcpy (buf + 2 * first, fifo->buf, (fifo->len - first) * 2 * sizeof (float));
    }
  g_free (fifo->buf);
  fifo->buf = buf;
  fifo->cap = cap;
  fifo->head = 0;
}

/* Appends @n frames; the caller made room. */
static void
fifo_push (Fifo        *fifo,
           const float *frames,
           gsize        n)
{
  gsize tail = (fifo->head + fifo->len) % MAX (fifo->cap, 1);
  gsize first = MIN (n, fifo->cap - tail);

  g_assert (fifo->len + n <= fifo->cap);
  memcpy (fifo->buf + 2 * tail, frames, first * 2 * sizeof (float));
  memcpy (fifo->buf, frames + 2 * first, (n - first) * 2 * sizeof (float));
  fifo->len += n;
}

/* Takes @n frames from the front into @out (or drops them). */
static void
fifo_pop (Fifo  *fifo,
          float *out,
          gsize  n)
{
  gsize first = MIN (n, fifo->cap - fifo->head);

  g_assert (n <= fifo->len);
  if (out != NULL)
    {
      memcpy (out, fifo->buf + 2 * fifo->head, first * 2 * sizeof (float));
      memcpy (out + 2 * first, fifo->buf, (n - first) * 2 * sizeof (float));
    }
  fifo->head = fifo->cap > 0 ? (fifo->head + n) % fifo->cap : 0;
  fifo->len -= n;
}

/* Keeps the first @n frames (drops the rest). */
static void
fifo_truncate (Fifo  *fifo,
               gsize  n)
{
  fifo->len = MIN (fifo->len, n);
}

static void
fifo_clear (Fifo *fifo)
{
  g_clear_pointer (&fifo->buf, g_free);
  fifo->cap = fifo->head = fifo->len = 0;
}

/* --- events -------------------------------------------------------------- */

typedef enum
{
  EV_STARTED,
  EV_ENDED,
  EV_FAILED,
  EV_IDLE,
  EV_UNDERRUN,
  EV_PCM_ERROR,
  EV_STOPPED,
} EventKind;

/* An event, or (in `marks`) an event waiting for the output to reach @at. */
typedef struct
{
  EventKind kind;
  guint64 at;
  guint64 track;
  char *path;
  GError *error;
  guint count;
  guint generation;   /* EV_STOPPED from the output thread: which run */
  gboolean joined;    /* EV_STOPPED: the caller already joined the threads */
} Event;

static Event *
event_new (EventKind kind)
{
  Event *ev = g_new0 (Event, 1);

  ev->kind = kind;
  return ev;
}

static void
event_free (Event *ev)
{
  g_free (ev->path);
  g_clear_error (&ev->error);
  g_free (ev);
}

typedef struct
{
  gatomicrefcount ref;
  GMutex lock;
  GQueue events;
  gboolean source_pending;
  GMainContext *context;
  SkAudioPlayer *owner;   /* touched on the owner's context only */
} EventQueue;

static EventQueue *
event_queue_ref (EventQueue *queue)
{
  g_atomic_ref_count_inc (&queue->ref);
  return queue;
}

static void
event_queue_unref (gpointer data)
{
  EventQueue *queue = data;

  if (!g_atomic_ref_count_dec (&queue->ref))
    return;
  g_queue_clear_full (&queue->events, (GDestroyNotify) event_free);
  g_mutex_clear (&queue->lock);
  g_main_context_unref (queue->context);
  g_free (queue);
}

struct _SkAudioPlayer
{
  GObject parent_instance;

  char *pcm_name;
  EventQueue *events;
  guint buffer_us;
  guint period_us;

  GThread *decoder;
  GThread *output;
  gboolean running;        /* threads exist (caller's side only) */

  GMutex lock;             /* everything below */
  GCond wake_decoder;      /* room in the ring, append, skip, stop */
  GCond wake_output;       /* frames in the ring, marks, pause, stop */
  guint generation;
  gboolean stopping;       /* stop now */
  gboolean draining;       /* stop once everything queued has played */
  gboolean decoder_idle;   /* nothing to decode (an IDLE mark is queued) */
  gboolean decoder_done;   /* the decoder thread has ended (drain) */
  gboolean paused;
  gboolean skip;
  guint64 skip_id;         /* the track audible when skip() was called */
  double volume;
  double crossfade;
  GQueue pending;          /* of Pending */
  guint64 next_id;
  Fifo ring;
  gsize ring_cap;
  guint64 ring_written;    /* frames ever put into the ring */
  guint64 ring_read;       /* frames ever handed to the PCM */
  GQueue marks;            /* of Event, by position */
  SkAudioState state;      /* PLAYING or IDLE while running */
  guint64 current;
  guint64 current_start;   /* its first frame's ring position */
  guint underruns;
  gboolean realtime;     /* the output thread got SCHED_FIFO */
  guint stall_ms;          /* tests: sleep this long before the next write */
};

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

typedef struct
{
  guint64 id;
  char *path;
  double gain_db;
} Pending;

static void
pending_free (Pending *p)
{
  g_free (p->path);
  g_free (p);
}

static void join_threads (SkAudioPlayer *self);
static void reset_run (SkAudioPlayer *self);

static void
emit_event (SkAudioPlayer *self,
            Event         *ev)
{
  switch (ev->kind)
    {
    case EV_STARTED:
      g_signal_emit (self, signals[SIGNAL_TRACK_STARTED], 0, ev->track, ev->path);
      break;
    case EV_ENDED:
      g_signal_emit (self, signals[SIGNAL_TRACK_ENDED], 0, ev->track);
      break;
    case EV_FAILED:
      g_signal_emit (self, signals[SIGNAL_TRACK_FAILED], 0, ev->track, ev->path, ev->error);
      break;
    case EV_IDLE:
      g_signal_emit (self, signals[SIGNAL_IDLE], 0);
      break;
    case EV_UNDERRUN:
      g_signal_emit (self, signals[SIGNAL_UNDERRUN], 0, ev->count);
      break;
    case EV_PCM_ERROR:
      g_signal_emit (self, signals[SIGNAL_PCM_ERROR], 0, ev->error);
      break;
    case EV_STOPPED:
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

static gboolean
dispatch_events (gpointer data)
{
  EventQueue *queue = data;
  GQueue events = G_QUEUE_INIT;
  g_autoptr(SkAudioPlayer) owner = NULL;
  Event *ev;

  g_mutex_lock (&queue->lock);
  events = queue->events;
  g_queue_init (&queue->events);
  queue->source_pending = FALSE;
  g_mutex_unlock (&queue->lock);

  /* A handler may drop the last reference: hold one while emitting, and
   * re-check the owner before each event (dispose clears it). */
  if (queue->owner != NULL)
    owner = g_object_ref (queue->owner);
  while ((ev = g_queue_pop_head (&events)) != NULL)
    {
      if (owner != NULL && queue->owner != NULL)
        emit_event (owner, ev);
      event_free (ev);
    }
  return G_SOURCE_REMOVE;
}

/* Any thread. Hands @ev to the owner's context; events keep their order. */
static void
post_event (EventQueue *queue,
            Event      *ev)
{
  g_mutex_lock (&queue->lock);
  g_queue_push_tail (&queue->events, ev);
  if (!queue->source_pending)
    {
      /* not g_main_context_invoke(): from a worker it could run the
       * handler right here when no thread owns the context */
      GSource *source = g_idle_source_new ();

      queue->source_pending = TRUE;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, dispatch_events, event_queue_ref (queue),
                             event_queue_unref);
      g_source_set_static_name (source, "[sk-audio-player] events");
      g_source_attach (source, queue->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&queue->lock);
}

/* --- the decoder thread -------------------------------------------------- */

typedef struct
{
  guint64 id;
  char *path;
  SkAudioSource *src;
  Fifo lookahead;
  gboolean src_done;
  guint64 emitted;   /* frames of this track put into the ring */
} Track;

static void
track_free (Track *track)
{
  if (track == NULL)
    return;
  g_clear_pointer (&track->src, sk_audio_source_free);
  fifo_clear (&track->lookahead);
  g_free (track->path);
  g_free (track);
}

/* With the lock held: a mark at the ring's current end. */
static void
push_mark_locked (SkAudioPlayer *self,
                  EventKind      kind,
                  guint64        track,
                  const char    *path,
                  GError        *error)
{
  Event *ev = event_new (kind);

  ev->at = self->ring_written;
  ev->track = track;
  ev->path = g_strdup (path);
  ev->error = error;
  g_queue_push_tail (&self->marks, ev);
  g_cond_signal (&self->wake_output);
}

static void
push_mark (SkAudioPlayer *self,
           EventKind      kind,
           guint64        track,
           const char    *path,
           GError        *error)
{
  g_mutex_lock (&self->lock);
  push_mark_locked (self, kind, track, path, error);
  g_mutex_unlock (&self->lock);
}

/* Waits for room and appends; FALSE when stopping. */
static gboolean
ring_write (SkAudioPlayer *self,
            const float   *frames,
            gsize          n)
{
  while (n > 0)
    {
      gsize k;

      g_mutex_lock (&self->lock);
      while (self->ring.len == self->ring_cap && !self->stopping)
        g_cond_wait_until (&self->wake_decoder, &self->lock,
                           g_get_monotonic_time () + WAIT_SLICE_US);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
      k = MIN (n, self->ring_cap - self->ring.len);
      fifo_push (&self->ring, frames, k);
      self->ring_written += k;
      g_cond_signal (&self->wake_output);
      g_mutex_unlock (&self->lock);
      frames += 2 * k;
      n -= k;
    }
  return TRUE;
}

/* Opens pending files until one opens (FAILED marks for the others).
 * NULL when none is left. */
static Track *
open_next (SkAudioPlayer *self)
{
  for (;;)
    {
      Pending *p;
      Track *track;
      GError *error = NULL;

      g_mutex_lock (&self->lock);
      p = g_queue_pop_head (&self->pending);
      g_mutex_unlock (&self->lock);
      if (p == NULL)
        return NULL;

      track = g_new0 (Track, 1);
      track->id = p->id;
      track->path = g_steal_pointer (&p->path);
      track->src = sk_audio_source_open (track->path, p->gain_db, &error);
      pending_free (p);
      if (track->src != NULL)
        return track;
      g_debug ("Track %" G_GUINT64_FORMAT " skipped: %s", track->id, error->message);
      push_mark (self, EV_FAILED, track->id, track->path, error);
      track_free (track);
    }
}

/* Tops up the lookahead to @want frames (or the end of the file). */
static void
fill_lookahead (Track *track,
                gsize  want,
                float *chunk)
{
  fifo_reserve (&track->lookahead, want + CHUNK);
  while (!track->src_done && track->lookahead.len < want)
    {
      gsize n = sk_audio_source_read (track->src, chunk, CHUNK);

      fifo_push (&track->lookahead, chunk, n);
      if (n < CHUNK)
        {
          const GError *error = sk_audio_source_get_error (track->src);

          track->src_done = TRUE;
          if (error != NULL)
            g_message ("Track %" G_GUINT64_FORMAT " ends early: %s", track->id,
                       error->message);
        }
    }
}

/* Moves @n frames from the lookahead to the ring, through @chunk. */
static gboolean
emit_lookahead (SkAudioPlayer *self,
                Track         *track,
                gsize          n,
                float         *chunk,
                gboolean       fade_out)
{
  gsize total = n;

  for (gsize done = 0; done < total;)
    {
      gsize k = MIN (CHUNK, total - done);

      fifo_pop (&track->lookahead, chunk, k);
      if (fade_out)
        for (gsize i = 0; i < k; i++)
          {
            float g = (float) cos (G_PI_2 * ((double) (done + i) + 0.5) / (double) total);

            chunk[2 * i] *= g;
            chunk[2 * i + 1] *= g;
          }
      if (!ring_write (self, chunk, k))
        return FALSE;
      track->emitted += k;
      done += k;
    }
  return TRUE;
}

/* The equal-power crossfade of @out's last @len frames (its lookahead)
 * with @in's first. */
static gboolean
crossfade (SkAudioPlayer *self,
           Track         *out,
           Track         *in,
           gsize          len,
           float         *chunk,
           float         *mix)
{
  for (gsize done = 0; done < len;)
    {
      gsize k = MIN (CHUNK, len - done);
      gsize got = 0;

      fifo_pop (&out->lookahead, mix, k);
      if (!in->src_done)
        got = sk_audio_source_read (in->src, chunk, k);
      if (got < k)
        {
          /* shorter than its header said: the rest of the fade is silence */
          in->src_done = TRUE;
          memset (chunk + 2 * got, 0, (k - got) * 2 * sizeof (float));
        }
      for (gsize i = 0; i < k; i++)
        {
          double theta = G_PI_2 * ((double) (done + i) + 0.5) / (double) len;
          float go = (float) cos (theta), gi = (float) sin (theta);

          mix[2 * i] = mix[2 * i] * go + chunk[2 * i] * gi;
          mix[2 * i + 1] = mix[2 * i + 1] * go + chunk[2 * i + 1] * gi;
        }
      if (!ring_write (self, mix, k))
        return FALSE;
      out->emitted += k;
      in->emitted += got;
      done += k;
    }
  return TRUE;
}

/* The TAIL state: @track's file is over; its lookahead is what is left.
 * Returns the track that plays next (NULL: none), or sets *@abort. */
static Track *
finish_track (SkAudioPlayer *self,
              Track         *track,
              gsize          fade,
              gboolean       skipped,
              float         *chunk,
              float         *mix,
              gboolean      *abort)
{
  gsize tail = track->lookahead.len;
  Track *next = NULL;

  if (fade > 0 && tail > 0)
    next = open_next (self);
  if (next != NULL)
    {
      guint64 total = track->emitted + tail;
      guint64 estimate = sk_audio_source_get_estimate (next->src);
      gsize len = (gsize) MIN (MIN ((guint64) fade, (guint64) tail),
                               MIN (total / 2, estimate / 2));

      if (!emit_lookahead (self, track, tail - len, chunk, FALSE))
        goto aborted;
      g_mutex_lock (&self->lock);
      self->decoder_idle = FALSE;
      push_mark_locked (self, EV_STARTED, next->id, next->path, NULL);
      g_mutex_unlock (&self->lock);
      g_debug ("Crossfade of %zu frames from track %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
               len, track->id, next->id);
      if (!crossfade (self, track, next, len, chunk, mix))
        goto aborted;
    }
  else
    {
      /* a skip with a crossfade and nothing after: fade out */
      gsize keep = skipped ? MIN (fade, tail) : tail;

      fifo_truncate (&track->lookahead, keep);
      if (!emit_lookahead (self, track, keep, chunk, skipped && keep > 0))
        goto aborted;
    }
  push_mark (self, EV_ENDED, track->id, NULL, NULL);
  track_free (track);
  return next;

aborted:
  track_free (next);
  track_free (track);
  *abort = TRUE;
  return NULL;
}

static gpointer
decoder_thread (gpointer data)
{
  SkAudioPlayer *self = data;
  g_autofree float *chunk = g_new (float, CHUNK * 2);
  g_autofree float *mix = g_new (float, CHUNK * 2);
  Track *track = NULL;

  for (;;)
    {
      gboolean skipped = FALSE;
      gboolean abort = FALSE;
      gsize fade;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      /* a skip is for the track the listener hears; when the decoder has
       * already finished that one, it ends on its own within the ring */
      skipped = self->skip && track != NULL
                && (self->skip_id == 0 || self->skip_id == track->id);
      if (track != NULL || self->pending.length == 0)
        self->skip = FALSE;
      fade = (gsize) (self->crossfade * SK_AUDIO_RATE);
      if (track == NULL && self->pending.length == 0)
        {
          if (!self->decoder_idle)
            {
              self->decoder_idle = TRUE;
              push_mark_locked (self, EV_IDLE, 0, NULL, NULL);
            }
          if (self->draining)
            {
              self->decoder_done = TRUE;
              g_cond_signal (&self->wake_output);
              g_mutex_unlock (&self->lock);
              break;
            }
          g_cond_wait_until (&self->wake_decoder, &self->lock,
                             g_get_monotonic_time () + WAIT_SLICE_US);
          g_mutex_unlock (&self->lock);
          continue;
        }
      g_mutex_unlock (&self->lock);

      if (track == NULL)   /* OPEN */
        {
          track = open_next (self);
          if (track != NULL)
            {
              g_mutex_lock (&self->lock);
              self->decoder_idle = FALSE;
              push_mark_locked (self, EV_STARTED, track->id, track->path, NULL);
              g_mutex_unlock (&self->lock);
            }
          continue;
        }

      if (skipped)
        {
          track->src_done = TRUE;
          /* what plays next is the fade-out; the rest goes */
          fifo_truncate (&track->lookahead, fade);
        }
      fill_lookahead (track, fade + CHUNK, chunk);
      if (!track->src_done)   /* PLAY */
        {
          if (!emit_lookahead (self, track, track->lookahead.len - fade, chunk, FALSE))
            break;
          continue;
        }
      track = finish_track (self, track, fade, skipped, chunk, mix, &abort);
      if (abort)
        break;
    }
  track_free (track);
  return NULL;
}

/* --- the output thread --------------------------------------------------- */

typedef struct
{
  SkAudioPlayer *self;
  snd_pcm_t *pcm;
  snd_pcm_uframes_t period;
  snd_pcm_uframes_t buffer;
  gboolean paces;          /* snd_pcm_delay() has been seen above 0 */
  gint64 anchor;           /* when `written` started counting (not pacing) */
  guint64 written;
  float *frames;
  gint16 *samples;
  float gain;
  float gain_target;
  float gain_step;
  guint ramp_left;
  char *last_error;
} Output;

static void
post_pcm_error (Output *out,
                GError *error)
{
  Event *ev;

  if (g_strcmp0 (out->last_error, error->message) == 0)
    {
      g_error_free (error);
      return;
    }
  /* a message, not a warning: the owner decides (and retries are normal) */
  g_message ("%s", error->message);
  g_free (out->last_error);
  out->last_error = g_strdup (error->message);
  ev = event_new (EV_PCM_ERROR);
  ev->error = error;
  post_event (out->self->events, ev);
}

static gboolean
pcm_open (Output  *out,
          GError **error)
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
  if ((err = snd_pcm_hw_params_any (out->pcm, hw)) < 0
      || (err = snd_pcm_hw_params_set_rate_resample (out->pcm, hw, 1)) < 0
      || (err = snd_pcm_hw_params_set_access (out->pcm, hw,
                                              SND_PCM_ACCESS_RW_INTERLEAVED)) < 0
      || (err = snd_pcm_hw_params_set_format (out->pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0
      || (err = snd_pcm_hw_params_set_channels (out->pcm, hw, SK_AUDIO_CHANNELS)) < 0
      || (err = snd_pcm_hw_params_set_rate (out->pcm, hw, SK_AUDIO_RATE, 0)) < 0
      || (err = snd_pcm_hw_params_set_buffer_time_near (out->pcm, hw, &buffer_us, NULL)) < 0
      || (err = snd_pcm_hw_params_set_period_time_near (out->pcm, hw, &period_us, NULL)) < 0
      || (err = snd_pcm_hw_params (out->pcm, hw)) < 0
      || (err = snd_pcm_hw_params_get_period_size (hw, &out->period, NULL)) < 0
      || (err = snd_pcm_hw_params_get_buffer_size (hw, &out->buffer)) < 0)
    goto failed;
  /* start once the buffer is full, wake when a period has room */
  start = out->buffer - out->buffer % out->period;
  if ((err = snd_pcm_sw_params_current (out->pcm, sw)) < 0
      || (err = snd_pcm_sw_params_set_start_threshold (out->pcm, sw, start)) < 0
      || (err = snd_pcm_sw_params_set_avail_min (out->pcm, sw, out->period)) < 0
      || (err = snd_pcm_sw_params (out->pcm, sw)) < 0)
    goto failed;

  g_debug ("PCM “%s”: period %lu, buffer %lu frames", self->pcm_name,
           out->period, out->buffer);
  g_free (out->frames);
  g_free (out->samples);
  out->frames = g_new0 (float, out->period * 2);
  out->samples = g_new0 (gint16, out->period * 2);
  out->anchor = 0;
  out->written = 0;
  g_clear_pointer (&out->last_error, g_free);
  g_mutex_lock (&self->lock);
  /* the decoder keeps at least the device's buffer ahead */
  self->ring_cap = MAX (self->ring_cap, out->buffer + out->period);
  fifo_reserve (&self->ring, self->ring_cap);
  g_mutex_unlock (&self->lock);
  return TRUE;

failed:
  if (out->pcm == NULL)
    g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM,
                 "The sound output “%s” cannot be opened (%s)",
                 self->pcm_name, snd_strerror (err));
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
recover (Output *out,
         int     err)
{
  SkAudioPlayer *self = out->self;
  snd_pcm_state_t state = snd_pcm_state (out->pcm);

  out->anchor = 0;
  out->written = 0;
  if (err == -EPIPE || state == SND_PCM_STATE_XRUN)
    {
      Event *ev = event_new (EV_UNDERRUN);

      g_mutex_lock (&self->lock);
      ev->count = ++self->underruns;
      g_mutex_unlock (&self->lock);
      g_debug ("Underrun %u", ev->count);
      post_event (self->events, ev);
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
                                        "The sound output “%s” failed (%s)",
                                        self->pcm_name, snd_strerror (err)));
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
  Event *ev;

  while ((ev = g_queue_peek_head (&self->marks)) != NULL)
    {
      /* a start is reached once its first frame went out, the rest once
       * every frame before them did */
      if (ev->kind == EV_STARTED ? ev->at >= self->ring_read : ev->at > self->ring_read)
        break;
      g_queue_pop_head (&self->marks);
      switch (ev->kind)
        {
        case EV_STARTED:
          self->current = ev->track;
          self->current_start = ev->at;
          self->state = SK_AUDIO_STATE_PLAYING;
          break;
        case EV_ENDED:
          if (self->current == ev->track)
            self->current = 0;
          break;
        case EV_IDLE:
          self->current = 0;
          self->state = SK_AUDIO_STATE_IDLE;
          break;
        case EV_FAILED:
        case EV_UNDERRUN:
        case EV_PCM_ERROR:
        case EV_STOPPED:
        default:
          break;
        }
      post_event (self->events, ev);
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
      snd_pcm_sframes_t n = snd_pcm_writei (out->pcm, out->samples + 2 * done,
                                           out->period - done);

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
render (Output *out,
        gsize   n)
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

static gpointer
output_thread (gpointer data)
{
  Output out = { .self = data };
  SkAudioPlayer *self = data;
  guint backoff_ms = 0;
  gint64 reopen_at = 0;
  gboolean drained = FALSE;
  guint generation;
  gboolean realtime = output_go_realtime ();

  g_mutex_lock (&self->lock);
  out.gain = out.gain_target = (float) self->volume;
  generation = self->generation;
  self->realtime = realtime;
  g_mutex_unlock (&self->lock);

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
      if (self->draining && self->decoder_done && self->ring.len == 0
          && self->marks.length == 0)
        {
          g_mutex_unlock (&self->lock);
          drained = TRUE;
          break;
        }
      g_mutex_unlock (&self->lock);

      if (out.pcm == NULL)
        {
          g_autoptr(GError) error = NULL;

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
          if (!pcm_open (&out, &error))
            {
              post_pcm_error (&out, g_steal_pointer (&error));
              continue;
            }
        }

      /* room for a period */
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
              gint64 wait = out.paces ? (gint64) (q - out.period) * G_USEC_PER_SEC
                                        / SK_AUDIO_RATE / 8
                                      : WAIT_SLICE_US / 2;

              g_cond_wait_until (&self->wake_output, &self->lock,
                                 g_get_monotonic_time ()
                                 + CLAMP (wait, G_TIME_SPAN_MILLISECOND / 2, WAIT_SLICE_US / 2));
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
                                 g_get_monotonic_time ()
                                 + MIN ((gint64) (q - out.buffer + out.period) * G_USEC_PER_SEC
                                        / SK_AUDIO_RATE, WAIT_SLICE_US / 2));
              g_mutex_unlock (&self->lock);
              continue;
            }
        }
      if (n > 0)
        {
          fifo_pop (&self->ring, out.frames, n);
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
      if (!write_period (&out))
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
      Event *ev = event_new (EV_STOPPED);

      ev->generation = generation;
      post_event (self->events, ev);
    }
  g_free (out.frames);
  g_free (out.samples);
  g_free (out.last_error);
  return NULL;
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
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);
  g_queue_clear_full (&self->marks, (GDestroyNotify) event_free);
  fifo_clear (&self->ring);
  self->ring_cap = RING_FRAMES;
  self->ring_written = self->ring_read = 0;
  self->state = SK_AUDIO_STATE_STOPPED;
  self->current = 0;
  self->current_start = 0;
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
    self->events->owner = NULL;
  G_OBJECT_CLASS (sk_audio_player_parent_class)->dispose (object);
}

static void
sk_audio_player_finalize (GObject *object)
{
  SkAudioPlayer *self = SK_AUDIO_PLAYER (object);

  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);
  g_queue_clear_full (&self->marks, (GDestroyNotify) event_free);
  fifo_clear (&self->ring);
  g_clear_pointer (&self->events, event_queue_unref);
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

  signals[SIGNAL_TRACK_STARTED] =
    g_signal_new ("track-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
  signals[SIGNAL_TRACK_ENDED] =
    g_signal_new ("track-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT64);
  signals[SIGNAL_TRACK_FAILED] =
    g_signal_new ("track-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT64, G_TYPE_STRING,
                  G_TYPE_ERROR);
  signals[SIGNAL_IDLE] =
    g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_UNDERRUN] =
    g_signal_new ("underrun", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PCM_ERROR] =
    g_signal_new ("pcm-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
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
  self->ring_cap = RING_FRAMES;
  self->buffer_us = DEFAULT_BUFFER_US;
  self->period_us = DEFAULT_PERIOD_US;
  self->state = SK_AUDIO_STATE_STOPPED;
}

SkAudioPlayer *
sk_audio_player_new (const char *pcm_name)
{
  SkAudioPlayer *self = g_object_new (SK_TYPE_AUDIO_PLAYER, NULL);

  self->pcm_name = g_strdup (pcm_name != NULL && *pcm_name != '\0' ? pcm_name : "default");
  self->events = g_new0 (EventQueue, 1);
  g_atomic_ref_count_init (&self->events->ref);
  g_mutex_init (&self->events->lock);
  g_queue_init (&self->events->events);
  self->events->context = g_main_context_ref_thread_default ();
  self->events->owner = self;
  return self;
}

gboolean
sk_audio_player_set_buffer_time (SkAudioPlayer  *self,
                                 guint           buffer_us,
                                 guint           period_us,
                                 GError        **error)
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

gboolean
sk_audio_player_start (SkAudioPlayer  *self,
                       GError        **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->running)
    return TRUE;
  g_mutex_lock (&self->lock);
  self->generation++;
  self->state = SK_AUDIO_STATE_PLAYING;
  fifo_reserve (&self->ring, self->ring_cap);
  g_mutex_unlock (&self->lock);
  self->running = TRUE;

  self->decoder = g_thread_try_new ("sk-audio-decode", decoder_thread, self, &local);
  if (self->decoder != NULL)
    self->output = g_thread_try_new ("sk-audio-output", output_thread, self, &local);
  if (self->output == NULL)
    {
      join_threads (self);
      reset_run (self);
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_PCM,
                   "The audio threads cannot start: %s", local->message);
      return FALSE;
    }
  return TRUE;
}

void
sk_audio_player_stop (SkAudioPlayer *self,
                      gboolean       drain)
{
  Event *ev;

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
  ev = event_new (EV_STOPPED);
  ev->joined = TRUE;
  post_event (self->events, ev);
}

guint64
sk_audio_player_append (SkAudioPlayer *self,
                        const char    *path,
                        double         gain_db)
{
  Pending *p;
  guint64 id;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0);
  g_return_val_if_fail (path != NULL, 0);

  p = g_new0 (Pending, 1);
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
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);
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
set_paused (SkAudioPlayer *self,
            gboolean       paused)
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

gboolean
sk_audio_player_set_crossfade (SkAudioPlayer  *self,
                               double          seconds,
                               GError        **error)
{
  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);

  if (!(seconds >= 0.0 && seconds <= SK_AUDIO_CROSSFADE_MAX))
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID,
                   "A crossfade of %g s is out of range (0 to %g)", seconds,
                   SK_AUDIO_CROSSFADE_MAX);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->crossfade = seconds;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

gboolean
sk_audio_player_set_volume (SkAudioPlayer  *self,
                            double          volume,
                            GError        **error)
{
  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);

  if (!(volume >= 0.0 && volume <= 1.0))
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_INVALID,
                   "A volume of %g is out of range (0 to 1)", volume);
      return FALSE;
    }
  g_mutex_lock (&self->lock);
  self->volume = volume;
  g_mutex_unlock (&self->lock);
  return TRUE;
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

guint64
sk_audio_player_get_current (SkAudioPlayer *self)
{
  guint64 current;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0);

  g_mutex_lock (&self->lock);
  current = self->current;
  g_mutex_unlock (&self->lock);
  return current;
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
sk_audio_player_stall_output_for_testing (SkAudioPlayer *self,
                                          guint          ms)
{
  g_return_if_fail (SK_IS_AUDIO_PLAYER (self));

  g_mutex_lock (&self->lock);
  self->stall_ms = ms;
  g_mutex_unlock (&self->lock);
}

guint
sk_audio_player_get_underruns (SkAudioPlayer *self)
{
  guint n;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), 0);

  g_mutex_lock (&self->lock);
  n = self->underruns;
  g_mutex_unlock (&self->lock);
  return n;
}

gboolean
sk_audio_player_is_realtime (SkAudioPlayer *self)
{
  gboolean rt;

  g_return_val_if_fail (SK_IS_AUDIO_PLAYER (self), FALSE);

  g_mutex_lock (&self->lock);
  rt = self->realtime;
  g_mutex_unlock (&self->lock);
  return rt;
}
