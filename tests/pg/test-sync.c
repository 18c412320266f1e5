/* test-sync: the kiosk's sync client (src/core/sk-sync.c) against the real
 * cloud: PGlite with pgvector (sk-test-pg.h), migrated by soundscape-ctl,
 * behind the PostgREST-compatible gateway (tests/gateway), with a real
 * engine on a real SQLite database making the local writes.
 *
 * - The first round pulls the venue: its songs, its library, its name.
 * - Check-ins, plays and votes go up; the server holds each row once and
 *   the tastes its learner computed come back to the kiosk.
 * - Unplugged: the writes pile up in the outbox, the error says so in
 *   words; plugged back, the outbox drains, every row once.
 * - Each fault of the gateway (a delay, 500, 503, a connection dropped
 *   after the commit, a body cut short, an expired JWT, the same response
 *   delivered twice) fails or delays a call and loses nothing, applies
 *   nothing twice.
 * - A pull never undoes a vote still in the outbox.
 * - A new kiosk joining a large library (2 500 songs, more than a page)
 *   pulls it page by page to the end: every song once, nothing waits,
 *   and the cursor it keeps is a finished pull's.
 * - Tombstones pruned (sql/008_tombstone_pruning.sql): a kiosk within
 *   the horizon pulls a deletion as before; a kiosk whose cursor is older
 *   than the tombstones pruned pulls everything again and ends with
 *   exactly the server's rows, its own writes meanwhile pushed, not lost;
 *   a full pull under way when the sync stopped begins again.
 * - Chaos (/sync/chaos, its own meson test): 1 000 votes and 200 check-ins
 *   while every fault comes at random for 60 s; then the outbox drains
 *   within 30 s, the server holds exactly those rows, and its tastes equal
 *   the C learner's replay of each listener's votes. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-sync.h"
#include "sk-taste.h"
#include "sk-test-gateway.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"
#include "sk-util.h"

#define SECRET "test-only-jwt-secret-with-at-least-32-characters"
#define BAR "10000000-0000-4000-8000-000000000001"
#define BAR_TOKEN "bar-token-0001"
#define MANAGER "20000000-0000-4000-8000-000000000001"

static const SkTestSong cloud_songs[] = {
  { "30000000-0000-4000-8000-000000000001", { 0.9, 0.2, 0.1, 0.3, 0.4 } },
  { "30000000-0000-4000-8000-000000000002", { 0.1, 0.3, 0.2, 0.1, 0.9 } },
  { "30000000-0000-4000-8000-000000000003", { 0.2, 0.8, 0.3, 0.7, 0.1 } },
  { "30000000-0000-4000-8000-000000000004", { 0.4, 0.1, 0.9, 0.2, 0.3 } },
};

static SkTestPg pg;
static char *pg_why_not;
static SkTestGateway *gw;
static char *dir;
static SkEngine *engine;
static SkSync *sync_client;
static guint n_listeners;
static char *altered_user; /* a taste another venue moved (test 5) */

/* ---- the cloud ------------------------------------------------------- */

/* The first column of the first row of the SQL, on the server. */
#define cloud(...) sk_test_gateway_sqlf (gw, __VA_ARGS__)

static int
cloud_int (const char *sql)
{
  g_autofree char *v = sk_test_gateway_sql (gw, sql);

  g_assert_nonnull (v);
  return atoi (v);
}

/* The test-only auth schema, then soundscape-ctl db migrate; then one
 * venue with a manager, songs and a library. FALSE when there is no
 * database (the reason in pg_why_not). */
static gboolean
start_cloud (void)
{
  g_autofree char *info = NULL, *out = NULL;
  g_autoptr (GString) seed = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  if (!sk_test_pg_start (&pg, &pg_why_not))
    return FALSE;
  out = sk_test_pg_migrate (&pg);

  g_string_append (seed,
                   "INSERT INTO auth.users (id, email) VALUES ('" MANAGER "', 'm@example.org');"
                   "INSERT INTO public.profiles (id, display_name) VALUES ('" MANAGER
                   "', 'Manager');"
                   "INSERT INTO public.players (id, name, token, manager_id) VALUES "
                   "  ('" BAR "', 'The Bar', '" BAR_TOKEN "', '" MANAGER "');");
  for (guint i = 0; i < G_N_ELEMENTS (cloud_songs); i++)
    {
      g_autofree char *e = sk_vec_format (cloud_songs[i].e);

      g_string_append_printf (seed,
                              "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                              "('%s', 'Song %u', 'https://media.example.org/%u.flac', '%s');"
                              "INSERT INTO public.player_library (player_id, song_id) VALUES "
                              "('" BAR "', '%s');",
                              cloud_songs[i].id, i, i, e, cloud_songs[i].id);
    }
  info = sk_test_pg_conninfo (&pg);
  gw = sk_test_gateway_start (info, SECRET, &error);
  g_assert_no_error (error);
  g_free (sk_test_gateway_sql (gw, seed->str));
  return TRUE;
}

/* ---- the kiosk ------------------------------------------------------- */

