/* ctl-bus-manage.c: the manager's import and enroll through soundscaped.
 *
 * When soundscaped owns its name, `import DIR` asks it to Import the
 * directory (it must be able to read it) and prints each ImportProgress
 * until ImportFinished, and `enroll UID NAME` makes the badge the named
 * listener by EnrollByTap and a Tap of it over the bus (the one tap path),
 * after checking with ListListeners that no listener has it (a tap of a
 * known badge would check its listener in). Both behind the admin unlock
 * (--pin, or the PIN asked on a terminal).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "sk-badge.h"
#include "sk-kiosk-dbus.h"

#define CALL_MS 10000

typedef struct
{
  GMainLoop *loop;
  char *job;
  guint imported;
  guint n_failures;
  gboolean finished;
  gboolean gone;
} Import;

static void
on_progress (
    SkDBusKiosk1 *kiosk, const char *job, guint done, guint total, const char *file, Import *im)
{
  if (im->job != NULL && g_strcmp0 (job, im->job) == 0)
    printf ("  [%u/%u] %s\n", done, total, file);
}

static void
on_finished (SkDBusKiosk1 *kiosk, const char *job, guint imported, GVariant *failures, Import *im)
{
  GVariantIter iter;
  const char *path, *reason;

  if (im->job == NULL || g_strcmp0 (job, im->job) != 0)
    return;
  g_variant_iter_init (&iter, failures);
  while (g_variant_iter_next (&iter, "(&s&s)", &path, &reason))
    fail ("%s: %s", path, reason);
  im->imported = imported;
  im->n_failures = (guint) g_variant_n_children (failures);
  im->finished = TRUE;
  g_main_loop_quit (im->loop);
}

static void
on_owner (GObject *proxy, GParamSpec *pspec, Import *im)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner == NULL)
    {
      im->gone = TRUE;
      g_main_loop_quit (im->loop);
    }
}

int
ctl_bus_import (SkDBusKiosk1 *kiosk, const char *pin, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *absolute = g_canonicalize_filename (dir, NULL);
  Import im = { loop, NULL, 0, 0, FALSE, FALSE };
  gboolean relock = FALSE;
  int rc = EXIT_FAILURE;

  if (!ctl_bus_unlock (kiosk, "import", pin, &relock, &rc))
    return rc;
  g_signal_connect (kiosk, "import-progress", G_CALLBACK (on_progress), &im);
  g_signal_connect (kiosk, "import-finished", G_CALLBACK (on_finished), &im);
  g_signal_connect (kiosk, "notify::g-name-owner", G_CALLBACK (on_owner), &im);
  if (!sk_dbus_kiosk1_call_import_sync (kiosk, absolute, G_DBUS_CALL_FLAGS_NONE, CALL_MS, &im.job,
                                        NULL, &error))
    rc = ctl_bus_fail_call ("import", error);
  else
    {
      printf ("soundscaped imports %s (job %s)\n", absolute, im.job);
      g_main_loop_run (loop);
      if (im.gone)
        rc = fail ("import: soundscaped went away before the import ended");
      else
        rc = ctl_import_summary (im.imported, im.n_failures);
    }
  g_signal_handlers_disconnect_by_data (kiosk, &im);
  g_free (im.job);
  ctl_bus_relock (kiosk, relock);
  return rc;
}

/* The name of the listener who has the badge @norm, or NULL. */
static char *
badge_owner (SkDBusKiosk1 *kiosk, const char *norm, GError **error)
{
  guint offset = 0, total = 1;

  while (offset < total)
    {
      g_autoptr (GVariant) list = NULL;
      GVariantIter iter;
      const char *name;
      GVariant *badges;

      if (!sk_dbus_kiosk1_call_list_listeners_sync (kiosk, "", offset, 500, G_DBUS_CALL_FLAGS_NONE,
                                                    CALL_MS, &total, &list, NULL, error))
        return NULL;
      if (g_variant_n_children (list) == 0)
        break;
      g_variant_iter_init (&iter, list);
      while (g_variant_iter_next (&iter, "(&s&s&sb@a(sb))", NULL, &name, NULL, NULL, &badges))
        {
          g_autoptr (GVariant) owned = badges;
          GVariantIter b;
          const char *uid;

          g_variant_iter_init (&b, owned);
          while (g_variant_iter_next (&b, "(&sb)", &uid, NULL))
            if (strcmp (uid, norm) == 0)
              return g_strdup (name);
        }
      offset += (guint) g_variant_n_children (list);
    }
  return NULL;
}

int
ctl_bus_enroll (
    SkDBusKiosk1 *kiosk, const char *pin, const char *uid, const char *name, const char *role)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *norm = sk_badge_normalise_uid (uid, &error);
  g_autofree char *owner = NULL;
  g_autofree char *result = NULL, *ticket = NULL, *id = NULL, *given = NULL, *message = NULL;
  gboolean relock = FALSE;
  int rc = EXIT_FAILURE;

  if (norm == NULL)
    return fail ("enroll: %s", error->message);
  if (!ctl_bus_unlock (kiosk, "enroll", pin, &relock, &rc))
    return rc;
  owner = badge_owner (kiosk, norm, &error);
  if (error != NULL)
    rc = ctl_bus_fail_call ("enroll", error);
  else if (owner != NULL)
    rc = fail ("enroll: This badge already belongs to %s", owner);
  else if (!sk_dbus_kiosk1_call_enroll_by_tap_sync (kiosk, name, role ? role : "listener",
                                                    G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, &error))
    rc = ctl_bus_fail_call ("enroll", error);
  else if (!sk_dbus_kiosk1_call_tap_sync (kiosk, norm, G_DBUS_CALL_FLAGS_NONE, CALL_MS, &result,
                                          &ticket, &id, &given, NULL, &message, NULL, &error))
    rc = ctl_bus_fail_call ("enroll", error);
  else if (g_strcmp0 (result, "enrolled") != 0)
    rc = fail ("enroll: %s", message);
  else
    {
      printf ("%s enrolled as %s\n", given, id);
      rc = EXIT_SUCCESS;
    }
  if (rc != EXIT_SUCCESS)
    sk_dbus_kiosk1_call_cancel_enroll_sync (kiosk, G_DBUS_CALL_FLAGS_NONE, CALL_MS, NULL, NULL);
  ctl_bus_relock (kiosk, relock);
  return rc;
}
