/* What the admin page's diagnostics say (sk-diagnostics.h): the daemon's
 * log line written and taken apart again, domains with dashes and
 * messages with colons included; lines not in the format refused (the page
 * then shows them whole); a log time in a given zone, with the date only
 * when it is not today; durations for a person; GetDiagnostics' values
 * as labelled facts, a key from a newer daemon or of a type not expected
 * shown as it is, never left out. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "sk-diagnostics.h"

/* 2026-12-06T07:13:03Z */
#define T0 G_GINT64_CONSTANT (1796541183)

static void
test_round_trip (void)
{
  const struct
  {
    const char *domain;
    GLogLevelFlags level;
    const char *message;
  } cases[] = {
    { "soundscaped", G_LOG_LEVEL_MESSAGE, "serving org.soundscape.Kiosk1 on the session bus" },
    { "sk-engine", G_LOG_LEVEL_WARNING, "Requeue after setting volume: busy" },
    { "GLib-GIO", G_LOG_LEVEL_CRITICAL, "g_object_ref: assertion 'G_IS_OBJECT' failed" },
    { "sk-audio", G_LOG_LEVEL_ERROR, "PCM plughw:CARD=PCH,DEV=0: no such device" },
    { "sk-nfc", G_LOG_LEVEL_INFO, "reader ready" },
    { "sk-test", G_LOG_LEVEL_WARNING, "a message that says -INFO: in it, and\na second line" },
    { "x", G_LOG_LEVEL_MESSAGE, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = sk_log_line_format (T0 * G_USEC_PER_SEC + 999999, cases[i].domain,
                                                  cases[i].level, cases[i].message);
      g_auto (SkLogLine) parsed = { 0 };

      g_test_message ("%s", line);
      g_assert_true (g_str_has_prefix (line, "2026-12-06T07:13:03Z "));
      g_assert_true (sk_log_line_parse (line, &parsed));
      g_assert_cmpint (parsed.time, ==, T0);
      g_assert_cmpstr (parsed.domain, ==, cases[i].domain);
      g_assert_cmpint (parsed.level, ==, cases[i].level);
      g_assert_cmpstr (parsed.message, ==, cases[i].message);
    }
}

static void
test_format (void)
{
  g_autofree char *plain = sk_log_line_format (T0 * G_USEC_PER_SEC, NULL, G_LOG_LEVEL_MESSAGE,
                                               "serving");
  g_autofree char *flagged = sk_log_line_format (T0 * G_USEC_PER_SEC, "sk-store",
                                                 G_LOG_LEVEL_WARNING | G_LOG_FLAG_RECURSION, NULL);

  /* the daemon's own domain when none is set; GLib's words for levels */
  g_assert_cmpstr (plain, ==, "2026-12-06T07:13:03Z soundscaped-Message: serving");
  g_assert_cmpstr (flagged, ==, "2026-12-06T07:13:03Z sk-store-WARNING: ");
}

static void
test_not_parsed (void)
{
  const char *lines[] = {
    "",
    "serving org.soundscape.Kiosk1 on the session bus",
    "2026-12-06T07:13:03Z",
    "2026-12-06T07:13:03Z ",
    "2026-12-06 07:13:03Z soundscaped-Message: a space for the T",
    "2026-12-06T07:13:03.123456Z soundscaped-Message: fractions",
    "2026-13-06T07:13:03Z soundscaped-Message: no 13th month",
    "2026-12-06T07:13:03Z soundscaped-Notice: no such level",
    "2026-12-06T07:13:03Z -WARNING: no domain",
    "2026-12-06T07:13:03Z WARNING: no dash",
    "2026-12-06T07:13:03Z a domain-WARNING: with a space",
    "2026-12-06T07:13:03Z soundscaped-Message:no space after the colon",
    "2026-12-06T07:13:03Zsoundscaped-Message: no space after the time",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      SkLogLine parsed = { 0 };

      g_test_message ("%s", lines[i]);
      g_assert_false (sk_log_line_parse (lines[i], &parsed));
      g_assert_null (parsed.domain);
      g_assert_null (parsed.message);
    }
}

static void
test_time (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GTimeZone) plus2 = g_time_zone_new_offset (2 * 3600);
  g_autoptr (GTimeZone) minus8 = g_time_zone_new_offset (-8 * 3600);
  g_autofree char *today = sk_log_time_format (T0, T0 + 3600, utc);
  g_autofree char *local = sk_log_time_format (T0, T0 + 3600, plus2);
  g_autofree char *yesterday = sk_log_time_format (T0 - 8 * 3600, T0, utc);
  g_autofree char *shifted = sk_log_time_format (T0, T0 + 3600, minus8);
  g_autofree char *both_yesterday = sk_log_time_format (T0, T0 + 3600 * 24, plus2);

  g_assert_cmpstr (today, ==, "07:13:03");
  g_assert_cmpstr (local, ==, "09:13:03");
  /* 23:13:03 on the 5th, read on the 6th: the date in front */
  g_assert_true (g_str_has_suffix (yesterday, " 23:13:03"));
  g_assert_cmpuint (strlen (yesterday), >, strlen ("23:13:03"));
  /* the day in that zone: 23:13:03 on the 5th, read at 00:13 on the 6th */
  g_assert_true (g_str_has_suffix (shifted, " 23:13:03"));
  g_assert_cmpuint (strlen (shifted), >, strlen ("23:13:03"));
  g_assert_true (g_str_has_suffix (both_yesterday, " 09:13:03"));
}

