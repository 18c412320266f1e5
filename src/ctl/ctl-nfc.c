/* ctl-nfc.c: nfc-test, the installer's check of the badge reader. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "sk-nfc-reader.h"
#include "sk-settings.h"
#include "sk-util.h"

/* --- nfc-test ----------------------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  guint count;
  guint seen;
  gboolean was_ready;
  int rc;
} NfcTest;

static const char *
card_kind (guint atqa, guint sak)
{
  if (sak & 0x20)
    return "ISO 14443-4";
  if (sak == 0x00 && atqa == 0x0044)
    return "MIFARE Ultralight";
  if (sak == 0x08 || sak == 0x88)
    return "MIFARE Classic 1K";
  if (sak == 0x18)
    return "MIFARE Classic 4K";
  if (sak == 0x09)
    return "MIFARE Mini";
  return "ISO 14443-A";
}

static void
nfc_test_on_tap (
    SkNfcReader *reader, const char *uid, guint atqa, guint sak, gint64 time, NfcTest *t)
{
  g_autofree char *when = sk_time_format (time);

  printf ("%s  UID %s  ATQA %04X  SAK %02X  %s\n", when, uid, atqa, sak, card_kind (atqa, sak));
  fflush (stdout);
  if (t->count > 0 && ++t->seen >= t->count)
    g_main_loop_quit (t->loop);
}

static void
nfc_test_on_status (SkNfcReader *reader, NfcTest *t)
{
  switch (sk_nfc_reader_get_status (reader))
    {
    case SK_NFC_STATUS_READY:
      printf ("Reader: %s\n", sk_nfc_reader_get_model (reader));
      if (!t->was_ready)
        printf ("Present a card (Ctrl-C to stop)\n");
      t->was_ready = TRUE;
      break;
    case SK_NFC_STATUS_ABSENT:
    case SK_NFC_STATUS_ERROR:
      if (!t->was_ready)
        {
          /* the installer's check: no reader at all is an answer, at once */
          t->rc = fail ("nfc-test: %s", sk_nfc_reader_get_message (reader));
          g_main_loop_quit (t->loop);
          return;
        }
      printf ("Reader lost: %s (reconnecting)\n", sk_nfc_reader_get_message (reader));
      break;
    case SK_NFC_STATUS_STARTING:
    default:
      break;
    }
  fflush (stdout);
}

static void
nfc_test_quiet (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

int
cmd_nfc_test (int argc, char **argv)
{
  g_autoptr (SkNfcReader) reader = NULL;
  g_autofree char *device = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  NfcTest t = { 0 };
  gint count = 0;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "libnfc connection string (default: the setting nfc_device, else the first reader found)",
      "CONNSTRING" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "Stop after N taps", "N" },
    { NULL }
  };
  int rc = parse_options (&argc, &argv, entries);

  if (rc >= 0)
    return rc;
  if (device == NULL)
    {
      /* the configured reader, if a database is there to say so */
      g_autofree char *path = opt_db ? g_strdup (opt_db) : sk_store_default_path ();

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autoptr (SkStore) store = open_store (SK_STORE_OPEN_READ_ONLY);

          if (store == NULL)
            return EXIT_FAILURE;
          device = sk_settings_dup_string (store, "nfc_device");
          if (g_strcmp0 (device, "none") == 0)
            return fail ("nfc-test: the kiosk is set to run without a badge reader "
                         "(nfc_device is “none”); name one with --device");
          if (*device == '\0')
            g_clear_pointer (&device, g_free); /* the first reader found */
        }
    }

  /* this command says in its own words what the reader's log lines say */
  if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
    g_log_set_handler ("sk-nfc", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_WARNING, nfc_test_quiet, NULL);
  loop = g_main_loop_new (NULL, FALSE);
  t.loop = loop;
  t.count = (guint) count;
  t.rc = EXIT_SUCCESS;
  reader = sk_nfc_reader_new (device);
  g_signal_connect (reader, "tap", G_CALLBACK (nfc_test_on_tap), &t);
  g_signal_connect (reader, "status-changed", G_CALLBACK (nfc_test_on_status), &t);
  sk_nfc_reader_start (reader);
  ctl_run_loop (loop);
  sk_nfc_reader_stop (reader);
  return t.rc;
}
