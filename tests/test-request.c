/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-request"

#include "config.h"

#include <string.h>

#include "pixverse-error.h"
#include "pixverse-request.h"

#define T2V_DEFAULT_BODY \
  "{\"prompt\":\"a cat\",\"model_id\":\"2-27\",\"options\":{\"prompt_optimization\":true," \
  "\"num_outputs\":1,\"resolution\":\"720p\",\"aspect_ratio\":\"16:9\",\"duration\":5}}"

static PixverseRequest *
valid_request (void)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, "a cat");
  return request;
}

static void
assert_invalid_request (const GError *error)
{
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  for (const char *p = error->message; *p; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
  /* a bad value is quoted, never pasted whole into a toast */
  g_assert_cmpuint (strlen (error->message), <, 400);
}

static void
assert_same_values (PixverseRequest *a,
                    PixverseRequest *b)
{
  g_assert_cmpstr (pixverse_request_get_prompt (a), ==, pixverse_request_get_prompt (b));
  g_assert_cmpint (pixverse_request_get_mode (a), ==, pixverse_request_get_mode (b));
  g_assert_cmpint (pixverse_request_get_num_outputs (a), ==, pixverse_request_get_num_outputs (b));
  g_assert_cmpstr (pixverse_request_get_resolution (a), ==, pixverse_request_get_resolution (b));
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (a), ==, pixverse_request_get_aspect_ratio (b));
  g_assert_cmpint (pixverse_request_get_duration (a), ==, pixverse_request_get_duration (b));
  g_assert_cmpint (pixverse_request_get_prompt_optimization (a), ==,
                   pixverse_request_get_prompt_optimization (b));
  if (pixverse_request_get_mode (a) == PIXVERSE_MODE_IMAGE_TO_VIDEO)
    g_assert_cmpstr (pixverse_request_get_image_url (a), ==, pixverse_request_get_image_url (b));
}

/* ------------------------------------------------------------------------ */

static void
test_error_codes (void)
{
  static const struct { PixverseError code; const char *name; } names[] = {
    { PIXVERSE_ERROR_INVALID_REQUEST, "invalid-request" },
    { PIXVERSE_ERROR_AUTH, "auth" },
    { PIXVERSE_ERROR_CREDITS, "credits" },
    { PIXVERSE_ERROR_SERVICE, "service" },
    { PIXVERSE_ERROR_HTTP, "http" },
    { PIXVERSE_ERROR_PROTOCOL, "protocol" },
    { PIXVERSE_ERROR_NETWORK, "network" },
    { PIXVERSE_ERROR_TIMEOUT, "timeout" },
    { PIXVERSE_ERROR_CANCELLED, "cancelled" },
  };
  g_autoptr(GError) ours = NULL;
  g_autoptr(GError) gio = NULL;
  g_autoptr(GError) other = NULL;
  g_autoptr(GError) other_domain = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (pixverse_error_code_to_string (names[i].code), ==, names[i].name);
  g_assert_cmpstr (pixverse_error_code_to_string ((PixverseError) 1000), ==, "unknown");

  g_assert_cmpstr (g_quark_to_string (PIXVERSE_ERROR), ==, "pixverse-error-quark");

  ours = g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED, "x");
  gio = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
  other = g_error_new_literal (PIXVERSE_ERROR, PIXVERSE_ERROR_TIMEOUT, "x");
  /* same number as PIXVERSE_ERROR_CANCELLED, other domain */
  other_domain = g_error_new_literal (G_IO_ERROR, PIXVERSE_ERROR_CANCELLED, "x");
  g_assert_true (pixverse_error_is_cancelled (ours));
  g_assert_true (pixverse_error_is_cancelled (gio));
  g_assert_false (pixverse_error_is_cancelled (other));
  g_assert_false (pixverse_error_is_cancelled (other_domain));
  g_assert_false (pixverse_error_is_cancelled (NULL));
}

static void
test_allowed_values (void)
{
  const char * const expected_resolutions[] = { "360p", "540p", "720p", "1080p", NULL };
  const char * const expected_aspects[] = { "16:9", "4:3", "1:1", "3:4", "9:16", NULL };
  const int *durations;
  guint n_durations = 0;

  g_assert_true (g_strv_equal ((const char * const *) pixverse_request_get_resolutions (),
                               expected_resolutions));
  g_assert_true (g_strv_equal ((const char * const *) pixverse_request_get_aspect_ratios (),
                               expected_aspects));
  durations = pixverse_request_get_durations (&n_durations);
  g_assert_cmpuint (n_durations, ==, 2);
  g_assert_cmpint (durations[0], ==, 5);
  g_assert_cmpint (durations[1], ==, 8);
  g_assert_true (pixverse_request_get_durations (NULL) == durations);
  /* one copy: the same static array every time */
  g_assert_true (pixverse_request_get_resolutions () == pixverse_request_get_resolutions ());
}

