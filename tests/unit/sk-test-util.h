/* sk-test-util.h: what the unit tests share: a scratch directory, a clock
 * the test moves by hand, and the paths of data files. */
#pragma once

#include <gio/gio.h>

#include "sk-engine.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 now;
} SkTestClock;

gint64 sk_test_clock_read (gpointer clock);
/* A fresh directory under the system's temporary folder, removed (with
 * everything in it) by sk_test_rmdir. */
char *sk_test_mkdtemp (void);
void sk_test_rmdir (const char *path);
/* A new database (@dir/test.db) with an engine on @clock (the real clock
 * when NULL). */
SkEngine *sk_test_engine_new (const char *dir, SkTestClock *clock);
/* Adds a song row with this id and embedding (file:///songs/ID.wav). */
void sk_test_add_song (SkStore *store, const char *id, const double embedding[SK_DIM]);

typedef struct
{
  const char *id;
  double e[SK_DIM];
} SkTestSong;

/* sqlite3_exec on a connection of the test's own (not a store's); any
 * failure ends the test with the statement and SQLite's message. */
void sk_test_sqlite_exec (sqlite3 *db, const char *sql);

/* "Why this" for a track chosen with nobody checked in (sk_why_sentence),
 * in English: still true once someone checks in while it plays. */
#define SK_TEST_WHY_NOBODY "The house taste: chosen while nobody was checked in"

/* Six songs with one clear character each (campfire, rain, storm, waves,
 * wind, hearth), for tests that rank for a taste. */
#define SK_TEST_N_EVENING_SONGS 6
extern const SkTestSong sk_test_evening_songs[SK_TEST_N_EVENING_SONGS];

/* Adds @n songs to the engine's database and reloads its library. */
void sk_test_add_songs (SkEngine *engine, const SkTestSong *songs, guint n);
/* The first column of the first row @sql gives (its ?1 bound to @arg
 * unless NULL), or NULL when there is no row. */
char *sk_test_query_text (SkStore *store, const char *sql, const char *arg);
/* The integer in the first column of the first row @sql gives (the test
 * fails when there is no row). */
int sk_test_query_int (SkStore *store, const char *sql);

/* The same two on the database file @path, on a connection of their own
 * (for a database a process under test owns; each waits up to 5 s for its
 * lock). */
int sk_test_file_query_int (const char *path, const char *sql);
/* The text of the first column of the first row (the test fails when
 * there is no row; NULL for a NULL). */
char *sk_test_file_query_text (const char *path, const char *sql);
void sk_test_file_exec (const char *path, const char *sql);

/* How many times an engine emitted each signal. */
typedef struct
{
  guint queue_changes; /* queue-changed */
  guint checked_in;    /* checked-in */
  guint checked_out;   /* checked-out */
  guint refused;       /* tap-refused */
  guint unknown;       /* unknown-badge */
} SkTestEngineCounts;

/* Connects @counts (which must outlive @engine's signals) to @engine. */
void sk_test_count_engine (SkEngine *engine, SkTestEngineCounts *counts);
/* The soundscape-ctl of this build: SK_TEST_CTL when set (a cross build
 * names a script that starts it under its emulator), else the build's own. */
char *sk_test_ctl_path (void);
/* The program that runs this build's programs when this machine cannot
 * (SK_TEST_EMULATOR: a cross build's tests under qemu, started by
 * tools/cross/check-arm64), else NULL. A test that starts a program of the
 * build itself puts it first in the command line. */
const char *sk_test_emulator (void);

/* How much slower than a plain build this one runs: SK_TEST_TIME_FACTOR
 * (tools/check sets it for the sanitizer and valgrind runs), 1 when unset.
 * A bound on a wait or a duration is multiplied by it, never a pause. */
double sk_test_time_factor (void);
/* @ms, scaled by sk_test_time_factor(). */
guint sk_test_scale_ms (guint ms);
/* The monotonic time (g_get_monotonic_time) @ms from now, scaled. */
gint64 sk_test_deadline_ms (guint ms);

G_END_DECLS

G_BEGIN_DECLS
/* A 48 kHz stereo 16-bit WAV of @seconds of quiet noise. */
void sk_test_write_wav (const char *path, double seconds);
/* A 16-bit WAV of @seconds of white noise at @db below half of full scale
 * (xorshift from @seed: the same seed, the same noise). */
void sk_test_write_noise (
    const char *path, int rate, int channels, double seconds, double db, guint32 seed);
/* A sidecar NAME.json with this embedding text (written as given, so that
 * tests can put anything there). */
void sk_test_write_sidecar (const char *path, const char *title, const char *embedding_json);
/* Runs soundscape-ctl with @argv (NULL-terminated, without the program);
 * returns the exit status and fills @out and @err. */
int sk_test_run_ctl (const char *const *argv, char **out, char **err);
/* Runs soundscape-ctl with @argv and `--db @db`; anything but exit
 * status 0 ends the test with what it said. */
void sk_test_ctl_ok (const char *db, const char *const *argv);

/* Every process a test starts (soundscaped, soundscape-ctl, the PN532
 * fixture, nginx, dbus-daemon, stress-ng, …) is started with
 * sk_test_child_setup as its GSpawnChildSetupFunc (@data unused), directly
 * or through the two below: the child gets SIGTERM when the test process
 * dies, so that an assertion that aborts a test before its teardown
 * leaves nothing running. The signal follows the THREAD that spawned the
 * child (PR_SET_PDEATHSIG): tests spawn from their main thread. */
void sk_test_child_setup (gpointer data);
/* g_subprocess_launcher_new with sk_test_child_setup. */
GSubprocessLauncher *sk_test_launcher_new (GSubprocessFlags flags);
/* g_subprocess_new with sk_test_child_setup. */
GSubprocess *sk_test_subprocess_new (GSubprocessFlags flags, GError **error, const char *argv0, ...)
    G_GNUC_NULL_TERMINATED;
/* Waits (bounded) for the child @pid to exit; TRUE when it did. */
gboolean sk_test_reap (GPid pid, guint timeout_ms);

/* A self-signed certificate for 127.0.0.1 (P-256, a day) made by openssl
 * in @dir: cert.pem and key.pem, their paths in *@cert and *@key. FALSE
 * with *@why_not when openssl is not installed; anything else that fails
 * ends the test. */
gboolean sk_test_make_certificate (const char *dir, char **cert, char **key, char **why_not);
G_END_DECLS
