/* sk-app-call.c: see sk-app-call.h. */
#include "config.h"

#include <string.h>

#include "sk-app-call.h"

typedef struct
{
  GObject *self; /* held until the answer */
  SkReplyFunc func;
  guint *pending; /* in self, or NULL */
} Call;

char *
sk_app_error_sentence (const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

gboolean
sk_app_set_proxy (SkDBusKiosk1 **slot, SkDBusKiosk1 *proxy, gpointer self)
{
  if (*slot == proxy)
    return FALSE;
  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, self);
  g_set_object (slot, proxy);
  return TRUE;
}

gboolean
sk_app_find_setting (GVariant *reply, const char *key, const char **value, double *max)
{
  g_autoptr (GVariant) settings = g_variant_get_child_value (reply, 0);
  GVariantIter iter;
  const char *name;

  g_variant_iter_init (&iter, settings);
  while (g_variant_iter_next (&iter, "(&s&s&s&s&sdd&s)", &name, NULL, value, NULL, NULL, NULL, max,
                              NULL))
    if (strcmp (name, key) == 0)
      return TRUE;
  return FALSE;
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Call *call = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (call->pending != NULL)
    (*call->pending)--;
  if (call->func == NULL)
    ;
  else if (reply != NULL)
    call->func (call->self, reply, NULL);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *sentence = sk_app_error_sentence (error);

      call->func (call->self, NULL, sentence);
    }
  g_object_unref (call->self);
  g_free (call);
}

void
sk_app_call (SkDBusKiosk1 *proxy,
             const char *method,
             GVariant *args,
             GCancellable *cancellable,
             SkReplyFunc func,
             gpointer self)
{
  sk_app_call_counted (proxy, method, args, cancellable, NULL, func, self);
}

void
sk_app_call_counted (SkDBusKiosk1 *proxy,
                     const char *method,
                     GVariant *args,
                     GCancellable *cancellable,
                     guint *pending,
                     SkReplyFunc func,
                     gpointer self)
{
  Call *call;

  g_return_if_fail (SK_DBUS_IS_KIOSK1 (proxy));
  g_return_if_fail (G_IS_OBJECT (self));
  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->func = func;
  call->pending = pending;
  if (pending != NULL)
    (*pending)++;
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), method, args, G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                     on_reply, call);
}
