/* The engine's playback through the real audio player and a real alsa-lib
 * `file` PCM (null slave: the samples go to a file, unpaced, so seconds of
 * audio pass in milliseconds).
 *
 * Each test imports WAVs (with sidecars) into a fresh database in its own
 * temporary directory, starts an SkPlayback on "file:'OUT',raw" and waits,
 * bounded, for the engine's reports. Songs whose file cannot play are
 * logged with a warning: the tests expect and count those lines; any other
 * warning fails the test. */
#include "config.h"

#include <ebur128.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "sk-import.h"
#include "sk-playback.h"
#include "sk-settings.h"
#include "sk-test-nginx.h"
#include "sk-paced.h"
#include "sk-test-util.h"

/* a bound, stretched for a slow build (SK_TEST_TIME_FACTOR) */
#define WAIT_SECONDS ((int) (10 * sk_test_time_factor ()))
#define EMBEDDING(a, b, c, d, e) "[" #a "," #b "," #c "," #d "," #e "]"

typedef struct
{
  char *dir;
  char *lib;
  char *out;
  SkStore *store;
  SkEngine *engine;
  SkMediaCache *cache;
  SkPlayback *playback;
  GPtrArray *started;       /* song ids, in the order the engine started them */
  GPtrArray *db_current;    /* players.current_song_id at each start */
  GPtrArray *db_status;     /* players.status at each start */
  GPtrArray *unplayable;    /* song ids the playback gave up on */
  GPtrArray *next_at_start; /* the playback's next song as each track started */
  guint status_changes;
} Fixture;

static guint skipped_warnings;
/* A test that locks the database from a second connection expects the
 * store's "busy" warnings too. */
static gboolean busy_expected;

/* The core's modules that playback reaches, each its own log domain. */
static const char *const core_domains[] = {
  "sk-playback", "sk-engine", "sk-store", "sk-audio", "sk-media",
};

/* The one warning a test may see: a song that cannot play, skipped. Any
 * other warning fails the test (GLib's test mode would abort on all). */
static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
  if (strstr (message, "cannot be played, skipped") != NULL)
    {
      skipped_warnings++;
      g_test_message ("warning (expected): %s", message);
      return;
    }
  if (busy_expected && (strstr (message, "busy") != NULL || strstr (message, "locked") != NULL))
    {
      g_test_message ("warning (expected): %s", message);
      return;
    }
  g_test_message ("warning: %s: %s", domain, message);
  g_test_fail ();
}

static void
on_track_started (SkEngine *engine, const char *song_id, const char *play_id, Fixture *f)
{
  const char *player = sk_engine_get_player_id (engine);
  g_autofree char *row = sk_test_query_text (f->store,
                                             "SELECT song_id FROM songs_playing WHERE id = ?1",
                                             play_id);

  /* the row and the player's state are written when the start is told */
  g_assert_cmpstr (row, ==, song_id);
  g_ptr_array_add (f->started, g_strdup (song_id));
  g_ptr_array_add (f->db_current,
                   sk_test_query_text (f->store,
                                       "SELECT current_song_id FROM players WHERE id = ?1",
                                       player));
  g_ptr_array_add (f->db_status,
                   sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                                       player));
}

static void
on_status_changed (SkEngine *engine, const char *status, const char *message, Fixture *f)
{
  f->status_changes++;
}

static void
on_unplayable (SkPlayback *playback, const char *song_id, const char *reason, Fixture *f)
{
  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, !=, "");
  g_ptr_array_add (f->unplayable, g_strdup (song_id));
}

