/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <cblas.h>

#include "nd-fuse-private.h"

/* The re-parameterization math of docs/reference/networks.md §0 and §3.3, as rewrites of a working
 * graph. Weight tensors of the source graph are shared with the copy, so every rule writes
 * fresh tensors and never changes one in place. */

/* A conv that absorbed BNs or a second conv is still what it was in the views when its role
 * says where it sits (activation, shortcut, head); otherwise it is a plain conv. */
static NdRole
folded_role (NdRole role)
{
  switch (role)
    {
    case ND_ROLE_SERIES_ACT:
    case ND_ROLE_SHORTCUT:
    case ND_ROLE_HEAD:
    case ND_ROLE_FUSED3X3:
      return role;
    default:
      return ND_ROLE_CONV;
    }
}

static GPtrArray *
names_of (const NdNode *a, const NdNode *b)
{
  GPtrArray *names = g_ptr_array_new ();

  _nd_fuse_add_origins (names, a);
  if (b != NULL)
    _nd_fuse_add_origins (names, b);
  return names;
}

void
_nd_fuse_bn_scale_shift (const NdNode *bn, int c, double *t, double *shift)
{
  double gamma = bn->w[ND_W_WEIGHT]->data[c];
  double beta = bn->w[ND_W_BIAS]->data[c];
  double mean = bn->w[ND_W_MEAN]->data[c];
  double var = bn->w[ND_W_VAR]->data[c];

  *t = gamma / sqrt (var + bn->p.eps);
  *shift = beta - mean * *t;
}

void
_nd_fuse_fold_bn_weights (const NdNode *conv, const NdNode *bn, NdTensor **weight,
                          NdTensor **bias)
{
  const NdTensor *w = conv->w[ND_W_WEIGHT], *b0 = conv->w[ND_W_BIAS];
  int out = (int) w->shape[0];
  int64_t per = w->numel / out;

  *weight = nd_tensor_new (w->ndim, w->shape);
  *bias = nd_tensor_new_1d (out);
  for (int o = 0; o < out; o++)
    {
      double t, shift;

      _nd_fuse_bn_scale_shift (bn, o, &t, &shift);
      for (int64_t j = 0; j < per; j++)
        (*weight)->data[o * per + j] = (float) (w->data[o * per + j] * t);
      (*bias)->data[o] = (float) (shift + (b0 ? b0->data[o] * t : 0.0));
    }
}

/* §0.1: CONV2D → BATCHNORM, the conv read by nothing else, becomes one conv with bias:
 * W' = W·t, b' = β + (b0 − μ)·t. */
gboolean
_nd_fuse_fold_bn (NdFuseWork *work, int id)
{
  NdNode *bn = nd_graph_node (work->graph, id);
  NdNode *conv;
  NdTensor *weight, *bias;

  if (bn->op != ND_OP_BATCHNORM)
    return FALSE;
  conv = nd_graph_node (work->graph, bn->inputs[0]);
  if (conv->op != ND_OP_CONV2D || _nd_fuse_sole_consumer (work, conv->id) != id)
    return FALSE;

  _nd_fuse_fold_bn_weights (conv, bn, &weight, &bias);
  _nd_fuse_set_conv (conv, weight, bias, names_of (conv, bn));
  conv->role = folded_role (conv->role);
  _nd_fuse_kill (work, id, conv->id);
  return TRUE;
}

/* §3.3: CONV2D (any kernel, groups 1) read only by a CONV2D 1×1 s1 p0 g1 becomes one conv:
 * W[o, c, u, v] = Σ_i W2[o, i]·W1[i, c, u, v], b = b2 + W2·b1. Exact because nothing
 * nonlinear sits between them and the second conv adds no padding. */
