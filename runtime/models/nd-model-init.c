/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nd-model.h"

/* Deterministic random weights, for demos and tests before real weights are loaded.
 *
 * Order (fixed, so a seed always gives the same model): nodes in graph order; within a node,
 * slots in the order weight, bias, running_mean, running_var; within a tensor, its elements in
 * memory order. One GRand, seeded with the 64-bit seed split into two 32-bit words (low first).
 *   conv, linear weight   N(0, sqrt(2 / fan_in)), fan_in = elements / output channels (He)
 *   conv, linear bias     N(0, 0.1)
 *   BN                    γ ∈ U[0.5, 1.5], β ∼ N(0, 0.1), μ ∼ N(0, 0.1), σ² ∈ U[0.5, 2]
 * Non-trivial BN statistics make the fusion checks meaningful. */
void
nd_model_init_random (NdGraph *graph, guint64 seed)
{
  guint32 words[2] = { (guint32) (seed & 0xffffffffu), (guint32) (seed >> 32) };
  g_autoptr(GRand) rand = NULL;

  g_return_if_fail (graph != NULL);

  rand = g_rand_new_with_seed_array (words, 2);
  for (int i = 0; i < nd_graph_n_nodes (graph); i++)
    {
      NdNode *node = nd_graph_node (graph, i);

      if (node->op == ND_OP_BATCHNORM)
        {
          nd_tensor_fill_uniform (node->w[ND_W_WEIGHT], rand, 0.5, 1.5);
          nd_tensor_fill_normal (node->w[ND_W_BIAS], rand, 0, 0.1);
          nd_tensor_fill_normal (node->w[ND_W_MEAN], rand, 0, 0.1);
          nd_tensor_fill_uniform (node->w[ND_W_VAR], rand, 0.5, 2.0);
        }
      else if (node->w[ND_W_WEIGHT] != NULL)
        {
          NdTensor *w = node->w[ND_W_WEIGHT];
          double fan_in = (double) w->numel / MAX (w->shape[0], 1);

          nd_tensor_fill_normal (w, rand, 0, sqrt (2.0 / MAX (fan_in, 1)));
          if (node->w[ND_W_BIAS] != NULL)
            nd_tensor_fill_normal (node->w[ND_W_BIAS], rand, 0, 0.1);
        }
    }
}
