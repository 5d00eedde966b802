/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-error.h"
#include "pixverse-history-row.h"
#include "pixverse-window-private.h"

/* How many rows from the top are looked through for a job by its id: jobs
 * are made on demand, so walking a long history would load all of it, and
 * the jobs looked for (new, finished, shown) are near the top. */
#define FIND_LIMIT 500

/* The list's rows come in over the first frames (issue 14). A grid view
 * builds some 33 rows whatever its height, each a few milliseconds of
 * template, text and layout, and a window shows about ten: so the list
 * starts as long as the window can show (a row is at least its 64 px
 * thumbnail and 6 px above and below it high) and grows by ROWS_STEP rows
 * a frame up to ROWS_KEPT, past what the grid keeps, after which it is the
 * whole history. */
#define ROW_MIN_HEIGHT 76
#define ROWS_STEP      4
#define ROWS_KEPT      40

G_DEFINE_FINAL_TYPE (PixverseWindow, pixverse_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SHOWN_TASK,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void pixverse_window_update_content (PixverseWindow *self);

static int
status_filter (PixverseWindow *self)
{
  const char *name = adw_toggle_group_get_active_name (self->status_group);

  if (g_strcmp0 (name, "running") == 0)
    return PIXVERSE_JOB_PROCESSING;
  if (g_strcmp0 (name, "completed") == 0)
    return PIXVERSE_JOB_COMPLETED;
  if (g_strcmp0 (name, "failed") == 0)
    return PIXVERSE_JOB_FAILED;

  return -1;
}

static gboolean
filter_is_active (PixverseWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return status_filter (self) != -1 || (text != NULL && *text != '\0');
}

/* The sidebar's status page @name, made from its builder object @id the
 * first time it is shown: a start with jobs shows none (issue 14). */
static GtkWidget *
ensure_sidebar_page (PixverseWindow *self,
                     const char     *name,
                     const char     *id)
{
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { id, NULL };
  GtkWidget *page;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if ((page = gtk_stack_get_child_by_name (self->sidebar_stack, name)) != NULL)
    return page;

  builder = gtk_builder_new ();
  if (!gtk_builder_add_objects_from_resource (builder, "/io/github/pixversestudio/PixverseStudio/pixverse-window-pages.ui",
                                              (const char **) ids, &error))
    g_error ("The sidebar's pages resource is broken: %s", error->message);

  page = GTK_WIDGET (gtk_builder_get_object (builder, id));
  gtk_stack_add_named (self->sidebar_stack, page, name);

  return page;
}

static void
pixverse_window_update_sidebar (PixverseWindow *self)
{
  const char *page;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->history != NULL)
    {
      if (g_list_model_get_n_items (G_LIST_MODEL (self->jobs)) > 0)
        {
          page = "list";
        }
      else if (filter_is_active (self))
        {
          page = "no-results";
          ensure_sidebar_page (self, page, "no_results_page");
        }
      else
        {
          page = "empty";
          ensure_sidebar_page (self, page, "empty_page");
        }
    }
  else if (pixverse_application_get_loading (self->application))
    {
      page = "loading";
    }
  else
    {
      const GError *error = pixverse_application_get_history_error (self->application);

      page = "error";
      adw_status_page_set_description (ADW_STATUS_PAGE (ensure_sidebar_page (self, page, "history_error_page")),
                                       error != NULL ? error->message : NULL);
    }

  gtk_stack_set_visible_child_name (self->sidebar_stack, page);
}

static void
pixverse_window_update_banner (PixverseWindow *self)
{
  PixverseKeyState state = pixverse_application_get_key_state (self->application);
  const char *problem = pixverse_application_get_problem (self->application);
  const char *title = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (state == PIXVERSE_KEY_REFUSED)
    title = _("The service refused the API key");
  else if (state == PIXVERSE_KEY_MISSING &&
           g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "welcome") != 0)
    title = _("No API key: add one to make videos");
  else if (problem != NULL)
    title = problem;

  if (title != NULL)
    adw_banner_set_title (self->banner, title);
  adw_banner_set_revealed (self->banner, title != NULL);
}

