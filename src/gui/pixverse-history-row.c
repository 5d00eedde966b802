/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-history-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-history-row.h"

/* Logical sizes of the thumbnail and of the mode icon shown until it comes;
 * the thumbnail is loaded at its size in device pixels. */
#define THUMBNAIL_SIZE 64
#define MODE_ICON_SIZE 24

struct _PixverseHistoryRow
{
  GtkWidget       parent_instance;

  PixverseTask   *task;
  gulong          notify_handler;
  GCancellable   *thumbnail_cancellable;
  char           *thumbnail_path;
  int             thumbnail_scale;
  guint           tick_source;
  char           *summary;
  gint64          updated_at;   /* the clock's second of the last update */

  const char     *status_style; /* "error", "warning" or NULL */
  double          progress_shown; /* the bar's fraction, < 0 when pulsing */

  GtkImage       *thumbnail;
  GtkLabel       *prompt_label;
  GtkLabel       *options_label;
  GtkLabel       *time_label;
  GtkInscription *status_label;
  GtkProgressBar *progress_bar;
  GtkButton      *check_again_button;
};

enum {
  PROP_0,
  PROP_TASK,
  PROP_SUMMARY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PixverseHistoryRow, pixverse_history_row, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void pixverse_history_row_update (PixverseHistoryRow *self);

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

char *
pixverse_format_options (PixverseRequest *request)
{
  GString *str;
  int n;

  g_return_val_if_fail (PIXVERSE_IS_REQUEST (request), NULL);

  str = g_string_new (NULL);
  g_string_append (str, pixverse_request_get_resolution (request));
  g_string_append (str, " · ");
  g_string_append (str, pixverse_request_get_aspect_ratio (request));
  g_string_append (str, " · ");
  /* Translators: a video's duration in seconds, short */
  g_string_append_printf (str, _("%d s"), pixverse_request_get_duration (request));

  n = pixverse_request_get_num_outputs (request);
  if (n > 1)
    g_string_append_printf (str, " · ×%d", n);

  return g_string_free (str, FALSE);
}

char *
_pixverse_format_relative_time (gint64 then,
                                gint64 now)
{
  g_autoptr(GDateTime) then_dt = NULL;
  g_autoptr(GDateTime) now_dt = NULL;
  GDate then_date;
  GDate now_date;
  gint64 delta = now - then;
  int days;

  if (then <= 0)
    return g_strdup ("");

  /* A clock a little ahead of the row's time is still "just now". */
  if (delta < 60)
    return g_strdup (_("just now"));

  if (delta < 60 * 60)
    {
      int minutes = delta / 60;

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d min ago", "%d min ago", minutes),
                              minutes);
    }

  then_dt = g_date_time_new_from_unix_local (then);
  now_dt = g_date_time_new_from_unix_local (now);
  if (then_dt == NULL || now_dt == NULL)
    return g_strdup ("");

  g_date_clear (&then_date, 1);
  g_date_clear (&now_date, 1);
  g_date_set_dmy (&then_date,
                  g_date_time_get_day_of_month (then_dt),
                  g_date_time_get_month (then_dt),
                  g_date_time_get_year (then_dt));
  g_date_set_dmy (&now_date,
                  g_date_time_get_day_of_month (now_dt),
                  g_date_time_get_month (now_dt),
                  g_date_time_get_year (now_dt));
  days = g_date_days_between (&then_date, &now_date);

  if (days <= 0)
    {
      int hours = delta / (60 * 60);

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d h ago", "%d h ago", hours),
                              hours);
    }

  if (days == 1)
    return g_strdup (_("yesterday"));

  if (days < 7)
    /* Translators: a weekday, see the strftime manual. xgettext:no-c-format */
    return g_date_time_format (then_dt, _("%A"));

  if (g_date_time_get_year (then_dt) == g_date_time_get_year (now_dt))
    /* Translators: a date in this year, see the strftime manual. xgettext:no-c-format */
    return g_date_time_format (then_dt, _("%b %-d"));

  /* Translators: a date in another year, see the strftime manual. xgettext:no-c-format */
  return g_date_time_format (then_dt, _("%b %-d, %Y"));
}

