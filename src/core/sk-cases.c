/* sk-cases.c: reading and evaluating recommender case files.
 *
 * Everything in a case is validated before it is used, and every error
 * names the field ("songs[3].embedding: …"), since these files are written
 * by hand and shared with the SQL tests. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-cases.h"
#include "sk-recommender.h"
#include "sk-taste.h"
#include "sk-util.h"

#define MAX_K 1000

static JsonNode *
member (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && required)
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” is missing", name);
  return node;
}

static const char *
string_member (JsonObject *obj, const char *name, const char *what, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s.%s is missing", what, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s.%s must be a string", what,
                   name);
      return NULL;
    }
  return json_node_get_string (node);
}

static JsonArray *
array_member (JsonObject *obj, const char *name, gboolean required, GError **error)
{
  JsonNode *node = member (obj, name, required, error);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” must be an array", name);
      return NULL;
    }
  return json_node_get_array (node);
}

static JsonObject *
element_object (JsonArray *array, guint i, const char *what, GError **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s[%u] must be an object", what,
                   i);
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
vec_member (JsonObject *obj,
            const char *name,
            const char *what,
            gboolean unit_range,
            double out[SK_DIM],
            GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!sk_vec_from_json (json_object_get_member (obj, name), out, unit_range, &local))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s%s%s: %s", what,
                   *what ? "." : "", name, local->message);
      return FALSE;
    }
  return TRUE;
}

/* A learner state: SK_TASTE_STATE_LEN numbers the learner can continue
 * from. */
static gboolean
state_member (JsonObject *obj, const char *what, double out[SK_TASTE_STATE_LEN], GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!sk_numbers_from_json (json_object_get_member (obj, "state"), out, SK_TASTE_STATE_LEN,
                             &local))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s%sstate: %s", what,
                   *what ? "." : "", local->message);
      return FALSE;
    }
  if (!sk_taste_state_valid (out))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s%sstate is not a learner state (S >= 0, s2 > 0, A positive definite)", what,
                   *what ? "." : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
has_member (JsonObject *obj, const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

static gboolean
root_object (JsonNode *root, JsonObject **obj, GError **error)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "a case must be a JSON object");
      return FALSE;
    }
  *obj = json_node_get_object (root);
  return TRUE;
}

