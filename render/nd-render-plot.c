/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-render-plot.h"

#define MARGIN_L 64
#define MARGIN_R 16
#define MARGIN_T 38
#define MARGIN_B 40
#define DOT_R    4.5

/* One axis: data range to pixels, linear or log10. */
typedef struct
{
  double lo, hi;
  gboolean log;
} Axis;

static double
axis_value (const Axis *a, double v)
{
  return a->log ? log10 (MAX (v, 1e-12)) : v;
}

static void
axis_fit (Axis *a, const double *v, int n, gboolean log, gboolean from_zero)
{
  double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;

  a->log = log;
  for (int i = 0; i < n; i++)
    {
      double x = axis_value (a, v[i]);

      lo = MIN (lo, x);
      hi = MAX (hi, x);
    }
  if (n == 0)
    lo = 0, hi = 1;
  if (from_zero && !log)
    lo = MIN (lo, 0);
  if (hi - lo < 1e-9)
    lo -= 0.5, hi += 0.5;
  a->lo = from_zero && !log && lo >= 0 ? 0 : lo - 0.06 * (hi - lo);
  a->hi = hi + 0.06 * (hi - lo);
}

static double
axis_to_px (const Axis *a, double v, double p0, double p1)
{
  return p0 + (axis_value (a, v) - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static void
fit_axes (const NdPlotPoint *pts, int n, const NdPlotAxes *axes, Axis *ax, Axis *ay)
{
  g_autofree double *xs = g_new (double, MAX (n, 1));
  g_autofree double *ys = g_new (double, MAX (n, 1));

  for (int i = 0; i < n; i++)
    xs[i] = pts[i].x, ys[i] = pts[i].y;
  axis_fit (ax, xs, n, axes->log_x, TRUE);
  axis_fit (ay, ys, n, axes->log_y, FALSE);
}

int
nd_plot_pareto (const NdPlotPoint *pts, int n, gboolean y_higher_better, gboolean *on_front)
{
  int count = 0;

  for (int i = 0; i < n; i++)
    {
      gboolean beaten = FALSE;

      for (int j = 0; j < n && !beaten; j++)
        {
          double yi = y_higher_better ? pts[i].y : -pts[i].y;
          double yj = y_higher_better ? pts[j].y : -pts[j].y;

          beaten = j != i && pts[j].x <= pts[i].x && yj >= yi
                   && (pts[j].x < pts[i].x || yj > yi);
        }
      on_front[i] = !beaten;
      count += !beaten;
    }
  return count;
}

static void
draw_frame (cairo_t *cr, const Axis *ax, const Axis *ay, const char *x_label,
            const char *y_label, const char *caption, double w, double h,
            const NdRenderStyle *style)
{
  char buf[32];

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_rectangle (cr, MARGIN_L, MARGIN_T, w - MARGIN_L - MARGIN_R, h - MARGIN_T - MARGIN_B);
  cairo_stroke (cr);
  cairo_set_font_size (cr, style->font_size * 0.85);
  for (int t = 0; t <= 4; t++)
    {
      double vx = ax->lo + (ax->hi - ax->lo) * t / 4, vy = ay->lo + (ay->hi - ay->lo) * t / 4;
      double px = MARGIN_L + (w - MARGIN_L - MARGIN_R) * t / 4;
      double py = h - MARGIN_B - (h - MARGIN_T - MARGIN_B) * t / 4;

      g_snprintf (buf, sizeof buf, "%.3g", ax->log ? pow (10, vx) : vx);
      nd_render_text (cr, buf, px, h - MARGIN_B + style->font_size + 2, 0.5);
      g_snprintf (buf, sizeof buf, "%.3g", ay->log ? pow (10, vy) : vy);
      nd_render_text (cr, buf, MARGIN_L - 4, py + style->font_size * 0.3, 1);
    }
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, style->font_size);
  nd_render_text (cr, x_label, (MARGIN_L + w - MARGIN_R) / 2, h - 6, 0.5);
  nd_render_text (cr, y_label, MARGIN_L, MARGIN_T - 22, 0);
  if (caption != NULL)
    {
      nd_render_set_rgba (cr, style->muted);
      cairo_set_font_size (cr, style->font_size * 0.8);
      nd_render_text (cr, caption, w - MARGIN_R, MARGIN_T - 6, 1);
    }
}

void
nd_render_scatter (cairo_t *cr, const NdPlotPoint *pts, int n, const NdPlotAxes *axes,
                   double w, double h, const NdRenderStyle *style)
{
  g_autofree gboolean *front = g_new0 (gboolean, MAX (n, 1));
  g_autofree int *order = g_new (int, MAX (n, 1));
  Axis ax, ay;
  int nf = 0;
  gboolean started = FALSE;

  g_return_if_fail (cr != NULL && axes != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, w, h);
  if (w <= MARGIN_L + MARGIN_R || h <= MARGIN_T + MARGIN_B)
    goto out;
  fit_axes (pts, n, axes, &ax, &ay);
  draw_frame (cr, &ax, &ay, axes->x_label, axes->y_label, axes->caption, w, h, style);
  nd_plot_pareto (pts, n, axes->y_higher_better, front);

  /* the front joined left to right */
  for (int i = 0; i < n; i++)
    if (front[i])
      order[nf++] = i;
  for (int a = 1; a < nf; a++)
    for (int b = a; b > 0 && pts[order[b]].x < pts[order[b - 1]].x; b--)
      {
        int t = order[b];

        order[b] = order[b - 1];
        order[b - 1] = t;
      }
  nd_render_set_rgba (cr, style->highlight);
  cairo_set_line_width (cr, 2);
  for (int k = 0; k < nf; k++)
    {
      double x = axis_to_px (&ax, pts[order[k]].x, MARGIN_L, w - MARGIN_R);
      double y = axis_to_px (&ay, pts[order[k]].y, h - MARGIN_B, MARGIN_T);

      if (!started)
        cairo_move_to (cr, x, y), started = TRUE;
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);

  cairo_set_font_size (cr, style->font_size * 0.85);
  for (int i = 0; i < n; i++)
    {
      double x = axis_to_px (&ax, pts[i].x, MARGIN_L, w - MARGIN_R);
      double y = axis_to_px (&ay, pts[i].y, h - MARGIN_B, MARGIN_T);

      nd_render_set_rgba (cr, i == axes->selected ? style->accent
                              : pts[i].fused ? style->fused : style->unfused);
      cairo_arc (cr, x, y, front[i] ? DOT_R + 1.5 : DOT_R, 0, 2 * G_PI);
      cairo_fill (cr);
      nd_render_set_rgba (cr, style->fg);
      if (pts[i].label != NULL)
        {
          cairo_text_extents_t ext;

          /* a label that would leave the frame goes on the dot's left */
          cairo_text_extents (cr, pts[i].label, &ext);
          if (x + DOT_R + 3 + ext.x_advance > w - MARGIN_R)
            nd_render_text (cr, pts[i].label, x - DOT_R - 3, y - 3, 1);
          else
            nd_render_text (cr, pts[i].label, x + DOT_R + 3, y - 3, 0);
        }
    }
out:
  cairo_restore (cr);
}

int
nd_plot_hit (const NdPlotPoint *pts, int n, const NdPlotAxes *axes, double w, double h,
             double px, double py)
{
  Axis ax, ay;
  int best = -1;
  double best_d = (DOT_R + 4) * (DOT_R + 4);

  if (n <= 0 || w <= MARGIN_L + MARGIN_R || h <= MARGIN_T + MARGIN_B)
    return -1;
  fit_axes (pts, n, axes, &ax, &ay);
  for (int i = 0; i < n; i++)
    {
      double dx = axis_to_px (&ax, pts[i].x, MARGIN_L, w - MARGIN_R) - px;
      double dy = axis_to_px (&ay, pts[i].y, h - MARGIN_B, MARGIN_T) - py;

      if (dx * dx + dy * dy <= best_d)
        best_d = dx * dx + dy * dy, best = i;
    }
  return best;
}

/* The roofline's log axes: every point, and the roof's ends always in view. */
static void
roof_axes (double peak, double bw, const NdRoofPoint *pts, int n, Axis *ax, Axis *ay,
           double *xs, double *ys)
{
  double ridge = bw > 0 ? peak / bw : 1;

  for (int i = 0; i < n; i++)
    xs[i] = MAX (pts[i].intensity, 1e-3), ys[i] = MAX (pts[i].gflops, 1e-3);
  xs[n] = ridge / 100, ys[n] = bw * ridge / 100;
  xs[n + 1] = ridge * 100, ys[n + 1] = peak;
  axis_fit (ax, xs, n + 2, TRUE, FALSE);
  axis_fit (ay, ys, n + 2, TRUE, FALSE);
}

void
nd_render_roofline (cairo_t *cr, double peak, double bw, const NdRoofPoint *pts, int n,
                    const char *caption, double w, double h, const NdRenderStyle *style)
{
  const double *kind_rgba[3];
  g_autofree double *xs = g_new (double, n + 2);
  g_autofree double *ys = g_new (double, n + 2);
  Axis ax, ay;
  double ridge = bw > 0 ? peak / bw : 1;

  g_return_if_fail (cr != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, w, h);
  if (w <= MARGIN_L + MARGIN_R || h <= MARGIN_T + MARGIN_B || peak <= 0 || bw <= 0)
    goto out;
  kind_rgba[0] = style->fused;
  kind_rgba[1] = style->unfused;
  kind_rgba[2] = style->muted;
  roof_axes (peak, bw, pts, n, &ax, &ay, xs, ys);
  draw_frame (cr, &ax, &ay, _("arithmetic intensity (FLOP/byte)"), _("GFLOP/s"), caption,
              w, h, style);

  nd_render_set_rgba (cr, style->highlight);
  cairo_set_line_width (cr, 2);
  cairo_move_to (cr, axis_to_px (&ax, pow (10, ax.lo), MARGIN_L, w - MARGIN_R),
                 axis_to_px (&ay, bw * pow (10, ax.lo), h - MARGIN_B, MARGIN_T));
  cairo_line_to (cr, axis_to_px (&ax, ridge, MARGIN_L, w - MARGIN_R),
                 axis_to_px (&ay, peak, h - MARGIN_B, MARGIN_T));
  cairo_line_to (cr, w - MARGIN_R, axis_to_px (&ay, peak, h - MARGIN_B, MARGIN_T));
  cairo_stroke (cr);
  cairo_set_line_width (cr, 1.5);
  for (int i = 0; i < n; i++)
    {
      double px = axis_to_px (&ax, xs[i], MARGIN_L, w - MARGIN_R);
      double py = axis_to_px (&ay, ys[i], h - MARGIN_B, MARGIN_T);

      /* kind 3 (an effective rate: fewer multiplies than counted) is a ring */
      nd_render_set_rgba (cr, kind_rgba[pts[i].kind == 3 ? 0 : CLAMP (pts[i].kind, 0, 2)]);
      cairo_new_sub_path (cr);
      cairo_arc (cr, px, py, pts[i].selected ? 5 : 3, 0, 2 * G_PI);
      if (pts[i].kind == 3)
        cairo_stroke (cr);
      else
        cairo_fill (cr);
      if (pts[i].selected)
        {
          nd_render_set_rgba (cr, style->accent);
          cairo_set_line_width (cr, 2.5);
          cairo_new_sub_path (cr);
          cairo_arc (cr, px, py, 8, 0, 2 * G_PI);
          cairo_stroke (cr);
          cairo_set_line_width (cr, 1.5);
        }
    }
out:
  cairo_restore (cr);
}

int
nd_roof_hit (double peak, double bw, const NdRoofPoint *pts, int n, double w, double h,
             double px, double py)
{
  g_autofree double *xs = g_new (double, n + 2);
  g_autofree double *ys = g_new (double, n + 2);
  double best = 8 * 8;   /* within 8 px */
  int hit = -1;
  Axis ax, ay;

  if (w <= MARGIN_L + MARGIN_R || h <= MARGIN_T + MARGIN_B || peak <= 0 || bw <= 0)
    return -1;
  roof_axes (peak, bw, pts, n, &ax, &ay, xs, ys);
  for (int i = 0; i < n; i++)
    {
      double dx = axis_to_px (&ax, xs[i], MARGIN_L, w - MARGIN_R) - px;
      double dy = axis_to_px (&ay, ys[i], h - MARGIN_B, MARGIN_T) - py;

      if (dx * dx + dy * dy <= best)
        best = dx * dx + dy * dy, hit = i;
    }
  return hit;
}

void
nd_render_bars (cairo_t *cr, const NdPlotBar *bars, int n, const char *y_label,
                const char *caption, double w, double h, const NdRenderStyle *style)
{
  double bottom = h - MARGIN_B - style->font_size * 1.2;   /* room for the notes */
  double plot_w = w - MARGIN_L - MARGIN_R, top = MARGIN_T, slot;
  double max = 0;
  char buf[32];

  nd_render_fill_bg (cr, style, w, h);
  for (int i = 0; i < n; i++)
    max = MAX (max, MAX (bars[i].value, bars[i].hi));
  if (max <= 0)
    max = 1;
  max *= 1.12;   /* room for the value text */
  slot = plot_w / MAX (n, 1);
  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, MARGIN_L, top);
  cairo_line_to (cr, MARGIN_L, bottom);
  cairo_line_to (cr, w - MARGIN_R, bottom);
  cairo_stroke (cr);
  cairo_set_font_size (cr, style->font_size * 0.85);
  for (int t = 0; t <= 4; t++)
    {
      double py = bottom - (bottom - top) * t / 4;

      g_snprintf (buf, sizeof buf, "%.3g", max * t / 4);
      nd_render_text (cr, buf, MARGIN_L - 4, py + style->font_size * 0.3, 1);
    }
  for (int i = 0; i < n; i++)
    {
      const NdPlotBar *b = &bars[i];
      double x0 = MARGIN_L + slot * i, cx = x0 + slot / 2, bw = slot * 0.56;
      double y = bottom - (bottom - top) * b->value / max;
      double ylo = bottom - (bottom - top) * b->lo / max;
      double yhi = bottom - (bottom - top) * b->hi / max;

      nd_render_set_rgba (cr, style->fused);
      cairo_rectangle (cr, cx - bw / 2, y, bw, bottom - y);
      cairo_fill (cr);
      nd_render_set_rgba (cr, style->fg);
      cairo_set_line_width (cr, 1.5);
      cairo_move_to (cr, cx, ylo);
      cairo_line_to (cr, cx, yhi);
      cairo_move_to (cr, cx - bw / 6, ylo);
      cairo_line_to (cr, cx + bw / 6, ylo);
      cairo_move_to (cr, cx - bw / 6, yhi);
      cairo_line_to (cr, cx + bw / 6, yhi);
      cairo_stroke (cr);
      cairo_set_font_size (cr, style->font_size * 0.85);
      g_snprintf (buf, sizeof buf, "%.3g", b->value);
      nd_render_text_fit (cr, buf, cx, MIN (y, yhi) - 4, 0.5, slot - 4, 6);
      cairo_set_font_size (cr, style->font_size * 0.9);
      nd_render_text_fit (cr, b->label, cx, bottom + style->font_size + 2, 0.5, slot - 4, 6);
      if (b->note != NULL)
        {
          nd_render_set_rgba (cr, style->muted);
          cairo_set_font_size (cr, style->font_size * 0.8);
          nd_render_text_fit (cr, b->note, cx, bottom + style->font_size * 2.2 + 2, 0.5,
                              slot - 4, 6);
        }
    }
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, style->font_size);
  nd_render_text (cr, y_label, MARGIN_L, MARGIN_T - 22, 0);
  if (caption != NULL)
    {
      nd_render_set_rgba (cr, style->muted);
      cairo_set_font_size (cr, style->font_size * 0.8);
      nd_render_text (cr, caption, w - MARGIN_R, MARGIN_T - 6, 1);
    }
}
