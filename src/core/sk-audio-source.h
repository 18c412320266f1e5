/* sk-audio-source.h: one audio file, read as 48 kHz stereo float frames.
 *
 * Internal to the player: used by its decoder thread only (an
 * SkAudioSource is not thread-safe). libsndfile decodes; any channel count
 * is remixed to stereo (mono on both sides, more than two downmixed), any
 * other rate is resampled to SK_AUDIO_RATE, and the track's gain is
 * applied. */
#pragma once

#include "sk-audio-player.h"

G_BEGIN_DECLS

typedef struct _SkAudioSource SkAudioSource;

/* Opens @path; NULL with SK_AUDIO_ERROR_NOT_FOUND, _UNSUPPORTED or
 * _CORRUPT (a file with no audio in it counts as corrupt). */
SkAudioSource *sk_audio_source_open (const char *path, double gain_db, GError **error);
/* Reads up to @n_frames interleaved stereo frames into @out. Returns fewer
 * only at the end of the file (0 once it is over). A read error in the
 * middle of the file ends it early: the frames before it are returned and
 * sk_audio_source_get_error() says why. */
gsize sk_audio_source_read (SkAudioSource *self, float *out, gsize n_frames);
/* The file's length in output frames as its header says (an estimate for
 * MP3; G_MAXUINT64 when unknown). */
guint64 sk_audio_source_get_estimate (SkAudioSource *self);
/* The error that ended the file early, or NULL. */
const GError *sk_audio_source_get_error (SkAudioSource *self);
void sk_audio_source_free (SkAudioSource *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkAudioSource, sk_audio_source_free)

G_END_DECLS
