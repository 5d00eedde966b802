/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-client.h"
#include "pixverse-history.h"
#include "pixverse-monitor.h"

G_BEGIN_DECLS

/* Where the API key stands, for the window to show the right thing. */
typedef enum
{
  PIXVERSE_KEY_LOOKING_UP,  /* the keyring has not answered yet */
  PIXVERSE_KEY_MISSING,     /* none stored: the welcome page asks for one */
  PIXVERSE_KEY_PRESENT,
  PIXVERSE_KEY_REFUSED,     /* the service said the key is not valid */
} PixverseKeyState;

#define PIXVERSE_TYPE_KEY_STATE (pixverse_key_state_get_type ())
GType pixverse_key_state_get_type (void) G_GNUC_CONST;

/*
 * The app: owns the core objects every window shares (the client, the
 * history, the monitor), the API key and the credits left. The history opens
 * asynchronously: "history" and "monitor" are NULL until "loading" turns
 * FALSE (and stay NULL if it could not be opened: see get_history_error()).
 */
#define PIXVERSE_TYPE_APPLICATION (pixverse_application_get_type ())
G_DECLARE_FINAL_TYPE (PixverseApplication, pixverse_application, PIXVERSE, APPLICATION, AdwApplication)

PixverseApplication *pixverse_application_new               (void);
GSettings           *pixverse_application_get_settings      (PixverseApplication *self);
PixverseClient      *pixverse_application_get_client        (PixverseApplication *self);
PixverseHistory     *pixverse_application_get_history       (PixverseApplication *self);
PixverseMonitor     *pixverse_application_get_monitor       (PixverseApplication *self);
gboolean             pixverse_application_get_loading       (PixverseApplication *self);
/* Why the history could not be opened, or NULL. */
const GError        *pixverse_application_get_history_error (PixverseApplication *self);
/* A problem for a banner (the configured service address was not used, the
 * keyring could not be read), or NULL. */
const char          *pixverse_application_get_problem       (PixverseApplication *self);
PixverseKeyState     pixverse_application_get_key_state     (PixverseApplication *self);
/* Credits left on the account, or -1 when not known. */
gint64               pixverse_application_get_credits       (PixverseApplication *self);
void                 pixverse_application_refresh_credits   (PixverseApplication *self);
/* An error from the service, for the app to learn from (a refused key). */
void                 pixverse_application_report_error      (PixverseApplication *self,
                                                             const GError        *error);

/* Uses @api_key from now on and stores it in the keyring; the key is used
 * for this session even when storing fails (the error says so). */
void                 pixverse_application_set_api_key_async  (PixverseApplication  *self,
                                                              const char           *api_key,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
gboolean             pixverse_application_set_api_key_finish (PixverseApplication  *self,
                                                              GAsyncResult         *result,
                                                              GError              **error);

G_END_DECLS
