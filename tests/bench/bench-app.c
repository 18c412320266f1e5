/* bench-app.c: the kiosk's screen as a listener feels it, on the parts the
 * screen's tests use (tests/app/sk-app-test.h): one Xvfb, a private
 * dbus-daemon, the real soundscaped on it (a fresh database, the demo
 * library, the paced test PCM in real time, the PN532 fixture as its
 * reader, the tap limit off), all at 800×480.
 *
 *   cold start     soundscape-kiosk started until the paint of its first
 *                  frame with the engine's content (the page "playing"),
 *                  median of N_STARTS starts; the process tells when
 *                  (SK_KIOSK_FRAME_LOG, docs/DESIGN.md "The screen").
 *                  Baseline: an empty GTK window (sk-bench-empty-window)
 *                  started the same way, in turns with it. Budget < 1 s.
 *   tap → welcome  a listener's tap until the paint of the first frame
 *                  that shows the welcome (the frame clock's after-paint;
 *                  the page then fades in for 150 ms more), over D-Bus
 *                  Tap and on the PN532 fixture, p50 and p99, from the
 *                  now-playing page each time. The window is the real
 *                  SkWindow in this process, as in the screen's tests.
 *                  Baseline: a Properties.Get round trip to the engine.
 *   resident set   soundscape-kiosk's VmRSS 2 s after its first frame,
 *                  and after N_MEM_TAPS taps over D-Bus (a listener's
 *                  welcome and an unknown badge's offer to join in turns,
 *                  each waited for). Baseline: the empty window's VmRSS.
 *
 * Times only ever print; the program fails only when something does not
 * work (a page never drawn, a process that cannot start). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <gtk/gtk.h>

#include "sk-app-test.h"
#include "sk-bench-util.h"
#include "sk-test-util.h"

#define N_STARTS 5
#define N_GET 300
#define N_TAPS 30
#define N_MEM_TAPS 40

static const Size size = { 800, 480 };
#define SIZE_ARG "800x480"

/* --- a screen in a process of its own ------------------------------------ */

typedef struct
{
  char page[32];
  gint64 at; /* µs, CLOCK_MONOTONIC */
} Frame;

/* A process that writes "NAME: frame PAGE TIME" lines on stderr. */
typedef struct
{
  const char *name;
  GSubprocess *proc;
  GDataInputStream *err;
  GCancellable *cancellable;
  GArray *frames; /* Frame, in the order written */
  gint64 spawned; /* µs, CLOCK_MONOTONIC */
  gboolean eof;
} Child;

static void read_line (Child *c);

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, &error);
  Child *c = data;
  const char *at;
  Frame frame = { 0 };

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* @c is gone */
  if (line == NULL)
    {
      c->eof = TRUE;
      return;
    }
  at = strstr (line, ": frame ");
  if (at != NULL &&
      sscanf (at + strlen (": frame "), "%31s %" G_GINT64_FORMAT, frame.page, &frame.at) == 2)
    g_array_append_val (c->frames, frame);
  else if (strstr (line, "connected to the engine") == NULL)
    printf ("  [%s] %s\n", c->name, line);
  read_line (c);
}

static void
read_line (Child *c)
{
  g_data_input_stream_read_line_async (c->err, G_PRIORITY_DEFAULT, c->cancellable, on_line, c);
}

/* @argv started on the test's bus and display, its frames logged. */
static Child *
spawn (Screen *s, const char *name, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = daemon_launcher (&s->base,
                                                              G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GError) error = NULL;
  Child *c = g_new0 (Child, 1);

  g_subprocess_launcher_setenv (launcher, "SK_KIOSK_FRAME_LOG", "1", TRUE);
  c->name = name;
  c->frames = g_array_new (FALSE, TRUE, sizeof (Frame));
  c->cancellable = g_cancellable_new ();
  c->spawned = g_get_monotonic_time ();
  c->proc = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (c->proc == NULL)
    g_error ("%s: %s", argv[0], error->message);
  c->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (c->proc));
  read_line (c);
  return c;
}

static Child *
spawn_kiosk (Screen *s)
{
  const char *argv[] = { g_getenv ("SK_KIOSK"), "--session", "--windowed", SIZE_ARG,
                         "--dim-after",         "0",         NULL };

  return spawn (s, "soundscape-kiosk", argv);
}

static Child *
spawn_empty (Screen *s)
{
  const char *argv[] = { g_getenv ("SK_EMPTY_WINDOW"), SIZE_ARG, NULL };

  return spawn (s, "sk-bench-empty-window", argv);
}

typedef struct
{
  Child *child;
  const char *page;
  guint from;
  gint64 at;
} FrameWait;

