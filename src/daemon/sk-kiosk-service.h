/* sk-kiosk-service.h: soundscaped on D-Bus, org.soundscape.Kiosk1.
 *
 * SkKioskService exports the interface described in
 * data/org.soundscape.Kiosk1.xml at /org/soundscape/Kiosk1 over the
 * engine, the playback and the badge reader of soundscaped, and owns the
 * name org.soundscape.Kiosk1 on the system bus (or the session bus). Its
 * properties follow the engine's signals; the skeleton gathers the changes
 * of one main-loop turn into one PropertiesChanged. The reader's taps, the
 * demo keyboard's and Tap() over the bus take one path
 * (sk-kiosk-listeners.c), which mints the tickets that Join, Vote and
 * CheckOut need and announces each tap by TapResult.
 */
#pragma once

#include <gio/gio.h>

#include "sk-engine.h"
#include "sk-nfc-reader.h"
#include "sk-playback.h"
#include "sk-scheduler.h"
#include "sk-sync.h"

G_BEGIN_DECLS

#define SK_KIOSK_BUS_NAME "org.soundscape.Kiosk1"
#define SK_KIOSK_OBJECT_PATH "/org/soundscape/Kiosk1"

/* The named D-Bus errors, org.soundscape.Kiosk1.Error.*: a GError of this
 * domain reaches the caller as that error with its message. */
#define SK_KIOSK_ERROR (sk_kiosk_error_quark ())
typedef enum
{
  SK_KIOSK_ERROR_INVALID_ARGUMENT,
  SK_KIOSK_ERROR_NOT_ALLOWED,
  SK_KIOSK_ERROR_NOT_FOUND,
  SK_KIOSK_ERROR_BUSY,
  SK_KIOSK_ERROR_PIN_LOCKED,
  SK_KIOSK_ERROR_NOT_SUPPORTED,
  SK_KIOSK_ERROR_FAILED,
  SK_KIOSK_ERROR_NAME_TAKEN, /* never sent: sk_kiosk_service_own() */
} SkKioskError;

GQuark sk_kiosk_error_quark (void);

typedef struct _SkKioskService SkKioskService;

SkKioskService *sk_kiosk_service_new (SkEngine *engine);
void sk_kiosk_service_free (SkKioskService *self);

/* Connects to the bus, exports the object and owns the name; returns once
 * it is owned. FALSE with a sentence when the bus cannot be reached or the
 * name is already owned (SK_KIOSK_ERROR_NAME_TAKEN): another soundscaped
 * runs. @lost is called if the name is lost later (the bus went away). */
gboolean sk_kiosk_service_own (
    SkKioskService *self, GBusType bus_type, GCallback lost, gpointer lost_data, GError **error);

/* What the properties follow; either may be left unset. The reader's taps
 * go through the service (with a ticket, announced by TapResult), and its
 * status is recorded as sk_nfc_reader_attach_engine() does. */
void sk_kiosk_service_set_playback (SkKioskService *self, SkPlayback *playback);
void sk_kiosk_service_set_reader (SkKioskService *self, SkNfcReader *reader);
/* The schedule in force (GetSchedule, SetSchedule); AudioStatus says
 * 'paused' outside the opening hours, Volume is within the cap. */
void sk_kiosk_service_set_scheduler (SkKioskService *self, SkScheduler *scheduler);
/* The cloud sync SyncStatus follows and SyncNow starts; NULL when it is
 * off, @off_reason saying why (NULL: no project configured). */
void sk_kiosk_service_set_sync (SkKioskService *self, SkSync *sync, const char *off_reason);
/* The demo (soundscaped --demo): the person who taps, from the keyboard,
 * from soundscape-ctl or from the screen, is the one at the screen, so
 * TapResult announces the ticket of a Tap call too (without the demo, only
 * the reader's), and the screen lets that listener vote. */
void sk_kiosk_service_set_demo (SkKioskService *self, gboolean demo);
/* The ring of recent log lines GetRecentLog reads: a log writer in front
 * of GLib's default one. Once, first thing in main(). */
void sk_kiosk_log_install (void);

/* A tap of the badge @uid made at the device other than by its reader
 * (the demo's keyboard): as sk_engine_tap() (@r, or FALSE with the
 * refusal or failure), and announced as the reader's are, by TapResult
 * with the source 'keyboard' and a ticket for the screen. */
gboolean
sk_kiosk_service_tap (SkKioskService *self, const char *uid, SkTapResult *r, GError **error);

/* Computes every property again: after another program (soundscape-ctl on
 * the database file) changed settings, songs or listeners. */
void sk_kiosk_service_reload (SkKioskService *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkKioskService, sk_kiosk_service_free)

G_END_DECLS
