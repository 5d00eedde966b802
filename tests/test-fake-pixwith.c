/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-fake-pixwith"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "fake-pixwith.h"

/* Tests of the fake itself, over real HTTP with a plain SoupSession. */

#define TEST_KEY "key_00000000000000000000000000000000"

#define OPTS(po, n, res, ar, dur) \
  "{\"prompt_optimization\":" po ",\"num_outputs\":" n ",\"resolution\":" res \
  ",\"aspect_ratio\":" ar ",\"duration\":" dur "}"
#define GOOD_OPTS OPTS ("false", "1", "\"720p\"", "\"16:9\"", "5")
#define CREATE(prompt, model, opts) \
  "{\"prompt\":" prompt ",\"model_id\":" model ",\"options\":" opts "}"
#define GOOD_CREATE CREATE ("\"a cat on a skateboard\"", "\"2-27\"", GOOD_OPTS)
#define CREATE_N(n) CREATE ("\"a cat\"", "\"2-27\"", OPTS ("true", n, "\"540p\"", "\"9:16\"", "8"))

typedef struct
{
  FakePixwith *fake;
  SoupSession *session;
} Fixture;

typedef struct
{
  GBytes   *body;
  GError   *error;
  gboolean  done;
} Result;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  g_assert_nonnull (f->fake);
  g_assert_true (g_str_has_prefix (fake_pixwith_get_url (f->fake), "http://127.0.0.1:"));

  /* No proxy: the system's resolver wants GSettings schemas, which the
   * isolated test dirs do not have, and the fake is on loopback anyway. */
  f->session = soup_session_new_with_options ("timeout", 20,
                                              "proxy-resolver", NULL,
                                              NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  if (f->fake != NULL)
    g_assert_finalize_object (g_steal_pointer (&f->fake));
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &r->error);
  r->done = TRUE;
}

static void
send_start (Fixture      *f,
            SoupMessage  *msg,
            GCancellable *cancellable,
            Result       *r)
{
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    send_cb, r);
}

static void
result_wait (Result *r)
{
  while (!r->done)
    g_main_context_iteration (NULL, TRUE);
}

static GBytes *
send_message (Fixture      *f,
              SoupMessage  *msg,
              GCancellable *cancellable,
              GError      **error)
{
  Result r = { 0 };

  send_start (f, msg, cancellable, &r);
  result_wait (&r);
  if (r.error != NULL)
    {
      g_propagate_error (error, r.error);
      return NULL;
    }

  return r.body;
}

typedef struct
{
  GInputStream *stream;
  GError       *error;
  gboolean      done;
} StreamResult;

static void
send_stream_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  StreamResult *r = user_data;

  r->stream = soup_session_send_finish (SOUP_SESSION (source), result, &r->error);
  r->done = TRUE;
}

/* Reads the body as a client that reads the stream itself does: a body cut
 * short must be an error. Returns the bytes read, even on error. */
static GBytes *
send_and_read_stream (Fixture      *f,
                      SoupMessage  *msg,
                      GError      **error)
{
  StreamResult r = { 0 };
  g_autoptr(GByteArray) array = g_byte_array_new ();

  soup_session_send_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, send_stream_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  if (r.error != NULL)
    {
      g_propagate_error (error, r.error);
      return g_byte_array_free_to_bytes (g_steal_pointer (&array));
    }

  for (;;)
    {
      guint8 buffer[4096];
      gssize n = g_input_stream_read (r.stream, buffer, sizeof buffer, NULL, error);

      if (n <= 0)
        break;
      g_byte_array_append (array, buffer, n);
    }

  g_object_unref (r.stream);

  return g_byte_array_free_to_bytes (g_steal_pointer (&array));
}

static gboolean
set_true_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_true_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static char *
make_url (Fixture    *f,
          const char *path)
{
  return g_strconcat (fake_pixwith_get_url (f->fake), path, NULL);
}

static SoupMessage *
new_api_message (Fixture    *f,
                 const char *path,
                 const char *api_key,
                 const char *content_type,
                 const char *body)
{
  g_autofree char *url = make_url (f, path);
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);

  if (api_key != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "Api-Key", api_key);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }

  return msg;
}

static const char *
response_content_type (SoupMessage *msg)
{
  return soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
}

static JsonObject *
parse_object (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  json_parser_load_from_data (parser, data, length, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

/* Posts @body with the test key; returns the envelope of an HTTP 200. */
static JsonObject *
call_api_full (Fixture    *f,
               const char *path,
               const char *api_key,
               const char *content_type,
               const char *body)
{
  g_autoptr(SoupMessage) msg = new_api_message (f, path, api_key, content_type, body);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = send_message (f, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpstr (response_content_type (msg), ==, "application/json");

  return parse_object (bytes);
}

static JsonObject *
call_api (Fixture    *f,
          const char *path,
          const char *body)
{
  return call_api_full (f, path, TEST_KEY, "application/json", body);
}

static void
assert_error (JsonObject *envelope,
              const char *message)
{
  JsonNode *data;

  g_assert_true (json_object_has_member (envelope, "code"));
  g_assert_cmpint (json_object_get_int_member (envelope, "code"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member_with_default (envelope, "message", NULL),
                   ==, message);
  data = json_object_get_member (envelope, "data");
  g_assert_nonnull (data);
  g_assert_true (JSON_NODE_HOLDS_NULL (data));
}

static JsonObject *
assert_success (JsonObject *envelope)
{
  g_assert_true (json_object_has_member (envelope, "code"));
  g_assert_cmpint (json_object_get_int_member (envelope, "code"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member_with_default (envelope, "message", NULL),
                   ==, "success");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (envelope, "data")));

  return json_object_get_object_member (envelope, "data");
}

static char *
create_task (Fixture    *f,
             const char *body)
{
  g_autoptr(JsonObject) envelope = call_api (f, "/api/task/create", body);
  JsonObject *data = assert_success (envelope);
  const char *task_id = json_object_get_string_member_with_default (data, "task_id", NULL);

  g_assert_nonnull (task_id);
  g_assert_cmpuint (strlen (task_id), ==, 32);
  g_assert_cmpint (json_object_get_int_member_with_default (data, "estimated_time", -1), >=, 0);

  return g_strdup (task_id);
}

static JsonObject *
get_task (Fixture    *f,
          const char *task_id)
{
  g_autofree char *body = g_strdup_printf ("{\"task_id\":\"%s\"}", task_id);
  g_autoptr(JsonObject) envelope = call_api (f, "/api/task/get", body);
  JsonObject *data = assert_success (envelope);

  g_assert_cmpstr (json_object_get_string_member_with_default (data, "task_id", NULL), ==, task_id);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "result_urls")));

  return json_object_ref (data);
}

