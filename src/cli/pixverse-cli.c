/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "pixverse-client.h"
#include "pixverse-error.h"
#include "pixverse-history.h"
#include "pixverse-monitor.h"
#include "pixverse-request.h"
#include "pixverse-schedule.h"
#include "pixverse-secrets.h"

/*
 * pixverse: the command line. It shares the core with the window, so it
 * speaks to the service exactly as the window does.
 */

/* Distinct exit codes, for scripts; README lists them. */
enum {
  EXIT_OK = 0,
  EXIT_USAGE = 2,
  EXIT_INVALID_REQUEST = 3,
  EXIT_AUTH = 4,
  EXIT_CREDITS = 5,
  EXIT_SERVICE = 6,
  EXIT_HTTP = 7,
  EXIT_PROTOCOL = 8,
  EXIT_NETWORK = 9,
  EXIT_TIMEOUT = 10,
  EXIT_TASK_FAILED = 11,
  EXIT_STILL_RUNNING = 12,
  EXIT_CANCELLED = 130,
};

typedef struct
{
  GMainLoop        *loop;
  GCancellable     *cancellable;
  PixverseClient   *client;
  PixverseHistory  *history;
  PixverseMonitor  *monitor;
  PixverseTask     *task;
  PixverseRequest  *request;
  char             *image_file;
  char             *task_id;
  const char       *status_text;
  char            **result_urls;
  char             *search;
  int               status_filter;
  int               limit;
  guint             resuming;
  char             *download_dir;
  int               estimated_time;
  gint64            started_at;
  guint             polls;
  guint             failures;
  guint             poll_source;
  guint             progress_source;
  PixverseTaskInfo *info;
  GPtrArray        *files;
  guint             next_download;
  gboolean          json;
  gboolean          wait;
  gboolean          tty;
  gboolean          progress_shown;
  int               exit_code;
  void            (*then) (gpointer state);
  void            (*then_core) (gpointer state);
} Cli;

static void
cli_clear (Cli *cli)
{
  g_clear_handle_id (&cli->poll_source, g_source_remove);
  g_clear_handle_id (&cli->progress_source, g_source_remove);
  g_clear_object (&cli->request);
  g_clear_object (&cli->task);
  g_clear_object (&cli->monitor);
  g_clear_object (&cli->history);
  g_clear_object (&cli->client);
  g_clear_object (&cli->cancellable);
  g_clear_pointer (&cli->loop, g_main_loop_unref);
  g_clear_pointer (&cli->image_file, g_free);
  g_clear_pointer (&cli->task_id, g_free);
  g_clear_pointer (&cli->download_dir, g_free);
  g_clear_pointer (&cli->info, pixverse_task_info_free);
  g_clear_pointer (&cli->files, g_ptr_array_unref);
  g_clear_pointer (&cli->result_urls, g_strfreev);
  g_clear_pointer (&cli->search, g_free);
}

/* ------------------------------------------------------------------------- *
 * Output
 * ------------------------------------------------------------------------- */

static void
clear_progress (Cli *cli)
{
  if (cli->progress_shown)
    {
      fputs ("\r\033[K", stderr);
      cli->progress_shown = FALSE;
    }
}

static void
show_progress (Cli        *cli,
               const char *line)
{
  if (!cli->tty)
    return;
  fprintf (stderr, "\r\033[K%s", line);
  fflush (stderr);
  cli->progress_shown = TRUE;
}

static int
exit_code_for (const GError *error)
{
  if (error->domain != PIXVERSE_ERROR)
    return EXIT_SERVICE;

  switch ((PixverseError) error->code)
    {
    case PIXVERSE_ERROR_INVALID_REQUEST: return EXIT_INVALID_REQUEST;
    case PIXVERSE_ERROR_AUTH:            return EXIT_AUTH;
    case PIXVERSE_ERROR_CREDITS:         return EXIT_CREDITS;
    case PIXVERSE_ERROR_SERVICE:         return EXIT_SERVICE;
    case PIXVERSE_ERROR_HTTP:            return EXIT_HTTP;
    case PIXVERSE_ERROR_PROTOCOL:        return EXIT_PROTOCOL;
    case PIXVERSE_ERROR_NETWORK:         return EXIT_NETWORK;
    case PIXVERSE_ERROR_TIMEOUT:         return EXIT_TIMEOUT;
    case PIXVERSE_ERROR_CANCELLED:       return EXIT_CANCELLED;
    default:                             return EXIT_SERVICE;
    }
}

static void
print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

/* Ends the command with @error: a line on stderr, and JSON on stdout for
 * scripts that asked for it. */
static void
cli_fail (Cli          *cli,
          const GError *error)
{
  clear_progress (cli);
  g_printerr ("pixverse: %s\n", error->message);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (builder);
      if (cli->task_id != NULL)
        {
          json_builder_set_member_name (builder, "task_id");
          json_builder_add_string_value (builder, cli->task_id);
        }
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder,
                                     error->domain == PIXVERSE_ERROR
                                       ? pixverse_error_code_to_string (error->code)
                                       : "service");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error->message);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      print_json (node);
    }

  cli->exit_code = exit_code_for (error);
  g_main_loop_quit (cli->loop);
}

static const char *
status_name (PixverseTaskStatus status)
{
  switch (status)
    {
    case PIXVERSE_TASK_STATUS_PROCESSING: return "processing";
    case PIXVERSE_TASK_STATUS_COMPLETED:  return "completed";
    case PIXVERSE_TASK_STATUS_FAILED:     return "failed";
    default:                              return "unknown";
    }
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < 60)
    return g_strdup_printf (_("%d s"), (int) seconds);
  return g_strdup_printf (_("%d min %02d s"), (int) (seconds / 60), (int) (seconds % 60));
}

/* What the service said of the job, when asked directly. */
static void
cli_take_info (Cli              *cli,
               PixverseTaskInfo *info)
{
  g_clear_pointer (&cli->info, pixverse_task_info_free);
  cli->info = info;
  cli->status_text = status_name (info->status);
  g_clear_pointer (&cli->result_urls, g_strfreev);
  cli->result_urls = g_strdupv (info->result_urls);
}

