/* ctl-bus.c: soundscape-ctl as a client of soundscaped's D-Bus API.
 *
 * When soundscaped owns org.soundscape.Kiosk1 (on the system bus, or the
 * session bus with --session) and no --db names a file, tap, join, vote,
 * checkout, queue (without --json) and status go to it, so that the running
 * kiosk sees them at once; otherwise they work on the database file. Join,
 * vote and checkout tap the badge first: over D-Bus they need its ticket. watch needs the daemon: it prints the
 * kiosk's events as they happen (taps, votes, tracks, skips, errors, who is
 * here) until Ctrl-C. The manager's next and config (a change) go to it
 * too, behind the admin unlock: the PIN from --pin or asked on a terminal;
 * the admin page is locked again after, unless it was open before.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "sk-kiosk-dbus.h"
#include "sk-util.h"

#define BUS_NAME "org.soundscape.Kiosk1"
#define OBJECT_PATH "/org/soundscape/Kiosk1"
#define CALL_MS 10000

gboolean opt_session = FALSE;

static const char *
bus_label (void)
{
  return opt_session ? "session" : "system";
}

SkDBusKiosk1 *
ctl_bus_kiosk (gboolean required, GError **error)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) local = NULL;
  gboolean owned = FALSE;

  if (opt_db != NULL && !required)
    return NULL; /* a file was named: the file it is */
  bus = g_bus_get_sync (opt_session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM, NULL, &local);
  if (bus != NULL)
    reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "NameHasOwner",
                                         g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(b)"),
                                         G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, &local);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  if (!owned)
    {
      if (local != NULL)
        g_dbus_error_strip_remote_error (local);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "soundscaped is not running on the %s bus%s%s", bus_label (), local ? ": " : "",
                   local ? local->message : "");
      return NULL;
    }
  return sk_dbus_kiosk1_proxy_new_sync (bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, BUS_NAME,
                                        OBJECT_PATH, NULL, error);
}

int
ctl_bus_fail_call (const char *command, GError *error)
{
  g_dbus_error_strip_remote_error (error);
  return fail ("%s: %s", command, error->message);
}

/* The queue as soundscaped holds it now: read with a Get, which comes
 * after the reply of the call that changed it, rather than from the
 * proxy's cache, which the coalesced PropertiesChanged updates later. */
static GVariant *
dup_queue_now (SkDBusKiosk1 *kiosk)
{
  GDBusProxy *proxy = G_DBUS_PROXY (kiosk);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;

  reply = g_dbus_connection_call_sync (g_dbus_proxy_get_connection (proxy),
                                       g_dbus_proxy_get_name (proxy),
                                       g_dbus_proxy_get_object_path (proxy),
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)",
                                                      g_dbus_proxy_get_interface_name (proxy),
                                                      "Queue"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, CALL_MS,
                                       NULL, NULL);
  if (reply == NULL)
    return sk_dbus_kiosk1_dup_queue (kiosk);
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE ("a(sssds)")) ? g_steal_pointer (&value)
                                                                   : NULL;
}

static void
print_bus_queue (SkDBusKiosk1 *kiosk)
{
  g_autoptr (GVariant) queue = dup_queue_now (kiosk);
  gsize n = queue ? g_variant_n_children (queue) : 0;

  if (n == 0)
    printf ("  (the queue is empty)\n");
  for (gsize i = 0; i < n; i++)
    {
      const char *title, *why;
      double score;

      g_variant_get_child (queue, i, "(&s&s&sd&s)", NULL, &title, NULL, &score, &why);
      printf ("  %u. %-28s %+.4f%s%s\n", (guint) i + 1, title, score, *why ? "  " : "", why);
    }
}

