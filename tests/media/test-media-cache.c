/* The media cache against a real nginx on loopback.
 *
 * Each test starts its own nginx (daemon off, everything under the test's
 * temporary directory, a free loopback port) serving files the test
 * writes, and stops it by its process id. nginx cannot send a body shorter
 * than the Content-Length it announced, so the truncated-body test uses a
 * small loopback server of its own (GThreadedSocketService) that does
 * exactly that and closes the connection. Every wait is bounded: a test
 * fails rather than hangs. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "sk-media-cache.h"
#include "sk-store.h"
#include "sk-test-nginx.h"
#include "sk-test-util.h"

/* a bound, stretched for a slow build (SK_TEST_TIME_FACTOR) */
#define WAIT_SECONDS ((int) (20 * sk_test_time_factor ()))

typedef enum
{
  NGINX_PLAIN,
  NGINX_SLOW,      /* limit_rate: a transfer that takes long enough to break */
  NGINX_NO_RANGES, /* max_ranges 0: Range ignored, 200 with the whole file */
  NGINX_TLS,       /* https with a self-signed certificate nobody trusts */
} NginxMode;

typedef struct
{
  gboolean skip;
  SkTestNginx nginx;
  char *tmp;
  char *www;
  char *cache_dir;
  SkStore *store;
  SkMediaCache *cache;
} Fixture;

/* ------------------------------------------------------------------ nginx */

/* nginx (sk-test-nginx.h) serving f->www, with what a storage server
 * answers for a missing object or a bad signature, and a broken path. */
static void
nginx_start (Fixture *f, NginxMode mode)
{
  g_autofree char *server = NULL;
  const char *extra = "";

  if (mode == NGINX_SLOW)
    extra = "limit_rate 32k;";
  else if (mode == NGINX_NO_RANGES)
    extra = "max_ranges 0;";
  server = g_strdup_printf ("    location / { %s }\n"
                            "    location /storage/v1/object/public/songs/ {\n"
                            "      default_type application/json;\n"
                            "      return 400 '{\"statusCode\":\"404\",\"error\":\"not_found\","
                            "\"message\":\"Object not found\"}';\n"
                            "    }\n"
                            "    location /storage/v1/object/sign/songs/ {\n"
                            "      default_type application/json;\n"
                            "      return 400 '{\"statusCode\":\"403\",\"error\":\"Unauthorized\","
                            "\"message\":\"invalid signature\"}';\n"
                            "    }\n"
                            "    location /broken/ { return 503; }",
                            extra);
  sk_test_nginx_start (&f->nginx, mode == NGINX_TLS, server);
}

/* -------------------------------------------------------------- fixtures */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *db = NULL;

  f->tmp = g_dir_make_tmp ("sk-media-XXXXXX", &error);
  g_assert_no_error (error);
  if (!sk_test_nginx_init (&f->nginx, f->tmp))
    {
      f->skip = TRUE;
      return;
    }
  f->www = g_build_filename (f->tmp, "www", NULL);
  f->cache_dir = g_build_filename (f->tmp, "cache", NULL);
  db = g_build_filename (f->tmp, "test.db", NULL);
  f->store = sk_store_open (db, &error);
  g_assert_no_error (error);
  f->cache = sk_media_cache_new (f->store, f->cache_dir, 0);
  nginx_start (f, NGINX_PLAIN);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->cache != NULL)
    {
      /* Nothing may still run: a download holds a reference. */
      sk_media_cache_prefetch (f->cache, NULL, 0);
      g_assert_false (sk_media_cache_is_busy (f->cache));
      g_assert_finalize_object (f->cache);
      /* The session closes its connections from the main context. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_clear_pointer (&f->store, sk_store_unref);
  sk_test_nginx_clear (&f->nginx);
  sk_test_rmdir (f->tmp);
  g_free (f->tmp);
  g_free (f->www);
  g_free (f->cache_dir);
}

#define SKIP_WITHOUT_NGINX(f)                                                  \
  G_STMT_START                                                                 \
  {                                                                            \
    if ((f)->skip)                                                             \
      {                                                                        \
        g_test_skip ("nginx is not installed (package nginx or nginx-light): " \
                     "the media cache tests need a real web server");          \
        return;                                                                \
      }                                                                        \
  }                                                                            \
  G_STMT_END

/* --------------------------------------------------------------- helpers */

/* A served file of @size pseudo-random bytes; returns its SHA-256. */
static char *
serve_file (Fixture *f, const char *name, gsize size, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->www, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, &error));
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
}

static char *
url_for (Fixture *f, const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u/%s", (guint) f->nginx.port, path);
}

static void
add_song (Fixture *f, const char *id, const char *file_url, const char *sha256)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (f->store,
                           "INSERT INTO songs (id, title, file_url, embedding, sha256, "
                           "  created_at, updated_at) "
                           "VALUES (?1, ?1, ?2, '[0.5,0.5,0.5,0.5,0.5]', ?3, "
                           "'2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
                           &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, file_url, -1, SQLITE_STATIC);
  if (sha256 != NULL)
    sqlite3_bind_text (stmt, 3, sha256, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (f->store, stmt, &error));
  g_assert_no_error (error);
}

/* Serves @name (@size bytes from @seed) as the song @song_id, its SHA-256
 * known; returns that SHA-256 and the song's URL in @url. */
