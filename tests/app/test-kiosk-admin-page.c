/* test-kiosk-admin-page.c: the admin page, driven as a person would
 * (sk-app-test.h: how): unlocked with the PIN on the screen's keypad, the
 * volume, the crossfade and the blending strategy changed (seen in the
 * engine; the volume shown as "80 %", the crossfade as "3 s", the two
 * sliders under each other, the track playing's title on one line beside
 * Skip), a test sound on an output the engine lists (its name on three
 * lines at most, its buttons under it) and the music moved to it, the
 * PIN changed on the keypad (the new one unlocks, the old one no more),
 * the reader's and sync's status; the diagnostics as a manager reads
 * them (sizes with units, the uptime in minutes or hours, the recent log
 * one entry a record at local time, a warning the daemon gave named as
 * such, said again at once folded into one); at each size, screenshots;
 * and the playback's values and the diagnostics in German at 480×800.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-admin.h"
#include "sk-app-test.h"
#include "sk-test-util.h"

#define NEW_PIN "97531"
/* the venue's zone in the test: unlike the system's, and no summer time */
#define ZONE "Asia/Kolkata"

static gboolean
admin_unlocked (Screen *s, gconstpointer want)
{
  return sk_dbus_kiosk1_get_admin_unlocked (s->base.kiosk) == GPOINTER_TO_INT (want);
}

static gboolean
volume_is (Screen *s, gconstpointer volume)
{
  return fabs (sk_dbus_kiosk1_get_volume (s->base.kiosk) - *(const double *) volume) < 1e-9;
}

static gboolean
strategy_is (Screen *s, gconstpointer strategy)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_strategy (s->base.kiosk), strategy) == 0;
}

static SkAdmin *
find_admin (Screen *s)
{
  GtkWidget *strategy = find_named (GTK_WIDGET (s->window), "Strategy");

  g_assert_nonnull (strategy);
  return SK_ADMIN (gtk_widget_get_ancestor (strategy, SK_TYPE_ADMIN));
}

static gboolean
output_listed (Screen *s, gconstpointer pcm)
{
  return sk_admin_system_select_output (sk_admin_get_system (find_admin (s)), pcm);
}

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

/* The first widget under @root (itself included) that @match, drawn
 * ones only when @drawn_only. */
static GtkWidget *
find_widget (GtkWidget *root, Match match, gconstpointer data, gboolean drawn_only)
{
  if (drawn_only && !gtk_widget_is_drawable (root))
    return NULL;
  if (match (root, data))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, match, data, drawn_only);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_expander_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_EXPANDER_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_action_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_label_of_class (GtkWidget *widget, gconstpointer css_class)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, css_class);
}

static gboolean
is_label (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_LABEL (widget);
}

/* The value the scale a screen reader calls @name shows beside it (its
 * own label), or NULL. */
