/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "nd-colormap.h"
#include "nd-render-featuremap.h"

#define GAP 2.0

typedef struct
{
  int    C, H, W;   /* tensor */
  int    n;         /* channels drawn */
  int    cols, rows;
  double scale;     /* pixels per cell */
  double ox, oy;    /* top-left of the grid */
} Layout;

static gboolean
layout_compute (const NdTensor *t, double width, double height, const NdRenderStyle *style,
                Layout *l)
{
  int off = t->ndim == 4 ? 1 : 0;

  if (t->ndim < 3 || (t->ndim == 4 && t->shape[0] < 1))
    return FALSE;
  l->C = (int) t->shape[off];
  l->H = (int) t->shape[off + 1];
  l->W = (int) t->shape[off + 2];
  if (l->C < 1 || l->H < 1 || l->W < 1 || width <= 0 || height <= 0)
    return FALSE;
  l->n = style->max_channels > 0 ? MIN (l->C, style->max_channels) : l->C;
  l->scale = 0;
  /* The column count that gives the biggest tiles. */
  for (int cols = 1; cols <= l->n; cols++)
    {
      int rows = (l->n + cols - 1) / cols;
      double sx = (width - GAP * (cols - 1)) / (cols * (double) l->W);
      double sy = (height - GAP * (rows - 1)) / (rows * (double) l->H);
      double s = MIN (sx, sy);

      if (s > l->scale)
        {
          l->scale = s;
          l->cols = cols;
          l->rows = rows;
        }
    }
  if (l->scale <= 0)
    return FALSE;
  l->ox = floor ((width - (l->cols * l->W * l->scale + GAP * (l->cols - 1))) / 2);
  l->oy = floor ((height - (l->rows * l->H * l->scale + GAP * (l->rows - 1))) / 2);
  return TRUE;
}

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

/* The 1st and 99th percentiles of up to 4096 evenly spaced finite samples: one outlier does
 * not turn every other cell dark. Values beyond them take the end colours. */
static void
robust_range (const float *data, gint64 n, float *lo, float *hi)
{
  float sample[4096];
  gint64 step = MAX (n / (gint64) G_N_ELEMENTS (sample), 1);
  int m = 0;

  for (gint64 i = 0; i < n && m < (int) G_N_ELEMENTS (sample); i += step)
    if (isfinite (data[i]))
      sample[m++] = data[i];
  if (m == 0)
    {
      *lo = *hi = 0;
      return;
    }
  qsort (sample, m, sizeof (float), compare_floats);
  *lo = sample[(int) (0.01 * (m - 1))];
  *hi = sample[(int) (0.99 * (m - 1))];
}

void
nd_render_featuremap (cairo_t             *cr,
                      const NdTensor      *tensor,
                      double               width,
                      double               height,
                      const NdRenderStyle *style)
{
  Layout l;
  float lo = INFINITY, hi = -INFINITY;
  gint64 plane;

  g_return_if_fail (cr != NULL && style != NULL);

  nd_render_fill_bg (cr, style, width, height);
  if (tensor == NULL || !layout_compute (tensor, width, height, style, &l))
    return;
  plane = (gint64) l.H * l.W;
  robust_range (tensor->data, l.n * plane, &lo, &hi);

  for (int c = 0; c < l.n; c++)
    {
      const float *src = tensor->data + c * plane;
      cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_RGB24, l.W, l.H);
      guint8 *data = cairo_image_surface_get_data (img);
      int stride = cairo_image_surface_get_stride (img);
      double x = l.ox + (c % l.cols) * (l.W * l.scale + GAP);
      double y = l.oy + (c / l.cols) * (l.H * l.scale + GAP);

      cairo_surface_flush (img);
      for (int yy = 0; yy < l.H; yy++)
        {
          guint32 *row = (guint32 *) (data + yy * stride);

          for (int xx = 0; xx < l.W; xx++)
            {
              double t = hi > lo ? (src[yy * l.W + xx] - lo) / (hi - lo) : 0.5;

              row[xx] = nd_colormap_rgb24 (ND_COLORMAP_VIRIDIS, t);
            }
        }
      cairo_surface_mark_dirty (img);

      cairo_save (cr);
      cairo_translate (cr, x, y);
      cairo_scale (cr, l.scale, l.scale);
      cairo_set_source_surface (cr, img, 0, 0);
      /* Nearest: one flat colour per cell, no blur between activations. */
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_rectangle (cr, 0, 0, l.W, l.H);
      cairo_fill (cr);
      cairo_restore (cr);
      cairo_surface_destroy (img);
    }
}

gboolean
nd_render_featuremap_cell_at (const NdTensor      *tensor,
                              double               width,
                              double               height,
                              const NdRenderStyle *style,
                              double               px,
                              double               py,
                              NdFeatureCell       *cell)
{
  Layout l;
  double tw, th, fx, fy;
  int col, row;

  g_return_val_if_fail (style != NULL && cell != NULL, FALSE);

  if (tensor == NULL || !layout_compute (tensor, width, height, style, &l))
    return FALSE;
  tw = l.W * l.scale;
  th = l.H * l.scale;
  if (px < l.ox || py < l.oy)
    return FALSE;
  col = (int) ((px - l.ox) / (tw + GAP));
  row = (int) ((py - l.oy) / (th + GAP));
  if (col >= l.cols || row >= l.rows || row * l.cols + col >= l.n)
    return FALSE;
  fx = px - l.ox - col * (tw + GAP);
  fy = py - l.oy - row * (th + GAP);
  if (fx >= tw || fy >= th)
    return FALSE;
  cell->channel = row * l.cols + col;
  cell->x = MIN ((int) (fx / l.scale), l.W - 1);
  cell->y = MIN ((int) (fy / l.scale), l.H - 1);
  return TRUE;
}
