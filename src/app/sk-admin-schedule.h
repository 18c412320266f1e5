/* sk-admin-schedule.h: the admin page's opening hours and volume caps.
 *
 * A preferences group of the seven weekdays (SkAdminDay), filled from the
 * engine's GetSchedule by sk_admin_schedule_load. A person's change is
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
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_SCHEDULE (sk_admin_schedule_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminSchedule, sk_admin_schedule, SK, ADMIN_SCHEDULE, GtkWidget)

/* Asks the engine for the schedule (and the time zone setting). */
void sk_admin_schedule_load (SkAdminSchedule *self, SkDBusKiosk1 *proxy);
/* The row of @weekday (1 = Monday … 7). */
SkAdminDay *sk_admin_schedule_get_day (SkAdminSchedule *self, guint weekday);
/* Whether a change waits to be sent or its answer is awaited. */
gboolean sk_admin_schedule_is_busy (SkAdminSchedule *self);

G_END_DECLS
