/* sk-playback.c: keeps the audio player fed from the engine's queue.
 *
 * The state is the list of tracks handed to the player and not yet over
 * (ended, failed, or dropped), in the order they were appended, and which
 * of them plays. A next track replaced after a change of the queue is
 * dropped from the player's pending list; should the decoder have taken
 * it already, its start still arrives, and is recorded like any other
 * (the `dropped` list remembers its song).
 *
 * The player reports; this file reacts, always on the main context:
 *
 *   append A ──track-started A──> A plays: engine track start, append B
 *            ──track-failed A───> A marked unplayable, choose again
 *   A plays  ──track-started B──> B plays (A may still be fading out)
 *            ──track-ended A────> A forgotten
 *            ──idle─────────────> nothing left: choose again, or go idle
 *
 * "Choose" walks the queue for the first song that can play now, then,
 * failing that, every playable song best first (the fallback that keeps
 * the venue from silence). A song that cannot play now because it is
 * still downloading is passed over, not blamed; one whose file is missing
 * or whose URL nobody plays is marked unplayable on the spot.
 *
 * The engine requeues inside its calls (start, mark unplayable) and says
 * so with "queue-changed": while such a call runs (busy), the handler only
 * refreshes the prefetch and leaves the choosing to the caller.
 *
 * A song without a measured loudness (a download: only imports measure)
 * plays at 0 dB the first time while a thread measures it. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "sk-import.h"
#include "sk-playback.h"
#include "sk-settings.h"

typedef struct
{
  guint64 id;
  char *song;
} Track;

struct _SkPlayback
{
  GObject parent_instance;

  SkEngine *engine;
  SkStore *store;
  SkMediaCache *cache;
  SkAudioPlayer *player;
  char *pcm_name;

  GArray *tracks;  /* Track, appended and not over, in order */
  GArray *dropped; /* Track, replaced while maybe already decoding */
  guint64 current; /* the track playing, or 0 */
  double crossfade;
  double volume_cap; /* the schedule's cap on the setting volume */
  gboolean running;
  gboolean busy;         /* in an engine call that requeues */
  gboolean waiting;      /* some song can play once downloaded */
  GHashTable *measuring; /* song ids whose loudness a thread measures */
  gulong queue_changed_id;
  gulong vetoed_id;
  guint retry_source;
};

G_DEFINE_FINAL_TYPE (SkPlayback, sk_playback, G_TYPE_OBJECT)

enum
{
  SIGNAL_SONG_UNPLAYABLE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void fill (SkPlayback *self);

static void
track_clear (gpointer p)
{
  g_free (((Track *) p)->song);
}

static void
sk_playback_dispose (GObject *object)
{
  SkPlayback *self = SK_PLAYBACK (object);

  sk_playback_stop (self);
  g_clear_object (&self->player);
  g_clear_object (&self->cache);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->store, sk_store_unref);

  G_OBJECT_CLASS (sk_playback_parent_class)->dispose (object);
}

static void
sk_playback_finalize (GObject *object)
{
  SkPlayback *self = SK_PLAYBACK (object);

  g_clear_pointer (&self->tracks, g_array_unref);
  g_clear_pointer (&self->dropped, g_array_unref);
  g_clear_pointer (&self->measuring, g_hash_table_unref);
  g_free (self->pcm_name);

  G_OBJECT_CLASS (sk_playback_parent_class)->finalize (object);
}

static void
sk_playback_class_init (SkPlaybackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_playback_dispose;
  object_class->finalize = sk_playback_finalize;

  signals[SIGNAL_SONG_UNPLAYABLE] = g_signal_new ("song-unplayable", G_TYPE_FROM_CLASS (klass),
                                                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
sk_playback_init (SkPlayback *self)
{
  self->tracks = g_array_new (FALSE, TRUE, sizeof (Track));
  g_array_set_clear_func (self->tracks, track_clear);
  self->measuring = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dropped = g_array_new (FALSE, TRUE, sizeof (Track));
  g_array_set_clear_func (self->dropped, track_clear);
  self->crossfade = SK_PLAYBACK_CROSSFADE_DEFAULT;
  self->volume_cap = 1;
}

/* --- settings ----------------------------------------------------------- */

void
sk_playback_reload_settings (SkPlayback *self)
{
  g_autoptr (GError) error = NULL;
  double volume;

  g_return_if_fail (SK_IS_PLAYBACK (self));

  self->crossfade = sk_settings_get_double (self->store, "crossfade_seconds");
  volume = MIN (sk_settings_get_double (self->store, "volume"), self->volume_cap);
  if (!sk_audio_player_set_crossfade (self->player, self->crossfade, &error) ||
      !sk_audio_player_set_volume (self->player, volume, &error))
    g_warning ("Playback settings: %s", error->message);
}

void
sk_playback_set_volume_cap (SkPlayback *self, double cap)
{
  g_return_if_fail (SK_IS_PLAYBACK (self));
  g_return_if_fail (cap >= 0 && cap <= 1);

  self->volume_cap = cap;
  sk_playback_reload_settings (self);
}

double
sk_playback_get_volume (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), 0);
  return MIN (sk_settings_get_double (self->store, "volume"), self->volume_cap);
}

