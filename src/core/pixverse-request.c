/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-request"

#include "config.h"

#include "pixverse-request.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "pixverse-error.h"

/*
 * One `/api/task/create` call (DESIGN §2), as a person fills it in.
 *
 * Setters take whatever they are given, because a form sets what the person
 * typed and only then asks whether it is acceptable; validation is separate
 * and per field, so the form can point at the one that is wrong. Only a valid
 * request ever becomes a body (to_json validates first) and only a valid body
 * ever becomes a request again (new_from_json validates last), so the history
 * can never hold, nor resend, something the service would refuse for a
 * reason we knew of.
 *
 * The tables below are the one copy of the allowed values: the GUI and the
 * command line ask for them instead of repeating them.
 */

#define DEFAULT_RESOLUTION "720p"
#define DEFAULT_ASPECT_RATIO "16:9"
#define DEFAULT_DURATION 5
#define DEFAULT_NUM_OUTPUTS 1
/* Enough of a bad value to recognise it, not enough to flood a toast. */
#define MAX_QUOTED_CHARS 40
#define MAX_PARSE_ERROR_CHARS 120

struct _PixverseRequest
{
  GObject       parent_instance;

  char         *prompt;
  char         *image_url;
  char         *resolution;
  char         *aspect_ratio;
  PixverseMode  mode;
  int           num_outputs;
  int           duration;
  guint         prompt_optimization : 1;
};

G_DEFINE_FINAL_TYPE (PixverseRequest, pixverse_request, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROMPT,
  PROP_MODE,
  PROP_IMAGE_URL,
  PROP_NUM_OUTPUTS,
  PROP_RESOLUTION,
  PROP_ASPECT_RATIO,
  PROP_DURATION,
  PROP_PROMPT_OPTIMIZATION,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static const char * const resolutions[] = { "360p", "540p", "720p", "1080p", NULL };
static const char * const aspect_ratios[] = { "16:9", "4:3", "1:1", "3:4", "9:16", NULL };
static const int durations[] = { 5, 8 };

/* Every member of the body, so that anything else is refused when reading. */
static const char * const body_members[] = { "prompt", "image_urls", "model_id", "options", NULL };
static const char * const option_members[] = {
  "prompt_optimization", "num_outputs", "resolution", "aspect_ratio", "duration", NULL
};

GType
pixverse_mode_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { PIXVERSE_MODE_TEXT_TO_VIDEO, "PIXVERSE_MODE_TEXT_TO_VIDEO", "text-to-video" },
        { PIXVERSE_MODE_IMAGE_TO_VIDEO, "PIXVERSE_MODE_IMAGE_TO_VIDEO", "image-to-video" },
        { 0, NULL, NULL }
      };
      GType id = g_enum_register_static (g_intern_static_string ("PixverseMode"), values);

      g_once_init_leave (&type_id, id);
    }

  return type_id;
}

static gboolean
str_in (const char * const *set,
        const char         *value)
{
  return value != NULL && g_strv_contains (set, value);
}

/* Bad values go into messages meant for a person: keep them valid UTF-8, short,
 * and free of control characters that would garble a terminal or a label. */
static char *
clean_text (const char *value,
            guint       max_chars)
{
  g_autofree char *valid = NULL;
  GString *out;
  guint n_chars = 0;

  if (value == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (value, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars == max_chars)
        {
          g_string_append (out, "…");
          break;
        }

      if (g_unichar_iscntrl (c))
        c = 0xFFFD;
      g_string_append_unichar (out, c);
      n_chars++;
    }

  return g_string_free (out, FALSE);
}

static char *
quote_value (const char *value)
{
  return clean_text (value, MAX_QUOTED_CHARS);
}

/* Unicode's White_Space property: g_unichar_isspace() is the separators plus
 * four ASCII controls, and leaves out the vertical tab and NEL. */
static gboolean
is_white_space (gunichar c)
{
  return g_unichar_isspace (c) || c == 0x0B || c == 0x85;
}

/* g_strstrip() only knows ASCII; a prompt pasted from elsewhere often ends in
 * a no-break space or an ideographic space, which the service would count as
 * text. @text must be valid UTF-8. */
