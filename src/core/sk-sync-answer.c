/* sk-sync-answer.c: one answer of kiosk_sync, checked against the call's
 * push and applied whole or not at all, in one transaction: the pulled
 * rows (sk-sync-pull.c), the acknowledged outbox rows deleted and the
 * cursor stored (sk-sync-private.h). */
#include "config.h"

#include "sk-sync-private.h"

/* The server's id for this player, from the players row pulled (the first
 * pull has it) or as stored. */
static char *
server_player_of (SkSync *self, JsonObject *changes, GError **error)
{
  JsonNode *node = json_object_get_member (changes, "players");
  JsonArray *players;
  const char *id;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return sk_sync_dup_state (self, "player_id");
  players = json_node_get_array (node);
  if (json_array_get_length (players) == 0)
    return sk_sync_dup_state (self, "player_id");
  if (json_array_get_length (players) != 1 ||
      !JSON_NODE_HOLDS_OBJECT (json_array_get_element (players, 0)))
    {
      sk_sync_malformed (error, "“players” is not this player's row");
      return NULL;
    }
  if (!sk_sync_need_text (json_array_get_object_element (players, 0), "id", &id, error))
    return NULL;
  return g_strdup (id);
}

/* The acknowledgements, checked against the push: exactly one for each
 * id pushed. Anything else is the answer to another call (a response
 * delivered twice), which must change nothing. */
static gboolean
check_acks (SkSyncPush *p, JsonObject *acks, GError **error)
{
  g_autoptr (GList) tables = json_object_get_members (acks);
  guint n = 0;

  for (GList *t = tables; t != NULL; t = t->next)
    {
      JsonNode *node = json_object_get_member (acks, t->data);
      g_autoptr (GList) ids = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return sk_sync_malformed (error, "the acknowledgements of %s are not an object",
                                  (const char *) t->data);
      ids = json_object_get_members (json_node_get_object (node));
      for (GList *i = ids; i != NULL; i = i->next)
        {
          g_autofree char *key = sk_sync_row_key (t->data, i->data);
          JsonNode *ack = json_object_get_member (json_node_get_object (node), i->data);

          if (!g_hash_table_contains (p->pushed, key))
            {
              g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED,
                           "the cloud's answer acknowledges rows this call did not send "
                           "(an answer to another call, delivered twice?)");
              return FALSE;
            }
          if (!JSON_NODE_HOLDS_VALUE (ack) || json_node_get_value_type (ack) != G_TYPE_STRING)
            return sk_sync_malformed (error, "an acknowledgement is not a string");
          n++;
        }
    }
  if (n != p->n_pushed)
    {
      g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED,
                   "the cloud's answer acknowledges %u of the %u rows this call sent "
                   "(an answer to another call, delivered twice?)",
                   n, p->n_pushed);
      return FALSE;
    }
  return TRUE;
}

/* The refused rows, in the log: each will never be accepted as it is, so
 * its outbox row goes (docs/DESIGN.md, Cloud: an acknowledgement is final). */
static void
log_refused (JsonArray *errors)
{
  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonNode *node = json_array_get_element (errors, i);
      JsonObject *e;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      e = json_node_get_object (node);
      g_warning ("the cloud refused %s %s: %s %s",
                 json_object_get_string_member_with_default (e, "table", "?"),
                 json_object_get_string_member_with_default (e, "id", "?"),
                 json_object_get_string_member_with_default (e, "code", "?"),
                 json_object_get_string_member_with_default (e, "message", ""));
    }
}

static gboolean
delete_acked (SkSync *self, SkSyncPush *p, GError **error)
{
  for (guint i = 0; i < p->seqs->len; i++)
    if (!sk_store_run_sql (self->store, error, "DELETE FROM outbox WHERE seq = ?1", "x",
                           g_array_index (p->seqs, gint64, i)))
      return FALSE;
  return TRUE;
}

/* One answer, whole or not at all. *@more: call again at once. */
gboolean
sk_sync_apply_answer (SkSync *self, SkSyncPush *p, JsonObject *root, gboolean *more, GError **error)
{
  JsonNode *acks = json_object_get_member (root, "acks");
  JsonNode *changes = json_object_get_member (root, "changes");
  JsonNode *cursor = json_object_get_member (root, "cursor");
  JsonArray *deleted, *errors;
  g_autofree char *server_player = NULL, *cursor_text = NULL;
  SkSyncPulled a = { 0, 0, 0 };
  JsonObject *ch;
  gboolean full = sk_sync_in_full_pull (self);

  if (acks == NULL || !JSON_NODE_HOLDS_OBJECT (acks))
    return sk_sync_malformed (error, "“acks” is not an object");
  if (!check_acks (p, json_node_get_object (acks), error))
    return FALSE;
  if (changes == NULL || !JSON_NODE_HOLDS_OBJECT (changes))
    return sk_sync_malformed (error, "“changes” is not an object");
  if (cursor == NULL || !JSON_NODE_HOLDS_OBJECT (cursor))
    return sk_sync_malformed (error, "“cursor” is not an object");
  if (!sk_sync_get_bool (root, "more", more, error))
    return FALSE;
  ch = json_node_get_object (changes);
  deleted = sk_sync_member_array (root, "deleted", TRUE, error);
  if (deleted == NULL)
    return FALSE;
  errors = sk_sync_member_array (root, "errors", FALSE, error);
  if (errors == NULL && error != NULL && *error != NULL)
    return FALSE;
  server_player = server_player_of (self, ch, error);
  if (server_player == NULL && error != NULL && *error != NULL)
    return FALSE;
  cursor_text = json_to_string (cursor, FALSE);

  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (server_player != NULL && !sk_sync_set_state (self, "player_id", server_player, error))
    goto fail;
  if ((full && !sk_sync_full_pull_note (self, p, ch, error)) ||
      !sk_sync_apply_pulled (self, server_player, ch, deleted, &a, error) ||
      !delete_acked (self, p, error) || (full && !*more && !sk_sync_full_pull_end (self, error)) ||
      !sk_sync_set_state (self, "cursor", cursor_text, error) ||
      !sk_store_commit (self->store, error))
    goto fail;
  log_refused (errors);
  if (a.applied + a.kept + a.skipped > 0 || p->seqs->len > 0)
    g_debug ("sync: %u rows pushed; %u pulled rows applied, %u kept for the outbox, %u skipped",
             p->n_pushed, a.applied, a.kept, a.skipped);
  return TRUE;

fail:
  sk_store_rollback (self->store);
  return FALSE;
}
