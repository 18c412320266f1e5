/* test-kiosk-notices.c: what the listener screens say when the engine
 * refuses or overrules, driven for real (sk-app-test.h: how): the room's
 * veto skips the track and the banner says who voted it down; a badge
 * tapped more often than the engine allows, and a badge revoked by a
 * manager (SetBadgeRevoked), are told so in a sentence, not an error code,
 * read from as far as a welcome. At each size, screenshots.
 */
#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

#include "sk-app-test.h"
#include "sk-test-util.h"

/* What a person reads: words, no D-Bus error name or code. */
static void
assert_sentence (const char *text)
{
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), >, 10);
  g_assert_null (strstr (text, "org.soundscape"));
  g_assert_null (strstr (text, "GDBus"));
  g_assert_null (strstr (text, "Error"));
  g_assert_null (strstr (text, "throttled"));
}

/* The label of CSS class @css_class under @root, drawn or not, or NULL. */
static GtkWidget *
find_class (GtkWidget *root, const char *css_class)
{
  if (GTK_IS_LABEL (root) && gtk_widget_has_css_class (root, css_class))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_class (c, css_class);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The notice titled @title shown: its sentence, checked to be words. It
 * is read from as far as a welcome: its title as large as the greeting,
 * its sentence as the question under it, at each size (on a big screen
 * everything grows). */
static const char *
notice_sentence (Screen *s, const char *title)
{
  GtkWidget *label, *sentence, *greeting, *prompt;
  const char *text;

  wait_text (s, title, 2);
  label = find_text (GTK_WIDGET (s->window), title);
  g_assert_true (gtk_widget_has_css_class (label, "notice-title"));
  sentence = gtk_widget_get_next_sibling (label);
  g_assert_true (gtk_widget_has_css_class (sentence, "notice-text"));
  text = gtk_label_get_text (GTK_LABEL (sentence));
  g_test_message ("%s: %s", title, text);
  assert_sentence (text);
  g_assert_true (g_str_has_suffix (text, "."));
  greeting = find_class (GTK_WIDGET (s->window), "greeting");
  prompt = find_class (gtk_widget_get_parent (greeting), "prompt");
  g_test_message ("title %g px, greeting %g px; sentence %g px, question %g px", font_px (label),
                  font_px (greeting), font_px (sentence), font_px (prompt));
  g_assert_cmpfloat (font_px (label), ==, font_px (greeting));
  g_assert_cmpfloat (font_px (sentence), ==, font_px (prompt));
  return text;
}

/* What a manager does elsewhere (soundscape-ctl): unlock, @method, lock. */
static void
manager_call (Screen *s, const char *method, GVariant *args)
{
  unlock_admin (&s->base, APP_PIN);
  call_ok (&s->base, method, args);
  call_ok (&s->base, "Lock", NULL);
}

static void
vote_at_reader (Screen *s, const char *uid, const char *button)
{
  tap_reader (s, uid, "welcome");
  press (s, button);
}

static gboolean
banner_shown (Screen *s, gconstpointer data)
{
  GtkWidget *label = find_text (GTK_WIDGET (s->window), data);
  GtkWidget *revealer = label ? gtk_widget_get_ancestor (label, GTK_TYPE_REVEALER) : NULL;

  return revealer != NULL && gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
}

/* The banner @banner hides nothing the listener's page shows: not its
 * greeting, nor a vote button, Check out or Done. */
static void
assert_banner_clear (Screen *s, GtkWidget *banner)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  const char *names[] = { "Vote 1", "Vote 5", "Check out", "Done" };
  graphene_rect_t over, under;

  wait_frames (s, 2);
  g_assert_true (gtk_widget_compute_bounds (banner, window, &over));
  g_assert_true (gtk_widget_compute_bounds (find_text (window, "Welcome back"), window, &under));
  g_assert_false (graphene_rect_intersection (&over, &under, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (gtk_widget_compute_bounds (find_named (window, names[i]), window, &under));
      if (graphene_rect_intersection (&over, &under, NULL))
        g_error ("the banner hides %s", names[i]);
    }
}

/* Two listeners here, both rating the track 1: the engine's crowd veto
 * skips it, and the banner says that the two here voted it down, naming
 * the track, over none of the welcome's text and buttons. */
static void
test_veto (Screen *s, gconstpointer data)
{
  g_autofree char *title = NULL;
  g_autoptr (GVariant) playing = sk_dbus_kiosk1_dup_now_playing (s->base.kiosk);
  GtkWidget *banner;

  g_variant_get_child (playing, 1, "s", &title);
  vote_at_reader (s, RAIN_LOVER, "Vote 1");
  wait_text (s, "Thank you", 5);
  press (s, "Done");
  wait_page (s, "playing", 2);
  vote_at_reader (s, FIRE_KEEPER, "Vote 1");
  wait_text (s, "rated it 2 or lower", 5);
  banner = find_text (GTK_WIDGET (s->window), "rated it 2 or lower");
  if (!wait_until (s, banner_shown, "rated it 2 or lower", 2))
    g_error ("the banner was not shown within 2 s");
  g_test_message ("banner: %s", gtk_label_get_text (GTK_LABEL (banner)));
  assert_sentence (gtk_label_get_text (GTK_LABEL (banner)));
  /* who and what: the listeners here, and the track */
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (banner)), "2 of the 2 listeners here"));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (banner)), title));
  /* said once, not twice */
  g_assert_null (
      strstr (strstr (gtk_label_get_text (GTK_LABEL (banner)), "Skipped") + 1, "Skipped"));
  assert_banner_clear (s, banner);
  screenshot (s, "veto");
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes WHERE vote_value = 1"), ==, 2);
}

/* A badge tapped more often than tap_limit_per_minute: the third tap is
 * refused, and the screen says to wait, in words. */
static void
test_throttled (Screen *s, gconstpointer data)
{
  const char *text;

  manager_call (s, "SetSetting", g_variant_new ("(ss)", "tap_limit_per_minute", "2"));
  for (int i = 0; i < 2; i++)
    {
      tap_reader (s, RAIN_LOVER, "welcome");
      press (s, "Done");
      wait_page (s, "playing", 2);
    }
  tap_reader (s, RAIN_LOVER, "notice");
  text = notice_sentence (s, "One moment, please");
  g_assert_nonnull (strstr (text, "try again in"));
  g_assert_true (g_str_has_suffix (text, " seconds."));
  screenshot (s, "throttled");
}

/* A manager revokes a badge (SetBadgeRevoked): its tap is refused, and
 * the screen says so and what to do, in words. */
static void
test_revoked_badge (Screen *s, gconstpointer data)
{
  const char *text;

  manager_call (s, "SetBadgeRevoked", g_variant_new ("(sb)", BEACHCOMBER, TRUE));
  tap_reader (s, BEACHCOMBER, "notice");
  text = notice_sentence (s, "This badge cannot be used here");
  g_assert_nonnull (strstr (text, "ask a manager"));
  screenshot (s, "revoked-badge");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  for (guint i = 0; i < N_SIZES; i++)
    {
      const char *names[] = { "veto", "throttled", "revoked-badge" };
      void (*tests[]) (Screen *, gconstpointer) = { test_veto, test_throttled, test_revoked_badge };

      for (guint t = 0; t < G_N_ELEMENTS (names); t++)
        {
          g_autofree char *path = g_strdup_printf ("/app/notices/%s-%dx%d", names[t],
                                                   sizes[i].width, sizes[i].height);

          g_test_add (path, Screen, &sizes[i], screen_setup, tests[t], screen_teardown);
        }
    }
  return app_test_run ();
}
