/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-client"

#include "config.h"

#include <json-glib/json-glib.h>

#include "fake-pixwith.h"
#include "pixverse-client.h"
#include "pixverse-error.h"
#include "pixverse-request.h"

/* PixverseClient over real HTTP against the fake service on 127.0.0.1. */

typedef struct
{
  FakePixwith    *server;
  PixverseClient *client;
  char           *tmpdir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  f->client = pixverse_client_new (fake_pixwith_get_url (f->server), PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);
  /* Short waits keep retries and timeouts quick; the logic is the same. */
  g_object_set (f->client, "retry-delay", 10, "timeout", 2, NULL);
  f->tmpdir = g_dir_make_tmp ("test-client-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  g_assert_finalize_object (f->client);
  /* Let the server see the closed connections before it is dropped. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (f->server);

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autoptr(GFile) child = g_file_get_child (dir, g_file_info_get_name (info));
      g_file_delete (child, NULL, NULL);
      g_object_unref (info);
    }
  g_file_delete (dir, NULL, NULL);
  g_free (f->tmpdir);
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
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static PixverseRequest *
valid_request (void)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, "A cat surfing a wave at sunset");
  return request;
}

static char *
create (Fixture          *f,
        PixverseRequest  *request,
        int              *estimated_time,
        GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_client_create_task_async (f->client, request, NULL, store_result, &result);
  return pixverse_client_create_task_finish (f->client, wait_for (&result), estimated_time, error);
}

static PixverseTaskInfo *
get_task (Fixture     *f,
          const char  *task_id,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_client_get_task_async (f->client, task_id, NULL, store_result, &result);
  return pixverse_client_get_task_finish (f->client, wait_for (&result), error);
}

static gboolean
get_credits (Fixture  *f,
             gint64   *credits,
             GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_client_get_credits_async (f->client, NULL, store_result, &result);
  return pixverse_client_get_credits_finish (f->client, wait_for (&result), credits, error);
}

/* Runs the main loop for @ms, so servers and clients keep working meanwhile. */
static void
run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* Makes a job that is already completed at the fake service. */
static char *
completed_task (Fixture *f,
                int      outputs)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  char *task_id;

  fake_pixwith_set_time_scale (f->server, 0.0001);
  pixverse_request_set_num_outputs (request, outputs);
  task_id = create (f, request, NULL, &error);
  g_assert_no_error (error);
  run_for (50);
  return task_id;
}

static void
test_create_ok (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(JsonNode) sent = NULL;
  g_autoptr(JsonNode) wanted = NULL;
  GBytes *body;
  int estimated_time = 0;

  fake_pixwith_set_estimated_time (f->server, 150);
  task_id = create (f, request, &estimated_time, &error);
  g_assert_no_error (error);
  g_assert_nonnull (task_id);
  g_assert_cmpstr (task_id, !=, "");
  g_assert_cmpint (estimated_time, ==, 150);

  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 1);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->server, "create", "Api-Key"), ==, PIXVERSE_TEST_API_KEY);
  g_assert_true (g_str_has_prefix (fake_pixwith_get_last_header (f->server, "create", "Content-Type"),
                                   "application/json"));
  g_assert_true (g_str_has_prefix (fake_pixwith_get_last_header (f->server, "create", "User-Agent"),
                                   "pixverse-studio/" PACKAGE_VERSION));

  /* The body is exactly the request's JSON. */
  body = fake_pixwith_get_last_body (f->server, "create");
  g_assert_nonnull (body);
  sent = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  expected = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  wanted = json_from_string (expected, &error);
  g_assert_no_error (error);
  g_assert_true (json_node_equal (sent, wanted));
}

static void
test_create_invalid_request (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  pixverse_request_set_prompt (request, "   ");
  task_id = create (f, request, NULL, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_assert_null (task_id);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, 0);
}

static void
test_create_bad_key (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  pixverse_client_set_api_key (f->client, "key_not_a_real_one_1234567890");
  task_id = create (f, request, NULL, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH);
  g_assert_cmpstr (error->message, ==, "Invalid API KEY");
  g_assert_null (strstr (error->message, "key_not_a_real_one"));
}

