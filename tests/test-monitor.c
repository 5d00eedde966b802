/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-monitor"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "fake-pixwith.h"
#include "pixverse-client.h"
#include "pixverse-error.h"
#include "pixverse-history.h"
#include "pixverse-monitor.h"
#include "pixverse-poster.h"
#include "pixverse-schedule.h"

/*
 * PixverseMonitor over real HTTP against the fake service, with a real
 * history. Time runs 50 times faster on both sides (PIXVERSE_TIME_SCALE and
 * the fake's time scale), so a 150 s job takes 3 s; requests are counted at
 * the server. (Faster still, a busy machine's scheduling delays would count
 * as seconds of service time.)
 */

#define SCALE 0.02
#define SCALE_STRING "0.02"
#define WAIT_SECONDS 60

static const guint8 png_magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

typedef struct
{
  FakePixwith     *server;
  PixverseClient  *client;
  PixverseHistory *history;
  PixverseMonitor *monitor;
  GPtrArray       *finished;
} Fixture;

/* ------------------------------------------------------------------------- *
 * Waiting
 * ------------------------------------------------------------------------- */

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @cond holds, failing after WAIT_SECONDS. */
#define wait_for(cond)                                                          \
  G_STMT_START {                                                                \
    gint64 _end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;      \
    guint _tick = g_timeout_add (5, tick_cb, NULL);                             \
    while (!(cond))                                                             \
      {                                                                         \
        if (g_get_monotonic_time () > _end)                                     \
          g_error ("Timed out waiting for %s", #cond);                          \
        g_main_context_iteration (NULL, TRUE);                                  \
      }                                                                         \
    g_source_remove (_tick);                                                    \
  } G_STMT_END

static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  wait_for (g_get_monotonic_time () >= end);
}

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  wait_for (*slot != NULL);
  return *slot;
}

/* Until only the caller's reference is left (requests under way let go). */
static void
wait_for_last_ref (gpointer object)
{
  wait_for (g_atomic_int_get (&G_OBJECT (object)->ref_count) == 1);
}

/* ------------------------------------------------------------------------- *
 * History helpers
 * ------------------------------------------------------------------------- */

static PixverseHistory *
open_history (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = pixverse_history_default_path ();
  PixverseHistory *history;

  pixverse_history_open_async (path, NULL, store_result, &result);
  history = pixverse_history_open_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (history);
  return history;
}

/* The history's one worker answers in order: once this is back, every save
 * made before it is written. */
static PixverseTask *
find_task (PixverseHistory *history,
           const char      *task_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseTask *task;

  pixverse_history_find_async (history, task_id, NULL, store_result, &result);
  task = pixverse_history_find_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  return task;
}

/* The newest row, fully loaded from the database. */
static PixverseTask *
newest_task (PixverseHistory *history)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = NULL;

  pixverse_history_list_async (history, NULL, -1, 1, NULL, store_result, &result);
  tasks = pixverse_history_list_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (tasks);
  g_assert_cmpuint (tasks->len, ==, 1);
  return g_object_ref (g_ptr_array_index (tasks, 0));
}

static void
save_task (PixverseHistory *history,
           PixverseTask    *task)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pixverse_history_save_async (history, task, NULL, store_result, &result);
  pixverse_history_save_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
}

static PixverseTask *
add_task (PixverseHistory *history,
          PixverseRequest *request)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseTask *task;

  pixverse_history_add_async (history, request, NULL, store_result, &result);
  task = pixverse_history_add_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (task);
  return task;
}

/* ------------------------------------------------------------------------- *
 * Fixture
 * ------------------------------------------------------------------------- */

static void
task_finished_cb (PixverseMonitor *monitor,
                  PixverseTask    *task,
                  Fixture         *f)
{
  g_ptr_array_add (f->finished, g_object_ref (task));
}

static void
fixture_start_monitor (Fixture *f)
{
  f->monitor = pixverse_monitor_new (f->client, f->history);
  g_signal_connect (f->monitor, "task-finished", G_CALLBACK (task_finished_cb), f);
}

static void
fixture_stop_monitor (Fixture *f)
{
  wait_for_last_ref (f->monitor);
  g_assert_finalize_object (g_steal_pointer (&f->monitor));
}

