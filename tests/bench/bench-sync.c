/* bench-sync: the kiosk's sync (src/core/sk-sync.c) against the real
 * cloud: PGlite with pgvector, migrated by soundscape-ctl, behind the
 * PostgREST-compatible gateway of tests/gateway, which counts the bytes on
 * its sockets (requests and responses, headers and bodies, as sent), over
 * TLS as a kiosk reaches Supabase: the gateway serves https with a
 * self-signed certificate made for the run, which the kiosk's SkSync is
 * told to trust (plain HTTP, said so, without openssl).
 *
 * Sizes: the by default, the pull of 100 000 songs (about 20 s:
 * every page costs the same, sql/009_paging.sql) and the push of 10 000
 * votes (about 25 s), the whole program in about 90 s here;
 * SK_BENCH_SYNC_SMALL=1 runs both at a tenth (10 000 songs, 1 000 votes).
 *
 * - A push of 10 000 votes: 50 listeners (20) at a kiosk with a 200-song
 *   catalogue rate 200 plays (50) through the real engine (each vote also
 *   queues the listener's new taste), then one round of
 *   the real SkSync pushes its outbox (the votes and the 200 plays they
 *   rate, 500 rows a call). Baseline, after it: the server forgets those
 *   votes, and the same rows go in again as one plain INSERT
 *   (POST /rest/v1/votes with them as one array, as service_role), the
 *   server's vote trigger running for each as for the push.
 * - The initial pull of 100 000 songs: the catalogue grows to 100 000
 *   songs, all in the venue's library, and a new kiosk's first round pulls
 *   it (every page, applied to its SQLite). Baseline, before it: the same
 *   rows (the same columns) read by two plain GETs through the same gateway
 *   (/rest/v1/songs and /rest/v1/player_library), nothing applied.
 * - Idle sync bytes a minute: that kiosk, caught up, makes 10 rounds with
 *   nothing to push or pull; the bytes of a round times the rounds a
 *   minute of its timer (one every 60 s, docs/DESIGN.md "A round"), on the
 *   connection it keeps across the timer's wait (counted: the connections
 *   the gateway accepted meanwhile). Budget < 2 KB a minute. Baseline: the
 *   smallest call the same client headers make, a GET of the player's
 *   status. Also: a round on a new connection (its TLS handshake included),
 *   what an idle round costs when the connection did not last; and with
 *   SK_BENCH_SYNC_IDLE_WAIT=1, 3 rounds each after the timer's real 60 s
 *   (about 3 minutes more), which shows whether it lasts.
 *
 * Prints when each part ends. Exits 77 (skipped) without the pinned PGlite
 * packages; non-zero when something is functionally wrong (a round fails,
 * a row is missing), never for a figure. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "sk-bench-util.h"
#include "sk-sync.h"
#include "sk-test-gateway.h"
#include "sk-test-pg.h"
#include "sk-test-util.h"

#define SECRET "test-only-jwt-secret-with-at-least-32-characters"
#define BAR "10000000-0000-4000-8000-000000000001"
#define BAR_TOKEN "bar-token-0001"
#define MANAGER "20000000-0000-4000-8000-000000000001"

#define N_SMALL 200       /* the catalogue the votes rate */
#define N_IDLE_ROUNDS 10  /* idle rounds measured */
#define N_WAITED_ROUNDS 3 /* idle rounds after the timer's wait, with SK_BENCH_SYNC_IDLE_WAIT=1 */
#define ROUNDS_A_MINUTE 1.0

/* The defaults: the full pull, a tenth of the push (see the top). */
static int n_songs = 100000; /* the catalogue the new kiosk pulls */
static int n_listeners = 50; /* present, each rates every play */
static int n_plays = 200;    /* n_listeners × n_plays votes */

static SkTestGateway *gw;
static GTlsDatabase *tls_trust; /* the run's certificate; NULL: plain HTTP */
static gint64 t_start;

