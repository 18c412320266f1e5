/* sk-nfc-reader.c: the reader thread.
 *
 * The thread owns its libnfc context and device; the object lives on the
 * starting thread's main context. They share one reference-counted block
 * (Shared): a stop flag, the open device (so that a stopping thread can
 * abort the command in flight) and the SkEventQueue to the object. The
 * thread never touches the object: it posts events (status, tap, removed)
 * to the owner's main context, where they are dropped once the reader was
 * stopped (stop closes the queue) or finalized.
 *
 * States of the thread:
 *
 *   OPENING --open fails--> (ABSENT or ERROR) --wait backoff--> OPENING
 *   OPENING --open ok-----> LOOKING                       [status READY]
 *   LOOKING --no card-----> wait poll_ms --> LOOKING
 *   LOOKING --card--------> HOLDING                       [tap]
 *   HOLDING --still there-> wait presence_ms --> HOLDING
 *   HOLDING --gone--------> LOOKING                       [removed]
 *   LOOKING, HOLDING --command fails--> close --> OPENING [status ERROR]
 *   any --stop--> close, exit
 *
 * The backoff starts at 100 ms and doubles up to 2 s; it starts again at
 * 100 ms when the reader had been working for a while. A card held while
 * the reader failed and found again within a few seconds of reopening is
 * the same tap, not a new one.
 *
 * Bounded waits. libnfc's InAutoPoll (nfc_initiator_poll_target on a PN532)
 * waits for its answer with no timeout, so the thread never uses it: it
 * selects with nfc_initiator_select_passive_target (300 ms timeout in
 * libnfc), pings the card held with nfc_initiator_target_is_present (each
 * command bounded by the device's NP_TIMEOUT_COMMAND, set here), and sleeps
 * on a condition variable that stop signals. nfc_open() on a reader that
 * never answers takes about a second in libnfc (its wake-up waits 1 s for
 * an ACK) and cannot be aborted, nor can the wait for a command's ACK; stop
 * waits for the thread for 0.75 s and otherwise leaves it to finish on its
 * own (it holds only its own references and emits nothing after stop). */
#include "config.h"

#include <nfc/nfc.h>
#include <string.h>

#include "sk-event-queue.h"
#include "sk-nfc-reader.h"
#include "sk-util.h"

#define DEFAULT_POLL_MS 50
#define DEFAULT_PRESENCE_MS 100
#define COMMAND_TIMEOUT_MS 200
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
#define STABLE_US (2 * G_USEC_PER_SEC)    /* up this long: backoff restarts */
#define SAME_CARD_US (5 * G_USEC_PER_SEC) /* a card held through a reconnect */
#define STOP_WAIT_US (700 * 1000)

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean stopping;  /* under lock */
  gboolean finished;  /* under lock */
  nfc_device *device; /* under lock: the device open, for abort */
  SkEventQueue *events;
  char *connstring; /* asked for, or NULL */
  guint poll_ms;
  guint presence_ms;
} Shared;

typedef enum
{
  EVENT_STATUS,
  EVENT_TAP,
  EVENT_REMOVED,
} EventKind;

typedef struct
{
  EventKind kind;
  SkNfcStatus status;
  char *model;
  char *connstring;
  char *message;
  char *uid;
  guint atqa;
  guint sak;
  gint64 time;
} Event;

struct _SkNfcReader
{
  GObject parent_instance;

  char *connstring; /* asked for */
  guint poll_ms;
  guint presence_ms;

  Shared *shared; /* while started */
  GThread *thread;

  SkNfcStatus status;
  char *model;
  char *opened; /* the connection string opened */
  char *message;
};

G_DEFINE_FINAL_TYPE (SkNfcReader, sk_nfc_reader, G_TYPE_OBJECT)

