/* sk-recommender.c: candidates, penalty, score and tie-break exactly as
 * docs/DESIGN.md defines them, and the learner's exploration bonus.
 *
 * Layout: songs are kept in id order. unit[i] is the centred embedding of
 * song i scaled to length 1 (all zero when its centred norm is below 1e-9,
 * which makes every similarity with it 0). off[i] is what is added to the
 * similarity: 0 for a plain candidate, -penalty for a song played recently,
 * -inf for a song that is not a candidate at all (not in the library, not
 * playable). The penalty depends on the call's "now", so it is written into
 * off[] for the few played songs at the start of a call and undone at the
 * end; the song playing now is excluded the same way.
 *
 * The exploration bonus Êᵀ X Ê uses one matrix X for the whole room (the
 * caller's weight times the mean of the listeners' matrices, which gives
 * the mean of their bonuses), packed on the stack: 15 products a song,
 * whatever the number of listeners, and still no allocation. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-recommender.h"
#include "sk-taste.h"

typedef struct
{
  char *id;
  double embedding[SK_DIM];
} Song;

struct _SkRecommender
{
  GArray *songs;       /* Song, sorted by id after commit */
  GHashTable *by_id;   /* id → index + 1 */
  double *unit;        /* n × SK_DIM */
  double *off;         /* n */
  guint8 *in_library;  /* n */
  guint8 *playable;    /* n */
  gint64 *last_played; /* n */
  GArray *played;      /* guint indices with last_played != SK_NEVER */
  double *scratch;     /* listeners' unit vectors, grown on demand */
  guint scratch_len;
  gboolean committed;
};

static void
song_clear (gpointer p)
{
  Song *s = p;

  g_free (s->id);
}

SkRecommender *
sk_recommender_new (void)
{
  SkRecommender *self = g_new0 (SkRecommender, 1);

  self->songs = g_array_new (FALSE, TRUE, sizeof (Song));
  g_array_set_clear_func (self->songs, song_clear);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->played = g_array_new (FALSE, FALSE, sizeof (guint));
  return self;
}

static void
free_arrays (SkRecommender *self)
{
  g_clear_pointer (&self->unit, g_free);
  g_clear_pointer (&self->off, g_free);
  g_clear_pointer (&self->in_library, g_free);
  g_clear_pointer (&self->playable, g_free);
  g_clear_pointer (&self->last_played, g_free);
  g_array_set_size (self->played, 0);
}

void
sk_recommender_free (SkRecommender *self)
{
  if (self == NULL)
    return;
  free_arrays (self);
  g_hash_table_unref (self->by_id);
  g_array_unref (self->songs);
  g_array_unref (self->played);
  g_free (self->scratch);
  g_free (self);
}

void
sk_recommender_clear (SkRecommender *self)
{
  g_return_if_fail (self != NULL);

  free_arrays (self);
  g_hash_table_remove_all (self->by_id);
  g_array_set_size (self->songs, 0);
  self->committed = FALSE;
}

gboolean
sk_recommender_add_song (SkRecommender *self,
                         const char *id,
                         const double embedding[SK_DIM],
                         GError **error)
{
  Song s;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (embedding != NULL, FALSE);

  if (id == NULL || *id == '\0')
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "a song has no id");
      return FALSE;
    }
  if (self->committed)
    {
      /* adding after a commit starts a new catalogue build */
      free_arrays (self);
      self->committed = FALSE;
    }
  if (g_hash_table_contains (self->by_id, id))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "song “%.40s” appears twice", id);
      return FALSE;
    }
  s.id = g_strdup (id);
  memcpy (s.embedding, embedding, sizeof s.embedding);
  g_array_append_val (self->songs, s);
  /* index fixed up at commit; the key is owned by the array */
  g_hash_table_insert (self->by_id, s.id, GUINT_TO_POINTER (self->songs->len));
  return TRUE;
}

static int
song_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Song *) a)->id, ((const Song *) b)->id);
}

static void
refresh_off (SkRecommender *self, guint i)
{
  self->off[i] = (self->in_library[i] && self->playable[i]) ? 0.0 : -INFINITY;
}

