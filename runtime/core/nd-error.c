/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-error.h"

G_DEFINE_QUARK (nd-runtime-error-quark, nd_runtime_error)

gboolean
nd_set_bad_file (GError **error, const char *path, const char *kind, const char *format, ...)
{
  g_autofree char *detail = NULL;
  g_autofree char *base = g_path_get_basename (path);
  va_list ap;

  va_start (ap, format);
  detail = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* TRANSLATORS: "model.npy is not a valid float32 .npy file: header too long" */
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
               _("%s is not a valid %s file: %s"), base, kind, detail);
  return FALSE;
}

GMappedFile *
nd_map_file (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  GMappedFile *map = g_mapped_file_new (path, FALSE, &local);

  if (map == NULL)
    g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE, _("Cannot open %s: %s"),
                 path, local->message);
  return map;
}
