/* test-boot.c: a boot of the appliance, as far as this machine allows
 * without systemd as PID 1.
 *
 * The units as built are read, and what they say is done by hand:
 * soundscaped is started from its unit's own ExecStart= line as the
 * unit's User= with its SupplementaryGroups= and UMask=, with
 * $STATE_DIRECTORY, $CONFIGURATION_DIRECTORY and $CREDENTIALS_DIRECTORY
 * laid out as StateDirectory=, ConfigurationDirectory= and
 * LoadCredential= would (in a temporary directory, not /var or /etc), and
 * $NOTIFY_SOCKET and $WATCHDOG_USEC as Type=notify and WatchdogSec= would
 * (the watchdog shortened to 2 s, so that a ping comes within the test);
 * it serves on a bus of its own (dbus-daemon with a session-bus
 * configuration that both users may reach) rather than the system bus.
 * Then the kiosk unit's ExecStart= (the session launcher, which runs cage)
 * as the kiosk unit's User=, with cage headless (wlroots' headless
 * backend and pixman renderer: no GPU or screen here) and its own
 * XDG_RUNTIME_DIR, as pam_systemd would give it, and the output rotated
 * 180° (a drop-in; see fixture_setup for why). grim takes the screen:
 * with no PIN, the first-boot setup, as wide as the output
 * (boot-screen.png); then, the engine stopped, "Reconnecting…", centred
 * below a header bar as wide as the output (boot-screen-reconnecting.png):
 * the window is the output's size, seen in the pictures.
 *
 * Both users are the package's: systemd-sysusers creates them from the
 * sysusers file (as the package does), so this needs root; cage refuses to
 * run as root, which is why the screen runs as the kiosk user. The test
 * skips, saying why, when not root or when cage, Xwayland or grim is
 * missing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "sk-paced.h"
#include "sk-test-util.h"

#define BUS_NAME "org.soundscape.Kiosk1"

/* What a child becomes between fork and exec: the unit's user. */
typedef struct
{
  uid_t uid;
  gid_t gid;
  gid_t groups[16];
  int n_groups;
  mode_t umask;
} Identity;

typedef struct
{
  char *dir;        /* everything this test makes */
  char *unit_dir;   /* the built units */
  char *daemon_log; /* soundscaped's stdout and stderr */
  char *state;      /* $STATE_DIRECTORY */
  char *conf_dir;   /* $CONFIGURATION_DIRECTORY */
  char *creds;      /* $CREDENTIALS_DIRECTORY */
  char *bus_address;
  GSocket *notify;
  GSubprocess *bus;
  GSubprocess *daemon;
  GSubprocess *cage;
  Identity engine;
  Identity screen;
  char *secrets[2];
} Fixture;

/* --- the units ---------------------------------------------------------- */

