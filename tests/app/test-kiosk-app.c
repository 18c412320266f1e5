/* test-kiosk-app.c: the kiosk's screen, driven as a person would: what
 * plays, a listener's welcome and vote, joining, reconnecting, a refused
 * badge, the admin PIN, the reader's edge, dimming, German, and the names
 * of the buttons (sk-app-test.h: how).
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <sqlite3.h>

#include "sk-app-test.h"
#include "sk-join.h"
#include "sk-test-util.h"

/* --- tests ------------------------------------------------------------------ */

/* Why the track plays, @why, drawn whole on now playing (not cut short
 * by its ellipsis) once laid out: a page just shown may take a frame or
 * two to choose its layout for the window's size, so the wait is for the
 * settled layout, within 5 s. */
static void
assert_why_whole (Screen *s, const char *why)
{
  wait_text (s, why, 2);
  g_assert_true (gtk_widget_has_css_class (find_text (GTK_WIDGET (s->window), why), "track-why"));
  if (!wait_until (s, screen_settled, NULL, 5) || !wait_until (s, text_whole, why, 5))
    g_error ("“%s” was still shortened with “…” after 5 s", why);
}

/* The header's last initials, @name's, as far in from the window's right
 * edge as the player's name from its left edge (the header's first child),
 * on a listener's page, where no admin button ends the header. */
static void
assert_header_even (Screen *s, const char *name)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  GtkWidget *initials = find_named (window, name);
  GtkWidget *header = gtk_widget_get_parent (gtk_widget_get_parent (initials));
  graphene_rect_t first, last;

  wait_frames (s, 2);
  g_assert_true (gtk_widget_compute_bounds (gtk_widget_get_first_child (header), window, &first));
  g_assert_true (gtk_widget_compute_bounds (initials, window, &last));
  g_assert_cmpfloat_with_epsilon (gtk_widget_get_width (window) - (last.origin.x + last.size.width),
                                  first.origin.x, 1);
}

/* The vote scale's ends, @low and @high, read from two metres: 22 px at
 * least, 28 px on a big screen (style.css, window.large). */
static void
assert_scale_readable (Screen *s, const char *low, const char *high)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  double least = gtk_widget_has_css_class (window, "large") ? 28 : 22;

  g_assert_cmpfloat (font_px (find_text (window, low)), >=, least);
  g_assert_cmpfloat (font_px (find_text (window, high)), >=, least);
}

/* Now playing shows the title, why it plays, the next three, the listeners; a tap on
 * the reader greets the listener by name with five vote buttons and a
 * countdown; "Vote 4" is stored once and answered; back on now playing,
 * why the track plays is still true (it does not say that nobody is
 * checked in); the queue on screen follows the engine's; an unknown badge
 * joins with a name typed on the screen's keyboard and is then present.
 * The welcome's header as far in on the right as on the left; its vote
 * scale's ends readable. At each size, every screen written as a PNG. */
