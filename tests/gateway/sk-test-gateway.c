#include "config.h"

#include <gio/gnetworking.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sk-test-gateway.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

struct _SkTestGateway
{
  char *secret;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  GSocketService *service; /* accepts the connections it hands the server */
  guint16 port;

  GMutex db_lock; /* the connection: requests and sk_test_gateway_sql */
  PGconn *conn;

  gint connections; /* accepted (atomic) */

  GMutex lock;   /* what follows */
  GQueue faults; /* queued, as GUINT_TO_POINTER (fault) */
  GRand *rand;
  guint random_mask;
  double random_rate;
  guint delay_ms;
  gboolean offline;
  guint counts[SK_GATEWAY_N_FAULTS];
  guint64 bytes_received, bytes_sent; /* on the clients' sockets */
  GTlsCertificate *tls;               /* https with it when set */
  /* the response SK_GATEWAY_FAULT_TWICE keeps for the next request */
  guint replay_status;
  char *replay_body;
};

/* A response, before faults are applied to it. */
typedef struct
{
  guint status;
  char *body; /* NULL: none */
  gboolean www_authenticate;
} Reply;

static void
reply_clear (Reply *r)
{
  g_clear_pointer (&r->body, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

/* --- JWT (HS256) -------------------------------------------------------- */

static char *
base64url (const guchar *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  char *eq;

  g_strdelimit (s, "+", '-');
  g_strdelimit (s, "/", '_');
  eq = strchr (s, '=');
  if (eq != NULL)
    *eq = '\0';
  return s;
}

/* NULL when @text is not base64url. */
static guchar *
base64url_decode (const char *text, gsize *len)
{
  gsize n = strlen (text);
  g_autofree char *s = g_malloc (n + 4);

  for (gsize i = 0; i < n; i++)
    {
      char c = text[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return NULL;
      s[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
  while (n % 4 != 0)
    s[n++] = '=';
  s[n] = '\0';
  return g_base64_decode (s, len);
}

static char *
hs256 (const char *secret, const char *signing_input)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  guint8 digest[32];
  gsize len = sizeof digest;

  g_hmac_update (hmac, (const guchar *) signing_input, -1);
  g_hmac_get_digest (hmac, digest, &len);
  return base64url (digest, len);
}

char *
sk_test_jwt (const char *secret, const char *claims_json)
{
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree char *h = base64url ((const guchar *) header, strlen (header));
  g_autofree char *p = base64url ((const guchar *) claims_json, strlen (claims_json));
  g_autofree char *input = g_strconcat (h, ".", p, NULL);
  g_autofree char *sig = hs256 (secret, input);

  return g_strconcat (input, ".", sig, NULL);
}

/* The claims of @token as JSON text, or NULL with the PostgREST code and
 * message of the failure. */
static char *
verify_jwt (SkTestGateway *gw, const char *token, const char **code, const char **message)
{
  g_auto (GStrv) parts = g_strsplit (token, ".", 4);
  g_autofree char *input = NULL;
  g_autofree char *sig = NULL;
  g_autofree guchar *header = NULL;
  g_autofree guchar *claims = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  gsize n;

  *code = "PGRST301";
  if (g_strv_length (parts) != 3)
    {
      *message = "Expected 3 parts in JWT; got a different number";
      return NULL;
    }
  input = g_strconcat (parts[0], ".", parts[1], NULL);
  sig = hs256 (gw->secret, input);
  header = base64url_decode (parts[0], &n);
  if (header == NULL || !json_parser_load_from_data (parser, (const char *) header, n, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (
                                                                 json_parser_get_root (parser)),
                                                             "alg", ""),
                 "HS256") != 0)
    {
      *message = "JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts)";
      return NULL;
    }
  if (strcmp (sig, parts[2]) != 0)
    {
      *message = "JWSError JWSInvalidSignature";
      return NULL;
    }
  claims = base64url_decode (parts[1], &n);
  if (claims == NULL || !json_parser_load_from_data (parser, (const char *) claims, n, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      *message = "JWT cannot be decoded";
      return NULL;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (o, "exp") &&
      json_object_get_int_member_with_default (o, "exp", 0) < g_get_real_time () / G_USEC_PER_SEC)
    {
      *code = "PGRST303";
      *message = "JWT expired";
      return NULL;
    }
  return g_strndup ((const char *) claims, n);
}

/* --- PostgREST's answers ------------------------------------------------- */

static char *
error_body (const char *code, const char *message, const char *details, const char *hint)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "details");
  details != NULL ? json_builder_add_string_value (b, details) : json_builder_add_null_value (b);
  json_builder_set_member_name (b, "hint");
  hint != NULL ? json_builder_add_string_value (b, hint) : json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
set_error (Reply *r, guint status, const char *code, const char *message)
{
  reply_clear (r);
  r->status = status;
  r->body = error_body (code, message, NULL, NULL);
}

/* PostgREST's status for a SQLSTATE. */
static guint
status_of_state (const char *state, gboolean anon)
{
  if (strcmp (state, "23505") == 0 || strcmp (state, "23503") == 0)
    return 409;
  if (strcmp (state, "42501") == 0)
    return anon ? 401 : 403;
  if (strcmp (state, "42883") == 0 || strcmp (state, "42P01") == 0)
    return 404;
  if (g_str_has_prefix (state, "08") || g_str_has_prefix (state, "53") ||
      strcmp (state, "57P01") == 0)
    return 503;
  if (state[0] == 'P' && state[1] == 'T' && g_ascii_isdigit (state[2]) &&
      g_ascii_isdigit (state[3]) && g_ascii_isdigit (state[4]) && state[5] == '\0')
    return (guint) g_ascii_strtoull (state + 2, NULL, 10);
  if (g_str_has_prefix (state, "25") || g_str_has_prefix (state, "40") ||
      g_str_has_prefix (state, "XX"))
    return 500;
  return 400;
}

static void
set_pg_error (Reply *r, const PGresult *res, gboolean anon)
{
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);

  if (state == NULL)
    state = "XX000";
  reply_clear (r);
  r->status = status_of_state (state, anon);
  r->www_authenticate = r->status == 401;
  r->body = error_body (state, PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY),
                        PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL),
                        PQresultErrorField (res, PG_DIAG_MESSAGE_HINT));
}

