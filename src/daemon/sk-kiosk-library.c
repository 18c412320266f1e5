/* sk-kiosk-library.c: the manager's library: ListSongs (paging, search,
 * and each unplayable song's reason), SetInLibrary and SetAllInLibrary
 * (this player's player_library, sk-engine-manage.c), and Import.
 *
 * An Import runs the core importer (sk_import_dir_full) on a thread of its
 * own with a database connection of its own: the files are decoded and
 * measured with no transaction open, so taps and the playback go on; its
 * progress comes back to the main loop as ImportProgress, its end as
 * ImportFinished, after which the engine reads the library again. One
 * import at a time: another is Busy.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "sk-import.h"
#include "sk-kiosk-private.h"
#include "sk-util.h"

#define MAX_IDS 10000

/* --- ListSongs ---------------------------------------------------------- */

#define MATCH_SQL                                                             \
  "(?2 = '' OR instr(lower(s.title), lower(?2)) > 0 OR instr(lower(coalesce(" \
  "s.artist, '')), lower(?2)) > 0)"

static gboolean
on_list_songs (SkDBusKiosk1 *skeleton,
               GDBusMethodInvocation *invocation,
               const char *search,
               guint offset,
               guint limit,
               SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (self->engine);
  g_autoptr (GError) error = NULL;
  gboolean curated = sk_engine_library_is_curated (self->engine);
  GVariantBuilder b;
  sqlite3_stmt *stmt = NULL;
  guint total = 0;

  if (!sk_kiosk_check_page (search, limit, &error))
    {
      sk_kiosk_return_error (invocation, error);
      return TRUE;
    }
  total = sk_kiosk_count_matches (store, "SELECT count(*) FROM songs s WHERE " MATCH_SQL,
                                  sk_engine_get_player_id (self->engine), search, &error);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sssdbbs)"));
  /* in the library: a row of this player's; or no rows at all while no
   * manager chose the songs (every song) */
  if (error == NULL)
    stmt = sk_store_prepare (store,
                             "SELECT s.id, s.title, coalesce(s.artist, ''), coalesce(s.duration, 0), "
                             "EXISTS (SELECT 1 FROM player_library l WHERE l.player_id = ?1 "
                             "  AND l.song_id = s.id) "
                             "OR (?5 = 0 AND NOT EXISTS (SELECT 1 FROM player_library l "
                             "  WHERE l.player_id = ?1)), "
                             "s.playable, coalesce(s.unplayable_reason, '') "
                             "FROM songs s WHERE " MATCH_SQL
                             " ORDER BY s.title COLLATE NOCASE, s.id "
                             "LIMIT ?3 OFFSET ?4",
                             &error);
  if (error == NULL && stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, sk_engine_get_player_id (self->engine), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, search, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, limit);
      sqlite3_bind_int64 (stmt, 4, offset);
      sqlite3_bind_int (stmt, 5, curated ? 1 : 0);
      while (sk_store_step (store, stmt, &error) == SQLITE_ROW)
        g_variant_builder_add (&b, "(sssdbbs)", sk_store_column_text (stmt, 0),
                               sk_store_column_text (stmt, 1), sk_store_column_text (stmt, 2),
                               sqlite3_column_double (stmt, 3), sqlite3_column_int (stmt, 4) != 0,
                               sqlite3_column_int (stmt, 5) != 0, sk_store_column_text (stmt, 6));
      sqlite3_reset (stmt);
    }
  if (error != NULL)
    {
      g_variant_builder_clear (&b);
      sk_kiosk_return_error (invocation, error);
      return TRUE;
    }
  sk_dbus_kiosk1_complete_list_songs (skeleton, invocation, total, g_variant_builder_end (&b));
  return TRUE;
}

/* --- this player's library ---------------------------------------------- */

static gboolean
on_set_in_library (SkDBusKiosk1 *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char *const *song_ids,
                   gboolean included,
                   SkKioskService *self)
{
  g_autoptr (GError) error = NULL;

  if (g_strv_length ((char **) song_ids) > MAX_IDS)
    g_set_error (&error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "At most %d songs at a time, please", MAX_IDS);
  else
    sk_engine_set_in_library (self->engine, song_ids, included, &error);
  if (error != NULL)
    {
      sk_kiosk_return_error (invocation, error);
      return TRUE;
    }
  sk_dbus_kiosk1_complete_set_in_library (skeleton, invocation);
  return TRUE;
}

static gboolean
on_set_all_in_library (SkDBusKiosk1 *skeleton,
                       GDBusMethodInvocation *invocation,
                       gboolean included,
                       SkKioskService *self)
{
  g_autoptr (GError) error = NULL;

  if (!sk_engine_set_all_in_library (self->engine, included, &error))
    {
      sk_kiosk_return_error (invocation, error);
      return TRUE;
    }
  sk_dbus_kiosk1_complete_set_all_in_library (skeleton, invocation);
  return TRUE;
}

/* --- Import ------------------------------------------------------------- */

struct _SkKioskImport
{
  SkKioskService *self; /* NULL once the service is gone */
  char *job;
  char *dir;     /* absolute */
  char *db_path; /* the thread's own connection */
  guint n_imported;
  GPtrArray *problems; /* SkImportProblem */
};