static void
fixture_close_history (Fixture *f)
{
  g_autoptr(PixverseTask) none = NULL;

  /* Saves under way are written, and their callbacks have run. */
  none = find_task (f->history, "no-such-task");
  g_assert_null (none);
  wait_for_last_ref (f->history);
  g_assert_finalize_object (g_steal_pointer (&f->history));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_time_scale (f->server, SCALE);

  f->client = pixverse_client_new (fake_pixwith_get_url (f->server), PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);
  /* The client's own retries are not scaled: keep them short here. */
  g_object_set (f->client, "retry-delay", 5, "timeout", 5, NULL);

  f->history = open_history ();
  f->finished = g_ptr_array_new_with_free_func (g_object_unref);
  fixture_start_monitor (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->monitor != NULL)
    fixture_stop_monitor (f);
  /* Requests cancelled by the monitor's dispose come back first. */
  wait_for_last_ref (f->client);
  if (f->history != NULL)
    fixture_close_history (f);
  g_assert_finalize_object (g_steal_pointer (&f->client));
  /* Let the server see the closed connections before it is dropped. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (g_steal_pointer (&f->server));
  g_clear_pointer (&f->finished, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------- *
 * Helpers
 * ------------------------------------------------------------------------- */

static PixverseRequest *
valid_request (int outputs)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, "A lighthouse in a storm, waves crashing");
  pixverse_request_set_num_outputs (request, outputs);
  return request;
}

static PixverseTask *
submit (Fixture          *f,
        PixverseRequest  *request,
        GFile            *image_file,
        GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_monitor_submit_async (f->monitor, request, image_file, NULL, store_result, &result);
  return pixverse_monitor_submit_finish (f->monitor, wait_result (&result), error);
}

static PixverseTask *
submit_ok (Fixture *f,
           int      outputs)
{
  g_autoptr(PixverseRequest) request = valid_request (outputs);
  g_autoptr(GError) error = NULL;
  PixverseTask *task;

  task = submit (f, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (task);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);
  g_assert_nonnull (pixverse_task_get_task_id (task));
  return task;
}

/* Sends @n jobs at once, as a script would, and waits for all of them to
 * be taken by the service. */
static GPtrArray *
submit_many (Fixture *f,
             guint    n,
             int      outputs)
{
  g_autofree GAsyncResult **results = g_new0 (GAsyncResult *, n);
  GPtrArray *tasks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PixverseRequest) request = valid_request (outputs);

      pixverse_monitor_submit_async (f->monitor, request, NULL, NULL, store_result, &results[i]);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      PixverseTask *task;

      task = pixverse_monitor_submit_finish (f->monitor, wait_result (&results[i]), &error);
      g_assert_no_error (error);
      g_clear_object (&results[i]);
      g_ptr_array_add (tasks, task);
    }

  return tasks;
}

static gboolean
was_finished (Fixture      *f,
              PixverseTask *task)
{
  for (guint i = 0; i < f->finished->len; i++)
    {
      PixverseTask *done = g_ptr_array_index (f->finished, i);

      if (pixverse_task_get_id (done) == pixverse_task_get_id (task))
        return TRUE;
    }
  return FALSE;
}

static void
assert_file_bytes (const char *path,
                   GBytes     *expected)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length,
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
assert_png (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 500);
  g_assert_cmpmem (contents, sizeof png_magic, png_magic, sizeof png_magic);
}

/* Every video and poster of @task is on disk where the design says. */
static void
assert_downloaded (Fixture      *f,
                   PixverseTask *task,
                   guint         outputs)
{
  const char * const *videos = pixverse_task_get_video_paths (task);
  const char * const *posters = pixverse_task_get_poster_paths (task);
  g_autofree char *videos_dir = pixverse_history_videos_dir ();
  g_autofree char *posters_dir = pixverse_history_posters_dir ();

  g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_DONE);
  g_assert_nonnull (videos);
  g_assert_nonnull (posters);
  g_assert_cmpuint (g_strv_length ((char **) videos), ==, outputs);
  g_assert_cmpuint (g_strv_length ((char **) posters), ==, outputs);

  for (guint i = 0; i < outputs; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s_%u.mp4", pixverse_task_get_task_id (task), i + 1);
      g_autofree char *poster_name = g_strdup_printf ("%s_%u.png", pixverse_task_get_task_id (task), i + 1);
      g_autofree char *video = g_build_filename (videos_dir, name, NULL);
      g_autofree char *poster = g_build_filename (posters_dir, poster_name, NULL);
      g_autofree char *part = g_strconcat (video, ".part", NULL);

      g_assert_cmpstr (videos[i], ==, video);
      g_assert_cmpstr (posters[i], ==, poster);
      assert_file_bytes (video, fake_pixwith_get_video_bytes (f->server));
      assert_png (poster);
      g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
    }
}

