#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sk-bench-util.h"
#include "sk-taste.h"

static gboolean failed;

gint64
sk_bench_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
sk_bench_quantile (double *samples, guint n, double p)
{
  guint rank;

  g_assert (n > 0);
  qsort (samples, n, sizeof (double), cmp_double);
  rank = (guint) ceil (p * n);
  return samples[CLAMP (rank, 1, n) - 1];
}

void
sk_bench_random_vec (GRand *rand, double out[SK_DIM])
{
  for (guint d = 0; d < SK_DIM; d++)
    out[d] = g_rand_double (rand);
}

void
sk_bench_random_taste (GRand *rand, double min_norm, double out[SK_DIM])
{
  double n2;

  do
    {
      n2 = 0.0;
      sk_bench_random_vec (rand, out);
      for (guint d = 0; d < SK_DIM; d++)
        n2 += (out[d] - 0.5) * (out[d] - 0.5);
    }
  while (sqrt (n2) < min_norm);
}

double
sk_bench_gaussian (GRand *rand)
{
  double u1, u2;

  do
    u1 = g_rand_double (rand);
  while (u1 <= 0.0);
  u2 = g_rand_double (rand);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

int
sk_bench_rating (GRand *rand,
                 const double truth[SK_DIM],
                 const double embedding[SK_DIM],
                 double noise_sd)
{
  double r = 3.0 + 2.0 * sk_taste_similarity (truth, embedding) +
             noise_sd * sk_bench_gaussian (rand);

  return (int) CLAMP (lround (r), 1, 5);
}

/* Four significant digits, but whole numbers from 1000 on (no exponents). */
static const char *
format_number (char *buf, gsize len, double v)
{
  if (isnan (v))
    return "";
  return g_ascii_formatd (buf, (int) len, fabs (v) >= 1000.0 && isfinite (v) ? "%.0f" : "%.4g", v);
}

void
sk_bench_report (
    const char *figure, double value, const char *unit, double baseline, const char *budget)
{
  char v[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], r[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (strchr (figure, '|') == NULL);
  printf ("BENCH %s|%s|%s|%s|%s|%s\n", figure, format_number (v, sizeof v, value),
          unit != NULL ? unit : "", format_number (b, sizeof b, baseline),
          isnan (baseline) || baseline == 0.0
              ? ""
              : g_ascii_formatd (r, sizeof r, "%.2f", value / baseline),
          budget != NULL ? budget : "");
  fflush (stdout);
}

gint64
sk_bench_status_kb (GPid pid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (at = strstr (text, name)) == NULL)
    return -1;
  return g_ascii_strtoll (at + strlen (name) + 1, NULL, 10);
}

gboolean
sk_bench_check (gboolean ok, const char *what)
{
  if (!ok)
    {
      fprintf (stderr, "FUNCTIONAL FAILURE: %s\n", what);
      failed = TRUE;
    }
  return ok;
}

int
sk_bench_exit_status (void)
{
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
