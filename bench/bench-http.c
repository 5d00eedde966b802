/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-http"

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-common.h"
#include "pixverse-client.h"

/*
 * bench-http FAKE_PIXWITH CALLS ROUNDS
 *
 * Starts the fake service (the fake-pixwith program: a process of its own,
 * serving both sides alike), creates one job, then in each round makes
 * CALLS task/get calls for it one after another through PixverseClient, and
 * the same CALLS calls with one curl process over one keep-alive connection
 * (every URL in one --config file). Prints the medians over the rounds:
 *   http CALLS client_ms curl_ms client_cpu_ms curl_cpu_ms
 * the last two being the CPU time (user + system) of the calling side alone,
 * this process or curl: on a loaded machine the wall clock also counts the
 * time others had the CPU, and the fake service's share is alike for both.
 */

typedef struct
{
  PixverseClient *client;
  const char     *task_id;
  guint           left;
  GError         *error;
  char           *created;
  gboolean        done;
} Calls;

static void get_next (Calls *calls);

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Calls *calls = user_data;
  g_autoptr(PixverseTaskInfo) info = NULL;

  info = pixverse_client_get_task_finish (PIXVERSE_CLIENT (object), result, &calls->error);
  if (info == NULL)
    {
      calls->done = TRUE;
      return;
    }
  get_next (calls);
}

static void
get_next (Calls *calls)
{
  if (calls->left == 0)
    {
      calls->done = TRUE;
      return;
    }
  calls->left--;
  pixverse_client_get_task_async (calls->client, calls->task_id, NULL, get_cb, calls);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Calls *calls = user_data;

  calls->created = pixverse_client_create_task_finish (PIXVERSE_CLIENT (object), result,
                                                       NULL, &calls->error);
  calls->done = TRUE;
}

/* CPU time used so far by this process (RUSAGE_SELF) or by its waited-for
 * children (RUSAGE_CHILDREN), in ms. */
static double
cpu_ms (int who)
{
  struct rusage usage;

  getrusage (who, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

static double
time_client (PixverseClient *client,
             const char     *task_id,
             guint           n,
             double         *cpu)
{
  Calls calls = { client, task_id, n, NULL, NULL, FALSE };
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_ms (RUSAGE_SELF);

  get_next (&calls);
  bench_wait_for (&calls.done);
  if (calls.error != NULL)
    g_error ("task/get failed: %s", calls.error->message);

  *cpu = cpu_ms (RUSAGE_SELF) - cpu_start;
  return (g_get_monotonic_time () - start) / 1000.0;
}

static double
time_curl (const char *config_path,
           double     *cpu)
{
  const char *argv[] = { "curl", "--config", config_path, NULL };
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_ms (RUSAGE_CHILDREN);
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("curl: %s", error->message);

  *cpu = cpu_ms (RUSAGE_CHILDREN) - cpu_start;
  return (g_get_monotonic_time () - start) / 1000.0;
}

static char *
write_curl_config (const char *url,
                   const char *task_id,
                   guint       n)
{
  g_autoptr(GString) config = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd;

  g_string_append_printf (config,
                          "silent\nshow-error\nfail\n"
                          "header = \"Content-Type: application/json\"\n"
                          "header = \"Api-Key: %s\"\n"
                          "data = \"{\\\"task_id\\\": \\\"%s\\\"}\"\n",
                          PIXVERSE_TEST_API_KEY, task_id);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (config, "url = \"%s/api/task/get\"\n", url);

  fd = g_file_open_tmp ("bench-http-XXXXXX.curlrc", &path, &error);
  if (fd < 0 || !g_file_set_contents (path, config->str, config->len, &error))
    g_error ("Could not write the curl config: %s", error->message);
  close (fd);

  return path;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main (int   argc,
      char *argv[])
{
  const char *fake_argv[] = { NULL, NULL };
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(PixverseClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree char *url = NULL;
  g_autofree char *config = NULL;
  g_autofree double *client_ms = NULL;
  g_autofree double *curl_ms = NULL;
  g_autofree double *client_cpu = NULL;
  g_autofree double *curl_cpu = NULL;
  double unused;
  Calls create = { 0 };
  guint n, rounds;
  GPid pid;
  int out_fd;

  if (argc != 4 || (n = atoi (argv[2])) < 1 || (rounds = atoi (argv[3])) < 1)
    {
      g_printerr ("usage: bench-http FAKE_PIXWITH CALLS ROUNDS\n");
      return 2;
    }

  fake_argv[0] = argv[1];
  if (!g_spawn_async_with_pipes (NULL, (char **) fake_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                 &pid, NULL, &out_fd, NULL, &error))
    g_error ("%s: %s", argv[1], error->message);
  channel = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  if (g_io_channel_read_line (channel, &url, NULL, NULL, &error) != G_IO_STATUS_NORMAL)
    g_error ("The fake service did not start");
  g_strstrip (url);

  client = pixverse_client_new (url, PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);

  pixverse_request_set_prompt (request, "A lighthouse in a storm, waves breaking");
  pixverse_client_create_task_async (client, request, NULL, create_cb, &create);
  bench_wait_for (&create.done);
  if (create.created == NULL)
    g_error ("create failed: %s", create.error->message);

  config = write_curl_config (url, create.created, n);
  client_ms = g_new (double, rounds);
  curl_ms = g_new (double, rounds);
  client_cpu = g_new (double, rounds);
  curl_cpu = g_new (double, rounds);

  /* Warm both up: the connection, the code paths. */
  time_client (client, create.created, MIN (n, 50u), &unused);
  time_curl (config, &unused);

  for (guint r = 0; r < rounds; r++)
    {
      client_ms[r] = time_client (client, create.created, n, &client_cpu[r]);
      curl_ms[r] = time_curl (config, &curl_cpu[r]);
    }

  g_print ("http %u %.1f %.1f %.1f %.1f\n", n, median (client_ms, rounds), median (curl_ms, rounds),
           median (client_cpu, rounds), median (curl_cpu, rounds));

  g_unlink (config);
  g_free (create.created);
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  return 0;
}