double
sk_playback_get_volume_cap (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), 0);
  return self->volume_cap;
}

const char *
sk_playback_get_pcm_name (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), NULL);
  return self->pcm_name;
}

/* --- construction ------------------------------------------------------- */

SkPlayback *
sk_playback_new (SkEngine *engine, SkMediaCache *cache, const char *pcm_name)
{
  SkPlayback *self;

  g_return_val_if_fail (SK_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (cache == NULL || SK_IS_MEDIA_CACHE (cache), NULL);

  self = g_object_new (SK_TYPE_PLAYBACK, NULL);
  self->engine = g_object_ref (engine);
  self->store = sk_store_ref (sk_engine_get_store (engine));
  self->pcm_name = g_strdup (pcm_name != NULL ? pcm_name : "default");
  if (cache != NULL)
    self->cache = g_object_ref (cache);
  else
    {
      g_autofree char *dir = sk_media_cache_default_dir (self->store);
      double mb = sk_settings_get_double (self->store, "media_cache_max_mb");

      self->cache = sk_media_cache_new (self->store, dir, (guint64) mb * 1024 * 1024);
    }
  self->player = sk_audio_player_new (self->pcm_name);
  return self;
}

SkAudioPlayer *
sk_playback_get_player (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), NULL);
  return self->player;
}

SkMediaCache *
sk_playback_get_cache (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), NULL);
  return self->cache;
}

/* --- tracks ------------------------------------------------------------- */

static int
track_index (SkPlayback *self, guint64 id)
{
  for (guint i = 0; i < self->tracks->len; i++)
    if (g_array_index (self->tracks, Track, i).id == id)
      return (int) i;
  return -1;
}

/* The first track appended after the playing one (or the first of all
 * when none plays yet): the index, or -1. */
static int
pending_index (SkPlayback *self)
{
  int cur = self->current != 0 ? track_index (self, self->current) : -1;

  return (guint) (cur + 1) < self->tracks->len ? cur + 1 : -1;
}

const char *
sk_playback_get_current_song (SkPlayback *self)
{
  int i;

  g_return_val_if_fail (SK_IS_PLAYBACK (self), NULL);
  i = self->current != 0 ? track_index (self, self->current) : -1;
  return i >= 0 ? g_array_index (self->tracks, Track, i).song : NULL;
}

const char *
sk_playback_get_next_song (SkPlayback *self)
{
  int i;

  g_return_val_if_fail (SK_IS_PLAYBACK (self), NULL);
  if (self->current == 0)
    return NULL;
  i = pending_index (self);
  return i >= 0 ? g_array_index (self->tracks, Track, i).song : NULL;
}

gboolean
sk_playback_is_waiting (SkPlayback *self)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), FALSE);
  return self->waiting;
}

static void
protect (SkPlayback *self)
{
  sk_media_cache_set_protected (self->cache, sk_playback_get_current_song (self),
                                sk_playback_get_next_song (self));
}

/* --- choosing ----------------------------------------------------------- */

typedef enum
{
  RESOLVED,
  NOT_NOW,    /* downloading, or not a playable song any more */
  UNPLAYABLE, /* the song's fault: marked */
} Resolution;

/* FALSE when the mark could not be written (a locked or full database):
 * the song still looks playable then, so the caller must not take the
 * ranking again expecting it gone. */
