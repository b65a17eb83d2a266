/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"

G_BEGIN_DECLS

/* ParNet's streams on several Vulkan devices (NdPlanOptions.devices), nd-vk-split.c. */
typedef struct _NdVkSplit NdVkSplit;
struct _NdVkPlan;

#define ND_VK_MAX_DEVICES 8

/* Checks the request, marks in @remote ([n_nodes]) the nodes the other devices compute and
 * prepares a plan of the stem and their streams on each (its own logical device). */
NdVkSplit *nd_vk_split_new      (struct _NdVkPlan    *main,
                                 const NdPlanOptions *options,
                                 gboolean            *remote,
                                 GError             **error);
/* Starts the other devices' runs on @input (each on its own thread). */
void       nd_vk_split_start    (NdVkSplit      *split,
                                 const NdTensor *input);
/* Node @id (a stream output the first device reads) into @dst, once its device is done. */
gboolean   nd_vk_split_fetch    (NdVkSplit *split,
                                 int        id,
                                 NdTensor  *dst,
                                 GError   **error);
/* Adds @ms of copying to the device that computed node @id. */
void       nd_vk_split_add_transfer (NdVkSplit *split,
                                     int        id,
                                     double     ms);
/* Waits for every device, then fills the plan's op_ms, captures and per-device times. */
gboolean   nd_vk_split_finish   (NdVkSplit *split,
                                 double     main_ms,
                                 GError   **error);
void       nd_vk_split_free     (NdVkSplit *split);

G_END_DECLS