static void
test_listener_screens (Screen *s, gconstpointer data)
{
  SkJoin *join;
  SkKeyboard *keyboard;
  const char *name = "Ana";

  /* why the track plays, the engine's sentence, from the start: the
   * track started before the screen connected */
  assert_why_whole (s, SK_TEST_WHY_NOBODY);
  screenshot (s, "now-playing");
  wait_text (s, "Nobody checked in", 2);

  tap_reader (s, RAIN_LOVER, "welcome");
  wait_text (s, "Welcome back, Rain Lover", 2);
  wait_text (s, "seconds to vote", 2);
  wait_text (s, "1 listener here", 2);
  assert_header_even (s, "Rain Lover");
  assert_scale_readable (s, "1 = not for me", "5 = love it");
  screenshot (s, "welcome");
  press (s, "Vote 4");
  wait_text (s, "Thank you", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes WHERE vote_value = 4"), ==, 1);
  screenshot (s, "voted");
  wait_text (s, "1 listener here", 2);
  press (s, "Done");
  wait_page (s, "playing", 2);
  /* the track's sentence, kept since it started, with a listener here */
  {
    g_autofree char *why = sk_dbus_kiosk1_dup_now_playing_why (s->base.kiosk);

    assert_why_whole (s, why);
  }
  g_assert_null (find_text (GTK_WIDGET (s->window), "Nobody is"));
  screenshot (s, "now-playing-listener");

  /* a second tap of the same listener on the same play: already rated */
  tap_reader (s, RAIN_LOVER, "welcome");
  press (s, "Vote 2");
  wait_text (s, "already", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes"), ==, 1);
  screenshot (s, "already-rated");
  press (s, "Done");
  wait_page (s, "playing", 2);

  tap_reader (s, NEW_BADGE, "join");
  wait_text (s, "A new badge", 2);
  screenshot (s, "join");
  press (s, "Join");
  wait_text (s, "Your name on this screen", 2);
  screenshot (s, "join-keyboard");
  /* the offered name is selected: the first key replaces it */
  join = SK_JOIN (
      gtk_widget_get_ancestor (find_named (GTK_WIDGET (s->window), "Your name"), SK_TYPE_JOIN));
  g_assert_cmpuint (strlen (gtk_editable_get_text (sk_join_get_entry (join))), >, 3);
  keyboard = sk_join_get_keyboard (join);
  type_keys (s, keyboard, name);
  g_assert_cmpstr (gtk_editable_get_text (sk_join_get_entry (join)), ==, name);
  screenshot (s, "join-typed");
  press (s, "Join with this name");
  wait_text (s, "Welcome, Ana!", 5);
  wait_text (s, "2 listeners here", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM profiles WHERE display_name = 'Ana'"), ==,
                   1);
  press (s, "Check out");
  wait_text (s, "checked out", 5);
  wait_text (s, "1 listener here", 5);
  press (s, "Done");
  wait_page (s, "playing", 2);
  screenshot (s, "present");
}

/* The next tracks drawn under @widget. */
static guint
count_next_items (GtkWidget *widget)
{
  guint n = GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "next-item") &&
                    gtk_widget_is_drawable (widget) &&
                    *gtk_label_get_text (GTK_LABEL (widget)) != '\0'
                ? 1
                : 0;

  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    n += count_next_items (c);
  return n;
}

/* Titles too long for two lines, the next three as long: what plays
 * keeps the whole title (three lines, a size or two smaller), the times and all
 * three next tracks on the screen (screenshot() fails on anything cut off
 * or shortened with "…"; the next three may be shortened, by design). The
 * titles are changed in the engine's database while it is stopped; it
 * reads them when it starts again. */
static void
test_long_titles (Screen *s, gconstpointer data)
{
  GtkWidget *title;

  stop_engine (s);
  sk_test_file_exec (s->base.db, "UPDATE songs SET title = "
                                 "title || ' over the Harbour, Long and Slow at Night'");
  start_engine (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back within 20 s");
  wait_text (s, "over the Harbour, Long and Slow", 5);
  title = find_text (GTK_WIDGET (s->window), "over the Harbour, Long and Slow");
  g_assert_true (gtk_widget_has_css_class (title, "track-title"));
  screenshot (s, "now-playing-long-title");
  g_assert_true (gtk_widget_has_css_class (title, "long-title") ||
                 gtk_widget_has_css_class (title, "very-long-title"));
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (title))), ==, 3);
  g_assert_cmpuint (count_next_items (GTK_WIDGET (s->window)), ==, 3);
}

/* Whether the header claims who is here: a count or initials drawn. */
static gboolean
header_counts (Screen *s)
{
  GtkWidget *initials = find_named (GTK_WIDGET (s->window), "Rain Lover");

  return find_text (GTK_WIDGET (s->window), "listener here") != NULL ||
         find_text (GTK_WIDGET (s->window), "listeners here") != NULL ||
         find_text (GTK_WIDGET (s->window), "Nobody checked in") != NULL ||
         (initials != NULL && gtk_widget_is_drawable (initials));
}

