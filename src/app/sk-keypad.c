/* sk-keypad.c: see sk-keypad.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sk-keypad.h"

#define PIN_MAX 12
#define COLUMNS 3

struct _SkKeypad
{
  GtkWidget parent_instance;

  GtkWidget *root;
  GtkLabel *dots;
  GtkGrid *grid;

  GtkWidget *ok;
  GString *pin;
};

G_DEFINE_FINAL_TYPE (SkKeypad, sk_keypad, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_SUBMIT_NAME,
  N_PROPS
};

enum
{
  SIGNAL_SUBMIT,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void
show_dots (SkKeypad *self)
{
  g_autoptr (GString) dots = g_string_new (NULL);

  for (gsize i = 0; i < self->pin->len; i++)
    g_string_append (dots, "● ");
  gtk_label_set_text (self->dots, dots->len ? dots->str : " ");
}

/* The digits go as soon as they are used. */
static void
wipe (SkKeypad *self)
{
  memset (self->pin->str, 0, self->pin->len);
  g_string_truncate (self->pin, 0);
}

void
sk_keypad_wipe_pin (char **pin)
{
  if (*pin != NULL)
    memset (*pin, 0, strlen (*pin));
  g_clear_pointer (pin, g_free);
}

void
sk_keypad_clear (SkKeypad *self)
{
  g_return_if_fail (SK_IS_KEYPAD (self));
  wipe (self);
  show_dots (self);
}

static void
on_digit_clicked (GtkButton *button, SkKeypad *self)
{
  if (self->pin->len < PIN_MAX)
    g_string_append (self->pin, gtk_button_get_label (button));
  show_dots (self);
}

static void
on_erase_clicked (GtkButton *button, SkKeypad *self)
{
  if (self->pin->len > 0)
    {
      self->pin->str[self->pin->len - 1] = '\0';
      g_string_truncate (self->pin, self->pin->len - 1);
    }
  show_dots (self);
}

static void
on_ok_clicked (GtkButton *button, SkKeypad *self)
{
  if (self->pin->len == 0)
    return;
  g_signal_emit (self, signals[SIGNAL_SUBMIT], 0, self->pin->str);
  sk_keypad_clear (self);
}

/* A key's name for a screen reader, kept to find it by. */
static void
name_key (GtkWidget *key, const char *name)
{
  g_object_set_data_full (G_OBJECT (key), "name", g_strdup (name), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (key), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static GtkWidget *
add_key (SkKeypad *self, guint index, const char *label, const char *name, GCallback clicked)
{
  GtkWidget *key = gtk_button_new_with_label (label);

  gtk_widget_add_css_class (key, "key");
  name_key (key, name);
  g_signal_connect (key, "clicked", clicked, self);
  gtk_grid_attach (self->grid, key, index % COLUMNS, index / COLUMNS, 1, 1);
  return key;
}

GtkWidget *
sk_keypad_find_key (SkKeypad *self, const char *name)
{
  g_return_val_if_fail (SK_IS_KEYPAD (self), NULL);
  for (GtkWidget *key = gtk_widget_get_first_child (GTK_WIDGET (self->grid)); key != NULL;
       key = gtk_widget_get_next_sibling (key))
    if (g_strcmp0 (g_object_get_data (G_OBJECT (key), "name"), name) == 0)
      return key;
  return NULL;
}

static void
sk_keypad_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  SkKeypad *self = SK_KEYPAD (object);

  switch (id)
    {
    case PROP_SUBMIT_NAME:
      name_key (self->ok, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
sk_keypad_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  SkKeypad *self = SK_KEYPAD (object);

  switch (id)
    {
    case PROP_SUBMIT_NAME:
      g_value_set_string (value, g_object_get_data (G_OBJECT (self->ok), "name"));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
sk_keypad_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SK_TYPE_KEYPAD);
  G_OBJECT_CLASS (sk_keypad_parent_class)->dispose (object);
}

static void
sk_keypad_finalize (GObject *object)
{
  SkKeypad *self = SK_KEYPAD (object);

  wipe (self);
  g_string_free (self->pin, TRUE);
  G_OBJECT_CLASS (sk_keypad_parent_class)->finalize (object);
}

static void
sk_keypad_class_init (SkKeypadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = sk_keypad_set_property;
  object_class->get_property = sk_keypad_get_property;
  object_class->dispose = sk_keypad_dispose;
  object_class->finalize = sk_keypad_finalize;
  props[PROP_SUBMIT_NAME] = g_param_spec_string ("submit-name", NULL, NULL, "OK",
                                                 G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[SIGNAL_SUBMIT] = g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-keypad.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "keypad");
  gtk_widget_class_bind_template_child (widget_class, SkKeypad, root);
  gtk_widget_class_bind_template_child (widget_class, SkKeypad, dots);
  gtk_widget_class_bind_template_child (widget_class, SkKeypad, grid);
}

static void
sk_keypad_init (SkKeypad *self)
{
  static const char digits[] = "123456789";
  guint i;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->pin = g_string_new (NULL);
  for (i = 0; digits[i] != '\0'; i++)
    {
      char digit[2] = { digits[i], 0 };

      add_key (self, i, digit, digit, G_CALLBACK (on_digit_clicked));
    }
  add_key (self, i++, "⌫", _ ("Erase"), G_CALLBACK (on_erase_clicked));
  add_key (self, i++, "0", "0", G_CALLBACK (on_digit_clicked));
  self->ok = add_key (self, i, "OK", "OK", G_CALLBACK (on_ok_clicked));
  gtk_widget_add_css_class (self->ok, "suggested-action");
  show_dots (self);
}
