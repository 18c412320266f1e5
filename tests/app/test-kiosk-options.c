/* test-kiosk-options.c: soundscape-kiosk's command line, the program run
 * as a venue's admin runs it: --help lists the kiosk's options and nothing
 * of GApplication's; an option it does not list is refused, as are a word
 * that is no option and a bad value, each with a sentence and exit status
 * 1; and with its options the program starts and draws its first page (on
 * the test's bus and Xvfb, no engine there: it says it reconnects).
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-app-test.h"
#include "sk-test-util.h"

typedef struct
{
  int status;
  char *out, *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* soundscape-kiosk with @first... (NULL-terminated), in English, to its
 * end; it must end by itself (an option that would open the window is not
 * for this). */
static void
run_kiosk (Run *r, const char *first, ...)
{
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  g_ptr_array_add (argv, (gpointer) g_getenv ("SK_KIOSK"));
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &r->out, &r->err, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (p));
  r->status = g_subprocess_get_exit_status (p);
  g_test_message ("soundscape-kiosk %s: status %d\n%s%s", first, r->status, r->out, r->err);
}

/* --help: the kiosk's options, each with its line, and no other; nothing
 * of GApplication's (its service mode, its group of options). */
static void
test_help (void)
{
  static const char *const options[] = { "-h,",
                                         "--windowed=WIDTHxHEIGHT",
                                         "--reader-edge=EDGE",
                                         "--dim-after=SECONDS",
                                         "--session",
                                         "--demo",
                                         "--version" };
  g_auto (Run) r = { 0 };
  g_auto (GStrv) lines = NULL;
  g_autofree char *lower = NULL;
  guint n = 0;

  run_kiosk (&r, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  lower = g_ascii_strdown (r.out, -1);
  g_assert_null (strstr (lower, "gapplication"));
  g_assert_null (strstr (r.out, "--help-all"));
  g_assert_true (g_str_has_prefix (r.out, "Usage:\n  soundscape-kiosk [OPTION…] — "));
  lines = g_strsplit (r.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) words = NULL;
      gboolean known = FALSE;

      if (!g_str_has_prefix (lines[i], "  -"))
        continue;
      words = g_strsplit (g_strstrip (lines[i]), " ", 2);
      for (guint j = 0; j < G_N_ELEMENTS (options); j++)
        known = known || g_str_equal (words[0], options[j]);
      if (!known)
        g_error ("--help lists an option the kiosk does not mean: %s", lines[i]);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (options));
}

/* What --help does not list is no option: GApplication's service mode is
 * refused like any unknown option; a word that is no option, and a bad
 * value, are each one sentence. */
static void
test_refused (void)
{
  static const struct
  {
    const char *arg, *value, *says;
  } cases[] = {
    { "--gapplication-service", NULL, "Unknown option --gapplication-service" },
    { "open-me", NULL, "“open-me” is not an option (--help lists them)" },
    { "--windowed", "800", "--windowed takes WIDTHxHEIGHT, e.g. 800x480, not “800”" },
    { "--reader-edge", "middle", "--reader-edge takes left, right, top or bottom" },
    { "--dim-after", "-1", "--dim-after takes seconds from 0 (never) to 86400" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Run) r = { 0 };
      g_autofree char *said = g_strconcat ("soundscape-kiosk: ", cases[i].says, NULL);

      run_kiosk (&r, cases[i].arg, cases[i].value, NULL);
      g_assert_cmpint (r.status, ==, 1);
      g_assert_cmpstr (r.out, ==, "");
      g_assert_true (g_str_has_prefix (r.err, said));
      /* one line */
      g_assert_cmpstr (strchr (r.err, '\n'), ==, r.err + strlen (r.err) - 1);
    }
}

static gboolean
file_holds (Screen *s, gconstpointer data)
{
  const char *const *what = data;
  g_autofree char *text = NULL;

  return g_file_get_contents (what[0], &text, NULL, NULL) && strstr (text, what[1]) != NULL;
}

/* The options still take the program where they say: on the session bus
 * (the test's, where no engine is) in a window, it draws "Reconnecting…"
 * (SK_KIOSK_FRAME_LOG: a line after the first frame of each page). */
static void
test_starts (void)
{
  Screen screen = { 0 };
  Fixture *f = &screen.base;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  const char *what[2];

  fixture_setup (f, NULL);
  log = g_build_filename (f->dir, "kiosk.log", NULL);
  launcher = daemon_launcher (f, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "SK_KIOSK_FRAME_LOG", "1", TRUE);
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_KIOSK"), "--session",
                                   "--windowed", "640x400", "--reader-edge", "left", "--dim-after",
                                   "0", NULL);
  g_assert_no_error (error);
  what[0] = log;
  what[1] = "soundscape-kiosk: frame reconnecting ";
  if (!wait_until (&screen, file_holds, what, 20))
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      g_error ("soundscape-kiosk drew no “reconnecting” within 20 s: %s", text);
    }
  /* it runs on until it is stopped */
  g_assert_nonnull (g_subprocess_get_identifier (p));
  g_subprocess_force_exit (p);
  g_subprocess_wait (p, NULL, NULL);
  fixture_teardown (f, NULL);
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  g_test_add_func ("/options/help", test_help);
  g_test_add_func ("/options/refused", test_refused);
  g_test_add_func ("/options/starts", test_starts);
  return app_test_run ();
}
