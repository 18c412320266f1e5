/* ctl-listeners.c: the listeners (tap, join, enroll, vote, checkout) and
 * the playback state (next, queue, status). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-kiosk-dbus.h"
#include "sk-songs.h"
#include "sk-taste.h"
#include "sk-util.h"

/* --- listeners ---------------------------------------------------------- */

int
cmd_tap (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  SkTapResult r = { 0 };
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  int rc = parse_options_and_open (&argc, &argv, NULL, &kiosk, &engine, SK_STORE_OPEN_EXISTING);

  if (rc >= 0)
    return rc;
  if (kiosk != NULL)
    return ctl_bus_tap (kiosk, argv[1]);
  if (!sk_engine_tap (engine, argv[1], &r, &error))
    return fail ("tap: %s", error->message);
  switch (r.kind)
    {
    case SK_TAP_UNKNOWN:
      printf ("Unknown badge %s: “soundscape-ctl join %s” makes it a guest\n", r.uid, r.uid);
      break;
    case SK_TAP_LISTENER:
    case SK_TAP_MANAGER:
      {
        g_autofree char *until = sk_time_format (r.expires_at);

        printf ("%s %s%s until %.19s\n", r.display_name, r.extended ? "extended" : "checked in",
                r.kind == SK_TAP_MANAGER ? " (manager)" : "", until);
        print_queue (engine, FALSE);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  sk_tap_result_clear (&r);
  return EXIT_SUCCESS;
}

int
cmd_join (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  GOptionEntry entries[] = { { "name", 0, 0, G_OPTION_ARG_STRING, &name,
                               "Display name (default: a friendly generated one)", "NAME" },
                             { NULL } };
  int rc = parse_options_and_open (&argc, &argv, entries, &kiosk, &engine, SK_STORE_OPEN_EXISTING);

  if (rc >= 0)
    return rc;
  if (kiosk != NULL)
    return ctl_bus_join (kiosk, argv[1], name);
  id = sk_engine_join (engine, argv[1], name, &error);
  if (id == NULL)
    return fail ("join: %s", error->message);
  printf ("Guest %s joined and checked in\n", id);
  return EXIT_SUCCESS;
}

int
cmd_enroll (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *role = NULL;
  g_autofree char *taste = NULL;
  double pref[SK_DIM];
  g_autofree char *pin = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  GOptionEntry entries[] = { { "role", 0, 0, G_OPTION_ARG_STRING, &role, "manager or admin",
                               "ROLE" },
                             { "taste", 0, 0, G_OPTION_ARG_STRING, &taste,
                               "Starting taste, e.g. [0.9,0.1,0.4,0.2,0.8]", "VECTOR" },
                             ctl_pin_option (&pin),
                             { NULL } };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  if (taste != NULL && !sk_vec_parse (taste, pref, &error))
    return fail ("enroll: --taste: %s", error->message);
  /* through soundscaped when it runs: a tap of the badge over the bus */
  kiosk = taste == NULL ? ctl_bus_kiosk (FALSE, NULL) : NULL;
  if (kiosk != NULL)
    return ctl_bus_enroll (kiosk, pin, argv[1], argv[2], role);
  engine = open_engine (SK_STORE_OPEN_EXISTING);
  if (engine == NULL)
    return EXIT_FAILURE;
  id = sk_engine_enroll (engine, argv[1], argv[2], role, taste ? pref : NULL, &error);
  if (id == NULL)
    return fail ("enroll: %s", error->message);
  printf ("%s enrolled as %s\n", argv[2], id);
  return EXIT_SUCCESS;
}

/* vote UID N and checkout UID: the badge's listener rates the track
 * playing, or leaves. */
int
cmd_vote_or_check_out (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *user = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  const char *command = argv[0];
  gboolean vote = strcmp (command, "vote") == 0;
  guint64 value = 0;
  int rc = parse_options (&argc, &argv, NULL);

  if (rc >= 0)
    return rc;
  if (vote && !g_ascii_string_to_unsigned (argv[2], 10, 1, 5, &value, NULL))
    return fail_usage ("vote: a rating is a whole number from 1 to 5, not “%s”", argv[2]);
  if (!open_kiosk_or_engine (&kiosk, &engine, SK_STORE_OPEN_EXISTING))
    return EXIT_FAILURE;
  if (kiosk != NULL)
    return ctl_bus_vote_or_check_out (kiosk, command, argv[1], (int) value);
  user = sk_engine_dup_user_for_uid (engine, argv[1], &error);
  if (user == NULL || !(vote ? sk_engine_vote (engine, user, (int) value, &error)
                             : sk_engine_check_out (engine, user, &error)))
    return fail ("%s: %s", command, error->message);
  if (vote)
    printf ("Rated %d\n", (int) value);
  else
    printf ("Checked out\n");
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

/* --- playback state ----------------------------------------------------- */

int
cmd_next (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *song = NULL;
  g_autofree char *title = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  g_autofree char *pin = NULL;
  GOptionEntry entries[] = { ctl_pin_option (&pin), { NULL } };
  int rc = parse_options_and_open (&argc, &argv, entries, &kiosk, &engine, SK_STORE_OPEN_EXISTING);

  if (rc >= 0)
    return rc;
  if (kiosk != NULL)
    return ctl_bus_next (kiosk, pin);
  if (!sk_engine_start_next (engine, &song, &error))
    return fail ("next: %s", error->message);
  title = sk_engine_dup_song_title (engine, song);
  printf ("Now playing: %s\n", title);
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}

int
cmd_queue (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
                             { NULL } };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  if (!json && (kiosk = ctl_bus_kiosk (FALSE, NULL)) != NULL)
    return ctl_bus_queue (kiosk);
  engine = open_engine (SK_STORE_OPEN_READ_ONLY);
  if (engine == NULL)
    return EXIT_FAILURE;
  if (!sk_engine_refresh (engine, &error))
    return fail ("queue: %s", error->message);
  print_queue (engine, json);
  return EXIT_SUCCESS;
}

/* What the kiosk last reported of its reader: status never opens the
 * device (libnfc takes no lock: a second client would garble the kiosk's). */
static void
print_reader_status (SkStore *store)
{
  g_autofree char *device = sk_store_dup_setting (store, "nfc_device");
  g_autofree char *status = sk_store_dup_setting (store, "nfc_status");
  g_autofree char *model = sk_store_dup_setting (store, "nfc_model");
  g_autofree char *conn = sk_store_dup_setting (store, "nfc_connstring");
  g_autofree char *message = sk_store_dup_setting (store, "nfc_message");
  g_autofree char *at = sk_store_dup_setting (store, "nfc_status_at");

  if (device == NULL && status == NULL)
    return;
  printf ("Reader:    %s\n", device ? device : conn ? conn : "the first one found");
  if (status == NULL)
    {
      printf ("           no status reported yet (the kiosk has not run with it)\n");
      return;
    }
  printf ("           %s%s%s, as of %.19s\n", status, model || message ? ": " : "",
          model     ? model
          : message ? message
                    : "",
          at ? at : "?");
}

int
cmd_status (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  SkStore *store;
  guint songs = 0, outbox = 0;
  g_autoptr (SkDBusKiosk1) kiosk = NULL;
  int rc = parse_options_and_open (&argc, &argv, NULL, &kiosk, &engine, SK_STORE_OPEN_READ_ONLY);

  if (rc >= 0)
    return rc;
  if (kiosk != NULL)
    return ctl_bus_status (kiosk);
  if (!sk_engine_refresh (engine, &error))
    return fail ("status: %s", error->message);
  store = sk_engine_get_store (engine);
  if (!sk_songs_count (store, &songs, &outbox, &error))
    return fail ("status: %s", error->message);
  title = sk_engine_dup_song_title (engine, sk_engine_get_current_song (engine));
  printf ("Database:  %s\n", sk_store_get_path (store));
  printf ("Player:    %s\n", sk_engine_get_player_id (engine));
  printf ("Library:   %u songs\n", songs);
  printf ("Playing:   %s\n", sk_engine_get_current_song (engine) ? title : "nothing");
  printf ("Status:    %s\n", sk_engine_get_status (engine));
  printf ("Present:   %u listener%s\n", sk_engine_get_n_present (engine),
          sk_engine_get_n_present (engine) == 1 ? "" : "s");
  printf ("Unsynced:  %u change%s\n", outbox, outbox == 1 ? "" : "s");
  print_reader_status (store);
  printf ("Queue:\n");
  print_queue (engine, FALSE);
  return EXIT_SUCCESS;
}
