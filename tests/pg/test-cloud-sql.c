/* test-cloud-sql: the cloud schema (sql/) on a real PostgreSQL with
 * pgvector (PGlite, tests/pg/sk-test-pg.h), started once for the whole
 * program; the subtests run in order on the one database.
 *
 * - "soundscape-ctl db migrate" brings a fresh database to the schema, a
 *   second run changes nothing, and a database it must not touch is refused.
 * - Every shared case of tests/data (vote/ and rank/) through SQL: the
 *   seed's rule, the learner as the vote trigger applies it to real rows,
 *   and the ranking from real sessions, songs, library and history, to
 *   1e-6 of the expected values, as the C code does.
 * - Each row level security rule of the seed as anon, as the owner and as
 *   another user: what it allows and what it refuses; the players' tokens
 *   unreadable by anon and authenticated. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sk-test-nginx.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

static SkTestPg pg;
static gboolean pg_running;
static char *pg_why_not;

#define TOLERANCE 1e-6

static PGconn *
connect_or_skip (void)
{
  if (!pg_running)
    {
      g_test_skip (pg_why_not);
      return NULL;
    }
  return sk_test_pg_connect (&pg);
}

static int
run_ctl_db (const char *what, char **out)
{
  g_autofree char *url = sk_test_pg_url (&pg);
  const char *argv[] = { "db", what, "--url", url, NULL };
  g_autofree char *err = NULL;
  int rc = sk_test_run_ctl (argv, out, &err);

  g_test_message ("soundscape-ctl db %s → %d\n%s%s", what, rc, *out, err);
  return rc;
}

/* A fingerprint of everything the migrations make: each relation, column,
 * function, policy, trigger and grant in the schemas they touch. */
static char *
schema_fingerprint (PGconn *conn)
{
  return sk_test_pg_value (
      conn,
      "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM ("
      "  SELECT concat_ws(':', n.nspname, c.relname, c.relkind, c.relacl, c.relrowsecurity) AS x "
      "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE n.nspname IN ('public', 'soundscape', 'extensions') "
      "  UNION ALL SELECT concat_ws(':', attrelid::regclass, attname, "
      "         format_type(atttypid, atttypmod), attacl) "
      "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
      "  JOIN pg_namespace n ON n.oid = c.relnamespace "
      "  WHERE n.nspname IN ('public', 'soundscape') AND a.attnum > 0 "
      "  UNION ALL SELECT concat_ws(':', p.oid::regprocedure, md5(p.prosrc), p.proacl) "
      "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
      "  WHERE n.nspname IN ('public', 'soundscape') "
      "  UNION ALL SELECT concat_ws(':', tablename, policyname, cmd, roles, qual, with_check) "
      "  FROM pg_policies "
      "  UNION ALL SELECT concat_ws(':', tgrelid::regclass, tgname) FROM pg_trigger "
      "  WHERE NOT tgisinternal "
      "  UNION ALL SELECT concat_ws(':', version, name, sha256, applied_at) "
      "  FROM soundscape.schema_migrations"
      ") s",
      0, NULL);
}

static void
test_migrate (void)
{
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *schema = NULL;
  g_autofree char *count = NULL;
  g_autoptr (PGconn) conn = NULL;

  if (!pg_running)
    {
      g_test_skip (pg_why_not);
      return;
    }
  g_assert_cmpint (run_ctl_db ("status", &out), ==, 0);
  g_assert_nonnull (strstr (out, "001_schema.sql         pending"));
  g_assert_nonnull (strstr (out, "9 pending"));
  g_clear_pointer (&out, g_free);

  out = sk_test_pg_migrate (&pg);
  g_assert_cmpstr (out, ==,
                   "applied 001_schema.sql\napplied 002_rls.sql\napplied 003_recommend.sql\n"
                   "applied 004_player_queue_for.sql\napplied 005_refresh_player_queues.sql\n"
                   "applied 006_kiosk_sync.sql\napplied 007_per_row_helpers.sql\n"
                   "applied 008_tombstone_pruning.sql\napplied 009_paging.sql\n");

  conn = sk_test_pg_connect (&pg);
  schema = sk_test_pg_value (conn,
                             "SELECT n.nspname FROM pg_extension e "
                             "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'vector'",
                             0, NULL);
  g_assert_cmpstr (schema, ==, "extensions");
  count = sk_test_pg_value (conn,
                            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                            "('profiles', 'roles', 'songs', 'votes', 'sessions', 'players', "
                            "'player_library', 'player_queue', 'songs_playing', 'badges') "
                            "AND rowsecurity",
                            0, NULL);
  g_assert_cmpstr (count, ==, "10");
  before = schema_fingerprint (conn);
  g_clear_pointer (&conn, PQfinish);

  /* The second run is a no-op. */
  g_assert_cmpint (run_ctl_db ("migrate", &out2), ==, 0);
  g_assert_cmpstr (out2, ==, "the database is up to date (migration 9)\n");
  g_assert_cmpint (run_ctl_db ("status", &out3), ==, 0);
  g_assert_nonnull (strstr (out3, "0 pending"));
  conn = sk_test_pg_connect (&pg);
  after = schema_fingerprint (conn);
  g_assert_cmpstr (after, ==, before);
}

/* A database migrated by a newer program, or whose applied migration
 * differs from this program's text, is refused and left as it is. */
