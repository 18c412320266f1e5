/* sk-songs.c: reading the library (see sk-songs.h). */
#include "config.h"

#include "sk-songs.h"
#include "sk-store.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-songs-error-quark, sk_songs_error)
/* clang-format on */

#define SONG_COLUMNS \
  "id, title, artist, file_url, sha256, embedding, coalesce(duration, 0), playable"

void
sk_song_free (SkSong *song)
{
  if (song == NULL)
    return;
  g_free (song->id);
  g_free (song->title);
  g_free (song->artist);
  g_free (song->file_url);
  g_free (song->sha256);
  g_free (song->embedding);
  g_free (song);
}

static SkSong *
song_from_row (sqlite3_stmt *stmt)
{
  SkSong *song = g_new0 (SkSong, 1);

  song->id = g_strdup (sk_store_column_text (stmt, 0));
  song->title = g_strdup (sk_store_column_text (stmt, 1));
  song->artist = g_strdup (sk_store_column_text (stmt, 2));
  song->file_url = g_strdup (sk_store_column_text (stmt, 3));
  song->sha256 = g_strdup (sk_store_column_text (stmt, 4));
  song->embedding = g_strdup (sk_store_column_text (stmt, 5));
  song->duration = sqlite3_column_int64 (stmt, 6);
  song->playable = sqlite3_column_int (stmt, 7) != 0;
  return song;
}

GPtrArray *
sk_songs_list (SkStore *store, GError **error)
{
  g_autoptr (GPtrArray) songs = g_ptr_array_new_with_free_func ((GDestroyNotify) sk_song_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_prepare (store, "SELECT " SONG_COLUMNS " FROM songs ORDER BY title, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sk_store_step (store, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (songs, song_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&songs);
}

SkSong *
sk_songs_lookup (SkStore *store, const char *id, GError **error)
{
  SkSong *song = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (id != NULL, NULL);

  stmt = sk_store_query (store, error, "SELECT " SONG_COLUMNS " FROM songs WHERE id = ?1", "s", id);
  if (stmt == NULL)
    return NULL;
  rc = sk_store_step (store, stmt, error);
  if (rc == SQLITE_ROW)
    song = song_from_row (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, SK_SONGS_ERROR, SK_SONGS_ERROR_NOT_FOUND, "no song has the id “%s”", id);
  return song;
}

gboolean
sk_songs_count (SkStore *store, guint *n_songs, guint *n_unsynced, GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_prepare (store,
                           "SELECT (SELECT count(*) FROM songs), (SELECT count(*) FROM outbox)",
                           error);
  if (stmt == NULL)
    return FALSE;
  rc = sk_store_step (store, stmt, error);
  if (rc == SQLITE_ROW)
    {
      *n_songs = (guint) sqlite3_column_int64 (stmt, 0);
      *n_unsynced = (guint) sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}
