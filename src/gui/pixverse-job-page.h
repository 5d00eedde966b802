/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-monitor.h"
#include "pixverse-task.h"
#include "pixverse-video-card.h"

G_BEGIN_DECLS

/*
 * One job's page: its prompt and options, its status, and every result video
 * playable inline (GtkVideo) with Save As… (GtkFileDialog), Open With…
 * (GtkFileLauncher), Copy Link; Copy Task ID, Download Again (through the
 * monitor), and two actions the window handles: "win.reuse-settings" and
 * "win.delete-task", each with the task's row id (type "x").
 */
#define PIXVERSE_TYPE_JOB_PAGE (pixverse_job_page_get_type ())
G_DECLARE_FINAL_TYPE (PixverseJobPage, pixverse_job_page, PIXVERSE, JOB_PAGE, AdwBin)

GtkWidget       *pixverse_job_page_new         (PixverseMonitor *monitor);
PixverseTask    *pixverse_job_page_get_task    (PixverseJobPage *self);
void             pixverse_job_page_set_task    (PixverseJobPage *self,
                                                PixverseTask    *task);
PixverseMonitor *pixverse_job_page_get_monitor (PixverseJobPage *self);

/* Internal (for the tests): the result videos shown, in order. */
guint              _pixverse_job_page_get_n_videos   (PixverseJobPage *self);
PixverseVideoCard *_pixverse_job_page_get_video_card (PixverseJobPage *self,
                                                      guint            index);

G_END_DECLS
