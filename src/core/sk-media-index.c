/* sk-media-index.c: the `media` table, the index of verified downloads:
 * its rows, the bytes they hold, eviction of the least recently played,
 * and the sweep of files no row names. Part of SkMediaCache
 * (sk-media-cache-private.h). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sk-media-cache-private.h"
#include "sk-util.h"

void
sk_media_row_clear (MediaRow *row)
{
  g_clear_pointer (&row->path, g_free);
  g_clear_pointer (&row->sha256, g_free);
  g_clear_pointer (&row->etag, g_free);
}

gboolean
sk_media_row_load (SkMediaCache *self, const char *song_id, MediaRow *row)
{
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  memset (row, 0, sizeof *row);
  stmt = sk_store_query (self->store, NULL,
                         "SELECT path, bytes, sha256, etag, fetched_at FROM media "
                         "WHERE song_id = ?1",
                         "s", song_id);
  if (stmt == NULL)
    return FALSE;
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
gboolean
sk_media_row_file_ok (const MediaRow *row)
{
  gint64 size;

  return row->path != NULL && sk_media_file_size (row->path, &size) && size == row->bytes;
}

gboolean
sk_media_row_delete (SkMediaCache *self, const char *song_id, GError **error)
{
  return sk_store_run_sql (self->store, error, "DELETE FROM media WHERE song_id = ?1", "s",
                           song_id);
}

gboolean
sk_media_used_bytes_except (SkMediaCache *self, const char *song_id, guint64 *used, GError **error)
{
  sqlite3_stmt *stmt;
  int step;

  *used = 0;
  stmt = sk_store_query (self->store, error,
                         "SELECT COALESCE(SUM(bytes), 0) FROM media "
                         "WHERE ?1 IS NULL OR song_id != ?1",
                         "s", song_id);
  if (stmt == NULL)
    return FALSE;
  step = sk_store_step (self->store, stmt, error);
  if (step == SQLITE_ROW)
    *used = (guint64) MAX (sqlite3_column_int64 (stmt, 0), 0);
  sqlite3_reset (stmt);
  return step == SQLITE_ROW;
}

/* The least recently played row that may go for @song_id: into *@victim
 * and *@victim_path, or both NULL when only protected songs are left. */
static gboolean
pick_victim (
    SkMediaCache *self, const char *song_id, char **victim, char **victim_path, GError **error)
{
  sqlite3_stmt *stmt;
  int step;

  *victim = NULL;
  *victim_path = NULL;
  stmt = sk_store_query (self->store, error,
                         "SELECT song_id, path FROM media "
                         "WHERE song_id != ?1 "
                         "  AND (?2 IS NULL OR song_id != ?2) "
                         "  AND (?3 IS NULL OR song_id != ?3) "
                         "ORDER BY COALESCE(last_played_at, fetched_at, '') ASC, song_id ASC "
                         "LIMIT 1",
                         "sss", song_id, self->protected_ids[0], self->protected_ids[1]);
  if (stmt == NULL)
    return FALSE;
  step = sk_store_step (self->store, stmt, error);
  if (step == SQLITE_ROW)
    {
      *victim = g_strdup (sk_store_column_text (stmt, 0));
      *victim_path = g_strdup (sk_store_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  return step != -1;
}

/* Evicts least-recently-played files until @need more bytes fit for
 * @song_id (whose own old version does not count: it is being replaced). */
gboolean
sk_media_make_room (
    SkMediaCache *self, const char *song_id, const char *safe_url, gint64 need, GError **error)
{
  if (self->max_bytes == 0)
    return TRUE;
  if ((guint64) need > self->max_bytes)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_CACHE_FULL,
                   "Cannot cache %s: it is %" G_GINT64_FORMAT " bytes, more than the cache's "
                   "limit of %" G_GUINT64_FORMAT " bytes.",
                   safe_url, need, self->max_bytes);
      return FALSE;
    }
  /* One transaction per eviction: the sum, the choice and the row's
   * removal are one decision, which another process (soundscape-ctl cache
   * --fetch) cannot interleave with; the file goes only once the row is
   * gone for good. Any failure ends the loop with an error: a refused
   * write must not pick the same victim again. */
  for (;;)
    {
      g_autofree char *victim = NULL;
      g_autofree char *victim_path = NULL;
      guint64 used;

      if (!sk_store_begin (self->store, error))
        return FALSE;
      if (!sk_media_used_bytes_except (self, song_id, &used, error))
        goto failed;
      if (used + (guint64) need <= self->max_bytes)
        return sk_store_commit (self->store, error);
      if (!pick_victim (self, song_id, &victim, &victim_path, error))
        goto failed;
      if (victim == NULL)
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_CACHE_FULL,
                       "Cannot cache %s (%" G_GINT64_FORMAT
                       " bytes): the cache's limit of %" G_GUINT64_FORMAT
                       " bytes is taken by the songs playing and next.",
                       safe_url, need, self->max_bytes);
          goto failed;
        }
      /* The row goes first: a row without its file would be a lie, a file
       * without a row is only wasted space. */
      if (!sk_media_row_delete (self, victim, error))
        goto failed;
      if (!sk_store_commit (self->store, error))
        return FALSE;
      if (victim_path != NULL)
        g_unlink (victim_path);
      g_message ("Evicted song %s from the media cache to make room", victim);
    }

