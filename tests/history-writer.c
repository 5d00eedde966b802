/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "history-writer"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pixverse-history.h"

/*
 * Another process writing a history, for the tests that need two (test-history)
 * and those that kill one: history-writer [OPTION…] PATH COUNT PREFIX
 *
 * Adds COUNT jobs one after the other, as the app does: each is added (status
 * submitting, prompt "PREFIX job N"), then, unless --submit-only, given the
 * task id "PREFIX-N" and status processing and saved. A line goes to stdout
 * (flushed) once each step is on disk:
 *
 *   added ID
 *   saved ID PREFIX-N
 *
 * so a parent that kills this process knows exactly which jobs must be
 * there. --interval-ms waits between jobs, so a killer has time to aim.
 * Exits 0 when all are written, 1 (message on stderr) on the first error.
 */

typedef struct
{
  GMainLoop       *loop;
  PixverseHistory *history;
  PixverseTask    *task;
  char            *prefix;
  int              count;
  int              done;
  int              interval_ms;
  gboolean         submit_only;
  int              status;
} Writer;

static void next_job (Writer *writer);

static void
fail (Writer       *writer,
      const char   *what,
      const GError *error)
{
  g_printerr ("history-writer: %s: %s\n", what, error->message);
  writer->status = EXIT_FAILURE;
  g_main_loop_quit (writer->loop);
}

static void
next_job_cb (gpointer user_data)
{
  next_job (user_data);
}

static void
job_done (Writer *writer)
{
  g_clear_object (&writer->task);
  writer->done++;

  g_timeout_add_once (MAX (writer->interval_ms, 0), next_job_cb, writer);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Writer *writer = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_history_save_finish (PIXVERSE_HISTORY (object), result, &error))
    {
      fail (writer, "save", error);
      return;
    }

  g_print ("saved %" G_GINT64_FORMAT " %s\n",
           pixverse_task_get_id (writer->task), pixverse_task_get_task_id (writer->task));
  fflush (stdout);
  job_done (writer);
}

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Writer *writer = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *task_id = NULL;

  writer->task = pixverse_history_add_finish (PIXVERSE_HISTORY (object), result, &error);
  if (writer->task == NULL)
    {
      fail (writer, "add", error);
      return;
    }

  g_print ("added %" G_GINT64_FORMAT "\n", pixverse_task_get_id (writer->task));
  fflush (stdout);

  if (writer->submit_only)
    {
      job_done (writer);
      return;
    }

  task_id = g_strdup_printf ("%s-%d", writer->prefix, writer->done);
  pixverse_task_set_task_id (writer->task, task_id);
  pixverse_task_set_estimated_time (writer->task, 150);
  pixverse_task_set_status (writer->task, PIXVERSE_JOB_PROCESSING);
  pixverse_history_save_async (writer->history, writer->task, NULL, saved_cb, writer);
}

static void
next_job (Writer *writer)
{
  g_autoptr(PixverseRequest) request = NULL;
  g_autofree char *prompt = NULL;

  if (writer->done == writer->count)
    {
      g_main_loop_quit (writer->loop);
      return;
    }

  prompt = g_strdup_printf ("%s job %d", writer->prefix, writer->done);
  request = pixverse_request_new ();
  pixverse_request_set_prompt (request, prompt);
  pixverse_history_add_async (writer->history, request, NULL, added_cb, writer);
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Writer *writer = user_data;
  g_autoptr(GError) error = NULL;

  writer->history = pixverse_history_open_finish (result, &error);
  if (writer->history == NULL)
    {
      fail (writer, "open", error);
      return;
    }

  next_job (writer);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Writer writer = { 0 };
  char *end = NULL;
  const GOptionEntry entries[] = {
    { "interval-ms", 0, 0, G_OPTION_ARG_INT, &writer.interval_ms,
      "Wait this long between jobs", "MS" },
    { "submit-only", 0, 0, G_OPTION_ARG_NONE, &writer.submit_only,
      "Only add the jobs (left in status submitting)", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("PATH COUNT PREFIX — add COUNT jobs to the history at PATH");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("history-writer: %s\n", error->message);
      return 2;
    }

  if (argc != 4)
    {
      g_printerr ("usage: history-writer [--interval-ms=MS] [--submit-only] PATH COUNT PREFIX\n");
      return 2;
    }

  writer.count = (int) g_ascii_strtoll (argv[2], &end, 10);
  if (end == argv[2] || *end != '\0' || writer.count < 0)
    {
      g_printerr ("history-writer: not a count: %s\n", argv[2]);
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  writer.loop = loop;
  writer.prefix = argv[3];
  writer.status = EXIT_SUCCESS;

  pixverse_history_open_async (argv[1], NULL, opened_cb, &writer);
  g_main_loop_run (loop);

  g_clear_object (&writer.task);
  if (writer.history != NULL)
    g_assert_finalize_object (g_steal_pointer (&writer.history));

  return writer.status;
}
