/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdint.h>

#include "nd-image-load.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The one image loader: magic bytes, the PNG chunk / JPEG segment / RIFF walkers, the size
 * budget, then gdk-pixbuf's PNG, JPEG or WebP loader and the RGBA conversion. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  int w, h;
  GBytes *rgba = nd_image_decode_rgba (size ? data : (const uint8_t *) "", size, "fuzz", &w, &h,
                                       NULL);

  if (rgba != NULL)
    {
      g_assert (g_bytes_get_size (rgba) == (gsize) w * h * 4);
      g_assert ((guint64) w * h <= ND_IMAGE_MAX_PIXELS);
      g_bytes_unref (rgba);
    }
  return 0;
}
