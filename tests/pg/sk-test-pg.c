#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-test-nginx.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

/* Reads the server's first line ("ready PORT") from @fd within @timeout_ms;
 * NULL when it exits or says nothing in time. */
static char *
read_ready_line (GPid pid, int fd, guint timeout_ms)
{
  g_autoptr (GString) line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      char c;
      int status;
      int r = poll (&p, 1, 100);

      if (r < 0 && errno != EINTR)
        return NULL;
      if (r > 0)
        {
          ssize_t n = read (fd, &c, 1);

          if (n == 0)
            return NULL; /* it closed its output: it is gone or going */
          if (n == 1)
            {
              if (c == '\n')
                return g_string_free (g_steal_pointer (&line), FALSE);
              if (line->len > 200)
                return NULL;
              g_string_append_c (line, c);
            }
          continue;
        }
      if (waitpid (pid, &status, WNOHANG) == pid)
        return NULL;
    }
  return NULL;
}

gboolean
sk_test_pg_start (SkTestPg *pg, char **why_not)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "pg", "pglite-server.mjs", NULL);
  g_autofree char *modules = g_test_build_filename (G_TEST_DIST, "node_modules", "@electric-sql",
                                                    "pglite-socket", "package.json", NULL);
  g_autofree char *dir = g_path_get_dirname (script);
  g_autofree char *line = NULL;
  const char *argv[] = { NULL, script, "--port", "0", NULL };
  int out_fd = -1;
  guint64 port = 0;
  guint bound_ms = sk_test_scale_ms (90000);

  memset (pg, 0, sizeof *pg);
  pg->stdin_fd = -1;
  if (node == NULL)
    {
      *why_not = g_strdup ("node is not installed (tools/install-deps --tests installs it)");
      return FALSE;
    }
  if (!g_file_test (modules, G_FILE_TEST_EXISTS))
    {
      *why_not = g_strdup ("tests/node_modules lacks the pinned PGlite packages "
                           "(tools/install-deps --tests runs npm ci in tests/)");
      return FALSE;
    }
  argv[0] = node;
  g_assert_true (g_spawn_async_with_pipes (dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           sk_test_child_setup, NULL, &pg->pid, &pg->stdin_fd,
                                           &out_fd, NULL, &error));
  g_assert_no_error (error);

  /* Compiling PostgreSQL's WebAssembly takes seconds, more on a loaded
   * machine: the bound is generous, and a server that exits fails at once. */
  line = read_ready_line (pg->pid, out_fd, bound_ms);
  close (out_fd);
  if (line == NULL || !g_str_has_prefix (line, "ready ") ||
      !g_ascii_string_to_unsigned (line + 6, 10, 1, 65535, &port, NULL))
    {
      sk_test_pg_stop (pg);
      g_error ("the PGlite server did not become ready within %u ms (it said “%s”; its "
               "messages are above)",
               bound_ms, line != NULL ? line : "nothing");
    }
  pg->port = (guint16) port;
  return TRUE;
}

void
sk_test_pg_stop (SkTestPg *pg)
{
  if (pg->stdin_fd >= 0)
    {
      close (pg->stdin_fd);
      pg->stdin_fd = -1;
    }
  if (pg->pid <= 0)
    return;
  kill (pg->pid, SIGTERM);
  if (!sk_test_reap (pg->pid, sk_test_scale_ms (10000)))
    {
      g_test_message ("the PGlite server %d did not stop on SIGTERM: killed", (int) pg->pid);
      kill (pg->pid, SIGKILL);
      sk_test_reap (pg->pid, 5000);
    }
  g_spawn_close_pid (pg->pid);
  pg->pid = 0;
}

char *
sk_test_pg_conninfo (const SkTestPg *pg)
{
  return g_strdup_printf ("host=127.0.0.1 port=%u user=postgres dbname=postgres "
                          "sslmode=disable connect_timeout=10",
                          (guint) pg->port);
}

char *
sk_test_pg_url (const SkTestPg *pg)
{
  return g_strdup_printf ("postgresql://postgres@127.0.0.1:%u/postgres?sslmode=disable",
                          (guint) pg->port);
}

PGconn *
sk_test_pg_connect (const SkTestPg *pg)
{
  g_autofree char *info = sk_test_pg_conninfo (pg);
  PGconn *conn = PQconnectdb (info);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to the test database (%s): %s", info, PQerrorMessage (conn));
  return conn;
}

char *
sk_test_pg_migrate (const SkTestPg *pg)
{
  g_autofree char *auth_path = g_test_build_filename (G_TEST_DIST, "pg", "auth.sql", NULL);
  g_autofree char *auth = NULL;
  g_autofree char *url = sk_test_pg_url (pg);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "db", "migrate", "--url", url, NULL };

  g_assert_true (g_file_get_contents (auth_path, &auth, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr (PGconn) conn = sk_test_pg_connect (pg);

    sk_test_pg_exec (conn, auth);
  } /* closed: PGlite takes one client at a time */
  if (sk_test_run_ctl (argv, &out, &err) != 0)
    g_error ("soundscape-ctl db migrate --url %s failed: %s%s", url, out, err);
  return g_steal_pointer (&out);
}

void
sk_test_pg_exec (PGconn *conn, const char *sql)
{
  g_autoptr (PGresult) res = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    g_error ("SQL failed: %s\n-- in:\n%s", PQresultErrorMessage (res), sql);
}

char *
sk_test_pg_value (PGconn *conn, const char *sql, int n, const char *const *params)
{
  g_autoptr (PGresult) res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("SQL failed: %s\n-- in:\n%s", PQresultErrorMessage (res), sql);
  if (PQntuples (res) < 1 || PQnfields (res) < 1 || PQgetisnull (res, 0, 0))
    return NULL;
  return g_strdup (PQgetvalue (res, 0, 0));
}

char *
sk_test_pg_error_state (PGconn *conn, const char *sql, int n, const char *const *params)
{
  g_autoptr (PGresult) res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus (res);
  const char *state;

  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
    return NULL;
  state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  g_test_message ("refused as expected? %s: %s", state ? state : "(no SQLSTATE)",
                  PQresultErrorMessage (res));
  return g_strdup (state != NULL ? state : "");
}

typedef struct
{
  gboolean done, ok, timed_out;
  GError *error;
} Round;

static void
on_round (GObject *source, GAsyncResult *result, gpointer data)
{
  Round *r = data;

  r->ok = sk_sync_run_finish (SK_SYNC (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
on_round_timeout (gpointer data)
{
  ((Round *) data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
sk_test_sync_round (SkSync *sync, guint bound_ms, gboolean *ok, GError **error)
{
  Round r = { 0 };
  guint timeout = g_timeout_add (bound_ms, on_round_timeout, &r);

  sk_sync_run_async (sync, NULL, on_round, &r);
  while (!r.done && !r.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!r.done)
    return FALSE; /* the round still holds &r: the caller's test ends here */
  if (!r.timed_out)
    g_source_remove (timeout);
  *ok = r.ok;
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return TRUE;
}
