/* sk-media-cache.c: SkMediaCache, the object and its public calls, and the
 * prefetcher. The cache spans several files (sk-media-cache-private.h):
 * the URL rules (sk-media-url.c), the `media` index and eviction
 * (sk-media-index.c) and the download state machine (sk-media-download.c,
 * sk-media-body.c), which sk-media-download.c opens by describing. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sk-media-cache-private.h"
#include "sk-songs.h"
#include "sk-util.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-media-error-quark, sk_media_error)
/* clang-format on */

G_DEFINE_FINAL_TYPE (SkMediaCache, sk_media_cache, G_TYPE_OBJECT)

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
      g_autoptr (SkSong) song = NULL;
      g_autoptr (GError) error = NULL;
      const char *sha256;
      g_autoptr (GUri) uri = NULL;
      UrlKind kind;
      MediaRow row;
      Download *dl;
      gboolean hit;

      song = sk_songs_lookup (self->store, id, &error);
      if (song == NULL && !g_error_matches (error, SK_SONGS_ERROR, SK_SONGS_ERROR_NOT_FOUND))
        {
          g_debug ("No prefetch: %s", error->message);
          break;
        }
      if (song == NULL || !sk_media_classify_url (song->file_url, &kind, NULL, &uri, NULL) ||
          kind != URL_HTTP)
        continue;
      sha256 = song->sha256;
      if (sha256 != NULL && !sk_media_is_hex64 (sha256))
        sha256 = NULL;

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
      hit = sk_media_row_load (self, id, &row) && sk_media_row_file_ok (&row) &&
            (sha256 == NULL || g_strcmp0 (row.sha256, sha256) == 0);
      sk_media_row_clear (&row);
      if (hit)
        continue;

      g_debug ("Prefetching song %s", id);
      dl = sk_media_download_new (self, id, uri, sha256, -1);
      dl->prefetch = TRUE;
      self->prefetch_song = g_strdup (id);
      sk_media_download_start (dl);
      break;
    }
  return G_SOURCE_REMOVE;
}

void
sk_media_cache_prefetch_schedule (SkMediaCache *self)
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
sk_media_cache_new (SkStore *store, const char *cache_dir, guint64 max_bytes)
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
  self->session = soup_session_new_with_options ("timeout", SESSION_TIMEOUT_S, "idle-timeout", 60,
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
sk_media_cache_set_max_bytes (SkMediaCache *self, guint64 max_bytes)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  self->max_bytes = max_bytes;
}

void
sk_media_cache_set_revalidate_after (SkMediaCache *self, guint seconds)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  self->revalidate_usec = (gint64) seconds * G_USEC_PER_SEC;
}

char *
sk_media_cache_build_path (SkMediaCache *self,
                           const char *song_id,
                           const char *file_url,
                           GError **error)
{
  g_autoptr (GUri) uri = NULL;
  UrlKind kind;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);

  if (song_id == NULL || *song_id == '\0')
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID, "The song has no id.");
      return NULL;
    }
  if (!sk_media_classify_url (file_url, &kind, NULL, &uri, error))
    return NULL;
  if (kind != URL_HTTP)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                   "%s is a local file: it is played in place, not cached.", file_url);
      return NULL;
    }
  return sk_media_build_path (self, song_id, uri);
}
char *
sk_media_cache_dup_playable_path (SkMediaCache *self,
                                  const char *song_id,
                                  const char *file_url,
                                  GError **error)
{
  g_autofree char *local = NULL;
  g_autoptr (GUri) uri = NULL;
  UrlKind kind;
  MediaRow row;
  char *path = NULL;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);
  g_return_val_if_fail (song_id != NULL, NULL);

  if (!sk_media_classify_url (file_url, &kind, &local, &uri, error))
    return NULL;
  if (kind == URL_LOCAL)
    return sk_media_local_playable (self, local, error);

  if (sk_media_row_load (self, song_id, &row) && sk_media_row_file_ok (&row))
    path = g_steal_pointer (&row.path);
  sk_media_row_clear (&row);
  if (path == NULL)
    {
      g_autofree char *safe = sk_media_safe_url (uri);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not downloaded yet.", safe);
    }
  return path;
}

void
sk_media_cache_fetch_async (SkMediaCache *self,
                            const char *song_id,
                            const char *file_url,
                            const char *sha256_or_null,
                            gint64 expected_bytes_or_minus1,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *local = NULL;
  g_autoptr (GUri) uri = NULL;
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
  if (!sk_media_classify_url (file_url, &kind, &local, &uri, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (kind == URL_LOCAL)
    {
      char *path = sk_media_local_playable (self, local, &error);

      if (path == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, path, g_free);
      return;
    }
  if (sha256_or_null != NULL && !sk_media_is_hex64 (sha256_or_null))
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
      sk_media_download_add_waiter (dl, task);
      return;
    }
  dl = sk_media_download_new (self, song_id, uri, sha256_or_null, expected_bytes_or_minus1);
  sk_media_download_add_waiter (dl, task);
  sk_media_download_start (dl);
}

char *
sk_media_cache_fetch_finish (SkMediaCache *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sk_media_cache_fetch_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
void
sk_media_cache_set_protected (SkMediaCache *self,
                              const char *playing_song_id,
                              const char *next_song_id)
{
  g_return_if_fail (SK_IS_MEDIA_CACHE (self));

  g_free (self->protected_ids[0]);
  g_free (self->protected_ids[1]);
  self->protected_ids[0] = g_strdup (playing_song_id);
  self->protected_ids[1] = g_strdup (next_song_id);
}

void
sk_media_cache_prefetch (SkMediaCache *self, const char *const *song_ids, guint n)
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
  running = self->prefetch_song ? g_hash_table_lookup (self->downloads, self->prefetch_song) : NULL;
  if (running != NULL && !still_wanted)
    {
      running->prefetch = FALSE;
      g_clear_pointer (&self->prefetch_song, g_free);
      if (running->waiters->len == 0)
        g_cancellable_cancel (running->cancellable);
    }
  sk_media_cache_prefetch_schedule (self);
}

gboolean
sk_media_cache_is_busy (SkMediaCache *self)
{
  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), FALSE);
  return g_hash_table_size (self->downloads) > 0 || self->prefetch_idle != 0;
}
