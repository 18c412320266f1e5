/* sk-app-test.c: see sk-app-test.h. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sk-app-test.h"
#include "sk-application.h"
#include "sk-paced.h"
#include "sk-test-util.h"

static GSubprocess *xvfb;

const Size sizes[N_SIZES] = { { 800, 480 }, { 1280, 800 }, { 480, 800 } };

/* --- waiting --------------------------------------------------------------- */

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
gboolean
wait_until (Screen *s, Condition done, gconstpointer data, guint seconds)
{
  Wait w = { done, data };
  guint tick = g_timeout_add (20, on_tick, NULL);
  gboolean ok = spin_until (wait_done, &s->base, &w, seconds); /* it stretches the bound */

  g_source_remove (tick);
  return ok;
}

static gboolean
never (Screen *s, gconstpointer data)
{
  return FALSE;
}

/* Lets the main context run for @seconds. */
void
linger (Screen *s, guint seconds)
{
  wait_until (s, never, NULL, seconds);
}

/* --- what a person sees ---------------------------------------------------- */

/* The widget of @type under @root whose accessible name is @name, drawn
 * or not. */
GtkWidget *
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

GtkWidget *
find_named (GtkWidget *root, const char *name)
{
  return find_named_type (root, name, GTK_TYPE_WIDGET);
}

/* A label drawn on the screen now whose text holds @text. */
GtkWidget *
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

double
font_px (GtkWidget *label)
{
  const PangoFontDescription *font = pango_context_get_font_description (
      gtk_widget_get_pango_context (label));

  return (double) pango_font_description_get_size (font) / PANGO_SCALE;
}

guint
count_text (GtkWidget *root, const char *text)
{
  guint n;

  if (!gtk_widget_is_drawable (root))
    return 0;
  n = GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    n += count_text (c, text);
  return n;
}

gboolean
text_shown (Screen *s, gconstpointer text)
{
  return find_text (GTK_WIDGET (s->window), text) != NULL;
}

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

gboolean
text_whole (Screen *s, gconstpointer text)
{
  return whole_label_in (GTK_WIDGET (s->window), text);
}

void
wait_text (Screen *s, const char *text, guint seconds)
{
  if (!wait_until (s, text_shown, text, seconds))
    g_error ("“%s” was not shown within %u s (page %s)", text, seconds,
             sk_window_get_page (s->window));
}

gboolean
page_is (Screen *s, gconstpointer page)
{
  return g_strcmp0 (sk_window_get_page (s->window), page) == 0;
}

void
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

static gboolean
drawable (Screen *s, gconstpointer widget)
{
  return gtk_widget_is_drawable ((GtkWidget *) widget);
}

/* Activates @button as a screen reader's "click" does, and waits for the
 * click (GTK shows the press for a moment first). */
