/* test-soundscaped.c: the engine service as a whole, as a process.
 *
 * soundscaped runs with the demo library on a fresh database, plays
 * through the paced test PCM (real alsa-lib, wall-clock pacing at 20×),
 * and reads badges from a PN532 played on a pseudo-terminal through the
 * real libnfc. The test types demo commands on its keyboard, presents a
 * card to the reader, and reads the service's log lines; every wait is
 * bounded, and only the processes started here are stopped, by pid.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "sk-paced.h"
#include "sk-pn532-fixture.h"
#include "sk-test-util.h"

typedef struct
{
  char *dir;
  char *db;
  char *out;
  SkPn532Fixture *reader;
  GSubprocess *daemon;
  GOutputStream *keyboard;
  GDataInputStream *log;
  GString *seen; /* every line read so far */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *link = NULL;

  f->dir = sk_test_mkdtemp ();
  f->db = g_build_filename (f->dir, "soundscape.db", NULL);
  f->out = g_build_filename (f->dir, "out.raw", NULL);
  f->seen = g_string_new (NULL);
  if (!sk_paced_setup (f->dir, &reason))
    g_error ("%s", reason);
  link = g_build_filename (f->dir, "nfc0", NULL);
  f->reader = sk_pn532_fixture_start (link, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->daemon != NULL)
    {
      g_subprocess_force_exit (f->daemon);
      g_subprocess_wait (f->daemon, NULL, NULL);
    }
  g_clear_object (&f->keyboard);
  g_clear_object (&f->log);
  g_clear_object (&f->daemon);
  g_clear_pointer (&f->reader, sk_pn532_fixture_free);
  sk_test_rmdir (f->dir);
  g_string_free (f->seen, TRUE);
  g_free (f->out);
  g_free (f->db);
  g_free (f->dir);
}

static void
start_daemon (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *pcm = sk_paced_pcm_name (20.0, f->out, NULL);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "LIBNFC_AUTO_SCAN", "false", TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_LOG_LEVEL", "0", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                           "--no-bus", "--db", f->db, "--pcm", pcm, "--nfc-device",
                                           sk_pn532_fixture_connstring (f->reader), "--demo",
                                           g_getenv ("SK_DEMO_LIBRARY"), NULL);
  g_assert_no_error (error);
  f->keyboard = g_object_ref (g_subprocess_get_stdin_pipe (f->daemon));
  f->log = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->daemon));
}

typedef struct
{
  GMainLoop *loop;
  char *line;
  gboolean done;
} LineWait;

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  LineWait *w = data;

  w->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                       NULL);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Reads log lines until one holds @needle (TRUE) or @seconds pass. */
static gboolean
wait_for (Fixture *f, const char *needle, guint seconds)
{
  gint64 deadline = sk_test_deadline_ms (seconds * 1000);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();

  while (g_get_monotonic_time () < deadline)
    {
      LineWait w = { loop, NULL, FALSE };
      guint timer = g_timeout_add ((guint) ((deadline - g_get_monotonic_time ()) / 1000) + 1,
                                   on_timeout, loop);
      gboolean found;

      g_data_input_stream_read_line_async (f->log, G_PRIORITY_DEFAULT, cancel, on_line, &w);
      g_main_loop_run (loop);
      if (!w.done)
        {
          g_cancellable_cancel (cancel);
          while (!w.done)
            g_main_context_iteration (NULL, TRUE);
          g_free (w.line);
          return FALSE;
        }
      g_source_remove (timer);
      if (w.line == NULL)
        return FALSE; /* the process closed its output */
      g_string_append_printf (f->seen, "%s\n", w.line);
      g_test_message ("soundscaped: %s", w.line);
      found = strstr (w.line, needle) != NULL;
      g_free (w.line);
      if (found)
        return TRUE;
    }
  return FALSE;
}

