/* test-pn532-fixture.c: the PN532 fixture against the real libnfc.
 *
 * Every libnfc call runs in a thread of its own and the test waits for it
 * with a deadline: libnfc waits for some answers with no timeout at all
 * (InAutoPoll, and the ACK of any command sent with timeout 0), so a call
 * that hangs kills the fixture (the call then fails on the dead line) and
 * fails the test instead of hanging it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <nfc/nfc.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "sk-pn532-fixture.h"
#include "sk-test-util.h"

#define CALL_TIMEOUT_MS 3000

typedef struct
{
  char *dir;
  char *link;
  SkPn532Fixture *pn532;
  nfc_context *context;
  nfc_device *device;
  nfc_target target;
  nfc_target targets[4];
} Fixture;

static const nfc_modulation type_a = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };

/* ---- libnfc calls in a thread, waited for with a deadline ---------------- */

typedef int (*NfcCall) (Fixture *f, gconstpointer arg);

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean done;
  int result;
  Fixture *f;
  NfcCall call;
  gconstpointer arg;
  GThread *thread;
} Pending;

static gpointer
pending_thread (gpointer data)
{
  Pending *p = data;
  int result = p->call (p->f, p->arg);

  g_mutex_lock (&p->lock);
  p->result = result;
  p->done = TRUE;
  g_cond_signal (&p->cond);
  g_mutex_unlock (&p->lock);
  return NULL;
}

static Pending *
call_start (Fixture *f, NfcCall call, gconstpointer arg)
{
  Pending *p = g_new0 (Pending, 1);

  g_mutex_init (&p->lock);
  g_cond_init (&p->cond);
  p->f = f;
  p->call = call;
  p->arg = arg;
  p->thread = g_thread_new ("libnfc-call", pending_thread, p);
  return p;
}

static gboolean
pending_wait (Pending *p, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean done;

  g_mutex_lock (&p->lock);
  while (!p->done && g_cond_wait_until (&p->cond, &p->lock, deadline))
    ;
  done = p->done;
  g_mutex_unlock (&p->lock);
  return done;
}

/* Waits for the call; TRUE if it returned within @timeout_ms (stretched
 * by SK_TEST_TIME_FACTOR: a bound, not a timing). Either way the thread
 * is joined: a call still running then has its device killed. */
static gboolean
call_finish (Pending *p, int timeout_ms, int *result)
{
  gboolean in_time = pending_wait (p, (int) sk_test_scale_ms ((guint) timeout_ms));

  if (!in_time)
    {
      sk_pn532_fixture_kill (p->f->pn532);
      if (!pending_wait (p, (int) sk_test_scale_ms (5000)))
        g_error ("A libnfc call still hangs after its device died");
    }
  g_thread_join (p->thread);
  *result = p->result;
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->cond);
  g_free (p);
  return in_time;
}

static int
call (Fixture *f, NfcCall fn, gconstpointer arg)
{
  int result;

  if (!call_finish (call_start (f, fn, arg), CALL_TIMEOUT_MS, &result))
    g_error ("A libnfc call did not return within %d ms", CALL_TIMEOUT_MS);
  return result;
}

typedef struct
{
  guint8 poll_nr;
  guint8 period;
} PollArgs;

typedef struct
{
  const guint8 *uid;
  gsize len;
} Uid;

static int
do_open (Fixture *f, gconstpointer arg)
{
  f->device = nfc_open (f->context, sk_pn532_fixture_connstring (f->pn532));
  return f->device ? NFC_SUCCESS : NFC_EIO;
}

static int
do_close (Fixture *f, gconstpointer arg)
{
  nfc_close (f->device);
  f->device = NULL;
  return NFC_SUCCESS;
}

static int
do_init (Fixture *f, gconstpointer arg)
{
  return nfc_initiator_init (f->device);
}

static int
do_poll (Fixture *f, gconstpointer arg)
{
  const PollArgs *a = arg;
  memset (&f->target, 0, sizeof f->target);
  return nfc_initiator_poll_target (f->device, &type_a, 1, a->poll_nr, a->period, &f->target);
}

static int
do_list (Fixture *f, gconstpointer arg)
{
  memset (f->targets, 0, sizeof f->targets);
  return nfc_initiator_list_passive_targets (f->device, type_a, f->targets,
                                             G_N_ELEMENTS (f->targets));
}

