/* test-kiosk-dbus.c: org.soundscape.Kiosk1 as its clients see it.
 *
 * Each test starts a private dbus-daemon (--session, on a socket in its
 * temporary directory) and the real soundscaped on it with --session: the
 * demo library on a fresh database, the paced test PCM (tests/alsa) at 20×
 * and a PN532 played on a pseudo-terminal (tests/nfc) as its badge reader
 * (sk-dbus-fixture.c, shared with the other tests here).
 * The test is a client on that bus, through the generated proxy and plain
 * calls; it reads the database with SQLite to see what was (not) stored.
 * Every wait is bounded; only the processes started here are stopped, by
 * pid.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "sk-dbus-fixture.h"
#include "sk-paced.h"
#include "sk-test-util.h"

/* --- tests -------------------------------------------------------------- */

/* Every property has its documented form and a value that fits what
 * plays; the interface served is the one data/ documents, member by
 * member. */
static void
test_properties (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) now = NULL, queue = NULL, listeners = NULL, audio = NULL, sync = NULL;
  g_autoptr (GVariant) embedding = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) xml_reply = NULL;
  g_autoptr (GDBusNodeInfo) served = NULL, documented = NULL;
  g_autofree char *xml_path = NULL, *xml = NULL;
  const char *song, *title, *artist, *audio_status, *sync_status, *served_xml;
  gint64 started, last_sync;
  double duration, position;
  GDBusInterfaceInfo *want, *got;

  start_daemon (f);
  wait_playing (f);
  if (!spin_until (reader_ready, f, NULL, 10))
    g_error ("the reader is not ready within 10 s");

  now = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  g_variant_get (now, "(&s&s&s@adxd)", &song, &title, &artist, &embedding, &started, &duration);
  g_assert_cmpuint (strlen (song), ==, 36);
  g_assert_cmpstr (title, !=, "");
  g_assert_cmpstr (artist, ==, "soundscape-kiosk demo");
  g_assert_cmpuint (g_variant_n_children (embedding), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      double e;

      g_variant_get_child (embedding, i, "d", &e);
      g_assert_cmpfloat (e, >=, 0);
      g_assert_cmpfloat (e, <=, 1);
    }
  g_assert_cmpint (started, >, g_get_real_time () - (gint64) 3600 * G_USEC_PER_SEC);
  g_assert_cmpint (started, <=, g_get_real_time ());
  g_assert_cmpfloat (duration, >, 0);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM songs_playing"), >=, 1);
  /* taken from the queue with nobody here: its entry's sentence */
  g_assert_cmpstr (sk_dbus_kiosk1_get_now_playing_why (f->kiosk), ==, SK_TEST_WHY_NOBODY);

  /* Position is read, not announced: a Get, not the proxy's cache */
  {
    g_autoptr (GVariant) reply = g_dbus_connection_call_sync (f->conn, NAME, PATH,
                                                              "org.freedesktop.DBus.Properties",
                                                              "Get",
                                                              g_variant_new ("(ss)", IFACE,
                                                                             "Position"),
                                                              G_VARIANT_TYPE ("(v)"),
                                                              G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                                              &error);
    g_autoptr (GVariant) v = NULL;

    g_assert_no_error (error);
    g_variant_get (reply, "(v)", &v);
    position = g_variant_get_double (v);
    g_assert_cmpfloat (position, >=, 0);
    g_assert_cmpfloat (position, <=, duration + 1);
  }

  queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  g_assert_cmpuint (g_variant_n_children (queue), ==, 5); /* queue_k */
  for (guint i = 0; i < g_variant_n_children (queue); i++)
    {
      const char *id, *qtitle, *qartist, *why;
      double score;

      g_variant_get_child (queue, i, "(&s&s&sd&s)", &id, &qtitle, &qartist, &score, &why);
      g_assert_cmpuint (strlen (id), ==, 36);
      g_assert_cmpstr (qtitle, !=, "");
      g_assert_true (isfinite (score));
      g_assert_cmpstr (why, ==, SK_TEST_WHY_NOBODY);
    }

  listeners = sk_dbus_kiosk1_dup_listeners (f->kiosk);
  g_assert_cmpuint (g_variant_n_children (listeners), ==, 0);
  g_assert_cmpstr (sk_dbus_kiosk1_get_player_name (f->kiosk), !=, "");
  g_assert_cmpstr (sk_dbus_kiosk1_get_status_message (f->kiosk), ==, "");
  audio = sk_dbus_kiosk1_dup_audio_status (f->kiosk);
  g_variant_get_child (audio, 0, "&s", &audio_status);
  g_assert_cmpstr (audio_status, ==, "playing");
  sync = sk_dbus_kiosk1_dup_sync_status (f->kiosk);
  g_variant_get (sync, "(&sxu&s)", &sync_status, &last_sync, NULL, NULL);
  g_assert_cmpstr (sync_status, ==, "off");
  g_assert_cmpfloat (sk_dbus_kiosk1_get_volume (f->kiosk), ==, 1.0);
  g_assert_cmpstr (sk_dbus_kiosk1_get_strategy (f->kiosk), ==, "average");
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));
  g_assert_cmpint (sk_dbus_kiosk1_get_admin_until (f->kiosk), ==, 0);
  g_assert_false (sk_dbus_kiosk1_get_pin_set (f->kiosk));

  /* introspection: every documented member is served, with its type */
  xml_reply = g_dbus_connection_call_sync (f->conn, NAME, PATH,
                                           "org.freedesktop.DBus.Introspectable", "Introspect",
                                           NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                           10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (xml_reply, "(&s)", &served_xml);
  served = g_dbus_node_info_new_for_xml (served_xml, &error);
  g_assert_no_error (error);
  xml_path = g_test_build_filename (G_TEST_DIST, "..", "data", "org.soundscape.Kiosk1.xml", NULL);
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, &error));
  documented = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  want = g_dbus_node_info_lookup_interface (documented, IFACE);
  got = g_dbus_node_info_lookup_interface (served, IFACE);
  g_assert_nonnull (got);
  for (guint i = 0; want->methods[i] != NULL; i++)
    g_assert_nonnull (g_dbus_interface_info_lookup_method (got, want->methods[i]->name));
  for (guint i = 0; want->signals[i] != NULL; i++)
    g_assert_nonnull (g_dbus_interface_info_lookup_signal (got, want->signals[i]->name));
  for (guint i = 0; want->properties[i] != NULL; i++)
    {
      GDBusPropertyInfo *p = g_dbus_interface_info_lookup_property (got, want->properties[i]->name);

      g_assert_nonnull (p);
      g_assert_cmpstr (p->signature, ==, want->properties[i]->signature);
      g_assert_cmpint (p->flags, ==, G_DBUS_PROPERTY_INFO_FLAGS_READABLE);
    }
}