static gboolean
frame_seen (Screen *s, gconstpointer data)
{
  FrameWait *w = (FrameWait *) data;

  for (guint i = w->from; i < w->child->frames->len; i++)
    {
      const Frame *frame = &g_array_index (w->child->frames, Frame, i);

      if (g_str_equal (frame->page, w->page))
        {
          w->at = frame->at;
          return TRUE;
        }
    }
  return w->child->eof;
}

/* The time of the first frame of @page that @c wrote after its first
 * @from frames, waiting up to @seconds; -1 when none came. */
static gint64
wait_frame (Screen *s, Child *c, const char *page, guint from, guint seconds)
{
  FrameWait w = { c, page, from, -1 };

  wait_until (s, frame_seen, &w, seconds);
  return w.at;
}

static gint64
resident_kb (Child *c)
{
  return sk_bench_status_kb ((GPid) g_ascii_strtoll (g_subprocess_get_identifier (c->proc), NULL,
                                                     10),
                             "VmRSS:");
}

static gboolean
exited (Screen *s, gconstpointer data)
{
  return *(const gboolean *) data;
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) data = TRUE;
}

/* SIGTERM, then (after 5 s) SIGKILL; reaped. */
static void
stop_child (Screen *s, Child *c)
{
  gboolean done = FALSE;

  g_cancellable_cancel (c->cancellable);
  g_subprocess_send_signal (c->proc, SIGTERM);
  g_subprocess_wait_async (c->proc, NULL, on_exited, &done);
  if (!wait_until (s, exited, &done, 5))
    {
      g_subprocess_force_exit (c->proc);
      wait_until (s, exited, &done, 5);
    }
  g_object_unref (c->err);
  g_object_unref (c->proc);
  g_object_unref (c->cancellable);
  g_array_unref (c->frames);
  g_free (c);
}

/* --- cold start ----------------------------------------------------------- */

/* ms from the start of @c until its frame of @page, or -1. */
static double
start_ms (Screen *s, Child *c, const char *page)
{
  gint64 at = wait_frame (s, c, page, 0, 20);

  if (!sk_bench_check (at > 0, "the screen draws its first frame within 20 s"))
    return -1;
  return (double) (at - c->spawned) / 1000.0;
}

static void
bench_cold_start (Screen *s)
{
  double app[N_STARTS], empty[N_STARTS], any[N_STARTS];
  double app_p50, empty_p50;

  for (guint i = 0; i < N_STARTS; i++)
    {
      Child *e = spawn_empty (s), *k;

      empty[i] = start_ms (s, e, "empty");
      stop_child (s, e);
      k = spawn_kiosk (s);
      app[i] = start_ms (s, k, "playing");
      any[i] = k->frames->len > 0
                   ? (double) (g_array_index (k->frames, Frame, 0).at - k->spawned) / 1000.0
                   : -1;
      printf ("start %u: empty window %.1f ms; soundscape-kiosk first frame %.1f ms (%s), "
              "what plays %.1f ms\n",
              i + 1, empty[i], any[i],
              k->frames->len > 0 ? g_array_index (k->frames, Frame, 0).page : "-", app[i]);
      stop_child (s, k);
      if (app[i] < 0 || empty[i] < 0)
        return;
    }
  app_p50 = sk_bench_quantile (app, N_STARTS, 0.5);
  empty_p50 = sk_bench_quantile (empty, N_STARTS, 0.5);
  printf ("cold start to the first frame of what plays, median of %u: %.1f ms; an empty GTK "
          "window's first frame %.1f ms (%.1f×); budget < 1000 ms\n",
          N_STARTS, app_p50, empty_p50, app_p50 / empty_p50);
  sk_bench_report ("soundscape-kiosk start → first frame of what plays (median of 5; baseline: "
                   "an empty GTK window's first frame)",
                   app_p50, "ms", empty_p50, "< 1000 ms");
}

/* --- resident memory ------------------------------------------------------- */

