/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-polling"

#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "bench-common.h"
#include "fake-pixwith.h"
#include "pixverse-client.h"
#include "pixverse-monitor.h"

/*
 * bench-polling JOBS SCALE
 *
 * JOBS jobs with estimated_time 150 s that finish exactly on time, with all
 * time SCALE times faster (the fake's --time-scale and PIXVERSE_TIME_SCALE
 * alike), through the real PixverseMonitor, PixverseClient and
 * PixverseHistory, against the fake service in this process. Prints, in the
 * service's time (real time / SCALE):
 *   polling JOBS requests_per_job max_delay_s mean_delay_s
 * where the delay runs from the job's end at the service to its row
 * turning completed here.
 */

#define ESTIMATED_TIME 150

typedef struct
{
  FakePixwith  *fake;
  PixverseTask *task;
  gint64        seen_us;
} Job;

typedef struct
{
  GPtrArray *jobs;
  guint      submitted;
  guint      failed;
} Bench;

static void
status_cb (PixverseTask *task,
           GParamSpec   *pspec,
           Job          *job)
{
  if (job->seen_us == 0 && pixverse_job_status_is_finished (pixverse_task_get_status (task)))
    job->seen_us = g_get_monotonic_time ();
}

static void
submit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  job->task = pixverse_monitor_submit_finish (PIXVERSE_MONITOR (object), result, &error);
  if (job->task == NULL)
    {
      g_printerr ("bench-polling: %s\n", error->message);
      bench->failed++;
      g_free (job);
    }
  else
    {
      g_signal_connect (job->task, "notify::status", G_CALLBACK (status_cb), job);
      g_ptr_array_add (bench->jobs, job);
    }
  bench->submitted++;
}

static gboolean
all_seen (Bench *bench)
{
  for (guint i = 0; i < bench->jobs->len; i++)
    if (((Job *) g_ptr_array_index (bench->jobs, i))->seen_us == 0)
      return FALSE;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FakePixwith) fake = NULL;
  g_autoptr(PixverseClient) client = NULL;
  g_autoptr(PixverseHistory) history = NULL;
  g_autoptr(PixverseMonitor) monitor = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  Bench bench = { g_ptr_array_new (), 0, 0 };
  double scale, max_delay = 0, sum_delay = 0;
  guint n_jobs;

  if (argc != 3 || (n_jobs = atoi (argv[1])) < 1 || !((scale = g_ascii_strtod (argv[2], NULL)) > 0))
    {
      g_printerr ("usage: bench-polling JOBS SCALE\n");
      return 2;
    }

  /* Before GLib reads them: videos and posters go to a throwaway place. */
  dir = g_dir_make_tmp ("bench-polling-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);
  g_setenv ("PIXVERSE_TIME_SCALE", argv[2], TRUE);

  fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_estimated_time (fake, ESTIMATED_TIME);
  fake_pixwith_set_time_scale (fake, scale);

  client = pixverse_client_new (fake_pixwith_get_url (fake), PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "history.db", NULL);
  history = bench_open_history (path);
  monitor = pixverse_monitor_new (client, history);

  for (guint i = 0; i < n_jobs; i++)
    {
      g_autoptr(PixverseRequest) request = pixverse_request_new ();
      g_autofree char *prompt = bench_prompt (i);

      pixverse_request_set_prompt (request, prompt);
      pixverse_monitor_submit_async (monitor, request, NULL, NULL, submit_cb, &bench);
    }

  while (bench.submitted < n_jobs || !all_seen (&bench) ||
         pixverse_monitor_get_n_active (monitor) > 0)
    g_main_context_iteration (NULL, TRUE);

  if (bench.failed > 0)
    return 1;

  for (guint i = 0; i < bench.jobs->len; i++)
    {
      Job *job = g_ptr_array_index (bench.jobs, i);
      gint64 end = fake_pixwith_get_task_end_time (fake, pixverse_task_get_task_id (job->task));
      double delay = MAX (0, job->seen_us - end) / 1e6 / scale;

      if (pixverse_task_get_status (job->task) != PIXVERSE_JOB_COMPLETED)
        g_error ("A job ended %s", pixverse_job_status_to_string (pixverse_task_get_status (job->task)));
      max_delay = MAX (max_delay, delay);
      sum_delay += delay;
      g_signal_handlers_disconnect_by_func (job->task, status_cb, job);
      g_object_unref (job->task);
      g_free (job);
    }

  g_print ("polling %u %.2f %.2f %.2f\n", n_jobs,
           (double) fake_pixwith_get_request_count (fake, "get") / n_jobs,
           max_delay, sum_delay / n_jobs);

  g_clear_object (&monitor);
  g_clear_object (&history);
  g_ptr_array_unref (bench.jobs);
  return 0;
}