void
sk_recommender_commit (SkRecommender *self)
{
  guint n;

  g_return_if_fail (self != NULL);

  n = self->songs->len;
  free_arrays (self);
  g_array_sort (self->songs, song_cmp);
  g_hash_table_remove_all (self->by_id);

  self->unit = g_new0 (double, (gsize) MAX (n, 1) * SK_DIM);
  self->off = g_new0 (double, MAX (n, 1));
  self->in_library = g_new (guint8, MAX (n, 1));
  self->playable = g_new (guint8, MAX (n, 1));
  self->last_played = g_new (gint64, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      Song *s = &g_array_index (self->songs, Song, i);

      g_hash_table_insert (self->by_id, s->id, GUINT_TO_POINTER (i + 1));
      sk_taste_centre_unit (s->embedding, &self->unit[(gsize) i * SK_DIM]);
      self->in_library[i] = 1;
      self->playable[i] = 1;
      self->last_played[i] = SK_NEVER;
      self->off[i] = 0.0;
    }
  self->committed = TRUE;
}

guint
sk_recommender_get_n_songs (SkRecommender *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->committed ? self->songs->len : 0;
}

const char *
sk_recommender_get_id (SkRecommender *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->songs->len, NULL);
  return g_array_index (self->songs, Song, index).id;
}

const double *
sk_recommender_get_embedding (SkRecommender *self, guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->songs->len, NULL);
  return g_array_index (self->songs, Song, index).embedding;
}

int
sk_recommender_lookup (SkRecommender *self, const char *id)
{
  gpointer v;

  g_return_val_if_fail (self != NULL, -1);
  if (id == NULL || !self->committed)
    return -1;
  v = g_hash_table_lookup (self->by_id, id);
  return v ? (int) GPOINTER_TO_UINT (v) - 1 : -1;
}

void
sk_recommender_set_library (SkRecommender *self, const char *const *ids, guint n)
{
  guint total;

  g_return_if_fail (self != NULL && self->committed);

  total = self->songs->len;
  memset (self->in_library, n == 0 ? 1 : 0, total);
  for (guint j = 0; j < n; j++)
    {
      int i = sk_recommender_lookup (self, ids[j]);

      if (i >= 0)
        self->in_library[i] = 1;
    }
  for (guint i = 0; i < total; i++)
    refresh_off (self, i);
}

void
sk_recommender_set_playable (SkRecommender *self, guint index, gboolean playable)
{
  g_return_if_fail (self != NULL && self->committed);
  g_return_if_fail (index < self->songs->len);

  self->playable[index] = playable ? 1 : 0;
  refresh_off (self, index);
}

void
sk_recommender_set_last_played (SkRecommender *self, guint index, gint64 usec)
{
  g_return_if_fail (self != NULL && self->committed);
  g_return_if_fail (index < self->songs->len);

  if (self->last_played[index] == SK_NEVER && usec != SK_NEVER)
    g_array_append_val (self->played, index);
  else if (usec == SK_NEVER && self->last_played[index] != SK_NEVER)
    for (guint j = 0; j < self->played->len; j++)
      if (g_array_index (self->played, guint, j) == index)
        {
          g_array_remove_index_fast (self->played, j);
          break;
        }
  if (usec == SK_NEVER || self->last_played[index] == SK_NEVER || usec > self->last_played[index])
    self->last_played[index] = usec;
}

void
sk_recommender_clear_history (SkRecommender *self)
{
  g_return_if_fail (self != NULL);

  for (guint j = 0; j < self->played->len; j++)
    self->last_played[g_array_index (self->played, guint, j)] = SK_NEVER;
  g_array_set_size (self->played, 0);
}

double
sk_recommender_penalty (gint64 now, gint64 last_played)
{
  double dt;

  if (last_played == SK_NEVER)
    return 0.0;
  dt = (double) (now - last_played) / G_USEC_PER_SEC;
  if (dt < 0.0)
    dt = 0.0; /* a clock that stepped back: treat as "just played" */
  return SK_PENALTY_LAMBDA * exp2 (-dt / SK_PENALTY_HALF_LIFE);
}

/* Insert (index, score) into the best-first list @out of @count ≤ @k items.
 * Indices arrive in ascending order, so an equal score never displaces an
 * earlier (smaller id) song. */
