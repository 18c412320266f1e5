/* SkEngine: taps, sessions, votes and track starts against a real SQLite
 * database in a scratch directory, on a clock the test moves. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-demo.h"
#include "sk-settings.h"
#include "sk-test-util.h"
#include "sk-util.h"

#define T0 ((gint64) 1714557600 * G_USEC_PER_SEC) /* 2024-05-01 10:00:00 UTC */
#define SEC ((gint64) G_USEC_PER_SEC)

static const double RAIN[SK_DIM] = { 0.95, 0.40, 0.15, 0.45, 0.60 };
static const double FIRE[SK_DIM] = { 0.10, 0.40, 0.95, 0.30, 0.20 };

typedef struct
{
  char *dir;
  SkTestClock clock;
  SkEngine *engine;
  SkStore *store;
  SkTestEngineCounts counts;
  char *last_unknown;
  char *last_refused; /* "UID reason" */
} Fixture;

static void
on_tap_refused (SkEngine *engine, const char *uid, const char *reason, Fixture *f)
{
  g_free (f->last_refused);
  f->last_refused = g_strdup_printf ("%s %s", uid, reason);
}

static void
on_unknown (SkEngine *engine, const char *uid, Fixture *f)
{
  g_free (f->last_unknown);
  f->last_unknown = g_strdup (uid);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = sk_test_mkdtemp ();
  f->clock.now = T0;
  f->engine = sk_test_engine_new (f->dir, &f->clock);
  f->store = sk_engine_get_store (f->engine);
  sk_test_add_songs (f->engine, sk_test_evening_songs, SK_TEST_N_EVENING_SONGS);
  /* the plain ranking of the definition, so that a taste's own songs come
   * first; the exploration bonus has tests of its own (explore_*) */
  g_assert_true (sk_settings_set (f->store, "explore_weight", "0", NULL));
  g_clear_object (&f->engine); /* the engine reads its settings when made */
  f->engine = sk_test_engine_new (f->dir, &f->clock);
  f->store = sk_engine_get_store (f->engine);
  sk_test_count_engine (f->engine, &f->counts);
  g_signal_connect (f->engine, "unknown-badge", G_CALLBACK (on_unknown), f);
  g_signal_connect (f->engine, "tap-refused", G_CALLBACK (on_tap_refused), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->engine);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->last_unknown);
  g_free (f->last_refused);
}

static int
count (Fixture *f, const char *sql)
{
  return sk_test_query_int (f->store, sql);
}

static char *
enroll (Fixture *f, const char *uid, const char *name, const char *role, const double *taste)
{
  g_autoptr (GError) error = NULL;
  char *id = sk_engine_enroll (f->engine, uid, name, role, taste, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

/* enroll, for a test that goes by the badge and needs no id */
static void
enroll_badge (Fixture *f, const char *uid, const char *name, const char *role, const double *taste)
{
  g_free (enroll (f, uid, name, role, taste));
}

static void
tap_ok (Fixture *f, const char *uid, SkTapKind kind, SkTapResult *out)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_engine_tap (f->engine, uid, out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out->kind, ==, kind);
}

static void
test_unknown_badge (Fixture *f, gconstpointer data)
{
  SkTapResult r;

  tap_ok (f, "04:aa:bb:cc", SK_TAP_UNKNOWN, &r);
  g_assert_cmpstr (r.uid, ==, "04AABBCC");
  g_assert_null (r.user_id);
  g_assert_cmpstr (f->last_unknown, ==, "04AABBCC");
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 0);
  sk_tap_result_clear (&r);
}

static void
test_odd_uid_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  g_assert_false (sk_engine_tap (f->engine, "04AABB", &r, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 0);
}

static void
test_check_in_for_an_hour (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  SkTapResult r;

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  g_assert_cmpstr (r.user_id, ==, id);
  g_assert_cmpstr (r.display_name, ==, "Rain Lover");
  g_assert_false (r.extended);
  g_assert_cmpint (r.expires_at, ==, T0 + 3600 * SEC);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM outbox WHERE kind = 'session'"), ==, 1);
  sk_tap_result_clear (&r);
}

static void
test_retap_extends (Fixture *f, gconstpointer data)
{
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  f->clock.now += 40 * 60 * SEC;
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  g_assert_true (r.extended);
  g_assert_cmpint (r.expires_at, ==, f->clock.now + 3600 * SEC);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 1);
  sk_tap_result_clear (&r);
}