char *
_pixverse_format_remaining (gint64 seconds)
{
  gint64 minutes;

  if (seconds < 60)
    return g_strdup (_("Less than a minute left"));

  minutes = (seconds + 30) / 60;

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "About %d min left", "About %d min left",
                                       minutes),
                          (int) minutes);
}

char *
_pixverse_task_dup_status_text (PixverseTask  *task,
                                gint64         now,
                                const char   **style_class)
{
  const char *style = NULL;
  char *text = NULL;

  g_return_val_if_fail (PIXVERSE_IS_TASK (task), NULL);

  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_SUBMITTING:
      {
        gint64 created_at = pixverse_task_get_created_at (task);

        if (created_at > 0 && now - created_at > PIXVERSE_SUBMIT_STALE_SECONDS)
          {
            text = g_strdup (_("May have been sent"));
            style = "warning";
          }
        else
          text = g_strdup (_("Sending…"));
      }
      break;

    case PIXVERSE_JOB_PROCESSING:
      {
        gint64 created_at = pixverse_task_get_created_at (task);
        int estimated = pixverse_task_get_estimated_time (task);
        gint64 elapsed = MAX (0, now - created_at);

        if (estimated <= 0 || created_at <= 0)
          text = g_strdup (_("Generating…"));
        else if (elapsed >= estimated)
          text = g_strdup (_("Taking longer than expected"));
        else
          text = _pixverse_format_remaining (estimated - elapsed);
      }
      break;

    case PIXVERSE_JOB_COMPLETED:
      switch (pixverse_task_get_download_state (task))
        {
        case PIXVERSE_DOWNLOAD_RUNNING:
          {
            double progress = CLAMP (pixverse_task_get_download_progress (task), 0., 1.);

            text = g_strdup_printf (_("Downloading… %d%%"), MIN (99, (int) (progress * 100. + .5)));
          }
          break;

        case PIXVERSE_DOWNLOAD_FAILED:
          text = g_strdup (_("Download failed"));
          style = "warning";
          break;

        case PIXVERSE_DOWNLOAD_EXPIRED:
          text = g_strdup (_("Links expired"));
          style = "warning";
          break;

        case PIXVERSE_DOWNLOAD_NONE:
        case PIXVERSE_DOWNLOAD_DONE:
        default:
          text = g_strdup (_("Completed"));
          break;
        }
      break;

    case PIXVERSE_JOB_FAILED:
      {
        const char *message = pixverse_task_get_message (task);

        if (message != NULL && message[0] != '\0')
          /* Translators: %s is the service's reason, in its own words */
          text = g_strdup_printf (_("Failed: %s"), message);
        else
          text = g_strdup (_("Failed"));
        style = "error";
      }
      break;

    case PIXVERSE_JOB_UNKNOWN:
    default:
      text = g_strdup (_("Still unknown"));
      style = "warning";
      break;
    }

  if (style_class != NULL)
    *style_class = style;

  return text;
}

gboolean
_pixverse_task_get_progress (PixverseTask *task,
                             gint64        now,
                             double       *fraction)
{
  double value = -1.;
  gboolean shown = FALSE;

  g_return_val_if_fail (PIXVERSE_IS_TASK (task), FALSE);

  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_SUBMITTING:
      {
        gint64 created_at = pixverse_task_get_created_at (task);

        shown = created_at <= 0 || now - created_at <= PIXVERSE_SUBMIT_STALE_SECONDS;
      }
      break;

    case PIXVERSE_JOB_PROCESSING:
      {
        gint64 created_at = pixverse_task_get_created_at (task);
        int estimated = pixverse_task_get_estimated_time (task);
        gint64 elapsed = MAX (0, now - created_at);

        shown = TRUE;
        if (estimated > 0 && created_at > 0 && elapsed < estimated)
          value = MIN ((double) elapsed / (double) estimated, 0.99);
      }
      break;

    case PIXVERSE_JOB_COMPLETED:
      if (pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_RUNNING)
        {
          shown = TRUE;
          value = CLAMP (pixverse_task_get_download_progress (task), 0., 1.);
        }
      break;

    case PIXVERSE_JOB_FAILED:
    case PIXVERSE_JOB_UNKNOWN:
    default:
      break;
    }

  if (fraction != NULL)
    *fraction = value;

  return shown;
}

