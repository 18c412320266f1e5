/* bench-engine-memory: what the engine service holds in memory with a
 * venue's library.
 *
 * soundscaped runs on a database of 10 000 songs (and 50 listeners checked
 * in), playing through the paced test PCM at real speed with no badge
 * reader; once it plays, its resident set (VmRSS) and peak (VmHWM) are read
 * from /proc. Baseline in the same run: the same program on an empty
 * library. Budget (docs/DESIGN.md): under 30 MB resident with 10 000 songs.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sk-bench-util.h"
#include "sk-paced.h"
#include "sk-engine.h"
#include "sk-settings.h"
#include "sk-store.h"
#include "sk-test-util.h"
#include "sk-util.h"

#define N_SONGS 10000
#define N_LISTENERS 50
#define PLAY_SECONDS 3

/* Each song its own file name (file_url is unique), all one short loop. */
static void
fill (const char *db, const char *wav, guint n_songs, guint n_listeners)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_open (db, &error);
  g_autofree char *lib = g_strconcat (db, ".songs", NULL);
  g_autofree char *now = sk_time_format (g_get_real_time ());
  GRand *rand = g_rand_new_with_seed (7);
  g_autoptr (SkEngine) engine = NULL;
  sqlite3_stmt *song;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (lib, 0700), ==, 0);
  g_assert_true (sk_store_begin (store, &error));
  song = sk_store_prepare (store,
                           "INSERT INTO songs (id, title, file_url, embedding, duration, loudness, "
                           "created_at, updated_at) VALUES (?1, ?1, ?2, ?3, 5, -23, ?4, ?4)",
                           &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_songs; i++)
    {
      g_autofree char *id = sk_uuid_new ();
      g_autofree char *emb = NULL;
      g_autofree char *name = g_strdup_printf ("%05u.wav", i);
      g_autofree char *path = g_build_filename (lib, name, NULL);
      g_autofree char *url = g_filename_to_uri (path, NULL, NULL);
      double v[SK_DIM];

      /* a hard link: the player opens no symbolic link */
      g_assert_cmpint (link (wav, path), ==, 0);
      sk_bench_random_vec (rand, v);
      emb = sk_vec_format (v);
      sqlite3_bind_text (song, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (song, 2, url, -1, SQLITE_STATIC);
      sqlite3_bind_text (song, 3, emb, -1, SQLITE_STATIC);
      sqlite3_bind_text (song, 4, now, -1, SQLITE_STATIC);
      g_assert_true (sk_store_run (store, song, &error));
    }
  g_assert_true (sk_store_commit (store, &error));
  g_assert_no_error (error);
  /* local files play only from the library directories */
  g_assert_true (sk_settings_add_library_dir (store, lib, &error));
  g_assert_no_error (error);

  /* the listeners check in through the engine, as badges would */
  engine = sk_engine_new (store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_listeners; i++)
    {
      g_autofree char *uid = g_strdup_printf ("04%06X", i + 1);
      g_autofree char *name = g_strdup_printf ("Listener %u", i + 1);
      g_autofree char *id = NULL;
      SkTapResult r = { 0 };
      double v[SK_DIM];

      sk_bench_random_taste (rand, 0.3, v);
      id = sk_engine_enroll (engine, uid, name, NULL, v, &error);
      g_assert_no_error (error);
      g_assert_true (sk_engine_tap (engine, uid, &r, &error));
      g_assert_no_error (error);
      sk_tap_result_clear (&r);
    }
  g_rand_free (rand);
}

typedef struct
{
  gint64 rss_kb;
  gint64 hwm_kb;
} Memory;