static void
test_mode_type (void)
{
  GEnumClass *klass = g_type_class_ref (PIXVERSE_TYPE_MODE);
  GEnumValue *value;

  g_assert_true (G_TYPE_IS_ENUM (PIXVERSE_TYPE_MODE));
  g_assert_cmpuint (klass->n_values, ==, 2);
  value = g_enum_get_value (klass, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_nonnull (value);
  g_assert_cmpstr (value->value_nick, ==, "image-to-video");
  value = g_enum_get_value_by_nick (klass, "text-to-video");
  g_assert_nonnull (value);
  g_assert_cmpint (value->value, ==, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_type_class_unref (klass);
}

static void
test_defaults (void)
{
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  PixverseMode mode = PIXVERSE_MODE_IMAGE_TO_VIDEO;
  int outputs = 0;

  g_assert_cmpstr (pixverse_request_get_prompt (request), ==, "");
  g_assert_cmpint (pixverse_request_get_mode (request), ==, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_assert_null (pixverse_request_get_image_url (request));
  g_assert_cmpint (pixverse_request_get_num_outputs (request), ==, 1);
  g_assert_cmpstr (pixverse_request_get_resolution (request), ==, "720p");
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (request), ==, "16:9");
  g_assert_cmpint (pixverse_request_get_duration (request), ==, 5);
  g_assert_true (pixverse_request_get_prompt_optimization (request));

  /* the same through the properties */
  g_object_get (request, "prompt", &prompt, "mode", &mode, "num-outputs", &outputs, NULL);
  g_assert_cmpstr (prompt, ==, "");
  g_assert_cmpint (mode, ==, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_assert_cmpint (outputs, ==, 1);

  /* every default is valid except the empty prompt */
  for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
    {
      g_autoptr(GError) field_error = NULL;
      gboolean ok = pixverse_request_validate_field (request, field, &field_error);

      if (field == PIXVERSE_REQUEST_FIELD_PROMPT)
        {
          g_assert_false (ok);
          assert_invalid_request (field_error);
          g_assert_cmpstr (field_error->message, ==, "The prompt is empty");
        }
      else
        {
          g_assert_no_error (field_error);
          g_assert_true (ok);
        }
    }

  g_assert_false (pixverse_request_validate (request, &error));
  g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_clear_error (&error);

  pixverse_request_set_prompt (request, "a cat");
  g_assert_true (pixverse_request_validate (request, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------------ */

typedef struct
{
  PixverseRequestField  field;
  const char           *text;    /* for string fields */
  int                   number;  /* for number fields and the mode */
  const char           *names;   /* what the message must mention */
} BadValue;

#define LONG_GARBAGE_LENGTH 10000

static void
apply_bad_value (PixverseRequest *request,
                 const BadValue  *bad)
{
  switch (bad->field)
    {
    case PIXVERSE_REQUEST_FIELD_PROMPT:
      pixverse_request_set_prompt (request, bad->text);
      break;
    case PIXVERSE_REQUEST_FIELD_MODE:
      pixverse_request_set_mode (request, (PixverseMode) bad->number);
      break;
    case PIXVERSE_REQUEST_FIELD_IMAGE_URL:
      pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
      pixverse_request_set_image_url (request, bad->text);
      break;
    case PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS:
      pixverse_request_set_num_outputs (request, bad->number);
      break;
    case PIXVERSE_REQUEST_FIELD_RESOLUTION:
      pixverse_request_set_resolution (request, bad->text);
      break;
    case PIXVERSE_REQUEST_FIELD_ASPECT_RATIO:
      pixverse_request_set_aspect_ratio (request, bad->text);
      break;
    case PIXVERSE_REQUEST_FIELD_DURATION:
      pixverse_request_set_duration (request, bad->number);
      break;
    case PIXVERSE_REQUEST_N_FIELDS:
    default:
      g_assert_not_reached ();
    }
}

static void
check_bad_value (const BadValue *bad)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) all_error = NULL;
  g_autoptr(GError) json_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;

  apply_bad_value (request, bad);

  g_test_message ("field %d, value “%s” / %d", bad->field,
                  bad->text && g_utf8_validate (bad->text, -1, NULL) && strlen (bad->text) < 100
                    ? bad->text : "…",
                  bad->number);

  g_assert_false (pixverse_request_validate_field (request, bad->field, &error));
  assert_invalid_request (error);
  g_assert_nonnull (strstr (error->message, bad->names));

  /* only that field is wrong */
  for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
    {
      g_autoptr(GError) other_error = NULL;

      if (field == bad->field)
        continue;
      /* the image URL is only judged in image-to-video mode */
      if (bad->field == PIXVERSE_REQUEST_FIELD_MODE && field == PIXVERSE_REQUEST_FIELD_IMAGE_URL)
        continue;
      g_assert_true (pixverse_request_validate_field (request, field, &other_error));
      g_assert_no_error (other_error);
    }

  /* the whole request reports the same error, and never becomes a body */
  g_assert_false (pixverse_request_validate (request, &all_error));
  g_assert_error (all_error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_assert_cmpstr (all_error->message, ==, error->message);

  node = pixverse_request_to_json (request, &json_error);
  g_assert_null (node);
  g_assert_error (json_error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
  g_clear_error (&json_error);
  body = pixverse_request_to_string (request, &json_error);
  g_assert_null (body);
  g_assert_error (json_error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
}

static void
test_bad_values (void)
{
  g_autofree char *long_garbage = g_strnfill (LONG_GARBAGE_LENGTH, 'x');
  g_autofree char *long_url = g_strconcat ("ftp://example.com/", long_garbage, NULL);
  const BadValue table[] = {
    { PIXVERSE_REQUEST_FIELD_PROMPT, "", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, NULL, 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, " ", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, " \t\r\n\v\f ", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, "\u00a0\u3000\u2028\u2003", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, "a \xff cat", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, "\xc0\xaf", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_PROMPT, "\xed\xa0\x80", 0, "prompt" },
    { PIXVERSE_REQUEST_FIELD_MODE, NULL, 2, "mode" },
    { PIXVERSE_REQUEST_FIELD_MODE, NULL, -1, "mode" },
    { PIXVERSE_REQUEST_FIELD_MODE, NULL, G_MAXINT, "mode" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, NULL, 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "ftp://example.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "file:///etc/passwd", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "javascript:alert(1)", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "data:image/png;base64,AAAA", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "http://", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https:///a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "http:example.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "example.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://exa mple.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/a b.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, " https://example.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/a.png\n", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/\ta.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/\u3000a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/\x01.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com/\xff.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://ex%zzample.com/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, "https://example.com:99999999/a.png", 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_IMAGE_URL, long_url, 0, "image URL" },
    { PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, NULL, 0, "number of videos" },
    { PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, NULL, 5, "number of videos" },
    { PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, NULL, -1, "number of videos" },
    { PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, NULL, G_MININT, "number of videos" },
    { PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, NULL, G_MAXINT, "number of videos" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, NULL, 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "720", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "720P", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, " 720p", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "720p ", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "2160p", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "4k", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, "\xff", 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_RESOLUTION, long_garbage, 0, "resolution" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, NULL, 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "16x9", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "2:1", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "16:9 ", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "9:16\n", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_ASPECT_RATIO, "1:1\x01", 0, "aspect ratio" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, 0, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, 4, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, 6, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, 10, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, -5, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, G_MAXINT, "duration" },
    { PIXVERSE_REQUEST_FIELD_DURATION, NULL, G_MININT, "duration" },
  };
  gboolean seen[PIXVERSE_REQUEST_N_FIELDS] = { FALSE, };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      check_bad_value (&table[i]);
      seen[table[i].field] = TRUE;
    }

  /* every field has at least one bad value in the table */
  for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
    g_assert_true (seen[field]);
}

static void
test_exact_messages (void)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_url = NULL;
  g_autofree char *garbage = g_strnfill (5000, 'y');

  pixverse_request_set_prompt (request, "   ");
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_PROMPT, &error));
  g_assert_cmpstr (error->message, ==, "The prompt is empty");
  g_clear_error (&error);
  pixverse_request_set_prompt (request, "a cat");

  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_IMAGE_URL, &error));
  g_assert_cmpstr (error->message, ==, "Image-to-video needs an image URL");
  g_clear_error (&error);

  pixverse_request_set_image_url (request, "ftp://example.com/a.png");
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_IMAGE_URL, &error));
  g_assert_true (g_str_has_prefix (error->message,
                                   "The image URL must be an http:// or https:// address"));
  /* the bad value is quoted */
  g_assert_nonnull (strstr (error->message, "ftp://example.com/a.png"));
  g_clear_error (&error);

  /* ... but only the start of a long one */
  long_url = g_strconcat ("ftp://example.com/", garbage, NULL);
  pixverse_request_set_image_url (request, long_url);
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_IMAGE_URL, &error));
  g_assert_nonnull (strstr (error->message, "ftp://example.com/yyy"));
  g_assert_nonnull (strstr (error->message, "…"));
  g_assert_cmpuint (strlen (error->message), <, 200);
  g_clear_error (&error);
  pixverse_request_set_mode (request, PIXVERSE_MODE_TEXT_TO_VIDEO);

  pixverse_request_set_num_outputs (request, 7);
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS, &error));
  g_assert_true (g_str_has_prefix (error->message, "The number of videos must be from 1 to 4"));
  g_assert_nonnull (strstr (error->message, "7"));
  g_clear_error (&error);
  pixverse_request_set_num_outputs (request, 4);

  pixverse_request_set_resolution (request, "4k");
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_RESOLUTION, &error));
  g_assert_nonnull (strstr (error->message, "“4k”"));
  g_assert_nonnull (strstr (error->message, "360p, 540p, 720p, 1080p"));
  g_clear_error (&error);

  pixverse_request_set_duration (request, 6);
  g_assert_false (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_DURATION, &error));
  g_assert_nonnull (strstr (error->message, "5, 8"));
  g_clear_error (&error);

  /* validate() gives the first wrong field in enum order: the resolution
   * comes before the duration */
  g_assert_false (pixverse_request_validate (request, &error));
  g_assert_nonnull (strstr (error->message, "resolution"));
}

