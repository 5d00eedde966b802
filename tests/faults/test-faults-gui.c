/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-faults-gui"

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "fake-pixwith.h"
#include "faults-common.h"
#include "pixverse-application.h"
#include "pixverse-composer.h"
#include "pixverse-composer-private.h"
#include "pixverse-task.h"
#include "pixverse-window-private.h"
#include "test-gui-util.h"

/*
 * The fault matrix through the real window under Xvfb, a representative
 * case or two per endpoint: the composer and win.generate, the toast the
 * person sees, the job's row in the history. And the secrets check: the
 * app, with every debug message written to a log file and the settings in
 * a keyfile, takes a job from create to download with a distinctive key;
 * no file it wrote holds the key.
 */

#define KEY "key_gui_faults_Vt7pQm_31415926535abcde"
#define SCALE_STRING "0.02"
#define WAIT 120

static char *log_path;  /* set by the test that keeps the log */

/* The text of the shown toast that contains @text, or NULL. */
static const char *
toast_text (PixverseWindow *window,
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
      for (GtkWidget *w = GTK_WIDGET (label); w != NULL; w = gtk_widget_get_parent (w))
        if (g_str_equal (G_OBJECT_TYPE_NAME (w), "AdwToastWidget"))
          return str;
    }
  return NULL;
}

typedef struct _Fixture Fixture;
typedef void (*Body) (Fixture *f);

struct _Fixture
{
  FakePixwith         *fake;
  PixverseApplication *app;
  PixverseWindow      *window;
  PixverseComposer    *composer;
  Body                 body;
};

static void
activate_cb (GApplication *app,
             Fixture      *f)
{
  if (f->window != NULL)
    return;

  f->window = PIXVERSE_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (PIXVERSE_IS_WINDOW (f->window));
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  f->composer = pixverse_window_get_composer (f->window);
  wait_for (!pixverse_application_get_loading (f->app) &&
            pixverse_application_get_key_state (f->app) != PIXVERSE_KEY_LOOKING_UP, WAIT);
  g_assert_nonnull (pixverse_application_get_history (f->app));
  wait_for_first_frame (GTK_WIDGET (f->window), WAIT);

  f->body (f);

  /* Stop what still runs (a job left submitting polls nothing). */
  gtk_window_close (GTK_WINDOW (f->window));
  f->window = NULL;
  f->composer = NULL;
}

static void
run_app (Fixture *f,
         Body     body)
{
  f->app = pixverse_application_new ();
  g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
  f->body = body;
  g_signal_connect_after (f->app, "activate", G_CALLBACK (activate_cb), f);
  g_assert_cmpint (g_application_run (G_APPLICATION (f->app), 0, NULL), ==, 0);
  drain (100);
  g_assert_finalize_object (f->app);
  f->app = NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  fake_pixwith_add_api_key (f->fake, KEY);
  fake_pixwith_set_time_scale (f->fake, 0.02);
  g_setenv ("PIXVERSE_API_URL", fake_pixwith_get_url (f->fake), TRUE);
  g_setenv ("PIXVERSE_API_KEY", KEY, TRUE);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_finalize_object (f->fake);
}

static guint
n_in_history (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (pixverse_application_get_history (f->app)));
}

/* The newest job of the history. */
static PixverseTask *
newest (Fixture *f)
{
  return g_list_model_get_item (pixverse_window_get_jobs (f->window), 0);
}

static gboolean
generate_enabled (Fixture *f)
{
  return pixverse_composer_get_can_generate (f->composer);
}

static void
generate (Fixture    *f,
          const char *prompt)
{
  GtkTextView *view;
  g_autoptr(GPtrArray) views = g_ptr_array_new ();

  _pixverse_window_show_composer (f->window);
  collect (GTK_WIDGET (f->composer), GTK_TYPE_TEXT_VIEW, views);
  g_assert_cmpuint (views->len, >, 0);
  view = g_ptr_array_index (views, 0);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), prompt, -1);
  wait_for (generate_enabled (f), 5);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.generate", NULL);
}

static const char *
status_name (PixverseJobStatus status)
{
  return pixverse_job_status_to_string (status);
}

/* One create fault: the toast shows the client's words, the row is in the
 * state the monitor gives it, create is sent once. */
