/* sk-scheduler.h: the venue's schedule (sk-schedule.h) applied to the
 * playback, on the main loop.
 *
 * Outside the opening hours the player is paused, not stopped: the track
 * and the queue stay where they were, and the player resumes when the
 * venue opens. The volume heard is the setting volume within the cap in
 * force (sk_playback_set_volume_cap). The state is looked at again at each
 * change the schedule foresees and at least once a minute (a clock set
 * at boot by NTP, a zone's rules), at the engine's clock (tests set it).
 *
 * Only the changes are applied: a manager's Pause during opening hours is
 * not undone by the next look, and a closed venue pauses once, at closing.
 *
 * Signals:
 *   changed (gboolean open, double cap)   the state in force changed
 */
#pragma once

#include "sk-engine.h"
#include "sk-playback.h"
#include "sk-schedule.h"

G_BEGIN_DECLS

#define SK_TYPE_SCHEDULER (sk_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (SkScheduler, sk_scheduler, SK, SCHEDULER, GObject)

/* Loads the stored schedule and applies it at once. */
SkScheduler *sk_scheduler_new (SkEngine *engine, SkPlayback *playback);
SkSchedule *sk_scheduler_get_schedule (SkScheduler *self);
/* Stores @schedule (taking it) and applies it; nothing changes when it
 * cannot be stored. */
gboolean sk_scheduler_set_schedule (SkScheduler *self, SkSchedule *schedule, GError **error);
/* Reads the stored schedule again (another program changed time_zone). */
void sk_scheduler_reload (SkScheduler *self);
/* Looks at the engine's clock now and applies what changed. */
void sk_scheduler_apply (SkScheduler *self);
gboolean sk_scheduler_is_open (SkScheduler *self);
double sk_scheduler_get_cap (SkScheduler *self);

G_END_DECLS
