/* sk-admin-day.h: one weekday of the opening hours and volume caps.
 *
 * An expander row titled with the day ("Monday") whose subtitle says the
 * day's plan in words; opened, it has switches for whether the venue opens
 * that day and whether all day, steppers for when it opens and closes, a
 * switch for a volume cap, and steppers for the cap and the time it holds.
 * Turning "all day" off starts at 10:00 – 22:00, a new cap at 60 % all
 * day, so that a usual day is a few taps away. One opening period
 * and one cap period a day: what a venue needs, in as few taps as
 * possible (sk-admin-schedule.c keeps any further periods a day has, made
 * elsewhere, as they are, and the subtitle counts them). "changed" is
 * emitted for a person's change only.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean open;
  guint opens, closes; /* minutes after midnight; equal: all day */
  gboolean capped;
  guint cap_from, cap_to; /* likewise */
  guint cap_percent;      /* 0 … 100 */
} SkDayPlan;

#define SK_TYPE_ADMIN_DAY (sk_admin_day_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminDay, sk_admin_day, SK, ADMIN_DAY, AdwExpanderRow)

/* 1 = Monday … 7 = Sunday (the property "weekday", set by the template) */
guint sk_admin_day_get_weekday (SkAdminDay *self);
/* What the row shows; @n_more periods of the day are kept elsewhere. */
void sk_admin_day_set_plan (SkAdminDay *self, const SkDayPlan *plan, guint n_more);
void sk_admin_day_get_plan (SkAdminDay *self, SkDayPlan *plan);
/* The day's name for a person ("Monday"), translated. */
const char *sk_admin_day_name (guint weekday);

G_END_DECLS
