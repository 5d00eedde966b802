/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fake-pixwith"

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "fake-pixwith.h"

#define TEST_API_KEY          "key_00000000000000000000000000000000"
#define MODEL_ID              "2-27"
#define UPLOAD_MAX_SIZE       (10 * 1024 * 1024)
#define UPLOAD_LIFETIME_USEC  ((gint64) 10 * 60 * G_USEC_PER_SEC)
#define HUGE_CHUNK_SIZE       (64 * 1024)
#define DEFAULT_CREDITS       1000
#define DEFAULT_PRICE         5
#define DEFAULT_ESTIMATED     150

#define STATUS_PROCESSING     1
#define STATUS_COMPLETED      2
#define STATUS_FAILED         3

/* Endpoint names, as the header lists them; "img" serves uploaded images. */
static const char * const endpoint_names[] = {
  "create", "get", "credits", "pre_url", "s3", "cdn", "img", NULL
};

typedef struct
{
  char        *task_id;
  gint64       created_usec;
  int          estimated_time;
  double       duration_factor;
  guint        num_outputs;
  FakeOutcome  outcome;
  int          status;
  gboolean     expired;
} Task;

typedef struct
{
  char    *key;
  char    *content_type;
  GStrv    field_names;
  GStrv    field_values;
  gint64   expires_usec;
  GBytes  *bytes;
} Upload;

typedef struct
{
  FakeFault  fault;
  char      *content_type;
  char      *body;
  guint      remaining;
} FaultEntry;

typedef struct
{
  guint               count;
  GBytes             *last_body;
  SoupMessageHeaders *last_headers;
  GQueue              faults;
} Endpoint;

typedef enum
{
  HELD_SLOW,
  HELD_HANG,
  HELD_RESET,
  HELD_RESET_MID_BODY,
} HeldKind;

/* A request whose answer is delayed, withheld or replaced by a closed
 * connection; the server owns it until it is acted on. */
typedef struct
{
  FakePixwith       *self;
  SoupServerMessage *msg;
  GSource           *source;
  GBytes            *raw;
  HeldKind           kind;
  gboolean           gone;
} Held;

typedef struct
{
  gsize    size;
  gsize    offset;
  gboolean completed;
} HugeBody;

struct _FakePixwith
{
  GObject       parent_instance;

  SoupServer   *server;
  GMainContext *context;
  char         *url;

  GHashTable   *api_keys;
  GHashTable   *tasks;
  GHashTable   *uploads;
  GHashTable   *endpoints;
  GPtrArray    *held;

  gint64        credits;
  gint64        price;
  int           estimated_time;
  double        time_scale;
  double        duration_factor;
  FakeOutcome   outcome;

  GBytes       *video;
  GStrv         last_upload_parts;
  GBytes       *last_upload_file;
};

G_DEFINE_FINAL_TYPE (FakePixwith, fake_pixwith, G_TYPE_OBJECT)

static void
task_free (Task *task)
{
  g_free (task->task_id);
  g_free (task);
}

static void
upload_free (Upload *upload)
{
  g_free (upload->key);
  g_free (upload->content_type);
  g_strfreev (upload->field_names);
  g_strfreev (upload->field_values);
  g_clear_pointer (&upload->bytes, g_bytes_unref);
  g_free (upload);
}

static FaultEntry *
fault_entry_new (const FakeFault *fault,
                 guint            remaining)
{
  FaultEntry *entry = g_new0 (FaultEntry, 1);

  entry->fault = *fault;
  entry->content_type = g_strdup (fault->content_type);
  entry->body = g_strdup (fault->body);
  entry->fault.content_type = entry->content_type;
  entry->fault.body = entry->body;
  entry->remaining = remaining;

  return entry;
}

static void
fault_entry_free (FaultEntry *entry)
{
  g_free (entry->content_type);
  g_free (entry->body);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaultEntry, fault_entry_free)

static void
endpoint_free (Endpoint *endpoint)
{
  g_clear_pointer (&endpoint->last_body, g_bytes_unref);
  g_clear_pointer (&endpoint->last_headers, soup_message_headers_unref);
  g_queue_clear_full (&endpoint->faults, (GDestroyNotify) fault_entry_free);
  g_free (endpoint);
}

static void
held_msg_disconnected (Held *held)
{
  held->gone = TRUE;
}

static void
held_free (Held *held)
{
  if (held->source != NULL)
    {
      g_source_destroy (held->source);
      g_clear_pointer (&held->source, g_source_unref);
    }
  g_signal_handlers_disconnect_by_data (held->msg, held);
  g_clear_object (&held->msg);
  g_clear_pointer (&held->raw, g_bytes_unref);
  g_free (held);
}

static char *
random_hex (guint n_bytes)
{
  GString *str = g_string_sized_new (n_bytes * 2);

  for (guint i = 0; i < n_bytes; i++)
    g_string_append_printf (str, "%02x", g_random_int_range (0, 256));

  return g_string_free (str, FALSE);
}

static gboolean
is_known_endpoint (const char *name)
{
  return name != NULL && g_strv_contains (endpoint_names, name);
}

static Endpoint *
get_endpoint (FakePixwith *self,
              const char  *name)
{
  Endpoint *endpoint;

  g_assert (FAKE_IS_PIXWITH (self));
  g_assert (is_known_endpoint (name));

  endpoint = g_hash_table_lookup (self->endpoints, name);
  if (endpoint == NULL)
    {
      endpoint = g_new0 (Endpoint, 1);
      g_queue_init (&endpoint->faults);
      g_hash_table_insert (self->endpoints, g_strdup (name), endpoint);
    }

  return endpoint;
}