static gint64
get_credits (Fixture *f)
{
  g_autoptr(JsonObject) envelope = call_api (f, "/api/task/get_credits", "{}");
  JsonObject *data = assert_success (envelope);

  return json_object_get_int_member_with_default (data, "credits", -1);
}

static GBytes *
http_get (Fixture     *f,
          const char  *url,
          const char  *range,
          guint       *status,
          SoupMessage **out_msg)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  if (range != NULL)
    soup_message_headers_append (soup_message_get_request_headers (msg), "Range", range);
  bytes = send_message (f, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (out_msg != NULL)
    *out_msg = g_steal_pointer (&msg);

  return bytes;
}

static void
assert_bytes_equal (GBytes *a,
                    GBytes *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a),
                   g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

/* The lifecycle */

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *task_id = NULL;
  g_autoptr(JsonObject) processing = NULL;
  g_autoptr(JsonObject) completed = NULL;
  JsonArray *urls;
  GBytes *video = fake_pixwith_get_video_bytes (f->fake);
  GBytes *last_body;

  /* The video is the committed fixture: a real MP4. */
  g_assert_nonnull (video);
  g_assert_cmpuint (g_bytes_get_size (video), >, 1000);
  g_assert_cmpmem ((const char *) g_bytes_get_data (video, NULL) + 4, 4, "ftyp", 4);

  fake_pixwith_set_estimated_time (f->fake, 1);
  fake_pixwith_set_time_scale (f->fake, 0.5);

  task_id = create_task (f, CREATE_N ("3"));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 1);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->fake, "create", "Api-Key"), ==, TEST_KEY);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->fake, "create", "api-key"), ==, TEST_KEY);
  last_body = fake_pixwith_get_last_body (f->fake, "create");
  g_assert_cmpmem (g_bytes_get_data (last_body, NULL), g_bytes_get_size (last_body),
                   CREATE_N ("3"), strlen (CREATE_N ("3")));
  g_assert_null (fake_pixwith_get_last_body (f->fake, "pre_url"));
  g_assert_null (fake_pixwith_get_last_header (f->fake, "pre_url", "Api-Key"));

  processing = get_task (f, task_id);
  g_assert_cmpint (json_object_get_int_member (processing, "status"), ==, 1);
  urls = json_object_get_array_member (processing, "result_urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 0);

  wait_ms (600);

  completed = get_task (f, task_id);
  g_assert_cmpint (json_object_get_int_member (completed, "status"), ==, 2);
  urls = json_object_get_array_member (completed, "result_urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 3);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "get"), ==, 2);

  for (guint i = 0; i < json_array_get_length (urls); i++)
    {
      const char *url = json_array_get_string_element (urls, i);
      g_autofree char *prefix = make_url (f, "/cdn/");
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GBytes) bytes = NULL;
      SoupMessageHeaders *headers;
      guint status = 0;

      g_assert_true (g_str_has_prefix (url, prefix));
      bytes = http_get (f, url, NULL, &status, &msg);
      g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
      g_assert_cmpstr (response_content_type (msg), ==, "video/mp4");
      headers = soup_message_get_response_headers (msg);
      g_assert_cmpint (soup_message_headers_get_content_length (headers),
                       ==, g_bytes_get_size (video));
      assert_bytes_equal (bytes, video);
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "cdn"), ==, 3);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000 - 3 * 5);
}

static void
test_fail_outcome (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *task_id = NULL;
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint status = 0;

  fake_pixwith_set_outcome (f->fake, FAKE_OUTCOME_FAIL);
  fake_pixwith_set_time_scale (f->fake, 0.0);

  task_id = create_task (f, GOOD_CREATE);
  task = get_task (f, task_id);
  g_assert_cmpint (json_object_get_int_member (task, "status"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (task, "result_urls")),
                    ==, 0);

  url = g_strdup_printf ("%s/cdn/%s/1.mp4", fake_pixwith_get_url (f->fake), task_id);
  bytes = http_get (f, url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
}

static void
test_estimated_time (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) envelope = NULL;
  JsonObject *result;

  envelope = call_api (f, "/api/task/create", GOOD_CREATE);
  result = assert_success (envelope);
  g_assert_cmpint (json_object_get_int_member (result, "estimated_time"), ==, 150);
  g_clear_pointer (&envelope, json_object_unref);

  fake_pixwith_set_estimated_time (f->fake, 42);
  envelope = call_api (f, "/api/task/create", GOOD_CREATE);
  result = assert_success (envelope);
  g_assert_cmpint (json_object_get_int_member (result, "estimated_time"), ==, 42);
}

/* Validation */

