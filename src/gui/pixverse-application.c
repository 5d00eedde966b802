/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-application"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-application.h"
#include "pixverse-error.h"
#include "pixverse-preferences-dialog.h"
#include "pixverse-resources.h"
#include "pixverse-secrets.h"
#include "pixverse-window.h"

struct _PixverseApplication
{
  AdwApplication    parent_instance;

  GSettings        *settings;
  PixverseClient   *client;
  PixverseHistory  *history;
  PixverseMonitor  *monitor;
  GError           *history_error;
  char             *problem;
  GCancellable     *cancellable;
  GCancellable     *credits_cancellable;
  PixverseKeyState  key_state;
  gint64            credits;
  guint             loading : 1;
  guint             resumed : 1;
};

G_DEFINE_FINAL_TYPE (PixverseApplication, pixverse_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_HISTORY,
  PROP_MONITOR,
  PROP_LOADING,
  PROP_KEY_STATE,
  PROP_CREDITS,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

GType
pixverse_key_state_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter_pointer (&type))
    {
      static const GEnumValue values[] = {
        { PIXVERSE_KEY_LOOKING_UP, "PIXVERSE_KEY_LOOKING_UP", "looking-up" },
        { PIXVERSE_KEY_MISSING, "PIXVERSE_KEY_MISSING", "missing" },
        { PIXVERSE_KEY_PRESENT, "PIXVERSE_KEY_PRESENT", "present" },
        { PIXVERSE_KEY_REFUSED, "PIXVERSE_KEY_REFUSED", "refused" },
        { 0, NULL, NULL },
      };
      GType registered = g_enum_register_static (g_intern_static_string ("PixverseKeyState"), values);

      g_once_init_leave_pointer (&type, registered);
    }

  return type;
}

static void
pixverse_application_set_key_state (PixverseApplication *self,
                                    PixverseKeyState     state)
{
  g_assert (PIXVERSE_IS_APPLICATION (self));

  if (self->key_state == state)
    return;

  self->key_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_KEY_STATE]);
}

static void
pixverse_application_set_credits (PixverseApplication *self,
                                  gint64               credits)
{
  g_assert (PIXVERSE_IS_APPLICATION (self));

  if (self->credits == credits)
    return;

  self->credits = credits;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CREDITS]);
}

static void
pixverse_application_set_problem (PixverseApplication *self,
                                  const char          *problem)
{
  g_assert (PIXVERSE_IS_APPLICATION (self));

  if (g_set_str (&self->problem, problem))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROBLEM]);
}

/* Jobs left unfinished by the last run go on once the history is open and
 * the key is known (polling without one would only be refused). */
static void
maybe_resume (PixverseApplication *self)
{
  g_assert (PIXVERSE_IS_APPLICATION (self));

  if (self->resumed || self->monitor == NULL || self->key_state == PIXVERSE_KEY_LOOKING_UP)
    return;

  self->resumed = TRUE;
  pixverse_monitor_resume (self->monitor);
}

/* Notifications */

static char *
notification_id (gint64 id)
{
  return g_strdup_printf ("task-%" G_GINT64_FORMAT, id);
}

static void
task_finished_cb (PixverseApplication *self,
                  PixverseTask        *task,
                  PixverseMonitor     *monitor)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  PixverseRequest *request;
  GtkWindow *window;
  const char *title;
  const char *body;

  g_assert (PIXVERSE_IS_APPLICATION (self));
  g_assert (PIXVERSE_IS_TASK (task));

  pixverse_application_refresh_credits (self);

  /* Someone looking at the window sees it there. */
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL && gtk_window_is_active (window))
    return;

  request = pixverse_task_get_request (task);
  body = request != NULL ? pixverse_request_get_prompt (request) : NULL;

  switch (pixverse_task_get_status (task))
    {
    case PIXVERSE_JOB_COMPLETED:
      if (request != NULL && pixverse_request_get_num_outputs (request) > 1)
        title = _("Your videos are ready");
      else
        title = _("Your video is ready");
      break;

    case PIXVERSE_JOB_FAILED:
      title = _("A video could not be made");
      if (pixverse_task_get_message (task) != NULL)
        body = pixverse_task_get_message (task);
      break;

    case PIXVERSE_JOB_SUBMITTING:
    case PIXVERSE_JOB_PROCESSING:
    case PIXVERSE_JOB_UNKNOWN:
    default:
      return;
    }

  notification = g_notification_new (title);
  if (body != NULL && *body != '\0')
    g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-task",
                                                "x", pixverse_task_get_id (task));

  id = notification_id (pixverse_task_get_id (task));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

