/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-device.h"

G_BEGIN_DECLS

/* The device list moved to the device layer (nd-device.h); these names stay for callers. */
typedef NdDeviceInfo NdVulkanDeviceInfo;
#define nd_vulkan_device_info_free nd_device_info_free
/* Same as nd_device_list_vulkan(). */
GPtrArray  *nd_vulkan_list_devices       (GError **error);
/* @device: index from nd_vulkan_list_devices(), or -1 for the preferred one (a discrete GPU
 * first). NULL + DEVICE_UNAVAILABLE when none can be used; callers fall back to the CPU. */
NdBackend  *nd_vulkan_backend_new        (int      device,
                                          GError **error);

G_END_DECLS
