/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-composer"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "pixverse-composer.h"
#include "pixverse-composer-private.h"
#include "pixverse-error.h"

/* Typing in the image URL waits this long before a preview is fetched. */
#define PREVIEW_DELAY_MS  300
#define PREVIEW_HEIGHT    160
#define PREVIEW_MIN_WIDTH 64
#define PREVIEW_MAX_WIDTH 280
#define READ_CHUNK_SIZE   (64 * 1024)

/* The schema names its option keys after the request's properties. */
static const char * const option_keys[] = {
  "mode",
  "num-outputs",
  "resolution",
  "aspect-ratio",
  "duration",
  "prompt-optimization",
};

struct _PixverseComposer
{
  AdwBin               parent_instance;

  PixverseRequest     *request;
  PixverseClient      *client;
  GSettings           *settings;
  SoupSession         *session;

  char                *invalid_reason;
  gboolean             can_generate;
  gboolean             uploading;
  gboolean             syncing;

  GCancellable        *upload_cancellable;
  GCancellable        *dialog_cancellable;
  GCancellable        *paste_cancellable;
  GCancellable        *preview_cancellable;
  guint                preview_source;
  /* The address the preview shows, loads or failed on. */
  char                *preview_url;

  GtkStringList       *num_outputs_model;
  GtkStringList       *resolution_model;
  GtkStringList       *aspect_ratio_model;
  GtkStringList       *duration_model;

  AdwToggleGroup      *mode_group;
  GtkTextView         *prompt_view;
  GtkTextBuffer       *prompt_buffer;
  GtkLabel            *prompt_placeholder;
  GtkLabel            *char_count_label;
  GtkBox              *main_box;
  GtkWidget           *prompt_group;
  /* The image group's widgets: NULL until it is built (ensure_image_group) */
  AdwPreferencesGroup *image_group;
  GtkButton           *choose_button;
  AdwEntryRow         *image_url_row;
  AdwSpinner          *preview_spinner;
  GtkWidget           *upload_box;
  GtkProgressBar      *upload_progress;
  GtkLabel            *image_error_label;
  AdwClamp            *preview_clamp;
  GtkPicture          *preview_picture;
  AdwComboRow         *num_outputs_row;
  AdwComboRow         *resolution_row;
  AdwComboRow         *aspect_ratio_row;
  AdwComboRow         *duration_row;
  AdwSwitchRow        *prompt_optimization_row;
  GtkButton           *generate_button;
  GtkLabel            *reason_label;
  GtkRevealer         *drop_revealer;
};

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_REQUEST,
  PROP_CAN_GENERATE,
  PROP_INVALID_REASON,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (PixverseComposer, pixverse_composer, ADW_TYPE_BIN)

static GParamSpec *properties [N_PROPS];

static void update_state          (PixverseComposer *self);
static void update_image_feedback (PixverseComposer *self);
static void ensure_image_group    (PixverseComposer *self);
static void take_texture          (PixverseComposer *self,
                                   GdkTexture       *texture);

/* Small helpers */

static guint
find_string (const char * const *values,
             const char         *value)
{
  if (value == NULL)
    return GTK_INVALID_LIST_POSITION;

  for (guint i = 0; values[i] != NULL; i++)
    {
      if (g_str_equal (values[i], value))
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static guint
find_duration (int duration)
{
  const int *durations;
  guint n_durations = 0;

  durations = pixverse_request_get_durations (&n_durations);
  for (guint i = 0; i < n_durations; i++)
    {
      if (durations[i] == duration)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static const char *
mode_to_nick (PixverseMode mode)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (PIXVERSE_TYPE_MODE);
  GEnumValue *value = g_enum_get_value (klass, mode);

  return value != NULL ? value->value_nick : NULL;
}

static gboolean
nick_to_mode (const char   *nick,
              PixverseMode *mode)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (PIXVERSE_TYPE_MODE);
  GEnumValue *value;

  if (nick == NULL)
    return FALSE;

  value = g_enum_get_value_by_nick (klass, nick);
  if (value == NULL)
    return FALSE;

  *mode = value->value;
  return TRUE;
}

static gboolean
is_web_url (const char *text)
{
  const char *scheme = g_uri_peek_scheme (text);

  return scheme != NULL &&
         (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"));
}

/* "16:9 Landscape", "1:1 Square", "9:16 Portrait": the shape in words. */
static char *
describe_aspect_ratio (const char *ratio)
{
  g_auto(GStrv) parts = g_strsplit (ratio, ":", 2);
  guint64 width;
  guint64 height;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT16, &width, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT16, &height, NULL))
    return g_strdup (ratio);

  if (width > height)
    /* Translators: an aspect ratio such as 16:9, then its shape */
    return g_strdup_printf (_("%s Landscape"), ratio);
  if (width < height)
    /* Translators: an aspect ratio such as 9:16, then its shape */
    return g_strdup_printf (_("%s Portrait"), ratio);
  /* Translators: the aspect ratio 1:1, then its shape */
  return g_strdup_printf (_("%s Square"), ratio);
}

static void
ensure_style (GdkDisplay *display)
{
  static GQuark quark;
  g_autoptr(GtkCssProvider) provider = NULL;

  if (quark == 0)
    quark = g_quark_from_static_string ("pixverse-composer-style");

  if (display == NULL || g_object_get_qdata (G_OBJECT (display), quark) != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider,
                                       "/io/github/pixversestudio/PixverseStudio/pixverse-composer.css");
  gtk_style_context_add_provider_for_display (display,
                                              GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_qdata_full (G_OBJECT (display), quark,
                           g_steal_pointer (&provider), g_object_unref);
}

/* Settings: the last used options */

static gboolean
is_option_key (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (option_keys); i++)
    {
      if (g_str_equal (option_keys[i], name))
        return TRUE;
    }

  return FALSE;
}

static void
load_option (PixverseComposer *self,
             const char       *key)
{
  g_autoptr(GVariant) variant = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  GParamSpec *pspec;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self->request), key);
  g_return_if_fail (pspec != NULL);

  variant = g_settings_get_value (self->settings, key);
  g_value_init (&value, pspec->value_type);

  if (G_TYPE_IS_ENUM (pspec->value_type) && g_variant_is_of_type (variant, G_VARIANT_TYPE_STRING))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (pspec->value_type);
      GEnumValue *enum_value = g_enum_get_value_by_nick (klass, g_variant_get_string (variant, NULL));

      if (enum_value == NULL)
        return;
      g_value_set_enum (&value, enum_value->value);
    }
  else if (pspec->value_type == G_TYPE_INT && g_variant_is_of_type (variant, G_VARIANT_TYPE_INT32))
    g_value_set_int (&value, g_variant_get_int32 (variant));
  else if (pspec->value_type == G_TYPE_STRING && g_variant_is_of_type (variant, G_VARIANT_TYPE_STRING))
    g_value_set_string (&value, g_variant_get_string (variant, NULL));
  else if (pspec->value_type == G_TYPE_BOOLEAN && g_variant_is_of_type (variant, G_VARIANT_TYPE_BOOLEAN))
    g_value_set_boolean (&value, g_variant_get_boolean (variant));
  else
    return;

  g_object_set_property (G_OBJECT (self->request), key, &value);
}