/* Thumbnails: a square, centred cut of the first poster frame, scaled down
 * on a worker thread so rows never block the main loop nor hold full frames.
 * GTK's own loader reads the PNG; a box filter does the scaling. The cut is
 * made at the size the row shows it in device pixels, in cairo's own pixel
 * format: GTK's cairo renderer (used where there is no GPU) converts and
 * scales a texture again each time it draws it, and a list of rows whose
 * status changes draws them all many times (issue 14). */
static GdkTexture *
make_thumbnail (const char  *path,
                int          size,
                GError     **error)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GdkTextureDownloader) downloader = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *src;
  guint8 *dest;
  gsize stride;
  int width, height, side, out, x0, y0;

  if (!(texture = gdk_texture_new_from_filename (path, error)))
    return NULL;

  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  side = MIN (width, height);
  out = MIN (size, side);
  x0 = (width - side) / 2;
  y0 = (height - side) / 2;

  downloader = gdk_texture_downloader_new (texture);
  gdk_texture_downloader_set_format (downloader, GDK_MEMORY_DEFAULT);
  bytes = gdk_texture_downloader_download_bytes (downloader, &stride);
  src = g_bytes_get_data (bytes, NULL);
  dest = g_malloc ((gsize) out * out * 4);

  for (int oy = 0; oy < out; oy++)
    {
      int sy0 = y0 + oy * side / out;
      int sy1 = MAX (sy0 + 1, y0 + (oy + 1) * side / out);

      for (int ox = 0; ox < out; ox++)
        {
          int sx0 = x0 + ox * side / out;
          int sx1 = MAX (sx0 + 1, x0 + (ox + 1) * side / out);
          guint sum[4] = { 0, 0, 0, 0 };
          guint n = (guint) (sy1 - sy0) * (guint) (sx1 - sx0);

          for (int y = sy0; y < sy1; y++)
            {
              const guint8 *p = src + (gsize) y * stride + (gsize) sx0 * 4;

              for (int x = sx0; x < sx1; x++, p += 4)
                {
                  sum[0] += p[0];
                  sum[1] += p[1];
                  sum[2] += p[2];
                  sum[3] += p[3];
                }
            }

          for (int c = 0; c < 4; c++)
            dest[((gsize) oy * out + ox) * 4 + c] = (sum[c] + n / 2) / n;
        }
    }

  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = g_bytes_new_take (dest, (gsize) out * out * 4);

  return gdk_memory_texture_new (out, out, GDK_MEMORY_DEFAULT, bytes, out * 4);
}

typedef struct
{
  char *path;
  int   size;   /* in device pixels */
} ThumbnailJob;

static void
thumbnail_job_free (ThumbnailJob *job)
{
  g_free (job->path);
  g_free (job);
}

static void
load_thumbnail_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  ThumbnailJob *job = task_data;
  GError *error = NULL;
  GdkTexture *texture;

  if ((texture = make_thumbnail (job->path, job->size, &error)))
    g_task_return_pointer (task, texture, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
load_thumbnail_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)object;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  texture = g_task_propagate_pointer (G_TASK (result), &error);

  if (texture == NULL)
    {
      /* The mode icon stays: a missing poster is not worth a word. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No thumbnail: %s", error->message);
      return;
    }

  gtk_image_set_from_paintable (self->thumbnail, GDK_PAINTABLE (texture));
  gtk_image_set_pixel_size (self->thumbnail, THUMBNAIL_SIZE);
  /* Rounded like the tile; the icon needs no clip. */
  gtk_widget_set_overflow (GTK_WIDGET (self->thumbnail), GTK_OVERFLOW_HIDDEN);
}

