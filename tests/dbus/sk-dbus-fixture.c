/* sk-dbus-fixture.c: the private bus, soundscaped on it, and the calls
 * and waits of the tests of org.soundscape.Kiosk1 (sk-dbus-fixture.h). */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "sk-dbus-fixture.h"
#include "sk-paced.h"
#include "sk-test-util.h"

static void
signal_free (gpointer data)
{
  Signal *s = data;

  g_free (s->member);
  g_variant_unref (s->params);
  g_free (s);
}

static void
on_signal (GDBusConnection *conn,
           const char *sender,
           const char *path,
           const char *iface,
           const char *member,
           GVariant *params,
           gpointer data)
{
  Fixture *f = data;
  Signal *s = g_new0 (Signal, 1);

  s->member = g_strdup (member);
  s->params = g_variant_ref (params);
  g_ptr_array_add (f->signals, s);
}

gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @done (polled after each iteration, so
 * something must wake it: a timer, a signal) or @seconds pass, stretched
 * by SK_TEST_TIME_FACTOR (a bound, not a timing). */
gboolean
spin_until (gboolean (*done) (Fixture *, gconstpointer),
            Fixture *f,
            gconstpointer data,
            guint seconds)
{
  gboolean timed_out = FALSE, ok;
  guint timer = g_timeout_add (sk_test_scale_ms (seconds * 1000), on_timeout, &timed_out);

  while (!(ok = done (f, data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timer);
  return ok;
}

static gboolean
spin_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* The bus, with a connection of the test's own on it (the signals of the
 * service's object recorded from now on). */
static void
start_bus (Fixture *f)
{
  g_autofree char *socket = g_build_filename (f->dir, "bus", NULL);
  g_autofree char *listen = g_strconcat ("--address=unix:path=", socket, NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);

  f->bus_daemon = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--session", listen,
                                               "--nofork", NULL);
  g_assert_no_error (error);
  f->address = g_strconcat ("unix:path=", socket, NULL);
  deadline = sk_test_deadline_ms (10000);
  while (f->conn == NULL && g_get_monotonic_time () < deadline)
    {
      g_clear_error (&error);
      if (g_file_test (socket, G_FILE_TEST_EXISTS))
        f->conn = g_dbus_connection_new_for_address_sync (
            f->address,
            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, NULL, &error);
      if (f->conn == NULL)
        g_usleep (20 * 1000);
    }
  g_assert_no_error (error);
  g_assert_nonnull (f->conn);
  f->subscription = g_dbus_connection_signal_subscribe (f->conn, NULL, NULL, NULL, PATH, NULL,
                                                        G_DBUS_SIGNAL_FLAGS_NONE, on_signal, f,
                                                        NULL);
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *link = NULL;

  f->dir = sk_test_mkdtemp ();
  f->db = g_build_filename (f->dir, "soundscape.db", NULL);
  f->signals = g_ptr_array_new_with_free_func (signal_free);
  if (!sk_paced_setup (f->dir, &reason))
    g_error ("%s", reason);
  link = g_build_filename (f->dir, "nfc0", NULL);
  f->reader = sk_pn532_fixture_start (link, &error);
  g_assert_no_error (error);
  start_bus (f);
}

static void
stop (GSubprocess **p)
{
  if (*p == NULL)
    return;
  g_subprocess_force_exit (*p);
  g_subprocess_wait (*p, NULL, NULL);
  g_clear_object (p);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->kiosk);
  stop (&f->daemon);
  if (f->subscription != 0)
    g_dbus_connection_signal_unsubscribe (f->conn, f->subscription);
  if (f->conn != NULL)
    g_dbus_connection_close_sync (f->conn, NULL, NULL);
  g_clear_object (&f->conn);
  stop (&f->bus_daemon);
  g_clear_pointer (&f->reader, sk_pn532_fixture_free);
  g_ptr_array_unref (f->signals);
  sk_test_rmdir (f->dir);
  g_free (f->address);
  g_free (f->db);
  g_free (f->dir);
}

GSubprocessLauncher *
daemon_launcher (Fixture *f, GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = sk_test_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", f->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_AUTO_SCAN", "false", TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_LOG_LEVEL", "0", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  return launcher;
}

