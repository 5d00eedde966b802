/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-job-page"

#include "config.h"

#include <adwaita.h>

#include <glib/gstdio.h>

#include "fake-pixwith.h"
#include "test-gui-util.h"
#include "pixverse-client.h"
#include "pixverse-history.h"
#include "pixverse-history-row.h"
#include "pixverse-job-page.h"
#include "pixverse-monitor.h"
#include "pixverse-resources.h"
#include "pixverse-video-card.h"

#define PROMPT "A red fox running through fresh snow at dawn"
#define TASK_ID "a1b2c3d4-task"
#define RESULT_URL "https://cdn.example.invalid/results/a1b2c3d4_1.mp4"

/* The end-to-end test runs the monitor's waits and the fake's jobs 50 times
 * faster: a 150 s job takes 3 s. */
#define SCALE 0.02
#define SCALE_STRING "0.02"

/* Helpers */

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static PixverseRequest *
make_request (int          num_outputs,
              PixverseMode mode)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, PROMPT);
  pixverse_request_set_mode (request, mode);
  if (mode == PIXVERSE_MODE_IMAGE_TO_VIDEO)
    pixverse_request_set_image_url (request, "https://images.example.invalid/fox.png");
  pixverse_request_set_num_outputs (request, num_outputs);
  pixverse_request_set_resolution (request, "720p");
  pixverse_request_set_aspect_ratio (request, "16:9");
  pixverse_request_set_duration (request, 5);
  pixverse_request_set_prompt_optimization (request, FALSE);

  return request;
}

static PixverseTask *
make_task (gint64            id,
           int               num_outputs,
           PixverseJobStatus status)
{
  g_autoptr(PixverseRequest) request = make_request (num_outputs, PIXVERSE_MODE_TEXT_TO_VIDEO);
  PixverseTask *task = pixverse_task_new (id, request);

  pixverse_task_set_created_at (task, now_seconds ());
  if (status != PIXVERSE_JOB_SUBMITTING)
    {
      pixverse_task_set_task_id (task, TASK_ID);
      pixverse_task_set_estimated_time (task, 150);
    }
  pixverse_task_set_status (task, status);

  return task;
}

/* A shown label or inscription that reads @text. */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_texts (root, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);

      if (shown (label) && g_strcmp0 (widget_text (label), text) == 0)
        return label;
    }

  return NULL;
}

static gboolean
has_label (GtkWidget  *root,
           const char *text)
{
  return find_label (root, text) != NULL;
}

/* Every shown label and inscription, for messages when an expectation fails. */
static char *
dump_labels (GtkWidget *root)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GString *str = g_string_new (NULL);

  collect_texts (root, labels);
  for (guint i = 0; i < labels->len; i++)
    if (shown (g_ptr_array_index (labels, i)))
      g_string_append_printf (str, "[%s] ", widget_text (g_ptr_array_index (labels, i)));

  return g_string_free (str, FALSE);
}

#define assert_label(root, text)                                             \
  G_STMT_START {                                                             \
    if (!has_label (GTK_WIDGET (root), (text)))                              \
      {                                                                      \
        g_autofree char *labels_ = dump_labels (GTK_WIDGET (root));          \
        g_error ("No label “%s” among %s", (text), labels_);                 \
      }                                                                      \
  } G_STMT_END

static GtkWidget *
find_actionable (GtkWidget  *root,
                 const char *action_name)
{
  g_autoptr(GPtrArray) widgets = g_ptr_array_new ();

  collect (root, GTK_TYPE_WIDGET, widgets);
  for (guint i = 0; i < widgets->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (widgets, i);

      if (GTK_IS_ACTIONABLE (widget) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
        return widget;
    }

  return NULL;
}

/* As a click does it: buttons at once (activating one waits for its
 * pressed look to end), rows through their activation. */
static void
click (GtkWidget *widget)
{
  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_is_sensitive (widget));

  if (GTK_IS_BUTTON (widget))
    g_signal_emit_by_name (widget, "clicked");
  else
    g_assert_true (gtk_widget_activate (widget));
}

static GtkProgressBar *
find_progress_bar (GtkWidget *root)
{
  return GTK_PROGRESS_BAR (find_only (root, GTK_TYPE_PROGRESS_BAR));
}

typedef struct
{
  gboolean  done;
  char     *text;
} ClipboardRead;

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ClipboardRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static char *
read_clipboard (GtkWidget *widget)
{
  ClipboardRead read = { 0 };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, read_text_cb, &read);
  wait_for (read.done, 10);

  return read.text;
}

/* A copy of the sample video, where the monitor would have put it. */
static char *
copy_sample_video (const char *name)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "pixverse-studio", "videos", NULL);
  g_autofree char *source_path = g_build_filename (g_getenv ("PIXVERSE_FIXTURES"), "sample.mp4", NULL);
  g_autoptr(GFile) source = g_file_new_for_path (source_path);
  g_autoptr(GFile) copy = NULL;
  g_autoptr(GError) error = NULL;
  char *path;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  path = g_build_filename (dir, name, NULL);
  copy = g_file_new_for_path (path);
  g_file_copy (source, copy, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  return path;
}