static void
test_good_image_urls (void)
{
  const char *urls[] = {
    "https://example.com/a.png",
    "http://example.com/a.jpg",
    "HTTPS://EXAMPLE.COM/A.PNG",
    "http://127.0.0.1:8080/upload/x.jpeg",
    "https://[::1]/a.png",
    "https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=abc%2Fdef&x=1#frag",
    "https://example.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(PixverseRequest) request = valid_request ();
      g_autoptr(GError) error = NULL;

      pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
      pixverse_request_set_image_url (request, urls[i]);
      g_assert_true (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_IMAGE_URL,
                                                      &error));
      g_assert_no_error (error);
      g_assert_true (pixverse_request_validate (request, &error));
      g_assert_no_error (error);
    }
}

/* ------------------------------------------------------------------------ */

static void
test_json_t2v (void)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  JsonObject *object;
  JsonObject *options;

  body = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, T2V_DEFAULT_BODY);

  pixverse_request_set_num_outputs (request, 3);
  pixverse_request_set_resolution (request, "1080p");
  pixverse_request_set_aspect_ratio (request, "9:16");
  pixverse_request_set_duration (request, 8);
  pixverse_request_set_prompt_optimization (request, FALSE);
  g_clear_pointer (&body, g_free);
  body = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==,
                   "{\"prompt\":\"a cat\",\"model_id\":\"2-27\",\"options\":"
                   "{\"prompt_optimization\":false,\"num_outputs\":3,\"resolution\":\"1080p\","
                   "\"aspect_ratio\":\"9:16\",\"duration\":8}}");

  /* the same through the structure, with the JSON types the service wants */
  node = pixverse_request_to_json (request, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_false (json_object_has_member (object, "image_urls"));
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "prompt")), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_object_get_string_member (object, "model_id"), ==, "2-27");
  options = json_object_get_object_member (object, "options");
  g_assert_nonnull (options);
  g_assert_cmpuint (json_object_get_size (options), ==, 5);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (options, "prompt_optimization")),
                   ==, G_TYPE_BOOLEAN);
  g_assert_false (json_object_get_boolean_member (options, "prompt_optimization"));
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (options, "num_outputs")),
                   ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (options, "num_outputs"), ==, 3);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (options, "duration")),
                   ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (options, "duration"), ==, 8);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (options, "resolution")),
                   ==, G_TYPE_STRING);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (options, "aspect_ratio")),
                   ==, G_TYPE_STRING);
}