static char *
read_unit (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("SK_UNIT_DIR"), name, NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* Every value of KEY= in the unit, in order. */
static GStrv
unit_values (const char *text, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GStrvBuilder) values = g_strv_builder_new ();
  g_autofree char *prefix = g_strconcat (key, "=", NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      g_strv_builder_add (values, lines[i] + strlen (prefix));
  return g_strv_builder_end (values);
}

static char *
unit_value (const char *text, const char *key)
{
  g_auto (GStrv) values = unit_values (text, key);

  g_assert_cmpuint (g_strv_length (values), ==, 1);
  return g_strdup (values[0]);
}

/* The unit's ExecStart=, its program replaced by the one built (same
 * name), then @extra. */
static GPtrArray *
unit_command (const char *text, const char *built, const char *const *extra)
{
  g_autofree char *line = unit_value (text, "ExecStart");
  g_auto (GStrv) argv = NULL;
  g_autofree char *installed = NULL;
  g_autofree char *ours = g_path_get_basename (built);
  g_autoptr (GError) error = NULL;
  GPtrArray *command = g_ptr_array_new_with_free_func (g_free);

  g_shell_parse_argv (line, NULL, &argv, &error);
  g_assert_no_error (error);
  installed = g_path_get_basename (argv[0]);
  g_assert_cmpstr (installed, ==, ours);
  g_ptr_array_add (command, g_strdup (built));
  for (guint i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (command, g_strdup (argv[i]));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (command, g_strdup (extra[i]));
  g_ptr_array_add (command, NULL);
  return command;
}

/* User=, SupplementaryGroups= and UMask= of the unit. */
static void
unit_identity (const char *text, Identity *id)
{
  g_autofree char *user = unit_value (text, "User");
  g_autofree char *groups = unit_value (text, "SupplementaryGroups");
  g_auto (GStrv) umask_value = unit_values (text, "UMask");
  g_auto (GStrv) names = g_strsplit (groups, " ", -1);
  struct passwd *pw = getpwnam (user);

  g_assert_nonnull (pw);
  id->uid = pw->pw_uid;
  id->gid = pw->pw_gid;
  id->n_groups = 0;
  id->groups[id->n_groups++] = pw->pw_gid;
  for (guint i = 0; names[i] != NULL; i++)
    {
      struct group *gr = getgrnam (names[i]);

      g_assert_nonnull (gr);
      g_assert_cmpint (id->n_groups, <, (int) G_N_ELEMENTS (id->groups));
      id->groups[id->n_groups++] = gr->gr_gid;
    }
  id->umask = umask_value[0] != NULL ? (mode_t) g_ascii_strtoull (umask_value[0], NULL, 8) : 022;
}

/* In the child: become the unit's user, then die with the test (the
 * parent-death signal does not survive a change of user, so it comes
 * last). */
static void
become (gpointer data)
{
  const Identity *id = data;

  if (setgroups ((size_t) id->n_groups, id->groups) != 0 || setgid (id->gid) != 0 ||
      setuid (id->uid) != 0)
    _exit (121);
  umask (id->umask);
  sk_test_child_setup (NULL);
}

/* --- helpers ------------------------------------------------------------ */

static void
make_dir (const char *path, mode_t mode, const Identity *owner)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
  g_assert_cmpint (chmod (path, mode), ==, 0);
  if (owner != NULL)
    g_assert_cmpint (chown (path, owner->uid, owner->gid), ==, 0);
}

static void
write_file (const char *path, const char *text, mode_t mode, const Identity *owner)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (path, mode), ==, 0);
  if (owner != NULL)
    g_assert_cmpint (chown (path, owner->uid, owner->gid), ==, 0);
}

/* SIGTERM, then SIGKILL if it lingers; by its own pid, bounded. */
static void
stop (GSubprocess **process)
{
  gint64 deadline = sk_test_deadline_ms (10000);

  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, SIGTERM);
  while (g_subprocess_get_identifier (*process) != NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  if (g_subprocess_get_identifier (*process) != NULL)
    {
      g_subprocess_force_exit (*process);
      g_subprocess_wait (*process, NULL, NULL);
    }
  g_clear_object (process);
}

static gboolean
wait_for_path (const char *path, guint ms)
{
  gint64 deadline = sk_test_deadline_ms (ms);

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20000);
    }
  return TRUE;
}

/* The next sd_notify() datagram, or NULL at the deadline. */
static char *
next_notification (Fixture *f, gint64 deadline)
{
  char buf[4096];
  gssize n;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GError) error = NULL;

      if (!g_socket_condition_timed_wait (f->notify, G_IO_IN, 100000, NULL, NULL))
        continue;
      n = g_socket_receive (f->notify, buf, sizeof buf - 1, NULL, &error);
      g_assert_no_error (error);
      buf[MAX (n, 0)] = '\0';
      return g_strdup (buf);
    }
  return NULL;
}

