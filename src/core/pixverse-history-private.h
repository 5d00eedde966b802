/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "pixverse-task.h"

G_BEGIN_DECLS

/* The stored-row decoding on its own, so that tests/fuzz can drive it with
 * any values a damaged file may hold. */
const char   *_pixverse_history_get_job_columns (void);
PixverseTask *_pixverse_history_task_from_row   (sqlite3_stmt *stmt);

G_END_DECLS
