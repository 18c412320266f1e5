/* sk-demo-gen.c: synthesises the demo soundscape library at build time.
 *
 * Usage: sk-demo-gen [--seconds N] [--stems] OUTPUT-DIR
 *
 * Writes NAME.wav (48 kHz stereo 16-bit PCM, seamless loop, high-passed
 * below SK_SUBSONIC_HZ, levelled to SK_TARGET_LUFS integrated loudness) and
 * NAME.json (title, artist, type, taste embedding, bpm) for every track
 * below.  The output depends only on this file (and libebur128's measure):
 * every random choice comes from a fixed seed, so two runs produce
 * identical bytes.  tests/demo measures what comes out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <ebur128.h>
#include <glib.h>
#include <glib/gstdio.h>

#define SK_RATE 48000
#define SK_SEED G_GUINT64_CONSTANT (0x50a9d5ca9e2024d1)
#define SK_TAU (2.0 * G_PI)
/* Continuous noise runs this long before frame 0, so no filter or
 * integrator is heard settling at the start of a track. */
#define SK_WARMUP ((gssize) (SK_RATE / 2))
/* Length of the crossfade that folds the rendered overshoot onto the
 * start; long enough that slow noise beds blend without a seam. */
#define SK_XFADE_S 2.5
#define SK_CTRL 32 /* frames between updates of time-varying filters */
/* Every track is levelled to this integrated loudness (EBU R128), R128's
 * own target, the one the kiosk normalises to: played there, a demo file
 * needs no gain, and its peaks keep 20 dB of headroom under 0 dBFS. */
#define SK_TARGET_LUFS (-23.0)
/* Nothing below this is heard on a kiosk's speaker (and little on any):
 * the mix is high-passed here, 24 dB/octave, so that no headroom goes to
 * sub-audio rumble. */
#define SK_SUBSONIC_HZ 30.0

/* Loops over warm-up frames set their filters when i % SK_CTRL == 0. */
G_STATIC_ASSERT (SK_WARMUP % SK_CTRL == 0);

typedef struct
{
  const char *name;
  const char *title;
  double seconds;
  double peak_db;
  double embedding[5]; /* rain, wind, fire, thunder, waves */
  int bpm;             /* 0: none */
  /* Layer gains (0: layer absent) and their character. */
  double rain;
  double rain_density;
  double wind;
  double fire;
  double thunder;
  double thunder_near; /* probability that a strike is close */
  double waves;
} SkTrackSpec;

/* Embeddings follow the taste space of docs/DESIGN.md: 0.5 is neutral,
 * 0.1-0.2 means the element is absent (or too faint to hear: a sidecar
 * describes only what one hears), ~0.9 that it dominates.  Blends sit
 * between their parts.  Peaks differ by a dB or so, as real recordings do. */
static const SkTrackSpec tracks[] = {
  { .name = "rain",
    .title = "Steady Rain",
    .seconds = 30,
    .peak_db = -3.0,
    .embedding = { 0.95, 0.20, 0.10, 0.20, 0.15 },
    .rain = 1.0,
    .rain_density = 1.0 },
  { .name = "wind",
    .title = "Wind over the Moor",
    .seconds = 32,
    .peak_db = -3.5,
    .embedding = { 0.15, 0.95, 0.10, 0.20, 0.20 },
    .wind = 1.0 },
  { .name = "fire",
    .title = "Hearth Fire",
    .seconds = 30,
    .peak_db = -2.8,
    .embedding = { 0.10, 0.15, 0.95, 0.10, 0.10 },
    .fire = 1.0 },
  { .name = "thunder",
    .title = "Rolling Thunder",
    .seconds = 40,
    .peak_db = -2.5,
    .embedding = { 0.15, 0.15, 0.10, 0.95, 0.15 },
    .thunder = 1.0,
    .thunder_near = 0.35 },
  { .name = "waves",
    .title = "Ocean Waves",
    .seconds = 36,
    .peak_db = -3.2,
    .embedding = { 0.20, 0.20, 0.10, 0.10, 0.95 },
    .waves = 1.0 },
  { .name = "thunderstorm",
    .title = "Thunderstorm",
    .seconds = 40,
    .peak_db = -2.7,
    .embedding = { 0.85, 0.40, 0.10, 0.80, 0.15 },
    .rain = 1.0,
    .rain_density = 1.4,
    .thunder = 0.9,
    .thunder_near = 0.6,
    .wind = 1.3 },
  { .name = "windy-shore",
    .title = "Windy Shore",
    .seconds = 32,
    .peak_db = -3.4,
    .embedding = { 0.20, 0.80, 0.10, 0.15, 0.80 },
    .waves = 0.85,
    .wind = 1.0 },
  { .name = "campfire-in-the-rain",
    .title = "Campfire in the Rain",
    .seconds = 30,
    .peak_db = -3.1,
    .embedding = { 0.70, 0.20, 0.80, 0.15, 0.20 },
    .fire = 1.0,
    .rain = 0.8,
    .rain_density = 0.7 },
  { .name = "drizzle-and-breeze",
    .title = "Drizzle and Breeze",
    .seconds = 24,
    .peak_db = -4.0,
    .embedding = { 0.65, 0.65, 0.10, 0.15, 0.15 },
    .rain = 0.7,
    .rain_density = 0.35,
    .wind = 0.8 },
};

/* --- Random numbers ---------------------------------------------------- */

/* xorshift64* (Vigna): fast, good enough for audio, and ours, so the
 * output never depends on the C library's rand(). */
typedef struct
{
  guint64 s;
} SkRng;

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Independent streams from one seed: each noise source and each event
 * list gets its own, so changing one layer leaves the others unchanged. */
static void
rng_init (SkRng *rng, guint64 seed, guint64 stream)
{
  guint64 x = seed ^ (stream * G_GUINT64_CONSTANT (0xd1342543de82ef95));

  rng->s = splitmix64 (&x);
  if (rng->s == 0)
    rng->s = 1;
}

static inline guint64
rng_next (SkRng *rng)
{
  guint64 x = rng->s;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng->s = x;
  return x * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d);
}

/* [0, 1) */
static inline double
rng_uniform (SkRng *rng)
{
  return (double) (rng_next (rng) >> 11) * 0x1.0p-53;
}

/* [-1, 1) */
static inline double
rng_bipolar (SkRng *rng)
{
  return 2.0 * rng_uniform (rng) - 1.0;
}

static inline double
rng_range (SkRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * rng_uniform (rng);
}

