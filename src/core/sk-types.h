/* sk-types.h: forward declarations and the enums shared across the core.
 *
 * Included by every core header so that no header needs another one just
 * for a type name.
 */
#pragma once

#include <glib.h>

#include "sk-defaults.h"

G_BEGIN_DECLS

/* Taste space: rain, wind, fire, thunder, waves; each in [0, 1], 0.5 = indifferent. */
#define SK_DIM 5

typedef struct _SkStore SkStore;
typedef struct _SkRecommender SkRecommender;
typedef struct _SkSessions SkSessions;
typedef struct _SkEngine SkEngine;

typedef enum
{
  SK_STRATEGY_AVERAGE,
  SK_STRATEGY_LEAST_MISERY,
  SK_STRATEGY_AVERAGE_WITHOUT_MISERY,
} SkStrategy;

/* Validation of anything that comes from outside: UIDs, vectors, case files,
 * sidecars, settings. */
#define SK_INPUT_ERROR (sk_input_error_quark ())
typedef enum
{
  SK_INPUT_ERROR_INVALID,
  SK_INPUT_ERROR_TOO_LARGE,
} SkInputError;

GQuark sk_input_error_quark (void);

G_END_DECLS