/* Stores an option the schema accepts; a value it does not (a request with
 * an invalid field) is left for the request to report, not saved. */
static void
save_option (PixverseComposer *self,
             const char       *key)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) schema_key = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) current = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  GParamSpec *pspec;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self->request), key);
  g_return_if_fail (pspec != NULL);

  g_value_init (&value, pspec->value_type);
  g_object_get_property (G_OBJECT (self->request), key, &value);

  if (G_VALUE_HOLDS_ENUM (&value))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (pspec->value_type);
      GEnumValue *enum_value = g_enum_get_value (klass, g_value_get_enum (&value));

      if (enum_value == NULL)
        return;
      variant = g_variant_new_string (enum_value->value_nick);
    }
  else if (G_VALUE_HOLDS_INT (&value))
    variant = g_variant_new_int32 (g_value_get_int (&value));
  else if (G_VALUE_HOLDS_STRING (&value) && g_value_get_string (&value) != NULL)
    variant = g_variant_new_string (g_value_get_string (&value));
  else if (G_VALUE_HOLDS_BOOLEAN (&value))
    variant = g_variant_new_boolean (g_value_get_boolean (&value));
  else
    return;

  g_variant_ref_sink (variant);

  g_object_get (self->settings, "settings-schema", &schema, NULL);
  if (!g_settings_schema_has_key (schema, key))
    return;
  schema_key = g_settings_schema_get_key (schema, key);
  if (!g_variant_is_of_type (variant, g_settings_schema_key_get_value_type (schema_key)) ||
      !g_settings_schema_key_range_check (schema_key, variant))
    return;

  current = g_settings_get_value (self->settings, key);
  if (g_variant_equal (current, variant))
    return;

  g_settings_set_value (self->settings, key, variant);
}

static void
settings_changed_cb (PixverseComposer *self,
                     const char       *key,
                     GSettings        *settings)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (is_option_key (key))
    load_option (self, key);
}

/* The request and the widgets */

static char *
dup_prompt_text (PixverseComposer *self)
{
  GtkTextIter start;
  GtkTextIter end;

  gtk_text_buffer_get_bounds (self->prompt_buffer, &start, &end);
  return gtk_text_buffer_get_text (self->prompt_buffer, &start, &end, FALSE);
}

/* Shows the request's @name field in its widget, or every field for NULL.
 * The widgets' handlers ignore what this does. */
static void
sync_widgets (PixverseComposer *self,
              const char       *name)
{
  PixverseRequest *request = self->request;
  gboolean all = name == NULL;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  self->syncing = TRUE;

  if (all || g_str_equal (name, "prompt"))
    {
      g_autofree char *text = dup_prompt_text (self);
      const char *prompt = pixverse_request_get_prompt (request);

      if (g_strcmp0 (text, prompt) != 0)
        gtk_text_buffer_set_text (self->prompt_buffer, prompt, -1);
    }

  if (all || g_str_equal (name, "mode"))
    {
      PixverseMode mode = pixverse_request_get_mode (request);
      const char *nick = mode_to_nick (mode);

      if (nick != NULL)
        adw_toggle_group_set_active_name (self->mode_group, nick);
      if (mode == PIXVERSE_MODE_IMAGE_TO_VIDEO)
        ensure_image_group (self);
      if (self->image_group != NULL)
        gtk_widget_set_visible (GTK_WIDGET (self->image_group),
                                mode == PIXVERSE_MODE_IMAGE_TO_VIDEO);
    }

  if (all || g_str_equal (name, "image-url"))
    {
      const char *url = pixverse_request_get_image_url (request);

      /* A text-to-video request may carry an address too: kept for a
       * switch to image-to-video, in the group made for it now. */
      if (url != NULL)
        ensure_image_group (self);
      if (self->image_group != NULL)
        {
          const char *text = gtk_editable_get_text (GTK_EDITABLE (self->image_url_row));
          g_autofree char *stripped = g_strstrip (g_strdup (text));

          if (g_strcmp0 (stripped, url != NULL ? url : "") != 0)
            gtk_editable_set_text (GTK_EDITABLE (self->image_url_row), url != NULL ? url : "");
        }
    }

  if (all || g_str_equal (name, "num-outputs"))
    {
      int n = pixverse_request_get_num_outputs (request);

      adw_combo_row_set_selected (self->num_outputs_row,
                                  n >= PIXVERSE_MIN_OUTPUTS && n <= PIXVERSE_MAX_OUTPUTS
                                    ? (guint) (n - PIXVERSE_MIN_OUTPUTS)
                                    : GTK_INVALID_LIST_POSITION);
    }

  if (all || g_str_equal (name, "resolution"))
    adw_combo_row_set_selected (self->resolution_row,
                                find_string (pixverse_request_get_resolutions (),
                                             pixverse_request_get_resolution (request)));

  if (all || g_str_equal (name, "aspect-ratio"))
    adw_combo_row_set_selected (self->aspect_ratio_row,
                                find_string (pixverse_request_get_aspect_ratios (),
                                             pixverse_request_get_aspect_ratio (request)));

  if (all || g_str_equal (name, "duration"))
    adw_combo_row_set_selected (self->duration_row,
                                find_duration (pixverse_request_get_duration (request)));

  if (all || g_str_equal (name, "prompt-optimization"))
    adw_switch_row_set_active (self->prompt_optimization_row,
                               pixverse_request_get_prompt_optimization (request));

  self->syncing = FALSE;
}

static void
request_notify_cb (PixverseComposer *self,
                   GParamSpec       *pspec,
                   PixverseRequest  *request)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));
  g_assert (PIXVERSE_IS_REQUEST (request));

  sync_widgets (self, pspec->name);

  if (is_option_key (pspec->name))
    save_option (self, pspec->name);

  if (g_str_equal (pspec->name, "mode") || g_str_equal (pspec->name, "image-url"))
    update_image_feedback (self);

  update_state (self);
}

