/* sk-kiosk-playback.c: the manager's playback methods: Pause, Resume,
 * Skip, SetVolume, TestSound and ListAudioDevices (behind the admin gate,
 * sk-kiosk-admin.c).
 *
 * SetVolume writes the setting volume (sk_engine_set_setting), refused
 * above the cap in force (the schedule's, sk_playback_set_volume_cap).
 * TestSound plays a short tone on a PCM in a thread of its own and answers
 * when it has been played; it only opens a PCM that ALSA lists
 * (snd_device_name_hint), "default" or the one in use: a PCM name can
 * define a plugin inline, and the file plugin writes wherever it is told,
 * even to a command. The same rule guards the setting audio_pcm over the
 * bus.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <alsa/asoundlib.h>
#include <math.h>
#include <string.h>

#include "sk-kiosk-private.h"
#include "sk-scheduler.h"
#include "sk-settings.h"
#include "sk-util.h"

#define TONE_RATE 48000
#define TONE_HZ 440.0
#define TONE_SECONDS 0.6
#define TONE_FADE_SECONDS 0.02
#define TONE_LEVEL 0.3 /* of full scale, at volume 1 */
#define MAX_PCM_NAME 256

/* --- the PCMs found ----------------------------------------------------- */

/* Calls @func (name, description) for each output PCM ALSA lists. */
static void
foreach_pcm (void (*func) (const char *name, const char *desc, gpointer data), gpointer data)
{
  void **hints = NULL;

  if (snd_device_name_hint (-1, "pcm", &hints) < 0)
    return;
  for (void **h = hints; *h != NULL; h++)
    {
      g_autofree char *name = snd_device_name_get_hint (*h, "NAME");
      g_autofree char *desc = snd_device_name_get_hint (*h, "DESC");
      g_autofree char *ioid = snd_device_name_get_hint (*h, "IOID");

      if (name == NULL || g_strcmp0 (ioid, "Input") == 0)
        continue;
      if (desc != NULL)
        g_strdelimit (desc, "\n", ' ');
      func (name, desc ? desc : "", data);
    }
  snd_device_name_free_hint (hints);
}

typedef struct
{
  const char *name;
  gboolean found;
} PcmLookup;

static void
match_pcm (const char *name, const char *desc, gpointer data)
{
  PcmLookup *l = data;

  l->found = l->found || strcmp (name, l->name) == 0;
}

gboolean
sk_kiosk_pcm_allowed (SkKioskService *self, const char *name, GError **error)
{
  PcmLookup l = { name, FALSE };

  if (strlen (name) > MAX_PCM_NAME || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                   _ ("A PCM name is at most %d bytes of text"), MAX_PCM_NAME);
      return FALSE;
    }
  if (strcmp (name, "default") == 0 ||
      (self->playback != NULL && strcmp (name, sk_playback_get_pcm_name (self->playback)) == 0))
    return TRUE;
  foreach_pcm (match_pcm, &l);
  if (!l.found)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 _ ("“%.60s” is not one of the audio outputs found (ListAudioDevices lists them)"),
                 name);
  return l.found;
}

static void
add_pcm (const char *name, const char *desc, gpointer data)
{
  g_variant_builder_add (data, "(ss)", name, desc);
}

GVariant *
sk_kiosk_method_list_audio_devices (SkKioskService *self, GVariant *args, GError **error)
{
  GVariantBuilder pcms, cards;
  int card = -1;

  g_variant_builder_init (&pcms, G_VARIANT_TYPE ("a(ss)"));
  g_variant_builder_init (&cards, G_VARIANT_TYPE ("a(iss)"));
  foreach_pcm (add_pcm, &pcms);
  while (snd_card_next (&card) == 0 && card >= 0)
    {
      g_autofree char *ctl_name = g_strdup_printf ("hw:%d", card);
      snd_ctl_t *ctl = NULL;
      snd_ctl_card_info_t *info = NULL;

      if (snd_ctl_open (&ctl, ctl_name, 0) < 0)
        continue;
      snd_ctl_card_info_malloc (&info);
      if (info != NULL && snd_ctl_card_info (ctl, info) == 0)
        g_variant_builder_add (&cards, "(iss)", card, snd_ctl_card_info_get_id (info),
                               snd_ctl_card_info_get_name (info));
      if (info != NULL)
        snd_ctl_card_info_free (info);
      snd_ctl_close (ctl);
    }
  return g_variant_new ("(@a(ss)@a(iss))", g_variant_builder_end (&pcms),
                        g_variant_builder_end (&cards));
}

