/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* After this long a job is "unknown": kept and resumable, never created again. */
#define PIXVERSE_POLL_CAP_SECONDS (60 * 60)

double   pixverse_time_scale       (void);
guint    pixverse_poll_delay_ms    (gint64 elapsed_ms,
                                    int    estimated_time,
                                    guint  polls_done,
                                    guint  failures);
guint    pixverse_poll_spread_ms   (gint64 job_id);
gboolean pixverse_poll_gave_up     (gint64 elapsed_ms);

G_END_DECLS