static void
prompt_changed_cb (PixverseComposer *self,
                   GtkTextBuffer    *buffer)
{
  g_autofree char *count = NULL;
  int n;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  /* Gone with the template in dispose. */
  if (self->char_count_label == NULL)
    return;

  n = gtk_text_buffer_get_char_count (buffer);
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d character", "%d characters", n), n);
  gtk_label_set_label (self->char_count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->prompt_placeholder), n == 0);

  if (self->request != NULL && !self->syncing)
    {
      g_autofree char *text = dup_prompt_text (self);

      pixverse_request_set_prompt (self->request, text);
    }
}

static void
mode_changed_cb (PixverseComposer *self,
                 GParamSpec       *pspec,
                 AdwToggleGroup   *group)
{
  PixverseMode mode;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->request == NULL || self->syncing)
    return;

  if (nick_to_mode (adw_toggle_group_get_active_name (group), &mode))
    pixverse_request_set_mode (self->request, mode);
}

static void
image_url_changed_cb (PixverseComposer *self,
                      GtkEditable      *editable)
{
  g_autofree char *url = NULL;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->request == NULL || self->syncing)
    return;

  /* Addresses are often pasted with a stray space or newline around them. */
  url = g_strstrip (g_strdup (gtk_editable_get_text (editable)));
  pixverse_request_set_image_url (self->request, *url != '\0' ? url : NULL);
}

/* Every combo row and the switch: whatever changed, copy them all; setting a
 * field to its own value notifies nothing. */
static void
options_changed_cb (PixverseComposer *self)
{
  const int *durations;
  guint n_durations = 0;
  guint i;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->request == NULL || self->syncing)
    return;

  i = adw_combo_row_get_selected (self->num_outputs_row);
  if (i != GTK_INVALID_LIST_POSITION)
    pixverse_request_set_num_outputs (self->request, PIXVERSE_MIN_OUTPUTS + (int) i);

  i = adw_combo_row_get_selected (self->resolution_row);
  if (i != GTK_INVALID_LIST_POSITION)
    pixverse_request_set_resolution (self->request, pixverse_request_get_resolutions ()[i]);

  i = adw_combo_row_get_selected (self->aspect_ratio_row);
  if (i != GTK_INVALID_LIST_POSITION)
    pixverse_request_set_aspect_ratio (self->request, pixverse_request_get_aspect_ratios ()[i]);

  durations = pixverse_request_get_durations (&n_durations);
  i = adw_combo_row_get_selected (self->duration_row);
  if (i < n_durations)
    pixverse_request_set_duration (self->request, durations[i]);

  pixverse_request_set_prompt_optimization (self->request,
                                            adw_switch_row_get_active (self->prompt_optimization_row));
}

/* Asks the request, field by field in order, whether it may be sent; the
 * first complaint is the reason shown under Generate. */
static void
update_state (PixverseComposer *self)
{
  g_autoptr(GError) error = NULL;
  const char *reason = NULL;
  gboolean can_generate;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->uploading)
    reason = _("Uploading the image…");
  else
    {
      for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
        {
          if (!pixverse_request_validate_field (self->request, field, &error))
            {
              reason = error->message;
              break;
            }
        }
    }

  can_generate = reason == NULL;

  gtk_label_set_label (self->reason_label, reason != NULL ? reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), reason != NULL);

  if (g_set_str (&self->invalid_reason, reason))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_INVALID_REASON]);

  if (self->can_generate != can_generate)
    {
      self->can_generate = can_generate;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CAN_GENERATE]);
    }
}

/* The image group: built from its own file the first time it is needed,
 * so that the many starts that never show it do not pay for it (issue 14). */
static void
ensure_image_group (PixverseComposer *self)
{
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GtkBuilderScope) scope = NULL;
  g_autoptr(GError) error = NULL;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->image_group != NULL)
    return;

  scope = gtk_builder_cscope_new ();
  gtk_builder_cscope_add_callback (GTK_BUILDER_CSCOPE (scope), image_url_changed_cb);
  builder = gtk_builder_new ();
  gtk_builder_set_current_object (builder, G_OBJECT (self));
  gtk_builder_set_scope (builder, scope);
  if (!gtk_builder_add_from_resource (builder, "/io/github/pixversestudio/PixverseStudio/pixverse-composer-image.ui", &error))
    g_error ("The image group's resource is broken: %s", error->message);

  self->image_group = ADW_PREFERENCES_GROUP (gtk_builder_get_object (builder, "image_group"));
  self->choose_button = GTK_BUTTON (gtk_builder_get_object (builder, "choose_button"));
  self->image_url_row = ADW_ENTRY_ROW (gtk_builder_get_object (builder, "image_url_row"));
  self->preview_spinner = ADW_SPINNER (gtk_builder_get_object (builder, "preview_spinner"));
  self->upload_box = GTK_WIDGET (gtk_builder_get_object (builder, "upload_box"));
  self->upload_progress = GTK_PROGRESS_BAR (gtk_builder_get_object (builder, "upload_progress"));
  self->image_error_label = GTK_LABEL (gtk_builder_get_object (builder, "image_error_label"));
  self->preview_clamp = ADW_CLAMP (gtk_builder_get_object (builder, "preview_clamp"));
  self->preview_picture = GTK_PICTURE (gtk_builder_get_object (builder, "preview_picture"));

  gtk_box_insert_child_after (self->main_box, GTK_WIDGET (self->image_group), self->prompt_group);
}

/* The image: inline error and preview */

static void
set_image_error (PixverseComposer *self,
                 const char       *message)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  /* Nothing to clear in a group not made yet. */
  if (message == NULL && self->image_group == NULL)
    return;
  ensure_image_group (self);

  gtk_label_set_label (self->image_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->image_error_label), message != NULL);

  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->image_url_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->image_url_row), "error");
}

static void
set_preview (PixverseComposer *self,
             GdkTexture       *texture)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));
  g_assert (!texture || GDK_IS_TEXTURE (texture));

  if (texture == NULL && self->image_group == NULL)
    return;
  ensure_image_group (self);

  if (texture != NULL)
    {
      int width = gdk_texture_get_width (texture);
      int height = gdk_texture_get_height (texture);
      int shown_width = height > 0 ? (int) ((double) PREVIEW_HEIGHT * width / height) : PREVIEW_HEIGHT;

      shown_width = CLAMP (shown_width, PREVIEW_MIN_WIDTH, PREVIEW_MAX_WIDTH);
      gtk_widget_set_size_request (GTK_WIDGET (self->preview_picture), shown_width, PREVIEW_HEIGHT);
      adw_clamp_set_maximum_size (self->preview_clamp, shown_width);
      adw_clamp_set_tightening_threshold (self->preview_clamp, shown_width);
    }

  gtk_picture_set_paintable (self->preview_picture, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (GTK_WIDGET (self->preview_clamp), texture != NULL);
}