void
click (Screen *s, GtkWidget *button)
{
  gboolean clicked = FALSE;
  gulong handler = g_signal_connect (button, "clicked", G_CALLBACK (on_clicked), &clicked);

  /* a button on its way in (a row unfolding) is waited for, as a person
   * would */
  if (!wait_until (s, drawable, button, 2))
    for (GtkWidget *w = button; w != NULL; w = gtk_widget_get_parent (w))
      g_test_message ("not drawn: %s %s visible %d mapped %d", G_OBJECT_TYPE_NAME (w),
                      gtk_widget_get_css_name (w), gtk_widget_get_visible (w),
                      gtk_widget_get_mapped (w));
  g_assert_true (gtk_widget_is_drawable (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
  if (!wait_until (s, flag_set, &clicked, 2))
    g_error ("the button was not clicked within 2 s");
  g_signal_handler_disconnect (button, handler);
}

/* Presses the button a screen reader calls @name, under @root. */
void
press_in (Screen *s, GtkWidget *root, const char *name)
{
  GtkWidget *button = find_named_type (root, name, GTK_TYPE_BUTTON);

  if (button == NULL)
    g_error ("no button named “%s”", name);
  click (s, button);
}

/* Presses the button a screen reader calls @name. */
void
press (Screen *s, const char *name)
{
  press_in (s, GTK_WIDGET (s->window), name);
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

/* Counts (and names) the labels and buttons under @widget drawn beyond
 * one of their ancestors (@bounds: @widget's, in the window's
 * coordinates): cut off, or drawn over what lies beside them. What a
 * scrolled window holds is left out: its view shows a part of it. */
static guint
report_cut (GtkWidget *widget, GtkWidget *window, const graphene_rect_t *bounds)
{
  guint n = 0;

  if (GTK_IS_SCROLLED_WINDOW (widget))
    return 0;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      graphene_rect_t b, inside;

      if (!gtk_widget_is_drawable (c) || !gtk_widget_compute_bounds (c, window, &b) ||
          b.size.width < 1 || b.size.height < 1)
        continue;
      if ((GTK_IS_LABEL (c) || GTK_IS_BUTTON (c)) &&
          (b.origin.x < bounds->origin.x - 1 || b.origin.y < bounds->origin.y - 1 ||
           b.origin.x + b.size.width > bounds->origin.x + bounds->size.width + 1 ||
           b.origin.y + b.size.height > bounds->origin.y + bounds->size.height + 1))
        {
          g_test_message ("cut off: %s %s “%s” at %.0f,%.0f %.0fx%.0f, beyond %s %s at %.0f,%.0f "
                          "%.0fx%.0f",
                          G_OBJECT_TYPE_NAME (c), gtk_widget_get_css_name (c),
                          GTK_IS_LABEL (c) ? gtk_label_get_text (GTK_LABEL (c)) : "", b.origin.x,
                          b.origin.y, b.size.width, b.size.height, G_OBJECT_TYPE_NAME (widget),
                          gtk_widget_get_css_name (widget), bounds->origin.x, bounds->origin.y,
                          bounds->size.width, bounds->size.height);
          n++;
          continue;
        }
      /* what the children have is what both give them */
      if (!graphene_rect_intersection (&b, bounds, &inside))
        continue;
      n += report_cut (c, window, &inside);
    }
  return n;
}

/* Counts (and names) the labels drawn under @widget that Pango shortened
 * with an ellipsis: a sentence a listener must read, cut to "…". A label
 * whose shortening is by design carries the style class "may-ellipsize"
 * (or a widget holding it does), with the reason beside it (ui/,
 * src/app/); it alone is left out. A label in a scrolled view counts too:
 * its view scrolls, its text does not. */
static guint
report_ellipsized (GtkWidget *widget, gboolean say)
{
  guint n = 0;

  if (!gtk_widget_is_drawable (widget) || gtk_widget_has_css_class (widget, "may-ellipsize"))
    return 0;
  if (GTK_IS_LABEL (widget) &&
      pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    {
      GtkWidget *parent = gtk_widget_get_parent (widget);

      if (say)
        g_test_message ("ellipsized: %s %s “%s” %dx%d in %s %s", G_OBJECT_TYPE_NAME (widget),
                        gtk_widget_get_css_name (widget), gtk_label_get_text (GTK_LABEL (widget)),
                        gtk_widget_get_width (widget), gtk_widget_get_height (widget),
                        G_OBJECT_TYPE_NAME (parent), gtk_widget_get_css_name (parent));
      n++;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    n += report_ellipsized (c, say);
  return n;
}

static gboolean
nothing_ellipsized (Screen *s, gconstpointer data)
{
  return report_ellipsized (GTK_WIDGET (s->window), FALSE) == 0;
}

static gboolean
transition_running (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  /* a revealer (a row unfolding or folding) still moving */
  if (GTK_IS_REVEALER (widget) && gtk_widget_get_mapped (widget) &&
      gtk_revealer_get_reveal_child (GTK_REVEALER (widget)) !=
          gtk_revealer_get_child_revealed (GTK_REVEALER (widget)))
    return TRUE;
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    if (transition_running (c))
      return TRUE;
  return FALSE;
}

gboolean
screen_settled (Screen *s, gconstpointer data)
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

/* Waits until the window has drawn @n frames more. */
void
wait_frames (Screen *s, guint n)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean done = FALSE;
  gulong handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &done);

  for (guint i = 0; i < n; i++)
    {
      done = FALSE;
      gtk_widget_queue_draw (window);
      if (!wait_until (s, painted, &done, 5))
        g_error ("no frame drawn within 5 s");
    }
  g_signal_handler_disconnect (clock, handler);
}

/* The window as drawn, into the build directory. Waits for a frame
 * first, so that what was changed is what is written. Fails on a label
 * or button cut off, or a label shortened with an ellipsis. */
void
screenshot (Screen *s, const char *name)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *dir = NULL, *file = NULL, *path = NULL;
  int w, h;
  guint n_cut;

  if (!wait_until (s, screen_settled, NULL, 5))
    g_error ("a page was still changing after 5 s");
  /* two frames: the first may still carry a layout change; a page just
   * shown may take a few more to choose its layout for the window's size,
   * where a label is shortened only until then (a label still shortened
   * after 2 s fails below) */
  wait_frames (s, 2);
  wait_until (s, nothing_ellipsized, NULL, 2);
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
  /* every label and button outside a scrolled view drawn whole */
  n_cut = report_cut (window, window, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (n_cut > 0)
    g_error ("%s: %u labels or buttons cut off (%s)", name, n_cut, path);
  /* and every label's text whole, not shortened to "…" */
  n_cut = report_ellipsized (window, TRUE);
  if (n_cut > 0)
    g_error ("%s: %u labels shortened with an ellipsis (%s)", name, n_cut, path);
}

/* --- the parts ------------------------------------------------------------- */

/* soundscaped in real time: what plays stays on the screen while the test
 * looks at it. */
static void
start_engine_as (Screen *s, gboolean demo)
{
  g_autofree char *pcm = sk_paced_pcm_name (1.0, NULL, NULL);

  g_clear_object (&s->base.kiosk);
  if (demo)
    start_daemon_with (&s->base, pcm, NULL);
  else
    start_daemon_plain (&s->base, pcm);
}

void
start_engine (Screen *s)
{
  start_engine_as (s, TRUE);
}

void
start_engine_plain (Screen *s)
{
  start_engine_as (s, FALSE);
}

void
stop_engine (Screen *s)
{
  g_subprocess_force_exit (s->base.daemon);
  g_subprocess_wait (s->base.daemon, NULL, NULL);
  g_clear_object (&s->base.daemon);
}

gboolean
now_playing_shown (Screen *s, gconstpointer data)
{
  /* in the language of the test's locale */
  return page_is (s, "playing") && find_text (GTK_WIDGET (s->window), _ ("Up next")) != NULL &&
         find_text (GTK_WIDGET (s->window), _ ("Nothing is playing")) == NULL;
}

/* The window on the bus of @s at @size, never dimmed, presented. */
void
screen_open_window (Screen *s, const Size *size)
{
  s->size = *size;
  s->client = sk_kiosk_client_new (G_BUS_TYPE_SESSION, s->base.address);
  s->window = sk_window_new (NULL, s->client);
  g_object_ref_sink (s->window);
  sk_window_set_dim_seconds (s->window, 0);
  gtk_window_set_default_size (GTK_WINDOW (s->window), s->size.width, s->size.height);
  gtk_window_present (GTK_WINDOW (s->window));
}

/* The bus, the engine (with @pin_set, the PIN APP_PIN), and the window
 * on them at the Size @data. */
static void
show_window (Screen *s, gconstpointer data, gboolean pin_set)
{
  fixture_setup (&s->base, NULL);
  start_engine (s);
  if (pin_set)
    call_ok (&s->base, "SetPin", g_variant_new ("(s)", APP_PIN));
  screen_open_window (s, data);
}

void
screen_setup (Screen *s, gconstpointer data)
{
  show_window (s, data, TRUE);
  if (!wait_until (s, now_playing_shown, NULL, 20))
    g_error ("the window showed nothing playing within 20 s (page %s)",
             sk_window_get_page (s->window));
}

void
screen_setup_first_boot (Screen *s, gconstpointer data)
{
  show_window (s, data, FALSE);
  wait_page (s, "setup", 20);
}

void
screen_teardown (Screen *s, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (s->window));
  g_clear_object (&s->window);
  g_clear_object (&s->client);
  /* the window's and the client's last callbacks run */
  linger (s, 1);
  fixture_teardown (&s->base, NULL);
}

void
add_at_each_size (const char *name, void (*test) (Screen *s, gconstpointer data))
{
  for (guint i = 0; i < N_SIZES; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/%s-%dx%d", name, sizes[i].width,
                                               sizes[i].height);

      g_test_add (path, Screen, &sizes[i], screen_setup, test, screen_teardown);
    }
}