static char *
dup_trimmed (const char *text)
{
  const char *start = text;
  const char *end = text + strlen (text);

  while (*start != '\0' && is_white_space (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);

  while (end > start)
    {
      const char *prev = g_utf8_prev_char (end);

      if (!is_white_space (g_utf8_get_char (prev)))
        break;
      end = prev;
    }

  return g_strndup (start, end - start);
}

static char *
join_durations (void)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    g_string_append_printf (out, "%s%d", i > 0 ? ", " : "", durations[i]);

  return g_string_free (out, FALSE);
}

static gboolean
is_web_address (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (!g_utf8_validate (url, -1, NULL))
    return FALSE;

  /* A strict GUri still takes some of these (percent-decoded or not), and the
   * service would get an address that is not the one the person meant. */
  for (const char *p = url; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_white_space (c) || g_unichar_iscntrl (c))
        return FALSE;
    }

  /* G_URI_FLAGS_NONE is the strict RFC 3986 grammar (no PARSE_RELAXED fix-ups)
   * and decodes the host, so a broken %-escape or a relative reference is
   * refused here rather than by the service. */
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  if (scheme == NULL ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    return FALSE;

  host = g_uri_get_host (uri);
  return host != NULL && *host != '\0';
}

static gboolean
validate_prompt (PixverseRequest  *self,
                 GError          **error)
{
  g_autofree char *trimmed = NULL;

  g_assert (PIXVERSE_IS_REQUEST (self));

  if (!g_utf8_validate (self->prompt, -1, NULL))
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The prompt is not valid UTF-8 text"));
      return FALSE;
    }

  trimmed = dup_trimmed (self->prompt);
  if (*trimmed == '\0')
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The prompt is empty"));
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_image_url (PixverseRequest  *self,
                    GError          **error)
{
  g_autofree char *quoted = NULL;

  g_assert (PIXVERSE_IS_REQUEST (self));

  /* In text-to-video the image URL is ignored: neither checked nor sent. A
   * form keeps what the person typed while they switch modes back and forth,
   * and a stale address there must not block a text-to-video job. */
  if (self->mode != PIXVERSE_MODE_IMAGE_TO_VIDEO)
    return TRUE;

  if (self->image_url == NULL || *self->image_url == '\0')
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("Image-to-video needs an image URL"));
      return FALSE;
    }

  if (is_web_address (self->image_url))
    return TRUE;

  quoted = quote_value (self->image_url);
  g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
               _("The image URL must be an http:// or https:// address, not “%s”"),
               quoted);
  return FALSE;
}

