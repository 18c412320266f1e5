/* sk-engine.c: taps, votes, track starts and the queue.
 *
 * The queue is a function of (present listeners' tastes, library, history,
 * current song, now); it is recomputed after every tap, vote, expiry and
 * track start, written to player_queue in the same transaction as the change
 * that caused it, and announced with "queue-changed" when it differs from
 * the previous one.
 *
 * Time comes from one clock (the real one unless a test sets another), so
 * that expiry "to the second" can be tested without sleeping: the expiry
 * timer is only armed while the real clock is in use. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-badge.h"
#include "sk-engine.h"
#include "sk-settings.h"
#include "sk-taste.h"
#include "sk-util.h"

G_DEFINE_QUARK (sk-engine-error-quark, sk_engine_error)

#define MAX_DISPLAY_NAME 64
#define TAP_WINDOW       (60 * G_USEC_PER_SEC)
#define TAP_LIMIT_DEFAULT 6   /* as in sk-settings.c, until the settings are read */

struct _SkEngine
{
  GObject         parent_instance;

  SkStore        *store;
  SkSessions     *sessions;
  SkRecommender  *recommender;
  char           *player_id;

  SkClockFunc     clock;
  gpointer        clock_data;

  SkStrategy      strategy;
  guint           k;
  double          house[SK_DIM];

  GArray         *queue;          /* SkQueueEntry */
  SkRankItem     *rank_buf;       /* k items */
  double         *prefs;          /* present listeners, grown on demand */
  guint           prefs_len;
  guint           n_present;

  char           *current_song;
  char           *current_play;
  char           *status;         /* "playing" or "idle" */
  char           *status_message; /* why idle, for the UI; NULL when playing */

  guint           expiry_source;

  guint           tap_limit;      /* per badge per TAP_WINDOW; 0: none */
  GHashTable     *recent_taps;    /* normalised uid → GArray of gint64 */
};

G_DEFINE_FINAL_TYPE (SkEngine, sk_engine, G_TYPE_OBJECT)

enum {
  SIGNAL_CHECKED_IN,
  SIGNAL_CHECKED_OUT,
  SIGNAL_UNKNOWN_BADGE,
  SIGNAL_TAP_REFUSED,
  SIGNAL_VOTE_RECORDED,
  SIGNAL_TRACK_STARTED,
  SIGNAL_QUEUE_CHANGED,
  SIGNAL_STATUS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean requeue (SkEngine *self, GError **error);
static void arm_expiry (SkEngine *self);

void
sk_tap_result_clear (SkTapResult *result)
{
  g_clear_pointer (&result->uid, g_free);
  g_clear_pointer (&result->user_id, g_free);
  g_clear_pointer (&result->display_name, g_free);
}

static void
queue_entry_clear (gpointer p)
{
  g_free (((SkQueueEntry *) p)->song_id);
}

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time ();
}

static void
sk_engine_finalize (GObject *object)
{
  SkEngine *self = SK_ENGINE (object);

  g_clear_handle_id (&self->expiry_source, g_source_remove);
  g_clear_pointer (&self->recent_taps, g_hash_table_unref);
  g_clear_pointer (&self->queue, g_array_unref);
  g_clear_pointer (&self->rank_buf, g_free);
  g_clear_pointer (&self->prefs, g_free);
  g_clear_pointer (&self->recommender, sk_recommender_free);
  g_clear_pointer (&self->sessions, sk_sessions_free);
  g_clear_pointer (&self->store, sk_store_unref);
  g_free (self->player_id);
  g_free (self->current_song);
  g_free (self->current_play);
  g_free (self->status);
  g_free (self->status_message);

  G_OBJECT_CLASS (sk_engine_parent_class)->finalize (object);
}

