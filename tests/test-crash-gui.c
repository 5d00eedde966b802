/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-crash-gui"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include <adwaita.h>

#include "fake-pixwith.h"
#include "test-gui-util.h"
#include "pixverse-application.h"
#include "pixverse-composer.h"
#include "pixverse-history.h"
#include "test-crash-util.h"
#include "pixverse-monitor.h"
#include "pixverse-window.h"

/*
 * The kill loop of test-crash.c, for the window: this program runs the real
 * Pixverse Studio (its application, window, monitor and history) in a child
 * process of itself, drives it through the window's own actions (a prompt
 * composed and win.generate; win.delete-task) or lets it resume, and kills
 * it with SIGKILL at a random moment: while it starts, submits, polls,
 * downloads or deletes. After every kill the history must pass
 * integrity_check and hold a row for every create the service answered
 * (less the jobs deleted on purpose); at the end one more start finishes
 * every job, nothing was created twice, and every video is whole, at its
 * final name, never a .part file.
 *
 * CRASH_GUI_KILLS sets the number of kills (200).
 */

#define TIME_SCALE "0.002"
#define SAMPLE_PROMPT "a lighthouse in a storm, seen from the window"
#define READY_TIMEOUT_S 120
#define FINISH_TIMEOUT_S 240

typedef enum
{
  PHASE_SUBMIT,
  PHASE_POLL,
  PHASE_DOWNLOAD,
  PHASE_DELETE,
  PHASE_STARTUP,
  N_PHASES,
} Phase;

/* ------------------------------------------------------------------------- *
 * The child: the real app
 * ------------------------------------------------------------------------- */

typedef struct
{
  PixverseApplication *app;
  PixverseWindow      *window;
  Phase                phase;
  guint                seed;
  guint                step;
  guint                waits;
} Child;

static gboolean
child_app_ready (Child *child)
{
  return !pixverse_application_get_loading (child->app) &&
         pixverse_application_get_key_state (child->app) != PIXVERSE_KEY_LOOKING_UP &&
         pixverse_application_get_history (child->app) != NULL &&
         gtk_widget_get_mapped (GTK_WIDGET (child->window));
}

static void
child_generate (Child *child)
{
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autofree char *prompt = g_strdup_printf ("%s (%u.%u)", SAMPLE_PROMPT, child->seed, child->step);

  pixverse_request_set_prompt (request, prompt);
  pixverse_request_set_num_outputs (request, 2);
  pixverse_request_set_resolution (request, "540p");
  pixverse_request_set_aspect_ratio (request, "16:9");
  pixverse_request_set_duration (request, 5);
  pixverse_composer_set_request (pixverse_window_get_composer (child->window), request);
  gtk_widget_activate_action (GTK_WIDGET (child->window), "win.generate", NULL);
}

/* Deletes the oldest finished job through the window, noting its id first
 * (a kill may land before or after the delete is written). */
static gboolean
child_delete (Child *child)
{
  PixverseHistory *history = pixverse_application_get_history (child->app);
  GListModel *model = G_LIST_MODEL (history);
  guint n = g_list_model_get_n_items (model);
  const char *path = g_getenv ("CRASH_DELETED");

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(PixverseTask) task = g_list_model_get_item (model, i - 1);
      FILE *file;

      if (pixverse_task_get_status (task) != PIXVERSE_JOB_COMPLETED ||
          pixverse_task_get_download_state (task) != PIXVERSE_DOWNLOAD_DONE)
        continue;

      file = fopen (path, "a");
      g_assert_nonnull (file);
      fprintf (file, "%" G_GINT64_FORMAT "\n", pixverse_task_get_id (task));
      fclose (file);
      gtk_widget_activate_action (GTK_WIDGET (child->window), "win.delete-task", "x",
                                  pixverse_task_get_id (task));
      /* Closing the window commits the delete at once, as it does when a
       * person closes it before the undo toast goes; the app stays up (held
       * here) while the delete is written and the monitor works. */
      g_application_hold (G_APPLICATION (child->app));
      gtk_window_close (GTK_WINDOW (child->window));
      return TRUE;
    }

  return FALSE;
}