/* What the history knows of the job. */
static void
cli_take_task (Cli          *cli,
               PixverseTask *task)
{
  const char * const *urls = pixverse_task_get_result_urls (task);
  const char * const *paths = pixverse_task_get_video_paths (task);

  g_set_object (&cli->task, task);
  g_free (cli->task_id);
  cli->task_id = g_strdup (pixverse_task_get_task_id (task));
  cli->estimated_time = pixverse_task_get_estimated_time (task);
  cli->status_text = pixverse_job_status_to_string (pixverse_task_get_status (task));
  g_clear_pointer (&cli->result_urls, g_strfreev);
  cli->result_urls = g_strdupv ((char **) urls);

  if (cli->download_dir == NULL && paths != NULL)
    {
      g_clear_pointer (&cli->files, g_ptr_array_unref);
      cli->files = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; paths[i]; i++)
        if (*paths[i] != '\0')
          g_ptr_array_add (cli->files, g_strdup (paths[i]));
    }
}

/* The final report of a job: plain lines for people, one object for scripts. */
static void
print_result (Cli *cli)
{
  const char *status = cli->status_text ? cli->status_text : "processing";

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "task_id");
      if (cli->task_id != NULL)
        json_builder_add_string_value (builder, cli->task_id);
      else
        json_builder_add_null_value (builder);
      if (cli->estimated_time > 0)
        {
          json_builder_set_member_name (builder, "estimated_time");
          json_builder_add_int_value (builder, cli->estimated_time);
        }
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status);
      json_builder_set_member_name (builder, "result_urls");
      json_builder_begin_array (builder);
      for (guint i = 0; cli->result_urls && cli->result_urls[i]; i++)
        json_builder_add_string_value (builder, cli->result_urls[i]);
      json_builder_end_array (builder);
      if (cli->files != NULL)
        {
          json_builder_set_member_name (builder, "files");
          json_builder_begin_array (builder);
          for (guint i = 0; i < cli->files->len; i++)
            json_builder_add_string_value (builder, g_ptr_array_index (cli->files, i));
          json_builder_end_array (builder);
        }
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      print_json (node);
      return;
    }

  if (!cli->wait && g_str_equal (status, "processing"))
    {
      g_autofree char *eta = format_duration (cli->estimated_time);

      if (cli->estimated_time > 0)
        g_print (_("Task %s created; it should take about %s.\n"), cli->task_id, eta);
      else
        g_print (_("Task %s created.\n"), cli->task_id);
      g_print (_("Follow it with: pixverse wait %s\n"), cli->task_id);
      return;
    }

  g_print (_("Task %s: %s\n"), cli->task_id ? cli->task_id : _("(not sent)"), status);
  if (cli->files != NULL && cli->files->len > 0)
    for (guint i = 0; i < cli->files->len; i++)
      g_print ("%s\n", (const char *) g_ptr_array_index (cli->files, i));
  else
    for (guint i = 0; cli->result_urls && cli->result_urls[i]; i++)
      g_print ("%s\n", cli->result_urls[i]);
}

static void
cli_done (Cli *cli)
{
  clear_progress (cli);
  print_result (cli);
  if (cli->wait && g_strcmp0 (cli->status_text, "failed") == 0)
    {
      if (!cli->json)
        g_printerr (_("pixverse: the service reports that task %s failed\n"), cli->task_id);
      cli->exit_code = EXIT_TASK_FAILED;
    }
  else if (cli->wait && g_strcmp0 (cli->status_text, "submitting") == 0)
    {
      g_printerr (_("pixverse: this job may or may not have reached the service; "
                    "it is never sent again by itself\n"));
      cli->exit_code = EXIT_SERVICE;
    }
  else if (cli->wait && g_strcmp0 (cli->status_text, "unknown") == 0)
    {
      g_printerr (_("pixverse: task %s is still processing after an hour; "
                    "run “pixverse wait %s” again later\n"),
                  cli->task_id, cli->task_id);
      cli->exit_code = EXIT_STILL_RUNNING;
    }
  g_main_loop_quit (cli->loop);
}

/* ------------------------------------------------------------------------- *
 * Downloading the results: DIR/<task id>_<n>.mp4, never a name from the URL
 * ------------------------------------------------------------------------- */

static void download_next (Cli *cli);

/* Task ids come from the service: only a plain subset may name a file. */
static char *
safe_file_stem (const char *task_id)
{
  GString *stem = g_string_new (NULL);

  for (const char *p = task_id; *p && stem->len < 80; p++)
    g_string_append_c (stem, (g_ascii_isalnum (*p) || *p == '-' || *p == '_') ? *p : '_');
  if (stem->len == 0)
    g_string_append (stem, "task");
  return g_string_free (stem, FALSE);
}

static void
download_progress_cb (goffset  current,
                      goffset  total,
                      gpointer user_data)
{
  Cli *cli = user_data;
  g_autofree char *line = NULL;
  guint n = g_strv_length (cli->info->result_urls);

  if (total > 0)
    line = g_strdup_printf (_("Downloading video %u of %u: %d%%"),
                            cli->next_download + 1, n, (int) (current * 100 / total));
  else
    /* A plain %lld, as xgettext cannot read G_GOFFSET_FORMAT in a msgid. */
    line = g_strdup_printf (_("Downloading video %u of %u: %lld KB"),
                            cli->next_download + 1, n, (long long) (current / 1024));
  show_progress (cli, line);
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_client_download_finish (PIXVERSE_CLIENT (object), result, &error))
    {
      cli_fail (cli, error);
      return;
    }

  cli->next_download++;
  download_next (cli);
}

static void
download_next (Cli *cli)
{
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  const char *url = cli->info->result_urls[cli->next_download];

  if (url == NULL)
    {
      cli_done (cli);
      return;
    }

  stem = safe_file_stem (cli->task_id);
  name = g_strdup_printf ("%s_%u.mp4", stem, cli->next_download + 1);
  path = g_build_filename (cli->download_dir, name, NULL);
  file = g_file_new_for_path (path);
  g_ptr_array_add (cli->files, g_steal_pointer (&path));

  pixverse_client_download_async (cli->client, url, file,
                                  download_progress_cb, cli, NULL,
                                  cli->cancellable, download_cb, cli);
}

