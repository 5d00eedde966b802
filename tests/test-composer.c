/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-composer"

#include "config.h"

#include <adwaita.h>

#include "fake-pixwith.h"
#include "test-gui-util.h"
#include "pixverse-composer.h"
#include "pixverse-composer-private.h"
#include "pixverse-resources.h"

static GtkWidget *
find_child (GtkWidget  *composer,
            const char *id)
{
  GtkWidget *found = find_by_id (composer, id);

  if (found == NULL)
    g_error ("The composer has no widget \"%s\" (yet)", id);

  return found;
}

/* The composer's widgets, by their ids in its .ui files. */
#define CHILD(f, type, name) type (find_child (GTK_WIDGET ((f)->composer), name))

#define WAIT_TIMEOUT_S 20

static const char * const option_keys[] = {
  "mode", "num-outputs", "resolution", "aspect-ratio", "duration", "prompt-optimization",
};

typedef struct
{
  FakePixwith      *fake;
  PixverseClient   *client;
  GtkWindow        *window;
  PixverseComposer *composer;
  GSimpleActionGroup *win_actions;
  guint             n_generate;
} Fixture;

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @cond holds, failing after WAIT_TIMEOUT_S. */
#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_TIMEOUT_S * G_USEC_PER_SEC; \
    guint wake_ = g_timeout_add (20, wake_cb, NULL); \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > deadline_) \
          g_error ("Timed out waiting for %s", #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (wake_); \
  } G_STMT_END

static void
reset_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  for (guint i = 0; i < G_N_ELEMENTS (option_keys); i++)
    g_settings_reset (settings, option_keys[i]);
}

static void
generate_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  Fixture *f = user_data;

  f->n_generate++;
}

static void
can_generate_changed (PixverseComposer *composer,
                      GParamSpec       *pspec,
                      GSimpleAction    *action)
{
  g_simple_action_set_enabled (action, pixverse_composer_get_can_generate (composer));
}

static void
open_window (Fixture *f)
{
  GAction *generate;

  f->composer = PIXVERSE_COMPOSER (pixverse_composer_new ());
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 720, 1000);
  gtk_window_set_child (f->window, GTK_WIDGET (f->composer));

  /* What the real window does with "win.generate": enabled by can-generate. */
  f->win_actions = g_simple_action_group_new ();
  generate = G_ACTION (g_simple_action_new ("generate", NULL));
  g_signal_connect (generate, "activate", G_CALLBACK (generate_activated), f);
  g_action_map_add_action (G_ACTION_MAP (f->win_actions), generate);
  g_signal_connect_object (f->composer, "notify::can-generate",
                           G_CALLBACK (can_generate_changed), generate, 0);
  can_generate_changed (f->composer, NULL, G_SIMPLE_ACTION (generate));
  g_object_unref (generate);
  gtk_widget_insert_action_group (GTK_WIDGET (f->window), "win", G_ACTION_GROUP (f->win_actions));

  if (f->client != NULL)
    pixverse_composer_set_client (f->composer, f->client);

  gtk_window_present (f->window);
  WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (f->composer)));
}

/* Destroys the window and waits until the composer is gone: every pending
 * operation must have been cancelled and have let go of it. */
static void
close_window (Fixture *f)
{
  GtkWindow *window = f->window;
  PixverseComposer *composer = f->composer;

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  g_object_add_weak_pointer (G_OBJECT (composer), (gpointer *) &composer);
  gtk_window_destroy (f->window);
  WAIT_UNTIL (window == NULL && composer == NULL);
  g_clear_object (&f->win_actions);
  f->window = NULL;
  f->composer = NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  reset_settings ();

  f->fake = fake_pixwith_new (&error);
  g_assert_no_error (error);
  f->client = pixverse_client_new (fake_pixwith_get_url (f->fake), PIXVERSE_TEST_API_KEY, &error);
  g_assert_no_error (error);

  open_window (f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  PixverseClient *client = f->client;

  if (f->window != NULL)
    close_window (f);

  /* A cancelled upload lets go of the client once its callback has run. */
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (f->client);
  WAIT_UNTIL (client == NULL);
  g_assert_finalize_object (f->fake);
}

static PixverseRequest *
get_request (Fixture *f)
{
  return pixverse_composer_get_request (f->composer);
}

static GtkTextBuffer *
get_buffer (Fixture *f)
{
  return gtk_text_view_get_buffer (CHILD (f, GTK_TEXT_VIEW, "prompt_view"));
}

static void
set_mode (Fixture    *f,
          const char *name)
{
  adw_toggle_group_set_active_name (CHILD (f, ADW_TOGGLE_GROUP, "mode_group"), name);
}

static void
set_image_url (Fixture    *f,
               const char *url)
{
  gtk_editable_set_text (CHILD (f, GTK_EDITABLE, "image_url_row"), url);
}

static const char *
get_image_error (Fixture *f)
{
  GtkLabel *label = CHILD (f, GTK_LABEL, "image_error_label");

  return gtk_widget_get_visible (GTK_WIDGET (label)) ? gtk_label_get_label (label) : NULL;
}

static gboolean
has_preview (Fixture *f)
{
  return gtk_picture_get_paintable (CHILD (f, GTK_PICTURE, "preview_picture")) != NULL;
}

static gboolean
str_contains_nocase (const char *haystack,
                     const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;

  h = g_utf8_casefold (haystack, -1);
  n = g_utf8_casefold (needle, -1);
  return strstr (h, n) != NULL;
}

static GdkTexture *
make_texture (int width,
              int height)
{
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels = g_malloc (width * height * 4);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + (y * width + x) * 4;

        p[0] = 255 * x / width;
        p[1] = 255 * y / height;
        p[2] = 160;
        p[3] = 255;
      }

  bytes = g_bytes_new_take (pixels, width * height * 4);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, width * 4);
}

