/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* Pre-activation ResNet-50 ("Identity Mappings in Deep Residual Networks") with timm's module
 * names (timm resnetv2_50: BatchNorm + ReLU, plain convs, the 7×7 stem without a norm, the
 * stride on the 3×3). A block reads x, computes x' = relu(norm1(x)), and returns
 * conv3(relu(norm3(conv2(relu(norm2(conv1(x'))))))) + shortcut, where the shortcut is
 * downsample.conv(x') in a stage's first block and x elsewhere. The network ends in
 * relu(norm(x)), a global average pool and head.fc, a 1×1 conv with bias (timm's
 * use_conv head).
 *
 * Depth tags count the convs along the main path plus the head: ResNetV2-50 ends at 50. The
 * pre-activation norm of a block gets its conv1's index. The width knob scales every conv
 * width; the blocks knob sets the blocks per stage. */

#define V2_EPS 1e-5f

static int
bn_relu (NdBuild *b, int in, const char *m, const char *norm)
{
  int y = nd_build_bn (b, in, V2_EPS, ND_ROLE_BN, m, norm);

  return nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
}

static int
preact_block (NdBuild *b, int x, int mid, int out, int stride, gboolean project,
              const char *m, int *depth)
{
  int xp, y, sum[2];

  nd_build_tags (b, -1, m, ++*depth);
  xp = bn_relu (b, x, m, ".norm1");
  sum[1] = x;
  if (project)
    sum[1] = nd_build_conv (b, xp, out, 1, stride, 0, 1, FALSE, ND_ROLE_SHORTCUT, m,
                            ".downsample.conv");
  y = nd_build_conv (b, xp, mid, 1, 1, 0, 1, FALSE, ND_ROLE_CONV, m, ".conv1");
  y = bn_relu (b, y, m, ".norm2");
  nd_build_tags (b, -1, m, ++*depth);
  y = nd_build_conv (b, y, mid, 3, stride, 1, 1, FALSE, ND_ROLE_CONV, m, ".conv2");
  y = bn_relu (b, y, m, ".norm3");
  nd_build_tags (b, -1, m, ++*depth);
  sum[0] = nd_build_conv (b, y, out, 1, 1, 0, 1, FALSE, ND_ROLE_CONV, m, ".conv3");
  return nd_build_add (b, sum, 2, ND_ROLE_MERGE);
}

NdGraph *
nd_model_build_resnetv2 (const NdModelSpec *spec, GError **error)
{
  int y, depth = 1;
  NdBuild b;

  if (strcmp (spec->variant, "50") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown ResNetV2 variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "stem", 1);
  y = nd_build_conv (&b, 0, nd_model_scale_width (64, spec->width), 7, 2, 3, 1, FALSE,
                     ND_ROLE_CONV, "stem.conv", NULL);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 1, ND_ROLE_POOL);

  for (int s = 0; s < spec->n_blocks; s++)
    for (int i = 0; i < spec->blocks[s]; i++)
      {
        g_autofree char *m = g_strdup_printf ("stages.%d.blocks.%d", s, i);
        int mid = nd_model_scale_width (64 << s, spec->width);

        y = preact_block (&b, y, mid, 4 * mid, i == 0 && s > 0 ? 2 : 1, i == 0, m, &depth);
      }

  nd_build_tags (&b, -1, "norm", depth);
  y = bn_relu (&b, y, "norm", NULL);
  nd_build_tags (&b, -1, "head", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_conv (&b, y, spec->classes, 1, 1, 0, 1, TRUE, ND_ROLE_HEAD, "head.fc", NULL);
  return nd_build_finish (&b, error);
}