/* Log-uniform: frequencies and time constants are heard on a log scale. */
static inline double
rng_log_range (SkRng *rng, double lo, double hi)
{
  return lo * pow (hi / lo, rng_uniform (rng));
}

/* Gap in seconds between events of a Poisson process of the given rate. */
static inline double
rng_gap (SkRng *rng, double rate)
{
  return -log (1.0 - rng_uniform (rng)) / rate;
}

static guint64
hash_name (const char *s)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (; *s != '\0'; s++)
    h = (h ^ (guchar) *s) * G_GUINT64_CONSTANT (0x100000001b3);
  return h;
}

/* --- Noise colours and filters ----------------------------------------- */

/* Paul Kellet's economy pink filter: -3 dB/octave within ~1 dB. */
typedef struct
{
  double b0, b1, b2;
} SkPink;

static inline double
pink_next (SkPink *p, double w)
{
  p->b0 = 0.99765 * p->b0 + w * 0.0990460;
  p->b1 = 0.96300 * p->b1 + w * 0.2965164;
  p->b2 = 0.57000 * p->b2 + w * 1.0526913;
  return 0.25 * (p->b0 + p->b1 + p->b2 + w * 0.1848);
}

/* Leaky integrator: -6 dB/octave above ~80 Hz, flat below, so it rumbles
 * without piling up sub-audio energy that small speakers cannot play. */
typedef struct
{
  double y;
} SkBrown;

static inline double
brown_next (SkBrown *b, double w)
{
  b->y = 0.99 * b->y + 0.075 * w;
  return b->y;
}

typedef struct
{
  double a, y;
} SkOnePole;

static void
onepole_set (SkOnePole *f, double fc)
{
  f->a = 1.0 - exp (-SK_TAU * fc / SK_RATE);
}

static inline double
onepole_lp (SkOnePole *f, double x)
{
  f->y += f->a * (x - f->y);
  return f->y;
}

/* Trapezoidal state-variable filter (Simper): stays stable when its
 * cutoff is swept every few frames, which wind, waves and thunder do. */
typedef struct
{
  double a1, a2, a3, k;
  double ic1, ic2;
  double low, band, high;
} SkSvf;

static void
svf_set (SkSvf *f, double fc, double q)
{
  double g = tan (G_PI * CLAMP (fc, 5.0, 0.45 * SK_RATE) / SK_RATE);

  f->k = 1.0 / q;
  f->a1 = 1.0 / (1.0 + g * (g + f->k));
  f->a2 = g * f->a1;
  f->a3 = g * f->a2;
}

static inline void
svf_run (SkSvf *f, double v0)
{
  double v3 = v0 - f->ic2;
  double v1 = f->a1 * f->ic1 + f->a2 * v3;
  double v2 = f->ic2 + f->a2 * f->ic1 + f->a3 * v3;

  f->ic1 = 2.0 * v1 - f->ic1;
  f->ic2 = 2.0 * v2 - f->ic2;
  f->low = v2;
  f->band = v1;
  f->high = v0 - f->k * v1 - v2;
}

static inline double
svf_lp (SkSvf *f, double x)
{
  svf_run (f, x);
  return f->low;
}

static inline double
svf_hp (SkSvf *f, double x)
{
  svf_run (f, x);
  return f->high;
}

/* Band-pass normalised to unity gain at the centre frequency. */
static inline double
svf_bp (SkSvf *f, double x)
{
  svf_run (f, x);
  return f->k * f->band;
}

/* --- Canvas and periodic envelopes ------------------------------------- */

/* A track is rendered as a loop of n frames.  Continuous noise ("bed") is
 * rendered xfade frames past the end and that overshoot is crossfaded onto
 * the start.  Discrete events, and every envelope, are written modulo n:
 * a thunder roll that starts near the end finishes at the start of the
 * file, so the loop point is inaudible. */
typedef struct
{
  gsize n;
  gsize xfade;
  float *bed[2];
  float *ev[2];
} SkCanvas;

static inline gsize
wrap (gssize i, gsize n)
{
  gssize m = i % (gssize) n;

  return (gsize) (m < 0 ? m + (gssize) n : m);
}

static inline void
canvas_event (SkCanvas *c, gsize pos, double l, double r)
{
  gsize i = pos % c->n;

  c->ev[0][i] += (float) l;
  c->ev[1][i] += (float) r;
}

static void
pan_gains (double pan, double *gl, double *gr)
{
  /* Equal power, normalised so that the centre is 1 on both sides. */
  *gl = G_SQRT2 * cos (0.5 * G_PI * pan);
  *gr = G_SQRT2 * sin (0.5 * G_PI * pan);
}

static float *
env_new (gsize n, double value)
{
  float *env = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    env[i] = (float) value;
  return env;
}

/* A sinusoid with a whole number of cycles per loop, so it is periodic. */
static void
env_lfo (float *env, gsize n, guint cycles, double phase, double amp)
{
  double c = cos (phase), s = sin (phase);
  double dc = cos (SK_TAU * cycles / n), ds = sin (SK_TAU * cycles / n);

  for (gsize i = 0; i < n; i++)
    {
      double t = c * dc - s * ds;

      env[i] += (float) (amp * s);
      s = s * dc + c * ds;
      c = t;
    }
}

/* Raised-cosine rise then fall, written modulo n. */
static void
env_bump (float *env, gsize n, gsize start, double attack, double release, double amp)
{
  gsize a = (gsize) MAX (attack, 1.0);
  gsize r = (gsize) MAX (release, 1.0);

  for (gsize j = 0; j < a + r; j++)
    {
      double v = j < a ? 0.5 - 0.5 * cos (G_PI * j / a) : 0.5 + 0.5 * cos (G_PI * (j - a) / r);

      env[(start + j) % n] += (float) (amp * v);
    }
}

/* A short burst of band-passed noise with an exponential decay: the basic
 * "tick" of a rain drop or a crackle. */
static void
render_tick (
    SkCanvas *c, SkRng *rng, gsize pos, double amp, double fc, double q, double tau_s, double pan)
{
  SkSvf f = { 0 };
  double gl, gr;
  double k = exp (-1.0 / (tau_s * SK_RATE));
  gsize len = (gsize) (7.0 * tau_s * SK_RATE) + 16;
  double e = amp;

  svf_set (&f, fc, q);
  pan_gains (pan, &gl, &gr);
  for (gsize j = 0; j < len; j++)
    {
      double v = svf_bp (&f, rng_bipolar (rng) * e);

      canvas_event (c, pos + j, v * gl, v * gr);
      e *= k;
    }
}