/* A window with the actions the real window has, recording what they get. */
typedef struct
{
  GtkWidget          *window;
  AdwToastOverlay    *overlay;
  GSimpleActionGroup *group;
  gint64              reuse_id;
  gint64              delete_id;
  gint64              check_id;
  guint               n_activations;
} TestWindow;

static void
record_action_cb (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  TestWindow *tw = user_data;
  const char *name = g_action_get_name (G_ACTION (action));
  gint64 id = g_variant_get_int64 (parameter);

  tw->n_activations++;
  if (g_str_equal (name, "reuse-settings"))
    tw->reuse_id = id;
  else if (g_str_equal (name, "delete-task"))
    tw->delete_id = id;
  else if (g_str_equal (name, "check-again"))
    tw->check_id = id;
}

static TestWindow *
test_window_new (GtkWidget *child)
{
  static const GActionEntry entries[] = {
    { "reuse-settings", record_action_cb, "x" },
    { "delete-task", record_action_cb, "x" },
    { "check-again", record_action_cb, "x" },
  };
  TestWindow *tw = g_new0 (TestWindow, 1);

  tw->reuse_id = tw->delete_id = tw->check_id = -1;
  tw->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (tw->window), 800, 900);
  tw->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (tw->overlay, child);
  gtk_window_set_child (GTK_WINDOW (tw->window), GTK_WIDGET (tw->overlay));

  tw->group = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (tw->group), entries, G_N_ELEMENTS (entries), tw);
  gtk_widget_insert_action_group (tw->window, "win", G_ACTION_GROUP (tw->group));

  /* Mapped is not laid out: on a loaded machine a test could read the
   * geometry of a child GTK has not yet allocated. A painted frame has
   * been laid out first. */
  gtk_window_present (GTK_WINDOW (tw->window));
  wait_for_first_frame (child, 10);

  return tw;
}

static void
test_window_free (TestWindow *tw)
{
  GtkWidget *window = g_object_ref (tw->window);

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&tw->group);
  drain (50);
  g_assert_finalize_object (window);
  g_free (tw);
}

/* Tests */

static void
test_format_options (void)
{
  g_autoptr(PixverseRequest) request = make_request (1, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_autofree char *one = NULL;
  g_autofree char *three = NULL;
  g_autofree char *other = NULL;

  one = pixverse_format_options (request);
  g_assert_cmpstr (one, ==, "720p · 16:9 · 5 s");

  pixverse_request_set_num_outputs (request, 3);
  three = pixverse_format_options (request);
  g_assert_cmpstr (three, ==, "720p · 16:9 · 5 s · ×3");

  pixverse_request_set_num_outputs (request, 1);
  pixverse_request_set_resolution (request, "1080p");
  pixverse_request_set_aspect_ratio (request, "9:16");
  pixverse_request_set_duration (request, 8);
  other = pixverse_format_options (request);
  g_assert_cmpstr (other, ==, "1080p · 9:16 · 8 s");
}

static void
test_relative_time (void)
{
  gint64 now = now_seconds ();
  g_autoptr(GDateTime) old = g_date_time_new_local (2001, 2, 3, 12, 0, 0);
  struct { gint64 then; const char *text; } cases[] = {
    { now, "just now" },
    { now - 59, "just now" },
    { now + 5, "just now" },
    { now - 60, "1 min ago" },
    { now - 5 * 60, "5 min ago" },
    { g_date_time_to_unix (old), "Feb 3, 2001" },
  };
  g_autofree char *yesterday = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = _pixverse_format_relative_time (cases[i].then, now);

      g_assert_cmpstr (text, ==, cases[i].text);
    }

  /* Noon today minus a day is yesterday, whatever the time now. */
  {
    g_autoptr(GDateTime) local_now = g_date_time_new_from_unix_local (now);
    g_autoptr(GDateTime) noon = g_date_time_new_local (g_date_time_get_year (local_now),
                                                       g_date_time_get_month (local_now),
                                                       g_date_time_get_day_of_month (local_now),
                                                       12, 0, 0);
    g_autoptr(GDateTime) before = g_date_time_add_days (noon, -1);

    yesterday = _pixverse_format_relative_time (g_date_time_to_unix (before), now);
    g_assert_cmpstr (yesterday, ==, "yesterday");
  }

  {
    g_autofree char *a = _pixverse_format_remaining (30);
    g_autofree char *b = _pixverse_format_remaining (60);
    g_autofree char *c = _pixverse_format_remaining (120);

    g_assert_cmpstr (a, ==, "Less than a minute left");
    g_assert_cmpstr (b, ==, "About 1 min left");
    g_assert_cmpstr (c, ==, "About 2 min left");
  }
}

static GtkWidget *
new_row (PixverseTask *task)
{
  GtkWidget *row = pixverse_history_row_new ();

  g_object_ref_sink (row);
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), task);

  return row;
}

