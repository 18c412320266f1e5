/* sk-admin-schedule.h: the admin page's opening hours and volume caps.
 *
 * A preferences group of the seven weekdays (SkAdminDay), filled from the
 * engine's GetSchedule by sk_admin_section_load. A person's change is
 * sent as a whole schedule (SetSchedule) a moment after the last tap, so
 * that stepping through times is one call, not one per tap; the engine
 * applies it at once (the music pauses outside the hours, the volume heard
 * keeps within the cap). Periods the screen does not edit (a second one on
 * a day, made with soundscape-ctl) are sent back as they came, and the
 * venue's time zone setting is left as it is. A refusal is emitted as
 * "refused" with a sentence, a stored schedule as "told".
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-admin-day.h"
#include "sk-admin-section.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_SCHEDULE (sk_admin_schedule_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminSchedule, sk_admin_schedule, SK, ADMIN_SCHEDULE, SkAdminSection)

/* The row of @weekday (1 = Monday … 7). */
SkAdminDay *sk_admin_schedule_get_day (SkAdminSchedule *self, guint weekday);

G_END_DECLS
