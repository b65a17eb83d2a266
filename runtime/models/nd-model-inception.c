/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-model-private.h"

/* Inception-v3 with torchvision's module names (torchvision/models/inception.py), without the
 * auxiliary classifier (training only) and with transform_input off (torchvision's default
 * when no weights are asked for). Every conv is a BasicConv2d: conv (no bias), BN (eps 0.001),
 * ReLU. The modules concatenate their branches in torchvision's order; InceptionC/D/E use the
 * asymmetric 1×7, 7×1, 1×3 and 3×1 kernels, InceptionA/C/E a 3×3 stride-1 average pool with
 * padding that counts the pad cells (count_include_pad=True).
 *
 * Depth tags: a module's branches start at the depth after the module before it and the
 * module ends at its longest branch (5 + 3·3 + 3 + 4·5 + 4 + 2·3 convs, the classifier: 48).
 * The width knob scales every conv width. */

#define INCEPTION_EPS 1e-3f

typedef struct
{
  NdBuild    *b;
  const char *m;       /* module path, e.g. "Mixed_6b" */
  double      width;
  int         base;    /* depth before the module */
  int         top;     /* deepest depth reached in the module */
} Module;

/* BasicConv2d "<m>.<name>" at branch position @pos (1-based) of its module. */
static int
basic (Module *md, int in, int out_c, int kh, int kw, int stride, int ph, int pw,
       const char *name, int pos)
{
  NdBuild *b = md->b;
  g_autofree char *prefix = name ? g_strdup_printf ("%s.%s", md->m, name) : g_strdup (md->m);
  int y;

  b->depth = md->base + pos;
  md->top = MAX (md->top, b->depth);
  y = nd_build_conv_rect (b, in, nd_model_scale_width (out_c, md->width), kh, kw, stride, ph, pw,
                          ND_ROLE_CONV, prefix, ".conv");
  y = nd_build_bn (b, y, INCEPTION_EPS, ND_ROLE_BN, prefix, ".bn");
  return nd_build_unary (b, ND_OP_RELU, y, 1.0f, ND_ROLE_ACTIVATION);
}

static int
sq (Module *md, int in, int out_c, int k, int stride, int pad, const char *name, int pos)
{
  return basic (md, in, out_c, k, k, stride, pad, pad, name, pos);
}

/* the 3×3 stride-1 average pool of branch_pool, then its 1×1 */
static int
pool_branch (Module *md, int x, int out_c)
{
  md->b->depth = md->base + 1;
  x = nd_build_pool (md->b, ND_OP_AVGPOOL, x, 3, 1, 1, ND_ROLE_POOL);
  return sq (md, x, out_c, 1, 1, 0, "branch_pool", 1);
}

static int
inception_a (Module *md, int x, int pool_features)
{
  int br[4];

  br[0] = sq (md, x, 64, 1, 1, 0, "branch1x1", 1);
  br[1] = sq (md, x, 48, 1, 1, 0, "branch5x5_1", 1);
  br[1] = sq (md, br[1], 64, 5, 1, 2, "branch5x5_2", 2);
  br[2] = sq (md, x, 64, 1, 1, 0, "branch3x3dbl_1", 1);
  br[2] = sq (md, br[2], 96, 3, 1, 1, "branch3x3dbl_2", 2);
  br[2] = sq (md, br[2], 96, 3, 1, 1, "branch3x3dbl_3", 3);
  br[3] = pool_branch (md, x, pool_features);
  return nd_build_cat (md->b, br, 4, ND_ROLE_CONCAT);
}

static int
inception_b (Module *md, int x)
{
  int br[3];

  br[0] = sq (md, x, 384, 3, 2, 0, "branch3x3", 1);
  br[1] = sq (md, x, 64, 1, 1, 0, "branch3x3dbl_1", 1);
  br[1] = sq (md, br[1], 96, 3, 1, 1, "branch3x3dbl_2", 2);
  br[1] = sq (md, br[1], 96, 3, 2, 0, "branch3x3dbl_3", 3);
  br[2] = nd_build_pool (md->b, ND_OP_MAXPOOL, x, 3, 2, 0, ND_ROLE_POOL);
  return nd_build_cat (md->b, br, 3, ND_ROLE_CONCAT);
}

static int
inception_c (Module *md, int x, int c7)
{
  int br[4];

  br[0] = sq (md, x, 192, 1, 1, 0, "branch1x1", 1);
  br[1] = sq (md, x, c7, 1, 1, 0, "branch7x7_1", 1);
  br[1] = basic (md, br[1], c7, 1, 7, 1, 0, 3, "branch7x7_2", 2);
  br[1] = basic (md, br[1], 192, 7, 1, 1, 3, 0, "branch7x7_3", 3);
  br[2] = sq (md, x, c7, 1, 1, 0, "branch7x7dbl_1", 1);
  br[2] = basic (md, br[2], c7, 7, 1, 1, 3, 0, "branch7x7dbl_2", 2);
  br[2] = basic (md, br[2], c7, 1, 7, 1, 0, 3, "branch7x7dbl_3", 3);
  br[2] = basic (md, br[2], c7, 7, 1, 1, 3, 0, "branch7x7dbl_4", 4);
  br[2] = basic (md, br[2], 192, 1, 7, 1, 0, 3, "branch7x7dbl_5", 5);
  br[3] = pool_branch (md, x, 192);
  return nd_build_cat (md->b, br, 4, ND_ROLE_CONCAT);
}

