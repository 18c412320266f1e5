/* soundscape-ctl as a person uses it: the real program, run on a database
 * in a scratch directory. Errors are one line on stderr and a non-zero
 * exit, never a crash. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-test-util.h"
#include "sk-util.h"

typedef struct
{
  char *dir;
  char *db;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = sk_test_mkdtemp ();
  f->db = g_build_filename (f->dir, "kiosk.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

static void
assert_one_line (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_str_has_prefix (text, "soundscape-ctl: "));
  g_assert_cmpint (strchr (text, '\n') - text, ==, (int) strlen (text) - 1);
}

/* Runs (with --db appended when @db); expects @status. Returns stdout. */
static char *
ctl_run (Fixture *f, int status, gboolean db, const char *const *argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *err = NULL;
  char *out = NULL;
  int rc;

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  if (db)
    {
      g_ptr_array_add (args, (gpointer) "--db");
      g_ptr_array_add (args, f->db);
    }
  g_ptr_array_add (args, NULL);
  rc = sk_test_run_ctl ((const char *const *) args->pdata, &out, &err);
  if (rc != status)
    g_error ("soundscape-ctl %s exited %d, expected %d; stderr: %s", argv[0], rc, status, err);
  if (status != 0)
    assert_one_line (err);
  return out;
}

#define CTL(f, status, ...) \
  g_free (ctl_run (f, status, TRUE, (const char *const[]){ __VA_ARGS__, NULL }))
#define CTL_OUT(f, status, ...) \
  ctl_run (f, status, TRUE, (const char *const[]){ __VA_ARGS__, NULL })
/* for the commands that open no database */
#define CTL_NO_DB(f, status, ...) \
  g_free (ctl_run (f, status, FALSE, (const char *const[]){ __VA_ARGS__, NULL }))

/* Every command of soundscape-ctl. */
static const char *const all_commands[] = {
  "init", "import",   "songs",  "tap",   "join",       "enroll", "vote",   "checkout",
  "next", "queue",    "status", "rank",  "taste-step", "demo",   "config", "play",
  "run",  "nfc-test", "cache",  "watch", "sync",       "db",     NULL,
};

static void
test_usage (Fixture *f, gconstpointer data)
{
  const char *const *commands = all_commands;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *usage = NULL;
  g_autofree char *twice = NULL;

  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "Usage"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "frobnicate", NULL }, &out, &err), ==,
                   2);
  assert_one_line (err);
  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ commands[i], "--help", NULL }, &out,
                                        &err),
                       ==, 0);
      /* the usage line names the program and the command once, as it is
       * typed: "soundscape-ctl tap [OPTION…] UID" */
      usage = g_strdup_printf ("Usage:\n  soundscape-ctl %s [OPTION…]", commands[i]);
      twice = g_strdup_printf ("[OPTION…] %s", commands[i]);
      if (strstr (out, usage) == NULL || strstr (out, twice) != NULL)
        g_error ("soundscape-ctl %s --help: no “%s” line, or the command twice:\n%s", commands[i],
                 usage, out);
      g_clear_pointer (&usage, g_free);
      g_clear_pointer (&twice, g_free);
    }
}

/* soundscape-ctl @command @option [@value] exits 2 with one line: "…:
 * @command: @option does nothing here: @command @why…". */
static void
assert_option_refused (const char *command, const char *option, const char *value, const char *why)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *said = g_strdup_printf ("soundscape-ctl: %s: %s does nothing here: %s %s",
                                           command, option, command, why);

  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ command, option, value, NULL }, &out,
                                    &err),
                   ==, 2);
  assert_one_line (err);
  if (!g_str_has_prefix (err, said))
    g_error ("soundscape-ctl %s %s said “%s”, not “%s…”", command, option, err, said);
}

/* --db and --session are offered by the commands they do something for,
 * and by no other: given to another, each is refused in one sentence that
 * says why (exit status 2), not taken and ignored. */
