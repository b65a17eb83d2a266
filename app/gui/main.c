/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"


#include <glib/gi18n.h>

#include "nd-application.h"
#include "nd-backend-cpu.h"
#include "nd-paths.h"

/* GTK's GL renderer on Mesa's software rasterizer (no GPU render node, e.g. Xvfb or a VM)
 * costs ~100 ms a frame on this window against ~12–35 ms with the Cairo renderer (measured
 * with `nondeep --measure 8 --json --camera test-pattern`, 2 cores): there, use Cairo. The
 * user's GSK_RENDERER always wins. */
static void
choose_renderer (void)
{
  g_autoptr(GDir) dri = NULL;
  const char *name;
  gboolean render_node = FALSE;

  if (g_getenv ("GSK_RENDERER") != NULL)
    return;
  dri = g_dir_open ("/dev/dri", 0, NULL);
  while (dri != NULL && (name = g_dir_read_name (dri)) != NULL)
    render_node |= g_str_has_prefix (name, "renderD");
  if (!render_node || g_strcmp0 (g_getenv ("LIBGL_ALWAYS_SOFTWARE"), "1") == 0)
    g_setenv ("GSK_RENDERER", "cairo", TRUE);
}

int
main (int argc, char **argv)
{
  g_autoptr(NdApplication) app = NULL;
  int status;

  /* first: may re-exec us with the right OpenBLAS kernels (see nd-cpu-blas.c) */
  nd_cpu_ensure_blas_core (argv);
  nd_paths_init_i18n ();
  choose_renderer ();

  app = nd_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  /* --screenshot that could not build its model or save the file */
  if (status == 0 && g_object_get_data (G_OBJECT (app), "nd-screenshot-failed") != NULL)
    status = 1;
  return status;
}
