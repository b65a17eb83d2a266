/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* The fused-vs-training difference, defined once for the window and `nondeep-cli verify`:
 * both forms run on the same input, the reference input below (a camera frame could not be
 * reproduced by the CLI), and each block's output and the logits are compared as
 * nd_tensor_compare() does: max |fused − training| and that over max |training|. Each block's
 * difference includes the rounding of every block before it, amplified on the way. */
typedef struct
{
  GHashTable *block_abs;      /* block path → double* max |fused − training| */
  GHashTable *block_rel;      /* block path → double* that over max |training output| */
  double      blocks_max_rel; /* the largest of block_rel (0 with no block) */
  char       *worst_block;    /* where it is, or NULL */
  double      logits_abs;
  double      logits_rel;
} NdFusionCheck;

/* The reference input: deterministic and image-like (smooth gradients and rings, roughly
 * zero-mean, unit scale), the same on every machine and run. NULL with OUT_OF_MEMORY rather
 * than an abort. */
NdTensor  *nd_reference_input_new     (int n, int c, int h, int w, GError **error);

/* The node ids a plan of @graph must capture for nd_fusion_check_run(): every block's output
 * (and each SE gate's input) when @block is NULL, else only @block's. */
int       *nd_fusion_check_capture    (const NdGraph *graph, const char *block, int *n);

/* Runs @fused and @train (plans of the two forms, captures from
 * nd_fusion_check_capture (graph, NULL)) on @input and fills @check. */
gboolean   nd_fusion_check_run        (NdPlan         *fused,
                                       NdPlan         *train,
                                       const NdTensor *input,
                                       NdFusionCheck  *check,
                                       GError        **error);
void       nd_fusion_check_clear      (NdFusionCheck  *check);

G_END_DECLS
