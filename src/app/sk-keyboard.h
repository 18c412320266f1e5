/* sk-keyboard.h: a keyboard the screen draws itself.
 *
 * The kiosk's compositor (cage) has no on-screen keyboard, so the join
 * page brings its own: three rows of letters in the language's order (a
 * translatable layout, QWERTZ in German), Shift, a hyphen, a space bar
 * and Backspace, every key at least 64 px and named for a screen
 * reader. It types into a GtkEditable.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TYPE_KEYBOARD (sk_keyboard_get_type ())
G_DECLARE_FINAL_TYPE (SkKeyboard, sk_keyboard, SK, KEYBOARD, GtkWidget)

void sk_keyboard_set_target (SkKeyboard *self, GtkEditable *target);
/* The key that types @text (as its label reads, upper or lower case
 * alike), or NULL: what a test presses. */
GtkWidget *sk_keyboard_find_key (SkKeyboard *self, const char *text);

G_END_DECLS
