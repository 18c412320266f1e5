/* fuzz-uid: what a badge and a person type: the UID normaliser (the
 * reader's, join's and tap's) and the name check (enroll's, join's). */
#include "config.h"

#include <string.h>

#include "sk-badge.h"
#include "sk-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *uid = NULL;
  g_autofree char *again = NULL;
  g_autofree char *name = NULL;
  g_autofree char *name_again = NULL;

  uid = sk_badge_normalise_uid (text, NULL);
  if (uid != NULL)
    {
      gsize len = strlen (uid);
      g_autofree char *guest = NULL;

      /* 4, 7 or 10 bytes of upper-case hex, and normalising is idempotent */
      g_assert_true (len == 8 || len == 14 || len == 20);
      for (gsize i = 0; i < len; i++)
        g_assert_true (g_ascii_isdigit (uid[i]) || (uid[i] >= 'A' && uid[i] <= 'F'));
      again = sk_badge_normalise_uid (uid, NULL);
      g_assert_cmpstr (again, ==, uid);
      guest = sk_badge_guest_name (uid);
      g_assert_nonnull (guest);
    }

  name = sk_badge_clean_name (text, NULL);
  if (name != NULL)
    {
      g_assert_true (g_utf8_validate (name, -1, NULL));
      g_assert_cmpint (g_utf8_strlen (name, -1), <=, SK_NAME_MAX_CHARS);
      /* a clean name is clean */
      name_again = sk_badge_clean_name (name, NULL);
      g_assert_cmpstr (name_again, ==, name);
    }
  return 0;
}