failed:
  sk_store_rollback (self->store);
  return FALSE;
}

void
sk_media_cache_mark_played (SkMediaCache *self, const char *song_id, gint64 now_usec)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ts = NULL;

  g_return_if_fail (SK_IS_MEDIA_CACHE (self));
  g_return_if_fail (song_id != NULL);

  ts = sk_time_format (now_usec);
  if (!sk_store_run_sql (self->store, &error,
                         "UPDATE media SET last_played_at = ?2 WHERE song_id = ?1", "ss", song_id,
                         ts))
    g_warning ("Could not record that song %s played: %s", song_id, error->message);
}
guint64
sk_media_cache_get_used_bytes (SkMediaCache *self, GError **error)
{
  guint64 used;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), 0);
  sk_media_used_bytes_except (self, NULL, &used, error);
  return used;
}

void
sk_media_entry_free (SkMediaEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->song_id);
  g_free (entry->path);
  g_free (entry->fetched_at);
  g_free (entry->last_played_at);
  g_free (entry);
}

GPtrArray *
sk_media_cache_list (SkMediaCache *self, GError **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (
      (GDestroyNotify) sk_media_entry_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), NULL);

  stmt = sk_store_prepare (self->store,
                           "SELECT song_id, path, bytes, fetched_at, last_played_at FROM media "
                           "ORDER BY coalesce(last_played_at, fetched_at, '') DESC, song_id",
                           error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      SkMediaEntry *e = g_new0 (SkMediaEntry, 1);

      e->song_id = g_strdup (sk_store_column_text (stmt, 0));
      e->path = g_strdup (sk_store_column_text (stmt, 1));
      e->bytes = (guint64) MAX (sqlite3_column_int64 (stmt, 2), 0);
      e->fetched_at = g_strdup (sk_store_column_text (stmt, 3));
      e->last_played_at = g_strdup (sk_store_column_text (stmt, 4));
      g_ptr_array_add (entries, e);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&entries);
}

guint
sk_media_cache_sweep (SkMediaCache *self, GError **error)
{
  g_autoptr (GHashTable) keep = NULL;
  g_autoptr (GDir) dir = NULL;
  sqlite3_stmt *stmt;
  const char *name;
  guint removed = 0;
  int step;

  g_return_val_if_fail (SK_IS_MEDIA_CACHE (self), 0);

  /* What to keep is read whole before anything is removed: a list cut
   * short by a failed step would condemn the files it did not reach. */
  keep = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stmt = sk_store_prepare (self->store, "SELECT path FROM media", error);
  if (stmt == NULL)
    return 0;
  while ((step = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    if (sk_store_column_text (stmt, 0) != NULL)
      g_hash_table_add (keep, g_path_get_basename (sk_store_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (step != SQLITE_DONE)
    return 0;

  /* A .part may be resumed as long as its song is in the library. */
  stmt = sk_store_prepare (self->store,
                           "SELECT id, file_url FROM songs "
                           "WHERE file_url LIKE 'http://%' OR file_url LIKE 'https://%'",
                           error);
  if (stmt == NULL)
    return 0;
  while ((step = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      const char *id = sk_store_column_text (stmt, 0);
      g_autoptr (GUri) uri = NULL;
      g_autofree char *final = NULL;
      g_autofree char *base = NULL;
      UrlKind kind;

      if (id == NULL ||
          !sk_media_classify_url (sk_store_column_text (stmt, 1), &kind, NULL, &uri, NULL) ||
          kind != URL_HTTP)
        continue;
      final = sk_media_build_path (self, id, uri);
      base = g_path_get_basename (final);
      g_hash_table_add (keep, g_strconcat (base, ".part", NULL));
      g_hash_table_add (keep, g_strconcat (base, ".part.validator", NULL));
      if (g_hash_table_contains (self->downloads, id))
        g_hash_table_add (keep, g_steal_pointer (&base));
    }
  sqlite3_reset (stmt);
  if (step != SQLITE_DONE)
    return 0;

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
    g_message ("Removed %u %s from the media cache that no song needs", removed,
               removed == 1 ? "file" : "files");
  return removed;
}
