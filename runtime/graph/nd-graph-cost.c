/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-graph.h"

/* FLOPs, bytes moved and structure counts for the architecture lab; the rules are in
 * nd-graph.h next to the declarations. */

static gint64
out_elements (const NdNode *node)
{
  return (gint64) node->out_c * node->out_h * node->out_w;
}

gint64
nd_node_flops (const NdGraph *graph, const NdNode *node)
{
  gint64 out = out_elements (node);

  switch (node->op)
    {
    case ND_OP_INPUT:
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
      return 0;
    case ND_OP_CONV2D:
      return 2 * nd_node_macs (graph, node) + (node->p.has_bias ? out : 0);
    case ND_OP_LINEAR:
      return 2 * nd_node_macs (graph, node) + out;
    case ND_OP_BATCHNORM:
      return 2 * out;                     /* scale and shift, the statistics pre-folded */
    case ND_OP_RELU:
    case ND_OP_LEAKY_RELU:
      return out;
    case ND_OP_SIGMOID:
      return 3 * out;                     /* exp, add, divide */
    case ND_OP_SILU:
      return 4 * out;
    case ND_OP_ADD:
      return (gint64) (node->n_inputs - 1) * out;
    case ND_OP_GATE:
      return out + 4 * (gint64) node->out_c;   /* multiply; σ and scale per channel */
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
      return out * node->p.kernel * node->p.kernel;
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      return out_elements (nd_graph_node (graph, node->inputs[0]));
    case ND_OP_SOFTMAX:
      return 4 * out;
    default:
      return out;
    }
}

void
nd_node_bytes (const NdGraph *graph, const NdNode *node, gint64 *bytes_read,
               gint64 *bytes_written)
{
  gint64 r = 0;

  for (int i = 0; i < node->n_inputs; i++)
    r += out_elements (nd_graph_node (graph, node->inputs[i]));
  r += (gint64) nd_node_weight_elements (graph, node);
  /* the input node is written by the caller's upload, not by the network */
  *bytes_read = r * (gint64) sizeof (float);
  *bytes_written = node->op == ND_OP_INPUT ? 0 : out_elements (node) * (gint64) sizeof (float);
}

void
nd_graph_cost (const NdGraph *graph, gint64 *flops, gint64 *bytes_read, gint64 *bytes_written)
{
  gint64 f = 0, r = 0, w = 0;

  for (int i = 0; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      gint64 nr, nw;

      f += nd_node_flops (graph, node);
      nd_node_bytes (graph, node, &nr, &nw);
      r += nr;
      w += nw;
    }
  if (flops)
    *flops = f;
  if (bytes_read)
    *bytes_read = r;
  if (bytes_written)
    *bytes_written = w;
}

void
nd_graph_structure (const NdGraph *graph, int *weight_depth, int *n_ops, int *n_branches)
{
  int n = nd_graph_n_nodes (graph);
  g_autofree int *longest = g_new0 (int, n);
  g_autofree int *consumers = g_new0 (int, n);
  int branches = 0;

  /* topological order: every input of node i has a smaller id, so one pass settles both */
  for (int i = 0; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int best = 0;

      for (int k = 0; k < node->n_inputs; k++)
        {
          best = MAX (best, longest[node->inputs[k]]);
          consumers[node->inputs[k]]++;
        }
      longest[i] = best + (node->op == ND_OP_CONV2D || node->op == ND_OP_LINEAR ? 1 : 0);
    }
  for (int i = 0; i < n; i++)
    if (consumers[i] >= 2)
      branches += consumers[i];
  if (weight_depth)
    *weight_depth = n > 0 ? longest[graph->output] : 0;
  if (n_ops)
    *n_ops = MAX (n - 1, 0);
  if (n_branches)
    *n_branches = branches;
}
