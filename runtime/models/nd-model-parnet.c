/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* ParNet (imankgoyal/NonDeepNetworks, simplenet_impl/simpnet.py) in training form, with the
 * module names of the official state_dict. See docs/reference/networks.md §1.1–1.3.
 *
 * Depth tags: inits.0.0, inits.0.1, inits.1, inits.2 are 1, 2, 3, 4; block i of stream k is
 * at (depth of the init that feeds stream k) + 1 + i; every other block is 1 + the largest
 * depth of its inputs; the head is one more. The official layout gives 12. */

#define PARNET_EPS 1e-5f

static const int parnet_planes[][4] = {
  { 92, 192, 384, 1280 },    /* s: the official yaml and checkpoint use 92, not 96 */
  { 128, 256, 512, 2048 },   /* m */
  { 160, 320, 640, 2560 },   /* l */
  { 200, 400, 800, 3200 },   /* xl */
};

/* One RepVGGBlock as RepVGGOur builds it (kernel 3, avg_pool, SE, SiLU), module prefix @p
 * (ending in ".block"). The caller has set the view tags. */
static int
parnet_block (NdBuild *b, int x, int c_out, int stride, int groups, const char *p)
{
  int c_in = nd_build_node_out_c (b, x);
  gboolean case_a = c_in == c_out && stride == 1;
  int identity = -1, dense, branch, gap, se, out;

  /* nodes in the official registration order: rbr_identity, rbr_dense, rbr_1x1, se */
  if (case_a)
    identity = nd_build_bn (b, x, PARNET_EPS, ND_ROLE_IDENTITY_BN, p, ".rbr_identity");
  dense = nd_build_conv (b, x, c_out, 3, stride, 1, groups, FALSE, ND_ROLE_DENSE3X3,
                         p, ".rbr_dense.conv");
  dense = nd_build_bn (b, dense, PARNET_EPS, ND_ROLE_DENSE3X3, p, ".rbr_dense.bn");

  if (stride == 2)
    {
      /* rbr_1x1 = Sequential(AvgPool2d(2, 2), conv_bn(1×1)): index 0 is the pool */
      branch = nd_build_pool (b, ND_OP_AVGPOOL, x, 2, 2, 0, ND_ROLE_BRANCH_POOL);
      branch = nd_build_conv (b, branch, c_out, 1, 1, 0, groups, FALSE, ND_ROLE_BRANCH1X1,
                              p, ".rbr_1x1.1.conv");
      branch = nd_build_bn (b, branch, PARNET_EPS, ND_ROLE_BRANCH1X1, p, ".rbr_1x1.1.bn");
    }
  else
    {
      branch = nd_build_conv (b, x, c_out, 1, 1, 0, groups, FALSE, ND_ROLE_BRANCH1X1,
                              p, ".rbr_1x1.conv");
      branch = nd_build_bn (b, branch, PARNET_EPS, ND_ROLE_BRANCH1X1, p, ".rbr_1x1.bn");
    }

  if (case_a)
    {
      /* Case A, RepVGG-SSE: SiLU(D + P + I·σ(W_se·GAP(I))), I = BN_id(x) */
      int sum[3];

      gap = nd_build_adaptive (b, ND_OP_ADAPTIVE_AVGPOOL, identity, 1, ND_ROLE_SSE_GATE, NULL);
      se = nd_build_conv (b, gap, c_out, 1, 1, 0, groups, FALSE, ND_ROLE_SSE_GATE,
                          p, ".se.cvsig.conv");
      sum[0] = dense;
      sum[1] = branch;
      sum[2] = nd_build_gate (b, identity, se, 1.0f, ND_ROLE_SSE_GATE);
      out = nd_build_add (b, sum, 3, ND_ROLE_MERGE);
    }
  else
    {
      /* Case B, downsampling/fusion: SiLU((D + P)·2σ(W_se·GAP(x))) */
      int sum[2] = { dense, branch };

      gap = nd_build_adaptive (b, ND_OP_ADAPTIVE_AVGPOOL, x, 1, ND_ROLE_SSE_GATE, NULL);
      se = nd_build_conv (b, gap, c_out, 1, 1, 0, groups, FALSE, ND_ROLE_SSE_GATE,
                          p, ".se.cvsig.conv");
      out = nd_build_add (b, sum, 2, ND_ROLE_MERGE);
      out = nd_build_gate (b, out, se, 2.0f, ND_ROLE_SSE_GATE);
    }
  out = nd_build_unary (b, ND_OP_SILU, out, 1.0f, ND_ROLE_ACTIVATION);
  if (groups > 1)
    out = nd_build_unary (b, ND_OP_CHANNEL_SHUFFLE, out, groups, ND_ROLE_SHUFFLE);
  return out;
}

/* Fusion module @f (downsamples_2.1, combine): MultiBatchNorm2d (b1 on the stream output @y,
 * b2 on the previous tensor @y_old) → interleaved concat → block(2C → @c_out, g = 2). */