/* A second soundscaped on the same bus (another database) finds the name
 * owned and exits at once with one sentence; the first serves on. */
static void
test_second_daemon_refuses (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *other = g_build_filename (f->dir, "other.db", NULL);
  g_autofree char *pcm = sk_paced_pcm_name (20.0, NULL, NULL);
  g_autofree char *out = NULL;
  g_autoptr (GSubprocess) second = NULL;
  g_autoptr (GError) error = NULL;

  start_daemon (f);
  second = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"), "--session",
                                        "--db", other, "--pcm", pcm, "--no-nfc", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (second, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("second: %s", out);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 1);
  g_assert_cmpstr (out, ==,
                   "soundscaped: The name org.soundscape.Kiosk1 is already owned on the "
                   "session bus: another soundscaped is running\n");
  g_assert_true (name_owned (f, NULL));
  wait_playing (f);
}

/* Under systemd, READY=1 comes only once the name is owned. */
static void
test_ready_after_name (Fixture *f, gconstpointer data)
{
#ifdef HAVE_LIBSYSTEMD
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "notify", NULL);
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *pcm = sk_paced_pcm_name (20.0, NULL, NULL);
  gboolean ready = FALSE;
  gint64 deadline;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (sock, addr, TRUE, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (sock, 1);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", path, TRUE);
  f->daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"),
                                           "--session", "--db", f->db, "--pcm", pcm, "--no-nfc",
                                           "--demo", g_getenv ("SK_DEMO_LIBRARY"), NULL);
  g_assert_no_error (error);
  deadline = sk_test_deadline_ms (30000);
  while (!ready && g_get_monotonic_time () < deadline)
    {
      char buf[512];
      gssize n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL);

      if (n <= 0)
        continue;
      buf[n] = '\0';
      ready = strstr (buf, "READY=1") != NULL;
    }
  g_assert_true (ready);
  /* the notification was sent after the name was owned: it is owned now */
  g_assert_true (name_owned (f, NULL));
#else
  g_test_skip ("built without libsystemd: soundscaped does not speak the notify protocol");
#endif
}

/* A new badge joins with its ticket, a known one checks in and re-taps,
 * votes are recorded with the queue's new head, and check-out ends the
 * ticket; each step is announced. */
static void
test_tap_join_vote_checkout (Fixture *f, gconstpointer data)
{
  g_auto (Tap) unknown = { 0 };
  g_auto (Tap) rain = { 0 };
  g_auto (Tap) again = { 0 };
  g_autofree char *ada = NULL, *ada_name = NULL, *song = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) listeners = NULL;
  gint64 until = 0;
  guint mark;
  Signal *s;
  int profiles;

  start_daemon (f);
  wait_playing (f);
  profiles = sk_test_file_query_int (f->db, "SELECT count(*) FROM profiles");

  mark = f->signals->len;
  tap (f, NEW_BADGE, &unknown);
  g_assert_cmpstr (unknown.result, ==, "unknown");
  g_assert_cmpuint (strlen (unknown.ticket), ==, 32);
  g_assert_cmpstr (unknown.listener_id, ==, "");
  g_assert_cmpint (unknown.until, ==, 0);
  s = wait_signal (f, mark, "TapResult", "'unknown'", 10);
  {
    const char *result, *ticket, *source;

    g_variant_get (s->params, "(&s&s&s&sx&s&s)", &result, &ticket, NULL, NULL, NULL, NULL, &source);
    /* in the demo, whoever taps is at the screen: the ticket is the
     * screen's too (test_bus_tap_ticket_is_callers: not on a kiosk) */
    g_assert_cmpstr (ticket, ==, unknown.ticket);
    g_assert_cmpstr (source, ==, "bus");
  }

  sk_dbus_kiosk1_call_join_sync (f->kiosk, unknown.ticket, "Ada Lovelace", G_DBUS_CALL_FLAGS_NONE,
                                 10000, &ada, &ada_name, &until, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ada_name, ==, "Ada Lovelace");
  g_assert_cmpint (until, >, g_get_real_time ());
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM profiles"), ==,
                   profiles + 1);
  if (!spin_until (has_listener, f, "'AL'", 10))
    g_error ("Ada is not among the listeners present");
  /* the joined ticket now acts for Ada: joining again is refused */
  assert_refused (f, "Join", g_variant_new ("(ss)", unknown.ticket, "Ada Again"), ERR "NotAllowed");

  tap (f, RAIN_LOVER, &rain);
  g_assert_cmpstr (rain.result, ==, "checked-in");
  g_assert_cmpstr (rain.name, ==, "Rain Lover");
  g_assert_cmpuint (strlen (rain.ticket), ==, 32);
  g_assert_cmpint (rain.until, >, g_get_real_time ());
  tap (f, RAIN_LOVER, &again);
  g_assert_cmpstr (again.result, ==, "extended");
  g_assert_cmpstr (again.listener_id, ==, rain.listener_id);
  g_assert_cmpstr (again.ticket, !=, rain.ticket);
  if (!spin_until (has_listener, f, "'RL'", 10))
    g_error ("Rain Lover is not among the listeners present");
  listeners = sk_dbus_kiosk1_dup_listeners (f->kiosk);
  g_assert_cmpuint (g_variant_n_children (listeners), ==, 2);

  mark = f->signals->len;
  sk_dbus_kiosk1_call_vote_sync (f->kiosk, rain.ticket, 5, G_DBUS_CALL_FLAGS_NONE, 10000, &song,
                                 NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (song), ==, 36);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 5"),
                   ==, 1);
  s = wait_signal (f, mark, "VoteRecorded", rain.listener_id, 10);
  {
    const char *id, *name, *voted, *head;
    int value;
    g_autoptr (GVariant) queue = NULL;
    const char *first = NULL;

    g_variant_get (s->params, "(&s&s&si&s)", &id, &name, &voted, &value, &head);
    g_assert_cmpstr (name, ==, "Rain Lover");
    g_assert_cmpstr (voted, ==, song);
    g_assert_cmpint (value, ==, 5);
    g_assert_cmpuint (strlen (head), ==, 36);
    /* the head announced is the queue's as the vote left it */
    queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
    g_variant_get_child (queue, 0, "(&s&s&sd&s)", &first, NULL, NULL, NULL, NULL);
    if (g_strcmp0 (first, head) != 0)
      g_test_message ("the queue moved on since (a track started): %s, %s", first, head);
  }
  /* one vote per play: the second is refused and stores nothing, unless
   * the track changed in between (then it is a vote on the next one) */
  {
    g_autoptr (GVariant) reply = call (f, "Vote", g_variant_new ("(si)", rain.ticket, 4), &error);

    if (reply == NULL)
      {
        g_autofree char *remote = g_dbus_error_get_remote_error (error);

        g_assert_cmpstr (remote, ==, ERR "NotAllowed");
        g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM votes"), ==, 1);
        g_clear_error (&error);
      }
  }

  /* Ada votes with the ticket she joined with */
  sk_dbus_kiosk1_call_vote_sync (f->kiosk, unknown.ticket, 2, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                 NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 2"),
                   ==, 1);

  /* check-out: she leaves the listeners, her ticket ends */
  sk_dbus_kiosk1_call_check_out_sync (f->kiosk, unknown.ticket, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                      &error);
  g_assert_no_error (error);
  if (!spin_until (has_no_listener, f, "'AL'", 10))
    g_error ("Ada is still among the listeners present");
  assert_refused (f, "Vote", g_variant_new ("(si)", unknown.ticket, 3), ERR "NotAllowed");
  assert_refused (f, "CheckOut", g_variant_new ("(s)", unknown.ticket), ERR "NotAllowed");
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 3"),
                   ==, 0);
  g_assert_nonnull (last_signal (f, "TapResult"));
}