static void
pixverse_window_update_credits (PixverseWindow *self)
{
  gint64 credits = pixverse_application_get_credits (self->application);
  g_autofree char *text = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (credits >= 0)
    {
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, credits);

      /* Translators: %s is a number of credits left on the account */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s credit", "%s credits",
                                           (gulong) MIN (credits, G_MAXLONG)),
                              number);
      gtk_label_set_label (self->credits_label, text);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->credits_label), credits >= 0);
}

static void
pixverse_window_update_title (PixverseWindow *self)
{
  g_autofree char *title = NULL;
  const char *page;

  g_assert (PIXVERSE_IS_WINDOW (self));

  page = gtk_stack_get_visible_child_name (self->content_stack);

  if (g_strcmp0 (page, "job") == 0 && self->shown_task != NULL)
    {
      PixverseRequest *request = pixverse_task_get_request (self->shown_task);
      const char *prompt = request ? pixverse_request_get_prompt (request) : NULL;

      if (prompt != NULL && *prompt != '\0')
        {
          const char *newline = strchr (prompt, '\n');

          title = newline ? g_strndup (prompt, newline - prompt) : g_strdup (prompt);
        }
      else
        title = g_strdup (_("Video"));
    }
  else if (g_strcmp0 (page, "welcome") == 0)
    title = g_strdup (_("Welcome"));
  else
    title = g_strdup (_("New Video"));

  adw_navigation_page_set_title (self->content_page, title);
}

/* Built when first shown: most starts have a key and never show it. */
static void
pixverse_window_ensure_welcome_page (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->welcome_page != NULL)
    return;

  self->welcome_page = PIXVERSE_WELCOME_PAGE (pixverse_welcome_page_new ());
  adw_bin_set_child (self->welcome_bin, GTK_WIDGET (self->welcome_page));
}

static void
pixverse_window_update_content (PixverseWindow *self)
{
  PixverseKeyState state;
  const char *previous;
  const char *page;

  g_assert (PIXVERSE_IS_WINDOW (self));

  state = pixverse_application_get_key_state (self->application);
  previous = gtk_stack_get_visible_child_name (self->content_stack);

  if (self->shown_task != NULL && self->job_page != NULL)
    page = "job";
  else if (state == PIXVERSE_KEY_LOOKING_UP)
    page = "loading";
  else if (state == PIXVERSE_KEY_MISSING)
    page = "welcome";
  else
    page = "composer";

  if (g_str_equal (page, "welcome"))
    pixverse_window_ensure_welcome_page (self);
  gtk_stack_set_visible_child_name (self->content_stack, page);

  /* Out of start-up or the welcome page, the first thing to do is type:
   * the keyboard goes there, not to the first button of the header bar. */
  if (g_strcmp0 (previous, page) != 0 &&
      (previous == NULL || g_str_equal (previous, "loading") || g_str_equal (previous, "welcome")))
    {
      if (g_str_equal (page, "composer"))
        pixverse_composer_focus_prompt (self->composer);
      else if (g_str_equal (page, "welcome"))
        pixverse_welcome_page_focus_key (self->welcome_page);
    }

  pixverse_window_update_title (self);
  pixverse_window_update_banner (self);
  _pixverse_window_actions_update (self);
}

static void
shown_task_changed_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_update_title (self);
}

/* Built when a job is first shown, not with the window: most starts show
 * the composer, and the page's template is a cost of start-up (issue 14). */
static void
pixverse_window_ensure_job_page (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->job_page != NULL || self->monitor == NULL)
    return;

  self->job_page = PIXVERSE_JOB_PAGE (pixverse_job_page_new (self->monitor));
  adw_bin_set_child (self->job_page_bin, GTK_WIDGET (self->job_page));
}

