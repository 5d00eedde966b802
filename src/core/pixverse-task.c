/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-task"

#include "config.h"

#include "pixverse-task.h"

/*
 * One job as the history keeps it. Plain data: the history fills it in (a
 * task handed out by the history's model may start with nothing but its id
 * and be filled a moment later), the monitor moves it along, the GUI binds
 * to it. Every setter notifies only when the value really changes, so a
 * refresh from the database that changes nothing costs the GUI nothing.
 *
 * The string lists are never %NULL: an empty list is an empty array.
 */

struct _PixverseTask
{
  GObject                parent_instance;

  gint64                 id;
  PixverseRequest       *request;
  char                  *task_id;
  char                  *message;
  GStrv                  result_urls;
  GStrv                  video_paths;
  GStrv                  poster_paths;
  gint64                 created_at;
  gint64                 updated_at;
  gint64                 finished_at;
  double                 download_progress;
  int                    estimated_time;
  PixverseJobStatus      status;
  PixverseDownloadState  download_state;
};

G_DEFINE_FINAL_TYPE (PixverseTask, pixverse_task, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_REQUEST,
  PROP_TASK_ID,
  PROP_STATUS,
  PROP_MESSAGE,
  PROP_ESTIMATED_TIME,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  PROP_FINISHED_AT,
  PROP_RESULT_URLS,
  PROP_VIDEO_PATHS,
  PROP_POSTER_PATHS,
  PROP_DOWNLOAD_STATE,
  PROP_DOWNLOAD_PROGRESS,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

/* The nicks double as the names stored in the history and printed by the
 * command line: changing one is a schema change. */
static const GEnumValue job_status_values[] = {
  { PIXVERSE_JOB_SUBMITTING, "PIXVERSE_JOB_SUBMITTING", "submitting" },
  { PIXVERSE_JOB_PROCESSING, "PIXVERSE_JOB_PROCESSING", "processing" },
  { PIXVERSE_JOB_COMPLETED, "PIXVERSE_JOB_COMPLETED", "completed" },
  { PIXVERSE_JOB_FAILED, "PIXVERSE_JOB_FAILED", "failed" },
  { PIXVERSE_JOB_UNKNOWN, "PIXVERSE_JOB_UNKNOWN", "unknown" },
  { 0, NULL, NULL }
};

static const GEnumValue download_state_values[] = {
  { PIXVERSE_DOWNLOAD_NONE, "PIXVERSE_DOWNLOAD_NONE", "none" },
  { PIXVERSE_DOWNLOAD_RUNNING, "PIXVERSE_DOWNLOAD_RUNNING", "running" },
  { PIXVERSE_DOWNLOAD_DONE, "PIXVERSE_DOWNLOAD_DONE", "done" },
  { PIXVERSE_DOWNLOAD_FAILED, "PIXVERSE_DOWNLOAD_FAILED", "failed" },
  { PIXVERSE_DOWNLOAD_EXPIRED, "PIXVERSE_DOWNLOAD_EXPIRED", "expired" },
  { 0, NULL, NULL }
};

GType
pixverse_job_status_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      GType id = g_enum_register_static (g_intern_static_string ("PixverseJobStatus"),
                                         job_status_values);

      g_once_init_leave (&type_id, id);
    }

  return type_id;
}

GType
pixverse_download_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      GType id = g_enum_register_static (g_intern_static_string ("PixverseDownloadState"),
                                         download_state_values);

      g_once_init_leave (&type_id, id);
    }

  return type_id;
}

static const char *
enum_to_string (const GEnumValue *values,
                int               value)
{
  for (guint i = 0; values[i].value_nick != NULL; i++)
    {
      if (values[i].value == value)
        return values[i].value_nick;
    }

  return NULL;
}