static void
pixverse_request_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PixverseRequest *self = PIXVERSE_REQUEST (object);

  switch (prop_id)
    {
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;

    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;

    case PROP_IMAGE_URL:
      g_value_set_string (value, self->image_url);
      break;

    case PROP_NUM_OUTPUTS:
      g_value_set_int (value, self->num_outputs);
      break;

    case PROP_RESOLUTION:
      g_value_set_string (value, self->resolution);
      break;

    case PROP_ASPECT_RATIO:
      g_value_set_string (value, self->aspect_ratio);
      break;

    case PROP_DURATION:
      g_value_set_int (value, self->duration);
      break;

    case PROP_PROMPT_OPTIMIZATION:
      g_value_set_boolean (value, self->prompt_optimization);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_request_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PixverseRequest *self = PIXVERSE_REQUEST (object);

  switch (prop_id)
    {
    case PROP_PROMPT:
      pixverse_request_set_prompt (self, g_value_get_string (value));
      break;

    case PROP_MODE:
      pixverse_request_set_mode (self, g_value_get_enum (value));
      break;

    case PROP_IMAGE_URL:
      pixverse_request_set_image_url (self, g_value_get_string (value));
      break;

    case PROP_NUM_OUTPUTS:
      pixverse_request_set_num_outputs (self, g_value_get_int (value));
      break;

    case PROP_RESOLUTION:
      pixverse_request_set_resolution (self, g_value_get_string (value));
      break;

    case PROP_ASPECT_RATIO:
      pixverse_request_set_aspect_ratio (self, g_value_get_string (value));
      break;

    case PROP_DURATION:
      pixverse_request_set_duration (self, g_value_get_int (value));
      break;

    case PROP_PROMPT_OPTIMIZATION:
      pixverse_request_set_prompt_optimization (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pixverse_request_finalize (GObject *object)
{
  PixverseRequest *self = PIXVERSE_REQUEST (object);

  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->image_url, g_free);
  g_clear_pointer (&self->resolution, g_free);
  g_clear_pointer (&self->aspect_ratio, g_free);

  G_OBJECT_CLASS (pixverse_request_parent_class)->finalize (object);
}

static void
pixverse_request_class_init (PixverseRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = pixverse_request_finalize;
  object_class->get_property = pixverse_request_get_property;
  object_class->set_property = pixverse_request_set_property;

  properties [PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, "", flags);

  properties [PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL,
                       PIXVERSE_TYPE_MODE, PIXVERSE_MODE_TEXT_TO_VIDEO, flags);

  properties [PROP_IMAGE_URL] =
    g_param_spec_string ("image-url", NULL, NULL, NULL, flags);

  /* The numeric properties take any int on purpose: the range is for
   * validate_field() to explain, not for GObject to refuse with a warning. */
  properties [PROP_NUM_OUTPUTS] =
    g_param_spec_int ("num-outputs", NULL, NULL,
                      G_MININT, G_MAXINT, DEFAULT_NUM_OUTPUTS, flags);

  properties [PROP_RESOLUTION] =
    g_param_spec_string ("resolution", NULL, NULL, DEFAULT_RESOLUTION, flags);

  properties [PROP_ASPECT_RATIO] =
    g_param_spec_string ("aspect-ratio", NULL, NULL, DEFAULT_ASPECT_RATIO, flags);

  properties [PROP_DURATION] =
    g_param_spec_int ("duration", NULL, NULL,
                      G_MININT, G_MAXINT, DEFAULT_DURATION, flags);

  properties [PROP_PROMPT_OPTIMIZATION] =
    g_param_spec_boolean ("prompt-optimization", NULL, NULL, TRUE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pixverse_request_init (PixverseRequest *self)
{
  self->prompt = g_strdup ("");
  self->image_url = NULL;
  self->resolution = g_strdup (DEFAULT_RESOLUTION);
  self->aspect_ratio = g_strdup (DEFAULT_ASPECT_RATIO);
  self->mode = PIXVERSE_MODE_TEXT_TO_VIDEO;
  self->num_outputs = DEFAULT_NUM_OUTPUTS;
  self->duration = DEFAULT_DURATION;
  self->prompt_optimization = TRUE;
}

/**
 * pixverse_request_new:
 *
 * Creates a request with the defaults: text-to-video, an empty prompt, one
 * 5 s video at 720p and 16:9, with prompt optimization.
 *
 * Returns: (transfer full): a new #PixverseRequest
 */
PixverseRequest *
pixverse_request_new (void)
{
  return g_object_new (PIXVERSE_TYPE_REQUEST, NULL);
}

/**
 * pixverse_request_copy:
 * @self: a #PixverseRequest
 *
 * Copies every value of @self, valid or not, e.g. to reuse the settings of a
 * finished job without touching the job's own request.
 *
 * Returns: (transfer full): a new #PixverseRequest
 */
PixverseRequest *
pixverse_request_copy (PixverseRequest *self)
{
  PixverseRequest *copy;

  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);

  copy = pixverse_request_new ();
  g_set_str (&copy->prompt, self->prompt);
  g_set_str (&copy->image_url, self->image_url);
  g_set_str (&copy->resolution, self->resolution);
  g_set_str (&copy->aspect_ratio, self->aspect_ratio);
  copy->mode = self->mode;
  copy->num_outputs = self->num_outputs;
  copy->duration = self->duration;
  copy->prompt_optimization = self->prompt_optimization;

  return copy;
}

/**
 * pixverse_request_get_prompt:
 * @self: a #PixverseRequest
 *
 * Returns: (transfer none): the prompt as it was set, untrimmed; never %NULL
 */
const char *
pixverse_request_get_prompt (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);

  return self->prompt;
}

/**
 * pixverse_request_set_prompt:
 * @self: a #PixverseRequest
 * @prompt: (nullable): the text to turn into a video; %NULL is the empty prompt
 *
 * Stores @prompt as it is; pixverse_request_validate_field() says whether it
 * is usable, and the body carries it trimmed.
 */
void
pixverse_request_set_prompt (PixverseRequest *self,
                             const char      *prompt)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (g_set_str (&self->prompt, prompt != NULL ? prompt : ""))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROMPT]);
}