JsonNode *
sk_case_rank (JsonNode *root, GError **error)
{
  g_autoptr (SkRecommender) rec = sk_recommender_new ();
  g_autoptr (GPtrArray) library = g_ptr_array_new ();
  g_autofree double *prefs = NULL;
  g_autofree double *states = NULL;
  g_autofree SkRankItem *items = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SkRankParams params = { 0 };
  double house[SK_DIM], explore[SK_DIM * SK_DIM], weight = 0.0;
  guint n_states = 0;
  JsonObject *obj;
  JsonArray *listeners = NULL, *songs = NULL, *lib = NULL, *history = NULL;
  JsonNode *node;
  const char *text;
  guint n;

  if (!root_object (root, &obj, error))
    return NULL;

  text = string_member (obj, "now", "case", error);
  if (text == NULL || !sk_time_parse (text, &params.now, error))
    return NULL;

  params.strategy = SK_STRATEGY_AVERAGE;
  node = json_object_get_member (obj, "strategy");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      text = string_member (obj, "strategy", "case", error);
      if (text == NULL || !sk_strategy_from_string (text, &params.strategy, error))
        return NULL;
    }

  params.k = 5;
  node = json_object_get_member (obj, "k");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      gint64 k;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          (k = json_node_get_int (node)) < 1 || k > MAX_K)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "“k” must be a whole number from 1 to %d", MAX_K);
          return NULL;
        }
      params.k = (guint) k;
    }

  sk_taste_neutral (house);
  node = json_object_get_member (obj, "house_vector");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
      !vec_member (obj, "house_vector", "", TRUE, house, error))
    return NULL;
  params.house = house;

  node = json_object_get_member (obj, "explore");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      GType t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

      if ((t != G_TYPE_DOUBLE && t != G_TYPE_INT64) ||
          !((weight = json_node_get_double (node)) >= 0.0 && weight <= SK_EXPLORE_MAX))
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "“explore” must be a number from 0 to %g", SK_EXPLORE_MAX);
          return NULL;
        }
    }

  {
    GError *local = NULL;

    listeners = array_member (obj, "listeners", FALSE, &local);
    if (local == NULL)
      songs = array_member (obj, "songs", TRUE, &local);
    if (local == NULL)
      lib = array_member (obj, "library", FALSE, &local);
    if (local == NULL)
      history = array_member (obj, "history", FALSE, &local);
    if (local == NULL && songs == NULL)
      g_set_error_literal (&local, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "“songs” must be an array");
    if (local != NULL)
      {
        g_propagate_error (error, local);
        return NULL;
      }
  }

  n = listeners ? json_array_get_length (listeners) : 0;
  prefs = g_new0 (double, (gsize) MAX (n, 1) * SK_DIM);
  states = g_new0 (double, (gsize) MAX (n, 1) * SK_TASTE_STATE_LEN);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *what = g_strdup_printf ("listeners[%u]", i);
      JsonObject *l = element_object (listeners, i, "listeners", error);

      if (l == NULL || !vec_member (l, "preference", what, TRUE, &prefs[(gsize) i * SK_DIM], error))
        return NULL;
      if (has_member (l, "state") &&
          !state_member (l, what, &states[(gsize) n_states++ * SK_TASTE_STATE_LEN], error))
        return NULL;
    }
  params.listeners = prefs;
  params.n_listeners = n;
  /* the bonus is the mean over the listeners that carry a state */
  if (sk_taste_explore_blend (states, n_states, weight, explore))
    params.explore = explore;

  for (guint i = 0; i < json_array_get_length (songs); i++)
    {
      g_autofree char *what = g_strdup_printf ("songs[%u]", i);
      JsonObject *s = element_object (songs, i, "songs", error);
      double e[SK_DIM];
      const char *id;

      if (s == NULL || (id = string_member (s, "id", what, error)) == NULL ||
          !vec_member (s, "embedding", what, TRUE, e, error) ||
          !sk_recommender_add_song (rec, id, e, error))
        return NULL;
    }
  sk_recommender_commit (rec);

  for (guint i = 0; lib != NULL && i < json_array_get_length (lib); i++)
    {
      JsonNode *e = json_array_get_element (lib, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "library[%u] must be a song id", i);
          return NULL;
        }
      g_ptr_array_add (library, (gpointer) json_node_get_string (e));
    }
  sk_recommender_set_library (rec, (const char *const *) library->pdata, library->len);

  for (guint i = 0; history != NULL && i < json_array_get_length (history); i++)
    {
      g_autofree char *what = g_strdup_printf ("history[%u]", i);
      JsonObject *h = element_object (history, i, "history", error);
      const char *id, *at;
      gint64 t;
      int index;

      if (h == NULL || (id = string_member (h, "song_id", what, error)) == NULL ||
          (at = string_member (h, "played_at", what, error)) == NULL ||
          !sk_time_parse (at, &t, error))
        return NULL;
      index = sk_recommender_lookup (rec, id);
      if (index >= 0)
        sk_recommender_set_last_played (rec, index, t);
    }

  params.current = -1;
  node = json_object_get_member (obj, "current_song_id");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      text = string_member (obj, "current_song_id", "case", error);
      if (text == NULL)
        return NULL;
      params.current = sk_recommender_lookup (rec, text);
    }

  items = g_new (SkRankItem, params.k);
  n = sk_recommender_rank (rec, &params, items);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "queue");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "song_id");
      json_builder_add_string_value (b, sk_recommender_get_id (rec, items[i].index));
      json_builder_set_member_name (b, "score");
      json_builder_add_double_value (b, items[i].score);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* "vote": a whole number from 1 to 5. */
static gboolean
vote_member (JsonObject *obj, const char *what, int *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, "vote");
  gint64 vote;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 || (vote = json_node_get_int (node)) < 1 ||
      vote > 5)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s%s“vote” must be a whole number from 1 to 5", what, *what ? ": " : "");
      return FALSE;
    }
  *out = (int) vote;
  return TRUE;
}

/* The learner's case: optional preference and state, then votes in order. */
static JsonNode *
taste_learn (JsonObject *obj, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  double pref[SK_DIM], state[SK_TASTE_STATE_LEN];
  JsonArray *votes;
  gboolean has_pref = has_member (obj, "preference");

  sk_taste_neutral (pref);
  if (has_pref && !vec_member (obj, "preference", "", TRUE, pref, error))
    return NULL;
  if (has_member (obj, "state"))
    {
      if (!state_member (obj, "", state, error))
        return NULL;
    }
  else if (has_pref)
    sk_taste_state_from_preference (pref, state);
  else
    sk_taste_state_new (state);

  votes = array_member (obj, "votes", TRUE, error);
  if (votes == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                             "“votes” must be an array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (votes); i++)
    {
      g_autofree char *what = g_strdup_printf ("votes[%u]", i);
      JsonObject *v = element_object (votes, i, "votes", error);
      double embedding[SK_DIM];
      int vote;

      if (v == NULL || !vec_member (v, "embedding", what, TRUE, embedding, error) ||
          !vote_member (v, what, &vote, error))
        return NULL;
      if (!sk_taste_learn (state, pref, embedding, vote))
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "%s: the learner refused the vote", what);
          return NULL;
        }
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "preference");
  json_builder_add_value (b, sk_vec_to_json (pref));
  json_builder_set_member_name (b, "state");
  json_builder_add_value (b, sk_numbers_to_json (state, SK_TASTE_STATE_LEN));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
