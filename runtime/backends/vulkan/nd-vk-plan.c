/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-vk-coopmat.h"
#include "nd-vk-plan-private.h"

/* How a graph becomes one command buffer:
 *  - steps: one dispatch per node, except that a convolution absorbs a following BN (folded
 *    into its weights); a convolution or BN absorbs a following ADD (the other summands are
 *    read in its epilogue) and GATE (the SE input likewise); and conv/BN/ADD/GATE/LINEAR
 *    absorb a following activation. A node is absorbed only when its input is read by
 *    nothing else and is neither captured nor the output. Absorbed nodes are marked "fused"
 *    with 0 ms. So a ResNet/RepVGG/ParNet block tail (conv → BN → add → gate → act) is one
 *    dispatch.
 *  - order: steps sorted by level (longest path from the input), so independent work such as
 *    ParNet's three streams sits together between the same barriers.
 *  - barriers: a compute→compute barrier only before a step that reads a buffer written since
 *    the last barrier (plan_barriers).
 *  - buffers: node outputs and scratch share buffers by liveness (the shared planner,
 *    nd-buffer-plan.h, in step order); a buffer is reused only after a barrier that follows
 *    its last read, so there are no write-after-read hazards and no extra barriers.
 *  - groups: between two barriers, the untimed buffer runs the steps' passes in lockstep
 *    and a multi-pass op's first pass may join the group before (record_grouped,
 *    plan_early); recording it checks that no dispatch touches what another wrote since the
 *    last barrier (nd_vk_plan_hazards).
 *  - timings: a second buffer with a timestamp after every dispatch and a full barrier on
 *    both sides, so each interval holds exactly one dispatch (honest, but it serialises the
 *    streams). With timings_refresh_ms most runs use the untimed one, so the latency the GUI
 *    shows is the overlapped one and the per-op split is refreshed. */

static void
barrier (NdVkPlan *self, VkPipelineStageFlags src, VkAccessFlags src_access,
         VkPipelineStageFlags dst, VkAccessFlags dst_access)
{
  VkMemoryBarrier mb = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = src_access,
    .dstAccessMask = dst_access,
  };

  self->ctx->vkCmdPipelineBarrier (self->cmd, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
  if (self->written != NULL)
    {
      g_hash_table_remove_all (self->written);
      g_hash_table_remove_all (self->read);
    }
}

/* The shader variant for the plan's storage precision ("conv2d" or "conv2d-f16"). */
static const char *
shader_name (NdVkPlan *self, const char *shader)
{
  g_autofree char *name = NULL;

  if (self->es == 4)
    return shader;
  name = g_strconcat (shader, "-f16", NULL);
  return g_intern_string (name);
}

static gboolean
write_set (NdVkPlan *self, VkDescriptorSet *set, const VkBuffer *buffers, GError **error)
{
  NdVkStep *owner = NULL;
  int pass = 0;
  NdVkContext *ctx = self->ctx;
  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = self->pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &ctx->set_layout,
  };
  VkDescriptorBufferInfo infos[ND_VK_N_BINDINGS];
  VkWriteDescriptorSet write = {
    .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
    .dstBinding = 0,
    .descriptorCount = ND_VK_N_BINDINGS,
    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
    .pBufferInfo = infos,
  };
  VkResult res;

  res = ctx->vkAllocateDescriptorSets (ctx->device, &alloc, set);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkAllocateDescriptorSets", res), FALSE;
  for (int b = 0; b < ND_VK_N_BINDINGS; b++)
    infos[b] = (VkDescriptorBufferInfo) {
      buffers[b] != VK_NULL_HANDLE ? buffers[b] : self->act[self->parent.n_nodes].buffer,
      0, VK_WHOLE_SIZE
    };
  infos[ND_BIND_FLAGS].buffer = self->flags.buffer;
  for (int s = 0; s < self->n_steps && owner == NULL; s++)
    for (int k = 0; k < 3 && owner == NULL; k++)
      if (set == (k < 2 ? &self->steps[s].pre_set[k] : &self->steps[s].set))
        owner = &self->steps[s], pass = k;
  if (owner != NULL)
    for (int b = 0; b < ND_VK_N_BINDINGS; b++)
      owner->bound[pass][b] = infos[b].buffer;
  write.dstSet = *set;
  ctx->vkUpdateDescriptorSets (ctx->device, 1, &write, 0, NULL);
  return TRUE;
}