static void
test_json_i2v (void)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  JsonArray *urls;

  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (request, "https://example.com/a.png");
  body = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==,
                   "{\"prompt\":\"a cat\",\"image_urls\":[\"https://example.com/a.png\"],"
                   "\"model_id\":\"2-27\",\"options\":{\"prompt_optimization\":true,"
                   "\"num_outputs\":1,\"resolution\":\"720p\",\"aspect_ratio\":\"16:9\","
                   "\"duration\":5}}");

  node = pixverse_request_to_json (request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_object_get_size (json_node_get_object (node)), ==, 4);
  urls = json_object_get_array_member (json_node_get_object (node), "image_urls");
  g_assert_nonnull (urls);
  g_assert_cmpuint (json_array_get_length (urls), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, "https://example.com/a.png");
}

static void
test_json_t2v_ignores_image_url (void)
{
  const char *urls[] = { "https://example.com/a.png", "not a url at all", "", "\xff" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(PixverseRequest) request = valid_request ();
      g_autoptr(GError) error = NULL;
      g_autofree char *body = NULL;

      pixverse_request_set_image_url (request, urls[i]);
      g_assert_true (pixverse_request_validate_field (request, PIXVERSE_REQUEST_FIELD_IMAGE_URL,
                                                      &error));
      g_assert_no_error (error);
      body = pixverse_request_to_string (request, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (body, ==, T2V_DEFAULT_BODY);
      g_assert_null (strstr (body, "image_urls"));
      /* kept for when the person switches back */
      g_assert_cmpstr (pixverse_request_get_image_url (request), ==, urls[i]);
    }
}

static void
test_trimming (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "  a cat  ", "a cat" },
    { "\t\n a cat\r\n", "a cat" },
    { "a  cat", "a  cat" },
    { "\u00a0\u3000a cat\u2003\u2029", "a cat" },
    { " line one\nline two ", "line one\nline two" },
    { "x", "x" },
    { "  \u05e9\u05dc\u05d5\u05dd  ", "\u05e9\u05dc\u05d5\u05dd" },
    /* a combining mark at the end belongs to the text */
    { "cafe\u0301 ", "cafe\u0301" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PixverseRequest) request = pixverse_request_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;

      pixverse_request_set_prompt (request, cases[i].in);
      node = pixverse_request_to_json (request, &error);
      g_assert_no_error (error);
      object = json_node_get_object (node);
      g_assert_cmpstr (json_object_get_string_member (object, "prompt"), ==, cases[i].out);
      /* the request itself keeps what was typed */
      g_assert_cmpstr (pixverse_request_get_prompt (request), ==, cases[i].in);
    }
}

/* ------------------------------------------------------------------------ */

static void
test_round_trip (void)
{
  const char *prompts[] = {
    "a cat",
    "שלום עולם, a cat in Tel Aviv",
    "مرحبا بالعالم",
    "👩‍👩‍👧‍👦 family 🐈‍⬛ on a 🛹",
    "cafe\u0301 n\u0303 a\u0308\u0301\u0323",
    "quotes \" and \\ backslashes \\u0000 and / slashes",
    "line\nbreaks\tand\ttabs",
    "中文提示：一只猫在月光下奔跑",
  };
  const char *urls[] = { "https://example.com/a.png", "http://127.0.0.1:1234/x.jpg?a=b&c=%20" };
  const char * const *resolutions = pixverse_request_get_resolutions ();
  const char * const *aspects = pixverse_request_get_aspect_ratios ();
  guint n_durations;
  const int *durations = pixverse_request_get_durations (&n_durations);
  guint count = 0;

  for (guint p = 0; p < G_N_ELEMENTS (prompts); p++)
    for (int mode = 0; mode <= 1; mode++)
      for (int outputs = PIXVERSE_MIN_OUTPUTS; outputs <= PIXVERSE_MAX_OUTPUTS; outputs++)
        for (guint r = 0; resolutions[r]; r++)
          for (guint a = 0; aspects[a]; a++)
            for (guint d = 0; d < n_durations; d++)
              for (int opt = 0; opt <= 1; opt++)
                {
                  g_autoptr(PixverseRequest) request = pixverse_request_new ();
                  g_autoptr(PixverseRequest) back = NULL;
                  g_autoptr(PixverseRequest) copy = NULL;
                  g_autoptr(GError) error = NULL;
                  g_autofree char *body = NULL;
                  g_autofree char *again = NULL;

                  pixverse_request_set_prompt (request, prompts[p]);
                  pixverse_request_set_mode (request, mode);
                  pixverse_request_set_image_url (request, urls[(outputs + r) % 2]);
                  pixverse_request_set_num_outputs (request, outputs);
                  pixverse_request_set_resolution (request, resolutions[r]);
                  pixverse_request_set_aspect_ratio (request, aspects[a]);
                  pixverse_request_set_duration (request, durations[d]);
                  pixverse_request_set_prompt_optimization (request, opt);

                  body = pixverse_request_to_string (request, &error);
                  g_assert_no_error (error);
                  back = pixverse_request_new_from_string (body, -1, &error);
                  g_assert_no_error (error);
                  g_assert_nonnull (back);
                  assert_same_values (request, back);
                  g_assert_cmpstr (pixverse_request_get_prompt (back), ==, prompts[p]);
                  if (mode == PIXVERSE_MODE_TEXT_TO_VIDEO)
                    g_assert_null (pixverse_request_get_image_url (back));

                  /* with an explicit length too, and stable when written again */
                  g_clear_object (&back);
                  back = pixverse_request_new_from_string (body, strlen (body), &error);
                  g_assert_no_error (error);
                  again = pixverse_request_to_string (back, &error);
                  g_assert_no_error (error);
                  g_assert_cmpstr (again, ==, body);

                  copy = pixverse_request_copy (request);
                  g_assert_true (copy != request);
                  assert_same_values (request, copy);
                  g_assert_cmpstr (pixverse_request_get_image_url (copy), ==,
                                   pixverse_request_get_image_url (request));
                  count++;
                }

  g_assert_cmpuint (count, ==, G_N_ELEMENTS (prompts) * 2 * 4 * 4 * 5 * 2 * 2);
}