/**
 * pixverse_request_get_mode:
 * @self: a #PixverseRequest
 *
 * Returns: text-to-video or image-to-video
 */
PixverseMode
pixverse_request_get_mode (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), PIXVERSE_MODE_TEXT_TO_VIDEO);

  return self->mode;
}

/**
 * pixverse_request_set_mode:
 * @self: a #PixverseRequest
 * @mode: a #PixverseMode
 *
 * Switching to text-to-video keeps the image URL, so that switching back
 * restores it; it is simply not sent.
 */
void
pixverse_request_set_mode (PixverseRequest *self,
                           PixverseMode     mode)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (self->mode != mode)
    {
      self->mode = mode;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MODE]);
    }
}

/**
 * pixverse_request_get_image_url:
 * @self: a #PixverseRequest
 *
 * Returns: (transfer none) (nullable): the image URL as it was set
 */
const char *
pixverse_request_get_image_url (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);

  return self->image_url;
}

/**
 * pixverse_request_set_image_url:
 * @self: a #PixverseRequest
 * @image_url: (nullable): the http(s) address of the first frame
 *
 * Only used in image-to-video mode.
 */
void
pixverse_request_set_image_url (PixverseRequest *self,
                                const char      *image_url)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (g_set_str (&self->image_url, image_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_IMAGE_URL]);
}

/**
 * pixverse_request_get_num_outputs:
 * @self: a #PixverseRequest
 *
 * Returns: how many videos to make
 */
int
pixverse_request_get_num_outputs (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), 0);

  return self->num_outputs;
}

/**
 * pixverse_request_set_num_outputs:
 * @self: a #PixverseRequest
 * @num_outputs: how many videos to make, valid from %PIXVERSE_MIN_OUTPUTS to
 *   %PIXVERSE_MAX_OUTPUTS
 */
void
pixverse_request_set_num_outputs (PixverseRequest *self,
                                  int              num_outputs)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (self->num_outputs != num_outputs)
    {
      self->num_outputs = num_outputs;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_NUM_OUTPUTS]);
    }
}

/**
 * pixverse_request_get_resolution:
 * @self: a #PixverseRequest
 *
 * Returns: (transfer none) (nullable): the resolution as it was set
 */
const char *
pixverse_request_get_resolution (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);

  return self->resolution;
}

/**
 * pixverse_request_set_resolution:
 * @self: a #PixverseRequest
 * @resolution: (nullable): one of pixverse_request_get_resolutions()
 */
void
pixverse_request_set_resolution (PixverseRequest *self,
                                 const char      *resolution)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (g_set_str (&self->resolution, resolution))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_RESOLUTION]);
}

/**
 * pixverse_request_get_aspect_ratio:
 * @self: a #PixverseRequest
 *
 * Returns: (transfer none) (nullable): the aspect ratio as it was set
 */
const char *
pixverse_request_get_aspect_ratio (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);

  return self->aspect_ratio;
}

/**
 * pixverse_request_set_aspect_ratio:
 * @self: a #PixverseRequest
 * @aspect_ratio: (nullable): one of pixverse_request_get_aspect_ratios()
 */
void
pixverse_request_set_aspect_ratio (PixverseRequest *self,
                                   const char      *aspect_ratio)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (g_set_str (&self->aspect_ratio, aspect_ratio))
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_ASPECT_RATIO]);
}

/**
 * pixverse_request_get_duration:
 * @self: a #PixverseRequest
 *
 * Returns: the length of each video in seconds
 */
int
pixverse_request_get_duration (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), 0);

  return self->duration;
}

