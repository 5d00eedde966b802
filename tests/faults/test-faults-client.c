/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-faults-client"

#include "config.h"

#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "fake-pixwith.h"
#include "faults-common.h"
#include "pixverse-client.h"
#include "pixverse-error.h"
#include "pixverse-request.h"

/*
 * The fault matrix over the client: every endpoint (create, get, credits,
 * pre_url, the S3 upload and the result download) against every way the
 * network can misbehave, over real HTTP on 127.0.0.1. Each cell asserts the
 * exact PIXVERSE_ERROR code (or success where the answer is fine for that
 * endpoint), a readable message and how many requests the server saw; the
 * last test prints the whole table.
 */

#define KEY "key_faultmatrix_5eCr3t_0123456789abcdef"

typedef struct
{
  FakePixwith    *server;
  PixverseClient *client;
  PixverseClient *dead;     /* the same, at a port where nothing listens */
  char           *dead_url;
  char           *tmpdir;
  char           *task_id;  /* a job completed at the fake */
  char           *video_url;
  GFile          *image;
} Fixture;

/* One line of the table per case, one cell per endpoint. */
static GString **table_rows;

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

static PixverseClient *
make_client (const char *url)
{
  g_autoptr(GError) error = NULL;
  PixverseClient *client = pixverse_client_new (url, KEY, &error);

  g_assert_no_error (error);
  /* Two attempts show which calls are retried; short waits keep it quick. */
  g_object_set (client, "retry-delay", 10, "timeout", 1, "max-attempts", 2, NULL);
  return client;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
  g_autoptr(GError) error = NULL;
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) got = NULL;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autofree char *png_path = NULL;

  f->server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_add_api_key (f->server, KEY);
  fake_pixwith_set_time_scale (f->server, 0.0001);
  f->client = make_client (fake_pixwith_get_url (f->server));
  f->dead_url = faults_dead_url ();
  f->dead = make_client (f->dead_url);
  f->tmpdir = g_dir_make_tmp ("test-faults-client-XXXXXX", &error);
  g_assert_no_error (error);

  png_path = g_build_filename (f->tmpdir, "photo.png", NULL);
  g_file_set_contents (png_path, (const char *) png, sizeof png, &error);
  g_assert_no_error (error);
  f->image = g_file_new_for_path (png_path);

  /* A job done at the fake, for get and the result download. */
  pixverse_request_set_prompt (request, "A lighthouse in a storm");
  pixverse_client_create_task_async (f->client, request, NULL, store_result, &created);
  f->task_id = pixverse_client_create_task_finish (f->client, wait_for (&created), NULL, &error);
  g_assert_no_error (error);
  run_for (50);
  pixverse_client_get_task_async (f->client, f->task_id, NULL, store_result, &got);
  info = pixverse_client_get_task_finish (f->client, wait_for (&got), &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->status, ==, PIXVERSE_TASK_STATUS_COMPLETED);
  f->video_url = g_strdup (info->result_urls[0]);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GFile) dir = g_file_new_for_path (f->tmpdir);

  g_clear_object (&f->image);
  g_assert_finalize_object (f->client);
  g_assert_finalize_object (f->dead);
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (f->server);
  faults_remove_tree (dir);
  g_free (f->tmpdir);
  g_free (f->task_id);
  g_free (f->video_url);
  g_free (f->dead_url);
}

