/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-vk-ops.h"

/* Op codes, activation codes and specialization-constant ids come from the ABI header the
 * shaders include too (vulkan_shaders/nd-shader-abi.h); every spec array is filled by name. */

#define ELT_WG 64

int
nd_vk_act_code (const NdNode *act)
{
  if (act == NULL)
    return ND_ACT_NONE;
  switch (act->op)
    {
    case ND_OP_RELU: return ND_ACT_RELU;
    case ND_OP_SILU: return ND_ACT_SILU;
    case ND_OP_SIGMOID: return ND_ACT_SIGMOID;
    case ND_OP_LEAKY_RELU: return ND_ACT_LEAKY;
    case ND_OP_RELU6: return ND_ACT_RELU6;
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
  if (nd_vk_act_code (act) <= ND_ACT_NONE)
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

void
nd_vk_bn_scale_shift (const NdNode *bn, double *scale, double *shift, int c)
{
  double g = bn->w[ND_W_WEIGHT]->data[c], b = bn->w[ND_W_BIAS]->data[c];
  double mu = bn->w[ND_W_MEAN]->data[c], var = bn->w[ND_W_VAR]->data[c];

  *scale = g / sqrt (var + bn->p.eps);
  *shift = b - mu * *scale;
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

/* A GEMM tile: BM×BN of C per workgroup, an RM×RN register block per invocation; K is
 * staged TILE_BK at a time, at most STAGE_MAX values of A and of B per invocation. */
#define TILE_BK 16
#define STAGE_MAX 16
typedef struct
{
  guint32 bm, bn, rm, rn;
} Tile;

/* The kernel variants a convolution can be timed in (nd-vk-tune.c): the rules of this file,
 * or one of their choices forced where the op has it (elsewhere the rules stand). */
static const struct
{
  const char *name;
  int         winograd;   /* -1: the rule; 0: none; 2 or 4: that output tile */
  Tile        tile;       /* zeros: the rule */
  gboolean    no_split;
  gboolean    no_coopmat;
} variants[ND_VK_N_VARIANTS] = {
  [ND_VK_VARIANT_RULES] = { "rules", -1, { 0 }, FALSE, FALSE },
  { "winograd-off", 0, { 0 }, FALSE, FALSE },
  { "winograd-f23", 2, { 0 }, FALSE, FALSE },
  { "winograd-f43", 4, { 0 }, FALSE, FALSE },
  { "tile-32x32x4x4", -1, { 32, 32, 4, 4 }, FALSE, FALSE },
  { "tile-64x64x4x4", -1, { 64, 64, 4, 4 }, FALSE, FALSE },
  { "tile-64x64x8x8", -1, { 64, 64, 8, 8 }, FALSE, FALSE },
  { "tile-128x64x8x4", -1, { 128, 64, 8, 4 }, FALSE, FALSE },
  { "tile-128x128x8x8", -1, { 128, 128, 8, 8 }, FALSE, FALSE },
  { "split-k-off", -1, { 0 }, TRUE, FALSE },
  /* float16 plans: the tiled products on float32 FMA instead of cooperative matrices */
  { "coopmat-off", -1, { 0 }, FALSE, TRUE },
};

gboolean
nd_vk_variant_allows_coopmat (int variant)
{
  return !variants[variant].no_coopmat;
}

const char *
nd_vk_variant_name (int variant)
{
  g_return_val_if_fail (variant >= 0 && variant < ND_VK_N_VARIANTS, NULL);
  return variants[variant].name;
}

int
nd_vk_variant_from_name (const char *name)
{
  for (int v = 0; v < ND_VK_N_VARIANTS; v++)
    if (g_strcmp0 (name, variants[v].name) == 0)
      return v;
  return -1;
}

/* A tile the shader can run: sizes it knows, a workgroup within the device's limit and at
 * most 16 staged values of A and of B per invocation (nd-gemm-tile.glsl's STAGE_MAX). */
static gboolean
tile_valid (const Tile *t, guint32 max_wg)
{
  guint32 wg = (t->bm / t->rm) * (t->bn / t->rn);

  return (t->bm == 16 || t->bm == 32 || t->bm == 64 || t->bm == 128)
         && (t->bn == 16 || t->bn == 32 || t->bn == 64 || t->bn == 128)
         && (t->rm == 4 || t->rm == 8) && (t->rn == 4 || t->rn == 8)
         && t->bm % t->rm == 0 && t->bn % t->rn == 0 && wg <= max_wg
         && TILE_BK * t->bm <= STAGE_MAX * wg && TILE_BK * t->bn <= STAGE_MAX * wg;
}

/* The tile for an M×N product done @z times. GPUs: 128×128 with 8×8 blocks when M and N
 * are both ≥ 128 and that grid still has @fill workgroups (a large 1×1 convolution: shared-memory bandwidth is its
 * limit, and 8×8 does 64 FMAs per 4 shared loads against 4×4's 16 per 2), else 64×64 or
 * smaller with 4×4; a CPU device (lavapipe) always the latter. ND_VK_TILE=BMxBNxRMxRN
 * (e.g. 64x64x8x8) forces one tile on every product it is valid for, to compare them. */
static Tile
pick_tile (int m, int n, guint32 z, guint32 fill, const VkPhysicalDeviceProperties *props,
           int variant)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  guint32 max_wg = MIN (limits->maxComputeWorkGroupInvocations,
                        limits->maxComputeWorkGroupSize[0]);
  const char *env = g_getenv ("ND_VK_TILE");
  Tile t = { 0, 0, 4, 4 };

  if (env != NULL
      && sscanf (env, "%" G_GUINT32_FORMAT "x%" G_GUINT32_FORMAT "x%" G_GUINT32_FORMAT
                 "x%" G_GUINT32_FORMAT, &t.bm, &t.bn, &t.rm, &t.rn) == 4
      && tile_valid (&t, max_wg))
    return t;
  if (variants[variant].tile.bm != 0 && tile_valid (&variants[variant].tile, max_wg))
    return variants[variant].tile;
  t = (Tile) { 128, 128, 8, 8 };
  if (props->deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU && tile_valid (&t, max_wg)
      && m >= 128 && n >= 128 && (guint64) ((m + 127) / 128) * ((n + 127) / 128) * z >= fill)
    return t;
  t = (Tile) { m <= 16 ? 16 : m <= 32 ? 32 : 64, n <= 16 ? 16 : n <= 32 ? 32 : 64, 4, 4 };
  while ((t.bm / 4) * (t.bn / 4) > max_wg)
    {
      if (t.bn > 16)
        t.bn /= 2;
      else
        t.bm /= 2;
    }
  return t;
}

/* Fills a tiled shader's tile constants and its grid (x over N, y over M, z products). */
static void
tile_setup (guint32 *spec, guint32 *groups, int m, int n, guint32 z,
            const VkPhysicalDeviceProperties *props, int variant)
{
  Tile t = pick_tile (m, n, z, min_groups (props) / 2, props, variant);

  spec[ND_SPEC_WG] = (t.bm / t.rm) * (t.bn / t.rn);
  spec[ND_TILE_BM] = t.bm;
  spec[ND_TILE_BN] = t.bn;
  spec[ND_TILE_RM] = t.rm;
  spec[ND_TILE_RN] = t.rn;
  groups[0] = (n + t.bn - 1) / t.bn;
  groups[1] = (m + t.bm - 1) / t.bm;
  groups[2] = z;
}

/* Split-K slices for a grid of @groups workgroups over K = @k: doubled while the grid is
 * short of @want and each slice keeps at least 128 of K (so the extra pass stays cheap). */
static int
split_k_slices (guint64 groups, int k, guint32 want, int variant)
{
  int slices = 1;

  if (variants[variant].no_split)
    return 1;
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
  guint32 spec[ND_N_SPEC] = {
    [ND_SPEC_WG] = ELT_WG, [ND_SPLITK_TOTAL] = (guint32) total, [ND_SPLITK_SLICES] = slices,
    [ND_SPLITK_C] = channels, [ND_SPLITK_HW] = hw, [ND_SPLITK_HAS_BIAS] = op->bias != NULL,
    [ND_SPLITK_ACT] = act, [ND_SPLITK_ACT_ALPHA] = fbits (alpha),
  };

  op->n_pre = 1;
  op->pre[0].shader = op->shader;
  memcpy (op->pre[0].spec, op->spec, sizeof op->spec);
  op->pre[0].spec[ND_TILE_SPLIT_K] = slices;
  op->pre[0].spec[ND_TILE_ZN] = zn;
  op->pre[0].spec[ND_EPI_GATE_ALPHA] = fbits (1.0f);
  memcpy (op->pre[0].groups, op->groups, sizeof op->groups);
  op->pre[0].groups[2] *= slices;
  op->scratch[0] = (gsize) slices * total;
  memcpy (op->spec, spec, sizeof spec);
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
           const VkPhysicalDeviceProperties *props, int variant, const char *tiled)
{
  if (n <= GEMV_MAX_N)
    {
      spec[ND_SPEC_WG] = ELT_WG;
      spec[ND_TILE_BM] = 64;
      spec[ND_TILE_BN] = 16;
      spec[ND_TILE_RM] = 4;
      spec[ND_TILE_RN] = 4;
      spec[ND_GEMM_GEMV] = 1;
      op->groups[0] = n;
      op->groups[1] = m;
      op->groups[2] = z;
      op->algo = "vk-gemv";
      return;
    }
  tile_setup (spec, op->groups, m, n, z, props, variant);
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

          nd_vk_bn_scale_shift (bn, &s, &t, o);
          for (gsize i = 0; i < per; i++)
            op->weight[o * per + i] = (float) (w->data[o * per + i] * s);
          b = b * s + t;
        }
      op->bias[o] = (float) b;
    }
}

