/* sk-event-queue.h: hands events from worker threads to an object on its
 * main context, in the order they were posted. The audio player's and the
 * NFC reader's threads use it. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _SkEventQueue SkEventQueue;

/* Called on the owner's main context for each event, with @owner held. */
typedef void (*SkEventQueueDispatch) (gpointer owner, gpointer event);

/* On the thread whose default main context delivers: @owner is a GObject
 * that closes the queue before it goes (dispose); @free_event frees an
 * event, delivered or not. */
SkEventQueue *sk_event_queue_new (gpointer owner,
                                  SkEventQueueDispatch dispatch,
                                  GDestroyNotify free_event,
                                  const char *name);
SkEventQueue *sk_event_queue_ref (SkEventQueue *queue);
void sk_event_queue_unref (SkEventQueue *queue);

/* Any thread; takes @event. */
void sk_event_queue_post (SkEventQueue *queue, gpointer event);

/* On the owner's context: nothing more is delivered, not even events
 * already posted; later posts are freed at once. A worker may keep its
 * reference and post on. */
void sk_event_queue_close (SkEventQueue *queue);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkEventQueue, sk_event_queue_unref)

G_END_DECLS
