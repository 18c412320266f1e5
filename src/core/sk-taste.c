/* sk-taste.c: similarity, the vote updates and the group vector.
 *
 * This file is the C half of the one recommender definition (docs/DESIGN.md,
 * "Recommendation"); sql/ holds the other half and tests/data/ the cases
 * both must pass to 1e-6. Arithmetic is double precision throughout.
 *
 * Two vote updates live here: the seed's gradient step (sk_taste_vote, the
 * benchmark's baseline) and the learner the engine uses (sk_taste_learn):
 * a Bayesian linear regression of the centred vote on x = (1, Ê), whose
 * posterior precision A and vector b forget by γ a vote, restart from the
 * prior when a CUSUM of standardised residuals passes H, and whose
 * residual variance s2 is tracked robustly. A ≥ Λ0 always, so its
 * Cholesky factor exists and every solve below is well conditioned. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-taste.h"
#include "sk-util.h"

static double
centred_norm (const double v[SK_DIM], double c[SK_DIM])
{
  double n2 = 0.0;

  for (guint i = 0; i < SK_DIM; i++)
    {
      c[i] = v[i] - 0.5;
      n2 += c[i] * c[i];
    }
  return sqrt (n2);
}

static double
clamp01 (double x)
{
  return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

double
sk_taste_similarity (const double u[SK_DIM], const double v[SK_DIM])
{
  double cu[SK_DIM], cv[SK_DIM];
  double nu = centred_norm (u, cu);
  double nv = centred_norm (v, cv);
  double dot = 0.0;

  if (nu < SK_TASTE_EPSILON || nv < SK_TASTE_EPSILON)
    return 0.0;
  for (guint i = 0; i < SK_DIM; i++)
    dot += cu[i] * cv[i];
  return dot / (nu * nv);
}

gboolean
sk_taste_centre_unit (const double v[SK_DIM], double out[SK_DIM])
{
  double c[SK_DIM];
  double n = centred_norm (v, c);

  if (!(n >= SK_TASTE_EPSILON))
    {
      memset (out, 0, sizeof (double) * SK_DIM);
      return FALSE;
    }
  for (guint i = 0; i < SK_DIM; i++)
    out[i] = c[i] / n;
  return TRUE;
}

gboolean
sk_taste_vote (double preference[SK_DIM],
               double momentum[SK_DIM],
               const double embedding[SK_DIM],
               int vote)
{
  double P[SK_DIM], E[SK_DIM];
  double nP, nE, y, s, dot = 0.0;
  double newp[SK_DIM], newm[SK_DIM];

  if (vote < 1 || vote > 5)
    return FALSE;
  for (guint i = 0; i < SK_DIM; i++)
    if (!isfinite (preference[i]) || !isfinite (momentum[i]) || !isfinite (embedding[i]))
      return FALSE;

  y = (vote - 3) / 2.0;
  nP = centred_norm (preference, P);
  nE = centred_norm (embedding, E);

  if (nE < SK_TASTE_EPSILON)
    return TRUE; /* a song with no character teaches nothing */

  if (nP < SK_TASTE_EPSILON)
    {
      /* No opinion yet: the gradient of a cosine at the origin is undefined,
       * so step straight along the song's direction, signed by the vote. */
      for (guint i = 0; i < SK_DIM; i++)
        preference[i] = clamp01 (preference[i] + SK_TASTE_ALPHA * y * E[i] / nE);
      return TRUE;
    }

  for (guint i = 0; i < SK_DIM; i++)
    dot += P[i] * E[i];
  s = dot / (nP * nE);

  for (guint i = 0; i < SK_DIM; i++)
    {
      double g = (s - y) * (E[i] / (nP * nE) - s * P[i] / (nP * nP));

      newm[i] = SK_TASTE_BETA * momentum[i] + g;
      newp[i] = clamp01 (preference[i] - SK_TASTE_ALPHA * newm[i]);
    }
  memcpy (momentum, newm, sizeof newm);
  memcpy (preference, newp, sizeof newp);
  return TRUE;
}

