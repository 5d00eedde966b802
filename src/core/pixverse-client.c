/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-client"

#include "config.h"

#include "pixverse-client.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pixverse-error.h"
#include "pixverse-response.h"
#include "pixverse-schedule.h"

/*
 * The pixwith.ai API over one keep-alive SoupSession. It knows HTTP and JSON
 * and nothing of storage: the history and the monitor build on it.
 *
 * Every call is a GTask; answers are read by us, chunk by chunk, so that the
 * size cap holds while reading. Idempotent calls (get, credits, pre_url) are
 * retried with jittered backoff; create never is, once it may have been sent,
 * since a second create could spend the person's credits twice.
 */

#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_MAX_ATTEMPTS 4
#define DEFAULT_RETRY_DELAY_MS 1000
#define MAX_RETRY_DELAY_MS (30 * 1000)
#define READ_CHUNK_SIZE (16 * 1024)
#define DOWNLOAD_CHUNK_SIZE (64 * 1024)
/* libsoup has no name for it */
#define HTTP_TOO_MANY_REQUESTS 429
/* Redirects a result download may follow, each checked like the first URL. */
#define MAX_DOWNLOAD_REDIRECTS 5

struct _PixverseClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  char        *api_key;
  char        *user_agent;
  guint        timeout;
  guint        max_attempts;
  guint        retry_delay_ms;
};

G_DEFINE_FINAL_TYPE (PixverseClient, pixverse_client, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (PixverseTaskInfo, pixverse_task_info,
                     pixverse_task_info_copy, pixverse_task_info_free)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_API_KEY,
  PROP_TIMEOUT,
  PROP_USER_AGENT,
  PROP_MAX_ATTEMPTS,
  PROP_RETRY_DELAY,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/**
 * pixverse_task_info_copy:
 * @info: what the service said of a job
 *
 * Returns: (transfer full): a copy of @info
 */
PixverseTaskInfo *
pixverse_task_info_copy (const PixverseTaskInfo *info)
{
  PixverseTaskInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new0 (PixverseTaskInfo, 1);
  copy->task_id = g_strdup (info->task_id);
  copy->status = info->status;
  copy->result_urls = g_strdupv (info->result_urls);
  return copy;
}

/**
 * pixverse_task_info_free:
 * @info: (nullable): what the service said of a job
 */
void
pixverse_task_info_free (PixverseTaskInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->task_id);
  g_strfreev (info->result_urls);
  g_free (info);
}

/**
 * pixverse_check_base_url:
 * @base_url: the service's base URL
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * The key travels in a header, so the service must be reached over TLS,
 * except on this machine (tests and offline runs).
 *
 * Returns: whether @base_url may be used
 */
gboolean
pixverse_check_base_url (const char  *base_url,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (base_url == NULL || *base_url == '\0')
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The API base URL is empty"));
      return FALSE;
    }

  if (!_pixverse_url_is_allowed (base_url, TRUE, &local_error))
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The API base URL “%s” must be an https:// address (http:// only on this machine)"),
                   base_url);
      return FALSE;
    }

  return TRUE;
}

static void
pixverse_client_constructed (GObject *object)
{
  PixverseClient *self = (PixverseClient *)object;

  G_OBJECT_CLASS (pixverse_client_parent_class)->constructed (object);

  if (self->user_agent == NULL)
    self->user_agent = g_strdup ("pixverse-studio/" PACKAGE_VERSION " (+" PACKAGE_URL ")");

  /* Tests of the programs (a server that never answers) set a short wait;
   * nothing else changes it from outside. */
  {
    const char *value = g_getenv ("PIXVERSE_HTTP_TIMEOUT");
    guint64 seconds;

    if (value != NULL && g_ascii_string_to_unsigned (value, 10, 1, 3600, &seconds, NULL))
      self->timeout = (guint) seconds;
  }

  self->session = soup_session_new_with_options ("user-agent", self->user_agent,
                                                 "timeout", self->timeout,
                                                 "max-conns-per-host", 8,
                                                 NULL);
}

static void
pixverse_client_dispose (GObject *object)
{
  PixverseClient *self = (PixverseClient *)object;

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pixverse_client_parent_class)->dispose (object);
}

static void
pixverse_client_finalize (GObject *object)
{
  PixverseClient *self = (PixverseClient *)object;

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->api_key, g_free);
  g_clear_pointer (&self->user_agent, g_free);

  G_OBJECT_CLASS (pixverse_client_parent_class)->finalize (object);
}

static void
pixverse_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PixverseClient *self = PIXVERSE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_API_KEY:
      g_value_set_string (value, self->api_key);
      break;

    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;

    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;

    case PROP_MAX_ATTEMPTS:
      g_value_set_uint (value, self->max_attempts);
      break;

    case PROP_RETRY_DELAY:
      g_value_set_uint (value, self->retry_delay_ms);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  PixverseClient *self = PIXVERSE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      {
        const char *url = g_value_get_string (value);

        /* pixverse_client_new() checks it with an error; this is the backstop. */
        if (url != NULL && !pixverse_check_base_url (url, NULL))
          {
            g_critical ("Refusing base URL without TLS off this machine");
            url = NULL;
          }
        g_free (self->base_url);
        self->base_url = g_strdup (url ? url : PIXVERSE_DEFAULT_API_URL);
        /* One slash between base and path, however the base was written. */
        while (g_str_has_suffix (self->base_url, "/"))
          self->base_url[strlen (self->base_url) - 1] = '\0';
      }
      break;

    case PROP_API_KEY:
      pixverse_client_set_api_key (self, g_value_get_string (value));
      break;

    case PROP_TIMEOUT:
      pixverse_client_set_timeout (self, g_value_get_uint (value));
      break;

    case PROP_USER_AGENT:
      g_free (self->user_agent);
      self->user_agent = g_value_dup_string (value);
      break;

    case PROP_MAX_ATTEMPTS:
      self->max_attempts = g_value_get_uint (value);
      break;

    case PROP_RETRY_DELAY:
      self->retry_delay_ms = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_client_class_init (PixverseClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pixverse_client_constructed;
  object_class->dispose = pixverse_client_dispose;
  object_class->finalize = pixverse_client_finalize;
  object_class->get_property = pixverse_client_get_property;
  object_class->set_property = pixverse_client_set_property;

  properties [PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL,
                         PIXVERSE_DEFAULT_API_URL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /* Readable so the GUI can bind to it; never printed by us. */
  properties [PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL,
                       0, 3600, DEFAULT_TIMEOUT_SECONDS,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL,
                       1, 20, DEFAULT_MAX_ATTEMPTS,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));

  properties [PROP_RETRY_DELAY] =
    g_param_spec_uint ("retry-delay", NULL, NULL,
                       0, 60 * 1000, DEFAULT_RETRY_DELAY_MS,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_client_init (PixverseClient *self)
{
}

/**
 * pixverse_client_new:
 * @base_url: (nullable): the service, %NULL for https://api.pixwith.ai
 * @api_key: (nullable): the key sent in the `Api-Key` header
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Returns: (transfer full) (nullable): a client, or %NULL if @base_url is not
 *   allowed
 */
PixverseClient *
pixverse_client_new (const char  *base_url,
                     const char  *api_key,
                     GError     **error)
{
  if (base_url != NULL && !pixverse_check_base_url (base_url, error))
    return NULL;

  return g_object_new (PIXVERSE_TYPE_CLIENT,
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}

const char *
pixverse_client_get_base_url (PixverseClient *self)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), NULL);

  return self->base_url;
}

