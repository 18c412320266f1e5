/* test-engine-manage.c: what a manager changes through the engine
 * (sk-engine-manage.c): names, badges revoked and restored, roles, and this
 * player's library; each refusal stores nothing. A real SQLite database in a
 * scratch directory, on a clock the test moves. */
#include "config.h"

#include <string.h>

#include "sk-test-util.h"

#define T0 ((gint64) 1714557600 * G_USEC_PER_SEC) /* 2024-05-01 10:00:00 UTC */
#define ADA "04A1B2C3"

typedef struct
{
  char *dir;
  SkTestClock clock;
  SkEngine *engine;
  SkStore *store;
  SkTestEngineCounts counts;
  char *ada;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = sk_test_mkdtemp ();
  f->clock.now = T0;
  f->engine = sk_test_engine_new (f->dir, &f->clock);
  f->store = sk_engine_get_store (f->engine);
  sk_test_add_songs (f->engine, sk_test_evening_songs, SK_TEST_N_EVENING_SONGS);
  sk_test_count_engine (f->engine, &f->counts);
  f->ada = sk_engine_enroll (f->engine, ADA, "Ada", NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->engine);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->ada);
}

static char *
name_of (Fixture *f, const char *id)
{
  return sk_test_query_text (f->store, "SELECT display_name FROM profiles WHERE id = ?1", id);
}

static int
outbox (Fixture *f, const char *kind)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM outbox WHERE kind = '%s'", kind);

  return sk_test_query_int (f->store, sql);
}

