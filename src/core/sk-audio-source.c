/* sk-audio-source.c: one audio file as 48 kHz stereo float frames.
 *
 * The pipeline per chunk: sf_readf_float() (libsndfile normalises every
 * encoding to ±1.0; 16-bit PCM maps to k/32768 exactly, so a 48 kHz stereo
 * 16-bit file passes through bit for bit) → remix to stereo with the track
 * gain folded into the coefficients → resample with libsoxr when the file's
 * rate is not SK_AUDIO_RATE.
 *
 * Why resample here and not in ALSA's `plug`: the player mixes two tracks
 * during a crossfade, and a mix needs one rate, so every track must be at
 * the output rate before the mix, whatever rate the device is opened at.
 * libsoxr rather than libsamplerate: at its "HQ" setting it is both better
 * (20-bit, linear phase, no audible aliasing) and several times cheaper per
 * sample than libsamplerate's SINC_MEDIUM_QUALITY, with NEON/SSE paths; on a
 * Pi's small cores the decode+mix budget (2 % of a core) matters more than
 * anything else here. It is also a streaming resampler with an explicit
 * end-of-input flush, so a track's last samples come out and its length is
 * rate-exact, which keeps crossfade timing right. */
#include "config.h"

#include "sk-audio-source.h"
#include "sk-util.h"

#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <string.h>

#define CHUNK 4096       /* source frames per read */
#define MAX_SAMPLE 16.0f /* +24 dB: beyond it a float sample is damage, not headroom */

struct _SkAudioSource
{
  char *path;
  SNDFILE *sf;
  SF_INFO info;
  soxr_t soxr;
  float coef[2][64]; /* per input channel: left and right gains */
  float *in;         /* CHUNK × channels, as read */
  float *stereo;     /* CHUNK × 2, remixed (input of the resampler) */
  gsize stereo_len;  /* frames in @stereo not yet resampled */
  gsize stereo_pos;
  float *out; /* resampled frames not yet returned */
  gsize out_cap;
  gsize out_len;
  gsize out_pos;
  gboolean file_done; /* libsndfile has nothing more */
  gboolean flushed;   /* the resampler has given its tail */
  GError *error;
};

void
sk_audio_source_free (SkAudioSource *self)
{
  if (self == NULL)
    return;
  if (self->sf != NULL)
    sf_close (self->sf);
  if (self->soxr != NULL)
    soxr_delete (self->soxr);
  g_free (self->in);
  g_free (self->stereo);
  g_free (self->out);
  g_free (self->path);
  g_clear_error (&self->error);
  g_free (self);
}

/* The left/right weights of one input channel, by its position. The
 * downmix is the usual ITU one: centre and surrounds at −3 dB, LFE
 * dropped; sum-normalised afterwards so that it cannot clip. */
static void
position_weights (int position, float *l, float *r)
{
  const float m3db = (float) M_SQRT1_2;

  switch (position)
    {
    case SF_CHANNEL_MAP_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT:
    case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER:
      *l = 1.0f, *r = 0.0f;
      break;
    case SF_CHANNEL_MAP_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT:
    case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER:
      *l = 0.0f, *r = 1.0f;
      break;
    case SF_CHANNEL_MAP_REAR_LEFT:
    case SF_CHANNEL_MAP_SIDE_LEFT:
    case SF_CHANNEL_MAP_TOP_FRONT_LEFT:
    case SF_CHANNEL_MAP_TOP_REAR_LEFT:
      *l = m3db, *r = 0.0f;
      break;
    case SF_CHANNEL_MAP_REAR_RIGHT:
    case SF_CHANNEL_MAP_SIDE_RIGHT:
    case SF_CHANNEL_MAP_TOP_FRONT_RIGHT:
    case SF_CHANNEL_MAP_TOP_REAR_RIGHT:
      *l = 0.0f, *r = m3db;
      break;
    case SF_CHANNEL_MAP_LFE:
      *l = 0.0f, *r = 0.0f;
      break;
    default: /* centres, mono, ambisonic W, unknown: both sides */
      *l = m3db, *r = m3db;
      break;
    }
}

