/* test-kiosk-admin-sections.c: the admin page's opening hours and volume
 * caps, and its recommendation group, driven as a person would
 * (sk-app-test.h: how): times and a cap set with the steppers' buttons
 * reach the engine's schedule (GetSchedule) and its database, and the
 * volume heard keeps within the cap; the blending strategy and the house
 * taste's sliders are stored and the engine's queue is computed again. At
 * each size, screenshots of both.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-admin-recommendation.h"
#include "sk-admin-schedule.h"
#include "sk-app-test.h"
#include "sk-stepper.h"
#include "sk-test-util.h"
#include "sk-util.h"

static GtkWidget *
find_section (Screen *s, GType type)
{
  GtkWidget *strategy = find_named (GTK_WIDGET (s->window), _ ("Strategy"));
  GtkWidget *page;

  g_assert_nonnull (strategy);
  page = gtk_widget_get_ancestor (strategy, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (page);
  for (GtkWidget *w = strategy; w != NULL; w = gtk_widget_get_parent (w))
    if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
      return w;
  /* a sibling section of the page */
  {
    GtkWidget *stack[64];
    guint n = 0;

    stack[n++] = page;
    while (n > 0)
      {
        GtkWidget *w = stack[--n];

        if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
          return w;
        for (GtkWidget *c = gtk_widget_get_first_child (w); c && n < G_N_ELEMENTS (stack);
             c = gtk_widget_get_next_sibling (c))
          stack[n++] = c;
      }
  }
  g_error ("no %s on the admin page", g_type_name (type));
}

static gboolean
schedule_idle (Screen *s, gconstpointer schedule)
{
  return !sk_admin_section_is_busy ((SkAdminSection *) schedule);
}

static gboolean
recommendation_idle (Screen *s, gconstpointer section)
{
  return !sk_admin_section_is_busy ((SkAdminSection *) section);
}

static gboolean
drawn (Screen *s, gconstpointer widget)
{
  return gtk_widget_is_drawable ((GtkWidget *) widget);
}

/* The button named @name pressed @times, once an expander row has
 * shown it. */
static void
press_times (Screen *s, const char *name, guint times)
{
  GtkWidget *button = find_named_type (GTK_WIDGET (s->window), name, GTK_TYPE_BUTTON);

  g_assert_nonnull (button);
  if (!wait_until (s, drawn, button, 2))
    g_error ("“%s” was not shown within 2 s", name);
  for (guint i = 0; i < times; i++)
    click (s, button);
}

/* The switch a screen reader calls @name, toggled as its row's tap does,
 * once its expander row shows it. */
static void
activate_switch (Screen *s, const char *name)
{
  GtkWidget *sw = find_named_type (GTK_WIDGET (s->window), name, GTK_TYPE_SWITCH);

  g_assert_nonnull (sw);
  if (!wait_until (s, drawn, sw, 2))
    g_error ("“%s” was not shown within 2 s", name);
  g_assert_true (gtk_widget_activate (sw));
}

static gboolean
volume_at_most (Screen *s, gconstpointer cap)
{
  return sk_dbus_kiosk1_get_volume (s->base.kiosk) <= *(const double *) cap + 1e-6;
}

static char *
setting (Screen *s, const char *key)
{
  g_autofree char *sql = g_strdup_printf ("SELECT value FROM settings WHERE key = '%s'", key);

  return sk_test_file_query_text (s->base.db, sql);
}

/* The opening hours of a Monday and a cap on today, set with the
 * steppers: the engine's schedule and its database have them, and the
 * volume heard is within the cap. */