static gboolean
mark_unplayable (SkPlayback *self, const char *song, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup (song);
  gboolean marked;

  g_warning ("Song %s cannot be played, skipped: %s", id, reason);
  self->busy = TRUE;
  marked = sk_engine_mark_unplayable (self->engine, id, reason, &error);
  if (!marked)
    g_warning ("Could not mark song %s unplayable: %s", id, error->message);
  self->busy = FALSE;
  g_signal_emit (self, signals[SIGNAL_SONG_UNPLAYABLE], 0, id, reason);
  return marked;
}

/* A song without a measured loudness (a download, or imported before
 * loudness was measured) plays at 0 dB this once, while a thread measures
 * it for the next time; the store is written here, on the main context. */
typedef struct
{
  char *song;
  char *path;
  double loudness;
} Measure;

static void
measure_free (gpointer p)
{
  Measure *m = p;

  g_free (m->song);
  g_free (m->path);
  g_free (m);
}

static void
measure_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Measure *m = data;
  GError *error = NULL;
  double duration = 0;

  if (!sk_audio_probe_loudness (m->path, &duration, &m->loudness, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
measure_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkPlayback *self = SK_PLAYBACK (source);
  Measure *m = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  g_hash_table_remove (self->measuring, m->song);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* the player says so too, and marks it, if it cannot play it */
      g_debug ("No loudness for song %s: %s", m->song, error->message);
      return;
    }
  if (!isfinite (m->loudness))
    return;
  if (!sk_store_run_sql (self->store, &error,
                         "UPDATE songs SET loudness = ?2 WHERE id = ?1 AND loudness IS NULL", "sd",
                         m->song, m->loudness))
    g_warning ("Could not store the loudness of song %s: %s", m->song, error->message);
  else
    g_debug ("Song %s: %.1f LUFS", m->song, m->loudness);
}

static void
measure_later (SkPlayback *self, const char *song, const char *path)
{
  g_autoptr (GTask) task = NULL;
  Measure *m;

  if (g_hash_table_contains (self->measuring, song))
    return;
  g_hash_table_add (self->measuring, g_strdup (song));
  m = g_new0 (Measure, 1);
  m->song = g_strdup (song);
  m->path = g_strdup (path);
  m->loudness = NAN;
  task = g_task_new (self, NULL, measure_done, NULL);
  g_task_set_task_data (task, m, measure_free);
  g_task_run_in_thread (task, measure_thread);
}

/* The file to play for @song now, and its gain. */
static Resolution
resolve (SkPlayback *self, const char *song, double target, char **path, double *gain)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  double loudness = NAN;
  sqlite3_stmt *stmt;
  int rc;

  stmt = sk_store_prepare (self->store,
                           "SELECT file_url, loudness FROM songs WHERE id = ?1 AND playable = 1",
                           &error);
  if (stmt == NULL)
    {
      g_warning ("Cannot read song %s: %s", song, error->message);
      return NOT_NOW;
    }
  sqlite3_bind_text (stmt, 1, song, -1, SQLITE_STATIC);
  rc = sk_store_step (self->store, stmt, NULL);
  if (rc == SQLITE_ROW)
    {
      url = g_strdup (sk_store_column_text (stmt, 0));
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        loudness = sqlite3_column_double (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (url == NULL)
    return NOT_NOW;

  *path = sk_media_cache_dup_playable_path (self->cache, song, url, &error);
  if (*path != NULL)
    {
      *gain = sk_loudness_gain_db (target, loudness);
      if (isnan (loudness))
        measure_later (self, song, *path);
      return RESOLVED;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      self->waiting = TRUE; /* an http(s) song not downloaded yet */
      return NOT_NOW;
    }
  if (g_error_matches (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_UNSUPPORTED) ||
      g_error_matches (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_LOCAL_MISSING) ||
      g_error_matches (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_OUTSIDE_LIBRARY) ||
      g_error_matches (error, SK_MEDIA_ERROR, SK_MEDIA_ERROR_INVALID))
    return mark_unplayable (self, song, error->message) ? UNPLAYABLE : NOT_NOW;
  g_message ("Song %s cannot play now: %s", song, error->message);
  return NOT_NOW;
}

static GPtrArray *
dup_queue_ids (SkEngine *engine)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const SkQueueEntry *q;
  guint n = 0;

  q = sk_engine_get_queue (engine, &n);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, g_strdup (q[i].song_id));
  return ids;
}

