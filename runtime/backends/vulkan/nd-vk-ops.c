/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-vk-ops.h"

/* Kept in step with vulkan_shaders/nd-common.glsl and the OP/MODE defines of each shader. */
enum { ACT_NONE, ACT_RELU, ACT_SILU, ACT_SIGMOID, ACT_LEAKY, ACT_RELU6 };
enum { ELT_BN, ELT_ACT, ELT_ADD, ELT_GATE };
enum { POOL_AVG, POOL_MAX, POOL_ADAPTIVE_AVG, POOL_ADAPTIVE_MAX, POOL_GLOBAL_AVG,
       POOL_GLOBAL_MAX };
enum { LAYOUT_CONCAT, LAYOUT_SHUFFLE, LAYOUT_CAT, LAYOUT_SLICE };

#define ELT_WG 64

static int
act_code (const NdNode *act)
{
  if (act == NULL)
    return ACT_NONE;
  switch (act->op)
    {
    case ND_OP_RELU: return ACT_RELU;
    case ND_OP_SILU: return ACT_SILU;
    case ND_OP_SIGMOID: return ACT_SIGMOID;
    case ND_OP_LEAKY_RELU: return ACT_LEAKY;
    case ND_OP_RELU6: return ACT_RELU6;
    default: return -1;
    }
}

static guint32
fbits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