/* The spinner in the image URL row, while its preview loads. */
static void
set_preview_loading (PixverseComposer *self,
                     gboolean          loading)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (!loading && self->image_group == NULL)
    return;
  ensure_image_group (self);

  gtk_widget_set_visible (GTK_WIDGET (self->preview_spinner), loading);
}

static void
cancel_preview (PixverseComposer *self)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  g_clear_handle_id (&self->preview_source, g_source_remove);
  g_cancellable_cancel (self->preview_cancellable);
  g_clear_object (&self->preview_cancellable);
  set_preview_loading (self, FALSE);
}

typedef struct
{
  GWeakRef          self;
  GCancellable     *cancellable;
  SoupMessage      *message;
  GInputStream     *stream;
  GByteArray       *data;
} PreviewLoad;

static void
preview_load_free (PreviewLoad *load)
{
  g_weak_ref_clear (&load->self);
  g_clear_object (&load->cancellable);
  g_clear_object (&load->message);
  g_clear_object (&load->stream);
  g_clear_pointer (&load->data, g_byte_array_unref);
  g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PreviewLoad, preview_load_free)

/* Ends @load with @texture or @message, unless it was cancelled meanwhile. */
static void
preview_load_done (PreviewLoad *load,
                   GdkTexture  *texture,
                   const char  *message)
{
  g_autoptr(PixverseComposer) self = NULL;

  if (g_cancellable_is_cancelled (load->cancellable))
    return;

  self = g_weak_ref_get (&load->self);
  if (self == NULL || load->cancellable != self->preview_cancellable)
    return;

  g_clear_object (&self->preview_cancellable);
  set_preview_loading (self, FALSE);

  if (texture != NULL)
    {
      set_image_error (self, NULL);
      set_preview (self, texture);
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("Could not load the image: %s"), message);

      set_preview (self, NULL);
      set_image_error (self, text);
    }
}

static void
preview_decode_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  GdkTexture *texture;
  GError *error = NULL;

  /* gdk_texture_new_from_bytes() is thread-safe, and a big image takes a
   * while to decode. */
  texture = gdk_texture_new_from_bytes (bytes, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
preview_decode_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PreviewLoad) load = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  preview_load_done (load, texture, error != NULL ? error->message : NULL);
}

static void
preview_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PreviewLoad) load = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  GInputStream *stream = G_INPUT_STREAM (object);
  GCancellable *cancellable;

  bytes = g_input_stream_read_bytes_finish (stream, result, &error);
  if (bytes == NULL)
    {
      preview_load_done (load, NULL, error->message);
      return;
    }

  if (g_bytes_get_size (bytes) > 0)
    {
      g_byte_array_append (load->data,
                           g_bytes_get_data (bytes, NULL),
                           g_bytes_get_size (bytes));
      if (load->data->len > PIXVERSE_MAX_IMAGE_SIZE)
        {
          preview_load_done (load, NULL, _("it is larger than 10 MB"));
          return;
        }

      cancellable = load->cancellable;
      g_input_stream_read_bytes_async (stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       cancellable, preview_read_cb,
                                       g_steal_pointer (&load));
      return;
    }

  if (load->data->len == 0)
    {
      preview_load_done (load, NULL, _("the address gave no data"));
      return;
    }

  task = g_task_new (NULL, load->cancellable, preview_decode_cb, load);
  g_task_set_source_tag (task, preview_read_cb);
  g_task_set_task_data (task,
                        g_byte_array_free_to_bytes (g_steal_pointer (&load->data)),
                        (GDestroyNotify) g_bytes_unref);
  g_steal_pointer (&load);
  g_task_run_in_thread (task, preview_decode_thread);
}

static void
preview_send_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PreviewLoad) load = user_data;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;
  GCancellable *cancellable;
  GInputStream *stream;
  guint status;

  load->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (load->stream == NULL)
    {
      preview_load_done (load, NULL, error->message);
      return;
    }

  status = soup_message_get_status (load->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *phrase = soup_message_get_reason_phrase (load->message);
      g_autofree char *message = NULL;

      if (phrase == NULL || *phrase == '\0')
        phrase = soup_status_get_phrase (status);
      /* Translators: the reason an image address did not work, e.g.
       * "the server answered 404 Not Found" */
      message = g_strdup_printf (_("the server answered %u %s"), status, phrase != NULL ? phrase : "");
      preview_load_done (load, NULL, g_strstrip (message));
      return;
    }

  headers = soup_message_get_response_headers (load->message);
  if (soup_message_headers_get_content_length (headers) > PIXVERSE_MAX_IMAGE_SIZE)
    {
      preview_load_done (load, NULL, _("it is larger than 10 MB"));
      return;
    }

  stream = load->stream;
  cancellable = load->cancellable;
  g_input_stream_read_bytes_async (stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   cancellable, preview_read_cb,
                                   g_steal_pointer (&load));
}

static void
preview_timeout_cb (gpointer user_data)
{
  PixverseComposer *self = user_data;
  PreviewLoad *load;
  SoupMessage *message;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  self->preview_source = 0;

  message = soup_message_new (SOUP_METHOD_GET, self->preview_url);
  if (message == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not load the image: %s"),
                                               _("the address is not valid"));

      set_preview_loading (self, FALSE);
      set_image_error (self, text);
      return;
    }

  self->preview_cancellable = g_cancellable_new ();

  load = g_new0 (PreviewLoad, 1);
  g_weak_ref_init (&load->self, self);
  load->cancellable = g_object_ref (self->preview_cancellable);
  load->message = message;
  load->data = g_byte_array_new ();

  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           load->cancellable, preview_send_cb, load);
}

/* After the mode or the image URL changed: the inline error from the
 * request's own rule, else a preview of the address (after a pause, so that
 * typing does not fetch every prefix). */
static void
update_image_feedback (PixverseComposer *self)
{
  g_autoptr(GError) error = NULL;
  const char *url;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  /* The image group is hidden in text-to-video; leave it as it is, ready for
   * a switch back. */
  if (pixverse_request_get_mode (self->request) != PIXVERSE_MODE_IMAGE_TO_VIDEO)
    return;

  url = pixverse_request_get_image_url (self->request);
  if (url == NULL || *url == '\0')
    {
      cancel_preview (self);
      g_clear_pointer (&self->preview_url, g_free);
      set_preview (self, NULL);
      if (!self->uploading)
        set_image_error (self, NULL);
      return;
    }

  if (!pixverse_request_validate_field (self->request, PIXVERSE_REQUEST_FIELD_IMAGE_URL, &error))
    {
      cancel_preview (self);
      g_clear_pointer (&self->preview_url, g_free);
      set_preview (self, NULL);
      set_image_error (self, error->message);
      return;
    }

  /* Shown, loading or already failed: nothing new to fetch. */
  if (g_strcmp0 (url, self->preview_url) == 0)
    return;

  cancel_preview (self);
  set_preview (self, NULL);
  set_image_error (self, NULL);
  g_set_str (&self->preview_url, url);
  set_preview_loading (self, TRUE);
  self->preview_source = g_timeout_add_once (PREVIEW_DELAY_MS, preview_timeout_cb, self);
}