/* --- one request, one transaction ------------------------------------------ */

typedef struct
{
  const char *role;
  const char *claims;
  const char *method;
  const char *path;
} Request;

static gboolean
is_identifier (const char *s)
{
  if (s == NULL || !(g_ascii_islower (*s) || *s == '_'))
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_islower (*s) && !g_ascii_isdigit (*s) && *s != '_')
      return FALSE;
  return TRUE;
}

static PGresult *
exec (SkTestGateway *gw, const char *sql, int n, const char *const *params)
{
  return PQexecParams (gw->conn, sql, n, NULL, params, NULL, NULL, 0);
}

static gboolean
ok (const PGresult *res)
{
  ExecStatusType st = PQresultStatus (res);

  return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Runs @sql with @params in a transaction as @req's role and claims; on
 * success @r holds @status and the first value (as the body, unless
 * @no_body). */
static void
run (SkTestGateway *gw,
     const Request *req,
     const char *sql,
     int n,
     const char *const *params,
     guint status,
     gboolean no_body,
     Reply *r)
{
  const char *settings[] = { req->role, req->claims, req->method, req->path };
  g_autoptr (PGresult) begin = NULL;
  g_autoptr (PGresult) set = NULL;
  g_autoptr (PGresult) res = NULL;
  g_autoptr (PGresult) end = NULL;
  gboolean anon = strcmp (req->role, "anon") == 0;

  begin = exec (gw, strcmp (req->method, "GET") == 0 ? "BEGIN READ ONLY" : "BEGIN", 0, NULL);
  set = exec (gw,
              "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), "
              "set_config('request.method', $3, true), set_config('request.path', $4, true)",
              4, settings);
  if (!ok (set))
    {
      set_pg_error (r, set, anon);
      end = exec (gw, "ROLLBACK", 0, NULL);
      return;
    }
  res = exec (gw, sql, n, params);
  if (!ok (res))
    {
      set_pg_error (r, res, anon);
      end = exec (gw, "ROLLBACK", 0, NULL);
      return;
    }
  end = exec (gw, "COMMIT", 0, NULL);
  if (!ok (end))
    {
      set_pg_error (r, end, anon);
      return;
    }
  r->status = status;
  if (!no_body && PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0 &&
      !PQgetisnull (res, 0, 0))
    r->body = g_strdup (PQgetvalue (res, 0, 0));
}

/* POST /rest/v1/rpc/FN: the function of the schema public whose argument
 * names the body's keys match, called with named arguments from
 * json_to_record. */
static void
call_function (SkTestGateway *gw, const Request *req, const char *fn, const char *body, Reply *r)
{
  static const char lookup
      [] = "SELECT p.proretset, p.prorettype = 'void'::regtype, p.pronargdefaults, "
           "  coalesce((SELECT json_agg(json_build_array(p.proargnames[i], "
           "                                             format_type(p.proargtypes[i - 1], NULL)) "
           "                            ORDER BY i) "
           "            FROM generate_series(1, p.pronargs) i), '[]')::text "
           "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
           "WHERE n.nspname = 'public' AND p.proname = $1 ORDER BY p.pronargs DESC";
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (PGresult) fns = NULL;
  JsonObject *args;
  const char *params[] = { fn };

  if (!json_parser_load_from_data (parser, *body != '\0' ? body : "{}", -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      set_error (r, 400, "PGRST102", "Empty or invalid json");
      return;
    }
  args = json_node_get_object (json_parser_get_root (parser));
  fns = exec (gw, lookup, 1, params);
  for (int row = 0; ok (fns) && row < PQntuples (fns); row++)
    {
      g_autoptr (JsonParser) sig = json_parser_new ();
      g_autoptr (GString) record = g_string_new (NULL);
      g_autoptr (GString) named = g_string_new (NULL);
      g_autofree char *sql = NULL;
      g_autofree char *qfn = PQescapeIdentifier (gw->conn, fn, strlen (fn));
      gboolean setof = PQgetvalue (fns, row, 0)[0] == 't';
      gboolean is_void = PQgetvalue (fns, row, 1)[0] == 't';
      guint n_defaults = (guint) g_ascii_strtoull (PQgetvalue (fns, row, 2), NULL, 10);
      JsonArray *names;
      guint n_args, matched = 0;
      gboolean fits = TRUE;
      const char *call_params[] = { *body != '\0' ? body : "{}" };

      if (!json_parser_load_from_data (sig, PQgetvalue (fns, row, 3), -1, NULL))
        continue;
      names = json_node_get_array (json_parser_get_root (sig));
      n_args = json_array_get_length (names);
      for (guint i = 0; i < n_args && fits; i++)
        {
          JsonArray *a = json_array_get_array_element (names, i);
          const char *name = json_array_get_string_element (a, 0);
          const char *type = json_array_get_string_element (a, 1);
          g_autofree char *qname = NULL;

          if (!is_identifier (name))
            fits = FALSE;
          else if (!json_object_has_member (args, name))
            fits = i >= n_args - n_defaults;
          else
            {
              qname = PQescapeIdentifier (gw->conn, name, strlen (name));
              g_string_append_printf (record, "%s%s %s", record->len ? ", " : "", qname, type);
              g_string_append_printf (named, "%s%s := _a.%s", named->len ? ", " : "", qname, qname);
              matched++;
            }
        }
      if (!fits || matched != json_object_get_size (args))
        continue;
      if (setof)
        sql = g_strdup_printf ("SELECT coalesce(json_agg(_r), '[]')::text FROM "
                               "json_to_record($1::json) AS _a(%s) "
                               "CROSS JOIN LATERAL public.%s(%s) AS _r",
                               record->len ? record->str : "_none text", qfn, named->str);
      else
        sql = g_strdup_printf ("SELECT to_json(public.%s(%s))::text FROM "
                               "json_to_record($1::json) AS _a(%s)",
                               qfn, named->str, record->len ? record->str : "_none text");
      run (gw, req, sql, 1, call_params, is_void ? 204 : 200, is_void, r);
      return;
    }
  {
    g_autofree char *
        message = g_strdup_printf ("Could not find the function public.%s in the schema cache", fn);

    set_error (r, 404, "PGRST202", message);
  }
}

/* GET /rest/v1/TABLE?select=a,b&col=eq.value */
static void
read_table (SkTestGateway *gw, const Request *req, const char *table, GHashTable *query, Reply *r)
{
  g_autofree char *qtable = PQescapeIdentifier (gw->conn, table, strlen (table));
  g_autoptr (GString) cols = g_string_new (NULL);
  g_autoptr (GString) where = g_string_new (NULL);
  g_autoptr (GPtrArray) params = g_ptr_array_new ();
  g_autofree char *sql = NULL;
  const char *select = query != NULL ? g_hash_table_lookup (query, "select") : NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (select == NULL || strcmp (select, "*") == 0)
    g_string_append (cols, "*");
  else
    {
      g_auto (GStrv) names = g_strsplit (select, ",", -1);

      for (guint i = 0; names[i] != NULL; i++)
        {
          g_autofree char *q = NULL;

          if (!is_identifier (names[i]))
            {
              set_error (r, 400, "PGRST100", "\"failed to parse select parameter\"");
              return;
            }
          q = PQescapeIdentifier (gw->conn, names[i], strlen (names[i]));
          g_string_append_printf (cols, "%s%s", i ? ", " : "", q);
        }
    }
  if (query != NULL)
    {
      g_hash_table_iter_init (&iter, query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autofree char *q = NULL;

          if (strcmp (key, "select") == 0)
            continue;
          if (!is_identifier (key) || !g_str_has_prefix (value, "eq."))
            {
              set_error (r, 400, "PGRST100", "\"failed to parse filter\"");
              return;
            }
          q = PQescapeIdentifier (gw->conn, key, strlen (key));
          g_ptr_array_add (params, (char *) value + 3);
          g_string_append_printf (where, "%s%s = $%u", where->len ? " AND " : " WHERE ", q,
                                  params->len);
        }
    }
  sql = g_strdup_printf ("SELECT coalesce(json_agg(_t), '[]')::text FROM "
                         "(SELECT %s FROM public.%s%s) _t",
                         cols->str, qtable, where->str);
  run (gw, req, sql, (int) params->len, (const char *const *) params->pdata, 200, FALSE, r);
}

/* POST /rest/v1/TABLE: the body's rows (an object or an array), with only
 * their columns, so that the others take their defaults. */
static void
insert_rows (SkTestGateway *gw,
             const Request *req,
             const char *table,
             const char *body,
             gboolean representation,
             Reply *r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GString) cols = g_string_new (NULL);
  g_autofree char *qtable = PQescapeIdentifier (gw->conn, table, strlen (table));
  g_autofree char *sql = NULL;
  g_autofree char *rows = NULL;
  JsonNode *root;
  JsonObject *first;
  GList *members;
  const char *params[1];

  if (!json_parser_load_from_data (parser, body, -1, NULL))
    {
      set_error (r, 400, "PGRST102", "Empty or invalid json");
      return;
    }
  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr (JsonNode) wrapped = json_node_new (JSON_NODE_ARRAY);
      g_autoptr (JsonArray) a = json_array_new ();

      json_array_add_element (a, json_node_copy (root));
      json_node_set_array (wrapped, a);
      rows = json_to_string (wrapped, FALSE);
      first = json_node_get_object (root);
    }
  else if (JSON_NODE_HOLDS_ARRAY (root) && json_array_get_length (json_node_get_array (root)) > 0 &&
           JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (root), 0)))
    {
      rows = g_strdup (body);
      first = json_array_get_object_element (json_node_get_array (root), 0);
    }
  else
    {
      set_error (r, 400, "PGRST102", "Empty or invalid json");
      return;
    }
  members = json_object_get_members (first);
  for (GList *m = members; m != NULL; m = m->next)
    {
      g_autofree char *q = NULL;

      if (!is_identifier (m->data))
        {
          g_list_free (members);
          set_error (r, 400, "PGRST204", "Could not find a column in the schema cache");
          return;
        }
      q = PQescapeIdentifier (gw->conn, m->data, strlen (m->data));
      g_string_append_printf (cols, "%s%s", cols->len ? ", " : "", q);
    }
  g_list_free (members);
  sql = g_strdup_printf ("WITH _i AS (INSERT INTO public.%s (%s) SELECT %s FROM "
                         "json_populate_recordset(NULL::public.%s, $1::json) RETURNING *) "
                         "SELECT coalesce(json_agg(_i), '[]')::text FROM _i",
                         qtable, cols->str, cols->str, qtable);
  params[0] = rows;
  run (gw, req, sql, 1, params, 201, !representation, r);
}

