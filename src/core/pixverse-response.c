/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-response"

#include "config.h"

#include "pixverse-response.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pixverse-error.h"

/*
 * Turns whatever bytes the service (or anything in between) sent into either
 * the envelope's `data` object or one PIXVERSE_ERROR. Pure and synchronous so
 * that it can be tested and fuzzed on its own.
 */

#define MAX_MESSAGE_CHARS 300
/* libsoup has no name for it */
#define HTTP_TOO_MANY_REQUESTS 429

/* The service's message goes to the person as it is, minus control characters
 * and anything past a sane length. */
static char *
clean_message (const char *message)
{
  g_autofree char *valid = g_utf8_make_valid (message, -1);
  g_autofree char *stripped = NULL;
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        c = ' ';
      g_string_append_unichar (out, c);
    }

  stripped = g_strstrip (g_string_free (out, FALSE));
  if (g_utf8_strlen (stripped, -1) > MAX_MESSAGE_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (stripped, 0, MAX_MESSAGE_CHARS);
      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&stripped);
}

static gboolean
message_mentions (const char *message,
                  const char *word)
{
  g_autofree char *folded = g_utf8_casefold (message, -1);

  return strstr (folded, word) != NULL;
}

/* code 0 (or 2, or anything but 1) with the service's own words */
static void
set_service_error (GError     **error,
                   guint        http_status,
                   gint64       code,
                   const char  *raw_message)
{
  g_autofree char *message = clean_message (raw_message ? raw_message : "");
  PixverseError kind = PIXVERSE_ERROR_SERVICE;

  /* A 401 or 403 is about the key whatever words come with it. */
  if (code == 2 || http_status == SOUP_STATUS_UNAUTHORIZED || http_status == SOUP_STATUS_FORBIDDEN ||
      message_mentions (message, "api key") || message_mentions (message, "apikey"))
    kind = PIXVERSE_ERROR_AUTH;
  else if (message_mentions (message, "credit"))
    kind = PIXVERSE_ERROR_CREDITS;

  if (*message == '\0')
    {
      if (kind == PIXVERSE_ERROR_AUTH)
        g_set_error (error, PIXVERSE_ERROR, kind,
                     _("The service refused the API key"));
      else
        g_set_error (error, PIXVERSE_ERROR, kind,
                     _("The service reported an error (code %lld) without a message"),
                     (long long) code);
      return;
    }

  g_set_error_literal (error, PIXVERSE_ERROR, kind, message);
}

static void
set_http_error (GError **error,
                guint    status)
{
  const char *phrase = soup_status_get_phrase (status);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
    g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH,
                 _("The service refused the API key (HTTP %u)"), status);
  else if (status == HTTP_TOO_MANY_REQUESTS)
    g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                 _("The service is busy (HTTP 429); try again in a moment"));
  else if (SOUP_STATUS_IS_REDIRECTION (status))
    g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                 _("The service answered with a redirect (HTTP %u), which is not followed"),
                 status);
  else
    g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_HTTP,
                 _("The service answered HTTP %u (%s)"),
                 status, phrase ? phrase : _("unknown status"));
}

static gboolean
member_is (JsonObject *object,
           const char *name,
           GType       type)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL &&
         JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == type;
}

static void
set_protocol_error (GError     **error,
                    const char  *what)
{
  g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
               _("The service sent an unexpected answer: %s"), what);
}

/**
 * _pixverse_response_parse:
 * @http_status: the HTTP status of the answer
 * @body: (array length=length): the answer's bytes, not NUL-terminated
 * @length: how many
 * @error: the place for a %PIXVERSE_ERROR
 *
 * Returns: (transfer full): the envelope's `data` object on success
 */
