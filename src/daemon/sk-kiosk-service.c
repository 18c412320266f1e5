/* sk-kiosk-service.c: the bus name, the object and its properties.
 *
 * Every property is computed from the engine (and the playback and the
 * reader) when one of their signals says it may have changed, and set on
 * the generated skeleton; the skeleton sends the properties changed in one
 * main-loop turn as one PropertiesChanged from an idle source, so a tap
 * that checks someone in and reorders the queue is one signal. Position
 * changes all the time and is never announced (the XML says so); it is
 * kept current once a second while a track plays.
 *
 * Every method goes through one dispatcher, which refuses the admin
 * methods while the admin page is locked (the gate is
 * sk_kiosk_admin_allow(), sk-kiosk-admin.c; docs/DESIGN.md, the D-Bus
 * interface) and answers with what the method's function returns
 * (SkKioskMethod, sk-kiosk-private.h).
 */
#include "config.h"

#include <string.h>

#include "sk-kiosk-private.h"
#include "sk-settings.h"
#include "sk-songs.h"
#include "sk-util.h"

static const GDBusErrorEntry error_entries[] = {
  { SK_KIOSK_ERROR_INVALID_ARGUMENT, "org.soundscape.Kiosk1.Error.InvalidArgument" },
  { SK_KIOSK_ERROR_NOT_ALLOWED, "org.soundscape.Kiosk1.Error.NotAllowed" },
  { SK_KIOSK_ERROR_NOT_FOUND, "org.soundscape.Kiosk1.Error.NotFound" },
  { SK_KIOSK_ERROR_BUSY, "org.soundscape.Kiosk1.Error.Busy" },
  { SK_KIOSK_ERROR_PIN_LOCKED, "org.soundscape.Kiosk1.Error.PinLocked" },
  { SK_KIOSK_ERROR_NOT_SUPPORTED, "org.soundscape.Kiosk1.Error.NotSupported" },
  { SK_KIOSK_ERROR_FAILED, "org.soundscape.Kiosk1.Error.Failed" },
  { SK_KIOSK_ERROR_NAME_TAKEN, "org.soundscape.Kiosk1.Error.NameTaken" },
};

GQuark
sk_kiosk_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("sk-kiosk-error-quark", &quark, error_entries,
                                      G_N_ELEMENTS (error_entries));
  return (GQuark) quark;
}

/* --- properties --------------------------------------------------------- */

static void
refresh_now_playing (SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (self->engine);
  const char *id = sk_engine_get_current_song (self->engine);
  const char *play = sk_engine_get_current_play (self->engine);
  const char *why;
  g_autoptr (SkSong) song = NULL;
  GVariantBuilder emb;
  gint64 started = 0;
  double e[SK_DIM];

  g_variant_builder_init (&emb, G_VARIANT_TYPE ("ad"));
  if (id != NULL)
    song = sk_songs_lookup (store, id, NULL);
  if (song != NULL && sk_vec_parse (song->embedding, e, NULL))
    for (guint d = 0; d < SK_DIM; d++)
      g_variant_builder_add (&emb, "d", e[d]);
  if (song != NULL && play != NULL)
    {
      sqlite3_stmt *stmt = sk_store_prepare (store,
                                             "SELECT played_at FROM songs_playing WHERE id = ?1",
                                             NULL);

      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, play, -1, SQLITE_STATIC);
          if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
            sk_time_parse (sk_store_column_text (stmt, 0), &started, NULL);
          sqlite3_reset (stmt);
        }
    }
  sk_dbus_kiosk1_set_now_playing (self->skeleton,
                                  g_variant_new ("(sssadxd)", song ? song->id : "",
                                                 song ? song->title : "",
                                                 song && song->artist ? song->artist : "", &emb,
                                                 started, song ? (double) song->duration : 0.0));
  why = song != NULL ? sk_engine_get_current_why (self->engine) : NULL;
  sk_dbus_kiosk1_set_now_playing_why (self->skeleton, why != NULL ? why : "");
  if (song == NULL)
    sk_dbus_kiosk1_set_position (self->skeleton, 0);
}

