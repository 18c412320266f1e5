/* test-demo-sound.c: the demo soundscapes, measured.
 *
 * Runs the generator (sk-demo-gen, full length) into a scratch directory
 * and measures every file it writes, with measures of this test's own
 * (none of the generator's code is used):
 *
 *   below 20 Hz    share of the energy below 20 Hz: a Welch spectrum (Hann
 *                  windows of 2^16 frames, half overlapping, 0.73 Hz bins)
 *                  summed over both channels.  At most 3 %: the rest is
 *                  lost on any speaker and only eats headroom.
 *   150 Hz loss    integrated loudness (EBU R128, libebur128) minus that of
 *                  the file through a Butterworth high-pass at 150 Hz, a
 *                  small kiosk speaker's low end: the larger of the 2nd-
 *                  and the 4th-order filter's.  At most 2 LU.
 *   loudness       integrated loudness; every file within 1 LU of the
 *                  others (the kiosk normalises too, but a file played on
 *                  its own, e.g. as a speaker test, should not jump out).
 *   drops/s        impulses per second: 2 ms blocks of the signal above
 *                  1 kHz whose energy stands 6 dB or more over the median
 *                  of the blocks within 250 ms around them (a tick one
 *                  hears on top of the bed), at least 20 ms apart.  Every
 *                  file with rain in its sidecar must have one a second.
 *   layers         the generator also writes each layer alone at its level
 *                  in the mix (--stems): its loudness against the file's.
 *                  A layer within 12 LU of the whole is one hears; the
 *                  sidecar's embedding must say so (above 0.2, the top of
 *                  "absent") for exactly those layers.
 *   seam           each channel's jump from the last frame back to the
 *                  first, against the 99.9th percentile of the jumps from
 *                  one frame to the next inside the file: a click at the
 *                  loop point would stand out of that distribution.
 *
 * Every figure is printed (as TAP comments) before anything is asserted,
 * so that a failure shows the whole table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <math.h>
#include <string.h>

#include <ebur128.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <sndfile.h>

#include "sk-test-util.h"

#define SK_DIMS 5

static const char *const dim_names[SK_DIMS] = { "rain", "wind", "fire", "thunder", "waves" };

typedef struct
{
  char *name;
  int rate;
  gsize frames;
  float *ch[2];   /* deinterleaved */
  char *checksum; /* of the samples */
  double embedding[SK_DIMS];
  double below_20; /* share, 0..1 */
  double loudness; /* LUFS */
  double loss_150; /* LU */
  double drops_per_s;
  double seam[2];        /* jump at the wrap / 99.9th percentile */
  double layer[SK_DIMS]; /* each layer's loudness alone - the file's, LU
                           * (-inf: no such layer) */
} SkDemoFile;

typedef struct
{
  char *dir;
  GPtrArray *files; /* SkDemoFile */
} SkDemo;

static SkDemo demo;

/* --- Reading ------------------------------------------------------------ */

static void
demo_file_free (gpointer data)
{
  SkDemoFile *f = data;

  g_free (f->name);
  g_free (f->ch[0]);
  g_free (f->ch[1]);
  g_free (f->checksum);
  g_free (f);
}

static void
read_sidecar (const char *path, double embedding[SK_DIMS])
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *obj;
  JsonArray *arr;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  obj = json_node_get_object (json_parser_get_root (parser));
  arr = json_object_get_array_member (obj, "embedding");
  g_assert_nonnull (arr);
  g_assert_cmpuint (json_array_get_length (arr), ==, SK_DIMS);
  for (guint d = 0; d < SK_DIMS; d++)
    embedding[d] = json_array_get_double_element (arr, d);
}