/* The video every result URL serves: the committed fixture when found. */
static GBytes *
load_video (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  GByteArray *generated;
  static const guint8 ftyp[] = {
    0x00, 0x00, 0x00, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm',
    0x00, 0x00, 0x02, 0x00, 'i', 's', 'o', 'm', 'm', 'p', '4', '1',
  };
  guint32 free_size = 4096;
  guint8 free_header[8];

  if (srcdir != NULL)
    g_ptr_array_add (candidates, g_build_filename (srcdir, "fixtures", "sample.mp4", NULL));
#ifdef FAKE_PIXWITH_FIXTURES
  g_ptr_array_add (candidates, g_build_filename (FAKE_PIXWITH_FIXTURES, "sample.mp4", NULL));
#endif

  for (guint i = 0; i < candidates->len; i++)
    {
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (g_file_get_contents (g_ptr_array_index (candidates, i), &contents, &length, NULL) &&
          length > 0)
        return g_bytes_new_take (g_steal_pointer (&contents), length);
    }

  /* No fixture: an ftyp box and a free box, enough to look like an MP4. */
  generated = g_byte_array_new ();
  g_byte_array_append (generated, ftyp, sizeof ftyp);
  free_header[0] = (free_size >> 24) & 0xff;
  free_header[1] = (free_size >> 16) & 0xff;
  free_header[2] = (free_size >> 8) & 0xff;
  free_header[3] = free_size & 0xff;
  memcpy (free_header + 4, "free", 4);
  g_byte_array_append (generated, free_header, sizeof free_header);
  for (guint i = 0; i < free_size - sizeof free_header; i++)
    {
      guint8 b = i & 0xff;

      g_byte_array_append (generated, &b, 1);
    }

  return g_byte_array_free_to_bytes (generated);
}

/* Answers */

static void
reply_json (SoupServerMessage *msg,
            JsonNode          *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  char *text;
  gsize length = 0;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

/* @data: (transfer full) (nullable) */
static void
reply_envelope (SoupServerMessage *msg,
                int                code,
                const char        *message,
                JsonNode          *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "data");
  if (data != NULL)
    json_builder_add_value (builder, data);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  reply_json (msg, root);
}

static void
reply_success (SoupServerMessage *msg,
               JsonBuilder       *data)
{
  reply_envelope (msg, 1, "success", json_builder_get_root (data));
}

static void
reply_error (SoupServerMessage *msg,
             const char        *message)
{
  reply_envelope (msg, 0, message, NULL);
}

static void
reply_invalid_parameter (SoupServerMessage *msg,
                         const char        *field)
{
  g_autofree char *message = g_strdup_printf ("Invalid parameter: %s", field);

  reply_error (msg, message);
}

static void
reply_s3_error (SoupServerMessage *msg,
                guint              status,
                const char        *code,
                const char        *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  g_autofree char *request_id = random_hex (8);
  char *body;

  body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<Error><Code>%s</Code><Message>%s</Message>"
                          "<RequestId>%s</RequestId></Error>",
                          code, escaped, request_id);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/xml", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

static void
reply_method_not_allowed (SoupServerMessage *msg,
                          const char        *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
}

/* JSON member checks: never a getter on a member of the wrong type. */

static gboolean
member_holds_value_type (JsonObject *object,
                         const char *name,
                         GType       type)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL &&
         JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == type;
}

static gboolean
member_is_string (JsonObject *object,
                  const char *name)
{
  return member_holds_value_type (object, name, G_TYPE_STRING);
}

static gboolean
member_is_int (JsonObject *object,
               const char *name)
{
  return member_holds_value_type (object, name, G_TYPE_INT64);
}

static gboolean
member_is_boolean (JsonObject *object,
                   const char *name)
{
  return member_holds_value_type (object, name, G_TYPE_BOOLEAN);
}

static gboolean
member_is_object (JsonObject *object,
                  const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node);
}

static gboolean
member_is_array (JsonObject *object,
                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node);
}

/* The first member of @object not in @allowed, or NULL. */
static const char *
find_unknown_member (JsonObject         *object,
                     const char * const *allowed)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, NULL))
    {
      if (!g_strv_contains (allowed, name))
        return name;
    }

  return NULL;
}

static gboolean
string_in (const char         *value,
           const char * const *allowed)
{
  return value != NULL && g_strv_contains (allowed, value);
}

static gboolean
is_http_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (url == NULL)
    return FALSE;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
         host != NULL && host[0] != '\0';
}

/* Parses the body as JSON; an empty body is an empty object when @empty_ok. */
static JsonObject *
parse_body_object (GBytes   *body,
                   gboolean  empty_ok)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);
  JsonNode *root;

  if (length == 0)
    return empty_ok ? json_object_new () : NULL;

  if (!g_utf8_validate (data, length, NULL))
    return NULL;

  if (!json_parser_load_from_data (parser, data, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

/* Jobs */

static int
task_get_status (FakePixwith *self,
                 Task        *task)
{
  double elapsed;

  g_assert (FAKE_IS_PIXWITH (self));

  if (task->status != STATUS_PROCESSING)
    return task->status;

  elapsed = (double) (g_get_monotonic_time () - task->created_usec) / G_USEC_PER_SEC;
  if (elapsed >= task->estimated_time * task->duration_factor * self->time_scale)
    task->status = task->outcome == FAKE_OUTCOME_FAIL ? STATUS_FAILED : STATUS_COMPLETED;

  return task->status;
}

/* API endpoints */

static gboolean
check_api_request (FakePixwith       *self,
                   SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GHashTable) params = NULL;
  const char *api_key;
  const char *content_type;
  const char *charset;

  g_assert (FAKE_IS_PIXWITH (self));

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      reply_method_not_allowed (msg, "POST");
      return FALSE;
    }

  api_key = soup_message_headers_get_one (headers, "Api-Key");
  if (api_key == NULL || !g_hash_table_contains (self->api_keys, api_key))
    {
      reply_error (msg, "Invalid API KEY");
      return FALSE;
    }

  content_type = soup_message_headers_get_content_type (headers, &params);
  if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
    {
      reply_error (msg, "Invalid Content-Type: expected application/json");
      return FALSE;
    }

  charset = params != NULL ? g_hash_table_lookup (params, "charset") : NULL;
  if (charset != NULL &&
      g_ascii_strcasecmp (charset, "utf-8") != 0 &&
      g_ascii_strcasecmp (charset, "utf8") != 0)
    {
      reply_error (msg, "Invalid Content-Type: expected application/json");
      return FALSE;
    }

  return TRUE;
}