static void
test_options_where_used (Fixture *f, gconstpointer data)
{
  /* the commands that reach soundscaped when it runs */
  static const char *const bus[] = {
    "import", "tap",    "join",  "enroll", "vote", "checkout", "next",
    "queue",  "status", "watch", "config", "sync", NULL,
  };
  /* and those that open no database file */
  static const char *const no_db[] = { "watch", "rank", "taste-step", "db", NULL };
  const char *const *all = all_commands;

  for (guint i = 0; all[i] != NULL; i++)
    {
      gboolean reaches_bus = g_strv_contains ((const char *const *) bus, all[i]);
      gboolean opens_db = !g_strv_contains ((const char *const *) no_db, all[i]);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ all[i], "--help", NULL }, &out,
                                        &err),
                       ==, 0);
      if ((strstr (out, "  --session ") != NULL) != reaches_bus ||
          (strstr (out, "  --db=PATH ") != NULL) != opens_db)
        g_error ("soundscape-ctl %s --help offers --session or --db wrongly:\n%s", all[i], out);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);

      if (!reaches_bus)
        assert_option_refused (all[i], "--session", NULL, "never reaches soundscaped");
      if (!opens_db)
        {
          assert_option_refused (all[i], "--db", f->db, "opens no database file");
          g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
        }
    }
}

static void
test_rank_seed_example (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "rank",
                                                 "001-seed-example.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *queue;
  double score;

  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "rank", path, NULL }, &out, &err), ==,
                   0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  queue = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "queue");
  g_assert_cmpuint (json_array_get_length (queue), ==, 1);
  score = json_object_get_double_member (json_array_get_object_element (queue, 0), "score");
  g_assert_cmpfloat_with_epsilon (score, 0.8643, 1e-4);
}

static void
test_bad_input_is_one_line (Fixture *f, gconstpointer data)
{
  g_autofree char *bad = g_test_build_filename (G_TEST_DIST, "data", "bad", "rank-not-json.json",
                                                NULL);
  g_autofree char *file = g_build_filename (f->dir, "plain", NULL);
  g_autofree char *under_file = g_build_filename (file, "kiosk.db", NULL);
  g_autofree char *huge = g_strnfill (100000, 'A');
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  CTL (f, 0, "init");
  CTL (f, 1, "tap", "not-a-uid");
  CTL (f, 1, "tap", huge);
  CTL (f, 2, "vote", "04A1B2C3", "7");
  CTL (f, 2, "vote", "04A1B2C3", "three");
  /* a negative rating is a rating out of range, not an unknown option */
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "vote", "04A1B2C3", "-1", "--db", f->db,
                                                           NULL },
                                    &out, &err),
                   ==, 2);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "a rating is a whole number from 1 to 5, not “-1”"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* a count option is never negative */
  CTL (f, 2, "run", "--tracks", "-1");
  CTL (f, 2, "nfc-test", "--count", "-1");
  CTL (f, 1, "vote", "04A1B2C3", "3");
  CTL (f, 1, "checkout", "04A1B2C3");
  CTL (f, 1, "next");
  CTL (f, 2, "tap");
  CTL_NO_DB (f, 1, "rank", bad);
  CTL_NO_DB (f, 1, "taste-step", "/nonexistent/case.json");
  CTL (f, 1, "enroll", "04A1B2C3", "Ann", "--taste", "[1,2,3]");
  CTL (f, 1, "enroll", "04A1B2C3", "Ann", "--role", "emperor");
  /* names of zero-width characters only, or turning the text around */
  CTL (f, 1, "enroll", "04A1B2C3", "\u200B\u200B\u200B");
  CTL (f, 1, "enroll", "04A1B2C3", "Ann\u202Egro");
  CTL (f, 1, "join", "04A1B2C3", "--name", "\u200D\u200D");
  CTL (f, 1, "join", "04A1B2C3", "--name", "\u2067Ann");
  CTL (f, 1, "import", "/nonexistent/folder");

  g_assert_true (g_file_set_contents (file, "", 0, NULL));
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "status", "--db", under_file, NULL },
                                    &out, &err),
                   ==, 1);
  assert_one_line (err);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  /* a damaged database is named, not overwritten */
  g_assert_true (g_file_set_contents (file,
                                      "this is not a database, it is a text file with some length",
                                      -1, NULL));
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "status", "--db", file, NULL }, &out,
                                    &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "damaged"));
}