static void
create_case (Fixture          *f,
             const char       *name,
             const FakeFault  *fault,
             const char       *toast_words,
             PixverseJobStatus row)
{
  guint creates = fake_pixwith_get_request_count (f->fake, "create");
  guint rows = n_in_history (f);
  g_autoptr(PixverseTask) task = NULL;
  const char *text;

  fake_pixwith_add_fault (f->fake, "create", fault, 10);
  generate (f, "A heron standing in the rain");
  wait_for (toast_text (f->window, toast_words) != NULL, WAIT);
  text = toast_text (f->window, toast_words);
  faults_assert_readable (text, KEY);
  wait_for (n_in_history (f) == rows + 1, WAIT);
  task = newest (f);
  wait_for (pixverse_task_get_status (task) == row && pixverse_task_get_message (task) != NULL, WAIT);
  faults_assert_readable (pixverse_task_get_message (task), KEY);
  drain (200);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create") - creates, ==, 1);
  g_test_message ("gui create     %-22s -> toast “%s”, row %s", name, text, status_name (row));
  fake_pixwith_clear_faults (f->fake);
}

static void
faults_body (Fixture *f)
{
  const FakeFault html503 = { FAKE_FAULT_STATUS, 503, "text/html", "<!DOCTYPE html><h1>Unavailable</h1>" };
  const FakeFault credits = { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":0,\"message\":\"Credits not enough\",\"data\":null}" };
  const FakeFault code2 = { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":2,\"message\":\"\",\"data\":null}" };
  const FakeFault data_null = { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"message\":\"success\",\"data\":null}" };
  const FakeFault hang = { FAKE_FAULT_HANG };
  const FakeFault reset = { FAKE_FAULT_RESET_MID_BODY };
  const FakeFault status7 = { FAKE_FAULT_STATUS, 200, NULL, "{\"code\":1,\"data\":{\"task_id\":\"x\",\"status\":7}}" };
  const FakeFault cdn503 = { FAKE_FAULT_STATUS, 503, "text/html", "<html>busy</html>" };
  const FakeFault s3_denied = { FAKE_FAULT_STATUS, 403, "application/xml",
                                "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>" };
  const FakeFault pre_url_html = { FAKE_FAULT_STATUS, 500, "text/html", "<html>oops</html>" };
  g_autoptr(PixverseTask) job = NULL;
  guint creates;

  create_case (f, "HTTP 503 html", &html503, "HTTP 503", PIXVERSE_JOB_SUBMITTING);
  create_case (f, "code 0 credits", &credits, "Credits not enough", PIXVERSE_JOB_FAILED);
  create_case (f, "code 2", &code2, "refused the API key", PIXVERSE_JOB_FAILED);
  create_case (f, "data null", &data_null, "unexpected answer", PIXVERSE_JOB_SUBMITTING);
  create_case (f, "never answers", &hang, "did not answer", PIXVERSE_JOB_SUBMITTING);
  create_case (f, "reset mid-body", &reset, "Could not reach", PIXVERSE_JOB_SUBMITTING);

  /* get: a status the client refuses, then a reset: the job goes on and
   * completes; our trouble never fails it. */
  fake_pixwith_add_fault (f->fake, "get", &status7, 2);
  fake_pixwith_add_fault (f->fake, "get", &reset, 2);
  /* download: the video server is down for a while; the monitor's
   * retries get the video in the end. */
  fake_pixwith_add_fault (f->fake, "cdn", &cdn503, 2);
  creates = fake_pixwith_get_request_count (f->fake, "create");
  generate (f, "A kite over the dunes");
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == creates + 1, WAIT);
  wait_for ((job = newest (f)) != NULL && pixverse_task_get_task_id (job) != NULL, WAIT);
  wait_for (pixverse_task_get_status (job) == PIXVERSE_JOB_COMPLETED &&
            pixverse_task_get_download_state (job) == PIXVERSE_DOWNLOAD_DONE, WAIT);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, creates + 1);
  g_test_message ("gui get+download transient faults -> row completed, videos downloaded");
  g_clear_object (&job);

  /* download for good: the job is completed, its download failed, why. */
  fake_pixwith_add_fault (f->fake, "cdn", &cdn503, 100);
  generate (f, "A lantern on a jetty");
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == creates + 2, WAIT);
  wait_for ((job = newest (f)) != NULL && pixverse_task_get_task_id (job) != NULL, WAIT);
  wait_for (pixverse_task_get_download_state (job) == PIXVERSE_DOWNLOAD_FAILED, WAIT);
  g_assert_cmpint (pixverse_task_get_status (job), ==, PIXVERSE_JOB_COMPLETED);
  faults_assert_readable (pixverse_task_get_message (job), KEY);
  g_test_message ("gui download   HTTP 503 always -> row completed, download failed: %s",
                  pixverse_task_get_message (job));
  fake_pixwith_clear_faults (f->fake);

  /* upload: the composer's own upload shows the client's words. */
  {
    static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13 };
    g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "photo.png", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    const struct { const char *endpoint; const FakeFault *fault; const char *words; } uploads[] = {
      { "pre_url", &pre_url_html, "HTTP 500" },
      { "s3", &s3_denied, "AccessDenied" },
    };

    GtkLabel *error_label;

    g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, NULL));
    for (guint i = 0; i < G_N_ELEMENTS (uploads); i++)
      {
        const char *text;

        _pixverse_window_show_composer (f->window);
        fake_pixwith_add_fault (f->fake, uploads[i].endpoint, uploads[i].fault, 10);
        _pixverse_composer_upload_file (f->composer, file);
        wait_for (!_pixverse_composer_get_uploading (f->composer), WAIT);
        /* The composer says it under the image field, in the client's words. */
        error_label = GTK_LABEL (find_by_id (GTK_WIDGET (f->composer), "image_error_label"));
        g_assert_nonnull (error_label);
        g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
        text = gtk_label_get_label (error_label);
        g_assert_nonnull (strstr (text, uploads[i].words));
        faults_assert_readable (text, KEY);
        g_assert_false (pixverse_composer_get_can_generate (f->composer));
        g_test_message ("gui upload     %-8s fault -> image error “%s”", uploads[i].endpoint, text);
        fake_pixwith_clear_faults (f->fake);
      }
  }
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "create"), ==, creates + 2);
}

