/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include <glib/gstdio.h>

#include "fake-pixwith.h"
#include "test-gui-util.h"
#include "pixverse-application.h"
#include "pixverse-composer.h"
#include "pixverse-history-row.h"
#include "pixverse-job-page.h"
#include "pixverse-preferences-dialog.h"
#include "pixverse-secrets.h"
#include "pixverse-welcome-page.h"
#include "pixverse-window-private.h"

/*
 * The real app and window, under Xvfb, against the fake pixwith service:
 * driven through the window's actions and widgets, checked against what the
 * fake received and what the history holds.
 *
 * `test-window --screenshots DIR` instead walks through the main states and
 * saves a PNG of each into DIR (build-aux/screenshots).
 */

#define PROMPT "A red fox running through fresh snow at dawn, cinematic"
/* Monitor waits and the fake's jobs 50 times faster: a 150 s job takes 3 s. */
#define SCALE 0.02
#define SCALE_STRING "0.02"
#define WAIT 60

/* Helpers */

/* A shown label whose text contains @text. */
static GtkLabel *
find_label (GtkWidget  *root,
            const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect (root, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      const char *str = gtk_label_get_label (label);

      if (shown (GTK_WIDGET (label)) && str != NULL && strstr (str, text) != NULL)
        return label;
    }

  return NULL;
}

/* A shown button labelled @label (with its mnemonic underscore). */
static GtkButton *
find_button (GtkWidget  *root,
             const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkButton *button = g_ptr_array_index (buttons, i);

      if (shown (GTK_WIDGET (button)) && g_strcmp0 (gtk_button_get_label (button), label) == 0)
        return button;
    }

  return NULL;
}

static GtkWidget *
find_icon_button (GtkWidget  *root,
                  const char *icon_name)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (root, GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkButton *button = g_ptr_array_index (buttons, i);

      if (g_strcmp0 (gtk_button_get_icon_name (button), icon_name) == 0)
        return GTK_WIDGET (button);
    }

  return NULL;
}

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

/* The toast whose title contains @text, as its widget shows it. */
static GtkWidget *
find_toast (PixverseWindow *window,
            const char     *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect (GTK_WIDGET (window->toast_overlay), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      const char *str = gtk_label_get_label (label);

      if (!shown (GTK_WIDGET (label)) || str == NULL || strstr (str, text) == NULL)
        continue;

      for (GtkWidget *widget = GTK_WIDGET (label); widget != NULL; widget = gtk_widget_get_parent (widget))
        {
          if (g_str_equal (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget"))
            return widget;
        }
    }

  return NULL;
}

static PixverseRequest *
make_request (const char   *prompt,
              PixverseMode  mode,
              const char   *image_url)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, prompt);
  pixverse_request_set_mode (request, mode);
  if (image_url != NULL)
    pixverse_request_set_image_url (request, image_url);
  pixverse_request_set_num_outputs (request, 2);
  pixverse_request_set_resolution (request, "540p");
  pixverse_request_set_aspect_ratio (request, "9:16");
  pixverse_request_set_duration (request, 8);
  pixverse_request_set_prompt_optimization (request, FALSE);

  return request;
}

static char *
request_to_string (PixverseRequest *request)
{
  g_autoptr(GError) error = NULL;
  char *str = pixverse_request_to_string (request, &error);

  g_assert_no_error (error);

  return str;
}

static char *
last_body (FakePixwith *fake,
           const char  *endpoint)
{
  GBytes *body = fake_pixwith_get_last_body (fake, endpoint);
  gsize size;
  const char *data;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, &size);

  return g_strndup (data, size);
}

/* The fixture: the fake service, the app and its one window */

typedef struct _Fixture Fixture;
typedef void (*Body) (Fixture       *f,
                      gconstpointer  data);

struct _Fixture
{
  FakePixwith         *fake;
  PixverseApplication *app;
  PixverseWindow      *window;
  PixverseComposer    *composer;
  Body                 body;
  gboolean             leave_running;
  gboolean             history_fails; /* the test makes it so */
  char                *task_id;
};

static void
reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  /* The memory backend outlives each test: start every one alike. */
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
  g_settings_set_int (settings, "window-width", 1100);
  g_settings_set_int (settings, "window-height", 760);
}

static gboolean
app_ready (PixverseApplication *app)
{
  return !pixverse_application_get_loading (app) &&
         pixverse_application_get_key_state (app) != PIXVERSE_KEY_LOOKING_UP;
}

/* The app runs for real (g_application_run), so it shuts down and is
 * finalized like the real one: @body runs once its window is up, inside the
 * app's main loop, and the app quits when the window is closed after it. */
static void
activate_cb (GApplication *app,
             Fixture      *f)
{
  PixverseMonitor *monitor;

  /* Activated again (a notification): the app's own business. */
  if (f->window != NULL)
    return;

  f->window = PIXVERSE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (PIXVERSE_IS_WINDOW (f->window));
  f->composer = pixverse_window_get_composer (f->window);

  wait_for (app_ready (f->app), WAIT);
  if (pixverse_application_get_history (f->app) == NULL && !f->history_fails)
    g_error ("The history did not open: %s",
             pixverse_application_get_history_error (f->app)->message);
  wait_for_first_frame (GTK_WIDGET (f->window), WAIT);

  f->body (f, NULL);

  /* Jobs done, unless the test leaves one for the next start. */
  monitor = pixverse_application_get_monitor (f->app);
  if (!f->leave_running && monitor != NULL)
    wait_for (pixverse_monitor_get_n_active (monitor) == 0, WAIT);

  if (f->window != NULL)
    gtk_window_close (GTK_WINDOW (f->window));
  f->window = NULL;
  f->composer = NULL;
}

static void
run_app (Fixture *f,
         Body     body)
{
  f->app = pixverse_application_new ();
  /* One app after another in this process: no single-instance name. */
  g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
  f->body = body;
  f->leave_running = FALSE;
  g_signal_connect_after (f->app, "activate", G_CALLBACK (activate_cb), f);

  g_assert_cmpint (g_application_run (G_APPLICATION (f->app), 0, NULL), ==, 0);

  /* Callbacks cancelled at shutdown let go of it now. */
  drain (100);
  g_assert_finalize_object (f->app);
  f->app = NULL;
}

static void
run_test (Fixture       *f,
          gconstpointer  data)
{
  run_app (f, (Body) data);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_set_time_scale (f->fake, SCALE);

  /* Read when the app starts: set them first. */
  g_setenv ("PIXVERSE_API_URL", fake_pixwith_get_url (f->fake), TRUE);
  g_setenv ("PIXVERSE_API_KEY", PIXVERSE_TEST_API_KEY, TRUE);
  reset_settings ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_assert_finalize_object (f->fake);
}

/* Types the prompt into the composer's text view, as a person does. */
static void
type_prompt (Fixture    *f,
             const char *prompt)
{
  GtkTextView *view = GTK_TEXT_VIEW (find_first (GTK_WIDGET (f->composer), GTK_TYPE_TEXT_VIEW));

  g_assert_nonnull (view);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), prompt, -1);
}

static const char *
prompt_in_composer (Fixture *f)
{
  return pixverse_request_get_prompt (pixverse_composer_get_request (f->composer));
}

static guint
n_jobs (Fixture *f)
{
  return g_list_model_get_n_items (pixverse_window_get_jobs (f->window));
}

static guint
n_in_history (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (pixverse_application_get_history (f->app)));
}

static PixverseTask *
dup_job (Fixture *f,
         guint    position)
{
  return g_list_model_get_item (pixverse_window_get_jobs (f->window), position);
}

/* Whether the list shows @task at @position (the very object). */
static gboolean
job_is (Fixture      *f,
        guint         position,
        PixverseTask *task)
{
  g_autoptr(PixverseTask) item = dup_job (f, position);

  return item == task;
}

static PixverseJobStatus
job_status (Fixture *f,
            guint    position)
{
  g_autoptr(PixverseTask) item = dup_job (f, position);

  return item != NULL ? pixverse_task_get_status (item) : PIXVERSE_JOB_SUBMITTING;
}

static const char *
content_page (Fixture *f)
{
  return gtk_stack_get_visible_child_name (f->window->content_stack);
}

static const char *
sidebar_page (Fixture *f)
{
  return gtk_stack_get_visible_child_name (f->window->sidebar_stack);
}