static void
start_kiosk (void)
{
  g_autofree char *url = sk_test_gateway_url (gw);
  g_autofree char *anon = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  SkStore *store;
  g_autoptr (GError) error = NULL;

  dir = sk_test_mkdtemp ();
  engine = sk_test_engine_new (dir, NULL);
  store = sk_engine_get_store (engine);
  g_assert_true (sk_engine_set_setting (engine, "tap_limit_per_minute", "0", &error));
  g_assert_no_error (error);
  sync_client = sk_sync_new (sk_store_get_path (store), sk_engine_get_player_id (engine), url, anon,
                             BAR_TOKEN, &error);
  g_assert_no_error (error);
}

/* One round to its end (bounded): TRUE, or FALSE with @error. */
static gboolean
run_round (GError **error)
{
  gboolean ok = FALSE;

  g_assert_true (sk_test_sync_round (sync_client, sk_test_scale_ms (90000), &ok, error));
  return ok;
}

static void
round_ok (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (run_round (&error));
  g_assert_no_error (error);
}

/* What another program's commit would show the engine: the sync's. */
static void
engine_picks_up (void)
{
  g_autofree char *summary = NULL;
  g_autoptr (GError) error = NULL;

  sk_engine_pick_up_changes (engine, &summary, &error);
  g_assert_no_error (error);
}

static int
local_int (const char *sql)
{
  return sk_test_query_int (sk_engine_get_store (engine), sql);
}

/* @n new listeners join (each a profile, a badge and a check-in). */
static void
join_listeners (guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *uid = g_strdup_printf ("0A%06X", n_listeners++);
      g_autoptr (GError) error = NULL;
      g_autofree char *id = sk_engine_join (engine, uid, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (id);
    }
}

/* The first column of every row of @sql, on the kiosk. */
static GPtrArray *
local_texts (const char *sql)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  SkStore *store = sk_engine_get_store (engine);
  g_autoptr (GError) error = NULL;

  g_assert_true (
      sk_store_collect_texts (store, sk_store_query (store, &error, sql, ""), texts, &error));
  g_assert_no_error (error);
  return texts;
}

#define PRESENT_SQL "SELECT user_id FROM sessions WHERE status = 'active'"

/* The main loop (the sync's calls) for @ms, busy elsewhere in between. */
static void
pump (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Every listener present votes on a new play, @spread_ms apart. */
static guint
play_and_vote_spread (guint seed, guint spread_ms)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *song = NULL;
  g_autoptr (GPtrArray) present = NULL;

  g_assert_true (sk_engine_start_next (engine, &song, &error));
  g_assert_no_error (error);
  present = local_texts (PRESENT_SQL);
  for (guint i = 0; i < present->len; i++)
    {
      g_assert_true (
          sk_engine_vote (engine, present->pdata[i], 1 + (int) ((seed + i) % 5), &error));
      g_assert_no_error (error);
      pump (spread_ms);
    }
  return present->len;
}

static guint
play_and_vote (guint seed)
{
  return play_and_vote_spread (seed, 0);
}

/* Each listener's taste on the server equals the C learner's replay of
 * their votes, in the order the kiosk recorded them, from a neutral
 * start; and the kiosk holds the same. */
static void
assert_tastes_are_the_learners (void)
{
  SkStore *store = sk_engine_get_store (engine);
  g_autoptr (GPtrArray) users = local_texts ("SELECT id FROM profiles WHERE is_guest = 1");
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (users->len, >, 0);
  for (guint u = 0; u < users->len; u++)
    {
      double state[SK_TASTE_STATE_LEN], pref[SK_DIM], server[SK_DIM], local[SK_DIM];
      g_autofree char *text = cloud ("SELECT preference_vector::text FROM public.profiles "
                                     "WHERE id = '%s'",
                                     (char *) users->pdata[u]);
      g_autofree char
          *mine = sk_test_query_text (store, "SELECT preference_vector FROM profiles WHERE id = ?1",
                                      users->pdata[u]);
      sqlite3_stmt *stmt;

      if (g_strcmp0 (users->pdata[u], altered_user) == 0)
        continue;
      sk_taste_neutral (pref);
      sk_taste_state_from_preference (pref, state);
      stmt = sk_store_query (store, &error,
                             "SELECT s.embedding, v.vote_value FROM votes v JOIN songs s "
                             "ON s.id = v.song_id WHERE v.user_id = ?1 ORDER BY v.rowid",
                             "s", users->pdata[u]);
      while (sk_store_step (store, stmt, &error) == SQLITE_ROW)
        {
          double e[SK_DIM];

          g_assert_true (sk_vec_parse (sk_store_column_text (stmt, 0), e, NULL));
          sk_taste_learn (state, pref, e, sqlite3_column_int (stmt, 1));
        }
      sqlite3_reset (stmt);
      g_assert_no_error (error);
      g_assert_nonnull (text);
      g_assert_true (sk_vec_parse (text, server, NULL));
      g_assert_true (sk_vec_parse (mine, local, NULL));
      for (guint i = 0; i < SK_DIM; i++)
        {
          g_assert_cmpfloat_with_epsilon (server[i], pref[i], 1e-6);
          g_assert_cmpfloat_with_epsilon (local[i], pref[i], 1e-6);
        }
    }
}

