/* sk-keyboard.c: see sk-keyboard.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sk-keyboard.h"

/* a key is at least a finger wide (style.css); eleven keys and their gaps
 * fit the 800 px screen with its margins */
#define KEY_MIN 64
#define KEY_SPACING 4
/* the bottom row packed narrow (style.css, keyboard.narrow): Shift and
 * Backspace 80 px, the hyphen 64, the space bar 120, three gaps */
#define NARROW_BOTTOM (80 + KEY_MIN + 120 + 80 + 3 * KEY_SPACING)

struct _SkKeyboard
{
  GtkWidget parent_instance;

  GtkBox *rows;
  GtkToggleButton *shift;
  GtkEditable *target; /* weak */
  GPtrArray *letters;  /* the GtkButtons of letters, to change case */
  GPtrArray *key_rows; /* of GPtrArray of GtkButton (held), the layout's rows */
  GPtrArray *boxes;    /* the row boxes packed now */
  int narrow;          /* -1: not packed yet */
  guint repack;
};

G_DEFINE_FINAL_TYPE (SkKeyboard, sk_keyboard, GTK_TYPE_WIDGET)

static void
type_text (SkKeyboard *self, const char *text)
{
  int pos;

  if (self->target == NULL)
    return;
  gtk_editable_delete_selection (self->target);
  pos = gtk_editable_get_position (self->target);
  gtk_editable_insert_text (self->target, text, -1, &pos);
  gtk_editable_set_position (self->target, pos);
}

static void
on_key_clicked (GtkButton *button, SkKeyboard *self)
{
  type_text (self, gtk_button_get_label (button));
  /* Shift holds for one letter, as on a phone */
  if (gtk_toggle_button_get_active (self->shift))
    gtk_toggle_button_set_active (self->shift, FALSE);
}

static void
on_space_clicked (GtkButton *button, SkKeyboard *self)
{
  type_text (self, " ");
}

static void
on_backspace_clicked (GtkButton *button, SkKeyboard *self)
{
  int start, end;

  if (self->target == NULL)
    return;
  if (gtk_editable_get_selection_bounds (self->target, &start, &end))
    {
      gtk_editable_delete_selection (self->target);
      return;
    }
  end = gtk_editable_get_position (self->target);
  if (end > 0)
    gtk_editable_delete_text (self->target, end - 1, end);
}

static void
on_shift_toggled (GtkToggleButton *shift, SkKeyboard *self)
{
  gboolean upper = gtk_toggle_button_get_active (shift);

  for (guint i = 0; i < self->letters->len; i++)
    {
      GtkButton *key = g_ptr_array_index (self->letters, i);
      const char *label = gtk_button_get_label (key);
      g_autofree char *text = upper ? g_utf8_strup (label, -1) : g_utf8_strdown (label, -1);

      /* "ß" has no one-letter capital: it stays */
      if (g_utf8_strlen (text, -1) == 1)
        gtk_button_set_label (key, text);
    }
}

static void
make_row (SkKeyboard *self, const char *keys)
{
  GPtrArray *row = g_ptr_array_new_with_free_func (g_object_unref);

  for (const char *p = keys; *p != '\0'; p = g_utf8_next_char (p))
    {
      char text[8] = { 0 };
      GtkWidget *key;

      g_unichar_to_utf8 (g_unichar_tolower (g_utf8_get_char (p)), text);
      key = gtk_button_new_with_label (text);
      gtk_widget_add_css_class (key, "key");
      gtk_accessible_update_property (GTK_ACCESSIBLE (key), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                      -1);
      g_signal_connect (key, "clicked", G_CALLBACK (on_key_clicked), self);
      g_ptr_array_add (row, g_object_ref_sink (key));
      if (g_unichar_isalpha (g_utf8_get_char (p)))
        g_ptr_array_add (self->letters, key);
    }
  g_ptr_array_add (self->key_rows, row);
}

/* Wide: one box a row of the layout. Narrow (portrait): each row in two
 * halves, so that no key is narrower than a finger. */
static void
pack (SkKeyboard *self, gboolean narrow)
{
  GtkWidget *last = NULL;

  for (guint i = 0; i < self->boxes->len; i++)
    {
      GtkWidget *box = g_ptr_array_index (self->boxes, i);

      while (gtk_widget_get_first_child (box) != NULL)
        gtk_box_remove (GTK_BOX (box), gtk_widget_get_first_child (box));
      gtk_box_remove (self->rows, box);
    }
  g_ptr_array_set_size (self->boxes, 0);
  for (guint r = 0; r < self->key_rows->len; r++)
    {
      GPtrArray *keys = g_ptr_array_index (self->key_rows, r);
      guint parts = narrow ? 2 : 1, per = (keys->len + parts - 1) / parts;

      for (guint part = 0; part < parts; part++)
        {
          GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, KEY_SPACING);

          gtk_box_set_homogeneous (GTK_BOX (box), TRUE);
          gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
          for (guint k = part * per; k < MIN (keys->len, (part + 1) * per); k++)
            gtk_box_append (GTK_BOX (box), g_ptr_array_index (keys, k));
          gtk_box_insert_child_after (self->rows, box, last);
          g_ptr_array_add (self->boxes, box);
          last = box;
        }
    }
  self->narrow = narrow;
  /* the wide keys (Shift, Space, Backspace) narrow too */
  if (narrow)
    gtk_widget_add_css_class (GTK_WIDGET (self), "narrow");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "narrow");
}

