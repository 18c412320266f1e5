/* sk-now-playing.c: see sk-now-playing.h. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sk-now-playing.h"
#include "sk-taste-glyph.h"

#define N_NEXT 3
/* a title longer than this (in characters) is a long one, and longer
 * than the second a very long one: set_title() */
#define LONG_TITLE 32
#define VERY_LONG_TITLE 48

struct _SkNowPlaying
{
  GtkWidget parent_instance;

  GtkBox *box;
  SkTasteGlyph *glyph;
  GtkLabel *title;
  GtkLabel *artist;
  GtkProgressBar *progress;
  GtkLabel *elapsed;
  GtkLabel *remaining;
  GtkLabel *why;
  GtkLabel *next_heading;
  GtkLabel *next[N_NEXT];

  double duration;
  guint relayout;
};

G_DEFINE_FINAL_TYPE (SkNowPlaying, sk_now_playing, GTK_TYPE_WIDGET)

char *
sk_now_playing_format_time (double seconds)
{
  gint64 s = (gint64) floor (MAX (seconds, 0.0));

  if (s >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int) (s / 60 % 60),
                            (int) (s % 60));
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", s / 60, (int) (s % 60));
}

void
sk_now_playing_set_position (SkNowPlaying *self, double position)
{
  g_autofree char *elapsed = NULL, *remaining = NULL, *minus = NULL;

  g_return_if_fail (SK_IS_NOW_PLAYING (self));
  if (self->duration <= 0)
    {
      gtk_progress_bar_set_fraction (self->progress, 0);
      gtk_label_set_text (self->elapsed, "");
      gtk_label_set_text (self->remaining, "");
      return;
    }
  position = CLAMP (position, 0, self->duration);
  elapsed = sk_now_playing_format_time (position);
  remaining = sk_now_playing_format_time (ceil (self->duration - position));
  /* TRANSLATORS: the time left of the track playing, e.g. "−2:05" */
  minus = g_strdup_printf (_ ("−%s"), remaining);
  gtk_progress_bar_set_fraction (self->progress, position / self->duration);
  gtk_label_set_text (self->elapsed, elapsed);
  gtk_label_set_text (self->remaining, minus);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Time played"), -1);
}

/* The title, whole: on two lines at its size, or, longer, on three, a
 * size smaller; a very long one (the longest of the long-titles test,
 * "Drizzle and Breeze over the Harbour, Long and Slow at Night") on three
 * a size smaller again, as big as the artist (ui/style.css, .long-title,
 * .very-long-title). Three lines at the most, so that the next three
 * still fit under it at 800×480. */
static void
set_title (SkNowPlaying *self, const char *title)
{
  glong length = g_utf8_strlen (title, -1);
  GtkWidget *label = GTK_WIDGET (self->title);

  gtk_label_set_text (self->title, title);
  gtk_label_set_lines (self->title, length > LONG_TITLE ? 3 : 2);
  gtk_widget_remove_css_class (label, "long-title");
  gtk_widget_remove_css_class (label, "very-long-title");
  if (length > VERY_LONG_TITLE)
    gtk_widget_add_css_class (label, "very-long-title");
  else if (length > LONG_TITLE)
    gtk_widget_add_css_class (label, "long-title");
}

void
sk_now_playing_update (SkNowPlaying *self,
                       GVariant *now_playing,
                       const char *why,
                       GVariant *queue,
                       const char *status_message)
{
  const char *song = "", *title = "", *artist = "";
  g_autoptr (GVariant) embedding = NULL;
  gint64 started = 0;
  double duration = 0;
  guint n_queue = queue ? g_variant_n_children (queue) : 0;

  g_return_if_fail (SK_IS_NOW_PLAYING (self));
  if (now_playing != NULL)
    g_variant_get (now_playing, "(&s&s&s@adxd)", &song, &title, &artist, &embedding, &started,
                   &duration);
  if (*song != '\0')
    {
      gsize n = 0;
      const double *values = g_variant_get_fixed_array (embedding, &n, sizeof (double));

      set_title (self, title);
      gtk_label_set_text (self->artist, artist);
      sk_taste_glyph_set_values (self->glyph, n == SK_TASTE_DIMS ? values : NULL);
      self->duration = duration;
    }
  else
    {
      set_title (self, _ ("Nothing is playing"));
      gtk_label_set_text (self->artist, status_message ? status_message : "");
      sk_taste_glyph_set_values (self->glyph, NULL);
      self->duration = 0;
    }
  /* why this track: the engine's sentence, kept since it started */
  if (why == NULL || *song == '\0')
    why = "";
  gtk_label_set_text (self->why, why);
  gtk_widget_set_visible (GTK_WIDGET (self->why), *why != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->next_heading), n_queue > 0);
  for (guint i = 0; i < N_NEXT; i++)
    {
      const char *t = "";

      /* the title alone: with its artist, a title of a few words was
       * already cut short at 800×480; the artist shows when it plays */
      if (i < n_queue)
        g_variant_get_child (queue, i, "(&s&s&sd&s)", NULL, &t, NULL, NULL, NULL);
      gtk_label_set_text (self->next[i], t);
      gtk_widget_set_visible (GTK_WIDGET (self->next[i]), i < n_queue);
    }
}

