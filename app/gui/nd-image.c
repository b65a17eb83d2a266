/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-image.h"
#include "nd-image-load.h"
#include "nd-preprocess.h"

void
nd_image_clear (NdImage *image)
{
  g_clear_pointer (&image->rgba, g_bytes_unref);
  image->width = image->height = image->stride = 0;
}

void
nd_image_test_pattern (NdImage *image, int size)
{
  guint8 *px = g_malloc ((gsize) size * size * 4);

  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        guint8 *p = px + ((gsize) y * size + x) * 4;
        double u = (double) x / size, v = (double) y / size;
        double d = hypot (u - 0.62, v - 0.38);
        gboolean disc = d < 0.2;
        gboolean stripe = ((x / (size / 16)) % 2 == 0) && v > 0.7;

        p[0] = (guint8) (disc ? 230 : 255 * u);
        p[1] = (guint8) (disc ? 200 : 255 * v);
        p[2] = (guint8) (stripe ? 20 : 255 * (1 - u));
        p[3] = 255;
      }
  nd_image_clear (image);
  image->rgba = g_bytes_new_take (px, (gsize) size * size * 4);
  image->width = image->height = size;
  image->stride = size * 4;
}

gboolean
nd_image_load (NdImage *image, const char *path, GError **error)
{
  GBytes *rgba;
  int w, h;

  /* the one loader of every front end (runtime/data/nd-image-load.c) */
  rgba = nd_image_load_rgba (path, &w, &h, error);
  if (rgba == NULL)
    return FALSE;
  nd_image_clear (image);
  image->width = w;
  image->height = h;
  image->stride = w * 4;
  image->rgba = rgba;
  return TRUE;
}

cairo_surface_t *
nd_image_surface_from_input (const NdTensor *input)
{
  int c, h, w, stride;
  cairo_surface_t *s;
  guint8 *data;
  float lo = INFINITY, hi = -INFINITY;

  g_return_val_if_fail (input != NULL && input->ndim == 4, NULL);
  c = (int) input->shape[1];
  h = (int) input->shape[2];
  w = (int) input->shape[3];
  for (gint64 i = 0; i < (gint64) c * h * w; i++)
    {
      lo = MIN (lo, input->data[i]);
      hi = MAX (hi, input->data[i]);
    }
  s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  data = cairo_image_surface_get_data (s);
  stride = cairo_image_surface_get_stride (s);
  cairo_surface_flush (s);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 px = 0;

        for (int k = 0; k < 3; k++)
          {
            float v = input->data[((gsize) MIN (k, c - 1) * h + y) * w + x];
            guint32 b = hi > lo ? (guint32) lroundf (255 * (v - lo) / (hi - lo)) : 128;

            px |= b << (16 - 8 * k);
          }
        ((guint32 *) (data + y * stride))[x] = px;
      }
  cairo_surface_mark_dirty (s);
  return s;
}
