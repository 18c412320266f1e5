/* Numbers stored as text do not depend on the process's locale: votes
 * under a decimal-comma locale store exactly what they store in the C
 * locale, and a stored number that cannot be read says so in the log.
 *
 * The decimal-comma locale is compiled by the test itself with localedef
 * into a scratch LOCPATH, so that nothing on the machine changes. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "sk-test-util.h"
#include "sk-taste.h"
#include "sk-util.h"

#define T0 ((gint64) 1714557600 * G_USEC_PER_SEC) /* 2024-05-01 10:00:00 UTC */
#define SEC ((gint64) G_USEC_PER_SEC)

static const SkTestSong songs[] = {
  { "s-campfire", { 0.10, 0.30, 0.95, 0.20, 0.20 } },
  { "s-rain", { 0.95, 0.30, 0.10, 0.30, 0.40 } },
  { "s-storm", { 0.70, 0.60, 0.10, 0.95, 0.20 } },
};

/* Compiles de_DE.UTF-8 into @dir; FALSE (the test skipped, with why) when
 * this machine cannot. */
static gboolean
make_comma_locale (const char *dir)
{
  g_autofree char *out_dir = g_build_filename (dir, "de_DE.UTF-8", NULL);
  g_autofree char *numeric = g_build_filename (out_dir, "LC_NUMERIC", NULL);
  g_autofree char *localedef = g_find_program_in_path ("localedef");
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { NULL, "-i", "de_DE", "-f", "UTF-8", NULL, NULL };
  int status = 0;

  if (localedef == NULL)
    {
      g_test_skip ("localedef is not installed (package libc-bin)");
      return FALSE;
    }
  argv[0] = localedef;
  argv[5] = out_dir;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, sk_test_child_setup, NULL,
                NULL, &err, &status, &error);
  g_assert_no_error (error);
  /* localedef exits 1 for mere warnings: the compiled files are what count */
  if (!g_file_test (numeric, G_FILE_TEST_EXISTS))
    {
      g_autofree char *why = g_strdup_printf ("localedef could not build de_DE.UTF-8 "
                                              "(package locales has its sources): %s",
                                              err);
      g_test_skip (why);
      return FALSE;
    }
  return TRUE;
}

/* Two listeners' worth of votes on a fresh database in @dir: returns the
 * listener's "preference_vector taste_state" as stored. */
