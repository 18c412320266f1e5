/* sk-sync.c: the kiosk's side of kiosk_sync (sk-sync.h, docs/DESIGN.md
 * "Cloud"). */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "sk-sync.h"
#include "sk-taste.h"
#include "sk-util.h"

G_DEFINE_QUARK (sk - sync - error - quark, sk_sync_error)

#define BATCH_MAX 500        /* kiosk_sync takes at most 500 rows a call */
#define CALLS_PER_ROUND 1000 /* a round that has not converged by then stops */
#define HTTP_TIMEOUT_S 30

struct _SkSync
{
  GObject parent_instance;

  SkStore *store; /* the sync's own connection */
  char *local_player;
  char *endpoint; /* {url}/rest/v1/rpc/kiosk_sync */
  char *anon_key;
  char *bearer;
  char *token;
  SoupSession *session;

  /* the round running, if any */
  GTask *task;
  guint calls;
  gboolean cursor_reset; /* SK411 once this round: the cursor was dropped */

  /* what the last answer with a body was (a SHA-256), to know it again */
  char *last_digest;

  /* scheduling */
  gboolean started;
  guint poll_id;
  guint timer_id;
  gint64 timer_at; /* monotonic µs of the round timer_id starts */
  gint64 data_version;
  guint failures;
  guint debounce_ms, interval_ms, backoff_min_ms, backoff_max_ms;

  /* status */
  const char *state;
  gint64 last_success;
  guint pending;
  char *last_error;
};

G_DEFINE_FINAL_TYPE (SkSync, sk_sync, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

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

static const char *
kind_of_table (const char *table)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].table, table) == 0)
      return kinds[i].kind;
  return NULL;
}

/* ---- status ---------------------------------------------------------- */

