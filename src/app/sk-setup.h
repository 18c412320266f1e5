/* sk-setup.h: first boot.
 *
 * While the engine has no PIN (PinSet false) the screen sets the player
 * up, one step at a time: "name" (on the screen's own keyboard), "pin"
 * (on the keypad, twice, the same both times), "sound" (a test sound and
 * "did you hear it?"), "tap" (a test tap, with the reader's status) and
 * "done". Once name and PIN are chosen the PIN is set (SetPin), the admin
 * page unlocked with it (Unlock: the test sound is a manager's call) and
 * the name stored (SetPlayerName). The PIN set is what makes first boot
 * happen once. "done" is emitted at the end, the admin page locked again.
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-keyboard.h"
#include "sk-keypad.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_SETUP (sk_setup_get_type ())
G_DECLARE_FINAL_TYPE (SkSetup, sk_setup, SK, SETUP, GtkWidget)

/* From the first step, with the engine's name for the player offered. */
void sk_setup_start (SkSetup *self, SkDBusKiosk1 *proxy);
/* A tap the engine reported (its result) while the setup shows. */
void sk_setup_tapped (SkSetup *self, const char *result);
const char *sk_setup_get_step (SkSetup *self);
GtkEditable *sk_setup_get_entry (SkSetup *self);
SkKeyboard *sk_setup_get_keyboard (SkSetup *self);
SkKeypad *sk_setup_get_keypad (SkSetup *self);

G_END_DECLS
