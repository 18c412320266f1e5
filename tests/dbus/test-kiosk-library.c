/* test-kiosk-library.c: the manager's library on the real soundscaped
 * (sk-dbus-fixture.c): ListSongs with search and paging and each
 * unplayable song's reason, this player's library (SetInLibrary,
 * SetAllInLibrary), and Import from a directory with its progress and
 * its failures; each refused while locked, and each bad argument a named
 * error that changes nothing. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-dbus-fixture.h"
#include "sk-test-util.h"

#define PIN "2468"
#define EMBEDDING "[0.5,0.5,0.5,0.5,0.5]"

typedef struct
{
  guint total;
  GVariant *songs; /* a(sssdbbs) */
} Page;

static void
page_clear (Page *p)
{
  g_clear_pointer (&p->songs, g_variant_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Page, page_clear)

static void
list_songs (Fixture *f, const char *search, guint offset, guint limit, Page *out)
{
  g_autoptr (GVariant) reply = call_get (f, "ListSongs",
                                         g_variant_new ("(suu)", search, offset, limit));

  g_variant_get (reply, "(u@a(sssdbbs))", &out->total, &out->songs);
}

static int
library_rows (Fixture *f)
{
  return sk_test_file_query_int (f->db, "SELECT count(*) FROM player_library");
}

/* How many of the listed songs are in this player's library. */
static guint
n_in_library (Page *p)
{
  guint n = 0;

  for (gsize i = 0; i < g_variant_n_children (p->songs); i++)
    {
      gboolean in = FALSE;

      g_variant_get_child (p->songs, i, "(&s&s&sdbb&s)", NULL, NULL, NULL, NULL, &in, NULL, NULL);
      n += in;
    }
  return n;
}

static void
test_refused_while_locked (Fixture *f, gconstpointer data)
{
  const char *ids[] = { "x", NULL };

  start_daemon (f);
  assert_refused (f, "ListSongs", g_variant_new ("(suu)", "", 0u, 10u), ERR "NotAllowed");
  assert_refused (f, "SetInLibrary", g_variant_new ("(^asb)", ids, FALSE), ERR "NotAllowed");
  assert_refused (f, "SetAllInLibrary", g_variant_new ("(b)", FALSE), ERR "NotAllowed");
  assert_refused (f, "Import", g_variant_new ("(s)", f->dir), ERR "NotAllowed");
  g_assert_cmpint (library_rows (f), ==, 0);
}

/* All songs, a search, a page, an unplayable song's reason, and the
 * library's songs in and out. */
static void
test_songs_and_library (Fixture *f, gconstpointer data)
{
  g_auto (Page) all = { 0 };
  g_auto (Page) found = { 0 };
  g_auto (Page) page = { 0 };
  g_auto (Page) after = { 0 };
  g_autoptr (GVariant) ok = NULL;
  g_autofree char *first = NULL, *second = NULL, *reason_sql = NULL;
  const char *unknown[3] = { NULL, "no-such-song", NULL };
  const char *out[2] = { NULL, NULL };
  const char *id, *title, *reason;
  gboolean in = FALSE, playable = TRUE;
  guint n;

  start_daemon (f);
  unlock_admin (f, PIN);
  n = (guint) sk_test_file_query_int (f->db, "SELECT count(*) FROM songs");
  g_assert_cmpuint (n, >=, 3);
  list_songs (f, "", 0, 500, &all);
  g_assert_cmpuint (all.total, ==, n);
  g_assert_cmpuint (g_variant_n_children (all.songs), ==, n);
  g_assert_cmpuint (n_in_library (&all), ==, n);
  g_variant_get_child (all.songs, 0, "(s&s&sdbb&s)", &first, NULL, NULL, NULL, NULL, NULL, NULL);
  g_variant_get_child (all.songs, 1, "(s&s&sdbb&s)", &second, &title, NULL, NULL, NULL, NULL, NULL);

  /* a search, in any case, in titles */
  {
    g_autofree char *upper = g_ascii_strup (title, -1);

    list_songs (f, upper, 0, 500, &found);
    g_assert_cmpuint (found.total, >=, 1);
    for (gsize i = 0; i < g_variant_n_children (found.songs); i++)
      {
        g_autofree char *t = NULL;
        g_autofree char *a = NULL;
        g_autofree char *lower_t = NULL, *lower_a = NULL, *lower = g_ascii_strdown (title, -1);

        g_variant_get_child (found.songs, i, "(&sssdbb&s)", NULL, &t, &a, NULL, NULL, NULL, NULL);
        lower_t = g_ascii_strdown (t, -1);
        lower_a = g_ascii_strdown (a, -1);
        g_assert_true (strstr (lower_t, lower) || strstr (lower_a, lower));
      }
  }

  /* a page: the second song, alone */
  list_songs (f, "", 1, 1, &page);
  g_assert_cmpuint (page.total, ==, n);
  g_assert_cmpuint (g_variant_n_children (page.songs), ==, 1);
  g_variant_get_child (page.songs, 0, "(&s&s&sdbb&s)", &id, NULL, NULL, NULL, NULL, NULL, NULL);
  g_assert_cmpstr (id, ==, second);

  /* an unplayable song says why */
  reason_sql = g_strdup_printf ("UPDATE songs SET playable = 0, unplayable_reason = "
                                "'the file is truncated' WHERE id = '%s'",
                                second);
  sk_test_file_exec (f->db, reason_sql);
  page_clear (&page);
  list_songs (f, "", 1, 1, &page);
  g_variant_get_child (page.songs, 0, "(&s&s&sdbb&s)", &id, NULL, NULL, NULL, NULL, &playable,
                       &reason);
  g_assert_false (playable);
  g_assert_cmpstr (reason, ==, "the file is truncated");

  /* out of this player's library, and in again */
  out[0] = first;
  ok = call_get (f, "SetInLibrary", g_variant_new ("(^asb)", out, FALSE));
  g_assert_cmpint (library_rows (f), ==, (int) n - 1);
  list_songs (f, "", 0, 1, &after);
  g_variant_get_child (after.songs, 0, "(&s&s&sdbb&s)", &id, NULL, NULL, NULL, &in, NULL, NULL);
  g_assert_cmpstr (id, ==, first);
  g_assert_false (in);
  /* an unknown id among known ones: nothing changes */
  unknown[0] = second;
  assert_refused (f, "SetInLibrary", g_variant_new ("(^asb)", unknown, FALSE), ERR "NotFound");
  g_assert_cmpint (library_rows (f), ==, (int) n - 1);
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "SetInLibrary", g_variant_new ("(^asb)", out, TRUE));
  g_assert_cmpint (library_rows (f), ==, (int) n);

  /* none, then all */
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "SetAllInLibrary", g_variant_new ("(b)", FALSE));
  page_clear (&after);
  list_songs (f, "", 0, 500, &after);
  g_assert_cmpuint (n_in_library (&after), ==, 0);
  g_clear_pointer (&ok, g_variant_unref);
  ok = call_get (f, "SetAllInLibrary", g_variant_new ("(b)", TRUE));
  page_clear (&after);
  list_songs (f, "", 0, 500, &after);
  g_assert_cmpuint (n_in_library (&after), ==, n);
  g_assert_cmpint (library_rows (f), ==, 0);

  assert_refused (f, "ListSongs", g_variant_new ("(suu)", "", 0u, 0u), ERR "InvalidArgument");
  assert_refused (f, "ListSongs", g_variant_new ("(suu)", "", 0u, 501u), ERR "InvalidArgument");
  {
    g_autofree char *long_search = g_strnfill (201, 'a');

    assert_refused (f, "ListSongs", g_variant_new ("(suu)", long_search, 0u, 10u),
                    ERR "InvalidArgument");
  }
}

