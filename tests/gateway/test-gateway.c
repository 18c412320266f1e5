/* test-gateway.c: the PostgREST-compatible gateway (sk-test-gateway.h) in
 * front of the real database (PGlite with pgvector, migrated by
 * "soundscape-ctl db migrate"), as an HTTP client sees it: the project key,
 * the JWT and the role it selects, row level security through the API,
 * PostgREST's error bodies and statuses, functions and tables, each fault
 * it injects on command, and the bytes it counts on its sockets. PostgREST
 * cannot run here; this is the stand-in the sync tests talk to, so its
 * behaviour is pinned here. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sk-test-gateway.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

#define SECRET "test-only-jwt-secret-with-at-least-32-characters"
#define ANA "5a0e6a2e-0000-4000-8000-000000000001"
#define BEN "5a0e6a2e-0000-4000-8000-000000000002"
#define SONG "5a0e6a2e-0000-4000-8000-0000000000a1"
#define PLAYER_TOKEN "venue-one-secret-token"

static SkTestPg pg;
static SkTestGateway *gw;
static char *why_not;
static char *anon_key;

typedef struct
{
  guint status;
  char *body;
  char *www_authenticate;
  GError *error; /* the transfer failed (dropped, cut short) */
} Response;

static void
response_clear (Response *r)
{
  g_clear_pointer (&r->body, g_free);
  g_clear_pointer (&r->www_authenticate, g_free);
  g_clear_error (&r->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Response, response_clear)

/* @method @path with @body, the project key (unless @apikey is NULL) and
 * @bearer (unless NULL); what came back, or the transfer's error. */
static void
request (const char *method,
         const char *path,
         const char *body,
         const char *apikey,
         const char *bearer,
         const char *prefer,
         Response *r)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *base = sk_test_gateway_url (gw);
  g_autofree char *url = g_strconcat (base, path, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);

  if (apikey != NULL)
    soup_message_headers_append (h, "apikey", apikey);
  if (bearer != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_append (h, "Authorization", auth);
    }
  if (prefer != NULL)
    soup_message_headers_append (h, "Prefer", prefer);
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &r->error);
  r->status = soup_message_get_status (msg);
  if (bytes != NULL)
    r->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  r->www_authenticate = g_strdup (
      soup_message_headers_get_one (soup_message_get_response_headers (msg), "WWW-Authenticate"));
  g_test_message ("%s %s -> %u %s%s", method, path, r->status, r->body ? r->body : "",
                  r->error ? r->error->message : "");
}