/* U[e][o][i] = (G g Gᵀ)[e] for each 3×3 kernel g (BN already folded into op->weight), e over
 * the (m+2)² transformed taps; F(2,3): G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], F(4,3): Lavin's
 * G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1]. */
static float *
winograd_weights (const float *w, int cout, int cin, int m)
{
  static const double G2[4][3] = { { 1, 0, 0 }, { .5, .5, .5 }, { .5, -.5, .5 }, { 0, 0, 1 } };
  static const double G4[6][3] = {
    { 1 / 4., 0, 0 }, { -1 / 6., -1 / 6., -1 / 6. }, { -1 / 6., 1 / 6., -1 / 6. },
    { 1 / 24., 1 / 12., 1 / 6. }, { 1 / 24., -1 / 12., 1 / 6. }, { 0, 0, 1 },
  };
  const double (*G)[3] = m == 4 ? G4 : G2;
  int a = m + 2;
  float *u = g_new (float, (gsize) a * a * cout * cin);

  for (int o = 0; o < cout; o++)
    for (int i = 0; i < cin; i++)
      {
        const float *g = w + ((gsize) o * cin + i) * 9;
        double t[6][3];

        for (int r = 0; r < a; r++)
          for (int q = 0; q < 3; q++)
            t[r][q] = G[r][0] * g[q] + G[r][1] * g[3 + q] + G[r][2] * g[6 + q];
        for (int r = 0; r < a; r++)
          for (int q = 0; q < a; q++)
            u[((gsize) (r * a + q) * cout + o) * cin + i]
              = (float) (t[r][0] * G[q][0] + t[r][1] * G[q][1] + t[r][2] * G[q][2]);
      }
  return u;
}

