/* sk-admin-listeners.c: see sk-admin-listeners.h.
 *
 * What is shown is the engine's answer: after each change the listeners
 * are asked for again. An enrolment waits as long as the engine does
 * (60 s), then the screen stops saying "tap now" by itself.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <adwaita.h>

#include "sk-admin-listeners.h"

#define MAX_LISTENERS 100
#define ENROL_SECONDS 60

struct _SkAdminListeners
{
  SkAdminSection parent_instance;

  GtkWidget *root;
  GtkListBox *people;
  GtkWidget *rename_box;
  GtkLabel *rename_prompt;
  GtkEntry *rename_entry;
  SkKeyboard *rename_keyboard;
  AdwExpanderRow *enrol_row;
  GtkEntry *enrol_entry;
  SkKeyboard *enrol_keyboard;
  GtkSwitch *enrol_manager;
  GtkWidget *enrol_waiting;

  char *renaming; /* the listener_id a new name is typed for */
  guint enrol_timer;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE (SkAdminListeners, sk_admin_listeners, SK_TYPE_ADMIN_SECTION)

static void list_listeners (SkAdminListeners *self);

/* Any answer: a refusal said, the list asked for again. */
static void
on_changed (gpointer data, GVariant *reply, const char *refusal)
{
  sk_admin_section_say_refusal (data, reply, refusal);
  list_listeners (data);
}

static void
call (SkAdminListeners *self, const char *method, GVariant *args)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), method, args, on_changed);
}

/* "04A1B2C3" as "04:A1:B2:C3". */
static char *
format_uid (const char *uid)
{
  GString *out = g_string_new (NULL);

  for (const char *c = uid; *c; c += 2)
    {
      if (out->len > 0)
        g_string_append_c (out, ':');
      g_string_append_len (out, c, c[1] ? 2 : 1);
      if (!c[1])
        break;
    }
  return g_string_free (out, FALSE);
}

static void
set_name (GtkWidget *widget, const char *name)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* --- renaming ---------------------------------------------------------------- */

static void
on_rename_clicked (GtkButton *button, SkAdminListeners *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "name");
  g_autofree char *prompt = g_strdup_printf (_ ("A new name for %s"), name);

  g_free (self->renaming);
  self->renaming = g_strdup (g_object_get_data (G_OBJECT (button), "listener-id"));
  gtk_label_set_text (self->rename_prompt, prompt);
  gtk_editable_set_text (GTK_EDITABLE (self->rename_entry), name);
  gtk_widget_set_visible (self->rename_box, TRUE);
  /* the old name selected: the first key replaces it */
  gtk_widget_grab_focus (GTK_WIDGET (self->rename_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->rename_entry), 0, -1);
  /* the prompt, the name, Save, then the keyboard: in view wherever the
   * listener's row was */
  sk_admin_section_scroll_to (SK_ADMIN_SECTION (self), self->rename_box);
}

static void
on_rename_save (GtkButton *button, SkAdminListeners *self)
{
  if (self->renaming == NULL)
    return;
  call (self, "RenameListener",
        g_variant_new ("(ss)", self->renaming,
                       gtk_editable_get_text (GTK_EDITABLE (self->rename_entry))));
  g_clear_pointer (&self->renaming, g_free);
  gtk_widget_set_visible (self->rename_box, FALSE);
}

static void
on_rename_cancel (GtkButton *button, SkAdminListeners *self)
{
  g_clear_pointer (&self->renaming, g_free);
  gtk_widget_set_visible (self->rename_box, FALSE);
}

/* --- the list ---------------------------------------------------------------- */

static void
on_manager_active (GtkSwitch *manager, GParamSpec *pspec, SkAdminListeners *self)
{
  if (self->updating)
    return;
  call (self, "SetRole",
        g_variant_new ("(ss)", (const char *) g_object_get_data (G_OBJECT (manager), "listener-id"),
                       gtk_switch_get_active (manager) ? "manager" : "listener"));
}

static void
on_badge_clicked (GtkButton *button, SkAdminListeners *self)
{
  call (self, "SetBadgeRevoked",
        g_variant_new ("(sb)", (const char *) g_object_get_data (G_OBJECT (button), "uid"),
                       !GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "revoked"))));
}

static GtkWidget *
suffix_button (const char *label, const char *name)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "big-button");
  set_name (button, name);
  return button;
}