static void
type (Fixture *f, const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (f->keyboard, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
assert_seen (Fixture *f, const char *needle, guint seconds)
{
  if (!wait_for (f, needle, seconds))
    g_error ("no “%s” from soundscaped within %u s; it said:\n%s", needle, seconds, f->seen->str);
}

/* The demo plays, a real reader's tap checks a listener in, keyboard votes
 * reach the engine, and SIGTERM ends it cleanly. */
static void
test_demo_plays_and_reader_taps (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  gint64 started;

  start_daemon (f);
  assert_seen (f, "imported 9 demo soundscapes", 10);
  assert_seen (f, ": playing ", 10); /* a track started */

  /* a badge on the reader: the same path as a keyboard tap */
  answer = sk_pn532_fixture_command (f->reader, &error, "present classic4 04F1E2D3");
  g_assert_no_error (error);
  assert_seen (f, "Fire Keeper checked in", 10);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM sessions WHERE expires_at > "
                                           "strftime('%Y-%m-%dT%H:%M:%fZ','now')"),
                   ==, 1);

  /* the keyboard: a vote of the listener the reader checked in */
  type (f, "v 2 5");
  /* each event a log line, the vote too (said before the demo prints the
   * step) */
  assert_seen (f, " rated ", 10);
  assert_seen (f, "Fire Keeper rates 5", 10);
  assert_seen (f, "Now playing", 10);
  if (sk_test_file_query_int (f->db, "SELECT count(*) FROM votes") != 1)
    g_error ("the vote was not recorded; soundscaped said:\n%s", f->seen->str);

  /* a line it cannot take is said to be one (a rating is 1 to 5); an
   * unknown badge is offered the join command for this database */
  type (f, "v 2 7");
  assert_seen (f, "“v 2 7” is not one of the keys", 10);
  assert_seen (f, "Keys: ", 10);
  type (f, "t 04DEADBE");
  {
    g_autofree char *join = g_strdup_printf ("“soundscape-ctl join 04DEADBE --db %s”", f->db);

    assert_seen (f, join, 10);
  }

  /* it goes on playing: the next track starts */
  type (f, "n");
  assert_seen (f, ": playing ", 10); /* a track started */
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM songs_playing"), >=, 2);

  started = g_get_monotonic_time ();
  g_subprocess_send_signal (f->daemon, SIGTERM);
  g_assert_true (g_subprocess_wait (f->daemon, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (f->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
  g_test_message ("stopped %.2f s after SIGTERM",
                  (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC);
  g_clear_object (&f->daemon);

  /* what it played went through the PCM */
  {
    g_autofree char *raw = NULL;
    gsize len = 0;
    gsize loud = 0;

    g_assert_true (g_file_get_contents (f->out, &raw, &len, NULL));
    g_assert_cmpuint (len, >, 48000 * 4);
    for (gsize i = 0; i + 1 < len; i += 2)
      if (((gint16) ((guint8) raw[i] | ((guint8) raw[i + 1] << 8))) != 0)
        loud++;
    g_assert_cmpuint (loud, >, len / 8);
  }
}

typedef struct
{
  GMainLoop *loop;
  char *out;
  gboolean done;
} Communicated;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer data)
{
  Communicated *c = data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, NULL, &error);
  g_assert_no_error (error);
  c->done = TRUE;
  g_main_loop_quit (c->loop);
}

/* What a soundscaped that should exit at once said, within 10 s: one that
 * runs on is stopped (ours, by its pid) and the test fails with @why. */
static char *
communicate_bounded (GSubprocess *p, const char *why)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Communicated c = { loop, NULL, FALSE };
  guint timer;

  g_subprocess_communicate_utf8_async (p, NULL, NULL, on_communicated, &c);
  timer = g_timeout_add (sk_test_scale_ms (10000), on_timeout, loop);
  g_main_loop_run (loop);
  if (!c.done)
    {
      g_subprocess_force_exit (p);
      while (!c.done)
        g_main_context_iteration (NULL, TRUE);
      g_error ("%s; it said:\n%s", why, c.out);
    }
  g_source_remove (timer);
  return c.out;
}

/* soundscaped with @args and no reader or bus, expected to refuse at once:
 * exit status 1 and one line, "soundscaped: …", which is returned. */
static char *
assert_refused (const char *why, const char *const *args)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  char *out;

  g_ptr_array_add (argv, (gpointer) g_getenv ("SK_SOUNDSCAPED"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, (gpointer) "--no-nfc");
  g_ptr_array_add (argv, (gpointer) "--no-bus");
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  out = communicate_bounded (p, why);
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
  g_assert_true (g_str_has_prefix (out, "soundscaped: "));
  g_assert_cmpint (strchr (out, '\n') - out, ==, (int) strlen (out) - 1);
  return out;
}

/* A database it cannot open is one clear line and exit status 1. */
static void
test_bad_database (Fixture *f, gconstpointer data)
{
  g_autofree char *bad = g_build_filename (f->dir, "not-a-db", NULL);
  g_autofree char *out = NULL;

  g_assert_true (
      g_file_set_contents (bad, "this is not a database, only text of some length", -1, NULL));
  out = assert_refused ("soundscaped ran on a file that is not a database",
                        (const char *const[]){ "--db", bad, NULL });
}

/* Under systemd: READY=1 once it plays, STATUS= for what plays, and the
 * watchdog pinged at half its interval, over a real notify socket. */
static void
test_notify_socket (Fixture *f, gconstpointer data)
{
#ifdef HAVE_LIBSYSTEMD
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "notify", NULL);
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *pcm = sk_paced_pcm_name (20.0, NULL, NULL);
  gboolean ready = FALSE, status = FALSE;
  guint watchdog = 0;
  gint64 deadline;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, addr, TRUE, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (sock, 1);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", path, TRUE);
  g_subprocess_launcher_setenv (launcher, "WATCHDOG_USEC", "200000", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  g_subprocess_launcher_setenv (launcher, "LIBNFC_AUTO_SCAN", "false", TRUE);
  f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                           "--no-bus", "--db", f->db, "--pcm", pcm, "--no-nfc",
                                           "--demo", g_getenv ("SK_DEMO_LIBRARY"), NULL);
  g_assert_no_error (error);

  deadline = sk_test_deadline_ms (10000);
  while (g_get_monotonic_time () < deadline && !(ready && status && watchdog >= 3))
    {
      char buf[512];
      gssize n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL);

      if (n <= 0)
        continue;
      buf[n] = '\0';
      g_test_message ("notify: %s", buf);
      ready |= strstr (buf, "READY=1") != NULL;
      status |= strstr (buf, "STATUS=Playing ") != NULL;
      if (strstr (buf, "WATCHDOG=1") != NULL)
        watchdog++;
    }
  g_assert_true (ready);
  g_assert_true (status);
  g_assert_cmpuint (watchdog, >=, 3);

  g_subprocess_send_signal (f->daemon, SIGTERM);
  deadline = sk_test_deadline_ms (10000);
  for (gboolean stopping = FALSE; !stopping && g_get_monotonic_time () < deadline;)
    {
      char buf[512];
      gssize n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL);

      if (n > 0)
        {
          buf[n] = '\0';
          stopping = strstr (buf, "STOPPING=1") != NULL;
        }
      if (stopping)
        break;
      if (g_get_monotonic_time () >= deadline)
        g_error ("no STOPPING=1 after SIGTERM");
    }
  g_assert_true (g_subprocess_wait (f->daemon, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
  g_clear_object (&f->daemon);
#else
  g_test_skip ("built without libsystemd: soundscaped does not speak the notify protocol");
#endif
}

/* Killed without warning (a pulled plug, the OOM killer): started again on
 * the same database, the listener is still checked in, the vote is still
 * there, and it plays on. */
static void
test_killed_and_restarted (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;

  start_daemon (f);
  assert_seen (f, ": playing ", 10);
  answer = sk_pn532_fixture_command (f->reader, &error, "present classic4 04A1B2C3");
  g_assert_no_error (error);
  assert_seen (f, "Rain Lover checked in", 10);
  type (f, "v 1 4");
  assert_seen (f, "Rain Lover rates 4", 10);
  assert_seen (f, "Now playing", 10);

  g_subprocess_send_signal (f->daemon, SIGKILL);
  g_assert_true (g_subprocess_wait (f->daemon, NULL, &error));
  g_assert_false (g_subprocess_get_if_exited (f->daemon));
  g_clear_object (&f->daemon);
  g_clear_object (&f->keyboard);
  g_clear_object (&f->log);

  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 4"),
                   ==, 1);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM pragma_integrity_check "
                                                  "WHERE integrity_check != 'ok'"),
                   ==, 0);

  start_daemon (f);
  assert_seen (f, ": playing ", 10);
  type (f, "s");
  assert_seen (f, "1 listener present", 10);
  /* the badge left on the reader is the same listener (at most an
   * extended visit), and the reader works for a new one */
  g_clear_pointer (&answer, g_free);
  answer = sk_pn532_fixture_command (f->reader, &error, "remove");
  g_assert_no_error (error);
  g_clear_pointer (&answer, g_free);
  answer = sk_pn532_fixture_command (f->reader, &error, "present classic4 04F1E2D3");
  g_assert_no_error (error);
  assert_seen (f, "Fire Keeper checked in", 10);
  type (f, "s");
  assert_seen (f, "2 listeners present", 10);
}