gboolean
name_owned (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (f->conn, "org.freedesktop.DBus",
                                                            "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "NameHasOwner",
                                                            g_variant_new ("(s)", NAME),
                                                            G_VARIANT_TYPE ("(b)"),
                                                            G_DBUS_CALL_FLAGS_NONE, 2000, NULL,
                                                            NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* soundscaped --session on the paced PCM (or @pcm), the fixture's reader,
 * with --demo @demo unless it is NULL, and @extra, once its name is owned;
 * the proxy then follows it. */
static void
spawn_daemon (Fixture *f, const char *pcm_name, const char *demo, const char *const *extra)
{
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *pcm = pcm_name ? g_strdup (pcm_name) : sk_paced_pcm_name (20.0, NULL, NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *const args[] = { g_getenv ("SK_SOUNDSCAPED"),
                               "--session",
                               "--db",
                               f->db,
                               "--pcm",
                               pcm,
                               "--nfc-device",
                               sk_pn532_fixture_connstring (f->reader) };
  guint tick = g_timeout_add (20, spin_tick, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  if (demo != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--demo");
      g_ptr_array_add (argv, (gpointer) demo);
    }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  f->daemon = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (!spin_until (name_owned, f, NULL, 30))
    g_error ("soundscaped did not own %s within 30 s", NAME);
  g_source_remove (tick);
  f->kiosk = sk_dbus_kiosk1_proxy_new_sync (f->conn, G_DBUS_PROXY_FLAGS_NONE, NAME, PATH, NULL,
                                            &error);
  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (f->kiosk), 10000);
}

void
start_daemon_full (Fixture *f, const char *pcm_name, const char *library, const char *const *extra)
{
  spawn_daemon (f, pcm_name, library ? library : g_getenv ("SK_DEMO_LIBRARY"), extra);
}

void
start_daemon_plain (Fixture *f, const char *pcm_name)
{
  spawn_daemon (f, pcm_name, NULL, NULL);
}

void
start_daemon_with (Fixture *f, const char *pcm_name, const char *library)
{
  start_daemon_full (f, pcm_name, library, NULL);
}

void
start_daemon (Fixture *f)
{
  start_daemon_with (f, NULL, NULL);
}

static gboolean
name_gone (Fixture *f, gconstpointer data)
{
  return !name_owned (f, data);
}

static void
restart (Fixture *f, gboolean demo)
{
  guint tick = g_timeout_add (20, spin_tick, NULL);

  g_clear_object (&f->kiosk);
  stop (&f->daemon);
  if (!spin_until (name_gone, f, NULL, 10))
    g_error ("%s still owned 10 s after soundscaped was killed", NAME);
  g_source_remove (tick);
  if (demo)
    start_daemon (f);
  else
    start_daemon_plain (f, NULL);
}

void
restart_daemon (Fixture *f)
{
  restart (f, TRUE);
}

void
restart_daemon_plain (Fixture *f)
{
  restart (f, FALSE);
}

/* A method call of the interface: its reply, or NULL with @error. */
GVariant *
call (Fixture *f, const char *method, GVariant *args, GError **error)
{
  return g_dbus_connection_call_sync (f->conn, NAME, PATH, IFACE, method, args, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 10000, NULL, error);
}

GVariant *
call_get (Fixture *f, const char *method, GVariant *args)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = call (f, method, args, &error);

  g_assert_no_error (error);
  return reply;
}

void
call_ok (Fixture *f, const char *method, GVariant *args)
{
  g_variant_unref (call_get (f, method, args));
}

void
unlock_admin (Fixture *f, const char *pin)
{
  g_autoptr (GVariant) set = NULL;
  g_autoptr (GVariant) unlocked = NULL;

  if (!sk_dbus_kiosk1_get_pin_set (f->kiosk))
    set = call_get (f, "SetPin", g_variant_new ("(s)", pin));
  unlocked = call_get (f, "Unlock", g_variant_new ("(ss)", "", pin));
}

GVariant *
property_now (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (f->conn, NAME, PATH,
                                                            "org.freedesktop.DBus.Properties",
                                                            "Get",
                                                            g_variant_new ("(ss)", IFACE, name),
                                                            G_VARIANT_TYPE ("(v)"),
                                                            G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
                                                            &error);
  GVariant *v = NULL;

  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &v);
  return v;
}

static double
position_now (Fixture *f)
{
  g_autoptr (GVariant) v = property_now (f, "Position");

  return g_variant_get_double (v);
}

void
pause_still (Fixture *f)
{
  /* more than two of the daemon's one-second refreshes apart */
  const guint apart_ms = 2500;
  gint64 deadline = sk_test_deadline_ms (30000);
  double before, now;

  call_ok (f, "Pause", NULL);
  now = position_now (f);
  do
    {
      gboolean done = FALSE;
      guint timer = g_timeout_add (apart_ms, on_timeout, &done);

      before = now;
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      (void) timer;
      now = position_now (f);
    }
  while (now != before && g_get_monotonic_time () < deadline);
  if (now != before)
    g_error ("the output did not hold still within %u s of Pause", sk_test_scale_ms (30000) / 1000);
}

/* The call fails with the D-Bus error @name and a sentence. */
void
assert_refused (Fixture *f, const char *method, GVariant *args, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = call (f, method, args, &error);
  g_autofree char *remote = NULL;

  g_assert_null (reply);
  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  g_test_message ("%s: %s", method, error->message);
  g_assert_cmpstr (remote, ==, name);
  g_dbus_error_strip_remote_error (error);
  g_assert_cmpuint (strlen (error->message), >, 10);
}

void
tap_clear (Tap *t)
{
  g_free (t->result);
  g_free (t->ticket);
  g_free (t->listener_id);
  g_free (t->name);
  g_free (t->message);
}

void
tap (Fixture *f, const char *uid, Tap *out)
{
  g_autoptr (GError) error = NULL;

  memset (out, 0, sizeof *out);
  sk_dbus_kiosk1_call_tap_sync (f->kiosk, uid, G_DBUS_CALL_FLAGS_NONE, 10000, &out->result,
                                &out->ticket, &out->listener_id, &out->name, &out->until,
                                &out->message, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("Tap %s: %s “%s” %s", uid, out->result, out->message, out->ticket);
}

/* The first signal @member received since @from whose arguments printed
 * hold @needle (NULL: any), waiting up to @seconds. */
typedef struct
{
  const char *member;
  const char *needle;
  guint from;
  Signal *found;
} SignalWait;

static gboolean
signal_seen (Fixture *f, gconstpointer data)
{
  SignalWait *w = (SignalWait *) data;

  for (guint i = w->from; i < f->signals->len && w->found == NULL; i++)
    {
      Signal *s = g_ptr_array_index (f->signals, i);
      g_autofree char *text = g_variant_print (s->params, FALSE);

      if (g_strcmp0 (s->member, w->member) == 0 && (w->needle == NULL || strstr (text, w->needle)))
        w->found = s;
    }
  return w->found != NULL;
}

Signal *
wait_signal (Fixture *f, guint from, const char *member, const char *needle, guint seconds)
{
  SignalWait w = { member, needle, from, NULL };

  if (!spin_until (signal_seen, f, &w, seconds))
    g_error ("no %s signal (with “%s”) within %u s", member, needle ? needle : "", seconds);
  return w.found;
}

static gboolean
playing (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (f->kiosk);
  const char *song = NULL;

  if (now != NULL)
    g_variant_get_child (now, 0, "&s", &song);
  return song != NULL && *song != '\0' &&
         g_strcmp0 (sk_dbus_kiosk1_get_player_status (f->kiosk), "playing") == 0;
}

gboolean
audio_is (Fixture *f, gconstpointer status)
{
  g_autoptr (GVariant) audio = sk_dbus_kiosk1_dup_audio_status (f->kiosk);
  const char *s = NULL;

  if (audio != NULL)
    g_variant_get_child (audio, 0, "&s", &s);
  return g_strcmp0 (s, status) == 0;
}

void
wait_playing (Fixture *f)
{
  if (!spin_until (playing, f, NULL, 20))
    g_error ("nothing played within 20 s");
}

gboolean
reader_ready (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) status = sk_dbus_kiosk1_dup_reader_status (f->kiosk);
  const char *s = NULL;

  if (status != NULL)
    g_variant_get_child (status, 0, "&s", &s);
  return g_strcmp0 (s, "ready") == 0;
}

/* soundscape-ctl with @args (NULL-terminated) on this test's bus; its exit
 * status, with stdout and stderr together in @out. */
int
run_ctl (Fixture *f, char **out, const char *first, ...)
{
  /* stdin a pipe, closed: never a terminal that a prompt would wait on */
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (f,
                                                              G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, sk_test_ctl_path ());
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, out, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("soundscape-ctl %s: %s", first, *out);
  return g_subprocess_get_exit_status (p);
}

Signal *
last_signal (Fixture *f, const char *member)
{
  for (guint i = f->signals->len; i > 0; i--)
    {
      Signal *s = g_ptr_array_index (f->signals, i - 1);

      if (g_strcmp0 (s->member, member) == 0)
        return s;
    }
  return NULL;
}

gboolean
has_listener (Fixture *f, gconstpointer name)
{
  g_autoptr (GVariant) listeners = sk_dbus_kiosk1_dup_listeners (f->kiosk);
  g_autofree char *text = listeners ? g_variant_print (listeners, FALSE) : NULL;

  return text != NULL && strstr (text, name) != NULL;
}

gboolean
has_no_listener (Fixture *f, gconstpointer name)
{
  return !has_listener (f, name);
}
