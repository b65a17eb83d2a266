/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* Teaching a model new classes (issue 19 item 5): the backbone stays frozen; a new classifier
 * head, softmax regression on the backbone's pooled features (the input of its final linear
 * layer), is trained in closed form of its own gradient and replaces the old classifier.
 *
 *   node  = nd_teach_feature_node (graph)           — the global pool that feeds the head
 *   feats = nd_teach_extract (plan, node, images)    — one plan run per plan->batch images
 *   head  = nd_teach_train (feats, labels, names, options)
 *   nd_teach_head_save (head, path) / nd_teach_head_load (path)
 *   graph = nd_teach_apply_head (backbone, head)     — the backbone predicting the new classes
 *
 * A head file is safetensors: <linear>.weight [K, D] and <linear>.bias [K] under the replaced
 * layer's official name (ParNet: head.fc), with our nondeep.* metadata (nd-weights-file.h):
 * the backbone file's name, the class names, training and held-out counts, held-out accuracy
 * and confusion matrix. */

#define ND_TEACH_MAX_CLASSES 256

typedef struct
{
  double  holdout;     /* fraction of each class held out for evaluation, [0, 0.9] */
  double  l2;          /* L2 penalty on the weights (of standardized features) */
  int     max_iter;    /* L-BFGS iterations */
  guint32 seed;        /* the held-out split; training itself is deterministic */
  GCancellable *cancellable; /* checked every iteration (a window's worker), or NULL */
} NdTeachOptions;

/* holdout 0.2, l2 0.01, max_iter 200, seed 0, no cancellable */
void          nd_teach_options_init (NdTeachOptions *options);

typedef struct
{
  int     n_classes;       /* K */
  int     dim;             /* D: features per image */
  char  **classes;         /* K names, NULL-terminated */
  char   *layer;           /* the replaced linear's module name, e.g. "head.fc" */
  char   *backbone;        /* the backbone: its file's base name, or (the window's model)
                            * preset, knobs and weights; "" when unknown */
  NdTensor *weight;        /* [K, D], on raw (not standardized) features */
  NdTensor *bias;          /* [K] */
  int    *train_counts;    /* [K] images each class trained on */
  int    *holdout_counts;  /* [K] images each class held out */
  int    *confusion;       /* [K·K] held-out: row = true class, column = predicted */
  double  holdout_accuracy;/* [0, 1], or -1 when nothing was held out */
  double  train_accuracy;
  int     iterations;      /* L-BFGS iterations run */
  double  loss;            /* final training objective */
} NdTeachHead;

void          nd_teach_head_free     (NdTeachHead *head);

/* The fused graph of a backbone weights file (our safetensors with its nondeep.* metadata, or a
 * checkpoint whose model is detected), weights loaded; *@preprocess (may be NULL) receives the
 * file's gray input transform, or NULL when it has none. */
NdGraph      *nd_teach_open_backbone (const char   *path,
                                      char        **preprocess,
                                      GError      **error);

/* The node whose output feeds the graph's final linear layer (the pooled features), or -1
 * with an UNSUPPORTED error when the graph does not end in a linear layer. */
int           nd_teach_feature_node  (const NdGraph *graph,
                                      GError       **error);

/* Runs @plan (prepared with @node among its captured nodes) over @images [N, C, H, W] in
 * chunks of plan->batch (the last one padded) and returns the captured features [N, D]. */
NdTensor     *nd_teach_extract       (NdPlan         *plan,
                                      int             node,
                                      const NdTensor *images,
                                      GError        **error);
/* Called after each chunk with the images done so far and the total (any thread: the
 * extractor's). */
typedef void (*NdTeachProgress) (int done, int total, gpointer user_data);
/* The same, reporting @progress (may be NULL) and stopping with G_IO_ERROR_CANCELLED between
 * chunks once @cancellable (may be NULL) is cancelled. */
NdTensor     *nd_teach_extract_full  (NdPlan          *plan,
                                      int              node,
                                      const NdTensor  *images,
                                      NdTeachProgress  progress,
                                      gpointer         user_data,
                                      GCancellable    *cancellable,
                                      GError         **error);

/* Trains a head on @features [N, D] with @labels (N values in [0, K)), K = length of
 * @classes. Each class needs at least one training image; a class with ≥ 2 images keeps at
 * least one of them held out when options->holdout > 0. Deterministic for a given seed.
 * Cancelled through options->cancellable: NULL with G_IO_ERROR_CANCELLED. */
NdTeachHead  *nd_teach_train         (const NdTensor        *features,
                                      const int             *labels,
                                      const char * const    *classes,
                                      const NdTeachOptions  *options,
                                      GError               **error);

/* Logits [N, K] of @head on @features [N, D]. */
NdTensor     *nd_teach_head_logits   (const NdTeachHead *head,
                                      const NdTensor    *features);

/* A copy of @backbone whose final linear layer is @head's (output: the head's classes).
 * Fails when the layer's input width is not head->dim. */
NdGraph      *nd_teach_apply_head    (const NdGraph     *backbone,
                                      const NdTeachHead *head,
                                      GError           **error);

gboolean      nd_teach_head_save     (const NdTeachHead *head,
                                      const char        *path,
                                      GError           **error);
/* Reads a head file; a file that is not one (no head metadata, wrong shapes, non-finite
 * values) is a BAD_FILE error naming it. */
NdTeachHead  *nd_teach_head_load     (const char        *path,
                                      GError           **error);

/* The head file's nondeep.* metadata (written and read in formats/nd-metadata.c, the one
 * place that spells its keys): backbone, layer, classes, training and held-out counts,
 * held-out accuracy and confusion matrix. The reader fills those fields of @head (BAD_FILE naming @path when a key
 * is missing or out of range). */
GHashTable   *nd_metadata_new_head   (const NdTeachHead *head);
gboolean      nd_metadata_read_head  (GHashTable        *metadata,
                                      const char        *path,
                                      NdTeachHead       *head,
                                      GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdTeachHead, nd_teach_head_free)

G_END_DECLS