static void
test_migrate_refuses (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *out4 = NULL;
  g_autofree char *sha = NULL;

  if (conn == NULL)
    return;
  sha = sk_test_pg_value (conn, "SELECT sha256 FROM soundscape.schema_migrations WHERE version = 2",
                          0, NULL);
  sk_test_pg_exec (conn, "INSERT INTO soundscape.schema_migrations (version, name, sha256) "
                         "VALUES (99, '099_future.sql', 'x')");
  before = schema_fingerprint (conn);
  g_clear_pointer (&conn, PQfinish);
  g_assert_cmpint (run_ctl_db ("migrate", &out), ==, 1);
  g_assert_cmpstr (out, ==, "");

  conn = sk_test_pg_connect (&pg);
  after = schema_fingerprint (conn);
  g_assert_cmpstr (after, ==, before);
  sk_test_pg_exec (conn, "DELETE FROM soundscape.schema_migrations WHERE version = 99;"
                         "UPDATE soundscape.schema_migrations SET sha256 = 'changed' "
                         "WHERE version = 2");
  g_clear_pointer (&conn, PQfinish);
  g_assert_cmpint (run_ctl_db ("migrate", &out2), ==, 1);
  g_assert_cmpstr (out2, ==, "");
  g_assert_cmpint (run_ctl_db ("status", &out3), ==, 1);

  /* with the true checksum back, the database is accepted again */
  conn = sk_test_pg_connect (&pg);
  {
    const char *params[] = { sha };
    g_autofree char *r = sk_test_pg_value (conn,
                                           "UPDATE soundscape.schema_migrations SET sha256 = $1 "
                                           "WHERE version = 2 RETURNING version",
                                           1, params);

    g_assert_cmpstr (r, ==, "2");
  }
  g_clear_pointer (&conn, PQfinish);
  g_assert_cmpint (run_ctl_db ("migrate", &out4), ==, 0);

  /* no database there: one clear line, exit 1 */
  {
    g_autofree char *url = g_strdup_printf ("postgresql://postgres@127.0.0.1:%u/postgres"
                                            "?sslmode=disable&connect_timeout=5",
                                            (guint) sk_test_free_port ());
    const char *argv[] = { "db", "migrate", "--url", url, NULL };
    g_autofree char *o = NULL;
    g_autofree char *e = NULL;

    g_assert_cmpint (sk_test_run_ctl (argv, &o, &e), ==, 1);
    g_assert_cmpstr (o, ==, "");
    g_assert_true (g_str_has_prefix (e, "soundscape-ctl: cannot connect to the database: "));
    g_assert_cmpint (strchr (e, '\n') - e, ==, (int) strlen (e) - 1);
  }
  g_assert_cmpstr (out4, ==, "the database is up to date (migration 9)\n");
}

/* --- the shared cases ---------------------------------------------------- */

static JsonNode *
load_case (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* A JSON array of numbers as "[a,b,…]" (open and close as given), each
 * with 17 significant digits so it reads back as the same double. */
static char *
numbers_text (JsonArray *a, char open, char close)
{
  g_autoptr (GString) s = g_string_new (NULL);

  g_string_append_c (s, open);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.17g",
                                           json_array_get_double_element (a, i)));
    }
  g_string_append_c (s, close);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Parses "{a,b,…}" (a float8[] as PostgreSQL prints it). */
static GArray *
parse_float_array (const char *text)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *inner = NULL;
  g_auto (GStrv) parts = NULL;

  g_assert_nonnull (text);
  g_assert_true (text[0] == '{' || text[0] == '[');
  inner = g_strndup (text + 1, strlen (text) - 2);
  parts = g_strsplit (inner, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (parts[i], &end);

      g_assert_true (end != parts[i] && *end == '\0');
      g_array_append_val (out, v);
    }
  return out;
}

static void
assert_close (const char *file, const char *what, JsonArray *expect, const char *got_text)
{
  g_autoptr (GArray) got = parse_float_array (got_text);

  g_assert_cmpuint (got->len, ==, json_array_get_length (expect));
  for (guint i = 0; i < got->len; i++)
    {
      double e = json_array_get_double_element (expect, i);
      double g = g_array_index (got, double, i);

      if (!(fabs (e - g) <= TOLERANCE))
        g_error ("%s: %s[%u] is %.17g, the case expects %.17g (difference %.3g)", file, what, i, g,
                 e, fabs (e - g));
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
case_files (const char *kind)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", kind, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, compare_strings);
  g_assert_cmpuint (files->len, >, 0);
  return files;
}

/* A listener with this preference and learner state (NULL: none). */
static void
add_listener (PGconn *conn, const char *id, const char *pref, const char *state)
{
  const char *params[] = { id, pref, state };
  g_autofree char
      *r = sk_test_pg_value (conn,
                             "WITH u AS (INSERT INTO auth.users (id) VALUES ($1::uuid)) "
                             "INSERT INTO public.profiles (id, preference_vector, taste_state) "
                             "VALUES ($1::uuid, $2::extensions.vector, $3::float8[]) "
                             "RETURNING id",
                             3, params);

  g_assert_cmpstr (r, ==, id);
}

static const char *
id_of (GHashTable *ids, const char *case_id)
{
  const char *u = g_hash_table_lookup (ids, case_id);

  g_assert_nonnull (u);
  return u;
}

/* Each case through the learner as the vote trigger applies it: a profile
 * starts from the case's state (or preference, or as a new listener), each
 * vote is a row inserted into votes, and the profile is read back. */
static void
run_bayes_case (PGconn *conn, const char *file, JsonObject *c)
{
  const char *user = "00000000-0000-4000-8000-000000000001";
  g_autofree char *pref = NULL;
  g_autofree char *state = NULL;
  g_autofree char *got_pref = NULL;
  g_autofree char *got_state = NULL;
  JsonArray *votes = json_object_get_array_member (c, "votes");
  JsonObject *expect = json_object_get_object_member (c, "expect");

  pref = json_object_has_member (c, "preference")
             ? numbers_text (json_object_get_array_member (c, "preference"), '[', ']')
             : g_strdup ("[0.5,0.5,0.5,0.5,0.5]");
  if (json_object_has_member (c, "state"))
    state = numbers_text (json_object_get_array_member (c, "state"), '{', '}');
  sk_test_pg_exec (conn, "BEGIN");
  add_listener (conn, user, pref, state);
  for (guint i = 0; i < json_array_get_length (votes); i++)
    {
      JsonObject *v = json_array_get_object_element (votes, i);
      g_autofree char *song = g_strdup_printf ("00000000-0000-4000-8000-%012u", i + 100);
      g_autofree char *url = g_strdup_printf ("https://media.invalid/%u.wav", i);
      g_autofree char *emb = numbers_text (json_object_get_array_member (v, "embedding"), '[', ']');
      g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                json_object_get_int_member (v, "vote"));
      const char *params[] = { song, url, emb, user, value };
      g_autofree char *r = sk_test_pg_value (
          conn,
          "WITH s AS (INSERT INTO public.songs (id, title, file_url, embedding) "
          "           VALUES ($1::uuid, 'song', $2, $3::extensions.vector) RETURNING id) "
          "INSERT INTO public.votes (user_id, song_id, vote_value) "
          "SELECT $4::uuid, s.id, $5::int FROM s RETURNING vote_value",
          5, params);

      g_assert_cmpstr (r, ==, value);
    }
  {
    const char *params[] = { user };

    got_pref = sk_test_pg_value (conn,
                                 "SELECT soundscape.vec(preference_vector)::text FROM public.profiles "
                                 "WHERE id = $1::uuid",
                                 1, params);
    /* A case whose votes change nothing keeps the profile as it was: its
     * state is the one the learner starts from. */
    got_state = sk_test_pg_value (conn,
                                  "SELECT coalesce(taste_state, soundscape.learner_from_preference("
                                  "  soundscape.vec(preference_vector)))::text "
                                  "FROM public.profiles WHERE id = $1::uuid",
                                  1, params);
  }
  sk_test_pg_exec (conn, "ROLLBACK");
  assert_close (file, "preference", json_object_get_array_member (expect, "preference"), got_pref);
  assert_close (file, "state", json_object_get_array_member (expect, "state"), got_state);
}

