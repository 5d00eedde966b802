/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-window-actions"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-error.h"
#include "pixverse-window-private.h"

static void submit (PixverseWindow  *self,
                    PixverseRequest *request);

typedef struct
{
  GWeakRef             window;
  PixverseApplication *application;
  PixverseRequest     *request;
} Submit;

static void
submit_free (Submit *submit)
{
  g_weak_ref_clear (&submit->window);
  g_clear_object (&submit->application);
  g_clear_object (&submit->request);
  g_free (submit);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Submit, submit_free)

/* Only a refusal (the service's own error answer, or input refused before
 * sending) proves that nothing was created and nothing charged: then, and
 * only then, the same job may be sent again, by hand. The monitor draws the
 * same line when it marks such a job failed. */
static gboolean
error_means_not_created (const GError *error)
{
  return g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_CREDITS) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH) ||
         g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_SERVICE);
}

static void
try_again_cb (PixverseWindow *self,
              AdwToast       *toast)
{
  PixverseRequest *request = g_object_get_data (G_OBJECT (toast), "request");

  g_assert (PIXVERSE_IS_WINDOW (self));
  g_assert (PIXVERSE_IS_REQUEST (request));

  submit (self, request);
}

static void
submit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Submit) state = user_data;
  g_autoptr(PixverseWindow) self = g_weak_ref_get (&state->window);
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_monitor_submit_finish (PIXVERSE_MONITOR (object), result, &error);

  if (error != NULL)
    pixverse_application_report_error (state->application, error);
  pixverse_application_refresh_credits (state->application);

  if (self != NULL && task != NULL)
    {
      const char *prompt = pixverse_request_get_prompt (pixverse_composer_get_request (self->composer));

      /* Follow the new job, unless the person has moved on to something
       * else meanwhile (another job, or the next prompt). */
      if (self->shown_task == NULL && (prompt == NULL || *prompt == '\0'))
        _pixverse_window_show_task (self, task);
    }
  else if (self != NULL && !pixverse_error_is_cancelled (error))
    {
      AdwToast *toast = _pixverse_window_error_toast (self, error);

      if (error_means_not_created (error) && adw_toast_get_button_label (toast) == NULL)
        {
          adw_toast_set_button_label (toast, _("_Try Again"));
          g_object_set_data_full (G_OBJECT (toast), "request",
                                  g_object_ref (state->request), g_object_unref);
          g_signal_connect_object (toast, "button-clicked",
                                   G_CALLBACK (try_again_cb), self,
                                   G_CONNECT_SWAPPED);
        }

      pixverse_window_add_toast (self, toast);
    }
  else if (error != NULL && !pixverse_error_is_cancelled (error))
    {
      g_message ("A job could not be submitted: %s", error->message);
    }

  g_application_release (G_APPLICATION (state->application));
}

static void
submit (PixverseWindow  *self,
        PixverseRequest *request)
{
  Submit *state;

  g_assert (PIXVERSE_IS_WINDOW (self));
  g_assert (PIXVERSE_IS_REQUEST (request));

  if (self->monitor == NULL)
    return;

  state = g_new0 (Submit, 1);
  g_weak_ref_init (&state->window, self);
  state->application = g_object_ref (self->application);
  state->request = pixverse_request_copy (request);

  /* Never cancelled by closing the window: once create may have gone out,
   * only its answer tells whether the job exists. The app waits for it. */
  g_application_hold (G_APPLICATION (self->application));
  pixverse_monitor_submit_async (self->monitor, state->request, NULL, NULL,
                                 submit_cb, state);
}

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autoptr(PixverseRequest) request = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->monitor == NULL || !pixverse_composer_get_can_generate (self->composer))
    return;

  request = pixverse_request_copy (pixverse_composer_get_request (self->composer));
  pixverse_composer_clear_prompt (self->composer);

  submit (self, request);
}

static void
reuse_settings_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autoptr(PixverseTask) task = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (!(task = _pixverse_window_dup_task (self, g_variant_get_int64 (param))))
    return;

  pixverse_composer_set_request (self->composer, pixverse_task_get_request (task));
  _pixverse_window_show_composer (self);
}

static void
delete_task_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autoptr(PixverseTask) task = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if ((task = _pixverse_window_dup_task (self, g_variant_get_int64 (param))))
    _pixverse_window_delete_task (self, task);
}

static void
check_again_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autoptr(PixverseTask) task = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->monitor != NULL &&
      (task = _pixverse_window_dup_task (self, g_variant_get_int64 (param))))
    pixverse_monitor_check_again (self->monitor, task);
}

static void
show_task_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autoptr(PixverseTask) task = NULL;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if ((task = _pixverse_window_dup_task (self, g_variant_get_int64 (param))))
    _pixverse_window_show_task (self, task);
  else
    pixverse_window_add_toast (self, adw_toast_new (_("This job is no longer in the history")));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  _pixverse_window_focus_search (PIXVERSE_WINDOW (widget));
}

static void
new_job_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  _pixverse_window_show_composer (PIXVERSE_WINDOW (widget));
}

/* The welcome page's two ways in. The key typed is read from the page,
 * never passed as a parameter: action parameters show in debugging tools. */
static void
use_key_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  PixverseWindow *self = PIXVERSE_WINDOW (widget);
  g_autofree char *key = NULL;

  if (self->welcome_page == NULL)
    return;

  key = pixverse_welcome_page_dup_key (self->welcome_page);
  if (*key != '\0')
    _pixverse_window_use_key (self, key);
}

static void
use_test_key_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  _pixverse_window_use_key (PIXVERSE_WINDOW (widget), PIXVERSE_TEST_API_KEY);
}

void
_pixverse_window_class_actions_init (PixverseWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "win.reuse-settings", "x", reuse_settings_action);
  gtk_widget_class_install_action (widget_class, "win.delete-task", "x", delete_task_action);
  gtk_widget_class_install_action (widget_class, "win.check-again", "x", check_again_action);
  gtk_widget_class_install_action (widget_class, "win.show-task", "x", show_task_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-job", NULL, new_job_action);
  gtk_widget_class_install_action (widget_class, "win.use-key", NULL, use_key_action);
  gtk_widget_class_install_action (widget_class, "win.use-test-key", NULL, use_test_key_action);
}

void
_pixverse_window_actions_update (PixverseWindow *self)
{
  PixverseKeyState state;
  gboolean has_history;
  gboolean has_key;

  g_assert (PIXVERSE_IS_WINDOW (self));

  if (self->application == NULL)
    return;

  state = pixverse_application_get_key_state (self->application);
  has_key = state == PIXVERSE_KEY_PRESENT || state == PIXVERSE_KEY_REFUSED;
  has_history = self->history != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.generate",
                                 has_history && has_key &&
                                 pixverse_composer_get_can_generate (self->composer));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reuse-settings", has_history);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-task", has_history);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.check-again", has_history);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-task", has_history);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", has_history);
}