/* The queue's first song that can play now, else the best-scoring one of
 * all that can. NULL with @why set when none can. */
static char *
choose (SkPlayback *self, char **path, double *gain, char **why)
{
  g_autoptr (GPtrArray) queue = dup_queue_ids (self->engine);
  g_autoptr (GPtrArray) ranked = NULL;
  double target = sk_loudness_target (self->store);

  self->waiting = FALSE;
  for (guint i = 0; i < queue->len; i++)
    if (resolve (self, queue->pdata[i], target, path, gain) == RESOLVED)
      return g_strdup (queue->pdata[i]);

  /* The fallback: the ranking without the queue's exclusions. Marking a
   * song unplayable changes it, so take it again after each. */
again:
  g_clear_pointer (&ranked, g_ptr_array_unref);
  ranked = sk_engine_dup_ranked_playable (self->engine);
  for (guint i = 0; i < ranked->len; i++)
    switch (resolve (self, ranked->pdata[i], target, path, gain))
      {
      case RESOLVED:
        return g_strdup (ranked->pdata[i]);
      case UNPLAYABLE:
        goto again;
      case NOT_NOW:
      default:
        break;
      }

  if (self->waiting)
    *why = g_strdup ("Waiting for the soundscapes to download");
  else if (sk_recommender_get_n_songs (sk_engine_get_recommender (self->engine)) == 0)
    *why = g_strdup ("There is nothing to play: import some soundscapes");
  else
    *why = g_strdup ("None of the soundscapes in the library can be played");
  return NULL;
}

/* --- the media cache ---------------------------------------------------- */

/* The queue, in its order; while nothing can play, every playable song
 * after it, so that the fallback has something to fall back on. */
static void
prefetch (SkPlayback *self)
{
  g_autoptr (GPtrArray) ids = dup_queue_ids (self->engine);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (!self->running)
    return;
  if (self->waiting)
    {
      g_autoptr (GPtrArray) ranked = sk_engine_dup_ranked_playable (self->engine);

      for (guint i = 0; i < ranked->len; i++)
        g_ptr_array_add (ids, g_strdup (ranked->pdata[i]));
    }
  for (guint i = 0; i < ids->len;)
    if (!g_hash_table_add (seen, ids->pdata[i]))
      g_ptr_array_remove_index (ids, i);
    else
      i++;
  sk_media_cache_prefetch (self->cache, (const char *const *) ids->pdata, ids->len);
}

static gboolean
retry_cb (gpointer user_data)
{
  SkPlayback *self = user_data;

  self->retry_source = 0;
  fill (self);
  return G_SOURCE_REMOVE;
}

static void
arm_retry (SkPlayback *self)
{
  if (self->retry_source == 0)
    self->retry_source = g_timeout_add_seconds (SK_PLAYBACK_RETRY_SECONDS, retry_cb, self);
}

/* --- feeding the player ------------------------------------------------- */

static void
append (SkPlayback *self,
        char *song, /* taken */
        const char *path,
        double gain)
{
  Track t;

  t.song = song;
  t.id = sk_audio_player_append (self->player, path, gain);
  g_debug ("Track %" G_GUINT64_FORMAT ": song %s (%s, %+.1f dB)", t.id, song, path, gain);
  g_array_append_val (self->tracks, t);
}

/* Keeps a track playing and one after it. */
static void
fill (SkPlayback *self)
{
  g_autofree char *song = NULL;
  g_autofree char *path = NULL;
  g_autofree char *why = NULL;
  double gain = 0;

  if (!self->running)
    return;
  /* something appended that has not started yet: wait for the player */
  if (pending_index (self) >= 0)
    return;

  song = choose (self, &path, &gain, &why);
  if (song != NULL)
    {
      g_clear_handle_id (&self->retry_source, g_source_remove);
      append (self, g_steal_pointer (&song), path, gain);
      protect (self);
      return;
    }

  if (self->current == 0)
    {
      g_autoptr (GError) error = NULL;

      if (g_strcmp0 (sk_engine_get_status_message (self->engine), why) != 0)
        g_message ("Nothing plays: %s", why);
      self->busy = TRUE;
      if (!sk_engine_set_idle (self->engine, why, &error))
        g_warning ("Could not record that the player is idle: %s", error->message);
      self->busy = FALSE;
    }
  if (self->waiting)
    {
      prefetch (self);
      arm_retry (self);
    }
}

