/* sk-admin-recommendation.c: see sk-admin-recommendation.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "sk-admin-recommendation.h"
#include "sk-util.h"

/* after a slider stops, before the house taste is sent */
#define SEND_DELAY_MS 500

struct _SkAdminRecommendation
{
  SkAdminSection parent_instance;

  GtkWidget *root;
  AdwComboRow *strategy;
  SkTasteGlyph *glyph;
  GtkScale *sliders[SK_TASTE_DIMS];

  gboolean updating; /* the controls follow the engine: no call back */
};

G_DEFINE_FINAL_TYPE (SkAdminRecommendation, sk_admin_recommendation, SK_TYPE_ADMIN_SECTION)

/* the choices of the setting strategy, in the combo row's order */
static const char *const strategies[] = { "average", "least_misery", "average_without_misery" };

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
  const char *strategy = sk_dbus_kiosk1_get_strategy (
      sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)));

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
on_strategy_changed (AdwComboRow *row, GParamSpec *pspec, SkAdminRecommendation *self)
{
  guint i = adw_combo_row_get_selected (row);

  if (self->updating || sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL ||
      i >= G_N_ELEMENTS (strategies))
    return;
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetSetting",
                         g_variant_new ("(ss)", "strategy", strategies[i]),
                         sk_admin_section_say_refusal);
}

/* --- the house taste ----------------------------------------------------- */

static void
on_settings (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminRecommendation *self = data;
  const char *value;
  double v[SK_DIM];

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  if (sk_app_find_setting (reply, "house_vector", &value, NULL) && sk_vec_parse (value, v, NULL))
    {
      self->updating = TRUE;
      for (guint i = 0; i < SK_TASTE_DIMS; i++)
        gtk_range_set_value (GTK_RANGE (self->sliders[i]), v[i]);
      self->updating = FALSE;
      draw_taste (self);
    }
}

static void
send_taste (SkAdminSection *section)
{
  SkAdminRecommendation *self = SK_ADMIN_RECOMMENDATION (section);
  double v[SK_DIM];
  g_autofree char *text = NULL;

  for (guint i = 0; i < SK_DIM; i++)
    v[i] = gtk_range_get_value (GTK_RANGE (self->sliders[i]));
  text = sk_vec_format (v);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetSetting",
                         g_variant_new ("(ss)", "house_vector", text),
                         sk_admin_section_say_refusal);
}

static void
on_slider_changed (GtkRange *range, SkAdminRecommendation *self)
{
  draw_taste (self);
  if (self->updating || sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL)
    return;
  sk_admin_section_defer (SK_ADMIN_SECTION (self), SEND_DELAY_MS);
}

static void
sk_admin_recommendation_bind (SkAdminSection *self, SkDBusKiosk1 *proxy)
{
  g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
}

static void
sk_admin_recommendation_load (SkAdminSection *section)
{
  SkAdminRecommendation *self = SK_ADMIN_RECOMMENDATION (section);

  show_strategy (self);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetSettings", NULL, on_settings);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_recommendation_class_init (SkAdminRecommendationClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SkAdminSectionClass *section_class = SK_ADMIN_SECTION_CLASS (klass);
  static const char *const slider_ids[SK_TASTE_DIMS] = { "rain", "wind", "fire", "thunder",
                                                         "waves" };

  section_class->bind = sk_admin_recommendation_bind;
  section_class->load = sk_admin_recommendation_load;
  section_class->deferred = send_taste;
  g_type_ensure (SK_TYPE_TASTE_GLYPH);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-recommendation.ui");
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