/* Start-up: the service address, the key, the history */

static void
pixverse_application_make_client (PixverseApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL;
  const char *env;
  const char *url = NULL;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  env = g_getenv ("PIXVERSE_API_URL");
  setting = g_settings_get_string (self->settings, "api-url");

  if (env != NULL && *env != '\0')
    {
      if (pixverse_check_base_url (env, &error))
        url = env;
      else
        {
          g_autofree char *problem = NULL;

          /* Translators: %s says why the address is not allowed */
          problem = g_strdup_printf (_("PIXVERSE_API_URL is not used: %s"), error->message);
          pixverse_application_set_problem (self, problem);
          g_clear_error (&error);
        }
    }

  if (url == NULL && *setting != '\0')
    {
      if (pixverse_check_base_url (setting, &error))
        url = setting;
      else
        {
          pixverse_application_set_problem (self, error->message);
          g_clear_error (&error);
        }
    }

  if (url == NULL)
    url = PIXVERSE_DEFAULT_API_URL;

  self->client = pixverse_client_new (url, NULL, &error);
  g_assert_no_error (error);
}

static void
lookup_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(PixverseApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  key = pixverse_secrets_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    {
      g_autofree char *problem = NULL;

      problem = g_strdup_printf (_("The keyring could not be read: %s"), error->message);
      pixverse_application_set_problem (self, problem);
    }

  /* A key set by hand meanwhile wins over the stored one. */
  if (self->key_state == PIXVERSE_KEY_LOOKING_UP)
    {
      pixverse_client_set_api_key (self->client, key);
      pixverse_application_set_key_state (self, key != NULL ? PIXVERSE_KEY_PRESENT
                                                            : PIXVERSE_KEY_MISSING);
      pixverse_application_refresh_credits (self);
    }

  maybe_resume (self);
}

static void
history_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PixverseApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  self->history = pixverse_history_open_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (self->history == NULL)
    {
      self->history_error = g_steal_pointer (&error);
    }
  else
    {
      self->monitor = pixverse_monitor_new (self->client, self->history);
      g_signal_connect_object (self->monitor, "task-finished",
                               G_CALLBACK (task_finished_cb), self,
                               G_CONNECT_SWAPPED);
    }

  self->loading = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_HISTORY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MONITOR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LOADING]);

  maybe_resume (self);
}