static const struct
{
  const char *body;
  const char *message;
} invalid_creates[] = {
  { "", "Invalid parameter: body" },
  { "not json", "Invalid parameter: body" },
  { "[]", "Invalid parameter: body" },
  { "\"text\"", "Invalid parameter: body" },
  { "{\"model_id\":\"2-27\",\"options\":" GOOD_OPTS "}", "Invalid parameter: prompt" },
  { CREATE ("\"\"", "\"2-27\"", GOOD_OPTS), "Invalid parameter: prompt" },
  { CREATE ("\"   \"", "\"2-27\"", GOOD_OPTS), "Invalid parameter: prompt" },
  { CREATE ("5", "\"2-27\"", GOOD_OPTS), "Invalid parameter: prompt" },
  { CREATE ("null", "\"2-27\"", GOOD_OPTS), "Invalid parameter: prompt" },
  { "{\"prompt\":\"a\",\"options\":" GOOD_OPTS "}", "Invalid parameter: model_id" },
  { CREATE ("\"a\"", "\"2-26\"", GOOD_OPTS), "Invalid parameter: model_id" },
  { CREATE ("\"a\"", "227", GOOD_OPTS), "Invalid parameter: model_id" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\"}", "Invalid parameter: options" },
  { CREATE ("\"a\"", "\"2-27\"", "[]"), "Invalid parameter: options" },
  { CREATE ("\"a\"", "\"2-27\"", "\"x\""), "Invalid parameter: options" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"num_outputs\":1,\"resolution\":\"720p\",\"aspect_ratio\":\"16:9\",\"duration\":5}"),
    "Invalid parameter: options.prompt_optimization" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("\"true\"", "1", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.prompt_optimization" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("1", "1", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.prompt_optimization" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"prompt_optimization\":true,\"resolution\":\"720p\","
            "\"aspect_ratio\":\"16:9\",\"duration\":5}"),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "0", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "5", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "-1", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1.0", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "\"2\"", "\"720p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.num_outputs" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"prompt_optimization\":true,\"num_outputs\":1,"
            "\"aspect_ratio\":\"16:9\",\"duration\":5}"),
    "Invalid parameter: options.resolution" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"480p\"", "\"16:9\"", "5")),
    "Invalid parameter: options.resolution" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "720", "\"16:9\"", "5")),
    "Invalid parameter: options.resolution" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"720P\"", "\"16:9\"", "5")),
    "Invalid parameter: options.resolution" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"prompt_optimization\":true,\"num_outputs\":1,"
            "\"resolution\":\"720p\",\"duration\":5}"),
    "Invalid parameter: options.aspect_ratio" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"720p\"", "\"21:9\"", "5")),
    "Invalid parameter: options.aspect_ratio" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"prompt_optimization\":true,\"num_outputs\":1,"
            "\"resolution\":\"720p\",\"aspect_ratio\":\"1:1\"}"),
    "Invalid parameter: options.duration" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"720p\"", "\"1:1\"", "6")),
    "Invalid parameter: options.duration" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"720p\"", "\"1:1\"", "\"5\"")),
    "Invalid parameter: options.duration" },
  { CREATE ("\"a\"", "\"2-27\"", OPTS ("true", "1", "\"720p\"", "\"1:1\"", "5.0")),
    "Invalid parameter: options.duration" },
  { CREATE ("\"a\"", "\"2-27\"",
            "{\"prompt_optimization\":true,\"num_outputs\":1,\"resolution\":\"720p\","
            "\"aspect_ratio\":\"1:1\",\"duration\":5,\"seed\":3}"),
    "Invalid parameter: options.seed" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS ",\"seed\":1}",
    "Invalid parameter: seed" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
    ",\"image_urls\":\"https://example.com/a.png\"}",
    "Invalid parameter: image_urls" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS ",\"image_urls\":[]}",
    "Invalid parameter: image_urls" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS ",\"image_urls\":null}",
    "Invalid parameter: image_urls" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
    ",\"image_urls\":[\"https://example.com/a.png\",\"https://example.com/b.png\"]}",
    "Invalid parameter: image_urls" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
    ",\"image_urls\":[\"ftp://example.com/a.png\"]}",
    "Invalid image url" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
    ",\"image_urls\":[\"not a url\"]}",
    "Invalid image url" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS ",\"image_urls\":[\"\"]}",
    "Invalid image url" },
  { "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS ",\"image_urls\":[5]}",
    "Invalid image url" },
};

static void
test_create_validation (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *task_id = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (invalid_creates); i++)
    {
      g_autoptr(JsonObject) envelope = NULL;

      g_test_message ("body: %s", invalid_creates[i].body);
      envelope = call_api (f, "/api/task/create", invalid_creates[i].body);
      assert_error (envelope, invalid_creates[i].message);
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==,
                    G_N_ELEMENTS (invalid_creates));
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000);

  /* Every value of every option is accepted, and image-to-video too. */
  task_id = create_task (f, CREATE ("\"a\"", "\"2-27\"",
                                    OPTS ("true", "4", "\"1080p\"", "\"3:4\"", "8")));
  g_clear_pointer (&task_id, g_free);
  task_id = create_task (f, CREATE ("\"a\"", "\"2-27\"",
                                    OPTS ("false", "1", "\"360p\"", "\"4:3\"", "5")));
  g_clear_pointer (&task_id, g_free);
  task_id = create_task (f, "{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
                            ",\"image_urls\":[\"https://example.com/a.png\"]}");
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000 - 6 * 5);
}

static void
test_get_validation (Fixture       *f,
                     gconstpointer  data)
{
  static const struct
  {
    const char *body;
    const char *message;
  } cases[] = {
    { "{\"task_id\":\"0123456789abcdef0123456789abcdef\"}", "Task not found" },
    { "{\"task_id\":\"\"}", "Task not found" },
    { "{}", "Invalid parameter: task_id" },
    { "", "Invalid parameter: body" },
    { "{\"task_id\":5}", "Invalid parameter: task_id" },
    { "{\"task_id\":\"x\",\"other\":1}", "Invalid parameter: other" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) envelope = call_api (f, "/api/task/get", cases[i].body);

      assert_error (envelope, cases[i].message);
    }
}

