/* sk-util.c: time stamps, vectors, identifiers. */
#include "config.h"

#include <errno.h>
#include <libintl.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk-util.h"

/* the quark's name has dashes, which a formatter would space */
/* clang-format off */
G_DEFINE_QUARK (sk-input-error-quark, sk_input_error)
/* clang-format on */

/* Anything larger than this from outside is refused before it is parsed. */
#define SK_MAX_JSON_FILE (64 * 1024 * 1024)

char *
sk_time_format (gint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *base = NULL;
  gint64 secs = usec / G_USEC_PER_SEC;
  gint64 frac = usec % G_USEC_PER_SEC;

  if (frac < 0)
    {
      frac += G_USEC_PER_SEC;
      secs -= 1;
    }
  dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000000Z");
  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%06" G_GINT64_FORMAT "Z", base, frac);
}

gboolean
sk_time_parse (const char *text, gint64 *out_usec, GError **error)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();

  g_return_val_if_fail (out_usec != NULL, FALSE);

  if (text != NULL && strlen (text) < 64)
    dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "“%.64s” is not an ISO-8601 time stamp", text ? text : "(null)");
      return FALSE;
    }
  *out_usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

static gboolean
check_component (double x, guint i, gboolean unit_range, GError **error)
{
  if (!isfinite (x))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "vector component %u is not a finite number", i + 1);
      return FALSE;
    }
  if (unit_range && (x < 0.0 || x > 1.0))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "vector component %u is %g, outside [0, 1]", i + 1, x);
      return FALSE;
    }
  return TRUE;
}

const char *
sk_number_format (char buf[SK_NUMBER_BUF_SIZE], double v)
{
  /* the shortest of these that reads back as exactly @v (17 digits always
   * do), so that 0.1 stays "0.1" */
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, SK_NUMBER_BUF_SIZE, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  return buf;
}

gboolean
sk_number_parse (const char *text, const char **end, double *out, GError **error)
{
  const char *p = text;
  char *stop = NULL;
  double v;

  if (text == NULL)
    goto bad;
  while (g_ascii_isspace (*p))
    p++;
  if (*p == '+' || *p == '-')
    p++;
  /* g_ascii_strtod also takes hex, "inf" and "nan": none of them is ours */
  if (!(g_ascii_isdigit (*p) || (*p == '.' && g_ascii_isdigit (p[1]))) ||
      (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
    goto bad;
  v = g_ascii_strtod (text, &stop);
  if (stop == text || (end == NULL && *stop != '\0'))
    goto bad;
  if (!isfinite (v))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%.40s” is too large a number",
                   text);
      return FALSE;
    }
  *out = v;
  if (end != NULL)
    *end = stop;
  return TRUE;

bad:
  g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
               "“%.40s” is not a number like 0.5 or -23", text ? text : "(null)");
  return FALSE;
}

gboolean
sk_vec_parse (const char *text, double out[SK_DIM], GError **error)
{
  return sk_vec_parse_full (text, out, TRUE, error);
}

/* "[a,b,…]" with exactly @n numbers (at most SK_NUMBERS_MAX); @what names
 * the list in errors and @example shows one. */
static gboolean
parse_list (const char *text,
            double *out,
            guint n_expected,
            gboolean unit_range,
            const char *what,
            const char *example,
            GError **error)
{
  const char *p = text;
  double v[SK_NUMBERS_MAX];
  guint n = 0;

  g_return_val_if_fail (n_expected <= SK_NUMBERS_MAX, FALSE);

  if (text == NULL || strlen (text) > 64 * (gsize) n_expected + 1024)
    goto bad;
  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != '[')
    goto bad;
  for (;;)
    {
      const char *end = NULL;
      double x;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == ']' && n == 0)
        break;
      if (!sk_number_parse (p, &end, &x, NULL))
        goto bad;
      if (n == n_expected)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "%s has more than %u components", what, n_expected);
          return FALSE;
        }
      if (!check_component (x, n, unit_range, error))
        return FALSE;
      v[n++] = x;
      p = end;
      while (g_ascii_isspace (*p))
        p++;
      if (*p == ',')
        {
          p++;
          continue;
        }
      if (*p == ']')
        break;
      goto bad;
    }
  p++;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    goto bad;
  if (n != n_expected)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s has %u components, expected %u", what, n, n_expected);
      return FALSE;
    }
  memcpy (out, v, sizeof (double) * n);
  return TRUE;

