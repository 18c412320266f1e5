/* sk-kiosk-diagnostics.c: GetDiagnostics and GetRecentLog, and the ring
 * of recent log lines GetRecentLog reads.
 *
 * sk_kiosk_log_install() puts a GLib log writer in front of the default
 * one: each message is kept, as one line with its time, level and domain
 * (the format of sk-diagnostics.h, which the admin page takes apart), in
 * a ring of the last LOG_LINES lines, and then goes where it always went
 * (the journal under systemd, else standard error). The ring is the
 * same everywhere, so GetRecentLog answers alike under systemd and in a
 * terminal. Messages come from any thread: the ring has a lock.
 */
#include "config.h"

#include <alsa/asoundlib.h>
#include <nfc/nfc.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "sk-diagnostics.h"
#include "sk-kiosk-private.h"

#define LOG_LINES 1000
#define LOG_LINE_MAX_BYTES 1024

static GMutex ring_lock;
static char *ring[LOG_LINES];
static guint ring_next; /* where the next line goes */
static guint ring_len;
static gint64 started; /* monotonic µs at sk_kiosk_log_install */

static GLogWriterOutput
ring_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  const char *domain = NULL, *message = NULL;
  char *line;

  /* debug messages go only where the default writer lets them */
  if (!(level & G_LOG_LEVEL_DEBUG))
    {
      for (gsize i = 0; i < n_fields; i++)
        {
          if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
            domain = fields[i].value;
          else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
            message = fields[i].value;
        }
      line = sk_log_line_format (g_get_real_time (), domain, level, message);
      if (strlen (line) > LOG_LINE_MAX_BYTES)
        {
          /* cut at a character's start, so that the line stays UTF-8 */
          char *end = line + LOG_LINE_MAX_BYTES;

          while (end > line && (*end & 0xC0) == 0x80)
            end--;
          *end = '\0';
        }
      if (!g_utf8_validate (line, -1, NULL))
        {
          char *valid = g_utf8_make_valid (line, -1);

          g_free (line);
          line = valid;
        }
      g_mutex_lock (&ring_lock);
      g_free (ring[ring_next]);
      ring[ring_next] = line;
      ring_next = (ring_next + 1) % LOG_LINES;
      ring_len = MIN (ring_len + 1, LOG_LINES);
      g_mutex_unlock (&ring_lock);
    }
  return g_log_writer_default (level, fields, n_fields, data);
}

void
sk_kiosk_log_install (void)
{
  started = g_get_monotonic_time ();
  g_log_set_writer_func (ring_writer, NULL, NULL);
}

/* The last @n lines of the ring, oldest first. */
static GStrv
recent_lines (guint n)
{
  GStrvBuilder *b = g_strv_builder_new ();
  GStrv lines;

  g_mutex_lock (&ring_lock);
  n = MIN (n, ring_len);
  for (guint i = 0; i < n; i++)
    g_strv_builder_add (b, ring[(ring_next + LOG_LINES - n + i) % LOG_LINES]);
  g_mutex_unlock (&ring_lock);
  lines = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return lines;
}

GVariant *
sk_kiosk_method_get_recent_log (SkKioskService *self, GVariant *args, GError **error)
{
  g_auto (GStrv) log = NULL;
  guint lines;

  g_variant_get (args, "(u)", &lines);
  if (lines < 1 || lines > LOG_LINES)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                   "lines is 1 to %d, not %u", LOG_LINES, lines);
      return NULL;
    }
  log = recent_lines (lines);
  return g_variant_new ("(^as)", log);
}

/* --- GetDiagnostics ----------------------------------------------------- */

static guint64
file_bytes (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

GVariant *
sk_kiosk_method_get_diagnostics (SkKioskService *self, GVariant *args, GError **error)
{
  SkStore *store = sk_engine_get_store (self->engine);
  const char *db = sk_store_get_path (store);
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  g_autofree char *glib = g_strdup_printf ("%u.%u.%u", glib_major_version, glib_minor_version,
                                           glib_micro_version);
  g_autoptr (GError) local = NULL;
  GVariantBuilder b;
  guint64 cache = 0;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "soundscaped", g_variant_new_string (PACKAGE_VERSION));
  g_variant_builder_add (&b, "{sv}", "glib", g_variant_new_string (glib));
  g_variant_builder_add (&b, "{sv}", "sqlite", g_variant_new_string (sqlite3_libversion ()));
  g_variant_builder_add (&b, "{sv}", "alsa-lib", g_variant_new_string (snd_asoundlib_version ()));
  g_variant_builder_add (&b, "{sv}", "libnfc", g_variant_new_string (nfc_version ()));
  g_variant_builder_add (&b, "{sv}", "uptime_seconds",
                         g_variant_new_uint64 (
                             (guint64) ((g_get_monotonic_time () - started) / G_USEC_PER_SEC)));
  g_variant_builder_add (&b, "{sv}", "database_bytes",
                         g_variant_new_uint64 (file_bytes (db) + file_bytes (wal)));
  if (self->playback != NULL)
    {
      SkMediaCache *media = sk_playback_get_cache (self->playback);

      cache = sk_media_cache_get_used_bytes (media, &local);
      if (local != NULL)
        g_warning ("Diagnostics: the media cache's size: %s", local->message);
      g_variant_builder_add (&b, "{sv}", "cache_dir",
                             g_variant_new_string (sk_media_cache_get_dir (media)));
    }
  g_variant_builder_add (&b, "{sv}", "cache_bytes", g_variant_new_uint64 (cache));
  g_variant_builder_add (&b, "{sv}", "log_lines", g_variant_new_uint32 (ring_len));
  return g_variant_new ("(@a{sv})", g_variant_builder_end (&b));
}

void
sk_kiosk_diagnostics_init (SkKioskService *self)
{
  if (started == 0)
    started = g_get_monotonic_time ();
}