static gboolean
generate_enabled (Fixture *f)
{
  GtkWidget *button = find_actionable (GTK_WIDGET (f->composer), "win.generate");

  g_assert_nonnull (button);

  return gtk_widget_get_sensitive (button);
}

static gboolean
is_finished (PixverseTask *task)
{
  PixverseJobStatus status = pixverse_task_get_status (task);

  if (status == PIXVERSE_JOB_COMPLETED)
    return pixverse_task_get_download_state (task) == PIXVERSE_DOWNLOAD_DONE;

  return status == PIXVERSE_JOB_FAILED || status == PIXVERSE_JOB_UNKNOWN;
}

/* Composes @request in the window and generates; returns the new job. */
static PixverseTask *
generate (Fixture         *f,
          PixverseRequest *request)
{
  guint creates = fake_pixwith_get_request_count (f->fake, "create");
  guint before = n_in_history (f);
  g_autofree char *expected = request_to_string (request);
  g_autofree char *body = NULL;
  PixverseTask *task;

  _pixverse_window_show_composer (f->window);
  pixverse_composer_set_request (f->composer, request);
  type_prompt (f, pixverse_request_get_prompt (request));
  wait_for (generate_enabled (f), 5);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.generate", NULL);

  /* Sent once, exactly as the request says; the prompt is cleared for the
   * next one and the new job is shown. */
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == creates + 1, WAIT);
  body = last_body (f->fake, "create");
  g_assert_cmpstr (body, ==, expected);
  g_assert_cmpstr (prompt_in_composer (f), ==, "");

  wait_for (n_in_history (f) == before + 1, WAIT);
  wait_for ((task = pixverse_window_get_shown_task (f->window)) != NULL &&
            pixverse_task_get_task_id (task) != NULL, WAIT);
  g_assert_cmpstr (content_page (f), ==, "job");
  g_assert_cmpstr (sidebar_page (f), ==, "list");
  g_assert_true (job_is (f, 0, task));
  g_assert_cmpuint (gtk_single_selection_get_selected (f->window->selection), ==, 0);

  return g_object_ref (task);
}

/* Tests */

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  g_assert_cmpuint (n_jobs (f), ==, 0);
  g_assert_cmpstr (sidebar_page (f), ==, "empty");
  g_assert_true (shown (GTK_WIDGET (f->window->sidebar_stack)));
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), "No Videos Yet"));

  /* A key from the environment: straight to the composer. The welcome page
   * is not even built, a cost start-up does without (issue 14). */
  g_assert_cmpint (pixverse_application_get_key_state (f->app), ==, PIXVERSE_KEY_PRESENT);
  g_assert_cmpstr (content_page (f), ==, "composer");
  g_assert_null (find_first (GTK_WIDGET (f->window), PIXVERSE_TYPE_WELCOME_PAGE));
  g_assert_false (adw_banner_get_revealed (f->window->banner));

  /* The credits, in the header bar. */
  wait_for (pixverse_application_get_credits (f->app) == fake_pixwith_get_credits (f->fake), WAIT);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (f->window->credits_label)));
  g_assert_cmpstr (gtk_label_get_label (f->window->credits_label), ==, "1000 credits");

  g_assert_false (generate_enabled (f));
}

static void
assert_accel (GtkApplication *app,
              const char     *action,
              const char     *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (app, action);

  g_assert_true (g_strv_contains ((const char * const *) accels, accel));
}

static void
test_app_actions (Fixture       *f,
                  gconstpointer  data)
{
  GtkApplication *app = GTK_APPLICATION (f->app);
  AdwDialog *dialog;
  GListModel *toplevels;
  guint n_toplevels;

  assert_accel (app, "app.quit", "<Control>q");
  assert_accel (app, "app.preferences", "<Control>comma");
  assert_accel (app, "app.shortcuts", "<Control>question");
  assert_accel (app, "win.generate", "<Control>Return");
  assert_accel (app, "win.search", "<Control>f");
  assert_accel (app, "win.new-job", "<Control>n");

  /* About: the app's name, version and licence. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  wait_for ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window))) != NULL, 5);
  g_assert_true (ADW_IS_ABOUT_DIALOG (dialog));
  g_assert_cmpstr (adw_about_dialog_get_version (ADW_ABOUT_DIALOG (dialog)), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_dialog_get_license_type (ADW_ABOUT_DIALOG (dialog)), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_dialog_get_website (ADW_ABOUT_DIALOG (dialog)), ==, PACKAGE_URL);
  adw_dialog_force_close (dialog);
  wait_for (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window)) == NULL, 5);

  /* The keyboard shortcuts, in a window of their own with libadwaita 1.7. */
  toplevels = gtk_window_get_toplevels ();
  n_toplevels = g_list_model_get_n_items (toplevels);
  g_action_group_activate_action (G_ACTION_GROUP (app), "shortcuts", NULL);
#if ADW_CHECK_VERSION (1, 8, 0)
  wait_for (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window)) != NULL, 5);
  adw_dialog_force_close (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window)));
#else
  wait_for (g_list_model_get_n_items (toplevels) == n_toplevels + 1, 5);
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (window != GTK_WINDOW (f->window))
        {
          g_assert_nonnull (find_label (GTK_WIDGET (window), "Generate"));
          gtk_window_destroy (window);
          break;
        }
    }
  wait_for (g_list_model_get_n_items (toplevels) == n_toplevels, 5);
#endif

  /* Quit closes the window, and the app ends (run_app checks it is gone). */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_null (gtk_application_get_windows (app));
  f->window = NULL;
}

static void
test_generate_text (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  PixverseJobPage *page;
  const char * const *paths;
  gint64 credits_before = fake_pixwith_get_credits (f->fake);

  task = generate (f, request);
  g_assert_cmpstr (pixverse_request_get_prompt (pixverse_task_get_request (task)), ==, PROMPT);

  /* Done: its videos downloaded, and its page shows them. */
  wait_for (is_finished (task), WAIT);
  g_assert_cmpint (pixverse_task_get_status (task), ==, PIXVERSE_JOB_COMPLETED);
  paths = pixverse_task_get_video_paths (task);
  g_assert_cmpuint (g_strv_length ((char **) paths), ==, 2);
  for (guint i = 0; paths[i] != NULL; i++)
    g_assert_true (g_file_test (paths[i], G_FILE_TEST_IS_REGULAR));

  page = pixverse_window_get_job_page (f->window);
  g_assert_true (pixverse_job_page_get_task (page) == task);
  g_assert_true (shown (GTK_WIDGET (page)));
  wait_for (_pixverse_job_page_get_n_videos (page) == 2, WAIT);
  g_assert_nonnull (find_first (GTK_WIDGET (page), GTK_TYPE_VIDEO));

  /* The credits, refreshed after the job. */
  wait_for (pixverse_application_get_credits (f->app) < credits_before, WAIT);
  g_assert_cmpint (pixverse_application_get_credits (f->app), ==, fake_pixwith_get_credits (f->fake));
}

static void
test_generate_image (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *image_url = g_strconcat (fake_pixwith_get_url (f->fake), "/img/fixture/fox.png", NULL);
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_IMAGE_TO_VIDEO, image_url);
  g_autoptr(PixverseTask) task = NULL;
  g_autofree char *body = NULL;

  task = generate (f, request);

  body = last_body (f->fake, "create");
  g_assert_nonnull (strstr (body, "\"image_urls\""));
  g_assert_cmpint (pixverse_request_get_mode (pixverse_task_get_request (task)), ==,
                   PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_cmpstr (pixverse_request_get_image_url (pixverse_task_get_request (task)), ==, image_url);
}

static void
test_generate_invalid (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request ("", PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);

  /* No prompt: Generate stays off, by button and by shortcut alike. */
  pixverse_composer_set_request (f->composer, request);
  type_prompt (f, "");
  drain (50);
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_false (generate_enabled (f));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.generate", NULL);

  /* Image-to-video without an image. */
  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_composer_set_request (f->composer, request);
  type_prompt (f, PROMPT);
  drain (50);
  g_assert_false (generate_enabled (f));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.generate", NULL);

  drain (300);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 0);
  g_assert_cmpuint (n_in_history (f), ==, 0);
  g_assert_cmpstr (prompt_in_composer (f), ==, PROMPT);
}

