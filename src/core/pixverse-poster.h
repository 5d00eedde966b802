/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A poster frame for a video, made in-process with GStreamer (playbin's
 * convert-sample, as totem does), never with the desktop thumbnailer, which
 * does not work inside Flatpak. Runs on a worker thread.
 */
void     pixverse_poster_make_async  (GFile               *video,
                                      GFile               *poster,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean pixverse_poster_make_finish (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
