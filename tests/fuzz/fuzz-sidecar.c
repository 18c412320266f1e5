/* fuzz-sidecar: a sidecar NAME.json as import reads it (sk_sidecar_parse,
 * what sk_sidecar_load does once the file is read). What it accepts must
 * be what the songs table can hold. */
#include "config.h"

#include <math.h>

#include "sk-fuzz.h"
#include "sk-import.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_auto (SkSidecar) sc = { 0 };
  g_autoptr (GError) error = NULL;

  if (!sk_sidecar_parse ((const char *) data, size, &sc, &error))
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_nonnull (sc.title);
  g_assert_true (g_utf8_validate (sc.title, -1, NULL));
  g_assert_true (sc.bpm >= 0 && sc.bpm <= 400);
  for (guint i = 0; i < SK_DIM; i++)
    g_assert_true (isfinite (sc.embedding[i]) && sc.embedding[i] >= 0.0 && sc.embedding[i] <= 1.0);
  return 0;
}
