/* sk-cases.h: the recommender case files of tests/data/ (see its README).
 *
 * A rank case describes a room (listeners, songs, library, history, the
 * song playing) and a time; a vote case one taste update (the seed's
 * rule) or a sequence of votes through the learner. Both the C tests
 * and soundscape-ctl's "rank" and "taste-step" read them through here, and
 * the SQL tests read the same files. */
#pragma once

#include <json-glib/json-glib.h>

#include "sk-types.h"

G_BEGIN_DECLS

/* Evaluate a parsed case and return {"queue":[{"song_id","score"}]}, or
 * {"preference":[…],"momentum":[…]} for the seed's rule, or
 * {"preference":[…],"state":[…]} for a case with "learner": "bayes". */
JsonNode *sk_case_rank (JsonNode *root, GError **error);
JsonNode *sk_case_taste_step (JsonNode *root, GError **error);

/* Compare a result with the case's "expect" to @tolerance; FALSE with a
 * message naming the first difference. */
gboolean sk_case_check_rank (JsonNode *root, JsonNode *result, double tolerance, GError **error);
gboolean sk_case_check_taste (JsonNode *root, JsonNode *result, double tolerance, GError **error);

G_END_DECLS
