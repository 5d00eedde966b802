/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pixverse-studio"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <locale.h>

#include "pixverse-application.h"

/* tests/desktop builds this file again with the build tree's catalogs; the
 * installed program reads them from LOCALEDIR. */
#ifndef PIXVERSE_LOCALEDIR
#define PIXVERSE_LOCALEDIR LOCALEDIR
#endif

int
main (int   argc,
      char *argv[])
{
  g_autoptr(PixverseApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, PIXVERSE_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Pixverse Studio"));

  app = pixverse_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
