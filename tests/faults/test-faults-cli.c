/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-faults-cli"

#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "fake-pixwith.h"
#include "faults-common.h"
#include "pixverse-client.h"

/*
 * The fault matrix and the secrets and input checks through the pixverse
 * command line, run as a program against the scripted fake: exit code, the
 * error code of its --json output, the message, and the history row as
 * `pixverse history --json` shows it. Each case gets its own XDG dirs, so
 * its history holds its own rows only.
 */

#define KEY "key_cli_faults_Zq8wXy_4242424242abcdef"

typedef struct
{
  FakePixwith *server;
  char        *tmpdir;
  char        *dead_url;
  char        *home;      /* the XDG dirs of the case running now */
  guint        n_homes;
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

static GString *table_rows[N_FAULTS_ENDPOINTS];

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_add_api_key (f->server, KEY);
  fake_pixwith_set_time_scale (f->server, 0.002);
  f->tmpdir = g_dir_make_tmp ("test-faults-cli-XXXXXX", &error);
  g_assert_no_error (error);
  f->dead_url = faults_dead_url ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);

  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (f->server);
  faults_remove_tree (dir);
  g_free (f->tmpdir);
  g_free (f->dead_url);
  g_free (f->home);
}

/* Fresh XDG dirs: an empty history for the next case. */
static void
new_home (Fixture *f)
{
  g_free (f->home);
  f->home = g_strdup_printf ("%s/home-%u", f->tmpdir, f->n_homes++);
  g_assert_cmpint (g_mkdir_with_parents (f->home, 0700), ==, 0);
}

static void
communicated (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

/* Runs pixverse with @args in the case's dirs, serving meanwhile. @env is
 * NAME, VALUE pairs that override the defaults. */
static void
run_cli_argv (Fixture            *f,
              Run                *run,
              const char * const *env,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *dirs[][2] = {
    { "XDG_DATA_HOME", "data" }, { "XDG_CACHE_HOME", "cache" },
    { "XDG_CONFIG_HOME", "config" }, { "XDG_STATE_HOME", "state" }, { "HOME", "." },
  };

  g_assert_nonnull (g_getenv ("PIXVERSE_CLI"));
  g_ptr_array_add (argv, (char *) g_getenv ("PIXVERSE_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (f->home, dirs[i][1], NULL);

      g_subprocess_launcher_setenv (launcher, dirs[i][0], path, TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_URL", fake_pixwith_get_url (f->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_API_KEY", KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_TIME_SCALE", "0.002", TRUE);
  /* A server that never answers costs a second, not half a minute. */
  g_subprocess_launcher_setenv (launcher, "PIXVERSE_HTTP_TIMEOUT", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicated, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  /* No crash: an exit, never a signal. */
  if (!g_subprocess_get_if_exited (process))
    g_test_message ("pixverse %s killed by signal %d; stderr:\n%s", args[0],
                    g_subprocess_get_term_sig (process), run->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);

  /* Whatever happened, the key is in neither stream. */
  g_assert_null (strstr (run->out, KEY));
  g_assert_null (strstr (run->err, KEY));
}

#define run_cli(f, run, env, ...) \
  run_cli_argv ((f), (run), (env), (const char * const []) { __VA_ARGS__, NULL })

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* The one job of the case's history. */
static JsonObject *
only_job (Fixture *f)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonNode) node = NULL;
  JsonArray *jobs;

  run_cli (f, &run, NULL, "history", "--json");
  g_assert_cmpint (run.status, ==, 0);
  node = parse_json (run.out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  jobs = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (jobs), ==, 1);
  return json_object_ref (json_array_get_object_element (jobs, 0));
}

static int
exit_code_for (int expected)
{
  switch (expected)
    {
    case FAULTS_OK: return 0;
    case PIXVERSE_ERROR_INVALID_REQUEST: return 3;
    case PIXVERSE_ERROR_AUTH: return 4;
    case PIXVERSE_ERROR_CREDITS: return 5;
    case PIXVERSE_ERROR_SERVICE: return 6;
    case PIXVERSE_ERROR_HTTP: return 7;
    case PIXVERSE_ERROR_PROTOCOL: return 8;
    case PIXVERSE_ERROR_NETWORK: return 9;
    case PIXVERSE_ERROR_TIMEOUT: return 10;
    default: g_assert_not_reached ();
    }
}

/* The error of a failed --json run: its code name, and the message that
 * stderr shows too. */
static char *
check_failure (Run        *run,
               int         expected)
{
  g_autoptr(JsonNode) node = parse_json (run->out);
  JsonObject *error = json_object_get_object_member (json_node_get_object (node), "error");
  const char *message = json_object_get_string_member (error, "message");
  g_autofree char *line = g_strdup_printf ("pixverse: %s\n", message);

  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, faults_expected_name (expected));
  g_assert_nonnull (strstr (run->err, line));
  faults_assert_readable (message, KEY);
  return g_strdup (message);
}

static char *
expand (Fixture    *f,
        const char *body,
        const char *task_id,
        gboolean    dead)
{
  g_autoptr(GString) out = g_string_new (body);
  const char *url = fake_pixwith_get_url (f->server);
  g_autofree char *s3 = g_strconcat (dead ? f->dead_url : url, "/s3/upload", NULL);
  g_autofree char *img = g_strconcat (url, "/img/photo.png", NULL);
  g_autofree char *video = g_strdup_printf ("%s/cdn/%s/1.mp4", dead ? f->dead_url : url,
                                            task_id ? task_id : "none");

  if (body == NULL)
    return NULL;
  g_string_replace (out, "@ID@", task_id ? task_id : "none", 0);
  g_string_replace (out, "@URL@", video, 0);
  g_string_replace (out, "@S3@", s3, 0);
  g_string_replace (out, "@IMG@", img, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
write_png (Fixture *f)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  g_autofree char *path = g_build_filename (f->home, "photo.png", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *) png, sizeof png, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

/* A job created through the command line, still running at the fake. */
static char *
create_job (Fixture *f)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonNode) node = NULL;

  run_cli (f, &run, NULL, "create", "a lighthouse in a storm", "--json");
  g_assert_cmpint (run.status, ==, 0);
  node = parse_json (run.out);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "task_id"));
}