static void
count_pending (SkSync *self)
{
  sqlite3_stmt *stmt = sk_store_query (self->store, NULL, "SELECT count(*) FROM outbox", "");

  if (stmt != NULL && sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    self->pending = (guint) sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
}

static void
set_state (SkSync *self, const char *state)
{
  self->state = state;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* ---- sync_state ------------------------------------------------------ */

static char *
dup_state (SkSync *self, const char *key)
{
  sqlite3_stmt *stmt = sk_store_query (self->store, NULL,
                                       "SELECT value FROM sync_state WHERE key = ?1", "s", key);
  char *value = NULL;

  if (stmt != NULL && sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    value = g_strdup (sk_store_column_text (stmt, 0));
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return value;
}

static gboolean
set_sync_state (SkSync *self, const char *key, const char *value, GError **error)
{
  if (value == NULL)
    return sk_store_run_sql (self->store, error, "DELETE FROM sync_state WHERE key = ?1", "s", key);
  return sk_store_run_sql (self->store, error,
                           "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           "ss", key, value);
}

/* ---- the push -------------------------------------------------------- */

/* One call's push: the outbox rows it carries and what it sends. */
typedef struct
{
  GArray *seqs;       /* gint64: the outbox rows in this push */
  GHashTable *pushed; /* "table\nid" of each id sent */
  GHashTable *rows;   /* table → GPtrArray of JsonNode, in outbox order */
  guint n_pushed;     /* distinct ids sent */
} Push;

static void
push_free (Push *p)
{
  g_array_unref (p->seqs);
  g_hash_table_unref (p->pushed);
  g_hash_table_unref (p->rows);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Push, push_free)

static char *
row_key (const char *table, const char *id)
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
static Push *
read_outbox (SkSync *self, const char *server_player, GError **error)
{
  g_autoptr (Push) p = g_new0 (Push, 1);
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
      key = row_key (table, id);
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

static char *
request_body (SkSync *self, Push *p, const char *cursor)
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

/* ---- reading the answer ---------------------------------------------- */

static gboolean G_GNUC_PRINTF (2, 3) malformed (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_MALFORMED, "the cloud's answer is malformed: %s",
               what);
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
    return malformed (error, "“%s” is not a string", name);
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
need_text (JsonObject *obj, const char *name, const char **out, GError **error)
{
  if (!get_text (obj, name, out, error))
    return FALSE;
  if (*out == NULL)
    return malformed (error, "“%s” is missing", name);
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
  if (!(required ? need_text : get_text) (obj, name, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!sk_time_parse (text, &usec, NULL))
    return malformed (error, "“%s” is not a time stamp", name);
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
    return malformed (error, "“%s” is not a number", name);
  *out = json_node_get_double (node);
  *present = TRUE;
  return TRUE;
}

static gboolean
get_bool (JsonObject *obj, const char *name, gboolean *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return malformed (error, "“%s” is not a boolean", name);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    *out = json_node_get_boolean (node);
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    *out = json_node_get_int (node) != 0;
  else
    return malformed (error, "“%s” is not a boolean", name);
  return TRUE;
}

/* ---- applying what was pulled ---------------------------------------- */

typedef struct
{
  SkSync *self;
  const char *server_player;
  guint applied, kept, skipped;
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
      a->kept++;
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
      a->applied++;
      return TRUE;
    }
  if (g_error_matches (*local, SK_STORE_ERROR, SK_STORE_ERROR_CONSTRAINT))
    {
      g_warning ("pulled %s %s not applied: %s", table, id, (*local)->message);
      g_clear_error (local);
      a->skipped++;
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (local));
  return FALSE;
}

static void
skip_row (Apply *a, const char *table, const char *id, const char *why)
{
  g_warning ("pulled %s %s not applied: %s", table, id, why);
  a->skipped++;
}

static gboolean
apply_song (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *title, *artist, *url, *type, *embedding, *sha;
  g_autofree char *created = NULL, *updated = NULL, *emb = NULL;
  g_autoptr (GError) local = NULL;
  double v[SK_DIM], duration = 0, bpm = 0, loudness = 0;
  gboolean has_duration, has_bpm, has_loudness, ok;

  if (!need_text (r, "id", &id, error) || !need_text (r, "title", &title, error) ||
      !get_text (r, "artist", &artist, error) || !need_text (r, "file_url", &url, error) ||
      !get_text (r, "type", &type, error) || !need_text (r, "embedding", &embedding, error) ||
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
  ok = sk_store_run_sql (
      a->self->store, &local,
      "INSERT INTO songs (id, title, artist, file_url, type, embedding, duration, bpm, loudness, "
      "  sha256, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, coalesce(?5, 'soundscape'), ?6, "
      "  CASE WHEN ?7 THEN CAST(?8 AS INTEGER) END, CASE WHEN ?9 THEN CAST(?10 AS INTEGER) END, "
      "  CASE WHEN ?11 THEN ?12 END, ?13, ?14, coalesce(?15, ?14)) "
      "ON CONFLICT (id) DO UPDATE SET title = excluded.title, artist = excluded.artist, "
      "  file_url = excluded.file_url, type = excluded.type, embedding = excluded.embedding, "
      "  duration = excluded.duration, bpm = excluded.bpm, loudness = excluded.loudness, "
      "  sha256 = excluded.sha256, updated_at = excluded.updated_at",
      "ssssssidididsss", id, title, artist, url, type, emb, has_duration, duration, has_bpm, bpm,
      has_loudness, loudness, sha, created, updated);
  return apply_sql (a, "songs", id, ok, &local, error);
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
  gboolean guest = FALSE, ok;

  if (!need_text (r, "id", &id, error) || !get_text (r, "name", &name, error) ||
      !get_text (r, "display_name", &display, error) || !get_bool (r, "is_guest", &guest, error) ||
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
  ok = sk_store_run_sql (
      a->self->store, &local,
      "INSERT INTO profiles (id, name, display_name, preference_vector, taste_momentum, "
      "  taste_state, is_guest, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, coalesce(?5, '[0,0,0,0,0]'), "
      "  coalesce(?6, sk_taste_state_from_preference(?4)), ?7, ?8, coalesce(?9, ?8)) "
      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, display_name = excluded.display_name, "
      "  preference_vector = excluded.preference_vector, taste_momentum = excluded.taste_momentum, "
      "  taste_state = excluded.taste_state, is_guest = excluded.is_guest, "
      "  updated_at = excluded.updated_at",
      "ssssssiss", id, name, display, pref, momentum, state, guest, created, updated);
  return apply_sql (a, "profiles", id, ok, &local, error);
}

static gboolean
apply_role (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *user, *role;
  g_autofree char *created = NULL;
  g_autoptr (GError) local = NULL;
  gboolean ok;

  if (!need_text (r, "id", &id, error) || !need_text (r, "user_id", &user, error) ||
      !need_text (r, "role", &role, error) || !get_time (r, "created_at", TRUE, &created, error))
    return FALSE;
  /* the same role given here under another id gives way to the cloud's */
  ok = sk_store_run_sql (a->self->store, &local,
                         "DELETE FROM roles WHERE user_id = ?1 AND role = ?2 AND id <> ?3", "sss",
                         user, role, id) &&
       sk_store_run_sql (a->self->store, &local,
                         "INSERT INTO roles (id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4) "
                         "ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, "
                         "  role = excluded.role",
                         "ssss", id, user, role, created);
  return apply_sql (a, "roles", id, ok, &local, error);
}

static gboolean
apply_badge (Apply *a, JsonObject *r, GError **error)
{
  const char *uid, *user;
  g_autofree char *created = NULL, *revoked = NULL;
  g_autoptr (GError) local = NULL;
  int w;
  gboolean ok;

  if (!need_text (r, "uid", &uid, error) || !need_text (r, "user_id", &user, error) ||
      !get_time (r, "created_at", TRUE, &created, error) ||
      !get_time (r, "revoked_at", FALSE, &revoked, error))
    return FALSE;
  if ((w = waits (a, "badge", uid, error)) != 0)
    return w > 0;
  ok = sk_store_run_sql (a->self->store, &local,
                         "INSERT INTO badges (uid, user_id, created_at, revoked_at) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uid) DO UPDATE SET "
                         "  user_id = excluded.user_id, revoked_at = excluded.revoked_at",
                         "ssss", uid, user, created, revoked);
  return apply_sql (a, "badges", uid, ok, &local, error);
}

/* A pulled player_id is the server's id of this player (nothing else is
 * pulled): the local id stands for it. */
static gboolean
local_player_of (Apply *a, JsonObject *r, const char *table, const char **out, GError **error)
{
  const char *player;

  if (!need_text (r, "player_id", &player, error))
    return FALSE;
  if (a->server_player == NULL || strcmp (player, a->server_player) != 0)
    return malformed (error, "a row of %s names another player", table);
  *out = a->self->local_player;
  return TRUE;
}

static gboolean
apply_player (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *name, *manager, *source;
  g_autoptr (GError) local = NULL;
  gboolean ok;

  if (!need_text (r, "id", &id, error) || !need_text (r, "name", &name, error) ||
      !get_text (r, "manager_id", &manager, error) || !get_text (r, "queue_source", &source, error))
    return FALSE;
  if (a->server_player == NULL || strcmp (id, a->server_player) != 0)
    return malformed (error, "the players row is not this player's");
  ok = sk_store_run_sql (a->self->store, &local,
                         "UPDATE players SET name = ?2, manager_id = ?3, "
                         "  queue_source = coalesce(?4, queue_source) WHERE id = ?1",
                         "ssss", a->self->local_player, name, manager, source);
  return apply_sql (a, "players", id, ok, &local, error);
}

static gboolean
apply_library (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *player, *song;
  g_autofree char *added = NULL;
  g_autoptr (GError) local = NULL;
  gboolean ok;

  if (!need_text (r, "id", &id, error) ||
      !local_player_of (a, r, "player_library", &player, error) ||
      !need_text (r, "song_id", &song, error) || !get_time (r, "added_at", TRUE, &added, error))
    return FALSE;
  ok = sk_store_run_sql (a->self->store, &local,
                         "DELETE FROM player_library WHERE player_id = ?1 AND song_id = ?2 "
                         "AND id <> ?3",
                         "sss", player, song, id) &&
       sk_store_run_sql (a->self->store, &local,
                         "INSERT INTO player_library (id, player_id, song_id, added_at) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                         "  song_id = excluded.song_id",
                         "ssss", id, player, song, added);
  return apply_sql (a, "player_library", id, ok, &local, error);
}

static gboolean
apply_session (Apply *a, JsonObject *r, GError **error)
{
  const char *id, *user, *player, *status;
  g_autofree char *in = NULL, *expires = NULL, *created = NULL;
  g_autoptr (GError) local = NULL;
  int w;
  gboolean ok;

  if (!need_text (r, "id", &id, error) || !need_text (r, "user_id", &user, error) ||
      !local_player_of (a, r, "sessions", &player, error) ||
      !need_text (r, "status", &status, error) ||
      !get_time (r, "checked_in_at", TRUE, &in, error) ||
      !get_time (r, "expires_at", TRUE, &expires, error) ||
      !get_time (r, "created_at", FALSE, &created, error))
    return FALSE;
  if ((w = waits (a, "session", id, error)) != 0)
    return w > 0;
  ok = sk_store_run_sql (a->self->store, &local,
                         "INSERT INTO sessions (id, user_id, player_id, checked_in_at, "
                         "  expires_at, status, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ?4)) "
                         "ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, "
                         "  status = excluded.status",
                         "sssssss", id, user, player, in, expires, status, created);
  return apply_sql (a, "sessions", id, ok, &local, error);
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
  g_autoptr (GError) local = NULL;
  int w;

  if (!need_text (r, "table", &table, error) || !need_text (r, "id", &id, error))
    return FALSE;
  kind = kind_of_table (table);
  if (kind != NULL && (w = waits (a, kind, id, error)) != 0)
    return w > 0;
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    if (strcmp (tables[i].table, table) == 0)
      return apply_sql (a, table, id,
                        sk_store_run_sql (a->self->store, &local, tables[i].sql, "s", id), &local,
                        error);
  return malformed (error, "a tombstone of an unknown table “%s”", table);
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
        return malformed (error, "a row of %s is not an object", what);
      if (!apply (a, json_node_get_object (row), error))
        return FALSE;
    }
  return TRUE;
}

static JsonArray *
member_array (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && !required)
    return NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      malformed (error, "“%s” is not an array", name);
      return NULL;
    }
  return json_node_get_array (node);
}

/* The server's id for this player, from the players row pulled (the first
 * pull has it) or as stored. */
static char *
server_player_of (SkSync *self, JsonObject *changes, GError **error)
{
  JsonNode *node = json_object_get_member (changes, "players");
  JsonArray *players;
  const char *id;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return dup_state (self, "player_id");
  players = json_node_get_array (node);
  if (json_array_get_length (players) == 0)
    return dup_state (self, "player_id");
  if (json_array_get_length (players) != 1 ||
      !JSON_NODE_HOLDS_OBJECT (json_array_get_element (players, 0)))
    {
      malformed (error, "“players” is not this player's row");
      return NULL;
    }
  if (!need_text (json_array_get_object_element (players, 0), "id", &id, error))
    return NULL;
  return g_strdup (id);
}

/* The acknowledgements, checked against the push: exactly one for each
 * id pushed. Anything else is the answer to another call (a response
 * delivered twice), which must change nothing. */
static gboolean
check_acks (Push *p, JsonObject *acks, GError **error)
{
  g_autoptr (GList) tables = json_object_get_members (acks);
  guint n = 0;

  for (GList *t = tables; t != NULL; t = t->next)
    {
      JsonNode *node = json_object_get_member (acks, t->data);
      g_autoptr (GList) ids = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return malformed (error, "the acknowledgements of %s are not an object",
                          (const char *) t->data);
      ids = json_object_get_members (json_node_get_object (node));
      for (GList *i = ids; i != NULL; i = i->next)
        {
          g_autofree char *key = row_key (t->data, i->data);
          JsonNode *ack = json_object_get_member (json_node_get_object (node), i->data);

          if (!g_hash_table_contains (p->pushed, key))
            {
              g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED,
                           "the cloud's answer acknowledges rows this call did not send "
                           "(an answer to another call, delivered twice?)");
              return FALSE;
            }
          if (!JSON_NODE_HOLDS_VALUE (ack) || json_node_get_value_type (ack) != G_TYPE_STRING)
            return malformed (error, "an acknowledgement is not a string");
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
delete_acked (SkSync *self, Push *p, GError **error)
{
  for (guint i = 0; i < p->seqs->len; i++)
    if (!sk_store_run_sql (self->store, error, "DELETE FROM outbox WHERE seq = ?1", "x",
                           g_array_index (p->seqs, gint64, i)))
      return FALSE;
  return TRUE;
}

/* One answer, whole or not at all. *@more: call again at once. */
static gboolean
apply_answer (SkSync *self, Push *p, JsonObject *root, gboolean *more, GError **error)
{
  JsonNode *acks = json_object_get_member (root, "acks");
  JsonNode *changes = json_object_get_member (root, "changes");
  JsonNode *cursor = json_object_get_member (root, "cursor");
  JsonArray *deleted, *errors;
  g_autofree char *server_player = NULL, *cursor_text = NULL;
  Apply a = { self, NULL, 0, 0, 0 };
  JsonObject *ch;

  if (acks == NULL || !JSON_NODE_HOLDS_OBJECT (acks))
    return malformed (error, "“acks” is not an object");
  if (!check_acks (p, json_node_get_object (acks), error))
    return FALSE;
  if (changes == NULL || !JSON_NODE_HOLDS_OBJECT (changes))
    return malformed (error, "“changes” is not an object");
  if (cursor == NULL || !JSON_NODE_HOLDS_OBJECT (cursor))
    return malformed (error, "“cursor” is not an object");
  if (!get_bool (root, "more", more, error))
    return FALSE;
  ch = json_node_get_object (changes);
  deleted = member_array (root, "deleted", TRUE, error);
  if (deleted == NULL)
    return FALSE;
  errors = member_array (root, "errors", FALSE, error);
  if (errors == NULL && error != NULL && *error != NULL)
    return FALSE;
  server_player = server_player_of (self, ch, error);
  if (server_player == NULL && error != NULL && *error != NULL)
    return FALSE;
  a.server_player = server_player;
  cursor_text = json_to_string (cursor, FALSE);

  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (server_player != NULL && !set_sync_state (self, "player_id", server_player, error))
    goto fail;
  for (guint i = 0; i < G_N_ELEMENTS (pulled); i++)
    {
      JsonArray *rows = member_array (ch, pulled[i].name, FALSE, error);

      if ((rows == NULL && *error != NULL) ||
          !apply_array (&a, rows, pulled[i].name, pulled[i].apply, error))
        goto fail;
    }
  if (!apply_array (&a, deleted, "deleted", apply_deleted, error) ||
      !delete_acked (self, p, error) || !set_sync_state (self, "cursor", cursor_text, error) ||
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

/* ---- one call -------------------------------------------------------- */

static void call_next (SkSync *self);

static void
round_done (SkSync *self, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->task);

  count_pending (self);
  if (error == NULL)
    {
      self->last_success = g_get_real_time ();
      g_clear_pointer (&self->last_error, g_free);
      self->last_error = g_strdup ("");
      self->state = "idle";
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      self->state = "failing";
      g_task_return_error (task, error);
    }
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The error body of PostgREST, {code, message, …}, in words. */
static GError *
http_error (guint status, GBytes *body)
{
  g_autoptr (JsonNode) node = NULL;
  const char *code = NULL, *message = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data != NULL && len > 0)
    node = sk_json_parse_object (data, len, NULL);
  if (node != NULL)
    {
      JsonObject *o = json_node_get_object (node);

      code = json_object_get_string_member_with_default (o, "code", NULL);
      message = json_object_get_string_member_with_default (o, "message", NULL);
    }
  if (status == 401)
    return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_REFUSED,
                        "the cloud refused the anon key (HTTP 401%s%s%s%s)", code ? " " : "",
                        code ? code : "", message ? ": " : "", message ? message : "");
  if (status == 403 && g_strcmp0 (code, "PT403") == 0)
    return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_REFUSED,
                        "the cloud does not know this player's token (HTTP 403 PT403)");
  return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_HTTP, "the cloud answered HTTP %u%s%s%s%s",
                      status, code ? " " : "", code ? code : "", message ? ": " : "",
                      message ? message : "");
}

typedef struct
{
  SkSync *self;
  Push *push;
} Call;

static void
on_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  Call *call = data;
  SkSync *self = call->self;
  g_autoptr (Push) push = call->push;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *digest = NULL;
  gboolean more = FALSE;
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;
  const char *data_bytes;
  gsize len = 0;

  g_free (call);
  if (body == NULL)
    {
      GError *e;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        e = g_error_copy (error);
      else
        e = g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_NETWORK, "cannot reach the cloud: %s",
                         error->message);
      round_done (self, e);
      g_object_unref (self);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      GError *e = http_error (status, body);

      /* a cursor this database did not give (a restored project): pull
       * again from the start, once a round */
      if (status == 400 && strstr (e->message, "SK411") != NULL && !self->cursor_reset)
        {
          g_autoptr (GError) local = NULL;

          g_warning ("sync: %s; pulling again from the start", e->message);
          g_error_free (e);
          self->cursor_reset = TRUE;
          if (set_sync_state (self, "cursor", NULL, &local))
            {
              call_next (self);
              g_object_unref (self);
              return;
            }
          e = g_steal_pointer (&local);
        }
      round_done (self, e);
      g_object_unref (self);
      return;
    }
  data_bytes = g_bytes_get_data (body, &len);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data_bytes, len);
  if (g_strcmp0 (digest, self->last_digest) == 0)
    {
      round_done (self, g_error_new_literal (SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED,
                                             "the cloud's answer is the previous one again "
                                             "(a response delivered twice): nothing applied"));
      g_object_unref (self);
      return;
    }
  g_free (self->last_digest);
  self->last_digest = g_steal_pointer (&digest);
  root = sk_json_parse_object (data_bytes != NULL ? data_bytes : "", len, &error);
  if (root == NULL)
    {
      round_done (self,
                  g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_MALFORMED,
                               "the cloud's answer is malformed (cut short?): %s", error->message));
      g_object_unref (self);
      return;
    }
  if (!apply_answer (self, push, json_node_get_object (root), &more, &error))
    {
      round_done (self, g_steal_pointer (&error));
      g_object_unref (self);
      return;
    }
  count_pending (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  if ((more || push->n_pushed > 0 || self->pending > 0) && ++self->calls < CALLS_PER_ROUND)
    call_next (self);
  else
    round_done (self, NULL);
  g_object_unref (self);
}

static void
call_next (SkSync *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *server_player = dup_state (self, "player_id");
  g_autofree char *cursor = dup_state (self, "cursor");
  g_autofree char *body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers;
  Push *push;
  Call *call;

  if (self->session == NULL) /* disposed */
    {
      round_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped"));
      return;
    }
  push = read_outbox (self, server_player, &error);
  if (push == NULL)
    {
      round_done (self, g_steal_pointer (&error));
      return;
    }
  body = request_body (self, push, cursor);
  bytes = g_bytes_new_take (body, strlen (body));
  body = NULL;
  msg = soup_message_new ("POST", self->endpoint);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_append (headers, "apikey", self->anon_key);
  soup_message_headers_append (headers, "Authorization", self->bearer);
  soup_message_headers_append (headers, "Accept", "application/json");
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->push = push;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (self->task), on_answer, call);
}