/* --- the test sound ----------------------------------------------------- */

typedef struct
{
  SkKioskJob base;
  char *pcm;
  double volume;
  GDBusMethodInvocation *invocation;
} SkKioskTone;

static void
tone_job_free (gpointer data)
{
  SkKioskTone *job = data;

  g_free (job->pcm);
  g_clear_object (&job->invocation);
  g_free (job);
}

static gboolean
play_tone (const char *name, double volume, GError **error)
{
  snd_pcm_t *pcm = NULL;
  guint frames = (guint) (TONE_SECONDS * TONE_RATE);
  guint fade = (guint) (TONE_FADE_SECONDS * TONE_RATE);
  g_autofree gint16 *buf = g_new (gint16, 2 * (gsize) frames);
  int err;
  guint done = 0;

  for (guint i = 0; i < frames; i++)
    {
      double ramp = MIN (1.0, MIN (i, frames - 1 - i) / (double) fade);
      double v = TONE_LEVEL * volume * ramp * sin (2 * G_PI * TONE_HZ * i / TONE_RATE);

      buf[2 * i] = buf[2 * i + 1] = (gint16) lrint (v * 32767);
    }
  /* opened without blocking, so a device in use says so at once */
  err = snd_pcm_open (&pcm, name, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK);
  if (err == 0)
    err = snd_pcm_nonblock (pcm, 0);
  if (err == 0)
    err = snd_pcm_set_params (pcm, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED, 2, TONE_RATE,
                              1, 100000);
  while (err == 0 && done < frames)
    {
      snd_pcm_sframes_t n = snd_pcm_writei (pcm, buf + 2 * done, frames - done);

      if (n < 0)
        n = snd_pcm_recover (pcm, (int) n, 1) == 0 ? 0 : n;
      if (n < 0)
        err = (int) n;
      else
        done += (guint) n;
    }
  if (err == 0)
    err = snd_pcm_drain (pcm);
  if (pcm != NULL)
    snd_pcm_close (pcm);
  if (err == 0)
    return TRUE;
  g_set_error (error, SK_KIOSK_ERROR, err == -EBUSY ? SK_KIOSK_ERROR_BUSY : SK_KIOSK_ERROR_FAILED,
               _ ("The test sound cannot play on “%s”: %s"), name, snd_strerror (err));
  return FALSE;
}

static void
tone_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SkKioskTone *job = data;
  GError *error = NULL;

  if (play_tone (job->pcm, job->volume, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
tone_done (GObject *source, GAsyncResult *result, gpointer data)
{
  SkKioskTone *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (job->base.service != NULL)
    job->base.service->tone = NULL;
  /* each completion takes the invocation */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      sk_kiosk_return_error (g_steal_pointer (&job->invocation), error);
      return;
    }
  g_message ("test sound played on %s", job->pcm);
  sk_dbus_kiosk1_complete_test_sound (NULL, g_steal_pointer (&job->invocation));
}

static gboolean
need_playback (SkKioskService *self, GError **error)
{
  if (self->playback != NULL)
    return TRUE;
  g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_SUPPORTED,
                       _ ("This soundscaped plays nothing (no audio output)"));
  return FALSE;
}

/* Answered when the tone has played (tone_done), or at once when it
 * cannot play. */