static char *
serve_song (Fixture *f, const char *song_id, const char *name, gsize size, guint32 seed, char **url)
{
  char *sha = serve_file (f, name, size, seed);

  *url = url_for (f, name);
  add_song (f, song_id, *url, sha);
  return sha;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_until (gboolean *done, const char *what)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (WAIT_SECONDS, on_timeout, &timed_out);

  while (!*done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("Timed out after %d s waiting for %s", WAIT_SECONDS, what);
  g_source_remove (id);
}

typedef struct
{
  gboolean done;
  char *path;
  GError *error;
} FetchResult;

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FetchResult *r = user_data;

  r->path = sk_media_cache_fetch_finish (SK_MEDIA_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static char *
fetch (Fixture *f,
       const char *song_id,
       const char *url,
       const char *sha256,
       gint64 expected,
       GCancellable *cancellable,
       GError **error)
{
  FetchResult r = { 0 };

  sk_media_cache_fetch_async (f->cache, song_id, url, sha256, expected, cancellable, on_fetched,
                              &r);
  run_until (&r.done, "a fetch");
  g_assert_true ((r.path == NULL) != (r.error == NULL));
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.path;
}

static gint64
media_rows (Fixture *f, const char *song_id)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt = sk_store_prepare (f->store, "SELECT count(*) FROM media WHERE song_id = ?1",
                                         &error);
  gint64 n;

  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sk_store_step (f->store, stmt, &error), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

static char *
media_column (Fixture *f, const char *song_id, const char *column)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM media WHERE song_id = ?1", column);
  sqlite3_stmt *stmt = sk_store_prepare (f->store, sql, &error);
  char *value = NULL;

  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  if (sk_store_step (f->store, stmt, &error) == SQLITE_ROW)
    value = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

static char *
final_path (Fixture *f, const char *song_id, const char *url)
{
  g_autoptr (GError) error = NULL;
  char *path = sk_media_cache_build_path (f->cache, song_id, url, &error);

  g_assert_no_error (error);
  return path;
}

static char *
part_path (Fixture *f, const char *song_id, const char *url)
{
  g_autofree char *final = final_path (f, song_id, url);

  return g_strconcat (final, ".part", NULL);
}

/* After any failure: nothing under the good name, no row. */
static void
assert_not_cached (Fixture *f, const char *song_id, const char *url)
{
  g_autofree char *final = final_path (f, song_id, url);
  g_autoptr (GError) error = NULL;
  g_autofree char *playable = NULL;

  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  g_assert_cmpint (media_rows (f, song_id), ==, 0);
  playable = sk_media_cache_dup_playable_path (f->cache, song_id, url, &error);
  g_assert_null (playable);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

/* No .part of @url is left for @song_id. */
static void
assert_no_part (Fixture *f, const char *song_id, const char *url)
{
  g_autofree char *part = part_path (f, song_id, url);

  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
}

static gint64
size_of (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return st.st_size;
}

static char *
sha256_of_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) data, len);
}

static void
assert_file_sha256 (const char *path, const char *sha256)
{
  g_autofree char *actual = sha256_of_file (path);

  g_assert_cmpstr (actual, ==, sha256);
}

/* The access log lines for @uri ("uri|status|range|if-range|if-none-match|bytes"),
 * waiting (bounded) until there are at least @n: nginx writes the line
 * just after the response. */
static char **
log_lines (Fixture *f, const char *uri, guint n)
{
  g_autofree char *log_path = g_build_filename (f->tmp, "access.log", NULL);
  GPtrArray *found = NULL;

  for (guint waited = 0; waited <= 2000; waited += 10)
    {
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;
      g_autofree char *prefix = g_strconcat (uri, "|", NULL);

      g_clear_pointer (&found, g_ptr_array_unref);
      found = g_ptr_array_new_with_free_func (g_free);
      if (g_file_get_contents (log_path, &text, NULL, NULL))
        {
          lines = g_strsplit (text, "\n", -1);
          for (guint i = 0; lines[i] != NULL; i++)
            if (g_str_has_prefix (lines[i], prefix))
              g_ptr_array_add (found, g_strdup (lines[i]));
        }
      if (found->len >= n)
        break;
      g_usleep (10000);
    }
  g_ptr_array_add (found, NULL);
  return (char **) g_ptr_array_free (found, FALSE);
}

/* ----------------------------------------------------------------- tests */

static void
test_plain_download (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expect = NULL;
  g_autofree char *playable = NULL;
  g_autofree char *row_sha = NULL;
  g_autofree char *row_etag = NULL;
  g_autofree char *row_bytes = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_file (f, "rain.flac", 300 * 1024 + 7, 1);
  url = url_for (f, "rain.flac?token=secret");
  add_song (f, "song-rain", url, sha);

  path = fetch (f, "song-rain", url, sha, 300 * 1024 + 7, NULL, &error);
  g_assert_no_error (error);
  expect = final_path (f, "song-rain", url);
  g_assert_cmpstr (path, ==, expect);
  g_assert_true (g_str_has_suffix (path, "/song-rain.flac"));
  g_assert_cmpint (size_of (path), ==, 300 * 1024 + 7);
  assert_file_sha256 (path, sha);
  assert_no_part (f, "song-rain", url);

  row_sha = media_column (f, "song-rain", "sha256");
  row_etag = media_column (f, "song-rain", "etag");
  row_bytes = media_column (f, "song-rain", "bytes");
  g_assert_cmpstr (row_sha, ==, sha);
  g_assert_nonnull (row_etag);
  g_assert_cmpstr (row_bytes, ==, "307207");
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 300 * 1024 + 7);

  playable = sk_media_cache_dup_playable_path (f->cache, "song-rain", url, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (playable, ==, path);
}

typedef struct
{
  const char *part;
  gint64 threshold;
  Fixture *f;
  GCancellable *cancellable; /* cancel it, or else stop nginx */
  gint64 seen;
} Breaker;

/* Once the .part holds @threshold bytes, the transfer breaks: the server
 * goes away mid-body (or the fetch is cancelled). */
static gboolean
break_when_halfway (gpointer user_data)
{
  Breaker *b = user_data;
  gint64 size = size_of (b->part);

  if (size < b->threshold)
    return G_SOURCE_CONTINUE;
  b->seen = size;
  if (b->cancellable != NULL)
    g_cancellable_cancel (b->cancellable);
  else
    sk_test_nginx_stop (&b->f->nginx, SIGTERM); /* fast shutdown: open connections are dropped */
  return G_SOURCE_REMOVE;
}

/* Starts a fetch of @url from a slow nginx and breaks it mid-way; returns
 * the error and leaves the .part behind. */
