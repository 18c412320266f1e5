/* sk-settings.h: what a venue can set, in one table.
 *
 * Settings live in the store's settings(key, value) table as text. This is
 * the one list of the keys a person may change (soundscape-ctl config, the
 * admin page), each with its kind, range, default and a sentence; the
 * programs read them through the typed getters here, so a value the table
 * refuses can never be saved, and a damaged one falls back to the default
 * with a log line. Keys the kiosk keeps for itself (player_id, the reader's
 * last status) are not in the table and cannot be set from outside.
 */
#pragma once

#include "sk-store.h"
#include "sk-types.h"

G_BEGIN_DECLS

typedef enum
{
  SK_SETTING_INT,
  SK_SETTING_DOUBLE,
  SK_SETTING_STRING,
  SK_SETTING_CHOICE, /* one of the words in `choices` */
  SK_SETTING_VECTOR, /* SK_DIM numbers in [0, 1] */
} SkSettingKind;

typedef struct
{
  const char *key;
  SkSettingKind kind;
  double min; /* INT, DOUBLE */
  double max;
  const char *fallback; /* the default, as text */
  const char *choices;  /* CHOICE: space-separated */
  const char *summary;
  /* STRING: a further check of the value (NULL: none) */
  gboolean (*check) (const char *value, GError **error);
} SkSetting;

const SkSetting *sk_settings_list (guint *n_settings);
/* NULL (with @error) for a key that is not a setting. */
const SkSetting *sk_settings_lookup (const char *key, GError **error);
/* Checks @value against the key's kind and range; the error says what is
 * allowed. */
gboolean sk_settings_validate (const char *key, const char *value, GError **error);
/* Validates, then stores; a NULL @value clears the stored value, so that
 * the default applies. */
gboolean sk_settings_set (SkStore *store, const char *key, const char *value, GError **error);

/* The stored value if valid, else the default (a stored value that is not
 * valid is logged). */
gint64 sk_settings_get_int (SkStore *store, const char *key);
double sk_settings_get_double (SkStore *store, const char *key);
/* STRING and CHOICE; "" when neither a value nor a default. */
char *sk_settings_dup_string (SkStore *store, const char *key);
void sk_settings_get_vector (SkStore *store, const char *key, double out[SK_DIM]);
/* Any kind, as the text stored (or the default's when none or not
 * valid): what a listing shows. */
char *sk_settings_dup_value (SkStore *store, const SkSetting *setting);

/* Adds the absolute @dir to the setting library_dirs (the directories
 * local audio files may play from) unless it is there. */
gboolean sk_settings_add_library_dir (SkStore *store, const char *dir, GError **error);

G_END_DECLS
