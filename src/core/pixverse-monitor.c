/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-monitor"

#include "config.h"

#include "pixverse-monitor.h"

#include <errno.h>
#include <glib/gi18n-lib.h>

#include "pixverse-error.h"
#include "pixverse-poster.h"
#include "pixverse-schedule.h"

/*
 * Moves every job along, from the row written before anything is sent to
 * the videos and poster frames on disk. The rules that matter, since each
 * job may have cost the person money:
 *
 *  - create is sent once, ever. A create that may have reached the service
 *    leaves its row in "submitting" for the person to look at; nothing here
 *    sends it again.
 *  - The task id, the result URLs and every file are saved the moment they
 *    are known, so a crash loses at most the step in flight.
 *  - A job is never marked failed because of our key or our network: only
 *    the service says a job failed. Past the long cap it becomes "unknown",
 *    which check_again() picks up again.
 *
 * Each job is a Job: one timer and at most one request in flight, so a slow
 * or failing job never holds up another. Jobs hold no reference on the
 * monitor; dispose cancels the one GCancellable and orphans them, and their
 * pending callbacks then only drop their references.
 */

#define DOWNLOAD_RETRIES 3
/* Seconds before each retry of a failed download, scaled like all waits. */
static const guint download_retry_delays[DOWNLOAD_RETRIES] = { 2, 8, 30 };
/* Failures that put the schedule at its slow rate (pixverse-schedule.c). */
#define SLOW_RATE_FAILURES 3
#define MAX_FILE_STEM 100
/* Jobs that fetch their videos at once; the others wait their turn. Fifty
 * jobs that end together would otherwise share the line fifty ways, all
 * finish late, and all answer on the main thread in the same moments
 * (issue 14). */
#define MAX_DOWNLOADING_JOBS 4

typedef enum
{
  JOB_POLLING,
  JOB_DOWNLOADING,
} JobPhase;

typedef struct
{
  grefcount        ref_count;
  gint64           id;            /* the task's row id; the jobs table's key */
  PixverseMonitor *monitor;       /* not owned; NULL once the monitor is disposed */
  PixverseTask    *task;
  JobPhase         phase;
  GSource         *timer;
  gboolean         busy;          /* a request or a poster in flight */
  gboolean         has_slot;      /* one of the MAX_DOWNLOADING_JOBS */

  /* Polling, in real (wall-clock) microseconds: a resumed job continues the
   * schedule from when it was created, however long the app was closed. */
  gint64           start_us;      /* when the service got the job */
  gint64           cap_start_us;  /* when the long cap starts counting */
  gint64           due_us;        /* when the last (or next) status request was due */
  guint            polls_done;
  guint            failures;      /* status requests failed in a row */
  gboolean         auth_failed;   /* the last one was refused for the key */

  /* Downloading */
  guint            index;         /* the result being fetched */
  guint            attempt;       /* retries of it so far */
  gboolean         refreshed;     /* result URLs asked for again after an expiry */
  gboolean         any_failed;
  gboolean         any_expired;
  char            *download_error;
} Job;

struct _PixverseMonitor
{
  GObject          parent_instance;

  PixverseClient  *client;
  PixverseHistory *history;
  GCancellable    *cancellable;
  GMainContext    *context;
  GHashTable      *jobs;          /* row id → Job, every job with work to do */
  GQueue           waiting;       /* Jobs (a reference each) for a download slot */
  guint            n_slots_taken;
  char            *videos_dir;
  char            *posters_dir;
  guint            n_submitting;
  guint            n_resuming;
  guint            n_active;
};

G_DEFINE_FINAL_TYPE (PixverseMonitor, pixverse_monitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_HISTORY,
  PROP_N_ACTIVE,
  N_PROPS
};

enum {
  TASK_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void job_poll              (Job *job);
static void job_download_next     (Job *job);
static void job_start_downloads   (Job *job);
static void job_release_slot      (Job *job);

/* ------------------------------------------------------------------------- *
 * Jobs
 * ------------------------------------------------------------------------- */

static Job *
job_ref (Job *job)
{
  g_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_clear_timer (Job *job)
{
  /* Taken first: the timer's reference may be the last one on @job. */
  GSource *timer = g_steal_pointer (&job->timer);

  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
}

static void
job_unref (Job *job)
{
  if (!g_ref_count_dec (&job->ref_count))
    return;

  g_assert (job->timer == NULL);
  g_clear_object (&job->task);
  g_clear_pointer (&job->download_error, g_free);
  g_free (job);
}

static Job *
job_new (PixverseMonitor *self,
         PixverseTask    *task)
{
  Job *job;
  gint64 now = g_get_real_time ();
  gint64 created_at;

  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (PIXVERSE_IS_TASK (task));

  job = g_new0 (Job, 1);
  g_ref_count_init (&job->ref_count);
  job->id = pixverse_task_get_id (task);
  job->monitor = self;
  job->task = g_object_ref (task);

  /* The row is written just before create is sent, so its time is the
   * service's clock to within a request (a second, as it is stored). */
  created_at = pixverse_task_get_created_at (task);
  job->start_us = created_at > 0 ? MIN (created_at * G_USEC_PER_SEC, now) : now;
  job->cap_start_us = job->start_us;
  job->due_us = now;

  return job;
}

static void
update_n_active (PixverseMonitor *self)
{
  guint n_active;

  g_assert (PIXVERSE_IS_MONITOR (self));

  n_active = self->n_submitting + self->n_resuming + g_hash_table_size (self->jobs);
  if (n_active == self->n_active)
    return;

  self->n_active = n_active;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ACTIVE]);
}