/* Connected after the playback's own handler: sees what it did. */
static void
on_player_started (SkAudioPlayer *player, guint64 track, const char *path, Fixture *f)
{
  g_ptr_array_add (f->next_at_start, g_strdup (sk_playback_get_next_song (f->playback)));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *db = NULL;
  g_autofree char *cache_dir = NULL;
  g_autoptr (GError) error = NULL;

  skipped_warnings = 0;
  f->dir = sk_test_mkdtemp ();
  f->lib = g_build_filename (f->dir, "library", NULL);
  f->out = g_build_filename (f->dir, "out.raw", NULL);
  g_assert_cmpint (g_mkdir (f->lib, 0700), ==, 0);
  db = g_build_filename (f->dir, "kiosk.db", NULL);
  f->store = sk_store_open (db, &error);
  g_assert_no_error (error);
  /* short tracks: no crossfade unless a test sets one */
  g_assert_true (sk_store_set_setting (f->store, "crossfade_seconds", "0", &error));
  cache_dir = g_build_filename (f->dir, "media", NULL);
  f->cache = sk_media_cache_new (f->store, cache_dir, 0);
  f->started = g_ptr_array_new_with_free_func (g_free);
  f->db_current = g_ptr_array_new_with_free_func (g_free);
  f->db_status = g_ptr_array_new_with_free_func (g_free);
  f->unplayable = g_ptr_array_new_with_free_func (g_free);
  f->next_at_start = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->playback != NULL)
    sk_playback_stop (f->playback);
  g_clear_object (&f->playback);
  if (f->cache != NULL)
    sk_media_cache_prefetch (f->cache, NULL, 0);
  g_clear_object (&f->cache);
  g_clear_object (&f->engine);
  g_clear_pointer (&f->store, sk_store_unref);
  g_ptr_array_unref (f->started);
  g_ptr_array_unref (f->db_current);
  g_ptr_array_unref (f->db_status);
  g_ptr_array_unref (f->unplayable);
  g_ptr_array_unref (f->next_at_start);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->lib);
  g_free (f->out);
}

static void
add_wav (Fixture *f, const char *name, double seconds, const char *embedding)
{
  g_autofree char *wav = g_strdup_printf ("%s/%s.wav", f->lib, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", f->lib, name);

  sk_test_write_wav (wav, seconds);
  sk_test_write_sidecar (json, name, embedding);
}

/* The first @n of rain, fire and waves, @seconds each, in the library. */
static void
add_library (Fixture *f, guint n, double seconds)
{
  static const struct
  {
    const char *name;
    const char *embedding;
  } songs[] = {
    { "rain", EMBEDDING (0.95, 0.3, 0.1, 0.3, 0.4) },
    { "fire", EMBEDDING (0.1, 0.3, 0.95, 0.2, 0.2) },
    { "waves", EMBEDDING (0.4, 0.5, 0.1, 0.1, 0.95) },
  };

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (songs));
  for (guint i = 0; i < n; i++)
    add_wav (f, songs[i].name, seconds, songs[i].embedding);
}

/* A song whose file is on a server: http on loopback (@port). */
static void
add_http_song (Fixture *f, const char *id, guint16 port, const char *embedding)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/%s.wav", (guint) port, id);
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (f->store,
                           "INSERT INTO songs (id, title, file_url, embedding, duration, "
                           "  created_at, updated_at) "
                           "VALUES (?1, ?1, ?2, ?3, 1, '2024-01-01T00:00:00.000000Z', "
                           "  '2024-01-01T00:00:00.000000Z')",
                           &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, url, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, embedding, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (f->store, stmt, &error));
  g_assert_no_error (error);
}

