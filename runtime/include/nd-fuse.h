/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-graph.h"

G_BEGIN_DECLS

/* Structural re-parameterization as graph passes. Each returns a NEW graph (the input is not
 * modified); fused nodes list in ->origins the names of the training-form nodes they came
 * from, and get the official deploy names (ParNet `...block.rbr_dense`, RepVGG
 * `stageK.i.rbr_reparam`, VanillaNet `stem.0`, `stem.1`, `stages.i.conv`, `stages.i.act`,
 * `cls.2`), so that a deploy checkpoint loads into the fused graph by name.
 *
 * Rules (docs/reference/networks.md §0, §1.1, §2.1, §3.3):
 *  - BN folding into the preceding conv (with or without a conv bias);
 *  - 1×1 branch (padded to the centre) and identity BN (a delta kernel, grouped too) into the
 *    3×3 of the same block, summed;
 *  - AvgPool2×2 + 1×1 into the stride-2 3×3 (ParNet);
 *  - VanillaNet: leaky(λ = 1) is the identity, so conv → conv 1×1 pairs merge (W2·W1) and the
 *    activation's BN folds into its depthwise conv. At λ < 1 this is refused with
 *    ND_RUNTIME_ERROR_UNSUPPORTED.
 * nd_fuse_graph() applies every rule that matches, until none does. */
NdGraph   *nd_fuse_graph      (const NdGraph *graph,
                               GError       **error);

G_END_DECLS
