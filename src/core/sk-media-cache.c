/* sk-media-cache.c: downloads of the library's audio files, verified and
 * bounded in size.
 *
 * THE DOWNLOAD STATE MACHINE
 *
 * One Download exists per song being fetched (fetches of one song share
 * it); it runs on the cache's main context and moves through:
 *
 *   CHECK     download_start(). A `media` row whose file is on disk with
 *             the recorded size is a hit: its SHA-256 matches the song
 *             row's, or the song row has none and the file has no ETag or
 *             was checked less than revalidate_after ago → DONE at once. A
 *             hit that needs checking goes to REQUEST with If-None-Match:
 *             ETAG (a 304 for a row evicted meanwhile restarts). Otherwise a
 *             NAME.part with a NAME.part.validator is resumed from its size
 *             (Range: bytes=N-, If-Range: VALIDATOR); any other .part is
 *             removed and the request starts at byte 0.
 *   REQUEST   on_sent(). The status line and headers decide:
 *               304 (revalidating)   → touch fetched_at, DONE (same file)
 *               200                  → the whole body: restart at byte 0
 *                                      (a server that ignores Range, or an
 *                                      If-Range whose file changed)
 *               206 from byte N      → append to the .part
 *               206 from elsewhere,
 *               416                  → remove the .part, REQUEST again from
 *                                      0 (once)
 *               404, 410, Storage's
 *               400 {"statusCode":"404"} → FAILED, .part removed
 *               other 4xx            → FAILED, .part removed
 *               5xx, 408, 429        → FAILED, .part kept (the server's
 *                                      trouble, not the file's)
 *             Before the body: the announced size is checked against the
 *             per-file maximum and the song row's size, and eviction makes
 *             room for it (or FAILED: cache full). At byte 0 the response's
 *             strong ETag (else Last-Modified) is written to the validator.
 *   BODY      on_read()/on_written(): 64 KiB at a time from the socket to
 *             the .part. A broken connection, a timeout or a cancel →
 *             FAILED with the .part kept when it has a validator (the next
 *             fetch resumes); more bytes than announced or than the maximum
 *             → FAILED, .part removed. End of body short of the announced
 *             size → FAILED (truncated), .part kept.
 *   VERIFY    verify_thread(), off the main context because it blocks:
 *             fsync the .part, read it back for its length and SHA-256 (the
 *             bytes on disk are what will play, so those are the bytes
 *             checked, including the part written before a resume), compare
 *             with the announced size, the song row's size and SHA-256,
 *             then rename NAME.part → NAME and fsync the directory. Any
 *             mismatch → FAILED, .part removed, nothing renamed.
 *   RECORD    on_verified(): upsert the `media` row (path, bytes, sha256,
 *             etag, fetched_at) → DONE. A database failure removes NAME.
 *   DONE / FAILED   download_finish(): every waiting GTask gets the path or
 *             a copy of the error; the Download leaves the table.
 *
 * INVARIANTS
 *   - A file under a final NAME passed VERIFY; a `media` row names such a
 *     file. The only way into NAME is the rename at the end of VERIFY.
 *   - A .part is kept only with a validator, so a resumed request is
 *     conditional (If-Range): a changed file on the server yields 200 and
 *     a restart, never a splice of two versions.
 *   - At most one Download per song, hence one writer per .part.
 *   - The sum of media.bytes stays within max_bytes; eviction takes the
 *     least recently played (last_played_at, else fetched_at) first and
 *     never the protected playing and next songs nor the one being fetched.
 *   - A cancelled fetch finishes only when its Download has stopped
 *     touching the .part, so a new fetch never races a dying one.
 *   - Files that no row names (a song deleted from the library takes its
 *     row along by ON DELETE CASCADE) wait for sk_media_cache_sweep().
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "sk-media"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "sk-media-cache.h"
#include "sk-util.h"

G_DEFINE_QUARK (sk-media-error-quark, sk_media_error)

#define CHUNK_BYTES        (64 * 1024)
#define ERROR_BODY_BYTES   4096
#define DEFAULT_REVALIDATE (60 * 60)
#define SESSION_TIMEOUT_S  30
#define MAX_RESTARTS       1

typedef struct _Download Download;

struct _SkMediaCache
{
  GObject       parent_instance;

  SkStore      *store;
  char         *dir;
  guint64       max_bytes;
  gint64        revalidate_usec;
  SoupSession  *session;
  GHashTable   *downloads;        /* song id → Download, while in flight */
  char         *protected_ids[2]; /* playing, next */
  GQueue        prefetch_queue;   /* song ids (owned) still to look at */
  char         *prefetch_song;    /* the prefetch Download's song, or NULL */
  guint         prefetch_idle;
};

G_DEFINE_FINAL_TYPE (SkMediaCache, sk_media_cache, G_TYPE_OBJECT)

typedef struct
{
  GTask    *task;
  GSource  *cancel_source;
  Download *dl;
} Waiter;

struct _Download
{
  SkMediaCache  *self;            /* strong: the cache outlives its downloads */
  char          *song_id;
  GUri          *uri;
  char          *safe_url;        /* for messages: no user info, no query */
  char          *sha256;          /* lower-case hex, or NULL */
  gint64         expected;        /* from the song row, or -1 */
  char          *final_path;
  char          *part_path;
  char          *validator_path;
  GCancellable  *cancellable;
  GPtrArray     *waiters;         /* Waiter*, freed by download_finish */
  gboolean       prefetch;

  char          *cached_etag;     /* set when revalidating a hit */
  char          *validator;       /* If-Range value when resuming */
  goffset        offset;          /* bytes of the .part before this response */
  goffset        received;        /* bytes of this response written */
  gint64         total;           /* the whole file's size, or -1 */
  char          *etag;            /* of the latest response */
  guint          restarts;

  SoupMessage   *msg;
  GInputStream  *body;
  GOutputStream *out;
  GBytes        *chunk;
  guint8        *error_body;
};

static void download_start   (Download *dl);
static void download_request (Download *dl);
static void prefetch_schedule (SkMediaCache *self);

/* ---------------------------------------------------------------- helpers */

static gboolean
is_hex64 (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit (*s))
      return FALSE;
  return TRUE;
}

/* A URL fit for a log line or an error message: Storage's signed URLs
 * carry their token in the query. */
static char *
safe_url_of (GUri *uri)
{
  return g_uri_join (G_URI_FLAGS_ENCODED_PATH, g_uri_get_scheme (uri), NULL,
                     g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
                     NULL, NULL);
}

typedef enum
{
  URL_LOCAL,
  URL_HTTP,
} UrlKind;

/* Sorts a file_url into local (with its path) or http(s) (with its parsed
 * URI); anything else is refused here, in one place. */
