/* sk-application.c: see sk-application.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>

#include "sk-application.h"
#include "sk-kiosk-client.h"
#include "sk-window.h"

#define DEFAULT_DIM_SECONDS 120

struct _SkApplication
{
  AdwApplication parent_instance;

  SkKioskClient *client;
  int width, height; /* windowed; 0: fullscreen */
  GtkPositionType edge;
  guint dim_seconds;
  gboolean session;
  gboolean demo;
  char *drawn_page; /* SK_KIOSK_FRAME_LOG: the page of the last line */
};

G_DEFINE_FINAL_TYPE (SkApplication, sk_application, ADW_TYPE_APPLICATION)

gboolean
sk_application_parse_size (const char *text, int *width, int *height)
{
  g_auto (GStrv) parts = NULL;
  guint64 w, h;

  if (text == NULL)
    return FALSE;
  parts = g_strsplit (text, "x", -1);
  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 100, 10000, &w, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 100, 10000, &h, NULL))
    return FALSE;
  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

gboolean
sk_application_parse_edge (const char *text, GtkPositionType *edge)
{
  static const char *const names[] = { "left", "right", "top", "bottom" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *edge = (GtkPositionType) i;
        return TRUE;
      }
  return FALSE;
}

void
sk_application_load_style (GdkDisplay *display)
{
  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_css_provider_load_from_resource (css, "/org/soundscape/Kiosk/ui/style.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* The command line, parsed: an exit status when the program ends here
 * (--version, a bad value), else -1. --help prints the options and exits
 * from g_option_context_parse_strv. */
static int
parse_options (SkApplication *self, char ***arguments)
{
  g_autofree char *windowed = NULL, *edge = NULL;
  int dim = DEFAULT_DIM_SECONDS;
  gboolean session = FALSE, demo = FALSE, version = FALSE;
  const GOptionEntry entries[] = {
    { "windowed", 0, 0, G_OPTION_ARG_STRING, &windowed,
      N_ ("A window of this size instead of the full screen (development, tests)"),
      N_ ("WIDTHxHEIGHT") },
    { "reader-edge", 0, 0, G_OPTION_ARG_STRING, &edge,
      N_ ("The screen's edge where the badge reader is: left, right, top or bottom (default)"),
      N_ ("EDGE") },
    { "dim-after", 0, 0, G_OPTION_ARG_INT, &dim,
      N_ ("Dim the screen after this many seconds without a touch or a tap (0: never; default "
          "120)"),
      N_ ("SECONDS") },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session,
      N_ ("Find the engine on the session bus (demo, tests), not the system bus"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo,
      N_ ("Demo mode: Ctrl+1 to Ctrl+5 tap the demo badges, Ctrl+0 a new badge"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      N_ ("— the soundscape kiosk's touchscreen"));
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse_strv (context, arguments, &error))
    {
      g_printerr ("soundscape-kiosk: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (version)
    {
      g_print ("soundscape-kiosk %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (g_strv_length (*arguments) > 1)
    {
      g_printerr (_ ("soundscape-kiosk: “%s” is not an option (--help lists them)\n"),
                  (*arguments)[1]);
      return EXIT_FAILURE;
    }
  if (windowed != NULL && !sk_application_parse_size (windowed, &self->width, &self->height))
    {
      g_printerr (_ ("soundscape-kiosk: --windowed takes WIDTHxHEIGHT, e.g. 800x480, not “%s”\n"),
                  windowed);
      return EXIT_FAILURE;
    }
  if (edge != NULL && !sk_application_parse_edge (edge, &self->edge))
    {
      g_printerr (_ ("soundscape-kiosk: --reader-edge takes left, right, top or bottom, not “%s”\n"),
                  edge);
      return EXIT_FAILURE;
    }
  if (dim < 0 || dim > 86400)
    {
      g_printerr (_ ("soundscape-kiosk: --dim-after takes seconds from 0 (never) to 86400\n"));
      return EXIT_FAILURE;
    }
  self->dim_seconds = (guint) dim;
  self->session = session;
  self->demo = demo;
  return -1;
}

/* The command line is the kiosk's own: GApplication's parser would offer
 * its --gapplication-service too, which is for an application that D-Bus
 * activates; the kiosk is started by its unit (or by hand), is non-unique
 * and never activated, so --help lists what it means and nothing else.
 * Then what GApplication's own does with no file to open: register,
 * activate. */
static gboolean
sk_application_local_command_line (GApplication *app, char ***arguments, int *exit_status)
{
  g_autoptr (GError) error = NULL;

  *exit_status = parse_options (SK_APPLICATION (app), arguments);
  if (*exit_status >= 0)
    return TRUE;
  if (!g_application_register (app, NULL, &error))
    {
      g_printerr ("soundscape-kiosk: %s\n", error->message);
      *exit_status = EXIT_FAILURE;
      return TRUE;
    }
  g_application_activate (app);
  *exit_status = EXIT_SUCCESS;
  return TRUE;
}

static void
sk_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (sk_application_parent_class)->startup (app);
  sk_application_load_style (gdk_display_get_default ());
}

/* SK_KIOSK_FRAME_LOG set (tests/bench/bench-app): after the paint of the
 * first frame of each page shown, a line on stderr
 *   soundscape-kiosk: frame PAGE TIME
 * TIME in µs of CLOCK_MONOTONIC (g_get_monotonic_time), the clock every
 * process shares, so that another process learns when the screen was
 * drawn. It changes nothing else; unset, nothing is connected. */
static void
on_after_paint (GdkFrameClock *clock, SkApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *page = SK_IS_WINDOW (window) ? sk_window_get_page (SK_WINDOW (window)) : NULL;

  if (page == NULL || g_strcmp0 (page, self->drawn_page) == 0)
    return;
  fprintf (stderr, "soundscape-kiosk: frame %s %" G_GINT64_FORMAT "\n", page,
           g_get_monotonic_time ());
  g_free (self->drawn_page);
  self->drawn_page = g_strdup (page);
}

static void
on_realize (GtkWidget *window, SkApplication *self)
{
  g_signal_connect_object (gtk_widget_get_frame_clock (window), "after-paint",
                           G_CALLBACK (on_after_paint), self, 0);
}

static void
sk_application_activate (GApplication *app)
{
  SkApplication *self = SK_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      SkWindow *w;

      self->client = sk_kiosk_client_new (self->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                                          NULL);
      w = sk_window_new (GTK_APPLICATION (app), self->client);
      sk_window_set_reader_edge (w, self->edge);
      sk_window_set_dim_seconds (w, self->dim_seconds);
      sk_window_set_demo (w, self->demo);
      window = GTK_WINDOW (w);
      if (g_getenv ("SK_KIOSK_FRAME_LOG") != NULL)
        g_signal_connect_object (window, "realize", G_CALLBACK (on_realize), self, 0);
      if (self->width > 0)
        gtk_window_set_default_size (window, self->width, self->height);
      else
        gtk_window_fullscreen (window);
    }
  gtk_window_present (window);
}

static void
sk_application_dispose (GObject *object)
{
  SkApplication *self = SK_APPLICATION (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->drawn_page, g_free);
  G_OBJECT_CLASS (sk_application_parent_class)->dispose (object);
}

static void
sk_application_class_init (SkApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = sk_application_dispose;
  app_class->local_command_line = sk_application_local_command_line;
  app_class->startup = sk_application_startup;
  app_class->activate = sk_application_activate;
}

static void
sk_application_init (SkApplication *self)
{
  self->edge = GTK_POS_BOTTOM;
  self->dim_seconds = DEFAULT_DIM_SECONDS;
}

SkApplication *
sk_application_new (void)
{
  /* NON_UNIQUE: one screen, and a second start is a mistake to see, not
   * a window to raise in the first */
  return g_object_new (SK_TYPE_APPLICATION, "application-id", "org.soundscape.Kiosk", "flags",
                       G_APPLICATION_NON_UNIQUE, NULL);
}
