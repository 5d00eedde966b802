/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "pixverse-history.h"

/*
 * Helpers shared by the benchmark programs (header only: each program is
 * one file plus this).
 */

/* Runs the thread-default main context until *@flag is set. */
static inline void
bench_wait_for (const gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

/* Peak and current resident set size of this process, in KiB. */
static inline void
bench_rss (gint64 *peak_kib,
           gint64 *now_kib)
{
  g_autofree char *status = NULL;
  const char *line;

  *peak_kib = *now_kib = 0;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  if ((line = strstr (status, "VmHWM:")))
    *peak_kib = g_ascii_strtoll (line + 6, NULL, 10);
  if ((line = strstr (status, "VmRSS:")))
    *now_kib = g_ascii_strtoll (line + 6, NULL, 10);
}

typedef struct
{
  PixverseHistory *history;
  GError          *error;
  gboolean         done;
} BenchOpen;

static inline void
bench_open_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  BenchOpen *open = user_data;

  open->history = pixverse_history_open_finish (result, &open->error);
  open->done = TRUE;
}

/* Opens the history at @path, waiting in the main context; exits on error. */
static inline PixverseHistory *
bench_open_history (const char *path)
{
  BenchOpen open = { 0 };

  pixverse_history_open_async (path, NULL, bench_open_cb, &open);
  bench_wait_for (&open.done);
  if (open.history == NULL)
    g_error ("Could not open %s: %s", path, open.error->message);

  return open.history;
}

/* Prompt words: the search benchmark looks for the rare last one, which
 * one prompt in 97 has. */
static const char * const bench_words[] = {
  "a", "red", "fox", "running", "through", "snow", "at", "dawn", "cinematic",
  "slow", "motion", "city", "night", "neon", "rain", "ocean", "waves", "drone",
  "shot", "forest", "mist", "golden", "hour", "portrait", "dancer", "stage",
  "lights", "mountain", "river", "timelapse", "clouds", "cat", "surfing",
  "sunset", "robot", "garden", "lighthouse",
};
#define BENCH_SEARCH_WORD "lighthouse"

/* A prompt of some 12 words for job @i, the same on every run. */
static inline char *
bench_prompt (guint i)
{
  GString *prompt = g_string_new (NULL);
  guint32 x = i * 2654435761u + 1;
  guint n_common = G_N_ELEMENTS (bench_words) - 1;

  for (guint w = 0; w < 12; w++)
    {
      x = x * 1664525u + 1013904223u;
      if (w > 0)
        g_string_append_c (prompt, ' ');
      g_string_append (prompt, bench_words[(x >> 8) % n_common]);
    }
  if (i % 97 == 0)
    g_string_append (prompt, " " BENCH_SEARCH_WORD);

  return g_string_free (prompt, FALSE);
}
