/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-history"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "pixverse-error.h"
#include "pixverse-history.h"

/*
 * The job history (issue 10): the schema and its version check, recovery of
 * a damaged file, every field through a save and a fresh read, the list
 * model (order, signals, filters, a search that cannot be an FTS syntax
 * error), what counts as unfinished, 100 000 rows opened and walked, and two
 * processes writing at once.
 */

/* ------------------------------------------------------------------------- *
 * Helpers
 * ------------------------------------------------------------------------- */

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop (never a blind sleep) until @cond, failing after
 * @seconds. */
#define wait_for(cond, seconds) \
  G_STMT_START { \
    gint64 end_ = g_get_monotonic_time () + (gint64) ((seconds) * G_USEC_PER_SEC); \
    guint wake_ = g_timeout_add (20, wake_cb, NULL); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > end_) \
          g_error ("Timed out after %g s waiting for %s", (double) (seconds), #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (wake_); \
  } G_STMT_END

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  wait_for (*slot != NULL, 60);
  return *slot;
}

static double
seconds_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static PixverseHistory *
try_open (const char  *path,
          GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_history_open_async (path, NULL, store_result, &result);
  return pixverse_history_open_finish (wait_result (&result), error);
}

static PixverseHistory *
open_history (const char *path)
{
  g_autoptr(GError) error = NULL;
  PixverseHistory *history = try_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (PIXVERSE_IS_HISTORY (history));
  return history;
}

static PixverseRequest *
make_request (const char *prompt)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, prompt);
  return request;
}

static PixverseTask *
add_job (PixverseHistory *history,
         const char      *prompt)
{
  g_autoptr(PixverseRequest) request = make_request (prompt);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseTask *task;

  pixverse_history_add_async (history, request, NULL, store_result, &result);
  task = pixverse_history_add_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (PIXVERSE_IS_TASK (task));
  return task;
}

static void
save_job (PixverseHistory *history,
          PixverseTask    *task)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pixverse_history_save_async (history, task, NULL, store_result, &result);
  g_assert_true (pixverse_history_save_finish (history, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
delete_job (PixverseHistory *history,
            PixverseTask    *task)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  pixverse_history_delete_async (history, task, NULL, store_result, &result);
  g_assert_true (pixverse_history_delete_finish (history, wait_result (&result), &error));
  g_assert_no_error (error);
}

static PixverseTask *
find_job (PixverseHistory *history,
          const char      *task_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseTask *task;

  pixverse_history_find_async (history, task_id, NULL, store_result, &result);
  task = pixverse_history_find_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  return task;
}

static GPtrArray *
list_jobs (PixverseHistory  *history,
           const char       *search,
           int               status,
           guint             limit,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  pixverse_history_list_async (history, search, status, limit, NULL, store_result, &result);
  return pixverse_history_list_finish (history, wait_result (&result), error);
}

/* The worker answers in order, and so does the main context: once this is
 * back, every operation queued before it (a filter's reload too) is applied. */
static void
sync_history (PixverseHistory *history)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = list_jobs (history, NULL, -1, 1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tasks);
}

static guint
n_items (PixverseHistory *history)
{
  return g_list_model_get_n_items (G_LIST_MODEL (history));
}

static PixverseTask *
model_item (PixverseHistory *history,
            guint            position)
{
  PixverseTask *task = g_list_model_get_item (G_LIST_MODEL (history), position);

  g_assert_true (PIXVERSE_IS_TASK (task));
  /* Handed out at once, filled in a moment later. */
  wait_for (pixverse_task_get_created_at (task) != 0, 10);
  return task;
}

static sqlite3 *
db_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
db_exec (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* The first column of the first row, as text. */
static char *
db_text (const char *path,
         const char *sql)
{
  sqlite3 *db = db_open (path);
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return text;
}

static char *
data_file (const char *dir,
           const char *name)
{
  g_autofree char *parent = g_build_filename (g_get_user_data_dir (), dir, NULL);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  return g_build_filename (parent, name, NULL);
}

static gsize
rss_bytes (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL))
    return 0;

  fields = g_strsplit (contents, " ", -1);
  if (g_strv_length (fields) < 2)
    return 0;

  return (gsize) g_ascii_strtoull (fields[1], NULL, 10) * (gsize) sysconf (_SC_PAGESIZE);
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  GArray     *changes)
{
  Change change = { position, removed, added };

  g_array_append_val (changes, change);
}

static void
assert_change (GArray *changes,
               guint   position,
               guint   removed,
               guint   added)
{
  Change *change;

  g_assert_cmpuint (changes->len, ==, 1);
  change = &g_array_index (changes, Change, 0);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
  g_array_set_size (changes, 0);
}

static void
assert_tasks_equal (PixverseTask *a,
                    PixverseTask *b)
{
  PixverseRequest *ra = pixverse_task_get_request (a);
  PixverseRequest *rb = pixverse_task_get_request (b);

  g_assert_cmpint (pixverse_task_get_id (a), ==, pixverse_task_get_id (b));
  g_assert_cmpstr (pixverse_request_get_prompt (ra), ==, pixverse_request_get_prompt (rb));
  g_assert_cmpint (pixverse_request_get_mode (ra), ==, pixverse_request_get_mode (rb));
  g_assert_cmpstr (pixverse_request_get_image_url (ra), ==, pixverse_request_get_image_url (rb));
  g_assert_cmpint (pixverse_request_get_num_outputs (ra), ==,
                   pixverse_request_get_num_outputs (rb));
  g_assert_cmpstr (pixverse_request_get_resolution (ra), ==, pixverse_request_get_resolution (rb));
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (ra), ==,
                   pixverse_request_get_aspect_ratio (rb));
  g_assert_cmpint (pixverse_request_get_duration (ra), ==, pixverse_request_get_duration (rb));
  g_assert_cmpint (pixverse_request_get_prompt_optimization (ra), ==,
                   pixverse_request_get_prompt_optimization (rb));
  g_assert_cmpstr (pixverse_task_get_task_id (a), ==, pixverse_task_get_task_id (b));
  g_assert_cmpint (pixverse_task_get_status (a), ==, pixverse_task_get_status (b));
  g_assert_cmpstr (pixverse_task_get_message (a), ==, pixverse_task_get_message (b));
  g_assert_cmpint (pixverse_task_get_estimated_time (a), ==, pixverse_task_get_estimated_time (b));
  g_assert_cmpint (pixverse_task_get_created_at (a), ==, pixverse_task_get_created_at (b));
  g_assert_cmpint (pixverse_task_get_updated_at (a), ==, pixverse_task_get_updated_at (b));
  g_assert_cmpint (pixverse_task_get_finished_at (a), ==, pixverse_task_get_finished_at (b));
  g_assert_true (g_strv_equal (pixverse_task_get_result_urls (a),
                               pixverse_task_get_result_urls (b)));
  g_assert_true (g_strv_equal (pixverse_task_get_video_paths (a),
                               pixverse_task_get_video_paths (b)));
  g_assert_true (g_strv_equal (pixverse_task_get_poster_paths (a),
                               pixverse_task_get_poster_paths (b)));
  g_assert_cmpint (pixverse_task_get_download_state (a), ==, pixverse_task_get_download_state (b));
}

