/* test-cursor-pg15: kiosk_sync's cursor rule (docs/DESIGN.md, "The
 * cursor rule") with two real sessions, which PGlite, one database
 * session, cannot have. It starts a private cluster of Debian's own
 * PostgreSQL 15 (initdb into a temporary directory, the server on a unix
 * socket there and no TCP port, stopped by its process id), applies the
 * migrations of sql/ and then:
 *
 *   session A begins and inserts a song, and waits;
 *   session B inserts a song and commits;
 *   a pull returns B's song and a cursor;
 *   A commits;
 *   the next pull from that cursor returns A's song, and then nothing.
 *
 * A's song carries an updated_at older than B's, so a cursor on updated_at
 * (the newest time pulled) would skip it for good; the test shows that too.
 *
 * Debian 12 packages no pgvector for PostgreSQL 15, so the migrations run
 * on a test-only stand-in for the vector type (tests/pg/vector-standin.sql,
 * text in pgvector's form), with migration 1's "create extension vector"
 * left out. That is acceptable here because the cursor does not depend on
 * vectors: it is made of transaction ids and snapshots only
 * (sql/006_kiosk_sync.sql); the vectors' arithmetic is tested on the real
 * pgvector by test-cloud-sql and test-kiosk-sync.
 *
 * Skipped, with the reason, when PostgreSQL 15's server is not installed
 * (tools/install-deps --tests installs postgresql-15). As root, the server
 * runs as the user nobody, since PostgreSQL refuses to run as root. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-test-pg.h"
#include "sk-test-util.h"

#define PLAYER "10000000-0000-4000-8000-000000000001"
#define TOKEN "bar-token-0001"

typedef struct
{
  char *bindir;
  char *dir;
  GPid server;
  uid_t uid; /* whom the server runs as (root: nobody) */
  gid_t gid;
} Cluster;

static void
drop_root (gpointer data)
{
  Cluster *c = data;

  if (getuid () == 0)
    {
      if (setgroups (0, NULL) != 0 || setgid (c->gid) != 0 || setuid (c->uid) != 0)
        _exit (126);
    }
  /* after the change of user, which clears the parent-death signal */
  sk_test_child_setup (NULL);
}

/* Waits at most @timeout_ms for @pid; its exit status, or -1 when it did
 * not end (then it is killed). */
