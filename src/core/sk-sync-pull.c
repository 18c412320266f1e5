/* sk-sync-pull.c: the fields of an answer, read as the contract says, and
 * the pulled rows and tombstones applied in the transaction of
 * sk-sync-answer.c; a row with a local change still in the outbox waits
 * (sk-sync-private.h). */
#include "config.h"

#include <string.h>

#include "sk-sync-private.h"
#include "sk-taste.h"

/* ---- reading the answer ---------------------------------------------- */

gboolean
sk_sync_malformed (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_MALFORMED,
               "the cloud's answer is sk_sync_malformed: %s", what);
  return FALSE;
}

/* @name of @obj as a string: NULL when absent or null; FALSE for any
 * other type. */
static gboolean
get_text (JsonObject *obj, const char *name, const char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return sk_sync_malformed (error, "“%s” is not a string", name);
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
sk_sync_need_text (JsonObject *obj, const char *name, const char **out, GError **error)
{
  if (!get_text (obj, name, out, error))
    return FALSE;
  if (*out == NULL)
    return sk_sync_malformed (error, "“%s” is missing", name);
  return TRUE;
}

/* A time stamp from the server ("2024-05-01T10:34:56.789+00:00"), as the
 * local database writes them; NULL for null. */
static gboolean
get_time (JsonObject *obj, const char *name, gboolean required, char **out, GError **error)
{
  const char *text;
  gint64 usec;

  *out = NULL;
  if (!(required ? sk_sync_need_text : get_text) (obj, name, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!sk_time_parse (text, &usec, NULL))
    return sk_sync_malformed (error, "“%s” is not a time stamp", name);
  *out = sk_time_format (usec);
  return TRUE;
}

/* A JSON number (or null: *@present FALSE). */
static gboolean
get_number (JsonObject *obj, const char *name, double *out, gboolean *present, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  GType t;

  *present = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return sk_sync_malformed (error, "“%s” is not a number", name);
  *out = json_node_get_double (node);
  *present = TRUE;
  return TRUE;
}

gboolean
sk_sync_get_bool (JsonObject *obj, const char *name, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return sk_sync_malformed (error, "“%s” is not a boolean", name);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    *out = json_node_get_boolean (node);
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    *out = json_node_get_int (node) != 0;
  else
    return sk_sync_malformed (error, "“%s” is not a boolean", name);
  return TRUE;
}

/* ---- applying what was pulled ---------------------------------------- */

typedef struct
{
  SkSync *self;
  const char *server_player;
  SkSyncPulled *n;
} Apply;

/* Whether the outbox still holds a local change to this row: then the
 * pulled one would undo it, and waits. A listener with a vote waiting keeps
 * the kiosk's provisional taste. */
static gboolean
is_pending (Apply *a, const char *kind, const char *id, GError **error)
{
  sqlite3_stmt *stmt = sk_store_query (
      a->self->store, error,
      "SELECT 1 FROM outbox WHERE (kind = ?1 AND row_id = ?2) OR (?1 = 'profile' AND kind = 'vote' "
      "AND json_valid(payload) AND json_extract(payload, '$.user_id') = ?2) LIMIT 1",
      "ss", kind, id);

  return sk_store_has_row (a->self->store, stmt, error);
}

/* is_pending as the appliers ask it: 1 when the row waits (counted as
 * kept), 0 to apply it, -1 on a failure (@error set). */
static int
waits (Apply *a, const char *kind, const char *id, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (is_pending (a, kind, id, &local))
    {
      a->n->kept++;
      return 1;
    }
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return -1;
    }
  return 0;
}

/* A statement that applies one pulled row: a constraint this row breaks
 * (a song's URL that a local song has, a second active session) skips the
 * row with a warning; any other failure fails the answer. */
static gboolean
apply_sql (Apply *a, const char *table, const char *id, gboolean ok, GError **local, GError **error)
{
  if (ok)
    {
      a->n->applied++;
      return TRUE;
    }
  if (g_error_matches (*local, SK_STORE_ERROR, SK_STORE_ERROR_CONSTRAINT))
    {
      g_warning ("pulled %s %s not applied: %s", table, id, (*local)->message);
      g_clear_error (local);
      a->n->skipped++;
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (local));
  return FALSE;
}

static void
skip_row (Apply *a, const char *table, const char *id, const char *why)
{
  g_warning ("pulled %s %s not applied: %s", table, id, why);
  a->n->skipped++;
}

/* The row @id of @table written by @stmt (from sk_store_query with
 * @error, which says why when the statement is wrong: then it is NULL),
 * then judged by apply_sql. */
static gboolean
write_row (Apply *a, const char *table, const char *id, sqlite3_stmt *stmt, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (stmt == NULL)
    return FALSE;
  return apply_sql (a, table, id, sk_store_run (a->self->store, stmt, &local), &local, error);
}

static gboolean
apply_song (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *title, *artist, *url, *type, *embedding, *sha;
  g_autofree char *created = NULL, *updated = NULL, *emb = NULL;
  g_autoptr (GError) local = NULL;
  double v[SK_DIM], duration = 0, bpm = 0, loudness = 0;
  gboolean has_duration, has_bpm, has_loudness;

  if (!sk_sync_need_text (r, "id", &id, error) || !sk_sync_need_text (r, "title", &title, error) ||
      !get_text (r, "artist", &artist, error) || !sk_sync_need_text (r, "file_url", &url, error) ||
      !get_text (r, "type", &type, error) ||
      !sk_sync_need_text (r, "embedding", &embedding, error) ||
      !get_text (r, "sha256", &sha, error) ||
      !get_number (r, "duration", &duration, &has_duration, error) ||
      !get_number (r, "bpm", &bpm, &has_bpm, error) ||
      !get_number (r, "loudness", &loudness, &has_loudness, error) ||
      !get_time (r, "created_at", TRUE, &created, error) ||
      !get_time (r, "updated_at", FALSE, &updated, error))
    return FALSE;
  /* docs/DESIGN.md, Security model: rows from the cloud carry http(s) URLs only */
  if (g_ascii_strncasecmp (url, "https://", 8) != 0 && g_ascii_strncasecmp (url, "http://", 7) != 0)
    {
      skip_row (a, "songs", id, "its URL is not http(s)");
      return TRUE;
    }
  if (!sk_vec_parse (embedding, v, &local))
    {
      skip_row (a, "songs", id, local->message);
      return TRUE;
    }
  emb = sk_vec_format (v);
  return write_row (
      a, "songs", id,
      sk_store_query (
          a->self->store, error,
          "INSERT INTO songs (id, title, artist, file_url, type, embedding, duration, bpm, loudness, "
          "  sha256, created_at, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, coalesce(?5, 'soundscape'), ?6, "
          "  CASE WHEN ?7 THEN CAST(?8 AS INTEGER) END, CASE WHEN ?9 THEN CAST(?10 AS INTEGER) END, "
          "  CASE WHEN ?11 THEN ?12 END, ?13, ?14, coalesce(?15, ?14)) "
          "ON CONFLICT (id) DO UPDATE SET title = excluded.title, artist = excluded.artist, "
          "  file_url = excluded.file_url, type = excluded.type, embedding = excluded.embedding, "
          "  duration = excluded.duration, bpm = excluded.bpm, loudness = excluded.loudness, "
          "  sha256 = excluded.sha256, updated_at = excluded.updated_at",
          "ssssssidididsss", id, title, artist, url, type, emb, has_duration, duration, has_bpm,
          bpm, has_loudness, loudness, sha, created, updated),
      error);
}

/* A vector pulled as pgvector's text or a JSON array, in the local form. */
static char *
numbers_text (JsonObject *r, const char *name, guint n, gboolean unit_range, GError **error)
{
  JsonNode *node = json_object_get_member (r, name);
  double v[SK_NUMBERS_MAX];

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || n > SK_NUMBERS_MAX)
    return NULL;
  if (!sk_numbers_from_json (node, v, n, error))
    return NULL;
  for (guint i = 0; unit_range && i < n; i++)
    if (v[i] < 0.0 || v[i] > 1.0)
      {
        g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s is not in 0..1", name);
        return NULL;
      }
  return sk_numbers_format (v, n);
}