/* Actions */

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  PixverseApplication *self = user_data;
  g_autoptr(GList) windows = NULL;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  /* Closing (not quitting outright) lets a job being sent get its answer
   * stored first: the app holds itself until then. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  PixverseApplication *self = user_data;
  GtkWindow *window;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  adw_dialog_present (pixverse_preferences_dialog_new (self), GTK_WIDGET (window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  PixverseApplication *self = user_data;
  const char *developers[] = { _("The Pixverse Studio developers"), NULL };
  g_autofree char *issue_url = NULL;
  AdwDialog *dialog;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  issue_url = g_strconcat (PACKAGE_URL, "/issues", NULL);

  dialog = adw_about_dialog_new ();
  adw_about_dialog_set_application_name (ADW_ABOUT_DIALOG (dialog), _("Pixverse Studio"));
  adw_about_dialog_set_application_icon (ADW_ABOUT_DIALOG (dialog), APP_ID);
  adw_about_dialog_set_version (ADW_ABOUT_DIALOG (dialog), PACKAGE_VERSION);
  adw_about_dialog_set_developer_name (ADW_ABOUT_DIALOG (dialog), _("The Pixverse Studio developers"));
  adw_about_dialog_set_developers (ADW_ABOUT_DIALOG (dialog), developers);
  adw_about_dialog_set_comments (ADW_ABOUT_DIALOG (dialog),
                                 _("Make videos from a few words or a picture with Pixverse V5"));
  adw_about_dialog_set_website (ADW_ABOUT_DIALOG (dialog), PACKAGE_URL);
  adw_about_dialog_set_issue_url (ADW_ABOUT_DIALOG (dialog), issue_url);
  adw_about_dialog_set_license_type (ADW_ABOUT_DIALOG (dialog), GTK_LICENSE_GPL_3_0);
  adw_about_dialog_set_translator_credits (ADW_ABOUT_DIALOG (dialog), _("translator-credits"));

  adw_dialog_present (dialog, GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (self))));
}

typedef struct
{
  const char *section;
  const char *title;
  const char *accelerator;
} Shortcut;

static const Shortcut shortcuts[] = {
  { N_("General"), N_("New Video"), "<Control>n" },
  { N_("General"), N_("Generate"), "<Control>Return" },
  { N_("General"), N_("Search Jobs"), "<Control>f" },
  { N_("General"), N_("Preferences"), "<Control>comma" },
  { N_("General"), N_("Keyboard Shortcuts"), "<Control>question" },
  { N_("General"), N_("Quit"), "<Control>q" },
};

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  PixverseApplication *self = user_data;
  GtkWindow *window;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* The one version check (DESIGN §0): AdwShortcutsDialog is new in 1.8. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
#if ADW_CHECK_VERSION (1, 8, 0)
  {
    AdwDialog *dialog = adw_shortcuts_dialog_new ();
    AdwShortcutsSection *section = adw_shortcuts_section_new (_(shortcuts[0].section));

    for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
      adw_shortcuts_section_add (section,
                                 adw_shortcuts_item_new (_(shortcuts[i].title),
                                                         shortcuts[i].accelerator));
    adw_shortcuts_dialog_add (ADW_SHORTCUTS_DIALOG (dialog), section);
    adw_dialog_present (dialog, GTK_WIDGET (window));
  }
#else
  {
    GtkShortcutsSection *section;
    GtkShortcutsGroup *group;
    GtkWidget *shortcuts_window;

    section = g_object_new (GTK_TYPE_SHORTCUTS_SECTION,
                            "section-name", "shortcuts",
                            NULL);
    group = g_object_new (GTK_TYPE_SHORTCUTS_GROUP,
                          "title", _(shortcuts[0].section),
                          NULL);
    for (guint i = 0; i < G_N_ELEMENTS (shortcuts); i++)
      gtk_shortcuts_group_add_shortcut (group,
                                        g_object_new (GTK_TYPE_SHORTCUTS_SHORTCUT,
                                                      "title", _(shortcuts[i].title),
                                                      "accelerator", shortcuts[i].accelerator,
                                                      NULL));
    gtk_shortcuts_section_add_group (section, group);

    shortcuts_window = g_object_new (GTK_TYPE_SHORTCUTS_WINDOW,
                                     "modal", TRUE,
                                     "transient-for", window,
                                     NULL);
    gtk_shortcuts_window_add_section (GTK_SHORTCUTS_WINDOW (shortcuts_window), section);
    gtk_window_present (GTK_WINDOW (shortcuts_window));
  }
#endif
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
show_task_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  PixverseApplication *self = user_data;
  g_autofree char *id = NULL;
  GtkWindow *window;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  g_application_activate (G_APPLICATION (self));

  id = notification_id (g_variant_get_int64 (param));
  g_application_withdraw_notification (G_APPLICATION (self), id);

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-task", param);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "shortcuts", shortcuts_action },
  { "show-task", show_task_action, "x" },
};

/* GApplication */

