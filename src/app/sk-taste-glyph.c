/* sk-taste-glyph.c: see sk-taste-glyph.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sk-taste-glyph.h"

struct _SkTasteGlyph
{
  GtkWidget parent_instance;

  double values[SK_TASTE_DIMS];
  gboolean has_values;
};

G_DEFINE_FINAL_TYPE (SkTasteGlyph, sk_taste_glyph, GTK_TYPE_WIDGET)

/* rain, wind, fire, thunder, waves: blue, pale green, orange, violet, teal,
 * told apart on a dark background and by people who do not see red */
static const double colours[SK_TASTE_DIMS][3] = {
  { 0.35, 0.62, 1.00 }, { 0.62, 0.90, 0.55 }, { 1.00, 0.55, 0.15 },
  { 0.78, 0.55, 1.00 }, { 0.20, 0.85, 0.85 },
};

const char *
sk_taste_glyph_dimension_name (guint dim)
{
  switch (dim)
    {
    case 0:
      return _ ("Rain");
    case 1:
      return _ ("Wind");
    case 2:
      return _ ("Fire");
    case 3:
      return _ ("Thunder");
    case 4:
      return _ ("Waves");
    default:
      g_return_val_if_reached (NULL);
    }
}

static PangoLayout *
make_label (GtkWidget *widget, const char *text, double size)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoFontDescription *font = pango_font_description_from_string ("Sans Bold");

  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

static void
sk_taste_glyph_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SkTasteGlyph *self = SK_TASTE_GLYPH (widget);
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double side = MIN (width, height);
  double font = CLAMP (side / 16.0, 16.0, 26.0);
  double pad = font * 0.4, radius = side / 2.0;
  double cx = width / 2.0, cy = height / 2.0;
  PangoLayout *labels[SK_TASTE_DIMS];
  cairo_t *cr;

  /* the names go around the flower, inside the widget: the flower is as
   * big as leaves room for each name beside its petal */
  for (guint i = 0; i < SK_TASTE_DIMS; i++)
    {
      double angle = -G_PI / 2 + i * 2 * G_PI / SK_TASTE_DIMS;
      double c = cos (angle), s = sin (angle);
      int w, h;

      labels[i] = make_label (widget, sk_taste_glyph_dimension_name (i), font);
      pango_layout_get_pixel_size (labels[i], &w, &h);
      /* the label reaches (r + pad)·c + w·(|c| + 1)/2 from the centre */
      if (fabs (c) > 0.01)
        radius = MIN (radius, (width / 2.0 - w * (fabs (c) + 1) / 2.0) / fabs (c) - pad);
      else
        radius = MIN (radius, width / 2.0 - w / 2.0);
      if (fabs (s) > 0.01)
        radius = MIN (radius, (height / 2.0 - h * (fabs (s) + 1) / 2.0) / fabs (s) - pad);
      else
        radius = MIN (radius, height / 2.0 - h / 2.0);
    }
  if (radius < 8)
    {
      for (guint i = 0; i < SK_TASTE_DIMS; i++)
        g_object_unref (labels[i]);
      return;
    }
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  /* the rings at a quarter, half (indifference) and the whole */
  cairo_set_line_width (cr, 1.5);
  for (int ring = 1; ring <= 4; ring++)
    {
      cairo_set_source_rgba (cr, 1, 1, 1, ring == 2 ? 0.45 : 0.18);
      cairo_arc (cr, cx, cy, radius * ring / 4.0, 0, 2 * G_PI);
      cairo_stroke (cr);
    }
  for (guint i = 0; i < SK_TASTE_DIMS; i++)
    {
      double angle = -G_PI / 2 + i * 2 * G_PI / SK_TASTE_DIMS;
      double value = self->has_values ? CLAMP (self->values[i], 0.0, 1.0) : 0.0;
      double r = radius * MAX (value, 0.04);
      double half = G_PI / SK_TASTE_DIMS * 0.8;

      /* a petal: a wedge with a round end */
      cairo_move_to (cr, cx, cy);
      cairo_arc (cr, cx, cy, r, angle - half, angle + half);
      cairo_close_path (cr);
      cairo_set_source_rgba (cr, colours[i][0], colours[i][1], colours[i][2], 0.9);
      cairo_fill (cr);
      {
        int w, h;
        double x = cx + cos (angle) * (radius + pad), y = cy + sin (angle) * (radius + pad);

        /* anchored by the side that faces the flower */
        pango_layout_get_pixel_size (labels[i], &w, &h);
        x -= w / 2.0 - cos (angle) * w / 2.0;
        y -= h / 2.0 - sin (angle) * h / 2.0;
        cairo_set_source_rgb (cr, colours[i][0], colours[i][1], colours[i][2]);
        cairo_move_to (cr, x, y);
        pango_cairo_show_layout (cr, labels[i]);
        g_object_unref (labels[i]);
      }
    }
  cairo_destroy (cr);
}

static void
sk_taste_glyph_measure (GtkWidget *widget,
                        GtkOrientation orientation,
                        int for_size,
                        int *minimum,
                        int *natural,
                        int *minimum_baseline,
                        int *natural_baseline)
{
  *minimum = 120;
  /* for a width, about the height the flower and its names take there
   * (the names beside the side petals make it wider than tall): what is
   * under it then sits under it, not a band of nothing below */
  *natural = orientation == GTK_ORIENTATION_VERTICAL && for_size > 0 ? MAX (for_size * 4 / 5, 120)
                                                                     : 240;
}

static GtkSizeRequestMode
sk_taste_glyph_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
sk_taste_glyph_class_init (SkTasteGlyphClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = sk_taste_glyph_snapshot;
  widget_class->measure = sk_taste_glyph_measure;
  widget_class->get_request_mode = sk_taste_glyph_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "tasteglyph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sk_taste_glyph_init (SkTasteGlyph *self)
{
}

GtkWidget *
sk_taste_glyph_new (void)
{
  return g_object_new (SK_TYPE_TASTE_GLYPH, NULL);
}

void
sk_taste_glyph_set_values (SkTasteGlyph *self, const double *values)
{
  g_autoptr (GString) description = g_string_new (NULL);

  g_return_if_fail (SK_IS_TASTE_GLYPH (self));
  self->has_values = values != NULL;
  for (guint i = 0; values != NULL && i < SK_TASTE_DIMS; i++)
    {
      self->values[i] = values[i];
      g_string_append_printf (description, i ? ", %s %d %%" : "%s %d %%",
                              sk_taste_glyph_dimension_name (i), (int) lround (values[i] * 100));
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("What this track sounds like"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description->str, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