static GFile *
write_png (const char *name,
           int         width,
           int         height)
{
  g_autoptr(GdkTexture) texture = make_texture (width, height);
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  return g_file_new_for_path (path);
}

static gboolean
frame_cb (GtkWidget     *widget,
          GdkFrameClock *clock,
          gpointer       user_data)
{
  guint *n_frames = user_data;

  (*n_frames)++;
  return G_SOURCE_CONTINUE;
}

/* With COMPOSER_SCREENSHOTS=DIR, saves the window as DIR/NAME.png, to look at. */
static void
maybe_screenshot (Fixture    *f,
                  const char *name)
{
  const char *dir = g_getenv ("COMPOSER_SCREENSHOTS");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkWidget *widget = GTK_WIDGET (f->window);
  guint n_frames = 0;
  guint tick;
  int width;
  int height;

  if (dir == NULL)
    return;

  tick = gtk_widget_add_tick_callback (widget, frame_cb, &n_frames, NULL);
  WAIT_UNTIL (n_frames >= 5);
  gtk_widget_remove_tick_callback (widget, tick);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (f->window)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* Tests */

static void
test_prompt (Fixture       *f,
             gconstpointer  data)
{
  GtkTextBuffer *buffer = get_buffer (f);
  GtkLabel *count = CHILD (f, GTK_LABEL, "char_count_label");
  GtkWidget *placeholder = CHILD (f, GTK_WIDGET, "prompt_placeholder");
  GtkLabel *reason = CHILD (f, GTK_LABEL, "reason_label");

  /* Nothing typed yet: Generate is off, and says why. */
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "prompt"));
  g_assert_true (gtk_widget_get_visible (placeholder));
  g_assert_cmpstr (gtk_label_get_label (count), ==, "0 characters");

  gtk_text_buffer_set_text (buffer, "A red fox runs through snow", -1);
  g_assert_cmpstr (pixverse_request_get_prompt (get_request (f)), ==, "A red fox runs through snow");
  g_assert_cmpstr (gtk_label_get_label (count), ==, "27 characters");
  g_assert_false (gtk_widget_get_visible (placeholder));
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
  g_assert_null (pixverse_composer_get_invalid_reason (f->composer));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (reason)));
  g_assert_true (gtk_widget_get_sensitive (CHILD (f, GTK_WIDGET, "generate_button")));

  gtk_text_buffer_set_text (buffer, "é", -1);
  g_assert_cmpstr (gtk_label_get_label (count), ==, "1 character");

  /* Whitespace only is no prompt, the request says. */
  gtk_text_buffer_set_text (buffer, "  \n\t\u00a0 ", -1);
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "prompt"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (reason)));
  g_assert_cmpstr (gtk_label_get_label (reason), ==, pixverse_composer_get_invalid_reason (f->composer));
  g_assert_false (gtk_widget_get_sensitive (CHILD (f, GTK_WIDGET, "generate_button")));

  /* The request edited directly shows in the text view. */
  pixverse_request_set_prompt (get_request (f), "A quiet harbour");
  {
    GtkTextIter start, end;
    g_autofree char *text = NULL;

    gtk_text_buffer_get_bounds (buffer, &start, &end);
    text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_cmpstr (text, ==, "A quiet harbour");
  }
  g_assert_true (pixverse_composer_get_can_generate (f->composer));

  /* After a job was submitted: the prompt goes, the options stay. */
  adw_combo_row_set_selected (CHILD (f, ADW_COMBO_ROW, "num_outputs_row"), 2);
  pixverse_composer_clear_prompt (f->composer);
  g_assert_cmpint (gtk_text_buffer_get_char_count (buffer), ==, 0);
  g_assert_cmpstr (pixverse_request_get_prompt (get_request (f)), ==, "");
  g_assert_cmpint (pixverse_request_get_num_outputs (get_request (f)), ==, 3);
  g_assert_true (gtk_widget_get_visible (placeholder));

  pixverse_composer_focus_prompt (f->composer);
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window)) == CHILD (f, GTK_WIDGET, "prompt_view"));
}