static void
test_credits (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonObject) envelope = NULL;
  g_autofree char *task_id = NULL;

  g_assert_cmpint (get_credits (f), ==, 1000);

  /* An empty body is an empty object. */
  envelope = call_api (f, "/api/task/get_credits", "");
  g_assert_cmpint (json_object_get_int_member (assert_success (envelope), "credits"), ==, 1000);
  g_clear_pointer (&envelope, json_object_unref);

  envelope = call_api (f, "/api/task/get_credits", "{\"x\":1}");
  assert_error (envelope, "Invalid parameter: x");
  g_clear_pointer (&envelope, json_object_unref);

  task_id = create_task (f, CREATE_N ("3"));
  g_assert_cmpint (get_credits (f), ==, 985);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 985);

  fake_pixwith_set_credits (f->fake, 10);
  envelope = call_api (f, "/api/task/create", CREATE_N ("3"));
  assert_error (envelope, "Credits not enough");
  g_clear_pointer (&envelope, json_object_unref);
  g_assert_cmpint (get_credits (f), ==, 10);

  g_clear_pointer (&task_id, g_free);
  task_id = create_task (f, CREATE_N ("2"));
  g_assert_cmpint (get_credits (f), ==, 0);

  fake_pixwith_set_price (f->fake, 0);
  g_clear_pointer (&task_id, g_free);
  task_id = create_task (f, CREATE_N ("4"));
  g_assert_cmpint (get_credits (f), ==, 0);

  fake_pixwith_set_price (f->fake, 7);
  fake_pixwith_set_credits (f->fake, 21);
  g_clear_pointer (&task_id, g_free);
  task_id = create_task (f, CREATE_N ("3"));
  g_assert_cmpint (get_credits (f), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "credits"), ==, 8);
}

static void
test_api_key (Fixture       *f,
              gconstpointer  data)
{
  static const char * const paths[] = {
    "/api/task/create", "/api/task/get", "/api/task/get_credits", "/api/task/pre_url",
  };
  static const char * const bad_keys[] = {
    NULL, "", "key_11111111111111111111111111111111", "KEY_00000000000000000000000000000000",
  };
  g_autoptr(JsonObject) envelope = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      for (guint j = 0; j < G_N_ELEMENTS (bad_keys); j++)
        {
          g_autoptr(JsonObject) e = NULL;

          e = call_api_full (f, paths[i], bad_keys[j], "application/json", "{}");

          assert_error (e, "Invalid API KEY");
        }
    }

  envelope = call_api_full (f, "/api/task/get_credits", "my-own-key", "application/json", "{}");
  assert_error (envelope, "Invalid API KEY");
  g_clear_pointer (&envelope, json_object_unref);

  fake_pixwith_add_api_key (f->fake, "my-own-key");
  envelope = call_api_full (f, "/api/task/get_credits", "my-own-key", "application/json", "{}");
  assert_success (envelope);
  g_clear_pointer (&envelope, json_object_unref);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->fake, "credits", "Api-Key"), ==, "my-own-key");

  /* The test key still works. */
  g_assert_cmpint (get_credits (f), ==, 1000);
}

static void
test_content_type_and_method (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(JsonObject) envelope = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *url = make_url (f, "/api/task/get_credits");
  g_autofree char *other = make_url (f, "/api/task/other");
  guint status = 0;

  envelope = call_api_full (f, "/api/task/get_credits", TEST_KEY, "text/plain", "{}");
  assert_error (envelope, "Invalid Content-Type: expected application/json");
  g_clear_pointer (&envelope, json_object_unref);

  envelope = call_api_full (f, "/api/task/get_credits", TEST_KEY,
                            "application/json; charset=latin1", "{}");
  assert_error (envelope, "Invalid Content-Type: expected application/json");
  g_clear_pointer (&envelope, json_object_unref);

  envelope = call_api_full (f, "/api/task/get_credits", TEST_KEY,
                            "application/json; charset=utf-8", "{}");
  assert_success (envelope);
  g_clear_pointer (&envelope, json_object_unref);

  envelope = call_api_full (f, "/api/task/get_credits", TEST_KEY,
                            "Application/JSON;charset=UTF-8", "{}");
  assert_success (envelope);
  g_clear_pointer (&envelope, json_object_unref);

  bytes = http_get (f, url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_clear_pointer (&bytes, g_bytes_unref);

  bytes = http_get (f, other, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);

  /* Counted, valid or not. */
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "credits"), ==, 5);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "no-such-endpoint"), ==, 0);
}

/* Uploads */

static JsonObject *
pre_url (Fixture    *f,
         const char *name,
         const char *content_type)
{
  g_autofree char *body = g_strdup_printf ("{\"image_name\":\"%s\",\"content_type\":\"%s\"}",
                                           name, content_type);
  g_autoptr(JsonObject) envelope = call_api (f, "/api/task/pre_url", body);

  return json_object_ref (assert_success (envelope));
}

typedef enum
{
  UPLOAD_OK,
  UPLOAD_MISSING_FIELD,
  UPLOAD_DUPLICATE_FIELD,
  UPLOAD_FILE_NOT_LAST,
  UPLOAD_FILE_TWICE,
  UPLOAD_EXTRA_FIELD,
  UPLOAD_WRONG_VALUE,
  UPLOAD_NO_FILE,
  UPLOAD_UNKNOWN_KEY,
} UploadVariant;

static guint
do_upload (Fixture       *f,
           JsonObject    *pre,
           UploadVariant  variant,
           GBytes        *file,
           GBytes       **out_body)
{
  JsonObject *upload_url = json_object_get_object_member (pre, "upload_url");
  JsonObject *fields = json_object_get_object_member (upload_url, "fields");
  g_autoptr(SoupMultipart) multipart = soup_multipart_new ("multipart/form-data");
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GList) members = json_object_get_members (fields);

  if (variant == UPLOAD_FILE_NOT_LAST)
    soup_multipart_append_form_file (multipart, "file", "photo.png", "image/png", file);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const char *value = json_object_get_string_member (fields, name);

      if (variant == UPLOAD_MISSING_FIELD && g_str_equal (name, "policy"))
        continue;
      if (variant == UPLOAD_WRONG_VALUE && g_str_equal (name, "x-amz-signature"))
        value = "0000";
      if (variant == UPLOAD_UNKNOWN_KEY && g_str_equal (name, "key"))
        value = "uploads/elsewhere/photo.png";
      soup_multipart_append_form_string (multipart, name, value);
      if (variant == UPLOAD_DUPLICATE_FIELD && g_str_equal (name, "key"))
        soup_multipart_append_form_string (multipart, name, value);
    }

  if (variant == UPLOAD_EXTRA_FIELD)
    soup_multipart_append_form_string (multipart, "acl", "public-read");
  if (variant == UPLOAD_FILE_TWICE)
    soup_multipart_append_form_file (multipart, "file", "photo.png", "image/png", file);
  if (variant != UPLOAD_FILE_NOT_LAST && variant != UPLOAD_NO_FILE)
    soup_multipart_append_form_file (multipart, "file", "photo.png", "image/png", file);

  msg = soup_message_new_from_multipart (json_object_get_string_member (upload_url, "url"),
                                         multipart);
  body = send_message (f, msg, NULL, &error);
  g_assert_no_error (error);

  if (out_body != NULL)
    *out_body = g_steal_pointer (&body);

  return soup_message_get_status (msg);
}

