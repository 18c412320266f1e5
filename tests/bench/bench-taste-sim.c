/* bench-taste-sim: how fast the vote update learns a taste, the seed's
 * rule and the learner side by side, alone and in groups.
 *
 * The recommender and the two vote updates of the core, with no database:
 * a simulated player plays what the ranking puts first for the listener
 * (the penalty rotates it over a 200-song library of random embeddings,
 * 45 s a track), and each listener rates it after a hidden true taste on
 * the whole 1–5 scale: clamp(round(3 + 2·sim(true, song) + noise), 1, 5).
 *
 * Part 1, in two worlds: the project's own (noise N(0, 0.5²), half the
 * plays random, as when the room plays for others too) and a harder one
 * (noise N(0, 0.8²), only the listener's own picks). 1 000 listeners, each
 * with a true taste drawn from [0, 1]^5 away from neutral (centred norm ≥
 * 0.3), start with no opinion and vote on every play, up to 200 votes. Per
 * update rule (the seed's; the learner without and with exploration at its
 * default weight): votes until sim(learned, true) ≥ 0.9 (docs/DESIGN.md's
 * centred cosine; median, p90), the similarity after 30 votes,
 * satisfaction over the first 30 plays (the mean of sim(true, song)), the
 * votes needed to learn a new taste after 60 votes of another (median,
 * p90), and how far a listener who rates everything 5 drifts from "no
 * opinion" (max |p − 0.5| after 100 votes; 0.5 is an edge of the box).
 *
 * Part 2: rooms of 1, 2, 4 and 8 listeners who start with no opinion; 30
 * tracks ranked for the room under each strategy, every member votes on
 * every track (noise 0.5); satisfaction of a member = mean over the tracks
 * of sim(true, song). Printed: the mean over members and the
 * least-satisfied member's, averaged over 200 rooms, for the seed's rule
 * and the learner with exploration off and on. Baselines: the true tastes
 * known from the start (the ceiling) and random play (the floor).
 *
 * Seeded GRands: the figures repeat run to run, and the rules compared in
 * one table see the same listeners, songs and noise. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sk-bench-util.h"
#include "sk-recommender.h"
#include "sk-taste.h"
#include "sk-util.h"

#define N_SONGS 200
#define TRACK_LEN (45 * G_USEC_PER_SEC)
#define MIN_NORM 0.3
#define TARGET_SIM 0.9
#define GOAL_MEDIAN 10

#define N_LEARNERS 1000
#define MAX_VOTES 200
#define EARLY 30 /* "after 30 votes", "the first 30 plays" */
#define BEFORE_CHANGE 60
#define FIVES_VOTES 100
#define EXPLORE 1.5 /* the setting explore_weight's default */

#define N_GROUPS 200
#define N_TRACKS 30
#define MAX_GROUP 8

typedef struct
{
  const char *name;
  double noise_sd;
  double random_share; /* of the plays, chosen at random */
} World;

typedef struct
{
  const char *name;
  gboolean bayes;
  double explore;
} Rule;

static const Rule rules[] = {
  { "seed rule", FALSE, 0.0 },
  { "learner C=0", TRUE, 0.0 },
  { "learner C=1.5", TRUE, EXPLORE },
};

/* One listener's learned taste under one rule. */
typedef struct
{
  const Rule *rule;
  double pref[SK_DIM];
  double momentum[SK_DIM];
  double state[SK_TASTE_STATE_LEN];
} Learner;

static void
learner_reset (Learner *l, const Rule *rule)
{
  l->rule = rule;
  sk_taste_neutral (l->pref);
  memset (l->momentum, 0, sizeof l->momentum);
  sk_taste_state_new (l->state);
}

static void
learner_vote (Learner *l, const double e[SK_DIM], int vote)
{
  gboolean ok = l->rule->bayes ? sk_taste_learn (l->state, l->pref, e, vote)
                               : sk_taste_vote (l->pref, l->momentum, e, vote);

  if (!sk_bench_check (ok, "a vote update refused a vote"))
    g_error ("giving up");
}

/* One player: the shared catalogue with this player's history. */
typedef struct
{
  SkRecommender *rec;
  gint64 now;
  int current;
} Player;

