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

static void
add_song (SkStore *store, sqlite3_stmt *stmt, GVariantBuilder *b)
{
  g_variant_builder_add (b, "(sssdbbs)", sk_store_column_text (stmt, 0),
                         sk_store_column_text (stmt, 1), sk_store_column_text (stmt, 2),
                         sqlite3_column_double (stmt, 3), sqlite3_column_int (stmt, 4) != 0,
                         sqlite3_column_int (stmt, 5) != 0, sk_store_column_text (stmt, 6));
}

/* in the library: a row of this player's; or no rows at all while no
 * manager chose the songs (every song); ?5: whether one did */
static const SkKioskList songs = {
  "SELECT count(*) FROM songs s WHERE " MATCH_SQL,
  "SELECT s.id, s.title, coalesce(s.artist, ''), coalesce(s.duration, 0), "
  "EXISTS (SELECT 1 FROM player_library l WHERE l.player_id = ?1 "
  "  AND l.song_id = s.id) "
  "OR (?5 = 0 AND NOT EXISTS (SELECT 1 FROM player_library l "
  "  WHERE l.player_id = ?1)), "
  "s.playable, coalesce(s.unplayable_reason, '') "
  "FROM songs s WHERE " MATCH_SQL " ORDER BY s.title COLLATE NOCASE, s.id "
  "LIMIT ?3 OFFSET ?4",
  "a(sssdbbs)",
  add_song,
};

GVariant *
sk_kiosk_method_list_songs (SkKioskService *self, GVariant *args, GError **error)
{
  return sk_kiosk_list (self, args, &songs, sk_engine_library_is_curated (self->engine), error);
}

/* --- this player's library ---------------------------------------------- */

GVariant *
sk_kiosk_method_set_in_library (SkKioskService *self, GVariant *args, GError **error)
{
  g_autofree const char **song_ids = NULL;
  gboolean included;

  g_variant_get (args, "(^a&sb)", &song_ids, &included);
  if (g_strv_length ((char **) song_ids) > MAX_IDS)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                   "At most %d songs at a time, please", MAX_IDS);
      return NULL;
    }
  if (!sk_engine_set_in_library (self->engine, song_ids, included, error))
    return NULL;
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_set_all_in_library (SkKioskService *self, GVariant *args, GError **error)
{
  gboolean included;

  g_variant_get (args, "(b)", &included);
  return sk_engine_set_all_in_library (self->engine, included, error) ? g_variant_new ("()") : NULL;
}

/* --- Import ------------------------------------------------------------- */

typedef struct
{
  SkKioskJob base;
  char *job;
  char *dir;     /* absolute */
  char *db_path; /* the thread's own connection */
  guint n_imported;
  GPtrArray *problems; /* SkImportProblem */
} SkKioskImport;

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

  if (import->base.service != NULL)
    sk_dbus_kiosk1_emit_import_progress (import->base.service->skeleton, import->job, p->done,
                                         p->total, p->file);
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
  SkKioskService *self = import->base.service;
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
      g_message ("import %s: %u %s from %s, %u %s left out", import->job, import->n_imported,
                 import->n_imported == 1 ? "song" : "songs", import->dir, import->problems->len,
                 import->problems->len == 1 ? "file" : "files");
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

GVariant *
sk_kiosk_method_import (SkKioskService *self, GVariant *args, GError **error)
{
  g_autoptr (GTask) task = NULL;
  const char *directory;
  SkKioskImport *job;

  g_variant_get (args, "(&s)", &directory);
  if (self->import != NULL)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_BUSY,
                 "An import of %s is at work: wait for its end",
                 ((SkKioskImport *) self->import)->dir);
  else if (!g_path_is_absolute (directory) || strlen (directory) > 4096)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "The directory to import is an absolute path, such as /media/usb");
  else if (!g_file_test (directory, G_FILE_TEST_IS_DIR) || access (directory, R_OK | X_OK) != 0)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 "soundscaped cannot read a directory %s", directory);
  else
    {
      job = g_new0 (SkKioskImport, 1);
      job->base.service = self;
      job->job = sk_uuid_new ();
      job->dir = g_canonicalize_filename (directory, NULL);
      job->db_path = g_strdup (sk_store_get_path (sk_engine_get_store (self->engine)));
      self->import = &job->base;
      task = g_task_new (NULL, NULL, on_import_done, NULL);
      g_task_set_task_data (task, job, import_free);
      g_task_run_in_thread (task, import_thread);
      g_message ("import %s of %s started over D-Bus", job->job, job->dir);
      return g_variant_new ("(s)", job->job);
    }
  return NULL;
}