static void
sk_engine_class_init (SkEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sk_engine_finalize;

  signals[SIGNAL_CHECKED_IN] =
    g_signal_new ("checked-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_CHECKED_OUT] =
    g_signal_new ("checked-out", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_UNKNOWN_BADGE] =
    g_signal_new ("unknown-badge", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TAP_REFUSED] =
    g_signal_new ("tap-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_VOTE_RECORDED] =
    g_signal_new ("vote-recorded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
  signals[SIGNAL_TRACK_STARTED] =
    g_signal_new ("track-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_QUEUE_CHANGED] =
    g_signal_new ("queue-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STATUS_CHANGED] =
    g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
sk_engine_init (SkEngine *self)
{
  self->clock = real_clock;
  self->strategy = SK_STRATEGY_AVERAGE;
  self->k = SK_QUEUE_DEFAULT_K;
  sk_taste_neutral (self->house);
  self->queue = g_array_new (FALSE, TRUE, sizeof (SkQueueEntry));
  g_array_set_clear_func (self->queue, queue_entry_clear);
  self->recommender = sk_recommender_new ();
  self->tap_limit = TAP_LIMIT_DEFAULT;
  self->recent_taps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_array_unref);
}

gint64
sk_engine_now (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), 0);
  return self->clock (self->clock_data);
}

void
sk_engine_set_clock (SkEngine    *self,
                     SkClockFunc  func,
                     gpointer     user_data)
{
  g_return_if_fail (SK_IS_ENGINE (self));

  self->clock = func ? func : real_clock;
  self->clock_data = func ? user_data : NULL;
  arm_expiry (self);
}

/* --- loading ------------------------------------------------------------ */

static gboolean
ensure_player (SkEngine  *self,
               GError   **error)
{
  g_autofree char *id = sk_store_dup_setting (self->store, "player_id");
  g_autofree char *ts = NULL;
  sqlite3_stmt *stmt;

  if (id != NULL)
    {
      stmt = sk_store_prepare (self->store, "SELECT 1 FROM players WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          self->player_id = g_steal_pointer (&id);
          return TRUE;
        }
      sqlite3_reset (stmt);
    }
  else
    id = sk_uuid_new ();

  ts = sk_time_format (sk_engine_now (self));
  if (!sk_store_begin (self->store, error))
    return FALSE;
  stmt = sk_store_prepare (self->store,
                           "INSERT INTO players (id, name, status, queue_source, created_at) "
                           "VALUES (?1, 'Kiosk', 'idle', 'kiosk', ?2)",
                           error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error) ||
      !sk_store_set_setting (self->store, "player_id", id, error) ||
      !sk_store_commit (self->store, error))
    goto fail;
  self->player_id = g_steal_pointer (&id);
  return TRUE;

fail:
  sk_store_rollback (self->store);
  return FALSE;
}

static void
load_settings (SkEngine *self)
{
  g_autofree char *strategy = sk_settings_dup_string (self->store, "strategy");

  if (!sk_strategy_from_string (strategy, &self->strategy, NULL))
    g_assert_not_reached ();   /* the table only lets the strategies through */
  self->k = (guint) sk_settings_get_int (self->store, "queue_k");
  sk_settings_get_vector (self->store, "house_vector", self->house);
  sk_sessions_set_length (self->sessions, sk_settings_get_int (self->store, "session_minutes") * 60);
  self->tap_limit = (guint) sk_settings_get_int (self->store, "tap_limit_per_minute");
  self->rank_buf = g_renew (SkRankItem, self->rank_buf, self->k);
}

gboolean
sk_engine_reload (SkEngine  *self,
                  GError   **error)
{
  g_autoptr(GPtrArray) library = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  sk_recommender_clear (self->recommender);
  stmt = sk_store_prepare (self->store, "SELECT id, embedding FROM songs ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      const char *id = sk_store_column_text (stmt, 0);
      double e[SK_DIM];
      g_autoptr(GError) bad = NULL;

      if (!sk_vec_parse (sk_store_column_text (stmt, 1), e, &bad) ||
          !sk_recommender_add_song (self->recommender, id, e, &bad))
        g_warning ("Song %s left out of the ranking: %s", id, bad->message);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  sk_recommender_commit (self->recommender);

  stmt = sk_store_prepare (self->store, "SELECT id FROM songs WHERE playable = 0", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      int i = sk_recommender_lookup (self->recommender, sk_store_column_text (stmt, 0));

      if (i >= 0)
        sk_recommender_set_playable (self->recommender, i, FALSE);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  stmt = sk_store_prepare (self->store,
                           "SELECT song_id FROM player_library WHERE player_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (library, g_strdup (sk_store_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  sk_recommender_set_library (self->recommender,
                              (const char *const *) library->pdata, library->len);

  stmt = sk_store_prepare (self->store,
                           "SELECT song_id, max(played_at) FROM songs_playing "
                           "WHERE player_id = ?1 GROUP BY song_id",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      int i = sk_recommender_lookup (self->recommender, sk_store_column_text (stmt, 0));
      gint64 t;

      if (i >= 0 && sk_time_parse (sk_store_column_text (stmt, 1), &t, NULL))
        sk_recommender_set_last_played (self->recommender, i, t);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  /* The current play is the player's latest start. */
  g_clear_pointer (&self->current_song, g_free);
  g_clear_pointer (&self->current_play, g_free);
  stmt = sk_store_prepare (self->store,
                           "SELECT sp.id, sp.song_id FROM songs_playing sp "
                           "JOIN players p ON p.id = sp.player_id AND p.current_song_id = sp.song_id "
                           "WHERE sp.player_id = ?1 ORDER BY sp.played_at DESC LIMIT 1",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  if ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      self->current_play = g_strdup (sk_store_column_text (stmt, 0));
      self->current_song = g_strdup (sk_store_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;

  return requeue (self, error);
}

SkEngine *
sk_engine_new (SkStore  *store,
               GError  **error)
{
  g_autoptr(SkEngine) self = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_object_new (SK_TYPE_ENGINE, NULL);
  self->store = sk_store_ref (store);
  if (!ensure_player (self, error))
    return NULL;
  self->sessions = sk_sessions_new (store, self->player_id);
  load_settings (self);
  if (!sk_engine_reload (self, error))
    return NULL;
  self->status = g_strdup (self->current_song != NULL ? "playing" : "idle");
  return g_steal_pointer (&self);
}

SkStore *
sk_engine_get_store (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->store;
}

const char *
sk_engine_get_player_id (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->player_id;
}

SkRecommender *
sk_engine_get_recommender (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->recommender;
}

const char *
sk_engine_get_current_song (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->current_song;
}

const char *
sk_engine_get_current_play (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->current_play;
}

const SkQueueEntry *
sk_engine_get_queue (SkEngine *self,
                     guint    *n)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  *n = self->queue->len;
  return (const SkQueueEntry *) (gpointer) self->queue->data;
}

guint
sk_engine_get_n_present (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), 0);
  return self->n_present;
}

/* --- the queue ---------------------------------------------------------- */

static gboolean
write_queue (SkEngine  *self,
             gint64     now,
             GError   **error)
{
  g_autofree char *ts = sk_time_format (now);
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (self->store, "DELETE FROM player_queue WHERE player_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    return FALSE;

  for (guint i = 0; i < self->queue->len; i++)
    {
      SkQueueEntry *e = &g_array_index (self->queue, SkQueueEntry, i);
      g_autofree char *id = sk_uuid_new ();

      stmt = sk_store_prepare (self->store,
                               "INSERT INTO player_queue (id, player_id, song_id, position, score, added_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, self->player_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, e->song_id, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 4, (int) i + 1);
      sqlite3_bind_double (stmt, 5, e->score);
      sqlite3_bind_text (stmt, 6, ts, -1, SQLITE_STATIC);
      if (!sk_store_run (self->store, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
requeue (SkEngine  *self,
         GError   **error)
{
  g_autoptr(GArray) present = NULL;
  SkRankParams params = { 0 };
  gint64 now = sk_engine_now (self);
  gboolean changed;
  guint n;

  present = sk_sessions_present (self->sessions, now, error);
  if (present == NULL)
    return FALSE;

  if (self->prefs_len < present->len)
    {
      self->prefs = g_renew (double, self->prefs, (gsize) present->len * SK_DIM);
      self->prefs_len = present->len;
    }
  for (guint i = 0; i < present->len; i++)
    memcpy (&self->prefs[(gsize) i * SK_DIM],
            g_array_index (present, SkPresent, i).preference,
            sizeof (double) * SK_DIM);
  self->n_present = present->len;

  params.now = now;
  params.strategy = self->strategy;
  params.k = self->k;
  params.house = self->house;
  params.listeners = self->prefs;
  params.n_listeners = present->len;
  params.current = sk_recommender_lookup (self->recommender, self->current_song);
  n = sk_recommender_rank (self->recommender, &params, self->rank_buf);

  changed = n != self->queue->len;
  for (guint i = 0; !changed && i < n; i++)
    changed = strcmp (g_array_index (self->queue, SkQueueEntry, i).song_id,
                      sk_recommender_get_id (self->recommender, self->rank_buf[i].index)) != 0;

  g_array_set_size (self->queue, 0);
  for (guint i = 0; i < n; i++)
    {
      SkQueueEntry e;

      e.song_id = g_strdup (sk_recommender_get_id (self->recommender, self->rank_buf[i].index));
      e.score = self->rank_buf[i].score;
      g_array_append_val (self->queue, e);
    }

  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (!write_queue (self, now, error) || !sk_store_commit (self->store, error))
    {
      sk_store_rollback (self->store);
      return FALSE;
    }

  arm_expiry (self);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_QUEUE_CHANGED], 0);
  return TRUE;
}

/* --- expiry ------------------------------------------------------------- */

static gboolean
expire_now (SkEngine  *self,
            GError   **error)
{
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  gint64 now = sk_engine_now (self);
  guint n_here = 0;

  before = sk_sessions_present (self->sessions, now - 1, error);
  if (before == NULL)
    return FALSE;
  if (!sk_sessions_expire (self->sessions, now, &n_here, error))
    return FALSE;
  if (n_here == 0)
    return TRUE;
  after = sk_sessions_present (self->sessions, now, error);
  if (after == NULL)
    return FALSE;
  for (guint i = 0; i < before->len; i++)
    {
      const char *id = g_array_index (before, SkPresent, i).user_id;
      gboolean still = FALSE;

      for (guint j = 0; j < after->len && !still; j++)
        still = strcmp (id, g_array_index (after, SkPresent, j).user_id) == 0;
      if (!still)
        g_signal_emit (self, signals[SIGNAL_CHECKED_OUT], 0, id, "expired");
    }
  return TRUE;
}

gboolean
sk_engine_refresh (SkEngine  *self,
                   GError   **error)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  return expire_now (self, error) && requeue (self, error);
}

static gboolean
expiry_cb (gpointer data)
{
  SkEngine *self = data;
  g_autoptr(GError) error = NULL;

  self->expiry_source = 0;
  if (!sk_engine_refresh (self, &error))
    g_warning ("Expiring sessions failed: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
arm_expiry (SkEngine *self)
{
  gint64 now, next;
  gint64 ms;

  g_clear_handle_id (&self->expiry_source, g_source_remove);
  if (self->clock != real_clock || self->sessions == NULL)
    return;
  now = sk_engine_now (self);
  next = sk_sessions_next_expiry (self->sessions, now);
  if (next == G_MAXINT64)
    return;
  ms = (next - now + 999) / 1000;
  self->expiry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) CLAMP (ms, 0, G_MAXUINT / 2),
                                            expiry_cb, self, NULL);
}

/* --- badges and listeners ----------------------------------------------- */

static gboolean
is_manager (SkEngine   *self,
            const char *user_id)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_prepare (self->store,
                           "SELECT 1 FROM roles WHERE user_id = ?1 AND role IN ('admin', 'manager') "
                           "UNION ALL SELECT 1 FROM players WHERE id = ?2 AND manager_id = ?1",
                           NULL);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, self->player_id, -1, SQLITE_STATIC);
  rc = sk_store_step (self->store, stmt, NULL);
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

/* Looks up a normalised UID. Returns SQLITE_ROW (found), SQLITE_DONE (no
 * such badge) or -1 with @error set. */
static int
lookup_badge (SkEngine    *self,
              const char  *uid,
              char       **user_id,
              char       **display_name,
              char       **revoked_at,
              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_prepare (self->store,
                           "SELECT b.user_id, coalesce(p.display_name, p.name, 'Listener'), b.revoked_at "
                           "FROM badges b JOIN profiles p ON p.id = b.user_id WHERE b.uid = ?1",
                           error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, uid, -1, SQLITE_STATIC);
  rc = sk_store_step (self->store, stmt, error);
  if (rc == SQLITE_ROW)
    {
      *user_id = g_strdup (sk_store_column_text (stmt, 0));
      *display_name = g_strdup (sk_store_column_text (stmt, 1));
      *revoked_at = g_strdup (sk_store_column_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  return rc;
}

static gboolean
check_in (SkEngine    *self,
          const char  *user_id,
          const char  *display_name,
          SkCheckIn   *ci,
          gboolean    *manager,
          GError     **error)
{
  guint flags = SK_CHECK_IN_NEW;

  if (!sk_sessions_check_in (self->sessions, user_id, sk_engine_now (self), ci, error))
    return FALSE;
  *manager = is_manager (self, user_id);
  if (ci->extended)
    flags |= SK_CHECK_IN_EXTENDED;
  if (ci->moved)
    flags |= SK_CHECK_IN_MOVED;
  if (*manager)
    flags |= SK_CHECK_IN_MANAGER;
  g_signal_emit (self, signals[SIGNAL_CHECKED_IN], 0, user_id, display_name, flags);
  return TRUE;
}

/* --- throttling --------------------------------------------------------- */

static void
forget_old_taps (SkEngine *self,
                 gint64    now)
{
  GHashTableIter iter;
  GArray *times;

  g_hash_table_iter_init (&iter, self->recent_taps);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &times))
    if (times->len == 0 || g_array_index (times, gint64, times->len - 1) <= now - TAP_WINDOW)
      g_hash_table_iter_remove (&iter);
}

/* FALSE, with when the badge may tap again, if @uid was accepted tap_limit
 * times in the window before @now. Only accepted taps count: a badge held
 * to the reader in a loop gets through again as the window slides. */
static gboolean
tap_allowed (SkEngine   *self,
             const char *uid,
             gint64      now,
             gint64     *retry_in)
{
  GArray *times;
  guint old = 0;

  if (self->tap_limit == 0)
    return TRUE;
  if (g_hash_table_size (self->recent_taps) > 256)
    forget_old_taps (self, now);
  times = g_hash_table_lookup (self->recent_taps, uid);
  if (times == NULL)
    return TRUE;
  while (old < times->len && g_array_index (times, gint64, old) <= now - TAP_WINDOW)
    old++;
  g_array_remove_range (times, 0, old);
  if (times->len < self->tap_limit)
    return TRUE;
  *retry_in = g_array_index (times, gint64, times->len - self->tap_limit) + TAP_WINDOW - now;
  return FALSE;
}

static void
record_tap (SkEngine   *self,
            const char *uid,
            gint64      now)
{
  GArray *times;

  if (self->tap_limit == 0)
    return;
  times = g_hash_table_lookup (self->recent_taps, uid);
  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->recent_taps, g_strdup (uid), times);
    }
  g_array_append_val (times, now);
}

gboolean
sk_engine_tap (SkEngine     *self,
               const char   *uid,
               SkTapResult  *out,
               GError      **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *revoked = NULL;
  g_auto(SkCheckIn) ci = { 0 };
  gboolean manager = FALSE;
  gint64 now, retry_in = 0;
  int rc;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  norm = sk_badge_normalise_uid (uid, error);
  if (norm == NULL)
    return FALSE;

  now = sk_engine_now (self);
  if (!tap_allowed (self, norm, now, &retry_in))
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED,
                   "Too many taps of this badge; please try again in %d s",
                   (int) MAX (1, (retry_in + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
      g_signal_emit (self, signals[SIGNAL_TAP_REFUSED], 0, norm, "throttled");
      return FALSE;
    }
  record_tap (self, norm, now);

  rc = lookup_badge (self, norm, &user_id, &name, &revoked, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      out->kind = SK_TAP_UNKNOWN;
      out->uid = g_steal_pointer (&norm);
      g_signal_emit (self, signals[SIGNAL_UNKNOWN_BADGE], 0, out->uid);
      return TRUE;
    }
  if (revoked != NULL)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED,
                   "This badge was revoked on %.10s; please ask a manager for a new one", revoked);
      g_signal_emit (self, signals[SIGNAL_TAP_REFUSED], 0, norm, "revoked");
      return FALSE;
    }

  if (!check_in (self, user_id, name, &ci, &manager, error))
    return FALSE;
  if (!requeue (self, error))
    return FALSE;

  out->kind = manager ? SK_TAP_MANAGER : SK_TAP_LISTENER;
  out->uid = g_steal_pointer (&norm);
  out->user_id = g_steal_pointer (&user_id);
  out->display_name = g_steal_pointer (&name);
  out->extended = ci.extended;
  out->expires_at = ci.expires_at;
  return TRUE;
}

static char *
clean_display_name (const char  *name,
                    GError     **error)
{
  g_autofree char *copy = NULL;

  if (name == NULL)
    return NULL;
  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "The name is not valid text");
      return NULL;
    }
  copy = g_strstrip (g_strdup (name));
  if (*copy == '\0')
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "The name is empty");
      return NULL;
    }
  if (g_utf8_strlen (copy, -1) > MAX_DISPLAY_NAME)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
                   "The name is longer than %d characters", MAX_DISPLAY_NAME);
      return NULL;
    }
  for (const char *p = copy; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                             "The name contains control characters");
        return NULL;
      }
  return g_steal_pointer (&copy);
}

