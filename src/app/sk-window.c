/* sk-window.c: see sk-window.h.
 *
 * Pages: "starting" (nothing yet) until the engine's state first arrives;
 * "reconnecting" once the engine is gone (it went, or nobody owns its
 * name GONE_MS after the start; an engine on the bus whose state is slow
 * to come leaves the start neutral); otherwise
 * "playing", left for a few seconds after a tap: a listener's tap (with a
 * ticket) opens "welcome", an unknown badge "join", a refused one
 * "notice"; each goes back to "playing" by itself. The ticket is the
 * tap's, held only while its page shows; it is never written anywhere.
 * While the engine has no PIN, "setup" (first boot) instead of "playing",
 * until its last step; taps then are its test taps.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-admin.h"
#include "sk-app-call.h"
#include "sk-badge.h"
#include "sk-demo.h"
#include "sk-join.h"
#include "sk-now-playing.h"
#include "sk-setup.h"
#include "sk-welcome.h"
#include "sk-window.h"

/* the ticket's life (the engine's ticket_seconds, 20 s by default) */
#define TICKET_SECONDS 20
#define NOTICE_SECONDS 6
#define BANNER_SECONDS 8
#define MAX_INITIALS 8
/* how long the start waits for the engine before it says it is gone */
#define GONE_MS 1000

struct _SkWindow
{
  AdwApplicationWindow parent_instance;

  GtkBox *frame;
  GtkBox *content;
  GtkWidget *header;
  GtkLabel *player_name;
  GtkLabel *listener_count;
  GtkBox *initials;
  GtkStack *pages;
  SkNowPlaying *now_playing;
  SkWelcome *welcome;
  SkJoin *join;
  SkAdmin *admin;
  SkSetup *setup;
  GtkWidget *admin_button;
  GtkImage *notice_icon; /* the notice: a refused or unknown badge */
  GtkLabel *notice_title;
  GtkLabel *notice_text;
  GtkRevealer *banner_revealer;
  GtkLabel *banner;
  GtkBox *tap_hint;
  GtkImage *tap_arrow;
  GtkWidget *dim;

  SkKioskClient *client;
  SkDBusKiosk1 *proxy; /* while connected */
  GCancellable *cancellable;
  char *ticket;
  char *listener_name;
  gint64 ticket_deadline; /* monotonic µs */
  gboolean own_tap_pending;
  gboolean in_setup; /* first boot, until its last step */
  gboolean demo;     /* no first boot: the demo shows the listeners' screens */
  guint dim_seconds;
  gboolean dimmed;
  guint dim_timer;
  guint notice_timer;
  guint banner_timer;
  guint position_timer;
  guint restyle;
  guint gone_timer; /* from the start, until the engine's first answer */
  gboolean gone;    /* no engine: it went, or never came within GONE_MS */
};

G_DEFINE_FINAL_TYPE (SkWindow, sk_window, ADW_TYPE_APPLICATION_WINDOW)

/* --- pages --------------------------------------------------------------- */

static void
forget_ticket (SkWindow *self)
{
  g_clear_pointer (&self->ticket, g_free);
  g_clear_pointer (&self->listener_name, g_free);
}

static void
show_playing (SkWindow *self)
{
  forget_ticket (self);
  g_clear_handle_id (&self->notice_timer, g_source_remove);
  gtk_stack_set_visible_child_name (self->pages, self->proxy == NULL
                                                     ? (self->gone ? "reconnecting" : "starting")
                                                 : self->in_setup ? "setup"
                                                                  : "playing");
}

const char *
sk_window_get_page (SkWindow *self)
{
  g_return_val_if_fail (SK_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->pages);
}

