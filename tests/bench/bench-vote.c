/* bench-vote: vote → new queue with 10 000 songs and 50 listeners present.
 *
 * Budget (docs/DESIGN.md): < 5 ms. A vote is one SQLite transaction with
 * synchronous=FULL (the vote, the taste update, two outbox rows and the
 * recomputed queue), so its floor is one durable commit on the database's
 * filesystem. Two baselines are measured in the same run, each interleaved
 * with the votes: a bare durable commit (one INSERT + COMMIT, WAL,
 * synchronous=FULL) into another database in the same directory, and a
 * bare rank call of the same catalogue for the same 50 listeners. What is
 * left is the engine's own work: statements, JSON, the session query.
 *
 * The engine runs on a test clock: one vote a second, every listener votes
 * once per play, and a new track starts every 50 votes. Everything lives in
 * a temporary directory that is removed at the end. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <sys/vfs.h>

#include "sk-bench-util.h"
#include "sk-taste.h"
#include "sk-test-util.h"

#define N_SONGS 10000
#define N_LISTENERS 50
#define N_PLAYS 40 /* measured; one more warms up */
#define N_VOTES (N_LISTENERS * N_PLAYS)

typedef struct
{
  sqlite3 *db;
  sqlite3_stmt *insert;
} Baseline;

static const char *
fs_name (const char *path)
{
  struct statfs st;

  if (statfs (path, &st) != 0)
    return "an unknown filesystem";
  switch ((unsigned long) st.f_type)
    {
    case 0xEF53UL:
      return "ext4";
    case 0x01021994UL:
      return "tmpfs (no real fsync)";
    case 0x9123683EUL:
      return "btrfs";
    case 0x58465342UL:
      return "xfs";
    case 0x794C7630UL:
      return "overlayfs";
    case 0x4D44UL:
      return "vfat";
    case 0x2FC12FC1UL:
      return "zfs";
    default:
      return "another filesystem";
    }
}

static void
baseline_open (Baseline *b, const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "baseline.db", NULL);

  if (sqlite3_open (path, &b->db) != SQLITE_OK)
    g_error ("baseline: cannot open %s", path);
  sk_test_sqlite_exec (b->db, "PRAGMA journal_mode = WAL");
  sk_test_sqlite_exec (b->db, "PRAGMA synchronous = FULL");
  sk_test_sqlite_exec (b->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  if (sqlite3_prepare_v2 (b->db, "INSERT INTO t (v) VALUES (?1)", -1, &b->insert, NULL) !=
      SQLITE_OK)
    g_error ("baseline: %s", sqlite3_errmsg (b->db));
}

/* One durable commit: BEGIN, one INSERT, COMMIT. */
static double
baseline_commit (Baseline *b)
{
  gint64 t0 = sk_bench_now_ns ();

  sk_test_sqlite_exec (b->db, "BEGIN");
  sqlite3_bind_text (b->insert, 1, "[0.5,0.5,0.5,0.5,0.5]", -1, SQLITE_STATIC);
  if (sqlite3_step (b->insert) != SQLITE_DONE)
    g_error ("baseline: %s", sqlite3_errmsg (b->db));
  sqlite3_reset (b->insert);
  sk_test_sqlite_exec (b->db, "COMMIT");
  return (double) (sk_bench_now_ns () - t0);
}

static void
baseline_close (Baseline *b)
{
  sqlite3_finalize (b->insert);
  sqlite3_close (b->db);
}

static double
bare_rank (SkEngine *engine, const double *prefs, gint64 now)
{
  SkRecommender *rec = sk_engine_get_recommender (engine);
  SkRankItem out[SK_QUEUE_DEFAULT_K];
  SkRankParams params = { 0 };
  gint64 t0;
  guint n;

  params.now = now;
  params.strategy = SK_STRATEGY_AVERAGE;
  params.k = SK_QUEUE_DEFAULT_K;
  params.listeners = prefs;
  params.n_listeners = N_LISTENERS;
  params.current = sk_recommender_lookup (rec, sk_engine_get_current_song (engine));
  t0 = sk_bench_now_ns ();
  n = sk_recommender_rank (rec, &params, out);
  t0 = sk_bench_now_ns () - t0;
  sk_bench_check (n == SK_QUEUE_DEFAULT_K, "the bare ranking is shorter than K");
  return (double) t0;
}