static void
submit_expecting_error (Fixture    *f,
                        const char *message)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  guint creates = fake_pixwith_get_request_count (f->fake, "create");

  _pixverse_window_show_composer (f->window);
  pixverse_composer_set_request (f->composer, request);
  type_prompt (f, PROMPT);
  wait_for (generate_enabled (f), 5);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.generate", NULL);

  g_test_message ("Waiting for a toast “%s”", message);
  wait_for (find_toast (f->window, message) != NULL, WAIT);
  /* Sent once: a create is never repeated by itself. */
  drain (200);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, creates + 1);
}

/* The button of the toast that says @text. Toasts come and go on their own
 * (a queued one shows when the one before it times out, each in a widget of
 * its own), so this waits for one to be shown rather than keeping a widget
 * found earlier. */
static GtkButton *
find_toast_button (Fixture    *f,
                   const char *text,
                   const char *label)
{
  GtkWidget *toast = NULL;
  GtkButton *button = NULL;

  wait_for ((toast = find_toast (f->window, text)) != NULL &&
            (button = find_button (toast, label)) != NULL, WAIT);
  return button;
}

static void
test_service_errors (Fixture       *f,
                     gconstpointer  data)
{
  const FakeFault invalid_key = {
    .kind = FAKE_FAULT_STATUS,
    .status = 200,
    .body = "{\"code\":0,\"message\":\"Invalid API KEY\",\"data\":{}}",
  };
  g_autoptr(PixverseTask) failed = NULL;
  GtkWidget *toast;
  GtkButton *try_again;

  /* No credits: the service's words, and Try Again (nothing was created). */
  fake_pixwith_set_credits (f->fake, 0);
  submit_expecting_error (f, "Credits not enough");
  g_assert_nonnull (find_toast_button (f, "Credits not enough", "_Try Again"));

  /* The job is kept, failed, with the service's reason. */
  wait_for (n_jobs (f) == 1 && job_status (f, 0) == PIXVERSE_JOB_FAILED, WAIT);
  failed = dup_job (f, 0);
  g_assert_cmpstr (pixverse_task_get_message (failed), ==, "Credits not enough");

  /* Credits bought: Try Again sends the same job once more, by hand. The
   * toast is looked up again: it may have moved on to a new widget. */
  fake_pixwith_set_credits (f->fake, 1000);
  try_again = find_toast_button (f, "Credits not enough", "_Try Again");
  g_assert_nonnull (try_again);
  g_signal_emit_by_name (try_again, "clicked");
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == 2, WAIT);
  wait_for (n_in_history (f) == 2, WAIT);

  /* A refused key (everywhere, as a revoked key is): its words,
   * Preferences, and the banner. */
  wait_for (pixverse_application_get_credits (f->app) > 0, WAIT);
  fake_pixwith_add_fault (f->fake, "create", &invalid_key, 1);
  fake_pixwith_add_fault (f->fake, "credits", &invalid_key, 100);
  submit_expecting_error (f, "Invalid API KEY");
  g_assert_nonnull (find_toast_button (f, "Invalid API KEY", "_Preferences"));
  toast = find_toast (f->window, "Invalid API KEY");
  g_assert_nonnull (toast);
  g_assert_null (find_button (toast, "_Try Again"));
  wait_for (pixverse_application_get_key_state (f->app) == PIXVERSE_KEY_REFUSED, WAIT);
  g_assert_true (adw_banner_get_revealed (f->window->banner));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window->credits_label)));
  fake_pixwith_clear_faults (f->fake);
}

static void
test_reuse_settings (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *image_url = g_strconcat (fake_pixwith_get_url (f->fake), "/img/fixture/fox.png", NULL);
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_IMAGE_TO_VIDEO, image_url);
  g_autoptr(PixverseRequest) other = make_request ("Something else", PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;

  /* Every option away from its default. */
  pixverse_request_set_num_outputs (request, 3);
  pixverse_request_set_resolution (request, "1080p");
  pixverse_request_set_aspect_ratio (request, "3:4");
  pixverse_request_set_duration (request, 8);
  pixverse_request_set_prompt_optimization (request, FALSE);
  task = generate (f, request);

  /* The composer holds something else now. */
  pixverse_request_set_resolution (other, "360p");
  pixverse_request_set_aspect_ratio (other, "1:1");
  pixverse_request_set_num_outputs (other, 1);
  pixverse_request_set_duration (other, 5);
  pixverse_request_set_prompt_optimization (other, TRUE);
  pixverse_composer_set_request (f->composer, other);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.reuse-settings", "x",
                              pixverse_task_get_id (task));

  g_assert_cmpstr (content_page (f), ==, "composer");
  g_assert_null (pixverse_window_get_shown_task (f->window));
  expected = request_to_string (request);
  actual = request_to_string (pixverse_composer_get_request (f->composer));
  g_assert_cmpstr (actual, ==, expected);
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
}

static void
test_delete_undo (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  GtkWidget *toast;

  task = generate (f, request);
  wait_for (is_finished (task), WAIT);

  /* Gone from the list at once, still in the history. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.delete-task", "x",
                              pixverse_task_get_id (task));
  g_assert_cmpuint (n_jobs (f), ==, 0);
  g_assert_cmpuint (n_in_history (f), ==, 1);
  g_assert_cmpstr (sidebar_page (f), ==, "empty");
  g_assert_cmpstr (content_page (f), ==, "composer");

  /* Undo: back as it was. */
  wait_for ((toast = find_toast (f->window, "Job deleted")) != NULL, 5);
  g_signal_emit_by_name (find_button (toast, "_Undo"), "clicked");
  wait_for (n_jobs (f) == 1, 5);
  g_assert_true (job_is (f, 0, task));
  g_assert_cmpstr (sidebar_page (f), ==, "list");
  g_assert_true (pixverse_window_get_shown_task (f->window) == task);

  /* Nothing was deleted meanwhile. */
  drain (300);
  g_assert_cmpuint (n_in_history (f), ==, 1);
  for (guint i = 0; pixverse_task_get_video_paths (task)[i] != NULL; i++)
    g_assert_true (g_file_test (pixverse_task_get_video_paths (task)[i], G_FILE_TEST_IS_REGULAR));
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  g_auto(GStrv) paths = NULL;
  GtkWidget *toast;
  GtkWidget *close_button;

  task = generate (f, request);
  wait_for (is_finished (task), WAIT);
  paths = g_strdupv ((char **) pixverse_task_get_video_paths (task));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.delete-task", "x",
                              pixverse_task_get_id (task));
  g_assert_cmpuint (n_jobs (f), ==, 0);

  /* The toast goes without Undo: now it is deleted, files and all. */
  wait_for ((toast = find_toast (f->window, "Job deleted")) != NULL, 5);
  close_button = find_icon_button (toast, "window-close-symbolic");
  g_assert_nonnull (close_button);
  g_signal_emit_by_name (close_button, "clicked");
  wait_for (n_in_history (f) == 0, WAIT);
  g_assert_cmpuint (n_jobs (f), ==, 0);
  for (guint i = 0; paths[i] != NULL; i++)
    wait_for (!g_file_test (paths[i], G_FILE_TEST_EXISTS), WAIT);
}

static void
restart_first_run (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;

  task = generate (f, request);
  f->task_id = g_strdup (pixverse_task_get_task_id (task));

  /* Closed while the job runs: nothing asked, nothing lost. */
  f->leave_running = TRUE;
}

static void
restart_second_run (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PixverseTask) again = NULL;

  wait_for (n_jobs (f) == 1, WAIT);
  again = dup_job (f, 0);
  wait_for (pixverse_task_get_task_id (again) != NULL, WAIT);
  g_assert_cmpstr (pixverse_task_get_task_id (again), ==, f->task_id);
  g_assert_cmpstr (sidebar_page (f), ==, "list");
  /* A start with jobs makes none of the sidebar's status pages. */
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "empty"));
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "no-results"));
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "error"));

  /* Resumed at start, and finished; never created again. */
  wait_for (is_finished (again), WAIT);
  g_assert_cmpint (pixverse_task_get_status (again), ==, PIXVERSE_JOB_COMPLETED);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, 1);

  /* Opens from the list like any job. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-task", "x",
                              pixverse_task_get_id (again));
  g_assert_true (pixverse_window_get_shown_task (f->window) == again);
  g_assert_cmpstr (content_page (f), ==, "job");
}

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  run_app (f, restart_first_run);
  run_app (f, restart_second_run);
  g_clear_pointer (&f->task_id, g_free);
}

static char *
history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "pixverse-studio", "history.db", NULL);
}

static void
recovered_body (Fixture       *f,
                gconstpointer  data)
{
  /* Told where the old one went; a new, empty one works. */
  wait_for (find_toast (f->window, "a new one was started") != NULL, WAIT);
  g_assert_nonnull (find_button (find_toast (f->window, "a new one was started"), "_Show Old History"));
  g_assert_nonnull (pixverse_history_get_recovered_path (pixverse_application_get_history (f->app)));
  g_assert_cmpstr (sidebar_page (f), ==, "empty");
  g_assert_cmpstr (content_page (f), ==, "composer");
}

