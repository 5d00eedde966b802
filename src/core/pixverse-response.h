/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "pixverse-client.h"

G_BEGIN_DECLS

/* Answers above this size are refused while reading, before any parsing. */
#define PIXVERSE_MAX_RESPONSE_SIZE (1024 * 1024)

JsonObject       *_pixverse_response_parse        (guint        http_status,
                                                   const char  *body,
                                                   gsize        length,
                                                   GError     **error);
char             *_pixverse_response_create_task  (JsonObject  *data,
                                                   int         *estimated_time,
                                                   GError     **error);
PixverseTaskInfo *_pixverse_response_task_info    (JsonObject  *data,
                                                   const char  *task_id,
                                                   GError     **error);
gboolean          _pixverse_response_credits      (JsonObject  *data,
                                                   gint64      *credits,
                                                   GError     **error);
gboolean          _pixverse_response_upload_target (JsonObject *data,
                                                    char      **url,
                                                    GPtrArray **field_names,
                                                    GPtrArray **field_values,
                                                    char      **image_url,
                                                    GError    **error);
gboolean          _pixverse_url_is_allowed        (const char  *url,
                                                   gboolean     require_tls_unless_loopback,
                                                   GError     **error);

G_END_DECLS