static void
pixverse_window_set_shown_task (PixverseWindow *self,
                                PixverseTask   *task)
{
  g_assert (PIXVERSE_IS_WINDOW (self));
  g_assert (!task || PIXVERSE_IS_TASK (task));

  if (self->shown_task == task)
    return;

  if (self->shown_task != NULL)
    g_signal_handlers_disconnect_by_func (self->shown_task, shown_task_changed_cb, self);

  g_set_object (&self->shown_task, task);

  if (task != NULL)
    g_signal_connect_object (task, "notify::request",
                             G_CALLBACK (shown_task_changed_cb), self,
                             G_CONNECT_SWAPPED);

  if (task != NULL)
    pixverse_window_ensure_job_page (self);

  /* Without a task the page lets go of its videos, so none plays on. */
  if (self->job_page != NULL)
    pixverse_job_page_set_task (self->job_page, task);

  pixverse_window_update_content (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SHOWN_TASK]);
}

/* Rows the window can show at most: its height, or the tallest monitor's
 * when it is maximized or not yet given a size. */
static guint
pixverse_window_rows_in_view (PixverseWindow *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  if (height <= 0 && !gtk_window_is_maximized (window) && !gtk_window_is_fullscreen (window))
    gtk_window_get_default_size (window, NULL, &height);

  if (height <= 0 || gtk_window_is_maximized (window) || gtk_window_is_fullscreen (window))
    {
      GListModel *monitors = gdk_display_get_monitors (gtk_widget_get_display (GTK_WIDGET (self)));

      for (guint i = 0; i < g_list_model_get_n_items (monitors); i++)
        {
          g_autoptr(GdkMonitor) monitor = g_list_model_get_item (monitors, i);
          GdkRectangle geometry;

          gdk_monitor_get_geometry (monitor, &geometry);
          height = MAX (height, geometry.height);
        }
    }

  return height > 0 ? (guint) height / ROW_MIN_HEIGHT + 1 : ROWS_KEPT;
}

/* Ends the rows' growth, if it is still going on. */
static void
pixverse_window_stop_rows_tick (PixverseWindow *self)
{
  if (self->rows_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->history_view), self->rows_tick_id);
  self->rows_tick_id = 0;
}

static void
pixverse_window_show_all_rows (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_stop_rows_tick (self);
  gtk_slice_list_model_set_size (self->rows, G_MAXUINT);
}

static gboolean
rows_tick_cb (GtkWidget     *widget,
              GdkFrameClock *frame_clock,
              gpointer       user_data)
{
  PixverseWindow *self = user_data;
  guint size;

  g_assert (PIXVERSE_IS_WINDOW (self));

  /* The first call comes in the frame that lays out the first rows. */
  if (!self->rows_drawn)
    {
      self->rows_drawn = TRUE;
      return G_SOURCE_CONTINUE;
    }

  size = gtk_slice_list_model_get_size (self->rows) + ROWS_STEP;
  if (size >= ROWS_KEPT || size >= g_list_model_get_n_items (G_LIST_MODEL (self->jobs)))
    {
      self->rows_tick_id = 0;
      gtk_slice_list_model_set_size (self->rows, G_MAXUINT);
      return G_SOURCE_REMOVE;
    }

  gtk_slice_list_model_set_size (self->rows, size);
  return G_SOURCE_CONTINUE;
}

static void
pixverse_window_start_rows (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_stop_rows_tick (self);
  self->rows_drawn = FALSE;
  /* The size first: the grid builds its rows as soon as it hears of them. */
  gtk_slice_list_model_set_size (self->rows, pixverse_window_rows_in_view (self));
  gtk_slice_list_model_set_model (self->rows, G_LIST_MODEL (self->jobs));
  self->rows_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->history_view),
                                                     rows_tick_cb, self, NULL);
}

static void
pixverse_window_select_position (PixverseWindow *self,
                                 guint           position)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  /* A row further down than the list has come yet. */
  if (position != GTK_INVALID_LIST_POSITION &&
      position >= gtk_slice_list_model_get_size (self->rows))
    pixverse_window_show_all_rows (self);

  self->selecting = TRUE;
  if (position == GTK_INVALID_LIST_POSITION)
    gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  else
    gtk_single_selection_set_selected (self->selection, position);
  self->selecting = FALSE;
}

