/* sk-import.c: reads audio files and their sidecars into the songs table.
 *
 * Each file is checked completely before anything is written: the audio is
 * decoded to its end (a file that stops early is truncated, whatever its
 * header says), the sidecar is validated field by field. Only then is the
 * row written, and all rows of one import go in one transaction.
 *
 * The same full decode measures the song's integrated loudness (EBU R128,
 * libebur128), stored in songs.loudness: playback normalises every song to
 * one target with it (sk_loudness_gain_db). */
#include "config.h"

#include <ebur128.h>
#include <errno.h>
#include <math.h>
#include <glib/gstdio.h>
#include <sndfile.h>
#include <string.h>

#include "sk-import.h"
#include "sk-settings.h"
#include "sk-util.h"

#define MAX_TEXT 200
#define MAX_SIDECAR (256 * 1024)

static const char *const audio_ext[] = { ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3" };

void
sk_sidecar_clear (SkSidecar *sidecar)
{
  g_clear_pointer (&sidecar->title, g_free);
  g_clear_pointer (&sidecar->artist, g_free);
  g_clear_pointer (&sidecar->type, g_free);
}

static gboolean
text_field (JsonObject *obj, const char *name, gboolean required, char **out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *s;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” is missing", name);
      return !required;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” must be text", name);
      return FALSE;
    }
  s = json_node_get_string (node);
  if (g_utf8_strlen (s, -1) > MAX_TEXT)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
                   "“%s” is longer than %d characters", name, MAX_TEXT);
      return FALSE;
    }
  if (required && *s == '\0')
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“%s” is empty", name);
      return FALSE;
    }
  *out = g_strdup (s);
  return TRUE;
}

/* Why @path is no file to read, or NULL when it is a regular file (a
 * symbolic link to one counts). A FIFO would block the reader forever. */
static char *
not_a_file (const char *path)
{
  GStatBuf st;
  gboolean link = FALSE;

  if (g_lstat (path, &st) != 0)
    return g_strdup (g_strerror (errno));
  if (S_ISLNK (st.st_mode))
    {
      link = TRUE;
      if (g_stat (path, &st) != 0)
        {
          int saved = errno;

          if (saved == ELOOP)
            return g_strdup ("a symbolic link that loops");
          if (saved == ENOENT)
            return g_strdup ("a symbolic link to nothing");
          return g_strdup_printf ("a symbolic link that cannot be followed: %s",
                                  g_strerror (saved));
        }
    }
  if (S_ISREG (st.st_mode))
    return NULL;
  return g_strdup_printf ("%s%s, not a file", link ? "a symbolic link to " : "",
                          S_ISDIR (st.st_mode)    ? "a directory"
                          : S_ISFIFO (st.st_mode) ? "a FIFO (reading it could wait forever)"
                          : S_ISSOCK (st.st_mode) ? "a socket"
                          : S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) ? "a device"
                                                                         : "something else");
}

gboolean
sk_sidecar_load (const char *path, SkSidecar *out, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *kind = NULL;
  gsize len = 0;
  GStatBuf st;

  memset (out, 0, sizeof *out);
  kind = not_a_file (path);
  if (kind != NULL)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, kind);
      return FALSE;
    }
  if (g_stat (path, &st) == 0 && st.st_size > MAX_SIDECAR)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
                   "the sidecar is larger than %d KiB", MAX_SIDECAR / 1024);
      return FALSE;
    }
  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  return sk_sidecar_parse (contents, len, out, error);
}

gboolean
sk_sidecar_parse (const char *data, gsize len, SkSidecar *out, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) local = NULL;
  JsonObject *obj;
  JsonNode *node;

  memset (out, 0, sizeof *out);
  if (len > MAX_SIDECAR)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE,
                   "the sidecar is larger than %d KiB", MAX_SIDECAR / 1024);
      return FALSE;
    }
  /* the caller names the file: the message says only what is wrong */
  root = sk_json_parse_object (data, len, error);
  if (root == NULL)
    return FALSE;
  obj = json_node_get_object (root);

  if (!text_field (obj, "title", TRUE, &out->title, error) ||
      !text_field (obj, "artist", FALSE, &out->artist, error) ||
      !text_field (obj, "type", FALSE, &out->type, error))
    goto fail;
  if (out->type == NULL)
    out->type = g_strdup ("soundscape");
  else if (strcmp (out->type, "soundscape") != 0 && strcmp (out->type, "instrumental") != 0)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "“type” is “%s”; expected soundscape or instrumental", out->type);
      goto fail;
    }

  if (!sk_vec_from_json (json_object_get_member (obj, "embedding"), out->embedding, TRUE, &local))
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "“embedding”: %s",
                   local->message);
      goto fail;
    }

  node = json_object_get_member (obj, "bpm");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      gint64 bpm;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          (bpm = json_node_get_int (node)) < 1 || bpm > 400)
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "“bpm” must be a whole number from 1 to 400, or null");
          goto fail;
        }
      out->bpm = (int) bpm;
    }
  return TRUE;

