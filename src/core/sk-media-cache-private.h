/* sk-media-cache-private.h: what the files of SkMediaCache share.
 *
 * SkMediaCache is one object over several files: the object, its public
 * calls and the prefetcher (sk-media-cache.c), the URL rules
 * (sk-media-url.c), the `media` index and eviction (sk-media-index.c) and
 * the download state machine (sk-media-download.c, which describes it,
 * and sk-media-body.c). Nothing outside these files includes this. */
#pragma once

#include <libsoup/soup.h>

#include "sk-media-cache.h"

G_BEGIN_DECLS

#define CHUNK_BYTES (64 * 1024)
#define ERROR_BODY_BYTES 4096
#define DEFAULT_REVALIDATE (60 * 60)
#define SESSION_TIMEOUT_S 30
#define MAX_RESTARTS 1

typedef struct _Download Download;

struct _SkMediaCache
{
  GObject parent_instance;

  SkStore *store;
  char *dir;
  guint64 max_bytes;
  gint64 revalidate_usec;
  SoupSession *session;
  GHashTable *downloads;  /* song id → Download, while in flight */
  char *protected_ids[2]; /* playing, next */
  GQueue prefetch_queue;  /* song ids (owned) still to look at */
  char *prefetch_song;    /* the prefetch Download's song, or NULL */
  guint prefetch_idle;
};

typedef struct
{
  GTask *task;
  GSource *cancel_source;
  Download *dl;
} Waiter;

struct _Download
{
  SkMediaCache *self; /* strong: the cache outlives its downloads */
  char *song_id;
  GUri *uri;
  char *safe_url;  /* for messages: no user info, no query */
  char *sha256;    /* lower-case hex, or NULL */
  gint64 expected; /* from the song row, or -1 */
  char *final_path;
  char *part_path;
  char *validator_path;
  GCancellable *cancellable;
  GPtrArray *waiters; /* Waiter*, freed by download_finish */
  gboolean prefetch;

  char *cached_etag; /* set when revalidating a hit */
  char *validator;   /* If-Range value when resuming */
  goffset offset;    /* bytes of the .part before this response */
  goffset received;  /* bytes of this response written */
  gint64 total;      /* the whole file's size, or -1 */
  char *etag;        /* of the latest response */
  guint restarts;

  SoupMessage *msg;
  GInputStream *body;
  GOutputStream *out;
  GBytes *chunk;
  guint8 *error_body;
};

/* ------------------------------------------------------ sk-media-url.c */

typedef enum
{
  URL_LOCAL,
  URL_HTTP,
} UrlKind;

gboolean sk_media_is_hex64 (const char *s);
char *sk_media_safe_url (GUri *uri);
gboolean sk_media_classify_url (
    const char *file_url, UrlKind *kind, char **local_path, GUri **uri, GError **error);
char *sk_media_build_path (SkMediaCache *self, const char *song_id, GUri *uri);
gboolean sk_media_file_size (const char *path, gint64 *size);
char *sk_media_local_playable (SkMediaCache *self, const char *path, GError **error);

/* ---------------------------------------------------- sk-media-index.c */

typedef struct
{
  char *path;
  gint64 bytes;
  char *sha256;
  char *etag;
  gint64 fetched_at;
} MediaRow;

void sk_media_row_clear (MediaRow *row);
gboolean sk_media_row_load (SkMediaCache *self, const char *song_id, MediaRow *row);
gboolean sk_media_row_file_ok (const MediaRow *row);
gboolean sk_media_row_delete (SkMediaCache *self, const char *song_id, GError **error);
/* The sum of media.bytes but @song_id's (NULL: all): FALSE with @error
 * set when the database cannot say. */
gboolean
sk_media_used_bytes_except (SkMediaCache *self, const char *song_id, guint64 *used, GError **error);
/* Evicts least-recently-played files until @need more bytes fit for
 * @song_id, one transaction per file; FALSE with @error set when they
 * cannot (only protected files left, or the database refused). */
gboolean sk_media_make_room (
    SkMediaCache *self, const char *song_id, const char *safe_url, gint64 need, GError **error);

/* ------------------------------------ sk-media-download.c, sk-media-body.c */

Download *sk_media_download_new (
    SkMediaCache *self, const char *song_id, GUri *uri, const char *sha256, gint64 expected);
void sk_media_download_add_waiter (Download *dl, GTask *task);
void sk_media_download_start (Download *dl);
void sk_media_download_finish (Download *dl, const char *path, GError *error);
void sk_media_download_fail (Download *dl, gboolean keep_part, GError *error);
GError *sk_media_download_network_error (Download *dl, GError *error);
void sk_media_download_on_opened (GObject *source, GAsyncResult *result, gpointer user_data);

/* ---------------------------------------------------- sk-media-cache.c */

void sk_media_cache_prefetch_schedule (SkMediaCache *self);

G_END_DECLS
