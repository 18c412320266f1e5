/* sk-engine.h: the one object the programs talk to.
 *
 * SkEngine ties the store, the sessions and the recommender together for
 * one player (this device). Everything happens on the thread that owns the
 * engine's main context; the NFC reader and the audio output (later) hand
 * their events to it there. Every state change is a signal:
 *
 *   checked-in      (user_id, display_name, flags)   a known badge tapped
 *   checked-out     (user_id, reason)                 "checkout" or "expired"
 *   unknown-badge   (uid)                             offer the join flow
 *   tap-refused     (uid, reason)                     "revoked" or "throttled"
 *   vote-recorded   (user_id, song_id, value)
 *   track-started   (song_id, play_id)
 *   queue-changed   ()
 *   status-changed  (status, message)   "playing", or "idle" with why
 *   vetoed          (song_id, play_id, message)   the crowd veto: skip it
 */
#pragma once

#include <glib-object.h>

#include "sk-recommender.h"
#include "sk-sessions.h"
#include "sk-store.h"

G_BEGIN_DECLS

#define SK_ENGINE_ERROR (sk_engine_error_quark ())
typedef enum
{
  SK_ENGINE_ERROR_REVOKED,
  SK_ENGINE_ERROR_UNKNOWN_BADGE,
  SK_ENGINE_ERROR_ALREADY_ENROLLED,
  SK_ENGINE_ERROR_NOT_CHECKED_IN,
  SK_ENGINE_ERROR_NOTHING_PLAYING,
  SK_ENGINE_ERROR_ALREADY_VOTED,
  SK_ENGINE_ERROR_NOTHING_PLAYABLE,
  SK_ENGINE_ERROR_NOT_FOUND,
  SK_ENGINE_ERROR_THROTTLED,
  SK_ENGINE_ERROR_BAD_SONG, /* the song's row cannot be used (its embedding) */
} SkEngineError;

GQuark sk_engine_error_quark (void);

typedef enum
{
  SK_TAP_LISTENER, /* a known listener checked in (or extended) */
  SK_TAP_MANAGER,  /* as LISTENER, and the badge may open the admin page */
  SK_TAP_UNKNOWN,  /* nobody has this badge: offer "Join" */
} SkTapKind;

typedef enum
{
  SK_CHECK_IN_NEW = 0,
  SK_CHECK_IN_EXTENDED = 1 << 0,
  SK_CHECK_IN_MOVED = 1 << 1,
  SK_CHECK_IN_MANAGER = 1 << 2,
} SkCheckInFlags;

typedef struct
{
  SkTapKind kind;
  char *uid;     /* normalised */
  char *user_id; /* NULL for SK_TAP_UNKNOWN */
  char *display_name;
  gboolean extended;
  gint64 expires_at;
} SkTapResult;

typedef struct
{
  char *song_id;
  double score;
  char *why; /* one sentence for the screen (sk_why_sentence) */
} SkQueueEntry;

typedef gint64 (*SkClockFunc) (gpointer user_data);

void sk_tap_result_clear (SkTapResult *result);

#define SK_TYPE_ENGINE (sk_engine_get_type ())
G_DECLARE_FINAL_TYPE (SkEngine, sk_engine, SK, ENGINE, GObject)

SkEngine *sk_engine_new (SkStore *store, GError **error);
SkStore *sk_engine_get_store (SkEngine *self);
const char *sk_engine_get_player_id (SkEngine *self);

/* Tests and benchmarks drive time themselves. */
void sk_engine_set_clock (SkEngine *self, SkClockFunc func, gpointer user_data);
gint64 sk_engine_now (SkEngine *self);

/* A tap of a badge: check in (or extend), offer the join flow, or refuse
 * (revoked; or throttled: more taps of one badge than the setting
 * tap_limit_per_minute, default 6, in the last minute; 0 means no limit).
 * The reader, the command line and the demo all come here. */
gboolean sk_engine_tap (SkEngine *self, const char *uid, SkTapResult *out, GError **error);
/* Whether the listener may open the admin page here: a manager or admin
 * in roles, or this player's manager_id. */
gboolean sk_engine_is_manager (SkEngine *self, const char *user_id);
/* Creates a guest profile (neutral taste, @display_name or a friendly
 * generated one) owning the badge @uid, checks it in, and returns its id. */
char *sk_engine_join (SkEngine *self, const char *uid, const char *display_name, GError **error);
/* An enrolled listener (not a guest), optionally with a role. */
char *sk_engine_enroll (SkEngine *self,
                        const char *uid,
                        const char *display_name,
                        const char *role,
                        const double *preference,
                        GError **error);
gboolean sk_engine_check_out (SkEngine *self, const char *user_id, GError **error);
/* The listener owning the (active) badge @uid. */
char *sk_engine_dup_user_for_uid (SkEngine *self, const char *uid, GError **error);
gboolean sk_engine_vote (SkEngine *self, const char *user_id, int value, GError **error);

