/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-render-style.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* A C×H×W activation ([1,C,H,W] or [C,H,W]) as a grid of channel tiles, each cell coloured
 * with viridis over the 1st..99th percentile of all drawn channels (one scale, so channels
 * compare; the extremes take the end colours). */
typedef struct
{
  int channel, y, x;
} NdFeatureCell;

void     nd_render_featuremap         (cairo_t             *cr,
                                       const NdTensor      *tensor,
                                       double               width,
                                       double               height,
                                       const NdRenderStyle *style);
/* The cell under (@px, @py), FALSE over a gap or outside. */
gboolean nd_render_featuremap_cell_at (const NdTensor      *tensor,
                                       double               width,
                                       double               height,
                                       const NdRenderStyle *style,
                                       double               px,
                                       double               py,
                                       NdFeatureCell       *cell);
/* One channel enlarged to fill the area, coloured on the same scale as the grid. */
void     nd_render_featuremap_channel (cairo_t             *cr,
                                       const NdTensor      *tensor,
                                       int                  channel,
                                       double               width,
                                       double               height,
                                       const NdRenderStyle *style);
gboolean nd_render_featuremap_channel_cell_at (const NdTensor      *tensor,
                                               int                  channel,
                                               double               width,
                                               double               height,
                                               const NdRenderStyle *style,
                                               double               px,
                                               double               py,
                                               NdFeatureCell       *cell);
/* Outlines @cell (the hovered one) in the grid (@only −1) or the enlarged channel @only. */
void     nd_render_featuremap_mark_cell (cairo_t             *cr,
                                         const NdTensor      *tensor,
                                         int                  only,
                                         const NdFeatureCell *cell,
                                         double               width,
                                         double               height,
                                         const NdRenderStyle *style);

G_END_DECLS