/**
 * pixverse_request_set_duration:
 * @self: a #PixverseRequest
 * @duration: seconds, one of pixverse_request_get_durations()
 */
void
pixverse_request_set_duration (PixverseRequest *self,
                               int              duration)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  if (self->duration != duration)
    {
      self->duration = duration;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DURATION]);
    }
}

/**
 * pixverse_request_get_prompt_optimization:
 * @self: a #PixverseRequest
 *
 * Returns: whether the service may translate the prompt to English
 */
gboolean
pixverse_request_get_prompt_optimization (PixverseRequest *self)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), FALSE);

  return self->prompt_optimization;
}

/**
 * pixverse_request_set_prompt_optimization:
 * @self: a #PixverseRequest
 * @prompt_optimization: whether the service may translate the prompt to English
 */
void
pixverse_request_set_prompt_optimization (PixverseRequest *self,
                                          gboolean         prompt_optimization)
{
  g_return_if_fail (PIXVERSE_IS_REQUEST (self));

  prompt_optimization = !!prompt_optimization;
  if (self->prompt_optimization != (guint) prompt_optimization)
    {
      self->prompt_optimization = prompt_optimization;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PROMPT_OPTIMIZATION]);
    }
}

/**
 * pixverse_request_validate_field:
 * @self: a #PixverseRequest
 * @field: the field to check
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST naming @field
 *
 * Checks one field against what the service accepts (DESIGN §2), so that a
 * form can mark the one that is wrong. The image URL is only checked in
 * image-to-video mode.
 *
 * Returns: %TRUE if @field is valid
 */
gboolean
pixverse_request_validate_field (PixverseRequest       *self,
                                 PixverseRequestField   field,
                                 GError               **error)
{
  g_autofree char *quoted = NULL;
  g_autofree char *allowed = NULL;

  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), FALSE);
  g_return_val_if_fail ((guint) field < PIXVERSE_REQUEST_N_FIELDS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (field)
    {
    case PIXVERSE_REQUEST_FIELD_PROMPT:
      return validate_prompt (self, error);

    case PIXVERSE_REQUEST_FIELD_MODE:
      if (self->mode == PIXVERSE_MODE_TEXT_TO_VIDEO || self->mode == PIXVERSE_MODE_IMAGE_TO_VIDEO)
        return TRUE;
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The mode must be text-to-video or image-to-video, not %d"),
                   (int) self->mode);
      return FALSE;

    case PIXVERSE_REQUEST_FIELD_IMAGE_URL:
      return validate_image_url (self, error);

    case PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS:
      if (self->num_outputs >= PIXVERSE_MIN_OUTPUTS && self->num_outputs <= PIXVERSE_MAX_OUTPUTS)
        return TRUE;
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The number of videos must be from %d to %d, not %d"),
                   PIXVERSE_MIN_OUTPUTS, PIXVERSE_MAX_OUTPUTS, self->num_outputs);
      return FALSE;

    case PIXVERSE_REQUEST_FIELD_RESOLUTION:
      if (str_in (resolutions, self->resolution))
        return TRUE;
      quoted = quote_value (self->resolution);
      allowed = g_strjoinv (", ", (char **) resolutions);
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The resolution must be one of %s, not “%s”"),
                   allowed, quoted);
      return FALSE;

    case PIXVERSE_REQUEST_FIELD_ASPECT_RATIO:
      if (str_in (aspect_ratios, self->aspect_ratio))
        return TRUE;
      quoted = quote_value (self->aspect_ratio);
      allowed = g_strjoinv (", ", (char **) aspect_ratios);
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The aspect ratio must be one of %s, not “%s”"),
                   allowed, quoted);
      return FALSE;

    case PIXVERSE_REQUEST_FIELD_DURATION:
      for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
        {
          if (durations[i] == self->duration)
            return TRUE;
        }
      allowed = join_durations ();
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The duration must be one of %s seconds, not %d"),
                   allowed, self->duration);
      return FALSE;

    case PIXVERSE_REQUEST_N_FIELDS:
    default:
      break;
    }

  g_return_val_if_reached (FALSE);
}

