/* sk-taste.h: the taste arithmetic of docs/DESIGN.md's recommender
 * definition, and the learner that moves a listener's taste.
 *
 * Every vector lives in [0, 1]^SK_DIM with 0.5 meaning "no opinion"; all
 * similarity is cosine about that midpoint. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

#define SK_TASTE_ALPHA 0.12   /* step */
#define SK_TASTE_BETA 0.7     /* momentum */
#define SK_TASTE_EPSILON 1e-9 /* below this a centred norm counts as zero */
#define SK_TASTE_MISERY -0.3  /* average_without_misery's floor */

/* sim(u, v) = cos(u - 0.5, v - 0.5), in [-1, 1]; 0 when either centred norm
 * is below SK_TASTE_EPSILON. */
double sk_taste_similarity (const double u[SK_DIM], const double v[SK_DIM]);

/* Centre @v and scale it to unit length. Returns FALSE (and zeroes @out)
 * when its centred norm is below SK_TASTE_EPSILON. */
gboolean sk_taste_centre_unit (const double v[SK_DIM], double out[SK_DIM]);

/* The vote update: @vote in 1..5 moves @preference (and @momentum) as
 * docs/DESIGN.md defines. Returns FALSE with nothing changed when the vote is
 * out of range or any input is not finite. */
gboolean sk_taste_vote (double preference[SK_DIM],
                        double momentum[SK_DIM],
                        const double embedding[SK_DIM],
                        int vote);

/* The mean of @n preference vectors stored one after another. */
void sk_taste_mean (const double *preferences, guint n, double out[SK_DIM]);

void sk_taste_neutral (double out[SK_DIM]);

/* The learner (docs/DESIGN.md, "The learner"): Bayesian linear regression
 * of (vote − 3)/2 on x = (1, Ê) with forgetting and a change detector.
 * Its state is SK_TASTE_STATE_LEN numbers: the 6×6 symmetric matrix A as
 * its upper triangle, row-major (index 0 = the bias), then b (6), then S
 * (the change detector's sum), then s2 (the residual variance). */
#define SK_TASTE_STATE_LEN 29
#define SK_LEARN_LAMBDA 0.5      /* prior precision of the taste */
#define SK_LEARN_LAMBDA_BIAS 2.0 /* prior precision of the bias */
#define SK_LEARN_GAMMA 0.98      /* forgetting */
#define SK_LEARN_KAPPA 2.0       /* the detector's allowance per vote */
#define SK_LEARN_H 15.0          /* the detector's threshold */
#define SK_LEARN_RHO 0.05        /* the variance estimate's rate */
#define SK_LEARN_S2_0 0.12
#define SK_LEARN_S2_MIN 0.02

/* A new listener: A = Λ0, b = 0, S = 0, s2 = s2₀ (and p = 0.5·1). */
void sk_taste_state_new (double state[SK_TASTE_STATE_LEN]);
/* A listener who has a preference but no state yet: A = Λ0,
 * b = Λ0·(0, 2(p − 0.5)). */
void sk_taste_state_from_preference (const double preference[SK_DIM],
                                     double state[SK_TASTE_STATE_LEN]);
/* The state as stored: "[…]" text of SK_TASTE_STATE_LEN numbers, like the
 * vectors (C locale, read back exactly). */
char *sk_taste_state_format (const double state[SK_TASTE_STATE_LEN]);
/* The stored state @text of a listener whose preference is @preference:
 * NULL text (a profile from before the learner, or from elsewhere) starts
 * from the preference and is no error; text that is not a valid state
 * also starts from the preference, but returns FALSE with @error saying
 * why, for the caller to log. */
gboolean sk_taste_state_parse (const char *text,
                               const double preference[SK_DIM],
                               double state[SK_TASTE_STATE_LEN],
                               GError **error);
/* TRUE when every number is finite, S ≥ 0, s2 > 0 and A is positive
 * definite: a state the learner can continue from. */
gboolean sk_taste_state_valid (const double state[SK_TASTE_STATE_LEN]);

/* One vote: @vote in 1..5 on @embedding updates @state and writes the new
 * preference into @preference (left as it is when the song has no
 * character). Returns FALSE with nothing changed when the vote is out of
 * range, an input is not finite or the state is not valid. */
gboolean sk_taste_learn (double state[SK_TASTE_STATE_LEN],
                         double preference[SK_DIM],
                         const double embedding[SK_DIM],
                         int vote);

/* The learner's preference from a state: w = A⁻¹b, u = (w1..w5),
 * p = 0.5 + 0.5·u / max(1, max |uᵢ|). FALSE when the state is not valid. */
gboolean sk_taste_state_preference (const double state[SK_TASTE_STATE_LEN],
                                    double preference[SK_DIM]);

/* The exploration matrix M = Π Σ Π of a state, row-major 5×5: Σ the taste
 * block of A⁻¹, Π the projection away from the learned direction (the
 * identity while there is none). A song's bonus is Êᵀ M Ê. FALSE (and M
 * all zero) when the state is not valid. */
gboolean sk_taste_explore_matrix (const double state[SK_TASTE_STATE_LEN],
                                  double m[SK_DIM * SK_DIM]);
/* @out = @weight · the mean of the exploration matrices of the @n states
 * stored one after another (states that are not valid are left out of
 * the mean): what SkRankParams.explore takes. FALSE (and @out all zero)
 * when @weight is 0 or no state is valid: no bonus at all. */
gboolean
sk_taste_explore_blend (const double *states, guint n, double weight, double out[SK_DIM * SK_DIM]);

G_END_DECLS
