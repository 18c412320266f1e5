/* sk-config.h: what an installer sets, read from kiosk.conf.
 *
 * /etc/soundscape-kiosk/kiosk.conf is a GKeyFile; the files
 * conf.d/NAME.conf beside it are read after it in the lexical order of
 * their names, each key overriding what came before. A missing file (or
 * conf.d) leaves the defaults; a key or group this reader does not know is
 * a warning naming the file, so that a typo is seen but never stops the
 * kiosk; a value that is not valid is an error naming the file, the line
 * and the key, and nothing of that load is kept.
 *
 * Every key is optional. A key that is not set defers to the database's
 * settings (sk-settings.h: audio_pcm, nfc_device, media_cache_max_mb),
 * which the admin page changes; a key that is set pins the value for the
 * installer; a command-line option overrides both.
 *
 * Secrets (the player token, the anon key) are never in these files: they
 * come through systemd's LoadCredential=, read with sk_config_read_credential().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SK_CONFIG_ERROR (sk_config_error_quark ())

typedef enum
{
  SK_CONFIG_ERROR_PARSE,   /* not a key file */
  SK_CONFIG_ERROR_VALUE,   /* a value this key does not take */
  SK_CONFIG_ERROR_READ,    /* the file exists but cannot be read */
  SK_CONFIG_ERROR_MISSING, /* the file named by --config is not there */
} SkConfigError;

GQuark sk_config_error_quark (void);

typedef enum
{
  SK_CONFIG_EDGE_BOTTOM,
  SK_CONFIG_EDGE_TOP,
  SK_CONFIG_EDGE_LEFT,
  SK_CONFIG_EDGE_RIGHT,
} SkConfigEdge;

typedef struct
{
  char *sync_url;           /* [sync] url: the Supabase project (NULL: not set) */
  char *pcm;                /* [audio] pcm: the ALSA PCM (NULL: the database's) */
  char *nfc_device;         /* [nfc] device: libnfc connection string, or "none" */
  gint64 cache_max_mb;      /* [cache] max-mb (-1: the database's) */
  guint rotation;           /* [screen] rotation: 0, 90, 180 or 270 degrees clockwise */
  gint dim_after;           /* [screen] dim-after: seconds (0: never; -1: the app's) */
  SkConfigEdge reader_edge; /* [screen] reader-edge: where the reader sits */
  /* the files read, in order (for the log) */
  GPtrArray *files;
} SkConfig;

/* The defaults: nothing set, rotation 0, reader at the bottom. */
SkConfig *sk_config_new (void);
void sk_config_free (SkConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkConfig, sk_config_free)

/* Reads @path, then DIR/conf.d/ *.conf (DIR: @path's directory) in lexical
 * order. A missing @path or conf.d is not an error. On an error @self is
 * left as it was. */
gboolean sk_config_load (SkConfig *self, const char *path, GError **error);

/* What a program's --config asks for: @named (NULL: not given, and then
 * the default file, sk_config_default_path(), which may be missing) read
 * by sk_config_load(). A file named that is not there is an error,
 * SK_CONFIG_ERROR_MISSING ("--config: there is no file PATH"): a typo must
 * not run the kiosk on the defaults unsaid. */
gboolean sk_config_load_named (SkConfig *self, const char *named, GError **error);

/* The file a program reads when not told: $CONFIGURATION_DIRECTORY's
 * kiosk.conf under systemd (ConfigurationDirectory=), else the one in the
 * build's sysconfdir. */
char *sk_config_default_path (void);

/* The credential @name from $CREDENTIALS_DIRECTORY (LoadCredential=),
 * without its trailing newline; NULL without @error when there is no
 * credentials directory, no such file or an empty one. */
char *sk_config_read_credential (const char *name, GError **error);
/* The same from the directory @dir (NULL or empty: none), for a program
 * not started by systemd (soundscaped --credentials-dir). */
char *sk_config_read_credential_in (const char *dir, const char *name, GError **error);

const char *sk_config_edge_to_string (SkConfigEdge edge);

G_END_DECLS
