/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-client.h"
#include "pixverse-request.h"

G_BEGIN_DECLS

/*
 * The form that makes a request: prompt, mode, image (URL, file upload, drop,
 * paste), options. It edits one PixverseRequest ("request") and asks it, field
 * by field, whether the input is valid ("can-generate", "invalid-reason").
 * Its Generate button activates "win.generate"; the window reads the request.
 * The last used options are kept in GSettings by the composer.
 */
#define PIXVERSE_TYPE_COMPOSER (pixverse_composer_get_type ())
G_DECLARE_FINAL_TYPE (PixverseComposer, pixverse_composer, PIXVERSE, COMPOSER, AdwBin)

GtkWidget       *pixverse_composer_new                (void);
PixverseClient  *pixverse_composer_get_client         (PixverseComposer *self);
void             pixverse_composer_set_client         (PixverseComposer *self,
                                                       PixverseClient   *client);
/* The live request the form edits (owned by the composer). */
PixverseRequest *pixverse_composer_get_request        (PixverseComposer *self);
/* Fills the form from @request (Reuse Settings). */
void             pixverse_composer_set_request        (PixverseComposer *self,
                                                       PixverseRequest  *request);
gboolean         pixverse_composer_get_can_generate   (PixverseComposer *self);
/* Why Generate is off, for a person; NULL when it is on. */
const char      *pixverse_composer_get_invalid_reason (PixverseComposer *self);
/* Empties the prompt after a job was submitted; options stay. */
void             pixverse_composer_clear_prompt       (PixverseComposer *self);
void             pixverse_composer_focus_prompt       (PixverseComposer *self);

G_END_DECLS