static gboolean
create_descriptors (NdVkPlan *self, GError **error)
{
  NdVkContext *ctx = self->ctx;
  guint32 max_sets = 3 * MAX (self->n_steps, 1);
  VkDescriptorPoolSize size = {
    VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, max_sets * ND_VK_N_BINDINGS
  };
  VkDescriptorPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = max_sets,
    .poolSizeCount = 1,
    .pPoolSizes = &size,
  };
  VkResult res;
  int n = self->parent.n_nodes;

  res = ctx->vkCreateDescriptorPool (ctx->device, &pool_info, NULL, &self->pool);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkCreateDescriptorPool", res), FALSE;
  for (int s = 0; s < self->n_steps; s++)
    {
      NdVkStep *step = &self->steps[s];
      const NdNode *head = nd_graph_node (self->parent.graph, step->head);
      VkBuffer b[ND_VK_N_BINDINGS] = { VK_NULL_HANDLE };
      VkBuffer scratch0 = self->act[n + 1 + 2 * s].buffer;
      VkBuffer scratch1 = self->act[n + 1 + 2 * s + 1].buffer;

      if (step->host)
        continue;
      if (step->op.n_pre == 2)
        {
          VkBuffer p0[ND_VK_N_BINDINGS] = { scratch0, self->act[step->inputs[0]].buffer };
          VkBuffer p1[ND_VK_N_BINDINGS] = { scratch1, scratch0 };

          p1[5] = self->wts[2 * s].buffer;
          if (!write_set (self, &step->pre_set[0], p0, error)
              || !write_set (self, &step->pre_set[1], p1, error))
            return FALSE;
        }
      else if (step->op.n_pre == 1)
        {
          VkBuffer p0[ND_VK_N_BINDINGS] = { scratch0, self->act[step->inputs[0]].buffer };

          p0[5] = self->wts[2 * s].buffer;
          if (!write_set (self, &step->pre_set[0], p0, error))
            return FALSE;
        }
      b[0] = self->act[step->tail].buffer;
      for (int k = 0; k < head->n_inputs; k++)
        b[1 + k] = self->act[self->alias[head->inputs[k]]].buffer;
      if (step->op.n_pre == 2)
        b[1] = scratch1;
      else if (step->op.n_pre == 1)
        b[1] = scratch0;
      else if (step->op.scratch[0] > 0)
        b[2] = scratch0;   /* se.comp's means */
      for (int k = 0; k < step->epi.n_res; k++)
        b[2 + k] = self->act[step->res[k]].buffer;
      if (step->op.n_pre == 0)
        b[5] = self->wts[2 * s].buffer;
      b[6] = self->wts[2 * s + 1].buffer;
      if (step->gate_in >= 0)
        b[7] = self->act[step->gate_in].buffer;
      if (!write_set (self, &step->set, b, error))
        return FALSE;
    }
  return TRUE;
}

/* Copies between a device buffer and a staging area, one region per value. */
static void
copy_value (NdVkPlan *self, VkBuffer src, VkDeviceSize src_off, VkBuffer dst,
            VkDeviceSize dst_off, VkDeviceSize size)
{
  VkBufferCopy region = { src_off, dst_off, size };

  self->ctx->vkCmdCopyBuffer (self->cmd, src, dst, 1, &region);
}

