/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

/*
 * What every test that shows widgets needs: the real MIME database, waiting
 * on the main loop, and finding widgets in a tree.
 */

/*
 * Call first in main(), before g_test_init().
 *
 * G_TEST_OPTION_ISOLATE_DIRS points the system data dirs at empty temporary
 * ones, which hides shared-mime-info: gdk-pixbuf then cannot tell an SVG icon
 * from text, and GTK's "Failed to load icon" warning is fatal in the tests.
 * The MIME database is read-only system data, so the tests keep the real one.
 */
static inline void
pixverse_test_keep_mime_database (void)
{
  g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);

  for (const char * const *dir = g_get_system_data_dirs (); *dir != NULL; dir++)
    g_ptr_array_add (dirs, g_build_filename (*dir, "mime", NULL));
  g_ptr_array_add (dirs, NULL);

  g_content_type_set_mime_dirs ((const char * const *) dirs->pdata);
}

static inline gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;

  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @cond holds, failing after @seconds. */
#define wait_for(cond, seconds)                                               \
  G_STMT_START {                                                              \
    gboolean timed_out_ = FALSE;                                              \
    guint source_ = g_timeout_add_seconds ((seconds), timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_)                                            \
      g_main_context_iteration (NULL, TRUE);                                  \
    if (!timed_out_)                                                          \
      g_source_remove (source_);                                              \
    if (!(cond))                                                              \
      g_error ("Timed out after %d s waiting for %s", (seconds), #cond);      \
  } G_STMT_END

static inline void
frame_painted_cb (GdkFrameClock *clock,
                  gboolean      *painted)
{
  *painted = TRUE;
}

/* Waits until @widget's window has drawn a frame: then the window system
 * has placed and sized it, and a size set later is not lost to the first
 * configure (the history may open before that). */
static inline void
wait_for_first_frame (GtkWidget *widget,
                      guint      seconds)
{
  GdkFrameClock *clock;
  gboolean painted = FALSE;
  gulong handler;

  wait_for (gtk_widget_get_mapped (widget), seconds);
  clock = gtk_widget_get_frame_clock (widget);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_painted_cb), &painted);
  gtk_widget_queue_draw (widget);
  wait_for (painted, seconds);
  g_signal_handler_disconnect (clock, handler);
}

/* Lets pending idles, redraws and async callbacks run for @ms. */
static inline void
drain (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Whether @widget would be drawn: it and its ancestors are visible, and no
 * stack has it on a hidden page. */
static inline gboolean
shown (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (!gtk_widget_get_visible (widget) || !gtk_widget_get_child_visible (widget))
      return FALSE;

  return TRUE;
}

/* Adds @widget and every descendant of type @type to @found, in tree order. */
static inline void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

static inline GtkWidget *
find_first (GtkWidget *root,
            GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (root, type, found);

  return found->len > 0 ? g_ptr_array_index (found, 0) : NULL;
}

/* The first widget in @root's tree, @root included, that @match accepts
 * with @data; NULL if none does. */
static inline GtkWidget *
find_matching (GtkWidget     *root,
               gboolean     (*match) (GtkWidget *widget, gconstpointer data),
               gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_matching (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static inline gboolean
has_id (GtkWidget     *widget,
        gconstpointer  id)
{
  return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0;
}

/* The widget of builder id @id in @root's tree, or NULL: a template's
 * widgets, and those a widget builds later from a .ui file of its own (the
 * composer's image group), both carry their ids so. */
static inline GtkWidget *
find_by_id (GtkWidget  *root,
            const char *id)
{
  return find_matching (root, has_id, id);
}

/* The one widget of type @type in @root's tree. */
static inline GtkWidget *
find_only (GtkWidget *root,
           GType      type)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  collect (root, type, found);
  g_assert_cmpuint (found->len, ==, 1);

  return g_ptr_array_index (found, 0);
}

/* The text a person reads in @widget, a label or an inscription, or NULL. */
static inline const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_label (GTK_LABEL (widget));
  if (GTK_IS_INSCRIPTION (widget))
    return gtk_inscription_get_text (GTK_INSCRIPTION (widget));
  return NULL;
}

/* Adds every label and inscription under @root to @found, in tree order. */
static inline void
collect_texts (GtkWidget *widget,
               GPtrArray *found)
{
  if (GTK_IS_LABEL (widget) || GTK_IS_INSCRIPTION (widget))
    g_ptr_array_add (found, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_texts (child, found);
}
