/* sk-kiosk-sync.c: the cloud sync on D-Bus: SyncStatus and SyncNow. */
#include "config.h"

#include "sk-kiosk-private.h"

/* SyncStatus from the sync's state (docs/DESIGN.md, The D-Bus interface). */
static void
publish (SkKioskService *self)
{
  const char *state = "off", *error = self->sync_off_reason ? self->sync_off_reason : "";
  gint64 last = 0;
  guint pending = 0;

  if (self->sync != NULL)
    {
      const char *s = sk_sync_get_state (self->sync);

      last = sk_sync_get_last_success (self->sync);
      pending = sk_sync_get_pending (self->sync);
      error = sk_sync_get_last_error (self->sync);
      if (g_str_equal (s, "syncing"))
        state = "syncing";
      else if (g_str_equal (s, "failing"))
        state = "error";
      else
        state = pending > 0 ? "pending" : "ok";
    }
  sk_dbus_kiosk1_set_sync_status (self->skeleton,
                                  g_variant_new ("(sxus)", state, last, pending, error));
}

void
sk_kiosk_service_set_sync (SkKioskService *self, SkSync *sync, const char *off_reason)
{
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_set_object (&self->sync, sync);
  g_free (self->sync_off_reason);
  self->sync_off_reason = g_strdup (off_reason);
  if (sync != NULL)
    g_signal_connect_swapped (sync, "changed", G_CALLBACK (publish), self);
  publish (self);
}

void
sk_kiosk_sync_clear (SkKioskService *self)
{
  if (self->sync != NULL)
    g_signal_handlers_disconnect_by_data (self->sync, self);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->sync_off_reason, g_free);
}

GVariant *
sk_kiosk_method_sync_now (SkKioskService *self, GVariant *args, GError **error)
{
  if (self->sync == NULL)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_SUPPORTED, "sync is off: %s",
                   self->sync_off_reason ? self->sync_off_reason
                                         : "no cloud project is configured");
      return NULL;
    }
  sk_sync_trigger (self->sync);
  return g_variant_new ("()");
}