const char *
pixverse_client_get_api_key (PixverseClient *self)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), NULL);

  return self->api_key;
}

/**
 * pixverse_client_set_api_key:
 * @self: a #PixverseClient
 * @api_key: (nullable): the key for the calls made from now on
 */
void
pixverse_client_set_api_key (PixverseClient *self,
                             const char     *api_key)
{
  g_return_if_fail (PIXVERSE_IS_CLIENT (self));

  if (g_strcmp0 (self->api_key, api_key) == 0)
    return;

  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_API_KEY]);
}

guint
pixverse_client_get_timeout (PixverseClient *self)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), 0);

  return self->timeout;
}

/**
 * pixverse_client_set_timeout:
 * @self: a #PixverseClient
 * @timeout: seconds without progress before a request fails, 0 for none
 */
void
pixverse_client_set_timeout (PixverseClient *self,
                             guint           timeout)
{
  g_return_if_fail (PIXVERSE_IS_CLIENT (self));

  if (self->timeout == timeout)
    return;

  self->timeout = timeout;
  if (self->session != NULL)
    g_object_set (self->session, "timeout", timeout, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TIMEOUT]);
}

const char *
pixverse_client_get_user_agent (PixverseClient *self)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), NULL);

  return self->user_agent;
}

/* ------------------------------------------------------------------------- *
 * Errors of the transport
 * ------------------------------------------------------------------------- */

/* Whether @error proves nothing reached the server (safe to say so for create). */
static gboolean
error_is_before_sending (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
         error->domain == G_RESOLVER_ERROR ||
         error->domain == G_TLS_ERROR;
}

static GError *
transport_error (PixverseClient *self,
                 const GError   *error,
                 GUri           *uri)
{
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  g_assert (PIXVERSE_IS_CLIENT (self));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED,
                                _("The operation was cancelled"));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_TIMEOUT,
                        _("%s did not answer within %u seconds"),
                        host ? host : _("The server"), self->timeout);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK,
                        _("The secure connection to %s failed: %s"),
                        host ? host : _("the server"), error->message);

  return g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK,
                      _("Could not reach %s: %s"),
                      host ? host : _("the server"), error->message);
}

/* ------------------------------------------------------------------------- *
 * Reading an answer whole, refusing it past PIXVERSE_MAX_RESPONSE_SIZE while
 * reading: a hostile or broken server cannot make us hold more than that.
 * ------------------------------------------------------------------------- */

typedef struct
{
  GInputStream *stream;
  GByteArray   *buffer;
} CappedRead;

static void
capped_read_free (CappedRead *read)
{
  g_clear_object (&read->stream);
  g_clear_pointer (&read->buffer, g_byte_array_unref);
  g_free (read);
}

static void
read_capped_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GCancellable *cancellable;
  g_autoptr(GTask) task = user_data;
  CappedRead *read = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_task_return_pointer (task,
                             g_byte_array_free_to_bytes (g_steal_pointer (&read->buffer)),
                             (GDestroyNotify) g_bytes_unref);
      return;
    }

  g_byte_array_append (read->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (read->buffer->len > PIXVERSE_MAX_RESPONSE_SIZE)
    {
      g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                               _("The server sent an answer larger than %u KB"),
                               PIXVERSE_MAX_RESPONSE_SIZE / 1024);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  g_input_stream_read_bytes_async (read->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   cancellable,
                                   read_capped_cb, g_steal_pointer (&task));
}

/* Takes what libsoup has buffered already, without waiting: a small answer
 * usually came with its headers, and each read through the main loop costs
 * an iteration of it (bench/run: HTTP). TRUE when the answer is complete
 * (*@bytes) or failed (*@error, as read_capped_finish() would say); FALSE
 * when the rest must be waited for, what was read being in @buffer. */
static gboolean
read_capped_now (SoupMessage   *message,
                 GInputStream  *stream,
                 GCancellable  *cancellable,
                 GByteArray    *buffer,
                 GBytes       **bytes,
                 GError       **error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  GError *local_error = NULL;

  if (soup_message_headers_get_content_length (headers) > PIXVERSE_MAX_RESPONSE_SIZE)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                   _("The server sent an answer larger than %u KB"),
                   PIXVERSE_MAX_RESPONSE_SIZE / 1024);
      return TRUE;
    }

  if (!G_IS_POLLABLE_INPUT_STREAM (stream) ||
      !g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (stream)))
    return FALSE;

  for (;;)
    {
      guint len = buffer->len;
      gssize n;

      g_byte_array_set_size (buffer, len + READ_CHUNK_SIZE);
      n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream),
                                                    buffer->data + len, READ_CHUNK_SIZE,
                                                    cancellable, &local_error);
      g_byte_array_set_size (buffer, len + MAX (n, 0));

      if (n < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&local_error);
          return FALSE;
        }
      if (n < 0)
        {
          g_propagate_error (error, local_error);
          return TRUE;
        }
      if (buffer->len > PIXVERSE_MAX_RESPONSE_SIZE)
        {
          g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                       _("The server sent an answer larger than %u KB"),
                       PIXVERSE_MAX_RESPONSE_SIZE / 1024);
          return TRUE;
        }
      if (n == 0)
        {
          *bytes = g_byte_array_free_to_bytes (g_byte_array_ref (buffer));
          return TRUE;
        }
    }
}