static void
part_ends (const char *what)
{
  printf ("bench-sync: %s (%.1f s)\n", what, (sk_bench_now_ns () - t_start) / 1e9);
  fflush (stdout);
}

/* The first column of the first row of the SQL, on the server. */
#define cloud(...) sk_test_gateway_sqlf (gw, __VA_ARGS__)

static gint64
cloud_int (const char *sql)
{
  g_autofree char *v = sk_test_gateway_sql (gw, sql);

  return v != NULL ? g_ascii_strtoll (v, NULL, 10) : -1;
}

/* The bytes through the gateway's sockets so far, both ways. */
static guint64
wire_bytes (void)
{
  guint64 in, out;

  sk_test_gateway_get_bytes (gw, &in, &out);
  return in + out;
}

/* ---- the kiosk ------------------------------------------------------- */

typedef struct
{
  char *dir;
  SkEngine *engine;
  SkSync *sync;
} Kiosk;

/* A sync of @k's database through the gateway: its own HTTP session. */
static SkSync *
kiosk_sync_new (Kiosk *k)
{
  g_autofree char *url = sk_test_gateway_url (gw);
  g_autofree char *anon = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  g_autoptr (GError) error = NULL;
  SkSync *sync = sk_sync_new (sk_store_get_path (sk_engine_get_store (k->engine)),
                              sk_engine_get_player_id (k->engine), url, anon, BAR_TOKEN, &error);

  if (sync == NULL)
    g_error ("%s", error->message);
  if (tls_trust != NULL)
    sk_sync_set_tls_database (sync, tls_trust);
  return sync;
}

static void
kiosk_open (Kiosk *k)
{
  g_autoptr (GError) error = NULL;

  k->dir = sk_test_mkdtemp ();
  k->engine = sk_test_engine_new (k->dir, NULL);
  if (!sk_engine_set_setting (k->engine, "tap_limit_per_minute", "0", &error))
    g_error ("%s", error->message);
  k->sync = kiosk_sync_new (k);
}

static void
kiosk_close (Kiosk *k)
{
  g_clear_object (&k->sync);
  g_clear_object (&k->engine);
  if (k->dir != NULL)
    sk_test_rmdir (k->dir);
  g_clear_pointer (&k->dir, g_free);
}

static int
kiosk_int (Kiosk *k, const char *sql)
{
  return sk_test_query_int (sk_engine_get_store (k->engine), sql);
}

/* One round of @sync to its end (bounded); its seconds, or a negative
 * number when it failed. */
static double
round_s (SkSync *sync)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = FALSE;
  gint64 t0 = sk_bench_now_ns ();

  if (!sk_bench_check (sk_test_sync_round (sync, 300 * 1000, &ok, &error),
                       "a sync round did not end within 300 s"))
    return -1;
  if (!ok)
    {
      sk_bench_check (FALSE, error->message);
      return -1;
    }
  return (sk_bench_now_ns () - t0) / 1e9;
}

/* The times of @k's "changed" signals while pages arrive: one after each
 * answer applied (and one as the round starts and ends). */
static void
on_changed (SkSync *sync, GArray *times)
{
  gint64 t = sk_bench_now_ns ();

  (void) sync;
  g_array_append_val (times, t);
}

#define EDGE_PAGES 10 /* the pages a pull's first and last page times are the median of */

/* The time of each call of a pull from @times (see on_changed): from one
 * answer applied to the next, so the server's work, the wire and the
 * kiosk's. The medians of the first EDGE_PAGES calls and of the last
 * EDGE_PAGES before the final one (which brings the tail of the last
 * table, often nothing) in *@first and *@last, of all in *@median; the
 * calls in *@n. */
