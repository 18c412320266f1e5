/* test-crash-trials.c: soundscaped killed with SIGKILL at random moments
 * while several clients storm it with taps and votes over D-Bus, and
 * started again, many times (SK_CRASH_TRIALS, default 100; 20 when the
 * waits are stretched for a sanitizer build, SK_TEST_TIME_FACTOR > 1).
 *
 * After each kill, on the database file the dead daemon left:
 *   - PRAGMA integrity_check is "ok";
 *   - every vote whose call returned success before the kill is in votes
 *     (counted per listener and song) and every vote row is in the outbox;
 *   - no listener has two active sessions;
 * and after each restart, the first track played is the head of the queue
 * the dead daemon had stored. The counts are printed. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "sk-dbus-fixture.h"
#include "sk-paced.h"
#include "sk-test-util.h"

#define N_CLIENTS 4
#define KILL_MIN_MS 20
#define KILL_MAX_MS 250

static const char *const badges[] = { RAIN_LOVER, FIRE_KEEPER, BEACHCOMBER,
                                      "04C0FFEE", "04AA0001",  "04AA0002" };

typedef struct
{
  Fixture *f;
  guint seed;
  gint *stop;
  GHashTable *acked; /* "user song" → count, the caller's, under lock */
  GMutex *lock;
  guint taps, votes, refused, cut;
} Client;

/* One client on a connection of its own: tap a random badge, rate the
 * track with the ticket, again, until told to stop or the daemon is gone.
 * A vote is acknowledged when its call returned a song. */
static gpointer
client_run (gpointer data)
{
  Client *c = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (c->seed);
  g_autoptr (GDBusConnection) conn = NULL;
  g_autoptr (GError) error = NULL;

  conn = g_dbus_connection_new_for_address_sync (c->f->address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, &error);
  g_assert_no_error (error);

  while (!g_atomic_int_get (c->stop))
    {
      const char *uid = badges[g_rand_int_range (rand, 0, G_N_ELEMENTS (badges))];
      g_autoptr (GVariant) tapped = NULL;
      g_autoptr (GVariant) voted = NULL;
      const char *ticket = NULL, *user = NULL, *song = NULL;

      tapped = g_dbus_connection_call_sync (conn, NAME, PATH, IFACE, "Tap",
                                            g_variant_new ("(s)", uid), G_VARIANT_TYPE ("(ssssxs)"),
                                            0, 5000, NULL, &error);
      if (tapped == NULL)
        {
          c->cut++;
          g_clear_error (&error);
          break; /* the daemon is gone */
        }
      c->taps++;
      g_variant_get (tapped, "(&s&s&s&sx&s)", NULL, &ticket, &user, NULL, NULL, NULL);
      if (*ticket == '\0' || *user == '\0')
        continue;
      voted = g_dbus_connection_call_sync (conn, NAME, PATH, IFACE, "Vote",
                                           g_variant_new ("(si)", ticket,
                                                          g_rand_int_range (rand, 1, 6)),
                                           G_VARIANT_TYPE ("(s)"), 0, 5000, NULL, &error);
      if (voted == NULL)
        {
          g_autofree char *remote = g_dbus_error_get_remote_error (error);

          if (remote != NULL && g_str_has_prefix (remote, ERR))
            c->refused++; /* already rated this play, or nothing playing */
          else
            {
              c->cut++;
              g_clear_error (&error);
              break;
            }
          g_clear_error (&error);
          continue;
        }
      g_variant_get (voted, "(&s)", &song);
      c->votes++;
      g_mutex_lock (c->lock);
      {
        char *key = g_strdup_printf ("%s %s", user, song);

        g_hash_table_insert (c->acked, key,
                             GUINT_TO_POINTER (
                                 GPOINTER_TO_UINT (g_hash_table_lookup (c->acked, key)) + 1));
      }
      g_mutex_unlock (c->lock);
    }
  g_dbus_connection_close_sync (conn, NULL, NULL);
  return NULL;
}

static gboolean
name_free (Fixture *f, gconstpointer data)
{
  return !name_owned (f, data);
}

/* soundscaped on the library the first start imported, no reader. */
static void
restart (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autofree char *pcm = sk_paced_pcm_name (20.0, NULL, NULL);
  g_autoptr (GError) error = NULL;

  f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                           "--session", "--db", f->db, "--pcm", pcm, "--no-nfc",
                                           NULL);
  g_assert_no_error (error);
  if (!spin_until (name_owned, f, NULL, 30))
    g_error ("soundscaped did not own %s within 30 s of a restart", NAME);
}

static gboolean
started_since (Fixture *f, gconstpointer data)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM songs_playing "
                                          "WHERE played_at > '%s'",
                                          (const char *) data);

  return sk_test_file_query_int (f->db, sql) > 0;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static guint
n_trials (void)
{
  const char *env = g_getenv ("SK_CRASH_TRIALS");

  if (env != NULL)
    {
      guint64 n = 0;

      if (!g_ascii_string_to_unsigned (env, 10, 1, 10000, &n, NULL))
        g_error ("SK_CRASH_TRIALS must be a whole number from 1 to 10000, not “%s”", env);
      return (guint) n;
    }
  return sk_test_time_factor () > 1 ? 20 : 100;
}

