/* sk-admin-system.c: see sk-admin-system.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <adwaita.h>

#include "sk-admin-system.h"
#include "sk-diagnostics.h"

#define LOG_LINES 40
/* a fact's value this long or shorter is never wrapped */
#define FACT_VALUE_SHORT 16

struct _SkAdminSystem
{
  SkAdminSection parent_instance;

  GtkWidget *root;
  AdwComboRow *outputs;
  GtkStringList *output_names;
  GtkLabel *output_name;
  AdwActionRow *reader_row;
  AdwActionRow *sync_row;
  AdwExpanderRow *pin_row;
  GtkLabel *pin_prompt;
  SkKeypad *keypad;
  AdwExpanderRow *facts_row;
  AdwExpanderRow *log_row;
  GPtrArray *fact_rows; /* what facts_row shows, and log_row */
  GPtrArray *log_rows;
  GTimeZone *zone; /* the venue's, for the log; NULL: the system's */

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

  gtk_label_set_text (self->output_name, i < g_list_model_get_n_items (names)
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

/* The rows added to @expander, all taken away. */
static void
clear_rows (AdwExpanderRow *expander, GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_expander_row_remove (expander, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static GtkWidget *
wrapping_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* A row "Title … value" (and @subtitle under the title, when not NULL). */
static void
add_fact (SkAdminSystem *self, const char *title, const char *value, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *shown = wrapping_label (value, "fact-value");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_xalign (GTK_LABEL (shown), 1);
  gtk_label_set_justify (GTK_LABEL (shown), GTK_JUSTIFY_RIGHT);
  /* a short value (a version, a size) on one line; a long one (a newer
   * daemon's) wraps, as narrow as a short one at the least */
  if (g_utf8_strlen (value, -1) <= FACT_VALUE_SHORT)
    gtk_label_set_wrap (GTK_LABEL (shown), FALSE);
  else
    gtk_label_set_width_chars (GTK_LABEL (shown), FACT_VALUE_SHORT);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), shown);
  adw_expander_row_add_row (self->facts_row, row);
  g_ptr_array_add (self->fact_rows, row);
}

static void
on_diagnostics (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  g_autoptr (GVariant) dict = NULL;
  g_autoptr (GPtrArray) facts = NULL;
  g_autofree char *summary = NULL;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  clear_rows (self->facts_row, self->fact_rows);
  dict = g_variant_get_child_value (reply, 0);
  facts = sk_diagnostics_facts (dict);
  for (guint i = 0; i < facts->len; i++)
    {
      SkDiagnosticsFact *fact = g_ptr_array_index (facts, i);

      add_fact (self, fact->title, fact->value, fact->detail);
    }
  /* the gist, while the row is closed */
  summary = sk_diagnostics_summary (dict);
  if (summary != NULL)
    adw_expander_row_set_subtitle (self->facts_row, summary);
}

/* One entry of the recent log: its time (the venue's), how grave, which
 * part of the player said it, and what (said @repeats times in a row, the
 * last at its time); @parsed NULL: @line whole, not in the daemon's format
 * (sk-diagnostics.h). */
static GtkWidget *
log_entry (const char *line, const SkLogLine *parsed, guint repeats, gint64 now, GTimeZone *tz)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *head;
  g_autofree char *time = NULL;
  const char *grave = NULL;

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "log-entry");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  if (parsed == NULL)
    {
      gtk_box_append (GTK_BOX (box), wrapping_label (line, "log-message"));
      return row;
    }

  head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  time = sk_log_time_format (parsed->time, now, tz);
  gtk_box_append (GTK_BOX (head), wrapping_label (time, "log-time"));
  if (parsed->level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    {
      grave = _ ("Error");
      gtk_widget_add_css_class (row, "log-error");
    }
  else if (parsed->level & G_LOG_LEVEL_WARNING)
    {
      grave = _ ("Warning");
      gtk_widget_add_css_class (row, "log-warning");
    }
  if (grave != NULL)
    gtk_box_append (GTK_BOX (head), wrapping_label (grave, "log-level"));
  gtk_box_append (GTK_BOX (head), wrapping_label (parsed->domain, "log-domain"));
  if (repeats > 1)
    {
      g_autofree char *times = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u time", "%u times",
                                                             repeats),
                                                repeats);