/* With a listener here, the engine killed: "Reconnecting…" at once, and
 * the header no longer says who is here (it does not know); started
 * again on the same database, where the listener's session has meanwhile
 * ended: what plays, by itself, and the header's true count. */
static void
test_reconnect (Screen *s, gconstpointer data)
{
  tap_reader (s, RAIN_LOVER, "welcome");
  press (s, "Done");
  wait_page (s, "playing", 2);
  wait_text (s, "1 listener here", 5);
  g_assert_true (header_counts (s));
  stop_engine (s);
  wait_page (s, "reconnecting", 5);
  wait_text (s, "Reconnecting", 1);
  g_assert_false (header_counts (s));
  screenshot (s, "reconnecting");
  sk_test_file_exec (s->base.db, "UPDATE sessions SET status = 'inactive'");
  start_engine (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back within 20 s");
  wait_text (s, "Nobody checked in", 5);
  g_assert_null (find_text (GTK_WIDGET (s->window), "listener here"));
}

/* Each page the window draws, once, in order (a frame's tick). */
static gboolean
on_frame (GtkWidget *window, GdkFrameClock *clock, gpointer data)
{
  GString *seen = data;
  const char *page = sk_window_get_page (SK_WINDOW (window));
  const char *last = strrchr (seen->str, ' ');

  if (last == NULL || strcmp (last + 1, page) != 0)
    g_string_append_printf (seen, " %s", page);
  return G_SOURCE_CONTINUE;
}

/* A new window on the bus (the one before, if any, closed), its pages
 * recorded into @seen from its first frame on; returns the tick to remove. */
static guint
open_watched (Screen *s, gconstpointer data, GString *seen)
{
  if (s->window != NULL)
    gtk_window_destroy (GTK_WINDOW (s->window));
  g_clear_object (&s->window);
  g_clear_object (&s->client);
  g_string_truncate (seen, 0);
  screen_open_window (s, data);
  g_assert_cmpstr (sk_window_get_page (s->window), ==, "starting");
  return gtk_widget_add_tick_callback (GTK_WIDGET (s->window), on_frame, seen, NULL);
}

/* Waits for the first page @last, then checks that the pages drawn were the
 * neutral one and @last: the engine (or its absence) may be known before
 * the first frame, and then the neutral page is never drawn, which is no
 * fault; anything else drawn between would be. */
static void
end_watched (Screen *s, GString *seen, guint tick, const char *last)
{
  g_autofree char *alone = g_strdup_printf (" %s", last);
  g_autofree char *after = g_strdup_printf (" starting %s", last);

  if (!wait_until (s, page_is, last, 20))
    g_error ("the window did not show \"%s\" within 20 s (pages:%s)", last, seen->str);
  wait_frames (s, 2);
  gtk_widget_remove_tick_callback (GTK_WIDGET (s->window), tick);
  if (g_strcmp0 (seen->str, alone) != 0)
    g_assert_cmpstr (seen->str, ==, after);
}

/* The start: a neutral page until the engine's state arrives, then what
 * plays, with no "Reconnecting…" drawn between; with no engine, that
 * neutral page, then "Reconnecting…" after a moment (the engine gone). */
static void
test_start (Screen *s, gconstpointer data)
{
  g_autoptr (GString) seen = g_string_new (NULL);
  guint tick;

  fixture_setup (&s->base, NULL);
  start_engine (s);
  call_ok (&s->base, "SetPin", g_variant_new ("(s)", APP_PIN));
  tick = open_watched (s, data, seen);
  end_watched (s, seen, tick, "playing");

  /* an engine on the bus that is slow to answer (stopped for a while, as
   * on a loaded machine) is not gone: the start stays neutral */
  g_subprocess_send_signal (s->base.daemon, SIGSTOP);
  tick = open_watched (s, data, seen);
  linger (s, 3);
  g_subprocess_send_signal (s->base.daemon, SIGCONT);
  g_assert_cmpstr (sk_window_get_page (s->window), ==, "starting");
  end_watched (s, seen, tick, "playing");

  /* no engine at the start */
  stop_engine (s);
  tick = open_watched (s, data, seen);
  end_watched (s, seen, tick, "reconnecting");
  wait_text (s, "Reconnecting", 1);
  /* and back by itself when it comes */
  start_engine (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back within 20 s");
}

/* A tap made elsewhere, as from another terminal of the demo
 * (soundscape-ctl tap UID --session, the real program on the test's bus):
 * the welcome has the five vote buttons and the countdown, as for a tap on
 * the reader, and a vote made with one of them is recorded for that
 * listener. */
static void
test_tap_elsewhere (Screen *s, gconstpointer data)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (run_ctl (&s->base, &out, "tap", FIRE_KEEPER, "--session", NULL), ==, 0);
  wait_page (s, "welcome", 5);
  wait_text (s, "Welcome back, Fire Keeper", 2);
  wait_text (s, "seconds to vote", 2);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("Vote %d", i);
      GtkWidget *vote = find_named_type (GTK_WIDGET (s->window), name, GTK_TYPE_BUTTON);

      g_assert_nonnull (vote);
      g_assert_true (gtk_widget_is_drawable (vote));
      g_assert_true (gtk_widget_is_sensitive (vote));
    }
  screenshot (s, "welcome-tapped-elsewhere");
  press (s, "Vote 5");
  wait_text (s, "Thank you", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes JOIN profiles "
                                  "ON profiles.id = votes.user_id WHERE vote_value = 5 "
                                  "AND display_name = 'Fire Keeper'"),
                   ==, 1);
}