/**
 * pixverse_request_validate:
 * @self: a #PixverseRequest
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Checks every field in the order of #PixverseRequestField and reports the
 * first one that is wrong.
 *
 * Returns: %TRUE if the service would get a request it accepts
 */
gboolean
pixverse_request_validate (PixverseRequest  *self,
                           GError          **error)
{
  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint field = 0; field < PIXVERSE_REQUEST_N_FIELDS; field++)
    {
      if (!pixverse_request_validate_field (self, field, error))
        return FALSE;
    }

  return TRUE;
}

/**
 * pixverse_request_to_json:
 * @self: a #PixverseRequest
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Builds the exact body of `/api/task/create`: the trimmed prompt,
 * `image_urls` only for image-to-video, the Pixverse V5 model id and every
 * option, with JSON booleans and integers where the service wants them.
 *
 * Returns: (transfer full) (nullable): the body, or %NULL if @self is invalid
 */
JsonNode *
pixverse_request_to_json (PixverseRequest  *self,
                          GError          **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *prompt = NULL;

  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!pixverse_request_validate (self, error))
    return NULL;

  prompt = dup_trimmed (self->prompt);
  builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "prompt");
  json_builder_add_string_value (builder, prompt);

  /* The service takes the field's mere presence as image-to-video. */
  if (self->mode == PIXVERSE_MODE_IMAGE_TO_VIDEO)
    {
      json_builder_set_member_name (builder, "image_urls");
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, self->image_url);
      json_builder_end_array (builder);
    }

  json_builder_set_member_name (builder, "model_id");
  json_builder_add_string_value (builder, PIXVERSE_MODEL_ID);

  json_builder_set_member_name (builder, "options");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "prompt_optimization");
  json_builder_add_boolean_value (builder, self->prompt_optimization);
  json_builder_set_member_name (builder, "num_outputs");
  json_builder_add_int_value (builder, self->num_outputs);
  json_builder_set_member_name (builder, "resolution");
  json_builder_add_string_value (builder, self->resolution);
  json_builder_set_member_name (builder, "aspect_ratio");
  json_builder_add_string_value (builder, self->aspect_ratio);
  json_builder_set_member_name (builder, "duration");
  json_builder_add_int_value (builder, self->duration);
  json_builder_end_object (builder);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * pixverse_request_to_string:
 * @self: a #PixverseRequest
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * The body of pixverse_request_to_json() as compact JSON text, as it is sent
 * and as the history keeps it.
 *
 * Returns: (transfer full) (nullable): the body, or %NULL if @self is invalid
 */
char *
pixverse_request_to_string (PixverseRequest  *self,
                            GError          **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (PIXVERSE_IS_REQUEST (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  node = pixverse_request_to_json (self, error);
  if (node == NULL)
    return NULL;

  return json_to_string (node, FALSE);
}

static gboolean
check_members (JsonObject          *object,
               const char * const  *known,
               const char          *prefix,
               GError             **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      g_autofree char *quoted = NULL;

      if (g_strv_contains (known, name))
        continue;

      /* A member we do not know is a body we did not write: refuse it rather
       * than drop something the person (or a newer version) meant. */
      quoted = quote_value (name);
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request has an unknown member “%s%s”"),
                   prefix, quoted);
      return FALSE;
    }

  return TRUE;
}

static JsonNode *
get_value_member (JsonObject  *object,
                  const char  *path,
                  const char  *name,
                  GType        type,
                  const char  *type_name,
                  GError     **error)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member == NULL)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request has no member “%s”"), path);
      return NULL;
    }

  /* json-glib keeps 5.0 as a double and "5" as a string: only the exact JSON
   * type counts, so a body that would mean something else to the service
   * never passes for a valid one. */
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != type)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   /* Translators: the second %s is "a string", "an integer" or "a boolean" */
                   _("The request member “%s” must be %s"), path, type_name);
      return NULL;
    }

  return member;
}

static const char *
get_string_member (JsonObject  *object,
                   const char  *path,
                   const char  *name,
                   GError     **error)
{
  JsonNode *member = get_value_member (object, path, name, G_TYPE_STRING, _("a string"), error);

  return member != NULL ? json_node_get_string (member) : NULL;
}

