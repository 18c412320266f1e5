/* ctl-library.c: init, import, songs and cache: the library and its media. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "sk-import.h"
#include "sk-kiosk-dbus.h"
#include "sk-media-cache.h"
#include "sk-songs.h"
#include "sk-util.h"

/* --- init, import, songs ------------------------------------------------ */

int
cmd_init (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  int rc = parse_options_and_open (&argc, &argv, NULL, NULL, &engine, SK_STORE_OPEN_CREATE);

  if (rc >= 0)
    return rc;
  printf ("Database %s ready (schema %d), player %s\n",
          sk_store_get_path (sk_engine_get_store (engine)),
          sk_store_get_schema_version (sk_engine_get_store (engine)),
          sk_engine_get_player_id (engine));
  return EXIT_SUCCESS;
}

int
cmd_import (int argc, char **argv)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  g_autofree char *pin = NULL;
  GOptionEntry entries[] = { ctl_pin_option (&pin), { NULL } };
  guint n = 0;
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  kiosk = ctl_bus_kiosk (FALSE, NULL);
  if (kiosk != NULL)
    return ctl_bus_import (kiosk, pin, argv[1]);
  store = open_store (SK_STORE_OPEN_EXISTING);
  if (store == NULL)
    return EXIT_FAILURE;
  if (!sk_import_dir (store, argv[1], &n, &problems, &error))
    return fail ("import: %s", error->message);
  for (guint i = 0; i < problems->len; i++)
    {
      SkImportProblem *p = problems->pdata[i];

      fail ("%s: %s", p->path, p->reason);
    }
  return ctl_import_summary (n, problems->len);
}

int
cmd_songs (int argc, char **argv)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GPtrArray) songs = NULL;
  g_autoptr (GError) error = NULL;
  int rc = parse_options (&argc, &argv, NULL);

  if (rc >= 0)
    return rc;
  store = open_store (SK_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return EXIT_FAILURE;
  songs = sk_songs_list (store, &error);
  if (songs == NULL)
    return fail ("%s", error->message);
  for (guint i = 0; i < songs->len; i++)
    {
      SkSong *song = songs->pdata[i];
      g_autofree char *shown = format_vec_short (song->embedding);

      printf ("%s  %-28s %4ds  %s%s\n", song->id, song->title, (int) song->duration, shown,
              song->playable ? "" : "  (unplayable)");
    }
  return EXIT_SUCCESS;
}

/* --- media cache -------------------------------------------------------- */

typedef struct
{
  gboolean done;
  char *path;
  GError *error;
} CtlFetch;

static void
on_cache_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CtlFetch *cf = user_data;

  cf->path = sk_media_cache_fetch_finish (SK_MEDIA_CACHE (source), result, &cf->error);
  cf->done = TRUE;
}

/* Downloads one song of the library into the cache; an installer's check
 * that the device reaches the venue's storage. */
static gboolean
cache_fetch_one (SkStore *store, SkMediaCache *cache, const char *song_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkSong) song = NULL;
  CtlFetch cf = { 0 };

  song = sk_songs_lookup (store, song_id, &error);
  if (song == NULL)
    {
      fail ("cache: %s", error->message);
      return FALSE;
    }

  sk_media_cache_fetch_async (cache, song_id, song->file_url, song->sha256, -1, NULL,
                              on_cache_fetched, &cf);
  /* The session's own timeouts bound this wait. */
  while (!cf.done)
    g_main_context_iteration (NULL, TRUE);
  if (cf.error != NULL)
    {
      fail ("%s", cf.error->message);
      g_error_free (cf.error);
      return FALSE;
    }
  printf ("%s  %s\n", song_id, cf.path);
  g_free (cf.path);
  return TRUE;
}

int
cmd_cache (int argc, char **argv)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkMediaCache) cache = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  gboolean fetch = FALSE;
  gboolean ok = TRUE;
  g_autoptr (GPtrArray) media = NULL;
  guint64 used;
  GOptionEntry entries[] = { { "fetch", 0, 0, G_OPTION_ARG_NONE, &fetch,
                               "Download these songs into the cache first", NULL },
                             { NULL } };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  if (!fetch && argc > 1)
    return fail_usage ("cache: song ids are only taken with --fetch");
  store = open_store (SK_STORE_OPEN_EXISTING);
  if (store == NULL)
    return EXIT_FAILURE;
  dir = sk_media_cache_default_dir (store);
  cache = sk_media_cache_new (store, dir, 0);
  for (int i = 1; fetch && i < argc; i++)
    ok = cache_fetch_one (store, cache, argv[i]) && ok;
  if (fetch)
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;

  media = sk_media_cache_list (cache, &error);
  if (media == NULL)
    return fail ("%s", error->message);
  for (guint i = 0; i < media->len; i++)
    {
      SkMediaEntry *e = media->pdata[i];

      printf ("%s  %10" G_GUINT64_FORMAT "  fetched %s  played %s  %s\n", e->song_id, e->bytes,
              e->fetched_at ? e->fetched_at : "—", e->last_played_at ? e->last_played_at : "—",
              e->path);
    }
  used = sk_media_cache_get_used_bytes (cache, &error);
  if (error != NULL)
    return fail ("%s", error->message);
  printf ("%" G_GUINT64_FORMAT " bytes in %s\n", used, dir);
  return EXIT_SUCCESS;
}
