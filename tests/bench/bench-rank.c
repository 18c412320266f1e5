/* bench-rank: ranking 100 000 songs.
 *
 * Budget (docs/DESIGN.md): within 1.5× of one pass that reads the songs'
 * embeddings from memory. The baseline is measured in the same run,
 * interleaved with the ranking so that both see the same caches: one pass
 * over the same 100 000 embeddings (stored contiguously) summing each
 * dimension. Printed: the median time of each and their ratio, for 1 and 8
 * listeners under each strategy, and for average with the learner's
 * exploration bonus (the default weight 1.5, the listeners' states learned
 * from 10 votes each).
 *
 * Functional checks (non-zero exit when they fail): the average ranking
 * (with and without the bonus) agrees with a brute-force one, and a rank
 * call allocates nothing. The
 * allocations are counted by this program's own malloc family, which
 * forwards to glibc's and so also sees every g_malloc of GLib; under
 * AddressSanitizer, which owns malloc, the count is skipped. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk-bench-util.h"
#include "sk-recommender.h"
#include "sk-taste.h"
#include "sk-util.h"

#define N_SONGS 100000
#define N_PLAYED 500 /* plays in the history, one every 57 s */
#define PLAY_GAP (57 * G_USEC_PER_SEC)
#define K SK_QUEUE_DEFAULT_K
#define WARM_UP 5
#define REPS 301
#define MAX_LISTENERS 8
#define EXPLORE_WEIGHT 1.5
#define STATE_VOTES 10

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCATIONS 0
#else
#define COUNT_ALLOCATIONS 1
#endif

#if COUNT_ALLOCATIONS
/* glibc's allocator under its internal names: the definitions below take
 * the place of malloc & co. for the whole process (GLib included) by
 * ordinary ELF symbol interposition, count, and forward. free() is glibc's
 * own. */
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *p, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);

static gboolean counting;
static gsize n_allocations;

static inline void
count_one (void)
{
  if (counting)
    __atomic_fetch_add (&n_allocations, 1, __ATOMIC_RELAXED);
}

void *
malloc (size_t size)
{
  count_one ();
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  count_one ();
  return __libc_calloc (n, size);
}

void *
realloc (void *p, size_t size)
{
  count_one ();
  return __libc_realloc (p, size);
}

void *
memalign (size_t alignment, size_t size)
{
  count_one ();
  return __libc_memalign (alignment, size);
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  count_one ();
  return __libc_memalign (alignment, size);
}