static void
run_seed_case (PGconn *conn, const char *file, JsonObject *c)
{
  g_autofree char *p = numbers_text (json_object_get_array_member (c, "preference"), '{', '}');
  g_autofree char *m = numbers_text (json_object_get_array_member (c, "momentum"), '{', '}');
  g_autofree char *e = numbers_text (json_object_get_array_member (c, "embedding"), '{', '}');
  g_autofree char *v = g_strdup_printf ("%" G_GINT64_FORMAT,
                                        json_object_get_int_member (c, "vote"));
  const char *params[] = { p, m, e, v };
  g_autofree char *got_p = sk_test_pg_value (
      conn,
      "SELECT (soundscape.seed_vote($1::float8[], $2::float8[], $3::float8[], $4::int))[1:5]::text",
      4, params);
  g_autofree char *got_m = sk_test_pg_value (
      conn,
      "SELECT (soundscape.seed_vote($1::float8[], $2::float8[], $3::float8[], $4::int))[6:10]::text",
      4, params);
  JsonObject *expect = json_object_get_object_member (c, "expect");

  assert_close (file, "preference", json_object_get_array_member (expect, "preference"), got_p);
  assert_close (file, "momentum", json_object_get_array_member (expect, "momentum"), got_m);
}

static void
test_vote_cases (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autoptr (GPtrArray) files = case_files ("vote");
  guint bayes = 0;

  if (conn == NULL)
    return;
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = files->pdata[i];
      g_autoptr (JsonNode) root = load_case (file);
      JsonObject *c = json_node_get_object (root);
      const char *learner = json_object_has_member (c, "learner")
                                ? json_object_get_string_member (c, "learner")
                                : "seed";

      if (strcmp (learner, "bayes") == 0)
        {
          run_bayes_case (conn, file, c);
          bayes++;
        }
      else
        {
          g_assert_cmpstr (learner, ==, "seed");
          run_seed_case (conn, file, c);
        }
    }
  g_test_message ("%u vote cases agree to 1e-6 (%u through the vote trigger)", files->len, bayes);
}

static void
collect_id (GPtrArray *all, const char *id)
{
  if (id != NULL && !g_ptr_array_find_with_equal_func (all, id, g_str_equal, NULL))
    g_ptr_array_add (all, (gpointer) id);
}

/* Case ids are short names or UUIDs; the database's are UUIDs. Each id
 * gets one whose order is the id's byte-wise order (ties are broken by
 * id, so the order must survive). */
static GHashTable *
map_ids (JsonObject *c)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  JsonArray *songs = json_object_get_array_member (c, "songs");
  JsonArray *listeners = json_object_get_array_member (c, "listeners");
  JsonArray *library = json_object_get_array_member (c, "library");
  JsonArray *history = json_object_get_array_member (c, "history");

  for (guint i = 0; i < json_array_get_length (songs); i++)
    collect_id (all,
                json_object_get_string_member (json_array_get_object_element (songs, i), "id"));
  for (guint i = 0; i < json_array_get_length (listeners); i++)
    collect_id (all,
                json_object_get_string_member (json_array_get_object_element (listeners, i), "id"));
  for (guint i = 0; i < json_array_get_length (library); i++)
    collect_id (all, json_array_get_string_element (library, i));
  for (guint i = 0; i < json_array_get_length (history); i++)
    collect_id (all, json_object_get_string_member (json_array_get_object_element (history, i),
                                                    "song_id"));
  if (!json_object_get_null_member (c, "current_song_id"))
    collect_id (all, json_object_get_string_member (c, "current_song_id"));
  g_ptr_array_sort (all, compare_strings);
  for (guint i = 0; i < all->len; i++)
    g_hash_table_insert (ids, all->pdata[i],
                         g_strdup_printf ("00000000-0000-4000-8000-%012u", i + 1));
  return ids;
}

static gboolean
is_song (JsonArray *songs, const char *id)
{
  for (guint i = 0; i < json_array_get_length (songs); i++)
    if (strcmp (json_object_get_string_member (json_array_get_object_element (songs, i), "id"),
                id) == 0)
      return TRUE;
  return FALSE;
}

/* Checks a ranking's rows (song_id, score) against the case's expect. */
static void
check_queue (const char *file, const char *how, PGresult *res, JsonArray *expect, GHashTable *ids)
{
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  if ((guint) PQntuples (res) != json_array_get_length (expect))
    g_error ("%s (%s): %d songs, the case expects %u", file, how, PQntuples (res),
             json_array_get_length (expect));
  for (int i = 0; i < PQntuples (res); i++)
    {
      JsonObject *e = json_array_get_object_element (expect, i);
      const char *want = id_of (ids, json_object_get_string_member (e, "song_id"));
      double want_score = json_object_get_double_member (e, "score");
      double score = g_ascii_strtod (PQgetvalue (res, i, 1), NULL);

      if (strcmp (PQgetvalue (res, i, 0), want) != 0)
        g_error ("%s (%s): position %d is %s, the case expects %s (%s)", file, how, i + 1,
                 PQgetvalue (res, i, 0), want, json_object_get_string_member (e, "song_id"));
      if (!(fabs (score - want_score) <= TOLERANCE))
        g_error ("%s (%s): position %d scores %.17g, the case expects %.17g", file, how, i + 1,
                 score, want_score);
    }
}

