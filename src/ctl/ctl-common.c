/* ctl-common.c: what every command of soundscape-ctl uses. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-taste.h"
#include "sk-util.h"

char *opt_db = NULL;

int
fail (const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* one line, whatever the message holds */
  g_strdelimit (msg, "\n\r", ' ');
  fprintf (stderr, "soundscape-ctl: %s\n", msg);
  return EXIT_FAILURE;
}

SkStore *
open_store (SkStoreOpenFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = opt_db ? g_strdup (opt_db) : sk_store_default_path ();
  SkStore *store = sk_store_open_full (path, flags, &error);

  if (store == NULL)
    fail ("%s", error->message);
  return store;
}

SkEngine *
open_engine (SkStoreOpenFlags flags)
{
  g_autoptr (SkStore) store = open_store (flags);
  g_autoptr (GError) error = NULL;
  SkEngine *engine;

  if (store == NULL)
    return NULL;
  engine = sk_engine_new (store, &error);
  if (engine == NULL)
    fail ("%s", error->message);
  return engine;
}

gboolean
open_kiosk_or_engine (SkDBusKiosk1 **kiosk, SkEngine **engine, SkStoreOpenFlags flags)
{
  *kiosk = ctl_bus_kiosk (FALSE, NULL);
  if (*kiosk != NULL)
    return TRUE;
  *engine = open_engine (flags);
  return *engine != NULL;
}

int
ctl_import_summary (guint imported, guint refused)
{
  printf ("Imported %u song%s", imported, imported == 1 ? "" : "s");
  if (refused == 0)
    {
      printf ("\n");
      return EXIT_SUCCESS;
    }
  printf ("; %u file%s refused\n", refused, refused == 1 ? "" : "s");
  return EXIT_FAILURE;
}

int
parse_options_and_open (int *argc,
                        char ***argv,
                        GOptionEntry *entries,
                        SkDBusKiosk1 **kiosk,
                        SkEngine **engine,
                        SkStoreOpenFlags flags)
{
  int rc = parse_options (argc, argv, entries);

  if (rc >= 0)
    return rc;
  if (kiosk != NULL)
    return open_kiosk_or_engine (kiosk, engine, flags) ? -1 : EXIT_FAILURE;
  *engine = open_engine (flags);
  return *engine != NULL ? -1 : EXIT_FAILURE;
}

GOptionEntry
ctl_pin_option (char **pin)
{
  static const char
      help[] = "The admin PIN for a change, when soundscaped runs (else asked on a terminal)";
  GOptionEntry entry = { "pin", 0, 0, G_OPTION_ARG_STRING, pin, help, "PIN" };

  return entry;
}

static gboolean
is_negative_number (const char *arg)
{
  return arg[0] == '-' && (g_ascii_isdigit (arg[1]) || (arg[1] == '.' && g_ascii_isdigit (arg[2])));
}

/* "--name VALUE" with VALUE in the next argument */
static gboolean
takes_value (const GOptionEntry *entries, const char *arg)
{
  if (entries == NULL || !g_str_has_prefix (arg, "--") || strchr (arg, '=') != NULL)
    return FALSE;
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    if (strcmp (arg + 2, e->long_name) == 0)
      return e->arg != G_OPTION_ARG_NONE;
  return FALSE;
}

/* A negative number in the place of an
 * argument ("vote UID -1", "config loudness_target_lufs -20") is an
 * argument, for the command to judge, not an unknown option. */
