/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-vk-plan-private.h"
#include "nd-vk-se.h"

/* Squeeze-excitation gates in fewer dispatches (issue 18). A ParNet block's SSE branch was
 * four passes over or after its input: the identity BN (a full map written and read again),
 * the global pool, the 1×1 convolution on the pooled vector, and the gated add in the dense
 * convolution's epilogue. Here the pool and the product are one dispatch where the product
 * is small (se.comp's last workgroup does it), and the BN goes: mean(BN(x)) = s·mean(x) + t
 * folds into the product's weights, and BN(x)·α·σ(z) = x·(α·σ(z)·s) + α·σ(z)·t is what the
 * consumer's epilogue adds from the pairs se.comp writes. Likewise the BNs before ParNet's
 * interleaving concat go into the concat's copy. ND_VK_SE=0 turns all of it off (to
 * compare); ND_VK_SE_FUSE_MAX sets the largest product, in multiply-adds over the batch,
 * that one workgroup does (default 65536: 256×256). */

/* the last workgroup's product: up to ND_VK_SE_FUSE_MAX / 256 multiply-adds per invocation */
#define SE_WG_FUSED 256
#define SE_WG_GEMV 64

static gboolean
plain (struct _NdVkPlan *self, int id)
{
  const NdGraph *g = self->parent.graph;

  return id != g->output && !self->parent.capture_mask[id] && !self->host[id]
         && (self->remote == NULL || !self->remote[id]);
}

/* The only consumer of @id, or -1. */
static int
sole_consumer (const NdGraph *g, int id)
{
  if (nd_graph_n_consumers (g, id) != 1)
    return -1;
  for (int i = id + 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *node = nd_graph_node (g, i);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == id)
          return i;
    }
  return -1;
}

static int
se_groups (const NdNode *conv)
{
  return conv->op == ND_OP_CONV2D ? conv->p.groups : 1;
}

static guint64
fuse_max (void)
{
  const char *env = g_getenv ("ND_VK_SE_FUSE_MAX");

  return env != NULL ? g_ascii_strtoull (env, NULL, 10) : 65536;
}

/* @bn (the pool's input) is a BN whose other reader is GATE(bn, conv) feeding an ADD, the
 * RepVGG-SSE identity branch; returns that GATE or -1. */
static int
foldable_bn (struct _NdVkPlan *self, int bn, int conv)
{
  const NdGraph *g = self->parent.graph;
  const NdNode *node = nd_graph_node (g, bn);
  int gate = sole_consumer (g, conv), add;

  if (node->op != ND_OP_BATCHNORM || !plain (self, bn) || nd_graph_n_consumers (g, bn) != 2
      || gate < 0 || !plain (self, gate) || g_getenv ("ND_VK_NO_GATED_SUMMAND") != NULL)
    return -1;
  node = nd_graph_node (g, gate);
  if (node->op != ND_OP_GATE || node->p.hard_gate || node->inputs[0] != bn
      || node->inputs[1] != conv || nd_graph_node (g, conv)->out_c != nd_graph_node (g, bn)->out_c)
    return -1;
  add = sole_consumer (g, gate);
  return add >= 0 && nd_graph_node (g, add)->op == ND_OP_ADD ? gate : -1;
}

/* BNs whose only reader is an interleaving concat (ParNet's fusion modules: b1 on the stream
 * output, b2 on the previous tensor) go into the concat's copy (layout.comp's AFFINE): two
 * dispatches and a barrier less per fusion. */
static void
find_concat_bns (struct _NdVkPlan *self, gboolean *absorbed)
{
  const NdGraph *g = self->parent.graph;

  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *cat = nd_graph_node (g, i);

      if (cat->op != ND_OP_CONCAT_INTERLEAVE || self->host[i]
          || (self->remote != NULL && self->remote[i]))
        continue;
      for (int k = 0; k < cat->n_inputs; k++)
        {
          int in = cat->inputs[k];

          if (nd_graph_node (g, in)->op == ND_OP_BATCHNORM && plain (self, in)
              && sole_consumer (g, in) == i)
            {
              absorbed[in] = TRUE;
              self->alias[in] = nd_graph_node (g, in)->inputs[0];
              self->parent.op_algo[in] = "fused";
            }
        }
    }
}

