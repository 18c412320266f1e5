/* sk-config.c: kiosk.conf and its conf.d drop-ins (sk-config.h). */
#include "config.h"

#include "sk-config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "sk-settings.h"
#include "sk-util.h"

/* clang-format off */
G_DEFINE_QUARK (sk-config-error-quark, sk_config_error)
/* clang-format on */

typedef enum
{
  KEY_URL,
  KEY_PCM,
  KEY_NFC,
  KEY_CACHE,
  KEY_ROTATION,
  KEY_DIM,
  KEY_EDGE,
} KeyKind;

/* The one list of what kiosk.conf may say (data/kiosk.conf documents
 * each). */
static const struct
{
  const char *group;
  const char *key;
  KeyKind kind;
} keys[] = {
  { "sync", "url", KEY_URL },
  { "audio", "pcm", KEY_PCM },
  { "nfc", "device", KEY_NFC },
  { "cache", "max-mb", KEY_CACHE },
  { "screen", "rotation", KEY_ROTATION },
  { "screen", "dim-after", KEY_DIM },
  { "screen", "reader-edge", KEY_EDGE },
};

static const char *const edges[] = { "bottom", "top", "left", "right" };

SkConfig *
sk_config_new (void)
{
  SkConfig *self = g_new0 (SkConfig, 1);

  self->cache_max_mb = -1;
  self->dim_after = -1;
  self->reader_edge = SK_CONFIG_EDGE_BOTTOM;
  self->files = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
sk_config_free (SkConfig *self)
{
  if (self == NULL)
    return;
  g_free (self->sync_url);
  g_free (self->pcm);
  g_free (self->nfc_device);
  g_ptr_array_unref (self->files);
  g_free (self);
}

static SkConfig *
config_copy (const SkConfig *self)
{
  SkConfig *copy = sk_config_new ();

  copy->sync_url = g_strdup (self->sync_url);
  copy->pcm = g_strdup (self->pcm);
  copy->nfc_device = g_strdup (self->nfc_device);
  copy->cache_max_mb = self->cache_max_mb;
  copy->rotation = self->rotation;
  copy->dim_after = self->dim_after;
  copy->reader_edge = self->reader_edge;
  for (guint i = 0; i < self->files->len; i++)
    g_ptr_array_add (copy->files, g_strdup (self->files->pdata[i]));
  return copy;
}

const char *
sk_config_edge_to_string (SkConfigEdge edge)
{
  g_return_val_if_fail (edge < G_N_ELEMENTS (edges), NULL);
  return edges[edge];
}

/* The line (from 1) where @group's @key is set in @text, the last one when
 * set twice (as GKeyFile takes it); 0 when not found. */
static guint
find_line (const char *text, const char *group, const char *key)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *current = NULL;
  guint found = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *end;

      while (g_ascii_isspace (*line))
        line++;
      if (*line == '#' || *line == '\0')
        continue;
      if (*line == '[')
        {
          end = strchr (line, ']');
          g_free (current);
          current = end != NULL ? g_strndup (line + 1, (gsize) (end - line - 1)) : NULL;
          continue;
        }
      end = strchr (line, '=');
      if (end == NULL || g_strcmp0 (current, group) != 0)
        continue;
      while (end > line && g_ascii_isspace (end[-1]))
        end--;
      if ((gsize) (end - line) == strlen (key) && strncmp (line, key, (gsize) (end - line)) == 0)
        found = i + 1;
    }
  return found;
}

static gboolean
value_error (GError **error,
             const char *path,
             const char *text,
             const char *group,
             const char *key,
             const char *reason)
{
  guint line = find_line (text, group, key);

  if (line > 0)
    g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE, "%s:%u: [%s] %s: %s", path, line,
                 group, key, reason);
  else
    g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE, "%s: [%s] %s: %s", path, group, key,
                 reason);
  return FALSE;
}

/* FALSE, with @error saying that @value is not @what. */
static gboolean
not_a (const char *value, const char *what, GError **error)
{
  g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE, "“%s” is not %s", value, what);
  return FALSE;
}

static gboolean
check_url (const char *value, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      host == NULL || *host == '\0')
    return not_a (value, "an https:// (or http://) URL with a host", error);
  return TRUE;
}

/* @value as a whole number from 0 to @max, a multiple of @step, in *@n;
 * else FALSE, with @error saying it is not @what. */
static gboolean
parse_whole (
    const char *value, guint64 max, guint64 step, const char *what, guint64 *n, GError **error)
{
  if (g_ascii_string_to_unsigned (value, 10, 0, max, n, NULL) && *n % step == 0)
    return TRUE;
  return not_a (value, what, error);
}

/* One key of @kf onto @cfg; FALSE with @error (naming nothing: the caller
 * adds the file, the line and the key). */
