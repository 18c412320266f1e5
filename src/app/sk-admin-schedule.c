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
#include <string.h>

#include <adwaita.h>

#include "sk-admin-schedule.h"
#include "sk-app-call.h"

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
  GtkWidget parent_instance;

  AdwPreferencesGroup *group;
  SkAdminDay *days[N_DAYS];

  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  GArray *kept_hours; /* Period: the ones no row shows */
  GArray *kept_caps;
  char *time_zone; /* the setting, as set ("" for the system's) */
  guint send_timer;
  guint pending; /* calls awaited */
};

G_DEFINE_FINAL_TYPE (SkAdminSchedule, sk_admin_schedule, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_REFUSED,
  SIGNAL_TOLD,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

SkAdminDay *
sk_admin_schedule_get_day (SkAdminSchedule *self, guint weekday)
{
  g_return_val_if_fail (SK_IS_ADMIN_SCHEDULE (self), NULL);
  g_return_val_if_fail (weekday >= 1 && weekday <= N_DAYS, NULL);
  return self->days[weekday - 1];
}

gboolean
sk_admin_schedule_is_busy (SkAdminSchedule *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_SCHEDULE (self), FALSE);
  return self->send_timer != 0 || self->pending > 0;
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

  self->pending--;
  if (reply == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_REFUSED], 0, refusal);
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
  g_autoptr (GVariant) settings = NULL;
  GVariantIter iter;
  const char *key, *value;

  self->pending--;
  if (reply == NULL)
    return; /* GetSchedule says why */
  settings = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, settings);
  while (g_variant_iter_next (&iter, "(&s&s&s&s&sdd&s)", &key, NULL, &value, NULL, NULL, NULL, NULL,
                              NULL))
    if (strcmp (key, "time_zone") == 0)
      {
        g_free (self->time_zone);
        self->time_zone = g_strdup (value);
      }
}

void
sk_admin_schedule_load (SkAdminSchedule *self, SkDBusKiosk1 *proxy)
{
  g_return_if_fail (SK_IS_ADMIN_SCHEDULE (self));
  g_set_object (&self->proxy, proxy);
  g_clear_handle_id (&self->send_timer, g_source_remove);
  self->pending += 2;
  sk_app_call (proxy, "GetSettings", NULL, self->cancellable, on_settings, self);
  sk_app_call (proxy, "GetSchedule", NULL, self->cancellable, on_schedule, self);
}

/* --- to the engine ------------------------------------------------------- */

static void
on_sent (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSchedule *self = data;

  self->pending--;
  if (reply == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_REFUSED], 0, refusal);
      /* show what the engine kept */
      sk_admin_schedule_load (self, self->proxy);
    }
  else
    g_signal_emit (self, signals[SIGNAL_TOLD], 0,
                   _ ("The opening hours and volume caps were saved."));
}

static gboolean
send_schedule (gpointer data)
{
  SkAdminSchedule *self = data;
  GVariantBuilder hours, caps;
  SkDayPlan plans[N_DAYS];
  gboolean all_day = TRUE, any_open = FALSE;

  self->send_timer = 0;
  for (guint i = 0; i < N_DAYS; i++)
    {
      sk_admin_day_get_plan (self->days[i], &plans[i]);
      all_day = all_day && plans[i].open && plans[i].opens == plans[i].closes;
      any_open = any_open || plans[i].open;
    }
  if (!any_open && self->kept_hours->len == 0)
    {
      g_signal_emit (self, signals[SIGNAL_REFUSED], 0,
                     _ ("Keep at least one day open. To silence the player, pause it."));
      return G_SOURCE_REMOVE;
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
  self->pending++;
  sk_app_call (self->proxy, "SetSchedule",
               g_variant_new ("(a(uuu)a(uuud)s)", &hours, &caps,
                              self->time_zone != NULL ? self->time_zone : ""),
               self->cancellable, on_sent, self);
  return G_SOURCE_REMOVE;
}

static void
on_day_changed (SkAdminDay *day, SkAdminSchedule *self)
{
  if (self->proxy == NULL)
    return;
  g_clear_handle_id (&self->send_timer, g_source_remove);
  self->send_timer = g_timeout_add (SEND_DELAY_MS, send_schedule, self);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_schedule_dispose (GObject *object)
{
  SkAdminSchedule *self = SK_ADMIN_SCHEDULE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->send_timer, g_source_remove);
  g_clear_object (&self->proxy);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_ADMIN_SCHEDULE);
  G_OBJECT_CLASS (sk_admin_schedule_parent_class)->dispose (object);
}

static void
sk_admin_schedule_finalize (GObject *object)
{
  SkAdminSchedule *self = SK_ADMIN_SCHEDULE (object);

  g_array_unref (self->kept_hours);
  g_array_unref (self->kept_caps);
  g_free (self->time_zone);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_admin_schedule_parent_class)->finalize (object);
}

static void
sk_admin_schedule_class_init (SkAdminScheduleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  static const char *const day_ids[N_DAYS] = { "monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday" };

  object_class->dispose = sk_admin_schedule_dispose;
  object_class->finalize = sk_admin_schedule_finalize;
  signals[SIGNAL_REFUSED] = g_signal_new ("refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TOLD] = g_signal_new ("told", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  g_type_ensure (SK_TYPE_ADMIN_DAY);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-schedule.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
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
  self->cancellable = g_cancellable_new ();
  self->kept_hours = g_array_new (FALSE, FALSE, sizeof (Period));
  self->kept_caps = g_array_new (FALSE, FALSE, sizeof (Period));
}
