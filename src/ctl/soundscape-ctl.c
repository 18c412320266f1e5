/* soundscape-ctl: the command line for installers and managers.
 *
 * Each subcommand opens the database (--db, default the state directory),
 * does one thing through SkEngine, the same path the kiosk uses, and prints
 * the result. Errors are one line on stderr and a non-zero exit:
 * 1 for a failure, 2 for a mistake on the command line. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-util.h"

typedef struct
{
  const char *name;
  const char *args;
  const char *summary;
  int (*run) (int argc, char **argv);
} Command;

static const Command commands[] = {
  { "init", "", "Create or upgrade the database", cmd_init },
  { "import", "DIR", "Import audio files with JSON sidecars", cmd_import },
  { "songs", "", "List the library", cmd_songs },
  { "cache", "[--fetch]", "List the media cache, or download songs (by id) into it", cmd_cache },
  { "tap", "UID", "Simulate a badge tap", cmd_tap },
  { "join", "UID", "Make an unknown badge a guest and check it in", cmd_join },
  { "enroll", "UID NAME", "Give a badge to a named listener or manager", cmd_enroll },
  { "vote", "UID N", "Rate the track playing 1–5", cmd_vote },
  { "checkout", "UID", "Check a listener out", cmd_checkout },
  { "next", "", "Start the next track of the queue", cmd_next },
  { "queue", "", "Show what plays next", cmd_queue },
  { "status", "", "Show the player, listeners and queue", cmd_status },
  { "watch", "", "Print the kiosk's events live (needs soundscaped)", cmd_watch },
  { "nfc-test", "", "Check the NFC reader: print the cards it sees", cmd_nfc_test },
  { "rank", "CASE.json", "Evaluate a rank case file", cmd_rank },
  { "taste-step", "CASE.json", "Evaluate a vote case file", cmd_taste_step },
  { "config", "[KEY [VALUE]]", "Show or change the settings", cmd_config },
  { "demo", "", "Drive the engine with demo badges", cmd_demo },
  { "play", "FILE...", "Play audio files (--pcm, --crossfade, --volume)", cmd_play },
  { "run", "", "Play the queue as the kiosk does (--pcm, --tracks)", cmd_run },
  { "db", "migrate|status", "Apply or show the cloud schema (--url)", cmd_db },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: soundscape-ctl COMMAND [--db PATH] [ARGS…]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %-14s %s\n", commands[i].name, commands[i].args, commands[i].summary);
  fprintf (out, "\n“soundscape-ctl COMMAND --help” describes each one.\n");
}

int
main (int argc, char **argv)
{
  int rc = EXIT_USAGE;

  setlocale (LC_ALL, "");
  sk_i18n_init ();

  if (argc < 2)
    {
      usage (stderr);
      return EXIT_USAGE;
    }
  /* "--db PATH" may also come before the command: put it after. */
  if (argc >= 4 && strcmp (argv[1], "--db") == 0)
    {
      char *db = argv[1], *path = argv[2];

      argv[1] = argv[3];
      argv[2] = db;
      argv[3] = path;
    }
  else if (argc >= 3 && g_str_has_prefix (argv[1], "--db="))
    {
      char *db = argv[1];

      argv[1] = argv[2];
      argv[2] = db;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return EXIT_SUCCESS;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("soundscape-ctl %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        rc = commands[i].run (argc - 1, argv + 1);
        g_clear_pointer (&opt_db, g_free);
        return rc;
      }
  fail ("unknown command “%s” (see “soundscape-ctl --help”)", argv[1]);
  return EXIT_USAGE;
}