static gboolean
classify_url (const char  *file_url,
              UrlKind     *kind,
              char       **local_path,
              GUri       **uri,
              GError     **error)
{
  const char *scheme;

  if (file_url == NULL || *file_url == '\0')
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID, "The song has no file URL.");
      return FALSE;
    }
  if (file_url[0] == '/')
    {
      *kind = URL_LOCAL;
      if (local_path != NULL)
        *local_path = g_strdup (file_url);
      return TRUE;
    }
  scheme = g_uri_peek_scheme (file_url);
  if (g_strcmp0 (scheme, "file") == 0)
    {
      g_autoptr(GError) local_error = NULL;
      char *path = g_filename_from_uri (file_url, NULL, &local_error);

      if (path == NULL)
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                       "The file URL %s is not a local file: %s", file_url, local_error->message);
          return FALSE;
        }
      *kind = URL_LOCAL;
      if (local_path != NULL)
        *local_path = path;
      else
        g_free (path);
      return TRUE;
    }
  if (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GUri) parsed = g_uri_parse (file_url, SOUP_HTTP_URI_FLAGS, &local_error);

      if (parsed == NULL || g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                       "The song's URL is malformed: %s",
                       local_error ? local_error->message : "it has no host");
          return FALSE;
        }
      *kind = URL_HTTP;
      if (uri != NULL)
        *uri = g_steal_pointer (&parsed);
      return TRUE;
    }
  if (scheme == NULL)
    g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                 "The file URL “%s” is neither an absolute path nor a URL: "
                 "use /path, file://, http:// or https://.", file_url);
  else
    g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                 "The file URL scheme “%s:” is not supported: "
                 "only http, https, file and absolute paths are.", scheme);
  return FALSE;
}

/* NAME: the song id when it is a plain identifier (UUIDs are), else a
 * digest of it, so that no id from the network can reach outside the
 * directory; plus the URL's extension, which helps a person and libsndfile. */
static char *
build_path (SkMediaCache *self,
            const char   *song_id,
            GUri         *uri)
{
  g_autofree char *stem = NULL;
  g_autofree char *base = g_path_get_basename (g_uri_get_path (uri));
  const char *dot = strrchr (base, '.');
  g_autofree char *ext = NULL;
  gboolean plain = strlen (song_id) <= 100 && song_id[0] != '.';
  g_autofree char *name = NULL;

  for (const char *p = song_id; plain && *p; p++)
    plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_';
  if (plain)
    stem = g_strdup (song_id);
  else
    stem = g_compute_checksum_for_string (G_CHECKSUM_SHA256, song_id, -1);

  if (dot != NULL && dot[1] != '\0' && strlen (dot + 1) <= 5)
    {
      gboolean ok = TRUE;

      for (const char *p = dot + 1; *p; p++)
        ok = ok && g_ascii_isalnum (*p);
      if (ok)
        ext = g_ascii_strdown (dot + 1, -1);
      if (g_strcmp0 (ext, "part") == 0)
        g_clear_pointer (&ext, g_free);
    }
  name = ext ? g_strconcat (stem, ".", ext, NULL) : g_strdup (stem);
  return g_build_filename (self->dir, name, NULL);
}

static gboolean
file_size (const char *path,
           gint64     *size)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  *size = st.st_size;
  return TRUE;
}

static void
remove_part (Download *dl)
{
  g_unlink (dl->part_path);
  g_unlink (dl->validator_path);
}

/* --------------------------------------------------------------- database */

typedef struct
{
  char   *path;
  gint64  bytes;
  char   *sha256;
  char   *etag;
  gint64  fetched_at;
} MediaRow;

static void
media_row_clear (MediaRow *row)
{
  g_clear_pointer (&row->path, g_free);
  g_clear_pointer (&row->sha256, g_free);
  g_clear_pointer (&row->etag, g_free);
}

static gboolean
media_row_load (SkMediaCache *self,
                const char   *song_id,
                MediaRow     *row)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  memset (row, 0, sizeof *row);
  stmt = sk_store_prepare (self->store,
                           "SELECT path, bytes, sha256, etag, fetched_at FROM media "
                           "WHERE song_id = ?1",
                           NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    {
      row->path = g_strdup (sk_store_column_text (stmt, 0));
      row->bytes = sqlite3_column_int64 (stmt, 1);
      row->sha256 = g_strdup (sk_store_column_text (stmt, 2));
      row->etag = g_strdup (sk_store_column_text (stmt, 3));
      if (!sk_time_parse (sk_store_column_text (stmt, 4), &row->fetched_at, NULL))
        row->fetched_at = 0;
      found = row->path != NULL;
    }
  sqlite3_reset (stmt);
  return found;
}

/* The row's file is there with the recorded size: the cheap check, enough
 * because nothing but VERIFY writes a final NAME. */
static gboolean
media_row_file_ok (const MediaRow *row)
{
  gint64 size;

  return row->path != NULL && file_size (row->path, &size) && size == row->bytes;
}

static void
media_row_delete (SkMediaCache *self,
                  const char   *song_id)
{
  sqlite3_stmt *stmt = sk_store_prepare (self->store, "DELETE FROM media WHERE song_id = ?1", NULL);

  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  sk_store_run (self->store, stmt, NULL);
}

static guint64
used_bytes_except (SkMediaCache *self,
                   const char   *song_id)
{
  sqlite3_stmt *stmt;
  guint64 used = 0;

  stmt = sk_store_prepare (self->store,
                           "SELECT COALESCE(SUM(bytes), 0) FROM media "
                           "WHERE ?1 IS NULL OR song_id != ?1",
                           NULL);
  if (stmt == NULL)
    return 0;
  if (song_id != NULL)
    sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    used = (guint64) MAX (sqlite3_column_int64 (stmt, 0), 0);
  sqlite3_reset (stmt);
  return used;
}

/* Evicts least-recently-played files until @need more bytes fit for
 * @song_id (whose own old version does not count: it is being replaced). */
static gboolean
make_room (SkMediaCache  *self,
           const char    *song_id,
           const char    *safe_url,
           gint64         need,
           GError       **error)
{
  if (self->max_bytes == 0)
    return TRUE;
  if ((guint64) need > self->max_bytes)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_CACHE_FULL,
                   "Cannot cache %s: it is %" G_GINT64_FORMAT " bytes, more than the cache's "
                   "limit of %" G_GUINT64_FORMAT " bytes.", safe_url, need, self->max_bytes);
      return FALSE;
    }
  while (used_bytes_except (self, song_id) + (guint64) need > self->max_bytes)
    {
      sqlite3_stmt *stmt;
      g_autofree char *victim = NULL;
      g_autofree char *victim_path = NULL;

      stmt = sk_store_prepare (self->store,
                               "SELECT song_id, path FROM media "
                               "WHERE song_id != ?1 "
                               "  AND (?2 IS NULL OR song_id != ?2) "
                               "  AND (?3 IS NULL OR song_id != ?3) "
                               "ORDER BY COALESCE(last_played_at, fetched_at, '') ASC, song_id ASC "
                               "LIMIT 1",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
      if (self->protected_ids[0] != NULL)
        sqlite3_bind_text (stmt, 2, self->protected_ids[0], -1, SQLITE_STATIC);
      if (self->protected_ids[1] != NULL)
        sqlite3_bind_text (stmt, 3, self->protected_ids[1], -1, SQLITE_STATIC);
      if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
        {
          victim = g_strdup (sk_store_column_text (stmt, 0));
          victim_path = g_strdup (sk_store_column_text (stmt, 1));
        }
      sqlite3_reset (stmt);
      if (victim == NULL)
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_CACHE_FULL,
                       "Cannot cache %s (%" G_GINT64_FORMAT " bytes): the cache's limit of %"
                       G_GUINT64_FORMAT " bytes is taken by the songs playing and next.",
                       safe_url, need, self->max_bytes);
          return FALSE;
        }
      /* The row goes first: a row without its file would be a lie, a file
       * without a row is only wasted space. */
      media_row_delete (self, victim);
      if (victim_path != NULL)
        g_unlink (victim_path);
      g_message ("Evicted song %s from the media cache to make room", victim);
    }
  return TRUE;
}