static void
test_rename (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "Ada\tTab", "Ada \u202eevil", "", "   ",
                        "An extraordinarily long name that goes on and on past sixty-four chars" };
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  int profiles = outbox (f, "profile");

  g_assert_true (sk_engine_rename_listener (f->engine, f->ada, "  Ada Lovelace ", &error));
  g_assert_no_error (error);
  name = name_of (f, f->ada);
  g_assert_cmpstr (name, ==, "Ada Lovelace");
  g_assert_cmpint (outbox (f, "profile"), ==, profiles + 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *still = NULL;

      g_assert_false (sk_engine_rename_listener (f->engine, f->ada, bad[i], &error));
      g_assert_true (error != NULL && error->domain == SK_INPUT_ERROR);
      g_test_message ("“%s”: %s", bad[i], error->message);
      g_clear_error (&error);
      still = name_of (f, f->ada);
      g_assert_cmpstr (still, ==, "Ada Lovelace");
    }
  g_assert_false (sk_engine_rename_listener (f->engine, "no-such-id", "Bob", &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
  g_assert_cmpint (outbox (f, "profile"), ==, profiles + 1);
}

/* A revoked badge checks its listener out and is refused; restored, it
 * taps again. */
static void
test_revoke (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };
  int badges = outbox (f, "badge");

  g_assert_true (sk_engine_tap (f->engine, ADA, &r, &error));
  g_assert_no_error (error);
  sk_tap_result_clear (&r);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 1);

  g_assert_true (sk_engine_set_badge_revoked (f->engine, "04:a1:b2:c3", TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sk_engine_get_n_present (f->engine), ==, 0);
  g_assert_cmpuint (f->counts.checked_out, ==, 1);
  g_assert_cmpint (outbox (f, "badge"), ==, badges + 1);
  g_assert_false (sk_engine_tap (f->engine, ADA, &r, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED);
  g_clear_error (&error);
  sk_tap_result_clear (&r);
  /* again: already so, nothing written */
  g_assert_true (sk_engine_set_badge_revoked (f->engine, ADA, TRUE, &error));
  g_assert_cmpint (outbox (f, "badge"), ==, badges + 1);

  g_assert_true (sk_engine_set_badge_revoked (f->engine, ADA, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (f->engine, ADA, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.kind, ==, SK_TAP_LISTENER);
  sk_tap_result_clear (&r);

  g_assert_false (sk_engine_set_badge_revoked (f->engine, "04999999", TRUE, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sk_engine_set_badge_revoked (f->engine, "not-hex", TRUE, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
}

static void
test_role (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };

  g_assert_true (sk_engine_set_role (f->engine, f->ada, "manager", &error));
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (f->engine, ADA, &r, &error));
  g_assert_cmpint (r.kind, ==, SK_TAP_MANAGER);
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_set_role (f->engine, f->ada, "admin", &error));
  g_assert_cmpint (sk_test_query_int (f->store, "SELECT count(*) FROM roles"), ==, 1);
  g_assert_true (sk_engine_set_role (f->engine, f->ada, "listener", &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_query_int (f->store, "SELECT count(*) FROM roles"), ==, 0);
  f->clock.now += 10 * G_USEC_PER_SEC;
  g_assert_true (sk_engine_tap (f->engine, ADA, &r, &error));
  g_assert_cmpint (r.kind, ==, SK_TAP_LISTENER);
  sk_tap_result_clear (&r);

  g_assert_false (sk_engine_set_role (f->engine, f->ada, "owner", &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sk_engine_set_role (f->engine, "no-such-id", "manager", &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
  g_assert_cmpint (sk_test_query_int (f->store, "SELECT count(*) FROM roles"), ==, 0);
}

/* Whether @song_id is a candidate: in the library and playable. */
static gboolean
candidate (Fixture *f, const char *song_id)
{
  g_autoptr (GPtrArray) ranked = sk_engine_dup_ranked_playable (f->engine);

  for (guint i = 0; i < ranked->len; i++)
    if (strcmp (ranked->pdata[i], song_id) == 0)
      return TRUE;
  return FALSE;
}

static int
rows (Fixture *f)
{
  return sk_test_query_int (f->store, "SELECT count(*) FROM player_library");
}

/* Out, in, none, all; an unknown id changes nothing. */
static void
test_library (Fixture *f, gconstpointer data)
{
  const char *rain[] = { "s-rain", NULL };
  const char *unknown[] = { "s-storm", "no-such-song", NULL };
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_assert_false (sk_engine_library_is_curated (f->engine));
  g_assert_true (candidate (f, "s-rain"));
  g_assert_cmpint (rows (f), ==, 0);

  g_assert_true (sk_engine_set_in_library (f->engine, rain, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (sk_engine_library_is_curated (f->engine));
  g_assert_cmpint (rows (f), ==, SK_TEST_N_EVENING_SONGS - 1);
  g_assert_false (candidate (f, "s-rain"));

  g_assert_false (sk_engine_set_in_library (f->engine, unknown, FALSE, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-song"));
  g_clear_error (&error);
  g_assert_cmpint (rows (f), ==, SK_TEST_N_EVENING_SONGS - 1);
  g_assert_true (candidate (f, "s-storm"));

  g_assert_true (sk_engine_set_in_library (f->engine, rain, TRUE, &error));
  g_assert_cmpint (rows (f), ==, SK_TEST_N_EVENING_SONGS);
  g_assert_true (candidate (f, "s-rain"));

  g_assert_true (sk_engine_set_all_in_library (f->engine, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rows (f), ==, 0);
  sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, ==, 0);

  /* songs imported from a directory join a chosen library */
  g_assert_true (sk_engine_include_imported (f->engine, "file:///songs/", &error));
  g_assert_no_error (error);
  g_assert_cmpint (rows (f), ==, SK_TEST_N_EVENING_SONGS);

  g_assert_true (sk_engine_set_all_in_library (f->engine, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (sk_engine_library_is_curated (f->engine));
  g_assert_cmpint (rows (f), ==, 0);
  g_assert_true (candidate (f, "s-rain"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/engine-manage/rename", test_rename);
  ADD ("/engine-manage/revoke", test_revoke);
  ADD ("/engine-manage/role", test_role);
  ADD ("/engine-manage/library", test_library);
  return g_test_run ();
}
