/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-backend.h"
#include "nd-compare-private.h"
#include "nd-fuse.h"
#include "nd-model.h"

void
_nd_compare_roofline_free (Roofline *rl)
{
  g_free (rl->points);
  g_strfreev (rl->blocks);
  g_strfreev (rl->what);
  g_free (rl->model);
  g_free (rl->caption);
  g_free (rl);
}


static int
op_kind (NdOp op)
{
  switch (op)
    {
    case ND_OP_CONV2D:
    case ND_OP_LINEAR:
      return 0;
    case ND_OP_BATCHNORM:
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_ADD:
    case ND_OP_GATE:
    case ND_OP_SOFTMAX:
      return 1;
    default:
      return 2;
    }
}

Roofline *
_nd_compare_roofline_new (const char *model, int resolution, gboolean fused, GError **error)
{
  g_autoptr(NdBackend) backend = nd_backend_new ("cpu", -1, error);
  g_autoptr(NdGraph) train = NULL;
  g_autoptr(NdGraph) graph = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autofree double *op_ms = NULL;
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };
  NdModelSpec spec;
  Roofline *rl;

  if (backend == NULL || !nd_model_spec_parse (model, &spec, error))
    return NULL;
  spec.resolution = resolution;
  if ((train = nd_model_build (&spec, error)) == NULL)
    return NULL;
  nd_model_init_random (train, 1);
  graph = fused ? nd_fuse_graph (train, error) : nd_graph_ref (train);
  if (graph == NULL || (plan = nd_backend_prepare (backend, graph, &popts, error)) == NULL)
    return NULL;
  input = nd_tensor_new_4d (1, graph->in_c, resolution, resolution);
  op_ms = g_new0 (double, plan->n_nodes);
  rl = g_new0 (Roofline, 1);
  if (!nd_lab_time_plan (plan, input, 1, 5, NULL, op_ms, error)
      || !nd_lab_measure_roof (backend, &rl->roof, error))
    {
      _nd_compare_roofline_free (rl);
      return NULL;
    }
  rl->points = g_new0 (NdRoofPoint, plan->n_nodes);
  rl->blocks = g_new0 (char *, plan->n_nodes + 1);
  rl->what = g_new0 (char *, plan->n_nodes + 1);
  rl->model = g_strdup (spec.name);
  for (int k = 1; k < plan->n_nodes; k++)
    {
      const NdNode *node = nd_graph_node (graph, k);
      gint64 flops = nd_node_flops (graph, node), r, w;
      NdRoofPoint *pt = &rl->points[rl->n_points];

      nd_node_bytes (graph, node, &r, &w);
      if (op_ms[k] <= 0 || flops <= 0)
        continue;   /* merged into a neighbour's kernel, or no arithmetic to place */
      *pt = (NdRoofPoint) {
        .intensity = (double) flops / (r + w), .gflops = flops / (op_ms[k] * 1e6),
        .kind = nd_lab_algo_is_effective (plan->op_algo[k]) ? 3 : op_kind (node->op) };
      rl->blocks[rl->n_points] = g_strdup (node->block ? node->block : node->name);
      rl->what[rl->n_points] = g_strdup_printf (
        _("%s (%s, %s): %.3f ms, %.1f GFLOP/s at %.1f FLOP/byte, %.0f%% of what the roof "
          "allows there"), node->name, nd_op_name (node->op), plan->op_algo[k], op_ms[k],
        pt->gflops, pt->intensity,
        nd_lab_roof_percent (&rl->roof, flops, r + w, op_ms[k]));
      rl->n_points++;
    }
  rl->caption = g_strdup_printf (_("%s%s · roof %.0f GFLOP/s, %.0f GB/s"), spec.name,
                                 fused ? _(" (fused)") : "", rl->roof.peak_gflops,
                                 rl->roof.bandwidth_gbs);
  return rl;
}
