/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-buffer-plan.h"
#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-vk-plan-private.h"

#define STAGING_USAGE (VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT)
#define HOST_MEMORY (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)

/* The plan's memory: one device allocation for the activations (node outputs, a dummy for
 * unused bindings, each step's scratch, sharing buffers by liveness), one for the weights, one host-visible staging
 * area for the input and the downloads; elements stored as float32 or float16. */

/* Bytes of @n stored elements, rounded up to whole 32-bit words. */
static gsize
stored_bytes (NdVkPlan *self, guint64 n)
{
  return (gsize) ((n * self->es + 3) & ~(guint64) 3);
}

static gsize
node_bytes (NdVkPlan *self, const NdNode *node, int batch)
{
  return stored_bytes (self, (guint64) batch * node->out_c * node->out_h * node->out_w);
}

/* float32 → the stored element type. */
void
nd_vk_plan_put (NdVkPlan *self, guint8 *dst, const float *src, gsize n)
{
  if (n == 0)
    return;   /* an op without bias: src is NULL */
  if (self->es == 4)
    {
      memcpy (dst, src, n * sizeof (float));
      return;
    }
  for (gsize i = 0; i < n; i++)
    {
      guint16 h = nd_float_to_half (src[i]);

      memcpy (dst + 2 * i, &h, 2);
    }
}

void
nd_vk_plan_get (NdVkPlan *self, float *dst, const guint8 *src, gsize n)
{
  if (self->es == 4)
    {
      memcpy (dst, src, n * sizeof (float));
      return;
    }
  for (gsize i = 0; i < n; i++)
    {
      guint16 h;

      memcpy (&h, src + 2 * i, 2);
      dst[i] = nd_half_to_float (h);
    }
}

static void
record_weight_upload (NdVkContext *ctx, VkCommandBuffer cmd, gpointer data)
{
  gpointer *args = data;
  NdVkPlan *self = args[0];
  NdVkBuffer *staging = args[1];
  VkDeviceSize off = 0;

  for (int i = 0; i < 2 * self->n_steps; i++)
    if (self->wts[i].buffer != VK_NULL_HANDLE)
      {
        VkBufferCopy region = { off, 0, self->wts[i].size };

        ctx->vkCmdCopyBuffer (cmd, staging->buffer, self->wts[i].buffer, 1, &region);
        off += self->wts[i].size;
      }
}

gboolean
nd_vk_plan_upload_weights (NdVkPlan *self, GError **error)
{
  NdVkContext *ctx = self->ctx;
  NdVkBuffer staging = { 0 };
  VkDeviceMemory mem = VK_NULL_HANDLE;
  guint8 *map = NULL;
  VkDeviceSize off = 0;
  gpointer args[2] = { self, &staging };
  gboolean ok;

  self->wts = g_new0 (NdVkBuffer, 2 * self->n_steps);
  for (int s = 0; s < self->n_steps && self->es == 2; s++)
    {
      /* a weight float16 cannot hold would be ±inf on the device: refuse the plan */
      const NdVkOp *op = &self->steps[s].op;

      for (gsize i = 0; i < op->n_weight + op->n_bias; i++)
        if (!(fabsf (i < op->n_weight ? op->weight[i] : op->bias[i - op->n_weight]) <= 65504.0f))
          {
            const NdVkSe *se = nd_vk_se_at (self, self->steps[s].head);
            const NdNode *node = nd_graph_node (self->parent.graph,
                                                se != NULL ? se->conv : self->steps[s].head);

            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                         _("“%s” has a weight beyond float16's ±65504; run this model in fp32"),
                         node->name ? node->name : nd_op_name (node->op));
            return FALSE;
          }
    }
  for (int s = 0; s < self->n_steps; s++)
    {
      self->wts[2 * s].size = stored_bytes (self, self->steps[s].op.n_weight);
      self->wts[2 * s + 1].size = stored_bytes (self, self->steps[s].op.n_bias);
      if (self->wts[2 * s].size > ctx->props.limits.maxStorageBufferRange)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                       _("The weights of node %d (%zu MiB) exceed what this "
                         "Vulkan device can bind (%u MiB)"), self->steps[s].head,
                       (gsize) (self->wts[2 * s].size >> 20),
                       ctx->props.limits.maxStorageBufferRange >> 20);
          return FALSE;
        }
      staging.size += self->wts[2 * s].size + self->wts[2 * s + 1].size;
    }
  if (!nd_vk_buffers_create (ctx, self->wts, 2 * self->n_steps,
                             VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, FALSE, &self->wts_mem, NULL,
                             error))
    return FALSE;
  if (staging.size == 0)
    return TRUE;
  if (!nd_vk_buffers_create (ctx, &staging, 1, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                             VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
                             | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, TRUE, &mem,
                             (void **) &map, error))
    {
      nd_vk_buffers_destroy (ctx, &staging, 1, mem);
      return FALSE;
    }
  for (int s = 0; s < self->n_steps; s++)
    {
      const NdVkOp *op = &self->steps[s].op;

      nd_vk_plan_put (self, map + off, op->weight, op->n_weight);
      off += stored_bytes (self, op->n_weight);
      nd_vk_plan_put (self, map + off, op->bias, op->n_bias);
      off += stored_bytes (self, op->n_bias);
    }
  ok = nd_vk_submit_once (ctx, record_weight_upload, args, error);
  nd_vk_buffers_destroy (ctx, &staging, 1, mem);
  /* The host copies are no longer needed once the device has them. */
  for (int s = 0; s < self->n_steps; s++)
    nd_vk_op_clear (&self->steps[s].op);
  return ok;
}

