/* sk-sync.c: the kiosk's side of kiosk_sync (sk-sync.h, docs/DESIGN.md
 * "Cloud"): the object, its status and the sync_state it keeps. The other
 * files of SkSync are named in sk-sync-private.h. */
#include "config.h"

#include <string.h>

#include "sk-sync-private.h"

G_DEFINE_QUARK (sk - sync - error - quark, sk_sync_error)

#define HTTP_TIMEOUT_S 30
#define IDLE_MARGIN_S 30 /* an idle connection outlives the wait for the next round by this */

G_DEFINE_FINAL_TYPE (SkSync, sk_sync, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

void
sk_sync_emit_changed (SkSync *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The connection to the cloud stays open across the timer's wait between
 * idle rounds (the idle interval and a margin), so that an idle round
 * reuses it instead of paying a new TCP and TLS handshake, several times
 * the bytes of the round itself. A server that closes it sooner costs only
 * that handshake: libsoup connects again. */
void
sk_sync_keep_alive (SkSync *self)
{
  if (self->session != NULL)
    soup_session_set_idle_timeout (self->session, self->interval_ms / 1000 + IDLE_MARGIN_S);
}

void
sk_sync_set_tls_database (SkSync *self, GTlsDatabase *database)
{
  g_return_if_fail (SK_IS_SYNC (self));
  g_return_if_fail (G_IS_TLS_DATABASE (database));

  if (self->session != NULL)
    soup_session_set_tls_database (self->session, database);
}

/* ---- status ---------------------------------------------------------- */

void
sk_sync_count_pending (SkSync *self)
{
  sqlite3_stmt *stmt = sk_store_query (self->store, NULL, "SELECT count(*) FROM outbox", "");

  if (stmt != NULL && sk_store_step (self->store, stmt, NULL) == SQLITE_ROW)
    self->pending = (guint) sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
}

/* ---- sync_state ------------------------------------------------------ */

char *
sk_sync_dup_state (SkSync *self, const char *key)
{
  return sk_store_dup_text (self->store,
                            sk_store_query (self->store, NULL,
                                            "SELECT value FROM sync_state WHERE key = ?1", "s",
                                            key),
                            NULL);
}

gboolean
sk_sync_set_state (SkSync *self, const char *key, const char *value, GError **error)
{
  if (value == NULL)
    return sk_store_run_sql (self->store, error, "DELETE FROM sync_state WHERE key = ?1", "s", key);
  return sk_store_run_sql (self->store, error,
                           "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           "ss", key, value);
}

/* ---- status and life ------------------------------------------------- */

const char *
sk_sync_get_state (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), NULL);
  return self->state;
}

gint64
sk_sync_get_last_success (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), 0);
  return self->last_success;
}

guint
sk_sync_get_pending (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), 0);
  return self->pending;
}

const char *
sk_sync_get_last_error (SkSync *self)
{
  g_return_val_if_fail (SK_IS_SYNC (self), NULL);
  return self->last_error != NULL ? self->last_error : "";
}

static void
wipe (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

static void
sk_sync_dispose (GObject *object)
{
  SkSync *self = SK_SYNC (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (sk_sync_parent_class)->dispose (object);
}

static void
sk_sync_finalize (GObject *object)
{
  SkSync *self = SK_SYNC (object);

  g_clear_pointer (&self->in_flight, sk_sync_push_free);
  g_clear_pointer (&self->store, sk_store_unref);
  g_free (self->local_player);
  g_free (self->endpoint);
  wipe (self->anon_key);
  wipe (self->bearer);
  wipe (self->token);
  g_free (self->last_digest);
  g_free (self->last_error);
  G_OBJECT_CLASS (sk_sync_parent_class)->finalize (object);
}

static void
sk_sync_class_init (SkSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_sync_dispose;
  object_class->finalize = sk_sync_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sk_sync_init (SkSync *self)
{
  self->state = "idle";
  self->debounce_ms = 2000;
  self->interval_ms = 60000;
  self->backoff_min_ms = 1000;
  self->backoff_max_ms = 5 * 60 * 1000;
}

SkSync *
sk_sync_new (const char *db_path,
             const char *local_player_id,
             const char *url,
             const char *anon_key,
             const char *player_token,
             GError **error)
{
  g_autoptr (SkSync) self = NULL;
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (db_path != NULL && local_player_id != NULL, NULL);

  if (url == NULL || *url == '\0')
    {
      g_set_error_literal (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                           "no cloud URL is configured");
      return NULL;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                   "the cloud URL “%.200s” is not an http(s) URL", url);
      return NULL;
    }
  if (anon_key == NULL || *anon_key == '\0' || player_token == NULL || *player_token == '\0')
    {
      g_set_error (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG, "the %s is missing",
                   anon_key == NULL || *anon_key == '\0' ? "anon key" : "player token");
      return NULL;
    }
  if (strpbrk (anon_key, "\r\n") != NULL)
    {
      g_set_error_literal (error, SK_SYNC_ERROR, SK_SYNC_ERROR_CONFIG,
                           "the anon key is not one line");
      return NULL;
    }

  self = g_object_new (SK_TYPE_SYNC, NULL);
  self->store = sk_store_open_full (db_path, SK_STORE_OPEN_EXISTING, error);
  if (self->store == NULL)
    return NULL;
  self->local_player = g_strdup (local_player_id);
  self->endpoint = g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/",
                                "rest/v1/rpc/kiosk_sync", NULL);
  self->anon_key = g_strdup (anon_key);
  self->bearer = g_strconcat ("Bearer ", anon_key, NULL);
  self->token = g_strdup (player_token);
  /* TLS: libsoup verifies certificates against the system's store by
   * default; nothing here ever accepts one it refused. */
  self->session = soup_session_new_with_options ("timeout", HTTP_TIMEOUT_S, "user-agent",
                                                 "soundscape-kiosk/" PACKAGE_VERSION, NULL);
  sk_sync_keep_alive (self);
  sk_sync_count_pending (self);
  return g_steal_pointer (&self);
}