/* The member @name of the JSON object @body, as text ("" when absent). */
static char *
member (const char *body, const char *name)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonNode *n;

  if (body == NULL || !json_parser_load_from_data (parser, body, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return g_strdup ("");
  o = json_node_get_object (json_parser_get_root (parser));
  n = json_object_get_member (o, name);
  if (n == NULL)
    return g_strdup ("");
  if (JSON_NODE_HOLDS_NULL (n))
    return g_strdup ("null");
  return g_strdup (json_node_get_string (n) ? json_node_get_string (n) : "");
}

static gboolean
is_json (const char *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  return body != NULL && json_parser_load_from_data (parser, body, -1, NULL);
}

/* A refusal: @r's status and its body's member @name (PostgREST's "code"
 * or "message"). */
static void
assert_refused (const Response *r, guint status, const char *name, const char *expected)
{
  g_autofree char *value = member (r->body, name);

  g_assert_cmpuint (r->status, ==, status);
  g_assert_cmpstr (value, ==, expected);
}

static char *
user_jwt (const char *sub, gint64 exp)
{
  g_autofree char *
      claims = g_strdup_printf ("{\"role\":\"authenticated\",\"sub\":\"%s\",\"exp\":%" G_GINT64_FORMAT
                                "}",
                                sub, exp);

  return sk_test_jwt (SECRET, claims);
}

static gint64
in_an_hour (void)
{
  return g_get_real_time () / G_USEC_PER_SEC + 3600;
}

static gboolean
skip_without_gateway (void)
{
  if (gw == NULL)
    g_test_skip (why_not);
  return gw == NULL;
}

static int
count (const char *sql)
{
  g_autofree char *v = sk_test_gateway_sql (gw, sql);

  return v != NULL ? atoi (v) : -1;
}

/* Without the project's key, Supabase's API gateway answers 401 before
 * PostgREST sees the request; a key not signed with the project's secret
 * is refused the same way. */
static void
test_apikey (void)
{
  g_auto (Response) none = { 0 };
  g_auto (Response) forged = { 0 };
  g_autofree char *other = sk_test_jwt ("another-project-secret-another-project",
                                        "{\"role\":\"anon\"}");

  if (skip_without_gateway ())
    return;
  request ("POST", "/rest/v1/rpc/player_queue_for", "{\"p_token\":\"" PLAYER_TOKEN "\"}", NULL,
           NULL, NULL, &none);
  assert_refused (&none, 401, "message", "No API key found in request");

  request ("POST", "/rest/v1/rpc/player_queue_for", "{\"p_token\":\"" PLAYER_TOKEN "\"}", other,
           NULL, NULL, &forged);
  assert_refused (&forged, 401, "message", "Invalid API key");
}

/* The bearer token: PGRST301 when it cannot be verified, PGRST303 when it
 * has expired, both 401 with WWW-Authenticate: Bearer. */
static void
test_jwt (void)
{
  g_autofree char *expired = user_jwt (ANA, g_get_real_time () / G_USEC_PER_SEC - 60);
  g_autofree char *forged = user_jwt (ANA, in_an_hour ());
  const char *cases[][2] = { { expired, "PGRST303" },
                             { forged, "PGRST301" },
                             { "not-a-jwt", "PGRST301" } };

  if (skip_without_gateway ())
    return;
  forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Response) r = { 0 };

      request ("GET", "/rest/v1/songs?select=id", NULL, anon_key, cases[i][0], NULL, &r);
      assert_refused (&r, 401, "code", cases[i][1]);
      g_assert_cmpstr (r.www_authenticate, ==, "Bearer");
    }
}

/* Functions: named arguments from the body; a jsonb or setof result as
 * JSON with 200; an unknown function 404 PGRST202; a SQLSTATE PTxyz the
 * status xyz (player_queue_for's PT403 for a token it does not know). */
static void
test_rpc (void)
{
  g_auto (Response) known = { 0 };
  g_auto (Response) unknown = { 0 };
  g_auto (Response) missing = { 0 };

  if (skip_without_gateway ())
    return;
  request ("POST", "/rest/v1/rpc/player_queue_for", "{\"p_token\":\"" PLAYER_TOKEN "\"}", anon_key,
           anon_key, NULL, &known);
  g_assert_cmpuint (known.status, ==, 200);
  g_assert_true (g_str_has_prefix (known.body, "["));
  g_assert_cmpint (count ("SELECT count(*) FROM public.players WHERE last_poll IS NOT NULL"), ==,
                   1);

  request ("POST", "/rest/v1/rpc/player_queue_for", "{\"p_token\":\"nobody-has-this-token\"}",
           anon_key, anon_key, NULL, &unknown);
  assert_refused (&unknown, 403, "code", "PT403");

  request ("POST", "/rest/v1/rpc/no_such_function", "{}", anon_key, anon_key, NULL, &missing);
  assert_refused (&missing, 404, "code", "PGRST202");
}

/* Row level security through the API: the players' token column is
 * refused to anon (401, as PostgREST answers 42501 without a JWT) and to a
 * signed-in user (403); their status is public. */
static void
test_rls (void)
{
  g_autofree char *ana = user_jwt (ANA, in_an_hour ());
  g_auto (Response) anon_token = { 0 };
  g_auto (Response) user_token = { 0 };
  g_auto (Response) status = { 0 };

  if (skip_without_gateway ())
    return;
  request ("GET", "/rest/v1/players?select=token", NULL, anon_key, NULL, NULL, &anon_token);
  assert_refused (&anon_token, 401, "code", "42501");

  request ("GET", "/rest/v1/players?select=token", NULL, anon_key, ana, NULL, &user_token);
  g_assert_cmpuint (user_token.status, ==, 403);

  request ("GET", "/rest/v1/players?select=name,status&name=eq.Venue%20One", NULL, anon_key, NULL,
           NULL, &status);
  g_assert_cmpuint (status.status, ==, 200);
  g_assert_cmpstr (status.body, ==, "[{\"name\":\"Venue One\",\"status\":\"idle\"}]");
}