/* On a kiosk (the engine with no demo), a tap made elsewhere (its ticket
 * is that client's) greets the listener and asks for the reader to vote:
 * no vote button shows, nor the scale of the votes. */
static void
test_tap_elsewhere_kiosk (Screen *s, gconstpointer data)
{
  g_autofree char *out = NULL;

  stop_engine (s);
  start_engine_plain (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back within 20 s");
  g_assert_cmpint (run_ctl (&s->base, &out, "tap", FIRE_KEEPER, "--session", NULL), ==, 0);
  wait_page (s, "welcome", 5);
  wait_text (s, "Welcome back, Fire Keeper", 2);
  wait_text (s, "Tap your badge on the reader to rate this track.", 2);
  g_assert_false (gtk_widget_is_drawable (find_named (GTK_WIDGET (s->window), "Vote 4")));
  g_assert_null (find_text (GTK_WIDGET (s->window), "love it"));
  screenshot (s, "welcome-without-ticket");
}

/* A revoked badge is told so in a sentence, not a code. */
static void
test_revoked (Screen *s, gconstpointer data)
{
  sk_test_file_exec (s->base.db, "UPDATE badges SET revoked_at = '2026-01-02T03:04:05.000Z' "
                                 "WHERE uid = '" RAIN_LOVER "'");
  tap_reader (s, RAIN_LOVER, "notice");
  wait_text (s, "This badge cannot be used here", 2);
  wait_text (s, "revoked on 2026-01-02", 2);
  screenshot (s, "revoked");
}

static void
type_pin (Screen *s, const char *pin)
{
  for (const char *c = pin; *c; c++)
    {
      char digit[2] = { *c, 0 };

      press (s, digit);
    }
  press (s, "Unlock");
}

static gboolean
admin_unlocked (Screen *s, gconstpointer want)
{
  return sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk) == GPOINTER_TO_INT (want);
}

/* The PIN pad's middle key, "5", centred on the screen under the prompt
 * (Cancel beside the pad does not push it aside). */
static void
assert_keypad_centred (Screen *s)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  GtkWidget *prompt = find_text (window, "Enter the PIN");
  graphene_rect_t key;

  wait_frames (s, 2);
  g_assert_true (
      gtk_widget_compute_bounds (find_named (gtk_widget_get_parent (prompt), "5"), window, &key));
  g_assert_cmpfloat_with_epsilon (key.origin.x + key.size.width / 2,
                                  gtk_widget_get_width (window) / 2.0, 1);
}

