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
      g_autoptr (GError) error = NULL;
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
    "",         "04A1B2",     "04A1B2C3D4",  "04A1B2C3D4E5F60708", "04A1B2C3D4E5F6070809AA",
    "G4A1B2C3", "04A1B2C3\n", "04;A1;B2;C3", "0x04A1B2C3",         "04A1B2C\xc3\xa9",
    huge,       NULL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
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

/* A listener's name: at most 64 printable characters with something
 * visible; no control characters, no text-direction controls, no
 * invisible formatting (the screen and the D-Bus API show it as given). */
static void
test_names (void)
{
  static const char *const ok[][2] = {
    { "Ann", "Ann" },
    { "  Rain Lover  ", "Rain Lover" },
    { "\u00a0Zoë\u3000", "Zoë" },                               /* Unicode spaces trimmed */
    { "Zoe\u0308", "Zoë" },                                     /* NFC */
    { "\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd" }, /* Hebrew is fine */
    { "\U0001F468\u200D\U0001F469\u200D\U0001F467", "\U0001F468\u200D\U0001F469\u200D\U0001F467" },
  };
  static const struct
  {
    const char *name;
    const char *says;
  } bad[] = {
    { "", "empty" },
    { "   ", "empty" },
    { "\u200B\u200B\u200B", "invisible" },      /* zero-width spaces */
    { "\u200D\u200C", "no visible character" }, /* joiners alone */
    { "\u3164\u3164", "no visible character" }, /* Hangul filler */
    { "\u2800", "no visible character" },       /* braille blank */
    { "Ann\u202Egro", "direction" },            /* right-to-left override */
    { "\u2067Ann", "direction" },               /* right-to-left isolate */
    { "Ann\u200F", "direction" },               /* right-to-left mark */
    { "Ann\u00ADe", "invisible" },              /* soft hyphen */
    { "Ann\uFEFF", "invisible" },
    { "Ann\tBob", "control" },
    { "Ann\nBob", "control" },
    { "Ann\x1b[2J", "control" },
    { "Ann\xff", "not valid text" },
  };
  g_autofree char *long_name = g_strnfill (65, 'x');
  g_autoptr (GString) long_wide = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *max = g_strnfill (64, 'x');
  g_autofree char *max_ok = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autofree char *name = sk_badge_clean_name (ok[i][0], &e);

      g_assert_no_error (e);
      g_assert_cmpstr (name, ==, ok[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autofree char *name = sk_badge_clean_name (bad[i].name, &e);

      g_assert_null (name);
      g_assert_nonnull (e);
      g_assert_true (e->domain == SK_INPUT_ERROR);
      if (strstr (e->message, bad[i].says) == NULL)
        g_error ("name %u: “%s” does not say “%s”", i, e->message, bad[i].says);
    }
  max_ok = sk_badge_clean_name (max, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (max_ok, ==, max);
  g_assert_null (sk_badge_clean_name (long_name, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
  g_clear_error (&error);
  for (guint i = 0; i < 65; i++)
    g_string_append (long_wide, "\u00e9");
  g_assert_null (sk_badge_clean_name (long_wide->str, &error));
  g_assert_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/badge/uid-is-upper-case-hex-without-separators", test_normalises);
  g_test_add_func ("/core/badge/odd-uids-are-refused", test_refuses);
  g_test_add_func ("/core/badge/guest-name-is-stable", test_guest_names);
  g_test_add_func ("/core/badge/names-are-printable-and-visible", test_names);
  return g_test_run ();
}