static guint
ticket_seconds_left (SkWindow *self)
{
  gint64 left = self->ticket_deadline - g_get_monotonic_time ();

  return self->ticket ? (guint) CLAMP ((left + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC, 0, 3600) : 0;
}

static gboolean
on_notice_timeout (gpointer data)
{
  SkWindow *self = data;

  self->notice_timer = 0;
  show_playing (self);
  return G_SOURCE_REMOVE;
}

static void
show_notice (SkWindow *self, const char *icon, const char *title, const char *text)
{
  forget_ticket (self);
  gtk_image_set_from_icon_name (self->notice_icon, icon);
  gtk_label_set_text (self->notice_title, title);
  /* the engine's sentence, as it is: plain text, never markup */
  gtk_label_set_text (self->notice_text, text);
  gtk_stack_set_visible_child_name (self->pages, "notice");
  g_clear_handle_id (&self->notice_timer, g_source_remove);
  self->notice_timer = g_timeout_add_seconds (NOTICE_SECONDS, on_notice_timeout, self);
}

static gboolean
on_banner_timeout (gpointer data)
{
  SkWindow *self = data;

  self->banner_timer = 0;
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
  return G_SOURCE_REMOVE;
}

static void
show_banner (SkWindow *self, const char *text)
{
  gtk_label_set_text (self->banner, text);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
  g_clear_handle_id (&self->banner_timer, g_source_remove);
  self->banner_timer = g_timeout_add_seconds (BANNER_SECONDS, on_banner_timeout, self);
}

/* The hint to tap is for the room, while it looks at what plays; a
 * listener at the screen, or someone typing a name or a PIN, needs the
 * room it takes. */
static void
on_page_changed (GtkStack *pages, GParamSpec *pspec, SkWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (pages);

  gtk_widget_set_visible (GTK_WIDGET (self->tap_hint), g_strcmp0 (page, "playing") == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->header), g_strcmp0 (page, "join") != 0 &&
                                                         g_strcmp0 (page, "admin") != 0 &&
                                                         g_strcmp0 (page, "setup") != 0);
  gtk_widget_set_visible (self->admin_button, g_strcmp0 (page, "playing") == 0);
}

/* --- dimming ------------------------------------------------------------- */

static void set_dimmed (SkWindow *self, gboolean dimmed);

static gboolean
on_dim_timeout (gpointer data)
{
  SkWindow *self = data;

  self->dim_timer = 0;
  set_dimmed (self, TRUE);
  return G_SOURCE_REMOVE;
}

/* Something happened (a touch, a key, a tap): the idle time starts over. */
static void
wake (SkWindow *self)
{
  set_dimmed (self, FALSE);
  g_clear_handle_id (&self->dim_timer, g_source_remove);
  if (self->dim_seconds > 0)
    self->dim_timer = g_timeout_add_seconds (self->dim_seconds, on_dim_timeout, self);
}

static void
set_dimmed (SkWindow *self, gboolean dimmed)
{
  if (self->dimmed == dimmed)
    return;
  self->dimmed = dimmed;
  gtk_widget_set_visible (self->dim, dimmed);
}

gboolean
sk_window_get_dimmed (SkWindow *self)
{
  g_return_val_if_fail (SK_IS_WINDOW (self), FALSE);
  return self->dimmed;
}

void
sk_window_set_dim_seconds (SkWindow *self, guint seconds)
{
  g_return_if_fail (SK_IS_WINDOW (self));
  self->dim_seconds = seconds;
  wake (self);
}

/* Seen before any widget: a touch on a dimmed screen only wakes it (the
 * button under the finger is not pressed). */
static gboolean
on_any_event (GtkEventControllerLegacy *controller, GdkEvent *event, SkWindow *self)
{
  GdkEventType type = gdk_event_get_event_type (event);
  gboolean was_dimmed = self->dimmed;

  if (type != GDK_BUTTON_PRESS && type != GDK_TOUCH_BEGIN && type != GDK_KEY_PRESS)
    return was_dimmed && (type == GDK_BUTTON_RELEASE || type == GDK_TOUCH_END);
  wake (self);
  return was_dimmed;
}

/* --- what the engine says ------------------------------------------------ */

/* The header's count and initials; with no engine, none: who is here is
 * not known then, and the last count would be a claim. */
