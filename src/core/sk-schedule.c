/* sk-schedule.c: opening hours and volume caps in the venue's time zone.
 *
 * Everything is computed in whole seconds of two kinds: instants (seconds
 * since the epoch, UTC) and readings (what the venue's wall clock shows at
 * an instant, as seconds since the epoch as if it were UTC: the instant
 * plus the zone's offset then). A day is a reading's day; an entry's start
 * and end are readings turned back into instants (instant_of), which is
 * where the changes of daylight saving time are dealt with, once.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "sk-schedule.h"
#include "sk-settings.h"

#define DAY (24 * 60 * 60)
#define KEY_HOURS "schedule_opening_hours"
#define KEY_CAPS "schedule_volume_caps"

struct _SkSchedule
{
  char *time_zone; /* as set; "" for the system's */
  GTimeZone *tz;
  GArray *opening; /* SkScheduleEntry */
  GArray *caps;    /* SkScheduleEntry */
};

static gint64
floor_div (gint64 a, gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* --- time --------------------------------------------------------------- */

static gint64
reading (GTimeZone *tz, gint64 instant)
{
  int interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, instant);

  return instant + g_time_zone_get_offset (tz, interval);
}

/* The first instant at which the wall clock reads @wanted or later: the
 * earlier of two instants that read it (the hour repeated in autumn), or
 * the end of the gap it falls in (the hour skipped in spring). Offsets in
 * force a day and a half either side are the candidates: no zone changes
 * its offset twice in three days. */
static gint64
instant_of (GTimeZone *tz, gint64 wanted)
{
  const gint64 probes[] = { wanted - DAY - DAY / 2, wanted, wanted + DAY + DAY / 2 };
  gint64 best = G_MAXINT64, after = G_MAXINT64, lo, hi;

  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      gint64 u = wanted - (reading (tz, probes[i]) - probes[i]);
      gint64 r = reading (tz, u);

      if (r == wanted)
        best = MIN (best, u);
      else if (r > wanted)
        after = MIN (after, u);
    }
  if (best != G_MAXINT64 || after == G_MAXINT64)
    return best != G_MAXINT64 ? best : wanted;
  /* in a gap: the first instant reading later than @wanted, found between
   * an instant before the gap and one after it */
  lo = after - DAY;
  hi = after;
  while (hi - lo > 1)
    {
      gint64 mid = lo + (hi - lo) / 2;

      if (reading (tz, mid) >= wanted)
        hi = mid;
      else
        lo = mid;
    }
  return hi;
}

/* 1 = Monday … 7 = Sunday; day 0 (1970-01-01) was a Thursday. */
static guint
weekday_of_day (gint64 day)
{
  return (guint) (((day % 7) + 7 + 3) % 7) + 1;
}

/* When @e, taken on the local day @day, starts and ends (instants). */
static void
entry_span (SkSchedule *self, const SkScheduleEntry *e, gint64 day, gint64 *start, gint64 *end)
{
  *start = instant_of (self->tz, day * DAY + (gint64) e->from * 60);
  *end = instant_of (self->tz, (e->to > e->from ? day : day + 1) * DAY + (gint64) e->to * 60);
}

/* Whether an entry of @list holds the instant @u; the smallest cap of
 * those that do in @cap. */
static gboolean
holds (SkSchedule *self, GArray *list, gint64 u, double *cap)
{
  gint64 today = floor_div (reading (self->tz, u), DAY);
  gboolean found = FALSE;

  for (gint64 day = today - 1; day <= today; day++)
    for (guint i = 0; i < list->len; i++)
      {
        const SkScheduleEntry *e = &g_array_index (list, SkScheduleEntry, i);
        gint64 start, end;

        if (e->weekday != weekday_of_day (day))
          continue;
        entry_span (self, e, day, &start, &end);
        if (start <= u && u < end)
          {
            found = TRUE;
            *cap = MIN (*cap, e->cap);
          }
      }
  return found;
}

gboolean
sk_schedule_is_open (SkSchedule *self, gint64 now)
{
  double unused = 1;

  g_return_val_if_fail (self != NULL, TRUE);
  return self->opening->len == 0 ||
         holds (self, self->opening, floor_div (now, G_USEC_PER_SEC), &unused);
}