static void
player_reset (Player *p)
{
  sk_recommender_clear_history (p->rec);
  p->now = G_GINT64_CONSTANT (1714564800) * G_USEC_PER_SEC;
  p->current = -1;
}

/* Plays the next track for @n learners (the ranking with their
 * preferences, and the exploration bonus of their states when the rule
 * explores; NULL: at random, never the one playing) and returns its index. */
static guint
player_next (Player *p, GRand *rand, SkStrategy strategy, const Learner *learners, guint n)
{
  guint index;

  if (learners != NULL)
    {
      SkRankParams params = { 0 };
      SkRankItem top;
      double prefs[MAX_GROUP * SK_DIM], states[MAX_GROUP * SK_TASTE_STATE_LEN];
      double x[SK_DIM * SK_DIM];

      for (guint m = 0; m < n; m++)
        {
          memcpy (&prefs[m * SK_DIM], learners[m].pref, sizeof learners[m].pref);
          memcpy (&states[m * SK_TASTE_STATE_LEN], learners[m].state, sizeof learners[m].state);
        }
      params.now = p->now;
      params.strategy = strategy;
      params.k = 1;
      params.listeners = prefs;
      params.n_listeners = n;
      params.current = p->current;
      if (learners[0].rule->bayes &&
          sk_taste_explore_blend (states, n, learners[0].rule->explore, x))
        params.explore = x;
      if (!sk_bench_check (sk_recommender_rank (p->rec, &params, &top) == 1,
                           "the ranking of a 200-song library is empty"))
        g_error ("giving up");
      index = top.index;
    }
  else
    {
      do
        index = (guint) g_rand_int_range (rand, 0, N_SONGS);
      while ((int) index == p->current);
    }
  sk_recommender_set_last_played (p->rec, index, p->now);
  p->current = (int) index;
  p->now += TRACK_LEN;
  return index;
}

/* One listener voting on @n_votes plays in @world. @truth_at(v) is the
 * true taste at vote v (1-based): @truth, or @later from vote @change on.
 * Fills @trace[v - 1] with sim(learned, truth at v) and adds the mean of
 * sim(truth, song) over the first EARLY plays to *@early_sat. @fives: the
 * listener rates everything 5. Returns the learned preference in @l. */
static void
simulate (Player *p,
          GRand *pick,
          GRand *noise,
          const World *world,
          Learner *l,
          const double *truth,
          const double *later,
          guint change,
          guint n_votes,
          gboolean fives,
          double *trace,
          double *early_sat)
{
  double sat = 0.0;

  player_reset (p);
  for (guint v = 1; v <= n_votes; v++)
    {
      const double *t = (later != NULL && v >= change) ? later : truth;
      gboolean random_play = g_rand_double (pick) < world->random_share;
      guint i = player_next (p, pick, SK_STRATEGY_AVERAGE, random_play ? NULL : l, 1);
      const double *e = sk_recommender_get_embedding (p->rec, i);
      int vote = sk_bench_rating (noise, t, e, world->noise_sd);

      if (v <= EARLY)
        sat += sk_taste_similarity (t, e) / EARLY;
      learner_vote (l, e, fives ? 5 : vote);
      if (trace != NULL)
        trace[v - 1] = sk_taste_similarity (l->pref, t);
    }
  if (early_sat != NULL)
    *early_sat += sat;
}

/* The first vote (1-based, from @from) at which @trace reaches the target,
 * or INFINITY. */
static double
first_reach (const double *trace, guint from, guint n)
{
  for (guint v = from; v <= n; v++)
    if (trace[v - 1] >= TARGET_SIM)
      return v - from + 1;
  return INFINITY;
}

static void
format_votes (char *buf, gsize len, double v)
{
  if (isinf (v))
    g_snprintf (buf, len, "> %d", MAX_VOTES);
  else
    g_snprintf (buf, len, "%.0f", v);
}

typedef struct
{
  double median, p90, never, sim_early, sat_early;
  double recover_median, recover_p90, fives_drift;
} Figures;