static void
update_listeners (SkWindow *self)
{
  g_autoptr (GVariant) listeners = NULL;
  guint n;
  g_autofree char *count = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->initials))) != NULL)
    gtk_box_remove (self->initials, child);
  gtk_widget_set_visible (GTK_WIDGET (self->listener_count), self->proxy != NULL);
  if (self->proxy == NULL)
    return;
  listeners = sk_dbus_kiosk1_dup_listeners (self->proxy);
  n = listeners ? g_variant_n_children (listeners) : 0;
  for (guint i = 0; i < n && i < MAX_INITIALS; i++)
    {
      const char *name, *initials;
      GtkWidget *label;

      g_variant_get_child (listeners, i, "(&s&s&sx)", NULL, &name, &initials, NULL);
      label = gtk_label_new (initials);
      gtk_widget_add_css_class (label, "initials");
      gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      gtk_box_append (self->initials, label);
    }
  if (n > MAX_INITIALS)
    {
      g_autofree char *more = g_strdup_printf ("+%u", n - MAX_INITIALS);
      GtkWidget *label = gtk_label_new (more);

      gtk_widget_add_css_class (label, "initials");
      gtk_box_append (self->initials, label);
    }
  if (n == 0)
    count = g_strdup (_ ("Nobody checked in"));
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u listener here", "%u listeners here",
                                          n),
                             n);
  gtk_label_set_text (self->listener_count, count);
}

static void
update_all (SkWindow *self)
{
  g_autoptr (GVariant) now = NULL, queue = NULL;
  const char *name;

  if (self->proxy == NULL)
    return;
  now = sk_dbus_kiosk1_dup_now_playing (self->proxy);
  queue = sk_dbus_kiosk1_dup_queue (self->proxy);
  sk_now_playing_update (self->now_playing, now, sk_dbus_kiosk1_get_now_playing_why (self->proxy),
                         queue, sk_dbus_kiosk1_get_status_message (self->proxy));
  name = sk_dbus_kiosk1_get_player_name (self->proxy);
  gtk_label_set_text (self->player_name, name ? name : "");
  update_listeners (self);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, SkWindow *self)
{
  update_all (self);
}

