/* sk-admin-library.h: the admin page's library group.
 *
 * The songs the engine knows (ListSongs), searched with the keyboard the
 * screen draws itself; each song in or out of this player's library (a
 * switch: SetInLibrary), or every song at once (SetAllInLibrary); a song
 * that cannot play says why. Import from a USB stick: the places offered
 * are the file systems mounted under the roots (/media, /run/media and
 * /mnt) and the folders with files in them right under a root; the
 * engine reads the files (Import) while a progress bar follows its
 * ImportProgress, and ImportFinished says what was imported and which
 * files were left out, and why. A refusal is emitted as "refused" with
 * the engine's sentence, an answer worth reading as "told".
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-keyboard.h"
#include "sk-admin-section.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_LIBRARY (sk_admin_library_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminLibrary, sk_admin_library, SK, ADMIN_LIBRARY, SkAdminSection)

/* Where USB sticks are mounted (NULL: /media, /run/media and /mnt); the
 * places are looked for again. */
void sk_admin_library_set_roots (SkAdminLibrary *self, const char *const *roots);
SkKeyboard *sk_admin_library_get_keyboard (SkAdminLibrary *self);

G_END_DECLS
