/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"

G_BEGIN_DECLS

typedef struct
{
  int   index;
  char *name;
  char *type;        /* "discrete", "integrated", "virtual", "cpu", "other" */
  char *driver;
  char *api_version;
  /* Limits and features the backend uses. */
  guint64  memory_mib;            /* largest device-local heap */
  guint32  max_workgroup_invocations;
  guint32  shared_memory_kib;
  gboolean timestamps;            /* on a compute queue */
  gboolean fp16_storage;          /* 16-bit storage buffers: --fp16 */
} NdVulkanDeviceInfo;

void        nd_vulkan_device_info_free   (NdVulkanDeviceInfo *info);
/* Every physical device (element type NdVulkanDeviceInfo*); NULL + DEVICE_UNAVAILABLE when
 * there is no loader or no device. */
GPtrArray  *nd_vulkan_list_devices       (GError **error);
/* @device: index from nd_vulkan_list_devices(), or -1 for the preferred one (a discrete GPU
 * first). NULL + DEVICE_UNAVAILABLE when none can be used; callers fall back to the CPU. */
NdBackend  *nd_vulkan_backend_new        (int      device,
                                          GError **error);

G_END_DECLS
