/* sk-bench-audio.h: what the audio benchmarks share: test music in each
 * format the player reads, written with libsndfile. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name; /* "WAV", "FLAC", … */
  const char *ext;
  int sf_format; /* SF_FORMAT_* major | subtype */
  int rate;      /* the file's sample rate */
} SkBenchFormat;

/* WAV, FLAC, OGG/Vorbis, Opus and MP3, in that order (44.1 kHz but
 * Opus), then WAV at 48 kHz. */
const SkBenchFormat *sk_bench_audio_formats (guint *n);

/* Writes @seconds of stereo music-like sound (a few partials with a slow
 * tremolo over quiet noise, seeded, so every run encodes the same) to
 * @path in @format. */
gboolean sk_bench_write_music (const char *path,
                               const SkBenchFormat *format,
                               double seconds,
                               GError **error);

G_END_DECLS