fail:
  sk_sidecar_clear (out);
  return FALSE;
}

static ebur128_state *
loudness_meter_new (int channels, int rate)
{
  ebur128_state *st = ebur128_init ((unsigned) channels, (unsigned long) rate, EBUR128_MODE_I);

  /* A mono file plays on both speakers: R128 counts such a channel twice,
   * so that it measures as loud as the same sound in stereo. Beyond two
   * channels libebur128's default map (L R C LFE Ls Rs) is the usual WAV
   * order. */
  if (st != NULL && channels == 1)
    ebur128_set_channel (st, 0, EBUR128_DUAL_MONO);
  return st;
}

static gboolean
probe (const char *path, double *duration, double *loudness, GError **error)
{
  SF_INFO info = { 0 };
  SNDFILE *sf;
  float *buf;
  sf_count_t total = 0, got;
  ebur128_state *meter = NULL;
  int major;
  gboolean finite = TRUE;
  int sf_code;
  g_autofree char *sf_reason = NULL;

  sf = sk_sndfile_open (path, &info, &sf_code, &sf_reason);
  if (sf == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "not a readable audio file (%s)",
                   sf_reason);
      return FALSE;
    }
  if (info.channels < 1 || info.channels > SK_AUDIO_MAX_CHANNELS ||
      info.samplerate < SK_AUDIO_MIN_RATE || info.samplerate > SK_AUDIO_MAX_RATE)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "unsupported audio: %d channels at %d Hz", info.channels, info.samplerate);
      sf_close (sf);
      return FALSE;
    }
  /* libsndfile shortens the length of a cut-off RIFF/AIFF file to what is
   * there and only says so in its log: "data : 96000 (should be 47978)". */
  {
    char log[2048] = "";
    g_auto (GStrv) lines = NULL;

    sf_command (sf, SFC_GET_LOG_INFO, log, sizeof log);
    lines = g_strsplit (log, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      {
        const char *should = strstr (lines[i], "(should be ");
        const char *colon = strchr (lines[i], ':');

        if (!(g_str_has_prefix (lines[i], "data") || g_str_has_prefix (lines[i], "SSND")) ||
            should == NULL || colon == NULL ||
            g_ascii_strtoll (should + 11, NULL, 10) >= g_ascii_strtoll (colon + 1, NULL, 10))
          continue;
        g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "the audio is truncated (%s)",
                     g_strstrip (lines[i]));
        sf_close (sf);
        return FALSE;
      }
  }

  if (loudness != NULL)
    {
      meter = loudness_meter_new (info.channels, info.samplerate);
      if (meter == NULL)
        {
          g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                               "cannot measure the loudness (out of memory)");
          sf_close (sf);
          return FALSE;
        }
    }
  buf = g_new (float, (gsize) 4096 * info.channels);
  while ((got = sf_readf_float (sf, buf, 4096)) > 0)
    {
      total += got;
      for (gsize i = 0; i < (gsize) got * info.channels && finite; i++)
        finite = isfinite (buf[i]);
      if (meter != NULL && finite)
        ebur128_add_frames_float (meter, buf, (size_t) got);
    }
  g_free (buf);
  if (!finite)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                           "the audio is damaged (samples that are not numbers)");
      goto fail;
    }
  major = info.format & SF_FORMAT_TYPEMASK;
  if (sf_error (sf) != SF_ERR_NO_ERROR)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "the audio is damaged (%s)",
                   sf_strerror (sf));
      goto fail;
    }
  sf_close (sf);
  sf = NULL;

  if (total == 0)
    {
      g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "the audio is empty");
      goto fail;
    }
  /* MP3 frame counts are estimates; everything else must decode to the
   * length its header promises. */
  if (major != SF_FORMAT_MPEG && info.frames > 0 && total < info.frames)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "the audio is truncated (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames)",
                   (gint64) total, (gint64) info.frames);
      goto fail;
    }
  if (meter != NULL)
    {
      double lufs = -HUGE_VAL;

      /* Shorter than one 400 ms block, or all of it below the absolute
       * gate: no loudness, and no gain either. */
      if (ebur128_loudness_global (meter, &lufs) != EBUR128_SUCCESS || !isfinite (lufs))
        lufs = NAN;
      *loudness = lufs;
      ebur128_destroy (&meter);
    }
  *duration = (double) total / info.samplerate;
  return TRUE;

