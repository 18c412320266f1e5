/* test-bench-report.c: the benchmarks' report: the line sk_bench_report
 * prints, and tests/bench/run --collect making the Markdown table of
 * build/bench-report.md from a meson test log holding those lines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "sk-bench-util.h"
#include "sk-test-util.h"

/* What sk_bench_report prints for these figures (stdout to a file). */
static char *
report_lines (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "stdout", NULL);
  g_autoptr (GError) error = NULL;
  char *text = NULL;
  int saved, fd;

  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  g_assert_cmpint (saved, >=, 0);
  fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (dup2 (fd, STDOUT_FILENO), ==, STDOUT_FILENO);
  close (fd);

  printf ("bench-x: what a person reads\n");
  sk_bench_report ("vote: median", 12.5, "ms", 10.0, "< 5 ms");
  sk_bench_report ("allocations a call", 0.0, NULL, NAN, "0");
  sk_bench_report ("resident", 123456.7, "kB", 400.0, NULL);
  sk_bench_report ("underruns", 0.0, NULL, 0.0, "0");

  fflush (stdout);
  g_assert_cmpint (dup2 (saved, STDOUT_FILENO), ==, STDOUT_FILENO);
  close (saved);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
test_line (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *out = report_lines (dir);

  g_assert_cmpstr (out, ==,
                   "bench-x: what a person reads\n"
                   "BENCH vote: median|12.5|ms|10|1.25|< 5 ms\n"
                   "BENCH allocations a call|0||||0\n"
                   "BENCH resident|123457|kB|400|308.64|\n"
                   "BENCH underruns|0||0||0\n");
  sk_test_rmdir (dir);
}

static void
add_entry (JsonBuilder *b, const char *name, const char *result, int code, const char *out)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, result);
  json_builder_set_member_name (b, "returncode");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "stdout");
  json_builder_add_string_value (b, out);
  json_builder_end_object (b);
}

/* meson's testlog.json: one JSON object a line. */
static void
write_log (const char *path, const char *bench_out)
{
  g_autoptr (GString) log = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  struct
  {
    const char *name, *result;
    int code;
    const char *out;
  } entries[] = {
    { "soundscape-kiosk:unit / test-ctl", "OK", 0, "BENCH not a benchmark|1||||\n" },
    { "soundscape-kiosk:bench / bench-x", "OK", 0, bench_out },
    { "soundscape-kiosk:bench / bench-y", "SKIP", 77, "bench-y: skipped: no valgrind here\n" },
    { "soundscape-kiosk:bench / bench-z", "FAIL", 1, "FUNCTIONAL FAILURE: a wrong ranking\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *line = NULL;

      add_entry (b, entries[i].name, entries[i].result, entries[i].code, entries[i].out);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      line = json_generator_to_data (gen, NULL);
      g_string_append_printf (log, "%s\n", line);
    }
  g_file_set_contents (path, log->str, (gssize) log->len, &error);
  g_assert_no_error (error);
}

static void
test_table (void)
{
  g_autofree char *dir = sk_test_mkdtemp ();
  g_autofree char *bench_out = report_lines (dir);
  g_autofree char *log = g_build_filename (dir, "testlog.json", NULL);
  g_autofree char *report = g_build_filename (dir, "bench-report.md", NULL);
  g_autofree char *run = g_test_build_filename (G_TEST_DIST, "bench", "run", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "python3", run, "--collect", log, report, NULL };
  int status = -1;

  write_log (log, bench_out);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                sk_test_child_setup, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
  g_file_get_contents (report, &text, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("%s", text);

  g_assert_nonnull (strstr (text, "| benchmark | figure | value | baseline | ratio | budget |\n"));
  g_assert_nonnull (
      strstr (text, "| bench-x | vote: median | 12.5 ms | 10 ms | 1.25× | < 5 ms |\n"));
  g_assert_nonnull (strstr (text, "| bench-x | allocations a call | 0 |  |  | 0 |\n"));
  g_assert_nonnull (strstr (text, "| bench-x | resident | 123457 kB | 400 kB | 308.64× |  |\n"));
  g_assert_nonnull (strstr (text, "| bench-x | underruns | 0 | 0 |  | 0 |\n"));
  g_assert_nonnull (strstr (text, "| bench-y | skipped: no valgrind here |"));
  g_assert_nonnull (strstr (text, "| bench-z | FAIL (exit code 1)"));
  g_assert_null (strstr (text, "not a benchmark"));
  g_assert_null (strstr (text, "what a person reads"));
  sk_test_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench-report/the-line-a-benchmark-prints", test_line);
  g_test_add_func ("/bench-report/run-makes-the-table", test_table);
  return g_test_run ();
}