static void
on_position (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  g_autoptr (GVariant) value = NULL;

  if (reply == NULL)
    return; /* cancelled, or the engine is going: the next tick asks again */
  g_variant_get (reply, "(v)", &value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    sk_now_playing_set_position (SK_NOW_PLAYING (data), g_variant_get_double (value));
}

/* Position is never announced: it is read once a second. */
static gboolean
on_position_tick (gpointer data)
{
  SkWindow *self = data;

  if (self->proxy != NULL)
    g_dbus_proxy_call (G_DBUS_PROXY (self->proxy), "org.freedesktop.DBus.Properties.Get",
                       g_variant_new ("(ss)", "org.soundscape.Kiosk1", "Position"),
                       G_DBUS_CALL_FLAGS_NONE, 2000, self->cancellable, on_position,
                       self->now_playing);
  return G_SOURCE_CONTINUE;
}

static void
handle_tap (
    SkWindow *self, const char *result, const char *ticket, const char *name, const char *message)
{
  wake (self);
  if (self->in_setup)
    {
      /* first boot's test tap */
      sk_setup_tapped (self->setup, result);
      return;
    }
  if (g_strcmp0 (result, "revoked") == 0)
    {
      show_notice (self, "action-unavailable-symbolic", _ ("This badge cannot be used here"),
                   message);
      return;
    }
  if (g_strcmp0 (result, "throttled") == 0)
    {
      show_notice (self, "alarm-symbolic", _ ("One moment, please"), message);
      return;
    }
  /* an enrolment by tap is the admin page's: it says so there */
  if (g_strcmp0 (result, "enrolled") == 0)
    {
      sk_admin_enrolled (self->admin, message);
      if (g_strcmp0 (sk_window_get_page (self), "admin") == 0)
        return;
    }
  forget_ticket (self);
  g_clear_handle_id (&self->notice_timer, g_source_remove);
  if (ticket != NULL && *ticket != '\0')
    {
      self->ticket = g_strdup (ticket);
      self->ticket_deadline = g_get_monotonic_time () + TICKET_SECONDS * G_USEC_PER_SEC;
    }
  if (g_strcmp0 (result, "unknown") == 0)
    {
      g_autofree char *guest = NULL;

      if (self->ticket == NULL)
        {
          show_notice (self, "contact-new-symbolic", _ ("A new badge"),
                       _ ("Tap it on the reader to join."));
          return;
        }
      guest = sk_badge_guest_name (self->ticket);
      sk_join_start (self->join, guest, TICKET_SECONDS);
      gtk_stack_set_visible_child_name (self->pages, "join");
      return;
    }
  {
    g_autofree char *greeting = NULL;

    self->listener_name = g_strdup (name);
    if (g_strcmp0 (result, "enrolled") == 0)
      greeting = g_strdup_printf (_ ("Welcome, %s!"), name);
    else
      greeting = g_strdup_printf (_ ("Welcome back, %s"), name);
    sk_welcome_start (self->welcome, greeting, ticket_seconds_left (self));
    /* a manager's badge also opens the admin page */
    sk_welcome_set_admin_offered (self->welcome,
                                  g_strcmp0 (result, "manager") == 0 && self->ticket != NULL);
    gtk_stack_set_visible_child_name (self->pages, "welcome");
  }
}

static void
on_tap_result (SkDBusKiosk1 *proxy,
               const char *result,
               const char *ticket,
               const char *listener_id,
               const char *name,
               gint64 until,
               const char *message,
               const char *source,
               SkWindow *self)
{
  /* the screen's own Tap: its reply carries the ticket */
  if (self->own_tap_pending && g_strcmp0 (source, "bus") == 0)
    return;
  handle_tap (self, result, ticket, name, message);
}

static void
on_skipped (SkDBusKiosk1 *proxy,
            const char *song_id,
            const char *reason,
            const char *message,
            SkWindow *self)
{
  if (g_strcmp0 (reason, "veto") == 0)
    /* the engine's sentence names the track and says how many of those
     * here voted it down (sk_why_veto); without one, who did */
    show_banner (self,
                 *message != '\0' ? message : _ ("Skipped: the listeners here voted it down."));
  else if (g_strcmp0 (reason, "manager") == 0)
    show_banner (self, _ ("Skipped by the manager."));
  else
    {
      g_autofree char *text = g_strdup_printf (_ ("Skipped a track that cannot play: %s"), message);

      show_banner (self, text);
    }
}

static void
on_engine_error (SkDBusKiosk1 *proxy, const char *what, const char *message, SkWindow *self)
{
  show_banner (self, message);
}

static gboolean
on_gone_timeout (gpointer data)
{
  SkWindow *self = data;

  /* the engine is on the bus and its state on the way (a loaded
   * machine): still starting, not gone */
  if (self->proxy == NULL && sk_kiosk_client_get_engine_seen (self->client))
    return G_SOURCE_CONTINUE;
  self->gone_timer = 0;
  self->gone = TRUE;
  if (self->proxy == NULL)
    gtk_stack_set_visible_child_name (self->pages, "reconnecting");
  return G_SOURCE_REMOVE;
}

static void
on_connected (SkKioskClient *client, GParamSpec *pspec, SkWindow *self)
{
  SkDBusKiosk1 *proxy = sk_kiosk_client_get_proxy (client);

  /* it was there and went: gone now, not after a wait */
  if (self->proxy != NULL)
    self->gone = proxy == NULL;
  sk_app_set_proxy (&self->proxy, proxy, self);
  g_clear_handle_id (&self->position_timer, g_source_remove);
  if (proxy == NULL)
    {
      self->own_tap_pending = FALSE;
      /* the start: a neutral page, "Reconnecting…" only if the engine
       * does not come within GONE_MS */
      if (!self->gone && self->gone_timer == 0)
        self->gone_timer = g_timeout_add (GONE_MS, on_gone_timeout, self);
      gtk_stack_set_visible_child_name (self->pages, self->gone ? "reconnecting" : "starting");
      forget_ticket (self);
      update_listeners (self);
      return;
    }
  g_clear_handle_id (&self->gone_timer, g_source_remove);
  self->gone = FALSE;
  g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
  g_signal_connect (proxy, "tap-result", G_CALLBACK (on_tap_result), self);
  g_signal_connect (proxy, "skipped", G_CALLBACK (on_skipped), self);
  g_signal_connect (proxy, "error", G_CALLBACK (on_engine_error), self);
  self->position_timer = g_timeout_add_seconds (1, on_position_tick, self);
  /* no PIN yet: first boot (again, if the engine went before its PIN) */
  self->in_setup = !sk_dbus_kiosk1_get_pin_set (proxy) && !self->demo;
  if (self->in_setup)
    sk_setup_start (self->setup, proxy);
  update_all (self);
  on_position_tick (self);
  show_playing (self);
}

/* --- what a listener does ------------------------------------------------ */

/* The engine's answers to what a listener does: each goes to the page
 * that asked (a cancelled call, the window going, answers nothing). */
static void
on_vote_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkWindow *self = data;

  if (reply == NULL)
    sk_welcome_set_answer (self->welcome, refusal, FALSE, TRUE);
  else
    sk_welcome_set_answer (self->welcome, _ ("Thank you! Your rating counts for what plays next."),
                           TRUE, TRUE);
}