static int
do_select (Fixture *f, gconstpointer arg)
{
  const Uid *uid = arg;
  memset (&f->target, 0, sizeof f->target);
  return nfc_initiator_select_passive_target (f->device, type_a, uid->uid, uid->len, &f->target);
}

static int
do_is_present (Fixture *f, gconstpointer arg)
{
  return nfc_initiator_target_is_present (f->device, NULL);
}

/* ---- set-up ------------------------------------------------------------------ */

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("sk-pn532-XXXXXX", &error);
  g_assert_no_error (error);
  f->link = g_build_filename (f->dir, "ttyPN532", NULL);
  f->pn532 = sk_pn532_fixture_start (f->link, &error);
  g_assert_no_error (error);
  nfc_init (&f->context);
  g_assert_nonnull (f->context);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->device)
    call (f, do_close, NULL);
  g_clear_pointer (&f->pn532, sk_pn532_fixture_free);
  nfc_exit (f->context);
  g_assert_false (g_file_test (f->link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->link);
  g_free (f->dir);
}

static void
command (Fixture *f, const char *line)
{
  g_autoptr (GError) error = NULL;

  g_free (sk_pn532_fixture_command (f->pn532, &error, "%s", line));
  g_assert_no_error (error);
}

static void
open_and_init (Fixture *f)
{
  g_assert_cmpint (call (f, do_open, NULL), ==, NFC_SUCCESS);
  g_assert_cmpint (call (f, do_init, NULL), ==, NFC_SUCCESS);
}

static guint64
stat_value (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stats = sk_pn532_fixture_command (f->pn532, &error, "stats");
  g_autofree char *key = g_strconcat (name, "=", NULL);
  const char *at;

  g_assert_no_error (error);
  at = strstr (stats, key);
  g_assert_nonnull (at);
  return g_ascii_strtoull (at + strlen (key), NULL, 10);
}

static void
assert_uid (const nfc_target *t, const char *hex)
{
  GString *got = g_string_new (NULL);

  g_assert_cmpint (t->nm.nmt, ==, NMT_ISO14443A);
  g_assert_cmpint (t->nm.nbr, ==, NBR_106);
  for (gsize i = 0; i < t->nti.nai.szUidLen; i++)
    g_string_append_printf (got, "%02X", t->nti.nai.abtUid[i]);
  g_assert_cmpstr (got->str, ==, hex);
  g_string_free (got, TRUE);
}

static void
assert_type (const nfc_target *t, guint8 atqa0, guint8 atqa1, guint8 sak)
{
  g_assert_cmphex (t->nti.nai.abtAtqa[0], ==, atqa0);
  g_assert_cmphex (t->nti.nai.abtAtqa[1], ==, atqa1);
  g_assert_cmphex (t->nti.nai.btSak, ==, sak);
}

/* ---- tests --------------------------------------------------------------------- */

static void
test_open (Fixture *f, gconstpointer data)
{
  g_autofree char *expected = g_strconcat ("pn532_uart:", f->link, NULL);
  char *info = NULL;

  g_assert_cmpstr (sk_pn532_fixture_connstring (f->pn532), ==, expected);
  g_assert_cmpint (sk_pn532_fixture_get_pid (f->pn532), >, 0);
  g_assert_true (g_file_test (f->link, G_FILE_TEST_IS_SYMLINK));

  open_and_init (f);
  g_assert_cmpstr (nfc_device_get_name (f->device), ==, expected);
  g_assert_cmpstr (nfc_device_get_connstring (f->device), ==, expected);
  g_assert_cmpint (nfc_device_get_information_about (f->device, &info), >=, 0);
  g_assert_nonnull (strstr (info, "PN532 v1.6"));
  nfc_free (info);
  g_assert_cmpuint (stat_value (f, "frames"), >, 5);
  g_assert_cmpuint (stat_value (f, "bad"), ==, 0);
}

typedef struct
{
  const char *present;
  const char *uid;
  guint8 atqa[2];
  guint8 sak;
  gsize ats_len;
} CardCase;

