/* sk-admin-section.h: what every group of the admin page does.
 *
 * A section is bound to the engine's proxy by sk_admin_section_load (its
 * "bind" connects what it follows when the proxy is new; its "load" asks
 * the engine again for what it shows), calls the engine through
 * sk_admin_section_call (none while unbound; cancelled when the section
 * goes), says a refusal as "refused" and an answer worth reading as
 * "told" (the page shows one sentence at a time), and may defer one
 * action (a send after the last change, a search after the last key).
 * It is busy while that action waits or a call is not yet answered.
 * A panel that opens with the screen's keyboard is scrolled into view by
 * sk_admin_section_scroll_to.
 * The section's template is its own (final) type's: the base disposes it.
 */
#pragma once

#include <gtk/gtk.h>

#include "sk-app-call.h"
#include "sk-kiosk-dbus.h"

G_BEGIN_DECLS

#define SK_TYPE_ADMIN_SECTION (sk_admin_section_get_type ())
G_DECLARE_DERIVABLE_TYPE (SkAdminSection, sk_admin_section, SK, ADMIN_SECTION, GtkWidget)

struct _SkAdminSectionClass
{
  GtkWidgetClass parent_class;

  /* @proxy is new: connect to the signals the section follows (with the
   * section as their data; they are disconnected for it). May be NULL. */
  void (*bind) (SkAdminSection *self, SkDBusKiosk1 *proxy);
  /* Asks the engine for what the section shows. */
  void (*load) (SkAdminSection *self);
  /* The deferred action (sk_admin_section_defer). May be NULL. */
  void (*deferred) (SkAdminSection *self);
};

/* Binds @proxy (when it is not the one bound), drops a deferred action
 * and loads. */
void sk_admin_section_load (SkAdminSection *self, SkDBusKiosk1 *proxy);
SkDBusKiosk1 *sk_admin_section_get_proxy (SkAdminSection *self);
GCancellable *sk_admin_section_get_cancellable (SkAdminSection *self);
/* sk_app_call on the section, counted as busy; nothing while unbound. */
void
sk_admin_section_call (SkAdminSection *self, const char *method, GVariant *args, SkReplyFunc func);
/* "refused" and "told" with @sentence. */
void sk_admin_section_refuse (SkAdminSection *self, const char *sentence);
void sk_admin_section_tell (SkAdminSection *self, const char *sentence);
/* The SkReplyFunc of a call whose answer shows nothing: a refusal is said
 * ("refused"), an answer is not. */
void sk_admin_section_say_refusal (gpointer self, GVariant *reply, const char *refusal);
/* The deferred action after @ms, from now (again, if it waited). */
void sk_admin_section_defer (SkAdminSection *self, guint ms);
/* Whether the deferred action waits or a call's answer is awaited. */
gboolean sk_admin_section_is_busy (SkAdminSection *self);
/* The page scrolled so that @panel (a widget of the section) starts at
 * the top of its view, again each frame until the layout holds still
 * (a row opening, a panel shown): wherever the page was, what the panel
 * holds (its keyboard down to the bottom row) is in view. Nothing once
 * @panel is hidden. */
void sk_admin_section_scroll_to (SkAdminSection *self, GtkWidget *panel);

G_END_DECLS
