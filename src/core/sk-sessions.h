/* sk-sessions.h: who is present at which player, and until when.
 *
 * A session is active from its check-in until expires_at (exclusive) or an
 * explicit check-out. A listener has at most one active session anywhere
 * (a partial unique index in the database says so too): checking in at
 * another player moves it; a re-tap at the same player extends it. */
#pragma once

#include "sk-store.h"
#include "sk-taste.h"

G_BEGIN_DECLS

typedef struct
{
  char *session_id;
  gint64 expires_at;
  gboolean extended; /* an active session here was extended */
  gboolean moved;    /* an active session at another player was ended */
} SkCheckIn;

typedef struct
{
  char *user_id;
  double preference[SK_DIM];
  double state[SK_TASTE_STATE_LEN]; /* the learner's (sk-taste.h) */
} SkPresent;

void sk_check_in_clear (SkCheckIn *c);

SkSessions *sk_sessions_new (SkStore *store, const char *player_id);
void sk_sessions_free (SkSessions *self);
void sk_sessions_set_length (SkSessions *self, gint64 seconds);
gint64 sk_sessions_get_length (SkSessions *self);

gboolean sk_sessions_check_in (
    SkSessions *self, const char *user_id, gint64 now, SkCheckIn *out, GError **error);
/* FALSE with no error when the listener had no active session. */
gboolean sk_sessions_check_out (
    SkSessions *self, const char *user_id, gint64 now, gboolean *was_active, GError **error);
/* Marks every session whose expires_at ≤ @now inactive; returns how many
 * changed at this player in @n_here. */
gboolean sk_sessions_expire (SkSessions *self, gint64 now, guint *n_here, GError **error);
/* Listeners with an active, unexpired session here, ordered by user id. */
GArray *sk_sessions_present (SkSessions *self, gint64 now, GError **error);
gboolean sk_sessions_is_present (SkSessions *self, const char *user_id, gint64 now, GError **error);
/* The earliest expires_at after @now of an active session here, or
 * G_MAXINT64. */
gint64 sk_sessions_next_expiry (SkSessions *self, gint64 now);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSessions, sk_sessions_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SkCheckIn, sk_check_in_clear)

G_END_DECLS
