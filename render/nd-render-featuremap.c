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
  int    first, n;  /* channels drawn: first .. first + n − 1 */
  int    cols, rows;
  double scale;     /* pixels per cell */
  double ox, oy;    /* top-left of the grid */
} Layout;

/* @only: one channel filling the area, or −1 for the grid of all (up to max_channels). */
static gboolean
layout_compute (const NdTensor *t, int only, double width, double height,
                const NdRenderStyle *style, Layout *l)
{
  int off = t->ndim == 4 ? 1 : 0;

  if (t->ndim < 3 || (t->ndim == 4 && t->shape[0] < 1))
    return FALSE;
  l->C = (int) t->shape[off];
  l->H = (int) t->shape[off + 1];
  l->W = (int) t->shape[off + 2];
  if (l->C < 1 || l->H < 1 || l->W < 1 || width <= 0 || height <= 0)
    return FALSE;
  if (only >= l->C)
    return FALSE;
  l->first = MAX (only, 0);
  l->n = only >= 0 ? 1 : style->max_channels > 0 ? MIN (l->C, style->max_channels) : l->C;
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

/* One channel's tile as a tw × th image: the plane itself when shown at or above its size,
 * else each pixel the mean of the cells under it. Either way the work is bounded by what is
 * shown plus one pass over the plane, whatever the channel count. */
static cairo_surface_t *
tile_image (const float *src, int W, int H, int tw, int th, float lo, float hi,
            const guint32 *lut, int *x0, float *sum)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_RGB24, tw, th);
  guint8 *data = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);
  float k = hi > lo ? 1.0f / (hi - lo) : 0;

  for (int x = 0; x <= tw; x++)
    x0[x] = (int) ((gint64) x * W / tw);
  cairo_surface_flush (img);
  for (int y = 0; y < th; y++)
    {
      guint32 *row = (guint32 *) (data + (gsize) y * stride);
      int y0 = (int) ((gint64) y * H / th), y1 = MAX ((int) ((gint64) (y + 1) * H / th), y0 + 1);

      for (int x = 0; x < tw; x++)
        sum[x] = 0;
      for (int sy = y0; sy < y1; sy++)
        for (int x = 0; x < tw; x++)
          for (int sx = x0[x]; sx < MAX (x0[x + 1], x0[x] + 1); sx++)
            sum[x] += src[(gsize) sy * W + sx];
      for (int x = 0; x < tw; x++)
        {
          float v = sum[x] / ((y1 - y0) * MAX (x0[x + 1] - x0[x], 1));

          row[x] = lut[nd_colormap_index (hi > lo ? (v - lo) * k : 0.5f)];
        }
    }
  cairo_surface_mark_dirty (img);
  return img;
}

static void
draw (cairo_t *cr, const NdTensor *tensor, int only, double width, double height,
      const NdRenderStyle *style)
{
  const guint32 *lut = nd_colormap_table (ND_COLORMAP_VIRIDIS);
  Layout l;
  float lo = INFINITY, hi = -INFINITY;
  gint64 plane;
  int tw, th;
  g_autofree int *x0 = NULL;
  g_autofree float *sum = NULL;

  nd_render_fill_bg (cr, style, width, height);
  if (tensor == NULL || !layout_compute (tensor, only, width, height, style, &l))
    return;
  plane = (gint64) l.H * l.W;
  /* The grid's range also for one channel, so its colours mean the same when enlarged. */
  robust_range (tensor->data, (style->max_channels > 0 ? MIN (l.C, style->max_channels) : l.C)
                * plane, &lo, &hi);
  tw = l.scale < 1 ? MAX ((int) ceil (l.W * l.scale), 1) : l.W;
  th = l.scale < 1 ? MAX ((int) ceil (l.H * l.scale), 1) : l.H;
  x0 = g_new (int, tw + 1);
  sum = g_new (float, tw);

  for (int i = 0; i < l.n; i++)
    {
      cairo_surface_t *img = tile_image (tensor->data + (l.first + i) * plane, l.W, l.H, tw, th,
                                         lo, hi, lut, x0, sum);
      double x = l.ox + (i % l.cols) * (l.W * l.scale + GAP);
      double y = l.oy + (i / l.cols) * (l.H * l.scale + GAP);

      cairo_save (cr);
      cairo_translate (cr, x, y);
      cairo_scale (cr, l.W * l.scale / tw, l.H * l.scale / th);
      cairo_set_source_surface (cr, img, 0, 0);
      /* Nearest: one flat colour per cell, no blur between activations. */
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_rectangle (cr, 0, 0, tw, th);
      cairo_fill (cr);
      cairo_restore (cr);
      cairo_surface_destroy (img);
    }
}

