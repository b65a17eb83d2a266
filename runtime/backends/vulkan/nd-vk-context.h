/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "nd-shader-abi.h"

G_BEGIN_DECLS

/* The Vulkan loader is opened at run time (dlopen "libvulkan.so.1"), so a binary built with
 * the backend still starts on a machine without a loader; every entry point lives in the
 * context's table and is called as ctx->vkFoo (…). */

#define ND_VK_INSTANCE_FUNCS(X) \
  X (vkDestroyInstance) X (vkEnumeratePhysicalDevices) X (vkGetPhysicalDeviceProperties) \
  X (vkGetPhysicalDeviceFeatures2) X (vkGetPhysicalDeviceQueueFamilyProperties) \
  X (vkGetPhysicalDeviceMemoryProperties) X (vkCreateDevice) X (vkGetDeviceProcAddr) \
  X (vkGetPhysicalDeviceProperties2) X (vkEnumerateDeviceExtensionProperties)

#define ND_VK_DEVICE_FUNCS(X) \
  X (vkDestroyDevice) X (vkGetDeviceQueue) X (vkCreateBuffer) X (vkDestroyBuffer) \
  X (vkGetBufferMemoryRequirements) X (vkAllocateMemory) X (vkFreeMemory) \
  X (vkBindBufferMemory) X (vkMapMemory) X (vkUnmapMemory) X (vkCreateShaderModule) \
  X (vkDestroyShaderModule) X (vkCreatePipelineCache) X (vkGetPipelineCacheData) \
  X (vkDestroyPipelineCache) X (vkCreateComputePipelines) X (vkDestroyPipeline) \
  X (vkCreatePipelineLayout) X (vkDestroyPipelineLayout) X (vkCreateDescriptorSetLayout) \
  X (vkDestroyDescriptorSetLayout) X (vkCreateDescriptorPool) X (vkDestroyDescriptorPool) \
  X (vkAllocateDescriptorSets) X (vkUpdateDescriptorSets) X (vkCreateCommandPool) \
  X (vkDestroyCommandPool) X (vkAllocateCommandBuffers) X (vkFreeCommandBuffers) \
  X (vkBeginCommandBuffer) X (vkEndCommandBuffer) X (vkCmdBindPipeline) \
  X (vkCmdBindDescriptorSets) X (vkCmdDispatch) X (vkCmdPipelineBarrier) X (vkCmdCopyBuffer) X (vkCmdFillBuffer) \
  X (vkCmdWriteTimestamp) X (vkCmdResetQueryPool) X (vkCreateQueryPool) \
  X (vkDestroyQueryPool) X (vkGetQueryPoolResults) X (vkQueueSubmit) X (vkCreateFence) \
  X (vkDestroyFence) X (vkWaitForFences) X (vkResetFences) X (vkDeviceWaitIdle)

/* Bindings every shader shares: 0 output, 1..4 inputs (2..4 also the fused add's summands),
 * 5 weight, 6 bias, 7 the fused gate's SE input. */
#define ND_VK_N_BINDINGS ND_N_BINDINGS   /* nd-shader-abi.h */

typedef struct
{
  void                             *lib;
  PFN_vkGetInstanceProcAddr         vkGetInstanceProcAddr;
#define ND_VK_DECLARE(f) PFN_##f f;
  ND_VK_INSTANCE_FUNCS (ND_VK_DECLARE)
  ND_VK_DEVICE_FUNCS (ND_VK_DECLARE)
#undef ND_VK_DECLARE
  VkInstance                        instance;
  VkPhysicalDevice                  phys;
  VkPhysicalDeviceProperties        props;
  VkPhysicalDeviceMemoryProperties  mem_props;
  gboolean                          fp16_storage;
  int                               coopmat;     /* NdVkCoopmatState (nd-vk-coopmat.h) */
  char                             *coopmat_why; /* why it is OFF or FAILED */
  VkDevice                          device;
  VkQueue                           queue;
  guint32                           queue_family;
  gboolean                          has_timestamps;
  VkPipelineCache                   cache;
  char                             *cache_path;
  gboolean                          cache_dirty;
  VkDescriptorSetLayout             set_layout;
  VkPipelineLayout                  pipeline_layout;
  GHashTable                       *modules;     /* shader name → VkShaderModule */
  GHashTable                       *pipelines;   /* key → VkPipeline */
  /* Plans of one backend may be prepared and run on different threads: this guards the
   * pipeline tables, the cache file and the queue (vkQueueSubmit needs external sync). */
  GMutex                            lock;
} NdVkContext;