static void
test_expiry_to_the_second (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);

  f->clock.now = T0 + 3599 * SEC;
  g_assert_true (sk_engine_refresh (f->engine, &error));
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 1);
  g_assert_cmpuint (f->counts.checked_out, ==, 0);

  f->clock.now = T0 + 3600 * SEC;
  g_assert_true (sk_engine_refresh (f->engine, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 0);
  g_assert_cmpuint (f->counts.checked_out, ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 0);

  /* a tap after expiry is a new visit */
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  g_assert_false (r.extended);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 2);
  sk_tap_result_clear (&r);
}

static void
test_check_out (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_check_out (f->engine, id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 0);
  g_assert_false (sk_engine_check_out (f->engine, id, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_CHECKED_IN);
}

static void
test_check_in_elsewhere_moves (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkEngine) other = NULL;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);

  /* a second player on the same database */
  g_assert_true (sk_store_set_setting (f->store, "player_id", "second-player", &error));
  other = sk_engine_new (f->store, &error);
  g_assert_no_error (error);
  sk_engine_set_clock (other, sk_test_clock_read, &f->clock);
  g_assert_cmpstr (sk_engine_get_player_id (other), !=, sk_engine_get_player_id (f->engine));
  g_assert_true (sk_engine_tap (other, "04A1B2C3", &r, &error));
  g_assert_no_error (error);
  sk_tap_result_clear (&r);

  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
  g_assert_true (sk_engine_refresh (f->engine, &error));
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 0);
  g_assert_cmpuint (sk_engine_get_n_present (other), ==, 1);
}