/* --- Rain -------------------------------------------------------------- */

/* A drop falling into a puddle traps a bubble that rings briefly with a
 * rising pitch (Minnaert resonance): the "plink" that makes rain wet. */
static void
render_plink (SkCanvas *c, SkRng *rng, gsize pos, double amp, double pan)
{
  double f0 = rng_log_range (rng, 1400.0, 3800.0);
  double tau = rng_range (rng, 0.004, 0.009);
  double rise = rng_range (rng, 0.3, 0.8);
  gsize len = (gsize) (6.0 * tau * SK_RATE);
  double phase = 0.0, gl, gr;

  pan_gains (pan, &gl, &gr);
  for (gsize j = 0; j < len; j++)
    {
      double t = (double) j / SK_RATE;
      double f = f0 * (1.0 + rise * t / (3.0 * tau));
      /* A soft 1 ms onset: the bubble forms, it does not click. */
      double v = amp * exp (-t / tau) * MIN (1.0, t / 0.001) * sin (phase);

      canvas_event (c, pos + j, v * gl, v * gr);
      phase += SK_TAU * f / SK_RATE;
    }
}

static void
gen_rain (SkCanvas *c, guint64 seed, double gain, double density)
{
  gsize n = c->n;
  gssize len = (gssize) (c->n + c->xfade);
  float *inten = env_new (n, 1.0);
  double rate, plink_rate, near_rate, t;
  SkRng rng;

  rng_init (&rng, seed, 0);
  /* Rain never holds still: its intensity breathes over tens of seconds. */
  env_lfo (inten, n, 1, rng_range (&rng, 0, SK_TAU), 0.12);
  env_lfo (inten, n, 3, rng_range (&rng, 0, SK_TAU), 0.06);

  /* The bed is the wash of countless distant impacts: pink noise without
   * the low end (rain has little below ~400 Hz), the top rounded off by
   * air absorption, a broad mid body from drops on nearby surfaces.  Fully
   * independent channels: rain surrounds the listener. */
  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr;
      SkPink pink = { 0 };
      SkSvf hp = { 0 }, lp = { 0 }, body = { 0 };

      rng_init (&nr, seed, 1 + ch);
      svf_set (&hp, 450.0, 0.7);
      svf_set (&lp, 7500.0, 0.6);
      svf_set (&body, 1200.0, 0.8);
      for (gssize i = -SK_WARMUP; i < len; i++)
        {
          double p = pink_next (&pink, rng_bipolar (&nr));
          double v = 0.8 * svf_lp (&lp, svf_hp (&hp, p)) + 0.35 * svf_bp (&body, p);

          if (i >= 0)
            c->bed[ch][i] += (float) (0.55 * gain * sqrt (density) * v * inten[wrap (i, n)]);
        }
    }

  /* Drops: a Poisson stream of short filtered ticks, thinned by the
   * intensity envelope.  Most are faint (amplitude ~ u^3); the few loud
   * ones are the drops landing close by. */
  rate = 700.0 * density;
  t = rng_gap (&rng, rate) * SK_RATE;
  while (t < (double) n)
    {
      gsize pos = (gsize) t;

      if (rng_uniform (&rng) < inten[pos] / 1.2)
        {
          double u = rng_uniform (&rng);
          double amp = 0.03 + 0.6 * u * u * u;

          render_tick (c, &rng, pos, gain * amp, rng_log_range (&rng, 1500.0, 7000.0),
                       rng_range (&rng, 0.8, 2.2), rng_log_range (&rng, 0.0003, 0.0025),
                       rng_range (&rng, 0.05, 0.95));
        }
      t += rng_gap (&rng, rate) * SK_RATE;
    }

  plink_rate = 9.0 * density;
  t = rng_gap (&rng, plink_rate) * SK_RATE;
  while (t < (double) n)
    {
      render_plink (c, &rng, (gsize) t, gain * rng_range (&rng, 0.01, 0.06),
                    rng_range (&rng, 0.1, 0.9));
      t += rng_gap (&rng, plink_rate) * SK_RATE;
    }

  /* The drops that make rain read as rain: a few a second land close by
   * (on a sill, a leaf, the pavement), each a sharp tick well clear of
   * the wash, spread across the stereo image. */
  near_rate = 6.0 * density;
  t = rng_gap (&rng, near_rate) * SK_RATE;
  while (t < (double) n)
    {
      gsize pos = (gsize) t;

      render_tick (c, &rng, pos, gain * 3.0 * inten[pos] * rng_range (&rng, 0.5, 1.0),
                   rng_log_range (&rng, 1800.0, 5000.0), rng_range (&rng, 1.0, 2.0),
                   rng_log_range (&rng, 0.0008, 0.003), rng_range (&rng, 0.1, 0.9));
      t += rng_gap (&rng, near_rate) * SK_RATE;
    }

  g_free (inten);
}

/* --- Wind -------------------------------------------------------------- */

static void
gen_wind (SkCanvas *c, guint64 seed, double gain)
{
  gsize n = c->n;
  gssize len = (gssize) (c->n + c->xfade);
  float *gust = env_new (n, 0.4);
  gsize count = MAX (1, n / (5 * SK_RATE));
  SkRng rng;

  rng_init (&rng, seed, 0);
  env_lfo (gust, n, 1, rng_range (&rng, 0, SK_TAU), 0.08);
  env_lfo (gust, n, 3, rng_range (&rng, 0, SK_TAU), 0.07);
  env_lfo (gust, n, 7, rng_range (&rng, 0, SK_TAU), 0.05);
  /* One gust per slot of the loop so they never all pile up in one place;
   * gusts build quicker than they die away. */
  for (gsize g = 0; g < count; g++)
    env_bump (gust, n, (gsize) ((g + rng_range (&rng, 0.0, 0.7)) * n / count),
              rng_range (&rng, 1.2, 3.0) * SK_RATE, rng_range (&rng, 2.5, 5.0) * SK_RATE,
              rng_range (&rng, 0.15, 0.5));
  for (gsize i = 0; i < n; i++)
    gust[i] = MAX (gust[i], 0.08f);

  /* Noise through a band-pass whose centre and sharpness rise with the wind
   * speed (the rush gets higher and more focused as it blows harder), a low
   * buffeting layer, and a faint narrow "whistle" that only speaks in the
   * strongest gusts.  The right channel hears each gust 0.4 s later, as if
   * it swept across the listener. */
  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr;
      SkPink pink = { 0 };
      SkBrown brown = { 0 };
      SkSvf rush = { 0 }, low = { 0 }, whistle = { 0 };
      gssize delay = ch == 0 ? 0 : (gssize) (0.4 * SK_RATE);

      rng_init (&nr, seed, 1 + ch);
      svf_set (&low, 110.0, 0.7);
      for (gssize i = -SK_WARMUP; i < len; i++)
        {
          double e = gust[wrap (i - delay, n)];
          double w = rng_bipolar (&nr);
          double p = pink_next (&pink, w);
          double b = brown_next (&brown, rng_bipolar (&nr));
          double v;

          if (i % SK_CTRL == 0)
            {
              svf_set (&rush, 150.0 + 700.0 * e * e, 0.6 + 1.0 * e);
              svf_set (&whistle, 400.0 + 800.0 * e, 4.0 + 6.0 * e);
            }
          v = e * (1.6 * svf_bp (&rush, 0.7 * p + 0.3 * b) + 0.4 * svf_lp (&low, b)) +
              0.5 * e * e * e * svf_bp (&whistle, w);
          if (i >= 0)
            c->bed[ch][i] += (float) (gain * v);
        }
    }

  g_free (gust);
}

