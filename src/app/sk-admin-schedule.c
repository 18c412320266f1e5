/* sk-admin-schedule.c: see sk-admin-schedule.h.
 *
 * The engine's schedule is lists of periods (weekday, from, to[, cap]);
 * the screen shows one opening and one cap period a day. Loading takes
 * each day's first of each into its row and keeps the rest aside
 * (self->kept_hours, self->kept_caps). No opening hours at all is the
 * engine's "always open": every row then shows "Open all day", and a
 * schedule whose every day is open all day goes back as no hours. A day
 * switched off has no opening period; every day off would mean the
 * opposite of what it says (always open), so it is refused here.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <adwaita.h>

#include "sk-admin-schedule.h"

#define N_DAYS 7
/* after the last tap, before the schedule is sent */
#define SEND_DELAY_MS 800

typedef struct
{
  guint weekday, from, to;
  double cap;
} Period;

struct _SkAdminSchedule
{
  SkAdminSection parent_instance;

  AdwPreferencesGroup *group;
  SkAdminDay *days[N_DAYS];

  GArray *kept_hours; /* Period: the ones no row shows */
  GArray *kept_caps;
  char *time_zone; /* the setting, as set ("" for the system's) */
};

G_DEFINE_FINAL_TYPE (SkAdminSchedule, sk_admin_schedule, SK_TYPE_ADMIN_SECTION)

SkAdminDay *
sk_admin_schedule_get_day (SkAdminSchedule *self, guint weekday)
{
  g_return_val_if_fail (SK_IS_ADMIN_SCHEDULE (self), NULL);
  g_return_val_if_fail (weekday >= 1 && weekday <= N_DAYS, NULL);
  return self->days[weekday - 1];
}

/* --- from the engine ----------------------------------------------------- */

/* Each day's first period of @list (a(uuu) opening hours, or a(uuud)
 * caps) into its plan, the others into @kept and counted in @n_more;
 * TRUE when @list has any. */
static gboolean
take_periods (GVariant *list, gboolean caps, SkDayPlan *plans, guint *n_more, GArray *kept)
{
  gboolean seen[N_DAYS] = { 0 };
  GVariantIter iter;
  GVariant *entry;
  gboolean any = FALSE;

  g_variant_iter_init (&iter, list);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      Period p = { .cap = 1 };
      guint d;

      if (caps)
        g_variant_get (entry, "(uuud)", &p.weekday, &p.from, &p.to, &p.cap);
      else
        g_variant_get (entry, "(uuu)", &p.weekday, &p.from, &p.to);
      g_variant_unref (entry);
      any = TRUE;
      d = p.weekday - 1;
      if (d >= N_DAYS || seen[d])
        {
          g_array_append_val (kept, p);
          n_more[MIN (d, N_DAYS - 1)]++;
          continue;
        }
      seen[d] = TRUE;
      if (caps)
        {
          plans[d].capped = TRUE;
          plans[d].cap_from = p.from;
          plans[d].cap_to = p.to;
          plans[d].cap_percent = (guint) (p.cap * 100 + 0.5);
        }
      else
        {
          plans[d].open = TRUE;
          plans[d].opens = p.from;
          plans[d].closes = p.to;
        }
    }
  return any;
}

static void
on_schedule (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSchedule *self = data;
  g_autoptr (GVariant) hours = NULL, caps = NULL;
  SkDayPlan plans[N_DAYS];
  guint n_more[N_DAYS] = { 0 };
  gboolean any_hours;
  const char *zone;
  g_autofree char *description = NULL;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  g_variant_get (reply, "(@a(uuu)@a(uuud)&s)", &hours, &caps, &zone);
  g_array_set_size (self->kept_hours, 0);
  g_array_set_size (self->kept_caps, 0);
  for (guint i = 0; i < N_DAYS; i++)
    plans[i] = (SkDayPlan){ .open = FALSE, .cap_percent = 100 };
  any_hours = take_periods (hours, FALSE, plans, n_more, self->kept_hours);
  take_periods (caps, TRUE, plans, n_more, self->kept_caps);
  for (guint i = 0; i < N_DAYS; i++)
    {
      if (!any_hours)
        plans[i].open = TRUE; /* no hours: always open */
      sk_admin_day_set_plan (self->days[i], &plans[i], n_more[i]);
    }
  /* TRANSLATORS: %s is the venue's time zone, e.g. Europe/Berlin */
  description = g_strdup_printf (_ ("Times are in %s. Outside the opening hours the music "
                                    "pauses; within a cap it plays no louder."),
                                 zone);
  adw_preferences_group_set_description (self->group, description);
}