static void
make_library (Fixture *f, char **lib_out)
{
  static const struct
  {
    const char *name;
    const char *emb;
  } songs[] = {
    { "campfire", "[0.1,0.3,0.95,0.2,0.2]" }, { "rain", "[0.95,0.3,0.1,0.3,0.4]" },
    { "storm", "[0.7,0.6,0.1,0.95,0.2]" },    { "waves", "[0.3,0.5,0.1,0.1,0.95]" },
    { "wind", "[0.2,0.95,0.1,0.3,0.3]" },     { "hearth", "[0.55,0.2,0.85,0.25,0.3]" },
  };
  char *lib = g_build_filename (f->dir, "library", NULL);

  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (songs); i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/%s.wav", lib, songs[i].name);
      g_autofree char *json = g_strdup_printf ("%s/%s.json", lib, songs[i].name);

      sk_test_write_wav (wav, 0.25);
      sk_test_write_sidecar (json, songs[i].name, songs[i].emb);
    }
  *lib_out = lib;
}

static char *
queue_head (Fixture *f)
{
  g_autofree char *out = CTL_OUT (f, 0, "queue", "--json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *q;

  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  q = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "queue");
  g_assert_cmpuint (json_array_get_length (q), >, 0);
  return g_strdup (json_object_get_string_member (json_array_get_object_element (q, 0), "title"));
}

static void
test_opposite_tastes (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *rain = NULL;
  g_autofree char *fire = NULL;
  g_autofree char *status = NULL;

  make_library (f, &lib);
  CTL (f, 0, "init");
  CTL (f, 0, "import", lib);
  /* the plain ranking: a taste's own songs first, no exploration */
  CTL (f, 0, "config", "explore_weight", "0");
  CTL (f, 0, "enroll", "04A1B2C3", "Rain Lover", "--taste", "[0.95,0.4,0.15,0.45,0.6]");
  CTL (f, 0, "enroll", "04F1E2D3", "Fire Keeper", "--taste", "[0.1,0.4,0.95,0.3,0.2]");
  CTL (f, 0, "next");
  empty = queue_head (f);

  CTL (f, 0, "tap", "04:a1:b2:c3");
  CTL (f, 0, "vote", "04A1B2C3", "5");
  CTL (f, 2, "vote", "04A1B2C3");
  CTL (f, 1, "vote", "04A1B2C3", "4"); /* already rated this play */
  rain = queue_head (f);
  g_assert_true (g_str_equal (rain, "rain") || g_str_equal (rain, "storm"));

  CTL (f, 0, "checkout", "04A1B2C3");
  /* no vote here: the song playing is whichever the empty room ranked
   * first among ties (random ids), and one vote through the learner may
   * rightly move a taste a long way */
  CTL (f, 0, "tap", "04F1E2D3");
  fire = queue_head (f);
  g_assert_cmpstr (fire, !=, rain);
  g_assert_true (g_str_equal (fire, "hearth") || g_str_equal (fire, "campfire"));

  status = CTL_OUT (f, 0, "status");
  g_assert_nonnull (strstr (status, "Present:   1 listener"));
  g_assert_nonnull (strstr (status, "Library:   6 songs"));
}

static void
test_db_before_command (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *eq = g_strconcat ("--db=", f->db, NULL);

  make_library (f, &lib);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "--db", f->db, "init", NULL }, &out,
                                    &err),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ eq, "import", lib, NULL }, &out, &err),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "--db", f->db, "songs", NULL }, &out,
                                    &err),
                   ==, 0);
  /* Readable vectors: three decimals, not the stored round-trip digits. */
  g_assert_nonnull (strstr (out, "campfire"));
  g_assert_nonnull (strstr (out, "[0.100, 0.300, 0.950, 0.200, 0.200]"));
  g_assert_null (strstr (out, "0000000"));
}

