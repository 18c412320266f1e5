/* sk-admin-recommendation.c: see sk-admin-recommendation.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <adwaita.h>

#include "sk-admin-recommendation.h"
#include "sk-app-call.h"
#include "sk-util.h"

/* after a slider stops, before the house taste is sent */
#define SEND_DELAY_MS 500

struct _SkAdminRecommendation
{
  GtkWidget parent_instance;

  GtkWidget *root;
  AdwComboRow *strategy;
  SkTasteGlyph *glyph;
  GtkScale *sliders[SK_TASTE_DIMS];

  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  gboolean updating; /* the controls follow the engine: no call back */
  guint send_timer;
  guint pending;
};

G_DEFINE_FINAL_TYPE (SkAdminRecommendation, sk_admin_recommendation, GTK_TYPE_WIDGET)

/* the choices of the setting strategy, in the combo row's order */
static const char *const strategies[] = { "average", "least_misery", "average_without_misery" };

enum
{
  SIGNAL_REFUSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkRange *
sk_admin_recommendation_get_slider (SkAdminRecommendation *self, guint dim)
{
  g_return_val_if_fail (SK_IS_ADMIN_RECOMMENDATION (self), NULL);
  g_return_val_if_fail (dim < SK_TASTE_DIMS, NULL);
  return GTK_RANGE (self->sliders[dim]);
}

SkTasteGlyph *
sk_admin_recommendation_get_glyph (SkAdminRecommendation *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_RECOMMENDATION (self), NULL);
  return self->glyph;
}

gboolean
sk_admin_recommendation_is_busy (SkAdminRecommendation *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_RECOMMENDATION (self), FALSE);
  return self->send_timer != 0 || self->pending > 0;
}

static void
refuse (SkAdminRecommendation *self, const char *sentence)
{
  g_signal_emit (self, signals[SIGNAL_REFUSED], 0, sentence);
}

/* The picture of the sliders' taste. */
static void
draw_taste (SkAdminRecommendation *self)
{
  double v[SK_TASTE_DIMS];

  for (guint i = 0; i < SK_TASTE_DIMS; i++)
    v[i] = gtk_range_get_value (GTK_RANGE (self->sliders[i]));
  sk_taste_glyph_set_values (self->glyph, v);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->glyph), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("The house taste"), -1);
}

/* --- the strategy -------------------------------------------------------- */

static void
show_strategy (SkAdminRecommendation *self)
{
  const char *strategy = sk_dbus_kiosk1_get_strategy (self->proxy);

  self->updating = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++)
    if (g_strcmp0 (strategy, strategies[i]) == 0)
      adw_combo_row_set_selected (self->strategy, i);
  self->updating = FALSE;
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer self)
{
  show_strategy (self);
}

static void
on_set (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminRecommendation *self = data;

  self->pending--;
  if (reply == NULL)
    refuse (self, refusal);
}

static void
on_strategy_changed (AdwComboRow *row, GParamSpec *pspec, SkAdminRecommendation *self)
{
  guint i = adw_combo_row_get_selected (row);

  if (self->updating || self->proxy == NULL || i >= G_N_ELEMENTS (strategies))
    return;
  self->pending++;
  sk_app_call (self->proxy, "SetSetting", g_variant_new ("(ss)", "strategy", strategies[i]),
               self->cancellable, on_set, self);
}

/* --- the house taste ----------------------------------------------------- */

static void
on_settings (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminRecommendation *self = data;
  g_autoptr (GVariant) settings = NULL;
  GVariantIter iter;
  const char *key, *value;
  double v[SK_DIM];

  self->pending--;
  if (reply == NULL)
    {
      refuse (self, refusal);
      return;
    }
  settings = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, settings);
  while (g_variant_iter_next (&iter, "(&s&s&s&s&sdd&s)", &key, NULL, &value, NULL, NULL, NULL, NULL,
                              NULL))
    if (strcmp (key, "house_vector") == 0 && sk_vec_parse (value, v, NULL))
      {
        self->updating = TRUE;
        for (guint i = 0; i < SK_TASTE_DIMS; i++)
          gtk_range_set_value (GTK_RANGE (self->sliders[i]), v[i]);
        self->updating = FALSE;
        draw_taste (self);
      }
}

