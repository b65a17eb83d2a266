/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* VoVNet-39/57 ("An Energy and GPU-Computation Efficient Backbone Network") and ESE-VoVNet-39
 * (CenterMask's VoVNetV2) with timm's module names (timm vovnet.py: vovnet39a, vovnet57a,
 * ese_vovnet39b). Every conv is ConvNormAct (<m>.conv, <m>.bn, ReLU).
 *  - stem.0 3×3 s2 to 64, stem.1 3×3 to 64, stem.2 3×3 s2 to 128;
 *  - four stages of conv width 128, 160, 192, 224 and output 256, 512, 768, 1024; every
 *    stage but the first starts with a 3×3 stride-2 max pool in ceil mode;
 *  - an OSA module chains five 3×3 convs (conv_mid.0..4) and aggregates once: conv_concat
 *    1×1 of cat(input, all five outputs). With ND_MAX_INPUTS = 4 the one torch.cat is two
 *    CONCAT nodes, cat(cat(x, c0, c1, c2), c3, c4): the same channel order.
 *  - ESE-VoVNet: the last module of each stage ends in effective SE, x · hardsigmoid(attn.fc
 *    (mean(x))) with a biased 1×1 fc; modules after a stage's first add their input.
 * The head is global average pool + head.fc. Depth tags count the convs along the longest
 * path plus head.fc (3 stem + 6 per module + 1: VoVNet-39 ends at 40, VoVNet-57 at 58). The
 * width knob scales every width; the blocks knob sets the OSA modules per stage. */

#define VOV_EPS 1e-5f
#define VOV_LAYERS 5

static int
cbr (NdBuild *b, int in, int out_c, int k, int stride, const char *m, const char *suffix)
{
  g_autofree char *name = g_strconcat (m, suffix, NULL);
  int y = nd_build_conv (b, in, out_c, k, stride, k / 2, 1, FALSE, ND_ROLE_CONV, name, ".conv");

  y = nd_build_bn (b, y, VOV_EPS, ND_ROLE_BN, name, ".bn");
  return nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
}

static int
osa_module (NdBuild *b, int x, int mid, int out, gboolean ese, gboolean residual,
            const char *m, int *depth)
{
  int c[VOV_LAYERS], cat[4], y = x;

  for (int l = 0; l < VOV_LAYERS; l++)
    {
      g_autofree char *name = g_strdup_printf (".conv_mid.%d", l);

      nd_build_tags (b, -1, m, ++*depth);
      y = c[l] = cbr (b, y, mid, 3, 1, m, name);
    }
  cat[0] = x;
  memcpy (cat + 1, c, 3 * sizeof (int));
  cat[0] = nd_build_cat (b, cat, 4, ND_ROLE_CONCAT);
  cat[1] = c[3];
  cat[2] = c[4];
  y = nd_build_cat (b, cat, 3, ND_ROLE_CONCAT);
  nd_build_tags (b, -1, m, ++*depth);
  y = cbr (b, y, out, 1, 1, m, ".conv_concat");
  if (ese)
    {
      int s = nd_build_adaptive (b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_SSE_GATE, NULL);

      s = nd_build_conv (b, s, out, 1, 1, 0, 1, TRUE, ND_ROLE_SSE_GATE, m, ".attn.fc");
      y = nd_build_hard_gate (b, y, s, ND_ROLE_SSE_GATE);
    }
  if (residual)
    {
      int sum[2] = { y, x };

      y = nd_build_add (b, sum, 2, ND_ROLE_MERGE);
    }
  return y;
}

NdGraph *
nd_model_build_vovnet (const NdModelSpec *spec, GError **error)
{
  static const int conv_chs[4] = { 128, 160, 192, 224 };
  static const int out_chs[4] = { 256, 512, 768, 1024 };
  gboolean ese = spec->family == ND_FAMILY_ESE_VOVNET;
  int y, depth = 3;
  NdBuild b;

  if (strcmp (spec->variant, "39") != 0 && (ese || strcmp (spec->variant, "57") != 0))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown VoVNet variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  nd_build_tags (&b, -1, "stem", 1);
  y = cbr (&b, 0, nd_model_scale_width (64, spec->width), 3, 2, "stem.0", NULL);
  nd_build_tags (&b, -1, "stem", 2);
  y = cbr (&b, y, nd_model_scale_width (64, spec->width), 3, 1, "stem.1", NULL);
  nd_build_tags (&b, -1, "stem", 3);
  y = cbr (&b, y, nd_model_scale_width (128, spec->width), 3, 2, "stem.2", NULL);

  for (int s = 0; s < spec->n_blocks; s++)
    {
      int mid = nd_model_scale_width (conv_chs[s], spec->width);
      int out = nd_model_scale_width (out_chs[s], spec->width);

      if (s > 0)
        {
          /* the stage's pool (timm's stages.N.pool, no weights) is drawn with its first
           * module, at that module's first column */
          g_autofree char *m = spec->blocks[s] > 0 ? g_strdup_printf ("stages.%d.blocks.0", s)
                                                   : g_strdup_printf ("stages.%d", s);

          nd_build_tags (&b, -1, m, spec->blocks[s] > 0 ? depth + 1 : depth);
          y = nd_build_maxpool_ceil (&b, y, 3, 2, ND_ROLE_POOL);
        }
      for (int j = 0; j < spec->blocks[s]; j++)
        {
          g_autofree char *m = g_strdup_printf ("stages.%d.blocks.%d", s, j);

          y = osa_module (&b, y, mid, out, ese && j == spec->blocks[s] - 1, ese && j > 0, m,
                          &depth);
        }
    }

  nd_build_tags (&b, -1, "head", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "head.fc");
  return nd_build_finish (&b, error);
}
