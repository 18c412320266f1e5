/* pn532-fixture.c: a PN532 played on a pseudo-terminal, for tests.
 *
 *   pn532-fixture LINKPATH
 *
 * Opens a pty, keeps its slave open (so that the master never sees a
 * hang-up when a client closes it), points LINKPATH at the slave and prints
 * "ready pn532_uart:LINKPATH". A client (the real libnfc, pn532_uart driver)
 * opens the link and talks to it as to a PN532 on a serial line (NXP
 * UM0701-02, HSU). Stdin takes one command a line, each answered with one
 * line on stdout (see sk-pn532-fixture.h). End of stdin, "quit", SIGTERM
 * or SIGINT: the link is removed and the program exits 0.
 *
 * THE HOST LINE
 *
 * Bytes from the host gather in `rx`. Anything before a start code 00 FF is
 * dropped (the 55 55 00… wake-up, the preamble, postambles, noise). After
 * a start code come:
 *   00 FF 00            ACK: aborts the command in progress (no answer)
 *   FF 00 00            NACK: the last answer is sent again
 *   FF FF LM LL LCS …   an extended frame
 *   LEN LCS …           a normal frame
 * A normal or extended frame is taken only once all of it (and its
 * postamble) has arrived. A frame whose LCS or DCS is wrong, or whose TFI is
 * not D4, is dropped without an answer and counted as bad, as the chip
 * does.
 *
 * THE CHIP
 *
 *   IDLE      a good frame → ACK, then the answer (normal mode). A new
 *             frame while a command waits replaces it.
 *   WAITING   InAutoPoll with no card: answered D5 61 00 after
 *             PollNr × types × Period × 150 ms (never, for PollNr FF), or at
 *             once when a card is presented. InListPassiveTarget with no
 *             card, when the host asked for endless retries (RFConfiguration
 *             item 05, MxRtyPassiveActivation FF, as libnfc's
 *             nfc_initiator_init does): answered only when a card comes.
 *             A host ACK drops the waiting command.
 *
 * A card is present or not; it is "active" once a poll or a select found
 * it and until it is removed, released, deselected or the field goes off.
 * Only an active card answers InDataExchange / InCommunicateThru, which is
 * how libnfc's nfc_initiator_target_is_present sees a removal:
 *   MIFARE Classic    re-select by UID (InListPassiveTarget) → D5 4B 00
 *   Ultralight        READ page 0 (InDataExchange 30 00) → status 01
 *   ISO14443-4        R(NAK) B2 (InCommunicateThru) → status 01
 *
 * Modes change how frames are answered: silent (never), bad-checksum (the
 * answer's DCS is off by one), garbage (random bytes instead of ACK and
 * answer).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define RX_MAX 4096
#define TX_MAX (64 * 1024)
#define POLL_UNIT_US (150 * G_TIME_SPAN_MILLISECOND)

enum
{
  CMD_DIAGNOSE = 0x00,
  CMD_GET_FIRMWARE_VERSION = 0x02,
  CMD_GET_GENERAL_STATUS = 0x04,
  CMD_READ_REGISTER = 0x06,
  CMD_WRITE_REGISTER = 0x08,
  CMD_SET_PARAMETERS = 0x12,
  CMD_SAM_CONFIGURATION = 0x14,
  CMD_POWER_DOWN = 0x16,
  CMD_RF_CONFIGURATION = 0x32,
  CMD_IN_DATA_EXCHANGE = 0x40,
  CMD_IN_COMMUNICATE_THRU = 0x42,
  CMD_IN_DESELECT = 0x44,
  CMD_IN_LIST_PASSIVE_TARGET = 0x4A,
  CMD_IN_RELEASE = 0x52,
  CMD_IN_SELECT = 0x54,
  CMD_IN_AUTO_POLL = 0x60,
};

/* Status bytes of the chip (UM0701-02, 7.1) */
#define STATUS_OK 0x00
#define STATUS_TIMEOUT 0x01
#define STATUS_BAD_TG 0x27

#define PARAM_AUTO_RATS 0x10
#define REG_CIU_TX_MODE 0x6302

typedef enum
{
  MODE_NORMAL,
  MODE_SILENT,
  MODE_BAD_CHECKSUM,
  MODE_GARBAGE,
} Mode;