static void
handle_create (FakePixwith       *self,
               SoupServerMessage *msg,
               GBytes            *body)
{
  static const char * const top_members[] = {
    "prompt", "image_urls", "model_id", "options", NULL
  };
  static const char * const option_members[] = {
    "prompt_optimization", "num_outputs", "resolution", "aspect_ratio", "duration", NULL
  };
  static const char * const resolutions[] = { "360p", "540p", "720p", "1080p", NULL };
  static const char * const aspect_ratios[] = { "16:9", "4:3", "1:1", "3:4", "9:16", NULL };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonBuilder) data = NULL;
  g_autofree char *prompt = NULL;
  JsonObject *options;
  const char *unknown;
  gint64 num_outputs;
  gint64 duration;
  gint64 cost;
  Task *task;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_api_request (self, msg))
    return;

  object = parse_body_object (body, FALSE);
  if (object == NULL)
    {
      reply_invalid_parameter (msg, "body");
      return;
    }

  if ((unknown = find_unknown_member (object, top_members)) != NULL)
    {
      reply_invalid_parameter (msg, unknown);
      return;
    }

  if (!member_is_string (object, "prompt"))
    {
      reply_invalid_parameter (msg, "prompt");
      return;
    }
  prompt = g_strstrip (g_strdup (json_object_get_string_member (object, "prompt")));
  if (prompt[0] == '\0')
    {
      reply_invalid_parameter (msg, "prompt");
      return;
    }

  if (!member_is_string (object, "model_id") ||
      g_strcmp0 (json_object_get_string_member (object, "model_id"), MODEL_ID) != 0)
    {
      reply_invalid_parameter (msg, "model_id");
      return;
    }

  if (!member_is_object (object, "options"))
    {
      reply_invalid_parameter (msg, "options");
      return;
    }
  options = json_object_get_object_member (object, "options");

  if ((unknown = find_unknown_member (options, option_members)) != NULL)
    {
      g_autofree char *field = g_strdup_printf ("options.%s", unknown);

      reply_invalid_parameter (msg, field);
      return;
    }

  if (!member_is_boolean (options, "prompt_optimization"))
    {
      reply_invalid_parameter (msg, "options.prompt_optimization");
      return;
    }

  if (!member_is_int (options, "num_outputs") ||
      (num_outputs = json_object_get_int_member (options, "num_outputs")) < 1 ||
      num_outputs > 4)
    {
      reply_invalid_parameter (msg, "options.num_outputs");
      return;
    }

  if (!member_is_string (options, "resolution") ||
      !string_in (json_object_get_string_member (options, "resolution"), resolutions))
    {
      reply_invalid_parameter (msg, "options.resolution");
      return;
    }

  if (!member_is_string (options, "aspect_ratio") ||
      !string_in (json_object_get_string_member (options, "aspect_ratio"), aspect_ratios))
    {
      reply_invalid_parameter (msg, "options.aspect_ratio");
      return;
    }

  if (!member_is_int (options, "duration") ||
      ((duration = json_object_get_int_member (options, "duration")) != 5 && duration != 8))
    {
      reply_invalid_parameter (msg, "options.duration");
      return;
    }

  if (json_object_has_member (object, "image_urls"))
    {
      JsonArray *image_urls;
      JsonNode *element;

      if (!member_is_array (object, "image_urls"))
        {
          reply_invalid_parameter (msg, "image_urls");
          return;
        }

      image_urls = json_object_get_array_member (object, "image_urls");
      if (json_array_get_length (image_urls) != 1)
        {
          reply_invalid_parameter (msg, "image_urls");
          return;
        }

      element = json_array_get_element (image_urls, 0);
      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING ||
          !is_http_url (json_node_get_string (element)))
        {
          reply_error (msg, "Invalid image url");
          return;
        }
    }

  cost = self->price * num_outputs;
  if (self->credits < cost)
    {
      reply_error (msg, "Credits not enough");
      return;
    }
  self->credits -= cost;

  task = g_new0 (Task, 1);
  task->task_id = random_hex (16);
  task->created_usec = g_get_monotonic_time ();
  task->estimated_time = self->estimated_time;
  task->duration_factor = self->duration_factor;
  task->num_outputs = num_outputs;
  task->outcome = self->outcome;
  task->status = STATUS_PROCESSING;
  g_hash_table_insert (self->tasks, task->task_id, task);

  g_debug ("created task %s (%u outputs, %d s)", task->task_id, task->num_outputs,
           task->estimated_time);

  data = json_builder_new_immutable ();
  json_builder_begin_object (data);
  json_builder_set_member_name (data, "task_id");
  json_builder_add_string_value (data, task->task_id);
  json_builder_set_member_name (data, "estimated_time");
  json_builder_add_int_value (data, task->estimated_time);
  json_builder_end_object (data);
  reply_success (msg, data);
}

static void
handle_get (FakePixwith       *self,
            SoupServerMessage *msg,
            GBytes            *body)
{
  static const char * const members[] = { "task_id", NULL };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonBuilder) data = NULL;
  const char *unknown;
  Task *task;
  int status;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_api_request (self, msg))
    return;

  object = parse_body_object (body, FALSE);
  if (object == NULL)
    {
      reply_invalid_parameter (msg, "body");
      return;
    }

  if ((unknown = find_unknown_member (object, members)) != NULL)
    {
      reply_invalid_parameter (msg, unknown);
      return;
    }

  if (!member_is_string (object, "task_id"))
    {
      reply_invalid_parameter (msg, "task_id");
      return;
    }

  task = g_hash_table_lookup (self->tasks, json_object_get_string_member (object, "task_id"));
  if (task == NULL)
    {
      reply_error (msg, "Task not found");
      return;
    }

  status = task_get_status (self, task);

  data = json_builder_new_immutable ();
  json_builder_begin_object (data);
  json_builder_set_member_name (data, "task_id");
  json_builder_add_string_value (data, task->task_id);
  json_builder_set_member_name (data, "status");
  json_builder_add_int_value (data, status);
  json_builder_set_member_name (data, "result_urls");
  json_builder_begin_array (data);
  if (status == STATUS_COMPLETED)
    {
      for (guint i = 1; i <= task->num_outputs; i++)
        {
          g_autofree char *url = g_strdup_printf ("%s/cdn/%s/%u.mp4", self->url, task->task_id, i);

          json_builder_add_string_value (data, url);
        }
    }
  json_builder_end_array (data);
  json_builder_end_object (data);
  reply_success (msg, data);
}

static void
handle_credits (FakePixwith       *self,
                SoupServerMessage *msg,
                GBytes            *body)
{
  static const char * const members[] = { NULL };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonBuilder) data = NULL;
  const char *unknown;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_api_request (self, msg))
    return;

  object = parse_body_object (body, TRUE);
  if (object == NULL)
    {
      reply_invalid_parameter (msg, "body");
      return;
    }

  if ((unknown = find_unknown_member (object, members)) != NULL)
    {
      reply_invalid_parameter (msg, unknown);
      return;
    }

  data = json_builder_new_immutable ();
  json_builder_begin_object (data);
  json_builder_set_member_name (data, "credits");
  json_builder_add_int_value (data, self->credits);
  json_builder_end_object (data);
  reply_success (msg, data);
}

