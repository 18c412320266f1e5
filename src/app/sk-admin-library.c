/* sk-admin-library.c: see sk-admin-library.h.
 *
 * A search asks the engine again a moment after the last key (a newer one
 * cancels the one on its way); what is shown is always the engine's
 * answer, never a guess: a switch that the engine refused goes back when
 * the songs are asked for again.
 */
#include "config.h"

#include <gio/gunixmounts.h>
#include <glib/gi18n.h>
#include <string.h>

#include <adwaita.h>

#include "sk-admin-library.h"
#include "sk-app-call.h"

/* the songs shown at once: a search finds the others */
#define PAGE 50
#define SEARCH_DELAY_MS 300

struct _SkAdminLibrary
{
  SkAdminSection parent_instance;

  GtkWidget *root;
  AdwExpanderRow *search_row;
  GtkEntry *search;
  GtkWidget *search_panel;
  SkKeyboard *keyboard;
  AdwPreferencesGroup *songs_group;
  GtkListBox *songs;
  GtkLabel *more;
  GtkListBox *places;
  GtkLabel *no_place;
  GtkProgressBar *progress;
  GtkLabel *progress_label;
  AdwExpanderRow *failures_row;
  GtkLabel *failures;

  GCancellable *listing; /* the ListSongs on its way */
  GUnixMountMonitor *mounts;
  GStrv roots;
  guint search_timer;
  gboolean updating; /* the switches follow the engine: no call back */
};

G_DEFINE_FINAL_TYPE (SkAdminLibrary, sk_admin_library, SK_TYPE_ADMIN_SECTION)

static const char *const default_roots[] = { "/media", "/run/media", "/mnt", NULL };

static void
remove_rows (GtkListBox *list)
{
  GtkWidget *row;

  /* gtk_list_box_remove_all is GTK 4.12 */
  while ((row = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, row);
}

/* --- the songs ------------------------------------------------------------- */

static void list_songs (SkAdminLibrary *self);

static void
on_in_library_set (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminLibrary *self = data;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      list_songs (self); /* the switches as the engine has them */
    }
}

static void
on_switch_active (GtkSwitch *in_library, GParamSpec *pspec, SkAdminLibrary *self)
{
  const char *ids[2] = { g_object_get_data (G_OBJECT (in_library), "song-id"), NULL };

  if (self->updating || sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL)
    return;
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetInLibrary",
                         g_variant_new ("(^asb)", ids, gtk_switch_get_active (in_library)),
                         on_in_library_set);
}

static GtkWidget *
song_row (SkAdminLibrary *self,
          const char *id,
          const char *title,
          const char *artist,
          double duration,
          gboolean in_library,
          gboolean playable,
          const char *reason)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *in = gtk_switch_new ();
  g_autofree char *subtitle = NULL, *name = NULL;
  guint seconds = (guint) CLAMP (duration + 0.5, 0, G_MAXUINT);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (!playable)
    {
      /* TRANSLATORS: %s is the engine's reason, e.g. "the file is missing" */
      subtitle = g_strdup_printf (_ ("Cannot play: %s"), *reason ? reason : _ ("no reason given"));
      gtk_widget_add_css_class (row, "unplayable");
    }
  else if (*artist != '\0')
    subtitle = g_strdup_printf ("%s · %u:%02u", artist, seconds / 60, seconds % 60);
  else
    subtitle = g_strdup_printf ("%u:%02u", seconds / 60, seconds % 60);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);

  gtk_switch_set_active (GTK_SWITCH (in), in_library);
  gtk_widget_set_valign (in, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (in), "song-id", g_strdup (id), g_free);
  /* TRANSLATORS: the switch of one song; %s is its title */
  name = g_strdup_printf (_ ("In the library: %s"), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (in), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_signal_connect (in, "notify::active", G_CALLBACK (on_switch_active), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), in);
  /* the whole row is the target, not only the switch */
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), in);
  return row;
}

