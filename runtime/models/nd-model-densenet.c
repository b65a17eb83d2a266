/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* DenseNet-121 with torchvision's module names (torchvision/models/densenet.py): growth 32,
 * bottleneck 4·32, 64 stem features, blocks of 6, 12, 24, 16 dense layers, transitions that
 * halve the channels. A dense layer reads the concatenation of the block input and every
 * earlier layer's output; torch.cat (prev_features) of them equals the running concatenation
 * kept here: cat_j = CONCAT (cat_{j-1}, new_j).
 *
 * Depth tags count the convs along the longest path (two per dense layer, one per transition,
 * the stem) plus the classifier: DenseNet-121 ends at 121. The width knob scales the growth
 * rate and the stem; the block knob sets the dense layers per block. */

#define DENSE_EPS 1e-5f
#define GROWTH 32
#define BN_SIZE 4

static int
bn_relu_conv (NdBuild *b, int in, int out_c, int k, const char *m, const char *norm,
              const char *conv)
{
  int y = nd_build_bn (b, in, DENSE_EPS, ND_ROLE_BN, m, norm);

  y = nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  return nd_build_conv (b, y, out_c, k, 1, k / 2, 1, FALSE, ND_ROLE_CONV, m, conv);
}

static int
dense_block (NdBuild *b, int in, int layers, int growth, int block, int *depth)
{
  int cat = in;

  for (int j = 0; j < layers; j++)
    {
      g_autofree char *m = g_strdup_printf ("features.denseblock%d.denselayer%d", block, j + 1);
      int y, pair[2];

      nd_build_tags (b, -1, m, ++*depth);
      y = bn_relu_conv (b, cat, BN_SIZE * growth, 1, m, ".norm1", ".conv1");
      nd_build_tags (b, -1, m, ++*depth);
      y = bn_relu_conv (b, y, growth, 3, m, ".norm2", ".conv2");
      pair[0] = cat;
      pair[1] = y;
      cat = nd_build_cat (b, pair, 2, ND_ROLE_CONCAT);
    }
  return cat;
}

NdGraph *
nd_model_build_densenet (const NdModelSpec *spec, GError **error)
{
  int y, depth = 1, growth;
  NdBuild b;

  if (strcmp (spec->variant, "121") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown DenseNet variant “%s”"), spec->variant);
      return NULL;
    }
  growth = nd_model_scale_width (GROWTH, spec->width);

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "features.conv0", 1);
  y = nd_build_conv (&b, 0, nd_model_scale_width (64, spec->width), 7, 2, 3, 1, FALSE,
                     ND_ROLE_CONV, "features.conv0", NULL);
  y = nd_build_bn (&b, y, DENSE_EPS, ND_ROLE_BN, "features.norm0", NULL);
  y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 1, ND_ROLE_POOL);

  for (int i = 0; i < spec->n_blocks; i++)
    {
      y = dense_block (&b, y, spec->blocks[i], growth, i + 1, &depth);
      if (i + 1 < spec->n_blocks)
        {
          g_autofree char *m = g_strdup_printf ("features.transition%d", i + 1);

          nd_build_tags (&b, -1, m, ++depth);
          y = bn_relu_conv (&b, y, nd_build_node_out_c (&b, y) / 2, 1, m, ".norm", ".conv");
          y = nd_build_pool (&b, ND_OP_AVGPOOL, y, 2, 2, 0, ND_ROLE_POOL);
        }
    }
  /* drawn beside the classifier, not stacked on the last dense layer's column */
  nd_build_tags (&b, -1, "features.norm5", depth + 1);
  y = nd_build_bn (&b, y, DENSE_EPS, ND_ROLE_BN, "features.norm5", NULL);
  y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  nd_build_tags (&b, -1, "classifier", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "classifier");
  return nd_build_finish (&b, error);
}