gboolean
_pixverse_window_find_position (PixverseWindow *self,
                                gint64          id,
                                guint          *position)
{
  guint n;
  guint selected;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->jobs == NULL)
    return FALSE;

  selected = gtk_single_selection_get_selected (self->selection);
  if (selected != GTK_INVALID_LIST_POSITION)
    {
      PixverseTask *task = gtk_single_selection_get_selected_item (self->selection);

      if (task != NULL && pixverse_task_get_id (task) == id)
        {
          *position = selected;
          return TRUE;
        }
    }

  n = MIN (g_list_model_get_n_items (G_LIST_MODEL (self->jobs)), FIND_LIMIT);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PixverseTask) task = g_list_model_get_item (G_LIST_MODEL (self->jobs), i);

      if (pixverse_task_get_id (task) == id)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

PixverseTask *
_pixverse_window_dup_task (PixverseWindow *self,
                           gint64          id)
{
  PixverseTask *task;
  guint position;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->shown_task != NULL && pixverse_task_get_id (self->shown_task) == id)
    return g_object_ref (self->shown_task);

  if ((task = g_hash_table_lookup (self->pending_deletes, &id)))
    return g_object_ref (task);

  if (self->history == NULL)
    return NULL;

  if ((task = pixverse_history_lookup (self->history, id)))
    return g_object_ref (task);

  if (_pixverse_window_find_position (self, id, &position))
    return g_list_model_get_item (G_LIST_MODEL (self->jobs), position);

  return NULL;
}

void
_pixverse_window_show_task (PixverseWindow *self,
                            PixverseTask   *task)
{
  guint position;

  g_return_if_fail (PIXVERSE_IS_WINDOW (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));

  if (_pixverse_window_find_position (self, pixverse_task_get_id (task), &position))
    {
      pixverse_window_select_position (self, position);
      gtk_grid_view_scroll_to (self->history_view, position, GTK_LIST_SCROLL_NONE, NULL);
    }
  else
    pixverse_window_select_position (self, GTK_INVALID_LIST_POSITION);

  pixverse_window_set_shown_task (self, task);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);
}

void
_pixverse_window_show_composer (PixverseWindow *self)
{
  g_return_if_fail (PIXVERSE_IS_WINDOW (self));

  pixverse_window_select_position (self, GTK_INVALID_LIST_POSITION);
  pixverse_window_set_shown_task (self, NULL);
  adw_navigation_split_view_set_show_content (self->split_view, TRUE);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "composer") == 0)
    pixverse_composer_focus_prompt (self->composer);
  else if (g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "welcome") == 0)
    pixverse_welcome_page_focus_key (self->welcome_page);
}

void
_pixverse_window_focus_search (PixverseWindow *self)
{
  g_return_if_fail (PIXVERSE_IS_WINDOW (self));

  adw_navigation_split_view_set_show_content (self->split_view, FALSE);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
apply_filter (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->history == NULL)
    return;

  pixverse_history_set_filter (self->history,
                               gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                               status_filter (self));
  pixverse_window_update_sidebar (self);
}

static void
search_changed_cb (PixverseWindow *self,
                   GtkSearchEntry *entry)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  apply_filter (self);
}

static void
stop_search_cb (PixverseWindow *self,
                GtkSearchEntry *entry)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
search_activate_cb (PixverseWindow *self,
                    GtkSearchEntry *entry)
{
  g_autoptr(PixverseTask) first = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->jobs == NULL)
    return;

  /* Enter opens the best match, as in other GNOME apps' sidebars. */
  if ((first = g_list_model_get_item (G_LIST_MODEL (self->jobs), 0)))
    _pixverse_window_show_task (self, first);
}

static void
search_bar_notify_search_mode_cb (PixverseWindow *self,
                                  GParamSpec     *pspec,
                                  GtkSearchBar   *search_bar)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  if (!gtk_search_bar_get_search_mode (search_bar))
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
status_group_notify_active_cb (PixverseWindow *self,
                               GParamSpec     *pspec,
                               AdwToggleGroup *group)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  apply_filter (self);
}

