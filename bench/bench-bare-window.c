/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-bare-window"

#include "config.h"

#include <adwaita.h>

/*
 * The startup reference (issue 14): a bare libadwaita window of the app's
 * default size, a header bar and a status page in a toolbar view, nothing
 * else. Like Pixverse Studio under PIXVERSE_QUIT_AFTER_FIRST_FRAME=1, it
 * prints "window-start <g_get_monotonic_time ()>" as it begins its window
 * (in "activate", GTK and libadwaita started), "first-frame <time>" after its
 * first frame is painted, then quits.
 */

static void
after_paint_cb (GdkFrameClock  *clock,
                GApplication   *app)
{
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, app);
  g_print ("first-frame %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  g_application_quit (app);
}

static void
realize_cb (GtkWidget    *window,
            GApplication *app)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (after_paint_cb), app);
}

static void
activate_cb (GApplication *app)
{
  GtkWidget *window;
  GtkWidget *view;
  GtkWidget *page;

  g_print ("window-start %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());

  window = adw_application_window_new (GTK_APPLICATION (app));
  view = adw_toolbar_view_new ();
  page = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (page), "Bare Window");
  adw_toolbar_view_add_top_bar (ADW_TOOLBAR_VIEW (view), adw_header_bar_new ());
  adw_toolbar_view_set_content (ADW_TOOLBAR_VIEW (view), page);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), view);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);

  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), app);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;

  app = adw_application_new ("io.github.pixversestudio.BenchBareWindow",
                             G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