/* The tap of @uid: its result, or NULL with the error printed. */
static char *
bus_tap (SkDBusKiosk1 *kiosk, const char *command, const char *uid, gboolean quiet, int *rc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *result = NULL, *ticket = NULL, *id = NULL, *name = NULL, *message = NULL;
  gint64 until = 0;

  if (!sk_dbus_kiosk1_call_tap_sync (kiosk, uid, G_DBUS_CALL_FLAGS_NONE, CALL_MS, &result, &ticket,
                                     &id, &name, &until, &message, NULL, &error))
    {
      *rc = ctl_bus_fail_call (command, error);
      return NULL;
    }
  if (*ticket == '\0') /* refused: revoked or throttled */
    {
      *rc = fail ("%s: %s", command, message);
      return NULL;
    }
  if (quiet)
    ;
  else if (g_strcmp0 (result, "unknown") == 0)
    printf ("Unknown badge %s: “soundscape-ctl join %s” makes it a guest\n", uid, uid);
  else
    {
      g_autofree char *at = sk_time_format (until);

      printf ("%s %s%s until %.19s\n", name,
              g_strcmp0 (result, "extended") == 0 ? "extended" : "checked in",
              g_strcmp0 (result, "manager") == 0 ? " (manager)" : "", at);
    }
  *rc = EXIT_SUCCESS;
  return g_steal_pointer (&ticket);
}

int
ctl_bus_tap (SkDBusKiosk1 *kiosk, const char *uid)
{
  g_autofree char *ticket = NULL;
  int rc;

  ticket = bus_tap (kiosk, "tap", uid, FALSE, &rc);
  if (ticket != NULL)
    print_bus_queue (kiosk);
  return rc;
}

/* vote (@value) and checkout (@command) over D-Bus: both need a ticket,
 * so the badge taps first, as it would on the reader (which also extends
 * the visit). */
int
ctl_bus_vote_or_check_out (SkDBusKiosk1 *kiosk, const char *command, const char *uid, int value)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ticket = NULL;
  gboolean vote = strcmp (command, "vote") == 0;
  int rc;

  ticket = bus_tap (kiosk, command, uid, TRUE, &rc);
  if (ticket == NULL)
    return rc;
  if (vote ? !sk_dbus_kiosk1_call_vote_sync (kiosk, ticket, value, G_DBUS_CALL_FLAGS_NONE, CALL_MS,
                                             NULL, NULL, &error)
           : !sk_dbus_kiosk1_call_check_out_sync (kiosk, ticket, G_DBUS_CALL_FLAGS_NONE, CALL_MS,
                                                  NULL, &error))
    return ctl_bus_fail_call (command, error);
  if (vote)
    printf ("Rated %d\n", value);
  else
    printf ("Checked out\n");
  print_bus_queue (kiosk);
  return EXIT_SUCCESS;
}

/* Join needs the ticket of a tap too. */
int
ctl_bus_join (SkDBusKiosk1 *kiosk, const char *uid, const char *display_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ticket = NULL, *id = NULL, *name = NULL;
  int rc;

  ticket = bus_tap (kiosk, "join", uid, TRUE, &rc);
  if (ticket == NULL)
    return rc;
  if (!sk_dbus_kiosk1_call_join_sync (kiosk, ticket, display_name ? display_name : "",
                                      G_DBUS_CALL_FLAGS_NONE, CALL_MS, &id, &name, NULL, NULL,
                                      &error))
    return ctl_bus_fail_call ("join", error);
  printf ("Guest %s joined and checked in as %s\n", id, name);
  return EXIT_SUCCESS;
}

int
ctl_bus_queue (SkDBusKiosk1 *kiosk)
{
  print_bus_queue (kiosk);
  return EXIT_SUCCESS;
}

