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

G_BEGIN_DECLS
/* A 48 kHz stereo 16-bit WAV of @seconds of quiet noise. */
void    sk_test_write_wav     (const char  *path,
                               double       seconds);
/* A sidecar NAME.json with this embedding text (written as given, so that
 * tests can put anything there). */
void    sk_test_write_sidecar (const char  *path,
                               const char  *title,
                               const char  *embedding_json);
/* Runs soundscape-ctl with @argv (NULL-terminated, without the program);
 * returns the exit status and fills @out and @err. */
int     sk_test_run_ctl       (const char *const *argv,
                               char       **out,
                               char       **err);
G_END_DECLS