static inline guint
top_insert (SkRankItem *out, guint count, guint k, guint index, double score)
{
  guint pos;

  if (count == k && !(score > out[k - 1].score))
    return count;
  pos = count < k ? count : k - 1;
  while (pos > 0 && score > out[pos - 1].score)
    {
      out[pos] = out[pos - 1];
      pos--;
    }
  out[pos].index = index;
  out[pos].score = score;
  return count < k ? count + 1 : count;
}

static double *
listener_units (SkRecommender *self, const double *prefs, guint n)
{
  if (self->scratch_len < n)
    {
      self->scratch = g_renew (double, self->scratch, (gsize) n *SK_DIM);
      self->scratch_len = n;
    }
  for (guint l = 0; l < n; l++)
    sk_taste_centre_unit (&prefs[(gsize) l * SK_DIM], &self->scratch[(gsize) l * SK_DIM]);
  return self->scratch;
}

static inline double
dot5 (const double *a, const double *b)
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4];
}

/* The exploration matrix packed as its upper triangle with the
 * off-diagonal entries doubled, so that Êᵀ X Ê is 15 products. */
static void
pack_explore (const double x[SK_DIM * SK_DIM], double packed[15])
{
  guint k = 0;

  for (guint i = 0; i < SK_DIM; i++)
    for (guint j = i; j < SK_DIM; j++)
      packed[k++] = i == j ? x[i * SK_DIM + i] : x[i * SK_DIM + j] + x[j * SK_DIM + i];
}

static inline double
explore_bonus (const double *x, const double *e)
{
  double r0, r1, r2, r3, r4;

  if (x == NULL)
    return 0.0;
  /* Summed as a balanced tree: the same 20 products, a shorter chain. */
  r0 = (x[0] * e[0] + x[1] * e[1]) + (x[2] * e[2] + (x[3] * e[3] + x[4] * e[4]));
  r1 = (x[5] * e[1] + x[6] * e[2]) + (x[7] * e[3] + x[8] * e[4]);
  r2 = x[9] * e[2] + (x[10] * e[3] + x[11] * e[4]);
  r3 = x[12] * e[3] + x[13] * e[4];
  r4 = x[14] * e[4];
  return (e[0] * r0 + e[1] * r1) + (e[2] * r2 + (e[3] * r3 + e[4] * r4));
}

/* The room's taste, centred to a unit vector in @g, as the average
 * strategies score by it (and the explanation tells it): the mean of the
 * listeners present, or with nobody present the house taste (neutral when
 * none is set). */
static void
group_unit (const SkRankParams *params, double g[SK_DIM])
{
  double group[SK_DIM];

  if (params->n_listeners > 0)
    sk_taste_mean (params->listeners, params->n_listeners, group);
  else if (params->house != NULL)
    memcpy (group, params->house, sizeof group);
  else
    sk_taste_neutral (group);
  sk_taste_centre_unit (group, g);
}

