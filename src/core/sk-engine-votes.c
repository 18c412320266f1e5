/* sk-engine-votes.c: a vote moves the taste of a listener present, through
 * the learner (sk_taste_learn), in the same transaction as the vote, the
 * outbox rows and the new queue. Once it is committed, the crowd veto
 * looks at the votes on the play (sk_engine_check_veto). */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"
#include "sk-why.h"

/* The listener's preference and learner state. A profile with no state
 * yet starts from its preference; a damaged one too, with a log line. */
static gboolean
read_taste (SkEngine *self,
            const char *user_id,
            double pref[SK_DIM],
            double state[SK_TASTE_STATE_LEN],
            GError **error)
{
  sqlite3_stmt *stmt;
  g_autoptr (GError) bad = NULL;
  int rc;

  stmt = sk_store_query (self->store, error,
                         "SELECT preference_vector, taste_state FROM profiles WHERE id = ?1", "s",
                         user_id);
  if (stmt == NULL)
    return FALSE;
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
      g_warning ("Listener %s: unreadable taste (%s); starting again from no opinion", user_id,
                 bad->message);
      sk_taste_neutral (pref);
      g_clear_error (&bad);
    }
  if (!sk_taste_state_parse (sk_store_column_text (stmt, 1), pref, state, &bad))
    g_warning ("Listener %s: unreadable learner state (%s); starting again from their preference",
               user_id, bad->message);
  sqlite3_reset (stmt);
  return TRUE;
}

/* Why the song playing is not in the ranking, in words that are true:
 * gone from the songs, or there with an embedding that cannot be read. */
static void
set_not_rateable_error (SkEngine *self, const char *song, GError **error)
{
  g_autoptr (GError) bad = NULL;
  double e[SK_DIM];
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_query (self->store, error, "SELECT embedding FROM songs WHERE id = ?1", "s",
                         song);
  if (stmt == NULL)
    return;
  rc = sk_store_step (self->store, stmt, error);
  if (rc == SQLITE_DONE)
    g_set_error_literal (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOTHING_PLAYING,
                         "The track playing is no longer in the library");
  else if (rc == SQLITE_ROW && !sk_vec_parse (sk_store_column_text (stmt, 0), e, &bad))
    g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_BAD_SONG,
                 "The track playing cannot be rated: its taste profile (embedding) is unreadable: %s. "
                 "Import it again with a correct sidecar.",
                 bad->message);
  else if (rc == SQLITE_ROW)
    g_set_error_literal (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_BAD_SONG,
                         "The track playing cannot be rated: it was left out of the ranking "
                         "(the log says why)");
  sqlite3_reset (stmt);
}

/* The learner (docs/DESIGN.md, "The learner") moves the taste of @user_id
 * by a vote of @value on a song of @embedding, and writes it at @ts in the
 * caller's transaction. The seed's rule and its taste_momentum are no
 * longer written. */
static gboolean
learn_from_vote (SkEngine *self,
                 const char *user_id,
                 const double embedding[SK_DIM],
                 int value,
                 const char *ts,
                 GError **error)
{
  g_autofree char *pref_text = NULL;
  g_autofree char *state_text = NULL;
  double pref[SK_DIM], state[SK_TASTE_STATE_LEN];

  if (!read_taste (self, user_id, pref, state, error))
    return FALSE;
  if (!sk_taste_learn (state, pref, embedding, value))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "Listener %s: the taste could not learn from this vote", user_id);
      return FALSE;
    }
  pref_text = sk_vec_format (pref);
  state_text = sk_taste_state_format (state);
  return sk_store_run_sql (self->store, error,
                           "UPDATE profiles SET preference_vector = ?2, taste_state = ?3, updated_at = ?4 "
                           "WHERE id = ?1",
                           "ssss", user_id, pref_text, state_text, ts);
}

typedef struct
{
  SkEngine *engine;
  char *song;
  char *play;
} VetoCheck;

static void
veto_check_run (gpointer data)
{
  VetoCheck *v = data;

  sk_engine_check_veto (v->engine, v->song, v->play);
}

static void
veto_check_free (gpointer data)
{
  VetoCheck *v = data;

  g_object_unref (v->engine);
  g_free (v->song);
  g_free (v->play);
  g_free (v);
}

/* The crowd veto looks at the votes once the outermost transaction has
 * committed (at once when the vote's own was the outermost): a vote
 * rolled back by a caller's transaction never counts, nor marks the play
 * as vetoed. */
static void
veto_check_after_commit (SkEngine *self, const char *song, const char *play)
{
  VetoCheck *v = g_new0 (VetoCheck, 1);

  v->engine = g_object_ref (self);
  v->song = g_strdup (song);
  v->play = g_strdup (play);
  sk_store_after_commit (self->store, veto_check_run, v, veto_check_free);
}

