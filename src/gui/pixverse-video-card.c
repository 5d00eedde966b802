/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-video-card"

#include "config.h"

#include <stdio.h>
#include <glib/gi18n-lib.h>

#include "pixverse-video-card.h"

struct _PixverseVideoCard
{
  GtkWidget     parent_instance;

  PixverseTask *task;
  guint         index;
  gulong        notify_handler;

  /* The path last looked at, and the file once it is known to exist. */
  char         *checked_path;
  GFile        *file;
  GCancellable *check_cancellable;
  /* Save As… and Open With… */
  GCancellable *cancellable;
  gboolean      checking;
  gboolean      missing;
  /* A new download may rewrite the same path: look again when this moves. */
  PixverseDownloadState download_state;

  GtkStack     *stack;
  AdwSpinner   *spinner;
  GtkLabel     *pending_label;
  GtkLabel     *missing_label;
  GtkVideo     *video;
  GtkLabel     *title_label;
  GtkWidget    *bar;
};

/* The video area keeps the job's aspect ratio within these heights, so the
 * card does not jump when the file lands and a 9:16 video stays on screen. */
#define MEDIA_MIN_HEIGHT 180
#define MEDIA_MAX_HEIGHT 480

enum {
  PROP_0,
  PROP_TASK,
  PROP_INDEX,
  PROP_FILE,
  PROP_MISSING,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PixverseVideoCard, pixverse_video_card, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void pixverse_video_card_update (PixverseVideoCard *self);

void
_pixverse_widget_show_toast (GtkWidget  *widget,
                             const char *title)
{
  GtkWidget *overlay;
  AdwToast *toast;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (title != NULL);

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay == NULL)
    {
      g_debug ("No toast overlay for: %s", title);
      return;
    }

  toast = adw_toast_new (title);
  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static gboolean
is_dismissal (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
         g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) ||
         g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED);
}

static GtkWindow *
get_window (PixverseVideoCard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static const char *
nth (const char * const *strv,
     guint               index)
{
  if (strv == NULL || index >= g_strv_length ((char **)strv))
    return NULL;
  if (strv[index][0] == '\0')
    return NULL;
  return strv[index];
}

static void
pixverse_video_card_set_missing (PixverseVideoCard *self,
                                 gboolean           missing)
{
  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  missing = !!missing;
  if (self->missing == missing)
    return;

  self->missing = missing;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MISSING]);
}

static void
pixverse_video_card_set_file (PixverseVideoCard *self,
                              GFile             *file)
{
  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (self->file == file ||
      (self->file != NULL && file != NULL && g_file_equal (self->file, file)))
    return;

  g_set_object (&self->file, file);

  /* A new stream each time: GtkVideo prepares it for playing. */
  gtk_video_set_file (self->video, file);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_FILE]);
}

static void
check_file_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GFile *file = (GFile *)object;
  g_autoptr(PixverseVideoCard) self = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  info = g_file_query_info_finish (file, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->checking = FALSE;

  if (info != NULL &&
      g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
      g_file_info_get_size (info) > 0)
    pixverse_video_card_set_file (self, file);
  else
    {
      g_debug ("Video %s is not there: %s",
               g_file_peek_path (file), error ? error->message : "empty");
      pixverse_video_card_set_file (self, NULL);
    }

  pixverse_video_card_update (self);
}

/* Looks for the file off the main loop whenever its path changes. */
static void
pixverse_video_card_check_path (PixverseVideoCard *self,
                                const char        *path,
                                gboolean           force)
{
  g_autoptr(GFile) file = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (!force && g_strcmp0 (path, self->checked_path) == 0)
    return;

  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_free (self->checked_path);
  self->checked_path = g_strdup (path);
  self->checking = FALSE;

  if (path == NULL)
    {
      pixverse_video_card_set_file (self, NULL);
      return;
    }

  self->checking = TRUE;
  self->check_cancellable = g_cancellable_new ();
  file = g_file_new_for_path (path);
  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE,
                           G_PRIORITY_DEFAULT,
                           self->check_cancellable,
                           check_file_cb,
                           g_object_ref (self));
}

