/* sk-application.h: soundscape-kiosk, the touchscreen's application.
 *
 * An AdwApplication with one window, fullscreen unless --windowed
 * WIDTHxHEIGHT (development and tests). Its options are the screen's
 * settings: which bus (--session), which edge the badge reader is at
 * (--reader-edge), when to dim (--dim-after), and --demo (taps from the
 * keyboard). It loads the dark, high-contrast style from its GResource.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_APPLICATION (sk_application_get_type ())
G_DECLARE_FINAL_TYPE (SkApplication, sk_application, SK, APPLICATION, AdwApplication)

SkApplication *sk_application_new (void);
/* The style sheet and the dark scheme, for any window on @display (the
 * application does it at startup; tests that make a window call it). */
void sk_application_load_style (GdkDisplay *display);
/* "800x480" → 800, 480; FALSE for anything else (each side 100 to 10000). */
gboolean sk_application_parse_size (const char *text, int *width, int *height);
/* "left", "right", "top", "bottom" → the edge; FALSE for anything else. */
gboolean sk_application_parse_edge (const char *text, GtkPositionType *edge);

G_END_DECLS
