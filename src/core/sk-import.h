/* sk-import.h: adding audio files with JSON sidecars to the library. */
#pragma once

#include "sk-store.h"

G_BEGIN_DECLS

typedef struct
{
  char *path;
  char *reason;
} SkImportProblem;

typedef struct
{
  char *title;
  char *artist;
  char *type;
  double embedding[SK_DIM];
  int bpm; /* 0: unknown */
} SkSidecar;

void sk_sidecar_clear (SkSidecar *sidecar);
gboolean sk_sidecar_load (const char *path, SkSidecar *out, GError **error);
/* What sk_sidecar_load does once the file is read: @data (@len bytes) is
 * the sidecar's text. */
gboolean sk_sidecar_parse (const char *data, gsize len, SkSidecar *out, GError **error);

/* Probe an audio file by decoding all of it: its duration in seconds, or
 * FALSE with the reason (unreadable, unsupported, truncated, empty). */
gboolean sk_audio_probe (const char *path, double *duration, GError **error);
/* As sk_audio_probe, and measures the integrated loudness (EBU R128, in
 * LUFS) in the same pass. @loudness is NAN when the file is too short or
 * too quiet to have one (R128 gates out everything below -70 LUFS). */
gboolean
sk_audio_probe_loudness (const char *path, double *duration, double *loudness, GError **error);

/* Loudness normalisation: playback gain = target - measured, clamped.
 *
 * The default target is EBU R128's own -23 LUFS rather than the -14 to -18
 * of streaming services: soundscapes are quiet material (rain, wind), and
 * bringing a -35 LUFS rain track up to -18 would push its peaks past full
 * scale, while -23 leaves the headroom to raise it; the venue's volume does
 * the rest. The gain is clamped to ±12 dB so that a mismeasured or nearly
 * silent file is never boosted into noise (nor a loud one cut to nothing).
 * The setting `loudness_target_lufs` overrides the target (-40 to -5). */
#define SK_LOUDNESS_MAX_GAIN_DB 12.0

/* 0 when @measured is NAN (not measured: a song from the cloud, say). */
double sk_loudness_gain_db (double target_lufs, double measured_lufs);
/* The setting `loudness_target_lufs`, or the default (with a warning when
 * the setting is not a number in range). */
double sk_loudness_target (SkStore *store);

/* Imports every audio file in @dir (WAV, FLAC, OGG, Opus, MP3) that has a
 * valid sidecar NAME.json beside it. Good files are written in one
 * transaction (re-importing a file updates its row); each bad one is named
 * in @problems (SkImportProblem*) and writes nothing. FALSE with @error only
 * when the directory or the database fails. */
gboolean sk_import_dir (
    SkStore *store, const char *dir, guint *n_imported, GPtrArray **problems, GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SkSidecar, sk_sidecar_clear)

/* Called in the importing thread as each audio file has been read and
 * measured (@done of @total; @path the one just read), before anything is
 * written: no transaction is open while files are read. */
typedef void (*SkImportProgressFunc) (guint done, guint total, const char *path, gpointer data);

/* sk_import_dir with @progress (may be NULL). */
gboolean sk_import_dir_full (SkStore *store,
                             const char *dir,
                             SkImportProgressFunc progress,
                             gpointer progress_data,
                             guint *n_imported,
                             GPtrArray **problems,
                             GError **error);

G_END_DECLS
