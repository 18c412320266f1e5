/* test-config.c: kiosk.conf and its conf.d drop-ins, read from real files
 * in a temporary directory: defaults when missing, drop-ins in lexical
 * order, unknown keys warned, bad values refused with file, line and key,
 * the shipped kiosk.conf in step with the reader, and credentials. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "sk-config.h"
#include "sk-test-util.h"

typedef struct
{
  char *dir;
  char *path; /* DIR/kiosk.conf */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *conf_d = NULL;

  f->dir = sk_test_mkdtemp ();
  f->path = g_build_filename (f->dir, "kiosk.conf", NULL);
  conf_d = g_build_filename (f->dir, "conf.d", NULL);
  g_assert_cmpint (g_mkdir (conf_d, 0755), ==, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  sk_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
write_file (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
write_drop_in (Fixture *f, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (f->dir, "conf.d", name, NULL);

  write_file (path, text);
}

static void
assert_defaults (const SkConfig *cfg)
{
  g_assert_null (cfg->sync_url);
  g_assert_null (cfg->pcm);
  g_assert_null (cfg->nfc_device);
  g_assert_cmpint (cfg->cache_max_mb, ==, -1);
  g_assert_cmpuint (cfg->rotation, ==, 0);
  g_assert_cmpint (cfg->dim_after, ==, -1);
  g_assert_cmpint (cfg->reader_edge, ==, SK_CONFIG_EDGE_BOTTOM);
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *conf_d = g_build_filename (f->dir, "conf.d", NULL);

  /* neither the file nor conf.d */
  g_assert_cmpint (g_rmdir (conf_d), ==, 0);
  g_assert_true (sk_config_load (cfg, f->path, &error));
  g_assert_no_error (error);
  assert_defaults (cfg);
  g_assert_cmpuint (cfg->files->len, ==, 0);
}

static void
test_values (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;

  write_file (f->path, "# the venue's\n"
                       "[sync]\nurl = https://abc.supabase.co\n"
                       "[audio]\npcm=default:CARD=vc4hdmi0\n"
                       "[nfc]\ndevice=pn532_uart:/dev/ttyUSB0\n"
                       "[cache]\nmax-mb=2048\n"
                       "[screen]\nrotation=270\ndim-after=0\nreader-edge=right\n");
  g_assert_true (sk_config_load (cfg, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cfg->sync_url, ==, "https://abc.supabase.co");
  g_assert_cmpstr (cfg->pcm, ==, "default:CARD=vc4hdmi0");
  g_assert_cmpstr (cfg->nfc_device, ==, "pn532_uart:/dev/ttyUSB0");
  g_assert_cmpint (cfg->cache_max_mb, ==, 2048);
  g_assert_cmpuint (cfg->rotation, ==, 270);
  g_assert_cmpint (cfg->dim_after, ==, 0);
  g_assert_cmpint (cfg->reader_edge, ==, SK_CONFIG_EDGE_RIGHT);
  g_assert_cmpstr (sk_config_edge_to_string (cfg->reader_edge), ==, "right");
  g_assert_cmpuint (cfg->files->len, ==, 1);
  g_assert_cmpstr (cfg->files->pdata[0], ==, f->path);
}

/* conf.d/ *.conf after kiosk.conf, in the lexical order of their names
 * (whatever order the directory lists them in); other names are not
 * read; an empty value clears what an earlier file set. */
static void
test_drop_in_order (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *first = g_build_filename (f->dir, "conf.d", "10-pi.conf", NULL);

  write_file (f->path,
              "[audio]\npcm=hw:0\n[screen]\nrotation=90\n[nfc]\ndevice=pn532_uart:/dev/ttyS0\n");
  write_drop_in (f, "20-venue.conf", "[screen]\nrotation=180\n");
  write_drop_in (f, "10-pi.conf", "[screen]\nrotation=270\n[audio]\npcm=default:CARD=Headphones\n");
  write_drop_in (f, "99-clear.conf", "[nfc]\ndevice=\n");
  write_drop_in (f, "30-ignored.conf.bak", "[screen]\nrotation=0\n");
  write_drop_in (f, ".40-hidden.conf", "[screen]\nrotation=0\n");
  g_assert_true (sk_config_load (cfg, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cfg->rotation, ==, 180);
  g_assert_cmpstr (cfg->pcm, ==, "default:CARD=Headphones");
  g_assert_null (cfg->nfc_device);
  g_assert_cmpuint (cfg->files->len, ==, 4);
  g_assert_cmpstr (cfg->files->pdata[1], ==, first);
}

/* A drop-in alone, with no kiosk.conf, is read. */
static void
test_drop_in_alone (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;

  write_drop_in (f, "50-cache.conf", "[cache]\nmax-mb=0\n");
  g_assert_true (sk_config_load (cfg, f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cfg->cache_max_mb, ==, 0);
}

static void
test_unknown_warned (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *key_warning = NULL;
  g_autofree char *group_warning = NULL;

  write_file (f->path, "[audio]\npcm=hw:1\nvolume=3\n[printer]\nname=x\n");
  key_warning = g_strdup_printf ("%s:3: unknown key volume in [audio] ignored", f->path);
  group_warning = g_strdup_printf ("%s:5: unknown group [printer] ignored", f->path);
  g_test_expect_message ("sk-config", G_LOG_LEVEL_WARNING, key_warning);
  g_test_expect_message ("sk-config", G_LOG_LEVEL_WARNING, group_warning);
  g_assert_true (sk_config_load (cfg, f->path, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpstr (cfg->pcm, ==, "hw:1");
}

typedef struct
{
  const char *text;
  guint line;
  const char *key;
  const char *reason;
} BadCase;

static const BadCase bad_cases[] = {
  { "[screen]\nrotation=45\n", 2, "[screen] rotation", "not one of 0, 90, 180, 270" },
  { "[screen]\n\n# turned\nrotation = -90\n", 4, "[screen] rotation", "not one of 0, 90" },
  { "[screen]\ndim-after=soon\n", 2, "[screen] dim-after", "whole number of seconds" },
  { "[screen]\ndim-after=90000\n", 2, "[screen] dim-after", "whole number of seconds" },
  { "[screen]\nreader-edge=middle\n", 2, "[screen] reader-edge", "bottom, top, left, right" },
  { "[cache]\nmax-mb=lots\n", 2, "[cache] max-mb", "whole number of megabytes" },
  { "[cache]\nmax-mb=2000000\n", 2, "[cache] max-mb", "whole number of megabytes" },
  { "[sync]\nurl=ftp://example.org\n", 2, "[sync] url", "not an https://" },
  { "[sync]\nurl=https://\n", 2, "[sync] url", "not an https://" },
  /* the settings table's own check of the database's audio_pcm */
  { "[audio]\npcm=a\\nb\n", 2, "[audio] pcm", "one line of text" },
};

static void
test_bad_values (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      g_autoptr (SkConfig) cfg = sk_config_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *where = g_strdup_printf ("%s:%u: %s: ", f->path, c->line, c->key);

      write_file (f->path, c->text);
      g_assert_false (sk_config_load (cfg, f->path, &error));
      g_assert_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, where));
      g_assert_nonnull (strstr (error->message, c->reason));
      assert_defaults (cfg);
    }
}

/* A bad value in a drop-in names the drop-in, and nothing of the load is
 * kept: not even what kiosk.conf said. */
static void
test_bad_drop_in (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *drop_in = g_build_filename (f->dir, "conf.d", "50-bad.conf", NULL);
  g_autofree char *where = g_strdup_printf ("%s:3: [screen] rotation: ", drop_in);

  write_file (f->path, "[audio]\npcm=hw:2\n");
  write_drop_in (f, "50-bad.conf", "[screen]\n# typo\nrotation=900\n");
  g_assert_false (sk_config_load (cfg, f->path, &error));
  g_assert_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE);
  g_assert_true (g_str_has_prefix (error->message, where));
  assert_defaults (cfg);
}

static void
test_not_a_key_file (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;

  write_file (f->path, "pcm=hw:0\n");
  g_assert_false (sk_config_load (cfg, f->path, &error));
  g_assert_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_PARSE);
  g_assert_true (g_str_has_prefix (error->message, f->path));
}

static void
test_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr (SkConfig) cfg = sk_config_new ();
  g_autoptr (GError) error = NULL;

  /* a directory where the file should be */
  g_assert_cmpint (g_mkdir (f->path, 0755), ==, 0);
  g_assert_false (sk_config_load (cfg, f->path, &error));
  g_assert_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_READ);
}