int
ctl_bus_status (SkDBusKiosk1 *kiosk)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (kiosk);
  g_autoptr (GVariant) listeners = sk_dbus_kiosk1_dup_listeners (kiosk);
  g_autoptr (GVariant) reader = sk_dbus_kiosk1_dup_reader_status (kiosk);
  g_autoptr (GVariant) audio = sk_dbus_kiosk1_dup_audio_status (kiosk);
  const char *why = sk_dbus_kiosk1_get_now_playing_why (kiosk);
  const char *song = "", *title = "", *status = "", *message = "";
  gsize n = listeners ? g_variant_n_children (listeners) : 0;

  if (now == NULL)
    return fail ("status: soundscaped did not answer on the %s bus", bus_label ());
  g_variant_get (now, "(&s&s&s@adxd)", &song, &title, NULL, NULL, NULL, NULL);
  printf ("Service:   soundscaped on the %s bus\n", bus_label ());
  printf ("Player:    %s\n", sk_dbus_kiosk1_get_player_name (kiosk));
  printf ("Playing:   %s\n", *song ? title : "nothing");
  if (*song && why != NULL && *why != '\0')
    printf ("Why:       %s\n", why);
  printf ("Status:    %s%s%s\n", sk_dbus_kiosk1_get_player_status (kiosk),
          *sk_dbus_kiosk1_get_status_message (kiosk) ? ": " : "",
          sk_dbus_kiosk1_get_status_message (kiosk));
  printf ("Present:   %u listener%s\n", (guint) n, n == 1 ? "" : "s");
  for (gsize i = 0; i < n; i++)
    {
      const char *name;
      gint64 until;
      g_autofree char *at = NULL;

      g_variant_get_child (listeners, i, "(&s&s&sx)", NULL, &name, NULL, &until);
      at = sk_time_format (until);
      printf ("           %s until %.19s\n", name, at);
    }
  g_variant_get (reader, "(&s&s)", &status, &message);
  printf ("Reader:    %s%s%s\n", status, *message ? ": " : "", message);
  g_variant_get (audio, "(&s&s)", &status, &message);
  if (strcmp (status, "silent") == 0) /* the sentence says it all: "No sound card: playing …" */
    printf ("Audio:     %s, volume %.2f\n", *message ? message : "playing silently",
            sk_dbus_kiosk1_get_volume (kiosk));
  else
    printf ("Audio:     %s%s%s, volume %.2f\n", status, *message ? ": " : "", message,
            sk_dbus_kiosk1_get_volume (kiosk));
  printf ("Strategy:  %s\n", sk_dbus_kiosk1_get_strategy (kiosk));
  ctl_bus_print_sync (kiosk);
  printf ("Queue:\n");
  print_bus_queue (kiosk);
  return EXIT_SUCCESS;
}

/* --- the manager's commands -------------------------------------------- */

/* The PIN from a terminal, not echoed; NULL when stdin is none. */
static char *
ask_pin (void)
{
  struct termios saved, quiet;
  char line[64];
  char *got;

  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &saved) != 0)
    return NULL;
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  fprintf (stderr, "Admin PIN: ");
  fflush (stderr);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  got = fgets (line, sizeof line, stdin);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  fprintf (stderr, "\n");
  if (got == NULL)
    return NULL;
  line[strcspn (line, "\r\n")] = '\0';
  return g_strdup (line);
}

/* Unlocks the admin page with the PIN (--pin, or asked on a terminal) for
 * one manager's operation; *@relock says whether it was locked before, so
 * that it is locked again after. FALSE with the error printed (*@rc). */
static gboolean
bus_unlock (SkDBusKiosk1 *kiosk, const char *command, const char *pin, gboolean *relock, int *rc)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *asked = NULL;

  if (pin == NULL)
    pin = asked = ask_pin ();
  if (pin == NULL)
    {
      *rc = fail ("%s: soundscaped runs, and this goes through it: it needs the admin PIN "
                  "(--pin, or a terminal to ask on)",
                  command);
      return FALSE;
    }
  *relock = !sk_dbus_kiosk1_get_admin_unlocked (kiosk);
  if (!sk_dbus_kiosk1_call_unlock_sync (kiosk, "", pin, G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, NULL,
                                        &error))
    {
      *rc = ctl_bus_fail_call (command, error);
      return FALSE;
    }
  return TRUE;
}

static void
bus_relock (SkDBusKiosk1 *kiosk, gboolean relock)
{
  if (relock)
    sk_dbus_kiosk1_call_lock_sync (kiosk, G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, NULL);
}

