/* ctl-play.c: play (files through the player) and run (the queue, as the kiosk plays it). */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "sk-audio-player.h"
#include "sk-import.h"
#include "sk-playback.h"

/* The options play and run share. */
static GOptionEntry
pcm_option (char **pcm)
{
  GOptionEntry entry = { "pcm", 0, 0, G_OPTION_ARG_STRING, pcm, "The ALSA PCM (default: “default”)",
                         "NAME" };

  return entry;
}

/* A PCM that takes data faster than real time (`null`, `file`) is written
 * at the clock's rate, as a sound card would take it; --unpaced writes as
 * fast as it takes it: to render into a file (and for the tests that
 * compare what was written sample for sample). */
static GOptionEntry
unpaced_option (gboolean *unpaced)
{
  static const char help[] = "Write to a PCM that does not keep time (null, file) as fast as "
                             "it takes data, not at the clock's rate";
  GOptionEntry entry = { "unpaced", 0, 0, G_OPTION_ARG_NONE, unpaced, help, NULL };

  return entry;
}

/* --- play --------------------------------------------------------------- */

typedef struct
{
  SkAudioPlayer *player;
  GMainLoop *loop;
  GPtrArray *failures; /* one line each */
  GHashTable *gains;   /* track id → the gain it plays at (normalising) */
  gboolean interrupted;
  gboolean pcm_failed;
} Play;

static void
on_play_started (SkAudioPlayer *player, guint64 track, const char *path, Play *play)
{
  g_autofree char *display = g_filename_display_name (path);
  gint64 id = (gint64) track;
  double *gain = play->gains != NULL ? g_hash_table_lookup (play->gains, &id) : NULL;

  if (gain != NULL)
    printf ("playing %s (%+.1f dB)\n", display, *gain);
  else
    printf ("playing %s\n", display);
  fflush (stdout);
}

static void
on_play_failed (
    SkAudioPlayer *player, guint64 track, const char *path, const GError *error, Play *play)
{
  fail ("play: skipped: %s", error->message);
  g_ptr_array_add (play->failures, g_strdup (error->message));
}

static void
on_play_idle (SkAudioPlayer *player, Play *play)
{
  /* everything played: let the device play its buffer out, then quit */
  sk_audio_player_stop (player, TRUE);
}

static void
on_play_pcm_error (SkAudioPlayer *player, const GError *error, Play *play)
{
  if (g_error_matches (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_SILENT))
    return; /* --pcm none: silence was asked for, and the player said so */
  fail ("play: %s", error->message);
  play->pcm_failed = TRUE;
  g_main_loop_quit (play->loop);
}

static void
on_play_stopped (SkAudioPlayer *player, Play *play)
{
  g_main_loop_quit (play->loop);
}

/* The loudness the kiosk plays to: the setting in the database (--db, or
 * the state directory's when there is one), else the default. */
static gboolean
play_target (double *target)
{
  g_autofree char *path = opt_db != NULL ? g_strdup (opt_db) : sk_store_default_path ();
  g_autoptr (SkStore) store = NULL;

  *target = SK_LOUDNESS_TARGET_DEFAULT;
  if (opt_db == NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  store = open_store (SK_STORE_OPEN_READ_ONLY);
  if (store == NULL)
    return FALSE;
  *target = sk_loudness_target (store);
  return TRUE;
}

int
cmd_play (int argc, char **argv)
{
  g_autoptr (SkAudioPlayer) player = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *pcm = NULL;
  double crossfade = 0.0, volume = 1.0;
  gboolean unpaced = FALSE, no_normalize = FALSE;
  double target = SK_LOUDNESS_TARGET_DEFAULT;
  Play play = { 0 };
  GOptionEntry entries[] = {
    pcm_option (&pcm),
    { "crossfade", 0, 0, G_OPTION_ARG_DOUBLE, &crossfade,
      "Seconds of crossfade between files, 0–12 (default 0: gapless)", "S" },
    { "volume", 0, 0, G_OPTION_ARG_DOUBLE, &volume, "Volume 0–1 (default 1)", "V" },
    { "no-normalize", 0, 0, G_OPTION_ARG_NONE, &no_normalize,
      "Play the files as they are, without the kiosk's loudness normalisation", NULL },
    unpaced_option (&unpaced),
    { NULL }
  };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  player = sk_audio_player_new (pcm != NULL ? pcm : "default");
  sk_audio_player_set_paced (player, !unpaced);
  /* a speaker test with no speaker fails, it does not play silently */
  sk_audio_player_set_silent_fallback (player, FALSE);
  if (!sk_audio_player_set_crossfade (player, crossfade, &error) ||
      !sk_audio_player_set_volume (player, volume, &error))
    return fail_usage ("play: %s", error->message);
  if (!no_normalize && !play_target (&target))
    return EXIT_FAILURE;
  play.gains = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) probe_error = NULL;
      double duration, loudness, *gain;
      gint64 *id;

      if (no_normalize)
        {
          sk_audio_player_append (player, argv[i], 0.0);
          continue;
        }
      /* as the kiosk: measured first (import does it there), then played
       * at target - measured, clamped */
      if (!sk_audio_probe_loudness (argv[i], &duration, &loudness, &probe_error))
        {
          /* the player names it with its reason, as for --no-normalize */
          sk_audio_player_append (player, argv[i], 0.0);
          continue;
        }
      gain = g_new (double, 1);
      *gain = sk_loudness_gain_db (target, loudness);
      id = g_new (gint64, 1);
      *id = (gint64) sk_audio_player_append (player, argv[i], *gain);
      g_hash_table_insert (play.gains, id, gain);
    }

  loop = g_main_loop_new (NULL, FALSE);
  play.player = player;
  play.loop = loop;
  play.failures = failures;
  g_signal_connect (player, "track-started", G_CALLBACK (on_play_started), &play);
  g_signal_connect (player, "track-failed", G_CALLBACK (on_play_failed), &play);
  g_signal_connect (player, "idle", G_CALLBACK (on_play_idle), &play);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_play_pcm_error), &play);
  g_signal_connect (player, "stopped", G_CALLBACK (on_play_stopped), &play);
  if (!sk_audio_player_start (player, &error))
    rc = fail ("play: %s", error->message);
  else if (ctl_run_loop (loop))
    {
      fail ("play: interrupted");
      play.interrupted = TRUE;
    }
  g_signal_handlers_disconnect_by_data (player, &play);
  sk_audio_player_stop (player, FALSE);
  g_hash_table_unref (play.gains);

  if (rc >= 0)
    return rc;
  if (play.interrupted)
    return 130;
  if (play.pcm_failed)
    return EXIT_FAILURE;
  if (failures->len > 0)
    return fail ("play: %u of %d files could not be played", failures->len, argc - 1);
  return EXIT_SUCCESS;
}

