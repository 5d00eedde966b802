/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-job-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-history-row.h"
#include "pixverse-job-page.h"
#include "pixverse-video-card.h"

struct _PixverseJobPage
{
  AdwBin           parent_instance;

  PixverseMonitor *monitor;
  PixverseTask    *task;
  gulong           notify_handler;
  guint            tick_source;
  /* PixverseVideoCard, one per result, in order */
  GPtrArray       *cards;

  GtkLabel        *prompt_label;
  GtkLabel        *options_label;
  GtkLabel        *created_label;
  GtkWidget       *status_box;
  GtkStack        *status_icon_stack;
  GtkImage        *status_icon;
  GtkLabel        *status_title;
  GtkLabel        *status_label;
  GtkProgressBar  *progress_bar;
  GtkWidget       *status_buttons;
  GtkWidget       *check_again_button;
  GtkWidget       *download_again_button;
  GtkBox          *videos_box;
  AdwActionRow    *task_id_row;
  AdwActionRow    *mode_row;
  AdwActionRow    *image_row;
  AdwActionRow    *optimization_row;
  AdwActionRow    *created_row;
};

enum {
  PROP_0,
  PROP_MONITOR,
  PROP_TASK,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PixverseJobPage, pixverse_job_page, ADW_TYPE_BIN)

static GParamSpec *properties [N_PROPS];

static void pixverse_job_page_update (PixverseJobPage *self);

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
set_style (GtkWidget  *widget,
           const char *style_class)
{
  static const char * const styles[] = { "error", "warning", "success", "accent" };

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (widget, styles[i]);
  if (style_class != NULL)
    gtk_widget_add_css_class (widget, style_class);
}

static gboolean
pixverse_job_page_tick_cb (gpointer user_data)
{
  PixverseJobPage *self = user_data;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  pixverse_job_page_update (self);

  return G_SOURCE_CONTINUE;
}

static void
pixverse_job_page_update_tick (PixverseJobPage *self)
{
  gboolean wanted = FALSE;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  if (self->task != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      PixverseJobStatus status = pixverse_task_get_status (self->task);

      wanted = status == PIXVERSE_JOB_SUBMITTING || status == PIXVERSE_JOB_PROCESSING;
    }

  if (wanted && self->tick_source == 0)
    {
      self->tick_source = g_timeout_add_seconds (1, pixverse_job_page_tick_cb, self);
      g_source_set_name_by_id (self->tick_source, "[pixverse] job page tick");
    }
  else if (!wanted)
    g_clear_handle_id (&self->tick_source, g_source_remove);
}

static void
pixverse_job_page_card_missing_cb (PixverseJobPage   *self,
                                   GParamSpec        *pspec,
                                   PixverseVideoCard *card)
{
  g_assert (PIXVERSE_IS_JOB_PAGE (self));
  g_assert (PIXVERSE_IS_VIDEO_CARD (card));

  pixverse_job_page_update (self);
}

static void
pixverse_job_page_clear_cards (PixverseJobPage *self)
{
  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  while (self->cards->len > 0)
    {
      GtkWidget *card = g_ptr_array_index (self->cards, self->cards->len - 1);

      gtk_box_remove (self->videos_box, card);
      g_ptr_array_remove_index (self->cards, self->cards->len - 1);
    }
}

/* One card per result; existing cards stay, so a playing video is not
 * interrupted when the next file lands. */