static void
prune_uploads (FakePixwith *self)
{
  GHashTableIter iter;
  Upload *upload;
  gint64 now = g_get_monotonic_time ();

  g_assert (FAKE_IS_PIXWITH (self));

  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &upload))
    {
      if (upload->bytes == NULL && upload->expires_usec <= now)
        g_hash_table_iter_remove (&iter);
    }
}

static void
handle_pre_url (FakePixwith       *self,
                SoupServerMessage *msg,
                GBytes            *body)
{
  static const char * const members[] = { "image_name", "content_type", NULL };
  static const char * const content_types[] = { "image/jpeg", "image/png", NULL };
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonBuilder) data = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) expiration = g_date_time_add_minutes (now, 10);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  g_autofree char *lower_name = NULL;
  g_autofree char *id = NULL;
  g_autofree char *escaped_name = NULL;
  g_autofree char *image_url = NULL;
  g_autofree char *upload_url = NULL;
  g_autofree char *date = NULL;
  g_autofree char *amz_date = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *expiration_text = NULL;
  g_autofree char *policy_json = NULL;
  g_autofree char *policy = NULL;
  g_autofree char *signature = NULL;
  const char *unknown;
  const char *image_name;
  const char *content_type;
  Upload *upload;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_api_request (self, msg))
    return;

  object = parse_body_object (body, FALSE);
  if (object == NULL)
    {
      reply_invalid_parameter (msg, "body");
      return;
    }

  if ((unknown = find_unknown_member (object, members)) != NULL)
    {
      reply_invalid_parameter (msg, unknown);
      return;
    }

  if (!member_is_string (object, "image_name"))
    {
      reply_invalid_parameter (msg, "image_name");
      return;
    }
  if (!member_is_string (object, "content_type"))
    {
      reply_invalid_parameter (msg, "content_type");
      return;
    }

  image_name = json_object_get_string_member (object, "image_name");
  content_type = json_object_get_string_member (object, "content_type");
  lower_name = g_ascii_strdown (image_name, -1);

  if (strchr (image_name, '/') != NULL ||
      strlen (image_name) <= strlen (".png") ||
      !(g_str_has_suffix (lower_name, ".jpg") ||
        g_str_has_suffix (lower_name, ".jpeg") ||
        g_str_has_suffix (lower_name, ".png")) ||
      !string_in (content_type, content_types))
    {
      reply_error (msg, "Invalid image format");
      return;
    }

  prune_uploads (self);

  id = random_hex (16);
  escaped_name = g_uri_escape_string (image_name, NULL, FALSE);
  date = g_date_time_format (now, "%Y%m%d");
  amz_date = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  expiration_text = g_date_time_format (expiration, "%Y-%m-%dT%H:%M:%SZ");
  credential = g_strdup_printf ("AKIAFAKEPIXWITH00000/%s/us-east-1/s3/aws4_request", date);
  policy_json = g_strdup_printf ("{\"expiration\":\"%s\",\"conditions\":"
                                 "[{\"bucket\":\"fake-pixwith\"},"
                                 "[\"content-length-range\",1,%d],"
                                 "{\"x-fake-nonce\":\"%s\"}]}",
                                 expiration_text, UPLOAD_MAX_SIZE, id);
  policy = g_base64_encode ((const guchar *) policy_json, strlen (policy_json));
  signature = random_hex (32);

  upload = g_new0 (Upload, 1);
  upload->key = g_strdup_printf ("uploads/%s/%s", id, image_name);
  upload->content_type = g_strdup (content_type);
  upload->expires_usec = g_get_monotonic_time () + UPLOAD_LIFETIME_USEC;

  g_strv_builder_add (names, "key");
  g_strv_builder_add (values, upload->key);
  g_strv_builder_add (names, "Content-Type");
  g_strv_builder_add (values, content_type);
  g_strv_builder_add (names, "x-amz-algorithm");
  g_strv_builder_add (values, "AWS4-HMAC-SHA256");
  g_strv_builder_add (names, "x-amz-credential");
  g_strv_builder_add (values, credential);
  g_strv_builder_add (names, "x-amz-date");
  g_strv_builder_add (values, amz_date);
  g_strv_builder_add (names, "policy");
  g_strv_builder_add (values, policy);
  g_strv_builder_add (names, "x-amz-signature");
  g_strv_builder_add (values, signature);
  upload->field_names = g_strv_builder_end (names);
  upload->field_values = g_strv_builder_end (values);

  g_hash_table_insert (self->uploads, upload->key, upload);

  upload_url = g_strdup_printf ("%s/s3/upload", self->url);
  image_url = g_strdup_printf ("%s/img/%s/%s", self->url, id, escaped_name);

  data = json_builder_new_immutable ();
  json_builder_begin_object (data);
  json_builder_set_member_name (data, "upload_url");
  json_builder_begin_object (data);
  json_builder_set_member_name (data, "url");
  json_builder_add_string_value (data, upload_url);
  json_builder_set_member_name (data, "fields");
  json_builder_begin_object (data);
  for (guint i = 0; upload->field_names[i] != NULL; i++)
    {
      json_builder_set_member_name (data, upload->field_names[i]);
      json_builder_add_string_value (data, upload->field_values[i]);
    }
  json_builder_end_object (data);
  json_builder_end_object (data);
  json_builder_set_member_name (data, "image_url");
  json_builder_add_string_value (data, image_url);
  json_builder_end_object (data);
  reply_success (msg, data);
}