/* Rows straight into the file, in one transaction: the fast way to a big
 * history. created_at grows with the row, so the model's order is known. */
static void
bulk_fill (const char *path,
           guint       n_rows,
           gint64      first_created_at)
{
  static const char * const statuses[] = { "completed", "failed", "processing", "unknown" };
  static const char * const words[] = { "fox", "whale", "panda", "city", "rain", "neon" };
  sqlite3 *db = db_open (path);
  sqlite3_stmt *stmt = NULL;

  static const char insert[] =
    "INSERT INTO jobs (prompt, mode, image_url, num_outputs, resolution, aspect_ratio, "
    "duration, prompt_optimization, task_id, estimated_time, created_at, updated_at, "
    "finished_at, status, message, result_urls, video_paths, poster_paths, download_state) "
    "VALUES (?1, 'text-to-video', NULL, 1, '720p', '16:9', 5, 1, ?2, 150, ?3, ?3, ?3, ?4, "
    "NULL, '[\"https://example.com/v.mp4\"]', '[]', '[]', 'done')";

  db_exec (db, "BEGIN");
  g_assert_cmpint (sqlite3_prepare_v2 (db, insert, -1, &stmt, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < n_rows; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("A %s and a %s, take %u",
                                                 words[i % G_N_ELEMENTS (words)],
                                                 words[(i / 7) % G_N_ELEMENTS (words)], i);
      g_autofree char *task_id = g_strdup_printf ("bulk-%u", i);

      sqlite3_bind_text (stmt, 1, prompt, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, task_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, first_created_at + i);
      sqlite3_bind_text (stmt, 4, statuses[i % G_N_ELEMENTS (statuses)], -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }

  sqlite3_finalize (stmt);
  db_exec (db, "COMMIT");
  sqlite3_close (db);
}

static GSubprocess *
spawn_writer (const char  *path,
              guint        count,
              const char  *prefix,
              const char  *option)
{
  const char *writer = g_getenv ("HISTORY_WRITER");
  g_autofree char *count_text = g_strdup_printf ("%u", count);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_assert_nonnull (writer);
  if (option != NULL)
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                writer, option, path, count_text, prefix, NULL);
  else
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                                writer, path, count_text, prefix, NULL);
  g_assert_no_error (error);

  return process;
}

static void
wait_writer (GSubprocess *process)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_check_async (process, NULL, store_result, &result);
  g_assert_true (g_subprocess_wait_check_finish (process, wait_result (&result), &error));
  g_assert_no_error (error);
}

static gboolean
have_writer (void)
{
  if (g_getenv ("HISTORY_WRITER") != NULL)
    return TRUE;

  g_test_skip ("HISTORY_WRITER is not set");
  return FALSE;
}

/* ------------------------------------------------------------------------- *
 * PixverseTask
 * ------------------------------------------------------------------------- */

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_task_properties (void)
{
  static const char * const urls[] = {
    "https://example.com/a.mp4", "https://example.com/b.mp4", NULL
  };
  g_autoptr(PixverseRequest) request = make_request ("a lighthouse at dawn");
  PixverseTask *task = pixverse_task_new (7, request);
  PixverseTask *other = pixverse_task_new (7, NULL);
  const char *names[] = { "submitting", "processing", "completed", "failed", "unknown" };
  const char *states[] = { "none", "running", "done", "failed", "expired" };
  guint count = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      PixverseJobStatus status = 99;

      g_assert_cmpstr (pixverse_job_status_to_string (i), ==, names[i]);
      g_assert_true (pixverse_job_status_from_string (names[i], &status));
      g_assert_cmpint (status, ==, i);
      g_assert_cmpint (pixverse_job_status_is_finished (i), ==,
                       i == PIXVERSE_JOB_COMPLETED || i == PIXVERSE_JOB_FAILED ||
                       i == PIXVERSE_JOB_UNKNOWN);
    }
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      PixverseDownloadState state = 99;

      g_assert_cmpstr (pixverse_download_state_to_string (i), ==, states[i]);
      g_assert_true (pixverse_download_state_from_string (states[i], &state));
      g_assert_cmpint (state, ==, i);
    }
  g_assert_false (pixverse_job_status_from_string ("done", &(PixverseJobStatus) { 0 }));
  g_assert_false (pixverse_job_status_from_string (NULL, &(PixverseJobStatus) { 0 }));

  /* The request is a copy, never the caller's object. */
  g_assert_true (pixverse_task_get_request (task) != request);
  g_assert_cmpstr (pixverse_request_get_prompt (pixverse_task_get_request (task)), ==,
                   "a lighthouse at dawn");
  g_assert_nonnull (pixverse_task_get_request (other));
  g_assert_nonnull (pixverse_task_get_result_urls (other));
  g_assert_null (pixverse_task_get_result_urls (other)[0]);

  g_signal_connect (task, "notify", G_CALLBACK (count_notify_cb), &count);
  pixverse_task_set_status (task, PIXVERSE_JOB_SUBMITTING);
  pixverse_task_set_task_id (task, NULL);
  pixverse_task_set_result_urls (task, NULL);
  g_assert_cmpuint (count, ==, 0);
  pixverse_task_set_status (task, PIXVERSE_JOB_PROCESSING);
  pixverse_task_set_result_urls (task, urls);
  pixverse_task_set_result_urls (task, pixverse_task_get_result_urls (task));
  g_assert_cmpuint (count, ==, 2);

  pixverse_task_set_task_id (other, "t-1");
  pixverse_task_set_status (other, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_created_at (other, 1000);
  pixverse_task_set_download_state (other, PIXVERSE_DOWNLOAD_DONE);
  pixverse_task_set_download_progress (task, 0.5);
  count = 0;
  pixverse_task_update_from (task, other);
  /* request, task-id, status, created-at, result-urls, download-state */
  g_assert_cmpuint (count, ==, 6);
  assert_tasks_equal (task, other);
  g_assert_cmpfloat (pixverse_task_get_download_progress (task), ==, 0.5);
  count = 0;
  pixverse_task_update_from (task, other);
  g_assert_cmpuint (count, ==, 0);

  g_assert_finalize_object (task);
  g_assert_finalize_object (other);
}