static void
refresh_queue (SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (self->engine);
  GVariantBuilder b;
  const SkQueueEntry *q;
  guint n = 0;

  q = sk_engine_get_queue (self->engine, &n);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sssds)"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SkSong) song = sk_songs_lookup (store, q[i].song_id, NULL);

      g_variant_builder_add (&b, "(sssds)", q[i].song_id, song ? song->title : "",
                             song && song->artist ? song->artist : "", q[i].score,
                             q[i].why ? q[i].why : "");
    }
  sk_dbus_kiosk1_set_queue (self->skeleton, g_variant_builder_end (&b));
}

/* "Ada Lovelace" → "AL", "rain" → "R": the first letters of the first and
 * the last word, for a badge-sized circle on the screen. */
static char *
initials (const char *name)
{
  g_auto (GStrv) words = g_strsplit_set (name, " \t-", -1);
  GString *out = g_string_new (NULL);
  const char *first = NULL, *last = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      {
        if (first == NULL)
          first = words[i];
        else
          last = words[i];
      }
  if (first != NULL)
    g_string_append_unichar (out, g_unichar_toupper (g_utf8_get_char (first)));
  if (last != NULL)
    g_string_append_unichar (out, g_unichar_toupper (g_utf8_get_char (last)));
  return g_string_free (out, FALSE);
}

void
sk_kiosk_refresh_listeners (SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (self->engine);
  g_autofree char *now = sk_time_format (sk_engine_now (self->engine));
  GVariantBuilder b;
  sqlite3_stmt *stmt;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sssx)"));
  stmt = sk_store_prepare (store,
                           "SELECT s.user_id, coalesce(p.display_name, p.name, 'Listener'), s.expires_at "
                           "FROM sessions s JOIN profiles p ON p.id = s.user_id "
                           "WHERE s.player_id = ?1 AND s.status = 'active' AND s.expires_at > ?2 "
                           "ORDER BY s.user_id",
                           NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, sk_engine_get_player_id (self->engine), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_STATIC);
      while (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
        {
          const char *name = sk_store_column_text (stmt, 1);
          g_autofree char *short_name = initials (name);
          gint64 until = 0;

          sk_time_parse (sk_store_column_text (stmt, 2), &until, NULL);
          g_variant_builder_add (&b, "(sssx)", sk_store_column_text (stmt, 0), name, short_name,
                                 until);
        }
      sqlite3_reset (stmt);
    }
  sk_dbus_kiosk1_set_listeners (self->skeleton, g_variant_builder_end (&b));
}

static void
refresh_player (SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (self->engine);
  const char *message = sk_engine_get_status_message (self->engine);
  g_autofree char *strategy = sk_settings_dup_string (store, "strategy");
  sqlite3_stmt *stmt;

  stmt = sk_store_prepare (store, "SELECT coalesce(name, '') FROM players WHERE id = ?1", NULL);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, sk_engine_get_player_id (self->engine), -1, SQLITE_STATIC);
      if (sk_store_step (store, stmt, NULL) == SQLITE_ROW)
        sk_dbus_kiosk1_set_player_name (self->skeleton, sk_store_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  sk_dbus_kiosk1_set_player_status (self->skeleton, sk_engine_get_status (self->engine));
  sk_dbus_kiosk1_set_status_message (self->skeleton, message != NULL ? message : "");
  /* the volume heard: the setting's within the schedule's cap */
  sk_dbus_kiosk1_set_volume (self->skeleton, self->playback != NULL
                                                 ? sk_playback_get_volume (self->playback)
                                                 : sk_settings_get_double (store, "volume"));
  sk_dbus_kiosk1_set_strategy (self->skeleton, strategy);
}

