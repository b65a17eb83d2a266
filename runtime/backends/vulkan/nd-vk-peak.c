/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-vk-peak.h"

/* The device's float32 compute peak for the lab's roofline: fma.comp (a pure FMA loop on
 * registers) dispatched over more and more workgroups, doubling until one dispatch lasts
 * target_ms, so that the device is full (many waves on every compute unit) whatever its size,
 * without a vendor extension to report compute units; then that size a few times more. Each
 * dispatch is timed with GPU timestamps around it (the host clock where the queue has none);
 * the rate is the best of them. A CPU device (lavapipe) starts and stops small, so that
 * `roofline --backend vulkan` stays quick there. */

typedef struct
{
  guint32 wg;              /* invocations per workgroup */
  guint32 iters;           /* loop trips per invocation (fma.comp's ITERS) */
  guint32 start_groups;
  double  target_ms;       /* stop doubling once a dispatch takes this long */
  double  budget_ms;       /* … or once the probe's dispatches took this long in all */
  guint32 max_invocations; /* the output buffer's size, one float each */
} PeakSizes;

typedef struct
{
  VkPipeline      pipeline;
  VkDescriptorSet set;
  VkQueryPool     queries;      /* 2 timestamps, or VK_NULL_HANDLE */
  NdVkBuffer      out;          /* one float per invocation */
  NdVkBuffer      host;         /* the first and the last invocation's, read back */
  guint32         gx, gy;       /* the grid of the next dispatch */
  VkDeviceSize    last;         /* byte offset of its last invocation's value */
  gboolean        read_back;
} PeakRun;

#define PEAK_FINAL_RUNS 3

static void
record_fma (NdVkContext *ctx, VkCommandBuffer cmd, gpointer data)
{
  PeakRun *r = data;

  if (r->queries != VK_NULL_HANDLE)
    {
      ctx->vkCmdResetQueryPool (cmd, r->queries, 0, 2);
      ctx->vkCmdWriteTimestamp (cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, r->queries, 0);
    }
  ctx->vkCmdBindPipeline (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, r->pipeline);
  ctx->vkCmdBindDescriptorSets (cmd, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout, 0, 1,
                                &r->set, 0, NULL);
  ctx->vkCmdDispatch (cmd, r->gx, r->gy, 1);
  if (r->queries != VK_NULL_HANDLE)
    ctx->vkCmdWriteTimestamp (cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, r->queries, 1);
  if (r->read_back)
    {
      VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
      };
      VkBufferCopy regions[2] = {
        { 0, 0, sizeof (float) },
        { r->last, sizeof (float), sizeof (float) },
      };

      ctx->vkCmdPipelineBarrier (cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                 VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
      ctx->vkCmdCopyBuffer (cmd, r->out.buffer, r->host.buffer, 2, regions);
    }
}

/* One dispatch of r's grid; its time in @ms. */
static gboolean
dispatch_ms (NdVkContext *ctx, PeakRun *r, double *ms, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  guint64 ts[2] = { 0, 0 };
  VkResult res;

  if (!nd_vk_submit_once (ctx, record_fma, r, error))
    return FALSE;
  *ms = (g_get_monotonic_time () - t0) / 1e3;
  if (r->queries == VK_NULL_HANDLE)
    return TRUE;
  res = ctx->vkGetQueryPoolResults (ctx->device, r->queries, 0, 2, sizeof ts, ts,
                                    sizeof (guint64),
                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkGetQueryPoolResults", res), FALSE;
  if (ts[1] > ts[0])   /* else a wrapped counter: keep the host's (longer) time */
    *ms = (double) (ts[1] - ts[0]) * ctx->props.limits.timestampPeriod * 1e-6;
  return TRUE;
}

/* fma.comp's value for invocation @i, replayed on the CPU with the same operations. */
static float
replay (guint32 i, guint32 iters)
{
  static const float m[4] = { 0.999f, 0.9991f, 0.9992f, 0.9993f };
  static const float c[4] = { 0.001f, 0.0009f, 0.0008f, 0.0007f };
  static const float lane[4] = { 0.0f, 0.1f, 0.2f, 0.3f };
  float s = (float) (i & 1023u) * (1.0f / 1024.0f);
  float a[ND_FMA_CHAINS][4], t[4];

  for (int l = 0; l < 4; l++)
    {
      a[0][l] = s + lane[l];
      for (int k = 1; k < ND_FMA_CHAINS; k++)
        a[k][l] = a[0][l] + (float) k;
    }
  for (guint32 it = 0; it < iters * ND_FMA_UNROLL; it++)
    for (int k = 0; k < ND_FMA_CHAINS; k++)
      for (int l = 0; l < 4; l++)
        a[k][l] = fmaf (a[k][l], m[l], c[l]);
  for (int l = 0; l < 4; l++)
    t[l] = ((a[0][l] + a[1][l]) + (a[2][l] + a[3][l]))
           + ((a[4][l] + a[5][l]) + (a[6][l] + a[7][l]));
  return (t[0] + t[1]) + (t[2] + t[3]);
}

static gboolean
check_values (const float *got, guint32 last, guint32 iters, GError **error)
{
  guint32 at[2] = { 0, last };

  for (int k = 0; k < 2; k++)
    {
      float want = replay (at[k], iters);

      if (!(fabsf (got[k] - want) <= 1e-4f * fabsf (want)))
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                       _("The FMA peak shader wrote %g for invocation %u, expected %g"),
                       got[k], at[k], want);
          return FALSE;
        }
    }
  return TRUE;
}