enum
{
  SIGNAL_TAP,
  SIGNAL_REMOVED,
  SIGNAL_STATUS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

const char *
sk_nfc_status_to_string (SkNfcStatus status)
{
  switch (status)
    {
    case SK_NFC_STATUS_STARTING:
      return "starting";
    case SK_NFC_STATUS_READY:
      return "ready";
    case SK_NFC_STATUS_ABSENT:
      return "absent";
    case SK_NFC_STATUS_ERROR:
      return "error";
    default:
      return "unknown";
    }
}

/* --- shared state ------------------------------------------------------- */

static void
shared_clear (gpointer p)
{
  Shared *sh = p;

  g_mutex_clear (&sh->lock);
  g_cond_clear (&sh->cond);
  sk_event_queue_unref (sh->events);
  g_free (sh->connstring);
}

static void
shared_unref (Shared *sh)
{
  g_atomic_rc_box_release_full (sh, shared_clear);
}

static gboolean
is_stopping (Shared *sh)
{
  gboolean stopping;

  g_mutex_lock (&sh->lock);
  stopping = sh->stopping;
  g_mutex_unlock (&sh->lock);
  return stopping;
}

/* Sleeps @ms unless told to stop; TRUE when stopping. */
static gboolean
wait_ms (Shared *sh, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean stopping;

  g_mutex_lock (&sh->lock);
  while (!sh->stopping)
    if (!g_cond_wait_until (&sh->cond, &sh->lock, deadline))
      break;
  stopping = sh->stopping;
  g_mutex_unlock (&sh->lock);
  return stopping;
}

/* --- events, from the thread to the main context ------------------------ */

static void
event_free (gpointer p)
{
  Event *ev = p;

  g_free (ev->model);
  g_free (ev->connstring);
  g_free (ev->message);
  g_free (ev->uid);
  g_free (ev);
}

/* Each event on the owner's context (the SkEventQueue's dispatch). */
static void
dispatch_event (gpointer owner, gpointer data)
{
  SkNfcReader *self = owner;
  Event *ev = data;

  switch (ev->kind)
    {
    case EVENT_STATUS:
      self->status = ev->status;
      if (ev->model != NULL)
        {
          g_free (self->model);
          self->model = g_strdup (ev->model);
        }
      if (ev->connstring != NULL)
        {
          g_free (self->opened);
          self->opened = g_strdup (ev->connstring);
        }
      g_free (self->message);
      self->message = g_strdup (ev->message);
      g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0);
      break;
    case EVENT_TAP:
      g_signal_emit (self, signals[SIGNAL_TAP], 0, ev->uid, ev->atqa, ev->sak, ev->time);
      break;
    case EVENT_REMOVED:
      g_signal_emit (self, signals[SIGNAL_REMOVED], 0, ev->uid);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* --- the thread --------------------------------------------------------- */

typedef struct
{
  SkNfcStatus status; /* last reported */
  char *message;
  char *held_uid;   /* the card on the reader, if any */
  gint64 held_lost; /* when the reader failed with it held, or 0 */
  guint backoff;
} ThreadState;

static void
report (Shared *sh,
        ThreadState *ts,
        SkNfcStatus status,
        const char *model,
        const char *connstring,
        const char *message)
{
  Event *ev;

  if (status == ts->status && g_strcmp0 (message, ts->message) == 0)
    return;
  ts->status = status;
  g_free (ts->message);
  ts->message = g_strdup (message);

  /* one line per change; no reader plugged in, when none was named, is
   * no fault */
  if (status == SK_NFC_STATUS_READY)
    g_message ("NFC reader ready: %s", model);
  else if (status == SK_NFC_STATUS_ABSENT && sh->connstring == NULL)
    g_message ("NFC reader %s: %s", sk_nfc_status_to_string (status), message);
  else
    g_warning ("NFC reader %s: %s", sk_nfc_status_to_string (status), message);

  ev = g_new0 (Event, 1);
  ev->kind = EVENT_STATUS;
  ev->status = status;
  ev->model = g_strdup (model);
  ev->connstring = g_strdup (connstring);
  ev->message = g_strdup (message);
  sk_event_queue_post (sh->events, ev);
}

static void
post_card (Shared *sh, EventKind kind, const char *uid, guint atqa, guint sak, gint64 time)
{
  Event *ev = g_new0 (Event, 1);

  ev->kind = kind;
  ev->uid = g_strdup (uid);
  ev->atqa = atqa;
  ev->sak = sak;
  ev->time = time;
  sk_event_queue_post (sh->events, ev);
}

/* The device path of a serial, I²C or SPI connection string
 * ("pn532_uart:/dev/ttyS0:115200"), or NULL. */
static char *
connstring_path (const char *conn)
{
  const char *colon = strchr (conn, ':');
  const char *end;

  if (colon == NULL || colon[1] != '/')
    return NULL;
  end = strchr (colon + 1, ':');
  return end ? g_strndup (colon + 1, (gsize) (end - colon - 1)) : g_strdup (colon + 1);
}

static char *
model_of (nfc_device *dev)
{
  char *info = NULL;
  g_autofree char *chip = NULL;

  if (nfc_device_get_information_about (dev, &info) >= 0 && info != NULL)
    {
      const char *c = strstr (info, "chip: ");

      if (c != NULL)
        chip = g_strndup (c + 6, strcspn (c + 6, "\n"));
      nfc_free (info);
    }
  if (chip != NULL && *chip != '\0')
    return g_strdup_printf ("%s, %s", nfc_device_get_name (dev), chip);
  return g_strdup (nfc_device_get_name (dev));
}

static nfc_device *
open_device (Shared *sh, nfc_context *ctx, SkNfcStatus *status, char **conn_out, char **why)
{
  nfc_connstring conn = { 0 };
  g_autofree char *path = NULL;
  nfc_device *dev;
  int res;

  if (sh->connstring != NULL)
    g_strlcpy (conn, sh->connstring, sizeof conn);
  else
    {
      nfc_connstring found[4];

      if (nfc_list_devices (ctx, found, G_N_ELEMENTS (found)) == 0)
        {
          *status = SK_NFC_STATUS_ABSENT;
          *why = g_strdup ("No NFC reader found");
          return NULL;
        }
      g_strlcpy (conn, found[0], sizeof conn);
    }
  *conn_out = g_strdup (conn);

  dev = nfc_open (ctx, conn);
  if (dev == NULL)
    {
      path = connstring_path (conn);
      if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
        {
          *status = SK_NFC_STATUS_ERROR;
          *why = g_strdup_printf ("No NFC reader answers at %s", path);
        }
      else
        {
          *status = SK_NFC_STATUS_ABSENT;
          *why = path ? g_strdup_printf ("%s does not exist", path)
                      : g_strdup_printf ("Cannot open the NFC reader %s", conn);
        }
      return NULL;
    }

  /* Bound every command before the first one of initiator mode. */
  if ((res = nfc_device_set_property_int (dev, NP_TIMEOUT_COMMAND, COMMAND_TIMEOUT_MS)) < 0 ||
      (res = nfc_initiator_init (dev)) < 0 ||
      (res = nfc_device_set_property_bool (dev, NP_INFINITE_SELECT, false)) < 0)
    {
      *status = SK_NFC_STATUS_ERROR;
      *why = g_strdup_printf ("The NFC reader %s refused initiator mode: %s", conn,
                              nfc_strerror (dev));
      nfc_close (dev);
      return NULL;
    }
  return dev;
}

static char *
uid_hex (const nfc_target *nt)
{
  const nfc_iso14443a_info *a = &nt->nti.nai;
  GString *s = g_string_sized_new (2 * sizeof a->abtUid);

  for (size_t i = 0; i < a->szUidLen && i < sizeof a->abtUid; i++)
    g_string_append_printf (s, "%02X", a->abtUid[i]);
  return g_string_free (s, FALSE);
}

static gboolean
device_failure (int res)
{
  return res == NFC_EIO || res == NFC_ETIMEOUT || res == NFC_EOPABORTED || res == NFC_ESOFT ||
         res == NFC_ENOTSUCHDEV;
}

/* 1: the card is still there; 0: gone; < 0: the device failed. */
static int
still_there (nfc_device *dev, const nfc_target *nt)
{
  int res = nfc_initiator_target_is_present (dev, NULL);

  if (res == NFC_SUCCESS)
    return 1;
  if (res == NFC_ETGRELEASED)
    return 0;
  if (device_failure (res))
    return res;
  /* A card type libnfc cannot ping, or a ping that failed the card's way:
   * select it again by its UID. */
  res = nfc_initiator_select_passive_target (dev, nt->nm, nt->nti.nai.abtUid, nt->nti.nai.szUidLen,
                                             NULL);
  return res < 0 ? res : res > 0;
}

static char *
failure (nfc_device *dev, const char *doing)
{
  return g_strdup_printf ("The reader failed while %s (%s)", doing, nfc_strerror (dev));
}

static void
forget_card (Shared *sh, ThreadState *ts)
{
  if (ts->held_uid != NULL)
    post_card (sh, EVENT_REMOVED, ts->held_uid, 0, 0, 0);
  g_clear_pointer (&ts->held_uid, g_free);
  ts->held_lost = 0;
}

/* Polls until the device fails (returns why) or the thread stops (NULL). */
static char *
poll_loop (Shared *sh, ThreadState *ts, nfc_device *dev)
{
  const nfc_modulation nm = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };

  while (!is_stopping (sh))
    {
      nfc_target nt;
      g_autofree char *uid = NULL;
      gint64 now;
      int res;

      memset (&nt, 0, sizeof nt);
      res = nfc_initiator_select_passive_target (dev, nm, NULL, 0, &nt);
      if (res < 0)
        return is_stopping (sh) ? NULL : failure (dev, "looking for a card");
      if (res == 0)
        {
          forget_card (sh, ts);
          if (wait_ms (sh, sh->poll_ms))
            return NULL;
          continue;
        }

      now = g_get_real_time ();
      uid = uid_hex (&nt);
      if (ts->held_uid != NULL && strcmp (ts->held_uid, uid) == 0 && ts->held_lost != 0 &&
          g_get_monotonic_time () - ts->held_lost < SAME_CARD_US)
        g_debug ("Card %s still held after the reader came back", uid);
      else
        {
          forget_card (sh, ts);
          post_card (sh, EVENT_TAP, uid,
                     ((guint) nt.nti.nai.abtAtqa[0] << 8) | nt.nti.nai.abtAtqa[1], nt.nti.nai.btSak,
                     now);
          ts->held_uid = g_strdup (uid);
        }
      ts->held_lost = 0;

      for (;;)
        {
          if (wait_ms (sh, sh->presence_ms))
            return NULL;
          res = still_there (dev, &nt);
          if (res == 1)
            continue;
          if (res == 0)
            {
              forget_card (sh, ts);
              break;
            }
          ts->held_lost = g_get_monotonic_time ();
          return is_stopping (sh) ? NULL : failure (dev, "watching the card held");
        }
    }
  return NULL;
}

static guint
next_backoff (guint ms)
{
  return ms == 0 ? BACKOFF_FIRST_MS : MIN (ms * 2, BACKOFF_MAX_MS);
}

static gpointer
reader_thread (gpointer data)
{
  Shared *sh = data; /* the thread's own reference */
  ThreadState ts = { .status = SK_NFC_STATUS_STARTING };
  nfc_context *ctx = NULL;

  nfc_init (&ctx);
  if (ctx == NULL)
    {
      report (sh, &ts, SK_NFC_STATUS_ERROR, NULL, NULL, "libnfc could not start");
      while (!wait_ms (sh, BACKOFF_MAX_MS))
        ;
    }

  while (ctx != NULL && !is_stopping (sh))
    {
      g_autofree char *conn = NULL;
      g_autofree char *why = NULL;
      g_autofree char *model = NULL;
      SkNfcStatus status = SK_NFC_STATUS_ERROR;
      nfc_device *dev;
      gint64 up_since;

      if (ts.backoff > 0 && wait_ms (sh, ts.backoff))
        break;
      dev = open_device (sh, ctx, &status, &conn, &why);
      if (dev == NULL)
        {
          ts.backoff = next_backoff (ts.backoff);
          report (sh, &ts, status, NULL, conn, why);
          continue;
        }

      g_mutex_lock (&sh->lock);
      sh->device = dev;
      g_mutex_unlock (&sh->lock);
      model = model_of (dev);
      report (sh, &ts, SK_NFC_STATUS_READY, model, conn, NULL);
      up_since = g_get_monotonic_time ();

      why = poll_loop (sh, &ts, dev);

      g_mutex_lock (&sh->lock);
      sh->device = NULL;
      g_mutex_unlock (&sh->lock);
      nfc_close (dev);
      if (why == NULL)
        break;
      ts.backoff = g_get_monotonic_time () - up_since > STABLE_US ? BACKOFF_FIRST_MS
                                                                  : next_backoff (ts.backoff);
      report (sh, &ts, SK_NFC_STATUS_ERROR, model, conn, why);
    }

  if (ctx != NULL)
    nfc_exit (ctx);
  g_free (ts.message);
  g_free (ts.held_uid);

  g_mutex_lock (&sh->lock);
  sh->finished = TRUE;
  g_cond_broadcast (&sh->cond);
  g_mutex_unlock (&sh->lock);
  shared_unref (sh);
  return NULL;
}

/* --- the object --------------------------------------------------------- */

void
sk_nfc_reader_start (SkNfcReader *self)
{
  Shared *sh;

  g_return_if_fail (SK_IS_NFC_READER (self));

  if (self->shared != NULL)
    return;
  sh = g_atomic_rc_box_new0 (Shared);
  g_mutex_init (&sh->lock);
  g_cond_init (&sh->cond);
  sh->events = sk_event_queue_new (self, dispatch_event, event_free, "sk-nfc");
  sh->connstring = g_strdup (self->connstring);
  sh->poll_ms = self->poll_ms;
  sh->presence_ms = self->presence_ms;
  self->shared = sh;

  self->status = SK_NFC_STATUS_STARTING;
  g_clear_pointer (&self->message, g_free);
  /* libnfc prints its own errors on stderr at every retry ("Unable to find
   * USB busses" each second on a machine without them); the status line
   * above says what matters once per change. A level the user set wins. */
  g_setenv ("LIBNFC_LOG_LEVEL", "0", FALSE);
  self->thread = g_thread_new ("sk-nfc", reader_thread, g_atomic_rc_box_acquire (sh));
}

void
sk_nfc_reader_stop (SkNfcReader *self)
{
  Shared *sh;
  gint64 deadline;
  gboolean finished;

  g_return_if_fail (SK_IS_NFC_READER (self));

  sh = g_steal_pointer (&self->shared);
  if (sh == NULL)
    return;
  /* nothing the thread posted or posts is delivered any more */
  sk_event_queue_close (sh->events);

  g_mutex_lock (&sh->lock);
  sh->stopping = TRUE;
  g_cond_broadcast (&sh->cond);
  /* most stops find the thread asleep: give it a moment before aborting */
  deadline = g_get_monotonic_time () + 50 * 1000;
  while (!sh->finished && g_cond_wait_until (&sh->cond, &sh->lock, deadline))
    ;
  if (!sh->finished && sh->device != NULL)
    nfc_abort_command (sh->device);
  deadline = g_get_monotonic_time () + STOP_WAIT_US;
  while (!sh->finished && g_cond_wait_until (&sh->cond, &sh->lock, deadline))
    ;
  finished = sh->finished;
  g_mutex_unlock (&sh->lock);

  if (finished)
    g_thread_join (self->thread);
  else
    {
      /* in a libnfc call that cannot be aborted (nfc_open() or an ACK wait
       * on a reader that does not answer): the thread ends on its own, with
       * its own references, and nothing it posts is delivered */
      g_debug ("The NFC thread is still in libnfc; leaving it to finish");
      g_thread_unref (self->thread);
    }
  self->thread = NULL;
  shared_unref (sh);
}

SkNfcStatus
sk_nfc_reader_get_status (SkNfcReader *self)
{
  g_return_val_if_fail (SK_IS_NFC_READER (self), SK_NFC_STATUS_ERROR);
  return self->status;
}

const char *
sk_nfc_reader_get_model (SkNfcReader *self)
{
  g_return_val_if_fail (SK_IS_NFC_READER (self), NULL);
  return self->model;
}

const char *
sk_nfc_reader_get_connstring (SkNfcReader *self)
{
  g_return_val_if_fail (SK_IS_NFC_READER (self), NULL);
  return self->opened ? self->opened : self->connstring;
}

const char *
sk_nfc_reader_get_message (SkNfcReader *self)
{
  g_return_val_if_fail (SK_IS_NFC_READER (self), NULL);
  return self->message;
}

void
sk_nfc_reader_set_intervals (SkNfcReader *self, guint poll_ms, guint presence_ms)
{
  g_return_if_fail (SK_IS_NFC_READER (self));
  g_return_if_fail (poll_ms > 0 && presence_ms > 0);

  self->poll_ms = poll_ms;
  self->presence_ms = presence_ms;
}

static void
sk_nfc_reader_dispose (GObject *object)
{
  sk_nfc_reader_stop (SK_NFC_READER (object));
  G_OBJECT_CLASS (sk_nfc_reader_parent_class)->dispose (object);
}

static void
sk_nfc_reader_finalize (GObject *object)
{
  SkNfcReader *self = SK_NFC_READER (object);

  g_free (self->connstring);
  g_free (self->model);
  g_free (self->opened);
  g_free (self->message);
  G_OBJECT_CLASS (sk_nfc_reader_parent_class)->finalize (object);
}

static void
sk_nfc_reader_class_init (SkNfcReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_nfc_reader_dispose;
  object_class->finalize = sk_nfc_reader_finalize;

  signals[SIGNAL_TAP] = g_signal_new ("tap", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                      NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_UINT,
                                      G_TYPE_UINT, G_TYPE_INT64);
  signals[SIGNAL_REMOVED] = g_signal_new ("removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_STATUS_CHANGED] = g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 0);
}

static void
sk_nfc_reader_init (SkNfcReader *self)
{
  self->status = SK_NFC_STATUS_STARTING;
  self->poll_ms = DEFAULT_POLL_MS;
  self->presence_ms = DEFAULT_PRESENCE_MS;
}

SkNfcReader *
sk_nfc_reader_new (const char *connstring)
{
  SkNfcReader *self = g_object_new (SK_TYPE_NFC_READER, NULL);

  if (connstring != NULL && *connstring != '\0')
    self->connstring = g_strdup (connstring);
  return self;
}

/* --- the engine --------------------------------------------------------- */

static void
on_tap_for_engine (
    SkNfcReader *reader, const char *uid, guint atqa, guint sak, gint64 time, SkEngine *engine)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };

