/* sk-sync.h: the kiosk's side of the cloud sync (docs/DESIGN.md, Cloud).
 *
 * SkSync calls the project's kiosk_sync as PostgREST does, POST
 * {url}/rest/v1/rpc/kiosk_sync with the anon key in `apikey` and
 * `Authorization: Bearer`, and the player token as the credential. One
 * call pushes up to 500 rows of the outbox and pulls what changed since
 * the stored cursor; a round calls again until the outbox is empty and
 * the pull has no more pages, then once more after a push, so that the
 * tastes the server's learner moved come back.
 *
 * What one answer does is one SQLite transaction on the sync's own
 * connection: the pulled rows are applied (upserts by id, deletions by
 * tombstone), the acknowledged outbox rows deleted and the cursor stored;
 * an answer that is not valid, not whole, not the answer to this call (a
 * response delivered twice) or that cannot be applied changes nothing, and
 * the same rows go again. A pulled row never overwrites a local change
 * still in the outbox: a listener whose vote (or profile) is waiting keeps
 * the kiosk's provisional taste until the server has seen the vote.
 *
 * The kiosk's player has its own id in the local database; the server's
 * id for the token (learnt from the first pull, kept in sync_state) stands
 * for it in what is pushed, and the other way round in what is pulled.
 *
 * Scheduling (sk_sync_start): a round after local writes (another
 * connection's commits, seen by PRAGMA data_version, debounced), on a
 * timer otherwise, and after a failure with exponential backoff and jitter
 * (1 s doubling to 5 min). TLS certificates are always verified; the token
 * and the key are never logged. Everything runs on the thread default main
 * context of the thread that made the object. */
#pragma once

#include <gio/gio.h>

#include "sk-store.h"

G_BEGIN_DECLS

#define SK_SYNC_ERROR (sk_sync_error_quark ())
typedef enum
{
  SK_SYNC_ERROR_CONFIG,    /* no URL, no token or key, a URL that is not http(s) */
  SK_SYNC_ERROR_NETWORK,   /* no connection, a timeout, a connection dropped */
  SK_SYNC_ERROR_HTTP,      /* an HTTP error status (the server's code and message) */
  SK_SYNC_ERROR_REFUSED,   /* the token or the key refused */
  SK_SYNC_ERROR_MALFORMED, /* an answer that is not the contract's */
  SK_SYNC_ERROR_REPLAYED,  /* an answer that is not to this call */
  SK_SYNC_ERROR_BUSY,      /* a round is already running */
} SkSyncError;

GQuark sk_sync_error_quark (void);

#define SK_TYPE_SYNC (sk_sync_get_type ())
G_DECLARE_FINAL_TYPE (SkSync, sk_sync, SK, SYNC, GObject)

/* @db_path: the database (the sync opens a connection of its own, so the
 * engine's connection sees what it applies as another program's change).
 * @local_player_id: this kiosk's players.id. NULL with @error set when the
 * URL is not http(s) or a secret is missing. */
SkSync *sk_sync_new (const char *db_path,
                     const char *local_player_id,
                     const char *url,
                     const char *anon_key,
                     const char *player_token,
                     GError **error);

/* One round now (see above); FALSE with @error in words. A round already
 * running: SK_SYNC_ERROR_BUSY. */
void sk_sync_run_async (SkSync *self,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data);
gboolean sk_sync_run_finish (SkSync *self, GAsyncResult *result, GError **error);

/* Rounds from now on: after local writes, on the timer, with backoff. */
void sk_sync_start (SkSync *self);
/* A round as soon as none is running ("soundscape-ctl sync now"): resets
 * the backoff. */
void sk_sync_trigger (SkSync *self);

/* The timing (ms): the debounce after local writes, the idle interval, the
 * first backoff and its ceiling. The defaults are 2 s, 60 s, 1 s and 5 min;
 * tests shorten them. */
void sk_sync_set_timing (
    SkSync *self, guint debounce_ms, guint interval_ms, guint backoff_min_ms, guint backoff_max_ms);

/* Certificates are verified against @database instead of the system's
 * store (a cloud behind a private authority; the tests' own); verification
 * itself stays on. */
void sk_sync_set_tls_database (SkSync *self, GTlsDatabase *database);

/* The status, for D-Bus and soundscape-ctl: "idle" (the last round
 * succeeded, or none ran yet), "syncing" or "failing". */
const char *sk_sync_get_state (SkSync *self);
/* Real time (µs) of the last round that succeeded; 0 for none. */
gint64 sk_sync_get_last_success (SkSync *self);
/* Rows in the outbox, as last counted. */
guint sk_sync_get_pending (SkSync *self);
/* The last failure in words ("" when the last round succeeded). */
const char *sk_sync_get_last_error (SkSync *self);

/* The signal "changed" () is emitted whenever one of these changes. */

G_END_DECLS