static PeakSizes
peak_sizes (NdVkContext *ctx)
{
  const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
  PeakSizes s;

  if (ctx->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU)
    /* llvmpipe runs a workgroup on one thread, 8 or 16 invocations per SIMD op: ~17 MFLOP
     * to start; on the 2-core development box it stops at 4096 groups (~90 ms a dispatch),
     * about 0.5 s of dispatches in all */
    s = (PeakSizes) { 64, 64, 16, 60.0, 500.0, 1u << 20 };
  else
    /* a GPU: 4 GFLOP to start, doubled to 20 ms a dispatch; an H200 (132 SMs × 2048
     * resident invocations ≈ 2^18 at once, ~67 TFLOP/s by its data sheet) would get there
     * at ~2^22–2^23 invocations, many waves; 16 Mi invocations at most, a 64 MiB output */
    s = (PeakSizes) { 256, 1024, 64, 20.0, 2000.0, 1u << 24 };
  s.wg = MIN (s.wg, MIN (lim->maxComputeWorkGroupInvocations, lim->maxComputeWorkGroupSize[0]));
  return s;
}

/* Sets r's grid for @groups workgroups: x up to 32768, the rest in y. */
static gboolean
set_grid (NdVkContext *ctx, PeakRun *r, guint32 groups, guint32 wg)
{
  const guint32 *max = ctx->props.limits.maxComputeWorkGroupCount;

  r->gx = MIN (groups, MIN (32768u, max[0]));
  r->gy = (groups + r->gx - 1) / r->gx;
  r->last = ((VkDeviceSize) r->gx * r->gy * wg - 1) * sizeof (float);
  return r->gy <= max[1];
}

static gboolean
create_objects (NdVkContext *ctx, PeakRun *r, VkDescriptorPool *pool, VkDeviceMemory *mem,
                VkDeviceMemory *host_mem, float **mapped, GError **error)
{
  VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, ND_VK_N_BINDINGS };
  VkDescriptorPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = 1,
    .poolSizeCount = 1,
    .pPoolSizes = &size,
  };
  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = 1,
    .pSetLayouts = &ctx->set_layout,
  };
  VkQueryPoolCreateInfo query_info = {
    .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
    .queryType = VK_QUERY_TYPE_TIMESTAMP,
    .queryCount = 2,
  };
  VkDescriptorBufferInfo infos[ND_VK_N_BINDINGS];
  VkWriteDescriptorSet write = {
    .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
    .descriptorCount = ND_VK_N_BINDINGS,
    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
    .pBufferInfo = infos,
  };
  VkResult res;

  if (!nd_vk_buffers_create (ctx, &r->out, 1, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT
                             | VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                             VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, FALSE, mem, NULL, error)
      || !nd_vk_buffers_create (ctx, &r->host, 1, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
                                | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, TRUE, host_mem,
                                (void **) mapped, error))
    return FALSE;
  res = ctx->vkCreateDescriptorPool (ctx->device, &pool_info, NULL, pool);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkCreateDescriptorPool", res), FALSE;
  alloc.descriptorPool = *pool;
  res = ctx->vkAllocateDescriptorSets (ctx->device, &alloc, &r->set);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkAllocateDescriptorSets", res), FALSE;
  /* the set layout is every shader's: all its bindings point at the one buffer */
  for (int b = 0; b < ND_VK_N_BINDINGS; b++)
    infos[b] = (VkDescriptorBufferInfo) { r->out.buffer, 0, VK_WHOLE_SIZE };
  write.dstSet = r->set;
  ctx->vkUpdateDescriptorSets (ctx->device, 1, &write, 0, NULL);
  if (ctx->has_timestamps)
    {
      res = ctx->vkCreateQueryPool (ctx->device, &query_info, NULL, &r->queries);
      if (res != VK_SUCCESS)
        return nd_vk_set_error (error, "vkCreateQueryPool", res), FALSE;
    }
  return TRUE;
}

