/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* A Vulkan plan: buffers, weights, pipelines and one pre-recorded command buffer. */
NdPlan   *nd_vk_plan_new  (NdBackend           *backend,
                           NdVkContext         *ctx,
                           NdGraph             *graph,
                           const NdPlanOptions *options,
                           GError             **error);
gboolean  nd_vk_plan_run  (NdPlan         *plan,
                           const NdTensor *input,
                           GError        **error);
void      nd_vk_plan_free (NdPlan *plan);
/* nd_vk_plan_new () with node i, a convolution, built in kernel variant @variant[i]
 * (nd-vk-ops.h; copied; NULL: the rules for all). */
NdPlan   *nd_vk_plan_new_variants (NdBackend           *backend,
                                   NdVkContext         *ctx,
                                   NdGraph             *graph,
                                   const NdPlanOptions *options,
                                   const guint8        *variant,
                                   GError             **error);
/* Dispatches of the untimed command buffer that read or write a buffer another dispatch wrote
 * since the last barrier, or write one another read (a missing barrier; lavapipe runs
 * dispatches in order and would not show it): 0, or a warning was logged. */
int       nd_vk_plan_hazards    (NdPlan *plan);

G_END_DECLS
