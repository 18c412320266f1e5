/* test-kiosk-admin-library.c: the admin page's library, driven as a
 * person would (sk-app-test.h: how): a search typed on the screen's
 * keyboard shows only the songs that match; the song playing next
 * switched out of the library is out of this player's library in the
 * database and out of the engine's queue; a song the store marks
 * unplayable shows its reason; a folder of three songs and a broken file
 * on a "USB stick" imported with the progress bar reaching the end, the
 * songs then in the database and on the list, "Imported 3 songs." said
 * once, on the import's own line, and the broken file named with its
 * reason. At each size, screenshots; the search's
 * keyboard in view, down to its bottom row, without scrolling by hand.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-admin-library.h"
#include "sk-app-test.h"
#include "sk-test-util.h"

#define EMBEDDING "[0.2, 0.3, 0.1, 0.1, 0.9]"
#define N_IMPORTED 3

static SkAdminLibrary *
find_library (Screen *s)
{
  GtkWidget *search = find_named (GTK_WIDGET (s->window), "Search the songs");

  g_assert_nonnull (search);
  return SK_ADMIN_LIBRARY (gtk_widget_get_ancestor (search, SK_TYPE_ADMIN_LIBRARY));
}

/* The song rows shown: their titles, in order. */
static GPtrArray *
shown_titles (Screen *s)
{
  GtkWidget *list = find_named (GTK_WIDGET (find_library (s)), "Songs");
  GPtrArray *titles = g_ptr_array_new ();

  for (GtkWidget *row = gtk_widget_get_first_child (list); row;
       row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ACTION_ROW (row))
      g_ptr_array_add (titles,
                       (gpointer) adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  return titles;
}

typedef struct
{
  const char *needle;
  guint count;
} Match;

/* Exactly @count songs shown, each with @needle in its title. */
static gboolean
songs_shown (Screen *s, gconstpointer data)
{
  const Match *m = data;
  g_autoptr (GPtrArray) titles = shown_titles (s);

  if (titles->len != m->count)
    return FALSE;
  for (guint i = 0; i < titles->len; i++)
    {
      g_autofree char *lower = g_utf8_strdown (titles->pdata[i], -1);

      if (strstr (lower, m->needle) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
wait_songs (Screen *s, const char *needle, guint count)
{
  Match m = { needle, count };

  if (!wait_until (s, songs_shown, &m, 5))
    g_error ("not %u songs with “%s” shown within 5 s", count, needle);
}

static gboolean
queue_has (Screen *s, gconstpointer song_id)
{
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (s->base.kiosk);
  GVariantIter iter;
  const char *id;

  g_variant_iter_init (&iter, queue);
  while (g_variant_iter_next (&iter, "(&s&s&sd&s)", &id, NULL, NULL, NULL, NULL))
    if (strcmp (id, song_id) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
queue_lacks (Screen *s, gconstpointer song_id)
{
  return !queue_has (s, song_id);
}

/* The search's row opened: its keyboard shows. */
static void
open_search (SkAdminLibrary *library)
{
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (find_named (GTK_WIDGET (library), "Search")),
                                 TRUE);
}

static void
on_fraction (GtkProgressBar *bar, GParamSpec *pspec, GArray *seen)
{
  double fraction = gtk_progress_bar_get_fraction (bar);

  g_array_append_val (seen, fraction);
}

static void
test_library (Screen *s, gconstpointer data)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  SkAdminLibrary *library;
  g_autoptr (GVariant) queue = NULL;
  g_autofree char *head = NULL, *head_title = NULL, *sql = NULL, *other = NULL;
  g_autofree char *usb = g_build_filename (s->base.dir, "usb", NULL);
  g_autofree char *stick = g_build_filename (usb, "STICK", NULL);
  g_autofree char *import_name = NULL, *heading = NULL;
  g_autoptr (GArray) fractions = g_array_new (FALSE, FALSE, sizeof (double));
  const char *roots[] = { usb, NULL };
  int n_songs = count_rows (s, "SELECT count(*) FROM songs");
  GtkWidget *bar, *left_out;
  gulong handler;

  open_admin_page (s);
  library = find_library (s);
  /* the USB sticks: where this test puts them, not this machine's */
  sk_admin_library_set_roots (library, roots);
  heading = g_strdup_printf ("%d songs", n_songs);
  wait_text (s, heading, 5);
  wait_songs (s, "", (guint) n_songs);
  scroll_to (s, GTK_WIDGET (library));
  screenshot (s, "admin-library");

  /* a search typed on the screen's keyboard: the songs with "rain"; the
   * page seen where it was, and left to scroll by itself: the keyboard
   * is whole in view, down to its bottom row */
  open_search (library);
  type_keys (s, sk_admin_library_get_keyboard (library), "rain");
  wait_songs (s, "rain",
              (guint) count_rows (s, "SELECT count(*) FROM songs WHERE lower(title) LIKE '%rain%' "
                                     "OR lower(coalesce(artist, '')) LIKE '%rain%'"));
  wait_text (s, "2 songs", 5);
  if (!wait_until (s, keyboard_in_view, sk_admin_library_get_keyboard (library), 5))
    g_error ("the search keyboard's bottom row was not whole in view within 5 s");
  g_assert_true (in_view (s, find_named (GTK_WIDGET (library), "Search the songs")));
  g_assert_true (in_view (s, find_named (GTK_WIDGET (library), "Show the songs found")));
  screenshot (s, "admin-library-search");
  press_in (s, GTK_WIDGET (library), "Show the songs found");
  wait_songs (s, "rain", 2);
  scroll_to (s, gtk_widget_get_ancestor (find_named (GTK_WIDGET (library), "Songs"),
                                         ADW_TYPE_PREFERENCES_GROUP));
  screenshot (s, "admin-library-found");
  open_search (library);
  press_in (s, GTK_WIDGET (library), "Clear the search");
  wait_songs (s, "", (guint) n_songs);

  /* the song that plays next, switched out: out of this player's library
   * and out of the queue */
  queue = sk_dbus_kiosk1_dup_queue (s->base.kiosk);
  g_assert_cmpuint (g_variant_n_children (queue), >, 0);
  g_variant_get_child (queue, 0, "(ss&sd&s)", &head, &head_title, NULL, NULL, NULL);
  {
    g_autofree char *name = g_strdup_printf ("In the library: %s", head_title);
    GtkWidget *in = find_named_type (window, name, GTK_TYPE_SWITCH);

    g_assert_nonnull (in);
    g_assert_true (gtk_switch_get_active (GTK_SWITCH (in)));
    g_assert_true (gtk_widget_activate (in));
  }
  sql = g_strdup_printf ("SELECT count(*) = %d FROM player_library", n_songs - 1);
  wait_row (s, sql);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) = 0 FROM player_library WHERE song_id = '%s'", head);
  wait_row (s, sql);
  if (!wait_until (s, queue_lacks, head, 5))
    g_error ("the song switched out (%s) was still queued after 5 s", head_title);

  /* a song the store found unplayable says why */
  other = sk_test_file_query_text (s->base.db, "SELECT id FROM songs ORDER BY title DESC LIMIT 1");
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("UPDATE songs SET playable = 0, unplayable_reason = "
                         "'the file is truncated' WHERE id = '%s'",
                         other);
  sk_test_file_exec (s->base.db, sql);
  open_search (library);
  type_keys (s, sk_admin_library_get_keyboard (library), "a");
  wait_text (s, "Cannot play: the file is truncated", 5);
  press_in (s, GTK_WIDGET (library), "Clear the search");
  wait_songs (s, "", (guint) n_songs);

  /* a USB stick with three songs and a file that is no audio: the songs
   * imported, the bar to its end */
  g_assert_cmpint (g_mkdir_with_parents (stick, 0700), ==, 0);
  for (guint i = 0; i < N_IMPORTED; i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/harbour-%u.wav", stick, i);
      g_autofree char *json = g_strdup_printf ("%s/harbour-%u.json", stick, i);
      g_autofree char *title = g_strdup_printf ("Harbour %u", i);

      sk_test_write_wav (wav, 1.0);
      sk_test_write_sidecar (json, title, EMBEDDING);
    }
  {
    g_autofree char *wav = g_build_filename (stick, "broken.wav", NULL);
    g_autofree char *json = g_build_filename (stick, "broken.json", NULL);

    g_assert_true (g_file_set_contents (wav, "no audio here", -1, NULL));
    sk_test_write_sidecar (json, "Broken", EMBEDDING);
  }
  press_in (s, GTK_WIDGET (library), "Look again for USB sticks");
  import_name = g_strdup_printf ("Import from %s", stick);
  bar = find_named_type (window, "Import progress", GTK_TYPE_PROGRESS_BAR);
  g_assert_nonnull (bar);
  handler = g_signal_connect (bar, "notify::fraction", G_CALLBACK (on_fraction), fractions);
  press_in (s, GTK_WIDGET (library), import_name);
  wait_text (s, "Imported 3 songs.", 30);
  g_signal_handler_disconnect (bar, handler);
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar)), ==, 1.0);
  /* the bar went up, never down, to the end */
  g_assert_cmpuint (fractions->len, >=, 2);
  for (guint i = 1; i < fractions->len; i++)
    g_assert_cmpfloat (g_array_index (fractions, double, i), >=,
                       g_array_index (fractions, double, i - 1));
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM songs WHERE title LIKE 'Harbour %'"), ==,
                   N_IMPORTED);
  wait_text (s, "Harbour 2", 5);
  /* the result said once, where the import was followed; the file left
   * out named with its reason */
  g_assert_cmpuint (count_text (window, "Imported 3 songs."), ==, 1);
  g_assert_true (gtk_widget_get_parent (find_text (window, "Imported 3 songs.")) ==
                 gtk_widget_get_parent (bar));
  wait_text (s, "1 file left out", 1);
  left_out = gtk_widget_get_ancestor (find_text (window, "1 file left out"), ADW_TYPE_EXPANDER_ROW);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (left_out), TRUE);
  wait_text (s, "broken.wav: not a readable audio file", 5);
  scroll_to (s, gtk_widget_get_ancestor (bar, ADW_TYPE_PREFERENCES_GROUP));
  screenshot (s, "admin-library-import");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  add_at_each_size ("admin-library", test_library);
  return app_test_run ();
}