/* --- bytes on the socket ------------------------------------------------- */

/* Each connection the gateway accepts is wrapped before libsoup sees it,
 * so that every byte read from the socket (requests: their lines, headers
 * and bodies) and written to it (responses, whole or cut short) is
 * counted. libsoup reads and writes without blocking: the wrappers are
 * pollable as the socket's own streams are. */

static void
count_bytes (SkTestGateway *gw, gssize received, gssize sent)
{
  g_mutex_lock (&gw->lock);
  gw->bytes_received += (guint64) MAX (received, 0);
  gw->bytes_sent += (guint64) MAX (sent, 0);
  g_mutex_unlock (&gw->lock);
}

typedef struct
{
  GFilterInputStream parent;
  SkTestGateway *gw;
} CountingInput;
typedef GFilterInputStreamClass CountingInputClass;

static GType counting_input_get_type (void);
static void counting_input_pollable_init (GPollableInputStreamInterface *iface);
G_DEFINE_TYPE_WITH_CODE (CountingInput,
                         counting_input,
                         G_TYPE_FILTER_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                counting_input_pollable_init))

#define INPUT_BASE(s) (G_FILTER_INPUT_STREAM (s)->base_stream)
#define POLLABLE_INPUT_BASE(s) G_POLLABLE_INPUT_STREAM (INPUT_BASE (s))