static void
refresh_reader (SkKioskService *self)
{
  const char *status = "none", *message = NULL;

  if (self->reader != NULL)
    {
      status = sk_nfc_status_to_string (sk_nfc_reader_get_status (self->reader));
      message = sk_nfc_reader_get_message (self->reader);
    }
  sk_dbus_kiosk1_set_reader_status (self->skeleton,
                                    g_variant_new ("(ss)", status, message ? message : ""));
}

static void
set_audio (SkKioskService *self, const char *status, const char *message)
{
  sk_dbus_kiosk1_set_audio_status (self->skeleton,
                                   g_variant_new ("(ss)", status, message ? message : ""));
}

void
sk_kiosk_set_audio_status (SkKioskService *self, const char *status, const char *message)
{
  set_audio (self, status, message);
}

/* The output runs: 'playing' while a track is current, heard or, with no
 * sound card, 'silent' with the player's sentence; else 'idle'. */
void
sk_kiosk_set_audio_running (SkKioskService *self, gboolean track_current)
{
  SkAudioPlayer *player = self->playback ? sk_playback_get_player (self->playback) : NULL;

  if (!track_current)
    set_audio (self, "idle", NULL);
  else if (player != NULL && sk_audio_player_is_silent (player))
    set_audio (self, "silent", self->audio_silent);
  else
    set_audio (self, "playing", NULL);
}

/* --- what the properties follow ----------------------------------------- */

static void
on_track_started (SkEngine *engine, const char *song_id, const char *play_id, SkKioskService *self)
{
  refresh_now_playing (self);
  refresh_queue (self);
}

static void
on_queue_changed (SkEngine *engine, SkKioskService *self)
{
  refresh_queue (self);
}

static void
on_listeners_changed (SkKioskService *self)
{
  sk_kiosk_refresh_listeners (self);
}

static void
on_status_changed (SkEngine *engine, const char *status, const char *message, SkKioskService *self)
{
  refresh_player (self);
  refresh_now_playing (self);
}

static void
on_vote_recorded (
    SkEngine *engine, const char *user_id, const char *song_id, int value, SkKioskService *self)
{
  SkStore *store = sk_engine_get_store (engine);
  g_autofree char *name = sk_store_dup_text (
      store,
      sk_store_query (store, NULL,
                      "SELECT coalesce(display_name, name, 'Listener') FROM profiles WHERE id = ?1",
                      "s", user_id),
      NULL);
  const SkQueueEntry *q;
  guint n = 0;

  q = sk_engine_get_queue (engine, &n);
  sk_dbus_kiosk1_emit_vote_recorded (self->skeleton, user_id, name ? name : "", song_id, value,
                                     n > 0 ? q[0].song_id : "");
}

/* The crowd veto: the playback fades the track out; the screen says why. */
static void
on_vetoed (SkEngine *engine,
           const char *song_id,
           const char *play_id,
           const char *message,
           SkKioskService *self)
{
  sk_dbus_kiosk1_emit_skipped (self->skeleton, song_id, "veto", message);
}

static void
on_reader_status (SkNfcReader *reader, SkKioskService *self)
{
  refresh_reader (self);
}

static void
on_reader_tap (
    SkNfcReader *reader, const char *uid, guint atqa, guint sak, gint64 time, SkKioskService *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  if (!sk_kiosk_tap (self, uid, "reader", &reply, &error))
    {
      g_warning ("Tap of %s not recorded: %s", uid, error->message);
      sk_dbus_kiosk1_emit_error (self->skeleton, "store", error->message);
    }
}

/* A track the decoder starts is not yet heard: while the output is in
 * error it stays so, until a track's last frame was written. */
/* Paused, by a manager (Pause) or outside the opening hours (the
 * scheduler, sk-kiosk-schedule.c), AudioStatus stays 'paused' whatever the
 * player says last: the output still writes one period while its volume
 * ramps down, and a track may start or end in it, or have started just
 * before, its event still on the way. Resume (or the venue opening) says
 * what plays. */
