/* sk-media-cache.h: the audio files of the library, on this device.
 *
 * A song's file_url is one of:
 *   - an absolute path or a file:// URL: played in place, never copied,
 *     and only a regular file (no link, no pipe) under one of the
 *     directories of the setting library_dirs, which every import extends;
 *   - an http(s) URL (S3, Supabase Storage, any web server): downloaded
 *     into the cache directory, verified, and recorded in the store's
 *     `media` table;
 *   - anything else: refused with SK_MEDIA_ERROR_UNSUPPORTED.
 *
 * In the cache directory, NAME is a verified download and NAME.part one
 * in progress (with NAME.part.validator, the ETag or Last-Modified that a
 * resumed request sends as If-Range). A file under a final NAME always
 * passed every check; a failed download never leaves one.
 *
 * Everything runs on the thread-default main context of the thread that
 * created the cache; it owns one SoupSession. */
#pragma once

#include <gio/gio.h>

#include "sk-store.h"

G_BEGIN_DECLS

#define SK_MEDIA_ERROR (sk_media_error_quark ())
typedef enum
{
  SK_MEDIA_ERROR_UNSUPPORTED,     /* a file_url scheme that is not http, https, file or a path */
  SK_MEDIA_ERROR_INVALID,         /* a malformed URL, song id or SHA-256 */
  SK_MEDIA_ERROR_LOCAL_MISSING,   /* a local path or file:// URL that is not a readable file */
  SK_MEDIA_ERROR_OUTSIDE_LIBRARY, /* a local file outside the setting library_dirs */
  SK_MEDIA_ERROR_NOT_ON_SERVER,   /* 404/410, or Storage's 400 whose body says 404 */
  SK_MEDIA_ERROR_HTTP,            /* any other refusal by the server (4xx, 5xx) */
  SK_MEDIA_ERROR_NETWORK,         /* no connection, a timeout, TLS: try again later */
  SK_MEDIA_ERROR_TRUNCATED,       /* the connection ended before the whole body */
  SK_MEDIA_ERROR_WRONG_LENGTH,    /* not the size the server or the song row announced */
  SK_MEDIA_ERROR_WRONG_CHECKSUM,  /* not the SHA-256 of the song row */
  SK_MEDIA_ERROR_TOO_LARGE,       /* beyond the largest file the cache accepts */
  SK_MEDIA_ERROR_CACHE_FULL,      /* no room even after evicting every unprotected file */
  SK_MEDIA_ERROR_FAILED,          /* the disk or the database failed */
} SkMediaError;

GQuark sk_media_error_quark (void);

/* The rule for the file_url of a song row that comes from the cloud: an
 * http(s) URL with a host, nothing else (a path or file:// URL from the
 * network would name any file the service can read). FALSE with
 * SK_MEDIA_ERROR_UNSUPPORTED or _INVALID saying why. Sync calls this for
 * every row before it writes it. */
gboolean sk_media_check_synced_url (const char *file_url, GError **error);

/* Files larger than this are refused whatever the cache's size limit. */
#define SK_MEDIA_CACHE_MAX_FILE_BYTES (G_GINT64_CONSTANT (2) << 30)

#define SK_TYPE_MEDIA_CACHE (sk_media_cache_get_type ())
G_DECLARE_FINAL_TYPE (SkMediaCache, sk_media_cache, SK, MEDIA_CACHE, GObject)

/* The cache's place by convention: "media" beside the database (in the
 * state directory on the appliance), as an absolute path. */
char *sk_media_cache_default_dir (SkStore *store);

/* @cache_dir is created if missing. @max_bytes limits the sum of the
 * verified downloads (0: no limit but the per-file maximum). */
SkMediaCache *sk_media_cache_new (SkStore *store, const char *cache_dir, guint64 max_bytes);

const char *sk_media_cache_get_dir (SkMediaCache *self);
void sk_media_cache_set_max_bytes (SkMediaCache *self, guint64 max_bytes);
/* A cached file whose song row has no SHA-256 is revalidated with
 * If-None-Match when it was last checked more than @seconds ago (default:
 * one hour; 0: on every fetch). A file with a SHA-256 that matches the
 * song row is never asked about again, nor is one the server gave no ETag. */
