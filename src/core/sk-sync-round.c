/* sk-sync-round.c: a round of kiosk_sync calls over HTTP, and when rounds
 * run: after local writes, on the timer, with backoff after a failure
 * (sk-sync-private.h). */
#include "config.h"

#include <string.h>

#include "sk-sync-private.h"

#define CALLS_PER_ROUND 1000 /* a round that has not converged by then stops */

/* ---- one call -------------------------------------------------------- */

static void call_next (SkSync *self);

static void
round_done (SkSync *self, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->task);

  sk_sync_count_pending (self);
  if (error == NULL)
    {
      self->last_success = g_get_real_time ();
      g_clear_pointer (&self->last_error, g_free);
      self->last_error = g_strdup ("");
      self->state = "idle";
      g_task_return_boolean (task, TRUE);
    }
  else
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      self->state = "failing";
      g_task_return_error (task, error);
    }
  sk_sync_emit_changed (self);
}

/* The error body of PostgREST, {code, message, …}, in words. */
static GError *
http_error (guint status, GBytes *body)
{
  g_autoptr (JsonNode) node = NULL;
  const char *code = NULL, *message = NULL;
  gsize len = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &len) : NULL;

  if (data != NULL && len > 0)
    node = sk_json_parse_object (data, len, NULL);
  if (node != NULL)
    {
      JsonObject *o = json_node_get_object (node);

      code = json_object_get_string_member_with_default (o, "code", NULL);
      message = json_object_get_string_member_with_default (o, "message", NULL);
    }
  if (status == 401)
    return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_REFUSED,
                        "the cloud refused the anon key (HTTP 401%s%s%s%s)", code ? " " : "",
                        code ? code : "", message ? ": " : "", message ? message : "");
  if (status == 403 && g_strcmp0 (code, "PT403") == 0)
    return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_REFUSED,
                        "the cloud does not know this player's token (HTTP 403 PT403)");
  return g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_HTTP, "the cloud answered HTTP %u%s%s%s%s",
                      status, code ? " " : "", code ? code : "", message ? ": " : "",
                      message ? message : "");
}

static void
on_answer (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SkSync) self = data; /* the call's reference */
  g_autoptr (SkSyncPush) push = g_steal_pointer (&self->in_flight);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *digest = NULL;
  gboolean more = FALSE;
  guint status = msg != NULL ? soup_message_get_status (msg) : 0;
  const char *data_bytes;
  gsize len = 0;

  if (body == NULL)
    {
      GError *e;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        e = g_error_copy (error);
      else
        e = g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_NETWORK, "cannot reach the cloud: %s",
                         error->message);
      round_done (self, e);
      return;
    }
  if (status != SOUP_STATUS_OK)
    {
      GError *e = http_error (status, body);

      /* a cursor this database did not give (a restored project), or
       * one older than the oldest deletion it keeps (a full pull, which
       * then drops what the cloud no longer has): pull again from the
       * start, once a round */
      gboolean behind = status == 400 && strstr (e->message, "SK412") != NULL;

      if (status == 400 && (behind || strstr (e->message, "SK411") != NULL) && !self->cursor_reset)
        {
          g_autoptr (GError) local = NULL;

          if (behind) /* expected after a long time offline */
            g_message ("sync: %s; pulling everything again", e->message);
          else
            g_warning ("sync: %s; pulling again from the start", e->message);
          g_error_free (e);
          self->cursor_reset = TRUE;
          if (behind ? sk_sync_full_pull_begin (self, &local)
                     : sk_sync_set_state (self, "cursor", NULL, &local))
            {
              call_next (self);
              return;
            }
          e = g_steal_pointer (&local);
        }
      round_done (self, e);
      return;
    }
  data_bytes = g_bytes_get_data (body, &len);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data_bytes, len);
  if (g_strcmp0 (digest, self->last_digest) == 0)
    {
      round_done (self, g_error_new_literal (SK_SYNC_ERROR, SK_SYNC_ERROR_REPLAYED,
                                             "the cloud's answer is the previous one again "
                                             "(a response delivered twice): nothing applied"));
      return;
    }
  g_free (self->last_digest);
  self->last_digest = g_steal_pointer (&digest);
  root = sk_json_parse_object (data_bytes != NULL ? data_bytes : "", len, &error);
  if (root == NULL)
    {
      round_done (self, g_error_new (SK_SYNC_ERROR, SK_SYNC_ERROR_MALFORMED,
                                     "the cloud's answer is sk_sync_malformed (cut short?): %s",
                                     error->message));
      return;
    }
  if (!sk_sync_apply_answer (self, push, json_node_get_object (root), &more, &error))
    {
      round_done (self, g_steal_pointer (&error));
      return;
    }
  sk_sync_count_pending (self);
  sk_sync_emit_changed (self);
  if ((more || push->n_pushed > 0 || self->pending > 0) && ++self->calls < CALLS_PER_ROUND)
    call_next (self);
  else
    round_done (self, NULL);
}

