/* sk-admin-recommendation.h: the admin page's recommendation group.
 *
 * How the tastes of the listeners present are blended (the setting
 * strategy, shown as the engine's Strategy property), and the house
 * taste (the setting house_vector, what plays when nobody is checked in):
 * five sliders, one per dimension, and the taste picture (SkTasteGlyph)
 * drawn as they move. A slider's value is sent a moment after it stops,
 * so a drag is one SetSetting; the engine recomputes the queue at once.
 * A refusal is emitted as "refused" with a sentence.
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-admin-section.h"
#include "sk-kiosk-dbus.h"
#include "sk-taste-glyph.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_RECOMMENDATION (sk_admin_recommendation_get_type ())
G_DECLARE_FINAL_TYPE (
    SkAdminRecommendation, sk_admin_recommendation, SK, ADMIN_RECOMMENDATION, SkAdminSection)

/* The slider of dimension @dim (0 = rain … 4 = waves). */
GtkRange *sk_admin_recommendation_get_slider (SkAdminRecommendation *self, guint dim);
SkTasteGlyph *sk_admin_recommendation_get_glyph (SkAdminRecommendation *self);

G_END_DECLS