int
ctl_bus_next (SkDBusKiosk1 *kiosk, const char *pin)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (kiosk);
  const char *title = "";
  gboolean relock = FALSE;
  int rc = EXIT_FAILURE;

  if (!bus_unlock (kiosk, "next", pin, &relock, &rc))
    return rc;
  if (now != NULL)
    g_variant_get (now, "(&s&s&s@adxd)", NULL, &title, NULL, NULL, NULL, NULL);
  if (sk_dbus_kiosk1_call_skip_sync (kiosk, G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, &error))
    {
      printf ("Skipped %s; the queue's head follows\n", title);
      print_bus_queue (kiosk);
      rc = EXIT_SUCCESS;
    }
  else
    rc = ctl_bus_fail_call ("next", error);
  bus_relock (kiosk, relock);
  return rc;
}

int
ctl_bus_config (SkDBusKiosk1 *kiosk, const char *pin, const char *key, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) settings = NULL;
  gboolean relock = FALSE;
  int rc = EXIT_FAILURE;

  if (!bus_unlock (kiosk, "config", pin, &relock, &rc))
    return rc;
  if (!sk_dbus_kiosk1_call_set_setting_sync (kiosk, key, value ? value : "", G_DBUS_CALL_FLAGS_NONE,
                                             CALL_MS, NULL, &error) ||
      !sk_dbus_kiosk1_call_get_settings_sync (kiosk, G_DBUS_CALL_FLAGS_NONE, CALL_MS, &settings,
                                              NULL, &error))
    rc = ctl_bus_fail_call ("config", error);
  else
    {
      /* the value as the kiosk now has it */
      for (gsize i = 0; i < g_variant_n_children (settings); i++)
        {
          const char *k, *v;

          g_variant_get_child (settings, i, "(&s&s&s&s&sdd&s)", &k, NULL, &v, NULL, NULL, NULL,
                               NULL, NULL);
          if (strcmp (k, key) == 0)
            printf ("%s = %s\n", k, v);
        }
      rc = EXIT_SUCCESS;
    }
  bus_relock (kiosk, relock);
  return rc;
}

/* --- watch -------------------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  SkDBusKiosk1 *kiosk;
  int rc;
} Watch;

static void say (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const char *format, ...)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("%s %s\n", stamp, text);
  fflush (stdout);
}

/* A song's title as the kiosk shows it now (playing or queued), else its
 * id. */
static char *
song_title (SkDBusKiosk1 *kiosk, const char *song_id)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (kiosk);
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (kiosk);
  const char *id, *title;

  if (now != NULL)
    {
      g_variant_get (now, "(&s&s&s@adxd)", &id, &title, NULL, NULL, NULL, NULL);
      if (g_strcmp0 (id, song_id) == 0)
        return g_strdup (title);
    }
  for (gsize i = 0; queue != NULL && i < g_variant_n_children (queue); i++)
    {
      g_variant_get_child (queue, i, "(&s&s&sd&s)", &id, &title, NULL, NULL, NULL);
      if (g_strcmp0 (id, song_id) == 0)
        return g_strdup (title);
    }
  return g_strdup (*song_id ? song_id : "—");
}

/* The kiosk's signals (TapResult, VoteRecorded, Skipped, Error), each as
 * one line. */
static void
on_signal (GDBusProxy *proxy, const char *sender, const char *signal, GVariant *params, Watch *w)
{
  if (strcmp (signal, "TapResult") == 0)
    {
      const char *result, *message, *source;

      g_variant_get (params, "(&s&s&s&sx&s&s)", &result, NULL, NULL, NULL, NULL, &message, &source);
      say ("tap      %s (%s): %s", result, source, message);
    }
  else if (strcmp (signal, "VoteRecorded") == 0)
    {
      const char *name, *song, *head;
      int value;
      g_autofree char *title = NULL, *next = NULL;

      g_variant_get (params, "(&s&s&si&s)", NULL, &name, &song, &value, &head);
      title = song_title (w->kiosk, song);
      next = song_title (w->kiosk, head);
      say ("vote     %s rated %s %d; next: %s", name, title, value, next);
    }
  else if (strcmp (signal, "Skipped") == 0)
    {
      const char *song, *reason, *message;
      g_autofree char *title = NULL;

      g_variant_get (params, "(&s&s&s)", &song, &reason, &message);
      title = song_title (w->kiosk, song);
      say ("skipped  %s (%s): %s", title, reason, message);
    }
  else if (strcmp (signal, "Error") == 0)
    {
      const char *what, *message;

      g_variant_get (params, "(&s&s)", &what, &message);
      say ("error    %s: %s", what, message);
    }
}

