/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "nd-fuse.h"
#include "nd-inference-private.h"
#include "nd-weights-file.h"
#include "nd-weights.h"

/* Weights files into freshly built graphs, for the builder threads of nd-inference-worker.c. */

/* The tensors the main thread already read, or read here (off the main thread). */
static NdWeightSet *
read_weights (const NdInferenceConfig *cfg, GError **error)
{
  g_autoptr(NdWeightsInfo) info = NULL;
  NdWeightSet *set = NULL;

  if (cfg->weights != NULL)
    return nd_weight_set_ref (cfg->weights);
  info = nd_weights_open (cfg->weights_path, cfg->weights_entry, &set, error);
  return info != NULL ? set : NULL;
}

/* Loads @set into the freshly built @training graph. Training-form weights go there;
 * deploy-form ones (official fused files: RepVGG rbr_reparam, VanillaNet stem.0, …) fit only
 * the fused graph, which then replaces *@training and is the only form these weights have. */
gboolean
_nd_inference_load_set (NdGraph **training, NdWeightSet *set, gboolean *fused_only, GError **error)
{
  g_autoptr(NdGraph) fused = NULL;

  *fused_only = FALSE;
  if (!nd_weight_set_fits_graph (set, *training))
    {
      /* fusing reads BN statistics: start from finite values, all of them replaced below */
      nd_model_init_random (*training, ND_INFERENCE_RANDOM_SEED);
      fused = nd_fuse_graph (*training, NULL);
      if (fused != NULL && nd_weight_set_fits_graph (set, fused))
        {
          if (!nd_graph_load_weights (fused, set, error))
            return FALSE;
          nd_graph_unref (*training);
          *training = g_steal_pointer (&fused);
          *fused_only = TRUE;
          return TRUE;
        }
    }
  return nd_graph_load_weights (*training, set, error);
}

/* A knob turned on trained weights: loads the tensors of @set the new shape still takes, if
 * it takes every one it needs from there (e.g. fewer streams). */
static gboolean
load_fitting (NdGraph *training, NdWeightSet *set)
{
  g_autoptr(NdWeightSet) want = nd_graph_dup_weights (training);
  g_autoptr(NdWeightSet) subset = nd_weight_set_new ();
  const char * const *keys = nd_weight_set_keys (want);

  for (guint i = 0; keys[i] != NULL; i++)
    {
      NdTensor *have = nd_weight_set_lookup (set, keys[i]);

      if (have == NULL || !nd_tensor_same_shape (have, nd_weight_set_lookup (want, keys[i])))
        return FALSE;
      nd_weight_set_insert (subset, keys[i], have);
    }
  return nd_graph_load_weights (training, subset, NULL);
}

/* Loads the weights file into @training; a knob turned on them (@cfg->weights_adapt) keeps
 * what still fits or falls back to random weights of the new shape, and says which. */
gboolean
_nd_inference_load_file (const NdInferenceConfig *cfg, NdGraph **training,
                         gboolean *fused_only, NdWeightsStatus *status, char **detail,
                         GError **error)
{
  g_autoptr(NdWeightSet) set = read_weights (cfg, error);
  g_autoptr(GError) local = NULL;

  if (set == NULL)
    return FALSE;
  *status = ND_WEIGHTS_LOADED;
  if (_nd_inference_load_set (training, set, fused_only, &local))
    return TRUE;
  if (!cfg->weights_adapt)
    {
      g_autofree char *file = g_path_get_basename (cfg->weights_path);

      g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ", file);
      return FALSE;
    }
  *detail = g_strdup (local->message);
  if (load_fitting (*training, set))
    *status = ND_WEIGHTS_SUBSET;
  else
    {
      nd_model_init_random (*training, ND_INFERENCE_RANDOM_SEED);
      *status = ND_WEIGHTS_RANDOM;
    }
  return TRUE;
}