/* Loads a rank case into the tables (in the caller's transaction): the
 * songs, a player with the case's library, history and current song, and
 * each listener with an active session there at the case's "now". FALSE
 * when the case cannot be stated in a database with foreign keys. */
static gboolean
load_rank_case (PGconn *conn, JsonObject *c, GHashTable *ids, const char *player)
{
  JsonArray *songs = json_object_get_array_member (c, "songs");
  JsonArray *listeners = json_object_get_array_member (c, "listeners");
  JsonArray *library = json_object_get_array_member (c, "library");
  JsonArray *history = json_object_get_array_member (c, "history");
  const char *now = json_object_get_string_member (c, "now");
  guint known_library = 0;

  for (guint i = 0; i < json_array_get_length (library); i++)
    known_library += is_song (songs, json_array_get_string_element (library, i));
  if (json_array_get_length (library) > 0 && known_library == 0)
    return FALSE; /* a library of unknown songs only: the foreign key forbids it */

  for (guint i = 0; i < json_array_get_length (songs); i++)
    {
      JsonObject *s = json_array_get_object_element (songs, i);
      const char *id = id_of (ids, json_object_get_string_member (s, "id"));
      g_autofree char *url = g_strdup_printf ("https://media.invalid/%s.wav", id);
      g_autofree char *emb = numbers_text (json_object_get_array_member (s, "embedding"), '[', ']');
      const char *params[] = { id, json_object_get_string_member (s, "id"), url, emb };
      g_autofree char
          *r = sk_test_pg_value (conn,
                                 "INSERT INTO public.songs (id, title, file_url, embedding) "
                                 "VALUES ($1::uuid, $2, $3, $4::extensions.vector) RETURNING id",
                                 4, params);

      g_assert_cmpstr (r, ==, id);
    }
  {
    const char *cur = json_object_get_null_member (c, "current_song_id")
                          ? NULL
                          : id_of (ids, json_object_get_string_member (c, "current_song_id"));
    const char *params[] = { player, cur };
    g_autofree char
        *r = sk_test_pg_value (conn,
                               "INSERT INTO public.players (id, name, token, current_song_id) "
                               "VALUES ($1::uuid, 'case', 'token-of-the-case-player', $2::uuid) "
                               "RETURNING id",
                               2, params);

    g_assert_cmpstr (r, ==, player);
  }
  for (guint i = 0; i < json_array_get_length (library); i++)
    {
      const char *song = json_array_get_string_element (library, i);
      const char *params[] = { player, NULL };
      g_autofree char *r = NULL;

      if (!is_song (songs, song))
        continue; /* ignored by the definition; the foreign key refuses it */
      params[1] = id_of (ids, song);
      r = sk_test_pg_value (conn,
                            "INSERT INTO public.player_library (player_id, song_id) "
                            "VALUES ($1::uuid, $2::uuid) RETURNING id",
                            2, params);
    }
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *h = json_array_get_object_element (history, i);
      const char *song = json_object_get_string_member (h, "song_id");
      const char *params[] = { player, NULL, json_object_get_string_member (h, "played_at") };
      g_autofree char *r = NULL;

      if (!is_song (songs, song))
        continue; /* a row of an unknown song is ignored */
      params[1] = id_of (ids, song);
      r = sk_test_pg_value (conn,
                            "INSERT INTO public.songs_playing (player_id, song_id, played_at) "
                            "VALUES ($1::uuid, $2::uuid, $3::timestamptz) RETURNING id",
                            3, params);
    }
  for (guint i = 0; i < json_array_get_length (listeners); i++)
    {
      JsonObject *l = json_array_get_object_element (listeners, i);
      const char *id = id_of (ids, json_object_get_string_member (l, "id"));
      g_autofree char *pref = numbers_text (json_object_get_array_member (l, "preference"), '[',
                                            ']');
      g_autofree char *state = json_object_has_member (l, "state")
                                   ? numbers_text (json_object_get_array_member (l, "state"), '{',
                                                   '}')
                                   : NULL;
      const char *params[] = { id, player, now };
      g_autofree char *r = NULL;

      add_listener (conn, id, pref, state);
      r = sk_test_pg_value (conn,
                            "INSERT INTO public.sessions (user_id, player_id, checked_in_at, expires_at) "
                            "VALUES ($1::uuid, $2::uuid, $3::timestamptz - interval '10 minutes', "
                            "        $3::timestamptz + interval '50 minutes') RETURNING id",
                            3, params);
    }
  return TRUE;
}

