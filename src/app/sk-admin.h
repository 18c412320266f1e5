/* sk-admin.h: the manager's corner of the screen.
 *
 * A PIN pad the screen draws itself (the engine checks the PIN and counts
 * the wrong ones; its sentence says when PIN entry is locked and until
 * when), then the admin page: the volume, the crossfade, how the tastes
 * are blended, skipping the track playing, the system groups
 * (SkAdminSystem: output, status, PIN, diagnostics), and locking again.
 * A manager's badge unlocks without the PIN. Emits "close" when the
 * manager leaves, and when the engine locks by itself after idle.
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-admin-system.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN (sk_admin_get_type ())
G_DECLARE_FINAL_TYPE (SkAdmin, sk_admin, SK, ADMIN, GtkWidget)

/* The PIN pad, or the page at once while the engine is unlocked. */
void sk_admin_start (SkAdmin *self, SkDBusKiosk1 *proxy);
/* A manager's tap: unlock with its @ticket. */
void sk_admin_start_with_ticket (SkAdmin *self, SkDBusKiosk1 *proxy, const char *ticket);
/* "pin" or "page". */
const char *sk_admin_get_view (SkAdmin *self);
/* The page's system groups: what a test drives. */
SkAdminSystem *sk_admin_get_system (SkAdmin *self);
/* A badge was enrolled by tap: for the listeners' section. */
void sk_admin_enrolled (SkAdmin *self, const char *message);

G_END_DECLS
