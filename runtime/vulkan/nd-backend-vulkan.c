/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-backend-vulkan.h"
#include "nd-error.h"

/* The Vulkan backend is being written (issue 5); until it lands this build reports that no
 * Vulkan device can be used, so every caller takes its CPU fallback. */

void
nd_vulkan_device_info_free (NdVulkanDeviceInfo *info)
{
  g_free (info->name);
  g_free (info->type);
  g_free (info->driver);
  g_free (info->api_version);
  g_free (info);
}

GPtrArray *
nd_vulkan_list_devices (GError **error)
{
  g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                       _("The Vulkan backend is not part of this build yet"));
  return NULL;
}

NdBackend *
nd_vulkan_backend_new (int device, GError **error)
{
  g_autoptr(GPtrArray) devices = nd_vulkan_list_devices (error);

  return NULL;
}