static gboolean
wait_for_notification (Fixture *f, const char *what, guint ms)
{
  gint64 deadline = sk_test_deadline_ms (ms);
  char *message;

  while ((message = next_notification (f, deadline)) != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (message, "\n", -1);

      g_free (message);
      if (g_strv_contains ((const char *const *) lines, what))
        return TRUE;
    }
  return FALSE;
}

static char *
find_program (const char *name)
{
  return g_find_program_in_path (name);
}

/* --- fixture: the bus and the engine ------------------------------------ */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *engine_unit = NULL;
  g_autofree char *screen_unit = NULL;
  g_autofree char *bus_dir = NULL;
  g_autofree char *bus_conf = NULL;
  g_autofree char *bus_socket = NULL;
  g_autofree char *shipped = NULL;
  g_autofree char *conf_text = NULL;
  g_autofree char *conf_d = NULL;
  g_autofree char *drop_in = NULL;
  g_autofree char *notify_path = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *sysusers = NULL;
  g_autofree char *pcm = NULL;
  g_autofree char *state_name = NULL;
  g_autofree char *conf_name = NULL;
  g_autofree char *watchdog_sec = NULL;
  g_auto (GStrv) credentials = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) command = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  f->dir = sk_test_mkdtemp ();
  g_assert_cmpint (chmod (f->dir, 0755), ==, 0);
  f->unit_dir = g_strdup (g_getenv ("SK_UNIT_DIR"));

  /* the package's users, as its sysusers file makes them */
  sysusers = g_test_build_filename (G_TEST_DIST, "..", "systemd", "soundscape-kiosk.sysusers",
                                    NULL);
  g_spawn_sync (NULL, (char *[]){ (char *) "systemd-sysusers", sysusers, NULL }, NULL,
                G_SPAWN_SEARCH_PATH, sk_test_child_setup, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  engine_unit = read_unit ("soundscaped.service");
  screen_unit = read_unit ("soundscape-kiosk.service");
  unit_identity (engine_unit, &f->engine);
  unit_identity (screen_unit, &f->screen);

  /* the paced test PCM stands in for the sound card (no card here) */
  if (!sk_paced_setup (f->dir, &reason))
    g_error ("the paced test PCM: %s", reason);
  pcm = sk_paced_pcm_name (20.0, NULL, NULL);

  /* StateDirectory=, StateDirectoryMode= */
  state_name = unit_value (engine_unit, "StateDirectory");
  f->state = g_build_filename (f->dir, "var-lib", state_name, NULL);
  {
    g_autofree char *mode = unit_value (engine_unit, "StateDirectoryMode");

    make_dir (f->state, (mode_t) g_ascii_strtoull (mode, NULL, 8), &f->engine);
  }
  /* ConfigurationDirectory=: root's, read-only for the service; the
   * shipped kiosk.conf and a drop-in for this machine */
  conf_name = unit_value (engine_unit, "ConfigurationDirectory");
  f->conf_dir = g_build_filename (f->dir, "etc", conf_name, NULL);
  conf_d = g_build_filename (f->conf_dir, "conf.d", NULL);
  make_dir (conf_d, 0755, NULL);
  shipped = g_test_build_filename (G_TEST_DIST, "..", "systemd", "kiosk.conf", NULL);
  g_file_get_contents (shipped, &conf_text, NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree char *path = g_build_filename (f->conf_dir, "kiosk.conf", NULL);

    write_file (path, conf_text, 0644, NULL);
  }
  /* [screen] rotation = 180: cage 0.1.4 shows an app whose buffer is the
   * output's size and orientation as the output's own (direct scan-out),
   * which the headless backend takes as is and wlroots 0.15's damage
   * tracking counts as a drawn frame; grim's copy is then composed from
   * stale damage and shows an old frame (the app's first, smaller one, or
   * one half-way through a transition), and cage logs "Basic output test
   * failed" for each refused attempt. A rotated output is always
   * composed (cage 0.1.4 scans out only an unrotated one), and grim turns
   * it upright. */
  drop_in = g_strdup_printf ("[audio]\npcm = %s\n[nfc]\ndevice = none\n[screen]\nrotation = 180\n"
                             /* a project URL, so that the sync reads its credentials
                              * (a closed port on loopback: it stays unreachable) */
                             "[sync]\nurl = https://127.0.0.1:9\n",
                             pcm);
  {
    g_autofree char *path = g_build_filename (conf_d, "50-this-machine.conf", NULL);

    write_file (path, drop_in, 0644, NULL);
  }
  /* LoadCredential=ID:PATH: systemd copies each into a directory of the
   * service user's alone */
  f->creds = g_build_filename (f->dir, "credentials", NULL);
  make_dir (f->creds, 0700, &f->engine);
  credentials = unit_values (engine_unit, "LoadCredential");
  g_assert_cmpuint (g_strv_length (credentials), ==, G_N_ELEMENTS (f->secrets));
  for (guint i = 0; credentials[i] != NULL; i++)
    {
      g_autofree char *id = g_strndup (credentials[i], strcspn (credentials[i], ":"));
      g_autofree char *path = g_build_filename (f->creds, id, NULL);

      f->secrets[i] = g_strdup_printf ("secret-%s-%08x", id, g_random_int ());
      write_file (path, f->secrets[i], 0400, &f->engine);
    }

  /* a bus both users may reach */
  bus_dir = g_build_filename (f->dir, "bus", NULL);
  make_dir (bus_dir, 0755, NULL);
  bus_socket = g_build_filename (bus_dir, "socket", NULL);
  bus_conf = g_build_filename (f->dir, "bus.conf", NULL);
  {
    g_autofree char *conf = g_strdup_printf (
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>session</type><listen>unix:path=%s</listen>"
        "<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
        "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
        "<allow own=\"*\"/></policy></busconfig>\n",
        bus_socket);

    write_file (bus_conf, conf, 0644, NULL);
  }
  {
    g_autofree char *arg = g_strconcat ("--config-file=", bus_conf, NULL);

    f->bus = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "dbus-daemon", arg,
                                     "--nofork", "--nopidfile", NULL);
    g_assert_no_error (error);
  }
  g_assert_true (wait_for_path (bus_socket, 10000));
  g_assert_cmpint (chmod (bus_socket, 0666), ==, 0);
  f->bus_address = g_strconcat ("unix:path=", bus_socket, NULL);

  /* Type=notify: the datagram socket systemd would listen on */
  notify_path = g_build_filename (f->dir, "notify", NULL);
  f->notify = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (notify_path);
  g_socket_bind (f->notify, address, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (notify_path, 0666), ==, 0);
  watchdog_sec = unit_value (engine_unit, "WatchdogSec");
  g_assert_cmpint (g_ascii_strtoll (watchdog_sec, NULL, 10), >, 2);

  /* the engine, from its unit's ExecStart=, on this bus */
  f->daemon_log = g_build_filename (f->dir, "soundscaped.log", NULL);
  command = unit_command (engine_unit, g_getenv ("SK_SOUNDSCAPED"),
                          (const char *const[]){ "--session", NULL });
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, become, &f->engine, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, f->daemon_log);
  g_subprocess_launcher_set_stderr_file_path (launcher, f->daemon_log);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", f->bus_address, TRUE);
  g_subprocess_launcher_setenv (launcher, "STATE_DIRECTORY", f->state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CONFIGURATION_DIRECTORY", f->conf_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "CREDENTIALS_DIRECTORY", f->creds, TRUE);
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", notify_path, TRUE);
  g_subprocess_launcher_setenv (launcher, "WATCHDOG_USEC", "2000000", TRUE);
  g_subprocess_launcher_setenv (launcher, "LIBNFC_AUTO_SCAN", "false", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "XDG_RUNTIME_DIR");
  g_subprocess_launcher_unsetenv (launcher, "HOME");
  f->daemon = g_subprocess_launcher_spawnv (launcher, (const char *const *) command->pdata, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  stop (&f->cage);
  stop (&f->daemon);
  stop (&f->bus);
  g_clear_object (&f->notify);
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->unit_dir);
  g_free (f->daemon_log);
  g_free (f->state);
  g_free (f->conf_dir);
  g_free (f->creds);
  g_free (f->bus_address);
  for (guint i = 0; i < G_N_ELEMENTS (f->secrets); i++)
    g_free (f->secrets[i]);
}

