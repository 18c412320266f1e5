/* sk-settings.c: the table of settings, their checks and typed getters. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-schedule.h"
#include "sk-settings.h"
#include "sk-taste.h"
#include "sk-util.h"

/* Ranges here are the ones the code that uses each setting can honour.
 * The defaults and limits the code also needs come from sk-defaults.h, so
 * the table and the code cannot disagree. */
static const SkSetting settings[] = {
  { "strategy", SK_SETTING_CHOICE, 0, 0, "average", "average least_misery average_without_misery",
    "How the tastes of the people present are blended" },
  { "queue_k", SK_SETTING_INT, 1, SK_QUEUE_MAX_K, G_STRINGIFY (SK_QUEUE_DEFAULT_K), NULL,
    "How many songs the queue shows ahead" },
  { "house_vector", SK_SETTING_VECTOR, 0, 0, "[0.5,0.5,0.5,0.5,0.5]", NULL,
    "The venue's own taste, played when nobody is checked in" },
  { "explore_weight", SK_SETTING_DOUBLE, 0, SK_EXPLORE_MAX, G_STRINGIFY (SK_EXPLORE_WEIGHT_DEFAULT),
    NULL, "How much the queue tries songs that teach the kiosk a listener's taste (0: never)" },
  { "crowd_veto", SK_SETTING_INT, 0, 1, "1", NULL,
    "Whether the room may skip the track: once two or more present have rated it and most of "
    "those present rated it 2 or lower, it fades out (1: on, 0: off)" },
  { "session_minutes", SK_SETTING_INT, 1, 24 * 60, G_STRINGIFY (SK_SESSION_MINUTES_DEFAULT), NULL,
    "How long a check-in lasts (a re-tap extends it)" },
  { "tap_limit_per_minute", SK_SETTING_INT, 0, 1000, G_STRINGIFY (SK_TAP_LIMIT_DEFAULT), NULL,
    "Taps of one badge accepted in a minute; more are refused (0: no limit)" },
  { "ticket_seconds", SK_SETTING_INT, 1, 600, "20", NULL,
    "How long the ticket of a tap lets the screen act for its listener, in seconds" },
  { "admin_idle_seconds", SK_SETTING_INT, 5, 3600, "120", NULL,
    "How long the admin page stays unlocked without an admin operation, in seconds" },
  { "crossfade_seconds", SK_SETTING_DOUBLE, 0, SK_PLAYBACK_CROSSFADE_MAX,
    G_STRINGIFY (SK_PLAYBACK_CROSSFADE_DEFAULT), NULL,
    "Crossfade between tracks in seconds (0: gapless)" },
  { "volume", SK_SETTING_DOUBLE, 0, 1, G_STRINGIFY (SK_PLAYBACK_VOLUME_DEFAULT), NULL,
    "Output volume, 0 to 1" },
  { "loudness_target_lufs", SK_SETTING_DOUBLE, SK_LOUDNESS_TARGET_MIN, SK_LOUDNESS_TARGET_MAX,
    G_STRINGIFY (SK_LOUDNESS_TARGET_DEFAULT), NULL,
    "The loudness every track is normalised to, in LUFS" },
  { "media_cache_max_mb", SK_SETTING_DOUBLE, 0, 1024 * 1024, "0", NULL,
    "Size limit of the downloaded-audio cache in MB (0: no limit)" },
  { "audio_pcm", SK_SETTING_STRING, 0, 0, "default", NULL, "The ALSA device the kiosk plays on" },
  { "library_dirs", SK_SETTING_STRING, 0, 0, "", NULL,
    "Directories local audio files may play from, separated by “:”; every import adds "
    "its own (the demo's too)" },
  { "nfc_device", SK_SETTING_STRING, 0, 0, "", NULL,
    "The badge reader's libnfc connection string (empty: the first found; none: no reader)" },
  { "time_zone", SK_SETTING_STRING, 0, 0, "", NULL,
    "The venue's time zone for its opening hours and volume caps, an IANA name such as "
    "Europe/Berlin (empty: the system's)",
    sk_schedule_check_time_zone },
};

#define MAX_STRING 1024

const SkSetting *
sk_settings_list (guint *n_settings)
{
  *n_settings = G_N_ELEMENTS (settings);
  return settings;
}

const SkSetting *
sk_settings_lookup (const char *key, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    if (g_strcmp0 (settings[i].key, key) == 0)
      return &settings[i];
  g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
               "“%s” is not a setting (soundscape-ctl config lists them)", key ? key : "");
  return NULL;
}

static gboolean
parse_number (const SkSetting *s, const char *value, double *out, GError **error)
{
  double v;

  if (!sk_number_parse (value, NULL, &v, NULL) || v < s->min || v > s->max ||
      (s->kind == SK_SETTING_INT && v != floor (v)))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s must be %s from %g to %g, not “%.40s”", s->key,
                   s->kind == SK_SETTING_INT ? "a whole number" : "a number", s->min, s->max,
                   value);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
