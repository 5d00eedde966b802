/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-error"

#include "config.h"

#include "pixverse-error.h"

G_DEFINE_QUARK (pixverse-error-quark, pixverse_error)

/**
 * pixverse_error_code_to_string:
 * @code: a #PixverseError
 *
 * Gives a short, stable, untranslated name for @code. The command line prints
 * it in its `--json` output, so scripts can tell failures apart without
 * parsing messages meant for people: never rename one.
 *
 * Returns: (transfer none): the name, e.g. `"credits"`, or `"unknown"` for a
 *   value outside the enumeration
 */
const char *
pixverse_error_code_to_string (PixverseError code)
{
  switch (code)
    {
    case PIXVERSE_ERROR_INVALID_REQUEST:
      return "invalid-request";
    case PIXVERSE_ERROR_AUTH:
      return "auth";
    case PIXVERSE_ERROR_CREDITS:
      return "credits";
    case PIXVERSE_ERROR_SERVICE:
      return "service";
    case PIXVERSE_ERROR_HTTP:
      return "http";
    case PIXVERSE_ERROR_PROTOCOL:
      return "protocol";
    case PIXVERSE_ERROR_NETWORK:
      return "network";
    case PIXVERSE_ERROR_TIMEOUT:
      return "timeout";
    case PIXVERSE_ERROR_CANCELLED:
      return "cancelled";
    default:
      /* An error code from a newer core read by an older script, or garbage:
       * still a string, so the JSON output stays well-formed. */
      return "unknown";
    }
}

/**
 * pixverse_error_is_cancelled:
 * @error: (nullable): an error, or %NULL
 *
 * Cancellation is passed through GIO unchanged, so it arrives either as
 * %G_IO_ERROR_CANCELLED or as our own %PIXVERSE_ERROR_CANCELLED; callers
 * that stay silent on cancel must recognise both.
 *
 * Returns: %TRUE if @error says the operation was cancelled
 */
gboolean
pixverse_error_is_cancelled (const GError *error)
{
  if (error == NULL)
    return FALSE;

  return g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CANCELLED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}