typedef struct
{
  gint64 seen_us;
} Seen;

static void
status_changed_cb (PixverseTask *task,
                   GParamSpec   *pspec,
                   Seen         *seen)
{
  if (seen->seen_us == 0 && pixverse_task_get_status (task) == PIXVERSE_JOB_COMPLETED)
    seen->seen_us = g_get_monotonic_time ();
}

/* ------------------------------------------------------------------------- *
 * Tests
 * ------------------------------------------------------------------------- */

static gboolean
make_poster (GFile   *video,
             GFile   *poster,
             GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_poster_make_async (video, poster, NULL, store_result, &result);
  return pixverse_poster_make_finish (wait_result (&result), error);
}

static void
test_poster (void)
{
  g_autoptr(GFile) video = NULL;
  g_autoptr(GFile) poster = NULL;
  g_autoptr(GFile) bad_poster = NULL;
  g_autoptr(GFile) not_video = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fixture = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text_path = NULL;

  fixture = g_test_build_filename (G_TEST_DIST, "fixtures", "sample.mp4", NULL);
  video = g_file_new_for_path (fixture);
  dir = g_build_filename (g_get_user_cache_dir (), "posters", "deep", NULL);
  poster = g_file_new_build_filename (dir, "sample.png", NULL);

  g_assert_true (make_poster (video, poster, &error));
  g_assert_no_error (error);
  assert_png (g_file_peek_path (poster));

  /* Not a video: an error for a person, and no file. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  text_path = g_build_filename (g_get_user_cache_dir (), "notes.txt", NULL);
  g_file_set_contents (text_path, "not a video at all\n", -1, &error);
  g_assert_no_error (error);
  not_video = g_file_new_for_path (text_path);
  bad_poster = g_file_new_build_filename (dir, "bad.png", NULL);
  g_assert_false (make_poster (not_video, bad_poster, &error));
  g_assert_nonnull (error);
  g_test_message ("not a video: %s", error->message);
  g_assert_false (g_file_query_exists (bad_poster, NULL));
}

/* DESIGN §7: a 150 s job that ends on time costs at most 8 status requests
 * and is seen within 5 s; its video and poster are on disk and stored. */
static void
test_on_time (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;
  Seen seen = { 0 };
  gint64 end_us;
  double delay_s;
  guint gets;

  fake_pixwith_set_estimated_time (f->server, 150);
  task = submit_ok (f, 1);
  g_assert_cmpint (pixverse_task_get_estimated_time (task), ==, 150);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);
  g_signal_connect (task, "notify::status", G_CALLBACK (status_changed_cb), &seen);

  /* The task id is stored before submit returns. */
  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_nonnull (stored);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_PROCESSING);
  g_clear_object (&stored);

  wait_for (was_finished (f, task));
  g_signal_handlers_disconnect_by_data (task, &seen);

  end_us = fake_pixwith_get_task_end_time (f->server, pixverse_task_get_task_id (task));
  gets = fake_pixwith_get_request_count (f->server, "get");
  delay_s = (seen.seen_us - end_us) / (double) G_USEC_PER_SEC / SCALE;
  g_test_message ("on time: %u status requests, seen %.2f s (service time) after completion",
                  gets, delay_s);
  g_assert_cmpuint (gets, <=, 8);
  g_assert_cmpfloat (delay_s, >=, 0.0);
  g_assert_cmpfloat (delay_s, <=, 5.0);

  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpint (pixverse_task_get_finished_at (task), >, 0);
  assert_downloaded (f, task, 1);
  wait_for (pixverse_monitor_get_n_active (f->monitor) == 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "cdn"), ==, 1);

  /* Stored with the files: a new history sees it all. */
  fixture_stop_monitor (f);
  fixture_close_history (f);
  f->history = open_history ();
  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_nonnull (stored);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpint (pixverse_task_get_download_state (stored), ==, PIXVERSE_DOWNLOAD_DONE);
  g_assert_true (g_strv_equal (pixverse_task_get_result_urls (stored),
                               pixverse_task_get_result_urls (task)));
  g_assert_true (g_strv_equal (pixverse_task_get_video_paths (stored),
                               pixverse_task_get_video_paths (task)));
  g_assert_true (g_strv_equal (pixverse_task_get_poster_paths (stored),
                               pixverse_task_get_poster_paths (task)));
}