static void
on_songs (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminLibrary *self = data;
  g_autoptr (GVariant) songs = NULL;
  g_autofree char *heading = NULL;
  GVariantIter iter;
  const char *id, *title, *artist, *reason;
  double duration;
  gboolean in_library, playable;
  guint total, shown;

  g_clear_object (&self->listing);
  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  g_variant_get (reply, "(u@a(sssdbbs))", &total, &songs);
  self->updating = TRUE;
  remove_rows (self->songs);
  g_variant_iter_init (&iter, songs);
  while (g_variant_iter_next (&iter, "(&s&s&sdbb&s)", &id, &title, &artist, &duration, &in_library,
                              &playable, &reason))
    gtk_list_box_append (self->songs, song_row (self, id, title, artist, duration, in_library,
                                                playable, reason));
  self->updating = FALSE;
  shown = (guint) g_variant_n_children (songs);
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u song", "%u songs", total), total);
  adw_preferences_group_set_title (self->songs_group, heading);
  gtk_widget_set_visible (GTK_WIDGET (self->songs), shown > 0);
  if (total == 0)
    gtk_label_set_text (self->more, _ ("No song matches the search."));
  else if (shown < total)
    {
      g_autofree char *
          more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The first %u is shown: search to find the others.",
                                               "The first %u are shown: search to find the others.",
                                               shown),
                                  shown);

      gtk_label_set_text (self->more, more);
    }
  else
    gtk_label_set_text (self->more, "");
  gtk_widget_set_visible (GTK_WIDGET (self->more), total == 0 || shown < total);
}

static void
list_songs (SkAdminLibrary *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search));
  SkDBusKiosk1 *proxy = sk_admin_section_get_proxy (SK_ADMIN_SECTION (self));

  if (proxy == NULL)
    return;
  adw_expander_row_set_subtitle (self->search_row, *search ? search : _ ("All songs"));
  /* the answer to an older search is not wanted any more */
  g_cancellable_cancel (self->listing);
  g_clear_object (&self->listing);
  self->listing = g_cancellable_new ();
  sk_app_call (proxy, "ListSongs", g_variant_new ("(suu)", search, 0u, (guint) PAGE), self->listing,
               on_songs, self);
}

static gboolean
on_search_timeout (gpointer data)
{
  SkAdminLibrary *self = data;

  self->search_timer = 0;
  list_songs (self);
  return G_SOURCE_REMOVE;
}

static void
on_search_changed (GtkEditable *search, SkAdminLibrary *self)
{
  g_clear_handle_id (&self->search_timer, g_source_remove);
  self->search_timer = g_timeout_add (SEARCH_DELAY_MS, on_search_timeout, self);
}

static void
on_clear_search (GtkButton *button, SkAdminLibrary *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search), "");
}

/* The search opened: its entry and keyboard, down to the bottom row, in
 * view wherever the page was. */
static void
on_search_expanded (AdwExpanderRow *row, GParamSpec *pspec, SkAdminLibrary *self)
{
  if (adw_expander_row_get_expanded (row))
    sk_admin_section_scroll_to (SK_ADMIN_SECTION (self), self->search_panel);
}

/* The keyboard folds away, the songs found come into view. */
static void
on_search_done (GtkButton *button, SkAdminLibrary *self)
{
  adw_expander_row_set_expanded (self->search_row, FALSE);
  g_clear_handle_id (&self->search_timer, g_source_remove);
  list_songs (self);
}

static void
on_all_set (gpointer data, GVariant *reply, const char *refusal)
{
  sk_admin_section_say_refusal (data, reply, refusal);
  list_songs (data);
}

static void
on_include_all (GtkButton *button, SkAdminLibrary *self)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetAllInLibrary", g_variant_new ("(b)", TRUE),
                         on_all_set);
}

static void
on_exclude_all (GtkButton *button, SkAdminLibrary *self)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetAllInLibrary", g_variant_new ("(b)", FALSE),
                         on_all_set);
}