static void
pixverse_application_startup (GApplication *app)
{
  PixverseApplication *self = (PixverseApplication *)app;
  g_autofree char *history_path = NULL;

  G_APPLICATION_CLASS (pixverse_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts",
                                         (const char *[]) { "<Control>question", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.generate",
                                         (const char *[]) { "<Control>Return", "<Control>KP_Enter", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search",
                                         (const char *[]) { "<Control>f", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-job",
                                         (const char *[]) { "<Control>n", NULL });

  self->settings = g_settings_new (APP_ID);
  pixverse_application_make_client (self);

  self->loading = TRUE;
  history_path = pixverse_history_default_path ();
  pixverse_history_open_async (history_path, self->cancellable,
                               history_opened_cb, g_object_ref (self));
  pixverse_secrets_lookup_async (self->cancellable, lookup_key_cb, g_object_ref (self));
}

static void
pixverse_application_activate (GApplication *app)
{
  PixverseApplication *self = (PixverseApplication *)app;
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window == NULL)
    {
      /* For bench/run, which splits start-up at this point. */
      if (g_strcmp0 (g_getenv ("PIXVERSE_QUIT_AFTER_FIRST_FRAME"), "1") == 0)
        g_print ("window-start %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
      window = GTK_WINDOW (pixverse_window_new (self));
    }

  gtk_window_present (window);
}

static void
pixverse_application_shutdown (GApplication *app)
{
  PixverseApplication *self = (PixverseApplication *)app;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->credits_cancellable);

  G_APPLICATION_CLASS (pixverse_application_parent_class)->shutdown (app);
}

static void
pixverse_application_dispose (GObject *object)
{
  PixverseApplication *self = (PixverseApplication *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->credits_cancellable);

  g_clear_object (&self->monitor);
  g_clear_object (&self->history);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->credits_cancellable);

  G_OBJECT_CLASS (pixverse_application_parent_class)->dispose (object);
}

static void
pixverse_application_finalize (GObject *object)
{
  PixverseApplication *self = (PixverseApplication *)object;

  g_clear_object (&self->cancellable);
  g_clear_error (&self->history_error);
  g_clear_pointer (&self->problem, g_free);

  G_OBJECT_CLASS (pixverse_application_parent_class)->finalize (object);
}

static void
pixverse_application_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  PixverseApplication *self = PIXVERSE_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;

    case PROP_MONITOR:
      g_value_set_object (value, self->monitor);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    case PROP_KEY_STATE:
      g_value_set_enum (value, self->key_state);
      break;

    case PROP_CREDITS:
      g_value_set_int64 (value, self->credits);
      break;

    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_application_class_init (PixverseApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = pixverse_application_dispose;
  object_class->finalize = pixverse_application_finalize;
  object_class->get_property = pixverse_application_get_property;

  app_class->startup = pixverse_application_startup;
  app_class->activate = pixverse_application_activate;
  app_class->shutdown = pixverse_application_shutdown;

  /* The resources live in a static library: naming them keeps them linked
   * into the program (their constructor registers them). */
  g_resources_register (pixverse_get_resource ());

  properties [PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PIXVERSE_TYPE_CLIENT,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL,
                         PIXVERSE_TYPE_HISTORY,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_MONITOR] =
    g_param_spec_object ("monitor", NULL, NULL,
                         PIXVERSE_TYPE_MONITOR,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_KEY_STATE] =
    g_param_spec_enum ("key-state", NULL, NULL,
                       PIXVERSE_TYPE_KEY_STATE,
                       PIXVERSE_KEY_LOOKING_UP,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_CREDITS] =
    g_param_spec_int64 ("credits", NULL, NULL,
                        -1, G_MAXINT64, -1,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_application_init (PixverseApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->key_state = PIXVERSE_KEY_LOOKING_UP;
  self->credits = -1;
}

PixverseApplication *
pixverse_application_new (void)
{
  return g_object_new (PIXVERSE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/pixversestudio/PixverseStudio",
                       NULL);
}

GSettings *
pixverse_application_get_settings (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->settings;
}

PixverseClient *
pixverse_application_get_client (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->client;
}

PixverseHistory *
pixverse_application_get_history (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->history;
}

PixverseMonitor *
pixverse_application_get_monitor (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->monitor;
}

gboolean
pixverse_application_get_loading (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), FALSE);

  return self->loading;
}

const GError *
pixverse_application_get_history_error (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->history_error;
}

const char *
pixverse_application_get_problem (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), NULL);

  return self->problem;
}