static gboolean
apply_profile (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *name, *display;
  g_autofree char *created = NULL, *updated = NULL;
  g_autofree char *pref = NULL, *momentum = NULL, *state = NULL;
  g_autoptr (GError) local = NULL;
  int w;
  gboolean guest = FALSE;

  if (!sk_sync_need_text (r, "id", &id, error) || !get_text (r, "name", &name, error) ||
      !get_text (r, "display_name", &display, error) ||
      !sk_sync_get_bool (r, "is_guest", &guest, error) ||
      !get_time (r, "created_at", TRUE, &created, error) ||
      !get_time (r, "updated_at", FALSE, &updated, error))
    return FALSE;
  if ((w = waits (a, "profile", id, error)) != 0)
    return w > 0;
  pref = numbers_text (r, "preference_vector", SK_DIM, TRUE, &local);
  if (pref == NULL && local == NULL)
    pref = g_strdup ("[0.5,0.5,0.5,0.5,0.5]");
  if (local == NULL)
    momentum = numbers_text (r, "taste_momentum", SK_DIM, FALSE, &local);
  if (local == NULL)
    state = numbers_text (r, "taste_state", SK_TASTE_STATE_LEN, FALSE, &local);
  if (local != NULL)
    {
      skip_row (a, "profiles", id, local->message);
      return TRUE;
    }
  return write_row (
      a, "profiles", id,
      sk_store_query (
          a->self->store, error,
          "INSERT INTO profiles (id, name, display_name, preference_vector, taste_momentum, "
          "  taste_state, is_guest, created_at, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, coalesce(?5, '[0,0,0,0,0]'), "
          "  coalesce(?6, sk_taste_state_from_preference(?4)), ?7, ?8, coalesce(?9, ?8)) "
          "ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_name = excluded.display_name, "
          "  preference_vector = excluded.preference_vector, taste_momentum = excluded.taste_momentum, "
          "  taste_state = excluded.taste_state, is_guest = excluded.is_guest, "
          "  updated_at = excluded.updated_at",
          "ssssssiss", id, name, display, pref, momentum, state, guest, created, updated),
      error);
}