void
nd_vk_plan_value_region (NdVkPlan *self, int i, VkDeviceSize *offset, VkDeviceSize *size)
{
  guint64 numel = (guint64) self->parent.batch * nd_graph_node (self->parent.graph, i)->out_c
                  * nd_graph_node (self->parent.graph, i)->out_h
                  * nd_graph_node (self->parent.graph, i)->out_w;

  *offset = self->pairs[i] ? 2 * numel * self->es : 0;
  *size = self->pairs[i] ? numel * self->es : self->act[i].size;
}

/* Value sizes: each node output that has a buffer, the dummy, each step's scratch. */
static gboolean
size_values (NdVkPlan *self, int n_values, GError **error)
{
  NdPlan *plan = &self->parent;
  int n = plan->n_nodes;
  guint32 range = self->ctx->props.limits.maxStorageBufferRange;

  g_autofree gboolean *gpu_reads = g_new0 (gboolean, n);

  for (int s = 0; s < self->n_steps; s++)
    for (int k = 0; k < self->steps[s].n_inputs && !self->steps[s].host; k++)
      gpu_reads[self->steps[s].inputs[k]] = TRUE;
  for (int i = 0; i < n; i++)
    if (self->has_buf[i] && (!self->host[i] || gpu_reads[i]))   /* a device copy: needed */
      {
        self->act[i].size = node_bytes (self, nd_graph_node (plan->graph, i), plan->batch)
                            * (self->pairs[i] ? 3 : 1);
        if (self->act[i].size > range)
          {
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                         _("Node %d needs a %zu MiB buffer, more than this "
                           "Vulkan device can bind (%u MiB); use a smaller batch"), i,
                         (gsize) (self->act[i].size >> 20), range >> 20);
            return FALSE;
          }
      }
  self->act[n].size = 16;   /* bound to the bindings a shader does not use */
  for (int v = n + 1; v < n_values; v++)
    {
      int s = (v - n - 1) / 2;

      self->act[v].size = stored_bytes (self, self->steps[s].op.scratch[(v - n - 1) % 2]);
      if (self->act[v].size > range)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                       _("Node %d needs more scratch memory than this Vulkan device can "
                         "bind; use a smaller batch"), self->steps[s].head);
          return FALSE;
        }
    }
  return TRUE;
}

/* Liveness in step order (position 0 the upload, step s at s + 1) through the shared planner;
 * a slot is reused only after a barrier (fences: the steps with one before them). */
static NdBufferPlan *
plan_slots (NdVkPlan *self, int n_values)
{
  NdPlan *plan = &self->parent;
  int n = plan->n_nodes;
  NdBufferPlan *bp = nd_buffer_plan_new (n_values, self->n_steps + 1);
  g_autofree int *def = g_new0 (int, n);
  g_autofree int *last = g_new0 (int, n);

  for (int s = 0; s < self->n_steps; s++)
    {
      const NdVkStep *step = &self->steps[s];

      def[step->tail] = s + 1;
      for (int k = 0; k < step->n_inputs; k++)
        last[step->inputs[k]] = MAX (last[step->inputs[k]], s + 1);
      /* a CPU step is a full stop: the submission before it has finished, and the one
       * after it starts with its uploads behind a barrier */
      nd_buffer_plan_set_fence (bp, s + 1, step->barrier || step->host
                                || (s > 0 && self->steps[s - 1].host));
      for (int k = 0; k < 2; k++)
        nd_buffer_plan_set_value (bp, n + 1 + 2 * s + k, self->act[n + 1 + 2 * s + k].size,
                                  (k == 0 && step->early >= 0 ? step->early : s) + 1, s + 1);
    }
  nd_buffer_plan_set_fence (bp, 1, TRUE);   /* the upload's transfer → compute barrier */
  for (int i = 0; i < n; i++)
    if (self->act[i].size > 0)
      {
        nd_buffer_plan_set_value (bp, i, self->act[i].size, def[i], last[i]);
        /* the input is rewritten by the next run's copy; the rest are read back */
        if (i == 0 || i == plan->graph->output || plan->capture_mask[i])
          nd_buffer_plan_keep (bp, i);
      }
  nd_buffer_plan_set_value (bp, n, self->act[n].size, 0, 0);
  nd_buffer_plan_keep (bp, n);
  nd_buffer_plan_solve (bp);
  return bp;
}