void sk_media_cache_set_revalidate_after (SkMediaCache *self, guint seconds);

/* Where a download of this song is (or would be) stored; NULL with @error
 * when @file_url is not an http(s) URL or @song_id is empty. */
char *sk_media_cache_build_path (SkMediaCache *self,
                                 const char *song_id,
                                 const char *file_url,
                                 GError **error);

/* The local file to play for a song now. A local path or file:// URL plays
 * in place (checked to exist: SK_MEDIA_ERROR_LOCAL_MISSING otherwise); an
 * http(s) URL whose complete, verified download is in the cache gives the
 * cached path; one that is not downloaded yet gives G_IO_ERROR_NOT_FOUND
 * (fetch it, it is not the song's fault). Any other scheme:
 * SK_MEDIA_ERROR_UNSUPPORTED. */
char *sk_media_cache_dup_playable_path (SkMediaCache *self,
                                        const char *song_id,
                                        const char *file_url,
                                        GError **error);

/* Downloads (or resumes, or revalidates) a song's http(s) file and gives
 * its verified path. For a local file it gives the path as
 * dup_playable_path does. @sha256_or_null is 64 hex digits;
 * @expected_bytes_or_minus1 the size the song row announces. Two fetches
 * of one song share one download. Cancelling keeps the .part for a later
 * resume. Errors are SK_MEDIA_ERROR (naming the URL without its query, which
 * may hold a token) or G_IO_ERROR_CANCELLED. */
void sk_media_cache_fetch_async (SkMediaCache *self,
                                 const char *song_id,
                                 const char *file_url,
                                 const char *sha256_or_null,
                                 gint64 expected_bytes_or_minus1,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
char *sk_media_cache_fetch_finish (SkMediaCache *self, GAsyncResult *result, GError **error);

/* Least-recently-played eviction reads media.last_played_at (call it when
 * a song starts; a song never played counts from its fetched_at). */
void sk_media_cache_mark_played (SkMediaCache *self, const char *song_id, gint64 now_usec);
/* These two songs are never evicted (either may be NULL). */
void sk_media_cache_set_protected (SkMediaCache *self,
                                   const char *playing_song_id,
                                   const char *next_song_id);
/* Replaces the prefetch list with these songs, in queue order: their
 * file_url and sha256 come from the songs table; songs already cached,
 * local or unknown are skipped; the others are fetched one at a time.
 * Failures are logged, not retried until the next call. A prefetch whose
 * song left the list stops (its .part stays for a resume) unless a fetch
 * waits for it. n == 0 stops prefetching: do that before dropping the last
 * reference, since a running download holds one on the cache. */
void sk_media_cache_prefetch (SkMediaCache *self, const char *const *song_ids, guint n);
gboolean sk_media_cache_is_busy (SkMediaCache *self);
/* The sum of media.bytes: the verified downloads; 0 with @error set when
 * the database cannot say. */
guint64 sk_media_cache_get_used_bytes (SkMediaCache *self, GError **error);
/* One verified download, as the `media` index has it. */
typedef struct
{
  char *song_id;
  char *path;
  guint64 bytes;
  char *fetched_at;     /* ISO-8601, or NULL */
  char *last_played_at; /* ISO-8601, or NULL when never played */
} SkMediaEntry;

void sk_media_entry_free (SkMediaEntry *entry);
/* Every download, the most recently played (or fetched) first; NULL with
 * @error when the database cannot say. */
GPtrArray *sk_media_cache_list (SkMediaCache *self, GError **error);

/* Removes what no `media` row names (a song deleted from the library takes
 * its row with it, not its file) and the .part files of songs that are no
 * longer in the library; keeps the .part of every http(s) song. Returns
 * the number of files removed. For the engine's start, while no download
 * runs (it skips the songs being downloaded by this cache). Nothing is
 * removed when the database cannot say what to keep: 0 with @error set. */
guint sk_media_cache_sweep (SkMediaCache *self, GError **error);

G_END_DECLS