/* Uploads */

/* One asynchronous step of the composer's. It holds the composer weakly, so
 * that closing the window disposes it, which cancels the step; its
 * cancellable says whether the composer still waits for it (a newer step of
 * the same kind, or dispose, cancels it). */
typedef struct
{
  GWeakRef          self;
  GCancellable     *cancellable;
  /* A pasted or dropped image saved for the upload, deleted after it. */
  GFile            *temp_file;
} Op;

static void
op_clear (Op *op)
{
  g_weak_ref_clear (&op->self);
  g_clear_object (&op->cancellable);
  g_clear_object (&op->temp_file);
}

static Op *
op_ref (Op *op)
{
  return g_rc_box_acquire (op);
}

static void
op_unref (Op *op)
{
  g_rc_box_release_full (op, (GDestroyNotify) op_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_unref)

static Op *
op_new (PixverseComposer *self,
        GCancellable     *cancellable)
{
  Op *op = g_rc_box_new0 (Op);

  g_weak_ref_init (&op->self, self);
  op->cancellable = g_object_ref (cancellable);

  return op;
}

/* The composer, if it still waits for @op; else NULL. */
static PixverseComposer *
op_dup_self (Op *op)
{
  if (g_cancellable_is_cancelled (op->cancellable))
    return NULL;

  return g_weak_ref_get (&op->self);
}

/* Cancels the step in @cancellable_ptr and returns a new cancellable there. */
static GCancellable *
restart_cancellable (GCancellable **cancellable_ptr)
{
  g_cancellable_cancel (*cancellable_ptr);
  g_clear_object (cancellable_ptr);
  *cancellable_ptr = g_cancellable_new ();

  return *cancellable_ptr;
}

static void
update_upload_actions (PixverseComposer *self)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.choose-image",
                                 self->client != NULL && !self->uploading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel-upload", self->uploading);
}

static void
set_uploading (PixverseComposer *self,
               gboolean          uploading)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  self->uploading = !!uploading;

  if (uploading || self->image_group != NULL)
    {
      ensure_image_group (self);
      if (uploading)
        {
          gtk_progress_bar_set_fraction (self->upload_progress, 0.0);
          gtk_progress_bar_set_text (self->upload_progress, _("Uploading…"));
        }
      gtk_widget_set_visible (self->upload_box, uploading);
      gtk_widget_set_sensitive (GTK_WIDGET (self->image_url_row), !uploading);
    }

  update_upload_actions (self);
  update_state (self);
}

static void
cancel_upload (PixverseComposer *self)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (self->upload_cancellable == NULL)
    return;

  g_cancellable_cancel (self->upload_cancellable);
  g_clear_object (&self->upload_cancellable);
  set_uploading (self, FALSE);
}

/* Starts the upload state; FALSE (with the reason shown) if there is no
 * client to upload with. */
static gboolean
begin_upload (PixverseComposer *self)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  cancel_upload (self);

  if (self->client == NULL)
    {
      pixverse_request_set_mode (self->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
      set_image_error (self, _("Uploading an image needs an API key: add one in Preferences"));
      return FALSE;
    }

  self->upload_cancellable = g_cancellable_new ();
  set_uploading (self, TRUE);
  pixverse_request_set_mode (self->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  set_image_error (self, NULL);

  return TRUE;
}

static void
fail_upload (PixverseComposer *self,
             const char       *message)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  g_clear_object (&self->upload_cancellable);
  set_uploading (self, FALSE);
  set_image_error (self, message);
}

static void
upload_progress_cb (goffset  current,
                    goffset  total,
                    gpointer user_data)
{
  Op *op = user_data;
  g_autoptr(PixverseComposer) self = op_dup_self (op);
  g_autofree char *text = NULL;

  if (self == NULL)
    return;

  if (total > 0)
    {
      double fraction = CLAMP ((double) current / (double) total, 0.0, 1.0);

      gtk_progress_bar_set_fraction (self->upload_progress, fraction);
      /* Translators: the progress of an image upload */
      text = g_strdup_printf (_("Uploading… %d %%"), (int) (fraction * 100.0));
      gtk_progress_bar_set_text (self->upload_progress, text);
    }
  else
    gtk_progress_bar_pulse (self->upload_progress);
}

static void
upload_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = pixverse_client_upload_image_finish (PIXVERSE_CLIENT (object), result, &error);

  if (op->temp_file != NULL)
    g_file_delete_async (op->temp_file, G_PRIORITY_LOW, NULL, NULL, NULL);

  self = op_dup_self (op);
  if (self == NULL || pixverse_error_is_cancelled (error))
    return;

  if (url == NULL)
    {
      fail_upload (self, error->message);
      return;
    }

  g_clear_object (&self->upload_cancellable);
  set_uploading (self, FALSE);
  pixverse_request_set_mode (self->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (self->request, url);
}

/* Sends @file, with the upload begun by begin_upload(). */
static void
send_upload (PixverseComposer *self,
             GFile            *file,
             gboolean          temporary)
{
  Op *op;

  g_assert (PIXVERSE_IS_COMPOSER (self));
  g_assert (G_IS_FILE (file));
  g_assert (self->upload_cancellable != NULL);

  op = op_new (self, self->upload_cancellable);
  if (temporary)
    op->temp_file = g_object_ref (file);

  pixverse_client_upload_image_async (self->client, file,
                                      upload_progress_cb,
                                      op_ref (op),
                                      (GDestroyNotify) op_unref,
                                      op->cancellable,
                                      upload_cb, op);
}

void
_pixverse_composer_upload_file (PixverseComposer *self,
                                GFile            *file)
{
  g_return_if_fail (PIXVERSE_IS_COMPOSER (self));
  g_return_if_fail (G_IS_FILE (file));

  if (begin_upload (self))
    send_upload (self, file, FALSE);
}

gboolean
_pixverse_composer_get_uploading (PixverseComposer *self)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), FALSE);

  return self->uploading;
}

/* An image that is not a file yet (pasted or dropped): saved as a PNG in the
 * cache, then uploaded like a chosen file. */
