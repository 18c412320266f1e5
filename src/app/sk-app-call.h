/* sk-app-call.h: how the screen calls the engine.
 *
 * Every call the screen makes is answered the same way: the reply goes to
 * the widget that asked, or, when the engine refused, its sentence (the
 * D-Bus error's message without the error's name) for a person to read.
 * A cancelled call (the widget is going) answers nothing. The widget is
 * kept alive until the answer.
 */
#pragma once

#include <gio/gio.h>

#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

/* @reply on success, else NULL and @refusal (the engine's sentence). */
typedef void (*SkReplyFunc) (gpointer self, GVariant *reply, const char *refusal);

/* Calls @method of org.soundscape.Kiosk1 with @args (floating, or NULL);
 * @func (may be NULL) answers on @self, a GObject. */
void sk_app_call (SkDBusKiosk1 *proxy,
                  const char *method,
                  GVariant *args,
                  GCancellable *cancellable,
                  SkReplyFunc func,
                  gpointer self);

/* The same, with *@pending (in @self) counting the calls not yet
 * answered: one more until the answer, cancelled or not. */
void sk_app_call_counted (SkDBusKiosk1 *proxy,
                          const char *method,
                          GVariant *args,
                          GCancellable *cancellable,
                          guint *pending,
                          SkReplyFunc func,
                          gpointer self);

/* Makes *@slot (a widget's proxy) hold @proxy, or none for NULL; the
 * handlers @self had on the proxy it held before are disconnected. FALSE
 * when it held @proxy already: nothing changed. */
gboolean sk_app_set_proxy (SkDBusKiosk1 **slot, SkDBusKiosk1 *proxy, gpointer self);

/* The setting @key in a reply of GetSettings: its value into *@value and
 * the top of its range into *@max (may be NULL), both valid while @reply
 * is; FALSE when the reply has no such setting. */
gboolean sk_app_find_setting (GVariant *reply, const char *key, const char **value, double *max);

/* A D-Bus error's sentence without its name. */
char *sk_app_error_sentence (const GError *error);

G_END_DECLS