/* @buffer: (nullable): what was read of the answer already */
static void
read_capped_async (SoupMessage         *message,
                   GInputStream        *stream,
                   GByteArray          *buffer,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  CappedRead *read;

  g_task_set_source_tag (task, read_capped_async);
  g_task_set_check_cancellable (task, FALSE);

  if (soup_message_headers_get_content_length (headers) > PIXVERSE_MAX_RESPONSE_SIZE)
    {
      g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                               _("The server sent an answer larger than %u KB"),
                               PIXVERSE_MAX_RESPONSE_SIZE / 1024);
      return;
    }

  read = g_new0 (CappedRead, 1);
  read->stream = g_object_ref (stream);
  read->buffer = buffer != NULL ? g_byte_array_ref (buffer) : g_byte_array_new ();
  g_task_set_task_data (task, read, (GDestroyNotify) capped_read_free);

  g_input_stream_read_bytes_async (stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT, cancellable,
                                   read_capped_cb, g_steal_pointer (&task));
}

/* Errors are the stream's own, or PIXVERSE_ERROR_PROTOCOL past the cap. */
static GBytes *
read_capped_finish (GAsyncResult  *result,
                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- *
 * One API call: POST JSON, read a capped answer, parse the envelope, and
 * retry idempotent calls on network errors, timeouts, 429 and 5xx.
 * ------------------------------------------------------------------------- */

/* Turns the envelope's data into the call's result, or fails (not retried). */
typedef gpointer (*ApiParseFunc) (JsonObject  *data,
                                  gpointer     parse_data,
                                  GError     **error);

typedef struct
{
  char           *path;
  GBytes         *body;
  ApiParseFunc    parse;
  gpointer        parse_data;
  GDestroyNotify  parse_data_free;
  GDestroyNotify  result_free;
  gboolean        idempotent;
  guint         attempt;
  SoupMessage  *message;
  GInputStream *stream;
  GSource      *retry_source;
} ApiCall;

static void
api_call_free (ApiCall *call)
{
  if (call->retry_source != NULL)
    {
      g_source_destroy (call->retry_source);
      g_source_unref (call->retry_source);
    }
  g_free (call->path);
  g_bytes_unref (call->body);
  if (call->parse_data_free != NULL)
    g_clear_pointer (&call->parse_data, call->parse_data_free);
  g_clear_object (&call->message);
  g_clear_object (&call->stream);
  g_free (call);
}

static void api_call_send (GTask *task);

/* Our callers see one domain, cancellation included. Takes @task. */
static void
return_cancelled (GTask *task)
{
  g_task_return_new_error_literal (task, PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED,
                                   _("The operation was cancelled"));
  g_object_unref (task);
}

static guint
retry_after_ms (SoupMessage *message)
{
  const char *value;
  guint64 seconds;

  value = soup_message_headers_get_one (soup_message_get_response_headers (message), "Retry-After");
  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, 120, &seconds, NULL))
    return 0;
  return (guint) seconds * 1000;
}

static gboolean
api_call_retry_cb (gpointer user_data)
{
  GTask *task = user_data;
  ApiCall *call = g_task_get_task_data (task);

  g_clear_pointer (&call->retry_source, g_source_unref);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      return_cancelled (task);
      return G_SOURCE_REMOVE;
    }

  api_call_send (task);
  return G_SOURCE_REMOVE;
}

/* Takes @error. Retries when that is safe and worth it, else fails @task. */
static void
api_call_fail (GTask  *task,
               GError *error,
               guint   http_status)
{
  PixverseClient *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  gboolean transient;

  transient = g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK) ||
              g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_TIMEOUT) ||
              http_status == HTTP_TOO_MANY_REQUESTS ||
              SOUP_STATUS_IS_SERVER_ERROR (http_status);

  if (call->idempotent && transient && call->attempt < self->max_attempts &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      double factor = g_random_double_range (0.5, 1.5);
      /* Scaled like every wait (pixverse-schedule.c), for tests and demos. */
      guint delay = (guint) MIN ((double) MAX_RETRY_DELAY_MS,
                                 self->retry_delay_ms * (double) (1u << MIN (call->attempt - 1, 10)) *
                                 factor * pixverse_time_scale ());
      GCancellable *cancellable = g_task_get_cancellable (task);

      if (http_status == HTTP_TOO_MANY_REQUESTS && call->message != NULL)
        delay = MAX (delay, MIN (retry_after_ms (call->message), (guint) MAX_RETRY_DELAY_MS));

      g_debug ("%s failed (%s), attempt %u of %u; again in %u ms",
               call->path, error->message, call->attempt, self->max_attempts, delay);
      g_error_free (error);

      /* Wakes at the delay or at once when cancelled. */
      call->retry_source = g_timeout_source_new (delay);
      if (cancellable != NULL)
        {
          g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

          g_source_set_dummy_callback (cancel_source);
          g_source_add_child_source (call->retry_source, cancel_source);
        }
      g_source_set_callback (call->retry_source, api_call_retry_cb, task, NULL);
      g_source_attach (call->retry_source, g_task_get_context (task));
      return;
    }

  g_task_return_error (task, error);
  g_object_unref (task);
}

/* The answer read whole (@bytes), or why not (@error): takes both. */
static void
api_call_answer (GTask  *task,
                 GBytes *answer,
                 GError *read_error)
{
  PixverseClient *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  guint status = soup_message_get_status (call->message);
  g_autoptr(GBytes) bytes = answer;
  g_autoptr(GError) error = read_error;
  JsonObject *data;
  gpointer parsed;

  if (bytes == NULL)
    {
      if (error->domain == PIXVERSE_ERROR)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
        }
      else
        api_call_fail (task, transport_error (self, error, soup_message_get_uri (call->message)), 0);
      return;
    }

  data = _pixverse_response_parse (status,
                                   g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes),
                                   &error);
  if (data == NULL)
    {
      api_call_fail (task, g_steal_pointer (&error), status);
      return;
    }

  parsed = call->parse (data, call->parse_data, &error);
  json_object_unref (data);
  if (parsed == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, parsed, call->result_free);
  g_object_unref (task);
}