typedef enum
{
  CARD_CLASSIC4,
  CARD_CLASSIC7,
  CARD_ULTRALIGHT,
  CARD_ISO14443_4,
} CardKind;

typedef enum
{
  WAIT_NONE,
  WAIT_AUTO_POLL,
  WAIT_LIST,
} Wait;

typedef struct
{
  CardKind kind;
  guint8 uid[10];
  gsize uid_len;
} Card;

typedef struct
{
  int master;
  int slave;
  char *link_path;

  GByteArray *rx;
  GByteArray *tx;
  GString *stdin_line;
  gboolean stdin_open;

  Mode mode;
  gboolean card_present;
  gboolean card_active;
  Card card;

  guint8 parameters;
  guint8 max_rty_passive; /* FF: InListPassiveTarget retries forever */
  guint8 registers[0x10000];
  GByteArray *last_answer; /* for a NACK */

  Wait wait;
  gint64 wait_deadline; /* monotonic µs, or -1: none */
  guint8 wait_types[16];
  gsize n_wait_types;
  guint8 wait_init[12]; /* InListPassiveTarget's UID, cascaded */
  gsize wait_init_len;

  guint64 n_polls;
  guint64 n_frames;
  guint64 n_bad;
} Chip;

static volatile sig_atomic_t stop_signal;
static gboolean trace;

/* SK_PN532_TRACE=1: every byte each way on stderr. */
static void
trace_bytes (const char *what, const guint8 *bytes, gsize len)
{
  g_autoptr (GString) line = NULL;

  if (!trace || len == 0)
    return;
  line = g_string_new (what);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (line, " %02x", bytes[i]);
  g_printerr ("pn532-fixture: %s\n", line->str);
}

static void
on_signal (int signum)
{
  stop_signal = signum;
}

/* ---- output to the host ---------------------------------------------- */

static void
host_queue (Chip *chip, const guint8 *bytes, gsize len)
{
  /* Nobody reads a serial line that is unplugged: what does not fit is
   * lost, and the fixture never blocks on its host. */
  if (chip->tx->len + len > TX_MAX)
    return;
  g_byte_array_append (chip->tx, bytes, len);
}

