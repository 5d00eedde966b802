/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What both kill loops (test-crash.c, the command line; test-crash-gui.c,
 * the window) check of the history a killed process left behind. */

#include <gio/gio.h>
#include <sqlite3.h>

#include "pixverse-history.h"

/* The file passes SQLite's integrity_check (or is not there yet). */
static inline void
assert_integrity (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static inline void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Every job in the history, opened afresh as the next start would. */
static inline GPtrArray *
list_all (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PixverseHistory) history = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *tasks;

  pixverse_history_open_async (NULL, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  history = pixverse_history_open_finish (result, &error);
  g_assert_no_error (error);
  /* A history moved aside as damaged would be a lost history. */
  g_assert_null (pixverse_history_get_recovered_path (history));
  g_clear_object (&result);

  pixverse_history_list_async (history, NULL, -1, 0, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  tasks = pixverse_history_list_finish (history, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_clear_object (&history);
  return tasks;
}
