/* ctl-cases.c: rank and taste-step, the case files of tests/data/. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "sk-cases.h"
#include "sk-util.h"

/* --- case files --------------------------------------------------------- */

static int
run_case (int argc, char **argv, const char *name, JsonNode *(*eval) (JsonNode *, GError **) )
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) result = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  int rc = parse_options (&argc, &argv, NULL);

  if (rc >= 0)
    return rc;
  root = sk_json_load_object (argv[1], &error);
  if (root == NULL)
    return fail ("%s: %s", name, error->message);
  result = eval (root, &error);
  if (result == NULL)
    return fail ("%s: %s: %s", name, argv[1], error->message);
  json_generator_set_root (gen, result);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  return EXIT_SUCCESS;
}

int
cmd_rank (int argc, char **argv)
{
  return run_case (argc, argv, "rank", sk_case_rank);
}

int
cmd_taste_step (int argc, char **argv)
{
  return run_case (argc, argv, "taste-step", sk_case_taste_step);
}