static void
measure (Player *p,
         const World *world,
         const Rule *rule,
         const double *truths,
         const double *laters,
         Figures *f)
{
  g_autofree double *reach = g_new (double, N_LEARNERS);
  g_autofree double *early = g_new (double, N_LEARNERS);
  g_autofree double *recover = g_new (double, N_LEARNERS);
  g_autofree double *drift = g_new (double, N_LEARNERS);
  g_autofree double *trace = g_new (double, MAX_VOTES + BEFORE_CHANGE);
  /* the same plays and noise for every rule */
  g_autoptr (GRand) pick = g_rand_new_with_seed (SK_BENCH_SEED + 11);
  g_autoptr (GRand) noise = g_rand_new_with_seed (SK_BENCH_SEED + 12);
  guint never = 0;
  double sat = 0.0;

  for (guint n = 0; n < N_LEARNERS; n++)
    {
      const double *truth = &truths[n * SK_DIM];
      Learner l;

      learner_reset (&l, rule);
      simulate (p, pick, noise, world, &l, truth, NULL, 0, MAX_VOTES, FALSE, trace, &sat);
      reach[n] = first_reach (trace, 1, MAX_VOTES);
      early[n] = trace[EARLY - 1];
      if (isinf (reach[n]))
        never++;

      learner_reset (&l, rule);
      simulate (p, pick, noise, world, &l, truth, &laters[n * SK_DIM], BEFORE_CHANGE + 1,
                BEFORE_CHANGE + MAX_VOTES, FALSE, trace, NULL);
      recover[n] = first_reach (trace, BEFORE_CHANGE + 1, BEFORE_CHANGE + MAX_VOTES);

      learner_reset (&l, rule);
      simulate (p, pick, noise, world, &l, truth, NULL, 0, FIVES_VOTES, TRUE, NULL, NULL);
      drift[n] = 0.0;
      for (guint d = 0; d < SK_DIM; d++)
        drift[n] = MAX (drift[n], fabs (l.pref[d] - 0.5));
    }
  f->median = sk_bench_quantile (reach, N_LEARNERS, 0.5);
  f->p90 = sk_bench_quantile (reach, N_LEARNERS, 0.9);
  f->never = 100.0 * never / N_LEARNERS;
  f->sim_early = sk_bench_quantile (early, N_LEARNERS, 0.5);
  f->sat_early = sat / N_LEARNERS;
  f->recover_median = sk_bench_quantile (recover, N_LEARNERS, 0.5);
  f->recover_p90 = sk_bench_quantile (recover, N_LEARNERS, 0.9);
  f->fives_drift = sk_bench_quantile (drift, N_LEARNERS, 0.5);
}

static void
print_votes_row (const char *what, const Figures *f, gsize offset)
{
  printf ("%-44s", what);
  for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      char buf[16];

      format_votes (buf, sizeof buf, G_STRUCT_MEMBER (double, &f[r], offset));
      printf (" %14s", buf);
    }
  printf ("\n");
}

/* @percent: "12.5%"; @sign: "+0.285"; else "0.971". */
static void
print_number_row (const char *what, gboolean percent, gboolean sign, const Figures *f, gsize offset)
{
  printf ("%-44s", what);
  for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      double v = G_STRUCT_MEMBER (double, &f[r], offset);
      char buf[16];

      if (percent)
        g_snprintf (buf, sizeof buf, "%.1f%%", v);
      else if (sign)
        g_snprintf (buf, sizeof buf, "%+.3f", v);
      else
        g_snprintf (buf, sizeof buf, "%.3f", v);
      printf (" %14s", buf);
    }
  printf ("\n");
}