/* Makes --download DIR (blocking, but before any transfer starts). */
static gboolean
make_download_dir (Cli *cli)
{
  g_autoptr(GFile) dir = g_file_new_for_commandline_arg (cli->download_dir);
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (dir, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_autoptr(GError) mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                              _("Could not make the folder “%s”: %s"),
                                              cli->download_dir, error->message);
      cli_fail (cli, mapped);
      return FALSE;
    }

  g_free (cli->download_dir);
  cli->download_dir = g_file_get_path (dir);
  return TRUE;
}

static void
start_downloads (Cli *cli)
{
  if (!make_download_dir (cli))
    return;
  cli->files = g_ptr_array_new_with_free_func (g_free);
  cli->next_download = 0;
  download_next (cli);
}

/* ------------------------------------------------------------------------- *
 * Waiting for a job
 * ------------------------------------------------------------------------- */

static void poll_now (Cli *cli);

static gboolean
progress_tick_cb (gpointer user_data)
{
  Cli *cli = user_data;
  gint64 elapsed = (g_get_monotonic_time () - cli->started_at) / G_USEC_PER_SEC;
  g_autofree char *line = NULL;

  if (cli->estimated_time > 0)
    {
      double scale = pixverse_time_scale ();
      gint64 service_elapsed = (gint64) (elapsed / scale);
      int percent = (int) MIN (99, service_elapsed * 100 / cli->estimated_time);

      if (service_elapsed < cli->estimated_time)
        {
          g_autofree char *left = format_duration ((gint64) ((cli->estimated_time - service_elapsed) * scale));
          line = g_strdup_printf (_("Task %s: processing, %d%%, about %s left"),
                                  cli->task_id, percent, left);
        }
      else
        {
          g_autofree char *over = format_duration (elapsed);
          line = g_strdup_printf (_("Task %s: processing for %s, past the estimate; still waiting"),
                                  cli->task_id, over);
        }
    }
  else
    {
      g_autofree char *waited = format_duration (elapsed);
      line = g_strdup_printf (_("Task %s: processing for %s"), cli->task_id, waited);
    }

  show_progress (cli, line);
  return G_SOURCE_CONTINUE;
}

static gboolean
poll_cb (gpointer user_data)
{
  Cli *cli = user_data;

  cli->poll_source = 0;
  poll_now (cli);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (Cli *cli)
{
  gint64 elapsed_ms = (g_get_monotonic_time () - cli->started_at) / 1000;
  guint delay = pixverse_poll_delay_ms (elapsed_ms, cli->estimated_time, cli->polls, cli->failures);

  cli->poll_source = g_timeout_add (delay, poll_cb, cli);
}

static void
get_task_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  gint64 elapsed_ms;

  cli->polls++;
  info = pixverse_client_get_task_finish (PIXVERSE_CLIENT (object), result, &error);
  elapsed_ms = (g_get_monotonic_time () - cli->started_at) / 1000;

  if (info == NULL)
    {
      /* A network hiccup does not end a wait for a paid job; other errors do. */
      if ((g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK) ||
           g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_TIMEOUT) ||
           g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP)) &&
          !pixverse_poll_gave_up (elapsed_ms))
        {
          clear_progress (cli);
          g_printerr (_("pixverse: %s (still waiting)\n"), error->message);
          cli->failures++;
          schedule_poll (cli);
          return;
        }
      cli_fail (cli, error);
      return;
    }

  cli->failures = 0;
  cli_take_info (cli, g_steal_pointer (&info));

  if (!cli->wait)
    {
      cli_done (cli);
      return;
    }

  if (cli->info->status == PIXVERSE_TASK_STATUS_PROCESSING)
    {
      if (pixverse_poll_gave_up (elapsed_ms))
        {
          clear_progress (cli);
          g_printerr (_("pixverse: task %s is still processing after an hour; "
                        "run “pixverse wait %s” again later\n"),
                      cli->task_id, cli->task_id);
          cli->exit_code = EXIT_STILL_RUNNING;
          g_main_loop_quit (cli->loop);
          return;
        }
      schedule_poll (cli);
      return;
    }

  g_clear_handle_id (&cli->progress_source, g_source_remove);
  if (cli->info->status == PIXVERSE_TASK_STATUS_COMPLETED && cli->download_dir != NULL)
    start_downloads (cli);
  else
    cli_done (cli);
}

static void
poll_now (Cli *cli)
{
  pixverse_client_get_task_async (cli->client, cli->task_id, cli->cancellable, get_task_cb, cli);
}

static void
start_waiting (Cli *cli)
{
  cli->started_at = g_get_monotonic_time ();
  if (cli->tty)
    {
      progress_tick_cb (cli);
      cli->progress_source = g_timeout_add_seconds (1, progress_tick_cb, cli);
    }
  if (cli->estimated_time > 0)
    schedule_poll (cli);
  else
    poll_now (cli);
}

/* ------------------------------------------------------------------------- *
 * The client, with the key from the environment or the keyring
 * ------------------------------------------------------------------------- */

static void
key_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  key = pixverse_secrets_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_autoptr(GError) mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH,
                                              _("Could not read the API key from the keyring: %s"),
                                              error->message);
      cli_fail (cli, mapped);
      return;
    }

  if (key == NULL)
    {
      g_autoptr(GError) missing = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH,
                                               _("No API key: run “pixverse login” or set PIXVERSE_API_KEY "
                                                 "(the public test key is %s)"),
                                               PIXVERSE_TEST_API_KEY);
      cli_fail (cli, missing);
      return;
    }

  pixverse_client_set_api_key (cli->client, key);
  cli->then (cli);
}