static void
test_faults (Fixture       *f,
             gconstpointer  data)
{
  run_app (f, faults_body);
}

/* Secrets: a whole job, every debug message to a file, settings in a
 * keyfile; then every file under the test's XDG dirs is searched. */
static GLogFunc default_handler;

static void
append_to_log (const char *line)
{
  FILE *file = log_path != NULL ? fopen (log_path, "a") : NULL;

  if (file != NULL)
    {
      fprintf (file, "%s\n", line);
      fclose (file);
    }
}

/* Messages of g_log() (ours) come here, GTK's structured ones below. */
static void
log_handler (const char     *log_domain,
             GLogLevelFlags  log_level,
             const char     *message,
             gpointer        user_data)
{
  g_autofree char *line = g_strdup_printf ("%s: %s", log_domain ? log_domain : "", message);

  append_to_log (line);
  default_handler (log_domain, log_level, message, user_data);
}

static GLogWriterOutput
log_to_file (GLogLevelFlags   log_level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  g_autofree char *line = g_log_writer_format_fields (log_level, fields, n_fields, FALSE);

  append_to_log (line);
  /* Debug messages stop here (they are many); the rest as usual. */
  if (log_level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
secrets_body (Fixture *f)
{
  g_autoptr(PixverseTask) job = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  /* Something in the keyfile, so it exists to be searched. */
  g_settings_set_int (settings, "window-width", 1001);
  generate (f, "A paper boat on a canal");
  wait_for (fake_pixwith_get_request_count (f->fake, "create") == 1, WAIT);
  wait_for ((job = newest (f)) != NULL && pixverse_task_get_task_id (job) != NULL, WAIT);
  wait_for (pixverse_task_get_download_state (job) == PIXVERSE_DOWNLOAD_DONE, WAIT);
  g_assert_cmpstr (fake_pixwith_get_last_header (f->fake, "create", "Api-Key"), ==, KEY);
  g_settings_sync ();
}

static void
test_secrets (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *root = g_path_get_dirname (g_get_user_data_dir ());
  g_autofree char *keyfile = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", "keyfile", NULL);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) partial = NULL;
  g_autoptr(GPtrArray) control = NULL;

  log_path = g_build_filename (g_get_user_state_dir (), "pixverse-studio-debug.log", NULL);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  run_app (f, secrets_body);

  g_assert_true (g_file_test (log_path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (keyfile, G_FILE_TEST_IS_REGULAR));
  hits = faults_find_in_tree (root, KEY);
  partial = faults_find_in_tree (root, "Vt7pQm_3141");
  /* Control: the prompt is in the history and the settings' last request
   * or the log; the search does read these files. */
  control = faults_find_in_tree (root, "A paper boat on a canal");
  for (guint i = 0; i < hits->len; i++)
    g_test_message ("the key is in %s", (char *) hits->pdata[i]);
  g_assert_cmpuint (hits->len, ==, 0);
  g_assert_cmpuint (partial->len, ==, 0);
  g_assert_cmpuint (control->len, >=, 1);
  g_clear_pointer (&log_path, g_free);
}

/* The composer sends the prompt as typed, byte for byte but for white
 * space at both ends; 100 KB included (the service states no limit). A NUL
 * cannot be typed: a GtkTextBuffer holds no NUL (its API refuses one). */
static void
unicode_body (Fixture *f)
{
  g_autoptr(GString) big = g_string_new (NULL);
  const char *prompts[] = {
    "שלום עולם — مرحبا بالعالم \u200F\u202Bمقلوب\u202C",
    "👩🏽‍🚀 riding a 🐉 over 🇯🇵, 🏳️‍🌈 and 👨‍👩‍👧‍👦",
    "Z\u0337\u0322\u031Ba\u0338\u034E\u0313l\u0335\u0330\u035Dg\u0336\u032F\u0308o e\u0301 n\u0303",
    "  line one\nline two\ttabbed \u00AD soft hyphen \u3000",
    NULL,
  };

  while (big->len < 100 * 1024)
    g_string_append (big, "Ünïcödé 😀 טקסט 字 ");
  prompts[G_N_ELEMENTS (prompts) - 1] = big->str;

  for (guint i = 0; i < G_N_ELEMENTS (prompts); i++)
    {
      guint creates = fake_pixwith_get_request_count (f->fake, "create");
      g_autoptr(JsonNode) sent = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = NULL;
      GBytes *body;

      /* What the request itself makes of it: only the ends trimmed. */
      {
        g_autoptr(PixverseRequest) request = pixverse_request_new ();
        g_autoptr(JsonNode) node = NULL;

        pixverse_request_set_prompt (request, prompts[i]);
        node = pixverse_request_to_json (request, &error);
        g_assert_no_error (error);
        expected = g_strdup (json_object_get_string_member (json_node_get_object (node), "prompt"));
      }
      g_assert_cmpuint (strlen (expected), >=, strlen (prompts[i]) - 8);

      generate (f, prompts[i]);
      wait_for (fake_pixwith_get_request_count (f->fake, "create") == creates + 1, WAIT);
      body = fake_pixwith_get_last_body (f->fake, "create");
      sent = json_from_string (g_bytes_get_data (body, NULL), &error);
      g_assert_no_error (error);
      g_assert_true (g_str_equal (json_object_get_string_member (json_node_get_object (sent), "prompt"), expected));
      g_test_message ("gui prompt %u: %zu bytes typed, %zu sent", i, strlen (prompts[i]), strlen (expected));
    }
}

static void
test_unicode (Fixture       *f,
              gconstpointer  data)
{
  run_app (f, unicode_body);
}

/* Notifications (a job done, a download failed) need a server on the
 * private bus: this one takes them all and says nothing. */
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
notifications_method_call (GDBusConnection       *connection,
                           const char            *sender,
                           const char            *object_path,
                           const char            *interface_name,
                           const char            *method_name,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation,
                           gpointer               user_data)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
own_notification_server (void)
{
  static const GDBusInterfaceVTable vtable = { notifications_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  gboolean acquired = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, NULL, &acquired, NULL);
  wait_for (acquired, WAIT);
}

int
main (int   argc,
      char *argv[])
{
  /* Before GLib reads them: a keyfile for the settings, every message. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  g_setenv ("PIXVERSE_TIME_SCALE", SCALE_STRING, TRUE);
  /* Short for "never answers", long enough for a window drawn in software
   * on a busy machine, in the same thread as the fake. */
  g_setenv ("PIXVERSE_HTTP_TIMEOUT", "5", TRUE);
  pixverse_test_keep_mime_database ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_log_set_writer_func (log_to_file, NULL, NULL);
  default_handler = g_log_set_default_handler (log_handler, NULL);
  own_notification_server ();

  /* Secrets first: the keyfile backend is made once, in the dirs of the
   * test that first reads a setting (GTK itself, at startup). */
  g_test_add ("/faults/gui/secrets", Fixture, NULL, fixture_set_up, test_secrets, fixture_tear_down);
  g_test_add ("/faults/gui/faults", Fixture, NULL, fixture_set_up, test_faults, fixture_tear_down);
  g_test_add ("/faults/gui/unicode-prompts", Fixture, NULL, fixture_set_up, test_unicode, fixture_tear_down);

  return g_test_run ();
}
