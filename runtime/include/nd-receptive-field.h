/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"

G_BEGIN_DECLS

/* The theoretical receptive field of one output cell of a node, in input pixels.
 *
 * Computed backwards through every path of the graph (Distill, "Computing Receptive Fields of
 * Convolutional Neural Networks", Araujo et al. 2019, §multi-path): each conv/pool maps an
 * output interval [a, b] to [a·s − p, b·s − p + k − 1] of its input; element-wise ops, concat
 * and shuffle keep the interval; where paths meet, the field is the union (bounding box) of
 * the paths' fields. Global paths (the SE/SSE squeeze: a 1×1 adaptive pool feeding a GATE's
 * second input, a LINEAR) see the whole image; they are reported in @global and, for GATE,
 * left out of the rectangle so that the local field stays visible.
 *
 * x0..x1, y0..y1 are inclusive and clipped to the image; width/height are the unclipped
 * extent (the receptive-field size r of the paper), which can exceed the image. */
typedef struct
{
  int      x0, y0, x1, y1;     /* clipped to [0, in_w-1] × [0, in_h-1] */
  int      width, height;      /* unclipped size in pixels */
  gboolean global;             /* some path to this cell pools the whole image */
} NdReceptiveField;

gboolean nd_receptive_field (const NdGraph    *graph,
                             int               node,
                             int               y,
                             int               x,
                             NdReceptiveField *rf,
                             GError          **error);

G_END_DECLS
