/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* RepVGG (DingXiaoH/RepVGG, repvgg.py) in training form; docs/reference/networks.md §2.
 *
 * Stage widths: stage 0 = min(64, 64a), stages 1–3 = 64a, 128a, 256a, stage 4 = 512b; the
 * width knob scales them all. gN variants group the layers 2, 4, …, 26 of the official
 * override_groups_map, numbered from 1 at the first block of stage 1 across all stages (stage
 * 0 never). For the preset block counts (even per stage) that is "odd index within the
 * stage", timm's rule; with other --blocks the official numbering decides, as the official
 * class would with those num_blocks. Depth: block n (1-based, over all blocks) is at depth n;
 * the head is one more (A: 23, B: 29). */

#define REPVGG_EPS 1e-5f

typedef struct
{
  const char *variant;
  double      a, b;
  int         groups;
} RepVGGVariant;

static const RepVGGVariant variants[] = {
  { "a0", 0.75, 2.5, 1 },
  { "a1", 1.0, 2.5, 1 },
  { "a2", 1.5, 2.75, 1 },
  { "b0", 1.0, 2.5, 1 },
  { "b1", 2.0, 4.0, 1 },
  { "b1g2", 2.0, 4.0, 2 },
  { "b1g4", 2.0, 4.0, 4 },
  { "b2", 2.5, 5.0, 1 },
  { "b2g2", 2.5, 5.0, 2 },
  { "b2g4", 2.5, 5.0, 4 },
  { "b3", 3.0, 5.0, 1 },
  { "b3g2", 3.0, 5.0, 2 },
  { "b3g4", 3.0, 5.0, 4 },
};

/* One RepVGGBlock, module prefix @x: ReLU(BN(conv3×3) + BN(conv1×1) [+ BN(x)]). */
static int
repvgg_block (NdBuild *b, int in, int c_out, int stride, int groups, const char *x)
{
  int c_in = nd_build_node_out_c (b, in);
  int sum[3], n = 0, identity = -1;

  /* official registration order: rbr_identity, rbr_dense, rbr_1x1 */
  if (c_in == c_out && stride == 1)
    identity = nd_build_bn (b, in, REPVGG_EPS, ND_ROLE_IDENTITY_BN, x, ".rbr_identity");
  sum[n] = nd_build_conv (b, in, c_out, 3, stride, 1, groups, FALSE, ND_ROLE_DENSE3X3,
                          x, ".rbr_dense.conv");
  sum[n] = nd_build_bn (b, sum[n], REPVGG_EPS, ND_ROLE_DENSE3X3, x, ".rbr_dense.bn");
  n++;
  sum[n] = nd_build_conv (b, in, c_out, 1, stride, 0, groups, FALSE, ND_ROLE_BRANCH1X1,
                          x, ".rbr_1x1.conv");
  sum[n] = nd_build_bn (b, sum[n], REPVGG_EPS, ND_ROLE_BRANCH1X1, x, ".rbr_1x1.bn");
  n++;
  if (identity >= 0)
    sum[n++] = identity;
  return nd_build_unary (b, ND_OP_RELU, nd_build_add (b, sum, n, ND_ROLE_MERGE), 1.0f,
                         ND_ROLE_ACTIVATION);
}

NdGraph *
nd_model_build_repvgg (const NdModelSpec *spec, GError **error)
{
  const RepVGGVariant *v = NULL;
  int width[5], y = 0, depth = 0;
  NdBuild b;

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    if (strcmp (spec->variant, variants[i].variant) == 0)
      v = &variants[i];
  if (v == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown RepVGG variant “%s”"), spec->variant);
      return NULL;
    }
  /* int() as in the official code, then the knob */
  width[1] = nd_model_scale_width ((int) (64 * v->a), spec->width);
  width[2] = nd_model_scale_width ((int) (128 * v->a), spec->width);
  width[3] = nd_model_scale_width ((int) (256 * v->a), spec->width);
  width[4] = nd_model_scale_width ((int) (512 * v->b), spec->width);
  width[0] = MIN (64, width[1]);

  nd_build_init (&b, spec->in_channels, spec->resolution);
  for (int s = 0, layer = 0; s < 5; s++)
    for (int i = 0; i < spec->blocks[s]; i++)
      {
        g_autofree char *x = NULL;
        int groups = 1;

        if (s > 0 && ++layer % 2 == 0 && layer <= 26)
          groups = v->groups;

        /* the official stage0 is one block, not a Sequential; more than one get indices */
        if (s == 0 && spec->blocks[0] == 1)
          x = g_strdup ("stage0");
        else
          x = g_strdup_printf ("stage%d.%d", s, i);
        nd_build_tags (&b, -1, x, ++depth);
        y = repvgg_block (&b, y, width[s], i == 0 ? 2 : 1, groups, x);
      }

  nd_build_tags (&b, -1, "gap", depth + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_tags (&b, -1, "linear", depth + 1);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "linear");
  return nd_build_finish (&b, error);
}