double
sk_schedule_get_cap (SkSchedule *self, gint64 now)
{
  double cap = 1;

  g_return_val_if_fail (self != NULL, 1);
  holds (self, self->caps, floor_div (now, G_USEC_PER_SEC), &cap);
  return cap;
}

gint64
sk_schedule_next_change (SkSchedule *self, gint64 now)
{
  gint64 u = floor_div (now, G_USEC_PER_SEC);
  gint64 today = floor_div (reading (self->tz, u), DAY);
  gint64 next = G_MAXINT64;
  GArray *lists[] = { self->opening, self->caps };

  g_return_val_if_fail (self != NULL, G_MAXINT64);
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (gint64 day = today - 1; day <= today + 7; day++)
      for (guint i = 0; i < lists[l]->len; i++)
        {
          const SkScheduleEntry *e = &g_array_index (lists[l], SkScheduleEntry, i);
          gint64 start, end;

          if (e->weekday != weekday_of_day (day))
            continue;
          entry_span (self, e, day, &start, &end);
          if (start > u)
            next = MIN (next, start);
          if (end > u)
            next = MIN (next, end);
        }
  return next == G_MAXINT64 ? G_MAXINT64 : next * G_USEC_PER_SEC;
}

/* --- the schedule ------------------------------------------------------- */

gboolean
sk_schedule_check_time_zone (const char *name, GError **error)
{
  g_autoptr (GTimeZone) tz = NULL;

  if (name == NULL || *name == '\0')
    return TRUE;
  /* an IANA name: Area/Location of letters, digits, '_', '-' and '+';
   * never a path of another file, nor a POSIX rule */
  if (strlen (name) > 64 || !g_ascii_isalpha (*name) || strstr (name, "..") != NULL ||
      strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/") !=
          strlen (name) ||
      (tz = g_time_zone_new_identifier (name)) == NULL)
    {
      g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                   "“%.64s” is not a known time zone: give an IANA name such as Europe/Berlin",
                   g_utf8_validate (name, -1, NULL) ? name : "?");
      return FALSE;
    }
  return TRUE;
}

SkSchedule *
sk_schedule_new (const char *time_zone, GError **error)
{
  SkSchedule *self;

  if (!sk_schedule_check_time_zone (time_zone, error))
    return NULL;
  self = g_new0 (SkSchedule, 1);
  self->time_zone = g_strdup (time_zone ? time_zone : "");
  self->tz = *self->time_zone ? g_time_zone_new_identifier (self->time_zone)
                              : g_time_zone_new_local ();
  self->opening = g_array_new (FALSE, FALSE, sizeof (SkScheduleEntry));
  self->caps = g_array_new (FALSE, FALSE, sizeof (SkScheduleEntry));
  return self;
}

void
sk_schedule_free (SkSchedule *self)
{
  if (self == NULL)
    return;
  g_free (self->time_zone);
  g_time_zone_unref (self->tz);
  g_array_unref (self->opening);
  g_array_unref (self->caps);
  g_free (self);
}

static gboolean
add (GArray *list, const char *what, guint weekday, guint from, guint to, double cap, GError **error)
{
  SkScheduleEntry e = { weekday, from, to, cap };

  if (list->len >= SK_SCHEDULE_MAX_ENTRIES)
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_TOO_LARGE, "At most %d %s, please",
                 SK_SCHEDULE_MAX_ENTRIES, what);
  else if (weekday < 1 || weekday > 7)
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                 "The weekday of %s is 1 (Monday) to 7 (Sunday), not %u", what, weekday);
  else if (from > 1439 || to > 1439)
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                 "The times of %s are minutes after midnight, 0 to 1439, not %u", what,
                 MAX (from, to));
  else if (!(cap >= 0 && cap <= 1))
    g_set_error (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                 "A volume cap is from 0 to 1, not %g", cap);
  else
    {
      g_array_append_val (list, e);
      return TRUE;
    }
  return FALSE;
}

gboolean
sk_schedule_add_opening (SkSchedule *self, guint weekday, guint opens, guint closes, GError **error)
{
  return add (self->opening, "opening hours", weekday, opens, closes, 1, error);
}