static void
wait_for_fake_job (Fixture    *f,
                   const char *task_id)
{
  while (g_get_monotonic_time () <= fake_pixwith_get_task_end_time (f->server, task_id))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Whether the service's answer proves create was refused (the row fails)
 * rather than lost on the way (the row stays "submitting"). */
static gboolean
refusal (int expected)
{
  return expected == PIXVERSE_ERROR_AUTH || expected == PIXVERSE_ERROR_CREDITS ||
         expected == PIXVERSE_ERROR_SERVICE;
}

static const char *
run_create_case (Fixture         *f,
                 const FaultCase *c,
                 int              expected,
                 gboolean         with_image,
                 gboolean         dead_api)
{
  g_autofree char *png = with_image ? write_png (f) : NULL;
  const char *dead_env[] = { "PIXVERSE_API_URL", f->dead_url, NULL };
  g_auto(Run) run = { 0 };
  g_autoptr(JsonObject) job = NULL;
  g_autofree char *message = NULL;
  guint creates = fake_pixwith_get_request_count (f->server, "create");

  if (with_image)
    run_cli (f, &run, dead_api ? dead_env : NULL, "create", "a cat", "--image", png, "--json");
  else
    run_cli (f, &run, dead_api ? dead_env : NULL, "create", "a cat", "--json");

  g_assert_cmpint (run.status, ==, exit_code_for (expected));
  job = only_job (f);
  if (expected == FAULTS_OK)
    {
      g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "processing");
      g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create") - creates, ==, 1);
      return "processing";
    }

  message = check_failure (&run, expected);
  /* The row keeps what went wrong, in the same words. */
  g_assert_cmpstr (json_object_get_string_member (job, "message"), ==, message);
  if (with_image)
    {
      /* Nothing was created: the job failed before it began. */
      g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create") - creates, ==, 0);
      g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "failed");
      return "failed";
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create") - creates, <=, 1);
  g_assert_cmpstr (json_object_get_string_member (job, "status"), ==,
                   refusal (expected) ? "failed" : "submitting");
  return refusal (expected) ? "failed" : "submitting";
}