static void
pixverse_job_page_sync_cards (PixverseJobPage *self)
{
  const char * const *urls;
  const char * const *paths;
  guint n = 0;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  if (self->task != NULL &&
      pixverse_task_get_status (self->task) == PIXVERSE_JOB_COMPLETED)
    {
      urls = pixverse_task_get_result_urls (self->task);
      paths = pixverse_task_get_video_paths (self->task);
      n = MAX (urls ? g_strv_length ((char **)urls) : 0,
               paths ? g_strv_length ((char **)paths) : 0);
    }

  while (self->cards->len > n)
    {
      GtkWidget *card = g_ptr_array_index (self->cards, self->cards->len - 1);

      gtk_box_remove (self->videos_box, card);
      g_ptr_array_remove_index (self->cards, self->cards->len - 1);
    }

  while (self->cards->len < n)
    {
      GtkWidget *card = pixverse_video_card_new (self->task, self->cards->len);

      g_signal_connect_object (card,
                               "notify::missing",
                               G_CALLBACK (pixverse_job_page_card_missing_cb),
                               self,
                               G_CONNECT_SWAPPED);
      gtk_box_append (self->videos_box, card);
      g_ptr_array_add (self->cards, g_object_ref (card));
    }

  gtk_widget_set_visible (GTK_WIDGET (self->videos_box), n > 0);
}

static gboolean
pixverse_job_page_any_missing (PixverseJobPage *self)
{
  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  for (guint i = 0; i < self->cards->len; i++)
    if (pixverse_video_card_get_missing (g_ptr_array_index (self->cards, i)))
      return TRUE;

  return FALSE;
}

static void
pixverse_job_page_update_status (PixverseJobPage *self,
                                 gint64           now)
{
  PixverseTask *task = self->task;
  g_autofree char *short_text = NULL;
  g_autofree char *detail = NULL;
  const char *title = NULL;
  const char *icon = NULL;
  const char *icon_style = NULL;
  const char *detail_style = NULL;
  gboolean check_again = FALSE;
  gboolean download_again = FALSE;
  double fraction = -1.;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));
  g_assert (PIXVERSE_IS_TASK (task));

  short_text = _pixverse_task_dup_status_text (task, now, NULL);

  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_SUBMITTING:
      if (pixverse_task_get_created_at (task) > 0 &&
          now - pixverse_task_get_created_at (task) > PIXVERSE_SUBMIT_STALE_SECONDS)
        {
          title = _("May Have Been Sent");
          detail = g_strdup (_("The app stopped before the service answered. "
                               "The job may have been created; it is never sent twice."));
          icon = "dialog-warning-symbolic";
          icon_style = "warning";
        }
      else
        {
          title = _("Sending");
          detail = g_steal_pointer (&short_text);
        }
      break;

    case PIXVERSE_JOB_PROCESSING:
      title = _("Generating");
      detail = g_steal_pointer (&short_text);
      break;

    case PIXVERSE_JOB_COMPLETED:
      title = _("Completed");
      icon = "object-select-symbolic";
      icon_style = "success";
      switch (pixverse_task_get_download_state (task))
        {
        case PIXVERSE_DOWNLOAD_RUNNING:
          detail = g_steal_pointer (&short_text);
          break;

        case PIXVERSE_DOWNLOAD_NONE:
          detail = g_strdup (_("The videos will be downloaded in a moment."));
          break;

        case PIXVERSE_DOWNLOAD_FAILED:
          detail = g_strdup (_("The download failed. The videos stay on the service for a while."));
          icon = "dialog-warning-symbolic";
          icon_style = "warning";
          download_again = TRUE;
          break;

        case PIXVERSE_DOWNLOAD_EXPIRED:
          detail = g_strdup (_("The links to the videos have expired."));
          icon = "dialog-warning-symbolic";
          icon_style = "warning";
          download_again = TRUE;
          break;

        case PIXVERSE_DOWNLOAD_DONE:
        default:
          if (pixverse_job_page_any_missing (self))
            {
              detail = g_strdup (_("A video file is missing from this computer."));
              icon = "dialog-warning-symbolic";
              icon_style = "warning";
              download_again = TRUE;
            }
          else
            {
              guint n = self->cards->len;

              detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                     "The video is saved on this computer.",
                                                     "The %u videos are saved on this computer.",
                                                     n),
                                        n);
            }
          break;
        }
      break;

    case PIXVERSE_JOB_FAILED:
      {
        const char *message = pixverse_task_get_message (task);

        title = _("Failed");
        icon = "dialog-error-symbolic";
        icon_style = "error";
        detail_style = "error";
        if (message != NULL && message[0] != '\0')
          detail = g_strdup (message);
        else
          detail = g_strdup (_("The service gave no reason."));
      }
      break;

    case PIXVERSE_JOB_UNKNOWN:
    default:
      title = _("Still Unknown");
      icon = "dialog-question-symbolic";
      icon_style = "warning";
      detail = g_strdup (_("The service has not reported a result for a long time. "
                           "The job is kept, and nothing is sent twice: check again later."));
      check_again = TRUE;
      break;
    }

  gtk_label_set_label (self->status_title, title);
  gtk_label_set_label (self->status_label, detail ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), detail != NULL && detail[0] != '\0');
  set_style (GTK_WIDGET (self->status_label), detail_style);

  if (icon != NULL)
    {
      gtk_image_set_from_icon_name (self->status_icon, icon);
      set_style (GTK_WIDGET (self->status_icon), icon_style);
      gtk_stack_set_visible_child_name (self->status_icon_stack, "icon");
    }
  else
    gtk_stack_set_visible_child_name (self->status_icon_stack, "spinner");

  if (_pixverse_task_get_progress (task, now, &fraction))
    {
      if (fraction < 0)
        gtk_progress_bar_pulse (self->progress_bar);
      else
        gtk_progress_bar_set_fraction (self->progress_bar, fraction);
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);

  download_again = download_again && self->monitor != NULL;
  gtk_widget_set_visible (self->check_again_button, check_again);
  gtk_widget_set_visible (self->download_again_button, download_again);
  gtk_widget_set_visible (self->status_buttons, check_again || download_again);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.check-again", check_again);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.download-again", download_again);
}

