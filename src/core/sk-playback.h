/* sk-playback.h: the engine's queue, played through the audio player.
 *
 * SkPlayback owns one SkAudioPlayer and keeps it fed: the song playing and
 * the next one, appended while the first plays so that the player's
 * crossfade (or gapless join) has something to go to. Which song is next
 * is the engine's queue; what can play now is the media cache's answer
 * (local files in place, http(s) ones once downloaded and verified).
 *
 *   - Each start the player reports becomes the engine's track start: a
 *     songs_playing row, the player's current_song_id and status, a
 *     requeue (sk_engine_start_song), and the cache's last-played time.
 *   - A file the player cannot read, or a song whose file is missing or
 *     whose URL is of a scheme nobody plays, is marked unplayable
 *     (songs.playable = 0 with the reason), logged, and skipped.
 *   - When the queue has nothing that can play now, the best-scoring song
 *     that can plays, even one just played: while anything can play, the
 *     venue never hears silence. With nothing at all, the engine's status
 *     is "idle" with a message for the UI (sk_engine_get_status_message,
 *     "status-changed"); songs still downloading are retried.
 *   - A track the room vetoes (the engine's "vetoed") is skipped with the
 *     crossfade, and the next one plays.
 *   - The queue's http(s) songs are prefetched whenever it changes; the
 *     playing and the next song are protected from eviction.
 *
 * Settings (read at start and by sk_playback_reload_settings):
 *   crossfade_seconds     0 (gapless) to 12, default 5
 *   volume                0 to 1, linear, default 1 (within the cap:
 *                         sk_playback_set_volume_cap)
 *   loudness_target_lufs  see sk-import.h (SK_LOUDNESS_TARGET_DEFAULT)
 *
 * Signals:
 *   song-unplayable (song_id, reason)   marked unplayable and skipped
 */
#pragma once

#include "sk-audio-player.h"
#include "sk-engine.h"
#include "sk-media-cache.h"

G_BEGIN_DECLS

/* While nothing can play but songs are downloading, look again this often. */
#define SK_PLAYBACK_RETRY_SECONDS 2

#define SK_TYPE_PLAYBACK (sk_playback_get_type ())
G_DECLARE_FINAL_TYPE (SkPlayback, sk_playback, SK, PLAYBACK, GObject)

/* @cache may be NULL: one is made in sk_media_cache_default_dir(). */
SkPlayback *sk_playback_new (SkEngine *engine, SkMediaCache *cache, const char *pcm_name);
/* Sweeps the cache, starts the player and the queue's head. FALSE when
 * the player cannot start (its threads; the PCM's own failures come
 * later, as the player's "pcm-error"). */
gboolean sk_playback_start (SkPlayback *self, GError **error);
/* Stops the player at once and the prefetch; the engine goes idle. */
void sk_playback_stop (SkPlayback *self);
void sk_playback_reload_settings (SkPlayback *self);
/* The most the volume may be (the schedule's cap, 0 to 1; 1 at first):
 * the output plays at the setting volume or the cap, whichever is lower. */
void sk_playback_set_volume_cap (SkPlayback *self, double cap);
/* The volume heard: the setting volume within the cap. */
double sk_playback_get_volume (SkPlayback *self);
/* The cap in force (1: none). */
double sk_playback_get_volume_cap (SkPlayback *self);
/* The ALSA PCM the player opens. */
const char *sk_playback_get_pcm_name (SkPlayback *self);

SkAudioPlayer *sk_playback_get_player (SkPlayback *self);
SkMediaCache *sk_playback_get_cache (SkPlayback *self);
/* The song of the track playing, or NULL. */
const char *sk_playback_get_current_song (SkPlayback *self);
/* The song appended to follow it, or NULL. */
const char *sk_playback_get_next_song (SkPlayback *self);
/* Nothing could play at the last look, but songs are downloading. */
gboolean sk_playback_is_waiting (SkPlayback *self);

G_END_DECLS
