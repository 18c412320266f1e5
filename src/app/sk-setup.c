/* sk-setup.c: see sk-setup.h.
 *
 * The PIN is held between its first entry and the engine's answer to
 * Unlock, and wiped then; the name until SetPlayerName. Each call's
 * refusal is shown as the engine's sentence, on the step that made it.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sk-app-call.h"
#include "sk-setup.h"

/* the steps a person goes through; "done" is not counted */
static const char *const steps[] = { "name", "pin", "sound", "tap", NULL };

struct _SkSetup
{
  GtkWidget parent_instance;

  GtkWidget *root;
  GtkLabel *step_label;
  GtkStack *steps;
  GtkEntry *entry;
  GtkWidget *name_next;
  SkKeyboard *keyboard;
  GtkLabel *pin_prompt;
  SkKeypad *keypad;
  GtkWidget *play_sound;
  GtkLabel *sound_prompt;
  GtkWidget *heard;
  GtkWidget *skip_sound;
  GtkLabel *reader_status;
  GtkLabel *tap_answer;
  GtkLabel *error;

  SkDBusKiosk1 *proxy;
  GCancellable *cancellable;
  char *name;
  char *pin; /* the first entry, until Unlock answers */
};

G_DEFINE_FINAL_TYPE (SkSetup, sk_setup, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_step (SkSetup *self, const char *step)
{
  guint n = g_strv_length ((char **) steps);

  gtk_label_set_text (self->error, "");
  for (guint i = 0; i < n; i++)
    if (strcmp (steps[i], step) == 0)
      {
        g_autofree char *text = g_strdup_printf (_ ("Setting up: step %u of %u"), i + 1, n);

        gtk_label_set_text (self->step_label, text);
      }
  gtk_widget_set_visible (GTK_WIDGET (self->step_label), strcmp (step, "done") != 0);
  gtk_stack_set_visible_child_name (self->steps, step);
}

const char *
sk_setup_get_step (SkSetup *self)
{
  g_return_val_if_fail (SK_IS_SETUP (self), NULL);
  return gtk_stack_get_visible_child_name (self->steps);
}

GtkEditable *
sk_setup_get_entry (SkSetup *self)
{
  g_return_val_if_fail (SK_IS_SETUP (self), NULL);
  return GTK_EDITABLE (self->entry);
}

SkKeyboard *
sk_setup_get_keyboard (SkSetup *self)
{
  g_return_val_if_fail (SK_IS_SETUP (self), NULL);
  return self->keyboard;
}

SkKeypad *
sk_setup_get_keypad (SkSetup *self)
{
  g_return_val_if_fail (SK_IS_SETUP (self), NULL);
  return self->keypad;
}

/* --- the reader ---------------------------------------------------------- */

static void
show_reader_status (SkSetup *self)
{
  g_autoptr (GVariant) status = sk_dbus_kiosk1_dup_reader_status (self->proxy);
  const char *state = "none", *message = "";
  g_autofree char *text = NULL;

  if (status != NULL)
    g_variant_get (status, "(&s&s)", &state, &message);
  if (strcmp (state, "ready") == 0)
    text = g_strdup (_ ("The reader is ready: tap any badge on it."));
  else if (strcmp (state, "starting") == 0)
    text = g_strdup (_ ("The reader is starting…"));
  else if (strcmp (state, "absent") == 0)
    text = g_strdup_printf (_ ("No reader was found. %s"), message);
  else if (strcmp (state, "error") == 0)
    text = g_strdup_printf (_ ("The reader has a problem. %s"), message);
  else
    text = g_strdup (_ ("No badge reader is set up. Badges can be added later."));
  gtk_label_set_text (self->reader_status, text);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, SkSetup *self)
{
  show_reader_status (self);
}

void
sk_setup_tapped (SkSetup *self, const char *result)
{
  g_return_if_fail (SK_IS_SETUP (self));
  if (g_strcmp0 (sk_setup_get_step (self), "tap") != 0)
    return;
  gtk_label_set_text (self->tap_answer, _ ("A badge was read: the reader works."));
}

/* --- the steps ----------------------------------------------------------- */

void
sk_setup_start (SkSetup *self, SkDBusKiosk1 *proxy)
{
  const char *name;

  g_return_if_fail (SK_IS_SETUP (self));
  if (sk_app_set_proxy (&self->proxy, proxy, self))
    g_signal_connect (proxy, "g-properties-changed", G_CALLBACK (on_properties_changed), self);
  sk_keypad_wipe_pin (&self->pin);
  g_clear_pointer (&self->name, g_free);
  name = sk_dbus_kiosk1_get_player_name (proxy);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), name ? name : "");
  /* the engine's name is offered selected: the first key replaces it */
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
  sk_keypad_clear (self->keypad);
  gtk_label_set_text (self->pin_prompt, _ ("Choose a PIN for the admin page: 4 to 12 digits."));
  gtk_label_set_text (self->sound_prompt, "");
  gtk_widget_set_visible (self->heard, FALSE);
  gtk_widget_set_visible (self->skip_sound, FALSE);
  gtk_label_set_text (self->tap_answer, "");
  show_reader_status (self);
  show_step (self, "name");
}

static void
on_name_changed (GtkEditable *entry, SkSetup *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  gtk_widget_set_sensitive (self->name_next, *name != '\0');
}

static void
on_name_next (GtkButton *button, SkSetup *self)
{
  g_free (self->name);
  self->name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  show_step (self, "pin");
}