static int
inception_d (Module *md, int x)
{
  int br[3];

  br[0] = sq (md, x, 192, 1, 1, 0, "branch3x3_1", 1);
  br[0] = sq (md, br[0], 320, 3, 2, 0, "branch3x3_2", 2);
  br[1] = sq (md, x, 192, 1, 1, 0, "branch7x7x3_1", 1);
  br[1] = basic (md, br[1], 192, 1, 7, 1, 0, 3, "branch7x7x3_2", 2);
  br[1] = basic (md, br[1], 192, 7, 1, 1, 3, 0, "branch7x7x3_3", 3);
  br[1] = sq (md, br[1], 192, 3, 2, 0, "branch7x7x3_4", 4);
  br[2] = nd_build_pool (md->b, ND_OP_MAXPOOL, x, 3, 2, 0, ND_ROLE_POOL);
  return nd_build_cat (md->b, br, 3, ND_ROLE_CONCAT);
}

/* the two halves (1×3, 3×1) of branch3x3 / branch3x3dbl, concatenated */
static int
split_pair (Module *md, int x, const char *a, const char *b, int pos)
{
  int pair[2];

  pair[0] = basic (md, x, 384, 1, 3, 1, 0, 1, a, pos);
  pair[1] = basic (md, x, 384, 3, 1, 1, 1, 0, b, pos);
  return nd_build_cat (md->b, pair, 2, ND_ROLE_CONCAT);
}

static int
inception_e (Module *md, int x)
{
  int br[4];

  br[0] = sq (md, x, 320, 1, 1, 0, "branch1x1", 1);
  br[1] = sq (md, x, 384, 1, 1, 0, "branch3x3_1", 1);
  br[1] = split_pair (md, br[1], "branch3x3_2a", "branch3x3_2b", 2);
  br[2] = sq (md, x, 448, 1, 1, 0, "branch3x3dbl_1", 1);
  br[2] = sq (md, br[2], 384, 3, 1, 1, "branch3x3dbl_2", 2);
  br[2] = split_pair (md, br[2], "branch3x3dbl_3a", "branch3x3dbl_3b", 3);
  br[3] = pool_branch (md, x, 192);
  return nd_build_cat (md->b, br, 4, ND_ROLE_CONCAT);
}

/* Starts module @m after @md's previous one (sets its block tag). */
static void
module_begin (Module *md, const char *m)
{
  md->base = md->top;
  md->m = m;
  nd_build_tags (md->b, -1, m, md->base + 1);
}

NdGraph *
nd_model_build_inception (const NdModelSpec *spec, GError **error)
{
  static const char * const stem[] = { "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3",
                                       "Conv2d_3b_1x1", "Conv2d_4a_3x3" };
  static const int c7[] = { 128, 160, 160, 192 };
  NdBuild b;
  Module md = { &b, NULL, spec->width, 0, 0 };
  int y = 0;

  if (strcmp (spec->variant, "v3") != 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Unknown Inception variant “%s”"), spec->variant);
      return NULL;
    }

  nd_build_init (&b, spec->in_channels, spec->resolution);
  module_begin (&md, stem[0]);
  y = sq (&md, y, 32, 3, 2, 0, NULL, 1);
  module_begin (&md, stem[1]);
  y = sq (&md, y, 32, 3, 1, 0, NULL, 1);
  module_begin (&md, stem[2]);
  y = sq (&md, y, 64, 3, 1, 1, NULL, 1);
  nd_build_tags (&b, -1, "maxpool1", md.top);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 0, ND_ROLE_POOL);
  module_begin (&md, stem[3]);
  y = sq (&md, y, 80, 1, 1, 0, NULL, 1);
  module_begin (&md, stem[4]);
  y = sq (&md, y, 192, 3, 1, 0, NULL, 1);
  nd_build_tags (&b, -1, "maxpool2", md.top);
  y = nd_build_pool (&b, ND_OP_MAXPOOL, y, 3, 2, 0, ND_ROLE_POOL);

  module_begin (&md, "Mixed_5b");
  y = inception_a (&md, y, 32);
  module_begin (&md, "Mixed_5c");
  y = inception_a (&md, y, 64);
  module_begin (&md, "Mixed_5d");
  y = inception_a (&md, y, 64);
  module_begin (&md, "Mixed_6a");
  y = inception_b (&md, y);
  for (int i = 0; i < 4; i++)
    {
      static const char * const names[] = { "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e" };

      module_begin (&md, names[i]);
      y = inception_c (&md, y, c7[i]);
    }
  module_begin (&md, "Mixed_7a");
  y = inception_d (&md, y);
  module_begin (&md, "Mixed_7b");
  y = inception_e (&md, y);
  module_begin (&md, "Mixed_7c");
  y = inception_e (&md, y);

  nd_build_tags (&b, -1, "fc", md.top + 1);
  y = nd_build_adaptive (&b, ND_OP_ADAPTIVE_AVGPOOL, y, 1, ND_ROLE_POOL, NULL);
  nd_build_linear (&b, y, spec->classes, ND_ROLE_HEAD, "fc");
  return nd_build_finish (&b, error);
}
