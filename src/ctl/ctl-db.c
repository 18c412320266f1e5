/* ctl-db.c: db migrate and db status, the cloud schema (sql/) on a
 * PostgreSQL database (a Supabase project) through libpq.
 *
 * The migrations are built into the program (sql/sql.gresource.xml), named
 * NNN_name.sql and numbered 1, 2, 3, … without gaps. Each pending one runs
 * in its own transaction together with its record in
 * soundscape.schema_migrations (number, name, SHA-256 of its text), so a
 * migration is applied whole or not at all, and a second run finds nothing
 * to do. A database that records a migration this program does not know,
 * or whose text differs from the one applied, is refused before anything
 * changes. */
#include "config.h"

#include <gio/gio.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define SQL_RESOURCE_DIR "/org/soundscape/kiosk/sql"

/* Migration runs of two managers at once wait for each other. */
#define MIGRATE_LOCK_KEY "7283419"

typedef enum
{
  CTL_DB_ERROR_BUILT_IN, /* the built-in migrations are not numbered 1..N */
  CTL_DB_ERROR_CONNECT,
  CTL_DB_ERROR_SQL,     /* the server refused a statement */
  CTL_DB_ERROR_NEWER,   /* the database knows a migration this program does not */
  CTL_DB_ERROR_CHANGED, /* an applied migration's text differs from this program's */
} CtlDbError;

#define CTL_DB_ERROR (ctl_db_error_quark ())
static GQuark ctl_db_error_quark (void);
/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-ctl-db-error-quark, ctl_db_error)
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* A migration: built into the program (with its text), or as the
 * database records it (with when it was applied). */
typedef struct
{
  guint version;
  char *name;
  char *sha256;
  GBytes *text;     /* built in: the SQL */
  char *applied_at; /* recorded: when, in UTC */
} Migration;

static void
migration_free (gpointer data)
{
  Migration *m = data;

  g_free (m->name);
  g_free (m->sha256);
  g_clear_pointer (&m->text, g_bytes_unref);
  g_free (m->applied_at);
  g_free (m);
}

static int
compare_migrations (gconstpointer a, gconstpointer b)
{
  const Migration *x = *(Migration *const *) a;
  const Migration *y = *(Migration *const *) b;

  return x->version < y->version ? -1 : x->version > y->version;
}

/* The built-in migrations in order, or NULL if they are not numbered
 * 1..N (a mistake in the build). */
static GPtrArray *
load_migrations (GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (migration_free);
  g_auto (GStrv) names = g_resources_enumerate_children (SQL_RESOURCE_DIR,
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, error);

  if (names == NULL)
    return NULL;
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_strconcat (SQL_RESOURCE_DIR "/", names[i], NULL);
      Migration *m;
      guint64 version = 0;
      char digits[4] = { 0 };

      if (!g_str_has_suffix (names[i], ".sql"))
        continue;
      memcpy (digits, names[i], MIN (strlen (names[i]), 3));
      if (strlen (names[i]) < 5 || names[i][3] != '_' ||
          !g_ascii_string_to_unsigned (digits, 10, 1, 999, &version, NULL))
        {
          g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_BUILT_IN,
                       "built-in migration “%s” is not named NNN_name.sql", names[i]);
          return NULL;
        }
      m = g_new0 (Migration, 1);
      m->version = (guint) version;
      m->name = g_strdup (names[i]);
      m->text = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (m->text == NULL)
        {
          migration_free (m);
          return NULL;
        }
      m->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, m->text);
      g_ptr_array_add (list, m);
    }
  g_ptr_array_sort (list, compare_migrations);
  for (guint i = 0; i < list->len; i++)
    if (((Migration *) list->pdata[i])->version != i + 1)
      {
        g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_BUILT_IN,
                     "built-in migrations are not numbered 1 to %u without gaps", list->len);
        return NULL;
      }
  return g_steal_pointer (&list);
}

/* The server's message, on one line, without libpq's "ERROR:  " prefix. */
static char *
server_message (const PGresult *res, PGconn *conn)
{
  const char *primary = res != NULL ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *state = res != NULL ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *position = res != NULL ? PQresultErrorField (res, PG_DIAG_STATEMENT_POSITION) : NULL;
  g_autoptr (GString) s = g_string_new (primary != NULL ? primary : PQerrorMessage (conn));

  g_strchomp (s->str);
  g_string_set_size (s, strlen (s->str));
  if (state != NULL)
    g_string_append_printf (s, " (SQLSTATE %s)", state);
  if (position != NULL)
    g_string_append_printf (s, " at character %s", position);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Whether @res has the status @expected; if not, sets @error with @what
 * and the server's message. */
static gboolean
result_ok (
    const PGresult *res, PGconn *conn, ExecStatusType expected, const char *what, GError **error)
{
  g_autofree char *msg = NULL;

  if (PQresultStatus (res) == expected)
    return TRUE;
  msg = server_message (res, conn);
  g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_SQL, "%s: %s", what, msg);
  return FALSE;
}