static gboolean
finished (Fixture *f, gconstpointer job)
{
  for (guint i = 0; i < f->signals->len; i++)
    {
      Signal *s = g_ptr_array_index (f->signals, i);
      const char *j = NULL;

      if (strcmp (s->member, "ImportFinished") != 0)
        continue;
      g_variant_get_child (s->params, 0, "&s", &j);
      if (g_strcmp0 (j, job) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  gboolean done;
  GVariant *reply;
  GError *error;
} Reply;

static void
on_reply (GObject *conn, GAsyncResult *result, gpointer data)
{
  Reply *r = data;

  r->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (conn), result, &r->error);
  r->done = TRUE;
}

static gboolean
both_replied (Fixture *f, gconstpointer data)
{
  const Reply *r = data;

  return r[0].done && r[1].done;
}

/* A directory of good files and a bad one: progress for each file read,
 * the good ones imported and playable, the bad one named with why; a
 * second import meanwhile is Busy; a bad directory is refused. */
static void
test_import (Fixture *f, gconstpointer data)
{
  g_autofree char *usb = g_build_filename (f->dir, "usb", NULL);
  g_autofree char *bad = g_build_filename (usb, "broken.wav", NULL);
  g_autofree char *job = NULL;
  g_autofree char *not_dir = g_build_filename (f->dir, "plain-file", NULL);
  g_autoptr (GError) busy = NULL;
  g_autoptr (GVariant) failures = NULL;
  g_auto (Page) found = { 0 };
  const guint n_good = 6;
  guint progress = 0, imported = 0, done = 0, total = 0;
  const char *path, *reason, *pjob;

  g_assert_cmpint (g_mkdir (usb, 0700), ==, 0);
  for (guint i = 0; i < n_good; i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/harbour-%02u.wav", usb, i);
      g_autofree char *json = g_strdup_printf ("%s/harbour-%02u.json", usb, i);
      g_autofree char *title = g_strdup_printf ("Harbour %02u", i);

      /* the first is long: decoding and measuring it keeps the import at
       * work while the second Import arrives */
      sk_test_write_wav (wav, i == 0 ? 150.0 : 2.0);
      sk_test_write_sidecar (json, title, EMBEDDING);
    }
  g_assert_true (g_file_set_contents (bad, "RIFF, but no more", -1, NULL));
  {
    g_autofree char *json = g_build_filename (usb, "broken.json", NULL);

    sk_test_write_sidecar (json, "Broken", EMBEDDING);
  }
  g_assert_true (g_file_set_contents (not_dir, "x", -1, NULL));

  start_daemon (f);
  unlock_admin (f, PIN);
  assert_refused (f, "Import", g_variant_new ("(s)", "usb"), ERR "InvalidArgument");
  assert_refused (f, "Import", g_variant_new ("(s)", "/nonexistent/usb-stick"),
                  ERR "InvalidArgument");
  assert_refused (f, "Import", g_variant_new ("(s)", not_dir), ERR "InvalidArgument");

  /* two Imports at once: one runs, the other is Busy. Which is which is
   * not fixed: the skeleton authorizes each call on a thread of its own
   * (g-authorize-method), so they may reach the handler in either order;
   * a file of two and a half minutes keeps the one that runs at work. */
  {
    Reply replies[2] = { { 0 } };

    for (guint i = 0; i < 2; i++)
      g_dbus_connection_call (f->conn, NAME, PATH, IFACE, "Import", g_variant_new ("(s)", usb),
                              G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE, 10000, NULL, on_reply,
                              &replies[i]);
    if (!spin_until (both_replied, f, replies, 20))
      g_error ("the two Import calls were not answered within 20 s");
    for (guint i = 0; i < 2; i++)
      {
        if (replies[i].reply != NULL)
          {
            g_assert_null (job);
            g_variant_get (replies[i].reply, "(s)", &job);
            g_variant_unref (replies[i].reply);
          }
        else
          busy = replies[i].error;
      }
  }
  g_assert_nonnull (job);
  g_assert_nonnull (busy);
  {
    g_autofree char *remote = g_dbus_error_get_remote_error (busy);

    g_assert_cmpstr (remote, ==, ERR "Busy");
  }
  if (!spin_until (finished, f, job, 60))
    g_error ("no ImportFinished for job %s within 60 s", job);

  for (guint i = 0; i < f->signals->len; i++)
    {
      Signal *s = g_ptr_array_index (f->signals, i);
      const char *file;

      if (strcmp (s->member, "ImportProgress") == 0)
        {
          g_variant_get (s->params, "(&suu&s)", &pjob, &done, &total, &file);
          g_assert_cmpstr (pjob, ==, job);
          g_assert_cmpuint (total, ==, n_good + 1);
          g_assert_cmpuint (done, ==, ++progress);
          g_assert_true (g_str_has_suffix (file, ".wav"));
          g_assert_null (strchr (file, '/'));
        }
      else if (strcmp (s->member, "ImportFinished") == 0)
        g_variant_get (s->params, "(&su@a(ss))", &pjob, &imported, &failures);
    }
  g_assert_cmpuint (progress, ==, n_good + 1);
  g_assert_cmpuint (imported, ==, n_good);
  g_assert_cmpuint (g_variant_n_children (failures), ==, 1);
  g_variant_get_child (failures, 0, "(&s&s)", &path, &reason);
  g_assert_true (g_str_has_suffix (path, "broken.wav"));
  g_assert_cmpstr (reason, !=, "");
  g_test_message ("broken.wav: %s", reason);

  list_songs (f, "harbour", 0, 500, &found);
  g_assert_cmpuint (found.total, ==, n_good);
  g_assert_cmpuint (n_in_library (&found), ==, n_good);
}

/* soundscape-ctl import goes through soundscaped when it runs: the PIN,
 * the progress, the result; without the PIN it is refused. */
static void
test_ctl_import (Fixture *f, gconstpointer data)
{
  g_autofree char *usb = g_build_filename (f->dir, "stick", NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (g_mkdir (usb, 0700), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *wav = g_strdup_printf ("%s/quay-%u.wav", usb, i);
      g_autofree char *json = g_strdup_printf ("%s/quay-%u.json", usb, i);
      g_autofree char *title = g_strdup_printf ("Quay %u", i);

      sk_test_write_wav (wav, 1.0);
      sk_test_write_sidecar (json, title, EMBEDDING);
    }
  start_daemon (f);
  unlock_admin (f, PIN);
  call_ok (f, "Lock", NULL);
  g_assert_cmpint (run_ctl (f, &out, "import", "--session", usb, NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_ctl (f, &out, "import", "--session", "--pin", PIN, usb, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "[3/3]"));
  g_assert_nonnull (strstr (out, "Imported 3 songs"));
  /* it locked the page again, as it found it */
  g_assert_false (sk_dbus_kiosk1_get_admin_unlocked (f->kiosk));
  g_assert_cmpint (sk_test_file_query_int (f->db, "SELECT count(*) FROM songs "
                                                  "WHERE title LIKE 'Quay %'"),
                   ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/dbus/library/refused-while-locked", test_refused_while_locked);
  ADD ("/dbus/library/songs-and-library", test_songs_and_library);
  ADD ("/dbus/library/import", test_import);
  ADD ("/dbus/library/ctl-import", test_ctl_import);
  return g_test_run ();
}
