/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-history"

#include "config.h"

#include "pixverse-history.h"

#include <errno.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "pixverse-error.h"
#include "pixverse-history-private.h"

/*
 * The job history (DESIGN §3, §5; issue 10).
 *
 * As epiphany's history service does it: one SQLite connection, opened, used
 * and closed on one worker thread that takes operations from a queue; each
 * operation runs in a transaction of its own, with statements from a cache of
 * persistent prepared statements, and its result goes back to the main
 * context of whoever asked, as a GTask. Nothing on the main thread ever
 * waits for SQLite. Results that come back together are handed over in
 * slices, with the main loop's drawing and input between them (issue 14).
 *
 * The list model keeps only the ordered (created_at, id) pairs of the rows
 * that match the filter: 16 bytes a job, loaded with one covering index scan,
 * so n_items is known at once. get_item() hands out the live PixverseTask of
 * that id if there is one (tasks are cached weakly, so every user of a job
 * shares one object) and otherwise an empty one, and asks the worker for the
 * page of rows around it; when they arrive the tasks are filled in and
 * notify. The last few pages are kept alive so a list being scrolled does not
 * read a page once per row.
 *
 * At open the header is read first (a file from a newer version is refused
 * untouched), then PRAGMA quick_check runs: always for a file below 1 MiB,
 * once a week above that (when the last check passed is kept in the file),
 * so that opening 100 000 jobs costs about what 1 000 do; reading the id
 * list walks the whole created_at index anyway. A damaged file is moved
 * aside, never deleted, and a new one started.
 *
 * Other processes (the command line next to the GUI) write the same file:
 * WAL lets them read while one writes, the busy timeout and a retry make
 * writers wait their turn rather than fail, and PRAGMA data_version, asked
 * once a second, says when someone else committed; then the id list is read
 * again and the live tasks refreshed.
 *
 * A save (from the monitor, say) is newer than any read queued before it: a
 * row read before the save and delivered after it must not roll the live task
 * back. Every save therefore takes a serial number, and a read only updates
 * tasks that no save has touched since the read was queued.
 */

#define SCHEMA_VERSION 2
#define ROWS_PER_PAGE 50
/* Tasks kept alive after a page load, so neighbours asked for next are there. */
#define RECENT_MAX (4 * ROWS_PER_PAGE)
#define CHECK_INTERVAL_MS 1000
#define BUSY_TIMEOUT_MS 5000
/* On top of the busy timeout: a writer that held the lock for longer. */
#define BUSY_RETRIES 10
#define BUSY_RETRY_SLEEP_US (50 * 1000)
/* PRAGMA quick_check reads the whole file (~30 µs a page here): always
 * below 1 MiB (some 2 500 jobs, a few ms), weekly above. The first frame
 * waits for the open: at 4 MiB the check was a sixth of the start-up with
 * 10 000 jobs (bench/run). */
#define FULL_CHECK_MAX_PAGES 256
#define FULL_CHECK_MAX_AGE (7 * 24 * 60 * 60)

/* ------------------------------------------------------------------------- *
 * SQL
 * ------------------------------------------------------------------------- */

/* Version 1. Every field of the request has a column of its own (the request
 * need not be valid to be kept, so not its JSON body); status and download
 * state are stored by their stable names; the lists are JSON arrays of
 * strings. Ids are AUTOINCREMENT so that a deleted job's id never comes back
 * for a new one while a window still shows the old. */
static const char schema_v1[] =
  "CREATE TABLE jobs ("
  "  id                  INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  prompt              TEXT NOT NULL,"
  "  mode                TEXT NOT NULL CHECK (mode IN ('text-to-video', 'image-to-video')),"
  "  image_url           TEXT,"
  "  num_outputs         INTEGER NOT NULL,"
  "  resolution          TEXT,"
  "  aspect_ratio        TEXT,"
  "  duration            INTEGER NOT NULL,"
  "  prompt_optimization INTEGER NOT NULL,"
  "  task_id             TEXT UNIQUE,"
  "  estimated_time      INTEGER NOT NULL DEFAULT 0,"
  "  created_at          INTEGER NOT NULL,"
  "  updated_at          INTEGER NOT NULL,"
  "  finished_at         INTEGER NOT NULL DEFAULT 0,"
  "  status              TEXT NOT NULL CHECK (status IN ('submitting', 'processing',"
  "                        'completed', 'failed', 'unknown')),"
  "  message             TEXT,"
  "  result_urls         TEXT NOT NULL DEFAULT '[]',"
  "  video_paths         TEXT NOT NULL DEFAULT '[]',"
  "  poster_paths        TEXT NOT NULL DEFAULT '[]',"
  "  download_state      TEXT NOT NULL DEFAULT 'none' CHECK (download_state IN ('none',"
  "                        'running', 'done', 'failed', 'expired'))"
  ");"
  /* With the rowid, (created_at, id): the model's order, read backwards. */
  "CREATE INDEX jobs_by_created ON jobs (created_at);"
  "CREATE INDEX jobs_by_status ON jobs (status, created_at);"
  "CREATE VIRTUAL TABLE jobs_fts USING fts5 ("
  "  prompt, content = 'jobs', content_rowid = 'id',"
  "  tokenize = 'unicode61 remove_diacritics 2'"
  ");"
  "CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN"
  "  INSERT INTO jobs_fts (rowid, prompt) VALUES (new.id, new.prompt);"
  "END;"
  "CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN"
  "  INSERT INTO jobs_fts (jobs_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);"
  "END;"
  "CREATE TRIGGER jobs_fts_update AFTER UPDATE OF prompt ON jobs BEGIN"
  "  INSERT INTO jobs_fts (jobs_fts, rowid, prompt) VALUES ('delete', old.id, old.prompt);"
  "  INSERT INTO jobs_fts (rowid, prompt) VALUES (new.id, new.prompt);"
  "END;"
  /* The history's own bookkeeping: when the last full check passed. */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value"
  ");";

/* The jobs with work left (SQL_UNFINISHED, whose WHERE this repeats word for
 * word so that SQLite sees it implies the index's): a handful of rows, so
 * resuming at start-up costs the same with 100 000 jobs as with 10, where a
 * table scan ahead of the first page read cost about a tenth of the start-up
 * (bench/run). */
#define UNFINISHED_WHERE \
  "status = 'processing' OR " \
  "(status = 'completed' AND download_state IN ('none', 'running', 'failed'))"

/* Version 2: the index of the unfinished jobs. */
static const char schema_v2[] =
  "CREATE INDEX jobs_unfinished ON jobs (created_at) WHERE " UNFINISHED_WHERE ";";

/* migrations[n] takes a database from version n - 1 to n. */
static const char * const migrations[SCHEMA_VERSION + 1] = {
  NULL,
  schema_v1,
  schema_v2,
};

#define JOB_COLUMNS \
  "id, prompt, mode, image_url, num_outputs, resolution, aspect_ratio, duration, " \
  "prompt_optimization, task_id, estimated_time, created_at, updated_at, finished_at, " \
  "status, message, result_urls, video_paths, poster_paths, download_state"

enum {
  COL_ID,
  COL_PROMPT,
  COL_MODE,
  COL_IMAGE_URL,
  COL_NUM_OUTPUTS,
  COL_RESOLUTION,
  COL_ASPECT_RATIO,
  COL_DURATION,
  COL_PROMPT_OPTIMIZATION,
  COL_TASK_ID,
  COL_ESTIMATED_TIME,
  COL_CREATED_AT,
  COL_UPDATED_AT,
  COL_FINISHED_AT,
  COL_STATUS,
  COL_MESSAGE,
  COL_RESULT_URLS,
  COL_VIDEO_PATHS,
  COL_POSTER_PATHS,
  COL_DOWNLOAD_STATE,
};

/* Parameters ?1 to ?19 of both, in the column order above minus the id. */
#define SQL_INSERT \
  "INSERT INTO jobs (prompt, mode, image_url, num_outputs, resolution, aspect_ratio, " \
  "duration, prompt_optimization, task_id, estimated_time, created_at, updated_at, " \
  "finished_at, status, message, result_urls, video_paths, poster_paths, download_state) " \
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
#define SQL_UPDATE \
  "UPDATE jobs SET prompt = ?1, mode = ?2, image_url = ?3, num_outputs = ?4, " \
  "resolution = ?5, aspect_ratio = ?6, duration = ?7, prompt_optimization = ?8, " \
  "task_id = ?9, estimated_time = ?10, created_at = ?11, updated_at = ?12, " \
  "finished_at = ?13, status = ?14, message = ?15, result_urls = ?16, video_paths = ?17, " \
  "poster_paths = ?18, download_state = ?19 WHERE id = ?20"

#define SQL_SELECT_BY_ID "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1"
#define SQL_SELECT_BY_TASK_ID "SELECT " JOB_COLUMNS " FROM jobs WHERE task_id = ?1"
#define SQL_SELECT_IDS \
  "SELECT " JOB_COLUMNS " FROM jobs WHERE id IN (SELECT value FROM json_each (?1))"
#define SQL_SELECT_FILES \
  "SELECT video_paths, poster_paths, created_at FROM jobs WHERE id = ?1"
#define SQL_DELETE "DELETE FROM jobs WHERE id = ?1"
#define SQL_MATCHES "SELECT 1 FROM jobs_fts WHERE jobs_fts MATCH ?1 AND rowid = ?2"
/* Not submitting (may have been sent: never resumed by itself), not unknown
 * (resumable by hand only), not completed with the videos on disk or gone. */
#define SQL_UNFINISHED \
  "SELECT " JOB_COLUMNS " FROM jobs INDEXED BY jobs_unfinished WHERE " UNFINISHED_WHERE \
  " ORDER BY created_at DESC, id DESC"

/* The filtered queries, by filter kind: bit 0 a search (?1), bit 1 a status (?2). */
#define ORDER " ORDER BY created_at DESC, id DESC"
#define BY_SEARCH " id IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?1)"
#define BY_STATUS " status = ?2"

static const char * const entries_sql[] = {
  "SELECT id, created_at FROM jobs" ORDER,
  "SELECT id, created_at FROM jobs WHERE" BY_SEARCH ORDER,
  "SELECT id, created_at FROM jobs WHERE" BY_STATUS ORDER,
  "SELECT id, created_at FROM jobs WHERE" BY_SEARCH " AND" BY_STATUS ORDER,
};