static gboolean
outbox_row (SkEngine    *self,
            const char  *kind,
            const char  *sql,
            const char  *id,
            gint64       now,
            GError     **error)
{
  g_autofree char *payload = NULL;
  sqlite3_stmt *stmt = sk_store_prepare (self->store, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sk_store_step (self->store, stmt, error) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (error && *error == NULL)
        g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "%s %s vanished", kind, id);
      return FALSE;
    }
  payload = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return sk_store_outbox_add (self->store, kind, id, payload, now, error);
}

#define PROFILE_JSON \
  "SELECT json_object('id', id, 'email', email, 'name', name, 'display_name', display_name, " \
  "'preference_vector', preference_vector, 'taste_momentum', taste_momentum, " \
  "'is_guest', is_guest, 'created_at', created_at, 'updated_at', updated_at) " \
  "FROM profiles WHERE id = ?1"
#define BADGE_JSON \
  "SELECT json_object('uid', uid, 'user_id', user_id, 'created_at', created_at, " \
  "'revoked_at', revoked_at) FROM badges WHERE uid = ?1"

/* One new profile (and its badge, and optionally a role) in the current
 * transaction. */
static char *
create_profile (SkEngine     *self,
                const char   *uid,
                const char   *display_name,
                gboolean      guest,
                const char   *role,
                const double *preference,
                gint64        now,
                GError      **error)
{
  g_autofree char *id = sk_uuid_new ();
  g_autofree char *ts = sk_time_format (now);
  g_autofree char *pref = NULL;
  double neutral[SK_DIM];
  sqlite3_stmt *stmt;

  sk_taste_neutral (neutral);
  pref = sk_vec_format (preference ? preference : neutral);

  stmt = sk_store_prepare (self->store,
                           "INSERT INTO profiles (id, name, display_name, preference_vector, is_guest, created_at, updated_at) "
                           "VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?5)",
                           error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, display_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, pref, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, guest ? 1 : 0);
  sqlite3_bind_text (stmt, 5, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    return NULL;

  stmt = sk_store_prepare (self->store,
                           "INSERT INTO badges (uid, user_id, created_at) VALUES (?1, ?2, ?3)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, uid, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    return NULL;

  if (role != NULL)
    {
      g_autofree char *role_id = sk_uuid_new ();

      stmt = sk_store_prepare (self->store,
                               "INSERT INTO roles (id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                               error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, role_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, role, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, ts, -1, SQLITE_STATIC);
      if (!sk_store_run (self->store, stmt, error))
        return NULL;
    }

  if (!outbox_row (self, "profile", PROFILE_JSON, id, now, error) ||
      !outbox_row (self, "badge", BADGE_JSON, uid, now, error))
    return NULL;
  return g_steal_pointer (&id);
}

static char *
new_listener (SkEngine     *self,
              const char   *uid,
              const char   *display_name,
              gboolean      guest,
              const char   *role,
              const double *preference,
              gboolean      and_check_in,
              GError      **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *name = NULL;
  g_autofree char *existing = NULL;
  g_autofree char *existing_name = NULL;
  g_autofree char *revoked = NULL;
  g_autofree char *id = NULL;
  g_auto(SkCheckIn) ci = { 0 };
  gboolean manager = FALSE;
  int rc;

  norm = sk_badge_normalise_uid (uid, error);
  if (norm == NULL)
    return NULL;
  if (display_name != NULL)
    {
      name = clean_display_name (display_name, error);
      if (name == NULL)
        return NULL;
    }
  else
    name = sk_badge_guest_name (norm);
  if (role != NULL && strcmp (role, "manager") != 0 && strcmp (role, "admin") != 0)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "Unknown role “%.20s” (expected manager or admin)", role);
      return NULL;
    }

  rc = lookup_badge (self, norm, &existing, &existing_name, &revoked, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_ALREADY_ENROLLED,
                   "This badge already belongs to %s", existing_name);
      return NULL;
    }

  if (!sk_store_begin (self->store, error))
    return NULL;
  id = create_profile (self, norm, name, guest, role, preference, sk_engine_now (self), error);
  if (id == NULL ||
      (and_check_in && !check_in (self, id, name, &ci, &manager, error)) ||
      !requeue (self, error) ||
      !sk_store_commit (self->store, error))
    {
      sk_store_rollback (self->store);
      requeue (self, NULL);
      return NULL;
    }
  return g_steal_pointer (&id);
}