/* Fills coef[][] for the file's channels, with the gain folded in. */
static void
setup_remix (SkAudioSource *self, float gain)
{
  int channels = self->info.channels;
  int map[64];
  float sum_l = 0.0f, sum_r = 0.0f, norm;

  if (channels == 1)
    {
      self->coef[0][0] = self->coef[1][0] = gain;
      return;
    }
  if (channels == 2)
    {
      self->coef[0][0] = gain, self->coef[1][0] = 0.0f;
      self->coef[0][1] = 0.0f, self->coef[1][1] = gain;
      return;
    }
  /* Without a channel map, the WAVE/FLAC/Vorbis default order:
   * FL FR FC LFE BL BR SL SR. */
  if (!sf_command (self->sf, SFC_GET_CHANNEL_MAP_INFO, map, (int) (sizeof (int) * channels)))
    {
      static const int order[] = {
        SF_CHANNEL_MAP_FRONT_LEFT, SF_CHANNEL_MAP_FRONT_RIGHT, SF_CHANNEL_MAP_FRONT_CENTER,
        SF_CHANNEL_MAP_LFE,        SF_CHANNEL_MAP_REAR_LEFT,   SF_CHANNEL_MAP_REAR_RIGHT,
        SF_CHANNEL_MAP_SIDE_LEFT,  SF_CHANNEL_MAP_SIDE_RIGHT,
      };
      for (int c = 0; c < channels; c++)
        map[c] = c < (int) G_N_ELEMENTS (order) ? order[c] : SF_CHANNEL_MAP_INVALID;
    }
  for (int c = 0; c < channels; c++)
    {
      position_weights (map[c], &self->coef[0][c], &self->coef[1][c]);
      sum_l += self->coef[0][c];
      sum_r += self->coef[1][c];
    }
  norm = MAX (sum_l, sum_r);
  if (norm <= 0.0f)
    norm = 1.0f;
  for (int c = 0; c < channels; c++)
    {
      self->coef[0][c] *= gain / norm;
      self->coef[1][c] *= gain / norm;
    }
}

static void refill (SkAudioSource *self);