static void
assert_s3_error (GBytes     *body,
                 const char *code)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *element = g_strdup_printf ("<Error><Code>%s</Code><Message>", code);

  g_assert_nonnull (strstr (text, element));
}

static GBytes *
make_image (gsize size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (i * 7) & 0xff;

  return g_bytes_new_take (data, size);
}

static void
test_pre_url (Fixture       *f,
              gconstpointer  data)
{
  static const struct
  {
    const char *body;
    const char *message;
  } invalid[] = {
    { "{\"image_name\":\"a.gif\",\"content_type\":\"image/gif\"}", "Invalid image format" },
    { "{\"image_name\":\"a.jpg\",\"content_type\":\"image/gif\"}", "Invalid image format" },
    { "{\"image_name\":\"a.gif\",\"content_type\":\"image/png\"}", "Invalid image format" },
    { "{\"image_name\":\"a.webp\",\"content_type\":\"image/jpeg\"}", "Invalid image format" },
    { "{\"image_name\":\"png\",\"content_type\":\"image/png\"}", "Invalid image format" },
    { "{\"image_name\":\".png\",\"content_type\":\"image/png\"}", "Invalid image format" },
    { "{\"image_name\":\"\",\"content_type\":\"image/png\"}", "Invalid image format" },
    { "{\"image_name\":\"a/b.png\",\"content_type\":\"image/png\"}", "Invalid image format" },
    { "{\"image_name\":\"a.png\",\"content_type\":\"IMAGE/PNG\"}", "Invalid image format" },
    { "{\"content_type\":\"image/png\"}", "Invalid parameter: image_name" },
    { "{\"image_name\":\"a.png\"}", "Invalid parameter: content_type" },
    { "{\"image_name\":\"a.png\",\"content_type\":\"image/png\",\"size\":3}",
      "Invalid parameter: size" },
    { "[]", "Invalid parameter: body" },
  };
  static const char * const names[] = {
    "key", "Content-Type", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy",
    "x-amz-signature",
  };
  g_autoptr(JsonObject) pre = NULL;
  g_autofree char *s3_url = make_url (f, "/s3/upload");
  g_autofree char *img_prefix = make_url (f, "/img/");
  JsonObject *upload_url;
  JsonObject *fields;
  const char *key;

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(JsonObject) envelope = call_api (f, "/api/task/pre_url", invalid[i].body);

      assert_error (envelope, invalid[i].message);
    }

  pre = pre_url (f, "My Photo.JPEG", "image/jpeg");
  upload_url = json_object_get_object_member (pre, "upload_url");
  g_assert_cmpstr (json_object_get_string_member (upload_url, "url"), ==, s3_url);
  fields = json_object_get_object_member (upload_url, "fields");
  g_assert_cmpuint (json_object_get_size (fields), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (json_object_has_member (fields, names[i]));
      g_assert_nonnull (json_object_get_string_member_with_default (fields, names[i], NULL));
    }
  key = json_object_get_string_member (fields, "key");
  g_assert_true (g_str_has_prefix (key, "uploads/"));
  g_assert_true (g_str_has_suffix (key, "/My Photo.JPEG"));
  g_assert_cmpstr (json_object_get_string_member (fields, "Content-Type"), ==, "image/jpeg");
  g_assert_cmpstr (json_object_get_string_member (fields, "x-amz-algorithm"),
                   ==, "AWS4-HMAC-SHA256");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (pre, "image_url"), img_prefix));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (pre, "image_url"),
                                   "/My%20Photo.JPEG"));
  g_clear_pointer (&pre, json_object_unref);

  pre = pre_url (f, "x.png", "image/png");
  g_clear_pointer (&pre, json_object_unref);
  pre = pre_url (f, "x.jpg", "image/jpeg");
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "pre_url"),
                    ==, G_N_ELEMENTS (invalid) + 3);
}

static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  static const char * const expected_parts[] = {
    "key", "Content-Type", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy",
    "x-amz-signature", "file", NULL,
  };
  g_autoptr(JsonObject) pre = pre_url (f, "photo.png", "image/png");
  g_autoptr(GBytes) image = make_image (50 * 1024);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) served = NULL;
  g_autoptr(SoupMessage) get_msg = NULL;
  g_autofree char *create = NULL;
  g_autofree char *task_id = NULL;
  const char *image_url = json_object_get_string_member (pre, "image_url");
  guint status = 0;

  g_assert_null (fake_pixwith_get_last_upload_parts (f->fake));
  g_assert_null (fake_pixwith_get_last_upload_file (f->fake));

  /* Not there before the upload. */
  served = http_get (f, image_url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  g_clear_pointer (&served, g_bytes_unref);

  status = do_upload (f, pre, UPLOAD_OK, image, &body);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NO_CONTENT);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
  g_assert_cmpstrv (fake_pixwith_get_last_upload_parts (f->fake), expected_parts);
  assert_bytes_equal (fake_pixwith_get_last_upload_file (f->fake), image);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 1);
  g_assert_true (g_str_has_prefix (fake_pixwith_get_last_header (f->fake, "s3", "Content-Type"),
                                   "multipart/form-data"));

  served = http_get (f, image_url, NULL, &status, &get_msg);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (response_content_type (get_msg), ==, "image/png");
  assert_bytes_equal (served, image);

  create = g_strdup_printf ("{\"prompt\":\"a\",\"model_id\":\"2-27\",\"options\":" GOOD_OPTS
                            ",\"image_urls\":[\"%s\"]}", image_url);
  task_id = create_task (f, create);

  /* A presigned target may be used again until it expires. */
  g_clear_pointer (&body, g_bytes_unref);
  g_assert_cmpuint (do_upload (f, pre, UPLOAD_OK, image, &body), ==, SOUP_STATUS_NO_CONTENT);
}