static const char * const list_sql[] = {
  "SELECT " JOB_COLUMNS " FROM jobs" ORDER " LIMIT ?3",
  "SELECT " JOB_COLUMNS " FROM jobs WHERE" BY_SEARCH ORDER " LIMIT ?3",
  "SELECT " JOB_COLUMNS " FROM jobs WHERE" BY_STATUS ORDER " LIMIT ?3",
  "SELECT " JOB_COLUMNS " FROM jobs WHERE" BY_SEARCH " AND" BY_STATUS ORDER " LIMIT ?3",
};

/* ------------------------------------------------------------------------- *
 * Types
 * ------------------------------------------------------------------------- */

/* One row of the model: enough to place a new row without asking SQLite. */
typedef struct
{
  gint64 created_at;
  gint64 id;
} Entry;

/* The model's filter: an FTS5 query built by us (never the person's text),
 * and a status or -1. The serial tells results for an older filter apart. */
typedef struct
{
  char  *match;
  int    status;
  guint  serial;
} Filter;

/* Results on their way back to the history's main context. Fifty jobs sent
 * at once come back together, and applying each to the model builds a row
 * in the window: handed over in one go, they would hold up drawing and
 * input for as long as all of them take (issue 14). So they go in slices: a
 * slice lasts half as long as the main loop spent on other work (a frame,
 * input) since the last one, and at least OUTBOX_SLICE_US; then the loop
 * gets OUTBOX_PAUSE_US to start that work. The backlog thus gets a third of
 * the main thread or more, on a slow machine too (under the sanitizers a
 * frame takes tens of ms), a slice is never the longest wait, and each
 * frame has only a few new rows to lay out. Results for another context go
 * there one by one. */
#define OUTBOX_SLICE_US 4000
#define OUTBOX_PAUSE_US 1000

typedef struct
{
  gatomicrefcount ref;
  GMutex          lock;
  GQueue          tasks;       /* GTask, each with the worker's reference */
  gboolean        scheduled;   /* a delivery source is attached */
  GMainContext   *context;
  gint64          slice_end;   /* on the context: when the last slice paused */
} Outbox;

/* What only the worker thread touches. */
typedef struct
{
  GAsyncQueue *queue;
  Outbox      *outbox;
  sqlite3     *db;
  char        *path;
  GHashTable  *statements;   /* SQL text → sqlite3_stmt */
  gint64       data_version;
} Store;

typedef struct _Op Op;

/* On the worker; inside a transaction unless the op is OP_CUSTOM. Returns an
 * SQLite result code, or sets op->error. */
typedef int  (*OpRunFunc)      (Store           *store,
                                Op              *op);
/* On the main context, before the GTask returns. */
typedef void (*OpCompleteFunc) (PixverseHistory *self,
                                Op              *op);

typedef enum
{
  OP_READ,     /* BEGIN (deferred) */
  OP_WRITE,    /* BEGIN IMMEDIATE: the write lock first, so no upgrade deadlock */
  OP_CUSTOM,   /* manages its own transactions */
} OpMode;

/* One operation: its inputs, then its outputs. The worker writes only the
 * outputs; the main context reads them once the op is back. */
struct _Op
{
  OpRunFunc        run;
  OpRunFunc        after_commit;
  OpCompleteFunc   complete;
  OpMode           mode;
  guint            internal : 1;      /* the model's own: self is not held */
  guint            owns_history : 1;  /* open: holds self until it returns */
  guint            ran : 1;
  PixverseHistory *history;
  guint64          serial;
  Filter           filter;

  /* inputs */
  char            *text;
  gint64           id;
  gint64           limit;
  PixverseTask    *snapshot;   /* a private copy, safe on the worker */
  GArray          *ids;        /* gint64 */
  GStrv            files;      /* delete: paths known to the caller */

  /* outputs */
  GError          *error;
  GArray          *entries;    /* Entry */
  GPtrArray       *rows;       /* PixverseTask, new, made on the worker */
  char            *recovered_path;
  gint64           created_at;
  gboolean         found;
  gboolean         matches;
  gboolean         changed;

  /* for the finish function, on the main context */
  PixverseTask    *result;
  GPtrArray       *results;
};

typedef struct
{
  gint64           id;
  PixverseHistory *history;
  PixverseTask    *task;
} CacheEntry;

struct _PixverseHistory
{
  GObject       parent_instance;

  char         *path;
  char         *recovered_path;
  GMainContext *context;
  GThread      *thread;
  GAsyncQueue  *queue;
  Outbox       *outbox;
  GCancellable *cancellable;   /* the model's own operations */
  GSource      *check_source;

  GArray       *entries;       /* Entry, newest first, matching the filter */
  Filter        filter;
  char         *search;

  GHashTable   *cache;         /* &id → CacheEntry; the task weakly */
  GQueue        recent;        /* PixverseTask, strong: the last pages read */
  GHashTable   *loading;       /* ids being read for the model */
  GHashTable   *saved;         /* id → serial of its last save */
  guint64       serial;

  guint         checking : 1;
};

static void pixverse_history_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PixverseHistory, pixverse_history, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      pixverse_history_list_model_init))

enum {
  PROP_0,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static int quit_marker;

static Outbox *
outbox_new (GMainContext *context)
{
  Outbox *outbox = g_new0 (Outbox, 1);

  g_atomic_ref_count_init (&outbox->ref);
  g_mutex_init (&outbox->lock);
  g_queue_init (&outbox->tasks);
  outbox->context = g_main_context_ref (context);

  return outbox;
}

static Outbox *
outbox_ref (Outbox *outbox)
{
  g_atomic_ref_count_inc (&outbox->ref);
  return outbox;
}

/* The last reference goes on the worker only once the queue is empty: the
 * delivery source holds one while there are tasks. */
static void
outbox_unref (Outbox *outbox)
{
  if (!g_atomic_ref_count_dec (&outbox->ref))
    return;

  g_queue_clear_full (&outbox->tasks, g_object_unref);
  g_mutex_clear (&outbox->lock);
  g_main_context_unref (outbox->context);
  g_free (outbox);
}

/* ------------------------------------------------------------------------- *
 * Small helpers
 * ------------------------------------------------------------------------- */

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static char *
ensure_dir (char *dir)
{
  /* Failure shows up, with a better message, when the file is opened. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_debug ("Could not create %s: %s", dir, g_strerror (errno));
  return dir;
}

static void
filter_clear (Filter *filter)
{
  g_clear_pointer (&filter->match, g_free);
}

static void
filter_copy (Filter       *dest,
             const Filter *src)
{
  dest->match = g_strdup (src->match);
  dest->status = src->status;
  dest->serial = src->serial;
}

static guint
filter_kind (const Filter *filter)
{
  return (filter->match != NULL ? 1 : 0) | (filter->status >= 0 ? 2 : 0);
}

static gboolean
is_white_space (gunichar c)
{
  return g_unichar_isspace (c) || c == 0x0B || c == 0x85;
}

/*
 * Turns what a person typed into an FTS5 query that cannot be a syntax
 * error: each word becomes a quoted phrase (inner quotes doubled) searched as
 * a prefix, and the phrases are ANDed. Words with neither letters nor digits
 * are dropped: the tokenizer would make an empty phrase of them. Returns NULL
 * when nothing is left to search for.
 */
static char *
build_match (const char *text)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) query = NULL;
  const char *p;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  query = g_string_new (NULL);
  p = valid;

  while (*p != '\0')
    {
      const char *start;
      gboolean has_alnum = FALSE;

      while (*p != '\0' && is_white_space (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (*p == '\0')
        break;

      start = p;
      while (*p != '\0' && !is_white_space (g_utf8_get_char (p)))
        {
          if (g_unichar_isalnum (g_utf8_get_char (p)))
            has_alnum = TRUE;
          p = g_utf8_next_char (p);
        }

      if (!has_alnum)
        continue;

      if (query->len > 0)
        g_string_append_c (query, ' ');
      g_string_append_c (query, '"');
      for (const char *q = start; q < p; q++)
        {
          if (*q == '"')
            g_string_append_c (query, '"');
          g_string_append_c (query, *q);
        }
      g_string_append (query, "\"*");
    }

  if (query->len == 0)
    return NULL;

  return g_string_free (g_steal_pointer (&query), FALSE);
}

static char *
strv_to_json (const char * const *strv)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* Lenient: a list damaged by hand becomes what can be read of it, with ""
 * for entries that are not strings, so positions still match results. */
static GStrv
strv_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *root;
  JsonArray *array;

  /* Strict: json-glib 1.10's immutable parser aborts in get_root() on text
   * after the value, which a damaged file may hold. */
  json_parser_set_strict (parser, TRUE);
  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return g_strv_builder_end (builder);

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return g_strv_builder_end (builder);

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (node));
      else
        g_strv_builder_add (builder, "");
    }

  return g_strv_builder_end (builder);
}

static const char *
mode_to_string (PixverseMode mode)
{
  return mode == PIXVERSE_MODE_IMAGE_TO_VIDEO ? "image-to-video" : "text-to-video";
}

static PixverseMode
mode_from_string (const char *text)
{
  return g_strcmp0 (text, "image-to-video") == 0 ? PIXVERSE_MODE_IMAGE_TO_VIDEO
                                                 : PIXVERSE_MODE_TEXT_TO_VIDEO;
}

/* Newest first: created_at descending, then id descending. */
static int
entry_compare (const Entry *a,
               const Entry *b)
{
  if (a->created_at != b->created_at)
    return a->created_at > b->created_at ? -1 : 1;
  if (a->id != b->id)
    return a->id > b->id ? -1 : 1;
  return 0;
}

/* Where @entry is or would go. */
static guint
entries_bisect (GArray      *entries,
                const Entry *entry,
                gboolean    *found)
{
  guint lo = 0;
  guint hi = entries->len;

  *found = FALSE;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int cmp = entry_compare (&g_array_index (entries, Entry, mid), entry);

      if (cmp == 0)
        {
          *found = TRUE;
          return mid;
        }
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  return lo;
}