static void
unopenable_body (Fixture       *f,
                 gconstpointer  data)
{
  const GError *error = pixverse_application_get_history_error (f->app);
  GtkWidget *page;

  /* The sidebar says so, in the history's own words; the rest still works. */
  g_assert_nonnull (error);
  g_assert_null (pixverse_application_get_history (f->app));
  g_assert_cmpstr (sidebar_page (f), ==, "error");
  page = gtk_stack_get_visible_child (f->window->sidebar_stack);
  g_assert_true (ADW_IS_STATUS_PAGE (page));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "Could Not Open the History");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (page)), ==, error->message);
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), error->message));
  /* Only that page of the sidebar's status pages was made. */
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "empty"));
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "no-results"));
  g_assert_cmpstr (content_page (f), ==, "composer");
}

/* A file where the history's folder should be: it cannot be opened, nor a
 * new one started. */
static void
test_history_unopenable (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *path = history_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (parent, 0700));
  g_file_set_contents (dir, "Not a folder.", -1, &error);
  g_assert_no_error (error);

  f->history_fails = TRUE;
  run_app (f, unopenable_body);
  g_assert_no_errno (g_unlink (dir));
}

static void
test_history_recovered (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = history_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
  g_file_set_contents (path, "This is not an SQLite database, whatever its name says.", -1, &error);
  g_assert_no_error (error);

  run_app (f, recovered_body);
}

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  PixverseTask **task = user_data;
  g_autoptr(GError) error = NULL;

  *task = pixverse_history_add_finish (PIXVERSE_HISTORY (object), result, &error);
  g_assert_no_error (error);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *saved = user_data;
  g_autoptr(GError) error = NULL;

  *saved = pixverse_history_save_finish (PIXVERSE_HISTORY (object), result, &error);
  g_assert_no_error (error);
}

/* A job the service never answered about in time, as the monitor leaves it. */
static void
add_unknown_job (Fixture *f,
                 guint    i)
{
  PixverseHistory *history = pixverse_application_get_history (f->app);
  g_autofree char *prompt = g_strdup_printf ("Lost job number %u", i);
  g_autofree char *task_id = g_strdup_printf ("lost-%u", i);
  g_autoptr(PixverseRequest) request = make_request (prompt, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  gboolean saved = FALSE;

  pixverse_history_add_async (history, request, NULL, added_cb, &task);
  wait_for (task != NULL, WAIT);
  pixverse_task_set_task_id (task, task_id);
  pixverse_task_set_status (task, PIXVERSE_JOB_UNKNOWN);
  pixverse_history_save_async (history, task, NULL, saved_cb, &saved);
  wait_for (saved, WAIT);
}

/* Every shown "Check Again" button targets the job of its own row. */
static guint
check_again_buttons_match_rows (Fixture *f)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  guint checked = 0;

  collect (GTK_WIDGET (f->window->history_view), PIXVERSE_TYPE_HISTORY_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      PixverseHistoryRow *row = g_ptr_array_index (rows, i);
      PixverseTask *task = pixverse_history_row_get_task (row);
      GtkButton *button = find_button (GTK_WIDGET (row), "Check Again");
      GVariant *target;

      if (task == NULL || button == NULL || !shown (GTK_WIDGET (button)))
        continue;
      target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button));
      g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.check-again");
      g_assert_nonnull (target);
      g_assert_cmpint (g_variant_get_int64 (target), ==, pixverse_task_get_id (task));
      checked++;
    }

  return checked;
}

static void
recycle_body (Fixture       *f,
              gconstpointer  data)
{
  const guint n = 60;

  for (guint i = 0; i < n; i++)
    add_unknown_job (f, i);
  wait_for (n_in_history (f) == n, WAIT);
  wait_for (check_again_buttons_match_rows (f) > 0, WAIT);
  /* The list reaches its whole length over the next frames (issue 14). */
  wait_for (g_list_model_get_n_items (G_LIST_MODEL (gtk_grid_view_get_model (f->window->history_view))) == n,
            WAIT);

  /* Scrolling to the end and back rebinds recycled rows to other jobs;
   * under fatal warnings any action/target mismatch would abort here.
   * The rows are laid out again on the next frames, whose time varies
   * (a sanitizer build is slow): each check waits for shown buttons. */
  gtk_grid_view_scroll_to (f->window->history_view, n - 1, GTK_LIST_SCROLL_NONE, NULL);
  drain (300);
  wait_for (check_again_buttons_match_rows (f) > 0, WAIT);
  gtk_grid_view_scroll_to (f->window->history_view, 0, GTK_LIST_SCROLL_NONE, NULL);
  drain (300);
  wait_for (check_again_buttons_match_rows (f) > 0, WAIT);
}

static void
test_history_recycle (Fixture       *f,
                      gconstpointer  data)
{
  run_app (f, recycle_body);
}

/* A history longer than the window: the window builds the rows it shows
 * first and the rest over the next frames (issue 14), and every job stays
 * within reach, even one asked for before the rest have come. */
#define FIRST_ROWS_JOBS 60

static void
first_rows_fill (Fixture       *f,
                 gconstpointer  data)
{
  for (guint i = 0; i < FIRST_ROWS_JOBS; i++)
    add_unknown_job (f, i);
  wait_for (n_in_history (f) == FIRST_ROWS_JOBS, WAIT);
}

static guint
n_rows_built (Fixture *f)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect (GTK_WIDGET (f->window->history_view), PIXVERSE_TYPE_HISTORY_ROW, rows);
  return rows->len;
}

static void
first_rows_body (Fixture       *f,
                 gconstpointer  data)
{
  GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (f->window->history_view));
  g_autoptr(PixverseTask) oldest = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  int view_height = gtk_widget_get_height (GTK_WIDGET (f->window->history_view));
  int row_height;

  /* The first frame is drawn: the rows filling the list's height are there. */
  g_assert_cmpstr (sidebar_page (f), ==, "list");
  collect (GTK_WIDGET (f->window->history_view), PIXVERSE_TYPE_HISTORY_ROW, rows);
  g_assert_cmpuint (rows->len, >, 0);
  row_height = gtk_widget_get_height (g_ptr_array_index (rows, 0));
  g_assert_cmpint (row_height, >, 0);
  g_assert_cmpuint (rows->len, >=, MIN (FIRST_ROWS_JOBS, (guint) (view_height + row_height - 1) / row_height));

  /* The oldest job, asked for at once, is shown and selected. */
  oldest = dup_job (f, FIRST_ROWS_JOBS - 1);
  _pixverse_window_show_task (f->window, oldest);
  g_assert_true (pixverse_window_get_shown_task (f->window) == oldest);
  g_assert_cmpuint (gtk_single_selection_get_selected (GTK_SINGLE_SELECTION (shown)), ==,
                    FIRST_ROWS_JOBS - 1);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, FIRST_ROWS_JOBS);

  /* And the grid ends up with all the rows it keeps. */
  wait_for (n_rows_built (f) >= 30, WAIT);
}

static void
test_history_first_rows (Fixture       *f,
                         gconstpointer  data)
{
  run_app (f, first_rows_fill);
  run_app (f, first_rows_body);
}

/* A list asked for nothing keeps growing to its whole length. */
static void
first_rows_grow_body (Fixture       *f,
                      gconstpointer  data)
{
  GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (f->window->history_view));

  wait_for (g_list_model_get_n_items (shown) == FIRST_ROWS_JOBS, WAIT);
  wait_for (n_rows_built (f) >= 30, WAIT);
}

static void
test_history_first_rows_grow (Fixture       *f,
                              gconstpointer  data)
{
  run_app (f, first_rows_fill);
  run_app (f, first_rows_grow_body);
}

/* Keyboard only: real key presses from the X server (xdotool, XTEST), so
 * the focus chain, the shortcuts and the keyboard handling of every widget
 * are the ones a person meets. */