static void
test_upload_invalid (Fixture       *f,
                     gconstpointer  data)
{
  static const struct
  {
    UploadVariant  variant;
    const char    *code;
    const char    *first_part;
    const char    *last_part;
  } cases[] = {
    { UPLOAD_MISSING_FIELD, "InvalidArgument", "key", "file" },
    { UPLOAD_DUPLICATE_FIELD, "InvalidArgument", "key", "file" },
    { UPLOAD_FILE_NOT_LAST, "InvalidArgument", "file", "x-amz-signature" },
    { UPLOAD_FILE_TWICE, "InvalidArgument", "key", "file" },
    { UPLOAD_EXTRA_FIELD, "AccessDenied", "key", "file" },
    { UPLOAD_WRONG_VALUE, "AccessDenied", "key", "file" },
    { UPLOAD_NO_FILE, "InvalidArgument", "key", "x-amz-signature" },
    { UPLOAD_UNKNOWN_KEY, "AccessDenied", "key", "file" },
  };
  g_autoptr(JsonObject) pre = pre_url (f, "photo.png", "image/png");
  g_autoptr(GBytes) image = make_image (1000);
  g_autoptr(GBytes) too_big = make_image (10 * 1024 * 1024 + 1);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) served = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) plain = g_bytes_new_static ("key=x", 5);
  g_autoptr(GError) error = NULL;
  const char *image_url = json_object_get_string_member (pre, "image_url");
  guint status = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) body = NULL;
      const char * const *parts;

      g_test_message ("upload variant %d", cases[i].variant);
      status = do_upload (f, pre, cases[i].variant, image, &body);
      g_assert_cmpuint (status, ==, SOUP_STATUS_BAD_REQUEST);
      assert_s3_error (body, cases[i].code);

      parts = fake_pixwith_get_last_upload_parts (f->fake);
      g_assert_nonnull (parts);
      g_assert_cmpstr (parts[0], ==, cases[i].first_part);
      g_assert_cmpstr (parts[g_strv_length ((char **) parts) - 1], ==, cases[i].last_part);
    }

  {
    g_autoptr(GBytes) body = NULL;

    g_assert_cmpuint (do_upload (f, pre, UPLOAD_OK, too_big, &body), ==, SOUP_STATUS_BAD_REQUEST);
    assert_s3_error (body, "EntityTooLarge");
    g_clear_pointer (&body, g_bytes_unref);

    g_assert_cmpuint (do_upload (f, pre, UPLOAD_OK, empty, &body), ==, SOUP_STATUS_BAD_REQUEST);
    assert_s3_error (body, "EntityTooSmall");
  }

  /* Not multipart at all. */
  {
    g_autofree char *url = make_url (f, "/s3/upload");
    g_autoptr(GBytes) body = NULL;

    msg = soup_message_new (SOUP_METHOD_POST, url);
    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", plain);
    body = send_message (f, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_BAD_REQUEST);
    assert_s3_error (body, "MalformedPOSTRequest");
  }

  /* Nothing was stored. */
  served = http_get (f, image_url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, G_N_ELEMENTS (cases) + 3);
}

/* Result videos */

static void
test_cdn (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *task_id = NULL;
  g_autoptr(JsonObject) task = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) tail = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *unknown = make_url (f, "/cdn/0123456789abcdef0123456789abcdef/1.mp4");
  g_autofree char *out_of_range = NULL;
  GBytes *video = fake_pixwith_get_video_bytes (f->fake);
  gsize size = g_bytes_get_size (video);
  const char *url;
  goffset start = 0, end = 0, total = 0;
  guint status = 0;

  fake_pixwith_set_time_scale (f->fake, 0.0);
  task_id = create_task (f, CREATE_N ("2"));
  task = get_task (f, task_id);
  g_assert_cmpint (json_object_get_int_member (task, "status"), ==, 2);
  url = json_array_get_string_element (json_object_get_array_member (task, "result_urls"), 1);

  /* Resuming a download. */
  bytes = http_get (f, url, "bytes=1000-", &status, &msg);
  g_assert_cmpuint (status, ==, SOUP_STATUS_PARTIAL_CONTENT);
  g_assert_true (soup_message_headers_get_content_range (soup_message_get_response_headers (msg),
                                                         &start, &end, &total));
  g_assert_cmpint (start, ==, 1000);
  g_assert_cmpint (end, ==, size - 1);
  g_assert_cmpint (total, ==, size);
  tail = g_bytes_new_from_bytes (video, 1000, size - 1000);
  assert_bytes_equal (bytes, tail);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_object (&msg);

  bytes = http_get (f, url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
  assert_bytes_equal (bytes, video);
  g_clear_pointer (&bytes, g_bytes_unref);

  out_of_range = g_strdup_printf ("%s/cdn/%s/3.mp4", fake_pixwith_get_url (f->fake), task_id);
  bytes = http_get (f, out_of_range, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  g_clear_pointer (&bytes, g_bytes_unref);

  bytes = http_get (f, unknown, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_NOT_FOUND);
  assert_s3_error (bytes, "NoSuchKey");
  g_clear_pointer (&bytes, g_bytes_unref);

  /* POST is not how videos are fetched. */
  msg = soup_message_new (SOUP_METHOD_POST, url);
  bytes = send_message (f, msg, NULL, NULL);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_clear_object (&msg);

  fake_pixwith_expire_results (f->fake, task_id);
  bytes = http_get (f, url, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, SOUP_STATUS_FORBIDDEN);
  assert_s3_error (bytes, "AccessDenied");
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "cdn"), ==, 6);
}

/* Faults */