static void
test_image_url (Fixture       *f,
                gconstpointer  data)
{
  PixverseRequest *request = get_request (f);
  GtkWidget *row;
  GtkWidget *group;

  /* Text to video: the image group is not even made (issue 14). */
  gtk_text_buffer_set_text (get_buffer (f), "The picture comes alive", -1);
  g_assert_null (find_by_id (GTK_WIDGET (f->composer), "image_group"));
  g_assert_null (find_first (GTK_WIDGET (f->composer), ADW_TYPE_ENTRY_ROW));

  /* Made when first shown, under the prompt. */
  set_mode (f, "image-to-video");
  g_assert_cmpint (pixverse_request_get_mode (request), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  group = CHILD (f, GTK_WIDGET, "image_group");
  row = CHILD (f, GTK_WIDGET, "image_url_row");
  g_assert_true (gtk_widget_get_visible (group));
  g_assert_true (gtk_widget_get_prev_sibling (group) ==
                 gtk_widget_get_ancestor (CHILD (f, GTK_WIDGET, "prompt_view"), ADW_TYPE_PREFERENCES_GROUP));
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "image"));
  g_assert_null (get_image_error (f));

  set_image_url (f, "ftp://x");
  g_assert_cmpstr (pixverse_request_get_image_url (request), ==, "ftp://x");
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "ftp://x"));
  /* The inline error is the request's own words. */
  g_assert_cmpstr (get_image_error (f), ==, pixverse_composer_get_invalid_reason (f->composer));
  g_assert_true (gtk_widget_has_css_class (row, "error"));

  /* Nothing listens there: the address is valid, its preview fails. */
  set_image_url (f, "  https://127.0.0.1:1/cat.png\n");
  g_assert_cmpstr (pixverse_request_get_image_url (request), ==, "https://127.0.0.1:1/cat.png");
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
  g_assert_null (pixverse_composer_get_invalid_reason (f->composer));
  g_assert_null (get_image_error (f));
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  WAIT_UNTIL (get_image_error (f) != NULL);
  g_assert_true (g_str_has_prefix (get_image_error (f), "Could not load the image: "));
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
  g_assert_false (has_preview (f));

  /* Text-to-video ignores a stale address. */
  set_image_url (f, "ftp://x");
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  set_mode (f, "text-to-video");
  g_assert_cmpint (pixverse_request_get_mode (request), ==, PIXVERSE_MODE_TEXT_TO_VIDEO);
  g_assert_false (gtk_widget_get_visible (group));
  g_assert_true (pixverse_composer_get_can_generate (f->composer));

  /* And the request edited directly shows in the form. */
  pixverse_request_set_mode (request, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  pixverse_request_set_image_url (request, "http://127.0.0.1:1/dog.png");
  g_assert_cmpstr (adw_toggle_group_get_active_name (CHILD (f, ADW_TOGGLE_GROUP, "mode_group")), ==, "image-to-video");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "http://127.0.0.1:1/dog.png");

  maybe_screenshot (f, "composer-image-error.png");
}

static void
test_preview (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *missing = g_strconcat (fake_pixwith_get_url (f->fake), "/img/none/missing.png", NULL);

  set_mode (f, "image-to-video");
  set_image_url (f, missing);
  g_assert_null (get_image_error (f));
  WAIT_UNTIL (get_image_error (f) != NULL);
  g_assert_true (g_str_has_prefix (get_image_error (f), "Could not load the image: "));
  g_assert_nonnull (strstr (get_image_error (f), "404"));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "img"), ==, 1);
  g_assert_false (has_preview (f));

  /* Cleared with the address. */
  set_image_url (f, "");
  g_assert_null (pixverse_request_get_image_url (get_request (f)));
  g_assert_null (get_image_error (f));
}

