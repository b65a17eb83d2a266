/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "nd-dataset.h"
#include "nd-fusion-check.h"
#include "nd-grad.h"
#include "nd-inference-private.h"
#include "nd-preprocess.h"

/* The live explanation: what a plan captures for it, the map computed in the worker right
 * after the forward pass of the same picture, and where the map lies on that picture. */

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

/* torchvision's CenterCrop offset, as nd-preprocess.c takes it: round((size − crop) / 2),
 * half to even; a crop larger than the image pads (crop − size) // 2 on the leading side. */
static int
crop_offset (int size, int crop)
{
  if (size >= crop)
    return (int) nearbyint ((size - crop) / 2.0);
  return -((crop - size) / 2);
}

/* The picture rectangle under a resize + centre crop's crop × crop grid (its inner picture
 * centred on the canvas included). */
static void
crop_rect (const NdPreprocess *pp, int width, int height, double *rect)
{
  int rw, rh, inner = pp->crop, pad = 0;
  double sx, sy;

  if (pp->resize == 0)
    {
      /* a warp: the whole picture */
      rect[0] = rect[1] = 0;
      rect[2] = width;
      rect[3] = height;
      return;
    }
  if (pp->inner > 0 && pp->inner < pp->crop)
    {
      inner = pp->inner;
      pad = (pp->crop - inner) / 2;
    }
  nd_preprocess_resized_size (pp, width, height, &rw, &rh);
  sx = (double) width / rw;
  sy = (double) height / rh;
  rect[0] = (crop_offset (rw, inner) - pad) * sx;
  rect[1] = (crop_offset (rh, inner) - pad) * sy;
  rect[2] = pp->crop * sx;
  rect[3] = pp->crop * sy;
}

void
_nd_inference_input_rect (const NdGraph *graph, NdFamily family, const char *preprocess,
                          int width, int height, double *rect)
{
  NdPreprocess pp;
  NdGrayPreprocess gp;
  int side = ND_FASHION_MNIST_SIDE;

  if (graph->in_c != 1)
    {
      nd_preprocess_for_family (family, graph->in_h, &pp);
      crop_rect (&pp, width, height, rect);
      return;
    }
  /* Gray models: a 28 × 28 Fashion-MNIST-sized picture first (nd_preprocess_gray_input), then
   * the weights' 28 → size step: a centred pad when it fits, else a stretch. */
  nd_preprocess_for_gray (side, 0, 1, &pp);
  crop_rect (&pp, width, height, rect);
  if (!nd_gray_preprocess_parse (preprocess, &gp, NULL))
    return;
  gp.size = graph->in_h;   /* as make_input in the worker */
  if (!gp.bilinear && gp.size >= side)
    {
      int off = (gp.size - side) / 2;
      double sx = rect[2] / side, sy = rect[3] / side;

      rect[0] -= off * sx;
      rect[1] -= off * sy;
      rect[2] = gp.size * sx;
      rect[3] = gp.size * sy;
    }
}
