/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-graph.h"
#include "nd-render-style.h"

G_BEGIN_DECLS

/* One measured configuration in the history plot. */
typedef struct
{
  double   ms;        /* warm latency of one run */
  gboolean fused;
  double   cold_ms;   /* the first run of the same plan; 0: not known */
  double   t;         /* seconds since the first sample (the x axis) */
  int      series;    /* index into NdRenderLatencyData.series_names */
} NdLatencySample;

typedef struct
{
  const NdGraph         *graph;
  const double          *op_ms;       /* [n_nodes] of the last run, or NULL */
  double                 total_ms;    /* warm: the last run's wall time */
  double                 prepare_ms;  /* cold: building the plan */
  const NdLatencySample *history;     /* oldest first */
  int                    n_history;
  /* One series per model and knob set, joined and coloured apart, with a legend; NULL:
   * two series, fused and unfused. */
  const char * const    *series_names;
  int                    n_series;
} NdRenderLatencyData;

/* The three panels stacked: the per-op timeline (ops laid end to end in execution order,
 * one row per stream, shared ops on their own row), per-stream totals as bars, and the
 * history of warm latencies (filled dots, joined) and cold first runs (rings) over time, with
 * labelled axes (seconds, ms) and one series per model and knob set. */
void nd_render_latency          (cairo_t                   *cr,
                                 const NdRenderLatencyData *data,
                                 double                     width,
                                 double                     height,
                                 const NdRenderStyle       *style);
void nd_render_latency_timeline (cairo_t                   *cr,
                                 const NdRenderLatencyData *data,
                                 double                     width,
                                 double                     height,
                                 const NdRenderStyle       *style);
void nd_render_latency_streams  (cairo_t                   *cr,
                                 const NdRenderLatencyData *data,
                                 double                     width,
                                 double                     height,
                                 const NdRenderStyle       *style);
void nd_render_latency_history  (cairo_t                   *cr,
                                 const NdRenderLatencyData *data,
                                 double                     width,
                                 double                     height,
                                 const NdRenderStyle       *style);

/* Per-stream totals: @totals gets n_streams + 1 entries, the last one the shared ops. */
int  nd_latency_stream_totals   (const NdGraph *graph,
                                 const double  *op_ms,
                                 double        *totals,
                                 int            max_totals);

G_END_DECLS
