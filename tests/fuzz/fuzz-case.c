/* fuzz-case: a case file as soundscape-ctl rank and taste-step read it
 * (sk_json_parse_object, then the rank and the vote evaluation). */
#include "config.h"

#include "sk-cases.h"
#include "sk-fuzz.h"
#include "sk-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) ranked = NULL;
  g_autoptr (JsonNode) stepped = NULL;
  g_autoptr (GError) rank_error = NULL;
  g_autoptr (GError) step_error = NULL;

  root = sk_json_parse_object ((const char *) data, size, NULL);
  if (root == NULL)
    return 0;
  ranked = sk_case_rank (root, &rank_error);
  g_assert_true ((ranked == NULL) == (rank_error != NULL));
  stepped = sk_case_taste_step (root, &step_error);
  g_assert_true ((stepped == NULL) == (step_error != NULL));
  return 0;
}