/* The server holds each of the kiosk's rows once, and nothing waits. */
static void
assert_all_synced (void)
{
  static const char *const tables[] = { "votes", "songs_playing", "sessions", "badges" };

  g_assert_cmpint (local_int ("SELECT count(*) FROM outbox"), ==, 0);
  g_assert_cmpuint (sk_sync_get_pending (sync_client), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", tables[i]);
      g_autofree char *server_sql = g_strdup_printf ("SELECT count(*) FROM public.%s%s", tables[i],
                                                     strcmp (tables[i], "badges") == 0
                                                         ? ""
                                                         : " WHERE player_id = '" BAR "'"
                                                           " OR player_id IS NULL");
      int here = local_int (sql);

      if (strcmp (tables[i], "votes") == 0)
        {
          g_free (server_sql);
          server_sql = g_strdup ("SELECT count(*) FROM public.votes");
        }
      g_test_message ("%s: %d here, %d on the server", tables[i], here, cloud_int (server_sql));
      g_assert_cmpint (cloud_int (server_sql), ==, here);
    }
  {
    /* every vote by its id, once */
    g_autofree char *n = cloud ("SELECT count(DISTINCT id) FROM public.votes");

    g_assert_cmpint (atoi (n), ==, local_int ("SELECT count(*) FROM votes"));
  }
}

/* ---- the tests ------------------------------------------------------- */

static gboolean
skip_without_cloud (void)
{
  if (gw != NULL)
    return FALSE;
  g_test_skip (pg_why_not);
  return TRUE;
}

static void
test_first_pull (void)
{
  g_autofree char *name = NULL;

  if (skip_without_cloud ())
    return;
  g_assert_cmpstr (sk_sync_get_state (sync_client), ==, "idle");
  round_ok ();
  g_assert_cmpstr (sk_sync_get_last_error (sync_client), ==, "");
  g_assert_cmpint (sk_sync_get_last_success (sync_client), >, 0);
  engine_picks_up ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs"), ==, G_N_ELEMENTS (cloud_songs));
  g_assert_cmpint (local_int ("SELECT count(*) FROM player_library"), ==,
                   G_N_ELEMENTS (cloud_songs));
  name = sk_test_query_text (sk_engine_get_store (engine), "SELECT name FROM players WHERE id = ?1",
                             sk_engine_get_player_id (engine));
  g_assert_cmpstr (name, ==, "The Bar");
  g_assert_cmpint (local_int ("SELECT count(*) FROM profiles WHERE id = '" MANAGER "'"), ==, 1);
  /* nothing new: a second round pulls nothing and pushes nothing */
  round_ok ();
}

static void
test_up_and_down (void)
{
  if (skip_without_cloud ())
    return;
  join_listeners (4);
  for (guint i = 0; i < 3; i++)
    play_and_vote (i);
  g_assert_cmpint (local_int ("SELECT count(*) FROM outbox"), >, 0);
  round_ok ();
  assert_all_synced ();
  g_assert_cmpint (cloud_int ("SELECT count(*) FROM public.votes"), ==, 12);
  assert_tastes_are_the_learners ();
}

static void
test_offline (void)
{
  g_autoptr (GError) error = NULL;

  if (skip_without_cloud ())
    return;
  sk_test_gateway_set_offline (gw, TRUE);
  join_listeners (2);
  play_and_vote (7);
  g_assert_false (run_round (&error));
  g_test_message ("offline: %s", error->message);
  g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "cannot reach the cloud"));
  g_assert_cmpstr (sk_sync_get_state (sync_client), ==, "failing");
  g_assert_cmpstr (sk_sync_get_last_error (sync_client), ==, error->message);
  play_and_vote (8);
  g_assert_cmpuint (sk_sync_get_pending (sync_client), >, 0);
  g_assert_cmpint (local_int ("SELECT count(*) FROM outbox"), >, 20);
  sk_test_gateway_set_offline (gw, FALSE);
  round_ok ();
  assert_all_synced ();
  assert_tastes_are_the_learners ();
}