/* What the app is waiting for, when it takes long to be ready. */
static void
child_report_state (Child *child)
{
  const GError *error = pixverse_application_get_history_error (child->app);

  g_printerr ("test-crash-gui child: loading %d, key state %d, history %p (%s), mapped %d\n",
              pixverse_application_get_loading (child->app),
              pixverse_application_get_key_state (child->app),
              (gpointer) pixverse_application_get_history (child->app),
              error != NULL ? error->message : "no error",
              gtk_widget_get_mapped (GTK_WIDGET (child->window)));
}

static gboolean
child_tick_cb (gpointer user_data)
{
  Child *child = user_data;

  /* Closed after a delete: the app runs on without a window. */
  if (child->window == NULL)
    return G_SOURCE_REMOVE;

  if (!child_app_ready (child))
    {
      /* A history that did not open is a failure, not a wait. */
      if (!pixverse_application_get_loading (child->app) &&
          pixverse_application_get_history (child->app) == NULL)
        {
          child_report_state (child);
          exit (3);
        }
      if (++child->waits % 200 == 0)
        child_report_state (child);
      return G_SOURCE_CONTINUE;
    }

  if (child->step == 0)
    {
      g_print ("ready\n");
      fflush (stdout);
    }

  switch (child->phase)
    {
    case PHASE_SUBMIT:
      /* A job now and then, as a person would, while the others run. */
      if (child->step % 10 == 0)
        child_generate (child);
      break;
    case PHASE_DELETE:
      /* Rows fill in as their page loads: look until one is finished. */
      if (child_delete (child))
        return G_SOURCE_REMOVE;
      break;
    case PHASE_POLL:
    case PHASE_DOWNLOAD:
    case PHASE_STARTUP:
    case N_PHASES:
    default:
      /* The app resumes unfinished jobs and downloads by itself. */
      break;
    }

  child->step++;
  return G_SOURCE_CONTINUE;
}

static void
child_activate_cb (GApplication *app,
                   Child        *child)
{
  if (child->window != NULL)
    return;

  g_set_weak_pointer (&child->window,
                      PIXVERSE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app))));
  g_assert_true (PIXVERSE_IS_WINDOW (child->window));
  g_timeout_add (50, child_tick_cb, child);
}

static int
run_child (Phase phase,
           guint seed)
{
  Child child = { .phase = phase, .seed = seed };

  /* A failing test must not leave its app running. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  child.app = pixverse_application_new ();
  /* Each start a process of its own: no single-instance name to wait for
   * while the killed one's is released. */
  g_application_set_flags (G_APPLICATION (child.app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (child.app, "activate", G_CALLBACK (child_activate_cb), &child);
  return g_application_run (G_APPLICATION (child.app), 0, NULL);
}

/* ------------------------------------------------------------------------- *
 * The parent: the loop
 * ------------------------------------------------------------------------- */

static FakePixwith *server;
static char *self_path;
/* The system dirs before g_test_init() isolated them: the app needs the
 * real MIME database and icon themes, as it would have them. */
static char *system_data_dirs;
static char *system_config_dirs;

typedef struct
{
  GSubprocess *process;
  gboolean     exited;
  gboolean     ready;
  gboolean     reading;
  GString     *out;
} Run;

static void
run_exited_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  ((Run *) user_data)->exited = TRUE;
}

static void
read_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      run->reading = FALSE;
      return;
    }

  g_string_append_len (run->out, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (strstr (run->out->str, "ready\n") != NULL)
    run->ready = TRUE;
  g_input_stream_read_bytes_async (G_INPUT_STREAM (object), 256, G_PRIORITY_DEFAULT, NULL,
                                   read_out_cb, run);
}