static SkDemoFile *
read_wav (const char *dir, const char *name, gboolean sidecar)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.wav", dir, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", dir, name);
  g_autofree float *buf = NULL;
  SkDemoFile *f = g_new0 (SkDemoFile, 1);
  SF_INFO info = { 0 };
  SNDFILE *sf;
  sf_count_t got;

  sf = sf_open (path, SFM_READ, &info);
  g_assert_nonnull (sf);
  g_assert_cmpint (info.channels, ==, 2);
  g_assert_cmpint (info.frames, >, 0);
  f->name = g_strdup (name);
  f->rate = info.samplerate;
  f->frames = (gsize) info.frames;
  buf = g_new (float, f->frames * 2);
  got = sf_readf_float (sf, buf, info.frames);
  g_assert_cmpint (got, ==, info.frames);
  sf_close (sf);
  f->checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) buf,
                                             f->frames * 2 * sizeof (float));
  for (guint c = 0; c < 2; c++)
    {
      f->ch[c] = g_new (float, f->frames);
      for (gsize i = 0; i < f->frames; i++)
        f->ch[c][i] = buf[2 * i + c];
    }
  if (sidecar)
    read_sidecar (json, f->embedding);
  return f;
}

/* --- Spectrum: share of the energy below a frequency --------------------- */

/* In-place iterative radix-2 FFT of n = 2^k complex values; @wr, @wi hold
 * cos and -sin of 2πk/n for k < n/2. */
static void
fft (double *re, double *im, const double *wr, const double *wi, gsize n)
{
  for (gsize i = 1, j = 0; i < n; i++)
    {
      gsize bit = n >> 1;

      for (; j & bit; bit >>= 1)
        j ^= bit;
      j |= bit;
      if (i < j)
        {
          double t = re[i];

          re[i] = re[j];
          re[j] = t;
          t = im[i];
          im[i] = im[j];
          im[j] = t;
        }
    }
  for (gsize len = 2; len <= n; len <<= 1)
    {
      gsize stride = n / len;

      for (gsize s = 0; s < n; s += len)
        for (gsize k = 0; k < len / 2; k++)
          {
            double c = wr[k * stride], sn = wi[k * stride];
            double *ar = re + s + k, *ai = im + s + k;
            double *br = ar + len / 2, *bi = ai + len / 2;
            double tr = *br * c - *bi * sn, ti = *br * sn + *bi * c;

            *br = *ar - tr;
            *bi = *ai - ti;
            *ar += tr;
            *ai += ti;
          }
    }
}

static double
share_below (const SkDemoFile *f, double hz)
{
  const gsize n = 1 << 16;
  g_autofree double *re = g_new (double, n);
  g_autofree double *im = g_new (double, n);
  g_autofree double *win = g_new (double, n);
  g_autofree double *wr = g_new (double, n / 2);
  g_autofree double *wi = g_new (double, n / 2);
  double low = 0.0, all = 0.0;

  g_assert_cmpuint (f->frames, >=, n);
  for (gsize i = 0; i < n; i++)
    win[i] = 0.5 - 0.5 * cos (2.0 * G_PI * (double) i / (double) n);
  for (gsize k = 0; k < n / 2; k++)
    {
      wr[k] = cos (2.0 * G_PI * (double) k / (double) n);
      wi[k] = -sin (2.0 * G_PI * (double) k / (double) n);
    }
  for (guint c = 0; c < 2; c++)
    for (gsize start = 0; start + n <= f->frames; start += n / 2)
      {
        for (gsize i = 0; i < n; i++)
          {
            re[i] = win[i] * f->ch[c][start + i];
            im[i] = 0.0;
          }
        fft (re, im, wr, wi, n);
        for (gsize k = 0; k <= n / 2; k++)
          {
            double p = re[k] * re[k] + im[k] * im[k];
            double freq = (double) k * f->rate / (double) n;

            if (k > 0 && k < n / 2)
              p *= 2.0;
            all += p;
            if (freq < hz)
              low += p;
          }
      }
  return all > 0.0 ? low / all : 0.0;
}

/* --- Filters and loudness ------------------------------------------------ */

/* A biquad (RBJ's audio EQ cookbook, direct form I). */
typedef struct
{
  double b0, b1, b2, a1, a2;
  double x1, x2, y1, y2;
} SkBiquad;

static void
biquad_highpass (SkBiquad *q, double rate, double hz, double quality)
{
  double w = 2.0 * G_PI * hz / rate;
  double alpha = sin (w) / (2.0 * quality);
  double a0 = 1.0 + alpha;

  memset (q, 0, sizeof *q);
  q->b0 = (1.0 + cos (w)) / 2.0 / a0;
  q->b1 = -(1.0 + cos (w)) / a0;
  q->b2 = q->b0;
  q->a1 = -2.0 * cos (w) / a0;
  q->a2 = (1.0 - alpha) / a0;
}