/* --- Fire -------------------------------------------------------------- */

static void
gen_fire (SkCanvas *c, guint64 seed, double gain)
{
  gsize n = c->n;
  gssize len = (gssize) (c->n + c->xfade);
  float *flick = env_new (n, 0.75);
  gsize flares = MAX (1, n / (6 * SK_RATE));
  double t, rate = 40.0, snap_rate = 0.7;
  SkRng rng;

  rng_init (&rng, seed, 0);
  env_lfo (flick, n, 2, rng_range (&rng, 0, SK_TAU), 0.08);
  env_lfo (flick, n, 5, rng_range (&rng, 0, SK_TAU), 0.05);
  /* Flare-ups: the fire catches a new piece of wood, roars and crackles
   * more for a few seconds. */
  for (gsize f = 0; f < flares; f++)
    env_bump (flick, n, (gsize) (rng_uniform (&rng) * n), rng_range (&rng, 0.4, 1.2) * SK_RATE,
              rng_range (&rng, 1.5, 4.0) * SK_RATE, rng_range (&rng, 0.2, 0.45));

  /* The low roar of burning gas, a lapping mid layer and a faint hiss,
   * all fluttering a few times a second the way flames do.  The flutter
   * comes from one stream shared by both channels: it is one fire. */
  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr, fr;
      SkPink pink = { 0 };
      SkBrown brown = { 0 };
      SkOnePole flutter = { 0 };
      SkSvf roar = { 0 }, lap = { 0 }, hiss_hp = { 0 }, hiss_lp = { 0 };

      rng_init (&nr, seed, 1 + ch);
      rng_init (&fr, seed, 10);
      onepole_set (&flutter, 5.0);
      svf_set (&roar, 170.0, 1.1);
      svf_set (&lap, 480.0, 0.8);
      svf_set (&hiss_hp, 2800.0, 0.7);
      svf_set (&hiss_lp, 9000.0, 0.7);
      for (gssize i = -SK_WARMUP; i < len; i++)
        {
          double fl = CLAMP (1.0 + 30.0 * onepole_lp (&flutter, rng_bipolar (&fr)), 0.3, 1.8);
          double e = flick[wrap (i, n)] * fl;
          double v = e * (0.3 * svf_lp (&roar, brown_next (&brown, rng_bipolar (&nr))) +
                          0.35 * svf_bp (&lap, pink_next (&pink, rng_bipolar (&nr)))) +
                     0.12 * e * e * svf_lp (&hiss_lp, svf_hp (&hiss_hp, rng_bipolar (&nr)));

          if (i >= 0)
            c->bed[ch][i] += (float) (gain * v);
        }
    }

  /* Crackles come in clusters of sharp pops (sap and steam bursting out of
   * the wood); their rate follows the flicker.  Amplitudes are heavy-tailed:
   * many tiny ticks, the odd loud pop.  The fire sits near the centre. */
  t = rng_gap (&rng, rate) * SK_RATE;
  while (t < (double) n)
    {
      double e = flick[(gsize) t];

      if (rng_uniform (&rng) < e * e / 1.5)
        {
          guint pops = 1 + (guint) (rng_uniform (&rng) * 5.0);
          double pan = rng_range (&rng, 0.3, 0.7);
          double pos = t;

          for (guint p = 0; p < pops; p++)
            {
              double u = rng_uniform (&rng);

              render_tick (c, &rng, (gsize) pos, gain * (0.1 + 1.6 * pow (u, 3.5)),
                           rng_log_range (&rng, 1200.0, 7000.0), rng_range (&rng, 0.9, 2.5),
                           rng_log_range (&rng, 0.00015, 0.0009),
                           pan + rng_range (&rng, -0.06, 0.06));
              pos += rng_log_range (&rng, 0.002, 0.04) * SK_RATE;
            }
        }
      t += rng_gap (&rng, rate) * SK_RATE;
    }

  /* Now and then a louder snap of splitting wood: longer, lower, ringing. */
  t = rng_gap (&rng, snap_rate) * SK_RATE;
  while (t < (double) n)
    {
      render_tick (c, &rng, (gsize) t, gain * rng_range (&rng, 0.6, 1.1),
                   rng_log_range (&rng, 700.0, 2400.0), rng_range (&rng, 1.5, 3.5),
                   rng_log_range (&rng, 0.003, 0.009), rng_range (&rng, 0.35, 0.65));
      t += rng_gap (&rng, snap_rate) * SK_RATE;
    }

  g_free (flick);
}

/* --- Thunder ----------------------------------------------------------- */

/* One strike: a deep rumble that swells in (slowly when far away), rolls
 * in a few bursts as sound arrives from different parts of the bolt, and
 * dies away over seconds; a near strike opens with a bright tearing clap
 * whose top end falls away quickly.  Over the deep rumble, which a small
 * speaker barely plays, rolls a mid rumble (the growl one hears on any
 * speaker) and the bolt's crackle: sharp ticks, dense at the start of a
 * near strike, sparse on each later roll. */