/* -------------------------------------------------------------- lifecycle */

static void
waiter_free (Waiter *w)
{
  if (w->cancel_source != NULL)
    {
      g_source_destroy (w->cancel_source);
      g_source_unref (w->cancel_source);
    }
  g_clear_object (&w->task);
  g_free (w);
}

static void
download_free (Download *dl)
{
  g_clear_pointer (&dl->waiters, g_ptr_array_unref);
  g_clear_object (&dl->msg);
  g_clear_object (&dl->body);
  g_clear_object (&dl->out);
  g_clear_pointer (&dl->chunk, g_bytes_unref);
  g_clear_pointer (&dl->error_body, g_free);
  g_clear_object (&dl->cancellable);
  g_clear_pointer (&dl->uri, g_uri_unref);
  g_free (dl->song_id);
  g_free (dl->safe_url);
  g_free (dl->sha256);
  g_free (dl->final_path);
  g_free (dl->part_path);
  g_free (dl->validator_path);
  g_free (dl->cached_etag);
  g_free (dl->validator);
  g_free (dl->etag);
  g_clear_object (&dl->self);
  g_free (dl);
}

static Download *download_new (SkMediaCache *self, const char *song_id, GUri *uri,
                                const char *sha256, gint64 expected);
static void      download_add_waiter (Download *dl, GTask *task);

/* DONE or FAILED: exactly one of @path and @error. */
static void
download_finish (Download   *dl,
                 const char *path,
                 GError     *error)
{
  SkMediaCache *self = dl->self;
  Download *again = NULL;

  if (dl->out != NULL)
    g_output_stream_close (dl->out, NULL, NULL);
  if (g_hash_table_lookup (self->downloads, dl->song_id) == dl)
    g_hash_table_remove (self->downloads, dl->song_id);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Download of %s cancelled", dl->safe_url);
      else
        g_message ("%s", error->message);
    }
  else
    g_debug ("Song %s is cached at %s", dl->song_id, path);

  for (guint i = 0; i < dl->waiters->len; i++)
    {
      Waiter *w = g_ptr_array_index (dl->waiters, i);

      /* A fetch that joined a download being cancelled (a prefetch that
       * left the queue) did not ask for that: it gets a download of its
       * own, started only now that the old one let go of the .part. */
      if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_cancellable_is_cancelled (g_task_get_cancellable (w->task)))
        {
          if (again == NULL)
            again = download_new (self, dl->song_id, dl->uri, dl->sha256, dl->expected);
          download_add_waiter (again, w->task);
          continue;
        }
      if (error != NULL)
        g_task_return_error (w->task, g_error_copy (error));
      else
        g_task_return_pointer (w->task, g_strdup (path), g_free);
    }

  if (dl->prefetch && g_strcmp0 (self->prefetch_song, dl->song_id) == 0)
    {
      g_clear_pointer (&self->prefetch_song, g_free);
      prefetch_schedule (self);
    }
  g_clear_error (&error);
  download_free (dl);
  if (again != NULL)
    download_start (again);
}

static void
download_fail (Download *dl,
               gboolean  keep_part,
               GError   *error)
{
  gint64 size;

  if (dl->out != NULL)
    {
      g_output_stream_close (dl->out, NULL, NULL);
      g_clear_object (&dl->out);
    }
  /* A body left unread (a refused 3 GiB file, say) must not keep its
   * connection with the server still sending: the message is cancelled
   * outright rather than left to the body stream's finalization. */
  g_cancellable_cancel (dl->cancellable);
  g_clear_object (&dl->body);
  /* A .part is only worth keeping when a resume can be made conditional. */
  if (!keep_part || !g_file_test (dl->validator_path, G_FILE_TEST_IS_REGULAR) ||
      !file_size (dl->part_path, &size) || size == 0)
    remove_part (dl);
  download_finish (dl, NULL, error);
}

/* A waiter's own cancellable fired: it stops waiting. The Download stops
 * only when nobody (not even the prefetcher) wants it any more, and then
 * the waiter learns it through download_finish, after the .part is left
 * alone. */
static gboolean
on_waiter_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  Waiter *w = user_data;
  Download *dl = w->dl;

  g_source_unref (w->cancel_source);
  w->cancel_source = NULL;

  if (dl->waiters->len == 1 && !dl->prefetch)
    {
      g_cancellable_cancel (dl->cancellable);
      return G_SOURCE_REMOVE;
    }
  g_task_return_new_error (w->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The fetch was cancelled");
  g_ptr_array_remove (dl->waiters, w);
  return G_SOURCE_REMOVE;
}

