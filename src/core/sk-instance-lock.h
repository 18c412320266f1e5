/* sk-instance-lock.h: one soundscaped per database.
 *
 * Two daemons on one database would both run as the same player, record
 * every play twice and share the badge reader. The first takes DB.lock,
 * a file beside the database, with an open file description lock
 * (F_OFD_SETLK) and writes its pid into it; the kernel drops the lock
 * when the process ends, however it ends, so a crash leaves no stale
 * lock behind. A second daemon finds the lock taken and says whose it is. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SK_INSTANCE_LOCK_ERROR (sk_instance_lock_error_quark ())
typedef enum
{
  SK_INSTANCE_LOCK_ERROR_HELD,   /* another process holds the lock */
  SK_INSTANCE_LOCK_ERROR_FAILED, /* the lock file cannot be opened or locked */
} SkInstanceLockError;

GQuark sk_instance_lock_error_quark (void);

/* Takes the lock of the database at @db_path for as long as the returned
 * descriptor stays open (keep it until exit). -1 with @error set when
 * another process holds it (the message names its pid) or the lock file
 * cannot be used. */
int sk_instance_lock_take (const char *db_path, GError **error);

G_END_DECLS