static void
test_duration (void)
{
  const struct
  {
    guint64 seconds;
    const char *text;
  } cases[] = {
    { 0, "0 s" },
    { 1, "1 s" },
    { 59, "59 s" },
    { 60, "1 min" },
    { 3599, "59 min" },
    { 3600, "1 h 0 min" },
    { 3 * 3600 + 12 * 60 + 40, "3 h 12 min" },
    { 86399, "23 h 59 min" },
    { 86400, "1 d 0 h" },
    { 2 * 86400 + 5 * 3600 + 59 * 60, "2 d 5 h" },
    { G_MAXUINT64, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = sk_duration_format (cases[i].seconds);

      if (cases[i].text != NULL)
        g_assert_cmpstr (text, ==, cases[i].text);
      else
        g_assert_true (g_str_has_suffix (text, " h"));
    }
}

/* The fact titled @title in @facts; the test fails without. */
static SkDiagnosticsFact *
fact (GPtrArray *facts, const char *title)
{
  for (guint i = 0; i < facts->len; i++)
    {
      SkDiagnosticsFact *f = g_ptr_array_index (facts, i);

      if (strcmp (f->title, title) == 0)
        return f;
    }
  g_error ("no fact titled “%s”", title);
}

static GVariant *
dict_of (const char *text)
{
  g_autoptr (GError) error = NULL;
  GVariant *dict = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

  g_assert_no_error (error);
  return dict; /* not floating */
}

static void
test_facts (void)
{
  /* what soundscaped sends today, and a newer daemon's two keys */
  g_autoptr (GVariant) dict = dict_of (
      "{'soundscaped': <'1.2.0'>, 'glib': <'2.74.6'>, 'sqlite': <'3.40.1'>,"
      " 'alsa-lib': <'1.2.8'>, 'libnfc': <'1.8.0'>, 'uptime_seconds': <uint64 11520>,"
      " 'database_bytes': <uint64 527368>, 'cache_dir': <'/var/cache/soundscape-kiosk'>,"
      " 'cache_bytes': <uint64 1500000000>, 'log_lines': <uint32 8>,"
      " 'gpu': <'none'>, 'temperature_c': <42.5>}");
  g_autoptr (GPtrArray) facts = sk_diagnostics_facts (dict);
  g_autofree char *summary = sk_diagnostics_summary (dict);
  const char *order[] = { "Uptime",         "Database", "Media cache",  "Soundscape Kiosk",
                          "GLib",           "SQLite",   "ALSA",         "libnfc",
                          "Log lines kept", "gpu",      "temperature_c" };

  g_assert_cmpuint (facts->len, ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (((SkDiagnosticsFact *) g_ptr_array_index (facts, i))->title, ==, order[i]);
  g_assert_cmpstr (fact (facts, "Uptime")->value, ==, "3 h 12 min");
  /* g_format_size: a no-break space before the unit */
  g_assert_cmpstr (fact (facts, "Database")->value, ==, "527.4\u00a0kB");
  g_assert_cmpstr (fact (facts, "Media cache")->value, ==, "1.5\u00a0GB");
  g_assert_cmpstr (fact (facts, "Media cache")->detail, ==, "/var/cache/soundscape-kiosk");
  g_assert_cmpstr (fact (facts, "Soundscape Kiosk")->value, ==, "1.2.0");
  g_assert_cmpstr (fact (facts, "ALSA")->value, ==, "1.2.8");
  g_assert_cmpstr (fact (facts, "Log lines kept")->value, ==, "8");
  g_assert_null (fact (facts, "GLib")->detail);
  g_assert_cmpstr (fact (facts, "gpu")->value, ==, "none");
  g_assert_cmpstr (fact (facts, "temperature_c")->value, ==, "42.5");
  g_assert_cmpstr (summary, ==, "Version 1.2.0, running for 3 h 12 min");
}

static void
test_facts_unexpected (void)
{
  /* a known key of another type, a folder with no size: shown as they are */
  g_autoptr (GVariant) dict = dict_of ("{'uptime_seconds': <'soon'>, 'database_bytes': <-1>,"
                                       " 'cache_dir': <'/srv/cache'>}");
  g_autoptr (GVariant) odd_dir = dict_of ("{'cache_bytes': <uint64 0>, 'cache_dir': <7>}");
  g_autoptr (GVariant) empty = dict_of ("{}");
  g_autoptr (GPtrArray) facts = sk_diagnostics_facts (dict);
  g_autoptr (GPtrArray) odd = sk_diagnostics_facts (odd_dir);
  g_autoptr (GPtrArray) none = sk_diagnostics_facts (empty);
  g_autofree char *no_summary = sk_diagnostics_summary (dict);

  g_assert_cmpuint (facts->len, ==, 3);
  g_assert_cmpstr (fact (facts, "Uptime")->value, ==, "soon");
  g_assert_cmpstr (fact (facts, "Database")->value, ==, "-1");
  g_assert_cmpstr (fact (facts, "Media cache folder")->value, ==, "/srv/cache");
  g_assert_cmpuint (odd->len, ==, 2);
  g_assert_cmpstr (fact (odd, "Media cache")->value, ==, "0 bytes");
  g_assert_null (fact (odd, "Media cache")->detail);
  g_assert_cmpstr (fact (odd, "cache_dir")->value, ==, "7");
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_null (no_summary);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/diagnostics/log-line/round-trip", test_round_trip);
  g_test_add_func ("/diagnostics/log-line/format", test_format);
  g_test_add_func ("/diagnostics/log-line/not-parsed", test_not_parsed);
  g_test_add_func ("/diagnostics/time", test_time);
  g_test_add_func ("/diagnostics/duration", test_duration);
  g_test_add_func ("/diagnostics/facts", test_facts);
  g_test_add_func ("/diagnostics/facts/unexpected", test_facts_unexpected);
  return g_test_run ();
}