SkKeyboard *
sk_admin_library_get_keyboard (SkAdminLibrary *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_LIBRARY (self), NULL);
  return self->keyboard;
}

/* --- places to import from ------------------------------------------------- */

static gboolean
has_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return TRUE;
    }
  return FALSE;
}

static gboolean
under_root (SkAdminLibrary *self, const char *path)
{
  for (char **root = self->roots; *root; root++)
    {
      gsize n = strlen (*root);

      if (strncmp (path, *root, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
        return TRUE;
    }
  return FALSE;
}

static void
on_import_clicked (GtkButton *button, SkAdminLibrary *self)
{
  const char *dir = g_object_get_data (G_OBJECT (button), "directory");

  if (sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL)
    return;
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_label_set_text (self->progress_label, _ ("Starting the import…"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), TRUE);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->failures_row)), FALSE);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "Import", g_variant_new ("(s)", dir),
                         sk_admin_section_say_refusal);
}

static void
add_place (SkAdminLibrary *self, GHashTable *seen, const char *path)
{
  GtkWidget *row, *button;
  g_autofree char *base = NULL, *name = NULL;

  if (!g_hash_table_add (seen, g_strdup (path)))
    return;
  base = g_path_get_basename (path);
  row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), path);
  button = gtk_button_new_with_label (_ ("Import"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "big-button");
  g_object_set_data_full (G_OBJECT (button), "directory", g_strdup (path), g_free);
  /* TRANSLATORS: %s is a folder, e.g. /media/usb */
  name = g_strdup_printf (_ ("Import from %s"), path);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_signal_connect (button, "clicked", G_CALLBACK (on_import_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  gtk_list_box_append (self->places, row);
}

/* The file systems mounted under a root (a USB stick), and the folders
 * with files in them right under one. */
static void
find_places (SkAdminLibrary *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GList *mounts = g_unix_mounts_get (NULL);

  remove_rows (self->places);
  for (GList *l = mounts; l != NULL; l = l->next)
    {
      const char *path = g_unix_mount_get_mount_path (l->data);

      if (under_root (self, path) && g_file_test (path, G_FILE_TEST_IS_DIR))
        add_place (self, seen, path);
    }
  g_list_free_full (mounts, (GDestroyNotify) g_unix_mount_free);
  for (char **root = self->roots; *root; root++)
    {
      g_autoptr (GDir) d = g_dir_open (*root, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (*root, name, NULL);

          if (g_file_test (path, G_FILE_TEST_IS_DIR) && has_files (path))
            add_place (self, seen, path);
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->places), g_hash_table_size (seen) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->no_place), g_hash_table_size (seen) == 0);
}

static void
on_mounts_changed (GUnixMountMonitor *monitor, SkAdminLibrary *self)
{
  find_places (self);
}

static void
on_look_again (GtkButton *button, SkAdminLibrary *self)
{
  find_places (self);
}

void
sk_admin_library_set_roots (SkAdminLibrary *self, const char *const *roots)
{
  g_return_if_fail (SK_IS_ADMIN_LIBRARY (self));
  g_strfreev (self->roots);
  self->roots = g_strdupv ((char **) (roots ? roots : default_roots));
  find_places (self);
}

/* --- an import at work ----------------------------------------------------- */

static void
on_import_progress (SkDBusKiosk1 *proxy,
                    const char *job,
                    guint done,
                    guint total,
                    const char *file,
                    SkAdminLibrary *self)
{
  /* TRANSLATORS: an import at work: "3 of 12: rain.wav" */
  g_autofree char *text = g_strdup_printf (_ ("%u of %u: %s"), done, total, file);

  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_label), TRUE);
  gtk_progress_bar_set_fraction (self->progress, total > 0 ? (double) done / total : 1.0);
  gtk_label_set_text (self->progress_label, text);
}