/* ------------------------------------------------------------------------- *
 * Schema, versions, damage
 * ------------------------------------------------------------------------- */

static void
test_schema_empty_file (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *version = NULL;
  g_autofree char *tables = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *check = NULL;
  GStatBuf st;
  PixverseHistory *history;

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  history = open_history (path);
  g_assert_cmpstr (pixverse_history_get_path (history), ==, path);
  g_assert_null (pixverse_history_get_recovered_path (history));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (history)) == PIXVERSE_TYPE_TASK);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (history), 0));
  g_assert_finalize_object (history);

  version = db_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "2");
  tables = db_text (path, "SELECT group_concat (name, ',') FROM (SELECT name FROM sqlite_schema "
                          "WHERE name IN ('jobs', 'jobs_fts', 'jobs_by_created', 'jobs_by_status', "
                          "'jobs_unfinished', 'jobs_fts_insert', 'jobs_fts_delete', "
                          "'jobs_fts_update', 'meta') ORDER BY name)");
  g_assert_cmpstr (tables, ==, "jobs,jobs_by_created,jobs_by_status,jobs_fts,jobs_fts_delete,"
                               "jobs_fts_insert,jobs_fts_update,jobs_unfinished,meta");
  /* A small file is checked at every open, and nothing is written for it. */
  g_free (check);
  check = db_text (path, "SELECT count(*) FROM meta");
  g_assert_cmpstr (check, ==, "0");
  g_clear_pointer (&check, g_free);
  mode = db_text (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  check = db_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");

  /* Opening again migrates nothing and keeps the version. */
  history = open_history (NULL);
  g_assert_cmpstr (pixverse_history_get_path (history), ==, path);
  g_assert_finalize_object (history);
  g_free (version);
  version = db_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "2");
}

/* What EXPLAIN QUERY PLAN says of @sql, its steps joined with "; ". */
static char *
query_plan (const char *path,
            const char *sql)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  g_autoptr(GString) plan = g_string_new (NULL);
  sqlite3 *db = db_open (path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s%s", plan->len > 0 ? "; " : "",
                            (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return g_string_free (g_steal_pointer (&plan), FALSE);
}

/* A file of version 1 (version 2 less the index of unfinished jobs, which
 * is all that version 2 added) is brought to version 2 in place: its rows
 * kept, the index made and used. */
static void
test_schema_migrate_v1 (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *version = NULL;
  g_autofree char *index = NULL;
  g_autofree char *plan = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseHistory *history = open_history (path);
  PixverseTask *done = add_job (history, "a finished one");
  PixverseTask *running = add_job (history, "a running one");
  gint64 running_id = pixverse_task_get_id (running);
  sqlite3 *db;

  pixverse_task_set_task_id (running, "task-running");
  pixverse_task_set_status (running, PIXVERSE_JOB_PROCESSING);
  save_job (history, running);
  pixverse_task_set_task_id (done, "task-done");
  pixverse_task_set_status (done, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_download_state (done, PIXVERSE_DOWNLOAD_DONE);
  save_job (history, done);
  g_object_unref (done);
  g_object_unref (running);
  g_assert_finalize_object (history);

  db = db_open (path);
  db_exec (db, "DROP INDEX jobs_unfinished; PRAGMA user_version = 1;");
  sqlite3_close (db);
  version = db_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "1");

  history = open_history (path);
  g_assert_cmpuint (n_items (history), ==, 2);
  pixverse_history_list_unfinished_async (history, NULL, store_result, &result);
  unfinished = pixverse_history_list_unfinished_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);
  g_assert_cmpint (pixverse_task_get_id (g_ptr_array_index (unfinished, 0)), ==, running_id);
  g_clear_pointer (&unfinished, g_ptr_array_unref);
  g_clear_object (&result);
  g_assert_finalize_object (history);

  g_free (version);
  version = db_text (path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "2");
  index = db_text (path, "SELECT sql FROM sqlite_schema WHERE name = 'jobs_unfinished'");
  g_assert_nonnull (strstr (index, "status = 'processing'"));
  /* The history's query (which names the index: on a small table SQLite
   * would pick jobs_by_status, which for "completed" reads nearly every row
   * of a big one) can be answered from it, in order. */
  plan = query_plan (path, "SELECT id FROM jobs INDEXED BY jobs_unfinished WHERE "
                           "status = 'processing' OR (status = 'completed' AND "
                           "download_state IN ('none', 'running', 'failed')) "
                           "ORDER BY created_at DESC, id DESC");
  g_test_message ("plan: %s", plan);
  g_assert_nonnull (strstr (plan, "USING INDEX jobs_unfinished"));
  g_assert_null (strstr (plan, "TEMP B-TREE"));
}

static void
test_schema_newer (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  gsize n_before, n_after;
  PixverseHistory *history;
  sqlite3 *db = db_open (path);

  db_exec (db, "CREATE TABLE jobs_v7 (id INTEGER PRIMARY KEY, things TEXT);"
               "INSERT INTO jobs_v7 (things) VALUES ('from the future');"
               "PRAGMA user_version = 7;");
  sqlite3_close (db);
  g_assert_true (g_file_get_contents (path, &before, &n_before, NULL));

  history = try_open (path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "was written by a newer version of Pixverse Studio"));
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);

  /* Not a byte changed, not even switched to WAL. */
  g_assert_true (g_file_get_contents (path, &after, &n_after, NULL));
  g_assert_cmpmem (before, n_before, after, n_after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
assert_recovered_name (const char *path,
                       const char *recovered)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *recovered_dir = g_path_get_dirname (recovered);
  g_autofree char *name = g_path_get_basename (recovered);

  g_assert_cmpstr (dir, ==, recovered_dir);
  g_assert_true (g_regex_match_simple ("^history\\.db\\.corrupt-[0-9]{8}-[0-9]{6}(-[0-9]+)?$",
                                       name, 0, 0));
}