static GtkWidget *
listener_row (SkAdminListeners *self,
              const char *id,
              const char *name,
              const char *role,
              gboolean guest,
              GVariant *badges)
{
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *rename_row = adw_action_row_new (), *role_row = adw_action_row_new ();
  GtkWidget *button, *manager = gtk_switch_new ();
  g_autofree char *rename_name = g_strdup_printf (_ ("Rename %s"), name);
  g_autofree char *manager_name = g_strdup_printf (_ ("Manager: %s"), name);
  g_autofree char *subtitle = NULL;
  gboolean admin = strcmp (role, "admin") == 0, is_manager = strcmp (role, "manager") == 0;
  guint n_badges = (guint) g_variant_n_children (badges), n_revoked = 0;
  GVariantIter iter;
  const char *uid;
  gboolean revoked;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  set_name (row, name);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (rename_row), _ ("Name"));
  button = suffix_button (_ ("Rename"), rename_name);
  g_object_set_data_full (G_OBJECT (button), "listener-id", g_strdup (id), g_free);
  g_object_set_data_full (G_OBJECT (button), "name", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (on_rename_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (rename_row), button);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), rename_row);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (role_row), _ ("Manager"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (role_row),
                               admin ? _ ("An admin: changed only in the cloud")
                                     : _ ("A manager's badge opens the admin page"));
  gtk_switch_set_active (GTK_SWITCH (manager), admin || is_manager);
  gtk_widget_set_sensitive (manager, !admin);
  gtk_widget_set_valign (manager, GTK_ALIGN_CENTER);
  set_name (manager, manager_name);
  g_object_set_data_full (G_OBJECT (manager), "listener-id", g_strdup (id), g_free);
  g_signal_connect (manager, "notify::active", G_CALLBACK (on_manager_active), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (role_row), manager);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (role_row), manager);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), role_row);

  g_variant_iter_init (&iter, badges);
  while (g_variant_iter_next (&iter, "(&sb)", &uid, &revoked))
    {
      GtkWidget *badge = adw_action_row_new ();
      g_autofree char *shown = format_uid (uid);
      g_autofree char *title = g_strdup_printf (_ ("Badge %s"), shown);
      g_autofree char *action = g_strdup_printf (revoked ? _ ("Restore the badge %s")
                                                         : _ ("Revoke the badge %s"),
                                                 shown);

      n_revoked += revoked;
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (badge), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (badge),
                                   revoked ? _ ("Revoked: its taps are refused") : _ ("Works"));
      if (revoked)
        gtk_widget_add_css_class (badge, "unplayable");
      button = suffix_button (revoked ? _ ("Restore") : _ ("Revoke"), action);
      g_object_set_data_full (G_OBJECT (button), "uid", g_strdup (uid), g_free);
      g_object_set_data (G_OBJECT (button), "revoked", GINT_TO_POINTER (revoked));
      g_signal_connect (button, "clicked", G_CALLBACK (on_badge_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (badge), button);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), badge);
    }

  {
    const char *who = admin        ? _ ("Admin")
                      : is_manager ? _ ("Manager")
                      : guest      ? _ ("Guest")
                                   : _ ("Listener");
    g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u badge", "%u badges",
                                                           n_badges),
                                              n_badges);

    if (n_revoked > 0)
      subtitle = g_strdup_printf (_ ("%s · %s, %u revoked"), who, count, n_revoked);
    else
      subtitle = g_strdup_printf ("%s · %s", who, count);
  }
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  return row;
}

static void
on_listeners (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminListeners *self = data;
  g_autoptr (GVariant) listeners = NULL;
  GVariantIter iter;
  const char *id, *name, *role;
  gboolean guest;
  GVariant *badges;
  GtkWidget *row;
  g_autoptr (GHashTable) expanded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  g_variant_get (reply, "(u@a(sssba(sb)))", NULL, &listeners);
  /* the rows open stay open */
  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->people))) != NULL)
    {
      if (ADW_IS_EXPANDER_ROW (row) && adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)))
        g_hash_table_add (expanded,
                          g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row))));
      gtk_list_box_remove (self->people, row);
    }
  self->updating = TRUE;
  g_variant_iter_init (&iter, listeners);
  while (g_variant_iter_next (&iter, "(&s&s&sb@a(sb))", &id, &name, &role, &guest, &badges))
    {
      row = listener_row (self, id, name, role, guest, badges);
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row),
                                     g_hash_table_contains (expanded, name));
      gtk_list_box_append (self->people, row);
      g_variant_unref (badges);
    }
  self->updating = FALSE;
}

static void
list_listeners (SkAdminListeners *self)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), "ListListeners",
                         g_variant_new ("(suu)", "", 0u, (guint) MAX_LISTENERS), on_listeners);
}

/* --- enrolment by tap -------------------------------------------------------- */

