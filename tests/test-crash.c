/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-crash"

#include "config.h"

#include <signal.h>

#include "fake-pixwith.h"
#include "pixverse-client.h"
#include "pixverse-history.h"
#include "test-crash-util.h"

/*
 * The kill loop: `pixverse create --wait` and `pixverse resume` are killed
 * with SIGKILL at random moments while they submit, poll and download.
 * After every kill the history must pass integrity_check and hold a row for
 * every create the service saw; in the end `pixverse resume` finishes every
 * job, no job was created twice, and no .part file stands as a video.
 */

static FakePixwith *server;
static guint kills;

static GSubprocess *
spawn_cli (const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (args, (char *) g_getenv ("PIXVERSE_CLI"));
  for (guint i = 0; argv[i]; i++)
    g_ptr_array_add (args, (char *) argv[i]);
  g_ptr_array_add (args, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* The test's isolated dirs live in GLib, not in the environment children get. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_URL", fake_pixwith_get_url (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_KEY", PIXVERSE_TEST_API_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_TIME_SCALE", "0.002", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static void
waited (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Runs @argv for up to @ms, serving meanwhile; kills it if still running. */
static gboolean
run_and_kill (const char * const *argv,
              guint               ms)
{
  g_autoptr(GSubprocess) process = spawn_cli (argv);
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, waited, &done);
  while (!done && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (500);

  if (!done)
    {
      g_subprocess_send_signal (process, SIGKILL);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      kills++;
      return TRUE;
    }
  return FALSE;
}

static void
test_kill_loop (void)
{
  const char *env = g_getenv ("CRASH_KILLS");
  guint target = env ? (guint) g_ascii_strtoull (env, NULL, 10) : 200;
  guint runs = 0;
  guint creates_before_resume;
  g_autoptr(GPtrArray) tasks = NULL;
  GBytes *video = NULL;
  guint with_id = 0, submitting = 0;
  g_autoptr(GError) error = NULL;

  server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_credits (server, G_MAXINT);
  /* 150 s jobs in 0.3 s: kills land in submit, poll and download alike. */
  fake_pixwith_set_time_scale (server, 0.002);
  video = fake_pixwith_get_video_bytes (server);

  while (kills < target)
    {
      g_autofree char *prompt = g_strdup_printf ("job %u: a lighthouse in a storm", runs);
      const char *create[] = { "create", prompt, "--outputs", "2", "--wait", NULL };
      const char *resume[] = { "resume", NULL };
      g_autoptr(GPtrArray) now = NULL;
      guint rows;

      runs++;
      run_and_kill (runs % 5 == 0 ? resume : create, g_random_int_range (0, 700));

      assert_integrity ();
      now = list_all ();
      rows = now->len;
      /* A row is written before every create: none can be missing. */
      g_assert_cmpuint (rows, >=, fake_pixwith_get_request_count (server, "create"));
    }

  g_test_message ("%u runs, %u kills, %u creates seen by the service", runs, kills,
                  fake_pixwith_get_request_count (server, "create"));

  /* Let everything finish; nothing may be created again. */
  creates_before_resume = fake_pixwith_get_request_count (server, "create");
  {
    const char *resume[] = { "resume", NULL };
    g_assert_false (run_and_kill (resume, 120 * 1000));
  }
  g_assert_cmpuint (fake_pixwith_get_request_count (server, "create"), ==, creates_before_resume);
  assert_integrity ();

  tasks = list_all ();
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);
      const char * const *paths = pixverse_task_get_video_paths (task);

      if (pixverse_task_get_task_id (task) == NULL)
        {
          g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_SUBMITTING);
          submitting++;
          continue;
        }

      with_id++;
      g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
      g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_DONE);
      g_assert_cmpuint (g_strv_length ((char **) paths), ==, 2);
      for (guint n = 0; paths[n]; n++)
        {
          g_autofree char *contents = NULL;
          gsize length = 0;

          g_assert_false (g_str_has_suffix (paths[n], ".part"));
          g_assert_true (g_file_get_contents (paths[n], &contents, &length, NULL));
          g_assert_cmpmem (contents, length, g_bytes_get_data (video, NULL), g_bytes_get_size (video));
        }
    }

  /* Every create the service saw has its row: by task id, or still
   * "submitting" when the kill came between the answer and the write. */
  g_test_message ("%u jobs with a task id, %u left in submitting", with_id, submitting);
  /* The loop must have done real work, not failed early every time. */
  g_assert_cmpuint (creates_before_resume, >=, target / 4);
  g_assert_cmpuint (with_id, >, 0);
  g_assert_cmpuint (with_id, <=, creates_before_resume);
  g_assert_cmpuint (with_id + submitting, >=, creates_before_resume);

  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/crash/kill-loop", test_kill_loop);
  return g_test_run ();
}