static void
test_corrupt_garbage (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *kept = NULL;
  g_autofree char *check = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(PixverseTask) task = NULL;
  char garbage[8192];
  gsize n_kept;
  PixverseHistory *history;
  const char *recovered;

  for (guint i = 0; i < sizeof garbage; i++)
    garbage[i] = (char) g_rand_int_range (rand, 0, 256);
  memcpy (garbage, "This is no SQLite file", 22);
  g_assert_true (g_file_set_contents (path, garbage, sizeof garbage, NULL));

  history = open_history (path);
  recovered = pixverse_history_get_recovered_path (history);
  g_assert_nonnull (recovered);
  g_test_message ("moved aside to %s", recovered);
  assert_recovered_name (path, recovered);

  g_assert_true (g_file_get_contents (recovered, &kept, &n_kept, NULL));
  g_assert_cmpmem (kept, n_kept, garbage, sizeof garbage);

  /* And the new one works. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 0);
  task = add_job (history, "after the damage");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 1);
  g_assert_finalize_object (history);

  check = db_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");

  /* A sound file is not moved again. */
  history = open_history (path);
  g_assert_null (pixverse_history_get_recovered_path (history));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 1);
  g_assert_finalize_object (history);
}

/* A real database with pages overwritten in the middle: the header reads
 * fine, PRAGMA quick_check finds the damage. */
static void
test_corrupt_pages (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *damaged = NULL;
  g_autofree char *kept = NULL;
  gsize length, n_kept;
  PixverseHistory *history;
  const char *recovered;

  g_assert_finalize_object (open_history (path));
  bulk_fill (path, 3000, 1700000000);

  g_assert_true (g_file_get_contents (path, &damaged, &length, NULL));
  g_assert_cmpuint (length, >, 64 * 4096);
  memset (damaged + length / 2 / 4096 * 4096, 0xA5, 8 * 4096);
  g_assert_true (g_file_set_contents (path, damaged, length, NULL));

  history = open_history (path);
  recovered = pixverse_history_get_recovered_path (history);
  g_assert_nonnull (recovered);
  assert_recovered_name (path, recovered);
  g_assert_true (g_file_get_contents (recovered, &kept, &n_kept, NULL));
  g_assert_cmpmem (kept, n_kept, damaged, length);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 0);
  g_assert_finalize_object (history);
}

/* A large file is checked in full once a week: when due, the damage is
 * found and the file moved aside just the same. */
static void
test_corrupt_large_weekly (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *sql = NULL;
  g_autofree char *damaged = NULL;
  g_autofree char *checked_at = NULL;
  gsize length;
  PixverseHistory *history;
  sqlite3 *db;

  g_assert_finalize_object (open_history (path));
  bulk_fill (path, 25000, 1700000000);

  /* The first open of a large file checks it and says when. */
  g_assert_finalize_object (open_history (path));
  checked_at = db_text (path, "SELECT value FROM meta WHERE key = 'checked_at'");
  g_assert_nonnull (checked_at);
  g_assert_cmpint (g_ascii_strtoll (checked_at, NULL, 10), >=,
                   g_get_real_time () / G_USEC_PER_SEC - 60);

  /* A week and a day later, damaged in the middle. */
  db = db_open (path);
  sql = g_strdup_printf ("UPDATE meta SET value = %" G_GINT64_FORMAT " WHERE key = 'checked_at'",
                         g_get_real_time () / G_USEC_PER_SEC - 8 * 24 * 60 * 60);
  db_exec (db, sql);
  sqlite3_close (db);

  g_assert_true (g_file_get_contents (path, &damaged, &length, NULL));
  g_assert_cmpuint (length, >, 1024 * 4096);
  memset (damaged + length / 3 / 4096 * 4096, 0x5A, 4 * 4096);
  g_assert_true (g_file_set_contents (path, damaged, length, NULL));

  history = open_history (path);
  g_assert_nonnull (pixverse_history_get_recovered_path (history));
  assert_recovered_name (path, pixverse_history_get_recovered_path (history));
  g_assert_cmpuint (n_items (history), ==, 0);
  g_assert_finalize_object (history);
}

/* ------------------------------------------------------------------------- *
 * Every field, through a save and a fresh read
 * ------------------------------------------------------------------------- */

static char *
make_file (const char *dir,
           const char *name)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "not really a video", -1, NULL));
  return path;
}