static void
interrupt_download (Fixture *f,
                    const char *song_id,
                    const char *url,
                    const char *sha,
                    gint64 expected,
                    gboolean by_cancel,
                    GError **error)
{
  g_autofree char *part = part_path (f, song_id, url);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Breaker b = { part, 16 * 1024, f, by_cancel ? cancellable : NULL, 0 };
  FetchResult r = { 0 };
  guint id;

  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_SLOW);
  id = g_timeout_add (5, break_when_halfway, &b);
  sk_media_cache_fetch_async (f->cache, song_id, url, sha, expected, cancellable, on_fetched, &r);
  run_until (&r.done, "an interrupted fetch");
  if (b.seen == 0)
    g_source_remove (id);
  g_assert_null (r.path);
  g_assert_cmpint (b.seen, >=, 16 * 1024);
  g_propagate_error (error, r.error);
}

static void
test_resume_after_broken_connection (Fixture *f, gconstpointer data)
{
  const gsize size = 512 * 1024;
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *part = NULL;
  g_autofree char *path = NULL;
  g_autofree char *range = NULL;
  g_autofree char *sent = NULL;
  g_auto (GStrv) lines = NULL;
  gint64 kept;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-thunder", "thunder.ogg", size, 2, &url);
  part = part_path (f, "song-thunder", url);

  interrupt_download (f, "song-thunder", url, sha, (gint64) size, FALSE, &error);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, url));
  g_clear_error (&error);
  assert_not_cached (f, "song-thunder", url);
  kept = size_of (part);
  g_test_message ("the broken transfer left %" G_GINT64_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                  kept, size);
  g_assert_cmpint (kept, >, 0);
  g_assert_cmpint (kept, <, (gint64) size);

  /* The server comes back (at full speed); the fetch resumes. */
  nginx_start (f, NGINX_PLAIN);
  path = fetch (f, "song-thunder", url, sha, (gint64) size, NULL, &error);
  g_assert_no_error (error);
  assert_file_sha256 (path, sha);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* The second request asked for the rest only, conditionally, and got it. */
  lines = log_lines (f, "/thunder.ogg", 1);
  g_assert_cmpuint (g_strv_length (lines), >=, 1);
  range = g_strdup_printf ("/thunder.ogg|206|bytes=%" G_GINT64_FORMAT "-|\"", kept);
  sent = g_strdup_printf ("|%" G_GINT64_FORMAT, (gint64) size - kept);
  g_assert_true (g_str_has_prefix (lines[g_strv_length (lines) - 1], range));
  g_assert_true (g_str_has_suffix (lines[g_strv_length (lines) - 1], sent));
}

static void
test_cancel_keeps_part_and_resumes (Fixture *f, gconstpointer data)
{
  const gsize size = 256 * 1024;
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *part = NULL;
  g_autofree char *path = NULL;
  g_autofree char *range = NULL;
  g_auto (GStrv) lines = NULL;
  gint64 kept;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-wind", "wind.wav", size, 3, &url);
  part = part_path (f, "song-wind", url);

  interrupt_download (f, "song-wind", url, sha, (gint64) size, TRUE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  assert_not_cached (f, "song-wind", url);
  kept = size_of (part);
  g_assert_cmpint (kept, >, 0);

  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_PLAIN);
  path = fetch (f, "song-wind", url, sha, (gint64) size, NULL, &error);
  g_assert_no_error (error);
  assert_file_sha256 (path, sha);
  lines = log_lines (f, "/wind.wav", 1);
  range = g_strdup_printf ("/wind.wav|206|bytes=%" G_GINT64_FORMAT "-|", kept);
  g_assert_true (g_str_has_prefix (lines[g_strv_length (lines) - 1], range));
}

static void
test_resume_restarts_when_file_changed (Fixture *f, gconstpointer data)
{
  const gsize size = 256 * 1024;
  g_autoptr (GError) error = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *new_sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_auto (GStrv) lines = NULL;
  const char *served;

  SKIP_WITHOUT_NGINX (f);
  old_sha = serve_file (f, "fire.opus", size, 4);
  url = url_for (f, "fire.opus");
  add_song (f, "song-fire", url, NULL);

  interrupt_download (f, "song-fire", url, NULL, -1, TRUE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* A new version on the server: another size, hence another ETag. */
  new_sha = serve_file (f, "fire.opus", size + 1000, 5);
  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_PLAIN);
  path = fetch (f, "song-fire", url, new_sha, -1, NULL, &error);
  g_assert_no_error (error);
  assert_file_sha256 (path, new_sha);
  g_assert_cmpint (size_of (path), ==, (gint64) size + 1000);

  /* It asked for the rest under If-Range; nginx saw the old ETag and sent
   * the whole new file. */
  lines = log_lines (f, "/fire.opus", 1);
  served = lines[g_strv_length (lines) - 1];
  g_assert_true (g_str_has_prefix (served, "/fire.opus|200|bytes="));
  g_assert_nonnull (strstr (served, "|\""));
}

static void
test_server_ignoring_range (Fixture *f, gconstpointer data)
{
  const gsize size = 256 * 1024;
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_auto (GStrv) lines = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-waves", "waves.mp3", size, 6, &url);

  interrupt_download (f, "song-waves", url, sha, (gint64) size, TRUE, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_NO_RANGES);
  path = fetch (f, "song-waves", url, sha, (gint64) size, NULL, &error);
  g_assert_no_error (error);
  assert_file_sha256 (path, sha);
  lines = log_lines (f, "/waves.mp3", 1);
  g_assert_true (g_str_has_prefix (lines[g_strv_length (lines) - 1], "/waves.mp3|200|bytes="));
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  url = url_for (f, "missing.flac");
  add_song (f, "song-missing", url, NULL);
  path = fetch (f, "song-missing", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_NOT_ON_SERVER);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_nonnull (strstr (error->message, "404"));
  assert_not_cached (f, "song-missing", url);
  assert_no_part (f, "song-missing", url);
}