static void
api_call_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GError *error = NULL;
  GBytes *bytes = read_capped_finish (result, &error);

  api_call_answer (user_data, bytes, error);
}

static void
api_call_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  PixverseClient *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  g_autoptr(GByteArray) buffer = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *bytes = NULL;

  g_clear_object (&call->stream);
  call->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (call->stream == NULL)
    {
      g_autoptr(GError) mapped = transport_error (self, error, soup_message_get_uri (call->message));

      /* A create that may have reached the server must not be repeated by
       * the person either without looking first. */
      if (!call->idempotent && !error_is_before_sending (error) &&
          !g_error_matches (mapped, PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED))
        g_prefix_error_literal (&mapped,
                                _("The job may have been created: check the history before trying again. "));
      api_call_fail (task, g_steal_pointer (&mapped), 0);
      return;
    }

  buffer = g_byte_array_new ();
  if (read_capped_now (call->message, call->stream, g_task_get_cancellable (task),
                       buffer, &bytes, &error))
    {
      api_call_answer (task, g_steal_pointer (&bytes), g_steal_pointer (&error));
      return;
    }

  read_capped_async (call->message, call->stream, buffer, g_task_get_cancellable (task),
                     api_call_read_cb, task);
}

static void
api_call_send (GTask *task)
{
  PixverseClient *self = g_task_get_source_object (task);
  ApiCall *call = g_task_get_task_data (task);
  g_autofree char *url = g_strconcat (self->base_url, call->path, NULL);
  SoupMessageHeaders *headers;

  call->attempt++;
  g_clear_object (&call->message);
  call->message = soup_message_new (SOUP_METHOD_POST, url);
  if (call->message == NULL)
    {
      g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                               _("The API base URL “%s” is not valid"), self->base_url);
      g_object_unref (task);
      return;
    }

  /* Redirects are refused: the key must never follow one to another host. */
  soup_message_add_flags (call->message, SOUP_MESSAGE_NO_REDIRECT);
  if (call->idempotent)
    soup_message_add_flags (call->message, SOUP_MESSAGE_IDEMPOTENT);

  headers = soup_message_get_request_headers (call->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->api_key != NULL)
    soup_message_headers_replace (headers, "Api-Key", self->api_key);
  soup_message_set_request_body_from_bytes (call->message, "application/json", call->body);

  soup_session_send_async (self->session, call->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task),
                           api_call_sent_cb, task);
}