static void
skip_not_root (void)
{
  g_test_skip ("Needs root: the units' users are made with systemd-sysusers, and the "
               "processes become them (CI runs as root)");
}

static void
add_boot_test (const char *path, void (*fn) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown);
}

static char *
read_log (Fixture *f)
{
  char *text = NULL;

  g_file_get_contents (f->daemon_log, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* READY=1, a watchdog ping, the name on the bus, the configuration and
 * the credentials taken, the database in the state directory. */
static void
wait_engine_ready (Fixture *f)
{
  g_autofree char *log = NULL;

  if (!wait_for_notification (f, "READY=1", 30000))
    {
      log = read_log (f);
      g_error ("soundscaped never said READY=1; its log:\n%s", log);
    }
}

static void
test_engine (Fixture *f, gconstpointer data)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  g_autofree char *db = NULL;
  g_autofree char *conf = NULL;
  gboolean owned = FALSE;
  GStatBuf st;

  wait_engine_ready (f);
  g_assert_true (wait_for_notification (f, "WATCHDOG=1", 10000));

  bus = g_dbus_connection_new_for_address_sync (f->bus_address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetNameOwner",
                                       g_variant_new ("(s)", BUS_NAME), G_VARIANT_TYPE ("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GVariant) pid = NULL;
    const char *owner;

    g_variant_get (reply, "(&s)", &owner);
    pid = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixUser",
                                       g_variant_new ("(s)", owner), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
    {
      guint32 uid;

      g_variant_get (pid, "(u)", &uid);
      g_assert_cmpuint (uid, ==, f->engine.uid);
      owned = TRUE;
    }
  }
  g_assert_true (owned);

  /* the database where StateDirectory= puts it, the service user's, and
   * private (UMask=0077) */
  db = g_build_filename (f->state, "soundscape.db", NULL);
  g_assert_cmpint (g_stat (db, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, f->engine.uid);
  g_assert_cmpuint (st.st_mode & 0077, ==, 0);

  log = read_log (f);
  g_test_message ("soundscaped's log:\n%s", log);
  conf = g_strdup_printf ("configuration: %s/kiosk.conf, %s/conf.d/50-this-machine.conf",
                          f->conf_dir, f->conf_dir);
  g_assert_nonnull (strstr (log, conf));
  g_assert_nonnull (strstr (log, "credential player-token: present; anon-key: present"));
  for (guint i = 0; i < G_N_ELEMENTS (f->secrets); i++)
    g_assert_null (strstr (log, f->secrets[i]));
}

/* grim, as the screen's user, into @png. */
static gboolean
screenshot (Fixture *f, const char *runtime, const char *png)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) grim = NULL;
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, become, &f->screen, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "WAYLAND_DISPLAY", "wayland-0", TRUE);
  g_unlink (png);
  grim = g_subprocess_launcher_spawn (launcher, &error, "grim", png, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (grim, NULL, &error);
  g_assert_no_error (error);
  return g_subprocess_get_successful (grim) && g_file_test (png, G_FILE_TEST_EXISTS);
}

/* --- what the screen shows ---------------------------------------------- */

/* Colours of ui/style.css that the checks below look for; cage's empty
 * background is black, and so is the app's own background. */
#define ACCENT 0xffd84d /* suggested-action buttons, the badge hint's text */
#define HEADER 0x111111 /* the header bar */

static guint
pixel_at (GdkPixbuf *image, int x, int y)
{
  const guchar *p = gdk_pixbuf_read_pixels (image) + y * gdk_pixbuf_get_rowstride (image) +
                    x * gdk_pixbuf_get_n_channels (image);

  return ((guint) p[0] << 16) | ((guint) p[1] << 8) | p[2];
}

/* The bounding box of the pixels of @rgb (x1 < x0 when there is none),
 * within rows @top to @bottom. */
typedef struct
{
  int x0, y0, x1, y1;
} Box;

static Box
find_colour (GdkPixbuf *image, guint rgb, int top, int bottom)
{
  int w = gdk_pixbuf_get_width (image);
  Box box = { w, bottom + 1, -1, -1 };

  for (int y = top; y <= bottom; y++)
    for (int x = 0; x < w; x++)
      if (pixel_at (image, x, y) == rgb)
        {
          box.x0 = MIN (box.x0, x);
          box.x1 = MAX (box.x1, x);
          box.y0 = MIN (box.y0, y);
          box.y1 = MAX (box.y1, y);
        }
  return box;
}

/* Distinct colours among the pixels, up to @enough: drawn, not blank. */
static guint
count_colours (GdkPixbuf *image, guint enough)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  int w = gdk_pixbuf_get_width (image), h = gdk_pixbuf_get_height (image);

  for (int y = 0; y < h && g_hash_table_size (seen) < enough; y++)
    for (int x = 0; x < w; x++)
      g_hash_table_add (seen, GUINT_TO_POINTER (pixel_at (image, x, y) + 1));
  return g_hash_table_size (seen);
}

