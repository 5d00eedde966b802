/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Pixverse V5 on pixwith.ai */
#define PIXVERSE_MODEL_ID "2-27"
#define PIXVERSE_MIN_OUTPUTS 1
#define PIXVERSE_MAX_OUTPUTS 4

typedef enum
{
  PIXVERSE_MODE_TEXT_TO_VIDEO,
  PIXVERSE_MODE_IMAGE_TO_VIDEO,
} PixverseMode;

#define PIXVERSE_TYPE_MODE (pixverse_mode_get_type ())
GType pixverse_mode_get_type (void) G_GNUC_CONST;

/* One per field a person edits, so a form can ask about each on its own. */
typedef enum
{
  PIXVERSE_REQUEST_FIELD_PROMPT,
  PIXVERSE_REQUEST_FIELD_MODE,
  PIXVERSE_REQUEST_FIELD_IMAGE_URL,
  PIXVERSE_REQUEST_FIELD_NUM_OUTPUTS,
  PIXVERSE_REQUEST_FIELD_RESOLUTION,
  PIXVERSE_REQUEST_FIELD_ASPECT_RATIO,
  PIXVERSE_REQUEST_FIELD_DURATION,
  PIXVERSE_REQUEST_N_FIELDS,
} PixverseRequestField;

#define PIXVERSE_TYPE_REQUEST (pixverse_request_get_type ())
G_DECLARE_FINAL_TYPE (PixverseRequest, pixverse_request, PIXVERSE, REQUEST, GObject)

PixverseRequest    *pixverse_request_new                 (void);
PixverseRequest    *pixverse_request_copy                (PixverseRequest       *self);

const char         *pixverse_request_get_prompt          (PixverseRequest       *self);
void                pixverse_request_set_prompt          (PixverseRequest       *self,
                                                          const char            *prompt);
PixverseMode        pixverse_request_get_mode            (PixverseRequest       *self);
void                pixverse_request_set_mode            (PixverseRequest       *self,
                                                          PixverseMode           mode);
const char         *pixverse_request_get_image_url       (PixverseRequest       *self);
void                pixverse_request_set_image_url       (PixverseRequest       *self,
                                                          const char            *image_url);
int                 pixverse_request_get_num_outputs     (PixverseRequest       *self);
void                pixverse_request_set_num_outputs     (PixverseRequest       *self,
                                                          int                    num_outputs);
const char         *pixverse_request_get_resolution      (PixverseRequest       *self);
void                pixverse_request_set_resolution      (PixverseRequest       *self,
                                                          const char            *resolution);
const char         *pixverse_request_get_aspect_ratio    (PixverseRequest       *self);
void                pixverse_request_set_aspect_ratio    (PixverseRequest       *self,
                                                          const char            *aspect_ratio);
int                 pixverse_request_get_duration        (PixverseRequest       *self);
void                pixverse_request_set_duration        (PixverseRequest       *self,
                                                          int                    duration);
gboolean            pixverse_request_get_prompt_optimization (PixverseRequest   *self);
void                pixverse_request_set_prompt_optimization (PixverseRequest   *self,
                                                              gboolean           prompt_optimization);

gboolean            pixverse_request_validate_field      (PixverseRequest       *self,
                                                          PixverseRequestField   field,
                                                          GError               **error);
gboolean            pixverse_request_validate            (PixverseRequest       *self,
                                                          GError               **error);

JsonNode           *pixverse_request_to_json             (PixverseRequest       *self,
                                                          GError               **error);
char               *pixverse_request_to_string           (PixverseRequest       *self,
                                                          GError               **error);
PixverseRequest    *pixverse_request_new_from_json       (JsonNode              *node,
                                                          GError               **error);
PixverseRequest    *pixverse_request_new_from_string     (const char            *json,
                                                          gssize                 length,
                                                          GError               **error);

const char * const *pixverse_request_get_resolutions     (void);
const char * const *pixverse_request_get_aspect_ratios   (void);
const int          *pixverse_request_get_durations       (guint                 *n_durations);

G_END_DECLS
