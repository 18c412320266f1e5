/* sk-why.h: the plain sentences the kiosk shows for what it does: why a
 * song is in the queue ("For the 3 listeners here, who like rain and
 * waves") and why a track was skipped by the room (the crowd veto).
 *
 * The sentences are built from the numbers of the recommender's score
 * (docs/DESIGN.md, "Recommendation"), taken apart by
 * sk_recommender_explain(); they are translated (the domain
 * GETTEXT_PACKAGE) in the locale of the caller. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

/* The parts of one song's score, and what they came from. */
typedef struct
{
  guint n_present;           /* listeners present; 0: the house vector decided */
  SkStrategy strategy;       /* the one that applied (average with nobody present) */
  double taste[SK_DIM];      /* per dimension, the song's share of the taste
                              * term: gᵈ·eᵈ (average) or pᵈ·eᵈ of the
                              * listener least pleased (least_misery) */
  double taste_like[SK_DIM]; /* the same dimension of g (or p): > 0 when the
                              * room (or that listener) likes it */
  double similarity;         /* the taste term: sim(G, e), or minᵢ sim(pᵢ, e) */
  double penalty;            /* P(e), ≥ 0 */
  double bonus;              /* the exploration bonus B(e), ≥ 0 */
  gboolean explored;         /* without the bonus it would not be in the queue
                              * (set by whoever ranked; explain leaves FALSE) */
  gint64 since_played;       /* seconds since the song last started here; -1: never */
} SkWhyParts;

/* A dimension contributes to the sentence when its share of the taste
 * term is positive, the room likes it, and it is at least this fraction of
 * the largest such share (and at least SK_WHY_MIN_SHARE). At most SK_WHY_MAX_DIMS are named. */
#define SK_WHY_DIM_FRACTION 0.5
#define SK_WHY_MIN_SHARE 0.05
#define SK_WHY_MAX_DIMS 3
/* A song last started at least this long ago is "not heard for …" when
 * nothing in the taste speaks for it. */
#define SK_WHY_NOT_HEARD_SECONDS (60 * 60)

/* The name of dimension @d (0 rain … 4 waves), translated. */
const char *sk_why_dimension_name (guint d);

/* One sentence for a queue entry (to free). */
char *sk_why_sentence (const SkWhyParts *parts);

/* The sentence of a track that was not taken from the queue (to free):
 * nothing in it could play just now, so the best song that could fills in. */
char *sk_why_fallback (void);

/* The sentence of a crowd veto (to free): @n_low of the @n_present
 * listeners here rated @title 2 or lower. */
char *sk_why_veto (const char *title, guint n_low, guint n_present);

G_END_DECLS