/* A badge held to the fixture's reader until the screen reacts, then
 * taken away. */
void
tap_reader (Screen *s, const char *uid, const char *page)
{
  g_autoptr (GError) error = NULL;

  g_free (sk_pn532_fixture_command (s->base.reader, &error, "present classic4 %s", uid));
  g_assert_no_error (error);
  wait_page (s, page, 5);
  g_free (sk_pn532_fixture_command (s->base.reader, &error, "remove"));
  g_assert_no_error (error);
}

int
count_rows (Screen *s, const char *sql)
{
  return sk_test_file_query_int (s->base.db, sql);
}

/* Drawn, and its keys packed for the width it has: the keyboard repacks
 * them (in an idle, which a row still unfolding may hold back) when they
 * would not fit, and a key taken away then is never clicked. */
static gboolean
keyboard_ready (Screen *s, gconstpointer keyboard)
{
  GtkWidget *rows = gtk_widget_get_first_child ((GtkWidget *) keyboard);
  int width = gtk_widget_get_width ((GtkWidget *) keyboard), minimum = 0;

  if (!gtk_widget_is_drawable ((GtkWidget *) keyboard) || width == 0)
    return FALSE;
  gtk_widget_measure (rows, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  return minimum <= width;
}

/* @text typed key by key on the screen's own @keyboard, once it shows. */
void
type_keys (Screen *s, SkKeyboard *keyboard, const char *text)
{
  if (!wait_until (s, keyboard_ready, keyboard, 5))
    g_error ("the keyboard was not shown within 5 s");
  for (const char *c = text; *c; c = g_utf8_next_char (c))
    {
      char key[8] = { 0 };

      if (*c == ' ')
        {
          press_in (s, GTK_WIDGET (keyboard), _ ("Space"));
          continue;
        }
      g_unichar_to_utf8 (g_utf8_get_char (c), key);
      if (sk_keyboard_find_key (keyboard, key) == NULL)
        g_error ("no key “%s” on the keyboard", key);
      click (s, sk_keyboard_find_key (keyboard, key));
    }
}

/* The test @path of this program run again as a subprocess under a
 * German locale made in a temporary LOCPATH (localedef); skipped when
 * localedef cannot make one. */
void
run_in_german (const char *path)
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
  g_test_trap_subprocess (path, sk_test_scale_ms (60000) * (guint64) 1000,
                          G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("LOCPATH");
  g_setenv ("LC_ALL", old_lc_all ? old_lc_all : "C.UTF-8", TRUE);
  sk_test_rmdir (dir);
  g_test_trap_assert_passed ();
}

gboolean
screen_setup_in_german (Screen *s, gconstpointer data, const char *parent)
{
  g_autofree char *why = NULL;

  if (g_test_subprocess ())
    {
      screen_setup (s, data);
      return TRUE;
    }
  why = g_strdup_printf ("run by %s, in a German locale", parent);
  g_test_skip (why);
  return FALSE;
}

static gboolean
admin_is_unlocked (Screen *s, gconstpointer data)
{
  return sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk);
}