static void
test_faults (void)
{
  static const SkGatewayFault faults[] = {
    SK_GATEWAY_FAULT_DELAY, SK_GATEWAY_FAULT_500,       SK_GATEWAY_FAULT_503,
    SK_GATEWAY_FAULT_DROP,  SK_GATEWAY_FAULT_TRUNCATED, SK_GATEWAY_FAULT_EXPIRED,
    SK_GATEWAY_FAULT_TWICE,
  };

  if (skip_without_cloud ())
    return;
  sk_test_gateway_set_delay (gw, 200);
  for (guint f = 0; f < G_N_ELEMENTS (faults); f++)
    {
      g_autoptr (GError) error = NULL;
      gboolean ok;

      play_and_vote (f);
      /* the fault hits the first call; TWICE hits the call after it */
      sk_test_gateway_queue_fault (gw, faults[f]);
      ok = run_round (&error);
      if (faults[f] == SK_GATEWAY_FAULT_TWICE)
        {
          /* the first call's answer came right; the next call got it again */
          g_assert_false (ok);
          g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED);
        }
      else if (faults[f] == SK_GATEWAY_FAULT_DELAY)
        g_assert_no_error (error);
      else
        g_assert_false (ok);
      g_test_message ("fault %u: %s", faults[f], error != NULL ? error->message : "none");
      if (faults[f] == SK_GATEWAY_FAULT_EXPIRED)
        g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_REFUSED);
      if (faults[f] == SK_GATEWAY_FAULT_TRUNCATED)
        g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_MALFORMED);
      if (faults[f] == SK_GATEWAY_FAULT_DROP)
        g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_NETWORK);
      if (faults[f] == SK_GATEWAY_FAULT_500 || faults[f] == SK_GATEWAY_FAULT_503)
        g_assert_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_HTTP);
      g_assert_cmpuint (sk_test_gateway_count (gw, faults[f]), >=, 1);
      round_ok ();
      assert_all_synced ();
    }
  assert_tastes_are_the_learners ();
}

/* Another venue moves a listener's taste, and the kiosk records a vote of
 * theirs while a call is on its way: the answer that brings the other
 * venue's vector keeps the kiosk's own, which the server has not seen;
 * the next pull brings the server's, computed from both votes in server
 * order. (A vote in the call's own push cannot meet this: the server's
 * learner rewrites the row in the call's transaction, which the pull's
 * snapshot does not see.) */
typedef struct
{
  char *user;
  char *mine; /* the kiosk's provisional vector after its vote */
} VoteInFlight;

static gboolean
vote_in_flight (gpointer data)
{
  VoteInFlight *v = data;
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (sk_sync_get_state (sync_client), ==, "syncing");
  g_assert_true (sk_engine_vote (engine, v->user, 5, &error));
  g_assert_no_error (error);
  v->mine = sk_test_query_text (sk_engine_get_store (engine),
                                "SELECT preference_vector FROM profiles WHERE id = ?1", v->user);
  return G_SOURCE_REMOVE;
}

static void
test_pull_keeps_pending_vote (void)
{
  SkStore *store;
  g_autofree char *after = NULL, *server = NULL;
  g_autoptr (GError) error = NULL;
  VoteInFlight v = { 0 };
  gboolean ok = FALSE;
  double s[SK_DIM], l[SK_DIM];

  if (skip_without_cloud ())
    return;
  store = sk_engine_get_store (engine);
  play_and_vote (3);
  round_ok ();
  g_assert_true (sk_engine_start_next (engine, NULL, &error));
  g_assert_no_error (error);
  v.user = sk_test_query_text (store, "SELECT user_id FROM votes ORDER BY rowid DESC LIMIT 1",
                               NULL);
  altered_user = g_strdup (v.user);
  /* the other venue's vote, as its learner left the profile */
  g_free (cloud ("UPDATE public.profiles SET preference_vector = '[0.11,0.22,0.33,0.44,0.55]', "
                 "taste_state = NULL WHERE id = '%s'",
                 v.user));
  sk_test_gateway_set_delay (gw, 1000);
  sk_test_gateway_queue_fault (gw, SK_GATEWAY_FAULT_DELAY); /* the pull, slowly */
  sk_test_gateway_queue_fault (gw, SK_GATEWAY_FAULT_500);   /* the push after it fails */
  g_timeout_add (300, vote_in_flight, &v);
  g_assert_true (sk_test_sync_round (sync_client, sk_test_scale_ms (60000), &ok, &error));
  g_assert_false (ok);
  g_clear_error (&error);
  g_assert_nonnull (v.mine);
  after = sk_test_query_text (store, "SELECT preference_vector FROM profiles WHERE id = ?1",
                              v.user);
  g_assert_cmpstr (after, ==, v.mine);
  g_assert_cmpint (local_int ("SELECT count(*) FROM outbox WHERE kind = 'vote'"), ==, 1);

  round_ok ();
  assert_all_synced ();
  g_free (after);
  after = sk_test_query_text (store, "SELECT preference_vector FROM profiles WHERE id = ?1",
                              v.user);
  g_assert_cmpstr (after, !=, v.mine);
  server = cloud ("SELECT preference_vector::text FROM public.profiles WHERE id = '%s'", v.user);
  g_assert_true (sk_vec_parse (server, s, NULL));
  g_assert_true (sk_vec_parse (after, l, NULL));
  {
    /* the learner from the other venue's vector, then the kiosk's vote */
    double state[SK_TASTE_STATE_LEN], pref[SK_DIM] = { 0.11, 0.22, 0.33, 0.44, 0.55 }, e[SK_DIM];
    g_autofree char *
        emb = sk_test_query_text (store,
                                  "SELECT s.embedding FROM votes v JOIN songs s ON s.id = v.song_id "
                                  "ORDER BY v.rowid DESC LIMIT 1",
                                  NULL);

    g_assert_true (sk_vec_parse (emb, e, NULL));
    sk_taste_state_from_preference (pref, state);
    sk_taste_learn (state, pref, e, 5);
    for (guint i = 0; i < SK_DIM; i++)
      {
        g_assert_cmpfloat_with_epsilon (s[i], l[i], 1e-7);
        g_assert_cmpfloat_with_epsilon (s[i], pref[i], 1e-6);
      }
  }
  g_free (v.user);
  g_free (v.mine);
}