bad:
  g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%.40s” is not a %s like %s",
               text ? text : "(null)", what, example);
  return FALSE;
}

gboolean
sk_vec_parse_full (const char *text, double out[SK_DIM], gboolean unit_range, GError **error)
{
  return parse_list (text, out, SK_DIM, unit_range, "vector", "[0.9,0.1,0.4,0.2,0.8]", error);
}

gboolean
sk_numbers_parse (const char *text, double *out, guint n, GError **error)
{
  return parse_list (text, out, n, FALSE, "list of numbers", "[1,-0.5,2]", error);
}

char *
sk_numbers_format (const double *v, guint n)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    {
      char buf[SK_NUMBER_BUF_SIZE];

      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, sk_number_format (buf, v[i]));
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

char *
sk_vec_format (const double v[SK_DIM])
{
  return sk_numbers_format (v, SK_DIM);
}

static gboolean
list_from_json (JsonNode *node,
                double *out,
                guint n_expected,
                gboolean unit_range,
                const char *what,
                GError **error)
{
  JsonArray *array;
  double v[SK_NUMBERS_MAX];
  guint n;

  g_return_val_if_fail (n_expected <= SK_NUMBERS_MAX, FALSE);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return parse_list (json_node_get_string (node), out, n_expected, unit_range, what,
                       n_expected == SK_DIM ? "[0.9,0.1,0.4,0.2,0.8]" : "[1,-0.5,2]", error);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "expected an array of %u numbers",
                   n_expected);
      return FALSE;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n != n_expected)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "%s has %u components, expected %u", what, n, n_expected);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      GType t = JSON_NODE_HOLDS_VALUE (e) ? json_node_get_value_type (e) : G_TYPE_INVALID;

      if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
        {
          g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "%s component %u is not a number", what, i + 1);
          return FALSE;
        }
      v[i] = json_node_get_double (e);
      if (!check_component (v[i], i, unit_range, error))
        return FALSE;
    }
  memcpy (out, v, sizeof (double) * n);
  return TRUE;
}

gboolean
sk_vec_from_json (JsonNode *node, double out[SK_DIM], gboolean unit_range, GError **error)
{
  return list_from_json (node, out, SK_DIM, unit_range, "vector", error);
}

gboolean
sk_numbers_from_json (JsonNode *node, double *out, guint n, GError **error)
{
  return list_from_json (node, out, n, FALSE, "list", error);
}

JsonNode *
sk_numbers_to_json (const double *v, guint n)
{
  JsonArray *array = json_array_sized_new (n);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < n; i++)
    json_array_add_double_element (array, v[i]);
  json_node_take_array (node, array);
  return node;
}

JsonNode *
sk_vec_to_json (const double v[SK_DIM])
{
  return sk_numbers_to_json (v, SK_DIM);
}

char *
sk_uuid_new (void)
{
  return g_uuid_string_random ();
}

int
sk_str_ptr_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

const char *
sk_strategy_to_string (SkStrategy strategy)
{
  switch (strategy)
    {
    case SK_STRATEGY_AVERAGE:
      return "average";
    case SK_STRATEGY_LEAST_MISERY:
      return "least_misery";
    case SK_STRATEGY_AVERAGE_WITHOUT_MISERY:
      return "average_without_misery";
    default:
      g_assert_not_reached ();
    }
}

