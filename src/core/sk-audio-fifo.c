/* sk-audio-fifo.c: a FIFO of stereo float frames, the ring between the
 * audio player's decoder and output and each track's lookahead. Not locked:
 * its owner locks. */
#include "config.h"

#include "sk-audio-player-private.h"

#include <string.h>

void
sk_audio_fifo_reserve (SkAudioFifo *fifo, gsize cap)
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
void
sk_audio_fifo_push (SkAudioFifo *fifo, const float *frames, gsize n)
{
  gsize tail = (fifo->head + fifo->len) % MAX (fifo->cap, 1);
  gsize first = MIN (n, fifo->cap - tail);

  g_assert (fifo->len + n <= fifo->cap);
  memcpy (fifo->buf + 2 * tail, frames, first * 2 * sizeof (float));
  memcpy (fifo->buf, frames + 2 * first, (n - first) * 2 * sizeof (float));
  fifo->len += n;
}

/* Takes @n frames from the front into @out (or drops them). */
void
sk_audio_fifo_pop (SkAudioFifo *fifo, float *out, gsize n)
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
void
sk_audio_fifo_truncate (SkAudioFifo *fifo, gsize n)
{
  fifo->len = MIN (fifo->len, n);
}

void
sk_audio_fifo_clear (SkAudioFifo *fifo)
{
  g_clear_pointer (&fifo->buf, g_free);
  fifo->cap = fifo->head = fifo->len = 0;
}