static void
import_and_open (Fixture *f)
{
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_assert_true (sk_import_dir (f->store, f->lib, &n, &problems, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (problems->len, ==, 0);
  f->engine = sk_engine_new (f->store, &error);
  g_assert_no_error (error);
  g_signal_connect (f->engine, "track-started", G_CALLBACK (on_track_started), f);
  g_signal_connect (f->engine, "status-changed", G_CALLBACK (on_status_changed), f);
}

static void
start_playback (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pcm = g_strdup_printf ("file:'%s',raw", f->out);

  f->playback = sk_playback_new (f->engine, f->cache, pcm);
  /* a file PCM, compared sample for sample: as fast as it goes */
  sk_audio_player_set_paced (sk_playback_get_player (f->playback), FALSE);
  g_signal_connect (f->playback, "song-unplayable", G_CALLBACK (on_unplayable), f);
  g_assert_true (sk_playback_start (f->playback, &error));
  g_assert_no_error (error);
  g_signal_connect (sk_playback_get_player (f->playback), "track-started",
                    G_CALLBACK (on_player_started), f);
}

static char *
song_id_of (Fixture *f, const char *name)
{
  return sk_test_query_text (f->store, "SELECT id FROM songs WHERE title = ?1", name);
}

static char *
path_of (Fixture *f, const char *song_id)
{
  g_autofree char *url = sk_test_query_text (f->store, "SELECT file_url FROM songs WHERE id = ?1",
                                             song_id);

  g_assert_nonnull (url);
  return g_filename_from_uri (url, NULL, NULL);
}

static char *
queue_head (Fixture *f)
{
  guint n = 0;
  const SkQueueEntry *q = sk_engine_get_queue (f->engine, &n);

  g_assert_cmpuint (n, >, 0);
  return g_strdup (q[0].song_id);
}

static gboolean
timed_out_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @cond holds, for WAIT_SECONDS at most. */
#define WAIT_UNTIL(cond)                                                            \
  G_STMT_START                                                                      \
  {                                                                                 \
    gboolean timed_out_ = FALSE;                                                    \
    guint timer_ = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out_); \
    while (!(cond) && !timed_out_)                                                  \
      g_main_context_iteration (NULL, TRUE);                                        \
    if (!timed_out_)                                                                \
      g_source_remove (timer_);                                                     \
    if (!(cond))                                                                    \
      g_error ("Waited %d s in vain for: %s", WAIT_SECONDS, #cond);                 \
  }                                                                                 \
  G_STMT_END

/* --- tests -------------------------------------------------------------- */

/* Spoils the file of the queue's head after the import, as a card's file
 * can be: @contents written over it, or the file removed when NULL.
 * Returns the head's song id. */
static char *
spoil_head (Fixture *f, const char *contents, gssize len)
{
  char *head = queue_head (f);
  g_autofree char *path = path_of (f, head);

  if (contents == NULL)
    g_assert_cmpint (g_unlink (path), ==, 0);
  else
    g_assert_true (g_file_set_contents (path, contents, len, NULL));
  return head;
}

/* Another song started first: the playback gave up on @head alone. */
static void
assert_head_skipped (Fixture *f, const char *head)
{
  WAIT_UNTIL (f->started->len >= 1);
  g_assert_cmpstr (f->started->pdata[0], !=, head);
  g_assert_cmpuint (f->unplayable->len, ==, 1);
  g_assert_cmpstr (f->unplayable->pdata[0], ==, head);
}

static char *
unplayable_reason (Fixture *f, const char *song_id)
{
  return sk_test_query_text (f->store, "SELECT unplayable_reason FROM songs WHERE id = ?1",
                             song_id);
}

/* The queue's head plays; its start is a songs_playing row, the player's
 * current song and status, and a requeue without it. */
static void
test_head_plays (Fixture *f, gconstpointer data)
{
  g_autofree char *head = NULL;
  g_autofree char *plays = NULL;
  guint n = 0;
  const SkQueueEntry *q;
  GStatBuf st;

  add_library (f, 3, 0.5);
  import_and_open (f);
  head = queue_head (f);
  start_playback (f);

  WAIT_UNTIL (f->started->len >= 2);
  g_assert_cmpstr (f->started->pdata[0], ==, head);
  g_assert_cmpstr (f->db_current->pdata[0], ==, head);
  g_assert_cmpstr (f->db_status->pdata[0], ==, "playing");
  /* the second start: another song of the queue */
  g_assert_cmpstr (f->started->pdata[1], !=, head);
  g_assert_cmpstr (f->db_current->pdata[1], ==, f->started->pdata[1]);

  sk_playback_stop (f->playback);
  /* one row per start told, none more (the player reports in batches: more
   * than two may have started by now) */
  {
    guint n_head = 0;
    g_autofree char *expected = NULL;
    g_autofree char *rows = sk_test_query_text (f->store, "SELECT count(*) FROM songs_playing",
                                                NULL);
    g_autofree char *n_rows = g_strdup_printf ("%u", f->started->len);

    for (guint i = 0; i < f->started->len; i++)
      n_head += strcmp (f->started->pdata[i], head) == 0;
    expected = g_strdup_printf ("%u", n_head);
    plays = sk_test_query_text (f->store, "SELECT count(*) FROM songs_playing WHERE song_id = ?1",
                                head);
    g_assert_cmpstr (plays, ==, expected);
    g_assert_cmpstr (rows, ==, n_rows);
  }
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  q = sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, ==, 3); /* nothing plays: every song is a candidate */
  (void) q;
  g_assert_cmpuint (f->unplayable->len, ==, 0);
  g_assert_cmpuint (skipped_warnings, ==, 0);

  /* the PCM got the samples */
  g_assert_cmpint (g_stat (f->out, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);
}

/* Acceptance: a corrupt file in the queue is marked unplayable with a
 * reason, logged, and the next one plays. */
static void
test_corrupt_skipped (Fixture *f, gconstpointer data)
{
  g_autofree char *head = NULL;
  g_autofree char *playable = NULL;
  g_autofree char *reason = NULL;
  static const char garbage[] = "RIFF\x10\x00\x00\x00WAVEthis is not audio at all";

  add_library (f, 2, 0.5);
  import_and_open (f);
  head = spoil_head (f, garbage, sizeof garbage - 1);
  start_playback (f);

  assert_head_skipped (f, head);
  g_assert_cmpuint (skipped_warnings, ==, 1);
  playable = sk_test_query_text (f->store, "SELECT playable FROM songs WHERE id = ?1", head);
  reason = unplayable_reason (f, head);
  g_assert_cmpstr (playable, ==, "0");
  g_assert_nonnull (reason);
  g_test_message ("unplayable_reason: %s", reason);

  /* and the other goes on playing, alone */
  WAIT_UNTIL (f->started->len >= 3);
  for (guint i = 0; i < f->started->len; i++)
    g_assert_cmpstr (f->started->pdata[i], !=, head);
}

/* A file gone from the disk is marked before it reaches the player. */
static void
test_missing_skipped (Fixture *f, gconstpointer data)
{
  g_autofree char *head = NULL;
  g_autofree char *reason = NULL;

  add_library (f, 2, 0.5);
  import_and_open (f);
  head = spoil_head (f, NULL, 0);
  start_playback (f);

  assert_head_skipped (f, head);
  reason = unplayable_reason (f, head);
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "missing"));
}