gboolean
sk_schedule_add_cap (
    SkSchedule *self, guint weekday, guint from, guint to, double cap, GError **error)
{
  return add (self->caps, "volume caps", weekday, from, to, cap, error);
}

const SkScheduleEntry *
sk_schedule_get_opening (SkSchedule *self, guint *n)
{
  *n = self->opening->len;
  return (const SkScheduleEntry *) (gpointer) self->opening->data;
}

const SkScheduleEntry *
sk_schedule_get_caps (SkSchedule *self, guint *n)
{
  *n = self->caps->len;
  return (const SkScheduleEntry *) (gpointer) self->caps->data;
}

const char *
sk_schedule_get_time_zone (SkSchedule *self)
{
  return self->time_zone;
}

const char *
sk_schedule_get_zone_name (SkSchedule *self)
{
  return *self->time_zone ? self->time_zone : g_time_zone_get_identifier (self->tz);
}

/* --- stored ------------------------------------------------------------- */

/* [[weekday, from, to(, cap)], …] into @self's list. */
static gboolean
parse_list (SkSchedule *self, const char *text, gboolean caps, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  if (text == NULL || *text == '\0')
    return TRUE;
  if (!json_parser_load_from_data (parser, text, -1, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    goto bad;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonArray *e;
      gint64 v[3];

      if (!JSON_NODE_HOLDS_ARRAY (node))
        goto bad;
      e = json_node_get_array (node);
      if (json_array_get_length (e) != (caps ? 4u : 3u))
        goto bad;
      for (guint k = 0; k < 3; k++)
        {
          v[k] = json_array_get_int_element (e, k);
          if (v[k] < 0 || v[k] > G_MAXUINT)
            goto bad;
        }
      if (caps ? !sk_schedule_add_cap (self, (guint) v[0], (guint) v[1], (guint) v[2],
                                       json_array_get_double_element (e, 3), error)
               : !sk_schedule_add_opening (self, (guint) v[0], (guint) v[1], (guint) v[2], error))
        return FALSE;
    }
  return TRUE;

bad:
  g_set_error_literal (error, SK_INPUT_ERROR, SK_INPUT_ERROR_INVALID,
                       "not a list of [weekday, from, to] entries");
  return FALSE;
}

SkSchedule *
sk_schedule_load (SkStore *store)
{
  g_autofree char *zone = sk_settings_dup_string (store, "time_zone");
  g_autofree char *hours = sk_store_dup_setting (store, KEY_HOURS);
  g_autofree char *caps = sk_store_dup_setting (store, KEY_CAPS);
  g_autoptr (GError) error = NULL;
  SkSchedule *self = sk_schedule_new (zone, NULL);

  /* the setting's own check let only a known zone through */
  g_assert (self != NULL);
  if (!parse_list (self, hours, FALSE, &error) || !parse_list (self, caps, TRUE, &error))
    {
      g_warning ("The stored schedule cannot be read (%s): always open, no volume cap",
                 error->message);
      g_array_set_size (self->opening, 0);
      g_array_set_size (self->caps, 0);
    }
  return self;
}

static char *
format_list (GArray *list, gboolean caps)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < list->len; i++)
    {
      const SkScheduleEntry *e = &g_array_index (list, SkScheduleEntry, i);
      char cap[G_ASCII_DTOSTR_BUF_SIZE];

      g_string_append_printf (out, "%s[%u,%u,%u", i > 0 ? "," : "", e->weekday, e->from, e->to);
      if (caps)
        g_string_append_printf (out, ",%s", g_ascii_dtostr (cap, sizeof cap, e->cap));
      g_string_append_c (out, ']');
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

gboolean
sk_schedule_save (SkSchedule *self, SkStore *store, GError **error)
{
  g_autofree char *hours = format_list (self->opening, FALSE);
  g_autofree char *caps = format_list (self->caps, TRUE);

  if (!sk_store_begin (store, error))
    return FALSE;
  return sk_store_end (store,
                       sk_settings_set (store, "time_zone",
                                        *self->time_zone ? self->time_zone : NULL, error) &&
                           sk_store_set_setting (store, KEY_HOURS, hours, error) &&
                           sk_store_set_setting (store, KEY_CAPS, caps, error),
                       error);
}