static int
wait_exit (GPid pid, guint timeout_ms)
{
  gint64 deadline = sk_test_deadline_ms (timeout_ms);

  while (g_get_monotonic_time () < deadline)
    {
      int status;
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      if (r < 0 && errno != EINTR)
        return -1;
      g_usleep (20000);
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return -1;
}

static char *
conninfo (const Cluster *c)
{
  return g_strdup_printf ("host=%s port=5432 user=postgres dbname=postgres connect_timeout=10",
                          c->dir);
}

/* initdb and the server. FALSE, with the reason, when PostgreSQL 15 is
 * not installed (or, as root, there is no user nobody to run it). */
static gboolean
cluster_start (Cluster *c, char **why_not)
{
  g_autofree char *initdb = NULL;
  g_autofree char *postgres = NULL;
  g_autofree char *data = NULL;
  g_autofree char *info = NULL;
  g_autoptr (GError) error = NULL;
  const char *env = g_getenv ("SK_TEST_PG15_BINDIR");
  GPid pid;
  gint64 deadline;

  memset (c, 0, sizeof *c);
  c->bindir = g_strdup (env != NULL ? env : "/usr/lib/postgresql/15/bin");
  initdb = g_build_filename (c->bindir, "initdb", NULL);
  postgres = g_build_filename (c->bindir, "postgres", NULL);
  if (!g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (postgres, G_FILE_TEST_IS_EXECUTABLE))
    {
      *why_not = g_strdup_printf ("PostgreSQL 15's server is not installed in %s "
                                  "(tools/install-deps --tests installs postgresql-15)",
                                  c->bindir);
      return FALSE;
    }
  c->uid = getuid ();
  c->gid = getgid ();
  if (c->uid == 0)
    {
      struct passwd *pw = getpwnam ("nobody");

      if (pw == NULL)
        {
          *why_not = g_strdup ("running as root and there is no user nobody to run "
                               "PostgreSQL as (it refuses root)");
          return FALSE;
        }
      c->uid = pw->pw_uid;
      c->gid = pw->pw_gid;
    }
  c->dir = sk_test_mkdtemp ();
  g_assert_cmpint (chown (c->dir, c->uid, c->gid), ==, 0);
  data = g_build_filename (c->dir, "data", NULL);

  {
    const char *argv[] = { initdb,     "-D", data,   "-A",         "trust",     "-U",
                           "postgres", "-E", "UTF8", "--locale=C", "--no-sync", NULL };

    g_assert_true (g_spawn_async (c->dir, (char **) argv, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, drop_root,
                                  c, &pid, &error));
    g_assert_no_error (error);
    g_assert_cmpint (wait_exit (pid, 120000), ==, 0);
    g_spawn_close_pid (pid);
  }
  {
    /* a unix socket in the directory, no TCP port; durability off, this
     * database is thrown away */
    const char *argv[] = { postgres,
                           "-D",
                           data,
                           "-k",
                           c->dir,
                           "-c",
                           "listen_addresses=",
                           "-p",
                           "5432",
                           "-c",
                           "fsync=off",
                           "-c",
                           "synchronous_commit=off",
                           NULL };

    g_assert_true (g_spawn_async (c->dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                  drop_root, c, &c->server, &error));
    g_assert_no_error (error);
  }
  info = conninfo (c);
  deadline = sk_test_deadline_ms (60000);
  while (PQping (info) != PQPING_OK)
    {
      int status;

      if (waitpid (c->server, &status, WNOHANG) == c->server)
        {
          c->server = 0;
          g_error ("PostgreSQL 15 exited before it accepted connections (its log is above)");
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("PostgreSQL 15 did not accept connections within the bound");
      g_usleep (50000);
    }
  return TRUE;
}

/* The fast shutdown (SIGINT), a bounded wait, then SIGKILL; the files. */
static void
cluster_stop (Cluster *c)
{
  if (c->server > 0)
    {
      kill (c->server, SIGINT);
      if (wait_exit (c->server, 30000) < 0)
        g_test_message ("PostgreSQL 15 (%d) did not stop on SIGINT: killed", (int) c->server);
      g_spawn_close_pid (c->server);
      c->server = 0;
    }
  if (c->dir != NULL)
    sk_test_rmdir (c->dir);
  g_clear_pointer (&c->dir, g_free);
  g_clear_pointer (&c->bindir, g_free);
}

static PGconn *
cluster_connect (const Cluster *c)
{
  g_autofree char *info = conninfo (c);
  PGconn *conn = PQconnectdb (info);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to PostgreSQL 15: %s", PQerrorMessage (conn));
  return conn;
}

static void
exec_file (PGconn *conn, const char *path, const char *leave_out)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  if (leave_out != NULL)
    {
      char *at = strstr (text, leave_out);

      g_assert_nonnull (at);
      memset (at, ' ', strlen (leave_out));
      g_assert_null (strstr (at, leave_out));
    }
  sk_test_pg_exec (conn, "BEGIN");
  sk_test_pg_exec (conn, text);
  sk_test_pg_exec (conn, "COMMIT");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* What test-cloud-sql's "db migrate" applies, in order, from sql/. */
static void
migrate (PGconn *conn)
{
  g_autofree char *sql_dir = g_test_build_filename (G_TEST_DIST, "..", "sql", NULL);
  g_autofree char *auth = g_test_build_filename (G_TEST_DIST, "pg", "auth.sql", NULL);
  g_autofree char *standin = g_test_build_filename (G_TEST_DIST, "pg", "vector-standin.sql", NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;

  exec_file (conn, auth, NULL);
  exec_file (conn, standin, NULL);
  d = g_dir_open (sql_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".sql"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >=, 6);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (sql_dir, names->pdata[i], NULL);

      g_test_message ("applying %s", (const char *) names->pdata[i]);
      exec_file (conn, path,
                 i == 0 ? "create extension if not exists vector with schema extensions;" : NULL);
    }
}

/* kiosk_sync as anon, pulling only: the answer. */
static JsonNode *
pull (PGconn *conn, const char *cursor)
{
  const char *params[] = { TOKEN, cursor };
  g_autoptr (PGresult) res = PQexecParams (conn, "SELECT public.kiosk_sync($1, NULL, $2::jsonb)", 2,
                                           NULL, params, NULL, NULL, 0);
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("kiosk_sync failed: %s", PQresultErrorMessage (res));
  g_test_message ("pull from %s: %s", cursor ? cursor : "the start", PQgetvalue (res, 0, 0));
  node = json_from_string (PQgetvalue (res, 0, 0), &error);
  g_assert_no_error (error);
  return node;
}

static char *
cursor_of (JsonNode *r)
{
  return json_to_string (json_object_get_member (json_node_get_object (r), "cursor"), FALSE);
}

/* The titles of the songs pulled, sorted, joined by ",". */
static char *
titles (JsonNode *r)
{
  JsonObject *c = json_object_get_object_member (json_node_get_object (r), "changes");
  JsonArray *songs = json_object_get_array_member (c, "songs");
  g_autoptr (GPtrArray) t = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (songs); i++)
    g_ptr_array_add (t,
                     (gpointer) json_object_get_string_member (json_array_get_object_element (songs,
                                                                                              i),
                                                               "title"));
  g_ptr_array_sort (t, compare_names);
  g_ptr_array_add (t, NULL);
  return g_strjoinv (",", (char **) t->pdata);
}

static void
test_late_commit (void)
{
  Cluster cluster;
  g_autofree char *why_not = NULL;
  g_autoptr (PGconn) admin = NULL;
  g_autoptr (PGconn) a = NULL;
  g_autoptr (PGconn) b = NULL;
  g_autoptr (PGconn) kiosk = NULL;
  g_autoptr (JsonNode) r0 = NULL;
  g_autoptr (JsonNode) r1 = NULL;
  g_autoptr (JsonNode) r2 = NULL;
  g_autoptr (JsonNode) r3 = NULL;
  g_autofree char *c0 = NULL;
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;
  g_autofree char *t0 = NULL;
  g_autofree char *t1 = NULL;
  g_autofree char *t2 = NULL;
  g_autofree char *t3 = NULL;
  g_autofree char *naive = NULL;
  g_autofree char *naive_late = NULL;
  g_autofree char *a_older = NULL;

  if (!cluster_start (&cluster, &why_not))
    {
      g_test_skip (why_not);
      return;
    }
  admin = cluster_connect (&cluster);
  migrate (admin);
  sk_test_pg_exec (admin,
                   "INSERT INTO public.players (id, name, token) VALUES ('" PLAYER
                   "', 'Bar', '" TOKEN "');"
                   "INSERT INTO public.songs (title, file_url, embedding) VALUES "
                   "  ('Old', 'https://media.example.org/old.flac', '[0.5,0.5,0.5,0.5,0.5]')");

  a = cluster_connect (&cluster);
  b = cluster_connect (&cluster);
  kiosk = cluster_connect (&cluster);
  sk_test_pg_exec (kiosk, "SET ROLE anon"); /* as PostgREST calls it */

  r0 = pull (kiosk, NULL);
  t0 = titles (r0);
  g_assert_cmpstr (t0, ==, "Old");
  c0 = cursor_of (r0);

  /* A begins, writes, and waits */
  sk_test_pg_exec (a, "BEGIN;"
                      "INSERT INTO public.songs (title, file_url, embedding) VALUES "
                      "  ('A', 'https://media.example.org/a.flac', '[0.5,0.5,0.5,0.5,0.5]')");
  /* B writes and commits after A wrote */
  sk_test_pg_exec (b, "SELECT pg_sleep(0.01);"
                      "INSERT INTO public.songs (title, file_url, embedding) VALUES "
                      "  ('B', 'https://media.example.org/b.flac', '[0.5,0.5,0.5,0.5,0.5]')");

  r1 = pull (kiosk, c0);
  t1 = titles (r1);
  g_assert_cmpstr (t1, ==, "B");
  c1 = cursor_of (r1);
  /* the newest updated_at pulled so far: B's */
  naive = sk_test_pg_value (admin, "SELECT max(updated_at)::text FROM public.songs", 0, NULL);

  sk_test_pg_exec (a, "COMMIT");

  r2 = pull (kiosk, c1);
  t2 = titles (r2);
  g_assert_cmpstr (t2, ==, "A");
  c2 = cursor_of (r2);
  r3 = pull (kiosk, c2);
  t3 = titles (r3);
  g_assert_cmpstr (t3, ==, "");

  /* An updated_at cursor would have lost A: its time is older than B's,
   * which such a cursor had already passed. */
  a_older = sk_test_pg_value (admin,
                              "SELECT (a.updated_at < b.updated_at)::text FROM public.songs a, "
                              "public.songs b WHERE a.title = 'A' AND b.title = 'B'",
                              0, NULL);
  g_assert_cmpstr (a_older, ==, "true");
  {
    const char *params[] = { naive };

    naive_late = sk_test_pg_value (
        admin, "SELECT count(*)::text FROM public.songs WHERE updated_at > $1::timestamptz", 1,
        params);
  }
  g_assert_cmpstr (naive_late, ==, "0");

  g_clear_pointer (&admin, PQfinish);
  g_clear_pointer (&a, PQfinish);
  g_clear_pointer (&b, PQfinish);
  g_clear_pointer (&kiosk, PQfinish);
  cluster_stop (&cluster);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cursor-pg15/late-commit", test_late_commit);
  return g_test_run ();
}