static void
test_rank_cases (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autoptr (GPtrArray) files = case_files ("rank");
  const char *player = "00000000-0000-4000-8000-00000000ffff";
  guint seed_fn = 0, skipped = 0;

  if (conn == NULL)
    return;
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = files->pdata[i];
      g_autoptr (JsonNode) root = load_case (file);
      JsonObject *c = json_node_get_object (root);
      g_autoptr (GHashTable) ids = map_ids (c);
      JsonArray *expect = json_object_get_array_member (c, "expect");
      g_autofree char *k = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            json_object_get_int_member (c, "k"));
      g_autofree char *house = numbers_text (json_object_get_array_member (c, "house_vector"), '{',
                                             '}');
      char explore[G_ASCII_DTOSTR_BUF_SIZE];
      const char *strategy = json_object_get_string_member (c, "strategy");
      const char *now = json_object_get_string_member (c, "now");

      g_ascii_dtostr (explore, sizeof explore,
                      json_object_has_member (c, "explore")
                          ? json_object_get_double_member (c, "explore")
                          : 0.0);
      sk_test_pg_exec (conn, "BEGIN");
      if (!load_rank_case (conn, c, ids, player))
        {
          g_test_message ("%s: not stated in SQL: its library names only songs that do not "
                          "exist, which the foreign key of player_library refuses",
                          file);
          skipped++;
          sk_test_pg_exec (conn, "ROLLBACK");
          continue;
        }
      {
        const char *params[] = { player, k, strategy, explore, house, now };
        g_autoptr (PGresult) res = PQexecParams (
            conn,
            "SELECT song_id, score FROM soundscape.rank_player($1::uuid, $2::int, $3, $4::float8, "
            "$5::float8[], $6::timestamptz)",
            6, NULL, params, NULL, NULL, 0);

        if (PQresultStatus (res) != PGRES_TUPLES_OK)
          g_error ("%s: %s", file, PQresultErrorMessage (res));
        check_queue (file, "rank_player", res, expect, ids);
      }
      /* The seed's function, where the case is its definition (strategy
       * average, no bonus): the group vector is the listeners' mean, and
       * "now" is the transaction's, so the history moves with it. */
      if (strcmp (strategy, "average") == 0 && (!json_object_has_member (c, "explore") ||
                                                json_object_get_double_member (c, "explore") == 0))
        {
          const char *params[] = { player, k, now, house };
          g_autoptr (PGresult) res = NULL;

          {
            const char *shift[] = { player, now };

            g_free (sk_test_pg_value (
                conn,
                "WITH u AS (UPDATE public.songs_playing SET played_at = now() + (played_at - $2::timestamptz) "
                "           WHERE player_id = $1::uuid RETURNING 1) SELECT count(*) FROM u",
                2, shift));
          }
          res = PQexecParams (conn,
                              "SELECT r.song_id, r.score FROM public.recommend_with_penalty("
                              "  coalesce((SELECT extensions.avg(p.preference_vector) FROM public.sessions s "
                              "            JOIN public.profiles p ON p.id = s.user_id "
                              "            WHERE s.player_id = $1::uuid AND s.status = 'active' "
                              "              AND s.expires_at > $3::timestamptz), "
                              "           $4::float8[]::extensions.vector), "
                              "  $1::uuid, $2::int) r",
                              4, NULL, params, NULL, NULL, 0);
          if (PQresultStatus (res) != PGRES_TUPLES_OK)
            g_error ("%s: %s", file, PQresultErrorMessage (res));
          check_queue (file, "recommend_with_penalty", res, expect, ids);
          seed_fn++;
        }
      sk_test_pg_exec (conn, "ROLLBACK");
    }
  g_test_message ("%u rank cases agree to 1e-6 (%u through recommend_with_penalty too); %u not "
                  "stated in SQL",
                  files->len - skipped, seed_fn, skipped);
  g_assert_cmpuint (skipped, <=, 1);
}

/* --- row level security ------------------------------------------------- */

#define OWNER "00000000-0000-4000-8000-0000000000a1"
#define OTHER "00000000-0000-4000-8000-0000000000b2"
#define ADMIN "00000000-0000-4000-8000-0000000000c3"
#define PLAYER "00000000-0000-4000-8000-0000000000d4"
#define SONG1 "00000000-0000-4000-8000-0000000000e1"
#define SONG2 "00000000-0000-4000-8000-0000000000e2"

/* Who the API says the caller is, as PostgREST sets it for a request:
 * "anon", or a user's id (signed in: role authenticated). */
static void
become (PGconn *conn, const char *who)
{
  gboolean anon = strcmp (who, "anon") == 0;
  g_autofree char *claims = anon ? g_strdup ("{\"role\":\"anon\"}")
                                 : g_strdup_printf ("{\"role\":\"authenticated\",\"sub\":\"%s\"}",
                                                    who);
  const char *params[] = { anon ? "anon" : "authenticated", claims };

  g_free (sk_test_pg_value (conn,
                            "SELECT set_config('role', $1, true) || "
                            "set_config('request.jwt.claims', $2, true)",
                            2, params));
}

/* @sql as @who touches exactly @rows rows (selected or changed); nothing
 * of it stays. */
