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

static int
compare_tails (const void *a, const void *b)
{
  const NdVkStep *x = a, *y = b;

  return x->tail < y->tail ? -1 : x->tail > y->tail;
}

static int
compare_steps (const void *a, const void *b)
{
  const NdVkStep *x = a, *y = b;

  if (x->level != y->level)
    return x->level < y->level ? -1 : 1;
  if (x->host != y->host)
    return x->host ? 1 : -1;   /* a level's CPU ops together, after its GPU work */
  return x->head < y->head ? -1 : x->head > y->head;
}

/* An other summand of @add (not @cur) that is a GATE read by nothing else, neither captured
 * nor run on the CPU: its multiply can move into the producer's epilogue with the ADD (a
 * ParNet block: dense conv + σ(se)·identity: one dispatch less per block). -1: none.
 * ND_VK_NO_GATED_SUMMAND (set) turns this off, to measure what it saves. */
static int
gated_summand (NdVkPlan *self, const NdNode *add, int head, int cur, const gboolean *absorbed)
{
  const NdGraph *g = self->parent.graph;

  for (int k = 0; k < add->n_inputs; k++)
    {
      int o = add->inputs[k];
      const NdNode *node = nd_graph_node (g, o);

      /* (a node below @head already has its own step) */
      if (o != cur && o > head && node->op == ND_OP_GATE && !absorbed[o] && !self->host[o]
          && o != g->output && !self->parent.capture_mask[o] && nd_graph_n_consumers (g, o) == 1
          && g_getenv ("ND_VK_NO_GATED_SUMMAND") == NULL)
        return o;
    }
  return -1;
}

/* Extends @step past @cur with a following ADD or GATE (once each). */
static gboolean
absorb_epilogue (NdVkPlan *self, NdVkStep *step, int cur, int next, gboolean *absorbed)
{
  const NdNode *node = nd_graph_node (self->parent.graph, next);
  int uses = 0;

  if (absorbed[next] || !nd_vk_op_has_epilogue (nd_graph_node (self->parent.graph, step->head)))
    return FALSE;
  for (int k = 0; k < node->n_inputs; k++)
    uses += node->inputs[k] == cur;
  if (uses != 1)
    return FALSE;
  if (node->op == ND_OP_ADD && step->add < 0)
    {
      int gated = step->gate < 0 ? gated_summand (self, node, step->head, cur, absorbed) : -1;

      step->add = next;
      if (gated >= 0)
        {
          /* the SSE-gated branch, first: the epilogue gates only that summand */
          const NdNode *gate = nd_graph_node (self->parent.graph, gated);

          step->gate = gated;
          absorbed[gated] = TRUE;
          step->gate_in = gate->inputs[1];
          step->res[step->epi.n_res++] = self->alias[gate->inputs[0]];
          step->epi.gate = TRUE;
          /* 3: its BN folded into se.comp's pairs (nd-vk-se.c) */
          step->epi.gate_first = self->pairs[step->gate_in] ? 3 : 2;
          step->epi.gate_alpha = gate->p.alpha;
        }
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] != cur && node->inputs[k] != gated)
          step->res[step->epi.n_res++] = node->inputs[k];
      return TRUE;
    }
  if (node->op == ND_OP_GATE && !node->p.hard_gate && step->gate < 0 && node->inputs[0] == cur)
    {
      step->gate = next;
      step->gate_in = node->inputs[1];
      step->epi.gate = TRUE;
      step->epi.gate_first = step->add < 0;
      step->epi.gate_alpha = node->p.alpha;
      return TRUE;
    }
  return FALSE;
}

/* A node feeds the absorbed ADD/GATE through the chain itself only once; with only one
 * input (ADD needs two) the chain node is the other summand too. */
static int
absorbable_next (NdVkPlan *self, int cur, const gboolean *absorbed)
{
  const NdGraph *g = self->parent.graph;

  if (cur == g->output || self->parent.capture_mask[cur] || nd_graph_n_consumers (g, cur) != 1)
    return -1;
  for (int i = cur + 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *node = nd_graph_node (g, i);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == cur)
          return absorbed[i] || self->host[i] ? -1 : i;
    }
  return -1;
}

/* Where the unfenced buffer needs a barrier: before a step that reads a node written since
 * the last barrier (a multi-pass op's own barriers count). The buffer planner frees a slot
 * only at such a barrier, so reuse adds no write-after-read hazard and no barrier. */
static void
plan_barriers (NdVkPlan *self)
{
  int n = self->parent.n_nodes;
  g_autofree gboolean *dirty = g_new0 (gboolean, n);

  for (int s = 0; s < self->n_steps; s++)
    {
      NdVkStep *step = &self->steps[s];

      step->barrier = FALSE;
      if (step->host)
        {
          /* the GPU work before it has finished; its output is uploaded behind a barrier */
          memset (dirty, 0, n * sizeof (gboolean));
          continue;
        }
      for (int k = 0; k < step->n_inputs; k++)
        step->barrier |= dirty[step->inputs[k]];
      /* (a multi-pass op's own barriers do not count where record_grouped moves its passes) */
      if (step->barrier || (!self->grouped && step->op.n_pre > 0))
        memset (dirty, 0, n * sizeof (gboolean));
      dirty[step->tail] = TRUE;
    }
}

