/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* libFuzzer's entry points. */
int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* A critical or a warning is a bug the input found (a getter on a missing
 * member, a setter given a value it refuses): make it a crash libFuzzer
 * keeps, as G_DEBUG=fatal-warnings does in the tests. (GLib 2.84's slice
 * allocator is plain malloc, so no G_SLICE setting is needed for
 * LeakSanitizer; its type and quark tables stay reachable, not leaked.) */
static inline void
fuzz_init (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}