/* status asks once (with the client's retries); wait goes on past the
 * fault and finishes the job: our trouble never fails a job. */
static const char *
run_get_case (Fixture         *f,
              const FaultCase *c,
              int              expected,
              FakeFault       *fault)
{
  g_autofree char *task_id = create_job (f);
  g_autofree char *body = expand (f, fault->body, task_id, FALSE);
  const char *dead_env[] = { "PIXVERSE_API_URL", f->dead_url, NULL };
  g_auto(Run) status = { 0 };
  g_auto(Run) waited = { 0 };
  g_autoptr(JsonObject) job = NULL;

  /* A scripted "completed" may come before the fake's own: its video
   * link works once the job is done there. */
  wait_for_fake_job (f, task_id);
  fault->body = body;
  if (!c->refused)
    fake_pixwith_add_fault (f->server, "get", fault, 4);
  run_cli (f, &status, c->refused ? dead_env : NULL, "status", task_id, "--json");
  g_assert_cmpint (status.status, ==, exit_code_for (expected));
  if (expected != FAULTS_OK)
    g_free (check_failure (&status, expected));

  run_cli (f, &waited, NULL, "wait", task_id, "--json");
  g_assert_cmpint (waited.status, ==, 0);
  job = only_job (f);
  g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "completed");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (job, "files")), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), >=, 1);
  return "completed";
}

/* The download fails after the monitor's retries; the job stays completed
 * with no file and says why; `pixverse download` gets it once the video
 * server is well again. */
static const char *
run_download_case (Fixture         *f,
                   const FaultCase *c,
                   int              expected,
                   FakeFault       *fault)
{
  g_autofree char *task_id = create_job (f);
  g_autofree char *body = expand (f, fault->body, task_id, FALSE);
  g_auto(Run) waited = { 0 };
  g_auto(Run) again = { 0 };
  g_autoptr(JsonObject) job = NULL;
  g_autoptr(JsonObject) fixed = NULL;
  g_autofree char *videos = g_build_filename (f->home, "data", "pixverse-studio", "videos", NULL);
  int exit_code;

  fault->body = body;
  if (c->refused)
    {
      g_autofree char *answer = g_strdup_printf ("{\"code\":1,\"data\":{\"task_id\":\"%s\",\"status\":2,"
                                                 "\"result_urls\":[\"%s/cdn/%s/1.mp4\"]}}",
                                                 task_id, f->dead_url, task_id);
      FakeFault dead = { FAKE_FAULT_STATUS, 200, NULL, answer };

      fake_pixwith_add_fault (f->server, "get", &dead, 3);
    }
  else
    fake_pixwith_add_fault (f->server, "cdn", fault, c->count ? c->count : 10);

  run_cli (f, &waited, NULL, "wait", task_id, "--json");
  job = only_job (f);
  g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "completed");
  fake_pixwith_clear_faults (f->server);

  if (expected == FAULTS_OK)
    {
      g_assert_cmpint (waited.status, ==, 0);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (job, "files")), ==, 1);
      return "exit 0, completed, file";
    }

  /* Expired links (403, 404) say so; anything else is a failed download. */
  exit_code = waited.status;
  g_assert_true (exit_code == 7 || exit_code == 9);
  g_free (check_failure (&waited, exit_code == 7 ? PIXVERSE_ERROR_HTTP : PIXVERSE_ERROR_NETWORK));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (job, "files")), ==, 0);
  faults_assert_readable (json_object_get_string_member (job, "message"), KEY);
  /* No half file is left to pass for a video. */
  {
    g_autoptr(GDir) dir = g_dir_open (videos, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      g_assert_not_reached ();
  }

  /* Once the video server is well again, the same links give the video
   * (without a second create). */
  if (!c->refused)
    {
      run_cli (f, &again, NULL, "download", task_id);
      g_assert_cmpint (again.status, ==, 0);
      fixed = only_job (f);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (fixed, "files")), ==, 1);
    }
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, f->n_homes);
  return exit_code == 7 ? "exit 7, completed, links expired" : "exit 9, completed, no file";
}

