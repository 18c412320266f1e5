/* sk-admin.c: see sk-admin.h.
 *
 * Views: "pin" (digits typed are shown as dots and kept only until OK or
 * Cancel) → Unlock → "page"; "page" → Lock, or AdminUnlocked turning FALSE
 * (the engine's idle lock) → "close".
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <adwaita.h>

#include "sk-admin-library.h"
#include "sk-admin-listeners.h"
#include "sk-admin-recommendation.h"
#include "sk-admin-schedule.h"
#include "sk-admin-system.h"
#include "sk-admin.h"
#include "sk-app-call.h"
#include "sk-keypad.h"
#include "sk-stepper.h"

struct _SkAdmin
{
  GtkWidget parent_instance;

  GtkStack *stack; /* the template's root */
  SkKeypad *keypad;
  GtkLabel *pin_error;
  GtkScale *volume;
  GtkScale *crossfade;
  SkAdminRecommendation *recommendation;
  SkAdminSchedule *schedule;
  SkAdminSystem *system;
  SkAdminLibrary *library;
  SkAdminListeners *listeners;
  GtkLabel *page_error;
  GtkLabel *page_note;

  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  gboolean updating; /* the controls follow the engine: no call back */
};

G_DEFINE_FINAL_TYPE (SkAdmin, sk_admin, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CLOSE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The volume as the engine has it. */
static void
show_engine (SkAdmin *self)
{
  self->updating = TRUE;
  gtk_range_set_value (GTK_RANGE (self->volume), sk_dbus_kiosk1_get_volume (self->proxy));
  self->updating = FALSE;
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, SkAdmin *self)
{
  gboolean unlocked = sk_dbus_kiosk1_get_admin_unlocked (self->proxy);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "page") == 0 && !unlocked &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    g_signal_emit (self, signals[SIGNAL_CLOSE], 0);
  show_engine (self);
}

static void
set_proxy (SkAdmin *self, SkDBusKiosk1 *proxy)
{
  if (sk_app_set_proxy (&self->proxy, proxy, self))
    g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
}

/* One sentence at a time, the refusal's or the answer's; none takes no
 * room. */
static void
tell (SkAdmin *self, const char *refusal, const char *note)
{
  gtk_label_set_text (self->page_error, refusal);
  gtk_widget_set_visible (GTK_WIDGET (self->page_error), *refusal != '\0');
  gtk_label_set_text (self->page_note, note);
  gtk_widget_set_visible (GTK_WIDGET (self->page_note), *note != '\0');
}

static void
on_settings (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdmin *self = data;
  const char *value;
  double max;

  if (reply == NULL)
    {
      tell (self, refusal, "");
      return;
    }
  if (sk_app_find_setting (reply, "crossfade_seconds", &value, &max))
    {
      self->updating = TRUE;
      gtk_range_set_range (GTK_RANGE (self->crossfade), 0, max);
      gtk_range_set_value (GTK_RANGE (self->crossfade), g_ascii_strtod (value, NULL));
      self->updating = FALSE;
    }
}

static void
show_page (SkAdmin *self)
{
  tell (self, "", "");
  show_engine (self);
  sk_app_call (self->proxy, "GetSettings", NULL, self->cancellable, on_settings, self);
  sk_admin_section_load (SK_ADMIN_SECTION (self->recommendation), self->proxy);
  sk_admin_section_load (SK_ADMIN_SECTION (self->schedule), self->proxy);
  sk_admin_section_load (SK_ADMIN_SECTION (self->system), self->proxy);
  sk_admin_section_load (SK_ADMIN_SECTION (self->library), self->proxy);
  sk_admin_section_load (SK_ADMIN_SECTION (self->listeners), self->proxy);
  gtk_stack_set_visible_child_name (self->stack, "page");
}

void
sk_admin_start (SkAdmin *self, SkDBusKiosk1 *proxy)
{
  g_return_if_fail (SK_IS_ADMIN (self));
  set_proxy (self, proxy);
  sk_keypad_clear (self->keypad);
  gtk_label_set_text (self->pin_error, "");
  if (sk_dbus_kiosk1_get_admin_unlocked (proxy))
    show_page (self);
  else
    gtk_stack_set_visible_child_name (self->stack, "pin");
}

SkAdminSystem *
sk_admin_get_system (SkAdmin *self)
{
  g_return_val_if_fail (SK_IS_ADMIN (self), NULL);
  return self->system;
}

void
sk_admin_enrolled (SkAdmin *self, const char *message)
{
  g_return_if_fail (SK_IS_ADMIN (self));
  sk_admin_listeners_enrolled (self->listeners, message);
}