/* Opens the loader and creates an instance; NULL + DEVICE_UNAVAILABLE if either fails. */
NdVkContext *nd_vk_context_new_instance (GError **error);
/* Picks physical device @index (-1: the preferred one) and creates the logical device. */
gboolean     nd_vk_context_open_device  (NdVkContext *ctx,
                                         int          index,
                                         GError     **error);
void         nd_vk_context_free         (NdVkContext *ctx);
/* A one-line description of the open device, its limits and features. */
char        *nd_vk_context_describe     (NdVkContext *ctx);
/* The text of nd_vk_context_describe() for a device that is not open. */
char        *nd_vk_describe_device      (const VkPhysicalDeviceProperties *p,
                                         guint64                           memory_mib,
                                         gboolean                          timestamps,
                                         gboolean                          fp16_storage,
                                         const char                       *matmul);
/* What the GEMM-shaped convolutions would compute in on @phys (not opened) and why, e.g.
 * "float32 (no VK_NV_cooperative_matrix or VK_KHR_cooperative_matrix)" (translated,
 * interned); @coopmat: the device has a cooperative-matrix extension. In nd-vk-coopmat.c. */
const char  *nd_vk_matmul_status        (NdVkContext     *ctx,
                                         VkPhysicalDevice phys,
                                         gboolean        *coopmat);
gboolean     nd_vk_has_extension        (NdVkContext     *ctx,
                                         VkPhysicalDevice phys,
                                         const char      *name);
/* 0 discrete, 1 integrated, 2 virtual, 3 cpu, 4 other; -1 when the backend cannot use it
 * (below Vulkan 1.1 or without a compute queue). The lowest usable rank is preferred. */
int          nd_vk_device_rank          (NdVkContext     *ctx,
                                         VkPhysicalDevice phys);
const char  *nd_vk_device_type_name     (VkPhysicalDeviceType type);
/* What `devices` reports of a physical device before it is opened. */
void         nd_vk_device_capabilities  (NdVkContext      *ctx,
                                         VkPhysicalDevice  phys,
                                         guint64          *memory_mib,
                                         gboolean         *timestamps,
                                         gboolean         *fp16_storage);

/* The compute pipeline for shader @name (resource <name>.spv) specialized with @spec
 * (@n_spec 4-byte constants, ids 0..n-1; id 0 is the workgroup size); cached per context. */
VkPipeline   nd_vk_pipeline             (NdVkContext   *ctx,
                                         const char    *name,
                                         const guint32 *spec,
                                         int            n_spec,
                                         GError       **error);
/* Writes the driver's pipeline cache to disk when pipelines were added. */
void         nd_vk_context_save_cache   (NdVkContext *ctx);

/* Sub-allocation: creates every buffer with size > 0 in @bufs and binds them all to one
 * allocation of memory with @props (falling back to any type the buffers accept when
 * @props cannot be had and @required is FALSE). */
typedef struct
{
  VkBuffer     buffer;
  VkDeviceSize size;
  VkDeviceSize offset;
} NdVkBuffer;

gboolean     nd_vk_buffers_create       (NdVkContext           *ctx,
                                         NdVkBuffer            *bufs,
                                         int                    n,
                                         VkBufferUsageFlags     usage,
                                         VkMemoryPropertyFlags  props,
                                         gboolean               required,
                                         VkDeviceMemory        *memory,
                                         void                 **mapped,
                                         GError               **error);
void         nd_vk_buffers_destroy      (NdVkContext    *ctx,
                                         NdVkBuffer     *bufs,
                                         int             n,
                                         VkDeviceMemory  memory);
/* Records with @record into a one-shot command buffer, submits and waits. */
gboolean     nd_vk_submit_once          (NdVkContext *ctx,
                                         void       (*record) (NdVkContext     *ctx,
                                                               VkCommandBuffer  cmd,
                                                               gpointer         data),
                                         gpointer     data,
                                         GError     **error);
/* vkQueueSubmit under the context lock. */
VkResult     nd_vk_queue_submit         (NdVkContext        *ctx,
                                         const VkSubmitInfo *submit,
                                         VkFence             fence);
/* Sets @error from a failed call; DEVICE_LOST / OUT_OF_MEMORY / FAILED by result. */
void         nd_vk_set_error            (GError    **error,
                                         const char *call,
                                         VkResult    result);

G_END_DECLS