static const char *
scale_text (Screen *s, const char *name)
{
  GtkWidget *scale = find_named_type (GTK_WIDGET (s->window), name, GTK_TYPE_SCALE);
  GtkWidget *label = scale ? find_widget (scale, is_label, NULL, TRUE) : NULL;

  return label ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

typedef struct
{
  const char *name, *text;
} Shown;

static gboolean
scale_shows (Screen *s, gconstpointer data)
{
  const Shown *shown = data;

  return g_strcmp0 (scale_text (s, shown->name), shown->text) == 0;
}

static void
wait_scale_shows (Screen *s, const char *name, const char *text)
{
  Shown shown = { name, text };
  const char *now;

  if (wait_until (s, scale_shows, &shown, 5))
    return;
  now = scale_text (s, name);
  g_error ("%s shows “%s”, not “%s”, after 5 s", name, now ? now : "no value", text);
}

/* Where the trough of @scale starts, across the window. */
static double
trough_x (GtkWidget *window, GtkWidget *scale)
{
  graphene_point_t at = GRAPHENE_POINT_INIT (0, 0), there;

  for (GtkWidget *c = gtk_widget_get_first_child (scale); c; c = gtk_widget_get_next_sibling (c))
    if (g_strcmp0 (gtk_widget_get_css_name (c), "trough") == 0)
      {
        g_assert_true (gtk_widget_compute_point (c, window, &at, &there));
        return there.x;
      }
  g_error ("the slider has no trough");
}

/* The volume set to 80 % and the crossfade to 3 s on the sliders a
 * screen reader calls @volume and @crossfade: the engine has them, and
 * each slider shows its value with its unit, @percent and @seconds; the
 * two sliders start under each other, whatever their names' and values'
 * widths. */
static void
set_playback (
    Screen *s, const char *volume, const char *crossfade, const char *percent, const char *seconds)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  const double loud = 0.8;

  gtk_range_set_value (GTK_RANGE (find_named_type (window, volume, GTK_TYPE_SCALE)), loud);
  if (!wait_until (s, volume_is, &loud, 5))
    g_error ("the engine's volume was not %g within 5 s", loud);
  wait_scale_shows (s, volume, percent);
  gtk_range_set_value (GTK_RANGE (find_named_type (window, crossfade, GTK_TYPE_SCALE)), 3);
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'crossfade_seconds' AND value = '3'");
  wait_scale_shows (s, crossfade, seconds);
  g_assert_cmpfloat_with_epsilon (trough_x (window,
                                            find_named_type (window, volume, GTK_TYPE_SCALE)),
                                  trough_x (window,
                                            find_named_type (window, crossfade, GTK_TYPE_SCALE)),
                                  1.0);
}

/* The expander row titled @title under @root. */
static AdwExpanderRow *
find_expander (GtkWidget *root, const char *title)
{
  return (AdwExpanderRow *) find_widget (root, is_expander_titled, title, FALSE);
}

/* The drawn label of CSS class @css_class under @root, or NULL. */
static GtkWidget *
find_text_class (GtkWidget *root, const char *css_class)
{
  return find_widget (root, is_label_of_class, css_class, TRUE);
}

/* The drawn action row titled @title, or NULL. */
static AdwActionRow *
find_fact (GtkWidget *root, const char *title)
{
  return (AdwActionRow *) find_widget (root, is_action_row_titled, title, TRUE);
}

/* The first line of soundscaped's recent log (GetRecentLog) that holds
 * @text, or NULL. */
static char *
daemon_line (Screen *s, const char *text)
{
  g_autoptr (GVariant) reply = call_get (&s->base, "GetRecentLog", g_variant_new ("(u)", 1000u));
  g_autofree const char **lines = NULL;

  g_variant_get (reply, "(^a&s)", &lines);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], text) != NULL)
      return g_strdup (lines[i]);
  return NULL;
}

static gboolean
daemon_logged (Screen *s, gconstpointer text)
{
  g_autofree char *line = daemon_line (s, text);

  return line != NULL;
}

/* The time of the daemon's first line holding @text, as the page should
 * show it in @zone: HH:MM:SS (the line's UTC time is its first 20 bytes). */
static char *
daemon_time_in (Screen *s, const char *text, const char *zone)
{
  g_autofree char *line = daemon_line (s, text);
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (zone);
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) there = NULL;

  g_assert_nonnull (line);
  g_assert_nonnull (tz);
  line[20] = '\0';
  utc = g_date_time_new_from_iso8601 (line, NULL);
  g_assert_nonnull (utc);
  there = g_date_time_to_timezone (utc, tz);
  return g_date_time_format (there, "%H:%M:%S");
}