/* A song whose file_url names a file outside the library directories
 * (as a row from the network could) is refused with the reason and
 * skipped; the next one plays. */
static void
test_outside_library_skipped (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *head = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = g_build_filename (f->dir, "elsewhere.wav", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  sqlite3_stmt *stmt;

  add_library (f, 2, 0.5);
  import_and_open (f);
  head = queue_head (f);
  from = path_of (f, head);
  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_true (g_file_set_contents (to, contents, (gssize) len, &error));
  g_assert_no_error (error);
  stmt = sk_store_prepare (f->store, "UPDATE songs SET file_url = ?2 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, head, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  g_assert_true (sk_store_run (f->store, stmt, &error));
  g_assert_no_error (error);
  start_playback (f);

  assert_head_skipped (f, head);
  reason = unplayable_reason (f, head);
  g_assert_nonnull (reason);
  g_test_message ("unplayable_reason: %s", reason);
  g_assert_nonnull (strstr (reason, "outside the library"));
}

/* The queue holds only songs that cannot play yet (on a server nobody
 * answers at): the one song that can, plays, and again, though it just
 * played. Nobody is blamed for the downloads. */
static void
test_fallback (Fixture *f, gconstpointer data)
{
  g_autofree char *local = NULL;
  g_autofree char *plays = NULL;
  g_autofree char *bad = NULL;

  add_library (f, 1, 0.5);
  /* port 9 (discard) on loopback: nothing listens, refused at once */
  add_http_song (f, "s-far-1", 9, EMBEDDING (0.9, 0.3, 0.1, 0.3, 0.4));
  add_http_song (f, "s-far-2", 9, EMBEDDING (0.8, 0.3, 0.1, 0.3, 0.4));
  import_and_open (f);
  local = song_id_of (f, "rain");
  start_playback (f);

  WAIT_UNTIL (f->started->len >= 3);
  for (guint i = 0; i < f->started->len; i++)
    g_assert_cmpstr (f->started->pdata[i], ==, local);
  plays = sk_test_query_text (f->store,
                              "SELECT count(*) >= 3 FROM songs_playing WHERE song_id = ?1", local);
  g_assert_cmpstr (plays, ==, "1");
  bad = sk_test_query_text (f->store, "SELECT count(*) FROM songs WHERE playable = 0", NULL);
  g_assert_cmpstr (bad, ==, "0");
  g_assert_cmpuint (f->unplayable->len, ==, 0);
}

/* The library's one song is corrupt: marked, and then nothing plays, which
 * the engine's status says with a message, and the players row too. */
static void
test_nothing_playable (Fixture *f, gconstpointer data)
{
  g_autofree char *status = NULL;
  g_autofree char *head = NULL;

  add_library (f, 1, 0.5);
  import_and_open (f);
  head = spoil_head (f, "not audio", -1);
  start_playback (f);

  WAIT_UNTIL (f->unplayable->len >= 1 &&
              g_strcmp0 (sk_engine_get_status_message (f->engine), NULL) != 0);
  g_assert_cmpuint (f->started->len, ==, 0);
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  g_test_message ("idle: %s", sk_engine_get_status_message (f->engine));
  g_assert_nonnull (strstr (sk_engine_get_status_message (f->engine), "can be played"));
  status = sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                               sk_engine_get_player_id (f->engine));
  g_assert_cmpstr (status, ==, "idle");
  g_assert_cmpuint (skipped_warnings, ==, 1);
}

/* Another program holds the database's write lock (a backup, a hand
 * edit), so the song that cannot play cannot be marked so either: the
 * playback passes it over after the busy timeout instead of choosing it
 * again forever, and says it is idle. */
static void
test_locked_database (Fixture *f, gconstpointer data)
{
  g_autofree char *db = g_build_filename (f->dir, "kiosk.db", NULL);
  g_autofree char *head = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pcm = g_strdup_printf ("file:'%s',raw", f->out);
  sqlite3 *other = NULL;
  gint64 t0;

  add_library (f, 1, 0.5);
  import_and_open (f);
  head = spoil_head (f, NULL, 0);
  g_assert_cmpint (sqlite3_open (db, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  busy_expected = TRUE;

  t0 = g_get_monotonic_time ();
  f->playback = sk_playback_new (f->engine, f->cache, pcm);
  g_signal_connect (f->playback, "song-unplayable", G_CALLBACK (on_unplayable), f);
  g_assert_true (sk_playback_start (f->playback, &error)); /* returns: no endless choosing */
  g_assert_no_error (error);
  g_test_message ("start returned after %.1f s of busy timeouts",
                  (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  g_assert_cmpuint (f->started->len, ==, 0);
  g_assert_cmpuint (f->unplayable->len, >=, 1);
  g_assert_cmpstr (f->unplayable->pdata[0], ==, head);
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");

  sk_playback_stop (f->playback);
  g_assert_cmpint (sqlite3_exec (other, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);
  busy_expected = FALSE;
}

static void
test_empty_library (Fixture *f, gconstpointer data)
{
  import_and_open (f);
  start_playback (f);
  /* told at once, from the start */
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  g_assert_nonnull (sk_engine_get_status_message (f->engine));
  g_assert_nonnull (strstr (sk_engine_get_status_message (f->engine), "import"));
  g_assert_cmpuint (f->status_changes, ==, 1);
}

/* While a song plays, the next is already in the player (for the
 * crossfade or the gapless join), and it is another song when there is
 * one. */
static void
test_next_is_appended (Fixture *f, gconstpointer data)
{
  add_library (f, 2, 2.0);
  import_and_open (f);
  start_playback (f);

  WAIT_UNTIL (f->next_at_start->len >= 2);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_nonnull (f->next_at_start->pdata[i]);
      g_assert_cmpstr (f->next_at_start->pdata[i], !=, f->started->pdata[i]);
    }
  /* and what was next is what started next */
  g_assert_cmpstr (f->started->pdata[1], ==, f->next_at_start->pdata[0]);
}

static void
pause_at_first_start (SkAudioPlayer *player, guint64 track, const char *path, gboolean *paused)
{
  if (!*paused)
    sk_audio_player_pause (player);
  *paused = TRUE;
}

/* Set up in main() before any PCM is opened (alsa-lib reads its
 * configuration once); NULL when the paced PCM could not be set up. */
static char *paced_dir;
static char *paced_missing;

/* A listener checks in while the first song plays: the queue changes, and
 * the song waiting in the player to follow it is replaced by the queue's
 * new head, which is what plays next. It plays through the paced test PCM
 * (tests/alsa) at 10×, so that the first song is still at its start when
 * the player is paused as it starts: the decoder has not reached the next
 * song, which is still the player's to replace. (A `file` PCM does not pace:
 * on a busy machine the decoder could be past the first song before the
 * pause.) */
static void
test_queue_change_replaces_next (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *name;
    const char *e;
    double taste[SK_DIM];
  } songs[] = {
    { "rain", EMBEDDING (0.95, 0.3, 0.1, 0.3, 0.4), { 0.95, 0.3, 0.1, 0.3, 0.4 } },
    { "fire", EMBEDDING (0.1, 0.3, 0.95, 0.2, 0.2), { 0.1, 0.3, 0.95, 0.2, 0.2 } },
    { "waves", EMBEDDING (0.4, 0.5, 0.1, 0.1, 0.95), { 0.4, 0.5, 0.1, 0.1, 0.95 } },
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *pcm = NULL;
  g_autofree char *first = NULL;
  g_autofree char *was_next = NULL;
  g_autofree char *listener = NULL;
  SkTapResult tap = { 0 };
  const double *taste = NULL;
  const char *target = NULL;
  gboolean paused = FALSE;

  if (paced_dir == NULL)
    {
      g_test_skip (paced_missing);
      return;
    }
  pcm = sk_paced_pcm_name (10.0, f->out, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (songs); i++)
    add_wav (f, songs[i].name, 20.0, songs[i].e);
  /* the plain ranking, so that the listener's own song leads the queue
   * (the learner's exploration would rightly try another first) */
  g_assert_true (sk_settings_set (f->store, "explore_weight", "0", &error));
  g_assert_no_error (error);
  import_and_open (f);
  f->playback = sk_playback_new (f->engine, f->cache, pcm);
  /* before the playback's own handler */
  g_signal_connect (sk_playback_get_player (f->playback), "track-started",
                    G_CALLBACK (pause_at_first_start), &paused);
  g_assert_true (sk_playback_start (f->playback, &error));
  g_assert_no_error (error);

  WAIT_UNTIL (f->started->len >= 1);
  first = g_strdup (f->started->pdata[0]);
  was_next = g_strdup (sk_playback_get_next_song (f->playback));
  g_assert_nonnull (was_next);
  for (guint i = 0; i < G_N_ELEMENTS (songs); i++)
    {
      g_autofree char *id = song_id_of (f, songs[i].name);

      if (strcmp (id, first) != 0 && strcmp (id, was_next) != 0)
        {
          taste = songs[i].taste;
          target = songs[i].name;
        }
    }
  g_assert_nonnull (target);

  listener = sk_engine_enroll (f->engine, "04A1B2C3", "Listener", NULL, taste, &error);
  g_assert_no_error (error);
  g_assert_true (sk_engine_tap (f->engine, "04A1B2C3", &tap, &error));
  g_assert_no_error (error);
  sk_tap_result_clear (&tap);
  {
    g_autofree char *target_id = song_id_of (f, target);
    g_autofree char *head = queue_head (f);

    g_assert_cmpstr (head, ==, target_id);
    g_assert_cmpstr (sk_playback_get_next_song (f->playback), ==, target_id);
    sk_audio_player_resume (sk_playback_get_player (f->playback));
    WAIT_UNTIL (f->started->len >= 2);
    g_assert_cmpstr (f->started->pdata[1], ==, target_id);
  }
}

/* White noise at @db below half of full scale, 48 kHz stereo. */
static void
add_noise (Fixture *f, const char *name, double seconds, double db, const char *embedding)
{
  g_autofree char *wav = g_strdup_printf ("%s/%s.wav", f->lib, name);
  g_autofree char *json = g_strdup_printf ("%s/%s.json", f->lib, name);

  sk_test_write_noise (wav, 48000, 2, seconds, db, 88172645u);
  sk_test_write_sidecar (json, name, embedding);
}

static double
rms_db (const gint16 *s, gsize n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += (double) s[i] * s[i];
  return 10.0 * log10 (sum / n / (32768.0 * 32768.0));
}

/* The integrated loudness (EBU R128) of @frames stereo frames. */
static double
lufs (const gint16 *s, gsize frames)
{
  ebur128_state *st = ebur128_init (2, SK_AUDIO_RATE, EBUR128_MODE_I);
  double v = -HUGE_VAL;

  g_assert_nonnull (st);
  g_assert_cmpint (ebur128_add_frames_short (st, s, frames), ==, EBUR128_SUCCESS);
  g_assert_cmpint (ebur128_loudness_global (st, &v), ==, EBUR128_SUCCESS);
  ebur128_destroy (&st);
  return v;
}

/* A quiet and a loud song, 12 dB apart on disk, come out of the PCM at the
 * same level, the loudness target (-23 LUFS by default; their gains,
 * about -6 and +6 dB, are inside the ±12 dB clamp), less the volume. */
static void
test_loudness_normalised (Fixture *f, gconstpointer data)
{
  const char *volume = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *raw = NULL;
  gsize len = 0, start = 0, frames = 2 * SK_AUDIO_RATE;
  gsize edge = SK_AUDIO_RATE / 5, middle = frames - 2 * edge;
  const gint16 *s;
  double a, b, la, lb, expected = SK_LOUDNESS_TARGET_DEFAULT;

  if (volume != NULL)
    {
      g_assert_true (sk_store_set_setting (f->store, "volume", volume, &error));
      expected += 20.0 * log10 (g_ascii_strtod (volume, NULL));
    }
  add_noise (f, "thunder", 2.0, -12, EMBEDDING (0.6, 0.7, 0.2, 0.95, 0.3));
  add_noise (f, "rain", 2.0, -24, EMBEDDING (0.95, 0.3, 0.1, 0.3, 0.4));
  import_and_open (f);
  start_playback (f);
  /* the third start: the first two were written out, back to back */
  WAIT_UNTIL (f->started->len >= 3);
  sk_playback_stop (f->playback);

  g_assert_true (g_file_get_contents (f->out, &raw, &len, &error));
  g_assert_no_error (error);
  s = (const gint16 *) (gpointer) raw;
  len /= sizeof (gint16);
  /* whatever silence came before the first track */
  while (start < len && s[start] == 0)
    start++;
  start -= start % 2;
  g_assert_cmpuint (len, >=, start + 2 * frames * 2);
  /* the middle of each: no edge of a track in it */
  a = rms_db (s + start + edge * 2, middle * 2);
  b = rms_db (s + start + (frames + edge) * 2, middle * 2);
  la = lufs (s + start + edge * 2, middle);
  lb = lufs (s + start + (frames + edge) * 2, middle);
  g_test_message ("volume %s: %s %.2f dBFS %.2f LUFS, then %s %.2f dBFS %.2f LUFS "
                  "(on disk 12 dB apart; expected %.2f LUFS)",
                  volume ? volume : "1", (char *) f->started->pdata[0], a, la,
                  (char *) f->started->pdata[1], b, lb, expected);
  g_assert_cmpstr (f->started->pdata[0], !=, f->started->pdata[1]);
  g_assert_cmpfloat (fabs (a - b), <, 0.5);
  g_assert_cmpfloat (fabs (la - expected), <, 0.5);
  g_assert_cmpfloat (fabs (lb - expected), <, 0.5);
}

/* With the default crossfade (5 s; these 2 s tracks crossfade over 1 s,
 * half of the shorter), one song follows another, each start recorded. */
static void
test_crossfade_default (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (f->store, "DELETE FROM settings WHERE key = 'crossfade_seconds'",
                           &error);
  g_assert_no_error (error);
  g_assert_true (sk_store_run (f->store, stmt, &error));
  add_library (f, 3, 2.0);
  import_and_open (f);
  start_playback (f);

  WAIT_UNTIL (f->started->len >= 4);
  sk_playback_stop (f->playback);
  for (guint i = 1; i < f->started->len; i++)
    g_assert_cmpstr (f->started->pdata[i], !=, f->started->pdata[i - 1]);
  g_assert_cmpuint (f->unplayable->len, ==, 0);
}

/* soundscape-ctl run: the same playback from the command line, stopping
 * after the tracks asked for; with nothing to play, a message and 1. */
static void
test_ctl_run (Fixture *f, gconstpointer data)
{
  g_autofree char *db = g_build_filename (f->dir, "kiosk.db", NULL);
  g_autofree char *pcm = g_strdup_printf ("file:'%s',raw", f->out);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *empty_db = g_build_filename (f->dir, "empty.db", NULL);
  const char *argv[] = { "run", "--db", db, "--pcm", pcm, "--tracks", "2", "--unpaced", NULL };
  const char *empty[] = { "run", "--db", empty_db, "--pcm", pcm, NULL };
  g_auto (GStrv) lines = NULL;
  guint playing = 0;

  add_library (f, 2, 0.5);
  import_and_open (f);

  g_assert_cmpint (sk_test_run_ctl (argv, &out, &err), ==, 0);
  g_test_message ("%s%s", out, err);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    playing += g_str_has_prefix (lines[i], "playing ");
  g_assert_cmpuint (playing, >=, 2);
  /* every start printed is a row (the player may report a few at once) */
  rows = sk_test_query_text (f->store, "SELECT count(*) FROM songs_playing", NULL);
  g_assert_cmpuint (g_ascii_strtoull (rows, NULL, 10), ==, playing);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl ((const char *const[]){ "init", "--db", empty_db, NULL }, &out,
                                    &err),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl (empty, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "idle: There is nothing to play"));
}

/* --- an http song, through a real nginx on loopback --------------------- */

static gboolean
stored_loudness_known (Fixture *f, const char *song_id)
{
  g_autofree char *v = sk_test_query_text (f->store,
                                           "SELECT loudness IS NOT NULL FROM songs WHERE id = ?1",
                                           song_id);

  return g_strcmp0 (v, "1") == 0;
}

/* The library's one song is on a server and not downloaded: idle, waiting
 * for it, prefetched, and then it plays from the cache. */
static void
test_http_prefetched (Fixture *f, gconstpointer data)
{
  g_autofree char *root = g_build_filename (f->dir, "server", NULL);
  g_autofree char *wav = g_build_filename (root, "www", "s-far.wav", NULL);
  g_autofree char *cached = NULL;
  SkTestNginx n;

  /* nginx run as root serves from an unprivileged worker */
  g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
  if (!sk_test_nginx_init (&n, root))
    {
      g_test_skip ("nginx is not installed (package nginx-light): this test needs a web server");
      return;
    }
  sk_test_write_wav (wav, 0.5);
  g_assert_cmpint (g_chmod (wav, 0644), ==, 0);
  sk_test_nginx_start (&n, FALSE, NULL);
  add_http_song (f, "s-far", n.port, EMBEDDING (0.9, 0.3, 0.1, 0.3, 0.4));
  import_and_open (f);
  start_playback (f);
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  g_assert_nonnull (strstr (sk_engine_get_status_message (f->engine), "download"));

  WAIT_UNTIL (f->started->len >= 1);
  g_assert_cmpstr (f->started->pdata[0], ==, "s-far");
  cached = sk_test_query_text (f->store, "SELECT path FROM media WHERE song_id = 's-far'", NULL);
  g_assert_nonnull (cached);
  g_assert_true (g_str_has_prefix (cached, sk_media_cache_get_dir (f->cache)));
  g_assert_cmpuint (f->unplayable->len, ==, 0);
  /* not imported here: its loudness is measured after it first plays */
  WAIT_UNTIL (stored_loudness_known (f, "s-far"));

  sk_playback_stop (f->playback);
  sk_test_nginx_clear (&n);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  paced_dir = sk_test_mkdtemp ();
  if (!sk_paced_setup (paced_dir, &paced_missing))
    {
      sk_test_rmdir (paced_dir);
      g_clear_pointer (&paced_dir, g_free);
    }
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  for (guint i = 0; i < G_N_ELEMENTS (core_domains); i++)
    g_log_set_handler (core_domains[i], G_LOG_LEVEL_WARNING, log_handler, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/playback/head-plays", test_head_plays);
  ADD ("/playback/corrupt-skipped", test_corrupt_skipped);
  ADD ("/playback/missing-skipped", test_missing_skipped);
  ADD ("/playback/outside-the-library-skipped", test_outside_library_skipped);
  ADD ("/playback/fallback-to-a-playable-song", test_fallback);
  ADD ("/playback/nothing-playable-is-idle", test_nothing_playable);
  ADD ("/playback/empty-library-is-idle", test_empty_library);
  ADD ("/playback/locked-database-passes-over-the-song", test_locked_database);
  ADD ("/playback/next-is-appended", test_next_is_appended);
  g_test_add ("/playback/loudness-normalised", Fixture, NULL, fixture_setup,
              test_loudness_normalised, fixture_teardown);
  g_test_add ("/playback/loudness-normalised-at-half-volume", Fixture, "0.5", fixture_setup,
              test_loudness_normalised, fixture_teardown);
  ADD ("/playback/queue-change-replaces-next", test_queue_change_replaces_next);
  ADD ("/playback/crossfade-default", test_crossfade_default);
  ADD ("/playback/ctl-run", test_ctl_run);
  ADD ("/playback/http-song-is-prefetched-then-plays", test_http_prefetched);
  status = g_test_run ();
  if (paced_dir != NULL)
    sk_test_rmdir (paced_dir);
  g_free (paced_dir);
  g_free (paced_missing);
  return status;
}
