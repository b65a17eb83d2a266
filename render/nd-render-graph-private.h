/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-render-graph.h"

G_BEGIN_DECLS

/* The graph view's layout (nd-render-graph-layout.c), shared with its drawing and hit-tests
 * (nd-render-graph.c). */

#define MARGIN_LEFT   96.0
#define MARGIN_RIGHT  12.0
#define MARGIN_TOP    10.0
#define MARGIN_BOTTOM 34.0
/* Text smaller than this on screen is left out rather than drawn unreadable; zoom in and it
 * appears (the widget's tooltip names every block meanwhile). */
#define MIN_TEXT_PX   8.0

typedef struct
{
  const NdBlockStats *st;
  int      col, lane, slot, n_slots;
  int      first_col;    /* a block several layers deep (ResNet's) spans its columns */
  double   ms;
  guint    roles;        /* bit per NdRole present in the block */
  gboolean on_path;
  int      skip;         /* residual shortcut around the block: 0 none, 1 identity, 2 1×1 conv */
  gboolean concat;       /* holds a torch.cat (ND_OP_CONCAT): drawn taller, with its branches */
  double   x, y, w, h;   /* box, in content coordinates (before zoom/pan) */
} Box;

typedef struct
{
  int      from, to;
  gboolean on_path;
} Edge;

typedef struct
{
  GPtrArray *stats;      /* NdBlockStats* */
  Box       *boxes;
  int        n_boxes;
  int       *node_box;   /* [n_nodes] box index or −1 */
  GArray    *edges;      /* Edge */
  int        n_lanes, n_cols, axis_cols;
  int       *lane_res;   /* [n_lanes] */
  int       *lane_stream;/* [n_lanes] stream, −1 for the single lane of a deep model */
  double     lane_h, col_w, max_ms;
} Layout;

void        _nd_render_graph_layout      (Layout                  *l,
                                          const NdRenderGraphData *data,
                                          double                   width,
                                          double                   height,
                                          const NdRenderStyle     *style);
void        _nd_render_graph_layout_free (Layout                  *l);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Layout, _nd_render_graph_layout_free)
/* The branches of a concat block drawn inside its box (nd-render-graph-branches.c). */
gboolean    _nd_render_graph_draw_branches (cairo_t             *cr,
                                            const NdGraph       *graph,
                                            const Box           *box,
                                            const double        *ink,
                                            double               top,
                                            double               bottom,
                                            double               zoom);
/* DenseNet's dense blocks as one bus over their layers (nd-render-graph-branches.c). */
void        _nd_render_graph_draw_dense_groups (cairo_t             *cr,
                                                const Layout        *l,
                                                const NdGraph       *graph,
                                                const NdRenderStyle *style,
                                                double               fs);
/* The block key of a node: its block tag, else its name. */
const char *_nd_render_graph_node_key    (const NdNode            *node);

G_END_DECLS