static GSubprocess *
spawn_child (Phase phase,
             guint seed)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *phase_arg = g_strdup_printf ("%d", phase);
  g_autofree char *seed_arg = g_strdup_printf ("%u", seed);
  g_autofree char *deleted = g_build_filename (g_get_user_data_dir (), "deleted-ids", NULL);
  GSubprocess *process;

  /* stderr goes to the test log: a child that aborts says why. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* The test's isolated dirs live in GLib, not in the environment children get. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  if (system_data_dirs != NULL)
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", system_data_dirs, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "XDG_DATA_DIRS");
  if (system_config_dirs != NULL)
    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_DIRS", system_config_dirs, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "XDG_CONFIG_DIRS");
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_URL", fake_pixwith_get_url (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_KEY", PIXVERSE_TEST_API_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_TIME_SCALE", TIME_SCALE, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRASH_DELETED", deleted, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, self_path, "--child",
                                         phase_arg, seed_arg, NULL);
  g_assert_no_error (error);
  return process;
}

static void
wait_exited (Run *run)
{
  while (!run->exited)
    g_main_context_iteration (NULL, TRUE);
}

/* Starts the app in @phase and kills it at a random moment of it; returns
 * the phase the kill landed in (start-up if the app was not ready yet), or
 * N_PHASES if the app ended by itself, which it must do cleanly. */
static Phase
run_and_kill (Phase phase,
              guint seed)
{
  Run run = { .out = g_string_new (NULL) };
  /* One kill in eight lands anywhere in the start-up. */
  gboolean early = g_random_int_range (0, 8) == 0;
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = 0;
  Phase landed = N_PHASES;

  run.process = spawn_child (phase, seed);
  g_subprocess_wait_async (run.process, NULL, run_exited_cb, &run);
  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (run.process), 256,
                                   G_PRIORITY_DEFAULT, NULL, read_out_cb, &run);
  run.reading = TRUE;
  if (early)
    deadline = start + g_random_int_range (0, 1500) * 1000;

  while (!run.exited)
    {
      gint64 now = g_get_monotonic_time ();

      if (deadline == 0 && run.ready)
        deadline = now + g_random_int_range (0, 1500) * 1000;
      if (deadline == 0 && now - start > READY_TIMEOUT_S * G_USEC_PER_SEC)
        g_error ("The app was not ready after %d s (start %u, phase %d)",
                 READY_TIMEOUT_S, seed, phase);
      if (deadline != 0 && now >= deadline)
        {
          landed = run.ready ? phase : PHASE_STARTUP;
          g_subprocess_send_signal (run.process, SIGKILL);
          wait_exited (&run);
          break;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }

  if (landed == N_PHASES)
    {
      /* Not killed: it must have ended well (its stderr, above, says why not). */
      g_assert_false (g_subprocess_get_if_signaled (run.process));
      g_assert_cmpint (g_subprocess_get_exit_status (run.process), ==, 0);
    }
  else
    {
      g_assert_true (g_subprocess_get_if_signaled (run.process));
      g_assert_cmpint (g_subprocess_get_term_sig (run.process), ==, SIGKILL);
    }

  /* The pending read ends with the pipe; let it finish before @run goes. */
  while (run.reading)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&run.process);
  g_string_free (run.out, TRUE);
  return landed;
}

/* A stand-in for the desktop's notification server on the test's bus: the
 * app notifies of jobs that finish while its window is closed, and GIO's
 * warning when nobody listens would be fatal in the tests. */
static void
notifications_method_call (GDBusConnection       *connection,
                           const char            *sender,
                           const char            *object_path,
                           const char            *interface_name,
                           const char            *method_name,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation,
                           gpointer               user_data)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static guint
own_notification_server (GDBusConnection *bus)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint object_id;

  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  object_id = g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                                 &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                NULL, NULL, NULL, NULL);
  return object_id;
}