static void
test_options (Fixture       *f,
              gconstpointer  data)
{
  PixverseRequest *request = get_request (f);
  AdwComboRow *num_outputs = CHILD (f, ADW_COMBO_ROW, "num_outputs_row");
  AdwComboRow *resolution = CHILD (f, ADW_COMBO_ROW, "resolution_row");
  AdwComboRow *aspect_ratio = CHILD (f, ADW_COMBO_ROW, "aspect_ratio_row");
  AdwComboRow *duration = CHILD (f, ADW_COMBO_ROW, "duration_row");
  AdwSwitchRow *optimization = CHILD (f, ADW_SWITCH_ROW, "prompt_optimization_row");
  const char * const *resolutions = pixverse_request_get_resolutions ();
  const char * const *aspect_ratios = pixverse_request_get_aspect_ratios ();
  const int *durations;
  guint n_durations = 0;
  gboolean active;

  durations = pixverse_request_get_durations (&n_durations);

  /* One entry per allowed value, in the request's order. */
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (num_outputs)), ==,
                    PIXVERSE_MAX_OUTPUTS - PIXVERSE_MIN_OUTPUTS + 1);
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (resolution)), ==,
                    g_strv_length ((char **) resolutions));
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (aspect_ratio)), ==,
                    g_strv_length ((char **) aspect_ratios));
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (duration)), ==, n_durations);

  for (int n = PIXVERSE_MAX_OUTPUTS; n >= PIXVERSE_MIN_OUTPUTS; n--)
    {
      adw_combo_row_set_selected (num_outputs, n - PIXVERSE_MIN_OUTPUTS);
      g_assert_cmpint (pixverse_request_get_num_outputs (request), ==, n);
    }

  for (guint i = 0; resolutions[i] != NULL; i++)
    {
      adw_combo_row_set_selected (resolution, i);
      g_assert_cmpstr (pixverse_request_get_resolution (request), ==, resolutions[i]);
    }

  for (guint i = 0; aspect_ratios[i] != NULL; i++)
    {
      adw_combo_row_set_selected (aspect_ratio, i);
      g_assert_cmpstr (pixverse_request_get_aspect_ratio (request), ==, aspect_ratios[i]);
    }

  for (guint i = 0; i < n_durations; i++)
    {
      adw_combo_row_set_selected (duration, i);
      g_assert_cmpint (pixverse_request_get_duration (request), ==, durations[i]);
    }

  active = adw_switch_row_get_active (optimization);
  g_assert_cmpint (pixverse_request_get_prompt_optimization (request), ==, active);
  adw_switch_row_set_active (optimization, !active);
  g_assert_cmpint (pixverse_request_get_prompt_optimization (request), ==, !active);

  /* The other way: the request shows in the rows. */
  pixverse_request_set_resolution (request, resolutions[0]);
  g_assert_cmpuint (adw_combo_row_get_selected (resolution), ==, 0);
  pixverse_request_set_duration (request, durations[0]);
  g_assert_cmpuint (adw_combo_row_get_selected (duration), ==, 0);

  /* Every option leaves the form valid. */
  gtk_text_buffer_set_text (get_buffer (f), "Clouds", -1);
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
}

static PixverseRequest *
new_request (const char   *prompt,
             PixverseMode  mode,
             const char   *image_url,
             int           num_outputs,
             const char   *resolution,
             const char   *aspect_ratio,
             int           duration,
             gboolean      prompt_optimization)
{
  PixverseRequest *request = pixverse_request_new ();

  pixverse_request_set_prompt (request, prompt);
  pixverse_request_set_mode (request, mode);
  pixverse_request_set_image_url (request, image_url);
  pixverse_request_set_num_outputs (request, num_outputs);
  pixverse_request_set_resolution (request, resolution);
  pixverse_request_set_aspect_ratio (request, aspect_ratio);
  pixverse_request_set_duration (request, duration);
  pixverse_request_set_prompt_optimization (request, prompt_optimization);

  return request;
}

static void
assert_form_shows (Fixture         *f,
                   PixverseRequest *expected)
{
  PixverseRequest *request = get_request (f);
  g_autofree char *expected_json = NULL;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  const char *url = pixverse_request_get_image_url (expected);
  GtkTextIter start, end;
  GtkStringObject *item;

  g_assert_cmpstr (pixverse_request_get_prompt (request), ==, pixverse_request_get_prompt (expected));
  g_assert_cmpint (pixverse_request_get_mode (request), ==, pixverse_request_get_mode (expected));
  g_assert_cmpstr (pixverse_request_get_image_url (request), ==, url);
  g_assert_cmpint (pixverse_request_get_num_outputs (request), ==, pixverse_request_get_num_outputs (expected));
  g_assert_cmpstr (pixverse_request_get_resolution (request), ==, pixverse_request_get_resolution (expected));
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (request), ==, pixverse_request_get_aspect_ratio (expected));
  g_assert_cmpint (pixverse_request_get_duration (request), ==, pixverse_request_get_duration (expected));
  g_assert_cmpint (pixverse_request_get_prompt_optimization (request), ==,
                   pixverse_request_get_prompt_optimization (expected));

  /* What goes to the service is the same too. */
  expected_json = pixverse_request_to_string (expected, NULL);
  json = pixverse_request_to_string (request, NULL);
  g_assert_nonnull (json);
  g_assert_cmpstr (json, ==, expected_json);

  /* And the widgets show it. */
  gtk_text_buffer_get_bounds (get_buffer (f), &start, &end);
  text = gtk_text_buffer_get_text (get_buffer (f), &start, &end, FALSE);
  g_assert_cmpstr (text, ==, pixverse_request_get_prompt (expected));
  g_assert_cmpstr (adw_toggle_group_get_active_name (CHILD (f, ADW_TOGGLE_GROUP, "mode_group")), ==,
                   pixverse_request_get_mode (expected) == PIXVERSE_MODE_IMAGE_TO_VIDEO ? "image-to-video" : "text-to-video");
  g_assert_cmpstr (gtk_editable_get_text (CHILD (f, GTK_EDITABLE, "image_url_row")), ==, url != NULL ? url : "");
  g_assert_cmpuint (adw_combo_row_get_selected (CHILD (f, ADW_COMBO_ROW, "num_outputs_row")), ==,
                    pixverse_request_get_num_outputs (expected) - PIXVERSE_MIN_OUTPUTS);
  item = adw_combo_row_get_selected_item (CHILD (f, ADW_COMBO_ROW, "resolution_row"));
  g_assert_cmpstr (gtk_string_object_get_string (item), ==, pixverse_request_get_resolution (expected));
  item = adw_combo_row_get_selected_item (CHILD (f, ADW_COMBO_ROW, "aspect_ratio_row"));
  g_assert_true (g_str_has_prefix (gtk_string_object_get_string (item), pixverse_request_get_aspect_ratio (expected)));
  item = adw_combo_row_get_selected_item (CHILD (f, ADW_COMBO_ROW, "duration_row"));
  g_assert_cmpint (atoi (gtk_string_object_get_string (item)), ==, pixverse_request_get_duration (expected));
  g_assert_cmpint (adw_switch_row_get_active (CHILD (f, ADW_SWITCH_ROW, "prompt_optimization_row")), ==,
                   pixverse_request_get_prompt_optimization (expected));
}