static gboolean
get_int_member (JsonObject  *object,
                const char  *path,
                const char  *name,
                int         *value,
                GError     **error)
{
  JsonNode *member = get_value_member (object, path, name, G_TYPE_INT64, _("an integer"), error);
  gint64 number;

  if (member == NULL)
    return FALSE;

  /* json-glib clamps what overflows to the gint64 limits; anything outside
   * int is refused here, before a cast could make a huge count look small. */
  number = json_node_get_int (member);
  if (number < G_MININT || number > G_MAXINT)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request member “%s” is out of range"), path);
      return FALSE;
    }

  *value = (int) number;
  return TRUE;
}

static gboolean
get_boolean_member (JsonObject  *object,
                    const char  *path,
                    const char  *name,
                    gboolean    *value,
                    GError     **error)
{
  JsonNode *member = get_value_member (object, path, name, G_TYPE_BOOLEAN, _("a boolean"), error);

  if (member == NULL)
    return FALSE;

  *value = json_node_get_boolean (member);
  return TRUE;
}

/* Fills @self from the body's image_urls member, if any: its presence is what
 * makes a request image-to-video. */
static gboolean
read_image_urls (PixverseRequest  *self,
                 JsonObject       *body,
                 GError          **error)
{
  JsonNode *member;
  JsonArray *array;
  JsonNode *element;

  g_assert (PIXVERSE_IS_REQUEST (self));

  member = json_object_get_member (body, "image_urls");
  if (member == NULL)
    {
      self->mode = PIXVERSE_MODE_TEXT_TO_VIDEO;
      return TRUE;
    }

  array = JSON_NODE_HOLDS_ARRAY (member) ? json_node_get_array (member) : NULL;
  if (array == NULL || json_array_get_length (array) != 1)
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request member “image_urls” must be a list of exactly one image URL"));
      return FALSE;
    }

  element = json_array_get_element (array, 0);
  if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request member “%s” must be %s"), "image_urls[0]", _("a string"));
      return FALSE;
    }

  self->mode = PIXVERSE_MODE_IMAGE_TO_VIDEO;
  g_set_str (&self->image_url, json_node_get_string (element));
  return TRUE;
}

/**
 * pixverse_request_new_from_json:
 * @node: a body as pixverse_request_to_json() makes it
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Reads a `/api/task/create` body back, e.g. from the history. Only that
 * exact shape is accepted: every member present with its JSON type, no
 * other member, the Pixverse V5 model, and values that pass
 * pixverse_request_validate().
 *
 * Returns: (transfer full) (nullable): the request, or %NULL
 */
PixverseRequest *
pixverse_request_new_from_json (JsonNode  *node,
                                GError   **error)
{
  g_autoptr(PixverseRequest) self = NULL;
  JsonObject *body;
  JsonObject *options;
  JsonNode *member;
  const char *text;
  gboolean optimization = FALSE;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request is not a JSON object"));
      return NULL;
    }

  body = json_node_get_object (node);
  if (!check_members (body, body_members, "", error))
    return NULL;

  self = pixverse_request_new ();

  if ((text = get_string_member (body, "prompt", "prompt", error)) == NULL)
    return NULL;
  g_set_str (&self->prompt, text);

  if (!read_image_urls (self, body, error))
    return NULL;

  if ((text = get_string_member (body, "model_id", "model_id", error)) == NULL)
    return NULL;
  if (g_strcmp0 (text, PIXVERSE_MODEL_ID) != 0)
    {
      g_autofree char *quoted = quote_value (text);

      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request member “model_id” must be “%s”, not “%s”"),
                   PIXVERSE_MODEL_ID, quoted);
      return NULL;
    }

  member = json_object_get_member (body, "options");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    {
      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request member “%s” must be %s"), "options", _("an object"));
      return NULL;
    }
  options = json_node_get_object (member);
  if (!check_members (options, option_members, "options.", error))
    return NULL;

  if (!get_boolean_member (options, "options.prompt_optimization", "prompt_optimization",
                           &optimization, error))
    return NULL;
  self->prompt_optimization = !!optimization;

  if (!get_int_member (options, "options.num_outputs", "num_outputs", &self->num_outputs, error))
    return NULL;

  if ((text = get_string_member (options, "options.resolution", "resolution", error)) == NULL)
    return NULL;
  g_set_str (&self->resolution, text);

  if ((text = get_string_member (options, "options.aspect_ratio", "aspect_ratio", error)) == NULL)
    return NULL;
  g_set_str (&self->aspect_ratio, text);

  if (!get_int_member (options, "options.duration", "duration", &self->duration, error))
    return NULL;

  if (!pixverse_request_validate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* json-glib 1.10 decodes "\u0000" into a NUL that silently cuts the C string
 * short ("a\u0000b" comes back as "a"), so such a body would read back as a
 * request other than the one written. The scan only tracks strings and
 * escapes; the parser judges everything else. */
static gboolean
has_escaped_nul (const char *json,
                 gsize       length)
{
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      if (!in_string)
        {
          in_string = json[i] == '"';
          continue;
        }

      if (json[i] == '"')
        {
          in_string = FALSE;
        }
      else if (json[i] == '\\')
        {
          if (i + 5 < length && json[i + 1] == 'u' && memcmp (json + i + 2, "0000", 4) == 0)
            return TRUE;
          /* whatever is escaped, even a quote, stays inside the string */
          i++;
        }
    }

  return FALSE;
}