/* The kiosk.conf the package installs: read as shipped (every key
 * commented out) it is the defaults with no warning; with every
 * "#key = value" line uncommented, each key is one the reader knows and
 * each example value is valid. */
static void
test_shipped (Fixture *f, gconstpointer data)
{
  g_autofree char *shipped = g_test_build_filename (G_TEST_DIST, "..", "systemd", "kiosk.conf",
                                                    NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GString) uncommented = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;
  guint n_keys = 0;

  g_file_get_contents (shipped, &text, NULL, &error);
  g_assert_no_error (error);
  write_file (f->path, text);
  {
    g_autoptr (SkConfig) cfg = sk_config_new ();

    g_assert_true (sk_config_load (cfg, f->path, &error));
    g_assert_no_error (error);
    assert_defaults (cfg);
  }

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      /* "#key = value": a key commented out (prose has a space after #) */
      if (line[0] == '#' && g_ascii_isalpha (line[1]) && strchr (line, '=') != NULL)
        {
          g_string_append_printf (uncommented, "%s\n", line + 1);
          n_keys++;
        }
      else
        g_string_append_printf (uncommented, "%s\n", line);
    }
  g_assert_cmpuint (n_keys, ==, 7);
  write_file (f->path, uncommented->str);
  {
    g_autoptr (SkConfig) cfg = sk_config_new ();

    g_assert_true (sk_config_load (cfg, f->path, &error));
    g_assert_no_error (error);
    g_assert_nonnull (cfg->sync_url);
    g_assert_nonnull (cfg->pcm);
    g_assert_nonnull (cfg->nfc_device);
    g_assert_cmpint (cfg->cache_max_mb, >=, 0);
  }
}

