#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sndfile.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "sk-test-util.h"
#include "sk-util.h"

gint64
sk_test_clock_read (gpointer clock)
{
  return ((SkTestClock *) clock)->now;
}

char *
sk_test_mkdtemp (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("sk-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
sk_test_rmdir (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        sk_test_rmdir (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

SkEngine *
sk_test_engine_new (const char *dir, SkTestClock *clock)
{
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (path, &error);
  SkEngine *engine;

  g_assert_no_error (error);
  engine = sk_engine_new (store, &error);
  g_assert_no_error (error);
  if (clock != NULL)
    sk_engine_set_clock (engine, sk_test_clock_read, clock);
  return engine;
}

void
sk_test_add_song (SkStore *store, const char *id, const double embedding[SK_DIM])
{
  g_autoptr (GError) error = NULL;
  g_autofree char *emb = sk_vec_format (embedding);
  g_autofree char *url = g_strdup_printf ("file:///songs/%s.wav", id);
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (
      store,
      "INSERT INTO songs (id, title, file_url, embedding, duration, created_at, updated_at) "
      "VALUES (?1, ?1, ?2, ?3, 30, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
      &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, url, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, emb, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (store, stmt, &error));
  g_assert_no_error (error);
}

void
sk_test_sqlite_exec (sqlite3 *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

const SkTestSong sk_test_evening_songs[SK_TEST_N_EVENING_SONGS] = {
  { "s-campfire", { 0.10, 0.30, 0.95, 0.20, 0.20 } },
  { "s-rain", { 0.95, 0.30, 0.10, 0.30, 0.40 } },
  { "s-storm", { 0.70, 0.60, 0.10, 0.95, 0.20 } },
  { "s-waves", { 0.30, 0.50, 0.10, 0.10, 0.95 } },
  { "s-wind", { 0.20, 0.95, 0.10, 0.30, 0.30 } },
  { "s-hearth", { 0.55, 0.20, 0.85, 0.25, 0.30 } },
};

void
sk_test_add_songs (SkEngine *engine, const SkTestSong *songs, guint n)
{
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    sk_test_add_song (sk_engine_get_store (engine), songs[i].id, songs[i].e);
  g_assert_true (sk_engine_reload (engine, &error));
  g_assert_no_error (error);
}

char *
sk_test_query_text (SkStore *store, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt = sk_store_prepare (store, sql, NULL);
  char *v = NULL;

  g_assert_nonnull (stmt);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_STATIC);
  if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
    v = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return v;
}

int
sk_test_query_int (SkStore *store, const char *sql)
{
  sqlite3_stmt *stmt = sk_store_prepare (store, sql, NULL);
  int v;

  g_assert_nonnull (stmt);
  g_assert_cmpint (sk_store_step (store, stmt, NULL), ==, SQLITE_ROW);
  v = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);
  return v;
}

/* The first row of @sql on its own read-only connection to @path. */
static sqlite3_stmt *
file_first_row (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return stmt;
}

static void
file_done (sqlite3_stmt *stmt)
{
  sqlite3 *db = sqlite3_db_handle (stmt);

  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

int
sk_test_file_query_int (const char *path, const char *sql)
{
  sqlite3_stmt *stmt = file_first_row (path, sql);
  int v = sqlite3_column_int (stmt, 0);

  file_done (stmt);
  return v;
}

char *
sk_test_file_query_text (const char *path, const char *sql)
{
  sqlite3_stmt *stmt = file_first_row (path, sql);
  char *v = g_strdup ((const char *) sqlite3_column_text (stmt, 0));

  file_done (stmt);
  return v;
}

void
sk_test_file_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

static void
count_signal (guint *counter)
{
  (*counter)++;
}

void
sk_test_count_engine (SkEngine *engine, SkTestEngineCounts *counts)
{
  /* swapped: the counter comes first, whatever the signal's arguments */
  g_signal_connect_swapped (engine, "queue-changed", G_CALLBACK (count_signal),
                            &counts->queue_changes);
  g_signal_connect_swapped (engine, "checked-in", G_CALLBACK (count_signal), &counts->checked_in);
  g_signal_connect_swapped (engine, "checked-out", G_CALLBACK (count_signal), &counts->checked_out);
  g_signal_connect_swapped (engine, "tap-refused", G_CALLBACK (count_signal), &counts->refused);
  g_signal_connect_swapped (engine, "unknown-badge", G_CALLBACK (count_signal), &counts->unknown);
}

double
sk_test_time_factor (void)
{
  static double factor;

  if (factor == 0)
    {
      const char *env = g_getenv ("SK_TEST_TIME_FACTOR");
      char *end = NULL;
      double v = env != NULL ? g_ascii_strtod (env, &end) : 1;

      if (env != NULL && (end == env || *end != '\0' || !(v >= 1 && v <= 100)))
        g_error ("SK_TEST_TIME_FACTOR must be a number from 1 to 100, not “%s”", env);
      factor = v;
      if (factor > 1)
        g_test_message ("waits and durations bounded %g times as long (SK_TEST_TIME_FACTOR)",
                        factor);
    }
  return factor;
}

guint
sk_test_scale_ms (guint ms)
{
  return (guint) (ms * sk_test_time_factor ());
}

gint64
sk_test_deadline_ms (guint ms)
{
  return g_get_monotonic_time () + (gint64) sk_test_scale_ms (ms) * G_TIME_SPAN_MILLISECOND;
}

char *
sk_test_ctl_path (void)
{
  const char *ctl = g_getenv ("SK_TEST_CTL");
  const char *b = g_getenv ("G_TEST_BUILDDIR");

  if (ctl != NULL && *ctl != '\0')
    return g_strdup (ctl);
  g_assert_nonnull (b);
  return g_build_filename (b, "..", "src", "ctl", "soundscape-ctl", NULL);
}

const char *
sk_test_emulator (void)
{
  const char *emulator = g_getenv ("SK_TEST_EMULATOR");

  return emulator != NULL && *emulator != '\0' ? emulator : NULL;
}

void
sk_test_write_wav (const char *path, double seconds)
{
  SF_INFO info = { .samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
  SNDFILE *sf = sf_open (path, SFM_WRITE, &info);
  sf_count_t frames = (sf_count_t) (seconds * 48000);
  g_autofree short *buf = g_new (short, (gsize) frames * 2);
  guint32 x = 2463534242u;

  g_assert_nonnull (sf);
  for (sf_count_t i = 0; i < frames * 2; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = (short) ((int) (x & 0x3fff) - 0x2000);
    }
  g_assert_cmpint (sf_writef_short (sf, buf, frames), ==, frames);
  g_assert_cmpint (sf_close (sf), ==, 0);
}

void
sk_test_write_noise (
    const char *path, int rate, int channels, double seconds, double db, guint32 seed)
{
  SF_INFO info = { .samplerate = rate,
                   .channels = channels,
                   .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
  SNDFILE *sf = sf_open (path, SFM_WRITE, &info);
  sf_count_t frames = (sf_count_t) (seconds * info.samplerate);
  g_autofree float *buf = g_new (float, (gsize) frames *channels);
  double gain = 0.5 * pow (10.0, db / 20.0);
  guint32 x = seed;

  g_assert_nonnull (sf);
  for (sf_count_t i = 0; i < frames * channels; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      buf[i] = (float) (gain * ((double) x / G_MAXUINT32 * 2.0 - 1.0));
    }
  g_assert_cmpint (sf_writef_float (sf, buf, frames), ==, frames);
  g_assert_cmpint (sf_close (sf), ==, 0);
}

void
sk_test_write_sidecar (const char *path, const char *title, const char *embedding_json)
{
  g_autofree char *
      text = g_strdup_printf ("{\"title\": \"%s\", \"artist\": \"Test\", \"type\": \"soundscape\", "
                              "\"embedding\": %s, \"bpm\": null}\n",
                              title, embedding_json);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

int
sk_test_run_ctl (const char *const *argv, char **out, char **err)
{
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_ptr_array_add (args, ctl);
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, NULL);
  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, out,
                err, &status, &error);
  g_assert_no_error (error);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

void
sk_test_ctl_ok (const char *db, const char *const *argv)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) argv[i]);
  g_ptr_array_add (args, (gpointer) "--db");
  g_ptr_array_add (args, (gpointer) db);
  g_ptr_array_add (args, NULL);
  if (sk_test_run_ctl ((const char *const *) args->pdata, &out, &err) != 0)
    g_error ("soundscape-ctl %s failed: %s%s", argv[0], out, err);
}

/* --- the processes a test starts --------------------------------------- */

void
sk_test_child_setup (gpointer data)
{
  /* In the child, between fork and exec. SIGTERM rather than SIGKILL:
   * nginx, dbus-daemon and stress-ng then take their own workers down. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

gboolean
sk_test_make_certificate (const char *dir, char **cert, char **key, char **why_not)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  int status = -1;

  if (openssl == NULL)
    {
      *why_not = g_strdup ("openssl is not installed: it makes the test's self-signed certificate");
      return FALSE;
    }
  *key = g_build_filename (dir, "key.pem", NULL);
  *cert = g_build_filename (dir, "cert.pem", NULL);
  {
    const char *argv[] = { openssl,
                           "req",
                           "-x509",
                           "-newkey",
                           "ec",
                           "-pkeyopt",
                           "ec_paramgen_curve:prime256v1",
                           "-nodes",
                           "-days",
                           "1",
                           "-subj",
                           "/CN=127.0.0.1",
                           "-addext",
                           "subjectAltName=IP:127.0.0.1",
                           "-keyout",
                           *key,
                           "-out",
                           *cert,
                           NULL };

    g_assert_true (g_spawn_sync (dir, (char **) argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                 sk_test_child_setup, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);
  }
  return TRUE;
}

GSubprocessLauncher *
sk_test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, sk_test_child_setup, NULL, NULL);
  return launcher;
}

GSubprocess *
sk_test_subprocess_new (GSubprocessFlags flags, GError **error, const char *argv0, ...)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (flags);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (char *) argv0);
  va_start (ap, argv0);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
}

gboolean
sk_test_reap (GPid pid, guint timeout_ms)
{
  for (guint waited = 0; waited <= timeout_ms; waited += 5)
    {
      int status;
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid || (r < 0 && errno == ECHILD))
        return TRUE;
      g_usleep (5000);
    }
  return FALSE;
}
