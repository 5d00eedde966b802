/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-response"

#include "config.h"

#include "fuzz-common.h"
#include "pixverse-error.h"
#include "pixverse-response.h"

/*
 * The response parser: whatever bytes arrive, with whatever HTTP status,
 * become a data object or one PIXVERSE_ERROR with a message, and every
 * per-endpoint decoder takes any data object. The first input byte picks
 * the HTTP status; the rest is the body.
 */

static const guint statuses[] = { 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503 };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

static void
assert_error (GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == PIXVERSE_ERROR);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
decode_all (JsonObject *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PixverseTaskInfo) info = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) values = NULL;
  g_autofree char *task_id = NULL;
  g_autofree char *url = NULL;
  g_autofree char *image_url = NULL;
  gint64 credits = 0;
  int estimated_time = -1;

  task_id = _pixverse_response_create_task (data, &estimated_time, &error);
  if (task_id == NULL)
    assert_error (error);
  else
    g_assert_cmpint (estimated_time, >=, 0);
  g_clear_error (&error);

  info = _pixverse_response_task_info (data, "fuzz", &error);
  if (info == NULL)
    assert_error (error);
  else
    for (guint i = 0; info->result_urls != NULL && info->result_urls[i] != NULL; i++)
      if (!_pixverse_url_is_allowed (info->result_urls[i], TRUE, &error))
        {
          assert_error (error);
          g_clear_error (&error);
        }
  g_clear_error (&error);

  if (!_pixverse_response_credits (data, &credits, &error))
    assert_error (error);
  g_clear_error (&error);

  if (_pixverse_response_upload_target (data, &url, &names, &values, &image_url, &error))
    g_assert_cmpuint (names->len, ==, values->len);
  else
    assert_error (error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  if (size < 1)
    return 0;

  status = statuses[data[0] % G_N_ELEMENTS (statuses)];
  object = _pixverse_response_parse (status, (const char *) data + 1, size - 1, &error);
  if (object == NULL)
    assert_error (error);
  else
    decode_all (object);

  return 0;
}