guint
sk_recommender_rank (SkRecommender *self, const SkRankParams *params, SkRankItem *out)
{
  const double *unit, *off, *x = NULL;
  double g[SK_DIM], packed[15];
  double saved_current = 0.0;
  guint n, k, count = 0;
  SkStrategy strategy;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (params != NULL, 0);
  g_return_val_if_fail (out != NULL || params->k == 0, 0);

  if (!self->committed || params->k == 0)
    return 0;

  n = self->songs->len;
  k = params->k;
  unit = self->unit;
  off = self->off;

  /* Fold this call's penalties and the exclusion of the current song into
   * off[]; undone below. */
  for (guint j = 0; j < self->played->len; j++)
    {
      guint i = g_array_index (self->played, guint, j);

      if (self->off[i] == 0.0)
        self->off[i] = -sk_recommender_penalty (params->now, self->last_played[i]);
    }
  if (params->current >= 0 && (guint) params->current < n)
    {
      saved_current = self->off[params->current];
      self->off[params->current] = -INFINITY;
    }

  strategy = params->n_listeners == 0 ? SK_STRATEGY_AVERAGE : params->strategy;
  if (params->explore != NULL && params->n_listeners > 0)
    {
      pack_explore (params->explore, packed);
      x = packed;
    }

  if (strategy == SK_STRATEGY_AVERAGE)
    {
      group_unit (params, g);

      for (guint i = 0; i < n; i++)
        {
          const double *e = &unit[(gsize) i * SK_DIM];

          if (off[i] == -INFINITY)
            continue;
          count = top_insert (out, count, k, i, dot5 (g, e) + off[i] + explore_bonus (x, e));
        }
    }
  else if (strategy == SK_STRATEGY_LEAST_MISERY)
    {
      const double *u = listener_units (self, params->listeners, params->n_listeners);
      guint L = params->n_listeners;

      for (guint i = 0; i < n; i++)
        {
          const double *e = &unit[(gsize) i * SK_DIM];
          double worst;

          if (off[i] == -INFINITY)
            continue;
          worst = dot5 (u, e);
          for (guint l = 1; l < L; l++)
            {
              double s = dot5 (&u[(gsize) l * SK_DIM], e);

              if (s < worst)
                worst = s;
            }
          count = top_insert (out, count, k, i, worst + off[i] + explore_bonus (x, e));
        }
    }
  else
    {
      /* average_without_misery: rank the survivors; with none, rank all.
       * Until the first survivor appears the dropped songs are ranked in
       * all[] too: if no survivor ever appears, all[] is the whole ranking. */
      const double *u = listener_units (self, params->listeners, params->n_listeners);
      guint L = params->n_listeners;
      SkRankItem *all = g_newa (SkRankItem, k);
      guint count_all = 0;

      group_unit (params, g);
      for (guint i = 0; i < n; i++)
        {
          const double *e = &unit[(gsize) i * SK_DIM];
          gboolean misery = FALSE;
          double score;

          if (off[i] == -INFINITY)
            continue;
          for (guint l = 0; l < L && !misery; l++)
            misery = dot5 (&u[(gsize) l * SK_DIM], e) < SK_TASTE_MISERY;
          score = dot5 (g, e) + off[i] + explore_bonus (x, e);
          if (!misery)
            count = top_insert (out, count, k, i, score);
          else if (count == 0)
            count_all = top_insert (all, count_all, k, i, score);
        }
      if (count == 0)
        {
          memcpy (out, all, sizeof (SkRankItem) * count_all);
          count = count_all;
        }
    }

  if (params->current >= 0 && (guint) params->current < n)
    self->off[params->current] = saved_current;
  for (guint j = 0; j < self->played->len; j++)
    refresh_off (self, g_array_index (self->played, guint, j));

  return count;
}

void
sk_recommender_explain (SkRecommender *self,
                        const SkRankParams *params,
                        guint index,
                        SkWhyParts *out)
{
  const double *e, *like;
  double g[SK_DIM], packed[15];
  guint L;

  g_return_if_fail (self != NULL && self->committed);
  g_return_if_fail (params != NULL && out != NULL);
  g_return_if_fail (index < self->songs->len);

  memset (out, 0, sizeof *out);
  L = params->n_listeners;
  e = &self->unit[(gsize) index * SK_DIM];
  out->n_present = L;
  out->strategy = L == 0 ? SK_STRATEGY_AVERAGE : params->strategy;

  if (out->strategy == SK_STRATEGY_LEAST_MISERY)
    {
      const double *u = listener_units (self, params->listeners, L);
      guint worst = 0;

      out->similarity = dot5 (u, e);
      for (guint l = 1; l < L; l++)
        {
          double s = dot5 (&u[(gsize) l * SK_DIM], e);

          if (s < out->similarity)
            {
              out->similarity = s;
              worst = l;
            }
        }
      like = &u[(gsize) worst * SK_DIM];
    }
  else
    {
      group_unit (params, g);
      out->similarity = dot5 (g, e);
      like = g;
    }
  for (guint d = 0; d < SK_DIM; d++)
    {
      out->taste[d] = like[d] * e[d];
      out->taste_like[d] = like[d];
    }

  out->penalty = sk_recommender_penalty (params->now, self->last_played[index]);
  if (params->explore != NULL && L > 0)
    {
      pack_explore (params->explore, packed);
      out->bonus = explore_bonus (packed, e);
    }
  if (self->last_played[index] == SK_NEVER)
    out->since_played = -1;
  else
    out->since_played = MAX (0, (params->now - self->last_played[index]) / G_USEC_PER_SEC);
}
