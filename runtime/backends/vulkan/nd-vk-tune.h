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

G_END_DECLS
