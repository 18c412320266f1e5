/* test-kiosk-sync: the kiosk API, kiosk_sync (sql/006_kiosk_sync.sql,
 * docs/DESIGN.md "The kiosk API"), on a real PostgreSQL with pgvector
 * (PGlite, tests/pg/sk-test-pg.h), started once for the whole program; the
 * subtests run in order on the one database, each call made as the role
 * anon, as PostgREST makes it.
 *
 * - A token is the credential: unknown or malformed tokens are refused
 *   (PT403), and another player's token cannot write this player's rows.
 * - The same batch twice: no duplicate rows, the learner applied once.
 * - Each kind of bad row gets its code, and nothing of it is applied; a
 *   malformed call is refused as a whole.
 * - A pull returns what concerns the venue and a cursor; the next pull
 *   from it returns nothing new; deletions come back as tombstones; a big
 *   pull comes in pages.
 * - Tombstones older than the horizon are pruned, and only they; a cursor
 *   older than one pruned is refused (SK412, as 400 through the gateway).
 * - Through the PostgREST-compatible gateway (tests/gateway), the codes
 *   come with the HTTP status the kiosk reads: PT403 as 403, SK4xx as 400. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sk-test-gateway.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

static SkTestPg pg;
static gboolean pg_running;
static char *pg_why_not;
static PGconn *db; /* the one client, once migrated (PGlite is one session) */

#define BAR "10000000-0000-4000-8000-000000000001"
#define CAFE "10000000-0000-4000-8000-000000000002"
#define BAR_TOKEN "bar-token-0001"
#define CAFE_TOKEN "cafe-token-0002"
#define MANAGER "20000000-0000-4000-8000-000000000001"
#define WEB "20000000-0000-4000-8000-000000000002"
#define GUEST "20000000-0000-4000-8000-000000000003"
#define RAIN "30000000-0000-4000-8000-000000000001"
#define WAVES "30000000-0000-4000-8000-000000000002"
#define LOCAL "30000000-0000-4000-8000-000000000003"
#define CAFE_PLAY "40000000-0000-4000-8000-000000000009"
#define PLAY1 "40000000-0000-4000-8000-000000000001"
#define PLAY2 "40000000-0000-4000-8000-000000000002"
#define SESSION1 "50000000-0000-4000-8000-000000000001"
#define VOTE1 "60000000-0000-4000-8000-000000000001"
#define VOTE2 "60000000-0000-4000-8000-000000000002"
#define VOTE3 "60000000-0000-4000-8000-000000000003"
#define BADGE "04A1B2C3D4E5F6"

static gboolean
skip_without_pg (void)
{
  if (pg_running && db != NULL)
    return FALSE;
  g_test_skip (pg_why_not != NULL ? pg_why_not : "the database was not migrated");
  return TRUE;
}

static int
count (const char *sql)
{
  g_autofree char *v = sk_test_pg_value (db, sql, 0, NULL);

  return v != NULL ? atoi (v) : -1;
}

/* kiosk_sync(@token, @push, @cursor) as anon: the answer, or NULL with the
 * SQLSTATE in @state when it raises (the test fails when @state is NULL). */
static JsonNode *
sync_call (const char *token, const char *push, const char *cursor, char **state)
{
  const char *params[] = { token, push, cursor };
  g_autoptr (PGresult) res = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  sk_test_pg_exec (db, "SET ROLE anon");
  res = PQexecParams (db, "SELECT public.kiosk_sync($1, $2::jsonb, $3::jsonb)", 3, NULL, params,
                      NULL, NULL, 0);
  sk_test_pg_exec (db, "RESET ROLE");
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      const char *st = PQresultErrorField (res, PG_DIAG_SQLSTATE);

      g_test_message ("kiosk_sync refused: %s %s", st ? st : "?", PQresultErrorMessage (res));
      if (state == NULL)
        g_error ("kiosk_sync failed: %s", PQresultErrorMessage (res));
      *state = g_strdup (st != NULL ? st : "");
      return NULL;
    }
  if (state != NULL)
    *state = NULL;
  node = json_from_string (PQgetvalue (res, 0, 0), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

/* The SQLSTATE kiosk_sync raises for this call (the test fails if none). */
static char *
sync_refused (const char *token, const char *push, const char *cursor)
{
  char *state = NULL;
  JsonNode *node = sync_call (token, push, cursor, &state);

  if (node != NULL)
    {
      g_autofree char *text = json_to_string (node, FALSE);

      g_error ("kiosk_sync accepted what it should refuse: %s", text);
    }
  return state;
}

static const char *
ack (JsonNode *r, const char *table, const char *id)
{
  JsonObject *acks = json_object_get_object_member (json_node_get_object (r), "acks");
  JsonObject *t = json_object_has_member (acks, table) ? json_object_get_object_member (acks, table)
                                                       : NULL;

  if (t == NULL || !json_object_has_member (t, id))
    return NULL;
  return json_object_get_string_member (t, id);
}

static JsonArray *
changes (JsonNode *r, const char *table)
{
  JsonObject *c = json_object_get_object_member (json_node_get_object (r), "changes");

  g_assert_true (json_object_has_member (c, table));
  return json_object_get_array_member (c, table);
}

/* The row of @table in @r whose @key is @value, or NULL. */
static JsonObject *
find_row (JsonArray *rows, const char *key, const char *value)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = json_array_get_object_element (rows, i);

      if (json_object_has_member (o, key) &&
          g_strcmp0 (json_object_get_string_member (o, key), value) == 0)
        return o;
    }
  return NULL;
}

static gboolean
has_tombstone (JsonNode *r, const char *table, const char *id)
{
  JsonArray *d = json_object_get_array_member (json_node_get_object (r), "deleted");

  for (guint i = 0; i < json_array_get_length (d); i++)
    {
      JsonObject *o = json_array_get_object_element (d, i);

      if (g_strcmp0 (json_object_get_string_member (o, "table"), table) == 0 &&
          g_strcmp0 (json_object_get_string_member (o, "id"), id) == 0)
        return TRUE;
    }
  return FALSE;
}

static char *
cursor_of (JsonNode *r)
{
  JsonNode *c = json_object_get_member (json_node_get_object (r), "cursor");

  g_assert_nonnull (c);
  return json_to_string (c, FALSE);
}

static gboolean
more_of (JsonNode *r)
{
  return json_object_get_boolean_member (json_node_get_object (r), "more");
}

/* TRUE when every table of the pull in @r is empty, and no tombstone. */
static gboolean
pull_is_empty (JsonNode *r)
{
  JsonObject *c = json_object_get_object_member (json_node_get_object (r), "changes");
  g_autoptr (GList) names = json_object_get_members (c);

  for (GList *l = names; l != NULL; l = l->next)
    if (json_array_get_length (json_object_get_array_member (c, l->data)) > 0)
      {
        g_test_message ("the pull has %s", (const char *) l->data);
        return FALSE;
      }
  return json_array_get_length (
             json_object_get_array_member (json_node_get_object (r), "deleted")) == 0;
}

