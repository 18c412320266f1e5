/* test-kiosk-app.c: the kiosk's screen, driven as a person would.
 *
 * One Xvfb for the run (its display number chosen by Xvfb itself); for
 * each test a private dbus-daemon (GTestDBus), the real soundscaped on it
 * with --session, a fresh database, the demo library, the paced test PCM
 * in real time and the PN532 fixture as its badge reader; and the real
 * window of soundscape-kiosk (SkWindow, the same type the application
 * makes) in this process, with the real GTK on the X server. Badges are
 * tapped on the fixture; buttons are found by their accessible name (the
 * GTK_A11Y=test context) and activated; what a person would read is found
 * among the labels drawn. Every screen is written as a PNG into the build
 * directory (screenshots/NAME-WIDTHxHEIGHT.png). Every wait is bounded;
 * only the processes started here are stopped, by pid.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <sqlite3.h>

#include "sk-application.h"
#include "sk-dbus-fixture.h"
#include "sk-join.h"
#include "sk-kiosk-client.h"
#include "sk-paced.h"
#include "sk-test-util.h"
#include "sk-window.h"

static GSubprocess *xvfb;

typedef struct
{
  int width, height;
} Size;

static const Size sizes[] = { { 800, 480 }, { 1280, 800 }, { 480, 800 } };

/* The bus, the engine and the reader (sk-dbus-fixture.h), and the
 * screen on them. */
typedef struct
{
  Fixture base;
  SkKioskClient *client;
  SkWindow *window;
  Size size;
} Screen;

/* --- waiting --------------------------------------------------------------- */

typedef gboolean (*Condition) (Screen *s, gconstpointer data);

typedef struct
{
  Condition done;
  gconstpointer data;
} Wait;

