/* The taste arithmetic of DESIGN.md's definition, one behaviour a test. */
#include "config.h"

#include <math.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/taste/seed-example-scores-0.8643", test_seed_example);
  g_test_add_func ("/core/taste/no-opinion-is-similarity-zero", test_no_opinion_is_zero);
  g_test_add_func ("/core/taste/opposites-are-minus-one", test_opposites);
  g_test_add_func ("/core/taste/vote-5-moves-towards-the-song", test_vote_moves_towards_loved_song);
  g_test_add_func ("/core/taste/vote-1-moves-away-from-the-song", test_vote_moves_away_from_hated_song);
  g_test_add_func ("/core/taste/vote-from-no-opinion-steps-along-the-song", test_vote_from_no_opinion);
  g_test_add_func ("/core/taste/vote-stays-in-the-unit-box", test_vote_stays_in_unit_box);
  g_test_add_func ("/core/taste/vote-refuses-bad-input", test_vote_refuses_bad_input);
  g_test_add_func ("/core/taste/mean-of-listeners", test_mean);
  return g_test_run ();
}
