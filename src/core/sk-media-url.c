/* sk-media-url.c: the media cache's rules for a song's file_url: which
 * URLs are local and which are downloaded, the cache's file names, and
 * URLs fit for a message. Part of SkMediaCache (sk-media-cache-private.h). */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "sk-media-cache-private.h"

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
  return g_uri_join (G_URI_FLAGS_ENCODED_PATH, g_uri_get_scheme (uri), NULL,
                     g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
                     NULL, NULL);
}
/* Sorts a file_url into local (with its path) or http(s) (with its parsed
 * URI); anything else is refused here, in one place. */
gboolean
sk_media_classify_url (const char  *file_url,
                       UrlKind     *kind,
                       char       **local_path,
                       GUri       **uri,
                       GError     **error)
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
      g_autoptr(GError) local_error = NULL;
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
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GUri) parsed = g_uri_parse (file_url, SOUP_HTTP_URI_FLAGS, &local_error);

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
                 "use /path, file://, http:// or https://.", file_url);
  else
    g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED,
                 "The file URL scheme “%s:” is not supported: "
                 "only http, https, file and absolute paths are.", scheme);
  return FALSE;
}

/* NAME: the song id when it is a plain identifier (UUIDs are), else a
 * digest of it, so that no id from the network can reach outside the
 * directory; plus the URL's extension, which helps a person and libsndfile. */
char *
sk_media_build_path (SkMediaCache *self,
                     const char   *song_id,
                     GUri         *uri)
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
sk_media_file_size (const char *path,
                    gint64     *size)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  *size = st.st_size;
  return TRUE;
}

char *
sk_media_local_playable (const char  *path,
                         GError     **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || g_access (path, R_OK) != 0)
    {
      g_set_error (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING,
                   "The song's file %s is missing or cannot be read.", path);
      return NULL;
    }
  return g_strdup (path);
}