JsonObject *
_pixverse_response_parse (guint        http_status,
                          const char  *body,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonObject *envelope = NULL;
  JsonNode *root;
  JsonNode *data;
  gint64 code;

  g_return_val_if_fail (body != NULL || length == 0, NULL);

  if (length > PIXVERSE_MAX_RESPONSE_SIZE)
    {
      set_protocol_error (error, _("the answer is too large"));
      return NULL;
    }

  /* Strict: besides being right for an API, it refuses text after the value,
   * on which json-glib 1.10's immutable parser aborts in get_root(). */
  json_parser_set_strict (parser, TRUE);
  if (length > 0 && json_parser_load_from_data (parser, body, length, NULL))
    {
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        envelope = json_node_get_object (root);
    }

  /* No envelope: an HTML error page, a proxy, a truncated answer... */
  if (envelope == NULL || !member_is (envelope, "code", G_TYPE_INT64))
    {
      if (!SOUP_STATUS_IS_SUCCESSFUL (http_status))
        set_http_error (error, http_status);
      else if (length == 0)
        set_protocol_error (error, _("the answer is empty"));
      else if (envelope == NULL)
        set_protocol_error (error, _("the answer is not valid JSON"));
      else
        set_protocol_error (error, _("the answer has no result code"));
      return NULL;
    }

  code = json_object_get_int_member (envelope, "code");
  if (code != 1)
    {
      const char *message = NULL;

      if (member_is (envelope, "message", G_TYPE_STRING))
        message = json_object_get_string_member (envelope, "message");
      set_service_error (error, http_status, code, message);
      return NULL;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (http_status))
    {
      set_http_error (error, http_status);
      return NULL;
    }

  data = json_object_get_member (envelope, "data");
  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    {
      set_protocol_error (error, _("the answer has no data"));
      return NULL;
    }

  return json_object_ref (json_node_get_object (data));
}

/**
 * _pixverse_url_is_allowed:
 * @url: an address the service gave or the person typed
 * @require_tls_unless_loopback: whether plain http is refused off this machine
 * @error: the place for a %PIXVERSE_ERROR_PROTOCOL
 *
 * Returns: whether @url is an absolute http(s) address we may fetch
 */
gboolean
_pixverse_url_is_allowed (const char  *url,
                          gboolean     require_tls_unless_loopback,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GInetAddress) address = NULL;
  const char *scheme;
  const char *host;

  if (url == NULL || !g_utf8_validate (url, -1, NULL))
    {
      set_protocol_error (error, _("an address is not valid"));
      return FALSE;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    {
      set_protocol_error (error, _("an address is not valid"));
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0' ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      set_protocol_error (error, _("an address is not an http or https address"));
      return FALSE;
    }

  if (!require_tls_unless_loopback || g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      (address != NULL && g_inet_address_get_is_loopback (address)))
    return TRUE;

  set_protocol_error (error, _("an address off this machine is not https"));
  return FALSE;
}

/**
 * _pixverse_response_create_task:
 * @data: the `data` of a create answer
 * @estimated_time: (out) (optional): seconds the service expects, 0 if not said
 * @error: the place for a %PIXVERSE_ERROR_PROTOCOL
 *
 * A missing or odd `estimated_time` is no error: the job exists once we have
 * its id, and losing the id would lose a paid job.
 *
 * Returns: (transfer full): the task id
 */
char *
_pixverse_response_create_task (JsonObject  *data,
                                int         *estimated_time,
                                GError     **error)
{
  const char *task_id;
  gint64 seconds = 0;

  g_return_val_if_fail (data != NULL, NULL);

  if (!member_is (data, "task_id", G_TYPE_STRING) ||
      *(task_id = json_object_get_string_member (data, "task_id")) == '\0')
    {
      set_protocol_error (error, _("the new job has no task id"));
      return NULL;
    }

  if (member_is (data, "estimated_time", G_TYPE_INT64))
    seconds = json_object_get_int_member (data, "estimated_time");
  else if (member_is (data, "estimated_time", G_TYPE_DOUBLE))
    seconds = (gint64) CLAMP (json_object_get_double_member (data, "estimated_time"), 0, G_MAXINT);

  if (estimated_time != NULL)
    *estimated_time = (int) CLAMP (seconds, 0, 24 * 60 * 60);

  return g_strdup (task_id);
}

static GStrv
parse_result_urls (JsonObject  *data,
                   GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (data, "result_urls");
  JsonArray *array;
  guint n;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strv_builder_end (builder);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_protocol_error (error, _("the result addresses are not a list"));
      return NULL;
    }

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *url;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          set_protocol_error (error, _("a result address is not text"));
          return NULL;
        }

      url = json_node_get_string (element);
      if (!_pixverse_url_is_allowed (url, FALSE, error))
        return NULL;
      g_strv_builder_add (builder, url);
    }

  return g_strv_builder_end (builder);
}

/**
 * _pixverse_response_task_info:
 * @data: the `data` of a get answer
 * @task_id: (nullable): the id asked for, to check the answer is about it
 * @error: the place for a %PIXVERSE_ERROR_PROTOCOL
 *
 * Returns: (transfer full): what the service says of the job
 */
