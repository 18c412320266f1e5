/* The taste arithmetic of docs/DESIGN.md's definition, one behaviour a test. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-taste.h"

static void
test_seed_example (void)
{
  const double u[SK_DIM] = { 0.9, 0.1, 0.4, 0.2, 0.8 };
  const double v[SK_DIM] = { 0.8, 0.2, 0.1, 0.3, 0.7 };

  g_assert_cmpfloat_with_epsilon (sk_taste_similarity (u, v), 0.8643, 1e-4);
}

static void
test_no_opinion_is_zero (void)
{
  const double neutral[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  const double v[SK_DIM] = { 0.8, 0.2, 0.1, 0.3, 0.7 };

  g_assert_cmpfloat (sk_taste_similarity (neutral, v), ==, 0.0);
  g_assert_cmpfloat (sk_taste_similarity (v, neutral), ==, 0.0);
}

static void
test_opposites (void)
{
  const double u[SK_DIM] = { 0.9, 0.1, 0.9, 0.1, 0.9 };
  const double v[SK_DIM] = { 0.1, 0.9, 0.1, 0.9, 0.1 };

  g_assert_cmpfloat_with_epsilon (sk_taste_similarity (u, v), -1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (sk_taste_similarity (u, u), 1.0, 1e-12);
}

static void
test_vote_moves_towards_loved_song (void)
{
  double p[SK_DIM] = { 0.6, 0.4, 0.5, 0.5, 0.5 };
  double m[SK_DIM] = { 0 };
  const double e[SK_DIM] = { 0.9, 0.2, 0.3, 0.5, 0.8 };
  double before = sk_taste_similarity (p, e);

  g_assert_true (sk_taste_vote (p, m, e, 5));
  g_assert_cmpfloat (sk_taste_similarity (p, e), >, before);
}

static void
test_vote_moves_away_from_hated_song (void)
{
  double p[SK_DIM] = { 0.6, 0.4, 0.5, 0.5, 0.6 };
  double m[SK_DIM] = { 0 };
  const double e[SK_DIM] = { 0.9, 0.2, 0.3, 0.5, 0.8 };
  double before = sk_taste_similarity (p, e);

  g_assert_true (sk_taste_vote (p, m, e, 1));
  g_assert_cmpfloat (sk_taste_similarity (p, e), <, before);
}

static void
test_vote_from_no_opinion (void)
{
  double p[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  double m[SK_DIM] = { 0 };
  const double e[SK_DIM] = { 1.0, 0.5, 0.5, 0.5, 0.5 };

  g_assert_true (sk_taste_vote (p, m, e, 5));
  g_assert_cmpfloat_with_epsilon (p[0], 0.5 + 0.12, 1e-12);
  g_assert_cmpfloat (m[0], ==, 0.0);
}

static void
test_vote_stays_in_unit_box (void)
{
  double p[SK_DIM] = { 0.99, 0.01, 0.99, 0.01, 0.99 };
  double m[SK_DIM] = { -5, 5, -5, 5, -5 };
  const double e[SK_DIM] = { 1, 0, 1, 0, 1 };

  g_assert_true (sk_taste_vote (p, m, e, 5));
  for (guint d = 0; d < SK_DIM; d++)
    {
      g_assert_cmpfloat (p[d], >=, 0.0);
      g_assert_cmpfloat (p[d], <=, 1.0);
    }
}

static void
test_vote_refuses_bad_input (void)
{
  double p[SK_DIM] = { 0.6, 0.4, 0.5, 0.5, 0.5 };
  double m[SK_DIM] = { 0 };
  double e[SK_DIM] = { 0.9, 0.2, 0.3, 0.5, 0.8 };
  const double p0 = p[0];

  g_assert_false (sk_taste_vote (p, m, e, 0));
  g_assert_false (sk_taste_vote (p, m, e, 6));
  e[2] = NAN;
  g_assert_false (sk_taste_vote (p, m, e, 4));
  g_assert_cmpfloat (p[0], ==, p0);
}

static void
test_mean (void)
{
  const double prefs[2 * SK_DIM] = { 0.2, 0.4, 0.6, 0.8, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0 };
  double out[SK_DIM];

  sk_taste_mean (prefs, 2, out);
  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpfloat_with_epsilon (out[d], 0.5, 1e-12);
  sk_taste_mean (prefs, 0, out);
  g_assert_cmpfloat (out[0], ==, 0.5);
}

/* --- the learner --------------------------------------------------------- */