static void
page_times (GArray *times, double *first, double *last, double *median, guint *n)
{
  g_autofree double *gaps = NULL, *head = NULL, *tail = NULL;
  guint edge;

  *n = times->len > 2 ? times->len - 2 : 0;
  *first = *last = *median = 0;
  if (*n == 0)
    return;
  gaps = g_new (double, *n);
  for (guint i = 0; i < *n; i++)
    gaps[i] = (g_array_index (times, gint64, i + 1) - g_array_index (times, gint64, i)) / 1e9;
  edge = MIN (EDGE_PAGES, *n > 1 ? *n - 1 : 1);
  head = g_memdup2 (gaps, edge * sizeof (double));
  tail = g_memdup2 (gaps + (*n > 1 ? *n - 1 : 1) - edge, edge * sizeof (double));
  *first = sk_bench_quantile (head, edge, 0.5);
  *last = sk_bench_quantile (tail, edge, 0.5);
  *median = sk_bench_quantile (gaps, *n, 0.5);
}

/* ---- plain calls through the gateway ----------------------------------- */

/* @method @path (with @body unless NULL) with @key as apikey and bearer;
 * its seconds, the answer in @answer (unless NULL). */
static double
plain_call (SoupSession *session,
            const char *method,
            const char *path,
            const char *body,
            const char *key,
            guint expect,
            GBytes **answer)
{
  g_autofree char *base = sk_test_gateway_url (gw);
  g_autofree char *url = g_strconcat (base, path, NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", key, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *h = soup_message_get_request_headers (msg);
  gint64 t0 = sk_bench_now_ns ();
  double s;

  soup_message_headers_append (h, "apikey", key);
  soup_message_headers_append (h, "Authorization", bearer);
  soup_message_headers_append (h, "Accept", "application/json");
  if (body != NULL)
    {
      g_autoptr (GBytes) b = g_bytes_new_static (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", b);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  s = (sk_bench_now_ns () - t0) / 1e9;
  if (bytes == NULL)
    sk_bench_check (FALSE, error->message);
  else if (soup_message_get_status (msg) != expect)
    {
      g_autofree char *what = g_strdup_printf ("%s %s answered %u: %.300s", method, path,
                                               soup_message_get_status (msg),
                                               (const char *) g_bytes_get_data (bytes, NULL));

      sk_bench_check (FALSE, what);
    }
  if (answer != NULL)
    *answer = g_steal_pointer (&bytes);
  return s;
}

/* The columns a pull sends of @table (all but sync_xid), as a select=. */
static char *
pulled_columns (const char *table)
{
  return cloud ("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = '%s' AND column_name <> 'sync_xid'",
                table);
}

/* ---- the parts --------------------------------------------------------- */

static void
seed_venue (void)
{
  g_free (cloud ("INSERT INTO auth.users (id, email) VALUES ('" MANAGER "', 'm@example.org');"
                 "INSERT INTO public.profiles (id, display_name) VALUES ('" MANAGER "', 'Manager');"
                 "INSERT INTO public.players (id, name, token, manager_id) VALUES "
                 "  ('" BAR "', 'The Bar', '" BAR_TOKEN "', '" MANAGER "')"));
  g_free (cloud ("SELECT setseed(0.5)"));
  g_free (cloud ("INSERT INTO public.songs (id, title, artist, file_url, embedding, duration) "
                 "SELECT ('30000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, "
                 "'Song ' || i, 'Artist ' || (i %% 500), "
                 "'https://media.example.org/songs/' || i || '.flac', "
                 "('[' || random() || ',' || random() || ',' || random() || ',' || random() "
                 "  || ',' || random() || ']')::extensions.vector, 180 + i %% 120 "
                 "FROM generate_series(1, %d) i",
                 N_SMALL));
  g_free (cloud ("INSERT INTO public.player_library (player_id, song_id) "
                 "SELECT '" BAR "', id FROM public.songs"));
}

/* The votes on a kiosk, pushed by one round; then the same rows by one
 * plain INSERT. */
static void
bench_push (SoupSession *session, const char *service_key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GBytes) rows = NULL;
  g_autofree char *body = NULL, *summary = NULL, *figure = NULL;
  Kiosk k = { 0 };
  guint64 b0, push_bytes, insert_bytes;
  double push_s, insert_s;
  int pending;

  kiosk_open (&k);
  if (round_s (k.sync) < 0) /* the venue's 200 songs */
    goto out;
  sk_engine_pick_up_changes (k.engine, &summary, &error);
  g_assert_no_error (error);
  for (int i = 0; i < n_listeners; i++)
    {
      g_autofree char *uid = g_strdup_printf ("0B%06X", i);
      char *id = sk_engine_join (k.engine, uid, NULL, &error);

      if (!sk_bench_check (id != NULL, error != NULL ? error->message : "join"))
        goto out;
      g_ptr_array_add (users, id);
    }
  if (round_s (k.sync) < 0) /* their profiles, badges and check-ins */
    goto out;
  for (int p = 0; p < n_plays; p++)
    {
      if (!sk_engine_start_next (k.engine, NULL, &error))
        {
          sk_bench_check (FALSE, error->message);
          goto out;
        }
      for (guint i = 0; i < users->len; i++)
        if (!sk_engine_vote (k.engine, users->pdata[i], 1 + (int) ((p * 7 + i * 3) % 5), &error))
          {
            sk_bench_check (FALSE, error->message);
            goto out;
          }
    }
  pending = kiosk_int (&k, "SELECT count(*) FROM outbox");
  printf ("bench-sync: %d rows wait in the outbox (%d votes)\n", pending,
          kiosk_int (&k, "SELECT count(*) FROM votes"));
  part_ends ("the votes recorded");

  b0 = wire_bytes ();
  push_s = round_s (k.sync);
  push_bytes = wire_bytes () - b0;
  if (push_s < 0)
    goto out;
  sk_bench_check (kiosk_int (&k, "SELECT count(*) FROM outbox") == 0, "the outbox is not empty");
  sk_bench_check (cloud_int ("SELECT count(*) FROM public.votes") == n_listeners * n_plays,
                  "the server does not hold every vote once");
  part_ends ("the push");

  /* the baseline: the same rows, forgotten, then one plain INSERT */
  body = cloud ("SELECT json_agg(to_json(v) ORDER BY v.vote_time, v.id)::text "
                "FROM public.votes v");
  g_free (cloud ("DELETE FROM public.votes"));
  b0 = wire_bytes ();
  insert_s = plain_call (session, "POST", "/rest/v1/votes", body, service_key, 201, &rows);
  insert_bytes = wire_bytes () - b0;
  sk_bench_check (cloud_int ("SELECT count(*) FROM public.votes") == n_listeners * n_plays,
                  "the plain INSERT did not insert every vote");
  part_ends ("the plain INSERT");

  printf ("push of %d votes (and their %d plays), %d calls: %.2f s, %.0f kB; "
          "one plain INSERT of the same votes: %.2f s, %.0f kB\n",
          n_listeners * n_plays, n_plays, (pending + 499) / 500, push_s, push_bytes / 1e3, insert_s,
          insert_bytes / 1e3);
  figure = g_strdup_printf ("push of %d votes: seconds (baseline: the same rows by one plain "
                            "INSERT)",
                            n_listeners * n_plays);
  sk_bench_report (figure, push_s, "s", insert_s, NULL);
  g_free (figure);
  figure = g_strdup_printf ("push of %d votes: bytes on the wire (baseline: the plain INSERT's)",
                            n_listeners * n_plays);
  sk_bench_report (figure, (double) push_bytes, "B", (double) insert_bytes, NULL);
out:
  kiosk_close (&k);
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @s seconds. */
static void
wait_s (guint s)
{
  gboolean done = FALSE;

  g_timeout_add_seconds (s, set_true, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* @k caught up: idle rounds back to back on its connection, one on a new
 * connection, and with SK_BENCH_SYNC_IDLE_WAIT=1 rounds after the timer's
 * real wait. */
static void
bench_idle (Kiosk *k, SoupSession *session, const char *anon_key)
{
  g_autoptr (SkSync) fresh = NULL;
  guint64 b0, idle_bytes, ping_bytes, fresh_bytes;
  guint c0, idle_connections, fresh_connections;

  b0 = wire_bytes ();
  c0 = sk_test_gateway_get_connections (gw);
  for (guint i = 0; i < N_IDLE_ROUNDS; i++)
    if (round_s (k->sync) < 0)
      return;
  idle_bytes = (wire_bytes () - b0) / N_IDLE_ROUNDS;
  idle_connections = sk_test_gateway_get_connections (gw) - c0;
  b0 = wire_bytes ();
  c0 = sk_test_gateway_get_connections (gw);
  for (guint i = 0; i < N_IDLE_ROUNDS; i++)
    plain_call (session, "GET", "/rest/v1/players?select=status&id=eq." BAR, NULL, anon_key, 200,
                NULL);
  ping_bytes = (wire_bytes () - b0) / N_IDLE_ROUNDS;

  /* the same kiosk's round through a session of its own: a new connection */
  fresh = kiosk_sync_new (k);
  b0 = wire_bytes ();
  c0 = sk_test_gateway_get_connections (gw);
  if (round_s (fresh) < 0)
    return;
  fresh_bytes = wire_bytes () - b0;
  fresh_connections = sk_test_gateway_get_connections (gw) - c0;
  part_ends ("idle");
  printf ("idle (%s): %" G_GUINT64_FORMAT " bytes a round, %u connections opened in %u rounds, "
          "%.0f round a minute; a round on a new connection: %" G_GUINT64_FORMAT " bytes "
          "(%u opened); a bare GET of the player's status: %" G_GUINT64_FORMAT " bytes\n",
          tls_trust != NULL ? "TLS" : "plain HTTP", idle_bytes, idle_connections, N_IDLE_ROUNDS,
          ROUNDS_A_MINUTE, fresh_bytes, fresh_connections, ping_bytes);
  sk_bench_report ("idle sync: bytes a minute (a round each 60 s on the connection kept; "
                   "baseline: a bare GET a minute)",
                   idle_bytes * ROUNDS_A_MINUTE, "B", ping_bytes * ROUNDS_A_MINUTE, "< 2048 B");
  sk_bench_report ("idle sync: bytes of a round on a new connection, handshake included "
                   "(baseline: a round on the connection kept)",
                   (double) fresh_bytes, "B", (double) idle_bytes, NULL);

  if (g_strcmp0 (g_getenv ("SK_BENCH_SYNC_IDLE_WAIT"), "1") == 0)
    {
      guint64 waited_bytes;
      guint waited_connections;

      b0 = wire_bytes ();
      c0 = sk_test_gateway_get_connections (gw);
      for (guint i = 0; i < N_WAITED_ROUNDS; i++)
        {
          wait_s (61); /* the timer's 60 s after a round, and a second */
          if (round_s (k->sync) < 0)
            return;
        }
      waited_bytes = (wire_bytes () - b0) / N_WAITED_ROUNDS;
      waited_connections = sk_test_gateway_get_connections (gw) - c0;
      part_ends ("idle with the timer's wait");
      printf ("idle, each round 61 s after the last: %" G_GUINT64_FORMAT " bytes a round, %u "
              "connections opened in %u rounds\n",
              waited_bytes, waited_connections, N_WAITED_ROUNDS);
      sk_bench_report ("idle sync: bytes a minute, each round after the timer's real wait "
                       "(baseline: back to back)",
                       waited_bytes * ROUNDS_A_MINUTE, "B", idle_bytes * ROUNDS_A_MINUTE,
                       "< 2048 B");
    }
}

/* The catalogue grows to n_songs songs in the venue's library; a new
 * kiosk's first round pulls it; then it idles. */
static void
bench_pull_and_idle (SoupSession *session, const char *service_key, const char *anon_key)
{
  g_autofree char *song_cols = pulled_columns ("songs");
  g_autofree char *library_cols = pulled_columns ("player_library");
  g_autofree char *songs_path = g_strdup_printf ("/rest/v1/songs?select=%s", song_cols);
  g_autofree char *library_path = g_strdup_printf ("/rest/v1/player_library?select=%s"
                                                   "&player_id=eq." BAR,
                                                   library_cols);
  g_autoptr (GBytes) songs = NULL, library = NULL;
  g_autofree char *figure = NULL;
  Kiosk k = { 0 };
  guint64 b0, pull_bytes, get_bytes;
  double pull_s, get_s, first_s, last_s, median_s;
  gint64 n_library;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gulong changed_id;
  guint n_pages;

  g_free (cloud ("INSERT INTO public.songs (id, title, artist, file_url, embedding, duration) "
                 "SELECT ('40000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, "
                 "'Track ' || i, 'Artist ' || (i %% 5000), "
                 "'https://media.example.org/catalogue/' || i || '.flac', "
                 "('[' || random() || ',' || random() || ',' || random() || ',' || random() "
                 "  || ',' || random() || ']')::extensions.vector, 120 + i %% 300 "
                 "FROM generate_series(1, %d) i",
                 n_songs - N_SMALL));
  g_free (cloud ("INSERT INTO public.player_library (player_id, song_id) "
                 "SELECT '" BAR "', id FROM public.songs WHERE title LIKE 'Track %%'"));
  n_library = cloud_int ("SELECT count(*) FROM public.player_library WHERE player_id = '" BAR "'");
  sk_bench_check (cloud_int ("SELECT count(*) FROM public.songs") == n_songs,
                  "the catalogue is not the songs asked for");
  part_ends ("the catalogue on the server");

  /* the baseline: the same rows by two plain GETs */
  b0 = wire_bytes ();
  get_s = plain_call (session, "GET", songs_path, NULL, service_key, 200, &songs);
  get_s += plain_call (session, "GET", library_path, NULL, service_key, 200, &library);
  get_bytes = wire_bytes () - b0;
  part_ends ("the plain GETs");

  kiosk_open (&k);
  changed_id = g_signal_connect (k.sync, "changed", G_CALLBACK (on_changed), times);
  b0 = wire_bytes ();
  pull_s = round_s (k.sync);
  pull_bytes = wire_bytes () - b0;
  g_signal_handler_disconnect (k.sync, changed_id);
  if (pull_s < 0)
    goto out;
  sk_bench_check (kiosk_int (&k, "SELECT count(*) FROM songs") == n_songs,
                  "the new kiosk does not hold every song");
  sk_bench_check (kiosk_int (&k, "SELECT count(*) FROM player_library") == n_library,
                  "the new kiosk does not hold the library");
  part_ends ("the initial pull");
  page_times (times, &first_s, &last_s, &median_s, &n_pages);
  printf ("initial pull: %u calls of up to 1 000 rows; a call's time, answer to answer: "
          "the first %d %.3f s, all %.3f s, the last %d full ones %.3f s (medians)\n",
          n_pages, EDGE_PAGES, first_s, median_s, EDGE_PAGES, last_s);
  printf ("initial pull of %d songs and %" G_GINT64_FORMAT " library rows: %.2f s, %.0f kB; "
          "two plain GETs of the same rows: %.2f s, %.0f kB (%zu + %zu bytes of JSON)\n",
          n_songs, n_library, pull_s, pull_bytes / 1e3, get_s, get_bytes / 1e3,
          g_bytes_get_size (songs), g_bytes_get_size (library));
  figure = g_strdup_printf ("initial pull of %d songs: seconds (baseline: the same rows by "
                            "plain GETs, not applied)",
                            n_songs);
  sk_bench_report (figure, pull_s, "s", get_s, NULL);
  g_free (figure);
  figure = g_strdup_printf ("initial pull of %d songs: bytes on the wire (baseline: the plain "
                            "GETs')",
                            n_songs);
  sk_bench_report (figure, (double) pull_bytes, "B", (double) get_bytes, NULL);
  g_free (figure);
  figure = g_strdup_printf ("initial pull of %d songs: a call's seconds, the last %d pages "
                            "(baseline: the first %d; flat when a page costs the same however "
                            "far into the table)",
                            n_songs, EDGE_PAGES, EDGE_PAGES);
  sk_bench_report (figure, last_s, "s", first_s, NULL);

  bench_idle (&k, session, anon_key);
out:
  kiosk_close (&k);
}

/* The gateway serves https with a certificate made in @dir, which the
 * kiosks and @session trust; plain HTTP, said so, without openssl. */
static void
use_tls (SoupSession *session, const char *dir)
{
  g_autofree char *cert_path = NULL, *key_path = NULL, *why_not = NULL;
  g_autoptr (GTlsCertificate) cert = NULL;
  g_autoptr (GError) error = NULL;

  if (!sk_test_make_certificate (dir, &cert_path, &key_path, &why_not))
    {
      printf ("bench-sync: plain HTTP, without TLS's handshakes and framing: %s\n", why_not);
      return;
    }
  cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  tls_trust = g_tls_file_database_new (cert_path, &error);
  g_assert_no_error (error);
  sk_test_gateway_use_tls (gw, cert);
  soup_session_set_tls_database (session, tls_trust);
}

int
main (int argc, char **argv)
{
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 300, NULL);
  g_autofree char *why_not = NULL, *info = NULL, *tls_dir = NULL;
  g_autofree char *service_key = sk_test_jwt (SECRET, "{\"role\":\"service_role\","
                                                      "\"iss\":\"supabase\"}");
  g_autofree char *anon_key = sk_test_jwt (SECRET, "{\"role\":\"anon\",\"iss\":\"supabase\"}");
  g_autoptr (GError) error = NULL;
  SkTestPg pg = { 0 };

  g_test_init (&argc, &argv, NULL); /* the test helpers find their files by it */
  g_log_set_debug_enabled (FALSE);  /* a line a page would drown the figures */
  t_start = sk_bench_now_ns ();
  if (g_strcmp0 (g_getenv ("SK_BENCH_SYNC_SMALL"), "1") == 0)
    {
      n_songs = 10000;
      n_listeners = 20;
      n_plays = 50;
    }
  printf ("bench-sync: %d songs to pull (%s), %d votes to push (%s)\n", n_songs,
          n_songs == 100000 ? "the issue's size" : "a tenth: SK_BENCH_SYNC_SMALL=1",
          n_listeners * n_plays,
          n_plays == 200 ? "the issue's size" : "a tenth: SK_BENCH_SYNC_SMALL=1");
  if (!sk_test_pg_start (&pg, &why_not))
    {
      printf ("bench-sync: skipped: %s\n", why_not);
      return 77;
    }
  g_free (sk_test_pg_migrate (&pg));
  info = sk_test_pg_conninfo (&pg);
  gw = sk_test_gateway_start (info, SECRET, &error);
  if (gw == NULL)
    g_error ("%s", error->message);
  tls_dir = sk_test_mkdtemp ();
  use_tls (session, tls_dir);
  seed_venue ();
  part_ends ("the cloud is up");

  bench_push (session, service_key);
  if (sk_bench_exit_status () == 0)
    bench_pull_and_idle (session, service_key, anon_key);

  sk_test_gateway_stop (gw);
  sk_test_pg_stop (&pg);
  g_clear_object (&tls_trust);
  sk_test_rmdir (tls_dir);
  part_ends ("done");
  return sk_bench_exit_status ();
}
