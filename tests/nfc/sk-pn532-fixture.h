/* sk-pn532-fixture.h: tests drive a PN532 played on a pseudo-terminal.
 *
 * The fixture is a program of its own (tests/nfc/pn532-fixture), so that a
 * test can kill it like a reader that dies. It opens a pty, points a
 * symlink (stable across restarts) at its slave, and answers the real
 * libnfc's pn532_uart driver as the chip would (TESTING.md, NFC).
 *
 * It reads one command a line on stdin and answers each with one line on
 * stdout, "ok ..." or "error <reason>":
 *   present classic4|classic7|ultralight|iso14443-4 UIDHEX
 *   remove
 *   mode normal|silent|bad-checksum|garbage   how it answers from now on
 *   stats                                     "ok polls=N frames=N bad=N"
 *   quit
 * On start it prints "ready pn532_uart:LINKPATH".
 *
 * This client starts it, sends commands (every wait bounded), kills it by
 * its process id and starts it again on the same link. Its errors are
 * G_IO_ERROR_TIMED_OUT (no answer in time), G_IO_ERROR_CLOSED (the fixture
 * is not running) and G_IO_ERROR_FAILED (the fixture refused a command).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SkPn532Fixture SkPn532Fixture;

/* @link_path: where the symlink to the pty goes (a test's temp dir). */
SkPn532Fixture *sk_pn532_fixture_start (const char *link_path, GError **error);
/* "pn532_uart:LINKPATH" */
const char *sk_pn532_fixture_connstring (SkPn532Fixture *self);
GPid sk_pn532_fixture_get_pid (SkPn532Fixture *self);
/* Sends one command line and waits (at most 2 s, stretched by
 * SK_TEST_TIME_FACTOR) for its answer; returns the text after "ok" (may
 * be ""), or NULL with @error. */
char *sk_pn532_fixture_command (SkPn532Fixture *self, GError **error, const char *format, ...)
    G_GNUC_PRINTF (3, 4);
/* SIGKILL, reaped: the reader sees a device that died mid-poll. The link
 * is removed (a dangling one could come to name another pty). */
void sk_pn532_fixture_kill (SkPn532Fixture *self);
/* A new process on a new pty, the same link. */
gboolean sk_pn532_fixture_restart (SkPn532Fixture *self, GError **error);
void sk_pn532_fixture_free (SkPn532Fixture *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkPn532Fixture, sk_pn532_fixture_free)

G_END_DECLS
