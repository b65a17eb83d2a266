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
/* Compute→compute barriers recorded in the plan's command buffer (for tests and views). */
int       nd_vk_plan_n_barriers (NdPlan *plan);

G_END_DECLS
