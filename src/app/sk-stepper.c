/* sk-stepper.c: see sk-stepper.h. */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-stepper.h"

#define DAY_MINUTES (24 * 60)
#define TIME_STEP 30
#define PERCENT_STEP 5

struct _SkStepper
{
  GtkWidget parent_instance;

  GtkWidget *root;
  GtkButton *down;
  GtkLabel *value_label;
  GtkButton *up;

  SkStepperKind kind;
  guint value;
};

G_DEFINE_FINAL_TYPE (SkStepper, sk_stepper, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
sk_stepper_format (SkStepperKind kind, guint value)
{
  if (kind == SK_STEPPER_TIME)
    return g_strdup_printf ("%02u:%02u", value / 60, value % 60);
  /* TRANSLATORS: a volume or a volume cap in percent, as in "60 %" */
  return g_strdup_printf (_ ("%u %%"), value);
}

static void
show_value (SkStepper *self)
{
  g_autofree char *text = sk_stepper_format (self->kind, self->value);

  gtk_label_set_text (self->value_label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
  if (self->kind == SK_STEPPER_PERCENT)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->down), self->value > 0);
      gtk_widget_set_sensitive (GTK_WIDGET (self->up), self->value < 100);
    }
  else
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->down), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->up), TRUE);
    }
}

void
sk_stepper_set_kind (SkStepper *self, SkStepperKind kind)
{
  g_return_if_fail (SK_IS_STEPPER (self));
  self->kind = kind;
  show_value (self);
}

guint
sk_stepper_get_value (SkStepper *self)
{
  g_return_val_if_fail (SK_IS_STEPPER (self), 0);
  return self->value;
}

void
sk_stepper_set_value (SkStepper *self, guint value)
{
  g_return_if_fail (SK_IS_STEPPER (self));
  self->value = self->kind == SK_STEPPER_TIME ? value % DAY_MINUTES : MIN (value, 100);
  show_value (self);
}

void
sk_stepper_set_name (SkStepper *self, const char *name)
{
  g_autofree char *down = NULL, *up = NULL;

  g_return_if_fail (SK_IS_STEPPER (self));
  if (self->kind == SK_STEPPER_TIME)
    {
      /* TRANSLATORS: a button that moves a time earlier; %s names the time */
      down = g_strdup_printf (_ ("%s, earlier"), name);
      /* TRANSLATORS: a button that moves a time later; %s names the time */
      up = g_strdup_printf (_ ("%s, later"), name);
    }
  else
    {
      /* TRANSLATORS: a button that lowers a volume cap; %s names it */
      down = g_strdup_printf (_ ("%s, lower"), name);
      /* TRANSLATORS: a button that raises a volume cap; %s names it */
      up = g_strdup_printf (_ ("%s, higher"), name);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->down), GTK_ACCESSIBLE_PROPERTY_LABEL, down,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->up), GTK_ACCESSIBLE_PROPERTY_LABEL, up, -1);
}

/* One step down (@direction -1) or up (+1): onto the next step of the
 * grid, so a value off it lands on it. */
static void
step (SkStepper *self, int direction)
{
  int grid = self->kind == SK_STEPPER_TIME ? TIME_STEP : PERCENT_STEP;
  int v = self->value;

  if (direction > 0)
    v = (v / grid + 1) * grid;
  else
    v = (v % grid != 0 ? v / grid : v / grid - 1) * grid;
  if (self->kind == SK_STEPPER_TIME)
    v = (v + DAY_MINUTES) % DAY_MINUTES;
  else
    v = CLAMP (v, 0, 100);
  if ((guint) v == self->value)
    return;
  self->value = v;
  show_value (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_down_clicked (GtkButton *button, SkStepper *self)
{
  step (self, -1);
}

static void
on_up_clicked (GtkButton *button, SkStepper *self)
{
  step (self, +1);
}

static void
sk_stepper_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SK_TYPE_STEPPER);
  G_OBJECT_CLASS (sk_stepper_parent_class)->dispose (object);
}

static void
sk_stepper_class_init (SkStepperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_stepper_dispose;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-stepper.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "stepper");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_bind_template_child (widget_class, SkStepper, root);
  gtk_widget_class_bind_template_child (widget_class, SkStepper, down);
  gtk_widget_class_bind_template_child (widget_class, SkStepper, value_label);
  gtk_widget_class_bind_template_child (widget_class, SkStepper, up);
  gtk_widget_class_bind_template_callback (widget_class, on_down_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_up_clicked);
}

static void
sk_stepper_init (SkStepper *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  show_value (self);
}
