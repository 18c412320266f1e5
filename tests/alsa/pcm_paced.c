/* pcm_paced.c: an ALSA playback PCM that keeps time like a sound card.
 *
 * The stock PCMs a test can use without hardware (null, file, plug) accept
 * any amount of audio at once, so no writer can ever be late on them. This
 * external I/O plugin consumes frames at the wall-clock rate, measured on
 * CLOCK_MONOTONIC and multiplied by `speed`, the way a card's DMA would:
 *
 *   pcm_type.sk_paced { lib "BUILDDIR/tests/alsa/libasound_module_pcm_sk_paced.so" }
 *   pcm.paced {
 *     type sk_paced
 *     speed 20             # 20 seconds of audio per second (default 1)
 *     file "OUT.raw"       # optional: every consumed frame, raw, in order
 *     stats "STATS"        # optional: "underruns=N\nframes=N\n", kept current
 *   }
 *
 * States, as alsa-lib's ioplug drives them:
 *   PREPARED   nothing consumed; the timerfd is readable (the buffer is
 *              free). Writing up to start_threshold starts the clock.
 *   RUNNING    the play position is base + (now - t0) * rate * speed. The
 *              timerfd fires at every period boundary of that position,
 *              like a card's period interrupt, and poll reports POLLOUT
 *              when avail >= avail_min. When avail reaches stop_threshold
 *              (by default: everything written was played), the PCM is
 *              in XRUN: pointer() answers -EPIPE, poll answers POLLERR,
 *              the underrun is counted once, and snd_pcm_prepare() starts
 *              over. A stop_threshold beyond the buffer (never stop) makes
 *              the position wait for the writer instead.
 *   PAUSED     the clock stops; on release it restarts from the position.
 *   DRAINING   the position runs up to what was written, then stops.
 *
 * What is consumed is copied from a ring of the buffer's size to `file`
 * as the position moves, so the file holds what a listener heard: frames
 * dropped by snd_pcm_drop() never reach it, and nothing is written for the
 * silence of an underrun. snd_pcm_rewind() and forward() are not supported
 * (the engine under test uses neither).
 *
 * A test stalls the application's writer with sk_paced_stall_next_write()
 * (found with dlsym on this module): the next snd_pcm_writei() of any
 * paced PCM in the process sleeps that long inside the call before its
 * frames are taken, as if the writing thread had been preempted there,
 * while the clock runs on. The player under test needs no seam of its own.
 *
 * SK_PACED_DEBUG=1 in the environment prints a line for each underrun:
 * how long after the last write it came.
 *
 * Everything here is plain C on alsa-lib: the module is loaded into any
 * process that opens the PCM. */
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL
#define STATS_INTERVAL_NS (NS_PER_S / 10)
#define MAX_CHANNELS 8

static atomic_uint stall_next_ms;

typedef struct
{
  snd_pcm_ioplug_t io;
  pthread_mutex_t lock;

  double speed;
  char *file_path;
  char *stats_path;
  int file_fd;

  /* The setup. */
  unsigned int frame_bytes;
  snd_pcm_uframes_t boundary;
  snd_pcm_uframes_t avail_min;
  snd_pcm_uframes_t stop_threshold;
  unsigned char *ring; /* buffer_size frames */

  /* Since the last prepare, in frames. */
  uint64_t written;
  uint64_t played;
  int xrun;
  int paused;
  /* The clock: at base_ns the position was base_frames. */
  int64_t base_ns;
  uint64_t base_frames;

  /* Over the PCM's life. */
  uint64_t frames_total;
  unsigned int underruns;
  int64_t stats_ns;
  int64_t last_write_ns; /* the last transfer, for SK_PACED_DEBUG */
  int debug;
} Paced;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static double
frames_per_ns (const Paced *p)
{
  return (double) p->io.rate * p->speed / (double) NS_PER_S;
}

/* The position at @ns, counted from the clock's base. The small epsilon
 * makes a boundary computed by ns_for_frame() land on its own frame. */
static uint64_t
position_at (const Paced *p, int64_t ns)
{
  double elapsed = (double) (ns - p->base_ns);

  if (elapsed <= 0)
    return p->base_frames;
  return p->base_frames + (uint64_t) floor (elapsed * frames_per_ns (p) + 1e-6);
}

