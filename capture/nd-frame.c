/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-frame.h"

int
nd_frame_bytes_per_pixel (NdPixelFormat format)
{
  switch (format)
    {
    case ND_PIXEL_FORMAT_RGBA8: return 4;
    case ND_PIXEL_FORMAT_RGB8: return 3;
    case ND_PIXEL_FORMAT_GRAY8: return 1;
    default: return 0;
    }
}

NdFrame *
nd_frame_new (GBytes *bytes, int width, int height, int stride, NdPixelFormat format)
{
  int bpp = nd_frame_bytes_per_pixel (format);
  NdFrame *frame;
  gsize need;

  g_return_val_if_fail (bytes != NULL, NULL);

  if (bpp == 0 || width < 1 || height < 1 || width > ND_PREPROCESS_MAX_SIDE
      || height > ND_PREPROCESS_MAX_SIDE || stride < width * bpp)
    return NULL;
  need = (gsize) (height - 1) * stride + (gsize) width * bpp;
  if (g_bytes_get_size (bytes) < need)
    return NULL;

  frame = g_atomic_rc_box_new0 (NdFrame);
  frame->width = width;
  frame->height = height;
  frame->stride = stride;
  frame->format = format;
  frame->bytes = g_bytes_ref (bytes);
  frame->data = g_bytes_get_data (bytes, NULL);
  frame->pts_ns = -1;
  frame->arrival_us = g_get_monotonic_time ();
  return frame;
}

NdFrame *
nd_frame_new_copy (const guint8 *pixels, int width, int height, int stride, NdPixelFormat format)
{
  int bpp = nd_frame_bytes_per_pixel (format);
  g_autoptr(GBytes) bytes = NULL;
  guint8 *copy;
  gsize row;

  g_return_val_if_fail (pixels != NULL, NULL);

  if (bpp == 0 || width < 1 || height < 1 || width > ND_PREPROCESS_MAX_SIDE
      || height > ND_PREPROCESS_MAX_SIDE || stride < width * bpp)
    return NULL;
  row = (gsize) width * bpp;
  copy = g_malloc (row * height);
  for (int y = 0; y < height; y++)
    memcpy (copy + y * row, pixels + (gsize) y * stride, row);
  bytes = g_bytes_new_take (copy, row * height);
  return nd_frame_new (bytes, width, height, (int) row, format);
}

NdFrame *
nd_frame_ref (NdFrame *frame)
{
  g_return_val_if_fail (frame != NULL, NULL);
  return g_atomic_rc_box_acquire (frame);
}

static void
frame_clear (gpointer data)
{
  NdFrame *frame = data;

  g_bytes_unref (frame->bytes);
}

void
nd_frame_unref (NdFrame *frame)
{
  g_return_if_fail (frame != NULL);
  g_atomic_rc_box_release_full (frame, frame_clear);
}

GBytes *
nd_frame_get_bytes (NdFrame *frame)
{
  g_return_val_if_fail (frame != NULL, NULL);
  return frame->bytes;
}

NdTensor *
nd_frame_preprocess (NdFrame *frame, const NdPreprocess *pp, GError **error)
{
  g_return_val_if_fail (frame != NULL, NULL);
  return nd_preprocess_image (frame->data, frame->width, frame->height, frame->stride,
                              frame->format, pp, error);
}

gboolean
nd_frame_preprocess_into (NdFrame *frame, const NdPreprocess *pp, NdTensor *out, int index,
                          GError **error)
{
  g_return_val_if_fail (frame != NULL, FALSE);
  return nd_preprocess_image_into (frame->data, frame->width, frame->height, frame->stride,
                                   frame->format, pp, out, index, error);
}
