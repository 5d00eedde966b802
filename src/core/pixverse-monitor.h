/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pixverse-client.h"
#include "pixverse-history.h"

G_BEGIN_DECLS

/*
 * Moves jobs along: submits them (row first, then create, then the task id
 * the moment it arrives), polls every unfinished job on the schedule of
 * pixverse-schedule.h (one request in flight per job, jobs independent),
 * downloads results to videos/<task_id>_<n>.mp4 and makes poster frames,
 * saving each step in the history. Never creates a job twice.
 */

#define PIXVERSE_TYPE_MONITOR (pixverse_monitor_get_type ())
G_DECLARE_FINAL_TYPE (PixverseMonitor, pixverse_monitor, PIXVERSE, MONITOR, GObject)

PixverseMonitor *pixverse_monitor_new             (PixverseClient       *client,
                                                   PixverseHistory      *history);
PixverseClient  *pixverse_monitor_get_client      (PixverseMonitor      *self);
PixverseHistory *pixverse_monitor_get_history     (PixverseMonitor      *self);
/* Jobs being submitted, polled or downloaded now. */
guint            pixverse_monitor_get_n_active    (PixverseMonitor      *self);

/* Picks up every unfinished job of the history. */
void             pixverse_monitor_resume          (PixverseMonitor      *self);

/* @image_file, if any, is uploaded first and becomes the image URL. The
 * task is returned once the create answer is stored (or the failure). */
void             pixverse_monitor_submit_async    (PixverseMonitor      *self,
                                                   PixverseRequest      *request,
                                                   GFile                *image_file,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
PixverseTask    *pixverse_monitor_submit_finish   (PixverseMonitor      *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

/* A job marked unknown (or any unfinished one): poll it again now. */
void             pixverse_monitor_check_again     (PixverseMonitor      *self,
                                                   PixverseTask         *task);
/* Fetches a completed job's videos again (never creates it again). */
void             pixverse_monitor_download_again  (PixverseMonitor      *self,
                                                   PixverseTask         *task);

G_END_DECLS
