/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/*
 * The first-run page, shown while no API key is stored: Save Key (or Enter
 * in the key row), once a key is typed, activates "win.use-key", which takes
 * the key from the page; Use Test Key activates "win.use-test-key". The window handles
 * both; the key never travels as an action's parameter. Built only when it
 * is first shown, as most starts have a key (issue 14).
 */
#define PIXVERSE_TYPE_WELCOME_PAGE (pixverse_welcome_page_get_type ())
G_DECLARE_FINAL_TYPE (PixverseWelcomePage, pixverse_welcome_page, PIXVERSE, WELCOME_PAGE, AdwBin)

GtkWidget *pixverse_welcome_page_new       (void);
/* The key typed, without the blanks a paste brings along; "" for none. */
char      *pixverse_welcome_page_dup_key   (PixverseWelcomePage *self);
/* Gives the keyboard to the key row. */
void       pixverse_welcome_page_focus_key (PixverseWelcomePage *self);
/* Empties the key row, once the key typed there has been used. */
void       pixverse_welcome_page_clear_key (PixverseWelcomePage *self);

G_END_DECLS