static void
show_mode_icon (PixverseHistoryRow *self,
                const char         *icon_name)
{
  /* Setting the same icon again clears it first: a new size request
   * and a new lookup, at every change of the job (issue 14). */
  if (gtk_image_get_storage_type (self->thumbnail) == GTK_IMAGE_ICON_NAME &&
      g_strcmp0 (gtk_image_get_icon_name (self->thumbnail), icon_name) == 0)
    return;

  gtk_image_set_from_icon_name (self->thumbnail, icon_name);
  gtk_image_set_pixel_size (self->thumbnail, MODE_ICON_SIZE);
  gtk_widget_set_overflow (GTK_WIDGET (self->thumbnail), GTK_OVERFLOW_VISIBLE);
}

static void
pixverse_history_row_update_thumbnail (PixverseHistoryRow *self)
{
  const char * const *posters = NULL;
  const char *path = NULL;
  const char *icon_name = "camera-video-symbolic";
  g_autoptr(GTask) task = NULL;
  ThumbnailJob *job;
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  if (self->task != NULL)
    {
      PixverseRequest *request = pixverse_task_get_request (self->task);

      if (pixverse_request_get_mode (request) == PIXVERSE_MODE_IMAGE_TO_VIDEO)
        icon_name = "image-x-generic-symbolic";
      posters = pixverse_task_get_poster_paths (self->task);
    }

  if (posters != NULL && posters[0] != NULL && posters[0][0] != '\0')
    path = posters[0];

  if (g_strcmp0 (path, self->thumbnail_path) == 0 && scale == self->thumbnail_scale)
    {
      /* A recycled row given another job with no poster yet shows that
       * job's mode; a poster shown or being loaded stays. */
      if (gtk_image_get_storage_type (self->thumbnail) != GTK_IMAGE_PAINTABLE)
        show_mode_icon (self, icon_name);
      return;
    }

  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_free (self->thumbnail_path);
  self->thumbnail_path = g_strdup (path);
  self->thumbnail_scale = scale;

  show_mode_icon (self, icon_name);

  if (path == NULL)
    return;

  self->thumbnail_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->thumbnail_cancellable, load_thumbnail_cb, NULL);
  g_task_set_source_tag (task, pixverse_history_row_update_thumbnail);
  job = g_new0 (ThumbnailJob, 1);
  job->path = g_strdup (path);
  job->size = THUMBNAIL_SIZE * scale;
  g_task_set_task_data (task, job, (GDestroyNotify) thumbnail_job_free);
  g_task_run_in_thread (task, load_thumbnail_thread);
}

static gboolean
pixverse_history_row_tick_cb (gpointer user_data)
{
  PixverseHistoryRow *self = user_data;

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  pixverse_history_row_update (self);

  return G_SOURCE_CONTINUE;
}

/* The clock only runs while someone can see it move. */
static void
pixverse_history_row_update_tick (PixverseHistoryRow *self)
{
  gboolean wanted = FALSE;

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  if (self->task != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      PixverseJobStatus status = pixverse_task_get_status (self->task);

      wanted = status == PIXVERSE_JOB_SUBMITTING || status == PIXVERSE_JOB_PROCESSING;
    }

  if (wanted && self->tick_source == 0)
    {
      self->tick_source = g_timeout_add_seconds (1, pixverse_history_row_tick_cb, self);
      g_source_set_name_by_id (self->tick_source, "[pixverse] history row tick");
    }
  else if (!wanted)
    g_clear_handle_id (&self->tick_source, g_source_remove);
}

/* Changes of the status's class, and of the bar's fraction, are made only
 * when there is one: GTK styles the row again, or lays the whole window out
 * again, even for the same class or the same fraction, and the rows are
 * updated at each second and at each change of their job (issue 14). */
static void
set_status_style (PixverseHistoryRow *self,
                  const char         *style_class)
{
  GtkWidget *widget = GTK_WIDGET (self->status_label);

  if (g_strcmp0 (style_class, self->status_style) == 0)
    return;

  if (self->status_style != NULL)
    gtk_widget_remove_css_class (widget, self->status_style);
  if (style_class != NULL)
    gtk_widget_add_css_class (widget, style_class);
  self->status_style = style_class;
}

static void
set_progress (PixverseHistoryRow *self,
              double              fraction)
{
  if (fraction < 0)
    gtk_progress_bar_pulse (self->progress_bar);
  else if (fraction != self->progress_shown)
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  self->progress_shown = fraction;
}