const char *
sk_admin_get_view (SkAdmin *self)
{
  g_return_val_if_fail (SK_IS_ADMIN (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

static void
on_unlock_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdmin *self = data;

  if (reply == NULL)
    {
      gtk_label_set_text (self->pin_error, refusal);
      gtk_stack_set_visible_child_name (self->stack, "pin");
      return;
    }
  show_page (self);
}

static void
unlock (SkAdmin *self, const char *ticket, const char *pin)
{
  sk_app_call (self->proxy, "Unlock", g_variant_new ("(ss)", ticket, pin), self->cancellable,
               on_unlock_reply, self);
}

void
sk_admin_start_with_ticket (SkAdmin *self, SkDBusKiosk1 *proxy, const char *ticket)
{
  g_return_if_fail (SK_IS_ADMIN (self));
  sk_admin_start (self, proxy);
  unlock (self, ticket, "");
}

static void
on_pin_submit (SkKeypad *keypad, const char *pin, SkAdmin *self)
{
  gtk_label_set_text (self->pin_error, "");
  if (self->proxy != NULL)
    unlock (self, "", pin);
}

static void
on_cancel_clicked (GtkButton *button, SkAdmin *self)
{
  sk_keypad_clear (self->keypad);
  g_signal_emit (self, signals[SIGNAL_CLOSE], 0);
}

static void
on_refused (SkAdminSection *section, const char *sentence, SkAdmin *self)
{
  tell (self, sentence, "");
}

static void
on_told (SkAdminSection *section, const char *sentence, SkAdmin *self)
{
  tell (self, "", sentence);
}

static void
on_admin_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdmin *self = data;

  if (reply == NULL)
    on_refused (NULL, refusal, self);
}

static void
admin_call (SkAdmin *self, const char *method, GVariant *args)
{
  sk_app_call (self->proxy, method, args, self->cancellable, on_admin_reply, self);
}

/* The values as shown, with their units: "80 %", "5 s". */
static char *
format_volume (GtkScale *scale, double value, gpointer data)
{
  return sk_stepper_format (SK_STEPPER_PERCENT, (guint) lround (CLAMP (value, 0, 1) * 100));
}

static char *
format_crossfade (GtkScale *scale, double value, gpointer data)
{
  /* TRANSLATORS: a crossfade's length in seconds beside its slider, as in
   * "5 s"; keep it short: the slider has the rest of the row */
  return g_strdup_printf (C_ ("crossfade", "%u s"), (guint) lround (MAX (value, 0)));
}

/* A screen reader says the value as shown, unit and all. */
static void
say_value (GtkRange *range, GtkScaleFormatValueFunc format)
{
  g_autofree char *text = format (GTK_SCALE (range), gtk_range_get_value (range), NULL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (range), GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
}

static void
on_volume_changed (GtkRange *range, SkAdmin *self)
{
  say_value (range, format_volume);
  if (!self->updating && self->proxy != NULL)
    admin_call (self, "SetVolume", g_variant_new ("(d)", gtk_range_get_value (range)));
}

static void
on_crossfade_changed (GtkRange *range, SkAdmin *self)
{
  char value[G_ASCII_DTOSTR_BUF_SIZE];

  say_value (range, format_crossfade);
  if (self->updating || self->proxy == NULL)
    return;
  g_ascii_dtostr (value, sizeof value, round (gtk_range_get_value (range)));
  admin_call (self, "SetSetting", g_variant_new ("(ss)", "crossfade_seconds", value));
}

static void
on_skip_clicked (GtkButton *button, SkAdmin *self)
{
  admin_call (self, "Skip", NULL);
}

static void
on_lock_clicked (GtkButton *button, SkAdmin *self)
{
  admin_call (self, "Lock", NULL);
  g_signal_emit (self, signals[SIGNAL_CLOSE], 0);
}

static void
sk_admin_dispose (GObject *object)
{
  SkAdmin *self = SK_ADMIN (object);

  g_cancellable_cancel (self->cancellable);
  sk_app_set_proxy (&self->proxy, NULL, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_ADMIN);
  G_OBJECT_CLASS (sk_admin_parent_class)->dispose (object);
}

static void
sk_admin_finalize (GObject *object)
{
  SkAdmin *self = SK_ADMIN (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_admin_parent_class)->finalize (object);
}

static void
sk_admin_class_init (SkAdminClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_admin_dispose;
  object_class->finalize = sk_admin_finalize;
  g_type_ensure (SK_TYPE_KEYPAD);
  g_type_ensure (SK_TYPE_ADMIN_RECOMMENDATION);
  g_type_ensure (SK_TYPE_ADMIN_SCHEDULE);
  g_type_ensure (SK_TYPE_ADMIN_SYSTEM);
  g_type_ensure (SK_TYPE_ADMIN_LIBRARY);
  g_type_ensure (SK_TYPE_ADMIN_LISTENERS);
  signals[SIGNAL_CLOSE] = g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, stack);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, keypad);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, pin_error);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, volume);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, crossfade);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, recommendation);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, schedule);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, system);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, library);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, listeners);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, page_error);
  gtk_widget_class_bind_template_child (widget_class, SkAdmin, page_note);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_volume_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_skip_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_crossfade_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_refused);
  gtk_widget_class_bind_template_callback (widget_class, on_told);
  gtk_widget_class_bind_template_callback (widget_class, on_lock_clicked);
}

static void
sk_admin_init (SkAdmin *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_scale_set_format_value_func (self->volume, format_volume, NULL, NULL);
  gtk_scale_set_format_value_func (self->crossfade, format_crossfade, NULL, NULL);
  say_value (GTK_RANGE (self->volume), format_volume);
  say_value (GTK_RANGE (self->crossfade), format_crossfade);
  self->cancellable = g_cancellable_new ();
}
