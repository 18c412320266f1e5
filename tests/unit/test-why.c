/* "Why this" and the crowd veto's sentence, pinned for crafted rooms: the
 * numbers come from the recommender (sk_recommender_explain, the parts of
 * the score docs/DESIGN.md defines), the sentence from sk_why_sentence. */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>

#include "sk-recommender.h"
#include "sk-test-util.h"
#include "sk-why.h"

#define HOUR (G_USEC_PER_SEC * (gint64) 3600)
#define NOW (1000 * HOUR)

/* rain, wind, fire, thunder, waves */
static const double rain_waves[SK_DIM] = { 0.9, 0.5, 0.2, 0.5, 0.8 };
static const double fire_song[SK_DIM] = { 0.5, 0.5, 0.95, 0.6, 0.5 };
static const double storm[SK_DIM] = { 0.8, 0.8, 0.5, 0.9, 0.5 };
static const double flat[SK_DIM] = { 0.5, 0.5, 0.5, 0.5, 0.5 };
static const double thunder_only[SK_DIM] = { 0.5, 0.5, 0.5, 0.95, 0.5 };

static const double likes_rain_waves[SK_DIM] = { 0.9, 0.5, 0.5, 0.5, 0.9 };
static const double likes_fire[SK_DIM] = { 0.5, 0.5, 0.9, 0.5, 0.5 };
static const double hates_thunder[SK_DIM] = { 0.6, 0.5, 0.5, 0.05, 0.5 };
static const double likes_storms[SK_DIM] = { 0.9, 0.9, 0.5, 0.9, 0.5 };

static SkRecommender *
library (void)
{
  SkRecommender *r = sk_recommender_new ();

  g_assert_true (sk_recommender_add_song (r, "1-rain-waves", rain_waves, NULL));
  g_assert_true (sk_recommender_add_song (r, "2-fire", fire_song, NULL));
  g_assert_true (sk_recommender_add_song (r, "3-storm", storm, NULL));
  g_assert_true (sk_recommender_add_song (r, "4-flat", flat, NULL));
  g_assert_true (sk_recommender_add_song (r, "5-thunder", thunder_only, NULL));
  sk_recommender_commit (r);
  return r;
}

/* The sentence for song @id with these listeners (@n rows of prefs). */
static char *
why (SkRecommender *r,
     const char *id,
     SkStrategy strategy,
     const double *const *prefs,
     guint n,
     gboolean explored)
{
  double listeners[8 * SK_DIM];
  SkRankParams params = { 0 };
  SkWhyParts parts;
  int index = sk_recommender_lookup (r, id);

  g_assert_cmpint (index, >=, 0);
  g_assert_cmpuint (n, <=, 8);
  for (guint i = 0; i < n; i++)
    memcpy (&listeners[i * SK_DIM], prefs[i], sizeof (double) * SK_DIM);
  params.now = NOW;
  params.strategy = strategy;
  params.k = 5;
  params.listeners = listeners;
  params.n_listeners = n;
  params.current = -1;
  sk_recommender_explain (r, &params, (guint) index, &parts);
  parts.explored = explored;
  return sk_why_sentence (&parts);
}

static void
assert_why (SkRecommender *r,
            const char *id,
            SkStrategy strategy,
            const double *const *prefs,
            guint n,
            const char *expected)
{
  g_autofree char *s = why (r, id, strategy, prefs, n, FALSE);

  g_assert_cmpstr (s, ==, expected);
}

static void
test_nobody_here (void)
{
  g_autoptr (SkRecommender) r = library ();

  assert_why (r, "1-rain-waves", SK_STRATEGY_AVERAGE, NULL, 0, SK_TEST_WHY_NOBODY);
  /* the strategy does not apply to an empty room */
  assert_why (r, "3-storm", SK_STRATEGY_LEAST_MISERY, NULL, 0, SK_TEST_WHY_NOBODY);
}

/* The dimensions named are those the room likes that carry most of the
 * similarity, largest first. */