void
nd_vk_se_concat_affine (const NdGraph *g, const NdNode *cat, const int *alias, NdVkOp *op)
{
  gboolean any = FALSE;

  for (int k = 0; k < 2; k++)
    any |= alias[cat->inputs[k]] != cat->inputs[k];
  if (cat->op != ND_OP_CONCAT_INTERLEAVE || !any)
    return;
  op->spec[ND_LAYOUT_AFFINE] = 1;
  op->n_weight = op->n_bias = cat->out_c;
  op->weight = g_new (float, cat->out_c);
  op->bias = g_new (float, cat->out_c);
  for (int c = 0; c < cat->out_c; c++)
    {
      int in = cat->inputs[c & 1];
      double s = 1.0, t = 0.0;

      if (alias[in] != in)
        nd_vk_bn_scale_shift (nd_graph_node (g, in), &s, &t, c / 2);
      op->weight[c] = (float) s;
      op->bias[c] = (float) t;
    }
}

void
nd_vk_se_find (struct _NdVkPlan *self, gboolean *absorbed, gboolean fold_bn)
{
  const NdGraph *g = self->parent.graph;
  int n = nd_graph_n_nodes (g), counter = 1;   /* flags word 0: float16 overflow */
  const char *env = g_getenv ("ND_VK_SE");

  self->se = g_new0 (NdVkSe, n);
  self->n_se = 0;
  self->alias = g_new (int, n);
  self->pairs = g_new0 (gboolean, n);
  for (int i = 0; i < n; i++)
    self->alias[i] = i;
  if (env != NULL && strcmp (env, "0") == 0)
    return;
  find_concat_bns (self, absorbed);
  for (int i = 1; i < n; i++)
    {
      const NdNode *pool = nd_graph_node (g, i), *conv, *act;
      int c = sole_consumer (g, i), a, gate = -1;
      NdVkSe *se;
      guint64 macs;

      /* (the conv may be captured, as the window does every gate, or be the output: it is
       * the step's tail) */
      if (pool->op != ND_OP_ADAPTIVE_AVGPOOL || pool->out_h != 1 || pool->out_w != 1
          || !plain (self, i) || c < 0 || self->host[c]
          || (self->remote != NULL && self->remote[c]))
        continue;
      conv = nd_graph_node (g, c);
      /* a 1×1 convolution on the pooled map, or a classifier head's linear layer */
      if (!(conv->op == ND_OP_LINEAR
            || (conv->op == ND_OP_CONV2D && conv->p.kernel == 1 && conv->p.pad == 0
                && conv->out_h == 1 && conv->out_w == 1)))
        continue;
      macs = (guint64) self->parent.batch * conv->out_c * (pool->out_c / se_groups (conv));
      se = &self->se[self->n_se];
      *se = (NdVkSe) { .pool = i, .conv = c, .act = -1, .bn = -1, .alpha = 1.0f,
                       .fused = macs <= fuse_max () };
      if (fold_bn)
        gate = foldable_bn (self, pool->inputs[0], c);
      if (gate >= 0)
        {
          se->bn = pool->inputs[0];
          se->alpha = nd_graph_node (g, gate)->p.alpha;
        }
      else if (plain (self, c) && (a = sole_consumer (g, c)) >= 0 && plain (self, a)
               && nd_vk_op_can_fuse_act (conv, (act = nd_graph_node (g, a))))
        se->act = a;
      if (!se->fused && se->bn < 0)
        continue;   /* nothing to gain over the pool and gemm.comp's GEMV */
      self->n_se++;
      if (se->fused)
        {
          se->counter = counter++;
          absorbed[c] = TRUE;
        }
      if (se->act >= 0)
        absorbed[se->act] = TRUE;
      if (se->bn >= 0)
        {
          absorbed[se->bn] = TRUE;
          self->alias[se->bn] = nd_graph_node (g, se->bn)->inputs[0];
          self->pairs[c] = TRUE;
        }
    }
}

const NdVkSe *
nd_vk_se_at (struct _NdVkPlan *self, int id)
{
  for (int k = 0; k < self->n_se; k++)
    if (self->se[k].fused ? self->se[k].pool == id : self->se[k].conv == id)
      return &self->se[k];
  return NULL;
}

gboolean
nd_vk_se_check (struct _NdVkPlan *self)
{
  for (int k = 0; k < self->n_se; k++)
    {
      gboolean found = self->se[k].bn < 0;

      for (int s = 0; s < self->n_steps && !found; s++)
        found = self->steps[s].gate_in == self->se[k].conv && self->steps[s].epi.gate_first == 3;
      if (!found)
        return FALSE;
    }
  return TRUE;
}