char *
sk_engine_join (SkEngine    *self,
                const char  *uid,
                const char  *display_name,
                GError     **error)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return new_listener (self, uid, display_name, TRUE, NULL, NULL, TRUE, error);
}

char *
sk_engine_enroll (SkEngine     *self,
                  const char   *uid,
                  const char   *display_name,
                  const char   *role,
                  const double *preference,
                  GError      **error)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  return new_listener (self, uid, display_name, FALSE, role, preference, FALSE, error);
}

char *
sk_engine_dup_user_for_uid (SkEngine    *self,
                            const char  *uid,
                            GError     **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *revoked = NULL;
  int rc;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  norm = sk_badge_normalise_uid (uid, error);
  if (norm == NULL)
    return NULL;
  rc = lookup_badge (self, norm, &user_id, &name, &revoked, error);
  if (rc < 0)
    return NULL;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_UNKNOWN_BADGE,
                   "Nobody has the badge %s", norm);
      return NULL;
    }
  if (revoked != NULL)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED,
                   "The badge %s was revoked on %.10s", norm, revoked);
      return NULL;
    }
  return g_steal_pointer (&user_id);
}

gboolean
sk_engine_check_out (SkEngine    *self,
                     const char  *user_id,
                     GError     **error)
{
  gboolean was_active = FALSE;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  if (!sk_sessions_check_out (self->sessions, user_id, sk_engine_now (self), &was_active, error))
    return FALSE;
  if (!was_active)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_CHECKED_IN,
                   "This listener is not checked in");
      return FALSE;
    }
  g_signal_emit (self, signals[SIGNAL_CHECKED_OUT], 0, user_id, "checkout");
  return requeue (self, error);
}

