/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* ShuffleNetV2 ×1.0 with torchvision's module names (torchvision/models/shufflenetv2.py).
 * A unit at stride 1 splits its input in two halves (SLICE), runs the second through
 * branch2 (1×1, 3×3 depthwise, 1×1) and joins; at stride 2 both branch1 (3×3 depthwise, 1×1)
 * and branch2 read the whole input. The join torch.cat + channel_shuffle (·, 2) is exactly
 * CONCAT_INTERLEAVE (z[2c] = a[c], z[2c+1] = b[c]).
 *
 * Depth tags count the convs along branch2, plus conv1, conv5 and fc. The width knob scales
 * every stage width (24, 116, 232, 464, 1024); the block knob sets the units per stage. */

#define SHUFFLE_EPS 1e-5f

static int
conv_bn (NdBuild *b, int in, int out_c, int k, int stride, int groups, gboolean relu,
         const char *m, int conv_index)
{
  g_autofree char *conv = g_strdup_printf (".%d", conv_index);
  g_autofree char *bn = g_strdup_printf (".%d", conv_index + 1);
  int y = nd_build_conv (b, in, out_c, k, stride, k / 2, groups, FALSE, ND_ROLE_CONV, m, conv);

  y = nd_build_bn (b, y, SHUFFLE_EPS, ND_ROLE_BN, m, bn);
  return relu ? nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION) : y;
}

/* One InvertedResidual of torchvision's ShuffleNetV2, module path @m. */
static int
shuffle_unit (NdBuild *b, int in, int out_c, int stride, const char *m, int *depth)
{
  g_autofree char *br1 = g_strconcat (m, ".branch1", NULL);
  g_autofree char *br2 = g_strconcat (m, ".branch2", NULL);
  int c_in = nd_build_node_out_c (b, in), half = out_c / 2, first = *depth + 1;
  int left, right;

  if (stride == 1)
    {
      nd_build_tags (b, -1, m, first);
      left = nd_build_slice (b, in, 0, c_in / 2, ND_ROLE_SHUFFLE);
      right = nd_build_slice (b, in, c_in / 2, c_in - c_in / 2, ND_ROLE_SHUFFLE);
    }
  else
    {
      nd_build_tags (b, -1, m, first);
      left = conv_bn (b, in, c_in, 3, stride, c_in, FALSE, br1, 0);
      nd_build_tags (b, -1, m, first + 1);
      left = conv_bn (b, left, half, 1, 1, 1, TRUE, br1, 2);
      right = in;
    }
  nd_build_tags (b, -1, m, ++*depth);
  right = conv_bn (b, right, half, 1, 1, 1, TRUE, br2, 0);
  nd_build_tags (b, -1, m, ++*depth);
  right = conv_bn (b, right, half, 3, stride, half, FALSE, br2, 3);
  nd_build_tags (b, -1, m, ++*depth);
  right = conv_bn (b, right, half, 1, 1, 1, TRUE, br2, 5);
  return nd_build_concat (b, left, right, ND_ROLE_SHUFFLE);
}

NdGraph *
nd_model_build_shufflenet (const NdModelSpec *spec, GError **error)
{
  static const int widths[] = { 24, 116, 232, 464, 1024 };
  int y, depth = 1;
  NdBuild b;

  if (strcmp (spec->variant, "v2-1.0") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown ShuffleNet variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "conv1", 1);
  y = conv_bn (&b, 0, nd_model_scale_width (widths[0], spec->width), 3, 2, 1, TRUE, "conv1", 0);
  nd_build_tags (&b, -1, "maxpool", 1);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 1, ND_ROLE_POOL);
  for (int s = 0; s < 3; s++)
    for (int i = 0; i < spec->blocks[s]; i++)
      {
        g_autofree char *m = g_strdup_printf ("stage%d.%d", s + 2, i);

        y = shuffle_unit (&b, y, nd_model_scale_width (widths[s + 1], spec->width),
                          i == 0 ? 2 : 1, m, &depth);
      }
  nd_build_tags (&b, -1, "conv5", ++depth);
  y = conv_bn (&b, y, nd_model_scale_width (widths[4], spec->width), 1, 1, 1, TRUE, "conv5", 0);
  nd_build_tags (&b, -1, "fc", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "fc");
  return nd_build_finish (&b, error);
}