static void
on_name_stored (gpointer data, GVariant *reply, const char *refusal)
{
  SkSetup *self = data;

  if (reply == NULL)
    {
      show_step (self, "name");
      gtk_label_set_text (self->error, refusal);
      return;
    }
  show_step (self, "sound");
}

static void
on_unlocked (gpointer data, GVariant *reply, const char *refusal)
{
  SkSetup *self = data;

  sk_keypad_wipe_pin (&self->pin);
  if (reply == NULL)
    {
      gtk_label_set_text (self->error, refusal);
      return;
    }
  sk_app_call (self->proxy, "SetPlayerName", g_variant_new ("(s)", self->name), self->cancellable,
               on_name_stored, self);
}

static void
on_pin_stored (gpointer data, GVariant *reply, const char *refusal)
{
  SkSetup *self = data;

  if (reply == NULL)
    {
      sk_keypad_wipe_pin (&self->pin);
      gtk_label_set_text (self->pin_prompt, _ ("Choose a PIN for the admin page: 4 to 12 digits."));
      gtk_label_set_text (self->error, refusal);
      return;
    }
  sk_app_call (self->proxy, "Unlock", g_variant_new ("(ss)", "", self->pin), self->cancellable,
               on_unlocked, self);
}

/* The first entry is held; the second must match it. */
static void
on_pin_submit (SkKeypad *keypad, const char *pin, SkSetup *self)
{
  gtk_label_set_text (self->error, "");
  if (self->pin == NULL)
    {
      self->pin = g_strdup (pin);
      gtk_label_set_text (self->pin_prompt, _ ("Enter the same PIN again."));
      return;
    }
  if (strcmp (self->pin, pin) != 0)
    {
      sk_keypad_wipe_pin (&self->pin);
      gtk_label_set_text (self->pin_prompt, _ ("Choose a PIN for the admin page: 4 to 12 digits."));
      gtk_label_set_text (self->error, _ ("The two PINs were not the same. Choose one again."));
      return;
    }
  sk_app_call (self->proxy, "SetPin", g_variant_new ("(s)", pin), self->cancellable, on_pin_stored,
               self);
}

static void
on_sound_played (gpointer data, GVariant *reply, const char *refusal)
{
  SkSetup *self = data;

  gtk_widget_set_sensitive (self->play_sound, TRUE);
  if (reply == NULL)
    {
      gtk_label_set_text (self->error, refusal);
      gtk_widget_set_visible (self->skip_sound, TRUE);
      return;
    }
  gtk_label_set_text (self->sound_prompt, _ ("Did you hear it?"));
  gtk_widget_set_visible (self->heard, TRUE);
}

static void
on_play_sound (GtkButton *button, SkSetup *self)
{
  gtk_label_set_text (self->error, "");
  gtk_label_set_text (self->sound_prompt, _ ("Listen…"));
  gtk_widget_set_visible (self->heard, FALSE);
  gtk_widget_set_sensitive (self->play_sound, FALSE);
  sk_app_call (self->proxy, "TestSound", g_variant_new ("(s)", ""), self->cancellable,
               on_sound_played, self);
}

static void
on_heard_yes (GtkButton *button, SkSetup *self)
{
  show_reader_status (self);
  show_step (self, "tap");
}

static void
on_heard_no (GtkButton *button, SkSetup *self)
{
  gtk_label_set_text (self->sound_prompt,
                      _ ("Check that the speakers are on and connected, then play it again."));
  gtk_widget_set_visible (self->skip_sound, TRUE);
}

static void
on_tap_next (GtkButton *button, SkSetup *self)
{
  show_step (self, "done");
}

static void
on_finish (GtkButton *button, SkSetup *self)
{
  /* the page was unlocked for the test sound: locked again */
  sk_app_call (self->proxy, "Lock", NULL, self->cancellable, NULL, self);
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

/* --- the object ---------------------------------------------------------- */

static void
sk_setup_dispose (GObject *object)
{
  SkSetup *self = SK_SETUP (object);

  g_cancellable_cancel (self->cancellable);
  sk_app_set_proxy (&self->proxy, NULL, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_SETUP);
  G_OBJECT_CLASS (sk_setup_parent_class)->dispose (object);
}

static void
sk_setup_finalize (GObject *object)
{
  SkSetup *self = SK_SETUP (object);

  sk_keypad_wipe_pin (&self->pin);
  g_free (self->name);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_setup_parent_class)->finalize (object);
}

static void
sk_setup_class_init (SkSetupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_setup_dispose;
  object_class->finalize = sk_setup_finalize;
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
  g_type_ensure (SK_TYPE_KEYBOARD);
  g_type_ensure (SK_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-setup.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, root);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, step_label);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, steps);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, entry);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, name_next);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, keyboard);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, pin_prompt);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, keypad);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, play_sound);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, sound_prompt);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, heard);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, skip_sound);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, reader_status);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, tap_answer);
  gtk_widget_class_bind_template_child (widget_class, SkSetup, error);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_next);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_play_sound);
  gtk_widget_class_bind_template_callback (widget_class, on_heard_yes);
  gtk_widget_class_bind_template_callback (widget_class, on_heard_no);
  gtk_widget_class_bind_template_callback (widget_class, on_tap_next);
  gtk_widget_class_bind_template_callback (widget_class, on_finish);
}

static void
sk_setup_init (SkSetup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  sk_keyboard_set_target (self->keyboard, GTK_EDITABLE (self->entry));
}