/* A second kiosk of the same venue, new, joins a library of more than
 * two pages: its first round pulls every page (the cursor of a first pull
 * that has more pages is taken back by the next call), every song once,
 * the same as the server's; the outbox is empty and the cursor kept is a
 * finished pull's ({"v", "s"} only); a second round finds nothing new. */
static void
test_large_first_pull (void)
{
  const guint n_new = 2500;
  g_autofree char *url = NULL, *anon = NULL, *dir2 = NULL, *server_ids = NULL;
  g_autofree char *local_ids = NULL, *cursor = NULL;
  g_autoptr (SkSync) kiosk = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  SkEngine *engine2;
  SkStore *store2;
  SkSync *first;
  JsonObject *c;
  guint answered, calls;
  int n_server, n_library;

  if (skip_without_cloud ())
    return;
  g_free (cloud ("INSERT INTO public.songs (id, title, file_url, embedding) "
                 "SELECT ('40000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, "
                 "'Big ' || i, 'https://media.example.org/big/' || i || '.flac', "
                 "'[0.5,0.5,0.5,0.5,0.5]' FROM generate_series(1, %u) i",
                 n_new));
  g_free (cloud ("INSERT INTO public.player_library (player_id, song_id) "
                 "SELECT '" BAR "', id FROM public.songs WHERE title LIKE 'Big %%'"));
  n_server = cloud_int ("SELECT count(*) FROM public.songs WHERE file_url ~ '^https?://'");
  g_assert_cmpint (n_server, >, 2000);
  n_library = cloud_int ("SELECT count(*) FROM public.player_library WHERE player_id = '" BAR "'");
  server_ids = cloud ("SELECT string_agg(id::text, ',' ORDER BY id::text) FROM public.songs "
                      "WHERE file_url ~ '^https?://'");

  url = sk_test_gateway_url (gw);
  anon = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  dir2 = sk_test_mkdtemp ();
  engine2 = sk_test_engine_new (dir2, NULL);
  store2 = sk_engine_get_store (engine2);
  kiosk = sk_sync_new (sk_store_get_path (store2), sk_engine_get_player_id (engine2), url, anon,
                       BAR_TOKEN, &error);
  g_assert_no_error (error);

  answered = sk_test_gateway_count (gw, SK_GATEWAY_FAULT_NONE);
  first = sync_client;
  sync_client = kiosk;
  round_ok ();
  calls = sk_test_gateway_count (gw, SK_GATEWAY_FAULT_NONE) - answered;
  g_test_message ("first pull of %d songs, %d library rows: %u calls", n_server, n_library, calls);
  /* at most 1 000 rows a table a call: every song and library row once
   * takes no more calls than their pages */
  g_assert_cmpuint (calls, >=, (guint) (n_server + 999) / 1000);
  g_assert_cmpuint (calls, <=, (guint) (n_server + 999) / 1000 + (guint) (n_library + 999) / 1000);
  g_assert_cmpstr (sk_sync_get_last_error (kiosk), ==, "");

  g_assert_cmpint (sk_test_query_int (store2, "SELECT count(*) FROM songs"), ==, n_server);
  g_assert_cmpint (sk_test_query_int (store2, "SELECT count(DISTINCT id) FROM songs"), ==,
                   n_server);
  local_ids = sk_test_query_text (store2,
                                  "SELECT group_concat(id, ',') FROM "
                                  "(SELECT id FROM songs ORDER BY id)",
                                  NULL);
  g_assert_cmpstr (local_ids, ==, server_ids);
  g_assert_cmpint (sk_test_query_int (store2, "SELECT count(*) FROM player_library"), ==,
                   n_library);
  g_assert_cmpint (sk_test_query_int (store2, "SELECT count(*) FROM outbox"), ==, 0);
  g_assert_cmpuint (sk_sync_get_pending (kiosk), ==, 0);

  /* the cursor kept is a finished pull's: a snapshot, no page positions */
  cursor = sk_test_query_text (store2, "SELECT value FROM sync_state WHERE key = 'cursor'", NULL);
  g_assert_nonnull (cursor);
  node = sk_json_parse_object (cursor, strlen (cursor), &error);
  g_assert_no_error (error);
  c = json_node_get_object (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (json_object_get_member (c, "s")));
  g_assert_false (json_object_has_member (c, "h"));
  g_assert_false (json_object_has_member (c, "p"));

  /* caught up: one call, nothing new */
  answered = sk_test_gateway_count (gw, SK_GATEWAY_FAULT_NONE);
  round_ok ();
  g_assert_cmpuint (sk_test_gateway_count (gw, SK_GATEWAY_FAULT_NONE) - answered, ==, 1);
  g_assert_cmpint (sk_test_query_int (store2, "SELECT count(*) FROM songs"), ==, n_server);

  sync_client = first;
  g_clear_object (&kiosk);
  g_object_unref (engine2);
  sk_test_rmdir (dir2);
}

