/* sk-admin-system.c: see sk-admin-system.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <adwaita.h>

#include "sk-admin-system.h"

#define LOG_LINES 40

struct _SkAdminSystem
{
  SkAdminSection parent_instance;

  GtkWidget *root;
  AdwComboRow *outputs;
  GtkStringList *output_names;
  AdwActionRow *output_row;
  AdwActionRow *reader_row;
  AdwActionRow *sync_row;
  AdwExpanderRow *pin_row;
  GtkLabel *pin_prompt;
  SkKeypad *keypad;
  GtkLabel *versions;
  GtkLabel *log;

  GPtrArray *pcms; /* the PCMs' names, in the combo's order */
  char *new_pin;   /* the first entry of a new PIN, until the second */
};

G_DEFINE_FINAL_TYPE (SkAdminSystem, sk_admin_system, SK_TYPE_ADMIN_SECTION)

/* --- status -------------------------------------------------------------- */

static void
show_status (SkAdminSystem *self)
{
  SkDBusKiosk1 *proxy = sk_admin_section_get_proxy (SK_ADMIN_SECTION (self));
  g_autoptr (GVariant) reader = sk_dbus_kiosk1_dup_reader_status (proxy);
  g_autoptr (GVariant) sync = sk_dbus_kiosk1_dup_sync_status (proxy);
  const char *state = "none", *message = "", *sync_error = "";
  gint64 last = 0;
  guint pending = 0;
  g_autofree char *text = NULL;

  if (reader != NULL)
    g_variant_get (reader, "(&s&s)", &state, &message);
  if (strcmp (state, "ready") == 0)
    text = g_strdup (_ ("Ready"));
  else if (strcmp (state, "starting") == 0)
    text = g_strdup (_ ("Starting…"));
  else if (strcmp (state, "none") == 0)
    text = g_strdup (_ ("None is set up"));
  else
    text = g_strdup_printf (_ ("Not working: %s"), message);
  adw_action_row_set_subtitle (self->reader_row, text);
  g_clear_pointer (&text, g_free);

  state = "off";
  if (sync != NULL)
    g_variant_get (sync, "(&sxu&s)", &state, &last, &pending, &sync_error);
  if (strcmp (state, "off") == 0)
    text = g_strdup (_ ("Off: this player works on its own"));
  else
    {
      g_autoptr (GDateTime) when = last > 0
                                       ? g_date_time_new_from_unix_local (last / G_USEC_PER_SEC)
                                       : NULL;
      g_autofree char *at = when ? g_date_time_format (when, "%x %X") : g_strdup (_ ("never"));

      if (strcmp (state, "ok") == 0)
        text = g_strdup_printf (_ ("Up to date; last synced %s"), at);
      else if (strcmp (state, "pending") == 0 || strcmp (state, "syncing") == 0)
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "%u change waiting to be sent; last synced %s",
                                             "%u changes waiting to be sent; last synced %s",
                                             pending),
                                pending, at);
      else
        text = g_strdup_printf (_ ("Not working (%s); last synced %s"), sync_error, at);
    }
  adw_action_row_set_subtitle (self->sync_row, text);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer self)
{
  show_status (self);
}

/* --- the audio output ---------------------------------------------------- */

/* The chosen output's whole name under it, on as many lines as it takes:
 * the combo row's own label is cut short on a small screen. */
static void
show_output_name (SkAdminSystem *self)
{
  guint i = adw_combo_row_get_selected (self->outputs);
  GListModel *names = G_LIST_MODEL (self->output_names);

  adw_action_row_set_subtitle (self->output_row,
                               i < g_list_model_get_n_items (names)
                                   ? gtk_string_list_get_string (self->output_names, i)
                                   : "");
}

static void
on_output_chosen (AdwComboRow *row, GParamSpec *pspec, SkAdminSystem *self)
{
  show_output_name (self);
}

static void
on_devices (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  g_autoptr (GVariant) pcms = NULL;
  GVariantIter iter;
  const char *name, *description;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->output_names));

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  pcms = g_variant_get_child_value (reply, 0);
  g_ptr_array_set_size (self->pcms, 0);
  gtk_string_list_splice (self->output_names, 0, n, NULL);
  g_variant_iter_init (&iter, pcms);
  while (g_variant_iter_next (&iter, "(&s&s)", &name, &description))
    {
      g_autofree char *label = g_strdup_printf ("%s (%s)", description, name);

      g_ptr_array_add (self->pcms, g_strdup (name));
      gtk_string_list_append (self->output_names, *description ? label : name);
    }
  show_output_name (self);
}

gboolean
sk_admin_system_select_output (SkAdminSystem *self, const char *pcm)
{
  g_return_val_if_fail (SK_IS_ADMIN_SYSTEM (self), FALSE);
  for (guint i = 0; i < self->pcms->len; i++)
    if (strcmp (g_ptr_array_index (self->pcms, i), pcm) == 0)
      {
        adw_combo_row_set_selected (self->outputs, i);
        return TRUE;
      }
  return FALSE;
}