static void
test_fault_status (Fixture       *f,
                   gconstpointer  data)
{
  FakeFault fault = {
    .kind = FAKE_FAULT_STATUS,
    .status = 503,
    .content_type = "text/html",
    .body = "<html><body>Service Unavailable</body></html>",
  };
  FakeFault code_zero = {
    .kind = FAKE_FAULT_STATUS,
    .status = 200,
    .body = "{\"code\":0,\"message\":\"Server busy\",\"data\":null}",
  };

  fake_pixwith_add_fault (f->fake, "credits", &fault, 2);
  fake_pixwith_add_fault (f->fake, "credits", &code_zero, 1);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/get_credits", TEST_KEY,
                                                    "application/json", "{}");
      g_autoptr(GBytes) body = send_message (f, msg, NULL, NULL);

      g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
      g_assert_cmpstr (response_content_type (msg), ==, "text/html");
      g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                       fault.body, strlen (fault.body));
    }

  {
    g_autoptr(JsonObject) envelope = call_api (f, "/api/task/get_credits", "{}");

    assert_error (envelope, "Server busy");
  }

  g_assert_cmpint (get_credits (f), ==, 1000);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "credits"), ==, 4);

  /* A faulted create creates nothing. */
  fault.status = 500;
  fake_pixwith_add_fault (f->fake, "create", &fault, 1);
  {
    g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/create", TEST_KEY,
                                                  "application/json", GOOD_CREATE);
    g_autoptr(GBytes) body = send_message (f, msg, NULL, NULL);

    g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
  }
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 1);

  /* Cleared faults are gone. */
  fake_pixwith_add_fault (f->fake, "credits", &fault, 5);
  fake_pixwith_clear_faults (f->fake);
  g_assert_cmpint (get_credits (f), ==, 1000);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_fault_hang (Fixture       *f,
                 gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_HANG };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/create", TEST_KEY,
                                                "application/json", CREATE_N ("2"));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);

  g_timeout_add_full (G_PRIORITY_DEFAULT, 300, cancel_cb,
                      g_object_ref (cancellable), g_object_unref);
  body = send_message (f, msg, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (body);

  /* The request reached the server: the job exists and was paid for. */
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 1);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000 - 2 * 5);

  /* The server goes on answering other requests. */
  g_assert_cmpint (get_credits (f), ==, 990);
}

static void
test_fault_hang_dispose (Fixture       *f,
                         gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_HANG };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/get_credits", TEST_KEY,
                                                "application/json", "{}");
  Result r = { 0 };

  fake_pixwith_add_fault (f->fake, "credits", &fault, 1);

  send_start (f, msg, NULL, &r);
  while (fake_pixwith_get_request_count (f->fake, "credits") == 0)
    g_main_context_iteration (NULL, TRUE);
  wait_ms (50);
  g_assert_false (r.done);

  /* Disposing the server ends the hung request without an answer. */
  g_assert_finalize_object (g_steal_pointer (&f->fake));
  result_wait (&r);
  g_assert_nonnull (r.error);
  g_assert_null (r.body);
  g_clear_error (&r.error);
}

static void
test_fault_reset (Fixture       *f,
                  gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_RESET };
  g_autoptr(GError) error = NULL;

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);

  {
    g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/create", TEST_KEY,
                                                  "application/json", GOOD_CREATE);
    g_autoptr(GBytes) body = send_message (f, msg, NULL, &error);

    g_assert_nonnull (error);
    g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
    g_test_message ("reset: %s", error->message);
    g_assert_null (body);
  }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 1);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000);

  /* Next time it works, on a new connection. */
  g_free (create_task (f, GOOD_CREATE));
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 995);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 2);
}

static void
test_fault_reset_mid_body (Fixture       *f,
                           gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_RESET_MID_BODY };
  g_autofree char *task_id = NULL;
  g_autoptr(JsonObject) task = NULL;
  const char *url;

  fake_pixwith_set_time_scale (f->fake, 0.0);
  task_id = create_task (f, GOOD_CREATE);
  task = get_task (f, task_id);
  url = json_array_get_string_element (json_object_get_array_member (task, "result_urls"), 0);

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);
  fake_pixwith_add_fault (f->fake, "get", &fault, 1);
  fake_pixwith_add_fault (f->fake, "cdn", &fault, 1);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *get_body = g_strdup_printf ("{\"task_id\":\"%s\"}", task_id);
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) body = NULL;
      SoupMessageHeaders *headers;
      goffset length;

      if (i == 0)
        msg = new_api_message (f, "/api/task/create", TEST_KEY, "application/json", GOOD_CREATE);
      else if (i == 1)
        msg = new_api_message (f, "/api/task/get", TEST_KEY, "application/json", get_body);
      else
        msg = soup_message_new (SOUP_METHOD_GET, url);

      /* Headers and half the body arrive, then the connection closes. */
      body = send_and_read_stream (f, msg, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
      g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
      headers = soup_message_get_response_headers (msg);
      length = soup_message_headers_get_content_length (headers);
      g_assert_cmpint (length, >, 0);
      g_assert_cmpint (g_bytes_get_size (body), ==, length / 2);
      if (i == 2)
        g_assert_cmpint (length, ==, g_bytes_get_size (fake_pixwith_get_video_bytes (f->fake)));
    }

  /* The cut-short create created nothing. */
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 995);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 2);

  /* Then all is well again. */
  {
    g_autoptr(JsonObject) again = get_task (f, task_id);
    g_autoptr(GBytes) bytes = NULL;
    guint status = 0;

    g_assert_cmpint (json_object_get_int_member (again, "status"), ==, 2);
    bytes = http_get (f, url, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
    assert_bytes_equal (bytes, fake_pixwith_get_video_bytes (f->fake));
  }
}

static void
test_fault_huge_body (Fixture       *f,
                      gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_HUGE_BODY, .size = 8 * 1024 * 1024 + 17 };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/create", TEST_KEY,
                                                "application/json", GOOD_CREATE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *data_text;
  gsize size = 0;

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);

  body = send_message (f, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)),
                   ==, SOUP_ENCODING_CHUNKED);
  data_text = g_bytes_get_data (body, &size);
  g_assert_cmpuint (size, ==, fault.size);
  g_assert_true (g_str_has_prefix (data_text, "{\"code\":1,"));
  g_assert_cmpmem (data_text + size - 3, 3, "\"}}", 3);

  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000);
}