/* The case's body with the fixture's addresses in place of @ID@, @URL@, ... */
static char *
expand (Fixture        *f,
        const char     *body,
        gboolean        dead_s3)
{
  g_autoptr(GString) out = g_string_new (body);
  g_autofree char *s3 = g_strconcat (dead_s3 ? f->dead_url : fake_pixwith_get_url (f->server),
                                     "/s3/upload", NULL);
  g_autofree char *img = g_strconcat (fake_pixwith_get_url (f->server), "/img/photo.png", NULL);

  if (body == NULL)
    return NULL;
  g_string_replace (out, "@ID@", f->task_id, 0);
  g_string_replace (out, "@URL@", f->video_url, 0);
  g_string_replace (out, "@S3@", s3, 0);
  g_string_replace (out, "@IMG@", img, 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Runs @endpoint's call once with the fault in place; returns its error. */
static GError *
call_endpoint (Fixture        *f,
               FaultsEndpoint  endpoint,
               gboolean        refused)
{
  PixverseClient *client = refused ? f->dead : f->client;
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;

  switch (endpoint)
    {
    case FAULTS_CREATE:
      {
        g_autoptr(PixverseRequest) request = pixverse_request_new ();
        g_autofree char *task_id = NULL;

        pixverse_request_set_prompt (request, "A cat surfing a wave at sunset");
        pixverse_client_create_task_async (client, request, NULL, store_result, &result);
        task_id = pixverse_client_create_task_finish (client, wait_for (&result), NULL, &error);
        g_assert_true ((task_id == NULL) != (error == NULL));
      }
      break;

    case FAULTS_GET:
      {
        g_autoptr(PixverseTaskInfo) info = NULL;

        pixverse_client_get_task_async (client, f->task_id, NULL, store_result, &result);
        info = pixverse_client_get_task_finish (client, wait_for (&result), &error);
        g_assert_true ((info == NULL) != (error == NULL));
        if (info != NULL)
          g_assert_cmpstr (info->task_id, ==, f->task_id);
      }
      break;

    case FAULTS_CREDITS:
      {
        gint64 credits = -1;

        pixverse_client_get_credits_async (client, NULL, store_result, &result);
        if (pixverse_client_get_credits_finish (client, wait_for (&result), &credits, &error))
          g_assert_cmpint (credits, >=, 0);
      }
      break;

    case FAULTS_PRE_URL:
    case FAULTS_S3:
      {
        PixverseClient *uploader = endpoint == FAULTS_PRE_URL ? client : f->client;
        g_autofree char *url = NULL;

        pixverse_client_upload_image_async (uploader, f->image, NULL, NULL, NULL, NULL,
                                            store_result, &result);
        url = pixverse_client_upload_image_finish (uploader, wait_for (&result), &error);
        g_assert_true ((url == NULL) != (error == NULL));
      }
      break;

    case FAULTS_CDN:
      {
        g_autofree char *path = g_build_filename (f->tmpdir, "video.mp4", NULL);
        g_autofree char *part = g_strconcat (path, ".part", NULL);
        g_autoptr(GFile) destination = g_file_new_for_path (path);
        g_autofree char *url = refused ? g_strconcat (f->dead_url, "/cdn/x/1.mp4", NULL)
                                       : g_strdup (f->video_url);

        pixverse_client_download_async (f->client, url, destination, NULL, NULL, NULL,
                                        NULL, store_result, &result);
        pixverse_client_download_finish (f->client, wait_for (&result), &error);
        /* A failed download leaves nothing behind, not even the part file. */
        g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
        g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS) == (error == NULL));
        g_remove (path);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return error;
}

static void
run_endpoint (Fixture       *f,
              gconstpointer  data)
{
  FaultsEndpoint endpoint = GPOINTER_TO_UINT (data);
  const char *name = faults_endpoint_fake_name (endpoint);

  for (guint i = 0; i < n_fault_cases; i++)
    {
      const FaultCase *c = &fault_cases[i];
      int expected = faults_expected_client (c, endpoint);
      g_autoptr(GError) error = NULL;
      g_autofree char *body = NULL;
      g_autofree char *cell = NULL;
      guint before, seen, creates_before;
      FakeFault fault = c->fault;

      if (table_rows[i] == NULL)
        table_rows[i] = g_string_new (NULL);

      if (expected == FAULTS_NOT_APPLICABLE)
        {
          g_string_append_printf (table_rows[i], " %-13s", "n/a");
          continue;
        }

      body = expand (f, c->fault.body, c->refused);
      fault.body = body;
      creates_before = fake_pixwith_get_request_count (f->server, "create");
      before = fake_pixwith_get_request_count (f->server, name);

      if (c->refused && endpoint == FAULTS_S3)
        {
          /* The upload target is whatever pre_url says: a dead one here. */
          g_autofree char *answer = expand (f, FAULTS_UNIVERSAL_ANSWER, TRUE);
          FakeFault target = { FAKE_FAULT_STATUS, 200, NULL, answer };

          fake_pixwith_add_fault (f->server, "pre_url", &target, 10);
        }
      else if (!c->refused)
        {
          fake_pixwith_add_fault (f->server, name, &fault, c->count ? c->count : 10);
          /* pre_url's own answer leads to the fake's S3: let that part pass. */
          if (endpoint == FAULTS_PRE_URL)
            {
              FakeFault accepted = { FAKE_FAULT_STATUS, 204, "text/plain", "" };

              fake_pixwith_add_fault (f->server, "s3", &accepted, 10);
            }
        }

      error = call_endpoint (f, endpoint, c->refused);
      seen = fake_pixwith_get_request_count (f->server, name) - before;
      fake_pixwith_clear_faults (f->server);

      g_test_message ("%-10s %-26s -> %-16s %u request(s): %s", faults_endpoint_label (endpoint),
                      c->name, faults_code_name (error), seen, error ? error->message : "");

      if (expected == FAULTS_OK)
        g_assert_no_error (error);
      else
        g_assert_error (error, PIXVERSE_ERROR, expected);
      if (error != NULL)
        faults_assert_readable (error->message, KEY);

      /* create is sent once at most, whatever happens. */
      g_assert_cmpuint (fake_pixwith_get_request_count (f->server, "create") - creates_before, <=, 1);
      if (endpoint == FAULTS_CREATE)
        {
          g_assert_cmpuint (seen, ==, c->refused ? 0 : 1);
          /* Without an answer the job may exist: the message says so. */
          if (c->fault.kind == FAKE_FAULT_HANG || c->fault.kind == FAKE_FAULT_RESET)
            g_assert_nonnull (strstr (error->message, "may have been created"));
        }
      else if (c->refused)
        g_assert_cmpuint (seen, ==, 0);
      else
        g_assert_cmpuint (seen, >=, 1);

      cell = g_strdup_printf ("%s/%u", faults_code_name (error), seen);
      g_string_append_printf (table_rows[i], " %-13s", cell);
    }
}

/* A certificate nobody trusts: every call fails with a TLS error before
 * one byte of the request (and so of the key) is read by the server. */
static void
test_tls (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GObject) tls_server = NULL;
  g_autoptr(PixverseClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) credits_result = NULL;
  g_autoptr(GAsyncResult) download_result = NULL;
  g_autoptr(GAsyncResult) upload_result = NULL;
  g_autofree char *base = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "tls.mp4", NULL);
  g_autoptr(GFile) destination = g_file_new_for_path (path);
  guint requests = 0;
  gint64 credits = 0;

  tls_server = faults_tls_server_new (&requests, &base);

  /* The API */
  client = make_client (base);
  pixverse_client_get_credits_async (client, NULL, store_result, &credits_result);
  g_assert_false (pixverse_client_get_credits_finish (client, wait_for (&credits_result), &credits, &error));
  g_test_message ("credits over untrusted TLS: %s", error->message);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "secure connection"));
  faults_assert_readable (error->message, KEY);
  g_clear_error (&error);

  /* A result download */
  {
    g_autofree char *url = g_strconcat (base, "/cdn/x/1.mp4", NULL);
    g_autofree char *part = g_strconcat (path, ".part", NULL);

    pixverse_client_download_async (f->client, url, destination, NULL, NULL, NULL, NULL,
                                    store_result, &download_result);
    g_assert_false (pixverse_client_download_finish (f->client, wait_for (&download_result), &error));
    g_test_message ("download over untrusted TLS: %s", error->message);
    g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
    g_assert_nonnull (strstr (error->message, "secure connection"));
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
    g_clear_error (&error);
  }

  /* An upload target from pre_url */
  {
    g_autoptr(GString) body = g_string_new (FAULTS_UNIVERSAL_ANSWER);
    g_autofree char *s3 = g_strconcat (base, "/s3/upload", NULL);
    g_autofree char *url = NULL;
    FakeFault target = { FAKE_FAULT_STATUS, 200, NULL, NULL };

    g_string_replace (body, "@S3@", s3, 0);
    g_string_replace (body, "@IMG@", "https://img.example/x.png", 0);
    g_string_replace (body, "@ID@", "x", 0);
    g_string_replace (body, "@URL@", "https://cdn.example/x.mp4", 0);
    target.body = body->str;
    fake_pixwith_add_fault (f->server, "pre_url", &target, 1);
    pixverse_client_upload_image_async (f->client, f->image, NULL, NULL, NULL, NULL,
                                        store_result, &upload_result);
    url = pixverse_client_upload_image_finish (f->client, wait_for (&upload_result), &error);
    g_test_message ("upload over untrusted TLS: %s", error ? error->message : "ok");
    g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK);
    g_assert_nonnull (strstr (error->message, "secure connection"));
    g_assert_null (url);
  }

  g_assert_cmpuint (requests, ==, 0);
  faults_tls_server_stop (tls_server);
}