static void
run_endpoint (Fixture       *f,
              gconstpointer  data)
{
  FaultsEndpoint endpoint = GPOINTER_TO_UINT (data);
  const char *name = faults_endpoint_fake_name (endpoint);

  table_rows[endpoint] = g_string_new (NULL);

  for (guint i = 0; i < n_fault_cases; i++)
    {
      const FaultCase *c = &fault_cases[i];
      int expected = faults_expected_client (c, endpoint);
      g_autofree char *body = NULL;
      FakeFault fault = c->fault;
      const char *row = "-";
      guint seen;

      new_home (f);
      /* get and download fill in the task id of their own job. */
      body = endpoint == FAULTS_GET || endpoint == FAULTS_CDN ? g_strdup (c->fault.body)
                                                              : expand (f, c->fault.body, NULL, c->refused);
      fault.body = body;
      seen = fake_pixwith_get_request_count (f->server, name);

      switch (endpoint)
        {
        case FAULTS_CREATE:
        case FAULTS_PRE_URL:
        case FAULTS_S3:
          if (c->refused && endpoint == FAULTS_S3)
            {
              g_autofree char *answer = expand (f, FAULTS_UNIVERSAL_ANSWER, NULL, TRUE);
              FakeFault target = { FAKE_FAULT_STATUS, 200, NULL, answer };

              fake_pixwith_add_fault (f->server, "pre_url", &target, 10);
            }
          else if (!c->refused)
            {
              fake_pixwith_add_fault (f->server, name, &fault, c->count ? c->count : 10);
              if (endpoint == FAULTS_PRE_URL)
                {
                  FakeFault accepted = { FAKE_FAULT_STATUS, 204, "text/plain", "" };

                  fake_pixwith_add_fault (f->server, "s3", &accepted, 10);
                }
            }
          row = run_create_case (f, c, expected, endpoint != FAULTS_CREATE,
                                 c->refused && endpoint != FAULTS_S3);
          break;

        case FAULTS_CREDITS:
          {
            const char *dead_env[] = { "PIXVERSE_API_URL", f->dead_url, NULL };
            g_auto(Run) run = { 0 };

            if (!c->refused)
              fake_pixwith_add_fault (f->server, name, &fault, c->count ? c->count : 10);
            run_cli (f, &run, c->refused ? dead_env : NULL, "credits", "--json");
            g_assert_cmpint (run.status, ==, exit_code_for (expected));
            if (expected != FAULTS_OK)
              g_free (check_failure (&run, expected));
          }
          break;

        case FAULTS_GET:
          row = run_get_case (f, c, expected, &fault);
          break;

        case FAULTS_CDN:
          row = run_download_case (f, c, expected, &fault);
          break;

        default:
          g_assert_not_reached ();
        }

      fake_pixwith_clear_faults (f->server);
      seen = fake_pixwith_get_request_count (f->server, name) - seen;
      g_test_message ("cli %-10s %-26s -> %s %d (%s), history row: %s, %u request(s)",
                      faults_endpoint_label (endpoint), c->name,
                      endpoint == FAULTS_CDN ? "client code" : "exit", exit_code_for (expected),
                      faults_expected_name (expected), row, seen);
      /* A failed download ends `wait` with 7 or 9; the client's own code
       * is in the row's message. */
      g_string_append_printf (table_rows[endpoint], "%s\t%s\t%s%d\t%s\n", c->name,
                              faults_expected_name (expected),
                              endpoint == FAULTS_CDN ? "client " : "",
                              exit_code_for (expected), row);
    }
}

