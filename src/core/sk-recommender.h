/* sk-recommender.h: ranks a venue's songs for the people present.
 *
 * The catalogue (ids + embeddings) is loaded once and kept sorted by id, so
 * that the tie-break "song id ascending" is simply the iteration order. Per
 * song the ranker keeps the centred unit embedding and one offset (0, minus
 * a penalty, or -inf for a song that is not a candidate); a call reads those
 * two and allocates nothing. */
#pragma once

#include "sk-types.h"
#include "sk-why.h"

G_BEGIN_DECLS

#define SK_PENALTY_LAMBDA 1.0
#define SK_PENALTY_HALF_LIFE (60.0 * 60.0) /* seconds */
#define SK_NEVER G_MININT64

typedef struct
{
  gint64 now; /* µs since the epoch */
  SkStrategy strategy;
  guint k;
  const double *house;     /* SK_DIM; NULL means all 0.5 */
  const double *listeners; /* n_listeners × SK_DIM preference vectors */
  guint n_listeners;
  int current;           /* index of the song playing now, or -1 */
  const double *explore; /* SK_DIM × SK_DIM, row-major: every score gains
                                * Êᵀ·explore·Ê while someone is present
                                * (sk_taste_explore_blend); NULL: no bonus */
} SkRankParams;

typedef struct
{
  guint index;
  double score;
} SkRankItem;

SkRecommender *sk_recommender_new (void);
void sk_recommender_free (SkRecommender *self);

/* Replace the catalogue. Ids must be unique and non-empty; embeddings are
 * taken as they are (validated by whoever read them). */
void sk_recommender_clear (SkRecommender *self);
gboolean sk_recommender_add_song (SkRecommender *self,
                                  const char *id,
                                  const double embedding[SK_DIM],
                                  GError **error);
void sk_recommender_commit (SkRecommender *self);

guint sk_recommender_get_n_songs (SkRecommender *self);
const char *sk_recommender_get_id (SkRecommender *self, guint index);
const double *sk_recommender_get_embedding (SkRecommender *self, guint index);
int sk_recommender_lookup (SkRecommender *self, const char *id);

/* The venue's library: with n == 0 every song is a candidate. Unknown ids
 * are ignored. */
void sk_recommender_set_library (SkRecommender *self, const char *const *ids, guint n);
void sk_recommender_set_playable (SkRecommender *self, guint index, gboolean playable);
/* When the song last started on this player (SK_NEVER: never). */
void sk_recommender_set_last_played (SkRecommender *self, guint index, gint64 usec);
void sk_recommender_clear_history (SkRecommender *self);

double sk_recommender_penalty (gint64 now, gint64 last_played);

/* Fills @out (room for params->k items) with the best candidates, best
 * first, and returns how many it wrote. */
guint sk_recommender_rank (SkRecommender *self, const SkRankParams *params, SkRankItem *out);

/* The parts of song @index's score under @params, as sk_recommender_rank
 * computes it (the song playing and the library are not looked at): what
 * "why this" is built from (sk_why_sentence). */
void sk_recommender_explain (SkRecommender *self,
                             const SkRankParams *params,
                             guint index,
                             SkWhyParts *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkRecommender, sk_recommender_free)

G_END_DECLS