/* Runs @sql; on failure sets @error with @what and the server's message. */
static gboolean
run (PGconn *conn, const char *sql, const char *what, GError **error)
{
  g_autoptr (PGresult) res = PQexec (conn, sql);

  return PQresultStatus (res) == PGRES_TUPLES_OK ||
         result_ok (res, conn, PGRES_COMMAND_OK, what, error);
}

/* Connects to @url (NULL: libpq's PG* environment variables). Notices
 * (“already exists, skipping”) are not printed. */
static PGconn *
connect_db (const char *url, GError **error)
{
  g_autoptr (PGconn) conn = PQconnectdb (url != NULL ? url : "");

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_autofree char *msg = g_strdup (PQerrorMessage (conn));

      g_strchomp (msg);
      g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_CONNECT, "cannot connect to the database: %s",
                   msg);
      return NULL;
    }
  if (!run (conn, "SET client_min_messages = warning", "setting up the connection", error))
    return NULL;
  return g_steal_pointer (&conn);
}

/* The migrations the database records, in order; an empty array when it
 * has no record table yet. */
static GPtrArray *
read_applied (PGconn *conn, GError **error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (migration_free);
  g_autoptr (PGresult) exists = PQexec (conn, "SELECT to_regclass('soundscape.schema_migrations')");
  g_autoptr (PGresult) res = NULL;

  if (!result_ok (exists, conn, PGRES_TUPLES_OK, "reading the migrations", error))
    return NULL;
  if (PQgetisnull (exists, 0, 0))
    return g_steal_pointer (&list);
  res = PQexec (conn, "SELECT version, name, sha256, "
                      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                      "FROM soundscape.schema_migrations ORDER BY version");
  if (!result_ok (res, conn, PGRES_TUPLES_OK, "reading the migrations", error))
    return NULL;
  for (int i = 0; i < PQntuples (res); i++)
    {
      Migration *a = g_new0 (Migration, 1);
      guint64 v = 0;

      g_ascii_string_to_unsigned (PQgetvalue (res, i, 0), 10, 0, G_MAXUINT, &v, NULL);
      a->version = (guint) v;
      a->name = g_strdup (PQgetvalue (res, i, 1));
      a->sha256 = g_strdup (PQgetvalue (res, i, 2));
      a->applied_at = g_strdup (PQgetvalue (res, i, 3));
      g_ptr_array_add (list, a);
    }
  return g_steal_pointer (&list);
}

/* Refuses a database that records a migration this program does not have,
 * or one whose text changed since it was applied. */
static gboolean
check_applied (GPtrArray *known, GPtrArray *applied, GError **error)
{
  for (guint i = 0; i < applied->len; i++)
    {
      const Migration *a = applied->pdata[i];
      const Migration *m = a->version >= 1 && a->version <= known->len
                               ? known->pdata[a->version - 1]
                               : NULL;

      if (m == NULL)
        {
          g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_NEWER,
                       "the database has migration %u (%s), which this soundscape-ctl does "
                       "not know: it was migrated by a newer version",
                       a->version, a->name);
          return FALSE;
        }
      if (strcmp (m->sha256, a->sha256) != 0)
        {
          g_set_error (error, CTL_DB_ERROR, CTL_DB_ERROR_CHANGED,
                       "migration %u (%s) differs from the one the database applied on %s",
                       a->version, m->name, a->applied_at);
          return FALSE;
        }
    }
  return TRUE;
}

static const Migration *
find_applied (GPtrArray *applied, guint version)
{
  for (guint i = 0; i < applied->len; i++)
    if (((Migration *) applied->pdata[i])->version == version)
      return applied->pdata[i];
  return NULL;
}

/* Applies @m and records it, in one transaction. Another run may have
 * applied it meanwhile (it held the lock): then nothing happens. */
