/* sk-paced.h: what tests and benchmarks share to play through the paced
 * test PCM (pcm_paced.c): its configuration and its counters. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes DIR/asound.conf, which defines the PCM type sk_paced (the module
 * built beside the tests, or $SK_PACED_PLUGIN) and a PCM "sk_paced" with
 * the arguments SPEED, FILE and STATS, and points ALSA_CONFIG_PATH at the
 * stock configuration and at it. alsa-lib reads its configuration once, so
 * call this before anything opens a PCM. FALSE, with a reason, when the
 * module is missing. */
gboolean sk_paced_setup (const char *dir, char **reason);
/* The PCM name for this speed; @file (every frame played) and @stats may
 * be NULL. */
char *sk_paced_pcm_name (double speed, const char *file, const char *stats);

/* Stalls the next snd_pcm_writei() into a paced PCM in this process by
 * @ms inside the call, as if the writing thread were preempted there:
 * whichever thread writes next is the one stalled. FALSE, with a
 * reason, if the module cannot be reached. */
gboolean sk_paced_stall_next_write (guint ms, char **reason);

typedef struct
{
  guint underruns;
  guint64 frames; /* consumed since the PCM was opened */
} SkPacedStats;

/* Reads the counters the PCM keeps in @path (current within 0.1 s while it
 * plays, exact once it stopped or closed). FALSE if there are none yet. */
gboolean sk_paced_read_stats (const char *path, SkPacedStats *stats);

G_END_DECLS