/* ---- pruned tombstones ----------------------------------------------- */

#define KEPT_SONG "70000000-0000-4000-8000-000000000001"
#define GONE_SONG "70000000-0000-4000-8000-000000000002"
#define NEAR_SONG "70000000-0000-4000-8000-000000000003"
#define STRAY_SONG "70000000-0000-4000-8000-000000000004"
#define GONE_BADGE "0B000001"
/* a role given at this kiosk alone: the kiosk never pushes roles */
#define LOCAL_ROLE "71000000-0000-4000-8000-000000000001"

/* A song of the catalogue in this player's library, on the server. */
static void
cloud_song (const char *id)
{
  g_free (cloud ("INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                 "('%s', 'Song %s', 'https://media.example.org/%s.flac', '[0.5,0.5,0.5,0.5,0.5]');"
                 "INSERT INTO public.player_library (player_id, song_id) VALUES ('" BAR "', '%s')",
                 id, id, id, id));
}

static void
cloud_delete_song (const char *id)
{
  g_free (cloud ("DELETE FROM public.player_library WHERE song_id = '%s';"
                 "DELETE FROM public.songs WHERE id = '%s'",
                 id, id));
}

/* The ids of a table, sorted and joined, here and on the server. */
static void
assert_same_ids (const char *local_sql, const char *server_sql)
{
  g_autofree char *here = sk_test_query_text (sk_engine_get_store (engine), local_sql, NULL);
  g_autofree char *there = cloud ("%s", server_sql);

  g_assert_cmpstr (here, ==, there);
}

/* Within the horizon a pruning leaves the recent tombstones: the next
 * round pulls the deletion, and nothing else changes (a row only a full
 * pull would drop, a role given at this kiosk, stays). */
static void
test_within_horizon (void)
{
  g_autoptr (GError) error = NULL;

  if (skip_without_cloud ())
    return;
  cloud_song (NEAR_SONG);
  round_ok ();
  engine_picks_up ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" NEAR_SONG "'"), ==, 1);
  g_assert_true (sk_store_run_sql (sk_engine_get_store (engine), &error,
                                   "INSERT INTO roles (id, user_id, role, created_at) VALUES "
                                   "('" LOCAL_ROLE "', '" MANAGER "', 'admin', "
                                   "'2026-01-01T00:00:00.000Z')",
                                   ""));
  g_assert_no_error (error);

  cloud_delete_song (NEAR_SONG);
  g_assert_cmpint (cloud_int ("SELECT soundscape.prune_tombstones()"), ==, 0);
  g_assert_cmpint (cloud_int (
                       "SELECT count(*) FROM soundscape.tombstones WHERE row_key = '" NEAR_SONG
                       "'"),
                   ==, 1);
  round_ok ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" NEAR_SONG "'"), ==, 0);
  g_assert_cmpint (local_int ("SELECT count(*) FROM roles WHERE id = '" LOCAL_ROLE "'"), ==, 1);
}

/* A kiosk whose cursor is older than the tombstones pruned: the server
 * says so (SK412), the kiosk pulls everything again and drops what the
 * server no longer has, keeps and then pushes what it wrote meanwhile,
 * and ends with exactly the server's rows. */
