/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "faults-common"

#include "config.h"

#include <string.h>

#include "faults-common.h"

/*
 * The cases of the fault matrix and what each endpoint must make of them,
 * written out cell by cell: create, get, credits, pre_url, S3 upload, result
 * download. The API endpoints read the service's envelope; the S3 target and
 * the video server do not (any 2xx is an accepted upload, and a download
 * must be a non-empty file that is not text).
 */

#define OK FAULTS_OK
#define A PIXVERSE_ERROR_AUTH
#define C PIXVERSE_ERROR_CREDITS
#define S PIXVERSE_ERROR_SERVICE
#define H PIXVERSE_ERROR_HTTP
#define P PIXVERSE_ERROR_PROTOCOL
#define N PIXVERSE_ERROR_NETWORK
#define T PIXVERSE_ERROR_TIMEOUT

#define HTML "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1></body></html>"
#define ENVELOPE(message) "{\"code\":0,\"message\":\"" message "\",\"data\":null}"

#define STATUS_CASES(status, html4, json4)                                          \
  { "HTTP " #status " html", { FAKE_FAULT_STATUS, status, "text/html", HTML }, 0, FALSE, html4 }, \
  { "HTTP " #status " json", { FAKE_FAULT_STATUS, status, NULL, ENVELOPE ("Temporarily unavailable") }, 0, FALSE, json4 }

#define ALL(api, s3, cdn) { api, api, api, api, s3, cdn }

#define CODE_CASE(code, message, api)                                                \
  { "code " #code " " message, { FAKE_FAULT_STATUS, 200, NULL,                       \
      "{\"code\":" #code ",\"message\":\"" message "\",\"data\":null}" }, 0, FALSE, ALL (api, OK, P) }

#define SHAPE(name, body, create, get, credits, pre_url) \
  { name, { FAKE_FAULT_STATUS, 200, NULL, body }, 0, FALSE, { create, get, credits, pre_url, OK, P } }

const FaultCase fault_cases[] = {
  STATUS_CASES (400, ALL (H, H, H), ALL (S, H, H)),
  STATUS_CASES (401, ALL (A, H, H), ALL (A, H, H)),
  STATUS_CASES (403, ALL (A, H, H), ALL (A, H, H)),
  STATUS_CASES (404, ALL (H, H, H), ALL (S, H, H)),
  STATUS_CASES (429, ALL (H, H, H), ALL (S, H, H)),
  STATUS_CASES (500, ALL (H, H, H), ALL (S, H, H)),
  STATUS_CASES (502, ALL (H, H, H), ALL (S, H, H)),
  STATUS_CASES (503, ALL (H, H, H), ALL (S, H, H)),

  /* The service's own errors (DESIGN §2); code 2 is always the key. */
  CODE_CASE (0, "Invalid API KEY", A),
  CODE_CASE (0, "Credits not enough", C),
  CODE_CASE (0, "Invalid image format", S),
  CODE_CASE (0, "Invalid image url", S),
  CODE_CASE (0, "", S),
  CODE_CASE (2, "Invalid API KEY", A),
  CODE_CASE (2, "Credits not enough", A),
  CODE_CASE (2, "Invalid image format", A),
  CODE_CASE (2, "Invalid image url", A),
  CODE_CASE (2, "", A),

  /* Valid JSON of the wrong shape: each breaks one member of an answer
   * that every endpoint takes, so only the endpoints that read it fail. */
  SHAPE ("shape: all fine", FAULTS_UNIVERSAL_ANSWER, OK, OK, OK, OK),
  SHAPE ("shape: data null", "{\"code\":1,\"message\":\"success\",\"data\":null}", P, P, P, P),
  SHAPE ("shape: data an array", "{\"code\":1,\"message\":\"success\",\"data\":[1,2]}", P, P, P, P),
  SHAPE ("shape: code a string", "{\"code\":\"1\",\"message\":\"success\",\"data\":{}}", P, P, P, P),
  SHAPE ("shape: task_id a number",
         FAULTS_UNIVERSAL_DATA ("42", "2", "[\"@URL@\"]", "1000", "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}"),
         P, P, OK, OK),
  SHAPE ("shape: status 7",
         FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "7", "[\"@URL@\"]", "1000", "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}"),
         OK, P, OK, OK),
  SHAPE ("shape: result_urls object",
         FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "2", "{\"0\":\"@URL@\"}", "1000", "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}"),
         OK, P, OK, OK),
  SHAPE ("shape: result_urls string",
         FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "2", "\"@URL@\"", "1000", "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}"),
         OK, P, OK, OK),
  SHAPE ("shape: credits a string",
         FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "2", "[\"@URL@\"]", "\"1000\"", "{\"url\":\"@S3@\",\"fields\":{\"key\":\"k\"}}"),
         OK, OK, P, OK),
  SHAPE ("shape: upload_url a string",
         FAULTS_UNIVERSAL_DATA ("\"@ID@\"", "2", "[\"@URL@\"]", "1000", "\"@S3@\""),
         OK, OK, OK, P),

  { "truncated JSON", { FAKE_FAULT_STATUS, 200, NULL,
      "{\"code\":1,\"message\":\"success\",\"data\":{\"task_id\":\"@ID@\",\"sta" }, 0, FALSE, ALL (P, OK, P) },
  { "HTML with 200", { FAKE_FAULT_STATUS, 200, "text/html", HTML }, 0, FALSE, ALL (P, OK, P) },
  { "empty body", { FAKE_FAULT_STATUS, 200, NULL, "" }, 0, FALSE, ALL (P, OK, P) },
  { "empty video/mp4 body", { FAKE_FAULT_STATUS, 200, "video/mp4", "" }, 0, FALSE, ALL (P, OK, P) },
  { "50 MB body", { FAKE_FAULT_HUGE_BODY, .size = 50 * 1024 * 1024 }, 0, FALSE, ALL (P, OK, P) },
  { "never answers", { FAKE_FAULT_HANG }, 0, FALSE, ALL (T, T, T) },
  { "reset, no answer", { FAKE_FAULT_RESET }, 0, FALSE, ALL (N, N, N) },
  { "reset mid-body", { FAKE_FAULT_RESET_MID_BODY }, 0, FALSE, ALL (N, N, N) },
  { "connection refused", { FAKE_FAULT_NONE }, 0, TRUE, ALL (N, N, N) },
  /* The key never follows a redirect, and a video only to https. */
  { "redirect off-host http", { FAKE_FAULT_REDIRECT, .body = "http://pixwith.example/elsewhere" }, 0, FALSE, ALL (H, H, P) },
  { "redirect same host", { FAKE_FAULT_REDIRECT, .body = "@URL@" }, 1, FALSE, ALL (H, H, OK) },
};