      gtk_box_append (GTK_BOX (head), wrapping_label (times, "log-repeats"));
    }
  gtk_widget_set_hexpand (gtk_widget_get_last_child (head), TRUE);
  gtk_box_append (GTK_BOX (box), head);
  gtk_box_append (GTK_BOX (box), wrapping_label (parsed->message, "log-message"));
  return row;
}

static gboolean
same_record (const SkLogLine *a, const SkLogLine *b)
{
  return a->level == b->level && strcmp (a->domain, b->domain) == 0 &&
         strcmp (a->message, b->message) == 0;
}

static void
add_log_entry (SkAdminSystem *self, GtkWidget *row)
{
  adw_expander_row_add_row (self->log_row, row);
  g_ptr_array_add (self->log_rows, row);
}

static void
on_log (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  g_autofree const char **lines = NULL;
  g_autoptr (GTimeZone) tz = self->zone ? g_time_zone_ref (self->zone) : g_time_zone_new_local ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_auto (SkLogLine) last = { 0 }; /* the record shown next, said @repeats times */
  guint repeats = 0;

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  clear_rows (self->log_row, self->log_rows);
  g_variant_get (reply, "(^a&s)", &lines);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (SkLogLine) parsed = { 0 };
      gboolean ok = sk_log_line_parse (lines[i], &parsed);

      /* the same record again at once (a setting read at each turn): one
       * entry, how often said */
      if (ok && repeats > 0 && same_record (&last, &parsed))
        {
          last.time = parsed.time;
          repeats++;
          continue;
        }
      if (repeats > 0)
        add_log_entry (self, log_entry (NULL, &last, repeats, now, tz));
      sk_log_line_clear (&last);
      repeats = 0;
      if (ok)
        {
          last = parsed;
          parsed = (SkLogLine){ 0 };
          repeats = 1;
        }
      else
        add_log_entry (self, log_entry (lines[i], NULL, 1, now, tz));
    }
  if (repeats > 0)
    add_log_entry (self, log_entry (NULL, &last, repeats, now, tz));
}

static void
load_diagnostics (SkAdminSystem *self)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetDiagnostics", NULL, on_diagnostics);
}

/* The venue's time zone (the setting time_zone, the schedule's), then
 * the log in it. */
static void
on_log_zone (gpointer data, GVariant *reply, const char *refusal)
{
  SkAdminSystem *self = data;
  const char *zone = "";

  if (reply == NULL)
    {
      sk_admin_section_refuse (SK_ADMIN_SECTION (self), refusal);
      return;
    }
  g_clear_pointer (&self->zone, g_time_zone_unref);
  /* empty, or a name this system does not know: the system's own */
  if (sk_app_find_setting (reply, "time_zone", &zone, NULL) && *zone)
    self->zone = g_time_zone_new_identifier (zone);
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetRecentLog", g_variant_new ("(u)", LOG_LINES),
                         on_log);
}

static void
load_log (SkAdminSystem *self)
{
  sk_admin_section_call (SK_ADMIN_SECTION (self), "GetSettings", NULL, on_log_zone);
}

/* Opened, the diagnostics are read again: what shows is of now. */
static void
on_diagnostics_expanded (AdwExpanderRow *row, GParamSpec *pspec, SkAdminSystem *self)
{
  if (!adw_expander_row_get_expanded (row))
    return;
  if (row == self->facts_row)
    load_diagnostics (self);
  else
    load_log (self);
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
  load_diagnostics (self);
  load_log (self);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_admin_system_finalize (GObject *object)
{
  SkAdminSystem *self = SK_ADMIN_SYSTEM (object);

  sk_keypad_wipe_pin (&self->new_pin);
  g_ptr_array_unref (self->pcms);
  g_ptr_array_unref (self->fact_rows);
  g_ptr_array_unref (self->log_rows);
  g_clear_pointer (&self->zone, g_time_zone_unref);
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
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, output_name);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, reader_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, sync_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, pin_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, pin_prompt);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, keypad);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, facts_row);
  gtk_widget_class_bind_template_child (widget_class, SkAdminSystem, log_row);
  gtk_widget_class_bind_template_callback (widget_class, on_output_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_test_output);
  gtk_widget_class_bind_template_callback (widget_class, on_use_output);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_diagnostics_expanded);
}

static void
sk_admin_system_init (SkAdminSystem *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->pcms = g_ptr_array_new_with_free_func (g_free);
  self->fact_rows = g_ptr_array_new ();
  self->log_rows = g_ptr_array_new ();
}
