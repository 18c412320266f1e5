/* soundscape-kiosk-session: the touchscreen's session, as
 * soundscape-kiosk.service starts it on tty1.
 *
 * Reads the [screen] group of kiosk.conf (sk-config.h) and becomes
 *   cage -d [-r …] -- soundscape-kiosk --reader-edge EDGE [--dim-after S]
 * with one -r for each 90° of [screen] rotation (cage 0.1.4 turns its
 * output clockwise; it has no output management for a client to do it).
 * Blanking: cage never blanks the screen, the app dims itself after
 * [screen] dim-after, and the console of the terminal this runs on (tty1)
 * is told not to blank, so that nothing blanks while the screen restarts.
 *
 *   --config FILE   another kiosk.conf, which must be there (default: as
 *                   soundscaped's, which may be missing)
 *   --print         print the command instead of running it
 *   -- APP …        run APP … under cage instead of soundscape-kiosk (the
 *                   [screen] options are added to it)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "sk-config.h"

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean print = FALSE;
  g_auto (GStrv) app = NULL;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "kiosk.conf to read", "FILE" },
    { "print", 0, 0, G_OPTION_ARG_NONE, &print, "Print the command; do not run it", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &app, NULL, "[-- APP …]" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— the kiosk's screen under cage");
  g_autoptr (GError) error = NULL;
  g_autoptr (SkConfig) config = sk_config_new ();
  g_autoptr (GPtrArray) command = g_ptr_array_new_with_free_func (g_free);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "soundscape-kiosk-session: %s\n", error->message);
      return 2;
    }
  /* as soundscaped: the default kiosk.conf may be missing, one named by
   * --config must be there */
  if (!sk_config_load_named (config, config_path, &error))
    {
      fprintf (stderr, "soundscape-kiosk-session: %s\n", error->message);
      return 1;
    }

  g_ptr_array_add (command, g_strdup ("cage"));
  g_ptr_array_add (command, g_strdup ("-d")); /* no window decorations */
  for (guint i = 0; i < config->rotation / 90; i++)
    g_ptr_array_add (command, g_strdup ("-r"));
  g_ptr_array_add (command, g_strdup ("--"));
  if (app != NULL && app[0] != NULL)
    for (guint i = 0; app[i] != NULL; i++)
      g_ptr_array_add (command, g_strdup (app[i]));
  else
    g_ptr_array_add (command, g_strdup (SK_KIOSK_APP));
  g_ptr_array_add (command, g_strdup ("--reader-edge"));
  g_ptr_array_add (command, g_strdup (sk_config_edge_to_string (config->reader_edge)));
  if (config->dim_after >= 0)
    g_ptr_array_add (command, g_strdup_printf ("--dim-after=%d", config->dim_after));
  g_ptr_array_add (command, NULL);

  if (print)
    {
      g_autofree char *line = g_strjoinv (" ", (char **) command->pdata);

      printf ("%s\n", line);
      return 0;
    }
  /* setterm's "blank 0": only where the terminal is a console */
  if (isatty (STDIN_FILENO))
    {
      static const char no_blank[] = "\033[9;0]";

      if (write (STDIN_FILENO, no_blank, sizeof no_blank - 1) < 0)
        g_message ("could not turn console blanking off: %s", g_strerror (errno));
    }
  execvp ("cage", (char **) command->pdata);
  fprintf (stderr, "soundscape-kiosk-session: cannot run cage: %s\n", g_strerror (errno));
  return 127;
}
