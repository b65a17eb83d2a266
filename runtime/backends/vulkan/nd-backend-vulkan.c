/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-backend-vulkan.h"
#include "nd-error.h"
#include "nd-vk-context.h"
#include "nd-vk-plan.h"

typedef struct
{
  NdBackend    parent;
  NdVkContext *ctx;
} NdVkBackend;

void
nd_vulkan_device_info_free (NdVulkanDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->type);
  g_free (info->driver);
  g_free (info->api_version);
  g_free (info);
}

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

GPtrArray *
nd_vulkan_list_devices (GError **error)
{
  NdVkContext *ctx = nd_vk_context_new_instance (error);
  g_autofree VkPhysicalDevice *devs = NULL;
  GPtrArray *list;
  guint32 n = 0;

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
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_vulkan_device_info_free);
  for (guint32 i = 0; i < n; i++)
    {
      NdVulkanDeviceInfo *info = g_new0 (NdVulkanDeviceInfo, 1);
      VkPhysicalDeviceProperties p;

      ctx->vkGetPhysicalDeviceProperties (devs[i], &p);
      info->index = (int) i;
      info->name = g_strdup (p.deviceName);
      info->type = g_strdup (nd_vk_device_type_name (p.deviceType));
      info->driver = driver_string (ctx, devs[i], &p);
      info->api_version = g_strdup_printf ("%u.%u.%u", VK_API_VERSION_MAJOR (p.apiVersion),
                                           VK_API_VERSION_MINOR (p.apiVersion),
                                           VK_API_VERSION_PATCH (p.apiVersion));
      nd_vk_device_capabilities (ctx, devs[i], &info->memory_mib, &info->timestamps,
                                 &info->fp16_storage);
      info->max_workgroup_invocations = p.limits.maxComputeWorkGroupInvocations;
      info->shared_memory_kib = p.limits.maxComputeSharedMemorySize / 1024;
      g_ptr_array_add (list, info);
    }
  nd_vk_context_free (ctx);
  return list;
}

static NdPlan *
vk_prepare (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options, GError **error)
{
  return nd_vk_plan_new (backend, ((NdVkBackend *) backend)->ctx, graph, options, error);
}

static void
vk_free (NdBackend *backend)
{
  NdVkBackend *self = (NdVkBackend *) backend;

  nd_vk_context_free (self->ctx);
  g_free (self);
}

static const NdBackendClass vk_class = {
  .name = "vulkan",
  .prepare = vk_prepare,
  .run = nd_vk_plan_run,
  .plan_free = nd_vk_plan_free,
  .free = vk_free,
};

NdBackend *
nd_vulkan_backend_new (int device, GError **error)
{
  NdVkContext *ctx = nd_vk_context_new_instance (error);
  NdVkBackend *self;

  if (ctx == NULL)
    return NULL;
  if (!nd_vk_context_open_device (ctx, device, error))
    {
      nd_vk_context_free (ctx);
      return NULL;
    }
  self = g_new0 (NdVkBackend, 1);
  self->ctx = ctx;
  self->parent.klass = &vk_class;
  self->parent.name = g_strdup ("vulkan");
  self->parent.description = nd_vk_context_describe (ctx);
  self->parent.gpu = ctx->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
  self->parent.timings_serialize = TRUE;
  self->parent.fp16_storage = ctx->fp16_storage;
  return &self->parent;
}