void
sk_sync_run_async (SkSync *self,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task;

  g_return_if_fail (SK_IS_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sk_sync_run_async);
  if (self->task != NULL)
    {
      g_task_return_new_error (task, SK_SYNC_ERROR, SK_SYNC_ERROR_BUSY,
                               "a sync is already running");
      g_object_unref (task);
      return;
    }
  self->task = task;
  self->calls = 0;
  self->cursor_reset = FALSE;
  set_state (self, "syncing");
  call_next (self);
}

gboolean
sk_sync_run_finish (SkSync *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- scheduling ------------------------------------------------------ */

static void schedule (SkSync *self, guint ms, gboolean sooner_only);

static void
on_scheduled_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SkSync *self = SK_SYNC (source);
  g_autoptr (GError) error = NULL;
  guint delay;

  if (sk_sync_run_finish (self, result, &error))
    {
      self->failures = 0;
      schedule (self, self->interval_ms, FALSE);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* 1 s, 2 s, 4 s, … up to 5 min, each drawn from its upper half */
  delay = self->backoff_min_ms;
  for (guint i = 0; i < self->failures && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->backoff_max_ms);
  delay = (guint) g_random_int_range ((gint32) (delay / 2), (gint32) delay + 1);
  delay = MAX (delay, self->backoff_min_ms);
  self->failures++;
  g_message ("sync failed (%u in a row; next try in %.1f s): %s", self->failures, delay / 1000.0,
             error->message);
  schedule (self, delay, FALSE);
}

static gboolean
on_timer (gpointer data)
{
  SkSync *self = data;

  self->timer_id = 0;
  if (self->task == NULL)
    sk_sync_run_async (self, NULL, on_scheduled_done, NULL);
  return G_SOURCE_REMOVE;
}

/* The next round in @ms; with @sooner_only, only when that is sooner than
 * the one planned. While a round runs, its end plans the next. */
static void
schedule (SkSync *self, guint ms, gboolean sooner_only)
{
  gint64 at = g_get_monotonic_time () + (gint64) ms * 1000;

  if (self->session == NULL)
    return; /* disposed: nothing more */
  if (sooner_only && self->timer_id != 0 && self->timer_at <= at)
    return;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->timer_at = at;
  self->timer_id = g_timeout_add (ms, on_timer, self);
}

/* Another connection (the engine, soundscape-ctl) committed: when the
 * outbox has rows, a round after the debounce, unless failures hold it
 * back. */
static gboolean
on_poll (gpointer data)
{
  SkSync *self = data;
  gint64 version = sk_store_get_data_version (self->store);
  guint before = self->pending;

  if (version == self->data_version)
    return G_SOURCE_CONTINUE;
  self->data_version = version;
  count_pending (self);
  if (self->pending != before)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  if (self->pending > 0 && self->failures == 0 && self->task == NULL)
    schedule (self, self->debounce_ms, TRUE);
  return G_SOURCE_CONTINUE;
}

void
sk_sync_start (SkSync *self)
{
  g_return_if_fail (SK_IS_SYNC (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->data_version = sk_store_get_data_version (self->store);
  self->poll_id = g_timeout_add (1000, on_poll, self);
  schedule (self, 0, FALSE);
}

void
sk_sync_trigger (SkSync *self)
{
  g_return_if_fail (SK_IS_SYNC (self));

  self->failures = 0;
  if (self->task == NULL)
    schedule (self, 0, FALSE);
}

void
sk_sync_set_timing (
    SkSync *self, guint debounce_ms, guint interval_ms, guint backoff_min_ms, guint backoff_max_ms)
{
  g_return_if_fail (SK_IS_SYNC (self));
  g_return_if_fail (backoff_min_ms > 0 && backoff_min_ms <= backoff_max_ms);

  self->debounce_ms = debounce_ms;
  self->interval_ms = interval_ms;
  self->backoff_min_ms = backoff_min_ms;
  self->backoff_max_ms = backoff_max_ms;
}

/* ---- status and life ------------------------------------------------- */

const char *
sk_sync_get_state (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), NULL);
  return self->state;
}

gint64
sk_sync_get_last_success (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), 0);
  return self->last_success;
}