static void
test_names_the_dimensions (void)
{
  g_autoptr (SkRecommender) r = library ();
  const double *three[] = { likes_rain_waves, likes_rain_waves, likes_rain_waves };
  const double *one[] = { likes_fire };
  const double *stormy[] = { likes_storms };

  assert_why (r, "1-rain-waves", SK_STRATEGY_AVERAGE, three, 3,
              "For the 3 listeners here, who like rain and waves");
  assert_why (r, "1-rain-waves", SK_STRATEGY_AVERAGE_WITHOUT_MISERY, three, 3,
              "For the 3 listeners here, who like rain and waves");
  assert_why (r, "2-fire", SK_STRATEGY_AVERAGE, one, 1, "For the listener here, who likes fire");
  /* thunder carries most, then rain and wind alike */
  assert_why (r, "3-storm", SK_STRATEGY_AVERAGE, stormy, 1,
              "For the listener here, who likes thunder, rain and wind");
  /* one listener: least misery is their own taste */
  assert_why (r, "2-fire", SK_STRATEGY_LEAST_MISERY, one, 1,
              "For the listener here, who likes fire");
}

/* A dimension the song has but the room dislikes is never "liked", and a
 * song the room only shares dislikes with names none. */
static void
test_only_liked_dimensions (void)
{
  g_autoptr (SkRecommender) r = library ();
  const double *two[] = { likes_fire, likes_rain_waves };
  const double *haters[] = { hates_thunder, hates_thunder };
  g_autofree char *s = why (r, "2-fire", SK_STRATEGY_AVERAGE, two, 2, FALSE);

  /* fire and the (small) thunder of the song: the room is indifferent to
   * thunder, so fire alone */
  g_assert_cmpstr (s, ==, "For the 2 listeners here, who like fire");
  /* the thunder song for two who hate thunder: nothing in the taste
   * speaks for it, and it never played */
  assert_why (r, "5-thunder", SK_STRATEGY_AVERAGE, haters, 2, "Not played here yet");
}

static void
test_least_misery (void)
{
  g_autoptr (SkRecommender) r = library ();
  const double *room[] = { likes_storms, hates_thunder };

  assert_why (r, "1-rain-waves", SK_STRATEGY_LEAST_MISERY, room, 2,
              "Keeps everyone above their dislikes");
  assert_why (r, "5-thunder", SK_STRATEGY_LEAST_MISERY, room, 2,
              "The least disliked by everyone here");
}

/* With nothing in the taste for it, the time since it was heard. */
static void
test_not_heard_for (void)
{
  g_autoptr (SkRecommender) r = library ();
  const double *neutral[] = { flat, flat };
  int i = sk_recommender_lookup (r, "4-flat");

  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 2, "Not played here yet");
  sk_recommender_set_last_played (r, (guint) i, NOW - 2 * HOUR - 600 * G_USEC_PER_SEC);
  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 2, "Not heard for 2 hours");
  sk_recommender_clear_history (r);
  sk_recommender_set_last_played (r, (guint) i, NOW - HOUR);
  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 2, "Not heard for 1 hour");
  sk_recommender_clear_history (r);
  sk_recommender_set_last_played (r, (guint) i, NOW - 75 * HOUR);
  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 2, "Not heard for 3 days");
  /* heard within the hour: just the room */
  sk_recommender_clear_history (r);
  sk_recommender_set_last_played (r, (guint) i, NOW - HOUR / 4);
  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 2, "For the 2 listeners here");
  assert_why (r, "4-flat", SK_STRATEGY_AVERAGE, neutral, 1, "For the listener here");
}

/* The exploration bonus: its value comes out of explain, and a song that
 * is in the queue only by it is "something new". */