static void
assert_check_again (GtkWidget *row,
                    gboolean   expected,
                    gint64     id)
{
  GtkWidget *button = find_actionable (row, "win.check-again");
  GVariant *target;

  g_assert_nonnull (button);
  g_assert_cmpint (shown (button), ==, expected);
  if (expected)
    {
      target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button));
      g_assert_nonnull (target);
      g_assert_true (g_variant_is_of_type (target, G_VARIANT_TYPE_INT64));
      g_assert_cmpint (g_variant_get_int64 (target), ==, id);
    }
}

static void
test_row_statuses (void)
{
  gint64 now = now_seconds ();
  PixverseTask *task;
  GtkWidget *row;
  GtkProgressBar *bar;
  GtkWidget *label;
  const char *summary;

  /* Submitting, fresh and left behind by a crash */
  task = make_task (1, 2, PIXVERSE_JOB_SUBMITTING);
  row = new_row (task);
  assert_label (row, PROMPT);
  assert_label (row, "720p · 16:9 · 5 s · ×2");
  assert_label (row, "just now");
  assert_label (row, "Sending…");
  assert_check_again (row, FALSE, 1);
  pixverse_task_set_created_at (task, now - 3 * 60);
  assert_label (row, "May have been sent");
  assert_label (row, "3 min ago");
  g_assert_finalize_object (row);
  g_assert_finalize_object (task);

  /* Processing: 30 s into 150 s */
  task = make_task (2, 1, PIXVERSE_JOB_PROCESSING);
  pixverse_task_set_created_at (task, now - 30);
  row = new_row (task);
  assert_label (row, "720p · 16:9 · 5 s");
  assert_label (row, "About 2 min left");
  bar = find_progress_bar (row);
  g_assert_true (shown (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.2, 0.02);
  assert_check_again (row, FALSE, 2);
  /* Past the estimate the bar never claims to be done */
  pixverse_task_set_created_at (task, now - 400);
  assert_label (row, "Taking longer than expected");
  g_assert_true (shown (GTK_WIDGET (bar)));
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (bar), <, 1.0);
  g_assert_finalize_object (row);
  g_assert_finalize_object (task);

  /* Completed, while downloading, and when the download failed */
  task = make_task (3, 1, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_DONE);
  row = new_row (task);
  assert_label (row, "Completed");
  bar = find_progress_bar (row);
  g_assert_false (shown (GTK_WIDGET (bar)));
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_RUNNING);
  pixverse_task_set_download_progress (task, 0.42);
  assert_label (row, "Downloading… 42%");
  g_assert_true (shown (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.42, 0.001);
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_FAILED);
  assert_label (row, "Download failed");
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_EXPIRED);
  assert_label (row, "Links expired");
  assert_check_again (row, FALSE, 3);
  g_assert_finalize_object (row);
  g_assert_finalize_object (task);

  /* Failed, in the service's words, styled as an error */
  task = make_task (4, 1, PIXVERSE_JOB_FAILED);
  pixverse_task_set_message (task, "Credits not enough");
  row = new_row (task);
  label = find_label (row, "Failed: Credits not enough");
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (label), "error"));
  assert_check_again (row, FALSE, 4);
  summary = pixverse_history_row_get_summary (PIXVERSE_HISTORY_ROW (row));
  g_assert_nonnull (strstr (summary, PROMPT));
  g_assert_nonnull (strstr (summary, "Failed: Credits not enough"));
  g_assert_finalize_object (row);
  g_assert_finalize_object (task);

  /* Unknown: the only status with Check Again */
  task = make_task (5, 1, PIXVERSE_JOB_UNKNOWN);
  row = new_row (task);
  assert_label (row, "Still unknown");
  assert_check_again (row, TRUE, 5);
  summary = pixverse_history_row_get_summary (PIXVERSE_HISTORY_ROW (row));
  g_assert_nonnull (strstr (summary, "Still unknown"));
  g_assert_finalize_object (row);
  g_assert_finalize_object (task);
}

/* The row's thumbnail tile: one image, the mode icon or the poster frame. */
static GtkImage *
find_thumbnail (GtkWidget *row)
{
  GtkWidget *image = find_only (row, GTK_TYPE_IMAGE);

  g_assert_true (gtk_widget_has_css_class (image, "history-thumbnail"));
  g_assert_true (shown (image));

  return GTK_IMAGE (image);
}

static gboolean
shows_poster (GtkImage *image)
{
  return gtk_image_get_storage_type (image) == GTK_IMAGE_PAINTABLE;
}

static void
assert_mode_icon (GtkImage   *image,
                  const char *icon_name)
{
  g_assert_cmpint (gtk_image_get_storage_type (image), ==, GTK_IMAGE_ICON_NAME);
  g_assert_cmpstr (gtk_image_get_icon_name (image), ==, icon_name);
}

static float
left_edge (GtkWidget *widget,
           GtkWidget *target)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, target, &bounds));
  return bounds.origin.x;
}

static float
right_edge (GtkWidget *widget,
            GtkWidget *target)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, target, &bounds));
  return bounds.origin.x + bounds.size.width;
}

static GtkWidget *
find_status (GtkWidget *row)
{
  return find_only (row, GTK_TYPE_INSCRIPTION);
}