/* A listener's call needs the ticket of the page shown. */
static gboolean
can_call (SkWindow *self)
{
  return self->proxy != NULL && self->ticket != NULL;
}

static void
on_welcome_vote (SkWelcome *welcome, int value, SkWindow *self)
{
  if (can_call (self))
    sk_app_call (self->proxy, "Vote", g_variant_new ("(si)", self->ticket, value),
                 self->cancellable, on_vote_reply, self);
}

static void
on_check_out_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkWindow *self = data;

  if (reply == NULL)
    {
      sk_welcome_set_answer (self->welcome, refusal, FALSE, TRUE);
      return;
    }
  sk_welcome_set_answer (self->welcome, _ ("You are checked out. See you soon!"), TRUE, TRUE);
  forget_ticket (self);
}

static void
on_welcome_check_out (SkWelcome *welcome, SkWindow *self)
{
  if (can_call (self))
    sk_app_call (self->proxy, "CheckOut", g_variant_new ("(s)", self->ticket), self->cancellable,
                 on_check_out_reply, self);
}

static void
on_join_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkWindow *self = data;
  g_autofree char *greeting = NULL;
  const char *name;

  if (reply == NULL)
    {
      sk_join_set_error (self->join, refusal);
      return;
    }
  g_variant_get (reply, "(&s&sx)", NULL, &name, NULL);
  /* the ticket now acts for the new listener: the welcome, with its votes */
  g_free (self->listener_name);
  self->listener_name = g_strdup (name);
  greeting = g_strdup_printf (_ ("Welcome, %s!"), name);
  sk_welcome_start (self->welcome, greeting, ticket_seconds_left (self));
  gtk_stack_set_visible_child_name (self->pages, "welcome");
}

static void
on_join (SkJoin *join, const char *name, SkWindow *self)
{
  if (can_call (self))
    sk_app_call (self->proxy, "Join", g_variant_new ("(ss)", self->ticket, name), self->cancellable,
                 on_join_reply, self);
}

static void
on_own_tap_reply (gpointer data, GVariant *reply, const char *refusal)
{
  SkWindow *self = data;
  const char *kind, *ticket, *name, *message;

  self->own_tap_pending = FALSE;
  if (reply == NULL)
    {
      show_banner (self, refusal);
      return;
    }
  g_variant_get (reply, "(&s&s&s&sx&s)", &kind, &ticket, NULL, &name, NULL, &message);
  handle_tap (self, kind, ticket, name, message);
}