static void
on_import_finished (
    SkDBusKiosk1 *proxy, const char *job, guint imported, GVariant *failures, SkAdminLibrary *self)
{
  gsize n = g_variant_n_children (failures);
  g_autoptr (GString) why = g_string_new (NULL);
  g_autofree char *text = NULL, *left_out = NULL;
  GVariantIter iter;
  const char *path, *reason;

  gtk_progress_bar_set_fraction (self->progress, 1.0);
  g_variant_iter_init (&iter, failures);
  while (g_variant_iter_next (&iter, "(&s&s)", &path, &reason))
    {
      g_autofree char *base = g_path_get_basename (path);

      g_string_append_printf (why, "%s%s: %s", why->len ? "\n" : "", base, reason);
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Imported %u song.", "Imported %u songs.",
                                       imported),
                          imported);
  if (n > 0)
    {
      left_out = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u file left out",
                                               "%u files left out", (gulong) n),
                                  (guint) n);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->failures_row), left_out);
      gtk_label_set_text (self->failures, why->str);
    }
  /* said once, on the import's own line under its bar, above the files
   * left out; not again in the page's note */
  gtk_label_set_text (self->progress_label, text);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->failures_row)), n > 0);
  list_songs (self);
}

/* --- the object ------------------------------------------------------------ */

static void
sk_admin_library_bind (SkAdminSection *self, SkDBusKiosk1 *proxy)
{
  g_signal_connect (proxy, "import-progress", G_CALLBACK (on_import_progress), self);
  g_signal_connect (proxy, "import-finished", G_CALLBACK (on_import_finished), self);
}

static void
sk_admin_library_load (SkAdminSection *section)
{
  SkAdminLibrary *self = SK_ADMIN_LIBRARY (section);

  g_clear_handle_id (&self->search_timer, g_source_remove);
  list_songs (self);
  find_places (self);
}

static void
sk_admin_library_dispose (GObject *object)
{
  SkAdminLibrary *self = SK_ADMIN_LIBRARY (object);

  g_cancellable_cancel (self->listing);
  g_clear_handle_id (&self->search_timer, g_source_remove);
  if (self->mounts != NULL)
    g_signal_handlers_disconnect_by_data (self->mounts, self);
  g_clear_object (&self->mounts);
  G_OBJECT_CLASS (sk_admin_library_parent_class)->dispose (object);
}

static void
sk_admin_library_finalize (GObject *object)
{
  SkAdminLibrary *self = SK_ADMIN_LIBRARY (object);

  g_strfreev (self->roots);
  g_clear_object (&self->listing);
  G_OBJECT_CLASS (sk_admin_library_parent_class)->finalize (object);
}

static void
sk_admin_library_class_init (SkAdminLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SkAdminSectionClass *section_class = SK_ADMIN_SECTION_CLASS (klass);

  section_class->bind = sk_admin_library_bind;
  section_class->load = sk_admin_library_load;
  object_class->dispose = sk_admin_library_dispose;
  object_class->finalize = sk_admin_library_finalize;
  g_type_ensure (SK_TYPE_KEYBOARD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-library.ui");
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, root);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, search_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, search);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, search_panel);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, keyboard);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, songs_group);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, songs);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, more);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, places);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, no_place);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, progress);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, progress_label);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, failures_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminLibrary, failures);
  gtk_widget_class_bind_template_callback (widget_class, on_search_expanded);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_clear_search);
  gtk_widget_class_bind_template_callback (widget_class, on_search_done);
  gtk_widget_class_bind_template_callback (widget_class, on_include_all);
  gtk_widget_class_bind_template_callback (widget_class, on_exclude_all);
  gtk_widget_class_bind_template_callback (widget_class, on_look_again);
}

static void
sk_admin_library_init (SkAdminLibrary *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->roots = g_strdupv ((char **) default_roots);
  sk_keyboard_set_target (self->keyboard, GTK_EDITABLE (self->search));
  self->mounts = g_unix_mount_monitor_get ();
  g_signal_connect (self->mounts, "mounts-changed", G_CALLBACK (on_mounts_changed), self);
}
