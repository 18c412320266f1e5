/* The engine with the learner (docs/DESIGN.md, "The learner"): a database
 * from before the learner migrates and learns on, a vote stores the state,
 * and the exploration bonus and its setting shape the queue. */
#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "sk-settings.h"
#include "sk-store-schema.h"
#include "sk-taste.h"
#include "sk-test-util.h"
#include "sk-util.h"

#define T0 ((gint64) 1714557600 * G_USEC_PER_SEC) /* 2024-05-01 10:00:00 UTC */

static const double RAIN[SK_DIM] = { 0.95, 0.40, 0.15, 0.45, 0.60 };

/* The profile's stored preference and learner state. */
static void
read_profile (SkStore *store, const char *id, double pref[SK_DIM], char **state_text)
{
  sqlite3_stmt *stmt = sk_store_prepare (store,
                                         "SELECT preference_vector, taste_state "
                                         "FROM profiles WHERE id = ?1",
                                         NULL);

  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
  g_assert_true (sk_vec_parse (sk_store_column_text (stmt, 0), pref, NULL));
  *state_text = g_strdup (sk_store_column_text (stmt, 1));
  sqlite3_reset (stmt);
}

/* A database written by schema 1 (the shipped migration, nothing after
 * it), with listeners from before the learner: two with a taste, one
 * whose stored taste is damaged. */
static void
make_schema_1_database (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sk_test_sqlite_exec (db, sk_store_migrations[0]);
  sk_test_sqlite_exec (db, "PRAGMA user_version = 1");
  sk_test_sqlite_exec (db,
                       "INSERT INTO profiles (id, name, display_name, preference_vector, taste_momentum, "
                       "                      created_at, updated_at) VALUES "
                       "('p-rain', 'Rain', 'Rain', '[0.95,0.4,0.15,0.45,0.6]', '[0.01,0,-0.02,0,0]', "
                       "  '2024-04-01T10:00:00.000000Z', '2024-04-01T10:00:00.000000Z'),"
                       "('p-fire', 'Fire', 'Fire', '[0.1,0.4,0.95,0.3,0.2]', '[0,0,0,0,0]', "
                       "  '2024-04-01T10:00:00.000000Z', '2024-04-01T10:00:00.000000Z'),"
                       "('p-bad', 'Bad', 'Bad', 'not a vector', '[0,0,0,0,0]', "
                       "  '2024-04-01T10:00:00.000000Z', '2024-04-01T10:00:00.000000Z');"
                       "INSERT INTO badges (uid, user_id, created_at) VALUES "
                       "('04A1B2C3', 'p-rain', '2024-04-01T10:00:00.000000Z');");
  sqlite3_close (db);
}

