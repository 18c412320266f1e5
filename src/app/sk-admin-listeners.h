/* sk-admin-listeners.h: the admin page's listeners and badges.
 *
 * The listeners the engine knows (ListListeners), each a row that opens:
 * a new name typed on the screen's own keyboard (RenameListener), the
 * manager's role on or off (SetRole: a manager's badge unlocks the admin
 * page), and each of its badges revoked or restored (SetBadgeRevoked). A
 * new badge is enrolled by tap: a name, the role, then "tap the new badge
 * now" until a tap is enrolled (EnrollByTap, CancelEnroll; the window
 * passes the engine's TapResult 'enrolled' on). A refusal is emitted as
 * "refused" with the engine's sentence, an answer worth reading as
 * "told".
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-keyboard.h"
#include "sk-admin-section.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_LISTENERS (sk_admin_listeners_get_type ())
G_DECLARE_FINAL_TYPE (SkAdminListeners, sk_admin_listeners, SK, ADMIN_LISTENERS, SkAdminSection)

/* The keyboards of a new name and of enrolment: what a test types on. */
SkKeyboard *sk_admin_listeners_get_rename_keyboard (SkAdminListeners *self);
SkKeyboard *sk_admin_listeners_get_enrol_keyboard (SkAdminListeners *self);
/* A badge was enrolled by tap (TapResult 'enrolled', with the engine's
 * @message): when one was awaited, it is said and the list asked for
 * again. */
void sk_admin_listeners_enrolled (SkAdminListeners *self, const char *message);

G_END_DECLS