void
sk_window_simulate_tap (SkWindow *self, const char *uid)
{
  g_return_if_fail (SK_IS_WINDOW (self));
  if (self->proxy == NULL)
    return;
  self->own_tap_pending = TRUE;
  sk_app_call (self->proxy, "Tap", g_variant_new ("(s)", uid), self->cancellable, on_own_tap_reply,
               self);
}

static void
simulate_tap_action (GtkWidget *widget, const char *action, GVariant *parameter)
{
  SkWindow *self = SK_WINDOW (widget);
  guint n;
  const SkDemoBadge *badges = sk_demo_get_badges (&n);
  int which = g_variant_get_int32 (parameter);

  if (which >= 1 && (guint) which <= n)
    sk_window_simulate_tap (self, badges[which - 1].uid);
  else
    {
      /* a badge nobody has: four random bytes */
      g_autofree char *uid = g_strdup_printf ("04%06X", g_random_int_range (0, 0xFFFFFF));

      sk_window_simulate_tap (self, uid);
    }
}

void
sk_window_set_demo (SkWindow *self, gboolean demo)
{
  g_return_if_fail (SK_IS_WINDOW (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.simulate-tap", demo);
  self->demo = demo;
  if (demo && self->in_setup)
    {
      self->in_setup = FALSE;
      show_playing (self);
    }
}

/* --- the admin page ------------------------------------------------------ */

static void
on_admin_clicked (SkWindow *self)
{
  if (self->proxy == NULL)
    return;
  forget_ticket (self);
  sk_admin_start (self->admin, self->proxy);
  gtk_stack_set_visible_child_name (self->pages, "admin");
}

static void
on_setup_done (SkSetup *setup, SkWindow *self)
{
  self->in_setup = FALSE;
  show_playing (self);
}

static void
on_welcome_admin (SkWelcome *welcome, SkWindow *self)
{
  if (!can_call (self))
    return;
  sk_admin_start_with_ticket (self->admin, self->proxy, self->ticket);
  forget_ticket (self);
  gtk_stack_set_visible_child_name (self->pages, "admin");
}

/* --- the reader's edge --------------------------------------------------- */

void
sk_window_set_reader_edge (SkWindow *self, GtkPositionType edge)
{
  gboolean across = edge == GTK_POS_LEFT || edge == GTK_POS_RIGHT;
  gboolean after = edge == GTK_POS_RIGHT || edge == GTK_POS_BOTTOM;
  static const char *const arrows[] = { "go-previous-symbolic", "go-next-symbolic",
                                        "go-up-symbolic", "go-down-symbolic" };

  g_return_if_fail (SK_IS_WINDOW (self));
  g_return_if_fail (edge <= GTK_POS_BOTTOM);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->frame),
                                  across ? GTK_ORIENTATION_HORIZONTAL : GTK_ORIENTATION_VERTICAL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self->tap_hint),
                                  across ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL);
  gtk_box_reorder_child_after (self->frame, GTK_WIDGET (self->tap_hint),
                               after ? GTK_WIDGET (self->content) : NULL);
  gtk_image_set_from_icon_name (self->tap_arrow, arrows[edge]);
  gtk_widget_set_halign (GTK_WIDGET (self->tap_hint), across ? GTK_ALIGN_FILL : GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self->tap_hint), across ? GTK_ALIGN_CENTER : GTK_ALIGN_FILL);
}

/* --- the screen's size ---------------------------------------------------- */

/* A big screen is read from further away: everything grows with it. A
 * short one (800×480) has a line or two less: what plays and the
 * keyboards tighten (style.css, window.short). */
static gboolean
is_large (int width, int height)
{
  return width >= 1200 && height >= 700;
}

static gboolean
is_short (int height)
{
  return height < 600;
}

static gboolean
style_wrong (GtkWidget *widget, int width, int height)
{
  return is_large (width, height) != gtk_widget_has_css_class (widget, "large") ||
         is_short (height) != gtk_widget_has_css_class (widget, "short");
}

