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
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <sqlite3.h>

#include "sk-application.h"
#include "sk-join.h"
#include "sk-kiosk-client.h"
#include "sk-paced.h"
#include "sk-pn532-fixture.h"
#include "sk-test-util.h"
#include "sk-window.h"

#define NAME "org.soundscape.Kiosk1"
#define RAIN_LOVER "04A1B2C3"
#define NEW_BADGE "04112233"

static GSubprocess *xvfb;

typedef struct
{
  int width, height;
} Size;

static const Size sizes[] = { { 800, 480 }, { 1280, 800 }, { 480, 800 } };

typedef struct
{
  char *dir;
  char *db;
  GTestDBus *bus;
  GDBusConnection *conn;
  GSubprocess *daemon;
  SkPn532Fixture *reader;
  SkKioskClient *client;
  SkWindow *window;
  Size size;
} Fixture;

/* --- waiting --------------------------------------------------------------- */

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (Fixture *f, gconstpointer data);

/* Runs the main context until @done or @seconds (stretched by
 * SK_TEST_TIME_FACTOR) pass. */
static gboolean
spin_until (Condition done, Fixture *f, gconstpointer data, guint seconds)
{
  gboolean timed_out = FALSE, ok;
  guint timer = g_timeout_add (sk_test_scale_ms (seconds * 1000), on_timeout, &timed_out);
  guint tick = g_timeout_add (20, on_tick, NULL);

  while (!(ok = done (f, data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timer);
  g_source_remove (tick);
  return ok;
}

/* --- what a person sees ---------------------------------------------------- */

/* The widget under @root whose accessible name is @name, drawn or not. */
static GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  if (gtk_test_accessible_has_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL))
    {
      g_autofree char *diff = gtk_test_accessible_check_property (GTK_ACCESSIBLE (root),
                                                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                                  name);

      if (diff == NULL)
        return root;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_named (c, name);

      if (found != NULL)
        return found;
    }
  return NULL;
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
text_shown (Fixture *f, gconstpointer text)
{
  return find_text (GTK_WIDGET (f->window), text) != NULL;
}

static void
wait_text (Fixture *f, const char *text, guint seconds)
{
  if (!spin_until (text_shown, f, text, seconds))
    g_error ("“%s” was not shown within %u s (page %s)", text, seconds,
             sk_window_get_page (f->window));
}

static gboolean
page_is (Fixture *f, gconstpointer page)
{
  return g_strcmp0 (sk_window_get_page (f->window), page) == 0;
}

static void
wait_page (Fixture *f, const char *page, guint seconds)
{
  if (!spin_until (page_is, f, page, seconds))
    g_error ("the page %s was not shown within %u s (page %s)", page, seconds,
             sk_window_get_page (f->window));
}

static void
on_clicked (GtkButton *button, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (Fixture *f, gconstpointer data)
{
  return *(const gboolean *) data;
}

/* Activates @button as a screen reader's "click" does, and waits for the
 * click (GTK shows the press for a moment first). */
static void
click (Fixture *f, GtkWidget *button)
{
  gboolean clicked = FALSE;
  gulong handler = g_signal_connect (button, "clicked", G_CALLBACK (on_clicked), &clicked);

  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
  if (!spin_until (flag_set, f, &clicked, 2))
    g_error ("the button was not clicked within 2 s");
  g_signal_handler_disconnect (button, handler);
}

/* Presses the button a screen reader calls @name. */
static void
press (Fixture *f, const char *name)
{
  GtkWidget *button = find_named (GTK_WIDGET (f->window), name);

  if (button == NULL)
    g_error ("no button named “%s”", name);
  click (f, button);
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
settled (Fixture *f, gconstpointer data)
{
  return !transition_running (GTK_WIDGET (f->window));
}

static gboolean
painted (Fixture *f, gconstpointer data)
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
screenshot (Fixture *f, const char *name)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean done = FALSE;
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &done);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *dir = NULL, *file = NULL, *path = NULL;
  int w, h;

  if (!spin_until (settled, f, NULL, 5))
    g_error ("a page was still changing after 5 s");
  /* two frames: the first may still carry a layout change */
  for (int i = 0; i < 2; i++)
    {
      done = FALSE;
      gtk_widget_queue_draw (window);
      if (!spin_until (painted, f, &done, 5))
        g_error ("no frame drawn within 5 s");
    }
  g_signal_handler_disconnect (clock, handler);
  /* nothing asked for more room than the screen has */
  w = gtk_widget_get_width (window);
  h = gtk_widget_get_height (window);
  if (w != f->size.width || h != f->size.height)
    {
      report_wide (window, f->size.width, 0);
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
  file = g_strdup_printf ("%s-%dx%d.png", name, f->size.width, f->size.height);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot %s", path);
}

/* --- the parts ------------------------------------------------------------- */

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
name_owned (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (f->conn, "org.freedesktop.DBus",
                                                            "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new ("(s)", NAME),
                                                            G_VARIANT_TYPE ("(b)"),
                                                            G_DBUS_CALL_FLAGS_NONE, 2000, NULL,
                                                            NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
start_daemon (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *pcm = sk_paced_pcm_name (1.0, NULL, NULL);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                g_test_dbus_get_bus_address (f->bus), TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_AUTO_SCAN", "false", TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_LOG_LEVEL", "0", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                           "--session", "--db", f->db, "--pcm", pcm, "--nfc-device",
                                           sk_pn532_fixture_connstring (f->reader), "--demo",
                                           g_getenv ("SK_DEMO_LIBRARY"), NULL);
  g_assert_no_error (error);
  if (!spin_until (name_owned, f, NULL, 30))
    g_error ("soundscaped did not own %s within 30 s", NAME);
}

static void
stop_daemon (Fixture *f)
{
  if (f->daemon == NULL)
    return;
  g_subprocess_force_exit (f->daemon);
  g_subprocess_wait (f->daemon, NULL, NULL);
  g_clear_object (&f->daemon);
}

static gboolean
now_playing_shown (Fixture *f, gconstpointer data)
{
  return page_is (f, "playing") && find_text (GTK_WIDGET (f->window), "Up next") != NULL &&
         find_text (GTK_WIDGET (f->window), "Nothing is playing") == NULL;
}

static void
make_window (Fixture *f)
{
  f->window = sk_window_new (NULL, f->client);
  g_object_ref_sink (f->window);
  sk_window_set_dim_seconds (f->window, 0);
  gtk_window_set_default_size (GTK_WINDOW (f->window), f->size.width, f->size.height);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL, *link = NULL;
  const Size *size = data;

  f->size = size ? *size : sizes[0];
  f->dir = sk_test_mkdtemp ();
  f->db = g_build_filename (f->dir, "soundscape.db", NULL);
  if (!sk_paced_setup (f->dir, &reason))
    g_error ("%s", reason);
  link = g_build_filename (f->dir, "nfc0", NULL);
  f->reader = sk_pn532_fixture_start (link, &error);
  g_assert_no_error (error);
  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->conn = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (f->bus),
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                        G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);
  start_daemon (f);
  f->client = sk_kiosk_client_new (G_BUS_TYPE_SESSION, g_test_dbus_get_bus_address (f->bus));
  make_window (f);
  if (!spin_until (now_playing_shown, f, NULL, 20))
    g_error ("the window showed nothing playing within 20 s (page %s)",
             sk_window_get_page (f->window));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gboolean unused = FALSE;

  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_clear_object (&f->client);
  /* let the window's and the client's last callbacks run */
  spin_until (painted, f, &unused, 0);
  stop_daemon (f);
  g_dbus_connection_close_sync (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);
  g_clear_pointer (&f->reader, sk_pn532_fixture_free);
  sk_test_rmdir (f->dir);
  g_free (f->db);
  g_free (f->dir);
}

/* A badge held to the fixture's reader until the screen reacts, then
 * taken away. */
static void
tap_reader (Fixture *f, const char *uid, const char *page)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sk_pn532_fixture_command (f->reader, &error, "present classic4 %s",
                                                      uid);

  g_assert_no_error (error);
  wait_page (f, page, 5);
  g_free (sk_pn532_fixture_command (f->reader, &error, "remove"));
  g_assert_no_error (error);
}

static int
count_rows (Fixture *f, const char *sql)
{
  return sk_test_file_query_int (f->db, sql);
}

/* --- tests ------------------------------------------------------------------ */

/* Now playing shows the title, the next three, the listeners; a tap on
 * the reader greets the listener by name with five vote buttons and a
 * countdown; "Vote 4" is stored once and answered; the queue on screen
 * follows the engine's; an unknown badge joins with a name typed on the
 * screen's keyboard and is then present. At each size, every screen
 * written as a PNG. */
static void
test_listener_screens (Fixture *f, gconstpointer data)
{
  SkJoin *join;
  SkKeyboard *keyboard;
  const char *name = "Ana";

  screenshot (f, "now-playing");
  wait_text (f, "Nobody checked in", 2);

  tap_reader (f, RAIN_LOVER, "welcome");
  wait_text (f, "Welcome back, Rain Lover", 2);
  wait_text (f, "seconds to vote", 2);
  screenshot (f, "welcome");
  press (f, "Vote 4");
  wait_text (f, "Thank you", 5);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM votes WHERE vote_value = 4"), ==, 1);
  screenshot (f, "voted");
  wait_text (f, "1 listener here", 2);
  press (f, "Done");
  wait_page (f, "playing", 2);

  /* a second tap of the same listener on the same play: already rated */
  tap_reader (f, RAIN_LOVER, "welcome");
  press (f, "Vote 2");
  wait_text (f, "already", 5);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM votes"), ==, 1);
  screenshot (f, "already-rated");
  press (f, "Done");
  wait_page (f, "playing", 2);

  tap_reader (f, NEW_BADGE, "join");
  wait_text (f, "A new badge", 2);
  screenshot (f, "join");
  press (f, "Join");
  wait_text (f, "Your name on this screen", 2);
  screenshot (f, "join-keyboard");
  /* the offered name is selected: the first key replaces it */
  join = SK_JOIN (
      gtk_widget_get_ancestor (find_named (GTK_WIDGET (f->window), "Your name"), SK_TYPE_JOIN));
  g_assert_cmpuint (strlen (gtk_editable_get_text (sk_join_get_entry (join))), >, 3);
  keyboard = sk_join_get_keyboard (join);
  for (const char *c = name; *c; c++)
    {
      char key[2] = { *c, 0 };

      click (f, sk_keyboard_find_key (keyboard, key));
    }
  g_assert_cmpstr (gtk_editable_get_text (sk_join_get_entry (join)), ==, name);
  screenshot (f, "join-typed");
  press (f, "Join with this name");
  wait_text (f, "Welcome, Ana!", 5);
  wait_text (f, "2 listeners here", 5);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM profiles WHERE display_name = 'Ana'"), ==,
                   1);
  press (f, "Check out");
  wait_text (f, "checked out", 5);
  wait_text (f, "1 listener here", 5);
  press (f, "Done");
  wait_page (f, "playing", 2);
  screenshot (f, "present");
}

