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

/* What a method runs on a thread of its own (an Import, a TestSound)
 * starts with this: the service it reports to, NULL once the service is
 * gone (the work ends all the same, and nobody but its caller hears of
 * it). */
typedef struct
{
  SkKioskService *service;
} SkKioskJob;

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
  char *audio_silent;          /* why the output last went silent (no sound card) */
  gint64 admin_deadline;       /* monotonic µs the unlock ends at; 0: locked */
  guint admin_timeout;         /* locks the admin page at admin_deadline */
  SkScheduler *scheduler;      /* sk-kiosk-schedule.c; NULL without playback */
  SkKioskEnrolment *enrolment; /* sk-kiosk-people.c: an EnrollByTap waiting */
  SkKioskJob *import;          /* the Import at work (sk-kiosk-library.c), or NULL */
  SkKioskJob *tone;            /* the TestSound playing (sk-kiosk-playback.c), or NULL */
  SkSync *sync;                /* sk-kiosk-sync.c; NULL when sync is off */
  char *sync_off_reason;       /* why it is off, or NULL */
  gboolean demo;               /* every tap stands for the reader's */
};

/* One D-Bus method, in the file of its group. sk-kiosk-service.c keeps
 * the table of every method of the interface: its function and whether it
 * is an admin one. One dispatcher answers every call: it passes the admin
 * methods through the gate (sk_kiosk_admin_allow), calls the function
 * with the call's arguments @args (a tuple, as the interface says) and
 * answers with the tuple it returns (a new reference, floating or not;
 * "()" when the method returns nothing), or with the error it set, as one
 * of ours (sk_kiosk_return_error; @error is never NULL). */
typedef GVariant *SkKioskMethodFunc (SkKioskService *self, GVariant *args, GError **error);
/* A method that answers later, when its work is done (TestSound): it
 * takes @invocation over, and answers it with its reply or error. */
typedef void SkKioskLaterFunc (SkKioskService *self, GDBusMethodInvocation *invocation);

/* the listeners' methods (their tickets decide), sk-kiosk-listeners.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_tap, sk_kiosk_method_join, sk_kiosk_method_vote,
    sk_kiosk_method_check_out;
/* the unlock, the settings and the player's name, sk-kiosk-admin.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_unlock, sk_kiosk_method_lock,
    sk_kiosk_method_set_pin, sk_kiosk_method_get_settings, sk_kiosk_method_set_setting,
    sk_kiosk_method_set_player_name;
/* the schedule, sk-kiosk-schedule.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_get_schedule, sk_kiosk_method_set_schedule;
/* listeners and badges, sk-kiosk-people.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_list_listeners, sk_kiosk_method_rename_listener,
    sk_kiosk_method_set_badge_revoked, sk_kiosk_method_set_role, sk_kiosk_method_enroll_by_tap,
    sk_kiosk_method_cancel_enroll;
/* the library, sk-kiosk-library.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_list_songs, sk_kiosk_method_set_in_library,
    sk_kiosk_method_set_all_in_library, sk_kiosk_method_import;
/* diagnostics, sk-kiosk-diagnostics.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_get_diagnostics, sk_kiosk_method_get_recent_log;
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_sync_now;
/* playback, sk-kiosk-playback.c */
G_GNUC_INTERNAL SkKioskMethodFunc sk_kiosk_method_pause, sk_kiosk_method_resume,
    sk_kiosk_method_skip, sk_kiosk_method_set_volume, sk_kiosk_method_list_audio_devices;
G_GNUC_INTERNAL SkKioskLaterFunc sk_kiosk_method_test_sound;

/* What each file keeps, made and let go with the service: the tickets
 * (sk-kiosk-listeners.c), the unlock (sk-kiosk-admin.c), the clock of
 * GetDiagnostics' uptime (sk-kiosk-diagnostics.c), the schedule and an
 * enrolment waiting. */