static void
test_set_request (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(PixverseRequest) image = NULL;
  g_autoptr(PixverseRequest) text = NULL;

  image = new_request ("A lighthouse at dusk, the camera circles it", PIXVERSE_MODE_IMAGE_TO_VIDEO,
                       "http://127.0.0.1:1/lighthouse.png", 3, "1080p", "9:16", 8, FALSE);
  pixverse_composer_set_request (f->composer, image);
  assert_form_shows (f, image);
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
  /* A copy: the composer keeps its own request. */
  g_assert_true (get_request (f) != image);

  text = new_request ("Rain on a window", PIXVERSE_MODE_TEXT_TO_VIDEO,
                      NULL, 1, "360p", "4:3", 5, TRUE);
  pixverse_composer_set_request (f->composer, text);
  assert_form_shows (f, text);

  /* And back, every field again. */
  pixverse_composer_set_request (f->composer, image);
  assert_form_shows (f, image);

  /* Editing the form later leaves the source alone. */
  gtk_text_buffer_set_text (get_buffer (f), "Something else", -1);
  g_assert_cmpstr (pixverse_request_get_prompt (image), ==, "A lighthouse at dusk, the camera circles it");
}

static void
test_upload (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GFile) file = write_png ("photo.png", 96, 54);
  g_autoptr(GBytes) contents = NULL;
  GdkPaintable *preview;
  const char *url;
  GBytes *uploaded;

  gtk_text_buffer_set_text (get_buffer (f), "The photo comes alive", -1);
  contents = g_file_load_bytes (file, NULL, NULL, NULL);

  _pixverse_composer_upload_file (f->composer, file);
  g_assert_true (_pixverse_composer_get_uploading (f->composer));
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_cmpstr (pixverse_composer_get_invalid_reason (f->composer), ==, "Uploading the image…");
  g_assert_cmpint (pixverse_request_get_mode (get_request (f)), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_true (gtk_widget_get_visible (CHILD (f, GTK_WIDGET, "upload_box")));
  g_assert_false (gtk_widget_get_sensitive (CHILD (f, GTK_WIDGET, "choose_button")));
  maybe_screenshot (f, "composer-uploading.png");

  WAIT_UNTIL (!_pixverse_composer_get_uploading (f->composer));
  g_assert_null (get_image_error (f));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "pre_url"), ==, 1);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 1);
  uploaded = fake_pixwith_get_last_upload_file (f->fake);
  g_assert_nonnull (uploaded);
  g_assert_true (g_bytes_equal (uploaded, contents));

  url = pixverse_request_get_image_url (get_request (f));
  g_assert_true (g_str_has_prefix (url, fake_pixwith_get_url (f->fake)));
  g_assert_nonnull (strstr (url, "/img/"));
  g_assert_cmpstr (gtk_editable_get_text (CHILD (f, GTK_EDITABLE, "image_url_row")), ==, url);
  g_assert_false (gtk_widget_get_visible (CHILD (f, GTK_WIDGET, "upload_box")));
  g_assert_true (gtk_widget_get_sensitive (CHILD (f, GTK_WIDGET, "choose_button")));
  g_assert_true (pixverse_composer_get_can_generate (f->composer));

  /* The preview is fetched from that address, as the service will. */
  WAIT_UNTIL (has_preview (f));
  g_assert_null (get_image_error (f));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "img"), ==, 1);
  preview = gtk_picture_get_paintable (CHILD (f, GTK_PICTURE, "preview_picture"));
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (preview), ==, 96);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (preview), ==, 54);
  g_assert_true (gtk_widget_get_visible (CHILD (f, GTK_WIDGET, "preview_clamp")));
  maybe_screenshot (f, "composer-image.png");

  /* Remove Image empties the address and the preview. */
  gtk_widget_activate_action (GTK_WIDGET (f->composer), "composer.remove-image", NULL);
  g_assert_null (pixverse_request_get_image_url (get_request (f)));
  g_assert_false (has_preview (f));
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
}

