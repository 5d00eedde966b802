/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A view of a GListModel of PixverseTask (the history) that leaves out a
 * few rows: those whose deletion can still be undone. Nothing is copied:
 * positions are mapped through the short list of hidden rows, so the view
 * costs what the history costs, whatever its size.
 */
#define PIXVERSE_TYPE_HIDE_MODEL (pixverse_hide_model_get_type ())
G_DECLARE_FINAL_TYPE (PixverseHideModel, pixverse_hide_model, PIXVERSE, HIDE_MODEL, GObject)

PixverseHideModel *pixverse_hide_model_new       (GListModel        *model);
GListModel        *pixverse_hide_model_get_model (PixverseHideModel *self);
/* Hides the row at @position (of this view). */
void               pixverse_hide_model_hide      (PixverseHideModel *self,
                                                  guint              position);
/* Shows the task of row @id again; FALSE if it is not hidden here. */
gboolean           pixverse_hide_model_unhide    (PixverseHideModel *self,
                                                  gint64             id);
gboolean           pixverse_hide_model_is_hidden (PixverseHideModel *self,
                                                  gint64             id);

G_END_DECLS
