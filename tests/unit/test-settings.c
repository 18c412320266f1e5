/* test-settings.c: the table of settings: what it lets through, what it
 * refuses with a reason, and what a damaged stored value becomes. */
#include "config.h"

#include <string.h>

#include "sk-settings.h"
#include "sk-test-util.h"

typedef struct
{
  char *dir;
  SkStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *db = NULL;

  f->dir = sk_test_mkdtemp ();
  db = g_build_filename (f->dir, "soundscape.db", NULL);
  f->store = sk_store_open (db, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, sk_store_unref);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autofree char *strategy = sk_settings_dup_string (f->store, "strategy");
  g_autofree char *pcm = sk_settings_dup_string (f->store, "audio_pcm");
  g_autofree char *nfc = sk_settings_dup_string (f->store, "nfc_device");
  double house[SK_DIM];
  guint n;
  const SkSetting *all = sk_settings_list (&n);

  g_assert_cmpstr (strategy, ==, "average");
  g_assert_cmpstr (pcm, ==, "default");
  g_assert_cmpstr (nfc, ==, "");
  g_assert_cmpint (sk_settings_get_int (f->store, "queue_k"), ==, 5);
  g_assert_cmpint (sk_settings_get_int (f->store, "tap_limit_per_minute"), ==, 6);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "crossfade_seconds"), ==, 5.0);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "loudness_target_lufs"), ==, -23.0);
  sk_settings_get_vector (f->store, "house_vector", house);
  for (guint i = 0; i < SK_DIM; i++)
    g_assert_cmpfloat (house[i], ==, 0.5);
  /* every default passes its own check */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (sk_settings_validate (all[i].key, all[i].fallback, &error));
      g_assert_no_error (error);
      g_assert_nonnull (all[i].summary);
    }
}

/* The table's defaults and ranges are the numbers the code uses before
 * (or instead of) reading a setting: sk-defaults.h. */