/* spin_until's condition: the Fixture is the Screen's first member */
static gboolean
wait_done (Fixture *f, gconstpointer data)
{
  const Wait *w = data;

  return w->done ((Screen *) f, w->data);
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main context until @done or @seconds (stretched by
 * SK_TEST_TIME_FACTOR) pass; a tick polls @done while nothing happens. */
static gboolean
wait_until (Screen *s, Condition done, gconstpointer data, guint seconds)
{
  Wait w = { done, data };
  guint tick = g_timeout_add (20, on_tick, NULL);
  gboolean ok = spin_until (wait_done, &s->base, &w,
                            MAX (1, sk_test_scale_ms (seconds * 1000) / 1000));

  g_source_remove (tick);
  return ok;
}

static gboolean
never (Screen *s, gconstpointer data)
{
  return FALSE;
}

/* Lets the main context run for @seconds. */
static void
linger (Screen *s, guint seconds)
{
  wait_until (s, never, NULL, seconds);
}

/* --- what a person sees ---------------------------------------------------- */

/* The widget of @type under @root whose accessible name is @name, drawn
 * or not. */
static GtkWidget *
find_named_type (GtkWidget *root, const char *name, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      gtk_test_accessible_has_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL))
    {
      g_autofree char *diff = gtk_test_accessible_check_property (GTK_ACCESSIBLE (root),
                                                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                                  name);

      if (diff == NULL)
        return root;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named_type (c, name, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  return find_named_type (root, name, GTK_TYPE_WIDGET);
}

/* A label drawn on the screen now whose text holds @text. */
static GtkWidget *
find_text (GtkWidget *root, const char *text)
{
  if (!gtk_widget_is_drawable (root))
    return NULL;
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_text (c, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
text_shown (Screen *s, gconstpointer text)
{
  return find_text (GTK_WIDGET (s->window), text) != NULL;
}

static void
wait_text (Screen *s, const char *text, guint seconds)
{
  if (!wait_until (s, text_shown, text, seconds))
    g_error ("“%s” was not shown within %u s (page %s)", text, seconds,
             sk_window_get_page (s->window));
}

static gboolean
page_is (Screen *s, gconstpointer page)
{
  return g_strcmp0 (sk_window_get_page (s->window), page) == 0;
}

static void
wait_page (Screen *s, const char *page, guint seconds)
{
  if (!wait_until (s, page_is, page, seconds))
    g_error ("the page %s was not shown within %u s (page %s)", page, seconds,
             sk_window_get_page (s->window));
}

static void
on_clicked (GtkButton *button, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (Screen *s, gconstpointer data)
{
  return *(const gboolean *) data;
}

/* Activates @button as a screen reader's "click" does, and waits for the
 * click (GTK shows the press for a moment first). */
static void
click (Screen *s, GtkWidget *button)
{
  gboolean clicked = FALSE;
  gulong handler = g_signal_connect (button, "clicked", G_CALLBACK (on_clicked), &clicked);

  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
  if (!wait_until (s, flag_set, &clicked, 2))
    g_error ("the button was not clicked within 2 s");
  g_signal_handler_disconnect (button, handler);
}

/* Presses the button a screen reader calls @name. */
static void
press (Screen *s, const char *name)
{
  GtkWidget *button = find_named_type (GTK_WIDGET (s->window), name, GTK_TYPE_BUTTON);

  if (button == NULL)
    g_error ("no button named “%s”", name);
  click (s, button);
}

/* Names the widgets that ask for more width than @limit, deepest last:
 * what to fix when the window grew. */
static void
report_wide (GtkWidget *widget, int limit, int depth)
{
  int min = 0;

  if (!gtk_widget_get_visible (widget))
    return;
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (min <= limit)
    return;
  g_test_message ("%*s%s %s: minimum width %d", depth, "", G_OBJECT_TYPE_NAME (widget),
                  gtk_widget_get_css_name (widget), min);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    report_wide (c, limit, depth + 1);
}

static gboolean
transition_running (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (transition_running (c))
      return TRUE;
  return FALSE;
}

static gboolean
settled (Screen *s, gconstpointer data)
{
  return !transition_running (GTK_WIDGET (s->window));
}

static gboolean
painted (Screen *s, gconstpointer data)
{
  return *(const gboolean *) data;
}

static void
on_after_paint (GdkFrameClock *clock, gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* The window as drawn, into the build directory. Waits for a frame
 * first, so that what was changed is what is written. */
static void
screenshot (Screen *s, const char *name)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean done = FALSE;
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &done);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *dir = NULL, *file = NULL, *path = NULL;
  int w, h;

  if (!wait_until (s, settled, NULL, 5))
    g_error ("a page was still changing after 5 s");
  /* two frames: the first may still carry a layout change */
  for (int i = 0; i < 2; i++)
    {
      done = FALSE;
      gtk_widget_queue_draw (window);
      if (!wait_until (s, painted, &done, 5))
        g_error ("no frame drawn within 5 s");
    }
  g_signal_handler_disconnect (clock, handler);
  /* nothing asked for more room than the screen has */
  w = gtk_widget_get_width (window);
  h = gtk_widget_get_height (window);
  if (w != s->size.width || h != s->size.height)
    {
      report_wide (window, s->size.width, 0);
      g_error ("%s: the window is %dx%d, more than the screen", name, w, h);
    }
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  dir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "screenshots", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  file = g_strdup_printf ("%s-%dx%d.png", name, s->size.width, s->size.height);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot %s", path);
}

/* --- the parts ------------------------------------------------------------- */

/* soundscaped in real time: what plays stays on the screen while the test
 * looks at it. */
static void
start_engine (Screen *s)
{
  g_autofree char *pcm = sk_paced_pcm_name (1.0, NULL, NULL);

  g_clear_object (&s->base.kiosk);
  start_daemon_with (&s->base, pcm, NULL);
}

static void
stop_engine (Screen *s)
{
  g_subprocess_force_exit (s->base.daemon);
  g_subprocess_wait (s->base.daemon, NULL, NULL);
  g_clear_object (&s->base.daemon);
}

static gboolean
now_playing_shown (Screen *s, gconstpointer data)
{
  /* in the language of the test's locale */
  return page_is (s, "playing") && find_text (GTK_WIDGET (s->window), _ ("Up next")) != NULL &&
         find_text (GTK_WIDGET (s->window), _ ("Nothing is playing")) == NULL;
}

static void
screen_setup (Screen *s, gconstpointer data)
{
  const Size *size = data;

  s->size = *size;
  fixture_setup (&s->base, NULL);
  start_engine (s);
  s->client = sk_kiosk_client_new (G_BUS_TYPE_SESSION, s->base.address);
  s->window = sk_window_new (NULL, s->client);
  g_object_ref_sink (s->window);
  sk_window_set_dim_seconds (s->window, 0);
  gtk_window_set_default_size (GTK_WINDOW (s->window), s->size.width, s->size.height);
  gtk_window_present (GTK_WINDOW (s->window));
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the window showed nothing playing within 20 s (page %s)",
             sk_window_get_page (s->window));
}

static void
screen_teardown (Screen *s, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (s->window));
  g_clear_object (&s->window);
  g_clear_object (&s->client);
  /* the window's and the client's last callbacks run */
  linger (s, 1);
  fixture_teardown (&s->base, NULL);
}

/* A badge held to the fixture's reader until the screen reacts, then
 * taken away. */
static void
tap_reader (Screen *s, const char *uid, const char *page)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sk_pn532_fixture_command (s->base.reader, &error, "present classic4 %s",
                                                      uid);

  g_assert_no_error (error);
  wait_page (s, page, 5);
  g_free (sk_pn532_fixture_command (s->base.reader, &error, "remove"));
  g_assert_no_error (error);
}