/* A job that runs five times past its estimate is still waited for. */
static void
test_late (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  Seen seen = { 0 };
  gint64 end_us;
  double delay_s;
  guint gets;

  fake_pixwith_set_estimated_time (f->server, 150);
  fake_pixwith_set_duration_factor (f->server, 5.0);
  task = submit_ok (f, 2);
  g_signal_connect (task, "notify::status", G_CALLBACK (status_changed_cb), &seen);

  wait_for (was_finished (f, task));
  g_signal_handlers_disconnect_by_data (task, &seen);

  end_us = fake_pixwith_get_task_end_time (f->server, pixverse_task_get_task_id (task));
  gets = fake_pixwith_get_request_count (f->server, "get");
  delay_s = (seen.seen_us - end_us) / (double) G_USEC_PER_SEC / SCALE;
  g_test_message ("5x late: %u status requests, seen %.2f s (service time) after completion",
                  gets, delay_s);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpfloat (delay_s, <=, 30.0);
  assert_downloaded (f, task, 2);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
}

static void
test_failed (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;

  fake_pixwith_set_estimated_time (f->server, 60);
  fake_pixwith_set_outcome (f->server, FAKE_OUTCOME_FAIL);
  task = submit_ok (f, 1);

  wait_for (was_finished (f, task));
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_FAILED);
  g_assert_cmpstr (pixverse_task_get_message (task), ==, "The service reports that the job failed");
  g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_NONE);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "cdn"), ==, 0);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 0);

  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_FAILED);
}

/* Past the long cap a job is unknown, kept, and checked again by hand. */
static void
test_unknown_then_check_again (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request (1);
  g_autoptr(PixverseTask) row = NULL;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;
  gint64 cap_s = (gint64) (PIXVERSE_POLL_CAP_SECONDS * SCALE) + 5;
  int estimated_time = 0;
  guint gets;

  /* A job created at the service, whose row says it began longer ago than
   * the cap (as after a week with the app closed). */
  fake_pixwith_set_estimated_time (f->server, 150);
  pixverse_client_create_task_async (f->client, request, NULL, store_result, &result);
  task_id = pixverse_client_create_task_finish (f->client, wait_result (&result), &estimated_time, &error);
  g_assert_no_error (error);

  row = add_task (f->history, request);
  pixverse_task_set_task_id (row, task_id);
  pixverse_task_set_estimated_time (row, estimated_time);
  pixverse_task_set_status (row, PIXVERSE_JOB_PROCESSING);
  pixverse_task_set_created_at (row, g_get_real_time () / G_USEC_PER_SEC - cap_s);
  save_task (f->history, row);

  pixverse_monitor_resume (f->monitor);
  wait_for (f->finished->len == 1);
  task = g_object_ref (g_ptr_array_index (f->finished, 0));
  g_assert_cmpstr (pixverse_task_get_task_id (task), ==, task_id);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_UNKNOWN);
  g_assert_nonnull (pixverse_task_get_message (task));
  /* It asked once before calling it unknown. */
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get"), ==, 1);
  wait_for (pixverse_monitor_get_n_active (f->monitor) == 0);

  /* Kept as unknown, and never picked up by itself again. */
  g_clear_object (&row);
  row = find_task (f->history, task_id);
  g_assert_cmpint (pixverse_task_get_status (row), ==, PIXVERSE_JOB_UNKNOWN);
  pixverse_monitor_resume (f->monitor);
  wait_for (pixverse_monitor_get_n_active (f->monitor) == 0);
  run_for (50);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get"), ==, 1);

  /* The job ends at the service; checked again, it completes. */
  wait_for (g_get_monotonic_time () > fake_pixwith_get_task_end_time (f->server, task_id));
  pixverse_monitor_check_again (f->monitor, task);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);
  wait_for (f->finished->len == 2);
  gets = fake_pixwith_get_request_count (f->server, "get");
  g_assert_cmpuint (gets, ==, 2);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  assert_downloaded (f, task, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
}