static void
render_thunder (SkCanvas *c, guint64 seed, gsize pos, double amp, gboolean near, double pan)
{
  SkRng rng;
  gsize len, bumps, fade;
  double attack, tau, clap_amp, clap_attack, mid_fc, gl, gr, at, crackle_rate;
  float *roll;

  rng_init (&rng, seed, 0);
  len = MIN ((gsize) (rng_range (&rng, 9.0, 14.0) * SK_RATE), c->n);
  fade = MIN ((gsize) SK_RATE, len / 4);
  attack = near ? rng_range (&rng, 0.15, 0.35) : rng_range (&rng, 0.8, 2.0);
  tau = rng_range (&rng, 2.5, 4.5);
  clap_amp = near ? rng_range (&rng, 0.5, 0.8) : 0.0;
  clap_attack = rng_range (&rng, 0.02, 0.08);
  mid_fc = rng_log_range (&rng, 220.0, 420.0);
  pan_gains (pan, &gl, &gr);

  roll = env_new (len, 0.45);
  bumps = 3 + (gsize) (rng_uniform (&rng) * 4.0);
  for (gsize b = 0; b < bumps; b++)
    env_bump (roll, len, (gsize) (rng_uniform (&rng) * 0.6 * len),
              rng_range (&rng, 0.1, 0.5) * SK_RATE, rng_range (&rng, 0.4, 1.5) * SK_RATE,
              rng_range (&rng, 0.3, 0.8));

  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr, gate_rng;
      SkBrown brown = { 0 };
      SkPink pink = { 0 };
      SkSvf lp = { 0 }, hp = { 0 }, clap = { 0 }, mid = { 0 };
      SkOnePole gate_lp = { 0 };
      double g = ch == 0 ? gl : gr;
      double gate = 1.0;
      gsize gate_left = 0;

      rng_init (&nr, seed, 1 + ch);
      /* Same tearing pattern on both sides: it is one clap. */
      rng_init (&gate_rng, seed, 9);
      svf_set (&hp, 30.0, 0.7);
      svf_set (&mid, mid_fc, 0.9);
      onepole_set (&gate_lp, 150.0);
      for (gsize j = 0; j < len; j++)
        {
          double t = (double) j / SK_RATE;
          double e, v;

          if (j % SK_CTRL == 0)
            {
              svf_set (&lp, 100.0 + (near ? 600.0 : 260.0) * exp (-t / 1.5), 0.8);
              svf_set (&clap, 250.0 + 5000.0 * exp (-t / 0.2), 0.7);
            }
          e = t < attack ? 0.5 - 0.5 * cos (G_PI * t / attack) : exp (-(t - attack) / tau);
          e *= roll[j];
          if (j + fade > len)
            e *= (double) (len - j) / fade;
          v = 4.0 * e * svf_hp (&hp, svf_lp (&lp, brown_next (&brown, rng_bipolar (&nr)))) +
              5.0 * e * svf_bp (&mid, pink_next (&pink, rng_bipolar (&nr)));

          if (clap_amp > 0.0 && t < 3.0)
            {
              double ce = t < clap_attack ? t / clap_attack : exp (-(t - clap_attack) / 0.4);

              if (gate_left == 0)
                {
                  gate = t < 0.6 ? rng_range (&gate_rng, 0.2, 1.0) : 1.0;
                  gate_left = (gsize) (rng_range (&gate_rng, 0.003, 0.025) * SK_RATE);
                }
              gate_left--;
              v += clap_amp * ce * onepole_lp (&gate_lp, gate) * svf_lp (&clap, rng_bipolar (&nr));
            }
          c->ev[ch][(pos + j) % c->n] += (float) (amp * g * v);
        }
    }

  /* The crackle follows the roll: its rate is the envelope's. */
  crackle_rate = near ? 60.0 : 20.0;
  at = rng_gap (&rng, crackle_rate) * SK_RATE;
  while (at < (double) len)
    {
      gsize j = (gsize) at;
      double x = at / SK_RATE;
      double e = (x < attack ? x / attack : exp (-(x - attack) / (0.5 * tau))) * roll[j];

      if (rng_uniform (&rng) < e)
        {
          double u = rng_uniform (&rng);

          render_tick (c, &rng, pos + j, amp * 4.0 * (0.2 + 0.8 * u * u),
                       rng_log_range (&rng, 600.0, 4000.0), rng_range (&rng, 0.7, 1.5),
                       rng_log_range (&rng, 0.0004, 0.003),
                       CLAMP (pan + rng_range (&rng, -0.2, 0.2), 0.0, 1.0));
        }
      at += rng_gap (&rng, crackle_rate) * SK_RATE;
    }

  g_free (roll);
}

static void
gen_thunder (SkCanvas *c, guint64 seed, double gain, double near_prob)
{
  gsize n = c->n;
  gssize len = (gssize) (c->n + c->xfade);
  gsize strikes = MAX (1, (gsize) lround ((double) n / (11.0 * SK_RATE)));
  float *swell = env_new (n, 1.0);
  SkRng rng;

  rng_init (&rng, seed, 0);
  env_lfo (swell, n, 1, rng_range (&rng, 0, SK_TAU), 0.3);
  env_lfo (swell, n, 3, rng_range (&rng, 0, SK_TAU), 0.15);

  /* The storm never quite falls silent: a very low, slowly swelling
   * rumble of strikes too far away to make out. */
  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr;
      SkBrown brown = { 0 };
      SkSvf lp = { 0 }, hp = { 0 };

      rng_init (&nr, seed, 1 + ch);
      svf_set (&lp, 120.0, 0.7);
      svf_set (&hp, 30.0, 0.7);
      for (gssize i = -SK_WARMUP; i < len; i++)
        {
          double v = svf_hp (&hp, svf_lp (&lp, brown_next (&brown, rng_bipolar (&nr))));

          if (i >= 0)
            c->bed[ch][i] += (float) (gain * v * swell[wrap (i, n)]);
        }
    }

  /* Strikes spread over the loop, one per slot, so they never bunch up;
   * the first is close whenever any may be, so every loop has a clap. */
  for (gsize s = 0; s < strikes; s++)
    {
      gboolean near = s == 0 ? near_prob > 0.0 : rng_uniform (&rng) < near_prob;
      gsize pos = (gsize) ((s + rng_range (&rng, 0.1, 0.8)) * n / strikes);

      render_thunder (c, splitmix64 (&seed), pos, gain * (near ? 1.0 : rng_range (&rng, 0.6, 0.9)),
                      near, rng_range (&rng, 0.25, 0.75));
    }

  g_free (swell);
}

/* --- Waves ------------------------------------------------------------- */

