/* ctl-sync.c: soundscape-ctl sync status|now — the cloud sync of the
 * running soundscaped (docs/DESIGN.md, Cloud), and its line in status. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-kiosk-dbus.h"
#include "sk-songs.h"
#include "sk-util.h"

#define WAIT_S 60 /* sync now: the longest wait for the round's end */

void
ctl_bus_print_sync (SkDBusKiosk1 *kiosk)
{
  g_autoptr (GVariant) sync = sk_dbus_kiosk1_dup_sync_status (kiosk);
  const char *state = "off", *error = "";
  gint64 last = 0;
  guint pending = 0;
  g_autofree char *at = NULL;

  if (sync != NULL)
    g_variant_get (sync, "(&sxu&s)", &state, &last, &pending, &error);
  if (strcmp (state, "off") == 0)
    {
      printf ("Sync:      off%s%s\n", *error ? ": " : "", error);
      return;
    }
  at = last > 0 ? sk_time_format (last) : g_strdup ("never");
  printf ("Sync:      %s%s%s; last success %.19s; %u change%s waiting\n", state, *error ? ": " : "",
          error, at, pending, pending == 1 ? "" : "s");
}

static gboolean
on_wait_over (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* SyncNow, then how the round it starts ended (bounded), in a sentence
 * as the other commands answer. */
static int
sync_now (SkDBusKiosk1 *kiosk)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) before = sk_dbus_kiosk1_dup_sync_status (kiosk);
  g_autoptr (GVariant) after = NULL;
  g_autofree char *at = NULL;
  gint64 last_before = 0, last = 0;
  gboolean over = FALSE, seen_syncing = FALSE;
  guint timeout, pending = 0;
  const char *state = "off", *why = "";

  if (before != NULL)
    g_variant_get (before, "(&sxus)", NULL, &last_before, NULL, NULL);
  if (!sk_dbus_kiosk1_call_sync_now_sync (kiosk, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error))
    return ctl_bus_fail_call ("sync now", error);
  timeout = g_timeout_add_seconds (WAIT_S, on_wait_over, &over);
  while (!over)
    {
      g_clear_pointer (&after, g_variant_unref);
      after = sk_dbus_kiosk1_dup_sync_status (kiosk);
      if (after != NULL)
        g_variant_get (after, "(&sxu&s)", &state, &last, &pending, &why);
      seen_syncing |= strcmp (state, "syncing") == 0;
      if (last != last_before || (seen_syncing && strcmp (state, "syncing") != 0))
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  if (over)
    return fail ("sync now: the round did not end within %d s; %u change%s waiting", WAIT_S,
                 pending, pending == 1 ? "" : "s");
  g_source_remove (timeout);
  if (strcmp (state, "error") == 0)
    return fail ("sync now: %s; %u change%s waiting", why, pending, pending == 1 ? "" : "s");
  at = sk_time_format (last);
  printf ("Synced at %.19s; %u change%s waiting\n", at, pending, pending == 1 ? "" : "s");
  return EXIT_SUCCESS;
}

int
cmd_sync (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  g_autoptr (SkStore) store = NULL;
  guint songs = 0, outbox = 0;
  int rc = parse_options (&argc, &argv, NULL);

  if (rc >= 0)
    return rc;
  if (strcmp (argv[1], "status") != 0 && strcmp (argv[1], "now") != 0)
    {
      fail ("sync: “%s” is neither status nor now", argv[1]);
      return EXIT_USAGE;
    }
  /* sync now needs soundscaped even when a database is named */
  kiosk = ctl_bus_kiosk (strcmp (argv[1], "now") == 0, &error);
  if (kiosk != NULL)
    {
      if (strcmp (argv[1], "now") == 0)
        return sync_now (kiosk);
      ctl_bus_print_sync (kiosk);
      return EXIT_SUCCESS;
    }
  if (strcmp (argv[1], "now") == 0)
    return fail ("sync now: the sync runs in soundscaped, which does not run (%s)", error->message);
  /* no daemon: what the database says */
  store = open_store (SK_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return EXIT_FAILURE;
  if (!sk_songs_count (store, &songs, &outbox, &error))
    return fail ("sync status: %s", error->message);
  printf ("Sync:      not running (soundscaped does not run); %u change%s waiting\n", outbox,
          outbox == 1 ? "" : "s");
  return EXIT_SUCCESS;
}