/* The full date, made when the tooltip is about to show: setting a tooltip
 * asks the display where the pointer is (a round trip on X11) and the date
 * needs the local time zone (a few system calls), too dear for each of fifty
 * rows built at once (issue 14). */
static gboolean
time_label_query_tooltip_cb (PixverseHistoryRow *self,
                             int                 x,
                             int                 y,
                             gboolean            keyboard_mode,
                             GtkTooltip         *tooltip,
                             GtkWidget          *label)
{
  g_autoptr(GDateTime) created = NULL;
  g_autofree char *text = NULL;
  gint64 created_at;

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  if (self->task == NULL || (created_at = pixverse_task_get_created_at (self->task)) <= 0 ||
      !(created = g_date_time_new_from_unix_local (created_at)))
    return FALSE;

  /* Translators: a date and time, see the strftime manual. xgettext:no-c-format */
  text = g_date_time_format (created, _("%B %-d, %Y at %H:%M"));
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
pixverse_history_row_update (PixverseHistoryRow *self)
{
  PixverseRequest *request;
  g_autofree char *options = NULL;
  g_autofree char *when = NULL;
  g_autofree char *status = NULL;
  g_autofree char *summary = NULL;
  const char *style_class = NULL;
  const char *prompt;
  gint64 now = now_seconds ();
  double fraction = -1.;
  gboolean unknown;

  g_assert (PIXVERSE_IS_HISTORY_ROW (self));

  self->updated_at = now;
  pixverse_history_row_update_thumbnail (self);
  pixverse_history_row_update_tick (self);

  if (self->task == NULL)
    {
      gtk_label_set_label (self->prompt_label, "");
      gtk_label_set_label (self->options_label, "");
      gtk_label_set_label (self->time_label, "");
      gtk_inscription_set_text (self->status_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->check_again_button), FALSE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->check_again_button), NULL);
      summary = g_strdup ("");
    }
  else
    {
      request = pixverse_task_get_request (self->task);
      prompt = pixverse_request_get_prompt (request);
      options = pixverse_format_options (request);
      when = _pixverse_format_relative_time (pixverse_task_get_created_at (self->task), now);
      status = _pixverse_task_dup_status_text (self->task, now, &style_class);

      gtk_label_set_label (self->prompt_label, prompt ? prompt : "");
      gtk_label_set_label (self->options_label, options);
      gtk_label_set_label (self->time_label, when);
      gtk_inscription_set_text (self->status_label, status);
      set_status_style (self, style_class);

      if (_pixverse_task_get_progress (self->task, now, &fraction))
        {
          set_progress (self, fraction);
          gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
        }
      else
        gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), FALSE);

      unknown = pixverse_task_get_status (self->task) == PIXVERSE_JOB_UNKNOWN;
      /* Target first, then name: a name without its target makes GTK warn
       * about a parameter type mismatch when a recycled row is bound. */
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->check_again_button),
                                        "x", pixverse_task_get_id (self->task));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->check_again_button),
                                      "win.check-again");
      gtk_widget_set_visible (GTK_WIDGET (self->check_again_button), unknown);

      /* Translators: a job in the history list, for screen readers:
       * the prompt, its status, then its options */
      summary = g_strdup_printf (C_("history row", "%s, %s, %s"),
                                 prompt ? prompt : "", status, options);
    }

  if (g_strcmp0 (summary, self->summary) != 0)
    {
      g_free (self->summary);
      self->summary = g_steal_pointer (&summary);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, self->summary,
                                      -1);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SUMMARY]);
    }
}

static void
pixverse_history_row_task_notify_cb (PixverseHistoryRow *self,
                                     GParamSpec         *pspec,
                                     PixverseTask       *task)
{
  g_assert (PIXVERSE_IS_HISTORY_ROW (self));
  g_assert (PIXVERSE_IS_TASK (task));

  pixverse_history_row_update (self);
}

static void
pixverse_history_row_scale_factor_cb (PixverseHistoryRow *self,
                                      GParamSpec         *pspec,
                                      gpointer            user_data)
{
  pixverse_history_row_update_thumbnail (self);
}