static inline double
biquad_run (SkBiquad *q, double x)
{
  double y = q->b0 * x + q->b1 * q->x1 + q->b2 * q->x2 - q->a1 * q->y1 - q->a2 * q->y2;

  q->x2 = q->x1;
  q->x1 = x;
  q->y2 = q->y1;
  q->y1 = y;
  return y;
}

/* A Butterworth high-pass of order 2 * @sections: biquads with the
 * Butterworth pole Qs.  The file is a loop, so the filter is run over it
 * twice and the second pass kept: no start-up transient. */
static float *
highpass (const float *x, gsize n, double rate, double hz, guint sections)
{
  float *y = g_new (float, n);
  SkBiquad q[4];

  g_assert_cmpuint (sections, <=, G_N_ELEMENTS (q));
  for (guint s = 0; s < sections; s++)
    biquad_highpass (&q[s], rate, hz,
                     1.0 / (2.0 * cos (G_PI * (2.0 * s + 1.0) / (4.0 * sections))));
  for (guint pass = 0; pass < 2; pass++)
    for (gsize i = 0; i < n; i++)
      {
        double v = x[i];

        for (guint s = 0; s < sections; s++)
          v = biquad_run (&q[s], v);
        y[i] = (float) v;
      }
  return y;
}

static double
loudness (const float *l, const float *r, gsize n, int rate)
{
  ebur128_state *st = ebur128_init (2, (unsigned long) rate, EBUR128_MODE_I);
  float buf[2 * 4096];
  double out = -HUGE_VAL;

  g_assert_nonnull (st);
  for (gsize i = 0; i < n; i += 4096)
    {
      gsize m = MIN (4096, n - i);

      for (gsize j = 0; j < m; j++)
        {
          buf[2 * j] = l[i + j];
          buf[2 * j + 1] = r[i + j];
        }
      g_assert_cmpint (ebur128_add_frames_float (st, buf, m), ==, EBUR128_SUCCESS);
    }
  g_assert_cmpint (ebur128_loudness_global (st, &out), ==, EBUR128_SUCCESS);
  ebur128_destroy (&st);
  return out;
}

/* The larger loss of a 12 and a 24 dB/octave high-pass (a sealed and a
 * ported speaker). */
static double
loss_through_highpass (const SkDemoFile *f, double hz)
{
  double loss = 0.0;

  for (guint sections = 1; sections <= 2; sections++)
    {
      g_autofree float *l = highpass (f->ch[0], f->frames, f->rate, hz, sections);
      g_autofree float *r = highpass (f->ch[1], f->frames, f->rate, hz, sections);

      loss = MAX (loss, f->loudness - loudness (l, r, f->frames, f->rate));
    }
  return loss;
}

/* --- Impulses -------------------------------------------------------------- */