static void
host_flush (Chip *chip)
{
  while (chip->tx->len > 0)
    {
      gssize n = write (chip->master, chip->tx->data, chip->tx->len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      trace_bytes ("chip:", chip->tx->data, n);
      g_byte_array_remove_range (chip->tx, 0, n);
    }
}

static void
send_ack (Chip *chip)
{
  static const guint8 ack[] = { 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
  host_queue (chip, ack, sizeof ack);
}

static void
send_syntax_error (Chip *chip)
{
  static const guint8 error_frame[] = { 0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00 };
  host_queue (chip, error_frame, sizeof error_frame);
}

static void
send_garbage (Chip *chip)
{
  guint8 junk[48];
  gsize len = g_random_int_range (8, sizeof junk + 1);

  for (gsize i = 0; i < len; i++)
    junk[i] = (guint8) g_random_int_range (0, 256);
  /* Never a well-formed ACK by chance. */
  if (junk[0] == 0x00)
    junk[0] = 0x5A;
  host_queue (chip, junk, len);
}

/* Sends D5 CMD+1 DATA as a normal frame (the longest answer here is far
 * below 254 bytes). */
static void
send_answer (Chip *chip, guint8 cmd, const guint8 *data, gsize len)
{
  guint8 frame[300];
  gsize n = 0;
  guint8 sum = 0xD5 + (guint8) (cmd + 1);

  /* The mode may have changed while the command waited for a card. */
  if (chip->mode == MODE_SILENT)
    return;
  if (chip->mode == MODE_GARBAGE)
    {
      send_garbage (chip);
      return;
    }
  g_assert (len + 2 <= 254);
  frame[n++] = 0x00;
  frame[n++] = 0x00;
  frame[n++] = 0xFF;
  frame[n++] = (guint8) (len + 2);
  frame[n++] = (guint8) (0x100 - (len + 2));
  frame[n++] = 0xD5;
  frame[n++] = (guint8) (cmd + 1);
  for (gsize i = 0; i < len; i++)
    {
      frame[n++] = data[i];
      sum += data[i];
    }
  frame[n++] = (guint8) (0x100 - sum);
  if (chip->mode == MODE_BAD_CHECKSUM)
    frame[n - 1] ^= 0x01;
  frame[n++] = 0x00;

  g_byte_array_set_size (chip->last_answer, 0);
  g_byte_array_append (chip->last_answer, frame, n);
  host_queue (chip, frame, n);
}

/* ---- the card ---------------------------------------------------------- */

static void
card_atqa_sak (const Card *card, guint8 atqa[2], guint8 *sak)
{
  atqa[0] = 0x00;
  switch (card->kind)
    {
    case CARD_CLASSIC4:
      atqa[1] = 0x04;
      *sak = 0x08;
      break;
    case CARD_CLASSIC7:
      atqa[1] = 0x44;
      *sak = 0x08;
      break;
    case CARD_ULTRALIGHT:
      atqa[1] = 0x44;
      *sak = 0x00;
      break;
    case CARD_ISO14443_4:
      /* A DESFire's with a 7-byte UID, a JCOP-like card's with 4. */
      atqa[0] = card->uid_len == 7 ? 0x03 : 0x00;
      atqa[1] = card->uid_len == 7 ? 0x44 : 0x04;
      *sak = 0x20;
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Target data as InListPassiveTarget and InAutoPoll give it for a 106 kbps
 * type A target: Tg ATQA(2) SAK UIDLen UID [ATS]. */
static gsize
card_target_data (const Card *card, gboolean with_ats, guint8 *out)
{
  static const guint8 ats[] = { 0x06, 0x75, 0x77, 0x81, 0x02, 0x80 };
  gsize n = 0;
  guint8 sak;

  out[n++] = 0x01;
  card_atqa_sak (card, out + n, &sak);
  n += 2;
  out[n++] = sak;
  out[n++] = (guint8) card->uid_len;
  memcpy (out + n, card->uid, card->uid_len);
  n += card->uid_len;
  if (with_ats && card->kind == CARD_ISO14443_4)
    {
      memcpy (out + n, ats, sizeof ats);
      n += sizeof ats;
    }
  return n;
}

/* The UID as ISO14443-3 sends it in the select cascade: 88 before each
 * level but the last. */
static gsize
card_cascaded_uid (const Card *card, guint8 *out)
{
  const guint8 *u = card->uid;

  switch (card->uid_len)
    {
    case 4:
      memcpy (out, u, 4);
      return 4;
    case 7:
      out[0] = 0x88;
      memcpy (out + 1, u, 7);
      return 8;
    case 10:
      out[0] = 0x88;
      memcpy (out + 1, u, 3);
      out[4] = 0x88;
      memcpy (out + 5, u + 3, 7);
      return 12;
    default:
      g_assert_not_reached ();
    }
}

/* An Ultralight's 16 pages: UID with its check bytes, then zeros. */
static void
card_read_pages (const Card *card, guint page, guint8 out[16])
{
  guint8 mem[64] = { 0 };
  const guint8 *u = card->uid;

  mem[0] = u[0];
  mem[1] = u[1];
  mem[2] = u[2];
  mem[3] = 0x88 ^ u[0] ^ u[1] ^ u[2];
  mem[4] = u[3];
  mem[5] = u[4];
  mem[6] = u[5];
  mem[7] = u[6];
  mem[8] = u[3] ^ u[4] ^ u[5] ^ u[6];
  mem[9] = 0x48;
  for (guint i = 0; i < 16; i++)
    out[i] = mem[((page * 4) + i) % sizeof mem];
}

/* ---- commands ------------------------------------------------------------ */

static gboolean
auto_poll_answer (Chip *chip)
{
  guint8 data[64];
  gsize n = 0;
  guint8 type = 0xFF;
  gboolean with_ats = FALSE;

  if (!chip->card_present)
    return FALSE;

  for (gsize i = 0; i < chip->n_wait_types; i++)
    {
      guint8 t = chip->wait_types[i];
      if (t == 0x20 && chip->card.kind == CARD_ISO14443_4)
        {
          type = t;
          with_ats = TRUE;
          break;
        }
      if ((t == 0x10 || t == 0x00) && type == 0xFF)
        type = t;
    }
  if (type == 0xFF)
    return FALSE;

  data[n++] = 0x01;
  data[n++] = type;
  n++;
  data[2] = (guint8) card_target_data (&chip->card, with_ats, data + n);
  n += data[2];
  chip->card_active = TRUE;
  send_answer (chip, CMD_IN_AUTO_POLL, data, n);
  return TRUE;
}

static gboolean
list_answer (Chip *chip)
{
  guint8 data[64];
  guint8 uid[12];
  gsize n = 0;

  if (!chip->card_present)
    return FALSE;
  if (chip->wait_init_len > 0 && (card_cascaded_uid (&chip->card, uid) != chip->wait_init_len ||
                                  memcmp (uid, chip->wait_init, chip->wait_init_len) != 0))
    return FALSE;

  data[n++] = 0x01;
  n += card_target_data (&chip->card, (chip->parameters & PARAM_AUTO_RATS) != 0, data + n);
  chip->card_active = TRUE;
  send_answer (chip, CMD_IN_LIST_PASSIVE_TARGET, data, n);
  return TRUE;
}

/* Answers a waiting command if a card now answers it. */
static void
wait_try (Chip *chip)
{
  gboolean done = FALSE;

  switch (chip->wait)
    {
    case WAIT_AUTO_POLL:
      done = auto_poll_answer (chip);
      break;
    case WAIT_LIST:
      done = list_answer (chip);
      break;
    case WAIT_NONE:
    default:
      break;
    }
  if (done)
    chip->wait = WAIT_NONE;
}

static void
wait_expire (Chip *chip)
{
  static const guint8 none[] = { 0x00 };

  if (chip->wait == WAIT_NONE || chip->wait_deadline < 0 ||
      g_get_monotonic_time () < chip->wait_deadline)
    return;
  send_answer (chip, chip->wait == WAIT_AUTO_POLL ? CMD_IN_AUTO_POLL : CMD_IN_LIST_PASSIVE_TARGET,
               none, sizeof none);
  chip->wait = WAIT_NONE;
}

static void
do_in_auto_poll (Chip *chip, const guint8 *p, gsize len)
{
  guint poll_nr, period;

  chip->n_polls++;
  if (len < 3)
    {
      send_syntax_error (chip);
      return;
    }
  poll_nr = p[0];
  period = p[1];
  chip->n_wait_types = MIN (len - 2, G_N_ELEMENTS (chip->wait_types));
  memcpy (chip->wait_types, p + 2, chip->n_wait_types);
  chip->wait = WAIT_AUTO_POLL;
  if (poll_nr == 0xFF)
    chip->wait_deadline = -1;
  else
    chip->wait_deadline = g_get_monotonic_time () +
                          (gint64) poll_nr * chip->n_wait_types * MAX (period, 1u) * POLL_UNIT_US;
  wait_try (chip);
}

static void
do_in_list_passive_target (Chip *chip, const guint8 *p, gsize len)
{
  static const guint8 none[] = { 0x00 };

  chip->n_polls++;
  if (len < 2)
    {
      send_syntax_error (chip);
      return;
    }
  /* Only 106 kbps type A targets live here: the other modulations find
   * nothing at once. */
  if (p[1] != 0x00)
    {
      send_answer (chip, CMD_IN_LIST_PASSIVE_TARGET, none, sizeof none);
      return;
    }
  chip->wait_init_len = MIN (len - 2, sizeof chip->wait_init);
  memcpy (chip->wait_init, p + 2, chip->wait_init_len);
  chip->wait = WAIT_LIST;
  chip->wait_deadline = chip->max_rty_passive == 0xFF ? -1 : 0;
  wait_try (chip);
  wait_expire (chip);
}

static void
do_in_data_exchange (Chip *chip, guint8 cmd, const guint8 *p, gsize len)
{
  guint8 out[32];
  gsize n = 0;
  /* InDataExchange names its target; InCommunicateThru talks to the
   * active one. */
  const guint8 *tx = cmd == CMD_IN_DATA_EXCHANGE ? p + 1 : p;
  gsize tx_len = cmd == CMD_IN_DATA_EXCHANGE ? (len > 0 ? len - 1 : 0) : len;

  if (cmd == CMD_IN_DATA_EXCHANGE && (len < 1 || p[0] != 0x01))
    {
      out[n++] = STATUS_BAD_TG;
      send_answer (chip, cmd, out, n);
      return;
    }
  /* The card hears nothing while the chip frames for type B (CIU_TxMode's
   * framing bits, which libnfc sets for its type B probes). */
  if (!chip->card_present || !chip->card_active || tx_len == 0 ||
      (chip->registers[REG_CIU_TX_MODE] & 0x03) != 0)
    {
      out[n++] = STATUS_TIMEOUT;
      send_answer (chip, cmd, out, n);
      return;
    }

  switch (chip->card.kind)
    {
    case CARD_ULTRALIGHT:
      if (tx[0] == 0x30 && tx_len >= 2)
        {
          out[n++] = STATUS_OK;
          card_read_pages (&chip->card, tx[1], out + n);
          n += 16;
        }
      else
        out[n++] = STATUS_TIMEOUT;
      break;
    case CARD_ISO14443_4:
      if ((tx[0] & 0xE6) == 0xA2)
        {
          out[n++] = STATUS_OK;
          out[n++] = 0xA2 | (tx[0] & 0x01); /* R(NAK) → R(ACK) */
        }
      else if (cmd == CMD_IN_DATA_EXCHANGE || (tx[0] & 0xE6) == 0x02)
        {
          /* An APDU, bare or in an I-block: INS not supported. */
          out[n++] = STATUS_OK;
          if (cmd == CMD_IN_COMMUNICATE_THRU)
            out[n++] = tx[0];
          out[n++] = 0x6D;
          out[n++] = 0x00;
        }
      else
        out[n++] = STATUS_TIMEOUT;
      break;
    case CARD_CLASSIC4:
    case CARD_CLASSIC7:
      /* A read needs an authentication the fixture does not play; other
       * bytes (another modulation's probes) get no answer from the card. */
      out[n++] = cmd == CMD_IN_DATA_EXCHANGE && tx[0] == 0x30 ? 0x14 : STATUS_TIMEOUT;
      break;
    default:
      g_assert_not_reached ();
    }
  send_answer (chip, cmd, out, n);
}

static void
do_command (Chip *chip, const guint8 *frame, gsize frame_len)
{
  guint8 cmd = frame[0];
  const guint8 *p = frame + 1;
  gsize len = frame_len - 1;
  guint8 out[256];
  gsize n = 0;

  /* A new command replaces one that waits. */
  chip->wait = WAIT_NONE;

  if (chip->mode == MODE_SILENT)
    return;
  if (chip->mode == MODE_GARBAGE)
    {
      send_garbage (chip);
      return;
    }
  send_ack (chip);

  switch (cmd)
    {
    case CMD_DIAGNOSE:
      if (len >= 1 && p[0] == 0x06)
        out[n++] = chip->card_present && chip->card_active ? STATUS_OK : STATUS_TIMEOUT;
      else if (len >= 1 && p[0] == 0x00)
        {
          memcpy (out, p, len);
          n = len;
        }
      else
        out[n++] = 0x00;
      break;
    case CMD_GET_FIRMWARE_VERSION:
      /* IC 32 (PN532), version 1.6, ISO14443A, ISO14443B and ISO18092 */
      out[n++] = 0x32;
      out[n++] = 0x01;
      out[n++] = 0x06;
      out[n++] = 0x07;
      break;
    case CMD_GET_GENERAL_STATUS:
      out[n++] = 0x00;
      out[n++] = 0x01;
      out[n++] = chip->card_active ? 0x01 : 0x00;
      if (chip->card_active)
        {
          out[n++] = 0x01;
          out[n++] = 0x00;
          out[n++] = 0x00;
          out[n++] = 0x00;
        }
      out[n++] = 0x80;
      break;
    case CMD_READ_REGISTER:
      for (gsize i = 0; i + 1 < len && n < sizeof out; i += 2)
        out[n++] = chip->registers[(p[i] << 8) | p[i + 1]];
      break;
    case CMD_WRITE_REGISTER:
      for (gsize i = 0; i + 2 < len; i += 3)
        chip->registers[(p[i] << 8) | p[i + 1]] = p[i + 2];
      break;
    case CMD_SET_PARAMETERS:
      if (len >= 1)
        chip->parameters = p[0];
      break;
    case CMD_SAM_CONFIGURATION:
      break;
    case CMD_POWER_DOWN:
      chip->card_active = FALSE;
      out[n++] = STATUS_OK;
      break;
    case CMD_RF_CONFIGURATION:
      if (len >= 2 && p[0] == 0x01 && !(p[1] & 0x01))
        chip->card_active = FALSE; /* field off: the card loses power */
      if (len >= 4 && p[0] == 0x05)
        chip->max_rty_passive = p[3];
      break;
    case CMD_IN_DATA_EXCHANGE:
    case CMD_IN_COMMUNICATE_THRU:
      do_in_data_exchange (chip, cmd, p, len);
      return;
    case CMD_IN_SELECT:
      out[n++] = chip->card_present && chip->card_active ? STATUS_OK : STATUS_BAD_TG;
      break;
    case CMD_IN_DESELECT:
    case CMD_IN_RELEASE:
      chip->card_active = FALSE;
      out[n++] = STATUS_OK;
      break;
    case CMD_IN_LIST_PASSIVE_TARGET:
      do_in_list_passive_target (chip, p, len);
      return;
    case CMD_IN_AUTO_POLL:
      do_in_auto_poll (chip, p, len);
      return;
    default:
      send_syntax_error (chip);
      return;
    }
  send_answer (chip, cmd, out, n);
}

/* ---- frames from the host ------------------------------------------------ */

static void
rx_drop (Chip *chip, gsize n)
{
  g_byte_array_remove_range (chip->rx, 0, MIN (n, chip->rx->len));
}

/* Takes every whole frame out of rx. */
static void
rx_parse (Chip *chip)
{
  for (;;)
    {
      const guint8 *b;
      gsize avail, start, head, len, total;
      guint8 sum = 0;

      b = chip->rx->data;
      avail = chip->rx->len;
      for (start = 0; start + 1 < avail; start++)
        if (b[start] == 0x00 && b[start + 1] == 0xFF)
          break;
      if (start + 1 >= avail)
        {
          /* Keep a trailing 00, it may start a start code. */
          rx_drop (chip, avail > 0 && b[avail - 1] == 0x00 ? avail - 1 : avail);
          return;
        }
      rx_drop (chip, start);
      b = chip->rx->data;
      avail = chip->rx->len;

      if (avail < 5)
        return;
      if (b[2] == 0x00 && b[3] == 0xFF)
        {
          /* ACK: abort what waits. */
          chip->wait = WAIT_NONE;
          rx_drop (chip, 5);
          continue;
        }
      if (b[2] == 0xFF && b[3] == 0x00)
        {
          /* NACK: the last answer again. */
          if (chip->mode != MODE_SILENT)
            host_queue (chip, chip->last_answer->data, chip->last_answer->len);
          rx_drop (chip, 5);
          continue;
        }
      if (b[2] == 0xFF && b[3] == 0xFF)
        {
          if (avail < 7)
            return;
          if ((guint8) (b[4] + b[5] + b[6]) != 0)
            {
              chip->n_bad++;
              rx_drop (chip, 2);
              continue;
            }
          head = 7;
          len = (b[4] << 8) | b[5];
        }
      else
        {
          if ((guint8) (b[2] + b[3]) != 0)
            {
              chip->n_bad++;
              rx_drop (chip, 2);
              continue;
            }
          head = 4;
          len = b[2];
        }

      /* TFI and data, DCS, postamble */
      total = head + len + 2;
      if (total > RX_MAX)
        {
          chip->n_bad++;
          rx_drop (chip, 2);
          continue;
        }
      if (avail < total)
        return;
      for (gsize i = 0; i < len + 1; i++)
        sum += b[head + i];
      if (sum != 0 || len < 2 || b[head] != 0xD4)
        {
          chip->n_bad++;
          rx_drop (chip, 2);
          continue;
        }
      chip->n_frames++;
      {
        g_autofree guint8 *frame = g_memdup2 (b + head + 1, len - 1);
        rx_drop (chip, total);
        do_command (chip, frame, len - 1);
      }
    }
}

/* ---- commands from the test ---------------------------------------------- */

static gboolean
parse_uid (const char *hex, Card *card)
{
  gsize len = strlen (hex);

  if (len % 2 != 0 || len / 2 > sizeof card->uid || len == 0)
    return FALSE;
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      card->uid[i] = (guint8) (hi << 4 | lo);
    }
  card->uid_len = len / 2;
  return TRUE;
}

static char *
do_present (Chip *chip, char **argv)
{
  static const struct
  {
    const char *name;
    CardKind kind;
    gsize uid_len;
    gsize alt_len;
  } kinds[] = {
    { "classic4", CARD_CLASSIC4, 4, 4 },
    { "classic7", CARD_CLASSIC7, 7, 7 },
    { "ultralight", CARD_ULTRALIGHT, 7, 7 },
    { "iso14443-4", CARD_ISO14443_4, 4, 7 },
  };
  Card card = { 0 };
  gsize k;

  if (g_strv_length (argv) != 3)
    return g_strdup ("error usage: present classic4|classic7|ultralight|iso14443-4 UIDHEX");
  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (g_str_equal (argv[1], kinds[k].name))
      break;
  if (k == G_N_ELEMENTS (kinds))
    return g_strdup_printf ("error unknown card kind '%s'", argv[1]);
  card.kind = kinds[k].kind;
  if (!parse_uid (argv[2], &card) ||
      (card.uid_len != kinds[k].uid_len && card.uid_len != kinds[k].alt_len))
    return g_strdup_printf ("error a %s needs a UID of %zu hex bytes", argv[1], kinds[k].uid_len);

  /* A new card (or the same one coming back) is not active yet. */
  chip->card = card;
  chip->card_present = TRUE;
  chip->card_active = FALSE;
  wait_try (chip);
  return g_strdup ("ok");
}

static char *
do_line (Chip *chip, char *line, gboolean *quit)
{
  static const char *modes[] = { "normal", "silent", "bad-checksum", "garbage" };
  g_auto (GStrv) argv = g_strsplit_set (g_strstrip (line), " \t", -1);
  g_auto (GStrv) words = NULL;
  GPtrArray *kept = g_ptr_array_new ();

  for (char **w = argv; *w; w++)
    if (**w)
      g_ptr_array_add (kept, g_strdup (*w));
  g_ptr_array_add (kept, NULL);
  words = (GStrv) g_ptr_array_free (kept, FALSE);

  if (!words[0])
    return g_strdup ("error empty command");
  if (g_str_equal (words[0], "present"))
    return do_present (chip, words);
  if (g_str_equal (words[0], "remove") && !words[1])
    {
      chip->card_present = FALSE;
      chip->card_active = FALSE;
      return g_strdup ("ok");
    }
  if (g_str_equal (words[0], "mode") && words[1] && !words[2])
    {
      for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
        if (g_str_equal (words[1], modes[i]))
          {
            chip->mode = (Mode) i;
            return g_strdup ("ok");
          }
      return g_strdup_printf ("error unknown mode '%s'", words[1]);
    }
  if (g_str_equal (words[0], "stats") && !words[1])
    return g_strdup_printf ("ok polls=%" G_GUINT64_FORMAT " frames=%" G_GUINT64_FORMAT
                            " bad=%" G_GUINT64_FORMAT,
                            chip->n_polls, chip->n_frames, chip->n_bad);
  if (g_str_equal (words[0], "quit") && !words[1])
    {
      *quit = TRUE;
      return g_strdup ("ok");
    }
  return g_strdup_printf ("error unknown command '%s'", words[0]);
}

/* ---- the pty and the link -------------------------------------------------- */

static gboolean
open_pty (Chip *chip, GError **error)
{
  struct termios tio;
  const char *slave_name;
  g_autofree char *tmp = NULL;

  chip->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (chip->master < 0 || grantpt (chip->master) < 0 || unlockpt (chip->master) < 0 ||
      !(slave_name = ptsname (chip->master)))
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not open a pseudo-terminal: %s", g_strerror (saved));
      return FALSE;
    }
  chip->slave = open (slave_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (chip->slave < 0 || tcgetattr (chip->slave, &tio) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "Could not open %s: %s",
                   slave_name, g_strerror (saved));
      return FALSE;
    }
  cfmakeraw (&tio);
  cfsetispeed (&tio, B115200);
  cfsetospeed (&tio, B115200);
  if (tcsetattr (chip->slave, TCSANOW, &tio) < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not make %s raw: %s", slave_name, g_strerror (saved));
      return FALSE;
    }
  if (!g_unix_set_fd_nonblocking (chip->master, TRUE, error))
    return FALSE;

  /* Replaced in one step: a client never sees the link missing. */
  tmp = g_strdup_printf ("%s.%d.tmp", chip->link_path, (int) getpid ());
  g_unlink (tmp);
  if (symlink (slave_name, tmp) < 0 || rename (tmp, chip->link_path) < 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Could not point %s at %s: %s", chip->link_path, slave_name, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
read_stdin (Chip *chip, gboolean *quit)
{
  char buf[1024];
  gssize n = read (STDIN_FILENO, buf, sizeof buf);
  char *nl;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      chip->stdin_open = FALSE;
      *quit = TRUE;
      return;
    }
  g_string_append_len (chip->stdin_line, buf, n);
  while (!*quit && (nl = memchr (chip->stdin_line->str, '\n', chip->stdin_line->len)))
    {
      g_autofree char *line = g_strndup (chip->stdin_line->str, nl - chip->stdin_line->str);
      g_autofree char *answer = NULL;

      g_string_erase (chip->stdin_line, 0, nl - chip->stdin_line->str + 1);
      answer = do_line (chip, line, quit);
      printf ("%s\n", answer);
      fflush (stdout);
    }
  if (chip->stdin_line->len > 4096)
    g_string_truncate (chip->stdin_line, 0);
}

static void
read_host (Chip *chip)
{
  guint8 buf[1024];
  gssize n = read (chip->master, buf, sizeof buf);

  if (n <= 0)
    return;
  trace_bytes ("host:", buf, n);
  g_byte_array_append (chip->rx, buf, n);
  if (chip->rx->len > RX_MAX)
    rx_drop (chip, chip->rx->len - RX_MAX);
  rx_parse (chip);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  struct sigaction sa = { 0 };
  gboolean quit = FALSE;
  Chip *chip;

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      g_print ("Usage: %s LINKPATH\n"
               "Plays a PN532 on a pseudo-terminal linked at LINKPATH; commands on stdin\n"
               "(see sk-pn532-fixture.h). SK_PN532_TRACE=1 prints every byte.\n",
               argv[0]);
      return 0;
    }
  if (argc != 2 || argv[1][0] == '-')
    {
      g_printerr ("Usage: %s LINKPATH\n", argv[0]);
      return 2;
    }

  trace = g_strcmp0 (g_getenv ("SK_PN532_TRACE"), "1") == 0;
  sa.sa_handler = on_signal;
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  chip = g_new0 (Chip, 1);
  chip->master = chip->slave = -1;
  chip->link_path = g_strdup (argv[1]);
  chip->rx = g_byte_array_new ();
  chip->tx = g_byte_array_new ();
  chip->last_answer = g_byte_array_new ();
  chip->stdin_line = g_string_new (NULL);
  chip->stdin_open = TRUE;
  chip->max_rty_passive = 0xFF;
  chip->wait_deadline = -1;

  if (!open_pty (chip, &error))
    {
      g_printerr ("pn532-fixture: %s\n", error->message);
      return 1;
    }
  printf ("ready pn532_uart:%s\n", chip->link_path);
  fflush (stdout);

  while (!quit && !stop_signal)
    {
      struct pollfd fds[2] = {
        { .fd = chip->master, .events = POLLIN | (chip->tx->len ? POLLOUT : 0) },
        { .fd = STDIN_FILENO, .events = POLLIN },
      };
      int timeout = -1;

      if (chip->wait != WAIT_NONE && chip->wait_deadline >= 0)
        {
          gint64 left = chip->wait_deadline - g_get_monotonic_time ();
          timeout = left <= 0 ? 0 : (int) ((left + 999) / 1000);
        }
      if (poll (fds, 2, timeout) < 0)
        {
          if (errno == EINTR)
            continue;
          g_printerr ("pn532-fixture: poll: %s\n", g_strerror (errno));
          break;
        }
      /* The host first: what it sent (an abort, say) came before the
       * command of the test that woke us at the same time. */
      if (fds[0].revents & POLLIN)
        read_host (chip);
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        read_stdin (chip, &quit);
      wait_expire (chip);
      if (chip->tx->len)
        host_flush (chip);
    }

  g_unlink (chip->link_path);
  close (chip->slave);
  close (chip->master);
  g_byte_array_unref (chip->rx);
  g_byte_array_unref (chip->tx);
  g_byte_array_unref (chip->last_answer);
  g_string_free (chip->stdin_line, TRUE);
  g_free (chip->link_path);
  g_free (chip);
  return 0;
}