static void
save_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GdkTexture *texture = task_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  dir = g_build_filename (g_get_user_cache_dir (), "pixverse-studio", "uploads", NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               "%s: %s", dir, g_strerror (saved_errno));
      return;
    }

  name = g_strdup_printf ("pasted-%" G_GINT64_FORMAT ".png", g_get_real_time ());
  path = g_build_filename (dir, name, NULL);
  file = g_file_new_for_path (path);

  bytes = gdk_texture_save_to_png_bytes (texture);
  if (!g_file_replace_contents (file,
                                g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                NULL, FALSE,
                                G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                NULL, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&file), g_object_unref);
}

static void
save_texture_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = g_task_propagate_pointer (G_TASK (result), &error);

  self = op_dup_self (op);
  if (self == NULL)
    {
      if (file != NULL)
        g_file_delete_async (file, G_PRIORITY_LOW, NULL, NULL, NULL);
      return;
    }

  if (file == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not save the pasted image: %s"), error->message);

      fail_upload (self, text);
      return;
    }

  send_upload (self, file, TRUE);
}

/* With the upload begun: the PNG is made off the main thread. */
static void
save_texture (PixverseComposer *self,
              GdkTexture       *texture)
{
  g_autoptr(GTask) task = NULL;

  g_assert (PIXVERSE_IS_COMPOSER (self));
  g_assert (GDK_IS_TEXTURE (texture));

  gtk_progress_bar_set_text (self->upload_progress, _("Preparing the image…"));

  task = g_task_new (NULL, self->upload_cancellable, save_texture_cb,
                     op_new (self, self->upload_cancellable));
  g_task_set_source_tag (task, save_texture);
  g_task_set_task_data (task, g_object_ref (texture), g_object_unref);
  g_task_run_in_thread (task, save_texture_thread);
}

static void
take_texture (PixverseComposer *self,
              GdkTexture       *texture)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (begin_upload (self))
    save_texture (self, texture);
}

/* Drop, paste */

static void
take_image_url (PixverseComposer *self,
                const char       *url)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  cancel_upload (self);
  pixverse_request_set_mode (self->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (self->request, url);
}

static void
take_file (PixverseComposer *self,
           GFile            *file)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));
  g_assert (G_IS_FILE (file));

  /* A browser offers an image as its web address: use it as it is. */
  if (!g_file_is_native (file))
    {
      g_autofree char *uri = g_file_get_uri (file);

      if (is_web_url (uri))
        {
          take_image_url (self, uri);
          return;
        }
    }

  _pixverse_composer_upload_file (self, file);
}

/* Text that is an image address (or a file's URI): the first line of it. */
static gboolean
take_text (PixverseComposer *self,
           const char       *text)
{
  g_auto(GStrv) lines = NULL;
  char *line;

  g_assert (PIXVERSE_IS_COMPOSER (self));

  if (text == NULL)
    return FALSE;

  lines = g_strsplit_set (text, "\r\n", 2);
  if (lines[0] == NULL)
    return FALSE;

  line = g_strstrip (lines[0]);
  if (is_web_url (line))
    {
      take_image_url (self, line);
      return TRUE;
    }

  if (g_str_has_prefix (line, "file:"))
    {
      g_autoptr(GFile) file = g_file_new_for_uri (line);

      take_file (self, file);
      return TRUE;
    }

  return FALSE;
}

gboolean
_pixverse_composer_drop_value (PixverseComposer *self,
                               const GValue     *value)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GdkFileList *list = g_value_get_boxed (value);
      GSList *files = list != NULL ? gdk_file_list_get_files (list) : NULL;
      gboolean taken = files != NULL;

      if (files != NULL)
        take_file (self, files->data);
      g_slist_free (files);

      return taken;
    }

  if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    {
      take_file (self, g_value_get_object (value));
      return TRUE;
    }

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE) && g_value_get_object (value) != NULL)
    {
      take_texture (self, g_value_get_object (value));
      return TRUE;
    }

  if (G_VALUE_HOLDS_STRING (value))
    return take_text (self, g_value_get_string (value));

  return FALSE;
}

static gboolean
drop_cb (PixverseComposer *self,
         const GValue     *value,
         double            x,
         double            y,
         GtkDropTarget    *target)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  return _pixverse_composer_drop_value (self, value);
}

static void
drop_current_changed_cb (PixverseComposer *self,
                         GParamSpec       *pspec,
                         GtkDropTarget    *target)
{
  g_assert (PIXVERSE_IS_COMPOSER (self));

  gtk_revealer_set_reveal_child (self->drop_revealer,
                                 gtk_drop_target_get_current_drop (target) != NULL);
}

static void
paste_texture_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);

  self = op_dup_self (op);
  if (self == NULL)
    return;

  if (texture == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not paste the image: %s"), error->message);

      fail_upload (self, text);
      return;
    }

  save_texture (self, texture);
}

static void
paste_value_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autoptr(GError) error = NULL;
  const GValue *value;

  value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (object), result, &error);
  self = op_dup_self (op);
  if (self == NULL)
    return;

  if (value == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Could not paste the image: %s"), error->message);

          pixverse_request_set_mode (self->request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
          set_image_error (self, text);
        }
      return;
    }

  _pixverse_composer_drop_value (self, value);
}

static void
paste_text_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autofree char *text = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);
  self = op_dup_self (op);
  if (text != NULL && self != NULL)
    take_text (self, text);
}

/* Whether the keyboard focus is in a field that takes pasted text itself. */
static gboolean
focus_takes_text (PixverseComposer *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  for (; focus != NULL; focus = gtk_widget_get_parent (focus))
    {
      if (GTK_IS_TEXT_VIEW (focus) || GTK_IS_EDITABLE (focus))
        return TRUE;
      if (focus == GTK_WIDGET (self))
        break;
    }

  return FALSE;
}

gboolean
_pixverse_composer_paste (PixverseComposer *self)
{
  GdkClipboard *clipboard;
  GdkContentFormats *formats;

  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), FALSE);

  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    {
      if (begin_upload (self))
        {
          gtk_progress_bar_set_text (self->upload_progress, _("Preparing the image…"));
          gdk_clipboard_read_texture_async (clipboard, self->upload_cancellable, paste_texture_cb,
                                            op_new (self, self->upload_cancellable));
        }
      return TRUE;
    }

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    {
      GCancellable *cancellable = restart_cancellable (&self->paste_cancellable);

      gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT,
                                      cancellable, paste_value_cb,
                                      op_new (self, cancellable));
      return TRUE;
    }

  /* Plain text goes to the prompt or the URL entry as usual. */
  if (focus_takes_text (self))
    return FALSE;

  if (gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    {
      GCancellable *cancellable = restart_cancellable (&self->paste_cancellable);

      gdk_clipboard_read_text_async (clipboard, cancellable, paste_text_cb,
                                     op_new (self, cancellable));
      return TRUE;
    }

  return FALSE;
}