static gboolean
entries_find (GArray *entries,
              gint64  id,
              gint64  created_at,
              guint  *position)
{
  Entry key = { created_at, id };
  gboolean found;

  *position = entries_bisect (entries, &key, &found);
  if (found)
    return TRUE;

  /* created_at unknown or changed: look everywhere. */
  for (guint i = 0; i < entries->len; i++)
    {
      if (g_array_index (entries, Entry, i).id == id)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* ------------------------------------------------------------------------- *
 * The store: worker thread only
 * ------------------------------------------------------------------------- */

typedef sqlite3_stmt CachedStatement;

static void
cached_statement_release (CachedStatement *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedStatement, cached_statement_release)

static void
statement_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
store_close (Store *store)
{
  if (store->statements != NULL)
    g_hash_table_remove_all (store->statements);

  if (store->db != NULL)
    {
      int rc = sqlite3_close (store->db);

      if (rc != SQLITE_OK)
        g_message ("Could not close %s: %s", store->path, sqlite3_errstr (rc));
      store->db = NULL;
    }
}

static void
store_free (Store *store)
{
  store_close (store);
  g_clear_pointer (&store->statements, g_hash_table_unref);
  g_clear_pointer (&store->queue, g_async_queue_unref);
  g_clear_pointer (&store->outbox, outbox_unref);
  g_clear_pointer (&store->path, g_free);
  g_free (store);
}

static gboolean
is_busy (int rc)
{
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

static gboolean
is_corrupt (int rc)
{
  return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

static GError *
store_error (Store      *store,
             int         rc,
             const char *detail)
{
  GIOErrorEnum code;

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      code = G_IO_ERROR_NO_SPACE;
      break;

    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = G_IO_ERROR_PERMISSION_DENIED;
      break;

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = G_IO_ERROR_BUSY;
      break;

    default:
      code = G_IO_ERROR_FAILED;
    }

  return g_error_new (G_IO_ERROR, code,
                      _("Could not use the job history “%s”: %s"),
                      store->path, detail != NULL ? detail : sqlite3_errstr (rc));
}

static CachedStatement *
store_prepare (Store      *store,
               const char *sql,
               int        *rc)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->statements, sql);

  if (stmt != NULL)
    {
      *rc = SQLITE_OK;
      return stmt;
    }

  *rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (*rc != SQLITE_OK)
    return NULL;

  g_hash_table_insert (store->statements, (gpointer) sql, stmt);
  return stmt;
}

static int
store_exec (Store      *store,
            const char *sql)
{
  return sqlite3_exec (store->db, sql, NULL, NULL, NULL);
}

static int
store_get_int64 (Store      *store,
                 const char *sql,
                 gint64     *value)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  if (!(stmt = store_prepare (store, sql, &rc)))
    return rc;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *value = sqlite3_column_int64 (stmt, 0);
      return SQLITE_OK;
    }

  /* SQLITE_DONE: no row */
  return rc;
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

/* A new task from a row in JOB_COLUMNS order. */
static PixverseTask *
task_from_row (sqlite3_stmt *stmt)
{
  g_autoptr(PixverseRequest) request = pixverse_request_new ();
  g_auto(GStrv) result_urls = NULL;
  g_auto(GStrv) video_paths = NULL;
  g_auto(GStrv) poster_paths = NULL;
  PixverseJobStatus status = PIXVERSE_JOB_UNKNOWN;
  PixverseDownloadState download_state = PIXVERSE_DOWNLOAD_NONE;
  PixverseTask *task;

  pixverse_request_set_prompt (request, column_text (stmt, COL_PROMPT));
  pixverse_request_set_mode (request, mode_from_string (column_text (stmt, COL_MODE)));
  pixverse_request_set_image_url (request, column_text (stmt, COL_IMAGE_URL));
  pixverse_request_set_num_outputs (request, sqlite3_column_int (stmt, COL_NUM_OUTPUTS));
  pixverse_request_set_resolution (request, column_text (stmt, COL_RESOLUTION));
  pixverse_request_set_aspect_ratio (request, column_text (stmt, COL_ASPECT_RATIO));
  pixverse_request_set_duration (request, sqlite3_column_int (stmt, COL_DURATION));
  pixverse_request_set_prompt_optimization (request,
                                            sqlite3_column_int (stmt, COL_PROMPT_OPTIMIZATION) != 0);

  task = pixverse_task_new (sqlite3_column_int64 (stmt, COL_ID), request);

  pixverse_job_status_from_string (column_text (stmt, COL_STATUS), &status);
  pixverse_download_state_from_string (column_text (stmt, COL_DOWNLOAD_STATE), &download_state);
  result_urls = strv_from_json (column_text (stmt, COL_RESULT_URLS));
  video_paths = strv_from_json (column_text (stmt, COL_VIDEO_PATHS));
  poster_paths = strv_from_json (column_text (stmt, COL_POSTER_PATHS));

  pixverse_task_set_task_id (task, column_text (stmt, COL_TASK_ID));
  pixverse_task_set_estimated_time (task, MAX (0, sqlite3_column_int (stmt, COL_ESTIMATED_TIME)));
  pixverse_task_set_created_at (task, MAX (0, sqlite3_column_int64 (stmt, COL_CREATED_AT)));
  pixverse_task_set_updated_at (task, MAX (0, sqlite3_column_int64 (stmt, COL_UPDATED_AT)));
  pixverse_task_set_finished_at (task, MAX (0, sqlite3_column_int64 (stmt, COL_FINISHED_AT)));
  pixverse_task_set_status (task, status);
  pixverse_task_set_message (task, column_text (stmt, COL_MESSAGE));
  pixverse_task_set_result_urls (task, (const char * const *) result_urls);
  pixverse_task_set_video_paths (task, (const char * const *) video_paths);
  pixverse_task_set_poster_paths (task, (const char * const *) poster_paths);
  pixverse_task_set_download_state (task, download_state);

  return task;
}

/* JOB_COLUMNS, for the row decoding's fuzzer. */
const char *
_pixverse_history_get_job_columns (void)
{
  return JOB_COLUMNS;
}

/* task_from_row() for the fuzzer: a row of JOB_COLUMNS, whatever it holds. */
PixverseTask *
_pixverse_history_task_from_row (sqlite3_stmt *stmt)
{
  g_return_val_if_fail (stmt != NULL, NULL);

  return task_from_row (stmt);
}

/* Binds ?1 to ?19 of SQL_INSERT / SQL_UPDATE. */
static int
bind_task (sqlite3_stmt *stmt,
           PixverseTask *task)
{
  PixverseRequest *request = pixverse_task_get_request (task);
  PixverseMode mode = pixverse_request_get_mode (request);
  PixverseJobStatus status = pixverse_task_get_status (task);
  PixverseDownloadState download_state = pixverse_task_get_download_state (task);
  g_autofree char *result_urls = strv_to_json (pixverse_task_get_result_urls (task));
  g_autofree char *video_paths = strv_to_json (pixverse_task_get_video_paths (task));
  g_autofree char *poster_paths = strv_to_json (pixverse_task_get_poster_paths (task));
  int rc = SQLITE_OK;

#define BIND_TEXT(n, text) \
  G_STMT_START { \
    if (rc == SQLITE_OK) \
      rc = sqlite3_bind_text (stmt, n, text, -1, SQLITE_TRANSIENT); \
  } G_STMT_END
#define BIND_INT(n, value) \
  G_STMT_START { \
    if (rc == SQLITE_OK) \
      rc = sqlite3_bind_int64 (stmt, n, value); \
  } G_STMT_END
  BIND_TEXT (1, pixverse_request_get_prompt (request));
  BIND_TEXT (2, mode_to_string (mode));
  BIND_TEXT (3, pixverse_request_get_image_url (request));
  BIND_INT (4, pixverse_request_get_num_outputs (request));
  BIND_TEXT (5, pixverse_request_get_resolution (request));
  BIND_TEXT (6, pixverse_request_get_aspect_ratio (request));
  BIND_INT (7, pixverse_request_get_duration (request));
  BIND_INT (8, pixverse_request_get_prompt_optimization (request) ? 1 : 0);
  BIND_TEXT (9, pixverse_task_get_task_id (task));
  BIND_INT (10, pixverse_task_get_estimated_time (task));
  BIND_INT (11, pixverse_task_get_created_at (task));
  BIND_INT (12, pixverse_task_get_updated_at (task));
  BIND_INT (13, pixverse_task_get_finished_at (task));
  BIND_TEXT (14, pixverse_job_status_to_string (status));
  BIND_TEXT (15, pixverse_task_get_message (task));
  BIND_TEXT (16, result_urls);
  BIND_TEXT (17, video_paths);
  BIND_TEXT (18, poster_paths);
  BIND_TEXT (19, pixverse_download_state_to_string (download_state));
#undef BIND_TEXT
#undef BIND_INT

  return rc;
}

static int
bind_filter (sqlite3_stmt *stmt,
             const Filter *filter)
{
  int rc = SQLITE_OK;

  if (filter->match != NULL)
    rc = sqlite3_bind_text (stmt, 1, filter->match, -1, SQLITE_TRANSIENT);
  if (rc == SQLITE_OK && filter->status >= 0)
    rc = sqlite3_bind_text (stmt, 2, pixverse_job_status_to_string (filter->status),
                            -1, SQLITE_STATIC);

  return rc;
}

/* Appends every row @stmt gives to @rows. */
static int
store_read_rows (sqlite3_stmt *stmt,
                 GPtrArray    *rows)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, task_from_row (stmt));

  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
store_read_entries (Store        *store,
                    const Filter *filter,
                    GArray       *entries)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  g_array_set_size (entries, 0);

  if (!(stmt = store_prepare (store, entries_sql[filter_kind (filter)], &rc)))
    return rc;
  if ((rc = bind_filter (stmt, filter)) != SQLITE_OK)
    return rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Entry entry = { sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 0) };

      g_array_append_val (entries, entry);
    }

  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
