/* sk-demo.h: demo mode, shared by soundscaped --demo and soundscape-ctl demo.
 *
 * Five demo badges (four listeners of distinct tastes and a manager), the
 * bundled demo soundscapes imported into an empty library, and the
 * keyboard's commands, which go through the engine's one path for taps and
 * votes like a real badge:
 *
 *   1–5      tap demo badge N           v N R    badge N rates R (1–5)
 *   o N      check badge N out          t UID    tap any badge UID
 *   n        next track                 s        show what plays
 *   ?        help                       q        quit
 */
#pragma once

#include "sk-engine.h"

G_BEGIN_DECLS

typedef struct
{
  const char *uid;
  const char *name;
  const char *role;
  double taste[SK_DIM];
} SkDemoBadge;

typedef enum
{
  SK_DEMO_SHOWN, /* done; @out says what happened */
  SK_DEMO_NEXT,  /* the caller moves to the next track */
  SK_DEMO_QUIT,
} SkDemoAction;

const SkDemoBadge *sk_demo_get_badges (guint *n_badges);

/* Imports @library (may be NULL) if the library is empty, and enrolls the
 * demo badges that are not there yet. @n_imported: songs imported. */
gboolean sk_demo_prepare (SkEngine *engine, const char *library, guint *n_imported, GError **error);
/* How the keys tap a badge, as sk_engine_tap() does: soundscaped passes
 * its D-Bus service's, so that everyone watching the bus sees the keys'
 * taps as they see the reader's. */
typedef gboolean (*SkDemoTapFunc) (gpointer data,
                                   const char *uid,
                                   SkTapResult *result,
                                   GError **error);
/* One keyboard line; what a person should read is appended to @out. Taps
 * go through @tap (NULL: sk_engine_tap()); votes and check-outs through the
 * engine, whose signals every observer follows. */
SkDemoAction sk_demo_command (
    SkEngine *engine, const char *line, SkDemoTapFunc tap, gpointer tap_data, GString *out);
/* "Now playing …, N listeners present" and the head of the queue. */
void sk_demo_describe (SkEngine *engine, guint max_queue, GString *out);

G_END_DECLS