gboolean
_nd_fuse_merge_convs (NdFuseWork *work, int id)
{
  NdNode *c2 = nd_graph_node (work->graph, id);
  NdNode *c1;
  const NdTensor *w1, *w2, *b1, *b2;
  NdTensor *weight, *bias = NULL;
  int64_t shape[4];
  int o1, o2, inner;

  if (c2->op != ND_OP_CONV2D || !nd_op_is_square (&c2->p, 1, 0) || c2->p.stride != 1
      || c2->p.groups != 1)
    return FALSE;
  c1 = nd_graph_node (work->graph, c2->inputs[0]);
  if (c1->op != ND_OP_CONV2D || c1->p.groups != 1
      || _nd_fuse_sole_consumer (work, c1->id) != id)
    return FALSE;

  w1 = c1->w[ND_W_WEIGHT];
  w2 = c2->w[ND_W_WEIGHT];
  b1 = c1->w[ND_W_BIAS];
  b2 = c2->w[ND_W_BIAS];
  o1 = (int) w1->shape[0];
  o2 = (int) w2->shape[0];
  inner = (int) (w1->numel / o1);
  /* Exact either way, but a narrow middle (MobileNetV2's linear bottleneck followed by the
   * next block's expansion) would make the merged conv larger than the pair: keep those. */
  if ((gint64) o2 * inner > (gint64) o1 * inner + (gint64) o2 * o1)
    return FALSE;
  shape[0] = o2;
  shape[1] = w1->shape[1];
  shape[2] = w1->shape[2];
  shape[3] = w1->shape[3];
  weight = nd_tensor_new (4, shape);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, o2, inner, o1, 1.0f, w2->data, o1,
               w1->data, inner, 0.0f, weight->data, inner);
  if (b1 != NULL || b2 != NULL)
    {
      bias = nd_tensor_new_1d (o2);
      for (int o = 0; o < o2; o++)
        {
          double acc = b2 ? b2->data[o] : 0.0;

          for (int i = 0; b1 != NULL && i < o1; i++)
            acc += (double) w2->data[(int64_t) o * o1 + i] * b1->data[i];
          bias->data[o] = (float) acc;
        }
    }
  _nd_fuse_set_conv (c1, weight, bias, names_of (c1, c2));
  c1->p.out_c = c2->p.out_c;
  c1->out_c = c2->out_c;
  c1->role = folded_role (c1->role);
  _nd_fuse_kill (work, id, c1->id);
  return TRUE;
}

NdFuseBranch
_nd_fuse_classify_addend (const NdFuseWork *work, int add, const NdNode *dense, int id)
{
  const NdNode *node = nd_graph_node (work->graph, id);
  const NdNode *x = nd_graph_node (work->graph, dense->inputs[0]);

  if (_nd_fuse_sole_consumer (work, id) != add)
    return ND_FUSE_BRANCH_NONE;

  if (node->op == ND_OP_BATCHNORM && node->role == ND_ROLE_IDENTITY_BN
      && node->inputs[0] == x->id && dense->p.stride == 1 && x->out_c == dense->out_c)
    return ND_FUSE_BRANCH_IDENTITY;

  if (node->op != ND_OP_CONV2D || !nd_op_is_square (&node->p, 1, 0)
      || node->p.groups != dense->p.groups)
    return ND_FUSE_BRANCH_NONE;

  if (node->inputs[0] == x->id && node->p.stride == dense->p.stride)
    return ND_FUSE_BRANCH_1X1;

  if (node->p.stride == 1 && dense->p.stride == 2 && x->out_h % 2 == 0 && x->out_w % 2 == 0)
    {
      const NdNode *pool = nd_graph_node (work->graph, node->inputs[0]);

      /* An odd map would not even reach here: the pool floors where the conv rounds up, so
       * the ADD could not have been built. */
      if (pool->op == ND_OP_AVGPOOL && pool->p.kernel == 2 && pool->p.stride == 2
          && pool->p.pad == 0 && pool->inputs[0] == x->id
          && _nd_fuse_sole_consumer (work, pool->id) == id)
        return ND_FUSE_BRANCH_POOL_1X1;
    }
  return ND_FUSE_BRANCH_NONE;
}

