/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-vk-ops.h"

G_BEGIN_DECLS

struct _NdVkPlan;

/* A squeeze-excitation gate's squeeze the plan runs on se.comp: the global average pool
 * @pool, the 1×1 convolution or linear layer @conv it alone feeds (and @act after it, or
 * -1), and @bn, the
 * identity BN (ParNet's RepVGG-SSE block) whose output both the pool and the gated summand
 * read, folded away (or -1): the pool reads its input instead and the conv writes pairs. */
typedef struct
{
  int      pool, conv, act, bn;
  float    alpha;      /* with @bn: the GATE's α */
  gboolean fused;      /* pool and product in one dispatch; else the pool is its own step */
  int      counter;    /* fused: its word in the flags buffer */
} NdVkSe;

/* Finds the gates (ND_VK_SE=0: none; @fold_bn FALSE: without the BN folding) and the BNs
 * an interleaving concat takes, and marks what their steps absorb; sets self->se,
 * self->n_se, self->alias, self->pairs. */
void         nd_vk_se_find  (struct _NdVkPlan *self,
                             gboolean *absorbed,
                             gboolean  fold_bn);
/* The gate whose step node @id heads (a fused gate's pool, else its conv), or NULL. */
const NdVkSe *nd_vk_se_at   (struct _NdVkPlan *self,
                             int       id);
/* Whether every folded BN's gated summand went into a producer's epilogue (GATE_FIRST 3):
 * if not, the plan is made again without folding. */
gboolean     nd_vk_se_check (struct _NdVkPlan *self);
/* With a folded BN on an input of @cat (an interleaving concat; @alias from the plan):
 * @op's per-channel scale and shift (layout.comp's AFFINE). Otherwise nothing. */
void         nd_vk_se_concat_affine (const NdGraph *graph,
                                     const NdNode  *cat,
                                     const int     *alias,
                                     NdVkOp        *op);
/* The dispatch of @se for @batch images. */
void         nd_vk_se_build (const NdGraph *graph,
                             const NdVkSe  *se,
                             int            batch,
                             const VkPhysicalDeviceLimits *limits,
                             NdVkOp        *op);

G_END_DECLS
