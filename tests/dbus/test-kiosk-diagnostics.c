/* test-kiosk-diagnostics.c: GetDiagnostics and GetRecentLog on the real
 * soundscaped (sk-dbus-fixture.c): refused while locked; the versions, the
 * uptime and the sizes; the daemon's own recent log lines, the newest
 * last; a bad count a named error. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-dbus-fixture.h"
#include "sk-test-util.h"

#define PIN "2468"

static GStrv
recent_log (Fixture *f, guint lines)
{
  g_autoptr (GVariant) reply = call_get (f, "GetRecentLog", g_variant_new ("(u)", lines));
  GStrv log = NULL;

  g_variant_get (reply, "(^as)", &log);
  return log;
}

/* The index of the first line holding @needle; the test fails without. */
static guint
line_of (GStrv log, const char *needle)
{
  for (guint i = 0; log[i] != NULL; i++)
    if (strstr (log[i], needle) != NULL)
      return i;
  g_error ("no log line says “%s”", needle);
}

static void
test_diagnostics (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) d = NULL;
  g_auto (Tap) unknown = { 0 };
  g_auto (GStrv) all = NULL;
  g_auto (GStrv) last = NULL;
  const char *keys[] = { "glib", "sqlite", "alsa-lib", "libnfc" };
  const char *version = NULL;
  guint64 db_bytes = 0, cache = 0, uptime = G_MAXUINT64;
  GStatBuf st;

  start_daemon (f);
  wait_playing (f);
  assert_refused (f, "GetDiagnostics", NULL, ERR "NotAllowed");
  assert_refused (f, "GetRecentLog", g_variant_new ("(u)", 10u), ERR "NotAllowed");
  unlock_admin (f, PIN);

  reply = call_get (f, "GetDiagnostics", NULL);
  g_variant_get (reply, "(@a{sv})", &d);
  g_assert_true (g_variant_lookup (d, "soundscaped", "&s", &version));
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *v = NULL;

      g_assert_true (g_variant_lookup (d, keys[i], "&s", &v));
      g_assert_cmpstr (v, !=, "");
      g_test_message ("%s %s", keys[i], v);
    }
  g_assert_true (g_variant_lookup (d, "uptime_seconds", "t", &uptime));
  g_assert_cmpuint (uptime, <, 24 * 3600);
  g_assert_true (g_variant_lookup (d, "database_bytes", "t", &db_bytes));
  g_assert_cmpint (g_stat (f->db, &st), ==, 0);
  g_assert_cmpuint (db_bytes, >=, (guint64) st.st_size);
  g_assert_true (g_variant_lookup (d, "cache_bytes", "t", &cache));

  /* the daemon's own lines: what it said at start, and a tap just now */
  tap (f, NEW_BADGE, &unknown);
  all = recent_log (f, 1000);
  g_assert_cmpuint (line_of (all, "serving org.soundscape.Kiosk1"), <,
                    line_of (all, "admin page unlocked"));
  g_assert_cmpuint (line_of (all, "admin page unlocked"), <,
                    line_of (all, "unknown badge " NEW_BADGE));
  g_assert_true (g_str_has_suffix (all[0], "") && all[0][4] == '-' && all[0][19] == 'Z');
  last = recent_log (f, 2);
  g_assert_cmpuint (g_strv_length (last), ==, 2);

  assert_refused (f, "GetRecentLog", g_variant_new ("(u)", 0u), ERR "InvalidArgument");
  assert_refused (f, "GetRecentLog", g_variant_new ("(u)", 1001u), ERR "InvalidArgument");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/dbus/diagnostics", Fixture, NULL, fixture_setup, test_diagnostics,
              fixture_teardown);
  return g_test_run ();
}