static gboolean
enum_from_string (const GEnumValue *values,
                  const char       *text,
                  int              *value)
{
  if (text == NULL)
    return FALSE;

  for (guint i = 0; values[i].value_nick != NULL; i++)
    {
      if (g_str_equal (values[i].value_nick, text))
        {
          *value = values[i].value;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * pixverse_job_status_to_string:
 * @status: a #PixverseJobStatus
 *
 * Returns: (transfer none) (nullable): the stable name of @status
 *   ("submitting", "processing", "completed", "failed", "unknown"), as stored
 *   in the history, or %NULL for a value outside the enumeration
 */
const char *
pixverse_job_status_to_string (PixverseJobStatus status)
{
  return enum_to_string (job_status_values, status);
}

/**
 * pixverse_job_status_from_string:
 * @text: (nullable): a name as returned by pixverse_job_status_to_string()
 * @status: (out): where to store the status
 *
 * Returns: %TRUE if @text names a status; @status is untouched otherwise
 */
gboolean
pixverse_job_status_from_string (const char        *text,
                                 PixverseJobStatus *status)
{
  int value;

  g_return_val_if_fail (status != NULL, FALSE);

  if (!enum_from_string (job_status_values, text, &value))
    return FALSE;

  *status = value;
  return TRUE;
}

/**
 * pixverse_job_status_is_finished:
 * @status: a #PixverseJobStatus
 *
 * Whether the service has nothing more to say about a job in @status on its
 * own: completed, failed, or unknown (past the long cap; resumable only by
 * hand). Downloads may still be left to do for a completed job.
 *
 * Returns: %TRUE for a finished status
 */
gboolean
pixverse_job_status_is_finished (PixverseJobStatus status)
{
  return status == PIXVERSE_JOB_COMPLETED ||
         status == PIXVERSE_JOB_FAILED ||
         status == PIXVERSE_JOB_UNKNOWN;
}

/**
 * pixverse_download_state_to_string:
 * @state: a #PixverseDownloadState
 *
 * Returns: (transfer none) (nullable): the stable name of @state ("none",
 *   "running", "done", "failed", "expired"), as stored in the history, or
 *   %NULL for a value outside the enumeration
 */
const char *
pixverse_download_state_to_string (PixverseDownloadState state)
{
  return enum_to_string (download_state_values, state);
}

/**
 * pixverse_download_state_from_string:
 * @text: (nullable): a name as returned by pixverse_download_state_to_string()
 * @state: (out): where to store the state
 *
 * Returns: %TRUE if @text names a download state; @state is untouched otherwise
 */
gboolean
pixverse_download_state_from_string (const char            *text,
                                     PixverseDownloadState *state)
{
  int value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!enum_from_string (download_state_values, text, &value))
    return FALSE;

  *state = value;
  return TRUE;
}

static gboolean
requests_equal (PixverseRequest *a,
                PixverseRequest *b)
{
  g_assert (PIXVERSE_IS_REQUEST (a));
  g_assert (PIXVERSE_IS_REQUEST (b));

  if (a == b)
    return TRUE;

  return g_strcmp0 (pixverse_request_get_prompt (a), pixverse_request_get_prompt (b)) == 0 &&
         pixverse_request_get_mode (a) == pixverse_request_get_mode (b) &&
         g_strcmp0 (pixverse_request_get_image_url (a),
                    pixverse_request_get_image_url (b)) == 0 &&
         pixverse_request_get_num_outputs (a) == pixverse_request_get_num_outputs (b) &&
         g_strcmp0 (pixverse_request_get_resolution (a),
                    pixverse_request_get_resolution (b)) == 0 &&
         g_strcmp0 (pixverse_request_get_aspect_ratio (a),
                    pixverse_request_get_aspect_ratio (b)) == 0 &&
         pixverse_request_get_duration (a) == pixverse_request_get_duration (b) &&
         !pixverse_request_get_prompt_optimization (a) ==
         !pixverse_request_get_prompt_optimization (b);
}

/* Replaces *@field by a copy of @value (NULL: the empty list) when they
 * differ; @value may point into *@field. */
static gboolean
set_strv (GStrv              *field,
          const char * const *value)
{
  static const char * const empty[] = { NULL };
  GStrv copy;

  if (value == NULL)
    value = empty;

  if (*field != NULL && g_strv_equal ((const char * const *) *field, value))
    return FALSE;

  copy = g_strdupv ((char **) value);
  g_strfreev (*field);
  *field = copy;

  return TRUE;
}

static void
pixverse_task_set_request (PixverseTask    *self,
                           PixverseRequest *request)
{
  g_assert (PIXVERSE_IS_TASK (self));
  g_assert (!request || PIXVERSE_IS_REQUEST (request));

  if (request == NULL)
    {
      if (self->request == NULL)
        self->request = pixverse_request_new ();
      return;
    }

  if (self->request != NULL && requests_equal (self->request, request))
    return;

  /* A copy: the caller's request (a form, say) may go on being edited. */
  g_clear_object (&self->request);
  self->request = pixverse_request_copy (request);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_REQUEST]);
}