/* A row that links @first to @second (a listener to a role, this player
 * to a song): the same link held here under another id gives way to the
 * cloud's, then the row is upserted. @delete_sql takes (first, second,
 * id), @upsert_sql (id, first, second, @created). */
static gboolean
apply_link (Apply *a,
            const char *table,
            const char *id,
            const char *delete_sql,
            const char *upsert_sql,
            const char *first,
            const char *second,
            const char *created,
            GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean ok = sk_store_run_sql (a->self->store, &local, delete_sql, "sss", first, second, id) &&
                sk_store_run_sql (a->self->store, &local, upsert_sql, "ssss", id, first, second,
                                  created);

  return apply_sql (a, table, id, ok, &local, error);
}

static gboolean
apply_role (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *user, *role;
  g_autofree char *created = NULL;

  if (!sk_sync_need_text (r, "id", &id, error) || !sk_sync_need_text (r, "user_id", &user, error) ||
      !sk_sync_need_text (r, "role", &role, error) ||
      !get_time (r, "created_at", TRUE, &created, error))
    return FALSE;
  return apply_link (a, "roles", id,
                     "DELETE FROM roles WHERE user_id = ?1 AND role = ?2 AND id <> ?3",
                     "INSERT INTO roles (id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, "
                     "  role = excluded.role",
                     user, role, created, error);
}

static gboolean
apply_badge (Apply *a, JsonObject *r, GError **error)
{
  const char *uid, *user;
  g_autofree char *created = NULL, *revoked = NULL;
  int w;

  if (!sk_sync_need_text (r, "uid", &uid, error) ||
      !sk_sync_need_text (r, "user_id", &user, error) ||
      !get_time (r, "created_at", TRUE, &created, error) ||
      !get_time (r, "revoked_at", FALSE, &revoked, error))
    return FALSE;
  if ((w = waits (a, "badge", uid, error)) != 0)
    return w > 0;
  return write_row (a, "badges", uid,
                    sk_store_query (a->self->store, error,
                                    "INSERT INTO badges (uid, user_id, created_at, revoked_at) "
                                    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uid) DO UPDATE SET "
                                    "  user_id = excluded.user_id, revoked_at = excluded.revoked_at",
                                    "ssss", uid, user, created, revoked),
                    error);
}

/* A pulled player_id is the server's id of this player (nothing else is
 * pulled): the local id stands for it. */
static gboolean
local_player_of (Apply *a, JsonObject *r, const char *table, const char **out, GError **error)
{
  const char *player;

  if (!sk_sync_need_text (r, "player_id", &player, error))
    return FALSE;
  if (a->server_player == NULL || strcmp (player, a->server_player) != 0)
    return sk_sync_malformed (error, "a row of %s names another player", table);
  *out = a->self->local_player;
  return TRUE;
}

static gboolean
apply_player (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *name, *manager, *source;

  if (!sk_sync_need_text (r, "id", &id, error) || !sk_sync_need_text (r, "name", &name, error) ||
      !get_text (r, "manager_id", &manager, error) || !get_text (r, "queue_source", &source, error))
    return FALSE;
  if (a->server_player == NULL || strcmp (id, a->server_player) != 0)
    return sk_sync_malformed (error, "the players row is not this player's");
  return write_row (a, "players", id,
                    sk_store_query (a->self->store, error,
                                    "UPDATE players SET name = ?2, manager_id = ?3, "
                                    "  queue_source = coalesce(?4, queue_source) WHERE id = ?1",
                                    "ssss", a->self->local_player, name, manager, source),
                    error);
}

