/* sk-taste-glyph.h: a track's five taste dimensions drawn as a flower.
 *
 * One petal per dimension (rain, wind, fire, thunder, waves), clockwise
 * from the top, each as long as the track leans that way, in its own
 * colour and named beside it. The picture has no children, so it has no
 * template: it is drawn with cairo in its snapshot.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TASTE_DIMS 5

#define SK_TYPE_TASTE_GLYPH (sk_taste_glyph_get_type ())
G_DECLARE_FINAL_TYPE (SkTasteGlyph, sk_taste_glyph, SK, TASTE_GLYPH, GtkWidget)

GtkWidget *sk_taste_glyph_new (void);
/* @values: SK_TASTE_DIMS numbers in [0, 1], or NULL for none. */
void sk_taste_glyph_set_values (SkTasteGlyph *self, const double *values);
/* The dimension's name for a person ("Rain"), translated. */
const char *sk_taste_glyph_dimension_name (guint dim);

G_END_DECLS