static void
download_add_waiter (Download *dl,
                     GTask    *task)
{
  Waiter *w = g_new0 (Waiter, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  w->task = g_object_ref (task);
  w->dl = dl;
  if (cancellable != NULL)
    {
      w->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (w->cancel_source, G_SOURCE_FUNC (on_waiter_cancelled), w, NULL);
      g_source_attach (w->cancel_source, g_main_context_get_thread_default ());
    }
  g_ptr_array_add (dl->waiters, w);
}

static Download *
download_new (SkMediaCache *self,
              const char   *song_id,
              GUri         *uri,
              const char   *sha256,
              gint64        expected)
{
  Download *dl = g_new0 (Download, 1);

  dl->self = g_object_ref (self);
  dl->song_id = g_strdup (song_id);
  dl->uri = g_uri_ref (uri);
  dl->safe_url = safe_url_of (uri);
  dl->sha256 = sha256 ? g_ascii_strdown (sha256, -1) : NULL;
  dl->expected = expected;
  dl->final_path = build_path (self, song_id, uri);
  dl->part_path = g_strconcat (dl->final_path, ".part", NULL);
  dl->validator_path = g_strconcat (dl->final_path, ".part.validator", NULL);
  dl->cancellable = g_cancellable_new ();
  dl->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
  dl->total = -1;
  g_hash_table_insert (self->downloads, dl->song_id, dl);
  return dl;
}

/* ------------------------------------------------------------------ CHECK */

static void
download_start (Download *dl)
{
  SkMediaCache *self = dl->self;
  MediaRow row;
  gint64 part_size = 0;

  if (media_row_load (self, dl->song_id, &row) && media_row_file_ok (&row))
    {
      gboolean same_content = dl->sha256 != NULL && g_strcmp0 (row.sha256, dl->sha256) == 0;
      /* Without an ETag there is nothing cheap to ask with: the file is
       * kept rather than downloaded again every hour. */
      gboolean fresh = dl->sha256 == NULL &&
                       (row.etag == NULL ||
                        g_get_real_time () - row.fetched_at < self->revalidate_usec);

      if (same_content || fresh)
        {
          g_autofree char *path = g_strdup (row.path);

          media_row_clear (&row);
          download_finish (dl, path, NULL);
          return;
        }
      /* Revalidate only a file with no SHA-256 to compare, under the name
       * the URL gives: a song row whose SHA-256 differs, or whose URL
       * moved, needs the new file whatever the server says of the old. */
      if (dl->sha256 == NULL && row.etag != NULL && g_strcmp0 (row.path, dl->final_path) == 0)
        dl->cached_etag = g_strdup (row.etag);
    }
  media_row_clear (&row);

  if (dl->cached_etag == NULL &&
      g_file_get_contents (dl->validator_path, &dl->validator, NULL, NULL) &&
      *dl->validator != '\0' && strchr (dl->validator, '\n') == NULL &&
      file_size (dl->part_path, &part_size) && part_size > 0)
    {
      dl->offset = part_size;
      g_debug ("Resuming %s from byte %" G_GINT64_FORMAT, dl->safe_url, part_size);
    }
  else
    {
      g_clear_pointer (&dl->validator, g_free);
      dl->offset = 0;
      remove_part (dl);
    }
  download_request (dl);
}

/* ---------------------------------------------------------------- REQUEST */

static void on_sent (GObject *source, GAsyncResult *result, gpointer user_data);

static void
download_request (Download *dl)
{
  SoupMessageHeaders *headers;

  g_clear_object (&dl->msg);
  g_clear_object (&dl->body);
  dl->received = 0;
  dl->total = -1;
  g_clear_pointer (&dl->etag, g_free);

  dl->msg = soup_message_new_from_uri (SOUP_METHOD_GET, dl->uri);
  headers = soup_message_get_request_headers (dl->msg);
  /* Lengths, ranges and checksums are all about the bytes stored. */
  soup_message_headers_replace (headers, "Accept-Encoding", "identity");
  if (dl->offset > 0)
    {
      soup_message_headers_set_range (headers, dl->offset, -1);
      soup_message_headers_replace (headers, "If-Range", dl->validator);
    }
  if (dl->cached_etag != NULL)
    soup_message_headers_replace (headers, "If-None-Match", dl->cached_etag);

  soup_session_send_async (dl->self->session, dl->msg, G_PRIORITY_LOW, dl->cancellable,
                           on_sent, dl);
}

static void
download_restart (Download *dl,
                  const char *why)
{
  g_debug ("Restarting %s from byte 0: %s", dl->safe_url, why);
  dl->restarts++;
  remove_part (dl);
  dl->offset = 0;
  g_clear_pointer (&dl->validator, g_free);
  download_request (dl);
}

static GError *
network_error (Download *dl,
               GError   *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    return g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_TRUNCATED,
                        "Downloading %s: the connection broke after %" G_GINT64_FORMAT
                        " bytes (%s).",
                        dl->safe_url, (gint64) (dl->offset + dl->received), error->message);
  return g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_NETWORK,
                      "Downloading %s failed: %s", dl->safe_url, error->message);
}

static void on_opened (GObject *source, GAsyncResult *result, gpointer user_data);

/* The headers of a 200 or 206 are in: check the size, make room, open
 * the .part. */
static void
download_accept (Download *dl)
{
  SkMediaCache *self = dl->self;
  SoupMessageHeaders *headers = soup_message_get_response_headers (dl->msg);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) part = NULL;

  if (dl->total > SK_MEDIA_CACHE_MAX_FILE_BYTES ||
      (dl->expected > SK_MEDIA_CACHE_MAX_FILE_BYTES))
    {
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_TOO_LARGE,
                                  "Refusing %s: %" G_GINT64_FORMAT " bytes is more than the %"
                                  G_GINT64_FORMAT " a song may have.", dl->safe_url,
                                  MAX (dl->total, dl->expected), SK_MEDIA_CACHE_MAX_FILE_BYTES));
      return;
    }
  if (dl->total >= 0 && dl->expected >= 0 && dl->total != dl->expected)
    {
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH,
                                  "Refusing %s: the server announces %" G_GINT64_FORMAT
                                  " bytes, the song row says %" G_GINT64_FORMAT ".",
                                  dl->safe_url, dl->total, dl->expected));
      return;
    }
  if (!make_room (self, dl->song_id, dl->safe_url,
                  dl->total >= 0 ? dl->total : MAX (dl->expected, 0), &error))
    {
      download_fail (dl, FALSE, g_steal_pointer (&error));
      return;
    }

  part = g_file_new_for_path (dl->part_path);
  if (dl->offset == 0)
    {
      const char *validator = NULL;

      remove_part (dl);
      /* If-Range needs a strong validator: a weak ETag could match a
       * different byte sequence. */
      if (dl->etag != NULL && !g_str_has_prefix (dl->etag, "W/"))
        validator = dl->etag;
      else
        validator = soup_message_headers_get_one (headers, "Last-Modified");
      if (validator != NULL && strchr (validator, '\n') == NULL)
        g_file_set_contents_full (dl->validator_path, validator, -1,
                                  G_FILE_SET_CONTENTS_NONE, 0600, NULL);
      g_file_create_async (part, G_FILE_CREATE_PRIVATE, G_PRIORITY_LOW, dl->cancellable,
                           on_opened, dl);
    }
  else
    g_file_append_to_async (part, G_FILE_CREATE_PRIVATE, G_PRIORITY_LOW, dl->cancellable,
                            on_opened, dl);
}

