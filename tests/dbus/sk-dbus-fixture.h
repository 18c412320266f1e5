/* sk-dbus-fixture.h: what the tests of org.soundscape.Kiosk1 share: a
 * private dbus-daemon, the real soundscaped on it with --session (the demo
 * library on a fresh database, the paced test PCM, the PN532 fixture as its
 * reader), a connection of the test's own recording the object's signals,
 * and the calls and waits the tests make. Every wait is bounded; only the
 * processes started here are stopped, by pid. */
#pragma once

#include <gio/gio.h>

#include "sk-kiosk-dbus.h"
#include "sk-pn532-fixture.h"

G_BEGIN_DECLS

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

/* g_test_add's set-up and tear-down: the bus and the reader, no daemon
 * yet; the tear-down stops what was started. */
void fixture_setup (Fixture *f, gconstpointer data);
void fixture_teardown (Fixture *f, gconstpointer data);

/* A GSourceFunc setting the gboolean @data to TRUE. */
gboolean on_timeout (gpointer data);
/* Runs the main context until @done (polled after each iteration, so
 * something must wake it: a timer, a signal) or @seconds pass, stretched
 * by SK_TEST_TIME_FACTOR (sk_test_scale_ms): every wait below is bounded
 * so. */
gboolean spin_until (gboolean (*done) (Fixture *, gconstpointer),
                     Fixture *f,
                     gconstpointer data,
                     guint seconds);
/* A launcher for a program on the test's bus (the reader's libnfc
 * quiet, no notify socket). */
GSubprocessLauncher *daemon_launcher (Fixture *f, GSubprocessFlags flags);
gboolean name_owned (Fixture *f, gconstpointer data);
/* soundscaped --session on the paced PCM (or @pcm), the fixture's reader
 * and the demo library (or @library), once its name is owned; the proxy
 * f->kiosk then follows it. */
void start_daemon_with (Fixture *f, const char *pcm, const char *library);
/* The same with the options @extra (NULL-terminated; NULL: none) after
 * those. */
void start_daemon_full (Fixture *f, const char *pcm, const char *library, const char *const *extra);
/* soundscaped as on a kiosk, with no demo, on the database a start before
 * made (the demo's library and badges are in it); otherwise as
 * start_daemon_with. */
void start_daemon_plain (Fixture *f, const char *pcm);
void start_daemon (Fixture *f);
/* Kills soundscaped (SIGKILL), waits until the bus has forgotten its name,
 * and starts it again on the same database. */
void restart_daemon (Fixture *f);
/* The same, started again with no demo (start_daemon_plain). */
void restart_daemon_plain (Fixture *f);

/* A method call of the interface: its reply, or NULL with @error. */
GVariant *call (Fixture *f, const char *method, GVariant *args, GError **error);
/* A call that must succeed: its reply (call_get), or nothing (call_ok). */
GVariant *call_get (Fixture *f, const char *method, GVariant *args);
void call_ok (Fixture *f, const char *method, GVariant *args);
/* The admin page unlocked by the PIN @pin, which is set first when none is
 * (first boot). */
void unlock_admin (Fixture *f, const char *pin);

/* The property @name as soundscaped has it now: a Get, not the proxy's
 * cache (which follows PropertiesChanged, sent from an idle). */
GVariant *property_now (Fixture *f, const char *name);

/* Pause over the bus (the admin page unlocked), then wait until the
 * output holds still: Position, which soundscaped refreshes every second
 * while a song is current, read twice over 2.5 s, is the same. The output
 * writes one more period while its volume ramps down, and a track may
 * start in it (a play recorded, the queue moved); once it holds still
 * every such start has been dealt with, and nothing moves until Resume. */
void pause_still (Fixture *f);

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
/* Tap() over the bus; the call must succeed. */
void tap (Fixture *f, const char *uid, Tap *out);

/* The first signal @member received since index @from whose arguments
 * printed hold @needle (NULL: any), waiting up to @seconds. */
Signal *wait_signal (Fixture *f, guint from, const char *member, const char *needle, guint seconds);
/* The last signal @member received, or NULL. */
Signal *last_signal (Fixture *f, const char *member);
void wait_playing (Fixture *f);
/* Whether AudioStatus's status is the string @status. */
gboolean audio_is (Fixture *f, gconstpointer status);
gboolean reader_ready (Fixture *f, gconstpointer data);
/* Whether the Listeners property names @name. */
gboolean has_listener (Fixture *f, gconstpointer name);
gboolean has_no_listener (Fixture *f, gconstpointer name);

/* soundscape-ctl with @first... (NULL-terminated) on this test's bus; its
 * exit status, with stdout and stderr together in @out. */
int run_ctl (Fixture *f, char **out, const char *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
