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

/* Every command: its line in the list of commands, the function that runs
 * it, how many arguments it takes, and its own --help. */
static const CtlCommand commands[] = {
  { "init", "", "Create or upgrade the database", cmd_init, 0, 0, CTL_REACHES_DB,
    "Create or upgrade the database." },
  { "import", "DIR", "Import audio files with JSON sidecars", cmd_import, 1, 1,
    CTL_REACHES_DB | CTL_REACHES_BUS,
    "Import audio files (WAV, FLAC, OGG, Opus, MP3), each with a JSON sidecar\n"
    "NAME.json: {\"title\", \"artist\", \"type\", \"embedding\": [5 numbers in 0..1], \"bpm\"}.\n"
    "Bad files are named with the reason and nothing of them is stored.\n"
    "When soundscaped runs, it imports the directory (it must be able to read it)." },
  { "songs", "", "List the library", cmd_songs, 0, 0, CTL_REACHES_DB, "List the library." },
  { "cache", "[--fetch]", "List the media cache, or download songs (by id) into it", cmd_cache, 0,
    G_MAXINT, CTL_REACHES_DB, "List the media cache (downloaded songs), or fill it.",
    "[--fetch SONG_ID…]" },
  { "tap", "UID", "Simulate a badge tap", cmd_tap, 1, 1, CTL_REACHES_DB | CTL_REACHES_BUS,
    "Simulate a badge tap: check a listener in (or extend), exactly as the reader does." },
  { "join", "UID", "Make an unknown badge a guest and check it in", cmd_join, 1, 1,
    CTL_REACHES_DB | CTL_REACHES_BUS,
    "Make an unknown badge a guest (neutral taste) and check it in." },
  { "enroll", "UID NAME", "Give a badge to a named listener or manager", cmd_enroll, 2, 2,
    CTL_REACHES_DB | CTL_REACHES_BUS, "Give a badge to a named listener (optionally a manager)." },
  { "vote", "UID N", "Rate the track playing 1–5", cmd_vote_or_check_out, 2, 2,
    CTL_REACHES_DB | CTL_REACHES_BUS,
    "Rate the track playing now 1–5 for the listener with this badge." },
  { "checkout", "UID", "Check a listener out", cmd_vote_or_check_out, 1, 1,
    CTL_REACHES_DB | CTL_REACHES_BUS, "Check a listener out now." },
  { "next", "", "Start the next track of the queue", cmd_next, 0, 0,
    CTL_REACHES_DB | CTL_REACHES_BUS,
    "Start the queue's head as the track playing (what the player does at a "
    "track start); when soundscaped runs, skip the track it plays." },
  { "queue", "", "Show what plays next", cmd_queue, 0, 0, CTL_REACHES_DB | CTL_REACHES_BUS,
    "Show what plays next, best first." },
  { "status", "", "Show the player, listeners and queue", cmd_status, 0, 0,
    CTL_REACHES_DB | CTL_REACHES_BUS, "Show the player, who is present and the queue." },
  { "watch", "", "Print the kiosk's events live (needs soundscaped)", cmd_watch, 0, 0,
    CTL_REACHES_BUS,
    "Print what happens at the kiosk as it happens (taps, votes, tracks, "
    "skips, errors) until Ctrl-C. Needs soundscaped running." },
  { "nfc-test", "", "Check the NFC reader: print the cards it sees", cmd_nfc_test, 0, 0,
    CTL_REACHES_DB,
    "Check the NFC reader: print its name, then each card's UID, ATQA, SAK\n"
    "and time, until --count taps or Ctrl-C. Stop the kiosk first: two\n"
    "programs cannot share a reader." },
  { "rank", "CASE.json", "Evaluate a rank case file", cmd_rank, 1, 1, CTL_REACHES_NOTHING,
    "Evaluate a case file of tests/data/ and print the result as JSON." },
  { "taste-step", "CASE.json", "Evaluate a vote case file", cmd_taste_step, 1, 1,
    CTL_REACHES_NOTHING, "Evaluate a case file of tests/data/ and print the result as JSON." },
  { "config", "[KEY [VALUE]]", "Show or change the settings", cmd_config, 0, 2,
    CTL_REACHES_DB | CTL_REACHES_BUS,
    "Show the settings, one setting, or change one (checked against its range)." },
  { "demo", "", "Drive the engine with demo badges", cmd_demo, 0, 0, CTL_REACHES_DB,
    "Demo mode: demo badges tap and vote from the keyboard, the queue follows.\n"
    "Without a terminal (or with --script) it runs a short walk-through." },
  { "play", "FILE...", "Play audio files (--pcm, --crossfade, --volume)", cmd_play, 1, G_MAXINT,
    CTL_REACHES_DB,
    "Play audio files through the kiosk's player, one after the other, "
    "each measured first and played at the kiosk's loudness (the setting "
    "loudness_target_lufs of --db or the state directory's database, "
    "else -23 LUFS).",
    "FILE…" },
  { "run", "", "Play the queue as the kiosk does (--pcm, --tracks)", cmd_run, 0, 0, CTL_REACHES_DB,
    "Play the queue as the kiosk does: the engine's playback, the media "
    "cache and the settings (crossfade_seconds, volume, "
    "loudness_target_lufs). Ctrl-C stops." },
  { "sync", "status|now", "Show the cloud sync, or sync now (needs soundscaped for now)", cmd_sync,
    1, 1, CTL_REACHES_DB | CTL_REACHES_BUS,
    "Show the cloud sync of the running soundscaped: its state, the last\n"
    "success, the changes waiting and the last error; or start a sync round\n"
    "now and show how it ended. Without soundscaped, status counts the\n"
    "changes waiting in the database." },
  { "db", "migrate|status", "Apply or show the cloud schema (--url)", cmd_db, 1, 1,
    CTL_REACHES_NOTHING,
    "Apply the cloud schema (sql/) to a PostgreSQL database, or show which "
    "of its migrations the database has" },
};

const CtlCommand *
ctl_command_find (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

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
  const CtlCommand *command;
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
  command = ctl_command_find (argv[1]);
  if (command != NULL)
    {
      rc = command->run (argc - 1, argv + 1);
      g_clear_pointer (&opt_db, g_free);
      return rc;
    }
  fail ("unknown command “%s” (see “soundscape-ctl --help”)", argv[1]);
  return EXIT_USAGE;
}