static void
test_round_trip (void)
{
  const char *prompt = "Ein Fuchs 🦊 läuft durch den Schnee — 雪の中の狐\n"
                       "\"zweite\" Zeile; DROP TABLE jobs; --";
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *videos = pixverse_history_videos_dir ();
  g_autofree char *posters = pixverse_history_posters_dir ();
  g_autofree char *video0 = make_file (videos, "tid-ü-1_0.mp4");
  g_autofree char *video1 = make_file (videos, "tid-ü-1_1.mp4");
  g_autofree char *poster0 = make_file (posters, "tid-ü-1_0.png");
  g_autofree char *missing = g_build_filename (posters, "never-made.png", NULL);
  const char *urls[] = {
    "https://cdn.example.com/v/1.mp4?sig=a%2Fb&exp=1",
    "https://cdn.example.com/v/ü 2.mp4",
    "https://cdn.example.com/v/3.mp4",
    NULL
  };
  const char *video_paths[] = { video0, video1, "", NULL };
  const char *poster_paths[] = { poster0, missing, "", NULL };
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) same = NULL;
  g_autoptr(PixverseTask) item = NULL;
  g_autoptr(PixverseTask) read = NULL;
  g_autoptr(PixverseTask) none = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  PixverseHistory *history;
  PixverseHistory *again;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  gint64 after;

  history = open_history (path);
  g_signal_connect (history, "items-changed", G_CALLBACK (items_changed_cb), changes);

  pixverse_request_set_prompt (request, prompt);
  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (request, "https://example.com/bild%201.png?x=ü");
  pixverse_request_set_num_outputs (request, 3);
  pixverse_request_set_resolution (request, "1080p");
  pixverse_request_set_aspect_ratio (request, "9:16");
  pixverse_request_set_duration (request, 8);
  pixverse_request_set_prompt_optimization (request, FALSE);

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    pixverse_history_add_async (history, request, NULL, store_result, &result);
    task = pixverse_history_add_finish (history, wait_result (&result), &error);
    g_assert_no_error (error);
  }
  after = g_get_real_time () / G_USEC_PER_SEC;

  /* As added: submitting, now, the request copied. */
  assert_change (changes, 0, 0, 1);
  g_assert_cmpint (pixverse_task_get_id (task), >, 0);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_SUBMITTING);
  g_assert_cmpint (pixverse_task_get_created_at (task), >=, before);
  g_assert_cmpint (pixverse_task_get_created_at (task), <=, after);
  g_assert_cmpint (pixverse_task_get_updated_at (task), ==, pixverse_task_get_created_at (task));
  g_assert_null (pixverse_task_get_task_id (task));
  g_assert_true (pixverse_task_get_request (task) != request);
  g_assert_cmpstr (pixverse_request_get_prompt (pixverse_task_get_request (task)), ==, prompt);
  g_assert_cmpint (pixverse_request_get_num_outputs (pixverse_task_get_request (task)), ==, 3);
  g_assert_false (pixverse_request_get_prompt_optimization (pixverse_task_get_request (task)));

  /* One object per job. */
  item = g_list_model_get_item (G_LIST_MODEL (history), 0);
  g_assert_true (item == task);
  g_assert_true (pixverse_history_lookup (history, pixverse_task_get_id (task)) == task);

  pixverse_task_set_task_id (task, "tid-ü-1");
  pixverse_task_set_status (task, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_message (task, "Fertig ✓ — “done”");
  pixverse_task_set_estimated_time (task, 150);
  pixverse_task_set_finished_at (task, pixverse_task_get_created_at (task) + 200);
  pixverse_task_set_result_urls (task, urls);
  pixverse_task_set_video_paths (task, video_paths);
  pixverse_task_set_poster_paths (task, poster_paths);
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_DONE);
  save_job (history, task);
  g_assert_cmpint (pixverse_task_get_updated_at (task), >=, pixverse_task_get_created_at (task));
  g_assert_cmpuint (changes->len, ==, 0);

  same = find_job (history, "tid-ü-1");
  g_assert_true (same == task);
  none = find_job (history, "no-such-task");
  g_assert_null (none);

  /* A second connection reads it all back from the file. */
  again = open_history (path);
  read = find_job (again, "tid-ü-1");
  g_assert_nonnull (read);
  g_assert_true (read != task);
  assert_tasks_equal (read, task);
  g_clear_object (&read);
  g_assert_finalize_object (again);

  g_clear_object (&item);
  g_clear_object (&same);
  delete_job (history, task);
  assert_change (changes, 0, 1, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, 0);
  g_assert_null (pixverse_history_lookup (history, pixverse_task_get_id (task)));
  g_assert_false (g_file_test (video0, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (video1, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (poster0, G_FILE_TEST_EXISTS));
  g_assert_null (find_job (history, "tid-ü-1"));

  /* Gone already: no error, no change. */
  delete_job (history, task);
  g_assert_cmpuint (changes->len, ==, 0);

  g_assert_finalize_object (history);
}

/* ------------------------------------------------------------------------- *
 * The list model
 * ------------------------------------------------------------------------- */

static void
set_filter (PixverseHistory *history,
            const char      *search,
            int              status)
{
  pixverse_history_set_filter (history, search, status);
  sync_history (history);
}

static void
assert_item (PixverseHistory *history,
             guint            position,
             PixverseTask    *expected)
{
  g_autoptr(PixverseTask) item = g_list_model_get_item (G_LIST_MODEL (history), position);

  g_assert_true (item == expected);
}

static void
test_model (void)
{
  static const char * const tricky[] = {
    "\"", "\"red", "red\"", "AND", "red AND", "OR", "NOT red", "NOT", "*", "red*", "(", ")",
    "(red", "NEAR(red fox)", "-red", "^red", "+red", "red:", "prompt:red", "{prompt}: red",
    "''", "'", "\\", "%", "_", "red \" OR \"", "\"\"*", "😀", "", "   ", "\t\n", "a\"b\"c",
    "red\x01", "\xff\xfe", "fox)", "col1 : fox", "red -- comment", "; DROP TABLE jobs",
  };
  g_autofree char *path = pixverse_history_default_path ();
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_autoptr(PixverseTask) a = NULL;
  g_autoptr(PixverseTask) b = NULL;
  g_autoptr(PixverseTask) c = NULL;
  g_autoptr(PixverseTask) d = NULL;
  g_autoptr(PixverseTask) pending = NULL;
  PixverseHistory *history = open_history (path);

  g_signal_connect (history, "items-changed", G_CALLBACK (items_changed_cb), changes);

  a = add_job (history, "A red fox in the snow");
  assert_change (changes, 0, 0, 1);
  b = add_job (history, "a blue whale");
  assert_change (changes, 0, 0, 1);
  c = add_job (history, "Red panda eating bamboo");
  assert_change (changes, 0, 0, 1);

  /* Newest first (ids break ties within a second). */
  g_assert_cmpuint (n_items (history), ==, 3);
  assert_item (history, 0, c);
  assert_item (history, 1, b);
  assert_item (history, 2, a);

  delete_job (history, b);
  assert_change (changes, 1, 1, 0);
  g_assert_cmpuint (n_items (history), ==, 2);

  /* Status filter. */
  pixverse_task_set_task_id (a, "task-a");
  pixverse_task_set_status (a, PIXVERSE_JOB_COMPLETED);
  save_job (history, a);
  g_assert_cmpuint (changes->len, ==, 0);

  set_filter (history, NULL, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpuint (n_items (history), ==, 1);
  assert_item (history, 0, a);
  g_array_set_size (changes, 0);

  /* A new job does not match; once saved as completed it does. */
  d = add_job (history, "red car at night");
  g_assert_cmpuint (changes->len, ==, 0);
  g_assert_cmpuint (n_items (history), ==, 1);
  pixverse_task_set_status (d, PIXVERSE_JOB_COMPLETED);
  save_job (history, d);
  assert_change (changes, 0, 0, 1);
  assert_item (history, 0, d);
  assert_item (history, 1, a);
  /* …and leaves when it no longer does. */
  pixverse_task_set_status (d, PIXVERSE_JOB_FAILED);
  save_job (history, d);
  assert_change (changes, 0, 1, 0);
  set_filter (history, NULL, PIXVERSE_JOB_FAILED);
  g_assert_cmpuint (n_items (history), ==, 1);
  assert_item (history, 0, d);

  /* Search: word prefixes, any case, every word. */
  set_filter (history, "re", -1);
  g_assert_cmpuint (n_items (history), ==, 3);
  set_filter (history, "pand", -1);
  g_assert_cmpuint (n_items (history), ==, 1);
  assert_item (history, 0, c);
  set_filter (history, "RED  Fox", -1);
  g_assert_cmpuint (n_items (history), ==, 1);
  assert_item (history, 0, a);
  set_filter (history, "red", PIXVERSE_JOB_SUBMITTING);
  g_assert_cmpuint (n_items (history), ==, 1);
  assert_item (history, 0, c);
  set_filter (history, "whale", -1);
  g_assert_cmpuint (n_items (history), ==, 0);
  set_filter (history, "red*", -1);
  g_assert_cmpuint (n_items (history), ==, 3);

  /* Nothing a person types is FTS syntax, nor an error. */
  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) tasks = list_jobs (history, tricky[i], -1, 0, &error);

      g_assert_no_error (error);
      g_assert_nonnull (tasks);
      set_filter (history, tricky[i], -1);
      g_assert_cmpuint (n_items (history), <=, 3);
    }

  set_filter (history, NULL, -1);
  g_assert_cmpuint (n_items (history), ==, 3);
  assert_item (history, 0, d);
  assert_item (history, 1, c);
  assert_item (history, 2, a);

  /* Disposed with work queued for the model: nothing holds it. */
  pixverse_history_set_filter (history, "fox", -1);
  g_signal_handlers_disconnect_by_func (history, items_changed_cb, changes);
  g_clear_object (&a);
  g_clear_object (&c);
  g_clear_object (&d);
  g_assert_finalize_object (history);

  history = open_history (path);
  pending = g_list_model_get_item (G_LIST_MODEL (history), 1);
  g_assert_cmpint (pixverse_task_get_created_at (pending), ==, 0);
  g_assert_finalize_object (history);
}