static void
allows (PGconn *conn, const char *who, const char *sql, int rows)
{
  g_autoptr (PGresult) res = NULL;
  ExecStatusType st;
  int n;

  sk_test_pg_exec (conn, "SAVEPOINT check_rule");
  become (conn, who);
  res = PQexec (conn, sql);
  st = PQresultStatus (res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    g_error ("as %s, refused: %s\n-- %s", who, PQresultErrorMessage (res), sql);
  n = st == PGRES_TUPLES_OK ? PQntuples (res) : atoi (PQcmdTuples (res));
  if (n != rows)
    g_error ("as %s, %d rows where %d were expected\n-- %s", who, n, rows, sql);
  sk_test_pg_exec (conn, "ROLLBACK TO SAVEPOINT check_rule");
}

/* @sql as @who is refused with SQLSTATE @state (42501: no privilege, or a
 * new row that a policy does not admit). */
static void
refuses (PGconn *conn, const char *who, const char *sql, const char *state)
{
  g_autofree char *got = NULL;

  sk_test_pg_exec (conn, "SAVEPOINT check_rule");
  become (conn, who);
  got = sk_test_pg_error_state (conn, sql, 0, NULL);
  if (got == NULL)
    g_error ("as %s, allowed where it must be refused\n-- %s", who, sql);
  if (strcmp (got, state) != 0)
    g_error ("as %s, refused with %s where %s was expected\n-- %s", who, got, state, sql);
  sk_test_pg_exec (conn, "ROLLBACK TO SAVEPOINT check_rule");
}

static void
test_rls (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autofree char *moved = NULL;

  if (conn == NULL)
    return;
  sk_test_pg_exec (conn, "BEGIN");
  sk_test_pg_exec (conn,
                   "INSERT INTO auth.users (id) VALUES ('" OWNER "'), ('" OTHER "'), ('" ADMIN "');"
                   "INSERT INTO public.profiles (id, name) VALUES ('" OWNER "', 'owner'), "
                   "  ('" OTHER "', 'other'), ('" ADMIN "', 'admin');"
                   "INSERT INTO public.roles (user_id, role) VALUES ('" ADMIN "', 'admin');"
                   "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                   "  ('" SONG1
                   "', 'rain', 'https://media.invalid/1.wav', '[0.9,0.2,0.1,0.3,0.4]'),"
                   "  ('" SONG2
                   "', 'wind', 'https://media.invalid/2.wav', '[0.2,0.9,0.1,0.3,0.4]');"
                   "INSERT INTO public.players (id, name, token, manager_id) "
                   "  VALUES ('" PLAYER "', 'lobby', 'secret-token-of-the-lobby', '" OWNER "');"
                   "INSERT INTO public.votes (user_id, song_id, vote_value) VALUES "
                   "  ('" OWNER "', '" SONG1 "', 4), ('" OTHER "', '" SONG1 "', 2);"
                   "INSERT INTO public.sessions (user_id, player_id) VALUES "
                   "  ('" OWNER "', '" PLAYER "'), ('" OTHER "', '" PLAYER "');"
                   "INSERT INTO public.badges (uid, user_id) VALUES ('04A1B2C3', '" OWNER "');"
                   "INSERT INTO public.player_library (player_id, song_id) VALUES ('" PLAYER
                   "', '" SONG1 "');"
                   "INSERT INTO public.songs_playing (player_id, song_id) VALUES ('" PLAYER
                   "', '" SONG1 "');"
                   "INSERT INTO public.player_queue (player_id, song_id, position) "
                   "  VALUES ('" PLAYER "', '" SONG2 "', 1);");

  /* profiles, SELECT: public */
  allows (conn, "anon", "SELECT * FROM public.profiles", 3);
  allows (conn, OTHER, "SELECT * FROM public.profiles WHERE id = '" OWNER "'", 1);
  refuses (conn, "anon", "INSERT INTO public.profiles (id) VALUES ('" OWNER "')", "42501");
  /* profiles, UPDATE: own profile only */
  allows (conn, OWNER, "UPDATE public.profiles SET display_name = 'me' WHERE id = '" OWNER "'", 1);
  allows (conn, OTHER, "UPDATE public.profiles SET display_name = 'me' WHERE id = '" OWNER "'", 0);
  refuses (conn, "anon", "UPDATE public.profiles SET display_name = 'x'", "42501");
  refuses (conn, OWNER,
           "UPDATE public.profiles SET preference_vector = '[1,1,1,1,1]' WHERE id = '" OWNER "'",
           "42501");

  /* songs, SELECT: public; INSERT/UPDATE/DELETE: admin role only */
  allows (conn, "anon", "SELECT * FROM public.songs", 2);
  allows (conn, ADMIN,
          "INSERT INTO public.songs (title, file_url, embedding) "
          "VALUES ('fire', 'https://media.invalid/3.wav', '[0.1,0.1,0.9,0.1,0.1]')",
          1);
  refuses (conn, OWNER,
           "INSERT INTO public.songs (title, file_url, embedding) "
           "VALUES ('fire', 'https://media.invalid/3.wav', '[0.1,0.1,0.9,0.1,0.1]')",
           "42501");
  refuses (conn, "anon",
           "INSERT INTO public.songs (title, file_url, embedding) "
           "VALUES ('fire', 'https://media.invalid/3.wav', '[0.1,0.1,0.9,0.1,0.1]')",
           "42501");
  allows (conn, ADMIN, "UPDATE public.songs SET title = 'gale' WHERE id = '" SONG2 "'", 1);
  allows (conn, OWNER, "UPDATE public.songs SET title = 'gale' WHERE id = '" SONG2 "'", 0);
  allows (conn, ADMIN, "DELETE FROM public.songs WHERE id = '" SONG2 "'", 1);
  allows (conn, OWNER, "DELETE FROM public.songs WHERE id = '" SONG2 "'", 0);
  refuses (conn, "anon", "DELETE FROM public.songs", "42501");

  /* votes, INSERT: auth.uid() = user_id */
  allows (conn, OWNER,
          "INSERT INTO public.votes (user_id, song_id, vote_value) "
          "VALUES ('" OWNER "', '" SONG2 "', 5)",
          1);
  refuses (conn, OWNER,
           "INSERT INTO public.votes (user_id, song_id, vote_value) "
           "VALUES ('" OTHER "', '" SONG2 "', 5)",
           "42501");
  refuses (conn, "anon",
           "INSERT INTO public.votes (user_id, song_id, vote_value) "
           "VALUES ('" OWNER "', '" SONG2 "', 5)",
           "42501");
  /* votes, SELECT: own votes only */
  allows (conn, OWNER, "SELECT * FROM public.votes", 1);
  allows (conn, OTHER, "SELECT * FROM public.votes WHERE user_id = '" OWNER "'", 0);
  refuses (conn, "anon", "SELECT * FROM public.votes", "42501");

  /* sessions, ALL: auth.uid() = user_id */
  allows (conn, OWNER, "SELECT * FROM public.sessions", 1);
  allows (conn, OWNER, "SELECT * FROM public.sessions WHERE user_id = '" OTHER "'", 0);
  allows (conn, OWNER,
          "INSERT INTO public.sessions (user_id, player_id) VALUES ('" OWNER "', '" PLAYER "')", 1);
  refuses (conn, OWNER,
           "INSERT INTO public.sessions (user_id, player_id) VALUES ('" OTHER "', '" PLAYER "')",
           "42501");
  allows (conn, OWNER, "UPDATE public.sessions SET status = 'inactive' WHERE user_id = '" OWNER "'",
          1);
  allows (conn, OWNER, "UPDATE public.sessions SET status = 'inactive' WHERE user_id = '" OTHER "'",
          0);
  refuses (conn, OWNER,
           "UPDATE public.sessions SET user_id = '" OTHER "' WHERE user_id = '" OWNER "'", "42501");
  allows (conn, OWNER, "DELETE FROM public.sessions WHERE user_id = '" OWNER "'", 1);
  allows (conn, OWNER, "DELETE FROM public.sessions WHERE user_id = '" OTHER "'", 0);
  refuses (conn, "anon", "SELECT * FROM public.sessions", "42501");

  /* players, SELECT: public for status, never the token */
  allows (conn, "anon", "SELECT id, name, status, last_poll FROM public.players", 1);
  allows (conn, OTHER, "SELECT id, name, status, current_song_id FROM public.players", 1);
  refuses (conn, "anon", "SELECT token FROM public.players", "42501");
  refuses (conn, "anon", "SELECT * FROM public.players", "42501");
  refuses (conn, OWNER, "SELECT token FROM public.players", "42501");
  refuses (conn, OTHER, "SELECT id FROM public.players WHERE token = 'secret-token-of-the-lobby'",
           "42501");
  /* players, UPDATE: auth.uid() = manager_id, and not the token or the manager */
  allows (conn, OWNER, "UPDATE public.players SET status = 'playing'", 1);
  allows (conn, OTHER, "UPDATE public.players SET status = 'playing'", 0);
  refuses (conn, "anon", "UPDATE public.players SET status = 'playing'", "42501");
  refuses (conn, OWNER, "UPDATE public.players SET token = 'another-secret-token'", "42501");
  refuses (conn, OWNER, "UPDATE public.players SET manager_id = '" OTHER "'", "42501");

  /* Not in the seed's table: closed to the API. */
  for (guint i = 0; i < 2; i++)
    {
      const char *who = i == 0 ? "anon" : OWNER;

      refuses (conn, who, "SELECT * FROM public.roles", "42501");
      refuses (conn, who, "SELECT * FROM public.badges", "42501");
      refuses (conn, who, "SELECT * FROM public.player_library", "42501");
      refuses (conn, who, "SELECT * FROM public.player_queue", "42501");
      refuses (conn, who, "SELECT * FROM public.songs_playing", "42501");
      refuses (conn, who,
               "SELECT * FROM public.recommend_with_penalty('[0.5,0.5,0.5,0.5,0.5]', '" PLAYER
               "', 5)",
               "42501");
    }

  /* A vote from the web (the seed's Node server's job) moves the voter's
   * taste on the server, as a kiosk's vote does: the trigger is the same. */
  sk_test_pg_exec (conn, "SAVEPOINT web_vote");
  become (conn, OWNER);
  sk_test_pg_exec (conn, "INSERT INTO public.votes (user_id, song_id, vote_value) "
                         "VALUES ('" OWNER "', '" SONG2 "', 5)");
  sk_test_pg_exec (conn, "RESET ROLE");
  /* the owner's vote of 4 on song 1 (made as setup) and now this 5 on song 2 */
  moved = sk_test_pg_value (
      conn,
      "SELECT soundscape.vec(p.preference_vector) = soundscape.learner_preference(st)::real[]::float8[] "
      "       AND p.taste_state = st "
      "FROM public.profiles p, "
      "  (SELECT soundscape.learner_step(soundscape.learner_step("
      "     soundscape.learner_from_preference('{0.5,0.5,0.5,0.5,0.5}'), soundscape.vec(s1.embedding), 4),"
      "     soundscape.vec(s2.embedding), 5) AS st "
      "   FROM public.songs s1, public.songs s2 "
      "   WHERE s1.id = '" SONG1 "' AND s2.id = '" SONG2 "') e "
      "WHERE p.id = '" OWNER "'",
      0, NULL);
  g_assert_cmpstr (moved, ==, "t");
  sk_test_pg_exec (conn, "ROLLBACK");
}

/* player_queue_for(token) answers what the seed's Django endpoint did: the
 * player's queue joined with its songs, in order, for the device that
 * shows its token, stamping last_poll; an unknown token is refused. */
static void
test_player_queue_for (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autoptr (PGresult) res = NULL;
  g_autofree char *polled = NULL;
  g_autofree char *state = NULL;
  const char *token[] = { "secret-token-of-the-lobby" };
  const char *wrong[] = { "secret-token-of-the-lobbz" };

  if (conn == NULL)
    return;
  sk_test_pg_exec (conn, "BEGIN");
  sk_test_pg_exec (conn,
                   "INSERT INTO public.songs (id, title, artist, file_url, embedding) VALUES "
                   "  ('" SONG1
                   "', 'rain', 'a', 'https://media.invalid/1.wav', '[0.9,0.2,0.1,0.3,0.4]'),"
                   "  ('" SONG2
                   "', 'wind', NULL, 'https://media.invalid/2.wav', '[0.2,0.9,0.1,0.3,0.4]');"
                   "INSERT INTO public.players (id, name, token, queue_source) VALUES "
                   "  ('" PLAYER "', 'lobby', 'secret-token-of-the-lobby', 'cloud'),"
                   "  ('00000000-0000-4000-8000-0000000000d5', 'bar', 'secret-token-of-the-bar', 'cloud');"
                   "INSERT INTO public.player_queue (player_id, song_id, position) VALUES "
                   "  ('" PLAYER "', '" SONG2 "', 2), ('" PLAYER "', '" SONG1 "', 1),"
                   "  ('00000000-0000-4000-8000-0000000000d5', '" SONG2 "', 1);");
  become (conn, "anon");
  res = PQexecParams (conn, "SELECT * FROM public.player_queue_for($1)", 1, NULL, token, NULL, NULL,
                      0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (res), ==, 2);
  g_assert_cmpstr (PQfname (res, 0), ==, "id");
  g_assert_cmpstr (PQfname (res, 4), ==, "position");
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, SONG1);
  g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, "rain");
  g_assert_cmpstr (PQgetvalue (res, 0, 2), ==, "a");
  g_assert_cmpstr (PQgetvalue (res, 0, 3), ==, "https://media.invalid/1.wav");
  g_assert_cmpstr (PQgetvalue (res, 0, 4), ==, "1");
  g_assert_cmpstr (PQgetvalue (res, 1, 0), ==, SONG2);
  g_assert_true (PQgetisnull (res, 1, 2));
  g_assert_cmpstr (PQgetvalue (res, 1, 4), ==, "2");
  sk_test_pg_exec (conn, "RESET ROLE");
  polled = sk_test_pg_value (conn,
                             "SELECT string_agg(name || '=' || (last_poll IS NOT NULL), ',' "
                             "ORDER BY name) FROM public.players",
                             0, NULL);
  g_assert_cmpstr (polled, ==, "bar=false,lobby=true");

  become (conn, "anon");
  sk_test_pg_exec (conn, "SAVEPOINT wrong");
  state = sk_test_pg_error_state (conn, "SELECT * FROM public.player_queue_for($1)", 1, wrong);
  g_assert_cmpstr (state, ==, "PT403");
  sk_test_pg_exec (conn, "ROLLBACK TO SAVEPOINT wrong");
  g_clear_pointer (&state, g_free);
  state = sk_test_pg_error_state (conn, "SELECT * FROM public.player_queue_for(NULL)", 0, NULL);
  g_assert_cmpstr (state, ==, "PT403");
  sk_test_pg_exec (conn, "ROLLBACK");
}

