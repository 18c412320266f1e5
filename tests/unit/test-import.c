/* Importing a folder: good files in, bad files named with the reason, no
 * partial row. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sk-import.h"
#include "sk-test-util.h"

static int
count_songs (SkStore *store)
{
  sqlite3_stmt *stmt = sk_store_prepare (store, "SELECT count(*) FROM songs", NULL);
  int n;

  g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
  n = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

static const char *
reason_for (GPtrArray  *problems,
            const char *file)
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
put (const char *dir,
     const char *name,
     const char *embedding)
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
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SkStore) store = NULL;
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
  g_autoptr(GError) error = NULL;
  g_autoptr(SkStore) store = sk_store_open (db, &error);

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
  g_autoptr(GError) error = NULL;
  double d = 0;

  sk_test_write_wav (wav, 1.5);
  g_assert_true (sk_audio_probe (wav, &d, &error));
  g_assert_cmpfloat_with_epsilon (d, 1.5, 1e-9);
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/import/bad-files-are-named-and-good-ones-imported", test_good_and_bad);
  g_test_add_func ("/core/import/missing-directory-is-an-error", test_missing_directory);
  g_test_add_func ("/core/import/duration-comes-from-the-file", test_probe_duration);
  return g_test_run ();
}