static void
pixverse_job_page_update (PixverseJobPage *self)
{
  PixverseRequest *request;
  g_autofree char *options = NULL;
  g_autofree char *options_line = NULL;
  g_autofree char *created = NULL;
  g_autofree char *created_full = NULL;
  g_autoptr(GDateTime) created_dt = NULL;
  const char *task_id;
  const char *image_url;
  gboolean image;
  gint64 created_at;
  gint64 now = now_seconds ();

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  pixverse_job_page_update_tick (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.reuse-settings", self->task != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.delete", self->task != NULL);

  if (self->task == NULL)
    {
      pixverse_job_page_clear_cards (self);
      gtk_widget_set_visible (GTK_WIDGET (self->videos_box), FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.copy-task-id", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.check-again", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.download-again", FALSE);
      return;
    }

  request = pixverse_task_get_request (self->task);
  image = pixverse_request_get_mode (request) == PIXVERSE_MODE_IMAGE_TO_VIDEO;
  options = pixverse_format_options (request);
  options_line = g_strdup_printf ("%s · %s",
                                  image ? _("Image to video") : _("Text to video"),
                                  options);

  gtk_label_set_label (self->prompt_label, pixverse_request_get_prompt (request));
  gtk_label_set_label (self->options_label, options_line);

  created_at = pixverse_task_get_created_at (self->task);
  if (created_at > 0 && (created_dt = g_date_time_new_from_unix_local (created_at)))
    /* Translators: a date and time, see the strftime manual. xgettext:no-c-format */
    created_full = g_date_time_format (created_dt, _("%B %-d, %Y at %H:%M"));
  if (created_at > 0)
    {
      g_autofree char *relative = _pixverse_format_relative_time (created_at, now);

      /* Translators: %s is a relative time such as "5 min ago" */
      created = g_strdup_printf (_("Created %s"), relative);
    }
  gtk_label_set_label (self->created_label, created ? created : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->created_label), created_full);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->created_row), created_full ? created_full : "");
  gtk_widget_set_visible (GTK_WIDGET (self->created_row), created_full != NULL);

  task_id = pixverse_task_get_task_id (self->task);
  if (task_id != NULL && task_id[0] == '\0')
    task_id = NULL;
  adw_action_row_set_subtitle (self->task_id_row, task_id ? task_id : _("Not assigned yet"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "job.copy-task-id", task_id != NULL);

  adw_action_row_set_subtitle (self->mode_row, image ? _("Image to video") : _("Text to video"));
  image_url = pixverse_request_get_image_url (request);
  gtk_widget_set_visible (GTK_WIDGET (self->image_row), image && image_url != NULL);
  adw_action_row_set_subtitle (self->image_row, image_url ? image_url : "");
  adw_action_row_set_subtitle (self->optimization_row,
                               pixverse_request_get_prompt_optimization (request)
                                 ? _("On")
                                 : _("Off"));

  pixverse_job_page_sync_cards (self);
  pixverse_job_page_update_status (self, now);
}

