/* test-kiosk-admin-listeners.c: the admin page's listeners and badges,
 * driven as a person would (sk-app-test.h: how): a listener renamed on
 * the screen's keyboard (seen in the database); a badge revoked, whose
 * tap is then refused with a sentence; a listener made a manager, whose
 * badge then unlocks the admin page; a new badge enrolled by a tap on
 * the reader while the page says to tap it. At each size, screenshots;
 * the rename panel's Save in view without scrolling by hand.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-admin-listeners.h"
#include "sk-admin.h"
#include "sk-app-test.h"
#include "sk-test-util.h"

static SkAdminListeners *
find_listeners (Screen *s)
{
  GtkWidget *list = find_named (GTK_WIDGET (s->window), "Listeners");

  g_assert_nonnull (list);
  return SK_ADMIN_LISTENERS (gtk_widget_get_ancestor (list, SK_TYPE_ADMIN_LISTENERS));
}

/* The listener's row opened, once the engine's list shows it. */
static void
open_row (Screen *s, const char *name)
{
  g_autofree char *title = g_strdup_printf ("%s", name);

  wait_text (s, name, 5);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (find_named_type (GTK_WIDGET (find_listeners (s)),
                                                                    title, ADW_TYPE_EXPANDER_ROW)),
                                 TRUE);
}

static gboolean
admin_unlocked (Screen *s, gconstpointer data)
{
  return sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk);
}

static void
test_listeners (Screen *s, gconstpointer data)
{
  SkAdminListeners *listeners;
  g_autoptr (GError) error = NULL;

  open_admin_page (s);
  listeners = find_listeners (s);
  wait_text (s, "Rain Lover", 5);
  scroll_to (s, GTK_WIDGET (listeners));
  screenshot (s, "admin-listeners");

  /* a new name typed on the screen's keyboard; the page seen where the
   * Rename button was, and left to scroll by itself: Save is in view */
  open_row (s, "Rain Lover");
  scroll_to (s, find_named (GTK_WIDGET (listeners), "Rename Rain Lover"));
  press_in (s, GTK_WIDGET (listeners), "Rename Rain Lover");
  type_keys (s, sk_admin_listeners_get_rename_keyboard (listeners), "Rita");
  if (!wait_until (s, in_view, find_named (GTK_WIDGET (listeners), "Save the new name"), 5))
    g_error ("the rename panel's Save was not in view within 5 s");
  g_assert_true (in_view (s, find_named (GTK_WIDGET (listeners), "Keep the old name")));
  g_assert_true (in_view (s, find_named (GTK_WIDGET (listeners), "The new name")));
  /* and the keyboard whole, down to its bottom row */
  if (!keyboard_in_view (s, sk_admin_listeners_get_rename_keyboard (listeners)))
    g_error ("the rename keyboard's bottom row is not whole in view");
  screenshot (s, "admin-listeners-rename");
  press_in (s, GTK_WIDGET (listeners), "Save the new name");
  wait_row (s, "SELECT count(*) FROM profiles WHERE display_name = 'Rita'");
  wait_text (s, "Rita", 5);
  wait_text (s, "Fire Keeper", 5);

  /* Fire Keeper's badge revoked; Beachcomber a manager */
  open_row (s, "Fire Keeper");
  press_in (s, GTK_WIDGET (listeners), "Revoke the badge 04:F1:E2:D3");
  wait_row (s, "SELECT count(*) FROM badges WHERE uid = '" FIRE_KEEPER "' "
               "AND revoked_at IS NOT NULL");
  wait_text (s, "1 revoked", 5);
  open_row (s, "Beachcomber");
  {
    GtkWidget *manager = find_named_type (GTK_WIDGET (listeners), "Manager: Beachcomber",
                                          GTK_TYPE_SWITCH);

    g_assert_nonnull (manager);
    g_assert_false (gtk_switch_get_active (GTK_SWITCH (manager)));
    g_assert_true (gtk_widget_activate (manager));
  }
  wait_row (s, "SELECT count(*) FROM roles r JOIN profiles p ON p.id = r.user_id "
               "WHERE p.display_name = 'Beachcomber' AND r.role = 'manager'");

  /* a new badge enrolled by its tap on the reader */
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (
                                     find_named (GTK_WIDGET (listeners), "Enrol a new badge")),
                                 TRUE);
  type_keys (s, sk_admin_listeners_get_enrol_keyboard (listeners), "Noor");
  press_in (s, GTK_WIDGET (listeners), "Enrol by tap");
  wait_text (s, "Tap the new badge now", 5);
  scroll_to (s, find_named (GTK_WIDGET (listeners), "Enrol a new badge"));
  screenshot (s, "admin-listeners-enrol");
  g_free (sk_pn532_fixture_command (s->base.reader, &error, "present classic4 %s", NEW_BADGE));
  g_assert_no_error (error);
  wait_text (s, "Noor's", 5);
  g_free (sk_pn532_fixture_command (s->base.reader, &error, "remove"));
  g_assert_no_error (error);
  wait_row (s, "SELECT count(*) FROM badges b JOIN profiles p ON p.id = b.user_id "
               "WHERE b.uid = '" NEW_BADGE "' AND p.display_name = 'Noor'");
  g_assert_cmpstr (sk_window_get_page (s->window), ==, "admin");

  /* locked: the revoked badge is refused in a sentence, the manager's opens */
  press (s, "Lock the admin page");
  wait_page (s, "playing", 5);
  tap_reader (s, FIRE_KEEPER, "notice");
  wait_text (s, "This badge cannot be used here", 2);
  screenshot (s, "admin-listeners-revoked-tap");
  tap_reader (s, BEACHCOMBER, "welcome");
  press (s, "Admin page");
  if (!wait_until (s, admin_unlocked, NULL, 5))
    g_error ("Beachcomber's badge did not unlock the admin page within 5 s");
  wait_page (s, "admin", 2);
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  add_at_each_size ("admin-listeners", test_listeners);
  return app_test_run ();
}
