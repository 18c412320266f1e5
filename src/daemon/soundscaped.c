/* soundscaped: the engine as a service.
 *
 * Owns the store, the engine, the playback (ALSA) and the badge reader
 * (libnfc), all on one main loop; the reader's taps go to the engine's one
 * tap path. Logs each event as one line. Serves org.soundscape.Kiosk1 on the
 * system bus (--session: the session bus; --no-bus: none), sk-kiosk-service.h;
 * a name already owned means another soundscaped runs, and this one exits at
 * once. Under systemd it is Type=notify: READY=1 once the name is owned and
 * it plays, STATUS= for what plays, WATCHDOG=1 at half the watchdog
 * interval, STOPPING=1 on SIGTERM.
 *
 * With --demo it imports the demo soundscapes into an empty library,
 * enrolls the demo badges and takes badge taps and votes from the keyboard
 * (sk-demo.h), so that the whole product runs on a machine with no reader.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "sk-config.h"
#include "sk-demo.h"
#include "sk-engine.h"
#include "sk-instance-lock.h"
#include "sk-kiosk-service.h"
#include "sk-nfc-reader.h"
#include "sk-playback.h"
#include "sk-settings.h"
#include "sk-util.h"

typedef struct
{
  GMainLoop *loop;
  SkEngine *engine;
  SkPlayback *playback;
  SkNfcReader *reader;
  SkKioskService *service;
  SkScheduler *scheduler;     /* opening hours and volume caps */
  GDataInputStream *keyboard; /* demo mode */
  GCancellable *cancellable;
  int exit_code;
} Daemon;

static void
notify (const char *state)
{
#ifdef HAVE_LIBSYSTEMD
  sd_notify (0, state);
#else
  (void) state;
#endif
}

/* --- events ------------------------------------------------------------- */

static void
on_checked_in (SkEngine *engine, const char *user_id, const char *name, guint flags, Daemon *d)
{
  g_message ("%s %s%s", name,
             (flags & SK_CHECK_IN_EXTENDED) ? "extended their visit"
             : (flags & SK_CHECK_IN_MOVED)  ? "moved here"
                                            : "checked in",
             (flags & SK_CHECK_IN_MANAGER) ? " (manager)" : "");
}

static void
on_checked_out (SkEngine *engine, const char *user_id, const char *reason, Daemon *d)
{
  g_message ("listener %s checked out (%s)", user_id, reason);
}

static void
on_vote_recorded (SkEngine *engine, const char *user_id, const char *song_id, int value, Daemon *d)
{
  g_autofree char *title = sk_engine_dup_song_title (engine, song_id);

  g_message ("listener %s rated %s %d", user_id, title, value);
}

static void
on_unknown_badge (SkEngine *engine, const char *uid, Daemon *d)
{
  g_message ("unknown badge %s: it can join as a guest", uid);
}

static void
on_tap_refused (SkEngine *engine, const char *uid, const char *reason, Daemon *d)
{
  g_message ("badge %s refused: %s", uid, reason);
}

static void
on_track_started (SkEngine *engine, const char *song_id, const char *play_id, Daemon *d)
{
  g_autofree char *title = sk_engine_dup_song_title (engine, song_id);
  g_autofree char *status = g_strdup_printf ("STATUS=Playing %s", title);

  g_message ("playing %s", title);
  notify (status);
  if (d->keyboard != NULL)
    {
      g_autoptr (GString) out = g_string_new (NULL);

      /* the demo shows each step: a new track and the queue after it */
      sk_demo_describe (engine, 5, out);
      fputs (out->str, stdout);
      fflush (stdout);
    }
}

static void
on_status_changed (SkEngine *engine, const char *status, const char *message, Daemon *d)
{
  g_autofree char *line = g_strdup_printf ("STATUS=%s%s%s", status, message != NULL ? ": " : "",
                                           message != NULL ? message : "");

  if (message != NULL)
    g_message ("status %s: %s", status, message);
  notify (line);
}

