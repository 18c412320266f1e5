/* sk-taste.c: similarity, the vote update and the group vector.
 *
 * This file is the C half of the one recommender definition (DESIGN.md,
 * "Recommendation"); sql/ holds the other half and tests/data/ the cases
 * both must pass to 1e-6. Arithmetic is double precision throughout. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-taste.h"

static double
centred_norm (const double v[SK_DIM],
              double       c[SK_DIM])
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
sk_taste_similarity (const double u[SK_DIM],
                     const double v[SK_DIM])
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
sk_taste_centre_unit (const double v[SK_DIM],
                      double       out[SK_DIM])
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
sk_taste_vote (double       preference[SK_DIM],
               double       momentum[SK_DIM],
               const double embedding[SK_DIM],
               int          vote)
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
    return TRUE;   /* a song with no character teaches nothing */

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
sk_taste_mean (const double *preferences,
               guint         n,
               double        out[SK_DIM])
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