/* A vote inserted by a signed-in listener, as the web app does: 201 with
 * the row; for someone else, refused by the policy (403). */
static void
test_insert (void)
{
  g_autofree char *ana = user_jwt (ANA, in_an_hour ());
  g_auto (Response) own = { 0 };
  g_auto (Response) other = { 0 };
  int before;

  if (skip_without_gateway ())
    return;
  before = count ("SELECT count(*) FROM public.votes");
  request ("POST", "/rest/v1/votes",
           "{\"user_id\":\"" ANA "\",\"song_id\":\"" SONG "\",\"vote_value\":4}", anon_key, ana,
           "return=representation", &own);
  g_assert_cmpuint (own.status, ==, 201);
  g_assert_true (g_str_has_prefix (own.body, "[{\"id\":"));
  g_assert_nonnull (strstr (own.body, "\"vote_value\":4"));
  g_assert_cmpint (count ("SELECT count(*) FROM public.votes"), ==, before + 1);

  request ("POST", "/rest/v1/votes",
           "{\"user_id\":\"" BEN "\",\"song_id\":\"" SONG "\",\"vote_value\":1}", anon_key, ana,
           NULL, &other);
  assert_refused (&other, 403, "code", "42501");
  g_assert_cmpint (count ("SELECT count(*) FROM public.votes"), ==, before + 1);
}

/* A vote by Ana, with the fault @fault (NONE: whatever the gateway draws);
 * returns how many votes were added. */
static int
vote_with_fault (SkGatewayFault fault, Response *r)
{
  g_autofree char *ana = user_jwt (ANA, in_an_hour ());
  int before = count ("SELECT count(*) FROM public.votes");

  if (fault != SK_GATEWAY_FAULT_NONE)
    sk_test_gateway_queue_fault (gw, fault);
  request ("POST", "/rest/v1/votes",
           "{\"user_id\":\"" ANA "\",\"song_id\":\"" SONG "\",\"vote_value\":3}", anon_key, ana,
           "return=representation", r);
  return count ("SELECT count(*) FROM public.votes") - before;
}

/* Each fault as a client meets it, and whether the request took effect. */
static void
test_faults (void)
{
  if (skip_without_gateway ())
    return;
  {
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_500, &r), ==, 0);
    g_assert_cmpuint (r.status, ==, 500);
  }
  {
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_503, &r), ==, 0);
    g_assert_cmpuint (r.status, ==, 503);
  }
  {
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_EXPIRED, &r), ==, 0);
    assert_refused (&r, 401, "code", "PGRST303");
  }
  {
    /* applied, but the client never learns it: it must retry, idempotently */
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_DROP, &r), ==, 1);
    g_assert_nonnull (r.error);
  }
  {
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_TRUNCATED, &r), ==, 1);
    g_assert_cmpuint (r.status, ==, 201);
    g_assert_false (is_json (r.body));
  }
  {
    g_auto (Response) r = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_DELAY, &r), ==, 1);
    g_assert_cmpuint (r.status, ==, 201);
    g_assert_cmpuint (sk_test_gateway_count (gw, SK_GATEWAY_FAULT_DELAY), ==, 1);
  }
  {
    /* the response to the first also answers the second, which is not run */
    g_auto (Response) first = { 0 };
    g_auto (Response) second = { 0 };

    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_TWICE, &first), ==, 1);
    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_NONE, &second), ==, 0);
    g_assert_cmpuint (second.status, ==, first.status);
    g_assert_cmpstr (second.body, ==, first.body);
  }
  {
    g_auto (Response) r = { 0 };

    sk_test_gateway_set_offline (gw, TRUE);
    g_assert_cmpint (vote_with_fault (SK_GATEWAY_FAULT_NONE, &r), ==, 0);
    g_assert_nonnull (r.error);
    sk_test_gateway_set_offline (gw, FALSE);
  }
}

/* Random faults from a seed: every kind is drawn, and each request is
 * either applied once or not at all. */
