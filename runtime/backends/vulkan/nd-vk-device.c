/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-device.h"
#include "nd-error.h"
#include "nd-vk-context.h"

/* The Vulkan half of the device layer: an instance only, never a logical device, so listing
 * is cheap and safe on the main thread. */

static char *
driver_string (NdVkContext *ctx, VkPhysicalDevice phys, const VkPhysicalDeviceProperties *p)
{
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &driver,
  };

  /* Driver properties are core in 1.2; older devices only give the vendor's number. */
  if (p->apiVersion >= VK_API_VERSION_1_2 && ctx->vkGetPhysicalDeviceProperties2 != NULL)
    {
      ctx->vkGetPhysicalDeviceProperties2 (phys, &props2);
      if (driver.driverName[0] != '\0')
        return g_strdup_printf ("%s %s", driver.driverName, driver.driverInfo);
    }
  return g_strdup_printf ("vendor 0x%04x, driver version %u", p->vendorID, p->driverVersion);
}

static NdDeviceInfo *
describe (NdVkContext *ctx, VkPhysicalDevice phys, int index)
{
  NdDeviceInfo *info = g_new0 (NdDeviceInfo, 1);
  VkPhysicalDeviceProperties p;

  ctx->vkGetPhysicalDeviceProperties (phys, &p);
  info->kind = ND_DEVICE_KIND_VULKAN;
  info->backend = "vulkan";
  info->index = index;
  info->name = g_strdup (p.deviceName);
  info->type = g_strdup (nd_vk_device_type_name (p.deviceType));
  info->driver = driver_string (ctx, phys, &p);
  info->api_version = g_strdup_printf ("%u.%u.%u", VK_API_VERSION_MAJOR (p.apiVersion),
                                       VK_API_VERSION_MINOR (p.apiVersion),
                                       VK_API_VERSION_PATCH (p.apiVersion));
  nd_vk_device_capabilities (ctx, phys, &info->memory_mib, &info->timestamps,
                             &info->fp16_storage);
  info->max_workgroup_invocations = p.limits.maxComputeWorkGroupInvocations;
  info->shared_memory_kib = p.limits.maxComputeSharedMemorySize / 1024;
  info->gpu = p.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
  info->usable = nd_vk_device_rank (ctx, phys) >= 0;
  info->matmul = nd_vk_matmul_status (ctx, phys, &info->coopmat);
  info->description = nd_vk_describe_device (&p, info->memory_mib, info->timestamps,
                                             info->fp16_storage, info->matmul);
  return info;
}

GPtrArray *
nd_device_list_vulkan (GError **error)
{
  NdVkContext *ctx = nd_vk_context_new_instance (error);
  g_autofree VkPhysicalDevice *devs = NULL;
  GPtrArray *list;
  guint32 n = 0;
  int best = -1, best_rank = G_MAXINT;

  if (ctx == NULL)
    return NULL;
  if (ctx->vkEnumeratePhysicalDevices (ctx->instance, &n, NULL) != VK_SUCCESS || n == 0)
    {
      nd_vk_context_free (ctx);
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                           _("No Vulkan device is available"));
      return NULL;
    }
  devs = g_new0 (VkPhysicalDevice, n);
  ctx->vkEnumeratePhysicalDevices (ctx->instance, &n, devs);
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_device_info_free);
  for (guint32 i = 0; i < n; i++)
    {
      int rank = nd_vk_device_rank (ctx, devs[i]);

      g_ptr_array_add (list, describe (ctx, devs[i], (int) i));
      /* the same choice as nd_vk_context_open_device (ctx, -1) */
      if (rank >= 0 && rank < best_rank)
        {
          best = (int) i;
          best_rank = rank;
        }
    }
  if (best >= 0)
    ((NdDeviceInfo *) g_ptr_array_index (list, best))->preferred = TRUE;
  nd_vk_context_free (ctx);
  return list;
}