static void
collect_log_entries (GtkWidget *root, GPtrArray *rows)
{
  if (GTK_IS_LIST_BOX_ROW (root) && gtk_widget_has_css_class (root, "log-entry"))
    g_ptr_array_add (rows, root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    collect_log_entries (c, rows);
}

/* The text of @row's label of class @css_class, "" without. */
static const char *
text_of_class (GtkWidget *row, const char *css_class)
{
  GtkWidget *label = find_text_class (row, css_class);

  return label ? gtk_label_get_text (GTK_LABEL (label)) : "";
}

/* No two entries in a row of the log say the same: a record said again
 * at once is one entry, "N times"; @message is one such. */
static void
assert_log_folded (Screen *s, const char *message)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  gboolean folded = FALSE;

  collect_log_entries (GTK_WIDGET (find_expander (GTK_WIDGET (s->window), "Recent log")), rows);
  g_assert_cmpuint (rows->len, >, 1);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (rows, i);
      const char *said = text_of_class (row, "log-message");

      if (i > 0)
        {
          GtkWidget *before = g_ptr_array_index (rows, i - 1);

          g_assert_false (g_strcmp0 (said, text_of_class (before, "log-message")) == 0 &&
                          g_strcmp0 (text_of_class (row, "log-domain"),
                                     text_of_class (before, "log-domain")) == 0 &&
                          g_strcmp0 (text_of_class (row, "log-level"),
                                     text_of_class (before, "log-level")) == 0);
        }
      if (strstr (said, message) != NULL &&
          g_str_has_suffix (text_of_class (row, "log-repeats"), " times"))
        folded = TRUE;
    }
  g_assert_true (folded);
}

static gboolean
fact_shown (Screen *s, gconstpointer title)
{
  return find_fact (GTK_WIDGET (s->window), title) != NULL;
}

/* The row @title shows a value (its suffix label) that ends in @end or
 * @or_end, or holds @end when @or_end is NULL. */
static void
assert_fact (Screen *s, const char *title, const char *end, const char *or_end)
{
  AdwActionRow *row = find_fact (GTK_WIDGET (s->window), title);
  GtkWidget *value;
  const char *text;

  g_assert_nonnull (row);
  value = find_text_class (GTK_WIDGET (row), "fact-value");
  g_assert_nonnull (value);
  text = gtk_label_get_text (GTK_LABEL (value));
  g_test_message ("%s: %s", title, text);
  if (or_end == NULL ? strstr (text, end) == NULL
                     : !g_str_has_suffix (text, end) && !g_str_has_suffix (text, or_end))
    g_error ("%s shows “%s”, not a value with “%s”%s%s%s", title, text, end, or_end ? " or “" : "",
             or_end ? or_end : "", or_end ? "”" : "");
}

/* The log entry whose message holds @message: its time HH:MM:SS (the
 * date in front only when not today), its level word @level (NULL: none,
 * and nothing marked), its domain apart from the message. Its time. */
static const char *
assert_log_entry (Screen *s, const char *message, const char *level)
{
  GtkWidget *label = find_text (GTK_WIDGET (s->window), message);
  GtkWidget *row, *time, *word, *domain;
  const char *t;

  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (label, "log-message"));
  row = gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW);
  g_assert_true (gtk_widget_has_css_class (row, "log-entry"));
  time = find_text_class (row, "log-time");
  g_assert_nonnull (time);
  t = gtk_label_get_text (GTK_LABEL (time));
  g_test_message ("%s: %s", message, t);
  g_assert_cmpuint (strlen (t), >=, 8);
  t += strlen (t) - 8;
  for (guint i = 0; i < 8; i++)
    g_assert_true (i % 3 == 2 ? t[i] == ':' : g_ascii_isdigit (t[i]));
  domain = find_text_class (row, "log-domain");
  g_assert_nonnull (domain);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (domain)), !=, "");
  word = find_text_class (row, "log-level");
  if (level == NULL)
    {
      g_assert_null (word);
      g_assert_false (gtk_widget_has_css_class (row, "log-warning"));
      return t;
    }
  g_assert_nonnull (word);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (word)), ==, level);
  g_assert_true (gtk_widget_has_css_class (row, "log-warning"));
  return t;
}

static gboolean
drawn (Screen *s, gconstpointer widget)
{
  return gtk_widget_is_drawable ((GtkWidget *) widget);
}

static void
expand (Screen *s, const char *title)
{
  AdwExpanderRow *row = find_expander (GTK_WIDGET (s->window), title);

  g_assert_nonnull (row);
  adw_expander_row_set_expanded (row, TRUE);
}

/* A warning in the daemon's log, by a real path: a setting another
 * program wrote that cannot be read (picked up within a second), "Setting
 * volume: …". */