static const CardCase classic4 = { "classic4 DEADBEEF", "DEADBEEF", { 0x00, 0x04 }, 0x08, 0 };
static const CardCase classic7 = {
  "classic7 04112233445566", "04112233445566", { 0x00, 0x44 }, 0x08, 0
};
static const CardCase ultralight = {
  "ultralight 04A1B2C3D4E5F6", "04A1B2C3D4E5F6", { 0x00, 0x44 }, 0x00, 0
};
static const CardCase iso4 = {
  "iso14443-4 04010203040506", "04010203040506", { 0x03, 0x44 }, 0x20, 5
};

/* The fixture shows @card ("TYPE UIDHEX"). */
static void
present_card (Fixture *f, const char *card)
{
  g_autofree char *line = g_strconcat ("present ", card, NULL);

  command (f, line);
}

/* One poll finds the card @uid. */
static void
poll_finds (Fixture *f, const char *uid)
{
  PollArgs args = { 1, 1 };

  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  assert_uid (&f->target, uid);
}

/* @card is shown and one poll finds it. */
static void
present_and_poll (Fixture *f, const char *card, const char *uid)
{
  present_card (f, card);
  poll_finds (f, uid);
}

/* @t is of the type of the card @c, with its ATS. */
static void
assert_card_type (const nfc_target *t, const CardCase *c)
{
  assert_type (t, c->atqa[0], c->atqa[1], c->sak);
  g_assert_cmpuint (t->nti.nai.szAtsLen, ==, c->ats_len);
}

static void
test_poll_finds (Fixture *f, gconstpointer data)
{
  const CardCase *c = data;

  open_and_init (f);
  present_and_poll (f, c->present, c->uid);
  assert_card_type (&f->target, c);
  g_assert_cmpuint (stat_value (f, "polls"), ==, 1);
}

static void
test_list_finds (Fixture *f, gconstpointer data)
{
  const CardCase *c = data;

  open_and_init (f);
  g_assert_cmpint (call (f, do_list, NULL), ==, 0);
  present_card (f, c->present);
  g_assert_cmpint (call (f, do_list, NULL), ==, 1);
  assert_uid (&f->targets[0], c->uid);
  assert_card_type (&f->targets[0], c);
}

/* No card: the chip answers "none" after PollNr × types × Period × 150 ms,
 * here 1 × 2 × 1 (libnfc adds ISO14443-4 to MIFARE). */
static void
test_poll_no_card (Fixture *f, gconstpointer data)
{
  PollArgs args = { 1, 1 };

  open_and_init (f);
  g_assert_cmpint (call (f, do_poll, &args), ==, 0);
  g_assert_cmpint (call (f, do_poll, &args), ==, 0);
  g_assert_cmpuint (stat_value (f, "polls"), ==, 2);
}

/* An endless poll (PollNr FF) is answered when the card comes. */
static void
test_poll_card_arrives (Fixture *f, gconstpointer data)
{
  PollArgs args = { 0xFF, 1 };
  Pending *p;
  int result;

  open_and_init (f);
  p = call_start (f, do_poll, &args);
  g_assert_false (pending_wait (p, 300));
  command (f, "present classic4 CAFEF00D");
  g_assert_true (call_finish (p, CALL_TIMEOUT_MS, &result));
  g_assert_cmpint (result, ==, 1);
  assert_uid (&f->target, "CAFEF00D");
}

static void
test_select_by_uid (Fixture *f, gconstpointer data)
{
  static const guint8 right[] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };
  static const guint8 wrong[] = { 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x67 };
  Uid right_uid = { right, sizeof right };
  Uid wrong_uid = { wrong, sizeof wrong };

  open_and_init (f);
  command (f, "present classic7 04112233445566");
  g_assert_cmpint (call (f, do_select, &right_uid), ==, 1);
  assert_uid (&f->target, "04112233445566");
  /* nfc_initiator_init asked for endless retries: a chip that finds no such
   * card keeps looking, and libnfc gives up after its 300 ms. */
  g_assert_cmpint (call (f, do_select, &wrong_uid), ==, NFC_ETIMEOUT);
  g_assert_cmpint (nfc_device_set_property_bool (f->device, NP_INFINITE_SELECT, false), ==, 0);
  g_assert_cmpint (call (f, do_select, &wrong_uid), ==, 0);
  g_assert_cmpint (call (f, do_select, &right_uid), ==, 1);
}