  /* refusals (revoked, throttled) and unknown badges are the engine's
   * signals; only what nobody else reports is logged here */
  if (!sk_engine_tap (engine, uid, &r, &error) && error->domain != SK_ENGINE_ERROR)
    g_warning ("Tap of %s not recorded: %s", uid, error->message);
  sk_tap_result_clear (&r);
}

static void
record_status (SkNfcReader *self, SkEngine *engine)
{
  SkStore *store = sk_engine_get_store (engine);
  g_autoptr (GError) error = NULL;
  g_autofree char *at = sk_time_format (g_get_real_time ());
  const char *status = sk_nfc_status_to_string (self->status);
  const char *conn = sk_nfc_reader_get_connstring (self);

  if (sk_store_begin (store, &error) &&
      sk_store_end (store,
                    sk_store_set_setting (store, "nfc_status", status, &error) &&
                        sk_store_set_setting (store, "nfc_model", self->model, &error) &&
                        sk_store_set_setting (store, "nfc_connstring", conn, &error) &&
                        sk_store_set_setting (store, "nfc_message", self->message, &error) &&
                        sk_store_set_setting (store, "nfc_status_at", at, &error),
                    &error))
    return;
  g_message ("The NFC reader's status was not recorded: %s", error->message);
}

void
sk_nfc_reader_record_status (SkNfcReader *self, SkEngine *engine)
{
  g_return_if_fail (SK_IS_NFC_READER (self));
  g_return_if_fail (SK_IS_ENGINE (engine));

  g_signal_connect_object (self, "status-changed", G_CALLBACK (record_status), engine, 0);
  record_status (self, engine);
}

void
sk_nfc_reader_attach_engine (SkNfcReader *self, SkEngine *engine)
{
  sk_nfc_reader_record_status (self, engine); /* checks both */
  g_signal_connect_object (self, "tap", G_CALLBACK (on_tap_for_engine), engine, 0);
}