static guint
count_deleted (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "deleted-ids", NULL);
  g_autofree char *contents = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  for (const char *p = contents; (p = strchr (p, '\n')) != NULL; p++)
    n++;
  return n;
}

/* No video path the history gives is a .part file, and every one of a
 * finished download is the whole video. */
static void
assert_videos (GPtrArray *tasks,
               GBytes    *video)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);
      const char * const *paths = pixverse_task_get_video_paths (task);

      for (guint n = 0; paths != NULL && paths[n] != NULL; n++)
        g_assert_false (g_str_has_suffix (paths[n], ".part"));

      if (pixverse_task_get_download_state (task) != PIXVERSE_DOWNLOAD_DONE)
        continue;
      for (guint n = 0; paths[n] != NULL; n++)
        {
          g_autofree char *contents = NULL;
          gsize length = 0;

          g_assert_true (g_file_get_contents (paths[n], &contents, &length, NULL));
          g_assert_cmpmem (contents, length, g_bytes_get_data (video, NULL), g_bytes_get_size (video));
        }
    }
}

static gboolean
all_finished (GPtrArray *tasks)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);

      if (pixverse_task_get_task_id (task) == NULL)
        continue;
      if (pixverse_task_get_status (task) != PIXVERSE_JOB_COMPLETED ||
          pixverse_task_get_download_state (task) != PIXVERSE_DOWNLOAD_DONE)
        return FALSE;
    }
  return TRUE;
}

/* The last start: runs until every job with a task id is completed and
 * downloaded, then it is stopped (the app has no reason to quit by itself). */
static void
finish_all (void)
{
  Run run = { .out = g_string_new (NULL) };
  gint64 end = g_get_monotonic_time () + FINISH_TIMEOUT_S * G_USEC_PER_SEC;
  gboolean done = FALSE;

  run.process = spawn_child (PHASE_POLL, 0);
  g_subprocess_wait_async (run.process, NULL, run_exited_cb, &run);
  while (!run.exited && !done && g_get_monotonic_time () < end)
    {
      g_autoptr(GPtrArray) tasks = NULL;

      for (int i = 0; i < 100; i++)
        g_main_context_iteration (NULL, FALSE), g_usleep (5000);
      tasks = list_all ();
      done = all_finished (tasks);
    }
  g_assert_false (run.exited);
  g_subprocess_send_signal (run.process, SIGKILL);
  wait_exited (&run);
  g_clear_object (&run.process);
  g_string_free (run.out, TRUE);
  if (!done)
    g_error ("Not every job finished within %d s of the last start", FINISH_TIMEOUT_S);
}