static void
call_next (SkSync *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *server_player = sk_sync_dup_state (self, "player_id");
  g_autofree char *cursor = NULL;
  g_autofree char *body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers;
  SkSyncPush *push;

  if (self->session == NULL) /* disposed */
    {
      round_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped"));
      return;
    }
  if (!sk_sync_full_pull_resume (self, &error))
    {
      round_done (self, g_steal_pointer (&error));
      return;
    }
  cursor = sk_sync_dup_state (self, "cursor");
  push = sk_sync_read_outbox (self, server_player, &error);
  if (push == NULL)
    {
      round_done (self, g_steal_pointer (&error));
      return;
    }
  body = sk_sync_request_body (self, push, cursor);
  bytes = g_bytes_new_take (body, strlen (body));
  body = NULL;
  msg = soup_message_new ("POST", self->endpoint);
  /* kiosk_sync is idempotent (the same push twice acknowledges the same
   * rows and applies nothing twice; docs/DESIGN.md, "The kiosk API"): the
   * flag lets libsoup send it on the connection an earlier round left
   * open, which it never does for a POST otherwise, so that an idle round
   * costs no new TCP and TLS handshake. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_append (headers, "apikey", self->anon_key);
  soup_message_headers_append (headers, "Authorization", self->bearer);
  soup_message_headers_append (headers, "Accept", "application/json");
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  self->in_flight = push;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (self->task), on_answer,
                                    g_object_ref (self));
}

void
sk_sync_run_async (SkSync *self,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task;

  g_return_if_fail (SK_IS_SYNC (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sk_sync_run_async);
  if (self->task != NULL)
    {
      g_task_return_new_error (task, SK_SYNC_ERROR, SK_SYNC_ERROR_BUSY,
                               "a sync is already running");
      g_object_unref (task);
      return;
    }
  self->task = task;
  self->calls = 0;
  self->cursor_reset = FALSE;
  self->state = "syncing";
  sk_sync_emit_changed (self);
  call_next (self);
}

gboolean
sk_sync_run_finish (SkSync *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- scheduling ------------------------------------------------------ */

static void schedule (SkSync *self, guint ms, gboolean sooner_only);

static void
on_scheduled_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SkSync *self = SK_SYNC (source);
  g_autoptr (GError) error = NULL;
  guint delay;

  if (sk_sync_run_finish (self, result, &error))
    {
      self->failures = 0;
      schedule (self, self->interval_ms, FALSE);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* 1 s, 2 s, 4 s, … up to 5 min, each drawn from its upper half */
  delay = self->backoff_min_ms;
  for (guint i = 0; i < self->failures && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->backoff_max_ms);
  delay = (guint) g_random_int_range ((gint32) (delay / 2), (gint32) delay + 1);
  delay = MAX (delay, self->backoff_min_ms);
  self->failures++;
  g_message ("sync failed (%u in a row; next try in %.1f s): %s", self->failures, delay / 1000.0,
             error->message);
  schedule (self, delay, FALSE);
}

static gboolean
on_timer (gpointer data)
{
  SkSync *self = data;

  self->timer_id = 0;
  if (self->task == NULL)
    sk_sync_run_async (self, NULL, on_scheduled_done, NULL);
  return G_SOURCE_REMOVE;
}

/* The next round in @ms; with @sooner_only, only when that is sooner than
 * the one planned. While a round runs, its end plans the next. */
static void
schedule (SkSync *self, guint ms, gboolean sooner_only)
{
  gint64 at = g_get_monotonic_time () + (gint64) ms * 1000;

  if (self->session == NULL)
    return; /* disposed: nothing more */
  if (sooner_only && self->timer_id != 0 && self->timer_at <= at)
    return;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->timer_at = at;
  self->timer_id = g_timeout_add (ms, on_timer, self);
}

/* Another connection (the engine, soundscape-ctl) committed: when the
 * outbox has rows, a round after the debounce, unless failures hold it
 * back. */
static gboolean
on_poll (gpointer data)
{
  SkSync *self = data;
  gint64 version = sk_store_get_data_version (self->store);
  guint before = self->pending;

  if (version == self->data_version)
    return G_SOURCE_CONTINUE;
  self->data_version = version;
  sk_sync_count_pending (self);
  if (self->pending != before)
    sk_sync_emit_changed (self);
  if (self->pending > 0 && self->failures == 0 && self->task == NULL)
    schedule (self, self->debounce_ms, TRUE);
  return G_SOURCE_CONTINUE;
}

void
sk_sync_start (SkSync *self)
{
  g_return_if_fail (SK_IS_SYNC (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->data_version = sk_store_get_data_version (self->store);
  self->poll_id = g_timeout_add (1000, on_poll, self);
  schedule (self, 0, FALSE);
}

void
sk_sync_trigger (SkSync *self)
{
  g_return_if_fail (SK_IS_SYNC (self));

  self->failures = 0;
  if (self->task == NULL)
    schedule (self, 0, FALSE);
}

void
sk_sync_set_timing (
    SkSync *self, guint debounce_ms, guint interval_ms, guint backoff_min_ms, guint backoff_max_ms)
{
  g_return_if_fail (SK_IS_SYNC (self));
  g_return_if_fail (backoff_min_ms > 0 && backoff_min_ms <= backoff_max_ms);

  self->debounce_ms = debounce_ms;
  self->interval_ms = interval_ms;
  self->backoff_min_ms = backoff_min_ms;
  self->backoff_max_ms = backoff_max_ms;
  sk_sync_keep_alive (self);
}