/* On a kiosk (no demo), a Tap call's ticket is its caller's alone:
 * TapResult announces the tap without it, so the screen cannot act for
 * a listener who tapped elsewhere. */
static void
test_bus_tap_ticket_is_callers (Fixture *f, gconstpointer data)
{
  g_auto (Tap) fire = { 0 };
  const char *result, *ticket, *source;
  guint mark;
  Signal *s;

  /* the demo's start enrols the badges and imports the library */
  start_daemon (f);
  wait_playing (f);
  restart_daemon_plain (f);
  wait_playing (f);
  mark = f->signals->len;
  tap (f, FIRE_KEEPER, &fire);
  g_assert_cmpstr (fire.result, ==, "checked-in");
  g_assert_cmpuint (strlen (fire.ticket), ==, 32);
  s = wait_signal (f, mark, "TapResult", "'Fire Keeper'", 10);
  g_variant_get (s->params, "(&s&s&s&sx&s&s)", &result, &ticket, NULL, NULL, NULL, NULL, &source);
  g_assert_cmpstr (result, ==, "checked-in");
  g_assert_cmpstr (ticket, ==, "");
  g_assert_cmpstr (source, ==, "bus");
}

/* A badge on the reader takes the path of Tap, and its ticket, announced
 * by TapResult, lets the screen vote for that listener. */
static void
test_reader_tap_has_ticket (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  const char *result, *ticket, *id, *name, *message, *source;
  gint64 until;
  guint mark;
  Signal *s;

  start_daemon (f);
  wait_playing (f);
  if (!spin_until (reader_ready, f, NULL, 10))
    g_error ("the reader is not ready within 10 s");
  mark = f->signals->len;
  answer = sk_pn532_fixture_command (f->reader, &error, "present classic4 %s", FIRE_KEEPER);
  g_assert_no_error (error);
  s = wait_signal (f, mark, "TapResult", "'reader'", 10);
  g_variant_get (s->params, "(&s&s&s&sx&s&s)", &result, &ticket, &id, &name, &until, &message,
                 &source);
  g_assert_cmpstr (result, ==, "checked-in");
  g_assert_cmpstr (name, ==, "Fire Keeper");
  g_assert_cmpstr (message, ==, "Welcome, Fire Keeper");
  g_assert_cmpuint (strlen (ticket), ==, 32);
  g_assert_cmpint (until, >, g_get_real_time ());

  sk_dbus_kiosk1_call_vote_sync (f->kiosk, ticket, 4, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, NULL,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 4"),
                   ==, 1);
  wait_signal (f, mark, "VoteRecorded", "'Fire Keeper'", 10);
}

/* Refusals are results, not errors, and mint no ticket: a revoked badge,
 * and a badge tapped more often than tap_limit_per_minute. */
