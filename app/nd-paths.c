/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-paths.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

static gboolean
path_is_under (const char *path, const char *dir)
{
  gsize n = strlen (dir);

  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

gboolean
nd_paths_uninstalled (void)
{
  static gsize once = 0;
  static gboolean uninstalled = FALSE;

  if (g_once_init_enter (&once))
    {
      /* Both sides resolved, so a build tree reached through a symlink still matches. */
      g_autofree char *exe = realpath ("/proc/self/exe", NULL);
      g_autofree char *root = realpath (ND_BUILD_ROOT, NULL);

      uninstalled = exe != NULL && root != NULL && path_is_under (exe, root);
      g_once_init_leave (&once, 1);
    }
  return uninstalled;
}

const char *
nd_paths_assets_dir (void)
{
  const char *env = g_getenv ("ND_ASSETS_DIR");

  if (env != NULL && *env != '\0')
    return env;
  return nd_paths_uninstalled () ? ND_SOURCE_ASSETS_DIR : ND_PKGDATADIR;
}

const char *
nd_paths_locale_dir (void)
{
  return nd_paths_uninstalled () ? ND_BUILD_ROOT "/po" : LOCALEDIR;
}

const char *
nd_paths_schema_dir (void)
{
  return nd_paths_uninstalled () ? ND_BUILD_ROOT "/assets" : NULL;
}

void
nd_paths_init_i18n (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, nd_paths_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
