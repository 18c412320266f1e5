/* sk-admin-section.c: see sk-admin-section.h. */
#include "config.h"

#include "sk-admin-section.h"

typedef struct
{
  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  guint pending; /* calls not yet answered */
  guint deferred;
  GtkWidget *panel; /* scrolled into view (a widget of the section) */
  guint scroll_tick;
  guint scroll_frames;
  double scroll_last;
} SkAdminSectionPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (SkAdminSection, sk_admin_section, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_REFUSED,
  SIGNAL_TOLD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
sk_admin_section_load (SkAdminSection *self, SkDBusKiosk1 *proxy)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);
  SkAdminSectionClass *klass = SK_ADMIN_SECTION_GET_CLASS (self);

  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  g_return_if_fail (SK_DBUS_IS_KIOSK1 (proxy));
  if (sk_app_set_proxy (&priv->proxy, proxy, self) && klass->bind != NULL)
    klass->bind (self, proxy);
  g_clear_handle_id (&priv->deferred, g_source_remove);
  klass->load (self);
}

SkDBusKiosk1 *
sk_admin_section_get_proxy (SkAdminSection *self)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_val_if_fail (SK_IS_ADMIN_SECTION (self), NULL);
  return priv->proxy;
}

GCancellable *
sk_admin_section_get_cancellable (SkAdminSection *self)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_val_if_fail (SK_IS_ADMIN_SECTION (self), NULL);
  return priv->cancellable;
}

void
sk_admin_section_call (SkAdminSection *self, const char *method, GVariant *args, SkReplyFunc func)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  if (priv->proxy == NULL)
    {
      if (args != NULL)
        g_variant_unref (g_variant_ref_sink (args));
      return;
    }
  sk_app_call_counted (priv->proxy, method, args, priv->cancellable, &priv->pending, func, self);
}

void
sk_admin_section_refuse (SkAdminSection *self, const char *sentence)
{
  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  g_signal_emit (self, signals[SIGNAL_REFUSED], 0, sentence);
}

void
sk_admin_section_say_refusal (gpointer self, GVariant *reply, const char *refusal)
{
  if (reply == NULL)
    sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
}

void
sk_admin_section_tell (SkAdminSection *self, const char *sentence)
{
  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  g_signal_emit (self, signals[SIGNAL_TOLD], 0, sentence);
}

static gboolean
on_deferred (gpointer data)
{
  SkAdminSection *self = data;
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  priv->deferred = 0;
  SK_ADMIN_SECTION_GET_CLASS (self)->deferred (self);
  return G_SOURCE_REMOVE;
}

void
sk_admin_section_defer (SkAdminSection *self, guint ms)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  g_return_if_fail (SK_ADMIN_SECTION_GET_CLASS (self)->deferred != NULL);
  g_clear_handle_id (&priv->deferred, g_source_remove);
  priv->deferred = g_timeout_add (ms, on_deferred, self);
}

gboolean
sk_admin_section_is_busy (SkAdminSection *self)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_val_if_fail (SK_IS_ADMIN_SECTION (self), FALSE);
  return priv->deferred != 0 || priv->pending > 0;
}

#define SCROLL_FRAMES 30

static gboolean
on_scroll_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  SkAdminSection *self = SK_ADMIN_SECTION (widget);
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *content;
  graphene_point_t at;

  if (scrolled == NULL || !gtk_widget_is_visible (priv->panel) ||
      ++priv->scroll_frames > SCROLL_FRAMES)
    goto done;
  content = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));
  if (GTK_IS_VIEWPORT (content))
    content = gtk_viewport_get_child (GTK_VIEWPORT (content));
  if (!gtk_widget_compute_point (priv->panel, content, &GRAPHENE_POINT_INIT (0, 0), &at))
    return G_SOURCE_CONTINUE; /* not laid out yet */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)),
                            at.y);
  if (at.y != priv->scroll_last)
    {
      priv->scroll_last = at.y;
      return G_SOURCE_CONTINUE;
    }
done:
  priv->scroll_tick = 0;
  priv->panel = NULL;
  return G_SOURCE_REMOVE;
}

void
sk_admin_section_scroll_to (SkAdminSection *self, GtkWidget *panel)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_return_if_fail (SK_IS_ADMIN_SECTION (self));
  g_return_if_fail (gtk_widget_is_ancestor (panel, GTK_WIDGET (self)));
  priv->panel = panel;
  priv->scroll_frames = 0;
  priv->scroll_last = -1;
  if (priv->scroll_tick == 0)
    priv->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_scroll_tick, NULL,
                                                      NULL);
}

static void
sk_admin_section_dispose (GObject *object)
{
  SkAdminSection *self = SK_ADMIN_SECTION (object);
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_cancellable_cancel (priv->cancellable);
  g_clear_handle_id (&priv->deferred, g_source_remove);
  if (priv->scroll_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), priv->scroll_tick);
  priv->scroll_tick = 0;
  priv->panel = NULL;
  sk_app_set_proxy (&priv->proxy, NULL, self);
  /* every section is a final type with its own template */
  gtk_widget_dispose_template (GTK_WIDGET (self), G_OBJECT_TYPE (self));
  G_OBJECT_CLASS (sk_admin_section_parent_class)->dispose (object);
}

static void
sk_admin_section_finalize (GObject *object)
{
  SkAdminSection *self = SK_ADMIN_SECTION (object);
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  g_clear_object (&priv->cancellable);
  G_OBJECT_CLASS (sk_admin_section_parent_class)->finalize (object);
}

static void
sk_admin_section_class_init (SkAdminSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_admin_section_dispose;
  object_class->finalize = sk_admin_section_finalize;
  signals[SIGNAL_REFUSED] = g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TOLD] = g_signal_new ("told", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* the section's template has one root */
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
sk_admin_section_init (SkAdminSection *self)
{
  SkAdminSectionPrivate *priv = sk_admin_section_get_instance_private (self);

  priv->cancellable = g_cancellable_new ();
}