/* The queue changed while a track plays: the song appended to follow it
 * may no longer be the one to play next. Replace it unless the crossfade
 * into it may have begun. */
static void
reconsider_next (SkPlayback *self)
{
  g_autofree char *song = NULL;
  g_autofree char *path = NULL;
  g_autofree char *why = NULL;
  const char *next;
  const char *cur;
  double gain = 0, left = -1;
  sqlite3_stmt *stmt;
  int p;

  p = pending_index (self);
  if (self->current == 0 || p < 0)
    {
      fill (self);
      return;
    }
  next = g_array_index (self->tracks, Track, p).song;
  cur = sk_playback_get_current_song (self);

  stmt = sk_store_query (self->store, NULL, "SELECT duration FROM songs WHERE id = ?1", "s", cur);
  if (stmt == NULL)
    return;
  if (sk_store_step (self->store, stmt, NULL) == SQLITE_ROW &&
      sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    left = sqlite3_column_double (stmt, 0) - sk_audio_player_get_position (self->player);
  sqlite3_reset (stmt);
  /* The decoder opens the next file a crossfade (its lookahead) and a
   * ring (under half a second) before the output mixes it in: past that
   * point the next is no longer the player's to drop. */
  if (left < 2 * self->crossfade + 2.0 || sk_audio_player_get_n_pending (self->player) == 0)
    return;

  song = choose (self, &path, &gain, &why);
  if (song == NULL || strcmp (song, next) == 0)
    return;
  g_debug ("The queue changed: %s follows instead of %s", song, next);
  sk_audio_player_clear_pending (self->player);
  for (guint i = (guint) p; i < self->tracks->len; i++)
    {
      Track *t = &g_array_index (self->tracks, Track, i);
      Track d = { t->id, g_steal_pointer (&t->song) };

      g_array_append_val (self->dropped, d);
    }
  g_array_set_size (self->tracks, (guint) p);
  append (self, g_steal_pointer (&song), path, gain);
  protect (self);
}

static void
on_queue_changed (SkEngine *engine, SkPlayback *self)
{
  prefetch (self);
  if (!self->busy && self->running)
    reconsider_next (self);
}

/* --- the player's reports ----------------------------------------------- */

/* A dropped track that starts all the same goes back into the list, just
 * after the one playing: it is what plays next. */
static gboolean
undrop (SkPlayback *self, guint64 track)
{
  int cur = self->current != 0 ? track_index (self, self->current) : -1;

  for (guint i = 0; i < self->dropped->len; i++)
    {
      Track *d = &g_array_index (self->dropped, Track, i);
      Track t;

      if (d->id != track)
        continue;
      t.id = d->id;
      t.song = g_steal_pointer (&d->song);
      g_array_remove_index (self->dropped, i);
      g_array_insert_val (self->tracks, (guint) (cur + 1), t);
      g_debug ("Track %" G_GUINT64_FORMAT " was decoding already: song %s plays", t.id, t.song);
      return TRUE;
    }
  return FALSE;
}

static void
forget_dropped (SkPlayback *self, guint64 track)
{
  for (guint i = 0; i < self->dropped->len; i++)
    if (g_array_index (self->dropped, Track, i).id == track)
      {
        g_array_remove_index (self->dropped, i);
        return;
      }
}

static void
on_track_started (SkAudioPlayer *player, guint64 track, const char *path, SkPlayback *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *song = NULL;
  int i = track_index (self, track);

  if (i < 0 && !undrop (self, track))
    return;
  i = track_index (self, track);
  song = g_strdup (g_array_index (self->tracks, Track, i).song);
  self->current = track;
  /* tracks play in order: one dropped before this one never will */
  for (guint j = 0; j < self->dropped->len;)
    if (g_array_index (self->dropped, Track, j).id < track)
      g_array_remove_index (self->dropped, j);
    else
      j++;

  self->busy = TRUE;
  if (!sk_engine_start_song (self->engine, song, NULL, &error))
    g_warning ("Could not record the start of song %s: %s", song, error->message);
  self->busy = FALSE;
  sk_media_cache_mark_played (self->cache, song, sk_engine_now (self->engine));

  fill (self);
  protect (self);
  prefetch (self);
}

static void
on_track_ended (SkAudioPlayer *player, guint64 track, SkPlayback *self)
{
  int i = track_index (self, track);

  if (i >= 0)
    g_array_remove_index (self->tracks, (guint) i);
  forget_dropped (self, track);
  if (track == self->current)
    self->current = 0;
  fill (self);
}

static void
on_track_failed (
    SkAudioPlayer *player, guint64 track, const char *path, const GError *error, SkPlayback *self)
{
  g_autofree char *song = NULL;
  int i = track_index (self, track);

  if (i < 0 && undrop (self, track))
    i = track_index (self, track);
  if (i < 0)
    return;
  song = g_strdup (g_array_index (self->tracks, Track, i).song);
  g_array_remove_index (self->tracks, (guint) i);
  if (track == self->current)
    self->current = 0;
  mark_unplayable (self, song, error != NULL ? error->message : "it cannot be read");
  fill (self);
  protect (self);
}

static void
on_idle (SkAudioPlayer *player, SkPlayback *self)
{
  /* Every track appended before the player went idle has ended or failed
   * by now (those reports come first); one appended since may not have
   * started yet, and fill() waits for it. */
  fill (self);
}

static void
on_pcm_error (SkAudioPlayer *player, const GError *error, SkPlayback *self)
{
  /* the player has said it in the log, once per change */
  g_debug ("The audio output %s fails: %s", self->pcm_name,
           error != NULL ? error->message : "unknown error");
}

/* --- start and stop ----------------------------------------------------- */

/* The room vetoed the song playing (the engine's crowd veto): it fades
 * out with the crossfade, as a skip does, and the next one plays. */
static void
on_vetoed (SkEngine *engine,
           const char *song_id,
           const char *play_id,
           const char *message,
           SkPlayback *self)
{
  if (g_strcmp0 (sk_playback_get_current_song (self), song_id) != 0)
    return; /* it ended on its own meanwhile */
  sk_audio_player_skip (self->player);
}

gboolean
sk_playback_start (SkPlayback *self, GError **error)
{
  g_return_val_if_fail (SK_IS_PLAYBACK (self), FALSE);

  if (self->running)
    return TRUE;
  /* before any download of ours runs */
  {
    g_autoptr (GError) sweep_error = NULL;

    sk_media_cache_sweep (self->cache, &sweep_error);
    if (sweep_error != NULL)
      g_warning ("The media cache was not swept: %s", sweep_error->message);
  }

  g_signal_connect (self->player, "track-started", G_CALLBACK (on_track_started), self);
  g_signal_connect (self->player, "track-ended", G_CALLBACK (on_track_ended), self);
  g_signal_connect (self->player, "track-failed", G_CALLBACK (on_track_failed), self);
  g_signal_connect (self->player, "idle", G_CALLBACK (on_idle), self);
  g_signal_connect (self->player, "pcm-error", G_CALLBACK (on_pcm_error), self);
  sk_playback_reload_settings (self);
  if (!sk_audio_player_start (self->player, error))
    {
      g_signal_handlers_disconnect_by_data (self->player, self);
      return FALSE;
    }
  self->running = TRUE;
  self->queue_changed_id = g_signal_connect (self->engine, "queue-changed",
                                             G_CALLBACK (on_queue_changed), self);
  self->vetoed_id = g_signal_connect (self->engine, "vetoed", G_CALLBACK (on_vetoed), self);
  fill (self);
  prefetch (self);
  return TRUE;
}

void
sk_playback_stop (SkPlayback *self)
{
  g_return_if_fail (SK_IS_PLAYBACK (self));

  if (!self->running)
    return;
  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_signal_handler (&self->queue_changed_id, self->engine);
  g_clear_signal_handler (&self->vetoed_id, self->engine);
  g_signal_handlers_disconnect_by_data (self->player, self);
  sk_audio_player_stop (self->player, FALSE);
  /* a running download holds a reference on the cache */
  sk_media_cache_prefetch (self->cache, NULL, 0);
  sk_media_cache_set_protected (self->cache, NULL, NULL);
  g_array_set_size (self->tracks, 0);
  g_array_set_size (self->dropped, 0);
  self->current = 0;
  if (!sk_engine_set_idle (self->engine, "Playback is stopped", NULL))
    g_debug ("Could not record that playback stopped");
}
