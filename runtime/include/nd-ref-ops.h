/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* The naive reference ops: the oracle every other path (fast CPU, Vulkan) is tested against.
 * They are written to be obviously correct, not fast: plain loops in double accumulation
 * where it matters, straight from the definitions in nd-graph.h.
 *
 * nd_ref_op() runs one node on @inputs (node->n_inputs tensors, batch N each) and writes
 * @out [N, out_c, out_h, out_w]. Shapes were checked when the graph was built. */
void       nd_ref_op          (const NdNode    *node,
                               const NdTensor * const *inputs,
                               NdTensor        *out);

/* Runs the whole graph naively on @input [N, C, H, W]; returns the output node's tensor.
 * If @all is non-NULL it receives a GPtrArray of every node's output (index = node id). */
NdTensor  *nd_ref_run_graph   (const NdGraph   *graph,
                               const NdTensor  *input,
                               GPtrArray      **all);

G_END_DECLS