static void
test_default_path (void)
{
  g_autofree char *under_systemd = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *expected = g_build_filename (SK_SYSCONFDIR, "kiosk.conf", NULL);

  g_setenv ("CONFIGURATION_DIRECTORY", "/etc/one:/etc/two", TRUE);
  under_systemd = sk_config_default_path ();
  g_unsetenv ("CONFIGURATION_DIRECTORY");
  plain = sk_config_default_path ();
  g_assert_cmpstr (under_systemd, ==, "/etc/one/kiosk.conf");
  g_assert_cmpstr (plain, ==, expected);
}

static void
test_credentials (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token_path = g_build_filename (f->dir, "player-token", NULL);
  g_autofree char *empty_path = g_build_filename (f->dir, "anon-key", NULL);
  g_autofree char *binary_path = g_build_filename (f->dir, "binary", NULL);
  g_autofree char *token = NULL;
  g_autofree char *none = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *binary = NULL;
  g_autofree char *no_dir = NULL;

  write_file (token_path, "s3cret-token\n");
  /* SetCredential=anon-key: stands in when the file is missing: empty */
  write_file (empty_path, "");
  g_assert_true (g_file_set_contents (binary_path, "a\0b", 3, NULL));

  g_setenv ("CREDENTIALS_DIRECTORY", f->dir, TRUE);
  token = sk_config_read_credential ("player-token", &error);
  g_assert_no_error (error);
  none = sk_config_read_credential ("anon-key", &error);
  g_assert_no_error (error);
  missing = sk_config_read_credential ("nothing", &error);
  g_assert_no_error (error);
  binary = sk_config_read_credential ("binary", &error);
  g_assert_error (error, SK_CONFIG_ERROR, SK_CONFIG_ERROR_VALUE);
  g_clear_error (&error);
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  no_dir = sk_config_read_credential ("player-token", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (token, ==, "s3cret-token");
  g_assert_null (none);
  g_assert_null (missing);
  g_assert_null (binary);
  g_assert_null (no_dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/config/missing", test_missing);
  ADD ("/config/values", test_values);
  ADD ("/config/drop-in-order", test_drop_in_order);
  ADD ("/config/drop-in-alone", test_drop_in_alone);
  ADD ("/config/unknown-warned", test_unknown_warned);
  ADD ("/config/bad-values", test_bad_values);
  ADD ("/config/bad-drop-in", test_bad_drop_in);
  ADD ("/config/not-a-key-file", test_not_a_key_file);
  ADD ("/config/unreadable", test_unreadable);
  ADD ("/config/shipped", test_shipped);
  ADD ("/config/credentials", test_credentials);
#undef ADD
  g_test_add_func ("/config/default-path", test_default_path);
  return g_test_run ();
}
