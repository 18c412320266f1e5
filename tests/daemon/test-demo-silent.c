/* test-demo-silent.c: the demo on a machine with no sound card, as a
 * newcomer meets it.
 *
 * soundscaped --demo runs with a PCM that cannot be opened (what a machine
 * without a sound card gives), with `none`, and with alsa-lib's `null`
 * (which takes data faster than real time), its keyboard a pipe from the
 * test. It must play silently at the clock's pace (track starts are
 * counted over the run: a track is at least 24 s long, so a run of T
 * seconds starts at most 1 + T / 24 tracks and the skips asked for), take
 * votes and skips, say each device state once on stderr (no alsa-lib or
 * libnfc lines), and end when its input ends. Every wait is bounded; the
 * one process started here is stopped by pid if it outlives the test.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "sk-test-util.h"

#define SHORTEST_TRACK_S 24 /* the demo library's shortest file */

typedef struct
{
  const char *pcm;  /* NULL: one that cannot be opened */
  const char *said; /* the one line about the sound output */
  gboolean reader;  /* a badge reader that is not there */
} Case;

typedef struct
{
  char *dir;
  char *err_path;
  char *out_path;
  GSubprocess *daemon;
  GOutputStream *keyboard;
  gint64 started;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = sk_test_mkdtemp ();
  f->err_path = g_build_filename (f->dir, "stderr.txt", NULL);
  f->out_path = g_build_filename (f->dir, "stdout.txt", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->daemon != NULL && g_subprocess_get_identifier (f->daemon) != NULL)
    {
      g_subprocess_force_exit (f->daemon);
      g_subprocess_wait (f->daemon, NULL, NULL);
    }
  g_clear_object (&f->keyboard);
  g_clear_object (&f->daemon);
  sk_test_rmdir (f->dir);
  g_free (f->err_path);
  g_free (f->out_path);
  g_free (f->dir);
}

static void
start_demo (Fixture *f, const Case *c)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autofree char *db = g_build_filename (f->dir, "soundscape.db", NULL);
  g_autofree char *no_reader = g_strdup_printf ("pn532_uart:%s/no-reader", f->dir);
  const char *argv[] = { g_getenv ("SK_SOUNDSCAPED"),
                         "--no-bus",
                         "--db",
                         db,
                         "--demo",
                         g_getenv ("SK_DEMO_LIBRARY"),
                         "--pcm",
                         c->pcm != NULL ? c->pcm : "sk-test-no-such-card",
                         c->reader ? "--nfc-device" : "--no-nfc",
                         c->reader ? no_reader : NULL,
                         NULL };
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_stderr_file_path (launcher, f->err_path);
  g_subprocess_launcher_set_stdout_file_path (launcher, f->out_path);
  /* the process's own defaults, as a newcomer has them */
  g_subprocess_launcher_unsetenv (launcher, "LIBNFC_LOG_LEVEL");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");

  f->started = g_get_monotonic_time ();
  f->daemon = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  f->keyboard = g_object_ref (g_subprocess_get_stdin_pipe (f->daemon));
}

static void
type (Fixture *f, const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (f->keyboard, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static guint
count_lines_with (const char *text, const char *needle)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      n++;
  return n;
}

/* Track starts: the daemon's "playing TITLE" lines. */
static guint
count_tracks (const char *text)
{
  /* not "No sound card: playing silently" */
  return count_lines_with (text, ": playing ") - count_lines_with (text, "playing silently");
}

/* Waits (up to @seconds) until stderr shows @n track starts. */
static gboolean
wait_tracks (Fixture *f, guint n, guint seconds)
{
  gint64 deadline = sk_test_deadline_ms (seconds * 1000);

  for (;;)
    {
      g_autofree char *text = read_text (f->err_path);

      if (count_tracks (text) >= n)
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (50 * 1000);
    }
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
}

/* Closes the keyboard: the demo must end by itself, within @seconds. */
static void
end_input_and_wait (Fixture *f, guint seconds)
{
  gint64 deadline = sk_test_deadline_ms (seconds * 1000);
  gboolean exited = FALSE;

  g_output_stream_close (f->keyboard, NULL, NULL);
  g_subprocess_wait_async (f->daemon, NULL, on_exited, &exited);
  while (!exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10 * 1000), TRUE);
  if (!exited)
    {
      g_autofree char *err = read_text (f->err_path);

      g_error ("the demo did not end at the end of its input; it said:\n%s", err);
    }
  g_assert_true (g_subprocess_get_if_exited (f->daemon));
  g_assert_cmpint (g_subprocess_get_exit_status (f->daemon), ==, 0);
}

