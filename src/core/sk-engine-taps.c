/* sk-engine-taps.c: taps of a badge and the limiter that throttles them. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sk-engine-private.h"

#define TAP_WINDOW (60 * G_USEC_PER_SEC)

/* A badge none of whose accepted taps is later than *@since (@data): the
 * limiter may forget it (a g_hash_table_foreach_remove test). */
static gboolean
taps_before (gpointer uid, gpointer value, gpointer data)
{
  GArray *times = value;
  const gint64 *since = data;

  return times->len == 0 || g_array_index (times, gint64, times->len - 1) <= *since;
}

/* FALSE, with when the badge may tap again, if @uid was accepted tap_limit
 * times in the window before @now. Only accepted taps count: a badge held
 * to the reader in a loop gets through again as the window slides. */
static gboolean
tap_allowed (SkEngine *self, const char *uid, gint64 now, gint64 *retry_in)
{
  GArray *times;
  guint old = 0;

  if (self->tap_limit == 0)
    return TRUE;
  if (g_hash_table_size (self->recent_taps) > 256)
    {
      gint64 since = now - TAP_WINDOW;

      g_hash_table_foreach_remove (self->recent_taps, taps_before, &since);
    }
  times = g_hash_table_lookup (self->recent_taps, uid);
  if (times == NULL)
    return TRUE;
  while (old < times->len && g_array_index (times, gint64, old) <= now - TAP_WINDOW)
    old++;
  g_array_remove_range (times, 0, old);
  if (times->len < self->tap_limit)
    return TRUE;
  *retry_in = g_array_index (times, gint64, times->len - self->tap_limit) + TAP_WINDOW - now;
  return FALSE;
}

static void
record_tap (SkEngine *self, const char *uid, gint64 now)
{
  GArray *times;

  if (self->tap_limit == 0)
    return;
  times = g_hash_table_lookup (self->recent_taps, uid);
  if (times == NULL)
    {
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->recent_taps, g_strdup (uid), times);
    }
  g_array_append_val (times, now);
}

gboolean
sk_engine_tap (SkEngine *self, const char *uid, SkTapResult *out, GError **error)
{
  g_autofree char *norm = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *revoked = NULL;
  g_auto (SkCheckIn) ci = { 0 };
  gboolean manager = FALSE;
  gint64 now, retry_in = 0;
  int rc;

  g_return_val_if_fail (SK_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  norm = sk_badge_normalise_uid (uid, error);
  if (norm == NULL)
    return FALSE;

  now = sk_engine_now (self);
  if (!tap_allowed (self, norm, now, &retry_in))
    {
      int seconds = (int) MAX (1, (retry_in + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

      /* for the screen, in the venue's language */
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_THROTTLED,
                   ngettext ("Too many taps of this badge; please try again in %d second.",
                             "Too many taps of this badge; please try again in %d seconds.",
                             seconds),
                   seconds);
      sk_engine_emit (self, SIGNAL_TAP_REFUSED, norm, "throttled");
      return FALSE;
    }
  record_tap (self, norm, now);

  rc = sk_engine_lookup_badge (self, norm, &user_id, &name, &revoked, error);
  if (rc < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      out->kind = SK_TAP_UNKNOWN;
      out->uid = g_steal_pointer (&norm);
      sk_engine_emit (self, SIGNAL_UNKNOWN_BADGE, out->uid);
      return TRUE;
    }
  if (revoked != NULL)
    {
      /* TRANSLATORS: %s is the day the badge was revoked, as 2026-01-31 */
      g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_REVOKED,
                   _ ("This badge was revoked on %.10s; please ask a manager for a new one."),
                   revoked);
      sk_engine_emit (self, SIGNAL_TAP_REFUSED, norm, "revoked");
      return FALSE;
    }

  /* the check-in and the queue it changes: one transaction, one fsync */
  if (!sk_store_begin (self->store, error))
    return FALSE;
  if (!sk_engine_requeue_and_commit (self,
                                     sk_engine_check_in_user (self, user_id, name, &ci, &manager,
                                                              error),
                                     TRUE, error))
    return FALSE;

  out->kind = manager ? SK_TAP_MANAGER : SK_TAP_LISTENER;
  out->uid = g_steal_pointer (&norm);
  out->user_id = g_steal_pointer (&user_id);
  out->display_name = g_steal_pointer (&name);
  out->extended = ci.extended;
  out->expires_at = ci.expires_at;
  return TRUE;
}