static void
test_create_credits (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  fake_pixwith_set_credits (f->server, 0);
  task_id = create (f, request, NULL, &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CREDITS);
  g_assert_cmpstr (error->message, ==, "Credits not enough");
}

/* Whatever goes wrong once create may have reached the server, it is sent once. */
static void
test_create_never_retried (Fixture       *f,
                           gconstpointer  data)
{
  const struct {
    FakeFault     fault;
    PixverseError code;
    gboolean      may_exist;
  } cases[] = {
    { { FAKE_FAULT_STATUS, 503, "text/html", "<html><body>Service Unavailable</body></html>" }, PIXVERSE_ERROR_HTTP, FALSE },
    { { FAKE_FAULT_STATUS, 500, NULL, "{\"code\":0,\"message\":\"Internal error\",\"data\":null}" }, PIXVERSE_ERROR_SERVICE, FALSE },
    { { FAKE_FAULT_STATUS, 429, "text/plain", "slow down" }, PIXVERSE_ERROR_HTTP, FALSE },
    { { FAKE_FAULT_RESET }, PIXVERSE_ERROR_NETWORK, TRUE },
    { { FAKE_FAULT_RESET_MID_BODY }, PIXVERSE_ERROR_NETWORK, FALSE },
    { { FAKE_FAULT_HANG }, PIXVERSE_ERROR_TIMEOUT, TRUE },
  };

  g_object_set (f->client, "timeout", 1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PixverseRequest) request = valid_request ();
      g_autoptr(GError) error = NULL;
      g_autofree char *task_id = NULL;
      guint before = fake_pixwith_get_request_count (f->server, "create");

      fake_pixwith_add_fault (f->server, "create", &cases[i].fault, 5);
      task_id = create (f, request, NULL, &error);
      g_test_message ("create with fault %u: %s", i, error ? error->message : "(none)");
      g_assert_error (error, PIXVERSE_ERROR, (int) cases[i].code);
      g_assert_null (task_id);
      g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create"), ==, before + 1);
      if (cases[i].may_exist)
        g_assert_nonnull (strstr (error->message, "may have been created"));
      fake_pixwith_clear_faults (f->server);
    }
}

static void
test_get_lifecycle (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(PixverseTaskInfo) first = NULL;
  g_autoptr(PixverseTaskInfo) last = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  fake_pixwith_set_time_scale (f->server, 0.002); /* 150 s -> 0.3 s */
  pixverse_request_set_num_outputs (request, 3);
  task_id = create (f, request, NULL, &error);
  g_assert_no_error (error);

  first = get_task (f, task_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first->task_id, ==, task_id);
  g_assert_cmpint (first->status, ==, PIXVERSE_TASK_STATUS_PROCESSING);
  g_assert_cmpuint (g_strv_length (first->result_urls), ==, 0);

  run_for (400);
  last = get_task (f, task_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (last->status, ==, PIXVERSE_TASK_STATUS_COMPLETED);
  g_assert_cmpuint (g_strv_length (last->result_urls), ==, 3);
  g_assert_true (g_str_has_prefix (last->result_urls[0], fake_pixwith_get_url (f->server)));
}

static void
test_get_failed_job (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  fake_pixwith_set_time_scale (f->server, 0.0001);
  fake_pixwith_set_outcome (f->server, FAKE_OUTCOME_FAIL);
  task_id = create (f, request, NULL, &error);
  g_assert_no_error (error);
  run_for (50);
  info = get_task (f, task_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->status, ==, PIXVERSE_TASK_STATUS_FAILED);
  g_assert_cmpuint (g_strv_length (info->result_urls), ==, 0);
}

/* get is idempotent: transient failures are retried, and counted at the server. */
static void
test_get_retries (Fixture       *f,
                  gconstpointer  data)
{
  const struct {
    FakeFault fault;
    guint     count;
    gboolean  succeeds;
    guint     requests;
  } cases[] = {
    { { FAKE_FAULT_STATUS, 503, "text/html", "<html>busy</html>" }, 2, TRUE, 3 },
    { { FAKE_FAULT_STATUS, 502, "text/html", "<html>bad gateway</html>" }, 3, TRUE, 4 },
    { { FAKE_FAULT_STATUS, 429, "text/plain", "Too Many Requests" }, 1, TRUE, 2 },
    { { FAKE_FAULT_RESET }, 2, TRUE, 3 },
    { { FAKE_FAULT_RESET_MID_BODY }, 1, TRUE, 2 },
    { { FAKE_FAULT_STATUS, 500, "text/html", "<html>down</html>" }, 10, FALSE, 4 },
    /* not transient: one request only */
    { { FAKE_FAULT_STATUS, 404, "text/html", "<html>no</html>" }, 10, FALSE, 1 },
    { { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":0,\"message\":\"Task not found\",\"data\":null}" }, 10, FALSE, 1 },
  };
  g_autofree char *task_id = completed_task (f, 1);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PixverseTaskInfo) info = NULL;
      g_autoptr(GError) error = NULL;
      guint before = fake_pixwith_get_request_count (f->server, "get");

      fake_pixwith_add_fault (f->server, "get", &cases[i].fault, cases[i].count);
      info = get_task (f, task_id, &error);
      g_test_message ("get with fault %u: %s", i, error ? error->message : "ok");
      if (cases[i].succeeds)
        {
          g_assert_no_error (error);
          g_assert_cmpint (info->status, ==, PIXVERSE_TASK_STATUS_COMPLETED);
        }
      else
        g_assert_nonnull (error);
      g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "get") - before, ==, cases[i].requests);
      fake_pixwith_clear_faults (f->server);
    }
}