/* The whole matrix in the log: code name / requests the server saw. */
static void
test_table (void)
{
  g_autoptr(GString) header = g_string_new (NULL);

  g_string_append_printf (header, "%-28s", "case");
  for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
    g_string_append_printf (header, " %-13s", faults_endpoint_label (e));
  g_test_message ("fault matrix (client): error code / requests seen by the server");
  g_test_message ("%s", header->str);
  if (table_rows[0] == NULL)
    {
      g_test_skip ("the endpoint tests did not run");
      return;
    }
  for (guint i = 0; i < n_fault_cases; i++)
    {
      if (table_rows[i] == NULL)
        continue;
      g_test_message ("%-28s%s", fault_cases[i].name, table_rows[i]->str);
      g_string_free (table_rows[i], TRUE);
      table_rows[i] = NULL;
    }
}

/* A NUL cannot come from the command line or the composer; a stored
 * request that holds one is refused, never cut short at it. */
static void
test_prompt_nul (void)
{
  static const char escaped[] =
    "{\"prompt\":\"a cat\\u0000 and more\",\"model_id\":\"2-27\",\"options\":{\"prompt_optimization\":true,"
    "\"num_outputs\":1,\"resolution\":\"720p\",\"aspect_ratio\":\"16:9\",\"duration\":5}}";
  static const char raw[] = "{\"prompt\":\"a cat\0 and more\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PixverseRequest) from_escaped = NULL;
  g_autoptr(PixverseRequest) from_raw = NULL;

  from_escaped = pixverse_request_new_from_string (escaped, -1, &error);
  g_assert_null (from_escaped);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "NUL"));
  g_clear_error (&error);

  from_raw = pixverse_request_new_from_string (raw, sizeof raw - 1, &error);
  g_assert_null (from_raw);
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "NUL"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  table_rows = g_new0 (GString *, n_fault_cases);

  for (guint e = 0; e < N_FAULTS_ENDPOINTS; e++)
    {
      g_autofree char *path = g_strdup_printf ("/faults/client/%s", faults_endpoint_label (e));

      g_test_add (path, Fixture, GUINT_TO_POINTER (e), fixture_setup, run_endpoint, fixture_teardown);
    }
  g_test_add_func ("/faults/client/table", test_table);
  g_test_add_func ("/faults/client/prompt-nul", test_prompt_nul);
  g_test_add ("/faults/client/tls", Fixture, NULL, fixture_setup, test_tls, fixture_teardown);

  return g_test_run ();
}