/* Counts the hazards of one dispatch against the others since the last barrier. */
static void
check_hazards (NdVkPlan *self, const VkBuffer *bound, gboolean writes_b2)
{
  for (int b = 0; b < ND_VK_N_BINDINGS; b++)
    {
      gpointer key = (gpointer) (guintptr) bound[b];
      gboolean w = b == ND_BIND_OUT || (b == ND_BIND_IN1 && writes_b2);

      if (b == ND_BIND_FLAGS || bound[b] == VK_NULL_HANDLE)
        continue;   /* (atomics and the overflow word) */
      if (g_hash_table_contains (self->written, key)
          || (w && g_hash_table_contains (self->read, key)))
        self->hazards++;
    }
  for (int b = 0; b < ND_VK_N_BINDINGS; b++)
    {
      gpointer key = (gpointer) (guintptr) bound[b];

      if (b == ND_BIND_FLAGS || bound[b] == VK_NULL_HANDLE)
        continue;
      g_hash_table_add (b == ND_BIND_OUT || (b == ND_BIND_IN1 && writes_b2) ? self->written
                        : self->read, key);
    }
}

static void
dispatch_pass (NdVkPlan *self, const NdVkStep *step, int k)
{
  NdVkContext *ctx = self->ctx;
  const guint32 *grid = k < step->op.n_pre ? step->op.pre[k].groups : step->op.groups;

  if (self->written != NULL)
    check_hazards (self, step->bound[k < step->op.n_pre ? k : 2],
                   k == step->op.n_pre && step->op.n_pre == 0 && step->op.scratch[0] > 0);

  ctx->vkCmdBindPipeline (self->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                          k < step->op.n_pre ? step->pre_pipeline[k] : step->pipeline);
  ctx->vkCmdBindDescriptorSets (self->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                                ctx->pipeline_layout, 0, 1,
                                k < step->op.n_pre ? &step->pre_set[k] : &step->set, 0, NULL);
  ctx->vkCmdDispatch (self->cmd, grid[0], grid[1], grid[2]);
}

/* The untimed buffer: the steps between two barriers (independent of each other: ParNet's
 * streams at one depth) run their passes in lockstep, so a multi-pass op (Winograd's three,
 * split-K's two) costs that group two more barriers, not each op two that hold every other
 * stream too. Passes are aligned at the end: every step's main dispatch is in the last
 * phase. */
