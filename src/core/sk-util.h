/* sk-util.h: small helpers shared by the whole core: time stamps, vectors,
 * identifiers and strategy names. */
#pragma once

#include <json-glib/json-glib.h>
#include <sndfile.h>

#include "sk-types.h"

G_BEGIN_DECLS

/* Timestamps are microseconds since the epoch in memory and ISO-8601 UTC
 * with six fractional digits ("2024-05-01T10:34:56.789000Z") in storage, so
 * that stored strings sort in time order. */
char *sk_time_format (gint64 usec);
gboolean sk_time_parse (const char *text, gint64 *out_usec, GError **error);

/* Every number stored, sent or parsed as text goes through these two, in
 * the C locale whatever the process's locale is ("0.5", never "0,5").
 * sk_number_format writes the shortest text that reads back as exactly @v
 * into @buf and returns @buf. sk_number_parse reads a finite decimal
 * number (no hex, no inf or nan); with @end NULL the whole of @text must
 * be the number, else *@end is set after it. */
#define SK_NUMBER_BUF_SIZE G_ASCII_DTOSTR_BUF_SIZE
const char *sk_number_format (char buf[SK_NUMBER_BUF_SIZE], double v);
gboolean sk_number_parse (const char *text, const char **end, double *out, GError **error);

/* A vector as text is "[0.9,0.1,0.4,0.2,0.8]": exactly SK_DIM finite numbers,
 * in [0, 1] for sk_vec_parse, any for sk_vec_parse_full with !@unit_range
 * (the taste momentum). */
gboolean sk_vec_parse (const char *text, double out[SK_DIM], GError **error);
gboolean
sk_vec_parse_full (const char *text, double out[SK_DIM], gboolean unit_range, GError **error);
char *sk_vec_format (const double v[SK_DIM]);
gboolean sk_vec_from_json (JsonNode *node, double out[SK_DIM], gboolean unit_range, GError **error);
JsonNode *sk_vec_to_json (const double v[SK_DIM]);

/* A list of exactly @n finite numbers (any sign, @n at most
 * SK_NUMBERS_MAX), as text "[1,-0.5,2]" written like the vectors, or as a
 * JSON array (or a JSON string holding that text). */
#define SK_NUMBERS_MAX 64
gboolean sk_numbers_parse (const char *text, double *out, guint n, GError **error);
char *sk_numbers_format (const double *v, guint n);
gboolean sk_numbers_from_json (JsonNode *node, double *out, guint n, GError **error);
JsonNode *sk_numbers_to_json (const double *v, guint n);

char *sk_uuid_new (void);

/* Orders an array of strings (g_ptr_array_sort) by their bytes, the same
 * whatever the locale: the order files of a directory are taken in. */
int sk_str_ptr_cmp (gconstpointer a, gconstpointer b);

const char *sk_strategy_to_string (SkStrategy strategy);
gboolean sk_strategy_from_string (const char *text, SkStrategy *out, GError **error);

/* No JSON the project reads nests deeper than this; json-glib recurses
 * once per level, so a deeper document would end the stack. */
#define SK_JSON_MAX_DEPTH 64

/* The cheap scan before any JSON is parsed: FALSE (SK_INPUT_ERROR_TOO_LARGE)
 * when arrays and objects nest deeper than SK_JSON_MAX_DEPTH. Strings are
 * skipped; anything else malformed is left to the parser to name. */
gboolean sk_json_check_depth (const char *data, gsize len, GError **error);

/* Parse a whole JSON document from a file or from memory (the depth
 * checked first), refusing anything whose root is not an object. */
JsonNode *sk_json_load_object (const char *path, GError **error);
JsonNode *sk_json_parse_object (const char *data, gsize len, GError **error);

/* Opens @path for reading the way every audio file is opened: O_NOFOLLOW
 * (a symbolic link is refused), O_NONBLOCK (a FIFO put in a file's place
 * cannot block the caller, nor a stop() waiting for it) and O_CLOEXEC, then
 * fstat: only a regular file is accepted. -1 with errno set otherwise
 * (ELOOP for a link, EINVAL for anything but a regular file). */
int sk_open_regular_file (const char *path);

/* sf_open_fd for reading, opened as sk_open_regular_file does, but for
 * one thing: a pipe is read too (soundscape-ctl play from a pipe), with a
 * bounded wait (SK_PIPE_WAIT_MS) for its first bytes, so that a pipe
 * nobody writes to is refused rather than blocking the caller for ever.
 * libsndfile's process-global open error is read under one lock, so that
 * two threads failing at once keep their own reasons. On failure NULL,
 * *@code the libsndfile error (SF_ERR_SYSTEM when the file itself was
 * refused) and *@reason its text (to free). */
#define SK_PIPE_WAIT_MS 2000
SNDFILE *sk_sndfile_open (const char *path, SF_INFO *info, int *code, char **reason);

/* @name in the directory systemd gives the service in @env_var
 * (STATE_DIRECTORY, CONFIGURATION_DIRECTORY: the first of a
 * colon-separated list), else in @fallback_dir. */
char *sk_service_dir_file (const char *env_var, const char *fallback_dir, const char *name);

/* Binds the project's message catalogue (GETTEXT_PACKAGE, in UTF-8, under
 * the directory SK_LOCALEDIR names in the environment, e.g. a build
 * tree's po/ for its tests, else under the install's locale directory)
 * and makes it the program's default domain; after setlocale, before the
 * first translated string. */
void sk_i18n_init (void);

G_END_DECLS
