/* sk-window.h: the kiosk's one window.
 *
 * A header (the player's name, the listeners present as a count and
 * initials), one page at a time (Reconnecting…, now playing, a listener's
 * welcome, an unknown badge's join, a refused badge's notice, the admin
 * page, first boot's setup while the engine has no PIN), a banner
 * for skips and errors, the "Tap your badge" hint at the reader's edge,
 * and a dimming veil after idle. Everything shown comes from the engine
 * through an SkKioskClient.
 */
#pragma once

#include <adwaita.h>

#include "sk-kiosk-client.h"

G_BEGIN_DECLS

#define SK_TYPE_WINDOW (sk_window_get_type ())
G_DECLARE_FINAL_TYPE (SkWindow, sk_window, SK, WINDOW, AdwApplicationWindow)

/* @app may be NULL (tests). */
SkWindow *sk_window_new (GtkApplication *app, SkKioskClient *client);
/* Where the badge reader sits: the hint goes to that edge. */
void sk_window_set_reader_edge (SkWindow *self, GtkPositionType edge);
/* Seconds without a touch or a tap before the screen dims; 0: never. */
void sk_window_set_dim_seconds (SkWindow *self, guint seconds);
gboolean sk_window_get_dimmed (SkWindow *self);
/* Demo mode: Ctrl+1 … Ctrl+5 tap the demo badges, Ctrl+0 a new one; no
 * first boot (the demo's engine has no PIN, and shows what plays). */
void sk_window_set_demo (SkWindow *self, gboolean demo);
/* A tap made by the screen itself over the bus (its ticket comes back
 * to the screen), as the demo's keys do. */
void sk_window_simulate_tap (SkWindow *self, const char *uid);
/* The page shown: "starting" (before the engine's first answer),
 * "reconnecting", "playing", "welcome", "join", "notice", "admin",
 * "setup". */
const char *sk_window_get_page (SkWindow *self);

G_END_DECLS