static void
test_exploration (void)
{
  g_autoptr (SkRecommender) r = library ();
  const double *one[] = { likes_fire };
  const double *three[] = { likes_fire, likes_fire, likes_fire };
  double explore[SK_DIM * SK_DIM] = { 0 };
  double listeners[SK_DIM];
  SkRankParams params = { 0 };
  SkWhyParts parts;
  g_autofree char *s1 = why (r, "3-storm", SK_STRATEGY_AVERAGE, one, 1, TRUE);
  g_autofree char *s3 = why (r, "3-storm", SK_STRATEGY_AVERAGE, three, 3, TRUE);

  g_assert_cmpstr (s1, ==, "Something new: it teaches the kiosk more of your taste");
  g_assert_cmpstr (s3, ==, "Something new: it teaches the kiosk more of the 3 tastes here");

  /* B(e) = Êᵀ X Ê: with X = 0.5·I, 0.5 for any song with a direction */
  for (guint d = 0; d < SK_DIM; d++)
    explore[d * SK_DIM + d] = 0.5;
  memcpy (listeners, likes_fire, sizeof listeners);
  params.now = NOW;
  params.k = 5;
  params.listeners = listeners;
  params.n_listeners = 1;
  params.current = -1;
  params.explore = explore;
  sk_recommender_explain (r, &params, (guint) sk_recommender_lookup (r, "3-storm"), &parts);
  g_assert_cmpfloat_with_epsilon (parts.bonus, 0.5, 1e-12);
  g_assert_false (parts.explored);
  g_assert_cmpint (parts.since_played, ==, -1);
}

/* The parts add up to the score the ranking gives. */
static void
test_parts_make_the_score (void)
{
  g_autoptr (SkRecommender) r = library ();
  double listeners[2 * SK_DIM];
  double explore[SK_DIM * SK_DIM] = { 0 };
  SkRankParams params = { 0 };
  SkRankItem out[5];
  SkStrategy strategies[] = { SK_STRATEGY_AVERAGE, SK_STRATEGY_LEAST_MISERY };
  guint n;

  memcpy (listeners, likes_storms, sizeof (double) * SK_DIM);
  memcpy (&listeners[SK_DIM], hates_thunder, sizeof (double) * SK_DIM);
  for (guint d = 0; d < SK_DIM; d++)
    explore[d * SK_DIM + d] = 0.2 + 0.1 * d;
  sk_recommender_set_last_played (r, 0, NOW - HOUR);
  params.now = NOW;
  params.k = 5;
  params.listeners = listeners;
  params.n_listeners = 2;
  params.current = -1;
  params.explore = explore;
  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
    {
      params.strategy = strategies[s];
      n = sk_recommender_rank (r, &params, out);
      g_assert_cmpuint (n, ==, 5);
      for (guint i = 0; i < n; i++)
        {
          SkWhyParts parts;

          sk_recommender_explain (r, &params, out[i].index, &parts);
          g_assert_cmpfloat_with_epsilon (parts.similarity - parts.penalty + parts.bonus,
                                          out[i].score, 1e-12);
        }
    }
}

static void
test_veto_sentence (void)
{
  g_autofree char *two = sk_why_veto ("Thunderstorm", 2, 2);
  g_autofree char *five = sk_why_veto ("Ocean Waves", 3, 5);

  g_assert_cmpstr (two, ==,
                   "Skipped “Thunderstorm”: 2 of the 2 listeners here rated it 2 or lower");
  g_assert_cmpstr (five, ==,
                   "Skipped “Ocean Waves”: 3 of the 5 listeners here rated it 2 or lower");
}

static void
test_dimension_names (void)
{
  const char *expected[SK_DIM] = { "rain", "wind", "fire", "thunder", "waves" };

  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpstr (sk_why_dimension_name (d), ==, expected[d]);
}

int
main (int argc, char **argv)
{
  /* the sentences are pinned in the untranslated language */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/why/nobody-here", test_nobody_here);
  g_test_add_func ("/why/names-the-dimensions", test_names_the_dimensions);
  g_test_add_func ("/why/only-liked-dimensions", test_only_liked_dimensions);
  g_test_add_func ("/why/least-misery", test_least_misery);
  g_test_add_func ("/why/not-heard-for", test_not_heard_for);
  g_test_add_func ("/why/exploration", test_exploration);
  g_test_add_func ("/why/parts-make-the-score", test_parts_make_the_score);
  g_test_add_func ("/why/veto-sentence", test_veto_sentence);
  g_test_add_func ("/why/dimension-names", test_dimension_names);
  return g_test_run ();
}