/* The first-boot setup screen, its window as wide as the output: no
 * header bar; the name entry at the window's left margin and the
 * accent-coloured "Next" at its right margin (24 px each), in the upper
 * half. The app's background is as black as cage's, so the window's
 * edges are seen by what stands at its margins. */
static gboolean
shows_setup (GdkPixbuf *image)
{
  int w = gdk_pixbuf_get_width (image), h = gdk_pixbuf_get_height (image);
  Box next = find_colour (image, ACCENT, 0, h / 2);
  Box drawn = { w, 0, -1, 0 };

  if (pixel_at (image, 0, 8) == HEADER || next.x1 < next.x0)
    return FALSE;
  for (int y = next.y0; y <= next.y1; y++)
    for (int x = 0; x < w; x++)
      if (pixel_at (image, x, y) != 0)
        {
          drawn.x0 = MIN (drawn.x0, x);
          drawn.x1 = MAX (drawn.x1, x);
        }
  return next.x0 > w / 2 && next.x1 >= w - 1 - 32 && drawn.x0 <= 32;
}

/* "Reconnecting…", its window the output's size: the header bar from the
 * output's left edge to its right one, and the status (icon, title,
 * sentence) centred in what is below it, both ways, within 16 px: a
 * window shorter or narrower than the output would centre it higher or
 * further left. */
