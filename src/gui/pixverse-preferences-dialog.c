/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-preferences-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "pixverse-preferences-dialog.h"
#include "pixverse-secrets.h"

struct _PixversePreferencesDialog
{
  AdwPreferencesDialog  parent_instance;

  PixverseApplication  *application;
  GCancellable         *cancellable;

  AdwPreferencesGroup  *key_group;
  AdwPasswordEntryRow  *key_row;
  GtkButton            *test_key_button;
  AdwPreferencesGroup  *url_group;
  AdwEntryRow          *url_row;
  GtkImage             *url_error_icon;
};

G_DEFINE_FINAL_TYPE (PixversePreferencesDialog, pixverse_preferences_dialog, ADW_TYPE_PREFERENCES_DIALOG)

enum {
  PROP_0,
  PROP_APPLICATION,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
add_toast (PixversePreferencesDialog *self,
           const char                *title)
{
  AdwToast *toast = adw_toast_new (title);

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  adw_toast_set_use_markup (toast, FALSE);
  adw_preferences_dialog_add_toast (ADW_PREFERENCES_DIALOG (self), toast);
}

static void
set_api_key_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PixversePreferencesDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  if (!pixverse_application_set_api_key_finish (PIXVERSE_APPLICATION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        add_toast (self, error->message);
      return;
    }

  add_toast (self, _("API key saved"));
}

static void
use_key (PixversePreferencesDialog *self,
         const char                *key)
{
  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  pixverse_application_set_api_key_async (self->application, key, self->cancellable,
                                          set_api_key_cb, g_object_ref (self));
}

static void
key_row_apply_cb (PixversePreferencesDialog *self)
{
  g_autofree char *key = NULL;

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_row))));
  if (*key == '\0')
    {
      add_toast (self, _("The API key is empty"));
      return;
    }

  use_key (self, key);
}

static void
test_key_clicked_cb (PixversePreferencesDialog *self)
{
  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->key_row), PIXVERSE_TEST_API_KEY);
  use_key (self, PIXVERSE_TEST_API_KEY);
}

static void
get_key_activated_cb (PixversePreferencesDialog *self)
{
  g_autoptr(GtkUriLauncher) launcher = NULL;
  GtkRoot *root;

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  launcher = gtk_uri_launcher_new ("https://pixwith.ai");
  gtk_uri_launcher_launch (launcher, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                           NULL, NULL, NULL);
}

static const char *
url_description (void)
{
  return _("Leave empty for https://api.pixwith.ai. A new address is used from the next start.");
}

/* Whether the text is allowed; empty is (it means the default). */
static gboolean
url_row_validate (PixversePreferencesDialog  *self,
                  GError                    **error)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->url_row));

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  return *text == '\0' || pixverse_check_base_url (text, error);
}

static void
url_row_changed_cb (PixversePreferencesDialog *self)
{
  g_autoptr(GError) error = NULL;
  gboolean valid;

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  valid = url_row_validate (self, &error);

  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");

  gtk_widget_set_visible (GTK_WIDGET (self->url_error_icon), !valid);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->url_error_icon), valid ? NULL : error->message);
  adw_preferences_group_set_description (self->url_group, valid ? url_description () : error->message);

  if (valid)
    gtk_accessible_reset_state (GTK_ACCESSIBLE (self->url_row), GTK_ACCESSIBLE_STATE_INVALID);
  else
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->url_row),
                                 GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE,
                                 -1);
}

static void
url_row_apply_cb (PixversePreferencesDialog *self)
{
  g_autoptr(GError) error = NULL;
  GSettings *settings;

  g_assert (PIXVERSE_IS_PREFERENCES_DIALOG (self));

  if (!url_row_validate (self, &error))
    {
      add_toast (self, error->message);
      return;
    }

  settings = pixverse_application_get_settings (self->application);
  g_settings_set_string (settings, "api-url",
                         gtk_editable_get_text (GTK_EDITABLE (self->url_row)));
  add_toast (self, _("The new address is used from the next start"));
}

static void
pixverse_preferences_dialog_constructed (GObject *object)
{
  PixversePreferencesDialog *self = (PixversePreferencesDialog *)object;
  g_autofree char *url = NULL;
  PixverseClient *client;

  G_OBJECT_CLASS (pixverse_preferences_dialog_parent_class)->constructed (object);

  g_assert (PIXVERSE_IS_APPLICATION (self->application));

  /* The key in use, hidden like any password, so it shows there is one. */
  client = pixverse_application_get_client (self->application);
  if (pixverse_client_get_api_key (client) != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->key_row), pixverse_client_get_api_key (client));

  if (pixverse_secrets_from_environment ())
    adw_preferences_group_set_description (self->key_group,
                                           _("PIXVERSE_API_KEY is set, so its key is used. "
                                             "A key saved here is kept in the login keyring for "
                                             "when it is not set."));

  url = g_settings_get_string (pixverse_application_get_settings (self->application), "api-url");
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  url_row_changed_cb (self);

  if (g_getenv ("PIXVERSE_API_URL") != NULL && *g_getenv ("PIXVERSE_API_URL") != '\0')
    adw_preferences_group_set_description (self->url_group,
                                           _("PIXVERSE_API_URL is set, so its address is used."));
}

static void
pixverse_preferences_dialog_dispose (GObject *object)
{
  PixversePreferencesDialog *self = (PixversePreferencesDialog *)object;

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_PREFERENCES_DIALOG);

  g_clear_object (&self->application);

  G_OBJECT_CLASS (pixverse_preferences_dialog_parent_class)->dispose (object);
}

static void
pixverse_preferences_dialog_finalize (GObject *object)
{
  PixversePreferencesDialog *self = (PixversePreferencesDialog *)object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (pixverse_preferences_dialog_parent_class)->finalize (object);
}

static void
pixverse_preferences_dialog_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  PixversePreferencesDialog *self = PIXVERSE_PREFERENCES_DIALOG (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      g_value_set_object (value, self->application);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_preferences_dialog_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  PixversePreferencesDialog *self = PIXVERSE_PREFERENCES_DIALOG (object);

  switch (prop_id)
    {
    case PROP_APPLICATION:
      self->application = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_preferences_dialog_class_init (PixversePreferencesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pixverse_preferences_dialog_constructed;
  object_class->dispose = pixverse_preferences_dialog_dispose;
  object_class->finalize = pixverse_preferences_dialog_finalize;
  object_class->get_property = pixverse_preferences_dialog_get_property;
  object_class->set_property = pixverse_preferences_dialog_set_property;

  properties [PROP_APPLICATION] =
    g_param_spec_object ("application", NULL, NULL,
                         PIXVERSE_TYPE_APPLICATION,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pixversestudio/PixverseStudio/pixverse-preferences-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, key_group);
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, key_row);
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, test_key_button);
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, url_group);
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, PixversePreferencesDialog, url_error_icon);
  gtk_widget_class_bind_template_callback (widget_class, key_row_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_key_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, get_key_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, url_row_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, url_row_apply_cb);
}

static void
pixverse_preferences_dialog_init (PixversePreferencesDialog *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

AdwDialog *
pixverse_preferences_dialog_new (PixverseApplication *application)
{
  g_return_val_if_fail (PIXVERSE_IS_APPLICATION (application), NULL);

  return g_object_new (PIXVERSE_TYPE_PREFERENCES_DIALOG,
                       "application", application,
                       NULL);
}