static gssize
counting_input_read (
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  gssize n = g_input_stream_read (INPUT_BASE (stream), buffer, count, cancellable, error);

  count_bytes (((CountingInput *) stream)->gw, n, 0);
  return n;
}

static gboolean
counting_input_can_poll (GPollableInputStream *stream)
{
  return g_pollable_input_stream_can_poll (POLLABLE_INPUT_BASE (stream));
}

static gboolean
counting_input_is_readable (GPollableInputStream *stream)
{
  return g_pollable_input_stream_is_readable (POLLABLE_INPUT_BASE (stream));
}

static GSource *
counting_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  g_autoptr (GSource) base = g_pollable_input_stream_create_source (POLLABLE_INPUT_BASE (stream),
                                                                    NULL);

  return g_pollable_source_new_full (stream, base, cancellable);
}

static gssize
counting_input_read_nonblocking (GPollableInputStream *stream,
                                 void *buffer,
                                 gsize count,
                                 GError **error)
{
  gssize n = g_pollable_input_stream_read_nonblocking (POLLABLE_INPUT_BASE (stream), buffer, count,
                                                       NULL, error);

  count_bytes (((CountingInput *) stream)->gw, n, 0);
  return n;
}

static void
counting_input_init (CountingInput *self)
{
}

static void
counting_input_class_init (CountingInputClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = counting_input_read;
}

static void
counting_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = counting_input_can_poll;
  iface->is_readable = counting_input_is_readable;
  iface->create_source = counting_input_create_source;
  iface->read_nonblocking = counting_input_read_nonblocking;
}

typedef struct
{
  GFilterOutputStream parent;
  SkTestGateway *gw;
} CountingOutput;
typedef GFilterOutputStreamClass CountingOutputClass;

static GType counting_output_get_type (void);
static void counting_output_pollable_init (GPollableOutputStreamInterface *iface);
G_DEFINE_TYPE_WITH_CODE (CountingOutput,
                         counting_output,
                         G_TYPE_FILTER_OUTPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                counting_output_pollable_init))

