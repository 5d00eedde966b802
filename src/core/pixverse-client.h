/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pixverse-request.h"

G_BEGIN_DECLS

#define PIXVERSE_DEFAULT_API_URL "https://api.pixwith.ai"
#define PIXVERSE_TEST_API_KEY "key_00000000000000000000000000000000"
/* The service accepts JPEG and PNG images up to this size for image-to-video. */
#define PIXVERSE_MAX_IMAGE_SIZE (10 * 1024 * 1024)

typedef enum
{
  PIXVERSE_TASK_STATUS_PROCESSING = 1,
  PIXVERSE_TASK_STATUS_COMPLETED = 2,
  PIXVERSE_TASK_STATUS_FAILED = 3,
} PixverseTaskStatus;

/**
 * PixverseTaskInfo:
 * @task_id: the service's id of the job
 * @status: where the job is
 * @result_urls: (array zero-terminated=1): the videos, once completed; else empty
 *
 * What `/api/task/get` says of one job.
 */
typedef struct
{
  char               *task_id;
  PixverseTaskStatus  status;
  char              **result_urls;
} PixverseTaskInfo;

#define PIXVERSE_TYPE_TASK_INFO (pixverse_task_info_get_type ())
GType             pixverse_task_info_get_type (void) G_GNUC_CONST;
PixverseTaskInfo *pixverse_task_info_copy     (const PixverseTaskInfo *info);
void              pixverse_task_info_free     (PixverseTaskInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PixverseTaskInfo, pixverse_task_info_free)

/**
 * PixverseProgressFunc:
 * @current: bytes done
 * @total: bytes in all, or -1 when not known
 * @user_data: the data given with the call
 *
 * Progress of an upload or a download, called in the caller's main context.
 */
typedef void (*PixverseProgressFunc) (goffset  current,
                                      goffset  total,
                                      gpointer user_data);

#define PIXVERSE_TYPE_CLIENT (pixverse_client_get_type ())
G_DECLARE_FINAL_TYPE (PixverseClient, pixverse_client, PIXVERSE, CLIENT, GObject)

gboolean          pixverse_check_base_url            (const char           *base_url,
                                                      GError              **error);

PixverseClient   *pixverse_client_new                (const char           *base_url,
                                                      const char           *api_key,
                                                      GError              **error);
const char       *pixverse_client_get_base_url       (PixverseClient       *self);
const char       *pixverse_client_get_api_key        (PixverseClient       *self);
void              pixverse_client_set_api_key        (PixverseClient       *self,
                                                      const char           *api_key);
guint             pixverse_client_get_timeout        (PixverseClient       *self);
void              pixverse_client_set_timeout        (PixverseClient       *self,
                                                      guint                 timeout);
const char       *pixverse_client_get_user_agent     (PixverseClient       *self);

void              pixverse_client_create_task_async  (PixverseClient       *self,
                                                      PixverseRequest      *request,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char             *pixverse_client_create_task_finish (PixverseClient       *self,
                                                      GAsyncResult         *result,
                                                      int                  *estimated_time,
                                                      GError              **error);

void              pixverse_client_get_task_async     (PixverseClient       *self,
                                                      const char           *task_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
PixverseTaskInfo *pixverse_client_get_task_finish    (PixverseClient       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

void              pixverse_client_get_credits_async  (PixverseClient       *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean          pixverse_client_get_credits_finish (PixverseClient       *self,
                                                      GAsyncResult         *result,
                                                      gint64               *credits,
                                                      GError              **error);

gboolean          pixverse_check_image_file          (GFile                *file,
                                                      char                **content_type,
                                                      GError              **error);
void              pixverse_client_upload_image_async (PixverseClient       *self,
                                                      GFile                *file,
                                                      PixverseProgressFunc  progress,
                                                      gpointer              progress_data,
                                                      GDestroyNotify        progress_notify,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char             *pixverse_client_upload_image_finish (PixverseClient      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

void              pixverse_client_download_async     (PixverseClient       *self,
                                                      const char           *url,
                                                      GFile                *destination,
                                                      PixverseProgressFunc  progress,
                                                      gpointer              progress_data,
                                                      GDestroyNotify        progress_notify,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean          pixverse_client_download_finish    (PixverseClient       *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
