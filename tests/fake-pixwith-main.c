/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fake-pixwith"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "fake-pixwith.h"

/* ENDPOINT:KIND[:ARG][@COUNT], e.g. create:status:503, get:hang@3,
 * cdn:reset-mid-body, s3:huge:52428800, credits:redirect:http://elsewhere/. */
static gboolean
add_fault (FakePixwith  *fake,
           const char   *spec,
           GError      **error)
{
  static const char html[] = "<!DOCTYPE html><html><body><h1>Error</h1></body></html>";
  g_autofree char *text = g_strdup (spec);
  g_auto(GStrv) parts = NULL;
  char *at = strrchr (text, '@');
  guint64 count = 1;
  guint64 number = 0;
  FakeFault fault = { FAKE_FAULT_NONE };
  const char *arg;

  if (at != NULL && g_ascii_string_to_unsigned (at + 1, 10, 1, G_MAXUINT, &count, NULL))
    *at = '\0';
  parts = g_strsplit (text, ":", 3);
  arg = parts[1] != NULL ? parts[2] : NULL;

  if (parts[1] == NULL)
    ;
  else if (g_str_equal (parts[1], "status") && arg != NULL &&
           g_ascii_string_to_unsigned (arg, 10, 100, 599, &number, NULL))
    fault = (FakeFault) { FAKE_FAULT_STATUS, (guint) number, "text/html", html };
  else if (g_str_equal (parts[1], "hang"))
    fault.kind = FAKE_FAULT_HANG;
  else if (g_str_equal (parts[1], "reset"))
    fault.kind = FAKE_FAULT_RESET;
  else if (g_str_equal (parts[1], "reset-mid-body"))
    fault.kind = FAKE_FAULT_RESET_MID_BODY;
  else if (g_str_equal (parts[1], "huge") && arg != NULL &&
           g_ascii_string_to_unsigned (arg, 10, 1, G_MAXSIZE, &number, NULL))
    fault = (FakeFault) { FAKE_FAULT_HUGE_BODY, .size = number };
  else if (g_str_equal (parts[1], "slow") && arg != NULL &&
           g_ascii_string_to_unsigned (arg, 10, 0, G_MAXUINT, &number, NULL))
    fault = (FakeFault) { FAKE_FAULT_SLOW, .delay_ms = (guint) number };
  else if (g_str_equal (parts[1], "redirect") && arg != NULL)
    fault = (FakeFault) { FAKE_FAULT_REDIRECT, .body = arg };

  if (fault.kind == FAKE_FAULT_NONE ||
      !g_strv_contains ((const char * const []) { "create", "get", "credits", "pre_url", "s3", "cdn", NULL },
                        parts[0]))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad --fault “%s”", spec);
      return FALSE;
    }

  fake_pixwith_add_fault (fake, parts[0], &fault, (guint) count);
  return TRUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(FakePixwith) fake = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) api_keys = NULL;
  g_auto(GStrv) faults = NULL;
  int port = 0;
  int estimated_time = 150;
  double time_scale = 1.0;
  gint64 credits = 1000;
  gint64 price = 5;
  gboolean fail = FALSE;
  guint sigint_id;
  guint sigterm_id;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Port on 127.0.0.1 to listen on (default: a free one)", "N" },
    { "estimated-time", 0, 0, G_OPTION_ARG_INT, &estimated_time,
      "estimated_time reported for jobs, in seconds (default 150)", "S" },
    { "time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &time_scale,
      "Jobs finish after estimated-time times this many seconds (default 1.0)", "F" },
    { "credits", 0, 0, G_OPTION_ARG_INT64, &credits,
      "Credits on the account (default 1000)", "N" },
    { "price", 0, 0, G_OPTION_ARG_INT64, &price,
      "Credits one video costs (default 5)", "N" },
    { "fail", 0, 0, G_OPTION_ARG_NONE, &fail,
      "Jobs fail instead of completing", NULL },
    { "api-key", 0, 0, G_OPTION_ARG_STRING_ARRAY, &api_keys,
      "Accept this API key too (repeatable)", "KEY" },
    { "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
      "Misbehave: ENDPOINT:KIND[:ARG][@COUNT] (repeatable); endpoints create, get, "
      "credits, pre_url, s3, cdn; kinds status:N, hang, reset, reset-mid-body, huge:BYTES, "
      "slow:MS, redirect:URL", "SPEC" },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "A fake pixwith.ai service on 127.0.0.1 for offline runs.\n"
                                "Prints its URL on the first line, "
                                "serves until SIGINT or SIGTERM.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("fake-pixwith: %s\n", error->message);
      return EXIT_FAILURE;
    }

  if (port < 0 || port > G_MAXUINT16 || estimated_time < 0 || time_scale < 0.0 ||
      price < 0)
    {
      g_printerr ("fake-pixwith: option out of range\n");
      return EXIT_FAILURE;
    }

  fake = fake_pixwith_new_on_port (port, &error);
  if (fake == NULL)
    {
      g_printerr ("fake-pixwith: %s\n", error->message);
      return EXIT_FAILURE;
    }

  fake_pixwith_set_estimated_time (fake, estimated_time);
  fake_pixwith_set_time_scale (fake, time_scale);
  fake_pixwith_set_credits (fake, credits);
  fake_pixwith_set_price (fake, price);
  fake_pixwith_set_outcome (fake, fail ? FAKE_OUTCOME_FAIL : FAKE_OUTCOME_COMPLETE);
  for (guint i = 0; api_keys != NULL && api_keys[i] != NULL; i++)
    fake_pixwith_add_api_key (fake, api_keys[i]);
  for (guint i = 0; faults != NULL && faults[i] != NULL; i++)
    {
      if (!add_fault (fake, faults[i], &error))
        {
          g_printerr ("fake-pixwith: %s\n", error->message);
          return EXIT_FAILURE;
        }
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, loop);

  g_print ("%s\n", fake_pixwith_get_url (fake));
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  return EXIT_SUCCESS;
}