static void
test_table (void)
{
  char **lines[N_FAULTS_ENDPOINTS] = { NULL };

  if (table_rows[0] == NULL || table_rows[N_FAULTS_ENDPOINTS - 1] == NULL)
    {
      g_test_skip ("the endpoint tests did not all run");
      return;
    }

  g_test_message ("fault matrix (pixverse CLI): exit code / history row per endpoint");
  for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
    lines[e] = g_strsplit (table_rows[e]->str, "\n", -1);
  for (guint i = 0; i < n_fault_cases; i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);

      g_string_append_printf (line, "%-28s", fault_cases[i].name);
      for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
        {
          g_auto(GStrv) cells = g_strsplit (lines[e][i], "\t", -1);

          g_string_append_printf (line, " %s:%s/%s", faults_endpoint_label (e), cells[2], cells[3]);
        }
      g_test_message ("%s", line->str);
    }
  for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
    {
      g_strfreev (lines[e]);
      lines[e] = NULL;
      g_string_free (table_rows[e], TRUE);
      table_rows[e] = NULL;
    }
}

/* Writes a run's output where the search for the key will look too. */
static void
keep_output (Fixture    *f,
             Run        *run,
             const char *name)
{
  g_autofree char *dir = g_build_filename (f->home, "logs", NULL);
  g_autofree char *out = g_strdup_printf ("%s/%s.stdout", dir, name);
  g_autofree char *err = g_strdup_printf ("%s/%s.stderr", dir, name);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (out, run->out, -1, NULL));
  g_assert_true (g_file_set_contents (err, run->err, -1, NULL));
}

/* Every command, with debug messages on, then every file in the case's
 * dirs (history and its -wal, cache, videos, the captured output) is
 * searched for the key: no hit, while the task id (a positive control) is
 * found in the history and the logs. */
static void
test_secrets (Fixture       *f,
              gconstpointer  data)
{
  const char *debug[] = { "G_MESSAGES_DEBUG", "all", NULL };
  g_autofree char *png = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *out_dir = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) control = NULL;
  g_autoptr(GPtrArray) partial = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_auto(Run) created = { 0 };
  g_auto(Run) listed = { 0 };
  g_auto(Run) status = { 0 };
  g_auto(Run) credits = { 0 };
  g_auto(Run) again = { 0 };
  g_auto(Run) failed = { 0 };
  FakeFault unauthorized = { FAKE_FAULT_STATUS, 401, "text/html", "<h1>401</h1>" };

  new_home (f);
  png = write_png (f);
  out_dir = g_build_filename (f->home, "out", NULL);
  run_cli (f, &created, debug, "create", "a fox in the snow", "--image", png, "--download", out_dir, "--json");
  g_assert_cmpint (created.status, ==, 0);
  keep_output (f, &created, "create");
  node = parse_json (created.out);
  task_id = g_strdup (json_object_get_string_member (json_node_get_object (node), "task_id"));

  run_cli (f, &listed, debug, "history", "--json");
  keep_output (f, &listed, "history");
  run_cli (f, &status, debug, "status", task_id, "--json");
  keep_output (f, &status, "status");
  run_cli (f, &credits, debug, "credits");
  keep_output (f, &credits, "credits");
  run_cli (f, &again, debug, "download", task_id);
  keep_output (f, &again, "download");
  /* A refused key is reported without being repeated. */
  fake_pixwith_add_fault (f->server, "credits", &unauthorized, 10);
  run_cli (f, &failed, debug, "credits");
  g_assert_cmpint (failed.status, ==, 4);
  keep_output (f, &failed, "refused");

  /* The server did get the key: the test would see a leak. */
  g_assert_cmpstr (fake_pixwith_get_last_header (f->server, "create", "Api-Key"), ==, KEY);

  hits = faults_find_in_tree (f->home, KEY);
  partial = faults_find_in_tree (f->home, "Zq8wXy_4242");
  control = faults_find_in_tree (f->home, task_id);
  for (guint i = 0; i < hits->len; i++)
    g_test_message ("the key is in %s", (char *) hits->pdata[i]);
  g_assert_cmpuint (hits->len, ==, 0);
  g_assert_cmpuint (partial->len, ==, 0);
  g_test_message ("the task id (control) is in %u files", control->len);
  g_assert_cmpuint (control->len, >=, 3);
  {
    gboolean in_db = FALSE;

    for (guint i = 0; i < control->len; i++)
      in_db |= strstr (control->pdata[i], "history.db") != NULL;
    g_assert_true (in_db);
  }
}