static void
xdotool_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *done = TRUE;
}

/* Runs xdotool with the NULL-terminated arguments while the window keeps
 * handling the events it sends, then lets the window settle. */
static void
xdotool (const char *first,
         ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;
  va_list args;

  g_strv_builder_add (builder, "xdotool");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_strv_builder_add (builder, arg);
  va_end (args);
  argv = g_strv_builder_end (builder);

  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, xdotool_done_cb, &done);
  wait_for (done, WAIT);
  g_assert_true (g_subprocess_get_successful (process));
  drain (200);
}

static void
press (const char *keys)
{
  xdotool ("key", "--clearmodifiers", "--delay", "60", keys, NULL);
}

static GtkWidget *
focus_widget (Fixture *f)
{
  return gtk_root_get_focus (GTK_ROOT (f->window));
}

/* Whether the keyboard focus is @widget or inside it. */
static gboolean
focus_in (Fixture   *f,
          GtkWidget *widget)
{
  GtkWidget *focus = focus_widget (f);

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static gboolean
has_accessible_label (GtkWidget     *widget,
                      gconstpointer  name)
{
  g_autofree char *mismatch = NULL;

  if (GTK_IS_LABEL (widget) ||
      !gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;
  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                 GTK_ACCESSIBLE_PROPERTY_LABEL, name);
  return mismatch == NULL;
}

static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  return find_matching (root, has_accessible_label, name);
}

/* Presses Tab (or Shift+Tab) until the focus is in @target; fails after a
 * whole round of the window. */
static void
tab_to (Fixture    *f,
        GtkWidget  *target,
        const char *key)
{
  for (guint i = 0; i < 60 && !focus_in (f, target); i++)
    {
      press (key);
      g_test_message ("%s: focus in %s", key,
                      focus_widget (f) ? G_OBJECT_TYPE_NAME (focus_widget (f)) : "nothing");
    }

  if (!focus_in (f, target))
    g_error ("%s never reaches %s", key, G_OBJECT_TYPE_NAME (target));
}

static void
keyboard_body (Fixture       *f,
               gconstpointer  data)
{
  static const char * const text_controls[] = {
    "Number of videos", "Resolution", "Aspect ratio", "Duration",
    "Prompt optimization", "Generate",
  };
  GtkWidget *composer = GTK_WIDGET (f->composer);
  GtkWidget *prompt = find_named (composer, "Prompt");
  GtkWidget *duration = find_named (composer, "Duration");
  AdwToggleGroup *mode_group = ADW_TOGGLE_GROUP (find_first (composer, ADW_TYPE_TOGGLE_GROUP));
  g_autofree char *xdotool_path = g_find_program_in_path ("xdotool");
  GtkVideo *video;
  AdwDialog *dialog;
  GtkPopover *menu;
  PixverseTask *task;
  guint creates = fake_pixwith_get_request_count (f->fake, "create");

  if (g_getenv ("DISPLAY") == NULL || g_getenv ("WAYLAND_DISPLAY") != NULL || xdotool_path == NULL)
    {
      g_test_skip ("Needs an X server and xdotool");
      return;
    }
  g_assert_nonnull (prompt);
  g_assert_nonnull (duration);
  g_assert_nonnull (mode_group);

  /* The window takes the keyboard; the prompt has the focus from the start. */
  xdotool ("search", "--sync", "--onlyvisible", "--name", "^Pixverse Studio$",
           "windowfocus", "--sync", NULL);
  wait_for (gtk_window_is_active (GTK_WINDOW (f->window)), WAIT);
  wait_for (focus_in (f, prompt), WAIT);

  xdotool ("type", "--delay", "20", "A red fox in fresh snow", NULL);
  wait_for (g_strcmp0 (prompt_in_composer (f), "A red fox in fresh snow") == 0, WAIT);

  /* Every option is reachable with Tab, in the order they are shown. */
  for (guint i = 0; i < G_N_ELEMENTS (text_controls); i++)
    {
      GtkWidget *control = find_named (composer, text_controls[i]);

      g_assert_nonnull (control);
      tab_to (f, control, "Tab");
      g_test_message ("Tab reaches %s", text_controls[i]);
    }

  /* A combo row opens with Return and picks with the arrow keys. */
  tab_to (f, duration, "shift+Tab");
  g_assert_cmpint (pixverse_request_get_duration (pixverse_composer_get_request (f->composer)), ==, 5);
  press ("Return");
  press ("Down");
  press ("Return");
  wait_for (pixverse_request_get_duration (pixverse_composer_get_request (f->composer)) == 8, WAIT);
  tab_to (f, duration, "shift+Tab");

  /* The mode: the toggle group takes the arrow keys. */
  tab_to (f, GTK_WIDGET (mode_group), "shift+Tab");
  press ("Right");
  press ("space");
  wait_for (pixverse_request_get_mode (pixverse_composer_get_request (f->composer)) ==
            PIXVERSE_MODE_IMAGE_TO_VIDEO, WAIT);
  tab_to (f, find_named (composer, "Choose Image"), "Tab");
  tab_to (f, find_named (composer, "Image URL"), "Tab");
  tab_to (f, GTK_WIDGET (mode_group), "shift+Tab");
  press ("Left");
  press ("space");
  wait_for (pixverse_request_get_mode (pixverse_composer_get_request (f->composer)) ==
            PIXVERSE_MODE_TEXT_TO_VIDEO, WAIT);

  /* Ctrl+Return generates from wherever the focus is in the composer. */
  tab_to (f, prompt, "shift+Tab");
  press ("ctrl+Return");
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == creates + 1, WAIT);
  wait_for ((task = pixverse_window_get_shown_task (f->window)) != NULL, WAIT);
  g_assert_cmpstr (content_page (f), ==, "job");
  g_assert_cmpint (pixverse_request_get_duration (pixverse_task_get_request (task)), ==, 8);

  /* Ctrl+F searches the history; Escape leaves the search. */
  press ("ctrl+f");
  wait_for (focus_in (f, GTK_WIDGET (f->window->search_entry)), WAIT);
  xdotool ("type", "--delay", "20", "fox", NULL);
  wait_for (n_jobs (f) == 1, WAIT);
  press ("Escape");

  /* A new job from the header bar, then back to the job through the list. */
  press ("ctrl+n");
  wait_for (g_strcmp0 (content_page (f), "composer") == 0, WAIT);
  tab_to (f, GTK_WIDGET (f->window->history_view), "Tab");
  press ("Return");
  wait_for (g_strcmp0 (content_page (f), "job") == 0, WAIT);
  g_assert_true (pixverse_window_get_shown_task (f->window) == task);

  /* Reuse Settings fills the composer again, by keyboard too. */
  tab_to (f, find_actionable (GTK_WIDGET (f->window), "job.reuse-settings"), "Tab");
  press ("Return");
  wait_for (g_strcmp0 (content_page (f), "composer") == 0, WAIT);
  g_assert_cmpstr (prompt_in_composer (f), ==, "A red fox in fresh snow");

  /* A finished job's video plays from the keyboard: Tab into the video's
   * own controls, then Space. */
  wait_for (is_finished (task), 2 * WAIT);
  press ("ctrl+n");
  wait_for (g_strcmp0 (content_page (f), "composer") == 0, WAIT);
  tab_to (f, GTK_WIDGET (f->window->history_view), "Tab");
  press ("Return");
  wait_for (g_strcmp0 (content_page (f), "job") == 0, WAIT);
  video = GTK_VIDEO (find_first (GTK_WIDGET (f->window), GTK_TYPE_VIDEO));
  g_assert_nonnull (video);
  wait_for (gtk_video_get_media_stream (video) != NULL &&
            gtk_media_stream_is_prepared (gtk_video_get_media_stream (video)), WAIT);
  tab_to (f, GTK_WIDGET (video), "Tab");
  press ("space");
  wait_for (gtk_media_stream_get_playing (gtk_video_get_media_stream (video)), WAIT);
  /* GtkVideo hides its controls a few seconds into playing unless the
   * pointer moves. Should the focus have left them by now (a sanitizer
   * build is slow enough), a keyboard user Tabs back in, and so does this. */
  g_test_message ("Playing; focus in %s",
                  focus_widget (f) ? G_OBJECT_TYPE_NAME (focus_widget (f)) : "nothing");
  tab_to (f, GTK_WIDGET (video), "Tab");
  press ("space");
  wait_for (!gtk_media_stream_get_playing (gtk_video_get_media_stream (video)), WAIT);

  /* Preferences open with Ctrl+comma and close with Escape. */
  press ("ctrl+comma");
  wait_for ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window))) != NULL, WAIT);
  /* As a person would, Escape once the dialog has the focus: pressed
   * before, it goes to the widget that still has it. */
  wait_for (focus_in (f, GTK_WIDGET (dialog)), WAIT);
  press ("Escape");
  wait_for (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window)) == NULL, WAIT);

  /* F10 opens the main menu, its popover made only now; Return on its
   * first item opens the preferences. */
  g_assert_null (gtk_menu_button_get_popover (f->window->primary_menu_button));
  press ("F10");
  wait_for ((menu = gtk_menu_button_get_popover (f->window->primary_menu_button)) != NULL &&
            gtk_widget_get_mapped (GTK_WIDGET (menu)), WAIT);
  g_assert_true (GTK_IS_POPOVER_MENU (menu));
  g_assert_nonnull (find_label (GTK_WIDGET (menu), "About Pixverse Studio"));
  press ("Return");
  wait_for ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window))) != NULL, WAIT);
  g_assert_true (PIXVERSE_IS_PREFERENCES_DIALOG (dialog));
  wait_for (!gtk_widget_get_mapped (GTK_WIDGET (menu)), WAIT);
  wait_for (focus_in (f, GTK_WIDGET (dialog)), WAIT);
  press ("Escape");
  wait_for (adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window)) == NULL, WAIT);
}