static Job *
monitor_add_job (PixverseMonitor *self,
                 PixverseTask    *task)
{
  Job *job = job_new (self, task);

  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (!g_hash_table_contains (self->jobs, &job->id));

  g_hash_table_insert (self->jobs, &job->id, job);
  return job;
}

static Job *
monitor_lookup_job (PixverseMonitor *self,
                    PixverseTask    *task)
{
  gint64 id = pixverse_task_get_id (task);

  g_assert (PIXVERSE_IS_MONITOR (self));

  return g_hash_table_lookup (self->jobs, &id);
}

/* Runs @func on the monitor's main context when @due_us (real time) comes. */
static void
job_set_timer (Job         *job,
               gint64       due_us,
               GSourceFunc  func)
{
  gint64 wait_us = MAX (0, due_us - g_get_real_time ());

  g_assert (job->monitor != NULL);

  job_clear_timer (job);
  job->timer = g_timeout_source_new ((guint) MIN ((wait_us + 999) / 1000, (gint64) G_MAXUINT));
  g_source_set_static_name (job->timer, "[pixverse] monitor job");
  g_source_set_callback (job->timer, func, job_ref (job), (GDestroyNotify) job_unref);
  g_source_attach (job->timer, job->monitor->context);
}

static void
save_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(PixverseTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_history_save_finish (PIXVERSE_HISTORY (object), result, &error))
    g_message ("Could not save job %" G_GINT64_FORMAT ": %s",
               pixverse_task_get_id (task), error->message);
}

/* Not cancelled by dispose: a save that was started carries a task id or a
 * file that must not be lost, and it finishes in a moment. */
static void
monitor_save (PixverseMonitor *self,
              PixverseTask    *task)
{
  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (PIXVERSE_IS_TASK (task));

  pixverse_history_save_async (self->history, task, NULL, save_cb, g_object_ref (task));
}

/* The job has no work left: it leaves the table, the GUI hears of it, then
 * n-active drops (so whoever waits for 0 has seen the signal). @job may be
 * gone on return unless the caller holds a reference. */
static void
job_finish (Job *job)
{
  PixverseMonitor *self = job->monitor;
  g_autoptr(PixverseTask) task = g_object_ref (job->task);
  gint64 id = job->id;

  g_assert (PIXVERSE_IS_MONITOR (self));

  job_clear_timer (job);
  /* While @job is sure to be alive: the table may hold its last reference. */
  job_release_slot (job);
  g_hash_table_remove (self->jobs, &id);

  g_signal_emit (self, signals [TASK_FINISHED], 0, task);
  update_n_active (self);
}

/* ------------------------------------------------------------------------- *
 * Polling
 * ------------------------------------------------------------------------- */

static gboolean
job_poll_timer_cb (gpointer user_data)
{
  Job *job = user_data;

  g_clear_pointer (&job->timer, g_source_unref);
  job_poll (job);
  return G_SOURCE_REMOVE;
}

/* Plans the next status request on the schedule's grid: each delay counts
 * from when the previous request was due, not from when its answer came,
 * so answers that take a while do not push every later request back (and a
 * job that ends on time is seen within the schedule's 5 s). Each job's
 * requests are sent its own fixed offset after their point on the grid. */
static void
job_schedule_poll (Job *job)
{
  gint64 elapsed_ms = MAX (0, (job->due_us - job->start_us) / 1000);
  guint failures = job->failures;
  guint delay_ms;

  /* A refused key will not fix itself soon: ask at the slow rate until the
   * key changes (see api_key_changed_cb). */
  if (job->auth_failed)
    failures = MAX (failures, SLOW_RATE_FAILURES);

  delay_ms = pixverse_poll_delay_ms (elapsed_ms,
                                     pixverse_task_get_estimated_time (job->task),
                                     job->polls_done, failures);
  job->due_us = MAX (job->due_us + (gint64) delay_ms * 1000, g_get_real_time ());
  job_set_timer (job, job->due_us + (gint64) pixverse_poll_spread_ms (job->id) * 1000,
                 job_poll_timer_cb);
}

static void
job_start_polling (Job *job)
{
  job->phase = JOB_POLLING;
  job->due_us = g_get_real_time ();
  job_schedule_poll (job);
}

