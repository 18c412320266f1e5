/* soundscape-ctl: the command line for installers and managers.
 *
 * Each subcommand opens the database (--db, default the state directory),
 * does one thing through SkEngine, the same path the kiosk uses, and prints
 * the result. Errors are one line on stderr and a non-zero exit:
 * 1 for a failure, 2 for a mistake on the command line. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sk-audio-player.h"
#include "sk-badge.h"
#include "sk-cases.h"
#include "sk-demo.h"
#include "sk-engine.h"
#include "sk-import.h"
#include "sk-media-cache.h"
#include "sk-nfc-reader.h"
#include "sk-playback.h"
#include "sk-settings.h"
#include "sk-taste.h"
#include "sk-util.h"

#define EXIT_USAGE 2

static char *opt_db = NULL;

typedef struct
{
  const char *name;
  const char *args;
  const char *summary;
  int (*run) (int argc, char **argv);
} Command;

static int
fail (const char *fmt,
      ...) G_GNUC_PRINTF (1, 2);

static int
fail (const char *fmt,
      ...)
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

static SkStore *
open_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = opt_db ? g_strdup (opt_db) : sk_store_default_path ();
  SkStore *store = sk_store_open (path, &error);

  if (store == NULL)
    fail ("%s", error->message);
  return store;
}

static SkEngine *
open_engine (void)
{
  g_autoptr(SkStore) store = open_store ();
  g_autoptr(GError) error = NULL;
  SkEngine *engine;

  if (store == NULL)
    return NULL;
  engine = sk_engine_new (store, &error);
  if (engine == NULL)
    fail ("%s", error->message);
  return engine;
}

/* Parse the options of one subcommand; prints usage on --help. Returns
 * -1 to go on, or an exit code. */
static int
parse_options (int            *argc,
               char         ***argv,
               const char     *name,
               const char     *args,
               const char     *summary,
               GOptionEntry   *entries,
               int             min_args,
               int             max_args)
{
  g_autofree char *param = g_strdup_printf ("%s %s", name, args);
  g_autoptr(GOptionContext) ctx = g_option_context_new (param);
  g_autoptr(GError) error = NULL;
  GOptionEntry common[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "The database file (default: the state directory)", "PATH" },
    { NULL }
  };

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, common, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fail ("%s: %s", name, error->message);
      return EXIT_USAGE;
    }
  /* argv[0] is the subcommand */
  if (*argc - 1 < min_args || *argc - 1 > max_args)
    {
      fail ("%s: expected %s (see “soundscape-ctl %s --help”)", name, *args ? args : "no arguments", name);
      return EXIT_USAGE;
    }
  return -1;
}

/* --- init, import, songs ------------------------------------------------ */

static int
cmd_init (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  int rc = parse_options (&argc, &argv, "init", "", "Create or upgrade the database.", NULL, 0, 0);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  printf ("Database %s ready (schema %d), player %s\n",
          sk_store_get_path (sk_engine_get_store (engine)),
          sk_store_get_schema_version (sk_engine_get_store (engine)),
          sk_engine_get_player_id (engine));
  return EXIT_SUCCESS;
}

