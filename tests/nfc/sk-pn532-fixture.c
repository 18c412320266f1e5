/* sk-pn532-fixture.c: starts pn532-fixture and talks to it.
 *
 * The program's stdin and stdout are one end of a socket pair, so that a
 * command sent to a fixture that died fails with EPIPE instead of raising
 * SIGPIPE in the test. Every read has a deadline; the process is reaped by
 * its pid, never by name.
 */
#include "config.h"

#include "sk-pn532-fixture.h"
#include "sk-test-util.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds on waits for the fixture to start, to answer and to exit, each
 * stretched by SK_TEST_TIME_FACTOR (sk_test_scale_ms): a sanitizer build
 * on a loaded machine is slower, not wrong. None of them is a time within
 * which something must NOT happen. */
#define READY_TIMEOUT_MS 5000
#define COMMAND_TIMEOUT_MS 2000
#define QUIT_TIMEOUT_MS 2000

struct _SkPn532Fixture
{
  char *link_path;
  char *connstring;
  GPid pid;       /* 0 once it is reaped */
  int fd;         /* our end of its stdin/stdout, or -1 */
  GString *input; /* what it wrote that is not yet a whole line */
};

static const char *
fixture_program (void)
{
  const char *path = g_getenv ("SK_PN532_FIXTURE");
  return path && *path ? path : SK_PN532_FIXTURE_PATH;
}

/* One line from the fixture, without its newline, within @timeout_ms
 * (already scaled). */
static char *
read_line (SkPn532Fixture *self, int timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      const char *nl = memchr (self->input->str, '\n', self->input->len);
      struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
      gint64 left;
      char buf[512];
      gssize n;
      int r;

      if (nl)
        {
          char *line = g_strndup (self->input->str, nl - self->input->str);
          g_string_erase (self->input, 0, nl - self->input->str + 1);
          return line;
        }
      if (self->fd < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The PN532 fixture is not running");
          return NULL;
        }
      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "The PN532 fixture did not answer within %d ms", timeout_ms);
          return NULL;
        }
      r = poll (&pfd, 1, (int) ((left + 999) / 1000));
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        continue;
      if (r < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Could not wait for the PN532 fixture: %s", g_strerror (saved));
          return NULL;
        }
      n = read (self->fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                       "The PN532 fixture closed its output (it exited)");
          return NULL;
        }
      g_string_append_len (self->input, buf, n);
    }
}

static void
reap (SkPn532Fixture *self)
{
  if (self->pid > 0)
    {
      kill (self->pid, SIGKILL);
      while (waitpid (self->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (self->pid);
      self->pid = 0;
    }
  if (self->fd >= 0)
    {
      close (self->fd);
      self->fd = -1;
    }
  g_string_truncate (self->input, 0);
}

static gboolean
spawn (SkPn532Fixture *self, GError **error)
{
  const char *argv[] = { fixture_program (), self->link_path, NULL };
  g_autofree char *line = NULL;
  g_autofree char *expected = NULL;
  int sv[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make a socket pair for the PN532 fixture: %s", g_strerror (saved));
      return FALSE;
    }
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                         sk_test_child_setup, NULL, sv[1], sv[1], -1, NULL, NULL, 0,
                                         &self->pid, NULL, NULL, NULL, error))
    {
      close (sv[0]);
      close (sv[1]);
      self->pid = 0;
      g_prefix_error (error, "Could not start the PN532 fixture %s: ", argv[0]);
      return FALSE;
    }
  close (sv[1]);
  self->fd = sv[0];

  line = read_line (self, (int) sk_test_scale_ms (READY_TIMEOUT_MS), error);
  expected = g_strconcat ("ready ", self->connstring, NULL);
  if (!line || !g_str_equal (line, expected))
    {
      if (line)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "The PN532 fixture started with '%s' instead of '%s'", line, expected);
      else
        g_prefix_error (error, "The PN532 fixture did not start: ");
      reap (self);
      return FALSE;
    }
  return TRUE;
}

SkPn532Fixture *
sk_pn532_fixture_start (const char *link_path, GError **error)
{
  g_autoptr (SkPn532Fixture) self = NULL;

  g_return_val_if_fail (link_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_new0 (SkPn532Fixture, 1);
  self->link_path = g_strdup (link_path);
  self->connstring = g_strconcat ("pn532_uart:", link_path, NULL);
  self->fd = -1;
  self->input = g_string_new (NULL);
  if (!spawn (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
sk_pn532_fixture_connstring (SkPn532Fixture *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->connstring;
}

GPid
sk_pn532_fixture_get_pid (SkPn532Fixture *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pid;
}

char *
sk_pn532_fixture_command (SkPn532Fixture *self, GError **error, const char *format, ...)
{
  g_autofree char *command = NULL;
  g_autofree char *line = NULL;
  va_list args;
  gsize done = 0;
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (format != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);
  if (strchr (command, '\n'))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A PN532 fixture command is one line");
      return NULL;
    }
  if (self->fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The PN532 fixture is not running");
      return NULL;
    }

  len = strlen (command);
  command[len] = '\n'; /* sent with its newline, never read as a string */
  while (done < len + 1)
    {
      gssize n = send (self->fd, command + done, len + 1 - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          command[len] = '\0';
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Could not send '%s' to the PN532 fixture: %s", command, g_strerror (saved));
          return NULL;
        }
      done += n;
    }
  command[len] = '\0';

  line = read_line (self, (int) sk_test_scale_ms (COMMAND_TIMEOUT_MS), error);
  if (!line)
    {
      g_prefix_error (error, "'%s': ", command);
      return NULL;
    }
  if (g_str_equal (line, "ok"))
    return g_strdup ("");
  if (g_str_has_prefix (line, "ok "))
    return g_strdup (line + 3);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The PN532 fixture refused '%s': %s", command,
               g_str_has_prefix (line, "error ") ? line + 6 : line);
  return NULL;
}

void
sk_pn532_fixture_kill (SkPn532Fixture *self)
{
  g_return_if_fail (self != NULL);
  reap (self);
  /* Gone with the device, as /dev/ttyUSB0 goes with an unplugged reader. A
   * link left behind would name /dev/pts/N, and once a client closes the
   * dead pty the kernel gives that number to the next pty opened anywhere
   * on the machine: a reader retrying the link would talk to another
   * test's fixture (or terminal). */
  g_unlink (self->link_path);
}

gboolean
sk_pn532_fixture_restart (SkPn532Fixture *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  reap (self);
  return spawn (self, error);
}

void
sk_pn532_fixture_free (SkPn532Fixture *self)
{
  if (!self)
    return;

  if (self->pid > 0)
    {
      g_autofree char *answer = sk_pn532_fixture_command (self, NULL, "quit");
      gint64 deadline = sk_test_deadline_ms (QUIT_TIMEOUT_MS);

      /* It exits on "quit"; a few ms of polling, bounded, then SIGKILL. */
      while (answer && g_get_monotonic_time () < deadline)
        {
          pid_t r = waitpid (self->pid, NULL, WNOHANG);
          if (r == self->pid || (r < 0 && errno != EINTR))
            {
              g_spawn_close_pid (self->pid);
              self->pid = 0;
              break;
            }
          g_usleep (2 * G_TIME_SPAN_MILLISECOND);
        }
    }
  reap (self);
  g_unlink (self->link_path);
  g_string_free (self->input, TRUE);
  g_free (self->connstring);
  g_free (self->link_path);
  g_free (self);
}
