/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-graph.h"
#include "nd-render-style.h"

G_BEGIN_DECLS

/* The architecture view.
 *
 * Blocks (nd_graph_block_stats) are boxes; their column is the depth tag (or one after their
 * inputs' column when untagged), their row the stream lane. Each stream gets a lane labelled
 * with its resolution; shared blocks (stream −1: stems, fusion modules, head) sit in the lane
 * whose resolution is nearest theirs, so ParNet's fusion tree converges on the lowest
 * resolution lane. A model without streams (ResNet, VGG) is one lane on the same depth axis.
 * In the training form a block box shows its branches (3×3, 1×1, identity BN, SE); in the
 * fused form one box per fused conv. Edges carry the source block's output shape; boxes are
 * coloured by the block's measured time (sum of op_ms over its nodes); the longest path (most
 * convs from input to output) is outlined. */
typedef struct
{
  const NdGraph *graph;
  const double  *op_ms;      /* [n_nodes] per-node ms of the last run, or NULL */
  const char    *selected;   /* block key (NdBlockStats.block) or NULL */
  /* Collapsed groups (NULL-terminated, or NULL): a run of blocks whose keys share the parent
   * path @group (nd_render_graph_block_group()) is drawn as one box named @group. */
  const char * const *collapsed;
  /* The ms of the hottest colour, so two graphs drawn side by side share one scale; 0: this
   * graph's slowest block. */
  double              ms_scale;
} NdRenderGraphData;

void        nd_render_graph              (cairo_t                 *cr,
                                          const NdRenderGraphData *data,
                                          double                   width,
                                          double                   height,
                                          const NdRenderStyle     *style);
/* The block key under (@x, @y) in widget coordinates, or NULL. The string belongs to the
 * graph. */
const char *nd_render_graph_block_at     (const NdRenderGraphData *data,
                                          double                   width,
                                          double                   height,
                                          const NdRenderStyle     *style,
                                          double                   x,
                                          double                   y);
/* The box of @block in widget coordinates. */
gboolean    nd_render_graph_block_rect   (const NdRenderGraphData *data,
                                          double                   width,
                                          double                   height,
                                          const NdRenderStyle     *style,
                                          const char              *block,
                                          double                  *x,
                                          double                  *y,
                                          double                  *w,
                                          double                  *h);
/* The blocks on the longest path (most conv/linear nodes from the input to the output), in
 * order; element type const char * owned by the graph. */
GPtrArray  *nd_render_graph_longest_path (const NdGraph *graph);
/* "layer2.0 · conv 1·3·1 · 512×28×28 · 3.65 ms": what the box of @block says at full size
 * (for a tooltip when the box is too small for it), or NULL. */
char       *nd_render_graph_block_label  (const NdRenderGraphData *data,
                                          const char              *block);
/* The tooltip of the box under (@x, @y) in widget coordinates, or NULL: a block's label as
 * above; for a folded (collapsed) group its name, how many blocks, ops and convs it holds,
 * their parameters and MACs, its output shape (and time) and "Double-click to unfold".
 * Free with g_free(). */
char       *nd_render_graph_tooltip_at   (const NdRenderGraphData *data,
                                          double                   width,
                                          double                   height,
                                          const NdRenderStyle     *style,
                                          double                   x,
                                          double                   y);
/* The group @block can be collapsed into: its parent path ("features.denseblock1" for
 * "features.denseblock1.denselayer3", "stages.2.blocks" for "stages.2.blocks.1", "layer1"
 * for "layer1.0") when at least two consecutive blocks share it, else NULL. Free with
 * g_free(). */
char       *nd_render_graph_block_group  (const NdGraph *graph,
                                          const char    *block);
/* The number of stream lanes the view draws (1 for a model without streams). */
int         nd_render_graph_n_lanes      (const NdGraph *graph);
/* The number of depth columns the view needs for @graph: two graphs drawn with
 * NdRenderStyle.axis_depth set to the larger of theirs share one depth axis. */
int         nd_render_graph_n_columns    (const NdGraph *graph);

G_END_DECLS