sk_case_taste_step (JsonNode *root, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  double pref[SK_DIM], momentum[SK_DIM], embedding[SK_DIM];
  JsonObject *obj;
  JsonNode *node;
  int vote;

  if (!root_object (root, &obj, error))
    return NULL;

  node = json_object_get_member (obj, "learner");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      const char *learner = string_member (obj, "learner", "case", error);

      if (learner == NULL)
        return NULL;
      if (strcmp (learner, "bayes") == 0)
        return taste_learn (obj, error);
      if (strcmp (learner, "seed") != 0)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "unknown learner “%.40s” (expected seed or bayes)", learner);
          return NULL;
        }
    }

  if (!vec_member (obj, "preference", "", TRUE, pref, error) ||
      !vec_member (obj, "embedding", "", TRUE, embedding, error))
    return NULL;

  node = json_object_get_member (obj, "momentum");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    memset (momentum, 0, sizeof momentum);
  else if (!vec_member (obj, "momentum", "", FALSE, momentum, error))
    return NULL;

  if (!vote_member (obj, "", &vote, error))
    return NULL;

  sk_taste_vote (pref, momentum, embedding, vote);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "preference");
  json_builder_add_value (b, sk_vec_to_json (pref));
  json_builder_set_member_name (b, "momentum");
  json_builder_add_value (b, sk_vec_to_json (momentum));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
sk_case_check_rank (JsonNode *root, JsonNode *result, double tolerance, GError **error)
{
  JsonArray *expect, *got;
  guint n;

  expect = array_member (json_node_get_object (root), "expect", TRUE, error);
  if (expect == NULL)
    return FALSE;
  got = json_object_get_array_member (json_node_get_object (result), "queue");
  n = json_array_get_length (expect);
  if (json_array_get_length (got) != n)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "expected %u songs in the queue, got %u", n, json_array_get_length (got));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonObject *e = element_object (expect, i, "expect", error);
      JsonObject *g = json_array_get_object_element (got, i);
      const char *eid;
      double es, gs;

      if (e == NULL || (eid = string_member (e, "song_id", "expect", error)) == NULL)
        return FALSE;
      es = json_object_get_double_member (e, "score");
      gs = json_object_get_double_member (g, "score");
      if (strcmp (eid, json_object_get_string_member (g, "song_id")) != 0)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "position %u: expected %s, got %s", i + 1, eid,
                       json_object_get_string_member (g, "song_id"));
          return FALSE;
        }
      if (!(fabs (es - gs) <= tolerance))
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "position %u (%s): expected score %.10f, got %.10f", i + 1, eid, es, gs);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
sk_case_check_taste (JsonNode *root, JsonNode *result, double tolerance, GError **error)
{
  JsonNode *expect = json_object_get_member (json_node_get_object (root), "expect");
  JsonObject *got = json_node_get_object (result);
  const char *second;

  if (expect == NULL || !JSON_NODE_HOLDS_OBJECT (expect))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“expect” is missing");
      return FALSE;
    }
  /* the seed's rule answers a momentum, the learner a state */
  second = json_object_has_member (json_node_get_object (expect), "state") ? "state" : "momentum";
  for (guint f = 0; f < 2; f++)
    {
      const char *field = f == 0 ? "preference" : second;
      guint n = f == 0 || strcmp (second, "momentum") == 0 ? SK_DIM : SK_TASTE_STATE_LEN;
      double e[SK_TASTE_STATE_LEN], g[SK_TASTE_STATE_LEN];
      g_autoptr (GError) local = NULL;

      if (!sk_numbers_from_json (json_object_get_member (json_node_get_object (expect), field), e,
                                 n, &local) ||
          !sk_numbers_from_json (json_object_get_member (got, field), g, n, &local))
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s: %s", field,
                       local->message);
          return FALSE;
        }
      for (guint d = 0; d < n; d++)
        if (!(fabs (e[d] - g[d]) <= tolerance))
          {
            g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                         "%s[%u]: expected %.10f, got %.10f", field, d, e[d], g[d]);
            return FALSE;
          }
    }
  return TRUE;
}
