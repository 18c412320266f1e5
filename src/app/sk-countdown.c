/* sk-countdown.c: see sk-countdown.h. */
#include "config.h"

#include "sk-countdown.h"

void
sk_countdown_stop (SkCountdown *self)
{
  g_clear_handle_id (&self->timer, g_source_remove);
}

void
sk_countdown_init (SkCountdown *self, GtkWidget *owner, SkCountdownFunc show, SkCountdownFunc done)
{
  *self = (SkCountdown){ .owner = owner, .show = show, .done = done };
  g_signal_connect_swapped (owner, "unmap", G_CALLBACK (sk_countdown_stop), self);
}

static gboolean
on_tick (gpointer data)
{
  SkCountdown *self = data;

  if (self->left > 0)
    self->left--;
  self->show (self->owner);
  if (self->left > 0)
    return G_SOURCE_CONTINUE;
  self->timer = 0;
  self->done (self->owner);
  return G_SOURCE_REMOVE;
}

void
sk_countdown_start (SkCountdown *self, guint seconds)
{
  self->left = seconds;
  sk_countdown_stop (self);
  self->timer = g_timeout_add_seconds (1, on_tick, self);
  self->show (self->owner);
}
