/* sk-admin-system.h: the admin page's system groups.
 *
 * The audio output (the PCMs the engine finds, a test sound on the one
 * chosen, and playing the music on it), the badge reader's and the cloud
 * sync's status, changing the PIN (the keypad, twice), and diagnostics
 * (versions and the engine's recent log). Filled by sk_admin_section_load
 * once the page is unlocked; a refusal is emitted as "refused" with the
 * engine's sentence, an answer worth reading as "told".
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-keypad.h"
#include "sk-admin-section.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_SYSTEM (sk_admin_system_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminSystem, sk_admin_system, SK, ADMIN_SYSTEM, SkAdminSection)

SkKeypad *sk_admin_system_get_keypad (SkAdminSystem *self);
/* Chooses the output named @pcm (as ListAudioDevices names it); FALSE
 * when it is not listed. */
gboolean sk_admin_system_select_output (SkAdminSystem *self, const char *pcm);

G_END_DECLS