/* Portrait, or too narrow for the two side by side: stacked. */
static GtkOrientation
wanted_orientation (SkNowPlaying *self, int width, int height)
{
  int side_by_side = 0;

  if (width < height)
    return GTK_ORIENTATION_VERTICAL;
  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->box)) == GTK_ORIENTATION_HORIZONTAL)
    gtk_widget_measure (GTK_WIDGET (self->box), GTK_ORIENTATION_HORIZONTAL, -1, &side_by_side, NULL,
                        NULL, NULL);
  return width < side_by_side ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;
}

static gboolean
on_relayout (gpointer data)
{
  SkNowPlaying *self = data;
  GtkOrientation want = wanted_orientation (self, gtk_widget_get_width (GTK_WIDGET (self)),
                                            gtk_widget_get_height (GTK_WIDGET (self)));

  self->relayout = 0;
  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->box)) != want)
    {
      /* side by side, two equal halves; stacked, the picture takes what
       * the title and the queue leave */
      gtk_box_set_homogeneous (self->box, want == GTK_ORIENTATION_HORIZONTAL);
      gtk_orientable_set_orientation (GTK_ORIENTABLE (self->box), want);
    }
  return G_SOURCE_REMOVE;
}

/* As narrow as the stacked layout can be, whichever is shown: a window
 * as narrow as a portrait screen can then be had at all. */
static void
sk_now_playing_measure (GtkWidget *widget,
                        GtkOrientation orientation,
                        int for_size,
                        int *minimum,
                        int *natural,
                        int *minimum_baseline,
                        int *natural_baseline)
{
  SkNowPlaying *self = SK_NOW_PLAYING (widget);

  gtk_widget_measure (GTK_WIDGET (self->box), orientation, for_size, minimum, natural, NULL, NULL);
  if (orientation == GTK_ORIENTATION_HORIZONTAL &&
      gtk_orientable_get_orientation (GTK_ORIENTABLE (self->box)) == GTK_ORIENTATION_HORIZONTAL)
    {
      int glyph = 0, info = 0;

      gtk_widget_measure (gtk_widget_get_first_child (GTK_WIDGET (self->box)), orientation, -1,
                          &glyph, NULL, NULL, NULL);
      gtk_widget_measure (gtk_widget_get_last_child (GTK_WIDGET (self->box)), orientation, -1,
                          &info, NULL, NULL, NULL);
      *minimum = MIN (*minimum, MAX (glyph, info));
      *natural = MAX (*natural, *minimum);
    }
}

/* The orientation changes after the allocation, never during it (GTK
 * forbids a resize there); until then the box keeps its minimum and is
 * clipped for a frame. */
static void
sk_now_playing_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  SkNowPlaying *self = SK_NOW_PLAYING (widget);
  int min_width = 0, min_height = 0;

  gtk_widget_measure (GTK_WIDGET (self->box), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL,
                      NULL, NULL);
  gtk_widget_measure (GTK_WIDGET (self->box), GTK_ORIENTATION_VERTICAL, MAX (width, min_width),
                      &min_height, NULL, NULL, NULL);
  gtk_widget_allocate (GTK_WIDGET (self->box), MAX (width, min_width), MAX (height, min_height), -1,
                       NULL);
  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->box)) !=
          wanted_orientation (self, width, height) &&
      self->relayout == 0)
    self->relayout = g_idle_add (on_relayout, self);
}

static void
sk_now_playing_dispose (GObject *object)
{
  SkNowPlaying *self = SK_NOW_PLAYING (object);

  g_clear_handle_id (&self->relayout, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), SK_TYPE_NOW_PLAYING);
  G_OBJECT_CLASS (sk_now_playing_parent_class)->dispose (object);
}

static void
sk_now_playing_class_init (SkNowPlayingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_now_playing_dispose;
  widget_class->size_allocate = sk_now_playing_size_allocate;
  widget_class->measure = sk_now_playing_measure;
  g_type_ensure (SK_TYPE_TASTE_GLYPH);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/soundscape/Kiosk/ui/sk-now-playing.ui");
  gtk_widget_class_set_css_name (widget_class, "nowplaying");
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, box);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, glyph);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, title);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, artist);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, progress);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, elapsed);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, remaining);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, why);
  gtk_widget_class_bind_template_child (widget_class, SkNowPlaying, next_heading);
  gtk_widget_class_bind_template_child_full (widget_class, "next0", FALSE,
                                             G_STRUCT_OFFSET (SkNowPlaying, next[0]));
  gtk_widget_class_bind_template_child_full (widget_class, "next1", FALSE,
                                             G_STRUCT_OFFSET (SkNowPlaying, next[1]));
  gtk_widget_class_bind_template_child_full (widget_class, "next2", FALSE,
                                             G_STRUCT_OFFSET (SkNowPlaying, next[2]));
}

static void
sk_now_playing_init (SkNowPlaying *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  sk_now_playing_update (self, NULL, NULL, NULL, NULL);
  sk_now_playing_set_position (self, 0);
}
