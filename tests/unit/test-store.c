/* SkStore: migrations, connection settings, and failures a person can act
 * on: a damaged file, a missing directory, a newer schema, a full disk. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sk-songs.h"
#include "sk-store.h"
#include "sk-test-util.h"

static int
query_int (SkStore *store, const char *sql)
{
  return sk_test_query_int (store, sql);
}

static void
test_fresh_database (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "sub", "dir", "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);
  sqlite3_stmt *stmt;

  g_assert_no_error (error);
  g_assert_cmpint (sk_store_get_schema_version (store), ==, sk_store_get_latest_schema_version ());
  g_assert_cmpint (query_int (store, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (query_int (store, "PRAGMA synchronous"), ==, 2);
  stmt = sk_store_prepare (store, "PRAGMA journal_mode", NULL);
  g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
  g_assert_cmpstr (sk_store_column_text (stmt, 0), ==, "wal");
  sqlite3_reset (stmt);
  /* the seed's tables and the additions */
  g_assert_cmpint (
      query_int (store,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                 "('profiles','roles','songs','votes','sessions','players','player_library',"
                 "'player_queue','songs_playing','badges','outbox','sync_state','settings','media')"),
      ==, 14);
  g_clear_pointer (&store, sk_store_unref);
  sk_test_rmdir (dir);
}

static void
test_reopen_keeps_data (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  SkStore *store = sk_store_open (path, &error);
  g_autofree char *value = NULL;

  g_assert_no_error (error);
  g_assert_true (sk_store_set_setting (store, "strategy", "least_misery", &error));
  sk_store_unref (store);
  store = sk_store_open (path, &error);
  g_assert_no_error (error);
  value = sk_store_dup_setting (store, "strategy");
  g_assert_cmpstr (value, ==, "least_misery");
  sk_store_unref (store);
  sk_test_rmdir (dir);
}

static void
test_garbage_file_is_corrupt (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *garbage = g_strnfill (8192, 'x');
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;

  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));
  store = sk_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));
  /* the damaged file is left as it was, for a person to look at */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, garbage);
  sk_test_rmdir (dir);
}

static void
test_directory_that_cannot_exist (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *file = g_build_filename (dir, "plain-file", NULL);
  g_autofree char *path = g_build_filename (file, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;

  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  store = sk_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CANNOT_OPEN);
  sk_test_rmdir (dir);
}

static void
test_newer_schema_refused (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  SkStore *store = sk_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (sk_store_exec (store, "PRAGMA user_version = 999", &error));
  sk_store_unref (store);
  store = sk_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_TOO_NEW);
  sk_test_rmdir (dir);
}

static void
test_full_disk_saves_nothing (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *big = g_strnfill (64 * 1024, 'y');
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);
  int pages = query_int (store, "PRAGMA page_count");
  g_autofree char *limit = g_strdup_printf ("PRAGMA max_page_count = %d", pages + 4);
  gboolean ok = TRUE;

  g_assert_no_error (error);
  /* max_page_count makes SQLite meet a full disk for real: SQLITE_FULL */
  g_assert_true (sk_store_exec (store, limit, &error));
  g_assert_true (sk_store_begin (store, &error));
  for (int i = 0; i < 20 && ok; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);

      ok = sk_store_set_setting (store, key, big, &error);
    }
  g_assert_false (ok);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FULL);
  sk_store_rollback (store);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM settings WHERE key LIKE 'k%'"), ==, 0);
  sk_test_rmdir (dir);
}

static void
test_read_only_connection (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (sk_store_exec (store, "PRAGMA query_only = 1", &error));
  g_assert_false (sk_store_set_setting (store, "a", "b", &error));
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY);
  sk_test_rmdir (dir);
}

static void
test_nested_rollback (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);

  g_assert_true (sk_store_begin (store, &error));
  g_assert_true (sk_store_set_setting (store, "outer", "1", &error));
  g_assert_true (sk_store_begin (store, &error));
  g_assert_true (sk_store_set_setting (store, "inner", "1", &error));
  sk_store_rollback (store);
  g_assert_false (sk_store_commit (store, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (query_int (store, "SELECT count(*) FROM settings"), ==, 0);
  sk_test_rmdir (dir);
}

static void
test_bad_sql_is_an_error (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);

  g_assert_null (sk_store_prepare (store, "SELEKT nothing", &error));
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FAILED);
  sk_test_rmdir (dir);
}

/* The library as the CLI reads it: listed by title, one song by id, the
 * counts of a status. */