static gboolean
paste_shortcut_cb (GtkWidget *widget,
                   GVariant  *args,
                   gpointer   user_data)
{
  return _pixverse_composer_paste (PIXVERSE_COMPOSER (widget));
}

/* Ctrl+Return anywhere in the form, the prompt included (a text view would
 * take it as a newline): Generate, or nothing while Generate is off. */
static gboolean
generate_shortcut_cb (GtkWidget *widget,
                      GVariant  *args,
                      gpointer   user_data)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (widget);

  if (self->can_generate)
    gtk_widget_activate_action (widget, "win.generate", NULL);

  return TRUE;
}

/* Actions */

static void
choose_image_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(PixverseComposer) self = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = gtk_file_dialog_open_finish (GTK_FILE_DIALOG (object), result, &error);
  self = op_dup_self (op);
  if (self == NULL)
    return;

  if (file == NULL)
    {
      if (!g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_DISMISSED) &&
          !g_error_matches (error, GTK_DIALOG_ERROR, GTK_DIALOG_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_image_error (self, error->message);
      return;
    }

  _pixverse_composer_upload_file (self, file);
}

static void
choose_image_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (widget);
  g_autoptr(GtkFileDialog) dialog = NULL;
  g_autoptr(GtkFileFilter) filter = NULL;
  g_autoptr(GListStore) filters = NULL;
  GCancellable *cancellable;
  GtkRoot *root;

  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("JPEG and PNG Images"));
  gtk_file_filter_add_mime_type (filter, "image/jpeg");
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_add_suffix (filter, "jpg");
  gtk_file_filter_add_suffix (filter, "jpeg");
  gtk_file_filter_add_suffix (filter, "png");

  filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
  g_list_store_append (filters, filter);

  dialog = gtk_file_dialog_new ();
  gtk_file_dialog_set_title (dialog, _("Choose an Image"));
  gtk_file_dialog_set_accept_label (dialog, _("_Upload"));
  gtk_file_dialog_set_modal (dialog, TRUE);
  gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
  gtk_file_dialog_set_default_filter (dialog, filter);

  cancellable = restart_cancellable (&self->dialog_cancellable);
  root = gtk_widget_get_root (widget);
  gtk_file_dialog_open (dialog,
                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                        cancellable,
                        choose_image_cb,
                        op_new (self, cancellable));
}

static void
cancel_upload_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  cancel_upload (PIXVERSE_COMPOSER (widget));
}

static void
remove_image_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (widget);

  cancel_upload (self);
  pixverse_request_set_image_url (self->request, NULL);
  ensure_image_group (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->image_url_row));
}

/* GObject */

static void
pixverse_composer_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pixverse_composer_parent_class)->root (widget);

  ensure_style (gtk_widget_get_display (widget));
}

static void
pixverse_composer_dispose (GObject *object)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (object);

  /* The template's widgets may still signal while they go. */
  self->syncing = TRUE;

  g_clear_handle_id (&self->preview_source, g_source_remove);
  g_cancellable_cancel (self->preview_cancellable);
  g_clear_object (&self->preview_cancellable);
  g_cancellable_cancel (self->upload_cancellable);
  g_clear_object (&self->upload_cancellable);
  g_cancellable_cancel (self->dialog_cancellable);
  g_clear_object (&self->dialog_cancellable);
  g_cancellable_cancel (self->paste_cancellable);
  g_clear_object (&self->paste_cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), PIXVERSE_TYPE_COMPOSER);
  /* The image group, if made, went with the template's widgets. */
  self->image_group = NULL;
  self->choose_button = NULL;
  self->image_url_row = NULL;
  self->preview_spinner = NULL;
  self->upload_box = NULL;
  self->upload_progress = NULL;
  self->image_error_label = NULL;
  self->preview_clamp = NULL;
  self->preview_picture = NULL;

  g_clear_object (&self->num_outputs_model);
  g_clear_object (&self->resolution_model);
  g_clear_object (&self->aspect_ratio_model);
  g_clear_object (&self->duration_model);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pixverse_composer_parent_class)->dispose (object);
}

static void
pixverse_composer_finalize (GObject *object)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (object);

  g_clear_object (&self->request);
  g_clear_pointer (&self->invalid_reason, g_free);
  g_clear_pointer (&self->preview_url, g_free);

  G_OBJECT_CLASS (pixverse_composer_parent_class)->finalize (object);
}

static void
pixverse_composer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_REQUEST:
      g_value_set_object (value, self->request);
      break;

    case PROP_CAN_GENERATE:
      g_value_set_boolean (value, self->can_generate);
      break;

    case PROP_INVALID_REASON:
      g_value_set_string (value, self->invalid_reason);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_composer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PixverseComposer *self = PIXVERSE_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      pixverse_composer_set_client (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_composer_class_init (PixverseComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pixverse_composer_dispose;
  object_class->finalize = pixverse_composer_finalize;
  object_class->get_property = pixverse_composer_get_property;
  object_class->set_property = pixverse_composer_set_property;

  widget_class->root = pixverse_composer_root;

  properties [PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PIXVERSE_TYPE_CLIENT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_REQUEST] =
    g_param_spec_object ("request", NULL, NULL,
                         PIXVERSE_TYPE_REQUEST,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  properties [PROP_CAN_GENERATE] =
    g_param_spec_boolean ("can-generate", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_INVALID_REASON] =
    g_param_spec_string ("invalid-reason", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/pixversestudio/PixverseStudio/pixverse-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, mode_group);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, prompt_buffer);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, prompt_placeholder);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, char_count_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, main_box);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, prompt_group);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, num_outputs_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, resolution_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, aspect_ratio_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, duration_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, prompt_optimization_row);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, generate_button);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, reason_label);
  gtk_widget_class_bind_template_child (widget_class, PixverseComposer, drop_revealer);
  gtk_widget_class_bind_template_callback (widget_class, mode_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, prompt_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, options_changed_cb);

  gtk_widget_class_install_action (widget_class, "composer.choose-image", NULL, choose_image_action);
  gtk_widget_class_install_action (widget_class, "composer.cancel-upload", NULL, cancel_upload_action);
  gtk_widget_class_install_action (widget_class, "composer.remove-image", NULL, remove_image_action);
}

