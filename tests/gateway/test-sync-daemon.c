/* test-sync-daemon: the acceptance by hand, as a test. The real
 * soundscaped (on a private bus, the demo library) is pointed at the
 * gateway with --sync-url and a credentials directory holding the player
 * token and the anon key; it syncs. The gateway is unplugged while
 * listeners tap and vote; SyncStatus and `soundscape-ctl status` say the
 * changes wait and why; plugged back, `soundscape-ctl sync now` drains the
 * outbox to zero and the server holds every row once. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sk-dbus-fixture.h"
#include "sk-test-gateway.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

#define SECRET "test-only-jwt-secret-with-at-least-32-characters"
#define BAR "10000000-0000-4000-8000-000000000001"
#define BAR_TOKEN "bar-token-0001"

static SkTestPg pg;
static char *pg_why_not;
static SkTestGateway *gw;

static gboolean
sync_is (Fixture *f, gconstpointer state)
{
  g_autoptr (GVariant) v = sk_dbus_kiosk1_dup_sync_status (f->kiosk);
  const char *s = "";
  gint64 last = 0;

  if (v != NULL)
    g_variant_get (v, "(&sxus)", &s, &last, NULL, NULL);
  return strcmp (s, state) == 0 && last > 0;
}

static gboolean
sync_failing (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) v = sk_dbus_kiosk1_dup_sync_status (f->kiosk);
  const char *s = "";

  if (v != NULL)
    g_variant_get (v, "(&sxus)", &s, NULL, NULL, NULL);
  return strcmp (s, "error") == 0;
}

static int
server_count (const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM public.%s", table);
  g_autofree char *n = sk_test_gateway_sql (gw, sql);

  return atoi (n);
}

static void
write_secret (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
}

static void
test_unplugged (Fixture *f, gconstpointer data)
{
  g_autofree char *url = NULL, *anon = NULL, *creds = NULL, *out = NULL;
  g_autoptr (GVariant) status = NULL;
  const char *const users[] = { RAIN_LOVER, FIRE_KEEPER, BEACHCOMBER };
  const char *state = "", *error_text = "";
  guint pending = 0;

  if (gw == NULL)
    {
      g_test_skip (pg_why_not);
      return;
    }
  url = sk_test_gateway_url (gw);
  anon = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  creds = g_build_filename (f->dir, "credentials", NULL);
  g_assert_cmpint (g_mkdir (creds, 0700), ==, 0);
  write_secret (creds, "player-token", BAR_TOKEN "\n");
  write_secret (creds, "anon-key", anon);
  {
    const char *const extra[] = { "--sync-url", url, "--credentials-dir", creds, NULL };

    start_daemon_full (f, NULL, NULL, extra);
  }
  wait_playing (f);
  if (!spin_until (sync_is, f, "ok", 30))
    g_error ("soundscaped did not sync within 30 s");

  /* unplugged: a minute of taps and votes, in short */
  sk_test_gateway_set_offline (gw, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_auto (Tap) t = { 0 };
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) reply = NULL;

      tap (f, users[i], &t);
      reply = call (f, "Vote", g_variant_new ("(si)", t.ticket, 2 + (int) i), &error);
      g_assert_no_error (error);
    }
  /* Paused and still, no new play is recorded while the counts below are
   * compared (the paced output finishes a song every second or so, and
   * one may start in the period written as the volume ramps down). */
  unlock_admin (f, "2468");
  pause_still (f);
  if (!spin_until (sync_failing, f, NULL, 30))
    g_error ("SyncStatus did not say the sync fails within 30 s");
  status = sk_dbus_kiosk1_dup_sync_status (f->kiosk);
  g_variant_get (status, "(&sxu&s)", &state, NULL, &pending, &error_text);
  g_test_message ("unplugged: %s, %u waiting: %s", state, pending, error_text);
  g_assert_cmpuint (pending, >, 0);
  g_assert_nonnull (strstr (error_text, "cannot reach the cloud"));
  g_assert_cmpint (run_ctl (f, &out, "status", "--session", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Sync:      error: cannot reach the cloud"));
  g_clear_pointer (&out, g_free);

  /* plugged back: sync now drains the outbox */
  sk_test_gateway_set_offline (gw, FALSE);
  g_assert_cmpint (run_ctl (f, &out, "sync", "now", "--session", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Synced at "));
  g_clear_pointer (&out, g_free);
  if (!spin_until (sync_is, f, "ok", 30))
    g_error ("the outbox did not drain within 30 s of sync now");
  g_assert_cmpint (run_ctl (f, &out, "sync", "status", "--session", NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Sync:      ok; last success "));
  g_assert_nonnull (strstr (out, "; 0 changes waiting"));
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM outbox"), ==, 0);
  g_assert_cmpint (server_count ("votes"), ==,
                   sk_test_file_query_int (f->db, "SELECT count(*) FROM votes"));
  g_assert_cmpint (server_count ("votes"), ==, (int) G_N_ELEMENTS (users));
  g_assert_cmpint (server_count ("sessions"), ==,
                   sk_test_file_query_int (f->db, "SELECT count(*) FROM sessions"));
  g_assert_cmpint (server_count ("songs_playing"), ==,
                   sk_test_file_query_int (f->db, "SELECT count(*) FROM songs_playing"));
  {
    g_autofree char *n = sk_test_gateway_sql (gw, "SELECT count(DISTINCT id) FROM public.votes");

    g_assert_cmpint (atoi (n), ==, (int) G_N_ELEMENTS (users));
  }
}

/* Without its secrets sync stays off, and says which is missing. */
static void
test_no_secrets (Fixture *f, gconstpointer data)
{
  g_autofree char *creds = g_build_filename (f->dir, "empty", NULL);
  g_autoptr (GVariant) status = NULL;
  g_autofree char *out = NULL;
  const char *state = "", *error_text = "";

  g_assert_cmpint (g_mkdir (creds, 0700), ==, 0);
  {
    const char *const extra[] = { "--sync-url", "https://project.example.org", "--credentials-dir",
                                  creds, NULL };

    start_daemon_full (f, NULL, NULL, extra);
  }
  status = sk_dbus_kiosk1_dup_sync_status (f->kiosk);
  g_variant_get (status, "(&sxu&s)", &state, NULL, NULL, &error_text);
  g_assert_cmpstr (state, ==, "off");
  g_assert_nonnull (strstr (error_text, "missing"));
  g_assert_cmpint (run_ctl (f, &out, "sync", "now", "--session", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "sync is off"));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (sk_test_pg_start (&pg, &pg_why_not))
    {
      g_autofree char *info = sk_test_pg_conninfo (&pg);
      g_autoptr (GError) error = NULL;

      g_free (sk_test_pg_migrate (&pg));
      gw = sk_test_gateway_start (info, SECRET, &error);
      g_assert_no_error (error);
      g_free (sk_test_gateway_sql (gw, "INSERT INTO public.players (id, name, token) VALUES ('" BAR
                                       "', 'The Bar', '" BAR_TOKEN "')"));
    }
  g_test_add ("/sync-daemon/unplugged", Fixture, NULL, fixture_setup, test_unplugged,
              fixture_teardown);
  g_test_add ("/sync-daemon/no-secrets", Fixture, NULL, fixture_setup, test_no_secrets,
              fixture_teardown);
  rc = g_test_run ();
  if (gw != NULL)
    sk_test_gateway_stop (gw);
  sk_test_pg_stop (&pg);
  g_free (pg_why_not);
  return rc;
}
