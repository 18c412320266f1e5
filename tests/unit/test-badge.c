/* Badge UIDs: what is accepted, how it is written, what is refused. */
#include "config.h"

#include <string.h>

#include "sk-badge.h"

static void
test_normalises (void)
{
  static const char *const ok[][2] = {
    { "04a1b2c3", "04A1B2C3" },
    { "04:A1:B2:C3", "04A1B2C3" },
    { "04-a1-b2-c3-d4-e5-f6", "04A1B2C3D4E5F6" },
    { "04 A1 B2 C3 D4 E5 F6 07 08 09", "04A1B2C3D4E5F6070809" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *uid = sk_badge_normalise_uid (ok[i][0], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (uid, ==, ok[i][1]);
    }
}

static void
test_refuses (void)
{
  g_autofree char *huge = g_strnfill (100000, 'A');
  const char *bad[] = {
    "", "04A1B2", "04A1B2C3D4", "04A1B2C3D4E5F60708", "04A1B2C3D4E5F6070809AA",
    "G4A1B2C3", "04A1B2C3\n", "04;A1;B2;C3", "0x04A1B2C3", "04A1B2C\xc3\xa9", huge, NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *uid = sk_badge_normalise_uid (bad[i], &error);

      g_assert_null (uid);
      g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID);
    }
}

static void
test_guest_names (void)
{
  g_autofree char *a = sk_badge_guest_name ("04A1B2C3");
  g_autofree char *b = sk_badge_guest_name ("04A1B2C3");

  g_assert_cmpstr (a, ==, b);
  g_assert_nonnull (strchr (a, ' '));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/badge/uid-is-upper-case-hex-without-separators", test_normalises);
  g_test_add_func ("/core/badge/odd-uids-are-refused", test_refuses);
  g_test_add_func ("/core/badge/guest-name-is-stable", test_guest_names);
  return g_test_run ();
}