static void
api_call_async (PixverseClient      *self,
                const char          *path,
                JsonNode            *body,
                gboolean             idempotent,
                ApiParseFunc         parse,
                gpointer             parse_data,
                GDestroyNotify       parse_data_free,
                GDestroyNotify       result_free,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *json = NULL;
  ApiCall *call;

  g_assert (PIXVERSE_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* Cancellation is reported in our domain, by the steps below. */
  g_task_set_check_cancellable (task, FALSE);

  json = json_to_string (body, FALSE);
  call = g_new0 (ApiCall, 1);
  call->path = g_strdup (path);
  call->body = g_bytes_new (json, strlen (json));
  call->parse = parse;
  call->parse_data = parse_data;
  call->parse_data_free = parse_data_free;
  call->result_free = result_free;
  call->idempotent = idempotent;
  g_task_set_task_data (task, call, (GDestroyNotify) api_call_free);

  api_call_send (g_steal_pointer (&task));
}

static gpointer
api_call_finish (PixverseClient  *self,
                 GAsyncResult    *result,
                 gpointer         source_tag,
                 GError         **error)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- *
 * create, get, get_credits
 * ------------------------------------------------------------------------- */

typedef struct
{
  char *task_id;
  int   estimated_time;
} Created;

static void
created_free (Created *created)
{
  g_free (created->task_id);
  g_free (created);
}

static gpointer
parse_created (JsonObject  *data,
               gpointer     parse_data,
               GError     **error)
{
  g_autofree char *task_id = NULL;
  int estimated_time = 0;
  Created *created;

  task_id = _pixverse_response_create_task (data, &estimated_time, error);
  if (task_id == NULL)
    return NULL;

  created = g_new0 (Created, 1);
  created->task_id = g_steal_pointer (&task_id);
  created->estimated_time = estimated_time;
  return created;
}

/**
 * pixverse_client_create_task_async:
 * @self: a #PixverseClient
 * @request: what to make; it must be valid
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service has answered
 * @user_data: data for @callback
 *
 * Starts a job (`/api/task/create`). Never retried: a failure after the
 * request may have reached the service says so in its message.
 */
void
pixverse_client_create_task_async (PixverseClient      *self,
                                   PixverseRequest     *request,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (PIXVERSE_IS_CLIENT (self));
  g_return_if_fail (PIXVERSE_IS_REQUEST (request));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  body = pixverse_request_to_json (request, &error);
  if (body == NULL)
    {
      g_task_report_error (self, callback, user_data,
                           pixverse_client_create_task_async,
                           g_steal_pointer (&error));
      return;
    }

  api_call_async (self, "/api/task/create", body, FALSE,
                  parse_created, NULL, NULL, (GDestroyNotify) created_free,
                  pixverse_client_create_task_async,
                  cancellable, callback, user_data);
}

/**
 * pixverse_client_create_task_finish:
 * @self: a #PixverseClient
 * @result: the result given to the callback
 * @estimated_time: (out) (optional): seconds the service expects the job to take
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: (transfer full): the new job's task id, or %NULL
 */
char *
pixverse_client_create_task_finish (PixverseClient  *self,
                                    GAsyncResult    *result,
                                    int             *estimated_time,
                                    GError         **error)
{
  Created *created;
  char *task_id;

  created = api_call_finish (self, result, pixverse_client_create_task_async, error);
  if (created == NULL)
    return NULL;

  if (estimated_time != NULL)
    *estimated_time = created->estimated_time;
  task_id = g_steal_pointer (&created->task_id);
  created_free (created);
  return task_id;
}

static gpointer
parse_task_info (JsonObject  *data,
                 gpointer     task_id,
                 GError     **error)
{
  return _pixverse_response_task_info (data, task_id, error);
}

/**
 * pixverse_client_get_task_async:
 * @self: a #PixverseClient
 * @task_id: the job's id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the job's state
 * @user_data: data for @callback
 *
 * Asks where a job is (`/api/task/get`), retrying transient failures.
 */
void
pixverse_client_get_task_async (PixverseClient      *self,
                                const char          *task_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (PIXVERSE_IS_CLIENT (self));
  g_return_if_fail (task_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "task_id");
  json_builder_add_string_value (builder, task_id);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  api_call_async (self, "/api/task/get", body, TRUE,
                  parse_task_info, g_strdup (task_id), g_free,
                  (GDestroyNotify) pixverse_task_info_free,
                  pixverse_client_get_task_async,
                  cancellable, callback, user_data);
}

/**
 * pixverse_client_get_task_finish:
 * @self: a #PixverseClient
 * @result: the result given to the callback
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: (transfer full): what the service says of the job, or %NULL
 */
PixverseTaskInfo *
pixverse_client_get_task_finish (PixverseClient  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return api_call_finish (self, result, pixverse_client_get_task_async, error);
}

static gpointer
parse_credits (JsonObject  *data,
               gpointer     parse_data,
               GError     **error)
{
  gint64 credits = 0;

  if (!_pixverse_response_credits (data, &credits, error))
    return NULL;
  return g_memdup2 (&credits, sizeof credits);
}

/**
 * pixverse_client_get_credits_async:
 * @self: a #PixverseClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the credits left
 * @user_data: data for @callback
 *
 * Asks how many credits the account has left (`/api/task/get_credits`).
 */
void
pixverse_client_get_credits_async (PixverseClient      *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autoptr(JsonNode) body = json_node_init_object (json_node_alloc (), empty);

  g_return_if_fail (PIXVERSE_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  api_call_async (self, "/api/task/get_credits", body, TRUE,
                  parse_credits, NULL, NULL, g_free,
                  pixverse_client_get_credits_async,
                  cancellable, callback, user_data);
}

/**
 * pixverse_client_get_credits_finish:
 * @self: a #PixverseClient
 * @result: the result given to the callback
 * @credits: (out): the credits left
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: whether @credits was set
 */
gboolean
pixverse_client_get_credits_finish (PixverseClient  *self,
                                    GAsyncResult    *result,
                                    gint64          *credits,
                                    GError         **error)
{
  g_autofree gint64 *value = NULL;

  g_return_val_if_fail (credits != NULL, FALSE);

  value = api_call_finish (self, result, pixverse_client_get_credits_async, error);
  if (value == NULL)
    return FALSE;

  *credits = *value;
  return TRUE;
}

/* ------------------------------------------------------------------------- *
 * upload_image: check the file, ask pre_url for a presigned form, POST it
 * ------------------------------------------------------------------------- */

static const char *
sniff_image_type (const guint8 *head,
                  gsize         length)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (length >= sizeof png && memcmp (head, png, sizeof png) == 0)
    return "image/png";
  if (length >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    return "image/jpeg";
  return NULL;
}

/**
 * pixverse_check_image_file:
 * @file: a local image
 * @content_type: (out) (optional): "image/jpeg" or "image/png"
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Checks what the service accepts before any request: a JPEG or PNG (by its
 * first bytes, whatever its name), not empty, at most 10 MB. Blocking I/O:
 * call it from a worker thread.
 *
 * Returns: whether @file may be uploaded
 */
gboolean
pixverse_check_image_file (GFile   *file,
                           char   **content_type,
                           GError **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;
  guint8 head[8] = { 0 };
  gsize head_length = 0;
  const char *type;
  goffset size;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  name = g_file_get_parse_name (file);

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, NULL, &local_error);
  /* Each kind says what it is: a person picked it by name. A pipe is
   * never opened (that would wait for a writer). */
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is a folder, not a file"), name);
      return FALSE;
    }
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_SYMBOLIC_LINK)
    {
      /* Links are followed: one left here points nowhere. */
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is a link to a file that does not exist"), name);
      return FALSE;
    }
  if (info != NULL && g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is not a file but a pipe, socket or device"), name);
      return FALSE;
    }
  if (info != NULL)
    stream = g_file_read (file, NULL, &local_error);
  if (stream == NULL ||
      !g_input_stream_read_all (G_INPUT_STREAM (stream), head, sizeof head, &head_length,
                                NULL, &local_error))
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("Could not read “%s”: %s"), name, local_error->message);
      return FALSE;
    }

  size = g_file_info_get_size (info);
  if (size == 0)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is empty"), name);
      return FALSE;
    }

  if (size > PIXVERSE_MAX_IMAGE_SIZE)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is larger than 10 MB, the most the service accepts"), name);
      return FALSE;
    }

  type = sniff_image_type (head, head_length);
  if (type == NULL)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("“%s” is not a JPEG or PNG image"), name);
      return FALSE;
    }

  if (content_type != NULL)
    *content_type = g_strdup (type);
  return TRUE;
}

typedef struct
{
  GFile                *file;
  GBytes               *contents;
  char                 *content_type;
  char                 *image_url;
  SoupMessage          *message;
  goffset               sent;
  goffset               total;
  PixverseProgressFunc  progress;
  gpointer              progress_data;
  GDestroyNotify        progress_notify;
} Upload;

static void
upload_free (Upload *upload)
{
  if (upload->progress_notify != NULL)
    upload->progress_notify (upload->progress_data);
  if (upload->message != NULL)
    g_signal_handlers_disconnect_by_data (upload->message, upload);
  g_clear_object (&upload->file);
  g_clear_pointer (&upload->contents, g_bytes_unref);
  g_clear_pointer (&upload->content_type, g_free);
  g_clear_pointer (&upload->image_url, g_free);
  g_clear_object (&upload->message);
  g_free (upload);
}

/* The name the service sees: the file's own when it is plain and fits the
 * type, else a neutral one (the service checks the extension). */