static void
make_daemon_warn (Screen *s)
{
  sk_test_file_exec (s->base.db, "INSERT OR REPLACE INTO settings (key, value) "
                                 "VALUES ('volume', 'loud')");
  if (!wait_until (s, daemon_logged, "Setting volume", 10))
    g_error ("soundscaped did not warn of the unreadable volume within 10 s");
}

static void
type_pin (Screen *s, SkKeypad *keypad, const char *pin, const char *submit)
{
  for (const char *c = pin; *c; c++)
    {
      char digit[2] = { *c, 0 };

      click (s, sk_keypad_find_key (keypad, digit));
    }
  click (s, sk_keypad_find_key (keypad, submit));
}

/* The title of the track playing's row ("The track playing", in the
 * locale's words) on one line beside its Skip button. */
static void
assert_skip_row_one_line (Screen *s)
{
  GtkWidget *label = find_text (GTK_WIDGET (s->window), _ ("The track playing"));

  g_assert_nonnull (label);
  g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (label))), ==, 1);
}

static void
test_admin_page (Screen *s, gconstpointer data)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  SkAdminSystem *system;

  open_admin_page (s);
  system = sk_admin_get_system (find_admin (s));
  wait_text (s, "Badge reader", 2);

  /* the volume, the crossfade and the strategy: the engine's; the
   * values shown with their units */
  set_playback (s, "Volume", "Crossfade in seconds", "80 %", "3 s");
  screenshot (s, "admin-page");
  assert_skip_row_one_line (s);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (window, "Strategy")), 1);
  if (!wait_until (s, strategy_is, "least_misery", 5))
    g_error ("the strategy was not least_misery within 5 s");
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'strategy' AND value = 'least_misery'");

  /* the stock null PCM: a test sound on it, then the music */
  if (!wait_until (s, output_listed, "null", 5))
    g_error ("the output null was not listed within 5 s");
  /* its whole name, not cut short as the combo row's own label is */
  if (!wait_until (s, text_whole, "(null)", 5))
    g_error ("the chosen output's whole name was not shown within 5 s");
  scroll_to (s, find_named (window, "Audio output"));
  screenshot (s, "admin-output");
  /* in the row of its Test button, on the row's whole width: three lines
   * at most (beside the buttons, in portrait, it took six) */
  {
    GtkWidget *row = gtk_widget_get_ancestor (find_named (window,
                                                          "Play a test sound on this output"),
                                              GTK_TYPE_LIST_BOX_ROW);
    GtkWidget *name = find_text (row, "(null)");

    g_assert_nonnull (name);
    g_assert_cmpint (pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (name))), <=, 3);
  }
  press (s, "Play a test sound on this output");
  wait_text (s, "The test sound was played.", 10);
  press (s, "Play the music on this output");
  wait_text (s, "The music now plays on this output.", 5);
  wait_row (s, "SELECT count(*) FROM settings WHERE key = 'audio_pcm' AND value = 'null'");

  make_daemon_warn (s);

  /* a new PIN, twice on the keypad: it unlocks, the old one no more */
  expand (s, "Change the PIN");
  if (!wait_until (s, drawn, sk_admin_system_get_keypad (system), 5))
    g_error ("the keypad for a new PIN was not shown within 5 s");
  type_pin (s, sk_admin_system_get_keypad (system), NEW_PIN, "Set the new PIN");
  wait_text (s, "Enter the same PIN again", 2);
  screenshot (s, "admin-pin-change");
  type_pin (s, sk_admin_system_get_keypad (system), NEW_PIN, "Set the new PIN");
  wait_text (s, "The PIN was changed.", 5);
  call_ok (&s->base, "Unlock", g_variant_new ("(ss)", "", NEW_PIN));
  assert_refused (&s->base, "Unlock", g_variant_new ("(ss)", "", APP_PIN), ERR "NotAllowed");

  /* the venue's time zone (UTC+5:30 all year) for the log's times */
  call_ok (&s->base, "SetSetting", g_variant_new ("(ss)", "time_zone", ZONE));

  /* diagnostics, as a manager reads them: labelled values with units,
   * and the engine's own recent log, one entry a record, at the venue's
   * time, a warning named as such */
  expand (s, "Uptime, versions and sizes");
  expand (s, "Recent log");
  if (!wait_until (s, fact_shown, "Database", 5))
    g_error ("no Database row was shown within 5 s");
  assert_fact (s, "Database", "kB", "MB");
  assert_fact (s, "Uptime", " s", " min");
  assert_fact (s, "Soundscape Kiosk", PACKAGE_VERSION, NULL);
  assert_fact (s, "SQLite", ".", NULL);
  assert_fact (s, "Media cache", "bytes", "B");
  /* and its folder under it */
  g_assert_true (
      g_path_is_absolute (adw_action_row_get_subtitle (find_fact (window, "Media cache"))));
  g_assert_null (find_text (window, "database_bytes"));
  g_assert_null (find_text (window, "uptime_seconds"));
  wait_text (s, "admin PIN set", 5);
  /* read again as the log was opened: the warning of just now is in */
  wait_text (s, "Setting volume", 5);
  assert_log_entry (s, "admin PIN set", NULL);
  {
    g_autofree char *there = daemon_time_in (s, "Setting volume", ZONE);

    g_assert_cmpstr (assert_log_entry (s, "Setting volume", "Warning"), ==, there);
  }
  /* the volume is read twice at each reload: one entry, "2 times" */
  assert_log_folded (s, "Setting volume");
  g_assert_null (find_text (window, "soundscaped-Message"));
  /* what a manager reads: the facts, then the log from the warning on */
  scroll_to (s, GTK_WIDGET (find_expander (window, "Uptime, versions and sizes")));
  screenshot (s, "admin-diagnostics-facts");
  scroll_to (s,
             gtk_widget_get_ancestor (find_text (window, "Setting volume"), GTK_TYPE_LIST_BOX_ROW));
  screenshot (s, "admin-diagnostics");
  press (s, "Lock the admin page");
  wait_page (s, "playing", 2);
  if (!wait_until (s, admin_unlocked, GINT_TO_POINTER (FALSE), 5))
    g_error ("Lock did not lock within 5 s");
}