static void
test_refused_taps (Fixture *f, gconstpointer data)
{
  g_auto (Tap) revoked = { 0 };
  guint mark;

  start_daemon (f);
  sk_test_file_exec (f->db,
                     "UPDATE badges SET revoked_at = '2026-01-02T03:04:05.000Z' WHERE uid = '" BEACHCOMBER
                     "'");
  mark = f->signals->len;
  tap (f, BEACHCOMBER, &revoked);
  g_assert_cmpstr (revoked.result, ==, "revoked");
  g_assert_cmpstr (revoked.ticket, ==, "");
  g_assert_nonnull (strstr (revoked.message, "revoked on 2026-01-02"));
  wait_signal (f, mark, "TapResult", "'revoked'", 10);

  /* the limit is 6 a minute by default: the 7th is throttled */
  for (guint i = 0; i < 7; i++)
    {
      g_auto (Tap) t = { 0 };

      tap (f, FIRE_KEEPER, &t);
      if (i < 6)
        {
          g_assert_cmpstr (t.result, ==, i == 0 ? "checked-in" : "extended");
          g_assert_cmpuint (strlen (t.ticket), ==, 32);
        }
      else
        {
          g_assert_cmpstr (t.result, ==, "throttled");
          g_assert_cmpstr (t.ticket, ==, "");
          g_assert_nonnull (strstr (t.message, "try again in"));
        }
    }
}

/* Each kind of bad call is a named error with a sentence, and nothing is
 * stored. */
static void
test_bad_arguments (Fixture *f, gconstpointer data)
{
  g_auto (Tap) unknown = { 0 };
  g_auto (Tap) known = { 0 };
  g_autofree char *long_name = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *remote = NULL;
  int profiles, votes, badges, sessions;

  start_daemon (f);
  wait_playing (f);
  tap (f, NEW_BADGE, &unknown);
  tap (f, RAIN_LOVER, &known);
  profiles = sk_test_file_query_int (f->db, "SELECT count(*) FROM profiles");
  badges = sk_test_file_query_int (f->db, "SELECT count(*) FROM badges");
  sessions = sk_test_file_query_int (f->db, "SELECT count(*) FROM sessions");
  votes = sk_test_file_query_int (f->db, "SELECT count(*) FROM votes");

  /* UIDs */
  assert_refused (f, "Tap", g_variant_new ("(s)", "zz"), ERR "InvalidArgument");
  assert_refused (f, "Tap", g_variant_new ("(s)", "0411223344"), ERR "InvalidArgument");
  assert_refused (f, "Tap", g_variant_new ("(s)", ""), ERR "InvalidArgument");
  /* tickets: malformed, unknown, of the wrong kind */
  assert_refused (f, "Vote", g_variant_new ("(si)", "not a ticket", 3), ERR "InvalidArgument");
  assert_refused (f, "Vote", g_variant_new ("(si)", "0123456789abcdef0123456789ABCDEF", 3),
                  ERR "InvalidArgument");
  assert_refused (f, "Vote", g_variant_new ("(si)", "0123456789abcdef0123456789abcdef", 3),
                  ERR "NotAllowed");
  assert_refused (f, "CheckOut", g_variant_new ("(s)", "0123456789abcdef0123456789abcdef"),
                  ERR "NotAllowed");
  assert_refused (f, "Vote", g_variant_new ("(si)", unknown.ticket, 3), ERR "NotAllowed");
  assert_refused (f, "CheckOut", g_variant_new ("(s)", unknown.ticket), ERR "NotAllowed");
  assert_refused (f, "Join", g_variant_new ("(ss)", known.ticket, "Someone"), ERR "NotAllowed");
  /* ratings out of range */
  assert_refused (f, "Vote", g_variant_new ("(si)", known.ticket, 0), ERR "InvalidArgument");
  assert_refused (f, "Vote", g_variant_new ("(si)", known.ticket, 6), ERR "InvalidArgument");
  assert_refused (f, "Vote", g_variant_new ("(si)", known.ticket, -2147483647 - 1),
                  ERR "InvalidArgument");
  /* names: too long, control characters, blank */
  long_name = g_strnfill (65, 'a');
  assert_refused (f, "Join", g_variant_new ("(ss)", unknown.ticket, long_name),
                  ERR "InvalidArgument");
  assert_refused (f, "Join", g_variant_new ("(ss)", unknown.ticket, "Bell\a"),
                  ERR "InvalidArgument");
  assert_refused (f, "Join", g_variant_new ("(ss)", unknown.ticket, "   "), ERR "InvalidArgument");
  /* wrong types never reach the daemon's code */
  reply = call (f, "Vote", g_variant_new ("(ss)", known.ticket, "5"), &error);
  g_assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  /* admin operations are refused while locked (test-kiosk-admin.c has
   * the rest) */
  assert_refused (f, "Skip", NULL, ERR "NotAllowed");
  assert_refused (f, "SetSetting", g_variant_new ("(ss)", "volume", "0.5"), ERR "NotAllowed");
  assert_refused (f, "GetSettings", NULL, ERR "NotAllowed");
  assert_refused (f, "Unlock", g_variant_new ("(ss)", "", "1234"), ERR "NotAllowed");
  assert_refused (f, "SetPin", g_variant_new ("(s)", "12a4"), ERR "InvalidArgument");
  reply = call (f, "Lock", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM profiles"), ==, profiles);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM badges"), ==, badges);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM sessions"), ==, sessions);
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM votes"), ==, votes);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM settings WHERE key = 'volume'"),
                   ==, 0);
  /* and the tickets still work */
  sk_dbus_kiosk1_call_vote_sync (f->kiosk, known.ticket, 3, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                 NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  const char *ticket;
  char *error;
} ExpiryWait;

static gboolean
ticket_expired (Fixture *f, gconstpointer data)
{
  ExpiryWait *w = (ExpiryWait *) data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (f, "CheckOut", g_variant_new ("(s)", w->ticket), &error);

  /* CheckOut would succeed while the ticket is valid; it must not */
  g_assert_null (reply);
  if (strstr (error->message, "expired") == NULL)
    return FALSE;
  w->error = g_dbus_error_get_remote_error (error);
  return TRUE;
}