static char *
upload_image_name (GFile      *file,
                   const char *content_type)
{
  g_autofree char *basename = g_file_get_basename (file);
  gboolean png = g_str_equal (content_type, "image/png");
  g_autofree char *lower = NULL;
  gboolean plain = basename != NULL && *basename != '\0' && *basename != '.';

  for (const char *p = basename; plain && *p; p++)
    plain = g_ascii_isalnum (*p) || strchr ("._- ", *p) != NULL;

  if (plain)
    {
      lower = g_ascii_strdown (basename, -1);
      if (png ? g_str_has_suffix (lower, ".png")
              : (g_str_has_suffix (lower, ".jpg") || g_str_has_suffix (lower, ".jpeg")))
        return g_steal_pointer (&basename);
    }

  return g_strdup (png ? "image.png" : "image.jpg");
}

static void
upload_read_file (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *content_type = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (!pixverse_check_image_file (file, &content_type, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Checked again on what was read: the file may change between the two. */
  if (!g_file_load_contents (file, cancellable, &contents, &length, NULL, &error))
    {
      name = g_file_get_parse_name (file);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_new_error_literal (task, PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED,
                                         _("The operation was cancelled"));
      else
        g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                 _("Could not read “%s”: %s"), name, error->message);
      return;
    }

  if (length == 0 || length > PIXVERSE_MAX_IMAGE_SIZE ||
      sniff_image_type ((const guint8 *) contents, length) == NULL)
    {
      name = g_file_get_parse_name (file);
      g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                               _("“%s” changed while it was read"), name);
      return;
    }

  g_object_set_data_full (G_OBJECT (task), "content-type", g_steal_pointer (&content_type), g_free);
  g_task_return_pointer (task, g_bytes_new_take (g_steal_pointer (&contents), length),
                         (GDestroyNotify) g_bytes_unref);
}

static void
upload_wrote_body_data_cb (SoupMessage *message,
                           guint        chunk_size,
                           Upload      *upload)
{
  upload->sent += chunk_size;
  if (upload->progress != NULL)
    upload->progress (MIN (upload->sent, upload->total), upload->total, upload->progress_data);
}

/* S3 says why in XML; its <Code> is short, plain and safe to show. */
static char *
s3_error_code (GBytes *body)
{
  g_autofree char *text = NULL;
  const char *start;
  const char *end;
  GString *code;

  /* An empty GBytes has no data at all: g_strndup() would give NULL. */
  if (g_bytes_get_size (body) == 0)
    return NULL;
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  start = strstr (text, "<Code>");

  if (start == NULL || (end = strstr (start, "</Code>")) == NULL)
    return NULL;

  code = g_string_new (NULL);
  for (const char *p = start + strlen ("<Code>"); p < end && code->len < 64; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (code, *p);

  if (code->len == 0)
    {
      g_string_free (code, TRUE);
      return NULL;
    }
  return g_string_free (code, FALSE);
}

static void
upload_answer_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PixverseClient *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  guint status = soup_message_get_status (upload->message);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  body = read_capped_finish (result, &error);
  if (body == NULL && error->domain != PIXVERSE_ERROR)
    {
      g_task_return_error (task, transport_error (self, error, soup_message_get_uri (upload->message)));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      code = body ? s3_error_code (body) : NULL;
      if (code != NULL)
        g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                                 _("The image upload was refused (HTTP %u, %s)"), status, code);
      else
        g_task_return_new_error (task, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                                 _("The image upload was refused (HTTP %u)"), status);
      return;
    }

  if (upload->progress != NULL)
    upload->progress (upload->total, upload->total, upload->progress_data);

  g_task_return_pointer (task, g_steal_pointer (&upload->image_url), g_free);
}

static void
upload_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GCancellable *cancellable;
  g_autoptr(GTask) task = user_data;
  PixverseClient *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, transport_error (self, error, soup_message_get_uri (upload->message)));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  read_capped_async (upload->message, stream, NULL, cancellable,
                     upload_answer_cb, g_steal_pointer (&task));
}

static gpointer
parse_object (JsonObject  *data,
              gpointer     parse_data,
              GError     **error)
{
  return json_object_ref (data);
}

static void
upload_target_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GCancellable *cancellable;
  PixverseClient *self = PIXVERSE_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(JsonObject) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autofree char *url = NULL;
  g_autofree char *name = NULL;

  data = api_call_finish (self, result, upload_target_cb, &error);
  if (data == NULL ||
      !_pixverse_response_upload_target (data, &url, &names, &values, &upload->image_url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Every field once, in the service's order, and the file last. */
  multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);
  for (guint i = 0; i < names->len; i++)
    soup_multipart_append_form_string (multipart, names->pdata[i], values->pdata[i]);
  name = upload_image_name (upload->file, upload->content_type);
  soup_multipart_append_form_file (multipart, "file", name, upload->content_type, upload->contents);

  upload->message = soup_message_new_from_multipart (url, multipart);
  if (upload->message == NULL)
    {
      g_task_return_new_error_literal (task, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                                       _("The service sent an upload address that is not valid"));
      return;
    }
  /* The key is for the API only: the upload target gets no Api-Key. */
  soup_message_add_flags (upload->message, SOUP_MESSAGE_NO_REDIRECT);
  upload->total = soup_message_headers_get_content_length (soup_message_get_request_headers (upload->message));
  g_signal_connect (upload->message, "wrote-body-data",
                    G_CALLBACK (upload_wrote_body_data_cb), upload);

  cancellable = g_task_get_cancellable (task);
  soup_session_send_async (self->session, upload->message, G_PRIORITY_DEFAULT,
                           cancellable,
                           upload_sent_cb, g_steal_pointer (&task));
}

static void
upload_file_read_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GCancellable *cancellable;
  g_autoptr(GTask) task = user_data;
  PixverseClient *self = g_task_get_source_object (task);
  Upload *upload = g_task_get_task_data (task);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  upload->contents = g_task_propagate_pointer (G_TASK (result), &error);
  if (upload->contents == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  upload->content_type = g_strdup (g_object_get_data (G_OBJECT (result), "content-type"));
  name = upload_image_name (upload->file, upload->content_type);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "image_name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "content_type");
  json_builder_add_string_value (builder, upload->content_type);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  cancellable = g_task_get_cancellable (task);
  api_call_async (self, "/api/task/pre_url", body, TRUE,
                  parse_object, NULL, NULL, (GDestroyNotify) json_object_unref,
                  upload_target_cb,
                  cancellable, upload_target_cb, g_steal_pointer (&task));
}