static void
pixverse_composer_init (PixverseComposer *self)
{
  GtkDropTarget *drop_target;
  GtkEventController *shortcuts;
  const char * const *values;
  const int *durations;
  guint n_durations = 0;
  GType drop_types[] = { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE, G_TYPE_STRING };

  gtk_widget_init_template (GTK_WIDGET (self));

  self->session = soup_session_new_with_options ("user-agent", "pixverse-studio/" PACKAGE_VERSION,
                                                 "timeout", 30,
                                                 NULL);

  /* The choices come from the request: the one copy of the allowed values. */
  self->syncing = TRUE;

  self->num_outputs_model = gtk_string_list_new (NULL);
  for (int n = PIXVERSE_MIN_OUTPUTS; n <= PIXVERSE_MAX_OUTPUTS; n++)
    {
      g_autofree char *label = g_strdup_printf ("%d", n);

      gtk_string_list_append (self->num_outputs_model, label);
    }
  adw_combo_row_set_model (self->num_outputs_row, G_LIST_MODEL (self->num_outputs_model));

  self->resolution_model = gtk_string_list_new (NULL);
  values = pixverse_request_get_resolutions ();
  for (guint i = 0; values[i] != NULL; i++)
    gtk_string_list_append (self->resolution_model, values[i]);
  adw_combo_row_set_model (self->resolution_row, G_LIST_MODEL (self->resolution_model));

  self->aspect_ratio_model = gtk_string_list_new (NULL);
  values = pixverse_request_get_aspect_ratios ();
  for (guint i = 0; values[i] != NULL; i++)
    {
      g_autofree char *label = describe_aspect_ratio (values[i]);

      gtk_string_list_append (self->aspect_ratio_model, label);
    }
  adw_combo_row_set_model (self->aspect_ratio_row, G_LIST_MODEL (self->aspect_ratio_model));

  self->duration_model = gtk_string_list_new (NULL);
  durations = pixverse_request_get_durations (&n_durations);
  for (guint i = 0; i < n_durations; i++)
    {
      g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d second", "%d seconds", durations[i]),
                                                durations[i]);

      gtk_string_list_append (self->duration_model, label);
    }
  adw_combo_row_set_model (self->duration_row, G_LIST_MODEL (self->duration_model));

  self->syncing = FALSE;

  /* The request, with the last used options. */
  self->request = pixverse_request_new ();
  self->settings = g_settings_new (APP_ID);
  for (guint i = 0; i < G_N_ELEMENTS (option_keys); i++)
    load_option (self, option_keys[i]);

  sync_widgets (self, NULL);
  prompt_changed_cb (self, self->prompt_buffer);

  g_signal_connect_object (self->request, "notify",
                           G_CALLBACK (request_notify_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed",
                           G_CALLBACK (settings_changed_cb), self,
                           G_CONNECT_SWAPPED);

  /* Before the text view's own keys: Ctrl+Return is not a newline, and an
   * image on the clipboard is not text. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>Return|<Control>KP_Enter|<Control>ISO_Enter"),
                                                          gtk_callback_action_new (generate_shortcut_cb, NULL, NULL)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("<Control>v|<Shift>Insert"),
                                                          gtk_callback_action_new (paste_shortcut_cb, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  drop_target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop_target, drop_types, G_N_ELEMENTS (drop_types));
  g_signal_connect_object (drop_target, "drop",
                           G_CALLBACK (drop_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (drop_target, "notify::current-drop",
                           G_CALLBACK (drop_current_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop_target));

  update_upload_actions (self);
  update_image_feedback (self);
  update_state (self);
}

/* Public API */

/**
 * pixverse_composer_new:
 *
 * Returns: (transfer floating): a new composer with the last used options
 */
GtkWidget *
pixverse_composer_new (void)
{
  return g_object_new (PIXVERSE_TYPE_COMPOSER, NULL);
}

PixverseClient *
pixverse_composer_get_client (PixverseComposer *self)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), NULL);

  return self->client;
}

/**
 * pixverse_composer_set_client:
 * @self: a #PixverseComposer
 * @client: (nullable): the client to upload images with
 *
 * Without a client, images cannot be uploaded (an address still works).
 */
void
pixverse_composer_set_client (PixverseComposer *self,
                              PixverseClient   *client)
{
  g_return_if_fail (PIXVERSE_IS_COMPOSER (self));
  g_return_if_fail (!client || PIXVERSE_IS_CLIENT (client));

  if (self->client == client)
    return;

  cancel_upload (self);
  g_set_object (&self->client, client);
  update_upload_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CLIENT]);
}

PixverseRequest *
pixverse_composer_get_request (PixverseComposer *self)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), NULL);

  return self->request;
}

/**
 * pixverse_composer_set_request:
 * @self: a #PixverseComposer
 * @request: the request to copy into the form
 *
 * Fills every field of the form from @request (Reuse Settings). The
 * composer keeps its own request; @request is not kept.
 */
void
pixverse_composer_set_request (PixverseComposer *self,
                               PixverseRequest  *request)
{
  g_return_if_fail (PIXVERSE_IS_COMPOSER (self));
  g_return_if_fail (PIXVERSE_IS_REQUEST (request));

  if (request == self->request)
    return;

  cancel_upload (self);

  g_object_freeze_notify (G_OBJECT (self->request));
  pixverse_request_set_prompt (self->request, pixverse_request_get_prompt (request));
  pixverse_request_set_mode (self->request, pixverse_request_get_mode (request));
  pixverse_request_set_image_url (self->request, pixverse_request_get_image_url (request));
  pixverse_request_set_num_outputs (self->request, pixverse_request_get_num_outputs (request));
  pixverse_request_set_resolution (self->request, pixverse_request_get_resolution (request));
  pixverse_request_set_aspect_ratio (self->request, pixverse_request_get_aspect_ratio (request));
  pixverse_request_set_duration (self->request, pixverse_request_get_duration (request));
  pixverse_request_set_prompt_optimization (self->request,
                                            pixverse_request_get_prompt_optimization (request));
  g_object_thaw_notify (G_OBJECT (self->request));
}

gboolean
pixverse_composer_get_can_generate (PixverseComposer *self)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), FALSE);

  return self->can_generate;
}

const char *
pixverse_composer_get_invalid_reason (PixverseComposer *self)
{
  g_return_val_if_fail (PIXVERSE_IS_COMPOSER (self), NULL);

  return self->invalid_reason;
}

void
pixverse_composer_clear_prompt (PixverseComposer *self)
{
  g_return_if_fail (PIXVERSE_IS_COMPOSER (self));

  pixverse_request_set_prompt (self->request, "");
}

void
pixverse_composer_focus_prompt (PixverseComposer *self)
{
  g_return_if_fail (PIXVERSE_IS_COMPOSER (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}
