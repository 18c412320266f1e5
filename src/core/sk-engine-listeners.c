/* sk-engine-listeners.c: badges, listeners, joining, enrolling and checking out. */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"

gboolean
sk_engine_is_manager (SkEngine *self, const char *user_id)
{
  sqlite3_stmt *
      stmt = sk_store_query (self->store, NULL,
                             "SELECT 1 FROM roles WHERE user_id = ?1 AND role IN ('admin', 'manager') "
                             "UNION ALL SELECT 1 FROM players WHERE id = ?2 AND manager_id = ?1",
                             "ss", user_id, self->player_id);

  return sk_store_has_row (self->store, stmt, NULL);
}

/* Looks up a normalised UID. Returns SQLITE_ROW (found), SQLITE_DONE (no
 * such badge) or -1 with @error set. */
int
sk_engine_lookup_badge (SkEngine *self,
                        const char *uid,
                        char **user_id,
                        char **display_name,
                        char **revoked_at,
                        GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_query (self->store, error,
                         "SELECT b.user_id, coalesce(p.display_name, p.name, 'Listener'), b.revoked_at "
                         "FROM badges b JOIN profiles p ON p.id = b.user_id WHERE b.uid = ?1",
                         "s", uid);
  if (stmt == NULL)
    return -1;
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

gboolean
sk_engine_roll_back (SkEngine *self, SkEngineUndo undo)
{
  sk_store_rollback (self->store);
  /* memory follows the database */
  if (undo == SK_ENGINE_UNDO_RELOAD)
    sk_engine_reload (self, NULL);
  else if (undo == SK_ENGINE_UNDO_REQUEUE)
    sk_engine_requeue (self, NULL);
  return FALSE;
}

gboolean
sk_engine_requeue_and_commit (SkEngine *self,
                              gboolean ok,
                              gboolean requeue_on_failure,
                              GError **error)
{
  if (ok && sk_engine_requeue (self, error) && sk_store_commit (self->store, error))
    return TRUE;
  return sk_engine_roll_back (self,
                              requeue_on_failure ? SK_ENGINE_UNDO_REQUEUE : SK_ENGINE_UNDO_NOTHING);
}

gboolean
sk_engine_check_in_user (SkEngine *self,
                         const char *user_id,
                         const char *display_name,
                         SkCheckIn *ci,
                         gboolean *manager,
                         GError **error)
{
  guint flags = SK_CHECK_IN_NEW;

  if (!sk_sessions_check_in (self->sessions, user_id, sk_engine_now (self), ci, error))
    return FALSE;
  *manager = sk_engine_is_manager (self, user_id);
  if (ci->extended)
    flags |= SK_CHECK_IN_EXTENDED;
  if (ci->moved)
    flags |= SK_CHECK_IN_MOVED;
  if (*manager)
    flags |= SK_CHECK_IN_MANAGER;
  sk_engine_emit (self, SIGNAL_CHECKED_IN, user_id, display_name, flags);
  return TRUE;
}

/* A new listener as asked for: new_listener checks it, and create_profile
 * writes it once its UID is normalised and its name clean. */
typedef struct
{
  const char *uid;
  const char *display_name; /* NULL: a guest's name from the UID */
  gboolean guest;
  const char *role;         /* NULL, "manager" or "admin" */
  const double *preference; /* NULL: the neutral taste */
} ListenerSpec;

/* One new profile (and its badge, and optionally a role) in the current
 * transaction. */
static char *
create_profile (SkEngine *self, const ListenerSpec *spec, gint64 now, GError **error)
{
  const char *uid = spec->uid, *role = spec->role;
  const double *preference = spec->preference;
  g_autofree char *id = sk_uuid_new ();
  g_autofree char *ts = sk_time_format (now);
  g_autofree char *pref = NULL;
  g_autofree char *state_text = NULL;
  double neutral[SK_DIM], state[SK_TASTE_STATE_LEN];

  sk_taste_neutral (neutral);
  pref = sk_vec_format (preference ? preference : neutral);
  /* the learner starts from the taste given (a new listener's prior for none) */
  sk_taste_state_from_preference (preference ? preference : neutral, state);
  state_text = sk_taste_state_format (state);

  if (!sk_store_run_sql (self->store, error,
                         "INSERT INTO profiles (id, name, display_name, preference_vector, taste_state, "
                         "is_guest, created_at, updated_at) "
                         "VALUES (?1, ?2, ?2, ?3, ?6, ?4, ?5, ?5)",
                         "sssiss", id, spec->display_name, pref, spec->guest ? 1 : 0, ts,
                         state_text))
    return NULL;

  if (!sk_store_run_sql (self->store, error,
                         "INSERT INTO badges (uid, user_id, created_at) VALUES (?1, ?2, ?3)", "sss",
                         uid, id, ts))
    return NULL;

  if (role != NULL)
    {
      g_autofree char *role_id = sk_uuid_new ();

      if (!sk_store_run_sql (self->store, error,
                             "INSERT INTO roles (id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                             "ssss", role_id, id, role, ts))
        return NULL;
    }

  if (!sk_engine_outbox_row (self, "profile", PROFILE_JSON, id, now, error) ||
      !sk_engine_outbox_row (self, "badge", BADGE_JSON, uid, now, error))
    return NULL;
  return g_steal_pointer (&id);
}

static char *
new_listener (SkEngine *self, const ListenerSpec *spec, gboolean and_check_in, GError **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *name = NULL;
  g_autofree char *existing = NULL;
  g_autofree char *existing_name = NULL;
  g_autofree char *revoked = NULL;
  g_autofree char *id = NULL;
  g_auto (SkCheckIn) ci = { 0 };
  ListenerSpec clean = *spec;
  gboolean manager = FALSE;
  int rc;

  norm = sk_badge_normalise_uid (spec->uid, error);
  if (norm == NULL)
    return NULL;
  if (spec->display_name != NULL)
    {
      name = sk_badge_clean_name (spec->display_name, error);
      if (name == NULL)
        return NULL;
    }
  else
    name = sk_badge_guest_name (norm);
  if (spec->role != NULL && strcmp (spec->role, "manager") != 0 &&
      strcmp (spec->role, "admin") != 0)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "Unknown role “%.20s” (expected manager or admin)", spec->role);
      return NULL;
    }

  rc = sk_engine_lookup_badge (self, norm, &existing, &existing_name, &revoked, error);
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
  clean.uid = norm;
  clean.display_name = name;
  id = create_profile (self, &clean, sk_engine_now (self), error);
  if (!sk_engine_requeue_and_commit (self,
                                     id != NULL && (!and_check_in ||
                                                    sk_engine_check_in_user (self, id, name, &ci,
                                                                             &manager, error)),
                                     TRUE, error))
    return NULL;
  return g_steal_pointer (&id);
}

char *
sk_engine_join (SkEngine *self, const char *uid, const char *display_name, GError **error)
{
  ListenerSpec spec = { .uid = uid, .display_name = display_name, .guest = TRUE };

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  return new_listener (self, &spec, TRUE, error);
}

char *
sk_engine_enroll (SkEngine *self,
                  const char *uid,
                  const char *display_name,
                  const char *role,
                  const double *preference,
                  GError **error)
{
  ListenerSpec spec = {
    .uid = uid, .display_name = display_name, .role = role, .preference = preference
  };

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);
  g_return_val_if_fail (display_name != NULL, NULL);
  return new_listener (self, &spec, FALSE, error);
}