void
sk_taste_mean (const double *preferences, guint n, double out[SK_DIM])
{
  for (guint d = 0; d < SK_DIM; d++)
    out[d] = 0.0;
  if (n == 0)
    {
      sk_taste_neutral (out);
      return;
    }
  for (guint i = 0; i < n; i++)
    for (guint d = 0; d < SK_DIM; d++)
      out[d] += preferences[i * SK_DIM + d];
  for (guint d = 0; d < SK_DIM; d++)
    out[d] /= n;
}

void
sk_taste_neutral (double out[SK_DIM])
{
  for (guint d = 0; d < SK_DIM; d++)
    out[d] = 0.5;
}

/* --- the learner -------------------------------------------------------- */

#define N6 (SK_DIM + 1)
#define TRI_LEN (N6 * (N6 + 1) / 2)
#define IDX_B TRI_LEN
#define IDX_S (TRI_LEN + N6)
#define IDX_S2 (TRI_LEN + N6 + 1)

G_STATIC_ASSERT (IDX_S2 + 1 == SK_TASTE_STATE_LEN);

static double
prior_diag (guint i)
{
  return i == 0 ? SK_LEARN_LAMBDA_BIAS : SK_LEARN_LAMBDA;
}

/* The full 6×6 matrix from the upper triangle. */
static void
unpack_a (const double state[SK_TASTE_STATE_LEN], double a[N6 * N6])
{
  guint k = 0;

  for (guint i = 0; i < N6; i++)
    for (guint j = i; j < N6; j++, k++)
      a[i * N6 + j] = a[j * N6 + i] = state[k];
}

/* Lower Cholesky factor of @a; FALSE unless @a is positive definite. */
static gboolean
cholesky (const double a[N6 * N6], double l[N6 * N6])
{
  memset (l, 0, sizeof (double) * N6 * N6);
  for (guint j = 0; j < N6; j++)
    {
      double d = a[j * N6 + j];

      for (guint k = 0; k < j; k++)
        d -= l[j * N6 + k] * l[j * N6 + k];
      if (!(d > 0.0) || !isfinite (d))
        return FALSE;
      l[j * N6 + j] = sqrt (d);
      for (guint i = j + 1; i < N6; i++)
        {
          double s = a[i * N6 + j];

          for (guint k = 0; k < j; k++)
            s -= l[i * N6 + k] * l[j * N6 + k];
          l[i * N6 + j] = s / l[j * N6 + j];
        }
    }
  return TRUE;
}

/* x = A⁻¹ v with A = L Lᵀ. */
static void
cholesky_solve (const double l[N6 * N6], const double v[N6], double x[N6])
{
  double z[N6];

  for (guint i = 0; i < N6; i++)
    {
      double s = v[i];

      for (guint k = 0; k < i; k++)
        s -= l[i * N6 + k] * z[k];
      z[i] = s / l[i * N6 + i];
    }
  for (guint i = N6; i-- > 0;)
    {
      double s = z[i];

      for (guint k = i + 1; k < N6; k++)
        s -= l[k * N6 + i] * x[k];
      x[i] = s / l[i * N6 + i];
    }
}

void
sk_taste_state_new (double state[SK_TASTE_STATE_LEN])
{
  guint k = 0;

  memset (state, 0, sizeof (double) * SK_TASTE_STATE_LEN);
  for (guint i = 0; i < N6; i++)
    for (guint j = i; j < N6; j++, k++)
      if (i == j)
        state[k] = prior_diag (i);
  state[IDX_S2] = SK_LEARN_S2_0;
}

void
sk_taste_state_from_preference (const double preference[SK_DIM], double state[SK_TASTE_STATE_LEN])
{
  sk_taste_state_new (state);
  for (guint i = 0; i < SK_DIM; i++)
    state[IDX_B + 1 + i] = prior_diag (i + 1) * 2.0 * (preference[i] - 0.5);
}