static void
test_crash_trials (Fixture *f, gconstpointer data)
{
  const char *init[] = { "init", NULL };
  const char *no_limit[] = { "config", "tap_limit_per_minute", "0", NULL };
  g_autoptr (GHashTable) acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint trials = n_trials ();
  guint taps = 0, votes = 0, refused = 0, cut = 0, resumed = 0;
  GMutex lock;
  guint ticker;

  g_mutex_init (&lock);
  sk_test_ctl_ok (f->db, init);
  sk_test_ctl_ok (f->db, no_limit);
  /* the first start imports the demo library; the guests join once */
  start_daemon (f);
  wait_playing (f);
  for (guint i = 4; i < G_N_ELEMENTS (badges); i++) /* the guests */
    {
      g_auto (Tap) t = { 0 };
      g_autoptr (GError) error = NULL;

      tap (f, badges[i], &t);
      g_assert_cmpstr (t.result, ==, "unknown");
      sk_dbus_kiosk1_call_join_sync (f->kiosk, t.ticket, "", G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                     NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_clear_object (&f->kiosk);

  ticker = g_timeout_add (10, tick, NULL);
  for (guint trial = 0; trial < trials; trial++)
    {
      Client clients[N_CLIENTS];
      GThread *threads[N_CLIENTS];
      g_autofree char *integrity = NULL;
      g_autofree char *head = NULL;
      g_autofree char *last_start = NULL;
      g_autofree char *first = NULL;
      g_autofree char *sql = NULL;
      gint stop = 0;
      GHashTableIter iter;
      gpointer key, value;

      for (guint i = 0; i < N_CLIENTS; i++)
        {
          clients[i] = (Client){ f, g_random_int (), &stop, acked, &lock, 0, 0, 0, 0 };
          threads[i] = g_thread_new ("client", client_run, &clients[i]);
        }
      g_usleep (1000 * g_random_int_range (KILL_MIN_MS, KILL_MAX_MS + 1));
      g_subprocess_send_signal (f->daemon, SIGKILL);
      g_assert_true (g_subprocess_wait (f->daemon, NULL, NULL));
      g_assert_true (g_subprocess_get_if_signaled (f->daemon));
      g_clear_object (&f->daemon);
      g_atomic_int_set (&stop, 1);
      for (guint i = 0; i < N_CLIENTS; i++)
        {
          g_thread_join (threads[i]);
          taps += clients[i].taps;
          votes += clients[i].votes;
          refused += clients[i].refused;
          cut += clients[i].cut;
        }

      /* what the dead daemon left */
      integrity = sk_test_file_query_text (f->db, "PRAGMA integrity_check");
      g_assert_cmpstr (integrity, ==, "ok");
      g_hash_table_iter_init (&iter, acked);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_auto (GStrv) pair = g_strsplit (key, " ", 2);
          g_autofree char *q = g_strdup_printf ("SELECT count(*) FROM votes WHERE user_id = '%s' "
                                                "AND song_id = '%s'",
                                                pair[0], pair[1]);
          int stored = sk_test_file_query_int (f->db, q);

          if (stored < (int) GPOINTER_TO_UINT (value))
            g_error ("trial %u: %u votes of %s acknowledged, %d stored", trial,
                     GPOINTER_TO_UINT (value), (const char *) key, stored);
        }
      g_assert_cmpint (sk_test_file_query_int (f->db,
                                               "SELECT count(*) FROM votes v WHERE NOT EXISTS "
                                               "(SELECT 1 FROM outbox o WHERE o.kind = 'vote' "
                                               "AND o.row_id = v.id)"),
                       ==, 0);
      g_assert_cmpint (sk_test_file_query_int (f->db,
                                               "SELECT count(*) FROM (SELECT user_id FROM sessions "
                                               "WHERE status = 'active' GROUP BY user_id "
                                               "HAVING count(*) > 1)"),
                       ==, 0);
      head = sk_test_file_query_text (f->db, "SELECT song_id FROM player_queue "
                                             "ORDER BY position LIMIT 1");
      last_start = sk_test_file_query_text (f->db,
                                            "SELECT coalesce(max(played_at), '') FROM songs_playing");

      /* the bus frees the name once it sees the daemon gone */
      if (!spin_until (name_free, f, NULL, 10))
        g_error ("the name is still owned 10 s after the kill");
      restart (f);
      if (!spin_until (started_since, f, last_start, 20))
        g_error ("trial %u: nothing played within 20 s of the restart", trial);
      sql = g_strdup_printf ("SELECT song_id FROM songs_playing WHERE played_at > '%s' "
                             "ORDER BY played_at LIMIT 1",
                             last_start);
      first = sk_test_file_query_text (f->db, sql);
      g_assert_nonnull (head);
      if (g_strcmp0 (first, head) != 0)
        g_error ("trial %u: the restart played %s, the queue's head was %s", trial, first, head);
      resumed++;
    }
  g_source_remove (ticker);
  g_mutex_clear (&lock);

  g_assert_cmpuint (votes, >, 0);
  g_test_message ("crash trials: %u kills, integrity ok %u times, %u restarts resumed with the "
                  "queue's head; %u taps and %u votes acknowledged (0 lost), %u votes refused, "
                  "%u calls cut off by a kill",
                  trials, trials, resumed, taps, votes, refused, cut);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/crash/trials", Fixture, NULL, fixture_setup, test_crash_trials, fixture_teardown);
  return g_test_run ();
}