static void
test_storage_400_with_404_body (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url_denied = NULL;
  g_autofree char *denied = NULL;

  SKIP_WITHOUT_NGINX (f);
  url = url_for (f, "storage/v1/object/public/songs/gone.ogg");
  add_song (f, "song-gone", url, NULL);
  path = fetch (f, "song-gone", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_NOT_ON_SERVER);
  g_assert_nonnull (strstr (error->message, "HTTP 400"));
  g_assert_nonnull (strstr (error->message, "Object not found"));
  assert_not_cached (f, "song-gone", url);

  /* A 400 whose body says something else is the refusal it is. */
  g_clear_error (&error);
  url_denied = url_for (f, "storage/v1/object/sign/songs/denied.ogg?token=abc");
  add_song (f, "song-denied", url_denied, NULL);
  denied = fetch (f, "song-denied", url_denied, NULL, -1, NULL, &error);
  g_assert_null (denied);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "HTTP 400"));
  g_assert_null (strstr (error->message, "token")); /* the query may hold a secret */
  assert_not_cached (f, "song-denied", url_denied);
}

static void
test_server_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  url = url_for (f, "broken/song.ogg");
  add_song (f, "song-5xx", url, NULL);
  path = fetch (f, "song-5xx", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "503"));
  assert_not_cached (f, "song-5xx", url);
}

static void
test_dead_network (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  /* A loopback port nobody listens on. */
  url = g_strdup_printf ("http://127.0.0.1:%u/song.ogg", (guint) sk_test_free_port ());
  add_song (f, "song-offline", url, NULL);
  path = fetch (f, "song-offline", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, url));
  assert_not_cached (f, "song-offline", url);
}

/* The short-body server: announces 100000 bytes, sends 40000, closes. */
static gboolean
on_short_body_run (GThreadedSocketService *service,
                   GSocketConnection *connection,
                   GObject *source,
                   gpointer user_data)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr (GString) request = g_string_new (NULL);
  g_autofree char *body = g_malloc0 (40000);
  const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: 100000\r\nConnection: close\r\n\r\n";
  char buf[1024];

  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  while (strstr (request->str, "\r\n\r\n") == NULL && request->len < 16384)
    {
      gssize n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL);

      if (n <= 0)
        return TRUE;
      g_string_append_len (request, buf, n);
    }
  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  g_output_stream_write_all (out, body, 40000, NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
test_truncated_body (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketService) service = g_threaded_socket_service_new (2);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (service), any,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                                &bound, &error));
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (on_short_body_run), NULL);
  g_socket_service_start (service);

  url = g_strdup_printf ("http://127.0.0.1:%u/short.ogg",
                         (guint) g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  add_song (f, "song-short", url, NULL);
  path = fetch (f, "song-short", url, NULL, -1, NULL, &error);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, url));
  assert_not_cached (f, "song-short", url);
  /* No ETag, no Last-Modified: nothing to resume against, so no .part. */
  assert_no_part (f, "song-short", url);
}

static void
test_wrong_length (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-len", "short.wav", 10000, 7, &url);
  path = fetch (f, "song-len", url, sha, 10001, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH);
  g_assert_nonnull (strstr (error->message, "10001"));
  assert_not_cached (f, "song-len", url);
  assert_no_part (f, "song-len", url);
}

static void
test_wrong_sha256 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *other = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_file (f, "rain.wav", 20000, 8);
  other = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "something else", -1);
  url = url_for (f, "rain.wav");
  add_song (f, "song-sha", url, other);
  path = fetch (f, "song-sha", url, other, 20000, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_CHECKSUM);
  g_assert_nonnull (strstr (error->message, sha));
  g_assert_nonnull (strstr (error->message, other));
  assert_not_cached (f, "song-sha", url);
  assert_no_part (f, "song-sha", url);
}

/* A 3 GiB file (sparse: it costs no disk) is refused on its Content-Length,
 * before a byte of it is stored. */
static void
test_refuses_absurd_size (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *served = g_build_filename (f->www, "huge.wav", NULL);
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  int fd;

  SKIP_WITHOUT_NGINX (f);
  fd = g_open (served, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, G_GINT64_CONSTANT (3) << 30), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  url = url_for (f, "huge.wav");
  add_song (f, "song-huge", url, NULL);
  path = fetch (f, "song-huge", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "3221225472"));
  assert_not_cached (f, "song-huge", url);
  assert_no_part (f, "song-huge", url);

  /* The refused transfer's connection is dropped, not left with the server
   * sending into it: nginx's graceful stop waits for open requests. */
  {
    gboolean later = FALSE;

    g_timeout_add (100, on_timeout, &later);
    run_until (&later, "the loop to settle");
  }
  g_assert_true (sk_test_nginx_stop (&f->nginx, SIGQUIT));
}

static void
test_etag_revalidation (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *new_sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *row_sha = NULL;
  g_autofree char *expect = NULL;
  g_auto (GStrv) lines = NULL;
  GStatBuf before, after;

  SKIP_WITHOUT_NGINX (f);
  sk_media_cache_set_revalidate_after (f->cache, 0);
  sha = serve_file (f, "birds.ogg", 50000, 9);
  url = url_for (f, "birds.ogg");
  add_song (f, "song-birds", url, NULL);

  first = fetch (f, "song-birds", url, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  etag = media_column (f, "song-birds", "etag");
  g_assert_nonnull (etag);
  g_assert_cmpint (g_stat (first, &before), ==, 0);

  second = fetch (f, "song-birds", url, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, first);
  g_assert_cmpint (g_stat (second, &after), ==, 0);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino); /* kept, not rewritten */
  lines = log_lines (f, "/birds.ogg", 2);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  expect = g_strdup_printf ("/birds.ogg|304|||%s|0", etag);
  g_assert_cmpstr (lines[1], ==, expect);
  g_clear_pointer (&lines, g_strfreev);

  /* A changed file: a 200 with the new bytes replaces the cached one. */
  new_sha = serve_file (f, "birds.ogg", 60000, 10);
  third = fetch (f, "song-birds", url, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  assert_file_sha256 (third, new_sha);
  row_sha = media_column (f, "song-birds", "sha256");
  g_assert_cmpstr (row_sha, ==, new_sha);
  lines = log_lines (f, "/birds.ogg", 3);
  g_assert_true (g_str_has_prefix (lines[2], "/birds.ogg|200|||\""));
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 60000);
}