static void
part_learning (Player *p)
{
  static const World worlds[] = {
    { "the project's world: noise 0.5, half the plays random", 0.5, 0.5 },
    { "the harder world: noise 0.8, only the listener's own picks", 0.8, 0.0 },
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED + 1);
  g_autofree double *truths = g_new (double, N_LEARNERS *SK_DIM);
  g_autofree double *laters = g_new (double, N_LEARNERS *SK_DIM);

  for (guint l = 0; l < N_LEARNERS; l++)
    {
      sk_bench_random_taste (rand, MIN_NORM, &truths[l * SK_DIM]);
      /* a change of taste: a new one, far from the old (sim < 0.3) */
      do
        sk_bench_random_taste (rand, MIN_NORM, &laters[l * SK_DIM]);
      while (sk_taste_similarity (&truths[l * SK_DIM], &laters[l * SK_DIM]) >= 0.3);
    }

  printf ("Part 1: %d listeners starting with no opinion, a %d-song library, at most %d votes\n",
          N_LEARNERS, N_SONGS, MAX_VOTES);
  for (guint w = 0; w < G_N_ELEMENTS (worlds); w++)
    {
      Figures f[G_N_ELEMENTS (rules)];

      for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
        measure (p, &worlds[w], &rules[r], truths, laters, &f[r]);

      printf ("\n%s\n%-44s", worlds[w].name, "");
      for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
        printf (" %14s", rules[r].name);
      printf ("\n");
      print_votes_row ("votes until sim >= 0.9: median", f, G_STRUCT_OFFSET (Figures, median));
      print_votes_row ("                        p90", f, G_STRUCT_OFFSET (Figures, p90));
      print_number_row ("  never within 200 votes", TRUE, FALSE, f,
                        G_STRUCT_OFFSET (Figures, never));
      print_number_row ("sim(learned, true) after 30 votes: median", FALSE, FALSE, f,
                        G_STRUCT_OFFSET (Figures, sim_early));
      print_number_row ("satisfaction over the first 30 plays", FALSE, TRUE, f,
                        G_STRUCT_OFFSET (Figures, sat_early));
      print_votes_row ("votes to learn a new taste after 60: median", f,
                       G_STRUCT_OFFSET (Figures, recover_median));
      print_votes_row ("                                     p90", f,
                       G_STRUCT_OFFSET (Figures, recover_p90));
      print_number_row ("all-5s voter: max |p - 0.5| after 100", FALSE, FALSE, f,
                        G_STRUCT_OFFSET (Figures, fives_drift));
      printf ("goal, the learner (C=%.1f) at a median of <= %d votes: %s\n", EXPLORE, GOAL_MEDIAN,
              f[G_N_ELEMENTS (rules) - 1].median <= GOAL_MEDIAN ? "met" : "NOT met");
      for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
        {
          g_autofree char *
              figure = g_strdup_printf ("votes until sim ≥ 0.9: median, %s, noise %.1f, %.0f %% random "
                                        "(baseline: %s)",
                                        rules[r].name, worlds[w].noise_sd,
                                        100.0 * worlds[w].random_share, rules[0].name);
          g_autofree char *goal = g_strdup_printf ("≤ %d votes", GOAL_MEDIAN);

          sk_bench_report (figure, f[r].median, "votes", f[0].median,
                           r == G_N_ELEMENTS (rules) - 1 ? goal : NULL);
        }
    }
  printf ("\n(satisfaction = sim(true, song) of what played; max |p - 0.5| = 0.5 is an edge)\n\n");
}

typedef struct
{
  double mean;  /* Σ over groups of the members' mean satisfaction */
  double least; /* Σ over groups of the least-satisfied member's */
} Tally;

/* N_TRACKS tracks for a room of @n: ranked for @learners (NULL: random
 * play), every member voting on every track when @learn; adds the room's
 * figures to @t. */
static void
tally_room (Player *p,
            GRand *noise,
            SkStrategy strategy,
            Learner *learners,
            gboolean learn,
            const double *truths,
            guint n,
            Tally *t)
{
  double sat[MAX_GROUP] = { 0 };
  double least = INFINITY, mean = 0.0;

  player_reset (p);
  for (guint k = 0; k < N_TRACKS; k++)
    {
      guint i = player_next (p, noise, strategy, learners, n);
      const double *e = sk_recommender_get_embedding (p->rec, i);

      for (guint m = 0; m < n; m++)
        {
          const double *truth = &truths[m * SK_DIM];

          sat[m] += sk_taste_similarity (truth, e) / N_TRACKS;
          if (learn)
            learner_vote (&learners[m], e, sk_bench_rating (noise, truth, e, 0.5));
        }
    }
  for (guint m = 0; m < n; m++)
    {
      mean += sat[m] / n;
      least = MIN (least, sat[m]);
    }
  t->mean += mean;
  t->least += least;
}

static void
print_row (guint n, const char *strategy, const char *what, const Tally *t)
{
  printf ("%5u  %-24s %-22s %8.3f %10.3f\n", n, strategy, what, t->mean / N_GROUPS,
          t->least / N_GROUPS);
}

