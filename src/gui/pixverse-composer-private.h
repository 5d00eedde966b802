/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pixverse-composer.h"

G_BEGIN_DECLS

/*
 * Internal to the project (the tests drive these): the paths that the file
 * dialog, a drop and Ctrl+V take once they have their value.
 */

/* Uploads @file through the client and fills in the image URL (what
 * "Choose Image…" does with the file chosen). */
void     _pixverse_composer_upload_file   (PixverseComposer *self,
                                           GFile            *file);
/* Takes a dropped GdkFileList, GFile, GdkTexture or string (an image URL).
 * Returns whether the value was taken. */
gboolean _pixverse_composer_drop_value    (PixverseComposer *self,
                                           const GValue     *value);
/* Ctrl+V: an image, an image file or an image URL on the clipboard. Returns
 * FALSE when the clipboard holds only text meant for a text field. */
gboolean _pixverse_composer_paste         (PixverseComposer *self);
/* Whether an upload is running. */
gboolean _pixverse_composer_get_uploading (PixverseComposer *self);

G_END_DECLS
