/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-startup"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <gio/gio.h>

/*
 * bench-startup RUNS NAME:DATA_DIR:PROGRAM...
 *
 * Times each program from just before exec to the first frame it reports
 * ("first-frame <g_get_monotonic_time ()>" on its standard output, as
 * bench-bare-window and Pixverse Studio under PIXVERSE_QUIT_AFTER_FIRST_FRAME
 * print it), and takes its peak RSS from wait4(). It splits that time where
 * the program reports "window-start <time>": before it, loading and starting
 * GTK and libadwaita, much the same for any program; after it, making and
 * drawing the program's own window. XDG_DATA_HOME is DATA_DIR (where the
 * history is). One untimed round first (page cache, the history's first
 * integrity check), then RUNS rounds, the programs taking turns so that a
 * burst of load on the machine hits them alike. Prints, per program:
 *   NAME median_ms min_ms max_ms median_rss_kib median_cpu_ms
 *        median_before_window_ms median_window_ms
 * median_cpu_ms being the CPU time (user + system, all threads) the program
 * used up to its exit: on a loaded machine it varies far less than the wall
 * clock, which also counts the time others were given the CPU.
 */

typedef struct
{
  char    *name;
  char    *data_dir;
  char    *program;
  GArray  *ms;
  GArray  *rss;
  GArray  *cpu;
  GArray  *before_window;
  GArray  *window;
} Config;

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *values)
{
  g_autoptr(GArray) sorted = g_array_copy (values);

  g_array_sort (sorted, compare_double);
  if (sorted->len == 0)
    return 0;
  if (sorted->len % 2 == 1)
    return g_array_index (sorted, double, sorted->len / 2);
  return (g_array_index (sorted, double, sorted->len / 2 - 1) +
          g_array_index (sorted, double, sorted->len / 2)) / 2;
}

static double
array_min (GArray *values)
{
  double m = G_MAXDOUBLE;

  for (guint i = 0; i < values->len; i++)
    m = MIN (m, g_array_index (values, double, i));
  return m;
}

static double
array_max (GArray *values)
{
  double m = 0;

  for (guint i = 0; i < values->len; i++)
    m = MAX (m, g_array_index (values, double, i));
  return m;
}

/* One run; FALSE (with a message) when the program did not report a frame. */
static gboolean
run_once (Config *config,
          double *ms,
          double *rss_kib,
          double *cpu_ms,
          double *before_window_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *output = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *cache = g_build_filename (config->data_dir, "cache", NULL);
  g_autofree char *conf = g_build_filename (config->data_dir, "config", NULL);
  const char *argv[] = { config->program, NULL };
  const char *line;
  const char *window_line;
  struct rusage usage;
  gint64 start;
  gint64 frame;
  GPid pid;
  int out_fd;
  int status;

  env = g_environ_setenv (env, "XDG_DATA_HOME", config->data_dir, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", conf, TRUE);
  env = g_environ_setenv (env, "PIXVERSE_QUIT_AFTER_FIRST_FRAME", "1", TRUE);

  start = g_get_monotonic_time ();
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                 G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &pid, NULL, &out_fd, NULL, &error))
    {
      g_printerr ("bench-startup: %s: %s\n", config->program, error->message);
      return FALSE;
    }

  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_to_end (channel, &output, NULL, NULL);

  while (wait4 (pid, &status, 0, &usage) < 0 && errno == EINTR)
    ;

  line = output != NULL ? strstr (output, "first-frame ") : NULL;
  window_line = output != NULL ? strstr (output, "window-start ") : NULL;
  if (line == NULL || window_line == NULL || !WIFEXITED (status))
    {
      g_printerr ("bench-startup: %s reported no window start or first frame (status %d)\n",
                  config->name, status);
      return FALSE;
    }

  frame = g_ascii_strtoll (line + strlen ("first-frame "), NULL, 10);
  *ms = (frame - start) / 1000.0;
  *before_window_ms = (g_ascii_strtoll (window_line + strlen ("window-start "), NULL, 10) - start) / 1000.0;
  *rss_kib = usage.ru_maxrss;
  *cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
            (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) configs = g_ptr_array_new ();
  int runs;

  if (argc < 3 || (runs = atoi (argv[1])) < 1)
    {
      g_printerr ("usage: bench-startup RUNS NAME:DATA_DIR:PROGRAM...\n");
      return 2;
    }

  for (int i = 2; i < argc; i++)
    {
      g_auto(GStrv) parts = g_strsplit (argv[i], ":", 3);
      Config *config;

      if (g_strv_length (parts) != 3)
        {
          g_printerr ("bench-startup: not NAME:DATA_DIR:PROGRAM: %s\n", argv[i]);
          return 2;
        }

      config = g_new0 (Config, 1);
      config->name = g_strdup (parts[0]);
      config->data_dir = g_strdup (parts[1]);
      config->program = g_strdup (parts[2]);
      config->ms = g_array_new (FALSE, FALSE, sizeof (double));
      config->rss = g_array_new (FALSE, FALSE, sizeof (double));
      config->cpu = g_array_new (FALSE, FALSE, sizeof (double));
      config->before_window = g_array_new (FALSE, FALSE, sizeof (double));
      config->window = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (configs, config);
    }

  for (int round = -1; round < runs; round++)
    for (guint i = 0; i < configs->len; i++)
      {
        Config *config = g_ptr_array_index (configs, i);
        double ms, rss, cpu, before_window, window;

        if (!run_once (config, &ms, &rss, &cpu, &before_window))
          return 1;
        if (round < 0)
          continue;
        window = ms - before_window;
        g_array_append_val (config->ms, ms);
        g_array_append_val (config->rss, rss);
        g_array_append_val (config->cpu, cpu);
        g_array_append_val (config->before_window, before_window);
        g_array_append_val (config->window, window);
      }

  for (guint i = 0; i < configs->len; i++)
    {
      Config *config = g_ptr_array_index (configs, i);

      g_print ("%s %.1f %.1f %.1f %.0f %.1f %.1f %.1f\n", config->name, median (config->ms),
               array_min (config->ms), array_max (config->ms), median (config->rss),
               median (config->cpu), median (config->before_window), median (config->window));
    }

  return 0;
}
