/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-fill"

#include "config.h"

#include <stdlib.h>

#include <sqlite3.h>

#include "bench-common.h"

/*
 * bench-fill N DATA_DIR
 *
 * Makes DATA_DIR/pixverse-studio/history.db with N finished jobs (created
 * over the past year, oldest first) for the startup benchmark. PixverseHistory
 * makes the file, so the schema is exactly the app's; the rows then go in
 * through SQLite in one transaction, which takes a second where N separate
 * saves would take a minute (bench-history times those).
 */

#define INSERT \
  "INSERT INTO jobs (prompt, mode, num_outputs, resolution, aspect_ratio, duration, " \
  "prompt_optimization, task_id, estimated_time, created_at, updated_at, finished_at, " \
  "status, message, result_urls, download_state) " \
  "VALUES (?1, 'text-to-video', 1, '540p', '16:9', 5, 1, ?2, 150, ?3, ?3, ?4, ?5, ?6, ?7, ?8)"

static void
check (sqlite3 *db,
       int      rc)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    g_error ("SQLite: %s", sqlite3_errmsg (db));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 n;

  if (argc != 3 || (n = g_ascii_strtoll (argv[1], NULL, 10)) < 0)
    {
      g_printerr ("usage: bench-fill N DATA_DIR\n");
      return 2;
    }

  dir = g_build_filename (argv[2], "pixverse-studio", NULL);
  path = g_build_filename (dir, "history.db", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_error ("Could not make %s", dir);
  g_object_unref (bench_open_history (path));

  check (db, sqlite3_open (path, &db));
  /* One big transaction: keep it in memory rather than spill it to the WAL
   * page by page. */
  check (db, sqlite3_exec (db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL));
  check (db, sqlite3_exec (db, "PRAGMA synchronous = OFF", NULL, NULL, NULL));
  check (db, sqlite3_exec (db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL));
  check (db, sqlite3_exec (db, "PRAGMA cache_size = -262144", NULL, NULL, NULL));
  check (db, sqlite3_exec (db, "BEGIN", NULL, NULL, NULL));
  check (db, sqlite3_prepare_v2 (db, INSERT, -1, &stmt, NULL));

  for (gint64 i = 0; i < n; i++)
    {
      g_autofree char *prompt = bench_prompt (i);
      g_autofree char *task_id = g_strdup_printf ("%032" G_GINT64_MODIFIER "x", i + 1);
      g_autofree char *urls = g_strdup_printf ("[\"https://cdn.example.com/%s/0.mp4\"]", task_id);
      gint64 created = now - 365 * 24 * 3600 + (i * 365 * 24 * 3600) / MAX (n, 1);
      gboolean failed = i % 13 == 0;

      sqlite3_bind_text (stmt, 1, prompt, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, task_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, created);
      sqlite3_bind_int64 (stmt, 4, created + 150);
      sqlite3_bind_text (stmt, 5, failed ? "failed" : "completed", -1, SQLITE_STATIC);
      if (failed)
        sqlite3_bind_text (stmt, 6, "Content moderation failed", -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 6);
      sqlite3_bind_text (stmt, 7, failed ? "[]" : urls, -1, SQLITE_TRANSIENT);
      /* Old results: the service's URLs have expired, nothing on disk. */
      sqlite3_bind_text (stmt, 8, failed ? "none" : "expired", -1, SQLITE_STATIC);
      check (db, sqlite3_step (stmt));
      sqlite3_reset (stmt);
    }

  sqlite3_finalize (stmt);
  check (db, sqlite3_exec (db, "COMMIT", NULL, NULL, NULL));
  check (db, sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL));
  check (db, sqlite3_close (db));

  g_print ("%s %" G_GINT64_FORMAT "\n", path, n);
  return 0;
}