/* --- votes -------------------------------------------------------------- */

static gboolean
read_taste (SkEngine    *self,
            const char  *user_id,
            double       pref[SK_DIM],
            double       momentum[SK_DIM],
            GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(GError) bad = NULL;
  int rc;

  stmt = sk_store_prepare (self->store,
                           "SELECT preference_vector, taste_momentum FROM profiles WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  rc = sk_store_step (self->store, stmt, error);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "No listener %s", user_id);
      return FALSE;
    }
  if (!sk_vec_parse (sk_store_column_text (stmt, 0), pref, &bad))
    {
      g_warning ("Listener %s: unreadable taste (%s); starting again from no opinion",
                 user_id, bad->message);
      sk_taste_neutral (pref);
      g_clear_error (&bad);
    }
  {
    /* momentum may leave [0, 1]: parse it without the range check */
    g_autoptr(JsonParser) parser = json_parser_new ();
    const char *m = sk_store_column_text (stmt, 1);

    if (m == NULL || !json_parser_load_from_data (parser, m, -1, NULL) ||
        !sk_vec_from_json (json_parser_get_root (parser), momentum, FALSE, NULL))
      memset (momentum, 0, sizeof (double) * SK_DIM);
  }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
sk_engine_vote (SkEngine    *self,
                const char  *user_id,
                int          value,
                GError     **error)
{
  g_autofree char *vote_id = NULL;
  g_autofree char *ts = NULL;
  g_autofree char *pref_text = NULL;
  g_autofree char *mom_text = NULL;
  g_autofree char *song = NULL;
  double pref[SK_DIM], momentum[SK_DIM];
  const double *embedding;
  GError *local = NULL;
  sqlite3_stmt *stmt;
  gint64 now;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  if (value < 1 || value > 5)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "A rating is 1 to 5, not %d", value);
      return FALSE;
    }
  now = sk_engine_now (self);
  if (!sk_sessions_is_present (self->sessions, user_id, now, &local))
    {
      if (local == NULL)
        g_set_error_literal (&local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_CHECKED_IN,
                             "Tap your badge to check in before rating");
      g_propagate_error (error, local);
      return FALSE;
    }
  if (self->current_play == NULL)
    {
      g_set_error_literal (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYING,
                           "Nothing is playing to rate");
      return FALSE;
    }
  song = g_strdup (self->current_song);
  index = sk_recommender_lookup (self->recommender, song);
  if (index < 0)
    {
      g_set_error_literal (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYING,
                           "The track playing is no longer in the library");
      return FALSE;
    }
  embedding = sk_recommender_get_embedding (self->recommender, index);

  if (!sk_store_begin (self->store, error))
    return FALSE;

  vote_id = sk_uuid_new ();
  ts = sk_time_format (now);
  stmt = sk_store_prepare (self->store,
                           "INSERT INTO votes (id, user_id, song_id, vote_value, vote_time, play_id) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           &local);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, vote_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, song, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, value);
  sqlite3_bind_text (stmt, 5, ts, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, self->current_play, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, &local))
    {
      if (g_error_matches (local, SK_STORE_ERROR, SK_STORE_ERROR_CONSTRAINT))
        {
          g_clear_error (&local);
          g_set_error_literal (&local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_ALREADY_VOTED,
                               "You already rated this track");
        }
      goto fail;
    }

  if (!read_taste (self, user_id, pref, momentum, &local))
    goto fail;
  sk_taste_vote (pref, momentum, embedding, value);
  pref_text = sk_vec_format (pref);
  {
    GString *m = g_string_new ("[");

    for (guint d = 0; d < SK_DIM; d++)
      g_string_append_printf (m, "%s%.17g", d ? "," : "", momentum[d]);
    g_string_append_c (m, ']');
    mom_text = g_string_free (m, FALSE);
  }
  stmt = sk_store_prepare (self->store,
                           "UPDATE profiles SET preference_vector = ?2, taste_momentum = ?3, updated_at = ?4 "
                           "WHERE id = ?1",
                           &local);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pref_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, mom_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, &local) ||
      !outbox_row (self, "vote",
                   "SELECT json_object('id', id, 'user_id', user_id, 'song_id', song_id, "
                   "'vote_value', vote_value, 'vote_time', vote_time, 'play_id', play_id) "
                   "FROM votes WHERE id = ?1",
                   vote_id, now, &local) ||
      !outbox_row (self, "profile", PROFILE_JSON, user_id, now, &local) ||
      !requeue (self, &local) ||
      !sk_store_commit (self->store, &local))
    goto fail;

  g_signal_emit (self, signals[SIGNAL_VOTE_RECORDED], 0, user_id, song, value);
  return TRUE;