static void
job_completed (Job                *job,
               const char * const *result_urls)
{
  PixverseTask *task = job->task;

  pixverse_task_set_result_urls (task, result_urls);
  pixverse_task_set_status (task, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_finished_at (task, g_get_real_time () / G_USEC_PER_SEC);
  pixverse_task_set_message (task, NULL);

  /* Saved with the result URLs at once, by the download step. */
  job_start_downloads (job);
}

static void
job_failed (Job *job)
{
  PixverseTask *task = job->task;

  pixverse_task_set_status (task, PIXVERSE_JOB_FAILED);
  pixverse_task_set_finished_at (task, g_get_real_time () / G_USEC_PER_SEC);
  pixverse_task_set_message (task, _("The service reports that the job failed"));
  monitor_save (job->monitor, task);
  job_finish (job);
}

static void
job_gave_up (Job *job)
{
  PixverseTask *task = job->task;

  pixverse_task_set_status (task, PIXVERSE_JOB_UNKNOWN);
  pixverse_task_set_message (task, _("The service has not finished this job after a long wait. "
                                     "It is kept: check again later."));
  monitor_save (job->monitor, task);
  job_finish (job);
}

static void
job_polled_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Job *job = user_data;
  PixverseMonitor *self = job->monitor;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = pixverse_client_get_task_finish (PIXVERSE_CLIENT (object), result, &error);
  job->busy = FALSE;

  if (self == NULL || pixverse_error_is_cancelled (error))
    goto out;

  job->polls_done++;

  if (info == NULL)
    {
      /* Ours or the network's trouble, never the job's: keep asking, slower.
       * The message tells the person why the job seems stuck. */
      job->failures++;
      job->auth_failed = g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH);
      g_debug ("Status of %s failed %u times: %s",
               pixverse_task_get_task_id (job->task), job->failures, error->message);
      if (g_strcmp0 (pixverse_task_get_message (job->task), error->message) != 0)
        {
          pixverse_task_set_message (job->task, error->message);
          monitor_save (self, job->task);
        }
    }
  else
    {
      if (job->failures > 0 && pixverse_task_get_message (job->task) != NULL)
        {
          pixverse_task_set_message (job->task, NULL);
          monitor_save (self, job->task);
        }
      job->failures = 0;
      job->auth_failed = FALSE;

      /* Completed is only believed with its videos: without result URLs
       * there would be nothing to fetch, ever, so keep asking. */
      if (info->status == PIXVERSE_TASK_STATUS_COMPLETED &&
          info->result_urls != NULL && info->result_urls[0] != NULL)
        {
          job_completed (job, (const char * const *) info->result_urls);
          goto out;
        }
      if (info->status == PIXVERSE_TASK_STATUS_FAILED)
        {
          job_failed (job);
          goto out;
        }
      /* Processing, completed without videos, or a status we do not know:
       * still running as far as we can tell. */
    }

  if (pixverse_poll_gave_up (g_get_real_time () / 1000 - job->cap_start_us / 1000))
    {
      job_gave_up (job);
      goto out;
    }

  job_schedule_poll (job);

out:
  job_unref (job);
}

static void
job_poll (Job *job)
{
  PixverseMonitor *self = job->monitor;

  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (!job->busy);
  g_assert (job->timer == NULL);

  job->busy = TRUE;
  pixverse_client_get_task_async (self->client,
                                  pixverse_task_get_task_id (job->task),
                                  self->cancellable,
                                  job_polled_cb, job_ref (job));
}

static void
api_key_changed_cb (PixverseMonitor *self)
{
  GHashTableIter iter;
  Job *job;

  g_assert (PIXVERSE_IS_MONITOR (self));

  /* Jobs waiting at the slow rate for a better key: ask at once. */
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job))
    {
      if (job->phase == JOB_POLLING && job->auth_failed && !job->busy)
        {
          job_clear_timer (job);
          job->due_us = g_get_real_time ();
          job_poll (job);
        }
    }
}

/* ------------------------------------------------------------------------- *
 * Downloads and poster frames
 * ------------------------------------------------------------------------- */

/* Files are named after the task id, never after anything in a URL, and
 * only with characters that are safe in any file system. */
static char *
file_stem (Job *job)
{
  const char *task_id = pixverse_task_get_task_id (job->task);
  GString *stem = g_string_new (NULL);

  for (const char *p = task_id; p != NULL && *p != '\0' && stem->len < MAX_FILE_STEM; p++)
    g_string_append_c (stem, g_ascii_isalnum (*p) || *p == '-' || *p == '_' ? *p : '_');

  if (stem->len == 0)
    g_string_printf (stem, "job-%" G_GINT64_FORMAT, job->id);

  return g_string_free (stem, FALSE);
}

static GFile *
job_result_file (Job        *job,
                 const char *dir,
                 guint       index,
                 const char *suffix)
{
  g_autofree char *stem = file_stem (job);
  g_autofree char *name = g_strdup_printf ("%s_%u%s", stem, index + 1, suffix);

  return g_file_new_build_filename (dir, name, NULL);
}

static guint
job_n_results (Job *job)
{
  const char * const *urls = pixverse_task_get_result_urls (job->task);

  return urls != NULL ? g_strv_length ((char **) urls) : 0;
}

/* Sets entry @index of the video (or poster) paths, one entry per result
 * and "" for those not made. Returns whether anything changed. */
static gboolean
job_set_path (Job        *job,
              gboolean    poster,
              guint       index,
              const char *path)
{
  PixverseTask *task = job->task;
  const char * const *old = poster ? pixverse_task_get_poster_paths (task)
                                   : pixverse_task_get_video_paths (task);
  guint n_old = old != NULL ? g_strv_length ((char **) old) : 0;
  guint n = MAX (job_n_results (job), index + 1);
  g_auto(GStrv) paths = NULL;
  gboolean changed = n != n_old;

  /* Copies: the setter may free the old strings before it reads these. */
  paths = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      paths[i] = g_strdup (i == index ? path : (i < n_old && old[i] != NULL ? old[i] : ""));
      if (i < n_old && g_strcmp0 (paths[i], old[i]) != 0)
        changed = TRUE;
    }

  if (!changed)
    return FALSE;

  if (poster)
    pixverse_task_set_poster_paths (task, (const char * const *) paths);
  else
    pixverse_task_set_video_paths (task, (const char * const *) paths);
  return TRUE;
}