static void
pixverse_job_page_task_notify_cb (PixverseJobPage *self,
                                  GParamSpec      *pspec,
                                  PixverseTask    *task)
{
  g_assert (PIXVERSE_IS_JOB_PAGE (self));
  g_assert (PIXVERSE_IS_TASK (task));

  pixverse_job_page_update (self);
}

static void
copy_task_id_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PixverseJobPage *self = (PixverseJobPage *)widget;
  const char *task_id;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  if (self->task == NULL ||
      !(task_id = pixverse_task_get_task_id (self->task)) ||
      task_id[0] == '\0')
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), task_id);
  _pixverse_widget_show_toast (widget, _("Task ID copied"));
}

static void
download_again_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PixverseJobPage *self = (PixverseJobPage *)widget;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  if (self->task == NULL || self->monitor == NULL)
    return;

  pixverse_monitor_download_again (self->monitor, self->task);
}

/* The window owns these; the page only says which job. */
static void
forward_to_window_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  PixverseJobPage *self = (PixverseJobPage *)widget;
  const char *window_action;

  g_assert (PIXVERSE_IS_JOB_PAGE (self));

  if (self->task == NULL)
    return;

  if (g_str_equal (action_name, "job.reuse-settings"))
    window_action = "win.reuse-settings";
  else if (g_str_equal (action_name, "job.delete"))
    window_action = "win.delete-task";
  else if (g_str_equal (action_name, "job.check-again"))
    window_action = "win.check-again";
  else
    g_return_if_reached ();

  if (!gtk_widget_activate_action (widget, window_action, "x", pixverse_task_get_id (self->task)))
    g_debug ("No %s action above the job page", window_action);
}

static void
pixverse_job_page_map (GtkWidget *widget)
{
  PixverseJobPage *self = (PixverseJobPage *)widget;

  GTK_WIDGET_CLASS (pixverse_job_page_parent_class)->map (widget);

  pixverse_job_page_update (self);
}

static void
pixverse_job_page_unmap (GtkWidget *widget)
{
  PixverseJobPage *self = (PixverseJobPage *)widget;

  GTK_WIDGET_CLASS (pixverse_job_page_parent_class)->unmap (widget);

  pixverse_job_page_update_tick (self);
}

static void
pixverse_job_page_dispose (GObject *object)
{
  PixverseJobPage *self = (PixverseJobPage *)object;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->task != NULL)
    g_clear_signal_handler (&self->notify_handler, self->task);
  g_clear_object (&self->task);
  if (self->cards != NULL)
    g_ptr_array_set_size (self->cards, 0);
  g_clear_object (&self->monitor);

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_JOB_PAGE);

  G_OBJECT_CLASS (pixverse_job_page_parent_class)->dispose (object);
}

static void
pixverse_job_page_finalize (GObject *object)
{
  PixverseJobPage *self = (PixverseJobPage *)object;

  g_clear_pointer (&self->cards, g_ptr_array_unref);

  G_OBJECT_CLASS (pixverse_job_page_parent_class)->finalize (object);
}

