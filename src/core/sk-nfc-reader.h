/* sk-nfc-reader.h: the badge reader, on libnfc, in a thread of its own.
 *
 * SkNfcReader opens a connection string ("pn532_uart:/dev/ttyS0"), or the
 * first reader libnfc finds, polls for ISO 14443-A cards (MIFARE Classic
 * with 4- and 7-byte UIDs, Ultralight, ISO 14443-4) and reports each tap on
 * the main context of the thread that started it. A card held on the reader
 * is one tap; taking it away and presenting it again is another.
 *
 * Signals (emitted on the starting thread's main context only):
 *   tap             (uid, atqa, sak, time)   uid: upper-case hex; time: µs
 *                                            since the epoch, when libnfc
 *                                            returned the card
 *   removed         (uid)                    the card left the field
 *   status-changed  ()                       see the getters
 *
 * A reader that is unplugged, dies or answers garbage is closed and opened
 * again with a growing delay (100 ms up to 2 s); the status says why for the
 * UI. Every wait of the thread is bounded, and stopping takes under a
 * second. */
#pragma once

#include <glib-object.h>

#include "sk-engine.h"

G_BEGIN_DECLS

typedef enum
{
  SK_NFC_STATUS_STARTING, /* not opened yet */
  SK_NFC_STATUS_READY,    /* open and polling */
  SK_NFC_STATUS_ABSENT,   /* nothing to open at the connection string */
  SK_NFC_STATUS_ERROR,    /* there, but not answering as a reader should */
} SkNfcStatus;

const char *sk_nfc_status_to_string (SkNfcStatus status);

#define SK_TYPE_NFC_READER (sk_nfc_reader_get_type ())
G_DECLARE_FINAL_TYPE (SkNfcReader, sk_nfc_reader, SK, NFC_READER, GObject)

/* @connstring: a libnfc connection string, or NULL for the first reader
 * found. */
SkNfcReader *sk_nfc_reader_new (const char *connstring);
/* Starts the thread; signals go to the thread-default main context of the
 * caller. Starting a started reader does nothing. */
void sk_nfc_reader_start (SkNfcReader *self);
/* Stops the thread (aborting a command in flight); no signal is emitted
 * after it returns. Also done on dispose. */
void sk_nfc_reader_stop (SkNfcReader *self);

SkNfcStatus sk_nfc_reader_get_status (SkNfcReader *self);
/* What libnfc calls the device, with its chip ("pn532_uart:/dev/ttyS0,
 * PN532 v1.6"); NULL until a reader was opened. */
const char *sk_nfc_reader_get_model (SkNfcReader *self);
/* The connection string opened (or asked for). */
const char *sk_nfc_reader_get_connstring (SkNfcReader *self);
/* Why the reader is absent or in error, for a person; NULL otherwise. */
const char *sk_nfc_reader_get_message (SkNfcReader *self);

/* Polling cadence in milliseconds: looking for a card, and checking that
 * the card held is still there. Before start; for tests and benchmarks. */
void sk_nfc_reader_set_intervals (SkNfcReader *self, guint poll_ms, guint presence_ms);

/* Every tap of @self goes to sk_engine_tap() (the one path for taps), and
 * the reader's status is recorded in the engine's settings (nfc_status,
 * nfc_model, nfc_status_at) for "soundscape-ctl status". */
void sk_nfc_reader_attach_engine (SkNfcReader *self, SkEngine *engine);
/* Only the second half of attach_engine: the status recorded; the taps
 * are the caller's (soundscaped's D-Bus service gives them tickets and
 * sends them to sk_engine_tap() itself). */
void sk_nfc_reader_record_status (SkNfcReader *self, SkEngine *engine);

G_END_DECLS