static void
test_known_sha256_is_not_asked_again (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_auto (GStrv) lines = NULL;

  SKIP_WITHOUT_NGINX (f);
  sk_media_cache_set_revalidate_after (f->cache, 0);
  sha = serve_song (f, "song-stream", "stream.flac", 30000, 11, &url);
  first = fetch (f, "song-stream", url, sha, -1, NULL, &error);
  g_assert_no_error (error);
  second = fetch (f, "song-stream", url, sha, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, second);
  lines = log_lines (f, "/stream.flac", 1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
}

/* Three files of 10000 bytes in a cache of 25000. */
static void
fetch_three (Fixture *f, gboolean protect, GError **error_c)
{
  const char *names[] = { "a", "b", "c" };

  sk_media_cache_set_max_bytes (f->cache, 25000);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *file = g_strconcat (names[i], ".wav", NULL);
      g_autofree char *id = g_strconcat ("song-", names[i], NULL);
      g_autofree char *sha = serve_file (f, file, 10000, 20 + i);
      g_autofree char *url = url_for (f, file);
      g_autofree char *path = NULL;

      add_song (f, id, url, sha);
      path = fetch (f, id, url, sha, 10000, NULL, &error);
      if (i < 2)
        g_assert_no_error (error);
      else if (error != NULL)
        g_propagate_error (error_c, g_steal_pointer (&error));
      if (i == 1)
        {
          /* a played after b was fetched: b is the least recently played */
          sk_media_cache_mark_played (f->cache, "song-a", g_get_real_time () + G_USEC_PER_SEC);
          if (protect)
            sk_media_cache_set_protected (f->cache, "song-b", NULL);
        }
    }
}

static void
test_evicts_least_recently_played (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url_b = NULL;

  SKIP_WITHOUT_NGINX (f);
  fetch_three (f, FALSE, &error);
  g_assert_no_error (error);
  url_b = url_for (f, "b.wav");
  assert_not_cached (f, "song-b", url_b);
  g_assert_cmpint (media_rows (f, "song-a"), ==, 1);
  g_assert_cmpint (media_rows (f, "song-c"), ==, 1);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 20000);
}

static void
test_never_evicts_protected (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url_a = NULL;
  g_autofree char *url_c = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  /* b is protected (playing), so a goes although it played more recently. */
  fetch_three (f, TRUE, &error);
  g_assert_no_error (error);
  url_a = url_for (f, "a.wav");
  assert_not_cached (f, "song-a", url_a);
  g_assert_cmpint (media_rows (f, "song-b"), ==, 1);
  g_assert_cmpint (media_rows (f, "song-c"), ==, 1);

  /* With b playing and c next, a cannot come back: the cache is full. */
  sk_media_cache_set_protected (f->cache, "song-b", "song-c");
  path = fetch (f, "song-a", url_a, NULL, 10000, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_CACHE_FULL);
  assert_not_cached (f, "song-a", url_a);
  url_c = url_for (f, "c.wav");
  g_clear_pointer (&path, g_free);
  path = sk_media_cache_dup_playable_path (f->cache, "song-c", url_c, NULL);
  g_assert_nonnull (path);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 20000);
}

/* A database that refuses writes (PRAGMA query_only) cannot let go of an
 * evicted file's row: the fetch that needs the room fails with the
 * database's reason, and nothing is evicted. It used to pick the same
 * victim forever, inside one main-context callback where no timeout can
 * fire; the alarm bounds that wait (SIGALRM ends the test, a failure). */
static void
test_eviction_refused_by_the_database (Fixture *f, gconstpointer data)
{
  const char *names[] = { "a", "b" };
  g_autoptr (GError) error = NULL;
  g_autofree char *sha_c = NULL;
  g_autofree char *url_c = NULL;
  g_autofree char *url_a = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  sk_media_cache_set_max_bytes (f->cache, 25000);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_strconcat (names[i], ".wav", NULL);
      g_autofree char *id = g_strconcat ("song-", names[i], NULL);
      g_autofree char *url = NULL;
      g_autofree char *sha = serve_song (f, id, file, 10000, 20 + i, &url);
      g_autofree char *got = fetch (f, id, url, sha, 10000, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (got);
    }
  sha_c = serve_song (f, "song-c", "c.wav", 10000, 22, &url_c);
  g_assert_true (sk_store_exec (f->store, "PRAGMA query_only = 1", &error));
  g_assert_no_error (error);

  alarm (WAIT_SECONDS);
  path = fetch (f, "song-c", url_c, sha_c, 10000, NULL, &error);
  alarm (0);
  g_assert_null (path);
  g_assert_error (error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_cmpint (media_rows (f, "song-a"), ==, 1);
  g_assert_cmpint (media_rows (f, "song-b"), ==, 1);
  g_assert_cmpint (media_rows (f, "song-c"), ==, 0);
  g_clear_pointer (&path, g_free);
  url_a = url_for (f, "a.wav");
  path = final_path (f, "song-a", url_a);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, &error), ==, 20000);
  g_assert_no_error (error);

  /* Writable again, the same fetch evicts one file and succeeds. */
  g_assert_true (sk_store_exec (f->store, "PRAGMA query_only = 0", &error));
  g_assert_no_error (error);
  g_clear_pointer (&path, g_free);
  path = fetch (f, "song-c", url_c, sha_c, 10000, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, &error), ==, 20000);
  g_assert_no_error (error);
}

static char *
make_file (const char *dir, const char *name)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "RIFF", 4, NULL));
  return path;
}

/* A local file plays only from under a directory of library_dirs, and only
 * a regular file: a path elsewhere (also by "..") is refused with the
 * reason; a link, a pipe (which used to block whoever opened it) and a
 * directory are refused at once. The alarm bounds a wait on the pipe. */