static void
gen_waves (SkCanvas *c, guint64 seed, double gain)
{
  gsize n = c->n;
  gssize len = (gssize) (c->n + c->xfade);
  gsize count = MAX (1, (gsize) lround ((double) n / (8.0 * SK_RATE)));
  float *body[2], *wash[2], *bright;
  double *period = g_new (double, count);
  double sum = 0.0, pos;
  SkRng rng;

  rng_init (&rng, seed, 0);
  for (guint ch = 0; ch < 2; ch++)
    {
      body[ch] = env_new (n, 0.12);
      wash[ch] = env_new (n, 0.0);
    }
  bright = env_new (n, 0.0);

  /* Swells every 6-10 s, stretched so that a whole number fits the loop. */
  for (gsize w = 0; w < count; w++)
    {
      period[w] = rng_range (&rng, 6.0, 10.0);
      sum += period[w];
    }
  pos = rng_uniform (&rng) * n;
  for (gsize w = 0; w < count; w++)
    {
      double p = period[w] * n / sum;
      double amp = rng_range (&rng, 0.55, 1.0);
      double crash = 0.6 * p;
      gsize span = MIN ((gsize) (1.8 * p), n);
      double gl, gr;

      pan_gains (rng_range (&rng, 0.3, 0.7), &gl, &gr);
      /* The wave approaches (a growing, darker roar), breaks (loud and
       * bright for a moment), then its foam washes up the beach and drains
       * back: a hiss that peaks just after the crash and slowly dies.
       * The foam is panned opposite to the breaker, so each wave moves
       * across the stereo image as it spreads along the beach. */
      for (gsize f = 0; f < span; f++)
        {
          gsize i = ((gsize) pos + f) % n;
          double b, br, wa = 0.0;

          if (f < crash)
            {
              double x = f / crash;

              b = pow (x, 2.5);
              br = 0.6 * x * x * x * x;
            }
          else
            {
              double d = f - crash;

              b = exp (-d / (0.2 * p));
              br = exp (-d / (0.07 * p));
              wa = (1.0 - exp (-d / (0.06 * p))) * exp (-d / (0.25 * p));
            }
          body[0][i] += (float) (amp * b * gl);
          body[1][i] += (float) (amp * b * gr);
          wash[0][i] += (float) (amp * wa * gr);
          wash[1][i] += (float) (amp * wa * gl);
          bright[i] = MAX (bright[i], (float) (amp * br));
        }
      pos += p;
    }

  for (guint ch = 0; ch < 2; ch++)
    {
      SkRng nr;
      SkPink pink = { 0 };
      SkBrown brown = { 0 };
      SkSvf lp = { 0 }, wash_hp = { 0 }, wash_lp = { 0 }, far = { 0 };

      rng_init (&nr, seed, 1 + ch);
      svf_set (&wash_hp, 1200.0, 0.7);
      svf_set (&wash_lp, 7000.0, 0.7);
      svf_set (&far, 140.0, 0.7);
      for (gssize i = -SK_WARMUP; i < len; i++)
        {
          gsize k = wrap (i, n);
          double b = brown_next (&brown, rng_bipolar (&nr));
          double v;

          if (i % SK_CTRL == 0)
            svf_set (&lp, 300.0 + 2600.0 * bright[k], 0.65);
          v = 1.3 * body[ch][k] * svf_lp (&lp, pink_next (&pink, rng_bipolar (&nr)) + 0.3 * b) +
              0.7 * wash[ch][k] * svf_lp (&wash_lp, svf_hp (&wash_hp, rng_bipolar (&nr))) +
              0.2 * svf_lp (&far, b);
          if (i >= 0)
            c->bed[ch][i] += (float) (gain * v);
        }
    }

  for (guint ch = 0; ch < 2; ch++)
    {
      g_free (body[ch]);
      g_free (wash[ch]);
    }
  g_free (bright);
  g_free (period);
}

/* --- Output ------------------------------------------------------------ */

static gboolean
write_atomic (const char *path, const void *data, gsize size, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  FILE *f;
  int saved;

  f = g_fopen (tmp, "wb");
  if (f == NULL)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s",
                   tmp, g_strerror (saved));
      return FALSE;
    }
  errno = 0;
  if (fwrite (data, 1, size, f) != size)
    {
      saved = errno != 0 ? errno : EIO;
      fclose (f);
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot write %s: %s", tmp,
                   g_strerror (saved));
      return FALSE;
    }
  if (fclose (f) != 0)
    {
      saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot write %s: %s", tmp,
                   g_strerror (saved));
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot rename %s: %s",
                   tmp, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
put_le16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v & 0xff);
  p[1] = (guint8) (v >> 8);
}

static void
put_le32 (guint8 *p, guint32 v)
{
  put_le16 (p, (guint16) (v & 0xffff));
  put_le16 (p + 2, (guint16) (v >> 16));
}

/* Canonical 44-byte RIFF/WAVE header for 16-bit stereo PCM. */
static void
wav_header (guint8 *h, guint32 frames)
{
  guint32 data_size = frames * 4;

  memcpy (h, "RIFF", 4);
  put_le32 (h + 4, 36 + data_size);
  memcpy (h + 8, "WAVEfmt ", 8);
  put_le32 (h + 16, 16);
  put_le16 (h + 20, 1);
  put_le16 (h + 22, 2);
  put_le32 (h + 24, SK_RATE);
  put_le32 (h + 28, SK_RATE * 4);
  put_le16 (h + 32, 4);
  put_le16 (h + 34, 16);
  memcpy (h + 36, "data", 4);
  put_le32 (h + 40, data_size);
}

static char *
track_json (const SkTrackSpec *spec)
{
  GString *s = g_string_new ("{\n");
  /* Titles are plain ASCII, for which g_strescape() is valid JSON. */
  g_autofree char *title = g_strescape (spec->title, NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s, "  \"title\": \"%s\",\n", title);
  g_string_append (s, "  \"artist\": \"soundscape-kiosk demo\",\n");
  g_string_append (s, "  \"type\": \"soundscape\",\n");
  g_string_append (s, "  \"embedding\": [");
  for (guint i = 0; i < G_N_ELEMENTS (spec->embedding); i++)
    {
      g_ascii_formatd (num, sizeof num, "%.2f", spec->embedding[i]);
      g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", num);
    }
  g_string_append (s, "],\n");
  if (spec->bpm > 0)
    g_string_append_printf (s, "  \"bpm\": %d\n", spec->bpm);
  else
    g_string_append (s, "  \"bpm\": null\n");
  g_string_append (s, "}\n");
  return g_string_free (s, FALSE);
}

