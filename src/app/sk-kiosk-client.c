/* sk-kiosk-client.c: the engine's name watched, a proxy while it is owned.
 *
 * States: NO_BUS (connecting to the bus; on failure or when the bus
 * closes, a retry in 2 s) → WATCHING (the name watched, nobody owns it) →
 * CONNECTED (the proxy made, "connected" TRUE) → back to WATCHING when the
 * owner vanishes. The bus connection is the client's own, not the
 * process's shared one, so that a bus that goes away does not end the
 * screen.
 */
#include "config.h"

#include "sk-kiosk-client.h"

#define NAME "org.soundscape.Kiosk1"
#define PATH "/org/soundscape/Kiosk1"
#define RETRY_SECONDS 2

struct _SkKioskClient
{
  GObject parent_instance;

  GBusType bus_type;
  char *address;
  GDBusConnection *connection;
  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  guint watch;
  guint retry;
  gulong closed_handler;
  gboolean owned; /* the name has an owner; its proxy may be on its way */
};

G_DEFINE_FINAL_TYPE (SkKioskClient, sk_kiosk_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void connect_bus (SkKioskClient *self);

static void
set_proxy (SkKioskClient *self, SkDBusKiosk1 *proxy)
{
  gboolean was = self->proxy != NULL;

  g_set_object (&self->proxy, proxy);
  if (was != (proxy != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static void
on_proxy (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SkKioskClient) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDBusKiosk1) proxy = sk_dbus_kiosk1_proxy_new_finish (result, &error);

  if (proxy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("the engine's interface: %s", error->message);
      return;
    }
  if (self->watch == 0)
    return; /* the bus went away meanwhile */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), 10000);
  set_proxy (self, proxy);
  g_message ("connected to the engine");
}

static void
on_name_appeared (GDBusConnection *connection, const char *name, const char *owner, gpointer data)
{
  SkKioskClient *self = data;

  self->owned = TRUE;
  /* the owner's unique name: a proxy made for it never talks to a later
   * owner by mistake */
  sk_dbus_kiosk1_proxy_new (connection, G_DBUS_PROXY_FLAGS_GET_INVALIDATED_PROPERTIES, owner, PATH,
                            self->cancellable, on_proxy, g_object_ref (self));
}

static void
on_name_vanished (GDBusConnection *connection, const char *name, gpointer data)
{
  SkKioskClient *self = data;

  self->owned = FALSE;
  if (self->proxy != NULL)
    g_message ("the engine went away; waiting for it");
  set_proxy (self, NULL);
}

static gboolean
on_retry (gpointer data)
{
  SkKioskClient *self = data;

  self->retry = 0;
  connect_bus (self);
  return G_SOURCE_REMOVE;
}

static void
drop_bus (SkKioskClient *self)
{
  if (self->watch != 0)
    g_bus_unwatch_name (self->watch);
  self->watch = 0;
  if (self->connection != NULL)
    g_clear_signal_handler (&self->closed_handler, self->connection);
  g_clear_object (&self->connection);
  self->owned = FALSE;
  set_proxy (self, NULL);
}

static void
on_closed (GDBusConnection *connection, gboolean remote, GError *error, gpointer data)
{
  SkKioskClient *self = data;

  g_message ("the bus closed the connection; retrying");
  drop_bus (self);
  self->retry = g_timeout_add_seconds (RETRY_SECONDS, on_retry, self);
}

static void
on_connection (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (SkKioskClient) self = data;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = g_dbus_connection_new_for_address_finish (result, &error);

  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("no bus yet: %s", error->message);
      self->retry = g_timeout_add_seconds (RETRY_SECONDS, on_retry, self);
      return;
    }
  self->connection = connection;
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  self->closed_handler = g_signal_connect (connection, "closed", G_CALLBACK (on_closed), self);
  self->watch = g_bus_watch_name_on_connection (connection, NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                on_name_appeared, on_name_vanished, self, NULL);
}

static void
connect_bus (SkKioskClient *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *address = self->address
                                 ? g_strdup (self->address)
                                 : g_dbus_address_get_for_bus_sync (self->bus_type, NULL, &error);

  if (address == NULL)
    {
      g_warning ("no bus: %s", error->message);
      self->retry = g_timeout_add_seconds (RETRY_SECONDS, on_retry, self);
      return;
    }
  g_dbus_connection_new_for_address (address,
                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                         G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                     NULL, self->cancellable, on_connection, g_object_ref (self));
}

static void
sk_kiosk_client_dispose (GObject *object)
{
  SkKioskClient *self = SK_KIOSK_CLIENT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry, g_source_remove);
  drop_bus (self);
  G_OBJECT_CLASS (sk_kiosk_client_parent_class)->dispose (object);
}

static void
sk_kiosk_client_finalize (GObject *object)
{
  SkKioskClient *self = SK_KIOSK_CLIENT (object);

  g_clear_object (&self->cancellable);
  g_free (self->address);
  G_OBJECT_CLASS (sk_kiosk_client_parent_class)->finalize (object);
}

static void
sk_kiosk_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkKioskClient *self = SK_KIOSK_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->proxy != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_kiosk_client_class_init (SkKioskClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_kiosk_client_dispose;
  object_class->finalize = sk_kiosk_client_finalize;
  object_class->get_property = sk_kiosk_client_get_property;
  properties[PROP_CONNECTED] = g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sk_kiosk_client_init (SkKioskClient *self)
{
  self->cancellable = g_cancellable_new ();
}

SkKioskClient *
sk_kiosk_client_new (GBusType bus_type, const char *address)
{
  SkKioskClient *self = g_object_new (SK_TYPE_KIOSK_CLIENT, NULL);

  self->bus_type = bus_type;
  self->address = g_strdup (address);
  connect_bus (self);
  return self;
}

gboolean
sk_kiosk_client_get_connected (SkKioskClient *self)
{
  g_return_val_if_fail (SK_IS_KIOSK_CLIENT (self), FALSE);
  return self->proxy != NULL;
}

gboolean
sk_kiosk_client_get_engine_seen (SkKioskClient *self)
{
  g_return_val_if_fail (SK_IS_KIOSK_CLIENT (self), FALSE);
  return self->owned;
}

SkDBusKiosk1 *
sk_kiosk_client_get_proxy (SkKioskClient *self)
{
  g_return_val_if_fail (SK_IS_KIOSK_CLIENT (self), NULL);
  return self->proxy;
}