/* The admin page behind the PIN pad the screen draws (centred under its
 * prompt): five wrong PINs lock PIN entry (the engine's sentence says
 * until when, the right PIN is refused then), and a manager's badge
 * still opens it; "Lock" locks it again and goes back to what plays. */
static void
test_admin (Screen *s, gconstpointer data)
{
  press (s, "Admin");
  wait_page (s, "admin", 2);
  wait_text (s, "Enter the PIN", 2);
  type_pin (s, "1111");
  wait_text (s, "Wrong PIN", 5);
  assert_keypad_centred (s);
  screenshot (s, "admin-pin");
  for (int i = 0; i < 4; i++)
    type_pin (s, "1111");
  wait_text (s, "PIN entry is locked until", 5);
  screenshot (s, "admin-pin-locked");
  type_pin (s, APP_PIN);
  linger (s, 1);
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk));
  press (s, "Cancel");
  wait_page (s, "playing", 2);

  tap_reader (s, MIA_MANAGER, "welcome");
  wait_text (s, "Welcome back, Mia Manager", 2);
  press (s, "Admin page");
  wait_text (s, "Playback", 5);
  if (!wait_until (s, admin_unlocked, GINT_TO_POINTER (TRUE), 5))
    g_error ("the manager's badge did not unlock within 5 s");
  screenshot (s, "admin");
  press (s, "Lock the admin page");
  wait_page (s, "playing", 2);
  if (!wait_until (s, admin_unlocked, GINT_TO_POINTER (FALSE), 5))
    g_error ("Lock did not lock within 5 s");
}

/* The hint to tap sits at the edge the reader is at: the left one here,
 * beside what plays, halfway down. */
static void
test_reader_edge (Screen *s, gconstpointer data)
{
  GtkWidget *label = find_text (GTK_WIDGET (s->window), _ ("Tap your badge here"));
  GtkWidget *title = find_text (GTK_WIDGET (s->window), _ ("Up next"));
  graphene_rect_t hint, next;

  g_assert_nonnull (label);
  g_assert_nonnull (title);
  sk_window_set_reader_edge (s->window, GTK_POS_LEFT);
  screenshot (s, "reader-left");
  g_assert_true (
      gtk_widget_compute_bounds (gtk_widget_get_parent (label), GTK_WIDGET (s->window), &hint));
  g_assert_true (gtk_widget_compute_bounds (title, GTK_WIDGET (s->window), &next));
  g_assert_cmpfloat (hint.origin.x, ==, 0);
  g_assert_cmpfloat (hint.origin.x + hint.size.width, <=, next.origin.x);
  g_assert_cmpfloat (fabs (hint.origin.y + hint.size.height / 2 - s->size.height / 2.0), <, 2);
}

/* Idle dims the screen; a tap wakes it; the music is the engine's and
 * goes on. */
static void
test_dim (Screen *s, gconstpointer data)
{
  sk_window_set_dim_seconds (s->window, 1);
  g_assert_false (sk_window_get_dimmed (s->window));
  linger (s, 2);
  g_assert_true (sk_window_get_dimmed (s->window));
  screenshot (s, "dimmed");
  tap_reader (s, RAIN_LOVER, "welcome");
  g_assert_false (sk_window_get_dimmed (s->window));
}

/* The welcome in German, its vote scale's ends readable, written as a
 * PNG (within the screen: screenshot). */
static void
german_welcome (Screen *s)
{
  tap_reader (s, RAIN_LOVER, "welcome");
  wait_text (s, "Willkommen zurück, Rain Lover", 2);
  wait_text (s, "Sekunden zum Bewerten", 2);
  assert_scale_readable (s, "1 = nichts für mich", "5 = großartig");
  screenshot (s, "de-welcome");
}

/* Under a German locale (LC_ALL=de_DE.UTF-8, made by the parent test):
 * the screens speak German, the buttons are named in German. Run only as
 * /app/german's subprocess. */
