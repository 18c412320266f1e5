/* sk-demo.c: demo badges, the demo library and the keyboard's commands. */
#include "config.h"

#include <string.h>

#include "sk-demo.h"
#include "sk-import.h"

static const SkDemoBadge demo_badges[] = {
  { "04A1B2C3", "Rain Lover", NULL, { 0.95, 0.40, 0.15, 0.45, 0.60 } },
  { "04F1E2D3", "Fire Keeper", NULL, { 0.10, 0.40, 0.95, 0.30, 0.20 } },
  { "04C0FFEE", "Storm Chaser", NULL, { 0.60, 0.70, 0.20, 0.95, 0.30 } },
  { "04BEAC4E", "Beachcomber", NULL, { 0.30, 0.65, 0.20, 0.10, 0.95 } },
  { "04ADA1E5", "Mia Manager", "manager", { 0.50, 0.50, 0.50, 0.50, 0.50 } },
};

const SkDemoBadge *
sk_demo_get_badges (guint *n_badges)
{
  *n_badges = G_N_ELEMENTS (demo_badges);
  return demo_badges;
}

gboolean
sk_demo_prepare (SkEngine *engine, const char *library, guint *n_imported, GError **error)
{
  *n_imported = 0;
  if (library != NULL && sk_recommender_get_n_songs (sk_engine_get_recommender (engine)) == 0)
    {
      g_autoptr (GPtrArray) problems = NULL;

      if (!sk_import_dir (sk_engine_get_store (engine), library, n_imported, &problems, error))
        return FALSE;
      if (problems != NULL && problems->len > 0)
        g_warning ("demo library: %s", (const char *) problems->pdata[0]);
      if (!sk_engine_reload (engine, error))
        return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (demo_badges); i++)
    {
      g_autofree char *id = sk_engine_dup_user_for_uid (engine, demo_badges[i].uid, NULL);

      if (id != NULL)
        continue;
      id = sk_engine_enroll (engine, demo_badges[i].uid, demo_badges[i].name, demo_badges[i].role,
                             demo_badges[i].taste, error);
      if (id == NULL)
        return FALSE;
    }
  return TRUE;
}

void
sk_demo_describe (SkEngine *engine, guint max_queue, GString *out)
{
  const char *song = sk_engine_get_current_song (engine);
  const char *idle = sk_engine_get_status_message (engine);
  g_autofree char *title = NULL;
  const SkQueueEntry *q;
  guint n, present = sk_engine_get_n_present (engine);

  /* before the first track starts (or while none can), words, not a
   * title's placeholder */
  if (song != NULL)
    title = sk_engine_dup_song_title (engine, song);
  else if (idle != NULL && *idle != '\0')
    title = g_strdup_printf ("nothing (%s)", idle);
  else
    title = g_strdup ("nothing yet");
  g_string_append_printf (out, "♪ Now playing: %s — %u listener%s present\n", title, present,
                          present == 1 ? "" : "s");
  q = sk_engine_get_queue (engine, &n);
  if (n == 0)
    g_string_append (out, "  (the queue is empty)\n");
  for (guint i = 0; i < n && i < max_queue; i++)
    {
      g_autofree char *t = sk_engine_dup_song_title (engine, q[i].song_id);

      g_string_append_printf (out, "  %u. %-28s %+.4f\n", i + 1, t, q[i].score);
    }
}

static const SkDemoBadge *
badge_arg (const char *word)
{
  guint64 who;

  if (!g_ascii_string_to_unsigned (word, 10, 1, G_N_ELEMENTS (demo_badges), &who, NULL))
    return NULL;
  return &demo_badges[who - 1];
}

/* The demo's database as a shell word: the join command it names must work
 * as it is printed, on this database (not the state directory's). */
static char *
db_word (SkEngine *engine)
{
  const char *path = sk_store_get_path (sk_engine_get_store (engine));

  if (path[strcspn (path, " \t\n'\"\\$`;&|<>()*?[]#~")] == '\0')
    return g_strdup (path);
  return g_shell_quote (path);
}

