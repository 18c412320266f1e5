/* sk-sync-full.c: a full pull, for a kiosk whose cursor is older than the
 * oldest deletion the cloud keeps (kiosk_sync's SK412): the cursor is
 * dropped and everything pulled again, page by page; the ids the pull
 * brings, and those the kiosk pushed meanwhile, are noted in a temporary
 * table of the sync's connection; after the last page the rows the cloud
 * sends that it did not bring are deleted, as tombstones would have
 * deleted them (docs/DESIGN.md, "Pruning tombstones"). A full pull
 * survives a restart: without its notes it begins again. */
#include "config.h"

#include <string.h>

#include "sk-sync-private.h"

#define STATE_KEY "full_pull"

/* Not pending: no change of the row waits in the outbox (its table's
 * alias, its kind, its id column). */
#define NOT_PENDING(kind, col) \
  " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = '" kind "' AND o.row_id = " col ")"
#define UNSEEN(table, col) " " col " NOT IN (SELECT id FROM temp.sync_seen WHERE tbl = '" table "')"

/* The rows of the tables the cloud sends that a full pull did not bring,
 * deleted; ?1 is this player. In an order that deletes a listener only
 * once their badges and sessions here are gone. */
static const char *const sweeps[] = {
  /* this player's sessions: the kiosk pushes each one it writes */
  "DELETE FROM sessions AS t WHERE t.player_id = ?1 AND" UNSEEN ("sessions", "t.id")
      NOT_PENDING ("session", "t.id"),
  /* every badge: the cloud sends them all, the kiosk pushes each one */
  "DELETE FROM badges AS t WHERE" UNSEEN ("badges", "t.uid") NOT_PENDING ("badge", "t.uid"),
  /* roles: the cloud's word on who manages (the kiosk does not push its own) */
  "DELETE FROM roles AS t WHERE" UNSEEN ("roles", "t.id"),
  /* this player's library, unless a manager chose it here (the kiosk's own) */
  "DELETE FROM player_library AS t WHERE t.player_id = ?1 AND" UNSEEN (
      "player_library",
      "t.id") " AND NOT EXISTS (SELECT 1 FROM settings s WHERE s.key = 'library_curated' "
              "  AND s.value IS NOT NULL)",
  /* songs with an http(s) URL: only the cloud writes them here */
  "DELETE FROM songs AS t WHERE (lower(t.file_url) LIKE 'http://%' OR "
  "  lower(t.file_url) LIKE 'https://%') AND" UNSEEN ("songs", "t.id") NOT_PENDING ("song", "t.id"),
  /* listeners the cloud no longer sends, with nothing here that names them */
  "DELETE FROM profiles AS t WHERE" UNSEEN ("profiles", "t.id") NOT_PENDING (
      "profile",
      "t.id") " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'vote' AND json_valid(o.payload) "
              "  AND json_extract(o.payload, '$.user_id') = t.id)"
              " AND NOT EXISTS (SELECT 1 FROM badges b WHERE b.user_id = t.id)"
              " AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = t.id)"
              " AND NOT EXISTS (SELECT 1 FROM players p WHERE p.manager_id = t.id)",
};

/* The key of each pulled table's rows. */
static const struct
{
  const char *table, *key;
} pulled[] = {
  { "songs", "id" },    { "player_library", "id" }, { "sessions", "id" },
  { "profiles", "id" }, { "badges", "uid" },        { "roles", "id" },
};

gboolean
sk_sync_full_pull_begin (SkSync *self, GError **error)
{
  return sk_store_exec (self->store,
                        "CREATE TEMP TABLE IF NOT EXISTS sync_seen (tbl TEXT NOT NULL, "
                        "  id TEXT NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID;"
                        "DELETE FROM temp.sync_seen;",
                        error) &&
         sk_sync_set_state (self, STATE_KEY, "1", error) &&
         sk_sync_set_state (self, "cursor", NULL, error);
}

gboolean
sk_sync_in_full_pull (SkSync *self)
{
  g_autofree char *value = sk_sync_dup_state (self, STATE_KEY);

  return value != NULL;
}

gboolean
sk_sync_full_pull_resume (SkSync *self, GError **error)
{
  g_autoptr (GError) local = NULL;
  sqlite3_stmt *stmt;

  if (!sk_sync_in_full_pull (self))
    return TRUE;
  stmt = sk_store_query (self->store, &local,
                         "SELECT 1 FROM sqlite_temp_master WHERE name = 'sync_seen'", "");
  if (sk_store_has_row (self->store, stmt, &local))
    return TRUE;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_message ("sync: a full pull was under way when the sync stopped; it begins again");
  return sk_sync_full_pull_begin (self, error);
}

static gboolean
note (SkSync *self, const char *table, const char *id, GError **error)
{
  return sk_store_run_sql (self->store, error,
                           "INSERT OR IGNORE INTO temp.sync_seen (tbl, id) VALUES (?1, ?2)", "ss",
                           table, id);
}

gboolean
sk_sync_full_pull_note (SkSync *self, SkSyncPush *p, JsonObject *changes, GError **error)
{
  GHashTableIter iter;
  gpointer key;

  /* pushed during the pull: the cloud has them (or refused them, and the
   * kiosk keeps them as it does), though the snapshot paged does not */
  g_hash_table_iter_init (&iter, p->pushed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_auto (GStrv) parts = g_strsplit (key, "\n", 2);

      if (!note (self, parts[0], parts[1], error))
        return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (pulled); i++)
    {
      JsonArray *rows = sk_sync_member_array (changes, pulled[i].table, FALSE, error);

      if (rows == NULL && error != NULL && *error != NULL)
        return FALSE;
      for (guint j = 0; rows != NULL && j < json_array_get_length (rows); j++)
        {
          JsonNode *row = json_array_get_element (rows, j);
          const char *id;

          if (!JSON_NODE_HOLDS_OBJECT (row))
            return sk_sync_malformed (error, "a row of %s is not an object", pulled[i].table);
          if (!sk_sync_need_text (json_node_get_object (row), pulled[i].key, &id, error) ||
              !note (self, pulled[i].table, id, error))
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
sk_sync_full_pull_end (SkSync *self, GError **error)
{
  guint dropped = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sweeps); i++)
    {
      if (!sk_store_run_sql (self->store, error, sweeps[i], "s", self->local_player))
        return FALSE;
      dropped += (guint) sk_store_changes (self->store);
    }
  g_message ("sync: a full pull is done; %u %s the cloud no longer has dropped", dropped,
             dropped == 1 ? "row" : "rows");
  return sk_store_exec (self->store, "DELETE FROM temp.sync_seen", error) &&
         sk_sync_set_state (self, STATE_KEY, NULL, error);
}
