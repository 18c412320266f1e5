/* sk-sessions.c: check-in, extension, check-out and expiry.
 *
 * States of a session row: active (status 'active', expires_at > now) →
 * inactive by check-out (status set, expires_at set to the time of leaving),
 * by expiry (sk_sessions_expire, status set, expires_at kept) or by moving to
 * another player (as check-out). An active row whose expires_at has passed
 * but which sk_sessions_expire has not seen yet counts as absent everywhere:
 * every query compares expires_at with now. */
#include "config.h"

#include <string.h>

#include "sk-sessions.h"
#include "sk-util.h"

struct _SkSessions
{
  SkStore *store;
  char *player_id;
  gint64 length;
};

void
sk_check_in_clear (SkCheckIn *c)
{
  g_clear_pointer (&c->session_id, g_free);
}

SkSessions *
sk_sessions_new (SkStore *store, const char *player_id)
{
  SkSessions *self = g_new0 (SkSessions, 1);

  self->store = sk_store_ref (store);
  self->player_id = g_strdup (player_id);
  self->length = SK_SESSION_LENGTH_DEFAULT;
  return self;
}

void
sk_sessions_free (SkSessions *self)
{
  if (self == NULL)
    return;
  sk_store_unref (self->store);
  g_free (self->player_id);
  g_free (self);
}

void
sk_sessions_set_length (SkSessions *self, gint64 seconds)
{
  g_return_if_fail (seconds > 0);
  self->length = seconds;
}

gint64
sk_sessions_get_length (SkSessions *self)
{
  return self->length;
}

static gboolean
outbox_session (SkSessions *self, const char *session_id, gint64 now, GError **error)
{
  g_autofree char *payload = sk_store_dup_text (
      self->store,
      sk_store_query (self->store, error,
                      "SELECT json_object('id', id, 'user_id', user_id, 'player_id', player_id, "
                      "'checked_in_at', checked_in_at, 'expires_at', expires_at, "
                      "'status', status, 'created_at', created_at) "
                      "FROM sessions WHERE id = ?1",
                      "s", session_id),
      error);

  if (payload == NULL)
    return FALSE;
  return sk_store_outbox_add (self->store, "session", session_id, payload, now, error);
}

/* The active session of @user_id anywhere: its id and (unless
 * @player_id is NULL) its player, or FALSE. */