static gboolean
engine_tap (gpointer engine, const char *uid, SkTapResult *result, GError **error)
{
  return sk_engine_tap (engine, uid, result, error);
}

static void
tap (SkEngine *engine, SkDemoTapFunc func, gpointer data, const char *uid, GString *out)
{
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };

  if (!func (data, uid, &r, &error))
    g_string_append_printf (out, "  %s\n", error->message);
  else if (r.kind == SK_TAP_UNKNOWN)
    {
      g_autofree char *db = db_word (engine);

      g_string_append_printf (out,
                              "  unknown badge %s: “soundscape-ctl join %s --db %s” makes it a "
                              "guest\n",
                              r.uid, r.uid, db);
    }
  else
    g_string_append_printf (out, "  %s %s%s\n", r.display_name,
                            r.extended ? "extended their visit" : "checked in",
                            r.kind == SK_TAP_MANAGER ? " — Admin available" : "");
  sk_tap_result_clear (&r);
}

SkDemoAction
sk_demo_command (
    SkEngine *engine, const char *line, SkDemoTapFunc tap_func, gpointer tap_data, GString *out)
{
  g_auto (GStrv) w = g_strsplit_set (line, " \t", -1);
  g_autoptr (GError) error = NULL;
  const SkDemoBadge *badge = NULL;
  guint n = g_strv_length (w);
  guint64 value = 0;

  if (tap_func == NULL)
    {
      tap_func = engine_tap;
      tap_data = engine;
    }
  if (n == 0 || w[0][0] == '\0')
    return SK_DEMO_SHOWN;
  if (n == 1 && (badge = badge_arg (w[0])) != NULL)
    {
      g_string_append_printf (out, "» tap %s (%s)\n", badge->uid, badge->name);
      tap (engine, tap_func, tap_data, badge->uid, out);
    }
  else if (strcmp (w[0], "t") == 0 && n == 2)
    {
      g_string_append_printf (out, "» tap %s\n", w[1]);
      tap (engine, tap_func, tap_data, w[1], out);
    }
  else if (strcmp (w[0], "v") == 0 && n == 3 && (badge = badge_arg (w[1])) != NULL &&
           g_ascii_string_to_unsigned (w[2], 10, 1, 5, &value, NULL))
    {
      g_autofree char *user = sk_engine_dup_user_for_uid (engine, badge->uid, &error);

      g_string_append_printf (out, "» %s rates %d\n", badge->name, (int) value);
      if (user == NULL || !sk_engine_vote (engine, user, (int) value, &error))
        g_string_append_printf (out, "  %s\n", error->message);
    }
  else if (strcmp (w[0], "o") == 0 && n == 2 && (badge = badge_arg (w[1])) != NULL)
    {
      g_autofree char *user = sk_engine_dup_user_for_uid (engine, badge->uid, &error);

      g_string_append_printf (out, "» %s checks out\n", badge->name);
      if (user == NULL || !sk_engine_check_out (engine, user, &error))
        g_string_append_printf (out, "  %s\n", error->message);
    }
  else if (strcmp (w[0], "n") == 0 && n == 1)
    {
      g_string_append (out, "» next track\n");
      return SK_DEMO_NEXT;
    }
  else if (strcmp (w[0], "q") == 0 && n == 1)
    return SK_DEMO_QUIT;
  else if (strcmp (w[0], "s") != 0 || n != 1)
    {
      /* a line it cannot take is said to be one, then the keys */
      if (strcmp (w[0], "?") != 0 || n != 1)
        g_string_append_printf (out, "  “%s” is not one of the keys\n", line);
      g_string_append_printf (out,
                              "Keys: 1–%u tap a demo badge · v N R rate R (1–5) as badge N · "
                              "o N check N out · t UID tap any badge · n next track · "
                              "s show · q quit\n",
                              (guint) G_N_ELEMENTS (demo_badges));
      return SK_DEMO_SHOWN;
    }
  sk_demo_describe (engine, 5, out);
  return SK_DEMO_SHOWN;
}