static void
test_row_check_again (void)
{
  g_autoptr(PixverseTask) task = make_task (42, 1, PIXVERSE_JOB_UNKNOWN);
  GtkWidget *row = pixverse_history_row_new ();
  TestWindow *tw;
  GtkWidget *button;
  g_autofree char *message = NULL;

  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), task);
  tw = test_window_new (row);

  /* What a screen reader says for the row */
  message = gtk_test_accessible_check_property (GTK_ACCESSIBLE (row),
                                                GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                pixverse_history_row_get_summary (PIXVERSE_HISTORY_ROW (row)));
  g_assert_null (message);

  button = find_actionable (row, "win.check-again");
  g_assert_true (shown (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  click (button);
  drain (50);
  g_assert_cmpint (tw->check_id, ==, 42);
  g_assert_cmpuint (tw->n_activations, ==, 1);

  /* The status keeps clear of the button beside it, and has the text's
   * whole width again once the button goes */
  g_assert_cmpfloat (right_edge (find_status (row), row), <=, left_edge (button, row));
  g_assert_cmpfloat (right_edge (button, row), ==, gtk_widget_get_width (row));
  pixverse_task_set_status (task, PIXVERSE_JOB_FAILED);
  g_assert_false (shown (button));
  wait_for (right_edge (find_status (row), row) == gtk_widget_get_width (row), 10);

  /* Right to left: the thumbnail at the right, the text on its left */
  gtk_widget_set_direction (row, GTK_TEXT_DIR_RTL);
  wait_for (right_edge (GTK_WIDGET (find_thumbnail (row)), row) == gtk_widget_get_width (row), 10);
  g_assert_cmpfloat (left_edge (find_status (row), row), ==, 0);
  g_assert_cmpfloat (right_edge (find_status (row), row), <, left_edge (GTK_WIDGET (find_thumbnail (row)), row));

  test_window_free (tw);
}

/* A job not yet given a time: the empty time label is still laid out, at
 * the line's end, 0 wide; GTK warns (fatal here) on drawing a widget it has
 * not allocated. */
static void
test_row_no_time (void)
{
  g_autoptr(PixverseTask) task = make_task (7, 1, PIXVERSE_JOB_SUBMITTING);
  GtkWidget *row = pixverse_history_row_new ();
  GtkWidget *options;
  TestWindow *tw;

  pixverse_task_set_created_at (task, 0);
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), task);
  tw = test_window_new (row);

  options = find_label (row, "720p · 16:9 · 5 s");
  g_assert_cmpfloat (right_edge (options, row), ==, gtk_widget_get_width (row) - 6);

  test_window_free (tw);
}

static guint
count_handlers (gpointer instance,
                gpointer data)
{
  guint n = 0;

  /* Count by blocking: each match blocked once, then unblocked. */
  n = g_signal_handlers_block_matched (instance, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, data);
  g_signal_handlers_unblock_matched (instance, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, data);

  return n;
}

static void
test_row_rebind (void)
{
  PixverseTask *first = make_task (1, 1, PIXVERSE_JOB_PROCESSING);
  PixverseTask *second = make_task (2, 1, PIXVERSE_JOB_FAILED);
  GtkWidget *row = new_row (first);

  g_assert_cmpuint (count_handlers (first, row), >, 0);
  assert_label (row, "About 3 min left");

  /* Recycled for another job: nothing stays on the first */
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), second);
  g_assert_true (pixverse_history_row_get_task (PIXVERSE_HISTORY_ROW (row)) == second);
  g_assert_cmpuint (count_handlers (first, row), ==, 0);
  g_assert_cmpuint (count_handlers (second, row), >, 0);
  g_assert_false (g_signal_has_handler_pending (first, g_signal_lookup ("notify", G_TYPE_OBJECT), 0, FALSE));
  assert_label (row, "Failed");

  /* Changes to the first job no longer reach the row */
  pixverse_task_set_status (first, PIXVERSE_JOB_UNKNOWN);
  g_assert_false (has_label (row, "Still unknown"));
  assert_label (row, "Failed");
  g_assert_true (gtk_widget_has_css_class (find_status (row), "error"));

  /* The status's colour follows the job shown, not the one before */
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), first);
  assert_label (row, "Still unknown");
  g_assert_false (gtk_widget_has_css_class (find_status (row), "error"));
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), second);
  g_assert_true (gtk_widget_has_css_class (find_status (row), "error"));

  /* Unbound, as the list view does before reusing it */
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), NULL);
  g_assert_cmpuint (count_handlers (second, row), ==, 0);
  g_assert_false (has_label (row, PROMPT));

  g_assert_finalize_object (row);
  g_assert_finalize_object (first);
  g_assert_finalize_object (second);
}

static char *
make_poster (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "pixverse-studio", NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  const int width = 320;
  const int height = 180;
  guint8 *pixels = g_malloc (width * height * 3);
  char *path;

  for (int i = 0; i < width * height; i++)
    {
      pixels[i * 3] = 0xe0;
      pixels[i * 3 + 1] = 0x60;
      pixels[i * 3 + 2] = 0x20;
    }
  bytes = g_bytes_new_take (pixels, width * height * 3);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8, bytes, width * 3);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  path = g_build_filename (dir, "poster.png", NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));

  return path;
}