static void
test_keyboard_only (Fixture       *f,
                    gconstpointer  data)
{
  run_app (f, keyboard_body);
}

static void
test_search_filter (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PixverseRequest) fox = make_request ("A red fox in the snow", PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseRequest) whale = make_request ("A whale under the northern lights", PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) fox_task = NULL;
  g_autoptr(PixverseTask) whale_task = NULL;

  fox_task = generate (f, fox);
  wait_for (is_finished (fox_task), WAIT);
  fake_pixwith_set_outcome (f->fake, FAKE_OUTCOME_FAIL);
  whale_task = generate (f, whale);
  wait_for (is_finished (whale_task), WAIT);
  g_assert_cmpuint (n_jobs (f), ==, 2);

  /* Ctrl+F's action: the search bar, focused. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  g_assert_true (gtk_search_bar_get_search_mode (f->window->search_bar));

  gtk_editable_set_text (GTK_EDITABLE (f->window->search_entry), "whale");
  wait_for (n_jobs (f) == 1, WAIT);
  g_assert_true (job_is (f, 0, whale_task));

  /* Its status page is made the first time nothing matches. */
  g_assert_null (gtk_stack_get_child_by_name (f->window->sidebar_stack, "no-results"));
  gtk_editable_set_text (GTK_EDITABLE (f->window->search_entry), "octopus");
  wait_for (n_jobs (f) == 0, WAIT);
  g_assert_cmpstr (sidebar_page (f), ==, "no-results");
  g_assert_nonnull (find_label (GTK_WIDGET (f->window), "No Results Found"));

  gtk_search_bar_set_search_mode (f->window->search_bar, FALSE);
  wait_for (n_jobs (f) == 2, WAIT);

  adw_toggle_group_set_active_name (f->window->status_group, "failed");
  wait_for (n_jobs (f) == 1, WAIT);
  g_assert_true (job_is (f, 0, whale_task));
  adw_toggle_group_set_active_name (f->window->status_group, "completed");
  wait_for (n_jobs (f) == 1 && job_is (f, 0, fox_task), WAIT);
  adw_toggle_group_set_active_name (f->window->status_group, "running");
  wait_for (n_jobs (f) == 0, WAIT);
  g_assert_cmpstr (sidebar_page (f), ==, "no-results");
  adw_toggle_group_set_active_name (f->window->status_group, "all");
  wait_for (n_jobs (f) == 2, WAIT);
  g_assert_cmpstr (sidebar_page (f), ==, "list");
}

static void
test_narrow (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GSettings) settings = NULL;

  g_assert_false (adw_navigation_split_view_get_collapsed (f->window->split_view));

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 640);
  wait_for (adw_navigation_split_view_get_collapsed (f->window->split_view), WAIT);
  wait_for (gtk_widget_get_width (GTK_WIDGET (f->window)) <= 400, WAIT);

  /* The size is kept for the next start. */
  settings = g_settings_new (APP_ID);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 360);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 640);

  /* Everything reachable: the list, then the composer, and back. */
  adw_navigation_split_view_set_show_content (f->window->split_view, FALSE);
  wait_for (shown (GTK_WIDGET (f->window->sidebar_stack)), 5);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-job", NULL);
  g_assert_true (adw_navigation_split_view_get_show_content (f->window->split_view));
  g_assert_cmpstr (content_page (f), ==, "composer");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.search", NULL);
  g_assert_false (adw_navigation_split_view_get_show_content (f->window->split_view));
  g_assert_true (gtk_search_bar_get_search_mode (f->window->search_bar));

  /* And wide again. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1100, 760);
  wait_for (!adw_navigation_split_view_get_collapsed (f->window->split_view), WAIT);
}

/* A stand-in for the desktop's notification server, on the test's bus. */

typedef struct
{
  char     *id;
  GVariant *notification;
} Notified;

static GPtrArray *notified;

static void
notified_free (Notified *n)
{
  g_free (n->id);
  g_variant_unref (n->notification);
  g_free (n);
}

static void
notifications_method_call (GDBusConnection       *connection,
                           const char            *sender,
                           const char            *object_path,
                           const char            *interface_name,
                           const char            *method_name,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation,
                           gpointer               user_data)
{
  if (g_str_equal (method_name, "AddNotification"))
    {
      Notified *n = g_new0 (Notified, 1);

      g_variant_get (parameters, "(s&s@a{sv})", NULL, &n->id, &n->notification);
      n->id = g_strdup (n->id);
      g_ptr_array_add (notified, n);
    }

  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.gtk.Notifications'>"
  "    <method name='AddNotification'>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/>"
  "    </method>"
  "    <method name='RemoveNotification'>"
  "      <arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* GApplication picks its notification backend once, at the first
 * notification: this one answers on the bus, so nothing goes elsewhere. */
static void
own_notification_server (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  gboolean acquired = FALSE;

  notified = g_ptr_array_new_with_free_func ((GDestroyNotify) notified_free);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    return;

  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);

  g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, NULL, &acquired, NULL);
  wait_for (acquired, WAIT);
}

static Notified *
find_notification (const char *id)
{
  for (guint i = 0; i < notified->len; i++)
    {
      Notified *n = g_ptr_array_index (notified, i);

      if (g_str_equal (n->id, id))
        return n;
    }

  return NULL;
}

static void
test_notification (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PixverseRequest) request = make_request (PROMPT, PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GVariant) action = NULL;
  g_autoptr(GVariant) target = NULL;
  g_autofree char *id = NULL;
  Notified *n;

  if (g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL) == NULL)
    {
      g_test_skip ("No session bus");
      return;
    }

  task = generate (f, request);
  id = g_strdup_printf ("task-%" G_GINT64_FORMAT, pixverse_task_get_id (task));

  /* The person is elsewhere: the window is hidden while the job runs. */
  gtk_widget_set_visible (GTK_WIDGET (f->window), FALSE);
  _pixverse_window_show_composer (f->window);
  wait_for (is_finished (task), WAIT);
  wait_for (find_notification (id) != NULL, WAIT);

  if ((n = find_notification (id)) == NULL)
    g_error ("No notification %s", id);
  action = g_variant_lookup_value (n->notification, "default-action", G_VARIANT_TYPE_STRING);
  g_assert_nonnull (action);
  g_assert_cmpstr (g_variant_get_string (action, NULL), ==, "app.show-task");
  target = g_variant_lookup_value (n->notification, "default-action-target", G_VARIANT_TYPE_INT64);
  g_assert_nonnull (target);
  g_assert_cmpint (g_variant_get_int64 (target), ==, pixverse_task_get_id (task));

  /* Activating it opens that job. */
  g_assert_true (g_str_has_prefix (g_variant_get_string (action, NULL), "app."));
  g_action_group_activate_action (G_ACTION_GROUP (f->app),
                                  g_variant_get_string (action, NULL) + strlen ("app."),
                                  target);
  wait_for (gtk_widget_get_visible (GTK_WIDGET (f->window)), WAIT);
  g_assert_true (pixverse_window_get_shown_task (f->window) == task);
  g_assert_cmpstr (content_page (f), ==, "job");
}

