/* test-kiosk-why.c: every sentence of "why this plays" (sk-why.c), each
 * case at its longest (the most listeners the sentence counts, the
 * longest names of the dimensions), drawn whole on now playing at each
 * size, in English and in German; and the crowd veto's sentence in its
 * banner. screenshot() fails on a label shortened with "…"
 * (sk-app-test.h: how).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "sk-app-test.h"
#include "sk-now-playing.h"
#include "sk-why.h"

/* more listeners than a room of a kiosk holds: two digits */
#define MANY 12

typedef struct
{
  const char *name;
  SkWhyParts parts;
} WhyCase;

/* the three longest names liked, thunder first, in English and German */
#define THREE_LIKED .taste = { 0.3, 0.0, 0.0, 0.4, 0.35 }, .taste_like = { 1.0, 0.0, 0.0, 1.0, 1.0 }

/* Each branch of sk_why_sentence(), in its order there. */
static const WhyCase why_cases[] = {
  { "house", { .n_present = 0, .since_played = -1 } },
  { "new-one", { .n_present = 1, .explored = TRUE, .since_played = -1 } },
  { "new-many", { .n_present = MANY, .explored = TRUE, .since_played = -1 } },
  { "above-dislikes",
    { .n_present = MANY,
      .strategy = SK_STRATEGY_LEAST_MISERY,
      .similarity = 0.9,
      .since_played = -1 } },
  { "least-disliked",
    { .n_present = MANY,
      .strategy = SK_STRATEGY_LEAST_MISERY,
      .similarity = -0.9,
      .since_played = -1 } },
  { "liked-one", { .n_present = 1, THREE_LIKED, .since_played = -1 } },
  { "liked-many", { .n_present = MANY, THREE_LIKED, .since_played = -1 } },
  { "not-heard-days", { .n_present = MANY, .since_played = 365 * 24 * 3600 } },
  { "not-heard-hours", { .n_present = MANY, .since_played = 23 * 3600 } },
  { "not-played", { .n_present = MANY, .since_played = -1 } },
  { "listener", { .n_present = 1, .since_played = 60 } },
  { "listeners", { .n_present = MANY, .since_played = 60 } },
};

/* The next tracks drawn under @widget, each whole: the demo's titles
 * fit, though a longer one may be shortened by design (may-ellipsize). */
static void
assert_next_whole (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "next-item") &&
      gtk_widget_is_drawable (widget))
    {
      g_test_message ("up next: “%s”", gtk_label_get_text (GTK_LABEL (widget)));
      g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))));
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    assert_next_whole (c);
}

/* Now playing with @why as the track's sentence (the engine's track and
 * queue as they are), written as @name; the sentence drawn whole. */
static void
show_why (Screen *s, const char *why, const char *name)
{
  GtkWidget *now_playing = gtk_widget_get_ancestor (find_text (GTK_WIDGET (s->window),
                                                               _ ("Up next")),
                                                    SK_TYPE_NOW_PLAYING);
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (s->base.kiosk);
  g_autoptr (GVariant) queue = sk_dbus_kiosk1_dup_queue (s->base.kiosk);
  GtkWidget *label;

  g_assert_nonnull (now_playing);
  g_test_message ("%s: “%s”", name, why);
  sk_now_playing_update (SK_NOW_PLAYING (now_playing), now, why, queue, NULL);
  wait_text (s, why, 2);
  screenshot (s, name);
  /* still the sentence given (the engine moved on to no other track) */
  label = find_text (GTK_WIDGET (s->window), why);
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (label, "track-why"));
  g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (label))));
  assert_next_whole (GTK_WIDGET (s->window));
}

/* Every case of the sentence, then the fallback's and the veto's, in the
 * locale of the process; @prefix names the screenshots. */
static void
show_all (Screen *s, const char *prefix)
{
  g_autofree char *fallback = sk_why_fallback ();
  g_autofree char *fallback_name = g_strdup_printf ("%swhy-fallback", prefix);
  g_autofree char *veto = NULL, *veto_name = g_strdup_printf ("%swhy-veto", prefix);
  g_autoptr (GVariant) now = sk_dbus_kiosk1_dup_now_playing (s->base.kiosk);
  const char *song = NULL, *title = NULL;
  SkDBusKiosk1 *proxy = sk_kiosk_client_get_proxy (s->client);

  for (guint i = 0; i < G_N_ELEMENTS (why_cases); i++)
    {
      g_autofree char *why = sk_why_sentence (&why_cases[i].parts);
      g_autofree char *name = g_strdup_printf ("%swhy-%s", prefix, why_cases[i].name);

      show_why (s, why, name);
    }
  show_why (s, fallback, fallback_name);

  /* the crowd veto's sentence, as the engine's Skipped signal brings it:
   * in the banner, whole */
  g_variant_get (now, "(&s&s&s@adxd)", &song, &title, NULL, NULL, NULL, NULL);
  veto = sk_why_veto (title, MANY, MANY);
  g_signal_emit_by_name (proxy, "skipped", song, "veto", veto);
  wait_text (s, veto, 2);
  screenshot (s, veto_name);
}

static void
test_why (Screen *s, gconstpointer data)
{
  show_all (s, "");
}

/* The same in German (LC_ALL=de_DE.UTF-8, made by the parent test): run
 * only as /app/german/why-*'s subprocess. */
static void
test_german_why (gconstpointer data)
{
  Screen screen = { 0 }, *s = &screen;

  if (!screen_setup_in_german (s, data, "/app/german-why-*"))
    return;
  wait_text (s, "Als Nächstes", 2);
  show_all (s, "de-");
  screen_teardown (s, data);
}

static void
test_german (gconstpointer data)
{
  run_in_german (data);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  if (!app_test_init (&argc, &argv))
    return g_test_run ();
  for (guint i = 0; i < N_SIZES; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/why-%dx%d", sizes[i].width, sizes[i].height);
      char *german = g_strdup_printf ("/app/german/why-%dx%d", sizes[i].width, sizes[i].height);

      g_test_add (path, Screen, &sizes[i], screen_setup, test_why, screen_teardown);
      g_ptr_array_add (paths, german);
      g_test_add_data_func (german, &sizes[i], test_german_why);
    }
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/app/german-why-%dx%d", sizes[i].width,
                                               sizes[i].height);

      g_test_add_data_func (path, paths->pdata[i], test_german);
    }
  return app_test_run ();
}