check (const SkSetting *s, const char *value, GError **error)
{
  double v;
  double vec[SK_DIM];
  g_auto (GStrv) words = NULL;
  g_autoptr (GError) local = NULL;

  if (value == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s needs a value", s->key);
      return FALSE;
    }
  switch (s->kind)
    {
    case SK_SETTING_INT:
    case SK_SETTING_DOUBLE:
      return parse_number (s, value, &v, error);
    case SK_SETTING_CHOICE:
      words = g_strsplit (s->choices, " ", -1);
      if (g_strv_contains ((const char *const *) words, value))
        return TRUE;
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s must be one of: %s; not “%.40s”", s->key, s->choices, value);
      return FALSE;
    case SK_SETTING_VECTOR:
      if (sk_vec_parse (value, vec, &local))
        return TRUE;
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s: %s", s->key, local->message);
      return FALSE;
    case SK_SETTING_STRING:
    default:
      if (strlen (value) > MAX_STRING || !g_utf8_validate (value, -1, NULL) ||
          strpbrk (value, "\n\r") != NULL)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "%s must be one line of text of at most %d bytes", s->key, MAX_STRING);
          return FALSE;
        }
      return s->check == NULL || s->check (value, error);
    }
}

gboolean
sk_settings_validate (const char *key, const char *value, GError **error)
{
  const SkSetting *s = sk_settings_lookup (key, error);

  return s != NULL && check (s, value, error);
}

gboolean
sk_settings_set (SkStore *store, const char *key, const char *value, GError **error)
{
  const SkSetting *s = sk_settings_lookup (key, error);

  if (s == NULL)
    return FALSE;
  /* a reset clears the stored value: the default is the table's, today's
   * or a later version's */
  if (value == NULL)
    return sk_store_set_setting (store, key, NULL, error);
  return check (s, value, error) && sk_store_set_setting (store, key, value, error);
}

/* The stored text if it passes, else the default. */
static char *
dup_valid (SkStore *store, const SkSetting *s)
{
  g_autofree char *text = sk_store_dup_setting (store, s->key);
  g_autoptr (GError) error = NULL;

  if (text == NULL)
    return g_strdup (s->fallback);
  if (!check (s, text, &error))
    {
      g_warning ("Setting %s: %s; using %s", s->key, error->message,
                 *s->fallback ? s->fallback : "the default");
      return g_strdup (s->fallback);
    }
  return g_steal_pointer (&text);
}

static const SkSetting *
must_lookup (const char *key, SkSettingKind kind)
{
  const SkSetting *s = sk_settings_lookup (key, NULL);

  g_assert (s != NULL &&
            (s->kind == kind || (kind == SK_SETTING_STRING && s->kind == SK_SETTING_CHOICE) ||
             (kind == SK_SETTING_DOUBLE && s->kind == SK_SETTING_INT)));
  return s;
}

static double
get_number (SkStore *store, const SkSetting *s)
{
  g_autofree char *text = dup_valid (store, s);
  double v = 0;

  if (!sk_number_parse (text, NULL, &v, NULL))
    g_assert_not_reached (); /* dup_valid lets only numbers through */
  return v;
}

gint64
sk_settings_get_int (SkStore *store, const char *key)
{
  return (gint64) get_number (store, must_lookup (key, SK_SETTING_INT));
}

double
sk_settings_get_double (SkStore *store, const char *key)
{
  return get_number (store, must_lookup (key, SK_SETTING_DOUBLE));
}

char *
sk_settings_dup_string (SkStore *store, const char *key)
{
  return dup_valid (store, must_lookup (key, SK_SETTING_STRING));
}

char *
sk_settings_dup_value (SkStore *store, const SkSetting *setting)
{
  return dup_valid (store, setting);
}

void
sk_settings_get_vector (SkStore *store, const char *key, double out[SK_DIM])
{
  g_autofree char *text = dup_valid (store, must_lookup (key, SK_SETTING_VECTOR));

  if (!sk_vec_parse (text, out, NULL))
    g_assert_not_reached ();
}

gboolean
sk_settings_add_library_dir (SkStore *store, const char *dir, GError **error)
{
  g_autofree char *dirs = NULL;
  g_auto (GStrv) list = NULL;
  g_autofree char *value = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (dir != NULL && g_path_is_absolute (dir), FALSE);

  if (strchr (dir, ':') != NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "The directory %s has a “:” in its name, which library_dirs cannot hold: "
                   "its files would not play. Import them from another directory.",
                   dir);
      return FALSE;
    }
  dirs = sk_settings_dup_string (store, "library_dirs");
  list = g_strsplit (dirs, ":", -1);
  if (g_strv_contains ((const char *const *) list, dir))
    return TRUE;
  value = *dirs != '\0' ? g_strconcat (dirs, ":", dir, NULL) : g_strdup (dir);
  return sk_settings_set (store, "library_dirs", value, error);
}