static void
test_model_paging (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autoptr(PixverseTask) first = NULL;
  g_autoptr(PixverseTask) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  PixverseHistory *history;
  guint count = 0;

  g_assert_finalize_object (open_history (path));
  bulk_fill (path, 500, 1700000000);

  history = open_history (path);
  g_assert_cmpuint (n_items (history), ==, 500);

  first = g_list_model_get_item (G_LIST_MODEL (history), 0);
  g_assert_cmpint (pixverse_task_get_created_at (first), ==, 0);
  g_signal_connect (first, "notify", G_CALLBACK (count_notify_cb), &count);
  wait_for (pixverse_task_get_created_at (first) != 0, 10);
  g_assert_cmpuint (count, >, 0);
  g_assert_cmpint (pixverse_task_get_created_at (first), ==, 1700000000 + 499);
  g_assert_cmpstr (pixverse_task_get_task_id (first), ==, "bulk-499");

  /* Its neighbours came with it. */
  for (guint i = 1; i < 50; i++)
    {
      g_autoptr(PixverseTask) item = g_list_model_get_item (G_LIST_MODEL (history), i);

      g_assert_cmpint (pixverse_task_get_created_at (item), ==, 1700000000 + 499 - i);
    }

  again = g_list_model_get_item (G_LIST_MODEL (history), 0);
  g_assert_true (again == first);

  /* Everyone shares the live task. */
  listed = list_jobs (history, NULL, -1, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 2);
  g_assert_true (g_ptr_array_index (listed, 0) == first);

  g_assert_null (g_list_model_get_item (G_LIST_MODEL (history), 500));
  g_assert_finalize_object (history);
}

static void
test_unfinished (void)
{
  static const struct {
    PixverseJobStatus status;
    PixverseDownloadState download;
    gboolean unfinished;
  } cases[] = {
    { PIXVERSE_JOB_SUBMITTING, PIXVERSE_DOWNLOAD_NONE, FALSE },
    { PIXVERSE_JOB_PROCESSING, PIXVERSE_DOWNLOAD_NONE, TRUE },
    { PIXVERSE_JOB_COMPLETED, PIXVERSE_DOWNLOAD_NONE, TRUE },
    { PIXVERSE_JOB_COMPLETED, PIXVERSE_DOWNLOAD_RUNNING, TRUE },
    { PIXVERSE_JOB_COMPLETED, PIXVERSE_DOWNLOAD_FAILED, TRUE },
    { PIXVERSE_JOB_COMPLETED, PIXVERSE_DOWNLOAD_DONE, FALSE },
    { PIXVERSE_JOB_COMPLETED, PIXVERSE_DOWNLOAD_EXPIRED, FALSE },
    { PIXVERSE_JOB_FAILED, PIXVERSE_DOWNLOAD_NONE, FALSE },
    { PIXVERSE_JOB_UNKNOWN, PIXVERSE_DOWNLOAD_NONE, FALSE },
  };
  g_autofree char *path = pixverse_history_default_path ();
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PixverseHistory *history = open_history (path);
  guint expected = 0;
  gint64 last_id = G_MAXINT64;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *prompt = g_strdup_printf ("case %u", i);
      g_autofree char *task_id = g_strdup_printf ("task-%u", i);
      PixverseTask *task = add_job (history, prompt);

      if (cases[i].status != PIXVERSE_JOB_SUBMITTING)
        pixverse_task_set_task_id (task, task_id);
      pixverse_task_set_status (task, cases[i].status);
      pixverse_task_set_download_state (task, cases[i].download);
      save_job (history, task);
      g_ptr_array_add (tasks, task);
      expected += cases[i].unfinished;
    }

  pixverse_history_list_unfinished_async (history, NULL, store_result, &result);
  unfinished = pixverse_history_list_unfinished_finish (history, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (unfinished->len, ==, expected);

  for (guint i = 0; i < unfinished->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (unfinished, i);
      guint index;

      /* The live objects, newest first. */
      g_assert_true (g_ptr_array_find (tasks, task, &index));
      g_assert_true (cases[index].unfinished);
      g_assert_cmpint (pixverse_task_get_id (task), <, last_id);
      last_id = pixverse_task_get_id (task);
    }

  g_assert_finalize_object (history);
}