gboolean
nd_vk_op_can_fuse_act (const NdNode *head, const NdNode *act)
{
  if (act_code (act) <= ACT_NONE)
    return FALSE;
  switch (head->op)
    {
    case ND_OP_CONV2D:
    case ND_OP_LINEAR:
    case ND_OP_BATCHNORM:
    case ND_OP_ADD:
    case ND_OP_GATE:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
nd_vk_op_has_epilogue (const NdNode *head)
{
  return head->op == ND_OP_CONV2D || head->op == ND_OP_BATCHNORM;
}

gboolean
nd_vk_op_can_fold_bn (const NdNode *head, const NdNode *bn)
{
  return head->op == ND_OP_CONV2D && bn->op == ND_OP_BATCHNORM;
}

static void
grid_1d (NdVkOp *op, guint64 total, const VkPhysicalDeviceLimits *limits)
{
  guint64 blocks = (total + ELT_WG - 1) / ELT_WG;
  guint64 gx = MIN (blocks, (guint64) limits->maxComputeWorkGroupCount[0]);

  op->groups[0] = (guint32) MAX (gx, 1);
  op->groups[1] = (guint32) ((blocks + op->groups[0] - 1) / op->groups[0]);
  op->groups[2] = 1;
}

/* BN as y = x·scale + shift, in double so folding loses nothing the oracle keeps. */
static void
bn_scale_shift (const NdNode *bn, double *scale, double *shift, int c)
{
  double g = bn->w[ND_W_WEIGHT]->data[c], b = bn->w[ND_W_BIAS]->data[c];
  double mu = bn->w[ND_W_MEAN]->data[c], var = bn->w[ND_W_VAR]->data[c];

  *scale = g / sqrt (var + bn->p.eps);
  *shift = b - mu * *scale;
}

static void
pick_tiles (int m, int n, const VkPhysicalDeviceLimits *limits, guint32 *bm, guint32 *bn)
{
  guint32 max_wg = MIN (limits->maxComputeWorkGroupInvocations,
                        limits->maxComputeWorkGroupSize[0]);

  *bm = m <= 16 ? 16 : m <= 32 ? 32 : 64;
  *bn = n <= 16 ? 16 : n <= 32 ? 32 : 64;
  while ((*bm / 4) * (*bn / 4) > max_wg)
    {
      if (*bn > 16)
        *bn /= 2;
      else
        *bm /= 2;
    }
}

/* How many workgroups it takes to fill the device: on a GPU (132 multiprocessors on an H200)
 * a 7×7 map with 512 output channels is 8 tiles of 64×64, so the K loop is split instead;
 * a CPU device (lavapipe) has as many cores as threads and keeps one pass.
 * ND_VK_MIN_GROUPS overrides it (tests use it to take the split path on lavapipe). */
static guint32
min_groups (const VkPhysicalDeviceProperties *props)
{
  const char *env = g_getenv ("ND_VK_MIN_GROUPS");

  if (env != NULL)
    return (guint32) g_ascii_strtoull (env, NULL, 10);
  return props->deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? 1 : 256;
}

/* Split-K slices for a grid of @groups workgroups over K = @k: doubled while the grid is
 * short of @want and each slice keeps at least 128 of K (so the extra pass stays cheap). */
static int
split_k_slices (guint64 groups, int k, guint32 want)
{
  int slices = 1;

  while (groups * slices * 2 <= want && k / (slices * 2) >= 128 && slices < 16)
    slices *= 2;
  return slices;
}

/* Turns a tiled conv/GEMM op into split-K: the tiled shader becomes the pre-dispatch writing
 * [slice][output] partials into scratch 0, and splitk.comp the main one (bias, epilogue,
 * activation), with @channels channels of @hw pixels per image. */
static void
split_k_setup (NdVkOp *op, int slices, guint32 zn, guint64 total, int channels, int hw,
               int act, float alpha, const VkPhysicalDeviceLimits *limits)
{
  guint32 spec[] = { ELT_WG, (guint32) total, slices, channels, hw, op->bias != NULL, act,
                     fbits (alpha) };

  op->n_pre = 1;
  op->pre[0].shader = op->shader;
  memcpy (op->pre[0].spec, op->spec, sizeof op->spec);
  op->pre[0].spec[18] = slices;
  op->pre[0].spec[19] = zn;
  op->pre[0].spec[27] = fbits (1.0f);
  op->pre[0].n_spec = ND_VK_N_SPEC;
  memcpy (op->pre[0].groups, op->groups, sizeof op->groups);
  op->pre[0].groups[2] *= slices;
  op->scratch[0] = (gsize) slices * total;
  memset (op->spec, 0, sizeof op->spec);
  memcpy (op->spec, spec, sizeof spec);
  op->n_spec = G_N_ELEMENTS (spec);
  op->shader = "splitk";
  grid_1d (op, total, limits);
}

/* Matrix-vector products (SE/SSE gates on a 1×1 map, classifier heads at batch 1): a
 * workgroup per output row strides over K and reduces in shared memory, instead of a 64×16
 * tile of which one column is used. */
#define GEMV_MAX_N 4

/* gemm.comp's grid for an M×N product done @z times: the GEMV path for N ≤ GEMV_MAX_N,
 * BM×BN tiles otherwise (then named @tiled). */
static void
gemm_grid (NdVkOp *op, guint32 *spec, int m, int n, guint32 z,
           const VkPhysicalDeviceLimits *limits, const char *tiled)
{
  guint32 bm, bn;

  if (n <= GEMV_MAX_N)
    {
      spec[0] = ELT_WG;
      spec[1] = 64;
      spec[2] = 16;
      spec[17] = 1;
      op->groups[0] = n;
      op->groups[1] = m;
      op->groups[2] = z;
      op->algo = "vk-gemv";
      return;
    }
  pick_tiles (m, n, limits, &bm, &bn);
  spec[0] = (bm / 4) * (bn / 4);
  spec[1] = bm;
  spec[2] = bn;
  op->groups[0] = (n + bn - 1) / bn;
  op->groups[1] = (m + bm - 1) / bm;
  op->groups[2] = z;
  op->algo = tiled;
}

/* Conv weights [O, I/g, k, k] with the BN folded in: W'[o] = W[o]·s[o],
 * b'[o] = (b[o] − μ)·s + β. */
static void
conv_weights (const NdNode *conv, const NdNode *bn, NdVkOp *op)
{
  const NdTensor *w = conv->w[ND_W_WEIGHT];
  int out_c = conv->out_c;
  gsize per = (gsize) (w->numel / out_c);

  op->n_weight = w->numel;
  op->weight = g_memdup2 (w->data, w->numel * sizeof (float));
  if (!conv->p.has_bias && bn == NULL)
    return;
  op->n_bias = out_c;
  op->bias = g_new0 (float, out_c);
  for (int o = 0; o < out_c; o++)
    {
      double b = conv->p.has_bias ? conv->w[ND_W_BIAS]->data[o] : 0.0;

      if (bn != NULL)
        {
          double s, t;

          bn_scale_shift (bn, &s, &t, o);
          for (gsize i = 0; i < per; i++)
            op->weight[o * per + i] = (float) (w->data[o * per + i] * s);
          b = b * s + t;
        }
      op->bias[o] = (float) b;
    }
}

/* U[e][o][i] = (G g Gᵀ)[e] for each 3×3 kernel g (BN already folded into op->weight), with
 * G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. */
static float *
winograd_weights (const float *w, int cout, int cin)
{
  static const double G[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
  float *u = g_new (float, (gsize) 16 * cout * cin);

  for (int o = 0; o < cout; o++)
    for (int i = 0; i < cin; i++)
      {
        const float *g = w + ((gsize) o * cin + i) * 9;
        double t[4][3];

        for (int r = 0; r < 4; r++)
          for (int q = 0; q < 3; q++)
            t[r][q] = G[r][0] * g[q] + G[r][1] * g[3 + q] + G[r][2] * g[6 + q];
        for (int r = 0; r < 4; r++)
          for (int q = 0; q < 4; q++)
            u[((gsize) (r * 4 + q) * cout + o) * cin + i]
              = (float) (t[r][0] * G[q][0] + t[r][1] * G[q][1] + t[r][2] * G[q][2]);
      }
  return u;
}

/* Winograd F(2×2, 3×3) for 3×3 stride-1 pad-1 dense convolutions with enough channels to
 * amortise the transforms (ncnn's rule: ≥ 16 in and out) and a map of at least 8×8: on
 * lavapipe (RepVGG-A0 at 64) it halves the time of the 16×16 and 8×8 layers but is slower at
 * 4×4, where the 16 transformed weight matrices outweigh the 4 tiles they serve.
 * ND_VK_WINOGRAD=0 turns it off, for comparisons. */
static gboolean
use_winograd (const NdNode *node, int cin)
{
  const char *env = g_getenv ("ND_VK_WINOGRAD");

  if (env != NULL && g_str_equal (env, "0"))
    return FALSE;
  return nd_op_is_square (&node->p, 3, 1) && node->p.stride == 1 && node->p.groups == 1
         && cin >= 16 && node->out_c >= 16 && node->out_h * node->out_w >= 64;
}

static void
build_winograd (const NdNode *node, const NdNode *in, int act, float alpha, int batch,
                const VkPhysicalDeviceProperties *props, NdVkOp *op)
{
  int cin = in->out_c, cout = node->out_c, h = node->out_h, w = node->out_w;
  int th = (h + 1) / 2, tw = (w + 1) / 2, tiles = batch * th * tw;
  const VkPhysicalDeviceLimits *limits = &props->limits;
  guint32 bm, bn;
  float *u = winograd_weights (op->weight, cout, cin);

  g_free (op->weight);
  op->weight = u;
  op->n_weight = (gsize) 16 * cout * cin;
  op->n_pre = 2;
  op->scratch[0] = (gsize) 16 * cin * tiles;
  op->scratch[1] = (gsize) 16 * cout * tiles;
  {
    guint32 spec[] = { ELT_WG, (guint32) cin * tiles, cin, h, w, th, tw, 0, 0, 0, 0 };
    NdVkOp tmp = { 0 };

    op->pre[0].shader = "winograd";
    memcpy (op->pre[0].spec, spec, sizeof spec);
    op->pre[0].n_spec = ND_VK_N_SPEC;
    op->pre[0].spec[27] = fbits (1.0f);
    grid_1d (&tmp, (guint64) cin * tiles, limits);
    memcpy (op->pre[0].groups, tmp.groups, sizeof tmp.groups);
  }
  {
    /* 16 independent [C_out × C_in] · [C_in × tiles] products, as 16 "groups". */
    guint32 spec[] = { 0, 0, 0, 16, cout, tiles, cin, 16, tiles, 1, 0, tiles, 1, 0, 0, 0, 0 };

    pick_tiles (cout, tiles, limits, &bm, &bn);
    spec[0] = (bm / 4) * (bn / 4);
    spec[1] = bm;
    spec[2] = bn;
    op->pre[1].shader = "gemm";
    memcpy (op->pre[1].spec, spec, sizeof spec);
    op->pre[1].n_spec = ND_VK_N_SPEC;
    op->pre[1].spec[27] = fbits (1.0f);
    op->pre[1].groups[0] = (tiles + bn - 1) / bn;
    op->pre[1].groups[1] = (cout + bm - 1) / bm;
    op->pre[1].groups[2] = 16;
  }
  {
    guint32 spec[] = { ELT_WG, (guint32) cout * tiles, cout, h, w, th, tw, 1, op->bias != NULL,
                       act, fbits (alpha) };

    op->shader = "winograd";
    op->algo = "vk-winograd";
    memcpy (op->spec, spec, sizeof spec);
    op->n_spec = G_N_ELEMENTS (spec);
    grid_1d (op, (guint64) cout * tiles, limits);
  }
}

static gboolean
build_conv (const NdGraph *graph, const NdNode *node, const NdNode *bn, int act, float alpha,
            int batch, const VkPhysicalDeviceProperties *props, NdVkOp *op)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  const NdNode *in = nd_graph_node (graph, node->inputs[0]);
  int g = node->p.groups, k = node->p.kernel, s = node->p.stride, pad = node->p.pad;
  int kw = nd_op_kernel_w (&node->p), pad_w = nd_op_pad_w (&node->p);
  gboolean square = kw == k && pad_w == pad;
  int cin = in->out_c / g, cout = node->out_c / g, slices;
  guint64 total = (guint64) batch * node->out_c * node->out_h * node->out_w;
  guint32 bm, bn_tile;

  conv_weights (node, bn, op);
  if (use_winograd (node, in->out_c))
    {
      build_winograd (node, in, act, alpha, batch, props, op);
      return TRUE;
    }
  if (g == in->out_c && g == node->out_c && square)
    {
      guint32 spec[] = { ELT_WG, (guint32) total, node->out_c, in->out_h, in->out_w, node->out_h,
                         node->out_w, k, s, pad, op->bias != NULL, act, fbits (alpha) };

      op->shader = "dwconv";
      op->algo = "vk-depthwise";
      memcpy (op->spec, spec, sizeof spec);
      op->n_spec = G_N_ELEMENTS (spec);
      grid_1d (op, total, limits);
      return TRUE;
    }
  if (k == 1 && s == 1 && pad == 0 && square)
    {
      int hw = node->out_h * node->out_w;
      guint32 spec[] = { 0, 0, 0, 16, cout, hw, cin, g, hw, 1, (guint32) in->out_c * hw,
                         hw, 1, (guint32) node->out_c * hw, op->bias != NULL, act,
                         fbits (alpha), 0 };

      op->shader = "gemm";
      gemm_grid (op, spec, cout, hw, (guint32) batch * g, limits, "vk-gemm1x1");
      memcpy (op->spec, spec, sizeof spec);
      op->n_spec = G_N_ELEMENTS (spec);
      slices = hw <= GEMV_MAX_N ? 1
               : split_k_slices ((guint64) op->groups[0] * op->groups[1] * op->groups[2], cin,
                                 min_groups (props));
      if (slices > 1)
        {
          split_k_setup (op, slices, (guint32) batch * g, total, node->out_c, hw, act, alpha,
                         limits);
          op->algo = "vk-gemm1x1-splitk";
        }
      return TRUE;
    }
  {
    int n = node->out_h * node->out_w;
    guint32 spec[] = { 0, 0, 0, 16, cin, in->out_h, in->out_w, cout, node->out_h, node->out_w,
                       k, s, pad, g, op->bias != NULL, act, fbits (alpha) };

    pick_tiles (cout, n, limits, &bm, &bn_tile);
    spec[0] = (bm / 4) * (bn_tile / 4);
    spec[1] = bm;
    spec[2] = bn_tile;
    op->shader = "conv2d";
    op->algo = "vk-implicit-gemm";
    memcpy (op->spec, spec, sizeof spec);
    op->spec[20] = kw;        /* conv2d.comp KW, PW (past the 17 above; nd_vk_op_build passes
                               * all ND_VK_N_SPEC) */
    op->spec[21] = pad_w;
    op->n_spec = 22;
    op->groups[0] = (n + bn_tile - 1) / bn_tile;
    op->groups[1] = (cout + bm - 1) / bm;
    op->groups[2] = (guint32) batch * g;
    slices = split_k_slices ((guint64) op->groups[0] * op->groups[1] * op->groups[2],
                             cin * k * kw, min_groups (props));
    if (slices > 1)
      {
        split_k_setup (op, slices, (guint32) batch * g, total, node->out_c, n, act, alpha,
                       limits);
        op->algo = "vk-implicit-gemm-splitk";
      }
  }
  return TRUE;
}

static void
build_linear (const NdGraph *graph, const NdNode *node, int act, float alpha, int batch,
              const VkPhysicalDeviceProperties *props, NdVkOp *op)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  const NdNode *in = nd_graph_node (graph, node->inputs[0]);
  int k = in->out_c * in->out_h * in->out_w, m = node->out_c;
  guint32 spec[] = { 0, 0, 0, 16, m, batch, k, 1, 1, k, 0, 1, m, 0, 1, act, fbits (alpha), 0 };

  op->n_weight = node->w[ND_W_WEIGHT]->numel;
  op->weight = g_memdup2 (node->w[ND_W_WEIGHT]->data, op->n_weight * sizeof (float));
  op->n_bias = m;
  op->bias = g_memdup2 (node->w[ND_W_BIAS]->data, m * sizeof (float));
  op->shader = "gemm";
  gemm_grid (op, spec, m, batch, 1, limits, "vk-gemm");
  memcpy (op->spec, spec, sizeof spec);
  op->n_spec = G_N_ELEMENTS (spec);
}

static void
build_eltwise (const NdNode *node, int elt, int act, float act_alpha, int batch,
               const VkPhysicalDeviceLimits *limits, NdVkOp *op)
{
  guint64 total = (guint64) batch * node->out_c * node->out_h * node->out_w;
  guint32 spec[] = { ELT_WG, (guint32) total, node->out_c, node->out_h * node->out_w, elt,
                     node->n_inputs, fbits (node->op == ND_OP_GATE ? node->p.alpha : 1.0f), act,
                     fbits (act_alpha) };

  op->shader = "eltwise";
  op->algo = "vk-eltwise";
  memcpy (op->spec, spec, sizeof spec);
  op->n_spec = G_N_ELEMENTS (spec);
  grid_1d (op, total, limits);
  if (elt == ELT_BN)
    {
      op->n_weight = op->n_bias = node->out_c;
      op->weight = g_new (float, node->out_c);
      op->bias = g_new (float, node->out_c);
      for (int c = 0; c < node->out_c; c++)
        {
          double s, t;

          bn_scale_shift (node, &s, &t, c);
          op->weight[c] = (float) s;
          op->bias[c] = (float) t;
        }
    }
}

static gboolean
build_op (const NdGraph *graph, const NdNode *head, const NdNode *bn, const NdNode *act,
          int batch, const VkPhysicalDeviceProperties *props, NdVkOp *op, GError **error)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  int a = act_code (act);
  float alpha = act != NULL && act->op == ND_OP_LEAKY_RELU ? act->p.alpha : 0.0f;
  const NdNode *in = head->n_inputs > 0 ? nd_graph_node (graph, head->inputs[0]) : NULL;
  guint64 total = (guint64) batch * head->out_c * head->out_h * head->out_w;

  memset (op, 0, sizeof *op);
  if (total >= G_MAXUINT32)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("Node %d is too large for the Vulkan backend (%" G_GUINT64_FORMAT
                     " values)"), head->id, total);
      return FALSE;
    }
  switch (head->op)
    {
    case ND_OP_CONV2D:
      return build_conv (graph, head, bn, a, alpha, batch, props, op);
    case ND_OP_LINEAR:
      build_linear (graph, head, a, alpha, batch, props, op);
      return TRUE;
    case ND_OP_BATCHNORM:
      build_eltwise (head, ELT_BN, a, alpha, batch, limits, op);
      return TRUE;
    case ND_OP_ADD:
      build_eltwise (head, ELT_ADD, a, alpha, batch, limits, op);
      return TRUE;
    case ND_OP_GATE:
      build_eltwise (head, ELT_GATE, a, alpha, batch, limits, op);
      return TRUE;
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
      build_eltwise (head, ELT_ACT, act_code (head),
                     head->op == ND_OP_LEAKY_RELU ? head->p.alpha : 0.0f, batch, limits, op);
      return TRUE;
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      {
        int mode = head->op == ND_OP_AVGPOOL ? POOL_AVG : head->op == ND_OP_MAXPOOL ? POOL_MAX
                   : head->op == ND_OP_ADAPTIVE_AVGPOOL ? POOL_ADAPTIVE_AVG : POOL_ADAPTIVE_MAX;
        gboolean global = (mode == POOL_ADAPTIVE_AVG || mode == POOL_ADAPTIVE_MAX)
                          && head->out_h == 1 && head->out_w == 1;
        guint32 spec[] = { ELT_WG, (guint32) total, in->out_h, in->out_w, head->out_h,
                           head->out_w, head->p.kernel, head->p.stride, head->p.pad,
                           global ? mode + 2 : mode };

        op->shader = "pool";
        op->algo = global ? "vk-global-pool" : "vk-pool";
        memcpy (op->spec, spec, sizeof spec);
        op->n_spec = G_N_ELEMENTS (spec);
        /* Global: one workgroup per plane (grid_1d counts ELT_WG items per group). */
        grid_1d (op, global ? total * ELT_WG : total, limits);
        return TRUE;
      }
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
      {
        gboolean cat = head->op == ND_OP_CONCAT_INTERLEAVE;
        guint32 spec[] = { ELT_WG, (guint32) total, head->out_c, head->out_h * head->out_w,
                           cat ? 1 : head->p.groups, cat ? LAYOUT_CONCAT : LAYOUT_SHUFFLE };

        op->shader = "layout";
        op->algo = cat ? "vk-concat" : "vk-shuffle";
        memcpy (op->spec, spec, sizeof spec);
        op->n_spec = G_N_ELEMENTS (spec);
        grid_1d (op, total, limits);
        return TRUE;
      }
    case ND_OP_CONCAT:
    case ND_OP_SLICE:
      {
        gboolean cat = head->op == ND_OP_CONCAT;
        guint32 spec[] = { ELT_WG, (guint32) total, head->out_c, head->out_h * head->out_w, 1,
                           cat ? LAYOUT_CAT : LAYOUT_SLICE, 1, 1, 1, head->p.offset,
                           in->out_c };

        /* unused inputs' channel counts stay 1: the shader never reaches them */
        for (int k = 0; cat && k < MIN (head->n_inputs, 3); k++)
          spec[6 + k] = nd_graph_node (graph, head->inputs[k])->out_c;
        op->shader = "layout";
        op->algo = cat ? "vk-concat-n" : "vk-slice";
        memcpy (op->spec, spec, sizeof spec);
        op->n_spec = G_N_ELEMENTS (spec);
        grid_1d (op, total, limits);
        return TRUE;
      }
    case ND_OP_SOFTMAX:
      {
        guint64 pixels = (guint64) batch * head->out_h * head->out_w;
        guint32 spec[] = { ELT_WG, (guint32) pixels, head->out_c, head->out_h * head->out_w };

        op->shader = "softmax";
        op->algo = "vk-softmax";
        memcpy (op->spec, spec, sizeof spec);
        op->n_spec = G_N_ELEMENTS (spec);
        grid_1d (op, pixels, limits);
        return TRUE;
      }
    default:
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("The Vulkan backend has no kernel for %s"), nd_op_name (head->op));
      return FALSE;
    }
}

gboolean
nd_vk_op_build (const NdGraph *graph, const NdNode *head, const NdNode *bn,
                const NdVkEpilogue *epi, const NdNode *act, int batch,
                const VkPhysicalDeviceProperties *props, NdVkOp *op, GError **error)
{
  if (!build_op (graph, head, bn, act, batch, props, op, error))
    return FALSE;
  g_assert (op->n_spec <= 24);
  op->n_spec = ND_VK_N_SPEC;
  if (epi != NULL)
    {
      g_return_val_if_fail (nd_vk_op_has_epilogue (head), FALSE);
      op->spec[24] = epi->n_res;
      op->spec[25] = epi->gate;
      op->spec[26] = epi->gate_first;
      op->spec[27] = fbits (epi->gate_alpha);
    }
  else
    op->spec[27] = fbits (1.0f);
  return TRUE;
}

void
nd_vk_op_clear (NdVkOp *op)
{
  g_clear_pointer (&op->weight, g_free);
  g_clear_pointer (&op->bias, g_free);
}
