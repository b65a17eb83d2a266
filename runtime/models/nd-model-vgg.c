/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* VGG-16 and VGG-19 (configurations D and E, no BN) with torchvision's module names. Depth
 * tags count the convs, then the three linear layers: VGG-N ends at N. The width knob scales every conv
 * width; the 4096-wide classifier is left as it is. */

NdGraph *
nd_model_build_vgg (const NdModelSpec *spec, GError **error)
{
  /* configurations D and E; 0 = max pool 2×2, -1 = end */
  static const int cfg_d[] = { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0,
                               512, 512, 512, 0, 512, 512, 512, 0, -1 };
  static const int cfg_e[] = { 64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0,
                               512, 512, 512, 512, 0, 512, 512, 512, 512, 0, -1 };
  const int *cfg;
  int y = 0, index = 0, depth = 0;
  NdBuild b;

  if (strcmp (spec->variant, "16") == 0)
    cfg = cfg_d;
  else if (strcmp (spec->variant, "19") == 0)
    cfg = cfg_e;
  else
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown VGG variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  for (gsize i = 0; cfg[i] >= 0; i++)
    {
      g_autofree char *m = g_strdup_printf ("features.%d", index);

      if (cfg[i] == 0)
        {
          /* the pool is its own module (features.N), at the depth of the conv before it */
          nd_build_tags (&b, -1, m, depth);
          y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 2, 2, 0, ND_ROLE_POOL);
          index += 1;
          continue;
        }
      nd_build_tags (&b, -1, m, ++depth);
      y = nd_build_conv (&b, y, nd_model_scale_width (cfg[i], spec->width), 3, 1, 1, 1, TRUE,
                         ND_ROLE_CONV, m, NULL);
      y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
      index += 2;
    }

  nd_build_tags (&b, -1, "avgpool", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 7, ND_ROLE_POOL, NULL);
  /* classifier: Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear (dropout omitted) */
  nd_build_tags (&b, -1, "classifier.0", depth + 1);
  y = nd_build_linear (&b, y, 4096, ND_ROLE_HEAD, "classifier.0");
  y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  nd_build_tags (&b, -1, "classifier.3", depth + 2);
  y = nd_build_linear (&b, y, 4096, ND_ROLE_HEAD, "classifier.3");
  y = nd_build_unary (&b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
  nd_build_tags (&b, -1, "classifier.6", depth + 3);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "classifier.6");
  return nd_build_finish (&b, error);
}