/* A ticket lasts ticket_seconds; then it is refused with a sentence. */
static void
test_ticket_expires (Fixture *f, gconstpointer data)
{
  g_auto (Tap) t = { 0 };
  ExpiryWait w = { NULL, NULL };

  start_daemon (f);
  sk_test_file_exec (f->db,
                     "INSERT OR REPLACE INTO settings (key, value) VALUES ('ticket_seconds', '1')");
  tap (f, NEW_BADGE, &t); /* an unknown badge's ticket cannot check out */
  g_assert_cmpuint (strlen (t.ticket), ==, 32);
  w.ticket = t.ticket;
  if (!spin_until (ticket_expired, f, &w, 15))
    g_error ("the ticket did not expire within 15 s");
  g_assert_cmpstr (w.error, ==, ERR "NotAllowed");
  g_free (w.error);
}

/* A tap that checks someone in and reorders the queue is one
 * PropertiesChanged with both. */
static void
test_properties_changed_coalesced (Fixture *f, gconstpointer data)
{
  g_auto (Tap) t = { 0 };
  guint mark;
  Signal *s;
  g_autoptr (GVariant) changed = NULL;

  start_daemon (f);
  wait_playing (f);
  mark = f->signals->len;
  tap (f, RAIN_LOVER, &t);
  s = wait_signal (f, mark, "PropertiesChanged", "'Listeners'", 10);
  changed = g_variant_get_child_value (s->params, 1);
  g_assert_true (g_variant_lookup_value (changed, "Listeners", NULL) != NULL);
  {
    g_autoptr (GVariant) queue = g_variant_lookup_value (changed, "Queue", NULL);

    g_assert_nonnull (queue);
  }
  /* and only one announced the new listener */
  for (guint i = mark; i < f->signals->len; i++)
    {
      Signal *other = g_ptr_array_index (f->signals, i);
      g_autofree char *text = g_variant_print (other->params, FALSE);

      if (other != s && g_strcmp0 (other->member, "PropertiesChanged") == 0)
        g_assert_null (strstr (text, "Rain Lover"));
    }
}

/* The why of the queue entry in @queue (a(sssds)) for @song, or NULL. */
static const char *
queued_why (GVariant *queue, const char *song)
{
  for (guint i = 0; queue != NULL && i < g_variant_n_children (queue); i++)
    {
      const char *id, *why;

      g_variant_get_child (queue, i, "(&s&s&sd&s)", &id, NULL, NULL, NULL, &why);
      if (strcmp (id, song) == 0)
        return why;
    }
  return NULL;
}

/* NowPlayingWhy: set when a track starts, announced with NowPlaying, kept
 * while it plays (and still true once someone checks in: it does not say
 * that nobody is here), and the next track's is the sentence the queue
 * gave it (or, were it not in the queue, the one saying it fills in). */
static void
test_now_playing_why (Fixture *f, gconstpointer data)
{
  g_auto (Tap) t = { 0 };
  g_autoptr (GVariant) first = NULL;
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GVariant) queue = NULL;
  const char *song_first, *song_before, *song_after, *why_after, *expected;
  guint mark;
  Signal *s = NULL;

  start_daemon (f);
  wait_playing (f);
  g_assert_cmpstr (sk_dbus_kiosk1_get_now_playing_why (f->kiosk), ==, SK_TEST_WHY_NOBODY);
  first = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  g_variant_get_child (first, 0, "&s", &song_first);

  /* someone here: the queue's sentences are theirs from now on */
  tap (f, RAIN_LOVER, &t);
  if (!spin_until (has_listener, f, "'RL'", 10))
    g_error ("Rain Lover is not among the listeners present");
  queue = sk_dbus_kiosk1_dup_queue (f->kiosk);
  g_assert_cmpuint (g_variant_n_children (queue), >, 0);
  before = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  g_variant_get_child (before, 0, "&s", &song_before);
  /* the same track (30 s long) keeps its sentence, which stays true with
   * a listener here: it was chosen with nobody in, it does not say that
   * nobody is in now */
  g_assert_cmpstr (song_before, ==, song_first);
  g_assert_cmpstr (sk_dbus_kiosk1_get_now_playing_why (f->kiosk), ==, SK_TEST_WHY_NOBODY);
  g_assert_null (strstr (sk_dbus_kiosk1_get_now_playing_why (f->kiosk), "Nobody is"));

  mark = f->signals->len;
  unlock_admin (f, "2468");
  call_ok (f, "Skip", NULL);
  /* the first start since: a PropertiesChanged with another song */
  for (guint from = mark; s == NULL;)
    {
      Signal *c = wait_signal (f, from, "PropertiesChanged", "'NowPlaying'", 20);
      g_autoptr (GVariant) changed = g_variant_get_child_value (c->params, 1);
      g_autoptr (GVariant) now = g_variant_lookup_value (changed, "NowPlaying", NULL);

      g_variant_get_child (now, 0, "&s", &song_after);
      if (*song_after != '\0' && strcmp (song_after, song_before) != 0)
        s = c;
      from = 0;
      for (guint i = mark; i < f->signals->len; i++)
        if (g_ptr_array_index (f->signals, i) == c)
          from = i + 1;
    }
  {
    g_autoptr (GVariant) changed = g_variant_get_child_value (s->params, 1);
    g_autoptr (GVariant) why = g_variant_lookup_value (changed, "NowPlayingWhy",
                                                       G_VARIANT_TYPE_STRING);
    g_autoptr (GVariant) now = g_variant_lookup_value (changed, "NowPlaying", NULL);

    /* it changed (the house taste's sentence is no more), in the same
     * signal */
    g_assert_nonnull (why);
    g_variant_get_child (now, 0, "&s", &song_after);
    why_after = g_variant_get_string (why, NULL);
    g_test_message ("%s plays: %s", song_after, why_after);
    /* the queue as last announced before that start */
    for (guint i = mark; i < f->signals->len && g_ptr_array_index (f->signals, i) != s; i++)
      {
        Signal *o = g_ptr_array_index (f->signals, i);
        g_autoptr (GVariant) c = NULL;
        g_autoptr (GVariant) q = NULL;

        if (strcmp (o->member, "PropertiesChanged") != 0)
          continue;
        c = g_variant_get_child_value (o->params, 1);
        q = g_variant_lookup_value (c, "Queue", NULL);
        if (q != NULL)
          {
            g_variant_unref (queue);
            queue = g_steal_pointer (&q);
          }
      }
    expected = queued_why (queue, song_after);
    if (expected == NULL)
      expected = "Nothing in the queue could play just now, so this one fills in";
    g_assert_cmpstr (why_after, ==, expected);
    g_assert_cmpstr (why_after, !=, SK_TEST_WHY_NOBODY);
  }
}

