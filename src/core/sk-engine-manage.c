/* sk-engine-manage.c: what a manager changes: a listener's name and role,
 * a badge revoked or restored, and this player's library.
 *
 * Each change is checked before anything is written and is one
 * transaction with the requeue it causes; what the cloud keeps (profiles,
 * badges) goes to the outbox in it. This player's library is the rows of
 * player_library; with none, every song is in it, unless a manager chose
 * the songs (the kiosk's own key library_curated): then no rows is no
 * song, and songs imported later join only when included.
 */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"

#define KEY_CURATED "library_curated"

static gboolean
listener_exists (SkEngine *self, const char *user_id, GError **error)
{
  sqlite3_stmt *stmt = sk_store_query (self->store, error, "SELECT 1 FROM profiles WHERE id = ?1",
                                       "s", user_id);
  int rc = sk_store_step_once (self->store, stmt, error);

  if (rc == SQLITE_DONE)
    g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND,
                 "No listener has the id “%.40s”", user_id);
  return rc == SQLITE_ROW;
}

/* --- the player ---------------------------------------------------------- */

char *
sk_engine_set_player_name (SkEngine *self, const char *name, GError **error)
{
  g_autofree char *clean = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  clean = sk_badge_clean_name (name, error);
  if (clean == NULL)
    return NULL;
  if (!sk_store_run_sql (self->store, error, "UPDATE players SET name = ?2 WHERE id = ?1", "ss",
                         self->player_id, clean))
    return NULL;
  return g_steal_pointer (&clean);
}

/* --- listeners and badges ----------------------------------------------- */

gboolean
sk_engine_rename_listener (SkEngine *self,
                           const char *user_id,
                           const char *display_name,
                           GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *ts = NULL;
  gint64 now;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  name = sk_badge_clean_name (display_name, error);
  if (name == NULL || !listener_exists (self, user_id, error))
    return FALSE;
  now = sk_engine_now (self);
  ts = sk_time_format (now);
  if (!sk_store_begin (self->store, error))
    return FALSE;
  return sk_store_end (
      self->store,
      sk_store_run_sql (self->store, error,
                        "UPDATE profiles SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
                        "sss", user_id, name, ts) &&
          sk_engine_outbox_row (self, "profile", PROFILE_JSON, user_id, now, error),
      error);
}

gboolean
sk_engine_set_badge_revoked (SkEngine *self, const char *uid, gboolean revoked, GError **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *was_revoked = NULL;
  g_autofree char *ts = NULL;
  gboolean was_active = FALSE;
  gboolean ok;
  gint64 now;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (!sk_engine_find_badge (self, uid, SK_ENGINE_ERROR_NOT_FOUND, &norm, &user_id, &was_revoked,
                             error))
    return FALSE;
  if ((was_revoked != NULL) == revoked)
    return TRUE; /* already so: nothing to write */
  now = sk_engine_now (self);
  ts = sk_time_format (now);
  if (!sk_store_begin (self->store, error))
    return FALSE;
  /* a revoked badge's listener leaves now (taps of it are refused) */
  ok = sk_store_run_sql (self->store, error, "UPDATE badges SET revoked_at = ?2 WHERE uid = ?1",
                         "ss", norm, revoked ? ts : NULL) &&
       sk_engine_outbox_row (self, "badge", BADGE_JSON, norm, now, error) &&
       (!revoked || sk_sessions_check_out (self->sessions, user_id, now, &was_active, error));
  if (ok && was_active)
    sk_engine_emit (self, SIGNAL_CHECKED_OUT, user_id, "revoked");
  return sk_engine_requeue_and_commit (self, ok, was_active, error);
}

gboolean
sk_engine_set_role (SkEngine *self, const char *user_id, const char *role, GError **error)
{
  g_autofree char *ts = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (g_strcmp0 (role, "listener") != 0 && g_strcmp0 (role, "manager") != 0 &&
      g_strcmp0 (role, "admin") != 0)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "A role is listener, manager or admin, not “%.20s”", role ? role : "");
      return FALSE;
    }
  if (!listener_exists (self, user_id, error))
    return FALSE;
  ts = sk_time_format (sk_engine_now (self));
  id = sk_uuid_new ();
  if (!sk_store_begin (self->store, error))
    return FALSE;
  return sk_store_end (
      self->store,
      sk_store_run_sql (self->store, error, "DELETE FROM roles WHERE user_id = ?1", "s", user_id) &&
          (strcmp (role, "listener") == 0 ||
           sk_store_run_sql (self->store, error,
                             "INSERT INTO roles (id, user_id, role, created_at) VALUES (?3, ?1, ?2, ?4)",
                             "ssss", user_id, role, id, ts)),
      error);
}