/* Track start: the queue's head becomes the current play. */
gboolean sk_engine_start_next (SkEngine *self, char **song_id, GError **error);
/* Track start of a chosen song (the playback's choice: the queue's first
 * song that can play now, or a fallback): a songs_playing row, the
 * player's current_song_id and status "playing", a requeue, and
 * "track-started". */
gboolean sk_engine_start_song (SkEngine *self, const char *song_id, char **play_id, GError **error);
/* Nothing plays: status "idle" (in the players row too) with @message for
 * the UI, and no current song. */
gboolean sk_engine_set_idle (SkEngine *self, const char *message, GError **error);
/* "playing" or "idle"; the message says why it is idle (or NULL). */
const char *sk_engine_get_status (SkEngine *self);
const char *sk_engine_get_status_message (SkEngine *self);
/* songs.playable = 0 with the reason; the song leaves the queue. */
gboolean
sk_engine_mark_unplayable (SkEngine *self, const char *song_id, const char *reason, GError **error);
/* Every playable song of the library, best first for the people present
 * (the current and recently played songs included, lower by their
 * penalty): what the playback falls back on when the queue has nothing it
 * can play. */
GPtrArray *sk_engine_dup_ranked_playable (SkEngine *self);
const char *sk_engine_get_current_song (SkEngine *self);
const char *sk_engine_get_current_play (SkEngine *self);
/* Why the current song plays, for the screen: the "why" sentence of the
 * queue entry it was taken from, or sk_why_fallback()'s when it was not in
 * the queue. NULL when nothing plays or the play was started before this
 * engine was (its sentence was not kept). */
const char *sk_engine_get_current_why (SkEngine *self);

/* Expire sessions that are due and recompute the queue. */
gboolean sk_engine_refresh (SkEngine *self, GError **error);
/* Re-read songs, library and history after an import or a sync. */
gboolean sk_engine_reload (SkEngine *self, GError **error);

typedef enum
{
  SK_ENGINE_CHANGED_NOTHING = 0,
  SK_ENGINE_CHANGED_SETTINGS = 1 << 0,
  SK_ENGINE_CHANGED_LIBRARY = 1 << 1,   /* songs, this player's library */
  SK_ENGINE_CHANGED_LISTENERS = 1 << 2, /* profiles, badges, sessions */
} SkEngineChanges;

/* What another program (soundscape-ctl) committed to the database since
 * the last call: the engine reloads it (settings; songs and library;
 * listeners) and requeues. *@summary (to free; NULL when nothing changed)
 * says what in words, for the log. Cheap when nothing changed: one PRAGMA
 * data_version. The daemon calls it from a timer on its main loop. */
SkEngineChanges sk_engine_pick_up_changes (SkEngine *self, char **summary, GError **error);
/* Writes one setting (sk_settings_set: checked, NULL for the default) and
 * applies it at once, as a change by another program would be; the next
 * pick-up does not report it again. */
gboolean sk_engine_set_setting (SkEngine *self, const char *key, const char *value, GError **error);

const SkQueueEntry *sk_engine_get_queue (SkEngine *self, guint *n);
guint sk_engine_get_n_present (SkEngine *self);
SkRecommender *sk_engine_get_recommender (SkEngine *self);

/* What a manager changes (sk-engine-manage.c); each checked first, one
 * transaction, and the queue follows. An unknown listener, badge or song
 * is SK_ENGINE_ERROR_NOT_FOUND; a bad name or role SK_INPUT_ERROR. */
/* A new display name, checked as sk_badge_clean_name() does. */
/* Names this player (players.name): a display name's rules (sk_badge_clean_name);
 * returns the name as stored. */
char *sk_engine_set_player_name (SkEngine *self, const char *name, GError **error);
gboolean sk_engine_rename_listener (SkEngine *self,
                                    const char *user_id,
                                    const char *display_name,
                                    GError **error);
/* A revoked badge's taps are refused and its listener checked out
 * ("checked-out" with the reason "revoked"); restoring it lets it tap. */
gboolean
sk_engine_set_badge_revoked (SkEngine *self, const char *uid, gboolean revoked, GError **error);
/* "listener", "manager" or "admin" (the roles table). */
gboolean sk_engine_set_role (SkEngine *self, const char *user_id, const char *role, GError **error);
/* This player's library (player_library): these songs in or out; every
 * id must be a song's, or nothing changes. */
gboolean sk_engine_set_in_library (SkEngine *self,
                                   const char *const *song_ids,
                                   gboolean included,
                                   GError **error);
/* Every song (and the songs imported later), or none. */
gboolean sk_engine_set_all_in_library (SkEngine *self, gboolean included, GError **error);
/* Whether a manager chose the songs: then a song is in the library only
 * with a row (with none chosen, no rows is every song). */
gboolean sk_engine_library_is_curated (SkEngine *self);
/* After an import: when the songs were chosen, the songs whose file_url
 * starts with @url_prefix join the library (an import means to play
 * them). */
gboolean sk_engine_include_imported (SkEngine *self, const char *url_prefix, GError **error);

/* A song's title for people: its id if it has none, "—" for NULL. */
char *sk_engine_dup_song_title (SkEngine *self, const char *song_id);

G_END_DECLS
