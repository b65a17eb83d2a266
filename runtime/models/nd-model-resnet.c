/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* The deep foil, with torchvision's module names: ResNet-18/34 (BasicBlock), ResNet-50/101
 * (Bottleneck v1.5: the stride is on the 3×3 conv) and ResNeXt-50 32×4d (the Bottleneck with
 * a grouped 3×3: 32 groups of planes/16 channels each, torchvision's width rule).
 *
 * Depth tags count the convs along the main path, plus the classifier: each conv (with its
 * BN and ReLU) gets its own index, a shortcut gets the index of its block's first conv, the
 * add and the final ReLU the index of the block's last conv. ResNet-N ends at N. The width
 * knob scales every conv width. */

#define RESNET_EPS 1e-5f

static int
conv_bn (NdBuild *b, int in, int out_c, int k, int stride, const char *m, const char *conv,
         const char *bn, NdRole role)
{
  int y = nd_build_conv (b, in, out_c, k, stride, k / 2, 1, FALSE, role, m, conv);

  return nd_build_bn (b, y, RESNET_EPS, role == ND_ROLE_CONV ? ND_ROLE_BN : role, m, bn);
}

/* One BasicBlock or Bottleneck, module path @m; *@depth is the last conv index so far. */
static int
resnet_block (NdBuild *b, int in, int planes, int stride, gboolean bottleneck, int groups,
              const char *m, int *depth)
{
  /* torchvision: width = int(planes · base_width / 64) · groups (base_width 4 with groups) */
  int width = groups == 1 ? planes : MAX (1, planes / 16) * groups;
  int c_in = nd_build_node_out_c (b, in);
  int c_out = bottleneck ? 4 * planes : planes;
  int first = *depth + 1;
  int y, sum[2];

  nd_build_tags (b, -1, m, ++*depth);
  if (bottleneck)
    {
      y = conv_bn (b, in, width, 1, 1, m, ".conv1", ".bn1", ND_ROLE_CONV);
      y = nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
      nd_build_tags (b, -1, m, ++*depth);
      y = nd_build_conv (b, y, width, 3, stride, 1, groups, FALSE, ND_ROLE_CONV, m, ".conv2");
      y = nd_build_bn (b, y, RESNET_EPS, ND_ROLE_BN, m, ".bn2");
      y = nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
      nd_build_tags (b, -1, m, ++*depth);
      y = conv_bn (b, y, c_out, 1, 1, m, ".conv3", ".bn3", ND_ROLE_CONV);
    }
  else
    {
      y = conv_bn (b, in, planes, 3, stride, m, ".conv1", ".bn1", ND_ROLE_CONV);
      y = nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
      nd_build_tags (b, -1, m, ++*depth);
      y = conv_bn (b, y, c_out, 3, 1, m, ".conv2", ".bn2", ND_ROLE_CONV);
    }
  sum[0] = y;
  sum[1] = in;
  if (stride != 1 || c_in != c_out)
    {
      nd_build_tags (b, -1, m, first);
      sum[1] = conv_bn (b, in, c_out, 1, stride, m, ".downsample.0", ".downsample.1",
                        ND_ROLE_SHORTCUT);
      nd_build_tags (b, -1, m, *depth);
    }
  y = nd_build_add (b, sum, 2, ND_ROLE_MERGE);
  return nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
}

NdGraph *
nd_model_build_resnet (const NdModelSpec *spec, GError **error)
{
  gboolean bottleneck;
  int y, depth = 1, groups = 1;
  NdBuild b;

  if (strcmp (spec->variant, "18") == 0 || strcmp (spec->variant, "34") == 0)
    bottleneck = FALSE;
  else if (strcmp (spec->variant, "50") == 0 || strcmp (spec->variant, "101") == 0)
    bottleneck = TRUE;
  else if (spec->family == ND_FAMILY_RESNEXT && strcmp (spec->variant, "50-32x4d") == 0)
    bottleneck = TRUE, groups = 32;
  else
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown ResNet variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "stem", 1);
  y = nd_build_conv (&b, 0, nd_model_scale_width (64, spec->width), 7, 2, 3, 1, FALSE,
                     ND_ROLE_CONV, "conv1", NULL);
  y = nd_build_bn (&b, y, RESNET_EPS, ND_ROLE_BN, "bn1", NULL);
  y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 1, ND_ROLE_POOL);

  for (int l = 0; l < 4; l++)
    for (int i = 0; i < spec->blocks[l]; i++)
      {
        g_autofree char *m = g_strdup_printf ("layer%d.%d", l + 1, i);
        int planes = nd_model_scale_width (64 << l, spec->width);

        y = resnet_block (&b, y, planes, i == 0 && l > 0 ? 2 : 1, bottleneck, groups, m,
                            &depth);
      }

  nd_build_tags (&b, -1, "avgpool", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_tags (&b, -1, "fc", depth + 1);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "fc");
  return nd_build_finish (&b, error);
}
