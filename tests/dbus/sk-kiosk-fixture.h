/* sk-kiosk-fixture.h: what the tests of org.soundscape.Kiosk1 share.
 *
 * Each test starts a private dbus-daemon (--session, on a socket in its
 * temporary directory) and the real soundscaped on it with --session: the
 * demo library on a fresh database, the paced test PCM (tests/alsa) at 20×
 * and a PN532 played on a pseudo-terminal (tests/nfc) as its badge reader.
 * The test is a client on that bus, through the generated proxy and plain
 * calls; it reads the database with SQLite to see what was (not) stored.
 * Every wait is bounded; only the processes started here are stopped, by
 * pid.
 */
#pragma once

#include <gio/gio.h>

#include "sk-kiosk-dbus.h"
#include "sk-paced.h"
#include "sk-pn532-fixture.h"
#include "sk-test-util.h"

#define NAME "org.soundscape.Kiosk1"
#define PATH "/org/soundscape/Kiosk1"
#define IFACE "org.soundscape.Kiosk1"
#define ERR "org.soundscape.Kiosk1.Error."

/* the demo badges (sk-demo.c) */
#define RAIN_LOVER "04A1B2C3"
#define FIRE_KEEPER "04F1E2D3"
#define BEACHCOMBER "04BEAC4E"
#define MIA_MANAGER "04ADA1E5"
#define NEW_BADGE "04112233"

typedef struct
{
  char *member;
  GVariant *params;
} Signal;

typedef struct
{
  char *dir;
  char *db;
  char *address;
  GSubprocess *bus_daemon;
  GSubprocess *daemon;
  SkPn532Fixture *reader;
  GDBusConnection *conn;
  SkDBusKiosk1 *kiosk;
  GPtrArray *signals; /* Signal, in the order received */
  guint subscription;
} Fixture;

/* g_test_add()'s set-up and teardown: the temporary directory, the paced
 * PCM, the reader's fixture and the bus, with the test's connection on it
 * (the signals of the service's object recorded from then on). */
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);

/* Sets the gboolean at @data; a GSourceFunc. */
gboolean on_timeout (gpointer data);
/* Runs the main context until @done (polled after each iteration, so
 * something must wake it: a timer, a signal) or @seconds pass. */
gboolean spin_until (gboolean (*done) (Fixture *, gconstpointer),
                     Fixture *f,
                     gconstpointer data,
                     guint seconds);
/* A child setup: what a test starts dies with it, even when an assertion
 * aborts it before the teardown. */
void die_with_parent (gpointer data);
/* Kills a process this test started, and waits for it. */
void stop (GSubprocess **p);

/* A launcher for soundscaped or soundscape-ctl on the test's bus. */
GSubprocessLauncher *daemon_launcher (Fixture *f, GSubprocessFlags flags);
gboolean name_owned (Fixture *f, gconstpointer data);
/* soundscaped --session on the paced PCM (or @pcm), the fixture's reader
 * and the demo library (or @library), once its name is owned; the proxy
 * then follows it. */
void start_daemon_with (Fixture *f, const char *pcm_name, const char *library);
void start_daemon (Fixture *f);
/* Kills soundscaped (SIGKILL), waits until the bus has forgotten its name,
 * and starts it again on the same database. */
void restart_daemon (Fixture *f);

/* A method call of the interface: its reply, or NULL with @error. */
GVariant *call (Fixture *f, const char *method, GVariant *args, GError **error);
/* The call fails with the D-Bus error @name and a sentence. */
void assert_refused (Fixture *f, const char *method, GVariant *args, const char *name);

typedef struct
{
  char *result;
  char *ticket;
  char *listener_id;
  char *name;
  gint64 until;
  char *message;
} Tap;

void tap_clear (Tap *t);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tap, tap_clear)
/* Tap() over the bus, which must answer. */
void tap (Fixture *f, const char *uid, Tap *out);

/* The first signal @member received since @from whose arguments printed
 * hold @needle (NULL: any), waiting up to @seconds. */
Signal *wait_signal (Fixture *f, guint from, const char *member, const char *needle, guint seconds);
/* Waits (up to 20 s) until a track plays. */
void wait_playing (Fixture *f);

/* soundscape-ctl with @args (NULL-terminated) on this test's bus; its exit
 * status, with stdout and stderr together in @out. */
int run_ctl (Fixture *f, char **out, const char *first, ...) G_GNUC_NULL_TERMINATED;
