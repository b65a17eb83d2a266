/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-application.h"
#include "nd-backend-cpu.h"
#include "nd-paths.h"

int
main (int argc, char **argv)
{
  g_autoptr(NdApplication) app = NULL;
  int status;

  /* first: may re-exec us with the right OpenBLAS kernels (see nd-cpu-blas.c) */
  nd_cpu_ensure_blas_core (argv);
  nd_paths_init_i18n ();

  app = nd_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  /* --screenshot that could not build its model or save the file */
  if (status == 0 && g_object_get_data (G_OBJECT (app), "nd-screenshot-failed") != NULL)
    status = 1;
  return status;
}
