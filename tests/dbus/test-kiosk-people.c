/* test-kiosk-people.c: the manager's listeners and badges on the real
 * soundscaped (sk-dbus-fixture.c): ListListeners with search and paging,
 * RenameListener, SetBadgeRevoked, SetRole, and enrolment by tap
 * (EnrollByTap, CancelEnroll); each refused while locked, and each bad
 * argument a named error that stores nothing. */
#include "config.h"

#include <string.h>

#include "sk-dbus-fixture.h"
#include "sk-test-util.h"

#define PIN "2468"
#define OTHER_BADGE "04556677"

static char *
name_of (Fixture *f, const char *id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM profiles WHERE id = '%s'", id);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) list = NULL;
  guint total = 0;

  g_assert_cmpint (sk_test_file_query_int (f->db, sql), ==, 1);
  reply = call_get (f, "ListListeners", g_variant_new ("(suu)", "", 0u, 500u));
  g_variant_get (reply, "(u@a(sssba(sb)))", &total, &list);
  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      const char *lid, *name;

      g_variant_get_child (list, i, "(&s&s&sb@a(sb))", &lid, &name, NULL, NULL, NULL);
      if (strcmp (lid, id) == 0)
        return g_strdup (name);
    }
  return NULL;
}

static void
test_refused_while_locked (Fixture *f, gconstpointer data)
{
  g_auto (Tap) rain = { 0 };

  start_daemon (f);
  tap (f, RAIN_LOVER, &rain);
  assert_refused (f, "ListListeners", g_variant_new ("(suu)", "", 0u, 10u), ERR "NotAllowed");
  assert_refused (f, "RenameListener", g_variant_new ("(ss)", rain.listener_id, "X"),
                  ERR "NotAllowed");
  assert_refused (f, "SetBadgeRevoked", g_variant_new ("(sb)", RAIN_LOVER, TRUE), ERR "NotAllowed");
  assert_refused (f, "SetRole", g_variant_new ("(ss)", rain.listener_id, "admin"),
                  ERR "NotAllowed");
  assert_refused (f, "EnrollByTap", g_variant_new ("(ss)", "Noor", "listener"), ERR "NotAllowed");
  assert_refused (f, "CancelEnroll", NULL, ERR "NotAllowed");
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM badges "
                                                  "WHERE revoked_at IS NOT NULL"),
                   ==, 0);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM roles WHERE role = 'admin'"),
                   ==, 0);
}

/* Every listener, by name, with role and badges; a search; a page. */
static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) all = NULL, found = NULL, page = NULL;
  g_autoptr (GVariant) list = NULL, hits = NULL, one = NULL, badges = NULL;
  const char *name, *role, *uid;
  guint total = 0, n_found = 0, n_page = 0;
  gboolean guest = TRUE, revoked = TRUE;

  start_daemon (f);
  unlock_admin (f, PIN);
  all = call_get (f, "ListListeners", g_variant_new ("(suu)", "", 0u, 500u));
  g_variant_get (all, "(u@a(sssba(sb)))", &total, &list);
  g_assert_cmpuint (total, ==, sk_test_file_query_int (f->db, "SELECT count(*) FROM profiles"));
  g_assert_cmpuint (g_variant_n_children (list), ==, total);
  g_assert_cmpuint (total, >=, 4);
  for (gsize i = 0; i + 1 < g_variant_n_children (list); i++)
    {
      const char *a, *b;

      g_variant_get_child (list, i, "(&s&s&sb@a(sb))", NULL, &a, NULL, NULL, NULL);
      g_variant_get_child (list, i + 1, "(&s&s&sb@a(sb))", NULL, &b, NULL, NULL, NULL);
      g_assert_cmpint (g_ascii_strcasecmp (a, b), <=, 0);
    }

  found = call_get (f, "ListListeners", g_variant_new ("(suu)", "MANAGER", 0u, 500u));
  g_variant_get (found, "(u@a(sssba(sb)))", &n_found, &hits);
  g_assert_cmpuint (n_found, ==, 1);
  g_variant_get_child (hits, 0, "(&s&s&sb@a(sb))", NULL, &name, &role, &guest, &badges);
  g_assert_cmpstr (name, ==, "Mia Manager");
  g_assert_cmpstr (role, ==, "manager");
  g_assert_false (guest);
  g_assert_cmpuint (g_variant_n_children (badges), ==, 1);
  g_variant_get_child (badges, 0, "(&sb)", &uid, &revoked);
  g_assert_cmpstr (uid, ==, MIA_MANAGER);
  g_assert_false (revoked);

  page = call_get (f, "ListListeners", g_variant_new ("(suu)", "", 1u, 2u));
  g_variant_get (page, "(u@a(sssba(sb)))", &n_page, &one);
  g_assert_cmpuint (n_page, ==, total);
  g_assert_cmpuint (g_variant_n_children (one), ==, 2);
  {
    g_autoptr (GVariant) a = g_variant_get_child_value (one, 0);
    g_autoptr (GVariant) b = g_variant_get_child_value (list, 1);

    g_assert_true (g_variant_equal (a, b));
  }

  assert_refused (f, "ListListeners", g_variant_new ("(suu)", "", 0u, 0u), ERR "InvalidArgument");
  assert_refused (f, "ListListeners", g_variant_new ("(suu)", "", 0u, 501u), ERR "InvalidArgument");
  {
    g_autofree char *long_search = g_strnfill (201, 'a');

    assert_refused (f, "ListListeners", g_variant_new ("(suu)", long_search, 0u, 10u),
                    ERR "InvalidArgument");
  }
}