int
parse_options (int *argc, char ***argv, GOptionEntry *entries)
{
  const CtlCommand *command = ctl_command_find ((*argv)[0]);
  const char *name = command->name;
  const char *args = command->usage != NULL ? command->usage : command->args;
  g_autofree char *prgname = g_strdup_printf ("soundscape-ctl %s", name);
  g_autoptr (GOptionContext) ctx = g_option_context_new (*args ? args : NULL);
  g_autoptr (GError) error = NULL;
  const GOptionEntry db = { "db",    0,
                            0,       G_OPTION_ARG_FILENAME,
                            &opt_db, "The database file (default: the state directory)",
                            "PATH" };
  const GOptionEntry session = { "session",
                                 0,
                                 0,
                                 G_OPTION_ARG_NONE,
                                 &opt_session,
                                 "Reach soundscaped on the session bus, not the system bus",
                                 NULL };
  GOptionEntry common[3] = { { NULL } };
  guint n_common = 0;

  static char hidden[] = "\x01";
  g_autoptr (GPtrArray) negative = g_ptr_array_new ();
  gboolean parsed;

  /* GOption's usage line is "PRGNAME [OPTION…] ARGS", and the program's
   * name would otherwise be the command's alone (argv[0] here):
   * "soundscape-ctl tap [OPTION…] UID", as it is typed */
  g_set_prgname (prgname);
  g_option_context_set_summary (ctx, command->help);
  /* --db and --session only where they do something; given elsewhere,
   * they are refused with why, not taken and ignored */
  if (command->reaches & CTL_REACHES_DB)
    common[n_common++] = db;
  if (command->reaches & CTL_REACHES_BUS)
    common[n_common++] = session;
  for (int i = 1; i < *argc && strcmp ((*argv)[i], "--") != 0; i++)
    {
      const char *arg = (*argv)[i];

      if (!(command->reaches & CTL_REACHES_DB) &&
          (strcmp (arg, "--db") == 0 || g_str_has_prefix (arg, "--db=")))
        return fail_usage ("%s: --db does nothing here: %s opens no database file%s", name, name,
                           (command->reaches & CTL_REACHES_BUS) ? ", only soundscaped (--session)"
                                                                : "");
      if (!(command->reaches & CTL_REACHES_BUS) && strcmp (arg, "--session") == 0)
        return fail_usage ("%s: --session does nothing here: %s never reaches soundscaped%s", name,
                           name,
                           (command->reaches & CTL_REACHES_DB) ? ", only the database file (--db)"
                                                               : "");
    }
  g_option_context_add_main_entries (ctx, common, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);

  /* hidden from the parser by a placeholder, put back in their places */
  for (int i = 1; i < *argc; i++)
    {
      const char *prev = (*argv)[i - 1];

      if (is_negative_number ((*argv)[i]) &&
          !(i > 1 && (takes_value (common, prev) || takes_value (entries, prev))))
        {
          g_ptr_array_add (negative, (*argv)[i]);
          (*argv)[i] = hidden;
        }
    }
  parsed = g_option_context_parse (ctx, argc, argv, &error);
  for (int i = 1, k = 0; i < *argc && k < (int) negative->len; i++)
    if ((*argv)[i] == hidden)
      (*argv)[i] = negative->pdata[k++];
  if (!parsed)
    return fail_usage ("%s: %s", name, error->message);
  /* argv[0] is the subcommand */
  if (*argc - 1 < command->min_args || *argc - 1 > command->max_args)
    return fail_usage ("%s: expected %s (see “soundscape-ctl %s --help”)", name,
                       *args ? args : "no arguments", name);
  /* every whole-number option (nfc-test --count, run --tracks) is a count */
  for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
    if (e->arg == G_OPTION_ARG_INT && *(int *) e->arg_data < 0)
      return fail_usage ("%s: --%s takes a number of 0 or more, not %d", name, e->long_name,
                         *(int *) e->arg_data);
  return -1;
}

typedef struct
{
  GMainLoop *loop;
  gboolean interrupted;
} Interrupt;

static gboolean
on_interrupt (gpointer data)
{
  Interrupt *i = data;

  i->interrupted = TRUE;
  g_main_loop_quit (i->loop);
  return G_SOURCE_CONTINUE;
}

gboolean
ctl_run_loop (GMainLoop *loop)
{
  Interrupt i = { loop, FALSE };
  guint sigint = g_unix_signal_add (SIGINT, on_interrupt, &i);
  guint sigterm = g_unix_signal_add (SIGTERM, on_interrupt, &i);

  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return i.interrupted;
}

/* Three decimals are what a person reads; the database keeps them all. */
char *
format_vec_short (const char *stored)
{
  double v[SK_DIM];
  GString *s;

  if (stored == NULL || !sk_vec_parse (stored, v, NULL))
    return g_strdup (stored != NULL ? stored : "-");
  s = g_string_new ("[");
  for (guint i = 0; i < SK_DIM; i++)
    g_string_append_printf (s, "%s%.3f", i > 0 ? ", " : "", v[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

void
print_queue (SkEngine *engine, gboolean as_json)
{
  const SkQueueEntry *q;
  guint n;

  q = sk_engine_get_queue (engine, &n);
  if (as_json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "queue");
      json_builder_begin_array (b);
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *title = sk_engine_dup_song_title (engine, q[i].song_id);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "song_id");
          json_builder_add_string_value (b, q[i].song_id);
          json_builder_set_member_name (b, "title");
          json_builder_add_string_value (b, title);
          json_builder_set_member_name (b, "score");
          json_builder_add_double_value (b, q[i].score);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
      return;
    }
  if (n == 0)
    printf ("  (the queue is empty)\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = sk_engine_dup_song_title (engine, q[i].song_id);

      printf ("  %u. %-28s %+.4f\n", i + 1, title, q[i].score);
    }
}