/* The doubling and the final runs; the best rate into @peak. */
static gboolean
measure (NdVkContext *ctx, PeakRun *r, const PeakSizes *sz, const float *mapped,
         NdBackendPeak *peak, GError **error)
{
  double fmas = (double) sz->iters * ND_FMA_UNROLL * ND_FMA_CHAINS * 4;
  double spent = 0, ms = 0;
  guint32 groups = sz->start_groups;

  for (;;)
    {
      double rate;

      if (!dispatch_ms (ctx, r, &ms, error))
        return FALSE;
      spent += ms;
      rate = ms > 0 ? 2.0 * fmas * r->gx * r->gy * sz->wg / (ms * 1e6) : 0;
      if (rate > peak->fma_gflops)
        {
          peak->fma_gflops = rate;
          peak->fma_invocations = (gint64) r->gx * r->gy * sz->wg;
        }
      if (ms >= sz->target_ms || spent >= sz->budget_ms
          || (guint64) groups * 2 * sz->wg > sz->max_invocations
          || !set_grid (ctx, r, groups * 2, sz->wg))
        break;
      groups *= 2;
    }
  set_grid (ctx, r, groups, sz->wg);
  for (int k = 0; k < PEAK_FINAL_RUNS; k++)
    {
      double rate;

      r->read_back = k == PEAK_FINAL_RUNS - 1;
      if (!dispatch_ms (ctx, r, &ms, error))
        return FALSE;
      rate = ms > 0 ? 2.0 * fmas * r->gx * r->gy * sz->wg / (ms * 1e6) : 0;
      if (rate > peak->fma_gflops)
        {
          peak->fma_gflops = rate;
          peak->fma_invocations = (gint64) r->gx * r->gy * sz->wg;
        }
    }
  return check_values (mapped, (guint32) (r->last / sizeof (float)), sz->iters, error);
}

gboolean
nd_vk_measure_peak (NdVkContext *ctx, NdBackendPeak *peak, GError **error)
{
  PeakSizes sz = peak_sizes (ctx);
  guint32 spec[2] = { sz.wg, sz.iters };
  PeakRun r = { 0 };
  VkDescriptorPool pool = VK_NULL_HANDLE;
  VkDeviceMemory mem = VK_NULL_HANDLE, host_mem = VK_NULL_HANDLE;
  float *mapped = NULL;
  gboolean ok;

  G_STATIC_ASSERT (ND_SPEC_WG == 0 && ND_FMA_ITERS == 1);
  memset (peak, 0, sizeof *peak);
  r.out.size = (VkDeviceSize) sz.max_invocations * sizeof (float);
  r.host.size = 2 * sizeof (float);
  r.pipeline = nd_vk_pipeline (ctx, "fma", spec, 2, error);
  ok = r.pipeline != VK_NULL_HANDLE
       && create_objects (ctx, &r, &pool, &mem, &host_mem, &mapped, error)
       && set_grid (ctx, &r, sz.start_groups, sz.wg)
       && measure (ctx, &r, &sz, mapped, peak, error);
  if (r.queries != VK_NULL_HANDLE)
    ctx->vkDestroyQueryPool (ctx->device, r.queries, NULL);
  if (pool != VK_NULL_HANDLE)
    ctx->vkDestroyDescriptorPool (ctx->device, pool, NULL);
  nd_vk_buffers_destroy (ctx, &r.host, 1, host_mem);
  nd_vk_buffers_destroy (ctx, &r.out, 1, mem);
  if (!ok)
    {
      memset (peak, 0, sizeof *peak);
      return FALSE;
    }
  peak->gflops = peak->fma_gflops;
  peak->source = "shader-fma";
  peak->fma_timestamps = r.queries != VK_NULL_HANDLE;
  return TRUE;
}
