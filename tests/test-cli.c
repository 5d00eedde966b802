/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-cli"

#include "config.h"

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "fake-pixwith.h"
#include "pixverse-client.h"

/* The pixverse command line, run as a program against the fake service. */

typedef struct
{
  FakePixwith *server;
  char        *tmpdir;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_add_api_key (f->server, "key_cli_test_0123456789");
  f->tmpdir = g_dir_make_tmp ("test-cli-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));
      remove_tree (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);

  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (f->server);
  remove_tree (dir);
  g_free (f->tmpdir);
}

static void
communicated (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Runs pixverse with @argv (NULL-terminated) and @key, serving meanwhile. */
static void
run_cli (Fixture            *f,
         Run                *run,
         const char         *key,
         const char * const *extra_env,
         const char         *stdin_text,
         const char         *first,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("PIXVERSE_CLI");
  const char *arg;
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (args, (char *) cli);
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* The test's isolated dirs live in GLib, not in the environment children get. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_URL", fake_pixwith_get_url (f->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "PIXVERSE_API_KEY");
  for (guint i = 0; extra_env && extra_env[i]; i += 2)
    g_subprocess_launcher_setenv (launcher, extra_env[i], extra_env[i + 1], TRUE);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, stdin_text ? stdin_text : "", NULL, communicated, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("pixverse %s -> %d\nstdout: %s\nstderr: %s", first, run->status, run->out, run->err);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static gboolean
contains_ci (const char *text,
             const char *words)
{
  g_autofree char *a = g_utf8_casefold (text, -1);
  g_autofree char *b = g_utf8_casefold (words, -1);

  return strstr (a, b) != NULL;
}

static const char *fast[] = { "PIXVERSE_TIME_SCALE", "0.002", NULL };

static void
test_help (Fixture       *f,
           gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_auto(Run) sub = { 0 };
  g_auto(Run) bad = { 0 };

  run_cli (f, &run, NULL, NULL, NULL, "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "create PROMPT"));
  g_assert_nonnull (strstr (run.out, "login"));

  run_cli (f, &sub, NULL, NULL, NULL, "create", "--help", NULL);
  g_assert_cmpint (sub.status, ==, 0);
  g_assert_nonnull (strstr (sub.out, "--download"));
  g_assert_nonnull (strstr (sub.out, "1080p"));

  run_cli (f, &bad, NULL, NULL, NULL, "frobnicate", NULL);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_nonnull (strstr (bad.err, "unknown command"));
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  const struct {
    int         status;
    const char *words;
    const char *args[6];
  } cases[] = {
    { 2, "outputs", { "create", "a cat", "--outputs", "many", NULL } },
    { 2, "Unknown option", { "create", "a cat", "--colour", "red", NULL } },
    { 2, "PROMPT", { "create", NULL } },
    { 3, "number of videos", { "create", "a cat", "--outputs", "9", NULL } },
    { 3, "resolution", { "create", "a cat", "--resolution", "4k", NULL } },
    { 3, "aspect ratio", { "create", "a cat", "--aspect", "2:1", NULL } },
    { 3, "duration", { "create", "a cat", "--duration", "6", NULL } },
    { 3, "prompt", { "create", "   ", NULL } },
    { 3, "image URL", { "create", "a cat", "--image", "ftp://example.com/cat.png", NULL } },
    { 3, "Could not read", { "create", "a cat", "--image", "/nonexistent/cat.png", NULL } },
    { 2, "TASK_ID", { "wait", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Run) run = { 0 };

      run_cli (f, &run, PIXVERSE_TEST_API_KEY, NULL, NULL,
               cases[i].args[0], cases[i].args[1], cases[i].args[2], cases[i].args[3],
               cases[i].args[4], NULL);
      g_assert_cmpint (run.status, ==, cases[i].status);
      g_assert_true (contains_ci (run.err, cases[i].words));
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "pre_url"), ==, 0);
}

static void
test_create_wait_download (Fixture       *f,
                           gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_autofree char *dir = g_build_filename (f->tmpdir, "videos", "new", NULL);
  g_autoptr(JsonObject) result = NULL;
  GBytes *video = fake_pixwith_get_video_bytes (f->server);
  JsonArray *files;
  const char *task_id;

  fake_pixwith_set_time_scale (f->server, 0.002);
  run_cli (f, &run, PIXVERSE_TEST_API_KEY, fast, NULL,
           "create", "a cat", "--outputs", "2", "--download", dir, "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);

  result = parse_object (run.out);
  task_id = json_object_get_string_member (result, "task_id");
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "completed");
  g_assert_cmpint (json_object_get_int_member (result, "estimated_time"), ==, 150);
  files = json_object_get_array_member (result, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      const char *path = json_array_get_string_element (files, i);
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *expected = g_strdup_printf ("%s_%u.mp4", task_id, i + 1);
      g_autofree char *contents = NULL;
      g_autofree char *part = g_strconcat (path, ".part", NULL);
      gsize length = 0;

      g_assert_cmpstr (base, ==, expected);
      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      g_assert_cmpmem (contents, length, g_bytes_get_data (video, NULL), g_bytes_get_size (video));
      g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
    }

  /* Polled economically: the first look comes near the estimate. */
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get"), <=, 8);
  /* Not a terminal: no progress line. */
  g_assert_null (strstr (run.err, "\r"));
}

static void
test_create_then_status_and_wait (Fixture       *f,
                                  gconstpointer  data)
{
  g_auto(Run) created = { 0 };
  g_auto(Run) status = { 0 };
  g_auto(Run) waited = { 0 };
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_autofree char *task_id = NULL;

  /* 150 s in 6 s: still processing after two starts of the command line,
   * even a slow one (under load, or built with ASan). */
  fake_pixwith_set_time_scale (f->server, 0.04);
  run_cli (f, &created, PIXVERSE_TEST_API_KEY, fast, NULL, "create", "a dog", "--json", NULL);
  g_assert_cmpint (created.status, ==, 0);
  result = parse_object (created.out);
  task_id = g_strdup (json_object_get_string_member (result, "task_id"));
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "processing");

  run_cli (f, &status, PIXVERSE_TEST_API_KEY, fast, NULL, "status", task_id, "--json", NULL);
  g_assert_cmpint (status.status, ==, 0);
  state = parse_object (status.out);
  g_assert_cmpstr (json_object_get_string_member (state, "task_id"), ==, task_id);
  g_assert_cmpstr (json_object_get_string_member (state, "status"), ==, "processing");

  run_cli (f, &waited, PIXVERSE_TEST_API_KEY, fast, NULL, "wait", task_id, NULL);
  g_assert_cmpint (waited.status, ==, 0);
  g_assert_nonnull (strstr (waited.out, "completed"));
  /* A job of the history is downloaded into it: its files are listed. */
  {
    g_autofree char *file = g_strdup_printf ("%s_1.mp4", task_id);
    g_assert_nonnull (strstr (waited.out, file));
  }
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
}

/* `wait` against a video server that drops every connection unanswered,
 * once the status request has left a kept-alive connection to reuse: the
 * monitor retries, then ends with "no file" (exit 9), never a crash.
 * libsoup replays a request that fails on a reused connection, and that
 * replay of a download once released the session's features twice, so a
 * later retry crashed (about one run in two; several runs make it sure). */
static void
test_wait_download_reset (Fixture       *f,
                          gconstpointer  data)
{
  const FakeFault reset = { FAKE_FAULT_RESET };

  fake_pixwith_set_time_scale (f->server, 0.002);
  fake_pixwith_add_fault (f->server, "cdn", &reset, 1000);

  for (guint i = 0; i < 6; i++)
    {
      g_auto(Run) created = { 0 };
      g_auto(Run) waited = { 0 };
      g_autoptr(JsonObject) result = NULL;
      g_autofree char *task_id = NULL;

      run_cli (f, &created, PIXVERSE_TEST_API_KEY, fast, NULL, "create", "a cat", "--json", NULL);
      g_assert_cmpint (created.status, ==, 0);
      result = parse_object (created.out);
      task_id = g_strdup (json_object_get_string_member (result, "task_id"));

      /* run_cli() fails the test if the command is killed by a signal. */
      run_cli (f, &waited, PIXVERSE_TEST_API_KEY, fast, NULL, "wait", task_id, "--json", NULL);
      g_assert_cmpint (waited.status, ==, 9);
      g_assert_null (strstr (waited.err, "CRITICAL"));
    }

  fake_pixwith_clear_faults (f->server);
}

static void
test_failed_job (Fixture       *f,
                 gconstpointer  data)
{
  g_auto(Run) run = { 0 };

  fake_pixwith_set_time_scale (f->server, 0.002);
  fake_pixwith_set_outcome (f->server, FAKE_OUTCOME_FAIL);
  run_cli (f, &run, PIXVERSE_TEST_API_KEY, fast, NULL, "create", "a cat", "--wait", NULL);
  g_assert_cmpint (run.status, ==, 11);
  g_assert_nonnull (strstr (run.err, "failed"));
}

static void
test_service_errors (Fixture       *f,
                     gconstpointer  data)
{
  g_auto(Run) bad_key = { 0 };
  g_auto(Run) no_credits = { 0 };
  g_auto(Run) refused = { 0 };
  g_auto(Run) insecure = { 0 };
  g_autoptr(JsonObject) error = NULL;
  const char *refused_env[] = { "PIXVERSE_API_URL", "http://127.0.0.1:9", NULL };
  const char *insecure_env[] = { "PIXVERSE_API_URL", "http://api.pixwith.ai", NULL };

  run_cli (f, &bad_key, "key_wrong_secret_value", NULL, NULL, "create", "a cat", "--json", NULL);
  g_assert_cmpint (bad_key.status, ==, 4);
  g_assert_nonnull (strstr (bad_key.err, "Invalid API KEY"));
  g_assert_null (strstr (bad_key.err, "key_wrong_secret_value"));
  g_assert_null (strstr (bad_key.out, "key_wrong_secret_value"));
  error = parse_object (bad_key.out);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (error, "error"), "code"),
                   ==, "auth");

  fake_pixwith_set_credits (f->server, 0);
  run_cli (f, &no_credits, PIXVERSE_TEST_API_KEY, NULL, NULL, "create", "a cat", NULL);
  g_assert_cmpint (no_credits.status, ==, 5);
  g_assert_nonnull (strstr (no_credits.err, "Credits not enough"));

  run_cli (f, &refused, PIXVERSE_TEST_API_KEY, refused_env, NULL, "credits", NULL);
  g_assert_cmpint (refused.status, ==, 9);

  run_cli (f, &insecure, PIXVERSE_TEST_API_KEY, insecure_env, NULL, "credits", NULL);
  g_assert_cmpint (insecure.status, ==, 2);
  g_assert_nonnull (strstr (insecure.err, "https://"));
}

static void
test_credits (Fixture       *f,
              gconstpointer  data)
{
  g_auto(Run) run = { 0 };
  g_auto(Run) plain = { 0 };
  g_autoptr(JsonObject) result = NULL;

  fake_pixwith_set_credits (f->server, 4321);
  run_cli (f, &run, "key_cli_test_0123456789", NULL, NULL, "credits", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  result = parse_object (run.out);
  g_assert_cmpint (json_object_get_int_member (result, "credits"), ==, 4321);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->server, "credits", "Api-Key"), ==, "key_cli_test_0123456789");

  run_cli (f, &plain, "key_cli_test_0123456789", NULL, NULL, "credits", NULL);
  g_assert_cmpint (plain.status, ==, 0);
  g_assert_nonnull (strstr (plain.out, "4321"));
}

