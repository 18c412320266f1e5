/* Importing a folder: good files in, bad files named with the reason, no
 * partial row. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <string.h>

#include "sk-audio-source.h"
#include "sk-import.h"
#include "sk-test-util.h"

static int
count_songs (SkStore *store)
{
  return sk_test_query_int (store, "SELECT count(*) FROM songs");
}

static const char *
reason_for (GPtrArray *problems, const char *file)
{
  for (guint i = 0; i < problems->len; i++)
    {
      SkImportProblem *p = problems->pdata[i];

      if (g_str_has_suffix (p->path, file))
        return p->reason;
    }
  return NULL;
}

static void
put (const char *dir, const char *name, const char *embedding)
{
  g_autofree char *wav = g_strdup_printf ("%s/%s.wav", dir, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", dir, name);

  sk_test_write_wav (wav, 0.5);
  if (embedding != NULL)
    sk_test_write_sidecar (json, name, embedding);
}

static void
test_good_and_bad (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *lib = g_build_filename (dir, "library", NULL);
  g_autofree char *db = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autofree char *huge_title = g_strnfill (5000, 't');
  gsize len;
  guint n = 0;

  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  put (lib, "rain", "[0.9,0.2,0.1,0.2,0.3]");
  put (lib, "waves", "[0.3,0.4,0.1,0.1,0.9]");
  put (lib, "short-vector", "[0.9,0.2,0.1,0.2]");
  put (lib, "nan", "[0.9,\"NaN\",0.1,0.2,0.3]");
  put (lib, "infinite", "[0.9,1e999,0.1,0.2,0.3]");
  put (lib, "out-of-range", "[0.9,0.2,1.5,0.2,0.3]");
  put (lib, "no-sidecar", NULL);

  /* a WAV cut off in the middle of its data */
  put (lib, "truncated", "[0.5,0.5,0.9,0.5,0.5]");
  path = g_build_filename (lib, "truncated.wav", NULL);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, (gssize) len / 2, NULL));
  g_clear_pointer (&path, g_free);
  /* bytes that are no audio at all */
  put (lib, "garbage", "[0.5,0.5,0.9,0.5,0.5]");
  path = g_build_filename (lib, "garbage.wav", NULL);
  g_assert_true (g_file_set_contents (path, "RIFF....WAVEjunkjunkjunk", -1, NULL));
  g_clear_pointer (&path, g_free);
  /* a sidecar that is not JSON, and one with a title too long */
  put (lib, "not-json", NULL);
  path = g_build_filename (lib, "not-json.json", NULL);
  g_assert_true (g_file_set_contents (path, "{\"title\": \"x\", ", -1, NULL));
  g_clear_pointer (&path, g_free);
  put (lib, "long-title", NULL);
  path = g_build_filename (lib, "long-title.json", NULL);
  sk_test_write_sidecar (path, huge_title, "[0.5,0.5,0.5,0.5,0.5]");

  store = sk_store_open (db, &error);
  g_assert_no_error (error);
  g_assert_true (sk_import_dir (store, lib, &n, &problems, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (count_songs (store), ==, 2);
  g_assert_cmpuint (problems->len, ==, 9);

  g_assert_nonnull (strstr (reason_for (problems, "short-vector.wav"), "4 components"));
  g_assert_nonnull (strstr (reason_for (problems, "nan.wav"), "embedding"));
  g_assert_nonnull (strstr (reason_for (problems, "infinite.wav"), "finite"));
  g_assert_nonnull (strstr (reason_for (problems, "out-of-range.wav"), "outside [0, 1]"));
  g_assert_nonnull (strstr (reason_for (problems, "no-sidecar.wav"), "no sidecar"));
  g_assert_nonnull (strstr (reason_for (problems, "truncated.wav"), "truncated"));
  g_assert_nonnull (strstr (reason_for (problems, "garbage.wav"), "not a readable audio file"));
  g_assert_nonnull (strstr (reason_for (problems, "not-json.wav"), "not valid JSON"));
  g_assert_nonnull (strstr (reason_for (problems, "long-title.wav"), "longer than"));

  /* importing again updates, never duplicates */
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_assert_true (sk_import_dir (store, lib, &n, &problems, &error));
  g_assert_cmpint (count_songs (store), ==, 2);

  g_clear_pointer (&store, sk_store_unref);
  sk_test_rmdir (dir);
}

static void
test_missing_directory (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *db = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *nowhere = g_build_filename (dir, "nowhere", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (db, &error);

  g_assert_false (sk_import_dir (store, nowhere, NULL, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_pointer (&store, sk_store_unref);
  sk_test_rmdir (dir);
}

static void
test_probe_duration (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *wav = g_build_filename (dir, "a.wav", NULL);
  g_autoptr (GError) error = NULL;
  double d = 0;

  sk_test_write_wav (wav, 1.5);
  g_assert_true (sk_audio_probe (wav, &d, &error));
  g_assert_cmpfloat_with_epsilon (d, 1.5, 1e-9);
  sk_test_rmdir (dir);
}

/* The same white noise at two levels @db apart (and silence for @db < -200). */
static void
write_noise (const char *path, double seconds, int channels, double db)
{
  sk_test_write_noise (path, 44100, channels, seconds, db, 2463534242u);
}

static double
stored_loudness (SkStore *store, const char *title)
{
  sqlite3_stmt *stmt = sk_store_prepare (store, "SELECT loudness FROM songs WHERE title = ?1",
                                         NULL);
  double v = NAN;

  sqlite3_bind_text (stmt, 1, title, -1, SQLITE_STATIC);
  g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
  if (sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    v = sqlite3_column_double (stmt, 0);
  sqlite3_reset (stmt);
  return v;
}

/* The importer and the player take the same files (sk-defaults.h): at the
 * limits both accept, one channel more or a higher rate both refuse. */
static void
test_audio_limits_are_the_players (void)
{
  struct
  {
    int rate, channels;
    gboolean ok;
  } cases[] = {
    { SK_AUDIO_MAX_RATE, SK_AUDIO_MAX_CHANNELS, TRUE },
    { SK_AUDIO_MIN_RATE, 1, TRUE },
    { 48000, SK_AUDIO_MAX_CHANNELS + 1, FALSE },
    { 2 * SK_AUDIO_MAX_RATE, 2, FALSE },
  };
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *wav = g_build_filename (dir, "limit.wav", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) import_error = NULL;
      g_autoptr (GError) play_error = NULL;
      g_autoptr (SkAudioSource) source = NULL;
      double d = 0;
      gboolean imported;

      sk_test_write_noise (wav, cases[i].rate, cases[i].channels, 0.05, -20, 1u);
      imported = sk_audio_probe (wav, &d, &import_error);
      source = sk_audio_source_open (wav, 0, &play_error);
      g_test_message ("%d channels at %d Hz: import %s, player %s", cases[i].channels,
                      cases[i].rate, imported ? "takes it" : import_error->message,
                      source != NULL ? "plays it" : play_error->message);
      g_assert_cmpint (imported, ==, cases[i].ok);
      g_assert_cmpint (source != NULL, ==, cases[i].ok);
      if (!cases[i].ok)
        g_assert_error (play_error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_UNSUPPORTED);
    }
  sk_test_rmdir (dir);
}

/* A quiet and a loud version of one noise measure 12 dB apart, the rows
 * hold what was measured, and the gains bring both to the target. */
static void
test_loudness (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *lib = g_build_filename (dir, "library", NULL);
  g_autofree char *db = g_build_filename (dir, "kiosk.db", NULL);
  const char *names[] = { "loud", "quiet", "mono", "silent" };
  const double levels[] = { -12, -24, -24, -1000 };
  const int channels[] = { 2, 2, 1, 2 };
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  double loud, quiet, mono, d = 0, probed = 0;
  guint n = 0;

  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/%s.wav", lib, names[i]);
      g_autofree char *json = g_strdup_printf ("%s/%s.json", lib, names[i]);

      write_noise (wav, 3.0, channels[i], levels[i]);
      sk_test_write_sidecar (json, names[i], "[0.5,0.5,0.5,0.5,0.5]");
    }
  store = sk_store_open (db, &error);
  g_assert_no_error (error);
  g_assert_true (sk_import_dir (store, lib, &n, &problems, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (n, ==, 4);

  loud = stored_loudness (store, "loud");
  quiet = stored_loudness (store, "quiet");
  mono = stored_loudness (store, "mono");
  g_test_message ("loud %.2f LUFS, quiet %.2f LUFS, mono %.2f LUFS", loud, quiet, mono);
  g_assert_true (isfinite (loud) && isfinite (quiet) && isfinite (mono));
  g_assert_cmpfloat (loud, <, 0);
  g_assert_cmpfloat (loud, >, -30);
  g_assert_cmpfloat_with_epsilon (loud - quiet, 12.0, 0.5);
  /* mono counted as dual mono: as loud as the same level in stereo */
  g_assert_cmpfloat_with_epsilon (mono, quiet, 0.5);
  g_assert_true (isnan (stored_loudness (store, "silent")));

  /* the probe alone measures what the import stored */
  {
    g_autofree char *wav = g_strdup_printf ("%s/loud.wav", lib);

    g_assert_true (sk_audio_probe_loudness (wav, &d, &probed, &error));
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (d, 3.0, 1e-9);
    g_assert_cmpfloat_with_epsilon (probed, loud, 1e-9);
  }

  /* gains: both land on the target; clamped; nothing measured, no gain */
  g_assert_cmpfloat_with_epsilon (sk_loudness_gain_db (-23, loud) + loud, -23, 1e-9);
  g_assert_cmpfloat_with_epsilon (sk_loudness_gain_db (-23, quiet) + quiet, -23, 1e-9);
  g_assert_cmpfloat (sk_loudness_gain_db (-23, -60), ==, SK_LOUDNESS_MAX_GAIN_DB);
  g_assert_cmpfloat (sk_loudness_gain_db (-23, 0), ==, -SK_LOUDNESS_MAX_GAIN_DB);
  g_assert_cmpfloat (sk_loudness_gain_db (-23, NAN), ==, 0);

  /* the target setting */
  g_assert_cmpfloat (sk_loudness_target (store), ==, SK_LOUDNESS_TARGET_DEFAULT);
  g_assert_true (sk_store_set_setting (store, "loudness_target_lufs", "-18", &error));
  g_assert_cmpfloat (sk_loudness_target (store), ==, -18);
  g_assert_true (sk_store_set_setting (store, "loudness_target_lufs", "loud", &error));
  g_test_expect_message ("sk-settings", G_LOG_LEVEL_WARNING, "*loudness_target_lufs*");
  g_assert_cmpfloat (sk_loudness_target (store), ==, SK_LOUDNESS_TARGET_DEFAULT);
  g_test_assert_expected_messages ();

  g_clear_pointer (&store, sk_store_unref);
  sk_test_rmdir (dir);
}

/* A float WAV whose samples are NaN and infinities (damage, or a crafted
 * file): import refuses it with a sentence; the player's source, reading
 * it anyway (a file from the cache), gives only finite samples. Found by
 * tests/fuzz (fuzz-audio). */
static void
test_non_finite_samples (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "nan.wav", NULL);
  SF_INFO info = { .samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
  g_autofree float *buf = g_new0 (float, 2 * 48000);
  g_autofree float *out = g_new (float, 2 * 4096);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkAudioSource) source = NULL;
  double duration = 0, loudness = 0;
  SNDFILE *sf;
  gsize n, total = 0;

  for (guint i = 0; i < 2 * 48000; i++)
    buf[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : 1e38f;
  sf = sf_open (path, SFM_WRITE, &info);
  g_assert_nonnull (sf);
  g_assert_cmpint (sf_writef_float (sf, buf, 48000), ==, 48000);
  g_assert_cmpint (sf_close (sf), ==, 0);

  g_assert_false (sk_audio_probe_loudness (path, &duration, &loudness, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not numbers"));
  g_clear_error (&error);

  source = sk_audio_source_open (path, 12.0, &error);
  g_assert_no_error (error);
  while ((n = sk_audio_source_read (source, out, 4096)) > 0)
    {
      for (gsize i = 0; i < 2 * n; i++)
        if (!isfinite (out[i]))
          g_error ("frame %" G_GSIZE_FORMAT ": sample %g", total + i / 2, out[i]);
      total += n;
    }
  g_assert_cmpuint (total, ==, 48000);
  sk_test_rmdir (dir);
}

typedef struct
{
  const char *db;
  guint calls;
  guint refused;
} WriteProbe;

/* While the import reads files, another connection writes at once. */
static void
on_progress (guint done, guint total, const char *path, gpointer data)
{
  WriteProbe *probe = data;
  sqlite3 *other = NULL;
  char *msg = NULL;
  int rc;

  probe->calls++;
  g_assert_cmpuint (done, <=, total);
  g_assert_true (g_str_has_suffix (path, ".wav"));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (sqlite3_open_v2 (probe->db, &other, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (other, 0);
  rc = sqlite3_exec (other,
                     "BEGIN IMMEDIATE; "
                     "INSERT OR REPLACE INTO settings (key, value) VALUES ('volume', '0.5'); "
                     "COMMIT",
                     NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    {
      g_test_message ("file %u of %u: a write was refused: %s", done, total, msg);
      probe->refused++;
    }
  sqlite3_free (msg);
  sqlite3_close (other);
}

/* Files are read and measured with no transaction open, then written in
 * one short one: at each file read, another connection writes at once
 * (no busy wait). Import used to take BEGIN IMMEDIATE before reading the
 * first file, and a tap during a long import was refused "busy". */
static void
test_no_write_lock_while_reading (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *lib = g_build_filename (dir, "lib", NULL);
  g_autofree char *db = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  WriteProbe probe = { db, 0, 0 };
  guint n = 0;

  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/t%02u.wav", lib, i);
      g_autofree char *json = g_strdup_printf ("%s/t%02u.json", lib, i);

      sk_test_write_wav (wav, 0.1);
      sk_test_write_sidecar (json, "Track", "[0.5,0.5,0.5,0.5,0.5]");
    }
  store = sk_store_open (db, &error);
  g_assert_no_error (error);

  g_assert_true (sk_import_dir_full (store, lib, on_progress, &probe, &n, &problems, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (problems->len, ==, 0);
  g_assert_cmpuint (n, ==, 20);
  g_assert_cmpuint (probe.calls, ==, 20);
  g_assert_cmpuint (probe.refused, ==, 0);
  g_assert_cmpint (count_songs (store), ==, 20);
  g_assert_cmpint (sk_test_query_int (store, "SELECT count(*) FROM settings WHERE key = 'volume'"),
                   ==, 1);
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/import/bad-files-are-named-and-good-ones-imported", test_good_and_bad);
  g_test_add_func ("/core/import/missing-directory-is-an-error", test_missing_directory);
  g_test_add_func ("/core/import/no-write-lock-while-reading-files",
                   test_no_write_lock_while_reading);
  g_test_add_func ("/core/import/duration-comes-from-the-file", test_probe_duration);
  g_test_add_func ("/core/import/loudness-is-measured-and-stored", test_loudness);
  g_test_add_func ("/core/import/audio-limits-are-the-players", test_audio_limits_are_the_players);
  g_test_add_func ("/core/import/non-finite-samples-are-refused-and-never-played",
                   test_non_finite_samples);
  return g_test_run ();
}