static void
test_local_files_only_from_the_library (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *lib = g_build_filename (f->tmp, "lib", NULL);
  g_autofree char *outside_dir = g_build_filename (f->tmp, "outside", NULL);
  g_autofree char *inside = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *dotdot = g_build_filename (lib, "..", "outside", "x.wav", NULL);
  g_autofree char *link = g_build_filename (lib, "link.wav", NULL);
  g_autofree char *fifo = g_build_filename (lib, "fifo.wav", NULL);
  g_autofree char *dir = g_build_filename (lib, "dir.wav", NULL);
  g_autofree char *path = NULL;
  const char *refused[] = { link, fifo, dir };

  SKIP_WITHOUT_NGINX (f);
  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (outside_dir, 0700), ==, 0);
  inside = make_file (lib, "a.wav");
  outside = make_file (outside_dir, "x.wav");
  g_assert_cmpint (symlink (outside, link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);

  /* nothing imported yet: no directory is trusted */
  path = sk_media_cache_dup_playable_path (f->cache, "s", inside, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_OUTSIDE_LIBRARY);
  g_clear_error (&error);

  g_assert_true (sk_store_set_setting (f->store, "library_dirs", lib, &error));
  g_assert_no_error (error);
  path = sk_media_cache_dup_playable_path (f->cache, "s", inside, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, inside);
  g_clear_pointer (&path, g_free);

  path = sk_media_cache_dup_playable_path (f->cache, "s", outside, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_OUTSIDE_LIBRARY);
  g_assert_nonnull (strstr (error->message, outside));
  g_assert_nonnull (strstr (error->message, "library_dirs"));
  g_clear_error (&error);
  path = fetch (f, "s", dotdot, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_OUTSIDE_LIBRARY);
  g_clear_error (&error);

  alarm (WAIT_SECONDS);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *url = g_filename_to_uri (refused[i], NULL, NULL);

      path = sk_media_cache_dup_playable_path (f->cache, "s", url, &error);
      g_assert_null (path);
      g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      g_clear_error (&error);
      path = fetch (f, "s", refused[i], NULL, -1, NULL, &error);
      g_assert_null (path);
      g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING);
      g_clear_error (&error);
    }
  alarm (0);
}

/* Song rows from the cloud name their files by http(s) URL only. */
static void
test_synced_urls_are_http_only (void)
{
  const char *ok[] = { "https://example.org/a.ogg", "http://127.0.0.1:8080/s/b.flac" };
  const char *refused[] = {
    "/etc/passwd",         "file:///etc/passwd", "ftp://example.org/a.ogg", "",
    "http:///no-host.ogg", "relative/a.ogg",     "file:/etc/shadow"
  };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (sk_media_check_synced_url (ok[i], &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (sk_media_check_synced_url (refused[i], &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == SK_MEDIA_ERROR);
      g_test_message ("%s: %s", refused[i], error->message);
    }
}

static void
test_refuses_unsupported_schemes (Fixture *f, gconstpointer data)
{
  const char *refused[] = { "ftp://example.org/a.ogg", "data:audio/ogg;base64,AAAA",
                            "songs/relative.ogg", "smb://nas/a.ogg" };
  g_autoptr (GError) error = NULL;
  g_autofree char *local = NULL;
  g_autofree char *local_url = NULL;
  g_autofree char *path = NULL;

  SKIP_WITHOUT_NGINX (f);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *p = sk_media_cache_dup_playable_path (f->cache, "song-x", refused[i],
                                                             &error);

      g_assert_null (p);
      g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED);
      g_clear_error (&error);
      p = fetch (f, "song-x", refused[i], NULL, -1, NULL, &error);
      g_assert_null (p);
      g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED);
      g_clear_error (&error);
    }

  /* Local files in a library directory play in place, and a missing one
   * says so. */
  g_assert_true (sk_store_set_setting (f->store, "library_dirs", f->www, &error));
  g_assert_no_error (error);
  local = g_build_filename (f->www, "local.wav", NULL);
  g_assert_true (g_file_set_contents (local, "RIFF", 4, NULL));
  local_url = g_filename_to_uri (local, NULL, NULL);
  path = sk_media_cache_dup_playable_path (f->cache, "song-l", local_url, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, local);
  g_clear_pointer (&path, g_free);
  path = fetch (f, "song-l", local, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, local);
  g_clear_pointer (&path, g_free);
  g_unlink (local);
  path = sk_media_cache_dup_playable_path (f->cache, "song-l", local_url, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 0);
}

/* TLS verification is on: a certificate the system does not trust ends
 * the download before any request is sent. */
static void
test_refuses_an_untrusted_certificate (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  g_autofree char *why_not = NULL;
  g_auto (GStrv) lines = NULL;

  SKIP_WITHOUT_NGINX (f);
  if (!sk_test_make_certificate (f->tmp, &cert, &key, &why_not))
    {
      g_test_skip (why_not);
      return;
    }
  g_free (serve_file (f, "secure.ogg", 1000, 50));
  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_TLS);

  url = g_strdup_printf ("https://127.0.0.1:%u/secure.ogg", (guint) f->nginx.port);
  add_song (f, "song-tls", url, NULL);
  path = fetch (f, "song-tls", url, NULL, -1, NULL, &error);
  g_assert_null (path);
  g_assert_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, url));
  g_test_message ("%s", error->message);
  assert_not_cached (f, "song-tls", url);
  lines = log_lines (f, "/secure.ogg", 0);
  g_assert_cmpuint (g_strv_length (lines), ==, 0);
}

