/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"

G_BEGIN_DECLS

/* The working state of nd_fuse_graph(): a private copy of the graph that the rules rewrite in
 * place. Rules never add nodes: a fused node takes the slot of its first (dense) conv, whose
 * inputs therefore still come first, and the nodes it absorbed are marked dead and later
 * dropped, so ids stay topological until the final renumbering. */
typedef struct
{
  NdGraph  *graph;
  gboolean *dead;
  int       n;
} NdFuseWork;

/* The only live reader of @id, or -1 when it has none, several, reads it twice, or @id is
 * the graph output. */
int       _nd_fuse_sole_consumer (const NdFuseWork *work,
                                  int               id);
/* Marks @id dead; its readers and the graph output are redirected to @replacement
 * (-1 when it has no readers left). */
void      _nd_fuse_kill          (NdFuseWork       *work,
                                  int               id,
                                  int               replacement);
/* Appends the training-form names @node stands for (its origins, else its own name). */
void      _nd_fuse_add_origins   (GPtrArray        *names,
                                  const NdNode     *node);
/* Replaces @node's weights by a conv weight and optional bias (both taken) and its origins by
 * @names (a GPtrArray of char*, consumed and NULL-terminated here). */
void      _nd_fuse_set_conv      (NdNode           *node,
                                  NdTensor         *weight,
                                  NdTensor         *bias,
                                  GPtrArray        *names);

/* BN with per-channel scale t = γ / sqrt(σ² + ε) and shift β − μ·t (§0.1). */
void      _nd_fuse_bn_scale_shift (const NdNode    *bn,
                                   int              c,
                                   double          *t,
                                   double          *shift);
/* @conv's weight and bias with @bn folded in: W' = W·t, b' = β + (b0 − μ)·t (new tensors). */
void      _nd_fuse_fold_bn_weights (const NdNode   *conv,
                                    const NdNode   *bn,
                                    NdTensor      **weight,
                                    NdTensor      **bias);

typedef enum
{
  ND_FUSE_BRANCH_NONE,
  ND_FUSE_BRANCH_1X1,        /* §0.2: 1×1, pad 0, same stride and groups, same input */
  ND_FUSE_BRANCH_POOL_1X1,   /* §0.5: AvgPool(2, 2) → 1×1 s1, beside a stride-2 3×3 */
  ND_FUSE_BRANCH_IDENTITY,   /* §0.3: BN-only identity branch */
} NdFuseBranch;

/* What addend @id of the ADD @add is to the 3×3 conv @dense, if it can merge into it. */
NdFuseBranch _nd_fuse_classify_addend (const NdFuseWork *work,
                                       int               add,
                                       const NdNode     *dense,
                                       int               id);
/* Adds @branch's kernel (as a 3×3) and bias into @weight [O, I/g, 3, 3] and @bias. */
void      _nd_fuse_add_branch    (NdTensor         *weight,
                                  NdTensor         *bias,
                                  const NdNode     *branch,
                                  NdFuseBranch      kind);

/* The rules; each returns TRUE when it rewrote something at @id. */
gboolean  _nd_fuse_fold_bn       (NdFuseWork       *work,
                                  int               id);
gboolean  _nd_fuse_merge_convs   (NdFuseWork       *work,
                                  int               id);
gboolean  _nd_fuse_merge_branches (NdFuseWork      *work,
                                   int              id);

G_END_DECLS
