/* test-import-while-playing.c: a large import does not silence the room.
 *
 * soundscaped plays a library of short tracks through the paced test PCM
 * (real alsa-lib, at the wall clock's pace, every frame copied to a file)
 * while `soundscape-ctl import` reads 300 new files and `soundscape-ctl
 * tap` checks a listener in about every 100 ms. Every tap must succeed
 * (the import holds no write lock while it decodes), the import must bring
 * all 300 in, and the output must have no run of digital silence longer
 * than the crossfade. The files last 1 to 2 s so that an import reading
 * them under the write lock would hold it long enough for taps to meet
 * it, and every process here waits only BUSY_TIMEOUT_MS for a lock. A
 * probe of the test's own takes the write lock every few ms meanwhile and
 * measures the longest hold, which must stay under the crossfade: the
 * lock is watched for the whole import, not only where a tap happened to
 * land (the taps' tighter bound is sampled; the probe's is continuous, so
 * it is the room's own, which a disk's slow fsync does not come near).
 *
 * Underruns are asserted (none) only in a plain run. The output thread
 * owns the PCM and never touches the database: a late decoder or a main
 * loop that waits for a lock makes it write silence, which the silence
 * check bounds by the crossfade. An underrun is that thread itself not
 * running in time, which a sanitizer build on a loaded machine
 * (SK_TEST_TIME_FACTOR > 1) can cause with the lock never held; there the
 * count is reported, beside the longest lock hold that tells the two apart.
 * Every wait is bounded; only the processes started here are stopped, by
 * pid.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "sk-paced.h"
#include "sk-test-util.h"

#define N_IMPORTED 300
#define N_PLAYING 6
#define TRACK_S 3.0
#define CROSSFADE_S 1
#define RATE 48000
#define BADGE "04CC0077"
#define BUSY_TIMEOUT_MS 100

typedef struct
{
  char *dir;
  char *db;
  char *out;
  char *stats;
  GSubprocess *daemon;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *reason = NULL;

  f->dir = sk_test_mkdtemp ();
  f->db = g_build_filename (f->dir, "soundscape.db", NULL);
  f->out = g_build_filename (f->dir, "out.raw", NULL);
  f->stats = g_build_filename (f->dir, "stats", NULL);
  if (!sk_paced_setup (f->dir, &reason))
    g_error ("%s", reason);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->daemon != NULL)
    {
      g_subprocess_force_exit (f->daemon);
      g_subprocess_wait (f->daemon, NULL, NULL);
    }
  g_clear_object (&f->daemon);
  sk_test_rmdir (f->dir);
  g_free (f->stats);
  g_free (f->out);
  g_free (f->db);
  g_free (f->dir);
}

/* @n noise files NAME.wav of @min_s to @max_s seconds, each with its
 * sidecar, in a new directory @name under the fixture's. */
static char *
write_library (Fixture *f, const char *name, guint n, double min_s, double max_s)
{
  char *lib = g_build_filename (f->dir, name, NULL);

  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("%s %03u", name, i);
      g_autofree char *wav = g_strdup_printf ("%s/%s-%03u.wav", lib, name, i);
      g_autofree char *json = g_strdup_printf ("%s/%s-%03u.json", lib, name, i);
      g_autofree char *embedding = g_strdup_printf ("[0.%u,0.5,0.5,0.5,0.5]", 1 + i % 9);

      sk_test_write_noise (wav, RATE, 2, min_s + (max_s - min_s) * (i % 7) / 6.0, -20, 1u + i);
      sk_test_write_sidecar (json, title, embedding);
    }
  return lib;
}

/* A writer of the test's own that takes the database's write lock over
 * and over (BEGIN IMMEDIATE, then ROLLBACK: it writes nothing) while the
 * import runs, between the taps as well as during them. Its busy handler
 * retries every millisecond and counts the retries: each stands for at
 * least a millisecond in which another process held the lock, so the
 * longest count is a lower bound on the longest hold, one that a starved
 * probe can only understate. The wall-clock wait is kept beside it for
 * the log. */
typedef struct
{
  const char *db;
  GThread *thread;
  gint stop; /* atomic */
  guint takes;
  guint busy;     /* retries of the current take */
  guint longest;  /* the most retries one take needed */
  gint64 slowest; /* the longest wall-clock wait for one take, µs */
} LockProbe;