static void
pixverse_task_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PixverseTask *self = PIXVERSE_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;

    case PROP_REQUEST:
      g_value_set_object (value, self->request);
      break;

    case PROP_TASK_ID:
      g_value_set_string (value, self->task_id);
      break;

    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;

    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;

    case PROP_ESTIMATED_TIME:
      g_value_set_int (value, self->estimated_time);
      break;

    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;

    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_at);
      break;

    case PROP_FINISHED_AT:
      g_value_set_int64 (value, self->finished_at);
      break;

    case PROP_RESULT_URLS:
      g_value_set_boxed (value, self->result_urls);
      break;

    case PROP_VIDEO_PATHS:
      g_value_set_boxed (value, self->video_paths);
      break;

    case PROP_POSTER_PATHS:
      g_value_set_boxed (value, self->poster_paths);
      break;

    case PROP_DOWNLOAD_STATE:
      g_value_set_enum (value, self->download_state);
      break;

    case PROP_DOWNLOAD_PROGRESS:
      g_value_set_double (value, self->download_progress);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_task_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PixverseTask *self = PIXVERSE_TASK (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_int64 (value);
      break;

    case PROP_REQUEST:
      pixverse_task_set_request (self, g_value_get_object (value));
      break;

    case PROP_TASK_ID:
      pixverse_task_set_task_id (self, g_value_get_string (value));
      break;

    case PROP_STATUS:
      pixverse_task_set_status (self, g_value_get_enum (value));
      break;

    case PROP_MESSAGE:
      pixverse_task_set_message (self, g_value_get_string (value));
      break;

    case PROP_ESTIMATED_TIME:
      pixverse_task_set_estimated_time (self, g_value_get_int (value));
      break;

    case PROP_CREATED_AT:
      pixverse_task_set_created_at (self, g_value_get_int64 (value));
      break;

    case PROP_UPDATED_AT:
      pixverse_task_set_updated_at (self, g_value_get_int64 (value));
      break;

    case PROP_FINISHED_AT:
      pixverse_task_set_finished_at (self, g_value_get_int64 (value));
      break;

    case PROP_RESULT_URLS:
      pixverse_task_set_result_urls (self, g_value_get_boxed (value));
      break;

    case PROP_VIDEO_PATHS:
      pixverse_task_set_video_paths (self, g_value_get_boxed (value));
      break;

    case PROP_POSTER_PATHS:
      pixverse_task_set_poster_paths (self, g_value_get_boxed (value));
      break;

    case PROP_DOWNLOAD_STATE:
      pixverse_task_set_download_state (self, g_value_get_enum (value));
      break;

    case PROP_DOWNLOAD_PROGRESS:
      pixverse_task_set_download_progress (self, g_value_get_double (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_task_constructed (GObject *object)
{
  PixverseTask *self = PIXVERSE_TASK (object);

  G_OBJECT_CLASS (pixverse_task_parent_class)->constructed (object);

  /* Never NULL, so that a task still being loaded can be shown as empty. */
  if (self->request == NULL)
    self->request = pixverse_request_new ();
}

static void
pixverse_task_dispose (GObject *object)
{
  PixverseTask *self = PIXVERSE_TASK (object);

  g_clear_object (&self->request);

  G_OBJECT_CLASS (pixverse_task_parent_class)->dispose (object);
}

static void
pixverse_task_finalize (GObject *object)
{
  PixverseTask *self = PIXVERSE_TASK (object);

  g_clear_pointer (&self->task_id, g_free);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->result_urls, g_strfreev);
  g_clear_pointer (&self->video_paths, g_strfreev);
  g_clear_pointer (&self->poster_paths, g_strfreev);

  G_OBJECT_CLASS (pixverse_task_parent_class)->finalize (object);
}

static void
pixverse_task_class_init (PixverseTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = pixverse_task_constructed;
  object_class->dispose = pixverse_task_dispose;
  object_class->finalize = pixverse_task_finalize;
  object_class->get_property = pixverse_task_get_property;
  object_class->set_property = pixverse_task_set_property;

  /**
   * PixverseTask:id:
   *
   * The history's row id; 0 for a task that is not in a history.
   */
  properties [PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * PixverseTask:request:
   *
   * What was asked for; never %NULL. Replaced as a whole (never edited in
   * place) when the history learns more, so "notify::request" covers every
   * field of it.
   */
  properties [PROP_REQUEST] =
    g_param_spec_object ("request", NULL, NULL,
                         PIXVERSE_TYPE_REQUEST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties [PROP_TASK_ID] =
    g_param_spec_string ("task-id", NULL, NULL, NULL, flags);

  properties [PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       PIXVERSE_TYPE_JOB_STATUS, PIXVERSE_JOB_SUBMITTING, flags);

  properties [PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL, flags);

  properties [PROP_ESTIMATED_TIME] =
    g_param_spec_int ("estimated-time", NULL, NULL, 0, G_MAXINT, 0, flags);

  properties [PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  properties [PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  properties [PROP_FINISHED_AT] =
    g_param_spec_int64 ("finished-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  properties [PROP_RESULT_URLS] =
    g_param_spec_boxed ("result-urls", NULL, NULL, G_TYPE_STRV, flags);

  properties [PROP_VIDEO_PATHS] =
    g_param_spec_boxed ("video-paths", NULL, NULL, G_TYPE_STRV, flags);

  properties [PROP_POSTER_PATHS] =
    g_param_spec_boxed ("poster-paths", NULL, NULL, G_TYPE_STRV, flags);

  properties [PROP_DOWNLOAD_STATE] =
    g_param_spec_enum ("download-state", NULL, NULL,
                       PIXVERSE_TYPE_DOWNLOAD_STATE, PIXVERSE_DOWNLOAD_NONE, flags);

  /**
   * PixverseTask:download-progress:
   *
   * From 0.0 to 1.0 while the videos download; not stored.
   */
  properties [PROP_DOWNLOAD_PROGRESS] =
    g_param_spec_double ("download-progress", NULL, NULL, 0.0, 1.0, 0.0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_task_init (PixverseTask *self)
{
  static const char * const empty[] = { NULL };

  self->status = PIXVERSE_JOB_SUBMITTING;
  self->download_state = PIXVERSE_DOWNLOAD_NONE;
  self->result_urls = g_strdupv ((char **) empty);
  self->video_paths = g_strdupv ((char **) empty);
  self->poster_paths = g_strdupv ((char **) empty);
}

/**
 * pixverse_task_new:
 * @id: the history's row id, or 0
 * @request: (nullable): what was asked for; copied. %NULL gives an empty
 *   request, for a task whose row is still to be read.
 *
 * Returns: (transfer full): a new #PixverseTask in status submitting
 */
PixverseTask *
pixverse_task_new (gint64           id,
                   PixverseRequest *request)
{
  g_return_val_if_fail (id >= 0, NULL);
  g_return_val_if_fail (!request || PIXVERSE_IS_REQUEST (request), NULL);

  return g_object_new (PIXVERSE_TYPE_TASK,
                       "id", id,
                       "request", request,
                       NULL);
}

/**
 * pixverse_task_get_id:
 * @self: a #PixverseTask
 *
 * Returns: the history's row id, or 0
 */
gint64
pixverse_task_get_id (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0);

  return self->id;
}

/**
 * pixverse_task_get_request:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none): the request; never %NULL. Do not edit it: copy it
 *   (pixverse_request_copy()) to reuse the settings.
 */
PixverseRequest *
pixverse_task_get_request (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return self->request;
}

/**
 * pixverse_task_get_task_id:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none) (nullable): the service's task id, %NULL until the
 *   create request was answered
 */
const char *
pixverse_task_get_task_id (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return self->task_id;
}

/**
 * pixverse_task_set_task_id:
 * @self: a #PixverseTask
 * @task_id: (nullable): the service's task id
 */
void
pixverse_task_set_task_id (PixverseTask *self,
                           const char   *task_id)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  if (g_set_str (&self->task_id, task_id))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TASK_ID]);
}

/**
 * pixverse_task_get_status:
 * @self: a #PixverseTask
 *
 * Returns: where the job is
 */
PixverseJobStatus
pixverse_task_get_status (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), PIXVERSE_JOB_UNKNOWN);

  return self->status;
}

/**
 * pixverse_task_set_status:
 * @self: a #PixverseTask
 * @status: a #PixverseJobStatus
 */
void
pixverse_task_set_status (PixverseTask      *self,
                          PixverseJobStatus  status)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (pixverse_job_status_to_string (status) != NULL);

  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_STATUS]);
    }
}