/* Monitor A is gone mid-job (the app closed); monitor B on the reopened
 * history finishes it, without a second create. */
static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) resumed = NULL;
  g_autofree char *task_id = NULL;

  fake_pixwith_set_estimated_time (f->server, 150);
  task = submit_ok (f, 1);
  task_id = g_strdup (pixverse_task_get_task_id (task));
  run_for (300);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);

  fixture_stop_monitor (f);
  wait_for_last_ref (f->client);
  g_clear_object (&task);
  fixture_close_history (f);

  f->history = open_history ();
  fixture_start_monitor (f);
  pixverse_monitor_resume (f->monitor);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);
  wait_for (f->finished->len == 1);
  wait_for (pixverse_monitor_get_n_active (f->monitor) == 0);

  resumed = g_object_ref (g_ptr_array_index (f->finished, 0));
  g_assert_cmpstr (pixverse_task_get_task_id (resumed), ==, task_id);
  g_assert_cmpint (pixverse_task_get_status (resumed), ==, PIXVERSE_JOB_COMPLETED);
  assert_downloaded (f, resumed, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  g_test_message ("resumed: %u status requests in all",
                  fake_pixwith_get_request_count (f->server, "get"));
}

/* After a crash mid-download: a video already under its final name is kept,
 * a stale .part is overwritten, and nothing else is fetched again. */
static void
test_resume_downloads (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *second = NULL;
  g_autofree char *second_poster = NULL;
  g_autofree char *part = NULL;
  g_autofree char *first_poster_contents = NULL;
  const char *no_paths[] = { NULL };
  gsize first_poster_length = 0;
  guint cdn;

  fake_pixwith_set_estimated_time (f->server, 20);
  task = submit_ok (f, 2);
  wait_for (was_finished (f, task));
  assert_downloaded (f, task, 2);
  cdn = fake_pixwith_get_request_count (f->server, "cdn");
  g_assert_cmpuint (cdn, ==, 2);

  /* As if killed while the second video was coming in. */
  second = g_strdup (pixverse_task_get_video_paths (task)[1]);
  second_poster = g_strdup (pixverse_task_get_poster_paths (task)[1]);
  part = g_strconcat (second, ".part", NULL);
  g_assert_true (g_file_get_contents (pixverse_task_get_poster_paths (task)[0],
                                      &first_poster_contents, &first_poster_length, NULL));
  g_assert_cmpint (g_unlink (second), ==, 0);
  g_assert_cmpint (g_unlink (second_poster), ==, 0);
  g_file_set_contents (part, "half a video", -1, &error);
  g_assert_no_error (error);
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_RUNNING);
  pixverse_task_set_video_paths (task, no_paths);
  pixverse_task_set_poster_paths (task, no_paths);
  save_task (f->history, task);

  fixture_stop_monitor (f);
  wait_for_last_ref (f->client);
  g_clear_object (&task);
  fixture_close_history (f);
  g_ptr_array_set_size (f->finished, 0);

  f->history = open_history ();
  fixture_start_monitor (f);
  pixverse_monitor_resume (f->monitor);
  wait_for (f->finished->len == 1);
  task = g_object_ref (g_ptr_array_index (f->finished, 0));
  assert_downloaded (f, task, 2);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "cdn"), ==, cdn + 1);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);

  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_cmpint (pixverse_task_get_download_state (stored), ==, PIXVERSE_DOWNLOAD_DONE);
  g_assert_cmpuint (g_strv_length ((char **) pixverse_task_get_video_paths (stored)), ==, 2);
}

/* Downloads that keep failing end in "failed"; Download Again fetches them
 * later, and the job is never created again. */