static void
test_copy_is_independent (void)
{
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(PixverseRequest) copy = NULL;

  /* invalid values are copied as they are, too */
  pixverse_request_set_resolution (request, "nonsense");
  pixverse_request_set_num_outputs (request, 99);
  pixverse_request_set_image_url (request, "https://example.com/a.png");
  copy = pixverse_request_copy (request);
  assert_same_values (request, copy);
  g_assert_cmpstr (pixverse_request_get_image_url (copy), ==, "https://example.com/a.png");

  pixverse_request_set_prompt (copy, "a dog");
  pixverse_request_set_resolution (copy, "360p");
  g_assert_cmpstr (pixverse_request_get_prompt (request), ==, "a cat");
  g_assert_cmpstr (pixverse_request_get_resolution (request), ==, "nonsense");
}

/* ------------------------------------------------------------------------ */

static void
assert_refused (const char *json,
                gssize      length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PixverseRequest) request = NULL;

  request = pixverse_request_new_from_string (json, length, &error);
  if (request != NULL)
    g_error ("accepted: %.200s", json);
  assert_invalid_request (error);
}

static char *
replace (const char *text,
         const char *from,
         const char *to)
{
  g_autoptr(GString) out = g_string_new (text);

  g_assert_nonnull (strstr (text, from));
  g_string_replace (out, from, to, 1);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_from_string_refuses (void)
{
  const char *i2v =
    "{\"prompt\":\"a cat\",\"image_urls\":[\"https://example.com/a.png\"],"
    "\"model_id\":\"2-27\",\"options\":{\"prompt_optimization\":true,"
    "\"num_outputs\":1,\"resolution\":\"720p\",\"aspect_ratio\":\"16:9\",\"duration\":5}}";
  static const struct { const char *from; const char *to; } edits[] = {
    /* wrong types */
    { "\"num_outputs\":1", "\"num_outputs\":\"2\"" },
    { "\"num_outputs\":1", "\"num_outputs\":1.0" },
    { "\"num_outputs\":1", "\"num_outputs\":true" },
    { "\"num_outputs\":1", "\"num_outputs\":null" },
    { "\"num_outputs\":1", "\"num_outputs\":[1]" },
    { "\"prompt_optimization\":true", "\"prompt_optimization\":1" },
    { "\"prompt_optimization\":true", "\"prompt_optimization\":\"true\"" },
    { "\"prompt_optimization\":true", "\"prompt_optimization\":null" },
    { "\"duration\":5", "\"duration\":5.0" },
    { "\"duration\":5", "\"duration\":5e0" },
    { "\"duration\":5", "\"duration\":\"5\"" },
    { "\"prompt\":\"a cat\"", "\"prompt\":5" },
    { "\"prompt\":\"a cat\"", "\"prompt\":null" },
    { "\"prompt\":\"a cat\"", "\"prompt\":[\"a cat\"]" },
    { "\"resolution\":\"720p\"", "\"resolution\":720" },
    { "\"aspect_ratio\":\"16:9\"", "\"aspect_ratio\":{}" },
    { "\"model_id\":\"2-27\"", "\"model_id\":227" },
    { "\"options\":{", "\"options\":[{" },
    /* image_urls */
    { "[\"https://example.com/a.png\"]", "[\"https://example.com/a.png\",\"https://example.com/b.png\"]" },
    { "[\"https://example.com/a.png\"]", "[]" },
    { "[\"https://example.com/a.png\"]", "\"https://example.com/a.png\"" },
    { "[\"https://example.com/a.png\"]", "[5]" },
    { "[\"https://example.com/a.png\"]", "[null]" },
    { "[\"https://example.com/a.png\"]", "[[\"https://example.com/a.png\"]]" },
    { "[\"https://example.com/a.png\"]", "null" },
    { "[\"https://example.com/a.png\"]", "[\"ftp://example.com/a.png\"]" },
    { "[\"https://example.com/a.png\"]", "[\"\"]" },
    /* unknown, missing, wrong */
    { "\"model_id\"", "\"seed\":1,\"model_id\"" },
    { "\"duration\":5", "\"duration\":5,\"seed\":1" },
    { "\"duration\":5", "\"duration\":5,\"\":1" },
    { "\"model_id\":\"2-27\",", "" },
    { "\"model_id\":\"2-27\"", "\"model_id\":\"2-26\"" },
    { "\"model_id\":\"2-27\"", "\"model_id\":\"2-27 \"" },
    { "\"prompt\":\"a cat\",", "" },
    { ",\"duration\":5", "" },
    { "\"prompt_optimization\":true,", "" },
    { "\"options\":{\"prompt_optimization\":true,\"num_outputs\":1,\"resolution\":\"720p\","
      "\"aspect_ratio\":\"16:9\",\"duration\":5}", "\"options\":{}" },
    /* valid JSON, invalid request */
    { "\"prompt\":\"a cat\"", "\"prompt\":\"  \\n \"" },
    { "\"num_outputs\":1", "\"num_outputs\":0" },
    { "\"num_outputs\":1", "\"num_outputs\":5" },
    { "\"num_outputs\":1", "\"num_outputs\":-1" },
    { "\"resolution\":\"720p\"", "\"resolution\":\"4k\"" },
    { "\"aspect_ratio\":\"16:9\"", "\"aspect_ratio\":\"2:1\"" },
    { "\"duration\":5", "\"duration\":6" },
    /* numbers out of int range must not wrap into a valid value */
    { "\"num_outputs\":1", "\"num_outputs\":4294967297" },
    { "\"num_outputs\":1", "\"num_outputs\":2147483648" },
    { "\"num_outputs\":1", "\"num_outputs\":-2147483649" },
    { "\"duration\":5", "\"duration\":4294967301" },
    { "\"duration\":5", "\"duration\":99999999999999999999999999" },
    { "\"duration\":5", "\"duration\":-99999999999999999999999999" },
    { "\"duration\":5", "\"duration\":1e999" },
    /* strings that would be read back as something else */
    { "\"prompt\":\"a cat\"", "\"prompt\":\"a\\u0000cat\"" },
    { "\"prompt\":\"a cat\"", "\"prompt\":\"a\\ud800cat\"" },
    /* not plain JSON */
    { "\"model_id\"", "/* c */\"model_id\"" },
    { ",\"model_id\"", ",,\"model_id\"" },
    { "\"duration\":5}", "\"duration\":5,}" },
    { "\"duration\":5", "\"duration\":05" },
    { "\"duration\":5", "\"duration\":0x5" },
    { "\"duration\":5", "\"duration\":+5" },
    { "\"prompt\":\"a cat\"", "prompt:\"a cat\"" },
    { "\"prompt\":\"a cat\"", "\"prompt\":'a cat'" },
  };
  static const char *whole[] = {
    "", " ", "\n", "null", "true", "1", "\"a cat\"", "[]", "{}", "[" T2V_DEFAULT_BODY "]",
    T2V_DEFAULT_BODY T2V_DEFAULT_BODY,
    T2V_DEFAULT_BODY " x",
    T2V_DEFAULT_BODY " // comment",
    "var x = " T2V_DEFAULT_BODY ";",
    "\xef\xbb\xbf",
  };
  g_autoptr(GString) deep = g_string_new (NULL);

  /* the base itself is fine */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PixverseRequest) request = pixverse_request_new_from_string (i2v, -1, &error);

    g_assert_no_error (error);
    g_assert_cmpint (pixverse_request_get_mode (request), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);
    g_assert_cmpstr (pixverse_request_get_image_url (request), ==, "https://example.com/a.png");
  }

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *json = replace (i2v, edits[i].from, edits[i].to);

      g_test_message ("refusing %s", json);
      assert_refused (json, -1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (whole); i++)
    assert_refused (whole[i], -1);

  /* truncated anywhere, with the length saying so (the buffer goes on) */
  for (gsize length = 0; length < strlen (i2v); length++)
    assert_refused (i2v, length);
  for (gsize length = 0; length < strlen (T2V_DEFAULT_BODY); length++)
    {
      g_autofree char *cut = g_strndup (T2V_DEFAULT_BODY, length);

      assert_refused (cut, -1);
    }

  /* deep nesting, at the root and inside a member */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_refused (deep->str, -1);
  g_string_truncate (deep, 0);
  g_string_append (deep, "{\"prompt\":");
  for (guint i = 0; i < 5000; i++)
    g_string_append (deep, "{\"a\":");
  g_string_append (deep, "1");
  for (guint i = 0; i < 5000; i++)
    g_string_append_c (deep, '}');
  g_string_append (deep, "}");
  assert_refused (deep->str, -1);
}