static int
parnet_fusion (NdBuild *b, int y, int y_old, int c_out, int stride, const char *f)
{
  g_autofree char *block = g_strconcat (f, ".2.block", NULL);
  int b1, b2, cat;

  b1 = nd_build_bn (b, y, PARNET_EPS, ND_ROLE_FUSION_BN, f, ".0.b1");
  b2 = nd_build_bn (b, y_old, PARNET_EPS, ND_ROLE_FUSION_BN, f, ".0.b2");
  cat = nd_build_concat (b, b1, b2, ND_ROLE_CONCAT);
  return parnet_block (b, cat, c_out, stride, 2, block);
}

static int
plain_block (NdBuild *b, int x, int c_out, int stride, const char *m, int stream, int depth)
{
  g_autofree char *p = g_strconcat (m, ".block", NULL);

  nd_build_tags (b, stream, m, depth);
  return parnet_block (b, x, c_out, stride, 1, p);
}

/* The macro layout. With 3 streams it is the official SimpNet. With fewer, the fusion tree
 * shrinks and keeps the official module names where a module survives:
 *   2 streams: inits.0 → streams.0, inits.1 → streams.1; downsamples_2.0(streams.0) (c0 → c1,
 *              s2); downsamples_2.1 = fusion(streams.1, downsamples_2.0) stride 2 → c2;
 *              combine.3 (c2 → c_last, s2). No combine fusion.
 *   1 stream:  inits.0 → streams.0 → downsamples_2.0 (c0 → c1, s2) → downsamples_2.1 as a
 *              plain block `downsamples_2.1.block` (c1 → c2, s2, g = 1) → combine.3 (s2).
 * Every layout keeps five stride-2 levels, so the output map is input/32 in all of them.
 * A stream with 0 blocks passes its init output through. */
NdGraph *
nd_model_build_parnet (const NdModelSpec *spec, GError **error)
{
  const int *planes;
  int c[4], stem, S = spec->streams;
  int init_out[3] = { -1, -1, -1 }, init_depth[3] = { 2, 3, 4 };
  int stream_out[3] = { 0 }, stream_depth[3] = { 0 };
  int x, y, d;
  NdBuild b;

  if (strcmp (spec->variant, "s") == 0)
    planes = parnet_planes[0];
  else if (strcmp (spec->variant, "m") == 0)
    planes = parnet_planes[1];
  else if (strcmp (spec->variant, "l") == 0)
    planes = parnet_planes[2];
  else if (strcmp (spec->variant, "xl") == 0)
    planes = parnet_planes[3];
  else
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown ParNet variant “%s”"), spec->variant);
      return NULL;
    }
  for (int i = 0; i < 4; i++)
    c[i] = nd_model_scale_width (planes[i], spec->width);
  stem = MIN (64, c[0]);

  nd_build_init (&b, spec->in_channels, spec->resolution);

  /* inits: shared downsampling, stream tag -1 */
  x = plain_block (&b, 0, stem, 2, "inits.0.0", -1, 1);
  init_out[0] = plain_block (&b, x, c[0], 2, "inits.0.1", -1, 2);
  if (S >= 2)
    init_out[1] = plain_block (&b, init_out[0], c[1], 2, "inits.1", -1, 3);
  if (S >= 3)
    init_out[2] = plain_block (&b, init_out[1], c[2], 2, "inits.2", -1, 4);

  /* streams: RepVGG-SSE blocks at constant width and resolution */
  for (int k = 0; k < S; k++)
    {
      y = init_out[k];
      for (int i = 0; i < spec->blocks[k]; i++)
        {
          g_autofree char *m = g_strdup_printf ("streams.%d.%d", k, i);

          y = plain_block (&b, y, c[k], 1, m, k, init_depth[k] + 1 + i);
        }
      stream_out[k] = y;
      stream_depth[k] = init_depth[k] + spec->blocks[k];
    }

  /* fusion tree */
  d = stream_depth[0] + 1;
  y = plain_block (&b, stream_out[0], c[1], 2, "downsamples_2.0", -1, d);
  if (S == 1)
    {
      d += 1;
      y = plain_block (&b, y, c[2], 2, "downsamples_2.1", -1, d);
    }
  else
    {
      d = 1 + MAX (stream_depth[1], d);
      nd_build_tags (&b, -1, "downsamples_2.1", d);
      y = parnet_fusion (&b, stream_out[1], y, c[2], 2, "downsamples_2.1");
    }
  if (S == 3)
    {
      d = 1 + MAX (stream_depth[2], d);
      nd_build_tags (&b, -1, "combine", d);
      y = parnet_fusion (&b, stream_out[2], y, c[2], 1, "combine");
    }
  d += 1;
  y = plain_block (&b, y, c[3], 2, "combine.3", -1, d);

  /* head: GAP → Dropout (omitted, eval) → Linear */
  nd_build_tags (&b, -1, "head", d + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "head.fc");

  return nd_build_finish (&b, error);
}
