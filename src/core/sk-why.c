/* sk-why.c: the sentences of "why this" and of the crowd veto.
 *
 * Which sentence a queue entry gets, in this order (docs/DESIGN.md, "Why
 * this"):
 *   1. nobody is present: the house taste, in words that stay true once
 *      someone checks in (a track keeps its sentence while it plays);
 *   2. the exploration bonus decided it (without it, the song would not
 *      be in the queue): something new, for the learner;
 *   3. least_misery with two or more present: whether the song keeps
 *      everyone above the misery floor (SK_TASTE_MISERY);
 *   4. the dimensions that contribute most to the taste term, named: "For
 *      the 3 listeners here, who like rain and waves";
 *   5. nothing in the taste speaks for it: how long since it was heard
 *      (a song heard an hour ago or more), "not played here yet", or, for
 *      a song heard within the hour, the listeners alone. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "sk-taste.h"
#include "sk-why.h"

static const char *const dimension_names[SK_DIM] = {
  /* TRANSLATORS: the five dimensions of a soundscape's taste profile */
  N_ ("rain"), N_ ("wind"), N_ ("fire"), N_ ("thunder"), N_ ("waves"),
};

const char *
sk_why_dimension_name (guint d)
{
  g_return_val_if_fail (d < SK_DIM, NULL);
  return _ (dimension_names[d]);
}

/* The liked dimensions that carry the taste term, largest share first,
 * joined for a sentence ("rain", "rain and waves", "rain, wind and
 * waves"); NULL when none does. */
static char *
liked_dimensions (const SkWhyParts *p)
{
  guint order[SK_DIM], n = 0, named = 0;
  const char *names[SK_WHY_MAX_DIMS];
  double top = 0.0;

  for (guint d = 0; d < SK_DIM; d++)
    if (p->taste[d] > 0.0 && p->taste_like[d] > 0.0)
      {
        guint pos = n++;

        /* insertion by share, descending; equal shares keep the
         * dimensions' order */
        while (pos > 0 && p->taste[order[pos - 1]] < p->taste[d])
          {
            order[pos] = order[pos - 1];
            pos--;
          }
        order[pos] = d;
      }
  if (n > 0)
    top = p->taste[order[0]];
  if (top < SK_WHY_MIN_SHARE)
    return NULL;
  for (guint i = 0; i < n && named < SK_WHY_MAX_DIMS; i++)
    if (p->taste[order[i]] >= SK_WHY_DIM_FRACTION * top)
      names[named++] = sk_why_dimension_name (order[i]);

  switch (named)
    {
    case 1:
      return g_strdup (names[0]);
    case 2:
      /* TRANSLATORS: two dimensions, e.g. "rain and waves" */
      return g_strdup_printf (_ ("%s and %s"), names[0], names[1]);
    default:
      /* TRANSLATORS: three dimensions, e.g. "rain, wind and waves" */
      return g_strdup_printf (_ ("%s, %s and %s"), names[0], names[1], names[2]);
    }
}

static char *
for_listeners (guint n, const char *liked)
{
  if (liked == NULL)
    {
      if (n == 1)
        return g_strdup (_ ("For the listener here"));
      return g_strdup_printf (ngettext ("For the %u listener here", "For the %u listeners here", n),
                              n);
    }
  if (n == 1)
    /* TRANSLATORS: %s is one to three dimensions, e.g. "rain and waves" */
    return g_strdup_printf (_ ("For the listener here, who likes %s"), liked);
  /* TRANSLATORS: %u is the number of listeners, %s one to three
   * dimensions, e.g. "For the 3 listeners here, who like rain and waves" */
  return g_strdup_printf (ngettext ("For the %u listener here, who likes %s",
                                    "For the %u listeners here, who like %s", n),
                          n, liked);
}

static char *
not_heard_for (gint64 seconds)
{
  guint hours = (guint) MIN (seconds / 3600, G_MAXUINT);
  guint days = hours / 24;

  if (days >= 2)
    return g_strdup_printf (ngettext ("Not heard for %u day", "Not heard for %u days", days), days);
  return g_strdup_printf (ngettext ("Not heard for %u hour", "Not heard for %u hours", hours),
                          hours);
}

char *
sk_why_sentence (const SkWhyParts *p)
{
  g_autofree char *liked = NULL;

  g_return_val_if_fail (p != NULL, NULL);

  if (p->n_present == 0)
    /* TRANSLATORS: why a track plays: it was picked when nobody was
     * checked in, for the house taste; still shown after a check-in, so
     * it must not say that nobody is here now */
    return g_strdup (_ ("The house taste: chosen while nobody was checked in"));

  if (p->explored)
    {
      if (p->n_present == 1)
        return g_strdup (_ ("Something new: it teaches the kiosk more of your taste"));
      return g_strdup_printf (ngettext ("Something new: it teaches the kiosk more of the %u taste "
                                        "here",
                                        "Something new: it teaches the kiosk more of the %u tastes "
                                        "here",
                                        p->n_present),
                              p->n_present);
    }

  if (p->strategy == SK_STRATEGY_LEAST_MISERY && p->n_present >= 2)
    {
      if (p->similarity >= SK_TASTE_MISERY)
        return g_strdup (_ ("Keeps everyone above their dislikes"));
      return g_strdup (_ ("The least disliked by everyone here"));
    }

  liked = liked_dimensions (p);
  if (liked != NULL)
    return for_listeners (p->n_present, liked);
  if (p->since_played >= SK_WHY_NOT_HEARD_SECONDS)
    return not_heard_for (p->since_played);
  if (p->since_played < 0)
    return g_strdup (_ ("Not played here yet"));
  return for_listeners (p->n_present, NULL);
}

char *
sk_why_fallback (void)
{
  return g_strdup (_ ("Nothing in the queue could play just now, so this one fills in"));
}

char *
sk_why_veto (const char *title, guint n_low, guint n_present)
{
  g_return_val_if_fail (title != NULL, NULL);

  /* TRANSLATORS: the crowd veto; “%s” is the track's title, then how many
   * of the listeners present rated it 1 or 2 */
  return g_strdup_printf (ngettext ("Skipped “%s”: %u of the %u listener here rated it 2 or lower",
                                    "Skipped “%s”: %u of the %u listeners here rated it 2 or lower",
                                    n_present),
                          title, n_low, n_present);
}
