/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"
#include "nd-shader-abi.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* What the plan folded into the producer: a following ADD (n_res other summands) and GATE
 * (gate_first: 0 the gate comes after the add in the chain, 1 before it, 2 it gates only the
 * first other summand: an ADD's summand that is a GATE, absorbed with the ADD). */
typedef struct
{
  int      n_res;
  gboolean gate;
  int      gate_first;
  float    gate_alpha;
} NdVkEpilogue;

/* A dispatch that runs before the main one of the same op (Winograd's input transform and
 * batched GEMM), writing a scratch buffer. */
typedef struct
{
  const char *shader;
  guint32     spec[ND_N_SPEC];
  int         n_spec;
  guint32     groups[3];
} NdVkPreDispatch;

/* One op: which shader, its specialization constants (indexed by the ids of
 * nd-shader-abi.h), the grid and the constant data the shader reads (binding 5 / 6), already in the layout the shader wants. With n_pre = 2
 * (Winograd) the plan binds: pre[0] 0 = scratch[0], 1 = the op's input; pre[1] 0 =
 * scratch[1], 1 = scratch[0], 5 = weight; main 1 = scratch[1], 6 = bias, and the epilogue.
 * With n_pre = 1 (split-K): pre[0] 0 = scratch[0], 1 = the op's input, 5 = weight; main
 * 1 = scratch[0], 6 = bias, and the epilogue. */
typedef struct
{
  int              n_pre;
  NdVkPreDispatch  pre[2];
  gsize            scratch[2];   /* floats */
  const char *shader;
  guint32     spec[ND_N_SPEC];
  int         n_spec;
  guint32     groups[3];
  float      *weight;      /* owned; binding 5 */
  gsize       n_weight;
  float      *bias;        /* owned; binding 6 */
  gsize       n_bias;
  const char *algo;
} NdVkOp;

/* The kernel variants a convolution can be built in, for timing them (nd-vk-tune.c):
 * RULES is this file's own choice (Winograd or not, the GEMM tile, split-K); each other
 * forces one of those choices where the op has it and keeps the rules elsewhere
 * (nd-vk-tune.c builds none while ND_VK_TILE, ND_VK_WINOGRAD or ND_VK_MIN_GROUPS is set). */
enum
{
  ND_VK_VARIANT_RULES = 0,
  ND_VK_N_VARIANTS = 11,
};
/* The variant's stable name ("rules", "winograd-f43", "tile-64x64x8x8", …: the tuning
 * cache stores it), and the variant of a name (-1 for none). */
const char *nd_vk_variant_name      (int         variant);
int         nd_vk_variant_from_name (const char *name);
/* FALSE for the variant that keeps a float16 plan's products off cooperative matrices. */
gboolean    nd_vk_variant_allows_coopmat (int variant);

/* Whether @act (an activation node) can be applied in the epilogue of @head's shader,
 * whether @head's shader takes the add/gate epilogue, and whether @bn can be folded into
 * @head (a convolution). */
gboolean nd_vk_op_can_fuse_act (const NdNode *head,
                                const NdNode *act);
gboolean nd_vk_op_has_epilogue (const NdNode *head);
gboolean nd_vk_op_can_fold_bn  (const NdNode *head,
                                const NdNode *bn);

/* Describes the dispatch computing @head, followed by the folded @bn, the epilogue @epi
 * and the fused @act (any may be NULL), for @batch images, tuned for the device @props, a
 * convolution in kernel @variant (ND_VK_VARIANT_RULES: the rules). */
gboolean nd_vk_op_build        (const NdGraph                *graph,
                                const NdNode                 *head,
                                const NdNode                 *bn,
                                const NdVkEpilogue           *epi,
                                const NdNode                 *act,
                                int                           batch,
                                const VkPhysicalDeviceProperties *props,
                                int                           variant,
                                NdVkOp                       *op,
                                GError                      **error);
/* Whether nd_vk_op_build() has a kernel for @node (ND_VK_UNSUPPORTED, a comma-separated
 * list of op names, says no for tests); the plan runs the others on the CPU. */
gboolean nd_vk_op_supported    (const NdNode *node,
                                int           batch);
/* Moves @op's tiled gemm.comp products (1×1 convolutions, Winograd's batched product; not
 * split-K, not GEMV) to gemm-coopmat-nv, whose operands and constants are the same; the algo
 * gains "-coopmat". For float16 plans on a device that passed the self-test. */
void     nd_vk_op_use_coopmat  (NdVkOp *op);
void     nd_vk_op_clear        (NdVkOp *op);
/* What @op dispatches, hashed: shaders, constants and grids (equal for two kernel variants:
 * the same kernels). */
guint    nd_vk_op_hash         (const NdVkOp *op);
/* @act's ND_ACT_ code (ND_ACT_NONE for NULL, -1 for a node that is no activation). */
int      nd_vk_act_code        (const NdNode *act);
/* BN as y = x·scale + shift for channel @c, in double so folding loses nothing the oracle
 * keeps. */
void     nd_vk_bn_scale_shift  (const NdNode *bn,
                                double       *scale,
                                double       *shift,
                                int           c);

G_END_DECLS