void
nd_render_featuremap (cairo_t             *cr,
                      const NdTensor      *tensor,
                      double               width,
                      double               height,
                      const NdRenderStyle *style)
{
  g_return_if_fail (cr != NULL && style != NULL);
  draw (cr, tensor, -1, width, height, style);
}

void
nd_render_featuremap_channel (cairo_t             *cr,
                              const NdTensor      *tensor,
                              int                  channel,
                              double               width,
                              double               height,
                              const NdRenderStyle *style)
{
  g_return_if_fail (cr != NULL && style != NULL && channel >= 0);
  draw (cr, tensor, channel, width, height, style);
}

static gboolean
cell_at (const NdTensor *tensor, int only, double width, double height,
         const NdRenderStyle *style, double px, double py, NdFeatureCell *cell)
{
  Layout l;
  double tw, th, fx, fy;
  int col, row;

  if (tensor == NULL || !layout_compute (tensor, only, width, height, style, &l))
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
  cell->channel = l.first + row * l.cols + col;
  cell->x = MIN ((int) (fx / l.scale), l.W - 1);
  cell->y = MIN ((int) (fy / l.scale), l.H - 1);
  return TRUE;
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
  g_return_val_if_fail (style != NULL && cell != NULL, FALSE);
  return cell_at (tensor, -1, width, height, style, px, py, cell);
}

gboolean
nd_render_featuremap_channel_cell_at (const NdTensor      *tensor,
                                      int                  channel,
                                      double               width,
                                      double               height,
                                      const NdRenderStyle *style,
                                      double               px,
                                      double               py,
                                      NdFeatureCell       *cell)
{
  g_return_val_if_fail (style != NULL && cell != NULL && channel >= 0, FALSE);
  return cell_at (tensor, channel, width, height, style, px, py, cell);
}

void
nd_render_featuremap_mark_cell (cairo_t             *cr,
                                const NdTensor      *tensor,
                                int                  only,
                                const NdFeatureCell *cell,
                                double               width,
                                double               height,
                                const NdRenderStyle *style)
{
  Layout l;
  double x, y, s;
  int i;

  g_return_if_fail (cr != NULL && cell != NULL && style != NULL);
  if (tensor == NULL || !layout_compute (tensor, only, width, height, style, &l))
    return;
  i = cell->channel - l.first;
  if (i < 0 || i >= l.n || cell->y < 0 || cell->y >= l.H || cell->x < 0 || cell->x >= l.W)
    return;
  s = l.scale;
  x = l.ox + (i % l.cols) * (l.W * s + GAP) + cell->x * s;
  y = l.oy + (i / l.cols) * (l.H * s + GAP) + cell->y * s;
  cairo_save (cr);
  /* Two rings (dark in light) so the mark shows on every viridis colour, even when a cell is
   * under 2 px. */
  cairo_rectangle (cr, x - 1.5, y - 1.5, MAX (s, 1) + 3, MAX (s, 1) + 3);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);
  cairo_rectangle (cr, x - 0.5, y - 0.5, MAX (s, 1) + 1, MAX (s, 1) + 1);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  cairo_restore (cr);
}
