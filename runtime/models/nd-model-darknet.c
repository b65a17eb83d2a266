/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* Darknet-53 (YOLOv3) and CSPDarknet-53 (CSPNet) with timm's module names (timm cspnet.py:
 * darknet53, cspdarknet53). Every conv is ConvNormAct: <m>.conv, <m>.bn, LeakyReLU with
 * PyTorch's default slope 0.01 (timm's "leaky_relu"). The stem is one 3×3 stride-1 conv to
 * 32 channels; five stages of out 64, 128, 256, 512, 1024 each start with a 3×3 stride-2
 * conv_down.
 *  - Darknet stage: conv_down, then DarkBlocks: conv1 1×1 to out/2, conv2 3×3 back to out,
 *    plus the block input (no activation after the add).
 *  - CSP stage (CrossStage, down_growth): conv_down to out, conv_exp 1×1 to exp (2·out in
 *    the first stage, out after), split in halves xs | xb; xb runs the DarkBlocks (first
 *    stage: out channels, bottleneck out/2; later: out/2, no bottleneck) and
 *    conv_transition_b 1×1; conv_transition 1×1 of cat(xs, xb) to out.
 * The head is global average pool + head.fc. Depth tags count the convs along the longest
 * path plus head.fc: Darknet-53 ends at 53. The width knob scales every width; the blocks
 * knob sets the DarkBlocks per stage. */

#define DARK_EPS 1e-5f
#define DARK_SLOPE 0.01f

static int
cna (NdBuild *b, int in, int out_c, int k, int stride, const char *m, const char *suffix)
{
  g_autofree char *name = g_strconcat (m, suffix, NULL);
  int y = nd_build_conv (b, in, out_c, k, stride, k / 2, 1, FALSE, ND_ROLE_CONV, name, ".conv");

  y = nd_build_bn (b, y, DARK_EPS, ND_ROLE_BN, name, ".bn");
  return nd_build_unary (b, ND_OP_LEAKY_RELU, y, DARK_SLOPE, ND_ROLE_ACTIVATION);
}

static int
dark_blocks (NdBuild *b, int x, int n, int out, int mid, const char *stage, int *depth)
{
  for (int j = 0; j < n; j++)
    {
      g_autofree char *m = g_strdup_printf ("%s.blocks.%d", stage, j);
      int sum[2] = { -1, x };

      nd_build_tags (b, -1, m, ++*depth);
      sum[0] = cna (b, x, mid, 1, 1, m, ".conv1");
      nd_build_tags (b, -1, m, ++*depth);
      sum[0] = cna (b, sum[0], out, 3, 1, m, ".conv2");
      x = nd_build_add (b, sum, 2, ND_ROLE_MERGE);
    }
  return x;
}

static int
csp_stage (NdBuild *b, int x, int s, int n, int out, const char *m, int *depth)
{
  int exp = s == 0 ? 2 * out : out;
  int block_out = s == 0 ? out : out / 2;
  int mid = out / 2;   /* out · 0.5 in the first stage, (out / 2) · 1.0 after */
  int xs, xb, cat[2];

  nd_build_tags (b, -1, m, ++*depth);
  x = cna (b, x, out, 3, 2, m, ".conv_down");
  nd_build_tags (b, -1, m, ++*depth);
  x = cna (b, x, exp, 1, 1, m, ".conv_exp");
  xs = nd_build_slice (b, x, 0, exp / 2, ND_ROLE_SHORTCUT);
  xb = nd_build_slice (b, x, exp / 2, exp / 2, ND_ROLE_CONV);
  xb = dark_blocks (b, xb, n, block_out, mid, m, depth);
  nd_build_tags (b, -1, m, ++*depth);
  xb = cna (b, xb, exp / 2, 1, 1, m, ".conv_transition_b");
  cat[0] = xs;
  cat[1] = xb;
  x = nd_build_cat (b, cat, 2, ND_ROLE_CONCAT);
  nd_build_tags (b, -1, m, ++*depth);
  return cna (b, x, out, 1, 1, m, ".conv_transition");
}

NdGraph *
nd_model_build_darknet (const NdModelSpec *spec, GError **error)
{
  gboolean csp = spec->family == ND_FAMILY_CSPDARKNET;
  int y, depth = 1;
  NdBuild b;

  if (strcmp (spec->variant, "53") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown Darknet variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "stem", 1);
  y = cna (&b, 0, nd_model_scale_width (32, spec->width), 3, 1, "stem", ".conv1");

  for (int s = 0; s < spec->n_blocks; s++)
    {
      g_autofree char *m = g_strdup_printf ("stages.%d", s);
      int out = nd_model_scale_width (64 << s, spec->width);

      if (csp)
        {
          y = csp_stage (&b, y, s, spec->blocks[s], out, m, &depth);
          continue;
        }
      nd_build_tags (&b, -1, m, ++depth);
      y = cna (&b, y, out, 3, 2, m, ".conv_down");
      y = dark_blocks (&b, y, spec->blocks[s], out, out / 2, m, &depth);
    }

  nd_build_tags (&b, -1, "head", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "head.fc");
  return nd_build_finish (&b, error);
}