static void
test_upload_empty (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "empty.png", NULL);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_file_set_contents (path, "", 0, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  gtk_text_buffer_set_text (get_buffer (f), "Nothing to see", -1);
  _pixverse_composer_upload_file (f->composer, file);
  WAIT_UNTIL (!_pixverse_composer_get_uploading (f->composer));

  /* The core's own words, and nothing sent. */
  g_assert_nonnull (get_image_error (f));
  g_assert_nonnull (strstr (get_image_error (f), "is empty"));
  g_assert_true (gtk_widget_has_css_class (CHILD (f, GTK_WIDGET, "image_url_row"), "error"));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "pre_url"), ==, 0);
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 0);
  g_assert_null (pixverse_request_get_image_url (get_request (f)));
  g_assert_false (pixverse_composer_get_can_generate (f->composer));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "image"));
}

static void
test_upload_cancel (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GFile) file = write_png ("slow.png", 8, 8);
  FakeFault hang = { .kind = FAKE_FAULT_HANG };

  fake_pixwith_add_fault (f->fake, "s3", &hang, 1);
  gtk_text_buffer_set_text (get_buffer (f), "Never mind", -1);

  _pixverse_composer_upload_file (f->composer, file);
  WAIT_UNTIL (fake_pixwith_get_request_count (f->fake, "s3") == 1);
  g_assert_true (_pixverse_composer_get_uploading (f->composer));

  gtk_widget_activate_action (GTK_WIDGET (f->composer), "composer.cancel-upload", NULL);
  g_assert_false (_pixverse_composer_get_uploading (f->composer));
  g_assert_null (get_image_error (f));
  g_assert_null (pixverse_request_get_image_url (get_request (f)));
  g_assert_false (gtk_widget_get_visible (CHILD (f, GTK_WIDGET, "upload_box")));
  g_assert_true (str_contains_nocase (pixverse_composer_get_invalid_reason (f->composer), "image url"));

  /* A new upload afterwards works. */
  _pixverse_composer_upload_file (f->composer, file);
  WAIT_UNTIL (!_pixverse_composer_get_uploading (f->composer));
  g_assert_nonnull (pixverse_request_get_image_url (get_request (f)));
  g_assert_true (pixverse_composer_get_can_generate (f->composer));
}

static void
test_upload_dispose (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GFile) file = write_png ("closing.png", 8, 8);
  FakeFault hang = { .kind = FAKE_FAULT_HANG };

  fake_pixwith_add_fault (f->fake, "s3", &hang, 1);
  _pixverse_composer_upload_file (f->composer, file);
  WAIT_UNTIL (fake_pixwith_get_request_count (f->fake, "s3") == 1);

  /* Closing cancels the upload; the composer goes (checked in there). */
  close_window (f);
}

static void
test_paste (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GdkTexture) texture = make_texture (40, 30);
  g_autoptr(GdkTexture) uploaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *uploads = g_build_filename (g_get_user_cache_dir (), "pixverse-studio", "uploads", NULL);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (f->composer));

  /* An image: saved as a PNG, uploaded, and the PNG removed. */
  gdk_clipboard_set_texture (clipboard, texture);
  pixverse_composer_focus_prompt (f->composer);
  g_assert_true (_pixverse_composer_paste (f->composer));
  g_assert_true (_pixverse_composer_get_uploading (f->composer));
  g_assert_cmpstr (pixverse_composer_get_invalid_reason (f->composer), ==, "Uploading the image…");
  WAIT_UNTIL (!_pixverse_composer_get_uploading (f->composer));
  g_assert_null (get_image_error (f));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 1);
  g_assert_nonnull (strstr (pixverse_request_get_image_url (get_request (f)), "/img/"));
  g_assert_cmpint (pixverse_request_get_mode (get_request (f)), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);

  uploaded = gdk_texture_new_from_bytes (fake_pixwith_get_last_upload_file (f->fake), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (uploaded), ==, 40);
  g_assert_cmpint (gdk_texture_get_height (uploaded), ==, 30);

  dir = g_dir_open (uploads, 0, &error);
  g_assert_no_error (error);
  WAIT_UNTIL ((g_dir_rewind (dir), g_dir_read_name (dir) == NULL));

  /* An image address, with the focus outside the text fields. */
  gdk_clipboard_set_text (clipboard, "https://127.0.0.1:1/pasted.jpg\n");
  gtk_widget_grab_focus (CHILD (f, GTK_WIDGET, "resolution_row"));
  g_assert_true (_pixverse_composer_paste (f->composer));
  WAIT_UNTIL (g_strcmp0 (pixverse_request_get_image_url (get_request (f)), "https://127.0.0.1:1/pasted.jpg") == 0);

  /* Text in the prompt is the text view's to paste. */
  pixverse_composer_focus_prompt (f->composer);
  g_assert_false (_pixverse_composer_paste (f->composer));
  gtk_widget_grab_focus (CHILD (f, GTK_WIDGET, "image_url_row"));
  g_assert_false (_pixverse_composer_paste (f->composer));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 1);
}

