/* fuzz-settings: a value for a setting, as soundscape-ctl config and the
 * admin page give it. The first byte picks the setting; the rest is the
 * value. A value the check lets through must read back in range. */
#include "config.h"

#include <math.h>

#include "sk-fuzz.h"
#include "sk-settings.h"
#include "sk-util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const SkSetting *all, *s;
  g_autofree char *value = NULL;
  g_autoptr (GError) error = NULL;
  guint n;
  double v, vec[SK_DIM];

  if (size < 1)
    return 0;
  all = sk_settings_list (&n);
  s = &all[data[0] % n];
  value = g_strndup ((const char *) data + 1, size - 1);
  if (!sk_settings_validate (s->key, value, &error))
    {
      g_assert_nonnull (error);
      return 0;
    }
  switch (s->kind)
    {
    case SK_SETTING_INT:
    case SK_SETTING_DOUBLE:
      g_assert_true (sk_number_parse (value, NULL, &v, NULL));
      g_assert_true (isfinite (v) && v >= s->min && v <= s->max);
      if (s->kind == SK_SETTING_INT)
        g_assert_cmpfloat (v, ==, floor (v));
      break;
    case SK_SETTING_VECTOR:
      g_assert_true (sk_vec_parse (value, vec, NULL));
      break;
    case SK_SETTING_STRING:
    case SK_SETTING_CHOICE:
    default:
      g_assert_true (g_utf8_validate (value, -1, NULL));
      break;
    }
  return 0;
}
