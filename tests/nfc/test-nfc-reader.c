/* SkNfcReader against the real libnfc and a PN532 played on a
 * pseudo-terminal (pn532-fixture): taps reach a real SkEngine on a
 * database in a scratch directory, and the reader survives a chip that
 * dies, answers garbage or falls silent. Every wait is bounded. */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "sk-nfc-reader.h"
#include "sk-pn532-fixture.h"
#include "sk-test-util.h"

#define CLASSIC4 "DEADBEEF"
#define CLASSIC7 "04A1B2C3D4E5F6"
#define WAIT_MS 2000 /* for anything the reader does within one poll */

/* The reader's log lines (from its thread): counted, never fatal. */
static gint n_reader_warnings;
static GMutex log_lock;
static char *last_reader_warning;

typedef struct
{
  char *dir;
  SkPn532Fixture *chip;
  SkStore *store;
  SkEngine *engine;
  SkNfcReader *reader;
  guint ticker;

  GPtrArray *taps; /* "UID ATQA SAK" */
  guint removed;
  GArray *statuses; /* SkNfcStatus, each change */
  SkTestEngineCounts counts;
} Fixture;

/* Runs the main context for @ms; the ticker wakes it every 10 ms. */
#define RUN_FOR(ms)                                                  \
  G_STMT_START                                                       \
  {                                                                  \
    gint64 run_end_ = g_get_monotonic_time () + (gint64) (ms) *1000; \
    while (g_get_monotonic_time () < run_end_)                       \
      g_main_context_iteration (NULL, TRUE);                         \
  }                                                                  \
  G_STMT_END

/* Runs the main context until @cond holds or @ms pass (scaled for a slow
 * build: sk_test_scale_ms). The caller asserts @cond after it. */
#define WAIT_UNTIL(cond, ms)                                                            \
  G_STMT_START                                                                          \
  {                                                                                     \
    gint64 wait_end_ = g_get_monotonic_time () + (gint64) sk_test_scale_ms (ms) * 1000; \
    while (!(cond) && g_get_monotonic_time () < wait_end_)                              \
      g_main_context_iteration (NULL, TRUE);                                            \
  }                                                                                     \
  G_STMT_END

static gboolean
keep_ticking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
on_tap (SkNfcReader *reader, const char *uid, guint atqa, guint sak, gint64 time, Fixture *f)
{
  g_assert_cmpint (time, >, 0);
  g_ptr_array_add (f->taps, g_strdup_printf ("%s %04X %02X", uid, atqa, sak));
}

static void
on_removed (SkNfcReader *reader, const char *uid, Fixture *f)
{
  f->removed++;
}

static void
on_status (SkNfcReader *reader, Fixture *f)
{
  SkNfcStatus s = sk_nfc_reader_get_status (reader);

  g_array_append_val (f->statuses, s);
}

/* Only the throttle refuses a tap here (sk_test_count_engine counts them). */
static void
on_refused (SkEngine *engine, const char *uid, const char *reason, Fixture *f)
{
  g_assert_cmpstr (reason, ==, "throttled");
}

static gboolean
reader_warnings_not_fatal (const char *domain,
                           GLogLevelFlags level,
                           const char *message,
                           gpointer data)
{
  return g_strcmp0 (domain, "sk-nfc") != 0;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *link = NULL;

  f->dir = sk_test_mkdtemp ();
  link = g_build_filename (f->dir, "pn532", NULL);
  f->chip = sk_pn532_fixture_start (link, &error);
  g_assert_no_error (error);

  f->engine = sk_test_engine_new (f->dir, NULL); /* on the real clock */
  f->store = sk_engine_get_store (f->engine);
  sk_test_count_engine (f->engine, &f->counts);
  g_signal_connect (f->engine, "tap-refused", G_CALLBACK (on_refused), f);

  f->taps = g_ptr_array_new_with_free_func (g_free);
  f->statuses = g_array_new (FALSE, FALSE, sizeof (SkNfcStatus));
  f->ticker = g_timeout_add (10, keep_ticking, NULL);

  f->reader = sk_nfc_reader_new (sk_pn532_fixture_connstring (f->chip));
  sk_nfc_reader_attach_engine (f->reader, f->engine);
  g_signal_connect (f->reader, "tap", G_CALLBACK (on_tap), f);
  g_signal_connect (f->reader, "removed", G_CALLBACK (on_removed), f);
  g_signal_connect (f->reader, "status-changed", G_CALLBACK (on_status), f);

  g_atomic_int_set (&n_reader_warnings, 0);
  /* the test framework resets this for each test */
  g_test_log_set_fatal_handler (reader_warnings_not_fatal, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reader);
  g_clear_handle_id (&f->ticker, g_source_remove);
  g_clear_object (&f->engine);
  g_clear_pointer (&f->chip, sk_pn532_fixture_free);
  /* what the engine and the reader left on the context */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->taps);
  g_array_unref (f->statuses);
}