/* Makes the client, then runs @then once it has a key. */
static gboolean
with_client (Cli    *cli,
             void  (*then) (gpointer state))
{
  g_autoptr(GError) error = NULL;
  const char *url = g_getenv ("PIXVERSE_API_URL");

  cli->client = pixverse_client_new (url && *url ? url : NULL, NULL, &error);
  if (cli->client == NULL)
    {
      g_printerr ("pixverse: %s\n", error->message);
      cli->exit_code = EXIT_USAGE;
      return FALSE;
    }

  cli->then = then;
  pixverse_secrets_lookup_async (cli->cancellable, key_cb, cli);
  return TRUE;
}

static void
history_drained_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTask) task = NULL;

  task = pixverse_history_find_finish (PIXVERSE_HISTORY (object), result, NULL);
  g_main_loop_quit (cli->loop);
}

static int
run_loop (Cli *cli)
{
  g_main_loop_run (cli->loop);
  clear_progress (cli);

  /* The history has one worker taking requests in order: once a last look-up
   * is answered, every save the monitor queued before it is on disk. */
  if (cli->history != NULL)
    {
      g_clear_object (&cli->monitor);
      pixverse_history_find_async (cli->history, "", NULL, history_drained_cb, cli);
      g_main_loop_run (cli->loop);
    }

  return cli->exit_code;
}

/* Ctrl+C ends the command at once; a created job goes on at the service. */
static gboolean
on_interrupt (gpointer user_data)
{
  Cli *cli = user_data;

  g_cancellable_cancel (cli->cancellable);
  clear_progress (cli);
  if (cli->task_id != NULL)
    g_printerr (_("pixverse: interrupted; task %s goes on at the service: "
                  "“pixverse wait %s” picks it up again\n"),
                cli->task_id, cli->task_id);
  else
    g_printerr (_("pixverse: interrupted\n"));
  cli->exit_code = EXIT_CANCELLED;
  g_main_loop_quit (cli->loop);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------- *
 * The history and the monitor: jobs made here are recorded, so the window
 * (or `pixverse resume`) finishes them if this command is stopped.
 * ------------------------------------------------------------------------- */

static void
history_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  const char *recovered;

  cli->history = pixverse_history_open_finish (result, &error);
  if (cli->history == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  recovered = pixverse_history_get_recovered_path (cli->history);
  if (recovered != NULL)
    g_printerr (_("pixverse: the history was damaged; it was moved aside to %s and a new one was started\n"),
                recovered);

  if (cli->client != NULL)
    cli->monitor = pixverse_monitor_new (cli->client, cli->history);
  cli->then_core (cli);
}

static void
open_history (gpointer state)
{
  Cli *cli = state;

  pixverse_history_open_async (NULL, cli->cancellable, history_opened_cb, cli);
}

/* The history only: for commands that need no network. */
static void
with_history (Cli    *cli,
              void  (*then) (gpointer state))
{
  cli->then_core = then;
  open_history (cli);
}

static gboolean with_client (Cli   *cli,
                             void (*then) (gpointer state));

/* Client (with its key), history and monitor, then @then. */
static gboolean
with_core (Cli    *cli,
           void  (*then) (gpointer state))
{
  cli->then_core = then;
  return with_client (cli, open_history);
}

/* Copies the job's videos into --download DIR as NAME.part, then NAME. */
static void copy_next (Cli *cli);

static void
copy_moved_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_move_finish (G_FILE (object), result, &error))
    {
      g_autoptr(GError) mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                              _("Could not save the video in “%s”: %s"),
                                              cli->download_dir, error->message);
      cli_fail (cli, mapped);
      return;
    }

  cli->next_download++;
  copy_next (cli);
}

static void
copy_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  const char *path = g_ptr_array_index (cli->files, cli->next_download);
  g_autofree char *part_path = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) part = g_file_new_for_path (part_path);
  g_autoptr(GFile) destination = g_file_new_for_path (path);

  if (!g_file_copy_finish (G_FILE (object), result, &error))
    {
      g_autoptr(GError) mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                              _("Could not save the video in “%s”: %s"),
                                              cli->download_dir, error->message);
      cli_fail (cli, mapped);
      return;
    }

  g_file_move_async (part, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     cli->cancellable, NULL, NULL, copy_moved_cb, cli);
}

static void
copy_next (Cli *cli)
{
  const char * const *paths = pixverse_task_get_video_paths (cli->task);
  g_autoptr(GFile) source = NULL;
  g_autoptr(GFile) part = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part_path = NULL;

  if (paths == NULL || paths[cli->next_download] == NULL)
    {
      cli_done (cli);
      return;
    }

  source = g_file_new_for_path (paths[cli->next_download]);
  name = g_file_get_basename (source);
  path = g_build_filename (cli->download_dir, name, NULL);
  part_path = g_strconcat (path, ".part", NULL);
  part = g_file_new_for_path (part_path);
  g_ptr_array_add (cli->files, g_steal_pointer (&path));

  g_file_copy_async (source, part, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     cli->cancellable, NULL, NULL, copy_done_cb, cli);
}

static gboolean make_download_dir (Cli *cli);

/* The monitor is idle: the job is as done as it gets. */
static void
task_settled (Cli *cli)
{
  PixverseTask *task = cli->task;
  PixverseDownloadState state = pixverse_task_get_download_state (task);

  g_clear_handle_id (&cli->progress_source, g_source_remove);
  cli_take_task (cli, task);

  if (pixverse_task_get_status (task) == PIXVERSE_JOB_COMPLETED &&
      state != PIXVERSE_DOWNLOAD_DONE)
    {
      g_autoptr(GError) error = NULL;

      error = g_error_new (PIXVERSE_ERROR, state == PIXVERSE_DOWNLOAD_EXPIRED ? PIXVERSE_ERROR_HTTP
                                                                            : PIXVERSE_ERROR_NETWORK,
                           state == PIXVERSE_DOWNLOAD_EXPIRED
                             ? _("Task %s is completed, but its video links have expired")
                             : _("Task %s is completed, but its videos could not be downloaded; "
                                 "try “pixverse download %s”"),
                           cli->task_id, cli->task_id);
      cli_fail (cli, error);
      return;
    }

  if (pixverse_task_get_status (task) == PIXVERSE_JOB_COMPLETED && cli->download_dir != NULL)
    {
      if (!make_download_dir (cli))
        return;
      cli->files = g_ptr_array_new_with_free_func (g_free);
      cli->next_download = 0;
      copy_next (cli);
      return;
    }

  cli_done (cli);
}