static void
stop_waiting (SkAdminListeners *self)
{
  g_clear_handle_id (&self->enrol_timer, g_source_remove);
  gtk_widget_set_visible (self->enrol_waiting, FALSE);
}

static gboolean
on_enrol_timeout (gpointer data)
{
  SkAdminListeners *self = data;

  self->enrol_timer = 0;
  stop_waiting (self);
  sk_admin_section_refuse (SK_ADMIN_SECTION (self), _ ("No new badge was tapped in time."));
  return G_SOURCE_REMOVE;
}

static void
on_enrolling (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminListeners *self = data;

  if (reply == NULL)
    {
      stop_waiting (self);
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
    }
}

static void
on_enrol_clicked (GtkButton *button, SkAdminListeners *self)
{
  if (sk_admin_section_get_proxy (SK_ADMIN_SECTION (self)) == NULL)
    return;
  stop_waiting (self);
  /* the keyboard folds away: "tap now" is what is read */
  adw_expander_row_set_expanded (self->enrol_row, FALSE);
  gtk_widget_set_visible (self->enrol_waiting, TRUE);
  self->enrol_timer = g_timeout_add_seconds (ENROL_SECONDS, on_enrol_timeout, self);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "EnrollByTap",
                         g_variant_new ("(ss)",
                                        gtk_editable_get_text (GTK_EDITABLE (self->enrol_entry)),
                                        gtk_switch_get_active (self->enrol_manager) ? "manager"
                                                                                    : "listener"),
                         on_enrolling);
}

static void
on_enrol_cancel (GtkButton *button, SkAdminListeners *self)
{
  stop_waiting (self);
  call (self, "CancelEnroll", NULL);
}

void
sk_admin_listeners_enrolled (SkAdminListeners *self, const char *message)
{
  g_return_if_fail (SK_IS_ADMIN_LISTENERS (self));
  if (self->enrol_timer == 0)
    return;
  stop_waiting (self);
  gtk_editable_set_text (GTK_EDITABLE (self->enrol_entry), "");
  adw_expander_row_set_expanded (self->enrol_row, FALSE);
  sk_admin_section_tell (SK_ADMIN_SECTION (self), message);
  list_listeners (self);
}

/* --- the object -------------------------------------------------------------- */

static void
sk_admin_listeners_load (SkAdminSection *section)
{
  SkAdminListeners *self = SK_ADMIN_LISTENERS (section);

  on_rename_cancel (NULL, self);
  stop_waiting (self);
  list_listeners (self);
}

SkKeyboard *
sk_admin_listeners_get_rename_keyboard (SkAdminListeners *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_LISTENERS (self), NULL);
  return self->rename_keyboard;
}

SkKeyboard *
sk_admin_listeners_get_enrol_keyboard (SkAdminListeners *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_LISTENERS (self), NULL);
  return self->enrol_keyboard;
}

static void
sk_admin_listeners_dispose (GObject *object)
{
  SkAdminListeners *self = SK_ADMIN_LISTENERS (object);

  g_clear_handle_id (&self->enrol_timer, g_source_remove);
  G_OBJECT_CLASS (sk_admin_listeners_parent_class)->dispose (object);
}

static void
sk_admin_listeners_finalize (GObject *object)
{
  SkAdminListeners *self = SK_ADMIN_LISTENERS (object);

  g_free (self->renaming);
  G_OBJECT_CLASS (sk_admin_listeners_parent_class)->finalize (object);
}

static void
sk_admin_listeners_class_init (SkAdminListenersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SkAdminSectionClass *section_class = SK_ADMIN_SECTION_CLASS (klass);

  section_class->load = sk_admin_listeners_load;
  object_class->dispose = sk_admin_listeners_dispose;
  object_class->finalize = sk_admin_listeners_finalize;
  g_type_ensure (SK_TYPE_KEYBOARD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-listeners.ui");
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, root);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, people);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, rename_box);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, rename_prompt);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, rename_entry);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, rename_keyboard);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, enrol_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, enrol_entry);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, enrol_keyboard);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, enrol_manager);
  gtk_widget_class_bind_template_child (widget_class, SkAdminListeners, enrol_waiting);
  gtk_widget_class_bind_template_callback (widget_class, on_rename_save);
  gtk_widget_class_bind_template_callback (widget_class, on_rename_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_enrol_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_enrol_cancel);
}

static void
sk_admin_listeners_init (SkAdminListeners *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_keyboard_set_target (self->rename_keyboard, GTK_EDITABLE (self->rename_entry));
  sk_keyboard_set_target (self->enrol_keyboard, GTK_EDITABLE (self->enrol_entry));
}