static void
chip (Fixture *f, const char *command)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sk_pn532_fixture_command (f->chip, &error, "%s", command);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
}

/* Waits (@ms at most) for the reader's status to be @status. */
static void
wait_status (Fixture *f, SkNfcStatus status, guint ms)
{
  WAIT_UNTIL (sk_nfc_reader_get_status (f->reader) == status, ms);
  g_assert_cmpint (sk_nfc_reader_get_status (f->reader), ==, status);
}

/* Waits for the engine's @n-th check-in. */
static void
wait_checked_in (Fixture *f, guint n)
{
  WAIT_UNTIL (f->counts.checked_in == n, WAIT_MS);
  g_assert_cmpuint (f->counts.checked_in, ==, n);
}

/* The chip dies and its device goes (as a USB serial adapter's does when
 * pulled out; a stale link could meet the pty number reused by another
 * test's fixture): the reader says it is absent. */
static void
unplug (Fixture *f)
{
  g_autofree char *link = g_build_filename (f->dir, "pn532", NULL);

  sk_pn532_fixture_kill (f->chip);
  g_unlink (link);
  wait_status (f, SK_NFC_STATUS_ABSENT, 2000);
}

/* Back on the same link: the reader reconnects. */
static void
replug (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_pn532_fixture_restart (f->chip, &error));
  g_assert_no_error (error);
  wait_status (f, SK_NFC_STATUS_READY, 5000);
}

static void
start_reader (Fixture *f)
{
  sk_nfc_reader_start (f->reader);
  wait_status (f, SK_NFC_STATUS_READY, 5000);
  g_assert_nonnull (strstr (sk_nfc_reader_get_model (f->reader), "PN532"));
}

static void
enroll (Fixture *f, const char *uid)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = sk_engine_enroll (f->engine, uid, "Rain Lover", NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
}

static int
count (Fixture *f, const char *sql)
{
  return sk_test_query_int (f->store, sql);
}

static gboolean
saw_status (Fixture *f, SkNfcStatus status)
{
  for (guint i = 0; i < f->statuses->len; i++)
    if (g_array_index (f->statuses, SkNfcStatus, i) == status)
      return TRUE;
  return FALSE;
}

/* Presents a card and waits for the tap it gives. */
static void
present_and_tap (Fixture *f, const char *kind, const char *uid)
{
  g_autofree char *command = g_strdup_printf ("present %s %s", kind, uid);
  guint before = f->taps->len;

  chip (f, command);
  WAIT_UNTIL (f->taps->len > before, WAIT_MS);
  g_assert_cmpuint (f->taps->len, ==, before + 1);
}

/* Held for @ms: still the one tap. */
static void
assert_held (Fixture *f, guint ms)
{
  RUN_FOR (ms);
  g_assert_cmpuint (f->taps->len, ==, 1);
}

static void
remove_card (Fixture *f)
{
  guint before = f->removed;

  chip (f, "remove");
  WAIT_UNTIL (f->removed > before, WAIT_MS);
  g_assert_cmpuint (f->removed, ==, before + 1);
}

/* --- taps --------------------------------------------------------------- */

