/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* A Vulkan plan whose convolutions run the kernel variant (nd-vk-ops.h) timed fastest on this
 * device for their shape: timed now with NdPlanOptions.tune (or ND_VK_TUNE=1) where no verdict
 * is remembered, else the remembered verdicts, else the rules. Fills plan->kernels,
 * tuned_ops and tune_ms. */
NdPlan *nd_vk_tune_prepare (NdBackend           *backend,
                            NdVkContext         *ctx,
                            NdGraph             *graph,
                            const NdPlanOptions *options,
                            GError             **error);

/* The variant a shape takes from each variant's total median time @total and its total in
 * the upper quantile of the paired runs @total_hi (variant 0: the rules; @timed[v] FALSE:
 * not timed): the fastest that beats the rules' median by the margin and in that quantile
 * too, else 0. */
int     nd_vk_tune_pick    (const double        *total,
                            const double        *total_hi,
                            const gboolean      *timed,
                            int                  n_variants);

G_END_DECLS