/* A new name reaches Listeners; bad names and unknown ids change nothing. */
static void
test_rename (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "Rain\x1b[31m", "Rain \u202eQueen", "   ", "\u200b",
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" };
  g_auto (Tap) rain = { 0 };
  g_autoptr (GVariant) ok = NULL;
  g_autofree char *name = NULL;

  start_daemon (f);
  tap (f, RAIN_LOVER, &rain);
  unlock_admin (f, PIN);
  ok = call_get (f, "RenameListener", g_variant_new ("(ss)", rain.listener_id, "Rain Queen"));
  if (!spin_until (has_listener, f, "Rain Queen", 10))
    g_error ("Listeners does not say Rain Queen 10 s after the rename");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (f, "RenameListener", g_variant_new ("(ss)", rain.listener_id, bad[i]),
                    ERR "InvalidArgument");
  assert_refused (f, "RenameListener", g_variant_new ("(ss)", "no-such-listener", "Bob"),
                  ERR "NotFound");
  name = name_of (f, rain.listener_id);
  g_assert_cmpstr (name, ==, "Rain Queen");
}

/* Revoked: checked out, its taps refused; restored: it taps again. A role
 * makes a listener's badge a manager's. */
static void
test_revoke_and_role (Fixture *f, gconstpointer data)
{
  g_auto (Tap) rain = { 0 };
  g_auto (Tap) refused = { 0 };
  g_auto (Tap) back = { 0 };
  g_autoptr (GVariant) ok = NULL;

  start_daemon (f);
  tap (f, RAIN_LOVER, &rain);
  if (!spin_until (has_listener, f, "Rain Lover", 10))
    g_error ("Rain Lover is not in Listeners");
  unlock_admin (f, PIN);
  ok = call_get (f, "SetBadgeRevoked", g_variant_new ("(sb)", "04:a1:b2:c3", TRUE));
  if (!spin_until (has_no_listener, f, "Rain Lover", 10))
    g_error ("Rain Lover is still in Listeners 10 s after the badge was revoked");
  tap (f, RAIN_LOVER, &refused);
  g_assert_cmpstr (refused.result, ==, "revoked");
  g_assert_cmpstr (refused.ticket, ==, "");
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "SetBadgeRevoked", g_variant_new ("(sb)", RAIN_LOVER, FALSE));
  assert_refused (f, "SetBadgeRevoked", g_variant_new ("(sb)", "04999999", TRUE), ERR "NotFound");
  assert_refused (f, "SetBadgeRevoked", g_variant_new ("(sb)", "zz", TRUE), ERR "InvalidArgument");
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM badges "
                                                  "WHERE revoked_at IS NOT NULL"),
                   ==, 0);

  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "SetRole", g_variant_new ("(ss)", rain.listener_id, "manager"));
  tap (f, RAIN_LOVER, &back);
  g_assert_cmpstr (back.result, ==, "manager");
  assert_refused (f, "SetRole", g_variant_new ("(ss)", rain.listener_id, "owner"),
                  ERR "InvalidArgument");
  assert_refused (f, "SetRole", g_variant_new ("(ss)", "no-such-listener", "admin"),
                  ERR "NotFound");
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM roles WHERE role = 'admin'"),
                   ==, 0);
}

