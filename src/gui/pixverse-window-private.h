/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "pixverse-hide-model.h"
#include "pixverse-welcome-page.h"
#include "pixverse-window.h"

G_BEGIN_DECLS

struct _PixverseWindow
{
  AdwApplicationWindow    parent_instance;

  PixverseApplication    *application;   /* not owned: the window's app */
  GSettings              *settings;
  GCancellable           *cancellable;
  PixverseHistory        *history;
  PixverseMonitor        *monitor;
  PixverseHideModel      *jobs;
  GtkSliceListModel      *rows;          /* jobs, the first few while they come in */
  GtkSingleSelection     *selection;
  guint                   rows_tick_id;
  gboolean                rows_drawn;    /* the first of them have been laid out */
  PixverseTask           *shown_task;    /* on the job page, or NULL */
  GHashTable             *pending_deletes; /* row id → PixverseTask */
  gboolean                selecting;     /* selection changed by us, not the person */

  /* Template widgets */
  AdwToastOverlay        *toast_overlay;
  AdwNavigationSplitView *split_view;
  AdwNavigationPage      *content_page;
  GtkButton              *new_job_button;
  GtkMenuButton          *primary_menu_button;
  GMenuModel             *primary_menu;  /* its popover made at first use */
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  AdwToggleGroup         *status_group;
  GtkStack               *sidebar_stack;
  GtkGridView            *history_view;
  GtkLabel               *credits_label;
  AdwBanner              *banner;
  GtkStack               *content_stack;
  AdwBin                 *welcome_bin;
  PixverseWelcomePage    *welcome_page;  /* NULL until first shown */
  PixverseComposer       *composer;
  AdwBin                 *job_page_bin;
  PixverseJobPage        *job_page;
};

void      _pixverse_window_class_actions_init (PixverseWindowClass *klass);
void      _pixverse_window_actions_update     (PixverseWindow      *self);

/* Shows the composer (a new job) in the content area, unselecting the list. */
void      _pixverse_window_show_composer      (PixverseWindow      *self);
/* Shows @task's page, selecting its row when the list holds it. */
void      _pixverse_window_show_task          (PixverseWindow      *self,
                                               PixverseTask        *task);
/* The task of row @id: the one shown, one in the list, or NULL. */
PixverseTask *_pixverse_window_dup_task       (PixverseWindow      *self,
                                               gint64               id);
/* Position of row @id in the list, looked for among the first rows only. */
gboolean  _pixverse_window_find_position      (PixverseWindow      *self,
                                               gint64               id,
                                               guint               *position);
void      _pixverse_window_focus_search       (PixverseWindow      *self);
/* Hides the task's row and deletes it unless Undo is pressed in time. */
void      _pixverse_window_delete_task        (PixverseWindow      *self,
                                               PixverseTask        *task);
/* A toast with @error's message and a fitting button: Preferences for a
 * refused key, none otherwise (the caller may add one). */
AdwToast *_pixverse_window_error_toast        (PixverseWindow      *self,
                                               const GError        *error);
/* Uses and stores @api_key, then empties the welcome page's key row. */
void      _pixverse_window_use_key            (PixverseWindow      *self,
                                               const char          *api_key);
void      _pixverse_window_show_error         (PixverseWindow      *self,
                                               const GError        *error);

G_END_DECLS