static gboolean
held (SkKioskService *self, SkAudioPlayer *player)
{
  return (self->scheduler != NULL && !sk_scheduler_is_open (self->scheduler)) ||
         sk_audio_player_get_state (player) == SK_AUDIO_STATE_PAUSED;
}

static void
on_audio_started (SkAudioPlayer *player, guint64 track, const char *path, SkKioskService *self)
{
  if (!self->audio_error && !held (self, player))
    sk_kiosk_set_audio_running (self, TRUE);
}

static void
on_audio_ended (SkAudioPlayer *player, guint64 track, SkKioskService *self)
{
  self->audio_error = FALSE;
  if (!held (self, player))
    sk_kiosk_set_audio_running (self, TRUE);
}

static void
on_audio_idle (SkAudioPlayer *player, SkKioskService *self)
{
  if (!self->audio_error && !held (self, player))
    sk_kiosk_set_audio_running (self, FALSE);
}

static void
on_audio_error (SkAudioPlayer *player, const GError *error, SkKioskService *self)
{
  if (g_error_matches (error, SK_AUDIO_ERROR, SK_AUDIO_ERROR_SILENT))
    {
      /* no sound card: it plays on, silently, which is no error; the
       * sentence stays for AudioStatus while it lasts */
      g_free (self->audio_silent);
      self->audio_silent = g_strdup (error->message);
      self->audio_error = FALSE;
      if (!held (self, player))
        sk_kiosk_set_audio_running (self, sk_engine_get_current_song (self->engine) != NULL);
      return;
    }
  /* the player says each new failure once, not each retry of it */
  self->audio_error = TRUE;
  set_audio (self, "error", error->message);
  /* the property first: a client reading AudioStatus on Error sees it */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  sk_dbus_kiosk1_emit_error (self->skeleton, "audio", error->message);
}

static void
on_unplayable (SkPlayback *playback, const char *song_id, const char *reason, SkKioskService *self)
{
  sk_dbus_kiosk1_emit_skipped (self->skeleton, song_id, "unplayable", reason);
}

static gboolean
update_position (gpointer data)
{
  SkKioskService *self = data;
  SkAudioPlayer *player = sk_playback_get_player (self->playback);

  if (sk_engine_get_current_song (self->engine) != NULL)
    sk_dbus_kiosk1_set_position (self->skeleton, sk_audio_player_get_position (player));
  return G_SOURCE_CONTINUE;
}

void
sk_kiosk_service_set_playback (SkKioskService *self, SkPlayback *playback)
{
  SkAudioPlayer *player = sk_playback_get_player (playback);

  g_return_if_fail (self->playback == NULL);
  self->playback = g_object_ref (playback);
  g_signal_connect (player, "track-started", G_CALLBACK (on_audio_started), self);
  g_signal_connect (player, "track-ended", G_CALLBACK (on_audio_ended), self);
  g_signal_connect (player, "idle", G_CALLBACK (on_audio_idle), self);
  g_signal_connect (player, "pcm-error", G_CALLBACK (on_audio_error), self);
  g_signal_connect (playback, "song-unplayable", G_CALLBACK (on_unplayable), self);
  self->position_source = g_timeout_add_seconds (1, update_position, self);
}

void
sk_kiosk_service_set_reader (SkKioskService *self, SkNfcReader *reader)
{
  g_return_if_fail (self->reader == NULL);
  self->reader = g_object_ref (reader);
  g_signal_connect (reader, "tap", G_CALLBACK (on_reader_tap), self);
  g_signal_connect (reader, "status-changed", G_CALLBACK (on_reader_status), self);
  sk_nfc_reader_record_status (reader, self->engine);
  refresh_reader (self);
}

void
sk_kiosk_service_set_demo (SkKioskService *self, gboolean demo)
{
  self->demo = demo;
}

/* --- the methods: one dispatcher, the admin gate ------------------------ */