static void
ensure_directory (const char *dir)
{
  /* A failure shows as the download's own "Could not write" error. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("Could not make %s: %s", dir, g_strerror (errno));
}

/* The download step is over: its state is the worst of the results. */
static void
job_downloads_done (Job *job)
{
  PixverseTask *task = job->task;

  if (job->any_expired)
    {
      pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_EXPIRED);
      pixverse_task_set_message (task, job->download_error);
      pixverse_task_set_download_progress (task, 0.0);
    }
  else if (job->any_failed)
    {
      pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_FAILED);
      pixverse_task_set_message (task, job->download_error);
      pixverse_task_set_download_progress (task, 0.0);
    }
  else
    {
      pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_DONE);
      pixverse_task_set_message (task, NULL);
      pixverse_task_set_download_progress (task, 1.0);
    }

  monitor_save (job->monitor, task);
  job_finish (job);
}

static void
job_next_result (Job *job)
{
  job->index++;
  job->attempt = 0;
  job_download_next (job);
}

static void
job_poster_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) poster = NULL;
  gboolean made;

  made = pixverse_poster_make_finish (result, &error);
  job->busy = FALSE;

  if (job->monitor == NULL || pixverse_error_is_cancelled (error))
    goto out;

  poster = job_result_file (job, job->monitor->posters_dir, job->index, ".png");
  if (made)
    {
      if (job_set_path (job, TRUE, job->index, g_file_peek_path (poster)))
        monitor_save (job->monitor, job->task);
    }
  else
    {
      /* A video without a poster is still the video: the GUI shows a
       * placeholder for "". */
      g_debug ("No poster frame for %s: %s", g_file_peek_path (poster), error->message);
    }

  job_next_result (job);

out:
  job_unref (job);
}

static void
job_make_poster (Job   *job,
                 GFile *video)
{
  PixverseMonitor *self = job->monitor;
  g_autoptr(GFile) poster = job_result_file (job, self->posters_dir, job->index, ".png");

  if (g_file_query_exists (poster, NULL))
    {
      if (job_set_path (job, TRUE, job->index, g_file_peek_path (poster)))
        monitor_save (self, job->task);
      job_next_result (job);
      return;
    }

  job->busy = TRUE;
  pixverse_poster_make_async (video, poster, self->cancellable,
                              job_poster_cb, job_ref (job));
}

/* The client says 403, 404 and 410 in one message of its own (result links
 * expire); it is matched exactly, translation included. */
static gboolean
error_is_expired (const GError *error)
{
  static const guint statuses[] = { 403, 404, 410 };

  if (!g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *expected = NULL;

      expected = g_strdup_printf (_("The video is no longer available (HTTP %u): result links expire"),
                                  statuses[i]);
      if (g_str_equal (error->message, expected))
        return TRUE;
    }

  return FALSE;
}

static void
job_refreshed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *urls;

  info = pixverse_client_get_task_finish (PIXVERSE_CLIENT (object), result, &error);
  job->busy = FALSE;

  if (job->monitor == NULL || pixverse_error_is_cancelled (error))
    goto out;

  urls = pixverse_task_get_result_urls (job->task);
  if (info != NULL && info->status == PIXVERSE_TASK_STATUS_COMPLETED &&
      info->result_urls != NULL &&
      g_strv_length (info->result_urls) == job_n_results (job) &&
      !g_strv_equal ((const char * const *) info->result_urls, urls))
    {
      /* New links for the same videos: the same downloads again. */
      pixverse_task_set_result_urls (job->task, (const char * const *) info->result_urls);
      monitor_save (job->monitor, job->task);
      job->attempt = 0;
      job_download_next (job);
      goto out;
    }

  job->any_expired = TRUE;
  job_next_result (job);

out:
  job_unref (job);
}

static gboolean
job_retry_timer_cb (gpointer user_data)
{
  Job *job = user_data;

  g_clear_pointer (&job->timer, g_source_unref);
  job_download_next (job);
  return G_SOURCE_REMOVE;
}

static void
job_downloaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Job *job = user_data;
  PixverseMonitor *self = job->monitor;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) video = NULL;

  pixverse_client_download_finish (PIXVERSE_CLIENT (object), result, &error);
  job->busy = FALSE;

  if (self == NULL || pixverse_error_is_cancelled (error))
    goto out;

  if (error == NULL)
    {
      video = job_result_file (job, self->videos_dir, job->index, ".mp4");
      job_set_path (job, FALSE, job->index, g_file_peek_path (video));
      monitor_save (self, job->task);
      job_make_poster (job, video);
      goto out;
    }

  g_debug ("Download %u of %s failed (attempt %u): %s", job->index + 1,
           pixverse_task_get_task_id (job->task), job->attempt + 1, error->message);
  g_free (job->download_error);
  job->download_error = g_strdup (error->message);

  if (error_is_expired (error))
    {
      /* The service may hand out fresh links for the same videos. */
      if (!job->refreshed)
        {
          job->refreshed = TRUE;
          job->busy = TRUE;
          pixverse_client_get_task_async (self->client,
                                          pixverse_task_get_task_id (job->task),
                                          self->cancellable,
                                          job_refreshed_cb, job_ref (job));
          goto out;
        }

      job->any_expired = TRUE;
      job_next_result (job);
      goto out;
    }

  if (job->attempt < DOWNLOAD_RETRIES)
    {
      double delay_s = download_retry_delays[job->attempt] * pixverse_time_scale ();

      job->attempt++;
      job_set_timer (job, g_get_real_time () + (gint64) (delay_s * G_USEC_PER_SEC),
                     job_retry_timer_cb);
      goto out;
    }

  job->any_failed = TRUE;
  job_next_result (job);