store_read_ids (Store     *store,
                GArray    *ids,
                GPtrArray *rows)
{
  g_autoptr(CachedStatement) stmt = NULL;
  g_autoptr(GString) json = g_string_new ("[");
  int rc;

  g_ptr_array_set_size (rows, 0);
  if (ids == NULL || ids->len == 0)
    return SQLITE_OK;

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (json, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (ids, gint64, i));
  g_string_append_c (json, ']');

  if (!(stmt = store_prepare (store, SQL_SELECT_IDS, &rc)))
    return rc;
  if ((rc = sqlite3_bind_text (stmt, 1, json->str, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
    return rc;

  return store_read_rows (stmt, rows);
}

static int
store_read_one (Store        *store,
                const char   *sql,
                gint64        id,
                const char   *text,
                PixverseTask **task)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  g_clear_object (task);

  if (!(stmt = store_prepare (store, sql, &rc)))
    return rc;
  rc = text != NULL ? sqlite3_bind_text (stmt, 1, text, -1, SQLITE_TRANSIENT)
                    : sqlite3_bind_int64 (stmt, 1, id);
  if (rc != SQLITE_OK)
    return rc;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *task = task_from_row (stmt);
      return SQLITE_OK;
    }

  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Whether row @id (in @status) is in the model under @filter. */
static int
store_matches (Store             *store,
               const Filter      *filter,
               gint64             id,
               PixverseJobStatus  status,
               gboolean          *matches)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  *matches = filter->status < 0 || filter->status == (int) status;
  if (!*matches || filter->match == NULL)
    return SQLITE_OK;

  if (!(stmt = store_prepare (store, SQL_MATCHES, &rc)))
    return rc;
  if ((rc = sqlite3_bind_text (stmt, 1, filter->match, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
      (rc = sqlite3_bind_int64 (stmt, 2, id)) != SQLITE_OK)
    return rc;

  rc = sqlite3_step (stmt);
  *matches = rc == SQLITE_ROW;

  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* @run in one transaction, again from the start while another process
 * holds the write lock for longer than the busy timeout. Returns SQLITE_OK
 * once committed, else the failing result code with op->error set. */
static int
store_transaction (Store     *store,
                   Op        *op,
                   OpMode     mode,
                   OpRunFunc  run)
{
  g_assert (mode != OP_CUSTOM);

  for (guint attempt = 0; ; attempt++)
    {
      g_autofree char *detail = NULL;
      int rc;

      rc = store_exec (store, mode == OP_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
      if (rc == SQLITE_OK)
        {
          rc = run (store, op);
          if (rc == SQLITE_OK && op->error == NULL)
            rc = store_exec (store, "COMMIT");
          if (rc != SQLITE_OK)
            detail = g_strdup (sqlite3_errmsg (store->db));
          if (!sqlite3_get_autocommit (store->db))
            store_exec (store, "ROLLBACK");
        }
      else
        detail = g_strdup (sqlite3_errmsg (store->db));

      if (op->error != NULL)
        return rc != SQLITE_OK ? rc : SQLITE_ERROR;

      if (rc == SQLITE_OK)
        return SQLITE_OK;

      if (is_busy (rc) && attempt < BUSY_RETRIES)
        {
          g_debug ("%s is busy, trying again (%u)", store->path, attempt + 1);
          g_usleep (BUSY_RETRY_SLEEP_US * (attempt + 1));
          continue;
        }

      op->error = store_error (store, rc, detail);
      return rc;
    }
}

/* Like sqlite3_exec() for set-up statements, but waits out other openers. */
static int
store_exec_retry (Store      *store,
                  const char *sql)
{
  int rc;

  for (guint attempt = 0; ; attempt++)
    {
      rc = store_exec (store, sql);
      if (!is_busy (rc) || attempt >= BUSY_RETRIES)
        return rc;
      g_usleep (BUSY_RETRY_SLEEP_US * (attempt + 1));
    }
}

static int
store_open_connection (Store *store)
{
  int rc;

  g_assert (store->db == NULL);

  /* NOMUTEX: the connection never leaves this thread. */
  rc = sqlite3_open_v2 (store->path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    return rc;

  sqlite3_extended_result_codes (store->db, 1);
  return sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);
}

/* Whether the full check is due. Always for a small file, where it costs
 * little, and for one from an older version; for a large one once a week
 * (recorded in the file), so that opening a big history costs about what a
 * small one does. */
static int
store_check_due (Store    *store,
                 gint64    version,
                 gboolean *due,
                 gboolean *record)
{
  gint64 pages = 0;
  gint64 checked_at = 0;
  gint64 now = now_seconds ();
  int rc;

  *due = TRUE;
  *record = FALSE;

  if ((rc = store_get_int64 (store, "PRAGMA page_count", &pages)) != SQLITE_OK)
    return rc;
  if (version < SCHEMA_VERSION || pages <= FULL_CHECK_MAX_PAGES)
    return SQLITE_OK;

  rc = store_get_int64 (store, "SELECT value FROM meta WHERE key = 'checked_at'", &checked_at);
  if (rc != SQLITE_OK && rc != SQLITE_DONE)
    return rc;

  *record = TRUE;
  *due = rc == SQLITE_DONE || checked_at > now || now - checked_at > FULL_CHECK_MAX_AGE;
  return SQLITE_OK;
}

/* PRAGMA quick_check: every page, every cell, every index entry's order,
 * but not index contents against tables (that is integrity_check). */
static int
store_quick_check (Store    *store,
                   gboolean *corrupt)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  *corrupt = FALSE;

  /* Not cached: run once. */
  rc = sqlite3_prepare_v2 (store->db, "PRAGMA quick_check", -1, &stmt, NULL);
  while (stmt != NULL && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (g_strcmp0 (column_text (stmt, 0), "ok") != 0 && !*corrupt)
        {
          g_message ("%s failed its check: %s", store->path, column_text (stmt, 0));
          *corrupt = TRUE;
        }
    }
  sqlite3_finalize (stmt);

  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
run_record_check (Store *store,
                  Op    *op)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  if (!(stmt = store_prepare (store, "INSERT OR REPLACE INTO meta (key, value) "
                                     "VALUES ('checked_at', ?1)", &rc)))
    return rc;
  if ((rc = sqlite3_bind_int64 (stmt, 1, now_seconds ())) != SQLITE_OK)
    return rc;

  rc = sqlite3_step (stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Moves the database (and its WAL and shared memory files, kept as a set)
 * to history.db.corrupt-YYYYmmdd-HHMMSS; never deletes a thing. */
static char *
store_move_aside (Store   *store,
                  GError **error)
{
  static const char * const companions[] = { "-wal", "-shm", "-journal" };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *target = g_strdup_printf ("%s.corrupt-%s", store->path, stamp);

  for (guint n = 2; g_file_test (target, G_FILE_TEST_EXISTS); n++)
    {
      g_free (target);
      target = g_strdup_printf ("%s.corrupt-%s-%u", store->path, stamp, n);
    }

  if (g_rename (store->path, target) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("The job history “%s” is damaged and could not be moved aside: %s"),
                   store->path, g_strerror (saved_errno));
      return NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (companions); i++)
    {
      g_autofree char *from = g_strconcat (store->path, companions[i], NULL);
      g_autofree char *to = g_strconcat (target, companions[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        g_message ("Could not move %s aside: %s", from, g_strerror (errno));
    }

  g_message ("The job history %s was damaged; it was moved to %s", store->path, target);
  return g_steal_pointer (&target);
}

/* As tracker does: a file from a newer version is refused, never rewritten. */
static GError *
newer_version_error (Store  *store,
                     gint64  version)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                      _("The job history “%s” was written by a newer version of Pixverse "
                        "Studio (format %lld, this version knows %d). "
                        "Update Pixverse Studio to use it."),
                      store->path, (long long) version, SCHEMA_VERSION);
}

static int
store_migrate (Store   *store,
               GError **error)
{
  gint64 version = 0;
  int rc;

  for (guint attempt = 0; ; attempt++)
    {
      rc = store_exec (store, "BEGIN IMMEDIATE");
      if (!is_busy (rc) || attempt >= BUSY_RETRIES)
        break;
      g_usleep (BUSY_RETRY_SLEEP_US * (attempt + 1));
    }
  if (rc != SQLITE_OK)
    return rc;

  /* Again, under the write lock: another process may have been first. */
  rc = store_get_int64 (store, "PRAGMA user_version", &version);
  if (rc == SQLITE_OK && version > SCHEMA_VERSION)
    {
      store_exec (store, "ROLLBACK");
      g_propagate_error (error, newer_version_error (store, version));
      return SQLITE_ERROR;
    }

  for (gint64 v = version + 1; rc == SQLITE_OK && v <= SCHEMA_VERSION; v++)
    {
      g_debug ("Migrating %s to version %" G_GINT64_FORMAT, store->path, v);
      rc = store_exec (store, migrations[v]);
    }

  if (rc == SQLITE_OK && version < SCHEMA_VERSION)
    {
      g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);

      rc = store_exec (store, sql);
    }

  if (rc == SQLITE_OK)
    rc = store_exec (store, "COMMIT");
  if (rc != SQLITE_OK && !sqlite3_get_autocommit (store->db))
    {
      g_autofree char *detail = g_strdup (sqlite3_errmsg (store->db));

      store_exec (store, "ROLLBACK");
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("Could not update the job history “%s”: %s"), store->path, detail);
    }

  return rc;
}

/* The model's first rows, in a read transaction of their own. */
static int
run_read_entries (Store *store,
                  Op    *op)
{
  return store_read_entries (store, &op->filter, op->entries);
}

static GError *
open_error (Store *store,
            int    rc)
{
  return g_error_new (G_IO_ERROR,
                      (rc & 0xff) == SQLITE_CANTOPEN ? G_IO_ERROR_NOT_FOUND :
                      (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM
                        ? G_IO_ERROR_PERMISSION_DENIED : G_IO_ERROR_FAILED,
                      _("Could not open the job history “%s”: %s"),
                      store->path,
                      store->db != NULL ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc));
}

/* One attempt at opening. *@corrupt says the file is damaged (and nothing
 * was written to it): the caller moves it aside and tries once more. */
static int
store_open_once (Store    *store,
                 Op       *op,
                 gboolean *corrupt)
{
  gint64 start = g_get_monotonic_time ();
  gint64 version = 0;
  gint64 checked = 0;
  gboolean due = FALSE;
  gboolean record = FALSE;
  int rc;

  *corrupt = FALSE;

  if ((rc = store_open_connection (store)) != SQLITE_OK)
    return rc;

  /* The header first: garbage says SQLITE_NOTADB here. */
  rc = store_get_int64 (store, "PRAGMA user_version", &version);
  if (rc != SQLITE_OK)
    {
      *corrupt = is_corrupt (rc);
      return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

  /* Left as it is: not checked (its schema may be beyond us), not even
   * switched to WAL. */
  if (version > SCHEMA_VERSION)
    {
      op->error = newer_version_error (store, version);
      return SQLITE_ERROR;
    }

  rc = store_check_due (store, version, &due, &record);
  if (rc == SQLITE_OK && due)
    rc = store_quick_check (store, corrupt);
  checked = g_get_monotonic_time ();
  if (rc != SQLITE_OK || *corrupt)
    {
      *corrupt = *corrupt || is_corrupt (rc);
      return rc != SQLITE_OK ? rc : SQLITE_CORRUPT;
    }

  if ((rc = store_exec_retry (store, "PRAGMA journal_mode = WAL")) != SQLITE_OK ||
      (rc = store_exec (store, "PRAGMA synchronous = NORMAL")) != SQLITE_OK ||
      /* Statement journals (an insert with its FTS trigger inside our
       * transaction) in memory, not a temporary file each (bench/run). */
      (rc = store_exec (store, "PRAGMA temp_store = MEMORY")) != SQLITE_OK ||
      (rc = store_exec (store, "PRAGMA foreign_keys = ON")) != SQLITE_OK ||
      (rc = store_migrate (store, &op->error)) != SQLITE_OK)
    {
      *corrupt = is_corrupt (rc);
      return rc;
    }

  if (due && record &&
      (rc = store_transaction (store, op, OP_WRITE, run_record_check)) != SQLITE_OK)
    {
      *corrupt = is_corrupt (rc);
      return rc;
    }

  /* The model's first state; a damaged index says so here. */
  if ((rc = store_transaction (store, op, OP_READ, run_read_entries)) != SQLITE_OK ||
      (rc = store_get_int64 (store, "PRAGMA data_version", &store->data_version)) != SQLITE_OK)
    {
      *corrupt = is_corrupt (rc);
      return rc == SQLITE_DONE ? SQLITE_ERROR : rc;
    }

  g_debug ("Opened %s in %.1f ms (%s check %.1f ms), %u jobs",
           store->path, (g_get_monotonic_time () - start) / 1000.,
           due ? "full" : "no full", (checked - start) / 1000., op->entries->len);

  return SQLITE_OK;
}

static int
run_open (Store *store,
          Op    *op)
{
  g_autofree char *dir = ensure_dir (g_path_get_dirname (store->path));

  for (guint attempt = 0; ; attempt++)
    {
      gboolean corrupt = FALSE;
      int rc = store_open_once (store, op, &corrupt);

      if (rc == SQLITE_OK)
        return SQLITE_OK;

      store_close (store);

      if (!corrupt || attempt > 0)
        {
          if (op->error == NULL)
            op->error = open_error (store, rc);
          return rc;
        }

      /* Moved aside (never deleted) and started afresh. */
      g_clear_error (&op->error);
      if (!(op->recovered_path = store_move_aside (store, &op->error)))
        return SQLITE_ERROR;
    }
}

/* On the caller's context: applies the result to the model, then returns. */
static void
op_complete (GTask *task)
{
  Op *op = g_task_get_task_data (task);

  /* The model's own operations do not hold the history: once it is
   * disposed (which cancels them) it may be gone. */
  if (op->complete != NULL &&
      !(op->internal && g_cancellable_is_cancelled (g_task_get_cancellable (task))))
    op->complete (op->history, op);

  if (op->error != NULL)
    g_task_return_error (task, g_steal_pointer (&op->error));
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
op_complete_idle (gpointer data)
{
  op_complete (data);
  return G_SOURCE_REMOVE;
}

/* One slice of the backlog; see Outbox. */
static gboolean
outbox_deliver_cb (gpointer data)
{
  Outbox *outbox = data;
  gint64 start = g_get_monotonic_time ();
  gint64 budget = OUTBOX_SLICE_US;

  if (outbox->slice_end != 0)
    budget = MAX (budget, (start - outbox->slice_end) / 2);

  for (;;)
    {
      GTask *task;
      gboolean more;
      gint64 now;

      g_mutex_lock (&outbox->lock);
      task = g_queue_pop_head (&outbox->tasks);
      more = !g_queue_is_empty (&outbox->tasks);
      outbox->scheduled = more;
      g_mutex_unlock (&outbox->lock);

      if (task != NULL)
        {
          op_complete (task);
          g_object_unref (task);
        }

      if (!more)
        {
          outbox->slice_end = 0;
          return G_SOURCE_REMOVE;
        }

      now = g_get_monotonic_time ();
      if (now - start >= budget)
        {
          outbox->slice_end = now;
          g_source_set_ready_time (g_main_current_source (), now + OUTBOX_PAUSE_US);
          return G_SOURCE_CONTINUE;
        }
    }
}

static gboolean
outbox_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs outbox_source_funcs = { NULL, NULL, outbox_source_dispatch, NULL, NULL, NULL };

/* On the worker. The queue's reference goes with @task to the caller's
 * context and is dropped there, never here: the last unref of the history
 * on this thread would join itself. At the task's priority, as GTask
 * returns: at idle priority a result would wait behind every frame drawn
 * while the window starts (issue 14). */
static void
outbox_post (Outbox *outbox,
             GTask  *task)
{
  GMainContext *context = g_task_get_context (task);
  GSource *source;

  if (context == outbox->context)
    {
      gboolean attach;

      g_mutex_lock (&outbox->lock);
      g_queue_push_tail (&outbox->tasks, task);
      attach = !outbox->scheduled;
      outbox->scheduled = TRUE;
      g_mutex_unlock (&outbox->lock);
      if (!attach)
        return;

      source = g_source_new (&outbox_source_funcs, sizeof (GSource));
      g_source_set_ready_time (source, 0);
      g_source_set_callback (source, outbox_deliver_cb, outbox_ref (outbox),
                             (GDestroyNotify) outbox_unref);
    }
  else
    {
      source = g_idle_source_new ();
      g_source_set_callback (source, op_complete_idle, task, g_object_unref);
    }

  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_static_name (source, "[pixverse] history results");
  g_source_attach (source, context);
  g_source_unref (source);
}

static gpointer
worker_thread (gpointer data)
{
  Store *store = data;

  for (;;)
    {
      gpointer item = g_async_queue_pop (store->queue);
      GTask *task;
      Op *op;

      if (item == &quit_marker)
        break;

      task = item;
      op = g_task_get_task_data (task);

      if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        op->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         _("Operation was cancelled"));
      else if (op->mode == OP_CUSTOM)
        {
          int rc = op->run (store, op);

          if (rc != SQLITE_OK && op->error == NULL)
            op->error = store_error (store, rc, NULL);
          op->ran = op->error == NULL;
        }
      else if (store->db == NULL)
        op->error = g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                 _("The job history “%s” is not open"), store->path);
      else if (store_transaction (store, op, op->mode, op->run) == SQLITE_OK)
        {
          op->ran = TRUE;
          if (op->after_commit != NULL)
            op->after_commit (store, op);
        }

      outbox_post (store->outbox, task);
    }

  store_free (store);
  return NULL;
}

/* ------------------------------------------------------------------------- *
 * Operations: the worker side of each
 * ------------------------------------------------------------------------- */

static void
op_free (Op *op)
{
  g_clear_error (&op->error);
  filter_clear (&op->filter);
  g_clear_pointer (&op->text, g_free);
  g_clear_object (&op->snapshot);
  g_clear_pointer (&op->ids, g_array_unref);
  g_clear_pointer (&op->files, g_strfreev);
  g_clear_pointer (&op->entries, g_array_unref);
  g_clear_pointer (&op->rows, g_ptr_array_unref);
  g_clear_pointer (&op->recovered_path, g_free);
  g_clear_object (&op->result);
  g_clear_pointer (&op->results, g_ptr_array_unref);
  if (op->owns_history)
    g_clear_object (&op->history);
  g_free (op);
}

static int
run_read_ids (Store *store,
              Op    *op)
{
  return store_read_ids (store, op->ids, op->rows);
}

static int
run_check (Store *store,
           Op    *op)
{
  gint64 version = 0;
  int rc;

  op->changed = FALSE;
  if ((rc = store_get_int64 (store, "PRAGMA data_version", &version)) != SQLITE_OK)
    return rc;

  /* Only commits of other connections change it: ours are known already. */
  if (version == store->data_version)
    return SQLITE_OK;

  if ((rc = store_read_entries (store, &op->filter, op->entries)) != SQLITE_OK ||
      (rc = store_read_ids (store, op->ids, op->rows)) != SQLITE_OK)
    return rc;

  op->changed = TRUE;
  store->data_version = version;
  return SQLITE_OK;
}

static int
run_add (Store *store,
         Op    *op)
{
  g_autoptr(CachedStatement) stmt = NULL;
  PixverseTask *task = NULL;
  int rc;

  if (!(stmt = store_prepare (store, SQL_INSERT, &rc)))
    return rc;
  if ((rc = bind_task (stmt, op->snapshot)) != SQLITE_OK)
    return rc;
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    return rc;

  op->id = sqlite3_last_insert_rowid (store->db);

  /* Read back, so the task is exactly what is stored. */
  if ((rc = store_read_one (store, SQL_SELECT_BY_ID, op->id, NULL, &task)) != SQLITE_OK)
    return rc;
  if (task == NULL)
    return SQLITE_ERROR;

  g_ptr_array_set_size (op->rows, 0);
  g_ptr_array_add (op->rows, task);

  return store_matches (store, &op->filter, op->id, pixverse_task_get_status (task), &op->matches);
}

static int
run_save (Store *store,
          Op    *op)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  if (!(stmt = store_prepare (store, SQL_UPDATE, &rc)))
    return rc;
  if ((rc = bind_task (stmt, op->snapshot)) != SQLITE_OK ||
      (rc = sqlite3_bind_int64 (stmt, 20, op->id)) != SQLITE_OK)
    return rc;
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    return rc;

  /* No row: deleted (by the person, maybe in another process). Saving must
   * not bring it back. */
  op->found = sqlite3_changes (store->db) > 0;
  if (!op->found)
    return SQLITE_OK;

  return store_matches (store, &op->filter, op->id,
                        pixverse_task_get_status (op->snapshot), &op->matches);
}

static void
add_paths (GPtrArray          *files,
           const char * const *paths)
{
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      if (g_path_is_absolute (paths[i]) &&
          !g_ptr_array_find_with_equal_func (files, paths[i], g_str_equal, NULL))
        g_ptr_array_add (files, g_strdup (paths[i]));
    }
}

static int
run_delete (Store *store,
            Op    *op)
{
  g_autoptr(CachedStatement) select_stmt = NULL;
  g_autoptr(CachedStatement) delete_stmt = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  int rc;

  add_paths (files, (const char * const *) op->files);

  if (!(select_stmt = store_prepare (store, SQL_SELECT_FILES, &rc)))
    return rc;
  if ((rc = sqlite3_bind_int64 (select_stmt, 1, op->id)) != SQLITE_OK)
    return rc;

  rc = sqlite3_step (select_stmt);
  op->found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW)
    {
      g_auto(GStrv) videos = strv_from_json (column_text (select_stmt, 0));
      g_auto(GStrv) posters = strv_from_json (column_text (select_stmt, 1));

      add_paths (files, (const char * const *) videos);
      add_paths (files, (const char * const *) posters);
      op->created_at = sqlite3_column_int64 (select_stmt, 2);
    }
  else if (rc != SQLITE_DONE)
    return rc;

  if (!(delete_stmt = store_prepare (store, SQL_DELETE, &rc)))
    return rc;
  if ((rc = sqlite3_bind_int64 (delete_stmt, 1, op->id)) != SQLITE_OK)
    return rc;
  if ((rc = sqlite3_step (delete_stmt)) != SQLITE_DONE)
    return rc;

  g_clear_pointer (&op->files, g_strfreev);
  op->files = (GStrv) g_ptr_array_free (g_steal_pointer (&files), FALSE);

  return SQLITE_OK;
}

