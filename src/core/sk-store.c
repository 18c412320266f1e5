/* sk-store.c: one SQLite connection, its migrations and its errors.
 *
 * Connection settings (docs/DESIGN.md, "Data model"): WAL, foreign keys on,
 * synchronous=FULL so that a vote or check-in acknowledged to a listener
 * survives a pulled plug. Statements are prepared once with
 * SQLITE_PREPARE_PERSISTENT and kept in a table keyed by their SQL text.
 *
 * Failures: every SQLite result code that a person can do something about
 * maps to an SkStoreError with a sentence naming the file; the SQLite
 * message goes into the log line. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sk-defaults.h"
#include "sk-store.h"
#include "sk-store-schema.h"
#include "sk-taste.h"
#include "sk-util.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-store-error-quark, sk_store_error)
/* clang-format on */

struct _SkStore
{
  gatomicrefcount ref_count;
  sqlite3 *db;
  char *path;
  GHashTable *stmts; /* SQL text → sqlite3_stmt */
  gboolean read_only;
  guint tx_depth;
  gboolean tx_failed;
  GArray *after_commit; /* AfterCommit, run after the outermost commit */
};

typedef struct
{
  SkStoreCommitFunc func;
  gpointer data;
  GDestroyNotify destroy;
} AfterCommit;

static void
set_error (SkStore *self, GError **error, int rc, const char *what)
{
  const char *path = self->path;
  const char *detail = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);
  int sys = self->db ? sqlite3_system_errno (self->db) : 0;
  /* an I/O error whose cause is space (growing the WAL index on a nearly
   * full disk is one) says so */
  gboolean disk_full = sys == ENOSPC || sys == EDQUOT;

  g_debug ("%s: %s: %s (%d, %s)", path, what, detail, rc, sys != 0 ? g_strerror (sys) : "-");

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CORRUPT,
                   "The database %s is damaged or is not a soundscape database (%s). "
                   "Move it aside and run “soundscape-ctl init”, or restore a backup.",
                   path, detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FULL,
                   "The disk holding %s is full: nothing was saved. Free some space and try again.",
                   path);
      break;
    case SQLITE_READONLY:
      g_set_error (
          error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY,
          "The database %s cannot be written (%s). Check the permissions of the file and its directory.",
          path, detail);
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CANNOT_OPEN,
                   "Cannot open the database %s (%s). Check that its directory exists and is writable.",
                   path, detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_BUSY,
                   "The database %s is busy in another program; try again.", path);
      break;
    case SQLITE_CONSTRAINT:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CONSTRAINT, "%s: %s", what, detail);
      break;
    case SQLITE_IOERR:
      if (disk_full)
        {
          g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FULL,
                       "The disk holding %s is full: nothing was saved. Free some space and try again.",
                       path);
          break;
        }
      if (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC)
        {
          g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FULL,
                       "Writing %s failed (%s): the disk may be full or failing; nothing was saved.",
                       path, detail);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FAILED, "%s failed on %s: %s", what, path,
                   detail);
      break;
    }
}

static void
finalize_stmt (gpointer p)
{
  sqlite3_finalize (p);
}

static void
after_commit_clear (gpointer p)
{
  AfterCommit *a = p;

  if (a->destroy != NULL)
    a->destroy (a->data);
}

/* Runs (@run) or drops the functions waiting for the commit. Those that
 * they add in turn wait for a commit of their own. */
static void
flush_after_commit (SkStore *self, gboolean run)
{
  g_autoptr (GArray) due = NULL;

  if (self->after_commit->len == 0)
    return;
  due = g_steal_pointer (&self->after_commit);
  self->after_commit = g_array_new (FALSE, FALSE, sizeof (AfterCommit));
  g_array_set_clear_func (self->after_commit, after_commit_clear);
  for (guint i = 0; run && i < due->len; i++)
    {
      AfterCommit *a = &g_array_index (due, AfterCommit, i);

      a->func (a->data);
    }
}

