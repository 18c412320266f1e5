/* sk-engine.c: the engine object, loading, the queue and session expiry.
 *
 * Taps, listeners, votes, plays and outbox rows live in sk-engine-*.c and
 * share the struct through sk-engine-private.h.
 *
 * The queue is a function of (present listeners' tastes, library, history,
 * current song, now); it is recomputed after every tap, vote, expiry and
 * track start, written to player_queue in the same transaction as the change
 * that caused it, and announced with "queue-changed" when it differs from
 * the previous one in its order or its sentences.
 *
 * Time comes from one clock (the real one unless a test sets another), so
 * that expiry "to the second" can be tested without sleeping: the expiry
 * timer is only armed while the real clock is in use. */
#include "config.h"

#include <gobject/gvaluecollector.h>
#include <string.h>

#include "sk-engine-private.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-engine-error-quark, sk_engine_error)
/* clang-format on */

G_DEFINE_FINAL_TYPE (SkEngine, sk_engine, G_TYPE_OBJECT)

guint sk_engine_signals[N_SIGNALS];

/* A signal with its arguments copied, waiting for the commit. */
typedef struct
{
  guint signal_id;
  guint n_values;
  GValue values[];
} Emission;

static void
emission_run (gpointer data)
{
  Emission *e = data;

  g_signal_emitv (e->values, e->signal_id, 0, NULL);
}

static void
emission_free (gpointer data)
{
  Emission *e = data;

  for (guint i = 0; i < e->n_values; i++)
    g_value_unset (&e->values[i]);
  g_free (e);
}

void
sk_engine_emit (SkEngine *self, guint which, ...)
{
  GSignalQuery query;
  Emission *e;
  va_list args;

  g_signal_query (sk_engine_signals[which], &query);
  e = g_malloc0 (sizeof (Emission) + (query.n_params + 1) * sizeof (GValue));
  e->signal_id = query.signal_id;
  e->n_values = query.n_params + 1;
  g_value_init_from_instance (&e->values[0], self);
  va_start (args, which);
  for (guint i = 0; i < query.n_params; i++)
    {
      g_autofree char *failed = NULL;

      G_VALUE_COLLECT_INIT (&e->values[i + 1], query.param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE,
                            args, 0, &failed);
      g_assert (failed == NULL);
    }
  va_end (args);
  sk_store_after_commit (self->store, emission_run, e, emission_free);
}

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
  g_free (((SkQueueEntry *) p)->why);
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
  g_clear_pointer (&self->announced, g_ptr_array_unref);
  sk_engine_watch_clear (self);
  g_clear_pointer (&self->rank_buf, g_free);
  g_clear_pointer (&self->prefs, g_free);
  g_clear_pointer (&self->states, g_free);
  g_clear_pointer (&self->recommender, sk_recommender_free);
  g_clear_pointer (&self->sessions, sk_sessions_free);
  g_clear_pointer (&self->store, sk_store_unref);
  g_free (self->player_id);
  g_free (self->current_song);
  g_free (self->current_play);
  g_free (self->current_why);
  g_free (self->status);
  g_free (self->status_message);
  g_free (self->vetoed_play);

  G_OBJECT_CLASS (sk_engine_parent_class)->finalize (object);
}

