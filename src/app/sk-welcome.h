/* sk-welcome.h: a listener's moment after a tap.
 *
 * "Welcome back, Ana", five vote buttons for the track playing and a
 * visible countdown of the tap's ticket; the answer to a vote; "Check out".
 * A tap seen without a ticket (made over the bus by another client) greets
 * the listener and asks for a tap on the reader to vote. Emits "vote"
 * (1 to 5), "check-out", "admin" (a manager's "Admin page") and "done"
 * (the countdown ran out, or "Done").
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TYPE_WELCOME (sk_welcome_get_type ())
G_DECLARE_FINAL_TYPE (SkWelcome, sk_welcome, SK, WELCOME, GtkWidget)

/* @greeting: the sentence at the top; @seconds: the countdown (0: no
 * votes, no ticket). */
void sk_welcome_start (SkWelcome *self, const char *greeting, guint seconds);
/* The answer to a vote or a check-out: @text for a person; @ok FALSE
 * shows it as a refusal. The vote buttons stay usable after a refusal
 * that is not final. */
void sk_welcome_set_answer (SkWelcome *self, const char *text, gboolean ok, gboolean final);
/* A manager's tap: the "Admin page" button shows too. */
void sk_welcome_set_admin_offered (SkWelcome *self, gboolean offered);
guint sk_welcome_get_seconds_left (SkWelcome *self);

G_END_DECLS
