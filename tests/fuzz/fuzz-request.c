/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-request"

#include "config.h"

#include "fuzz-common.h"
#include "pixverse-error.h"
#include "pixverse-request.h"

/*
 * The request JSON reader (pixverse_request_new_from_string, which reads a
 * stored /api/task/create body back): any bytes give a request or one
 * PIXVERSE_ERROR_INVALID_REQUEST. A request it accepts is valid, and
 * writing it out and reading it again gives the same body.
 */

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(PixverseRequest) request = NULL;
  g_autoptr(PixverseRequest) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body_again = NULL;

  request = pixverse_request_new_from_string ((const char *) data, size, &error);
  if (request == NULL)
    {
      g_assert_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  g_assert_true (pixverse_request_validate (request, NULL));
  body = pixverse_request_to_string (request, &error);
  g_assert_no_error (error);
  again = pixverse_request_new_from_string (body, -1, &error);
  g_assert_no_error (error);
  body_again = pixverse_request_to_string (again, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (body, ==, body_again);

  return 0;
}