static void
test_row_thumbnail (void)
{
  g_autoptr(PixverseTask) task = make_task (7, 1, PIXVERSE_JOB_COMPLETED);
  g_autofree char *poster = make_poster ();
  const char *posters[] = { poster, NULL };
  GtkWidget *row = new_row (task);
  GtkImage *image = find_thumbnail (row);

  assert_mode_icon (image, "camera-video-symbolic");

  /* The poster frame arrives after the download */
  pixverse_task_set_poster_paths (task, posters);
  wait_for (shows_poster (image), 10);
  /* A square cut, at the size it is shown in device pixels (64 at scale 1):
   * not the whole frame, and nothing for the renderer to scale each frame */
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (gtk_image_get_paintable (image)), ==,
                   64 * gtk_widget_get_scale_factor (row));
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (gtk_image_get_paintable (image)), ==,
                   64 * gtk_widget_get_scale_factor (row));
  g_assert_cmpint (gdk_texture_get_format (GDK_TEXTURE (gtk_image_get_paintable (image))), ==,
                   GDK_MEMORY_DEFAULT);

  /* Rebound to a job without poster: the mode icon again, then the mode
   * of each job the row is given, though none has a poster to load */
  {
    g_autoptr(PixverseTask) other = make_task (8, 1, PIXVERSE_JOB_PROCESSING);
    g_autoptr(PixverseRequest) request = make_request (1, PIXVERSE_MODE_IMAGE_TO_VIDEO);
    g_autoptr(PixverseTask) from_image = pixverse_task_new (9, request);

    pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), other);
    assert_mode_icon (image, "camera-video-symbolic");
    pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), from_image);
    assert_mode_icon (image, "image-x-generic-symbolic");
    pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), other);
    assert_mode_icon (image, "camera-video-symbolic");
    pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), NULL);
  }

  /* The loader's worker thread lets go of its task (and row) on its own time. */
  wait_for (g_atomic_int_get (&G_OBJECT (row)->ref_count) == 1, 10);
  g_assert_finalize_object (row);
}

/* The job page */

typedef struct
{
  PixverseTask *task;
  GtkWidget    *page;
  TestWindow   *tw;
  char         *video_path;
} PageFixture;

static void
page_fixture_set_up (PageFixture   *f,
                     gconstpointer  data)
{
  const char *results[] = { RESULT_URL, NULL };
  const char *paths[] = { NULL, NULL };

  f->video_path = copy_sample_video (TASK_ID "_1.mp4");
  paths[0] = f->video_path;

  f->task = make_task (11, 1, PIXVERSE_JOB_COMPLETED);
  pixverse_task_set_result_urls (f->task, results);
  pixverse_task_set_video_paths (f->task, paths);
  pixverse_task_set_download_state (f->task, PIXVERSE_DOWNLOAD_DONE);

  f->page = pixverse_job_page_new (NULL);
  pixverse_job_page_set_task (PIXVERSE_JOB_PAGE (f->page), f->task);
  f->tw = test_window_new (f->page);
}

static void
page_fixture_tear_down (PageFixture   *f,
                        gconstpointer  data)
{
  test_window_free (f->tw);
  g_assert_finalize_object (f->task);
  g_free (f->video_path);
}

static PixverseVideoCard *
wait_for_video (PixverseJobPage *page,
                guint            index)
{
  PixverseVideoCard *card;

  wait_for (_pixverse_job_page_get_n_videos (page) > index, 10);
  card = _pixverse_job_page_get_video_card (page, index);
  wait_for (pixverse_video_card_get_file (card) != NULL, 10);

  return card;
}

static void
test_page_completed (PageFixture   *f,
                     gconstpointer  data)
{
  PixverseJobPage *page = PIXVERSE_JOB_PAGE (f->page);
  g_autoptr(GPtrArray) videos = g_ptr_array_new ();
  g_autoptr(GFile) expected = g_file_new_for_path (f->video_path);
  PixverseVideoCard *card;
  GtkMediaStream *stream;
  GtkVideo *video;

  assert_label (page, PROMPT);
  assert_label (page, "Text to video · 720p · 16:9 · 5 s");
  assert_label (page, "Created just now");
  assert_label (page, "Completed");
  assert_label (page, "The video is saved on this computer.");
  assert_label (page, TASK_ID);
  g_assert_false (shown (find_actionable (f->page, "job.download-again")));
  g_assert_false (shown (find_actionable (f->page, "job.check-again")));

  card = wait_for_video (page, 0);
  g_assert_cmpuint (_pixverse_job_page_get_n_videos (page), ==, 1);

  /* One GtkVideo, on the downloaded file, shown and ready to play */
  collect (f->page, GTK_TYPE_VIDEO, videos);
  g_assert_cmpuint (videos->len, ==, 1);
  video = g_ptr_array_index (videos, 0);
  g_assert_true (video == pixverse_video_card_get_video (card));
  g_assert_true (shown (GTK_WIDGET (video)));
  g_assert_true (g_file_equal (gtk_video_get_file (video), expected));
  g_assert_false (gtk_video_get_autoplay (video));
  g_assert_true (gtk_video_get_loop (video));

  stream = gtk_video_get_media_stream (video);
  g_assert_nonnull (stream);
  wait_for (gtk_media_stream_is_prepared (stream) || gtk_media_stream_get_error (stream), 30);
  g_assert_no_error (gtk_media_stream_get_error (stream));
  g_assert_true (gtk_media_stream_is_seekable (stream));
  g_assert_cmpint (gtk_media_stream_get_duration (stream), >, G_USEC_PER_SEC);
  g_assert_false (gtk_media_stream_get_playing (stream));

  /* and it plays */
  gtk_media_stream_play (stream);
  wait_for (gtk_media_stream_get_timestamp (stream) > 0, 10);
  gtk_media_stream_pause (stream);
}