void
nd_vk_se_build (const NdGraph *g, const NdVkSe *se, int batch,
                const VkPhysicalDeviceLimits *limits, NdVkOp *op)
{
  const NdNode *pool = nd_graph_node (g, se->pool), *conv = nd_graph_node (g, se->conv);
  const NdNode *bn = se->bn >= 0 ? nd_graph_node (g, se->bn) : NULL;
  const NdNode *act = se->act >= 0 ? nd_graph_node (g, se->act) : NULL;
  const NdNode *in = nd_graph_node (g, pool->inputs[0]);
  int cout = conv->out_c, cin = pool->out_c, groups = se_groups (conv);
  int cg = cin / groups, og = cout / groups;
  guint64 hw = (guint64) in->out_h * in->out_w, items, groups_total;
  guint32 gx;
  float act_alpha = act != NULL && act->op == ND_OP_LEAKY_RELU ? act->p.alpha : 0.0f;
  /* (Vulkan guarantees 128 invocations, not 256; the tree sum wants a power of two) */
  guint32 wg = !se->fused ? SE_WG_GEMV
               : limits->maxComputeWorkGroupInvocations >= SE_WG_FUSED
                 && limits->maxComputeWorkGroupSize[0] >= SE_WG_FUSED ? SE_WG_FUSED : 128;
  guint32 team = 1, pool_team = 1;
  guint32 spec[ND_N_SPEC] = {
    [ND_SPEC_WG] = wg,
    [ND_SE_N] = batch, [ND_SE_CIN] = cin, [ND_SE_HW] = in->out_h * in->out_w,
    [ND_SE_COUT] = cout, [ND_SE_G] = groups,
    [ND_SE_MODE] = se->fused ? ND_SE_FUSED : ND_SE_GEMV, [ND_SE_OUT_PAIRS] = bn != NULL,
    [ND_SE_COUNTER] = se->counter,
  };

  /* the fused product: as many invocations per output as fill the workgroup, up to 64 */
  while (se->fused && team < 64 && 2 * team * (guint64) batch * cout <= wg)
    team *= 2;
  spec[ND_SE_TEAM] = team;
  /* the pool: a power of two ≥ the plane's pixels, at most the workgroup */
  while (pool_team < wg && pool_team < hw)
    pool_team *= 2;
  spec[ND_SE_POOL_TEAM] = pool_team;
  items = (guint64) batch * (se->fused ? cin : cout);
  groups_total = se->fused ? (items + wg / pool_team - 1) / (wg / pool_team) : items;
  gx = (guint32) MIN (groups_total, (guint64) limits->maxComputeWorkGroupCount[0]);
  memcpy (&spec[ND_SE_ALPHA], &se->alpha, sizeof (float));
  memcpy (&spec[ND_SE_ACT_ALPHA], &act_alpha, sizeof (float));
  spec[ND_SE_ACT] = nd_vk_act_code (act);
  memcpy (op->spec, spec, sizeof spec);
  op->n_spec = ND_N_SPEC;
  op->shader = "se";
  op->algo = se->fused ? "vk-se" : "vk-se-gemv";
  op->groups[0] = MAX (gx, 1);
  op->groups[1] = (guint32) ((groups_total + op->groups[0] - 1) / op->groups[0]);
  op->groups[2] = 1;
  /* the means as float32 whatever the storage (scratch is sized in stored elements) */
  op->scratch[0] = se->fused ? 2 * items : 0;

  /* W'[o][i] = W[o][i]·s[i'], b'[o] = b[o] + Σ_i W[o][i]·t[i'] (i' the BN channel of input
   * i of o's group), in double; the fused kernel's small teams read W' transposed, [i][o]. */
  op->n_weight = (gsize) cout * cg;
  op->weight = g_new (float, op->n_weight);
  op->n_bias = (gsize) cout * (bn != NULL ? 3 : 1);
  op->bias = g_new0 (float, op->n_bias);
  for (int o = 0; o < cout; o++)
    {
      gboolean has_bias = conv->op == ND_OP_LINEAR ? conv->w[ND_W_BIAS] != NULL
                          : conv->p.has_bias;
      double b = has_bias ? conv->w[ND_W_BIAS]->data[o] : 0.0;

      for (int i = 0; i < cg; i++)
        {
          double w = conv->w[ND_W_WEIGHT]->data[(gsize) o * cg + i];
          double s = 1.0, t = 0.0;

          if (bn != NULL)
            nd_vk_bn_scale_shift (bn, &s, &t, (o / og) * cg + i);
          b += w * t;
          op->weight[se->fused && team < 8 ? (gsize) i * cout + o : (gsize) o * cg + i]
            = (float) (w * s);
        }
      op->bias[o] = (float) b;
      if (bn != NULL)
        {
          double s, t;

          nd_vk_bn_scale_shift (bn, &s, &t, o);
          op->bias[cout + o] = (float) s;
          op->bias[2 * cout + o] = (float) t;
        }
    }
}
