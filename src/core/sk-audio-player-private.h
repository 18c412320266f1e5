/* sk-audio-player-private.h: hooks for the tests of SkAudioPlayer, not for
 * the kiosk. */
#pragma once

#include "sk-audio-player.h"

G_BEGIN_DECLS

/* The output thread sleeps @ms before its next write, once: a stalled
 * writer, as a busy system would make it, for the underrun tests. */
void sk_audio_player_stall_output_for_testing (SkAudioPlayer *self,
                                               guint          ms);

G_END_DECLS