#define OUTPUT_BASE(s) (G_FILTER_OUTPUT_STREAM (s)->base_stream)
#define POLLABLE_OUTPUT_BASE(s) G_POLLABLE_OUTPUT_STREAM (OUTPUT_BASE (s))

static gssize
counting_output_write (GOutputStream *stream,
                       const void *buffer,
                       gsize count,
                       GCancellable *cancellable,
                       GError **error)
{
  gssize n = g_output_stream_write (OUTPUT_BASE (stream), buffer, count, cancellable, error);

  count_bytes (((CountingOutput *) stream)->gw, 0, n);
  return n;
}

static gboolean
counting_output_can_poll (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_can_poll (POLLABLE_OUTPUT_BASE (stream));
}

static gboolean
counting_output_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (POLLABLE_OUTPUT_BASE (stream));
}

static GSource *
counting_output_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  g_autoptr (GSource) base = g_pollable_output_stream_create_source (POLLABLE_OUTPUT_BASE (stream),
                                                                     NULL);

  return g_pollable_source_new_full (stream, base, cancellable);
}

static gssize
counting_output_write_nonblocking (GPollableOutputStream *stream,
                                   const void *buffer,
                                   gsize count,
                                   GError **error)
{
  gssize n = g_pollable_output_stream_write_nonblocking (POLLABLE_OUTPUT_BASE (stream), buffer,
                                                         count, NULL, error);

  count_bytes (((CountingOutput *) stream)->gw, 0, n);
  return n;
}

static void
counting_output_init (CountingOutput *self)
{
}

static void
counting_output_class_init (CountingOutputClass *klass)
{
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = counting_output_write;
}

static void
counting_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = counting_output_can_poll;
  iface->is_writable = counting_output_is_writable;
  iface->create_source = counting_output_create_source;
  iface->write_nonblocking = counting_output_write_nonblocking;
}

/* The connection with both of its streams counted; closing it closes the
 * connection (and so the socket). */
typedef struct
{
  GIOStream parent;
  GIOStream *base;
  GInputStream *input;
  GOutputStream *output;
} CountingStream;
typedef GIOStreamClass CountingStreamClass;

static GType counting_stream_get_type (void);
G_DEFINE_TYPE (CountingStream, counting_stream, G_TYPE_IO_STREAM)

static GInputStream *
counting_stream_get_input (GIOStream *stream)
{
  return ((CountingStream *) stream)->input;
}

static GOutputStream *
counting_stream_get_output (GIOStream *stream)
{
  return ((CountingStream *) stream)->output;
}

static gboolean
counting_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  return g_io_stream_close (((CountingStream *) stream)->base, cancellable, error);
}

static void
counting_stream_finalize (GObject *object)
{
  CountingStream *self = (CountingStream *) object;

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (counting_stream_parent_class)->finalize (object);
}

static void
counting_stream_init (CountingStream *self)
{
}

static void
counting_stream_class_init (CountingStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = counting_stream_finalize;
  klass->get_input_stream = counting_stream_get_input;
  klass->get_output_stream = counting_stream_get_output;
  klass->close_fn = counting_stream_close;
}

static GIOStream *
counting_stream_new (SkTestGateway *gw, GIOStream *base)
{
  CountingStream *self = g_object_new (counting_stream_get_type (), NULL);
  CountingInput *in = g_object_new (counting_input_get_type (), "base-stream",
                                    g_io_stream_get_input_stream (base), "close-base-stream", FALSE,
                                    NULL);
  CountingOutput *out = g_object_new (counting_output_get_type (), "base-stream",
                                      g_io_stream_get_output_stream (base), "close-base-stream",
                                      FALSE, NULL);

  in->gw = gw;
  out->gw = gw;
  self->base = g_object_ref (base);
  self->input = G_INPUT_STREAM (in);
  self->output = G_OUTPUT_STREAM (out);
  return G_IO_STREAM (self);
}

/* A client connected: the server takes it, counted. */
static gboolean
on_incoming (GSocketService *service,
             GSocketConnection *connection,
             GObject *source_object,
             gpointer data)
{
  SkTestGateway *gw = data;
  g_autoptr (GIOStream) counted = counting_stream_new (gw, G_IO_STREAM (connection));
  g_autoptr (GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr (GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) tls = NULL;
  g_autoptr (GIOStream) stream = NULL;

  g_atomic_int_inc (&gw->connections);
  g_mutex_lock (&gw->lock);
  tls = gw->tls != NULL ? g_object_ref (gw->tls) : NULL;
  g_mutex_unlock (&gw->lock);
  /* as libsoup sets it on the sockets it accepts itself */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, TRUE,
                       NULL);
  /* TLS above the counting: the handshake and the records are counted */
  stream = tls != NULL ? g_tls_server_connection_new (counted, tls, &error)
                       : g_object_ref (counted);
  if (stream == NULL)
    g_warning ("the gateway cannot speak TLS: %s", error->message);
  else if (!soup_server_accept_iostream (gw->server, stream, local, remote, &error))
    g_warning ("the gateway cannot take a connection: %s", error->message);
  return TRUE;
}