/* A kiosk.conf named by --config that is not there is one line and exit
 * status 1, before anything is opened: the kiosk never runs on defaults
 * because of a typo. (The default one may be missing.) */
static void
test_missing_config (Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename (f->dir, "kiosk.cnof", NULL);
  g_autofree char *out = NULL;

  out = assert_refused ("soundscaped ran on with --config naming no file",
                        (const char *const[]){ "--config", conf, "--db", f->db, NULL });
  g_assert_nonnull (strstr (out, conf));
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

/* A second soundscaped on the database of a running one exits at once,
 * status 1, with one line naming the first by its pid; the first plays
 * on. (Before the lock, both ran as the same player.) */
static void
test_second_daemon_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) second = NULL;
  g_autofree char *pcm = sk_paced_pcm_name (20.0, NULL, NULL);
  g_autofree char *expect = NULL;
  g_autofree char *out = NULL;

  start_daemon (f);
  assert_seen (f, ": playing ", 10);

  second = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                       G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                   &error, g_getenv ("SK_SOUNDSCAPED"), "--no-bus", "--db", f->db,
                                   "--pcm", pcm, "--no-nfc", NULL);
  g_assert_no_error (error);
  out = communicate_bounded (second, "a second soundscaped ran on the same database");
  g_test_message ("second soundscaped: %s", out);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 1);
  expect = g_strdup_printf ("soundscaped: Another soundscaped (pid %s) already runs on ",
                            g_subprocess_get_identifier (f->daemon));
  g_assert_true (g_str_has_prefix (out, expect));
  g_assert_cmpint (strchr (out, '\n') - out, ==, (int) strlen (out) - 1);

  /* the first is untouched and plays on */
  type (f, "n");
  assert_seen (f, ": playing ", 10);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM players"), ==, 1);
}

