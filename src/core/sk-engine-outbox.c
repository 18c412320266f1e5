/* sk-engine-outbox.c: the rows the cloud has not acknowledged yet. */
#include "config.h"

#include <string.h>

#include "sk-engine-private.h"

gboolean
sk_engine_outbox_row (
    SkEngine *self, const char *kind, const char *sql, const char *id, gint64 now, GError **error)
{
  GError *local = NULL;
  g_autofree char *payload = sk_store_dup_text (self->store,
                                                sk_store_query (self->store, &local, sql, "s", id),
                                                &local);

  if (payload == NULL)
    {
      if (local == NULL)
        g_set_error (&local, SK_ENGINE_ERROR, SK_ENGINE_ERROR_NOT_FOUND, "%s %s vanished", kind,
                     id);
      g_propagate_error (error, local);
      return FALSE;
    }
  return sk_store_outbox_add (self->store, kind, id, payload, now, error);
}
