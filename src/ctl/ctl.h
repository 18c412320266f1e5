/* ctl.h: what the files of soundscape-ctl share: the --db option, the
 * one-line error, opening the database, option parsing, the queue printout,
 * and one entry point per command (each in the file of its group). */
#pragma once

#include <stdio.h>

#include "sk-engine.h"
#include "sk-store.h"

G_BEGIN_DECLS

#define EXIT_USAGE 2

extern char *opt_db;
extern gboolean opt_session;

int fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2);
/* fail, for a command line that is wrong: EXIT_USAGE */
#define fail_usage(...) (fail (__VA_ARGS__), EXIT_USAGE)
/* The end of an import, local or through soundscaped: "Imported N songs"
 * on stdout, with "; M files refused" when files were (each named on
 * stderr before, with fail); EXIT_FAILURE then. */
int ctl_import_summary (guint imported, guint refused);
/* Only init and demo create a database (SK_STORE_OPEN_CREATE); reading
 * commands open it SK_STORE_OPEN_READ_ONLY and never write. */
SkStore *open_store (SkStoreOpenFlags flags);
SkEngine *open_engine (SkStoreOpenFlags flags);
/* What a command reaches, and so which of the options --db and --session
 * it offers: a command is given only those it uses. */
typedef enum
{
  CTL_REACHES_NOTHING = 0,
  CTL_REACHES_DB = 1 << 0,  /* the database file: --db */
  CTL_REACHES_BUS = 1 << 1, /* soundscaped, when it runs: --session */
} CtlReaches;

/* A command of soundscape-ctl (the table is soundscape-ctl.c's). */
typedef struct
{
  const char *name;
  const char *args;    /* in the list of commands */
  const char *summary; /* in the list of commands */
  int (*run) (int argc, char **argv);
  int min_args, max_args;
  CtlReaches reaches;
  const char *help;  /* its own --help */
  const char *usage; /* its arguments there, when not @args */
} CtlCommand;

/* The command named @name, or NULL. */
const CtlCommand *ctl_command_find (const char *name);
/* Parses the options of the command (*@argv)[0]: --db and --session (those
 * of them it reaches; the other one given is refused in a sentence) and
 * @entries (a G_OPTION_ARG_INT one is a count: a negative one is refused);
 * prints its usage on --help. Returns -1 to go on, or an exit
 * code. */
int parse_options (int *argc, char ***argv, GOptionEntry *entries);
/* The --pin option of the commands that change the kiosk. */
GOptionEntry ctl_pin_option (char **pin);
/* Runs @loop until it quits, or until SIGINT or SIGTERM quits it: TRUE
 * when one of these did. */
gboolean ctl_run_loop (GMainLoop *loop);
char *format_vec_short (const char *stored);
void print_queue (SkEngine *engine, gboolean as_json);

/* ctl-library.c */
int cmd_init (int argc, char **argv);
int cmd_import (int argc, char **argv);
int cmd_songs (int argc, char **argv);
int cmd_cache (int argc, char **argv);
/* ctl-listeners.c */
int cmd_tap (int argc, char **argv);
int cmd_join (int argc, char **argv);
int cmd_enroll (int argc, char **argv);
int cmd_vote_or_check_out (int argc, char **argv);
int cmd_next (int argc, char **argv);
int cmd_queue (int argc, char **argv);
int cmd_status (int argc, char **argv);
/* ctl-config.c */
int cmd_config (int argc, char **argv);
/* ctl-nfc.c */
int cmd_nfc_test (int argc, char **argv);
/* ctl-cases.c */
int cmd_rank (int argc, char **argv);
int cmd_taste_step (int argc, char **argv);
/* ctl-demo.c */
int cmd_demo (int argc, char **argv);
/* ctl-bus.c: soundscaped's D-Bus API, when it runs. The proxy if
 * soundscaped owns its name (on the session bus with --session) and no
 * --db names a file (@required: whatever --db says); else NULL, with why
 * in @error. */
typedef struct _SkDBusKiosk1 SkDBusKiosk1;
SkDBusKiosk1 *ctl_bus_kiosk (gboolean required, GError **error);
/* The way a command reaches the kiosk: soundscaped's proxy in *@kiosk when
 * it runs (ctl_bus_kiosk, not required), else the database opened with
 * @flags in *@engine. FALSE, the error printed, when neither opens. */
gboolean open_kiosk_or_engine (SkDBusKiosk1 **kiosk, SkEngine **engine, SkStoreOpenFlags flags);
/* The start of most commands: parse_options, then open_kiosk_or_engine
 * (only the database, open_engine, when @kiosk is NULL). -1 to go on, else
 * the exit code (the error printed). */
int parse_options_and_open (int *argc,
                            char ***argv,
                            GOptionEntry *entries,
                            SkDBusKiosk1 **kiosk,
                            SkEngine **engine,
                            SkStoreOpenFlags flags);
/* A failed call's D-Bus error as the sentence soundscaped gave, after
 * "@command: " on stderr (fail): EXIT_FAILURE. */
int ctl_bus_fail_call (const char *command, GError *error);
int ctl_bus_tap (SkDBusKiosk1 *kiosk, const char *uid);
/* @command "vote" (a rating @value) or "checkout" */
int
ctl_bus_vote_or_check_out (SkDBusKiosk1 *kiosk, const char *command, const char *uid, int value);
int ctl_bus_join (SkDBusKiosk1 *kiosk, const char *uid, const char *display_name);
int ctl_bus_queue (SkDBusKiosk1 *kiosk);
int ctl_bus_status (SkDBusKiosk1 *kiosk);
/* The manager's: Unlock with @pin (NULL: asked on a terminal), then Skip,
 * or SetSetting @key to @value (NULL: the default). */
int ctl_bus_next (SkDBusKiosk1 *kiosk, const char *pin);
/* Unlock with @pin (NULL: asked on a terminal) for @command; *@relock says
 * whether to Lock after (ctl_bus_relock). FALSE with the error printed. */
gboolean ctl_bus_unlock (
    SkDBusKiosk1 *kiosk, const char *command, const char *pin, gboolean *relock, int *rc);
void ctl_bus_relock (SkDBusKiosk1 *kiosk, gboolean relock);
/* ctl-bus-manage.c: Import of @dir by soundscaped, its progress printed
 * until it ends; the badge @uid enrolled by a tap over the bus. */
int ctl_bus_import (SkDBusKiosk1 *kiosk, const char *pin, const char *dir);
int ctl_bus_enroll (
    SkDBusKiosk1 *kiosk, const char *pin, const char *uid, const char *name, const char *role);
int ctl_bus_config (SkDBusKiosk1 *kiosk, const char *pin, const char *key, const char *value);
int cmd_watch (int argc, char **argv);
/* ctl-sync.c: sync status|now, and the sync's line of status */
int cmd_sync (int argc, char **argv);
void ctl_bus_print_sync (SkDBusKiosk1 *kiosk);
/* ctl-db.c: the cloud schema on PostgreSQL */
int cmd_db (int argc, char **argv);
/* ctl-play.c */
int cmd_play (int argc, char **argv);
int cmd_run (int argc, char **argv);

G_END_DECLS
