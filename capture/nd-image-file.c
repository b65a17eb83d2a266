/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-image-file.h"
#include "nd-image-load.h"

NdFrame *
nd_image_file_load (const char *path, GError **error)
{
  g_autoptr(GBytes) rgba = NULL;
  int w, h;

  g_return_val_if_fail (path != NULL, NULL);
  rgba = nd_image_load_rgba (path, &w, &h, error);
  if (rgba == NULL)
    return NULL;
  return nd_frame_new (rgba, w, h, w * 4, ND_PIXEL_FORMAT_RGBA8);
}