static void
test_drop (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GFile) file = write_png ("dropped.png", 20, 20);
  g_auto(GValue) files = G_VALUE_INIT;
  g_auto(GValue) url = G_VALUE_INIT;
  g_auto(GValue) text = G_VALUE_INIT;
  GFile *array[1] = { file };

  g_value_init (&files, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&files, gdk_file_list_new_from_array (array, 1));
  g_assert_true (_pixverse_composer_drop_value (f->composer, &files));
  g_assert_true (_pixverse_composer_get_uploading (f->composer));
  WAIT_UNTIL (!_pixverse_composer_get_uploading (f->composer));
  g_assert_cmpuint (fake_pixwith_get_request_count (f->fake, "s3"), ==, 1);
  g_assert_nonnull (strstr (pixverse_request_get_image_url (get_request (f)), "/img/"));

  g_value_init (&url, G_TYPE_STRING);
  g_value_set_string (&url, "http://127.0.0.1:1/dropped.png");
  g_assert_true (_pixverse_composer_drop_value (f->composer, &url));
  g_assert_cmpstr (pixverse_request_get_image_url (get_request (f)), ==, "http://127.0.0.1:1/dropped.png");

  g_value_init (&text, G_TYPE_STRING);
  g_value_set_string (&text, "just some words");
  g_assert_false (_pixverse_composer_drop_value (f->composer, &text));
  g_assert_cmpstr (pixverse_request_get_image_url (get_request (f)), ==, "http://127.0.0.1:1/dropped.png");
}

static void
test_persist (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *saved = NULL;
  guint i_1080p = G_MAXUINT;
  guint i_9_16 = G_MAXUINT;
  const int *durations;
  guint n_durations = 0;

  for (guint i = 0; pixverse_request_get_resolutions ()[i] != NULL; i++)
    if (g_str_equal (pixverse_request_get_resolutions ()[i], "1080p"))
      i_1080p = i;
  for (guint i = 0; pixverse_request_get_aspect_ratios ()[i] != NULL; i++)
    if (g_str_equal (pixverse_request_get_aspect_ratios ()[i], "9:16"))
      i_9_16 = i;
  durations = pixverse_request_get_durations (&n_durations);

  set_mode (f, "image-to-video");
  adw_combo_row_set_selected (CHILD (f, ADW_COMBO_ROW, "num_outputs_row"), 3);
  adw_combo_row_set_selected (CHILD (f, ADW_COMBO_ROW, "resolution_row"), i_1080p);
  adw_combo_row_set_selected (CHILD (f, ADW_COMBO_ROW, "aspect_ratio_row"), i_9_16);
  adw_combo_row_set_selected (CHILD (f, ADW_COMBO_ROW, "duration_row"), n_durations - 1);
  adw_switch_row_set_active (CHILD (f, ADW_SWITCH_ROW, "prompt_optimization_row"), FALSE);

  saved = g_settings_get_string (settings, "resolution");
  g_assert_cmpstr (saved, ==, "1080p");
  g_assert_cmpint (g_settings_get_enum (settings, "mode"), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);

  close_window (f);
  open_window (f);

  /* Options come back; the prompt and the image do not. */
  g_assert_cmpint (pixverse_request_get_mode (get_request (f)), ==, PIXVERSE_MODE_IMAGE_TO_VIDEO);
  g_assert_cmpint (pixverse_request_get_num_outputs (get_request (f)), ==, 4);
  g_assert_cmpstr (pixverse_request_get_resolution (get_request (f)), ==, "1080p");
  g_assert_cmpuint (adw_combo_row_get_selected (CHILD (f, ADW_COMBO_ROW, "resolution_row")), ==, i_1080p);
  g_assert_cmpstr (pixverse_request_get_aspect_ratio (get_request (f)), ==, "9:16");
  g_assert_cmpint (pixverse_request_get_duration (get_request (f)), ==, durations[n_durations - 1]);
  g_assert_false (pixverse_request_get_prompt_optimization (get_request (f)));
  g_assert_cmpstr (pixverse_request_get_prompt (get_request (f)), ==, "");
  g_assert_null (pixverse_request_get_image_url (get_request (f)));

  /* A change made elsewhere (Preferences) shows too. */
  g_settings_set_string (settings, "resolution", "540p");
  WAIT_UNTIL (g_strcmp0 (pixverse_request_get_resolution (get_request (f)), "540p") == 0);
}

