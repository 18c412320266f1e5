/* sk-audio-decoder.c: the audio player's decoder thread.
 *
 * DECODER STATES (per track, in sk_audio_decoder_thread())
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
 */
#include "config.h"

#include "sk-audio-player-private.h"
#include "sk-audio-source.h"

#include <math.h>
#include <string.h>

#define CHUNK 4096 /* frames per decoder step */

typedef struct
{
  guint64 id;
  char *path;
  SkAudioSource *src;
  SkAudioFifo lookahead;
  gboolean src_done;
  guint64 emitted; /* frames of this track put into the ring */
} Track;

static void
track_free (Track *track)
{
  if (track == NULL)
    return;
  g_clear_pointer (&track->src, sk_audio_source_free);
  sk_audio_fifo_clear (&track->lookahead);
  g_free (track->path);
  g_free (track);
}

/* With the lock held: a mark at the ring's current end. */
static void
push_mark_locked (
    SkAudioPlayer *self, SkAudioEventKind kind, guint64 track, const char *path, GError *error)
{
  SkAudioEvent *ev = sk_audio_event_new (kind);

  ev->at = self->ring_written;
  ev->track = track;
  ev->path = g_strdup (path);
  ev->error = error;
  g_queue_push_tail (&self->marks, ev);
  g_cond_signal (&self->wake_output);
}

static void
push_mark (
    SkAudioPlayer *self, SkAudioEventKind kind, guint64 track, const char *path, GError *error)
{
  g_mutex_lock (&self->lock);
  push_mark_locked (self, kind, track, path, error);
  g_mutex_unlock (&self->lock);
}

/* Waits for room and appends; FALSE when stopping. */
static gboolean
ring_write (SkAudioPlayer *self, const float *frames, gsize n)
{
  while (n > 0)
    {
      gsize k;

      g_mutex_lock (&self->lock);
      while (self->ring.len == self->ring_cap && !self->stopping)
        g_cond_wait_until (&self->wake_decoder, &self->lock,
                           g_get_monotonic_time () + SK_AUDIO_WAIT_SLICE_US);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
      k = MIN (n, self->ring_cap - self->ring.len);
      sk_audio_fifo_push (&self->ring, frames, k);
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
      SkAudioPending *p;
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
      sk_audio_pending_free (p);
      if (track->src != NULL)
        return track;
      g_debug ("Track %" G_GUINT64_FORMAT " skipped: %s", track->id, error->message);
      push_mark (self, SK_AUDIO_EV_FAILED, track->id, track->path, error);
      track_free (track);
    }
}

/* Tops up the lookahead to @want frames (or the end of the file). */
static void
fill_lookahead (Track *track, gsize want, float *chunk)
{
  sk_audio_fifo_reserve (&track->lookahead, want + CHUNK);
  while (!track->src_done && track->lookahead.len < want)
    {
      gsize n = sk_audio_source_read (track->src, chunk, CHUNK);

      sk_audio_fifo_push (&track->lookahead, chunk, n);
      if (n < CHUNK)
        {
          const GError *error = sk_audio_source_get_error (track->src);

          track->src_done = TRUE;
          if (error != NULL)
            g_message ("Track %" G_GUINT64_FORMAT " ends early: %s", track->id, error->message);
        }
    }
}

/* Moves @n frames from the lookahead to the ring, through @chunk. */
static gboolean
emit_lookahead (SkAudioPlayer *self, Track *track, gsize n, float *chunk, gboolean fade_out)
{
  gsize total = n;

  for (gsize done = 0; done < total;)
    {
      gsize k = MIN (CHUNK, total - done);

      sk_audio_fifo_pop (&track->lookahead, chunk, k);
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
crossfade (SkAudioPlayer *self, Track *out, Track *in, gsize len, float *chunk, float *mix)
{
  for (gsize done = 0; done < len;)
    {
      gsize k = MIN (CHUNK, len - done);
      gsize got = 0;

      sk_audio_fifo_pop (&out->lookahead, mix, k);
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
              Track *track,
              gsize fade,
              gboolean skipped,
              float *chunk,
              float *mix,
              gboolean *abort)
{
  gsize tail = track->lookahead.len;
  Track *next = NULL;

  if (fade > 0 && tail > 0)
    next = open_next (self);
  if (next != NULL)
    {
      guint64 total = track->emitted + tail;
      guint64 estimate = sk_audio_source_get_estimate (next->src);
      gsize len = (gsize) MIN (MIN ((guint64) fade, (guint64) tail), MIN (total / 2, estimate / 2));

      if (!emit_lookahead (self, track, tail - len, chunk, FALSE))
        goto aborted;
      g_mutex_lock (&self->lock);
      self->decoder_idle = FALSE;
      push_mark_locked (self, SK_AUDIO_EV_STARTED, next->id, next->path, NULL);
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

      sk_audio_fifo_truncate (&track->lookahead, keep);
      if (!emit_lookahead (self, track, keep, chunk, skipped && keep > 0))
        goto aborted;
    }
  push_mark (self, SK_AUDIO_EV_ENDED, track->id, NULL, NULL);
  track_free (track);
  return next;

aborted:
  track_free (next);
  track_free (track);
  *abort = TRUE;
  return NULL;
}

gpointer
sk_audio_decoder_thread (gpointer data)
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
      skipped = self->skip && track != NULL && (self->skip_id == 0 || self->skip_id == track->id);
      if (track != NULL || self->pending.length == 0)
        self->skip = FALSE;
      fade = (gsize) (self->crossfade * SK_AUDIO_RATE);
      if (track == NULL && self->pending.length == 0)
        {
          if (!self->decoder_idle)
            {
              self->decoder_idle = TRUE;
              push_mark_locked (self, SK_AUDIO_EV_IDLE, 0, NULL, NULL);
            }
          if (self->draining)
            {
              self->decoder_done = TRUE;
              g_cond_signal (&self->wake_output);
              g_mutex_unlock (&self->lock);
              break;
            }
          g_cond_wait_until (&self->wake_decoder, &self->lock,
                             g_get_monotonic_time () + SK_AUDIO_WAIT_SLICE_US);
          g_mutex_unlock (&self->lock);
          continue;
        }
      g_mutex_unlock (&self->lock);

      if (track == NULL) /* OPEN */
        {
          track = open_next (self);
          if (track != NULL)
            {
              g_mutex_lock (&self->lock);
              self->decoder_idle = FALSE;
              push_mark_locked (self, SK_AUDIO_EV_STARTED, track->id, track->path, NULL);
              g_mutex_unlock (&self->lock);
            }
          continue;
        }

      if (skipped)
        {
          track->src_done = TRUE;
          /* what plays next is the fade-out; the rest goes */
          sk_audio_fifo_truncate (&track->lookahead, fade);
        }
      fill_lookahead (track, fade + CHUNK, chunk);
      if (!track->src_done) /* PLAY */
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