static void
test_config (Fixture *f, gconstpointer data)
{
  g_autofree char *all = NULL;
  g_autofree char *one = NULL;
  g_autofree char *reset = NULL;
  g_autofree char *after = NULL;
  g_autofree char *first = NULL;
  const char *line;

  CTL (f, 0, "init");
  all = CTL_OUT (f, 0, "config");
  g_assert_nonnull (strstr (all, "crossfade_seconds"));
  g_assert_nonnull (strstr (all, "tap_limit_per_minute"));
  CTL (f, 0, "config", "loudness_target_lufs", "-18"); /* a negative value is no option */
  one = CTL_OUT (f, 0, "config", "loudness_target_lufs");
  g_assert_cmpstr (one, ==, "-18\n");
  CTL (f, 1, "config", "volume", "2");
  CTL (f, 1, "config", "volume", "nan");
  CTL (f, 1, "config", "player_id", "mine");
  CTL (f, 1, "config", "volume", "0.5", "--reset");
  CTL (f, 2, "config", "a", "b", "c");
  reset = CTL_OUT (f, 0, "config", "loudness_target_lufs", "--reset");
  g_assert_cmpstr (reset, ==, "loudness_target_lufs = -23\n");
  /* cleared, not the default stored: the listing says “(default)” */
  after = CTL_OUT (f, 0, "config");
  line = strstr (after, "loudness_target_lufs");
  g_assert_nonnull (line);
  first = g_strndup (line, strcspn (line, "\n"));
  g_assert_true (g_str_has_suffix (first, "(default)"));
  CTL (f, 1, "config", "volume", "0x1p-1");
  CTL (f, 1, "config", "volume", "inf");
  CTL (f, 1, "config", "loudness_target_lufs", "-0x1p4");
}

static void
test_import_reports_bad_files (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *corrupt = NULL;
  g_autofree char *short_vec = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *songs = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  make_library (f, &lib);
  corrupt = g_build_filename (lib, "rain.wav", NULL);
  g_assert_true (g_file_get_contents (corrupt, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (corrupt, contents, (gssize) len / 3, NULL));
  short_vec = g_build_filename (lib, "waves.json", NULL);
  sk_test_write_sidecar (short_vec, "waves", "[0.3,0.5,0.1,0.1]");

  CTL (f, 0, "init");
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "import", lib, "--db", f->db, NULL },
                                    &out, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "rain.wav: the audio is truncated"));
  g_assert_nonnull (strstr (err, "waves.wav: waves.json: “embedding”: vector has 4 components"));
  g_assert_nonnull (strstr (out, "Imported 4 songs; 2 files refused"));
  songs = CTL_OUT (f, 0, "songs");
  g_assert_null (strstr (songs, "rain"));
  g_assert_null (strstr (songs, "waves"));
  g_assert_nonnull (strstr (songs, "hearth"));
}

static void
test_demo_script (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *out = NULL;

  make_library (f, &lib);
  out = CTL_OUT (f, 0, "demo", "--library", lib, "--script");
  g_assert_nonnull (strstr (out, "Rain Lover checked in"));
  g_assert_nonnull (strstr (out, "Fire Keeper rates 1"));
  g_assert_nonnull (strstr (out, "Rain Lover rates 5"));
  g_assert_nonnull (strstr (out, "» next track"));
  g_assert_null (strstr (out, "already rated"));
}

static void
test_demo_library (Fixture *f, gconstpointer data)
{
  const char *demo = g_getenv ("SK_DEMO_DIR");
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  sqlite3_stmt *stmt;
  guint n = 0;

  g_assert_nonnull (demo);
  CTL (f, 0, "init");
  out = CTL_OUT (f, 0, "import", demo);
  store = sk_store_open (f->db, &error);
  g_assert_no_error (error);
  stmt = sk_store_prepare (store, "SELECT title, duration FROM songs", &error);
  while (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
    {
      g_test_message ("%s: %d s", sk_store_column_text (stmt, 0), sqlite3_column_int (stmt, 1));
      g_assert_cmpint (sqlite3_column_int (stmt, 1), >=, 20);
      g_assert_cmpint (sqlite3_column_int (stmt, 1), <=, 60);
      n++;
    }
  sqlite3_reset (stmt);
  g_assert_cmpuint (n, >=, 8);
}

/* Every command but init (and demo) on a database that is not there: a
 * sentence, exit 1, and still no file. */
static void
test_missing_database (Fixture *f, gconstpointer data)
{
  static const char *const commands[][4] = {
    { "status" },
    { "queue" },
    { "songs" },
    { "config" },
    { "config", "volume", "0.5" },
    { "join", "04AA0001" },
    { "tap", "04AA0001" },
    { "vote", "04AA0001", "3" },
    { "checkout", "04AA0001" },
    { "next" },
    { "import", "." },
    { "cache" },
  };
  g_autofree char *typo_dir = g_build_filename (f->dir, "typo", NULL);
  g_autofree char *typo = g_build_filename (typo_dir, "kiosk.db", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *out = NULL;

      CTL (f, 1, commands[i][0], commands[i][1], commands[i][2]);
      g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
      g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "--db", typo, commands[i][0],
                                                               commands[i][1], commands[i][2],
                                                               NULL },
                                        &out, &err),
                       ==, 1);
      g_assert_nonnull (strstr (err, "There is no database at"));
      g_assert_false (g_file_test (typo_dir, G_FILE_TEST_EXISTS));
    }
}