static void
test_schedule (Screen *s, gconstpointer data)
{
  SkAdminSchedule *schedule;
  AdwExpanderRow *monday, *today_row;
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (GVariant) got = NULL;
  g_autoptr (GVariant) hours = NULL, caps = NULL;
  g_autofree char *stored_hours = NULL, *stored_caps = NULL, *name = NULL, *cap_name = NULL;
  g_autofree char *expect_caps = NULL;
  const char *zone_name;
  guint today;
  double cap = 0.4;

  open_admin_page (s);
  schedule = SK_ADMIN_SCHEDULE (find_section (s, SK_TYPE_ADMIN_SCHEDULE));
  if (!wait_until (s, schedule_idle, schedule, 5))
    g_error ("the schedule was not loaded within 5 s");
  wait_text (s, "Open all day", 2);

  /* today in the venue's zone, as the engine reckons it */
  got = call_get (&s->base, "GetSchedule", NULL);
  g_variant_get (got, "(@a(uuu)@a(uuud)&s)", NULL, NULL, &zone_name);
  zone = g_time_zone_new_identifier (zone_name);
  g_assert_nonnull (zone);
  now = g_date_time_new_now (zone);
  today = g_date_time_get_day_of_week (now);
  g_clear_pointer (&got, g_variant_unref);

  /* Monday: no longer all day (10:00 to 22:00 offered), then 11:00 to
   * 21:30 */
  monday = ADW_EXPANDER_ROW (sk_admin_schedule_get_day (schedule, 1));
  adw_expander_row_set_expanded (monday, TRUE);
  activate_switch (s, "Open all day on Monday");
  wait_text (s, "Open 10:00 – 22:00", 2);
  press_times (s, "Monday: opens, later", 2);
  press_times (s, "Monday: closes, earlier", 1);
  wait_text (s, "Open 11:00 – 21:30", 2);

  /* today: the volume at most 40 %, all day */
  today_row = ADW_EXPANDER_ROW (sk_admin_schedule_get_day (schedule, today));
  adw_expander_row_set_expanded (today_row, TRUE);
  name = g_strdup_printf ("Volume cap on %s", sk_admin_day_name (today));
  activate_switch (s, name);
  wait_text (s, "volume at most 60 %, all day", 2);
  cap_name = g_strdup_printf ("%s: volume cap, lower", sk_admin_day_name (today));
  press_times (s, cap_name, 4);
  wait_text (s, "volume at most 40 %, all day", 2);
  if (!wait_until (s, schedule_idle, schedule, 5))
    g_error ("the schedule was not sent within 5 s");
  wait_text (s, "The opening hours and volume caps were saved.", 2);

  /* the engine's schedule and its database */
  got = call_get (&s->base, "GetSchedule", NULL);
  g_variant_get (got, "(@a(uuu)@a(uuud)&s)", &hours, &caps, NULL);
  g_assert_cmpuint (g_variant_n_children (hours), ==, 7);
  {
    guint wd, from, to;

    g_variant_get_child (hours, 0, "(uuu)", &wd, &from, &to);
    g_assert_cmpuint (wd, ==, 1);
    g_assert_cmpuint (from, ==, 660);
    g_assert_cmpuint (to, ==, 1290);
    /* the other days stay open all day */
    g_variant_get_child (hours, 6, "(uuu)", &wd, &from, &to);
    g_assert_cmpuint (wd, ==, 7);
    g_assert_cmpuint (from, ==, to);
  }
  g_assert_cmpuint (g_variant_n_children (caps), ==, 1);
  {
    guint wd, from, to;
    double c;

    g_variant_get_child (caps, 0, "(uuud)", &wd, &from, &to, &c);
    g_assert_cmpuint (wd, ==, today);
    g_assert_cmpuint (from, ==, to);
    g_assert_cmpfloat_with_epsilon (c, cap, 1e-9);
  }
  stored_hours = setting (s, "schedule_opening_hours");
  g_assert_true (g_str_has_prefix (stored_hours, "[[1,660,1290],[2,0,0]"));
  stored_caps = setting (s, "schedule_volume_caps");
  expect_caps = g_strdup_printf ("[[%u,0,0,0.40000000000000002]]", today);
  g_assert_cmpstr (stored_caps, ==, expect_caps);

  /* the engine keeps the volume heard within the cap, and says so */
  if (!wait_until (s, volume_at_most, &cap, 5))
    g_error ("the volume was %g, above the cap %g, after 5 s",
             sk_dbus_kiosk1_get_volume (s->base.kiosk), cap);
  assert_refused (&s->base, "SetVolume", g_variant_new ("(d)", 0.9), ERR "InvalidArgument");

  scroll_to (s, GTK_WIDGET (schedule));
  screenshot (s, "admin-schedule");
  scroll_to (s, GTK_WIDGET (today_row));
  screenshot (s, "admin-schedule-cap");
}

static gboolean
strategy_is (Screen *s, gconstpointer strategy)
{
  return g_strcmp0 (sk_dbus_kiosk1_get_strategy (s->base.kiosk), strategy) == 0;
}

static char *
dup_queue (Screen *s)
{
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (s->base.kiosk);

  return queue != NULL ? g_variant_print (queue, FALSE) : g_strdup ("");
}

static gboolean
queue_differs (Screen *s, gconstpointer before)
{
  g_autofree char *now = dup_queue (s);

  return strcmp (now, before) != 0;
}

/* The house taste from its sliders: drawn at once, stored as the
 * setting, the queue computed again (nobody is here: it is what plays);
 * then, with two listeners of opposite tastes checked in, the strategy:
 * stored, and the queue computed again. */
