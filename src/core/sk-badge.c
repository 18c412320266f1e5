/* sk-badge.c: UID normalisation, guest names and the check of names. */
#include "config.h"

#include <string.h>

#include "sk-badge.h"

char *
sk_badge_normalise_uid (const char *text, GError **error)
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
                   "The badge UID is too long (%" G_GSIZE_FORMAT
                   " characters); UIDs are 4, 7 or 10 bytes",
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
                   "The badge UID “%s” is %" G_GSIZE_FORMAT
                   " hex digits; UIDs are 4, 7 or 10 bytes (8, 14 or 20 digits)",
                   text, out->len);
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static const char *const adjectives[] = {
  "Quiet",  "Bright", "Gentle", "Misty",  "Sunny",  "Calm", "Golden", "Silver",
  "Velvet", "Amber",  "Swift",  "Mellow", "Breezy", "Cosy", "Dreamy", "Lucky",
};

static const char *const creatures[] = {
  "Heron", "Otter", "Fox", "Wren",  "Lynx",   "Badger", "Falcon", "Hare",
  "Robin", "Seal",  "Owl", "Finch", "Marten", "Puffin", "Stag",   "Swallow",
};

char *
sk_badge_guest_name (const char *uid)
{
  guint h = g_str_hash (uid ? uid : "");

  return g_strdup_printf ("%s %s", adjectives[h % G_N_ELEMENTS (adjectives)],
                          creatures[(h / G_N_ELEMENTS (adjectives)) % G_N_ELEMENTS (creatures)]);
}

static gboolean
is_direction_control (gunichar c)
{
  return c == 0x061C ||                  /* Arabic letter mark */
         c == 0x200E || c == 0x200F ||   /* left-to-right and right-to-left marks */
         (c >= 0x202A && c <= 0x202E) || /* embeddings, pop, overrides */
         (c >= 0x2066 && c <= 0x2069);   /* isolates */
}

/* Letters and symbols that draw nothing. */
static gboolean
is_blank_glyph (gunichar c)
{
  return c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || /* Hangul fillers */
         c == 0x2800;                                                /* braille blank */
}

static gboolean
is_trimmed (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR;
}

char *
sk_badge_clean_name (const char *name, GError **error)
{
  g_autofree char *nfc = NULL;
  const char *start, *end;
  gboolean visible = FALSE;
  glong n;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "The name is not valid text");
      return NULL;
    }
  /* four bytes a character at most: anything longer cannot fit */
  if (strlen (name) > 4 * SK_NAME_MAX_CHARS + 256)
    goto too_long;
  nfc = g_utf8_normalize (name, -1, G_NORMALIZE_NFC);

  start = nfc;
  while (*start != '\0' && is_trimmed (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  end = start + strlen (start);
  while (end > start)
    {
      const char *prev = g_utf8_prev_char (end);

      if (!is_trimmed (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  if (start == end)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "The name is empty");
      return NULL;
    }
  n = g_utf8_strlen (start, end - start);
  if (n > SK_NAME_MAX_CHARS)
    goto too_long;

  for (const char *p = start; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type == G_UNICODE_CONTROL || type == G_UNICODE_LINE_SEPARATOR ||
          type == G_UNICODE_PARAGRAPH_SEPARATOR)
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "The name contains control characters (tabs, line breaks, escapes)");
          return NULL;
        }
      if (is_direction_control (c))
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "The name contains characters that change the text direction "
                               "(right-to-left overrides, isolates or marks)");
          return NULL;
        }
      if (type == G_UNICODE_FORMAT && c != 0x200C && c != 0x200D)
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "The name contains invisible formatting characters "
                               "(zero-width spaces, soft hyphens)");
          return NULL;
        }
      if (type == G_UNICODE_UNASSIGNED || type == G_UNICODE_PRIVATE_USE ||
          type == G_UNICODE_SURROGATE)
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "The name contains characters that cannot be shown");
          return NULL;
        }
      if (g_unichar_isgraph (c) && !is_blank_glyph (c))
        visible = TRUE;
    }
  if (!visible)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "The name has no visible character");
      return NULL;
    }
  return g_strndup (start, end - start);

too_long:
  g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
               "The name is longer than %d characters", SK_NAME_MAX_CHARS);
  return NULL;
}