static void
test_one_tap_held (Fixture *f, gconstpointer data)
{
  enroll (f, CLASSIC4);
  start_reader (f);

  present_and_tap (f, "classic4", CLASSIC4);
  g_assert_cmpstr (f->taps->pdata[0], ==, CLASSIC4 " 0004 08");
  wait_checked_in (f, 1);

  /* held for three seconds: still one tap, one check-in */
  assert_held (f, 3000);
  g_assert_cmpuint (f->counts.checked_in, ==, 1);
  g_assert_cmpuint (f->removed, ==, 0);

  /* taken away and presented again: a second tap extends the visit */
  remove_card (f);
  present_and_tap (f, "classic4", CLASSIC4);
  wait_checked_in (f, 2);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&n_reader_warnings), ==, 0);
}

static void
test_classic7 (Fixture *f, gconstpointer data)
{
  start_reader (f);
  present_and_tap (f, "classic7", CLASSIC7);
  g_assert_cmpstr (f->taps->pdata[0], ==, CLASSIC7 " 0044 08");
  WAIT_UNTIL (f->counts.unknown == 1, WAIT_MS);
  g_assert_cmpuint (f->counts.unknown, ==, 1); /* nobody has it: the join flow */
  assert_held (f, 500);
  remove_card (f);

  /* a card swapped for another is a tap of the other */
  present_and_tap (f, "classic4", CLASSIC4);
  chip (f, "present classic7 " CLASSIC7);
  WAIT_UNTIL (f->taps->len == 3, WAIT_MS);
  g_assert_cmpuint (f->taps->len, ==, 3);
  g_assert_cmpstr (f->taps->pdata[2], ==, CLASSIC7 " 0044 08");
}

static void
test_ultralight (Fixture *f, gconstpointer data)
{
  start_reader (f);
  present_and_tap (f, "ultralight", "04112233445566");
  g_assert_cmpstr (f->taps->pdata[0], ==, "04112233445566 0044 00");
  /* held: the page-0 reads say it is there */
  assert_held (f, 1000);
  remove_card (f);
  present_and_tap (f, "ultralight", "04112233445566");
}

static void
test_iso14443_4 (Fixture *f, gconstpointer data)
{
  start_reader (f);
  present_and_tap (f, "iso14443-4", "04C0FFEE");
  g_assert_cmpstr (f->taps->pdata[0], ==, "04C0FFEE 0004 20");
  assert_held (f, 1000);
  remove_card (f);
}

/* --- a reader that fails ------------------------------------------------ */

static void
test_fixture_killed (Fixture *f, gconstpointer data)
{
  enroll (f, CLASSIC4);
  start_reader (f);
  present_and_tap (f, "classic4", CLASSIC4);

  /* dies while the reader watches the card */
  unplug (f);
  g_assert_nonnull (sk_nfc_reader_get_message (f->reader));
  g_assert_cmpint (g_atomic_int_get (&n_reader_warnings), >=, 1);
  g_assert_false (saw_status (f, SK_NFC_STATUS_STARTING));

  /* back on the same link: reconnected, and taps work again */
  replug (f);
  present_and_tap (f, "classic4", CLASSIC4);
  wait_checked_in (f, 2);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);

  /* and again while the reader looks for a card */
  remove_card (f);
  unplug (f);
  replug (f);
  present_and_tap (f, "classic4", CLASSIC4);
  wait_checked_in (f, 3);
}

/* @mode garbles every answer: logged, the reader leaves READY and comes
 * back when the chip talks sense again. */
static void
check_recovers_from (Fixture *f, const char *mode)
{
  g_autofree char *command = g_strdup_printf ("mode %s", mode);

  start_reader (f);
  present_and_tap (f, "classic4", CLASSIC4);
  chip (f, command);
  WAIT_UNTIL (sk_nfc_reader_get_status (f->reader) != SK_NFC_STATUS_READY, WAIT_MS);
  g_assert_cmpint (sk_nfc_reader_get_status (f->reader), ==, SK_NFC_STATUS_ERROR);
  g_assert_cmpint (g_atomic_int_get (&n_reader_warnings), >=, 1);
  g_mutex_lock (&log_lock);
  g_test_message ("logged: %s", last_reader_warning);
  g_mutex_unlock (&log_lock);
  /* a while of it: the reader keeps trying, nothing crashes or hangs */
  RUN_FOR (1000);

  chip (f, "mode normal");
  wait_status (f, SK_NFC_STATUS_READY, 5000);
  remove_card (f);
  present_and_tap (f, "classic4", CLASSIC4);
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  check_recovers_from (f, "garbage");
}