static void
test_recommendation (Screen *s, gconstpointer data)
{
  GtkWidget *window = GTK_WIDGET (s->window);
  SkAdminRecommendation *section;
  g_autofree char *before = NULL, *stored = NULL;
  g_autofree char *described = NULL;
  double v[SK_DIM];

  open_admin_page (s);
  section = SK_ADMIN_RECOMMENDATION (find_section (s, SK_TYPE_ADMIN_RECOMMENDATION));
  if (!wait_until (s, recommendation_idle, section, 5))
    g_error ("the house taste was not loaded within 5 s");

  before = dup_queue (s);
  gtk_range_set_value (GTK_RANGE (find_named (window, "House taste: Rain")), 1.0);
  gtk_range_set_value (GTK_RANGE (find_named (window, "House taste: Fire")), 0.0);
  described = gtk_test_accessible_check_property (
      GTK_ACCESSIBLE (sk_admin_recommendation_get_glyph (section)),
      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
      "Rain 100 %, Wind 50 %, Fire 0 %, Thunder 50 %, Waves 50 %");
  g_assert_null (described);
  if (!wait_until (s, recommendation_idle, section, 5))
    g_error ("the house taste was not sent within 5 s");
  stored = setting (s, "house_vector");
  g_assert_true (sk_vec_parse (stored, v, NULL));
  g_assert_cmpfloat (v[0], ==, 1.0);
  g_assert_cmpfloat (v[1], ==, 0.5);
  g_assert_cmpfloat (v[2], ==, 0.0);
  if (!wait_until (s, queue_differs, before, 5))
    g_error ("the queue stayed %s after the house taste changed", before);
  scroll_to (s, GTK_WIDGET (section));
  screenshot (s, "admin-recommendation");

  /* two listeners of opposite tastes, checked in at the reader; the
   * admin page is still unlocked */
  tap_reader (s, RAIN_LOVER, "welcome");
  press (s, "Done");
  wait_page (s, "playing", 2);
  tap_reader (s, FIRE_KEEPER, "welcome");
  press (s, "Done");
  wait_page (s, "playing", 2);
  press (s, "Admin");
  wait_text (s, "Playback", 5);

  g_clear_pointer (&before, g_free);
  before = dup_queue (s);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (window, "Strategy")), 1);
  if (!wait_until (s, strategy_is, "least_misery", 5))
    g_error ("the strategy was not least_misery within 5 s");
  g_clear_pointer (&stored, g_free);
  stored = setting (s, "strategy");
  g_assert_cmpstr (stored, ==, "least_misery");
  if (!wait_until (s, queue_differs, before, 5))
    g_error ("the queue stayed %s after the strategy changed", before);
}

/* Under a German locale (made by /app/admin-sections/german): both
 * sections speak German and fit at 480×800, the narrowest. Run only as
 * that test's subprocess. */
static void
test_german_screens (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;
  SkAdminSchedule *schedule;
  SkAdminDay *monday;
  g_autofree char *all_day = NULL;

  if (!screen_setup_in_german (s, data, "/app/admin-sections/german"))
    return;
  open_admin_page (s);
  wait_text (s, "Empfehlung", 2);
  wait_text (s, "Öffnungszeiten, Lautstärkegrenzen", 2);
  schedule = SK_ADMIN_SCHEDULE (find_section (s, SK_TYPE_ADMIN_SCHEDULE));
  if (!wait_until (s, schedule_idle, schedule, 5))
    g_error ("the schedule was not loaded within 5 s");
  monday = sk_admin_schedule_get_day (schedule, 1);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (monday), TRUE);
  all_day = g_strdup_printf ("Den ganzen Tag geöffnet am %s", sk_admin_day_name (1));
  g_assert_cmpstr (sk_admin_day_name (1), ==, "Montag");
  activate_switch (s, all_day);
  wait_text (s, "Geöffnet 10:00 – 22:00", 2);
  activate_switch (s, "Lautstärkegrenze am Montag");
  wait_text (s, "Lautstärke höchstens 60 %, den ganzen Tag", 2);
  if (!wait_until (s, schedule_idle, schedule, 5))
    g_error ("the schedule was not sent within 5 s");
  wait_text (s, "Öffnungszeiten und Lautstärkegrenzen wurden gespeichert.", 2);
  scroll_to (s, GTK_WIDGET (monday));
  screenshot (s, "de-admin-schedule");
  scroll_to (s, find_section (s, SK_TYPE_ADMIN_RECOMMENDATION));
  wait_text (s, "Der Geschmack des Hauses", 2);
  screenshot (s, "de-admin-recommendation");
  screen_teardown (s, data);
}

static void
test_german (void)
{
  run_in_german ("/app/admin-sections/german/screens");
}

int
main (int argc, char **argv)
{
  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  for (guint i = 0; i < N_SIZES; i++)
    {
      g_autofree char *schedule = g_strdup_printf ("/app/admin-schedule-%dx%d", sizes[i].width,
                                                   sizes[i].height);
      g_autofree char *recommendation = g_strdup_printf ("/app/admin-recommendation-%dx%d",
                                                         sizes[i].width, sizes[i].height);

      g_test_add (schedule, Screen, &sizes[i], screen_setup, test_schedule, screen_teardown);
      g_test_add (recommendation, Screen, &sizes[i], screen_setup, test_recommendation,
                  screen_teardown);
    }
  g_test_add_func ("/app/admin-sections/german", test_german);
  g_test_add_data_func ("/app/admin-sections/german/screens", &sizes[2], test_german_screens);
  return app_test_run ();
}
