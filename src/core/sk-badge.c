/* sk-badge.c: UID normalisation and guest names. */
#include "config.h"

#include <string.h>

#include "sk-badge.h"

char *
sk_badge_normalise_uid (const char  *text,
                        GError     **error)
{
  GString *out;
  gsize len;

  if (text == NULL || (len = strlen (text)) == 0)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "A badge UID is needed (hex, 4, 7 or 10 bytes)");
      return NULL;
    }
  if (len > 64)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "The badge UID is too long (%" G_GSIZE_FORMAT " characters); UIDs are 4, 7 or 10 bytes",
                   len);
      return NULL;
    }

  out = g_string_sized_new (20);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (out, g_ascii_toupper (*p));
      else if (*p == ':' || *p == '-' || *p == ' ')
        continue;
      else
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "The badge UID “%s” has a character that is not hex", text);
          g_string_free (out, TRUE);
          return NULL;
        }
    }
  if (out->len != 8 && out->len != 14 && out->len != 20)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "The badge UID “%s” is %" G_GSIZE_FORMAT " hex digits; UIDs are 4, 7 or 10 bytes (8, 14 or 20 digits)",
                   text, out->len);
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static const char *const adjectives[] = {
  "Quiet", "Bright", "Gentle", "Misty", "Sunny", "Calm", "Golden", "Silver",
  "Velvet", "Amber", "Swift", "Mellow", "Breezy", "Cosy", "Dreamy", "Lucky",
};

static const char *const creatures[] = {
  "Heron", "Otter", "Fox", "Wren", "Lynx", "Badger", "Falcon", "Hare",
  "Robin", "Seal", "Owl", "Finch", "Marten", "Puffin", "Stag", "Swallow",
};

char *
sk_badge_guest_name (const char *uid)
{
  guint h = g_str_hash (uid ? uid : "");

  return g_strdup_printf ("%s %s",
                          adjectives[h % G_N_ELEMENTS (adjectives)],
                          creatures[(h / G_N_ELEMENTS (adjectives)) % G_N_ELEMENTS (creatures)]);
}