static void
test_revoked_badge (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_assert_true (sk_store_exec (f->store,
                                "UPDATE badges SET revoked_at = '2024-04-01T00:00:00.000000Z'",
                                &error));
  g_assert_false (sk_engine_tap (f->engine, "04A1B2C3", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 0);
  g_assert_cmpuint (f->counts.refused, ==, 1);
  g_assert_cmpstr (f->last_refused, ==, "04A1B2C3 revoked");
  g_assert_cmpuint (f->counts.checked_in, ==, 0);
}

static void
test_manager_badge (Fixture *f, gconstpointer data)
{
  g_autofree char *owner = NULL;
  g_autofree char *sql = NULL;
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  enroll_badge (f, "04ADA1E5", "Mia", "manager", NULL);
  owner = enroll (f, "04000001", "Olu", NULL, NULL);
  tap_ok (f, "04ADA1E5", SK_TAP_MANAGER, &r);
  sk_tap_result_clear (&r);
  tap_ok (f, "04000001", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  /* the player's manager_id makes a manager too */
  sql = g_strdup_printf ("UPDATE players SET manager_id = '%s'", owner);
  g_assert_true (sk_store_exec (f->store, sql, &error));
  tap_ok (f, "04000001", SK_TAP_MANAGER, &r);
  sk_tap_result_clear (&r);
}

static void
test_admin_badge (Fixture *f, gconstpointer data)
{
  SkTapResult r;

  enroll_badge (f, "04AD0001", "Ada", "admin", NULL);
  tap_ok (f, "04AD0001", SK_TAP_MANAGER, &r);
  sk_tap_result_clear (&r);
}

static void
test_throttle (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  /* six taps in six seconds: the default limit */
  for (int i = 0; i < 6; i++)
    {
      f->clock.now = T0 + i * SEC;
      tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
      sk_tap_result_clear (&r);
    }
  g_assert_cmpuint (f->counts.checked_in, ==, 6);

  /* the seventh within the minute is refused, and says when to come back */
  f->clock.now = T0 + 30 * SEC;
  g_assert_false (sk_engine_tap (f->engine, "04:a1:b2:c3", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED);
  g_assert_nonnull (strstr (error->message, "30 s"));
  g_clear_error (&error);
  g_assert_cmpuint (f->counts.refused, ==, 1);
  g_assert_cmpstr (f->last_refused, ==, "04A1B2C3 throttled");
  g_assert_cmpuint (f->counts.checked_in, ==, 6);

  /* refused taps do not count; another badge is not affected */
  f->clock.now = T0 + 59 * SEC;
  g_assert_false (sk_engine_tap (f->engine, "04A1B2C3", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED);
  g_clear_error (&error);
  tap_ok (f, "04FFFF01", SK_TAP_UNKNOWN, &r);
  sk_tap_result_clear (&r);

  /* a minute after the first tap, one more gets through */
  f->clock.now = T0 + 60 * SEC;
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  g_assert_true (r.extended);
  sk_tap_result_clear (&r);
  g_assert_false (sk_engine_tap (f->engine, "04A1B2C3", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED);

  g_assert_cmpuint (f->counts.checked_in, ==, 7);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
}

static void
test_throttle_unknown (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  for (int i = 0; i < 6; i++)
    {
      tap_ok (f, "04BB00CC", SK_TAP_UNKNOWN, &r);
      sk_tap_result_clear (&r);
    }
  g_clear_pointer (&f->last_unknown, g_free);
  g_assert_false (sk_engine_tap (f->engine, "04BB00CC", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED);
  g_assert_null (f->last_unknown);
}

static void
test_throttle_setting (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkEngine) two = NULL;
  g_autoptr (SkEngine) unlimited = NULL;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_assert_true (sk_store_set_setting (f->store, "tap_limit_per_minute", "2", &error));
  two = sk_engine_new (f->store, &error);
  g_assert_no_error (error);
  sk_engine_set_clock (two, sk_test_clock_read, &f->clock);
  for (int i = 0; i < 2; i++)
    {
      g_assert_true (sk_engine_tap (two, "04A1B2C3", &r, &error));
      sk_tap_result_clear (&r);
    }
  g_assert_false (sk_engine_tap (two, "04A1B2C3", &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED);
  g_clear_error (&error);

  g_assert_true (sk_store_set_setting (f->store, "tap_limit_per_minute", "0", &error));
  unlimited = sk_engine_new (f->store, &error);
  g_assert_no_error (error);
  sk_engine_set_clock (unlimited, sk_test_clock_read, &f->clock);
  for (int i = 0; i < 50; i++)
    {
      g_assert_true (sk_engine_tap (unlimited, "04A1B2C3", &r, &error));
      g_assert_no_error (error);
      sk_tap_result_clear (&r);
    }
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
}

static void
test_join_makes_a_guest (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = sk_engine_join (f->engine, "04bb00cc", NULL, &error);
  g_autofree char *again = NULL;
  g_autofree char *named = NULL;
  g_autofree char *long_name = g_strnfill (65, 'n');
  SkTapResult r;

  g_assert_no_error (error);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM profiles WHERE is_guest = 1 "
                             "AND preference_vector = '[0.5,0.5,0.5,0.5,0.5]'"),
                   ==, 1);
  tap_ok (f, "04BB00CC", SK_TAP_LISTENER, &r);
  g_assert_cmpstr (r.user_id, ==, id);
  g_assert_true (strlen (r.display_name) > 3);
  sk_tap_result_clear (&r);

  again = sk_engine_join (f->engine, "04BB00CC", "Someone", &error);
  g_assert_null (again);
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_ALREADY_ENROLLED);
  g_clear_error (&error);

  named = sk_engine_join (f->engine, "04BB00CD", long_name, &error);
  g_assert_null (named);
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
  g_clear_error (&error);
  named = sk_engine_join (f->engine, "04BB00CD", "  Ada  ", &error);
  g_assert_no_error (error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM profiles WHERE display_name = 'Ada'"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM profiles"), ==, 2);
}

static void
test_vote_rules (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autofree char *song = NULL;
  g_autoptr (GError) error = NULL;
  SkTapResult r;

  g_assert_false (sk_engine_vote (f->engine, id, 4, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_CHECKED_IN);
  g_clear_error (&error);

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_false (sk_engine_vote (f->engine, id, 4, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYING);
  g_clear_error (&error);

  g_assert_true (sk_engine_start_next (f->engine, &song, &error));
  g_assert_cmpstr (song, ==, "s-rain");
  g_assert_false (sk_engine_vote (f->engine, id, 0, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (sk_engine_vote (f->engine, id, 5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f,
                          "SELECT count(*) FROM votes WHERE play_id IS NOT NULL AND vote_value = 5"),
                   ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM outbox WHERE kind = 'vote'"), ==, 1);

  /* one vote per listener per play */
  g_assert_false (sk_engine_vote (f->engine, id, 1, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_ALREADY_VOTED);
  g_clear_error (&error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM votes"), ==, 1);

  /* the next play may be rated again */
  f->clock.now += 5 * 60 * SEC;
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  g_assert_true (sk_engine_vote (f->engine, id, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM votes"), ==, 2);
}

static void
test_vote_learns (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Newcomer", NULL, NULL);
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt;
  double pref[SK_DIM];
  SkTapResult r;

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  g_assert_true (sk_engine_vote (f->engine, id, 5, &error));

  stmt = sk_store_prepare (f->store, "SELECT preference_vector FROM profiles WHERE id = ?1", NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  g_assert_cmpint (sk_store_step (f->store, stmt, NULL), ==, SQLITE_ROW);
  g_assert_true (sk_vec_parse (sk_store_column_text (stmt, 0), pref, NULL));
  sqlite3_reset (stmt);
  /* The learner from its prior, one 5 on the playing song e, x = (1, Ê):
   * A = Λ0 + xxᵀ, b = x, so w = Λ0⁻¹x / (1 + xᵀΛ0⁻¹x) = Λ0⁻¹x / 3.5
   * (Sherman–Morrison; xᵀΛ0⁻¹x = 1/2 + 2), u = 2Ê/3.5, and p = 0.5 + Ê/3.5. */
  {
    const double
        *e = sk_recommender_get_embedding (sk_engine_get_recommender (f->engine),
                                           sk_recommender_lookup (sk_engine_get_recommender (
                                                                      f->engine),
                                                                  sk_engine_get_current_song (
                                                                      f->engine)));
    double c[SK_DIM], n = 0;

    for (guint d = 0; d < SK_DIM; d++)
      {
        c[d] = e[d] - 0.5;
        n += c[d] * c[d];
      }
    n = sqrt (n);
    for (guint d = 0; d < SK_DIM; d++)
      g_assert_cmpfloat_with_epsilon (pref[d], 0.5 + c[d] / n / 3.5, 1e-12);
  }
}

static char *
queue_head (Fixture *f)
{
  const SkQueueEntry *q;
  guint n;

  q = sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, >, 0);
  return g_strdup (q[0].song_id);
}

static void
test_opposite_tastes_change_the_queue (Fixture *f, gconstpointer data)
{
  g_autofree char *rain = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autofree char *head1 = NULL;
  g_autofree char *head2 = NULL;
  g_autoptr (GError) error = NULL;
  guint changes;
  SkTapResult r;

  enroll_badge (f, "04F1E2D3", "Fire Keeper", NULL, FIRE);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  head1 = queue_head (f);
  g_assert_true (g_str_equal (head1, "s-rain") || g_str_equal (head1, "s-storm"));

  sk_engine_check_out (f->engine, rain, &error);
  changes = f->counts.queue_changes;
  tap_ok (f, "04F1E2D3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  head2 = queue_head (f);
  /* s-campfire opened the evening (an empty room ties, lowest id first)
   * and is playing, so the fire lover's best next is the hearth */
  g_assert_cmpstr (sk_engine_get_current_song (f->engine), ==, "s-campfire");
  g_assert_cmpstr (head2, ==, "s-hearth");
  g_assert_cmpuint (f->counts.queue_changes, >, changes);
}

static void
test_track_start (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  const SkQueueEntry *q;
  guint n;

  g_assert_true (sk_engine_start_next (f->engine, &first, &error));
  g_assert_cmpstr (sk_engine_get_current_song (f->engine), ==, first);
  g_assert_cmpint (count (f, "SELECT count(*) FROM songs_playing"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM players WHERE status = 'playing' "
                             "AND current_song_id IS NOT NULL"),
                   ==, 1);
  q = sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (q[i].song_id, !=, first);
  g_assert_cmpint (count (f, "SELECT count(*) FROM player_queue"), ==, 5);

  /* the penalty rotates an empty room through the library */
  for (guint i = 0; i < 5; i++)
    {
      f->clock.now += 60 * SEC;
      g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
    }
  g_assert_cmpint (count (f, "SELECT count(DISTINCT song_id) FROM songs_playing"), ==, 6);
}

static void
test_nothing_to_play (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  SkTestClock clock = { T0 };
  g_autoptr (SkEngine) engine = sk_test_engine_new (dir, &clock);
  g_autoptr (GError) error = NULL;

  g_assert_false (sk_engine_start_next (engine, NULL, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYABLE);
  g_clear_object (&engine);
  sk_test_rmdir (dir);
}

/* The demo's keys before the first track starts (the player opens its
 * output on a thread of its own, and keys piped in come at once): what
 * plays is said in words, "nothing yet", never a title's placeholder. */
static void
test_demo_before_first_track (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_assert_true (sk_demo_prepare (f->engine, NULL, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_demo_command (f->engine, "1", NULL, NULL, out), ==, SK_DEMO_SHOWN);
  g_test_message ("%s", out->str);
  g_assert_nonnull (strstr (out->str, "♪ Now playing: nothing yet — 1 listener present\n"));
  g_assert_null (strstr (out->str, "— —"));

  g_string_truncate (out, 0);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  sk_demo_describe (f->engine, 5, out);
  g_assert_true (g_str_has_prefix (out->str, "♪ Now playing: "));
  g_assert_null (strstr (out->str, "nothing"));
  g_assert_null (strstr (out->str, "— —"));
}

static void
test_full_disk_vote_loses_nothing (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autofree char *limit = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *filler = g_strnfill (4000, 'f');
  sqlite3_stmt *stmt;
  SkTapResult r;
  int pages;

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));

  stmt = sk_store_prepare (f->store, "SELECT preference_vector FROM profiles WHERE id = ?1", NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sk_store_step (f->store, stmt, NULL);
  before = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);

  /* fill the database up to its limit */
  pages = count (f, "PRAGMA page_count");
  limit = g_strdup_printf ("PRAGMA max_page_count = %d", pages);
  g_assert_true (sk_store_exec (f->store, limit, &error));
  /* Ever smaller rows, in every table a vote writes to, until not even a
   * few bytes fit anywhere: SQLite then meets a full disk for real. */
  for (gsize size = 4000, i = 0; size >= 8; size /= 2)
    {
      static const char *const fill[] = {
        "INSERT INTO outbox (kind, row_id, payload, created_at) VALUES ('x', 'x', ?2, 'x')",
        "INSERT INTO votes (id, user_id, song_id, vote_value, vote_time) "
        "  SELECT 'filler' || ?1, id, 's-rain', 3, ?2 FROM profiles",
        "INSERT INTO settings (key, value) VALUES ('filler' || ?1, ?2)",
        "INSERT INTO player_queue (id, player_id, song_id, position, added_at) "
        "  SELECT 'filler' || ?1, id, 's-rain', 100 + ?1, ?2 FROM players",
      };

      filler[size] = '\0';
      for (guint t = 0; t < G_N_ELEMENTS (fill); t++)
        for (;; i++)
          {
            sqlite3_stmt *ins = sk_store_prepare (f->store, fill[t], NULL);

            sqlite3_bind_int64 (ins, 1, (gint64) i);
            sqlite3_bind_text (ins, 2, filler, -1, SQLITE_STATIC);
            if (!sk_store_run (f->store, ins, NULL))
              break;
          }
    }
  g_assert_true (sk_store_exec (f->store, "DELETE FROM votes WHERE id LIKE 'filler%'", NULL));
  g_assert_true (
      sk_store_exec (f->store, "DELETE FROM player_queue WHERE id LIKE 'filler%'", NULL));
  /* the filler votes go again (the test counts votes): fill the pages they
   * leave with settings instead */
  for (gsize size = 4000, i = 100000; size >= 8; size /= 2)
    for (;; i++)
      {
        sqlite3_stmt *
            ins = sk_store_prepare (f->store,
                                    "INSERT INTO settings (key, value) VALUES ('refill' || ?1, ?2)",
                                    NULL);

        filler[size] = '\0';
        sqlite3_bind_int64 (ins, 1, (gint64) i);
        sqlite3_bind_text (ins, 2, filler, -1, SQLITE_STATIC);
        if (!sk_store_run (f->store, ins, NULL))
          break;
      }

  g_assert_false (sk_engine_vote (f->engine, id, 5, &error));
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FULL);
  g_assert_cmpint (count (f, "SELECT count(*) FROM votes"), ==, 0);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sk_store_step (f->store, stmt, NULL);
  after = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  g_assert_cmpstr (before, ==, after);
}

/* A handler that re-enters the engine and fails there (what the playback
 * does when a song cannot be marked): the change it heard of stays. */
static void
fail_in_handler (GObject *carrier)
{
  SkEngine *engine = g_object_get_data (carrier, "engine");
  g_autoptr (GError) error = NULL;

  (*(guint *) g_object_get_data (carrier, "count"))++;
  g_assert_false (sk_engine_mark_unplayable (engine, "no-such-song", "test", &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
}

static void
test_failing_handler_costs_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (GObject) carrier = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *guest = NULL;
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  guint ran = 0;
  SkTapResult r;

  g_object_set_data (carrier, "engine", f->engine);
  g_object_set_data (carrier, "count", &ran);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect_swapped (f->engine, "queue-changed", G_CALLBACK (fail_in_handler), carrier);
  g_signal_connect_swapped (f->engine, "checked-in", G_CALLBACK (fail_in_handler), carrier);

  /* 1s for what plays turn the queue away from rain: each vote stays,
   * and one of them at least changed the queue (the handler ran) */
  for (int votes = 1; ran == 0 && votes <= 5; votes++)
    {
      if (votes > 1)
        {
          f->clock.now += 5 * 60 * SEC;
          g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
        }
      g_assert_true (sk_engine_vote (f->engine, id, 1, &error));
      g_assert_no_error (error);
      g_assert_cmpint (count (f, "SELECT count(*) FROM votes"), ==, votes);
    }
  g_assert_cmpuint (ran, >=, 1);

  ran = 0;
  guest = sk_engine_join (f->engine, "04BB00CC", "Guest", &error);
  g_assert_no_error (error);
  g_assert_nonnull (guest);
  g_assert_cmpuint (ran, >=, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM profiles WHERE display_name = 'Guest'"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 2);
  g_signal_handlers_disconnect_by_data (f->engine, carrier);
}

static void
test_rolled_back_change_emits_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint queue_before;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  queue_before = f->counts.queue_changes;
  /* a tap (a check-in that changes the queue) inside a transaction of the
   * caller's, which is rolled back */
  g_assert_true (sk_store_begin (f->store, &error));
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_cmpuint (f->counts.checked_in, ==, 0);
  g_assert_cmpuint (f->counts.queue_changes, ==, queue_before);
  sk_store_rollback (f->store);
  g_assert_true (sk_engine_refresh (f->engine, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->counts.checked_in, ==, 0);
  g_assert_cmpuint (f->counts.queue_changes, ==, queue_before);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 0);

  /* the same committed: told once, after the commit */
  g_assert_true (sk_store_begin (f->store, &error));
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_cmpuint (f->counts.checked_in, ==, 0);
  g_assert_true (sk_store_commit (f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->counts.checked_in, ==, 1);
  g_assert_cmpuint (f->counts.queue_changes, ==, queue_before + 1);
}

static void
on_vetoed (SkEngine *engine, const char *song, const char *play, const char *message, guint *n)
{
  g_assert_nonnull (strstr (message, "of the 2 listeners here rated it 2 or lower"));
  (*n)++;
}

/* The crowd veto is decided on what was committed: two low votes in a
 * transaction of the caller's that is rolled back veto nothing, and leave
 * the play free to be vetoed when the same votes are committed. */
static void
test_veto_after_commit (Fixture *f, gconstpointer data)
{
  g_autofree char *rain = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autofree char *fire = enroll (f, "04F1E2D3", "Fire Keeper", NULL, FIRE);
  g_autoptr (GError) error = NULL;
  guint vetoes = 0;
  SkTapResult r;

  g_signal_connect (f->engine, "vetoed", G_CALLBACK (on_vetoed), &vetoes);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  tap_ok (f, "04F1E2D3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));

  g_assert_true (sk_store_begin (f->store, &error));
  g_assert_true (sk_engine_vote (f->engine, rain, 1, &error));
  g_assert_true (sk_engine_vote (f->engine, fire, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vetoes, ==, 0);
  sk_store_rollback (f->store);
  g_assert_true (sk_engine_refresh (f->engine, &error));
  g_assert_cmpuint (vetoes, ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM votes"), ==, 0);

  /* one low vote of two present: no veto; the second: a veto, once */
  g_assert_true (sk_engine_vote (f->engine, rain, 1, &error));
  g_assert_cmpuint (vetoes, ==, 0);
  g_assert_true (sk_engine_vote (f->engine, fire, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vetoes, ==, 1);
}

static void
test_tap_is_one_transaction (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };

  /* the queue cannot be written: the check-in must not stay either */
  g_assert_true (sk_store_exec (f->store,
                                "CREATE TEMP TRIGGER refuse_queue BEFORE INSERT ON player_queue "
                                "BEGIN SELECT RAISE (ABORT, 'refused by the test'); END",
                                &error));
  g_assert_false (sk_engine_tap (f->engine, "04A1B2C3", &r, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  sk_tap_result_clear (&r);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 0);
  g_assert_cmpint (count (f, "SELECT count(*) FROM outbox WHERE kind = 'session'"), ==, 0);
  g_assert_cmpuint (f->counts.checked_in, ==, 0);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 0);

  g_assert_true (sk_store_exec (f->store, "DROP TRIGGER refuse_queue", &error));
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
  g_assert_cmpuint (f->counts.checked_in, ==, 1);

  /* a check-out likewise: with the queue refused, the listener stays */
  g_assert_true (sk_store_exec (f->store,
                                "CREATE TEMP TRIGGER refuse_queue BEFORE INSERT ON player_queue "
                                "BEGIN SELECT RAISE (ABORT, 'refused by the test'); END",
                                &error));
  g_assert_false (sk_engine_check_out (f->engine, id, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
  g_assert_cmpuint (f->counts.checked_out, ==, 0);
  g_assert_true (sk_store_exec (f->store, "DROP TRIGGER refuse_queue", &error));
  g_assert_true (sk_engine_check_out (f->engine, id, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->counts.checked_out, ==, 1);
}

/* Another program's commits are picked up; the engine's own are not
 * reported as another's. */
static void
test_picks_up_other_programs (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_strdup (sk_store_get_path (f->store));
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) other = sk_store_open_full (path, SK_STORE_OPEN_EXISTING, &error);
  g_autoptr (SkEngine) ctl = NULL;
  g_autofree char *summary = NULL;
  const SkQueueEntry *q;
  guint n = 0;
  SkTapResult r;

  enroll_badge (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_assert_no_error (error);
  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_NOTHING);
  g_assert_null (summary);
  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_NOTHING);
  /* an import through the engine's own connection, then a reload */
  sk_test_add_songs (f->engine, &(SkTestSong){ "s-own", { 0.5, 0.5, 0.5, 0.5, 0.5 } }, 1);

  g_assert_true (sk_settings_set (other, "queue_k", "2", &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_SETTINGS);
  g_assert_no_error (error);
  g_assert_cmpstr (summary, ==, "settings: queue_k = 2");
  q = sk_engine_get_queue (f->engine, &n);
  g_assert_nonnull (q);
  g_assert_cmpuint (n, ==, 2);
  g_clear_pointer (&summary, g_free);

  ctl = sk_engine_new (other, &error);
  g_assert_no_error (error);
  g_free (sk_engine_join (ctl, "04BB00CC", "Guest", &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_LISTENERS);
  g_assert_cmpstr (summary, ==, "listeners: 2 present");
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 2);
}

/* sk_engine_set_setting applies a setting at once (the queue's length),
 * refuses a bad one storing nothing, and is not reported as another
 * program's change. */
static void
test_set_setting_applies (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *stored = NULL;
  guint n = 0;

  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_NOTHING);
  g_assert_true (sk_engine_set_setting (f->engine, "queue_k", "2", &error));
  g_assert_no_error (error);
  sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (sk_engine_pick_up_changes (f->engine, &summary, &error), ==,
                   SK_ENGINE_CHANGED_NOTHING);
  g_assert_null (summary);

  g_assert_false (sk_engine_set_setting (f->engine, "queue_k", "0", &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_error (&error);
  stored = sk_store_dup_setting (f->store, "queue_k");
  g_assert_cmpstr (stored, ==, "2");
  g_clear_pointer (&stored, g_free);

  /* NULL: back to the default */
  g_assert_true (sk_engine_set_setting (f->engine, "queue_k", NULL, &error));
  g_assert_no_error (error);
  stored = sk_store_dup_setting (f->store, "queue_k");
  g_assert_null (stored);
  sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, >, 2);
}

/* A song whose embedding went bad while it plays: a vote says so, not
 * that the song left the library. */
static void
test_bad_embedding_vote_says_so (Fixture *f, gconstpointer data)
{
  g_autofree char *id = enroll (f, "04A1B2C3", "Rain Lover", NULL, RAIN);
  g_autofree char *song = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt;
  SkTapResult r;

  tap_ok (f, "04A1B2C3", SK_TAP_LISTENER, &r);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (f->engine, &song, &error));
  g_assert_no_error (error);
  stmt = sk_store_prepare (f->store, "UPDATE songs SET embedding = '[0.9,0.1]' WHERE id = ?1",
                           NULL);
  sqlite3_bind_text (stmt, 1, song, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (f->store, stmt, NULL));
  g_test_expect_message ("sk-engine", G_LOG_LEVEL_WARNING, "*left out of the ranking*");
  g_assert_true (sk_engine_reload (f->engine, &error));
  g_test_assert_expected_messages ();
  g_assert_cmpstr (sk_engine_get_current_song (f->engine), ==, song);

  g_assert_false (sk_engine_vote (f->engine, id, 4, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_BAD_SONG);
  g_assert_nonnull (strstr (error->message, "embedding"));
  g_assert_null (strstr (error->message, "no longer in the library"));
  g_clear_error (&error);

  /* gone for real: that is what it says then */
  stmt = sk_store_prepare (f->store, "DELETE FROM songs WHERE id = ?1", NULL);
  sqlite3_bind_text (stmt, 1, song, -1, SQLITE_STATIC);
  g_assert_true (sk_store_exec (f->store, "PRAGMA foreign_keys = OFF", NULL));
  g_assert_true (sk_store_run (f->store, stmt, NULL));
  g_assert_false (sk_engine_vote (f->engine, id, 4, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYING);
  g_assert_nonnull (strstr (error->message, "no longer in the library"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/core/engine/unknown-badge-offers-join", test_unknown_badge);
  ADD ("/core/engine/odd-uid-is-refused", test_odd_uid_refused);
  ADD ("/core/engine/tap-checks-in-for-an-hour", test_check_in_for_an_hour);
  ADD ("/core/engine/re-tap-extends-the-session", test_retap_extends);
  ADD ("/core/engine/session-expires-to-the-second", test_expiry_to_the_second);
  ADD ("/core/engine/check-out-ends-the-session", test_check_out);
  ADD ("/core/engine/check-in-at-another-player-moves-the-session", test_check_in_elsewhere_moves);
  ADD ("/core/engine/revoked-badge-is-refused", test_revoked_badge);
  ADD ("/core/engine/manager-badge-is-recognised", test_manager_badge);
  ADD ("/core/engine/admin-badge-is-recognised", test_admin_badge);
  ADD ("/core/engine/fast-taps-of-one-badge-are-throttled", test_throttle);
  ADD ("/core/engine/unknown-badge-is-throttled-too", test_throttle_unknown);
  ADD ("/core/engine/tap-limit-is-a-setting", test_throttle_setting);
  ADD ("/core/engine/join-makes-a-guest-with-no-opinion", test_join_makes_a_guest);
  ADD ("/core/engine/one-vote-per-listener-per-play", test_vote_rules);
  ADD ("/core/engine/vote-updates-the-taste", test_vote_learns);
  ADD ("/core/engine/opposite-tastes-change-the-queue", test_opposite_tastes_change_the_queue);
  ADD ("/core/engine/track-start-records-the-play", test_track_start);
  ADD ("/core/engine/full-disk-vote-loses-nothing", test_full_disk_vote_loses_nothing);
  ADD ("/core/engine/failing-handler-cannot-cost-a-vote-or-a-join",
       test_failing_handler_costs_nothing);
  ADD ("/core/engine/rolled-back-change-emits-nothing", test_rolled_back_change_emits_nothing);
  ADD ("/core/engine/tap-and-check-out-are-one-transaction-each", test_tap_is_one_transaction);
  ADD ("/core/engine/picks-up-what-other-programs-changed", test_picks_up_other_programs);
  ADD ("/core/engine/set-setting-applies-at-once", test_set_setting_applies);
  ADD ("/core/engine/bad-embedding-vote-says-so", test_bad_embedding_vote_says_so);
  ADD ("/core/engine/veto-after-commit", test_veto_after_commit);
  ADD ("/core/engine/demo-before-first-track", test_demo_before_first_track);
#undef ADD
  g_test_add_func ("/core/engine/empty-library-has-nothing-to-play", test_nothing_to_play);
  return g_test_run ();
}
