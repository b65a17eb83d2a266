/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-vk-coopmat.h"
#include "nd-vk-plan-private.h"

/* A Vulkan plan's steps (nd-vk-plan.c says how a graph becomes one command buffer): which
 * nodes each dispatch chain absorbs, their order by level, the barriers, the groups between
 * barriers and the segments between CPU steps. */

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
int
nd_vk_plan_group_end (NdVkPlan *self, int s)
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
      s = nd_vk_plan_group_end (self, p);
      if (s >= self->n_steps || self->steps[p].host || self->steps[s].host)
        continue;
      e = nd_vk_plan_group_end (self, s);
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

void
nd_vk_plan_clear_steps (NdVkPlan *self)
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

/* The dispatch of @step (headed by node @i) in kernel @variant, as the plan runs it. */
static gboolean
build_step_op (NdVkPlan *self, const NdVkStep *step, int i, int variant, NdVkOp *op,
               GError **error)
{
  const NdGraph *g = self->parent.graph;
  const NdNode *head = nd_graph_node (g, i);

  if (!nd_vk_op_build (g, head, step->bn >= 0 ? nd_graph_node (g, step->bn) : NULL,
                       step->add >= 0 || step->gate >= 0 ? &step->epi : NULL,
                       step->act >= 0 ? nd_graph_node (g, step->act) : NULL,
                       self->parent.batch, &self->ctx->props, variant, op, error))
    return FALSE;
  nd_vk_se_concat_affine (g, head, self->alias, op);
  if (self->es == 2 && nd_vk_coopmat_in_plans (self->ctx)
      && nd_vk_variant_allows_coopmat (variant))
    nd_vk_op_use_coopmat (op);
  return TRUE;
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
  memset (self->parent.op_variant, 0, n * sizeof *self->parent.op_variant);
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
      if (!build_step_op (self, step, i, self->variant != NULL ? self->variant[i]
                                                                : ND_VK_VARIANT_RULES,
                          &step->op, error))
        return FALSE;
      /* a kernel variant's name is shown where it builds this op otherwise than the rules */
      if (self->variant != NULL && self->variant[i] != ND_VK_VARIANT_RULES)
        {
          NdVkOp rules = { 0 };

          if (!build_step_op (self, step, i, ND_VK_VARIANT_RULES, &rules, error))
            return FALSE;
          if (nd_vk_op_hash (&rules) != nd_vk_op_hash (&step->op))
            self->parent.op_variant[i] = nd_vk_variant_name (self->variant[i]);
          nd_vk_op_clear (&rules);
        }
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

gboolean
nd_vk_plan_steps (NdVkPlan *self, GError **error)
{
  if (!plan_steps_once (self, TRUE, error))
    return FALSE;
  if (self->segs != NULL)
    return TRUE;
  /* a folded BN's gated summand did not reach an epilogue (a captured node in the way) */
  nd_vk_plan_clear_steps (self);
  return plan_steps_once (self, FALSE, error) && self->segs != NULL;
}
