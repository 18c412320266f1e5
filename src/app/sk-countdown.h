/* sk-countdown.h: the seconds a page stays, counted down once a second.
 *
 * @show is called when the count starts and after each second; @done once
 * at zero (the count has stopped then). The count stops when its widget
 * is unmapped: nothing counts down unseen. The owner stops it in its
 * dispose too.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*SkCountdownFunc) (gpointer owner);

typedef struct
{
  guint left; /* seconds; the owner may shorten it */
  guint timer;
  gpointer owner;
  SkCountdownFunc show;
  SkCountdownFunc done;
} SkCountdown;

void
sk_countdown_init (SkCountdown *self, GtkWidget *owner, SkCountdownFunc show, SkCountdownFunc done);
void sk_countdown_start (SkCountdown *self, guint seconds);
void sk_countdown_stop (SkCountdown *self);

G_END_DECLS