static gboolean
send_taste (gpointer data)
{
  SkAdminRecommendation *self = data;
  double v[SK_DIM];
  g_autofree char *text = NULL;

  self->send_timer = 0;
  for (guint i = 0; i < SK_DIM; i++)
    v[i] = gtk_range_get_value (GTK_RANGE (self->sliders[i]));
  text = sk_vec_format (v);
  self->pending++;
  sk_app_call (self->proxy, "SetSetting", g_variant_new ("(ss)", "house_vector", text),
               self->cancellable, on_set, self);
  return G_SOURCE_REMOVE;
}

static void
on_slider_changed (GtkRange *range, SkAdminRecommendation *self)
{
  draw_taste (self);
  if (self->updating || self->proxy == NULL)
    return;
  g_clear_handle_id (&self->send_timer, g_source_remove);
  self->send_timer = g_timeout_add (SEND_DELAY_MS, send_taste, self);
}

void
sk_admin_recommendation_load (SkAdminRecommendation *self, SkDBusKiosk1 *proxy)
{
  g_return_if_fail (SK_IS_ADMIN_RECOMMENDATION (self));
  if (self->proxy != proxy)
    {
      if (self->proxy != NULL)
        g_signal_handlers_disconnect_by_data (self->proxy, self);
      g_set_object (&self->proxy, proxy);
      g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
    }
  g_clear_handle_id (&self->send_timer, g_source_remove);
  show_strategy (self);
  self->pending++;
  sk_app_call (proxy, "GetSettings", NULL, self->cancellable, on_settings, self);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_recommendation_dispose (GObject *object)
{
  SkAdminRecommendation *self = SK_ADMIN_RECOMMENDATION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->send_timer, g_source_remove);
  if (self->proxy != NULL)
    g_signal_handlers_disconnect_by_data (self->proxy, self);
  g_clear_object (&self->proxy);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_ADMIN_RECOMMENDATION);
  G_OBJECT_CLASS (sk_admin_recommendation_parent_class)->dispose (object);
}

static void
sk_admin_recommendation_finalize (GObject *object)
{
  SkAdminRecommendation *self = SK_ADMIN_RECOMMENDATION (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_admin_recommendation_parent_class)->finalize (object);
}

static void
sk_admin_recommendation_class_init (SkAdminRecommendationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const char *const slider_ids[SK_TASTE_DIMS] = { "rain", "wind", "fire", "thunder",
                                                         "waves" };

  object_class->dispose = sk_admin_recommendation_dispose;
  object_class->finalize = sk_admin_recommendation_finalize;
  signals[SIGNAL_REFUSED] = g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  g_type_ensure (SK_TYPE_TASTE_GLYPH);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-recommendation.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, SkAdminRecommendation, root);
  gtk_widget_class_bind_template_child (widget_class, SkAdminRecommendation, strategy);
  gtk_widget_class_bind_template_child (widget_class, SkAdminRecommendation, glyph);
  for (guint i = 0; i < SK_TASTE_DIMS; i++)
    gtk_widget_class_bind_template_child_full (widget_class, slider_ids[i], FALSE,
                                               G_STRUCT_OFFSET (SkAdminRecommendation, sliders) +
                                                   i * sizeof (GtkScale *));
  gtk_widget_class_bind_template_callback (widget_class, on_strategy_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_slider_changed);
}

static void
sk_admin_recommendation_init (SkAdminRecommendation *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < SK_TASTE_DIMS; i++)
    {
      g_autofree char *name = g_strdup_printf (_ ("House taste: %s"),
                                               sk_taste_glyph_dimension_name (i));

      /* the slider's name beside it */
      gtk_label_set_text (GTK_LABEL (gtk_widget_get_prev_sibling (GTK_WIDGET (self->sliders[i]))),
                          sk_taste_glyph_dimension_name (i));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->sliders[i]),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
    }
  draw_taste (self);
}