/* refresh_player_queues() fills player_queue for the cloud's players (the
 * seed's cron job) with recommend_with_penalty's ranking of who is present,
 * skips a player whose inputs did not change, and leaves kiosks alone. */
static void
test_refresh_player_queues (void)
{
  g_autoptr (PGconn) conn = connect_or_skip ();
  g_autofree char *n1 = NULL;
  g_autofree char *n2 = NULL;
  g_autofree char *n3 = NULL;
  g_autofree char *q1 = NULL;
  g_autofree char *q2 = NULL;
  g_autofree char *q3 = NULL;
  g_autofree char *want = NULL;
  g_autofree char *kiosk = NULL;
  const char *queue_sql = "SELECT string_agg(position || ':' || song_id, ',' ORDER BY position) "
                          "FROM public.player_queue WHERE player_id = '" PLAYER "'";

  if (conn == NULL)
    return;
  sk_test_pg_exec (conn, "BEGIN");
  sk_test_pg_exec (
      conn, "INSERT INTO auth.users (id) VALUES ('" OWNER "');"
            "INSERT INTO public.profiles (id, preference_vector) "
            "  VALUES ('" OWNER "', '[0.9,0.3,0.2,0.4,0.4]');"
            "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
            "  ('" SONG1 "', 'rain', 'https://media.invalid/1.wav', '[0.9,0.2,0.1,0.3,0.4]'),"
            "  ('" SONG2 "', 'wind', 'https://media.invalid/2.wav', '[0.2,0.9,0.1,0.3,0.4]'),"
            "  ('00000000-0000-4000-8000-0000000000e3', 'fire', 'https://media.invalid/3.wav',"
            "   '[0.1,0.1,0.9,0.1,0.1]');"
            "INSERT INTO public.players (id, name, token, queue_source) VALUES "
            "  ('" PLAYER "', 'lobby', 'secret-token-of-the-lobby', 'cloud'),"
            "  ('00000000-0000-4000-8000-0000000000d5', 'bar', 'secret-token-of-the-bar', 'kiosk');"
            "INSERT INTO public.sessions (user_id, player_id) VALUES ('" OWNER "', '" PLAYER "');");

  n1 = sk_test_pg_value (conn, "SELECT public.refresh_player_queues(3)", 0, NULL);
  g_assert_cmpstr (n1, ==, "1");
  q1 = sk_test_pg_value (conn, queue_sql, 0, NULL);
  want = sk_test_pg_value (conn,
                           "SELECT string_agg(n || ':' || song_id, ',' ORDER BY n) FROM ("
                           "  SELECT row_number() OVER () AS n, song_id FROM public.recommend_with_penalty("
                           "    (SELECT preference_vector FROM public.profiles), '" PLAYER
                           "', 3)) r",
                           0, NULL);
  g_assert_cmpstr (q1, ==, want);
  g_assert_nonnull (strstr (q1, "1:" SONG1));
  kiosk = sk_test_pg_value (conn,
                            "SELECT count(*) FROM public.player_queue "
                            "WHERE player_id = '00000000-0000-4000-8000-0000000000d5'",
                            0, NULL);
  g_assert_cmpstr (kiosk, ==, "0");

  /* nothing changed: skipped, the queue as it was */
  n2 = sk_test_pg_value (conn, "SELECT public.refresh_player_queues(3)", 0, NULL);
  g_assert_cmpstr (n2, ==, "0");
  q2 = sk_test_pg_value (conn, queue_sql, 0, NULL);
  g_assert_cmpstr (q2, ==, q1);

  /* a play changes the inputs: the song just started loses the whole
   * penalty (1 at Δt = 0) */
  sk_test_pg_exec (conn, "INSERT INTO public.songs_playing (player_id, song_id) "
                         "VALUES ('" PLAYER "', '" SONG1 "')");
  n3 = sk_test_pg_value (conn, "SELECT public.refresh_player_queues(3)", 0, NULL);
  g_assert_cmpstr (n3, ==, "1");
  q3 = sk_test_pg_value (conn,
                         "SELECT round((s1.score - s0.score)::numeric, 6) FROM "
                         "  (SELECT score FROM public.player_queue WHERE song_id = '" SONG1
                         "') s1, "
                         "  (SELECT soundscape.sim('{0.9,0.3,0.2,0.4,0.4}', "
                         "     soundscape.vec(embedding)) AS score "
                         "   FROM public.songs WHERE id = '" SONG1 "') s0",
                         0, NULL);
  g_assert_cmpstr (q3, ==, "-1.000000"); /* to 1e-6: a stored vector is single precision */
  sk_test_pg_exec (conn, "ROLLBACK");
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  pg_running = sk_test_pg_start (&pg, &pg_why_not);

  g_test_add_func ("/cloud-sql/1-migrate", test_migrate);
  g_test_add_func ("/cloud-sql/2-migrate-refuses", test_migrate_refuses);
  g_test_add_func ("/cloud-sql/3-vote-cases", test_vote_cases);
  g_test_add_func ("/cloud-sql/4-rank-cases", test_rank_cases);
  g_test_add_func ("/cloud-sql/5-rls", test_rls);
  g_test_add_func ("/cloud-sql/6-player-queue-for", test_player_queue_for);
  g_test_add_func ("/cloud-sql/7-refresh-player-queues", test_refresh_player_queues);
  rc = g_test_run ();
  sk_test_pg_stop (&pg);
  g_free (pg_why_not);
  return rc;
}