static void
part_groups (Player *p)
{
  static const guint sizes[] = { 1, 2, 4, 8 };
  static const SkStrategy strategies[] = {
    SK_STRATEGY_AVERAGE,
    SK_STRATEGY_LEAST_MISERY,
    SK_STRATEGY_AVERAGE_WITHOUT_MISERY,
  };
  static const Rule known = { "known", FALSE, 0.0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED + 3);

  printf ("Part 2: rooms of listeners who start with no opinion and all vote on each of %d tracks,\n"
          "mean over %d rooms; satisfaction = sim(true, song)\n\n",
          N_TRACKS, N_GROUPS);
  printf ("%5s  %-24s %-22s %8s %10s\n", "room", "strategy", "taste", "mean", "least-sat.");

  for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
    {
      guint n = sizes[z];
      g_autofree double *truths = g_new (double, N_GROUPS *MAX_GROUP *SK_DIM);
      Tally random_play = { 0 };

      for (guint g = 0; g < N_GROUPS * n; g++)
        sk_bench_random_taste (rand, MIN_NORM, &truths[g * SK_DIM]);

      for (guint s = 0; s < (n == 1 ? 1 : G_N_ELEMENTS (strategies)); s++)
        {
          for (guint r = 0; r <= G_N_ELEMENTS (rules); r++)
            {
              /* the same noise for every rule */
              g_autoptr (GRand) noise = g_rand_new_with_seed (SK_BENCH_SEED + 4 + z);
              const Rule *rule = r < G_N_ELEMENTS (rules) ? &rules[r] : &known;
              Tally t = { 0 };

              for (guint g = 0; g < N_GROUPS; g++)
                {
                  Learner members[MAX_GROUP];
                  const double *room = &truths[g * n * SK_DIM];

                  for (guint m = 0; m < n; m++)
                    {
                      learner_reset (&members[m], rule);
                      if (rule == &known)
                        memcpy (members[m].pref, &room[m * SK_DIM], sizeof members[m].pref);
                    }
                  tally_room (p, noise, strategies[s], members, rule != &known, room, n, &t);
                }
              print_row (n, n == 1 ? "(alone)" : sk_strategy_to_string (strategies[s]),
                         rule == &known ? "baseline: known tastes" : rule->name, &t);
            }
        }
      {
        g_autoptr (GRand) noise = g_rand_new_with_seed (SK_BENCH_SEED + 4 + z);

        for (guint g = 0; g < N_GROUPS; g++)
          tally_room (p, noise, SK_STRATEGY_AVERAGE, NULL, FALSE, &truths[g * n * SK_DIM], n,
                      &random_play);
        print_row (n, "-", "baseline: random play", &random_play);
      }
      printf ("\n");
    }
  printf (
      "least-sat. = the least-satisfied member's mean satisfaction; \"learner C=0\" is the\n"
      "learner with exploration off, \"C=1.5\" on (the default); \"known tastes\": the\n"
      "ranking with the true tastes from the start (the ceiling); \"random play\": the floor\n");
}

int
main (int argc, char **argv)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (SK_BENCH_SEED);
  Player p = { 0 };

  p.rec = sk_recommender_new ();
  for (guint i = 0; i < N_SONGS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("song-%03u", i);
      double e[SK_DIM];

      sk_bench_random_vec (rand, e);
      sk_recommender_add_song (p.rec, id, e, &error);
      g_assert_no_error (error);
    }
  sk_recommender_commit (p.rec);

  printf ("bench-taste-sim: the seed's rule (alpha = %.2f, beta = %.1f) against the learner\n"
          "(docs/DESIGN.md: lambda = %.1f, lambda_b = %.0f, gamma = %.2f, kappa = %.0f, H = %.0f),\n"
          "centred cosine\n\n",
          SK_TASTE_ALPHA, SK_TASTE_BETA, SK_LEARN_LAMBDA, SK_LEARN_LAMBDA_BIAS, SK_LEARN_GAMMA,
          SK_LEARN_KAPPA, SK_LEARN_H);
  part_learning (&p);
  part_groups (&p);

  sk_recommender_free (p.rec);
  return sk_bench_exit_status ();
}