/* Under a German locale (made by /app/admin-page/german): the playback's
 * values and the diagnostics speak German, units included, and fit at
 * 480×800, the narrowest. Run only as that test's subprocess. */
static void
test_german_diagnostics (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;
  GtkWidget *window;

  if (!screen_setup_in_german (s, data, "/app/admin-page/german"))
    return;
  window = GTK_WIDGET (s->window);
  open_admin_page (s);
  /* the playback's values with their units, as German writes them */
  set_playback (s, "Lautstärke", "Überblendung in Sekunden", "80 %", "3 s");
  screenshot (s, "de-admin-page");
  assert_skip_row_one_line (s);
  make_daemon_warn (s);
  expand (s, "Laufzeit, Versionen und Größen");
  expand (s, "Letzte Protokolleinträge");
  if (!wait_until (s, fact_shown, "Datenbank", 5))
    g_error ("no Datenbank row was shown within 5 s");
  /* a decimal comma; the unit as GLib's German has it (KB) or not (kB) */
  assert_fact (s, "Datenbank", ",", NULL);
  assert_fact (s, "Datenbank", "B", "B");
  assert_fact (s, "Laufzeit", " Sek.", " Min.");
  wait_text (s, "Setting volume", 5);
  assert_log_entry (s, "Setting volume", "Warnung");
  scroll_to (s, GTK_WIDGET (find_expander (window, "Laufzeit, Versionen und Größen")));
  screenshot (s, "de-admin-diagnostics-facts");
  scroll_to (s,
             gtk_widget_get_ancestor (find_text (window, "Setting volume"), GTK_TYPE_LIST_BOX_ROW));
  screenshot (s, "de-admin-diagnostics");
  screen_teardown (s, data);
}

static void
test_german (void)
{
  run_in_german ("/app/admin-page/german/diagnostics");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  add_at_each_size ("admin-page", test_admin_page);
  g_test_add_func ("/app/admin-page/german", test_german);
  g_test_add_data_func ("/app/admin-page/german/diagnostics", &sizes[2], test_german_diagnostics);
  return app_test_run ();
}