static gboolean
find_active (SkSessions *self,
             const char *user_id,
             const char *now_ts,
             char **session_id,
             char **player_id,
             GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_query (self->store, error,
                         "SELECT id, player_id FROM sessions "
                         "WHERE user_id = ?1 AND status = 'active' AND expires_at > ?2",
                         "ss", user_id, now_ts);
  if (stmt == NULL)
    return FALSE;
  rc = sk_store_step (self->store, stmt, error);
  if (rc == SQLITE_ROW)
    {
      *session_id = g_strdup (sk_store_column_text (stmt, 0));
      if (player_id != NULL)
        *player_id = g_strdup (sk_store_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW;
}

/* Ends @session_id at @now (@now_ts as text) and tells the outbox. */
static gboolean
end_session (
    SkSessions *self, const char *session_id, gint64 now, const char *now_ts, GError **error)
{
  return sk_store_run_sql (self->store, error,
                           "UPDATE sessions SET status = 'inactive', expires_at = min(expires_at, ?2) "
                           "WHERE id = ?1",
                           "ss", session_id, now_ts) &&
         outbox_session (self, session_id, now, error);
}

gboolean
sk_sessions_check_in (
    SkSessions *self, const char *user_id, gint64 now, SkCheckIn *out, GError **error)
{
  g_autofree char *now_ts = sk_time_format (now);
  g_autofree char *exp_ts = NULL;
  g_autofree char *session_id = NULL;
  g_autofree char *where = NULL;
  GError *local = NULL;
  gint64 expires = now + self->length * G_USEC_PER_SEC;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  exp_ts = sk_time_format (expires);

  if (!sk_store_begin (self->store, error))
    return FALSE;

  /* Rows still marked active whose time has passed would block the unique
   * index for a new check-in: close them first. */
  if (!sk_store_run_sql (self->store, &local,
                         "UPDATE sessions SET status = 'inactive' "
                         "WHERE user_id = ?1 AND status = 'active' AND expires_at <= ?2",
                         "ss", user_id, now_ts))
    goto fail;

  if (find_active (self, user_id, now_ts, &session_id, &where, &local))
    {
      if (g_strcmp0 (where, self->player_id) == 0)
        {
          if (!sk_store_run_sql (self->store, &local,
                                 "UPDATE sessions SET expires_at = ?2 WHERE id = ?1", "ss",
                                 session_id, exp_ts))
            goto fail;
          out->extended = TRUE;
        }
      else
        {
          if (!end_session (self, session_id, now, now_ts, &local))
            goto fail;
          g_clear_pointer (&session_id, g_free);
          out->moved = TRUE;
        }
    }
  else if (local != NULL)
    goto fail;

  if (session_id == NULL)
    {
      session_id = sk_uuid_new ();
      if (!sk_store_run_sql (
              self->store, &local,
              "INSERT INTO sessions (id, user_id, player_id, checked_in_at, expires_at, status, created_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?4)",
              "sssss", session_id, user_id, self->player_id, now_ts, exp_ts))
        goto fail;
    }

  if (!outbox_session (self, session_id, now, &local) || !sk_store_commit (self->store, &local))
    goto fail;

  out->session_id = g_steal_pointer (&session_id);
  out->expires_at = expires;
  return TRUE;

fail:
  sk_store_rollback (self->store);
  out->extended = out->moved = FALSE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
sk_sessions_check_out (
    SkSessions *self, const char *user_id, gint64 now, gboolean *was_active, GError **error)
{
  g_autofree char *now_ts = sk_time_format (now);
  g_autofree char *session_id = NULL;
  GError *local = NULL;

  *was_active = FALSE;
  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (find_active (self, user_id, now_ts, &session_id, NULL, &local))
    {
      if (!end_session (self, session_id, now, now_ts, &local))
        goto fail;
      *was_active = TRUE;
    }
  else if (local != NULL)
    goto fail;
  if (!sk_store_commit (self->store, &local))
    goto fail;
  return TRUE;

fail:
  sk_store_rollback (self->store);
  *was_active = FALSE;
  g_propagate_error (error, local);
  return FALSE;
}

gboolean
sk_sessions_expire (SkSessions *self, gint64 now, guint *n_here, GError **error)
{
  g_autofree char *now_ts = sk_time_format (now);
  sqlite3_stmt *stmt;
  guint here = 0;
  int rc;

  if (!sk_store_begin (self->store, error))
    return FALSE;
  stmt = sk_store_query (self->store, error,
                         "UPDATE sessions SET status = 'inactive' "
                         "WHERE status = 'active' AND expires_at <= ?1 "
                         "RETURNING id, player_id = ?2",
                         "ss", now_ts, self->player_id);
  if (stmt == NULL)
    goto fail;
  {
    GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
    gboolean ok = TRUE;

    while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
      {
        g_ptr_array_add (ids, g_strdup (sk_store_column_text (stmt, 0)));
        here += sqlite3_column_int (stmt, 1) != 0;
      }
    sqlite3_reset (stmt);
    ok = rc == SQLITE_DONE;
    for (guint i = 0; ok && i < ids->len; i++)
      ok = outbox_session (self, ids->pdata[i], now, error);
    g_ptr_array_unref (ids);
    if (!ok)
      goto fail;
  }
  if (!sk_store_commit (self->store, error))
    return FALSE;
  if (n_here)
    *n_here = here;
  return TRUE;

fail:
  sk_store_rollback (self->store);
  return FALSE;
}

static void
present_clear (gpointer p)
{
  g_free (((SkPresent *) p)->user_id);
}

GArray *
sk_sessions_present (SkSessions *self, gint64 now, GError **error)
{
  g_autofree char *now_ts = sk_time_format (now);
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (SkPresent));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_clear_func (out, present_clear);
  stmt = sk_store_query (self->store, error,
                         "SELECT s.user_id, p.preference_vector, p.taste_state FROM sessions s "
                         "JOIN profiles p ON p.id = s.user_id "
                         "WHERE s.player_id = ?1 AND s.status = 'active' AND s.expires_at > ?2 "
                         "ORDER BY s.user_id",
                         "ss", self->player_id, now_ts);
  if (stmt == NULL)
    return NULL;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      SkPresent p = { 0 };
      g_autoptr (GError) bad = NULL;

      p.user_id = g_strdup (sk_store_column_text (stmt, 0));
      if (!sk_vec_parse (sk_store_column_text (stmt, 1), p.preference, &bad))
        {
          /* A damaged taste must not take the room down: count the
           * listener as present with no opinion, and say so. */
          g_warning ("Listener %s has an unreadable taste (%s); using no opinion", p.user_id,
                     bad->message);
          for (guint d = 0; d < SK_DIM; d++)
            p.preference[d] = 0.5;
          g_clear_error (&bad);
        }
      if (!sk_taste_state_parse (sk_store_column_text (stmt, 2), p.preference, p.state, &bad))
        g_warning ("Listener %s has an unreadable learner state (%s); using their preference",
                   p.user_id, bad->message);
      g_array_append_val (out, p);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&out);
}

gboolean
sk_sessions_is_present (SkSessions *self, const char *user_id, gint64 now, GError **error)
{
  g_autofree char *now_ts = sk_time_format (now);

  sqlite3_stmt *stmt = sk_store_query (self->store, error,
                                       "SELECT 1 FROM sessions WHERE user_id = ?1 AND player_id = ?2 "
                                       "AND status = 'active' AND expires_at > ?3",
                                       "sss", user_id, self->player_id, now_ts);

  return sk_store_has_row (self->store, stmt, error);
}

gint64
sk_sessions_next_expiry (SkSessions *self, gint64 now)
{
  g_autofree char *now_ts = sk_time_format (now);
  sqlite3_stmt *stmt;
  gint64 next = G_MAXINT64;

  stmt = sk_store_query (self->store, NULL,
                         "SELECT min(expires_at) FROM sessions "
                         "WHERE player_id = ?1 AND status = 'active' AND expires_at > ?2",
                         "ss", self->player_id, now_ts);
  if (stmt == NULL)
    return next;
  if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW &&
      sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    {
      gint64 t;

      if (sk_time_parse (sk_store_column_text (stmt, 0), &t, NULL))
        next = t;
    }
  sqlite3_reset (stmt);
  return next;
}