static char *
two_votes (const char *dir)
{
  SkTestClock clock = { T0 };
  g_autoptr (SkEngine) engine = sk_test_engine_new (dir, &clock);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  double state[SK_TASTE_STATE_LEN];
  char *stored;
  SkTapResult r;

  sk_test_add_songs (engine, songs, G_N_ELEMENTS (songs));
  id = sk_engine_enroll (engine, "04A1B2C3", "Ada", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (engine, "04A1B2C3", &r, &error));
  g_assert_no_error (error);
  sk_tap_result_clear (&r);

  g_assert_true (sk_engine_start_next (engine, NULL, &error));
  g_assert_true (sk_engine_vote (engine, id, 5, &error));
  g_assert_no_error (error);
  clock.now += 5 * 60 * SEC;
  g_assert_true (sk_engine_start_next (engine, NULL, &error));
  g_assert_true (sk_engine_vote (engine, id, 2, &error));
  g_assert_no_error (error);

  stored = sk_test_query_text (sk_engine_get_store (engine),
                               "SELECT preference_vector || ' ' || taste_state "
                               "FROM profiles WHERE id = ?1",
                               id);
  g_assert_nonnull (stored);
  /* the learner's state reads back, and holds both votes (A's bias entry
   * is the prior's 2, forgotten a little, plus one a vote) */
  g_assert_true (sk_numbers_parse (strchr (stored, ' ') + 1, state, SK_TASTE_STATE_LEN, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (state[0], >, 3.9);
  return stored;
}

static void
test_votes_under_decimal_comma (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *locales = g_build_filename (dir, "locales", NULL);
  g_autofree char *db_c = g_build_filename (dir, "c", NULL);
  g_autofree char *db_de = g_build_filename (dir, "de", NULL);
  g_autofree char *in_c = NULL;
  g_autofree char *in_de = NULL;
  char formatted[SK_NUMBER_BUF_SIZE];
  double back = 0;

  g_assert_cmpint (g_mkdir (locales, 0700), ==, 0);
  if (!make_comma_locale (locales))
    {
      sk_test_rmdir (dir);
      return;
    }

  g_assert_nonnull (setlocale (LC_ALL, "C"));
  in_c = two_votes (db_c);

  g_setenv ("LOCPATH", locales, TRUE);
  g_assert_nonnull (setlocale (LC_ALL, "de_DE.UTF-8"));
  g_assert_cmpstr (localeconv ()->decimal_point, ==, ",");
  in_de = two_votes (db_de);
  g_assert_cmpstr (sk_number_format (formatted, -0.25), ==, "-0.25");
  g_assert_true (sk_number_parse ("0.125", NULL, &back, NULL));
  g_assert_cmpfloat (back, ==, 0.125);
  g_assert_false (sk_number_parse ("0,125", NULL, &back, NULL));

  setlocale (LC_ALL, "C");
  g_unsetenv ("LOCPATH");
  g_assert_cmpstr (in_de, ==, in_c);
  sk_test_rmdir (dir);
}

static void
test_number_parser (void)
{
  static const char *const refused[] = {
    "", " ", "0x1p-1", "0X10", "inf", "-nan", "1e999", "1.5x", "1,5", ".", "+", "--1",
  };
  double v = 0;
  const char *end = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (sk_number_parse (refused[i], NULL, &v, &error));
      g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    }
  g_assert_true (sk_number_parse ("-23", NULL, &v, NULL));
  g_assert_cmpfloat (v, ==, -23.0);
  g_assert_true (sk_number_parse (".5e1", NULL, &v, NULL));
  g_assert_cmpfloat (v, ==, 5.0);
  g_assert_true (sk_number_parse ("0.25,1]", &end, &v, NULL));
  g_assert_cmpfloat (v, ==, 0.25);
  g_assert_cmpstr (end, ==, ",1]");
}

static void
test_unreadable_state_is_logged (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  SkTestClock clock = { T0 };
  g_autoptr (SkEngine) engine = sk_test_engine_new (dir, &clock);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  sqlite3_stmt *stmt;
  SkTapResult r;

  sk_test_add_songs (engine, songs, G_N_ELEMENTS (songs));
  id = sk_engine_enroll (engine, "04A1B2C3", "Ada", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (engine, "04A1B2C3", &r, &error));
  sk_tap_result_clear (&r);
  g_assert_true (sk_engine_start_next (engine, NULL, &error));
  /* what a decimal-comma locale would leave behind */
  stmt = sk_store_prepare (
      sk_engine_get_store (engine),
      "UPDATE profiles SET taste_state = '[2,0,0,0,0,0,0,5,0,0,0,0,0,12]' WHERE id = ?1", NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (sk_engine_get_store (engine), stmt, NULL));

  g_test_expect_message ("sk-engine", G_LOG_LEVEL_WARNING, "*unreadable learner state*");
  g_assert_true (sk_engine_vote (engine, id, 4, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
  {
    /* the vote learned from the listener's preference and stored a state again */
    g_autofree char *text = sk_test_query_text (sk_engine_get_store (engine),
                                                "SELECT taste_state FROM profiles WHERE id = ?1",
                                                id);
    double state[SK_TASTE_STATE_LEN];

    g_assert_true (sk_numbers_parse (text, state, SK_TASTE_STATE_LEN, &error));
    g_assert_no_error (error);
    g_assert_true (sk_taste_state_valid (state));
  }

  g_clear_object (&engine);
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/numbers/votes-under-a-decimal-comma-locale-store-the-c-result",
                   test_votes_under_decimal_comma);
  g_test_add_func ("/core/numbers/parser-takes-only-finite-decimal-numbers", test_number_parser);
  g_test_add_func ("/core/numbers/unreadable-stored-learner-state-is-a-warning",
                   test_unreadable_state_is_logged);
  return g_test_run ();
}