/* Any bytes at all: each answer maps to exactly one error code. */
static void
test_get_faults (Fixture       *f,
                 gconstpointer  data)
{
  const struct {
    const char    *name;
    FakeFault      fault;
    PixverseError  code;
  } cases[] = {
    { "html 500", { FAKE_FAULT_STATUS, 500, "text/html", "<!DOCTYPE html><h1>Oops</h1>" }, PIXVERSE_ERROR_HTTP },
    { "html 401", { FAKE_FAULT_STATUS, 401, "text/html", "<h1>Unauthorized</h1>" }, PIXVERSE_ERROR_AUTH },
    { "json 403", { FAKE_FAULT_STATUS, 403, NULL, "{\"code\":0,\"message\":\"Invalid API KEY\",\"data\":null}" }, PIXVERSE_ERROR_AUTH },
    { "truncated", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"message\":\"ok\",\"data\":{\"task_id\":" }, PIXVERSE_ERROR_PROTOCOL },
    { "not json", { FAKE_FAULT_STATUS, 200, "text/html", "<html>hello</html>" }, PIXVERSE_ERROR_PROTOCOL },
    { "empty", { FAKE_FAULT_STATUS, 200, NULL, "" }, PIXVERSE_ERROR_PROTOCOL },
    { "code 0", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":0,\"message\":\"Something broke\",\"data\":null}" }, PIXVERSE_ERROR_SERVICE },
    { "code 2", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":2,\"message\":\"Login required\",\"data\":null}" }, PIXVERSE_ERROR_AUTH },
    { "code string", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":\"1\",\"data\":{}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "data null", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"message\":\"ok\",\"data\":null}" }, PIXVERSE_ERROR_PROTOCOL },
    { "data missing", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"message\":\"ok\"}" }, PIXVERSE_ERROR_PROTOCOL },
    { "task_id number", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":42,\"status\":2,\"result_urls\":[\"https://x/1.mp4\"]}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "status 7", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"@ID@\",\"status\":7,\"result_urls\":[]}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "status string", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"@ID@\",\"status\":\"2\"}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "result_urls object", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"@ID@\",\"status\":2,\"result_urls\":{}}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "completed no urls", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"@ID@\",\"status\":2,\"result_urls\":[]}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "url not http", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"@ID@\",\"status\":2,\"result_urls\":[\"file:///etc/passwd\"]}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "other job", { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"another\",\"status\":1}}" }, PIXVERSE_ERROR_PROTOCOL },
    { "huge body", { FAKE_FAULT_HUGE_BODY, .size = 50 * 1024 * 1024 }, PIXVERSE_ERROR_PROTOCOL },
    { "redirect", { FAKE_FAULT_REDIRECT, .body = "http://127.0.0.2:1/elsewhere" }, PIXVERSE_ERROR_HTTP },
    { "hang", { FAKE_FAULT_HANG }, PIXVERSE_ERROR_TIMEOUT },
  };
  g_autofree char *task_id = completed_task (f, 1);

  g_object_set (f->client, "max-attempts", 1, "timeout", 1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PixverseTaskInfo) info = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) body = g_string_new (cases[i].fault.body);
      FakeFault fault = cases[i].fault;

      g_string_replace (body, "@ID@", task_id, 0);
      fault.body = body->str;
      fake_pixwith_add_fault (f->server, "get", &fault, 1);
      info = get_task (f, task_id, &error);
      g_test_message ("%-20s -> %s: %s", cases[i].name,
                      error ? pixverse_error_code_to_string (error->code) : "ok",
                      error ? error->message : "");
      g_assert_error (error, PIXVERSE_ERROR, (int) cases[i].code);
      g_assert_null (info);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpuint (strlen (error->message), >, 0);
      g_assert_null (strstr (error->message, "<"));
      fake_pixwith_clear_faults (f->server);
    }
}