static gboolean
start_test_sound (SkKioskService *self,
                  const char *pcm,
                  GDBusMethodInvocation *invocation,
                  GError **error)
{
  g_autoptr (GTask) task = NULL;
  SkKioskTone *job;

  if (self->tone != NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_BUSY,
                           _ ("A test sound is playing: try again when it ends"));
      return FALSE;
    }
  if (*pcm == '\0' && self->playback == NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_SUPPORTED,
                           _ ("This soundscaped plays nothing: name the PCM to test"));
      return FALSE;
    }
  if (*pcm != '\0' && !sk_kiosk_pcm_allowed (self, pcm, error))
    return FALSE;
  job = g_new0 (SkKioskTone, 1);
  job->pcm = g_strdup (*pcm != '\0' ? pcm : sk_playback_get_pcm_name (self->playback));
  job->volume = self->playback != NULL
                    ? sk_playback_get_volume (self->playback)
                    : sk_settings_get_double (sk_engine_get_store (self->engine), "volume");
  job->base.service = self;
  job->invocation = invocation; /* answered by tone_done() */
  self->tone = &job->base;
  task = g_task_new (NULL, NULL, tone_done, NULL);
  g_task_set_task_data (task, job, tone_job_free);
  g_task_run_in_thread (task, tone_thread);
  return TRUE;
}

void
sk_kiosk_method_test_sound (SkKioskService *self, GDBusMethodInvocation *invocation)
{
  g_autoptr (GError) error = NULL;
  const char *pcm;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(&s)", &pcm);
  if (!start_test_sound (self, pcm, invocation, &error))
    sk_kiosk_return_error (invocation, error);
}

/* --- pause, resume, skip, volume ---------------------------------------- */

GVariant *
sk_kiosk_method_pause (SkKioskService *self, GVariant *args, GError **error)
{
  if (!need_playback (self, error))
    return NULL;
  sk_audio_player_pause (sk_playback_get_player (self->playback));
  sk_kiosk_set_audio_status (self, "paused", NULL);
  g_message ("paused by a manager");
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_resume (SkKioskService *self, GVariant *args, GError **error)
{
  if (!need_playback (self, error))
    return NULL;
  if (self->scheduler != NULL && !sk_scheduler_is_open (self->scheduler))
    {
      /* the schedule paused it: it resumes when the venue opens */
      g_set_error_literal (
          error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
          _ ("The venue is closed now by its opening hours: change the schedule to play now"));
      return NULL;
    }
  sk_audio_player_resume (sk_playback_get_player (self->playback));
  sk_kiosk_set_audio_running (self, sk_engine_get_current_song (self->engine) != NULL);
  g_message ("resumed by a manager");
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_skip (SkKioskService *self, GVariant *args, GError **error)
{
  g_autofree char *song = NULL;

  if (!need_playback (self, error))
    return NULL;
  song = g_strdup (sk_engine_get_current_song (self->engine));
  if (song == NULL)
    {
      g_set_error_literal (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_NOT_ALLOWED,
                           _ ("Nothing is playing to skip"));
      return NULL;
    }
  sk_audio_player_skip (sk_playback_get_player (self->playback));
  g_message ("skipped by a manager");
  sk_dbus_kiosk1_emit_skipped (self->skeleton, song, "manager", "A manager skipped it");
  return g_variant_new ("()");
}

GVariant *
sk_kiosk_method_set_volume (SkKioskService *self, GVariant *args, GError **error)
{
  double cap = self->playback != NULL ? sk_playback_get_volume_cap (self->playback) : 1.0;
  char buf[SK_NUMBER_BUF_SIZE];
  double volume;

  g_variant_get (args, "(d)", &volume);
  if (!(volume >= 0 && volume <= 1))
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 _ ("A volume is from 0 to 1, not %g"), volume);
  else if (volume > cap)
    g_set_error (error, SK_KIOSK_ERROR, SK_KIOSK_ERROR_INVALID_ARGUMENT,
                 _ ("The volume may be at most %g now: the schedule caps it"), cap);
  else if (sk_kiosk_apply_setting (self, "volume", sk_number_format (buf, volume), error))
    return g_variant_new ("()");
  return NULL;
}
