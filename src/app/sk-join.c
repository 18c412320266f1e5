/* sk-join.c: see sk-join.h. */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-countdown.h"
#include "sk-join.h"

struct _SkJoin
{
  GtkWidget parent_instance;

  GtkWidget *root;
  GtkStack *stack;
  GtkEntry *entry;
  SkKeyboard *keyboard;
  GtkLabel *error;
  GtkLabel *countdown;

  SkCountdown count;
};

G_DEFINE_FINAL_TYPE (SkJoin, sk_join, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_JOIN,
  SIGNAL_DISMISS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_left (gpointer data)
{
  SkJoin *self = data;
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second left",
                                                        "%u seconds left", self->count.left),
                                           self->count.left);

  gtk_label_set_text (self->countdown, text);
}

static void
dismiss (gpointer self)
{
  g_signal_emit (self, signals[SIGNAL_DISMISS], 0);
}

void
sk_join_start (SkJoin *self, const char *default_name, guint seconds)
{
  g_return_if_fail (SK_IS_JOIN (self));
  gtk_stack_set_visible_child_name (self->stack, "offer");
  gtk_editable_set_text (GTK_EDITABLE (self->entry), default_name);
  gtk_label_set_text (self->error, "");
  sk_countdown_start (&self->count, seconds);
}

void
sk_join_set_error (SkJoin *self, const char *text)
{
  g_return_if_fail (SK_IS_JOIN (self));
  gtk_label_set_text (self->error, text);
}

SkKeyboard *
sk_join_get_keyboard (SkJoin *self)
{
  g_return_val_if_fail (SK_IS_JOIN (self), NULL);
  return self->keyboard;
}

GtkEditable *
sk_join_get_entry (SkJoin *self)
{
  g_return_val_if_fail (SK_IS_JOIN (self), NULL);
  return GTK_EDITABLE (self->entry);
}

static void
on_join_clicked (GtkButton *button, SkJoin *self)
{
  gtk_stack_set_visible_child_name (self->stack, "name");
  /* the default is offered selected: the first key typed replaces it */
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
}

static void
on_not_now_clicked (GtkButton *button, SkJoin *self)
{
  sk_countdown_stop (&self->count);
  dismiss (self);
}

static void
on_done_clicked (GtkButton *button, SkJoin *self)
{
  g_autofree char *name = g_strstrip (
      g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  g_signal_emit (self, signals[SIGNAL_JOIN], 0, name);
}

static void
sk_join_dispose (GObject *object)
{
  SkJoin *self = SK_JOIN (object);

  sk_countdown_stop (&self->count);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_JOIN);
  G_OBJECT_CLASS (sk_join_parent_class)->dispose (object);
}

static void
sk_join_class_init (SkJoinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_join_dispose;
  signals[SIGNAL_JOIN] = g_signal_new ("join", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_DISMISS] = g_signal_new ("dismiss", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_type_ensure (SK_TYPE_KEYBOARD);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/soundscape/Kiosk/ui/sk-join.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, root);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, stack);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, entry);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, keyboard);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, error);
  gtk_widget_class_bind_template_child (widget_class, SkJoin, countdown);
  gtk_widget_class_bind_template_callback (widget_class, on_join_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_not_now_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
}

static void
sk_join_init (SkJoin *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_countdown_init (&self->count, GTK_WIDGET (self), show_left, dismiss);
  sk_keyboard_set_target (self->keyboard, GTK_EDITABLE (self->entry));
}