static void
test_random_faults (void)
{
  guint mask = 0, before[SK_GATEWAY_N_FAULTS];
  int applied = 0;

  if (skip_without_gateway ())
    return;
  for (guint f = 0; f < SK_GATEWAY_N_FAULTS; f++)
    before[f] = sk_test_gateway_count (gw, f);
  for (guint f = 1; f < SK_GATEWAY_N_FAULTS; f++)
    if (f != SK_GATEWAY_FAULT_DELAY)
      mask |= 1u << f;
  sk_test_gateway_random_faults (gw, mask, 0.7, 20261205);
  for (int i = 0; i < 60; i++)
    {
      g_auto (Response) r = { 0 };
      int added = vote_with_fault (SK_GATEWAY_FAULT_NONE, &r);

      g_assert_cmpint (added, >=, 0);
      g_assert_cmpint (added, <=, 1);
      applied += added;
    }
  sk_test_gateway_random_faults (gw, 0, 0, 0);
  for (guint f = 0; f < SK_GATEWAY_N_FAULTS; f++)
    {
      guint drawn = sk_test_gateway_count (gw, f) - before[f];

      g_test_message ("fault %u: %u times", f, drawn);
      if (f != SK_GATEWAY_FAULT_DELAY)
        g_assert_cmpuint (drawn, >, 0);
      else
        g_assert_cmpuint (drawn, ==, 0);
    }
  g_test_message ("60 requests under random faults, %d applied", applied);
}

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* The official Supabase JavaScript client (tests/package.json) against the
 * gateway: the seed's web app and poll-only player, as a real client sends
 * them (supabase-parity.mjs checks each answer). */
static void
test_supabase_js (void)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "gateway", "supabase-parity.mjs",
                                                   NULL);
  g_autofree char *module = g_test_build_filename (G_TEST_DIST, "node_modules", "@supabase",
                                                   "supabase-js", "package.json", NULL);
  g_autofree char *url = NULL;
  g_autofree char *ana = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *done = NULL;
  gint64 deadline;

  if (skip_without_gateway ())
    return;
  if (node == NULL || !g_file_test (module, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Node or the pinned @supabase/supabase-js is not installed "
                   "(tools/install-deps --tests runs npm ci in tests/)");
      return;
    }
  url = sk_test_gateway_url (gw);
  ana = user_jwt (ANA, in_an_hour ());
  launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                   G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "SK_URL", url, TRUE);
  g_subprocess_launcher_setenv (launcher, "SK_ANON_KEY", anon_key, TRUE);
  g_subprocess_launcher_setenv (launcher, "SK_USER_JWT", ana, TRUE);
  g_subprocess_launcher_setenv (launcher, "SK_USER_ID", ANA, TRUE);
  g_subprocess_launcher_setenv (launcher, "SK_SONG_ID", SONG, TRUE);
  g_subprocess_launcher_setenv (launcher, "SK_PLAYER_TOKEN", PLAYER_TOKEN, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, node, script, NULL);
  g_assert_no_error (error);
  /* bounded: the client's calls are on loopback; a hang is a failure */
  g_subprocess_communicate_utf8_async (child, NULL, NULL, on_communicated, &done);
  deadline = sk_test_deadline_ms (60000);
  while (done == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  if (done == NULL)
    {
      g_subprocess_force_exit (child);
      g_error ("the Supabase client did not finish within its bound");
    }
  g_assert_true (g_subprocess_communicate_utf8_finish (child, done, &out, NULL, &error));
  g_clear_object (&done);
  g_assert_no_error (error);
  g_subprocess_wait (child, NULL, NULL);
  g_test_message ("%s", out);
  g_assert_true (g_subprocess_get_if_exited (child));
  g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 0);
  g_assert_nonnull (strstr (out, "ok: a player's status is public"));
}

/* Writes @head and reads what comes back until the gateway closes the
 * connection (bounded by the socket's timeout); the bytes read. */