/* The next unknown badge becomes the named listener; one enrolment at a
 * time; a cancelled one takes no badge. */
static void
test_enroll_by_tap (Fixture *f, gconstpointer data)
{
  g_auto (Tap) enrolled = { 0 };
  g_auto (Tap) unknown = { 0 };
  g_autoptr (GVariant) ok = NULL;
  g_autofree char *sql = NULL;
  guint mark;
  Signal *s;
  const char *result = NULL;

  start_daemon (f);
  unlock_admin (f, PIN);
  assert_refused (f, "EnrollByTap", g_variant_new ("(ss)", "Noor\n", "listener"),
                  ERR "InvalidArgument");
  assert_refused (f, "EnrollByTap", g_variant_new ("(ss)", "Noor", "owner"), ERR "InvalidArgument");
  ok = call_get (f, "EnrollByTap", g_variant_new ("(ss)", "Noor", "manager"));
  assert_refused (f, "EnrollByTap", g_variant_new ("(ss)", "Zed", "listener"), ERR "Busy");

  mark = f->signals->len;
  tap (f, NEW_BADGE, &enrolled);
  g_assert_cmpstr (enrolled.result, ==, "enrolled");
  g_assert_cmpstr (enrolled.name, ==, "Noor");
  g_assert_cmpstr (enrolled.listener_id, !=, "");
  g_assert_cmpstr (enrolled.ticket, !=, "");
  s = wait_signal (f, mark, "TapResult", "enrolled", 10);
  g_variant_get_child (s->params, 0, "&s", &result);
  g_assert_cmpstr (result, ==, "enrolled");
  sql = g_strdup_printf ("SELECT count(*) FROM badges b JOIN profiles p ON p.id = b.user_id "
                         "JOIN roles r ON r.user_id = p.id WHERE b.uid = '%s' "
                         "AND p.display_name = 'Noor' AND r.role = 'manager' AND p.is_guest = 0",
                         NEW_BADGE);
  g_assert_cmpint (sk_test_file_query_int (f->db, sql), ==, 1);

  /* the enrolment took one badge: the next unknown one is just unknown */
  tap (f, OTHER_BADGE, &unknown);
  g_assert_cmpstr (unknown.result, ==, "unknown");

  /* cancelled: the next unknown badge is just unknown, and a new
   * enrolment may start */
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "EnrollByTap", g_variant_new ("(ss)", "Zed", "listener"));
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "CancelEnroll", NULL);
  tap_clear (&unknown);
  tap (f, OTHER_BADGE, &unknown);
  g_assert_cmpstr (unknown.result, ==, "unknown");
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM profiles WHERE display_name = 'Zed'"),
                   ==, 0);
}

/* soundscape-ctl enroll goes through soundscaped when it runs (a tap over
 * the bus); a badge someone has is refused without checking them in. */
static void
test_ctl_enroll (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *sql = NULL;

  start_daemon (f);
  unlock_admin (f, PIN);
  g_assert_cmpint (run_ctl (f, &out, "enroll", "--session", "--pin", PIN, "--role", "manager",
                            NEW_BADGE, "Noor", NULL),
                   ==, 0);
  g_assert_nonnull (strstr (out, "Noor enrolled as"));
  sql = g_strdup_printf ("SELECT count(*) FROM badges b JOIN profiles p ON p.id = b.user_id "
                         "JOIN roles r ON r.user_id = p.id WHERE b.uid = '%s' "
                         "AND p.display_name = 'Noor' AND r.role = 'manager'",
                         NEW_BADGE);
  g_assert_cmpint (sk_test_file_query_int (f->db, sql), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (f, &out, "enroll", "--session", "--pin", PIN, RAIN_LOVER, "Someone",
                            NULL),
                   ==, 1);
  g_assert_nonnull (strstr (out, "already belongs to Rain Lover"));
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM sessions"), ==, 0);
  g_assert_cmpint (sk_test_file_query_int (f->db,
                                           "SELECT count(*) FROM profiles WHERE display_name = "
                                           "'Someone'"),
                   ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dbus/people/refused-while-locked", test_refused_while_locked);
  ADD ("/dbus/people/list", test_list);
  ADD ("/dbus/people/rename", test_rename);
  ADD ("/dbus/people/revoke-and-role", test_revoke_and_role);
  ADD ("/dbus/people/enroll-by-tap", test_enroll_by_tap);
  ADD ("/dbus/people/ctl-enroll", test_ctl_enroll);
  return g_test_run ();
}
