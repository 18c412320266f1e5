/* Every case file of tests/data/rank and tests/data/vote, evaluated through
 * the same code soundscape-ctl uses, against its expectation to 1e-6; and
 * every file of tests/data/bad refused with a reason. */
#include "config.h"

#include <string.h>

#include "sk-cases.h"
#include "sk-util.h"

#define TOLERANCE 1e-6

static void
run_rank (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = sk_json_load_object (path, &error);
  g_autoptr (JsonNode) result = NULL;

  g_assert_no_error (error);
  result = sk_case_rank (root, &error);
  g_assert_no_error (error);
  sk_case_check_rank (root, result, TOLERANCE, &error);
  g_assert_no_error (error);
}

static void
run_vote (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = sk_json_load_object (path, &error);
  g_autoptr (JsonNode) result = NULL;

  g_assert_no_error (error);
  result = sk_case_taste_step (root, &error);
  g_assert_no_error (error);
  sk_case_check_taste (root, result, TOLERANCE, &error);
  g_assert_no_error (error);
}

static void
run_bad (gconstpointer data)
{
  const char *path = data;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = sk_json_load_object (path, &error);
  g_autoptr (JsonNode) result = NULL;

  if (root != NULL)
    result = g_str_has_prefix (base, "vote-") ? sk_case_taste_step (root, &error)
                                              : sk_case_rank (root, &error);
  g_assert_null (result);
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
  g_assert_cmpuint (strlen (error->message), >, 10);
  g_test_message ("%s refused: %s", base, error->message);
}

static guint
add_dir (const char *sub, const char *prefix, GTestDataFunc func)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", sub, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      g_autofree char *stem = g_strndup (n, strlen (n) - 5);
      g_autofree char *test = g_strdup_printf ("%s/%s", prefix, stem);

      g_test_add_data_func_full (test, g_build_filename (dir, n, NULL), func, g_free);
    }
  return names->len;
}

/* The depth bound of every JSON the project reads: SK_JSON_MAX_DEPTH
 * levels parse, one more is refused before json-glib recurses; brackets
 * inside strings (escaped quotes too) are text, not levels. */
static void
test_json_depth_bound (void)
{
  g_autoptr (GString) ok = g_string_new ("{\"a\": ");
  g_autoptr (GString) deep = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  const char *text = "{\"s\": \"[[[[\\\"[[[[\", \"t\": [[1]]}";

  for (guint i = 1; i < SK_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, '[');
  for (guint i = 1; i < SK_JSON_MAX_DEPTH; i++)
    g_string_append_c (ok, ']');
  g_string_append_c (ok, '}');
  root = sk_json_parse_object (ok->str, ok->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);
  g_clear_pointer (&root, json_node_unref);

  deep = g_string_new (ok->str);
  g_string_insert_c (deep, 6, '[');
  g_string_insert_c (deep, deep->len - 1, ']');
  g_assert_false (sk_json_check_depth (deep->str, deep->len, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_null (sk_json_parse_object (deep->str, deep->len, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_true (sk_json_check_depth (text, strlen (text), &error));
  g_assert_no_error (error);
  root = sk_json_parse_object (text, strlen (text), &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  guint n_rank, n_vote;

  g_test_init (&argc, &argv, NULL);
  n_rank = add_dir ("rank", "/core/recommender/case", run_rank);
  n_vote = add_dir ("vote", "/core/taste/case", run_vote);
  add_dir ("bad", "/core/cases/bad-input-is-refused", run_bad);
  g_test_add_func ("/core/json/depth-is-bounded-before-parsing", test_json_depth_bound);
  g_assert_cmpuint (n_rank, >=, 25);
  g_assert_cmpuint (n_vote, >=, 15);
  return g_test_run ();
}