static void
test_songs_read (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);
  g_autoptr (GPtrArray) songs = NULL;
  g_autoptr (SkSong) song = NULL;
  static const double e[SK_DIM] = { 0.1, 0.2, 0.3, 0.4, 0.5 };
  guint n_songs = 99, n_unsynced = 99;

  g_assert_no_error (error);
  g_assert_true (sk_songs_count (store, &n_songs, &n_unsynced, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_songs, ==, 0);
  g_assert_cmpuint (n_unsynced, ==, 0);
  sk_test_add_song (store, "zeta", e);
  sk_test_add_song (store, "alpha", e);
  g_assert_true (sk_store_outbox_add (store, "vote", "v1", "{}", 0, &error));
  g_assert_true (sk_songs_count (store, &n_songs, &n_unsynced, &error));
  g_assert_cmpuint (n_songs, ==, 2);
  g_assert_cmpuint (n_unsynced, ==, 1);

  songs = sk_songs_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (songs->len, ==, 2);
  g_assert_cmpstr (((SkSong *) songs->pdata[0])->id, ==, "alpha");
  g_assert_cmpstr (((SkSong *) songs->pdata[1])->title, ==, "zeta");

  song = sk_songs_lookup (store, "zeta", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (song->file_url, ==, "file:///songs/zeta.wav");
  g_assert_null (song->sha256);
  g_assert_cmpint (song->duration, ==, 30);
  g_assert_true (song->playable);
  g_clear_pointer (&song, sk_song_free);
  song = sk_songs_lookup (store, "nope", &error);
  g_assert_null (song);
  g_assert_error (error, SK_SONGS_ERROR, SK_SONGS_ERROR_NOT_FOUND);
  sk_test_rmdir (dir);
}

/* A database from a newer version, still in the journal mode it was
 * written in: refused, and not one byte of it changed. */
static void
test_newer_schema_untouched (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize len_before = 0, len_after = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "PRAGMA journal_mode = DELETE; CREATE TABLE future (x); "
                                 "PRAGMA user_version = 999",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_true (g_file_get_contents (path, &before, &len_before, NULL));

  store = sk_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_TOO_NEW);
  g_assert_true (g_file_get_contents (path, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  sk_test_rmdir (dir);
}

static void
test_missing_is_not_created (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *typo_dir = g_build_filename (dir, "typo", NULL);
  g_autofree char *path = g_build_filename (typo_dir, "kiosk.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;

  for (guint i = 0; i < 2; i++)
    {
      SkStoreOpenFlags flags = i == 0 ? SK_STORE_OPEN_EXISTING : SK_STORE_OPEN_READ_ONLY;

      store = sk_store_open_full (path, flags, &error);
      g_assert_null (store);
      g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_MISSING);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
    }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (typo_dir, G_FILE_TEST_EXISTS));
  sk_test_rmdir (dir);
}

/* Read-only: opens a file that cannot be written, and refuses to write. */
static void
test_read_only_open (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "kiosk.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *value = NULL;
  gsize len_before = 0, len_after = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (sk_store_set_setting (store, "strategy", "least_misery", &error));
  g_clear_pointer (&store, sk_store_unref);
  g_assert_cmpint (g_chmod (path, 0444), ==, 0);
  g_assert_true (g_file_get_contents (path, &before, &len_before, NULL));

  store = sk_store_open_full (path, SK_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_true (sk_store_is_read_only (store));
  value = sk_store_dup_setting (store, "strategy");
  g_assert_cmpstr (value, ==, "least_misery");
  g_assert_false (sk_store_begin (store, &error));
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_false (sk_store_set_setting (store, "strategy", "average", &error));
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY);
  g_clear_pointer (&store, sk_store_unref);
  g_assert_true (g_file_get_contents (path, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  sk_test_rmdir (dir);
}

static void
test_default_path (void)
{
  g_autofree char *path = NULL;

  /* the unit's StateDirectory, whatever prefix the build was configured with */
  g_unsetenv ("STATE_DIRECTORY");
  path = sk_store_default_path ();
  g_assert_cmpstr (path, ==, "/var/lib/soundscape-kiosk/soundscape.db");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/store/fresh-database-has-the-schema-and-settings", test_fresh_database);
  g_test_add_func ("/core/store/reopen-keeps-data", test_reopen_keeps_data);
  g_test_add_func ("/core/store/garbage-file-is-reported-damaged-and-left-alone",
                   test_garbage_file_is_corrupt);
  g_test_add_func ("/core/store/impossible-directory-is-reported",
                   test_directory_that_cannot_exist);
  g_test_add_func ("/core/store/newer-schema-is-refused", test_newer_schema_refused);
  g_test_add_func ("/core/store/full-disk-saves-nothing", test_full_disk_saves_nothing);
  g_test_add_func ("/core/store/read-only-is-reported", test_read_only_connection);
  g_test_add_func ("/core/store/inner-rollback-rolls-back-everything", test_nested_rollback);
  g_test_add_func ("/core/store/bad-sql-is-an-error", test_bad_sql_is_an_error);
  g_test_add_func ("/core/store/songs-listed-looked-up-and-counted", test_songs_read);
  g_test_add_func ("/core/store/newer-schema-is-refused-before-anything-changes",
                   test_newer_schema_untouched);
  g_test_add_func ("/core/store/missing-database-is-not-created", test_missing_is_not_created);
  g_test_add_func ("/core/store/read-only-open-reads-and-never-writes", test_read_only_open);
  g_test_add_func ("/core/store/default-path-is-the-state-directory", test_default_path);
  return g_test_run ();
}