/* Prompts go as they are typed, byte for byte (only white space at both
 * ends is trimmed); the service states no limit (DESIGN §2), so neither do
 * we. Text that is not UTF-8 is refused with a message. A NUL cannot reach
 * the command line: the kernel ends an argument at it. */
static void
test_unicode_prompts (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) big = g_string_new (NULL);
  const char *prompts[] = {
    "שלום עולם — مرحبا بالعالم \u200F\u202Bمقلوب\u202C",
    "👩🏽‍🚀 riding a 🐉 over 🇯🇵, 🏳️‍🌈 and 👨‍👩‍👧‍👦",
    "Z\u0337\u0322\u031Ba\u0338\u034E\u0313l\u0335\u0330\u035Dg\u0336\u032F\u0308o e\u0301 n\u0303 \u1100\u1161\u11A8",
    "一只猫在海浪上冲浪，日落时分 — 고양이 — ねこ",
    "line one\nline two\ttabbed \u2028 separator \u00AD soft hyphen \uFEFF bom",
    NULL,
  };

  while (big->len < 100 * 1024)
    g_string_append (big, "Ünïcödé 😀 טקסט 字 ");
  prompts[G_N_ELEMENTS (prompts) - 1] = big->str;

  for (guint i = 0; i < G_N_ELEMENTS (prompts); i++)
    {
      g_auto(Run) run = { 0 };
      g_autoptr(JsonNode) sent = NULL;
      g_autoptr(JsonObject) job = NULL;
      g_autofree char *trimmed = g_strstrip (g_strdup (prompts[i]));
      GBytes *body;

      new_home (f);
      run_cli (f, &run, NULL, "create", prompts[i], "--json");
      g_assert_cmpint (run.status, ==, 0);
      body = fake_pixwith_get_last_body (f->server, "create");
      sent = parse_json (g_bytes_get_data (body, NULL));
      g_test_message ("prompt %u: %zu bytes sent", i,
                      strlen (json_object_get_string_member (json_node_get_object (sent), "prompt")));
      /* (not cmpstr: a failure would print 100 KB) */
      g_assert_true (g_str_equal (json_object_get_string_member (json_node_get_object (sent), "prompt"), trimmed));
      job = only_job (f);
      g_assert_true (g_str_equal (json_object_get_string_member (json_object_get_object_member (job, "request"), "prompt"),
                                  trimmed));
    }

  /* Not UTF-8: refused before any request, saying why. */
  {
    g_auto(Run) run = { 0 };
    guint creates = fake_pixwith_get_request_count (f->server, "create");

    new_home (f);
    run_cli (f, &run, NULL, "create", "a cat \xff\xfe in Latin-1 \xe9t\xe9");
    g_assert_cmpint (run.status, ==, 3);
    g_assert_nonnull (strstr (run.err, "not valid UTF-8"));
    g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, creates);
  }
}

/* Each bad image file is refused before any request, in its own words.
 * Tests run as root, who reads mode-000 files: "unreadable" is a dangling
 * symlink, a FIFO (which must not even be opened: that would block) and a
 * folder named like an image. */
