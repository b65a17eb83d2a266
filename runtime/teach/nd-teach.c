/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-safetensors.h"
#include "nd-teach.h"
#include "nd-weights.h"
#include "nd-weights-file.h"

void
nd_teach_head_free (NdTeachHead *head)
{
  if (head == NULL)
    return;
  g_strfreev (head->classes);
  g_free (head->layer);
  g_free (head->backbone);
  g_clear_pointer (&head->weight, nd_tensor_unref);
  g_clear_pointer (&head->bias, nd_tensor_unref);
  g_free (head->train_counts);
  g_free (head->holdout_counts);
  g_free (head->confusion);
  g_free (head);
}

int
nd_teach_feature_node (const NdGraph *graph, GError **error)
{
  const NdNode *out = nd_graph_node (graph, graph->output);

  if (out->op != ND_OP_LINEAR || out->n_inputs != 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("%s does not end in a linear classifier, so it has no pooled features "
                     "to teach a new head on"),
                   graph->model_name != NULL ? graph->model_name : _("this model"));
      return -1;
    }
  return out->inputs[0];
}

NdTensor *
nd_teach_extract (NdPlan *plan, int node, const NdTensor *images, GError **error)
{
  return nd_teach_extract_full (plan, node, images, NULL, NULL, NULL, error);
}

NdTensor *
nd_teach_extract_full (NdPlan *plan, int node, const NdTensor *images, NdTeachProgress progress,
                       gpointer user_data, GCancellable *cancellable, GError **error)
{
  const NdGraph *graph = plan->graph;
  const NdNode *fn = nd_graph_node (graph, node);
  int64_t n = images->shape[0], per_image, d;
  g_autoptr(NdTensor) batch = NULL, out = NULL;
  int b = plan->batch;

  if (images->ndim != 4 || images->shape[1] != graph->in_c || images->shape[2] != graph->in_h
      || images->shape[3] != graph->in_w || n < 1)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("images must be [N, %d, %d, %d]"), graph->in_c, graph->in_h, graph->in_w);
      return NULL;
    }
  if (!plan->capture_mask[node])
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("the plan does not capture the feature node %d"), node);
      return NULL;
    }
  per_image = images->numel / n;
  d = (int64_t) fn->out_c * fn->out_h * fn->out_w;
  batch = nd_tensor_try_new (4, (int64_t[]) { b, images->shape[1], images->shape[2],
                                              images->shape[3] }, error);
  out = batch != NULL ? nd_tensor_try_new (2, (int64_t[]) { n, d }, error) : NULL;
  if (out == NULL)
    return NULL;
  for (int64_t base = 0; base < n; base += b)
    {
      int64_t m = MIN (b, n - base);
      NdTensor *f;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      /* a short last chunk repeats its last image: the plan's batch is fixed */
      for (int i = 0; i < b; i++)
        memcpy (batch->data + i * per_image, images->data + (base + MIN (i, m - 1)) * per_image,
                per_image * sizeof (float));
      if (!nd_plan_run (plan, batch, error))
        return NULL;
      f = nd_plan_get_captured (plan, node);
      if (f == NULL || f->numel != b * d)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                       _("the plan did not keep the features of node %d"), node);
          return NULL;
        }
      memcpy (out->data + base * d, f->data, m * d * sizeof (float));
      if (progress != NULL)
        progress ((int) (base + m), (int) n, user_data);
    }
  return g_steal_pointer (&out);
}

NdGraph *
nd_teach_apply_head (const NdGraph *backbone, const NdTeachHead *head, GError **error)
{
  int feat = nd_teach_feature_node (backbone, error);
  g_autoptr(NdTensor) w = NULL, b = NULL;
  const NdNode *in;
  NdGraph *graph;
  NdNode *out;

  if (feat < 0)
    return NULL;
  in = nd_graph_node (backbone, feat);
  if ((int64_t) in->out_c * in->out_h * in->out_w != head->dim)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("the head takes %d features but %s gives its classifier %d: it was taught "
                     "on another backbone"), head->dim,
                   backbone->model_name != NULL ? backbone->model_name : _("this model"),
                   in->out_c * in->out_h * in->out_w);
      return NULL;
    }
  graph = nd_graph_copy (backbone);
  out = nd_graph_node (graph, graph->output);
  /* copies: the graph's weights may be shared with plans; the head's tensors stay the head's */
  w = nd_tensor_copy (head->weight);
  b = nd_tensor_copy (head->bias);
  g_clear_pointer (&out->w[ND_W_WEIGHT], nd_tensor_unref);
  g_clear_pointer (&out->w[ND_W_BIAS], nd_tensor_unref);
  out->w[ND_W_WEIGHT] = g_steal_pointer (&w);
  out->w[ND_W_BIAS] = g_steal_pointer (&b);
  out->out_c = head->n_classes;
  out->p.out_c = head->n_classes;
  return graph;
}

