/* SkRecommender behaviours that the case files cannot show: state kept
 * between calls, playability, and that a call leaves the ranker as it was. */
#include "config.h"

#include <math.h>

#include "sk-recommender.h"

#define HOUR (G_USEC_PER_SEC * (gint64) 3600)

static SkRecommender *
three_songs (void)
{
  SkRecommender *r = sk_recommender_new ();
  const double a[SK_DIM] = { 0.9, 0.5, 0.5, 0.5, 0.5 };
  const double b[SK_DIM] = { 0.8, 0.5, 0.5, 0.5, 0.5 };
  const double c[SK_DIM] = { 0.1, 0.5, 0.5, 0.5, 0.5 };

  /* added out of order: ids sort on commit */
  g_assert_true (sk_recommender_add_song (r, "c", c, NULL));
  g_assert_true (sk_recommender_add_song (r, "a", a, NULL));
  g_assert_true (sk_recommender_add_song (r, "b", b, NULL));
  sk_recommender_commit (r);
  return r;
}

static void
test_penalty_half_life (void)
{
  g_assert_cmpfloat (sk_recommender_penalty (10 * HOUR, SK_NEVER), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (sk_recommender_penalty (10 * HOUR, 10 * HOUR), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (sk_recommender_penalty (10 * HOUR, 9 * HOUR), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (sk_recommender_penalty (10 * HOUR, 7 * HOUR), 0.125, 1e-12);
  /* a clock that stepped back counts as "just played" */
  g_assert_cmpfloat_with_epsilon (sk_recommender_penalty (9 * HOUR, 10 * HOUR), 1.0, 1e-12);
}

static void
test_ids_sorted_and_looked_up (void)
{
  g_autoptr (SkRecommender) r = three_songs ();

  g_assert_cmpuint (sk_recommender_get_n_songs (r), ==, 3);
  g_assert_cmpstr (sk_recommender_get_id (r, 0), ==, "a");
  g_assert_cmpint (sk_recommender_lookup (r, "c"), ==, 2);
  g_assert_cmpint (sk_recommender_lookup (r, "zzz"), ==, -1);
}

static void
test_duplicate_id_refused (void)
{
  g_autoptr (SkRecommender) r = sk_recommender_new ();
  const double e[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_recommender_add_song (r, "x", e, NULL));
  g_assert_false (sk_recommender_add_song (r, "x", e, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
}

static void
test_unplayable_is_not_a_candidate (void)
{
  g_autoptr (SkRecommender) r = three_songs ();
  const double rain[SK_DIM] = { 1.0, 0.5, 0.5, 0.5, 0.5 };
  SkRankParams p = { .now = HOUR, .k = 5, .listeners = rain, .n_listeners = 1, .current = -1 };
  SkRankItem out[5];

  sk_recommender_set_playable (r, sk_recommender_lookup (r, "a"), FALSE);
  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 2);
  g_assert_cmpstr (sk_recommender_get_id (r, out[0].index), ==, "b");
  sk_recommender_set_playable (r, sk_recommender_lookup (r, "a"), TRUE);
  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 3);
  g_assert_cmpstr (sk_recommender_get_id (r, out[0].index), ==, "a");
}

static void
test_rank_leaves_state_unchanged (void)
{
  g_autoptr (SkRecommender) r = three_songs ();
  const double rain[SK_DIM] = { 1.0, 0.5, 0.5, 0.5, 0.5 };
  SkRankParams p = { .now = 2 * HOUR, .k = 5, .listeners = rain, .n_listeners = 1 };
  SkRankItem first[5], second[5];
  guint n1, n2;

  sk_recommender_set_last_played (r, sk_recommender_lookup (r, "a"), HOUR);
  p.current = sk_recommender_lookup (r, "b");
  n1 = sk_recommender_rank (r, &p, first);
  n2 = sk_recommender_rank (r, &p, second);
  g_assert_cmpuint (n1, ==, 2);
  g_assert_cmpuint (n1, ==, n2);
  for (guint i = 0; i < n1; i++)
    {
      g_assert_cmpuint (first[i].index, ==, second[i].index);
      g_assert_cmpfloat (first[i].score, ==, second[i].score);
    }
  /* one hour after its start the penalty is one half */
  g_assert_cmpstr (sk_recommender_get_id (r, first[0].index), ==, "a");
  g_assert_cmpfloat_with_epsilon (first[0].score, 1.0 - 0.5, 1e-12);

  /* with no current song, b is back */
  p.current = -1;
  g_assert_cmpuint (sk_recommender_rank (r, &p, first), ==, 3);
}

static void
test_later_play_counts (void)
{
  g_autoptr (SkRecommender) r = three_songs ();
  SkRankParams p = { .now = 3 * HOUR, .k = 5, .current = -1 };
  SkRankItem out[5];
  int a = sk_recommender_lookup (r, "a");

  sk_recommender_set_last_played (r, a, 2 * HOUR);
  sk_recommender_set_last_played (r, a, HOUR); /* older: ignored */
  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 3);
  g_assert_cmpstr (sk_recommender_get_id (r, out[2].index), ==, "a");
  g_assert_cmpfloat_with_epsilon (out[2].score, -0.5, 1e-12);
  sk_recommender_clear_history (r);
  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 3);
  g_assert_cmpstr (sk_recommender_get_id (r, out[0].index), ==, "a");
  g_assert_cmpfloat (out[0].score, ==, 0.0);
}

static void
test_empty_catalogue (void)
{
  g_autoptr (SkRecommender) r = sk_recommender_new ();
  SkRankParams p = { .now = 0, .k = 5, .current = -1 };
  SkRankItem out[5];

  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 0);
  sk_recommender_commit (r);
  g_assert_cmpuint (sk_recommender_rank (r, &p, out), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/recommender/penalty-halves-after-one-half-life", test_penalty_half_life);
  g_test_add_func ("/core/recommender/ids-are-sorted-and-looked-up", test_ids_sorted_and_looked_up);
  g_test_add_func ("/core/recommender/duplicate-id-is-refused", test_duplicate_id_refused);
  g_test_add_func ("/core/recommender/unplayable-song-is-no-candidate",
                   test_unplayable_is_not_a_candidate);
  g_test_add_func ("/core/recommender/rank-leaves-state-unchanged",
                   test_rank_leaves_state_unchanged);
  g_test_add_func ("/core/recommender/latest-start-sets-the-penalty", test_later_play_counts);
  g_test_add_func ("/core/recommender/empty-catalogue-gives-empty-queue", test_empty_catalogue);
  return g_test_run ();
}