static void
test_page_clipboard (PageFixture   *f,
                     gconstpointer  data)
{
  PixverseVideoCard *card = wait_for_video (PIXVERSE_JOB_PAGE (f->page), 0);
  GtkWidget *button;
  g_autofree char *task_id = NULL;
  g_autofree char *link = NULL;

  button = find_actionable (f->page, "job.copy-task-id");
  g_assert_true (shown (button));
  click (button);
  task_id = read_clipboard (f->page);
  g_assert_cmpstr (task_id, ==, TASK_ID);

  button = find_actionable (GTK_WIDGET (card), "card.copy-link");
  g_assert_true (shown (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  click (button);
  link = read_clipboard (f->page);
  g_assert_cmpstr (link, ==, RESULT_URL);
}

static void
save_to_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  int *outcome = user_data;
  g_autoptr(GError) error = NULL;

  *outcome = _pixverse_video_card_save_to_finish (PIXVERSE_VIDEO_CARD (object), result, &error) ? 1 : 2;
  g_assert_no_error (error);
}

static void
test_page_save_as (PageFixture   *f,
                   gconstpointer  data)
{
  PixverseVideoCard *card = wait_for_video (PIXVERSE_JOB_PAGE (f->page), 0);
  g_autofree char *dest_path = g_build_filename (g_get_tmp_dir (), "My Fox.mp4", NULL);
  g_autoptr(GFile) dest = g_file_new_for_path (dest_path);
  g_autofree char *original = NULL;
  g_autofree char *copy = NULL;
  gsize original_len = 0;
  gsize copy_len = 0;
  g_autoptr(GError) error = NULL;
  int outcome = 0;

  g_assert_true (shown (find_actionable (GTK_WIDGET (card), "card.save-as")));
  g_assert_true (gtk_widget_is_sensitive (find_actionable (GTK_WIDGET (card), "card.save-as")));
  g_assert_true (shown (find_actionable (GTK_WIDGET (card), "card.open-with")));

  /* An older file of that name is replaced */
  g_file_set_contents (dest_path, "old", -1, &error);
  g_assert_no_error (error);

  _pixverse_video_card_save_to_async (card, dest, NULL, save_to_cb, &outcome);
  wait_for (outcome != 0, 10);
  g_assert_cmpint (outcome, ==, 1);

  g_file_get_contents (f->video_path, &original, &original_len, &error);
  g_assert_no_error (error);
  g_file_get_contents (dest_path, &copy, &copy_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (copy, copy_len, original, original_len);
}

static void
test_page_window_actions (PageFixture   *f,
                          gconstpointer  data)
{
  GtkWidget *reuse = find_actionable (f->page, "job.reuse-settings");
  GtkWidget *delete = find_actionable (f->page, "job.delete");

  g_assert_nonnull (reuse);
  g_assert_true (shown (reuse));
  g_assert_true (gtk_widget_is_sensitive (reuse));
  click (reuse);
  drain (50);
  g_assert_cmpint (f->tw->reuse_id, ==, 11);

  g_assert_nonnull (delete);
  g_assert_true (shown (delete));
  click (delete);
  drain (50);
  g_assert_cmpint (f->tw->delete_id, ==, 11);

  g_assert_cmpuint (f->tw->n_activations, ==, 2);
}

static void
test_page_live (void)
{
  g_autoptr(PixverseTask) task = make_task (21, 2, PIXVERSE_JOB_PROCESSING);
  g_autofree char *video_path = copy_sample_video (TASK_ID "_2.mp4");
  const char *results[] = { RESULT_URL, RESULT_URL "?second", NULL };
  const char *no_paths[] = { "", "", NULL };
  const char *one_path[] = { "", video_path, NULL };
  GtkWidget *page = pixverse_job_page_new (NULL);
  PixverseJobPage *job_page = PIXVERSE_JOB_PAGE (page);
  GtkProgressBar *bar;
  PixverseVideoCard *card;
  TestWindow *tw;

  pixverse_task_set_created_at (task, now_seconds () - 30);
  pixverse_job_page_set_task (job_page, task);
  g_assert_true (pixverse_job_page_get_task (job_page) == task);
  tw = test_window_new (page);

  assert_label (page, "Generating");
  assert_label (page, "About 2 min left");
  bar = find_progress_bar (page);
  g_assert_true (shown (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.2, 0.02);
  g_assert_cmpuint (_pixverse_job_page_get_n_videos (job_page), ==, 0);

  /* Done at the service: the videos come down */
  pixverse_task_set_result_urls (task, results);
  pixverse_task_set_video_paths (task, no_paths);
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_RUNNING);
  pixverse_task_set_download_progress (task, 0.42);
  pixverse_task_set_status (task, PIXVERSE_JOB_COMPLETED);
  assert_label (page, "Completed");
  assert_label (page, "Downloading… 42%");
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.42, 0.001);
  g_assert_cmpuint (_pixverse_job_page_get_n_videos (job_page), ==, 2);
  g_assert_cmpuint (count_handlers (task, page), >, 0);

  pixverse_task_set_download_progress (task, 0.8);
  assert_label (page, "Downloading… 80%");
  assert_label (_pixverse_job_page_get_video_card (job_page, 0), "Downloading… 80%");
  g_assert_cmpfloat_with_epsilon (gtk_progress_bar_get_fraction (bar), 0.8, 0.001);

  /* The second file lands first, and plays while the first still loads */
  pixverse_task_set_video_paths (task, one_path);
  card = wait_for_video (job_page, 1);
  g_assert_true (shown (GTK_WIDGET (pixverse_video_card_get_video (card))));
  g_assert_null (pixverse_video_card_get_file (_pixverse_job_page_get_video_card (job_page, 0)));
  assert_label (_pixverse_job_page_get_video_card (job_page, 0), "Downloading… 80%");

  /* The first one fails for good: Download Again needs a monitor, which this
   * page has not, but the card says what happened */
  pixverse_task_set_download_state (task, PIXVERSE_DOWNLOAD_FAILED);
  assert_label (page, "The download failed. The videos stay on the service for a while.");
  assert_label (_pixverse_job_page_get_video_card (job_page, 0), "The download failed");
  g_assert_true (pixverse_video_card_get_missing (_pixverse_job_page_get_video_card (job_page, 0)));
  g_assert_false (pixverse_video_card_get_missing (card));
  g_assert_false (shown (GTK_WIDGET (bar)));

  /* Another job on the same page: the old one is let go */
  {
    g_autoptr(PixverseTask) failed = make_task (22, 1, PIXVERSE_JOB_FAILED);

    pixverse_task_set_message (failed, "Invalid image url");
    pixverse_job_page_set_task (job_page, failed);
    g_assert_cmpuint (count_handlers (task, page), ==, 0);
    g_assert_cmpuint (_pixverse_job_page_get_n_videos (job_page), ==, 0);
    assert_label (page, "Failed");
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (find_label (page, "Invalid image url")), "error"));
    pixverse_job_page_set_task (job_page, NULL);
  }

  test_window_free (tw);
}