static gboolean
apply_library (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *player, *song;
  g_autofree char *added = NULL;

  if (!sk_sync_need_text (r, "id", &id, error) ||
      !local_player_of (a, r, "player_library", &player, error) ||
      !sk_sync_need_text (r, "song_id", &song, error) ||
      !get_time (r, "added_at", TRUE, &added, error))
    return FALSE;
  return apply_link (a, "player_library", id,
                     "DELETE FROM player_library WHERE player_id = ?1 AND song_id = ?2 "
                     "AND id <> ?3",
                     "INSERT INTO player_library (id, player_id, song_id, added_at) "
                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                     "  song_id = excluded.song_id",
                     player, song, added, error);
}

static gboolean
apply_session (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *user, *player, *status;
  g_autofree char *in = NULL, *expires = NULL, *created = NULL;
  int w;

  if (!sk_sync_need_text (r, "id", &id, error) || !sk_sync_need_text (r, "user_id", &user, error) ||
      !local_player_of (a, r, "sessions", &player, error) ||
      !sk_sync_need_text (r, "status", &status, error) ||
      !get_time (r, "checked_in_at", TRUE, &in, error) ||
      !get_time (r, "expires_at", TRUE, &expires, error) ||
      !get_time (r, "created_at", FALSE, &created, error))
    return FALSE;
  if ((w = waits (a, "session", id, error)) != 0)
    return w > 0;
  return write_row (a, "sessions", id,
                    sk_store_query (a->self->store, error,
                                    "INSERT INTO sessions (id, user_id, player_id, checked_in_at, "
                                    "  expires_at, status, created_at) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ?4)) "
                                    "ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, "
                                    "  status = excluded.status",
                                    "sssssss", id, user, player, in, expires, status, created),
                    error);
}

static gboolean
apply_deleted (Apply *a, JsonObject *r, GError **error)
{
  static const struct
  {
    const char *table, *sql;
  } tables[] = {
    { "songs", "DELETE FROM songs WHERE id = ?1" },
    { "player_library", "DELETE FROM player_library WHERE id = ?1" },
    { "sessions", "DELETE FROM sessions WHERE id = ?1" },
    { "profiles", "DELETE FROM profiles WHERE id = ?1" },
    { "badges", "DELETE FROM badges WHERE uid = ?1" },
    { "roles", "DELETE FROM roles WHERE id = ?1" },
  };
  const char *table, *id, *kind;
  int w;

  if (!sk_sync_need_text (r, "table", &table, error) || !sk_sync_need_text (r, "id", &id, error))
    return FALSE;
  kind = sk_sync_kind_of_table (table);
  if (kind != NULL && (w = waits (a, kind, id, error)) != 0)
    return w > 0;
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (strcmp (tables[i].table, table) == 0)
      return write_row (a, table, id,
                        sk_store_query (a->self->store, error, tables[i].sql, "s", id), error);
  return sk_sync_malformed (error, "a tombstone of an unknown table “%s”", table);
}

typedef gboolean (*ApplyRow) (Apply *a, JsonObject *r, GError **error);

/* The pulled tables in an order that keeps every reference valid. */
static const struct
{
  const char *name;
  ApplyRow apply;
} pulled[] = {
  { "songs", apply_song },       { "profiles", apply_profile }, { "roles", apply_role },
  { "badges", apply_badge },     { "players", apply_player },   { "player_library", apply_library },
  { "sessions", apply_session },
};

static gboolean
apply_array (Apply *a, JsonArray *rows, const char *what, ApplyRow apply, GError **error)
{
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonNode *row = json_array_get_element (rows, i);

      if (!JSON_NODE_HOLDS_OBJECT (row))
        return sk_sync_malformed (error, "a row of %s is not an object", what);
      if (!apply (a, json_node_get_object (row), error))
        return FALSE;
    }
  return TRUE;
}

JsonArray *
sk_sync_member_array (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && !required)
    return NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_sync_malformed (error, "“%s” is not an array", name);
      return NULL;
    }
  return json_node_get_array (node);
}

gboolean
sk_sync_apply_pulled (SkSync *self,
                      const char *server_player,
                      JsonObject *changes,
                      JsonArray *deleted,
                      SkSyncPulled *counts,
                      GError **error)
{
  Apply a = { self, server_player, counts };

  for (guint i = 0; i < G_N_ELEMENTS (pulled); i++)
    {
      JsonArray *rows = sk_sync_member_array (changes, pulled[i].name, FALSE, error);

      if ((rows == NULL && error != NULL && *error != NULL) ||
          !apply_array (&a, rows, pulled[i].name, pulled[i].apply, error))
        return FALSE;
    }
  return apply_array (&a, deleted, "deleted", apply_deleted, error);
}