fail:
  if (sf != NULL)
    sf_close (sf);
  if (meter != NULL)
    ebur128_destroy (&meter);
  return FALSE;
}

gboolean
sk_audio_probe (const char *path, double *duration, GError **error)
{
  return probe (path, duration, NULL, error);
}

gboolean
sk_audio_probe_loudness (const char *path, double *duration, double *loudness, GError **error)
{
  g_return_val_if_fail (loudness != NULL, FALSE);
  return probe (path, duration, loudness, error);
}

double
sk_loudness_gain_db (double target_lufs, double measured_lufs)
{
  if (!isfinite (measured_lufs) || !isfinite (target_lufs))
    return 0.0;
  return CLAMP (target_lufs - measured_lufs, -SK_LOUDNESS_MAX_GAIN_DB, SK_LOUDNESS_MAX_GAIN_DB);
}

double
sk_loudness_target (SkStore *store)
{
  return sk_settings_get_double (store, "loudness_target_lufs");
}

static gboolean
is_audio (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (audio_ext); i++)
    if (g_str_has_suffix (lower, audio_ext[i]))
      return TRUE;
  return FALSE;
}

static void
problem_free (gpointer p)
{
  SkImportProblem *pr = p;

  g_free (pr->path);
  g_free (pr->reason);
  g_free (pr);
}

static void
add_problem (GPtrArray *problems, const char *path, const char *reason)
{
  SkImportProblem *pr = g_new0 (SkImportProblem, 1);

  pr->path = g_strdup (path);
  pr->reason = g_strdup (reason);
  g_ptr_array_add (problems, pr);
}

static gboolean
write_song (SkStore *store,
            const char *uri,
            const SkSidecar *sc,
            double duration,
            double loudness,
            gint64 now,
            GError **error)
{
  g_autofree char *id = sk_uuid_new ();
  g_autofree char *ts = sk_time_format (now);
  g_autofree char *emb = sk_vec_format (sc->embedding);
  g_autofree char *payload = NULL;
  sqlite3_stmt *stmt;

  stmt = sk_store_query (
      store, error,
      "INSERT INTO songs (id, title, artist, file_url, type, embedding, duration, bpm, "
      "  loudness, playable, unplayable_reason, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, 1, NULL, ?9, ?9) "
      "ON CONFLICT (file_url) DO UPDATE SET title = excluded.title, "
      "  artist = excluded.artist, type = excluded.type, embedding = excluded.embedding, "
      "  duration = excluded.duration, bpm = excluded.bpm, "
      "  loudness = excluded.loudness, playable = 1, "
      "  unplayable_reason = NULL, updated_at = excluded.updated_at "
      "RETURNING json_object('id', id, 'title', title, 'artist', artist, "
      "  'file_url', file_url, 'type', type, 'embedding', embedding, "
      "  'duration', duration, 'bpm', bpm, 'created_at', created_at, "
      "  'updated_at', updated_at), id",
      "ssssssi", id, sc->title, sc->artist, uri, sc->type, emb, (int) lround (duration));
  if (stmt == NULL)
    return FALSE;
  if (sc->bpm > 0)
    sqlite3_bind_int (stmt, 8, sc->bpm);
  else
    sqlite3_bind_null (stmt, 8);
  sqlite3_bind_text (stmt, 9, ts, -1, SQLITE_STATIC);
  if (isfinite (loudness))
    sqlite3_bind_double (stmt, 10, loudness);
  else
    sqlite3_bind_null (stmt, 10);
  if (sk_store_step (store, stmt, error) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return FALSE;
    }
  payload = g_strdup (sk_store_column_text (stmt, 0));
  g_free (id);
  id = g_strdup (sk_store_column_text (stmt, 1));
  sqlite3_reset (stmt);
  return sk_store_outbox_add (store, "song", id, payload, now, error);
}

/* One audio file of an import, prepared off the store: its sidecar, its
 * duration and loudness, or the problem that keeps it out. */
typedef struct
{
  char *path;
  SkSidecar sidecar;
  double duration;
  double loudness;
  char *problem;
  GAsyncQueue *done; /* the Prepared goes there when it is */
} Prepared;