/* Once the row is gone for good: a file without a row is only wasted space,
 * a row without its file would be a job that says it has a video. */
static int
after_delete (Store *store,
              Op    *op)
{
  for (guint i = 0; op->files != NULL && op->files[i] != NULL; i++)
    {
      if (g_unlink (op->files[i]) != 0 && errno != ENOENT)
        g_message ("Could not remove %s: %s", op->files[i], g_strerror (errno));
    }

  return SQLITE_OK;
}

static int
run_find (Store *store,
          Op    *op)
{
  g_autoptr(PixverseTask) task = NULL;
  int rc;

  g_ptr_array_set_size (op->rows, 0);
  rc = store_read_one (store, SQL_SELECT_BY_TASK_ID, 0, op->text, &task);
  if (rc == SQLITE_OK && task != NULL)
    g_ptr_array_add (op->rows, g_steal_pointer (&task));

  return rc;
}

static int
run_list (Store *store,
          Op    *op)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  g_ptr_array_set_size (op->rows, 0);

  if (!(stmt = store_prepare (store, list_sql[filter_kind (&op->filter)], &rc)))
    return rc;
  if ((rc = bind_filter (stmt, &op->filter)) != SQLITE_OK ||
      (rc = sqlite3_bind_int64 (stmt, 3, op->limit > 0 ? op->limit : -1)) != SQLITE_OK)
    return rc;

  return store_read_rows (stmt, op->rows);
}