static void
test_page_unknown (void)
{
  g_autoptr(PixverseTask) task = make_task (31, 1, PIXVERSE_JOB_UNKNOWN);
  GtkWidget *page = pixverse_job_page_new (NULL);
  GtkWidget *button;
  TestWindow *tw;

  pixverse_job_page_set_task (PIXVERSE_JOB_PAGE (page), task);
  tw = test_window_new (page);

  assert_label (page, "Still Unknown");
  button = find_actionable (page, "job.check-again");
  g_assert_true (shown (button));
  click (button);
  drain (50);
  g_assert_cmpint (tw->check_id, ==, 31);

  /* Checked again, and it was still running */
  pixverse_task_set_status (task, PIXVERSE_JOB_PROCESSING);
  g_assert_false (shown (button));
  assert_label (page, "Generating");

  test_window_free (tw);
}


/* The real thing: a job submitted through the monitor to the fake service,
 * watched on the page and in a row while it runs, downloads and plays;
 * then a lost file fetched again with Download Again. */

static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static PixverseHistory *
open_history (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = pixverse_history_default_path ();
  PixverseHistory *history;

  pixverse_history_open_async (path, NULL, store_result, &result);
  wait_for (result != NULL, 10);
  history = pixverse_history_open_finish (result, &error);
  g_assert_no_error (error);

  return history;
}

static gboolean
media_ready (PixverseVideoCard *card)
{
  GtkMediaStream *stream;

  if (pixverse_video_card_get_file (card) == NULL)
    return FALSE;
  stream = gtk_video_get_media_stream (pixverse_video_card_get_video (card));

  return stream != NULL && gtk_media_stream_is_prepared (stream);
}

static gboolean
file_ready (const char * const *paths,
            guint               index)
{
  return paths != NULL &&
         index < g_strv_length ((char **)paths) &&
         paths[index][0] != '\0' &&
         g_file_test (paths[index], G_FILE_TEST_IS_REGULAR);
}

