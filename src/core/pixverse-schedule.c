/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-schedule"

#include "config.h"

#include "pixverse-schedule.h"

/*
 * When to ask the service about a running job. The service's advice: wait
 * about three quarters of estimated_time, then poll every 5–10 s (10 s while
 * the estimate is still far, 5 s near and past it: a 150 s job that ends on
 * time costs 6 requests and is seen within 5 s). Jobs often
 * run past their estimate, so we never give up early: we only slow down, and
 * after an hour call the job "unknown" (kept, resumable by hand).
 */

#define FIRST_POLL_FRACTION 0.75
#define EARLY_DELAY_MS 10000
#define STEADY_DELAY_MS 5000
#define SLOW_DELAY_MS 30000
/* The most a job's status requests are moved off the grid. */
#define SPREAD_MS 1000

/**
 * pixverse_time_scale:
 *
 * `PIXVERSE_TIME_SCALE` (e.g. 0.01) multiplies every wait, so tests and
 * benchmarks can run a 150 s job in 1.5 s against the fake service (whose
 * `--time-scale` is the same factor).
 *
 * Returns: the factor for all waits, 1.0 unless set
 */
double
pixverse_time_scale (void)
{
  const char *value = g_getenv ("PIXVERSE_TIME_SCALE");
  double scale;

  if (value == NULL || *value == '\0')
    return 1.0;
  scale = g_ascii_strtod (value, NULL);
  if (!(scale > 0.0) || scale > 1000.0)
    return 1.0;
  return scale;
}

/**
 * pixverse_poll_delay_ms:
 * @elapsed_ms: time since the job was created
 * @estimated_time: the service's estimate in seconds, 0 if not known
 * @polls_done: status requests made so far
 * @failures: status requests in a row that failed
 *
 * Returns: how long to wait before the next status request
 */
guint
pixverse_poll_delay_ms (gint64 elapsed_ms,
                        int    estimated_time,
                        guint  polls_done,
                        guint  failures)
{
  double scale = pixverse_time_scale ();
  /* Everything below is in the service's time; scaled back at the end. */
  double t = elapsed_ms / scale;
  double estimate = (double) MAX (estimated_time, 0) * 1000.0;
  double delay;

  if (estimate > 0 && polls_done == 0)
    delay = MAX (0.0, estimate * FIRST_POLL_FRACTION - t);
  else if (estimate > 0 && t < estimate * 0.9)
    /* Early: a job rarely finishes well ahead of its estimate. */
    delay = EARLY_DELAY_MS;
  else if (estimate > 0 && t > 2 * estimate)
    /* Well past the estimate: slow down towards 30 s, gently. */
    delay = MIN (SLOW_DELAY_MS, STEADY_DELAY_MS + (t - 2 * estimate) / 20);
  else
    delay = STEADY_DELAY_MS;

  /* Errors back off on their own, up to the slow rate. */
  if (failures > 0)
    delay = MAX (delay, MIN (SLOW_DELAY_MS, STEADY_DELAY_MS * (double) (1u << MIN (failures, 3u))));

  return (guint) CLAMP (delay * scale, 0.0, (double) G_MAXUINT);
}

/**
 * pixverse_poll_spread_ms:
 * @job_id: the job's row in the history
 *
 * Jobs sent together would be asked about together for as long as they
 * run, and their answers would land on the main thread in the same moment
 * (issue 14). Each job's requests are moved by an offset of its own, the
 * same for all of them, so the time between two requests, and the 5 s in
 * which a job that has ended is seen, do not change.
 *
 * Returns: the job's offset, under a second (scaled like every wait)
 */
guint
pixverse_poll_spread_ms (gint64 job_id)
{
  /* Fibonacci hashing: jobs made one after another land far apart. */
  guint32 hash = (guint32) job_id * 2654435769u;

  return (guint) ((hash >> 16) / 65536.0 * SPREAD_MS * pixverse_time_scale ());
}

/**
 * pixverse_poll_gave_up:
 * @elapsed_ms: time since the job was created
 *
 * Returns: whether the job has run past the long cap and is to be "unknown"
 */
gboolean
pixverse_poll_gave_up (gint64 elapsed_ms)
{
  return elapsed_ms / pixverse_time_scale () > (double) PIXVERSE_POLL_CAP_SECONDS * 1000;
}