out:
  job_unref (job);
}

static void
job_download_progress_cb (goffset  current,
                          goffset  total,
                          gpointer user_data)
{
  Job *job = user_data;
  guint n = job_n_results (job);
  double fraction = total > 0 ? (double) current / (double) total : 0.0;

  if (job->monitor == NULL || n == 0)
    return;

  pixverse_task_set_download_progress (job->task,
                                       (job->index + CLAMP (fraction, 0.0, 1.0)) / n);
}

/* Fetches result job->index, or ends the step past the last one. */
static void
job_download_next (Job *job)
{
  PixverseMonitor *self = job->monitor;
  const char * const *urls = pixverse_task_get_result_urls (job->task);
  g_autoptr(GFile) video = NULL;

  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (!job->busy);
  g_assert (job->timer == NULL);

  if (job->index >= job_n_results (job))
    {
      job_downloads_done (job);
      return;
    }

  if (job->index == 0 && job->attempt == 0)
    {
      pixverse_task_set_download_state (job->task, PIXVERSE_DOWNLOAD_RUNNING);
      pixverse_task_set_download_progress (job->task, 0.0);
      monitor_save (self, job->task);
      ensure_directory (self->videos_dir);
    }

  video = job_result_file (job, self->videos_dir, job->index, ".mp4");

  /* A file under its final name is complete (the client renames it from
   * NAME.part only then): a run cut short by a crash goes on from here. A
   * stale NAME.part is simply overwritten. */
  if (g_file_query_exists (video, NULL))
    {
      if (job_set_path (job, FALSE, job->index, g_file_peek_path (video)))
        monitor_save (self, job->task);
      job_make_poster (job, video);
      return;
    }

  job->busy = TRUE;
  pixverse_client_download_async (self->client, urls[job->index], video,
                                  job_download_progress_cb, job_ref (job), (GDestroyNotify) job_unref,
                                  self->cancellable,
                                  job_downloaded_cb, job_ref (job));
}

/* Gives free slots to the jobs that wait, first come first served. */
static void
monitor_fill_slots (PixverseMonitor *self)
{
  while (self->n_slots_taken < MAX_DOWNLOADING_JOBS && !g_queue_is_empty (&self->waiting))
    {
      Job *job = g_queue_pop_head (&self->waiting);

      job->has_slot = TRUE;
      self->n_slots_taken++;
      job_download_next (job);
      job_unref (job);
    }
}

static void
job_release_slot (Job *job)
{
  PixverseMonitor *self = job->monitor;

  if (!job->has_slot || self == NULL)
    return;

  job->has_slot = FALSE;
  self->n_slots_taken--;
  monitor_fill_slots (self);
}

static void
job_start_downloads (Job *job)
{
  PixverseMonitor *self = job->monitor;
  const char * const *videos = pixverse_task_get_video_paths (job->task);
  const char * const *posters = pixverse_task_get_poster_paths (job->task);

  /* One path per result from the start, "" until its file is made. */
  if (job_n_results (job) > 0)
    {
      job_set_path (job, FALSE, 0, videos != NULL && videos[0] != NULL ? videos[0] : "");
      job_set_path (job, TRUE, 0, posters != NULL && posters[0] != NULL ? posters[0] : "");
    }

  job->phase = JOB_DOWNLOADING;
  job->index = 0;
  job->attempt = 0;
  job->refreshed = FALSE;
  job->any_failed = FALSE;
  job->any_expired = FALSE;
  g_clear_pointer (&job->download_error, g_free);

  /* The queue is only ever waited on while every slot is taken. */
  if (!job->has_slot && self->n_slots_taken < MAX_DOWNLOADING_JOBS)
    {
      job->has_slot = TRUE;
      self->n_slots_taken++;
    }

  if (job->has_slot)
    {
      job_download_next (job);
      return;
    }

  /* Until its turn it is a job whose videos are yet to come, not one whose
   * last attempt failed. */
  pixverse_task_set_download_state (job->task, PIXVERSE_DOWNLOAD_NONE);
  g_queue_push_tail (&self->waiting, job_ref (job));
}

/* ------------------------------------------------------------------------- *
 * Submitting
 * ------------------------------------------------------------------------- */

typedef struct
{
  PixverseRequest *request;
  GFile           *image_file;
  PixverseTask    *task;
} Submit;

static void
submit_free (Submit *submit)
{
  g_clear_object (&submit->request);
  g_clear_object (&submit->image_file);
  g_clear_object (&submit->task);
  g_free (submit);
}

/* Leaves n-active before the caller hears of the result. */
static void
submit_done (GTask *task)
{
  PixverseMonitor *self = g_task_get_source_object (task);

  g_assert (PIXVERSE_IS_MONITOR (self));
  g_assert (self->n_submitting > 0);

  self->n_submitting--;
  update_n_active (self);
}

/* Only answers that say the service refused the job prove it was not made. */
static gboolean
create_was_refused (const GError *error)
{
  return g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CREDITS) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_SERVICE);
}

