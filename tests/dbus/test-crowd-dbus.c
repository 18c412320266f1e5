/* test-crowd-dbus.c: the crowd veto and "why this" as a client of
 * org.soundscape.Kiosk1 sees them, through the real soundscaped on a
 * private bus (sk-dbus-fixture.h), playing the demo library in real time
 * on the paced test PCM, so that a track lasts long enough for a room to
 * rate it. */
#include "config.h"

#include <string.h>

#include "sk-dbus-fixture.h"
#include "sk-paced.h"
#include "sk-test-util.h"

#define GUEST_1 "04C0FFEE"
#define GUEST_2 "04DECAF0"

static const char *const badges[] = { RAIN_LOVER, FIRE_KEEPER, BEACHCOMBER, GUEST_1, GUEST_2 };

/* soundscaped in real time (the paced PCM at speed 1), so that votes land
 * on one play. */
static void
start_real_time (Fixture *f)
{
  g_autofree char *pcm = sk_paced_pcm_name (1.0, NULL, NULL);

  start_daemon_with (f, pcm, NULL);
  wait_playing (f);
}

/* @n listeners checked in (the three demo badges, then guests who join),
 * their tickets in @tickets (fresh ones, when they were already here). */
static void
check_in (Fixture *f, guint n, char **tickets)
{
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (badges));
  for (guint i = 0; i < n; i++)
    {
      g_auto (Tap) t = { 0 };

      tap (f, badges[i], &t);
      if (g_strcmp0 (t.result, "unknown") == 0)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char *name = g_strdup_printf ("Guest %u", i);

          sk_dbus_kiosk1_call_join_sync (f->kiosk, t.ticket, name, G_DBUS_CALL_FLAGS_NONE, 10000,
                                         NULL, NULL, NULL, NULL, &error);
          g_assert_no_error (error);
        }
      else if (g_strcmp0 (t.result, "extended") != 0)
        g_assert_cmpstr (t.result, ==, "checked-in");
      g_free (tickets[i]);
      tickets[i] = g_steal_pointer (&t.ticket);
    }
}

static void
dispatch_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* A vote that must succeed; the song it rated. The reply comes after any
 * signal the vote caused (one connection keeps its order), so once it is
 * here and the pending dispatches are run, a veto's Skipped has been seen. */
static char *
vote (Fixture *f, const char *ticket, int value)
{
  g_autoptr (GError) error = NULL;
  char *song = NULL;

  sk_dbus_kiosk1_call_vote_sync (f->kiosk, ticket, value, G_DBUS_CALL_FLAGS_NONE, 10000, &song,
                                 NULL, &error);
  g_assert_no_error (error);
  dispatch_pending ();
  return song;
}

static guint
n_vetoes (Fixture *f, guint from)
{
  guint n = 0;

  for (guint i = from; i < f->signals->len; i++)
    {
      Signal *s = g_ptr_array_index (f->signals, i);

      const char *reason = NULL;

      if (g_strcmp0 (s->member, "Skipped") != 0)
        continue;
      g_variant_get_child (s->params, 1, "&s", &reason);
      if (g_strcmp0 (reason, "veto") == 0)
        n++;
    }
  return n;
}

static char *
now_playing (Fixture *f)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  char *song = NULL;

  g_variant_get_child (now, 0, "s", &song);
  return song;
}

static gboolean
playing_other (Fixture *f, gconstpointer song)
{
  g_autofree char *now = now_playing (f);

  return *now != '\0' && g_strcmp0 (now, song) != 0;
}

/* The room rates the track playing with @values (one a listener, in
 * order, 0 for no vote); after each vote, a veto must have come exactly
 * when @veto_after says (the index of the vote that brings it, or -1 for
 * none). Should the track change between votes (it ended on its own), the
 * round is played again on the next one. Returns the song rated. */