/* --- this player's library ---------------------------------------------- */

gboolean
sk_engine_library_is_curated (SkEngine *self)
{
  g_autofree char *curated = sk_store_dup_setting (self->store, KEY_CURATED);

  return g_strcmp0 (curated, "1") == 0;
}

static gboolean
include_song (SkEngine *self, const char *song_id, const char *ts, GError **error)
{
  g_autofree char *id = sk_uuid_new ();

  return sk_store_run_sql (self->store, error,
                           "INSERT OR IGNORE INTO player_library (id, player_id, song_id, added_at) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           "ssss", id, self->player_id, song_id, ts);
}

/* Includes every song selected by @sql (?1 bound to @arg). */
static gboolean
include_songs (SkEngine *self, const char *sql, const char *arg, const char *ts, GError **error)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  if (!sk_store_collect_texts (self->store, sk_store_query (self->store, error, sql, "s", arg), ids,
                               error))
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    if (!include_song (self, ids->pdata[i], ts, error))
      return FALSE;
  return TRUE;
}

/* Every song a row, when the library was all songs by having none: the
 * starting point of a choice. */
static gboolean
materialise (SkEngine *self, const char *ts, GError **error)
{
  if (sk_engine_library_is_curated (self))
    return TRUE;
  return include_songs (self,
                        "SELECT id FROM songs WHERE NOT EXISTS "
                        "(SELECT 1 FROM player_library WHERE player_id = ?1)",
                        self->player_id, ts, error) &&
         sk_store_set_setting (self->store, KEY_CURATED, "1", error);
}

/* The end of a change to the library: committed when @ok (else rolled
 * back), then the candidates and the queue follow. */
static gboolean
finish_library (SkEngine *self, gboolean ok, GError **error)
{
  if (ok)
    self->songs_touched = TRUE;
  if (!sk_store_end (self->store, ok, error))
    return FALSE;
  /* the candidates follow, and the queue */
  return sk_engine_reload (self, error) && sk_engine_requeue (self, error);
}

gboolean
sk_engine_set_in_library (SkEngine *self,
                          const char *const *song_ids,
                          gboolean included,
                          GError **error)
{
  g_autofree char *ts = NULL;
  gboolean ok;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (song_ids != NULL, FALSE);

  for (guint i = 0; song_ids[i] != NULL; i++)
    {
      sqlite3_stmt *stmt = sk_store_query (self->store, error, "SELECT 1 FROM songs WHERE id = ?1",
                                           "s", song_ids[i]);
      int rc = sk_store_step_once (self->store, stmt, error);

      if (rc == SQLITE_DONE)
        g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND,
                     "No song has the id “%.40s”; nothing was changed", song_ids[i]);
      if (rc != SQLITE_ROW)
        return FALSE;
    }
  ts = sk_time_format (sk_engine_now (self));
  if (!sk_store_begin (self->store, error))
    return FALSE;
  ok = materialise (self, ts, error);
  for (guint i = 0; ok && song_ids[i] != NULL; i++)
    ok = included
             ? include_song (self, song_ids[i], ts, error)
             : sk_store_run_sql (self->store, error,
                                 "DELETE FROM player_library WHERE player_id = ?1 AND song_id = ?2",
                                 "ss", self->player_id, song_ids[i]);
  return finish_library (self, ok, error);
}

gboolean
sk_engine_set_all_in_library (SkEngine *self, gboolean included, GError **error)
{
  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (!sk_store_begin (self->store, error))
    return FALSE;
  /* all: no rows and no choice, so that later imports play too; none: no
   * rows, chosen */
  return finish_library (self,
                         sk_store_run_sql (self->store, error,
                                           "DELETE FROM player_library WHERE player_id = ?1", "s",
                                           self->player_id) &&
                             sk_store_set_setting (self->store, KEY_CURATED, included ? NULL : "1",
                                                   error),
                         error);
}

gboolean
sk_engine_include_imported (SkEngine *self, const char *url_prefix, GError **error)
{
  g_autofree char *ts = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (!sk_engine_library_is_curated (self))
    return TRUE; /* every song is in it already */
  ts = sk_time_format (sk_engine_now (self));
  if (!sk_store_begin (self->store, error))
    return FALSE;
  return finish_library (
      self,
      include_songs (self, "SELECT id FROM songs WHERE substr(file_url, 1, length(?1)) = ?1",
                     url_prefix, ts, error),
      error);
}
