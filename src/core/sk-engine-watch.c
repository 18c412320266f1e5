/* sk-engine-watch.c: what other programs change in the database.
 *
 * soundscape-ctl writes settings, imports songs and enrols listeners
 * through its own connection; the daemon's engine learns of it here.
 * PRAGMA data_version changes only when another connection commits, so a
 * poll that finds it unchanged costs one statement. When it has changed,
 * the engine compares what it saw last of three parts (the settings, the
 * library, the listeners) with what is there now and reloads the parts
 * that differ.
 *
 * What it saw last is taken again after each of the engine's own commits
 * (when no other program committed since the last poll), so that its own
 * taps and marks are never reported as another program's. */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"

static GStrv
read_settings (SkEngine *self)
{
  guint n;
  const SkSetting *all = sk_settings_list (&n);
  GStrv values = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      char *v = sk_store_dup_setting (self->store, all[i].key);

      values[i] = v != NULL ? v : g_strdup ("");
    }
  return values;
}

/* One row of numbers and times that changes whenever the part does. */
static char *
read_fingerprint (SkEngine *self, const char *sql)
{
  sqlite3_stmt *stmt = sk_store_prepare (self->store, sql, NULL);
  GString *s;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, self->player_id, -1, SQLITE_STATIC);
  if (sk_store_step (self->store, stmt, NULL) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return NULL;
    }
  s = g_string_new (NULL);
  for (int i = 0; i < sqlite3_column_count (stmt); i++)
    g_string_append_printf (s, "%s|",
                            sk_store_column_text (stmt, i) ? sk_store_column_text (stmt, i) : "");
  sqlite3_reset (stmt);
  return g_string_free (s, FALSE);
}

#define LIBRARY_SQL                                                    \
  "SELECT count(*), max(updated_at), total(playable), "                \
  "  (SELECT count(*) FROM player_library WHERE player_id = ?1), "     \
  "  (SELECT max(added_at) FROM player_library WHERE player_id = ?1) " \
  "FROM songs"
#define LISTENERS_SQL                                                                        \
  "SELECT (SELECT count(*) FROM profiles), (SELECT max(updated_at) FROM profiles), "         \
  "  (SELECT count(*) FROM badges), (SELECT count(revoked_at) FROM badges), "                \
  "  (SELECT count(*) FROM sessions WHERE status = 'active'), "                              \
  "  (SELECT max(checked_in_at) || max(expires_at) FROM sessions WHERE status = 'active'), " \
  "  (SELECT count(*) FROM roles)"

static void
take_snapshot (SkEngine *self)
{
  g_strfreev (self->seen_settings);
  self->seen_settings = read_settings (self);
  g_free (self->seen_library);
  self->seen_library = read_fingerprint (self, LIBRARY_SQL);
  g_free (self->seen_listeners);
  self->seen_listeners = read_fingerprint (self, LISTENERS_SQL);
}

/* The engine itself writes listeners (check-ins, joins, expiry) and, when
 * a song cannot play, songs; settings only in sk_engine_set_setting(),
 * which looks at them again itself. Songs written through its
 * own connection (an import in the same program) come with a reload. Only
 * what it may have changed is looked at again, so that a vote does not
 * scan the songs. */
void
sk_engine_note_own_commit (SkEngine *self)
{
  gint64 version = sk_store_get_data_version (self->store);

  if (self->seen_settings == NULL)
    {
      self->data_version = version; /* the first look */
      take_snapshot (self);
      return;
    }
  if (version != self->data_version)
    return; /* another program committed too: the next poll sorts it out */
  g_free (self->seen_listeners);
  self->seen_listeners = read_fingerprint (self, LISTENERS_SQL);
  if (self->songs_touched)
    {
      g_free (self->seen_library);
      self->seen_library = read_fingerprint (self, LIBRARY_SQL);
      self->songs_touched = FALSE;
    }
}