static gboolean
shows_reconnecting (GdkPixbuf *image)
{
  int w = gdk_pixbuf_get_width (image), h = gdk_pixbuf_get_height (image);
  int below = 8;
  Box status = { w, h, -1, -1 };

  if (pixel_at (image, 0, 8) != HEADER || pixel_at (image, w - 1, 8) != HEADER)
    return FALSE;
  while (below < h && pixel_at (image, w / 2, below) != 0)
    below++;
  for (int y = below; y < h; y++)
    for (int x = 0; x < w; x++)
      if (pixel_at (image, x, y) != 0)
        {
          status.x0 = MIN (status.x0, x);
          status.x1 = MAX (status.x1, x);
          status.y0 = MIN (status.y0, y);
          status.y1 = MAX (status.y1, y);
        }
  return status.x1 > status.x0 && find_colour (image, ACCENT, 0, h - 1).x1 < 0 &&
         ABS (status.x0 + status.x1 - (w - 1)) <= 32 &&
         ABS (status.y0 + status.y1 - (below + h - 1)) <= 32;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

/* Screenshots until @shows says yes, bounded; the last one is kept in the
 * build directory as @name either way. */
static void
wait_for_screen (Fixture *f,
                 const char *runtime,
                 const char *cage_log,
                 const char *name,
                 gboolean (*shows) (GdkPixbuf *image))
{
  g_autofree char *shot = g_build_filename (runtime, "screen.png", NULL);
  g_autofree char *kept = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", name, NULL);
  g_autoptr (GdkPixbuf) image = NULL;
  g_autoptr (GError) error = NULL;
  gint64 deadline = sk_test_deadline_ms (20000);
  gboolean seen = FALSE;
  guint colours = 0;

  while (!seen && g_get_monotonic_time () < deadline)
    {
      g_usleep (250000);
      if (!screenshot (f, runtime, shot))
        continue;
      g_clear_object (&image);
      image = gdk_pixbuf_new_from_file (shot, &error);
      g_assert_no_error (error);
      /* cage's headless output, rotated 180° (the drop-in): grim turns
       * it back, and the size is the unrotated 1280×720 */
      g_assert_cmpint (gdk_pixbuf_get_width (image), ==, 1280);
      g_assert_cmpint (gdk_pixbuf_get_height (image), ==, 720);
      colours = count_colours (image, 64);
      seen = colours >= 64 && shows (image);
    }
  if (image != NULL)
    {
      g_assert_true (gdk_pixbuf_save (image, kept, "png", &error, NULL));
      g_assert_no_error (error);
      g_test_message ("the screen: %s (%u colours or more)", kept, colours);
    }
  if (!seen)
    {
      g_autofree char *log = read_text (cage_log);

      g_test_message ("cage's log:\n%s", log);
      g_error ("%s: the screen never showed what it should within the wait (%s is the last "
               "screenshot)",
               name, image != NULL ? kept : "no screenshot taken");
    }
}

static void
test_screen (Fixture *f, gconstpointer data)
{
  g_autofree char *screen_unit = read_unit ("soundscape-kiosk.service");
  g_autofree char *runtime = g_build_filename (f->dir, "run-user", NULL);
  g_autofree char *cache = g_build_filename (f->dir, "var-cache", NULL);
  g_autofree char *socket = g_build_filename (runtime, "wayland-0", NULL);
  g_autofree char *conf = g_build_filename (f->conf_dir, "kiosk.conf", NULL);
  g_autofree char *cage_log = g_build_filename (f->dir, "cage.log", NULL);
  g_autofree char *log = NULL;
  g_auto (GStrv) environment = unit_values (screen_unit, "Environment");
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) command = NULL;
  g_autoptr (GError) error = NULL;
  const char *app = g_getenv ("SK_KIOSK_APP");

  for (guint i = 0; i < 3; i++)
    {
      const char *need[] = { "cage", "Xwayland", "grim" };
      g_autofree char *path = find_program (need[i]);

      if (path == NULL)
        {
          g_autofree char *why = g_strdup_printf (
              "%s is not installed (tools/install-deps --tests installs cage, xwayland, grim)",
              need[i]);

          g_test_skip (why);
          return;
        }
    }
  if (app == NULL || *app == '\0')
    {
      g_test_skip ("soundscape-kiosk is not built (-Dapp=disabled or no GTK 4)");
      return;
    }
  wait_engine_ready (f);

  /* pam_systemd's XDG_RUNTIME_DIR; CacheDirectory= */
  make_dir (runtime, 0700, &f->screen);
  make_dir (cache, 0700, &f->screen);

  command = unit_command (screen_unit, g_getenv ("SK_KIOSK_SESSION"),
                          (const char *const[]){ "--config", conf, "--", app, "--session", NULL });
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, become, &f->screen, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, cage_log);
  g_subprocess_launcher_set_stderr_file_path (launcher, cage_log);
  /* the unit's Environment= lines, each "K=V K=V" */
  for (guint i = 0; environment[i] != NULL; i++)
    {
      g_auto (GStrv) pairs = NULL;

      g_shell_parse_argv (environment[i], NULL, &pairs, &error);
      g_assert_no_error (error);
      for (guint j = 0; pairs[j] != NULL; j++)
        {
          g_auto (GStrv) kv = g_strsplit (pairs[j], "=", 2);

          g_assert_nonnull (kv[1]);
          g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
        }
    }
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", f->bus_address, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "HOME");
  /* no GPU, no screen, no input devices here */
  g_subprocess_launcher_setenv (launcher, "WLR_BACKENDS", "headless", TRUE);
  g_subprocess_launcher_setenv (launcher, "WLR_LIBINPUT_NO_DEVICES", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "WLR_RENDERER", "pixman", TRUE);
  /* pixman reads shared-memory buffers only: GTK draws with cairo, not
   * into the GL (dmabuf) buffers that only a GPU renderer takes */
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", "cairo", TRUE);
  f->cage = g_subprocess_launcher_spawnv (launcher, (const char *const *) command->pdata, &error);
  g_assert_no_error (error);

  if (!wait_for_path (socket, 20000))
    {
      log = read_text (cage_log);
      g_error ("cage made no wayland-0; its log:\n%s", log);
    }

  /* No PIN yet: the first-boot setup, full width, with the engine there
   * (not "Reconnecting…") */
  wait_for_screen (f, runtime, cage_log, "boot-screen.png", shows_setup);

  /* The engine gone: "Reconnecting…", whose header bar and centred
   * status show the window's four edges on the output's */
  stop (&f->daemon);
  wait_for_screen (f, runtime, cage_log, "boot-screen-reconnecting.png", shows_reconnecting);

  /* cage composed every frame: it never tried to show the app's buffer
   * as the output's (direct scan-out, which the rotation rules out) */
  log = read_text (cage_log);
  g_assert_null (strstr (log, "Basic output test failed"));
}

