/* SkEventQueue: events from worker threads reach the owner on its main
 * context, in order; none after close; the queue outlives its owner. */
#include "config.h"

#include "sk-event-queue.h"

#define N_THREADS 4
#define N_EACH 500

static gint freed;

static void
free_event (gpointer event)
{
  g_atomic_int_inc (&freed);
  g_free (event);
}

typedef struct
{
  GThread *main_thread;
  guint seen;
  guint next[N_THREADS]; /* the next number expected from each thread */
  gboolean wrong_thread;
  gboolean out_of_order;
  gboolean close_on_first;
  SkEventQueue *queue;
  GObject *drop_owner; /* unref'd on the first event when set */
} Received;

static void
dispatch (gpointer owner, gpointer event)
{
  Received *r = g_object_get_data (owner, "received");
  guint v = GPOINTER_TO_UINT (*(gpointer *) event);
  guint thread = v / N_EACH, n = v % N_EACH;

  if (g_thread_self () != r->main_thread)
    r->wrong_thread = TRUE;
  if (thread >= N_THREADS || r->next[thread] != n)
    r->out_of_order = TRUE;
  else
    r->next[thread]++;
  r->seen++;
  if (r->close_on_first)
    sk_event_queue_close (r->queue);
  if (r->drop_owner != NULL)
    g_clear_object (&r->drop_owner);
}

static gpointer
new_event (guint v)
{
  gpointer *ev = g_new (gpointer, 1);

  *ev = GUINT_TO_POINTER (v);
  return ev;
}

typedef struct
{
  SkEventQueue *queue;
  guint base;
} Worker;

static gpointer
worker (gpointer data)
{
  Worker *w = data;

  for (guint i = 0; i < N_EACH; i++)
    sk_event_queue_post (w->queue, new_event (w->base + i));
  return NULL;
}

static void
run_workers (SkEventQueue *queue)
{
  Worker w[N_THREADS];
  GThread *threads[N_THREADS];

  for (guint t = 0; t < N_THREADS; t++)
    {
      w[t].queue = queue;
      w[t].base = t * N_EACH;
      threads[t] = g_thread_new ("worker", worker, &w[t]);
    }
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
}

static void
drain_context (void)
{
  /* every source the queue made is ready: bounded by what was posted */
  for (guint i = 0; i < 10 * N_THREADS * N_EACH && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

static void
test_in_order_on_main (void)
{
  g_autoptr (GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Received r = { .main_thread = g_thread_self () };
  g_autoptr (SkEventQueue) queue = NULL;

  g_object_set_data (owner, "received", &r);
  queue = sk_event_queue_new (owner, dispatch, free_event, "test");
  g_atomic_int_set (&freed, 0);
  run_workers (queue);
  g_assert_cmpuint (r.seen, ==, 0); /* nothing is delivered off the context */
  drain_context ();

  g_assert_cmpuint (r.seen, ==, N_THREADS * N_EACH);
  g_assert_false (r.wrong_thread);
  g_assert_false (r.out_of_order);
  g_assert_cmpint (g_atomic_int_get (&freed), ==, N_THREADS * N_EACH);
  sk_event_queue_close (queue);
}

static void
test_nothing_after_close (void)
{
  g_autoptr (GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Received r = { .main_thread = g_thread_self () };
  g_autoptr (SkEventQueue) queue = NULL;

  g_object_set_data (owner, "received", &r);
  queue = sk_event_queue_new (owner, dispatch, free_event, "test");
  g_atomic_int_set (&freed, 0);
  sk_event_queue_post (queue, new_event (0));
  sk_event_queue_post (queue, new_event (1));
  /* closed with two in flight: neither arrives, later ones neither */
  sk_event_queue_close (queue);
  run_workers (queue);
  drain_context ();

  g_assert_cmpuint (r.seen, ==, 0);
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 2 + N_THREADS * N_EACH);
}

static void
test_close_from_handler (void)
{
  g_autoptr (GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Received r = { .main_thread = g_thread_self (), .close_on_first = TRUE };
  g_autoptr (SkEventQueue) queue = NULL;

  g_object_set_data (owner, "received", &r);
  queue = sk_event_queue_new (owner, dispatch, free_event, "test");
  r.queue = queue;
  g_atomic_int_set (&freed, 0);
  for (guint i = 0; i < 3; i++)
    sk_event_queue_post (queue, new_event (i));
  drain_context ();

  g_assert_cmpuint (r.seen, ==, 1);
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 3);
}

static void
weak_notify (gpointer data, GObject *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

/* A handler drops the owner's last reference: the owner is held until the
 * events in hand are delivered, then goes and closes the queue; the
 * worker's reference keeps the queue, and what it posts then is freed,
 * never delivered. */
static void
test_owner_goes_first (void)
{
  GObject *owner = g_object_new (G_TYPE_OBJECT, NULL);
  Received r = { .main_thread = g_thread_self () };
  SkEventQueue *queue;
  SkEventQueue *worker_ref;
  gboolean gone = FALSE;

  g_object_set_data (owner, "received", &r);
  queue = sk_event_queue_new (owner, dispatch, free_event, "test");
  g_object_set_data_full (owner, "queue", queue, (GDestroyNotify) sk_event_queue_close);
  worker_ref = sk_event_queue_ref (queue);
  g_object_weak_ref (owner, weak_notify, &gone);
  r.drop_owner = owner; /* the test's reference, dropped by the handler */
  g_atomic_int_set (&freed, 0);

  sk_event_queue_post (queue, new_event (0));
  sk_event_queue_post (queue, new_event (1));
  drain_context ();
  g_assert_true (gone);
  g_assert_cmpuint (r.seen, ==, 2);

  sk_event_queue_post (worker_ref, new_event (2));
  drain_context ();
  g_assert_cmpuint (r.seen, ==, 2);
  g_assert_cmpint (g_atomic_int_get (&freed), ==, 3);
  sk_event_queue_unref (queue);
  sk_event_queue_unref (worker_ref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/event-queue/in-order-on-main", test_in_order_on_main);
  g_test_add_func ("/event-queue/nothing-after-close", test_nothing_after_close);
  g_test_add_func ("/event-queue/close-from-handler", test_close_from_handler);
  g_test_add_func ("/event-queue/owner-goes-first", test_owner_goes_first);
  return g_test_run ();
}
