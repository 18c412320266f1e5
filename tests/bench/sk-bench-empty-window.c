/* sk-bench-empty-window.c: bench-app's baseline, an empty GTK window.
 *
 *   sk-bench-empty-window WIDTHxHEIGHT
 *
 * A GtkApplication (not unique, as soundscape-kiosk) with one empty
 * window of that size. After the paint of its first frame it writes the
 * line soundscape-kiosk writes with SK_KIOSK_FRAME_LOG set:
 *   sk-bench-empty-window: frame empty TIME
 * TIME in µs of CLOCK_MONOTONIC (g_get_monotonic_time); then it stays
 * until it is stopped, so that its resident set can be read. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <gtk/gtk.h>

static int width = 800, height = 480;

static void
on_after_paint (GdkFrameClock *clock, gpointer data)
{
  fprintf (stderr, "sk-bench-empty-window: frame empty %" G_GINT64_FORMAT "\n",
           g_get_monotonic_time ());
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, data);
}

static void
on_realize (GtkWidget *window, gpointer data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (on_after_paint),
                    NULL);
}

static void
on_activate (GApplication *app, gpointer data)
{
  GtkWidget *window = gtk_application_window_new (GTK_APPLICATION (app));

  g_signal_connect (window, "realize", G_CALLBACK (on_realize), NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_autoptr (GtkApplication) app = NULL;

  if (argc != 2 || sscanf (argv[1], "%dx%d", &width, &height) != 2 || width < 1 || height < 1)
    {
      fprintf (stderr, "usage: sk-bench-empty-window WIDTHxHEIGHT\n");
      return EXIT_FAILURE;
    }
  app = gtk_application_new ("org.soundscape.BenchEmptyWindow", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
