/* sk-badge.h: badge UIDs, the names given to guests and the check of
 * every listener's name. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

/* Upper-case hex with no separators, 4, 7 or 10 bytes ("04A1B2C3D4E5F6").
 * Accepts ':', '-' and spaces between bytes and either case. */
char *sk_badge_normalise_uid (const char *text, GError **error);

/* A friendly display name for a guest ("Quiet Heron"), the same for the
 * same UID. */
char *sk_badge_guest_name (const char *uid);

/* A listener's name as a person typed it, checked and tidied: valid
 * UTF-8, white space trimmed at both ends, NFC; at most SK_NAME_MAX_CHARS
 * characters with at least one visible; no control characters, no
 * characters that change the text direction (bidi embeddings, overrides,
 * isolates and marks) and no invisible formatting (zero-width space, soft
 * hyphen, BOM; the joiners of emoji and scripts are kept). NULL with
 * SK_INPUT_ERROR and a sentence otherwise. Every way in (the command line,
 * D-Bus) goes through this one check. */
#define SK_NAME_MAX_CHARS 64
char *sk_badge_clean_name (const char *name, GError **error);

G_END_DECLS
