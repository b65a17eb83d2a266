/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* One dispatch: which shader, its specialization constants, the grid and the constant data
 * the shader reads (binding 5 / 6), already in the layout the shader wants. */
typedef struct
{
  const char *shader;
  guint32     spec[24];
  int         n_spec;
  guint32     groups[3];
  float      *weight;      /* owned; binding 5 */
  gsize       n_weight;
  float      *bias;        /* owned; binding 6 */
  gsize       n_bias;
  const char *algo;
} NdVkOp;

/* Whether @act (an activation node) can be applied in the epilogue of @head's shader, and
 * whether @bn can be folded into @head (a convolution). */
gboolean nd_vk_op_can_fuse_act (const NdNode *head,
                                const NdNode *act);
gboolean nd_vk_op_can_fold_bn  (const NdNode *head,
                                const NdNode *bn);

/* Describes the dispatch computing @head, followed by the folded @bn and the fused @act
 * (either may be NULL), for @batch images. */
gboolean nd_vk_op_build        (const NdGraph                *graph,
                                const NdNode                 *head,
                                const NdNode                 *bn,
                                const NdNode                 *act,
                                int                           batch,
                                const VkPhysicalDeviceLimits *limits,
                                NdVkOp                       *op,
                                GError                      **error);
void     nd_vk_op_clear        (NdVkOp *op);

G_END_DECLS