static AdwPreferencesDialog *
open_preferences (Fixture *f)
{
  AdwDialog *dialog;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  wait_for ((dialog = adw_application_window_get_visible_dialog (ADW_APPLICATION_WINDOW (f->window))) != NULL, 5);
  g_assert_true (PIXVERSE_IS_PREFERENCES_DIALOG (dialog));
  wait_for (shown (find_first (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_PAGE)), WAIT);

  return ADW_PREFERENCES_DIALOG (dialog);
}

static void
test_preferences_url (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  AdwPreferencesDialog *dialog = open_preferences (f);
  AdwEntryRow *row = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  g_autofree char *url = NULL;

  collect (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    if (!ADW_IS_PASSWORD_ENTRY_ROW (g_ptr_array_index (rows, i)))
      row = g_ptr_array_index (rows, i);
  g_assert_nonnull (row);

  /* Plain http to another machine: refused, said so, not stored. */
  gtk_editable_set_text (GTK_EDITABLE (row), "http://api.example.com");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));
  g_signal_emit_by_name (row, "apply");
  url = g_settings_get_string (settings, "api-url");
  g_assert_cmpstr (url, ==, "");
  g_clear_pointer (&url, g_free);
  g_assert_nonnull (find_label (GTK_WIDGET (dialog), "https://"));

  /* https: stored. */
  gtk_editable_set_text (GTK_EDITABLE (row), "https://api.example.com");
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "error"));
  g_signal_emit_by_name (row, "apply");
  url = g_settings_get_string (settings, "api-url");
  g_assert_cmpstr (url, ==, "https://api.example.com");

  adw_dialog_force_close (ADW_DIALOG (dialog));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **key = user_data;
  g_autoptr(GError) error = NULL;

  *key = pixverse_secrets_lookup_finish (result, &error);
  g_assert_no_error (error);
  if (*key == NULL)
    *key = g_strdup ("");
}

static char *
lookup_key (void)
{
  char *key = NULL;

  pixverse_secrets_lookup_async (NULL, lookup_cb, &key);
  wait_for (key != NULL, WAIT);

  return key;
}

/* The keyring is written asynchronously, after the key is already in use:
 * asks it again until it holds @expected, and fails if it never does. */
static void
wait_for_stored_key (const char *expected)
{
  gint64 end = g_get_monotonic_time () + WAIT * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *stored = lookup_key ();

      if (g_strcmp0 (stored, expected) == 0)
        return;
      if (g_get_monotonic_time () > end)
        g_assert_cmpstr (stored, ==, expected);
      drain (50);
    }
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  pixverse_secrets_clear_finish (result, &error);
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

#define OTHER_KEY "key_11111111111111111111111111111111"

static void
first_run_body (Fixture       *f,
                gconstpointer  data)
{
  const char *key = OTHER_KEY;
  g_autofree char *stored = NULL;
  AdwPreferencesDialog *dialog;
  AdwPasswordEntryRow *row;
  GtkWidget *welcome;
  GtkWidget *key_row;
  GtkWidget *save;

  /* No key yet: the welcome page, built now, with both ways in. */
  g_assert_cmpint (pixverse_application_get_key_state (f->app), ==, PIXVERSE_KEY_MISSING);
  g_assert_cmpstr (content_page (f), ==, "welcome");
  welcome = find_only (GTK_WIDGET (f->window), PIXVERSE_TYPE_WELCOME_PAGE);
  g_assert_true (gtk_widget_is_ancestor (welcome, GTK_WIDGET (f->window->content_stack)));
  g_assert_nonnull (find_button (welcome, "Use _Test Key"));
  save = GTK_WIDGET (find_button (welcome, "_Save Key"));
  g_assert_false (gtk_widget_get_sensitive (save));
  key_row = find_only (welcome, ADW_TYPE_PASSWORD_ENTRY_ROW);

  /* A key typed there (the row has the keyboard from the start) and Enter:
   * used and stored, and the prompt takes the keyboard next. */
  xdotool ("search", "--sync", "--onlyvisible", "--name", "^Pixverse Studio$",
           "windowfocus", "--sync", NULL);
  wait_for (focus_in (f, key_row), WAIT);
  xdotool ("type", "--delay", "10", key, NULL);
  wait_for (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (key_row)), key) == 0, WAIT);
  g_assert_true (gtk_widget_get_sensitive (save));
  press ("Return");
  wait_for (g_strcmp0 (content_page (f), "composer") == 0, WAIT);
  /* The key typed does not stay in the page, once used. */
  wait_for (*gtk_editable_get_text (GTK_EDITABLE (key_row)) == '\0', WAIT);
  g_assert_false (gtk_widget_get_sensitive (save));
  wait_for (focus_in (f, find_named (GTK_WIDGET (f->composer), "Prompt")), WAIT);
  g_assert_cmpstr (pixverse_client_get_api_key (pixverse_application_get_client (f->app)), ==, key);
  wait_for (pixverse_application_get_credits (f->app) >= 0, WAIT);
  wait_for_stored_key (key);

  /* Preferences: Use Test Key stores the public key. */
  dialog = open_preferences (f);
  row = ADW_PASSWORD_ENTRY_ROW (find_first (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW));
  g_signal_emit_by_name (find_button (GTK_WIDGET (dialog), "_Use Test Key"), "clicked");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, PIXVERSE_TEST_API_KEY);
  wait_for (find_label (GTK_WIDGET (dialog), "API key saved") != NULL, WAIT);
  /* Said saved only once it is. */
  stored = lookup_key ();
  g_assert_cmpstr (stored, ==, PIXVERSE_TEST_API_KEY);
  g_assert_cmpstr (pixverse_client_get_api_key (pixverse_application_get_client (f->app)), ==,
                   PIXVERSE_TEST_API_KEY);
  adw_dialog_force_close (ADW_DIALOG (dialog));
}

static void
first_run_test_key_body (Fixture       *f,
                         gconstpointer  data)
{
  GtkWidget *welcome;

  /* Use Test Key, clicked: the public key is used and stored. */
  g_assert_cmpstr (content_page (f), ==, "welcome");
  welcome = find_only (GTK_WIDGET (f->window), PIXVERSE_TYPE_WELCOME_PAGE);
  g_signal_emit_by_name (find_button (welcome, "Use _Test Key"), "clicked");
  wait_for (g_strcmp0 (content_page (f), "composer") == 0, WAIT);
  g_assert_cmpint (pixverse_application_get_key_state (f->app), ==, PIXVERSE_KEY_PRESENT);
  g_assert_cmpstr (pixverse_client_get_api_key (pixverse_application_get_client (f->app)), ==,
                   PIXVERSE_TEST_API_KEY);
  wait_for (pixverse_application_get_credits (f->app) >= 0, WAIT);
  wait_for_stored_key (PIXVERSE_TEST_API_KEY);
}

/* A first start: no key in the environment nor in the (private) keyring. */
static void
run_first_start (Fixture *f,
                 Body     body)
{
  gboolean cleared = FALSE;

  /* Only with the private keyring of tests/with-keyring.sh: never the
   * developer's, and never a keyring prompt that would hang. */
  if (g_getenv ("PIXVERSE_PRIVATE_KEYRING") == NULL)
    {
      g_test_skip ("Needs the private keyring of tests/with-keyring.sh");
      return;
    }

  g_unsetenv ("PIXVERSE_API_KEY");
  pixverse_secrets_clear_async (NULL, clear_cb, &cleared);
  wait_for (cleared, WAIT);

  run_app (f, body);

  g_setenv ("PIXVERSE_API_KEY", PIXVERSE_TEST_API_KEY, TRUE);
}

static void
test_first_run_and_key (Fixture       *f,
                        gconstpointer  data)
{
  fake_pixwith_add_api_key (f->fake, OTHER_KEY);
  run_first_start (f, first_run_body);
}

static void
test_first_run_test_key (Fixture       *f,
                         gconstpointer  data)
{
  run_first_start (f, first_run_test_key_body);
}

/* Screenshots: the main states, from the real window */

static void
after_paint_cb (GdkFrameClock *clock,
                guint         *painted)
{
  (*painted)++;
}