/**
 * pixverse_task_get_message:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none) (nullable): what the service (or the app) last had
 *   to say about the job, for a person
 */
const char *
pixverse_task_get_message (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return self->message;
}

/**
 * pixverse_task_set_message:
 * @self: a #PixverseTask
 * @message: (nullable): a message for a person
 */
void
pixverse_task_set_message (PixverseTask *self,
                           const char   *message)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  if (g_set_str (&self->message, message))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSAGE]);
}

/**
 * pixverse_task_get_estimated_time:
 * @self: a #PixverseTask
 *
 * Returns: the service's estimate in seconds, 0 when unknown
 */
int
pixverse_task_get_estimated_time (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0);

  return self->estimated_time;
}

/**
 * pixverse_task_set_estimated_time:
 * @self: a #PixverseTask
 * @estimated_time: seconds, 0 when unknown
 */
void
pixverse_task_set_estimated_time (PixverseTask *self,
                                  int           estimated_time)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (estimated_time >= 0);

  if (self->estimated_time != estimated_time)
    {
      self->estimated_time = estimated_time;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ESTIMATED_TIME]);
    }
}

static void
set_time (PixverseTask *self,
          gint64       *field,
          gint64        value,
          guint         prop_id)
{
  g_assert (PIXVERSE_IS_TASK (self));

  if (*field != value)
    {
      *field = value;
      g_object_notify_by_pspec (G_OBJECT (self), properties [prop_id]);
    }
}