static void
import_free (gpointer data)
{
  SkKioskImport *import = data;

  g_free (import->job);
  g_free (import->dir);
  g_free (import->db_path);
  g_clear_pointer (&import->problems, g_ptr_array_unref);
  g_free (import);
}

typedef struct
{
  GTask *task;
  guint done, total;
  char *file;
} Progress;

static gboolean
emit_progress (gpointer data)
{
  Progress *p = data;
  SkKioskImport *import = g_task_get_task_data (p->task);

  if (import->self != NULL)
    sk_dbus_kiosk1_emit_import_progress (import->self->skeleton, import->job, p->done, p->total,
                                         p->file);
  g_object_unref (p->task);
  g_free (p->file);
  g_free (p);
  return G_SOURCE_REMOVE;
}

/* In the importing thread: to the main loop. */
static void
on_progress (guint done, guint total, const char *path, gpointer data)
{
  GTask *task = data;
  Progress *p = g_new0 (Progress, 1);

  p->task = g_object_ref (task);
  p->done = done;
  p->total = total;
  p->file = g_path_get_basename (path);
  g_main_context_invoke (g_task_get_context (task), emit_progress, p);
}

static void
import_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SkKioskImport *import = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (import->db_path, &error);

  if (store == NULL || !sk_import_dir_full (store, import->dir, on_progress, task,
                                            &import->n_imported, &import->problems, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_import_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = G_TASK (result);
  SkKioskImport *import = g_task_get_task_data (task);
  SkKioskService *self = import->self;
  g_autoptr (GError) error = NULL;
  g_autofree char *prefix = NULL;
  GVariantBuilder failures;

  if (self == NULL)
    return; /* soundscaped is stopping */
  self->import = NULL;
  g_variant_builder_init (&failures, G_VARIANT_TYPE ("a(ss)"));
  if (!g_task_propagate_boolean (task, &error))
    {
      g_warning ("Import %s of %s failed: %s", import->job, import->dir, error->message);
      g_variant_builder_add (&failures, "(ss)", import->dir, error->message);
      import->n_imported = 0;
    }
  else
    {
      for (guint i = 0; i < import->problems->len; i++)
        {
          SkImportProblem *p = import->problems->pdata[i];

          g_variant_builder_add (&failures, "(ss)", p->path, p->reason);
        }
      g_message ("import %s: %u songs from %s, %u files left out", import->job, import->n_imported,
                 import->dir, import->problems->len);
      /* what was imported plays: the engine reads the library again (and,
       * when a manager chose the songs, includes these) */
      prefix = g_filename_to_uri (import->dir, NULL, NULL);
      if ((prefix != NULL && !sk_engine_include_imported (self->engine, prefix, &error)) ||
          !sk_engine_reload (self->engine, &error))
        {
          g_warning ("After import %s: %s", import->job, error->message);
          sk_dbus_kiosk1_emit_error (self->skeleton, "store", error->message);
        }
      sk_engine_refresh (self->engine, NULL);
    }
  sk_dbus_kiosk1_emit_import_finished (self->skeleton, import->job, import->n_imported,
                                       g_variant_builder_end (&failures));
}

static gboolean
on_import (SkDBusKiosk1 *skeleton,
           GDBusMethodInvocation *invocation,
           const char *directory,
           SkKioskService *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  SkKioskImport *import;

  if (self->import != NULL)
    g_set_error (&error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_BUSY,
                 "An import of %s is at work: wait for its end", self->import->dir);
  else if (!g_path_is_absolute (directory) || strlen (directory) > 4096)
    g_set_error (&error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "The directory to import is an absolute path, such as /media/usb");
  else if (!g_file_test (directory, G_FILE_TEST_IS_DIR) || access (directory, R_OK | X_OK) != 0)
    g_set_error (&error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "soundscaped cannot read a directory %s", directory);
  if (error != NULL)
    {
      sk_kiosk_return_error (invocation, error);
      return TRUE;
    }
  import = g_new0 (SkKioskImport, 1);
  import->self = self;
  import->job = sk_uuid_new ();
  import->dir = g_canonicalize_filename (directory, NULL);
  import->db_path = g_strdup (sk_store_get_path (sk_engine_get_store (self->engine)));
  self->import = import;
  task = g_task_new (NULL, NULL, on_import_done, NULL);
  g_task_set_task_data (task, import, import_free);
  g_task_run_in_thread (task, import_thread);
  g_message ("import %s of %s started over D-Bus", import->job, import->dir);
  sk_dbus_kiosk1_complete_import (skeleton, invocation, import->job);
  return TRUE;
}

void
sk_kiosk_library_init (SkKioskService *self)
{
  g_signal_connect (self->skeleton, "handle-list-songs", G_CALLBACK (on_list_songs), self);
  g_signal_connect (self->skeleton, "handle-set-in-library", G_CALLBACK (on_set_in_library), self);
  g_signal_connect (self->skeleton, "handle-set-all-in-library", G_CALLBACK (on_set_all_in_library),
                    self);
  g_signal_connect (self->skeleton, "handle-import", G_CALLBACK (on_import), self);
}

void
sk_kiosk_library_clear (SkKioskService *self)
{
  /* an import at work finishes on its thread; nobody hears of it */
  if (self->import != NULL)
    self->import->self = NULL;
  self->import = NULL;
}