SkAudioSource *
sk_audio_source_open (const char *path, double gain_db, GError **error)
{
  g_autoptr (SkAudioSource) self = g_new0 (SkAudioSource, 1);
  g_autofree char *display = NULL;
  int sf_err;
  g_autofree char *sf_reason = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  display = g_filename_display_name (path);
  self->path = g_strdup (path);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_NOT_FOUND, "“%s” does not exist", display);
      return NULL;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_UNSUPPORTED,
                   "“%s” is a folder, not an audio file", display);
      return NULL;
    }
  self->sf = sk_sndfile_open (path, &self->info, &sf_err, &sf_reason);
  if (self->sf == NULL)
    {
      /* beyond the public codes, libsndfile reports its parsers' own
       * complaints (a malformed chunk, a bad header): a damaged file */
      if (sf_err == SF_ERR_UNRECOGNISED_FORMAT || sf_err == SF_ERR_UNSUPPORTED_ENCODING)
        g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_UNSUPPORTED,
                     "“%s” is not in an audio format this player reads (%s)", display, sf_reason);
      else if (sf_err == SF_ERR_SYSTEM)
        g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_NOT_FOUND, "“%s” cannot be read (%s)",
                     display, sf_reason);
      else
        g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_CORRUPT, "“%s” is damaged (%s)", display,
                     sf_reason);
      return NULL;
    }
  if (self->info.channels < 1 || self->info.channels > SK_AUDIO_MAX_CHANNELS ||
      self->info.samplerate < SK_AUDIO_MIN_RATE || self->info.samplerate > SK_AUDIO_MAX_RATE)
    {
      g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_UNSUPPORTED,
                   "“%s” has %d channels at %d Hz, which this player does not play", display,
                   self->info.channels, self->info.samplerate);
      return NULL;
    }
  sf_command (self->sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
  setup_remix (self, (float) pow (10.0, CLAMP (gain_db, -60.0, 24.0) / 20.0));

  self->in = g_new (float, (gsize) CHUNK * self->info.channels);
  self->stereo = g_new (float, (gsize) CHUNK * 2);
  if (self->info.samplerate != SK_AUDIO_RATE)
    {
      soxr_io_spec_t io = soxr_io_spec (SOXR_FLOAT32_I, SOXR_FLOAT32_I);
      soxr_quality_spec_t quality = soxr_quality_spec (SOXR_HQ, 0);
      soxr_error_t soxr_err = NULL;

      self->soxr = soxr_create (self->info.samplerate, SK_AUDIO_RATE, 2, &soxr_err, &io, &quality,
                                NULL);
      if (self->soxr == NULL)
        {
          g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_UNSUPPORTED,
                       "“%s” cannot be resampled from %d Hz: %s", display, self->info.samplerate,
                       soxr_strerror (soxr_err));
          return NULL;
        }
      self->out_cap = (gsize) CHUNK * (SK_AUDIO_RATE / self->info.samplerate + 2);
    }
  else
    self->out_cap = CHUNK;
  self->out = g_new (float, self->out_cap * 2);

  /* A file that opens but yields nothing is no good either: read its
   * first frames now, so that it fails here rather than ending at once. */
  refill (self);
  if (self->out_len == 0)
    {
      if (self->error != NULL)
        g_propagate_error (error, g_steal_pointer (&self->error));
      else
        g_set_error (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_CORRUPT, "“%s” holds no audio", display);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* Reads and remixes the next chunk of the file into @stereo. */
static void
read_chunk (SkAudioSource *self)
{
  sf_count_t n;
  int channels = self->info.channels;

  n = sf_readf_float (self->sf, self->in, CHUNK);
  if (n <= 0)
    {
      /* MP3's frame count is an estimate: the end is where reads return
       * 0, and only an error flag tells a damaged file from its end. */
      if (sf_error (self->sf) != SF_ERR_NO_ERROR && self->error == NULL)
        {
          g_autofree char *display = g_filename_display_name (self->path);

          self->error = g_error_new (SK_AUDIO_ERROR, SK_AUDIO_ERROR_CORRUPT, "“%s” is damaged (%s)",
                                     display, sf_strerror (self->sf));
        }
      self->file_done = TRUE;
      return;
    }
  for (sf_count_t f = 0; f < n; f++)
    {
      const float *in = self->in + f * channels;
      float l = 0.0f, r = 0.0f;

      for (int c = 0; c < channels; c++)
        {
          float x = in[c];

          /* a float file can hold NaN, infinities and values no output
           * takes: silence for the first, 24 dB over full scale at most
           * for the others (the output clips the rest) */
          if (!isfinite (x))
            x = 0.0f;
          x = CLAMP (x, -MAX_SAMPLE, MAX_SAMPLE);
          l += self->coef[0][c] * x;
          r += self->coef[1][c] * x;
        }
      self->stereo[2 * f] = l;
      self->stereo[2 * f + 1] = r;
    }
  self->stereo_len = (gsize) n;
  self->stereo_pos = 0;
}

/* Refills @out with resampled (or passed-through) frames. */
static void
refill (SkAudioSource *self)
{
  self->out_pos = self->out_len = 0;
  while (self->out_len == 0 && !self->flushed)
    {
      if (self->stereo_pos == self->stereo_len && !self->file_done)
        read_chunk (self);
      if (self->soxr == NULL)
        {
          gsize n = self->stereo_len - self->stereo_pos;

          memcpy (self->out, self->stereo + 2 * self->stereo_pos, n * 2 * sizeof (float));
          self->out_len = n;
          self->stereo_pos = self->stereo_len;
          if (self->file_done && n == 0)
            self->flushed = TRUE;
        }
      else
        {
          gsize idone = 0, odone = 0;
          gboolean at_end = self->file_done && self->stereo_pos == self->stereo_len;
          soxr_error_t err;

          err = soxr_process (self->soxr, at_end ? NULL : self->stereo + 2 * self->stereo_pos,
                              self->stereo_len - self->stereo_pos, &idone, self->out, self->out_cap,
                              &odone);
          if (err != NULL)
            {
              if (self->error == NULL)
                self->error = g_error_new (SK_AUDIO_ERROR, SK_AUDIO_ERROR_CORRUPT,
                                           "resampling failed: %s", soxr_strerror (err));
              self->flushed = TRUE;
              break;
            }
          self->stereo_pos += idone;
          self->out_len = odone;
          if (at_end && odone == 0)
            self->flushed = TRUE;
        }
    }
}

gsize
sk_audio_source_read (SkAudioSource *self, float *out, gsize n_frames)
{
  gsize done = 0;

  g_return_val_if_fail (self != NULL, 0);

  while (done < n_frames)
    {
      gsize n;

      if (self->out_pos == self->out_len)
        {
          if (self->flushed)
            break;
          refill (self);
          continue;
        }
      n = MIN (n_frames - done, self->out_len - self->out_pos);
      memcpy (out + 2 * done, self->out + 2 * self->out_pos, n * 2 * sizeof (float));
      self->out_pos += n;
      done += n;
    }
  return done;
}

guint64
sk_audio_source_get_estimate (SkAudioSource *self)
{
  g_return_val_if_fail (self != NULL, 0);

  if (self->info.frames <= 0 || self->info.frames >= G_MAXINT64 / SK_AUDIO_RATE)
    return G_MAXUINT64;
  return (guint64) self->info.frames * SK_AUDIO_RATE / (guint64) self->info.samplerate;
}

const GError *
sk_audio_source_get_error (SkAudioSource *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}