/* Lets the window paint what it has to (a frame or two, when anything
 * changed; an idle clock has nothing to paint). */
static void
wait_painted (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean timed_out = FALSE;
  guint painted = 0;
  gulong handler;
  guint source;

  drain (300);
  if (clock == NULL)
    return;

  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  source = g_timeout_add (1000, timeout_cb, &timed_out);
  while (painted < 2 && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (source);
  g_signal_handler_disconnect (clock, handler);
}

static void
save_screenshot (PixverseWindow *window,
                 const char     *dir,
                 const char     *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer;
  int width;
  int height;

  g_test_message ("Screenshot %s", name);
  wait_painted (GTK_WIDGET (window));

  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("Could not save %s", path);
  g_print ("%s\n", path);
}

static const char *screenshots_dir;

static void
screenshots_body (Fixture       *f,
                  gconstpointer  data)
{
  const char *dir = screenshots_dir;
  g_autoptr(PixverseRequest) fox = NULL;
  g_autoptr(PixverseRequest) whale = NULL;
  g_autoptr(PixverseRequest) city = NULL;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(PixverseTask) failed = NULL;
  g_autoptr(PixverseTask) running = NULL;
  AdwPreferencesDialog *dialog;

  /* A new user: no key yet (with the private keyring), the test key. */
  if (pixverse_application_get_key_state (f->app) == PIXVERSE_KEY_MISSING)
    {
      save_screenshot (f->window, dir, "welcome.png");
      g_signal_emit_by_name (find_button (GTK_WIDGET (f->window), "Use _Test Key"), "clicked");
      wait_for (pixverse_application_get_key_state (f->app) == PIXVERSE_KEY_PRESENT, WAIT);
    }
  wait_for (pixverse_application_get_credits (f->app) >= 0, WAIT);

  _pixverse_window_show_composer (f->window);
  save_screenshot (f->window, dir, "empty.png");

  fox = make_request ("A red fox running through fresh snow at dawn, soft golden light, cinematic",
                      PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  pixverse_request_set_resolution (fox, "720p");
  pixverse_request_set_aspect_ratio (fox, "16:9");
  pixverse_request_set_duration (fox, 5);
  pixverse_request_set_prompt_optimization (fox, TRUE);
  task = generate (f, fox);
  wait_for (is_finished (task), WAIT);

  fake_pixwith_set_outcome (f->fake, FAKE_OUTCOME_FAIL);
  whale = make_request ("A humpback whale breaching under the northern lights",
                        PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  failed = generate (f, whale);
  wait_for (is_finished (failed), WAIT);
  fake_pixwith_set_outcome (f->fake, FAKE_OUTCOME_COMPLETE);

  /* Composing the next one. */
  _pixverse_window_show_composer (f->window);
  city = make_request ("Time-lapse of a rainy neon city street at night, reflections on wet asphalt",
                       PIXVERSE_MODE_TEXT_TO_VIDEO, NULL);
  pixverse_request_set_num_outputs (city, 2);
  pixverse_request_set_resolution (city, "1080p");
  pixverse_request_set_aspect_ratio (city, "16:9");
  pixverse_request_set_duration (city, 5);
  pixverse_composer_set_request (f->composer, city);
  type_prompt (f, pixverse_request_get_prompt (city));
  save_screenshot (f->window, dir, "composing.png");

  /* Running: a long job, caught halfway. */
  fake_pixwith_set_time_scale (f->fake, 1.0);
  running = generate (f, city);
  drain (1500);
  save_screenshot (f->window, dir, "running.png");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-task", "x", pixverse_task_get_id (task));
  wait_for (_pixverse_job_page_get_n_videos (pixverse_window_get_job_page (f->window)) > 0, WAIT);
  drain (1500);
  save_screenshot (f->window, dir, "completed.png");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-task", "x", pixverse_task_get_id (failed));
  save_screenshot (f->window, dir, "failed.png");

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 720);
  wait_for (adw_navigation_split_view_get_collapsed (f->window->split_view), WAIT);
  adw_navigation_split_view_set_show_content (f->window->split_view, FALSE);
  save_screenshot (f->window, dir, "narrow.png");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-job", NULL);
  save_screenshot (f->window, dir, "narrow-composer.png");

  gtk_window_set_default_size (GTK_WINDOW (f->window), 1100, 760);
  wait_for (!adw_navigation_split_view_get_collapsed (f->window->split_view), WAIT);
  dialog = open_preferences (f);
  save_screenshot (f->window, dir, "preferences.png");
  adw_dialog_force_close (ADW_DIALOG (dialog));

  /* The running job is left to the next start, as a person would. */
  f->leave_running = TRUE;
}

static int
run_screenshots (const char *dir)
{
  Fixture fixture = { 0 };

  screenshots_dir = dir;
  g_mkdir_with_parents (dir, 0755);
  fixture_set_up (&fixture, NULL);
  /* Under tests/with-keyring.sh the first run is a new user's. */
  if (g_getenv ("PIXVERSE_PRIVATE_KEYRING") != NULL)
    g_unsetenv ("PIXVERSE_API_KEY");
  run_app (&fixture, screenshots_body);
  fixture_tear_down (&fixture, NULL);

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything reads it: the monitor's waits, faster. */
  g_setenv ("PIXVERSE_TIME_SCALE", SCALE_STRING, TRUE);

  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    {
      g_autofree char *dir = g_canonicalize_filename (argv[2], NULL);
      g_autofree char *tmp = g_dir_make_tmp ("pixverse-screenshots-XXXXXX", NULL);
      g_autofree char *data = g_build_filename (tmp, "data", NULL);
      g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
      g_autofree char *config = g_build_filename (tmp, "config", NULL);

      /* A throwaway history and settings, like the tests' own. */
      g_setenv ("XDG_DATA_HOME", data, TRUE);
      g_setenv ("XDG_CACHE_HOME", cache, TRUE);
      g_setenv ("XDG_CONFIG_HOME", config, TRUE);
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
      adw_init ();
      /* As GNOME lays out a window's buttons (no settings daemon here). */
      g_object_set (gtk_settings_get_default (),
                    "gtk-decoration-layout", "appmenu:close",
                    NULL);
      own_notification_server ();

      return run_screenshots (dir);
    }

  pixverse_test_keep_mime_database ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  adw_init ();
  /* Each step is checked when it is done, not halfway through a transition
   * (libadwaita warns when a split view unfolds during one). */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  own_notification_server ();

  g_test_add ("/window/empty", Fixture, test_empty,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/app-actions", Fixture, test_app_actions,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/generate/text-to-video", Fixture, test_generate_text,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/generate/image-to-video", Fixture, test_generate_image,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/generate/invalid", Fixture, test_generate_invalid,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/generate/service-errors", Fixture, test_service_errors,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/reuse-settings", Fixture, test_reuse_settings,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/delete/undo", Fixture, test_delete_undo,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/delete/for-real", Fixture, test_delete,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/restart", Fixture, NULL,
              fixture_set_up, test_restart, fixture_tear_down);
  g_test_add ("/window/history-unopenable", Fixture, NULL,
              fixture_set_up, test_history_unopenable, fixture_tear_down);
  g_test_add ("/window/history-recovered", Fixture, NULL,
              fixture_set_up, test_history_recovered, fixture_tear_down);
  g_test_add ("/window/keyboard-only", Fixture, NULL,
              fixture_set_up, test_keyboard_only, fixture_tear_down);
  g_test_add ("/window/history-recycle", Fixture, NULL,
              fixture_set_up, test_history_recycle, fixture_tear_down);
  g_test_add ("/window/history-first-rows", Fixture, NULL,
              fixture_set_up, test_history_first_rows, fixture_tear_down);
  g_test_add ("/window/history-first-rows-grow", Fixture, NULL,
              fixture_set_up, test_history_first_rows_grow, fixture_tear_down);
  g_test_add ("/window/search-filter", Fixture, test_search_filter,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/narrow", Fixture, test_narrow,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/notification", Fixture, test_notification,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/preferences/url", Fixture, test_preferences_url,
              fixture_set_up, run_test, fixture_tear_down);
  g_test_add ("/window/preferences/key", Fixture, NULL,
              fixture_set_up, test_first_run_and_key, fixture_tear_down);
  g_test_add ("/window/welcome/test-key", Fixture, NULL,
              fixture_set_up, test_first_run_test_key, fixture_tear_down);

  return g_test_run ();
}