/* The presigned POST target, as strict as S3 with a POST policy. */
static void
handle_s3 (FakePixwith       *self,
           SoupServerMessage *msg,
           GBytes            *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GHashTable) values = NULL;
  g_autoptr(GStrvBuilder) part_names = g_strv_builder_new ();
  g_autoptr(GBytes) file = NULL;
  g_auto(GStrv) names = NULL;
  const char *content_type;
  const char *key;
  Upload *upload;
  guint n_parts;

  g_assert (FAKE_IS_PIXWITH (self));

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0)
    {
      reply_s3_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                      "The specified method is not allowed against this resource.");
      return;
    }

  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type == NULL || g_ascii_strcasecmp (content_type, "multipart/form-data") != 0 ||
      (multipart = soup_multipart_new_from_message (headers, body)) == NULL)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "MalformedPOSTRequest",
                      "The body of your POST request is not well-formed multipart/form-data.");
      return;
    }

  values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  n_parts = soup_multipart_get_length (multipart);
  for (guint i = 0; i < n_parts; i++)
    {
      SoupMessageHeaders *part_headers = NULL;
      GBytes *part_body = NULL;
      g_autofree char *disposition = NULL;
      g_autoptr(GHashTable) params = NULL;
      const char *name;

      if (!soup_multipart_get_part (multipart, i, &part_headers, &part_body) ||
          !soup_message_headers_get_content_disposition (part_headers, &disposition, &params) ||
          g_ascii_strcasecmp (disposition, "form-data") != 0 ||
          (name = g_hash_table_lookup (params, "name")) == NULL)
        {
          reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "MalformedPOSTRequest",
                          "The body of your POST request is not well-formed multipart/form-data.");
          return;
        }

      g_strv_builder_add (part_names, name);
      if (g_strcmp0 (name, "file") == 0)
        {
          if (file == NULL)
            file = g_bytes_ref (part_body);
        }
      else if (!g_hash_table_contains (values, name))
        {
          gsize length = 0;
          const char *data = g_bytes_get_data (part_body, &length);

          g_hash_table_insert (values, g_strdup (name),
                               g_strndup (data != NULL ? data : "", length));
        }
    }

  names = g_strv_builder_end (part_names);
  g_clear_pointer (&self->last_upload_parts, g_strfreev);
  self->last_upload_parts = g_strdupv (names);
  g_clear_pointer (&self->last_upload_file, g_bytes_unref);
  self->last_upload_file = file != NULL ? g_bytes_ref (file) : NULL;

  for (guint i = 0; names[i] != NULL; i++)
    {
      for (guint j = 0; j < i; j++)
        {
          if (g_strcmp0 (names[i], names[j]) == 0)
            {
              g_autofree char *message = NULL;

              message = g_strdup_printf ("POST form fields must appear only once: %s", names[i]);
              reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument", message);
              return;
            }
        }
    }

  if (file == NULL)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument",
                      "POST requires exactly one file upload per request.");
      return;
    }

  if (g_strcmp0 (names[g_strv_length (names) - 1], "file") != 0)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument",
                      "The file must be the last field in the form.");
      return;
    }

  key = g_hash_table_lookup (values, "key");
  if (key == NULL)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument",
                      "Bucket POST must contain a field named 'key'.");
      return;
    }

  upload = g_hash_table_lookup (self->uploads, key);
  if (upload == NULL)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "AccessDenied",
                      "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\"]");
      return;
    }

  if (upload->expires_usec <= g_get_monotonic_time ())
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "AccessDenied",
                      "Invalid according to Policy: Policy expired.");
      return;
    }

  for (guint i = 0; upload->field_names[i] != NULL; i++)
    {
      const char *value = g_hash_table_lookup (values, upload->field_names[i]);
      g_autofree char *message = NULL;

      if (value == NULL)
        {
          message = g_strdup_printf ("Bucket POST must contain a field named '%s'.",
                                     upload->field_names[i]);
          reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "InvalidArgument", message);
          return;
        }

      if (g_strcmp0 (value, upload->field_values[i]) != 0)
        {
          message = g_strdup_printf ("Invalid according to Policy: Policy Condition failed: "
                                     "[\"eq\", \"$%s\", \"%s\"]",
                                     upload->field_names[i], upload->field_values[i]);
          reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "AccessDenied", message);
          return;
        }
    }

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (g_strcmp0 (names[i], "file") != 0 &&
          !g_strv_contains ((const char * const *) upload->field_names, names[i]))
        {
          g_autofree char *message = NULL;

          message = g_strdup_printf ("Invalid according to Policy: Extra input fields: %s",
                                     names[i]);
          reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "AccessDenied", message);
          return;
        }
    }

  if (g_bytes_get_size (file) > UPLOAD_MAX_SIZE)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "EntityTooLarge",
                      "Your proposed upload exceeds the maximum allowed size");
      return;
    }

  if (g_bytes_get_size (file) == 0)
    {
      reply_s3_error (msg, SOUP_STATUS_BAD_REQUEST, "EntityTooSmall",
                      "Your proposed upload is smaller than the minimum allowed size");
      return;
    }

  g_clear_pointer (&upload->bytes, g_bytes_unref);
  upload->bytes = g_bytes_ref (file);
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* Result videos and uploaded images */

static void
serve_bytes (SoupServerMessage *msg,
             const char        *content_type,
             GBytes            *bytes)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* SoupServer answers a Range request to this with 206 by itself. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", content_type);
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

static gboolean
check_get_method (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
    return TRUE;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Allow", "GET, HEAD");
  reply_s3_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "MethodNotAllowed",
                  "The specified method is not allowed against this resource.");
  return FALSE;
}

static void
reply_no_such_key (SoupServerMessage *msg)
{
  reply_s3_error (msg, SOUP_STATUS_NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
}

static void
handle_cdn (FakePixwith       *self,
            SoupServerMessage *msg,
            const char        *path)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *index_text = NULL;
  guint64 index = 0;
  Task *task;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_get_method (msg))
    return;

  parts = g_strsplit (path + strlen ("/cdn/"), "/", -1);
  if (g_strv_length (parts) != 2 || !g_str_has_suffix (parts[1], ".mp4"))
    {
      reply_no_such_key (msg);
      return;
    }

  task = g_hash_table_lookup (self->tasks, parts[0]);
  if (task == NULL)
    {
      reply_no_such_key (msg);
      return;
    }

  if (task->expired)
    {
      reply_s3_error (msg, SOUP_STATUS_FORBIDDEN, "AccessDenied", "Request has expired");
      return;
    }

  index_text = g_strndup (parts[1], strlen (parts[1]) - strlen (".mp4"));
  if (task_get_status (self, task) != STATUS_COMPLETED ||
      !g_ascii_string_to_unsigned (index_text, 10, 1, task->num_outputs, &index, NULL))
    {
      reply_no_such_key (msg);
      return;
    }

  serve_bytes (msg, "video/mp4", self->video);
}

static void
handle_img (FakePixwith       *self,
            SoupServerMessage *msg,
            const char        *path)
{
  g_autofree char *key = NULL;
  Upload *upload;

  g_assert (FAKE_IS_PIXWITH (self));

  if (!check_get_method (msg))
    return;

  key = g_strdup_printf ("uploads/%s", path + strlen ("/img/"));
  upload = g_hash_table_lookup (self->uploads, key);
  if (upload == NULL || upload->bytes == NULL)
    {
      reply_no_such_key (msg);
      return;
    }

  serve_bytes (msg, upload->content_type, upload->bytes);
}