static int64_t
ns_for_frame (const Paced *p, uint64_t frame)
{
  if (frame <= p->base_frames)
    return p->base_ns;
  return p->base_ns + (int64_t) ceil ((double) (frame - p->base_frames) / frames_per_ns (p));
}

static void
write_stats (Paced *p)
{
  char tmp[4096];
  FILE *f;

  if (p->stats_path == NULL)
    return;
  snprintf (tmp, sizeof tmp, "%s.tmp", p->stats_path);
  f = fopen (tmp, "w");
  if (f == NULL)
    return;
  fprintf (f, "underruns=%u\nframes=%llu\n", p->underruns, (unsigned long long) p->frames_total);
  if (fclose (f) == 0)
    rename (tmp, p->stats_path);
  p->stats_ns = now_ns ();
}

/* Copies the frames [played, upto) from the ring to the file. */
static void
consume (Paced *p, uint64_t upto)
{
  snd_pcm_uframes_t size = p->io.buffer_size;

  while (p->played < upto)
    {
      uint64_t offset = p->played % size;
      uint64_t n = size - offset;

      if (n > upto - p->played)
        n = upto - p->played;
      if (p->file_fd >= 0 && p->ring != NULL)
        {
          const unsigned char *src = p->ring + offset * p->frame_bytes;
          size_t left = (size_t) n * p->frame_bytes;

          while (left > 0)
            {
              ssize_t w = write (p->file_fd, src, left);

              if (w < 0 && errno == EINTR)
                continue;
              if (w <= 0)
                {
                  close (p->file_fd); /* a full disk ends the copy, not the PCM */
                  p->file_fd = -1;
                  break;
                }
              src += w;
              left -= (size_t) w;
            }
        }
      p->played += n;
      p->frames_total += n;
    }
}

/* Moves the position to now. Called with the lock held. */
static void
update (Paced *p)
{
  snd_pcm_state_t state = p->io.state;
  uint64_t target;
  int64_t now;

  if (p->xrun || p->paused)
    return;
  if (state != SND_PCM_STATE_RUNNING && state != SND_PCM_STATE_DRAINING)
    return;

  now = now_ns ();
  target = position_at (p, now);
  if (state == SND_PCM_STATE_DRAINING || p->stop_threshold > p->io.buffer_size)
    {
      if (target > p->written)
        {
          /* waiting for the writer: the clock restarts when data comes */
          target = p->written;
          p->base_ns = now;
          p->base_frames = target;
        }
    }
  else if ((int64_t) target + (int64_t) p->io.buffer_size - (int64_t) p->written >=
           (int64_t) p->stop_threshold)
    {
      if (p->debug)
        fprintf (stderr,
                 "sk_paced: underrun: %.1f ms after the last write; the buffer "
                 "lasts %.1f ms\n",
                 (double) (now - p->last_write_ns) / 1e6,
                 (double) p->io.buffer_size / frames_per_ns (p) / 1e6);
      consume (p, p->written);
      p->xrun = 1;
      p->underruns++;
      write_stats (p);
      return;
    }
  consume (p, target);
  if (now - p->stats_ns >= STATS_INTERVAL_NS)
    write_stats (p);
}

/* The timer: readable at once with @immediate, then at every period
 * boundary of the position from now on. */
