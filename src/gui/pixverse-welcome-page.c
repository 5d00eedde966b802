/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-welcome-page"

#include "config.h"

#include "pixverse-welcome-page.h"

struct _PixverseWelcomePage
{
  AdwBin               parent_instance;

  AdwPasswordEntryRow *key_row;
  GtkButton           *save_button;
};

G_DEFINE_FINAL_TYPE (PixverseWelcomePage, pixverse_welcome_page, ADW_TYPE_BIN)

static void
key_changed_cb (PixverseWelcomePage *self)
{
  g_autofree char *key = pixverse_welcome_page_dup_key (self);

  g_assert (PIXVERSE_IS_WELCOME_PAGE (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), *key != '\0');
}

/* Save Key, or Enter in the key row (the action ignores an empty row). */
static void
save_cb (PixverseWelcomePage *self)
{
  g_assert (PIXVERSE_IS_WELCOME_PAGE (self));

  gtk_widget_activate_action (GTK_WIDGET (self), "win.use-key", NULL);
}

static gboolean
activate_link_cb (PixverseWelcomePage *self,
                  GtkLinkButton       *button)
{
  g_autoptr(GtkUriLauncher) launcher = NULL;

  g_assert (PIXVERSE_IS_WELCOME_PAGE (self));

  launcher = gtk_uri_launcher_new (gtk_link_button_get_uri (button));
  gtk_uri_launcher_launch (launcher, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                           NULL, NULL, NULL);

  return TRUE;
}

static void
pixverse_welcome_page_class_init (PixverseWelcomePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/pixversestudio/PixverseStudio/pixverse-welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseWelcomePage, key_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseWelcomePage, save_button);
  gtk_widget_class_bind_template_callback (widget_class, key_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_cb);
  gtk_widget_class_bind_template_callback (widget_class, activate_link_cb);
}

static void
pixverse_welcome_page_init (PixverseWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pixverse_welcome_page_new (void)
{
  return g_object_new (PIXVERSE_TYPE_WELCOME_PAGE, NULL);
}

char *
pixverse_welcome_page_dup_key (PixverseWelcomePage *self)
{
  g_return_val_if_fail (PIXVERSE_IS_WELCOME_PAGE (self), NULL);

  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_row))));
}

void
pixverse_welcome_page_focus_key (PixverseWelcomePage *self)
{
  g_return_if_fail (PIXVERSE_IS_WELCOME_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}

void
pixverse_welcome_page_clear_key (PixverseWelcomePage *self)
{
  g_return_if_fail (PIXVERSE_IS_WELCOME_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
}
