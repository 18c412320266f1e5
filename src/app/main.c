/* main.c: soundscape-kiosk, the touchscreen (sk-application.h). */
#include "config.h"

#include <locale.h>

#include "sk-application.h"
#include "sk-util.h"

int
main (int argc, char **argv)
{
  g_autoptr (SkApplication) app = NULL;

  setlocale (LC_ALL, "");
  sk_i18n_init ();
  app = sk_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
