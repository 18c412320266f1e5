/* fuzz-audio: arbitrary bytes as an audio file, read the ways the project
 * reads one: import's probe (decode all of it, measure the loudness) and
 * the player's source (decode, remix, resample). The bytes go into a real
 * file, as both open files by path. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "sk-audio-source.h"
#include "sk-fuzz.h"
#include "sk-import.h"

/* 1 s of output a call at most: a file may say it is hours long */
#define MAX_FRAMES 48000
#define CHUNK 4096

static char *dir;
static char *path;
static int fd = -1;

static void
cleanup (void)
{
  if (fd >= 0)
    close (fd);
  if (path != NULL)
    g_unlink (path);
  if (dir != NULL)
    g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
write_input (const uint8_t *data, size_t size)
{
  if (fd < 0)
    {
      dir = g_dir_make_tmp ("sk-fuzz-audio-XXXXXX", NULL);
      g_assert_nonnull (dir);
      path = g_build_filename (dir, "input", NULL);
      fd = g_open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      g_assert_cmpint (fd, >=, 0);
      atexit (cleanup);
    }
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  for (size_t done = 0; done < size;)
    {
      ssize_t n = pwrite (fd, data + done, size - done, (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      done += (size_t) n;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SkAudioSource) source = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *frames = g_new (float, 2 * CHUNK);
  double duration = 0, loudness = 0;
  gsize total = 0;

  write_input (data, size);

  if (sk_audio_probe_loudness (path, &duration, &loudness, &error))
    g_assert_true (isfinite (duration) && duration >= 0);
  else
    g_assert_nonnull (error);
  g_clear_error (&error);

  source = sk_audio_source_open (path, 0.0, &error);
  if (source == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }
  while (total < MAX_FRAMES)
    {
      gsize n = sk_audio_source_read (source, frames, CHUNK);

      g_assert_cmpuint (n, <=, CHUNK);
      for (gsize i = 0; i < 2 * n; i++)
        g_assert_true (isfinite (frames[i]));
      if (n == 0)
        break;
      total += n;
    }
  return 0;
}
