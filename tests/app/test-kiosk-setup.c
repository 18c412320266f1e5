/* test-kiosk-setup.c: first boot, driven as a person would (sk-app-test.h:
 * how). An engine with no PIN shows the setup: the player's name typed on
 * the screen's keyboard, a PIN on the keypad twice, the test sound, a test
 * tap on the reader, and then what plays; the PIN and the name are the
 * engine's afterwards, and the setup does not come back.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-app-test.h"
#include "sk-setup.h"
#include "sk-test-util.h"

#define PLAYER "Nordbar"
#define PIN "1357"

static SkSetup *
find_setup (Screen *s)
{
  GtkWidget *entry = find_named (GTK_WIDGET (s->window), "The player's name");

  g_assert_nonnull (entry);
  return SK_SETUP (gtk_widget_get_ancestor (entry, SK_TYPE_SETUP));
}

static gboolean
step_is (Screen *s, gconstpointer step)
{
  return g_strcmp0 (sk_setup_get_step (find_setup (s)), step) == 0;
}

static void
wait_step (Screen *s, const char *step)
{
  if (!wait_until (s, step_is, step, 10))
    g_error ("the setup's step %s was not shown within 10 s (step %s)", step,
             sk_setup_get_step (find_setup (s)));
}

static void
type_pin (Screen *s, SkKeypad *keypad, const char *pin)
{
  for (const char *c = pin; *c; c++)
    {
      char digit[2] = { *c, 0 };

      click (s, sk_keypad_find_key (keypad, digit));
    }
  click (s, sk_keypad_find_key (keypad, "Set this PIN"));
}

static gboolean
pin_set (Screen *s, gconstpointer data)
{
  return sk_dbus_kiosk1_get_pin_set (s->base.kiosk);
}

static gboolean
player_named (Screen *s, gconstpointer name)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_player_name (s->base.kiosk), name) == 0;
}

static gboolean
admin_locked (Screen *s, gconstpointer data)
{
  return !sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk);
}

/* The whole setup at one size, with a screenshot of every step. */
static void
test_first_boot (Screen *s, gconstpointer data)
{
  SkSetup *setup = find_setup (s);
  GtkWidget *root = GTK_WIDGET (setup);
  SkKeypad *keypad = sk_setup_get_keypad (setup);
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;

  /* the name: the engine's own offered, replaced by the first key */
  wait_step (s, "name");
  wait_text (s, "What is this player called?", 2);
  g_assert_cmpstr (gtk_editable_get_text (sk_setup_get_entry (setup)), ==, "Kiosk");
  screenshot (s, "setup-name");
  /* the question right under the step's line, no band of nothing between */
  {
    graphene_rect_t step, question;

    g_assert_true (gtk_widget_compute_bounds (find_text (GTK_WIDGET (s->window), "step 1 of"),
                                              GTK_WIDGET (s->window), &step));
    g_assert_true (gtk_widget_compute_bounds (find_text (GTK_WIDGET (s->window),
                                                         "What is this player called?"),
                                              GTK_WIDGET (s->window), &question));
    g_assert_cmpfloat (question.origin.y - (step.origin.y + step.size.height), <=, 16);
    /* the step's line as far in from the top edge as from the left */
    g_assert_cmpfloat_with_epsilon (step.origin.y, step.origin.x, 1);
  }
  for (const char *c = PLAYER; *c; c++)
    {
      char key[2] = { *c, 0 };

      click (s, sk_keyboard_find_key (sk_setup_get_keyboard (setup), key));
    }
  g_assert_cmpstr (gtk_editable_get_text (sk_setup_get_entry (setup)), ==, PLAYER);
  press_in (s, root, "Use this name");

  /* the PIN, twice: two that differ start it over */
  wait_step (s, "pin");
  wait_text (s, "Choose a PIN", 2);
  screenshot (s, "setup-pin");
  type_pin (s, keypad, PIN);
  wait_text (s, "Enter the same PIN again", 2);
  type_pin (s, keypad, "1375");
  wait_text (s, "were not the same", 2);
  screenshot (s, "setup-pin-differ");
  g_assert_false (sk_dbus_kiosk1_get_pin_set (s->base.kiosk));
  type_pin (s, keypad, PIN);
  type_pin (s, keypad, PIN);

  /* set, and the name stored, before the sound is tried */
  wait_step (s, "sound");
  if (!wait_until (s, pin_set, NULL, 5))
    g_error ("PinSet was not true 5 s after the PIN was chosen");
  if (!wait_until (s, player_named, PLAYER, 5))
    g_error ("PlayerName was not %s 5 s after the PIN was chosen", PLAYER);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM players WHERE name = '" PLAYER "'"), ==, 1);
  screenshot (s, "setup-sound");
  press_in (s, root, "Play the test sound");
  wait_text (s, "Did you hear it?", 10);
  screenshot (s, "setup-heard");
  press_in (s, root, "No, I heard nothing");
  wait_text (s, "Check that the speakers", 2);
  press_in (s, root, "Yes, I heard it");

  /* the reader's status, and a tap read: the setup stays */
  wait_step (s, "tap");
  wait_text (s, "The reader is ready", 10);
  answer = sk_pn532_fixture_command (s->base.reader, &error, "present classic4 %s", NEW_BADGE);
  g_assert_no_error (error);
  wait_text (s, "the reader works", 5);
  g_free (sk_pn532_fixture_command (s->base.reader, &error, "remove"));
  g_assert_no_error (error);
  g_assert_true (page_is (s, "setup"));
  screenshot (s, "setup-tap");
  press_in (s, root, "Continue");

  wait_step (s, "done");
  screenshot (s, "setup-done");
  press_in (s, root, "Finish the setup");
  if (!wait_until (s, now_playing_shown, NULL, 10))
    g_error ("what plays was not shown within 10 s of the setup's end");
  if (!wait_until (s, admin_locked, NULL, 5))
    g_error ("the admin page was still unlocked 5 s after the setup");
  screenshot (s, "setup-then-playing");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_text (GTK_WIDGET (s->window), PLAYER))), ==,
                   PLAYER);
  /* the PIN chosen is the one that opens the admin page */
  call_ok (&s->base, "Unlock", g_variant_new ("(ss)", "", PIN));
  call_ok (&s->base, "Lock", NULL);

  /* done once: the engine started again shows what plays */
  stop_engine (s);
  wait_page (s, "reconnecting", 5);
  start_engine (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back to what plays within 20 s");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  for (guint i = 0; i < N_SIZES; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/first-boot-%dx%d", sizes[i].width,
                                               sizes[i].height);

      g_test_add (path, Screen, &sizes[i], screen_setup_first_boot, test_first_boot,
                  screen_teardown);
    }
  return app_test_run ();
}