/* Winograd for 3×3 stride-1 pad-1 dense convolutions with enough channels to amortise the
 * transforms (ncnn's rule: ≥ 16 in and out) and a map of at least 8×8: on lavapipe
 * (RepVGG-A0 at 64) F(2,3) halves the time of the 16×16 and 8×8 layers but is slower at
 * 4×4, where the 16 transformed weight matrices outweigh the 4 tiles they serve. The output
 * tile m: 4 where a map has ≥ 49 such tiles (28×28 and up), so its GEMMs keep their width,
 * else 2. Returns m, or 0 for no Winograd. ND_VK_WINOGRAD=0 turns it off, =2 or =4 forces
 * that m, for comparisons; then a timed @variant's choice. */
static int
use_winograd (const NdNode *node, int cin, int variant)
{
  const char *env = g_getenv ("ND_VK_WINOGRAD");
  int h = node->out_h, w = node->out_w;

  if (!(nd_op_is_square (&node->p, 3, 1) && node->p.stride == 1 && node->p.groups == 1
        && cin >= 16 && node->out_c >= 16 && h * w >= 64)
      || g_strcmp0 (env, "0") == 0)
    return 0;
  if (g_strcmp0 (env, "2") == 0 || g_strcmp0 (env, "4") == 0)
    return env[0] - '0';
  if (variants[variant].winograd >= 0)
    return variants[variant].winograd;
  return ((h + 3) / 4) * ((w + 3) / 4) >= 49 ? 4 : 2;
}