/* Layout: the thumbnail on the left, and beside it the text in lines: the
 * prompt; the options and, at the end, the time; the status and, when shown,
 * Check Again; the progress bar. The row does this itself rather than with
 * boxes or a grid: a finished job's row is six widgets instead of eleven,
 * which each frame of a busy list measures, allocates and draws (issue 14),
 * and GTK 4.18's box layout, given a grid with a wrapping label, asks for
 * the height the grid needs at its narrowest rather than at the row's
 * width. */

#define THUMBNAIL_SPACING 12  /* between the thumbnail and the text */
#define COLUMN_SPACING     6  /* between the two parts of a text line */
#define LINE_SPACING       3  /* between text lines */

typedef struct
{
  int minimum;
  int natural;
} Size;

static Size
measure_child (GtkWidget      *child,
               GtkOrientation  orientation,
               int             for_size)
{
  Size size = { 0, 0 };

  if (gtk_widget_should_layout (child))
    gtk_widget_measure (child, orientation, for_size, &size.minimum, &size.natural, NULL, NULL);

  return size;
}

static void
size_add (Size *size,
          Size  other,
          int   spacing)
{
  size->minimum += other.minimum + spacing;
  size->natural += other.natural + spacing;
}

static void
size_max (Size *size,
          Size  other)
{
  size->minimum = MAX (size->minimum, other.minimum);
  size->natural = MAX (size->natural, other.natural);
}

/* A line of two: @start takes what @end, at its natural width, leaves;
 * -1 when @end is not shown. An @end shown with no text is 0 wide, and
 * still allocated: GTK warns about drawing a widget never allocated. */
static int
end_width (GtkWidget *start,
           GtkWidget *end,
           int        width)
{
  Size start_width, end_size;

  if (!gtk_widget_should_layout (end))
    return -1;

  start_width = measure_child (start, GTK_ORIENTATION_HORIZONTAL, -1);
  end_size = measure_child (end, GTK_ORIENTATION_HORIZONTAL, -1);

  return MAX (end_size.minimum,
              MIN (end_size.natural, width - start_width.minimum - COLUMN_SPACING));
}

static Size
line_width (GtkWidget *start,
            GtkWidget *end)
{
  Size size = measure_child (start, GTK_ORIENTATION_HORIZONTAL, -1);

  if (gtk_widget_should_layout (end))
    size_add (&size, measure_child (end, GTK_ORIENTATION_HORIZONTAL, -1), COLUMN_SPACING);

  return size;
}

static Size
line_height (GtkWidget *start,
             GtkWidget *end,
             int        width)
{
  Size size;
  int end_w;

  if (width < 0)
    {
      size = measure_child (start, GTK_ORIENTATION_VERTICAL, -1);
      size_max (&size, measure_child (end, GTK_ORIENTATION_VERTICAL, -1));
      return size;
    }

  end_w = end_width (start, end, width);
  size = measure_child (start, GTK_ORIENTATION_VERTICAL,
                        end_w >= 0 ? MAX (0, width - end_w - COLUMN_SPACING) : width);
  if (end_w >= 0)
    size_max (&size, measure_child (end, GTK_ORIENTATION_VERTICAL, end_w));

  return size;
}

static Size
text_width (PixverseHistoryRow *self)
{
  Size size = measure_child (GTK_WIDGET (self->prompt_label), GTK_ORIENTATION_HORIZONTAL, -1);

  size_max (&size, line_width (GTK_WIDGET (self->options_label), GTK_WIDGET (self->time_label)));
  size_max (&size, line_width (GTK_WIDGET (self->status_label), GTK_WIDGET (self->check_again_button)));
  size_max (&size, measure_child (GTK_WIDGET (self->progress_bar), GTK_ORIENTATION_HORIZONTAL, -1));

  return size;
}