static void
test_image_files (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *dir = NULL;
  g_autofree char *gif = NULL;
  g_autofree char *empty = NULL;
  g_autofree char *big = NULL;
  g_autofree char *dangling = NULL;
  g_autofree char *fifo = NULL;
  g_autofree char *folder = NULL;
  g_autofree guint8 *bytes = g_malloc0 (10 * 1024 * 1024 + 1);
  g_autoptr(GHashTable) messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  struct {
    const char **path;
    const char  *words;
  } cases[] = {
    { (const char **) &gif, "not a JPEG or PNG" },
    { (const char **) &empty, "is empty" },
    { (const char **) &big, "larger than 10 MB" },
    { (const char **) &dangling, "link to a file that does not exist" },
    { (const char **) &fifo, "pipe, socket or device" },
    { (const char **) &folder, "is a folder" },
  };

  new_home (f);
  dir = g_build_filename (f->home, "images", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  gif = g_build_filename (dir, "wrong-magic.png", NULL);
  g_assert_true (g_file_set_contents (gif, "GIF89a\x01\x00\x01\x00", 10, NULL));
  empty = g_build_filename (dir, "empty.png", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  big = g_build_filename (dir, "big.png", NULL);
  memcpy (bytes, "\x89PNG\r\n\x1a\n", 8);
  g_assert_true (g_file_set_contents (big, (const char *) bytes, 10 * 1024 * 1024 + 1, NULL));
  dangling = g_build_filename (dir, "dangling.png", NULL);
  g_assert_cmpint (symlink ("/nonexistent/photo.png", dangling), ==, 0);
  fifo = g_build_filename (dir, "fifo.png", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  folder = g_build_filename (dir, "folder.png", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Run) run = { 0 };

      run_cli (f, &run, NULL, "create", "a cat", "--image", *cases[i].path, "--json");
      g_test_message ("image %s -> %d: %s", *cases[i].path, run.status, run.err);
      g_assert_cmpint (run.status, ==, 3);
      g_free (check_failure (&run, PIXVERSE_ERROR_INVALID_REQUEST));
      g_assert_nonnull (strstr (run.err, cases[i].words));
      /* Its own message: no two cases say the same. */
      g_assert_true (g_hash_table_add (messages, g_strdup (run.err)));
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "pre_url"), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "s3"), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 0);
}

static void
find_names (const char *dir,
            const char *word,
            GPtrArray  *found)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (strstr (name, word) != NULL)
        g_ptr_array_add (found, g_strdup (path));
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        find_names (path, word, found);
    }
}

/* Result URLs are the service's; the names on disk are ours alone. */
static void
test_path_traversal (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *task_id = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *videos = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GPtrArray) evil = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(JsonObject) job = NULL;
  g_auto(Run) waited = { 0 };
  const char *url = fake_pixwith_get_url (f->server);
  const char *name;
  guint n_files = 0;
  FakeFault fault = { FAKE_FAULT_STATUS, 200, NULL, NULL };
  const char *debug[] = { "G_MESSAGES_DEBUG", "pixverse-monitor pixverse-client", NULL };

  new_home (f);
  task_id = create_job (f);
  answer = g_strdup_printf ("{\"code\":1,\"data\":{\"task_id\":\"%s\",\"status\":2,\"result_urls\":["
                            "\"https://x/../../evil\","
                            "\"%s/../../evil.mp4\","
                            "\"%s/cdn/%s/..%%2F..%%2F..%%2Fevil/../1.mp4?name=../../evil.mp4#../../evil\"]}}",
                            task_id, url, url, task_id);
  fault.body = answer;
  fake_pixwith_add_fault (f->server, "get", &fault, 100);
  /* The fake serves the real video once its job is done there. */
  wait_for_fake_job (f, task_id);
  run_cli (f, &waited, debug, "wait", task_id, "--json");
  g_test_message ("wait: %d %s", waited.status, waited.err);
  /* Two of three cannot be fetched; the third is the real video. */
  g_assert_cmpint (waited.status, ==, 7);
  job = only_job (f);
  g_assert_cmpstr (json_object_get_string_member (job, "status"), ==, "completed");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (job, "result_urls")), ==, 3);

  videos = g_build_filename (f->home, "data", "pixverse-studio", "videos", NULL);
  expected = g_strdup_printf ("%s_3.mp4", task_id);
  dir = g_dir_open (videos, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_test_message ("in videos/: %s", name);
      g_assert_cmpstr (name, ==, expected);
      n_files++;
    }
  g_assert_cmpuint (n_files, ==, 1);

  /* Nothing named after the URLs, anywhere in the test's tree. */
  find_names (f->tmpdir, "evil", evil);
  g_assert_cmpuint (evil->len, ==, 0);
  g_assert_false (g_file_test ("/tmp/evil", G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test ("/tmp/evil.mp4", G_FILE_TEST_EXISTS));
}