static gsize
raw_exchange (const char *head, char **answer)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GByteArray) got = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint8 buf[4096];
  gssize n;

  g_socket_client_set_timeout (client, 30);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", sk_test_gateway_port (gw), NULL,
                                          &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)),
                                            head, strlen (head), NULL, NULL, &error));
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                                   sizeof buf, NULL, &error)) > 0)
    g_byte_array_append (got, buf, (guint) n);
  g_assert_no_error (error);
  *answer = g_strndup ((const char *) got->data, got->len);
  return got->len;
}

/* The byte counter: what a client wrote on its connection and read back,
 * byte for byte, answered or dropped mid-body; a connection kept alive
 * serves a second request. */
static void
test_bytes (void)
{
  g_autofree char *head = NULL, *answer = NULL, *dropped = NULL;
  guint64 in0, out0, in1, out1, in2, out2;
  gsize got;

  if (skip_without_gateway ())
    return;
  head = g_strdup_printf ("GET /rest/v1/songs?select=id,title HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\napikey: %s\r\nConnection: close\r\n\r\n",
                          anon_key);
  sk_test_gateway_get_bytes (gw, &in0, &out0);
  got = raw_exchange (head, &answer);
  sk_test_gateway_get_bytes (gw, &in1, &out1);
  g_test_message ("%zu bytes written, %zu read", strlen (head), got);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (answer, "\"Rain\""));
  g_assert_cmpuint (in1 - in0, ==, strlen (head));
  g_assert_cmpuint (out1 - out0, ==, got);

  /* a connection kept alive serves the next request */
  {
    g_autofree char *two = NULL, *kept = g_strdup_printf ("GET /rest/v1/songs?select=id,title "
                                                          "HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                          "apikey: %s\r\n\r\n%s",
                                                          anon_key, head);

    raw_exchange (kept, &two);
    g_assert_nonnull (strstr (strstr (two, "\"Rain\"") + 1, "\"Rain\""));
    sk_test_gateway_get_bytes (gw, &in1, &out1);
  }

  sk_test_gateway_queue_fault (gw, SK_GATEWAY_FAULT_DROP);
  got = raw_exchange (head, &dropped);
  sk_test_gateway_get_bytes (gw, &in2, &out2);
  g_assert_cmpuint (got, <, strlen (answer));
  g_assert_cmpuint (in2 - in1, ==, strlen (head));
  g_assert_cmpuint (out2 - out1, ==, got);
}

static void
set_up (void)
{
  g_autofree char *conninfo = NULL;
  g_autoptr (GError) error = NULL;

  if (!sk_test_pg_start (&pg, &why_not))
    return;
  g_free (sk_test_pg_migrate (&pg));
  {
    g_autoptr (PGconn) conn = sk_test_pg_connect (&pg);

    sk_test_pg_exec (conn, "INSERT INTO auth.users (id) VALUES ('" ANA "'), ('" BEN "');"
                           "INSERT INTO public.profiles (id, display_name) VALUES "
                           "('" ANA "', 'Ana'), ('" BEN "', 'Ben');"
                           "INSERT INTO public.songs (id, title, file_url, embedding) VALUES "
                           "('" SONG "', 'Rain', 'https://media.invalid/rain.ogg', "
                           "'[0.9,0.1,0.1,0.1,0.2]');"
                           "INSERT INTO public.players (name, token) VALUES "
                           "('Venue One', '" PLAYER_TOKEN "');");
  }
  conninfo = sk_test_pg_conninfo (&pg);
  gw = sk_test_gateway_start (conninfo, SECRET, &error);
  g_assert_no_error (error);
  anon_key = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  set_up ();
  g_test_add_func ("/gateway/apikey", test_apikey);
  g_test_add_func ("/gateway/jwt", test_jwt);
  g_test_add_func ("/gateway/rpc", test_rpc);
  g_test_add_func ("/gateway/rls", test_rls);
  g_test_add_func ("/gateway/insert", test_insert);
  g_test_add_func ("/gateway/faults", test_faults);
  g_test_add_func ("/gateway/random-faults", test_random_faults);
  g_test_add_func ("/gateway/supabase-js", test_supabase_js);
  g_test_add_func ("/gateway/bytes", test_bytes);
  rc = g_test_run ();
  sk_test_gateway_stop (gw);
  g_free (anon_key);
  g_free (why_not);
  sk_test_pg_stop (&pg);
  return rc;
}