static void
on_error_body (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Download *dl = user_data;
  guint status = soup_message_get_status (dl->msg);
  gsize n = 0;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gboolean storage_404 = FALSE;
  g_autofree char *storage_message = NULL;
  gboolean keep_part;
  g_autoptr(GError) error = NULL;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      download_fail (dl, TRUE, g_steal_pointer (&error));
      return;
    }

  /* Supabase Storage answers a missing object with 400 and a JSON body
   * whose statusCode is "404". */
  if (status == SOUP_STATUS_BAD_REQUEST && n > 0 &&
      json_parser_load_from_data (parser, (const char *) dl->error_body, n, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      JsonNode *code = json_object_get_member (o, "statusCode");
      JsonNode *message = json_object_get_member (o, "message");

      if (code != NULL && JSON_NODE_HOLDS_VALUE (code))
        {
          if (json_node_get_value_type (code) == G_TYPE_STRING)
            storage_404 = g_strcmp0 (json_node_get_string (code), "404") == 0;
          else if (json_node_get_value_type (code) == G_TYPE_INT64)
            storage_404 = json_node_get_int (code) == 404;
        }
      if (storage_404 && message != NULL && JSON_NODE_HOLDS_VALUE (message) &&
          json_node_get_value_type (message) == G_TYPE_STRING)
        {
          const char *text = json_node_get_string (message);

          /* At most 200 characters; g_utf8_substring wants an end within the text. */
          storage_message = g_utf8_substring (text, 0, MIN (g_utf8_strlen (text, -1), 200));
        }
    }

  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE || storage_404)
    {
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_NOT_ON_SERVER,
                                  "Downloading %s: the server has no such file (HTTP %u%s%s).",
                                  dl->safe_url, status,
                                  storage_404 ? ", Storage says 404: " : "",
                                  storage_404 ? (storage_message ? storage_message : "") : ""));
      return;
    }
  keep_part = SOUP_STATUS_IS_SERVER_ERROR (status) ||
              status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429;
  download_fail (dl, keep_part,
                 g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP,
                              "Downloading %s: the server answered HTTP %u %s.",
                              dl->safe_url, status,
                              soup_message_get_reason_phrase (dl->msg) ?
                              soup_message_get_reason_phrase (dl->msg) : ""));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Download *dl = user_data;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;

  dl->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (dl->body == NULL)
    {
      download_fail (dl, TRUE, network_error (dl, error));
      return;
    }
  status = soup_message_get_status (dl->msg);
  headers = soup_message_get_response_headers (dl->msg);
  dl->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  g_debug ("%s: HTTP %u (asked from byte %" G_GINT64_FORMAT "%s)", dl->safe_url, status,
           (gint64) dl->offset, dl->cached_etag ? ", revalidating" : "");

  if (status == SOUP_STATUS_NOT_MODIFIED && dl->cached_etag != NULL)
    {
      g_autoptr(GError) db_error = NULL;
      g_autofree char *now = sk_time_format (g_get_real_time ());
      sqlite3_stmt *stmt = sk_store_prepare (dl->self->store,
                                             "UPDATE media SET fetched_at = ?2 WHERE song_id = ?1",
                                             &db_error);

      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, dl->song_id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, now, -1, SQLITE_STATIC);
          sk_store_run (dl->self->store, stmt, &db_error);
        }
      if (db_error != NULL)
        g_warning ("Could not record the revalidation of %s: %s", dl->safe_url, db_error->message);
      /* Evicted while the question was on its way: fetch it whole. */
      if (db_error == NULL && sk_store_changes (dl->self->store) == 0 &&
          dl->restarts < MAX_RESTARTS)
        {
          g_clear_pointer (&dl->cached_etag, g_free);
          download_restart (dl, "the cached file was evicted during revalidation");
          return;
        }
      download_finish (dl, dl->final_path, NULL);
      return;
    }

  if (status == SOUP_STATUS_OK)
    {
      if (dl->offset > 0)
        g_debug ("%s: the server sent the whole file, not the rest: starting again",
                 dl->safe_url);
      dl->offset = 0;
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
        dl->total = soup_message_headers_get_content_length (headers);
      download_accept (dl);
      return;
    }

  if (status == SOUP_STATUS_PARTIAL_CONTENT && dl->offset > 0)
    {
      goffset start = -1, end = -1, total = -1;

      if (!soup_message_headers_get_content_range (headers, &start, &end, &total) ||
          start != dl->offset || (total >= 0 && end != total - 1))
        {
          if (dl->restarts < MAX_RESTARTS)
            {
              download_restart (dl, "the server sent another range than the one asked for");
              return;
            }
          download_fail (dl, FALSE,
                         g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP,
                                      "Downloading %s: the server sent a range "
                                      "that was not asked for.",
                                      dl->safe_url));
          return;
        }
      dl->total = total;
      download_accept (dl);
      return;
    }

  if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && dl->offset > 0 &&
      dl->restarts < MAX_RESTARTS)
    {
      download_restart (dl, "the server has fewer bytes than the .part");
      return;
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status) || SOUP_STATUS_IS_REDIRECTION (status) ||
      status == SOUP_STATUS_NOT_MODIFIED || status == SOUP_STATUS_PARTIAL_CONTENT)
    {
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP,
                                  "Downloading %s: unexpected answer HTTP %u.",
                                  dl->safe_url, status));
      return;
    }

  /* An error status: read a little of the body, which may say more. */
  dl->error_body = g_malloc (ERROR_BODY_BYTES);
  g_input_stream_read_all_async (dl->body, dl->error_body, ERROR_BODY_BYTES, G_PRIORITY_LOW,
                                 dl->cancellable, on_error_body, dl);
}

/* ------------------------------------------------------------------- BODY */

static void on_read (GObject *source, GAsyncResult *result, gpointer user_data);
static void on_closed (GObject *source, GAsyncResult *result, gpointer user_data);

static void
read_next (Download *dl)
{
  g_input_stream_read_bytes_async (dl->body, CHUNK_BYTES, G_PRIORITY_LOW, dl->cancellable,
                                   on_read, dl);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Download *dl = user_data;
  g_autoptr(GError) error = NULL;
  GFileOutputStream *out;

  if (dl->offset == 0)
    out = g_file_create_finish (G_FILE (source), result, &error);
  else
    out = g_file_append_to_finish (G_FILE (source), result, &error);
  if (out == NULL)
    {
      download_fail (dl, TRUE,
                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ?
                     g_error_copy (error) :
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                  "Cannot write %s: %s", dl->part_path, error->message));
      return;
    }
  dl->out = G_OUTPUT_STREAM (out);
  read_next (dl);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Download *dl = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&dl->chunk, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      download_fail (dl, TRUE,
                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ?
                     g_error_copy (error) :
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                  "Cannot write %s: %s", dl->part_path, error->message));
      return;
    }
  read_next (dl);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Download *dl = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *bytes;
  gsize len;
  gint64 have;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      download_fail (dl, TRUE, network_error (dl, error));
      return;
    }
  len = g_bytes_get_size (bytes);
  have = dl->offset + dl->received + (gint64) len;

  if (len == 0)
    {
      g_bytes_unref (bytes);
      if (dl->total >= 0 && have < dl->total)
        {
          download_fail (dl, TRUE,
                         g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_TRUNCATED,
                                      "Downloading %s: the body ended after %" G_GINT64_FORMAT
                                      " of %" G_GINT64_FORMAT " bytes.",
                                      dl->safe_url, have, dl->total));
          return;
        }
      /* Without an announced size the room is made now that it is known. */
      if (dl->total < 0 && !make_room (dl->self, dl->song_id, dl->safe_url, have, &error))
        {
          download_fail (dl, FALSE, g_steal_pointer (&error));
          return;
        }
      g_output_stream_close_async (dl->out, G_PRIORITY_LOW, dl->cancellable, on_closed, dl);
      return;
    }

  if ((dl->total >= 0 && have > dl->total) || have > SK_MEDIA_CACHE_MAX_FILE_BYTES ||
      (dl->expected >= 0 && have > dl->expected))
    {
      g_bytes_unref (bytes);
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR,
                                  have > SK_MEDIA_CACHE_MAX_FILE_BYTES ?
                                  SK_MEDIA_ERROR_TOO_LARGE : SK_MEDIA_ERROR_WRONG_LENGTH,
                                  "Downloading %s: the server sent more than the %" G_GINT64_FORMAT
                                  " bytes expected.", dl->safe_url,
                                  dl->total >= 0 ? dl->total :
                                  dl->expected >= 0 ? dl->expected :
                                  SK_MEDIA_CACHE_MAX_FILE_BYTES));
      return;
    }

  dl->received += len;
  dl->chunk = bytes;
  g_output_stream_write_all_async (dl->out, g_bytes_get_data (bytes, NULL), len, G_PRIORITY_LOW,
                                   dl->cancellable, on_written, dl);
}