static void
build_winograd (const NdNode *node, const NdNode *in, int m, int act, float alpha, int batch,
                const VkPhysicalDeviceProperties *props, int variant, NdVkOp *op)
{
  int cin = in->out_c, cout = node->out_c, h = node->out_h, w = node->out_w;
  int th = (h + m - 1) / m, tw = (w + m - 1) / m, tiles = batch * th * tw, taps = (m + 2) * (m + 2);
  const VkPhysicalDeviceLimits *limits = &props->limits;
  float *u = winograd_weights (op->weight, cout, cin, m);

  g_free (op->weight);
  op->weight = u;
  op->n_weight = (gsize) taps * cout * cin;
  op->n_pre = 2;
  op->scratch[0] = (gsize) taps * cin * tiles;
  op->scratch[1] = (gsize) taps * cout * tiles;
  {
    guint32 spec[ND_N_SPEC] = {
      [ND_SPEC_WG] = ELT_WG, [ND_WINO_TOTAL] = (guint32) cin * tiles, [ND_WINO_C] = cin,
      [ND_WINO_H] = h, [ND_WINO_W] = w, [ND_WINO_TH] = th, [ND_WINO_TW] = tw,
      [ND_WINO_MODE] = 0, [ND_EPI_GATE_ALPHA] = fbits (1.0f),
    };
    NdVkOp tmp = { 0 };

    op->pre[0].shader = m == 4 ? "winograd-f43" : "winograd";
    memcpy (op->pre[0].spec, spec, sizeof spec);
    grid_1d (&tmp, (guint64) cin * tiles, limits);
    memcpy (op->pre[0].groups, tmp.groups, sizeof tmp.groups);
  }
  {
    /* (m+2)² independent [C_out × C_in] · [C_in × tiles] products, as as many "groups". */
    guint32 spec[ND_N_SPEC] = {
      [ND_TILE_BK] = TILE_BK, [ND_GEMM_M] = cout, [ND_GEMM_N] = tiles, [ND_GEMM_K] = cin,
      [ND_GEMM_G] = taps, [ND_GEMM_SBK] = tiles, [ND_GEMM_SBN] = 1, [ND_GEMM_B_BATCH] = 0,
      [ND_GEMM_SCM] = tiles, [ND_GEMM_SCN] = 1, [ND_GEMM_C_BATCH] = 0,
      [ND_EPI_GATE_ALPHA] = fbits (1.0f),
    };

    tile_setup (spec, op->pre[1].groups, cout, tiles, taps, props, variant);
    op->pre[1].shader = "gemm";
    memcpy (op->pre[1].spec, spec, sizeof spec);
  }
  {
    guint32 spec[ND_N_SPEC] = {
      [ND_SPEC_WG] = ELT_WG, [ND_WINO_TOTAL] = (guint32) cout * tiles, [ND_WINO_C] = cout,
      [ND_WINO_H] = h, [ND_WINO_W] = w, [ND_WINO_TH] = th, [ND_WINO_TW] = tw,
      [ND_WINO_MODE] = 1, [ND_WINO_HAS_BIAS] = op->bias != NULL, [ND_WINO_ACT] = act,
      [ND_WINO_ACT_ALPHA] = fbits (alpha),
    };

    op->shader = m == 4 ? "winograd-f43" : "winograd";
    op->algo = m == 4 ? "vk-winograd-f43" : "vk-winograd";
    memcpy (op->spec, spec, sizeof spec);
    grid_1d (op, (guint64) cout * tiles, limits);
  }
}