static void
dispatch (FakePixwith       *self,
          SoupServerMessage *msg,
          const char        *endpoint,
          const char        *path,
          GBytes            *body)
{
  g_assert (FAKE_IS_PIXWITH (self));

  if (g_str_equal (endpoint, "create"))
    handle_create (self, msg, body);
  else if (g_str_equal (endpoint, "get"))
    handle_get (self, msg, body);
  else if (g_str_equal (endpoint, "credits"))
    handle_credits (self, msg, body);
  else if (g_str_equal (endpoint, "pre_url"))
    handle_pre_url (self, msg, body);
  else if (g_str_equal (endpoint, "s3"))
    handle_s3 (self, msg, body);
  else if (g_str_equal (endpoint, "cdn"))
    handle_cdn (self, msg, path);
  else if (g_str_equal (endpoint, "img"))
    handle_img (self, msg, path);
  else
    g_assert_not_reached ();
}

/* Faults */

static FaultEntry *
take_fault (Endpoint *endpoint)
{
  FaultEntry *head = g_queue_peek_head (&endpoint->faults);

  if (head == NULL)
    return NULL;

  head->remaining--;
  if (head->remaining == 0)
    return g_queue_pop_head (&endpoint->faults);

  return fault_entry_new (&head->fault, 0);
}

static void
close_connection (SoupServerMessage *msg,
                  GBytes            *raw,
                  gboolean           abortive)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;

  if (soup_server_message_get_socket (msg) != NULL)
    socket = g_object_ref (soup_server_message_get_socket (msg));

  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  if (socket != NULL)
    {
      g_socket_set_blocking (socket, TRUE);
      g_socket_set_timeout (socket, 5);
    }

  if (raw != NULL)
    {
      GOutputStream *output = g_io_stream_get_output_stream (stream);
      gsize length = 0;
      const char *data = g_bytes_get_data (raw, &length);

      g_output_stream_write_all (output, data, length, NULL, NULL, NULL);
      g_output_stream_flush (output, NULL, NULL);
    }

  /* A zero linger time makes close() send RST: a reset, not a clean end. */
  if (abortive && socket != NULL)
    {
      struct linger linger = { .l_onoff = 1, .l_linger = 0 };

      setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
    }

  g_io_stream_close (stream, NULL, NULL);
  if (socket != NULL)
    g_socket_close (socket, NULL);
}

