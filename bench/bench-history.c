/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-history"

#include "config.h"

#include "bench-common.h"

/*
 * bench-history insert N PATH
 *   Writes N jobs into a new history at PATH through pixverse_history_add
 *   (each its own transaction, as the app writes them; 64 in flight).
 *   Prints: insert N ms
 * bench-history browse PATH
 *   In a fresh process: opens it (once untimed: the weekly full check of a
 *   big file), opens it again, searches one prompt word, clears the
 *   search, then walks the GListModel from top to bottom as a list being
 *   scrolled to the end does (each row read before the next is asked for,
 *   only the rows on screen held). Prints:
 *   browse N open_ms search_ms hits scroll_ms rss_open_kib rss_end_kib peak_kib
 */

#define IN_FLIGHT 64
#define ROWS_ON_SCREEN 20

typedef struct
{
  guint  pending;
  guint  failed;
} Inserts;

static void
add_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Inserts *inserts = user_data;
  g_autoptr(PixverseTask) task = NULL;
  g_autoptr(GError) error = NULL;

  task = pixverse_history_add_finish (PIXVERSE_HISTORY (object), result, &error);
  if (task == NULL)
    {
      g_printerr ("bench-history: %s\n", error->message);
      inserts->failed++;
    }
  inserts->pending--;
}

static int
run_insert (guint       n,
            const char *path)
{
  g_autoptr(PixverseHistory) history = NULL;
  Inserts inserts = { 0 };
  gint64 start;

  history = bench_open_history (path);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PixverseRequest) request = pixverse_request_new ();
      g_autofree char *prompt = bench_prompt (i);

      pixverse_request_set_prompt (request, prompt);
      inserts.pending++;
      pixverse_history_add_async (history, request, NULL, add_cb, &inserts);
      while (inserts.pending >= IN_FLIGHT)
        g_main_context_iteration (NULL, TRUE);
    }
  while (inserts.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_print ("insert %u %.1f\n", n, (g_get_monotonic_time () - start) / 1000.0);
  return inserts.failed > 0 ? 1 : 0;
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gboolean   *changed)
{
  *changed = TRUE;
}

static guint
set_filter (PixverseHistory *history,
            const char      *search)
{
  gboolean changed = FALSE;
  gulong id;

  id = g_signal_connect (history, "items-changed", G_CALLBACK (items_changed_cb), &changed);
  pixverse_history_set_filter (history, search, -1);
  bench_wait_for (&changed);
  g_signal_handler_disconnect (history, id);

  return g_list_model_get_n_items (G_LIST_MODEL (history));
}

static int
run_browse (const char *path)
{
  g_autoptr(PixverseHistory) history = NULL;
  g_autoptr(GPtrArray) screen = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 rss_open, rss_end, peak;
  gint64 start, open_us, search_us, scroll_us;
  guint n, hits;

  /* The first open of a file this big runs the weekly full check (and
   * reads it into the page cache): measure a typical open after it. */
  g_object_unref (bench_open_history (path));

  start = g_get_monotonic_time ();
  history = bench_open_history (path);
  n = g_list_model_get_n_items (G_LIST_MODEL (history));
  open_us = g_get_monotonic_time () - start;
  bench_rss (&peak, &rss_open);

  start = g_get_monotonic_time ();
  hits = set_filter (history, BENCH_SEARCH_WORD);
  search_us = g_get_monotonic_time () - start;
  if (set_filter (history, NULL) != n)
    g_error ("The whole list did not come back after the search");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      PixverseTask *task = g_list_model_get_item (G_LIST_MODEL (history), i);

      while (pixverse_task_get_request (task) == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_ptr_array_add (screen, task);
      if (screen->len > ROWS_ON_SCREEN)
        g_ptr_array_remove_index (screen, 0);
    }
  scroll_us = g_get_monotonic_time () - start;
  bench_rss (&peak, &rss_end);

  g_print ("browse %u %.1f %.1f %u %.1f %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
           " %" G_GINT64_FORMAT "\n",
           n, open_us / 1000.0, search_us / 1000.0, hits, scroll_us / 1000.0,
           rss_open, rss_end, peak);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "insert"))
    return run_insert ((guint) g_ascii_strtoull (argv[2], NULL, 10), argv[3]);
  if (argc == 3 && g_str_equal (argv[1], "browse"))
    return run_browse (argv[2]);

  g_printerr ("usage: bench-history insert N PATH | bench-history browse PATH\n");
  return 2;
}