gboolean
nd_teach_head_save (const NdTeachHead *head, const char *path, GError **error)
{
  g_autoptr(NdWeightSet) set = nd_weight_set_new ();
  g_autoptr(GHashTable) meta = nd_metadata_new_head (head);
  g_autofree char *wkey = g_strconcat (head->layer, ".weight", NULL);
  g_autofree char *bkey = g_strconcat (head->layer, ".bias", NULL);

  nd_weight_set_insert (set, wkey, head->weight);
  nd_weight_set_insert (set, bkey, head->bias);
  return nd_safetensors_save (path, set, meta, error);
}

static gboolean
all_finite (const NdTensor *t)
{
  for (int64_t i = 0; i < t->numel; i++)
    if (!isfinite (t->data[i]))
      return FALSE;
  return TRUE;
}

NdTeachHead *
nd_teach_head_load (const char *path, GError **error)
{
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdTeachHead) head = g_new0 (NdTeachHead, 1);
  g_autofree char *wkey = NULL, *bkey = NULL;
  NdTensor *w, *b;
  int k;

  set = nd_safetensors_load (path, &meta, error);
  if (set == NULL || !nd_metadata_read_head (meta, path, head, error))
    return NULL;
  k = head->n_classes;
  wkey = g_strconcat (head->layer, ".weight", NULL);
  bkey = g_strconcat (head->layer, ".bias", NULL);
  w = nd_weight_set_lookup (set, wkey);
  b = nd_weight_set_lookup (set, bkey);
  if (w == NULL || b == NULL || nd_weight_set_size (set) != 2)
    {
      nd_set_bad_file (error, path, _("classifier head"), _("it must hold exactly %s and %s"),
                       wkey, bkey);
      return NULL;
    }
  if (w->ndim != 2 || w->shape[0] != k || w->shape[1] < 1 || w->shape[1] > G_MAXINT / 4
      || b->ndim != 1 || b->shape[0] != k)
    {
      nd_set_bad_file (error, path, _("classifier head"),
                       _("%s must be [%d, D] and %s [%d] for its %d classes"), wkey, k, bkey, k,
                       k);
      return NULL;
    }
  if (!all_finite (w) || !all_finite (b))
    {
      nd_set_bad_file (error, path, _("classifier head"), _("it holds NaN or Inf"));
      return NULL;
    }
  head->dim = (int) w->shape[1];
  head->weight = nd_tensor_ref (w);
  head->bias = nd_tensor_ref (b);
  return g_steal_pointer (&head);
}

NdGraph *
nd_teach_open_backbone (const char *path, char **preprocess, GError **error)
{
  g_autoptr(NdWeightSet) set = NULL;
  g_autoptr(NdWeightsInfo) info = nd_weights_open (path, NULL, &set, error);
  g_autoptr(NdGraph) train = NULL, fused = NULL;
  gboolean deploy;

  if (info == NULL)
    return NULL;
  if (!info->has_model)
    {
      nd_set_bad_file (error, path, _("backbone"), "%s",
                       info->reason != NULL ? info->reason : _("the model is not known"));
      return NULL;
    }
  if ((train = nd_model_build (&info->spec, error)) == NULL)
    return NULL;
  /* a deploy-form file fits the fused graph; a training-form one is loaded, then fused */
  deploy = !nd_weight_set_fits_graph (set, train);
  if (deploy && (fused = nd_fuse_graph (train, error)) == NULL)
    return NULL;
  if (!nd_graph_load_weights (deploy ? fused : train, set, error))
    return NULL;
  if (!deploy && (fused = nd_fuse_graph (train, error)) == NULL)
    return NULL;
  if (preprocess != NULL)
    *preprocess = g_strdup (info->preprocess);
  return g_steal_pointer (&fused);
}
