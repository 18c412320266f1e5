/* sk-media-body.c: the BODY, VERIFY and RECORD states of a media cache
 * download (the state machine is described in sk-media-download.c).
 * Part of SkMediaCache (sk-media-cache-private.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sk-media-cache-private.h"
#include "sk-util.h"

/* ------------------------------------------------------------------- BODY */

static void on_read (GObject *source, GAsyncResult *result, gpointer user_data);
static void on_closed (GObject *source, GAsyncResult *result, gpointer user_data);

/* A failed write of the part file: a cancellation stays a cancellation,
 * anything else says which file could not be written. */
static GError *
write_error (Download *dl, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED, "Cannot write %s: %s", dl->part_path,
                      error->message);
}

static void
read_next (Download *dl)
{
  g_input_stream_read_bytes_async (dl->body, CHUNK_BYTES, G_PRIORITY_LOW, dl->cancellable, on_read,
                                   dl);
}

void
sk_media_download_on_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  g_autoptr (GError) error = NULL;
  GFileOutputStream *out;

  if (dl->offset == 0)
    out = g_file_create_finish (G_FILE (source), result, &error);
  else
    out = g_file_append_to_finish (G_FILE (source), result, &error);
  if (out == NULL)
    {
      sk_media_download_fail (dl, TRUE, write_error (dl, error));
      return;
    }
  dl->out = G_OUTPUT_STREAM (out);
  read_next (dl);
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&dl->chunk, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      sk_media_download_fail (dl, TRUE, write_error (dl, error));
      return;
    }
  read_next (dl);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  g_autoptr (GError) error = NULL;
  GBytes *bytes;
  gsize len;
  gint64 have;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bytes == NULL)
    {
      sk_media_download_fail (dl, TRUE, sk_media_download_network_error (dl, error));
      return;
    }
  len = g_bytes_get_size (bytes);
  have = dl->offset + dl->received + (gint64) len;

  if (len == 0)
    {
      g_bytes_unref (bytes);
      if (dl->total >= 0 && have < dl->total)
        {
          sk_media_download_fail (dl, TRUE,
                                  g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_TRUNCATED,
                                               "Downloading %s: the body ended after %" G_GINT64_FORMAT
                                               " of %" G_GINT64_FORMAT " bytes.",
                                               dl->safe_url, have, dl->total));
          return;
        }
      /* Without an announced size the room is made now that it is known. */
      if (dl->total < 0 && !sk_media_make_room (dl->self, dl->song_id, dl->safe_url, have, &error))
        {
          sk_media_download_fail (dl, FALSE, g_steal_pointer (&error));
          return;
        }
      g_output_stream_close_async (dl->out, G_PRIORITY_LOW, dl->cancellable, on_closed, dl);
      return;
    }

  if ((dl->total >= 0 && have > dl->total) || have > SK_MEDIA_CACHE_MAX_FILE_BYTES ||
      (dl->expected >= 0 && have > dl->expected))
    {
      g_bytes_unref (bytes);
      sk_media_download_fail (dl, FALSE,
                              g_error_new (SK_MEDIA_ERROR,
                                           have > SK_MEDIA_CACHE_MAX_FILE_BYTES
                                               ? SK_MEDIA_ERROR_TOO_LARGE
                                               : SK_MEDIA_ERROR_WRONG_LENGTH,
                                           "Downloading %s: the server sent more than the %" G_GINT64_FORMAT
                                           " bytes expected.",
                                           dl->safe_url,
                                           dl->total >= 0      ? dl->total
                                           : dl->expected >= 0 ? dl->expected
                                                               : SK_MEDIA_CACHE_MAX_FILE_BYTES));
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
  char *part_path;
  char *final_path;
  char *dir;
  char *safe_url;
  gint64 total;
  gint64 expected;
  char *sha256;
} VerifyJob;

typedef struct
{
  gint64 bytes;
  char *sha256;
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

/* FALSE, with the task's error returned, when @got is not the length @who
 * gives (@want; -1 when it gives none). */
static gboolean
length_ok (GTask *task, const char *safe_url, gint64 got, gint64 want, const char *who)
{
  if (want < 0 || got == want)
    return TRUE;
  g_task_return_new_error (task, SK_MEDIA_ERROR, SK_MEDIA_ERROR_WRONG_LENGTH,
                           "Downloading %s: got %" G_GINT64_FORMAT " bytes, %s %" G_GINT64_FORMAT
                           ".",
                           safe_url, got, who, want);
  return FALSE;
}

static void
verify_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  VerifyJob *job = task_data;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
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
                               "Cannot flush %s to the disk: %s", job->part_path,
                               g_strerror (saved));
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

  if (!length_ok (task, job->safe_url, bytes, job->total, "the server announced") ||
      !length_ok (task, job->safe_url, bytes, job->expected, "the song row says"))
    return;
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
on_verified (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  SkMediaCache *self = dl->self;
  g_autoptr (GError) error = NULL;
  VerifyResult *res = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *now = NULL;
  MediaRow old;

  if (res == NULL)
    {
      sk_media_download_fail (dl, FALSE, g_steal_pointer (&error));
      return;
    }
  g_unlink (dl->validator_path);

  /* A song whose URL changed extension leaves its old file behind. */
  if (sk_media_row_load (self, dl->song_id, &old) && g_strcmp0 (old.path, dl->final_path) != 0)
    g_unlink (old.path);
  sk_media_row_clear (&old);

  now = sk_time_format (g_get_real_time ());
  sk_store_run_sql (self->store, &error,
                    "INSERT INTO media (song_id, path, bytes, sha256, etag, fetched_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                    "ON CONFLICT (song_id) DO UPDATE SET path = excluded.path, "
                    "  bytes = excluded.bytes, sha256 = excluded.sha256, "
                    "  etag = excluded.etag, fetched_at = excluded.fetched_at",
                    "ssxsss", dl->song_id, dl->final_path, res->bytes, res->sha256, dl->etag, now);
  verify_result_free (res);
  if (error != NULL)
    {
      /* No row, no file: the next fetch starts over. */
      g_unlink (dl->final_path);
      /* A row left behind names a missing file, which the cheap check
       * (sk_media_row_file_ok) takes for a miss. */
      sk_media_row_delete (self, dl->song_id, NULL);
      sk_media_download_finish (dl, NULL,
                                g_error_new (SK_MEDIA_ERROR, SK_MEDIA_ERROR_FAILED,
                                             "Downloaded %s but could not record it: %s",
                                             dl->safe_url, error->message));
      return;
    }
  sk_media_download_finish (dl, dl->final_path, NULL);
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Download *dl = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  VerifyJob *job;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error))
    {
      g_clear_object (&dl->out);
      sk_media_download_fail (dl, FALSE,
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
