/* sk-kiosk-client.h: the screen's one link to the engine.
 *
 * Watches the name org.soundscape.Kiosk1 on its own connection to the
 * system bus (or the session bus, or a bus address given for tests) and
 * holds a proxy while the name has an owner. "connected" turns FALSE when
 * the engine goes away and TRUE again by itself when it is back; the bus
 * itself going away is retried every two seconds. The screen keeps no
 * state of its own: everything it shows comes from the proxy.
 */
#pragma once

#include <gio/gio.h>

#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_KIOSK_CLIENT (sk_kiosk_client_get_type ())
G_DECLARE_FINAL_TYPE (SkKioskClient, sk_kiosk_client, SK, KIOSK_CLIENT, GObject)

/* @address: a bus address, or NULL for the bus of @bus_type. */
SkKioskClient *sk_kiosk_client_new (GBusType bus_type, const char *address);
gboolean sk_kiosk_client_get_connected (SkKioskClient *self);
/* The engine's name has an owner on the bus, though its proxy may not be
 * made yet (a slow start): not gone. */
gboolean sk_kiosk_client_get_engine_seen (SkKioskClient *self);
/* The proxy while connected, else NULL (borrowed). */
SkDBusKiosk1 *sk_kiosk_client_get_proxy (SkKioskClient *self);

G_END_DECLS
