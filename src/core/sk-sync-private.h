/* sk-sync-private.h: what the files of SkSync share.
 *
 * SkSync is one object over several files: the object, its status and
 * sync_state (sk-sync.c), a round of calls over HTTP and the scheduling of
 * rounds with backoff (sk-sync-round.c), the push read from the outbox
 * (sk-sync-push.c), an answer checked and applied in one transaction
 * (sk-sync-answer.c) and the pulled rows it applies (sk-sync-pull.c).
 * Nothing outside these files includes this. */
#pragma once

#include <libsoup/soup.h>

#include "sk-sync.h"
#include "sk-util.h"

G_BEGIN_DECLS

typedef struct _SkSyncPush SkSyncPush;

struct _SkSync
{
  GObject parent_instance;

  SkStore *store; /* the sync's own connection */
  char *local_player;
  char *endpoint; /* {url}/rest/v1/rpc/kiosk_sync */
  char *anon_key;
  char *bearer;
  char *token;
  SoupSession *session;

  /* the round running, if any */
  GTask *task;
  guint calls;
  gboolean cursor_reset; /* SK411 once this round: the cursor was dropped */
  SkSyncPush *in_flight; /* the push of the call waiting for its answer */

  /* what the last answer with a body was (a SHA-256), to know it again */
  char *last_digest;

  /* scheduling */
  gboolean started;
  guint poll_id;
  guint timer_id;
  gint64 timer_at; /* monotonic µs of the round timer_id starts */
  gint64 data_version;
  guint failures;
  guint debounce_ms, interval_ms, backoff_min_ms, backoff_max_ms;

  /* status */
  const char *state;
  gint64 last_success;
  guint pending;
  char *last_error;
};

/* sk-sync.c */
G_GNUC_INTERNAL void sk_sync_emit_changed (SkSync *self);
/* The session's idle timeout, from the idle interval. */
G_GNUC_INTERNAL void sk_sync_keep_alive (SkSync *self);
/* Counts the outbox's rows into self->pending. */
G_GNUC_INTERNAL void sk_sync_count_pending (SkSync *self);
/* A value of sync_state ("cursor", "player_id"); NULL when there is none.
 * Setting NULL deletes it. */
G_GNUC_INTERNAL char *sk_sync_dup_state (SkSync *self, const char *key);
G_GNUC_INTERNAL gboolean sk_sync_set_state (SkSync *self,
                                            const char *key,
                                            const char *value,
                                            GError **error);

/* sk-sync-push.c */

/* One call's push: the outbox rows it carries and what it sends. */
struct _SkSyncPush
{
  GArray *seqs;       /* gint64: the outbox rows in this push */
  GHashTable *pushed; /* "table\nid" of each id sent */
  GHashTable *rows;   /* table → GPtrArray of JsonNode, in outbox order */
  guint n_pushed;     /* distinct ids sent */
};

G_GNUC_INTERNAL void sk_sync_push_free (SkSyncPush *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSyncPush, sk_sync_push_free)

/* The outbox kind of a pulled table; NULL for a table never pushed. */
G_GNUC_INTERNAL const char *sk_sync_kind_of_table (const char *table);
/* The next call's push; an empty one while @server_player is NULL. */
G_GNUC_INTERNAL SkSyncPush *
sk_sync_read_outbox (SkSync *self, const char *server_player, GError **error);
/* The body of the call: the token, the push and the cursor. */
G_GNUC_INTERNAL char *sk_sync_request_body (SkSync *self, SkSyncPush *p, const char *cursor);
/* "table\nid": how a pushed row is known in SkSyncPush.pushed. */
G_GNUC_INTERNAL char *sk_sync_row_key (const char *table, const char *id);

/* sk-sync-pull.c: reading the answer's fields and applying the pulled rows */
/* Sets SK_SYNC_ERROR_MALFORMED with what is wrong; FALSE. */
G_GNUC_INTERNAL gboolean sk_sync_malformed (GError **error, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
/* @name of @obj as a string, present: FALSE otherwise. */
G_GNUC_INTERNAL gboolean sk_sync_need_text (JsonObject *obj,
                                            const char *name,
                                            const char **out,
                                            GError **error);
G_GNUC_INTERNAL gboolean sk_sync_get_bool (JsonObject *obj,
                                           const char *name,
                                           gboolean *out,
                                           GError **error);
/* @name of @obj as an array; NULL when absent and not @required (@error
 * not set), or with @error set when it is not an array. */
G_GNUC_INTERNAL JsonArray *
sk_sync_member_array (JsonObject *obj, const char *name, gboolean required, GError **error);

typedef struct
{
  guint applied, kept, skipped; /* pulled rows: kept waits for the outbox */
} SkSyncPulled;

/* The pulled rows of @changes, then the tombstones of @deleted, in the
 * transaction the caller holds; counted into @counts. @server_player is
 * the server's id of this player (NULL before the first pull). */
G_GNUC_INTERNAL gboolean sk_sync_apply_pulled (SkSync *self,
                                               const char *server_player,
                                               JsonObject *changes,
                                               JsonArray *deleted,
                                               SkSyncPulled *counts,
                                               GError **error);

/* sk-sync-full.c: a full pull after SK412, which then drops the rows the
 * cloud no longer has */
/* Drops the cursor and begins a full pull (its notes empty). */
G_GNUC_INTERNAL gboolean sk_sync_full_pull_begin (SkSync *self, GError **error);
G_GNUC_INTERNAL gboolean sk_sync_in_full_pull (SkSync *self);
/* A full pull whose notes this connection lost (a restart) begins again. */
G_GNUC_INTERNAL gboolean sk_sync_full_pull_resume (SkSync *self, GError **error);
/* Notes the ids of @p and of @changes, in the answer's transaction. */
G_GNUC_INTERNAL gboolean sk_sync_full_pull_note (SkSync *self,
                                                 SkSyncPush *p,
                                                 JsonObject *changes,
                                                 GError **error);
/* After the last page, in its transaction: the rows not noted go. */
G_GNUC_INTERNAL gboolean sk_sync_full_pull_end (SkSync *self, GError **error);

/* sk-sync-answer.c */
/* One answer, whole or not at all, in one transaction. *@more: call
 * again at once. */
G_GNUC_INTERNAL gboolean sk_sync_apply_answer (
    SkSync *self, SkSyncPush *p, JsonObject *root, gboolean *more, GError **error);

G_END_DECLS