/* Runs the filter over the loop once to settle it, then again for the
 * output: the result is the loop's steady state, so it loops too. */
static void
highpass_loop (float *x, gsize n, double fc)
{
  /* Butterworth: two sections with the poles' Qs. */
  SkSvf f[2] = { { 0 }, { 0 } };

  svf_set (&f[0], fc, 0.54119610);
  svf_set (&f[1], fc, 1.30656296);
  for (guint pass = 0; pass < 2; pass++)
    for (gsize i = 0; i < n; i++)
      {
        double v = svf_hp (&f[1], svf_hp (&f[0], x[i]));

        if (pass == 1)
          x[i] = (float) v;
      }
}

/* Integrated loudness (EBU R128) of the loop of two channels.  A loop
 * shorter than a few of R128's 400 ms blocks (--seconds 0.1) is measured
 * played over and over, as it will be heard. */
static gboolean
measure_loudness (float *ch[2], gsize n, double *lufs, GError **error)
{
  ebur128_state *st = ebur128_init (2, SK_RATE, EBUR128_MODE_I);
  gsize total = MAX (n, 2 * SK_RATE);
  float buf[2 * 4096];
  int rc = EBUR128_ERROR_NOMEM;

  if (st == NULL)
    goto fail;
  for (gsize i = 0; i < total; i += 4096)
    {
      gsize m = MIN (4096, total - i);

      for (gsize j = 0; j < m; j++)
        {
          buf[2 * j] = ch[0][(i + j) % n];
          buf[2 * j + 1] = ch[1][(i + j) % n];
        }
      rc = ebur128_add_frames_float (st, buf, m);
      if (rc != EBUR128_SUCCESS)
        goto fail;
    }
  rc = ebur128_loudness_global (st, lufs);
  if (rc != EBUR128_SUCCESS)
    goto fail;
  ebur128_destroy (&st);
  if (!isfinite (*lufs))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the mix is silent");
      return FALSE;
    }
  return TRUE;

fail:
  if (st != NULL)
    ebur128_destroy (&st);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
               "cannot measure the loudness (libebur128 error %d)", rc);
  return FALSE;
}

/* Identity up to 6 dB under the ceiling, then a tanh curve that
 * approaches the ceiling without reaching it. */
static double
soft_knee (double x, double ceiling)
{
  double knee = 0.5 * ceiling;
  double a = fabs (x);

  if (a <= knee)
    return x;
  a = knee + (ceiling - knee) * tanh ((a - knee) / (ceiling - knee));
  return x < 0.0 ? -a : a;
}

/* The layers, in the order of the taste space (and of the embedding). */
enum
{
  SK_RAIN,
  SK_WIND,
  SK_FIRE,
  SK_THUNDER,
  SK_WAVES,
  SK_LAYERS
};

static const char *const layer_names[SK_LAYERS] = { "rain", "wind", "fire", "thunder", "waves" };

static double
layer_gain (const SkTrackSpec *spec, guint layer)
{
  const double gains[SK_LAYERS] = { spec->rain, spec->wind, spec->fire, spec->thunder,
                                    spec->waves };

  return gains[layer];
}

/* Renders the layers of @spec whose bits are set in @mask as a loop of @n
 * frames into @mix (two new arrays), high-passed, not yet levelled.  Each
 * layer has a seed of its own, so a layer rendered alone is exactly its
 * part of the mix. */