void
open_admin_page (Screen *s)
{
  /* in the language of the test's locale */
  press (s, _ ("Admin"));
  wait_page (s, "admin", 2);
  for (const char *c = APP_PIN; *c; c++)
    {
      char digit[2] = { *c, 0 };

      press (s, digit);
    }
  press (s, _ ("Unlock"));
  if (!wait_until (s, admin_is_unlocked, NULL, 5))
    g_error ("the PIN did not unlock within 5 s");
  wait_text (s, _ ("Playback"), 5);
}

/* The scrolled window around @widget scrolled so that @widget is at its
 * top, as far as it goes; again each frame until the layout holds still
 * (a row folding away moves what is below it). */
void
scroll_to (Screen *s, GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *content;
  GtkAdjustment *adjustment;
  double last = -1;

  g_assert_nonnull (scrolled);
  content = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));
  if (GTK_IS_VIEWPORT (content))
    content = gtk_viewport_get_child (GTK_VIEWPORT (content));
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  for (guint i = 0; i < 100; i++)
    {
      graphene_point_t at;

      wait_frames (s, 1);
      g_assert_true (gtk_widget_compute_point (widget, content, &GRAPHENE_POINT_INIT (0, 0), &at));
      gtk_adjustment_set_value (adjustment, at.y);
      if (at.y == last)
        return;
      last = at.y;
    }
  g_error ("the page was still moving after 100 frames");
}