static void
test_download_retry (Fixture       *f,
                     gconstpointer  data)
{
  const FakeFault mid_body = { FAKE_FAULT_RESET_MID_BODY };
  const FakeFault server_error = { FAKE_FAULT_STATUS, 500, "text/html", "<html>Internal Server Error</html>" };
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;

  fake_pixwith_set_estimated_time (f->server, 20);
  /* The first try and every retry fail. */
  fake_pixwith_add_fault (f->server, "cdn", &mid_body, 1);
  fake_pixwith_add_fault (f->server, "cdn", &server_error, 3);
  task = submit_ok (f, 1);

  wait_for (was_finished (f, task));
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_FAILED);
  g_assert_nonnull (pixverse_task_get_message (task));
  g_test_message ("download failed: %s", pixverse_task_get_message (task));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "cdn"), ==, 4);
  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_cmpint (pixverse_task_get_download_state (stored), ==, PIXVERSE_DOWNLOAD_FAILED);
  g_clear_object (&stored);

  /* By hand, once the videos can be had. */
  pixverse_monitor_download_again (f->monitor, task);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);
  wait_for (f->finished->len == 2);
  assert_downloaded (f, task, 1);
  g_assert_null (pixverse_task_get_message (task));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  stored = find_task (f->history, pixverse_task_get_task_id (task));
  g_assert_cmpint (pixverse_task_get_download_state (stored), ==, PIXVERSE_DOWNLOAD_DONE);

  /* A retry within the limit is not a failure at all. */
  fake_pixwith_add_fault (f->server, "cdn", &server_error, 2);
  g_clear_object (&task);
  task = submit_ok (f, 1);
  wait_for (was_finished (f, task));
  assert_downloaded (f, task, 1);
}

/* Result URLs that no longer work make the download "expired". */
static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  guint gets_before;

  fake_pixwith_set_estimated_time (f->server, 20);
  task = submit_ok (f, 1);
  fake_pixwith_expire_results (f->server, pixverse_task_get_task_id (task));

  wait_for (pixverse_task_get_status (task) == PIXVERSE_JOB_COMPLETED);
  gets_before = fake_pixwith_get_request_count (f->server, "get");
  wait_for (was_finished (f, task));
  g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_EXPIRED);
  g_assert_nonnull (strstr (pixverse_task_get_message (task), "no longer available"));
  /* Asked once for fresh links, tried once, never retried blindly. */
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get"), ==, gets_before + 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "cdn"), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
}

/* Ten jobs at once, next to one whose status requests keep failing: each
 * of the ten is seen on time. */
static void
test_independent (Fixture       *f,
                  gconstpointer  data)
{
  const FakeFault server_error = { FAKE_FAULT_STATUS, 502, "text/html", "<html>Bad Gateway</html>" };
  g_autoptr(PixverseRequest) request = valid_request (1);
  g_autoptr(PixverseTask) broken = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  Seen seen[10] = { { 0 } };
  double worst = 0.0;
  guint gets;

  /* Its service has forgotten it: every status request is an error. */
  broken = add_task (f->history, request);
  pixverse_task_set_task_id (broken, "forgotten-by-the-service");
  pixverse_task_set_estimated_time (broken, 1);
  pixverse_task_set_status (broken, PIXVERSE_JOB_PROCESSING);
  save_task (f->history, broken);
  pixverse_monitor_resume (f->monitor);

  fake_pixwith_set_estimated_time (f->server, 150);
  tasks = submit_many (f, 10, 1);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 11);
  for (guint i = 0; i < tasks->len; i++)
    g_signal_connect (g_ptr_array_index (tasks, i), "notify::status",
                      G_CALLBACK (status_changed_cb), &seen[i]);
  /* And the network hiccups for everyone now and then. */
  fake_pixwith_add_fault (f->server, "get", &server_error, 3);

  for (guint i = 0; i < 10; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);
      gint64 end_us;
      double delay_s;

      wait_for (was_finished (f, task));
      g_signal_handlers_disconnect_by_data (task, &seen[i]);
      g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
      assert_downloaded (f, task, 1);
      end_us = fake_pixwith_get_task_end_time (f->server, pixverse_task_get_task_id (task));
      delay_s = (seen[i].seen_us - end_us) / (double) G_USEC_PER_SEC / SCALE;
      worst = MAX (worst, delay_s);
    }

  gets = fake_pixwith_get_request_count (f->server, "get");
  g_test_message ("10 jobs: %u status requests in all (with the failing one), worst delay %.2f s",
                  gets, worst);
  g_assert_cmpfloat (worst, <=, 10.0);

  /* The broken one is still being asked about, slowly, not failed. */
  g_assert_false (was_finished (f, broken));
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 10);
}

