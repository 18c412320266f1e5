/* test-kiosk-admin-page.c: the admin page, driven as a person would
 * (sk-app-test.h: how): unlocked with the PIN on the screen's keypad, the
 * crossfade and the blending strategy changed (seen in the engine's
 * settings), a test sound on an output the engine lists and the music
 * moved to it, the PIN changed on the keypad (the new one unlocks, the
 * old one no more), the reader's and sync's status, versions and the
 * recent log shown; at each size, screenshots.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-admin.h"
#include "sk-app-test.h"
#include "sk-test-util.h"

#define NEW_PIN "97531"

static gboolean
admin_unlocked (Screen *s, gconstpointer want)
{
  return sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk) == GPOINTER_TO_INT (want);
}

static gboolean
strategy_is (Screen *s, gconstpointer strategy)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_strategy (s->base.kiosk), strategy) == 0;
}

static SkAdmin *
find_admin (Screen *s)
{
  GtkWidget *strategy = find_named (GTK_WIDGET (s->window), "Strategy");

  g_assert_nonnull (strategy);
  return SK_ADMIN (gtk_widget_get_ancestor (strategy, SK_TYPE_ADMIN));
}

static gboolean
output_listed (Screen *s, gconstpointer pcm)
{
  return sk_admin_system_select_output (sk_admin_get_system (find_admin (s)), pcm);
}

/* A drawn label under @root that holds @text whole (not ellipsized). */
static gboolean
whole_label_in (GtkWidget *root, const char *text)
{
  if (!gtk_widget_is_drawable (root))
    return FALSE;
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL &&
      !pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (root))))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    if (whole_label_in (c, text))
      return TRUE;
  return FALSE;
}

static gboolean
whole_label_drawn (Screen *s, gconstpointer text)
{
  return whole_label_in (GTK_WIDGET (s->window), text);
}

/* The expander row titled @title under @root. */
static AdwExpanderRow *
find_expander (GtkWidget *root, const char *title)
{
  if (ADW_IS_EXPANDER_ROW (root) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return ADW_EXPANDER_ROW (root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      AdwExpanderRow *found = find_expander (c, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
drawn (Screen *s, gconstpointer widget)
{
  return gtk_widget_is_drawable ((GtkWidget *) widget);
}

static void
expand (Screen *s, const char *title)
{
  AdwExpanderRow *row = find_expander (GTK_WIDGET (s->window), title);

  g_assert_nonnull (row);
  adw_expander_row_set_expanded (row, TRUE);
}

static void
type_pin (Screen *s, SkKeypad *keypad, const char *pin, const char *submit)
{
  for (const char *c = pin; *c; c++)
    {
      char digit[2] = { *c, 0 };

      click (s, sk_keypad_find_key (keypad, digit));
    }
  click (s, sk_keypad_find_key (keypad, submit));
}

static void
test_admin_page (Screen *s, gconstpointer data)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  SkAdminSystem *system;

  open_admin_page (s);
  system = sk_admin_get_system (find_admin (s));
  wait_text (s, "Badge reader", 2);
  screenshot (s, "admin-page");

  /* the crossfade and the strategy: the engine's settings */
  gtk_range_set_value (GTK_RANGE (find_named (window, "Crossfade in seconds")), 3);
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'crossfade_seconds' AND value = '3'");
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (window, "Strategy")), 1);
  if (!wait_until (s, strategy_is, "least_misery", 5))
    g_error ("the strategy was not least_misery within 5 s");
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'strategy' AND value = 'least_misery'");

  /* the stock null PCM: a test sound on it, then the music */
  if (!wait_until (s, output_listed, "null", 5))
    g_error ("the output null was not listed within 5 s");
  /* its whole name, not cut short as the combo row's own label is */
  if (!wait_until (s, whole_label_drawn, "(null)", 5))
    g_error ("the chosen output's whole name was not shown within 5 s");
  scroll_to (s, find_named (window, "Audio output"));
  screenshot (s, "admin-output");
  press (s, "Play a test sound on this output");
  wait_text (s, "The test sound was played.", 10);
  press (s, "Play the music on this output");
  wait_text (s, "The music now plays on this output.", 5);
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'audio_pcm' AND value = 'null'");

  /* a new PIN, twice on the keypad: it unlocks, the old one no more */
  expand (s, "Change the PIN");
  if (!wait_until (s, drawn, sk_admin_system_get_keypad (system), 5))
    g_error ("the keypad for a new PIN was not shown within 5 s");
  type_pin (s, sk_admin_system_get_keypad (system), NEW_PIN, "Set the new PIN");
  wait_text (s, "Enter the same PIN again", 2);
  screenshot (s, "admin-pin-change");
  type_pin (s, sk_admin_system_get_keypad (system), NEW_PIN, "Set the new PIN");
  wait_text (s, "The PIN was changed.", 5);
  call_ok (&s->base, "Unlock", g_variant_new ("(ss)", "", NEW_PIN));
  assert_refused (&s->base, "Unlock", g_variant_new ("(ss)", "", APP_PIN), ERR "NotAllowed");

  /* diagnostics: the versions and the engine's own recent lines */
  expand (s, "Versions");
  expand (s, "Recent log");
  wait_text (s, "soundscaped: ", 5);
  wait_text (s, "admin PIN set", 5);
  {
    GtkWidget *log = find_text (window, "admin PIN set");
    GtkAdjustment *scroll = gtk_scrolled_window_get_vadjustment (
        GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (log, GTK_TYPE_SCROLLED_WINDOW)));

    /* what a manager scrolls down to */
    gtk_adjustment_set_value (scroll, gtk_adjustment_get_upper (scroll));
  }
  screenshot (s, "admin-diagnostics");
  press (s, "Lock the admin page");
  wait_page (s, "playing", 2);
  if (!wait_until (s, admin_unlocked, GINT_TO_POINTER (FALSE), 5))
    g_error ("Lock did not lock within 5 s");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  for (guint i = 0; i < N_SIZES; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/admin-page-%dx%d", sizes[i].width,
                                               sizes[i].height);

      g_test_add (path, Screen, &sizes[i], screen_setup, test_admin_page, screen_teardown);
    }
  return app_test_run ();
}
