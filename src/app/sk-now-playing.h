/* sk-now-playing.h: what plays, why, and what follows.
 *
 * The title and artist, the track's taste as a picture (SkTasteGlyph),
 * elapsed and remaining time, the engine's "why this" sentence and the
 * next three tracks. Side by side in landscape, stacked in portrait.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TYPE_NOW_PLAYING (sk_now_playing_get_type ())
G_DECLARE_FINAL_TYPE (SkNowPlaying, sk_now_playing, SK, NOW_PLAYING, GtkWidget)

/* @now_playing: the NowPlaying property (sssadxd), @why: NowPlayingWhy,
 * @queue: Queue (a(sssds)), @status_message: why nothing plays; any may
 * be NULL. */
void sk_now_playing_update (SkNowPlaying *self,
                            GVariant *now_playing,
                            const char *why,
                            GVariant *queue,
                            const char *status_message);
/* Seconds heard of the track playing. */
void sk_now_playing_set_position (SkNowPlaying *self, double position);
/* "M:SS" (or "H:MM:SS"), for tests and the screen alike. */
char *sk_now_playing_format_time (double seconds);

G_END_DECLS
