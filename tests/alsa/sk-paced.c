/* sk-paced.c: the paced test PCM's configuration and counters. */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "sk-paced.h"

static char *
plugin_path (void)
{
  const char *env = g_getenv ("SK_PACED_PLUGIN");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_strdup (SK_PACED_PLUGIN);
}

gboolean
sk_paced_setup (const char *dir, char **reason)
{
  g_autofree char *plugin = plugin_path ();
  g_autofree char *conf_path = g_build_filename (dir, "asound.conf", NULL);
  g_autofree char *search = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_test (plugin, G_FILE_TEST_EXISTS))
    {
      *reason = g_strdup_printf ("the paced PCM module %s was not built", plugin);
      return FALSE;
    }
  text = g_strdup_printf ("pcm_type.sk_paced { lib \"%s\" }\n"
                          "pcm.sk_paced {\n"
                          "  @args [ SPEED FILE STATS ]\n"
                          "  @args.SPEED { type real default 1.0 }\n"
                          "  @args.FILE { type string default \"\" }\n"
                          "  @args.STATS { type string default \"\" }\n"
                          "  type sk_paced\n"
                          "  speed $SPEED\n"
                          "  file $FILE\n"
                          "  stats $STATS\n"
                          "}\n",
                          plugin);
  if (!g_file_set_contents (conf_path, text, -1, &error))
    {
      *reason = g_strdup (error->message);
      return FALSE;
    }
  /* ALSA_CONFIG_PATH replaces the search list: the stock file comes first */
  search = g_strdup_printf ("/usr/share/alsa/alsa.conf:%s", conf_path);
  g_setenv ("ALSA_CONFIG_PATH", search, TRUE);
  return TRUE;
}

char *
sk_paced_pcm_name (double speed, const char *file, const char *stats)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("sk_paced:SPEED=%s,FILE='%s',STATS='%s'",
                          g_ascii_dtostr (buf, sizeof buf, speed), file != NULL ? file : "",
                          stats != NULL ? stats : "");
}

gboolean
sk_paced_stall_next_write (guint ms, char **reason)
{
  static void *module;
  void (*stall) (unsigned int ms);

  /* the same path as alsa-lib's dlopen(), hence the same module and the
   * same counter; kept open for the process's life */
  if (module == NULL)
    {
      g_autofree char *plugin = plugin_path ();

      module = dlopen (plugin, RTLD_NOW | RTLD_LOCAL);
      if (module == NULL)
        {
          *reason = g_strdup (dlerror ());
          return FALSE;
        }
    }
  *(void **) (&stall) = dlsym (module, "sk_paced_stall_next_write");
  if (stall == NULL)
    {
      *reason = g_strdup (dlerror ());
      return FALSE;
    }
  stall (ms);
  return TRUE;
}

gboolean
sk_paced_read_stats (const char *path, SkPacedStats *stats)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean have_underruns = FALSE, have_frames = FALSE;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "underruns="))
        {
          stats->underruns = (guint) g_ascii_strtoull (lines[i] + 10, NULL, 10);
          have_underruns = TRUE;
        }
      else if (g_str_has_prefix (lines[i], "frames="))
        {
          stats->frames = g_ascii_strtoull (lines[i] + 7, NULL, 10);
          have_frames = TRUE;
        }
    }
  return have_underruns && have_frames;
}