static void
pixverse_video_card_update (PixverseVideoCard *self)
{
  g_autofree char *title = NULL;
  const char *page = "pending";
  const char *path = NULL;
  const char *url = NULL;
  gboolean missing = FALSE;
  gboolean force = FALSE;
  guint n_results = 0;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (self->task != NULL)
    {
      const char * const *urls = pixverse_task_get_result_urls (self->task);
      const char * const *paths = pixverse_task_get_video_paths (self->task);

      path = nth (paths, self->index);
      url = nth (urls, self->index);
      n_results = MAX (urls ? g_strv_length ((char **)urls) : 0,
                       paths ? g_strv_length ((char **)paths) : 0);

      if (pixverse_task_get_download_state (self->task) != self->download_state)
        {
          self->download_state = pixverse_task_get_download_state (self->task);
          force = TRUE;
        }
    }

  pixverse_video_card_check_path (self, path, force);

  if (n_results > 1)
    /* Translators: the first %u is this video, the second how many the job made */
    title = g_strdup_printf (_("Video %u of %u"), self->index + 1, n_results);
  else
    title = g_strdup (_("Video"));
  gtk_label_set_label (self->title_label, title);

  if (self->file != NULL)
    page = "video";
  else if (self->checking)
    gtk_label_set_label (self->pending_label, _("Loading…"));
  else if (self->task != NULL)
    {
      switch (pixverse_task_get_download_state (self->task))
        {
        case PIXVERSE_DOWNLOAD_RUNNING:
          {
            double progress = CLAMP (pixverse_task_get_download_progress (self->task), 0., 1.);
            g_autofree char *text = NULL;

            text = g_strdup_printf (_("Downloading… %d%%"), MIN (99, (int) (progress * 100. + .5)));
            gtk_label_set_label (self->pending_label, text);
          }
          break;

        case PIXVERSE_DOWNLOAD_NONE:
          gtk_label_set_label (self->pending_label, _("Waiting to download…"));
          break;

        case PIXVERSE_DOWNLOAD_FAILED:
          page = "missing";
          missing = TRUE;
          gtk_label_set_label (self->missing_label, _("The download failed"));
          break;

        case PIXVERSE_DOWNLOAD_EXPIRED:
          page = "missing";
          missing = TRUE;
          gtk_label_set_label (self->missing_label, _("The link to this video has expired"));
          break;

        case PIXVERSE_DOWNLOAD_DONE:
        default:
          page = "missing";
          missing = TRUE;
          gtk_label_set_label (self->missing_label, _("The video file is missing"));
          break;
        }
    }

  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), g_str_equal (page, "pending"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.save-as", self->file != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.open-with", self->file != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.copy-link", url != NULL);

  pixverse_video_card_set_missing (self, missing);
}

static void
pixverse_video_card_task_notify_cb (PixverseVideoCard *self,
                                    GParamSpec        *pspec,
                                    PixverseTask      *task)
{
  g_assert (PIXVERSE_IS_VIDEO_CARD (self));
  g_assert (PIXVERSE_IS_TASK (task));

  pixverse_video_card_update (self);
}

static void
save_to_copy_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (object), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
_pixverse_video_card_save_to_async (PixverseVideoCard   *self,
                                    GFile               *destination,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (PIXVERSE_IS_VIDEO_CARD (self));
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _pixverse_video_card_save_to_async);

  if (self->file == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The video is not downloaded yet"));
      return;
    }

  /* The download is private to us; the copy gets the usual permissions. */
  g_file_copy_async (self->file,
                     destination,
                     G_FILE_COPY_OVERWRITE | G_FILE_COPY_TARGET_DEFAULT_PERMS,
                     G_PRIORITY_DEFAULT,
                     cancellable,
                     NULL, NULL,
                     save_to_copy_cb,
                     g_steal_pointer (&task));
}

gboolean
_pixverse_video_card_save_to_finish (PixverseVideoCard  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
save_as_copied_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PixverseVideoCard *self = (PixverseVideoCard *)object;
  g_autoptr(GFile) destination = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *name = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  name = g_file_get_basename (destination);

  if (!_pixverse_video_card_save_to_finish (self, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s is the error */
      title = g_strdup_printf (_("Could not save the video: %s"), error->message);
    }
  else
    /* Translators: %s is a file name */
    title = g_strdup_printf (_("Saved “%s”"), name);

  _pixverse_widget_show_toast (GTK_WIDGET (self), title);
}

static void
save_as_dialog_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GtkFileDialog *dialog = (GtkFileDialog *)object;
  g_autoptr(PixverseVideoCard) self = user_data;
  g_autoptr(GFile) destination = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  destination = gtk_file_dialog_save_finish (dialog, result, &error);

  if (destination == NULL)
    {
      if (!is_dismissal (error))
        _pixverse_widget_show_toast (GTK_WIDGET (self), error->message);
      return;
    }

  _pixverse_video_card_save_to_async (self,
                                      destination,
                                      self->cancellable,
                                      save_as_copied_cb,
                                      g_object_ref (destination));
}