/* The end of the group of steps that starts at @s (the next step with a barrier before it,
 * the segment's end, or a CPU step). */
static int
group_end (NdVkPlan *self, int s)
{
  int e = s + 1;

  while (e < self->n_steps && !self->steps[e].barrier && !self->steps[e].host
         && !self->steps[e - 1].host)
    e++;
  return e;
}

/* A multi-pass op's first pass reads only the op's input: where the group before its own
 * does not write that input, the pass runs there, in its last phase (a ParNet block's
 * Winograd input transform beside the SSE gate it waits for), and the group loses a phase
 * and its barrier. Its scratch buffer is then live from that group on (plan_slots). */
static void
plan_early (NdVkPlan *self)
{
  for (int s = 0; s < self->n_steps; s++)
    self->steps[s].early = -1;
  if (!self->grouped)
    return;
  for (int p = 0, s, e; p < self->n_steps; p = s)
    {
      s = group_end (self, p);
      if (s >= self->n_steps || self->steps[p].host || self->steps[s].host)
        continue;
      e = group_end (self, s);
      for (int t = s; t < e; t++)
        {
          NdVkStep *step = &self->steps[t];
          gboolean written = FALSE;

          for (int q = p; q < s; q++)
            written |= self->steps[q].tail == step->inputs[0];
          if (step->op.n_pre > 0 && !written)
            step->early = p;
        }
    }
}

/* Segments: maximal runs of GPU steps, each followed by the CPU steps before the next run;
 * one submission each. Without CPU steps, one segment holds everything. */
static void
plan_segments (NdVkPlan *self)
{
  int s = 0;

  self->segs = g_new0 (NdVkSegment, self->n_steps + 1);
  do
    {
      NdVkSegment *seg = &self->segs[self->n_segs++];

      seg->first = s;
      while (s < self->n_steps && !self->steps[s].host)
        s++;
      seg->end = s;
      while (s < self->n_steps && self->steps[s].host)
        s++;
      seg->host_end = s;
    }
  while (s < self->n_steps);
}

/* One squeeze-excitation step on se.comp (nd-vk-se.c): the pool and its 1×1 convolution
 * (fused), or the convolution alone after the pool's own step. */
static void
se_step (NdVkPlan *self, NdVkStep *step, const NdVkSe *se)
{
  const NdGraph *g = self->parent.graph;
  const NdNode *pool = nd_graph_node (g, se->pool);

  step->tail = se->act >= 0 ? se->act : se->conv;
  step->act = se->act;
  step->inputs[step->n_inputs++] = se->fused ? self->alias[pool->inputs[0]] : se->pool;
  nd_vk_se_build (g, se, self->parent.batch, &self->ctx->props.limits, &step->op);
  self->has_buf[step->tail] = TRUE;
  self->parent.op_algo[step->head] = step->op.algo;
  if (se->fused)
    self->parent.op_algo[se->conv] = "fused";
  if (se->act >= 0)
    self->parent.op_algo[se->act] = "fused";
}

static void
clear_steps (NdVkPlan *self)
{
  for (int s = 0; s < self->n_steps; s++)
    nd_vk_op_clear (&self->steps[s].op);
  self->n_steps = 0;
  g_clear_pointer (&self->steps, g_free);
  g_clear_pointer (&self->has_buf, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->se, g_free);
  g_clear_pointer (&self->alias, g_free);
  g_clear_pointer (&self->pairs, g_free);
}