/**
 * pixverse_client_upload_image_async:
 * @self: a #PixverseClient
 * @file: a local JPEG or PNG image of at most 10 MB
 * @progress: (nullable) (scope notified): told of the bytes sent
 * @progress_data: data for @progress
 * @progress_notify: (nullable): frees @progress_data
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the image's address at the service
 * @user_data: data for @callback
 *
 * Uploads an image for image-to-video: the file is checked before any request,
 * then `/api/task/pre_url` gives a presigned form that gets the file.
 */
void
pixverse_client_upload_image_async (PixverseClient       *self,
                                    GFile                *file,
                                    PixverseProgressFunc  progress,
                                    gpointer              progress_data,
                                    GDestroyNotify        progress_notify,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) read_task = NULL;
  Upload *upload;

  g_return_if_fail (PIXVERSE_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_client_upload_image_async);
  /* Cancellation is reported in our domain, by the calls below. */
  g_task_set_check_cancellable (task, FALSE);

  upload = g_new0 (Upload, 1);
  upload->file = g_object_ref (file);
  upload->progress = progress;
  upload->progress_data = progress_data;
  upload->progress_notify = progress_notify;
  g_task_set_task_data (task, upload, (GDestroyNotify) upload_free);

  /* No source object: the worker thread may drop its last ref after we finish. */
  read_task = g_task_new (NULL, cancellable, upload_file_read_cb, g_steal_pointer (&task));
  g_task_set_source_tag (read_task, upload_read_file);
  g_task_set_check_cancellable (read_task, FALSE);
  g_task_set_task_data (read_task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (read_task, upload_read_file);
}

/**
 * pixverse_client_upload_image_finish:
 * @self: a #PixverseClient
 * @result: the result given to the callback
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: (transfer full): the image's address, for the request's image URL
 */
char *
pixverse_client_upload_image_finish (PixverseClient  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- *
 * download: stream a result video to NAME.part, then rename it to NAME, so
 * that no half file ever stands where a video should be.
 * ------------------------------------------------------------------------- */

typedef struct
{
  GFile                *destination;
  GFile                *part;
  SoupMessage          *message;
  GInputStream         *input;
  GOutputStream        *output;
  GBytes               *chunk;
  GError               *error;
  goffset               received;
  goffset               total;
  guint                 redirects;
  gboolean              part_made;
  PixverseProgressFunc  progress;
  gpointer              progress_data;
  GDestroyNotify        progress_notify;
} Download;

static void
download_free (Download *download)
{
  if (download->progress_notify != NULL)
    download->progress_notify (download->progress_data);
  g_clear_object (&download->destination);
  g_clear_object (&download->part);
  g_clear_object (&download->message);
  g_clear_object (&download->input);
  g_clear_object (&download->output);
  g_clear_pointer (&download->chunk, g_bytes_unref);
  g_clear_error (&download->error);
  g_free (download);
}

static void download_read_next (GTask *task);

static void
download_part_deleted_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);

  g_file_delete_finish (G_FILE (object), result, NULL);
  g_task_return_error (task, g_steal_pointer (&download->error));
}

static void
download_aborted_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);

  g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, NULL);
  g_file_delete_async (download->part, G_PRIORITY_DEFAULT, NULL,
                       download_part_deleted_cb, g_steal_pointer (&task));
}

/* Takes @error; closes and removes the part file before failing @task. */
static void
download_fail (GTask  *task,
               GError *error)
{
  PixverseClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  g_autoptr(GCancellable) cancelled = NULL;

  if (error->domain != PIXVERSE_ERROR)
    {
      download->error = transport_error (self, error, soup_message_get_uri (download->message));
      g_error_free (error);
    }
  else
    download->error = error;

  if (download->output == NULL && download->part_made)
    {
      /* Closed already (a bad ending found after the last byte): the part
       * file is complete on disk but must not stay. */
      g_file_delete_async (download->part, G_PRIORITY_DEFAULT, NULL,
                           download_part_deleted_cb, task);
      return;
    }

  if (download->output == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&download->error));
      g_object_unref (task);
      return;
    }

  /* A cancelled close abandons what was written instead of keeping it. */
  cancelled = g_cancellable_new ();
  g_cancellable_cancel (cancelled);
  g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT, cancelled,
                               download_aborted_cb, task);
}

static void
download_moved_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_file_move_finish (G_FILE (object), result, &error))
    {
      download_fail (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
download_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      g_clear_object (&download->output);
      download_fail (task, error);
      return;
    }
  g_clear_object (&download->output);

  /* An empty answer is no video: never let it stand under a video's name. */
  if (download->received == 0)
    {
      download_fail (task, g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                                                _("The video server sent an empty file")));
      return;
    }

  if (download->total >= 0 && download->received != download->total)
    {
      download_fail (task, g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_NETWORK,
                                        _("The video download ended early (%lld of %lld bytes)"),
                                        (long long) download->received,
                                        (long long) download->total));
      return;
    }

  g_file_move_async (download->part, download->destination, G_FILE_COPY_OVERWRITE,
                     G_PRIORITY_DEFAULT, g_task_get_cancellable (task), NULL, NULL,
                     download_moved_cb, task);
}

static void
download_written_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      download_fail (task, error);
      return;
    }

  download->received += g_bytes_get_size (download->chunk);
  g_clear_pointer (&download->chunk, g_bytes_unref);
  if (download->progress != NULL)
    download->progress (download->received, download->total, download->progress_data);

  download_read_next (task);
}

static void
download_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  download->chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (download->chunk == NULL)
    {
      download_fail (task, error);
      return;
    }

  if (g_bytes_get_size (download->chunk) == 0)
    {
      g_output_stream_close_async (download->output, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task),
                                   download_closed_cb, task);
      return;
    }

  g_output_stream_write_all_async (download->output,
                                   g_bytes_get_data (download->chunk, NULL),
                                   g_bytes_get_size (download->chunk),
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   download_written_cb, task);
}

