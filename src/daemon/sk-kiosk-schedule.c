/* sk-kiosk-schedule.c: GetSchedule and SetSchedule, and what the schedule
 * in force shows: AudioStatus 'paused' outside the opening hours, Volume
 * within the cap.
 *
 * soundscaped applies the schedule (SkScheduler, sk-scheduler.h) on its
 * main loop; SetSchedule checks every entry and the zone before anything
 * is stored, then stores it whole and applies it at once.
 */
#include "config.h"

#include "sk-kiosk-private.h"
#include "sk-schedule.h"
#include "sk-settings.h"

static void
on_changed (SkScheduler *scheduler, gboolean open, double cap, SkKioskService *self)
{
  if (self->playback != NULL)
    sk_dbus_kiosk1_set_volume (self->skeleton, sk_playback_get_volume (self->playback));
  if (!open)
    sk_dbus_kiosk1_set_audio_status (self->skeleton,
                                     g_variant_new ("(ss)", "paused", "Outside opening hours"));
  else if (!self->audio_error)
    sk_kiosk_set_audio_running (self,
                                g_strcmp0 (sk_engine_get_status (self->engine), "playing") == 0);
}

void
sk_kiosk_service_set_scheduler (SkKioskService *self, SkScheduler *scheduler)
{
  g_return_if_fail (self->scheduler == NULL);
  self->scheduler = g_object_ref (scheduler);
  g_signal_connect (scheduler, "changed", G_CALLBACK (on_changed), self);
  on_changed (scheduler, sk_scheduler_is_open (scheduler), sk_scheduler_get_cap (scheduler), self);
}

GVariant *
sk_kiosk_method_get_schedule (SkKioskService *self, GVariant *args, GError **error)
{
  g_autoptr (SkSchedule) loaded = NULL;
  SkSchedule *s;
  const SkScheduleEntry *e;
  GVariantBuilder hours, caps;
  guint n = 0;

  if (self->scheduler != NULL)
    s = sk_scheduler_get_schedule (self->scheduler);
  else
    s = loaded = sk_schedule_load (sk_engine_get_store (self->engine));
  g_variant_builder_init (&hours, G_VARIANT_TYPE ("a(uuu)"));
  e = sk_schedule_get_opening (s, &n);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&hours, "(uuu)", e[i].weekday, e[i].from, e[i].to);
  g_variant_builder_init (&caps, G_VARIANT_TYPE ("a(uuud)"));
  e = sk_schedule_get_caps (s, &n);
  for (guint i = 0; i < n; i++)
    g_variant_builder_add (&caps, "(uuud)", e[i].weekday, e[i].from, e[i].to, e[i].cap);
  return g_variant_new ("(@a(uuu)@a(uuud)s)", g_variant_builder_end (&hours),
                        g_variant_builder_end (&caps), sk_schedule_get_zone_name (s));
}

GVariant *
sk_kiosk_method_set_schedule (SkKioskService *self, GVariant *args, GError **error)
{
  g_autoptr (GVariantIter) hours = NULL;
  g_autoptr (GVariantIter) caps = NULL;
  g_autoptr (SkSchedule) s = NULL;
  const char *time_zone;
  guint weekday, from, to;
  double cap;
  gboolean ok;

  g_variant_get (args, "(a(uuu)a(uuud)&s)", &hours, &caps, &time_zone);
  s = sk_schedule_new (time_zone, error);
  ok = s != NULL;
  while (ok && g_variant_iter_next (hours, "(uuu)", &weekday, &from, &to))
    ok = sk_schedule_add_opening (s, weekday, from, to, error);
  while (ok && g_variant_iter_next (caps, "(uuud)", &weekday, &from, &to, &cap))
    ok = sk_schedule_add_cap (s, weekday, from, to, cap, error);
  if (ok && self->scheduler != NULL)
    ok = sk_scheduler_set_schedule (self->scheduler, g_steal_pointer (&s), error);
  else if (ok)
    ok = sk_schedule_save (s, sk_engine_get_store (self->engine), error);
  if (!ok)
    return NULL;
  g_message ("the schedule was changed over D-Bus");
  return g_variant_new ("()");
}

void
sk_kiosk_schedule_clear (SkKioskService *self)
{
  if (self->scheduler != NULL)
    g_signal_handlers_disconnect_by_data (self->scheduler, self);
  g_clear_object (&self->scheduler);
}