static void
test_old_database_learns_on (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);
  static const struct
  {
    const char *id;
    double pref[SK_DIM];
  } before[] = {
    { "p-rain", { 0.95, 0.4, 0.15, 0.45, 0.6 } },
    { "p-fire", { 0.1, 0.4, 0.95, 0.3, 0.2 } },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *state_text = NULL;
  g_autofree char *song = NULL;
  SkTestClock clock = { T0 };
  SkEngine *engine;
  SkStore *store;
  SkTapResult r = { 0 };
  double pref[SK_DIM], state[SK_TASTE_STATE_LEN], expect[SK_TASTE_STATE_LEN];
  double expect_pref[SK_DIM];

  make_schema_1_database (path);
  engine = sk_test_engine_new (dir, &clock); /* opens and migrates */
  store = sk_engine_get_store (engine);
  g_assert_cmpint (sk_store_get_schema_version (store), ==, sk_store_get_latest_schema_version ());

  /* every profile has a state, from its preference */
  g_assert_cmpint (sk_test_query_int (store,
                                      "SELECT count(*) FROM profiles WHERE taste_state IS NULL"),
                   ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (before); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *want = NULL;

      read_profile (store, before[i].id, pref, &text);
      sk_taste_state_from_preference (before[i].pref, expect);
      want = sk_taste_state_format (expect);
      g_assert_cmpstr (text, ==, want);
      /* and the learner reads the same taste back from it */
      g_assert_true (sk_numbers_parse (text, state, SK_TASTE_STATE_LEN, &error));
      g_assert_no_error (error);
      g_assert_true (sk_taste_state_preference (state, pref));
      for (guint d = 0; d < SK_DIM; d++)
        g_assert_cmpfloat_with_epsilon (pref[d], before[i].pref[d], 1e-15);
    }
  {
    /* a damaged taste gets a new listener's state, and loses nothing else */
    g_autofree char *text = NULL;
    g_autofree char *want = NULL;
    sqlite3_stmt *stmt = sk_store_prepare (store,
                                           "SELECT taste_state, preference_vector FROM profiles "
                                           "WHERE id = 'p-bad'",
                                           NULL);

    g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
    text = g_strdup (sk_store_column_text (stmt, 0));
    g_assert_cmpstr (sk_store_column_text (stmt, 1), ==, "not a vector");
    sqlite3_reset (stmt);
    sk_taste_state_new (expect);
    want = sk_taste_state_format (expect);
    g_assert_cmpstr (text, ==, want);
  }

  /* the listener taps, rates what plays, and the learner continues from
   * the migrated state */
  sk_test_add_songs (engine, sk_test_evening_songs, SK_TEST_N_EVENING_SONGS);
  g_assert_true (sk_engine_tap (engine, "04A1B2C3", &r, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (r.user_id, ==, "p-rain");
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (engine, &song, &error));
  g_assert_no_error (error);
  g_assert_true (sk_engine_vote (engine, "p-rain", 1, &error));
  g_assert_no_error (error);

  sk_taste_state_from_preference (before[0].pref, expect);
  memcpy (expect_pref, before[0].pref, sizeof expect_pref);
  g_assert_true (
      sk_taste_learn (expect, expect_pref,
                      sk_recommender_get_embedding (sk_engine_get_recommender (engine),
                                                    sk_recommender_lookup (sk_engine_get_recommender (
                                                                               engine),
                                                                           song)),
                      1));
  read_profile (store, "p-rain", pref, &state_text);
  g_assert_true (sk_numbers_parse (state_text, state, SK_TASTE_STATE_LEN, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < SK_TASTE_STATE_LEN; i++)
    g_assert_cmpfloat (state[i], ==, expect[i]);
  for (guint d = 0; d < SK_DIM; d++)
    g_assert_cmpfloat (pref[d], ==, expect_pref[d]);
  g_assert_cmpfloat (sk_taste_similarity (pref, before[0].pref), <, 1.0 - 1e-6);
  /* the outbox carries the state with the profile */
  g_assert_cmpint (sk_test_query_int (store,
                                      "SELECT count(*) FROM outbox WHERE kind = 'profile' "
                                      "AND json_extract(payload, '$.taste_state') IS NOT NULL"),
                   ==, 1);

  g_object_unref (engine);
  sk_test_rmdir (dir);
}

/* An engine on a fresh database in @dir with the library above and
 * explore_weight set to @weight (NULL: the default). */
static SkEngine *
engine_with_weight (const char *dir, SkTestClock *clock, const char *weight)
{
  SkEngine *engine = sk_test_engine_new (dir, clock);

  if (weight != NULL)
    {
      g_assert_true (
          sk_settings_set (sk_engine_get_store (engine), "explore_weight", weight, NULL));
      g_object_unref (engine); /* the engine reads its settings when made */
      engine = sk_test_engine_new (dir, clock);
    }
  sk_test_add_songs (engine, sk_test_evening_songs, SK_TEST_N_EVENING_SONGS);
  return engine;
}

/* The queue's song ids, best first, for a rain lover who just tapped in. */
static char *
queue_for_rain_lover (const char *weight)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  SkTestClock clock = { T0 };
  SkEngine *engine = engine_with_weight (dir, &clock, weight);
  SkTapResult r = { 0 };
  const SkQueueEntry *q;
  GString *out = g_string_new (NULL);
  guint n;

  id = sk_engine_enroll (engine, "04A1B2C3", "Rain Lover", NULL, RAIN, &error);
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (engine, "04A1B2C3", &r, &error));
  g_assert_no_error (error);
  sk_tap_result_clear (&r);
  q = sk_engine_get_queue (engine, &n);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "", q[i].song_id);
  g_object_unref (engine);
  sk_test_rmdir (dir);
  return g_string_free (out, FALSE);
}

static void
test_explore_weight_shapes_the_queue (void)
{
  g_autofree char *plain = queue_for_rain_lover ("0");
  g_autofree char *by_default = queue_for_rain_lover (NULL);
  g_autofree char *strong = queue_for_rain_lover ("3");

  g_test_message ("plain: %s; default: %s; 3: %s", plain, by_default, strong);
  /* without exploration the taste's own song leads */
  g_assert_true (g_str_has_prefix (plain, "s-rain "));
  /* with it (the default), a song that teaches more about the taste than
   * its own does: the learner knows little yet, least about what is far
   * from rain */
  g_assert_false (g_str_has_prefix (by_default, "s-rain "));
  g_assert_cmpstr (by_default, !=, plain);
  g_assert_false (g_str_has_prefix (strong, "s-rain "));
}

static void
test_explore_weight_is_a_setting (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);

  store = sk_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (sk_settings_get_double (store, "explore_weight"), ==, 1.5);
  g_assert_false (sk_settings_set (store, "explore_weight", "3.5", &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sk_settings_set (store, "explore_weight", "-1", &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (sk_settings_set (store, "explore_weight", "0.7", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (sk_settings_get_double (store, "explore_weight"), ==, 0.7);
  g_clear_pointer (&store, sk_store_unref);
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/learner/database-from-before-migrates-and-learns-on",
                   test_old_database_learns_on);
  g_test_add_func ("/core/learner/explore-weight-shapes-the-queue",
                   test_explore_weight_shapes_the_queue);
  g_test_add_func ("/core/learner/explore-weight-is-a-setting", test_explore_weight_is_a_setting);
  return g_test_run ();
}