static void
selection_changed_cb (PixverseWindow     *self,
                      GParamSpec         *pspec,
                      GtkSingleSelection *selection)
{
  PixverseTask *task;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->selecting)
    return;

  /* A row that goes away (filtered, deleted) leaves the page as it is. */
  if ((task = gtk_single_selection_get_selected_item (selection)))
    {
      pixverse_window_set_shown_task (self, task);
      adw_navigation_split_view_set_show_content (self->split_view, TRUE);
    }
}

static void
history_view_activate_cb (PixverseWindow *self,
                          guint           position,
                          GtkGridView    *history_view)
{
  g_autoptr(PixverseTask) task = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->jobs != NULL &&
      (task = g_list_model_get_item (G_LIST_MODEL (self->jobs), position)))
    _pixverse_window_show_task (self, task);
}

static void
split_view_notify_show_content_cb (PixverseWindow         *self,
                                   GParamSpec             *pspec,
                                   AdwNavigationSplitView *split_view)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  /* Back in the narrow list: the row can be chosen again. */
  if (adw_navigation_split_view_get_collapsed (split_view) &&
      !adw_navigation_split_view_get_show_content (split_view))
    pixverse_window_select_position (self, GTK_INVALID_LIST_POSITION);
}

static void
composer_notify_can_generate_cb (PixverseWindow   *self,
                                 GParamSpec       *pspec,
                                 PixverseComposer *composer)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  _pixverse_window_actions_update (self);
}

static void
jobs_notify_n_items_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_update_sidebar (self);
}

static void
show_recovered_cb (PixverseWindow *self,
                   AdwToast       *toast)
{
  const char *path = g_object_get_data (G_OBJECT (toast), "path");
  g_autoptr(GtkFileLauncher) launcher = NULL;
  g_autoptr(GFile) file = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  file = g_file_new_for_path (path);
  launcher = gtk_file_launcher_new (file);
  gtk_file_launcher_open_containing_folder (launcher, GTK_WINDOW (self), NULL, NULL, NULL);
}

static void
pixverse_window_set_history (PixverseWindow *self)
{
  PixverseHistory *history;
  const char *recovered;

  g_assert (PIXVERSE_IS_WINDOW (self));

  history = pixverse_application_get_history (self->application);
  if (history == NULL || self->history == history)
    {
      pixverse_window_update_sidebar (self);
      return;
    }

  self->history = g_object_ref (history);
  self->monitor = g_object_ref (pixverse_application_get_monitor (self->application));
  self->jobs = pixverse_hide_model_new (G_LIST_MODEL (history));
  g_signal_connect_object (self->jobs, "notify::n-items",
                           G_CALLBACK (jobs_notify_n_items_cb), self,
                           G_CONNECT_SWAPPED);
  pixverse_window_start_rows (self);

  /* A filter typed while the history was opening applies now. */
  if (filter_is_active (self))
    apply_filter (self);

  if ((recovered = pixverse_history_get_recovered_path (history)))
    {
      AdwToast *toast;

      /* The path is too long for a toast: the button shows the file. */
      toast = adw_toast_new (_("The job history could not be read, so a new one was started"));
      adw_toast_set_button_label (toast, _("_Show Old History"));
      adw_toast_set_timeout (toast, 0);
      g_object_set_data_full (G_OBJECT (toast), "path", g_strdup (recovered), g_free);
      g_signal_connect_object (toast, "button-clicked",
                               G_CALLBACK (show_recovered_cb), self,
                               G_CONNECT_SWAPPED);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }

  pixverse_window_update_sidebar (self);
  pixverse_window_update_content (self);
}

static void
app_notify_loading_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_set_history (self);
}

static void
app_notify_key_state_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_update_content (self);
}

static void
app_notify_credits_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  pixverse_window_update_credits (self);
}

/* A key from the welcome page ("win.use-key", "win.use-test-key"): used
 * and stored. */