static void
test_migrate (void)
{
  g_autofree char *out = NULL;

  if (!pg_running)
    {
      g_test_skip (pg_why_not);
      return;
    }
  out = sk_test_pg_migrate (&pg);
  g_assert_nonnull (strstr (out, "applied 006_kiosk_sync.sql\n"));

  db = sk_test_pg_connect (&pg);
  /* Two venues of one chain, a manager, a listener from the web, songs. */
  sk_test_pg_exec (db,
                   "INSERT INTO auth.users (id, email) VALUES ('" MANAGER "', 'm@example.org'), "
                   "  ('" WEB "', 'w@example.org');"
                   "INSERT INTO public.profiles (id, email, display_name) VALUES "
                   "  ('" MANAGER "', 'm@example.org', 'Manager'), ('" WEB
                   "', 'w@example.org', 'Web');"
                   "INSERT INTO public.roles (user_id, role) VALUES ('" MANAGER "', 'manager');"
                   "INSERT INTO public.players (id, name, token, manager_id) VALUES "
                   "  ('" BAR "', 'Bar', '" BAR_TOKEN "', '" MANAGER "'), "
                   "  ('" CAFE "', 'Cafe', '" CAFE_TOKEN "', NULL);"
                   "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                   "  ('" RAIN
                   "', 'Rain', 'https://media.example.org/rain.flac', '[0.9,0.2,0.1,0.3,0.4]'), "
                   "  ('" WAVES "', 'Waves', 'https://media.example.org/waves.flac', "
                   "   '[0.1,0.3,0.2,0.1,0.9]');"
                   "INSERT INTO public.player_library (player_id, song_id) VALUES ('" BAR
                   "', '" RAIN "'), "
                   "  ('" CAFE "', '" WAVES "');"
                   "INSERT INTO public.songs_playing (id, player_id, song_id) VALUES "
                   "  ('" CAFE_PLAY "', '" CAFE "', '" WAVES "');");
}

/* A token is the credential: an unknown or malformed one is PT403, and
 * another player's token cannot write this player's plays and sessions. */
static void
test_tokens (void)
{
  g_autofree char *s1 = NULL;
  g_autofree char *s2 = NULL;
  g_autofree char *s3 = NULL;
  g_autofree char *s4 = NULL;
  g_autoptr (JsonNode) r = NULL;
  const char *push = "{\"songs_playing\": [{\"id\": \"" PLAY1 "\", \"player_id\": \"" BAR "\", "
                     "\"song_id\": \"" RAIN "\", \"played_at\": \"2026-01-01T10:00:00.000000Z\"}],"
                     " \"sessions\": [{\"id\": \"" SESSION1 "\", \"user_id\": \"" WEB "\", "
                     "\"player_id\": \"" BAR "\", \"checked_in_at\": \"2026-01-01T10:00:00Z\", "
                     "\"expires_at\": \"2026-01-01T11:00:00Z\", \"status\": \"active\"}]}";

  if (skip_without_pg ())
    return;
  s1 = sync_refused ("no-such-token", push, NULL);
  g_assert_cmpstr (s1, ==, "PT403");
  s2 = sync_refused (NULL, push, NULL);
  g_assert_cmpstr (s2, ==, "PT403");
  s3 = sync_refused ("short", push, NULL);
  g_assert_cmpstr (s3, ==, "PT403");

  /* the café's token, the bar's rows */
  r = sync_call (CAFE_TOKEN, push, NULL, NULL);
  g_assert_cmpstr (ack (r, "songs_playing", PLAY1), ==, "SK405");
  g_assert_cmpstr (ack (r, "sessions", SESSION1), ==, "SK405");
  g_assert_cmpint (count ("SELECT count(*) FROM public.songs_playing WHERE id = '" PLAY1 "'"), ==,
                   0);
  g_assert_cmpint (count ("SELECT count(*) FROM public.sessions"), ==, 0);

  /* anon reaches only kiosk_sync, not its helpers nor the tables */
  sk_test_pg_exec (db, "SET ROLE anon");
  s4 = sk_test_pg_error_state (db, "SELECT soundscape.sync_push_vote($1::uuid, '{}'::jsonb)", 1,
                               (const char *[]){ BAR });
  sk_test_pg_exec (db, "RESET ROLE");
  g_assert_cmpstr (s4, ==, "42501");
}

/* The batch a kiosk pushes after a guest joined, checked in and voted on
 * two plays (one of a song it imported itself), with the profile pushed
 * again after each vote carrying the kiosk's provisional vector. */
static const char *const first_batch =
    "{\"profiles\": ["
    "  {\"id\": \"" GUEST "\", \"email\": null, \"name\": null, \"display_name\": \"Quiet Otter\","
    "   \"preference_vector\": \"[0.5,0.5,0.5,0.5,0.5]\", \"taste_momentum\": \"[0,0,0,0,0]\","
    "   \"taste_state\": null, \"is_guest\": 1, \"created_at\": \"2026-01-01T10:00:00.000000Z\","
    "   \"updated_at\": \"2026-01-01T10:00:00.000000Z\"},"
    "  {\"id\": \"" GUEST "\", \"email\": null, \"name\": null, \"display_name\": \"Quiet Otter\","
    "   \"preference_vector\": \"[0.71,0.52,0.43,0.54,0.45]\", \"taste_momentum\": \"[0,0,0,0,0]\","
    "   \"taste_state\": null, \"is_guest\": 1, \"created_at\": \"2026-01-01T10:00:00.000000Z\","
    "   \"updated_at\": \"2026-01-01T10:02:00.000000Z\"}],"
    " \"badges\": [{\"uid\": \"" BADGE "\", \"user_id\": \"" GUEST "\","
    "   \"created_at\": \"2026-01-01T10:00:00.000000Z\", \"revoked_at\": null}],"
    " \"songs\": [{\"id\": \"" LOCAL "\", \"title\": \"Fire\", \"artist\": null,"
    "   \"file_url\": \"file:///srv/music/fire.flac\", \"type\": \"soundscape\","
    "   \"embedding\": \"[0.2,0.3,0.95,0.4,0.1]\", \"duration\": 120, \"bpm\": null,"
    "   \"created_at\": \"2026-01-01T09:00:00.000000Z\", \"updated_at\": \"2026-01-01T09:00:00Z\"}],"
    " \"songs_playing\": ["
    "  {\"id\": \"" PLAY1 "\", \"player_id\": \"" BAR "\", \"song_id\": \"" RAIN "\","
    "   \"played_at\": \"2026-01-01T10:01:00.000000Z\"},"
    "  {\"id\": \"" PLAY2 "\", \"player_id\": \"" BAR "\", \"song_id\": \"" LOCAL "\","
    "   \"played_at\": \"2026-01-01T10:05:00.000000Z\"}],"
    " \"sessions\": [{\"id\": \"" SESSION1 "\", \"user_id\": \"" GUEST "\", \"player_id\": \"" BAR
    "\", \"checked_in_at\": \"2026-01-01T10:00:00.000000Z\","
    "   \"expires_at\": \"2026-01-01T11:00:00.000000Z\", \"status\": \"active\","
    "   \"created_at\": \"2026-01-01T10:00:00.000000Z\"}],"
    " \"votes\": ["
    "  {\"id\": \"" VOTE1 "\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\","
    "   \"vote_value\": 5, \"vote_time\": \"2026-01-01T10:02:00.000000Z\", \"play_id\": \"" PLAY1
    "\"},"
    "  {\"id\": \"" VOTE2 "\", \"user_id\": \"" GUEST "\", \"song_id\": \"" LOCAL "\","
    "   \"vote_value\": 2, \"vote_time\": \"2026-01-01T10:06:00.000000Z\", \"play_id\": \"" PLAY2
    "\"},"
    "  {\"id\": \"" VOTE3 "\", \"user_id\": \"" WEB "\", \"song_id\": \"" RAIN "\","
    "   \"vote_value\": 4, \"vote_time\": \"2026-01-01T10:03:00.000000Z\", \"play_id\": \"" PLAY1
    "\"}]}";

static void
assert_first_batch_acked (JsonNode *r)
{
  g_assert_cmpstr (ack (r, "profiles", GUEST), ==, "ok");
  g_assert_cmpstr (ack (r, "badges", BADGE), ==, "ok");
  g_assert_cmpstr (ack (r, "songs", LOCAL), ==, "ok");
  g_assert_cmpstr (ack (r, "songs_playing", PLAY1), ==, "ok");
  g_assert_cmpstr (ack (r, "songs_playing", PLAY2), ==, "ok");
  g_assert_cmpstr (ack (r, "sessions", SESSION1), ==, "ok");
  g_assert_cmpstr (ack (r, "votes", VOTE1), ==, "ok");
  g_assert_cmpstr (ack (r, "votes", VOTE2), ==, "ok");
  g_assert_cmpstr (ack (r, "votes", VOTE3), ==, "ok");
  g_assert_cmpint (json_array_get_length (
                       json_object_get_array_member (json_node_get_object (r), "errors")),
                   ==, 0);
}

/* The guest's state is the learner's from a neutral start over the two
 * votes in order, once each (the same arithmetic as the trigger's). */
static void
assert_learned_once (void)
{
  g_assert_cmpint (count (
                       "SELECT (p.taste_state = soundscape.learner_step(soundscape.learner_step("
                       "    soundscape.learner_from_preference('{0.5,0.5,0.5,0.5,0.5}'), "
                       "    (SELECT soundscape.vec(embedding) FROM public.songs WHERE id = '" RAIN
                       "'), 5), "
                       "  (SELECT soundscape.vec(embedding) FROM public.songs WHERE id = '" LOCAL
                       "'), 2))::int "
                       "FROM public.profiles p WHERE p.id = '" GUEST "'"),
                   ==, 1);
  /* and its vector is the learner's, not the kiosk's provisional one */
  g_assert_cmpint (count (
                       "SELECT (soundscape.vec(preference_vector) <> '{0.71,0.52,0.43,0.54,0.45}' "
                       "AND soundscape.vec(preference_vector) <> '{0.5,0.5,0.5,0.5,0.5}')::int "
                       "FROM public.profiles WHERE id = '" GUEST "'"),
                   ==, 1);
}

static void
test_push_twice (void)
{
  g_autoptr (JsonNode) r1 = NULL;
  g_autoptr (JsonNode) r2 = NULL;
  g_autofree char *state_before = NULL;
  g_autofree char *state_after = NULL;
  g_autofree char *web_before = NULL;
  g_autofree char *web_after = NULL;

  if (skip_without_pg ())
    return;
  r1 = sync_call (BAR_TOKEN, first_batch, NULL, NULL);
  assert_first_batch_acked (r1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.profiles WHERE id = '" GUEST
                          "' AND is_guest"),
                   ==, 1);
  /* a guest gets an anonymous auth.users row */
  g_assert_cmpint (count ("SELECT count(*) FROM auth.users WHERE id = '" GUEST
                          "' AND is_anonymous"),
                   ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.votes"), ==, 3);
  g_assert_cmpint (count ("SELECT count(*) FROM public.songs_playing WHERE player_id = '" BAR "'"),
                   ==, 2);
  assert_learned_once ();
  state_before = sk_test_pg_value (db,
                                   "SELECT taste_state::text FROM public.profiles WHERE id = '" GUEST
                                   "'",
                                   0, NULL);
  web_before = sk_test_pg_value (db,
                                 "SELECT taste_state::text FROM public.profiles WHERE id = '" WEB
                                 "'",
                                 0, NULL);
  g_assert_nonnull (web_before); /* the web listener's vote moved them too */

  /* The answer was lost; the kiosk sends the same batch again. */
  r2 = sync_call (BAR_TOKEN, first_batch, NULL, NULL);
  assert_first_batch_acked (r2);
  g_assert_cmpint (count ("SELECT count(*) FROM public.profiles WHERE id = '" GUEST "'"), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM auth.users WHERE id = '" GUEST "'"), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.badges"), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.songs WHERE id = '" LOCAL "'"), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.sessions"), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM public.songs_playing WHERE player_id = '" BAR "'"),
                   ==, 2);
  g_assert_cmpint (count ("SELECT count(*) FROM public.votes"), ==, 3);
  assert_learned_once ();
  state_after = sk_test_pg_value (db,
                                  "SELECT taste_state::text FROM public.profiles WHERE id = '" GUEST
                                  "'",
                                  0, NULL);
  web_after = sk_test_pg_value (db,
                                "SELECT taste_state::text FROM public.profiles WHERE id = '" WEB
                                "'",
                                0, NULL);
  g_assert_cmpstr (state_after, ==, state_before);
  g_assert_cmpstr (web_after, ==, web_before);
}