static void
test_german_screens (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;

  if (!screen_setup_in_german (s, data, "/app/german"))
    return;
  wait_text (s, "Als Nächstes", 2);
  wait_text (s, "Niemand angemeldet", 2);
  /* the engine's sentence too: it speaks the locale it was started in */
  assert_why_whole (s, "Der Geschmack des Hauses, da niemand angemeldet war");
  screenshot (s, "de-now-playing");
  german_welcome (s);
  press (s, "Bewertung 4");
  wait_text (s, "Danke!", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes WHERE vote_value = 4"), ==, 1);
  press (s, "Fertig");
  tap_reader (s, NEW_BADGE, "join");
  press (s, "Mitmachen");
  wait_text (s, "Dein Name auf diesem Bildschirm", 2);
  screenshot (s, "de-join-keyboard");
  /* the German keyboard: QWERTZ, with umlauts (capitals: the first
   * letter of a name) */
  g_assert_nonnull (find_named (GTK_WIDGET (s->window), "Ü"));
  screen_teardown (s, data);
}

/* Under a German locale (made by /app/german): the welcome at the sizes
 * /app/german/screens does not cover, its words longer than English's. */
static void
test_german_welcome (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;

  if (!screen_setup_in_german (s, data, "/app/german"))
    return;
  german_welcome (s);
  screen_teardown (s, data);
}

/* The screens in German: the test's own program run again in a German
 * locale; the welcome also at the other two sizes. */
static void
test_german (void)
{
  run_in_german ("/app/german/screens");
  run_in_german ("/app/german/welcome-1280x800");
  run_in_german ("/app/german/welcome-480x800");
}

static void
check_names (GtkWidget *widget, guint *n_buttons)
{
  if (GTK_IS_BUTTON (widget))
    {
      g_autofree char *empty = NULL;

      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                             GTK_ACCESSIBLE_PROPERTY_LABEL))
        g_error ("a button (%s “%s”) has no accessible name", G_OBJECT_TYPE_NAME (widget),
                 gtk_button_get_label (GTK_BUTTON (widget)));
      empty = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                  GTK_ACCESSIBLE_PROPERTY_LABEL, "");
      g_assert_nonnull (empty);
      (*n_buttons)++;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    check_names (c, n_buttons);
}

/* Every button of every page, shown or not, has a name for a screen
 * reader. */
static void
test_accessible_names (Screen *s, gconstpointer data)
{
  guint n = 0;

  check_names (GTK_WIDGET (s->window), &n);
  g_test_message ("%u buttons named", n);
  g_assert_cmpuint (n, >, 30);
}

/* --- main -------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  add_at_each_size ("listener-screens", test_listener_screens);
  add_at_each_size ("long-titles", test_long_titles);
  add_at_each_size ("reconnect", test_reconnect);
  add_at_each_size ("tap-elsewhere", test_tap_elsewhere);
  g_test_add ("/app/start", Screen, &sizes[0], NULL, test_start, screen_teardown);
  g_test_add ("/app/tap-elsewhere-kiosk", Screen, &sizes[0], screen_setup, test_tap_elsewhere_kiosk,
              screen_teardown);
  g_test_add ("/app/revoked", Screen, &sizes[0], screen_setup, test_revoked, screen_teardown);
  g_test_add ("/app/admin", Screen, &sizes[0], screen_setup, test_admin, screen_teardown);
  g_test_add ("/app/reader-edge", Screen, &sizes[0], screen_setup, test_reader_edge,
              screen_teardown);
  g_test_add ("/app/dim", Screen, &sizes[0], screen_setup, test_dim, screen_teardown);
  g_test_add ("/app/accessible-names", Screen, &sizes[0], screen_setup, test_accessible_names,
              screen_teardown);
  g_test_add_func ("/app/german", test_german);
  g_test_add_data_func ("/app/german/screens", &sizes[0], test_german_screens);
  g_test_add_data_func ("/app/german/welcome-1280x800", &sizes[1], test_german_welcome);
  g_test_add_data_func ("/app/german/welcome-480x800", &sizes[2], test_german_welcome);
  return app_test_run ();
}
