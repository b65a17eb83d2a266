/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* MobileNetV2 with torchvision's module names (torchvision/models/mobilenetv2.py): a 3×3
 * stem, 17 inverted residuals (1×1 expand, 3×3 depthwise, 1×1 linear projection; ReLU6 after
 * the first two), a 1×1 to 1280 and the classifier (classifier.1; classifier.0 is dropout).
 *
 * Depth tags count the convs along the main path, plus the classifier (53 in all). The width
 * knob is torchvision's width_mult, with its rounding to multiples of 8. */

#define MBV2_EPS 1e-5f

/* torchvision's _make_divisible (v, 8) */
static int
make_divisible (double v)
{
  int n = MAX (8, (int) (v + 4) / 8 * 8);

  if (n < 0.9 * v)
    n += 8;
  return n;
}

/* Conv2dNormActivation: conv (module @m.0), BN (@m.1), ReLU6; tagged at @depth. */
static int
conv_bn_act (NdBuild *b, int in, int out_c, int k, int stride, int groups, const char *m,
             int depth)
{
  int y;

  b->depth = depth;
  y = nd_build_conv (b, in, out_c, k, stride, k / 2, groups, FALSE, ND_ROLE_CONV, m, ".0");
  y = nd_build_bn (b, y, MBV2_EPS, ND_ROLE_BN, m, ".1");
  return nd_build_unary (b, ND_OP_RELU6, y, 1.0f, ND_ROLE_ACTIVATION);
}

/* One InvertedResidual, module path @m. */
static int
inverted_residual (NdBuild *b, int in, int out_c, int stride, int expand, const char *m,
                   int *depth)
{
  int c_in = nd_build_node_out_c (b, in);
  int hidden = (int) (c_in * expand + 0.5);   /* round (inp · t), as torchvision */
  int first = *depth + 1, idx = 0, y = in, sum[2];
  char sub[64];

  nd_build_tags (b, -1, m, first);
  if (expand != 1)
    {
      g_snprintf (sub, sizeof sub, "%s.conv.%d", m, idx++);
      y = conv_bn_act (b, y, hidden, 1, 1, 1, sub, ++*depth);
    }
  g_snprintf (sub, sizeof sub, "%s.conv.%d", m, idx++);
  y = conv_bn_act (b, y, hidden, 3, stride, hidden, sub, ++*depth);
  nd_build_tags (b, -1, m, ++*depth);
  g_snprintf (sub, sizeof sub, "%s.conv.%d", m, idx++);
  y = nd_build_conv (b, y, out_c, 1, 1, 0, 1, FALSE, ND_ROLE_CONV, sub, NULL);
  g_snprintf (sub, sizeof sub, "%s.conv.%d", m, idx);
  y = nd_build_bn (b, y, MBV2_EPS, ND_ROLE_BN, sub, NULL);
  if (stride != 1 || c_in != out_c)
    return y;
  sum[0] = in;
  sum[1] = y;
  return nd_build_add (b, sum, 2, ND_ROLE_MERGE);
}

NdGraph *
nd_model_build_mobilenet (const NdModelSpec *spec, GError **error)
{
  /* t (expansion), c (output channels), n (repeats), s (first stride) */
  static const int setting[][4] = {
    { 1, 16, 1, 1 }, { 6, 24, 2, 2 }, { 6, 32, 3, 2 }, { 6, 64, 4, 2 },
    { 6, 96, 3, 1 }, { 6, 160, 3, 2 }, { 6, 320, 1, 1 },
  };
  int y, depth = 1, index = 1;
  NdBuild b;

  if (strcmp (spec->variant, "v2") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown MobileNet variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "features.0", 1);
  y = conv_bn_act (&b, 0, make_divisible (32 * spec->width), 3, 2, 1, "features.0", 1);
  for (gsize i = 0; i < G_N_ELEMENTS (setting); i++)
    for (int r = 0; r < setting[i][2]; r++, index++)
      {
        g_autofree char *m = g_strdup_printf ("features.%d", index);

        y = inverted_residual (&b, y, make_divisible (setting[i][1] * spec->width),
                               r == 0 ? setting[i][3] : 1, setting[i][0], m, &depth);
      }
  {
    g_autofree char *m = g_strdup_printf ("features.%d", index);

    nd_build_tags (&b, -1, m, ++depth);
    y = conv_bn_act (&b, y, make_divisible (1280 * MAX (1.0, spec->width)), 1, 1, 1, m, depth);
  }
  nd_build_tags (&b, -1, "avgpool", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_tags (&b, -1, "classifier.1", depth + 1);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "classifier.1");
  return nd_build_finish (&b, error);
}
