/* sk-test-gateway.h: a PostgREST-compatible HTTP gateway for tests.
 *
 * PostgREST itself cannot run here, so this fixture stands in front of the
 * real database (PGlite with pgvector, tests/pg) and answers as PostgREST
 * 12–16 behind Supabase's API gateway does, for what the kiosk and the
 * official JavaScript client use:
 *   POST /rest/v1/rpc/FN      a function of the schema public, called with
 *                             named arguments from the JSON body
 *   GET  /rest/v1/TABLE       ?select=a,b and col=eq.value filters
 *   POST /rest/v1/TABLE       insert (an object or an array), with
 *                             Prefer: return=representation
 * Each request is one transaction in which the role and the JWT's claims
 * are set as PostgREST sets them (role, request.jwt.claims,
 * request.method, request.path), so that row level security and auth.uid()
 * work as on Supabase. The `apikey` header is required (HTTP 401 without
 * it); `Authorization: Bearer JWT` is checked (HS256 with the project's
 * secret; PGRST301 for a token that cannot be verified, PGRST303 for an
 * expired one); without it the request runs as `anon`. Errors are PostgREST's
 * body {code, message, details, hint} with its status for the SQLSTATE.
 *
 * It also misbehaves on command, as a network and a server do: a delay, a
 * 500 or 503, the connection dropped in the middle of the body (after the
 * transaction committed), a body cut short, a 401 for an expired token,
 * and the same response delivered twice (to this request and, without
 * running it, to the next). Faults are queued one by one or drawn at random
 * for each request with a seed.
 *
 * It runs on its own thread and main context, so that a test may block on
 * the program it tests. It holds the one database connection (PGlite is one
 * session): the test looks at the database through sk_test_gateway_sql. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  SK_GATEWAY_FAULT_NONE,
  SK_GATEWAY_FAULT_DELAY,     /* answered after the gateway's delay */
  SK_GATEWAY_FAULT_500,       /* not run; 500 */
  SK_GATEWAY_FAULT_503,       /* not run; 503 */
  SK_GATEWAY_FAULT_DROP,      /* run and committed; connection closed mid-body */
  SK_GATEWAY_FAULT_TRUNCATED, /* run and committed; 200 with half the body */
  SK_GATEWAY_FAULT_EXPIRED,   /* not run; 401 PGRST303 "JWT expired" */
  SK_GATEWAY_FAULT_TWICE,     /* run; its response also answers the next request, not run */
  SK_GATEWAY_N_FAULTS
} SkGatewayFault;

typedef struct _SkTestGateway SkTestGateway;

/* Starts the gateway on a free loopback port, connected to @conninfo, with
 * the project's JWT secret @secret; NULL with @error set when the database
 * cannot be reached. */
SkTestGateway *sk_test_gateway_start (const char *conninfo, const char *secret, GError **error);
/* Stops its thread, closes the connection and frees it. */
void sk_test_gateway_stop (SkTestGateway *gw);
/* "http://127.0.0.1:PORT": the project URL a client is given. */
char *sk_test_gateway_url (SkTestGateway *gw);
/* From now on, connections speak TLS with @certificate (its key too), and
 * the URL is "https://127.0.0.1:PORT"; NULL: plain HTTP again. The bytes
 * counted are then TLS's: handshakes and records. */
void sk_test_gateway_use_tls (SkTestGateway *gw, GTlsCertificate *certificate);
/* The connections accepted since it started. */
guint sk_test_gateway_get_connections (SkTestGateway *gw);
/* Its PORT on 127.0.0.1. */
guint16 sk_test_gateway_port (SkTestGateway *gw);

/* The next request gets @fault (queued after those already queued). */
void sk_test_gateway_queue_fault (SkTestGateway *gw, SkGatewayFault fault);
/* Each request gets a fault drawn from @mask (bits 1 << SkGatewayFault)
 * with probability @rate, from a generator seeded with @seed; a rate of 0
 * stops it. */
void sk_test_gateway_random_faults (SkTestGateway *gw, guint mask, double rate, guint32 seed);
/* The delay of SK_GATEWAY_FAULT_DELAY, in ms (default 500). */
void sk_test_gateway_set_delay (SkTestGateway *gw, guint ms);
/* Unplugged: every connection is closed at once, nothing runs. */
void sk_test_gateway_set_offline (SkTestGateway *gw, gboolean offline);
/* How many requests got @fault (NONE: answered normally; a request
 * answered by a replay counts in neither). */
guint sk_test_gateway_count (SkTestGateway *gw, SkGatewayFault fault);

/* The bytes the gateway has read from its clients' connections (requests:
 * request lines, headers and bodies) and written to them (responses), as
 * they went through the sockets, since it started; either may be NULL. */
void sk_test_gateway_get_bytes (SkTestGateway *gw, guint64 *received, guint64 *sent);

/* Runs @sql as the superuser on the gateway's connection, between
 * requests; returns the first column of the first row (NULL for none or
 * SQL NULL); fails the test on an error. */
char *sk_test_gateway_sql (SkTestGateway *gw, const char *sql);
/* The same with the SQL made by printf from @format. */
char *sk_test_gateway_sqlf (SkTestGateway *gw, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* An HS256 JWT of @claims_json signed with @secret. */
char *sk_test_jwt (const char *secret, const char *claims_json);

G_END_DECLS