/* The rows of the queue as stored, with their ids and times. */
static char *
stored_queue (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open_full (f->db, SK_STORE_OPEN_READ_ONLY, &error);

  g_assert_no_error (error);
  return sk_test_query_text (store,
                             "SELECT group_concat(id || ' ' || song_id || ' ' || added_at, '; ') "
                             "FROM (SELECT * FROM player_queue ORDER BY position)",
                             NULL);
}

static void
test_read_commands_never_write (Fixture *f, gconstpointer data)
{
  static const char *const readers[][3] = {
    { "status" }, { "queue" },  { "queue", "--json" },
    { "songs" },  { "config" }, { "config", "volume" },
  };
  g_autofree char *lib = NULL;
  g_autofree char *queue_before = NULL;
  g_autofree char *queue_after = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *status = NULL;
  gsize len_before = 0, len_after = 0;

  make_library (f, &lib);
  CTL (f, 0, "init");
  CTL (f, 0, "import", lib);
  CTL (f, 0, "join", "04AA0001");
  queue_before = stored_queue (f);
  g_assert_nonnull (queue_before);
  g_assert_cmpint (g_chmod (f->db, 0444), ==, 0);
  g_assert_true (g_file_get_contents (f->db, &before, &len_before, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    CTL (f, 0, readers[i][0], readers[i][1]);
  status = CTL_OUT (f, 0, "status");
  g_assert_nonnull (strstr (status, "Present:   1 listener\n"));
  g_assert_nonnull (strstr (status, "Library:   6 songs"));

  g_assert_true (g_file_get_contents (f->db, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
  queue_after = stored_queue (f);
  g_assert_cmpstr (queue_after, ==, queue_before);
  g_assert_cmpint (g_chmod (f->db, 0644), ==, 0);
}

/* Runs soundscape-ctl @argv (with --db) in @n processes at once; every one
 * must succeed. */
static void
ctl_in_parallel (Fixture *f, guint n, const char *const *argv, const char *uid_prefix)
{
  g_autofree char *ctl_path = sk_test_ctl_path ();
  g_autoptr (GPtrArray) procs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GError) error = NULL;
      GSubprocess *p;

      g_ptr_array_add (args, g_strdup (ctl_path));
      for (guint a = 0; argv[a] != NULL; a++)
        g_ptr_array_add (args, g_strdup (argv[a]));
      if (uid_prefix != NULL)
        g_ptr_array_add (args, g_strdup_printf ("%s%02X", uid_prefix, i + 1));
      g_ptr_array_add (args, g_strdup ("--db"));
      g_ptr_array_add (args, g_strdup (f->db));
      g_ptr_array_add (args, NULL);
      p = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, &error);
      g_assert_no_error (error);
      g_ptr_array_add (procs, p);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_true (
          g_subprocess_communicate_utf8 (procs->pdata[i], NULL, NULL, &out, &err, &error));
      g_assert_no_error (error);
      if (g_subprocess_get_exit_status (procs->pdata[i]) != 0)
        g_error ("soundscape-ctl %s (process %u of %u) failed: %s", argv[0], i + 1, n, err);
    }
}

static void
test_parallel_first_opens (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autofree char *status = NULL;

  /* eight programs open a database that is not there yet */
  ctl_in_parallel (f, 8, (const char *const[]){ "init", NULL }, NULL);
  /* and eight new listeners join at once */
  ctl_in_parallel (f, 8, (const char *const[]){ "join", NULL }, "04AA00");

  store = sk_store_open_full (f->db, SK_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_query_int (store, "SELECT count(*) FROM players"), ==, 1);
  g_assert_cmpint (sk_test_query_int (store, "SELECT count(*) FROM profiles"), ==, 8);
  g_assert_cmpint (sk_test_query_int (store,
                                      "SELECT count(*) FROM sessions WHERE status = 'active'"),
                   ==, 8);
  g_assert_cmpint (sk_test_query_int (store, "PRAGMA user_version"), ==,
                   sk_store_get_latest_schema_version ());
  status = CTL_OUT (f, 0, "status");
  g_assert_nonnull (strstr (status, "Present:   8 listeners"));
}

/* A sidecar of 80 kB of “[” and a case file nested 100 000 deep are
 * refused with a sentence (json-glib would recurse until the stack ends);
 * the good files of the folder are imported all the same. */
static void
test_deep_json_is_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *wav = NULL;
  g_autofree char *json = NULL;
  g_autofree char *deep = g_strnfill (80 * 1024, '[');
  g_autofree char *case_path = g_build_filename (f->dir, "deep-case.json", NULL);
  g_autoptr (GString) nested = g_string_new ("{\"songs\": ");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *songs = NULL;

  make_library (f, &lib);
  wav = g_build_filename (lib, "abyss.wav", NULL);
  json = g_build_filename (lib, "abyss.json", NULL);
  sk_test_write_wav (wav, 0.25);
  g_assert_true (g_file_set_contents (json, deep, -1, NULL));
  CTL (f, 0, "init");
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "import", lib, "--db", f->db, NULL },
                                    &out, &err),
                   ==, 1);
  g_assert_nonnull (strstr (err, "abyss.wav: abyss.json: nested deeper than"));
  g_assert_nonnull (strstr (out, "Imported 6 songs; 1 file refused"));
  songs = CTL_OUT (f, 0, "songs");
  g_assert_nonnull (strstr (songs, "campfire"));
  g_assert_null (strstr (songs, "abyss"));

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (nested, ']');
  g_string_append_c (nested, '}');
  g_assert_true (g_file_set_contents (case_path, nested->str, (gssize) nested->len, NULL));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "rank", case_path, NULL }, &out, &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "nested deeper than"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "taste-step", case_path, NULL }, &out,
                                    &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "nested deeper than"));
}