fail:
  sk_store_rollback (self->store);
  /* the queue in memory may have seen the taste the rollback undid */
  requeue (self, NULL);
  g_propagate_error (error, local);
  return FALSE;
}

/* --- playback ----------------------------------------------------------- */

static void
replace_str (char       **slot,
             const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*slot);
  *slot = copy;
}

static void
set_status (SkEngine   *self,
            const char *status,
            const char *message)
{
  if (g_strcmp0 (self->status, status) == 0 && g_strcmp0 (self->status_message, message) == 0)
    return;
  replace_str (&self->status, status);
  replace_str (&self->status_message, message);
  g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, status, message);
}

const char *
sk_engine_get_status (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->status;
}

const char *
sk_engine_get_status_message (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->status_message;
}

gboolean
sk_engine_set_idle (SkEngine    *self,
                    const char  *message,
                    GError     **error)
{
  sqlite3_stmt *stmt;

  gboolean was_playing;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  was_playing = self->current_song != NULL;
  g_clear_pointer (&self->current_song, g_free);
  g_clear_pointer (&self->current_play, g_free);
  set_status (self, "idle", message);
  stmt = sk_store_prepare (self->store,
                           "UPDATE players SET status = 'idle', current_song_id = NULL "
                           "WHERE id = ?1",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    return FALSE;
  /* the song that played is a candidate again */
  return !was_playing || requeue (self, error);
}

gboolean
sk_engine_start_next (SkEngine  *self,
                      char     **song_id,
                      GError   **error)
{
  const char *next = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (self->queue->len > 0)
    next = g_array_index (self->queue, SkQueueEntry, 0).song_id;
  else if (self->current_song != NULL &&
           sk_recommender_lookup (self->recommender, self->current_song) >= 0)
    next = self->current_song;   /* a library of one plays on */

  if (next == NULL)
    {
      const char *message = "There is nothing to play: import some soundscapes";

      sk_engine_set_idle (self, message, NULL);
      g_set_error_literal (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYABLE, message);
      return FALSE;
    }
  if (song_id != NULL)
    *song_id = g_strdup (next);
  if (!sk_engine_start_song (self, next, NULL, error))
    {
      if (song_id != NULL)
        g_clear_pointer (song_id, g_free);
      return FALSE;
    }
  return TRUE;
}

gboolean
sk_engine_start_song (SkEngine    *self,
                      const char  *song,
                      char       **play_id_out,
                      GError     **error)
{
  g_autofree char *play_id = NULL;
  g_autofree char *ts = NULL;
  g_autofree char *next = NULL;
  sqlite3_stmt *stmt;
  gint64 now;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (song != NULL, FALSE);

  next = g_strdup (song);   /* @song may be the queue's, which requeue frees */
  index = sk_recommender_lookup (self->recommender, next);
  if (index < 0)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND,
                   "No song %s in the library", next);
      return FALSE;
    }

  now = sk_engine_now (self);
  play_id = sk_uuid_new ();
  ts = sk_time_format (now);
  if (!sk_store_begin (self->store, error))
    return FALSE;
  stmt = sk_store_prepare (self->store,
                           "INSERT INTO songs_playing (id, player_id, song_id, played_at) VALUES (?1, ?2, ?3, ?4)",
                           error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, play_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, self->player_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, next, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    goto fail;
  stmt = sk_store_prepare (self->store,
                           "UPDATE players SET status = 'playing', current_song_id = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, next, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error) ||
      !outbox_row (self, "play",
                   "SELECT json_object('id', id, 'player_id', player_id, 'song_id', song_id, "
                   "'played_at', played_at) FROM songs_playing WHERE id = ?1",
                   play_id, now, error))
    goto fail;

  g_free (self->current_song);
  self->current_song = g_strdup (next);
  g_free (self->current_play);
  self->current_play = g_strdup (play_id);
  sk_recommender_set_last_played (self->recommender, index, now);

  if (!requeue (self, error) || !sk_store_commit (self->store, error))
    goto fail;

  set_status (self, "playing", NULL);
  g_signal_emit (self, signals[SIGNAL_TRACK_STARTED], 0, next, play_id);
  if (play_id_out != NULL)
    *play_id_out = g_steal_pointer (&play_id);
  return TRUE;

fail:
  sk_store_rollback (self->store);
  /* memory follows the database: reload what the rollback undid */
  sk_engine_reload (self, NULL);
  return FALSE;
}

