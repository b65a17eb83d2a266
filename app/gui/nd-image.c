/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>

#include "nd-error.h"
#include "nd-image.h"
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
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkPixbuf) rgba = NULL;
  g_autoptr(GError) local = NULL;
  int w, h;

  if (gdk_pixbuf_get_file_info (path, &w, &h) == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s is not an image this program can read"), path);
      return FALSE;
    }
  if (w < 1 || h < 1 || w > ND_PREPROCESS_MAX_SIDE || h > ND_PREPROCESS_MAX_SIDE)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE,
                   _("%s: %d×%d pixels is outside 1–%d per side"), path, w, h,
                   ND_PREPROCESS_MAX_SIDE);
      return FALSE;
    }
  pixbuf = gdk_pixbuf_new_from_file (path, &local);
  if (pixbuf == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_BAD_FILE, "%s: %s", path,
                   local->message);
      return FALSE;
    }
  rgba = gdk_pixbuf_add_alpha (pixbuf, FALSE, 0, 0, 0);
  nd_image_clear (image);
  image->width = gdk_pixbuf_get_width (rgba);
  image->height = gdk_pixbuf_get_height (rgba);
  image->stride = gdk_pixbuf_get_rowstride (rgba);
  image->rgba = gdk_pixbuf_read_pixel_bytes (rgba);
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
