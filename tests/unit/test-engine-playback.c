/* What the engine offers the playback controller: starting a chosen song,
 * marking a song unplayable, the fallback's ranking, and the idle status
 * with its message. A real SQLite database in a scratch directory. */
#include "config.h"

#include <string.h>

#include "sk-test-util.h"
#include "sk-why.h"

#define T0 ((gint64) 1714557600 * G_USEC_PER_SEC)

typedef struct
{
  char *dir;
  SkTestClock clock;
  SkEngine *engine;
  SkStore *store;
  guint status_changes;
  char *last_status;
  char *row_status; /* the players row as the last handler saw it */
} Fixture;

static void
on_status (SkEngine *engine, const char *status, const char *message, Fixture *f)
{
  f->status_changes++;
  g_free (f->last_status);
  f->last_status = g_strdup (status);
  g_free (f->row_status);
  f->row_status = sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                                      sk_engine_get_player_id (engine));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  static const SkTestSong songs[] = {
    { "s-campfire", { 0.10, 0.30, 0.95, 0.20, 0.20 } },
    { "s-rain", { 0.95, 0.30, 0.10, 0.30, 0.40 } },
    { "s-waves", { 0.40, 0.50, 0.10, 0.10, 0.95 } },
  };

  f->dir = sk_test_mkdtemp ();
  f->clock.now = T0;
  f->engine = sk_test_engine_new (f->dir, &f->clock);
  f->store = sk_engine_get_store (f->engine);
  sk_test_add_songs (f->engine, songs, G_N_ELEMENTS (songs));
  g_signal_connect (f->engine, "status-changed", G_CALLBACK (on_status), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->engine);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->last_status);
  g_free (f->row_status);
}

static gboolean
queue_has (SkEngine *engine, const char *id)
{
  guint n = 0;
  const SkQueueEntry *q = sk_engine_get_queue (engine, &n);

  for (guint i = 0; i < n; i++)
    if (strcmp (q[i].song_id, id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_start_song (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *play = NULL;
  g_autofree char *status = NULL;
  g_autofree char *current = NULL;
  g_autofree char *row = NULL;

  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  /* not the queue's head: the playback may choose another */
  g_assert_true (sk_engine_start_song (f->engine, "s-waves", &play, &error));
  g_assert_no_error (error);
  g_assert_nonnull (play);
  g_assert_cmpstr (sk_engine_get_current_song (f->engine), ==, "s-waves");
  g_assert_cmpstr (sk_engine_get_current_play (f->engine), ==, play);
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "playing");
  g_assert_null (sk_engine_get_status_message (f->engine));
  g_assert_cmpuint (f->status_changes, ==, 1);
  status = sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                               sk_engine_get_player_id (f->engine));
  current = sk_test_query_text (f->store, "SELECT current_song_id FROM players WHERE id = ?1",
                                sk_engine_get_player_id (f->engine));
  row = sk_test_query_text (f->store, "SELECT song_id FROM songs_playing WHERE id = ?1", play);
  g_assert_cmpstr (status, ==, "playing");
  g_assert_cmpstr (current, ==, "s-waves");
  g_assert_cmpstr (row, ==, "s-waves");
  g_assert_false (queue_has (f->engine, "s-waves"));

  g_assert_false (sk_engine_start_song (f->engine, "s-nothing", NULL, &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
}

static void
test_mark_unplayable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ranked = NULL;
  g_autofree char *playable = NULL;
  g_autofree char *reason = NULL;

  g_assert_true (queue_has (f->engine, "s-rain"));
  g_assert_true (sk_engine_mark_unplayable (f->engine, "s-rain", "the audio is damaged", &error));
  g_assert_no_error (error);
  g_assert_false (queue_has (f->engine, "s-rain"));
  playable = sk_test_query_text (f->store, "SELECT playable FROM songs WHERE id = ?1", "s-rain");
  reason = sk_test_query_text (f->store, "SELECT unplayable_reason FROM songs WHERE id = ?1",
                               "s-rain");
  g_assert_cmpstr (playable, ==, "0");
  g_assert_cmpstr (reason, ==, "the audio is damaged");

  ranked = sk_engine_dup_ranked_playable (f->engine);
  g_assert_cmpuint (ranked->len, ==, 2);
  for (guint i = 0; i < ranked->len; i++)
    g_assert_cmpstr (ranked->pdata[i], !=, "s-rain");

  /* a reload keeps it out */
  g_assert_true (sk_engine_reload (f->engine, &error));
  g_assert_false (queue_has (f->engine, "s-rain"));

  g_assert_false (sk_engine_mark_unplayable (f->engine, "s-nothing", "gone", &error));
  g_assert_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND);
}

/* The fallback's ranking has what the queue leaves out: the song playing
 * and the ones played a moment ago. */
static void
test_ranked_includes_current (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ranked = NULL;
  guint n = 0;

  g_assert_true (sk_engine_start_song (f->engine, "s-campfire", NULL, &error));
  f->clock.now += 60 * G_USEC_PER_SEC;
  g_assert_true (sk_engine_start_song (f->engine, "s-rain", NULL, &error));
  sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, ==, 2);
  ranked = sk_engine_dup_ranked_playable (f->engine);
  g_assert_cmpuint (ranked->len, ==, 3);
  /* never played beats played a minute ago, which beats just now */
  g_assert_cmpstr (ranked->pdata[0], ==, "s-waves");
  g_assert_cmpstr (ranked->pdata[2], ==, "s-rain");
}