static void
set_api_key_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PixverseWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (!pixverse_application_set_api_key_finish (PIXVERSE_APPLICATION (object), result, &error))
    {
      /* Cancelled: the window is going, its pages with it. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      _pixverse_window_show_error (self, error);
    }

  if (self->welcome_page != NULL)
    pixverse_welcome_page_clear_key (self->welcome_page);
}

void
_pixverse_window_use_key (PixverseWindow *self,
                          const char     *api_key)
{
  g_return_if_fail (PIXVERSE_IS_WINDOW (self));
  g_return_if_fail (api_key != NULL && *api_key != '\0');

  pixverse_application_set_api_key_async (self->application, api_key, self->cancellable,
                                          set_api_key_cb, g_object_ref (self));
}

/* Deleting with undo: the row is hidden at once and deleted for real only
 * when the toast goes without Undo, so nothing is lost by a slip. */

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GApplication) app = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_history_delete_finish (PIXVERSE_HISTORY (object), result, &error))
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

      if (PIXVERSE_IS_WINDOW (window))
        _pixverse_window_show_error (PIXVERSE_WINDOW (window), error);
      else
        g_message ("Could not delete a job: %s", error->message);
    }

  g_application_release (app);
}

static void
commit_delete (PixverseWindow *self,
               gint64          id)
{
  gpointer key;
  gpointer value;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->pending_deletes == NULL ||
      !g_hash_table_steal_extended (self->pending_deletes, &id, &key, &value))
    return;

  /* Deletion goes on after the window closes; the app waits for it. */
  g_application_hold (G_APPLICATION (self->application));
  pixverse_history_delete_async (self->history, value, NULL, delete_cb,
                                 g_object_ref (self->application));

  g_free (key);
  g_object_unref (value);
}

static void
delete_toast_dismissed_cb (PixverseWindow *self,
                           AdwToast       *toast)
{
  gint64 *id = g_object_get_data (G_OBJECT (toast), "task-id");

  g_assert (PIXVERSE_IS_WINDOW (self));

  commit_delete (self, *id);
}

static void
delete_toast_undo_cb (PixverseWindow *self,
                      AdwToast       *toast)
{
  gint64 *id = g_object_get_data (G_OBJECT (toast), "task-id");
  g_autoptr(PixverseTask) task = NULL;
  gpointer key;
  gpointer value;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->pending_deletes == NULL ||
      !g_hash_table_steal_extended (self->pending_deletes, id, &key, &value))
    return;

  task = value;
  g_free (key);

  pixverse_hide_model_unhide (self->jobs, *id);
  _pixverse_window_show_task (self, task);
}