static void
collect_labels (GtkWidget  *widget,
                GHashTable *found)
{
  static const char * const names[] = {
    "Prompt", "Image URL", "Choose Image", "Number of videos", "Resolution",
    "Aspect ratio", "Duration", "Prompt optimization", "Generate",
  };

  /* A label's accessible name is its own text: it names nothing else. */
  if (!GTK_IS_LABEL (widget) &&
      gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL))
    {
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_autofree char *mismatch =
            gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, names[i]);

          if (mismatch == NULL)
            {
              /* One control per name. */
              g_assert_false (g_hash_table_contains (found, names[i]));
              g_hash_table_insert (found, (gpointer) names[i], widget);
            }
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, found);
}

static void
test_accessible_names (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GHashTable) found = g_hash_table_new (g_str_hash, g_str_equal);
  GtkWidget *generate;

  /* The image's controls too, which exist once image-to-video is chosen. */
  set_mode (f, "image-to-video");
  collect_labels (GTK_WIDGET (f->window), found);

  g_assert_cmpuint (g_hash_table_size (found), ==, 9);
  g_assert_true (GTK_IS_TEXT_VIEW (g_hash_table_lookup (found, "Prompt")));
  g_assert_true (ADW_IS_ENTRY_ROW (g_hash_table_lookup (found, "Image URL")));
  g_assert_true (GTK_IS_BUTTON (g_hash_table_lookup (found, "Choose Image")));
  g_assert_true (ADW_IS_COMBO_ROW (g_hash_table_lookup (found, "Number of videos")));
  g_assert_true (ADW_IS_COMBO_ROW (g_hash_table_lookup (found, "Resolution")));
  g_assert_true (ADW_IS_COMBO_ROW (g_hash_table_lookup (found, "Aspect ratio")));
  g_assert_true (ADW_IS_COMBO_ROW (g_hash_table_lookup (found, "Duration")));
  g_assert_true (ADW_IS_SWITCH_ROW (g_hash_table_lookup (found, "Prompt optimization")));

  generate = g_hash_table_lookup (found, "Generate");
  g_assert_true (GTK_IS_BUTTON (generate));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (generate)), ==, "win.generate");
  g_assert_true (gtk_widget_has_css_class (generate, "suggested-action"));
  g_assert_true (gtk_widget_has_css_class (generate, "pill"));

  /* The prompt takes no Tab, so Tab leaves it for the next control. */
  g_assert_false (gtk_text_view_get_accepts_tab (g_hash_table_lookup (found, "Prompt")));
}

/* Generate is the window's "win.generate", from the button and from
 * Ctrl+Return, which runs before the text view would take it as a newline. */
static void
test_generate (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GListModel) controllers = NULL;
  GtkShortcutAction *ctrl_return = NULL;
  GtkWidget *button = CHILD (f, GTK_WIDGET, "generate_button");

  controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->composer));
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && ctrl_return == NULL; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (strstr (trigger, "<Control>Return") != NULL)
            {
              g_assert_cmpint (gtk_event_controller_get_propagation_phase (controller), ==, GTK_PHASE_CAPTURE);
              ctrl_return = gtk_shortcut_get_action (shortcut);
              break;
            }
        }
    }
  g_assert_nonnull (ctrl_return);

  /* Off while the request is invalid: nothing happens, nothing is typed. */
  g_assert_false (gtk_widget_get_sensitive (button));
  g_assert_true (gtk_shortcut_action_activate (ctrl_return, 0, GTK_WIDGET (f->composer), NULL));
  g_assert_cmpuint (f->n_generate, ==, 0);

  gtk_text_buffer_set_text (get_buffer (f), "Waves at night", -1);
  g_assert_true (gtk_widget_get_sensitive (button));
  gtk_widget_activate (button);
  WAIT_UNTIL (f->n_generate == 1);
  g_assert_true (gtk_shortcut_action_activate (ctrl_return, 0, GTK_WIDGET (f->composer), NULL));
  g_assert_cmpuint (f->n_generate, ==, 2);

  maybe_screenshot (f, "composer-text.png");
}

int
main (int   argc,
      char *argv[])
{
  pixverse_test_keep_mime_database ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  adw_init ();

  /* Pulls the GUI's resources (the template) into this program. */
  g_assert_nonnull (pixverse_get_resource ());

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/composer/prompt", test_prompt);
  ADD ("/composer/image-url", test_image_url);
  ADD ("/composer/preview", test_preview);
  ADD ("/composer/options", test_options);
  ADD ("/composer/set-request", test_set_request);
  ADD ("/composer/upload", test_upload);
  ADD ("/composer/upload-empty", test_upload_empty);
  ADD ("/composer/upload-cancel", test_upload_cancel);
  ADD ("/composer/upload-dispose", test_upload_dispose);
  ADD ("/composer/paste", test_paste);
  ADD ("/composer/drop", test_drop);
  ADD ("/composer/persist", test_persist);
  ADD ("/composer/accessible-names", test_accessible_names);
  ADD ("/composer/generate", test_generate);

#undef ADD

  return g_test_run ();
}