/* The why of the track playing is the sentence its queue entry had when
 * it started, kept while it plays (a reload too); a song that was not in
 * the queue says it fills in; nothing playing has none. */
static void
test_current_why (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *queued = NULL, *fallback = sk_why_fallback ();
  const SkQueueEntry *q;
  guint n = 0;

  g_assert_null (sk_engine_get_current_why (f->engine));
  q = sk_engine_get_queue (f->engine, &n);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpstr (q[0].why, !=, "");
  queued = g_strdup (q[0].why);
  g_assert_true (sk_engine_start_next (f->engine, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sk_engine_get_current_why (f->engine), ==, queued);
  g_assert_true (sk_engine_reload (f->engine, &error));
  g_assert_cmpstr (sk_engine_get_current_why (f->engine), ==, queued);

  /* the one playing is never in the queue: played again, it fills in */
  g_assert_false (queue_has (f->engine, sk_engine_get_current_song (f->engine)));
  g_assert_true (
      sk_engine_start_song (f->engine, sk_engine_get_current_song (f->engine), NULL, &error));
  g_assert_cmpstr (sk_engine_get_current_why (f->engine), ==, fallback);
  g_assert_cmpstr (fallback, !=, queued);

  g_assert_true (sk_engine_set_idle (f->engine, "Nothing can play", &error));
  g_assert_null (sk_engine_get_current_why (f->engine));
}

static void
test_idle (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *current = NULL;

  g_assert_true (sk_engine_start_song (f->engine, "s-campfire", NULL, &error));
  g_assert_true (sk_engine_set_idle (f->engine, "Nothing can play", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "idle");
  g_assert_cmpstr (sk_engine_get_status_message (f->engine), ==, "Nothing can play");
  g_assert_cmpstr (f->last_status, ==, "idle");
  g_assert_cmpuint (f->status_changes, ==, 2);
  g_assert_null (sk_engine_get_current_song (f->engine));
  status = sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                               sk_engine_get_player_id (f->engine));
  current = sk_test_query_text (f->store, "SELECT current_song_id FROM players WHERE id = ?1",
                                sk_engine_get_player_id (f->engine));
  g_assert_cmpstr (status, ==, "idle");
  g_assert_null (current);
  /* the same again is no change */
  g_assert_true (sk_engine_set_idle (f->engine, "Nothing can play", &error));
  g_assert_cmpuint (f->status_changes, ==, 2);
}

/* "status-changed" to idle is told after the row says so (a handler that
 * reads the database sees what it was told), and a refused write tells
 * no one and changes nothing. */
static void
test_idle_after_commit (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;

  g_assert_true (sk_engine_start_song (f->engine, "s-campfire", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (f->row_status, ==, "playing");

  g_assert_true (sk_store_exec (f->store,
                                "CREATE TEMP TRIGGER refuse_idle BEFORE UPDATE ON players "
                                "WHEN NEW.status = 'idle' "
                                "BEGIN SELECT RAISE (ABORT, 'refused by the test'); END",
                                &error));
  g_assert_no_error (error);
  g_assert_false (sk_engine_set_idle (f->engine, "Nothing can play", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (f->status_changes, ==, 1);
  g_assert_cmpstr (f->last_status, ==, "playing");
  g_assert_cmpstr (sk_engine_get_status (f->engine), ==, "playing");
  g_assert_cmpstr (sk_engine_get_current_song (f->engine), ==, "s-campfire");
  g_assert_false (queue_has (f->engine, "s-campfire"));
  status = sk_test_query_text (f->store, "SELECT status FROM players WHERE id = ?1",
                               sk_engine_get_player_id (f->engine));
  g_assert_cmpstr (status, ==, "playing");

  g_assert_true (sk_store_exec (f->store, "DROP TRIGGER refuse_idle", &error));
  g_assert_no_error (error);
  g_assert_true (sk_engine_set_idle (f->engine, "Nothing can play", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->status_changes, ==, 2);
  g_assert_cmpstr (f->last_status, ==, "idle");
  g_assert_cmpstr (f->row_status, ==, "idle");
  g_assert_true (queue_has (f->engine, "s-campfire"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/core/engine/playback/start-a-chosen-song", test_start_song);
  ADD ("/core/engine/playback/mark-unplayable", test_mark_unplayable);
  ADD ("/core/engine/playback/ranked-includes-current", test_ranked_includes_current);
  ADD ("/core/engine/playback/current-why", test_current_why);
  ADD ("/core/engine/playback/idle-with-a-message", test_idle);
  ADD ("/core/engine/playback/idle-told-after-commit", test_idle_after_commit);
  return g_test_run ();
}
