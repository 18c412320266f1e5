#include "config.h"

#include <glib/gstdio.h>

#include "sk-test-util.h"
#include "sk-util.h"

gint64
sk_test_clock_read (gpointer clock)
{
  return ((SkTestClock *) clock)->now;
}

char *
sk_test_mkdtemp (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sk-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
sk_test_rmdir (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        sk_test_rmdir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

SkEngine *
sk_test_engine_new (const char  *dir,
                    SkTestClock *clock)
{
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SkStore) store = sk_store_open (path, &error);
  SkEngine *engine;

  g_assert_no_error (error);
  engine = sk_engine_new (store, &error);
  g_assert_no_error (error);
  sk_engine_set_clock (engine, sk_test_clock_read, clock);
  return engine;
}

void
sk_test_add_song (SkStore      *store,
                  const char   *id,
                  const double  embedding[SK_DIM])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *emb = sk_vec_format (embedding);
  g_autofree char *url = g_strdup_printf ("file:///songs/%s.wav", id);
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (store,
                           "INSERT INTO songs (id, title, file_url, embedding, duration, created_at, updated_at) "
                           "VALUES (?1, ?1, ?2, ?3, 30, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
                           &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, url, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, emb, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (store, stmt, &error));
  g_assert_no_error (error);
}

char *
sk_test_ctl_path (void)
{
  const char *b = g_getenv ("G_TEST_BUILDDIR");

  g_assert_nonnull (b);
  return g_build_filename (b, "..", "src", "ctl", "soundscape-ctl", NULL);
}
