/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* VanillaNet (huawei-noah/VanillaNet, models/vanillanet.py) in training form; docs/reference/networks.md §3.
 * Every BN has eps 1e-6. The deep-training slope λ (spec->lambda) is the leaky-ReLU slope
 * after the stem's first conv, after each block's conv1 and in the classifier. The series
 * activation is ReLU → depthwise (2·act_num+1)² conv without bias → BN.
 *
 * Depth tags: the stem is 1, stage i is i + 2, the classifier is N (the variant number). */

#define VN_EPS 1e-6f
#define VN_MAX_STAGES 12

/* Fills @dims (stem width first, then one per stage) and @strides (one per stage) for the
 * variant; returns the number of stages or -1. */
static int
vanillanet_layout (const char *variant, int *dims, int *strides)
{
  int n, n_stages = 0;
  gboolean x15 = FALSE;
  char *end = NULL;

  n = (int) strtol (variant, &end, 10);
  if (end != NULL && strcmp (end, "-x1.5") == 0 && n == 13)
    x15 = TRUE;
  else if (end == NULL || *end != '\0' || n < 5 || n > 13)
    return -1;

  dims[0] = 512;
#define STAGE(c, s) (dims[++n_stages] = (c), strides[n_stages - 1] = (s))
  if (n == 5 || n == 6)
    {
      STAGE (1024, 2);
      STAGE (2048, 2);
      STAGE (4096, 2);
      if (n == 6)
        STAGE (4096, 1);
    }
  else
    {
      /* 512 s1, 1024 s2, 2048 s2, (N−7)× 2048 s1, 4096 s2, 4096 s1 */
      STAGE (512, 1);
      STAGE (1024, 2);
      STAGE (2048, 2);
      for (int i = 0; i < n - 7; i++)
        STAGE (2048, 1);
      STAGE (4096, 2);
      STAGE (4096, 1);
    }
#undef STAGE
  if (x15)
    for (int i = 0; i <= n_stages; i++)
      dims[i] = dims[i] * 3 / 2;
  g_assert (n_stages == n - 2);
  return n_stages;
}

/* activation(dim, act_num): ReLU → depthwise k×k conv (no bias) → BN */
static int
series_act (NdBuild *b, int in, int act_num, const char *name)
{
  int c = nd_build_node_out_c (b, in);
  int y;

  y = nd_build_unary (b, ND_OP_RELU, in, 1.0f, ND_ROLE_SERIES_ACT);
  y = nd_build_conv (b, y, c, 2 * act_num + 1, 1, act_num, c, FALSE, ND_ROLE_SERIES_ACT,
                     name, NULL);
  return nd_build_bn (b, y, VN_EPS, ND_ROLE_SERIES_ACT, name, ".bn");
}

NdGraph *
nd_model_build_vanillanet (const NdModelSpec *spec, GError **error)
{
  int dims[VN_MAX_STAGES + 1], strides[VN_MAX_STAGES];
  int n_stages, y;
  float lambda = (float) spec->lambda;
  NdBuild b;

  n_stages = vanillanet_layout (spec->variant, dims, strides);
  if (n_stages < 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown VanillaNet variant “%s”"), spec->variant);
      return NULL;
    }
  for (int i = 0; i <= n_stages; i++)
    dims[i] = nd_model_scale_width (dims[i], spec->width);

  nd_build_init (&b, spec->in_channels, spec->resolution);

  /* stem1 = conv4×4 s4 + BN, leaky(λ), stem2 = conv1×1 + BN + activation */
  nd_build_tags (&b, -1, "stem", 1);
  y = nd_build_conv (&b, 0, dims[0], 4, 4, 0, 1, TRUE, ND_ROLE_CONV, "stem1.0", NULL);
  y = nd_build_bn (&b, y, VN_EPS, ND_ROLE_BN, "stem1.1", NULL);
  y = nd_build_unary (&b, ND_OP_LEAKY_RELU, y, lambda, ND_ROLE_ACTIVATION);
  y = nd_build_conv (&b, y, dims[0], 1, 1, 0, 1, TRUE, ND_ROLE_CONV, "stem2.0", NULL);
  y = nd_build_bn (&b, y, VN_EPS, ND_ROLE_BN, "stem2.1", NULL);
  y = series_act (&b, y, spec->act_num, "stem2.2");

  /* Block: conv1 (1×1 dim → dim) + BN, leaky(λ), conv2 (1×1 dim → dim_out) + BN, max pool 2
   * when the stride is 2 (after the convs, before the activation), activation. */
  for (int i = 0; i < n_stages; i++)
    {
      g_autofree char *m = g_strdup_printf ("stages.%d", i);
      int c_in = dims[i];

      nd_build_tags (&b, -1, m, i + 2);
      y = nd_build_conv (&b, y, c_in, 1, 1, 0, 1, TRUE, ND_ROLE_CONV, m, ".conv1.0");
      y = nd_build_bn (&b, y, VN_EPS, ND_ROLE_BN, m, ".conv1.1");
      y = nd_build_unary (&b, ND_OP_LEAKY_RELU, y, lambda, ND_ROLE_ACTIVATION);
      y = nd_build_conv (&b, y, dims[i + 1], 1, 1, 0, 1, TRUE, ND_ROLE_CONV, m, ".conv2.0");
      y = nd_build_bn (&b, y, VN_EPS, ND_ROLE_BN, m, ".conv2.1");
      if (strides[i] == 2)
        y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 2, 2, 0, ND_ROLE_POOL);
      {
        g_autofree char *act = g_strconcat (m, ".act", NULL);

        y = series_act (&b, y, spec->act_num, act);
      }
    }

  /* cls1 = GAP, Dropout (omitted), conv1×1 + BN; leaky(λ); cls2 = conv1×1 */
  nd_build_tags (&b, -1, "cls", n_stages + 2);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  y = nd_build_conv (&b, y, spec->classes, 1, 1, 0, 1, TRUE, ND_ROLE_HEAD, "cls1.2", NULL);
  y = nd_build_bn (&b, y, VN_EPS, ND_ROLE_HEAD, "cls1.3", NULL);
  y = nd_build_unary (&b, ND_OP_LEAKY_RELU, y, lambda, ND_ROLE_ACTIVATION);
  nd_build_conv (&b, y, spec->classes, 1, 1, 0, 1, TRUE, ND_ROLE_HEAD, "cls2.0", NULL);
  return nd_build_finish (&b, error);
}
