/* sk-badge.h: badge UIDs and the names given to guests. */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

/* Upper-case hex with no separators, 4, 7 or 10 bytes ("04A1B2C3D4E5F6").
 * Accepts ':', '-' and spaces between bytes and either case. */
char *sk_badge_normalise_uid (const char  *text,
                              GError     **error);

/* A friendly display name for a guest ("Quiet Heron"), the same for the
 * same UID. */
char *sk_badge_guest_name    (const char  *uid);

G_END_DECLS