static void
monitor_active_cb (PixverseMonitor *monitor,
                   GParamSpec      *pspec,
                   Cli             *cli)
{
  if (pixverse_monitor_get_n_active (monitor) == 0)
    {
      g_signal_handlers_disconnect_by_func (monitor, monitor_active_cb, cli);
      task_settled (cli);
    }
}

static gboolean progress_tick_cb (gpointer user_data);

/* Waits until the monitor has nothing left to do for the job. */
static void
wait_for_task (Cli *cli)
{
  gint64 age = g_get_real_time () / G_USEC_PER_SEC - pixverse_task_get_created_at (cli->task);

  cli_take_task (cli, cli->task);
  cli->started_at = g_get_monotonic_time () - MAX (age, 0) * G_USEC_PER_SEC;
  if (cli->tty && pixverse_task_get_status (cli->task) == PIXVERSE_JOB_PROCESSING)
    {
      progress_tick_cb (cli);
      cli->progress_source = g_timeout_add_seconds (1, progress_tick_cb, cli);
    }

  if (pixverse_monitor_get_n_active (cli->monitor) == 0)
    {
      task_settled (cli);
      return;
    }
  g_signal_connect (cli->monitor, "notify::n-active", G_CALLBACK (monitor_active_cb), cli);
}

/* ------------------------------------------------------------------------- *
 * Commands
 * ------------------------------------------------------------------------- */

/* Parses one command's options and positional arguments; prints help
 * and returns FALSE on a usage error. */
static gboolean
parse_options (const char          *summary,
               const GOptionEntry  *entries,
               int                 *argc,
               char              ***argv,
               int                  min_args,
               int                  max_args)
{
  g_autoptr(GOptionContext) context = g_option_context_new (summary);
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("pixverse: %s\n", error->message);
      g_printerr (_("Try “pixverse %s --help”.\n"), (*argv)[0]);
      return FALSE;
    }

  if (*argc - 1 < min_args || *argc - 1 > max_args)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return FALSE;
    }

  return TRUE;
}

static void
submit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  clear_progress (cli);
  task = pixverse_monitor_submit_finish (PIXVERSE_MONITOR (object), result, &error);
  if (task == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  cli_take_task (cli, task);
  if (!cli->wait)
    {
      cli_done (cli);
      return;
    }

  if (!cli->json && cli->tty)
    g_printerr (_("Task %s created.\n"), cli->task_id);
  wait_for_task (cli);
}

static void
create_with_core (gpointer state)
{
  Cli *cli = state;
  g_autoptr(GFile) image = NULL;

  if (cli->image_file != NULL)
    {
      image = g_file_new_for_commandline_arg (cli->image_file);
      show_progress (cli, _("Uploading the image…"));
    }

  pixverse_monitor_submit_async (cli->monitor, cli->request, image, cli->cancellable,
                                 submit_cb, cli);
}

/* An address (anything with a scheme) is checked as an image URL; anything
 * else names a local file to upload. */
static gboolean
looks_like_url (const char *text)
{
  return g_uri_peek_scheme (text) != NULL && strstr (text, "://") != NULL;
}