/* An empty --db and a path that is no file are refused, each with its own
 * sentence, and nothing is created. */
static void
test_db_path_is_checked (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "init", "--db", "", NULL }, &out, &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "empty"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "init", "--db", "/dev/null", NULL },
                                    &out, &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "/dev/null is not a database file"));
  g_assert_null (strstr (err, "full"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "status", "--db", f->dir, NULL }, &out,
                                    &err),
                   ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "is not a database file"));
}

/* A disk with a few KiB left at the first open: the full-disk sentence,
 * not “disk I/O error” (SQLite fails to grow the WAL index there). The
 * disk is a small tmpfs in a mount namespace of its own, which vanishes
 * with the command: nothing to clean up, nothing outside touched. */
static void
test_full_disk_at_first_open (Fixture *f, gconstpointer data)
{
  g_autofree char *ctl_path = sk_test_ctl_path ();
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  g_autofree char *disk = g_build_filename (f->dir, "disk", NULL);
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  if (unshare == NULL)
    {
      g_test_skip ("unshare (util-linux) is not installed: no private tmpfs to fill");
      return;
    }
  g_assert_cmpint (g_mkdir (disk, 0700), ==, 0);
  /* 256 KiB with 8 KiB left */
  script = g_strdup_printf ("mount -t tmpfs -o size=256k tmpfs '%s' || exit 77; "
                            "head -c 253952 /dev/zero > '%s/fill' || exit 77; "
                            "exec '%s' init --db '%s/kiosk.db'",
                            disk, disk, ctl_path, disk);
  {
    const char *argv[] = {
      unshare, "--user", "--map-root-user", "--mount", "sh", "-c", script, NULL
    };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup,
                                 NULL, &out, &err, &status, &error));
    g_assert_no_error (error);
  }
  if (!WIFEXITED (status) || WEXITSTATUS (status) == 77 ||
      (WEXITSTATUS (status) != 0 && WEXITSTATUS (status) != 1))
    {
      g_autofree char *why = g_strdup_printf ("no private tmpfs here (user and mount namespaces "
                                              "refused?): %s",
                                              err);

      g_test_skip (why);
      return;
    }
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  assert_one_line (err);
  g_assert_nonnull (strstr (err, "is full"));
  g_assert_null (strstr (err, "I/O error"));
}