static void
test_two_fetches_share_a_download (Fixture *f, gconstpointer data)
{
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_auto (GStrv) lines = NULL;
  FetchResult r1 = { 0 }, r2 = { 0 };

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-duo", "duo.ogg", 100000, 30, &url);
  sk_media_cache_fetch_async (f->cache, "song-duo", url, sha, -1, NULL, on_fetched, &r1);
  sk_media_cache_fetch_async (f->cache, "song-duo", url, sha, -1, NULL, on_fetched, &r2);
  run_until (&r1.done, "the first fetch");
  run_until (&r2.done, "the second fetch");
  g_assert_no_error (r1.error);
  g_assert_no_error (r2.error);
  g_assert_cmpstr (r1.path, ==, r2.path);
  lines = log_lines (f, "/duo.ogg", 1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_free (r1.path);
  g_free (r2.path);
}

static void
test_prefetches_the_queue (Fixture *f, gconstpointer data)
{
  const char *queue[] = { "song-p1", "song-local", "song-p2", "song-unknown" };
  g_autofree char *sha1 = NULL;
  g_autofree char *sha2 = NULL;
  g_autofree char *url1 = NULL;
  g_autofree char *url2 = NULL;
  g_autofree char *p1 = NULL;
  g_autofree char *p2 = NULL;
  g_autofree char *log_path = g_build_filename (f->tmp, "access.log", NULL);
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha1 = serve_file (f, "p1.flac", 40000, 40);
  sha2 = serve_file (f, "p2.flac", 50000, 41);
  url1 = url_for (f, "p1.flac");
  url2 = url_for (f, "p2.flac");
  add_song (f, "song-p1", url1, sha1);
  add_song (f, "song-local", "/nonexistent/local.wav", NULL);
  add_song (f, "song-p2", url2, sha2);

  sk_media_cache_prefetch (f->cache, queue, G_N_ELEMENTS (queue));
  {
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds (WAIT_SECONDS, on_timeout, &timed_out);

    while (sk_media_cache_is_busy (f->cache) && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (timed_out);
    g_source_remove (id);
  }
  p1 = sk_media_cache_dup_playable_path (f->cache, "song-p1", url1, NULL);
  p2 = sk_media_cache_dup_playable_path (f->cache, "song-p2", url2, NULL);
  g_assert_nonnull (p1);
  g_assert_nonnull (p2);
  assert_file_sha256 (p1, sha1);
  assert_file_sha256 (p2, sha2);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, NULL), ==, 90000);

  /* In queue order, each once. */
  lines = log_lines (f, "/p2.flac", 1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "/p1.flac|200|"));
  g_assert_true (strstr (log, "/p1.flac|200|") < strstr (log, "/p2.flac|200|"));
  g_assert_null (strstr (strstr (log, "/p1.flac|200|") + 1, "/p1.flac|"));
}

static void
write_file (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
}

