/* sk-engine-plays.c: track starts (and why each plays), idle, unplayable
 * songs and the fallback ranking. */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"
#include "sk-why.h"

static void
replace_str (char **slot, const char *value)
{
  char *copy = g_strdup (value);

  g_free (*slot);
  *slot = copy;
}

static void
set_status (SkEngine *self, const char *status, const char *message)
{
  if (g_strcmp0 (self->status, status) == 0 && g_strcmp0 (self->status_message, message) == 0)
    return;
  replace_str (&self->status, status);
  replace_str (&self->status_message, message);
  sk_engine_emit (self, SIGNAL_STATUS_CHANGED, status, message);
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

/* The row and the queue that takes the song back: one transaction;
 * "status-changed" only once it has committed (a failed write changes
 * nothing, in memory either, and tells no one). */
gboolean
sk_engine_set_idle (SkEngine *self, const char *message, GError **error)
{
  g_autofree char *song = NULL;
  g_autofree char *play = NULL;
  g_autofree char *why = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  song = g_steal_pointer (&self->current_song);
  play = g_steal_pointer (&self->current_play);
  why = g_steal_pointer (&self->current_why);
  if (!sk_store_begin (self->store, error))
    goto fail;
  if (!sk_store_run_sql (self->store, error,
                         "UPDATE players SET status = 'idle', current_song_id = NULL "
                         "WHERE id = ?1",
                         "s", self->player_id) ||
      (song != NULL && !sk_engine_requeue (self, error)) || /* a candidate again */
      !sk_store_commit (self->store, error))
    goto fail;
  set_status (self, "idle", message);
  return TRUE;

fail:
  self->current_song = g_steal_pointer (&song);
  self->current_play = g_steal_pointer (&play);
  self->current_why = g_steal_pointer (&why);
  return sk_engine_roll_back (self, self->current_song != NULL ? SK_ENGINE_UNDO_REQUEUE
                                                               : SK_ENGINE_UNDO_NOTHING);
}

gboolean
sk_engine_start_next (SkEngine *self, char **song_id, GError **error)
{
  const char *next = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (self->queue->len > 0)
    next = g_array_index (self->queue, SkQueueEntry, 0).song_id;
  else if (self->current_song != NULL &&
           sk_recommender_lookup (self->recommender, self->current_song) >= 0)
    next = self->current_song; /* a library of one plays on */

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

/* The sentence of @song's entry in the queue, or the fallback's. */
static char *
dup_why (SkEngine *self, const char *song)
{
  for (guint i = 0; i < self->queue->len; i++)
    {
      const SkQueueEntry *e = &g_array_index (self->queue, SkQueueEntry, i);

      if (strcmp (e->song_id, song) == 0 && e->why != NULL && *e->why != '\0')
        return g_strdup (e->why);
    }
  return sk_why_fallback ();
}

gboolean
sk_engine_start_song (SkEngine *self, const char *song, char **play_id_out, GError **error)
{
  g_autofree char *play_id = NULL;
  g_autofree char *ts = NULL;
  g_autofree char *next = NULL;
  g_autofree char *why = NULL;
  gint64 now;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (song != NULL, FALSE);

  next = g_strdup (song); /* @song may be the queue's, which requeue frees */
  /* its sentence from the queue it was taken from, before the requeue */
  why = dup_why (self, next);
  index = sk_recommender_lookup (self->recommender, next);
  if (index < 0)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "No song %s in the library",
                   next);
      return FALSE;
    }

  now = sk_engine_now (self);
  play_id = sk_uuid_new ();
  ts = sk_time_format (now);
  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (!sk_store_run_sql (
          self->store, error,
          "INSERT INTO songs_playing (id, player_id, song_id, played_at) VALUES (?1, ?2, ?3, ?4)",
          "ssss", play_id, self->player_id, next, ts))
    goto fail;
  if (!sk_store_run_sql (self->store, error,
                         "UPDATE players SET status = 'playing', current_song_id = ?2 WHERE id = ?1",
                         "ss", self->player_id, next) ||
      !sk_engine_outbox_row (self, "play",
                             "SELECT json_object('id', id, 'player_id', player_id, 'song_id', song_id, "
                             "'played_at', played_at) FROM songs_playing WHERE id = ?1",
                             play_id, now, error))
    goto fail;

  g_free (self->current_song);
  self->current_song = g_strdup (next);
  g_free (self->current_play);
  self->current_play = g_strdup (play_id);
  g_free (self->current_why);
  self->current_why = g_steal_pointer (&why);
  sk_recommender_set_last_played (self->recommender, index, now);

  if (!sk_engine_requeue (self, error) || !sk_store_commit (self->store, error))
    goto fail;

  set_status (self, "playing", NULL);
  sk_engine_emit (self, SIGNAL_TRACK_STARTED, next, play_id);
  if (play_id_out != NULL)
    *play_id_out = g_steal_pointer (&play_id);
  return TRUE;

fail:
  return sk_engine_roll_back (self, SK_ENGINE_UNDO_RELOAD);
}

gboolean
sk_engine_mark_unplayable (SkEngine *self, const char *song_id, const char *reason, GError **error)
{
  g_autofree char *ts = NULL;
  int index;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (song_id != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  ts = sk_time_format (sk_engine_now (self));
  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (!sk_store_run_sql (self->store, error,
                         "UPDATE songs SET playable = 0, unplayable_reason = ?2, "
                         "  updated_at = ?3 WHERE id = ?1",
                         "sss", song_id, reason, ts))
    goto fail;
  if (sk_store_changes (self->store) == 0)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "No song %s", song_id);
      goto fail;
    }
  index = sk_recommender_lookup (self->recommender, song_id);
  if (index >= 0)
    sk_recommender_set_playable (self->recommender, index, FALSE);
  self->songs_touched = TRUE;
  if (!sk_engine_requeue (self, error) || !sk_store_commit (self->store, error))
    goto fail;
  return TRUE;

fail:
  return sk_engine_roll_back (self, SK_ENGINE_UNDO_RELOAD);
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
  params.explore = self->has_explore ? self->explore : NULL;
  params.current = -1;
  n = sk_recommender_rank (self->recommender, &params, items);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup (sk_recommender_get_id (self->recommender, items[i].index)));
  return ids;
}

char *
sk_engine_dup_song_title (SkEngine *self, const char *song_id)
{
  char *title;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  if (song_id == NULL)
    return g_strdup ("—");
  title = sk_store_dup_text (self->store,
                             sk_store_query (self->store, NULL,
                                             "SELECT title FROM songs WHERE id = ?1", "s", song_id),
                             NULL);
  return title != NULL ? title : g_strdup (song_id);
}