static void
test_removal (Fixture *f, gconstpointer data)
{
  const CardCase *c = data;
  PollArgs args = { 1, 1 };

  open_and_init (f);
  present_card (f, c->present);
  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_SUCCESS);
  /* A card held on the reader is found by every poll: telling one tap
   * from a held card is the client's business. */
  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  assert_uid (&f->target, c->uid);
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_SUCCESS);
  command (f, "remove");
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_ETGRELEASED);
  /* No target is left to ask about. */
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_EINVARG);
  g_assert_cmpint (call (f, do_poll, &args), ==, 0);
  /* Back again: a new poll finds it. */
  present_and_poll (f, c->present, c->uid);
}

static void
test_swap (Fixture *f, gconstpointer data)
{
  PollArgs args = { 1, 1 };

  open_and_init (f);
  command (f, "present classic4 DEADBEEF");
  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  assert_uid (&f->target, "DEADBEEF");
  command (f, "present ultralight 04A1B2C3D4E5F6");
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_ETGRELEASED);
  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  assert_uid (&f->target, "04A1B2C3D4E5F6");
  command (f, "present ultralight 04000000000001");
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_ETGRELEASED);
  g_assert_cmpint (call (f, do_poll, &args), ==, 1);
  assert_uid (&f->target, "04000000000001");
}

/* A silent chip: commands with a timeout (all but InAutoPoll) fail with
 * NFC_ETIMEOUT; after it speaks again the next command works. */
static void
test_silent (Fixture *f, gconstpointer data)
{
  guint64 frames;

  open_and_init (f);
  command (f, "present classic4 DEADBEEF");
  g_assert_cmpint (call (f, do_list, NULL), ==, 1);
  command (f, "mode silent");
  frames = stat_value (f, "frames");
  g_assert_cmpint (call (f, do_is_present, NULL), ==, NFC_ETIMEOUT);
  g_assert_cmpint (call (f, do_list, NULL), ==, NFC_ETIMEOUT);
  g_assert_cmpint (nfc_device_get_last_error (f->device), ==, NFC_ETIMEOUT);
  g_assert_cmpint (call (f, do_init, NULL), ==, NFC_ETIMEOUT);
  g_assert_cmpuint (stat_value (f, "frames"), >, frames);
  command (f, "mode normal");
  g_assert_cmpint (call (f, do_list, NULL), ==, 1);
  assert_uid (&f->targets[0], "DEADBEEF");
}

/* A silent chip never acknowledges InAutoPoll, which libnfc sends with no
 * timeout, and nfc_abort_command does not reach a wait for an ACK: the
 * poll returns only when the device dies. */
static void
test_silent_poll_hangs (Fixture *f, gconstpointer data)
{
  PollArgs args = { 1, 1 };
  Pending *p;
  int result;

  open_and_init (f);
  /* A first poll flushes the register writes that nfc_initiator_init left
   * in libnfc's cache (sent with a timeout); the next is InAutoPoll alone. */
  g_assert_cmpint (call (f, do_poll, &args), ==, 0);
  command (f, "mode silent");
  p = call_start (f, do_poll, &args);
  g_assert_false (pending_wait (p, 500));
  g_assert_cmpint (nfc_abort_command (f->device), ==, NFC_SUCCESS);
  g_assert_false (pending_wait (p, 500));
  sk_pn532_fixture_kill (f->pn532);
  g_assert_true (call_finish (p, 2000, &result));
  g_assert_cmpint (result, ==, NFC_EIO);
}

static void
test_bad_checksum (Fixture *f, gconstpointer data)
{
  PollArgs args = { 1, 1 };

  open_and_init (f);
  command (f, "present classic4 DEADBEEF");
  command (f, "mode bad-checksum");
  g_assert_cmpint (call (f, do_poll, &args), ==, NFC_EIO);
  g_assert_cmpint (call (f, do_list, NULL), ==, NFC_EIO);
  g_assert_cmpint (nfc_device_get_last_error (f->device), ==, NFC_EIO);
  command (f, "mode normal");
  poll_finds (f, "DEADBEEF");
}

