/* sk-scheduler.c: the schedule applied to the playback (sk-scheduler.h). */
#include "config.h"

#include "sk-scheduler.h"

#define LOOK_AT_LEAST_EVERY_S 60

struct _SkScheduler
{
  GObject parent_instance;

  SkEngine *engine;
  SkPlayback *playback;
  SkSchedule *schedule;
  gboolean applied; /* open and cap below hold what was applied */
  gboolean open;
  double cap;
  guint timer;
};

G_DEFINE_FINAL_TYPE (SkScheduler, sk_scheduler, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
on_timer (gpointer data)
{
  SkScheduler *self = data;

  self->timer = 0; /* a one-shot source: gone once it has run */
  sk_scheduler_apply (self);
}

void
sk_scheduler_apply (SkScheduler *self)
{
  gint64 now, next, wait_ms;
  gboolean open;
  double cap;

  g_return_if_fail (SK_IS_SCHEDULER (self));

  now = sk_engine_now (self->engine);
  open = sk_schedule_is_open (self->schedule, now);
  cap = sk_schedule_get_cap (self->schedule, now);
  if (!self->applied || open != self->open || cap != self->cap)
    {
      SkAudioPlayer *player = sk_playback_get_player (self->playback);
      guint n_hours = 0;

      if (!self->applied || open != self->open)
        {
          if (open)
            sk_audio_player_resume (player);
          else
            sk_audio_player_pause (player);
          sk_schedule_get_opening (self->schedule, &n_hours);
          /* for the venue's manager, who reads the log on the admin page */
          if (!open)
            g_message ("Outside the opening hours: the music is paused until the venue opens");
          else if (n_hours == 0)
            g_message ("No opening hours are set: the music plays at all hours");
          else
            g_message ("Within the opening hours: the music plays");
        }
      if (!self->applied || cap != self->cap)
        sk_playback_set_volume_cap (self->playback, cap);
      self->applied = TRUE;
      self->open = open;
      self->cap = cap;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, open, cap);
    }

  /* the next foreseen change, or a minute: whichever comes first */
  next = sk_schedule_next_change (self->schedule, now);
  wait_ms = LOOK_AT_LEAST_EVERY_S * 1000;
  if (next != G_MAXINT64 && next > now)
    wait_ms = CLAMP ((next - now + 999) / 1000, 1, wait_ms);
  if (self->timer != 0)
    g_source_remove (self->timer);
  self->timer = g_timeout_add_once ((guint) wait_ms, on_timer, self);
}

SkSchedule *
sk_scheduler_get_schedule (SkScheduler *self)
{
  g_return_val_if_fail (SK_IS_SCHEDULER (self), NULL);
  return self->schedule;
}

gboolean
sk_scheduler_set_schedule (SkScheduler *self, SkSchedule *schedule, GError **error)
{
  g_autoptr (SkSchedule) owned = schedule;

  g_return_val_if_fail (SK_IS_SCHEDULER (self), FALSE);
  if (!sk_schedule_save (schedule, sk_engine_get_store (self->engine), error))
    return FALSE;
  sk_schedule_free (self->schedule);
  self->schedule = g_steal_pointer (&owned);
  sk_scheduler_apply (self);
  return TRUE;
}

void
sk_scheduler_reload (SkScheduler *self)
{
  g_return_if_fail (SK_IS_SCHEDULER (self));
  sk_schedule_free (self->schedule);
  self->schedule = sk_schedule_load (sk_engine_get_store (self->engine));
  sk_scheduler_apply (self);
}

gboolean
sk_scheduler_is_open (SkScheduler *self)
{
  g_return_val_if_fail (SK_IS_SCHEDULER (self), TRUE);
  return self->open;
}

double
sk_scheduler_get_cap (SkScheduler *self)
{
  g_return_val_if_fail (SK_IS_SCHEDULER (self), 1);
  return self->cap;
}

SkScheduler *
sk_scheduler_new (SkEngine *engine, SkPlayback *playback)
{
  SkScheduler *self;

  g_return_val_if_fail (SK_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (SK_IS_PLAYBACK (playback), NULL);

  self = g_object_new (SK_TYPE_SCHEDULER, NULL);
  self->engine = g_object_ref (engine);
  self->playback = g_object_ref (playback);
  sk_scheduler_reload (self);
  return self;
}

static void
sk_scheduler_finalize (GObject *object)
{
  SkScheduler *self = SK_SCHEDULER (object);

  if (self->timer != 0)
    g_source_remove (self->timer);
  sk_schedule_free (self->schedule);
  g_clear_object (&self->playback);
  g_clear_object (&self->engine);
  G_OBJECT_CLASS (sk_scheduler_parent_class)->finalize (object);
}

static void
sk_scheduler_class_init (SkSchedulerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sk_scheduler_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN,
                                          G_TYPE_DOUBLE);
}

static void
sk_scheduler_init (SkScheduler *self)
{
  self->open = TRUE;
  self->cap = 1;
}