G_GNUC_INTERNAL void sk_kiosk_listeners_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_admin_init (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_diagnostics_init (SkKioskService *self);
/* sk-kiosk-sync.c: lets the sync go. */
G_GNUC_INTERNAL void sk_kiosk_sync_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_admin_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_schedule_clear (SkKioskService *self);
G_GNUC_INTERNAL void sk_kiosk_people_clear (SkKioskService *self);

/* sk-kiosk-listeners.c */
/* A tap from @source ("reader", "keyboard" or "bus"); FALSE only for a UID that is
 * not one, or a store failure (refusals are results). */
G_GNUC_INTERNAL gboolean sk_kiosk_tap (
    SkKioskService *self, const char *uid, const char *source, GVariant **reply, GError **error);
/* Any GError as one of ours (SK_KIOSK_ERROR), for the caller. */
G_GNUC_INTERNAL void sk_kiosk_return_error (GDBusMethodInvocation *invocation, const GError *error);
/* The listener of a valid ticket whose badge has one, or NULL with why
 * not (owned by the ticket). */
G_GNUC_INTERNAL const char *
sk_kiosk_ticket_listener (SkKioskService *self, const char *token, GError **error);

/* sk-kiosk-admin.c: the gate of the admin methods: TRUE, with the unlock
 * extended, while the admin page is unlocked; else FALSE with NotAllowed
 * naming @what. */
G_GNUC_INTERNAL gboolean sk_kiosk_admin_allow (SkKioskService *self,
                                               const char *what,
                                               GError **error);
/* Writes one setting (NULL: the default) through the engine and applies
 * it: the playback, the properties. A PCM for audio_pcm must be one
 * sk_kiosk_pcm_allowed() lets through. */
G_GNUC_INTERNAL gboolean sk_kiosk_apply_setting (SkKioskService *self,
                                                 const char *key,
                                                 const char *value,
                                                 GError **error);

/* sk-kiosk-people.c */
/* A List method's query: both statements take ?1 the player's id and ?2
 * the search; @sql also ?3 the limit, ?4 the offset and, when it has a ?5,
 * the flag sk_kiosk_list() is given. */
typedef struct
{
  const char *count_sql; /* the count of every match */
  const char *sql;       /* one page of them */
  const char *rows_type; /* the type of the array of rows */
  /* adds the row @stmt stands on to @rows */
  void (*add_row) (SkStore *store, sqlite3_stmt *stmt, GVariantBuilder *rows);
} SkKioskList;
/* A List method's reply (total, rows) to @args (search, offset, limit;
 * search at most 200 characters, limit 1 to 500: else InvalidArgument). */
G_GNUC_INTERNAL GVariant *sk_kiosk_list (
    SkKioskService *self, GVariant *args, const SkKioskList *list, int flag, GError **error);
/* The tap of an unknown badge while an EnrollByTap waits: the badge
 * becomes its listener (@r gets the id and name, @message a sentence) and
 * TRUE; FALSE when none waits, or with @error when the enrolment failed. */
G_GNUC_INTERNAL gboolean sk_kiosk_enrol_tap (SkKioskService *self,
                                             SkTapResult *r,
                                             char **message,
                                             GError **error);

/* sk-kiosk-playback.c: whether @name is a PCM the bus may name: one ALSA
 * lists, "default" or the one in use; else InvalidArgument. */
G_GNUC_INTERNAL gboolean sk_kiosk_pcm_allowed (SkKioskService *self,
                                               const char *name,
                                               GError **error);

/* sk-kiosk-service.c */
G_GNUC_INTERNAL void sk_kiosk_refresh_listeners (SkKioskService *self);
/* Sets AudioStatus (status, message). */
G_GNUC_INTERNAL void
sk_kiosk_set_audio_status (SkKioskService *self, const char *status, const char *message);
/* Sets AudioStatus for an output that runs (not paused, no error):
 * 'playing' or 'silent' when @track_current, else 'idle'. */
G_GNUC_INTERNAL void sk_kiosk_set_audio_running (SkKioskService *self, gboolean track_current);

G_END_DECLS