static gboolean
build_conv (const NdGraph *graph, const NdNode *node, const NdNode *bn, int act, float alpha,
            int batch, const VkPhysicalDeviceProperties *props, int variant, NdVkOp *op)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  const NdNode *in = nd_graph_node (graph, node->inputs[0]);
  int g = node->p.groups, k = node->p.kernel, s = node->p.stride, pad = node->p.pad;
  int kw = nd_op_kernel_w (&node->p), pad_w = nd_op_pad_w (&node->p);
  gboolean square = kw == k && pad_w == pad;
  int cin = in->out_c / g, cout = node->out_c / g, slices, wino;
  guint64 total = (guint64) batch * node->out_c * node->out_h * node->out_w;

  conv_weights (node, bn, op);
  if ((wino = use_winograd (node, in->out_c, variant)) > 0)
    {
      build_winograd (node, in, wino, act, alpha, batch, props, variant, op);
      return TRUE;
    }
  if (g == in->out_c && g == node->out_c && square)
    {
      guint32 spec[ND_N_SPEC] = {
        [ND_SPEC_WG] = ELT_WG, [ND_DW_TOTAL] = (guint32) total, [ND_DW_C] = node->out_c,
        [ND_DW_H] = in->out_h, [ND_DW_W] = in->out_w, [ND_DW_OH] = node->out_h,
        [ND_DW_OW] = node->out_w, [ND_DW_K] = k, [ND_DW_S] = s, [ND_DW_P] = pad,
        [ND_DW_HAS_BIAS] = op->bias != NULL, [ND_DW_ACT] = act,
        [ND_DW_ACT_ALPHA] = fbits (alpha),
      };

      op->shader = "dwconv";
      op->algo = "vk-depthwise";
      memcpy (op->spec, spec, sizeof spec);
      grid_1d (op, total, limits);
      return TRUE;
    }
  if (k == 1 && s == 1 && pad == 0 && square)
    {
      int hw = node->out_h * node->out_w;
      guint32 spec[ND_N_SPEC] = {
        [ND_TILE_BK] = TILE_BK, [ND_GEMM_M] = cout, [ND_GEMM_N] = hw, [ND_GEMM_K] = cin,
        [ND_GEMM_G] = g, [ND_GEMM_SBK] = hw, [ND_GEMM_SBN] = 1,
        [ND_GEMM_B_BATCH] = (guint32) in->out_c * hw, [ND_GEMM_SCM] = hw, [ND_GEMM_SCN] = 1,
        [ND_GEMM_C_BATCH] = (guint32) node->out_c * hw, [ND_TILE_HAS_BIAS] = op->bias != NULL,
        [ND_TILE_ACT] = act, [ND_TILE_ACT_ALPHA] = fbits (alpha), [ND_GEMM_GEMV] = 0,
      };

      op->shader = "gemm";
      gemm_grid (op, spec, cout, hw, (guint32) batch * g, props, variant, "vk-gemm1x1");
      memcpy (op->spec, spec, sizeof spec);
      slices = hw <= GEMV_MAX_N ? 1
               : split_k_slices ((guint64) op->groups[0] * op->groups[1] * op->groups[2], cin,
                                 min_groups (props), variant);
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
    guint32 spec[ND_N_SPEC] = {
      [ND_TILE_BK] = TILE_BK, [ND_CONV_CIN] = cin, [ND_CONV_H] = in->out_h, [ND_CONV_W] = in->out_w,
      [ND_CONV_COUT] = cout, [ND_CONV_OH] = node->out_h, [ND_CONV_OW] = node->out_w,
      [ND_CONV_KS] = k, [ND_CONV_S] = s, [ND_CONV_P] = pad, [ND_CONV_G] = g,
      [ND_TILE_HAS_BIAS] = op->bias != NULL, [ND_TILE_ACT] = act,
      [ND_TILE_ACT_ALPHA] = fbits (alpha),
    };

    tile_setup (spec, op->groups, cout, n, (guint32) batch * g, props, variant);
    op->shader = "conv2d";
    op->algo = "vk-implicit-gemm";
    memcpy (op->spec, spec, sizeof spec);
    op->spec[ND_CONV_KW] = kw;
    op->spec[ND_CONV_PW] = pad_w;
    slices = split_k_slices ((guint64) op->groups[0] * op->groups[1] * op->groups[2],
                             cin * k * kw, min_groups (props), variant);
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
  const NdNode *in = nd_graph_node (graph, node->inputs[0]);
  int k = in->out_c * in->out_h * in->out_w, m = node->out_c;
  guint32 spec[ND_N_SPEC] = {
    [ND_TILE_BK] = TILE_BK, [ND_GEMM_M] = m, [ND_GEMM_N] = batch, [ND_GEMM_K] = k, [ND_GEMM_G] = 1,
    [ND_GEMM_SBK] = 1, [ND_GEMM_SBN] = k, [ND_GEMM_B_BATCH] = 0, [ND_GEMM_SCM] = 1,
    [ND_GEMM_SCN] = m, [ND_GEMM_C_BATCH] = 0, [ND_TILE_HAS_BIAS] = 1, [ND_TILE_ACT] = act,
    [ND_TILE_ACT_ALPHA] = fbits (alpha), [ND_GEMM_GEMV] = 0,
  };

  op->n_weight = node->w[ND_W_WEIGHT]->numel;
  op->weight = g_memdup2 (node->w[ND_W_WEIGHT]->data, op->n_weight * sizeof (float));
  op->n_bias = m;
  op->bias = g_memdup2 (node->w[ND_W_BIAS]->data, m * sizeof (float));
  op->shader = "gemm";
  gemm_grid (op, spec, m, batch, 1, props, ND_VK_VARIANT_RULES, "vk-gemm");
  memcpy (op->spec, spec, sizeof spec);
}