guint
sk_sync_get_pending (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), 0);
  return self->pending;
}

const char *
sk_sync_get_last_error (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), NULL);
  return self->last_error != NULL ? self->last_error : "";
}

static void
wipe (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
sk_sync_dispose (GObject *object)
{
  SkSync *self = SK_SYNC (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (sk_sync_parent_class)->dispose (object);
}

static void
sk_sync_finalize (GObject *object)
{
  SkSync *self = SK_SYNC (object);

  g_clear_pointer (&self->store, sk_store_unref);
  g_free (self->local_player);
  g_free (self->endpoint);
  wipe (self->anon_key);
  wipe (self->bearer);
  wipe (self->token);
  g_free (self->last_digest);
  g_free (self->last_error);
  G_OBJECT_CLASS (sk_sync_parent_class)->finalize (object);
}

static void
sk_sync_class_init (SkSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_sync_dispose;
  object_class->finalize = sk_sync_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sk_sync_init (SkSync *self)
{
  self->state = "idle";
  self->debounce_ms = 2000;
  self->interval_ms = 60000;
  self->backoff_min_ms = 1000;
  self->backoff_max_ms = 5 * 60 * 1000;
}

SkSync *
sk_sync_new (const char *db_path,
             const char *local_player_id,
             const char *url,
             const char *anon_key,
             const char *player_token,
             GError **error)
{
  g_autoptr (SkSync) self = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (db_path != NULL && local_player_id != NULL, NULL);

  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                           "no cloud URL is configured");
      return NULL;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                   "the cloud URL “%.200s” is not an http(s) URL", url);
      return NULL;
    }
  if (anon_key == NULL || *anon_key == '\0' || player_token == NULL || *player_token == '\0')
    {
      g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG, "the %s is missing",
                   anon_key == NULL || *anon_key == '\0' ? "anon key" : "player token");
      return NULL;
    }
  if (strpbrk (anon_key, "\r\n") != NULL)
    {
      g_set_error_literal (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                           "the anon key is not one line");
      return NULL;
    }

  self = g_object_new (SK_TYPE_SYNC, NULL);
  self->store = sk_store_open_full (db_path, SK_STORE_OPEN_EXISTING, error);
  if (self->store == NULL)
    return NULL;
  self->local_player = g_strdup (local_player_id);
  self->endpoint = g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/",
                                "rest/v1/rpc/kiosk_sync", NULL);
  self->anon_key = g_strdup (anon_key);
  self->bearer = g_strconcat ("Bearer ", anon_key, NULL);
  self->token = g_strdup (player_token);
  /* TLS: libsoup verifies certificates against the system's store by
   * default; nothing here ever accepts one it refused. */
  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S, "idle-timeout",
                                                 HTTP_TIMEOUT_S, "user-agent",
                                                 "soundscape-kiosk/" PACKAGE_VERSION, NULL);
  count_pending (self);
  return g_steal_pointer (&self);
}