static void
set_class (GtkWidget *widget, const char *name, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

static gboolean
on_restyle (gpointer data)
{
  GtkWidget *widget = data;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  SK_WINDOW (widget)->restyle = 0;
  set_class (widget, "large", is_large (width, height));
  set_class (widget, "short", is_short (height));
  return G_SOURCE_REMOVE;
}

/* The style changes after the allocation, never during it. */
static void
sk_window_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  SkWindow *self = SK_WINDOW (widget);

  GTK_WIDGET_CLASS (sk_window_parent_class)->size_allocate (widget, width, height, baseline);
  if (style_wrong (widget, width, height) && self->restyle == 0)
    self->restyle = g_idle_add (on_restyle, self);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_window_dispose (GObject *object)
{
  SkWindow *self = SK_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->dim_timer, g_source_remove);
  g_clear_handle_id (&self->notice_timer, g_source_remove);
  g_clear_handle_id (&self->gone_timer, g_source_remove);
  g_clear_handle_id (&self->banner_timer, g_source_remove);
  g_clear_handle_id (&self->position_timer, g_source_remove);
  g_clear_handle_id (&self->restyle, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  sk_app_set_proxy (&self->proxy, NULL, self);
  g_clear_object (&self->client);
  forget_ticket (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_WINDOW);
  G_OBJECT_CLASS (sk_window_parent_class)->dispose (object);
}

static void
sk_window_finalize (GObject *object)
{
  SkWindow *self = SK_WINDOW (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_window_parent_class)->finalize (object);
}

static void
sk_window_class_init (SkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_window_dispose;
  object_class->finalize = sk_window_finalize;
  widget_class->size_allocate = sk_window_size_allocate;
  g_type_ensure (SK_TYPE_NOW_PLAYING);
  g_type_ensure (SK_TYPE_WELCOME);
  g_type_ensure (SK_TYPE_JOIN);
  g_type_ensure (SK_TYPE_ADMIN);
  g_type_ensure (SK_TYPE_SETUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SkWindow, frame);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, content);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, header);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, player_name);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, listener_count);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, initials);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, pages);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, now_playing);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, welcome);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, join);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, admin);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, setup);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, admin_button);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, notice_icon);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, notice_title);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, notice_text);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, tap_hint);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, tap_arrow);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, dim);
  gtk_widget_class_bind_template_callback (widget_class, show_playing);
  gtk_widget_class_bind_template_callback (widget_class, on_welcome_vote);
  gtk_widget_class_bind_template_callback (widget_class, on_welcome_check_out);
  gtk_widget_class_bind_template_callback (widget_class, on_join);
  gtk_widget_class_bind_template_callback (widget_class, on_admin_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_welcome_admin);
  gtk_widget_class_bind_template_callback (widget_class, on_setup_done);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);
  gtk_widget_class_install_action (widget_class, "win.simulate-tap", "i", simulate_tap_action);
  for (int i = 0; i <= 5; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_CONTROL_MASK,
                                         "win.simulate-tap", "i", i);
}

static void
sk_window_init (SkWindow *self)
{
  GtkEventController *events = gtk_event_controller_legacy_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_event_controller_set_propagation_phase (events, GTK_PHASE_CAPTURE);
  g_signal_connect (events, "event", G_CALLBACK (on_any_event), self);
  gtk_widget_add_controller (GTK_WIDGET (self), events);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.simulate-tap", FALSE);
  sk_window_set_reader_edge (self, GTK_POS_BOTTOM);
}

SkWindow *
sk_window_new (GtkApplication *app, SkKioskClient *client)
{
  SkWindow *self = g_object_new (SK_TYPE_WINDOW, "application", app, NULL);

  self->client = g_object_ref (client);
  g_signal_connect (client, "notify::connected", G_CALLBACK (on_connected), self);
  on_connected (client, NULL, self);
  return self;
}