static void
test_page_end_to_end (void)
{
  g_autoptr(FakePixwith) server = NULL;
  g_autoptr(PixverseClient) client = NULL;
  g_autoptr(PixverseHistory) history = NULL;
  g_autoptr(PixverseMonitor) monitor = NULL;
  g_autoptr(PixverseRequest) request = make_request (2, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lost = NULL;
  PixverseJobPage *page;
  GtkWidget *row;
  GtkWidget *box;
  GtkWidget *button;
  TestWindow *tw;

  server = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_time_scale (server, SCALE);
  client = pixverse_client_new (fake_pixwith_get_url (server), PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);
  history = open_history ();
  monitor = pixverse_monitor_new (client, history);

  pixverse_monitor_submit_async (monitor, request, NULL, NULL, store_result, &result);
  wait_for (result != NULL, 10);
  task = pixverse_monitor_submit_finish (monitor, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (task);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_PROCESSING);

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  row = pixverse_history_row_new ();
  gtk_widget_set_size_request (row, 320, -1);
  pixverse_history_row_set_task (PIXVERSE_HISTORY_ROW (row), task);
  gtk_box_append (GTK_BOX (box), row);
  page = PIXVERSE_JOB_PAGE (pixverse_job_page_new (monitor));
  gtk_widget_set_hexpand (GTK_WIDGET (page), TRUE);
  g_assert_true (pixverse_job_page_get_monitor (page) == monitor);
  pixverse_job_page_set_task (page, task);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (page));
  tw = test_window_new (box);

  assert_label (page, "Generating");
  assert_label (page, PROMPT);
  assert_label (row, "720p · 16:9 · 5 s · ×2");
  g_assert_true (shown (GTK_WIDGET (find_progress_bar (GTK_WIDGET (page)))));

  /* Completed, downloaded, poster frames made: both videos play */
  wait_for (pixverse_task_get_status (task) == PIXVERSE_JOB_COMPLETED &&
            pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_DONE, 60);
  assert_label (row, "Completed");
  assert_label (page, "Completed");
  g_assert_cmpuint (_pixverse_job_page_get_n_videos (page), ==, 2);
  wait_for (media_ready (_pixverse_job_page_get_video_card (page, 0)), 30);
  wait_for (media_ready (_pixverse_job_page_get_video_card (page, 1)), 30);
  assert_label (page, "The 2 videos are saved on this computer.");
  g_assert_false (shown (find_actionable (GTK_WIDGET (page), "job.download-again")));

  wait_for (pixverse_monitor_get_n_active (monitor) == 0, 30);
  if (file_ready (pixverse_task_get_poster_paths (task), 0))
    wait_for (shows_poster (find_thumbnail (row)), 10);

  /* The first file is lost: the page, opened again, offers Download Again */
  lost = g_strdup (pixverse_task_get_video_paths (task)[0]);
  g_assert_cmpint (g_unlink (lost), ==, 0);
  pixverse_job_page_set_task (page, NULL);
  pixverse_job_page_set_task (page, task);
  wait_for (pixverse_video_card_get_missing (_pixverse_job_page_get_video_card (page, 0)), 10);
  assert_label (_pixverse_job_page_get_video_card (page, 0), "The video file is missing");
  assert_label (page, "A video file is missing from this computer.");
  button = find_actionable (GTK_WIDGET (page), "job.download-again");
  g_assert_true (shown (button));
  click (button);

  wait_for (pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_DONE &&
            file_ready (pixverse_task_get_video_paths (task), 0), 60);
  wait_for (media_ready (_pixverse_job_page_get_video_card (page, 0)), 30);
  g_assert_false (shown (find_actionable (GTK_WIDGET (page), "job.download-again")));
  wait_for (pixverse_monitor_get_n_active (monitor) == 0, 30);

  test_window_free (tw);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything reads it: the monitor's waits, faster. */
  g_setenv ("PIXVERSE_TIME_SCALE", SCALE_STRING, TRUE);

  pixverse_test_keep_mime_database ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  adw_init ();

  /* Pulls the GUI's resources (the templates) into this program. */
  g_assert_nonnull (pixverse_get_resource ());

  g_test_add_func ("/job-page/format-options", test_format_options);
  g_test_add_func ("/job-page/relative-time", test_relative_time);
  g_test_add_func ("/job-page/row/statuses", test_row_statuses);
  g_test_add_func ("/job-page/row/check-again", test_row_check_again);
  g_test_add_func ("/job-page/row/no-time", test_row_no_time);
  g_test_add_func ("/job-page/row/rebind", test_row_rebind);
  g_test_add_func ("/job-page/row/thumbnail", test_row_thumbnail);
  g_test_add ("/job-page/page/completed", PageFixture, NULL,
              page_fixture_set_up, test_page_completed, page_fixture_tear_down);
  g_test_add ("/job-page/page/clipboard", PageFixture, NULL,
              page_fixture_set_up, test_page_clipboard, page_fixture_tear_down);
  g_test_add ("/job-page/page/save-as", PageFixture, NULL,
              page_fixture_set_up, test_page_save_as, page_fixture_tear_down);
  g_test_add ("/job-page/page/window-actions", PageFixture, NULL,
              page_fixture_set_up, test_page_window_actions, page_fixture_tear_down);
  g_test_add_func ("/job-page/page/live", test_page_live);
  g_test_add_func ("/job-page/page/unknown", test_page_unknown);
  g_test_add_func ("/job-page/page/end-to-end", test_page_end_to_end);

  return g_test_run ();
}
