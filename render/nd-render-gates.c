/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "nd-render-gates.h"

#define PAD 4.0
/* From this width on the chart has axes: gate values on the left, channels below. Smaller
 * charts are bars only. */
#define AXES_MIN_WIDTH 160.0
#define AXIS_LEFT      38.0
#define AXIS_BOTTOM    16.0
#define AXIS_TOP       16.0   /* the hover readout */

typedef struct
{
  double x0, x1, top, base;
} Plot;

static gboolean
has_axes (double width, double height)
{
  return width >= AXES_MIN_WIDTH && height >= 3 * (AXIS_BOTTOM + AXIS_TOP);
}

static void
plot_rect (double width, double height, Plot *p)
{
  gboolean axes = has_axes (width, height);

  p->x0 = axes ? AXIS_LEFT : PAD;
  p->x1 = width - PAD;
  p->top = axes ? AXIS_TOP : PAD;
  p->base = height - (axes ? AXIS_BOTTOM : PAD);
}

/* Ticks on the value axis (0, the middle, the maximum) and on the channel axis (0, the
 * middle, the last), with their numbers. */
static void
draw_axes (cairo_t *cr, const Plot *p, int n, double max_value, const NdRenderStyle *style)
{
  double fs = MIN (style->font_size * 0.85, 10);
  char buf[32];

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, p->x0 - 0.5, p->top);
  cairo_line_to (cr, p->x0 - 0.5, p->base + 0.5);
  cairo_line_to (cr, p->x1, p->base + 0.5);
  cairo_stroke (cr);
  cairo_set_font_size (cr, fs);
  for (int i = 0; i <= 2; i++)
    {
      double v = max_value * i / 2, y = p->base - (p->base - p->top) * i / 2;

      cairo_move_to (cr, p->x0 - 4, y + 0.5);
      cairo_line_to (cr, p->x0, y + 0.5);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%.3g", v);
      nd_render_text (cr, buf, p->x0 - 6, y + fs * 0.35, 1);
    }
  for (int i = 0; i <= 2; i++)
    {
      int c = i == 0 ? 0 : i == 1 ? n / 2 : n - 1;
      double x = p->x0 + (c + 0.5) * (p->x1 - p->x0) / n;

      if (i == 1 && (c == 0 || c == n - 1))
        continue;
      cairo_move_to (cr, x + 0.5, p->base);
      cairo_line_to (cr, x + 0.5, p->base + 3);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%d", c);
      /* The end labels stay inside the chart. */
      nd_render_text (cr, buf, i == 2 ? MIN (x + 4, p->x1) : x, p->base + 3 + fs,
                      i == 2 ? 1 : 0.5);
    }
}

void
nd_render_gates_hover (cairo_t             *cr,
                       const float         *values,
                       int                  n,
                       double               max_value,
                       int                  hover,
                       double               width,
                       double               height,
                       const NdRenderStyle *style)
{
  Plot p;
  double bw, span;
  gboolean axes = has_axes (width, height);

  g_return_if_fail (cr != NULL && style != NULL);

  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  plot_rect (width, height, &p);
  if (values == NULL || n <= 0 || max_value <= 0 || p.x1 <= p.x0 || p.base <= p.top)
    {
      cairo_restore (cr);
      return;
    }
  bw = (p.x1 - p.x0) / n;
  span = p.base - p.top;
  if (axes)
    draw_axes (cr, &p, n, max_value, style);
  for (int pass = 0; pass < 2; pass++)
    {
      nd_render_set_rgba (cr, pass == 0 ? style->accent : style->highlight);
      for (int i = 0; i < n; i++)
        {
          double v = isfinite (values[i]) ? CLAMP (values[i], 0, max_value) : 0;
          double bh = span * v / max_value;
          /* Bars keep a gap when they are wide enough to show one. */
          double gap = bw >= 4 ? 1 : 0;

          if ((i == hover) != (pass == 1))
            continue;
          /* The hovered bar at least 2 px wide, so it shows among hundreds. */
          cairo_rectangle (cr, p.x0 + i * bw, p.base - bh,
                           MAX (bw - gap, i == hover ? 2 : 0.5), bh);
        }
      cairo_fill (cr);
    }

  if (max_value > 1)
    {
      double y = p.base - span / max_value;
      const double dash[] = { 4, 3 };

      nd_render_set_rgba (cr, style->muted);
      cairo_set_line_width (cr, 1);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, p.x0, y);
      cairo_line_to (cr, p.x1, y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  if (axes)
    {
      double fs = MIN (style->font_size * 0.85, 10);
      char buf[64];

      cairo_set_font_size (cr, fs);
      nd_render_set_rgba (cr, style->fg);
      /* Values on the bars when they are wide enough to hold a number. */
      if (bw >= 28)
        for (int i = 0; i < n; i++)
          if (isfinite (values[i]))
            {
              double v = CLAMP (values[i], 0, max_value);

              g_snprintf (buf, sizeof buf, "%.2f", values[i]);
              nd_render_text (cr, buf, p.x0 + (i + 0.5) * bw,
                              MAX (p.base - span * v / max_value - 2, p.top + fs), 0.5);
            }
      if (hover >= 0 && hover < n)
        {
          /* translators: SE gate chart readout: channel number and its gate value */
          g_snprintf (buf, sizeof buf, _("channel %d · gate %.4f"), hover, values[hover]);
          nd_render_text (cr, buf, p.x1, fs + 1, 1);
        }
    }
  cairo_restore (cr);
}

void
nd_render_gates (cairo_t             *cr,
                 const float         *values,
                 int                  n,
                 double               max_value,
                 double               width,
                 double               height,
                 const NdRenderStyle *style)
{
  nd_render_gates_hover (cr, values, n, max_value, -1, width, height, style);
}

int
nd_render_gates_index_at (int n, double width, double x)
{
  return nd_render_gates_index_at_full (n, width, 0, x);
}

int
nd_render_gates_index_at_full (int n, double width, double height, double x)
{
  Plot p;
  int i;

  plot_rect (width, height, &p);
  if (n <= 0 || p.x1 <= p.x0 || x < p.x0 || x >= p.x1)
    return -1;
  i = (int) ((x - p.x0) / ((p.x1 - p.x0) / n));
  return MIN (i, n - 1);
}