static void
submit_saved_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *submit = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The job runs at the service whatever happened here: the task goes
   * back, polling goes on, and later saves carry the task id again. */
  if (!pixverse_history_save_finish (PIXVERSE_HISTORY (object), result, &error))
    g_message ("Could not save the task id of job %" G_GINT64_FORMAT ": %s",
               pixverse_task_get_id (submit->task), error->message);

  submit_done (task);
  g_task_return_pointer (task, g_object_ref (submit->task), g_object_unref);
}

static void
submit_created_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PixverseMonitor *self = g_task_get_source_object (task);
  Submit *submit = g_task_get_task_data (task);
  PixverseTask *ptask = submit->task;
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;
  int estimated_time = 0;
  Job *job;

  task_id = pixverse_client_create_task_finish (PIXVERSE_CLIENT (object), result,
                                                &estimated_time, &error);
  if (task_id == NULL)
    {
      if (create_was_refused (error))
        {
          pixverse_task_set_status (ptask, PIXVERSE_JOB_FAILED);
          pixverse_task_set_finished_at (ptask, g_get_real_time () / G_USEC_PER_SEC);
        }
      /* Otherwise it stays "submitting": the request may have reached the
       * service, so the person decides, seeing the row ("may have been
       * sent"). It is never sent again from here. */
      pixverse_task_set_message (ptask, error->message);
      monitor_save (self, ptask);

      submit_done (task);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pixverse_task_set_task_id (ptask, task_id);
  pixverse_task_set_estimated_time (ptask, estimated_time);
  pixverse_task_set_status (ptask, PIXVERSE_JOB_PROCESSING);
  pixverse_task_set_message (ptask, NULL);

  /* Polling starts now; its first request is most of the estimate away.
   * The job's clock starts with the answer: the service made the job just
   * before it, and a schedule that starts a little late never asks early. */
  job = monitor_lookup_job (self, ptask);
  if (job == NULL)
    {
      job = monitor_add_job (self, ptask);
      job->start_us = g_get_real_time ();
      job->cap_start_us = job->start_us;
      job_start_polling (job);
      update_n_active (self);
    }

  /* The task id is what makes the job ours: stored before anything else. */
  pixverse_history_save_async (self->history, ptask, NULL,
                               submit_saved_cb, g_steal_pointer (&task));
}

static void
submit_create (GTask *task)
{
  PixverseMonitor *self = g_task_get_source_object (task);
  Submit *submit = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  pixverse_client_create_task_async (self->client,
                                     pixverse_task_get_request (submit->task),
                                     cancellable,
                                     submit_created_cb, task);
}