static void
sk_engine_class_init (SkEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sk_engine_finalize;

  sk_engine_signals[SIGNAL_CHECKED_IN] = g_signal_new ("checked-in", G_TYPE_FROM_CLASS (klass),
                                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                       G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                                                       G_TYPE_UINT);
  sk_engine_signals[SIGNAL_CHECKED_OUT] = g_signal_new ("checked-out", G_TYPE_FROM_CLASS (klass),
                                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                        G_TYPE_NONE, 2, G_TYPE_STRING,
                                                        G_TYPE_STRING);
  sk_engine_signals[SIGNAL_UNKNOWN_BADGE] = g_signal_new ("unknown-badge",
                                                          G_TYPE_FROM_CLASS (klass),
                                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                          G_TYPE_NONE, 1, G_TYPE_STRING);
  sk_engine_signals[SIGNAL_TAP_REFUSED] = g_signal_new ("tap-refused", G_TYPE_FROM_CLASS (klass),
                                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                        G_TYPE_NONE, 2, G_TYPE_STRING,
                                                        G_TYPE_STRING);
  sk_engine_signals[SIGNAL_VOTE_RECORDED] = g_signal_new ("vote-recorded",
                                                          G_TYPE_FROM_CLASS (klass),
                                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                          G_TYPE_NONE, 3, G_TYPE_STRING,
                                                          G_TYPE_STRING, G_TYPE_INT);
  sk_engine_signals[SIGNAL_TRACK_STARTED] = g_signal_new ("track-started",
                                                          G_TYPE_FROM_CLASS (klass),
                                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                          G_TYPE_NONE, 2, G_TYPE_STRING,
                                                          G_TYPE_STRING);
  sk_engine_signals[SIGNAL_QUEUE_CHANGED] = g_signal_new ("queue-changed",
                                                          G_TYPE_FROM_CLASS (klass),
                                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                          G_TYPE_NONE, 0);
  sk_engine_signals[SIGNAL_STATUS_CHANGED] = g_signal_new ("status-changed",
                                                           G_TYPE_FROM_CLASS (klass),
                                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                           G_TYPE_NONE, 2, G_TYPE_STRING,
                                                           G_TYPE_STRING);
  sk_engine_signals[SIGNAL_VETOED] = g_signal_new ("vetoed", G_TYPE_FROM_CLASS (klass),
                                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                   G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                                                   G_TYPE_STRING);
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
  self->announced = g_ptr_array_new_with_free_func (g_free);
  self->recommender = sk_recommender_new ();
  self->tap_limit = SK_TAP_LIMIT_DEFAULT;
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
sk_engine_set_clock (SkEngine *self, SkClockFunc func, gpointer user_data)
{
  g_return_if_fail (SK_IS_ENGINE (self));

  self->clock = func ? func : real_clock;
  self->clock_data = func ? user_data : NULL;
  sk_engine_arm_expiry (self);
}

/* --- loading ------------------------------------------------------------ */

/* The player this database names in the setting player_id, if its row is
 * there: SQLITE_ROW (*@id set), SQLITE_DONE, or -1 with @error set. */
static int
find_player (SkEngine *self, char **id, GError **error)
{
  g_autofree char *stored = sk_store_dup_setting (self->store, "player_id");
  sqlite3_stmt *stmt;
  int rc;

  *id = NULL;
  if (stored == NULL)
    return SQLITE_DONE;
  stmt = sk_store_query (self->store, error, "SELECT 1 FROM players WHERE id = ?1", "s", stored);
  rc = sk_store_step_once (self->store, stmt, error);
  if (rc < 0)
    return -1;
  *id = g_steal_pointer (&stored);
  return rc;
}

/* This device's player, created on a first open. Programs opening a new
 * database at once create one player: the check is made again, and the
 * player made, under one write lock. */
static gboolean
ensure_player (SkEngine *self, GError **error)
{
  g_autofree char *id = NULL;
  g_autofree char *ts = NULL;
  int rc;

  rc = find_player (self, &id, error);
  if (rc == SQLITE_ROW)
    {
      self->player_id = g_steal_pointer (&id);
      return TRUE;
    }
  if (rc < 0)
    return FALSE;
  if (sk_store_is_read_only (self->store))
    {
      g_set_error (
          error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND,
          "The database %s has no player yet; “soundscape-ctl init” or starting the kiosk makes one",
          sk_store_get_path (self->store));
      return FALSE;
    }

  if (!sk_store_begin (self->store, error))
    return FALSE;
  g_clear_pointer (&id, g_free);
  rc = find_player (self, &id, error);
  if (rc < 0)
    goto fail;
  if (rc == SQLITE_DONE)
    {
      if (id == NULL)
        id = sk_uuid_new ();
      ts = sk_time_format (sk_engine_now (self));
      if (!sk_store_run_sql (self->store, error,
                             "INSERT INTO players (id, name, status, queue_source, created_at) "
                             "VALUES (?1, 'Kiosk', 'idle', 'kiosk', ?2)",
                             "ss", id, ts) ||
          !sk_store_set_setting (self->store, "player_id", id, error))
        goto fail;
    }
  if (!sk_store_commit (self->store, error))
    goto fail;
  self->player_id = g_steal_pointer (&id);
  return TRUE;

fail:
  sk_store_rollback (self->store);
  return FALSE;
}

void
sk_engine_load_settings (SkEngine *self)
{
  g_autofree char *strategy = sk_settings_dup_string (self->store, "strategy");

  if (!sk_strategy_from_string (strategy, &self->strategy, NULL))
    g_assert_not_reached (); /* the table only lets the strategies through */
  self->k = (guint) sk_settings_get_int (self->store, "queue_k");
  sk_settings_get_vector (self->store, "house_vector", self->house);
  sk_sessions_set_length (self->sessions,
                          sk_settings_get_int (self->store, "session_minutes") * 60);
  self->tap_limit = (guint) sk_settings_get_int (self->store, "tap_limit_per_minute");
  self->explore_weight = sk_settings_get_double (self->store, "explore_weight");
  self->crowd_veto = sk_settings_get_int (self->store, "crowd_veto") != 0;
  self->rank_buf = g_renew (SkRankItem, self->rank_buf, self->k);
}

gboolean
sk_engine_reload (SkEngine *self, GError **error)
{
  g_autoptr (GPtrArray) library = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *play = NULL, *why = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  self->songs_touched = TRUE; /* an import on this connection may precede */
  sk_recommender_clear (self->recommender);
  stmt = sk_store_prepare (self->store, "SELECT id, embedding FROM songs ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      const char *id = sk_store_column_text (stmt, 0);
      double e[SK_DIM];
      g_autoptr (GError) bad = NULL;

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

  stmt = sk_store_query (self->store, error,
                         "SELECT song_id FROM player_library WHERE player_id = ?1", "s",
                         self->player_id);
  if (!sk_store_collect_texts (self->store, stmt, library, error))
    return FALSE;
  /* no rows is every song, unless a manager chose none (an id of no song
   * leaves every song out) */
  if (library->len == 0 && sk_engine_library_is_curated (self))
    g_ptr_array_add (library, g_strdup (""));
  sk_recommender_set_library (self->recommender, (const char *const *) library->pdata,
                              library->len);

  stmt = sk_store_query (self->store, error,
                         "SELECT song_id, max(played_at) FROM songs_playing "
                         "WHERE player_id = ?1 GROUP BY song_id",
                         "s", self->player_id);
  if (stmt == NULL)
    return FALSE;
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

  /* The current play is the player's latest start; its sentence stays
   * while it is the same play. */
  g_clear_pointer (&self->current_song, g_free);
  play = g_steal_pointer (&self->current_play);
  why = g_steal_pointer (&self->current_why);
  stmt = sk_store_query (self->store, error,
                         "SELECT sp.id, sp.song_id FROM songs_playing sp "
                         "JOIN players p ON p.id = sp.player_id AND p.current_song_id = sp.song_id "
                         "WHERE sp.player_id = ?1 ORDER BY sp.played_at DESC LIMIT 1",
                         "s", self->player_id);
  if (stmt == NULL)
    return FALSE;
  if ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      self->current_play = g_strdup (sk_store_column_text (stmt, 0));
      self->current_song = g_strdup (sk_store_column_text (stmt, 1));
      if (g_strcmp0 (play, self->current_play) == 0)
        self->current_why = g_steal_pointer (&why);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;

  return sk_engine_requeue (self, error);
}

SkEngine *
sk_engine_new (SkStore *store, GError **error)
{
  g_autoptr (SkEngine) self = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_object_new (SK_TYPE_ENGINE, NULL);
  self->store = sk_store_ref (store);
  if (!ensure_player (self, error))
    return NULL;
  self->sessions = sk_sessions_new (store, self->player_id);
  sk_engine_load_settings (self);
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

const char *
sk_engine_get_current_why (SkEngine *self)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return self->current_why;
}

const SkQueueEntry *
sk_engine_get_queue (SkEngine *self, guint *n)
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
write_queue (SkEngine *self, gint64 now, GError **error)
{
  g_autofree char *ts = sk_time_format (now);

  if (!sk_store_run_sql (self->store, error, "DELETE FROM player_queue WHERE player_id = ?1", "s",
                         self->player_id))
    return FALSE;

  for (guint i = 0; i < self->queue->len; i++)
    {
      SkQueueEntry *e = &g_array_index (self->queue, SkQueueEntry, i);
      g_autofree char *id = sk_uuid_new ();

      if (!sk_store_run_sql (self->store, error,
                             "INSERT INTO player_queue (id, player_id, song_id, position, score, added_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                             "sssids", id, self->player_id, e->song_id, (int) i + 1, e->score, ts))
        return FALSE;
    }
  return TRUE;
}

/* One queue entry as announced: its song and its "why" sentence, so that
 * a change of either (a listener who checks in changes the sentences of a
 * queue whose order stays) is announced. */
static char *
announced_entry (const SkQueueEntry *e)
{
  return g_strconcat (e->song_id, "\n", e->why != NULL ? e->why : "", NULL);
}

/* After the commit: "queue-changed" when the queue differs from the one
 * last announced, in its order or in its sentences. A queue computed in a
 * transaction that was rolled back is never announced; the requeue after
 * the rollback puts the committed one back, which then differs from
 * nothing announced. */
static void
announce_queue (gpointer data)
{
  SkEngine *self = data;
  g_autoptr (GPtrArray) now = g_ptr_array_new_full (self->queue->len, g_free);
  gboolean changed = self->announced->len != self->queue->len;

  for (guint i = 0; i < self->queue->len; i++)
    {
      g_ptr_array_add (now, announced_entry (&g_array_index (self->queue, SkQueueEntry, i)));
      changed = changed || strcmp (now->pdata[i], self->announced->pdata[i]) != 0;
    }
  sk_engine_note_own_commit (self);
  if (!changed)
    return;
  g_ptr_array_unref (self->announced);
  self->announced = g_steal_pointer (&now);
  g_signal_emit (self, sk_engine_signals[SIGNAL_QUEUE_CHANGED], 0);
}

gboolean
sk_engine_requeue (SkEngine *self, GError **error)
{
  g_autoptr (GArray) present = NULL;
  SkRankParams params = { 0 };
  SkRankItem *plain_buf = NULL;
  gint64 now = sk_engine_now (self);
  guint n, n_plain = 0;

  present = sk_sessions_present (self->sessions, now, error);
  if (present == NULL)
    return FALSE;

  if (self->prefs_len < present->len)
    {
      self->prefs = g_renew (double, self->prefs, (gsize) present->len *SK_DIM);
      self->states = g_renew (double, self->states, (gsize) present->len *SK_TASTE_STATE_LEN);
      self->prefs_len = present->len;
    }
  for (guint i = 0; i < present->len; i++)
    {
      memcpy (&self->prefs[(gsize) i * SK_DIM], g_array_index (present, SkPresent, i).preference,
              sizeof (double) * SK_DIM);
      memcpy (&self->states[(gsize) i * SK_TASTE_STATE_LEN],
              g_array_index (present, SkPresent, i).state, sizeof (double) * SK_TASTE_STATE_LEN);
    }
  self->n_present = present->len;
  /* the learner's exploration bonus, once per ranking (docs/DESIGN.md) */
  self->has_explore = sk_taste_explore_blend (self->states, present->len, self->explore_weight,
                                              self->explore);

  params.now = now;
  params.strategy = self->strategy;
  params.k = self->k;
  params.house = self->house;
  params.listeners = self->prefs;
  params.n_listeners = present->len;
  params.explore = self->has_explore ? self->explore : NULL;
  params.current = sk_recommender_lookup (self->recommender, self->current_song);
  n = sk_recommender_rank (self->recommender, &params, self->rank_buf);
  /* "why this": the songs that are in the queue only by the exploration
   * bonus are the ones missing from the ranking without it */
  if (params.explore != NULL && n > 0)
    {
      SkRankParams plain = params;

      plain.explore = NULL;
      plain_buf = g_newa (SkRankItem, params.k);
      n_plain = sk_recommender_rank (self->recommender, &plain, plain_buf);
    }

  g_array_set_size (self->queue, 0);
  for (guint i = 0; i < n; i++)
    {
      SkQueueEntry e;
      SkWhyParts parts;

      sk_recommender_explain (self->recommender, &params, self->rank_buf[i].index, &parts);
      parts.explored = plain_buf != NULL;
      for (guint j = 0; j < n_plain && parts.explored; j++)
        parts.explored = plain_buf[j].index != self->rank_buf[i].index;
      e.song_id = g_strdup (sk_recommender_get_id (self->recommender, self->rank_buf[i].index));
      e.score = self->rank_buf[i].score;
      e.why = sk_why_sentence (&parts);
      g_array_append_val (self->queue, e);
    }

  /* a read-only store (status, queue) computes the queue and keeps it */
  if (!sk_store_is_read_only (self->store))
    {
      if (!sk_store_begin (self->store, error) ||
          !sk_store_end (self->store, write_queue (self, now, error), error))
        return FALSE;
    }

  sk_engine_arm_expiry (self);
  sk_store_after_commit (self->store, announce_queue, g_object_ref (self), g_object_unref);
  return TRUE;
}

/* --- expiry ------------------------------------------------------------- */

static gboolean
expire_now (SkEngine *self, GError **error)
{
  g_autoptr (GArray) before = NULL;
  g_autoptr (GArray) after = NULL;
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
        sk_engine_emit (self, SIGNAL_CHECKED_OUT, id, "expired");
    }
  return TRUE;
}

gboolean
sk_engine_refresh (SkEngine *self, GError **error)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  /* read-only: those due are not present; they are marked by a writer */
  if (sk_store_is_read_only (self->store))
    return sk_engine_requeue (self, error);
  /* the expiry and the queue it changes: one transaction */
  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (!expire_now (self, error) || !sk_engine_requeue (self, error) ||
      !sk_store_commit (self->store, error))
    return sk_engine_roll_back (self, SK_ENGINE_UNDO_REQUEUE);
  return TRUE;
}

static gboolean
expiry_cb (gpointer data)
{
  SkEngine *self = data;
  g_autoptr (GError) error = NULL;

  self->expiry_source = 0;
  if (!sk_engine_refresh (self, &error))
    g_warning ("Expiring sessions failed: %s", error->message);
  return G_SOURCE_REMOVE;
}

void
sk_engine_arm_expiry (SkEngine *self)
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
  self->expiry_source = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                            (guint) CLAMP (ms, 0, G_MAXUINT / 2), expiry_cb, self,
                                            NULL);
}
