/* sk-bench-audio.c: test music for the audio benchmarks. */
#include "config.h"

#include <math.h>
#include <sndfile.h>

#include "sk-bench-audio.h"
#include "sk-bench-util.h"

/* A library ripped from CDs is mostly 44.1 kHz: those files go through
 * the player's resampler, as they would at a venue. Opus is 48 kHz by
 * nature. */
static const SkBenchFormat formats[] = {
  { "WAV", "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100 },
  { "FLAC", "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100 },
  { "OGG/Vorbis", "ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100 },
  { "Opus", "opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000 },
  { "MP3", "mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100 },
  /* the device's own rate: nothing to resample */
  { "WAV", "48k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000 },
};

const SkBenchFormat *
sk_bench_audio_formats (guint *n)
{
  *n = G_N_ELEMENTS (formats);
  return formats;
}

gboolean
sk_bench_write_music (const char *path, const SkBenchFormat *format, double seconds, GError **error)
{
  static const double partials[] = { 220.0, 277.18, 329.63, 440.0, 659.25 };
  SF_INFO info = { 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED);
  sf_count_t frames = (sf_count_t) (seconds * format->rate);
  const sf_count_t chunk = 4096;
  g_autofree float *buf = g_new (float, chunk * 2);
  SNDFILE *sf;

  info.samplerate = format->rate;
  info.channels = 2;
  info.format = format->sf_format;
  sf = sf_open (path, SFM_WRITE, &info);
  if (sf == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot write %s as %s: %s", path,
                   format->name, sf_strerror (NULL));
      return FALSE;
    }
  for (sf_count_t at = 0; at < frames; at += chunk)
    {
      sf_count_t n = MIN (chunk, frames - at);

      for (sf_count_t i = 0; i < n; i++)
        {
          double t = (double) (at + i) / format->rate;
          double tremolo = 0.75 + 0.25 * sin (2 * G_PI * 0.3 * t);
          double l = 0, r = 0;

          for (guint k = 0; k < G_N_ELEMENTS (partials); k++)
            {
              double s = sin (2 * G_PI * partials[k] * t + k) / (k + 2);

              l += s * (k % 2 ? 0.6 : 1.0);
              r += s * (k % 2 ? 1.0 : 0.6);
            }
          buf[2 * i] = (float) (0.3 * tremolo * l + 0.02 * g_rand_double_range (rand, -1, 1));
          buf[2 * i + 1] = (float) (0.3 * tremolo * r + 0.02 * g_rand_double_range (rand, -1, 1));
        }
      if (sf_writef_float (sf, buf, n) != n)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot write %s as %s: %s", path,
                       format->name, sf_strerror (sf));
          sf_close (sf);
          return FALSE;
        }
    }
  if (sf_close (sf) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot finish %s as %s", path,
                   format->name);
      return FALSE;
    }
  return TRUE;
}