gboolean
sk_engine_find_badge (SkEngine *self,
                      const char *uid,
                      SkEngineError missing,
                      char **norm,
                      char **user_id,
                      char **revoked_at,
                      GError **error)
{
  g_autofree char *name = NULL;
  int rc;

  *norm = sk_badge_normalise_uid (uid, error);
  if (*norm == NULL)
    return FALSE;
  rc = sk_engine_lookup_badge (self, *norm, user_id, &name, revoked_at, error);
  if (rc == SQLITE_DONE)
    g_set_error (error, SK_ENGINE_ERROR, missing, "Nobody has the badge %s", *norm);
  return rc == SQLITE_ROW;
}

char *
sk_engine_dup_user_for_uid (SkEngine *self, const char *uid, GError **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *revoked = NULL;

  g_return_val_if_fail (SK_IS_ENGINE (self), NULL);

  if (!sk_engine_find_badge (self, uid, SK_ENGINE_ERROR_UNKNOWN_BADGE, &norm, &user_id, &revoked,
                             error))
    return NULL;
  if (revoked != NULL)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED,
                   "The badge %s was revoked on %.10s", norm, revoked);
      return NULL;
    }
  return g_steal_pointer (&user_id);
}

gboolean
sk_engine_check_out (SkEngine *self, const char *user_id, GError **error)
{
  gboolean was_active = FALSE;
  gboolean ok;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  /* the check-out and the queue it changes: one transaction */
  if (!sk_store_begin (self->store, error))
    return FALSE;
  ok = sk_sessions_check_out (self->sessions, user_id, sk_engine_now (self), &was_active, error);
  if (ok && !was_active)
    {
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_CHECKED_IN,
                   "This listener is not checked in");
      ok = FALSE;
    }
  if (ok)
    sk_engine_emit (self, SIGNAL_CHECKED_OUT, user_id, "checkout");
  return sk_engine_requeue_and_commit (self, ok, was_active, error);
}