static gboolean
audio_silent (Fixture *f, gconstpointer data)
{
  return audio_is (f, "silent");
}

/* An output that cannot be opened (a machine with no sound card) plays
 * silently on the clock: AudioStatus says so, 'silent' with the sentence
 * of it, never 'error', and no Error signal comes, however often the
 * player tries the sound card again; soundscape-ctl status says it in
 * words. */
static void
test_audio_no_sound_card (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) audio = NULL;
  g_autofree char *out = NULL;
  const char *status, *message;

  start_daemon_with (f, "sk_no_such_pcm", NULL);
  if (!spin_until (audio_silent, f, NULL, 20))
    {
      audio = property_now (f, "AudioStatus");
      g_error ("AudioStatus is not 'silent' with no sound card: %s",
               g_variant_print (audio, FALSE));
    }
  audio = property_now (f, "AudioStatus");
  g_variant_get (audio, "(&s&s)", &status, &message);
  g_assert_nonnull (strstr (message, "No sound card: playing silently"));
  g_assert_nonnull (strstr (message, "sk_no_such_pcm"));
  /* the track plays on (silently), and the player retries the sound card
   * every 5 s: stay past one retry and a track start */
  wait_playing (f);
  {
    gboolean done = FALSE;

    g_timeout_add (6000, on_timeout, &done);
    while (!done)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_true (audio_is (f, "silent"));
  g_assert_null (last_signal (f, "Error"));

  g_assert_cmpint (run_ctl (f, &out, "status", "--session", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "\nAudio:     No sound card: playing silently ("));
  g_assert_null (strstr (out, "error"));
}

static gboolean
volume_is_half (Fixture *f, gconstpointer data)
{
  return sk_dbus_kiosk1_get_volume (f->kiosk) == 0.5 &&
         g_strcmp0 (sk_dbus_kiosk1_get_strategy (f->kiosk), "least_misery") == 0;
}

/* What soundscape-ctl changes on the database file (before config goes
 * over D-Bus) reaches the properties: Volume and Strategy. */
static void
test_settings_from_ctl (Fixture *f, gconstpointer data)
{
  const char *volume[] = { "config", "--db", f->db, "volume", "0.5", NULL };
  const char *strategy[] = { "config", "--db", f->db, "strategy", "least_misery", NULL };
  g_autofree char *out = NULL, *err = NULL;

  start_daemon (f);
  g_assert_cmpfloat (sk_dbus_kiosk1_get_volume (f->kiosk), ==, 1.0);
  g_assert_cmpint (sk_test_run_ctl (volume, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl (strategy, &out, &err), ==, 0);
  if (!spin_until (volume_is_half, f, NULL, 15))
    g_error ("Volume %g, Strategy %s 15 s after soundscape-ctl config",
             sk_dbus_kiosk1_get_volume (f->kiosk), sk_dbus_kiosk1_get_strategy (f->kiosk));
}

typedef struct
{
  GDataInputStream *in;
  GString *seen;
  gboolean closed;
} Reader;

static void
on_watch_line (GObject *source, GAsyncResult *result, gpointer data)
{
  Reader *r = data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);

  if (line == NULL)
    {
      r->closed = TRUE;
      return;
    }
  g_string_append_printf (r->seen, "%s\n", line);
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, NULL, on_watch_line, r);
}

static gboolean
watch_said (Fixture *f, gconstpointer data)
{
  const Reader *r = ((const void **) data)[0];
  const char *needle = ((const void **) data)[1];

  return strstr (r->seen->str, needle) != NULL;
}

static void
assert_watch_says (Fixture *f, Reader *r, const char *needle)
{
  const void *data[] = { r, needle };

  if (!spin_until (watch_said, f, data, 15))
    g_error ("soundscape-ctl watch did not say “%s” within 15 s; it said:\n%s", needle,
             r->seen->str);
}

/* soundscape-ctl watch --session started, its lines read into @r. */
static GSubprocess *
start_watch (Fixture *f, Reader *r)
{
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GError) error = NULL;
  GSubprocess *watch;

  watch = g_subprocess_launcher_spawn (launcher, &error, ctl, "watch", "--session", NULL);
  g_assert_no_error (error);
  r->seen = g_string_new (NULL);
  r->in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watch));
  g_data_input_stream_read_line_async (r->in, G_PRIORITY_DEFAULT, NULL, on_watch_line, r);
  assert_watch_says (f, r, "watching soundscaped on the session bus");
  return watch;
}

/* Ctrl-C ends watch, cleanly. */
static void
stop_watch (GSubprocess *watch, Reader *r)
{
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (watch, SIGINT);
  g_assert_true (g_subprocess_wait (watch, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (watch));
  g_assert_cmpint (g_subprocess_get_exit_status (watch), ==, 0);
  while (!r->closed)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&r->in);
  g_string_free (r->seen, TRUE);
}

/* Before any track plays (here: a library with none), watch and status
 * say so in words, never a title's placeholder. */