PixverseKeyState
pixverse_application_get_key_state (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), PIXVERSE_KEY_MISSING);

  return self->key_state;
}

gint64
pixverse_application_get_credits (PixverseApplication *self)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), -1);

  return self->credits;
}

void
pixverse_application_report_error (PixverseApplication *self,
                                   const GError        *error)
{
  g_return_if_fail (PIXVERSE_IS_APPLICATION (self));

  if (g_error_matches (error, PIXVERSE_ERROR, PIXVERSE_ERROR_AUTH))
    {
      pixverse_application_set_key_state (self, PIXVERSE_KEY_REFUSED);
      pixverse_application_set_credits (self, -1);
    }
}

static void
credits_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(PixverseApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 credits = -1;

  g_assert (PIXVERSE_IS_APPLICATION (self));

  if (!pixverse_client_get_credits_finish (PIXVERSE_CLIENT (object), result, &credits, &error))
    {
      if (pixverse_error_is_cancelled (error) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Not knowing the credits is no reason to bother anyone. */
      g_debug ("Could not get the credits: %s", error->message);
      pixverse_application_report_error (self, error);
      credits = -1;
    }
  else if (self->key_state == PIXVERSE_KEY_REFUSED)
    {
      pixverse_application_set_key_state (self, PIXVERSE_KEY_PRESENT);
    }

  pixverse_application_set_credits (self, credits);
}

void
pixverse_application_refresh_credits (PixverseApplication *self)
{
  g_return_if_fail (PIXVERSE_IS_APPLICATION (self));

  if (self->client == NULL)
    return;

  g_cancellable_cancel (self->credits_cancellable);
  g_clear_object (&self->credits_cancellable);

  if (pixverse_client_get_api_key (self->client) == NULL)
    {
      pixverse_application_set_credits (self, -1);
      return;
    }

  self->credits_cancellable = g_cancellable_new ();
  pixverse_client_get_credits_async (self->client, self->credits_cancellable,
                                     credits_cb, g_object_ref (self));
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!pixverse_secrets_store_finish (result, &error))
    {
      g_autoptr(GError) wrapped = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      wrapped = g_error_new (PIXVERSE_ERROR, PIXVERSE_ERROR_SERVICE,
                             _("The key is used until you quit, but it could not be kept: %s"),
                             error->message);
      g_task_return_error (task, g_steal_pointer (&wrapped));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
pixverse_application_set_api_key_async (PixverseApplication *self,
                                        const char          *api_key,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;

  g_return_if_fail (PIXVERSE_IS_APPLICATION (self));
  g_return_if_fail (api_key != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pixverse_application_set_api_key_async);

  key = g_strstrip (g_strdup (api_key));
  if (*key == '\0')
    {
      g_task_return_new_error_literal (task, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                                       _("The API key is empty"));
      return;
    }

  pixverse_client_set_api_key (self->client, key);
  pixverse_application_set_key_state (self, PIXVERSE_KEY_PRESENT);
  pixverse_application_refresh_credits (self);
  maybe_resume (self);

  pixverse_secrets_store_async (key, cancellable, store_key_cb, g_steal_pointer (&task));
}

gboolean
pixverse_application_set_api_key_finish (PixverseApplication  *self,
                                         GAsyncResult         *result,
                                         GError              **error)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