static void
bench_memory (Screen *s)
{
  Child *e = spawn_empty (s), *k;
  gint64 empty_kb, start_kb, taps_kb;
  guint n_taps = 0;

  sk_bench_check (wait_frame (s, e, "empty", 0, 20) > 0, "the empty window is drawn");
  linger (s, 2);
  empty_kb = resident_kb (e);
  stop_child (s, e);

  k = spawn_kiosk (s);
  if (!sk_bench_check (wait_frame (s, k, "playing", 0, 20) > 0, "the screen shows what plays"))
    {
      stop_child (s, k);
      return;
    }
  linger (s, 2);
  start_kb = resident_kb (k);
  for (; n_taps < N_MEM_TAPS; n_taps++)
    {
      /* a listener's welcome and an unknown badge's offer to join in turns
       * (the demo engine hands a Tap call's ticket to the screen): each tap
       * a page of its own, drawn before the next */
      gboolean known = n_taps % 2 == 0;
      guint from = k->frames->len;

      call_ok (&s->base, "Tap", g_variant_new ("(s)", known ? RAIN_LOVER : NEW_BADGE));
      if (!sk_bench_check (wait_frame (s, k, known ? "welcome" : "join", from, 5) > 0,
                           "each tap's page is drawn within 5 s"))
        break;
    }
  linger (s, 2);
  taps_kb = resident_kb (k);
  stop_child (s, k);
  if (!sk_bench_check (empty_kb > 0 && start_kb > 0 && taps_kb > 0, "/proc/PID/status is read"))
    return;
  printf ("resident: soundscape-kiosk %.1f MB after start, %.1f MB after %u taps; an empty GTK "
          "window %.1f MB\n",
          start_kb / 1024.0, taps_kb / 1024.0, n_taps, empty_kb / 1024.0);
  sk_bench_report ("soundscape-kiosk resident 2 s after start (baseline: an empty GTK window)",
                   start_kb / 1024.0, "MB", empty_kb / 1024.0, NULL);
  {
    g_autofree char *figure = g_strdup_printf (
        "soundscape-kiosk resident after %u taps (baseline: an empty GTK window)", n_taps);

    sk_bench_report (figure, taps_kb / 1024.0, "MB", empty_kb / 1024.0, NULL);
  }
}

/* --- tap → welcome drawn ---------------------------------------------------- */

typedef struct
{
  Screen *screen;
  gint64 drawn; /* ns, 0 until the first frame of the welcome was painted */
  gboolean replied;
} Probe;

static void
on_after_paint (GdkFrameClock *clock, Probe *p)
{
  if (p->drawn == 0 && page_is (p->screen, "welcome"))
    p->drawn = sk_bench_now_ns ();
}

static gboolean
drawn (Screen *s, gconstpointer data)
{
  const Probe *p = data;

  return p->drawn != 0 && p->replied;
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              &error);

  sk_bench_check (reply != NULL, error ? error->message : "a reply");
  *(gboolean *) data = TRUE;
}

/* The engine asked on this process's connection, the main context
 * running meanwhile (as it does for the window's own calls). */
static void
call_async (Screen *s, const char *iface, const char *method, GVariant *args, gboolean *replied)
{
  *replied = FALSE;
  g_dbus_connection_call (s->base.conn, NAME, PATH, iface, method, args, NULL,
                          G_DBUS_CALL_FLAGS_NONE, 5000, NULL, on_reply, replied);
}

static gboolean
replied (Screen *s, gconstpointer data)
{
  return *(const gboolean *) data;
}

/* The welcome left for what plays ("Done" clicked at once: a screen
 * reader's click shows the press for 250 ms first), once the page stands
 * still. */
static gboolean
back_to_playing (Screen *s)
{
  GtkWidget *done = find_named_type (GTK_WIDGET (s->window), "Done", GTK_TYPE_BUTTON);

  if (!sk_bench_check (done != NULL && gtk_widget_is_drawable (done), "the welcome has “Done”"))
    return FALSE;
  g_signal_emit_by_name (done, "clicked");
  wait_page (s, "playing", 2);
  return sk_bench_check (wait_until (s, screen_settled, NULL, 5), "the page settles");
}

/* How many times the reader has polled the fixture for a card; -1 when
 * the fixture does not say. */
static gint64
reader_polls (Screen *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stats = sk_pn532_fixture_command (s->base.reader, &error, "stats");
  const char *at = stats ? strstr (stats, "polls=") : NULL;

  return at ? g_ascii_strtoll (at + strlen ("polls="), NULL, 10) : -1;
}

static gboolean
reader_polled_since (Screen *s, gconstpointer data)
{
  return reader_polls (s) > *(const gint64 *) data;
}

/* The badge taken away, and the reader polling again: it saw it go. */
static gboolean
remove_badge (Screen *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *gone = sk_pn532_fixture_command (s->base.reader, &error, "remove");
  gint64 polls = reader_polls (s);

  return sk_bench_check (gone != NULL && polls >= 0, "the fixture takes the badge away") &&
         sk_bench_check (wait_until (s, reader_polled_since, &polls, 5),
                         "the reader polls again after the badge went");
}