static void
held_release (Held *held)
{
  if (held->gone)
    return;

  switch (held->kind)
    {
    case HELD_SLOW:
      soup_server_message_unpause (held->msg);
      break;

    case HELD_HANG:
      close_connection (held->msg, NULL, FALSE);
      break;

    case HELD_RESET:
      close_connection (held->msg, NULL, TRUE);
      break;

    case HELD_RESET_MID_BODY:
      close_connection (held->msg, held->raw, FALSE);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
held_source_cb (gpointer user_data)
{
  Held *held = user_data;
  FakePixwith *self = held->self;

  g_assert (FAKE_IS_PIXWITH (self));

  /* The main loop keeps the source alive while it dispatches it. */
  g_clear_pointer (&held->source, g_source_unref);
  held_release (held);
  g_ptr_array_remove_fast (self->held, held);

  return G_SOURCE_REMOVE;
}

static void
hold_message (FakePixwith       *self,
              SoupServerMessage *msg,
              HeldKind           kind,
              guint              delay_ms,
              GBytes            *raw)
{
  Held *held;

  g_assert (FAKE_IS_PIXWITH (self));

  held = g_new0 (Held, 1);
  held->self = self;
  held->msg = g_object_ref (msg);
  held->kind = kind;
  held->raw = raw != NULL ? g_bytes_ref (raw) : NULL;
  g_signal_connect_swapped (msg, "disconnected", G_CALLBACK (held_msg_disconnected), held);

  soup_server_message_pause (msg);

  /* Resets happen from an idle: stealing the connection from inside the
   * handler would pull the I/O state from under SoupServer. */
  if (kind == HELD_SLOW)
    held->source = g_timeout_source_new (delay_ms);
  else if (kind == HELD_RESET || kind == HELD_RESET_MID_BODY)
    held->source = g_idle_source_new ();

  if (held->source != NULL)
    {
      /* Not an idle's priority: a window that keeps drawing starves those. */
      g_source_set_priority (held->source, G_PRIORITY_DEFAULT);
      g_source_set_callback (held->source, held_source_cb, held, NULL);
      g_source_set_static_name (held->source, "[fake-pixwith] held request");
      g_source_attach (held->source, self->context);
    }

  g_ptr_array_add (self->held, held);
}

static GBytes *
build_truncated_response (guint       status,
                          const char *content_type,
                          GBytes     *body)
{
  GString *str = g_string_new (NULL);
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  g_string_append_printf (str, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  if (content_type != NULL)
    g_string_append_printf (str, "Content-Type: %s\r\n", content_type);
  /* No "Connection: close": libsoup takes an early end of such a response
   * as the end of its body, and the cut would go unnoticed. */
  g_string_append_printf (str, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", length);
  if (data != NULL)
    g_string_append_len (str, data, length / 2);

  return g_string_free_to_bytes (str);
}

static void
fault_reset_mid_body (FakePixwith       *self,
                      SoupServerMessage *msg,
                      const char        *endpoint,
                      const char        *path,
                      GBytes            *body)
{
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) raw = NULL;
  SoupMessageHeaders *headers;
  const char *content_type = "application/json";
  guint status = SOUP_STATUS_OK;

  g_assert (FAKE_IS_PIXWITH (self));

  /* Endpoints that change state answer a canned success that was never
   * acted on; the others answer what they would, cut short. */
  if (g_str_equal (endpoint, "create"))
    {
      g_autofree char *task_id = random_hex (16);
      g_autofree char *text = NULL;

      text = g_strdup_printf ("{\"code\":1,\"message\":\"success\",\"data\":"
                              "{\"task_id\":\"%s\",\"estimated_time\":%d}}",
                              task_id, self->estimated_time);
      response = g_bytes_new_take (text, strlen (text));
      text = NULL;
    }
  else if (g_str_equal (endpoint, "pre_url") || g_str_equal (endpoint, "s3"))
    {
      static const char canned[] =
        "{\"code\":1,\"message\":\"success\",\"data\":{\"image_url\":\"\",\"upload_url\":{}}}";

      response = g_bytes_new_static (canned, sizeof canned - 1);
    }
  else
    {
      dispatch (self, msg, endpoint, path, body);
      status = soup_server_message_get_status (msg);
      headers = soup_server_message_get_response_headers (msg);
      content_type = soup_message_headers_get_content_type (headers, NULL);
      response = soup_message_body_flatten (soup_server_message_get_response_body (msg));
    }

  raw = build_truncated_response (status, content_type, response);
  hold_message (self, msg, HELD_RESET_MID_BODY, 0, raw);
}

static void
huge_body_append_next (SoupServerMessage *msg,
                       HugeBody          *huge)
{
  static const char prefix[] = "{\"code\":1,\"message\":\"success\",\"data\":{\"padding\":\"";
  static const char suffix[] = "\"}}";
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize prefix_len = sizeof prefix - 1;
  gsize suffix_len = sizeof suffix - 1;
  guint8 *buffer;
  gsize length;

  if (huge->completed)
    return;

  if (huge->offset >= huge->size)
    {
      huge->completed = TRUE;
      soup_message_body_complete (body);
      return;
    }

  length = MIN (HUGE_CHUNK_SIZE, huge->size - huge->offset);
  buffer = g_malloc (length);
  for (gsize i = 0; i < length; i++)
    {
      gsize pos = huge->offset + i;

      if (pos < prefix_len)
        buffer[i] = prefix[pos];
      else if (huge->size >= prefix_len + suffix_len && pos >= huge->size - suffix_len)
        buffer[i] = suffix[pos - (huge->size - suffix_len)];
      else
        buffer[i] = 'x';
    }
  huge->offset += length;

  soup_message_body_append_take (body, buffer, length);
}

/* Streams @size bytes a chunk at a time, so the fake never holds them all. */
static void
fault_huge_body (SoupServerMessage *msg,
                 gsize              size)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  HugeBody *huge = g_new0 (HugeBody, 1);

  huge->size = size;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (headers, "Content-Type", "application/json");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  g_signal_connect_data (msg, "wrote-chunk",
                         G_CALLBACK (huge_body_append_next), huge,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  huge_body_append_next (msg, huge);
}

static void
fault_status (SoupServerMessage *msg,
              const FakeFault   *fault)
{
  soup_server_message_set_status (msg, fault->status, NULL);
  if (fault->body != NULL)
    soup_server_message_set_response (msg,
                                      fault->content_type != NULL ? fault->content_type
                                                                  : "application/json",
                                      SOUP_MEMORY_COPY, fault->body, strlen (fault->body));
}

static const char *
endpoint_for_path (const char *path)
{
  if (g_str_equal (path, "/api/task/create"))
    return "create";
  if (g_str_equal (path, "/api/task/get"))
    return "get";
  if (g_str_equal (path, "/api/task/get_credits"))
    return "credits";
  if (g_str_equal (path, "/api/task/pre_url"))
    return "pre_url";
  if (g_str_equal (path, "/s3/upload"))
    return "s3";
  if (g_str_has_prefix (path, "/cdn/"))
    return "cdn";
  if (g_str_has_prefix (path, "/img/"))
    return "img";
  return NULL;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakePixwith *self = user_data;
  g_autoptr(FaultEntry) fault = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *name;
  Endpoint *endpoint;

  g_assert (FAKE_IS_PIXWITH (self));

  name = endpoint_for_path (path);
  if (name == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  endpoint = get_endpoint (self, name);
  endpoint->count++;
  g_clear_pointer (&endpoint->last_body, g_bytes_unref);
  endpoint->last_body = g_bytes_ref (body);
  g_clear_pointer (&endpoint->last_headers, soup_message_headers_unref);
  endpoint->last_headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));

  fault = take_fault (endpoint);
  if (fault == NULL)
    {
      dispatch (self, msg, name, path, body);
      return;
    }

  g_debug ("%s %s: fault %d", soup_server_message_get_method (msg), path, fault->fault.kind);

  switch (fault->fault.kind)
    {
    case FAKE_FAULT_NONE:
      dispatch (self, msg, name, path, body);
      break;

    case FAKE_FAULT_STATUS:
      fault_status (msg, &fault->fault);
      break;

    case FAKE_FAULT_HANG:
      /* The request reached the server: it acts on it, then never answers. */
      dispatch (self, msg, name, path, body);
      hold_message (self, msg, HELD_HANG, 0, NULL);
      break;

    case FAKE_FAULT_RESET:
      hold_message (self, msg, HELD_RESET, 0, NULL);
      break;

    case FAKE_FAULT_RESET_MID_BODY:
      fault_reset_mid_body (self, msg, name, path, body);
      break;

    case FAKE_FAULT_HUGE_BODY:
      fault_huge_body (msg, fault->fault.size);
      break;

    case FAKE_FAULT_SLOW:
      dispatch (self, msg, name, path, body);
      hold_message (self, msg, HELD_SLOW, fault->fault.delay_ms, NULL);
      break;

    case FAKE_FAULT_REDIRECT:
      soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, fault->fault.body);
      break;

    default:
      g_assert_not_reached ();
    }
}

/* GObject */

static void
fake_pixwith_dispose (GObject *object)
{
  FakePixwith *self = (FakePixwith *)object;

  /* Act on held requests now, while the connections still exist. */
  if (self->held != NULL)
    {
      g_autoptr(GPtrArray) held = g_steal_pointer (&self->held);

      for (guint i = 0; i < held->len; i++)
        {
          Held *h = g_ptr_array_index (held, i);

          if (h->source != NULL)
            {
              g_source_destroy (h->source);
              g_clear_pointer (&h->source, g_source_unref);
            }
          held_release (h);
        }
    }

  if (self->server != NULL)
    {
      soup_server_remove_handler (self->server, "/");
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }

  G_OBJECT_CLASS (fake_pixwith_parent_class)->dispose (object);
}

static void
fake_pixwith_finalize (GObject *object)
{
  FakePixwith *self = (FakePixwith *)object;

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->api_keys, g_hash_table_unref);
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_pointer (&self->uploads, g_hash_table_unref);
  g_clear_pointer (&self->endpoints, g_hash_table_unref);
  g_clear_pointer (&self->video, g_bytes_unref);
  g_clear_pointer (&self->last_upload_parts, g_strfreev);
  g_clear_pointer (&self->last_upload_file, g_bytes_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (fake_pixwith_parent_class)->finalize (object);
}

static void
fake_pixwith_class_init (FakePixwithClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fake_pixwith_dispose;
  object_class->finalize = fake_pixwith_finalize;
}

static void
fake_pixwith_init (FakePixwith *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->server = soup_server_new ("server-header", "fake-pixwith ", NULL);
  soup_server_add_handler (self->server, "/", server_callback, self, NULL);

  self->api_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (self->api_keys, g_strdup (TEST_API_KEY));
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) task_free);
  self->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) upload_free);
  self->endpoints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) endpoint_free);
  self->held = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);

  self->credits = DEFAULT_CREDITS;
  self->price = DEFAULT_PRICE;
  self->estimated_time = DEFAULT_ESTIMATED;
  self->time_scale = 1.0;
  self->duration_factor = 1.0;
  self->outcome = FAKE_OUTCOME_COMPLETE;
  self->video = load_video ();
}