static char *
rate (Fixture *f, char **tickets, const int *values, guint n, int veto_after)
{
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autofree char *first = NULL;
      guint mark = f->signals->len;
      gboolean split = FALSE;

      for (guint i = 0; i < n && !split; i++)
        {
          g_autofree char *song = NULL;

          if (values[i] == 0)
            continue;
          song = vote (f, tickets[i], values[i]);
          if (first == NULL)
            first = g_strdup (song);
          if (g_strcmp0 (song, first) != 0)
            {
              g_test_message ("the track changed during the votes: again on the next one");
              split = TRUE;
              break;
            }
          g_assert_cmpuint (n_vetoes (f, mark), ==, (int) i >= veto_after && veto_after >= 0);
        }
      if (!split)
        return g_steal_pointer (&first);
      /* the tickets stay good for the next play (20 s): wait for a fresh one */
      if (!spin_until (playing_other, f, first, 40))
        g_error ("no next track within 40 s");
    }
  g_error ("three tracks changed during the votes");
  return NULL;
}

/* The veto's Skipped names the song and says why in a sentence; the track
 * fades out and another one plays. */
static void
assert_vetoed (Fixture *f, guint mark, const char *song, const char *says)
{
  Signal *s = wait_signal (f, mark, "Skipped", "'veto'", 10);
  const char *id, *reason, *message;

  g_variant_get (s->params, "(&s&s&s)", &id, &reason, &message);
  g_test_message ("Skipped: %s", message);
  g_assert_cmpstr (id, ==, song);
  g_assert_nonnull (strstr (message, says));
  g_assert_true (g_str_has_prefix (message, "Skipped “"));
  if (!spin_until (playing_other, f, song, 20))
    g_error ("the vetoed track still plays 20 s later");
}

static void
free_tickets (char **tickets, guint n)
{
  for (guint i = 0; i < n; i++)
    g_free (tickets[i]);
}

/* Two listeners: one low vote is no veto (one has rated); two are. On the
 * next track, one low and one high vote is no majority. */
static void
test_veto_two (Fixture *f, gconstpointer data)
{
  char *tickets[2] = { 0 };
  const int both_low[] = { 2, 1 };
  const int split[] = { 1, 5 };
  g_autofree char *song = NULL;
  g_autofree char *again = NULL;
  guint mark;

  start_real_time (f);
  check_in (f, 2, tickets);
  mark = f->signals->len;
  song = rate (f, tickets, both_low, 2, 1);
  assert_vetoed (f, mark, song, "2 of the 2 listeners here rated it 2 or lower");

  check_in (f, 2, tickets); /* fresh tickets for the next track */
  mark = f->signals->len;
  again = rate (f, tickets, split, 2, -1);
  g_assert_cmpstr (again, !=, song);
  g_assert_cmpuint (n_vetoes (f, mark), ==, 0);
  free_tickets (tickets, 2);
}

/* Three listeners: one low vote is no veto; a second low one is 2 of 3. */
static void
test_veto_three (Fixture *f, gconstpointer data)
{
  char *tickets[3] = { 0 };
  const int votes[] = { 1, 0, 2 };
  g_autofree char *song = NULL;
  guint mark;

  start_real_time (f);
  check_in (f, 3, tickets);
  mark = f->signals->len;
  song = rate (f, tickets, votes, 3, 2);
  assert_vetoed (f, mark, song, "2 of the 3 listeners here");
  free_tickets (tickets, 3);
}

/* Five listeners: 2 of 5 low is no veto, nor is it with two high votes
 * more; the third low vote is a majority of those present. */
static void
test_veto_five (Fixture *f, gconstpointer data)
{
  char *tickets[5] = { 0 };
  const int votes[] = { 1, 2, 5, 4, 1 };
  g_autofree char *song = NULL;
  guint mark;

  start_real_time (f);
  check_in (f, 5, tickets);
  mark = f->signals->len;
  song = rate (f, tickets, votes, 5, 4);
  assert_vetoed (f, mark, song, "3 of the 5 listeners here");
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM votes"), >=, 5);
  free_tickets (tickets, 5);
}

/* With the setting crowd_veto off, two of two low votes skip nothing. */
static void
test_veto_off (Fixture *f, gconstpointer data)
{
  const char *init[] = { "init", NULL };
  const char *off[] = { "config", "crowd_veto", "0", NULL };
  char *tickets[2] = { 0 };
  const int both_low[] = { 1, 1 };
  g_autofree char *song = NULL;
  guint mark;

  sk_test_ctl_ok (f->db, init);
  sk_test_ctl_ok (f->db, off);
  start_real_time (f);
  check_in (f, 2, tickets);
  mark = f->signals->len;
  song = rate (f, tickets, both_low, 2, -1);
  g_assert_cmpuint (n_vetoes (f, mark), ==, 0);
  free_tickets (tickets, 2);
}

