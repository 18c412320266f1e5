/* sk-media-download.c: downloads of the library's audio files, verified and
 * bounded in size. Part of SkMediaCache (sk-media-cache-private.h); the
 * BODY, VERIFY and RECORD states are in sk-media-body.c.
 *
 * THE DOWNLOAD STATE MACHINE
 *
 * One Download exists per song being fetched (fetches of one song share
 * it); it runs on the cache's main context and moves through:
 *
 *   CHECK     sk_media_download_start(). A `media` row whose file is on disk with
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
 *   DONE / FAILED   sk_media_download_finish(): every waiting GTask gets the path or
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

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sk-media-cache-private.h"
#include "sk-util.h"

static void download_request (Download *dl);

static void
remove_part (Download *dl)
{
  g_unlink (dl->part_path);
  g_unlink (dl->validator_path);
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

/* DONE or FAILED: exactly one of @path and @error. */
void
sk_media_download_finish (Download *dl, const char *path, GError *error)
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
            again = sk_media_download_new (self, dl->song_id, dl->uri, dl->sha256, dl->expected);
          sk_media_download_add_waiter (again, w->task);
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
      sk_media_cache_prefetch_schedule (self);
    }
  g_clear_error (&error);
  download_free (dl);
  if (again != NULL)
    sk_media_download_start (again);
}

void
sk_media_download_fail (Download *dl, gboolean keep_part, GError *error)
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
      !sk_media_file_size (dl->part_path, &size) || size == 0)
    remove_part (dl);
  sk_media_download_finish (dl, NULL, error);
}

/* A waiter's own cancellable fired: it stops waiting. The Download stops
 * only when nobody (not even the prefetcher) wants it any more, and then
 * the waiter learns it through sk_media_download_finish, after the .part is left
 * alone. */
static gboolean
on_waiter_cancelled (GCancellable *cancellable, gpointer user_data)
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

void
sk_media_download_add_waiter (Download *dl, GTask *task)
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

Download *
sk_media_download_new (
    SkMediaCache *self, const char *song_id, GUri *uri, const char *sha256, gint64 expected)
{
  Download *dl = g_new0 (Download, 1);

  dl->self = g_object_ref (self);
  dl->song_id = g_strdup (song_id);
  dl->uri = g_uri_ref (uri);
  dl->safe_url = sk_media_safe_url (uri);
  dl->sha256 = sha256 ? g_ascii_strdown (sha256, -1) : NULL;
  dl->expected = expected;
  dl->final_path = sk_media_build_path (self, song_id, uri);
  dl->part_path = g_strconcat (dl->final_path, ".part", NULL);
  dl->validator_path = g_strconcat (dl->final_path, ".part.validator", NULL);
  dl->cancellable = g_cancellable_new ();
  dl->waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) waiter_free);
  dl->total = -1;
  g_hash_table_insert (self->downloads, dl->song_id, dl);
  return dl;
}

/* ------------------------------------------------------------------ CHECK */

void
sk_media_download_start (Download *dl)
{
  SkMediaCache *self = dl->self;
  MediaRow row;
  gint64 part_size = 0;

  if (sk_media_row_load (self, dl->song_id, &row) && sk_media_row_file_ok (&row))
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

          sk_media_row_clear (&row);
          sk_media_download_finish (dl, path, NULL);
          return;
        }
      /* Revalidate only a file with no SHA-256 to compare, under the name
       * the URL gives: a song row whose SHA-256 differs, or whose URL
       * moved, needs the new file whatever the server says of the old. */
      if (dl->sha256 == NULL && row.etag != NULL && g_strcmp0 (row.path, dl->final_path) == 0)
        dl->cached_etag = g_strdup (row.etag);
    }
  sk_media_row_clear (&row);

  if (dl->cached_etag == NULL &&
      g_file_get_contents (dl->validator_path, &dl->validator, NULL, NULL) &&
      *dl->validator != '\0' && strchr (dl->validator, '\n') == NULL &&
      sk_media_file_size (dl->part_path, &part_size) && part_size > 0)
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

  soup_session_send_async (dl->self->session, dl->msg, G_PRIORITY_LOW, dl->cancellable, on_sent,
                           dl);
}

static void
download_restart (Download *dl, const char *why)
{
  g_debug ("Restarting %s from byte 0: %s", dl->safe_url, why);
  dl->restarts++;
  remove_part (dl);
  dl->offset = 0;
  g_clear_pointer (&dl->validator, g_free);
  download_request (dl);
}

GError *
sk_media_download_network_error (Download *dl, GError *error)
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
  return g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_NETWORK, "Downloading %s failed: %s",
                      dl->safe_url, error->message);
}

/* The headers of a 200 or 206 are in: check the size, make room, open
 * the .part. */
