/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <unistd.h>

#include "nd-error.h"
#include "nd-file.h"

G_DEFINE_QUARK (nd-runtime-error-quark, nd_runtime_error)

gboolean
nd_set_bad_file (GError **error, const char *path, const char *kind, const char *format, ...)
{
  g_autofree char *detail = NULL;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *base = nd_escape_for_terminal (name);
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
  GMappedFile *map;
  int fd = nd_file_open_regular (path, NULL, error);

  if (fd < 0)
    return NULL;
  map = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (map == NULL)
    {
      g_autofree char *shown = nd_escape_for_terminal (path);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE, _("Cannot open %s: %s"),
                   shown, local->message);
    }
  return map;
}
