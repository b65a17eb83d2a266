/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-render-style.h"

G_BEGIN_DECLS

/* The architecture lab's plots: a scatter of models with the Pareto front, and a roofline. */

typedef struct
{
  double      x, y;
  const char *label;
  gboolean    fused;     /* series colour */
} NdPlotPoint;

typedef struct
{
  const char *x_label;
  const char *y_label;
  const char *caption;          /* backend, device, threads, precision, date */
  gboolean    log_x, log_y;
  gboolean    y_higher_better;  /* Pareto: lower x is better; y higher (or lower) */
  int         selected;         /* point drawn in the accent colour, -1 none */
} NdPlotAxes;

/* Marks in @on_front the points no other point beats on both axes; returns their number. */
int  nd_plot_pareto    (const NdPlotPoint *points,
                        int                n,
                        gboolean           y_higher_better,
                        gboolean          *on_front);
void nd_render_scatter (cairo_t             *cr,
                        const NdPlotPoint   *points,
                        int                  n,
                        const NdPlotAxes    *axes,
                        double               width,
                        double               height,
                        const NdRenderStyle *style);
/* The point under (@px, @py) within a few pixels, as nd_render_scatter() placed it, or -1. */
int  nd_plot_hit       (const NdPlotPoint   *points,
                        int                  n,
                        const NdPlotAxes    *axes,
                        double               width,
                        double               height,
                        double               px,
                        double               py);

typedef struct
{
  double intensity;   /* FLOP per byte */
  double gflops;      /* achieved */
  int    kind;        /* 0 conv/linear, 1 element-wise, 2 pooling/data movement, 3 a conv
                       * whose rate is effective (Winograd: fewer multiplies than counted) */
  gboolean selected;  /* drawn larger, ringed in the accent colour */
} NdRoofPoint;

/* Log-log roofline: the roof min(@peak_gflops, I·@bandwidth_gbs) and the points. */
void nd_render_roofline (cairo_t             *cr,
                         double               peak_gflops,
                         double               bandwidth_gbs,
                         const NdRoofPoint   *points,
                         int                  n,
                         const char          *caption,
                         double               width,
                         double               height,
                         const NdRenderStyle *style);
/* The point under (@px, @py) within a few pixels, as nd_render_roofline() placed it, or -1. */
int  nd_roof_hit        (double               peak_gflops,
                         double               bandwidth_gbs,
                         const NdRoofPoint   *points,
                         int                  n,
                         double               width,
                         double               height,
                         double               px,
                         double               py);

/* One bar of a bar chart: @value with a whisker from @lo to @hi (e.g. median and IQR). */
typedef struct
{
  const char *label;
  double      value, lo, hi;
  const char *note;     /* a second, smaller line under the label; may be NULL */
} NdPlotBar;

/* Bars from zero, one per slot, labels under the axis (shrunk to fit their slot, never
 * overlapping), the value above each bar. */
void nd_render_bars     (cairo_t             *cr,
                         const NdPlotBar     *bars,
                         int                  n,
                         const char          *y_label,
                         const char          *caption,
                         double               width,
                         double               height,
                         const NdRenderStyle *style);

G_END_DECLS