int
posix_memalign (void **out, size_t alignment, size_t size)
{
  void *p;

  if (alignment % sizeof (void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  count_one ();
  p = __libc_memalign (alignment, size);
  if (p == NULL)
    return ENOMEM;
  *out = p;
  return 0;
}

static void
count_start (void)
{
  n_allocations = 0;
  counting = TRUE;
}

static gsize
count_stop (void)
{
  counting = FALSE;
  return n_allocations;
}

/* A zero means something only if the counter sees GLib's allocations. */
static void
check_counter (void)
{
  gpointer volatile p;

  count_start ();
  p = g_malloc (16);
  g_free (p);
  sk_bench_check (count_stop () == 1, "the allocation counter does not see g_malloc");
}
#endif

typedef struct
{
  SkRecommender *rec;
  double *emb; /* N_SONGS × SK_DIM, contiguous: the baseline reads this */
  gint64 last[N_SONGS];
  gint64 now;
  int current;
  double prefs[MAX_LISTENERS * SK_DIM];
  double states[MAX_LISTENERS * SK_TASTE_STATE_LEN];
} Bench;

/* Kept live so that neither the baseline's sums nor the rankings can be
 * dropped by the compiler. */
static volatile double sink;

static void
baseline_pass (const double *emb)
{
  double s[SK_DIM] = { 0 };

  for (gsize i = 0; i < N_SONGS; i++)
    for (guint d = 0; d < SK_DIM; d++)
      s[d] += emb[i * SK_DIM + d];
  sink = s[0] + s[1] + s[2] + s[3] + s[4];
}

static Bench *
bench_new (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Bench *b = g_new0 (Bench, 1);
  gint64 latest = SK_NEVER;

  b->rec = sk_recommender_new ();
  b->emb = g_new (double, (gsize) N_SONGS *SK_DIM);
  b->now = G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC; /* 2024-05-01 12:00 UTC */

  for (guint i = 0; i < N_SONGS; i++)
    {
      g_autoptr (GError) error = NULL;
      char *id = g_strdup_printf ("song-%06u", i);

      sk_bench_random_vec (rand, &b->emb[(gsize) i * SK_DIM]);
      sk_recommender_add_song (b->rec, id, &b->emb[(gsize) i * SK_DIM], &error);
      g_assert_no_error (error);
      g_ptr_array_add (ids, id);
      b->last[i] = SK_NEVER;
    }
  sk_recommender_commit (b->rec);
  /* ids sort as their numbers: index i is song-i */
  g_assert_cmpstr (sk_recommender_get_id (b->rec, 4242), ==, "song-004242");

  /* The venue's library holds every song. */
  sk_recommender_set_library (b->rec, (const char *const *) ids->pdata, ids->len);

  b->current = -1;
  for (guint j = N_PLAYED; j >= 1; j--)
    {
      guint i = (guint) g_rand_int_range (rand, 0, N_SONGS);
      gint64 t = b->now - (gint64) j * PLAY_GAP;

      sk_recommender_set_last_played (b->rec, i, t);
      b->last[i] = MAX (b->last[i], t);
      if (t > latest)
        {
          latest = t;
          b->current = (int) i;
        }
    }

  for (guint l = 0; l < MAX_LISTENERS; l++)
    {
      double *state = &b->states[l * SK_TASTE_STATE_LEN];
      double learned[SK_DIM];

      sk_bench_random_taste (rand, 0.3, &b->prefs[l * SK_DIM]);
      /* a learner state from a few votes after that taste */
      sk_taste_state_new (state);
      sk_taste_neutral (learned);
      for (guint v = 0; v < STATE_VOTES; v++)
        {
          const double *e = &b->emb[(gsize) g_rand_int_range (rand, 0, N_SONGS) * SK_DIM];

          sk_taste_learn (state, learned, e, sk_bench_rating (rand, &b->prefs[l * SK_DIM], e, 0.5));
        }
    }
  return b;
}

static void
bench_free (Bench *b)
{
  sk_recommender_free (b->rec);
  g_free (b->emb);
  g_free (b);
}

/* The definition, written out plainly for the average strategy. */
static void
check_average (Bench *b, const SkRankParams *params, const SkRankItem *got, guint n_got)
{
  SkRankItem best[K];
  double group[SK_DIM];
  guint count = 0;
  gboolean same;

  sk_taste_mean (params->listeners, params->n_listeners, group);
  for (guint i = 0; i < N_SONGS; i++)
    {
      double score;
      guint pos;

      if ((int) i == b->current)
        continue;
      score = sk_taste_similarity (group, &b->emb[(gsize) i * SK_DIM]) -
              sk_recommender_penalty (b->now, b->last[i]);
      if (params->explore != NULL)
        {
          double e[SK_DIM];

          sk_taste_centre_unit (&b->emb[(gsize) i * SK_DIM], e);
          for (guint r = 0; r < SK_DIM; r++)
            for (guint c = 0; c < SK_DIM; c++)
              score += e[r] * params->explore[r * SK_DIM + c] * e[c];
        }
      if (count == K && !(score > best[K - 1].score))
        continue;
      pos = count < K ? count : K - 1;
      while (pos > 0 && score > best[pos - 1].score)
        {
          best[pos] = best[pos - 1];
          pos--;
        }
      best[pos].index = i;
      best[pos].score = score;
      if (count < K)
        count++;
    }

  same = n_got == count;
  for (guint j = 0; same && j < count; j++)
    same = got[j].index == best[j].index && fabs (got[j].score - best[j].score) < 1e-9;
  sk_bench_check (same, "the average ranking differs from the brute-force one");
}

static void
run (Bench *b, SkStrategy strategy, guint n_listeners, gboolean explore)
{
  double t_rank[REPS], t_base[REPS], x[SK_DIM * SK_DIM];
  SkRankItem out[K];
  SkRankParams params = { 0 };
  double m_rank, m_base;
  guint n = 0;
  g_autofree char *allocs = NULL;
  g_autofree char *name = g_strdup_printf ("%s%s", sk_strategy_to_string (strategy),
                                           explore ? " + explore" : "");
  g_autofree char *figure = g_strdup_printf ("rank, %s, %u listener%s: median", name, n_listeners,
                                             n_listeners == 1 ? "" : "s");

  params.now = b->now;
  params.strategy = strategy;
  params.k = K;
  params.listeners = b->prefs;
  params.n_listeners = n_listeners;
  params.current = b->current;
  if (explore && sk_bench_check (sk_taste_explore_blend (b->states, n_listeners, EXPLORE_WEIGHT, x),
                                 "no exploration matrix from the listeners' states"))
    params.explore = x;

  for (guint r = 0; r < WARM_UP; r++)
    {
      baseline_pass (b->emb);
      n = sk_recommender_rank (b->rec, &params, out);
    }
  sk_bench_check (n == K, "a ranking of 100 000 songs is shorter than K");
  if (strategy == SK_STRATEGY_AVERAGE)
    check_average (b, &params, out, n);

#if COUNT_ALLOCATIONS
  count_start ();
#endif
  for (guint r = 0; r < REPS; r++)
    {
      gint64 t0, t1, t2;

      t0 = sk_bench_now_ns ();
      baseline_pass (b->emb);
      t1 = sk_bench_now_ns ();
      n = sk_recommender_rank (b->rec, &params, out);
      t2 = sk_bench_now_ns ();
      sink = out[0].score;
      t_base[r] = (double) (t1 - t0);
      t_rank[r] = (double) (t2 - t1);
    }
#if COUNT_ALLOCATIONS
  {
    gsize a = count_stop ();

    g_autofree char *what = g_strdup_printf ("rank, %s, %u listener%s: allocations a call", name,
                                             n_listeners, n_listeners == 1 ? "" : "s");

    allocs = g_strdup_printf ("%g", (double) a / REPS);
    sk_bench_report (what, (double) a / REPS, NULL, NAN, "0");
    sk_bench_check (a == 0, "ranking allocated memory during a call");
  }
#else
  allocs = g_strdup ("n/a (ASan)");
#endif

  m_rank = sk_bench_quantile (t_rank, REPS, 0.5) / 1000.0;
  m_base = sk_bench_quantile (t_base, REPS, 0.5) / 1000.0;
  printf ("%-24s %9u %10.1f %10.1f %7.2fx %14s\n", name, n_listeners, m_rank, m_base,
          m_rank / m_base, allocs);
  sk_bench_report (figure, m_rank, "µs", m_base,
                   strategy == SK_STRATEGY_AVERAGE ? "≤ 1.5× the baseline" : NULL);
}

int
main (int argc, char **argv)
{
  static const SkStrategy strategies[] = {
    SK_STRATEGY_AVERAGE,
    SK_STRATEGY_LEAST_MISERY,
    SK_STRATEGY_AVERAGE_WITHOUT_MISERY,
  };
  static const guint listeners[] = { 1, 8 };
  Bench *b;

#if COUNT_ALLOCATIONS
  check_counter ();
#endif
  b = bench_new ();
  printf ("bench-rank: %d songs (library = all), %d plays in the history, K = %d, "
          "median of %d calls\n",
          N_SONGS, N_PLAYED, K, REPS);
  printf ("baseline: one pass summing the same embeddings, interleaved with the ranking\n");
  printf (
      "budget: average strategy, with and without exploration, within 1.5x of the baseline\n\n");
  printf ("%-24s %9s %10s %10s %8s %14s\n", "strategy", "listeners", "rank µs", "base µs", "ratio",
          "allocs/call");

  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
    for (guint l = 0; l < G_N_ELEMENTS (listeners); l++)
      run (b, strategies[s], listeners[l], FALSE);
  for (guint l = 0; l < G_N_ELEMENTS (listeners); l++)
    run (b, SK_STRATEGY_AVERAGE, listeners[l], TRUE);

  bench_free (b);
  return sk_bench_exit_status ();
}
