/* test-children.c: what a test starts does not outlive it.
 *
 * Every process a test starts goes through sk_test_child_setup
 * (sk-test-util.h): the child is told SIGTERM when the test dies. Here a
 * test started in a subprocess of its own starts a long `sleep` through
 * the helper, writes its pid down and aborts, as a failed assertion
 * would; the `sleep` must be gone within a bounded wait. This process is a
 * child subreaper, so that the orphaned `sleep` becomes its child and can
 * be waited for (and killed, by pid, if it outlived the test).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk-test-util.h"

#define PID_FILE_ENV "SK_TEST_CHILDREN_PID_FILE"

/* In the subprocess: a child through the helper, its pid written down,
 * then the abort, with no teardown. */
static void
abort_with_a_child (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autofree char *pid = NULL;
  const char *pid_file = g_getenv (PID_FILE_ENV);

  g_assert_nonnull (pid_file);
  child = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                      G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                  &error, "sleep", "600", NULL);
  g_assert_no_error (error);
  pid = g_strdup (g_subprocess_get_identifier (child));
  g_assert_true (g_file_set_contents (pid_file, pid, -1, &error));
  g_assert_no_error (error);
  abort ();
}

static void
test_child_dies_with_the_test (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *pid_file = g_build_filename (dir, "child.pid", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  guint64 pid = 0;
  gint64 deadline;
  int status = 0;
  pid_t r = 0;

  if (g_test_subprocess ())
    {
      abort_with_a_child ();
      return;
    }
  if (sk_test_emulator () != NULL)
    {
      g_test_skip ("under a user-mode emulator this test cannot start itself again (the kernel "
                   "runs no program of this build without the emulator) nor become a subreaper "
                   "(qemu does not emulate PR_SET_CHILD_SUBREAPER)");
      return;
    }
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  g_setenv (PID_FILE_ENV, pid_file, TRUE);
  g_test_trap_subprocess (NULL, (guint64) sk_test_scale_ms (30000) * 1000,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_unsetenv (PID_FILE_ENV);

  g_assert_true (g_file_get_contents (pid_file, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_ascii_string_to_unsigned (text, 10, 2, G_MAXINT, &pid, &error));
  g_assert_no_error (error);

  /* the orphan is this process's child now: wait for it, bounded */
  deadline = g_get_monotonic_time () + sk_test_scale_ms (5000) * G_TIME_SPAN_MILLISECOND;
  while ((r = waitpid ((pid_t) pid, &status, WNOHANG)) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  if (r == 0)
    {
      kill ((pid_t) pid, SIGKILL);
      waitpid ((pid_t) pid, &status, 0);
      g_test_fail_printf ("the child %" G_GUINT64_FORMAT " outlived the test that started it "
                          "by %u ms (killed now)",
                          pid, sk_test_scale_ms (5000));
    }
  else
    {
      g_assert_cmpint (r, ==, (pid_t) pid);
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGTERM);
    }
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tests/children/die-with-the-test", test_child_dies_with_the_test);
  return g_test_run ();
}