static gboolean
exists_in (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static int
interrupt_every_step (void *data)
{
  return 1;
}

/* The database failing in the middle of the sweep's reading (a step
 * interrupted here) leaves every file where it is: what to keep is known
 * whole or nothing is removed. It used to treat the rows it had not read
 * as gone and delete their files. */
static void
test_sweep_removes_nothing_when_the_database_fails (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *path = NULL;
  sqlite3 *db;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-keep", "keep.ogg", 1000, 80, &url);
  path = fetch (f, "song-keep", url, sha, -1, NULL, &error);
  g_assert_no_error (error);
  write_file (f->cache_dir, "stray.wav");

  db = sqlite3_db_handle (sk_store_prepare (f->store, "SELECT 1", &error));
  g_assert_no_error (error);
  sqlite3_progress_handler (db, 1, interrupt_every_step, NULL);
  g_assert_cmpuint (sk_media_cache_sweep (f->cache, &error), ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (sk_media_cache_get_used_bytes (f->cache, &error), ==, 0);
  g_assert_nonnull (error);
  g_clear_error (&error);
  sqlite3_progress_handler (db, 0, NULL, NULL);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (exists_in (f->cache_dir, "stray.wav"));
  g_assert_cmpuint (sk_media_cache_sweep (f->cache, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (exists_in (f->cache_dir, "stray.wav"));
}

/* A song deleted from the library takes its media row (ON DELETE
 * CASCADE), not its file: the sweep removes that, stray files and the
 * .part of songs that are gone; it keeps cached songs and resumable parts. */
static void
test_sweep_removes_what_no_song_needs (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sha_keep = NULL;
  g_autofree char *sha_gone = NULL;
  g_autofree char *url_keep = NULL;
  g_autofree char *url_gone = NULL;
  g_autofree char *url_later = NULL;
  g_autofree char *keep_path = NULL;
  g_autofree char *gone_path = NULL;

  SKIP_WITHOUT_NGINX (f);
  sha_keep = serve_file (f, "keep.ogg", 1000, 80);
  sha_gone = serve_file (f, "gone.ogg", 2000, 81);
  url_keep = url_for (f, "keep.ogg");
  url_gone = url_for (f, "gone.ogg");
  url_later = url_for (f, "later.ogg");
  add_song (f, "song-keep", url_keep, sha_keep);
  add_song (f, "song-gone", url_gone, sha_gone);
  add_song (f, "song-later", url_later, NULL);
  keep_path = fetch (f, "song-keep", url_keep, sha_keep, -1, NULL, &error);
  g_assert_no_error (error);
  gone_path = fetch (f, "song-gone", url_gone, sha_gone, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sk_store_exec (f->store, "DELETE FROM songs WHERE id = 'song-gone'", &error));
  g_assert_no_error (error);
  g_assert_cmpint (media_rows (f, "song-gone"), ==, 0);

  write_file (f->cache_dir, "song-later.ogg.part");
  write_file (f->cache_dir, "song-later.ogg.part.validator");
  write_file (f->cache_dir, "song-removed.ogg.part");
  write_file (f->cache_dir, "stray.wav");

  g_assert_cmpuint (sk_media_cache_sweep (f->cache, NULL), ==, 3);
  g_assert_true (g_file_test (keep_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (gone_path, G_FILE_TEST_EXISTS));
  g_assert_true (exists_in (f->cache_dir, "song-later.ogg.part"));
  g_assert_true (exists_in (f->cache_dir, "song-later.ogg.part.validator"));
  g_assert_false (exists_in (f->cache_dir, "song-removed.ogg.part"));
  g_assert_false (exists_in (f->cache_dir, "stray.wav"));
  g_assert_cmpuint (sk_media_cache_sweep (f->cache, NULL), ==, 0);
}

typedef struct
{
  const char *part;
  gint64 threshold;
  gboolean reached;
} PartWatch;

static gboolean
watch_part (gpointer user_data)
{
  PartWatch *w = user_data;

  w->reached = size_of (w->part) >= w->threshold;
  return w->reached ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* A prefetch that leaves the queue stops, keeping its .part; a fetch that
 * joined it just before still gets the file, resumed from that .part. */
static void
test_prefetch_dropped_from_queue (Fixture *f, gconstpointer data)
{
  const gsize size = 512 * 1024;
  const char *queue[] = { "song-drop" };
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *part = NULL;
  g_auto (GStrv) lines = NULL;
  PartWatch w = { NULL, 16 * 1024, FALSE };
  FetchResult r = { 0 };
  const char *last;
  gint64 kept, from;

  SKIP_WITHOUT_NGINX (f);
  sha = serve_song (f, "song-drop", "drop.flac", size, 70, &url);
  part = part_path (f, "song-drop", url);
  sk_test_nginx_stop (&f->nginx, SIGQUIT);
  nginx_start (f, NGINX_SLOW);

  sk_media_cache_prefetch (f->cache, queue, 1);
  w.part = part;
  g_timeout_add (5, watch_part, &w);
  run_until (&w.reached, "the prefetch to get going");
  g_assert_true (sk_media_cache_is_busy (f->cache));

  /* The queue changes, and in the same turn of the loop the song is asked
   * for: the fetch must not inherit the prefetch's cancellation. */
  sk_media_cache_prefetch (f->cache, NULL, 0);
  sk_media_cache_fetch_async (f->cache, "song-drop", url, sha, (gint64) size, NULL, on_fetched, &r);
  sk_test_nginx_stop (&f->nginx, SIGTERM);
  kept = size_of (part);
  g_assert_cmpint (kept, >=, 16 * 1024);
  nginx_start (f, NGINX_PLAIN);
  run_until (&r.done, "the fetch that joined a dropped prefetch");
  g_assert_no_error (r.error);
  assert_file_sha256 (r.path, sha);
  g_free (r.path);

  /* The resumed request started where the .part ended: at least where it
   * was seen (a write under way when the prefetch stopped may add to it). */
  lines = log_lines (f, "/drop.flac", 1);
  last = lines[g_strv_length (lines) - 1];
  g_assert_true (g_str_has_prefix (last, "/drop.flac|206|bytes="));
  from = g_ascii_strtoll (last + strlen ("/drop.flac|206|bytes="), NULL, 10);
  g_assert_cmpint (from, >=, kept);
  g_assert_cmpint (from, <, (gint64) size);
}

/* soundscape-ctl cache --fetch goes through the same cache, into "media"
 * beside the database, and soundscape-ctl cache lists what is there. */
static void
test_ctl_cache_fetch_and_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *ctl = NULL;
  g_autofree char *db = g_build_filename (f->tmp, "test.db", NULL);
  g_autofree char *sha = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expect = NULL;
  g_autofree char *media = g_build_filename (f->tmp, "media", "song-ctl.ogg", NULL);
  int status = -1;

  SKIP_WITHOUT_NGINX (f);
  if (builddir == NULL)
    {
      g_test_skip ("G_TEST_BUILDDIR is not set: run this test with “meson test”");
      return;
    }
  ctl = sk_test_ctl_path ();
  sha = serve_song (f, "song-ctl", "ctl.ogg", 12345, 60, &url);
  {
    const char *argv[] = { ctl, "cache", "--db", db, "--fetch", "song-ctl", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup,
                                 NULL, &out, &err, &status, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (err, ==, "");
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);
  }
  expect = g_strdup_printf ("song-ctl  %s\n", media);
  g_assert_cmpstr (out, ==, expect);
  assert_file_sha256 (media, sha);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { ctl, "cache", "--db", db, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup,
                                 NULL, &out, &err, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);
  }
  g_assert_true (g_str_has_prefix (out, "song-ctl       12345  fetched 20"));
  g_assert_nonnull (strstr (out, "\n12345 bytes in "));
}

int
main (int argc, char **argv)
{
  /* Loopback only: a proxy configured on the machine must not be asked. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/media/cache/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("downloads-and-verifies-sha256", test_plain_download);
  ADD ("resumes-with-range-after-a-broken-connection", test_resume_after_broken_connection);
  ADD ("cancel-keeps-the-part-and-a-later-fetch-resumes", test_cancel_keeps_part_and_resumes);
  ADD ("resume-restarts-when-the-file-changed", test_resume_restarts_when_file_changed);
  ADD ("server-ignoring-range-gives-the-whole-file", test_server_ignoring_range);
  ADD ("not-found", test_not_found);
  ADD ("storage-400-with-404-body-is-not-found", test_storage_400_with_404_body);
  ADD ("server-error", test_server_error);
  ADD ("dead-network", test_dead_network);
  ADD ("truncated-body", test_truncated_body);
  ADD ("wrong-length", test_wrong_length);
  ADD ("wrong-sha256", test_wrong_sha256);
  ADD ("refuses-an-absurd-content-length", test_refuses_absurd_size);
  ADD ("etag-revalidation-keeps-the-file-on-304", test_etag_revalidation);
  ADD ("known-sha256-is-not-asked-again", test_known_sha256_is_not_asked_again);
  ADD ("evicts-least-recently-played", test_evicts_least_recently_played);
  ADD ("never-evicts-the-playing-or-next-song", test_never_evicts_protected);
  ADD ("eviction-refused-by-the-database-is-an-error", test_eviction_refused_by_the_database);
  ADD ("refuses-unsupported-schemes", test_refuses_unsupported_schemes);
  ADD ("local-files-only-from-the-library", test_local_files_only_from_the_library);
  g_test_add_func ("/media/cache/synced-urls-are-http-only", test_synced_urls_are_http_only);
  ADD ("refuses-an-untrusted-certificate", test_refuses_an_untrusted_certificate);
  ADD ("two-fetches-share-one-download", test_two_fetches_share_a_download);
  ADD ("prefetches-the-queue", test_prefetches_the_queue);

  ADD ("prefetch-dropped-from-the-queue-stops-but-a-fetch-resumes",
       test_prefetch_dropped_from_queue);
  ADD ("sweep-removes-what-no-song-needs", test_sweep_removes_what_no_song_needs);
  ADD ("sweep-removes-nothing-when-the-database-fails",
       test_sweep_removes_nothing_when_the_database_fails);
  ADD ("ctl-cache-fetches-and-lists", test_ctl_cache_fetch_and_list);

#undef ADD
  return g_test_run ();
}
