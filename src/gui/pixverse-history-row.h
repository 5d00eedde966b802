/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-task.h"

G_BEGIN_DECLS

/*
 * One job in the sidebar list: poster frame (or the input image, or a mode
 * icon), prompt, options in short ("720p · 16:9 · 5 s · ×2"), relative time,
 * and the status (progress with time left, completed, failed with the reason,
 * unknown with a "Check Again" button that activates "win.check-again" with
 * the task's row id, type "x"). Bound to its task through "task".
 *
 * "summary" (read-only string) is the prompt and the status in one sentence,
 * for a GtkListItem's "accessible-label" to bind to; the row also sets it as
 * its own accessible label.
 */
#define PIXVERSE_TYPE_HISTORY_ROW (pixverse_history_row_get_type ())
G_DECLARE_FINAL_TYPE (PixverseHistoryRow, pixverse_history_row, PIXVERSE, HISTORY_ROW, GtkWidget)

GtkWidget    *pixverse_history_row_new         (void);
PixverseTask *pixverse_history_row_get_task    (PixverseHistoryRow *self);
void          pixverse_history_row_set_task    (PixverseHistoryRow *self,
                                                PixverseTask       *task);
const char   *pixverse_history_row_get_summary (PixverseHistoryRow *self);

/* "720p · 16:9 · 5 s · ×2", shared by the row and the job page */
char         *pixverse_format_options          (PixverseRequest    *request);

/* Internal to the GUI (shared with the job page and the tests). Times are
 * Unix seconds. */
char         *_pixverse_format_relative_time   (gint64              then,
                                                gint64              now);
char         *_pixverse_format_remaining       (gint64              seconds);
/* The short status of @task at @now ("Sending…", "About 1 min left",
 * "Completed", "Failed: …", "Still unknown"); @style_class, if not NULL, gets
 * "error", "warning" or NULL. */
char         *_pixverse_task_dup_status_text   (PixverseTask       *task,
                                                gint64              now,
                                                const char        **style_class);
/* Whether @task shows a progress bar at @now; @fraction gets its value, or
 * -1 when the bar should pulse (past the estimate, or no estimate). */
gboolean      _pixverse_task_get_progress      (PixverseTask       *task,
                                                gint64              now,
                                                double             *fraction);
/* A submitting job older than this was most likely left by a crash. */
#define PIXVERSE_SUBMIT_STALE_SECONDS 120

G_END_DECLS