static void
report_taps (const char *what, double *samples, guint n, double base_p50, double base_p99)
{
  g_autofree char *p50_name = g_strdup_printf ("%s → welcome drawn p50 (baseline: Properties.Get)",
                                               what);
  g_autofree char *p99_name = g_strdup_printf ("%s → welcome drawn p99 (baseline: Properties.Get)",
                                               what);
  double p50 = sk_bench_quantile (samples, n, 0.5) / 1e6;
  double p99 = sk_bench_quantile (samples, n, 0.99) / 1e6;

  printf ("%s → welcome drawn over %u taps: p50 %.2f ms, p99 %.2f ms (Properties.Get p50 %.3f, "
          "p99 %.3f ms)\n",
          what, n, p50, p99, base_p50, base_p99);
  sk_bench_report (p50_name, p50, "ms", base_p50, NULL);
  sk_bench_report (p99_name, p99, "ms", base_p99, NULL);
}

static void
bench_taps (Screen *s)
{
  double get[N_GET], bus[N_TAPS], reader[N_TAPS];
  double get_p50, get_p99;
  guint n_bus = 0, n_reader = 0;
  Probe p = { s, 0, FALSE };
  GdkFrameClock *clock;
  gulong handler;

  screen_open_window (s, &size);
  if (!sk_bench_check (wait_until (s, now_playing_shown, NULL, 20), "the window shows what plays"))
    return;
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (s->window));
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &p);

  /* the baseline: a bare round trip to the engine */
  for (guint i = 0; i < N_GET; i++)
    {
      gboolean done;
      gint64 t0 = sk_bench_now_ns ();

      call_async (s, "org.freedesktop.DBus.Properties", "Get",
                  g_variant_new ("(ss)", IFACE, "PlayerName"), &done);
      sk_bench_check (wait_until (s, replied, &done, 5), "Properties.Get answers");
      get[i] = (double) (sk_bench_now_ns () - t0);
    }
  get_p50 = sk_bench_quantile (get, N_GET, 0.5) / 1e6;
  get_p99 = sk_bench_quantile (get, N_GET, 0.99) / 1e6;

  /* Tap over the bus (another client's: the welcome asks for the reader
   * to vote) */
  for (; n_bus < N_TAPS; n_bus++)
    {
      gint64 t0;

      p.drawn = 0;
      t0 = sk_bench_now_ns ();
      call_async (s, IFACE, "Tap", g_variant_new ("(s)", RAIN_LOVER), &p.replied);
      if (!sk_bench_check (wait_until (s, drawn, &p, 5), "a D-Bus tap's welcome is drawn in 5 s"))
        break;
      bus[n_bus] = (double) (p.drawn - t0);
      if (!back_to_playing (s))
        break;
    }

  /* the badge on the reader (a ticket: the welcome with its votes) */
  if (sk_bench_check (spin_until (reader_ready, &s->base, NULL, 10), "the reader is ready"))
    for (; n_reader < N_TAPS; n_reader++)
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *answer = NULL;
        gint64 t0;

        p.drawn = 0;
        p.replied = TRUE;
        t0 = sk_bench_now_ns ();
        answer = sk_pn532_fixture_command (s->base.reader, &error, "present classic4 %s",
                                           RAIN_LOVER);
        if (!sk_bench_check (answer != NULL, "the fixture presents the badge") ||
            !sk_bench_check (wait_until (s, drawn, &p, 5), "a reader's welcome is drawn in 5 s"))
          break;
        reader[n_reader] = (double) (p.drawn - t0);
        if (!remove_badge (s) || !back_to_playing (s))
          break;
      }
  g_signal_handler_disconnect (clock, handler);

  if (n_bus > 0)
    report_taps ("D-Bus Tap", bus, n_bus, get_p50, get_p99);
  if (n_reader > 0)
    report_taps ("PN532 badge", reader, n_reader, get_p50, get_p99);
}

int
main (int argc, char **argv)
{
  const char *no_limit[] = { "config", "tap_limit_per_minute", "0", NULL };
  const char *init[] = { "init", NULL };
  Screen s = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  if (!app_test_init (&argc, &argv))
    {
      printf ("bench-app: skipped: Xvfb is not installed (tools/install-deps --tests)\n");
      return 77;
    }
  fixture_setup (&s.base, NULL);
  sk_test_ctl_ok (s.base.db, init);
  sk_test_ctl_ok (s.base.db, no_limit);
  start_engine (&s);
  call_ok (&s.base, "SetPin", g_variant_new ("(s)", APP_PIN));
  wait_playing (&s.base);

  printf ("set up in %.1f s\n", (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  bench_cold_start (&s);
  printf ("cold starts done at %.1f s\n", (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  bench_memory (&s);
  printf ("memory done at %.1f s\n", (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  bench_taps (&s);

  screen_teardown (&s, NULL);
  printf ("bench-app: %.0f s\n", (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
  app_test_stop_xvfb ();
  return sk_bench_exit_status ();
}