/* In a GThreadPool worker: touches only its own Prepared. */
static void
prepare_one (Prepared *job)
{
  g_autofree char *kind = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *sidecar = NULL;
  g_autoptr (GError) bad = NULL;

  kind = not_a_file (job->path);
  if (kind != NULL)
    {
      job->problem = g_steal_pointer (&kind);
      return;
    }
  stem = g_strndup (job->path, strrchr (job->path, '.') - job->path);
  sidecar = g_strconcat (stem, ".json", NULL);
  if (!g_file_test (sidecar, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      job->problem = g_strdup ("no sidecar (expected NAME.json beside it)");
      return;
    }
  if (!sk_sidecar_load (sidecar, &job->sidecar, &bad))
    {
      g_autofree char *base = g_path_get_basename (sidecar);

      job->problem = g_strdup_printf ("%s: %s", base, bad->message);
      return;
    }
  if (!sk_audio_probe_loudness (job->path, &job->duration, &job->loudness, &bad))
    job->problem = g_strdup (bad->message);
}

static void
prepare_job (gpointer data, gpointer user_data)
{
  Prepared *job = data;

  prepare_one (job);
  g_async_queue_push (job->done, job);
}

static void
prepared_free_all (Prepared *jobs, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_free (jobs[i].path);
      g_free (jobs[i].problem);
      sk_sidecar_clear (&jobs[i].sidecar);
    }
  g_free (jobs);
}

gboolean
sk_import_dir (
    SkStore *store, const char *dir, guint *n_imported, GPtrArray **problems, GError **error)
{
  return sk_import_dir_full (store, dir, NULL, NULL, n_imported, problems, error);
}

gboolean
sk_import_dir_full (SkStore *store,
                    const char *dir,
                    SkImportProgressFunc progress,
                    gpointer progress_data,
                    guint *n_imported,
                    GPtrArray **problems,
                    GError **error)
{
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (problem_free);
  g_autofree char *absdir = NULL;
  const char *name;
  guint n = 0;
  gint64 now = g_get_real_time ();
  Prepared *jobs;
  GThreadPool *pool;
  g_autoptr (GAsyncQueue) done = g_async_queue_new ();
  guint total = 0;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  absdir = g_canonicalize_filename (dir, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, sk_str_ptr_cmp);

  /* Decode and measure first, on up to two threads (the Pi's cores are
   * shared with the player, which runs at a higher priority), with no
   * transaction open: a long import must not hold the write lock that
   * taps and the playback need. Then one short transaction writes it all. */
  jobs = g_new0 (Prepared, names->len);
  pool = g_thread_pool_new (prepare_job, NULL, 2, FALSE, NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *file = names->pdata[i];

      if (!is_audio (file))
        continue;
      jobs[i].path = g_build_filename (absdir, file, NULL);
      jobs[i].loudness = NAN;
      jobs[i].done = done;
      g_thread_pool_push (pool, &jobs[i], NULL);
      total++;
    }
  for (guint i = 0; i < total; i++)
    {
      Prepared *job = g_async_queue_pop (done);

      if (progress != NULL)
        progress (i + 1, total, job->path, progress_data);
    }
  g_thread_pool_free (pool, FALSE, TRUE);

  if (!sk_store_begin (store, error))
    {
      prepared_free_all (jobs, names->len);
      return FALSE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      Prepared *job = &jobs[i];
      g_autofree char *uri = NULL;

      if (job->path == NULL)
        continue;
      if (job->problem != NULL)
        {
          add_problem (found, job->path, job->problem);
          continue;
        }
      uri = g_filename_to_uri (job->path, NULL, NULL);
      if (uri == NULL ||
          !write_song (store, uri, &job->sidecar, job->duration, job->loudness, now, error))
        {
          if (uri == NULL)
            g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID, "%s: cannot make a URI",
                         job->path);
          sk_store_rollback (store);
          prepared_free_all (jobs, names->len);
          return FALSE;
        }
      n++;
    }
  prepared_free_all (jobs, names->len);
  /* What was imported from here may play from here (sk-media-url.c). */
  if (n > 0 && !sk_settings_add_library_dir (store, absdir, error))
    {
      sk_store_rollback (store);
      return FALSE;
    }

  if (!sk_store_commit (store, error))
    return FALSE;
  if (n_imported)
    *n_imported = n;
  if (problems)
    *problems = g_steal_pointer (&found);
  return TRUE;
}