gboolean
sk_engine_vote (SkEngine *self, const char *user_id, int value, GError **error)
{
  g_autofree char *vote_id = NULL;
  g_autofree char *ts = NULL;
  g_autofree char *song = NULL;
  g_autofree char *play = NULL;
  const double *embedding;
  GError *local = NULL;
  gint64 now;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  if (value < 1 || value > 5)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "A rating is 1 to 5, not %d",
                   value);
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
  play = g_strdup (self->current_play);
  index = sk_recommender_lookup (self->recommender, song);
  if (index < 0)
    {
      set_not_rateable_error (self, song, error);
      return FALSE;
    }
  embedding = sk_recommender_get_embedding (self->recommender, index);

  if (!sk_store_begin (self->store, error))
    return FALSE;

  vote_id = sk_uuid_new ();
  ts = sk_time_format (now);
  if (!sk_store_run_sql (self->store, &local,
                         "INSERT INTO votes (id, user_id, song_id, vote_value, vote_time, play_id) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         "sssiss", vote_id, user_id, song, value, ts, play))
    {
      if (g_error_matches (local, SK_STORE_ERROR, SK_STORE_ERROR_CONSTRAINT))
        {
          g_clear_error (&local);
          g_set_error_literal (&local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_ALREADY_VOTED,
                               "You already rated this track");
        }
      goto fail;
    }

  if (!learn_from_vote (self, user_id, embedding, value, ts, &local) ||
      !sk_engine_outbox_row (self, "vote",
                             "SELECT json_object('id', id, 'user_id', user_id, 'song_id', song_id, "
                             "'vote_value', vote_value, 'vote_time', vote_time, 'play_id', play_id) "
                             "FROM votes WHERE id = ?1",
                             vote_id, now, &local) ||
      !sk_engine_outbox_row (self, "profile", PROFILE_JSON, user_id, now, &local) ||
      !sk_engine_requeue (self, &local) || !sk_store_commit (self->store, &local))
    goto fail;

  sk_engine_emit (self, SIGNAL_VOTE_RECORDED, user_id, song, value);
  veto_check_after_commit (self, song, play);
  return TRUE;

fail:
  g_propagate_error (error, local);
  /* the queue in memory may have seen the taste the rollback undid */
  return sk_engine_roll_back (self, SK_ENGINE_UNDO_REQUEUE);
}

/* The crowd veto (docs/DESIGN.md, "Crowd veto"): with the setting
 * crowd_veto on, a play is vetoed once at least two of the listeners
 * present have rated it and more than half of those present rated it 2 or
 * lower. Only votes of listeners still present count; a play is vetoed
 * once. Called after the vote's commit, so that it reads what was
 * committed; "vetoed" is emitted through sk_engine_emit, after the
 * outermost commit like every other signal. */
void
sk_engine_check_veto (SkEngine *self, const char *song_id, const char *play_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) present = NULL;
  g_autoptr (GHashTable) here = NULL;
  g_autofree char *title = NULL;
  g_autofree char *message = NULL;
  guint n_rated = 0, n_low = 0;
  sqlite3_stmt *stmt;
  int rc;

  if (!self->crowd_veto || play_id == NULL || g_strcmp0 (self->vetoed_play, play_id) == 0)
    return;
  present = sk_sessions_present (self->sessions, sk_engine_now (self), &error);
  if (present == NULL)
    {
      g_warning ("The crowd veto could not count who is here: %s", error->message);
      return;
    }
  if (present->len < 2)
    return;
  here = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < present->len; i++)
    g_hash_table_add (here, g_array_index (present, SkPresent, i).user_id);

  stmt = sk_store_prepare (self->store, "SELECT user_id, vote_value FROM votes WHERE play_id = ?1",
                           &error);
  if (stmt == NULL)
    {
      g_warning ("The crowd veto could not read the votes: %s", error->message);
      return;
    }
  sqlite3_bind_text (stmt, 1, play_id, -1, SQLITE_STATIC);
  while ((rc = sk_store_step (self->store, stmt, &error)) == SQLITE_ROW)
    if (g_hash_table_contains (here, sk_store_column_text (stmt, 0)))
      {
        n_rated++;
        if (sqlite3_column_int (stmt, 1) <= 2)
          n_low++;
      }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      g_warning ("The crowd veto could not read the votes: %s", error->message);
      return;
    }
  if (n_rated < 2 || 2 * n_low <= present->len)
    return;

  g_free (self->vetoed_play);
  self->vetoed_play = g_strdup (play_id);
  title = sk_engine_dup_song_title (self, song_id);
  message = sk_why_veto (title, n_low, present->len);
  g_message ("Crowd veto of %s (play %s): %s", song_id, play_id, message);
  sk_engine_emit (self, SIGNAL_VETOED, song_id, play_id, message);
}
