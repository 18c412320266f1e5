/* sk-keypad.h: a PIN pad the screen draws itself.
 *
 * Ten digits, Erase and OK, each key at least 64 px and named for a screen
 * reader; the digits typed show as dots and are kept only until OK (then
 * wiped). OK emits "submit" with the digits; its accessible name is the
 * property submit-name ("Unlock" on the admin page, "Set this PIN" on
 * first boot). Used by the admin page and by first boot.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TYPE_KEYPAD (sk_keypad_get_type ())
G_DECLARE_FINAL_TYPE (SkKeypad, sk_keypad, SK, KEYPAD, GtkWidget)

/* Forgets the digits typed. */
void sk_keypad_clear (SkKeypad *self);
/* Zeroes and frees a PIN kept from "submit" (until a second entry or its
 * answer); *@pin is NULL after, and may be before. */
void sk_keypad_wipe_pin (char **pin);
/* The key a screen reader calls @name ("0" to "9", "Erase", or the
 * submit-name), or NULL: what a test presses. */
GtkWidget *sk_keypad_find_key (SkKeypad *self, const char *name);

G_END_DECLS