/* One bad row: its table, the row, the code, and a query that counts what
 * of it reached the database (must stay 0). */
typedef struct
{
  const char *table;
  const char *row;
  const char *code;
  const char *applied;
} BadRow;

#define BAD_ID "70000000-0000-4000-8000-0000000000"
#define T_OK "\"2026-01-01T12:00:00.000000Z\""
#define T_SQL "'2026-01-01T12:00:00Z'"

static const BadRow bad_rows[] = {
  /* vectors: wrong size, NaN, Infinity, outside 0..1, not a vector */
  { "profiles",
    "{\"id\": \"" BAD_ID "01\", \"preference_vector\": \"[0.5,0.5,0.5,0.5]\", \"is_guest\": 1}",
    "SK401", "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "01'" },
  { "profiles",
    "{\"id\": \"" BAD_ID "02\", \"preference_vector\": \"[0.5,NaN,0.5,0.5,0.5]\", \"is_guest\": 1}",
    "SK401", "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "02'" },
  { "profiles", "{\"id\": \"" BAD_ID "03\", \"preference_vector\": \"[0.5,0.5,Infinity,0.5,0.5]\"}",
    "SK401", "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "03'" },
  { "profiles", "{\"id\": \"" BAD_ID "04\", \"preference_vector\": [0.5,0.5,0.5,0.5,0.5,0.5]}",
    "SK401", "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "04'" },
  { "profiles", "{\"id\": \"" BAD_ID "05\", \"preference_vector\": \"[1.5,0.5,0.5,0.5,0.5]\"}",
    "SK401", "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "05'" },
  { "profiles", "{\"id\": \"" BAD_ID "06\", \"taste_state\": \"[1,2,3]\"}", "SK401",
    "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "06'" },
  { "songs",
    "{\"id\": \"" BAD_ID "07\", \"title\": \"T\", \"file_url\": \"file:///srv/music/7.flac\", "
    "\"embedding\": \"[0.1,0.2,0.3]\"}",
    "SK401", "SELECT count(*) FROM public.songs WHERE id = '" BAD_ID "07'" },
  { "songs",
    "{\"id\": \"" BAD_ID "08\", \"title\": \"T\", \"file_url\": \"file:///srv/music/8.flac\", "
    "\"embedding\": \"[0.1,0.2,inf,0.3,0.4]\"}",
    "SK401", "SELECT count(*) FROM public.songs WHERE id = '" BAD_ID "08'" },
  /* votes out of 1..5 or not integers */
  { "votes",
    "{\"id\": \"" BAD_ID "10\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 0, \"vote_time\": " T_OK "}",
    "SK402", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "10'" },
  { "votes",
    "{\"id\": \"" BAD_ID "11\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 6, \"vote_time\": " T_OK "}",
    "SK402", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "11'" },
  { "votes",
    "{\"id\": \"" BAD_ID "12\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 2.5, \"vote_time\": " T_OK "}",
    "SK402", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "12'" },
  { "votes",
    "{\"id\": \"" BAD_ID "13\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": \"4\", \"vote_time\": " T_OK "}",
    "SK402", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "13'" },
  /* timestamps: far in the future, impossible, before 2000, no zone */
  { "votes",
    "{\"id\": \"" BAD_ID "14\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 4, \"vote_time\": \"2100-01-01T00:00:00Z\"}",
    "SK403", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "14'" },
  { "songs_playing",
    "{\"id\": \"" BAD_ID "15\", \"player_id\": \"" BAR "\", \"song_id\": \"" RAIN "\", "
    "\"played_at\": \"2026-02-30T10:00:00Z\"}",
    "SK403", "SELECT count(*) FROM public.songs_playing WHERE id = '" BAD_ID "15'" },
  { "songs_playing",
    "{\"id\": \"" BAD_ID "16\", \"player_id\": \"" BAR "\", \"song_id\": \"" RAIN "\", "
    "\"played_at\": \"1970-01-01T00:00:00Z\"}",
    "SK403", "SELECT count(*) FROM public.songs_playing WHERE id = '" BAD_ID "16'" },
  { "sessions",
    "{\"id\": \"" BAD_ID "17\", \"user_id\": \"" GUEST "\", \"player_id\": \"" BAR "\", "
    "\"checked_in_at\": \"2026-01-01T12:00:00\", \"expires_at\": " T_OK ", \"status\": \"active\"}",
    "SK403", "SELECT count(*) FROM public.sessions WHERE id = '" BAD_ID "17'" },
  { "sessions",
    "{\"id\": \"" BAD_ID "18\", \"user_id\": \"" GUEST "\", \"player_id\": \"" BAR "\", "
    "\"checked_in_at\": \"2026-01-01T13:00:00Z\", \"expires_at\": " T_OK
    ", \"status\": \"active\"}",
    "SK403", "SELECT count(*) FROM public.sessions WHERE id = '" BAD_ID "18'" },
  /* sizes */
  { "profiles", NULL /* a display name of 201 characters, made below */, "SK404",
    "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "20'" },
  /* shapes */
  { "votes", "42", "SK400", "SELECT count(*) FROM public.votes WHERE vote_time = " T_SQL },
  { "votes",
    "{\"id\": \"not-a-uuid\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 4, \"vote_time\": " T_OK "}",
    "SK400", "SELECT count(*) FROM public.votes WHERE vote_time = " T_SQL },
  { "votes",
    "{\"id\": \"" BAD_ID "22\", \"song_id\": \"" RAIN "\", \"vote_value\": 4, "
    "\"vote_time\": " T_OK "}",
    "SK400", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "22'" },
  { "votes",
    "{\"id\": \"" BAD_ID "23\", \"user_id\": [\"" GUEST "\"], \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 4, \"vote_time\": " T_OK "}",
    "SK400", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "23'" },
  { "badges", "{\"uid\": \"04a1b2c3\", \"user_id\": \"" GUEST "\"}", "SK400",
    "SELECT count(*) FROM public.badges WHERE upper(uid) = '04A1B2C3'" },
  { "sessions",
    "{\"id\": \"" BAD_ID "25\", \"user_id\": \"" GUEST "\", \"player_id\": \"" BAR "\", "
    "\"checked_in_at\": " T_OK ", \"expires_at\": " T_OK ", \"status\": \"maybe\"}",
    "SK400", "SELECT count(*) FROM public.sessions WHERE id = '" BAD_ID "25'" },
  { "profiles", "{\"id\": \"" BAD_ID "26\", \"display_name\": \"Tab\\there\"}", "SK400",
    "SELECT count(*) FROM public.profiles WHERE id = '" BAD_ID "26'" },
  /* ids of another venue */
  { "songs_playing",
    "{\"id\": \"" BAD_ID "30\", \"player_id\": \"" CAFE "\", \"song_id\": \"" RAIN "\", "
    "\"played_at\": " T_OK "}",
    "SK405", "SELECT count(*) FROM public.songs_playing WHERE id = '" BAD_ID "30'" },
  { "votes",
    "{\"id\": \"" BAD_ID "31\", \"user_id\": \"" GUEST "\", \"song_id\": \"" WAVES "\", "
    "\"vote_value\": 4, \"vote_time\": " T_OK ", \"play_id\": \"" CAFE_PLAY "\"}",
    "SK405", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "31'" },
  { "sessions",
    "{\"id\": \"" BAD_ID "32\", \"user_id\": \"" GUEST "\", \"player_id\": \"" CAFE "\", "
    "\"checked_in_at\": " T_OK ", \"expires_at\": " T_OK ", \"status\": \"active\"}",
    "SK405", "SELECT count(*) FROM public.sessions WHERE id = '" BAD_ID "32'" },
  { "badges", "{\"uid\": \"" BADGE "\", \"user_id\": \"" WEB "\"}", "SK405",
    "SELECT count(*) FROM public.badges WHERE user_id = '" WEB "'" },
  { "profiles", "{\"id\": \"" WEB "\", \"display_name\": \"Renamed\", \"is_guest\": 0}", "SK405",
    "SELECT count(*) FROM public.profiles WHERE display_name = 'Renamed'" },
  /* references the server does not have */
  { "votes",
    "{\"id\": \"" BAD_ID "40\", \"user_id\": \"" GUEST "\", \"song_id\": \"" BAD_ID "99\", "
    "\"vote_value\": 4, \"vote_time\": " T_OK "}",
    "SK406", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "40'" },
  { "sessions",
    "{\"id\": \"" BAD_ID "41\", \"user_id\": \"" BAD_ID "98\", \"player_id\": \"" BAR "\", "
    "\"checked_in_at\": " T_OK ", \"expires_at\": " T_OK ", \"status\": \"active\"}",
    "SK406", "SELECT count(*) FROM public.sessions WHERE id = '" BAD_ID "41'" },
  /* conflicts: another song's file_url, a second vote for one play */
  { "songs",
    "{\"id\": \"" BAD_ID "50\", \"title\": \"T\", \"file_url\": "
    "\"file:///srv/music/fire.flac\", \"embedding\": \"[0.1,0.2,0.3,0.4,0.5]\"}",
    "SK409", "SELECT count(*) FROM public.songs WHERE id = '" BAD_ID "50'" },
  /* a kiosk does not add to the catalogue every kiosk pulls */
  { "songs",
    "{\"id\": \"" BAD_ID "52\", \"title\": \"T\", \"file_url\": "
    "\"https://media.example.org/new.flac\", \"embedding\": \"[0.1,0.2,0.3,0.4,0.5]\"}",
    "SK400", "SELECT count(*) FROM public.songs WHERE id = '" BAD_ID "52'" },
  { "votes",
    "{\"id\": \"" BAD_ID "51\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
    "\"vote_value\": 1, \"vote_time\": " T_OK ", \"play_id\": \"" PLAY1 "\"}",
    "SK409", "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID "51'" },
};

static void
test_bad_rows (void)
{
  g_autofree char *state_before = NULL;
  g_autofree char *state_after = NULL;

  if (skip_without_pg ())
    return;
  state_before = sk_test_pg_value (db,
                                   "SELECT taste_state::text FROM public.profiles WHERE id = '" GUEST
                                   "'",
                                   0, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (bad_rows); i++)
    {
      const BadRow *b = &bad_rows[i];
      g_autofree char *long_row = NULL;
      g_autofree char *push = NULL;
      g_autofree char *good = NULL;
      g_autofree char *good_id = NULL;
      g_autofree char *good_sql = NULL;
      const char *good_table;
      g_autoptr (JsonNode) r = NULL;
      JsonArray *errors;
      JsonObject *e;
      const char *row = b->row;

      if (row == NULL)
        {
          g_autofree char *name = g_strnfill (201, 'a');

          row = long_row = g_strdup_printf ("{\"id\": \"" BAD_ID
                                            "20\", \"display_name\": \"%s\", \"is_guest\": 1}",
                                            name);
        }
      /* with one good row, which is applied whatever its neighbour: a
       * badge, or beside a bad badge a play */
      good_table = strcmp (b->table, "badges") == 0 ? "songs_playing" : "badges";
      good_id = strcmp (b->table, "badges") == 0
                    ? g_strdup_printf ("72000000-0000-4000-8000-%012u", i)
                    : g_strdup_printf ("0A0B0C%02X", i);
      good = strcmp (b->table, "badges") == 0
                 ? g_strdup_printf ("{\"id\": \"%s\", \"player_id\": \"" BAR "\", "
                                    "\"song_id\": \"" RAIN "\", \"played_at\": " T_OK "}",
                                    good_id)
                 : g_strdup_printf ("{\"uid\": \"%s\", \"user_id\": \"" GUEST "\"}", good_id);
      push = g_strdup_printf ("{\"%s\": [%s], \"%s\": [%s]}", b->table, row, good_table, good);
      g_test_message ("bad row %u: %s", i, push);
      r = sync_call (BAR_TOKEN, push, NULL, NULL);
      errors = json_object_get_array_member (json_node_get_object (r), "errors");
      g_assert_cmpuint (json_array_get_length (errors), ==, 1);
      e = json_array_get_object_element (errors, 0);
      g_test_message ("→ %s (%s)", json_object_get_string_member (e, "code"),
                      json_object_get_string_member (e, "message"));
      g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, b->code);
      g_assert_cmpstr (ack (r, b->table, json_object_get_string_member (e, "id")), ==, b->code);
      g_assert_cmpint (count (b->applied), ==, 0);
      g_assert_cmpstr (ack (r, good_table, good_id), ==, "ok");
      good_sql = g_strdup_printf ("SELECT count(*) FROM public.%s WHERE %s = '%s'", good_table,
                                  strcmp (good_table, "badges") == 0 ? "uid" : "id::text", good_id);
      g_assert_cmpint (count (good_sql), ==, 1);
    }
  /* a row that is not an object is acknowledged by its place */
  {
    g_autoptr (JsonNode) r = sync_call (BAR_TOKEN, "{\"votes\": [7]}", NULL, NULL);

    g_assert_cmpstr (ack (r, "votes", "#0"), ==, "SK400");
  }
  /* a kiosk's clock a few hours fast is tolerated */
  {
    g_autofree char
        *at = sk_test_pg_value (db,
                                "SELECT to_char(now() AT TIME ZONE 'UTC' + interval '3 hours', "
                                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                                0, NULL);
    g_autofree char *push = g_strdup_printf ("{\"songs_playing\": [{\"id\": \"" BAD_ID
                                             "60\", \"player_id\": \"" BAR "\", "
                                             "\"song_id\": \"" RAIN "\", \"played_at\": \"%s\"}]}",
                                             at);
    g_autoptr (JsonNode) r = sync_call (BAR_TOKEN, push, NULL, NULL);

    g_assert_cmpstr (ack (r, "songs_playing", BAD_ID "60"), ==, "ok");
  }
  /* none of the refused votes reached the learner */
  state_after = sk_test_pg_value (db,
                                  "SELECT taste_state::text FROM public.profiles WHERE id = '" GUEST
                                  "'",
                                  0, NULL);
  g_assert_cmpstr (state_after, ==, state_before);
  g_assert_cmpint (count ("SELECT count(*) FROM public.votes"), ==, 3);
}

/* A malformed call is refused as a whole: nothing of it is applied. */
static void
test_bad_calls (void)
{
  static const struct
  {
    const char *push;
    const char *cursor;
    const char *state;
  } calls[] = {
    { "[]", NULL, "SK410" },
    { "\"votes\"", NULL, "SK410" },
    { "{\"players\": []}", NULL, "SK410" },
    { "{\"votes\": {}}", NULL, "SK410" },
    { NULL, "[]", "SK411" },
    { NULL, "{\"v\": 2, \"s\": \"1:1:\"}", "SK411" },
    { NULL, "{\"v\": 1, \"s\": \"abc\"}", "SK411" },
    { NULL, "{\"v\": 1, \"s\": \"10:5:\"}", "SK411" },
    { NULL, "{\"v\": 1, \"s\": \"900000000000:900000000000:\"}", "SK411" },
    { NULL, "{\"v\": 1, \"s\": \"1:1:\", \"h\": \"1:1:\", \"p\": {\"songs\": \"x\"}}", "SK411" },
  };
  const char *good = "{\"id\": \"" BAD_ID "70\", \"player_id\": \"" BAR "\", "
                     "\"song_id\": \"" RAIN "\", \"played_at\": " T_OK "}";

  if (skip_without_pg ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autofree char *push = NULL;
      g_autofree char *state = NULL;

      /* with a good row beside the fault, where the push is an object */
      if (calls[i].push != NULL && calls[i].push[0] == '{')
        push = g_strdup_printf ("{\"songs_playing\": [%s], %s", good, calls[i].push + 1);
      else if (calls[i].push != NULL)
        push = g_strdup (calls[i].push);
      else
        push = g_strdup_printf ("{\"songs_playing\": [%s]}", good);
      state = sync_refused (BAR_TOKEN, push, calls[i].cursor);
      g_assert_cmpstr (state, ==, calls[i].state);
      g_assert_cmpint (count ("SELECT count(*) FROM public.songs_playing WHERE id = '" BAD_ID
                              "70'"),
                       ==, 0);
    }
  /* more than 500 rows */
  {
    g_autoptr (GString) push = g_string_new ("{\"songs_playing\": [");
    g_autofree char *state = NULL;

    for (guint i = 0; i < 501; i++)
      g_string_append_printf (push,
                              "%s{\"id\": \"71000000-0000-4000-8000-%012u\", \"player_id\": \"" BAR
                              "\", \"song_id\": \"" RAIN "\", \"played_at\": " T_OK "}",
                              i ? ", " : "", i);
    g_string_append (push, "]}");
    state = sync_refused (BAR_TOKEN, push->str, NULL);
    g_assert_cmpstr (state, ==, "SK413");
    g_assert_cmpint (count ("SELECT count(*) FROM public.songs_playing WHERE id::text LIKE '71%'"),
                     ==, 0);
  }
}

/* What a pull returns, and that the next pull from its cursor returns
 * nothing new. */
static void
test_pull (void)
{
  g_autoptr (JsonNode) r = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autoptr (JsonNode) cafe = NULL;
  g_autoptr (JsonNode) web = NULL;
  g_autoptr (JsonNode) echo = NULL;
  g_autoptr (JsonNode) echoed = NULL;
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;
  g_autofree char *c3 = NULL;
  g_autofree char *c4 = NULL;
  JsonArray *players;
  JsonObject *guest;

  if (skip_without_pg ())
    return;
  r = sync_call (BAR_TOKEN, NULL, NULL, NULL);
  g_assert_false (more_of (r));
  /* every http(s) song, not the file: one a kiosk imported */
  g_assert_nonnull (find_row (changes (r, "songs"), "id", RAIN));
  g_assert_nonnull (find_row (changes (r, "songs"), "id", WAVES));
  g_assert_null (find_row (changes (r, "songs"), "id", LOCAL));
  g_assert_cmpstr (json_object_get_string_member (find_row (changes (r, "songs"), "id", RAIN),
                                                  "file_url"),
                   ==, "https://media.example.org/rain.flac");
  /* this player's library and row, never its token */
  g_assert_cmpuint (json_array_get_length (changes (r, "player_library")), ==, 1);
  players = changes (r, "players");
  g_assert_cmpuint (json_array_get_length (players), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (players, 0), "id"),
                   ==, BAR);
  g_assert_false (json_object_has_member (json_array_get_object_element (players, 0), "token"));
  /* its sessions; the profiles of its manager and of badge holders,
   * without e-mail; not the web listener, who has neither here */
  g_assert_nonnull (find_row (changes (r, "sessions"), "id", SESSION1));
  g_assert_nonnull (find_row (changes (r, "profiles"), "id", MANAGER));
  guest = find_row (changes (r, "profiles"), "id", GUEST);
  g_assert_nonnull (guest);
  g_assert_false (
      json_object_has_member (find_row (changes (r, "profiles"), "id", MANAGER), "email"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (guest, "taste_state")), ==,
                    29);
  g_assert_true (
      g_str_has_prefix (json_object_get_string_member (guest, "preference_vector"), "["));
  g_assert_null (find_row (changes (r, "profiles"), "id", WEB));
  g_assert_nonnull (find_row (changes (r, "badges"), "uid", BADGE));
  g_assert_nonnull (find_row (changes (r, "roles"), "user_id", MANAGER));

  /* nothing changed: nothing comes */
  c1 = cursor_of (r);
  again = sync_call (BAR_TOKEN, NULL, c1, NULL);
  g_assert_true (pull_is_empty (again));
  c2 = cursor_of (again);

  /* the café: its own library and row, no sessions of the bar; the badge
   * holders of the chain, not the bar's manager */
  cafe = sync_call (CAFE_TOKEN, NULL, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (changes (cafe, "player_library")), ==, 1);
  g_assert_nonnull (find_row (changes (cafe, "player_library"), "song_id", WAVES));
  g_assert_cmpuint (json_array_get_length (changes (cafe, "sessions")), ==, 0);
  g_assert_nonnull (find_row (changes (cafe, "profiles"), "id", GUEST));
  g_assert_null (find_row (changes (cafe, "profiles"), "id", MANAGER));

  /* The web listener checks in at the bar from the web: the session, and
   * their profile (unchanged, but now of this venue) come. */
  sk_test_pg_exec (db, "INSERT INTO public.sessions (user_id, player_id) VALUES ('" WEB "', '" BAR
                       "')");
  web = sync_call (BAR_TOKEN, NULL, c2, NULL);
  g_assert_nonnull (find_row (changes (web, "sessions"), "user_id", WEB));
  g_assert_nonnull (find_row (changes (web, "profiles"), "id", WEB));
  g_assert_cmpuint (json_array_get_length (changes (web, "songs")), ==, 0);
  c3 = cursor_of (web);

  /* What a call pushes comes back in the next pull, not in its own. */
  echo = sync_call (BAR_TOKEN,
                    "{\"sessions\": [{\"id\": \"" SESSION1 "\", \"user_id\": \"" GUEST
                    "\", \"player_id\": \"" BAR "\", \"checked_in_at\": "
                    "\"2026-01-01T10:00:00Z\", \"expires_at\": \"2026-01-01T10:30:00Z\", "
                    "\"status\": \"inactive\"}]}",
                    c3, NULL);
  g_assert_cmpstr (ack (echo, "sessions", SESSION1), ==, "ok");
  g_assert_true (pull_is_empty (echo));
  c4 = cursor_of (echo);
  echoed = sync_call (BAR_TOKEN, NULL, c4, NULL);
  g_assert_cmpstr (json_object_get_string_member (find_row (changes (echoed, "sessions"), "id",
                                                            SESSION1),
                                                  "status"),
                   ==, "inactive");
  {
    g_autofree char *c5 = cursor_of (echoed);
    g_autoptr (JsonNode) quiet = sync_call (BAR_TOKEN, NULL, c5, NULL);

    g_assert_true (pull_is_empty (quiet)); /* and the call's last_poll stamp is not news */
  }
}

/* Deletions come back as tombstones, to the venues they concern. */
static void
test_tombstones (void)
{
  g_autoptr (JsonNode) bar0 = NULL;
  g_autoptr (JsonNode) cafe0 = NULL;
  g_autoptr (JsonNode) bar = NULL;
  g_autoptr (JsonNode) cafe = NULL;
  g_autoptr (JsonNode) after = NULL;
  g_autofree char *cb = NULL;
  g_autofree char *cc = NULL;
  g_autofree char *cb2 = NULL;
  g_autofree char *bar_lib = NULL;
  g_autofree char *cafe_lib = NULL;

  if (skip_without_pg ())
    return;
  bar0 = sync_call (BAR_TOKEN, NULL, NULL, NULL);
  cafe0 = sync_call (CAFE_TOKEN, NULL, NULL, NULL);
  cb = cursor_of (bar0);
  cc = cursor_of (cafe0);
  bar_lib = sk_test_pg_value (db,
                              "SELECT id::text FROM public.player_library WHERE player_id = '" BAR
                              "'",
                              0, NULL);
  cafe_lib = sk_test_pg_value (db,
                               "SELECT id::text FROM public.player_library WHERE player_id = '" CAFE
                               "'",
                               0, NULL);
  /* the bar's library row, a song (and with it the café's library row
   * that names it), a badge */
  sk_test_pg_exec (db, "DELETE FROM public.player_library WHERE player_id = '" BAR "';"
                       "DELETE FROM public.songs_playing WHERE song_id = '" WAVES "';"
                       "DELETE FROM public.votes WHERE song_id = '" WAVES "';"
                       "DELETE FROM public.songs WHERE id = '" WAVES "';"
                       "DELETE FROM public.badges WHERE uid = '" BADGE "';");
  bar = sync_call (BAR_TOKEN, NULL, cb, NULL);
  g_assert_true (has_tombstone (bar, "player_library", bar_lib));
  g_assert_true (has_tombstone (bar, "songs", WAVES));
  g_assert_true (has_tombstone (bar, "badges", BADGE));
  g_assert_false (has_tombstone (bar, "player_library", cafe_lib));
  cafe = sync_call (CAFE_TOKEN, NULL, cc, NULL);
  g_assert_true (has_tombstone (cafe, "player_library", cafe_lib));
  g_assert_true (has_tombstone (cafe, "songs", WAVES));
  g_assert_true (has_tombstone (cafe, "badges", BADGE));
  g_assert_false (has_tombstone (cafe, "player_library", bar_lib));

  /* once told, not again */
  cb2 = cursor_of (bar);
  after = sync_call (BAR_TOKEN, NULL, cb2, NULL);
  g_assert_true (pull_is_empty (after));
}

/* A pull bigger than a page comes in pages, every row once. */
static void
test_pages (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  g_autoptr (JsonNode) start = NULL;
  guint pages = 0;
  gboolean more = TRUE;

  if (skip_without_pg ())
    return;
  start = sync_call (BAR_TOKEN, NULL, NULL, NULL);
  cursor = cursor_of (start);
  sk_test_pg_exec (db, "INSERT INTO public.songs (title, file_url, embedding) "
                       "SELECT 'Song ' || i, 'https://media.example.org/many/' || i || '.flac', "
                       "  '[0.5,0.5,0.5,0.5,0.5]' FROM generate_series(1, 2100) i");
  while (more)
    {
      g_autoptr (JsonNode) r = sync_call (BAR_TOKEN, NULL, cursor, NULL);
      JsonArray *songs = changes (r, "songs");

      g_assert_cmpuint (json_array_get_length (songs), <=, 1000);
      for (guint i = 0; i < json_array_get_length (songs); i++)
        g_assert_true (
            g_hash_table_add (seen,
                              g_strdup (
                                  json_object_get_string_member (json_array_get_object_element (songs,
                                                                                                i),
                                                                 "id"))));
      more = more_of (r);
      g_free (cursor);
      cursor = cursor_of (r);
      g_assert_cmpuint (++pages, <=, 4);
    }
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 2100);
  {
    g_autoptr (JsonNode) r = sync_call (BAR_TOKEN, NULL, cursor, NULL);

    g_assert_true (pull_is_empty (r));
  }
}

#define OLD_SONG "31000000-0000-4000-8000-000000000001"
#define NEWER_SONG "31000000-0000-4000-8000-000000000002"
#define PRUNE_GUEST "21000000-0000-4000-8000-000000000001"

/* The cursor of a pull from @cursor (NULL: the start) to its last page. */
static char *
caught_up (const char *cursor)
{
  char *c = g_strdup (cursor);
  gboolean more = TRUE;

  for (guint pages = 0; more; pages++)
    {
      g_autoptr (JsonNode) r = sync_call (BAR_TOKEN, NULL, c, NULL);

      g_assert_cmpuint (pages, <, 20);
      more = more_of (r);
      g_free (c);
      c = cursor_of (r);
    }
  return c;
}

static int
tombstones_of (const char *row_key)
{
  const char *params[] = { row_key };
  g_autofree char
      *v = sk_test_pg_value (db, "SELECT count(*) FROM soundscape.tombstones WHERE row_key = $1", 1,
                             params);

  return atoi (v);
}

/* Pruning (sql/008_tombstone_pruning.sql) removes the tombstones older
 * than the horizon, and only those; a cursor older than a tombstone
 * pruned is refused with SK412, its push not applied; a first pull and a
 * cursor newer than every tombstone pruned are served. Only the owner
 * prunes. */
static void
test_prune (void)
{
  g_autofree char *before = NULL, *after = NULL, *state = NULL, *anon_state = NULL;
  g_autofree char *n = NULL, *again = NULL;
  g_autoptr (JsonNode) fine = NULL;
  int total;

  if (skip_without_pg ())
    return;
  before = caught_up (NULL);
  sk_test_pg_exec (db, "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                       "('" OLD_SONG "', 'Old', 'https://media.example.org/old.flac', "
                       "  '[0.5,0.5,0.5,0.5,0.5]'), "
                       "('" NEWER_SONG "', 'Newer', 'https://media.example.org/newer.flac', "
                       "  '[0.5,0.5,0.5,0.5,0.5]');"
                       "DELETE FROM public.songs WHERE id IN ('" OLD_SONG "', '" NEWER_SONG "');"
                       "UPDATE soundscape.tombstones SET deleted_at = now() - interval '31 days' "
                       "  WHERE row_key = '" OLD_SONG "';"
                       "UPDATE soundscape.tombstones SET deleted_at = now() - interval '29 days' "
                       "  WHERE row_key = '" NEWER_SONG "';");
  after = caught_up (before);
  total = count ("SELECT count(*) FROM soundscape.tombstones");
  g_assert_cmpint (tombstones_of (OLD_SONG), ==, 1);

  /* the default horizon, 30 days: the old one goes, nothing else */
  n = sk_test_pg_value (db, "SELECT soundscape.prune_tombstones()", 0, NULL);
  g_assert_cmpstr (n, ==, "1");
  g_assert_cmpint (tombstones_of (OLD_SONG), ==, 0);
  g_assert_cmpint (tombstones_of (NEWER_SONG), ==, 1);
  g_assert_cmpint (count ("SELECT count(*) FROM soundscape.tombstones"), ==, total - 1);
  g_free (n);
  n = sk_test_pg_value (db, "SELECT soundscape.prune_tombstones()", 0, NULL);
  g_assert_cmpstr (n, ==, "0");

  /* a cursor from before the deletion would miss it: refused, the push
   * with it not applied */
  state = sync_refused (BAR_TOKEN,
                        "{\"profiles\": [{\"id\": \"" PRUNE_GUEST "\", \"is_guest\": true}]}",
                        before);
  g_assert_cmpstr (state, ==, "SK412");
  g_assert_cmpint (count ("SELECT count(*) FROM public.profiles WHERE id = '" PRUNE_GUEST "'"), ==,
                   0);
  /* a cursor from after it, and a first pull, are served */
  fine = sync_call (BAR_TOKEN, NULL, after, NULL);
  g_assert_true (pull_is_empty (fine));
  again = caught_up (NULL);

  /* a shorter horizon (a manager's setting) prunes the newer one too */
  sk_test_pg_exec (db, "UPDATE soundscape.tombstone_pruning SET horizon = interval '28 days'");
  g_free (n);
  n = sk_test_pg_value (db, "SELECT soundscape.prune_tombstones()", 0, NULL);
  g_assert_cmpstr (n, ==, "1");
  g_assert_cmpint (tombstones_of (NEWER_SONG), ==, 0);
  sk_test_pg_exec (db, "UPDATE soundscape.tombstone_pruning SET horizon = interval '30 days'");
  g_clear_pointer (&fine, json_node_unref);
  fine = sync_call (BAR_TOKEN, NULL, again, NULL);
  g_assert_true (pull_is_empty (fine));

  /* the API's roles cannot prune */
  sk_test_pg_exec (db, "SET ROLE anon");
  anon_state = sk_test_pg_error_state (db, "SELECT soundscape.prune_tombstones()", 0, NULL);
  sk_test_pg_exec (db, "RESET ROLE");
  g_assert_cmpstr (anon_state, ==, "42501");
}

/* kiosk_sync as the kiosk calls it, POST /rest/v1/rpc/kiosk_sync through
 * the gateway: the status and the body. */
static char *
http_sync (SkTestGateway *gw, const char *key, const char *body, guint *status)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *base = sk_test_gateway_url (gw);
  g_autofree char *url = g_strconcat (base, "/rest/v1/rpc/kiosk_sync", NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *bearer = g_strconcat ("Bearer ", key, NULL);
  g_autoptr (GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_append (soup_message_get_request_headers (msg), "apikey", key);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

static void
test_http (void)
{
  static const struct
  {
    const char *body;
    guint status;
    const char *code; /* the error body's code; NULL for an answer */
  } calls[] = {
    { "{\"p_token\": \"" BAR_TOKEN "\", \"p_push\": null, \"p_cursor\": null}", 200, NULL },
    { "{\"p_token\": \"nobody-has-this-token\", \"p_push\": null, \"p_cursor\": null}", 403,
      "PT403" },
    { "{\"p_token\": \"" BAR_TOKEN "\", \"p_push\": [], \"p_cursor\": null}", 400, "SK410" },
    { "{\"p_token\": \"" BAR_TOKEN "\", \"p_push\": null, \"p_cursor\": {\"v\": 9}}", 400,
      "SK411" },
    { "{\"p_token\": \"" BAR_TOKEN "\", \"p_push\": null, \"p_cursor\": {\"v\": 1, "
      "\"s\": \"3:3:\"}}",
      400, "SK412" },
    /* a bad row is no error of the call: 200, with its code in acks */
    { "{\"p_token\": \"" BAR_TOKEN "\", \"p_cursor\": null, \"p_push\": {\"votes\": "
      "[{\"id\": \"" BAD_ID "80\", \"user_id\": \"" GUEST "\", \"song_id\": \"" RAIN "\", "
      "\"vote_value\": 9, \"vote_time\": " T_OK "}]}}",
      200, NULL },
  };
  const char *secret = "test-only-jwt-secret-with-at-least-32-characters";
  g_autofree char *info = NULL;
  g_autofree char *anon = NULL;
  g_autoptr (GError) error = NULL;
  SkTestGateway *gw;

  if (skip_without_pg ())
    return;
  g_clear_pointer (&db, PQfinish); /* the gateway holds the one session now */
  info = sk_test_pg_conninfo (&pg);
  gw = sk_test_gateway_start (info, secret, &error);
  g_assert_no_error (error);
  anon = sk_test_jwt (secret, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr (JsonNode) body = NULL;
      guint status = 0;
      g_autofree char *text = http_sync (gw, anon, calls[i].body, &status);

      /* a pull's body is hundreds of KB: its start is enough to see what came */
      g_test_message ("HTTP %u, %zu bytes: %.300s%s", status, strlen (text), text,
                      strlen (text) > 300 ? "…" : "");
      g_assert_cmpuint (status, ==, calls[i].status);
      body = json_from_string (text, &error);
      g_assert_no_error (error);
      if (calls[i].code != NULL)
        g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "code"), ==,
                         calls[i].code);
      else
        g_assert_true (json_object_has_member (json_node_get_object (body), "cursor"));
    }
  {
    g_autofree char *n = sk_test_gateway_sql (gw,
                                              "SELECT count(*) FROM public.votes WHERE id = '" BAD_ID
                                              "80'");

    g_assert_cmpstr (n, ==, "0");
  }
  sk_test_gateway_stop (gw);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  pg_running = sk_test_pg_start (&pg, &pg_why_not);

  g_test_add_func ("/kiosk-sync/1-migrate", test_migrate);
  g_test_add_func ("/kiosk-sync/2-tokens", test_tokens);
  g_test_add_func ("/kiosk-sync/3-push-twice", test_push_twice);
  g_test_add_func ("/kiosk-sync/4-bad-rows", test_bad_rows);
  g_test_add_func ("/kiosk-sync/5-bad-calls", test_bad_calls);
  g_test_add_func ("/kiosk-sync/6-pull", test_pull);
  g_test_add_func ("/kiosk-sync/7-tombstones", test_tombstones);
  g_test_add_func ("/kiosk-sync/8-pages", test_pages);
  g_test_add_func ("/kiosk-sync/8-prune", test_prune);
  g_test_add_func ("/kiosk-sync/9-http", test_http);
  rc = g_test_run ();
  g_clear_pointer (&db, PQfinish);
  sk_test_pg_stop (&pg);
  g_free (pg_why_not);
  return rc;
}