/* ------------------------------------------------------------------------- *
 * Results in slices (issue 14)
 * ------------------------------------------------------------------------- */

/* Forty results come back at once; taking each costs the caller 2 ms, as
 * building its row in the window does. A source at GDK's drawing priority
 * that is always ready stands for a window that keeps drawing (2 ms a
 * frame). The results must all come, in the order asked, and the "frames"
 * must get turns while they come rather than wait for all of them. */
#define BURST_JOBS 40

typedef struct
{
  guint  n_done;
  guint  frames;
  guint  frames_at[BURST_JOBS];
  gint64 ids[BURST_JOBS];
} Burst;

static void
busy_wait_us (gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  while (g_get_monotonic_time () < end)
    ;
}

static gboolean
burst_frame_cb (gpointer user_data)
{
  Burst *burst = user_data;

  burst->frames++;
  busy_wait_us (2000);
  return G_SOURCE_CONTINUE;
}

static void
burst_added_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Burst *burst = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_history_add_finish (PIXVERSE_HISTORY (object), result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (burst->n_done, <, BURST_JOBS);
  burst->frames_at[burst->n_done] = burst->frames;
  burst->ids[burst->n_done] = pixverse_task_get_id (task);
  burst->n_done++;
  busy_wait_us (2000);
}

static void
test_results_in_slices (void)
{
  g_autofree char *path = data_file ("burst", "history.db");
  g_autoptr(PixverseHistory) history = open_history (path);
  Burst burst = { 0 };
  guint frame_id;
  guint turns = 0;

  for (guint i = 0; i < BURST_JOBS; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("burst %u", i);
      g_autoptr(PixverseRequest) request = make_request (prompt);

      pixverse_history_add_async (history, request, NULL, burst_added_cb, &burst);
    }
  /* The worker writes them while the main loop does not run: they are all
   * back at once when it does. */
  g_usleep (G_USEC_PER_SEC / 2);

  frame_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 20, burst_frame_cb, &burst, NULL);
  wait_for (burst.n_done == BURST_JOBS, 30);
  g_source_remove (frame_id);

  for (guint i = 1; i < BURST_JOBS; i++)
    {
      g_assert_cmpint (burst.ids[i], >, burst.ids[i - 1]);
      if (burst.frames_at[i] > burst.frames_at[i - 1])
        turns++;
    }
  /* 80 ms of results in slices of about 4 ms: a frame between most of them.
   * Handed over in one go, no frame would come between any two. */
  g_test_message ("%u frames between %u results", turns, BURST_JOBS);
  g_assert_cmpuint (turns, >=, 5);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (history)), ==, BURST_JOBS);
}

/* ------------------------------------------------------------------------- *
 * Size
 * ------------------------------------------------------------------------- */

static double
time_open (const char       *path,
           PixverseHistory **history)
{
  gint64 start = g_get_monotonic_time ();

  *history = open_history (path);
  return seconds_since (start);
}

static void
test_large (void)
{
  g_autofree char *small_path = data_file ("small", "history.db");
  g_autofree char *large_path = data_file ("large", "history.db");
  g_autofree char *check = NULL;
  PixverseHistory *history;
  double small_s, large_s, walk_s;
  gsize rss_start, rss_open, rss_walk;
  gint64 previous = G_MAXINT64;
  gint64 first_id = 0;
  gint64 start;

  g_assert_finalize_object (open_history (small_path));
  g_assert_finalize_object (open_history (large_path));
  start = g_get_monotonic_time ();
  bulk_fill (small_path, 1000, 1600000000);
  bulk_fill (large_path, 100000, 1600000000);
  g_test_message ("filled 101 000 rows in %.2f s", seconds_since (start));

  /* The first open of each runs the full check (always done below 4 MiB,
   * weekly above) and leaves both files in the page cache alike. */
  small_s = time_open (small_path, &history);
  g_assert_finalize_object (history);
  large_s = time_open (large_path, &history);
  g_assert_finalize_object (history);
  g_test_message ("open with the full check: 1 000 jobs %.1f ms, 100 000 jobs %.1f ms",
                  small_s * 1000, large_s * 1000);

  small_s = time_open (small_path, &history);
  g_assert_cmpuint (n_items (history), ==, 1000);
  g_assert_finalize_object (history);

  rss_start = rss_bytes ();
  large_s = time_open (large_path, &history);
  rss_open = rss_bytes ();
  g_assert_cmpuint (n_items (history), ==, 100000);

  g_test_message ("open: 1 000 jobs %.1f ms, 100 000 jobs %.1f ms (%.2fx)",
                  small_s * 1000, large_s * 1000, large_s / small_s);

  /* Every item, in order, as a list scrolled to the end would ask. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 100000; i++)
    {
      g_autoptr(PixverseTask) item = g_list_model_get_item (G_LIST_MODEL (history), i);

      if (pixverse_task_get_created_at (item) == 0)
        wait_for (pixverse_task_get_created_at (item) != 0, 10);

      g_assert_cmpint (pixverse_task_get_created_at (item), <, previous);
      previous = pixverse_task_get_created_at (item);
      if (i == 0)
        first_id = pixverse_task_get_id (item);
    }
  walk_s = seconds_since (start);
  rss_walk = rss_bytes ();

  g_test_message ("walked 100 000 items in %.2f s; RSS +%.1f MiB at open, +%.1f MiB after the walk",
                  walk_s, (double) (rss_open - rss_start) / (1024 * 1024),
                  (double) ((gssize) rss_walk - (gssize) rss_start) / (1024 * 1024));

  /* Nothing held them: the walk did not keep 100 000 tasks alive. */
  g_assert_null (pixverse_history_lookup (history, first_id));
  g_assert_finalize_object (history);

  check = db_text (large_path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

/* ------------------------------------------------------------------------- *
 * Two processes
 * ------------------------------------------------------------------------- */

typedef struct
{
  PixverseHistory *history;
  PixverseTask    *task;
  guint            count;
  guint            done;
  GError          *error;
} Adder;

static void adder_next (Adder *adder);

static void
adder_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Adder *adder = user_data;

  if (!pixverse_history_save_finish (adder->history, result, &adder->error))
    return;

  g_clear_object (&adder->task);
  adder->done++;
  adder_next (adder);
}

static void
adder_added_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Adder *adder = user_data;
  g_autofree char *task_id = NULL;

  adder->task = pixverse_history_add_finish (adder->history, result, &adder->error);
  if (adder->task == NULL)
    return;

  task_id = g_strdup_printf ("parent-%u", adder->done);
  pixverse_task_set_task_id (adder->task, task_id);
  pixverse_task_set_status (adder->task, PIXVERSE_JOB_PROCESSING);
  pixverse_history_save_async (adder->history, adder->task, NULL, adder_saved_cb, adder);
}

