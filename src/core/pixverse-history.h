/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pixverse-request.h"
#include "pixverse-task.h"

G_BEGIN_DECLS

/*
 * The job history: SQLite at $XDG_DATA_HOME/pixverse-studio/history.db, one
 * connection on one worker thread, results delivered to the caller's main
 * context. A GListModel of PixverseTask, newest first, over the current
 * filter; items are made on demand (filled in from the database without
 * blocking) and cached weakly, so a history of 100 000 jobs opens like one of
 * 1 000. Another process's writes show within a second.
 */

#define PIXVERSE_TYPE_HISTORY (pixverse_history_get_type ())
G_DECLARE_FINAL_TYPE (PixverseHistory, pixverse_history, PIXVERSE, HISTORY, GObject)

/* $XDG_DATA_HOME/pixverse-studio, .../videos, $XDG_CACHE_HOME/pixverse-studio */
char            *pixverse_history_default_path     (void);
char            *pixverse_history_videos_dir       (void);
char            *pixverse_history_posters_dir      (void);

void             pixverse_history_open_async       (const char           *path,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
PixverseHistory *pixverse_history_open_finish      (GAsyncResult         *result,
                                                    GError              **error);
const char      *pixverse_history_get_path         (PixverseHistory      *self);
/* Where a corrupt database was moved aside at open, or NULL. */
const char      *pixverse_history_get_recovered_path (PixverseHistory    *self);

/* Filters the model: prompt words (FTS5), and a status or -1 for all. */
void             pixverse_history_set_filter       (PixverseHistory      *self,
                                                    const char           *search,
                                                    int                   status);

/* The live task of row @id if some model user holds it, else NULL (no I/O). */
PixverseTask    *pixverse_history_lookup           (PixverseHistory      *self,
                                                    gint64                id);

/* Fully loaded tasks, newest first, matching @search/@status (-1: all), at
 * most @limit (0: no limit); for the command line, which lists at once. */
void             pixverse_history_list_async       (PixverseHistory      *self,
                                                    const char           *search,
                                                    int                   status,
                                                    guint                 limit,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GPtrArray       *pixverse_history_list_finish      (PixverseHistory      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Writes a new job (status submitting, created now) before anything is sent. */
void             pixverse_history_add_async        (PixverseHistory      *self,
                                                    PixverseRequest      *request,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
PixverseTask    *pixverse_history_add_finish       (PixverseHistory      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Stores every field of @task (updated_at set to now). */
void             pixverse_history_save_async       (PixverseHistory      *self,
                                                    PixverseTask         *task,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         pixverse_history_save_finish      (PixverseHistory      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Removes the job and its video and poster files. */
void             pixverse_history_delete_async     (PixverseHistory      *self,
                                                    PixverseTask         *task,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         pixverse_history_delete_finish    (PixverseHistory      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* The job with the service's @task_id, or NULL (no error) when there is none. */
void             pixverse_history_find_async       (PixverseHistory      *self,
                                                    const char           *task_id,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
PixverseTask    *pixverse_history_find_finish      (PixverseHistory      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Jobs with work left: processing, or completed with downloads not done. */
void             pixverse_history_list_unfinished_async  (PixverseHistory     *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
GPtrArray       *pixverse_history_list_unfinished_finish (PixverseHistory     *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

G_END_DECLS