static int
run_list_unfinished (Store *store,
                     Op    *op)
{
  g_autoptr(CachedStatement) stmt = NULL;
  int rc;

  g_ptr_array_set_size (op->rows, 0);

  if (!(stmt = store_prepare (store, SQL_UNFINISHED, &rc)))
    return rc;

  return store_read_rows (stmt, op->rows);
}

/* ------------------------------------------------------------------------- *
 * The task cache (main context)
 * ------------------------------------------------------------------------- */

static void cache_weak_notify (gpointer  data,
                               GObject  *where_the_object_was);

static CacheEntry *
cache_lookup (PixverseHistory *self,
              gint64           id)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  return g_hash_table_lookup (self->cache, &id);
}

static void
cache_insert (PixverseHistory *self,
              PixverseTask    *task)
{
  CacheEntry *entry;

  g_assert (PIXVERSE_IS_HISTORY (self));
  g_assert (PIXVERSE_IS_TASK (task));
  g_assert (cache_lookup (self, pixverse_task_get_id (task)) == NULL);

  entry = g_new0 (CacheEntry, 1);
  entry->id = pixverse_task_get_id (task);
  entry->history = self;
  entry->task = task;
  g_object_weak_ref (G_OBJECT (task), cache_weak_notify, entry);
  g_hash_table_insert (self->cache, &entry->id, entry);
}

static void
cache_weak_notify (gpointer  data,
                   GObject  *where_the_object_was)
{
  CacheEntry *entry = data;

  g_hash_table_remove (entry->history->cache, &entry->id);
}

/* Forgets the task of row @id: it stays valid for whoever holds it, but is
 * no longer the one the history hands out or fills in. */
static void
cache_remove (PixverseHistory *self,
              gint64           id)
{
  CacheEntry *entry;
  GList *link;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!(entry = cache_lookup (self, id)))
    return;

  if ((link = g_queue_find (&self->recent, entry->task)))
    {
      g_object_unref (link->data);
      g_queue_delete_link (&self->recent, link);
    }

  /* The unref above may have finalized it, which removed the entry. */
  if ((entry = cache_lookup (self, id)))
    {
      g_object_weak_unref (G_OBJECT (entry->task), cache_weak_notify, entry);
      g_hash_table_remove (self->cache, &id);
    }
}

static void
recent_push (PixverseHistory *self,
             PixverseTask    *task)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  g_queue_push_head (&self->recent, g_object_ref (task));
  while (self->recent.length > RECENT_MAX)
    g_object_unref (g_queue_pop_tail (&self->recent));
}

static gboolean
saved_since (PixverseHistory *self,
             gint64           id,
             guint64          serial)
{
  gpointer value;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!g_hash_table_lookup_extended (self->saved, &id, NULL, &value))
    return FALSE;

  return *(guint64 *) value > serial;
}

/* The one task of this row: the live one, brought up to date with @row
 * unless a save since @serial made it newer, or @row itself from now on. */
static PixverseTask *
history_intern (PixverseHistory *self,
                PixverseTask    *row,
                guint64          serial)
{
  gint64 id = pixverse_task_get_id (row);
  CacheEntry *entry;

  g_assert (PIXVERSE_IS_HISTORY (self));
  g_assert (PIXVERSE_IS_TASK (row));

  if ((entry = cache_lookup (self, id)))
    {
      if (!saved_since (self, id, serial))
        pixverse_task_update_from (entry->task, row);
      return entry->task;
    }

  cache_insert (self, row);
  return row;
}

static GArray *
cached_ids (PixverseHistory *self)
{
  GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), g_hash_table_size (self->cache));
  GHashTableIter iter;
  CacheEntry *entry;

  g_assert (PIXVERSE_IS_HISTORY (self));

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    g_array_append_val (ids, entry->id);

  return ids;
}

/* ------------------------------------------------------------------------- *
 * The model's rows (main context)
 * ------------------------------------------------------------------------- */

static void
history_items_changed (PixverseHistory *self,
                       guint            position,
                       guint            removed,
                       guint            added)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
}

/* Takes the rows of a fresh read, telling what changed between the common
 * head and tail: one change, which is what happens in practice (new rows on
 * top, a row gone). */
static void
history_set_entries (PixverseHistory *self,
                     GArray          *entries)
{
  g_autoptr(GArray) old = NULL;
  guint n_old, n_new, prefix = 0, suffix = 0, n_min;

  g_assert (PIXVERSE_IS_HISTORY (self));

  old = g_steal_pointer (&self->entries);
  self->entries = g_array_ref (entries);

  n_old = old->len;
  n_new = entries->len;
  n_min = MIN (n_old, n_new);

  while (prefix < n_min &&
         g_array_index (old, Entry, prefix).id == g_array_index (entries, Entry, prefix).id)
    prefix++;
  while (suffix < n_min - prefix &&
         g_array_index (old, Entry, n_old - 1 - suffix).id ==
         g_array_index (entries, Entry, n_new - 1 - suffix).id)
    suffix++;

  if (prefix + suffix < n_old || prefix + suffix < n_new)
    history_items_changed (self, prefix, n_old - prefix - suffix, n_new - prefix - suffix);
}

static void
history_insert_entry (PixverseHistory *self,
                      gint64           id,
                      gint64           created_at)
{
  Entry entry = { created_at, id };
  guint position;
  gboolean found;

  g_assert (PIXVERSE_IS_HISTORY (self));

  position = entries_bisect (self->entries, &entry, &found);
  if (found)
    return;

  g_array_insert_val (self->entries, position, entry);
  history_items_changed (self, position, 0, 1);
}

static void
history_remove_entry (PixverseHistory *self,
                      gint64           id,
                      gint64           created_at)
{
  guint position;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!entries_find (self->entries, id, created_at, &position))
    return;

  g_array_remove_index (self->entries, position);
  history_items_changed (self, position, 1, 0);
}

static Op *
op_new (PixverseHistory *self,
        OpMode           mode,
        OpRunFunc        run,
        OpCompleteFunc   complete)
{
  Op *op = g_new0 (Op, 1);

  op->mode = mode;
  op->run = run;
  op->complete = complete;
  op->history = self;
  op->rows = g_ptr_array_new_with_free_func (g_object_unref);
  op->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  if (self != NULL)
    {
      op->serial = self->serial;
      filter_copy (&op->filter, &self->filter);
    }

  return op;
}

static void
history_push (PixverseHistory *self,
              GTask           *task)
{
  g_assert (PIXVERSE_IS_HISTORY (self));
  g_assert (G_IS_TASK (task));

  g_async_queue_push (self->queue, g_object_ref (task));
}

/* One of the model's own operations: holds no reference on @self, and is
 * cancelled with it. */
static void
history_push_internal (PixverseHistory *self,
                       Op              *op)
{
  g_autoptr(GTask) task = NULL;

  g_assert (PIXVERSE_IS_HISTORY (self));

  op->internal = TRUE;
  task = g_task_new (NULL, self->cancellable, NULL, NULL);
  g_task_set_source_tag (task, history_push_internal);
  g_task_set_name (task, "[pixverse] history model");
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  history_push (self, task);
}

static void
complete_read_page (PixverseHistory *self,
                    Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  for (guint i = 0; i < op->ids->len; i++)
    g_hash_table_remove (self->loading, &g_array_index (op->ids, gint64, i));

  if (op->error != NULL)
    {
      g_message ("Could not read jobs: %s", op->error->message);
      return;
    }

  for (guint i = 0; i < op->rows->len; i++)
    recent_push (self, history_intern (self, g_ptr_array_index (op->rows, i), op->serial));
}

/* Reads the page of rows around @position whose tasks are not alive or not
 * yet read, @position's own included. */
static void
history_load_page (PixverseHistory *self,
                   guint            position)
{
  gint64 wanted = g_array_index (self->entries, Entry, position).id;
  guint start = position / ROWS_PER_PAGE * ROWS_PER_PAGE;
  guint end = MIN (start + ROWS_PER_PAGE, self->entries->len);
  Op *op;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (g_hash_table_contains (self->loading, &wanted))
    return;

  op = op_new (self, OP_READ, run_read_ids, complete_read_page);
  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), ROWS_PER_PAGE);

  for (guint i = start; i < end; i++)
    {
      gint64 id = g_array_index (self->entries, Entry, i).id;

      if (id != wanted && (g_hash_table_contains (self->loading, &id) || cache_lookup (self, id)))
        continue;

      g_array_append_val (op->ids, id);
      g_hash_table_add (self->loading, g_memdup2 (&id, sizeof id));
    }

  history_push_internal (self, op);
}