/* Every line on stderr is one of the demo's own: no alsa-lib or libnfc
 * lines, nothing said twice about a device. */
static void
check_stderr (const char *err, const Case *c)
{
  static const char *const known[] = {
    "imported ",        "audio output:", "checked in",
    "playing ",         "status ",       "NFC reader ",
    "playing silently", " rated ",       "No opening hours are set: the music plays at all hours",
  };
  g_auto (GStrv) lines = g_strsplit (err, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean ok = FALSE;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      for (guint k = 0; k < G_N_ELEMENTS (known) && !ok; k++)
        ok = strstr (lines[i], known[k]) != NULL;
      if (!ok)
        g_error ("an unexpected line on stderr: “%s”; all of it:\n%s", lines[i], err);
    }
  g_assert_cmpuint (count_lines_with (err, "ALSA lib"), ==, 0);
  g_assert_cmpuint (count_lines_with (err, "libnfc"), ==, 0);
  if (c->said != NULL)
    g_assert_cmpuint (count_lines_with (err, c->said), ==, 1);
  g_assert_cmpuint (count_lines_with (err, "NFC reader "), ==, c->reader ? 1 : 0);
}

static void
test_demo (Fixture *f, gconstpointer data)
{
  const Case *c = data;
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  guint tracks, bound;
  double seconds;

  g_assert_nonnull (g_getenv ("SK_SOUNDSCAPED"));
  start_demo (f, c);

  /* a listener arrives: a track plays (silently) and takes a vote */
  type (f, "1");
  if (!wait_tracks (f, 1, 20))
    {
      err = read_text (f->err_path);
      g_error ("nothing started playing; stderr:\n%s", err);
    }
  type (f, "v 1 5");
  /* a skip starts the next track, after the crossfade (5 s by default) */
  type (f, "n");
  if (!wait_tracks (f, 2, 20))
    {
      err = read_text (f->err_path);
      g_error ("the skip started no track; stderr:\n%s", err);
    }
  /* long enough for retries of the sound card (every 5 s) and the reader
   * (every 2 s at most) to have said something if they were to */
  g_usleep (6 * G_USEC_PER_SEC);
  end_input_and_wait (f, 15);
  seconds = (double) (g_get_monotonic_time () - f->started) / G_USEC_PER_SEC;

  err = read_text (f->err_path);
  out = read_text (f->out_path);
  g_test_message ("stderr after %.1f s:\n%s", seconds, err);
  check_stderr (err, c);

  /* the vote was taken by the track playing */
  g_assert_nonnull (strstr (out, "» Rain Lover rates 5"));
  g_assert_null (strstr (out, "Nothing is playing"));
  /* `n` and each track started show the queue */
  g_assert_cmpuint (count_lines_with (out, "♪ Now playing:"), >=, 3);

  /* the clock's pace: the first track, the skip's, and those that could
   * have ended on their own */
  tracks = count_tracks (err);
  bound = 2 + (guint) (seconds / SHORTEST_TRACK_S);
  g_assert_cmpuint (tracks, >=, 2);
  g_assert_cmpuint (tracks, <=, bound);
}

int
main (int argc, char **argv)
{
  static const Case no_card = { NULL, "No sound card: playing silently", TRUE };
  static const Case none = { "none", "Sound output “none”: playing silently", FALSE };
  static const Case null_pcm = { "null", NULL, FALSE };

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/demo/no-sound-card", Fixture, &no_card, fixture_setup, test_demo, fixture_teardown);
  g_test_add ("/demo/pcm-none", Fixture, &none, fixture_setup, test_demo, fixture_teardown);
  g_test_add ("/demo/pcm-null-keeps-time", Fixture, &null_pcm, fixture_setup, test_demo,
              fixture_teardown);
  return g_test_run ();
}