static void
pixverse_job_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PixverseJobPage *self = PIXVERSE_JOB_PAGE (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;

    case PROP_TASK:
      g_value_set_object (value, self->task);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_job_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PixverseJobPage *self = PIXVERSE_JOB_PAGE (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      self->monitor = g_value_dup_object (value);
      break;

    case PROP_TASK:
      pixverse_job_page_set_task (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_job_page_class_init (PixverseJobPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pixverse_job_page_dispose;
  object_class->finalize = pixverse_job_page_finalize;
  object_class->get_property = pixverse_job_page_get_property;
  object_class->set_property = pixverse_job_page_set_property;

  widget_class->map = pixverse_job_page_map;
  widget_class->unmap = pixverse_job_page_unmap;

  properties [PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL,
                         PIXVERSE_TYPE_MONITOR,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_TASK] =
    g_param_spec_object ("task", NULL, NULL,
                         PIXVERSE_TYPE_TASK,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pixversestudio/PixverseStudio/pixverse-job-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, options_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, created_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_box);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_title);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, status_buttons);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, check_again_button);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, download_again_button);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, videos_box);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, task_id_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, mode_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, image_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, optimization_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseJobPage, created_row);

  gtk_widget_class_install_action (widget_class, "job.copy-task-id", NULL, copy_task_id_action);
  gtk_widget_class_install_action (widget_class, "job.download-again", NULL, download_again_action);
  gtk_widget_class_install_action (widget_class, "job.reuse-settings", NULL, forward_to_window_action);
  gtk_widget_class_install_action (widget_class, "job.delete", NULL, forward_to_window_action);
  gtk_widget_class_install_action (widget_class, "job.check-again", NULL, forward_to_window_action);

  g_type_ensure (PIXVERSE_TYPE_VIDEO_CARD);
}

static void
pixverse_job_page_init (PixverseJobPage *self)
{
  self->cards = g_ptr_array_new_with_free_func (g_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));

  pixverse_job_page_update (self);
}

GtkWidget *
pixverse_job_page_new (PixverseMonitor *monitor)
{
  g_return_val_if_fail (!monitor || PIXVERSE_IS_MONITOR (monitor), NULL);

  return g_object_new (PIXVERSE_TYPE_JOB_PAGE,
                       "monitor", monitor,
                       NULL);
}

PixverseTask *
pixverse_job_page_get_task (PixverseJobPage *self)
{
  g_return_val_if_fail (PIXVERSE_IS_JOB_PAGE (self), NULL);

  return self->task;
}

void
pixverse_job_page_set_task (PixverseJobPage *self,
                            PixverseTask    *task)
{
  GtkScrolledWindow *scroller;

  g_return_if_fail (PIXVERSE_IS_JOB_PAGE (self));
  g_return_if_fail (!task || PIXVERSE_IS_TASK (task));

  if (self->task == task)
    return;

  if (self->task != NULL)
    g_clear_signal_handler (&self->notify_handler, self->task);

  /* Cards belong to one task. */
  pixverse_job_page_clear_cards (self);

  g_set_object (&self->task, task);

  if (task != NULL)
    self->notify_handler =
      g_signal_connect_object (task,
                               "notify",
                               G_CALLBACK (pixverse_job_page_task_notify_cb),
                               self,
                               G_CONNECT_SWAPPED);

  pixverse_job_page_update (self);

  /* A new job starts at its top. */
  scroller = GTK_SCROLLED_WINDOW (adw_bin_get_child (ADW_BIN (self)));
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scroller), 0);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TASK]);
}

PixverseMonitor *
pixverse_job_page_get_monitor (PixverseJobPage *self)
{
  g_return_val_if_fail (PIXVERSE_IS_JOB_PAGE (self), NULL);

  return self->monitor;
}

guint
_pixverse_job_page_get_n_videos (PixverseJobPage *self)
{
  g_return_val_if_fail (PIXVERSE_IS_JOB_PAGE (self), 0);

  return self->cards->len;
}

PixverseVideoCard *
_pixverse_job_page_get_video_card (PixverseJobPage *self,
                                   guint            index)
{
  g_return_val_if_fail (PIXVERSE_IS_JOB_PAGE (self), NULL);
  g_return_val_if_fail (index < self->cards->len, NULL);

  return g_ptr_array_index (self->cards, index);
}
