/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pixverse-request.h"

G_BEGIN_DECLS

/* Where one job is, as the history keeps it. */
typedef enum
{
  PIXVERSE_JOB_SUBMITTING,   /* row written, create request not answered (yet) */
  PIXVERSE_JOB_PROCESSING,   /* the service has it: task id known */
  PIXVERSE_JOB_COMPLETED,    /* result URLs known */
  PIXVERSE_JOB_FAILED,       /* the service says it failed, or create was refused */
  PIXVERSE_JOB_UNKNOWN,      /* past the long cap: kept, resumable by hand */
} PixverseJobStatus;

/* The local copies of a completed job's videos. */
typedef enum
{
  PIXVERSE_DOWNLOAD_NONE,
  PIXVERSE_DOWNLOAD_RUNNING,
  PIXVERSE_DOWNLOAD_DONE,
  PIXVERSE_DOWNLOAD_FAILED,   /* retried with backoff; "Download Again" by hand */
  PIXVERSE_DOWNLOAD_EXPIRED,  /* the result URLs no longer work */
} PixverseDownloadState;

#define PIXVERSE_TYPE_JOB_STATUS (pixverse_job_status_get_type ())
GType pixverse_job_status_get_type (void) G_GNUC_CONST;
#define PIXVERSE_TYPE_DOWNLOAD_STATE (pixverse_download_state_get_type ())
GType pixverse_download_state_get_type (void) G_GNUC_CONST;

const char *pixverse_job_status_to_string   (PixverseJobStatus  status);
gboolean    pixverse_job_status_from_string (const char        *text,
                                             PixverseJobStatus *status);
gboolean    pixverse_job_status_is_finished (PixverseJobStatus  status);

const char *pixverse_download_state_to_string   (PixverseDownloadState  state);
gboolean    pixverse_download_state_from_string (const char            *text,
                                                 PixverseDownloadState *state);

#define PIXVERSE_TYPE_TASK (pixverse_task_get_type ())
G_DECLARE_FINAL_TYPE (PixverseTask, pixverse_task, PIXVERSE, TASK, GObject)

/*
 * One job: its request, the service's task id, its status and results, and
 * the files made from them. Plain data with properties (for the GUI to bind);
 * the history stores it and the monitor moves it along. Setters notify only
 * on change.
 */
PixverseTask          *pixverse_task_new                (gint64                 id,
                                                         PixverseRequest       *request);
gint64                 pixverse_task_get_id             (PixverseTask          *self);
PixverseRequest       *pixverse_task_get_request        (PixverseTask          *self);
const char            *pixverse_task_get_task_id        (PixverseTask          *self);
void                   pixverse_task_set_task_id        (PixverseTask          *self,
                                                         const char            *task_id);
PixverseJobStatus      pixverse_task_get_status         (PixverseTask          *self);
void                   pixverse_task_set_status         (PixverseTask          *self,
                                                         PixverseJobStatus      status);
const char            *pixverse_task_get_message        (PixverseTask          *self);
void                   pixverse_task_set_message        (PixverseTask          *self,
                                                         const char            *message);
int                    pixverse_task_get_estimated_time (PixverseTask          *self);
void                   pixverse_task_set_estimated_time (PixverseTask          *self,
                                                         int                    estimated_time);
/* Unix times in seconds; 0 when not yet */
gint64                 pixverse_task_get_created_at     (PixverseTask          *self);
void                   pixverse_task_set_created_at     (PixverseTask          *self,
                                                         gint64                 created_at);
gint64                 pixverse_task_get_updated_at     (PixverseTask          *self);
void                   pixverse_task_set_updated_at     (PixverseTask          *self,
                                                         gint64                 updated_at);
gint64                 pixverse_task_get_finished_at    (PixverseTask          *self);
void                   pixverse_task_set_finished_at    (PixverseTask          *self,
                                                         gint64                 finished_at);
const char * const    *pixverse_task_get_result_urls    (PixverseTask          *self);
void                   pixverse_task_set_result_urls    (PixverseTask          *self,
                                                         const char * const    *urls);
/* Absolute paths, one per result (NULL-terminated; "" where not made yet). */
const char * const    *pixverse_task_get_video_paths    (PixverseTask          *self);
void                   pixverse_task_set_video_paths    (PixverseTask          *self,
                                                         const char * const    *paths);
const char * const    *pixverse_task_get_poster_paths   (PixverseTask          *self);
void                   pixverse_task_set_poster_paths   (PixverseTask          *self,
                                                         const char * const    *paths);
PixverseDownloadState  pixverse_task_get_download_state (PixverseTask          *self);
void                   pixverse_task_set_download_state (PixverseTask          *self,
                                                         PixverseDownloadState  state);
/* Download progress 0.0–1.0 while running (not stored). */
double                 pixverse_task_get_download_progress (PixverseTask       *self);
void                   pixverse_task_set_download_progress (PixverseTask       *self,
                                                            double              progress);

/* Copies every stored field of @from (same id) into @self, notifying changes. */
void                   pixverse_task_update_from        (PixverseTask          *self,
                                                         PixverseTask          *from);

G_END_DECLS
