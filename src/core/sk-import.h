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
  char   *title;
  char   *artist;
  char   *type;
  double  embedding[SK_DIM];
  int     bpm;          /* 0: unknown */
} SkSidecar;

void     sk_sidecar_clear    (SkSidecar   *sidecar);
gboolean sk_sidecar_load     (const char  *path,
                              SkSidecar   *out,
                              GError     **error);

/* Probe an audio file by decoding all of it: its duration in seconds, or
 * FALSE with the reason (unreadable, unsupported, truncated, empty). */
gboolean sk_audio_probe      (const char  *path,
                              double      *duration,
                              GError     **error);

/* Imports every audio file in @dir (WAV, FLAC, OGG, Opus, MP3) that has a
 * valid sidecar NAME.json beside it. Good files are written in one
 * transaction (re-importing a file updates its row); each bad one is named
 * in @problems (SkImportProblem*) and writes nothing. FALSE with @error only
 * when the directory or the database fails. */
gboolean sk_import_dir       (SkStore     *store,
                              const char  *dir,
                              guint       *n_imported,
                              GPtrArray  **problems,
                              GError     **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SkSidecar, sk_sidecar_clear)

G_END_DECLS
