/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PIXVERSE_ERROR (pixverse_error_quark ())

/**
 * PixverseError:
 * @PIXVERSE_ERROR_INVALID_REQUEST: the input was refused before any request
 * @PIXVERSE_ERROR_AUTH: the service refused the API key
 * @PIXVERSE_ERROR_CREDITS: the account has not enough credits
 * @PIXVERSE_ERROR_SERVICE: the service answered with an error of its own
 * @PIXVERSE_ERROR_HTTP: an HTTP error status without a service answer
 * @PIXVERSE_ERROR_PROTOCOL: an answer that is not what the service sends
 * @PIXVERSE_ERROR_NETWORK: the service could not be reached
 * @PIXVERSE_ERROR_TIMEOUT: the service did not answer in time
 * @PIXVERSE_ERROR_CANCELLED: the operation was cancelled
 *
 * Every error of the core is in this domain, with a message for a person.
 */
typedef enum
{
  PIXVERSE_ERROR_INVALID_REQUEST,
  PIXVERSE_ERROR_AUTH,
  PIXVERSE_ERROR_CREDITS,
  PIXVERSE_ERROR_SERVICE,
  PIXVERSE_ERROR_HTTP,
  PIXVERSE_ERROR_PROTOCOL,
  PIXVERSE_ERROR_NETWORK,
  PIXVERSE_ERROR_TIMEOUT,
  PIXVERSE_ERROR_CANCELLED,
} PixverseError;

GQuark      pixverse_error_quark        (void);
const char *pixverse_error_code_to_string (PixverseError code);
gboolean    pixverse_error_is_cancelled (const GError *error);

G_END_DECLS