/* Every method of the interface, and who may call it. The listener
 * methods (their tickets decide), Unlock and Lock, and SetPin (which needs
 * no unlock on first boot, and asks the gate itself after) anyone on the
 * bus may call; the admin ones are refused, before they run, while the
 * admin page is locked, and each one allowed extends the unlock. */
typedef struct
{
  const char *name;
  gboolean admin;
  SkKioskMethodFunc *func;
  SkKioskLaterFunc *later; /* instead of func: answers later */
} Method;

static const Method methods[] = {
  { "Tap", FALSE, sk_kiosk_method_tap },
  { "Join", FALSE, sk_kiosk_method_join },
  { "Vote", FALSE, sk_kiosk_method_vote },
  { "CheckOut", FALSE, sk_kiosk_method_check_out },
  { "Unlock", FALSE, sk_kiosk_method_unlock },
  { "Lock", FALSE, sk_kiosk_method_lock },
  { "SetPin", FALSE, sk_kiosk_method_set_pin },
  { "GetSettings", TRUE, sk_kiosk_method_get_settings },
  { "SetSetting", TRUE, sk_kiosk_method_set_setting },
  { "SetPlayerName", TRUE, sk_kiosk_method_set_player_name },
  { "Pause", TRUE, sk_kiosk_method_pause },
  { "Resume", TRUE, sk_kiosk_method_resume },
  { "Skip", TRUE, sk_kiosk_method_skip },
  { "SetVolume", TRUE, sk_kiosk_method_set_volume },
  { "TestSound", TRUE, NULL, sk_kiosk_method_test_sound },
  { "ListAudioDevices", TRUE, sk_kiosk_method_list_audio_devices },
  { "ListSongs", TRUE, sk_kiosk_method_list_songs },
  { "SetInLibrary", TRUE, sk_kiosk_method_set_in_library },
  { "SetAllInLibrary", TRUE, sk_kiosk_method_set_all_in_library },
  { "Import", TRUE, sk_kiosk_method_import },
  { "ListListeners", TRUE, sk_kiosk_method_list_listeners },
  { "RenameListener", TRUE, sk_kiosk_method_rename_listener },
  { "SetBadgeRevoked", TRUE, sk_kiosk_method_set_badge_revoked },
  { "SetRole", TRUE, sk_kiosk_method_set_role },
  { "EnrollByTap", TRUE, sk_kiosk_method_enroll_by_tap },
  { "CancelEnroll", TRUE, sk_kiosk_method_cancel_enroll },
  { "GetSchedule", TRUE, sk_kiosk_method_get_schedule },
  { "SetSchedule", TRUE, sk_kiosk_method_set_schedule },
  { "GetDiagnostics", TRUE, sk_kiosk_method_get_diagnostics },
  { "GetRecentLog", TRUE, sk_kiosk_method_get_recent_log },
  { "SyncNow", FALSE, sk_kiosk_method_sync_now },
};

static const Method *
find_method (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    if (strcmp (methods[i].name, name) == 0)
      return &methods[i];
  return NULL;
}

/* The handler of every handle-* signal, so it runs where GDBus emits them,
 * on the main context (GDBus's g-authorize-method would run the gate on
 * its worker thread, beside the store and the unlock timer). Connected
 * swapped, it takes the two arguments every handle-* signal starts with:
 * the service (the data, first) and the invocation; the method's own
 * arguments, which follow, it reads from the invocation. */
