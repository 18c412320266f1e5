/* ctl-config.c: config, the settings. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-kiosk-dbus.h"
#include "sk-settings.h"
#include "sk-taste.h"
#include "sk-util.h"

/* --- settings ----------------------------------------------------------- */

static void
print_setting (SkStore *store, const SkSetting *setting, gboolean verbose)
{
  g_autofree char *stored = sk_store_dup_setting (store, setting->key);
  g_autofree char *effective = NULL;

  switch (setting->kind)
    {
    case SK_SETTING_INT:
    case SK_SETTING_DOUBLE:
      {
        char buf[SK_NUMBER_BUF_SIZE];

        effective = g_strdup (sk_number_format (buf, sk_settings_get_double (store, setting->key)));
      }
      break;
    case SK_SETTING_VECTOR:
      {
        double v[SK_DIM];

        g_autofree char *text = NULL;

        sk_settings_get_vector (store, setting->key, v);
        text = sk_vec_format (v);
        effective = format_vec_short (text);
      }
      break;
    case SK_SETTING_STRING:
    case SK_SETTING_CHOICE:
    default:
      effective = sk_settings_dup_string (store, setting->key);
      break;
    }
  if (!verbose)
    {
      printf ("%s\n", effective);
      return;
    }
  printf ("%-22s %-24s %s%s\n", setting->key, *effective ? effective : "\"\"", setting->summary,
          stored == NULL ? " (default)" : "");
}

int
cmd_config (int argc, char **argv)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GError) error = NULL;
  gboolean reset = FALSE;
  const SkSetting *setting;
  g_autofree char *pin = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  GOptionEntry entries[] = { { "reset", 0, 0, G_OPTION_ARG_NONE, &reset,
                               "Put KEY back to its default", NULL },
                             ctl_pin_option (&pin),
                             { NULL } };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  /* a change goes through soundscaped when it runs; reading is the file's */
  if (argc >= 2 && (argc == 3 || reset) && (kiosk = ctl_bus_kiosk (FALSE, NULL)) != NULL)
    {
      if (argc == 3 && reset)
        return fail ("config: give a VALUE or --reset, not both");
      return ctl_bus_config (kiosk, pin, argv[1], reset ? NULL : argv[2]);
    }
  store = open_store (argc == 3 || reset ? SK_STORE_OPEN_EXISTING : SK_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return EXIT_FAILURE;
  if (argc == 1)
    {
      guint n;
      const SkSetting *all = sk_settings_list (&n);

      if (reset)
        return fail ("config: --reset needs a KEY");
      for (guint i = 0; i < n; i++)
        print_setting (store, &all[i], TRUE);
      return EXIT_SUCCESS;
    }
  setting = sk_settings_lookup (argv[1], &error);
  if (setting == NULL)
    return fail ("config: %s", error->message);
  if (argc == 3 && reset)
    return fail ("config: give a VALUE or --reset, not both");
  if (argc == 3 || reset)
    {
      if (!sk_settings_set (store, setting->key, reset ? NULL : argv[2], &error))
        return fail ("config: %s", error->message);
      printf ("%s = ", setting->key);
    }
  print_setting (store, setting, FALSE);
  return EXIT_SUCCESS;
}