static void
complete_reload (PixverseHistory *self,
                 Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  if (op->error != NULL)
    {
      g_message ("Could not read the job list: %s", op->error->message);
      return;
    }

  if (op->filter.serial == self->filter.serial)
    history_set_entries (self, op->entries);
}

static void
complete_check (PixverseHistory *self,
                Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  self->checking = FALSE;

  if (op->error != NULL)
    {
      g_debug ("Could not look for changes: %s", op->error->message);
      return;
    }

  if (!op->changed)
    return;

  g_debug ("%s changed elsewhere: reading it again", self->path);

  for (guint i = 0; i < op->rows->len; i++)
    history_intern (self, g_ptr_array_index (op->rows, i), op->serial);

  if (op->filter.serial == self->filter.serial)
    history_set_entries (self, op->entries);
}

static gboolean
check_timeout_cb (gpointer user_data)
{
  PixverseHistory *self = user_data;
  Op *op;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (self->checking)
    return G_SOURCE_CONTINUE;

  self->checking = TRUE;
  op = op_new (self, OP_READ, run_check, complete_check);
  op->ids = cached_ids (self);
  history_push_internal (self, op);

  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------- *
 * GListModel
 * ------------------------------------------------------------------------- */

static GType
pixverse_history_get_item_type (GListModel *model)
{
  return PIXVERSE_TYPE_TASK;
}

static guint
pixverse_history_get_n_items (GListModel *model)
{
  PixverseHistory *self = PIXVERSE_HISTORY (model);

  return self->entries->len;
}

static gpointer
pixverse_history_get_item (GListModel *model,
                           guint       position)
{
  PixverseHistory *self = PIXVERSE_HISTORY (model);
  PixverseTask *task;
  CacheEntry *entry;
  gint64 id;

  if (position >= self->entries->len)
    return NULL;

  id = g_array_index (self->entries, Entry, position).id;
  if ((entry = cache_lookup (self, id)))
    return g_object_ref (entry->task);

  /* Empty for now; filled in (and notifying) when its page is read. */
  task = pixverse_task_new (id, NULL);
  cache_insert (self, task);
  history_load_page (self, position);

  return task;
}

static void
pixverse_history_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = pixverse_history_get_item_type;
  iface->get_n_items = pixverse_history_get_n_items;
  iface->get_item = pixverse_history_get_item;
}

/* ------------------------------------------------------------------------- *
 * GObject
 * ------------------------------------------------------------------------- */

static void
pixverse_history_dispose (GObject *object)
{
  PixverseHistory *self = PIXVERSE_HISTORY (object);
  GHashTableIter iter;
  CacheEntry *entry;

  g_cancellable_cancel (self->cancellable);

  if (self->check_source != NULL)
    {
      g_source_destroy (self->check_source);
      g_clear_pointer (&self->check_source, g_source_unref);
    }

  /* The worker finishes what is queued (the cancelled quickly), closes the
   * connection and ends. */
  if (self->thread != NULL)
    {
      g_async_queue_push (self->queue, &quit_marker);
      g_thread_join (g_steal_pointer (&self->thread));
    }

  g_queue_clear_full (&self->recent, g_object_unref);

  g_hash_table_iter_init (&iter, self->cache);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      g_object_weak_unref (G_OBJECT (entry->task), cache_weak_notify, entry);
      g_hash_table_iter_remove (&iter);
    }

  G_OBJECT_CLASS (pixverse_history_parent_class)->dispose (object);
}

static void
pixverse_history_finalize (GObject *object)
{
  PixverseHistory *self = PIXVERSE_HISTORY (object);

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->recovered_path, g_free);
  g_clear_pointer (&self->search, g_free);
  filter_clear (&self->filter);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->loading, g_hash_table_unref);
  g_clear_pointer (&self->saved, g_hash_table_unref);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->outbox, outbox_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pixverse_history_parent_class)->finalize (object);
}

static void
pixverse_history_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PixverseHistory *self = PIXVERSE_HISTORY (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->entries->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_history_class_init (PixverseHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pixverse_history_dispose;
  object_class->finalize = pixverse_history_finalize;
  object_class->get_property = pixverse_history_get_property;

  /**
   * PixverseHistory:n-items:
   *
   * The number of jobs in the model under the current filter.
   */
  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_history_init (PixverseHistory *self)
{
  self->cancellable = g_cancellable_new ();
  self->queue = g_async_queue_new ();
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  self->cache = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  self->loading = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->saved = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->filter.status = -1;
  g_queue_init (&self->recent);
}

/* ------------------------------------------------------------------------- *
 * Public API
 * ------------------------------------------------------------------------- */

/**
 * pixverse_history_default_path:
 *
 * Where the history lives: `$XDG_DATA_HOME/pixverse-studio/history.db`. The
 * directory is made (mode 0700) if missing.
 *
 * Returns: (transfer full): the path
 */
char *
pixverse_history_default_path (void)
{
  g_autofree char *dir = ensure_dir (g_build_filename (g_get_user_data_dir (),
                                                       "pixverse-studio", NULL));

  return g_build_filename (dir, "history.db", NULL);
}

/**
 * pixverse_history_videos_dir:
 *
 * Where downloaded videos go: `$XDG_DATA_HOME/pixverse-studio/videos`, made
 * (mode 0700) if missing.
 *
 * Returns: (transfer full): the path
 */
char *
pixverse_history_videos_dir (void)
{
  return ensure_dir (g_build_filename (g_get_user_data_dir (), "pixverse-studio", "videos", NULL));
}

/**
 * pixverse_history_posters_dir:
 *
 * Where poster frames go: `$XDG_CACHE_HOME/pixverse-studio`, made (mode
 * 0700) if missing.
 *
 * Returns: (transfer full): the path
 */
char *
pixverse_history_posters_dir (void)
{
  return ensure_dir (g_build_filename (g_get_user_cache_dir (), "pixverse-studio", NULL));
}

static void
complete_open (PixverseHistory *self,
               Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran)
    return;

  self->recovered_path = g_steal_pointer (&op->recovered_path);
  g_clear_pointer (&self->entries, g_array_unref);
  self->entries = g_array_ref (op->entries);

  self->check_source = g_timeout_source_new (CHECK_INTERVAL_MS);
  g_source_set_static_name (self->check_source, "[pixverse] history changes");
  g_source_set_callback (self->check_source, check_timeout_cb, self, NULL);
  g_source_attach (self->check_source, self->context);
}

/**
 * pixverse_history_open_async:
 * @path: (nullable): the database file; %NULL for
 *   pixverse_history_default_path()
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the history is open (or could not be)
 * @user_data: data for @callback
 *
 * Opens (making it if needed) the history at @path on a worker thread:
 * checks it (a damaged file is moved aside, see
 * pixverse_history_get_recovered_path()), brings its format up to date and
 * reads the list of jobs, without reading the jobs themselves. Results of
 * this history's operations are delivered to the thread-default main
 * context of this call.
 */
void
pixverse_history_open_async (const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PixverseHistory *self;
  Store *store;
  Op *op;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (PIXVERSE_TYPE_HISTORY, NULL);
  self->path = path != NULL ? g_strdup (path) : pixverse_history_default_path ();
  self->context = g_main_context_ref_thread_default ();
  self->outbox = outbox_new (self->context);

  store = g_new0 (Store, 1);
  store->path = g_strdup (self->path);
  store->queue = g_async_queue_ref (self->queue);
  store->outbox = outbox_ref (self->outbox);
  store->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, statement_finalize);
  self->thread = g_thread_new ("pixverse-history", worker_thread, store);

  op = op_new (self, OP_CUSTOM, run_open, complete_open);
  op->owns_history = TRUE;   /* self's only reference until it returns */

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_history_open_async);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  history_push (self, task);
}

/**
 * pixverse_history_open_finish:
 * @result: the result given to the callback
 * @error: the place for an error: %G_IO_ERROR_NOT_SUPPORTED for a history
 *   written by a newer version of the app (left untouched), another
 *   %G_IO_ERROR naming the file otherwise
 *
 * Returns: (transfer full) (nullable): the history, or %NULL on error
 */
PixverseHistory *
pixverse_history_open_finish (GAsyncResult  *result,
                              GError       **error)
{
  Op *op;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, pixverse_history_open_async), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  op = g_task_get_task_data (G_TASK (result));
  return g_object_ref (op->history);
}

/**
 * pixverse_history_get_path:
 * @self: a #PixverseHistory
 *
 * Returns: (transfer none): the database file
 */
const char *
pixverse_history_get_path (PixverseHistory *self)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);

  return self->path;
}

/**
 * pixverse_history_get_recovered_path:
 * @self: a #PixverseHistory
 *
 * When the database was damaged at open, it was moved aside (with its WAL)
 * and a new one started; this says where the old one went, so the person
 * can be told.
 *
 * Returns: (transfer none) (nullable): the damaged file's new path, or %NULL
 */
const char *
pixverse_history_get_recovered_path (PixverseHistory *self)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);

  return self->recovered_path;
}

/**
 * pixverse_history_set_filter:
 * @self: a #PixverseHistory
 * @search: (nullable): words the prompt must contain (each as a word prefix),
 *   or %NULL / "" for all
 * @status: a #PixverseJobStatus, or -1 for all
 *
 * Filters the model. The text is never given to SQLite as a query: each word
 * is quoted. The model changes when the new list has been read.
 */
void
pixverse_history_set_filter (PixverseHistory *self,
                             const char      *search,
                             int              status)
{
  g_autofree char *match = NULL;
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (status == -1 || pixverse_job_status_to_string (status) != NULL);

  match = build_match (search);
  g_set_str (&self->search, search);
  if (g_strcmp0 (match, self->filter.match) == 0 && status == self->filter.status)
    return;

  g_free (self->filter.match);
  self->filter.match = g_steal_pointer (&match);
  self->filter.status = status;
  self->filter.serial++;

  op = op_new (self, OP_READ, run_read_entries, complete_reload);
  history_push_internal (self, op);
}

/**
 * pixverse_history_lookup:
 * @self: a #PixverseHistory
 * @id: a row id
 *
 * Returns: (transfer none) (nullable): the task of row @id if one is alive
 *   (someone holds it), else %NULL; never reads the database
 */
PixverseTask *
pixverse_history_lookup (PixverseHistory *self,
                         gint64           id)
{
  CacheEntry *entry;

  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);

  entry = cache_lookup (self, id);
  return entry != NULL ? entry->task : NULL;
}