void
_pixverse_window_delete_task (PixverseWindow *self,
                              PixverseTask   *task)
{
  AdwToast *toast;
  gint64 id;
  guint position;

  g_return_if_fail (PIXVERSE_IS_WINDOW (self));
  g_return_if_fail (PIXVERSE_IS_TASK (task));

  id = pixverse_task_get_id (task);
  if (g_hash_table_contains (self->pending_deletes, &id))
    return;

  g_hash_table_insert (self->pending_deletes,
                       g_memdup2 (&id, sizeof id),
                       g_object_ref (task));

  if (self->shown_task == task)
    _pixverse_window_show_composer (self);

  if (_pixverse_window_find_position (self, id, &position))
    {
      /* The hidden row must not stay selected under another row's place. */
      pixverse_window_select_position (self, GTK_INVALID_LIST_POSITION);
      pixverse_hide_model_hide (self->jobs, position);
    }

  toast = adw_toast_new (_("Job deleted"));
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (toast), "task-id",
                          g_memdup2 (&id, sizeof id), g_free);
  g_signal_connect_object (toast, "button-clicked",
                           G_CALLBACK (delete_toast_undo_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (toast, "dismissed",
                           G_CALLBACK (delete_toast_dismissed_cb), self,
                           G_CONNECT_SWAPPED);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
commit_all_deletes (PixverseWindow *self)
{
  g_autoptr(GList) ids = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->pending_deletes == NULL || self->history == NULL)
    return;

  ids = g_hash_table_get_keys (self->pending_deletes);
  for (const GList *l = ids; l != NULL; l = l->next)
    {
      gint64 id = *(gint64 *) l->data;

      commit_delete (self, id);
    }
}

AdwToast *
_pixverse_window_error_toast (PixverseWindow *self,
                              const GError   *error)
{
  AdwToast *toast;

  g_return_val_if_fail (PIXVERSE_IS_WINDOW (self), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  /* The service's own words, never markup. */
  toast = adw_toast_new (error->message);
  adw_toast_set_use_markup (toast, FALSE);
  adw_toast_set_timeout (toast, 10);

  if (g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH))
    {
      adw_toast_set_button_label (toast, _("_Preferences"));
      adw_toast_set_action_name (toast, "app.preferences");
    }

  return toast;
}

void
_pixverse_window_show_error (PixverseWindow *self,
                             const GError   *error)
{
  g_return_if_fail (PIXVERSE_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay,
                               _pixverse_window_error_toast (self, error));
}

static gboolean
pixverse_window_close_request (GtkWindow *window)
{
  PixverseWindow *self = (PixverseWindow *)window;

  /* Unfinished jobs need nothing from the window: the monitor goes on while
   * the app runs, and picks them up again at the next start. */
  commit_all_deletes (self);

  return GTK_WINDOW_CLASS (pixverse_window_parent_class)->close_request (window);
}

/* PIXVERSE_QUIT_AFTER_FIRST_FRAME=1, for bench/run: after the first frame
 * that shows the opened history (its top row read) and the key looked up,
 * print "first-frame <g_get_monotonic_time ()>" and quit. */
static gboolean
pixverse_window_shows_history (PixverseWindow *self)
{
  g_autoptr(PixverseTask) top = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (pixverse_application_get_loading (self->application) ||
      pixverse_application_get_key_state (self->application) == PIXVERSE_KEY_LOOKING_UP)
    return FALSE;
  if (self->jobs == NULL)
    return self->history == NULL;

  top = g_list_model_get_item (G_LIST_MODEL (self->jobs), 0);
  return top == NULL || pixverse_task_get_request (top) != NULL;
}

static void
first_frame_after_paint_cb (PixverseWindow *self,
                            GdkFrameClock  *clock)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  if (!pixverse_window_shows_history (self))
    return;

  g_signal_handlers_disconnect_by_func (clock, first_frame_after_paint_cb, self);
  g_print ("first-frame %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_application_quit (G_APPLICATION (self->application));
}

static void
first_frame_realize_cb (PixverseWindow *self)
{
  g_assert (PIXVERSE_IS_WINDOW (self));

  g_signal_connect_object (gtk_widget_get_frame_clock (GTK_WIDGET (self)), "after-paint",
                           G_CALLBACK (first_frame_after_paint_cb), self,
                           G_CONNECT_SWAPPED);
}

/* Hooks the window to its app's core objects; "application" is not a
 * construct property, so this runs once it is set. */
static void
pixverse_window_setup (PixverseWindow *self)
{
  GtkApplication *app;

  g_assert (PIXVERSE_IS_WINDOW (self));

  app = gtk_window_get_application (GTK_WINDOW (self));
  g_assert (PIXVERSE_IS_APPLICATION (app));
  self->application = PIXVERSE_APPLICATION (app);

  self->settings = g_object_ref (pixverse_application_get_settings (self->application));
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  pixverse_composer_set_client (self->composer,
                                pixverse_application_get_client (self->application));

  g_signal_connect_object (self->application, "notify::loading",
                           G_CALLBACK (app_notify_loading_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::key-state",
                           G_CALLBACK (app_notify_key_state_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::problem",
                           G_CALLBACK (app_notify_key_state_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::credits",
                           G_CALLBACK (app_notify_credits_cb), self,
                           G_CONNECT_SWAPPED);

  pixverse_window_set_history (self);
  pixverse_window_update_credits (self);
  pixverse_window_update_content (self);

  if (g_strcmp0 (g_getenv ("PIXVERSE_QUIT_AFTER_FIRST_FRAME"), "1") == 0)
    g_signal_connect (self, "realize", G_CALLBACK (first_frame_realize_cb), NULL);
}

static void
pixverse_window_dispose (GObject *object)
{
  PixverseWindow *self = (PixverseWindow *)object;

  g_cancellable_cancel (self->cancellable);
  commit_all_deletes (self);

  if (self->shown_task != NULL)
    g_signal_handlers_disconnect_by_func (self->shown_task, shown_task_changed_cb, self);
  g_clear_object (&self->shown_task);

  if (self->history_view != NULL)
    {
      pixverse_window_stop_rows_tick (self);
      gtk_grid_view_set_model (self->history_view, NULL);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_WINDOW);
  /* Gone with the template's widgets, if it was made. */
  self->welcome_page = NULL;

  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->jobs);
  g_clear_object (&self->monitor);
  g_clear_object (&self->history);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_deletes, g_hash_table_unref);
  self->application = NULL;

  G_OBJECT_CLASS (pixverse_window_parent_class)->dispose (object);
}

static void
pixverse_window_finalize (GObject *object)
{
  PixverseWindow *self = (PixverseWindow *)object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pixverse_window_parent_class)->finalize (object);
}

static void
pixverse_window_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  PixverseWindow *self = PIXVERSE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SHOWN_TASK:
      g_value_set_object (value, self->shown_task);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_window_class_init (PixverseWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = pixverse_window_dispose;
  object_class->finalize = pixverse_window_finalize;
  object_class->get_property = pixverse_window_get_property;

  window_class->close_request = pixverse_window_close_request;

  properties [PROP_SHOWN_TASK] =
    g_param_spec_object ("shown-task", NULL, NULL,
                         PIXVERSE_TYPE_TASK,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PIXVERSE_TYPE_COMPOSER);
  g_type_ensure (PIXVERSE_TYPE_HISTORY_ROW);
  g_type_ensure (PIXVERSE_TYPE_JOB_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pixversestudio/PixverseStudio/pixverse-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, split_view);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, content_page);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, new_job_button);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, status_group);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, history_view);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, credits_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, welcome_bin);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, PixverseWindow, job_page_bin);
  gtk_widget_class_bind_template_callback (widget_class, split_view_notify_show_content_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_bar_notify_search_mode_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, status_group_notify_active_cb);
  gtk_widget_class_bind_template_callback (widget_class, history_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, composer_notify_can_generate_cb);

  _pixverse_window_class_actions_init (klass);
}