void
sk_engine_watch_clear (SkEngine *self)
{
  g_clear_pointer (&self->seen_settings, g_strfreev);
  g_clear_pointer (&self->seen_library, g_free);
  g_clear_pointer (&self->seen_listeners, g_free);
}

SkEngineChanges
sk_engine_pick_up_changes (SkEngine *self, char **summary, GError **error)
{
  g_auto (GStrv) settings = NULL;
  g_autofree char *library = NULL;
  g_autofree char *listeners = NULL;
  g_autoptr (GString) said = g_string_new (NULL);
  SkEngineChanges changes = SK_ENGINE_CHANGED_NOTHING;
  const SkSetting *all;
  gint64 version;
  guint n;

  g_return_val_if_fail (SK_IS_ENGINE (self), SK_ENGINE_CHANGED_NOTHING);
  g_return_val_if_fail (summary != NULL, SK_ENGINE_CHANGED_NOTHING);

  *summary = NULL;
  version = sk_store_get_data_version (self->store);
  if (version == self->data_version)
    return SK_ENGINE_CHANGED_NOTHING;
  self->data_version = version;

  settings = read_settings (self);
  library = read_fingerprint (self, LIBRARY_SQL);
  listeners = read_fingerprint (self, LISTENERS_SQL);

  all = sk_settings_list (&n);
  for (guint i = 0; i < n; i++)
    if (self->seen_settings == NULL || g_strcmp0 (settings[i], self->seen_settings[i]) != 0)
      {
        g_string_append_printf (said, "%s%s = %s", changes ? ", " : "settings: ", all[i].key,
                                *settings[i] ? settings[i] : "(default)");
        changes |= SK_ENGINE_CHANGED_SETTINGS;
      }
  if (g_strcmp0 (library, self->seen_library) != 0)
    changes |= SK_ENGINE_CHANGED_LIBRARY;
  if (g_strcmp0 (listeners, self->seen_listeners) != 0)
    changes |= SK_ENGINE_CHANGED_LISTENERS;

  g_strfreev (self->seen_settings);
  self->seen_settings = g_steal_pointer (&settings);
  g_free (self->seen_library);
  self->seen_library = g_steal_pointer (&library);
  g_free (self->seen_listeners);
  self->seen_listeners = g_steal_pointer (&listeners);
  if (changes == SK_ENGINE_CHANGED_NOTHING)
    return changes;

  if (changes & SK_ENGINE_CHANGED_SETTINGS)
    sk_engine_load_settings (self);
  if (changes & SK_ENGINE_CHANGED_LIBRARY)
    {
      if (!sk_engine_reload (self, error))
        return changes;
      g_string_append_printf (said, "%slibrary: %u songs", said->len ? "; " : "",
                              sk_recommender_get_n_songs (self->recommender));
    }
  else if (!sk_engine_requeue (self, error))
    return changes;
  if (changes & SK_ENGINE_CHANGED_LISTENERS)
    g_string_append_printf (said, "%slisteners: %u present", said->len ? "; " : "",
                            self->n_present);
  *summary = g_strdup (said->str);
  return changes;
}

gboolean
sk_engine_set_setting (SkEngine *self, const char *key, const char *value, GError **error)
{
  g_autoptr (GError) local = NULL;
  /* what was seen is current unless another program committed since */
  gboolean current = self->seen_settings != NULL &&
                     sk_store_get_data_version (self->store) == self->data_version;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);

  if (!sk_settings_set (self->store, key, value, error))
    return FALSE;
  if (current)
    {
      g_strfreev (self->seen_settings);
      self->seen_settings = read_settings (self);
    }
  sk_engine_load_settings (self);
  /* the setting is stored: a queue that cannot be computed now is the
   * store's trouble, said in the log, not the caller's */
  if (!sk_engine_requeue (self, &local))
    g_warning ("Requeue after setting %s: %s", key, local->message);
  return TRUE;
}