static int
cmd_import (int argc, char **argv)
{
  g_autoptr(SkStore) store = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;
  int rc = parse_options (&argc, &argv, "import", "DIR",
                          "Import audio files (WAV, FLAC, OGG, Opus, MP3), each with a JSON sidecar\n"
                          "NAME.json: {\"title\", \"artist\", \"type\", \"embedding\": [5 numbers in 0..1], \"bpm\"}.\n"
                          "Bad files are named with the reason and nothing of them is stored.",
                          NULL, 1, 1);

  if (rc >= 0)
    return rc;
  store = open_store ();
  if (store == NULL)
    return EXIT_FAILURE;
  if (!sk_import_dir (store, argv[1], &n, &problems, &error))
    return fail ("import: %s", error->message);
  for (guint i = 0; i < problems->len; i++)
    {
      SkImportProblem *p = problems->pdata[i];

      fprintf (stderr, "soundscape-ctl: %s: %s\n", p->path, p->reason);
    }
  printf ("Imported %u song%s", n, n == 1 ? "" : "s");
  if (problems->len > 0)
    printf ("; %u file%s refused\n", problems->len, problems->len == 1 ? "" : "s");
  else
    printf ("\n");
  return problems->len > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Three decimals are what a person reads; the database keeps them all. */
static char *
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

static int
cmd_songs (int argc, char **argv)
{
  g_autoptr(SkStore) store = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  int step;
  int rc = parse_options (&argc, &argv, "songs", "", "List the library.", NULL, 0, 0);

  if (rc >= 0)
    return rc;
  store = open_store ();
  if (store == NULL)
    return EXIT_FAILURE;
  stmt = sk_store_prepare (store,
                           "SELECT id, title, coalesce(artist, ''), embedding, coalesce(duration, 0), playable "
                           "FROM songs ORDER BY title, id",
                           &error);
  if (stmt == NULL)
    return fail ("%s", error->message);
  while ((step = sk_store_step (store, stmt, &error)) == SQLITE_ROW)
    {
      g_autofree char *shown = format_vec_short (sk_store_column_text (stmt, 3));

      printf ("%s  %-28s %4ds  %s%s\n",
              sk_store_column_text (stmt, 0), sk_store_column_text (stmt, 1),
              sqlite3_column_int (stmt, 4), shown,
              sqlite3_column_int (stmt, 5) ? "" : "  (unplayable)");
    }
  sqlite3_reset (stmt);
  return step == SQLITE_DONE ? EXIT_SUCCESS : fail ("%s", error->message);
}

/* --- media cache -------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  char     *path;
  GError   *error;
} CtlFetch;

static void
on_cache_fetched (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CtlFetch *cf = user_data;

  cf->path = sk_media_cache_fetch_finish (SK_MEDIA_CACHE (source), result, &cf->error);
  cf->done = TRUE;
}

/* Downloads one song of the library into the cache; an installer's check
 * that the device reaches the venue's storage. */
static gboolean
cache_fetch_one (SkStore      *store,
                 SkMediaCache *cache,
                 const char   *song_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file_url = NULL;
  g_autofree char *sha256 = NULL;
  sqlite3_stmt *stmt;
  CtlFetch cf = { 0 };

  stmt = sk_store_prepare (store, "SELECT file_url, sha256 FROM songs WHERE id = ?1", &error);
  if (stmt == NULL)
    {
      fail ("%s", error->message);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, song_id, -1, SQLITE_STATIC);
  if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
    {
      file_url = g_strdup (sk_store_column_text (stmt, 0));
      sha256 = g_strdup (sk_store_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (file_url == NULL)
    {
      fail ("cache: no song has the id “%s”", song_id);
      return FALSE;
    }

  sk_media_cache_fetch_async (cache, song_id, file_url, sha256, -1, NULL, on_cache_fetched, &cf);
  /* The session's own timeouts bound this wait. */
  while (!cf.done)
    g_main_context_iteration (NULL, TRUE);
  if (cf.error != NULL)
    {
      fail ("%s", cf.error->message);
      g_error_free (cf.error);
      return FALSE;
    }
  printf ("%s  %s\n", song_id, cf.path);
  g_free (cf.path);
  return TRUE;
}

static int
cmd_cache (int argc, char **argv)
{
  g_autoptr(SkStore) store = NULL;
  g_autoptr(SkMediaCache) cache = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  gboolean fetch = FALSE;
  gboolean ok = TRUE;
  sqlite3_stmt *stmt;
  int step;
  GOptionEntry entries[] = {
    { "fetch", 0, 0, G_OPTION_ARG_NONE, &fetch, "Download these songs into the cache first", NULL },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "cache", "[--fetch SONG_ID…]",
                          "List the media cache (downloaded songs), or fill it.",
                          entries, 0, G_MAXINT);

  if (rc >= 0)
    return rc;
  if (!fetch && argc > 1)
    {
      fail ("cache: song ids are only taken with --fetch");
      return EXIT_USAGE;
    }
  store = open_store ();
  if (store == NULL)
    return EXIT_FAILURE;
  dir = sk_media_cache_default_dir (store);
  cache = sk_media_cache_new (store, dir, 0);
  for (int i = 1; fetch && i < argc; i++)
    ok = cache_fetch_one (store, cache, argv[i]) && ok;
  if (fetch)
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;

  stmt = sk_store_prepare (store,
                           "SELECT song_id, bytes, coalesce(fetched_at, '—'), "
                           "  coalesce(last_played_at, '—'), path "
                           "FROM media "
                           "ORDER BY coalesce(last_played_at, fetched_at, '') DESC, song_id",
                           &error);
  if (stmt == NULL)
    return fail ("%s", error->message);
  while ((step = sk_store_step (store, stmt, &error)) == SQLITE_ROW)
    printf ("%s  %10" G_GINT64_FORMAT "  fetched %s  played %s  %s\n",
            sk_store_column_text (stmt, 0), (gint64) sqlite3_column_int64 (stmt, 1),
            sk_store_column_text (stmt, 2), sk_store_column_text (stmt, 3),
            sk_store_column_text (stmt, 4));
  sqlite3_reset (stmt);
  if (step != SQLITE_DONE)
    return fail ("%s", error->message);
  printf ("%" G_GUINT64_FORMAT " bytes in %s\n", sk_media_cache_get_used_bytes (cache), dir);
  return EXIT_SUCCESS;
}

/* --- listeners ---------------------------------------------------------- */

static void
print_queue (SkEngine *engine,
             gboolean  as_json)
{
  const SkQueueEntry *q;
  guint n;

  q = sk_engine_get_queue (engine, &n);
  if (as_json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
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

static int
cmd_tap (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  SkTapResult r = { 0 };
  int rc = parse_options (&argc, &argv, "tap", "UID",
                          "Simulate a badge tap: check a listener in (or extend), exactly as the reader does.",
                          NULL, 1, 1);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  if (!sk_engine_tap (engine, argv[1], &r, &error))
    return fail ("tap: %s", error->message);
  switch (r.kind)
    {
    case SK_TAP_UNKNOWN:
      printf ("Unknown badge %s: “soundscape-ctl join %s” makes it a guest\n", r.uid, r.uid);
      break;
    case SK_TAP_LISTENER:
    case SK_TAP_MANAGER:
      {
        g_autofree char *until = sk_time_format (r.expires_at);

        printf ("%s %s%s until %.19s\n", r.display_name,
                r.extended ? "extended" : "checked in",
                r.kind == SK_TAP_MANAGER ? " (manager)" : "", until);
        print_queue (engine, FALSE);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  sk_tap_result_clear (&r);
  return EXIT_SUCCESS;
}

static int
cmd_join (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Display name (default: a friendly generated one)", "NAME" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "join", "UID",
                          "Make an unknown badge a guest (neutral taste) and check it in.",
                          entries, 1, 1);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  id = sk_engine_join (engine, argv[1], name, &error);
  if (id == NULL)
    return fail ("join: %s", error->message);
  printf ("Guest %s joined and checked in\n", id);
  return EXIT_SUCCESS;
}

static int
cmd_enroll (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *role = NULL;
  g_autofree char *taste = NULL;
  double pref[SK_DIM];
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "manager or admin", "ROLE" },
    { "taste", 0, 0, G_OPTION_ARG_STRING, &taste, "Starting taste, e.g. [0.9,0.1,0.4,0.2,0.8]", "VECTOR" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "enroll", "UID NAME",
                          "Give a badge to a named listener (optionally a manager).", entries, 2, 2);

  if (rc >= 0)
    return rc;
  if (taste != NULL && !sk_vec_parse (taste, pref, &error))
    return fail ("enroll: --taste: %s", error->message);
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  id = sk_engine_enroll (engine, argv[1], argv[2], role, taste ? pref : NULL, &error);
  if (id == NULL)
    return fail ("enroll: %s", error->message);
  printf ("%s enrolled as %s\n", argv[2], id);
  return EXIT_SUCCESS;
}

static int
cmd_vote (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  guint64 value = 0;
  int rc = parse_options (&argc, &argv, "vote", "UID N",
                          "Rate the track playing now 1–5 for the listener with this badge.", NULL, 2, 2);

  if (rc >= 0)
    return rc;
  if (!g_ascii_string_to_unsigned (argv[2], 10, 1, 5, &value, NULL))
    {
      fail ("vote: a rating is a whole number from 1 to 5, not “%s”", argv[2]);
      return EXIT_USAGE;
    }
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  user = sk_engine_dup_user_for_uid (engine, argv[1], &error);
  if (user == NULL || !sk_engine_vote (engine, user, (int) value, &error))
    return fail ("vote: %s", error->message);
  printf ("Rated %d\n", (int) value);
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

static int
cmd_checkout (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  int rc = parse_options (&argc, &argv, "checkout", "UID", "Check a listener out now.", NULL, 1, 1);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  user = sk_engine_dup_user_for_uid (engine, argv[1], &error);
  if (user == NULL || !sk_engine_check_out (engine, user, &error))
    return fail ("checkout: %s", error->message);
  printf ("Checked out\n");
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

/* --- settings ----------------------------------------------------------- */

static void
print_setting (SkStore         *store,
               const SkSetting *setting,
               gboolean         verbose)
{
  g_autofree char *stored = sk_store_dup_setting (store, setting->key);
  g_autofree char *effective = NULL;

  switch (setting->kind)
    {
    case SK_SETTING_INT:
    case SK_SETTING_DOUBLE:
      effective = g_strdup_printf ("%g", sk_settings_get_double (store, setting->key));
      break;
    case SK_SETTING_VECTOR:
      {
        double v[SK_DIM];

        g_autofree char *text = NULL;

        sk_settings_get_vector (store, setting->key, v);
        text = sk_vec_format (v);
        effective = format_vec_short (text);
      }
      break;
    case SK_SETTING_STRING:
    case SK_SETTING_CHOICE:
    default:
      effective = sk_settings_dup_string (store, setting->key);
      break;
    }
  if (!verbose)
    {
      printf ("%s\n", effective);
      return;
    }
  printf ("%-22s %-24s %s%s\n", setting->key, *effective ? effective : "\"\"",
          setting->summary, stored == NULL ? " (default)" : "");
}

static int
cmd_config (int argc, char **argv)
{
  g_autoptr(SkStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gboolean reset = FALSE;
  const SkSetting *setting;
  GOptionEntry entries[] = {
    { "reset", 0, 0, G_OPTION_ARG_NONE, &reset, "Put KEY back to its default", NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) negative = g_ptr_array_new ();
  int rc;

  /* "-20" is a value (a loudness), not options: hide it from the parser */
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && (g_ascii_isdigit (argv[i][1]) || argv[i][1] == '.'))
      {
        g_ptr_array_add (negative, argv[i]);
        argv[i] = (char *) "\x01";
      }
  rc = parse_options (&argc, &argv, "config", "[KEY [VALUE]]",
                      "Show the settings, one setting, or change one (checked against its range).",
                      entries, 0, 2);
  for (int i = 1, k = 0; i < argc && k < (int) negative->len; i++)
    if (strcmp (argv[i], "\x01") == 0)
      argv[i] = negative->pdata[k++];
  if (rc >= 0)
    return rc;
  store = open_store ();
  if (store == NULL)
    return EXIT_FAILURE;
  if (argc == 1)
    {
      guint n;
      const SkSetting *all = sk_settings_list (&n);

      if (reset)
        return fail ("config: --reset needs a KEY");
      for (guint i = 0; i < n; i++)
        print_setting (store, &all[i], TRUE);
      return EXIT_SUCCESS;
    }
  setting = sk_settings_lookup (argv[1], &error);
  if (setting == NULL)
    return fail ("config: %s", error->message);
  if (argc == 3 && reset)
    return fail ("config: give a VALUE or --reset, not both");
  if (argc == 3 || reset)
    {
      if (!sk_settings_set (store, setting->key, reset ? NULL : argv[2], &error))
        return fail ("config: %s", error->message);
      printf ("%s = ", setting->key);
    }
  print_setting (store, setting, FALSE);
  return EXIT_SUCCESS;
}

/* --- playback state ----------------------------------------------------- */

static int
cmd_next (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *song = NULL;
  g_autofree char *title = NULL;
  int rc = parse_options (&argc, &argv, "next", "",
                          "Start the queue's head as the track playing (what the player does at a track start).",
                          NULL, 0, 0);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  if (!sk_engine_start_next (engine, &song, &error))
    return fail ("next: %s", error->message);
  title = sk_engine_dup_song_title (engine, song);
  printf ("Now playing: %s\n", title);
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

static int
cmd_queue (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "queue", "", "Show what plays next, best first.", entries, 0, 0);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  if (!sk_engine_refresh (engine, &error))
    return fail ("queue: %s", error->message);
  print_queue (engine, json);
  return EXIT_SUCCESS;
}

/* What the kiosk last reported of its reader: status never opens the
 * device (libnfc takes no lock: a second client would garble the kiosk's). */
static void
print_reader_status (SkStore *store)
{
  g_autofree char *device = sk_store_dup_setting (store, "nfc_device");
  g_autofree char *status = sk_store_dup_setting (store, "nfc_status");
  g_autofree char *model = sk_store_dup_setting (store, "nfc_model");
  g_autofree char *conn = sk_store_dup_setting (store, "nfc_connstring");
  g_autofree char *message = sk_store_dup_setting (store, "nfc_message");
  g_autofree char *at = sk_store_dup_setting (store, "nfc_status_at");

  if (device == NULL && status == NULL)
    return;
  printf ("Reader:    %s\n", device ? device : conn ? conn : "the first one found");
  if (status == NULL)
    {
      printf ("           no status reported yet (the kiosk has not run with it)\n");
      return;
    }
  printf ("           %s%s%s, as of %.19s\n", status,
          model || message ? ": " : "", model ? model : message ? message : "", at ? at : "?");
}

static int
cmd_status (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  SkStore *store;
  sqlite3_stmt *stmt;
  int songs = 0, outbox = 0;
  int rc = parse_options (&argc, &argv, "status", "", "Show the player, who is present and the queue.", NULL, 0, 0);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  if (!sk_engine_refresh (engine, &error))
    return fail ("status: %s", error->message);
  store = sk_engine_get_store (engine);
  stmt = sk_store_prepare (store, "SELECT (SELECT count(*) FROM songs), (SELECT count(*) FROM outbox)", &error);
  if (stmt == NULL)
    return fail ("status: %s", error->message);
  if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
    {
      songs = sqlite3_column_int (stmt, 0);
      outbox = sqlite3_column_int (stmt, 1);
    }
  sqlite3_reset (stmt);
  title = sk_engine_dup_song_title (engine, sk_engine_get_current_song (engine));
  printf ("Database:  %s\n", sk_store_get_path (store));
  printf ("Player:    %s\n", sk_engine_get_player_id (engine));
  printf ("Library:   %d songs\n", songs);
  printf ("Playing:   %s\n", sk_engine_get_current_song (engine) ? title : "nothing");
  printf ("Status:    %s\n", sk_engine_get_status (engine));
  printf ("Present:   %u listener%s\n", sk_engine_get_n_present (engine),
          sk_engine_get_n_present (engine) == 1 ? "" : "s");
  printf ("Unsynced:  %d change%s\n", outbox, outbox == 1 ? "" : "s");
  print_reader_status (store);
  printf ("Queue:\n");
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

/* --- nfc-test ----------------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  guint      count;
  guint      seen;
  gboolean   was_ready;
  int        rc;
} NfcTest;

static const char *
card_kind (guint atqa,
           guint sak)
{
  if (sak & 0x20)
    return "ISO 14443-4";
  if (sak == 0x00 && atqa == 0x0044)
    return "MIFARE Ultralight";
  if (sak == 0x08 || sak == 0x88)
    return "MIFARE Classic 1K";
  if (sak == 0x18)
    return "MIFARE Classic 4K";
  if (sak == 0x09)
    return "MIFARE Mini";
  return "ISO 14443-A";
}

static void
nfc_test_on_tap (SkNfcReader *reader,
                 const char  *uid,
                 guint        atqa,
                 guint        sak,
                 gint64       time,
                 NfcTest     *t)
{
  g_autofree char *when = sk_time_format (time);

  printf ("%s  UID %s  ATQA %04X  SAK %02X  %s\n", when, uid, atqa, sak, card_kind (atqa, sak));
  fflush (stdout);
  if (t->count > 0 && ++t->seen >= t->count)
    g_main_loop_quit (t->loop);
}

static void
nfc_test_on_status (SkNfcReader *reader,
                    NfcTest     *t)
{
  switch (sk_nfc_reader_get_status (reader))
    {
    case SK_NFC_STATUS_READY:
      printf ("Reader: %s\n", sk_nfc_reader_get_model (reader));
      if (!t->was_ready)
        printf ("Present a card (Ctrl-C to stop)\n");
      t->was_ready = TRUE;
      break;
    case SK_NFC_STATUS_ABSENT:
    case SK_NFC_STATUS_ERROR:
      if (!t->was_ready)
        {
          /* the installer's check: no reader at all is an answer, at once */
          t->rc = fail ("nfc-test: %s", sk_nfc_reader_get_message (reader));
          g_main_loop_quit (t->loop);
          return;
        }
      printf ("Reader lost: %s (reconnecting)\n", sk_nfc_reader_get_message (reader));
      break;
    case SK_NFC_STATUS_STARTING:
    default:
      break;
    }
  fflush (stdout);
}

static gboolean
nfc_test_on_signal (gpointer data)
{
  NfcTest *t = data;

  g_main_loop_quit (t->loop);
  return G_SOURCE_CONTINUE;
}

static void
nfc_test_quiet (const char     *domain,
                GLogLevelFlags  level,
                const char     *message,
                gpointer        data)
{
}

static int
cmd_nfc_test (int argc, char **argv)
{
  g_autoptr(SkNfcReader) reader = NULL;
  g_autofree char *device = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  NfcTest t = { 0 };
  gint count = 0;
  guint sigint, sigterm;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "libnfc connection string (default: the setting nfc_device, else the first reader found)",
      "CONNSTRING" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Stop after N taps", "N" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "nfc-test", "",
                          "Check the NFC reader: print its name, then each card's UID, ATQA, SAK\n"
                          "and time, until --count taps or Ctrl-C. Stop the kiosk first: two\n"
                          "programs cannot share a reader.",
                          entries, 0, 0);

  if (rc >= 0)
    return rc;
  if (count < 0)
    {
      fail ("nfc-test: --count takes a number of taps, not %d", count);
      return EXIT_USAGE;
    }
  if (device == NULL)
    {
      /* the configured reader, if a database is there to say so */
      g_autofree char *path = opt_db ? g_strdup (opt_db) : sk_store_default_path ();

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autoptr(SkStore) store = open_store ();

          if (store == NULL)
            return EXIT_FAILURE;
          device = sk_settings_dup_string (store, "nfc_device");
          if (g_strcmp0 (device, "none") == 0)
            return fail ("nfc-test: the kiosk is set to run without a badge reader "
                         "(nfc_device is “none”); name one with --device");
          if (*device == '\0')
            g_clear_pointer (&device, g_free);   /* the first reader found */
        }
    }

  /* this command says in its own words what the reader's log lines say */
  if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
    g_log_set_handler ("sk-nfc", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_WARNING,
                       nfc_test_quiet, NULL);
  loop = g_main_loop_new (NULL, FALSE);
  t.loop = loop;
  t.count = (guint) count;
  t.rc = EXIT_SUCCESS;
  reader = sk_nfc_reader_new (device);
  g_signal_connect (reader, "tap", G_CALLBACK (nfc_test_on_tap), &t);
  g_signal_connect (reader, "status-changed", G_CALLBACK (nfc_test_on_status), &t);
  sigint = g_unix_signal_add (SIGINT, nfc_test_on_signal, &t);
  sigterm = g_unix_signal_add (SIGTERM, nfc_test_on_signal, &t);
  sk_nfc_reader_start (reader);
  g_main_loop_run (loop);
  sk_nfc_reader_stop (reader);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return t.rc;
}

/* --- case files --------------------------------------------------------- */

static int
run_case (int          argc,
          char       **argv,
          const char  *name,
          JsonNode  *(*eval) (JsonNode *, GError **))
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  int rc = parse_options (&argc, &argv, name, "CASE.json",
                          "Evaluate a case file of tests/data/ and print the result as JSON.", NULL, 1, 1);

  if (rc >= 0)
    return rc;
  root = sk_json_load_object (argv[1], &error);
  if (root == NULL)
    return fail ("%s: %s", name, error->message);
  result = eval (root, &error);
  if (result == NULL)
    return fail ("%s: %s: %s", name, argv[1], error->message);
  json_generator_set_root (gen, result);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  return EXIT_SUCCESS;
}

static int
cmd_rank (int argc, char **argv)
{
  return run_case (argc, argv, "rank", sk_case_rank);
}

static int
cmd_taste_step (int argc, char **argv)
{
  return run_case (argc, argv, "taste-step", sk_case_taste_step);
}

/* --- demo --------------------------------------------------------------- */

static void
demo_do (SkEngine   *engine,
         const char *line)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  if (sk_demo_command (engine, line, out) == SK_DEMO_NEXT)
    {
      if (!sk_engine_start_next (engine, NULL, &error))
        g_string_append_printf (out, "  %s\n", error->message);
      sk_demo_describe (engine, 5, out);
    }
  fputs (out->str, stdout);
}

static int
cmd_demo (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *library = NULL;
  gboolean script = FALSE;
  const SkDemoBadge *badges;
  guint n_badges, n_imported = 0;
  GOptionEntry entries[] = {
    { "library", 0, 0, G_OPTION_ARG_FILENAME, &library, "Import this folder of soundscapes first", "DIR" },
    { "script", 0, 0, G_OPTION_ARG_NONE, &script, "Run the scripted walk-through even on a terminal", NULL },
    { NULL }
  };
  static const char *const walk[] = {
    "1", "v 1 5", "2", "v 2 1", "n", "v 1 2", "v 2 5", "o 1", "n", NULL,
  };
  int rc = parse_options (&argc, &argv, "demo", "",
                          "Demo mode: demo badges tap and vote from the keyboard, the queue follows.\n"
                          "Without a terminal (or with --script) it runs a short walk-through.",
                          entries, 0, 0);

  if (rc >= 0)
    return rc;
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;

  if (!sk_demo_prepare (engine, library, &n_imported, &error))
    return fail ("demo: %s", error->message);
  if (n_imported > 0)
    printf ("Imported %u demo soundscapes from %s\n", n_imported, library);
  if (sk_engine_get_current_song (engine) == NULL &&
      !sk_engine_start_next (engine, NULL, &error))
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

/* --- play --------------------------------------------------------------- */

typedef struct
{
  SkAudioPlayer *player;
  GMainLoop *loop;
  GPtrArray *failures;   /* one line each */
  gboolean interrupted;
  gboolean pcm_failed;
} Play;

static void
on_play_started (SkAudioPlayer *player,
                 guint64        track,
                 const char    *path,
                 Play          *play)
{
  g_autofree char *display = g_filename_display_name (path);

  printf ("playing %s\n", display);
  fflush (stdout);
}

static void
on_play_failed (SkAudioPlayer *player,
                guint64        track,
                const char    *path,
                const GError  *error,
                Play          *play)
{
  fail ("play: skipped: %s", error->message);
  g_ptr_array_add (play->failures, g_strdup (error->message));
}

static void
on_play_idle (SkAudioPlayer *player,
              Play          *play)
{
  /* everything played: let the device play its buffer out, then quit */
  sk_audio_player_stop (player, TRUE);
}

static void
on_play_pcm_error (SkAudioPlayer *player,
                   const GError  *error,
                   Play          *play)
{
  fail ("play: %s", error->message);
  play->pcm_failed = TRUE;
  g_main_loop_quit (play->loop);
}

static void
on_play_stopped (SkAudioPlayer *player,
                 Play          *play)
{
  g_main_loop_quit (play->loop);
}

static gboolean
on_play_signal (gpointer data)
{
  Play *play = data;

  if (!play->interrupted)
    fail ("play: interrupted");
  play->interrupted = TRUE;
  g_main_loop_quit (play->loop);
  return G_SOURCE_CONTINUE;
}

static int
cmd_play (int argc, char **argv)
{
  g_autoptr(SkAudioPlayer) player = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *pcm = NULL;
  double crossfade = 0.0, volume = 1.0;
  Play play = { 0 };
  guint sigint, sigterm;
  GOptionEntry entries[] = {
    { "pcm", 0, 0, G_OPTION_ARG_STRING, &pcm, "The ALSA PCM (default: “default”)", "NAME" },
    { "crossfade", 0, 0, G_OPTION_ARG_DOUBLE, &crossfade,
      "Seconds of crossfade between files, 0–12 (default 0: gapless)", "S" },
    { "volume", 0, 0, G_OPTION_ARG_DOUBLE, &volume, "Volume 0–1 (default 1)", "V" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "play", "FILE…",
                          "Play audio files through the kiosk's player, one after the other.",
                          entries, 1, G_MAXINT);

  if (rc >= 0)
    return rc;
  player = sk_audio_player_new (pcm != NULL ? pcm : "default");
  if (!sk_audio_player_set_crossfade (player, crossfade, &error)
      || !sk_audio_player_set_volume (player, volume, &error))
    {
      fail ("play: %s", error->message);
      return EXIT_USAGE;
    }
  for (int i = 1; i < argc; i++)
    sk_audio_player_append (player, argv[i], 0.0);

  loop = g_main_loop_new (NULL, FALSE);
  play.player = player;
  play.loop = loop;
  play.failures = failures;
  g_signal_connect (player, "track-started", G_CALLBACK (on_play_started), &play);
  g_signal_connect (player, "track-failed", G_CALLBACK (on_play_failed), &play);
  g_signal_connect (player, "idle", G_CALLBACK (on_play_idle), &play);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_play_pcm_error), &play);
  g_signal_connect (player, "stopped", G_CALLBACK (on_play_stopped), &play);
  sigint = g_unix_signal_add (SIGINT, on_play_signal, &play);
  sigterm = g_unix_signal_add (SIGTERM, on_play_signal, &play);
  if (!sk_audio_player_start (player, &error))
    rc = fail ("play: %s", error->message);
  else
    g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (player, &play);
  sk_audio_player_stop (player, FALSE);

  if (rc >= 0)
    return rc;
  if (play.interrupted)
    return 130;
  if (play.pcm_failed)
    return EXIT_FAILURE;
  if (failures->len > 0)
    return fail ("play: %u of %d files could not be played", failures->len, argc - 1);
  return EXIT_SUCCESS;
}

/* --- run --------------------------------------------------------------- */

typedef struct
{
  SkEngine   *engine;
  SkPlayback *playback;
  GMainLoop  *loop;
  guint       tracks;        /* stop after this many starts (0: never) */
  guint       started;
  gboolean    interrupted;
  gboolean    nothing;       /* idle with nothing that can ever play */
} Run;

static void
on_run_started (SkEngine   *engine,
                const char *song_id,
                const char *play_id,
                Run        *run)
{
  g_autofree char *title = sk_engine_dup_song_title (engine, song_id);

  printf ("playing %s\n", title);
  fflush (stdout);
  if (run->tracks > 0 && ++run->started >= run->tracks)
    g_main_loop_quit (run->loop);
}

static void
on_run_status (SkEngine   *engine,
               const char *status,
               const char *message,
               Run        *run)
{
  if (message == NULL)
    return;
  printf ("%s: %s\n", status, message);
  fflush (stdout);
  if (g_strcmp0 (status, "idle") == 0 && !sk_playback_is_waiting (run->playback))
    {
      run->nothing = TRUE;
      g_main_loop_quit (run->loop);
    }
}

static void
on_run_unplayable (SkPlayback *playback,
                   const char *song_id,
                   const char *reason,
                   Run        *run)
{
  g_autofree char *title = sk_engine_dup_song_title (run->engine, song_id);

  fail ("run: skipped %s: %s", title, reason);
}

static gboolean
on_run_signal (gpointer data)
{
  Run *run = data;

  run->interrupted = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static int
cmd_run (int argc, char **argv)
{
  g_autoptr(SkEngine) engine = NULL;
  g_autoptr(SkPlayback) playback = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pcm = NULL;
  int tracks = 0;
  Run run = { 0 };
  guint sigint, sigterm;
  GOptionEntry entries[] = {
    { "pcm", 0, 0, G_OPTION_ARG_STRING, &pcm, "The ALSA PCM (default: “default”)", "NAME" },
    { "tracks", 0, 0, G_OPTION_ARG_INT, &tracks, "Stop after this many tracks started", "N" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, "run", "",
                          "Play the queue as the kiosk does: the engine's playback, the media "
                          "cache and the settings (crossfade_seconds, volume, "
                          "loudness_target_lufs). Ctrl-C stops.",
                          entries, 0, 0);

  if (rc >= 0)
    return rc;
  if (tracks < 0)
    {
      fail ("run: --tracks is a number of tracks, not %d", tracks);
      return EXIT_USAGE;
    }
  engine = open_engine ();
  if (engine == NULL)
    return EXIT_FAILURE;
  playback = sk_playback_new (engine, NULL, pcm);
  loop = g_main_loop_new (NULL, FALSE);
  run.engine = engine;
  run.playback = playback;
  run.loop = loop;
  run.tracks = (guint) tracks;
  g_signal_connect (engine, "track-started", G_CALLBACK (on_run_started), &run);
  g_signal_connect (engine, "status-changed", G_CALLBACK (on_run_status), &run);
  g_signal_connect (playback, "song-unplayable", G_CALLBACK (on_run_unplayable), &run);
  sigint = g_unix_signal_add (SIGINT, on_run_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_run_signal, &run);
  if (!sk_playback_start (playback, &error))
    rc = fail ("run: %s", error->message);
  else if (!run.nothing)
    g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_signal_handlers_disconnect_by_data (engine, &run);
  sk_playback_stop (playback);

  if (rc >= 0)
    return rc;
  if (run.interrupted)
    {
      fail ("run: interrupted");
      return 130;
    }
  if (run.nothing)
    return EXIT_FAILURE;
  return EXIT_SUCCESS;
}

/* --- main --------------------------------------------------------------- */

static const Command commands[] = {
  { "init",       "",          "Create or upgrade the database", cmd_init },
  { "import",     "DIR",       "Import audio files with JSON sidecars", cmd_import },
  { "songs",      "",          "List the library", cmd_songs },
  { "cache",      "[--fetch]", "List the media cache, or download songs (by id) into it", cmd_cache },
  { "tap",        "UID",       "Simulate a badge tap", cmd_tap },
  { "join",       "UID",       "Make an unknown badge a guest and check it in", cmd_join },
  { "enroll",     "UID NAME",  "Give a badge to a named listener or manager", cmd_enroll },
  { "vote",       "UID N",     "Rate the track playing 1–5", cmd_vote },
  { "checkout",   "UID",       "Check a listener out", cmd_checkout },
  { "next",       "",          "Start the next track of the queue", cmd_next },
  { "queue",      "",          "Show what plays next", cmd_queue },
  { "status",     "",          "Show the player, listeners and queue", cmd_status },
  { "nfc-test",   "",          "Check the NFC reader: print the cards it sees", cmd_nfc_test },
  { "rank",       "CASE.json", "Evaluate a rank case file", cmd_rank },
  { "taste-step", "CASE.json", "Evaluate a vote case file", cmd_taste_step },
  { "config",     "[KEY [VALUE]]", "Show or change the settings", cmd_config },
  { "demo",       "",          "Drive the engine with demo badges", cmd_demo },
  { "play",       "FILE...",   "Play audio files (--pcm, --crossfade, --volume)", cmd_play },
  { "run",        "",          "Play the queue as the kiosk does (--pcm, --tracks)", cmd_run },
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
main (int    argc,
      char **argv)
{
  int rc = EXIT_USAGE;

  setlocale (LC_ALL, "");

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
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
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
