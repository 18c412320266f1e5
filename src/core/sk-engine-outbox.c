/* sk-engine-outbox.c: the rows the cloud has not acknowledged yet. */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"

gboolean
sk_engine_outbox_row (
    SkEngine *self, const char *kind, const char *sql, const char *id, gint64 now, GError **error)
{
  g_autofree char *payload = NULL;
  sqlite3_stmt *stmt = sk_store_query (self->store, error, sql, "s", id);

  if (stmt == NULL)
    return FALSE;
  if (sk_store_step (self->store, stmt, error) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (error && *error == NULL)
        g_set_error (error, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "%s %s vanished", kind, id);
      return FALSE;
    }
  payload = g_strdup (sk_store_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return sk_store_outbox_add (self->store, kind, id, payload, now, error);
}