/* SQL: sk_taste_state_from_preference(text) → the learner's state for a
 * profile that has a preference and no state yet, as text; an unreadable
 * preference gives a new listener's state. */
static void
sql_state_from_preference (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  double pref[SK_DIM], state[SK_TASTE_STATE_LEN];
  g_autofree char *out = NULL;

  if (text != NULL && sk_vec_parse (text, pref, NULL))
    sk_taste_state_from_preference (pref, state);
  else
    sk_taste_state_new (state);
  out = sk_taste_state_format (state);
  sqlite3_result_text (ctx, out, -1, SQLITE_TRANSIENT);
}

/* The schema version, or -1 with @error set. Reading it reads the file's
 * header: a file that is not a database fails here, before anything in it
 * changes. */
static int
read_version (SkStore *self, GError **error)
{
  int version = sk_store_get_schema_version (self);

  if (version < 0)
    set_error (self, error, sqlite3_extended_errcode (self->db), "Reading the schema version");
  return version;
}

static gboolean
check_not_newer (SkStore *self, int version, GError **error)
{
  int latest = sk_store_get_latest_schema_version ();

  if (version <= latest)
    return TRUE;
  g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_TOO_NEW,
               "The database %s was written by a newer soundscape-kiosk (schema %d; this one knows %d). "
               "Upgrade the package.",
               self->path, version, latest);
  return FALSE;
}

static gboolean
migrate (SkStore *self, GError **error)
{
  int latest = sk_store_get_latest_schema_version ();
  int version;

  /* versions only grow: one that is current outside a transaction stays so */
  version = read_version (self, error);
  if (version < 0)
    return FALSE;
  if (version == latest)
    return TRUE;
  /* Another program may be migrating the same file right now: read the
   * version again under the write lock, and migrate from there. */
  if (!sk_store_begin (self, error))
    return FALSE;
  version = read_version (self, error);
  if (version < 0 || !check_not_newer (self, version, error))
    goto fail;
  for (int n = version + 1; n <= latest; n++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", n);

      if (!sk_store_exec (self, sk_store_migrations[n - 1], error) ||
          !sk_store_exec (self, bump, error))
        {
          g_prefix_error (error, "Migration %d: ", n);
          goto fail;
        }
      g_debug ("%s: migrated to schema %d", self->path, n);
    }
  return sk_store_commit (self, error);

fail:
  sk_store_rollback (self);
  return FALSE;
}

/* WAL is a property of the file: switched once, by whoever comes first
 * (the switch takes a lock that programs opening the file at once would
 * contend for). */
static gboolean
ensure_wal (SkStore *self, GError **error)
{
  sqlite3_stmt *stmt = sk_store_prepare (self, "PRAGMA journal_mode", error);
  gboolean wal;

  if (stmt == NULL)
    return FALSE;
  if (sk_store_step (self, stmt, error) != SQLITE_ROW)
    return FALSE;
  wal = g_strcmp0 (sk_store_column_text (stmt, 0), "wal") == 0;
  sqlite3_reset (stmt);
  return wal || sk_store_exec (self, "PRAGMA journal_mode = WAL", error);
}

/* What SQLite would get wrong: an empty path opens a private temporary
 * database, and a device, FIFO or directory is read as an empty database
 * whose first write fails as if the disk were full. */
static gboolean
check_path (const char *path, GError **error)
{
  GStatBuf st;
  const char *kind;

  if (*path == '\0')
    {
      g_set_error_literal (error, SK_STORE_ERROR, SK_STORE_ERROR_CANNOT_OPEN,
                           "The database path is empty: name a database file.");
      return FALSE;
    }
  if (strcmp (path, ":memory:") == 0 || g_stat (path, &st) != 0 || S_ISREG (st.st_mode))
    return TRUE;
  if (S_ISDIR (st.st_mode))
    kind = "a directory";
  else if (S_ISCHR (st.st_mode))
    kind = "a character device";
  else if (S_ISBLK (st.st_mode))
    kind = "a block device";
  else if (S_ISFIFO (st.st_mode))
    kind = "a FIFO";
  else if (S_ISSOCK (st.st_mode))
    kind = "a socket";
  else
    kind = "not a regular file";
  g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CANNOT_OPEN,
               "%s is not a database file (it is %s): name a database file.", path, kind);
  return FALSE;
}

