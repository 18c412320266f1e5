/* sk-engine-private.h: what the files of SkEngine share.
 *
 * SkEngine is one object over several files: the object, loading, the
 * queue and expiry (sk-engine.c), taps and their limiter
 * (sk-engine-taps.c), listeners (sk-engine-listeners.c), votes
 * (sk-engine-votes.c), plays (sk-engine-plays.c) and the outbox rows
 * (sk-engine-outbox.c). Nothing outside these files includes this. */
#pragma once

#include "sk-engine.h"
#include "sk-badge.h"
#include "sk-settings.h"
#include "sk-taste.h"
#include "sk-util.h"

G_BEGIN_DECLS

struct _SkEngine
{
  GObject parent_instance;

  SkStore *store;
  SkSessions *sessions;
  SkRecommender *recommender;
  char *player_id;

  SkClockFunc clock;
  gpointer clock_data;

  SkStrategy strategy;
  guint k;
  double house[SK_DIM];

  GArray *queue;        /* SkQueueEntry */
  GPtrArray *announced; /* "song\nwhy" of each entry of the queue last announced */
  SkRankItem *rank_buf; /* k items */
  double *prefs;        /* present listeners, grown on demand */
  double *states;       /* their learner states, as long as prefs */
  guint prefs_len;
  guint n_present;
  double explore_weight;           /* the setting explore_weight */
  double explore[SK_DIM * SK_DIM]; /* the room's exploration matrix */
  gboolean has_explore;

  char *current_song;
  char *current_play;
  char *current_why;    /* why it plays (sk_engine_get_current_why) */
  char *status;         /* "playing" or "idle" */
  char *status_message; /* why idle, for the UI; NULL when playing */

  guint expiry_source;

  gboolean crowd_veto; /* the setting crowd_veto */
  char *vetoed_play;   /* the play last vetoed: one veto a play */

  guint tap_limit;         /* per badge per minute; 0: none */
  GHashTable *recent_taps; /* normalised uid → GArray of gint64 */

  /* what other programs change (sk-engine-watch.c) */
  gint64 data_version;
  GStrv seen_settings; /* stored text of each setting, "" for none */
  char *seen_library;
  char *seen_listeners;
  gboolean songs_touched; /* by the engine, since its last look */
};

enum
{
  SIGNAL_CHECKED_IN,
  SIGNAL_CHECKED_OUT,
  SIGNAL_UNKNOWN_BADGE,
  SIGNAL_TAP_REFUSED,
  SIGNAL_VOTE_RECORDED,
  SIGNAL_TRACK_STARTED,
  SIGNAL_QUEUE_CHANGED,
  SIGNAL_STATUS_CHANGED,
  SIGNAL_VETOED,
  N_SIGNALS
};

extern guint sk_engine_signals[N_SIGNALS];

/* Emits signal @which (SIGNAL_*) with these arguments once the store's
 * outermost transaction has committed (at once when none is open), and
 * never when it is rolled back: observers hear only of what was committed,
 * and what they do in their handlers is a transaction of its own. */
G_GNUC_INTERNAL void sk_engine_emit (SkEngine *self, guint which, ...);

/* sk-engine.c: recompute the queue, write it in a transaction of its own
 * (nested in the caller's) and announce it when it changed. */
G_GNUC_INTERNAL gboolean sk_engine_requeue (SkEngine *self, GError **error);
G_GNUC_INTERNAL void sk_engine_arm_expiry (SkEngine *self);

/* sk-engine.c: the settings the engine uses, read again */
G_GNUC_INTERNAL void sk_engine_load_settings (SkEngine *self);

/* sk-engine-watch.c: after the engine's own commit, what it saw of the
 * database is its own doing (unless another program committed too). */
G_GNUC_INTERNAL void sk_engine_note_own_commit (SkEngine *self);
G_GNUC_INTERNAL void sk_engine_watch_clear (SkEngine *self);

/* sk-engine-listeners.c */
/* Looks up a normalised UID. Returns SQLITE_ROW (found), SQLITE_DONE (no
 * such badge) or -1 with @error set. */
G_GNUC_INTERNAL int sk_engine_lookup_badge (SkEngine *self,
                                            const char *uid,
                                            char **user_id,
                                            char **display_name,
                                            char **revoked_at,
                                            GError **error);
/* A badge by its UID as typed: its normalised UID, listener and
 * revocation; FALSE with @error for a UID that is not one, a store
 * failure, or no such badge (then the code @missing). */
G_GNUC_INTERNAL gboolean sk_engine_find_badge (SkEngine *self,
                                               const char *uid,
                                               SkEngineError missing,
                                               char **norm,
                                               char **user_id,
                                               char **revoked_at,
                                               GError **error);
/* What in memory follows the database again once a transaction is rolled
 * back: nothing, the queue (it may have seen what the rollback undid), or
 * the songs and the queue (a reload). */
typedef enum
{
  SK_ENGINE_UNDO_NOTHING,
  SK_ENGINE_UNDO_REQUEUE,
  SK_ENGINE_UNDO_RELOAD,
} SkEngineUndo;

/* Rolls the transaction back, then brings memory back as @undo says;
 * FALSE always, for a failure path to return. */
G_GNUC_INTERNAL gboolean sk_engine_roll_back (SkEngine *self, SkEngineUndo undo);
/* The end of a transaction that changes who is here: when @ok (its work
 * went well) the queue is recomputed and the transaction committed; else,
 * or when either fails, it is rolled back and, when @requeue_on_failure,
 * the queue in memory follows the database again. */
G_GNUC_INTERNAL gboolean sk_engine_requeue_and_commit (SkEngine *self,
                                                       gboolean ok,
                                                       gboolean requeue_on_failure,
                                                       GError **error);
G_GNUC_INTERNAL gboolean sk_engine_check_in_user (SkEngine *self,
                                                  const char *user_id,
                                                  const char *display_name,
                                                  SkCheckIn *ci,
                                                  gboolean *manager,
                                                  GError **error);

/* sk-engine-votes.c: once a vote on @play_id was committed by the
 * outermost transaction, whether the room vetoes it; announces "vetoed"
 * when it does. */
G_GNUC_INTERNAL void
sk_engine_check_veto (SkEngine *self, const char *song_id, const char *play_id);

/* sk-engine-outbox.c: the row @sql selects (by ?1 = @id), as JSON, to the
 * outbox as @kind. */
G_GNUC_INTERNAL gboolean sk_engine_outbox_row (
    SkEngine *self, const char *kind, const char *sql, const char *id, gint64 now, GError **error);

#define PROFILE_JSON                                                                          \
  "SELECT json_object('id', id, 'email', email, 'name', name, 'display_name', display_name, " \
  "'preference_vector', preference_vector, 'taste_momentum', taste_momentum, "                \
  "'taste_state', taste_state, "                                                              \
  "'is_guest', is_guest, 'created_at', created_at, 'updated_at', updated_at) "                \
  "FROM profiles WHERE id = ?1"
#define BADGE_JSON                                                                \
  "SELECT json_object('uid', uid, 'user_id', user_id, 'created_at', created_at, " \
  "'revoked_at', revoked_at) FROM badges WHERE uid = ?1"

G_END_DECLS
