/* sk-test-pg.h: the test database, a real PostgreSQL with pgvector.
 *
 * PGlite (PostgreSQL in WebAssembly) with @electric-sql/pglite-pgvector,
 * served over the wire protocol by @electric-sql/pglite-socket
 * (tests/pg/pglite-server.mjs, the versions pinned in tests/package.json,
 * installed into tests/node_modules by "tools/install-deps --tests"). It
 * listens on a free loopback port, is started once per test program (it
 * takes seconds to start) and stopped by its process id; if the test dies,
 * so does the server. PGlite is one database session, which every
 * connection shares: keep one client busy at a time (close the test's
 * connection before a program under test uses the database). */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

#include "sk-sync.h"

G_BEGIN_DECLS

typedef struct
{
  GPid pid;     /* 0 when not running */
  int stdin_fd; /* the server exits when this closes */
  guint16 port;
} SkTestPg;

/* Starts the server and waits (bounded) until it accepts connections.
 * FALSE, with the reason in @why_not, when Node or the pinned packages
 * are not installed (the caller skips); any other failure fails the test. */
gboolean sk_test_pg_start (SkTestPg *pg, char **why_not);
/* SIGTERM, a bounded wait, then SIGKILL. Nothing when it does not run. */
void sk_test_pg_stop (SkTestPg *pg);
/* "host=127.0.0.1 port=N user=postgres dbname=postgres sslmode=disable" */
char *sk_test_pg_conninfo (const SkTestPg *pg);
/* "postgresql://postgres@127.0.0.1:N/postgres?sslmode=disable", the
 * form "soundscape-ctl db … --url" takes. */
char *sk_test_pg_url (const SkTestPg *pg);
/* A connection as the superuser; the test fails when there is none. */
PGconn *sk_test_pg_connect (const SkTestPg *pg);
/* Brings a fresh database to the cloud schema: applies tests/pg/auth.sql
 * (what Supabase has and a bare PostgreSQL has not), then runs
 * "soundscape-ctl db migrate --url"; returns what it printed. The test
 * fails when either fails. Call it with no other client connected. */
char *sk_test_pg_migrate (const SkTestPg *pg);

/* Runs @sql (one or more statements, no parameters); any failure ends the
 * test with the statement and the server's message. */
void sk_test_pg_exec (PGconn *conn, const char *sql);
/* The first column of the first row of @sql with its parameters @params
 * (@n of them, text); NULL for SQL NULL or no row. Fails the test on an
 * error. */
char *sk_test_pg_value (PGconn *conn, const char *sql, int n, const char *const *params);
/* Runs @sql with its parameters and returns the SQLSTATE of the error it
 * raises, or NULL when it succeeds. The message goes to the test log. */
char *sk_test_pg_error_state (PGconn *conn, const char *sql, int n, const char *const *params);

/* Runs one round of @sync to its end on the thread-default main context,
 * waiting at most @bound_ms: TRUE when the round ended, with its outcome in
 * @ok and its error in @error; FALSE when the bound passed first. */
gboolean sk_test_sync_round (SkSync *sync, guint bound_ms, gboolean *ok, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

G_END_DECLS
