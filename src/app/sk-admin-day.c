/* sk-admin-day.c: see sk-admin-day.h. */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-admin-day.h"
#include "sk-stepper.h"

struct _SkAdminDay
{
  AdwExpanderRow parent_instance;

  GtkSwitch *open;
  AdwActionRow *all_day_row;
  GtkSwitch *all_day;
  AdwActionRow *opens_row;
  SkStepper *opens;
  AdwActionRow *closes_row;
  SkStepper *closes;
  GtkSwitch *capped;
  AdwActionRow *cap_row;
  SkStepper *cap;
  AdwActionRow *cap_from_row;
  SkStepper *cap_from;
  AdwActionRow *cap_to_row;
  SkStepper *cap_to;

  guint weekday;
  guint n_more;
  gboolean updating; /* set from the engine's schedule: no "changed" */
};

G_DEFINE_FINAL_TYPE (SkAdminDay, sk_admin_day, ADW_TYPE_EXPANDER_ROW)

enum
{
  PROP_0,
  PROP_WEEKDAY,
  N_PROPS
};

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static const char *const day_names[] = {
  N_ ("Monday"), N_ ("Tuesday"),  N_ ("Wednesday"), N_ ("Thursday"),
  N_ ("Friday"), N_ ("Saturday"), N_ ("Sunday"),
};

const char *
sk_admin_day_name (guint weekday)
{
  g_return_val_if_fail (weekday >= 1 && weekday <= 7, NULL);
  return _ (day_names[weekday - 1]);
}

guint
sk_admin_day_get_weekday (SkAdminDay *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_DAY (self), 0);
  return self->weekday;
}

/* "10:00 – 22:00", or "all day" when the period has no end. */
static char *
period (guint from, guint to)
{
  g_autofree char *a = NULL, *b = NULL;

  if (from == to)
    return g_strdup (_ ("all day"));
  a = sk_stepper_format (SK_STEPPER_TIME, from);
  b = sk_stepper_format (SK_STEPPER_TIME, to);
  /* TRANSLATORS: a period of a day, from one time to another */
  return g_strdup_printf (_ ("%s – %s"), a, b);
}

/* The day in words, and only the rows that apply shown. */
static void
show_plan (SkAdminDay *self)
{
  SkDayPlan p;
  g_autoptr (GString) text = g_string_new (NULL);

  sk_admin_day_get_plan (self, &p);
  if (!p.open)
    g_string_append (text, _ ("Closed"));
  else if (p.opens == p.closes)
    g_string_append (text, _ ("Open all day"));
  else
    {
      g_autofree char *hours = period (p.opens, p.closes);

      /* TRANSLATORS: the opening hours of a day, e.g. "Open 10:00 – 22:00" */
      g_string_append_printf (text, _ ("Open %s"), hours);
    }
  if (p.capped)
    {
      g_autofree char *when = period (p.cap_from, p.cap_to);
      g_autofree char *cap = sk_stepper_format (SK_STEPPER_PERCENT, p.cap_percent);

      g_string_append (text, " · ");
      /* TRANSLATORS: a volume cap: "volume at most 60 %, 20:00 – 23:00" */
      g_string_append_printf (text, _ ("volume at most %s, %s"), cap, when);
    }
  if (self->n_more > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text,
                              ngettext ("%u more period, kept as it is",
                                        "%u more periods, kept as they are", self->n_more),
                              self->n_more);
    }
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->all_day_row), p.open);
  gtk_widget_set_visible (GTK_WIDGET (self->opens_row),
                          p.open && !gtk_switch_get_active (self->all_day));
  gtk_widget_set_visible (GTK_WIDGET (self->closes_row),
                          p.open && !gtk_switch_get_active (self->all_day));
  /* equal times are a whole day (sk-schedule.h): say so where it shows */
  adw_action_row_set_subtitle (self->closes_row,
                               p.opens == p.closes ? _ ("Same as opening: open all day") : "");
  adw_action_row_set_subtitle (self->cap_to_row,
                               p.cap_from == p.cap_to ? _ ("Same as “from”: all day") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->cap_row), p.capped);
  gtk_widget_set_visible (GTK_WIDGET (self->cap_from_row), p.capped);
  gtk_widget_set_visible (GTK_WIDGET (self->cap_to_row), p.capped);
}

void
sk_admin_day_set_plan (SkAdminDay *self, const SkDayPlan *plan, guint n_more)
{
  g_return_if_fail (SK_IS_ADMIN_DAY (self));
  self->updating = TRUE;
  self->n_more = n_more;
  gtk_switch_set_active (self->open, plan->open);
  gtk_switch_set_active (self->all_day, plan->opens == plan->closes);
  sk_stepper_set_value (self->opens, plan->opens);
  sk_stepper_set_value (self->closes, plan->closes);
  gtk_switch_set_active (self->capped, plan->capped);
  sk_stepper_set_value (self->cap, plan->cap_percent);
  sk_stepper_set_value (self->cap_from, plan->cap_from);
  sk_stepper_set_value (self->cap_to, plan->cap_to);
  self->updating = FALSE;
  show_plan (self);
}