static void
test_garbage (Fixture *f, gconstpointer data)
{
  PollArgs args = { 1, 1 };

  open_and_init (f);
  command (f, "present classic4 DEADBEEF");
  command (f, "mode garbage");
  for (int i = 0; i < 5; i++)
    g_assert_cmpint (call (f, do_poll, &args), <, 0);
  g_assert_cmpint (call (f, do_list, NULL), <, 0);
  g_assert_cmpint (nfc_device_get_last_error (f->device), <, 0);
  command (f, "mode normal");
  poll_finds (f, "DEADBEEF");
}

/* nfc_abort_command on pn532_uart interrupts a wait for an answer (not for
 * the ACK): the poll returns NFC_EOPABORTED and libnfc sends the chip an
 * ACK, which drops the poll. An abort that comes before libnfc waits is
 * lost, hence the retries. */
static void
test_abort_poll (Fixture *f, gconstpointer data)
{
  PollArgs args = { 0xFF, 1 };
  Pending *p;
  int result;
  int tries = 0;

  open_and_init (f);
  p = call_start (f, do_poll, &args);
  do
    {
      g_assert_cmpint (nfc_abort_command (f->device), ==, NFC_SUCCESS);
      tries++;
    }
  while (!pending_wait (p, 100) && tries < 20);
  g_assert_true (call_finish (p, CALL_TIMEOUT_MS, &result));
  g_assert_cmpint (result, ==, NFC_EOPABORTED);
  /* The line works again. (This poll also orders the test's "present"
   * after the abort's ACK: a card presented before the chip saw the ACK
   * would answer the aborted poll, and that stale answer could reach the
   * next command.) */
  args.poll_nr = 1;
  g_assert_cmpint (call (f, do_poll, &args), ==, 0);
  present_and_poll (f, "classic4 DEADBEEF", "DEADBEEF");
}

/* Killed mid-poll, the device fails at once; the same connection string
 * opens again once the fixture is back. */
static void
test_kill_and_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  PollArgs args = { 0xFF, 1 };
  Pending *p;
  int result;
  GPid old_pid = sk_pn532_fixture_get_pid (f->pn532);

  open_and_init (f);
  p = call_start (f, do_poll, &args);
  g_assert_false (pending_wait (p, 200));
  sk_pn532_fixture_kill (f->pn532);
  g_assert_cmpint (sk_pn532_fixture_get_pid (f->pn532), ==, 0);
  g_assert_true (call_finish (p, 2000, &result));
  g_assert_cmpint (result, ==, NFC_EIO);
  g_assert_cmpint (call (f, do_init, NULL), <, 0);
  g_assert_cmpint (call (f, do_close, NULL), ==, NFC_SUCCESS);
  g_assert_false (g_file_test (f->link, G_FILE_TEST_IS_SYMLINK));
  g_assert_cmpint (call (f, do_open, NULL), ==, NFC_EIO);

  g_assert_true (sk_pn532_fixture_restart (f->pn532, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_pn532_fixture_get_pid (f->pn532), >, 0);
  g_assert_cmpint (sk_pn532_fixture_get_pid (f->pn532), !=, old_pid);
  open_and_init (f);
  present_and_poll (f, "classic4 DEADBEEF", "DEADBEEF");
}

static void
test_commands (Fixture *f, gconstpointer data)
{
  static const char *refused[] = {
    "",
    "fly",
    "present",
    "present classic4",
    "present mifare DEADBEEF",
    "present classic4 DEADBE",
    "present classic4 DEADBEEFAA",
    "present ultralight DEADBEEF",
    "present classic7 0411223344556G",
    "mode loud",
    "remove now",
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *stats = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *answer = sk_pn532_fixture_command (f->pn532, &error, "%s", refused[i]);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      g_assert_null (answer);
      g_clear_error (&error);
    }
  command (f, "present iso14443-4 08AABBCC");
  command (f, "present classic7 04112233445566");
  command (f, "remove");
  command (f, "remove");
  command (f, "mode garbage");
  command (f, "mode normal");
  stats = sk_pn532_fixture_command (f->pn532, &error, "stats");
  g_assert_no_error (error);
  g_assert_cmpstr (stats, ==, "polls=0 frames=0 bad=0");

  sk_pn532_fixture_kill (f->pn532);
  g_assert_null (sk_pn532_fixture_command (f->pn532, &error, "stats"));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  /* A killed fixture takes its link with it, as an unplugged reader. */
  g_assert_false (g_file_test (f->link, G_FILE_TEST_IS_SYMLINK));
}

