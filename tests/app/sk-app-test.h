/* sk-app-test.h: what the tests of the kiosk's screen share.
 *
 * One Xvfb for the run (its display number chosen by Xvfb itself); for
 * each test a private dbus-daemon (GTestDBus), the real soundscaped on it
 * with --session, a fresh database, the demo library, the paced test PCM
 * in real time and the PN532 fixture as its badge reader; and the real
 * window of soundscape-kiosk (SkWindow, the same type the application
 * makes) in the test's process, with the real GTK on the X server. Badges
 * are tapped on the fixture; buttons are found by their accessible name
 * (the GTK_A11Y=test context) and activated; what a person would read is
 * found among the labels drawn. Every screen is written as a PNG into the
 * build directory (screenshots/NAME-WIDTHxHEIGHT.png). Every wait is
 * bounded (and stretched by SK_TEST_TIME_FACTOR); only the processes
 * started here are stopped, by pid.
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-dbus-fixture.h"
#include "sk-keyboard.h"
#include "sk-kiosk-client.h"
#include "sk-window.h"

G_BEGIN_DECLS

/* the PIN the engine has, unless the test is of first boot */
#define APP_PIN "2468"

typedef struct
{
  int width, height;
} Size;

/* 800×480 and 1280×800 landscape, 480×800 portrait */
#define N_SIZES 3
extern const Size sizes[N_SIZES];

/* The bus, the engine and the reader (sk-dbus-fixture.h), and the
 * screen on them. */
typedef struct
{
  Fixture base;
  SkKioskClient *client;
  SkWindow *window;
  Size size;
} Screen;

typedef gboolean (*Condition) (Screen *s, gconstpointer data);

/* Runs the main context until @done or @seconds (stretched by
 * SK_TEST_TIME_FACTOR) pass; a tick polls @done while nothing happens. */
gboolean wait_until (Screen *s, Condition done, gconstpointer data, guint seconds);
/* Lets the main context run for @seconds. */
void linger (Screen *s, guint seconds);

/* The widget of @type under @root whose accessible name is @name, drawn
 * or not. */
GtkWidget *find_named_type (GtkWidget *root, const char *name, GType type);
GtkWidget *find_named (GtkWidget *root, const char *name);
/* A label drawn on the screen now whose text holds @text. */
GtkWidget *find_text (GtkWidget *root, const char *text);
/* The size of @label's text, in pixels, as its style sets it. */
double font_px (GtkWidget *label);
/* How many labels drawn on the screen now hold @text. */
guint count_text (GtkWidget *root, const char *text);
gboolean text_shown (Screen *s, gconstpointer text);
/* Whether a label drawn on the screen now holds @text whole, not
 * shortened with "…" (a wait_until condition). */
gboolean text_whole (Screen *s, gconstpointer text);
void wait_text (Screen *s, const char *text, guint seconds);
gboolean page_is (Screen *s, gconstpointer page);
void wait_page (Screen *s, const char *page, guint seconds);
/* Activates @button as a screen reader's "click" does, and waits for the
 * click. */
void click (Screen *s, GtkWidget *button);
/* Presses the button a screen reader calls @name (under @root). */
void press (Screen *s, const char *name);
void press_in (Screen *s, GtkWidget *root, const char *name);
/* Waits until the window has drawn @n frames more. */
void wait_frames (Screen *s, guint n);
/* Whether no page of the window is changing (no stack's transition runs,
 * no revealer is moving). */
gboolean screen_settled (Screen *s, gconstpointer data);
/* The window as drawn, into the build directory, once it has settled;
 * fails when the window grew beyond the screen, when a label or a
 * button outside a scrolled view is drawn beyond its parents (cut off),
 * or when a label's text is shortened with an ellipsis ("…"), unless the
 * label (or a widget holding it) carries the style class "may-ellipsize"
 * (a shortening by design, its reason written beside it). */
void screenshot (Screen *s, const char *name);

/* soundscaped in real time: what plays stays on the screen while the test
 * looks at it. */
void start_engine (Screen *s);
/* The same with no demo, as on a kiosk, on the database the demo's start
 * made. */
void start_engine_plain (Screen *s);
void stop_engine (Screen *s);
gboolean now_playing_shown (Screen *s, gconstpointer data);
/* g_test_add's set-ups (data: a Size) and tear-down: the engine with the
 * PIN APP_PIN, until what plays is shown; or with no PIN, until first
 * boot's setup is shown. */
void screen_setup (Screen *s, gconstpointer data);
/* The window alone, on the bus and engine of @s (set up by the caller):
 * at @size, never dimmed, presented; nothing waited for. */
void screen_open_window (Screen *s, const Size *size);
void screen_setup_first_boot (Screen *s, gconstpointer data);
void screen_teardown (Screen *s, gconstpointer data);
/* @test added as /app/@name-WIDTHxHEIGHT at each size, with
 * screen_setup and screen_teardown. */
void add_at_each_size (const char *name, void (*test) (Screen *s, gconstpointer data));
/* A badge held to the fixture's reader until the screen shows @page,
 * then taken away. */
void tap_reader (Screen *s, const char *uid, const char *page);
int count_rows (Screen *s, const char *sql);
/* Until the query @sql on the engine's database answers 1, for up to 5 s. */
void wait_row (Screen *s, const char *sql);
/* @text typed key by key on the screen's own @keyboard. */
void type_keys (Screen *s, SkKeyboard *keyboard, const char *text);
/* The admin page opened with the PIN APP_PIN typed on the screen's
 * keypad, until the engine says it is unlocked. */
void open_admin_page (Screen *s);
/* The test @path of this program run again as a subprocess under a
 * German locale (LC_ALL=de_DE.UTF-8, made in a temporary LOCPATH), which
 * must pass; skipped when localedef cannot make the locale. */
void run_in_german (const char *path);
/* In such a subprocess, @s set up as screen_setup does, and TRUE;
 * outside one, the test skipped as run by @parent (the test that runs it
 * in German), and FALSE. */
gboolean screen_setup_in_german (Screen *s, gconstpointer data, const char *parent);
/* @widget's scrolled window scrolled so that @widget is at its top, again
 * each frame until the layout holds still. */
void scroll_to (Screen *s, GtkWidget *widget);
/* @widget (a GtkWidget) drawn whole inside its scrolled window's view,
 * which lies inside the window: reached without scrolling. */
gboolean in_view (Screen *s, gconstpointer widget);
/* The bottom row of @keyboard (an SkKeyboard: Shift, Space, Backspace)
 * whole in view (in_view). */
gboolean keyboard_in_view (Screen *s, gconstpointer keyboard);

/* The start of each test program (FALSE: no Xvfb, the tests skipped), and
 * its end: g_test_run, then Xvfb stopped. */
gboolean app_test_init (int *argc, char ***argv);
int app_test_run (void);
/* Xvfb stopped, for a program that runs no GTest cases (a benchmark). */
void app_test_stop_xvfb (void);

G_END_DECLS