static gboolean
apply_key (
    SkConfig *cfg, GKeyFile *kf, const char *group, const char *key, KeyKind kind, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *value = g_key_file_get_string (kf, group, key, &local);
  guint64 n = 0;

  if (value == NULL)
    {
      g_set_error_literal (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE, local->message);
      return FALSE;
    }
  g_strstrip (value);
  switch (kind)
    {
    case KEY_URL:
    case KEY_PCM:
    case KEY_NFC:
      {
        char **slot = kind == KEY_URL   ? &cfg->sync_url
                      : kind == KEY_PCM ? &cfg->pcm
                                        : &cfg->nfc_device;

        /* empty: not set (a drop-in may clear what an earlier file set) */
        if (*value != '\0')
          {
            if (kind == KEY_URL && !check_url (value, error))
              return FALSE;
            if (kind == KEY_PCM && !sk_settings_validate ("audio_pcm", value, error))
              return FALSE;
            if (kind == KEY_NFC && !sk_settings_validate ("nfc_device", value, error))
              return FALSE;
          }
        g_free (*slot);
        *slot = *value != '\0' ? g_steal_pointer (&value) : NULL;
        return TRUE;
      }
    /* cache and dim-after: empty is not set (-1) */
    case KEY_CACHE:
      if (*value != '\0' &&
          !parse_whole (value, 1024 * 1024, 1, "a whole number of megabytes from 0 to 1048576", &n,
                        error))
        return FALSE;
      cfg->cache_max_mb = *value != '\0' ? (gint64) n : -1;
      return TRUE;
    case KEY_ROTATION:
      if (!parse_whole (value, 270, 90, "one of 0, 90, 180, 270", &n, error))
        return FALSE;
      cfg->rotation = (guint) n;
      return TRUE;
    case KEY_DIM:
      if (*value != '\0' &&
          !parse_whole (value, 86400, 1, "a whole number of seconds from 0 to 86400", &n, error))
        return FALSE;
      cfg->dim_after = *value != '\0' ? (gint) n : -1;
      return TRUE;
    case KEY_EDGE:
      for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
        if (g_strcmp0 (value, edges[i]) == 0)
          {
            cfg->reader_edge = (SkConfigEdge) i;
            return TRUE;
          }
      return not_a (value, "one of bottom, top, left, right", error);
    default:
      g_assert_not_reached ();
    }
}

static int
known_key (const char *group, const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i].group, group) == 0 && strcmp (keys[i].key, key) == 0)
      return (int) i;
  return -1;
}

static gboolean
known_group (const char *group)
{
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (keys[i].group, group) == 0)
      return TRUE;
  return FALSE;
}

/* One file onto @cfg. A missing file: TRUE, nothing read. */
static gboolean
load_file (SkConfig *cfg, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) groups = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_READ, "%s", local->message);
      return FALSE;
    }
  if (!g_key_file_load_from_data (kf, text, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_PARSE, "%s: %s", path, local->message);
      return FALSE;
    }
  groups = g_key_file_get_groups (kf, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto (GStrv) names = g_key_file_get_keys (kf, groups[g], NULL, NULL);

      if (!known_group (groups[g]))
        {
          g_warning ("%s:%u: unknown group [%s] ignored", path,
                     find_line (text, groups[g], names != NULL && names[0] != NULL ? names[0] : ""),
                     groups[g]);
          continue;
        }
      for (guint k = 0; names != NULL && names[k] != NULL; k++)
        {
          int i = known_key (groups[g], names[k]);
          g_autoptr (GError) bad = NULL;

          if (i < 0)
            {
              g_warning ("%s:%u: unknown key %s in [%s] ignored", path,
                         find_line (text, groups[g], names[k]), names[k], groups[g]);
              continue;
            }
          if (!apply_key (cfg, kf, groups[g], names[k], keys[i].kind, &bad))
            return value_error (error, path, text, groups[g], names[k], bad->message);
        }
    }
  g_ptr_array_add (cfg->files, g_strdup (path));
  return TRUE;
}

gboolean
sk_config_load (SkConfig *self, const char *path, GError **error)
{
  g_autoptr (SkConfig) work = NULL;
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *dir = NULL;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  const char *name;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  work = config_copy (self);
  if (!load_file (work, path, error))
    return FALSE;

  dir = g_build_filename (parent, "conf.d", NULL);
  d = g_dir_open (dir, 0, &local);
  if (d == NULL && !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_READ, "%s", local->message);
      return FALSE;
    }
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".conf") && name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, sk_str_ptr_cmp);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (dir, names->pdata[i], NULL);

      if (!load_file (work, file, error))
        return FALSE;
    }

  /* all read: keep it */
  g_free (self->sync_url);
  g_free (self->pcm);
  g_free (self->nfc_device);
  g_ptr_array_unref (self->files);
  *self = *work;
  g_free (g_steal_pointer (&work));
  return TRUE;
}

gboolean
sk_config_load_named (SkConfig *self, const char *named, GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (named != NULL && !g_file_test (named, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_MISSING, "--config: there is no file %s",
                   named);
      return FALSE;
    }
  path = named != NULL ? g_strdup (named) : sk_config_default_path ();
  return sk_config_load (self, path, error);
}

char *
sk_config_default_path (void)
{
  return sk_service_dir_file ("CONFIGURATION_DIRECTORY", SK_SYSCONFDIR, "kiosk.conf");
}

char *
sk_config_read_credential (const char *name, GError **error)
{
  return sk_config_read_credential_in (g_getenv ("CREDENTIALS_DIRECTORY"), name, error);
}

char *
sk_config_read_credential_in (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  g_return_val_if_fail (name != NULL && strchr (name, '/') == NULL, NULL);

  if (dir == NULL || *dir == '\0')
    return NULL;
  path = g_build_filename (dir, name, NULL);
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    text[--len] = '\0';
  if (len == 0)
    return NULL;
  if (memchr (text, '\0', len) != NULL || !g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE,
                   "The credential %s is not one line of text", name);
      return NULL;
    }
  return g_steal_pointer (&text);
}