void
sk_admin_day_get_plan (SkAdminDay *self, SkDayPlan *plan)
{
  g_return_if_fail (SK_IS_ADMIN_DAY (self));
  plan->open = gtk_switch_get_active (self->open);
  plan->opens = sk_stepper_get_value (self->opens);
  plan->closes = sk_stepper_get_value (self->closes);
  if (gtk_switch_get_active (self->all_day))
    plan->closes = plan->opens;
  plan->capped = gtk_switch_get_active (self->capped);
  plan->cap_percent = sk_stepper_get_value (self->cap);
  plan->cap_from = sk_stepper_get_value (self->cap_from);
  plan->cap_to = sk_stepper_get_value (self->cap_to);
}

static void
on_changed (SkAdminDay *self)
{
  if (self->updating)
    return;
  show_plan (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* A person's first step from a whole day or no cap starts where most
 * venues would: open 10:00 to 22:00, the volume at most 60 %. */
#define FIRST_OPENS (10 * 60)
#define FIRST_CLOSES (22 * 60)
#define FIRST_CAP 60

static void
on_switch_active (GtkSwitch *sw, GParamSpec *pspec, SkAdminDay *self)
{
  if (!self->updating && sw == self->all_day && !gtk_switch_get_active (sw) &&
      sk_stepper_get_value (self->opens) == sk_stepper_get_value (self->closes))
    {
      sk_stepper_set_value (self->opens, FIRST_OPENS);
      sk_stepper_set_value (self->closes, FIRST_CLOSES);
    }
  if (!self->updating && sw == self->capped && gtk_switch_get_active (sw) &&
      sk_stepper_get_value (self->cap) == 100)
    sk_stepper_set_value (self->cap, FIRST_CAP);
  on_changed (self);
}

static void
on_step (SkStepper *stepper, SkAdminDay *self)
{
  on_changed (self);
}

static void
name_stepper (SkStepper *stepper, char *name)
{
  sk_stepper_set_name (stepper, name);
  g_free (name);
}

static void
name_controls (SkAdminDay *self)
{
  const char *day = sk_admin_day_name (self->weekday);
  g_autofree char *open = g_strdup_printf (_ ("Open on %s"), day);
  g_autofree char *capped = g_strdup_printf (_ ("Volume cap on %s"), day);
  g_autofree char *all_day = g_strdup_printf (_ ("Open all day on %s"), day);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), day);
  /* TRANSLATORS: "Monday: opens", a stepper's name for a screen reader */
  name_stepper (self->opens, g_strdup_printf (_ ("%s: opens"), day));
  name_stepper (self->closes, g_strdup_printf (_ ("%s: closes"), day));
  name_stepper (self->cap, g_strdup_printf (_ ("%s: volume cap"), day));
  name_stepper (self->cap_from, g_strdup_printf (_ ("%s: cap from"), day));
  name_stepper (self->cap_to, g_strdup_printf (_ ("%s: cap until"), day));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->open), GTK_ACCESSIBLE_PROPERTY_LABEL, open,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->capped), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  capped, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->all_day), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  all_day, -1);
}

static void
sk_admin_day_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkAdminDay *self = SK_ADMIN_DAY (object);

  switch (prop_id)
    {
    case PROP_WEEKDAY:
      self->weekday = g_value_get_uint (value);
      name_controls (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_admin_day_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkAdminDay *self = SK_ADMIN_DAY (object);

  switch (prop_id)
    {
    case PROP_WEEKDAY:
      g_value_set_uint (value, self->weekday);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_admin_day_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SK_TYPE_ADMIN_DAY);
  G_OBJECT_CLASS (sk_admin_day_parent_class)->dispose (object);
}

static void
sk_admin_day_class_init (SkAdminDayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = sk_admin_day_set_property;
  object_class->get_property = sk_admin_day_get_property;
  object_class->dispose = sk_admin_day_dispose;
  props[PROP_WEEKDAY] = g_param_spec_uint ("weekday", NULL, NULL, 1, 7, 1,
                                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_type_ensure (SK_TYPE_STEPPER);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-day.ui");
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, open);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, all_day_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, all_day);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, opens_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, opens);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, closes_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, closes);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, capped);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap_from_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap_from);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap_to_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminDay, cap_to);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_active);
  gtk_widget_class_bind_template_callback (widget_class, on_step);
}

static void
sk_admin_day_init (SkAdminDay *self)
{
  SkDayPlan none = { .open = TRUE, .cap_percent = 100 };

  self->weekday = 1;
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_stepper_set_kind (self->cap, SK_STEPPER_PERCENT);
  name_controls (self);
  sk_admin_day_set_plan (self, &none, 0);
}