static void
record_grouped (NdVkPlan *self, const NdVkSegment *seg)
{
  for (int s = seg->first, e; s < seg->end; s = e)
    {
      int max_pre = 0;

      e = MIN (nd_vk_plan_group_end (self, s), seg->end);
      for (int t = s; t < e; t++)
        max_pre = MAX (max_pre, self->steps[t].op.n_pre - (self->steps[t].early >= 0));
      for (int p = 0; p <= max_pre; p++)
        {
          if (p > 0 || self->steps[s].barrier)
            {
              barrier (self, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
              self->n_barriers++;
            }
          for (int t = s; t < e; t++)
            {
              const NdVkStep *step = &self->steps[t];
              int k = p - (max_pre - step->op.n_pre);

              if (k >= (step->early >= 0))
                dispatch_pass (self, step, k);
            }
        }
      /* the next group's first passes that may run here (plan_early) */
      for (int t = e, next = e < seg->end ? MIN (nd_vk_plan_group_end (self, e), seg->end) : e;
           t < next; t++)
        if (self->steps[t].early == s)
          dispatch_pass (self, &self->steps[t], 0);
    }
}

static void
record_dispatches (NdVkPlan *self, const NdVkSegment *seg)
{
  NdVkContext *ctx = self->ctx;
  gboolean timed = self->recording_timed;
  const VkPipelineStageFlags all = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
  const VkAccessFlags rw = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;

  if (!timed && self->grouped)
    {
      record_grouped (self, seg);
      return;
    }
  if (timed && seg->end > seg->first)
    {
      ctx->vkCmdResetQueryPool (self->cmd, self->queries, seg->first, seg->end - seg->first + 1);
      ctx->vkCmdWriteTimestamp (self->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, self->queries,
                                seg->first);
      barrier (self, all, 0, all, 0);
    }
  for (int s = seg->first; s < seg->end; s++)
    {
      NdVkStep *step = &self->steps[s];

      /* read-after-write, and (buffers being reused) write-after-write */
      if (step->barrier && !timed)
        {
          barrier (self, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, rw);
          self->n_barriers++;
        }
      for (int k = 0; k < step->op.n_pre; k++)
        {
          dispatch_pass (self, step, k);
          /* The next stage reads what this one wrote; other streams' work recorded in the
           * same interval is held too (the price of a multi-pass op). */
          barrier (self, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, rw);
          self->n_barriers++;
        }
      dispatch_pass (self, step, step->op.n_pre);
      if (timed)
        {
          barrier (self, all, rw, all, rw);
          ctx->vkCmdWriteTimestamp (self->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                                    self->queries, s + 1);
          barrier (self, all, rw, all, rw);
          self->n_barriers++;
        }
    }
}

/* One segment: uploads (the input in the first, else what the CPU steps before it made for
 * the GPU), its dispatches, then downloads (what the CPU steps after it read; in the last
 * segment, the output and the captured nodes). */
static void
record (NdVkPlan *self, int k)
{
  NdPlan *plan = &self->parent;
  const NdVkSegment *seg = &self->segs[k];
  const VkPipelineStageFlags all = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
  VkBuffer up = self->staging[0].buffer, down = self->staging[1].buffer;

  /* The previous run's reads of the input buffer finish before this run overwrites it. */
  barrier (self, all, VK_ACCESS_SHADER_READ_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
           VK_ACCESS_TRANSFER_WRITE_BIT);
  if (k == 0)
    {
      copy_value (self, up, 0, self->act[0].buffer, 0, self->act[0].size);
      self->ctx->vkCmdFillBuffer (self->cmd, self->flags.buffer, 0, VK_WHOLE_SIZE, 0);
    }
  else
    for (int s = self->segs[k - 1].end; s < self->segs[k - 1].host_end; s++)
      {
        int v = self->steps[s].tail;

        if (self->up_off[v] != G_MAXUINT64)
          copy_value (self, up, self->up_off[v], self->act[v].buffer, 0, self->act[v].size);
      }
  /* (the shaders write the cleared flags: the overflow word, se.comp's counters) */
  barrier (self, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
           VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  record_dispatches (self, seg);
  barrier (self, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
           VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT);
  for (int s = seg->end; s < seg->host_end; s++)
    for (int j = 0; j < self->steps[s].n_inputs; j++)
      {
        int v = self->steps[s].inputs[j];

        if (self->hdown_off[v] != G_MAXUINT64)
          {
            VkDeviceSize off, size;

            nd_vk_plan_value_region (self, v, &off, &size);
            copy_value (self, self->act[v].buffer, off, down, self->hdown_off[v], size);
          }
      }
  if (k == self->n_segs - 1)
    {
      for (int i = 0; i < plan->n_nodes; i++)
        if (self->down_off[i] != G_MAXUINT64)
          {
            VkDeviceSize off, size;

            nd_vk_plan_value_region (self, i, &off, &size);
            copy_value (self, self->act[i].buffer, off, down, self->down_off[i], size);
          }
      copy_value (self, self->flags.buffer, 0, down, self->flags_off, sizeof (guint32));
    }
  barrier (self, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
           VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
}

static gboolean
create_commands (NdVkPlan *self, GError **error)
{
  NdVkContext *ctx = self->ctx;
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .queueFamilyIndex = ctx->queue_family,
  };
  VkCommandBufferAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  gboolean want[2];   /* [0] the unfenced buffer, [1] the timed one */
  VkQueryPoolCreateInfo query_info = {
    .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
    .queryType = VK_QUERY_TYPE_TIMESTAMP,
    .queryCount = self->n_steps + 1,
  };
  VkResult res;

  if (self->parent.timings && ctx->has_timestamps)
    {
      res = ctx->vkCreateQueryPool (ctx->device, &query_info, NULL, &self->queries);
      if (res != VK_SUCCESS)
        return nd_vk_set_error (error, "vkCreateQueryPool", res), FALSE;
    }
  res = ctx->vkCreateFence (ctx->device, &fence_info, NULL, &self->fence);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkCreateFence", res), FALSE;
  /* The plan's own pool: command pools need external synchronisation. */
  res = ctx->vkCreateCommandPool (ctx->device, &pool_info, NULL, &self->cmd_pool);
  if (res != VK_SUCCESS)
    return nd_vk_set_error (error, "vkCreateCommandPool", res), FALSE;
  alloc.commandPool = self->cmd_pool;
  want[1] = self->queries != VK_NULL_HANDLE;
  /* the untimed one always: it is what the counts and the hazard check describe, and a
   * plan timing every run still replays it once at creation */
  want[0] = TRUE;
  /* Timed first, so that the unfenced buffers' barrier count is the one kept. */
  for (int t = 1; t >= 0; t--)
    {
      if (!want[t])
        continue;
      self->recording_timed = t == 1;
      self->n_barriers = 0;
      if (t == 0)
        {
          self->written = g_hash_table_new (NULL, NULL);
          self->read = g_hash_table_new (NULL, NULL);
        }
      for (int k = 0; k < self->n_segs; k++)
        {
          alloc.commandBufferCount = 1;
          res = ctx->vkAllocateCommandBuffers (ctx->device, &alloc, &self->segs[k].cmds[t]);
          if (res != VK_SUCCESS)
            return nd_vk_set_error (error, "vkAllocateCommandBuffers", res), FALSE;
          self->cmd = self->segs[k].cmds[t];
          ctx->vkBeginCommandBuffer (self->cmd, &begin);
          record (self, k);
          res = ctx->vkEndCommandBuffer (self->cmd);
          if (res != VK_SUCCESS)
            return nd_vk_set_error (error, "vkEndCommandBuffer", res), FALSE;
        }
    }
  g_clear_pointer (&self->written, g_hash_table_unref);
  g_clear_pointer (&self->read, g_hash_table_unref);
  if (self->hazards > 0)
    g_warning ("Vulkan plan: %d dispatches touch a buffer another one wrote since the last "
               "barrier", self->hazards);
  return TRUE;
}

static gboolean
submit_and_wait (NdVkPlan *self, GError **error)
{
  NdVkContext *ctx = self->ctx;
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &self->cmd,
  };
  VkResult res;

  res = nd_vk_queue_submit (ctx, &submit, self->fence);
  if (res == VK_SUCCESS)
    res = ctx->vkWaitForFences (ctx->device, 1, &self->fence, VK_TRUE, UINT64_MAX);
  ctx->vkResetFences (ctx->device, 1, &self->fence);
  if (res != VK_SUCCESS)
    {
      nd_vk_set_error (error, "vkQueueSubmit", res);
      return FALSE;
    }
  return TRUE;
}

NdPlan *
nd_vk_plan_new (NdBackend *backend, NdVkContext *ctx, NdGraph *graph,
                const NdPlanOptions *options, GError **error)
{
  return nd_vk_plan_new_variants (backend, ctx, graph, options, NULL, error);
}

NdPlan *
nd_vk_plan_new_variants (NdBackend *backend, NdVkContext *ctx, NdGraph *graph,
                         const NdPlanOptions *options, const guint8 *variant, GError **error)
{
  NdVkPlan *self = g_new0 (NdVkPlan, 1);

  self->ctx = ctx;
  if (variant != NULL)
    self->variant = g_memdup2 (variant, nd_graph_n_nodes (graph));
  self->parent.kernels = "rules";
  self->es = options->fp16 ? 2 : 4;
  self->refresh_ms = options->timings_refresh_ms;
  /* ND_VK_GROUPED=0: each multi-pass op's passes back to back, as before (to compare) */
  self->grouped = g_strcmp0 (g_getenv ("ND_VK_GROUPED"), "0") != 0;
  nd_plan_init_common (&self->parent, backend, graph, options);
  if (options->fp16 && !ctx->fp16_storage)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("The Vulkan device “%s” has no 16-bit storage buffers; run in fp32"),
                   ctx->props.deviceName);
      goto fail;
    }
  /* The first float16 plan runs the cooperative-matrix kernel's self-test (float32 users
   * never load the kernel). */
  if (options->fp16 && ctx->coopmat == ND_VK_COOPMAT_UNTESTED)
    nd_vk_coopmat_self_test (backend, ctx);
  if (options->n_devices >= 2)
    {
      self->remote = g_new0 (gboolean, self->parent.n_nodes);
      self->split = nd_vk_split_new (self, options, self->remote, error);
      if (self->split == NULL)
        goto fail;
    }
  if (!nd_vk_plan_steps (self, error) || !nd_vk_plan_create_buffers (self, error)
      || !nd_vk_plan_upload_weights (self, error))
    goto fail;
  for (int s = 0; s < self->n_steps; s++)
    {
      NdVkStep *step = &self->steps[s];

      if (step->host)
        continue;
      step->pipeline = nd_vk_pipeline (ctx, shader_name (self, step->op.shader), step->op.spec,
                                       step->op.n_spec, error);
      if (step->pipeline == VK_NULL_HANDLE)
        goto fail;
      for (int k = 0; k < step->op.n_pre; k++)
        {
          step->pre_pipeline[k] = nd_vk_pipeline (ctx, shader_name (self, step->op.pre[k].shader),
                                                  step->op.pre[k].spec, step->op.pre[k].n_spec,
                                                  error);
          if (step->pre_pipeline[k] == VK_NULL_HANDLE)
            goto fail;
        }
    }
  if (!create_descriptors (self, error) || !create_commands (self, error))
    goto fail;
  nd_vk_plan_host_init (self);
  /* One replay on zeros: drivers that compile lazily at the first dispatch (llvmpipe JITs
   * every pipeline there, seconds per model) pay it here, so prepare_ms is the whole cold
   * cost and the first nd_plan_run is a warm one. */
  memset (self->staging_map[0], 0, self->staging[0].size);
  for (int k = 0; k < self->n_segs; k++)
    {
      self->cmd = self->segs[k].cmds[self->segs[k].cmds[0] != VK_NULL_HANDLE ? 0 : 1];
      if (!submit_and_wait (self, error))
        goto fail;
    }
  nd_vk_context_save_cache (ctx);
  for (int s = 0; s < self->n_steps; s++)
    self->parent.dispatches += self->steps[s].host ? 0 : 1 + self->steps[s].op.n_pre;
  self->parent.barriers = self->n_barriers;
  g_debug ("Vulkan plan: %d dispatches for %d nodes, %d barriers, %u pipelines in the context, "
           "%.1f MiB of activations in %d buffers (%.1f MiB without reuse)", self->parent.dispatches,
           self->parent.n_nodes, self->n_barriers, g_hash_table_size (ctx->pipelines),
           self->parent.activation_bytes / 1048576.0, self->n_slots,
           self->parent.activation_bytes_unshared / 1048576.0);
  return &self->parent;