static gboolean
plan_steps_once (NdVkPlan *self, gboolean fold_bn, GError **error)
{
  NdGraph *g = self->parent.graph;
  int n = nd_graph_n_nodes (g);
  g_autofree gboolean *absorbed = g_new0 (gboolean, n);
  g_autofree int *level = g_new0 (int, n);

  self->steps = g_new0 (NdVkStep, n);
  self->has_buf = g_new0 (gboolean, n);
  self->host = g_new0 (gboolean, n);
  self->has_buf[0] = TRUE;
  self->parent.op_algo[0] = "upload";
  for (int i = 1; i < n; i++)
    self->host[i] = (self->remote != NULL && self->remote[i])
                    || !nd_backend_supports_op (self->parent.backend, g, nd_graph_node (g, i),
                                                self->parent.batch);
  nd_vk_se_find (self, absorbed, fold_bn);
  for (int se = 0; se < self->n_se; se++)
    if (self->se[se].bn >= 0)
      self->parent.op_algo[self->se[se].bn] = "fused";
  for (int i = 1; i < n; i++)
    {
      const NdVkSe *se = nd_vk_se_at (self, i);
      const NdNode *head = nd_graph_node (g, i);
      NdVkStep *step;
      int cur = i, next;

      if (absorbed[i] || (self->remote != NULL && self->remote[i] && !nd_vk_split_read_here (self, i)))
        continue;
      step = &self->steps[self->n_steps++];
      step->head = i;
      step->bn = step->add = step->gate = step->act = step->gate_in = -1;
      if (self->host[i])
        {
          /* the naive CPU op, between two submissions (nd-vk-plan-host.c) */
          step->host = TRUE;
          step->tail = i;
          self->has_buf[i] = TRUE;
          self->parent.op_algo[i] = "ref";
          if (self->remote != NULL && self->remote[i])
            continue;   /* computed elsewhere: fetched (nd-vk-split.c) */
          for (int k = 0; k < head->n_inputs; k++)
            step->inputs[step->n_inputs++] = head->inputs[k];
          self->parent.op_device[i] = ND_DEVICE_KIND_CPU;
          continue;
        }
      if (se != NULL)
        {
          se_step (self, step, se);
          continue;
        }
      next = absorbable_next (self, cur, absorbed);
      if (next >= 0 && nd_vk_op_can_fold_bn (head, nd_graph_node (g, next)))
        {
          step->bn = cur = next;
          absorbed[next] = TRUE;
          next = absorbable_next (self, cur, absorbed);
        }
      while (next >= 0 && absorb_epilogue (self, step, cur, next, absorbed))
        {
          absorbed[next] = TRUE;
          cur = next;
          next = absorbable_next (self, cur, absorbed);
        }
      if (next >= 0 && nd_vk_op_can_fuse_act (head, nd_graph_node (g, next)))
        {
          step->act = cur = next;
          absorbed[next] = TRUE;
        }
      step->tail = cur;
      self->has_buf[cur] = TRUE;
      for (int k = 0; k < head->n_inputs; k++)
        step->inputs[step->n_inputs++] = self->alias[head->inputs[k]];
      for (int k = 0; k < step->epi.n_res; k++)
        step->inputs[step->n_inputs++] = step->res[k];
      if (step->gate_in >= 0)
        step->inputs[step->n_inputs++] = step->gate_in;
      if (!nd_vk_op_build (g, head, step->bn >= 0 ? nd_graph_node (g, step->bn) : NULL,
                           step->add >= 0 || step->gate >= 0 ? &step->epi : NULL,
                           step->act >= 0 ? nd_graph_node (g, step->act) : NULL,
                           self->parent.batch, &self->ctx->props, &step->op, error))
        return FALSE;
      nd_vk_se_concat_affine (g, head, self->alias, &step->op);
      if (self->es == 2 && nd_vk_coopmat_in_plans (self->ctx))
        nd_vk_op_use_coopmat (&step->op);
      self->parent.op_algo[i] = step->op.algo;
      if (step->bn >= 0)
        self->parent.op_algo[step->bn] = "fused";
      if (step->add >= 0)
        self->parent.op_algo[step->add] = "fused";
      if (step->gate >= 0)
        self->parent.op_algo[step->gate] = "fused";
      if (step->act >= 0)
        self->parent.op_algo[step->act] = "fused";
    }
  if (!nd_vk_se_check (self))
    return TRUE;   /* plan_steps makes it again without folding */
  /* A step may read the tails of steps with larger heads (the other summands of an absorbed
   * ADD), but every input has a smaller id than the reading step's tail: levels are computed
   * in tail order, then the steps are sorted by level. */
  qsort (self->steps, self->n_steps, sizeof (NdVkStep), compare_tails);
  for (int s = 0; s < self->n_steps; s++)
    {
      NdVkStep *step = &self->steps[s];

      for (int k = 0; k < step->n_inputs; k++)
        {
          g_assert (self->has_buf[step->inputs[k]] && step->inputs[k] < step->tail);
          step->level = MAX (step->level, level[step->inputs[k]] + 1);
        }
      level[step->tail] = step->level;
    }
  if (self->remote != NULL)
    nd_vk_split_place_remote (self);
  qsort (self->steps, self->n_steps, sizeof (NdVkStep), compare_steps);
  plan_barriers (self);
  plan_early (self);
  plan_segments (self);
  return TRUE;
}

static gboolean
plan_steps (NdVkPlan *self, GError **error)
{
  if (!plan_steps_once (self, TRUE, error))
    return FALSE;
  if (self->segs != NULL)
    return TRUE;
  /* a folded BN's gated summand did not reach an epilogue (a captured node in the way) */
  clear_steps (self);
  return plan_steps_once (self, FALSE, error) && self->segs != NULL;
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

      e = MIN (group_end (self, s), seg->end);
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
      for (int t = e, next = e < seg->end ? MIN (group_end (self, e), seg->end) : e; t < next; t++)
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
  NdVkPlan *self = g_new0 (NdVkPlan, 1);

  self->ctx = ctx;
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
  if (!plan_steps (self, error) || !nd_vk_plan_create_buffers (self, error) || !nd_vk_plan_upload_weights (self, error))
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
nd_vk_plan_n_barriers (NdPlan *plan)
{
  return ((NdVkPlan *) plan)->n_barriers;
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
  clear_steps (self);
  g_free (self->segs);
  g_free (self->up_off);
  g_free (self->hdown_off);
  g_free (self->act);
  g_free (self->slots);
  g_free (self->wts);
  g_free (self->down_off);
  nd_plan_clear_common (plan);
  g_free (self);
}
