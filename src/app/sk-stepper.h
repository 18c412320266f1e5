/* sk-stepper.h: a number set by touch alone: "−", the value, "+".
 *
 * For the admin page's schedule: no typing (cage has no on-screen
 * keyboard), targets of 64 px. A time of day steps by half an hour and
 * wraps around midnight (any time is at most a dozen taps away); a
 * percentage steps by 5 within 0 to 100. A value set from outside that is
 * off the steps (a schedule made with soundscape-ctl) is shown as it is,
 * and the first tap brings it onto a step. "changed" is emitted only for a
 * person's tap, never for sk_stepper_set_value.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  SK_STEPPER_TIME,   /* minutes after midnight, 0 … 1439 */
  SK_STEPPER_PERCENT /* 0 … 100 */
} SkStepperKind;

#define SK_TYPE_STEPPER (sk_stepper_get_type ())
G_DECLARE_FINAL_TYPE (SkStepper, sk_stepper, SK, STEPPER, GtkWidget)

void sk_stepper_set_kind (SkStepper *self, SkStepperKind kind);
guint sk_stepper_get_value (SkStepper *self);
void sk_stepper_set_value (SkStepper *self, guint value);
/* What a screen reader calls the stepper ("Monday: opens"); its buttons
 * are named after it ("Monday: opens, later"). */
void sk_stepper_set_name (SkStepper *self, const char *name);
/* The value as shown: "09:30", "60 %". */
char *sk_stepper_format (SkStepperKind kind, guint value);

G_END_DECLS
