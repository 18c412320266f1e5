/* sk-audio-player.h: plays a short queue of audio files through ALSA.
 *
 * Two threads of its own: a decoder that reads ahead into a bounded
 * buffer (libsndfile, resampled and remixed to the output's 48 kHz
 * stereo), and an output thread that owns the PCM and writes whole
 * periods, silence when the decoder is late. Nothing here blocks the
 * caller: every call returns at once and every event is a signal emitted
 * on the GMainContext that was the thread-default when the player was
 * created.
 *
 * The player knows files, not songs. Its owner (the engine's playback
 * controller, or soundscape-ctl play) appends the next file while the
 * current one plays; the crossfade starts N seconds before the end of the
 * current file if a next one is there, and the next starts gaplessly at
 * the end otherwise. A player with nothing left to play writes silence and
 * emits "idle".
 *
 * Signals (all on the owner's main context):
 *   track-started  (guint64 track, const char *path)
 *   track-ended    (guint64 track)            its last frame was written
 *   track-failed   (guint64 track, const char *path, const GError *error)
 *                  missing, corrupt or unsupported: skipped, the next plays
 *   idle           ()                         nothing left to play
 *   underrun       (guint count)              the PCM ran dry and recovered
 *   pcm-error      (const GError *error)      the PCM cannot be opened or
 *                                             recovered; retried with backoff
 *   stopped        ()                         the threads have ended: after
 *                                             stop(drain) once all played,
 *                                             or soon after stop(no drain)
 *
 * The player is unreffed on the owner's context (signals in flight are
 * then dropped). Files appended before start() play from the first frame;
 * a player started with nothing to play says "idle" at once.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SK_AUDIO_ERROR (sk_audio_error_quark ())
typedef enum
{
  SK_AUDIO_ERROR_PCM,         /* the PCM cannot be opened or configured */
  SK_AUDIO_ERROR_NOT_FOUND,   /* the file does not exist */
  SK_AUDIO_ERROR_UNSUPPORTED, /* not a format libsndfile reads */
  SK_AUDIO_ERROR_CORRUPT,     /* reads, but not to its end */
  SK_AUDIO_ERROR_INVALID,     /* an argument out of range */
  SK_AUDIO_ERROR_SILENT,      /* no PCM to open: it plays silently (not a failure) */
} SkAudioError;

GQuark sk_audio_error_quark (void);

typedef enum
{
  SK_AUDIO_STATE_STOPPED,
  SK_AUDIO_STATE_PLAYING,
  SK_AUDIO_STATE_PAUSED,
  SK_AUDIO_STATE_IDLE, /* running, writing silence: nothing to play */
} SkAudioState;

#define SK_AUDIO_RATE 48000
#define SK_AUDIO_CHANNELS 2
#define SK_AUDIO_CROSSFADE_MAX 12.0

#define SK_TYPE_AUDIO_PLAYER (sk_audio_player_get_type ())
G_DECLARE_FINAL_TYPE (SkAudioPlayer, sk_audio_player, SK, AUDIO_PLAYER, GObject)

/* @pcm_name: an ALSA PCM name ("default", "plughw:0", "file:'OUT',raw"), or
 * SK_AUDIO_PCM_NONE. The PCM is opened by the output thread on
 * sk_audio_player_start(). When it cannot be opened (no sound card) the
 * player says so once ("pcm-error" with SK_AUDIO_ERROR_SILENT, and a log
 * line), plays silently on the clock, so tracks start and end in real
 * time, and tries the PCM again every few seconds; with SK_AUDIO_PCM_NONE
 * it only plays silently (and says so the same way). A PCM that opens and
 * then fails is a "pcm-error" with SK_AUDIO_ERROR_PCM: a real failure. */
#define SK_AUDIO_PCM_NONE "none"
SkAudioPlayer *sk_audio_player_new (const char *pcm_name);
/* Before start(): the PCM's buffer and period (default 200 ms in periods
 * of 50 ms; the device picks the nearest it can). Up to 10 s, for test PCMs
 * that run faster than real time (20× wants 20× the buffer). */
gboolean sk_audio_player_set_buffer_time (SkAudioPlayer *self,
                                          guint buffer_us,
                                          guint period_us,
                                          GError **error);
/* Before start(): a PCM that takes data faster than real time (the
 * `null` and `file` plugins) is written at the clock's rate, as a sound card
 * would take it (the default). Unpaced (FALSE), it takes each period as soon
 * as it is decoded: for rendering into a file and tests of exact content. */
void sk_audio_player_set_paced (SkAudioPlayer *self, gboolean paced);
/* Before start(): whether a PCM that cannot be opened is replaced by the
 * silent output (the default, for the kiosk and the demo); without it the
 * PCM is only retried, "pcm-error" saying why (a speaker test). */
void sk_audio_player_set_silent_fallback (SkAudioPlayer *self, gboolean fallback);
gboolean sk_audio_player_start (SkAudioPlayer *self, GError **error);
/* Whether the output plays silently now (no PCM open: no sound card, or
 * SK_AUDIO_PCM_NONE); FALSE once a PCM opens, and when stopped. */
gboolean sk_audio_player_is_silent (SkAudioPlayer *self);
/* Stops the threads. With @drain, what is queued plays out first (bounded
 * by the queue's length; a paused player resumes for it), the PCM is
 * drained and "stopped" follows; this returns at once. Without, it stops at the next period: returns once the
 * threads have ended (within ~200 ms). Either way the pending files are
 * dropped and the state is STOPPED; start() may be called again. */
void sk_audio_player_stop (SkAudioPlayer *self, gboolean drain);

/* Appends a file. @gain_db is applied on top of the volume (the loudness
 * normalisation: target - measured). Returns the track's id (never 0). The
 * file is opened by the decoder thread; failures arrive as "track-failed". */
guint64 sk_audio_player_append (SkAudioPlayer *self, const char *path, double gain_db);
/* Drops everything appended after the playing track. */
void sk_audio_player_clear_pending (SkAudioPlayer *self);
guint sk_audio_player_get_n_pending (SkAudioPlayer *self);

void sk_audio_player_pause (SkAudioPlayer *self);
void sk_audio_player_resume (SkAudioPlayer *self);
/* Ends the playing track (with the crossfade, if one is set) and moves on.
 * "Playing" is the track being heard: when the decoder has already finished
 * it (its last ~0.3 s are in the buffer), it ends on its own and the skip
 * is void. */
void sk_audio_player_skip (SkAudioPlayer *self);

/* 0 (gapless) to SK_AUDIO_CROSSFADE_MAX seconds. */
gboolean sk_audio_player_set_crossfade (SkAudioPlayer *self, double seconds, GError **error);
/* 0..1, linear gain; changes are ramped (see SK_AUDIO_VOLUME_RAMP_MS). */
gboolean sk_audio_player_set_volume (SkAudioPlayer *self, double volume, GError **error);
#define SK_AUDIO_VOLUME_RAMP_MS 50

SkAudioState sk_audio_player_get_state (SkAudioPlayer *self);
/* Seconds played of the current track. */
double sk_audio_player_get_position (SkAudioPlayer *self);

/* What the player's threads count, read together. */
typedef struct
{
  guint64 current; /* the track playing (from sk_audio_player_append), or 0 */
  guint underruns;
  /* whether the output thread runs at a real-time priority (it asks for
   * one; it needs RLIMIT_RTPRIO or CAP_SYS_NICE to get it) */
  gboolean realtime;
} SkAudioPlayerStats;
void sk_audio_player_get_stats (SkAudioPlayer *self, SkAudioPlayerStats *stats);

G_END_DECLS