/* --- run --------------------------------------------------------------- */

typedef struct
{
  SkEngine *engine;
  SkPlayback *playback;
  GMainLoop *loop;
  guint tracks; /* stop after this many starts (0: never) */
  guint started;
  gboolean interrupted;
  gboolean nothing; /* idle with nothing that can ever play */
} Run;

static void
on_run_started (SkEngine *engine, const char *song_id, const char *play_id, Run *run)
{
  g_autofree char *title = sk_engine_dup_song_title (engine, song_id);

  printf ("playing %s\n", title);
  fflush (stdout);
  if (run->tracks > 0 && ++run->started >= run->tracks)
    g_main_loop_quit (run->loop);
}

static void
on_run_status (SkEngine *engine, const char *status, const char *message, Run *run)
{
  if (message == NULL)
    return;
  printf ("%s: %s\n", status, message);
  fflush (stdout);
  if (g_strcmp0 (status, "idle") == 0 && !sk_playback_is_waiting (run->playback))
    {
      run->nothing = TRUE;
      g_main_loop_quit (run->loop);
    }
}

static void
on_run_unplayable (SkPlayback *playback, const char *song_id, const char *reason, Run *run)
{
  g_autofree char *title = sk_engine_dup_song_title (run->engine, song_id);

  fail ("run: skipped %s: %s", title, reason);
}

int
cmd_run (int argc, char **argv)
{
  g_autoptr (SkEngine) engine = NULL;
  g_autoptr (SkPlayback) playback = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pcm = NULL;
  int tracks = 0;
  gboolean unpaced = FALSE;
  Run run = { 0 };
  GOptionEntry entries[] = { pcm_option (&pcm),
                             { "tracks", 0, 0, G_OPTION_ARG_INT, &tracks,
                               "Stop after this many tracks started", "N" },
                             unpaced_option (&unpaced),
                             { NULL } };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  engine = open_engine (SK_STORE_OPEN_EXISTING);
  if (engine == NULL)
    return EXIT_FAILURE;
  playback = sk_playback_new (engine, NULL, pcm);
  sk_audio_player_set_paced (sk_playback_get_player (playback), !unpaced);
  loop = g_main_loop_new (NULL, FALSE);
  run.engine = engine;
  run.playback = playback;
  run.loop = loop;
  run.tracks = (guint) tracks;
  g_signal_connect (engine, "track-started", G_CALLBACK (on_run_started), &run);
  g_signal_connect (engine, "status-changed", G_CALLBACK (on_run_status), &run);
  g_signal_connect (playback, "song-unplayable", G_CALLBACK (on_run_unplayable), &run);
  if (!sk_playback_start (playback, &error))
    rc = fail ("run: %s", error->message);
  else if (!run.nothing)
    run.interrupted = ctl_run_loop (loop);
  g_signal_handlers_disconnect_by_data (engine, &run);
  sk_playback_stop (playback);

  if (rc >= 0)
    return rc;
  if (run.interrupted)
    {
      fail ("run: interrupted");
      return 130;
    }
  if (run.nothing)
    return EXIT_FAILURE;
  return EXIT_SUCCESS;
}