static int
command_create (Cli   *cli,
                int    argc,
                char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *image = NULL;
  g_autofree char *resolution = NULL;
  g_autofree char *aspect = NULL;
  g_autofree char *resolutions = g_strjoinv (", ", (char **) pixverse_request_get_resolutions ());
  g_autofree char *aspects = g_strjoinv (", ", (char **) pixverse_request_get_aspect_ratios ());
  g_autofree char *resolution_help = g_strdup_printf (_("Resolution: %s (default 720p)"), resolutions);
  g_autofree char *aspect_help = g_strdup_printf (_("Aspect ratio: %s (default 16:9)"), aspects);
  int outputs = 1;
  int duration = 5;
  gboolean no_optimize = FALSE;
  GOptionEntry entries[] = {
    { "image", 'i', 0, G_OPTION_ARG_STRING, &image, N_("Image-to-video from an image URL or a local JPEG/PNG file"), N_("URL|FILE") },
    { "outputs", 'n', 0, G_OPTION_ARG_INT, &outputs, N_("Number of videos, 1 to 4 (default 1)"), "N" },
    { "resolution", 'r', 0, G_OPTION_ARG_STRING, &resolution, resolution_help, "R" },
    { "aspect", 'a', 0, G_OPTION_ARG_STRING, &aspect, aspect_help, "A" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration, N_("Duration in seconds: 5 or 8 (default 5)"), "S" },
    { "no-optimize", 0, 0, G_OPTION_ARG_NONE, &no_optimize, N_("Send the prompt as it is (no translation to English)"), NULL },
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &cli->wait, N_("Wait until the videos are ready"), NULL },
    { "download", 'o', 0, G_OPTION_ARG_FILENAME, &cli->download_dir, N_("Wait, then download the videos into DIR"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  if (!parse_options (_("PROMPT — create a Pixverse V5 video"),
                      entries, &argc, &argv, 1, 1))
    return EXIT_USAGE;

  cli->request = pixverse_request_new ();
  pixverse_request_set_prompt (cli->request, argv[1]);
  pixverse_request_set_num_outputs (cli->request, outputs);
  pixverse_request_set_duration (cli->request, duration);
  pixverse_request_set_prompt_optimization (cli->request, !no_optimize);
  if (resolution != NULL)
    pixverse_request_set_resolution (cli->request, resolution);
  if (aspect != NULL)
    pixverse_request_set_aspect_ratio (cli->request, aspect);
  if (image != NULL)
    {
      pixverse_request_set_mode (cli->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
      if (looks_like_url (image))
        pixverse_request_set_image_url (cli->request, image);
      else
        cli->image_file = g_steal_pointer (&image);
    }
  cli->wait = cli->wait || cli->download_dir != NULL;

  /* Everything but an image still to upload is checked before any request. */
  for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
    {
      if (field == PIXVERSE_REQUEST_FIELD_IMAGE_URL && cli->image_file != NULL)
        continue;
      if (!pixverse_request_validate_field (cli->request, field, &error))
        {
          cli_fail (cli, error);
          return cli->exit_code;
        }
    }

  /* A bad image file is refused before anything is opened or sent. */
  if (cli->image_file != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (cli->image_file);

      if (!pixverse_check_image_file (file, NULL, &error))
        {
          cli_fail (cli, error);
          return cli->exit_code;
        }
    }

  if (!with_core (cli, create_with_core))
    return cli->exit_code;
  return run_loop (cli);
}

static void
wait_found_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_history_find_finish (PIXVERSE_HISTORY (object), result, &error);
  if (error != NULL)
    {
      cli_fail (cli, error);
      return;
    }

  /* A job made elsewhere (not in our history): ask the service directly. */
  if (task == NULL)
    {
      start_waiting (cli);
      return;
    }

  g_set_object (&cli->task, task);
  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_PROCESSING:
    case PIXVERSE_JOB_UNKNOWN:
      pixverse_monitor_check_again (cli->monitor, task);
      break;

    case PIXVERSE_JOB_COMPLETED:
      if (pixverse_task_get_download_state (task) != PIXVERSE_DOWNLOAD_DONE)
        pixverse_monitor_download_again (cli->monitor, task);
      break;

    case PIXVERSE_JOB_SUBMITTING:
    case PIXVERSE_JOB_FAILED:
    default:
      break;
    }

  wait_for_task (cli);
}

static void
wait_with_key (gpointer state)
{
  Cli *cli = state;

  pixverse_history_find_async (cli->history, cli->task_id, cli->cancellable, wait_found_cb, cli);
}

static void
status_with_key (gpointer state)
{
  poll_now (state);
}

static int
command_wait (Cli   *cli,
              int    argc,
              char **argv,
              gboolean wait)
{
  GOptionEntry wait_entries[] = {
    { "download", 'o', 0, G_OPTION_ARG_FILENAME, &cli->download_dir, N_("Download the videos into DIR"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  /* status takes --json only */
  if (!parse_options (wait ? _("TASK_ID — wait for a job, then show or download its videos")
                           : _("TASK_ID — show where a job is"),
                      wait ? wait_entries : wait_entries + 1, &argc, &argv, 1, 1))
    return EXIT_USAGE;

  cli->task_id = g_strdup (argv[1]);
  cli->wait = wait;
  if (wait ? !with_core (cli, wait_with_key) : !with_client (cli, status_with_key))
    return cli->exit_code;
  return run_loop (cli);
}

static void
credits_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  gint64 credits = 0;

  if (!pixverse_client_get_credits_finish (PIXVERSE_CLIENT (object), result, &credits, &error))
    {
      cli_fail (cli, error);
      return;
    }

  if (cli->json)
    g_print ("{\n  \"credits\" : %" G_GINT64_FORMAT "\n}\n", credits);
  else
    {
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, credits);

      /* Translators: %s is a number of credits left on the account */
      g_print (g_dngettext (GETTEXT_PACKAGE, "%s credit left\n", "%s credits left\n",
                            (gulong) CLAMP (credits, 0, G_MAXLONG)),
               number);
    }
  g_main_loop_quit (cli->loop);
}

static void
credits_with_key (gpointer state)
{
  Cli *cli = state;

  pixverse_client_get_credits_async (cli->client, cli->cancellable, credits_cb, cli);
}

static int
command_credits (Cli   *cli,
                 int    argc,
                 char **argv)
{
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  if (!parse_options (_("— show the credits left on the account"),
                      entries, &argc, &argv, 0, 0))
    return EXIT_USAGE;

  if (!with_client (cli, credits_with_key))
    return cli->exit_code;
  return run_loop (cli);
}

/* --- pixverse history ---------------------------------------------------- */

static void
add_task_json (JsonBuilder  *builder,
               PixverseTask *task)
{
  PixverseRequest *request = pixverse_task_get_request (task);
  const char * const *lists[] = {
    pixverse_task_get_result_urls (task),
    pixverse_task_get_video_paths (task),
    pixverse_task_get_poster_paths (task),
  };
  const char *list_names[] = { "result_urls", "files", "posters" };
  g_autofree char *request_json = pixverse_request_to_string (request, NULL);
  const char *message = pixverse_task_get_message (task);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "task_id");
  if (pixverse_task_get_task_id (task) != NULL)
    json_builder_add_string_value (builder, pixverse_task_get_task_id (task));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, pixverse_job_status_to_string (pixverse_task_get_status (task)));
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, pixverse_task_get_created_at (task));
  json_builder_set_member_name (builder, "estimated_time");
  json_builder_add_int_value (builder, pixverse_task_get_estimated_time (task));
  json_builder_set_member_name (builder, "message");
  if (message != NULL)
    json_builder_add_string_value (builder, message);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "request");
  if (request_json != NULL)
    json_builder_add_value (builder, json_from_string (request_json, NULL));
  else
    json_builder_add_null_value (builder);
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    {
      json_builder_set_member_name (builder, list_names[l]);
      json_builder_begin_array (builder);
      for (guint i = 0; lists[l] != NULL && lists[l][i] != NULL; i++)
        if (*lists[l][i] != '\0')
          json_builder_add_string_value (builder, lists[l][i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
print_task_line (PixverseTask *task)
{
  PixverseRequest *request = pixverse_task_get_request (task);
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_local (pixverse_task_get_created_at (task));
  g_autofree char *when = created ? g_date_time_format (created, "%Y-%m-%d %H:%M") : g_strdup ("?");
  g_autofree char *prompt = g_strdup (pixverse_request_get_prompt (request));
  const char *task_id = pixverse_task_get_task_id (task);

  /* One line per job: newlines in a prompt would break that. */
  g_strdelimit (prompt, "\r\n\t", ' ');
  if (g_utf8_strlen (prompt, -1) > 60)
    {
      g_autofree char *cut = g_utf8_substring (prompt, 0, 59);
      g_free (prompt);
      prompt = g_strconcat (cut, "…", NULL);
    }

  g_print ("%-32s  %-10s  %s  %-5s %-4s %d s ×%d  %s\n",
           task_id ? task_id : _("(not sent)"),
           pixverse_job_status_to_string (pixverse_task_get_status (task)),
           when,
           pixverse_request_get_resolution (request),
           pixverse_request_get_aspect_ratio (request),
           pixverse_request_get_duration (request),
           pixverse_request_get_num_outputs (request),
           prompt);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;

  tasks = pixverse_history_list_finish (PIXVERSE_HISTORY (object), result, &error);
  if (tasks == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < tasks->len; i++)
        add_task_json (builder, g_ptr_array_index (tasks, i));
      json_builder_end_array (builder);
      node = json_builder_get_root (builder);
      print_json (node);
    }
  else if (tasks->len == 0)
    g_printerr (_("No jobs.\n"));
  else
    for (guint i = 0; i < tasks->len; i++)
      print_task_line (g_ptr_array_index (tasks, i));

  g_main_loop_quit (cli->loop);
}

static void
history_with_core (gpointer state)
{
  Cli *cli = state;

  pixverse_history_list_async (cli->history, cli->search, cli->status_filter,
                               (guint) MAX (cli->limit, 0), cli->cancellable, listed_cb, cli);
}

static int
command_history (Cli   *cli,
                 int    argc,
                 char **argv)
{
  g_autofree char *status = NULL;
  GOptionEntry entries[] = {
    { "search", 's', 0, G_OPTION_ARG_STRING, &cli->search, N_("Only jobs whose prompt has these words"), N_("TEXT") },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, N_("Only jobs in this state: submitting, processing, completed, failed, unknown"), N_("S") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &cli->limit, N_("At most N jobs, newest first"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the jobs as JSON"), NULL },
    { NULL }
  };

  if (!parse_options (_("— list the jobs in the history, newest first"),
                      entries, &argc, &argv, 0, 0))
    return EXIT_USAGE;

  cli->status_filter = -1;
  if (status != NULL)
    {
      PixverseJobStatus value;

      if (!pixverse_job_status_from_string (status, &value))
        {
          g_printerr (_("pixverse: unknown status “%s”: use submitting, processing, completed, failed or unknown\n"),
                      status);
          return EXIT_USAGE;
        }
      cli->status_filter = (int) value;
    }

  with_history (cli, history_with_core);
  return run_loop (cli);
}

/* --- pixverse resume ----------------------------------------------------- */

static void
resume_finished_cb (PixverseMonitor *monitor,
                    PixverseTask    *task,
                    Cli             *cli)
{
  PixverseJobStatus status = pixverse_task_get_status (task);

  clear_progress (cli);
  if (!cli->json)
    g_print (_("Task %s: %s\n"), pixverse_task_get_task_id (task),
             pixverse_job_status_to_string (status));
  if (status == PIXVERSE_JOB_FAILED)
    cli->exit_code = EXIT_TASK_FAILED;
  else if (status == PIXVERSE_JOB_UNKNOWN && cli->exit_code == EXIT_OK)
    cli->exit_code = EXIT_STILL_RUNNING;
}

static void
resume_idle_cb (PixverseMonitor *monitor,
                GParamSpec      *pspec,
                Cli             *cli)
{
  guint active = pixverse_monitor_get_n_active (monitor);

  if (active > 0)
    {
      g_autofree char *line = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u job still running…",
                                                            "%u jobs still running…", active),
                                               active);
      show_progress (cli, line);
      return;
    }

  clear_progress (cli);
  g_main_loop_quit (cli->loop);
}

static void
unfinished_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GError) error = NULL;

  tasks = pixverse_history_list_unfinished_finish (PIXVERSE_HISTORY (object), result, &error);
  if (tasks == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  if (tasks->len == 0)
    {
      if (!cli->json)
        g_print (_("Nothing to resume: every job is finished.\n"));
      g_main_loop_quit (cli->loop);
      return;
    }

  if (!cli->json)
    g_print (g_dngettext (GETTEXT_PACKAGE, "Resuming %u job.\n", "Resuming %u jobs.\n", tasks->len),
             tasks->len);
  g_signal_connect (cli->monitor, "task-finished", G_CALLBACK (resume_finished_cb), cli);
  g_signal_connect (cli->monitor, "notify::n-active", G_CALLBACK (resume_idle_cb), cli);
  pixverse_monitor_resume (cli->monitor);
}