/* The text's lines' heights at @width (or unconstrained), each in @lines. */
static Size
text_height (PixverseHistoryRow *self,
             int                 width,
             Size                lines[4])
{
  Size size = { -LINE_SPACING, -LINE_SPACING };

  lines[0] = measure_child (GTK_WIDGET (self->prompt_label), GTK_ORIENTATION_VERTICAL, width);
  lines[1] = line_height (GTK_WIDGET (self->options_label), GTK_WIDGET (self->time_label), width);
  lines[2] = line_height (GTK_WIDGET (self->status_label), GTK_WIDGET (self->check_again_button), width);
  lines[3] = measure_child (GTK_WIDGET (self->progress_bar), GTK_ORIENTATION_VERTICAL, width);

  for (guint i = 0; i < 4; i++)
    if (lines[i].natural > 0)
      size_add (&size, lines[i], LINE_SPACING);

  return size;
}

static int
thumbnail_width (PixverseHistoryRow *self)
{
  return measure_child (GTK_WIDGET (self->thumbnail), GTK_ORIENTATION_HORIZONTAL, -1).minimum;
}

static GtkSizeRequestMode
pixverse_history_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
pixverse_history_row_measure (GtkWidget      *widget,
                              GtkOrientation  orientation,
                              int             for_size,
                              int            *minimum,
                              int            *natural,
                              int            *minimum_baseline,
                              int            *natural_baseline)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)widget;
  int thumb = thumbnail_width (self);
  Size size, lines[4];

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      size = text_width (self);
      size.minimum += thumb + THUMBNAIL_SPACING;
      size.natural += thumb + THUMBNAIL_SPACING;
    }
  else
    {
      int width = -1;

      if (for_size >= 0)
        width = MAX (text_width (self).minimum, for_size - thumb - THUMBNAIL_SPACING);
      size = text_height (self, width, lines);
      size_max (&size, measure_child (GTK_WIDGET (self->thumbnail), GTK_ORIENTATION_VERTICAL, thumb));
    }

  *minimum = size.minimum;
  *natural = size.natural;
}

/* The row being allocated: its width, and whether it runs right to left. */
typedef struct
{
  int      width;
  gboolean rtl;
} Row;

static void
allocate_child (GtkWidget *child,
                const Row *row,
                int        x,
                int        y,
                int        width,
                int        height)
{
  if (!gtk_widget_should_layout (child))
    return;

  if (row->rtl)
    x = row->width - x - width;

  gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, width, height }, -1);
}

static void
allocate_line (GtkWidget *start,
               GtkWidget *end,
               const Row *row,
               int        x,
               int        y,
               int        width,
               int        height)
{
  int end_w = end_width (start, end, width);

  if (end_w < 0)
    {
      allocate_child (start, row, x, y, width, height);
      return;
    }

  allocate_child (start, row, x, y, MAX (0, width - end_w - COLUMN_SPACING), height);
  allocate_child (end, row, x + width - end_w, y, end_w, height);
}

static void
pixverse_history_row_size_allocate (GtkWidget *widget,
                                    int        width,
                                    int        height,
                                    int        baseline)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)widget;
  int thumb = thumbnail_width (self);
  int x = thumb + THUMBNAIL_SPACING;
  int text_w = MAX (0, width - x);
  Size lines[4];
  Size text = text_height (self, text_w, lines);
  int y = MAX (0, (height - text.natural) / 2);  /* the text is centred */
  /* Mirrored for right-to-left languages, as the row's direction says. */
  Row row = { width, gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL };

  allocate_child (GTK_WIDGET (self->thumbnail), &row, 0, 0, thumb, height);

  allocate_child (GTK_WIDGET (self->prompt_label), &row, x, y, text_w, lines[0].natural);
  y += lines[0].natural + LINE_SPACING;
  allocate_line (GTK_WIDGET (self->options_label), GTK_WIDGET (self->time_label),
                 &row, x, y, text_w, lines[1].natural);
  y += lines[1].natural + LINE_SPACING;
  allocate_line (GTK_WIDGET (self->status_label), GTK_WIDGET (self->check_again_button),
                 &row, x, y, text_w, lines[2].natural);
  y += lines[2].natural + LINE_SPACING;
  allocate_child (GTK_WIDGET (self->progress_bar), &row, x, y, text_w, lines[3].natural);
}

static void
pixverse_history_row_map (GtkWidget *widget)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)widget;

  GTK_WIDGET_CLASS (pixverse_history_row_parent_class)->map (widget);

  /* Brings "5 min ago" up to date after the row was off screen; a row just
   * given its job (built for it, most often) is up to date already. */
  if (self->updated_at != now_seconds ())
    pixverse_history_row_update (self);
  else
    pixverse_history_row_update_tick (self);
}