static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(PixverseClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 credits = 0;

  client = pixverse_client_new ("http://127.0.0.1:9", PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);
  g_object_set (client, "retry-delay", 1, NULL);
  pixverse_client_get_credits_async (client, NULL, store_result, &result);
  g_assert_false (pixverse_client_get_credits_finish (client, wait_for (&result), &credits, &error));
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

static void
test_credits (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;
  gint64 credits = 0;

  fake_pixwith_set_credits (f->server, 1000);
  fake_pixwith_set_price (f->server, 5);
  g_assert_true (get_credits (f, &credits, &error));
  g_assert_no_error (error);
  g_assert_cmpint (credits, ==, 1000);

  pixverse_request_set_num_outputs (request, 2);
  task_id = create (f, request, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (get_credits (f, &credits, &error));
  g_assert_cmpint (credits, ==, 990);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "credits"), ==, 2);
}

static GFile *
write_file (Fixture    *f,
            const char *name,
            const void *data,
            gsize       length)
{
  g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static void
count_progress (goffset  current,
                goffset  total,
                gpointer user_data)
{
  goffset *last = user_data;

  g_assert_cmpint (current, <=, total);
  g_assert_cmpint (current, >=, last[0]);
  last[0] = current;
  last[1] = total;
}

static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  g_autoptr(GFile) file = write_file (f, "holiday.png", png, sizeof png);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *image_url = NULL;
  g_autoptr(JsonNode) pre_url = NULL;
  const char * const *parts;
  GBytes *uploaded;
  goffset progress[2] = { 0, 0 };
  guint n_parts;

  pixverse_client_upload_image_async (f->client, file, count_progress, progress, NULL,
                                      NULL, store_result, &result);
  image_url = pixverse_client_upload_image_finish (f->client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (image_url, fake_pixwith_get_url (f->server)));
  g_assert_true (g_str_has_suffix (image_url, "holiday.png"));

  pre_url = json_from_string (g_bytes_get_data (fake_pixwith_get_last_body (f->server, "pre_url"), NULL), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pre_url), "image_name"), ==, "holiday.png");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (pre_url), "content_type"), ==, "image/png");

  /* Every field once, the file last; the upload target never sees the key. */
  parts = fake_pixwith_get_last_upload_parts (f->server);
  n_parts = g_strv_length ((char **) parts);
  g_assert_cmpuint (n_parts, >=, 2);
  g_assert_cmpstr (parts[n_parts - 1], ==, "file");
  for (guint i = 0; i + 1 < n_parts; i++)
    {
      g_assert_cmpstr (parts[i], !=, "file");
      for (guint j = i + 1; j + 1 < n_parts; j++)
        g_assert_cmpstr (parts[i], !=, parts[j]);
    }
  g_assert_null (fake_pixwith_get_last_header (f->server, "s3", "Api-Key"));
  uploaded = fake_pixwith_get_last_upload_file (f->server);
  g_assert_cmpmem (g_bytes_get_data (uploaded, NULL), g_bytes_get_size (uploaded), png, sizeof png);

  g_assert_cmpint (progress[1], >, (goffset) sizeof png);
  g_assert_cmpint (progress[0], ==, progress[1]);
}