static void
resume_with_core (gpointer state)
{
  Cli *cli = state;

  pixverse_history_list_unfinished_async (cli->history, cli->cancellable, unfinished_cb, cli);
}

static int
command_resume (Cli   *cli,
                int    argc,
                char **argv)
{
  if (!parse_options (_("— finish every unfinished job of the history"),
                      NULL, &argc, &argv, 0, 0))
    return EXIT_USAGE;

  if (!with_core (cli, resume_with_core))
    return cli->exit_code;
  return run_loop (cli);
}

/* --- pixverse download / rm ------------------------------------------------ */

static gboolean
require_task (Cli          *cli,
              PixverseTask *task)
{
  if (task == NULL)
    {
      g_autoptr(GError) error = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                             _("No job %s in the history"), cli->task_id);
      cli_fail (cli, error);
      return FALSE;
    }
  g_set_object (&cli->task, task);
  return TRUE;
}

static void
download_found_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_history_find_finish (PIXVERSE_HISTORY (object), result, &error);
  if (error != NULL)
    {
      cli_fail (cli, error);
      return;
    }
  if (!require_task (cli, task))
    return;

  if (pixverse_task_get_status (task) != PIXVERSE_JOB_COMPLETED)
    {
      g_autoptr(GError) not_done = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                                _("Task %s is %s: there is nothing to download yet"),
                                                cli->task_id,
                                                pixverse_job_status_to_string (pixverse_task_get_status (task)));
      cli_fail (cli, not_done);
      return;
    }

  pixverse_monitor_download_again (cli->monitor, task);
  wait_for_task (cli);
}

static void
download_with_core (gpointer state)
{
  Cli *cli = state;

  pixverse_history_find_async (cli->history, cli->task_id, cli->cancellable, download_found_cb, cli);
}