/* Jobs made together are asked about at offsets of their own, so their
 * answers do not all come in one moment; the offset is fixed per job, under
 * a second of service time. */
static void
test_poll_spread (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  guint lowest = G_MAXUINT;
  guint highest = 0;

  for (gint64 id = 1; id <= 50; id++)
    {
      guint spread = pixverse_poll_spread_ms (id);

      g_assert_cmpuint (spread, ==, pixverse_poll_spread_ms (id));
      g_assert_cmpuint (spread, <, 1000 * SCALE);
      g_hash_table_add (seen, GUINT_TO_POINTER (spread + 1));
      lowest = MIN (lowest, spread);
      highest = MAX (highest, spread);
    }

  /* 50 jobs in a row over at least half the second, in many places. */
  g_test_message ("50 jobs: %u offsets from %u to %u ms",
                  g_hash_table_size (seen), lowest, highest);
  g_assert_cmpuint (g_hash_table_size (seen), >=, 10);
  g_assert_cmpuint (highest - lowest, >=, 500 * SCALE);
}

typedef struct
{
  guint running;
  guint most_running;
} Slots;

static void
download_state_cb (PixverseTask *task,
                   GParamSpec   *pspec,
                   Slots        *slots)
{
  gboolean running = pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_RUNNING;
  gboolean was_running = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "test-running"));

  if (running == was_running)
    return;
  g_object_set_data (G_OBJECT (task), "test-running", GINT_TO_POINTER (running));
  if (running)
    slots->running++;
  else
    slots->running--;
  slots->most_running = MAX (slots->most_running, slots->running);
}

/* Ten jobs that end together fetch their videos at most four at a time;
 * the others wait their turn, and every one is downloaded in the end. */
static void
test_download_slots (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) tasks = NULL;
  Slots slots = { 0 };

  /* Long enough (1.2 s here) for all ten to be sent before any ends. */
  fake_pixwith_set_estimated_time (f->server, 60);
  tasks = submit_many (f, 10, 2);
  for (guint i = 0; i < tasks->len; i++)
    g_signal_connect (g_ptr_array_index (tasks, i), "notify::download-state",
                      G_CALLBACK (download_state_cb), &slots);

  for (guint i = 0; i < tasks->len; i++)
    wait_for (was_finished (f, g_ptr_array_index (tasks, i)));

  g_test_message ("10 jobs ending together: at most %u downloading at once", slots.most_running);
  g_assert_cmpuint (slots.most_running, <=, 4);
  g_assert_cmpuint (slots.most_running, >=, 2);
  g_assert_cmpuint (slots.running, ==, 0);
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);

      g_signal_handlers_disconnect_by_data (task, &slots);
      assert_downloaded (f, task, 2);
    }
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 0);
}

/* The image is uploaded before create, and a failed upload sends no create. */
static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  const FakeFault refused = { FAKE_FAULT_STATUS, 403, "application/xml",
                              "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>" };
  g_autoptr(PixverseRequest) request = valid_request (1);
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;
  g_autoptr(GFile) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image_bytes = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  GString *png = g_string_new_len ((const char *) png_magic, sizeof png_magic);
  GBytes *sent;

  for (guint i = 0; i < 200; i++)
    g_string_append_c (png, (char) i);
  image_bytes = g_string_free_to_bytes (png);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  path = g_build_filename (g_get_user_cache_dir (), "photo.png", NULL);
  g_file_set_contents (path, g_bytes_get_data (image_bytes, NULL), g_bytes_get_size (image_bytes), &error);
  g_assert_no_error (error);
  image = g_file_new_for_path (path);

  fake_pixwith_set_estimated_time (f->server, 20);
  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  task = submit (f, request, image, &error);
  g_assert_no_error (error);
  g_assert_nonnull (task);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "s3"), ==, 1);
  g_assert_true (g_bytes_equal (fake_pixwith_get_last_upload_file (f->server), image_bytes));
  sent = fake_pixwith_get_last_body (f->server, "create");
  body = g_strndup (g_bytes_get_data (sent, NULL), g_bytes_get_size (sent));
  g_assert_nonnull (strstr (body, pixverse_request_get_image_url (pixverse_task_get_request (task))));
  g_assert_true (g_str_has_prefix (pixverse_request_get_image_url (pixverse_task_get_request (task)),
                                   fake_pixwith_get_url (f->server)));
  wait_for (was_finished (f, task));
  assert_downloaded (f, task, 1);
  g_clear_object (&task);

  /* The upload target refuses: the row fails, no create is sent. */
  fake_pixwith_add_fault (f->server, "s3", &refused, 1);
  task = submit (f, request, image, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP);
  g_assert_null (task);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 0);

  /* Its row says so (the newest row of the history). */
  stored = newest_task (f->history);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_FAILED);
  g_assert_cmpstr (pixverse_task_get_message (stored), ==, error->message);
  g_assert_null (pixverse_task_get_task_id (stored));
}