static int
lock_probe_busy (void *data, int count)
{
  LockProbe *p = data;

  p->busy = (guint) count + 1;
  g_usleep (1000);
  return g_atomic_int_get (&p->stop) == 0; /* else give up: the test is ending */
}

static gpointer
lock_probe_run (gpointer data)
{
  LockProbe *p = data;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (p->db, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_handler (db, lock_probe_busy, p);
  do
    {
      gint64 asked = g_get_monotonic_time ();
      int rc;

      p->busy = 0;
      rc = sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        {
          gint64 waited = g_get_monotonic_time () - asked;

          /* released at once: the probe must not be a holder itself */
          sk_test_sqlite_exec (db, "ROLLBACK");
          p->takes++;
          p->longest = MAX (p->longest, p->busy);
          p->slowest = MAX (p->slowest, waited);
        }
      else
        g_assert_cmpint (rc, ==, SQLITE_BUSY); /* only when told to stop */
      g_usleep (2000);
    }
  while (g_atomic_int_get (&p->stop) == 0);
  sqlite3_close (db);
  return NULL;
}

typedef struct
{
  char *out;
  char *err;
  gboolean done;
} Communicated;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer data)
{
  Communicated *c = data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &error);
  g_assert_no_error (error);
  c->done = TRUE;
}

/* The longest run of frames that are zero in every channel, between the
 * first and the last frame that is not (the start and the end of the file
 * are the daemon starting and stopping). */
static gsize
longest_inner_silence (const char *path, gsize *frames)
{
  g_autofree char *raw = NULL;
  gsize len = 0;
  gsize longest = 0, run = 0;
  gboolean sound = FALSE;

  g_assert_true (g_file_get_contents (path, &raw, &len, NULL));
  *frames = len / 4;
  for (gsize i = 0; i + 3 < len; i += 4)
    {
      gboolean zero = raw[i] == 0 && raw[i + 1] == 0 && raw[i + 2] == 0 && raw[i + 3] == 0;

      if (!zero)
        {
          if (sound)
            longest = MAX (longest, run);
          sound = TRUE;
          run = 0;
        }
      else
        run++;
    }
  return longest;
}

