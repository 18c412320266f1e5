/* ctl-demo.c: demo, demo badges driven from the keyboard. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "sk-demo.h"

/* --- demo --------------------------------------------------------------- */

static void
demo_do (SkEngine *engine, const char *line)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  if (sk_demo_command (engine, line, NULL, NULL, out) == SK_DEMO_NEXT)
    {
      if (!sk_engine_start_next (engine, NULL, &error))
        g_string_append_printf (out, "  %s\n", error->message);
      sk_demo_describe (engine, 5, out);
    }
  fputs (out->str, stdout);
}

int
cmd_demo (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *library = NULL;
  gboolean script = FALSE;
  const SkDemoBadge *badges;
  guint n_badges, n_imported = 0;
  GOptionEntry entries[] = { { "library", 0, 0, G_OPTION_ARG_FILENAME, &library,
                               "Import this folder of soundscapes first", "DIR" },
                             { "script", 0, 0, G_OPTION_ARG_NONE, &script,
                               "Run the scripted walk-through even on a terminal", NULL },
                             { NULL } };
  static const char *const walk[] = {
    "1", "v 1 5", "2", "v 2 1", "n", "v 1 2", "v 2 5", "o 1", "n", NULL,
  };
  int rc = parse_options_and_open (&argc, &argv, entries, NULL, &engine, SK_STORE_OPEN_CREATE);

  if (rc >= 0)
    return rc;

  if (!sk_demo_prepare (engine, library, &n_imported, &error))
    return fail ("demo: %s", error->message);
  if (n_imported > 0)
    printf ("Imported %u demo soundscapes from %s\n", n_imported, library);
  if (sk_engine_get_current_song (engine) == NULL && !sk_engine_start_next (engine, NULL, &error))
    return fail ("demo: %s", error->message);

  badges = sk_demo_get_badges (&n_badges);
  printf ("Demo badges:\n");
  for (guint i = 0; i < n_badges; i++)
    printf ("  %u  %s  %s\n", i + 1, badges[i].uid, badges[i].name);
  demo_do (engine, "s");

  if (script || !isatty (STDIN_FILENO))
    {
      for (guint i = 0; walk[i] != NULL; i++)
        demo_do (engine, walk[i]);
      return EXIT_SUCCESS;
    }

  demo_do (engine, "?");
  for (;;)
    {
      char line[256];

      printf ("> ");
      fflush (stdout);
      if (fgets (line, sizeof line, stdin) == NULL)
        break;
      g_strstrip (line);
      if (strcmp (line, "q") == 0)
        break;
      demo_do (engine, line);
    }
  return EXIT_SUCCESS;
}