static const char *
chosen_pcm (SkAdminSystem *self)
{
  guint i = adw_combo_row_get_selected (self->outputs);

  return i < self->pcms->len ? g_ptr_array_index (self->pcms, i) : NULL;
}

static void
on_tested (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;

  if (reply == NULL)
    sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
  else
    sk_admin_section_tell (SK_ADMIN_SECTION (self), _ ("The test sound was played."));
}

static void
on_test_output (GtkButton *button, SkAdminSystem *self)
{
  const char *pcm = chosen_pcm (self);

  if (pcm != NULL)
    sk_admin_section_call (SK_ADMIN_SECTION (self), "TestSound", g_variant_new ("(s)", pcm),
                           on_tested);
}

static void
on_output_used (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;

  if (reply == NULL)
    sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
  else
    sk_admin_section_tell (SK_ADMIN_SECTION (self), _ ("The music now plays on this output."));
}

static void
on_use_output (GtkButton *button, SkAdminSystem *self)
{
  const char *pcm = chosen_pcm (self);

  if (pcm != NULL)
    sk_admin_section_call (SK_ADMIN_SECTION (self), "SetSetting",
                           g_variant_new ("(ss)", "audio_pcm", pcm), on_output_used);
}

/* --- the PIN ------------------------------------------------------------- */

static void
forget_new_pin (SkAdminSystem *self)
{
  sk_keypad_wipe_pin (&self->new_pin);
  gtk_label_set_text (self->pin_prompt, _ ("The new PIN: 4 to 12 digits."));
}

static void
on_pin_set (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  adw_expander_row_set_expanded (self->pin_row, FALSE);
  sk_admin_section_tell (SK_ADMIN_SECTION (self), _ ("The PIN was changed."));
}

static void
on_pin_submit (SkKeypad *keypad, const char *pin, SkAdminSystem *self)
{
  if (self->new_pin == NULL)
    {
      self->new_pin = g_strdup (pin);
      gtk_label_set_text (self->pin_prompt, _ ("Enter the same PIN again."));
      return;
    }
  if (strcmp (self->new_pin, pin) != 0)
    {
      forget_new_pin (self);
      sk_admin_section_refuse (SK_ADMIN_SECTION (self),
                               _ ("The two PINs were not the same. Choose one again."));
      return;
    }
  forget_new_pin (self);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "SetPin", g_variant_new ("(s)", pin), on_pin_set);
}

SkKeypad *
sk_admin_system_get_keypad (SkAdminSystem *self)
{
  g_return_val_if_fail (SK_IS_ADMIN_SYSTEM (self), NULL);
  return self->keypad;
}

/* --- diagnostics --------------------------------------------------------- */

static void
on_diagnostics (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  g_autoptr (GVariant) dict = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  dict = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *shown = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
                                   ? g_variant_dup_string (value, NULL)
                                   : g_variant_print (value, FALSE);

      g_string_append_printf (text, "%s%s: %s", text->len ? "\n" : "", key, shown);
      g_variant_unref (value);
    }
  gtk_label_set_text (self->versions, text->str);
}

static void
on_log (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  g_autofree const char **lines = NULL;
  g_autofree char *text = NULL;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  g_variant_get (reply, "(^a&s)", &lines);
  text = g_strjoinv ("\n", (char **) lines);
  gtk_label_set_text (self->log, text);
}

static void
sk_admin_system_bind (SkAdminSection *self, SkDBusKiosk1 *proxy)
{
  g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
}

static void
sk_admin_system_load (SkAdminSection *section)
{
  SkAdminSystem *self = SK_ADMIN_SYSTEM (section);

  show_status (self);
  forget_new_pin (self);
  sk_keypad_clear (self->keypad);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "ListAudioDevices", NULL, on_devices);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetDiagnostics", NULL, on_diagnostics);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetRecentLog", g_variant_new ("(u)", LOG_LINES),
                         on_log);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_system_finalize (GObject *object)
{
  SkAdminSystem *self = SK_ADMIN_SYSTEM (object);

  sk_keypad_wipe_pin (&self->new_pin);
  g_ptr_array_unref (self->pcms);
  G_OBJECT_CLASS (sk_admin_system_parent_class)->finalize (object);
}

static void
sk_admin_system_class_init (SkAdminSystemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  SkAdminSectionClass *section_class = SK_ADMIN_SECTION_CLASS (klass);

  section_class->bind = sk_admin_system_bind;
  section_class->load = sk_admin_system_load;
  object_class->finalize = sk_admin_system_finalize;
  g_type_ensure (SK_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-admin-system.ui");
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, root);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, outputs);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, output_names);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, output_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, reader_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, sync_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, pin_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, pin_prompt);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, keypad);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, versions);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, log);
  gtk_widget_class_bind_template_callback (widget_class, on_output_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_test_output);
  gtk_widget_class_bind_template_callback (widget_class, on_use_output);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_submit);
}

static void
sk_admin_system_init (SkAdminSystem *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->pcms = g_ptr_array_new_with_free_func (g_free);
}