static gboolean
apply_one (PGconn *conn, const Migration *m, gboolean *applied_now, GError **error)
{
  g_autofree char *version = g_strdup_printf ("%u", m->version);
  g_autofree char *text = g_strndup (g_bytes_get_data (m->text, NULL), g_bytes_get_size (m->text));
  g_autofree char *what = g_strdup_printf ("migration %s", m->name);
  g_autofree char *recording = g_strdup_printf ("recording migration %s", m->name);
  const char *params[] = { version, m->name, m->sha256 };
  g_autoptr (PGresult) done = NULL;
  g_autoptr (PGresult) rec = NULL;

  *applied_now = FALSE;
  if (!run (conn, "BEGIN", what, error) ||
      !run (conn, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", what, error))
    goto rollback;
  done = PQexecParams (conn, "SELECT 1 FROM soundscape.schema_migrations WHERE version = $1::int",
                       1, NULL, params, NULL, NULL, 0);
  if (!result_ok (done, conn, PGRES_TUPLES_OK, what, error))
    goto rollback;
  if (PQntuples (done) > 0)
    return run (conn, "COMMIT", what, error);
  if (!run (conn, text, what, error))
    goto rollback;
  rec = PQexecParams (conn,
                      "INSERT INTO soundscape.schema_migrations (version, name, sha256) "
                      "VALUES ($1::int, $2, $3)",
                      3, NULL, params, NULL, NULL, 0);
  if (!result_ok (rec, conn, PGRES_COMMAND_OK, recording, error))
    goto rollback;
  if (!run (conn, "COMMIT", what, error))
    goto rollback;
  *applied_now = TRUE;
  return TRUE;

rollback:
  PQclear (PQexec (conn, "ROLLBACK"));
  return FALSE;
}

static int
db_migrate (PGconn *conn, GPtrArray *known)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) applied = NULL;
  guint count = 0;

  /* The record table itself, before any migration (idempotent). */
  if (!run (conn,
            "CREATE SCHEMA IF NOT EXISTS soundscape; "
            "REVOKE ALL ON SCHEMA soundscape FROM PUBLIC; "
            "CREATE TABLE IF NOT EXISTS soundscape.schema_migrations ("
            "  version integer PRIMARY KEY CHECK (version >= 1),"
            "  name text NOT NULL,"
            "  sha256 text NOT NULL,"
            "  applied_at timestamptz NOT NULL DEFAULT now())",
            "creating the migration records", &error))
    return fail ("%s", error->message);
  applied = read_applied (conn, &error);
  if (applied == NULL || !check_applied (known, applied, &error))
    return fail ("%s", error->message);
  for (guint i = 0; i < known->len; i++)
    {
      const Migration *m = known->pdata[i];
      gboolean now = FALSE;

      if (find_applied (applied, m->version) != NULL)
        continue;
      if (!apply_one (conn, m, &now, &error))
        return fail ("%s (nothing of it was applied)", error->message);
      if (now)
        {
          printf ("applied %s\n", m->name);
          count++;
        }
    }
  if (count == 0)
    printf ("the database is up to date (migration %u)\n", known->len);
  return EXIT_SUCCESS;
}

static int
db_status (PGconn *conn, GPtrArray *known)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) applied = read_applied (conn, &error);
  guint pending = 0;

  if (applied == NULL)
    return fail ("%s", error->message);
  for (guint i = 0; i < known->len; i++)
    {
      const Migration *m = known->pdata[i];
      const Migration *a = find_applied (applied, m->version);

      if (a == NULL)
        pending++;
      printf ("%-22s %s%s\n", m->name, a != NULL ? "applied " : "pending",
              a != NULL ? a->applied_at : "");
    }
  if (!check_applied (known, applied, &error))
    return fail ("%s", error->message);
  printf ("%u pending\n", pending);
  return EXIT_SUCCESS;
}

int
cmd_db (int argc, char **argv)
{
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) known = NULL;
  g_autoptr (PGconn) conn = NULL;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url,
      "postgres://… of the database (else libpq's PG* environment variables)", "URL" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  if (strcmp (argv[1], "migrate") != 0 && strcmp (argv[1], "status") != 0)
    return fail_usage ("db: “%s” is neither migrate nor status", argv[1]);
  known = load_migrations (&error);
  if (known == NULL)
    return fail ("%s", error->message);
  conn = connect_db (url, &error);
  if (conn == NULL)
    return fail ("%s", error->message);
  if (strcmp (argv[1], "migrate") == 0)
    return db_migrate (conn, known);
  return db_status (conn, known);
}