/* ----------------------------------------------------------------- VERIFY */

typedef struct
{
  char   *part_path;
  char   *final_path;
  char   *dir;
  char   *safe_url;
  gint64  total;
  gint64  expected;
  char   *sha256;
} VerifyJob;

typedef struct
{
  gint64  bytes;
  char   *sha256;
} VerifyResult;

static void
verify_job_free (VerifyJob *job)
{
  g_free (job->part_path);
  g_free (job->final_path);
  g_free (job->dir);
  g_free (job->safe_url);
  g_free (job->sha256);
  g_free (job);
}

static void
verify_result_free (VerifyResult *res)
{
  g_free (res->sha256);
  g_free (res);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyJob *job = task_data;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (CHUNK_BYTES);
  gint64 bytes = 0;
  VerifyResult *res;
  int fd, dfd;
  int saved;

  fd = g_open (job->part_path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      saved = errno;
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                               "Cannot read back %s: %s", job->part_path, g_strerror (saved));
      return;
    }
  /* fsync of any descriptor flushes the file's data: the bytes that
   * will be renamed into place are on the disk before the rename. */
  if (fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                               "Cannot flush %s to the disk: %s",
                               job->part_path, g_strerror (saved));
      return;
    }
  for (;;)
    {
      ssize_t n = read (fd, buf, CHUNK_BYTES);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved = errno;
          close (fd);
          g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                   "Cannot read back %s: %s", job->part_path, g_strerror (saved));
          return;
        }
      if (n == 0)
        break;
      g_checksum_update (sum, buf, (gsize) n);
      bytes += n;
    }
  close (fd);

  if (job->total >= 0 && bytes != job->total)
    {
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH,
                               "Downloading %s: got %" G_GINT64_FORMAT " bytes, the server "
                               "announced %" G_GINT64_FORMAT ".", job->safe_url, bytes, job->total);
      return;
    }
  if (job->expected >= 0 && bytes != job->expected)
    {
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH,
                               "Downloading %s: got %" G_GINT64_FORMAT " bytes, the song row "
                               "says %" G_GINT64_FORMAT ".", job->safe_url, bytes, job->expected);
      return;
    }
  if (job->sha256 != NULL && g_strcmp0 (g_checksum_get_string (sum), job->sha256) != 0)
    {
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_CHECKSUM,
                               "Downloading %s: its SHA-256 is %s, the song row says %s.",
                               job->safe_url, g_checksum_get_string (sum), job->sha256);
      return;
    }
  if (g_rename (job->part_path, job->final_path) != 0)
    {
      saved = errno;
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                               "Cannot move %s into place: %s", job->part_path, g_strerror (saved));
      return;
    }
  /* The rename itself is durable only once the directory is. */
  dfd = g_open (job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }

  res = g_new0 (VerifyResult, 1);
  res->bytes = bytes;
  res->sha256 = g_strdup (g_checksum_get_string (sum));
  g_task_return_pointer (task, res, (GDestroyNotify) verify_result_free);
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Download *dl = user_data;
  SkMediaCache *self = dl->self;
  g_autoptr(GError) error = NULL;
  VerifyResult *res = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *now = NULL;
  sqlite3_stmt *stmt;
  MediaRow old;

  if (res == NULL)
    {
      download_fail (dl, FALSE, g_steal_pointer (&error));
      return;
    }
  g_unlink (dl->validator_path);

  /* A song whose URL changed extension leaves its old file behind. */
  if (media_row_load (self, dl->song_id, &old) && g_strcmp0 (old.path, dl->final_path) != 0)
    g_unlink (old.path);
  media_row_clear (&old);

  now = sk_time_format (g_get_real_time ());
  stmt = sk_store_prepare (self->store,
                           "INSERT INTO media (song_id, path, bytes, sha256, etag, fetched_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                           "ON CONFLICT (song_id) DO UPDATE SET path = excluded.path, "
                           "  bytes = excluded.bytes, sha256 = excluded.sha256, "
                           "  etag = excluded.etag, fetched_at = excluded.fetched_at",
                           &error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, dl->song_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, dl->final_path, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, res->bytes);
      sqlite3_bind_text (stmt, 4, res->sha256, -1, SQLITE_STATIC);
      if (dl->etag != NULL)
        sqlite3_bind_text (stmt, 5, dl->etag, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, now, -1, SQLITE_STATIC);
      sk_store_run (self->store, stmt, &error);
    }
  verify_result_free (res);
  if (error != NULL)
    {
      /* No row, no file: the next fetch starts over. */
      g_unlink (dl->final_path);
      media_row_delete (self, dl->song_id);
      download_finish (dl, NULL,
                       g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                    "Downloaded %s but could not record it: %s",
                                    dl->safe_url, error->message));
      return;
    }
  download_finish (dl, dl->final_path, NULL);
}

static void
on_closed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Download *dl = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  VerifyJob *job;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      g_clear_object (&dl->out);
      download_fail (dl, FALSE,
                     g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                  "Cannot write %s: %s", dl->part_path, error->message));
      return;
    }
  g_clear_object (&dl->out);

  job = g_new0 (VerifyJob, 1);
  job->part_path = g_strdup (dl->part_path);
  job->final_path = g_strdup (dl->final_path);
  job->dir = g_strdup (dl->self->dir);
  job->safe_url = g_strdup (dl->safe_url);
  job->total = dl->total;
  job->expected = dl->expected;
  job->sha256 = g_strdup (dl->sha256);

  /* No source object: the worker must not hold the last reference to
   * anything that lives on the main context. Not cancellable either: a
   * verification that started finishes, it is bounded by the file. */
  task = g_task_new (NULL, NULL, on_verified, dl);
  g_task_set_source_tag (task, on_closed);
  g_task_set_task_data (task, job, (GDestroyNotify) verify_job_free);
  g_task_run_in_thread (task, verify_thread);
}

