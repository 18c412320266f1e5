/* sk-bench-util.h: what the benchmarks share: a nanosecond clock, order
 * statistics over a sample of timings, and random vectors from a seeded
 * GRand so that every run measures the same inputs.
 *
 * Benchmarks print figures; they never fail on a timing. They exit non-zero
 * only when something is functionally wrong (an error, a wrong ranking, an
 * allocation where there must be none). */
#pragma once

#include "sk-types.h"

G_BEGIN_DECLS

#define SK_BENCH_SEED 20240501

/* CLOCK_MONOTONIC in nanoseconds. */
gint64 sk_bench_now_ns (void);

/* The @p quantile (0..1, nearest rank) of @n samples; sorts @samples. */
double sk_bench_quantile (double *samples, guint n, double p);

/* Uniform in [0, 1]^SK_DIM. */
void sk_bench_random_vec (GRand *rand, double out[SK_DIM]);
/* Uniform in [0, 1]^SK_DIM, redrawn until its centred norm is at least
 * @min_norm: a taste with a real opinion. */
void sk_bench_random_taste (GRand *rand, double min_norm, double out[SK_DIM]);
/* Standard normal (Box–Muller). */
double sk_bench_gaussian (GRand *rand);

/* A simulated listener's rating of a song on the whole 1–5 scale (3 =
 * indifferent): clamp(round(3 + 2·sim(truth, embedding) + noise), 1, 5),
 * noise ~ N(0, @noise_sd²). */
int sk_bench_rating (GRand *rand,
                     const double truth[SK_DIM],
                     const double embedding[SK_DIM],
                     double noise_sd);

/* Prints one figure for tests/bench/run, which collects every benchmark's
 * into one table (build/bench-report.md), as a line of its own beside the
 * human output:
 *   BENCH figure|value|unit|baseline|ratio|budget
 * The ratio is @value / @baseline; a @baseline that is NAN (none measured)
 * or zero leaves baseline or ratio empty.  @budget is text ("< 5 ms"),
 * NULL for none. */
void sk_bench_report (
    const char *figure, double value, const char *unit, double baseline, const char *budget);

/* The kB of the line "@name   N kB" (e.g. "VmRSS:") of /proc/@pid/status,
 * or -1. */
gint64 sk_bench_status_kb (GPid pid, const char *name);

/* Checks a functional condition; on failure prints why and remembers it
 * for sk_bench_exit_status. */
gboolean sk_bench_check (gboolean ok, const char *what);
int sk_bench_exit_status (void);

G_END_DECLS
