/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* A set of named tensors as read from a weights file (safetensors, PyTorch checkpoint):
 * key → NdTensor (converted to float32). Keys keep their order of appearance. */
typedef struct _NdWeightSet NdWeightSet;

NdWeightSet *nd_weight_set_new      (void);
/* Reference counted (atomically: a set opened on the main thread may be read by a worker;
 * nobody changes a set once it is shared). nd_weight_set_free() drops a reference. */
NdWeightSet *nd_weight_set_ref      (NdWeightSet *set);
void         nd_weight_set_free     (NdWeightSet *set);
/* Takes a ref on @tensor; replaces an existing key. */
void         nd_weight_set_insert   (NdWeightSet *set,
                                     const char  *key,
                                     NdTensor    *tensor);
NdTensor    *nd_weight_set_lookup   (NdWeightSet *set,
                                     const char  *key);
guint        nd_weight_set_size     (NdWeightSet *set);
/* Keys in insertion order (transfer none; valid until the set changes). */
const char * const *nd_weight_set_keys (NdWeightSet *set);

/* Copies every weight of @graph from @set by official key. Missing keys (every one the graph
 * expects) and unexpected keys (in the set, not in the graph; BN `num_batches_tracked` is
 * ignored) are listed by name in the error; shapes must match exactly; non-finite values are
 * refused. On error the graph is unchanged. */
gboolean     nd_graph_load_weights  (NdGraph     *graph,
                                     NdWeightSet *set,
                                     GError     **error);
/* Whether every key of @set names a weight of @graph (BN `num_batches_tracked` aside); shapes
 * are not compared. Tells a deploy-form file (it fits the fused graph) from a training-form
 * one before loading. */
gboolean     nd_weight_set_fits_graph (NdWeightSet   *set,
                                       const NdGraph *graph);
/* A set holding refs to every weight of @graph, keyed officially. */
NdWeightSet *nd_graph_dup_weights   (const NdGraph *graph);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdWeightSet, nd_weight_set_free)

G_END_DECLS
