/* sk-test-util.h: what the unit tests share: a scratch directory, a clock
 * the test moves by hand, and the paths of data files. */
#pragma once

#include "sk-engine.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 now;
} SkTestClock;

gint64  sk_test_clock_read   (gpointer     clock);
/* A fresh directory under the system's temporary folder, removed (with
 * everything in it) by sk_test_rmdir. */
char   *sk_test_mkdtemp      (void);
void    sk_test_rmdir        (const char  *path);
/* A new database with an engine on a test clock starting at @start. */
SkEngine *sk_test_engine_new (const char  *dir,
                              SkTestClock *clock);
/* Adds a song row with this id and embedding (file:///dev/null). */
void    sk_test_add_song     (SkStore     *store,
                              const char  *id,
                              const double embedding[SK_DIM]);
char   *sk_test_ctl_path     (void);

G_END_DECLS