static void
test_gui_kill_loop (void)
{
  /* Starts are turned this way: submit, poll, submit, download, delete. */
  static const Phase cycle[] = { PHASE_SUBMIT, PHASE_POLL, PHASE_SUBMIT, PHASE_DOWNLOAD, PHASE_DELETE };
  const char *env = g_getenv ("CRASH_GUI_KILLS");
  guint target = env ? (guint) g_ascii_strtoull (env, NULL, 10) : 200;
  guint kills_by_phase[N_PHASES] = { 0 };
  g_autoptr(GHashTable) interrupted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;
  guint kills = 0, runs = 0, clean_exits = 0, checks = 0;
  guint creates, with_id = 0, submitting = 0, resumed = 0;
  gint64 start = g_get_monotonic_time ();
  GBytes *video;
  const FakeFault slow = { .kind = FAKE_FAULT_SLOW, .delay_ms = 300 };
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  guint notifications_id;

  if (bus == NULL)
    {
      g_test_skip ("No session bus");
      return;
    }
  notifications_id = own_notification_server (bus);

  server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_credits (server, G_MAXINT);
  /* 150 s jobs in 0.3 s: kills land in submit, poll and download alike. */
  fake_pixwith_set_time_scale (server, g_ascii_strtod (TIME_SCALE, NULL));
  video = fake_pixwith_get_video_bytes (server);

  while (kills < target)
    {
      Phase phase = cycle[runs % G_N_ELEMENTS (cycle)];
      g_autoptr(GPtrArray) now = NULL;
      Phase landed;

      /* Downloads that take a while, so that kills land inside them. */
      fake_pixwith_clear_faults (server);
      if (phase == PHASE_DOWNLOAD)
        fake_pixwith_add_fault (server, "cdn", &slow, 8);

      landed = run_and_kill (phase, runs++);
      if (landed == N_PHASES)
        clean_exits++;
      else
        kills++, kills_by_phase[landed]++;
      if (runs % 25 == 0)
        g_test_message ("%u starts, %u kills, %.0f s", runs, kills,
                        (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

      assert_integrity ();
      checks++;
      now = list_all ();
      /* A row is written before every create: none may be missing, but
       * the ones deleted on purpose. */
      g_assert_cmpuint (now->len + count_deleted (), >=,
                        fake_pixwith_get_request_count (server, "create"));
      assert_videos (now, video);
      for (guint i = 0; i < now->len; i++)
        {
          PixverseTask *task = g_ptr_array_index (now, i);

          if (pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_RUNNING)
            g_hash_table_add (interrupted, g_strdup (pixverse_task_get_task_id (task)));
        }
    }
  fake_pixwith_clear_faults (server);

  /* Let everything finish; nothing may be created again. */
  creates = fake_pixwith_get_request_count (server, "create");
  finish_all ();
  g_assert_cmpuint (fake_pixwith_get_request_count (server, "create"), ==, creates);
  assert_integrity ();
  checks++;

  tasks = list_all ();
  assert_videos (tasks, video);
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);
      const char *task_id = pixverse_task_get_task_id (task);

      if (task_id == NULL)
        {
          g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_SUBMITTING);
          submitting++;
          continue;
        }
      with_id++;
      g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
      g_assert_cmpint (pixverse_task_get_download_state (task), ==, PIXVERSE_DOWNLOAD_DONE);
      g_assert_cmpuint (g_strv_length ((char **) pixverse_task_get_video_paths (task)), ==, 2);
      if (g_hash_table_contains (interrupted, task_id))
        resumed++;
    }

  g_test_message ("%u starts, %u kills (submit %u, poll %u, download %u, delete %u, "
                  "start-up %u), %u ended by themselves, %u integrity checks passed, "
                  "%.0f s",
                  runs + 1, kills, kills_by_phase[PHASE_SUBMIT], kills_by_phase[PHASE_POLL],
                  kills_by_phase[PHASE_DOWNLOAD], kills_by_phase[PHASE_DELETE],
                  kills_by_phase[PHASE_STARTUP], clean_exits, checks,
                  (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  g_test_message ("%u jobs created, %u deleted, %u completed and downloaded, "
                  "%u left in submitting, %u downloads interrupted by a kill and resumed",
                  creates, count_deleted (), with_id, submitting, resumed);

  /* Every create the service saw has its row (or was deleted on purpose):
   * by task id, or still "submitting" when the kill came between the
   * answer and the write. The loop must have done real work. */
  g_assert_cmpuint (with_id + submitting + count_deleted (), >=, creates);
  g_assert_cmpuint (with_id, <=, creates);
  g_assert_cmpuint (creates, >=, target / 10);
  g_assert_cmpuint (with_id, >, 0);

  g_dbus_connection_unregister_object (bus, notifications_id);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (server);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "--child"))
    {
      return run_child ((Phase) g_ascii_strtoull (argv[2], NULL, 10),
                        (guint) g_ascii_strtoull (argv[3], NULL, 10));
    }

  self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self_path);
  system_data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));
  system_config_dirs = g_strdup (g_getenv ("XDG_CONFIG_DIRS"));
  pixverse_test_keep_mime_database ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/crash/gui-kill-loop", test_gui_kill_loop);
  return g_test_run ();
}