static int
command_download (Cli   *cli,
                  int    argc,
                  char **argv)
{
  GOptionEntry entries[] = {
    { "to", 'o', 0, G_OPTION_ARG_FILENAME, &cli->download_dir, N_("Also copy the videos into DIR"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  if (!parse_options (_("TASK_ID — fetch a completed job's videos again"),
                      entries, &argc, &argv, 1, 1))
    return EXIT_USAGE;

  cli->task_id = g_strdup (argv[1]);
  cli->wait = TRUE;
  if (!with_core (cli, download_with_core))
    return cli->exit_code;
  return run_loop (cli);
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_history_delete_finish (PIXVERSE_HISTORY (object), result, &error))
    {
      cli_fail (cli, error);
      return;
    }

  if (!cli->json)
    g_print (_("Removed task %s and its files.\n"), cli->task_id);
  g_main_loop_quit (cli->loop);
}

static void
rm_found_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_history_find_finish (PIXVERSE_HISTORY (object), result, &error);
  if (error != NULL)
    {
      cli_fail (cli, error);
      return;
    }
  if (!require_task (cli, task))
    return;

  pixverse_history_delete_async (cli->history, task, cli->cancellable, deleted_cb, cli);
}

static void
rm_with_history (gpointer state)
{
  Cli *cli = state;

  pixverse_history_find_async (cli->history, cli->task_id, cli->cancellable, rm_found_cb, cli);
}

static int
command_rm (Cli   *cli,
            int    argc,
            char **argv)
{
  if (!parse_options (_("TASK_ID — remove a job and its files from the history"),
                      NULL, &argc, &argv, 1, 1))
    return EXIT_USAGE;

  cli->task_id = g_strdup (argv[1]);
  with_history (cli, rm_with_history);
  return run_loop (cli);
}

/* Reads one line from stdin; on a terminal without echo. */
static char *
read_secret_line (void)
{
  struct termios saved, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  char buffer[4096];
  char *line;

  if (tty)
    {
      g_printerr (_("API key: "));
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }

  line = fgets (buffer, sizeof buffer, stdin);

  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  if (line == NULL)
    return NULL;
  return g_strstrip (g_strdup (line));
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_secrets_store_finish (result, &error))
    {
      g_autoptr(GError) mapped = NULL;

      if (error->domain == PIXVERSE_ERROR)
        {
          cli_fail (cli, error);
          return;
        }
      mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH,
                            _("Could not store the API key in the keyring: %s"), error->message);
      cli_fail (cli, mapped);
      return;
    }

  g_print (_("The API key is stored in the keyring.\n"));
  if (pixverse_secrets_from_environment ())
    g_printerr (_("pixverse: note: PIXVERSE_API_KEY is set and is used instead while it is\n"));
  g_main_loop_quit (cli->loop);
}

static int
command_login (Cli   *cli,
               int    argc,
               char **argv)
{
  g_autofree char *key = NULL;

  if (!parse_options (_("— store the API key (read from standard input) in the keyring"),
                      NULL, &argc, &argv, 0, 0))
    return EXIT_USAGE;

  key = read_secret_line ();
  if (key == NULL || *key == '\0')
    {
      g_printerr (_("pixverse: no API key was given\n"));
      return EXIT_INVALID_REQUEST;
    }

  pixverse_secrets_store_async (key, cli->cancellable, store_cb, cli);
  return run_loop (cli);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s",
           _("Usage: pixverse COMMAND [OPTION…]\n"
             "\n"
             "Make videos with Pixverse V5 through the pixwith.ai API.\n"
             "\n"
             "Commands:\n"
             "  create PROMPT   Create a video job (--wait, --download DIR, --image URL|FILE, …)\n"
             "  status TASK_ID  Show where a job is\n"
             "  wait TASK_ID    Wait for a job to finish (--download DIR)\n"
             "  credits         Show the credits left\n"
             "  login           Store the API key in the keyring\n"
             "  history         List the jobs of the history (--search, --status, --json)\n"
             "  resume          Finish every unfinished job of the history\n"
             "  download ID     Fetch a completed job's videos again\n"
             "  rm ID           Remove a job and its files from the history\n"
             "\n"
             "“pixverse COMMAND --help” tells more of each.\n"
             "PIXVERSE_API_KEY and PIXVERSE_API_URL override the keyring and the service address.\n"));
}

/* tests/desktop builds this file again with the build tree's catalogs; the
 * installed program reads them from LOCALEDIR. */
#ifndef PIXVERSE_LOCALEDIR
#define PIXVERSE_LOCALEDIR LOCALEDIR
#endif

int
main (int   argc,
      char *argv[])
{
  Cli cli = { 0 };
  const char *command;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, PIXVERSE_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* stdout is for results (--json is read by scripts); GLib would write
   * debug and info messages there. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  command = argv[1];
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (command, "--version"))
    {
      g_print ("pixverse %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  cli.loop = g_main_loop_new (NULL, FALSE);
  cli.cancellable = g_cancellable_new ();
  cli.tty = isatty (STDERR_FILENO);
  g_unix_signal_add (SIGINT, on_interrupt, &cli);
  g_unix_signal_add (SIGTERM, on_interrupt, &cli);

  /* Each command parses its own options; argv[0] becomes the command name. */
  if (g_str_equal (command, "create"))
    status = command_create (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "status"))
    status = command_wait (&cli, argc - 1, argv + 1, FALSE);
  else if (g_str_equal (command, "wait"))
    status = command_wait (&cli, argc - 1, argv + 1, TRUE);
  else if (g_str_equal (command, "credits"))
    status = command_credits (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "login"))
    status = command_login (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "history"))
    status = command_history (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "resume"))
    status = command_resume (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "download"))
    status = command_download (&cli, argc - 1, argv + 1);
  else if (g_str_equal (command, "rm"))
    status = command_rm (&cli, argc - 1, argv + 1);
  else
    {
      g_printerr (_("pixverse: unknown command “%s”\n"), command);
      print_usage (stderr);
      status = EXIT_USAGE;
    }

  cli_clear (&cli);
  return status;
}