/* The k-th smallest of @a[0..n) (Hoare's selection; reorders @a). */
static double
select_nth (double *a, gsize n, gsize k)
{
  gsize lo = 0, hi = n - 1;

  while (lo < hi)
    {
      double pivot = a[lo + (hi - lo) / 2];
      gsize i = lo, j = hi;

      while (i <= j)
        {
          while (a[i] < pivot)
            i++;
          while (a[j] > pivot)
            j--;
          if (i <= j)
            {
              double t = a[i];

              a[i] = a[j];
              a[j] = t;
              i++;
              if (j == 0)
                break;
              j--;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        break;
    }
  return a[k];
}

static double
impulses_per_second (const SkDemoFile *f)
{
  gsize block = (gsize) (0.002 * f->rate);
  gsize blocks = f->frames / block;
  gsize around = (gsize) (0.25 / 0.002);
  gsize refractory = (gsize) (0.020 / 0.002);
  double *energy[2] = { NULL, NULL };
  g_autofree double *window = g_new (double, 2 * around + 1);
  g_autofree gboolean *hit = g_new0 (gboolean, blocks);
  guint count = 0;
  gsize last = 0;

  for (guint c = 0; c < 2; c++)
    {
      g_autofree float *hp = highpass (f->ch[c], f->frames, f->rate, 1000.0, 1);

      energy[c] = g_new0 (double, blocks);
      for (gsize b = 0; b < blocks; b++)
        for (gsize j = 0; j < block; j++)
          energy[c][b] += (double) hp[b * block + j] * hp[b * block + j];
      for (gsize b = 0; b < blocks; b++)
        {
          gsize m = 0;
          double median;

          /* Neighbours only, wrapping round: the file is a loop. */
          for (gsize k = 0; k < 2 * around + 1; k++)
            if (k != around)
              window[m++] = energy[c][(b + blocks + k - around) % blocks];
          median = select_nth (window, m, m / 2);
          if (energy[c][b] >= 4.0 * median && median > 0.0 &&
              energy[c][b] >= energy[c][(b + blocks - 1) % blocks] &&
              energy[c][b] >= energy[c][(b + 1) % blocks])
            hit[b] = TRUE;
        }
    }
  for (gsize b = 0; b < blocks; b++)
    if (hit[b] && (count == 0 || b - last >= refractory))
      {
        count++;
        last = b;
      }
  g_free (energy[0]);
  g_free (energy[1]);
  return count / ((double) f->frames / f->rate);
}

/* --- The loop seam --------------------------------------------------------- */

static double
seam_ratio (const float *x, gsize n)
{
  g_autofree double *d = g_new (double, n - 1);
  double p999;

  for (gsize i = 0; i + 1 < n; i++)
    d[i] = fabs ((double) x[i + 1] - x[i]);
  p999 = select_nth (d, n - 1, (gsize) (0.999 * (n - 2)));
  return p999 > 0.0 ? fabs ((double) x[0] - x[n - 1]) / p999 : G_MAXDOUBLE;
}

/* --- Layers ----------------------------------------------------------------- */

/* The generator writes each layer alone at its level in the mix
 * (--stems); how loud each is against the whole file. */
static void
measure_layers (SkDemoFile *f)
{
  for (guint d = 0; d < SK_DIMS; d++)
    {
      g_autofree char *stems = g_strdup_printf ("%s/stems/%s", demo.dir, f->name);
      g_autofree char *path = g_strdup_printf ("%s/%s.wav", stems, dim_names[d]);
      SkDemoFile *stem;

      f->layer[d] = -HUGE_VAL;
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      stem = read_wav (stems, dim_names[d], FALSE);
      g_assert_cmpuint (stem->frames, ==, f->frames);
      f->layer[d] = loudness (stem->ch[0], stem->ch[1], stem->frames, stem->rate) - f->loudness;
      demo_file_free (stem);
    }
}

/* --- Set-up: generate and measure once ------------------------------------- */

static void
demo_generate (void)
{
  const char *gen = g_getenv ("SK_DEMO_GEN");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *entry;
  int status = -1;
  char *argv[4];

  g_assert_nonnull (gen);
  demo.dir = sk_test_mkdtemp ();
  argv[0] = (char *) gen;
  argv[1] = (char *) "--stems";
  argv[2] = demo.dir;
  argv[3] = NULL;
  g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  dir = g_dir_open (demo.dir, 0, &error);
  g_assert_no_error (error);
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".wav"))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - 4));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  g_assert_cmpuint (names->len, >=, 8);

  demo.files = g_ptr_array_new_with_free_func (demo_file_free);
  g_test_message ("%-22s %9s %9s %9s %8s %11s", "file", "<20 Hz", "LUFS", "150 Hz", "drops/s",
                  "seam L/R");
  for (guint i = 0; i < names->len; i++)
    {
      SkDemoFile *f = read_wav (demo.dir, g_ptr_array_index (names, i), TRUE);

      f->below_20 = share_below (f, 20.0);
      f->loudness = loudness (f->ch[0], f->ch[1], f->frames, f->rate);
      f->loss_150 = loss_through_highpass (f, 150.0);
      f->drops_per_s = impulses_per_second (f);
      for (guint c = 0; c < 2; c++)
        f->seam[c] = seam_ratio (f->ch[c], f->frames);
      measure_layers (f);
      g_test_message ("%-22s %8.2f%% %9.2f %6.2f LU %8.1f %5.2f/%.2f", f->name, 100.0 * f->below_20,
                      f->loudness, f->loss_150, f->drops_per_s, f->seam[0], f->seam[1]);
      g_ptr_array_add (demo.files, f);
    }
  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);
      g_autoptr (GString) line = g_string_new (NULL);

      for (guint d = 0; d < SK_DIMS; d++)
        if (isfinite (f->layer[d]))
          g_string_append_printf (line, " %s %.2f (%+.1f LU)", dim_names[d], f->embedding[d],
                                  f->layer[d]);
        else
          g_string_append_printf (line, " %s %.2f (none)", dim_names[d], f->embedding[d]);
      g_test_message ("%-22s%s", f->name, line->str);
    }
}