gboolean
sk_strategy_from_string (const char *text, SkStrategy *out, GError **error)
{
  static const SkStrategy all[] = {
    SK_STRATEGY_AVERAGE,
    SK_STRATEGY_LEAST_MISERY,
    SK_STRATEGY_AVERAGE_WITHOUT_MISERY,
  };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (all); i++)
    if (strcmp (text, sk_strategy_to_string (all[i])) == 0)
      {
        *out = all[i];
        return TRUE;
      }
  g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
               "unknown strategy “%.40s” (expected average, least_misery or average_without_misery)",
               text ? text : "(null)");
  return FALSE;
}

gboolean
sk_json_check_depth (const char *data, gsize len, GError **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > SK_JSON_MAX_DEPTH)
            {
              g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
                           "nested deeper than %d levels", SK_JSON_MAX_DEPTH);
              return FALSE;
            }
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

JsonNode *
sk_json_parse_object (const char *data, gsize len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (len > SK_MAX_JSON_FILE)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE, "larger than %d MiB",
                   SK_MAX_JSON_FILE >> 20);
      return NULL;
    }
  if (!sk_json_check_depth (data, len, error))
    return NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "not valid JSON: %s",
                   local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "the top level must be a JSON object");
      return NULL;
    }
  return json_node_copy (root);
}

JsonNode *
sk_json_load_object (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;
  JsonNode *root;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  root = sk_json_parse_object (contents, len, &local);
  if (root == NULL)
    {
      g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
      return NULL;
    }
  return root;
}

char *
sk_service_dir_file (const char *env_var, const char *fallback_dir, const char *name)
{
  const char *dirs = g_getenv (env_var);

  if (dirs != NULL && *dirs != '\0')
    {
      g_auto (GStrv) each = g_strsplit (dirs, ":", 2);

      return g_build_filename (each[0], name, NULL);
    }
  return g_build_filename (fallback_dir, name, NULL);
}

int
sk_open_regular_file (const char *path)
{
  struct stat st;
  int fd;

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      errno = saved;
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      errno = EINVAL;
      return -1;
    }
  return fd;
}

static char *
refusal (int err)
{
  if (err == ELOOP)
    return g_strdup ("it is a symbolic link, which is not followed");
  if (err == EINVAL)
    return g_strdup ("it is not a regular file");
  return g_strdup (g_strerror (err));
}

/* sk_open_regular_file, or a pipe that has bytes to read within
 * SK_PIPE_WAIT_MS (then read blocking, as a file is). */
static int
open_audio (const char *path, char **reason)
{
  struct stat st;
  struct pollfd pfd;
  int fd;
  int rc;

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      *reason = refusal (saved);
      return -1;
    }
  if (S_ISREG (st.st_mode))
    return fd;
  if (!S_ISFIFO (st.st_mode))
    {
      close (fd);
      *reason = refusal (EINVAL);
      return -1;
    }
  pfd.fd = fd;
  pfd.events = POLLIN;
  do
    rc = poll (&pfd, 1, SK_PIPE_WAIT_MS);
  while (rc < 0 && errno == EINTR);
  if (rc <= 0 || !(pfd.revents & POLLIN) || fcntl (fd, F_SETFL, 0) != 0)
    {
      close (fd);
      *reason = g_strdup_printf ("it is a pipe that nobody wrote to within %d ms", SK_PIPE_WAIT_MS);
      return -1;
    }
  return fd;
}

SNDFILE *
sk_sndfile_open (const char *path, SF_INFO *info, int *code, char **reason)
{
  static GMutex lock;
  SNDFILE *sf;
  int fd;

  fd = open_audio (path, reason);
  if (fd < 0)
    {
      *code = SF_ERR_SYSTEM;
      return NULL;
    }
  g_mutex_lock (&lock);
  /* SF_TRUE: libsndfile closes the descriptor, also when it fails */
  sf = sf_open_fd (fd, SFM_READ, info, SF_TRUE);
  *code = sf == NULL ? sf_error (NULL) : SF_ERR_NO_ERROR;
  *reason = sf == NULL ? g_strdup (sf_strerror (NULL)) : NULL;
  g_mutex_unlock (&lock);
  return sf;
}

void
sk_i18n_init (void)
{
  const char *dir = g_getenv ("SK_LOCALEDIR");

  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : SK_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