/**
 * pixverse_task_get_created_at:
 * @self: a #PixverseTask
 *
 * Returns: when the job was written, in seconds since the epoch; 0 for a
 *   task whose row is still to be read
 */
gint64
pixverse_task_get_created_at (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0);

  return self->created_at;
}

/**
 * pixverse_task_set_created_at:
 * @self: a #PixverseTask
 * @created_at: seconds since the epoch
 */
void
pixverse_task_set_created_at (PixverseTask *self,
                              gint64        created_at)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (created_at >= 0);

  set_time (self, &self->created_at, created_at, PROP_CREATED_AT);
}

/**
 * pixverse_task_get_updated_at:
 * @self: a #PixverseTask
 *
 * Returns: when the job was last saved, in seconds since the epoch
 */
gint64
pixverse_task_get_updated_at (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0);

  return self->updated_at;
}

/**
 * pixverse_task_set_updated_at:
 * @self: a #PixverseTask
 * @updated_at: seconds since the epoch
 */
void
pixverse_task_set_updated_at (PixverseTask *self,
                              gint64        updated_at)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (updated_at >= 0);

  set_time (self, &self->updated_at, updated_at, PROP_UPDATED_AT);
}

/**
 * pixverse_task_get_finished_at:
 * @self: a #PixverseTask
 *
 * Returns: when the job reached a finished status, in seconds since the
 *   epoch; 0 when not yet
 */
gint64
pixverse_task_get_finished_at (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0);

  return self->finished_at;
}

/**
 * pixverse_task_set_finished_at:
 * @self: a #PixverseTask
 * @finished_at: seconds since the epoch, or 0
 */
void
pixverse_task_set_finished_at (PixverseTask *self,
                               gint64        finished_at)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (finished_at >= 0);

  set_time (self, &self->finished_at, finished_at, PROP_FINISHED_AT);
}

/**
 * pixverse_task_get_result_urls:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none) (array zero-terminated=1): the video URLs the
 *   service returned, exactly as returned; empty until completed
 */
const char * const *
pixverse_task_get_result_urls (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return (const char * const *) self->result_urls;
}

/**
 * pixverse_task_set_result_urls:
 * @self: a #PixverseTask
 * @urls: (nullable) (array zero-terminated=1): the video URLs
 */
void
pixverse_task_set_result_urls (PixverseTask       *self,
                               const char * const *urls)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  if (set_strv (&self->result_urls, urls))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_RESULT_URLS]);
}