static void
test_ctl_nothing_yet (Fixture *f, gconstpointer data)
{
  g_autofree char *empty = g_build_filename (f->dir, "empty-library", NULL);
  g_autofree char *out = NULL;
  g_autoptr (GSubprocess) watch = NULL;
  Reader r = { NULL, NULL, FALSE };

  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  start_daemon_with (f, NULL, empty);
  watch = start_watch (f, &r);
  assert_watch_says (f, &r, "playing  nothing yet\n");
  g_assert_null (strstr (r.seen->str, "—"));
  g_assert_cmpint (run_ctl (f, &out, "status", "--session", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\nPlaying:   nothing\n"));
  g_assert_null (strstr (out, "— —"));
  stop_watch (watch, &r);
}

/* soundscape-ctl as a client: watch prints what tap and vote (over D-Bus,
 * since soundscaped owns its name) do, live, until Ctrl-C; status reads
 * the properties. */
static void
test_ctl_over_bus (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autoptr (GSubprocess) watch = NULL;
  Reader r = { NULL, NULL, FALSE };

  /* no soundscaped yet: watch says so at once */
  g_assert_cmpint (run_ctl (f, &out, "watch", "--session", NULL), ==, 1);
  g_assert_cmpstr (out, ==,
                   "soundscape-ctl: watch: soundscaped is not running on the session bus\n");
  g_clear_pointer (&out, g_free);

  start_daemon (f);
  wait_playing (f);
  watch = start_watch (f, &r);

  g_assert_cmpint (run_ctl (f, &out, "tap", "--session", RAIN_LOVER, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Rain Lover checked in until "));
  /* the queue printed is the one after the tap, not the empty room's */
  g_assert_null (strstr (out, SK_TEST_WHY_NOBODY));
  g_clear_pointer (&out, g_free);
  assert_watch_says (f, &r, "tap      checked-in (bus): Welcome, Rain Lover");
  assert_watch_says (f, &r, "present  1: Rain Lover");

  g_assert_cmpint (run_ctl (f, &out, "vote", "--session", RAIN_LOVER, "5", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Rated 5\n"));
  g_clear_pointer (&out, g_free);
  assert_watch_says (f, &r, "vote     Rain Lover rated ");
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM votes WHERE vote_value = 5"),
                   ==, 1);

  /* join and checkout tap first, as vote does; queue reads the property */
  g_assert_cmpint (run_ctl (f, &out, "join", "--session", NEW_BADGE, "--name", "Ada Lovelace",
                            NULL),
                   ==, 0);
  g_assert_true (g_str_has_prefix (out, "Guest "));
  g_assert_true (g_str_has_suffix (out, " joined and checked in as Ada Lovelace\n"));
  g_clear_pointer (&out, g_free);
  assert_watch_says (f, &r, "present  2: ");
  g_assert_cmpint (run_ctl (f, &out, "checkout", "--session", NEW_BADGE, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "Checked out\n  1. "));
  g_clear_pointer (&out, g_free);
  assert_watch_says (f, &r, "present  1: Rain Lover");
  g_assert_cmpint (run_ctl (f, &out, "queue", "--session", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "  1. "));
  g_clear_pointer (&out, g_free);

  /* a refusal over the bus is the daemon's sentence, exit 1 */
  g_assert_cmpint (run_ctl (f, &out, "tap", "--session", "zz", NULL), ==, 1);
  g_assert_cmpstr (out, ==,
                   "soundscape-ctl: tap: The badge UID “zz” has a character that is not hex\n");
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run_ctl (f, &out, "status", "--session", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Service:   soundscaped on the session bus\n"));
  g_assert_nonnull (strstr (out, "Present:   1 listener\n"));
  g_assert_nonnull (strstr (out, "Rain Lover until "));
  g_assert_nonnull (strstr (out, "\nWhy:       "));
  g_clear_pointer (&out, g_free);

  stop_watch (watch, &r);
}

/* A line typed on the demo's keyboard (soundscaped's stdin). */
static void
type_key (Fixture *f, const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (f->daemon), text, strlen (text), NULL,
                             NULL, &error);
  g_assert_no_error (error);
}

/* The demo's keys tap, vote and check out as a badge on the reader would:
 * every observer of the bus sees each of them (TapResult, from the
 * 'keyboard', with a ticket for the screen; VoteRecorded; Listeners), as
 * it sees soundscape-ctl's taps. */
static void
test_keyboard_reaches_bus (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocess) watch = NULL;
  Reader r = { NULL, NULL, FALSE };
  const char *result, *ticket, *name, *source;
  Signal *s;

  start_daemon (f);
  wait_playing (f);
  watch = start_watch (f, &r);

  type_key (f, "1");
  s = wait_signal (f, 0, "TapResult", "'keyboard'", 15);
  g_variant_get (s->params, "(&s&s&s&sx&s&s)", &result, &ticket, NULL, &name, NULL, NULL, &source);
  g_assert_cmpstr (result, ==, "checked-in");
  g_assert_cmpstr (name, ==, "Rain Lover");
  g_assert_cmpstr (ticket, !=, "");
  assert_watch_says (f, &r, "tap      checked-in (keyboard): Welcome, Rain Lover\n");
  assert_watch_says (f, &r, "present  1: Rain Lover\n");

  type_key (f, "v 1 5");
  wait_signal (f, 0, "VoteRecorded", "'Rain Lover'", 15);
  assert_watch_says (f, &r, "vote     Rain Lover rated ");

  type_key (f, "o 1");
  assert_watch_says (f, &r, "present  0 (nobody)\n");
  if (!spin_until (has_no_listener, f, "Rain Lover", 15))
    g_error ("Rain Lover is still in Listeners after “o 1”");

  /* an unknown badge's tap too */
  type_key (f, "t " NEW_BADGE);
  wait_signal (f, 0, "TapResult", "'unknown'", 15);
  assert_watch_says (f, &r, "tap      unknown (keyboard): ");
  stop_watch (watch, &r);
}

/* The system bus's policy (data/) parses in a real dbus-daemon and keeps
 * the name for the engine's own user: this test's user, root or not, may
 * not own it, and soundscaped says so in a sentence. */
static void
test_system_policy (Fixture *f, gconstpointer data)
{
  g_autofree char *policy = g_test_build_filename (G_TEST_DIST, "..", "data",
                                                   "org.soundscape.Kiosk1.conf", NULL);
  g_autofree char *socket = g_build_filename (f->dir, "system-bus", NULL);
  g_autofree char *config_path = g_build_filename (f->dir, "system-bus.conf", NULL);
  g_autofree char *address = g_strconcat ("unix:path=", socket, NULL);
  g_autofree char *config = NULL;
  g_autofree char *config_arg = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GSubprocessLauncher) bus_launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) bus = NULL;
  g_autoptr (GSubprocess) daemon = NULL;
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  /* a bus of the system bus's kind, with its default policy (Debian's
   * system.conf: own nothing, call nothing, replies and signals flow),
   * then the kiosk's */
  config = g_strdup_printf (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig><type>system</type><listen>%s</listen>"
      "<auth>EXTERNAL</auth>"
      "<policy context=\"default\"><allow user=\"*\"/>"
      "<deny own=\"*\"/><deny send_type=\"method_call\"/>"
      "<allow send_type=\"signal\"/>"
      "<allow send_requested_reply=\"true\" send_type=\"method_return\"/>"
      "<allow send_requested_reply=\"true\" send_type=\"error\"/>"
      "<allow receive_type=\"method_call\"/><allow receive_type=\"method_return\"/>"
      "<allow receive_type=\"error\"/><allow receive_type=\"signal\"/>"
      "<allow send_destination=\"org.freedesktop.DBus\" "
      "send_interface=\"org.freedesktop.DBus\"/></policy>"
      "<include>%s</include></busconfig>\n",
      address, policy);
  g_assert_true (g_file_set_contents (config_path, config, -1, &error));
  g_assert_no_error (error);
  config_arg = g_strconcat ("--config-file=", config_path, NULL);
  bus = g_subprocess_launcher_spawn (bus_launcher, &error, "dbus-daemon", config_arg, "--nofork",
                                     NULL);
  g_assert_no_error (error);
  deadline = sk_test_deadline_ms (10000);
  while (!g_file_test (socket, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));

  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS", address, TRUE);
  daemon = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"), "--db",
                                        f->db, "--no-nfc", "--pcm", "null", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (daemon, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%s", out);
  g_assert_cmpint (g_subprocess_get_exit_status (daemon), ==, 1);
  g_assert_true (g_str_has_prefix (out, "soundscaped: The system bus does not let soundscaped own "
                                        "the name org.soundscape.Kiosk1: "));
  g_assert_cmpint (strchr (out, '\n') - out, ==, (int) strlen (out) - 1);
  g_subprocess_force_exit (bus);
  g_subprocess_wait (bus, NULL, NULL);
}

static gboolean
player_idle (Fixture *f, gconstpointer data)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_player_status (f->kiosk), "idle") == 0;
}

/* Songs whose files went away are skipped, each with Skipped and the
 * reason; with nothing left the player is idle and says why. */
static void
test_skipped_unplayable (Fixture *f, gconstpointer data)
{
  g_autofree char *library = g_build_filename (f->dir, "library", NULL);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) audio = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  const char *song, *reason, *message;
  Signal *s;

  /* a copy of the demo library, so that its files can be taken away */
  g_assert_cmpint (g_mkdir (library, 0700), ==, 0);
  dir = g_dir_open (g_getenv ("SK_DEMO_LIBRARY"), 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (g_getenv ("SK_DEMO_LIBRARY"), name, NULL);
      g_autofree char *to = g_build_filename (library, name, NULL);
      g_autoptr (GFile) src = g_file_new_for_path (from);
      g_autoptr (GFile) dst = g_file_new_for_path (to);

      g_assert_true (g_file_copy (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      if (!g_str_has_suffix (name, ".json"))
        g_ptr_array_add (audio, g_steal_pointer (&to));
    }
  start_daemon_with (f, NULL, library);
  wait_playing (f);
  for (guint i = 0; i < audio->len; i++)
    g_assert_cmpint (g_unlink (g_ptr_array_index (audio, i)), ==, 0);

  s = wait_signal (f, 0, "Skipped", "'unplayable'", 30);
  g_variant_get (s->params, "(&s&s&s)", &song, &reason, &message);
  g_assert_cmpuint (strlen (song), ==, 36);
  g_test_message ("skipped: %s", message);
  g_assert_cmpstr (message, !=, "");
  if (!spin_until (player_idle, f, NULL, 60))
    g_error ("the player is not idle within 60 s of its library going away");
  g_assert_cmpstr (sk_dbus_kiosk1_get_status_message (f->kiosk), !=, "");
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM songs WHERE playable = 0"),
                   >=, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dbus/properties", test_properties);
  ADD ("/dbus/second-daemon-refuses", test_second_daemon_refuses);
  ADD ("/dbus/ready-after-name", test_ready_after_name);
  ADD ("/dbus/tap-join-vote-checkout", test_tap_join_vote_checkout);
  ADD ("/dbus/bus-tap-ticket-is-callers", test_bus_tap_ticket_is_callers);
  ADD ("/dbus/reader-tap-has-ticket", test_reader_tap_has_ticket);
  ADD ("/dbus/refused-taps", test_refused_taps);
  ADD ("/dbus/bad-arguments", test_bad_arguments);
  ADD ("/dbus/ticket-expires", test_ticket_expires);
  ADD ("/dbus/properties-changed-coalesced", test_properties_changed_coalesced);
  ADD ("/dbus/now-playing-why", test_now_playing_why);
  ADD ("/dbus/audio-no-sound-card", test_audio_no_sound_card);
  ADD ("/dbus/skipped-unplayable", test_skipped_unplayable);
  ADD ("/dbus/system-policy", test_system_policy);
  ADD ("/dbus/settings-from-ctl", test_settings_from_ctl);
  ADD ("/dbus/ctl-over-bus", test_ctl_over_bus);
  ADD ("/dbus/ctl-nothing-yet", test_ctl_nothing_yet);
  ADD ("/dbus/keyboard-reaches-bus", test_keyboard_reaches_bus);
  return g_test_run ();
}
