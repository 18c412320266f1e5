/* sk-taste.h: the taste arithmetic of DESIGN.md's recommender definition.
 *
 * Every vector lives in [0, 1]^SK_DIM with 0.5 meaning "no opinion"; all
 * similarity is cosine about that midpoint. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

#define SK_TASTE_ALPHA     0.12   /* step */
#define SK_TASTE_BETA      0.7    /* momentum */
#define SK_TASTE_EPSILON   1e-9   /* below this a centred norm counts as zero */
#define SK_TASTE_MISERY   -0.3    /* average_without_misery's floor */

/* sim(u, v) = cos(u - 0.5, v - 0.5), in [-1, 1]; 0 when either centred norm
 * is below SK_TASTE_EPSILON. */
double   sk_taste_similarity   (const double u[SK_DIM],
                                const double v[SK_DIM]);

/* Centre @v and scale it to unit length. Returns FALSE (and zeroes @out)
 * when its centred norm is below SK_TASTE_EPSILON. */
gboolean sk_taste_centre_unit  (const double v[SK_DIM],
                                double       out[SK_DIM]);

/* The vote update: @vote in 1..5 moves @preference (and @momentum) as
 * DESIGN.md defines. Returns FALSE with nothing changed when the vote is
 * out of range or any input is not finite. */
gboolean sk_taste_vote         (double       preference[SK_DIM],
                                double       momentum[SK_DIM],
                                const double embedding[SK_DIM],
                                int          vote);

/* The mean of @n preference vectors stored one after another. */
void     sk_taste_mean         (const double *preferences,
                                guint         n,
                                double        out[SK_DIM]);

void     sk_taste_neutral      (double out[SK_DIM]);

G_END_DECLS
