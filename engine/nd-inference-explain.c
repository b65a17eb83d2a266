/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-fusion-check.h"
#include "nd-grad.h"
#include "nd-inference-private.h"

/* The live explanation: what a plan captures for it, and the map computed in the worker right
 * after the forward pass of the same picture. */

static NdSaliencyMethod
saliency_method (NdExplainMethod explain)
{
  return explain == ND_EXPLAIN_GRAD ? ND_SALIENCY_GRAD : ND_SALIENCY_GRADCAM;
}

int *
_nd_inference_capture_ids (const NdGraph *graph, const char *block, NdExplainMethod explain,
                           int *n)
{
  int n_view = 0, n_explain = 0, count = 0, n_nodes = nd_graph_n_nodes (graph);
  g_autofree int *view = nd_fusion_check_capture (graph, block, &n_view);
  g_autofree int *extra = NULL;
  g_autofree gboolean *mask = NULL;
  int *ids;

  if (explain == ND_EXPLAIN_OFF)
    {
      *n = n_view;
      return g_steal_pointer (&view);
    }
  extra = nd_grad_saliency_capture (graph, saliency_method (explain), &n_explain);
  mask = g_new0 (gboolean, n_nodes);
  for (int i = 0; i < n_view; i++)
    mask[view[i]] = TRUE;
  for (int i = 0; i < n_explain; i++)
    mask[extra[i]] = TRUE;
  ids = g_new (int, n_nodes);
  for (int i = 0; i < n_nodes; i++)
    if (mask[i])
      ids[count++] = i;
  *n = count;
  return ids;
}

gboolean *
_nd_inference_view_mask (const NdGraph *graph, const char *block, NdExplainMethod explain)
{
  int n_view = 0;
  g_autofree int *view = NULL;
  gboolean *mask;

  if (explain == ND_EXPLAIN_OFF)
    return NULL;
  view = nd_fusion_check_capture (graph, block, &n_view);
  mask = g_new0 (gboolean, nd_graph_n_nodes (graph));
  for (int k = 0; k < n_view; k++)
    mask[view[k]] = TRUE;
  return mask;
}

void
_nd_inference_explain (const NdGraph *graph, NdPlan *plan, NdExplainMethod explain, int klass,
                       NdInferenceResult *r)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  r->explain = explain;
  r->explain_class = klass >= 0 ? klass : r->top_class[0];
  r->explain_map = nd_grad_saliency_map (graph, plan->captured, r->explain_class,
                                         saliency_method (explain), &error);
  r->explain_ms = (g_get_monotonic_time () - t0) / 1000.0;
  if (r->explain_map == NULL)
    r->explain_error = g_strdup (error->message);
}