/* What import passes over because it is no audio file is named, with the
 * reason: a symbolic link that loops, one to nothing, a FIFO (reading it
 * would block), a directory named .wav, a FIFO as a sidecar. The good
 * files are imported. */
static void
test_import_names_what_it_skips (Fixture *f, gconstpointer data)
{
  g_autofree char *lib = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *loop = NULL;
  g_autofree char *dangling = NULL;
  g_autofree char *fifo = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *blocked_wav = NULL;
  g_autofree char *blocked_json = NULL;
  g_autofree char *songs = NULL;

  make_library (f, &lib);
  loop = g_build_filename (lib, "loop.wav", NULL);
  dangling = g_build_filename (lib, "gone.flac", NULL);
  fifo = g_build_filename (lib, "pipe.wav", NULL);
  dir = g_build_filename (lib, "folder.wav", NULL);
  blocked_wav = g_build_filename (lib, "blocked.wav", NULL);
  blocked_json = g_build_filename (lib, "blocked.json", NULL);
  g_assert_cmpint (symlink ("loop.wav", loop), ==, 0);
  g_assert_cmpint (symlink ("nowhere.flac", dangling), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  sk_test_write_wav (blocked_wav, 0.25);
  g_assert_cmpint (mkfifo (blocked_json, 0600), ==, 0);

  CTL (f, 0, "init");
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "import", lib, "--db", f->db, NULL },
                                    &out, &err),
                   ==, 1);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "loop.wav: a symbolic link that loops"));
  g_assert_nonnull (strstr (err, "gone.flac: a symbolic link to nothing"));
  g_assert_nonnull (strstr (err, "pipe.wav: a FIFO"));
  g_assert_nonnull (strstr (err, "folder.wav: a directory"));
  g_assert_nonnull (strstr (err, "blocked.wav: blocked.json: a FIFO"));
  g_assert_nonnull (strstr (out, "Imported 6 songs; 5 files refused"));
  songs = CTL_OUT (f, 0, "songs");
  g_assert_nonnull (strstr (songs, "campfire"));
  g_assert_null (strstr (songs, "blocked"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/ctl/usage-and-help-for-every-command", test_usage);
  ADD ("/ctl/db-and-session-only-where-they-do-something", test_options_where_used);
  ADD ("/ctl/rank-seed-example-prints-0.8643", test_rank_seed_example);
  ADD ("/ctl/bad-input-is-one-line-and-non-zero", test_bad_input_is_one_line);
  ADD ("/ctl/opposite-tastes-reorder-the-queue", test_opposite_tastes);
  ADD ("/ctl/import-names-bad-files-and-keeps-the-good", test_import_reports_bad_files);
  ADD ("/ctl/db-before-the-command", test_db_before_command);
  ADD ("/ctl/config-shows-checks-and-changes-settings", test_config);
  ADD ("/ctl/demo-walk-through-runs", test_demo_script);
  ADD ("/ctl/demo-library-imports-cleanly", test_demo_library);
  ADD ("/ctl/missing-database-says-so-and-is-not-created", test_missing_database);
  ADD ("/ctl/read-commands-never-write-and-work-read-only", test_read_commands_never_write);
  ADD ("/ctl/parallel-first-opens-make-one-player", test_parallel_first_opens);
  ADD ("/ctl/deep-json-is-refused-and-the-good-files-kept", test_deep_json_is_refused);
  ADD ("/ctl/db-path-empty-or-not-a-file-is-refused", test_db_path_is_checked);
  ADD ("/ctl/full-disk-at-first-open-says-full", test_full_disk_at_first_open);
  ADD ("/ctl/import-names-what-it-skips", test_import_names_what_it_skips);
#undef ADD
  return g_test_run ();
}