static void
test_upload_refused_before_request (Fixture       *f,
                                    gconstpointer  data)
{
  static const guint8 jpeg_head[] = { 0xff, 0xd8, 0xff, 0xe0 };
  g_autofree guint8 *big = g_malloc0 (PIXVERSE_MAX_IMAGE_SIZE + 1);
  g_autofree char *missing_path = g_build_filename (f->tmpdir, "missing.jpg", NULL);
  g_autoptr(GFile) missing = g_file_new_for_path (missing_path);
  g_autoptr(GFile) empty = write_file (f, "empty.png", "", 0);
  g_autoptr(GFile) text = write_file (f, "fake.png", "GIF89a not a png", 16);
  g_autoptr(GFile) huge = NULL;
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);
  struct {
    GFile      *file;
    const char *words;
  } cases[] = {
    { missing, "Could not read" },
    { empty, "is empty" },
    { text, "not a JPEG or PNG" },
    { NULL, "larger than 10 MB" },
    { dir, "not a file" },
  };

  memcpy (big, jpeg_head, sizeof jpeg_head);
  huge = write_file (f, "huge.jpg", big, PIXVERSE_MAX_IMAGE_SIZE + 1);
  cases[3].file = huge;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      pixverse_client_upload_image_async (f->client, cases[i].file, NULL, NULL, NULL,
                                          NULL, store_result, &result);
      url = pixverse_client_upload_image_finish (f->client, wait_for (&result), &error);
      g_test_message ("upload case %u: %s", i, error ? error->message : "ok");
      g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
      g_assert_nonnull (strstr (error->message, cases[i].words));
      g_assert_null (url);
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "pre_url"), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "s3"), ==, 0);
}

static void
test_upload_rejected_by_target (Fixture       *f,
                                gconstpointer  data)
{
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F' };
  g_autoptr(GFile) file = write_file (f, "photo.jpeg", jpeg, sizeof jpeg);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  FakeFault fault = { FAKE_FAULT_STATUS, 403, "application/xml",
                      "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                      "<Message>Request has expired</Message></Error>" };

  fake_pixwith_add_fault (f->server, "s3", &fault, 1);
  pixverse_client_upload_image_async (f->client, file, NULL, NULL, NULL, NULL, store_result, &result);
  url = pixverse_client_upload_image_finish (f->client, wait_for (&result), &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "AccessDenied"));
  g_assert_null (url);
}

static gboolean
download (Fixture     *f,
          const char  *url,
          GFile       *destination,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_client_download_async (f->client, url, destination, NULL, NULL, NULL,
                                  NULL, store_result, &result);
  return pixverse_client_download_finish (f->client, wait_for (&result), error);
}

static void
test_download (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *task_id = completed_task (f, 2);
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "video.mp4", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  GBytes *video = fake_pixwith_get_video_bytes (f->server);
  gsize length = 0;

  info = get_task (f, task_id, &error);
  g_assert_no_error (error);
  g_assert_true (download (f, info->result_urls[1], destination, &error));
  g_assert_no_error (error);

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (video, NULL), g_bytes_get_size (video));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  /* Results are fetched without the key. */
  g_assert_null (fake_pixwith_get_last_header (f->server, "cdn", "Api-Key"));
}

/* GDK's drawing priority (G_PRIORITY_HIGH_IDLE + 20): the core does not
 * include GTK. */
#define DRAW_PRIORITY (G_PRIORITY_HIGH_IDLE + 20)

static gboolean
draw_cb (gpointer user_data)
{
  guint *frames = user_data;

  (*frames)++;
  return G_SOURCE_CONTINUE;
}

/* A window that draws without a pause (a spinner, where a frame takes longer
 * than the frame interval) is always ready at the drawing priority: a
 * download must not wait for it to stop. */