static void
test_from_string_bytes (void)
{
  const char *body = T2V_DEFAULT_BODY;
  gsize length = strlen (body);
  const char *at = strstr (body, "a cat");
  gsize offset = at - body + 1; /* the space of "a cat" */
  static const char *bad_utf8[] = { "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80" };
  g_autofree char *with_nul = g_memdup2 (body, length + 1);
  g_autofree char *with_trailing_nul = g_malloc (length + 2);

  /* a NUL in the middle of the buffer, its length given */
  with_nul[offset] = '\0';
  assert_refused (with_nul, length);
  /* ... and as the last byte counted */
  memcpy (with_trailing_nul, body, length);
  with_trailing_nul[length] = '\0';
  with_trailing_nul[length + 1] = '\0';
  assert_refused (with_trailing_nul, length + 1);

  /* invalid UTF-8 in the prompt, in a member name, outside strings */
  for (guint i = 0; i < G_N_ELEMENTS (bad_utf8); i++)
    {
      g_autofree char *in_prompt = replace (body, "a cat", bad_utf8[i]);
      g_autofree char *in_name = replace (body, "prompt\"", "pr\xffompt\"");
      g_autofree char *outside = g_strconcat (body, bad_utf8[i], NULL);

      assert_refused (in_prompt, -1);
      assert_refused (in_prompt, strlen (in_prompt));
      assert_refused (in_name, -1);
      assert_refused (outside, -1);
    }

  /* not valid JSON text that json-glib would otherwise stop reading early */
  assert_refused ("{\"prompt\":\"a cat\"\0}", 19);
}