/**
 * pixverse_request_new_from_string:
 * @json: JSON text, as pixverse_request_to_string() makes it
 * @length: the length of @json in bytes, or -1 if it is nul-terminated
 * @error: the place for a %PIXVERSE_ERROR_INVALID_REQUEST
 *
 * Parses @json strictly (no comments, one value) and reads it with
 * pixverse_request_new_from_json(). Any bytes are safe to pass: invalid
 * UTF-8, a NUL inside @length, deep nesting and huge numbers are errors.
 *
 * Returns: (transfer full) (nullable): the request, or %NULL
 */
PixverseRequest *
pixverse_request_new_from_string (const char  *json,
                                  gssize       length,
                                  GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = strlen (json);
  else if (memchr (json, '\0', length) != NULL)
    {
      /* json-glib would stop there and read a different, shorter body. */
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request contains a NUL byte"));
      return NULL;
    }

  if (!g_utf8_validate_len (json, length, NULL))
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request is not valid UTF-8 text"));
      return NULL;
    }

  if (has_escaped_nul (json, length))
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request contains an escaped NUL character"));
      return NULL;
    }

  parser = json_parser_new_immutable ();
  /* We wrote the body ourselves: anything beyond plain JSON (comments, a
   * "var x =" assignment, several values) means it is not ours. */
  json_parser_set_strict (parser, TRUE);
  if (!json_parser_load_from_data (parser, json, length, &local_error))
    {
      /* json-glib quotes the offending character, whatever it is */
      g_autofree char *reason = clean_text (local_error->message, MAX_PARSE_ERROR_CHARS);

      g_set_error (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                   _("The request is not valid JSON: %s"), reason);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, PIXVERSE_ERROR, PIXVERSE_ERROR_INVALID_REQUEST,
                           _("The request is empty"));
      return NULL;
    }

  return pixverse_request_new_from_json (root, error);
}

/**
 * pixverse_request_get_resolutions:
 *
 * Returns: (transfer none) (array zero-terminated=1): the resolutions the
 *   service accepts, lowest first
 */
const char * const *
pixverse_request_get_resolutions (void)
{
  return resolutions;
}

/**
 * pixverse_request_get_aspect_ratios:
 *
 * Returns: (transfer none) (array zero-terminated=1): the aspect ratios the
 *   service accepts, widest first
 */
const char * const *
pixverse_request_get_aspect_ratios (void)
{
  return aspect_ratios;
}

/**
 * pixverse_request_get_durations:
 * @n_durations: (out) (optional): the place for the number of durations
 *
 * Returns: (transfer none) (array length=n_durations): the durations in
 *   seconds the service accepts, shortest first
 */
const int *
pixverse_request_get_durations (guint *n_durations)
{
  if (n_durations != NULL)
    *n_durations = G_N_ELEMENTS (durations);

  return durations;
}