PixverseTaskInfo *
_pixverse_response_task_info (JsonObject  *data,
                              const char  *task_id,
                              GError     **error)
{
  g_autoptr(PixverseTaskInfo) info = g_new0 (PixverseTaskInfo, 1);
  gint64 status;

  g_return_val_if_fail (data != NULL, NULL);

  if (member_is (data, "task_id", G_TYPE_STRING))
    info->task_id = g_strdup (json_object_get_string_member (data, "task_id"));
  else if (json_object_has_member (data, "task_id") || task_id == NULL)
    {
      set_protocol_error (error, _("the job has no task id"));
      return NULL;
    }
  else
    info->task_id = g_strdup (task_id);

  if (task_id != NULL && g_strcmp0 (info->task_id, task_id) != 0)
    {
      set_protocol_error (error, _("the answer is about another job"));
      return NULL;
    }

  if (!member_is (data, "status", G_TYPE_INT64))
    {
      set_protocol_error (error, _("the job has no status"));
      return NULL;
    }

  status = json_object_get_int_member (data, "status");
  if (status < PIXVERSE_TASK_STATUS_PROCESSING || status > PIXVERSE_TASK_STATUS_FAILED)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_PROTOCOL,
                   _("The service reported an unknown job status (%lld)"),
                   (long long) status);
      return NULL;
    }
  info->status = (PixverseTaskStatus) status;

  info->result_urls = parse_result_urls (data, error);
  if (info->result_urls == NULL)
    return NULL;

  if (info->status == PIXVERSE_TASK_STATUS_COMPLETED && info->result_urls[0] == NULL)
    {
      set_protocol_error (error, _("the job is completed but has no videos"));
      return NULL;
    }

  return g_steal_pointer (&info);
}

/**
 * _pixverse_response_credits:
 * @data: the `data` of a get_credits answer
 * @credits: (out): credits left
 * @error: the place for a %PIXVERSE_ERROR_PROTOCOL
 *
 * Returns: whether @data held a credit count
 */
gboolean
_pixverse_response_credits (JsonObject  *data,
                            gint64      *credits,
                            GError     **error)
{
  g_return_val_if_fail (data != NULL, FALSE);

  if (!member_is (data, "credits", G_TYPE_INT64))
    {
      set_protocol_error (error, _("the credits are missing"));
      return FALSE;
    }

  *credits = json_object_get_int_member (data, "credits");
  return TRUE;
}

/**
 * _pixverse_response_upload_target:
 * @data: the `data` of a pre_url answer
 * @url: (out): where to POST the form
 * @field_names: (out): the form fields' names, in the service's order
 * @field_values: (out): their values
 * @image_url: (out): the address the image will have
 * @error: the place for a %PIXVERSE_ERROR_PROTOCOL
 *
 * Returns: whether @data described a presigned upload
 */
gboolean
_pixverse_response_upload_target (JsonObject  *data,
                                  char       **url,
                                  GPtrArray  **field_names,
                                  GPtrArray  **field_values,
                                  char       **image_url,
                                  GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GList) members = NULL;
  JsonNode *node;
  JsonObject *target;
  JsonObject *fields;
  const char *target_url;
  const char *image;

  g_return_val_if_fail (data != NULL, FALSE);

  node = json_object_get_member (data, "upload_url");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_protocol_error (error, _("the upload target is missing"));
      return FALSE;
    }
  target = json_node_get_object (node);

  if (!member_is (target, "url", G_TYPE_STRING))
    {
      set_protocol_error (error, _("the upload target has no address"));
      return FALSE;
    }
  target_url = json_object_get_string_member (target, "url");
  if (!_pixverse_url_is_allowed (target_url, TRUE, error))
    return FALSE;

  node = json_object_get_member (target, "fields");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_protocol_error (error, _("the upload target has no form fields"));
      return FALSE;
    }
  fields = json_node_get_object (node);

  members = json_object_get_members (fields);
  for (const GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (!member_is (fields, name, G_TYPE_STRING) || g_str_equal (name, "file"))
        {
          set_protocol_error (error, _("an upload form field is not text"));
          return FALSE;
        }
      g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_add (values, g_strdup (json_object_get_string_member (fields, name)));
    }

  if (!member_is (data, "image_url", G_TYPE_STRING))
    {
      set_protocol_error (error, _("the image address is missing"));
      return FALSE;
    }
  image = json_object_get_string_member (data, "image_url");
  if (!_pixverse_url_is_allowed (image, FALSE, error))
    return FALSE;

  *url = g_strdup (target_url);
  *field_names = g_steal_pointer (&names);
  *field_values = g_steal_pointer (&values);
  *image_url = g_strdup (image);
  return TRUE;
}