static void
test_import_while_playing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) import = NULL;
  g_autofree char *playing = write_library (f, "playing", N_PLAYING, TRACK_S, TRACK_S);
  g_autofree char *big = write_library (f, "imported", N_IMPORTED, 1.0, 2.0);
  g_autofree char *pcm = sk_paced_pcm_name (1.0, f->out, f->stats);
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autofree char *expect = g_strdup_printf ("Imported %u songs", N_IMPORTED);
  SkPacedStats stats = { 0 };
  Communicated c = { NULL, NULL, FALSE };
  LockProbe probe = { 0 };
  guint taps = 0;
  gint64 slowest_tap = 0;
  gsize frames = 0, silence;
  gint64 deadline;

  sk_test_ctl_ok (f->db, (const char *const[]){ "init", NULL });
  sk_test_ctl_ok (f->db, (const char *const[]){ "config", "crossfade_seconds",
                                                G_STRINGIFY (CROSSFADE_S), NULL });
  sk_test_ctl_ok (f->db, (const char *const[]){ "import", playing, NULL });
  sk_test_ctl_ok (f->db, (const char *const[]){ "join", BADGE, NULL });

  {
    g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
        G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
        G_SUBPROCESS_FLAGS_STDERR_SILENCE);

    g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
    f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                             "--no-bus", "--no-nfc", "--db", f->db, "--pcm", pcm,
                                             NULL);
    g_assert_no_error (error);
  }

  /* it plays: a track's worth of frames went through the PCM */
  deadline = sk_test_deadline_ms (15000);
  while (!(sk_paced_read_stats (f->stats, &stats) && stats.frames > RATE * TRACK_S) &&
         g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  g_assert_cmpuint (stats.frames, >, RATE * TRACK_S);

  import = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                   &error, ctl, "import", big, "--db", f->db, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (import, NULL, NULL, on_communicated, &c);
  probe.db = f->db;
  probe.thread = g_thread_new ("lock-probe", lock_probe_run, &probe);

  /* a tap about every 100 ms for as long as the import runs */
  deadline = sk_test_deadline_ms (60000);
  while (!c.done && g_get_monotonic_time () < deadline)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      gint64 tapped = g_get_monotonic_time ();
      int rc = sk_test_run_ctl ((const char *const[]){ "tap", BADGE, "--db", f->db, NULL }, &out,
                                &err);

      taps++;
      slowest_tap = MAX (slowest_tap, g_get_monotonic_time () - tapped);
      if (rc != 0 || strstr (err, "busy") != NULL || strstr (err, "locked") != NULL)
        g_error ("tap %u during the import: exit %d: %s%s", taps, rc, out, err);
      g_usleep (100 * 1000);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  if (!c.done)
    {
      g_subprocess_force_exit (import);
      while (!c.done)
        g_main_context_iteration (NULL, TRUE);
      g_error ("the import did not end within %u ms", sk_test_scale_ms (60000));
    }
  g_atomic_int_set (&probe.stop, 1);
  g_thread_join (probe.thread);
  g_test_message ("%u taps during the import, the slowest %.2f s; it said: %s%s", taps,
                  (double) slowest_tap / G_USEC_PER_SEC, c.out, c.err);
  g_test_message ("the write lock, taken %u times meanwhile by a probe: busy for at least "
                  "%u ms at the longest (the longest wait %.3f s)",
                  probe.takes, probe.longest, (double) probe.slowest / G_USEC_PER_SEC);
  /* never as long as the crossfade, the gap the room may hear */
  g_assert_cmpuint (probe.longest, <, sk_test_scale_ms (CROSSFADE_S * 1000));
  g_assert_true (g_subprocess_get_if_exited (import));
  g_assert_cmpint (g_subprocess_get_exit_status (import), ==, 0);
  g_assert_true (g_str_has_prefix (c.out, expect));
  g_assert_cmpint (taps, >=, 1);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM songs"), ==,
                   N_PLAYING + N_IMPORTED);
  g_free (c.out);
  g_free (c.err);

  /* one more track change after the import, then a clean stop */
  {
    guint64 after = 0;

    g_assert_true (sk_paced_read_stats (f->stats, &stats));
    after = stats.frames + RATE * TRACK_S;
    deadline = sk_test_deadline_ms (15000);
    while (sk_paced_read_stats (f->stats, &stats) && stats.frames < after &&
           g_get_monotonic_time () < deadline)
      g_usleep (50 * 1000);
    g_assert_cmpuint (stats.frames, >=, after);
  }
  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_assert_true (g_subprocess_wait (f->daemon, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
  g_clear_object (&f->daemon);

  g_assert_true (sk_paced_read_stats (f->stats, &stats));
  silence = longest_inner_silence (f->out, &frames);
  g_test_message ("%" G_GSIZE_FORMAT " frames played, longest silence %" G_GSIZE_FORMAT
                  " frames, %u underruns",
                  frames, silence, stats.underruns);
  g_assert_cmpuint (frames, >, RATE * TRACK_S * 2);
  g_assert_cmpuint (silence, <=, RATE * CROSSFADE_S);
  if (sk_test_time_factor () == 1)
    g_assert_cmpuint (stats.underruns, ==, 0);
  else if (stats.underruns > 0)
    g_test_message ("%u underruns not held against the import in a build %g times slower: the "
                    "lock was busy %u ms at the longest, no tap was refused",
                    stats.underruns, sk_test_time_factor (), probe.longest);
}

int
main (int argc, char **argv)
{
  g_autofree char *busy_ms = NULL;

  g_test_init (&argc, &argv, NULL);
  /* The daemon, the import and every tap wait BUSY_TIMEOUT_MS for a lock
   * instead of the store's 5 s (docs/DESIGN.md, "Data model"): a short
   * transaction takes milliseconds, an import that decoded 300 files under
   * the write lock would hold it for seconds, and a tap would then fail
   * with "busy" rather than wait it out unnoticed. */
  busy_ms = g_strdup_printf ("%u", sk_test_scale_ms (BUSY_TIMEOUT_MS));
  g_setenv ("SK_STORE_BUSY_TIMEOUT_MS", busy_ms, TRUE);
  g_test_add ("/daemon/import-while-playing-refuses-no-tap-and-leaves-no-gap", Fixture, NULL,
              fixture_setup, test_import_while_playing, fixture_teardown);
  return g_test_run ();
}
