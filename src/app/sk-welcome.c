/* sk-welcome.c: see sk-welcome.h. */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-countdown.h"
#include "sk-welcome.h"

#define N_VOTES 5

struct _SkWelcome
{
  GtkWidget parent_instance;

  GtkWidget *root;
  GtkLabel *greeting;
  GtkLabel *prompt;
  GtkBox *votes;
  GtkButton *vote[N_VOTES];
  GtkWidget *scale; /* what 1 and 5 mean, under the votes */
  GtkLabel *answer;
  GtkProgressBar *countdown;
  GtkLabel *countdown_label;
  GtkButton *check_out;
  GtkWidget *admin;

  guint seconds;
  SkCountdown count;
  gboolean answered; /* the countdown is the way back now */
};

G_DEFINE_FINAL_TYPE (SkWelcome, sk_welcome, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_VOTE,
  SIGNAL_CHECK_OUT,
  SIGNAL_DONE,
  SIGNAL_ADMIN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_left (gpointer data)
{
  SkWelcome *self = data;
  g_autofree char *text = NULL;

  if (self->answered)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Back to the music in %u second",
                                         "Back to the music in %u seconds", self->count.left),
                            self->count.left);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second to vote", "%u seconds to vote",
                                         self->count.left),
                            self->count.left);
  gtk_label_set_text (self->countdown_label, text);
  gtk_progress_bar_set_fraction (self->countdown,
                                 self->seconds ? (double) self->count.left / self->seconds : 0);
}

/* The answer takes the question's place: the page keeps its height. */
static void
show_answer (SkWelcome *self, const char *text)
{
  gtk_label_set_text (self->answer, text);
  gtk_widget_set_visible (GTK_WIDGET (self->answer), *text != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->prompt), *text == '\0');
}

static void
done (gpointer self)
{
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

void
sk_welcome_start (SkWelcome *self, const char *greeting, guint seconds)
{
  g_return_if_fail (SK_IS_WELCOME (self));
  gtk_label_set_text (self->greeting, greeting);
  show_answer (self, "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->answer), "refused");
  for (guint i = 0; i < N_VOTES; i++)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->vote[i]), TRUE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->vote[i]), "chosen");
    }
  /* no ticket, no vote here: neither the buttons nor their scale */
  gtk_widget_set_visible (GTK_WIDGET (self->votes), seconds > 0);
  gtk_widget_set_visible (self->scale, seconds > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->check_out), seconds > 0);
  gtk_widget_set_visible (self->admin, FALSE);
  gtk_label_set_text (self->prompt, seconds > 0
                                        ? _ ("How do you like what is playing?")
                                        : _ ("Tap your badge on the reader to rate this track."));
  self->seconds = seconds ? seconds : 6;
  self->answered = FALSE;
  sk_countdown_start (&self->count, self->seconds);
  gtk_widget_set_visible (GTK_WIDGET (self->countdown), seconds > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_label), seconds > 0);
}

void
sk_welcome_set_answer (SkWelcome *self, const char *text, gboolean ok, gboolean final)
{
  g_return_if_fail (SK_IS_WELCOME (self));
  show_answer (self, text);
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->answer), "refused");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->answer), "refused");
  for (guint i = 0; i < N_VOTES; i++)
    gtk_widget_set_sensitive (GTK_WIDGET (self->vote[i]), !final);
  if (final)
    {
      /* a few seconds to read the answer, then back to what plays */
      self->count.left = MIN (self->count.left, 4);
      self->answered = TRUE;
      show_left (self);
    }
}

void
sk_welcome_set_admin_offered (SkWelcome *self, gboolean offered)
{
  g_return_if_fail (SK_IS_WELCOME (self));
  gtk_widget_set_visible (self->admin, offered);
}

static void
on_admin_clicked (GtkButton *button, SkWelcome *self)
{
  sk_countdown_stop (&self->count);
  g_signal_emit (self, signals[SIGNAL_ADMIN], 0);
}

guint
sk_welcome_get_seconds_left (SkWelcome *self)
{
  g_return_val_if_fail (SK_IS_WELCOME (self), 0);
  return self->count.left;
}

static void
on_vote_clicked (GtkButton *button, SkWelcome *self)
{
  for (guint i = 0; i < N_VOTES; i++)
    if (self->vote[i] == button)
      {
        gtk_widget_add_css_class (GTK_WIDGET (button), "chosen");
        /* instant feedback: the buttons wait for the engine's answer */
        for (guint j = 0; j < N_VOTES; j++)
          gtk_widget_set_sensitive (GTK_WIDGET (self->vote[j]), FALSE);
        show_answer (self, _ ("Sending your rating…"));
        g_signal_emit (self, signals[SIGNAL_VOTE], 0, (int) i + 1);
      }
}

static void
on_check_out_clicked (GtkButton *button, SkWelcome *self)
{
  g_signal_emit (self, signals[SIGNAL_CHECK_OUT], 0);
}

static void
on_done_clicked (GtkButton *button, SkWelcome *self)
{
  sk_countdown_stop (&self->count);
  self->count.left = 0;
  done (self);
}

static void
sk_welcome_dispose (GObject *object)
{
  SkWelcome *self = SK_WELCOME (object);

  sk_countdown_stop (&self->count);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_WELCOME);
  G_OBJECT_CLASS (sk_welcome_parent_class)->dispose (object);
}

static void
sk_welcome_class_init (SkWelcomeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_welcome_dispose;
  signals[SIGNAL_VOTE] = g_signal_new ("vote", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_CHECK_OUT] = g_signal_new ("check-out", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ADMIN] = g_signal_new ("admin", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-welcome.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, root);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, greeting);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, prompt);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, votes);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, scale);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, answer);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, countdown);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, check_out);
  gtk_widget_class_bind_template_child (widget_class, SkWelcome, admin);
  for (guint i = 0; i < N_VOTES; i++)
    {
      g_autofree char *id = g_strdup_printf ("vote%u", i + 1);

      gtk_widget_class_bind_template_child_full (widget_class, id, FALSE,
                                                 G_STRUCT_OFFSET (SkWelcome, vote) +
                                                     i * sizeof (GtkButton *));
    }
  gtk_widget_class_bind_template_callback (widget_class, on_vote_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_check_out_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_admin_clicked);
}

static void
sk_welcome_init (SkWelcome *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sk_countdown_init (&self->count, GTK_WIDGET (self), show_left, done);
}