static int
count_rows (Screen *s, const char *sql)
{
  return sk_test_file_query_int (s->base.db, sql);
}

/* --- tests ------------------------------------------------------------------ */

/* Now playing shows the title, the next three, the listeners; a tap on
 * the reader greets the listener by name with five vote buttons and a
 * countdown; "Vote 4" is stored once and answered; the queue on screen
 * follows the engine's; an unknown badge joins with a name typed on the
 * screen's keyboard and is then present. At each size, every screen
 * written as a PNG. */
static void
test_listener_screens (Screen *s, gconstpointer data)
{
  SkJoin *join;
  SkKeyboard *keyboard;
  const char *name = "Ana";

  screenshot (s, "now-playing");
  wait_text (s, "Nobody checked in", 2);

  tap_reader (s, RAIN_LOVER, "welcome");
  wait_text (s, "Welcome back, Rain Lover", 2);
  wait_text (s, "seconds to vote", 2);
  screenshot (s, "welcome");
  press (s, "Vote 4");
  wait_text (s, "Thank you", 5);
  g_assert_cmpint (count_rows (s, "SELECT count(*) FROM votes WHERE vote_value = 4"), ==, 1);
  screenshot (s, "voted");
  wait_text (s, "1 listener here", 2);
  press (s, "Done");
  wait_page (s, "playing", 2);

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
  for (const char *c = name; *c; c++)
    {
      char key[2] = { *c, 0 };

      click (s, sk_keyboard_find_key (keyboard, key));
    }
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

/* The engine killed: "Reconnecting…" at once; started again on the same
 * database: what plays, by itself. */
static void
test_reconnect (Screen *s, gconstpointer data)
{
  stop_engine (s);
  wait_page (s, "reconnecting", 5);
  wait_text (s, "Reconnecting", 1);
  screenshot (s, "reconnecting");
  start_engine (s);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the screen did not come back within 20 s");
}

/* A revoked badge is told so in a sentence, not a code. A tap made over
 * the bus by another client (its ticket is that client's) greets the
 * listener and asks for the reader to vote: no vote button shows. */
static void
test_revoked (Screen *s, gconstpointer data)
{
  g_auto (Tap) other = { 0 };

  tap (&s->base, FIRE_KEEPER, &other);
  wait_page (s, "welcome", 5);
  wait_text (s, "Welcome back, Fire Keeper", 2);
  wait_text (s, "Tap your badge on the reader to rate this track.", 2);
  g_assert_false (gtk_widget_is_drawable (find_named (GTK_WIDGET (s->window), "Vote 4")));
  screenshot (s, "welcome-without-ticket");

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

/* The admin page behind the PIN pad the screen draws: five wrong PINs
 * lock PIN entry (the engine's sentence says until when, the right PIN is
 * refused then), and a manager's badge still opens it; "Lock" locks it
 * again and goes back to what plays. */
static void
test_admin (Screen *s, gconstpointer data)
{
  call_ok (&s->base, "SetPin", g_variant_new ("(s)", "2468"));
  press (s, "Admin");
  wait_page (s, "admin", 2);
  wait_text (s, "Enter the PIN", 2);
  type_pin (s, "1111");
  wait_text (s, "Wrong PIN", 5);
  screenshot (s, "admin-pin");
  for (int i = 0; i < 4; i++)
    type_pin (s, "1111");
  wait_text (s, "PIN entry is locked until", 5);
  screenshot (s, "admin-pin-locked");
  type_pin (s, "2468");
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

/* Under a German locale (LC_ALL=de_DE.UTF-8, made by the parent test):
 * the screens speak German, the buttons are named in German. Run only as
 * /app/german's subprocess. */
static void
test_german_screens (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;

  if (!g_test_subprocess ())
    {
      g_test_skip ("run by /app/german, in a German locale");
      return;
    }
  screen_setup (s, data);
  wait_text (s, "Als Nächstes", 2);
  wait_text (s, "Niemand angemeldet", 2);
  screenshot (s, "de-now-playing");
  tap_reader (s, RAIN_LOVER, "welcome");
  wait_text (s, "Willkommen zurück, Rain Lover", 2);
  wait_text (s, "Sekunden zum Bewerten", 2);
  screenshot (s, "de-welcome");
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

/* The screens in German: a German locale made in a temporary LOCPATH
 * (localedef), the test's own program run again in it. */
static void
test_german (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *locale = g_build_filename (dir, "de_DE.UTF-8", NULL);
  g_autofree char *old_lc_all = g_strdup (g_getenv ("LC_ALL"));
  const char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", locale, NULL };
  g_autoptr (GError) error = NULL;
  int status = -1;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     sk_test_child_setup, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("localedef cannot make de_DE.UTF-8 (the package locales is missing)");
      sk_test_rmdir (dir);
      return;
    }
  g_setenv ("LOCPATH", dir, TRUE);
  g_setenv ("LC_ALL", "de_DE.UTF-8", TRUE);
  g_test_trap_subprocess ("/app/german/screens", sk_test_scale_ms (60000) * (guint64) 1000,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("LOCPATH");
  g_setenv ("LC_ALL", old_lc_all ? old_lc_all : "C.UTF-8", TRUE);
  sk_test_rmdir (dir);
  g_test_trap_assert_passed ();
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

static void
start_xvfb (void)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOChannel) channel = NULL;
  g_autofree char *line = NULL, *display = NULL;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  xvfb = g_subprocess_launcher_spawn (launcher, &error, "Xvfb", "-displayfd", "3", "-screen", "0",
                                      "1280x800x24", "-nolisten", "tcp", NULL);
  g_assert_no_error (error);
  /* Xvfb writes its display number once it listens */
  channel = g_io_channel_unix_new (fds[0]);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_line (channel, &line, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  display = g_strdup_printf (":%s", g_strstrip (line));
  g_setenv ("DISPLAY", display, TRUE);
}

int
main (int argc, char **argv)
{
  int status;
  g_autofree char *xvfb_path = NULL;
  guint n_sizes = G_N_ELEMENTS (sizes);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SK_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (&argc, &argv, NULL);
  xvfb_path = g_find_program_in_path ("Xvfb");
  if (xvfb_path == NULL)
    {
      g_test_skip ("Xvfb is not installed (tools/install-deps --tests)");
      return g_test_run ();
    }
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  start_xvfb ();
  gtk_init ();
  adw_init ();
  sk_application_load_style (gdk_display_get_default ());

  for (guint i = 0; i < n_sizes; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/listener-screens-%dx%d", sizes[i].width,
                                               sizes[i].height);

      g_test_add (path, Screen, &sizes[i], screen_setup, test_listener_screens, screen_teardown);
    }
  g_test_add ("/app/reconnect", Screen, &sizes[0], screen_setup, test_reconnect, screen_teardown);
  g_test_add ("/app/revoked", Screen, &sizes[0], screen_setup, test_revoked, screen_teardown);
  g_test_add ("/app/admin", Screen, &sizes[0], screen_setup, test_admin, screen_teardown);
  g_test_add ("/app/reader-edge", Screen, &sizes[0], screen_setup, test_reader_edge,
              screen_teardown);
  g_test_add ("/app/dim", Screen, &sizes[0], screen_setup, test_dim, screen_teardown);
  g_test_add ("/app/accessible-names", Screen, &sizes[0], screen_setup, test_accessible_names,
              screen_teardown);
  g_test_add_func ("/app/german", test_german);
  g_test_add_data_func ("/app/german/screens", &sizes[0], test_german_screens);
  status = g_test_run ();
  g_subprocess_force_exit (xvfb);
  g_subprocess_wait (xvfb, NULL, NULL);
  g_clear_object (&xvfb);
  return status;
}