/* What soundscape-ctl changes while the daemon runs is applied without a
 * restart, and the log says what was picked up. */
static void
test_picks_up_ctl_changes (Fixture *f, gconstpointer data)
{
  gint64 deadline;

  start_daemon (f);
  assert_seen (f, ": playing ", 10);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM player_queue"), ==, 5);

  /* a setting: the queue the daemon writes becomes two long */
  sk_test_ctl_ok (f->db, (const char *const[]){ "config", "queue_k", "2", NULL });
  assert_seen (f, "picked up from another program: settings: queue_k = 2", 10);
  deadline = sk_test_deadline_ms (10000);
  while (sk_test_file_query_int (f->db, "SELECT count(*) FROM player_queue") != 2 &&
         g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM player_queue"), ==, 2);

  /* an enrolment: the listener is present for the daemon */
  sk_test_ctl_ok (f->db, (const char *const[]){ "join", "04CC0001", NULL });
  assert_seen (f, "picked up from another program: listeners: 1 present", 10);
  type (f, "s");
  assert_seen (f, "1 listener present", 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/daemon/demo-plays-and-reader-taps", test_demo_plays_and_reader_taps);
  ADD ("/daemon/killed-and-restarted-loses-nothing", test_killed_and_restarted);
  ADD ("/daemon/bad-database-is-one-line", test_bad_database);
  ADD ("/daemon/missing-config-is-one-line", test_missing_config);
  ADD ("/daemon/second-daemon-on-one-database-is-refused", test_second_daemon_refused);
  ADD ("/daemon/systemd-notify-ready-status-watchdog", test_notify_socket);
  ADD ("/daemon/picks-up-what-soundscape-ctl-changed", test_picks_up_ctl_changes);
#undef ADD
  return g_test_run ();
}