static void
build_eltwise (const NdNode *node, int elt, int act, float act_alpha, int batch,
               const VkPhysicalDeviceLimits *limits, NdVkOp *op)
{
  guint64 total = (guint64) batch * node->out_c * node->out_h * node->out_w;
  guint32 spec[ND_N_SPEC] = {
    [ND_SPEC_WG] = ELT_WG, [ND_ELT_TOTAL] = (guint32) total, [ND_ELT_C] = node->out_c,
    [ND_ELT_HW] = node->out_h * node->out_w, [ND_ELT_OP] = elt, [ND_ELT_N_IN] = node->n_inputs,
    [ND_ELT_OP_ALPHA] = fbits (node->op == ND_OP_GATE ? node->p.alpha : 1.0f),
    [ND_ELT_ACT] = act, [ND_ELT_ACT_ALPHA] = fbits (act_alpha),
  };

  op->shader = "eltwise";
  op->algo = "vk-eltwise";
  memcpy (op->spec, spec, sizeof spec);
  grid_1d (op, total, limits);
  if (elt == ND_ELT_BN)
    {
      op->n_weight = op->n_bias = node->out_c;
      op->weight = g_new (float, node->out_c);
      op->bias = g_new (float, node->out_c);
      for (int c = 0; c < node->out_c; c++)
        {
          double s, t;

          nd_vk_bn_scale_shift (node, &s, &t, c);
          op->weight[c] = (float) s;
          op->bias[c] = (float) t;
        }
    }
}