/* The launcher turns [screen] of kiosk.conf into cage's and the app's
 * options. */
static void
test_session_command (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *conf = g_build_filename (dir, "kiosk.conf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;
  const char *argv[] = {
    g_getenv ("SK_KIOSK_SESSION"), "--print", "--config", conf, "--", "/opt/app", "--session", NULL
  };

  g_file_set_contents (conf, "[screen]\nrotation=270\ndim-after=30\nreader-edge=left\n", -1,
                       &error);
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==,
                   "cage -d -r -r -r -- /opt/app --session --reader-edge left --dim-after=30\n");

  /* a bad value: the launcher says where, and cage is not started */
  g_file_set_contents (conf, "[screen]\nrotation=45\n", -1, &error);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "kiosk.conf:2: [screen] rotation"));
  sk_test_rmdir (dir);
}

/* A kiosk.conf named by --config that is not there is one line and exit
 * status 1, as soundscaped says it: the screen never starts on the
 * defaults because of a typo. */
static void
test_session_missing_config (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *conf = g_build_filename (dir, "kiosk.cnof", NULL);
  g_autofree char
      *said = g_strdup_printf ("soundscape-kiosk-session: --config: there is no file %s\n", conf);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;
  /* --print: the launcher ends at once, whatever it does */
  const char *argv[] = { g_getenv ("SK_KIOSK_SESSION"), "--print", "--config", conf, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, sk_test_child_setup, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpstr (err, ==, said);
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/boot/session-command", test_session_command);
  g_test_add_func ("/boot/session-missing-config", test_session_missing_config);
  if (getuid () != 0)
    {
      /* registered, so that the skip and its reason show */
      g_test_add_func ("/boot/engine", skip_not_root);
      g_test_add_func ("/boot/screen", skip_not_root);
      return g_test_run ();
    }
  add_boot_test ("/boot/engine", test_engine);
  add_boot_test ("/boot/screen", test_screen);
  return g_test_run ();
}
