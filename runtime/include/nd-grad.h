/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* Gradients through the runtime (runtime/grad/): input gradients of every op of nd-graph.h
 * and nd_graph_backward(), which runs them in reverse topological order from one node of a
 * graph, reusing the activations a forward pass kept.
 *
 * Activations are a [n_nodes] array of every node's output (batch N), index = node id, as a
 * CPU plan that captured every node holds them (plan->captured, see nd_grad_capture_all())
 * or as nd_ref_run_graph (…, &all) returns them (all->pdata). Gradients are float32 NCHW
 * tensors of the same shapes; each image of the batch gets its own. */

/* The scalar to differentiate: the sum of node @node's outputs at channel @channel (−1: every
 * channel) and position (@y, @x) (−1 for both: every position). */
typedef struct
{
  int node;
  int channel;
  int y, x;
} NdGradUnit;

typedef enum
{
  ND_GRAD_DEFAULT   = 0,
  ND_GRAD_REFERENCE = 1 << 0,  /* naive loops only (the oracle the fast paths are tested on) */
} NdGradFlags;

/* Adds the input gradients of @node to @dx[k] (one per input; NULL skips that input), given
 * the forward's inputs @in, its output @out and the gradient of its output @dy. The naive
 * reference, straight from the op definitions. */
void       nd_grad_op_ref          (const NdNode           *node,
                                    const NdTensor * const *in,
                                    const NdTensor         *out,
                                    const NdTensor         *dy,
                                    NdTensor * const       *dx);
/* The same with the fast paths where they exist (conv: a transposed conv through sgemm). */
void       nd_grad_op              (const NdNode           *node,
                                    const NdTensor * const *in,
                                    const NdTensor         *out,
                                    const NdTensor         *dy,
                                    NdTensor * const       *dx);
/* Weight gradients of a LINEAR node, summed over the batch: @dw [O, I], @db [O] (either may
 * be NULL); overwritten, not added to. */
void       nd_grad_linear_weights  (const NdNode   *node,
                                    const NdTensor *x,
                                    const NdTensor *dy,
                                    NdTensor       *dw,
                                    NdTensor       *db);

/* The node ids a plan must capture for nd_graph_backward (every node); g_free() the array. */
int       *nd_grad_capture_all     (const NdGraph *graph,
                                    int           *n_capture);

/* Back-propagates @seed (the gradient of node @node's output, [N, out_c, out_h, out_w]) to the
 * input. Returns TRUE and, in *@grads, every node's output gradient (index = node id; NULL
 * for nodes the seed does not reach or that come after @node). FALSE with @error when the
 * activations are missing or do not fit the graph. */
gboolean   nd_graph_backward_seed  (const NdGraph    *graph,
                                    NdTensor * const *acts,
                                    int               node,
                                    const NdTensor   *seed,
                                    NdGradFlags       flags,
                                    GPtrArray       **grads,
                                    GError          **error);
/* The gradient of @unit with respect to the input [N, in_c, in_h, in_w], or NULL with
 * @error (a unit outside its node, missing activations). */
NdTensor  *nd_graph_backward       (const NdGraph    *graph,
                                    NdTensor * const *acts,
                                    const NdGradUnit *unit,
                                    NdGradFlags       flags,
                                    GError          **error);

G_END_DECLS