gboolean
sk_taste_state_valid (const double state[SK_TASTE_STATE_LEN])
{
  double a[N6 * N6], l[N6 * N6];

  for (guint i = 0; i < SK_TASTE_STATE_LEN; i++)
    if (!isfinite (state[i]))
      return FALSE;
  if (!(state[IDX_S] >= 0.0) || !(state[IDX_S2] > 0.0))
    return FALSE;
  unpack_a (state, a);
  return cholesky (a, l);
}

char *
sk_taste_state_format (const double state[SK_TASTE_STATE_LEN])
{
  return sk_numbers_format (state, SK_TASTE_STATE_LEN);
}

gboolean
sk_taste_state_parse (const char *text,
                      const double preference[SK_DIM],
                      double state[SK_TASTE_STATE_LEN],
                      GError **error)
{
  double parsed[SK_TASTE_STATE_LEN];

  sk_taste_state_from_preference (preference, state);
  if (text == NULL)
    return TRUE;
  if (!sk_numbers_parse (text, parsed, SK_TASTE_STATE_LEN, error))
    return FALSE;
  if (!sk_taste_state_valid (parsed))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "not a learner state (S >= 0, s2 > 0, A positive definite)");
      return FALSE;
    }
  memcpy (state, parsed, sizeof parsed);
  return TRUE;
}

/* p from the solution w = A⁻¹b (step 5 of the definition). */
static void
preference_from_w (const double w[N6], double preference[SK_DIM])
{
  double top = 1.0;

  for (guint i = 0; i < SK_DIM; i++)
    top = MAX (top, fabs (w[i + 1]));
  for (guint i = 0; i < SK_DIM; i++)
    preference[i] = 0.5 + 0.5 * w[i + 1] / top;
}

/* Step 5 of the definition on a valid state. */
static void
solve_preference (const double state[SK_TASTE_STATE_LEN], double preference[SK_DIM])
{
  double a[N6 * N6], l[N6 * N6], w[N6];

  unpack_a (state, a);
  cholesky (a, l);
  cholesky_solve (l, &state[IDX_B], w);
  preference_from_w (w, preference);
}

gboolean
sk_taste_state_preference (const double state[SK_TASTE_STATE_LEN], double preference[SK_DIM])
{
  if (!sk_taste_state_valid (state))
    return FALSE;
  solve_preference (state, preference);
  return TRUE;
}

gboolean
sk_taste_learn (double state[SK_TASTE_STATE_LEN],
                double preference[SK_DIM],
                const double embedding[SK_DIM],
                int vote)
{
  double a[N6 * N6], l[N6 * N6], w[N6], ax[N6], x[N6], e[SK_DIM];
  double y, yhat = 0.0, q = 0.0, r2, s, s2, g;
  guint k = 0;

  if (vote < 1 || vote > 5 || !sk_taste_state_valid (state))
    return FALSE;
  for (guint i = 0; i < SK_DIM; i++)
    if (!isfinite (embedding[i]) || !isfinite (preference[i]))
      return FALSE;
  if (!sk_taste_centre_unit (embedding, e))
    return TRUE; /* a song with no character teaches nothing */

  x[0] = 1.0;
  memcpy (&x[1], e, sizeof e);
  y = (vote - 3) / 2.0;

  /* 1. the prediction and its standardised residual, with A before the vote */
  unpack_a (state, a);
  cholesky (a, l);
  cholesky_solve (l, &state[IDX_B], w);
  cholesky_solve (l, x, ax);
  for (guint i = 0; i < N6; i++)
    {
      yhat += w[i] * x[i];
      q += x[i] * ax[i];
    }
  r2 = (y - yhat) * (y - yhat) / (1.0 + q);

  /* 2. the change detector with the old s2, then the variance */
  s2 = state[IDX_S2];
  s = MAX (0.0, state[IDX_S] + r2 / s2 - SK_LEARN_KAPPA);
  s2 = MAX (SK_LEARN_S2_MIN, (1.0 - SK_LEARN_RHO) * s2 + SK_LEARN_RHO * MIN (r2, 4.0 * s2));

  /* 3. a change of taste restarts from the prior */
  if (s > SK_LEARN_H)
    {
      g = 0.0;
      s = 0.0;
    }
  else
    g = SK_LEARN_GAMMA;

  /* 4. forget, then add the vote */
  for (guint i = 0; i < N6; i++)
    for (guint j = i; j < N6; j++, k++)
      state[k] = g * state[k] + (i == j ? (1.0 - g) * prior_diag (i) : 0.0) + x[i] * x[j];
  for (guint i = 0; i < N6; i++)
    state[IDX_B + i] = g * state[IDX_B + i] + y * x[i];
  state[IDX_S] = s;
  state[IDX_S2] = s2;

  /* 5. the new preference */
  solve_preference (state, preference);
  return TRUE;
}