/* How long a statement waits for another connection's lock: 5 s, or
 * SK_STORE_BUSY_TIMEOUT_MS (for tests, which shorten it so that a lock held
 * too long shows as "busy", and for diagnosis). A value that is not a
 * whole number of ms in range is named in the log and not used. */
static int
busy_timeout_ms (void)
{
  const char *env = g_getenv ("SK_STORE_BUSY_TIMEOUT_MS");
  guint64 ms = SK_STORE_BUSY_TIMEOUT_MS;
  g_autoptr (GError) error = NULL;

  if (env != NULL &&
      !g_ascii_string_to_unsigned (env, 10, 0, SK_STORE_BUSY_TIMEOUT_MAX_MS, &ms, &error))
    {
      g_warning ("SK_STORE_BUSY_TIMEOUT_MS is not used (%s); waiting %d ms for a lock",
                 error->message, SK_STORE_BUSY_TIMEOUT_MS);
      ms = SK_STORE_BUSY_TIMEOUT_MS;
    }
  return (int) ms;
}

SkStore *
sk_store_open (const char *path, GError **error)
{
  return sk_store_open_full (path, SK_STORE_OPEN_CREATE, error);
}

SkStore *
sk_store_open_full (const char *path, SkStoreOpenFlags flags, GError **error)
{
  g_autoptr (SkStore) self = NULL;
  gboolean memory, create, read_only;
  int version;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_path (path, error))
    return NULL;
  memory = strcmp (path, ":memory:") == 0;
  read_only = (flags & SK_STORE_OPEN_READ_ONLY) != 0 && !memory;
  create = (flags & SK_STORE_OPEN_CREATE) != 0 && !read_only;

  self = g_new0 (SkStore, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->path = g_strdup (path);
  self->read_only = read_only;
  self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
  self->after_commit = g_array_new (FALSE, FALSE, sizeof (AfterCommit));
  g_array_set_clear_func (self->after_commit, after_commit_clear);

  if (!memory && !create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (
          error, SK_STORE_ERROR, SK_STORE_ERROR_MISSING,
          "There is no database at %s. Check the path, or create one with “soundscape-ctl init”.",
          path);
      return NULL;
    }
  if (!memory && create)
    {
      g_autofree char *dir = g_path_get_dirname (path);

      if (g_mkdir_with_parents (dir, 0750) != 0)
        {
          int saved = errno;

          g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_CANNOT_OPEN,
                       "Cannot create the directory %s for the database: %s", dir,
                       g_strerror (saved));
          return NULL;
        }
    }

  rc = sqlite3_open_v2 (path, &self->db,
                        (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                            (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, error, rc, "Opening");
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, busy_timeout_ms ());

  /* A newer schema is refused before the journal mode (or anything else)
   * changes in the file. */
  version = read_version (self, error);
  if (version < 0 || !check_not_newer (self, version, error))
    return NULL;

  if (read_only)
    {
      if (version < sk_store_get_latest_schema_version ())
        {
          g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_OUTDATED,
                       "The database %s has an older schema (%d); “soundscape-ctl init” or starting "
                       "the kiosk upgrades it.",
                       path, version);
          return NULL;
        }
      if (!sk_store_exec (self, "PRAGMA query_only = 1", error) ||
          !sk_store_exec (self, "PRAGMA foreign_keys = ON", error))
        return NULL;
      return g_steal_pointer (&self);
    }

  if (!ensure_wal (self, error) || !sk_store_exec (self, "PRAGMA synchronous = FULL", error) ||
      !sk_store_exec (self, "PRAGMA foreign_keys = ON", error))
    return NULL;
  rc = sqlite3_create_function (self->db, "sk_taste_state_from_preference", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                sql_state_from_preference, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, error, rc, "Opening");
      return NULL;
    }
  if (!migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

gint64
sk_store_get_data_version (SkStore *self)
{
  sqlite3_stmt *stmt;
  gint64 version = -1;

  g_return_val_if_fail (self != NULL, -1);

  stmt = sk_store_prepare (self, "PRAGMA data_version", NULL);
  if (stmt != NULL && sk_store_step (self, stmt, NULL) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  return version;
}

gboolean
sk_store_is_read_only (SkStore *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->read_only;
}

SkStore *
sk_store_ref (SkStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
sk_store_unref (SkStore *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_hash_table_unref (self->stmts);
  g_array_unref (self->after_commit);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);
  g_free (self);
}

const char *
sk_store_get_path (SkStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

int
sk_store_get_latest_schema_version (void)
{
  return (int) G_N_ELEMENTS (sk_store_migrations);
}

int
sk_store_get_schema_version (SkStore *self)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  g_return_val_if_fail (self != NULL, -1);

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

sqlite3_stmt *
sk_store_prepare (SkStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  stmt = g_hash_table_lookup (self->stmts, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (self, error, rc, "Preparing a statement");
      sqlite3_finalize (stmt);
      return NULL;
    }
  g_hash_table_insert (self->stmts, g_strdup (sql), stmt);
  return stmt;
}

int
sk_store_step (SkStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    return rc;
  set_error (self, error, sqlite3_extended_errcode (self->db), "A database statement");
  sqlite3_reset (stmt);
  return -1;
}

gboolean
sk_store_run (SkStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sk_store_step (self, stmt, error)) == SQLITE_ROW)
    ;
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static sqlite3_stmt *
query_valist (SkStore *self, GError **error, const char *sql, const char *types, va_list args)
{
  sqlite3_stmt *stmt = sk_store_prepare (self, sql, error);
  int i;

  if (stmt == NULL)
    return NULL;
  for (i = 0; types[i] != '\0'; i++)
    switch (types[i])
      {
      case 's':
        sqlite3_bind_text (stmt, i + 1, va_arg (args, const char *), -1, SQLITE_STATIC);
        break;
      case 'x':
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
        break;
      case 'i':
        sqlite3_bind_int (stmt, i + 1, va_arg (args, int));
        break;
      case 'd':
        sqlite3_bind_double (stmt, i + 1, va_arg (args, double));
        break;
      default:
        g_assert_not_reached ();
      }
  return stmt;
}

sqlite3_stmt *
sk_store_query (SkStore *self, GError **error, const char *sql, const char *types, ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, types);
  stmt = query_valist (self, error, sql, types, args);
  va_end (args);
  return stmt;
}

gboolean
sk_store_run_sql (SkStore *self, GError **error, const char *sql, const char *types, ...)
{
  va_list args;
  gboolean done;

  va_start (args, types);
  done = sk_store_run (self, query_valist (self, error, sql, types, args), error);
  va_end (args);
  return done;
}

int
sk_store_step_once (SkStore *self, sqlite3_stmt *stmt, GError **error)
{
  int rc;

  if (stmt == NULL)
    return -1;
  rc = sk_store_step (self, stmt, error);
  sqlite3_reset (stmt);
  return rc;
}

gboolean
sk_store_has_row (SkStore *self, sqlite3_stmt *stmt, GError **error)
{
  return sk_store_step_once (self, stmt, error) == SQLITE_ROW;
}

gboolean
sk_store_collect_texts (SkStore *self, sqlite3_stmt *stmt, GPtrArray *texts, GError **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sk_store_step (self, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (texts, g_strdup (sk_store_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

char *
sk_store_dup_text (SkStore *self, sqlite3_stmt *stmt, GError **error)
{
  char *text = NULL;

  if (stmt == NULL)
    return NULL;
  if (sk_store_step (self, stmt, error) == SQLITE_ROW)
    text = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return text;
}

gboolean
sk_store_exec (SkStore *self, const char *sql, GError **error)
{
  char *msg = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);

  rc = sqlite3_exec (self->db, sql, NULL, NULL, &msg);
  sqlite3_free (msg);
  if (rc != SQLITE_OK)
    {
      set_error (self, error, sqlite3_extended_errcode (self->db), "A database command");
      return FALSE;
    }
  return TRUE;
}

int
sk_store_changes (SkStore *self)
{
  return sqlite3_changes (self->db);
}

gboolean
sk_store_begin (SkStore *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->read_only)
    {
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_READ_ONLY,
                   "The database %s was opened for reading only", self->path);
      return FALSE;
    }
  if (self->tx_depth == 0)
    {
      if (!sk_store_exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      self->tx_failed = FALSE;
    }
  self->tx_depth++;
  return TRUE;
}

gboolean
sk_store_commit (SkStore *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (self->tx_depth > 0, FALSE);

  if (self->tx_depth > 1)
    {
      self->tx_depth--;
      return TRUE;
    }
  if (self->tx_failed)
    {
      sk_store_rollback (self);
      g_set_error (error, SK_STORE_ERROR, SK_STORE_ERROR_FAILED,
                   "An inner step failed; nothing was saved");
      return FALSE;
    }
  if (!sk_store_exec (self, "COMMIT", error))
    {
      /* e.g. SQLITE_FULL at commit: the transaction is still open */
      sk_store_rollback (self);
      return FALSE;
    }
  self->tx_depth = 0;
  flush_after_commit (self, TRUE);
  return TRUE;
}

gboolean
sk_store_end (SkStore *self, gboolean ok, GError **error)
{
  if (ok && sk_store_commit (self, error))
    return TRUE;
  sk_store_rollback (self);
  return FALSE;
}

void
sk_store_rollback (SkStore *self)
{
  g_return_if_fail (self != NULL);

  if (self->tx_depth == 0)
    return;
  if (self->tx_depth > 1)
    {
      self->tx_depth--;
      self->tx_failed = TRUE;
      return;
    }
  self->tx_depth = 0;
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  flush_after_commit (self, FALSE);
}

void
sk_store_after_commit (SkStore *self, SkStoreCommitFunc func, gpointer data, GDestroyNotify destroy)
{
  AfterCommit a = { func, data, destroy };

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  if (self->tx_depth == 0)
    {
      func (data);
      if (destroy != NULL)
        destroy (data);
      return;
    }
  g_array_append_val (self->after_commit, a);
}

char *
sk_store_dup_setting (SkStore *self, const char *key)
{
  return sk_store_dup_text (self,
                            sk_store_query (self, NULL, "SELECT value FROM settings WHERE key = ?1",
                                            "s", key),
                            NULL);
}

gboolean
sk_store_set_setting (SkStore *self, const char *key, const char *value, GError **error)
{
  if (value == NULL)
    return sk_store_run_sql (self, error, "DELETE FROM settings WHERE key = ?1", "s", key);
  return sk_store_run_sql (self, error,
                           "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           "ss", key, value);
}

gboolean
sk_store_outbox_add (SkStore *self,
                     const char *kind,
                     const char *row_id,
                     const char *payload,
                     gint64 now,
                     GError **error)
{
  g_autofree char *ts = sk_time_format (now);

  return sk_store_run_sql (self, error,
                           "INSERT INTO outbox (kind, row_id, payload, created_at) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           "ssss", kind, row_id, payload, ts);
}

const char *
sk_store_column_text (sqlite3_stmt *stmt, int col)
{
  return (const char *) sqlite3_column_text (stmt, col);
}

char *
sk_store_default_path (void)
{
  return sk_service_dir_file ("STATE_DIRECTORY", SK_STATEDIR, "soundscape.db");
}