static void
test_behind_horizon (void)
{
  if (skip_without_cloud ())
    return;
  cloud_song (KEPT_SONG);
  cloud_song (GONE_SONG);
  g_free (
      cloud ("INSERT INTO public.badges (uid, user_id) VALUES ('" GONE_BADGE "', '" MANAGER "')"));
  round_ok ();
  engine_picks_up ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id IN ('" KEPT_SONG "', '" GONE_SONG
                              "')"),
                   ==, 2);
  g_assert_cmpint (local_int ("SELECT count(*) FROM badges WHERE uid = '" GONE_BADGE "'"), ==, 1);

  /* the kiosk does not sync for longer than the horizon: deletions on
   * the server, their tombstones pruned; listeners here meanwhile */
  cloud_delete_song (GONE_SONG);
  g_free (cloud ("DELETE FROM public.badges WHERE uid = '" GONE_BADGE "'"));
  g_free (cloud ("UPDATE soundscape.tombstones SET deleted_at = now() - interval '31 days'"));
  g_assert_cmpint (cloud_int ("SELECT soundscape.prune_tombstones()"), >=, 3);
  g_assert_cmpint (cloud_int ("SELECT count(*) FROM soundscape.tombstones"), ==, 0);
  join_listeners (2);
  play_and_vote (21);
  g_assert_cmpint (local_int ("SELECT count(*) FROM outbox"), >, 0);

  round_ok ();
  engine_picks_up ();
  g_assert_cmpstr (sk_sync_get_last_error (sync_client), ==, "");
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" GONE_SONG "'"), ==, 0);
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" KEPT_SONG "'"), ==, 1);
  g_assert_cmpint (local_int ("SELECT count(*) FROM badges WHERE uid = '" GONE_BADGE "'"), ==, 0);
  /* roles are the cloud's word: one given at this kiosk alone goes */
  g_assert_cmpint (local_int ("SELECT count(*) FROM roles WHERE id = '" LOCAL_ROLE "'"), ==, 0);
  g_assert_cmpint (local_int ("SELECT count(*) FROM sync_state WHERE key = 'full_pull'"), ==, 0);
  assert_all_synced ();
  assert_same_ids ("SELECT group_concat(id, ',') FROM (SELECT id FROM songs "
                   "WHERE file_url LIKE 'http%' ORDER BY id)",
                   "SELECT string_agg(id::text, ',' ORDER BY id::text) FROM public.songs "
                   "WHERE file_url ~ '^https?://'");
  assert_same_ids ("SELECT group_concat(song_id, ',') FROM (SELECT song_id FROM player_library "
                   "ORDER BY song_id)",
                   "SELECT string_agg(song_id::text, ',' ORDER BY song_id::text) "
                   "FROM public.player_library WHERE player_id = '" BAR "'");
  assert_same_ids ("SELECT group_concat(uid, ',') FROM (SELECT uid FROM badges ORDER BY uid)",
                   "SELECT string_agg(uid, ',' ORDER BY uid) FROM public.badges");
  assert_same_ids ("SELECT group_concat(id, ',') FROM (SELECT id FROM sessions ORDER BY id)",
                   "SELECT string_agg(id::text, ',' ORDER BY id::text) FROM public.sessions "
                   "WHERE player_id = '" BAR "'");
  assert_same_ids ("SELECT coalesce(group_concat(id, ','), '') FROM (SELECT id FROM roles ORDER BY id)",
                   "SELECT coalesce(string_agg(id::text, ',' ORDER BY id::text), '') "
                   "FROM public.roles");

  /* the cursor is a new one: the next round is an ordinary one */
  round_ok ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" KEPT_SONG "'"), ==, 1);
}

/* A full pull the kiosk was in when it stopped begins again with the
 * next sync (its notes were the stopped connection's): a song the server
 * no longer has, whose tombstone was pruned, goes. */
static void
test_full_pull_resumes (void)
{
  SkStore *store;
  g_autofree char *url = NULL, *anon = NULL;
  g_autoptr (GError) error = NULL;

  if (skip_without_cloud ())
    return;
  store = sk_engine_get_store (engine);
  g_assert_true (
      sk_store_run_sql (store, &error,
                        "INSERT INTO songs (id, title, file_url, embedding, created_at, updated_at) "
                        "VALUES ('" STRAY_SONG
                        "', 'Stray', 'https://media.example.org/stray.flac', "
                        "'[0.5,0.5,0.5,0.5,0.5]', '2026-01-01T00:00:00.000Z', "
                        "'2026-01-01T00:00:00.000Z')",
                        ""));
  g_assert_no_error (error);
  g_assert_true (sk_store_run_sql (store, &error,
                                   "INSERT INTO sync_state (key, value) VALUES ('full_pull', '1')",
                                   ""));
  g_assert_no_error (error);

  /* the sync stops and starts again: a new connection */
  g_clear_object (&sync_client);
  url = sk_test_gateway_url (gw);
  anon = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  sync_client = sk_sync_new (sk_store_get_path (store), sk_engine_get_player_id (engine), url, anon,
                             BAR_TOKEN, &error);
  g_assert_no_error (error);
  round_ok ();
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" STRAY_SONG "'"), ==, 0);
  g_assert_cmpint (local_int ("SELECT count(*) FROM songs WHERE id = '" KEPT_SONG "'"), ==, 1);
  g_assert_cmpint (local_int ("SELECT count(*) FROM sync_state WHERE key = 'full_pull'"), ==, 0);
  assert_all_synced ();
}

/* ---- chaos ----------------------------------------------------------- */

typedef struct
{
  guint votes, checkins;
} Tally;