/* The main menu's popover is made when first opened, not with the window:
 * few starts open it, and it is a cost of start-up (issue 14). */
static void
create_primary_menu_cb (GtkMenuButton *button,
                        gpointer       user_data)
{
  PixverseWindow *self = user_data;

  g_assert (PIXVERSE_IS_WINDOW (self));

  gtk_menu_button_set_menu_model (button, self->primary_menu);
}

static void
pixverse_window_init (PixverseWindow *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending_deletes = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                 g_free, g_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = gtk_slice_list_model_new (NULL, 0, G_MAXUINT);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_grid_view_set_model (self->history_view, GTK_SELECTION_MODEL (self->selection));

  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self->history_view));
  gtk_menu_button_set_create_popup_func (self->primary_menu_button,
                                         create_primary_menu_cb, self, NULL);
}

PixverseWindow *
pixverse_window_new (PixverseApplication *application)
{
  PixverseWindow *self;

  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (application), NULL);

  self = g_object_new (PIXVERSE_TYPE_WINDOW,
                       "application", application,
                       NULL);
  pixverse_window_setup (self);

  return self;
}

PixverseComposer *
pixverse_window_get_composer (PixverseWindow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_WINDOW (self), NULL);

  return self->composer;
}

PixverseJobPage *
pixverse_window_get_job_page (PixverseWindow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_WINDOW (self), NULL);

  return self->job_page;
}

GListModel *
pixverse_window_get_jobs (PixverseWindow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_WINDOW (self), NULL);

  return G_LIST_MODEL (self->jobs);
}

PixverseTask *
pixverse_window_get_shown_task (PixverseWindow *self)
{
  g_return_val_if_fail (PIXVERSE_IS_WINDOW (self), NULL);

  return self->shown_task;
}

void
pixverse_window_add_toast (PixverseWindow *self,
                           AdwToast       *toast)
{
  g_return_if_fail (PIXVERSE_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