/* --- keyboard (demo) ---------------------------------------------------- */

static void read_keyboard (Daemon *d);

/* The keys' taps take the bus service's path when there is one: the
 * screen and every watcher see them as a reader's. */
static gboolean
keyboard_tap (gpointer data, const char *uid, SkTapResult *result, GError **error)
{
  Daemon *d = data;

  if (d->service != NULL)
    return sk_kiosk_service_tap (d->service, uid, result, error);
  return sk_engine_tap (d->engine, uid, result, error);
}

static void
on_key_line (GObject *source, GAsyncResult *result, gpointer data)
{
  Daemon *d = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      /* end of input (a script piped in, or Ctrl-D): the demo ends */
      if (error != NULL)
        g_warning ("keyboard: %s", error->message);
      g_main_loop_quit (d->loop);
      return;
    }
  switch (sk_demo_command (d->engine, g_strstrip (line), keyboard_tap, d, out))
    {
    case SK_DEMO_QUIT:
      g_main_loop_quit (d->loop);
      return;
    case SK_DEMO_NEXT:
      sk_audio_player_skip (sk_playback_get_player (d->playback));
      sk_demo_describe (d->engine, 5, out);
      break;
    case SK_DEMO_SHOWN:
    default:
      break;
    }
  fputs (out->str, stdout);
  fflush (stdout);
  read_keyboard (d);
}

static void
read_keyboard (Daemon *d)
{
  g_data_input_stream_read_line_async (d->keyboard, G_PRIORITY_DEFAULT, d->cancellable, on_key_line,
                                       d);
}

/* --- main --------------------------------------------------------------- */