static void
download_read_next (GTask *task)
{
  Download *download = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (download->input, DOWNLOAD_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task),
                                   download_read_cb, task);
}

static void
download_opened_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  download->output = G_OUTPUT_STREAM (g_file_replace_finish (G_FILE (object), result, &error));
  if (download->output == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (download->part);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GError *mapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                        _("Could not write “%s”: %s"), name, error->message);
          g_error_free (error);
          error = mapped;
        }
      download_fail (task, error);
      return;
    }
  download->part_made = TRUE;

  download_read_next (task);
}

static void download_sent_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data);

static void
download_send (GTask *task)
{
  PixverseClient *self = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);

  /* Redirects are followed here, not by libsoup, so that each target is
   * held to the rule of the first address: https, or http on this machine. */
  soup_message_add_flags (download->message, SOUP_MESSAGE_NO_REDIRECT);
  /* A fresh connection, never one kept alive by an API call: libsoup 3.6
   * replays a GET that fails unanswered on a reused connection, and that
   * replay released the session's features twice, so a later send crashed
   * (tests/test-cli.c, /cli/wait-download-reset). One connection per video
   * costs nothing next to the video. */
  soup_message_add_flags (download->message, SOUP_MESSAGE_NEW_CONNECTION);
  /* The priority of the reads that follow. Below the window's drawing, a
   * window that draws without a pause (a spinner, on a machine where a
   * frame takes longer than the frame interval) never lets the answer in. */
  soup_session_send_async (self->session, download->message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task),
                           download_sent_cb, task);
}

/* Goes on to the redirect's target, or fails @task. */
static void
download_follow_redirect (GTask *task)
{
  Download *download = g_task_get_task_data (task);
  const char *location;
  g_autoptr(GUri) target = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  location = soup_message_headers_get_one (soup_message_get_response_headers (download->message),
                                           "Location");
  if (location != NULL)
    target = g_uri_parse_relative (soup_message_get_uri (download->message), location,
                                   G_URI_FLAGS_ENCODED, NULL);
  if (target == NULL || ++download->redirects > MAX_DOWNLOAD_REDIRECTS)
    {
      download_fail (task, g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                                        _("The video server answered with a redirect (HTTP %u) that cannot be followed"),
                                        soup_message_get_status (download->message)));
      return;
    }

  url = g_uri_to_string (target);
  if (!_pixverse_url_is_allowed (url, TRUE, &error))
    {
      download_fail (task, g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                                                _("The video server redirected to an address that is not https")));
      return;
    }

  g_clear_object (&download->input);
  g_clear_object (&download->message);
  download->message = soup_message_new_from_uri (SOUP_METHOD_GET, target);
  download_send (task);
}

/* Error pages and API answers sometimes come with a 200: they are not videos. */
static gboolean
content_type_is_text (SoupMessage *message)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message),
                                                            NULL);

  return type != NULL &&
         (g_str_has_prefix (type, "text/") ||
          g_ascii_strcasecmp (type, "application/json") == 0 ||
          g_ascii_strcasecmp (type, "application/xml") == 0);
}

static void
download_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;

  download->input = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (download->input == NULL)
    {
      download_fail (task, error);
      return;
    }

  status = soup_message_get_status (download->message);
  if (SOUP_STATUS_IS_REDIRECTION (status) && status != SOUP_STATUS_NOT_MODIFIED)
    {
      download_follow_redirect (task);
      return;
    }
  if (status == SOUP_STATUS_FORBIDDEN || status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    {
      download_fail (task, g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                                        _("The video is no longer available (HTTP %u): result links expire"),
                                        status));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      download_fail (task, g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                                        _("The video server answered HTTP %u"), status));
      return;
    }

  if (content_type_is_text (download->message))
    {
      download_fail (task, g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                                                _("The video server sent a page of text instead of a video")));
      return;
    }

  download->total = soup_message_headers_get_content_length (soup_message_get_response_headers (download->message));
  if (download->total == 0 &&
      soup_message_headers_get_encoding (soup_message_get_response_headers (download->message)) != SOUP_ENCODING_CONTENT_LENGTH)
    download->total = -1;

  g_file_replace_async (download->part, NULL, FALSE,
                        G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                        G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                        download_opened_cb, task);
}

/**
 * pixverse_client_download_async:
 * @self: a #PixverseClient
 * @url: a result video's address, exactly as the service gave it
 * @destination: the file to make; `NAME.part` beside it holds it meanwhile
 * @progress: (nullable) (scope notified): told of the bytes received
 * @progress_data: data for @progress
 * @progress_notify: (nullable): frees @progress_data
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the file is complete, or not made
 * @user_data: data for @callback
 *
 * Downloads a result. Only over https (plain http only on this machine); the
 * API key is not sent. On failure no file is left behind.
 */
void
pixverse_client_download_async (PixverseClient       *self,
                                const char           *url,
                                GFile                *destination,
                                PixverseProgressFunc  progress,
                                gpointer              progress_data,
                                GDestroyNotify        progress_notify,
                                GCancellable         *cancellable,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *part_path = NULL;
  Download *download;

  g_return_if_fail (PIXVERSE_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_client_download_async);
  g_task_set_check_cancellable (task, FALSE);

  download = g_new0 (Download, 1);
  download->destination = g_object_ref (destination);
  download->total = -1;
  download->progress = progress;
  download->progress_data = progress_data;
  download->progress_notify = progress_notify;
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);

  part_path = g_strconcat (g_file_peek_path (destination), ".part", NULL);
  download->part = g_file_new_for_path (part_path);

  if (!_pixverse_url_is_allowed (url, TRUE, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  download->message = soup_message_new (SOUP_METHOD_GET, url);
  if (download->message == NULL)
    {
      g_task_return_new_error_literal (task, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                                       _("The service sent a video address that is not valid"));
      return;
    }

  download_send (g_steal_pointer (&task));
}

/**
 * pixverse_client_download_finish:
 * @self: a #PixverseClient
 * @result: the result given to the callback
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: whether the file was made
 */
gboolean
pixverse_client_download_finish (PixverseClient  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (PIXVERSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
