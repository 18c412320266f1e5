/* sk-store.h: the device's SQLite database.
 *
 * SkStore owns one connection, runs the numbered migrations, caches
 * prepared statements and turns every SQLite failure into a GError a person
 * can act on. The modules of the core (sessions, engine, import) keep their
 * own SQL and use the store's statement cache and transactions. */
#pragma once

#include <sqlite3.h>

#include "sk-types.h"

G_BEGIN_DECLS

#define SK_STORE_ERROR (sk_store_error_quark ())
typedef enum
{
  SK_STORE_ERROR_CANNOT_OPEN, /* missing directory, no permission */
  SK_STORE_ERROR_READ_ONLY,
  SK_STORE_ERROR_CORRUPT, /* not a database, or damaged */
  SK_STORE_ERROR_FULL,    /* the disk (or the size limit) is full */
  SK_STORE_ERROR_TOO_NEW, /* written by a newer soundscape-kiosk */
  SK_STORE_ERROR_BUSY,
  SK_STORE_ERROR_CONSTRAINT,
  SK_STORE_ERROR_FAILED,
  SK_STORE_ERROR_MISSING,  /* no database at the path, and not to create */
  SK_STORE_ERROR_OUTDATED, /* older schema, opened for reading only */
} SkStoreError;

GQuark sk_store_error_quark (void);

/* The database in the state directory: systemd's $STATE_DIRECTORY, else
 * the one the build configured. */
char *sk_store_default_path (void);
typedef enum
{
  SK_STORE_OPEN_EXISTING = 0,       /* a database that exists; upgraded if older */
  SK_STORE_OPEN_CREATE = 1 << 0,    /* create the file (and its directory) if missing */
  SK_STORE_OPEN_READ_ONLY = 1 << 1, /* never write: no journal switch, no migration,
                                      * no transaction; works on a read-only file */
} SkStoreOpenFlags;

/* A database from a newer version is refused before anything in it
 * changes. Migrations run in one BEGIN IMMEDIATE transaction that reads
 * the version again inside it, so that programs opening a new database at
 * once migrate it once. sk_store_open is sk_store_open_full with
 * SK_STORE_OPEN_CREATE. */
SkStore *sk_store_open (const char *path, GError **error);
SkStore *sk_store_open_full (const char *path, SkStoreOpenFlags flags, GError **error);
gboolean sk_store_is_read_only (SkStore *self);
/* PRAGMA data_version: it changes when another connection (another
 * program) commits, never for this connection's own commits. -1 on error. */
gint64 sk_store_get_data_version (SkStore *self);
SkStore *sk_store_ref (SkStore *self);
void sk_store_unref (SkStore *self);
const char *sk_store_get_path (SkStore *self);
int sk_store_get_schema_version (SkStore *self);
int sk_store_get_latest_schema_version (void);

/* A cached statement, reset and with its bindings cleared. Owned by the
 * store: never finalize it. NULL with @error set when the SQL is wrong. */
sqlite3_stmt *sk_store_prepare (SkStore *self, const char *sql, GError **error);
/* One step: SQLITE_ROW or SQLITE_DONE, or -1 with @error set. */
int sk_store_step (SkStore *self, sqlite3_stmt *stmt, GError **error);
/* Steps to the end and resets; FALSE with @error set on failure. A NULL
 * @stmt (a prepare that failed and set @error) gives FALSE. */
gboolean sk_store_run (SkStore *self, sqlite3_stmt *stmt, GError **error);
gboolean sk_store_exec (SkStore *self, const char *sql, GError **error);
int sk_store_changes (SkStore *self);

/* sk_store_prepare, then its parameters ?1, ?2, … bound from the arguments
 * after @types, one character of @types each: 's' a string (const char *;
 * NULL binds NULL), 'x' a gint64, 'i' an int, 'd' a double. Strings are not
 * copied: they must live until the statement is reset. */
sqlite3_stmt *
sk_store_query (SkStore *self, GError **error, const char *sql, const char *types, ...);
/* sk_store_query, then sk_store_run: a statement whose rows are not read. */
gboolean sk_store_run_sql (SkStore *self, GError **error, const char *sql, const char *types, ...);
/* One step of @stmt (from sk_store_query), then a reset: SQLITE_ROW,
 * SQLITE_DONE, or -1 with @error set (a NULL @stmt gives -1). For a
 * question whose answer is whether there is a row. */
int sk_store_step_once (SkStore *self, sqlite3_stmt *stmt, GError **error);
/* sk_store_step_once == SQLITE_ROW: FALSE when there was no row or it
 * failed (@error set). */
gboolean sk_store_has_row (SkStore *self, sqlite3_stmt *stmt, GError **error);
/* The first column of every row of @stmt (from sk_store_query), copied
 * onto the end of @texts (which frees them with g_free), then a reset:
 * FALSE with @error set on failure (a NULL @stmt gives FALSE). */
gboolean
sk_store_collect_texts (SkStore *self, sqlite3_stmt *stmt, GPtrArray *texts, GError **error);
/* The first column of the first row of @stmt (from sk_store_query),
 * copied, then a reset: NULL when there is no row or its value is NULL
 * (@error unset), or on failure (@error set; a NULL @stmt gives NULL). */
char *sk_store_dup_text (SkStore *self, sqlite3_stmt *stmt, GError **error);

/* Transactions nest: only the outermost begin/commit reaches SQLite; a
 * rollback at any depth rolls the whole transaction back. */
gboolean sk_store_begin (SkStore *self, GError **error);
gboolean sk_store_commit (SkStore *self, GError **error);
void sk_store_rollback (SkStore *self);
/* Ends a transaction begun: commits it when @ok (its work went well, else
 * @error is set already), rolls it back otherwise or when the commit
 * fails. TRUE when it committed. */
gboolean sk_store_end (SkStore *self, gboolean ok, GError **error);

/* Runs @func (@data) once the outermost transaction open now has
 * committed, or at once when none is open; a rollback drops it. Then
 * @destroy (@data), either way. This is how observers are told only of
 * what was committed: the functions run in order, with no transaction
 * open, so that what they start is a transaction of its own. */
typedef void (*SkStoreCommitFunc) (gpointer data);
void sk_store_after_commit (SkStore *self,
                            SkStoreCommitFunc func,
                            gpointer data,
                            GDestroyNotify destroy);

/* settings(key, value); a NULL @value removes the key's row. */
char *sk_store_dup_setting (SkStore *self, const char *key);
gboolean sk_store_set_setting (SkStore *self, const char *key, const char *value, GError **error);

/* Append a row to the outbox (local writes the cloud has not acknowledged). */
gboolean sk_store_outbox_add (SkStore *self,
                              const char *kind,
                              const char *row_id,
                              const char *payload,
                              gint64 now,
                              GError **error);

/* The text of column @col, or NULL. */
const char *sk_store_column_text (sqlite3_stmt *stmt, int col);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkStore, sk_store_unref)

G_END_DECLS