static gboolean
start_next (SkEngine *engine)
{
  g_autoptr (GError) error = NULL;

  if (!sk_engine_start_next (engine, NULL, &error))
    {
      sk_bench_check (FALSE, error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED);
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autoptr (GError) error = NULL;
  g_autofree double *prefs = g_new (double, N_LISTENERS *SK_DIM);
  g_autofree double *t_vote = g_new (double, N_VOTES);
  g_autofree double *t_commit = g_new (double, N_VOTES);
  g_autofree double *t_rank = g_new (double, N_VOTES);
  g_auto (GStrv) users = g_new0 (char *, N_LISTENERS + 1);
  SkTestClock clock = { G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC };
  SkEngine *engine;
  SkStore *store;
  Baseline base = { 0 };
  double v50, v99, c50, c99, r50;
  guint n_votes = 0;

  engine = sk_test_engine_new (dir, &clock);
  store = sk_engine_get_store (engine);

  /* The catalogue, in one transaction. */
  g_assert_true (sk_store_begin (store, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_SONGS; i++)
    {
      g_autofree char *id = g_strdup_printf ("song-%05u", i);
      double e[SK_DIM];

      sk_bench_random_vec (rand, e);
      sk_test_add_song (store, id, e);
    }
  g_assert_true (sk_store_commit (store, &error));
  g_assert_true (sk_engine_reload (engine, &error));
  g_assert_no_error (error);

  for (guint l = 0; l < N_LISTENERS; l++)
    {
      g_autofree char *uid = g_strdup_printf ("04%06X", 0xA000 + l);
      g_autofree char *name = g_strdup_printf ("Listener %u", l + 1);
      SkTapResult tap = { 0 };

      sk_bench_random_taste (rand, 0.3, &prefs[l * SK_DIM]);
      users[l] = sk_engine_enroll (engine, uid, name, NULL, &prefs[l * SK_DIM], &error);
      g_assert_no_error (error);
      g_assert_true (sk_engine_tap (engine, uid, &tap, &error));
      g_assert_no_error (error);
      sk_tap_result_clear (&tap);
    }
  sk_bench_check (sk_engine_get_n_present (engine) == N_LISTENERS, "not every listener is present");

  baseline_open (&base, dir);

  for (guint play = 0; play <= N_PLAYS && sk_bench_exit_status () == 0; play++)
    {
      SkRecommender *rec;
      const double *embedding;

      if (!start_next (engine))
        break;
      rec = sk_engine_get_recommender (engine);
      embedding = sk_recommender_get_embedding (rec,
                                                sk_recommender_lookup (rec,
                                                                       sk_engine_get_current_song (
                                                                           engine)));

      for (guint l = 0; l < N_LISTENERS; l++)
        {
          /* they rate after a hidden taste: their starting one */
          int value = sk_bench_rating (rand, &prefs[l * SK_DIM], embedding, 0.5);
          gint64 t0;
          gboolean ok;
          guint n = 0;

          clock.now += G_USEC_PER_SEC;
          t0 = sk_bench_now_ns ();
          ok = sk_engine_vote (engine, users[l], value, &error);
          t0 = sk_bench_now_ns () - t0;
          if (!ok)
            {
              sk_bench_check (FALSE, error->message);
              break;
            }
          sk_engine_get_queue (engine, &n);
          sk_bench_check (n == SK_QUEUE_DEFAULT_K, "a vote left a queue shorter than K");
          if (play == 0)
            continue; /* warming up */

          t_vote[n_votes] = (double) t0;
          t_commit[n_votes] = baseline_commit (&base);
          t_rank[n_votes] = bare_rank (engine, prefs, clock.now);
          n_votes++;
        }
    }

  if (n_votes == N_VOTES)
    {
      v50 = sk_bench_quantile (t_vote, n_votes, 0.5) / 1e6;
      v99 = sk_bench_quantile (t_vote, n_votes, 0.99) / 1e6;
      c50 = sk_bench_quantile (t_commit, n_votes, 0.5) / 1e6;
      c99 = sk_bench_quantile (t_commit, n_votes, 0.99) / 1e6;
      r50 = sk_bench_quantile (t_rank, n_votes, 0.5) / 1e6;

      printf ("bench-vote: %d songs, %d listeners present, %d votes over %d plays "
              "(database on %s)\n",
              N_SONGS, N_LISTENERS, N_VOTES, N_PLAYS, fs_name (dir));
      printf ("budget: vote -> new queue < 5 ms\n\n");
      printf ("%-44s %9s %9s\n", "", "median ms", "p99 ms");
      printf ("%-44s %9.3f %9.3f\n", "sk_engine_vote (vote -> queue persisted)", v50, v99);
      printf ("%-44s %9.3f %9.3f\n", "baseline: bare INSERT + COMMIT (sync=FULL)", c50, c99);
      printf ("%-44s %9.3f\n", "baseline: bare rank, 10 000 songs, 50 present", r50);
      printf ("\nvote / durable commit: %.2fx; the rest of the vote (statements, JSON, "
              "sessions) ~ %.3f ms\n",
              v50 / c50, v50 - c50 - r50);
      sk_bench_report ("vote → queue persisted: median (baseline: a durable commit)", v50, "ms",
                       c50, "< 5 ms");
      sk_bench_report ("vote → queue persisted: p99 (baseline: a durable commit)", v99, "ms", c99,
                       "< 5 ms");
    }

  baseline_close (&base);
  g_object_unref (engine);
  sk_test_rmdir (dir);
  return sk_bench_exit_status ();
}