static void
test_bad_checksum (Fixture *f, gconstpointer data)
{
  check_recovers_from (f, "bad-checksum");
}

static void
test_silent (Fixture *f, gconstpointer data)
{
  gint64 t0;

  start_reader (f);
  present_and_tap (f, "classic4", CLASSIC4);

  /* silent while a card is held: every command times out */
  chip (f, "mode silent");
  wait_status (f, SK_NFC_STATUS_ERROR, 3000);

  /* talks again: the reader finds it */
  chip (f, "mode normal");
  wait_status (f, SK_NFC_STATUS_READY, 5000);

  /* silent again, and stopped while a command waits for it */
  chip (f, "mode silent");
  RUN_FOR (100);
  t0 = g_get_monotonic_time ();
  sk_nfc_reader_stop (f->reader);
  g_test_message ("stop took %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  /* a hang, not a speed: the bound is twice what stop allows itself */
  g_assert_cmpint (g_get_monotonic_time () - t0, <,
                   (gint64) sk_test_scale_ms (2000) * G_TIME_SPAN_MILLISECOND);
}

static void
test_silent_at_start (Fixture *f, gconstpointer data)
{
  gint64 t0;

  /* a chip that never answers, from the start: libnfc's open waits on it */
  chip (f, "mode silent");
  sk_nfc_reader_start (f->reader);
  RUN_FOR (200);
  g_assert_cmpint (sk_nfc_reader_get_status (f->reader), ==, SK_NFC_STATUS_STARTING);
  t0 = g_get_monotonic_time ();
  sk_nfc_reader_stop (f->reader);
  g_test_message ("stop took %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <,
                   (gint64) sk_test_scale_ms (2000) * G_TIME_SPAN_MILLISECOND);

  /* nothing arrives after stop */
  RUN_FOR (300);
  g_assert_cmpuint (f->statuses->len, ==, 0);
}

/* --- throttling --------------------------------------------------------- */

static void
test_throttle (Fixture *f, gconstpointer data)
{
  gint64 t0;

  enroll (f, CLASSIC4);
  start_reader (f);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < 20; i++)
    {
      present_and_tap (f, "classic4", CLASSIC4);
      remove_card (f);
      g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), <=, 1);
    }
  g_test_message ("20 taps in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  /* all within the limit's minute, or what follows is not about the limit
   * (a build many times slower than a plain one may not manage) */
  if (g_get_monotonic_time () - t0 >= 60 * G_USEC_PER_SEC)
    {
      g_test_skip ("the 20 taps took longer than the tap limit's minute on this build");
      return;
    }
  WAIT_UNTIL (f->counts.checked_in + f->counts.refused == 20, WAIT_MS);
  g_assert_cmpuint (f->taps->len, ==, 20);
  g_assert_cmpuint (f->counts.checked_in, ==, 6);
  g_assert_cmpuint (f->counts.refused, ==, 14);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM sessions WHERE status = 'active'"), ==, 1);
}

/* --- soundscape-ctl nfc-test -------------------------------------------- */

static void
on_ctl_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static void
test_ctl_nfc_test (Fixture *f, gconstpointer data)
{
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  chip (f, "present classic7 " CLASSIC7);
  proc = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error, ctl, "nfc-test", "--device",
                                 sk_pn532_fixture_connstring (f->chip), "--count", "1", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_ctl_done, &result);
  WAIT_UNTIL (result != NULL, 10000);
  if (result == NULL)
    {
      g_subprocess_force_exit (proc);
      WAIT_UNTIL (result != NULL, 2000);
      g_assert_not_reached ();
    }
  g_assert_true (g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("soundscape-ctl nfc-test said:\n%s%s", out, err);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "PN532"));
  g_assert_nonnull (strstr (out, "UID " CLASSIC7 "  ATQA 0044  SAK 08"));
}

static guint
chip_polls (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stats = sk_pn532_fixture_command (f->chip, &error, "stats");
  const char *p;

  g_assert_no_error (error);
  p = strstr (stats, "polls=");
  g_assert_nonnull (p);
  return (guint) g_ascii_strtoull (p + 6, NULL, 10);
}

