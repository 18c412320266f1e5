/* sk-songs.h: the library as a reader sees it: the rows of the songs table
 * for listing, one song by id, and the counts a status shows. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

#define SK_SONGS_ERROR (sk_songs_error_quark ())
typedef enum
{
  SK_SONGS_ERROR_NOT_FOUND,
} SkSongsError;

GQuark sk_songs_error_quark (void);

typedef struct
{
  char *id;
  char *title;
  char *artist; /* NULL when the sidecar named none */
  char *file_url;
  char *sha256;    /* NULL when unknown */
  char *embedding; /* as stored */
  gint64 duration; /* seconds; 0 when unknown */
  gboolean playable;
} SkSong;

void sk_song_free (SkSong *song);

/* Every song, by title then id; SkSong elements. */
GPtrArray *sk_songs_list (SkStore *store, GError **error);
/* One song; SK_SONGS_ERROR_NOT_FOUND when no song has @id. */
SkSong *sk_songs_lookup (SkStore *store, const char *id, GError **error);
/* The number of songs in the library and of rows in the outbox, read in
 * one query (one snapshot). */
gboolean sk_songs_count (SkStore *store, guint *n_songs, guint *n_unsynced, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSong, sk_song_free)

G_END_DECLS