static gboolean
build_op (const NdGraph *graph, const NdNode *head, const NdNode *bn, const NdNode *act,
          int batch, const VkPhysicalDeviceProperties *props, int variant, NdVkOp *op,
          GError **error)
{
  const VkPhysicalDeviceLimits *limits = &props->limits;
  int a = nd_vk_act_code (act);
  float alpha = act != NULL && act->op == ND_OP_LEAKY_RELU ? act->p.alpha : 0.0f;
  const NdNode *in = head->n_inputs > 0 ? nd_graph_node (graph, head->inputs[0]) : NULL;
  guint64 total = (guint64) batch * head->out_c * head->out_h * head->out_w;

  memset (op, 0, sizeof *op);
  if (total >= G_MAXUINT32)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED,
                   _("Node %d is too large for the Vulkan backend (%" PRIu64
                     " values)"), head->id, total);
      return FALSE;
    }
  switch (head->op)
    {
    case ND_OP_CONV2D:
      return build_conv (graph, head, bn, a, alpha, batch, props, variant, op);
    case ND_OP_LINEAR:
      build_linear (graph, head, a, alpha, batch, props, op);
      return TRUE;
    case ND_OP_BATCHNORM:
      build_eltwise (head, ND_ELT_BN, a, alpha, batch, limits, op);
      return TRUE;
    case ND_OP_ADD:
      build_eltwise (head, ND_ELT_ADD, a, alpha, batch, limits, op);
      return TRUE;
    case ND_OP_GATE:
      build_eltwise (head, head->p.hard_gate ? ND_ELT_HGATE : ND_ELT_GATE, a, alpha, batch,
                     limits, op);
      return TRUE;
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
      build_eltwise (head, ND_ELT_ACT_ONLY, nd_vk_act_code (head),
                     head->op == ND_OP_LEAKY_RELU ? head->p.alpha : 0.0f, batch, limits, op);
      return TRUE;
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      {
        int mode = head->op == ND_OP_AVGPOOL ? ND_POOL_AVG
                   : head->op == ND_OP_MAXPOOL ? ND_POOL_MAX
                   : head->op == ND_OP_ADAPTIVE_AVGPOOL ? ND_POOL_ADAPTIVE_AVG
                   : ND_POOL_ADAPTIVE_MAX;
        gboolean global = (mode == ND_POOL_ADAPTIVE_AVG || mode == ND_POOL_ADAPTIVE_MAX)
                          && head->out_h == 1 && head->out_w == 1;
        guint32 spec[ND_N_SPEC] = {
          [ND_SPEC_WG] = ELT_WG, [ND_POOL_TOTAL] = (guint32) total, [ND_POOL_H] = in->out_h,
          [ND_POOL_W] = in->out_w, [ND_POOL_OH] = head->out_h, [ND_POOL_OW] = head->out_w,
          [ND_POOL_K] = head->p.kernel, [ND_POOL_S] = head->p.stride, [ND_POOL_P] = head->p.pad,
          [ND_POOL_MODE] = !global ? mode
                           : mode == ND_POOL_ADAPTIVE_AVG ? ND_POOL_GLOBAL_AVG
                           : ND_POOL_GLOBAL_MAX,
        };

        op->shader = "pool";
        op->algo = global ? "vk-global-pool" : "vk-pool";
        memcpy (op->spec, spec, sizeof spec);
        /* Global: one workgroup per plane (grid_1d counts ELT_WG items per group). */
        grid_1d (op, global ? total * ELT_WG : total, limits);
        return TRUE;
      }
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
      {
        gboolean cat = head->op == ND_OP_CONCAT_INTERLEAVE;
        guint32 spec[ND_N_SPEC] = {
          [ND_SPEC_WG] = ELT_WG, [ND_LAYOUT_TOTAL] = (guint32) total,
          [ND_LAYOUT_C] = head->out_c, [ND_LAYOUT_HW] = head->out_h * head->out_w,
          [ND_LAYOUT_G] = cat ? 1 : head->p.groups,
          [ND_LAYOUT_MODE] = cat ? ND_LAYOUT_CONCAT_INTERLEAVE : ND_LAYOUT_SHUFFLE,
        };

        op->shader = "layout";
        op->algo = cat ? "vk-concat" : "vk-shuffle";
        memcpy (op->spec, spec, sizeof spec);
        grid_1d (op, total, limits);
        return TRUE;
      }
    case ND_OP_CONCAT:
    case ND_OP_SLICE:
      {
        gboolean cat = head->op == ND_OP_CONCAT;
        static const int c_ids[3] = { ND_LAYOUT_C0, ND_LAYOUT_C1, ND_LAYOUT_C2 };
        /* unused inputs' channel counts stay 1: the shader never reaches them */
        guint32 spec[ND_N_SPEC] = {
          [ND_SPEC_WG] = ELT_WG, [ND_LAYOUT_TOTAL] = (guint32) total,
          [ND_LAYOUT_C] = head->out_c, [ND_LAYOUT_HW] = head->out_h * head->out_w,
          [ND_LAYOUT_G] = 1, [ND_LAYOUT_MODE] = cat ? ND_LAYOUT_CONCAT : ND_LAYOUT_SLICE,
          [ND_LAYOUT_C0] = 1, [ND_LAYOUT_C1] = 1, [ND_LAYOUT_C2] = 1,
          [ND_LAYOUT_OFFSET] = head->p.offset, [ND_LAYOUT_CIN] = in->out_c,
        };

        for (int k = 0; cat && k < MIN (head->n_inputs, 3); k++)
          spec[c_ids[k]] = nd_graph_node (graph, head->inputs[k])->out_c;
        op->shader = "layout";
        op->algo = cat ? "vk-concat-n" : "vk-slice";
        memcpy (op->spec, spec, sizeof spec);
        grid_1d (op, total, limits);
        return TRUE;
      }
    case ND_OP_SOFTMAX:
      {
        guint64 pixels = (guint64) batch * head->out_h * head->out_w;
        guint32 spec[ND_N_SPEC] = {
          [ND_SPEC_WG] = ELT_WG, [ND_SOFTMAX_TOTAL] = (guint32) pixels,
          [ND_SOFTMAX_C] = head->out_c, [ND_SOFTMAX_HW] = head->out_h * head->out_w,
        };

        op->shader = "softmax";
        op->algo = "vk-softmax";
        memcpy (op->spec, spec, sizeof spec);
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
                const VkPhysicalDeviceProperties *props, int variant, NdVkOp *op,
                GError **error)
{
  g_return_val_if_fail (variant >= 0 && variant < ND_VK_N_VARIANTS, FALSE);
  if (!build_op (graph, head, bn, act, batch, props, variant, op, error))
    return FALSE;
  op->n_spec = ND_N_SPEC;
  for (int k = 0; k < op->n_pre; k++)
    op->pre[k].n_spec = ND_N_SPEC;
  if (epi != NULL)
    {
      g_return_val_if_fail (nd_vk_op_has_epilogue (head), FALSE);
      op->spec[ND_EPI_N_RES] = epi->n_res;
      op->spec[ND_EPI_HAS_GATE] = epi->gate;
      op->spec[ND_EPI_GATE_FIRST] = epi->gate_first;
      op->spec[ND_EPI_GATE_ALPHA] = fbits (epi->gate_alpha);
    }
  else
    op->spec[ND_EPI_GATE_ALPHA] = fbits (1.0f);
  return TRUE;
}

guint
nd_vk_op_hash (const NdVkOp *op)
{
  guint h = g_str_hash (op->shader);

  for (int k = 0; k < ND_N_SPEC; k++)
    h = h * 1000003u + op->spec[k];
  for (int k = 0; k < 3; k++)
    h = h * 31u + op->groups[k];
  for (int p = 0; p < op->n_pre; p++)
    {
      h = h * 31u + g_str_hash (op->pre[p].shader);
      for (int k = 0; k < ND_N_SPEC; k++)
        h = h * 1000003u + op->pre[p].spec[k];
      for (int k = 0; k < 3; k++)
        h = h * 31u + op->pre[p].groups[k];
    }
  return h;
}

gboolean
nd_vk_op_supported (const NdNode *node, int batch)
{
  /* A test hook: op names (nd_op_name) to treat as unsupported, e.g. "gate,softmax". */
  const char *forced = g_getenv ("ND_VK_UNSUPPORTED");

  if (forced != NULL)
    {
      g_auto(GStrv) names = g_strsplit (forced, ",", -1);

      if (g_strv_contains ((const char * const *) names, nd_op_name (node->op)))
        return FALSE;
    }
  if ((guint64) batch * node->out_c * node->out_h * node->out_w >= G_MAXUINT32)
    return FALSE;
  switch (node->op)
    {
    case ND_OP_CONV2D: case ND_OP_LINEAR: case ND_OP_BATCHNORM: case ND_OP_ADD:
    case ND_OP_GATE: case ND_OP_RELU: case ND_OP_SILU: case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU: case ND_OP_AVGPOOL: case ND_OP_MAXPOOL:
    case ND_OP_ADAPTIVE_AVGPOOL: case ND_OP_ADAPTIVE_MAXPOOL: case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE: case ND_OP_SOFTMAX: case ND_OP_RELU6: case ND_OP_CONCAT:
    case ND_OP_SLICE:
      return TRUE;
    case ND_OP_INPUT: case ND_OP_COUNT: default:
      return FALSE;
    }
}

/* One dispatch, if it is a tiled gemm.comp product: 64×64 tiles of C on the kernel's fixed
 * workgroup of 128 (four 32-wide subgroups). */
static gboolean
coopmat_dispatch (const char **shader, const guint32 *spec, guint32 *groups)
{
  if (g_strcmp0 (*shader, "gemm") != 0 || spec[ND_GEMM_GEMV] != 0 || spec[ND_TILE_SPLIT_K] > 1)
    return FALSE;
  *shader = "gemm-coopmat-nv";
  groups[0] = (spec[ND_GEMM_N] + 63) / 64;
  groups[1] = (spec[ND_GEMM_M] + 63) / 64;
  return TRUE;
}

void
nd_vk_op_use_coopmat (NdVkOp *op)
{
  gboolean moved = coopmat_dispatch (&op->shader, op->spec, op->groups);

  for (int k = 0; k < op->n_pre; k++)
    moved |= coopmat_dispatch (&op->pre[k].shader, op->pre[k].spec, op->pre[k].groups);
  if (moved)
    {
      g_autofree char *algo = g_strconcat (op->algo, "-coopmat", NULL);

      op->algo = g_intern_string (algo);
    }
}

void
nd_vk_op_clear (NdVkOp *op)
{
  g_clear_pointer (&op->weight, g_free);
  g_clear_pointer (&op->bias, g_free);
}
