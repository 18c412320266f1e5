/* sk-diagnostics.c: see sk-diagnostics.h. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sk-diagnostics.h"

/* GLib's own words for the levels (those of its default writer), most
 * severe first. */
static const struct
{
  GLogLevelFlags level;
  const char *name;
} levels[] = {
  { G_LOG_LEVEL_ERROR, "ERROR" },     { G_LOG_LEVEL_CRITICAL, "CRITICAL" },
  { G_LOG_LEVEL_WARNING, "WARNING" }, { G_LOG_LEVEL_MESSAGE, "Message" },
  { G_LOG_LEVEL_INFO, "INFO" },       { G_LOG_LEVEL_DEBUG, "DEBUG" },
};

#define TIME_LEN 20 /* "2026-12-06T07:13:03Z" */

char *
sk_log_line_format (gint64 usec, const char *domain, GLogLevelFlags level, const char *message)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  g_autofree char *time = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ")
                             : g_strdup ("1970-01-01T00:00:00Z");
  const char *name = levels[G_N_ELEMENTS (levels) - 1].name;

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    if (level & levels[i].level)
      {
        name = levels[i].name;
        break;
      }
  return g_strdup_printf ("%s %s-%s: %s", time, domain ? domain : "soundscaped", name,
                          message ? message : "");
}

/* "2026-12-06T07:13:03Z", exactly. */
static gboolean
parse_time (const char *text, gint64 *out)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
  g_autoptr (GDateTime) dt = NULL;
  char copy[TIME_LEN + 1];

  for (guint i = 0; i < TIME_LEN; i++)
    if (shape[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != shape[i])
      return FALSE;
  memcpy (copy, text, TIME_LEN);
  copy[TIME_LEN] = '\0';
  dt = g_date_time_new_from_iso8601 (copy, NULL);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt);
  return TRUE;
}

gboolean
sk_log_line_parse (const char *line, SkLogLine *out)
{
  const char *head, *colon;
  gint64 time;

  g_return_val_if_fail (line != NULL && out != NULL, FALSE);
  if (strlen (line) < TIME_LEN + 1 || line[TIME_LEN] != ' ' || !parse_time (line, &time))
    return FALSE;
  /* "DOMAIN-LEVEL: ": one word, up to the first ": " */
  head = line + TIME_LEN + 1;
  colon = strstr (head, ": ");
  if (colon == NULL)
    return FALSE;
  for (const char *c = head; c < colon; c++)
    if (g_ascii_isspace (*c))
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      gsize name_len = strlen (levels[i].name);
      gsize head_len = colon - head;

      if (head_len > name_len + 1 && head[head_len - name_len - 1] == '-' &&
          strncmp (colon - name_len, levels[i].name, name_len) == 0)
        {
          out->time = time;
          out->domain = g_strndup (head, head_len - name_len - 1);
          out->level = levels[i].level;
          out->message = g_strdup (colon + 2);
          return TRUE;
        }
    }
  return FALSE;
}

void
sk_log_line_clear (SkLogLine *line)
{
  g_clear_pointer (&line->domain, g_free);
  g_clear_pointer (&line->message, g_free);
}

char *
sk_log_time_format (gint64 time, gint64 now, GTimeZone *tz)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (time);
  g_autoptr (GDateTime) utc_now = g_date_time_new_from_unix_utc (now);
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) today = NULL;

  if (utc == NULL || utc_now == NULL)
    return g_strdup ("?");
  when = g_date_time_to_timezone (utc, tz);
  today = g_date_time_to_timezone (utc_now, tz);
  if (g_date_time_get_year (when) == g_date_time_get_year (today) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (today))
    return g_date_time_format (when, "%H:%M:%S");
  return g_date_time_format (when, "%x %H:%M:%S");
}

char *
sk_duration_format (guint64 seconds)
{
  guint64 minutes = seconds / 60, hours = minutes / 60, days = hours / 24;

  if (seconds < 60)
    /* TRANSLATORS: a duration in seconds, "45 s" */
    return g_strdup_printf (_ ("%u s"), (guint) seconds);
  if (hours == 0)
    /* TRANSLATORS: a duration in minutes, "12 min" */
    return g_strdup_printf (_ ("%u min"), (guint) minutes);
  if (days == 0)
    /* TRANSLATORS: a duration in hours and minutes, "3 h 12 min" */
    return g_strdup_printf (_ ("%u h %u min"), (guint) hours, (guint) (minutes % 60));
  /* TRANSLATORS: a duration in days and hours, "2 d 5 h" */
  return g_strdup_printf (_ ("%u d %u h"), (guint) MIN (days, G_MAXUINT), (guint) (hours % 24));
}