static void
save_as_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  PixverseVideoCard *self = (PixverseVideoCard *)widget;
  g_autoptr(GtkFileDialog) dialog = NULL;
  g_autoptr(GtkFileFilter) filter = NULL;
  g_autoptr(GListStore) filters = NULL;
  g_autofree char *name = NULL;
  const char *task_id;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (self->file == NULL)
    return;

  task_id = pixverse_task_get_task_id (self->task);
  if (task_id != NULL && task_id[0] != '\0')
    name = g_strdup_printf ("%s_%u.mp4", task_id, self->index + 1);
  else
    name = g_file_get_basename (self->file);

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("MP4 Video"));
  gtk_file_filter_add_mime_type (filter, "video/mp4");
  gtk_file_filter_add_suffix (filter, "mp4");
  filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  g_list_store_append (filters, filter);

  dialog = gtk_file_dialog_new ();
  gtk_file_dialog_set_title (dialog, _("Save Video"));
  gtk_file_dialog_set_accept_label (dialog, _("_Save"));
  gtk_file_dialog_set_initial_name (dialog, name);
  gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (dialog, filter);
  gtk_file_dialog_set_modal (dialog, TRUE);

  gtk_file_dialog_save (dialog,
                        get_window (self),
                        self->cancellable,
                        save_as_dialog_cb,
                        g_object_ref (self));
}

static void
open_with_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GtkFileLauncher *launcher = (GtkFileLauncher *)object;
  g_autoptr(PixverseVideoCard) self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (!gtk_file_launcher_launch_finish (launcher, result, &error) && !is_dismissal (error))
    {
      g_autofree char *title = NULL;

      /* Translators: %s is the error */
      title = g_strdup_printf (_("Could not open the video: %s"), error->message);
      _pixverse_widget_show_toast (GTK_WIDGET (self), title);
    }
}

static void
open_with_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PixverseVideoCard *self = (PixverseVideoCard *)widget;
  g_autoptr(GtkFileLauncher) launcher = NULL;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (self->file == NULL)
    return;

  launcher = gtk_file_launcher_new (self->file);
  gtk_file_launcher_set_always_ask (launcher, TRUE);
  gtk_file_launcher_launch (launcher,
                            get_window (self),
                            self->cancellable,
                            open_with_cb,
                            g_object_ref (self));
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PixverseVideoCard *self = (PixverseVideoCard *)widget;
  const char *url;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (!(url = pixverse_video_card_get_url (self)))
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), url);
  _pixverse_widget_show_toast (widget, _("Link copied"));
}

static double
pixverse_video_card_get_ratio (PixverseVideoCard *self)
{
  const char *aspect_ratio = NULL;
  int width = 0;
  int height = 0;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (self->task != NULL)
    aspect_ratio = pixverse_request_get_aspect_ratio (pixverse_task_get_request (self->task));

  if (aspect_ratio != NULL &&
      sscanf (aspect_ratio, "%d:%d", &width, &height) == 2 &&
      width > 0 && height > 0)
    return (double) width / (double) height;

  return 16. / 9.;
}

static int
pixverse_video_card_media_height (PixverseVideoCard *self,
                                  int                width)
{
  int stack_min = 0;
  int height;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  height = (int) (width / pixverse_video_card_get_ratio (self) + .5);
  height = CLAMP (height, MEDIA_MIN_HEIGHT, MEDIA_MAX_HEIGHT);
  gtk_widget_measure (GTK_WIDGET (self->stack), GTK_ORIENTATION_VERTICAL, width,
                      &stack_min, NULL, NULL, NULL);

  return MAX (height, stack_min);
}

static GtkSizeRequestMode
pixverse_video_card_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
pixverse_video_card_measure (GtkWidget      *widget,
                             GtkOrientation  orientation,
                             int             for_size,
                             int            *minimum,
                             int            *natural,
                             int            *minimum_baseline,
                             int            *natural_baseline)
{
  PixverseVideoCard *self = (PixverseVideoCard *)widget;
  int stack_min = 0, stack_nat = 0;
  int bar_min = 0, bar_nat = 0;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      gtk_widget_measure (GTK_WIDGET (self->stack), orientation, -1,
                          &stack_min, &stack_nat, NULL, NULL);
      gtk_widget_measure (self->bar, orientation, -1, &bar_min, &bar_nat, NULL, NULL);
      *minimum = MAX (stack_min, bar_min);
      *natural = MAX (stack_nat, bar_nat);
    }
  else
    {
      int width = for_size;
      int media;

      if (width < 0)
        gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL, NULL);

      media = pixverse_video_card_media_height (self, width);
      gtk_widget_measure (self->bar, orientation, width, &bar_min, &bar_nat, NULL, NULL);
      *minimum = media + bar_min;
      *natural = media + bar_nat;
    }
}