/* The widest row of keys at their minimum, with the spacing. */
static int
wide_width (SkKeyboard *self)
{
  guint most = 0;

  for (guint r = 0; r < self->key_rows->len; r++)
    most = MAX (most, ((GPtrArray *) g_ptr_array_index (self->key_rows, r))->len);
  return most * (KEY_MIN + KEY_SPACING);
}

/* The widest row of keys in halves, at their minimum, with the spacing. */
static int
narrow_width (SkKeyboard *self)
{
  guint most = 0;

  for (guint r = 0; r < self->key_rows->len; r++)
    most = MAX (most, ((GPtrArray *) g_ptr_array_index (self->key_rows, r))->len);
  return (most + 1) / 2 * (KEY_MIN + KEY_SPACING);
}

static gboolean
on_repack (gpointer data)
{
  SkKeyboard *self = data;

  self->repack = 0;
  pack (self, gtk_widget_get_width (GTK_WIDGET (self)) < wide_width (self));
  return G_SOURCE_REMOVE;
}

static void
sk_keyboard_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  SkKeyboard *self = SK_KEYBOARD (widget);
  gboolean narrow = width < wide_width (self);
  int minimum = 0;

  /* until the repack, the rows may be wider than the space: they are
   * clipped for a frame rather than squeezed below their minimum */
  gtk_widget_measure (GTK_WIDGET (self->rows), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL,
                      NULL);
  gtk_widget_allocate (GTK_WIDGET (self->rows), MAX (width, minimum), height, baseline, NULL);
  /* repacked after the allocation, never during it */
  if (narrow != self->narrow && self->repack == 0)
    self->repack = g_idle_add (on_repack, self);
}

static void
sk_keyboard_measure (GtkWidget *widget,
                     GtkOrientation orientation,
                     int for_size,
                     int *minimum,
                     int *natural,
                     int *minimum_baseline,
                     int *natural_baseline)
{
  SkKeyboard *self = SK_KEYBOARD (widget);

  gtk_widget_measure (GTK_WIDGET (self->rows), orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
  /* narrow enough for portrait: the rows in halves (the longer half of
   * an odd row) and the bottom row's narrow keys fit */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = MIN (*minimum, MAX (narrow_width (self), NARROW_BOTTOM));
}

GtkWidget *
sk_keyboard_find_key (SkKeyboard *self, const char *text)
{
  g_return_val_if_fail (SK_IS_KEYBOARD (self), NULL);
  for (guint r = 0; r < self->key_rows->len; r++)
    {
      GPtrArray *keys = g_ptr_array_index (self->key_rows, r);

      for (guint k = 0; k < keys->len; k++)
        {
          const char *label = gtk_button_get_label (g_ptr_array_index (keys, k));
          g_autofree char *a = g_utf8_casefold (label, -1), *b = g_utf8_casefold (text, -1);

          if (strcmp (a, b) == 0)
            return g_ptr_array_index (keys, k);
        }
    }
  return NULL;
}

void
sk_keyboard_set_target (SkKeyboard *self, GtkEditable *target)
{
  g_return_if_fail (SK_IS_KEYBOARD (self));
  g_set_weak_pointer (&self->target, target);
}

static void
sk_keyboard_dispose (GObject *object)
{
  SkKeyboard *self = SK_KEYBOARD (object);

  g_clear_weak_pointer (&self->target);
  g_clear_handle_id (&self->repack, g_source_remove);
  g_clear_pointer (&self->letters, g_ptr_array_unref);
  g_clear_pointer (&self->key_rows, g_ptr_array_unref);
  g_clear_pointer (&self->boxes, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_KEYBOARD);
  G_OBJECT_CLASS (sk_keyboard_parent_class)->dispose (object);
}

static void
sk_keyboard_class_init (SkKeyboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_keyboard_dispose;
  widget_class->size_allocate = sk_keyboard_size_allocate;
  widget_class->measure = sk_keyboard_measure;
  gtk_widget_class_set_css_name (widget_class, "keyboard");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-keyboard.ui");
  gtk_widget_class_bind_template_child (widget_class, SkKeyboard, rows);
  gtk_widget_class_bind_template_child (widget_class, SkKeyboard, shift);
  gtk_widget_class_bind_template_callback (widget_class, on_key_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_space_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_backspace_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_shift_toggled);
}

static void
sk_keyboard_init (SkKeyboard *self)
{
  /* TRANSLATORS: the on-screen keyboard's three rows of letters, in the
   * order of your language's keyboard, separated by "|" (German:
   * "QWERTZUIOPÜ|ASDFGHJKLÖÄ|YXCVBNMß") */
  g_auto (GStrv) rows = g_strsplit (_ ("QWERTYUIOP|ASDFGHJKL|ZXCVBNM"), "|", 3);

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  self->letters = g_ptr_array_new ();
  self->key_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  self->boxes = g_ptr_array_new ();
  for (guint i = 0; rows[i] != NULL; i++)
    make_row (self, rows[i]);
  pack (self, FALSE);
  gtk_toggle_button_set_active (self->shift, TRUE);
}
