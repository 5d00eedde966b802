/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-application.h"
#include "pixverse-composer.h"
#include "pixverse-job-page.h"

G_BEGIN_DECLS

/*
 * The main window: the history in the sidebar (search, status filter), the
 * composer or a job's page as content, the credits left, and the window
 * actions "win.generate", "win.reuse-settings" (x), "win.delete-task" (x),
 * "win.check-again" (x), "win.show-task" (x), "win.search", "win.new-job".
 */
#define PIXVERSE_TYPE_WINDOW (pixverse_window_get_type ())
G_DECLARE_FINAL_TYPE (PixverseWindow, pixverse_window, PIXVERSE, WINDOW, AdwApplicationWindow)

PixverseWindow   *pixverse_window_new            (PixverseApplication *application);
PixverseComposer *pixverse_window_get_composer   (PixverseWindow      *self);
/* The job page, once the history is open; else NULL. */
PixverseJobPage  *pixverse_window_get_job_page   (PixverseWindow      *self);
/* The sidebar's list model (the history, less rows whose deletion can still
 * be undone), or NULL before the history is open. */
GListModel       *pixverse_window_get_jobs       (PixverseWindow      *self);
/* The task shown in the content area, or NULL while composing. */
PixverseTask     *pixverse_window_get_shown_task (PixverseWindow      *self);
void              pixverse_window_add_toast      (PixverseWindow      *self,
                                                  AdwToast            *toast);

G_END_DECLS