static void
on_settings (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSchedule *self = data;
  const char *value;

  if (reply == NULL)
    return; /* GetSchedule says why */
  if (sk_app_find_setting (reply, "time_zone", &value, NULL))
    {
      g_free (self->time_zone);
      self->time_zone = g_strdup (value);
    }
}

static void
sk_admin_schedule_load (SkAdminSection *section)
{
  SkAdminSchedule *self = SK_ADMIN_SCHEDULE (section);

  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetSettings", NULL, on_settings);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetSchedule", NULL, on_schedule);
}

/* --- to the engine ------------------------------------------------------- */

static void
on_sent (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSchedule *self = data;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      /* show what the engine kept */
      sk_admin_section_load (SK_ADMIN_SECTION (self),
                             sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)));
    }
  else
    sk_admin_section_tell (SK_ADMIN_SECTION (self),
                           _ ("The opening hours and volume caps were saved."));
}

static void
send_schedule (SkAdminSection *section)
{
  SkAdminSchedule *self = SK_ADMIN_SCHEDULE (section);
  GVariantBuilder hours, caps;
  SkDayPlan plans[N_DAYS];
  gboolean all_day = TRUE, any_open = FALSE;

  for (guint i = 0; i < N_DAYS; i++)
    {
      sk_admin_day_get_plan (self->days[i], &plans[i]);
      all_day = all_day && plans[i].open && plans[i].opens == plans[i].closes;
      any_open = any_open || plans[i].open;
    }
  if (!any_open && self->kept_hours->len == 0)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self),
                               _ ("Keep at least one day open. To silence the player, pause it."));
      return;
    }
  g_variant_builder_init (&hours, G_VARIANT_TYPE ("a(uuu)"));
  g_variant_builder_init (&caps, G_VARIANT_TYPE ("a(uuud)"));
  for (guint i = 0; i < N_DAYS; i++)
    {
      if (plans[i].open && !(all_day && self->kept_hours->len == 0))
        g_variant_builder_add (&hours, "(uuu)", i + 1, plans[i].opens, plans[i].closes);
      if (plans[i].capped)
        g_variant_builder_add (&caps, "(uuud)", i + 1, plans[i].cap_from, plans[i].cap_to,
                               plans[i].cap_percent / 100.0);
    }
  for (guint i = 0; i < self->kept_hours->len; i++)
    {
      const Period *p = &g_array_index (self->kept_hours, Period, i);

      g_variant_builder_add (&hours, "(uuu)", p->weekday, p->from, p->to);
    }
  for (guint i = 0; i < self->kept_caps->len; i++)
    {
      const Period *p = &g_array_index (self->kept_caps, Period, i);

      g_variant_builder_add (&caps, "(uuud)", p->weekday, p->from, p->to, p->cap);
    }
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetSchedule",
                         g_variant_new ("(a(uuu)a(uuud)s)", &hours, &caps,
                                        self->time_zone != NULL ? self->time_zone : ""),
                         on_sent);
}

static void
on_day_changed (SkAdminDay *day, SkAdminSchedule *self)
{
  if (sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL)
    return;
  sk_admin_section_defer (SK_ADMIN_SECTION (self), SEND_DELAY_MS);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_schedule_finalize (GObject *object)
{
  SkAdminSchedule *self = SK_ADMIN_SCHEDULE (object);

  g_array_unref (self->kept_hours);
  g_array_unref (self->kept_caps);
  g_free (self->time_zone);
  G_OBJECT_CLASS (sk_admin_schedule_parent_class)->finalize (object);
}

static void
sk_admin_schedule_class_init (SkAdminScheduleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SkAdminSectionClass *section_class = SK_ADMIN_SECTION_CLASS (klass);
  static const char *const day_ids[N_DAYS] = { "monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday" };

  section_class->load = sk_admin_schedule_load;
  section_class->deferred = send_schedule;
  object_class->finalize = sk_admin_schedule_finalize;
  g_type_ensure (SK_TYPE_ADMIN_DAY);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-schedule.ui");
  gtk_widget_class_bind_template_child (widget_class, SkAdminSchedule, group);
  for (guint i = 0; i < N_DAYS; i++)
    gtk_widget_class_bind_template_child_full (widget_class, day_ids[i], FALSE,
                                               G_STRUCT_OFFSET (SkAdminSchedule, days) +
                                                   i * sizeof (SkAdminDay *));
  gtk_widget_class_bind_template_callback (widget_class, on_day_changed);
}

static void
sk_admin_schedule_init (SkAdminSchedule *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->kept_hours = g_array_new (FALSE, FALSE, sizeof (Period));
  self->kept_caps = g_array_new (FALSE, FALSE, sizeof (Period));
}