static void
test_defaults_are_the_codes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const SkSetting *loudness = sk_settings_lookup ("loudness_target_lufs", &error);
  const SkSetting *crossfade = sk_settings_lookup ("crossfade_seconds", &error);
  const SkSetting *queue_k = sk_settings_lookup ("queue_k", &error);
  const SkSetting *explore = sk_settings_lookup ("explore_weight", &error);

  g_assert_no_error (error);
  g_assert_cmpint (sk_settings_get_int (f->store, "queue_k"), ==, SK_QUEUE_DEFAULT_K);
  g_assert_cmpfloat (queue_k->max, ==, SK_QUEUE_MAX_K);
  g_assert_cmpint (sk_settings_get_int (f->store, "tap_limit_per_minute"), ==,
                   SK_TAP_LIMIT_DEFAULT);
  g_assert_cmpint (sk_settings_get_int (f->store, "session_minutes") * 60, ==,
                   SK_SESSION_LENGTH_DEFAULT);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "explore_weight"), ==,
                     SK_EXPLORE_WEIGHT_DEFAULT);
  g_assert_cmpfloat (explore->max, ==, SK_EXPLORE_MAX);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "crossfade_seconds"), ==,
                     SK_PLAYBACK_CROSSFADE_DEFAULT);
  g_assert_cmpfloat (crossfade->max, ==, SK_PLAYBACK_CROSSFADE_MAX);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "volume"), ==, SK_PLAYBACK_VOLUME_DEFAULT);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "loudness_target_lufs"), ==,
                     SK_LOUDNESS_TARGET_DEFAULT);
  g_assert_cmpfloat (loudness->min, ==, SK_LOUDNESS_TARGET_MIN);
  g_assert_cmpfloat (loudness->max, ==, SK_LOUDNESS_TARGET_MAX);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *key;
    const char *value;
    const char *says;
  } bad[] = {
    { "volume", "1.5", "from 0 to 1" },
    { "volume", "nan", "a number" },
    { "volume", "inf", "a number" },
    { "volume", "", "a number" },
    { "volume", "0.5x", "a number" },
    { "volume", "0x1p-1", "a number" }, /* a hex float, 0.5 to strtod */
    { "volume", "-0X1P-1", "a number" },
    { "volume", "INF", "a number" },
    { "volume", "+nan", "a number" },
    { "volume", "infinity", "a number" },
    { "loudness_target_lufs", "-1e400", "a number" },
    { "queue_k", "0x5", "whole number" },
    { "queue_k", "2.5", "whole number" },
    { "queue_k", "0", "from 1 to 50" },
    { "crossfade_seconds", "13", "from 0 to 12" },
    { "loudness_target_lufs", "-99", "from -40 to -5" },
    { "strategy", "loudest", "one of" },
    { "house_vector", "[0.5,0.5,0.5,0.5]", "house_vector" },
    { "house_vector", "[0.5,0.5,0.5,0.5,1.5]", "house_vector" },
    { "audio_pcm", "plughw:0\nrm -rf", "one line" },
    { "no_such_key", "1", "not a setting" },
    { "player_id", "x", "not a setting" }, /* the kiosk's own */
  };
  g_autofree char *huge = g_strnfill (5000, 'x');
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;

      g_assert_false (sk_settings_set (f->store, bad[i].key, bad[i].value, &e));
      g_assert_error (e, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
      if (strstr (e->message, bad[i].says) == NULL)
        g_error ("%s = “%s”: “%s” does not say “%s”", bad[i].key, bad[i].value, e->message,
                 bad[i].says);
    }
  g_assert_false (sk_settings_set (f->store, "nfc_device", huge, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  /* nothing refused was stored */
  g_assert_null (sk_store_dup_setting (f->store, "volume"));
  g_assert_null (sk_store_dup_setting (f->store, "nfc_device"));
}

static void
test_set_and_reset (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *strategy = NULL;

  g_assert_true (sk_settings_set (f->store, "volume", "0.25", &error));
  g_assert_true (sk_settings_set (f->store, "loudness_target_lufs", "-18", &error));
  g_assert_true (sk_settings_set (f->store, "strategy", "least_misery", &error));
  g_assert_true (sk_settings_set (f->store, "tap_limit_per_minute", "0", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "volume"), ==, 0.25);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "loudness_target_lufs"), ==, -18.0);
  g_assert_cmpint (sk_settings_get_int (f->store, "tap_limit_per_minute"), ==, 0);
  strategy = sk_settings_dup_string (f->store, "strategy");
  g_assert_cmpstr (strategy, ==, "least_misery");

  /* a reset clears the stored value (the default may change in a later
   * version): it does not store today's default */
  g_assert_true (sk_settings_set (f->store, "volume", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (sk_settings_get_double (f->store, "volume"), ==, 1.0);
  g_assert_null (sk_store_dup_setting (f->store, "volume"));
  g_assert_true (sk_settings_set (f->store, "volume", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (sk_store_dup_setting (f->store, "volume"));
}

/* A value written behind the table's back (an old version, a hand edit)
 * is not used: the default is, and a log line says why. */
static void
test_damaged_value_falls_back (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_store_set_setting (f->store, "crossfade_seconds", "NaN", &error));
  g_test_expect_message ("sk-settings", G_LOG_LEVEL_WARNING, "*crossfade_seconds*using 5*");
  g_assert_cmpfloat (sk_settings_get_double (f->store, "crossfade_seconds"), ==, 5.0);
  g_test_assert_expected_messages ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/core/settings/defaults", test_defaults);
  ADD ("/core/settings/defaults-are-the-codes", test_defaults_are_the_codes);
  ADD ("/core/settings/bad-values-refused-with-reason", test_refused);
  ADD ("/core/settings/set-and-reset", test_set_and_reset);
  ADD ("/core/settings/damaged-value-falls-back", test_damaged_value_falls_back);
#undef ADD
  return g_test_run ();
}