static void
download_accept (Download *dl)
{
  SkMediaCache *self = dl->self;
  SoupMessageHeaders *headers = soup_message_get_response_headers (dl->msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) part = NULL;

  if (dl->total > SK_MEDIA_CACHE_MAX_FILE_BYTES || (dl->expected > SK_MEDIA_CACHE_MAX_FILE_BYTES))
    {
      sk_media_download_fail (dl, FALSE,
                              g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_TOO_LARGE,
                                           "Refusing %s: %" G_GINT64_FORMAT " bytes is more than "
                                           "the %" G_GINT64_FORMAT " a song may have.",
                                           dl->safe_url, MAX (dl->total, dl->expected),
                                           SK_MEDIA_CACHE_MAX_FILE_BYTES));
      return;
    }
  if (dl->total >= 0 && dl->expected >= 0 && dl->total != dl->expected)
    {
      sk_media_download_fail (dl, FALSE,
                              g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH,
                                           "Refusing %s: the server announces %" G_GINT64_FORMAT
                                           " bytes, the song row says %" G_GINT64_FORMAT ".",
                                           dl->safe_url, dl->total, dl->expected));
      return;
    }
  if (!sk_media_make_room (self, dl->song_id, dl->safe_url,
                           dl->total >= 0 ? dl->total : MAX (dl->expected, 0), &error))
    {
      sk_media_download_fail (dl, FALSE, g_steal_pointer (&error));
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
        g_file_set_contents_full (dl->validator_path, validator, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                  NULL);
      g_file_create_async (part, G_FILE_CREATE_PRIVATE, G_PRIORITY_LOW, dl->cancellable,
                           sk_media_download_on_opened, dl);
    }
  else
    g_file_append_to_async (part, G_FILE_CREATE_PRIVATE, G_PRIORITY_LOW, dl->cancellable,
                            sk_media_download_on_opened, dl);
}

static void
on_error_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  guint status = soup_message_get_status (dl->msg);
  gsize n = 0;
  g_autoptr (JsonNode) root = NULL;
  gboolean storage_404 = FALSE;
  g_autofree char *storage_message = NULL;
  gboolean keep_part;
  g_autoptr (GError) error = NULL;

  if (!g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      sk_media_download_fail (dl, TRUE, g_steal_pointer (&error));
      return;
    }

  /* Supabase Storage answers a missing object with 400 and a JSON body
   * whose statusCode is "404". */
  if (status == SOUP_STATUS_BAD_REQUEST && n > 0 &&
      (root = sk_json_parse_object ((const char *) dl->error_body, n, NULL)) != NULL)
    {
      JsonObject *o = json_node_get_object (root);
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
      sk_media_download_fail (dl, FALSE,
                              g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_NOT_ON_SERVER,
                                           "Downloading %s: the server has no such file "
                                           "(HTTP %u%s%s).",
                                           dl->safe_url, status,
                                           storage_404 ? ", Storage says 404: " : "",
                                           storage_404 && storage_message ? storage_message : ""));
      return;
    }
  keep_part = SOUP_STATUS_IS_SERVER_ERROR (status) || status == SOUP_STATUS_REQUEST_TIMEOUT ||
              status == 429;
  sk_media_download_fail (dl, keep_part,
                          g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_HTTP,
                                       "Downloading %s: the server answered HTTP %u %s.",
                                       dl->safe_url, status,
                                       soup_message_get_reason_phrase (dl->msg)
                                           ? soup_message_get_reason_phrase (dl->msg)
                                           : ""));
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers;
  guint status;

  dl->body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (dl->body == NULL)
    {
      sk_media_download_fail (dl, TRUE, sk_media_download_network_error (dl, error));
      return;
    }
  status = soup_message_get_status (dl->msg);
  headers = soup_message_get_response_headers (dl->msg);
  dl->etag = g_strdup (soup_message_headers_get_one (headers, "ETag"));
  g_debug ("%s: HTTP %u (asked from byte %" G_GINT64_FORMAT "%s)", dl->safe_url, status,
           (gint64) dl->offset, dl->cached_etag ? ", revalidating" : "");

  if (status == SOUP_STATUS_NOT_MODIFIED && dl->cached_etag != NULL)
    {
      g_autoptr (GError) db_error = NULL;
      g_autofree char *now = sk_time_format (g_get_real_time ());

      if (!sk_store_run_sql (dl->self->store, &db_error,
                             "UPDATE media SET fetched_at = ?2 WHERE song_id = ?1", "ss",
                             dl->song_id, now))
        g_warning ("Could not record the revalidation of %s: %s", dl->safe_url, db_error->message);
      /* Evicted while the question was on its way: fetch it whole. */
      if (db_error == NULL && sk_store_changes (dl->self->store) == 0 &&
          dl->restarts < MAX_RESTARTS)
        {
          g_clear_pointer (&dl->cached_etag, g_free);
          download_restart (dl, "the cached file was evicted during revalidation");
          return;
        }
      sk_media_download_finish (dl, dl->final_path, NULL);
      return;
    }

  if (status == SOUP_STATUS_OK)
    {
      if (dl->offset > 0)
        g_debug ("%s: the server sent the whole file, not the rest: starting again", dl->safe_url);
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
          sk_media_download_fail (dl, FALSE,
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
      sk_media_download_fail (dl, FALSE,
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