/* --- the server ------------------------------------------------------------ */

static SkGatewayFault
next_fault (SkTestGateway *gw)
{
  SkGatewayFault fault = SK_GATEWAY_FAULT_NONE;

  if (!g_queue_is_empty (&gw->faults))
    fault = GPOINTER_TO_UINT (g_queue_pop_head (&gw->faults));
  else if (gw->random_rate > 0 && g_rand_double (gw->rand) < gw->random_rate)
    {
      guint choices[SK_GATEWAY_N_FAULTS];
      guint n = 0;

      for (guint f = 1; f < SK_GATEWAY_N_FAULTS; f++)
        if (gw->random_mask & (1u << f))
          choices[n++] = f;
      if (n > 0)
        fault = choices[g_rand_int_range (gw->rand, 0, (gint32) n)];
    }
  gw->counts[fault]++;
  return fault;
}

/* The request as PostgREST would answer it. */
static void
answer (SkTestGateway *gw, SoupServerMessage *msg, const char *path, GHashTable *query, Reply *r)
{
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *apikey = soup_message_headers_get_one (in, "apikey");
  const char *auth = soup_message_headers_get_one (in, "Authorization");
  const char *prefer = soup_message_headers_get_one (in, "Prefer");
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autofree char *claims = NULL;
  g_autofree char *role = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *code, *message;
  Request req = { "anon", "{\"role\":\"anon\"}", method, path };

  /* Supabase's API gateway, before PostgREST: the project's key */
  if (apikey == NULL)
    {
      reply_clear (r);
      r->status = 401;
      r->body = g_strdup ("{\"message\":\"No API key found in request\",\"hint\":\"No `apikey` "
                          "request header or url param was found.\"}");
      return;
    }
  claims = verify_jwt (gw, apikey, &code, &message);
  if (claims == NULL)
    {
      reply_clear (r);
      r->status = 401;
      r->body = g_strdup ("{\"message\":\"Invalid API key\",\"hint\":\"Double check your "
                          "Supabase `anon` or `service_role` API key.\"}");
      return;
    }
  g_clear_pointer (&claims, g_free);
  if (auth != NULL)
    {
      if (!g_str_has_prefix (auth, "Bearer "))
        {
          set_error (r, 401, "PGRST301", "Authorization header is not a Bearer token");
          r->www_authenticate = TRUE;
          return;
        }
      claims = verify_jwt (gw, auth + 7, &code, &message);
      if (claims == NULL)
        {
          set_error (r, 401, code, message);
          r->www_authenticate = TRUE;
          return;
        }
      if (json_parser_load_from_data (parser, claims, -1, NULL))
        role = g_strdup (
            json_object_get_string_member_with_default (json_node_get_object (
                                                            json_parser_get_root (parser)),
                                                        "role", "anon"));
      req.role = role;
      req.claims = claims;
    }

  if (g_str_has_prefix (path, "/rest/v1/rpc/") && strcmp (method, "POST") == 0)
    {
      const char *fn = path + strlen ("/rest/v1/rpc/");

      if (!is_identifier (fn))
        set_error (r, 404, "PGRST202", "Could not find the function in the schema cache");
      else
        call_function (gw, &req, fn, text, r);
    }
  else if (g_str_has_prefix (path, "/rest/v1/") && is_identifier (path + strlen ("/rest/v1/")))
    {
      const char *table = path + strlen ("/rest/v1/");

      if (strcmp (method, "GET") == 0)
        read_table (gw, &req, table, query, r);
      else if (strcmp (method, "POST") == 0)
        insert_rows (gw, &req, table, text,
                     prefer != NULL && strstr (prefer, "return=representation") != NULL, r);
      else
        set_error (r, 405, "PGRST117", "Unsupported HTTP method");
    }
  else
    set_error (r, 404, "PGRST125", "Invalid path specified in request URL");
}

static void
send_reply (SoupServerMessage *msg, guint status, const char *body, gboolean www_authenticate)
{
  SoupMessageHeaders *out = soup_server_message_get_response_headers (msg);

  if (www_authenticate)
    soup_message_headers_replace (out, "WWW-Authenticate", "Bearer");
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_COPY,
                                      body, strlen (body));
}

/* Closes the connection after the headers and half of @body (at once,
 * with nothing written, when @status is 0). */
static void
drop_mid_body (SoupServerMessage *msg, guint status, const char *body)
{
  g_autoptr (GIOStream) stream = soup_server_message_steal_connection (msg);
  gsize len = body != NULL ? strlen (body) : 0;
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %u OK\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %zu\r\n\r\n",
                                           status, len + 1);

  if (stream == NULL)
    return;
  if (status != 0)
    g_output_stream_write_all (g_io_stream_get_output_stream (stream), head, strlen (head), NULL,
                               NULL, NULL);
  if (len > 0)
    g_output_stream_write_all (g_io_stream_get_output_stream (stream), body, len / 2, NULL, NULL,
                               NULL);
  g_io_stream_close (stream, NULL, NULL);
}