static void
pixverse_video_card_size_allocate (GtkWidget *widget,
                                   int        width,
                                   int        height,
                                   int        baseline)
{
  PixverseVideoCard *self = (PixverseVideoCard *)widget;
  int bar_min = 0, bar_nat = 0;
  int media;
  int bar;

  g_assert (PIXVERSE_IS_VIDEO_CARD (self));

  media = pixverse_video_card_media_height (self, width);
  gtk_widget_measure (self->bar, GTK_ORIENTATION_VERTICAL, width, &bar_min, &bar_nat, NULL, NULL);
  bar = CLAMP (height - media, bar_min, bar_nat);
  media = MAX (media, height - bar);

  gtk_widget_allocate (GTK_WIDGET (self->stack), width, media, -1, NULL);
  gtk_widget_allocate (self->bar, width, bar, -1,
                       gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (0, media)));
}

static void
pixverse_video_card_constructed (GObject *object)
{
  PixverseVideoCard *self = (PixverseVideoCard *)object;

  G_OBJECT_CLASS (pixverse_video_card_parent_class)->constructed (object);

  if (self->task != NULL)
    self->notify_handler =
      g_signal_connect_object (self->task,
                               "notify",
                               G_CALLBACK (pixverse_video_card_task_notify_cb),
                               self,
                               G_CONNECT_SWAPPED);

  pixverse_video_card_update (self);
}

static void
pixverse_video_card_dispose (GObject *object)
{
  PixverseVideoCard *self = (PixverseVideoCard *)object;
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);

  if (self->task != NULL)
    g_clear_signal_handler (&self->notify_handler, self->task);
  g_clear_object (&self->task);
  g_clear_object (&self->file);

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_VIDEO_CARD);
  /* The template's unnamed top box goes too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (pixverse_video_card_parent_class)->dispose (object);
}

static void
pixverse_video_card_finalize (GObject *object)
{
  PixverseVideoCard *self = (PixverseVideoCard *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->checked_path, g_free);

  G_OBJECT_CLASS (pixverse_video_card_parent_class)->finalize (object);
}

static void
pixverse_video_card_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  PixverseVideoCard *self = PIXVERSE_VIDEO_CARD (object);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_object (value, self->task);
      break;

    case PROP_INDEX:
      g_value_set_uint (value, self->index);
      break;

    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;

    case PROP_MISSING:
      g_value_set_boolean (value, self->missing);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_video_card_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  PixverseVideoCard *self = PIXVERSE_VIDEO_CARD (object);

  switch (prop_id)
    {
    case PROP_TASK:
      self->task = g_value_dup_object (value);
      break;

    case PROP_INDEX:
      self->index = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_video_card_class_init (PixverseVideoCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pixverse_video_card_constructed;
  object_class->dispose = pixverse_video_card_dispose;
  object_class->finalize = pixverse_video_card_finalize;
  object_class->get_property = pixverse_video_card_get_property;
  object_class->set_property = pixverse_video_card_set_property;

  properties [PROP_TASK] =
    g_param_spec_object ("task", NULL, NULL,
                         PIXVERSE_TYPE_TASK,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_INDEX] =
    g_param_spec_uint ("index", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties [PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_MISSING] =
    g_param_spec_boolean ("missing", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pixversestudio/PixverseStudio/pixverse-video-card.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, stack);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, spinner);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, pending_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, missing_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, video);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, title_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseVideoCard, bar);

  gtk_widget_class_install_action (widget_class, "card.save-as", NULL, save_as_action);
  gtk_widget_class_install_action (widget_class, "card.open-with", NULL, open_with_action);
  gtk_widget_class_install_action (widget_class, "card.copy-link", NULL, copy_link_action);

  widget_class->get_request_mode = pixverse_video_card_get_request_mode;
  widget_class->measure = pixverse_video_card_measure;
  widget_class->size_allocate = pixverse_video_card_size_allocate;

  gtk_widget_class_set_css_name (widget_class, "pixverse-video-card");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pixverse_video_card_init (PixverseVideoCard *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pixverse_video_card_new (PixverseTask *task,
                         guint         index)
{
  g_return_val_if_fail (PIXVERSE_IS_TASK (task), NULL);

  return g_object_new (PIXVERSE_TYPE_VIDEO_CARD,
                       "task", task,
                       "index", index,
                       NULL);
}

PixverseTask *
pixverse_video_card_get_task (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), NULL);

  return self->task;
}

guint
pixverse_video_card_get_index (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), 0);

  return self->index;
}

GFile *
pixverse_video_card_get_file (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), NULL);

  return self->file;
}

const char *
pixverse_video_card_get_url (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), NULL);

  if (self->task == NULL)
    return NULL;

  return nth (pixverse_task_get_result_urls (self->task), self->index);
}

gboolean
pixverse_video_card_get_missing (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), FALSE);

  return self->missing;
}

GtkVideo *
pixverse_video_card_get_video (PixverseVideoCard *self)
{
  g_return_val_if_fail (PIXVERSE_IS_VIDEO_CARD (self), NULL);

  return self->video;
}