const guint n_fault_cases = G_N_ELEMENTS (fault_cases);

static const char * const fake_names[] = { "create", "get", "credits", "pre_url", "s3", "cdn" };
static const char * const labels[] = { "create", "get", "credits", "pre_url", "s3-upload", "download" };

const char *
faults_endpoint_fake_name (FaultsEndpoint endpoint)
{
  g_assert (endpoint < N_FAULTS_ENDPOINTS);
  return fake_names[endpoint];
}

const char *
faults_endpoint_label (FaultsEndpoint endpoint)
{
  g_assert (endpoint < N_FAULTS_ENDPOINTS);
  return labels[endpoint];
}

int
faults_expected_client (const FaultCase *c,
                        FaultsEndpoint   endpoint)
{
  g_assert (endpoint < N_FAULTS_ENDPOINTS);
  return c->expect[endpoint];
}

const char *
faults_code_name (const GError *error)
{
  if (error == NULL)
    return "ok";
  if (error->domain != PIXVERSE_ERROR)
    return "FOREIGN";
  return pixverse_error_code_to_string (error->code);
}

const char *
faults_expected_name (int expected)
{
  if (expected == FAULTS_OK)
    return "ok";
  if (expected == FAULTS_NOT_APPLICABLE)
    return "n/a";
  return pixverse_error_code_to_string (expected);
}

/* A message for a person: some words, valid text, no page dumped into it,
 * never the key. */