static gboolean
measure (const char *db, const char *pcm, Memory *m)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher = sk_test_launcher_new (
      G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) p = NULL;
  g_autofree char *path = g_strconcat (db, ".notify", NULL);
  g_autoptr (GSocketAddress) addr = g_unix_socket_address_new (path);
  g_autoptr (GSocket) sock = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, &error);
  gboolean ready = FALSE;
  gint64 deadline;
  GPid pid;

  if (!sk_bench_check (sock != NULL && g_socket_bind (sock, addr, TRUE, &error),
                       error ? error->message : "no socket"))
    return FALSE;
  g_socket_set_timeout (sock, 1);
  /* READY=1 comes once the playback started */
  g_subprocess_launcher_setenv (launcher, "NOTIFY_SOCKET", path, TRUE);
  p = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SK_SOUNDSCAPED"), "--db", db,
                                   "--pcm", pcm, "--no-nfc", "--no-bus", NULL);
  if (!sk_bench_check (p != NULL, error ? error->message : "no process"))
    return FALSE;
  pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (p), NULL, 10);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!ready && g_get_monotonic_time () < deadline)
    {
      char buf[256];
      gssize n = g_socket_receive (sock, buf, sizeof buf - 1, NULL, NULL);

      if (n > 0)
        {
          buf[n] = '\0';
          ready = strstr (buf, "READY=1") != NULL;
        }
    }
  if (!sk_bench_check (ready, "soundscaped did not say READY=1 within 30 s"))
    {
      g_subprocess_force_exit (p);
      g_subprocess_wait (p, NULL, NULL);
      return FALSE;
    }
  g_usleep (PLAY_SECONDS * G_USEC_PER_SEC); /* a few periods of steady playing */
  m->rss_kb = sk_bench_status_kb (pid, "VmRSS:");
  m->hwm_kb = sk_bench_status_kb (pid, "VmHWM:");
  g_subprocess_send_signal (p, SIGTERM);
  g_subprocess_wait (p, NULL, NULL);
  return sk_bench_check (m->rss_kb > 0 && m->hwm_kb > 0, "no /proc status to read");
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *reason = NULL;
  g_autofree char *wav = g_build_filename (dir, "loop.wav", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.db", NULL);
  g_autofree char *full = g_build_filename (dir, "venue.db", NULL);
  g_autofree char *pcm = NULL;
  Memory base = { 0 }, venue = { 0 };

#ifndef HAVE_LIBSYSTEMD
  printf ("bench-engine-memory: skipped: built without libsystemd, soundscaped cannot say "
          "when it is ready\n");
  sk_test_rmdir (dir);
  return 77;
#endif
  if (g_getenv ("SK_SOUNDSCAPED") == NULL || !sk_paced_setup (dir, &reason))
    {
      printf ("bench-engine-memory: skipped: %s\n", reason ? reason : "SK_SOUNDSCAPED unset");
      sk_test_rmdir (dir);
      return 77;
    }
  pcm = sk_paced_pcm_name (1.0, NULL, NULL);
  sk_test_write_wav (wav, 5.0);
  fill (empty, wav, 0, 0);
  fill (full, wav, N_SONGS, N_LISTENERS);

  printf ("bench-engine-memory: soundscaped playing through the paced PCM, no badge reader, "
          "%d s after it said READY=1\n",
          PLAY_SECONDS);
  printf ("budget: < 30 MB resident with 10 000 songs\n\n");
  if (measure (empty, pcm, &base) && measure (full, pcm, &venue))
    {
      printf ("%-44s %10s %10s\n", "", "VmRSS MB", "VmHWM MB");
      printf ("%-44s %10.1f %10.1f\n", "baseline: empty library, nobody present",
              base.rss_kb / 1024.0, base.hwm_kb / 1024.0);
      printf ("%-44s %10.1f %10.1f\n", "10 000 songs, 50 listeners present", venue.rss_kb / 1024.0,
              venue.hwm_kb / 1024.0);
      printf ("\nthe library and the room add %.1f MB (%.0f bytes a song); %.2fx the baseline\n",
              (venue.rss_kb - base.rss_kb) / 1024.0,
              (venue.rss_kb - base.rss_kb) * 1024.0 / N_SONGS,
              (double) venue.rss_kb / (double) base.rss_kb);
      sk_bench_report ("soundscaped resident, 10 000 songs, 50 present (baseline: empty)",
                       venue.rss_kb / 1024.0, "MB", base.rss_kb / 1024.0, "< 30 MB");
      sk_bench_report ("soundscaped peak resident, 10 000 songs, 50 present (baseline: empty)",
                       venue.hwm_kb / 1024.0, "MB", base.hwm_kb / 1024.0, NULL);
    }
  sk_test_rmdir (dir);
  return sk_bench_exit_status ();
}