/* --- GetDiagnostics' facts ------------------------------------------------ */

typedef enum
{
  FACT_TEXT,
  FACT_DURATION, /* seconds, t */
  FACT_SIZE,     /* bytes, t */
} FactKind;

/* The keys a person reads, in the order shown; a name (GLib, SQLite) is
 * not translated. */
static const struct
{
  const char *key;
  const char *title;
  gboolean translated;
  FactKind kind;
} facts[] = {
  { "uptime_seconds", N_ ("Uptime"), TRUE, FACT_DURATION },
  { "database_bytes", N_ ("Database"), TRUE, FACT_SIZE },
  { "cache_bytes", N_ ("Media cache"), TRUE, FACT_SIZE },
  { "soundscaped", N_ ("Soundscape Kiosk"), TRUE, FACT_TEXT },
  { "glib", "GLib", FALSE, FACT_TEXT },
  { "sqlite", "SQLite", FALSE, FACT_TEXT },
  { "alsa-lib", "ALSA", FALSE, FACT_TEXT },
  { "libnfc", "libnfc", FALSE, FACT_TEXT },
  { "log_lines", N_ ("Log lines kept"), TRUE, FACT_TEXT },
};

void
sk_diagnostics_fact_free (SkDiagnosticsFact *fact)
{
  g_free (fact->title);
  g_free (fact->value);
  g_free (fact->detail);
  g_free (fact);
}

static void
add_fact (GPtrArray *out, const char *title, char *value, const char *detail)
{
  SkDiagnosticsFact *fact = g_new0 (SkDiagnosticsFact, 1);

  fact->title = g_strdup (title);
  fact->value = value;
  fact->detail = g_strdup (detail);
  g_ptr_array_add (out, fact);
}

/* @value as @kind says, when it has the type expected; else as it is. */
static char *
fact_value (GVariant *value, FactKind kind)
{
  if (kind == FACT_DURATION && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return sk_duration_format (g_variant_get_uint64 (value));
  if (kind == FACT_SIZE && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_format_size (g_variant_get_uint64 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (value, NULL);
  return g_variant_print (value, FALSE);
}

GPtrArray *
sk_diagnostics_facts (GVariant *dict)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) sk_diagnostics_fact_free);
  const char *cache_dir = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_return_val_if_fail (g_variant_is_of_type (dict, G_VARIANT_TYPE_VARDICT), out);
  /* the media cache's folder goes under its size (a string, else it is
   * shown as it is, below) */
  g_variant_lookup (dict, "cache_dir", "&s", &cache_dir);
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      g_autoptr (GVariant) v = g_variant_lookup_value (dict, facts[i].key, NULL);

      if (v != NULL)
        add_fact (out, facts[i].translated ? _ (facts[i].title) : facts[i].title,
                  fact_value (v, facts[i].kind),
                  strcmp (facts[i].key, "cache_bytes") == 0 ? cache_dir : NULL);
    }
  if (cache_dir != NULL && !g_variant_lookup (dict, "cache_bytes", "*", NULL))
    add_fact (out, _ ("Media cache folder"), g_strdup (cache_dir), NULL);

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      gboolean known = cache_dir != NULL && strcmp (key, "cache_dir") == 0;

      for (guint i = 0; i < G_N_ELEMENTS (facts) && !known; i++)
        known = strcmp (key, facts[i].key) == 0;
      if (!known)
        add_fact (out, key, fact_value (value, FACT_TEXT), NULL);
      g_variant_unref (value);
    }
  return out;
}

char *
sk_diagnostics_summary (GVariant *dict)
{
  const char *version = NULL;
  guint64 uptime = 0;
  g_autofree char *duration = NULL;

  if (!g_variant_lookup (dict, "soundscaped", "&s", &version) ||
      !g_variant_lookup (dict, "uptime_seconds", "t", &uptime))
    return NULL;
  duration = sk_duration_format (uptime);
  /* TRANSLATORS: the kiosk's version, and for how long it has run:
   * "Version 1.2.0, running for 3 h 12 min" */
  return g_strdup_printf (_ ("Version %s, running for %s"), version, duration);
}