static void
render_mix (const SkTrackSpec *spec, gsize n, guint mask, float *mix[2])
{
  guint64 seed = SK_SEED ^ hash_name (spec->name);
  guint64 seeds[SK_LAYERS];
  SkCanvas c;

  c.n = n;
  c.xfade = MIN ((gsize) (SK_XFADE_S * SK_RATE), c.n / 4);
  for (guint ch = 0; ch < 2; ch++)
    {
      c.bed[ch] = g_new0 (float, c.n + c.xfade);
      c.ev[ch] = g_new0 (float, c.n);
    }

  /* One seed per layer whether or not the layer is used, so adding a layer
   * to a blend leaves the others as they were. */
  for (guint k = 0; k < SK_LAYERS; k++)
    seeds[k] = splitmix64 (&seed);
  for (guint k = 0; k < SK_LAYERS; k++)
    {
      double gain = layer_gain (spec, k);

      if (gain <= 0.0 || (mask & (1u << k)) == 0)
        continue;
      switch (k)
        {
        case SK_RAIN:
          gen_rain (&c, seeds[k], gain, spec->rain_density);
          break;
        case SK_WIND:
          gen_wind (&c, seeds[k], gain);
          break;
        case SK_FIRE:
          gen_fire (&c, seeds[k], gain);
          break;
        case SK_THUNDER:
          gen_thunder (&c, seeds[k], gain, spec->thunder_near);
          break;
        case SK_WAVES:
          gen_waves (&c, seeds[k], gain);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  /* Fold the overshoot onto the start with an equal-power crossfade (the
   * two halves are uncorrelated noise), then add the events. */
  for (guint ch = 0; ch < 2; ch++)
    {
      for (gsize i = 0; i < c.n; i++)
        {
          double v = c.bed[ch][i];

          if (i < c.xfade)
            {
              double th = 0.5 * G_PI * (i + 0.5) / c.xfade;

              v = v * sin (th) + c.bed[ch][c.n + i] * cos (th);
            }
          v += c.ev[ch][i];
          c.ev[ch][i] = (float) v;
        }
      g_free (c.bed[ch]);
    }

  /* Sub-audio energy out of every layer at once: the filter is linear, so
   * this is the same as high-passing each layer. */
  for (guint ch = 0; ch < 2; ch++)
    {
      highpass_loop (c.ev[ch], c.n, SK_SUBSONIC_HZ);
      mix[ch] = c.ev[ch];
    }
}

/* 16-bit stereo WAV of @x times @scale. */
static gboolean
write_wav (const char *path, float *x[2], gsize n, double scale, GError **error)
{
  g_autofree guint8 *wav = g_malloc (44 + n * 4);

  wav_header (wav, (guint32) n);
  for (gsize i = 0; i < n; i++)
    for (guint ch = 0; ch < 2; ch++)
      {
        long s = lrint (x[ch][i] * scale * 32767.0);

        put_le16 (wav + 44 + i * 4 + ch * 2, (guint16) (gint16) CLAMP (s, -32768, 32767));
      }
  return write_atomic (path, wav, 44 + n * 4, error);
}

/* Writes DIR/NAME.wav and DIR/NAME.json; with @stems also each layer alone
 * at its level in the mix (before the soft knee), DIR/stems/NAME/LAYER.wav,
 * so that tests can tell which layers one hears. */
static gboolean
write_track (
    const SkTrackSpec *spec, const char *dir, double max_seconds, gboolean stems, GError **error)
{
  g_autofree char *wav_path = NULL;
  g_autofree char *json_path = NULL;
  g_autofree char *json = NULL;
  double seconds = MIN (spec->seconds, max_seconds);
  gsize n = (gsize) llround (seconds * SK_RATE);
  double lufs, ceiling, scale = 1.0;
  float *mix[2] = { NULL, NULL };
  float *out[2] = { NULL, NULL };
  gboolean ok = FALSE;

  render_mix (spec, n, ~0u, mix);

  /* Level to the target loudness.  The soft knee then bends the few peaks
   * above half of the ceiling, which lowers the loudness a little, so
   * measure again and correct until it lands (in two or three rounds). */
  ceiling = pow (10.0, spec->peak_db / 20.0);
  for (guint ch = 0; ch < 2; ch++)
    out[ch] = g_new (float, n);
  for (guint round = 0; round <= 8; round++)
    {
      if (!measure_loudness (round == 0 ? mix : out, n, &lufs, error))
        {
          g_prefix_error (error, "%s: ", spec->name);
          goto done;
        }
      if (round > 0 && fabs (lufs - SK_TARGET_LUFS) <= 0.01)
        break;
      scale *= pow (10.0, (SK_TARGET_LUFS - lufs) / 20.0);
      for (guint ch = 0; ch < 2; ch++)
        for (gsize i = 0; i < n; i++)
          out[ch][i] = (float) soft_knee (mix[ch][i] * scale, ceiling);
    }
  if (fabs (lufs - SK_TARGET_LUFS) > 0.1)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%s: cannot level to %.1f LUFS under a %.1f dBFS ceiling (%.2f LUFS)",
                   spec->name, SK_TARGET_LUFS, spec->peak_db, lufs);
      goto done;
    }

  wav_path = g_strdup_printf ("%s/%s.wav", dir, spec->name);
  json_path = g_strdup_printf ("%s/%s.json", dir, spec->name);
  json = track_json (spec);
  if (!write_wav (wav_path, out, n, 1.0, error) ||
      !write_atomic (json_path, json, strlen (json), error))
    goto done;

  for (guint k = 0; stems && k < SK_LAYERS; k++)
    {
      g_autofree char *stem_dir = NULL;
      g_autofree char *stem_path = NULL;
      float *stem[2];
      gboolean stem_ok;

      if (layer_gain (spec, k) <= 0.0)
        continue;
      stem_dir = g_strdup_printf ("%s/stems/%s", dir, spec->name);
      if (g_mkdir_with_parents (stem_dir, 0755) != 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s",
                       stem_dir, g_strerror (saved));
          goto done;
        }
      stem_path = g_strdup_printf ("%s/%s.wav", stem_dir, layer_names[k]);
      render_mix (spec, n, 1u << k, stem);
      stem_ok = write_wav (stem_path, stem, n, scale, error);
      g_free (stem[0]);
      g_free (stem[1]);
      if (!stem_ok)
        goto done;
    }
  ok = TRUE;

done:
  for (guint ch = 0; ch < 2; ch++)
    {
      g_free (mix[ch]);
      g_free (out[ch]);
    }
  return ok;
}

/* --- Main -------------------------------------------------------------- */

typedef struct
{
  const char *dir;
  double max_seconds;
  gboolean stems;
  gint next;
  GError *errors[G_N_ELEMENTS (tracks)];
} SkJob;

/* Tracks are independent and seeded by name, so rendering them on several
 * cores changes nothing in the output. */
static gpointer
worker (gpointer data)
{
  SkJob *job = data;

  for (;;)
    {
      gint i = g_atomic_int_add (&job->next, 1);

      if (i >= (gint) G_N_ELEMENTS (tracks))
        break;
      write_track (&tracks[i], job->dir, job->max_seconds, job->stems, &job->errors[i]);
    }
  return NULL;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *seconds_arg = NULL;
  double seconds = G_MAXDOUBLE;
  gboolean stems = FALSE;
  GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_STRING, &seconds_arg,
      "Make every track at most N seconds long (for tests)", "N" },
    { "stems", 0, 0, G_OPTION_ARG_NONE, &stems,
      "Also write each layer alone, at its level in the mix, as stems/NAME/LAYER.wav (for tests)",
      NULL },
    G_OPTION_ENTRY_NULL
  };
  GThread *threads[4];
  guint n_threads;
  SkJob job = { 0 };
  int status = 0;

  context = g_option_context_new ("OUTPUT-DIR");
  g_option_context_set_summary (context, "Synthesise the demo soundscape library.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sk-demo-gen: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("sk-demo-gen: usage: sk-demo-gen [--seconds N] [--stems] OUTPUT-DIR\n");
      return 2;
    }
  if (seconds_arg != NULL)
    {
      char *end = NULL;

      seconds = g_ascii_strtod (seconds_arg, &end);
      if (end == seconds_arg || *end != '\0' || !(seconds >= 0.1 && seconds <= 3600.0))
        {
          g_printerr ("sk-demo-gen: --seconds wants a number between 0.1 and 3600, not %s\n",
                      seconds_arg);
          return 2;
        }
    }
  if (g_mkdir_with_parents (argv[1], 0755) != 0)
    {
      int saved = errno;

      g_printerr ("sk-demo-gen: cannot create %s: %s\n", argv[1], g_strerror (saved));
      return 1;
    }

  job.dir = argv[1];
  job.max_seconds = seconds;
  job.stems = stems;
  n_threads = CLAMP (g_get_num_processors (), 1, G_N_ELEMENTS (threads));
  for (guint t = 1; t < n_threads; t++)
    threads[t] = g_thread_new ("sk-demo-gen", worker, &job);
  worker (&job);
  for (guint t = 1; t < n_threads; t++)
    g_thread_join (threads[t]);

  for (guint i = 0; i < G_N_ELEMENTS (tracks); i++)
    {
      if (job.errors[i] != NULL)
        {
          if (status == 0)
            g_printerr ("sk-demo-gen: %s\n", job.errors[i]->message);
          status = 1;
          g_clear_error (&job.errors[i]);
        }
    }
  return status;
}
