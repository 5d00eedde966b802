/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The API key: PIXVERSE_API_KEY when set, else the login keyring through
 * libsecret. A missing key is no error: lookup gives NULL.
 */

void      pixverse_secrets_lookup_async  (GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *pixverse_secrets_lookup_finish (GAsyncResult        *result,
                                          GError             **error);

void      pixverse_secrets_store_async   (const char          *api_key,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  pixverse_secrets_store_finish  (GAsyncResult        *result,
                                          GError             **error);

void      pixverse_secrets_clear_async   (GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  pixverse_secrets_clear_finish  (GAsyncResult        *result,
                                          GError             **error);

/* Whether the key comes from the environment (so storing it does nothing). */
gboolean  pixverse_secrets_from_environment (void);

G_END_DECLS
