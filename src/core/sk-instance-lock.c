/* sk-instance-lock.c: one soundscaped per database (sk-instance-lock.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sk-instance-lock.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-instance-lock-error-quark, sk_instance_lock_error)
/* clang-format on */

/* The pid the holder wrote, or 0: an OFD lock has no owning pid to ask
 * the kernel for (F_OFD_GETLK answers -1), hence the file's content. A
 * holder that has locked but not yet written reads as 0. */
static long
read_holder (int fd)
{
  char buf[32];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  char *end = NULL;
  long pid;

  if (n <= 0)
    return 0;
  buf[n] = '\0';
  pid = strtol (buf, &end, 10);
  if (end == buf || pid <= 0 || (*end != '\n' && *end != '\0'))
    return 0;
  return pid;
}

int
sk_instance_lock_take (const char *db_path, GError **error)
{
  g_autofree char *path = NULL;
  struct flock fl = { 0 };
  char pid[32];
  int fd;
  int saved;

  g_return_val_if_fail (db_path != NULL, -1);

  path = g_strconcat (db_path, ".lock", NULL);
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, SK_INSTANCE_LOCK_ERROR, SK_INSTANCE_LOCK_ERROR_FAILED,
                   "Cannot open the lock file %s: %s.", path, g_strerror (saved));
      return -1;
    }
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl (fd, F_OFD_SETLK, &fl) != 0)
    {
      saved = errno;
      if (saved == EAGAIN || saved == EACCES)
        {
          long holder = read_holder (fd);

          if (holder > 0)
            g_set_error (error, SK_INSTANCE_LOCK_ERROR, SK_INSTANCE_LOCK_ERROR_HELD,
                         "Another soundscaped (pid %ld) already runs on %s: stop it first "
                         "(it holds %s).",
                         holder, db_path, path);
          else
            g_set_error (error, SK_INSTANCE_LOCK_ERROR, SK_INSTANCE_LOCK_ERROR_HELD,
                         "Another soundscaped already runs on %s (it holds %s and is "
                         "starting): stop it first.",
                         db_path, path);
        }
      else
        g_set_error (error, SK_INSTANCE_LOCK_ERROR, SK_INSTANCE_LOCK_ERROR_FAILED,
                     "Cannot lock %s: %s.", path, g_strerror (saved));
      close (fd);
      return -1;
    }
  g_snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) != (ssize_t) strlen (pid))
    g_debug ("Could not write the pid into %s: %s", path, g_strerror (errno));
  return fd;
}
