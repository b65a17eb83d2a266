/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-vk-context.h"

G_BEGIN_DECLS

/* The Vulkan backend's measure_peak (nd-backend.h): fma.comp's float32 FMA rate on @ctx's
 * device, the dispatch grown until it fills the device, the result checked on the host. */
gboolean nd_vk_measure_peak (NdVkContext   *ctx,
                             NdBackendPeak *peak,
                             GError       **error);

G_END_DECLS
