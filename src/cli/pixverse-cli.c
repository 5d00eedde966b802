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
  PixverseRequest  *request;
  char             *image_file;
  char             *task_id;
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
} Cli;

static void
cli_clear (Cli *cli)
{
  g_clear_handle_id (&cli->poll_source, g_source_remove);
  g_clear_handle_id (&cli->progress_source, g_source_remove);
  g_clear_object (&cli->request);
  g_clear_object (&cli->client);
  g_clear_object (&cli->cancellable);
  g_clear_pointer (&cli->loop, g_main_loop_unref);
  g_clear_pointer (&cli->image_file, g_free);
  g_clear_pointer (&cli->task_id, g_free);
  g_clear_pointer (&cli->download_dir, g_free);
  g_clear_pointer (&cli->info, pixverse_task_info_free);
  g_clear_pointer (&cli->files, g_ptr_array_unref);
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

/* The final report of a job: plain lines for people, one object for scripts. */
static void
print_result (Cli *cli)
{
  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "task_id");
      json_builder_add_string_value (builder, cli->task_id);
      if (cli->estimated_time > 0)
        {
          json_builder_set_member_name (builder, "estimated_time");
          json_builder_add_int_value (builder, cli->estimated_time);
        }
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, cli->info ? status_name (cli->info->status) : "processing");
      json_builder_set_member_name (builder, "result_urls");
      json_builder_begin_array (builder);
      for (guint i = 0; cli->info && cli->info->result_urls[i]; i++)
        json_builder_add_string_value (builder, cli->info->result_urls[i]);
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

  if (cli->info == NULL)
    {
      g_autofree char *eta = format_duration (cli->estimated_time);

      if (cli->estimated_time > 0)
        g_print (_("Task %s created; it should take about %s.\n"), cli->task_id, eta);
      else
        g_print (_("Task %s created.\n"), cli->task_id);
      g_print (_("Follow it with: pixverse wait %s\n"), cli->task_id);
      return;
    }

  g_print (_("Task %s: %s\n"), cli->info->task_id, status_name (cli->info->status));
  if (cli->files != NULL && cli->files->len > 0)
    for (guint i = 0; i < cli->files->len; i++)
      g_print ("%s\n", (const char *) g_ptr_array_index (cli->files, i));
  else
    for (guint i = 0; cli->info->result_urls[i]; i++)
      g_print ("%s\n", cli->info->result_urls[i]);
}

static void
cli_done (Cli *cli)
{
  clear_progress (cli);
  print_result (cli);
  if (cli->wait && cli->info != NULL && cli->info->status == PIXVERSE_TASK_STATUS_FAILED)
    {
      if (!cli->json)
        g_printerr (_("pixverse: the service reports that task %s failed\n"), cli->task_id);
      cli->exit_code = EXIT_TASK_FAILED;
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
    line = g_strdup_printf (_("Downloading video %u of %u: %" G_GOFFSET_FORMAT " KB"),
                            cli->next_download + 1, n, current / 1024);
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

static void
start_downloads (Cli *cli)
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
      return;
    }

  g_free (cli->download_dir);
  cli->download_dir = g_file_get_path (dir);
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
  g_clear_pointer (&cli->info, pixverse_task_info_free);
  cli->info = g_steal_pointer (&info);

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

static int
run_loop (Cli *cli)
{
  g_main_loop_run (cli->loop);
  clear_progress (cli);
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
 * Commands
 * ------------------------------------------------------------------------- */

static gboolean
parse_options (GOptionContext  *context,
               int             *argc,
               char          ***argv,
               int              min_args,
               int              max_args)
{
  g_autoptr(GError) error = NULL;

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
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;

  cli->task_id = pixverse_client_create_task_finish (PIXVERSE_CLIENT (object), result,
                                                     &cli->estimated_time, &error);
  if (cli->task_id == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  if (!cli->wait)
    {
      cli_done (cli);
      return;
    }

  if (!cli->json && cli->tty)
    g_printerr (_("Task %s created.\n"), cli->task_id);
  start_waiting (cli);
}

static void
create_send (Cli *cli)
{
  clear_progress (cli);
  pixverse_client_create_task_async (cli->client, cli->request, cli->cancellable, create_cb, cli);
}

static void
upload_progress_cb (goffset  current,
                    goffset  total,
                    gpointer user_data)
{
  Cli *cli = user_data;
  g_autofree char *line = NULL;

  line = g_strdup_printf (_("Uploading the image: %d%%"),
                          total > 0 ? (int) (current * 100 / total) : 0);
  show_progress (cli, line);
}

static void
upload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *cli = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = pixverse_client_upload_image_finish (PIXVERSE_CLIENT (object), result, &error);
  if (url == NULL)
    {
      cli_fail (cli, error);
      return;
    }

  pixverse_request_set_image_url (cli->request, url);
  create_send (cli);
}

static void
create_with_key (gpointer state)
{
  Cli *cli = state;
  g_autoptr(GFile) file = NULL;

  if (cli->image_file == NULL)
    {
      create_send (cli);
      return;
    }

  file = g_file_new_for_commandline_arg (cli->image_file);
  pixverse_client_upload_image_async (cli->client, file,
                                      upload_progress_cb, cli, NULL,
                                      cli->cancellable, upload_cb, cli);
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
  g_autoptr(GOptionContext) context = NULL;
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

  context = g_option_context_new (_("PROMPT — create a Pixverse V5 video"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 1, 1))
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

  if (!with_client (cli, create_with_key))
    return cli->exit_code;
  return run_loop (cli);
}

static void
wait_with_key (gpointer state)
{
  start_waiting (state);
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
  g_autoptr(GOptionContext) context = NULL;
  GOptionEntry wait_entries[] = {
    { "download", 'o', 0, G_OPTION_ARG_FILENAME, &cli->download_dir, N_("Download the videos into DIR"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  context = g_option_context_new (wait ? _("TASK_ID — wait for a job, then show or download its videos")
                                       : _("TASK_ID — show where a job is"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  /* status takes --json only */
  g_option_context_add_main_entries (context, wait ? wait_entries : wait_entries + 1, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 1, 1))
    return EXIT_USAGE;

  cli->task_id = g_strdup (argv[1]);
  cli->wait = wait;
  if (!with_client (cli, wait ? wait_with_key : status_with_key))
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
    g_print (_("%" G_GINT64_FORMAT " credits left\n"), credits);
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
  g_autoptr(GOptionContext) context = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print the result as JSON"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("— show the credits left on the account"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 0, 0))
    return EXIT_USAGE;

  if (!with_client (cli, credits_with_key))
    return cli->exit_code;
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
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *key = NULL;

  context = g_option_context_new (_("— store the API key (read from standard input) in the keyring"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!parse_options (context, &argc, &argv, 0, 0))
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
             "\n"
             "“pixverse COMMAND --help” tells more of each.\n"
             "PIXVERSE_API_KEY and PIXVERSE_API_URL override the keyring and the service address.\n"));
}

int
main (int   argc,
      char *argv[])
{
  Cli cli = { 0 };
  const char *command;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

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
  else
    {
      g_printerr (_("pixverse: unknown command “%s”\n"), command);
      print_usage (stderr);
      status = EXIT_USAGE;
    }

  cli_clear (&cli);
  return status;
}