static void
test_image_file (Fixture       *f,
                 gconstpointer  data)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4 };
  g_autofree char *path = g_build_filename (f->tmpdir, "cat.png", NULL);
  g_auto(Run) run = { 0 };
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *sent;
  JsonArray *urls;

  g_file_set_contents (path, (const char *) png, sizeof png, &error);
  g_assert_no_error (error);
  run_cli (f, &run, PIXVERSE_TEST_API_KEY, NULL, NULL, "create", "a cat", "--image", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "s3"), ==, 1);

  sent = fake_pixwith_get_last_body (f->server, "create");
  body = parse_object (g_bytes_get_data (sent, NULL));
  urls = json_object_get_array_member (body, "image_urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  g_assert_true (g_str_has_suffix (json_array_get_string_element (urls, 0), "cat.png"));
}


static JsonArray *
parse_array (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_array_ref (json_node_get_array (node));
}

/* The history is shared: what create records, history lists, resume
 * finishes, download fetches again and rm removes. */
static void
test_history_commands (Fixture       *f,
                       gconstpointer  data)
{
  g_auto(Run) created = { 0 };
  g_auto(Run) other = { 0 };
  g_auto(Run) listed = { 0 };
  g_auto(Run) searched = { 0 };
  g_auto(Run) bad_status = { 0 };
  g_auto(Run) resumed = { 0 };
  g_auto(Run) again = { 0 };
  g_auto(Run) waited = { 0 };
  g_auto(Run) removed = { 0 };
  g_auto(Run) missing = { 0 };
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonArray) jobs = NULL;
  g_autoptr(JsonArray) found = NULL;
  g_autoptr(JsonArray) after = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *video = NULL;
  JsonObject *job;
  JsonArray *files;

  fake_pixwith_set_time_scale (f->server, 0.002);
  run_cli (f, &created, PIXVERSE_TEST_API_KEY, fast, NULL, "create", "a lighthouse in a storm", "--json", NULL);
  g_assert_cmpint (created.status, ==, 0);
  result = parse_object (created.out);
  task_id = g_strdup (json_object_get_string_member (result, "task_id"));
  run_cli (f, &other, PIXVERSE_TEST_API_KEY, fast, NULL, "create", "a cat on a sofa", "--wait", NULL);
  g_assert_cmpint (other.status, ==, 0);

  run_cli (f, &listed, NULL, NULL, NULL, "history", "--json", NULL);
  g_assert_cmpint (listed.status, ==, 0);
  jobs = parse_array (listed.out);
  g_assert_cmpuint (json_array_get_length (jobs), ==, 2);
  /* newest first */
  job = json_array_get_object_element (jobs, 1);
  g_assert_cmpstr (json_object_get_string_member (job, "task_id"), ==, task_id);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (job, "request"), "prompt"),
                   ==, "a lighthouse in a storm");

  run_cli (f, &searched, NULL, NULL, NULL, "history", "--search", "lighth", "--json", NULL);
  g_assert_cmpint (searched.status, ==, 0);
  found = parse_array (searched.out);
  g_assert_cmpuint (json_array_get_length (found), ==, 1);

  run_cli (f, &bad_status, NULL, NULL, NULL, "history", "--status", "done", NULL);
  g_assert_cmpint (bad_status.status, ==, 2);

  /* The first job was left running: resume finishes it, videos and all. */
  run_cli (f, &resumed, PIXVERSE_TEST_API_KEY, fast, NULL, "resume", NULL);
  g_assert_cmpint (resumed.status, ==, 0);
  g_assert_nonnull (strstr (resumed.out, task_id));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 2);

  run_cli (f, &waited, PIXVERSE_TEST_API_KEY, fast, NULL, "wait", task_id, "--json", NULL);
  g_assert_cmpint (waited.status, ==, 0);
  g_clear_pointer (&result, json_object_unref);
  result = parse_object (waited.out);
  g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "completed");
  files = json_object_get_array_member (result, "files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  video = g_strdup (json_array_get_string_element (files, 0));
  g_assert_true (g_file_test (video, G_FILE_TEST_IS_REGULAR));

  /* A lost file comes back from the service, without a second create. */
  g_assert_cmpint (g_remove (video), ==, 0);
  run_cli (f, &again, PIXVERSE_TEST_API_KEY, fast, NULL, "download", task_id, NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_true (g_file_test (video, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 2);

  run_cli (f, &removed, NULL, NULL, NULL, "rm", task_id, NULL);
  g_assert_cmpint (removed.status, ==, 0);
  g_assert_false (g_file_test (video, G_FILE_TEST_EXISTS));
  run_cli (f, &missing, NULL, NULL, NULL, "rm", task_id, NULL);
  g_assert_cmpint (missing.status, ==, 3);
  g_assert_nonnull (strstr (missing.err, "No job"));

  {
    g_auto(Run) final = { 0 };

    run_cli (f, &final, NULL, NULL, NULL, "history", "--json", NULL);
    after = parse_array (final.out);
    g_assert_cmpuint (json_array_get_length (after), ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/cli/help", test_help);
  ADD ("/cli/bad-input", test_bad_input);
  ADD ("/cli/create-wait-download", test_create_wait_download);
  ADD ("/cli/create-status-wait", test_create_then_status_and_wait);
  ADD ("/cli/failed-job", test_failed_job);
  ADD ("/cli/wait-download-reset", test_wait_download_reset);
  ADD ("/cli/service-errors", test_service_errors);
  ADD ("/cli/credits", test_credits);
  ADD ("/cli/image-file", test_image_file);
  ADD ("/cli/history-commands", test_history_commands);

  return g_test_run ();
}
