/* sk-event-queue.c: events from worker threads to an object's main context.
 *
 * A small reference-counted block (a GLib atomic RcBox) that the workers
 * and the object share, so an event in flight after the object has gone
 * is dropped, never delivered to freed memory. Events wait in one locked list; one idle
 * source at a time delivers all of them (not g_main_context_invoke(): from
 * a worker it would run the handler right there when no thread owns the
 * context). */
#include "config.h"

#include "sk-event-queue.h"

struct _SkEventQueue
{
  GMutex lock;
  GQueue events;           /* under lock */
  gboolean source_pending; /* under lock */
  gboolean closed;         /* under lock */
  GMainContext *context;
  gpointer owner; /* on the owner's context only; NULL once closed */
  SkEventQueueDispatch dispatch;
  GDestroyNotify free_event;
  char *name;
};

SkEventQueue *
sk_event_queue_new (gpointer owner,
                    SkEventQueueDispatch dispatch,
                    GDestroyNotify free_event,
                    const char *name)
{
  SkEventQueue *queue;

  g_return_val_if_fail (G_IS_OBJECT (owner), NULL);

  queue = g_atomic_rc_box_new0 (SkEventQueue);
  g_mutex_init (&queue->lock);
  g_queue_init (&queue->events);
  queue->context = g_main_context_ref_thread_default ();
  queue->owner = owner;
  queue->dispatch = dispatch;
  queue->free_event = free_event;
  queue->name = g_strdup_printf ("[%s] events", name);
  return queue;
}

SkEventQueue *
sk_event_queue_ref (SkEventQueue *queue)
{
  return g_atomic_rc_box_acquire (queue);
}

/* What the box holds, once the last reference is gone. */
static void
event_queue_clear (gpointer data)
{
  SkEventQueue *queue = data;

  g_queue_clear_full (&queue->events, queue->free_event);
  g_mutex_clear (&queue->lock);
  g_main_context_unref (queue->context);
  g_free (queue->name);
}

void
sk_event_queue_unref (SkEventQueue *queue)
{
  if (queue != NULL)
    g_atomic_rc_box_release_full (queue, event_queue_clear);
}

static gboolean
deliver (gpointer data)
{
  SkEventQueue *queue = data;
  GQueue events = G_QUEUE_INIT;
  g_autoptr (GObject) owner = NULL;
  gpointer ev;

  g_mutex_lock (&queue->lock);
  events = queue->events;
  g_queue_init (&queue->events);
  queue->source_pending = FALSE;
  g_mutex_unlock (&queue->lock);

  /* A handler may drop the last reference: hold one while delivering, and
   * re-check the owner before each event (a handler may close). */
  if (queue->owner != NULL)
    owner = g_object_ref (queue->owner);
  while ((ev = g_queue_pop_head (&events)) != NULL)
    {
      if (owner != NULL && queue->owner != NULL)
        queue->dispatch (owner, ev);
      queue->free_event (ev);
    }
  return G_SOURCE_REMOVE;
}

static void
source_unref_queue (gpointer data)
{
  sk_event_queue_unref (data);
}

void
sk_event_queue_post (SkEventQueue *queue, gpointer event)
{
  g_mutex_lock (&queue->lock);
  if (queue->closed)
    {
      g_mutex_unlock (&queue->lock);
      queue->free_event (event);
      return;
    }
  g_queue_push_tail (&queue->events, event);
  if (!queue->source_pending)
    {
      GSource *source = g_idle_source_new ();

      queue->source_pending = TRUE;
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver, sk_event_queue_ref (queue), source_unref_queue);
      g_source_set_name (source, queue->name);
      g_source_attach (source, queue->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&queue->lock);
}

void
sk_event_queue_close (SkEventQueue *queue)
{
  g_mutex_lock (&queue->lock);
  queue->closed = TRUE;
  g_mutex_unlock (&queue->lock);
  queue->owner = NULL;
}