fail:
  nd_vk_plan_free (&self->parent);
  return NULL;
}

static void
read_timestamps (NdVkPlan *self, const NdVkSegment *seg)
{
  NdVkContext *ctx = self->ctx;
  int count = seg->end - seg->first + 1;
  g_autofree guint64 *ts = g_new0 (guint64, count);
  double period_ms = ctx->props.limits.timestampPeriod * 1e-6;
  VkResult res;

  if (count < 2)
    return;
  res = ctx->vkGetQueryPoolResults (ctx->device, self->queries, seg->first, count,
                                    count * sizeof (guint64), ts, sizeof (guint64),
                                    VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
  if (res == VK_SUCCESS)
    for (int s = seg->first; s < seg->end; s++)
      self->parent.op_ms[self->steps[s].head] = (double) (ts[s - seg->first + 1]
                                                          - ts[s - seg->first]) * period_ms;
}

gboolean
nd_vk_plan_run (NdPlan *plan, const NdTensor *input, GError **error)
{
  NdVkPlan *self = (NdVkPlan *) plan;
  gboolean timed = self->queries != VK_NULL_HANDLE, ok = TRUE;
  gint64 start = g_get_monotonic_time ();

  /* With both buffers, the timed one only once per refresh interval (the first run too). */
  if (timed && self->refresh_ms > 0)
    {
      gint64 now = g_get_monotonic_time ();

      timed = self->timed_at == 0 || now - self->timed_at >= self->refresh_ms * 1000;
      if (timed)
        self->timed_at = now;
    }
  if (self->split != NULL)
    nd_vk_split_start (self->split, input);
  nd_vk_plan_put (self, self->staging_map[0], input->data, input->numel);
  for (int k = 0; k < self->n_segs && ok; k++)
    {
      self->cmd = self->segs[k].cmds[timed ? 1 : 0];
      ok = submit_and_wait (self, error);
      if (ok && timed)
        read_timestamps (self, &self->segs[k]);
      ok = ok && nd_vk_plan_host_run (self, &self->segs[k], input, error);
    }
  ok = ok && nd_vk_plan_host_results (self, error);
  /* the other devices are waited for even after a failure here */
  if (self->split != NULL)
    ok = nd_vk_split_finish (self->split, (g_get_monotonic_time () - start) / 1000.0,
                             ok ? error : NULL) && ok;
  return ok;
}

int
nd_vk_plan_hazards (NdPlan *plan)
{
  return ((NdVkPlan *) plan)->hazards;
}

void
nd_vk_plan_free (NdPlan *plan)
{
  NdVkPlan *self = (NdVkPlan *) plan;
  NdVkContext *ctx = self->ctx;

  /* Runs are synchronous (each waits for its fence), so nothing of this plan is in flight;
   * vkDeviceWaitIdle would need every other thread's queue use stopped. */
  nd_vk_plan_host_clear (self);
  g_clear_pointer (&self->split, nd_vk_split_free);
  g_clear_pointer (&self->remote, g_free);
  if (self->cmd_pool != VK_NULL_HANDLE)
    ctx->vkDestroyCommandPool (ctx->device, self->cmd_pool, NULL);
  if (self->fence != VK_NULL_HANDLE)
    ctx->vkDestroyFence (ctx->device, self->fence, NULL);
  if (self->queries != VK_NULL_HANDLE)
    ctx->vkDestroyQueryPool (ctx->device, self->queries, NULL);
  if (self->pool != VK_NULL_HANDLE)
    ctx->vkDestroyDescriptorPool (ctx->device, self->pool, NULL);
  nd_vk_buffers_destroy (ctx, &self->staging[0], 1, self->staging_mem[0]);
  nd_vk_buffers_destroy (ctx, &self->staging[1], 1, self->staging_mem[1]);
  nd_vk_buffers_destroy (ctx, &self->flags, 1, self->flags_mem);
  if (self->slots != NULL)
    nd_vk_buffers_destroy (ctx, self->slots, self->n_slots, self->act_mem);
  if (self->wts != NULL)
    nd_vk_buffers_destroy (ctx, self->wts, 2 * self->n_steps, self->wts_mem);
  nd_vk_plan_clear_steps (self);
  g_free (self->segs);
  g_free (self->up_off);
  g_free (self->hdown_off);
  g_free (self->act);
  g_free (self->slots);
  g_free (self->wts);
  g_free (self->down_off);
  g_free (self->variant);
  nd_plan_clear_common (plan);
  g_free (self);
}