/**
 * pixverse_task_get_video_paths:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none) (array zero-terminated=1): absolute paths of the
 *   downloaded videos, one per result, "" where not downloaded yet
 */
const char * const *
pixverse_task_get_video_paths (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return (const char * const *) self->video_paths;
}

/**
 * pixverse_task_set_video_paths:
 * @self: a #PixverseTask
 * @paths: (nullable) (array zero-terminated=1): absolute paths, "" for none
 */
void
pixverse_task_set_video_paths (PixverseTask       *self,
                               const char * const *paths)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  if (set_strv (&self->video_paths, paths))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_VIDEO_PATHS]);
}

/**
 * pixverse_task_get_poster_paths:
 * @self: a #PixverseTask
 *
 * Returns: (transfer none) (array zero-terminated=1): absolute paths of the
 *   poster frames, one per result, "" where not made yet
 */
const char * const *
pixverse_task_get_poster_paths (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), NULL);

  return (const char * const *) self->poster_paths;
}

/**
 * pixverse_task_set_poster_paths:
 * @self: a #PixverseTask
 * @paths: (nullable) (array zero-terminated=1): absolute paths, "" for none
 */
void
pixverse_task_set_poster_paths (PixverseTask       *self,
                                const char * const *paths)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  if (set_strv (&self->poster_paths, paths))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_POSTER_PATHS]);
}

/**
 * pixverse_task_get_download_state:
 * @self: a #PixverseTask
 *
 * Returns: the state of the local copies of the results
 */
PixverseDownloadState
pixverse_task_get_download_state (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), PIXVERSE_DOWNLOAD_NONE);

  return self->download_state;
}

/**
 * pixverse_task_set_download_state:
 * @self: a #PixverseTask
 * @state: a #PixverseDownloadState
 */
void
pixverse_task_set_download_state (PixverseTask          *self,
                                  PixverseDownloadState  state)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (pixverse_download_state_to_string (state) != NULL);

  if (self->download_state != state)
    {
      self->download_state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DOWNLOAD_STATE]);
    }
}

/**
 * pixverse_task_get_download_progress:
 * @self: a #PixverseTask
 *
 * Returns: from 0.0 to 1.0 while the videos download; not stored
 */
double
pixverse_task_get_download_progress (PixverseTask *self)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (self), 0.0);

  return self->download_progress;
}

/**
 * pixverse_task_set_download_progress:
 * @self: a #PixverseTask
 * @progress: from 0.0 to 1.0; clamped
 */
void
pixverse_task_set_download_progress (PixverseTask *self,
                                     double        progress)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));

  progress = CLAMP (progress, 0.0, 1.0);
  if (self->download_progress != progress)
    {
      self->download_progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DOWNLOAD_PROGRESS]);
    }
}

/**
 * pixverse_task_update_from:
 * @self: a #PixverseTask
 * @from: another #PixverseTask of the same job (same id)
 *
 * Copies every stored field of @from into @self (not the download progress,
 * which is not stored), notifying only what changed, all at once after the
 * copy so a handler sees a consistent task.
 */
void
pixverse_task_update_from (PixverseTask *self,
                           PixverseTask *from)
{
  g_return_if_fail (PIXVERSE_IS_TASK (self));
  g_return_if_fail (PIXVERSE_IS_TASK (from));
  g_return_if_fail (self->id == from->id);

  if (self == from)
    return;

  g_object_freeze_notify (G_OBJECT (self));

  pixverse_task_set_request (self, from->request);
  pixverse_task_set_task_id (self, from->task_id);
  pixverse_task_set_status (self, from->status);
  pixverse_task_set_message (self, from->message);
  pixverse_task_set_estimated_time (self, from->estimated_time);
  pixverse_task_set_created_at (self, from->created_at);
  pixverse_task_set_updated_at (self, from->updated_at);
  pixverse_task_set_finished_at (self, from->finished_at);
  pixverse_task_set_result_urls (self, (const char * const *) from->result_urls);
  pixverse_task_set_video_paths (self, (const char * const *) from->video_paths);
  pixverse_task_set_poster_paths (self, (const char * const *) from->poster_paths);
  pixverse_task_set_download_state (self, from->download_state);

  g_object_thaw_notify (G_OBJECT (self));
}