static void
test_chaos (void)
{
  const guint n_people = 50, n_plays = 20;
  guint mask = 0;
  gint64 end;
  Tally t = { 0 };
  guint round_no = 0;
  int votes_before, sessions_before;

  if (skip_without_cloud ())
    return;
  round_ok (); /* the venue, before the storm */
  engine_picks_up ();
  votes_before = local_int ("SELECT count(*) FROM votes");
  sessions_before = local_int ("SELECT count(*) FROM sessions");
  for (guint f = SK_GATEWAY_FAULT_DELAY; f < SK_GATEWAY_N_FAULTS; f++)
    mask |= 1u << f;
  sk_test_gateway_set_delay (gw, 300);
  /* each fault once first, then any at random */
  for (guint f = SK_GATEWAY_FAULT_DELAY; f < SK_GATEWAY_N_FAULTS; f++)
    sk_test_gateway_queue_fault (gw, f);
  sk_test_gateway_random_faults (gw, mask, 0.4, 20261205);
  sk_sync_set_timing (sync_client, 200, 2000, 1000, 4000);
  sk_sync_start (sync_client);

  /* everyone present checks out: the storm's check-ins are its own */
  {
    g_autoptr (GPtrArray) present = local_texts (PRESENT_SQL);
    g_autoptr (GError) error = NULL;

    for (guint i = 0; i < present->len; i++)
      g_assert_true (sk_engine_check_out (engine, present->pdata[i], &error));
  }

  /* 60 s: 20 plays, 3 s apart; 50 check in at the first, and all check
   * out and in again at the 5th, 10th and 15th (200 check-ins); each
   * present votes on every play (1 000 votes) */
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (round_no < n_plays)
    {
      gint64 next = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

      if (round_no == 0)
        {
          join_listeners (n_people);
          t.checkins += n_people;
        }
      else if (round_no % 5 == 0)
        {
          g_autoptr (GPtrArray) present = local_texts (
              "SELECT b.uid FROM sessions s JOIN badges b ON b.user_id = s.user_id "
              "WHERE s.status = 'active'");
          g_autoptr (GError) error = NULL;

          for (guint i = 0; i < present->len; i++)
            {
              g_autofree char *user = sk_engine_dup_user_for_uid (engine, present->pdata[i],
                                                                  &error);
              SkTapResult tap = { 0 };

              g_assert_true (sk_engine_check_out (engine, user, &error));
              g_assert_true (sk_engine_tap (engine, present->pdata[i], &tap, &error));
              g_assert_no_error (error);
              sk_tap_result_clear (&tap);
              t.checkins++;
            }
        }
      t.votes += play_and_vote_spread (round_no, 50);
      round_no++;
      if (g_get_monotonic_time () < next)
        pump ((guint) ((next - g_get_monotonic_time ()) / 1000));
    }
  if (g_get_monotonic_time () < end)
    pump ((guint) ((end - g_get_monotonic_time ()) / 1000));
  g_assert_cmpuint (t.votes, ==, 1000);
  g_assert_cmpuint (t.checkins, ==, 200);
  g_test_message ("faults: delay %u, 500 %u, 503 %u, drop %u, truncated %u, expired %u, "
                  "twice %u; answered %u",
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_DELAY),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_500),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_503),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_DROP),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_TRUNCATED),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_EXPIRED),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_TWICE),
                  sk_test_gateway_count (gw, SK_GATEWAY_FAULT_NONE));
  for (guint f = SK_GATEWAY_FAULT_DELAY; f < SK_GATEWAY_N_FAULTS; f++)
    g_assert_cmpuint (sk_test_gateway_count (gw, f), >, 0);

  /* the faults stop: within 30 s, nothing waits and a round has ended well */
  sk_test_gateway_random_faults (gw, 0, 0.0, 0);
  end = g_get_monotonic_time () + (gint64) sk_test_scale_ms (30000) * 1000;
  {
    gint64 stopped = g_get_monotonic_time ();

    while (!(sk_sync_get_pending (sync_client) == 0 &&
             strcmp (sk_sync_get_state (sync_client), "idle") == 0 &&
             sk_sync_get_last_success (sync_client) > 0 &&
             local_int ("SELECT count(*) FROM outbox") == 0))
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (5000);
      }
    g_test_message ("drained %.1f s after the faults stopped, %u rows",
                    (g_get_monotonic_time () - stopped) / 1e6, t.votes + t.checkins);
  }
  g_assert_cmpint (local_int ("SELECT count(*) FROM votes") - votes_before, ==, 1000);
  g_assert_cmpint (local_int ("SELECT count(*) FROM sessions") - sessions_before, ==, 200);
  assert_all_synced ();
  /* the round that drained it pulled, after its last push, the tastes
   * the server computed */
  assert_tastes_are_the_learners ();
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (start_cloud ())
    start_kiosk ();

  g_test_add_func ("/sync/1-first-pull", test_first_pull);
  g_test_add_func ("/sync/2-up-and-down", test_up_and_down);
  g_test_add_func ("/sync/3-offline", test_offline);
  g_test_add_func ("/sync/4-faults", test_faults);
  g_test_add_func ("/sync/5-pull-keeps-pending-vote", test_pull_keeps_pending_vote);
  g_test_add_func ("/sync/6-large-first-pull", test_large_first_pull);
  g_test_add_func ("/sync/7-within-horizon", test_within_horizon);
  g_test_add_func ("/sync/8-behind-horizon", test_behind_horizon);
  g_test_add_func ("/sync/9-full-pull-resumes", test_full_pull_resumes);
  g_test_add_func ("/sync/chaos", test_chaos);
  rc = g_test_run ();

  g_clear_object (&sync_client);
  g_clear_object (&engine);
  if (gw != NULL)
    sk_test_gateway_stop (gw);
  sk_test_pg_stop (&pg);
  if (dir != NULL)
    sk_test_rmdir (dir);
  g_free (dir);
  g_free (pg_why_not);
  g_free (altered_user);
  return rc;
}