static void
arm_timer (Paced *p, int immediate)
{
  struct itimerspec its = { 0 };
  int64_t first, period;
  uint64_t next;

  if (immediate)
    {
      its.it_value.tv_nsec = 1;
      timerfd_settime (p->io.poll_fd, 0, &its, NULL);
      return;
    }
  period = (int64_t) ceil ((double) p->io.period_size / frames_per_ns (p));
  next = (p->base_frames / p->io.period_size + 1) * p->io.period_size;
  first = ns_for_frame (p, next);
  its.it_value.tv_sec = first / NS_PER_S;
  its.it_value.tv_nsec = first % NS_PER_S;
  its.it_interval.tv_sec = period / NS_PER_S;
  its.it_interval.tv_nsec = period % NS_PER_S;
  timerfd_settime (p->io.poll_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
disarm_timer (Paced *p)
{
  struct itimerspec its = { 0 };

  timerfd_settime (p->io.poll_fd, 0, &its, NULL);
}

static int
paced_start (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;

  pthread_mutex_lock (&p->lock);
  p->base_ns = now_ns ();
  p->base_frames = p->played;
  p->paused = 0;
  arm_timer (p, 0);
  pthread_mutex_unlock (&p->lock);
  return 0;
}

static int
paced_stop (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;

  pthread_mutex_lock (&p->lock);
  update (p);
  disarm_timer (p);
  write_stats (p);
  pthread_mutex_unlock (&p->lock);
  return 0;
}

static snd_pcm_sframes_t
paced_pointer (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;
  snd_pcm_sframes_t pos;

  pthread_mutex_lock (&p->lock);
  update (p);
  if (p->xrun)
    pos = -EPIPE;
  else
    pos = (snd_pcm_sframes_t) (p->played % p->boundary);
  pthread_mutex_unlock (&p->lock);
  return pos;
}

static snd_pcm_sframes_t
paced_transfer (snd_pcm_ioplug_t *io,
                const snd_pcm_channel_area_t *areas,
                snd_pcm_uframes_t offset,
                snd_pcm_uframes_t size)
{
  Paced *p = io->private_data;
  snd_pcm_channel_area_t dst[MAX_CHANNELS];
  snd_pcm_uframes_t done = 0;
  unsigned int sample_bits = (unsigned int) snd_pcm_format_physical_width (io->format);
  unsigned int stall_ms = atomic_exchange (&stall_next_ms, 0);

  if (stall_ms > 0)
    {
      struct timespec ts = { stall_ms / 1000, (long) (stall_ms % 1000) * 1000000L };

      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
    }

  pthread_mutex_lock (&p->lock);
  if (p->ring != NULL)
    {
      for (unsigned int c = 0; c < io->channels; c++)
        {
          dst[c].addr = p->ring;
          dst[c].first = c * sample_bits;
          dst[c].step = io->channels * sample_bits;
        }
      /* alsa-lib never hands more than avail, so this overwrites nothing
       * that is still to be played */
      while (done < size)
        {
          snd_pcm_uframes_t at = (p->written + done) % io->buffer_size;
          snd_pcm_uframes_t n = io->buffer_size - at;

          if (n > size - done)
            n = size - done;
          snd_pcm_areas_copy (dst, at, areas, offset + done, io->channels, n, io->format);
          done += n;
        }
    }
  p->written += size;
  p->last_write_ns = now_ns ();
  pthread_mutex_unlock (&p->lock);
  return (snd_pcm_sframes_t) size;
}

static int
paced_prepare (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;

  pthread_mutex_lock (&p->lock);
  p->written = 0;
  p->played = 0;
  p->xrun = 0;
  p->paused = 0;
  p->base_frames = 0;
  p->base_ns = now_ns ();
  arm_timer (p, 1);
  pthread_mutex_unlock (&p->lock);
  return 0;
}

static int
paced_pause (snd_pcm_ioplug_t *io, int enable)
{
  Paced *p = io->private_data;

  pthread_mutex_lock (&p->lock);
  if (enable)
    {
      update (p);
      p->paused = 1;
      disarm_timer (p);
    }
  else
    {
      p->paused = 0;
      p->base_ns = now_ns ();
      p->base_frames = p->played;
      arm_timer (p, 0);
    }
  pthread_mutex_unlock (&p->lock);
  return 0;
}

static int
paced_poll_revents (snd_pcm_ioplug_t *io,
                    struct pollfd *pfds,
                    unsigned int nfds,
                    unsigned short *revents)
{
  Paced *p = io->private_data;
  uint64_t expirations;
  uint64_t avail;

  *revents = 0;
  if (nfds != 1)
    return -EINVAL;
  if (pfds[0].revents & POLLIN)
    {
      /* a non-blocking timerfd: nothing to read is not an error */
      if (read (io->poll_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        return -errno;
    }

  pthread_mutex_lock (&p->lock);
  update (p);
  avail = io->buffer_size - (p->written - p->played);
  if (p->xrun)
    {
      /* like a card's interrupt handler: the state says why */
      snd_pcm_ioplug_set_state (io, SND_PCM_STATE_XRUN);
      *revents = POLLERR;
    }
  else if (io->state == SND_PCM_STATE_DRAINING)
    *revents = POLLOUT;
  else if (io->state == SND_PCM_STATE_RUNNING)
    *revents = avail >= p->avail_min ? POLLOUT : 0;
  else
    *revents = avail > 0 ? POLLOUT : 0;
  pthread_mutex_unlock (&p->lock);
  return 0;
}

static int
paced_hw_params (snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
  Paced *p = io->private_data;
  unsigned char *ring;

  p->frame_bytes = (unsigned int) (snd_pcm_format_physical_width (io->format) / 8) * io->channels;
  ring = calloc (io->buffer_size, p->frame_bytes);
  if (ring == NULL)
    return -ENOMEM;
  free (p->ring);
  p->ring = ring;
  p->boundary = io->buffer_size;
  p->avail_min = io->period_size;
  p->stop_threshold = io->buffer_size;
  return 0;
}

static int
paced_hw_free (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;

  free (p->ring);
  p->ring = NULL;
  return 0;
}

static int
paced_sw_params (snd_pcm_ioplug_t *io, snd_pcm_sw_params_t *params)
{
  Paced *p = io->private_data;

  snd_pcm_sw_params_get_boundary (params, &p->boundary);
  snd_pcm_sw_params_get_avail_min (params, &p->avail_min);
  snd_pcm_sw_params_get_stop_threshold (params, &p->stop_threshold);
  if (p->avail_min == 0)
    p->avail_min = 1;
  return 0;
}

static void
paced_free (Paced *p)
{
  if (p->io.poll_fd >= 0)
    close (p->io.poll_fd);
  if (p->file_fd >= 0)
    close (p->file_fd);
  pthread_mutex_destroy (&p->lock);
  free (p->ring);
  free (p->file_path);
  free (p->stats_path);
  free (p);
}

static int
paced_close (snd_pcm_ioplug_t *io)
{
  Paced *p = io->private_data;

  write_stats (p);
  paced_free (p);
  return 0;
}

static void
paced_dump (snd_pcm_ioplug_t *io, snd_output_t *out)
{
  Paced *p = io->private_data;

  snd_output_printf (out, "Paced PCM (speed %g, %u underruns)\n", p->speed, p->underruns);
  if (io->pcm != NULL)
    snd_pcm_dump_setup (io->pcm, out);
}

static const snd_pcm_ioplug_callback_t paced_callback = {
  .start = paced_start,
  .stop = paced_stop,
  .pointer = paced_pointer,
  .transfer = paced_transfer,
  .close = paced_close,
  .hw_params = paced_hw_params,
  .hw_free = paced_hw_free,
  .sw_params = paced_sw_params,
  .prepare = paced_prepare,
  .pause = paced_pause,
  .poll_revents = paced_poll_revents,
  .dump = paced_dump,
};

static int
set_constraints (snd_pcm_ioplug_t *io)
{
  static const unsigned int access[] = {
    SND_PCM_ACCESS_RW_INTERLEAVED,
    SND_PCM_ACCESS_RW_NONINTERLEAVED,
  };
  static const unsigned int formats[] = {
    SND_PCM_FORMAT_S16_LE,
    SND_PCM_FORMAT_S24_LE,
    SND_PCM_FORMAT_S32_LE,
    SND_PCM_FORMAT_FLOAT_LE,
  };
  int err;

  if ((err = snd_pcm_ioplug_set_param_list (io, SND_PCM_IOPLUG_HW_ACCESS, 2, access)) < 0 ||
      (err = snd_pcm_ioplug_set_param_list (io, SND_PCM_IOPLUG_HW_FORMAT, 4, formats)) < 0 ||
      (err = snd_pcm_ioplug_set_param_minmax (io, SND_PCM_IOPLUG_HW_CHANNELS, 1, MAX_CHANNELS)) <
          0 ||
      (err = snd_pcm_ioplug_set_param_minmax (io, SND_PCM_IOPLUG_HW_RATE, 8000, 192000)) < 0 ||
      (err = snd_pcm_ioplug_set_param_minmax (io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 64, 1 << 20)) <
          0 ||
      (err = snd_pcm_ioplug_set_param_minmax (io, SND_PCM_IOPLUG_HW_PERIODS, 2, 1024)) < 0 ||
      (err = snd_pcm_ioplug_set_param_minmax (io, SND_PCM_IOPLUG_HW_BUFFER_BYTES, 128, 8 << 20)) <
          0)
    return err;
  return 0;
}

/* For tests: the next write into a paced PCM stalls @ms first. */
void sk_paced_stall_next_write (unsigned int ms);

void
sk_paced_stall_next_write (unsigned int ms)
{
  atomic_store (&stall_next_ms, ms);
}

int SND_PCM_PLUGIN_ENTRY (sk_paced) (snd_pcm_t **pcmp,
                                     const char *name,
                                     snd_config_t *root,
                                     snd_config_t *conf,
                                     snd_pcm_stream_t stream,
                                     int mode);

SND_PCM_PLUGIN_DEFINE_FUNC (sk_paced)
{
  snd_config_iterator_t i, next;
  Paced *p;
  int err;

  p = calloc (1, sizeof *p);
  if (p == NULL)
    return -ENOMEM;
  pthread_mutex_init (&p->lock, NULL);
  p->speed = 1.0;
  p->file_fd = -1;
  p->debug = getenv ("SK_PACED_DEBUG") != NULL;
  p->io.poll_fd = -1;

  snd_config_for_each (i, next, conf)
  {
    snd_config_t *n = snd_config_iterator_entry (i);
    const char *id, *str;

    if (snd_config_get_id (n, &id) < 0)
      continue;
    if (strcmp (id, "comment") == 0 || strcmp (id, "type") == 0 || strcmp (id, "hint") == 0)
      continue;
    if (strcmp (id, "speed") == 0)
      {
        if (snd_config_get_ireal (n, &p->speed) < 0 || !(p->speed >= 0.001 && p->speed <= 1000))
          {
            SNDERR ("sk_paced: speed must be a number from 0.001 to 1000");
            err = -EINVAL;
            goto fail;
          }
        continue;
      }
    if (strcmp (id, "file") == 0 || strcmp (id, "stats") == 0)
      {
        if (snd_config_get_string (n, &str) < 0)
          {
            SNDERR ("sk_paced: %s must be a path", id);
            err = -EINVAL;
            goto fail;
          }
        if (*str == '\0')
          continue; /* "" says none, for configurations with @args */
        if (strcmp (id, "file") == 0)
          {
            free (p->file_path);
            p->file_path = strdup (str);
          }
        else
          {
            free (p->stats_path);
            p->stats_path = strdup (str);
          }
        continue;
      }
    SNDERR ("sk_paced: unknown field %s", id);
    err = -EINVAL;
    goto fail;
  }

  if (p->file_path != NULL)
    {
      p->file_fd = open (p->file_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (p->file_fd < 0)
        {
          err = -errno;
          SNDERR ("sk_paced: cannot open %s: %s", p->file_path, strerror (errno));
          goto fail;
        }
    }
  p->io.poll_fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (p->io.poll_fd < 0)
    {
      err = -errno;
      goto fail;
    }

  p->io.version = SND_PCM_IOPLUG_VERSION;
  p->io.name = "soundscape-kiosk paced test PCM";
  p->io.callback = &paced_callback;
  p->io.private_data = p;
  p->io.poll_events = POLLIN;
  p->io.mmap_rw = 0;
  p->io.flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA;

  if (stream != SND_PCM_STREAM_PLAYBACK)
    {
      SNDERR ("sk_paced: playback only");
      err = -EINVAL;
      goto fail;
    }
  err = snd_pcm_ioplug_create (&p->io, name, stream, mode);
  if (err < 0)
    goto fail;
  err = set_constraints (&p->io);
  if (err < 0)
    {
      snd_pcm_ioplug_delete (&p->io); /* calls paced_close */
      return err;
    }
  write_stats (p);
  *pcmp = p->io.pcm;
  return 0;

fail:
  paced_free (p);
  return err;
}

SND_PCM_PLUGIN_SYMBOL (sk_paced);