static void
test_from_string_accepts (void)
{
  static const struct { const char *json_prompt; const char *prompt; } texts[] = {
    { "שלום עולם", "שלום עולם" },
    { "\\u05e9\\u05dc\\u05d5\\u05dd", "שלום" },
    { "👩‍👩‍👧‍👦🐈‍⬛", "👩‍👩‍👧‍👦🐈‍⬛" },
    { "\\ud83d\\udc08", "🐈" },
    { "e\u0301\u0302\u0303", "e\u0301\u0302\u0303" },
    { "caf\\u00e9", "café" },
    /* a literal backslash-u-0000 is text, not an escaped NUL */
    { "\\\\u0000", "\\u0000" },
    { "say \\\"hi\\\"", "say \"hi\"" },
    { "a\\nb\\tc\\/d", "a\nb\tc/d" },
    { "\u202eright to left override", "\u202eright to left override" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PixverseRequest) pretty = NULL;
  g_autoptr(PixverseRequest) big = NULL;
  g_autoptr(PixverseRequest) request = NULL;
  g_autofree char *big_prompt = NULL;
  g_autofree char *big_body = NULL;
  g_autofree char *big_back = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(PixverseRequest) back = NULL;
      g_autofree char *json = replace (T2V_DEFAULT_BODY, "a cat", texts[i].json_prompt);

      back = pixverse_request_new_from_string (json, -1, &error);
      g_assert_no_error (error);
      g_assert_nonnull (back);
      g_assert_cmpstr (pixverse_request_get_prompt (back), ==, texts[i].prompt);
    }

  /* other member order, whitespace and a BOM are still the same body */
  pretty = pixverse_request_new_from_string (
    "\xef\xbb\xbf {\n  \"options\" : { \"duration\" : 8, \"aspect_ratio\" : \"1:1\",\n"
    "    \"resolution\" : \"360p\", \"num_outputs\" : 4, \"prompt_optimization\" : false },\n"
    "  \"model_id\" : \"2-27\",\n  \"image_urls\" : [ \"https://example.com/a.png\" ],\n"
    "  \"prompt\" : \"a cat\"\n}\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pixverse_request_get_mode (pretty), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_cmpint (pixverse_request_get_duration (pretty), ==, 8);
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (pretty), ==, "1:1");
  g_assert_cmpstr (pixverse_request_get_resolution (pretty), ==, "360p");
  g_assert_cmpint (pixverse_request_get_num_outputs (pretty), ==, 4);
  g_assert_false (pixverse_request_get_prompt_optimization (pretty));

  /* a 100 KB prompt comes back intact (no length limit is known, §2) */
  {
    GString *text = g_string_new (NULL);

    while (text->len < 100 * 1024)
      g_string_append (text, "A cat runs through a field of 🌻 at dusk; ");
    g_string_append (text, "end");
    big_prompt = g_string_free (text, FALSE);
  }
  request = pixverse_request_new ();
  pixverse_request_set_prompt (request, big_prompt);
  big_body = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (big_body), >, 100 * 1024);
  big = pixverse_request_new_from_string (big_body, strlen (big_body), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pixverse_request_get_prompt (big), ==, big_prompt);
  big_back = pixverse_request_to_string (big, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (big_back, ==, big_body);
}

static void
test_from_json_nodes (void)
{
  g_autoptr(JsonNode) null_node = json_node_new (JSON_NODE_NULL);
  g_autoptr(JsonNode) array_node = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(JsonNode) string_node = json_node_init_string (json_node_alloc (), "x");
  g_autoptr(PixverseRequest) request = valid_request ();
  g_autoptr(PixverseRequest) back = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *nodes[] = { null_node, array_node, string_node };

  json_node_take_array (array_node, json_array_new ());
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autoptr(GError) node_error = NULL;

      g_assert_null (pixverse_request_new_from_json (nodes[i], &node_error));
      assert_invalid_request (node_error);
    }

  pixverse_request_set_num_outputs (request, 2);
  node = pixverse_request_to_json (request, &error);
  g_assert_no_error (error);
  back = pixverse_request_new_from_json (node, &error);
  g_assert_no_error (error);
  assert_same_values (request, back);
}

/* Mutated bodies must never crash, warn or come back invalid. */
static void
test_mutations (void)
{
  const char *seeds[] = {
    T2V_DEFAULT_BODY,
    "{\"prompt\":\"שלום 🐈\",\"image_urls\":[\"https://example.com/a.png\"],"
    "\"model_id\":\"2-27\",\"options\":{\"prompt_optimization\":false,"
    "\"num_outputs\":4,\"resolution\":\"1080p\",\"aspect_ratio\":\"9:16\",\"duration\":8}}",
  };
  const char interesting[] = "{}[]\":,\\0123456789-+.eEtrufalsn \x00\xff\xc3";
  guint accepted = 0;

  for (guint round = 0; round < 20000; round++)
    {
      const char *seed = seeds[round % G_N_ELEMENTS (seeds)];
      g_autoptr(GString) bytes = g_string_new (seed);
      g_autoptr(PixverseRequest) request = NULL;
      g_autoptr(GError) error = NULL;
      guint n_edits = g_test_rand_int_range (1, 4);

      for (guint e = 0; e < n_edits && bytes->len > 0; e++)
        {
          guint at = g_test_rand_int_range (0, bytes->len);
          char c = interesting[g_test_rand_int_range (0, sizeof interesting - 1)];

          switch (g_test_rand_int_range (0, 4))
            {
            case 0:
              bytes->str[at] = c;
              break;
            case 1:
              g_string_insert_len (bytes, at, &c, 1);
              break;
            case 2:
              g_string_erase (bytes, at, 1);
              break;
            default:
              bytes->str[at] = (char) g_test_rand_int_range (0, 256);
              break;
            }
        }

      request = pixverse_request_new_from_string (bytes->str, bytes->len, &error);
      if (request == NULL)
        {
          assert_invalid_request (error);
        }
      else
        {
          g_autofree char *body = NULL;

          g_assert_no_error (error);
          g_assert_true (pixverse_request_validate (request, NULL));
          body = pixverse_request_to_string (request, &error);
          g_assert_no_error (error);
          g_assert_nonnull (body);
          accepted++;
        }
    }

  /* some mutations (in the prompt, whitespace) leave a valid body */
  g_assert_cmpuint (accepted, >, 0);
}