/* The engine killed: "Reconnecting…" at once; started again on the same
 * database: what plays, by itself. */
static void
test_reconnect (Fixture *f, gconstpointer data)
{
  stop_daemon (f);
  wait_page (f, "reconnecting", 5);
  wait_text (f, "Reconnecting", 1);
  screenshot (f, "reconnecting");
  start_daemon (f);
  if (!spin_until (now_playing_shown, f, NULL, 20))
    g_error ("the screen did not come back within 20 s");
}

/* A revoked badge is told so in a sentence, not a code. */
static void
test_revoked (Fixture *f, gconstpointer data)
{
  sk_test_file_exec (f->db, "UPDATE badges SET revoked_at = '2026-01-02T03:04:05.000Z' "
                            "WHERE uid = '" RAIN_LOVER "'");
  tap_reader (f, RAIN_LOVER, "notice");
  wait_text (f, "This badge cannot be used here", 2);
  wait_text (f, "revoked on 2026-01-02", 2);
  screenshot (f, "revoked");
}

/* Idle dims the screen; a tap wakes it; the music is the engine's and
 * goes on. */
static void
test_dim (Fixture *f, gconstpointer data)
{
  sk_window_set_dim_seconds (f->window, 1);
  g_assert_false (sk_window_get_dimmed (f->window));
  {
    gboolean unused = FALSE;

    spin_until (painted, f, &unused, 2);
  }
  g_assert_true (sk_window_get_dimmed (f->window));
  screenshot (f, "dimmed");
  tap_reader (f, RAIN_LOVER, "welcome");
  g_assert_false (sk_window_get_dimmed (f->window));
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
test_accessible_names (Fixture *f, gconstpointer data)
{
  guint n = 0;

  check_names (GTK_WIDGET (f->window), &n);
  g_test_message ("%u buttons named", n);
  g_assert_cmpuint (n, >, 30);
}

/* --- main -------------------------------------------------------------------- */

static void
start_xvfb (void)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOChannel) channel = NULL;
  g_autofree char *line = NULL, *display = NULL;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
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
  guint n_sizes = G_N_ELEMENTS (sizes);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SK_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (&argc, &argv, NULL);
  if (g_find_program_in_path ("Xvfb") == NULL)
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

      g_test_add (path, Fixture, &sizes[i], fixture_setup, test_listener_screens, fixture_teardown);
    }
  g_test_add ("/app/reconnect", Fixture, &sizes[0], fixture_setup, test_reconnect,
              fixture_teardown);
  g_test_add ("/app/revoked", Fixture, &sizes[0], fixture_setup, test_revoked, fixture_teardown);
  g_test_add ("/app/dim", Fixture, &sizes[0], fixture_setup, test_dim, fixture_teardown);
  g_test_add ("/app/accessible-names", Fixture, &sizes[0], fixture_setup, test_accessible_names,
              fixture_teardown);
  status = g_test_run ();
  g_subprocess_force_exit (xvfb);
  g_subprocess_wait (xvfb, NULL, NULL);
  g_clear_object (&xvfb);
  return status;
}
