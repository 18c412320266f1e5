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
member (JsonObject  *obj,
        const char  *name,
        gboolean     required,
        GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL && required)
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” is missing", name);
  return node;
}

static const char *
string_member (JsonObject  *obj,
               const char  *name,
               const char  *what,
               GError     **error)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s.%s is missing", what, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s.%s must be a string", what, name);
      return NULL;
    }
  return json_node_get_string (node);
}

static JsonArray *
array_member (JsonObject  *obj,
              const char  *name,
              gboolean     required,
              GError     **error)
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
element_object (JsonArray   *array,
                guint        i,
                const char  *what,
                GError     **error)
{
  JsonNode *node = json_array_get_element (array, i);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s[%u] must be an object", what, i);
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
vec_member (JsonObject  *obj,
            const char  *name,
            const char  *what,
            gboolean     unit_range,
            double       out[SK_DIM],
            GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (!sk_vec_from_json (json_object_get_member (obj, name), out, unit_range, &local))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s%s%s: %s",
                   what, *what ? "." : "", name, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
root_object (JsonNode    *root,
             JsonObject **obj,
             GError     **error)
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
sk_case_rank (JsonNode  *root,
              GError   **error)
{
  g_autoptr(SkRecommender) rec = sk_recommender_new ();
  g_autoptr(GPtrArray) library = g_ptr_array_new ();
  g_autofree double *prefs = NULL;
  g_autofree SkRankItem *items = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SkRankParams params = { 0 };
  double house[SK_DIM];
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
      g_set_error_literal (&local, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“songs” must be an array");
    if (local != NULL)
      {
        g_propagate_error (error, local);
        return NULL;
      }
  }

  n = listeners ? json_array_get_length (listeners) : 0;
  prefs = g_new0 (double, (gsize) MAX (n, 1) * SK_DIM);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *what = g_strdup_printf ("listeners[%u]", i);
      JsonObject *l = element_object (listeners, i, "listeners", error);

      if (l == NULL || !vec_member (l, "preference", what, TRUE, &prefs[(gsize) i * SK_DIM], error))
        return NULL;
    }
  params.listeners = prefs;
  params.n_listeners = n;

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
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "library[%u] must be a song id", i);
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

JsonNode *
sk_case_taste_step (JsonNode  *root,
                    GError   **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  double pref[SK_DIM], momentum[SK_DIM], embedding[SK_DIM];
  JsonObject *obj;
  JsonNode *node;
  gint64 vote;

  if (!root_object (root, &obj, error) ||
      !vec_member (obj, "preference", "", TRUE, pref, error) ||
      !vec_member (obj, "embedding", "", TRUE, embedding, error))
    return NULL;

  node = json_object_get_member (obj, "momentum");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    memset (momentum, 0, sizeof momentum);
  else if (!vec_member (obj, "momentum", "", FALSE, momentum, error))
    return NULL;

  node = json_object_get_member (obj, "vote");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64 ||
      (vote = json_node_get_int (node)) < 1 || vote > 5)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "“vote” must be a whole number from 1 to 5");
      return NULL;
    }

  sk_taste_vote (pref, momentum, embedding, (int) vote);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "preference");
  json_builder_add_value (b, sk_vec_to_json (pref));
  json_builder_set_member_name (b, "momentum");
  json_builder_add_value (b, sk_vec_to_json (momentum));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
sk_case_check_rank (JsonNode  *root,
                    JsonNode  *result,
                    double     tolerance,
                    GError   **error)
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
sk_case_check_taste (JsonNode  *root,
                     JsonNode  *result,
                     double     tolerance,
                     GError   **error)
{
  JsonNode *expect = json_object_get_member (json_node_get_object (root), "expect");
  JsonObject *got = json_node_get_object (result);
  static const char *const fields[] = { "preference", "momentum" };

  if (expect == NULL || !JSON_NODE_HOLDS_OBJECT (expect))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“expect” is missing");
      return FALSE;
    }
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      double e[SK_DIM], g[SK_DIM];

      if (!vec_member (json_node_get_object (expect), fields[f], "expect", FALSE, e, error) ||
          !vec_member (got, fields[f], "result", FALSE, g, error))
        return FALSE;
      for (guint d = 0; d < SK_DIM; d++)
        if (!(fabs (e[d] - g[d]) <= tolerance))
          {
            g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                         "%s[%u]: expected %.10f, got %.10f", fields[f], d, e[d], g[d]);
            return FALSE;
          }
    }
  return TRUE;
}