/* The base URL: https, or plain http on this machine only; TLS errors are
 * errors, and nothing is sent over a connection that failed its check. */
static void
test_base_url_and_tls (Fixture       *f,
                       gconstpointer  data)
{
  const char *refused[] = { "http://api.pixwith.ai", "http://10.1.2.3:8080", "http://[2001:db8::1]/",
                            "ftp://api.pixwith.ai", "api.pixwith.ai" };
  g_autoptr(GObject) tls_server = NULL;
  g_autofree char *tls_url = NULL;
  guint tls_requests = 0;

  new_home (f);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char *env[] = { "PIXVERSE_API_URL", refused[i], NULL };
      g_auto(Run) run = { 0 };

      run_cli (f, &run, env, "credits");
      g_assert_cmpint (run.status, ==, 2);
      g_assert_nonnull (strstr (run.err, "must be an https:// address"));
    }

  /* localhost over plain http is this machine: allowed. */
  {
    g_autofree char *local = g_strdup_printf ("http://localhost:%s",
                                              strrchr (fake_pixwith_get_url (f->server), ':') + 1);
    const char *env[] = { "PIXVERSE_API_URL", local, NULL };
    g_auto(Run) run = { 0 };

    run_cli (f, &run, env, "credits");
    g_assert_cmpint (run.status, ==, 0);
  }

  tls_server = faults_tls_server_new (&tls_requests, &tls_url);
  {
    const char *env[] = { "PIXVERSE_API_URL", tls_url, NULL };
    g_auto(Run) credits = { 0 };
    g_auto(Run) created = { 0 };

    run_cli (f, &credits, env, "credits", "--json");
    g_assert_cmpint (credits.status, ==, 9);
    g_free (check_failure (&credits, PIXVERSE_ERROR_NETWORK));
    g_assert_nonnull (strstr (credits.err, "secure connection"));

    run_cli (f, &created, env, "create", "a cat", "--json");
    g_assert_cmpint (created.status, ==, 9);
    g_assert_nonnull (strstr (created.err, "secure connection"));
  }
  g_assert_cmpuint (tls_requests, ==, 0);
  faults_tls_server_stop (tls_server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/cli/%s", faults_endpoint_label (e));

      g_test_add (path, Fixture, GUINT_TO_POINTER (e), fixture_setup, run_endpoint, fixture_teardown);
    }
  g_test_add_func ("/faults/cli/table", test_table);
  g_test_add ("/faults/cli/secrets", Fixture, NULL, fixture_setup, test_secrets, fixture_teardown);
  g_test_add ("/faults/cli/unicode-prompts", Fixture, NULL, fixture_setup, test_unicode_prompts, fixture_teardown);
  g_test_add ("/faults/cli/image-files", Fixture, NULL, fixture_setup, test_image_files, fixture_teardown);
  g_test_add ("/faults/cli/path-traversal", Fixture, NULL, fixture_setup, test_path_traversal, fixture_teardown);
  g_test_add ("/faults/cli/base-url-tls", Fixture, NULL, fixture_setup, test_base_url_and_tls, fixture_teardown);

  return g_test_run ();
}