static GTask *
history_task_new (PixverseHistory     *self,
                  Op                  *op,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data,
                  gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);

  /* Once written, it is written: a write reports success even if the
   * caller cancelled meanwhile, so nobody writes it twice. */
  if (op->mode == OP_WRITE)
    g_task_set_check_cancellable (task, FALSE);

  return task;
}

/* Interns the rows an op read, for a finish function to hand out. */
static void
complete_rows (PixverseHistory *self,
               Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran)
    return;

  op->results = g_ptr_array_new_full (op->rows->len, g_object_unref);
  for (guint i = 0; i < op->rows->len; i++)
    {
      PixverseTask *task = history_intern (self, g_ptr_array_index (op->rows, i), op->serial);

      g_ptr_array_add (op->results, g_object_ref (task));
    }
}

/**
 * pixverse_history_list_async:
 * @self: a #PixverseHistory
 * @search: (nullable): words the prompt must contain, as for
 *   pixverse_history_set_filter()
 * @status: a #PixverseJobStatus, or -1 for all
 * @limit: at most this many, or 0 for all
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the tasks
 * @user_data: data for @callback
 *
 * Reads fully loaded tasks, newest first, independently of the model's
 * filter; for the command line, which lists at once.
 */
void
pixverse_history_list_async (PixverseHistory     *self,
                             const char          *search,
                             int                  status,
                             guint                limit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (status == -1 || pixverse_job_status_to_string (status) != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (self, OP_READ, run_list, complete_rows);
  filter_clear (&op->filter);
  op->filter.match = build_match (search);
  op->filter.status = status;
  op->limit = limit;

  task = history_task_new (self, op, cancellable, callback, user_data, pixverse_history_list_async);
  history_push (self, task);
}

static GPtrArray *
finish_results (PixverseHistory  *self,
                GAsyncResult     *result,
                gpointer          source_tag,
                GError          **error)
{
  Op *op;

  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, source_tag), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  op = g_task_get_task_data (G_TASK (result));
  return g_ptr_array_ref (op->results);
}

/**
 * pixverse_history_list_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: (transfer container) (element-type PixverseTask): the tasks, the
 *   live ones where they exist, or %NULL on error
 */
GPtrArray *
pixverse_history_list_finish (PixverseHistory  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  return finish_results (self, result, pixverse_history_list_async, error);
}

static void
complete_add (PixverseHistory *self,
              Op              *op)
{
  PixverseTask *task;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran)
    return;

  task = history_intern (self, g_ptr_array_index (op->rows, 0), op->serial);
  op->result = g_object_ref (task);

  /* For a filter set since, the list being read includes the row. */
  if (op->matches && op->filter.serial == self->filter.serial)
    history_insert_entry (self, op->id, pixverse_task_get_created_at (task));
}

/**
 * pixverse_history_add_async:
 * @self: a #PixverseHistory
 * @request: what will be asked for; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the job is written
 * @user_data: data for @callback
 *
 * Writes a new job, in status submitting and created now, before anything is
 * sent: a crash while sending leaves a row that says so. The model shows it
 * (where it belongs under the filter) before @callback runs.
 */
void
pixverse_history_add_async (PixverseHistory     *self,
                            PixverseRequest     *request,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  gint64 now = now_seconds ();
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (PIXVERSE_IS_REQUEST (request));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (self, OP_WRITE, run_add, complete_add);
  op->snapshot = pixverse_task_new (0, request);
  pixverse_task_set_status (op->snapshot, PIXVERSE_JOB_SUBMITTING);
  pixverse_task_set_created_at (op->snapshot, now);
  pixverse_task_set_updated_at (op->snapshot, now);

  task = history_task_new (self, op, cancellable, callback, user_data, pixverse_history_add_async);
  history_push (self, task);
}

/**
 * pixverse_history_add_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: (transfer full) (nullable): the new job, the same object the model
 *   hands out for it, or %NULL on error
 */
PixverseTask *
pixverse_history_add_finish (PixverseHistory  *self,
                             GAsyncResult     *result,
                             GError          **error)
{
  Op *op;

  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, pixverse_history_add_async), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  op = g_task_get_task_data (G_TASK (result));
  return g_object_ref (op->result);
}

static void
complete_save (PixverseHistory *self,
               Op              *op)
{
  CacheEntry *entry;

  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran || !op->found)
    return;

  /* A copy of the job (from list_async, say) saved: the live one follows. */
  if ((entry = cache_lookup (self, op->id)) && entry->task != op->result)
    pixverse_task_update_from (entry->task, op->snapshot);

  if (op->filter.serial != self->filter.serial)
    return;

  if (op->matches)
    history_insert_entry (self, op->id, pixverse_task_get_created_at (op->snapshot));
  else
    history_remove_entry (self, op->id, pixverse_task_get_created_at (op->snapshot));
}

/**
 * pixverse_history_save_async:
 * @self: a #PixverseHistory
 * @task: a job of this history
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is written
 * @user_data: data for @callback
 *
 * Stores every field of @task as it is now, with updated-at set to now. A
 * job deleted meanwhile stays deleted (and the save succeeds). When @task is
 * not the live task of its row, the live one is updated from it.
 */
void
pixverse_history_save_async (PixverseHistory     *self,
                             PixverseTask        *task,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  gint64 id;
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));
  g_return_if_fail (pixverse_task_get_id (task) > 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  /* A task handed out by the model before its row was read is empty:
   * saving it would blank the row. */
  if (pixverse_task_get_created_at (task) == 0)
    {
      g_task_report_new_error (self, callback, user_data, pixverse_history_save_async,
                               PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                               _("This job has not been read from the history yet"));
      return;
    }

  id = pixverse_task_get_id (task);
  pixverse_task_set_updated_at (task, now_seconds ());

  /* Newer than any read queued so far. */
  self->serial++;
  g_hash_table_insert (self->saved, g_memdup2 (&id, sizeof id),
                       g_memdup2 (&self->serial, sizeof self->serial));

  op = op_new (self, OP_WRITE, run_save, complete_save);
  op->id = id;
  op->snapshot = pixverse_task_new (id, NULL);
  pixverse_task_update_from (op->snapshot, task);
  op->result = g_object_ref (task);

  gtask = history_task_new (self, op, cancellable, callback, user_data,
                            pixverse_history_save_async);
  history_push (self, gtask);
}

/**
 * pixverse_history_save_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: %TRUE if the job is stored (or was deleted meanwhile)
 */
gboolean
pixverse_history_save_finish (PixverseHistory  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, pixverse_history_save_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
complete_delete (PixverseHistory *self,
                 Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran)
    return;

  history_remove_entry (self, op->id, op->created_at);
  cache_remove (self, op->id);
  g_hash_table_remove (self->saved, &op->id);
}

/**
 * pixverse_history_delete_async:
 * @self: a #PixverseHistory
 * @task: a job of this history
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * Removes the job's row, then its video and poster files (those already
 * gone are no error). The model drops it before @callback runs.
 */
void
pixverse_history_delete_async (PixverseHistory     *self,
                               PixverseTask        *task,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) gtask = NULL;
  g_autoptr(GStrvBuilder) files = g_strv_builder_new ();
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));
  g_return_if_fail (pixverse_task_get_id (task) > 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (self, OP_WRITE, run_delete, complete_delete);
  op->after_commit = after_delete;
  op->id = pixverse_task_get_id (task);
  op->created_at = pixverse_task_get_created_at (task);
  g_strv_builder_addv (files, (const char **) pixverse_task_get_video_paths (task));
  g_strv_builder_addv (files, (const char **) pixverse_task_get_poster_paths (task));
  op->files = g_strv_builder_end (files);

  gtask = history_task_new (self, op, cancellable, callback, user_data,
                            pixverse_history_delete_async);
  history_push (self, gtask);
}

/**
 * pixverse_history_delete_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: %TRUE if the job is gone
 */
gboolean
pixverse_history_delete_finish (PixverseHistory  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, pixverse_history_delete_async), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
complete_find (PixverseHistory *self,
               Op              *op)
{
  g_assert (PIXVERSE_IS_HISTORY (self));

  if (!op->ran || op->rows->len == 0)
    return;

  op->result = g_object_ref (history_intern (self, g_ptr_array_index (op->rows, 0), op->serial));
}

/**
 * pixverse_history_find_async:
 * @self: a #PixverseHistory
 * @task_id: the service's task id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the job
 * @user_data: data for @callback
 *
 * Reads the job with the service's @task_id.
 */
void
pixverse_history_find_async (PixverseHistory     *self,
                             const char          *task_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (task_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (self, OP_READ, run_find, complete_find);
  op->text = g_strdup (task_id);

  task = history_task_new (self, op, cancellable, callback, user_data, pixverse_history_find_async);
  history_push (self, task);
}

/**
 * pixverse_history_find_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: (transfer full) (nullable): the job (the live task if there is
 *   one), or %NULL with no error when there is none, or %NULL on error
 */
PixverseTask *
pixverse_history_find_finish (PixverseHistory  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  Op *op;

  g_return_val_if_fail (PIXVERSE_IS_HISTORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, pixverse_history_find_async), NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  op = g_task_get_task_data (G_TASK (result));
  return op->result != NULL ? g_object_ref (op->result) : NULL;
}

/**
 * pixverse_history_list_unfinished_async:
 * @self: a #PixverseHistory
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the jobs
 * @user_data: data for @callback
 *
 * Reads the jobs with work left for the monitor: processing, or completed
 * with downloads not done (none, running or failed). Not those left in
 * submitting (the create request may have reached the service: they are
 * never sent again by themselves), nor unknown ones (resumed by hand).
 */
void
pixverse_history_list_unfinished_async (PixverseHistory     *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (PIXVERSE_IS_HISTORY (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  op = op_new (self, OP_READ, run_list_unfinished, complete_rows);

  task = history_task_new (self, op, cancellable, callback, user_data,
                           pixverse_history_list_unfinished_async);
  history_push (self, task);
}

/**
 * pixverse_history_list_unfinished_finish:
 * @self: a #PixverseHistory
 * @result: the result given to the callback
 * @error: the place for a %G_IO_ERROR
 *
 * Returns: (transfer container) (element-type PixverseTask): the jobs, newest
 *   first, the live tasks where they exist, or %NULL on error
 */
GPtrArray *
pixverse_history_list_unfinished_finish (PixverseHistory  *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  return finish_results (self, result, pixverse_history_list_unfinished_async, error);
}