/* --------------------------------------------------------------- prefetch */

static gboolean
prefetch_next (gpointer user_data)
{
  SkMediaCache *self = user_data;
  char *song_id;

  self->prefetch_idle = 0;
  if (self->prefetch_song != NULL)
    return G_SOURCE_REMOVE;

  while ((song_id = g_queue_pop_head (&self->prefetch_queue)) != NULL)
    {
      g_autofree char *id = song_id;
      g_autofree char *file_url = NULL;
      g_autofree char *sha256 = NULL;
      g_autoptr(GUri) uri = NULL;
      sqlite3_stmt *stmt;
      UrlKind kind;
      MediaRow row;
      Download *dl;
      gboolean hit;

      stmt = sk_store_prepare (self->store,
                               "SELECT file_url, sha256 FROM songs WHERE id = ?1", NULL);
      if (stmt == NULL)
        break;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
        {
          file_url = g_strdup (sk_store_column_text (stmt, 0));
          sha256 = g_strdup (sk_store_column_text (stmt, 1));
        }
      sqlite3_reset (stmt);
      if (file_url == NULL || !classify_url (file_url, &kind, NULL, &uri, NULL) || kind != URL_HTTP)
        continue;
      if (sha256 != NULL && !is_hex64 (sha256))
        g_clear_pointer (&sha256, g_free);

      dl = g_hash_table_lookup (self->downloads, id);
      if (dl != NULL)
        {
          /* A fetch already runs it; waiting for it keeps one at a time. */
          dl->prefetch = TRUE;
          self->prefetch_song = g_strdup (id);
          break;
        }
      /* A verified file is enough for a prefetch: revalidation is for
       * the fetch that plays it. */
      hit = media_row_load (self, id, &row) && media_row_file_ok (&row) &&
            (sha256 == NULL || g_strcmp0 (row.sha256, sha256) == 0);
      media_row_clear (&row);
      if (hit)
        continue;

      g_debug ("Prefetching song %s", id);
      dl = download_new (self, id, uri, sha256, -1);
      dl->prefetch = TRUE;
      self->prefetch_song = g_strdup (id);
      download_start (dl);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
prefetch_schedule (SkMediaCache *self)
{
  /* From an idle, so that a download finishing inside prefetch_next never
   * re-enters it. The idle holds a reference, dropped when it has run. */
  if (self->prefetch_idle == 0 && !g_queue_is_empty (&self->prefetch_queue))
    self->prefetch_idle = g_idle_add_full (G_PRIORITY_LOW, prefetch_next, g_object_ref (self),
                                           g_object_unref);
}

/* ----------------------------------------------------------------- public */

static void
sk_media_cache_dispose (GObject *object)
{
  SkMediaCache *self = SK_MEDIA_CACHE (object);

  g_queue_clear_full (&self->prefetch_queue, g_free);
  g_clear_handle_id (&self->prefetch_idle, g_source_remove);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (sk_media_cache_parent_class)->dispose (object);
}

static void
sk_media_cache_finalize (GObject *object)
{
  SkMediaCache *self = SK_MEDIA_CACHE (object);

  g_assert (g_hash_table_size (self->downloads) == 0);
  g_clear_pointer (&self->downloads, g_hash_table_unref);
  g_clear_pointer (&self->store, sk_store_unref);
  g_free (self->dir);
  g_free (self->protected_ids[0]);
  g_free (self->protected_ids[1]);
  g_free (self->prefetch_song);
  G_OBJECT_CLASS (sk_media_cache_parent_class)->finalize (object);
}

static void
sk_media_cache_class_init (SkMediaCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_media_cache_dispose;
  object_class->finalize = sk_media_cache_finalize;
}

static void
sk_media_cache_init (SkMediaCache *self)
{
  self->downloads = g_hash_table_new (g_str_hash, g_str_equal);
  self->revalidate_usec = (gint64) DEFAULT_REVALIDATE * G_USEC_PER_SEC;
  g_queue_init (&self->prefetch_queue);
}

char *
sk_media_cache_default_dir (SkStore *store)
{
  g_autofree char *db_dir = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (store != NULL, NULL);
  db_dir = g_path_get_dirname (sk_store_get_path (store));
  dir = g_build_filename (db_dir, "media", NULL);
  return g_canonicalize_filename (dir, NULL);
}

SkMediaCache *
sk_media_cache_new (SkStore    *store,
                    const char *cache_dir,
                    guint64     max_bytes)
{
  SkMediaCache *self;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (cache_dir != NULL && g_path_is_absolute (cache_dir), NULL);

  if (g_mkdir_with_parents (cache_dir, 0750) != 0)
    g_warning ("Cannot create the media cache %s: %s", cache_dir, g_strerror (errno));

  self = g_object_new (SK_TYPE_MEDIA_CACHE, NULL);
  self->store = sk_store_ref (store);
  self->dir = g_strdup (cache_dir);
  self->max_bytes = max_bytes;
  /* Bounded waits: a stalled server costs 30 s, not a hung prefetch.
   * TLS certificates are checked against the system's store (libsoup's
   * default, never relaxed here). */
  self->session = soup_session_new_with_options ("timeout", SESSION_TIMEOUT_S,
                                                 "idle-timeout", 60,
                                                 "user-agent", PACKAGE_NAME "/" PACKAGE_VERSION " ",
                                                 NULL);
  /* Sizes, ranges and checksums refer to the stored bytes: no transfer
   * decoding. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
  return self;
}

const char *
sk_media_cache_get_dir (SkMediaCache *self)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);
  return self->dir;
}

void
sk_media_cache_set_max_bytes (SkMediaCache *self,
                              guint64       max_bytes)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  self->max_bytes = max_bytes;
}

void
sk_media_cache_set_revalidate_after (SkMediaCache *self,
                                     guint         seconds)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  self->revalidate_usec = (gint64) seconds * G_USEC_PER_SEC;
}

char *
sk_media_cache_build_path (SkMediaCache  *self,
                           const char    *song_id,
                           const char    *file_url,
                           GError       **error)
{
  g_autoptr(GUri) uri = NULL;
  UrlKind kind;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);

  if (song_id == NULL || *song_id == '\0')
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID, "The song has no id.");
      return NULL;
    }
  if (!classify_url (file_url, &kind, NULL, &uri, error))
    return NULL;
  if (kind != URL_HTTP)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                   "%s is a local file: it is played in place, not cached.", file_url);
      return NULL;
    }
  return build_path (self, song_id, uri);
}

static char *
local_playable (const char  *path,
                GError     **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || g_access (path, R_OK) != 0)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING,
                   "The song's file %s is missing or cannot be read.", path);
      return NULL;
    }
  return g_strdup (path);
}

char *
sk_media_cache_dup_playable_path (SkMediaCache  *self,
                                  const char    *song_id,
                                  const char    *file_url,
                                  GError       **error)
{
  g_autofree char *local = NULL;
  g_autoptr(GUri) uri = NULL;
  UrlKind kind;
  MediaRow row;
  char *path = NULL;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);
  g_return_val_if_fail (song_id != NULL, NULL);

  if (!classify_url (file_url, &kind, &local, &uri, error))
    return NULL;
  if (kind == URL_LOCAL)
    return local_playable (local, error);

  if (media_row_load (self, song_id, &row) && media_row_file_ok (&row))
    path = g_steal_pointer (&row.path);
  media_row_clear (&row);
  if (path == NULL)
    {
      g_autofree char *safe = safe_url_of (uri);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s is not downloaded yet.", safe);
    }
  return path;
}

void
sk_media_cache_fetch_async (SkMediaCache        *self,
                            const char          *song_id,
                            const char          *file_url,
                            const char          *sha256_or_null,
                            gint64               expected_bytes_or_minus1,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *local = NULL;
  g_autoptr(GUri) uri = NULL;
  Download *dl;
  UrlKind kind;

  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sk_media_cache_fetch_async);

  if (song_id == NULL || *song_id == '\0')
    {
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID, "The song has no id.");
      return;
    }
  if (!classify_url (file_url, &kind, &local, &uri, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (kind == URL_LOCAL)
    {
      char *path = local_playable (local, &error);

      if (path == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, path, g_free);
      return;
    }
  if (sha256_or_null != NULL && !is_hex64 (sha256_or_null))
    {
      g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                               "The SHA-256 “%s” of song %s is not 64 hexadecimal digits.",
                               sha256_or_null, song_id);
      return;
    }
  if (expected_bytes_or_minus1 < -1)
    expected_bytes_or_minus1 = -1;

  dl = g_hash_table_lookup (self->downloads, song_id);
  if (dl != NULL)
    {
      download_add_waiter (dl, task);
      return;
    }
  dl = download_new (self, song_id, uri, sha256_or_null, expected_bytes_or_minus1);
  download_add_waiter (dl, task);
  download_start (dl);
}

char *
sk_media_cache_fetch_finish (SkMediaCache  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sk_media_cache_fetch_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sk_media_cache_mark_played (SkMediaCache *self,
                            const char   *song_id,
                            gint64        now_usec)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ts = NULL;
  sqlite3_stmt *stmt;

  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  g_return_if_fail (song_id != NULL);

  ts = sk_time_format (now_usec);
  stmt = sk_store_prepare (self->store,
                           "UPDATE media SET last_played_at = ?2 WHERE song_id = ?1", &error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, ts, -1, SQLITE_STATIC);
      sk_store_run (self->store, stmt, &error);
    }
  if (error != NULL)
    g_warning ("Could not record that song %s played: %s", song_id, error->message);
}

void
sk_media_cache_set_protected (SkMediaCache *self,
                              const char   *playing_song_id,
                              const char   *next_song_id)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));

  g_free (self->protected_ids[0]);
  g_free (self->protected_ids[1]);
  self->protected_ids[0] = g_strdup (playing_song_id);
  self->protected_ids[1] = g_strdup (next_song_id);
}

void
sk_media_cache_prefetch (SkMediaCache      *self,
                         const char *const *song_ids,
                         guint              n)
{
  Download *running;
  gboolean still_wanted = FALSE;

  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  g_return_if_fail (n == 0 || song_ids != NULL);

  g_queue_clear_full (&self->prefetch_queue, g_free);
  for (guint i = 0; i < n; i++)
    {
      if (song_ids[i] == NULL)
        continue;
      g_queue_push_tail (&self->prefetch_queue, g_strdup (song_ids[i]));
      still_wanted = still_wanted || g_strcmp0 (song_ids[i], self->prefetch_song) == 0;
    }

  /* A prefetch that left the queue and that nobody waits for stops; its
   * .part stays for the day the song comes back. */
  running = self->prefetch_song ?
            g_hash_table_lookup (self->downloads, self->prefetch_song) : NULL;
  if (running != NULL && !still_wanted)
    {
      running->prefetch = FALSE;
      g_clear_pointer (&self->prefetch_song, g_free);
      if (running->waiters->len == 0)
        g_cancellable_cancel (running->cancellable);
    }
  prefetch_schedule (self);
}

gboolean
sk_media_cache_is_busy (SkMediaCache *self)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), FALSE);
  return g_hash_table_size (self->downloads) > 0 || self->prefetch_idle != 0;
}

