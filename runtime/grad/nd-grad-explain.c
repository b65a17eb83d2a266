/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-grad-private.h"

/* The saliency map of one image, for the live overlay: the same numbers as nd_grad_saliency
 * (the same ops in the same order), but Grad-CAM's backward ends at its layer, so the forward
 * pass only has to keep that layer and the few nodes after it, not every activation. */

int *
nd_grad_saliency_capture (const NdGraph *graph, NdSaliencyMethod method, int *n_capture)
{
  int cam;

  *n_capture = 0;
  if (method == ND_SALIENCY_GRAD)
    return nd_grad_capture_all (graph, n_capture);
  cam = nd_grad_cam_node (graph);
  if (cam < 0)
    return NULL;
  return nd_grad_capture_from (graph, cam, graph->output, n_capture);
}

NdTensor *
nd_grad_saliency_map (const NdGraph *graph, NdTensor * const *acts, int klass,
                      NdSaliencyMethod method, GError **error)
{
  const NdNode *head = nd_graph_node (graph, graph->output);
  gsize per = (gsize) head->out_h * head->out_w;
  g_autoptr(NdTensor) seed = NULL;
  g_autoptr(GPtrArray) grads = NULL;
  g_autoptr(NdTensor) map = NULL;
  g_autofree float *cam = NULL;
  const NdTensor *a, *da;
  int node;

  if (method == ND_SALIENCY_GRAD)
    {
      NdSaliency sal;

      if (!nd_grad_saliency (graph, acts, &klass, method, &sal, error))
        return NULL;
      map = g_steal_pointer (&sal.map);
      nd_saliency_clear (&sal);
      return g_steal_pointer (&map);
    }
  node = nd_grad_cam_node (graph);
  if (node < 0)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                           _("Grad-CAM: this model has no spatial layer the class score "
                             "depends on"));
      return NULL;
    }
  if (klass < 0 || klass >= head->out_c)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("class %d is out of range: this model has classes 0 to %d"), klass,
                   head->out_c - 1);
      return NULL;
    }
  if (acts[graph->output] == NULL || acts[graph->output]->shape[0] != 1)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                           _("saliency: the forward pass kept no output of one image"));
      return NULL;
    }
  seed = nd_tensor_new_4d (1, head->out_c, head->out_h, head->out_w);
  for (gsize i = 0; i < per; i++)
    seed->data[klass * per + i] = 1.0f;
  if (!nd_graph_backward_seed_to (graph, acts, graph->output, seed, node, ND_GRAD_DEFAULT,
                                  &grads, error))
    return NULL;
  a = acts[node];
  da = grads->pdata[node];
  if (da == NULL)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                           _("Grad-CAM: this model has no spatial layer the class score "
                             "depends on"));
      return NULL;
    }
  cam = g_new (float, a->shape[2] * a->shape[3]);
  _nd_grad_cam (a, da, 0, cam);
  map = nd_tensor_new_4d (1, 1, graph->in_h, graph->in_w);
  _nd_grad_upsample (cam, (int) a->shape[2], (int) a->shape[3], map->data, graph->in_h,
                     graph->in_w);
  return g_steal_pointer (&map);
}
