/* sk-schedule.h: the venue's opening hours and volume caps.
 *
 * A schedule is a list of opening hours and a list of volume caps, each
 * entry on a weekday (1 = Monday … 7 = Sunday) from one minute after local
 * midnight (0 … 1439) to another, in the venue's time zone (the setting
 * time_zone: an IANA name; empty, the system's). An entry whose end is
 * before its start runs across midnight into the next day; one whose end
 * equals its start lasts 24 hours. Outside every opening entry the venue is
 * closed (no opening hours at all: always open); the cap at a moment is
 * the smallest of the caps whose entries hold it (none: 1).
 *
 * Times are instants, not readings of the wall clock: an entry starts at
 * the first instant the local clock reads its start minute or later on its
 * day, and ends likewise. So a start inside the hour skipped in spring is
 * the end of that gap, and a closing time inside the hour repeated in
 * autumn closes at its first occurrence, not twice.
 *
 * The schedule is stored in the settings table (time_zone is a setting;
 * the hours and the caps are kept under keys of the kiosk's own, as JSON)
 * and written only whole, through sk_schedule_save, after every entry was
 * checked. docs/DESIGN.md ("Schedules") says how the daemon applies it.
 */
#pragma once

#include "sk-store.h"
#include "sk-types.h"

G_BEGIN_DECLS

#define SK_SCHEDULE_MAX_ENTRIES 100

typedef struct
{
  guint weekday; /* 1 = Monday … 7 = Sunday */
  guint from;    /* minutes after local midnight, 0 … 1439 */
  guint to;      /* before @from: the next day; equal: 24 hours */
  double cap;    /* volume caps: 0 … 1; opening hours: unused (1) */
} SkScheduleEntry;

typedef struct _SkSchedule SkSchedule;

/* An empty schedule (always open, no cap) in @time_zone (empty or NULL:
 * the system's); NULL with SK_INPUT_ERROR for a zone that is not known. */
SkSchedule *sk_schedule_new (const char *time_zone, GError **error);
void sk_schedule_free (SkSchedule *self);

/* Each checked: a weekday outside 1 to 7, a minute past 1439, a cap
 * outside 0 to 1 or more than SK_SCHEDULE_MAX_ENTRIES entries is
 * SK_INPUT_ERROR with a sentence, and nothing is added. */
gboolean sk_schedule_add_opening (
    SkSchedule *self, guint weekday, guint opens, guint closes, GError **error);
gboolean sk_schedule_add_cap (
    SkSchedule *self, guint weekday, guint from, guint to, double cap, GError **error);

const SkScheduleEntry *sk_schedule_get_opening (SkSchedule *self, guint *n);
const SkScheduleEntry *sk_schedule_get_caps (SkSchedule *self, guint *n);
/* As set ("" for the system's zone). */
const char *sk_schedule_get_time_zone (SkSchedule *self);
/* The zone's IANA name: the system's own name when time_zone is empty. */
const char *sk_schedule_get_zone_name (SkSchedule *self);

/* At @now (µs since the Unix epoch, UTC). */
gboolean sk_schedule_is_open (SkSchedule *self, gint64 now);
double sk_schedule_get_cap (SkSchedule *self, gint64 now);
/* The first instant after @now when an entry starts or ends (µs), or
 * G_MAXINT64 when none does in the coming week. */
gint64 sk_schedule_next_change (SkSchedule *self, gint64 now);

/* Checks an IANA time zone name (empty: the system's). */
gboolean sk_schedule_check_time_zone (const char *name, GError **error);

/* The stored schedule; a stored one that cannot be read is logged and an
 * empty one in the system's zone returned (the venue never falls silent
 * for a damaged row). */
SkSchedule *sk_schedule_load (SkStore *store);
/* Replaces the stored schedule, in one transaction. */
gboolean sk_schedule_save (SkSchedule *self, SkStore *store, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSchedule, sk_schedule_free)

G_END_DECLS
