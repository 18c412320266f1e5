/* sk-sync-push.c: what one call pushes, read from the outbox, and the
 * call's body; the acknowledgements are checked against it in
 * sk-sync-answer.c (sk-sync-private.h). */
#include "config.h"

#include <string.h>

#include "sk-sync-private.h"

#define BATCH_MAX 500 /* kiosk_sync takes at most 500 rows a call */

/* The outbox's kinds, the tables kiosk_sync pushes them to. */
static const struct
{
  const char *kind;
  const char *table;
} kinds[] = {
  { "profile", "profiles" },   { "badge", "badges" },     { "song", "songs" },
  { "play", "songs_playing" }, { "session", "sessions" }, { "vote", "votes" },
};

static const char *
table_of_kind (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].kind, kind) == 0)
      return kinds[i].table;
  return NULL;
}

const char *
sk_sync_kind_of_table (const char *table)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].table, table) == 0)
      return kinds[i].kind;
  return NULL;
}

void
sk_sync_push_free (SkSyncPush *p)
{
  g_array_unref (p->seqs);
  g_hash_table_unref (p->pushed);
  g_hash_table_unref (p->rows);
  g_free (p);
}

char *
sk_sync_row_key (const char *table, const char *id)
{
  return g_strconcat (table, "\n", id, NULL);
}

/* A payload's player_id names this kiosk's player by its local id: the
 * server knows it by @server_player. */
static void
to_server_player (SkSync *self, JsonObject *row, const char *server_player)
{
  if (json_object_has_member (row, "player_id") &&
      g_strcmp0 (json_object_get_string_member_with_default (row, "player_id", NULL),
                 self->local_player) == 0)
    json_object_set_string_member (row, "player_id", server_player);
}

/* The first BATCH_MAX rows of the outbox, each as it was written (an id
 * that comes again goes again: the server applies them in order, and a new
 * profile takes the taste of its first row). Nothing while the server's id for this player is not
 * known (the first pull brings it). A payload that is not JSON is a bug
 * the log names; its row stays for a person to look at. */
SkSyncPush *
sk_sync_read_outbox (SkSync *self, const char *server_player, GError **error)
{
  g_autoptr (SkSyncPush) p = g_new0 (SkSyncPush, 1);
  sqlite3_stmt *stmt;
  int rc;

  p->seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  p->pushed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  p->rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify) g_ptr_array_unref);
  if (server_player == NULL)
    return g_steal_pointer (&p);
  stmt = sk_store_query (self->store, error,
                         "SELECT seq, kind, row_id, payload FROM outbox "
                         "WHERE kind IN ('profile', 'badge', 'song', 'play', 'session', 'vote') "
                         "ORDER BY seq LIMIT ?1",
                         "i", BATCH_MAX);
  if (stmt == NULL)
    return NULL;
  while ((rc = sk_store_step (self->store, stmt, error)) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);
      const char *table = table_of_kind (sk_store_column_text (stmt, 1));
      const char *id = sk_store_column_text (stmt, 2);
      const char *payload = sk_store_column_text (stmt, 3);
      g_autoptr (GError) local = NULL;
      g_autoptr (JsonNode) node = NULL;
      GPtrArray *rows;
      char *key;

      node = sk_json_parse_object (payload, strlen (payload), &local);
      if (node == NULL)
        {
          g_warning ("outbox row %" G_GINT64_FORMAT " (%s %s) cannot be sent: %s", seq, table, id,
                     local->message);
          continue;
        }
      to_server_player (self, json_node_get_object (node), server_player);
      rows = g_hash_table_lookup (p->rows, table);
      if (rows == NULL)
        {
          rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
          g_hash_table_insert (p->rows, (gpointer) table, rows);
        }
      key = sk_sync_row_key (table, id);
      if (!g_hash_table_contains (p->pushed, key))
        {
          g_hash_table_add (p->pushed, g_strdup (key));
          p->n_pushed++;
        }
      g_ptr_array_add (rows, g_steal_pointer (&node));
      g_array_append_val (p->seqs, seq);
      g_free (key);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&p);
}

char *
sk_sync_request_body (SkSync *self, SkSyncPush *p, const char *cursor)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "p_token");
  json_builder_add_string_value (b, self->token);
  json_builder_set_member_name (b, "p_push");
  if (p->n_pushed == 0)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        {
          GPtrArray *rows = g_hash_table_lookup (p->rows, kinds[i].table);

          if (rows == NULL)
            continue;
          json_builder_set_member_name (b, kinds[i].table);
          json_builder_begin_array (b);
          for (guint j = 0; j < rows->len; j++)
            json_builder_add_value (b, json_node_ref (rows->pdata[j]));
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "p_cursor");
  if (cursor == NULL)
    json_builder_add_null_value (b);
  else
    {
      g_autoptr (GError) local = NULL;
      JsonNode *c = sk_json_parse_object (cursor, strlen (cursor), &local);

      if (c == NULL) /* a stored cursor that is not JSON: from the start */
        json_builder_add_null_value (b);
      else
        json_builder_add_value (b, c);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}