static void
test_learner_new_listener (void)
{
  double state[SK_TASTE_STATE_LEN], p[SK_DIM], m[SK_DIM * SK_DIM];

  sk_taste_state_new (state);
  g_assert_true (sk_taste_state_valid (state));
  g_assert_true (sk_taste_state_preference (state, p));
  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpfloat (p[d], ==, 0.5);
  /* the prior's covariance is 1/λ on every taste dimension, in every direction */
  g_assert_true (sk_taste_explore_matrix (state, m));
  for (guint i = 0; i < SK_DIM; i++)
    for (guint j = 0; j < SK_DIM; j++)
      g_assert_cmpfloat_with_epsilon (m[i * SK_DIM + j], i == j ? 1.0 / SK_LEARN_LAMBDA : 0.0,
                                      1e-12);
}

static void
test_learner_starts_from_preference (void)
{
  const double p0[SK_DIM] = { 0.9, 0.1, 0.4, 0.2, 0.8 };
  double state[SK_TASTE_STATE_LEN], p[SK_DIM];

  sk_taste_state_from_preference (p0, state);
  g_assert_true (sk_taste_state_preference (state, p));
  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpfloat_with_epsilon (p[d], p0[d], 1e-15);
}

static void
test_learner_learns_a_loved_song (void)
{
  double state[SK_TASTE_STATE_LEN], p[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  const double e[SK_DIM] = { 0.9, 0.2, 0.3, 0.5, 0.8 };
  const double other[SK_DIM] = { 0.2, 0.8, 0.7, 0.5, 0.3 };

  sk_taste_state_new (state);
  g_assert_true (sk_taste_learn (state, p, e, 5));
  g_assert_true (sk_taste_learn (state, p, other, 1));
  g_assert_cmpfloat (sk_taste_similarity (p, e), >, 0.95);
}

static void
test_learner_no_character_song (void)
{
  double state[SK_TASTE_STATE_LEN], before[SK_TASTE_STATE_LEN];
  double p[SK_DIM] = { 0.7, 0.4, 0.5, 0.6, 0.3 };
  const double neutral[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };

  sk_taste_state_from_preference (p, state);
  memcpy (before, state, sizeof state);
  g_assert_true (sk_taste_learn (state, p, neutral, 1));
  g_assert_cmpmem (state, sizeof state, before, sizeof before);
  g_assert_cmpfloat (p[0], ==, 0.7);
}

static void
test_learner_all_fives_stay_near_no_opinion (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  double state[SK_TASTE_STATE_LEN], p[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };

  sk_taste_state_new (state);
  for (guint v = 0; v < 100; v++)
    {
      double e[SK_DIM];

      for (guint d = 0; d < SK_DIM; d++)
        e[d] = g_rand_double (rand);
      g_assert_true (sk_taste_learn (state, p, e, 5));
    }
  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpfloat (fabs (p[d] - 0.5), <, 0.1);
  g_assert_true (sk_taste_state_valid (state));
}

static void
test_learner_refuses_bad_input (void)
{
  double state[SK_TASTE_STATE_LEN], before[SK_TASTE_STATE_LEN];
  double p[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  double e[SK_DIM] = { 0.9, 0.2, 0.3, 0.5, 0.8 };

  sk_taste_state_new (state);
  memcpy (before, state, sizeof state);
  g_assert_false (sk_taste_learn (state, p, e, 0));
  g_assert_false (sk_taste_learn (state, p, e, 6));
  e[1] = NAN;
  g_assert_false (sk_taste_learn (state, p, e, 4));
  g_assert_cmpmem (state, sizeof state, before, sizeof before);

  e[1] = 0.2;
  state[6] = -0.5; /* A[1][1]: not positive definite */
  g_assert_false (sk_taste_state_valid (state));
  g_assert_false (sk_taste_learn (state, p, e, 4));
  g_assert_cmpfloat (state[6], ==, -0.5);
  sk_taste_state_new (state);
  state[SK_TASTE_STATE_LEN - 1] = 0.0; /* s2 must be positive */
  g_assert_false (sk_taste_state_valid (state));
}

static void
test_learner_explores_away_from_what_it_knows (void)
{
  double state[SK_TASTE_STATE_LEN], m[SK_DIM * SK_DIM], x[SK_DIM * SK_DIM];
  double p[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
  const double rain[SK_DIM] = { 1.0, 0.5, 0.5, 0.5, 0.5 };
  const double fire[SK_DIM] = { 0.5, 0.5, 1.0, 0.5, 0.5 };
  const double wind[SK_DIM] = { 0.5, 1.0, 0.5, 0.5, 0.5 };

  sk_taste_state_new (state);
  for (guint v = 0; v < 4; v++)
    {
      g_assert_true (sk_taste_learn (state, p, rain, 5));
      g_assert_true (sk_taste_learn (state, p, fire, 3));
    }
  g_assert_true (sk_taste_explore_matrix (state, m));
  /* the learned direction (p − 0.5) is projected out: M (p − 0.5) = 0 */
  for (guint i = 0; i < SK_DIM; i++)
    {
      double t = 0.0;

      for (guint j = 0; j < SK_DIM; j++)
        t += m[i * SK_DIM + j] * (p[j] - 0.5);
      g_assert_cmpfloat (fabs (t), <, 1e-12);
    }
  /* fire has been asked about, wind never: wind is what there is to learn */
  g_assert_cmpfloat (m[2 * SK_DIM + 2], <, m[1 * SK_DIM + 1]);
  g_assert_true (sk_taste_learn (state, p, wind, 4));

  /* the blend: weight × the mean; no weight or no state, no bonus */
  g_assert_true (sk_taste_explore_blend (state, 1, 1.5, x));
  g_assert_true (sk_taste_explore_matrix (state, m));
  for (guint i = 0; i < SK_DIM * SK_DIM; i++)
    g_assert_cmpfloat_with_epsilon (x[i], 1.5 * m[i], 1e-12);
  g_assert_false (sk_taste_explore_blend (state, 1, 0.0, x));
  g_assert_false (sk_taste_explore_blend (state, 0, 1.5, x));
  g_assert_cmpfloat (x[0], ==, 0.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/taste/seed-example-scores-0.8643", test_seed_example);
  g_test_add_func ("/core/taste/no-opinion-is-similarity-zero", test_no_opinion_is_zero);
  g_test_add_func ("/core/taste/opposites-are-minus-one", test_opposites);
  g_test_add_func ("/core/taste/vote-5-moves-towards-the-song", test_vote_moves_towards_loved_song);
  g_test_add_func ("/core/taste/vote-1-moves-away-from-the-song",
                   test_vote_moves_away_from_hated_song);
  g_test_add_func ("/core/taste/vote-from-no-opinion-steps-along-the-song",
                   test_vote_from_no_opinion);
  g_test_add_func ("/core/taste/vote-stays-in-the-unit-box", test_vote_stays_in_unit_box);
  g_test_add_func ("/core/taste/vote-refuses-bad-input", test_vote_refuses_bad_input);
  g_test_add_func ("/core/taste/mean-of-listeners", test_mean);
  g_test_add_func ("/core/learner/new-listener-is-the-prior", test_learner_new_listener);
  g_test_add_func ("/core/learner/starts-from-a-preference", test_learner_starts_from_preference);
  g_test_add_func ("/core/learner/learns-a-loved-song", test_learner_learns_a_loved_song);
  g_test_add_func ("/core/learner/no-character-song-changes-nothing",
                   test_learner_no_character_song);
  g_test_add_func ("/core/learner/all-fives-stay-near-no-opinion",
                   test_learner_all_fives_stay_near_no_opinion);
  g_test_add_func ("/core/learner/refuses-bad-input", test_learner_refuses_bad_input);
  g_test_add_func ("/core/learner/explores-away-from-what-it-knows",
                   test_learner_explores_away_from_what_it_knows);
  return g_test_run ();
}