/* The chip's side of the line, without libnfc: bytes written to the pty. */
static gsize
read_bounded (int fd, guint8 *buf, gsize want, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gsize got = 0;

  while (got < want)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left = deadline - g_get_monotonic_time ();
      gssize n;

      if (left <= 0 || poll (&pfd, 1, (int) ((left + 999) / 1000)) <= 0)
        break;
      n = read (fd, buf + got, want - got);
      if (n <= 0)
        break;
      got += n;
    }
  return got;
}

static void
test_frames (Fixture *f, gconstpointer data)
{
  /* GetFirmwareVersion, whole and then with a wrong LCS and a wrong DCS */
  static const guint8 good[] = { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00 };
  static const guint8 bad_dcs[] = { 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2B, 0x00 };
  static const guint8 bad_lcs[] = { 0x00, 0x00, 0xFF, 0x02, 0xFD, 0xD4, 0x02, 0x2A, 0x00 };
  static const guint8 wake[] = { 0x55, 0x55, 0x00, 0x00, 0x00 };
  static const guint8 expected[] = {
    0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x06,
    0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00,
  };
  guint8 buf[64];
  int fd = open (f->link, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, bad_dcs, sizeof bad_dcs), ==, sizeof bad_dcs);
  g_assert_cmpint (write (fd, bad_lcs, sizeof bad_lcs), ==, sizeof bad_lcs);
  /* The chip answers nothing to a bad frame: only the next good one. */
  g_assert_cmpint (write (fd, wake, sizeof wake), ==, sizeof wake);
  g_assert_cmpint (write (fd, good, 4), ==, 4);
  g_assert_cmpuint (read_bounded (fd, buf, sizeof buf, 200), ==, 0);
  g_assert_cmpint (write (fd, good + 4, sizeof good - 4), ==, sizeof good - 4);
  g_assert_cmpuint (read_bounded (fd, buf, sizeof expected, (int) sk_test_scale_ms (2000)), ==,
                    sizeof expected);
  g_assert_cmpmem (buf, sizeof expected, expected, sizeof expected);
  g_assert_cmpuint (stat_value (f, "bad"), ==, 2);
  g_assert_cmpuint (stat_value (f, "frames"), ==, 1);
  close (fd);
}

int
main (int argc, char *argv[])
{
  /* Auto-scan never finds a pty and only adds noise; errors are logged. */
  g_setenv ("LIBNFC_AUTO_SCAN", "false", FALSE);
  g_setenv ("LIBNFC_LOG_LEVEL", "1", FALSE);
  g_unsetenv ("LIBNFC_DEVICE");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add ("/nfc/pn532-fixture/" path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("open", test_open, NULL);
  ADD ("commands", test_commands, NULL);
  ADD ("frames", test_frames, NULL);
  ADD ("poll/classic4", test_poll_finds, &classic4);
  ADD ("poll/classic7", test_poll_finds, &classic7);
  ADD ("poll/ultralight", test_poll_finds, &ultralight);
  ADD ("poll/iso14443-4", test_poll_finds, &iso4);
  ADD ("poll/no-card", test_poll_no_card, NULL);
  ADD ("poll/card-arrives", test_poll_card_arrives, NULL);
  ADD ("list/classic4", test_list_finds, &classic4);
  ADD ("list/classic7", test_list_finds, &classic7);
  ADD ("list/ultralight", test_list_finds, &ultralight);
  ADD ("list/iso14443-4", test_list_finds, &iso4);
  ADD ("select/by-uid", test_select_by_uid, NULL);
  ADD ("removal/classic4", test_removal, &classic4);
  ADD ("removal/classic7", test_removal, &classic7);
  ADD ("removal/ultralight", test_removal, &ultralight);
  ADD ("removal/iso14443-4", test_removal, &iso4);
  ADD ("swap", test_swap, NULL);
  ADD ("mode/silent", test_silent, NULL);
  ADD ("mode/silent-poll-hangs", test_silent_poll_hangs, NULL);
  ADD ("mode/bad-checksum", test_bad_checksum, NULL);
  ADD ("mode/garbage", test_garbage, NULL);
  ADD ("abort", test_abort_poll, NULL);
  ADD ("kill-and-restart", test_kill_and_restart, NULL);
#undef ADD

  return g_test_run ();
}