typedef struct
{
  SoupServerMessage *msg;
  guint status;
  char *body;
  gboolean www_authenticate;
} Delayed;

static gboolean
send_delayed (gpointer data)
{
  Delayed *d = data;

  send_reply (d->msg, d->status, d->body, d->www_authenticate);
  soup_server_message_unpause (d->msg);
  g_object_unref (d->msg);
  g_free (d->body);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static void
handle (
    SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  SkTestGateway *gw = data;
  g_auto (Reply) r = { 500, NULL, FALSE };
  SkGatewayFault fault;
  g_autofree char *replay = NULL;
  guint replay_status = 0;
  guint delay;

  g_mutex_lock (&gw->lock);
  if (gw->offline)
    {
      g_mutex_unlock (&gw->lock);
      drop_mid_body (msg, 0, NULL);
      return;
    }
  replay = g_steal_pointer (&gw->replay_body);
  replay_status = gw->replay_status;
  fault = replay != NULL ? SK_GATEWAY_FAULT_NONE : next_fault (gw);
  delay = gw->delay_ms;
  g_mutex_unlock (&gw->lock);

  if (replay != NULL) /* the previous response, again; this request is not run */
    {
      send_reply (msg, replay_status, replay, FALSE);
      return;
    }
  if (fault == SK_GATEWAY_FAULT_500)
    {
      send_reply (msg, 500,
                  "{\"message\":\"An invalid response was received from the upstream server\"}",
                  FALSE);
      return;
    }
  if (fault == SK_GATEWAY_FAULT_503)
    {
      send_reply (msg, 503, "{\"message\":\"Service Unavailable\"}", FALSE);
      return;
    }
  if (fault == SK_GATEWAY_FAULT_EXPIRED)
    {
      set_error (&r, 401, "PGRST303", "JWT expired");
      send_reply (msg, r.status, r.body, TRUE);
      return;
    }

  g_mutex_lock (&gw->db_lock);
  answer (gw, msg, path, query, &r);
  g_mutex_unlock (&gw->db_lock);

  if (fault == SK_GATEWAY_FAULT_DROP)
    {
      drop_mid_body (msg, r.status, r.body);
      return;
    }
  if (fault == SK_GATEWAY_FAULT_TRUNCATED && r.body != NULL)
    r.body[strlen (r.body) / 2] = '\0';
  if (fault == SK_GATEWAY_FAULT_TWICE)
    {
      g_mutex_lock (&gw->lock);
      g_free (gw->replay_body);
      gw->replay_body = g_strdup (r.body != NULL ? r.body : "");
      gw->replay_status = r.status;
      g_mutex_unlock (&gw->lock);
    }
  if (fault == SK_GATEWAY_FAULT_DELAY)
    {
      Delayed *d = g_new0 (Delayed, 1);
      GSource *source = g_timeout_source_new (delay);

      d->msg = g_object_ref (msg);
      d->status = r.status;
      d->body = g_steal_pointer (&r.body);
      d->www_authenticate = r.www_authenticate;
      soup_server_message_pause (msg);
      g_source_set_callback (source, send_delayed, d, NULL);
      g_source_attach (source, gw->context);
      g_source_unref (source);
      return;
    }
  send_reply (msg, r.status, r.body, r.www_authenticate);
}

static gpointer
serve (gpointer data)
{
  SkTestGateway *gw = data;

  g_main_context_push_thread_default (gw->context);
  g_main_loop_run (gw->loop);
  g_main_context_pop_thread_default (gw->context);
  return NULL;
}

/* The listeners, in the gateway's context: libsoup keeps a connection
 * alive for the next request only while the server has a listener of its
 * own, so it gets one, on a loopback port that no client is given; the
 * clients come through the service, on the port returned (0 on a failure,
 * @error set), which counts their bytes. */
static guint16
listen_loopback (SkTestGateway *gw, GError **error)
{
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;

  if (!soup_server_listen_local (gw->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return 0;
  gw->service = g_socket_service_new ();
  g_signal_connect (gw->service, "incoming", G_CALLBACK (on_incoming), gw);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (gw->service), any, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    return 0;
  g_socket_service_start (gw->service);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

SkTestGateway *
sk_test_gateway_start (const char *conninfo, const char *secret, GError **error)
{
  SkTestGateway *gw = g_new0 (SkTestGateway, 1);

  gw->secret = g_strdup (secret);
  gw->delay_ms = 500;
  gw->rand = g_rand_new_with_seed (1);
  g_mutex_init (&gw->lock);
  g_mutex_init (&gw->db_lock);
  g_queue_init (&gw->faults);
  gw->conn = PQconnectdb (conninfo);
  if (PQstatus (gw->conn) != CONNECTION_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                   "The gateway cannot reach the database: %s", PQerrorMessage (gw->conn));
      sk_test_gateway_stop (gw);
      return NULL;
    }
  gw->context = g_main_context_new ();
  gw->loop = g_main_loop_new (gw->context, FALSE);
  g_main_context_push_thread_default (gw->context);
  gw->server = soup_server_new ("server-header", "postgrest-gateway-fixture", NULL);
  soup_server_add_handler (gw->server, "/", handle, gw, NULL);
  gw->port = listen_loopback (gw, error);
  g_main_context_pop_thread_default (gw->context);
  if (gw->port == 0)
    {
      sk_test_gateway_stop (gw);
      return NULL;
    }
  gw->thread = g_thread_new ("gateway", serve, gw);
  return gw;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
sk_test_gateway_stop (SkTestGateway *gw)
{
  if (gw == NULL)
    return;
  if (gw->thread != NULL)
    {
      g_main_context_invoke (gw->context, quit_loop, gw->loop);
      g_thread_join (gw->thread);
    }
  if (gw->server != NULL)
    {
      g_main_context_push_thread_default (gw->context);
      if (gw->service != NULL)
        {
          g_socket_service_stop (gw->service);
          g_socket_listener_close (G_SOCKET_LISTENER (gw->service));
          g_clear_object (&gw->service);
        }
      soup_server_disconnect (gw->server);
      g_clear_object (&gw->server);
      while (g_main_context_iteration (gw->context, FALSE))
        ;
      g_main_context_pop_thread_default (gw->context);
    }
  g_clear_pointer (&gw->loop, g_main_loop_unref);
  g_clear_pointer (&gw->context, g_main_context_unref);
  g_clear_pointer (&gw->conn, PQfinish);
  g_clear_pointer (&gw->rand, g_rand_free);
  g_queue_clear (&gw->faults);
  g_clear_object (&gw->tls);
  g_free (gw->replay_body);
  g_free (gw->secret);
  g_mutex_clear (&gw->lock);
  g_mutex_clear (&gw->db_lock);
  g_free (gw);
}

char *
sk_test_gateway_url (SkTestGateway *gw)
{
  gboolean tls;

  g_mutex_lock (&gw->lock);
  tls = gw->tls != NULL;
  g_mutex_unlock (&gw->lock);
  return g_strdup_printf ("%s://127.0.0.1:%u", tls ? "https" : "http", (guint) gw->port);
}

void
sk_test_gateway_use_tls (SkTestGateway *gw, GTlsCertificate *certificate)
{
  g_mutex_lock (&gw->lock);
  g_set_object (&gw->tls, certificate);
  g_mutex_unlock (&gw->lock);
}

guint
sk_test_gateway_get_connections (SkTestGateway *gw)
{
  return (guint) g_atomic_int_get (&gw->connections);
}

guint16
sk_test_gateway_port (SkTestGateway *gw)
{
  return gw->port;
}

void
sk_test_gateway_queue_fault (SkTestGateway *gw, SkGatewayFault fault)
{
  g_mutex_lock (&gw->lock);
  g_queue_push_tail (&gw->faults, GUINT_TO_POINTER (fault));
  g_mutex_unlock (&gw->lock);
}

void
sk_test_gateway_random_faults (SkTestGateway *gw, guint mask, double rate, guint32 seed)
{
  g_mutex_lock (&gw->lock);
  gw->random_mask = mask;
  gw->random_rate = rate;
  g_rand_set_seed (gw->rand, seed);
  g_mutex_unlock (&gw->lock);
}

void
sk_test_gateway_set_delay (SkTestGateway *gw, guint ms)
{
  g_mutex_lock (&gw->lock);
  gw->delay_ms = ms;
  g_mutex_unlock (&gw->lock);
}

void
sk_test_gateway_set_offline (SkTestGateway *gw, gboolean offline)
{
  g_mutex_lock (&gw->lock);
  gw->offline = offline;
  g_mutex_unlock (&gw->lock);
}

guint
sk_test_gateway_count (SkTestGateway *gw, SkGatewayFault fault)
{
  guint n;

  g_return_val_if_fail (fault < SK_GATEWAY_N_FAULTS, 0);
  g_mutex_lock (&gw->lock);
  n = gw->counts[fault];
  g_mutex_unlock (&gw->lock);
  return n;
}

void
sk_test_gateway_get_bytes (SkTestGateway *gw, guint64 *received, guint64 *sent)
{
  g_mutex_lock (&gw->lock);
  if (received != NULL)
    *received = gw->bytes_received;
  if (sent != NULL)
    *sent = gw->bytes_sent;
  g_mutex_unlock (&gw->lock);
}

char *
sk_test_gateway_sql (SkTestGateway *gw, const char *sql)
{
  g_autoptr (PGresult) res = NULL;
  char *value = NULL;

  g_mutex_lock (&gw->db_lock);
  res = PQexec (gw->conn, sql);
  if (!ok (res))
    g_error ("%s\n-- %s", PQresultErrorMessage (res), sql);
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
    value = g_strdup (PQgetvalue (res, 0, 0));
  g_mutex_unlock (&gw->db_lock);
  return value;
}

char *
sk_test_gateway_sqlf (SkTestGateway *gw, const char *format, ...)
{
  va_list args;
  g_autofree char *sql = NULL;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return sk_test_gateway_sql (gw, sql);
}