static void
test_ctl_nfc_test_ctrl_c (Fixture *f, gconstpointer data)
{
  g_autofree char *ctl = sk_test_ctl_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  proc = sk_test_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                 &error, ctl, "nfc-test", "--device",
                                 sk_pn532_fixture_connstring (f->chip), NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_ctl_done, &result);
  /* polling, and waiting for cards with no end: Ctrl-C ends it */
  WAIT_UNTIL (chip_polls (f) >= 3, 5000);
  g_assert_cmpuint (chip_polls (f), >=, 3);
  g_subprocess_send_signal (proc, SIGINT);
  WAIT_UNTIL (result != NULL, 5000);
  if (result == NULL)
    {
      g_subprocess_force_exit (proc);
      WAIT_UNTIL (result != NULL, 2000);
      g_assert_not_reached ();
    }
  g_assert_true (g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (out, "Present a card"));
  g_assert_null (strstr (out, "UID"));
}

static void
test_ctl_nfc_test_no_reader (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "no-such-tty", NULL);
  g_autofree char *conn = g_strdup_printf ("pn532_uart:%s", missing);
  const char *argv[] = { "nfc-test", "--device", conn, "--count", "1", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (sk_test_run_ctl (argv, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "does not exist"));
}

static void
test_ctl_status (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "status", "--db", sk_store_get_path (f->store), NULL };
  g_autofree char *link = g_build_filename (f->dir, "pn532", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_true (
      sk_store_set_setting (f->store, "nfc_device", sk_pn532_fixture_connstring (f->chip), &error));
  g_assert_no_error (error);
  start_reader (f);
  /* what the kiosk reported, without opening the reader a second time */
  g_assert_cmpint (sk_test_run_ctl (argv, &out, &err), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Reader:    pn532_uart:"));
  g_assert_nonnull (strstr (out, "ready: pn532_uart:"));
  g_assert_nonnull (strstr (out, "PN532 v1.6"));

  sk_pn532_fixture_kill (f->chip);
  g_unlink (link);
  WAIT_UNTIL (sk_nfc_reader_get_status (f->reader) != SK_NFC_STATUS_READY, WAIT_MS);
  g_assert_cmpint (sk_nfc_reader_get_status (f->reader), !=, SK_NFC_STATUS_READY);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (sk_test_run_ctl (argv, &out, &err), ==, 0);
  g_assert_null (strstr (out, "ready"));
}

/* --- main --------------------------------------------------------------- */

static void
reader_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  if (level & G_LOG_LEVEL_WARNING)
    {
      g_atomic_int_inc (&n_reader_warnings);
      g_mutex_lock (&log_lock);
      g_free (last_reader_warning);
      last_reader_warning = g_strdup (message);
      g_mutex_unlock (&log_lock);
    }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* libnfc: no USB bus scan noise; its own errors go to stderr */
  g_setenv ("LIBNFC_AUTO_SCAN", "false", TRUE);
  g_log_set_handler ("sk-nfc", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_FLAG_FATAL,
                     reader_log, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/nfc/reader/one-tap-held", test_one_tap_held);
  ADD ("/nfc/reader/classic7", test_classic7);
  ADD ("/nfc/reader/ultralight", test_ultralight);
  ADD ("/nfc/reader/iso14443-4", test_iso14443_4);
  ADD ("/nfc/reader/fixture-killed", test_fixture_killed);
  ADD ("/nfc/reader/garbage", test_garbage);
  ADD ("/nfc/reader/bad-checksum", test_bad_checksum);
  ADD ("/nfc/reader/silent", test_silent);
  ADD ("/nfc/reader/silent-at-start", test_silent_at_start);
  ADD ("/nfc/throttle", test_throttle);
  ADD ("/nfc/ctl/nfc-test", test_ctl_nfc_test);
  ADD ("/nfc/ctl/nfc-test-without-reader", test_ctl_nfc_test_no_reader);
  ADD ("/nfc/ctl/nfc-test-stops-on-ctrl-c", test_ctl_nfc_test_ctrl_c);
  ADD ("/nfc/ctl/status-shows-the-reader", test_ctl_status);
#undef ADD

  rc = g_test_run ();
  g_free (last_reader_warning);
  return rc;
}