guint64
sk_media_cache_get_used_bytes (SkMediaCache *self)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), 0);
  return used_bytes_except (self, NULL);
}

guint
sk_media_cache_sweep (SkMediaCache *self)
{
  g_autoptr(GHashTable) keep = NULL;
  g_autoptr(GDir) dir = NULL;
  sqlite3_stmt *stmt;
  const char *name;
  guint removed = 0;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), 0);

  keep = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stmt = sk_store_prepare (self->store, "SELECT path FROM media", NULL);
  if (stmt == NULL)
    return 0;
  while (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    if (sk_store_column_text (stmt, 0) != NULL)
      g_hash_table_add (keep, g_path_get_basename (sk_store_column_text (stmt, 0)));
  sqlite3_reset (stmt);

  /* A .part may be resumed as long as its song is in the library. */
  stmt = sk_store_prepare (self->store,
                           "SELECT id, file_url FROM songs "
                           "WHERE file_url LIKE 'http://%' OR file_url LIKE 'https://%'", NULL);
  if (stmt == NULL)
    return 0;
  while (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    {
      const char *id = sk_store_column_text (stmt, 0);
      g_autoptr(GUri) uri = NULL;
      g_autofree char *final = NULL;
      g_autofree char *base = NULL;
      UrlKind kind;

      if (id == NULL ||
          !classify_url (sk_store_column_text (stmt, 1), &kind, NULL, &uri, NULL) ||
          kind != URL_HTTP)
        continue;
      final = build_path (self, id, uri);
      base = g_path_get_basename (final);
      g_hash_table_add (keep, g_strconcat (base, ".part", NULL));
      g_hash_table_add (keep, g_strconcat (base, ".part.validator", NULL));
      if (g_hash_table_contains (self->downloads, id))
        g_hash_table_add (keep, g_steal_pointer (&base));
    }
  sqlite3_reset (stmt);

  dir = g_dir_open (self->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (g_hash_table_contains (keep, name))
        continue;
      path = g_build_filename (self->dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_unlink (path) == 0)
        {
          g_debug ("Swept %s from the media cache", name);
          removed++;
        }
    }
  if (removed > 0)
    g_message ("Removed %u files from the media cache that no song needs", removed);
  return removed;
}