static void
test_download_while_drawing (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *task_id = completed_task (f, 1);
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "video.mp4", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GSource) draw = g_idle_source_new ();
  gint64 deadline;
  guint frames = 0;

  info = get_task (f, task_id, &error);
  g_assert_no_error (error);

  g_source_set_priority (draw, DRAW_PRIORITY);
  g_source_set_callback (draw, draw_cb, &frames, NULL);
  g_source_attach (draw, NULL);
  /* Drawing before the download starts: it may then never be dispatched
   * again, if the download always has something of its own ready. */
  while (frames == 0)
    g_main_context_iteration (NULL, TRUE);

  pixverse_client_download_async (f->client, info->result_urls[0], destination,
                                  NULL, NULL, NULL, NULL, store_result, &result);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (result == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (draw);

  if (result == NULL)
    g_error ("The download did not end in 20 s of drawing (%u frames)", frames);
  g_assert_true (pixverse_client_download_finish (f->client, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_download_failures (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *task_id = completed_task (f, 1);
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "video.mp4", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  FakeFault reset = { FAKE_FAULT_RESET_MID_BODY };

  info = get_task (f, task_id, &error);
  g_assert_no_error (error);

  /* cut off half way: no file, no part */
  fake_pixwith_add_fault (f->server, "cdn", &reset, 1);
  g_assert_false (download (f, info->result_urls[0], destination, &error));
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* expired result links say so */
  fake_pixwith_expire_results (f->server, task_id);
  g_assert_false (download (f, info->result_urls[0], destination, &error));
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "no longer available"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* plain http off this machine is refused before any request */
  g_assert_false (download (f, "http://example.com/video.mp4", destination, &error));
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL);
}

static void
test_base_url (void)
{
  const struct {
    const char *url;
    gboolean    ok;
  } cases[] = {
    { "https://api.pixwith.ai", TRUE },
    { "https://api.pixwith.ai/", TRUE },
    { "http://127.0.0.1:8080", TRUE },
    { "http://localhost:8080", TRUE },
    { "http://[::1]:8080", TRUE },
    { "http://api.pixwith.ai", FALSE },
    { "http://192.168.1.10", FALSE },
    { "ftp://api.pixwith.ai", FALSE },
    { "api.pixwith.ai", FALSE },
    { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PixverseClient) client = pixverse_client_new (cases[i].url, NULL, &error);

      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_nonnull (client);
          g_assert_false (g_str_has_suffix (pixverse_client_get_base_url (client), "/"));
        }
      else
        {
          g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
          g_assert_null (client);
        }
    }
}

static void
cancel_soon (gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  FakeFault hang = { FAKE_FAULT_HANG };

  g_object_set (f->client, "timeout", 30, NULL);
  fake_pixwith_add_fault (f->server, "get", &hang, 1);
  pixverse_client_get_task_async (f->client, "any", cancellable, store_result, &result);
  g_timeout_add_once (50, cancel_soon, cancellable);
  info = pixverse_client_get_task_finish (f->client, wait_for (&result), &error);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED);
  g_assert_true (pixverse_error_is_cancelled (error));
  g_assert_null (info);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/client/create/ok", test_create_ok);
  ADD ("/client/create/invalid-request", test_create_invalid_request);
  ADD ("/client/create/bad-key", test_create_bad_key);
  ADD ("/client/create/credits", test_create_credits);
  ADD ("/client/create/never-retried", test_create_never_retried);
  ADD ("/client/get/lifecycle", test_get_lifecycle);
  ADD ("/client/get/failed-job", test_get_failed_job);
  ADD ("/client/get/retries", test_get_retries);
  ADD ("/client/get/faults", test_get_faults);
  ADD ("/client/credits", test_credits);
  ADD ("/client/connection-refused", test_connection_refused);
  ADD ("/client/upload/ok", test_upload);
  ADD ("/client/upload/refused-before-request", test_upload_refused_before_request);
  ADD ("/client/upload/rejected-by-target", test_upload_rejected_by_target);
  ADD ("/client/download/ok", test_download);
  ADD ("/client/download/failures", test_download_failures);
  ADD ("/client/download/while-drawing", test_download_while_drawing);
  ADD ("/client/cancel", test_cancel);
  g_test_add_func ("/client/base-url", test_base_url);

  return g_test_run ();
}