static void
adder_next (Adder *adder)
{
  g_autofree char *prompt = NULL;
  g_autoptr(PixverseRequest) request = NULL;

  if (adder->done == adder->count)
    return;

  prompt = g_strdup_printf ("parent job %u", adder->done);
  request = make_request (prompt);
  pixverse_history_add_async (adder->history, request, NULL, adder_added_cb, adder);
}

static void
test_two_processes (void)
{
  const guint per_process = 200;
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *check = NULL;
  g_autoptr(GSubprocess) child_a = NULL;
  g_autoptr(GSubprocess) child_b = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  Adder adder = { 0 };
  PixverseHistory *history;
  gint64 start;

  if (!have_writer ())
    return;

  history = open_history (path);
  start = g_get_monotonic_time ();

  child_a = spawn_writer (path, per_process, "child-a", NULL);
  child_b = spawn_writer (path, per_process, "child-b", NULL);
  adder.history = history;
  adder.count = per_process;
  adder_next (&adder);

  wait_writer (child_a);
  wait_writer (child_b);
  wait_for (adder.done == adder.count || adder.error != NULL, 60);
  g_assert_no_error (adder.error);
  g_test_message ("3 processes wrote %u jobs (add + save each) in %.2f s",
                  3 * per_process, seconds_since (start));

  tasks = list_jobs (history, NULL, -1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tasks->len, ==, 3 * per_process);
  for (guint i = 0; i < tasks->len; i++)
    {
      PixverseTask *task = g_ptr_array_index (tasks, i);

      g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);
      g_assert_nonnull (pixverse_task_get_task_id (task));
      g_assert_true (g_hash_table_add (seen, (gpointer) pixverse_task_get_task_id (task)));
    }
  for (guint i = 0; i < per_process; i++)
    {
      const char *prefixes[] = { "child-a", "child-b", "parent" };

      for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
        {
          g_autofree char *task_id = g_strdup_printf ("%s-%u", prefixes[p], i);

          g_assert_true (g_hash_table_contains (seen, task_id));
        }
    }
  g_clear_pointer (&seen, g_hash_table_unref);
  g_clear_pointer (&tasks, g_ptr_array_unref);

  /* The model caught up with the children's rows by itself. */
  wait_for (n_items (history) == 3 * per_process, 5);

  g_assert_finalize_object (history);

  check = db_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

static void
test_cross_process_visibility (void)
{
  g_autofree char *path = pixverse_history_default_path ();
  g_autofree char *sql = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(PixverseTask) mine = NULL;
  g_autoptr(PixverseTask) theirs = NULL;
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (Change));
  PixverseHistory *history;
  sqlite3 *db;
  gint64 start;
  double seen_s;

  if (!have_writer ())
    return;

  history = open_history (path);
  mine = add_job (history, "made here");
  g_signal_connect (history, "items-changed", G_CALLBACK (items_changed_cb), changes);

  /* A job added by another process shows up. */
  child = spawn_writer (path, 1, "other", NULL);
  wait_writer (child);
  start = g_get_monotonic_time ();
  wait_for (n_items (history) == 2, 5);
  seen_s = seconds_since (start);
  g_test_message ("another process's new job was in the model after %.0f ms", seen_s * 1000);
  g_assert_cmpfloat (seen_s, <, 2.0);
  assert_change (changes, 0, 0, 1);

  theirs = model_item (history, 0);
  g_assert_cmpstr (pixverse_request_get_prompt (pixverse_task_get_request (theirs)), ==,
                   "other job 0");
  g_assert_cmpstr (pixverse_task_get_task_id (theirs), ==, "other-0");
  assert_item (history, 1, mine);

  /* A live task follows a change made elsewhere. */
  db = db_open (path);
  sql = g_strdup_printf ("UPDATE jobs SET status = 'failed', message = 'changed elsewhere' "
                         "WHERE id = %" G_GINT64_FORMAT, pixverse_task_get_id (mine));
  db_exec (db, sql);
  start = g_get_monotonic_time ();
  wait_for (pixverse_task_get_status (mine) == PIXVERSE_JOB_FAILED, 5);
  seen_s = seconds_since (start);
  g_test_message ("another process's change was in the live task after %.0f ms", seen_s * 1000);
  g_assert_cmpfloat (seen_s, <, 2.0);
  g_assert_cmpstr (pixverse_task_get_message (mine), ==, "changed elsewhere");

  /* And a row deleted elsewhere leaves the model. */
  g_free (sql);
  sql = g_strdup_printf ("DELETE FROM jobs WHERE id = %" G_GINT64_FORMAT,
                         pixverse_task_get_id (theirs));
  db_exec (db, sql);
  sqlite3_close (db);
  wait_for (n_items (history) == 1, 5);
  assert_change (changes, 0, 1, 0);
  assert_item (history, 0, mine);

  g_assert_finalize_object (history);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/history/task/properties", test_task_properties);
  g_test_add_func ("/history/schema/empty-file", test_schema_empty_file);
  g_test_add_func ("/history/schema/migrate-v1", test_schema_migrate_v1);
  g_test_add_func ("/history/schema/newer", test_schema_newer);
  g_test_add_func ("/history/corrupt/garbage", test_corrupt_garbage);
  g_test_add_func ("/history/corrupt/pages", test_corrupt_pages);
  g_test_add_func ("/history/corrupt/large-weekly", test_corrupt_large_weekly);
  g_test_add_func ("/history/round-trip", test_round_trip);
  g_test_add_func ("/history/model/changes-and-filters", test_model);
  g_test_add_func ("/history/model/paging", test_model_paging);
  g_test_add_func ("/history/unfinished", test_unfinished);
  g_test_add_func ("/history/large", test_large);
  g_test_add_func ("/history/results-in-slices", test_results_in_slices);
  g_test_add_func ("/history/processes/two-writers", test_two_processes);
  g_test_add_func ("/history/processes/visibility", test_cross_process_visibility);

  return g_test_run ();
}
