/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-task.h"

G_BEGIN_DECLS

/*
 * One result video of a job, on the job page: played inline (GtkVideo) once
 * its file is downloaded, a spinner with the download progress before that,
 * and Save As… (GtkFileDialog), Open With… (GtkFileLauncher) and Copy Link
 * ("card.save-as", "card.open-with", "card.copy-link"). Follows its task.
 */
#define PIXVERSE_TYPE_VIDEO_CARD (pixverse_video_card_get_type ())
G_DECLARE_FINAL_TYPE (PixverseVideoCard, pixverse_video_card, PIXVERSE, VIDEO_CARD, GtkWidget)

GtkWidget    *pixverse_video_card_new           (PixverseTask       *task,
                                                 guint               index);
PixverseTask *pixverse_video_card_get_task      (PixverseVideoCard  *self);
guint         pixverse_video_card_get_index     (PixverseVideoCard  *self);
/* The downloaded file, once it is known to exist; else NULL. */
GFile        *pixverse_video_card_get_file      (PixverseVideoCard  *self);
/* The result's URL, or NULL. */
const char   *pixverse_video_card_get_url       (PixverseVideoCard  *self);
/* TRUE when the video should be here but is not (download failed, links
 * expired, file gone). */
gboolean      pixverse_video_card_get_missing   (PixverseVideoCard  *self);
GtkVideo     *pixverse_video_card_get_video     (PixverseVideoCard  *self);

/* What Save As… does once the destination is chosen: copies the downloaded
 * file to @destination (overwriting it). */
void          _pixverse_video_card_save_to_async  (PixverseVideoCard   *self,
                                                   GFile               *destination,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean      _pixverse_video_card_save_to_finish (PixverseVideoCard   *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Shows @title in the nearest AdwToastOverlay above @widget, if any. */
void          _pixverse_widget_show_toast        (GtkWidget          *widget,
                                                  const char         *title);

G_END_DECLS