static void
on_properties_changed (GDBusProxy *proxy,
                       GVariant *changed,
                       const char *const *invalidated,
                       Watch *w)
{
  g_autoptr (GVariant) now = g_variant_lookup_value (changed, "NowPlaying", NULL);
  g_autoptr (GVariant) listeners = g_variant_lookup_value (changed, "Listeners", NULL);
  g_autoptr (GVariant) status = g_variant_lookup_value (changed, "PlayerStatus", NULL);

  if (now != NULL)
    {
      const char *id, *title, *artist;

      g_variant_get (now, "(&s&s&s@adxd)", &id, &title, &artist, NULL, NULL, NULL);
      if (*id)
        say ("playing  %s%s%s", title, *artist ? " — " : "", artist);
    }
  if (status != NULL && g_strcmp0 (g_variant_get_string (status, NULL), "idle") == 0)
    say ("idle     %s", sk_dbus_kiosk1_get_status_message (w->kiosk));
  if (listeners != NULL)
    {
      g_autoptr (GString) names = g_string_new (NULL);
      gsize n = g_variant_n_children (listeners);

      for (gsize i = 0; i < n; i++)
        {
          const char *name;

          g_variant_get_child (listeners, i, "(&s&s&sx)", NULL, &name, NULL, NULL);
          g_string_append_printf (names, "%s%s", i ? ", " : "", name);
        }
      say ("present  %u%s%s", (guint) n, n ? ": " : " (nobody)", names->str);
    }
}

static void
on_owner (GObject *proxy, GParamSpec *pspec, Watch *w)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    {
      fail ("watch: soundscaped left the %s bus", bus_label ());
      w->rc = EXIT_FAILURE;
      g_main_loop_quit (w->loop);
    }
}

int
cmd_watch (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GVariant) now = NULL;
  Watch w = { 0 };
  const char *now_id = "";
  int rc = parse_options (&argc, &argv, NULL);

  if (rc >= 0)
    return rc;
  kiosk = ctl_bus_kiosk (TRUE, &error);
  if (kiosk == NULL)
    return fail ("watch: %s", error->message);
  loop = g_main_loop_new (NULL, FALSE);
  w.loop = loop;
  w.kiosk = kiosk;
  g_signal_connect (kiosk, "g-signal", G_CALLBACK (on_signal), &w);
  g_signal_connect (kiosk, "g-properties-changed", G_CALLBACK (on_properties_changed), &w);
  g_signal_connect (kiosk, "notify::g-name-owner", G_CALLBACK (on_owner), &w);

  now = sk_dbus_kiosk1_dup_now_playing (kiosk);
  if (now != NULL)
    g_variant_get (now, "(&s&s&s@adxd)", &now_id, NULL, NULL, NULL, NULL, NULL);
  if (now != NULL && *now_id == '\0')
    say ("playing  nothing yet"); /* before the first track: in words */
  else if (now != NULL)
    {
      g_autoptr (GVariant) changed = g_variant_ref_sink (
          g_variant_new_parsed ("{'NowPlaying': %v}", now));

      on_properties_changed (G_DBUS_PROXY (kiosk), changed, NULL, &w);
    }
  say ("watching soundscaped on the %s bus (Ctrl-C ends)", bus_label ());
  ctl_run_loop (loop);
  g_signal_handlers_disconnect_by_data (kiosk, &w);
  return w.rc;
}

/* For the manager's commands of ctl-bus-manage.c: the same unlock. */
gboolean
ctl_bus_unlock (SkDBusKiosk1 *kiosk, const char *command, const char *pin, gboolean *relock, int *rc)
{
  return bus_unlock (kiosk, command, pin, relock, rc);
}

void
ctl_bus_relock (SkDBusKiosk1 *kiosk, gboolean relock)
{
  bus_relock (kiosk, relock);
}