static gboolean
on_quit_signal (gpointer data)
{
  Daemon *d = data;

  notify ("STOPPING=1");
  g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_bus_name_lost (gpointer data)
{
  Daemon *d = data;

  g_warning ("Lost the name %s on the bus; stopping", SK_KIOSK_BUS_NAME);
  d->exit_code = 1;
  g_main_loop_quit (d->loop);
}

/* Until D-Bus carries them, what soundscape-ctl changes (settings,
 * imports, enrolments) is picked up here: once a second, one cheap PRAGMA
 * when nothing changed. */
static gboolean
on_poll_database (gpointer data)
{
  Daemon *d = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *summary = NULL;
  SkEngineChanges changes = sk_engine_pick_up_changes (d->engine, &summary, &error);

  if (changes & SK_ENGINE_CHANGED_SETTINGS)
    {
      sk_playback_reload_settings (d->playback);
      sk_scheduler_reload (d->scheduler); /* time_zone */
    }
  if (changes != SK_ENGINE_CHANGED_NOTHING && d->service != NULL)
    sk_kiosk_service_reload (d->service);
  if (summary != NULL)
    g_message ("picked up from another program: %s", summary);
  if (error != NULL)
    g_warning ("Reading what another program changed: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* The installer's configuration, in the log: which files were read (none:
 * nothing said). */
static void
log_config (const SkConfig *config)
{
  g_autofree char *files = NULL;

  if (config->files->len == 0)
    return; /* no file: the settings decide, as before there was one */
  g_ptr_array_add (config->files, NULL);
  files = g_strjoinv (", ", (char **) config->files->pdata);
  g_ptr_array_remove_index (config->files, config->files->len - 1);
  g_message ("configuration: %s", files);
}

/* The cloud sync (sk-sync.h), when a project URL is configured: its two
 * secrets from files in the credentials directory (systemd's
 * LoadCredential=, or --credentials-dir), never from the database or the
 * command line; their presence is logged, never their text. NULL with
 * *@off_reason (to free; NULL when no URL is set) when sync stays off. */
static SkSync *
start_sync (SkEngine *engine, const char *url, const char *creds_dir, char **off_reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL, *key = NULL;
  SkSync *sync;

  *off_reason = NULL;
  if (url == NULL || *url == '\0')
    return NULL;
  if (creds_dir == NULL)
    creds_dir = g_getenv ("CREDENTIALS_DIRECTORY");
  if (creds_dir == NULL || *creds_dir == '\0')
    {
      *off_reason = g_strdup ("no credentials directory (systemd's LoadCredential= or "
                              "--credentials-dir) holds the player-token and anon-key files");
      g_warning ("sync is off: %s", *off_reason);
      return NULL;
    }
  token = sk_config_read_credential_in (creds_dir, "player-token", &error);
  if (error == NULL)
    key = sk_config_read_credential_in (creds_dir, "anon-key", &error);
  g_message ("credential player-token: %s; anon-key: %s", token != NULL ? "present" : "absent",
             key != NULL ? "present" : "absent");
  sync = error != NULL ? NULL
                       : sk_sync_new (sk_store_get_path (sk_engine_get_store (engine)),
                                      sk_engine_get_player_id (engine), url, key, token, &error);
  if (token != NULL)
    memset (token, 0, strlen (token));
  if (key != NULL)
    memset (key, 0, strlen (key));
  if (sync == NULL)
    {
      *off_reason = g_strdup (error->message);
      g_warning ("sync is off: %s", *off_reason);
      return NULL;
    }
  g_message ("sync: %s", url);
  sk_sync_start (sync);
  return sync;
}

static void
on_sync_changed (SkSync *sync, gpointer data)
{
  static char *said; /* the last failure logged, so that each is said once */
  const char *error = sk_sync_get_last_error (sync);

  if (g_strcmp0 (error, said != NULL ? said : "") == 0)
    return;
  g_free (said);
  said = g_strdup (error);
  if (*error == '\0')
    g_message ("sync works again: %u change%s waiting", sk_sync_get_pending (sync),
               sk_sync_get_pending (sync) == 1 ? "" : "s");
}

#ifdef HAVE_LIBSYSTEMD
static gboolean
on_watchdog (gpointer data)
{
  notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}
#endif

int
main (int argc, char **argv)
{
  g_autofree char *db = NULL;
  g_autofree char *pcm = NULL;
  g_autofree char *nfc = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *sync_url = NULL;
  g_autofree char *creds_dir = NULL;
  g_autofree char *sync_off = NULL;
  g_autoptr (SkSync) sync = NULL;
  gboolean no_nfc = FALSE, version = FALSE, session = FALSE, no_bus = FALSE;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
      N_ ("The installer's settings, then its conf.d/*.conf (default: kiosk.conf in the "
          "configuration directory)"),
      N_ ("FILE") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_ ("The database (default: the state directory's)"),
      N_ ("PATH") },
    { "pcm", 0, 0, G_OPTION_ARG_STRING, &pcm,
      N_ ("ALSA PCM (default: setting audio_pcm, else “default”)"), N_ ("NAME") },
    { "nfc-device", 0, 0, G_OPTION_ARG_STRING, &nfc,
      N_ ("libnfc connection string (default: setting nfc_device, else the first reader found)"),
      N_ ("CONNSTRING") },
    { "sync-url", 0, 0, G_OPTION_ARG_STRING, &sync_url,
      N_ ("The cloud project (Supabase) to sync with (default: [sync] url of kiosk.conf; none: "
          "no sync)"),
      N_ ("URL") },
    { "credentials-dir", 0, 0, G_OPTION_ARG_FILENAME, &creds_dir,
      N_ ("Where the files player-token and anon-key are (default: systemd's "
          "$CREDENTIALS_DIRECTORY)"),
      N_ ("DIR") },
    { "no-nfc", 0, 0, G_OPTION_ARG_NONE, &no_nfc, N_ ("Run without a badge reader"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_FILENAME, &demo,
      N_ ("Demo mode: import DIR into an empty library, enroll demo badges, taps from the keyboard"),
      N_ ("DIR") },
    { "session", 0, 0, G_OPTION_ARG_NONE, &session,
      N_ ("Serve org.soundscape.Kiosk1 on the session bus, not the system bus"), NULL },
    { "no-bus", 0, 0, G_OPTION_ARG_NONE, &no_bus, N_ ("Serve nothing on D-Bus"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (
      N_ ("— the soundscape kiosk's engine"));
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkConfig) config = sk_config_new ();
  g_autoptr (GMainLoop) loop = NULL;
  Daemon d = { 0 };
  guint64 watchdog_usec = 0;
  guint sigint, sigterm, poll, watchdog = 0;
  int lock_fd;

  setlocale (LC_ALL, "");
  sk_i18n_init ();
  sk_kiosk_log_install ();
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "soundscaped: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      printf ("soundscaped %s\n", PACKAGE_VERSION);
      return 0;
    }
  /* kiosk.conf: what the command line leaves unset (sk-config.h). The
   * default one may be missing (the settings decide); one named by --config
   * must be there, or a typo would run the kiosk on defaults unsaid. */
  if (!sk_config_load_named (config, config_path, &error))
    {
      fprintf (stderr, "soundscaped: %s\n", error->message);
      return 1;
    }
  log_config (config);
  if (pcm == NULL)
    pcm = g_strdup (config->pcm);
  if (nfc == NULL)
    nfc = g_strdup (config->nfc_device);
  if (db == NULL)
    db = sk_store_default_path ();
  if (sync_url == NULL)
    sync_url = g_strdup (config->sync_url);

  store = sk_store_open (db, &error);
  if (store == NULL)
    {
      fprintf (stderr, "soundscaped: %s\n", error->message);
      return 1;
    }
  /* Before the engine touches anything: one daemon per database. The
   * descriptor stays open (and the lock held) until the process ends. */
  lock_fd = sk_instance_lock_take (sk_store_get_path (store), &error);
  if (lock_fd < 0)
    {
      fprintf (stderr, "soundscaped: %s\n", error->message);
      return 1;
    }
  d.engine = sk_engine_new (store, &error);
  if (d.engine == NULL)
    {
      fprintf (stderr, "soundscaped: %s\n", error->message);
      return 1;
    }
  if (demo != NULL)
    {
      guint n = 0;

      if (!sk_demo_prepare (d.engine, demo, &n, &error))
        {
          fprintf (stderr, "soundscaped: demo: %s\n", error->message);
          g_object_unref (d.engine);
          return 1;
        }
      if (n > 0)
        g_message ("imported %u demo soundscapes", n);
    }

  loop = g_main_loop_new (NULL, FALSE);
  d.loop = loop;
  if (!no_bus)
    {
      d.service = sk_kiosk_service_new (d.engine);
      sk_kiosk_service_set_demo (d.service, demo != NULL);
      if (!sk_kiosk_service_own (d.service, session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM,
                                 G_CALLBACK (on_bus_name_lost), &d, &error))
        {
          fprintf (stderr, "soundscaped: %s\n", error->message);
          sk_kiosk_service_free (d.service);
          g_object_unref (d.engine);
          return 1;
        }
      g_message ("serving %s on the %s bus", SK_KIOSK_BUS_NAME, session ? "session" : "system");
    }
  d.cancellable = g_cancellable_new ();
  g_signal_connect (d.engine, "checked-in", G_CALLBACK (on_checked_in), &d);
  g_signal_connect (d.engine, "checked-out", G_CALLBACK (on_checked_out), &d);
  g_signal_connect (d.engine, "vote-recorded", G_CALLBACK (on_vote_recorded), &d);
  g_signal_connect (d.engine, "unknown-badge", G_CALLBACK (on_unknown_badge), &d);
  g_signal_connect (d.engine, "tap-refused", G_CALLBACK (on_tap_refused), &d);
  g_signal_connect (d.engine, "track-started", G_CALLBACK (on_track_started), &d);
  g_signal_connect (d.engine, "status-changed", G_CALLBACK (on_status_changed), &d);

  if (pcm == NULL)
    pcm = sk_settings_dup_string (store, "audio_pcm");
  d.playback = sk_playback_new (d.engine, NULL, pcm);
  if (config->cache_max_mb >= 0)
    sk_media_cache_set_max_bytes (sk_playback_get_cache (d.playback),
                                  (guint64) config->cache_max_mb * 1024 * 1024);
  if (!sk_playback_start (d.playback, &error))
    {
      fprintf (stderr, "soundscaped: audio: %s\n", error->message);
      d.exit_code = 1;
      goto out;
    }
  g_message ("audio output: ALSA PCM “%s”", pcm);
  if (d.service != NULL)
    sk_kiosk_service_set_playback (d.service, d.playback);
  /* the venue's hours and caps, applied on this loop (sk-scheduler.h) */
  d.scheduler = sk_scheduler_new (d.engine, d.playback);
  if (d.service != NULL)
    sk_kiosk_service_set_scheduler (d.service, d.scheduler);
  /* the cloud, when configured (docs/DESIGN.md, Cloud) */
  sync = start_sync (d.engine, sync_url, creds_dir, &sync_off);
  if (sync != NULL)
    g_signal_connect (sync, "changed", G_CALLBACK (on_sync_changed), NULL);
  if (d.service != NULL)
    sk_kiosk_service_set_sync (d.service, sync, sync_off);

  if (nfc == NULL)
    nfc = sk_settings_dup_string (store, "nfc_device");
  if (!no_nfc && g_strcmp0 (nfc, "none") != 0)
    {
      d.reader = sk_nfc_reader_new (*nfc != '\0' ? nfc : NULL);
      if (d.service != NULL)
        sk_kiosk_service_set_reader (d.service, d.reader);
      else
        sk_nfc_reader_attach_engine (d.reader, d.engine);
      sk_nfc_reader_start (d.reader);
    }

  if (demo != NULL)
    {
      g_autoptr (GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr (GString) out = g_string_new (NULL);
      const SkDemoBadge *badges;
      guint n;

      d.keyboard = g_data_input_stream_new (in);
      badges = sk_demo_get_badges (&n);
      printf ("Demo badges:\n");
      for (guint i = 0; i < n; i++)
        printf ("  %u  %s  %s\n", i + 1, badges[i].uid, badges[i].name);
      sk_demo_command (d.engine, "?", NULL, NULL, out);
      fputs (out->str, stdout);
      fflush (stdout);
      read_keyboard (&d);
    }

  poll = g_timeout_add_seconds (1, on_poll_database, &d);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, &d);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, &d);
#ifdef HAVE_LIBSYSTEMD
  if (sd_watchdog_enabled (0, &watchdog_usec) > 0 && watchdog_usec > 0)
    watchdog = g_timeout_add (MAX (watchdog_usec / 2000, 1), on_watchdog, &d);
#endif
  (void) watchdog_usec;
  notify ("READY=1");

  g_main_loop_run (loop);

  g_source_remove (poll);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (watchdog != 0)
    g_source_remove (watchdog);
out:
  /* stop what makes work first (the reader, the playback and its
   * downloads), then let what is already queued finish, boundedly */
  g_cancellable_cancel (d.cancellable);
  if (d.reader != NULL)
    sk_nfc_reader_stop (d.reader);
  sk_playback_stop (d.playback);
  if (sync != NULL)
    g_object_run_dispose (G_OBJECT (sync)); /* its call in flight, cancelled */
  for (guint i = 0; i < 1000 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  g_clear_pointer (&d.service, sk_kiosk_service_free);
  g_clear_object (&d.keyboard);
  g_clear_object (&d.reader);
  g_clear_object (&d.scheduler);
  g_clear_object (&d.playback);
  g_clear_object (&d.cancellable);
  g_clear_object (&d.engine);
  return d.exit_code;
}