void
_nd_fuse_add_branch (NdTensor *weight, NdTensor *bias, const NdNode *branch, NdFuseBranch kind)
{
  int out = (int) weight->shape[0], cg = (int) weight->shape[1];

  if (kind == ND_FUSE_BRANCH_IDENTITY)
    {
      /* K_id[i, i mod (C/g), 1, 1] = 1, then the BN folded in. */
      for (int i = 0; i < out; i++)
        {
          double t, shift;

          _nd_fuse_bn_scale_shift (branch, i, &t, &shift);
          weight->data[((int64_t) i * cg + i % cg) * 9 + 4] += (float) t;
          bias->data[i] += (float) shift;
        }
      return;
    }

  for (int o = 0; o < out; o++)
    {
      for (int i = 0; i < cg; i++)
        {
          float v = branch->w[ND_W_WEIGHT]->data[(int64_t) o * cg + i];
          float *k = weight->data + ((int64_t) o * cg + i) * 9;

          if (kind == ND_FUSE_BRANCH_1X1)
            {
              k[4] += v;   /* the centre */
            }
          else
            {
              /* Nearest-upsampled to 2×2, /4, padded [left 1, top 1]: at stride 2, pad 1,
               * taps (1..2, 1..2) read exactly the AvgPool window 2i..2i+1. */
              k[4] += v / 4;
              k[5] += v / 4;
              k[7] += v / 4;
              k[8] += v / 4;
            }
        }
      if (branch->w[ND_W_BIAS] != NULL)
        bias->data[o] += branch->w[ND_W_BIAS]->data[o];
    }
}

/* §0.2–0.5: an ADD whose addends include a 3×3 (pad 1) conv and, on the same input, 1×1
 * branches, AvgPool→1×1 branches or identity BNs read by nothing else: those merge into the
 * 3×3, and the ADD keeps what is left (ParNet's SSE term) or goes away. */
gboolean
_nd_fuse_merge_branches (NdFuseWork *work, int id)
{
  NdNode *add = nd_graph_node (work->graph, id);

  if (add->op != ND_OP_ADD)
    return FALSE;

  for (int k = 0; k < add->n_inputs; k++)
    {
      NdNode *dense = nd_graph_node (work->graph, add->inputs[k]);
      NdFuseBranch kinds[ND_MAX_INPUTS] = { ND_FUSE_BRANCH_NONE };
      int merged[ND_MAX_INPUTS], n_merged = 0, n_keep = 0;
      NdTensor *weight, *bias;
      GPtrArray *names;

      if (dense->op != ND_OP_CONV2D || !nd_op_is_square (&dense->p, 3, 1)
          || _nd_fuse_sole_consumer (work, dense->id) != id)
        continue;
      for (int j = 0; j < add->n_inputs; j++)
        if (j != k && (kinds[j] = _nd_fuse_classify_addend (work, id, dense, add->inputs[j])))
          merged[n_merged++] = add->inputs[j];
      if (n_merged == 0)
        continue;

      weight = nd_tensor_copy (dense->w[ND_W_WEIGHT]);
      bias = dense->w[ND_W_BIAS] ? nd_tensor_copy (dense->w[ND_W_BIAS])
                                 : nd_tensor_new_1d (dense->out_c);
      names = names_of (dense, NULL);
      for (int j = 0; j < add->n_inputs; j++)
        {
          const NdNode *branch = nd_graph_node (work->graph, add->inputs[j]);

          if (kinds[j] == ND_FUSE_BRANCH_NONE)
            continue;
          if (kinds[j] == ND_FUSE_BRANCH_POOL_1X1)
            _nd_fuse_add_origins (names, nd_graph_node (work->graph, branch->inputs[0]));
          _nd_fuse_add_origins (names, branch);
          _nd_fuse_add_branch (weight, bias, branch, kinds[j]);
        }
      _nd_fuse_set_conv (dense, weight, bias, names);
      dense->role = ND_ROLE_FUSED3X3;

      for (int j = 0; j < add->n_inputs; j++)
        if (kinds[j] == ND_FUSE_BRANCH_NONE)
          add->inputs[n_keep++] = add->inputs[j];
      add->n_inputs = n_keep;
      for (int m = 0; m < n_merged; m++)
        {
          const NdNode *branch = nd_graph_node (work->graph, merged[m]);
          int pool = branch->op == ND_OP_CONV2D && branch->inputs[0] != dense->inputs[0]
                     ? branch->inputs[0] : -1;

          _nd_fuse_kill (work, merged[m], -1);
          if (pool >= 0)
            _nd_fuse_kill (work, pool, -1);
        }
      if (add->n_inputs == 1)
        _nd_fuse_kill (work, id, dense->id);
      return TRUE;
    }
  return FALSE;
}