gboolean
sk_engine_mark_unplayable (SkEngine    *self,
                           const char  *song_id,
                           const char  *reason,
                           GError     **error)
{
  g_autofree char *ts = NULL;
  sqlite3_stmt *stmt;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (song_id != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  ts = sk_time_format (sk_engine_now (self));
  if (!sk_store_begin (self->store, error))
    return FALSE;
  stmt = sk_store_prepare (self->store,
                           "UPDATE songs SET playable = 0, unplayable_reason = ?2, "
                           "  updated_at = ?3 WHERE id = ?1",
                           error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, reason, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, ts, -1, SQLITE_STATIC);
  if (!sk_store_run (self->store, stmt, error))
    goto fail;
  if (sk_store_changes (self->store) == 0)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "No song %s", song_id);
      goto fail;
    }
  index = sk_recommender_lookup (self->recommender, song_id);
  if (index >= 0)
    sk_recommender_set_playable (self->recommender, index, FALSE);
  if (!requeue (self, error) || !sk_store_commit (self->store, error))
    goto fail;
  return TRUE;

fail:
  sk_store_rollback (self->store);
  sk_engine_reload (self, NULL);
  return FALSE;
}

/* The fallback's list: as the queue, but every playable song of the
 * library, the one playing and those played recently included (their
 * penalty still orders them). Not more than this many: */
