/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nd-render-gates.h"

#define PAD 4.0

void
nd_render_gates (cairo_t             *cr,
                 const float         *values,
                 int                  n,
                 double               max_value,
                 double               width,
                 double               height,
                 const NdRenderStyle *style)
{
  double bw, base, span;

  g_return_if_fail (cr != NULL && style != NULL);

  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (values == NULL || n <= 0 || max_value <= 0 || width <= 2 * PAD || height <= 2 * PAD)
    {
      cairo_restore (cr);
      return;
    }
  bw = (width - 2 * PAD) / n;
  base = height - PAD;
  span = height - 2 * PAD;
  nd_render_set_rgba (cr, style->accent);
  for (int i = 0; i < n; i++)
    {
      double v = isfinite (values[i]) ? CLAMP (values[i], 0, max_value) : 0;
      double bh = span * v / max_value;
      /* Bars keep a gap when they are wide enough to show one. */
      double gap = bw >= 4 ? 1 : 0;

      cairo_rectangle (cr, PAD + i * bw, base - bh, MAX (bw - gap, 0.5), bh);
    }
  cairo_fill (cr);

  if (max_value > 1)
    {
      double y = base - span / max_value;
      const double dash[] = { 4, 3 };

      nd_render_set_rgba (cr, style->muted);
      cairo_set_line_width (cr, 1);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, PAD, y);
      cairo_line_to (cr, width - PAD, y);
      cairo_stroke (cr);
    }
  cairo_restore (cr);
}

int
nd_render_gates_index_at (int n, double width, double x)
{
  int i;

  if (n <= 0 || width <= 2 * PAD || x < PAD || x >= width - PAD)
    return -1;
  i = (int) ((x - PAD) / ((width - 2 * PAD) / n));
  return MIN (i, n - 1);
}
