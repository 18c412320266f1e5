/* sk-kiosk-private.h: what the files of SkKioskService share: the service
 * and its properties (sk-kiosk-service.c), the listener methods and their
 * tickets (sk-kiosk-listeners.c), the admin unlock and its gate
 * (sk-kiosk-admin.c), and the manager's operations: schedules
 * (sk-kiosk-schedule.c), listeners and badges (sk-kiosk-people.c), the
 * library (sk-kiosk-library.c), diagnostics (sk-kiosk-diagnostics.c). */
#pragma once

#include "sk-kiosk-dbus.h"
#include "sk-kiosk-service.h"

G_BEGIN_DECLS

typedef struct _SkKioskEnrolment SkKioskEnrolment;
typedef struct _SkKioskImport SkKioskImport;
typedef struct _SkKioskTone SkKioskTone;

struct _SkKioskService
{
  SkEngine *engine;
  SkPlayback *playback;
  SkNfcReader *reader;
  SkDBusKiosk1 *skeleton;
  GDBusConnection *bus;
  guint name_lost_id;
  int owned; /* 0 not yet, 1 owned, -1 lost */
  GCallback lost;
  gpointer lost_data;
  GHashTable *tickets; /* token → Ticket */
  guint position_source;
  gboolean audio_error;        /* the PCM failed; no track ended since */
  gint64 admin_deadline;       /* monotonic µs the unlock ends at; 0: locked */
  guint admin_timeout;         /* locks the admin page at admin_deadline */
  SkScheduler *scheduler;      /* sk-kiosk-schedule.c; NULL without playback */
  SkKioskEnrolment *enrolment; /* sk-kiosk-people.c: an EnrollByTap waiting */
  SkKioskImport *import;       /* sk-kiosk-library.c: the Import at work */
  SkKioskTone *tone_job;       /* the TestSound playing, or NULL */
};

/* sk-kiosk-listeners.c */
G_GNUC_INTERNAL void sk_kiosk_listeners_init (SkKioskService *self);
/* A tap from @source ("reader" or "bus"); FALSE only for a UID that is
 * not one, or a store failure (refusals are results). */
G_GNUC_INTERNAL gboolean sk_kiosk_tap (
    SkKioskService *self, const char *uid, const char *source, GVariant **reply, GError **error);
/* Any GError as one of ours (SK_KIOSK_ERROR), for the caller. */
G_GNUC_INTERNAL void sk_kiosk_return_error (GDBusMethodInvocation *invocation, const GError *error);
/* The listener of a valid ticket whose badge has one, or NULL with why
 * not (owned by the ticket). */
G_GNUC_INTERNAL const char *
sk_kiosk_ticket_listener (SkKioskService *self, const char *token, GError **error);

/* sk-kiosk-admin.c */
G_GNUC_INTERNAL void sk_kiosk_admin_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_admin_clear (SkKioskService *self);
/* The gate of the admin methods: TRUE, with the unlock extended, while
 * the admin page is unlocked; else FALSE with NotAllowed naming @what. */
G_GNUC_INTERNAL gboolean sk_kiosk_admin_allow (SkKioskService *self,
                                               const char *what,
                                               GError **error);

/* sk-kiosk-schedule.c, sk-kiosk-people.c, sk-kiosk-library.c,
 * sk-kiosk-diagnostics.c: each connects its methods; clear lets go */
G_GNUC_INTERNAL void sk_kiosk_schedule_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_schedule_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_people_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_people_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_library_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_library_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_diagnostics_init (SkKioskService *self);
/* search at most 200 characters, limit 1 to 500: else InvalidArgument */
G_GNUC_INTERNAL gboolean sk_kiosk_check_page (const char *search, guint limit, GError **error);
/* The count of rows @sql gives with ?1 the player's id and ?2 @search. */
G_GNUC_INTERNAL guint sk_kiosk_count_matches (
    SkStore *store, const char *sql, const char *player, const char *search, GError **error);
/* The tap of an unknown badge while an EnrollByTap waits: the badge
 * becomes its listener (@r gets the id and name, @message a sentence) and
 * TRUE; FALSE when none waits, or with @error when the enrolment failed. */
G_GNUC_INTERNAL gboolean sk_kiosk_enrol_tap (SkKioskService *self,
                                             SkTapResult *r,
                                             char **message,
                                             GError **error);
/* Writes one setting (NULL: the default) through the engine and applies
 * it: the playback, the properties. A PCM for audio_pcm must be one
 * sk_kiosk_pcm_allowed() lets through. */
G_GNUC_INTERNAL gboolean sk_kiosk_apply_setting (SkKioskService *self,
                                                 const char *key,
                                                 const char *value,
                                                 GError **error);

/* sk-kiosk-playback.c */
G_GNUC_INTERNAL void sk_kiosk_playback_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_playback_clear (SkKioskService *self);
/* Whether @name is a PCM the bus may name: one ALSA lists, "default" or
 * the one in use; else InvalidArgument. */
G_GNUC_INTERNAL gboolean sk_kiosk_pcm_allowed (SkKioskService *self,
                                               const char *name,
                                               GError **error);

/* sk-kiosk-service.c */
G_GNUC_INTERNAL void sk_kiosk_refresh_listeners (SkKioskService *self);
/* Sets AudioStatus (status, message). */
G_GNUC_INTERNAL void
sk_kiosk_set_audio_status (SkKioskService *self, const char *status, const char *message);

G_END_DECLS
