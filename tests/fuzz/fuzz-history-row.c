/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-history-row"

#include "config.h"

#include <sqlite3.h>

#include "fuzz-common.h"
#include "pixverse-history-private.h"

/*
 * The history's stored-row decoding, driven through a real SQLite row: a
 * damaged or hand-edited history.db can hold any value of any type in any
 * column (SQLite's column types are affinities, not rules), and the row
 * must still become a task whose fields are each of a kind the rest of the
 * app understands.
 *
 * The input is one line per column in the history's column order, each
 * line a type letter and the value: n (NULL), i (integer), r (real),
 * t (text, NULs and all), b (blob); a missing line is NULL.
 */

static sqlite3 *db;
static sqlite3_stmt *insert;
static sqlite3_stmt *select_row;
static int n_columns;

static void
prepare (const char    *sql,
         sqlite3_stmt **stmt)
{
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, stmt, NULL), ==, SQLITE_OK);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  const char *columns = _pixverse_history_get_job_columns ();
  g_auto(GStrv) names = g_strsplit (columns, ",", -1);
  g_autoptr(GString) params = g_string_new (NULL);
  g_autofree char *create = NULL;
  g_autofree char *insert_sql = NULL;
  g_autofree char *select_sql = NULL;

  fuzz_init ();

  /* The rowid is an integer in any file SQLite opens, and AUTOINCREMENT
   * never makes a negative one (only a hand-written INSERT could, which
   * pixverse_task_new() refuses); every other column has no affinity here,
   * so a value keeps the type the input gives it. */
  g_assert_true (g_str_has_prefix (columns, "id,"));
  create = g_strdup_printf ("CREATE TABLE jobs (id INTEGER PRIMARY KEY CHECK (id >= 0)%s)",
                            columns + 2);
  n_columns = g_strv_length (names);
  for (int i = 1; i <= n_columns; i++)
    g_string_append_printf (params, "%s?%d", i > 1 ? ", " : "", i);
  insert_sql = g_strdup_printf ("INSERT INTO jobs (%s) VALUES (%s)", columns, params->str);
  select_sql = g_strdup_printf ("SELECT %s FROM jobs", columns);

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, create, NULL, NULL, NULL), ==, SQLITE_OK);
  prepare (insert_sql, &insert);
  prepare (select_sql, &select_row);
  return 0;
}

static void
bind_value (int          n,
            const char  *line,
            gsize        length)
{
  g_autofree char *text = NULL;
  const char *value = line + 1;
  gsize value_length = length - 1;

  if (length == 0)
    {
      sqlite3_bind_null (insert, n);
      return;
    }

  switch (line[0])
    {
    case 'i':
    case 'r':
      text = g_strndup (value, value_length);
      if (line[0] == 'i')
        sqlite3_bind_int64 (insert, n, g_ascii_strtoll (text, NULL, 0));
      else
        sqlite3_bind_double (insert, n, g_ascii_strtod (text, NULL));
      break;
    case 't':
      sqlite3_bind_text (insert, n, value, value_length, SQLITE_TRANSIENT);
      break;
    case 'b':
      sqlite3_bind_blob (insert, n, value, value_length, SQLITE_TRANSIENT);
      break;
    default:
      sqlite3_bind_null (insert, n);
      break;
    }
}

static void
assert_strv (const char * const *strv)
{
  g_assert_nonnull (strv);
  for (guint i = 0; strv[i] != NULL; i++)
    g_assert_true (g_utf8_validate (strv[i], -1, NULL));
}

static void
check_task (PixverseTask *task)
{
  PixverseRequest *request;

  g_assert_true (PIXVERSE_IS_TASK (task));
  request = pixverse_task_get_request (task);
  g_assert_true (PIXVERSE_IS_REQUEST (request));
  g_assert_nonnull (pixverse_request_get_prompt (request));
  g_assert_nonnull (pixverse_job_status_to_string (pixverse_task_get_status (task)));
  g_assert_nonnull (pixverse_download_state_to_string (pixverse_task_get_download_state (task)));
  g_assert_cmpint (pixverse_task_get_estimated_time (task), >=, 0);
  g_assert_cmpint (pixverse_task_get_created_at (task), >=, 0);
  assert_strv (pixverse_task_get_result_urls (task));
  assert_strv (pixverse_task_get_video_paths (task));
  assert_strv (pixverse_task_get_poster_paths (task));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *p = (const char *) data;
  const char *end = p + size;
  g_autoptr(PixverseTask) task = NULL;

  sqlite3_reset (insert);
  sqlite3_clear_bindings (insert);
  for (int n = 1; n <= n_columns; n++)
    {
      const char *eol = p < end ? memchr (p, '\n', end - p) : NULL;
      gsize length = p < end ? (gsize) ((eol ? eol : end) - p) : 0;

      bind_value (n, p, length);
      p = eol ? eol + 1 : end;
    }

  sqlite3_exec (db, "DELETE FROM jobs", NULL, NULL, NULL);
  /* Not every row can be stored (a text rowid): nothing to decode then. */
  if (sqlite3_step (insert) != SQLITE_DONE)
    return 0;

  sqlite3_reset (select_row);
  g_assert_cmpint (sqlite3_step (select_row), ==, SQLITE_ROW);
  task = _pixverse_history_task_from_row (select_row);
  check_task (task);
  sqlite3_reset (select_row);

  return 0;
}
