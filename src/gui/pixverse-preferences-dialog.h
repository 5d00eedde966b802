/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "pixverse-application.h"

G_BEGIN_DECLS

/*
 * Preferences: the API key (kept in the keyring, never in GSettings), the
 * public test key, where to get a key, and the service address (advanced).
 * The composer remembers the last used options by itself.
 */
#define PIXVERSE_TYPE_PREFERENCES_DIALOG (pixverse_preferences_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PixversePreferencesDialog, pixverse_preferences_dialog, PIXVERSE, PREFERENCES_DIALOG, AdwPreferencesDialog)

AdwDialog *pixverse_preferences_dialog_new (PixverseApplication *application);

G_END_DECLS