static void
test_fault_slow (Fixture       *f,
                 gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_SLOW, .delay_ms = 300 };
  g_autofree char *task_id = NULL;
  gint64 start;

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);

  start = g_get_monotonic_time ();
  task_id = create_task (f, GOOD_CREATE);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 995);

  start = g_get_monotonic_time ();
  g_assert_cmpint (get_credits (f), ==, 995);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 300 * 1000);
}

static void
test_fault_slow_dispose (Fixture       *f,
                         gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_SLOW, .delay_ms = 5000 };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/get_credits", TEST_KEY,
                                                "application/json", "{}");
  Result r = { 0 };

  fake_pixwith_add_fault (f->fake, "credits", &fault, 1);

  send_start (f, msg, NULL, &r);
  while (fake_pixwith_get_request_count (f->fake, "credits") == 0)
    g_main_context_iteration (NULL, TRUE);

  /* Disposing the server drops the delayed answer with the connection. */
  g_assert_finalize_object (g_steal_pointer (&f->fake));
  result_wait (&r);
  g_assert_nonnull (r.error);
  g_clear_error (&r.error);
  g_clear_pointer (&r.body, g_bytes_unref);
}

static void
huge_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  StreamResult *r = user_data;

  r->stream = soup_session_send_finish (SOUP_SESSION (source), result, &r->error);
  r->done = TRUE;
}

/* A client that gives up on a huge body part way leaves the server well. */
static void
test_fault_huge_body_abort (Fixture       *f,
                            gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_HUGE_BODY, .size = 64 * 1024 * 1024 };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/get_credits", TEST_KEY,
                                                "application/json", "{}");
  g_autoptr(GError) error = NULL;
  StreamResult r = { 0 };
  guint8 buffer[1024];
  gssize n;

  fake_pixwith_add_fault (f->fake, "credits", &fault, 1);

  soup_session_send_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, huge_read_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);

  n = g_input_stream_read (r.stream, buffer, sizeof buffer, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, >, 0);
  g_assert_cmpmem (buffer, 10, "{\"code\":1,", 10);
  g_input_stream_close (r.stream, NULL, NULL);
  g_clear_object (&r.stream);

  wait_ms (50);
  g_assert_cmpint (get_credits (f), ==, 1000);
}

static void
test_fault_redirect (Fixture       *f,
                     gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_REDIRECT, .body = "http://127.0.0.1:9/elsewhere" };
  g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/create", TEST_KEY,
                                                "application/json", GOOD_CREATE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  fake_pixwith_add_fault (f->fake, "create", &fault, 1);

  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  body = send_message (f, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_FOUND);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                 "Location"), ==, fault.body);
  g_assert_cmpint (fake_pixwith_get_credits (f->fake), ==, 1000);
}

static void
test_fault_count (Fixture       *f,
                  gconstpointer  data)
{
  FakeFault fault = { .kind = FAKE_FAULT_STATUS, .status = 429, .body = "{}" };

  fake_pixwith_add_fault (f->fake, "get", &fault, 3);

  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(SoupMessage) msg = new_api_message (f, "/api/task/get", TEST_KEY,
                                                    "application/json", "{\"task_id\":\"x\"}");
      g_autoptr(GBytes) body = send_message (f, msg, NULL, NULL);

      g_assert_cmpuint (soup_message_get_status (msg), ==, i < 3 ? 429 : 200);
    }

  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "get"), ==, 4);
}

/* Two servers at once, each on its own port. */
static void
test_two_servers (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  FakePixwith *other = fake_pixwith_new (&error);

  g_autofree char *url = NULL;
  g_autofree char *expected = NULL;
  guint port;

  g_assert_no_error (error);
  g_assert_cmpstr (fake_pixwith_get_url (other), !=, fake_pixwith_get_url (f->fake));

  /* A given port: one just freed, most likely free again. */
  url = g_strdup (fake_pixwith_get_url (other));
  port = (guint) g_ascii_strtoull (strrchr (url, ':') + 1, NULL, 10);
  g_assert_finalize_object (other);

  other = fake_pixwith_new_on_port (port, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_assert_cmpstr (fake_pixwith_get_url (other), ==, expected);
  g_assert_finalize_object (other);
}

static void
add_test (const char *path,
          void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  add_test ("/fake-pixwith/lifecycle", test_lifecycle);
  add_test ("/fake-pixwith/fail-outcome", test_fail_outcome);
  add_test ("/fake-pixwith/estimated-time", test_estimated_time);
  add_test ("/fake-pixwith/create-validation", test_create_validation);
  add_test ("/fake-pixwith/get-validation", test_get_validation);
  add_test ("/fake-pixwith/credits", test_credits);
  add_test ("/fake-pixwith/api-key", test_api_key);
  add_test ("/fake-pixwith/content-type-and-method", test_content_type_and_method);
  add_test ("/fake-pixwith/pre-url", test_pre_url);
  add_test ("/fake-pixwith/upload", test_upload);
  add_test ("/fake-pixwith/upload-invalid", test_upload_invalid);
  add_test ("/fake-pixwith/cdn", test_cdn);
  add_test ("/fake-pixwith/fault/status", test_fault_status);
  add_test ("/fake-pixwith/fault/hang", test_fault_hang);
  add_test ("/fake-pixwith/fault/hang-dispose", test_fault_hang_dispose);
  add_test ("/fake-pixwith/fault/reset", test_fault_reset);
  add_test ("/fake-pixwith/fault/reset-mid-body", test_fault_reset_mid_body);
  add_test ("/fake-pixwith/fault/huge-body", test_fault_huge_body);
  add_test ("/fake-pixwith/fault/slow", test_fault_slow);
  add_test ("/fake-pixwith/fault/slow-dispose", test_fault_slow_dispose);
  add_test ("/fake-pixwith/fault/huge-body-abort", test_fault_huge_body_abort);
  add_test ("/fake-pixwith/fault/redirect", test_fault_redirect);
  add_test ("/fake-pixwith/fault/count", test_fault_count);
  add_test ("/fake-pixwith/two-servers", test_two_servers);

  return g_test_run ();
}