/* A refused create fails its row; one that may have reached the service
 * stays "submitting" and is never sent again, not even by resume. */
static void
test_create_failures (Fixture       *f,
                      gconstpointer  data)
{
  const FakeFault reset = { FAKE_FAULT_RESET };
  g_autoptr(PixverseRequest) request = valid_request (1);
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) stored = NULL;
  g_autoptr(GError) error = NULL;

  fake_pixwith_set_credits (f->server, 0);
  task = submit (f, request, NULL, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CREDITS);
  g_assert_null (task);
  stored = newest_task (f->history);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_FAILED);
  g_assert_cmpstr (pixverse_task_get_message (stored), ==, "Credits not enough");
  g_clear_object (&stored);
  g_clear_error (&error);

  fake_pixwith_set_credits (f->server, 1000);
  fake_pixwith_add_fault (f->server, "create", &reset, 1);
  task = submit (f, request, NULL, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
  g_assert_null (task);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 2);
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 0);
  stored = newest_task (f->history);
  g_assert_cmpstr (pixverse_task_get_message (stored), ==, error->message);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_SUBMITTING);

  /* Nothing picks it up by itself. */
  pixverse_monitor_resume (f->monitor);
  wait_for (pixverse_monitor_get_n_active (f->monitor) == 0);
  run_for (50);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 2);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get"), ==, 0);
  g_clear_object (&stored);
  stored = newest_task (f->history);
  g_assert_cmpint (pixverse_task_get_status (stored), ==, PIXVERSE_JOB_SUBMITTING);
}

/* A refused key pauses a job (it stays processing); a new key resumes it. */
static void
test_auth_pause (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(PixverseTask) task = NULL;
  guint gets;

  fake_pixwith_set_estimated_time (f->server, 20);
  task = submit_ok (f, 1);
  pixverse_client_set_api_key (f->client, "key_revoked_000000000000000000000");

  /* Long past its end: asked a few times at the slow rate, never failed. */
  run_for ((guint) (20 * 1000 * SCALE * 8));
  gets = fake_pixwith_get_request_count (f->server, "get");
  g_assert_cmpuint (gets, >=, 1);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);
  g_assert_nonnull (pixverse_task_get_message (task));
  g_assert_false (was_finished (f, task));
  g_assert_cmpuint (pixverse_monitor_get_n_active (f->monitor), ==, 1);

  pixverse_client_set_api_key (f->client, PIXVERSE_TEST_API_KEY);
  wait_for (was_finished (f, task));
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  assert_downloaded (f, task, 1);
  g_assert_null (pixverse_task_get_message (task));
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything reads it: every wait of the monitor, 50 times faster. */
  g_setenv ("PIXVERSE_TIME_SCALE", SCALE_STRING, TRUE);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/monitor/poster", test_poster);
  ADD ("/monitor/on-time", test_on_time);
  ADD ("/monitor/late", test_late);
  ADD ("/monitor/failed", test_failed);
  ADD ("/monitor/unknown-then-check-again", test_unknown_then_check_again);
  ADD ("/monitor/resume", test_resume);
  ADD ("/monitor/resume-downloads", test_resume_downloads);
  ADD ("/monitor/download-retry", test_download_retry);
  ADD ("/monitor/expired", test_expired);
  ADD ("/monitor/independent", test_independent);
  g_test_add_func ("/monitor/poll-spread", test_poll_spread);
  ADD ("/monitor/download-slots", test_download_slots);
  ADD ("/monitor/upload", test_upload);
  ADD ("/monitor/create-failures", test_create_failures);
  ADD ("/monitor/auth-pause", test_auth_pause);

  return g_test_run ();
}