#define MAX_RANKED 1000

GPtrArray *
sk_engine_dup_ranked_playable (SkEngine *self)
{
  g_autofree SkRankItem *items = NULL;
  GPtrArray *ids;
  SkRankParams params = { 0 };
  guint n;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  ids = g_ptr_array_new_with_free_func (g_free);
  n = MIN (sk_recommender_get_n_songs (self->recommender), MAX_RANKED);
  if (n == 0)
    return ids;
  items = g_new (SkRankItem, n);
  params.now = sk_engine_now (self);
  params.strategy = self->strategy;
  params.k = n;
  params.house = self->house;
  params.listeners = self->prefs;
  params.n_listeners = self->n_present;
  params.current = -1;
  n = sk_recommender_rank (self->recommender, &params, items);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup (sk_recommender_get_id (self->recommender, items[i].index)));
  return ids;
}

char *
sk_engine_dup_song_title (SkEngine   *self,
                          const char *song_id)
{
  sqlite3_stmt *stmt;
  char *title = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  if (song_id == NULL)
    return g_strdup ("—");
  stmt = sk_store_prepare (self->store, "SELECT title FROM songs WHERE id = ?1", NULL);
  if (stmt == NULL)
    return g_strdup (song_id);
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    title = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return title != NULL ? title : g_strdup (song_id);
}