/* --- Tests ------------------------------------------------------------------- */

static void
test_below_20_hz (void)
{
  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      g_test_message ("%s: %.2f %% below 20 Hz", f->name, 100.0 * f->below_20);
      g_assert_cmpfloat (f->below_20, <=, 0.03);
    }
}

static void
test_small_speaker (void)
{
  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      g_test_message ("%s: %.2f LU lost through a 150 Hz high-pass", f->name, f->loss_150);
      g_assert_cmpfloat (f->loss_150, <=, 2.0);
    }
}

static void
test_one_loudness (void)
{
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      lo = MIN (lo, f->loudness);
      hi = MAX (hi, f->loudness);
    }
  g_test_message ("integrated loudness from %.2f to %.2f LUFS", lo, hi);
  g_assert_cmpfloat (hi - lo, <=, 1.0);
}

/* Every file whose sidecar says it has rain (rain above indifference). */
static void
test_rain_has_drops (void)
{
  guint rainy = 0;

  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      if (f->embedding[0] <= 0.5)
        continue;
      g_test_message ("%s: %.1f audible drops per second", f->name, f->drops_per_s);
      g_assert_cmpfloat (f->drops_per_s, >=, 1.0);
      rainy++;
    }
  g_assert_cmpuint (rainy, >=, 1);
}

static void
test_seams (void)
{
  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      for (guint c = 0; c < 2; c++)
        g_assert_cmpfloat (f->seam[c], <=, 1.0);
    }
}

static void
test_sidecars (void)
{
  for (guint i = 0; i < demo.files->len; i++)
    {
      SkDemoFile *f = g_ptr_array_index (demo.files, i);

      for (guint d = 0; d < SK_DIMS; d++)
        {
          gboolean heard = f->layer[d] >= -12.0;
          gboolean claimed = f->embedding[d] > 0.2;

          if (heard != claimed && isfinite (f->layer[d]))
            g_test_message ("%s: %s is %.2f in the sidecar, its layer %.1f LU under the file",
                            f->name, dim_names[d], f->embedding[d], -f->layer[d]);
          else if (heard != claimed)
            g_test_message ("%s: %s is %.2f in the sidecar, and there is no such layer", f->name,
                            dim_names[d], f->embedding[d]);
          g_assert_cmpint (heard, ==, claimed);
        }
    }
}

static void
test_distinct (void)
{
  for (guint i = 0; i < demo.files->len; i++)
    for (guint j = i + 1; j < demo.files->len; j++)
      {
        SkDemoFile *a = g_ptr_array_index (demo.files, i);
        SkDemoFile *b = g_ptr_array_index (demo.files, j);

        g_assert_cmpstr (a->checksum, !=, b->checksum);
      }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  demo_generate ();
  g_test_add_func ("/demo-sound/at-most-3-percent-below-20-hz", test_below_20_hz);
  g_test_add_func ("/demo-sound/at-most-2-lu-lost-on-a-small-speaker", test_small_speaker);
  g_test_add_func ("/demo-sound/one-loudness-within-1-lu", test_one_loudness);
  g_test_add_func ("/demo-sound/rain-has-audible-drops", test_rain_has_drops);
  g_test_add_func ("/demo-sound/loops-are-click-free", test_seams);
  g_test_add_func ("/demo-sound/sidecars-describe-the-layers-one-hears", test_sidecars);
  g_test_add_func ("/demo-sound/files-are-distinct", test_distinct);
  status = g_test_run ();
  g_ptr_array_unref (demo.files);
  sk_test_rmdir (demo.dir);
  g_free (demo.dir);
  return status;
}
