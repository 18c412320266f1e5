/* sk-audio-player-private.h: what the parts of SkAudioPlayer share (the
 * object, sk-audio-fifo.c, sk-audio-decoder.c, sk-audio-output.c), and hooks
 * for its tests; not for the kiosk. */
#pragma once

#include "sk-audio-player.h"
#include "sk-event-queue.h"

G_BEGIN_DECLS

#define SK_AUDIO_RING_FRAMES 16384 /* ~340 ms decoded ahead */
#define SK_AUDIO_WAIT_SLICE_US (100 * G_TIME_SPAN_MILLISECOND)

/* --- a FIFO of stereo float frames (sk-audio-fifo.c) --------------------- */

typedef struct
{
  float *buf;
  gsize cap; /* frames */
  gsize head;
  gsize len;
} SkAudioFifo;

void sk_audio_fifo_reserve (SkAudioFifo *fifo, gsize cap);
void sk_audio_fifo_push (SkAudioFifo *fifo, const float *frames, gsize n);
void sk_audio_fifo_pop (SkAudioFifo *fifo, float *out, gsize n);
void sk_audio_fifo_truncate (SkAudioFifo *fifo, gsize n);
void sk_audio_fifo_clear (SkAudioFifo *fifo);

/* --- events -------------------------------------------------------------- */

typedef enum
{
  SK_AUDIO_EV_STARTED,
  SK_AUDIO_EV_ENDED,
  SK_AUDIO_EV_FAILED,
  SK_AUDIO_EV_IDLE,
  SK_AUDIO_EV_UNDERRUN,
  SK_AUDIO_EV_PCM_ERROR,
  SK_AUDIO_EV_STOPPED,
} SkAudioEventKind;

/* An event, or (in `marks`) an event waiting for the output to reach @at. */
typedef struct
{
  SkAudioEventKind kind;
  guint64 at;
  guint64 track;
  char *path;
  GError *error;
  guint count;
  guint generation; /* SK_AUDIO_EV_STOPPED from the output thread: which run */
  gboolean joined;  /* SK_AUDIO_EV_STOPPED: the caller already joined the threads */
} SkAudioEvent;

SkAudioEvent *sk_audio_event_new (SkAudioEventKind kind);
void sk_audio_event_free (SkAudioEvent *ev);

/* --- the object's state, shared by its threads --------------------------- */

typedef struct
{
  guint64 id;
  char *path;
  double gain_db;
} SkAudioPending;

void sk_audio_pending_free (SkAudioPending *p);

struct _SkAudioPlayer
{
  GObject parent_instance;

  char *pcm_name;
  SkEventQueue *events;
  guint buffer_us;
  guint period_us;

  GThread *decoder;
  GThread *output;
  gboolean running; /* threads exist (caller's side only) */

  GMutex lock;        /* everything below */
  GCond wake_decoder; /* room in the ring, append, skip, stop */
  GCond wake_output;  /* frames in the ring, marks, pause, stop */
  guint generation;
  gboolean stopping;     /* stop now */
  gboolean draining;     /* stop once everything queued has played */
  gboolean decoder_idle; /* nothing to decode (an IDLE mark is queued) */
  gboolean decoder_done; /* the decoder thread has ended (drain) */
  gboolean paused;
  gboolean skip;
  guint64 skip_id; /* the track audible when skip() was called */
  double volume;
  double crossfade;
  GQueue pending; /* of SkAudioPending */
  guint64 next_id;
  SkAudioFifo ring;
  gsize ring_cap;
  guint64 ring_written; /* frames ever put into the ring */
  guint64 ring_read;    /* frames ever handed to the PCM */
  GQueue marks;         /* of SkAudioEvent, by position */
  SkAudioState state;   /* PLAYING or IDLE while running */
  guint64 current;
  guint64 current_start; /* its first frame's ring position */
  guint underruns;
  gboolean realtime;        /* the output thread got SCHED_FIFO */
  guint stall_ms;           /* tests: sleep this long before the next write */
  gboolean paced;           /* a PCM that does not pace is paced by the clock */
  gboolean silent_fallback; /* no PCM to open: play silently on the clock */
  gboolean silent;          /* the output plays silently now */
};

gpointer sk_audio_decoder_thread (gpointer data);
gpointer sk_audio_output_thread (gpointer data);
/* Once per process: alsa-lib's error lines go to the log (sk-audio-output.c). */
void sk_audio_output_route_alsa_errors (void);

/* The output thread sleeps @ms before its next write, once: a stalled
 * writer, as a busy system would make it, for the underrun tests. */
void sk_audio_player_stall_output_for_testing (SkAudioPlayer *self, guint ms);

G_END_DECLS