/* Public API */

FakePixwith *
fake_pixwith_new (GError **error)
{
  return fake_pixwith_new_on_port (0, error);
}

FakePixwith *
fake_pixwith_new_on_port (guint    port,
                          GError **error)
{
  g_autoptr(FakePixwith) self = NULL;
  g_autoslist(GUri) uris = NULL;

  g_return_val_if_fail (port <= G_MAXUINT16, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FAKE_TYPE_PIXWITH, NULL);

  if (!soup_server_listen_local (self->server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return NULL;

  uris = soup_server_get_uris (self->server);
  g_assert (uris != NULL);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));

  g_debug ("listening on %s", self->url);

  return g_steal_pointer (&self);
}

const char *
fake_pixwith_get_url (FakePixwith *self)
{
  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);

  return self->url;
}

void
fake_pixwith_add_api_key (FakePixwith *self,
                          const char  *api_key)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (api_key != NULL && api_key[0] != '\0');

  g_hash_table_add (self->api_keys, g_strdup (api_key));
}

void
fake_pixwith_set_credits (FakePixwith *self,
                          gint64       credits)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));

  self->credits = credits;
}

gint64
fake_pixwith_get_credits (FakePixwith *self)
{
  g_return_val_if_fail (FAKE_IS_PIXWITH (self), 0);

  return self->credits;
}

void
fake_pixwith_set_price (FakePixwith *self,
                        gint64       price)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (price >= 0);

  self->price = price;
}

void
fake_pixwith_set_estimated_time (FakePixwith *self,
                                 int          seconds)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (seconds >= 0);

  self->estimated_time = seconds;
}

void
fake_pixwith_set_time_scale (FakePixwith *self,
                             double       time_scale)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (time_scale >= 0.0);

  self->time_scale = time_scale;
}

void
fake_pixwith_set_duration_factor (FakePixwith *self,
                                  double       factor)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (factor >= 0.0);

  self->duration_factor = factor;
}

gint64
fake_pixwith_get_task_end_time (FakePixwith *self,
                                const char  *task_id)
{
  Task *task;

  g_return_val_if_fail (FAKE_IS_PIXWITH (self), -1);
  g_return_val_if_fail (task_id != NULL, -1);

  task = g_hash_table_lookup (self->tasks, task_id);
  if (task == NULL)
    return -1;

  return task->created_usec +
         (gint64) (task->estimated_time * task->duration_factor * self->time_scale * G_USEC_PER_SEC);
}

void
fake_pixwith_set_outcome (FakePixwith *self,
                          FakeOutcome  outcome)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (outcome == FAKE_OUTCOME_COMPLETE || outcome == FAKE_OUTCOME_FAIL);

  self->outcome = outcome;
}

void
fake_pixwith_expire_results (FakePixwith *self,
                             const char  *task_id)
{
  Task *task;

  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (task_id != NULL);

  task = g_hash_table_lookup (self->tasks, task_id);
  if (task != NULL)
    task->expired = TRUE;
}

void
fake_pixwith_add_fault (FakePixwith     *self,
                        const char      *endpoint,
                        const FakeFault *fault,
                        guint            count)
{
  g_return_if_fail (FAKE_IS_PIXWITH (self));
  g_return_if_fail (is_known_endpoint (endpoint));
  g_return_if_fail (fault != NULL);
  g_return_if_fail (fault->kind >= FAKE_FAULT_NONE && fault->kind <= FAKE_FAULT_REDIRECT);
  g_return_if_fail (fault->kind != FAKE_FAULT_STATUS || fault->status >= 100);
  g_return_if_fail (fault->kind != FAKE_FAULT_REDIRECT || fault->body != NULL);

  if (count == 0)
    return;

  g_queue_push_tail (&get_endpoint (self, endpoint)->faults, fault_entry_new (fault, count));
}

void
fake_pixwith_clear_faults (FakePixwith *self)
{
  GHashTableIter iter;
  Endpoint *endpoint;

  g_return_if_fail (FAKE_IS_PIXWITH (self));

  g_hash_table_iter_init (&iter, self->endpoints);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &endpoint))
    g_queue_clear_full (&endpoint->faults, (GDestroyNotify) fault_entry_free);
}

guint
fake_pixwith_get_request_count (FakePixwith *self,
                                const char  *endpoint)
{
  Endpoint *e;

  g_return_val_if_fail (FAKE_IS_PIXWITH (self), 0);
  g_return_val_if_fail (endpoint != NULL, 0);

  e = g_hash_table_lookup (self->endpoints, endpoint);

  return e != NULL ? e->count : 0;
}

GBytes *
fake_pixwith_get_last_body (FakePixwith *self,
                            const char  *endpoint)
{
  Endpoint *e;

  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);
  g_return_val_if_fail (endpoint != NULL, NULL);

  e = g_hash_table_lookup (self->endpoints, endpoint);

  return e != NULL ? e->last_body : NULL;
}

const char *
fake_pixwith_get_last_header (FakePixwith *self,
                              const char  *endpoint,
                              const char  *name)
{
  Endpoint *e;

  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);
  g_return_val_if_fail (endpoint != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  e = g_hash_table_lookup (self->endpoints, endpoint);
  if (e == NULL || e->last_headers == NULL)
    return NULL;

  return soup_message_headers_get_one (e->last_headers, name);
}

const char * const *
fake_pixwith_get_last_upload_parts (FakePixwith *self)
{
  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);

  return (const char * const *) self->last_upload_parts;
}

GBytes *
fake_pixwith_get_last_upload_file (FakePixwith *self)
{
  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);

  return self->last_upload_file;
}

GBytes *
fake_pixwith_get_video_bytes (FakePixwith *self)
{
  g_return_val_if_fail (FAKE_IS_PIXWITH (self), NULL);

  return self->video;
}
