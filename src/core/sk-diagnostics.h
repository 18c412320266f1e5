/* sk-diagnostics.h: what the daemon's diagnostics say, as a person reads
 * them: GetDiagnostics' dictionary as labelled values ("Database",
 * "515.4 kB"), a duration ("3 h 12 min"), a time in the log ("07:13:03"),
 * and the one line format of the daemon's recent log, written by
 * soundscaped (sk-kiosk-diagnostics.c) and taken apart by the admin page.
 *
 * A log line is "TIME DOMAIN-LEVEL: MESSAGE": TIME is UTC to the second
 * ("2026-12-06T07:13:03Z"), DOMAIN the GLib log domain (it may hold
 * dashes: "sk-engine"), LEVEL one of ERROR, CRITICAL, WARNING, Message,
 * INFO, DEBUG (GLib's own words), MESSAGE any text, newlines included.
 *
 * The sentences are translated (the domain GETTEXT_PACKAGE) in the locale
 * of the caller. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One log line taken apart. */
typedef struct
{
  gint64 time;          /* seconds since the epoch */
  char *domain;         /* "soundscaped", "sk-engine", … */
  GLogLevelFlags level; /* one level: G_LOG_LEVEL_WARNING, … */
  char *message;
} SkLogLine;

/* The line for one message, as the daemon keeps it; @domain NULL is
 * "soundscaped". */
char *
sk_log_line_format (gint64 usec, const char *domain, GLogLevelFlags level, const char *message);
/* FALSE, and @out untouched, when @line is not in the format above (it is
 * then shown whole, as it is). */
gboolean sk_log_line_parse (const char *line, SkLogLine *out);
void sk_log_line_clear (SkLogLine *line);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SkLogLine, sk_log_line_clear)

/* @time (seconds since the epoch) in @tz as "07:13:03", with the date in
 * front ("12/05/26 23:59:58", the locale's date) when it is not the day of
 * @now in @tz. */
char *sk_log_time_format (gint64 time, gint64 now, GTimeZone *tz);

/* A duration for a person: "45 s", "12 min", "3 h 12 min", "2 d 5 h". */
char *sk_duration_format (guint64 seconds);

/* One of GetDiagnostics' values for a person. */
typedef struct
{
  char *title;  /* "Database"; a key this version does not know, as it is */
  char *value;  /* "515.4 kB" */
  char *detail; /* shown under the title (the media cache's folder), or NULL */
} SkDiagnosticsFact;

void sk_diagnostics_fact_free (SkDiagnosticsFact *fact);

/* GetDiagnostics' dictionary @dict (a{sv}) as SkDiagnosticsFacts, in the
 * order shown: the uptime, the sizes, the versions, then every key this
 * version does not know (a newer daemon's) or of a type it did not expect,
 * "key" and its value as it is. No key is left out. */
GPtrArray *sk_diagnostics_facts (GVariant *dict);
/* "Version 1.2.0, running for 3 h 12 min", or NULL when @dict lacks
 * either. */
char *sk_diagnostics_summary (GVariant *dict);

G_END_DECLS