static gboolean
on_method (SkKioskService *self, GDBusMethodInvocation *invocation)
{
  const char *name = g_dbus_method_invocation_get_method_name (invocation);
  const Method *method = find_method (name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  if (method->admin && !sk_kiosk_admin_allow (self, name, &error))
    sk_kiosk_return_error (invocation, error);
  else if (method->later != NULL)
    method->later (self, invocation);
  else if ((reply = method->func (self, g_dbus_method_invocation_get_parameters (invocation),
                                  &error)) != NULL)
    g_dbus_method_invocation_return_value (invocation, g_variant_take_ref (reply));
  else
    sk_kiosk_return_error (invocation, error);
  return TRUE;
}

/* "ListAudioDevices" → "handle-list-audio-devices", as gdbus-codegen
 * names the signal. */
static char *
handle_signal_name (const char *method)
{
  GString *name = g_string_new ("handle");

  for (const char *p = method; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p))
        g_string_append_c (name, '-');
      g_string_append_c (name, g_ascii_tolower (*p));
    }
  return g_string_free (name, FALSE);
}

/* Every method of the interface to on_method; each must have its row. */
static void
connect_methods (SkKioskService *self)
{
  GDBusInterfaceInfo *info = sk_dbus_kiosk1_interface_info ();

  for (GDBusMethodInfo **m = info->methods; *m != NULL; m++)
    {
      g_autofree char *signal = handle_signal_name ((*m)->name);

      if (g_signal_lookup (signal, SK_DBUS_TYPE_KIOSK1) == 0)
        g_error ("no signal %s for the method %s", signal, (*m)->name);
      if (find_method ((*m)->name) == NULL)
        g_error ("the method %s has no function", (*m)->name);
      g_signal_connect_swapped (self->skeleton, signal, G_CALLBACK (on_method), self);
    }
}

/* --- the object and the name -------------------------------------------- */

SkKioskService *
sk_kiosk_service_new (SkEngine *engine)
{
  SkKioskService *self = g_new0 (SkKioskService, 1);

  self->engine = g_object_ref (engine);
  self->skeleton = sk_dbus_kiosk1_skeleton_new ();
  connect_methods (self);
  sk_kiosk_listeners_init (self);
  sk_kiosk_admin_init (self);
  sk_kiosk_diagnostics_init (self);

  g_signal_connect (engine, "track-started", G_CALLBACK (on_track_started), self);
  g_signal_connect (engine, "queue-changed", G_CALLBACK (on_queue_changed), self);
  g_signal_connect_swapped (engine, "checked-in", G_CALLBACK (on_listeners_changed), self);
  g_signal_connect_swapped (engine, "checked-out", G_CALLBACK (on_listeners_changed), self);
  g_signal_connect (engine, "status-changed", G_CALLBACK (on_status_changed), self);
  g_signal_connect (engine, "vote-recorded", G_CALLBACK (on_vote_recorded), self);
  g_signal_connect (engine, "vetoed", G_CALLBACK (on_vetoed), self);

  sk_kiosk_service_reload (self);
  set_audio (self, "stopped", NULL);
  sk_kiosk_service_set_sync (self, NULL, NULL);
  return self;
}

void
sk_kiosk_service_reload (SkKioskService *self)
{
  refresh_now_playing (self);
  refresh_queue (self);
  sk_kiosk_refresh_listeners (self);
  refresh_player (self);
  refresh_reader (self);
}

static void
on_name_lost (GDBusConnection *bus,
              const char *sender,
              const char *path,
              const char *iface,
              const char *member,
              GVariant *params,
              gpointer data)
{
  SkKioskService *self = data;
  const char *name = NULL;

  g_variant_get (params, "(&s)", &name);
  if (g_strcmp0 (name, SK_KIOSK_BUS_NAME) != 0 || self->owned != 1)
    return;
  self->owned = -1;
  if (self->lost != NULL)
    ((void (*) (gpointer)) self->lost) (self->lost_data);
}

static void
on_bus_closed (GDBusConnection *bus,
               gboolean remote_peer_vanished,
               GError *error,
               SkKioskService *self)
{
  if (self->owned != 1)
    return;
  self->owned = -1;
  if (self->lost != NULL)
    ((void (*) (gpointer)) self->lost) (self->lost_data);
}