static gboolean
answers_one (Screen *s, gconstpointer sql)
{
  return count_rows (s, sql) == 1;
}

/* Until the query @sql on the engine's database answers 1, for up to 5 s. */
void
wait_row (Screen *s, const char *sql)
{
  if (!wait_until (s, answers_one, sql, 5))
    g_error ("“%s” did not answer 1 within 5 s", sql);
}

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

/* What every test program of the screen does first: the locale and the
 * translations, GTest, and (unless Xvfb is missing: FALSE, the tests
 * skipped) an Xvfb of its own with GTK and libadwaita on it. */
gboolean
app_test_init (int *argc, char ***argv)
{
  g_autofree char *xvfb_path = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SK_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_test_init (argc, argv, NULL);
  xvfb_path = g_find_program_in_path ("Xvfb");
  if (xvfb_path == NULL)
    {
      g_test_skip ("Xvfb is not installed (tools/install-deps --tests)");
      return FALSE;
    }
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  /* drawn by cairo: GDK need not open Mesa's GL driver either (which it
   * unloads before exit, with what it kept: LeakSanitizer cannot name it) */
  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  g_setenv ("GTK_A11Y", "test", TRUE);
  start_xvfb ();
  gtk_init ();
  adw_init ();
  sk_application_load_style (gdk_display_get_default ());
  return TRUE;
}

void
app_test_stop_xvfb (void)
{
  if (xvfb != NULL)
    {
      g_subprocess_force_exit (xvfb);
      g_subprocess_wait (xvfb, NULL, NULL);
      g_clear_object (&xvfb);
    }
}

int
app_test_run (void)
{
  int status = g_test_run ();

  app_test_stop_xvfb ();
  return status;
}

/* @widget (a GtkWidget) drawn whole inside its scrolled window's view,
 * which lies inside the window: reached without scrolling. */
gboolean
in_view (Screen *s, gconstpointer widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor ((GtkWidget *) widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds, view;

  g_assert_nonnull (scrolled);
  if (!gtk_widget_get_mapped ((GtkWidget *) widget) ||
      !gtk_widget_compute_bounds ((GtkWidget *) widget, GTK_WIDGET (s->window), &bounds) ||
      !gtk_widget_compute_bounds (scrolled, GTK_WIDGET (s->window), &view))
    return FALSE;
  g_assert_cmpfloat (view.origin.x, >=, 0);
  g_assert_cmpfloat (view.origin.y, >=, 0);
  g_assert_cmpfloat (view.origin.x + view.size.width, <=, s->size.width);
  g_assert_cmpfloat (view.origin.y + view.size.height, <=, s->size.height);
  return graphene_rect_contains_rect (&view, &bounds) && bounds.size.height > 0;
}

gboolean
keyboard_in_view (Screen *s, gconstpointer keyboard)
{
  const char *keys[] = { "Shift", "Space", "Backspace" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *key = find_named ((GtkWidget *) keyboard, _ (keys[i]));

      g_assert_nonnull (key);
      if (!in_view (s, key))
        return FALSE;
    }
  return TRUE;
}