/* ------------------------------------------------------------------------ */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              GHashTable *counts)
{
  const char *name = g_param_spec_get_name (pspec);

  g_hash_table_insert (counts, (gpointer) name,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, name)) + 1));
}

static guint
take_count (GHashTable *counts,
            const char *name)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));

  g_hash_table_remove_all (counts);
  return count;
}

static void
test_notify (void)
{
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *resolution = NULL;

  g_signal_connect (request, "notify", G_CALLBACK (count_notify), counts);

  pixverse_request_set_prompt (request, "a cat");
  g_assert_cmpuint (take_count (counts, "prompt"), ==, 1);
  pixverse_request_set_prompt (request, "a cat");
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_prompt (request, NULL);
  g_assert_cmpuint (take_count (counts, "prompt"), ==, 1);
  g_assert_cmpstr (pixverse_request_get_prompt (request), ==, "");
  pixverse_request_set_prompt (request, "");
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);

  pixverse_request_set_mode (request, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_cmpuint (take_count (counts, "mode"), ==, 1);

  pixverse_request_set_image_url (request, NULL);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_image_url (request, "https://example.com/a.png");
  g_assert_cmpuint (take_count (counts, "image-url"), ==, 1);
  pixverse_request_set_image_url (request, "https://example.com/a.png");
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_image_url (request, NULL);
  g_assert_cmpuint (take_count (counts, "image-url"), ==, 1);

  pixverse_request_set_num_outputs (request, 1);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_num_outputs (request, 3);
  g_assert_cmpuint (take_count (counts, "num-outputs"), ==, 1);

  pixverse_request_set_resolution (request, "720p");
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_resolution (request, "1080p");
  g_assert_cmpuint (take_count (counts, "resolution"), ==, 1);

  pixverse_request_set_aspect_ratio (request, "16:9");
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_aspect_ratio (request, "1:1");
  g_assert_cmpuint (take_count (counts, "aspect-ratio"), ==, 1);

  pixverse_request_set_duration (request, 5);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_duration (request, 8);
  g_assert_cmpuint (take_count (counts, "duration"), ==, 1);

  pixverse_request_set_prompt_optimization (request, TRUE);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  /* any non-zero gboolean is the same TRUE */
  pixverse_request_set_prompt_optimization (request, 2);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  pixverse_request_set_prompt_optimization (request, FALSE);
  g_assert_cmpuint (take_count (counts, "prompt-optimization"), ==, 1);

  /* through g_object_set() as a form binding would: same rules */
  g_object_set (request, "resolution", "1080p", "duration", 8, NULL);
  g_assert_cmpuint (g_hash_table_size (counts), ==, 0);
  g_object_set (request, "resolution", "360p", NULL);
  g_assert_cmpuint (take_count (counts, "resolution"), ==, 1);
  g_object_get (request, "resolution", &resolution, NULL);
  g_assert_cmpstr (resolution, ==, "360p");
  g_object_set (request, "mode", PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_assert_cmpuint (take_count (counts, "mode"), ==, 1);

  /* setters store invalid values too, for the form to ask about */
  g_object_set (request, "num-outputs", 99, NULL);
  g_assert_cmpuint (take_count (counts, "num-outputs"), ==, 1);
  g_assert_cmpint (pixverse_request_get_num_outputs (request), ==, 99);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/error/codes", test_error_codes);
  g_test_add_func ("/request/allowed-values", test_allowed_values);
  g_test_add_func ("/request/mode-type", test_mode_type);
  g_test_add_func ("/request/defaults", test_defaults);
  g_test_add_func ("/request/validate/bad-values", test_bad_values);
  g_test_add_func ("/request/validate/messages", test_exact_messages);
  g_test_add_func ("/request/validate/good-image-urls", test_good_image_urls);
  g_test_add_func ("/request/json/t2v", test_json_t2v);
  g_test_add_func ("/request/json/i2v", test_json_i2v);
  g_test_add_func ("/request/json/t2v-ignores-image-url", test_json_t2v_ignores_image_url);
  g_test_add_func ("/request/json/trimming", test_trimming);
  g_test_add_func ("/request/json/round-trip", test_round_trip);
  g_test_add_func ("/request/copy", test_copy_is_independent);
  g_test_add_func ("/request/from-string/refuses", test_from_string_refuses);
  g_test_add_func ("/request/from-string/bytes", test_from_string_bytes);
  g_test_add_func ("/request/from-string/accepts", test_from_string_accepts);
  g_test_add_func ("/request/from-json/nodes", test_from_json_nodes);
  g_test_add_func ("/request/from-string/mutations", test_mutations);
  g_test_add_func ("/request/notify", test_notify);

  return g_test_run ();
}