gboolean
sk_kiosk_service_own (
    SkKioskService *self, GBusType bus_type, GCallback lost, gpointer lost_data, GError **error)
{
  const char *which = bus_type == G_BUS_TYPE_SESSION ? "session" : "system";
  g_autoptr (GError) local = NULL;
  g_autoptr (GVariant) reply = NULL;
  guint32 code = 0;

  g_return_val_if_fail (self->bus == NULL, FALSE);
  self->bus = g_bus_get_sync (bus_type, NULL, &local);
  if (self->bus == NULL)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_FAILED, "Cannot reach the %s bus: %s",
                   which, local->message);
      return FALSE;
    }
  /* losing the bus ends the main loop through @lost, not the process
   * before soundscaped has stopped what it runs */
  g_dbus_connection_set_exit_on_close (self->bus, FALSE);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), self->bus,
                                         SK_KIOSK_OBJECT_PATH, &local))
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_FAILED,
                   "Cannot offer %s on the %s bus: %s", SK_KIOSK_OBJECT_PATH, which,
                   local->message);
      return FALSE;
    }
  self->name_lost_id = g_dbus_connection_signal_subscribe (self->bus, "org.freedesktop.DBus",
                                                           "org.freedesktop.DBus", "NameLost",
                                                           "/org/freedesktop/DBus",
                                                           SK_KIOSK_BUS_NAME,
                                                           G_DBUS_SIGNAL_FLAGS_NONE, on_name_lost,
                                                           self, NULL);
  g_signal_connect (self->bus, "closed", G_CALLBACK (on_bus_closed), self);
  /* never queued behind another owner, never replacing one: a second
   * soundscaped is refused at once, and says so */
  reply = g_dbus_connection_call_sync (self->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", SK_KIOSK_BUS_NAME,
                                                      4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, 25000, NULL,
                                       &local);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (local);
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                   "The %s bus does not let soundscaped own the name %s: %s", which,
                   SK_KIOSK_BUS_NAME, local->message);
      return FALSE;
    }
  g_variant_get (reply, "(u)", &code);
  if (code != 1 /* PRIMARY_OWNER */ && code != 4 /* ALREADY_OWNER */)
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NAME_TAKEN,
                   "The name %s is already owned on the %s bus: another soundscaped is running",
                   SK_KIOSK_BUS_NAME, which);
      return FALSE;
    }
  self->owned = 1;
  self->lost = lost;
  self->lost_data = lost_data;
  return TRUE;
}

static void
forget_job (SkKioskJob **job)
{
  if (*job != NULL)
    (*job)->service = NULL;
  *job = NULL;
}

void
sk_kiosk_service_free (SkKioskService *self)
{
  if (self == NULL)
    return;
  if (self->name_lost_id != 0)
    g_dbus_connection_signal_unsubscribe (self->bus, self->name_lost_id);
  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  if (self->position_source != 0)
    g_source_remove (self->position_source);
  sk_kiosk_admin_clear (self);
  sk_kiosk_schedule_clear (self);
  sk_kiosk_people_clear (self);
  sk_kiosk_sync_clear (self);
  /* an import or a test sound at work finishes on its thread */
  forget_job (&self->import);
  forget_job (&self->tone);
  if (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)) != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  g_signal_handlers_disconnect_by_data (self->engine, self);
  if (self->reader != NULL)
    g_signal_handlers_disconnect_by_data (self->reader, self);
  if (self->playback != NULL)
    {
      g_signal_handlers_disconnect_by_data (sk_playback_get_player (self->playback), self);
      g_signal_handlers_disconnect_by_data (self->playback, self);
    }
  if (self->bus != NULL)
    g_dbus_connection_flush_sync (self->bus, NULL, NULL);
  g_clear_object (&self->skeleton);
  g_clear_pointer (&self->audio_silent, g_free);
  g_clear_pointer (&self->tickets, g_hash_table_unref);
  g_clear_object (&self->reader);
  g_clear_object (&self->playback);
  g_clear_object (&self->bus);
  g_clear_object (&self->engine);
  g_free (self);
}