gboolean
nd_vk_plan_create_buffers (NdVkPlan *self, GError **error)
{
  NdPlan *plan = &self->parent;
  int n = plan->n_nodes, n_values = n + 1 + 2 * self->n_steps;
  VkDeviceSize down = 0;
  g_autoptr(NdBufferPlan) bp = NULL;

  VkDeviceSize up;

  self->act = g_new0 (NdVkBuffer, n_values);
  self->down_off = g_new (VkDeviceSize, n);
  self->up_off = g_new (VkDeviceSize, n);
  self->hdown_off = g_new (VkDeviceSize, n);
  if (!size_values (self, n_values, error))
    return FALSE;
  up = self->act[0].size;
  for (int i = 0; i < n; i++)
    {
      self->down_off[i] = self->up_off[i] = self->hdown_off[i] = G_MAXUINT64;
      if (self->has_buf[i] && !self->host[i]
          && (i == plan->graph->output || plan->capture_mask[i]))
        {
          VkDeviceSize off, size;

          nd_vk_plan_value_region (self, i, &off, &size);
          self->down_off[i] = down;
          down += (size + 3) & ~(VkDeviceSize) 3;
        }
      if (self->host[i] && self->act[i].size > 0)
        {
          self->up_off[i] = up;
          up += self->act[i].size;
        }
    }
  /* GPU values the CPU steps read (the input they read from the caller's tensor) */
  for (int s = 0; s < self->n_steps; s++)
    for (int k = 0; k < self->steps[s].n_inputs && self->steps[s].host; k++)
      {
        int v = self->steps[s].inputs[k];

        if (v != 0 && !self->host[v] && self->hdown_off[v] == G_MAXUINT64)
          {
            self->hdown_off[v] = down;
            down += self->act[v].size;
          }
      }
  bp = plan_slots (self, n_values);
  self->n_slots = nd_buffer_plan_n_slots (bp);
  self->slots = g_new0 (NdVkBuffer, self->n_slots);
  for (int k = 0; k < self->n_slots; k++)
    self->slots[k].size = nd_buffer_plan_slot_size (bp, k);
  plan->activation_bytes = nd_buffer_plan_total (bp);
  plan->activation_bytes_unshared = nd_buffer_plan_unshared (bp);
  if (!nd_vk_buffers_create (self->ctx, self->slots, self->n_slots,
                             VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT
                             | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, FALSE, &self->act_mem, NULL,
                             error))
    return FALSE;
  for (int v = 0; v < n_values; v++)
    if (nd_buffer_plan_slot (bp, v) >= 0)
      self->act[v].buffer = self->slots[nd_buffer_plan_slot (bp, v)].buffer;
  self->flags_off = down;
  self->staging[0].size = up;
  self->staging[1].size = down + 16;
  /* word 0: float16 overflow; then one counter per fused squeeze-excitation (nd-vk-se.c) */
  self->flags.size = MAX (16, 4 * (1 + self->n_se));
  if (!nd_vk_buffers_create (self->ctx, &self->flags, 1,
                             VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | STAGING_USAGE,
                             VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, FALSE, &self->flags_mem, NULL,
                             error))
    return FALSE;
  /* The upload is written once, in order: plain host-visible memory (write-combined on a
   * discrete GPU) suits it. The readback is read by the CPU, and from uncached memory every
   * load goes out to DRAM: on an H200, reading 1000 float16 logits two bytes at a time took
   * 1.4 ms. So it takes a host-cached type where the device has one. */
  if (!nd_vk_buffers_create (self->ctx, &self->staging[0], 1, STAGING_USAGE, HOST_MEMORY, TRUE,
                             &self->staging_mem[0], (void **) &self->staging_map[0], error))
    return FALSE;
  if (nd_vk_buffers_create (self->ctx, &self->staging[1], 1, STAGING_USAGE,
                            HOST_MEMORY | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, TRUE,
                            &self->staging_mem[1], (void **) &self->staging_map[1], NULL))
    return TRUE;
  nd_vk_buffers_destroy (self->ctx, &self->staging[1], 1, self->staging_mem[1]);
  self->staging_mem[1] = VK_NULL_HANDLE;
  return nd_vk_buffers_create (self->ctx, &self->staging[1], 1, STAGING_USAGE, HOST_MEMORY, TRUE,
                               &self->staging_mem[1], (void **) &self->staging_map[1], error);
}