/* out = a b, for SK_DIM × SK_DIM matrices stored by rows */
static void
mat_mul (const double *a, const double *b, double *out)
{
  for (guint i = 0; i < SK_DIM; i++)
    for (guint j = 0; j < SK_DIM; j++)
      {
        double t = 0.0;

        for (guint k = 0; k < SK_DIM; k++)
          t += a[i * SK_DIM + k] * b[k * SK_DIM + j];
        out[i * SK_DIM + j] = t;
      }
}

gboolean
sk_taste_explore_matrix (const double state[SK_TASTE_STATE_LEN], double m[SK_DIM * SK_DIM])
{
  double a[N6 * N6], l[N6 * N6], w[N6], col[N6], unit[N6] = { 0 };
  double sigma[SK_DIM * SK_DIM], proj[SK_DIM * SK_DIM], tmp[SK_DIM * SK_DIM];
  double u[SK_DIM], nu = 0.0;

  memset (m, 0, sizeof (double) * SK_DIM * SK_DIM);
  if (!sk_taste_state_valid (state))
    return FALSE;
  unpack_a (state, a);
  cholesky (a, l);

  /* Σ: columns 1..5 of A⁻¹, rows 1..5 */
  for (guint j = 0; j < SK_DIM; j++)
    {
      unit[j + 1] = 1.0;
      cholesky_solve (l, unit, col);
      unit[j + 1] = 0.0;
      for (guint i = 0; i < SK_DIM; i++)
        sigma[i * SK_DIM + j] = col[i + 1];
    }

  /* Π = I − ûûᵀ, or I while u has no direction */
  cholesky_solve (l, &state[IDX_B], w);
  for (guint i = 0; i < SK_DIM; i++)
    {
      u[i] = w[i + 1];
      nu += u[i] * u[i];
    }
  nu = sqrt (nu);
  for (guint i = 0; i < SK_DIM; i++)
    for (guint j = 0; j < SK_DIM; j++)
      proj[i * SK_DIM + j] = (i == j ? 1.0 : 0.0) -
                             (nu >= SK_TASTE_EPSILON ? (u[i] / nu) * (u[j] / nu) : 0.0);

  /* M = Π Σ Π */
  mat_mul (proj, sigma, tmp);
  mat_mul (tmp, proj, m);
  return TRUE;
}

gboolean
sk_taste_explore_blend (const double *states, guint n, double weight, double out[SK_DIM * SK_DIM])
{
  guint used = 0;

  memset (out, 0, sizeof (double) * SK_DIM * SK_DIM);
  if (!(weight > 0.0))
    return FALSE;
  for (guint l = 0; l < n; l++)
    {
      double m[SK_DIM * SK_DIM];

      if (!sk_taste_explore_matrix (&states[(gsize) l * SK_TASTE_STATE_LEN], m))
        continue;
      for (guint i = 0; i < SK_DIM * SK_DIM; i++)
        out[i] += m[i];
      used++;
    }
  if (used == 0)
    return FALSE;
  for (guint i = 0; i < SK_DIM * SK_DIM; i++)
    out[i] *= weight / used;
  return TRUE;
}