static gboolean
queue_has_why (Fixture *f, gconstpointer needle)
{
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  g_autofree char *text = queue ? g_variant_print (queue, FALSE) : NULL;

  return text != NULL && strstr (text, needle) != NULL;
}

/* An entry of the queue says why for the listener here: their taste, or
 * what the kiosk would learn of it. */
static gboolean
queue_speaks_of_listener (Fixture *f, gconstpointer data)
{
  return queue_has_why (f, "the listener here") || queue_has_why (f, "Something new");
}

/* Every queue entry says why in a sentence: the house taste with nobody
 * here, something about the listener once one checks in. */
static void
test_why_over_bus (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) queue = NULL;
  g_auto (Tap) rain = { 0 };
  GVariantIter iter;
  const char *why;
  guint n = 0;

  start_daemon (f);
  wait_playing (f);
  queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  g_variant_iter_init (&iter, queue);
  while (g_variant_iter_next (&iter, "(&s&s&sd&s)", NULL, NULL, NULL, NULL, &why))
    {
      g_assert_cmpstr (why, ==, SK_TEST_WHY_NOBODY);
      n++;
    }
  g_assert_cmpuint (n, >, 0);

  tap (f, RAIN_LOVER, &rain);
  if (!spin_until (queue_speaks_of_listener, f, NULL, 10))
    g_error ("no queue entry speaks of the listener checked in");
  g_clear_pointer (&queue, g_variant_unref);
  queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  g_variant_iter_init (&iter, queue);
  while (g_variant_iter_next (&iter, "(&s&s&sd&s)", NULL, NULL, NULL, NULL, &why))
    {
      g_test_message ("why: %s", why);
      g_assert_cmpstr (why, !=, "");
      g_assert_cmpstr (why, !=, SK_TEST_WHY_NOBODY);
    }
}

static gboolean
queue_lacks_why (Fixture *f, gconstpointer needle)
{
  return !queue_has_why (f, needle);
}

/* The queue's songs in order, one line each. */
static char *
queue_order (Fixture *f)
{
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  GString *order = g_string_new (NULL);
  GVariantIter iter;
  const char *song;

  g_variant_iter_init (&iter, queue);
  while (g_variant_iter_next (&iter, "(&s&s&sd&s)", &song, NULL, NULL, NULL, NULL))
    g_string_append_printf (order, "%s\n", song);
  return g_string_free (order, FALSE);
}

/* A badge the demo does not know joins as @name. */
static void
join_new (Fixture *f, const char *uid, const char *name)
{
  g_auto (Tap) t = { 0 };
  g_autoptr (GError) error = NULL;

  tap (f, uid, &t);
  g_assert_cmpstr (t.result, ==, "unknown");
  sk_dbus_kiosk1_call_join_sync (f->kiosk, t.ticket, name, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                 NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* A listener whose taste leaves the order as it was still changes why each
 * song is there: the queue is announced again with the new sentences
 * (paused, without exploration, so that nothing else moves the queue). */
static void
test_why_follows_listeners (Fixture *f, gconstpointer data)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  start_daemon (f);
  wait_playing (f);
  unlock_admin (f, "2468");
  call_ok (f, "SetSetting", g_variant_new ("(ss)", "explore_weight", "0"));
  /* still: a track that started as Pause came would move the queue after
   * it is read below */
  pause_still (f);
  g_assert_true (spin_until (queue_has_why, f, SK_TEST_WHY_NOBODY, 10));
  before = queue_order (f);

  join_new (f, "04AA0001", "Sam");
  if (!spin_until (queue_lacks_why, f, SK_TEST_WHY_NOBODY, 10))
    g_error ("the queue still says nobody is here after a listener joined");
  after = queue_order (f);
  g_assert_cmpstr (after, ==, before);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/crowd/veto-two", test_veto_two);
  ADD ("/crowd/veto-three", test_veto_three);
  ADD ("/crowd/veto-five", test_veto_five);
  ADD ("/crowd/veto-off", test_veto_off);
  ADD ("/crowd/why-over-bus", test_why_over_bus);
  ADD ("/crowd/why-follows-listeners", test_why_follows_listeners);
  return g_test_run ();
}
