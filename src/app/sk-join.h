/* sk-join.h: an unknown badge's page.
 *
 * First the offer ("Join" / "Not now"); "Join" opens a name entry with a
 * friendly default, selected so that the first key replaces it, and the
 * screen's own keyboard (SkKeyboard). A countdown shows the tap's ticket
 * running out. Emits "join" with the name typed and "dismiss".
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-keyboard.h"

G_BEGIN_DECLS

#define SK_TYPE_JOIN (sk_join_get_type ())
G_DECLARE_FINAL_TYPE (SkJoin, sk_join, SK, JOIN, GtkWidget)

/* Shows the offer again, with @default_name ready for the entry. */
void sk_join_start (SkJoin *self, const char *default_name, guint seconds);
/* A refusal of the join for a person to read (the page stays). */
void sk_join_set_error (SkJoin *self, const char *text);
SkKeyboard *sk_join_get_keyboard (SkJoin *self);
GtkEditable *sk_join_get_entry (SkJoin *self);

G_END_DECLS