void
faults_assert_readable (const char *message,
                        const char *api_key)
{
  g_autofree char *folded = NULL;

  g_assert_nonnull (message);
  g_assert_true (g_utf8_validate (message, -1, NULL));
  g_assert_cmpuint (strlen (message), >, 5);
  g_assert_cmpuint (g_utf8_strlen (message, -1), <, 400);
  g_assert_null (strchr (message, '<'));
  folded = g_ascii_strdown (message, -1);
  g_assert_null (strstr (folded, "doctype"));
  g_assert_null (strstr (folded, "{\"code\""));
  if (api_key != NULL)
    g_assert_null (strstr (message, api_key));
}

/* An address on this machine where nothing listens: a port just let go. */
char *
faults_dead_url (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (listener);
  return g_strdup_printf ("http://127.0.0.1:%u", port);
}

void
faults_remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));
      faults_remove_tree (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

static void
find_in_tree (const char *dir,
              const char *needle,
              GPtrArray  *hits,
              guint      *n_files)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          find_in_tree (path, needle, hits, n_files);
          continue;
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
      (*n_files)++;
      g_test_message ("  searching %s (%" G_GSIZE_FORMAT " bytes)", path, length);
      if (memmem (contents, length, needle, strlen (needle)) != NULL)
        g_ptr_array_add (hits, g_steal_pointer (&path));
    }
}

GPtrArray *
faults_find_in_tree (const char *dir,
                     const char *needle)
{
  GPtrArray *hits = g_ptr_array_new_with_free_func (g_free);
  guint n_files = 0;

  find_in_tree (dir, needle, hits, &n_files);
  g_test_message ("searched %u files under %s", n_files, dir);
  return hits;
}

/* A TLS listener, not a SoupServer: the test needs no HTTP from it, only a
 * count of the clients that got far enough to send a request, and
 * libsoup 3.6's server frees a connection on disconnect while its TLS
 * handshake may still be pending (a critical under AddressSanitizer's
 * timing). Here every handshake is ours to wait for. */
typedef struct
{
  GTlsCertificate *certificate;
  GCancellable    *cancellable;
  guint           *handshakes;
  guint            pending;
} TlsServer;

static void
tls_server_free (gpointer data)
{
  TlsServer *self = data;

  g_clear_object (&self->certificate);
  g_clear_object (&self->cancellable);
  g_free (self);
}

static void
tls_handshake_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TlsServer *self = user_data;

  /* A client that completes the handshake trusted the certificate and
   * would send its request (and its key) next. */
  if (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, NULL))
    (*self->handshakes)++;
  g_io_stream_close (G_IO_STREAM (source), NULL, NULL);
  self->pending--;
}

static gboolean
tls_incoming_cb (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source,
                 gpointer           user_data)
{
  TlsServer *self = user_data;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  tls = g_tls_server_connection_new (G_IO_STREAM (connection), self->certificate, &error);
  g_assert_no_error (error);
  self->pending++;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->cancellable, tls_handshake_cb, self);
  return TRUE;
}

GObject *
faults_tls_server_new (guint  *requests,
                       char  **url)
{
  g_autofree char *cert_path = g_test_build_filename (G_TEST_DIST, "fixtures", "tls-self-signed-cert.pem", NULL);
  g_autofree char *key_path = g_test_build_filename (G_TEST_DIST, "fixtures", "tls-self-signed-key.pem", NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GSocketService *service;
  TlsServer *self;

  g_assert_true (g_tls_backend_supports_tls (g_tls_backend_get_default ()));
  self = g_new0 (TlsServer, 1);
  self->certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);
  self->cancellable = g_cancellable_new ();
  self->handshakes = requests;

  service = g_socket_service_new ();
  g_object_set_data_full (G_OBJECT (service), "faults-tls-server", self, tls_server_free);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (tls_incoming_cb), self);
  g_socket_service_start (service);

  *url = g_strdup_printf ("https://127.0.0.1:%u",
                          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return G_OBJECT (service);
}

void
faults_tls_server_stop (GObject *server)
{
  TlsServer *self = g_object_get_data (server, "faults-tls-server");
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_socket_service_stop (G_SOCKET_SERVICE (server));
  g_socket_listener_close (G_SOCKET_LISTENER (server));
  /* Handshakes the clients gave up on end at once when cancelled. */
  g_cancellable_cancel (self->cancellable);
  while (self->pending > 0 && g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (self->pending, ==, 0);
}