static void
pixverse_history_row_unmap (GtkWidget *widget)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)widget;

  GTK_WIDGET_CLASS (pixverse_history_row_parent_class)->unmap (widget);

  pixverse_history_row_update_tick (self);
}

static void
pixverse_history_row_dispose (GObject *object)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)object;

  if (self->task != NULL)
    g_clear_signal_handler (&self->notify_handler, self->task);
  g_clear_object (&self->task);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_HISTORY_ROW);

  G_OBJECT_CLASS (pixverse_history_row_parent_class)->dispose (object);
}

static void
pixverse_history_row_finalize (GObject *object)
{
  PixverseHistoryRow *self = (PixverseHistoryRow *)object;

  g_clear_pointer (&self->thumbnail_path, g_free);
  g_clear_pointer (&self->summary, g_free);

  G_OBJECT_CLASS (pixverse_history_row_parent_class)->finalize (object);
}

static void
pixverse_history_row_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PixverseHistoryRow *self = PIXVERSE_HISTORY_ROW (object);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_object (value, self->task);
      break;

    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_history_row_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  PixverseHistoryRow *self = PIXVERSE_HISTORY_ROW (object);

  switch (prop_id)
    {
    case PROP_TASK:
      pixverse_history_row_set_task (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_history_row_class_init (PixverseHistoryRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pixverse_history_row_dispose;
  object_class->finalize = pixverse_history_row_finalize;
  object_class->get_property = pixverse_history_row_get_property;
  object_class->set_property = pixverse_history_row_set_property;

  widget_class->get_request_mode = pixverse_history_row_get_request_mode;
  widget_class->measure = pixverse_history_row_measure;
  widget_class->size_allocate = pixverse_history_row_size_allocate;
  widget_class->map = pixverse_history_row_map;
  widget_class->unmap = pixverse_history_row_unmap;

  properties [PROP_TASK] =
    g_param_spec_object ("task", NULL, NULL,
                         PIXVERSE_TYPE_TASK,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pixversestudio/PixverseStudio/pixverse-history-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, options_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PixverseHistoryRow, check_again_button);
  gtk_widget_class_bind_template_callback (widget_class, time_label_query_tooltip_cb);


  gtk_widget_class_set_css_name (widget_class, "pixverse-history-row");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pixverse_history_row_init (PixverseHistoryRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->progress_shown = -1.;

  /* A window moved to a denser screen gets sharper thumbnails. */
  g_signal_connect (self, "notify::scale-factor",
                    G_CALLBACK (pixverse_history_row_scale_factor_cb), NULL);
}

GtkWidget *
pixverse_history_row_new (void)
{
  return g_object_new (PIXVERSE_TYPE_HISTORY_ROW, NULL);
}

PixverseTask *
pixverse_history_row_get_task (PixverseHistoryRow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY_ROW (self), NULL);

  return self->task;
}

/**
 * pixverse_history_row_set_task:
 * @self: a #PixverseHistoryRow
 * @task: (nullable): the job to show
 *
 * Rows are recycled by the history view: the handler on the previous task goes
 * with it.
 */
void
pixverse_history_row_set_task (PixverseHistoryRow *self,
                               PixverseTask       *task)
{
  g_return_if_fail (PIXVERSE_IS_HISTORY_ROW (self));
  g_return_if_fail (task == NULL || PIXVERSE_IS_TASK (task));

  if (self->task == task)
    return;

  if (self->task != NULL)
    g_clear_signal_handler (&self->notify_handler, self->task);

  g_set_object (&self->task, task);

  if (task != NULL)
    self->notify_handler =
      g_signal_connect_object (task,
                               "notify",
                               G_CALLBACK (pixverse_history_row_task_notify_cb),
                               self,
                               G_CONNECT_SWAPPED);

  pixverse_history_row_update (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TASK]);
}

const char *
pixverse_history_row_get_summary (PixverseHistoryRow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_HISTORY_ROW (self), NULL);

  return self->summary;
}
