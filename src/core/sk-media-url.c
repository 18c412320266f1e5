/* sk-media-url.c: the media cache's rules for a song's file_url: which
 * URLs are local and which are downloaded, the cache's file names, and
 * URLs fit for a message. Part of SkMediaCache (sk-media-cache-private.h). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sk-media-cache-private.h"
#include "sk-settings.h"
#include "sk-util.h"

gboolean
sk_media_is_hex64 (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit (*s))
      return FALSE;
  return TRUE;
}

/* A URL fit for a log line or an error message: Storage's signed URLs
 * carry their token in the query. */
char *
sk_media_safe_url (GUri *uri)
{
  return g_uri_join (G_URI_FLAGS_ENCODED_PATH, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), g_uri_get_path (uri), NULL, NULL);
}
/* Sorts a file_url into local (with its path) or http(s) (with its parsed
 * URI); anything else is refused here, in one place. */
gboolean
sk_media_classify_url (
    const char *file_url, UrlKind *kind, char **local_path, GUri **uri, GError **error)
{
  const char *scheme;

  if (file_url == NULL || *file_url == '\0')
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID, "The song has no file URL.");
      return FALSE;
    }
  if (file_url[0] == '/')
    {
      *kind = URL_LOCAL;
      if (local_path != NULL)
        *local_path = g_strdup (file_url);
      return TRUE;
    }
  scheme = g_uri_peek_scheme (file_url);
  if (g_strcmp0 (scheme, "file") == 0)
    {
      g_autoptr (GError) local_error = NULL;
      char *path = g_filename_from_uri (file_url, NULL, &local_error);

      if (path == NULL)
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                       "The file URL %s is not a local file: %s", file_url, local_error->message);
          return FALSE;
        }
      *kind = URL_LOCAL;
      if (local_path != NULL)
        *local_path = path;
      else
        g_free (path);
      return TRUE;
    }
  if (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0)
    {
      g_autoptr (GError) local_error = NULL;
      g_autoptr (GUri) parsed = g_uri_parse (file_url, SOUP_HTTP_URI_FLAGS, &local_error);

      if (parsed == NULL || g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
        {
          g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID,
                       "The song's URL is malformed: %s",
                       local_error ? local_error->message : "it has no host");
          return FALSE;
        }
      *kind = URL_HTTP;
      if (uri != NULL)
        *uri = g_steal_pointer (&parsed);
      return TRUE;
    }
  if (scheme == NULL)
    g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                 "The file URL “%s” is neither an absolute path nor a URL: "
                 "use /path, file://, http:// or https://.",
                 file_url);
  else
    g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                 "The file URL scheme “%s:” is not supported: "
                 "only http, https, file and absolute paths are.",
                 scheme);
  return FALSE;
}

/* NAME: the song id when it is a plain identifier (UUIDs are), else a
 * digest of it, so that no id from the network can reach outside the
 * directory; plus the URL's extension, which helps a person and libsndfile. */
char *
sk_media_build_path (SkMediaCache *self, const char *song_id, GUri *uri)
{
  g_autofree char *stem = NULL;
  g_autofree char *base = g_path_get_basename (g_uri_get_path (uri));
  const char *dot = strrchr (base, '.');
  g_autofree char *ext = NULL;
  gboolean plain = strlen (song_id) <= 100 && song_id[0] != '.';
  g_autofree char *name = NULL;

  for (const char *p = song_id; plain && *p; p++)
    plain = g_ascii_isalnum (*p) || *p == '-' || *p == '_';
  if (plain)
    stem = g_strdup (song_id);
  else
    stem = g_compute_checksum_for_string (G_CHECKSUM_SHA256, song_id, -1);

  if (dot != NULL && dot[1] != '\0' && strlen (dot + 1) <= 5)
    {
      gboolean ok = TRUE;

      for (const char *p = dot + 1; *p; p++)
        ok = ok && g_ascii_isalnum (*p);
      if (ok)
        ext = g_ascii_strdown (dot + 1, -1);
      if (g_strcmp0 (ext, "part") == 0)
        g_clear_pointer (&ext, g_free);
    }
  name = ext ? g_strconcat (stem, ".", ext, NULL) : g_strdup (stem);
  return g_build_filename (self->dir, name, NULL);
}

gboolean
sk_media_file_size (const char *path, gint64 *size)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  *size = st.st_size;
  return TRUE;
}

/* @path is under one of the setting's directories, both sides resolved
 * (a link among the directories above the file cannot lead outside). */
static gboolean
in_library (SkStore *store, const char *path, GError **error)
{
  g_autofree char *dirs = sk_settings_dup_string (store, "library_dirs");
  g_auto (GStrv) list = g_strsplit (dirs, ":", -1);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *real_parent = realpath (parent, NULL);

  if (real_parent == NULL)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING,
                   "The song's file %s is missing or cannot be read.", path);
      return FALSE;
    }
  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *real_dir = NULL;
      gsize len;

      if (!g_path_is_absolute (list[i]))
        continue;
      real_dir = realpath (list[i], NULL);
      if (real_dir == NULL)
        continue;
      len = strlen (real_dir);
      if (strncmp (real_parent, real_dir, len) == 0 &&
          (real_parent[len] == '\0' || real_parent[len] == '/' || len == 1))
        return TRUE;
    }
  g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_OUTSIDE_LIBRARY,
               "The song's file %s is outside the library directories (%s): it is not "
               "played. Import it, or add its directory to the setting library_dirs.",
               path, *dirs != '\0' ? dirs : "none yet");
  return FALSE;
}

char *
sk_media_local_playable (SkMediaCache *self, const char *path, GError **error)
{
  int fd;
  int saved;

  if (!in_library (self->store, path, error))
    return NULL;
  /* Opened as the player will open it: never through a link, never
   * waiting on a pipe, only a regular file. */
  fd = sk_open_regular_file (path);
  if (fd < 0)
    {
      saved = errno;
      if (saved == ELOOP || saved == EINVAL)
        g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING,
                     "The song's file %s is not a regular file (%s): it is not played.", path,
                     saved == ELOOP ? "a symbolic link" : "a pipe, a directory or a device");
      else
        g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING,
                     "The song's file %s is missing or cannot be read (%s).", path,
                     g_strerror (saved));
      return NULL;
    }
  close (fd);
  return g_strdup (path);
}

gboolean
sk_media_check_synced_url (const char *file_url, GError **error)
{
  UrlKind kind;

  if (!sk_media_classify_url (file_url, &kind, NULL, NULL, error))
    return FALSE;
  if (kind != URL_HTTP)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                   "A song from the cloud must name its file by an http or https URL, "
                   "not “%s”: local files are only what an import on this device adds.",
                   file_url);
      return FALSE;
    }
  return TRUE;
}