static void
submit_uploaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PixverseMonitor *self = g_task_get_source_object (task);
  Submit *submit = g_task_get_task_data (task);
  PixverseTask *ptask = submit->task;
  g_autoptr(GError) error = NULL;
  g_autofree char *image_url = NULL;

  image_url = pixverse_client_upload_image_finish (PIXVERSE_CLIENT (object), result, &error);
  if (image_url == NULL)
    {
      /* Nothing was created: the job failed before it began. */
      pixverse_task_set_status (ptask, PIXVERSE_JOB_FAILED);
      pixverse_task_set_finished_at (ptask, g_get_real_time () / G_USEC_PER_SEC);
      pixverse_task_set_message (ptask, error->message);
      monitor_save (self, ptask);

      submit_done (task);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pixverse_request_set_mode (pixverse_task_get_request (ptask), PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (pixverse_task_get_request (ptask), image_url);
  monitor_save (self, ptask);

  submit_create (g_steal_pointer (&task));
}

static void
submit_added_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GCancellable *cancellable;
  g_autoptr(GTask) task = user_data;
  PixverseMonitor *self = g_task_get_source_object (task);
  Submit *submit = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  submit->task = pixverse_history_add_finish (PIXVERSE_HISTORY (object), result, &error);
  if (submit->task == NULL)
    {
      /* No row, so nothing is sent: a job must never run unrecorded. */
      submit_done (task);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (submit->image_file == NULL)
    {
      submit_create (g_steal_pointer (&task));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  pixverse_client_upload_image_async (self->client, submit->image_file,
                                      NULL, NULL, NULL,
                                      cancellable,
                                      submit_uploaded_cb, g_steal_pointer (&task));
}

/**
 * pixverse_monitor_submit_async:
 * @self: a #PixverseMonitor
 * @request: the job; valid, except for the image URL when @image_file is given
 * @image_file: (nullable): a local JPEG or PNG to upload as the image
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the job is created and stored, or not
 * @user_data: data for @callback
 *
 * Submits a job: the row is written first (status submitting), then the
 * image is uploaded if there is one, then `create` is sent, once. Its task id
 * is stored the moment it arrives, and the job is polled and downloaded from
 * then on by the monitor.
 *
 * A failure is stored on the row too: an upload failure or a refusal from
 * the service makes it failed; when the request may have reached the
 * service (no answer, or one that could not be read), the row stays in
 * submitting with the message, for the person to check, and is never sent
 * again.
 */
void
pixverse_monitor_submit_async (PixverseMonitor     *self,
                               PixverseRequest     *request,
                               GFile               *image_file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Submit *submit;

  g_return_if_fail (PIXVERSE_IS_MONITOR (self));
  g_return_if_fail (PIXVERSE_IS_REQUEST (request));
  g_return_if_fail (!image_file || G_IS_FILE (image_file));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_monitor_submit_async);
  /* What happened is reported by the steps, cancellation included. */
  g_task_set_check_cancellable (task, FALSE);

  submit = g_new0 (Submit, 1);
  submit->request = g_object_ref (request);
  submit->image_file = image_file ? g_object_ref (image_file) : NULL;
  g_task_set_task_data (task, submit, (GDestroyNotify) submit_free);

  self->n_submitting++;
  update_n_active (self);

  pixverse_history_add_async (self->history, request, cancellable,
                              submit_added_cb, g_steal_pointer (&task));
}

/**
 * pixverse_monitor_submit_finish:
 * @self: a #PixverseMonitor
 * @result: the result given to the callback
 * @error: the place for a %PIXVERSE_ERROR (or the history's error)
 *
 * Returns: (transfer full): the job, processing and stored, or %NULL
 */
PixverseTask *
pixverse_monitor_submit_finish (PixverseMonitor  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (PIXVERSE_IS_MONITOR (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == pixverse_monitor_submit_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- *
 * Resuming, checking again, downloading again
 * ------------------------------------------------------------------------- */

static gboolean
download_has_work (PixverseTask *task)
{
  switch (pixverse_task_get_download_state (task))
    {
    case PIXVERSE_DOWNLOAD_NONE:
    case PIXVERSE_DOWNLOAD_RUNNING:
    case PIXVERSE_DOWNLOAD_FAILED:
      return TRUE;

    case PIXVERSE_DOWNLOAD_DONE:
    case PIXVERSE_DOWNLOAD_EXPIRED:
    default:
      return FALSE;
    }
}

static void
monitor_take_up (PixverseMonitor *self,
                 PixverseTask    *task)
{
  const char *task_id = pixverse_task_get_task_id (task);
  Job *job;

  g_assert (PIXVERSE_IS_MONITOR (self));

  if (monitor_lookup_job (self, task) != NULL || task_id == NULL || *task_id == '\0')
    return;

  /* Rows left in submitting are the person's to decide about. */
  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_PROCESSING:
      job = monitor_add_job (self, task);
      job_start_polling (job);
      break;

    case PIXVERSE_JOB_COMPLETED:
      if (download_has_work (task))
        {
          job = monitor_add_job (self, task);
          job_start_downloads (job);
        }
      break;

    case PIXVERSE_JOB_SUBMITTING:
    case PIXVERSE_JOB_FAILED:
    case PIXVERSE_JOB_UNKNOWN:
    default:
      break;
    }
}

static void
resume_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(PixverseMonitor) self = user_data;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;

  tasks = pixverse_history_list_unfinished_finish (PIXVERSE_HISTORY (object), result, &error);
  self->n_resuming--;

  /* Disposed meanwhile (g_object_run_dispose()): nothing to take up. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (tasks == NULL)
    {
      if (!pixverse_error_is_cancelled (error))
        g_message ("Could not list the unfinished jobs: %s", error->message);
    }
  else
    {
      for (guint i = 0; i < tasks->len; i++)
        monitor_take_up (self, g_ptr_array_index (tasks, i));
    }

  update_n_active (self);
}

/**
 * pixverse_monitor_resume:
 * @self: a #PixverseMonitor
 *
 * Picks up every unfinished job of the history: processing jobs are polled
 * again (continuing their schedule from when they were created), completed
 * jobs whose videos are not all on disk are downloaded. Rows left in
 * submitting are left alone: they may have been sent, and only the person
 * can tell. While the history is being read, it counts in #PixverseMonitor:n-active,
 * so waiting for n-active to reach 0 waits for all of it.
 */
void
pixverse_monitor_resume (PixverseMonitor *self)
{
  g_return_if_fail (PIXVERSE_IS_MONITOR (self));

  self->n_resuming++;
  update_n_active (self);

  pixverse_history_list_unfinished_async (self->history, self->cancellable,
                                          resume_listed_cb, g_object_ref (self));
}

/**
 * pixverse_monitor_check_again:
 * @self: a #PixverseMonitor
 * @task: a job that is unknown (past the long cap) or processing
 *
 * Asks the service about @task now, and keeps polling it on the schedule.
 * The long cap counts again from now, so a job the person checks again gets
 * another full hour before it is called unknown.
 */
void
pixverse_monitor_check_again (PixverseMonitor *self,
                              PixverseTask    *task)
{
  const char *task_id;
  PixverseJobStatus status;
  Job *job;

  g_return_if_fail (PIXVERSE_IS_MONITOR (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));

  task_id = pixverse_task_get_task_id (task);
  status = pixverse_task_get_status (task);
  if (task_id == NULL || *task_id == '\0' ||
      (status != PIXVERSE_JOB_UNKNOWN && status != PIXVERSE_JOB_PROCESSING))
    return;

  job = monitor_lookup_job (self, task);
  if (job == NULL)
    job = monitor_add_job (self, task);
  else if (job->phase != JOB_POLLING)
    return;

  job->phase = JOB_POLLING;
  job->cap_start_us = g_get_real_time ();

  if (status == PIXVERSE_JOB_UNKNOWN)
    {
      pixverse_task_set_status (job->task, PIXVERSE_JOB_PROCESSING);
      pixverse_task_set_message (job->task, NULL);
      monitor_save (self, job->task);
    }

  if (!job->busy)
    {
      job_clear_timer (job);
      job->due_us = g_get_real_time ();
      job_poll (job);
    }

  update_n_active (self);
}

/**
 * pixverse_monitor_download_again:
 * @self: a #PixverseMonitor
 * @task: a completed job
 *
 * Fetches the videos of @task that are not on disk (and their poster
 * frames) from its result URLs. Never creates the job again.
 */
void
pixverse_monitor_download_again (PixverseMonitor *self,
                                 PixverseTask    *task)
{
  Job *job;

  g_return_if_fail (PIXVERSE_IS_MONITOR (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));

  if (pixverse_task_get_status (task) != PIXVERSE_JOB_COMPLETED ||
      pixverse_task_get_task_id (task) == NULL ||
      monitor_lookup_job (self, task) != NULL)
    return;

  job = monitor_add_job (self, task);
  update_n_active (self);
  job_start_downloads (job);
}

/* ------------------------------------------------------------------------- *
 * GObject
 * ------------------------------------------------------------------------- */

/**
 * pixverse_monitor_new:
 * @client: the service
 * @history: where jobs are kept
 *
 * Returns: (transfer full): a monitor; call pixverse_monitor_resume() to
 *   pick up the jobs left unfinished
 */
PixverseMonitor *
pixverse_monitor_new (PixverseClient  *client,
                      PixverseHistory *history)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (PIXVERSE_IS_HISTORY (history), NULL);

  return g_object_new (PIXVERSE_TYPE_MONITOR,
                       "client", client,
                       "history", history,
                       NULL);
}

/**
 * pixverse_monitor_get_client:
 * @self: a #PixverseMonitor
 *
 * Returns: (transfer none): the client
 */
PixverseClient *
pixverse_monitor_get_client (PixverseMonitor *self)
{
  g_return_val_if_fail (PIXVERSE_IS_MONITOR (self), NULL);

  return self->client;
}

/**
 * pixverse_monitor_get_history:
 * @self: a #PixverseMonitor
 *
 * Returns: (transfer none): the history
 */
PixverseHistory *
pixverse_monitor_get_history (PixverseMonitor *self)
{
  g_return_val_if_fail (PIXVERSE_IS_MONITOR (self), NULL);

  return self->history;
}

/**
 * pixverse_monitor_get_n_active:
 * @self: a #PixverseMonitor
 *
 * Returns: the jobs being submitted, polled or downloaded now (and a
 *   resume still reading the history)
 */
guint
pixverse_monitor_get_n_active (PixverseMonitor *self)
{
  g_return_val_if_fail (PIXVERSE_IS_MONITOR (self), 0);

  return self->n_active;
}

static void
pixverse_monitor_constructed (GObject *object)
{
  PixverseMonitor *self = (PixverseMonitor *)object;

  G_OBJECT_CLASS (pixverse_monitor_parent_class)->constructed (object);

  g_assert (PIXVERSE_IS_CLIENT (self->client));
  g_assert (PIXVERSE_IS_HISTORY (self->history));

  g_signal_connect_object (self->client, "notify::api-key",
                           G_CALLBACK (api_key_changed_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
pixverse_monitor_dispose (GObject *object)
{
  PixverseMonitor *self = (PixverseMonitor *)object;
  GHashTableIter iter;
  Job *job;

  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->waiting, (GDestroyNotify) job_unref);

  /* Callbacks still on their way find their job orphaned and stop there. */
  g_hash_table_iter_init (&iter, self->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job))
    {
      job_clear_timer (job);
      job->monitor = NULL;
    }
  g_hash_table_remove_all (self->jobs);

  g_clear_object (&self->client);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (pixverse_monitor_parent_class)->dispose (object);
}

static void
pixverse_monitor_finalize (GObject *object)
{
  PixverseMonitor *self = (PixverseMonitor *)object;

  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->videos_dir, g_free);
  g_clear_pointer (&self->posters_dir, g_free);

  G_OBJECT_CLASS (pixverse_monitor_parent_class)->finalize (object);
}

static void
pixverse_monitor_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PixverseMonitor *self = PIXVERSE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;

    case PROP_N_ACTIVE:
      g_value_set_uint (value, self->n_active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_monitor_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PixverseMonitor *self = PIXVERSE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    case PROP_HISTORY:
      self->history = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_monitor_class_init (PixverseMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pixverse_monitor_constructed;
  object_class->dispose = pixverse_monitor_dispose;
  object_class->finalize = pixverse_monitor_finalize;
  object_class->get_property = pixverse_monitor_get_property;
  object_class->set_property = pixverse_monitor_set_property;

  properties [PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PIXVERSE_TYPE_CLIENT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL,
                         PIXVERSE_TYPE_HISTORY,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_N_ACTIVE] =
    g_param_spec_uint ("n-active", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PixverseMonitor::task-finished:
   * @self: the monitor
   * @task: the job
   *
   * A job has no more work here: completed with its downloads and poster
   * frames done (or failed, or expired: see its download state), failed at
   * the service, or unknown after the long cap. Not emitted for a submit
   * that failed, whose caller hears of it from the finish function.
   */
  signals [TASK_FINISHED] =
    g_signal_new ("task-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, PIXVERSE_TYPE_TASK);
}

static void
pixverse_monitor_init (PixverseMonitor *self)
{
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                      NULL, (GDestroyNotify) job_unref);
  g_queue_init (&self->waiting);
  self->videos_dir = pixverse_history_videos_dir ();
  self->posters_dir = pixverse_history_posters_dir ();
}
