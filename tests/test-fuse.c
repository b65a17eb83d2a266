/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-graph.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* Hand-built graphs in the conventions of nd-graph.h, fused and compared with the training form
 * on the naive reference ops, with random BN statistics. */

static int
conv (NdGraph *g, int in, int out_c, int k, int s, int pad, int groups, gboolean bias,
      const char *name, NdRole role)
{
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .out_c = out_c, .kernel = k, .stride = s, .pad = pad, .groups = groups,
                   .has_bias = bias };
  int id = nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, name, &error);

  g_assert_no_error (error);
  nd_graph_tag (g, id, 1, "blk", role, 3);
  return id;
}

static int
bn (NdGraph *g, int in, float eps, const char *name, NdRole role)
{
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .eps = eps };
  int id = nd_graph_add (g, ND_OP_BATCHNORM, &p, &in, 1, name, &error);

  g_assert_no_error (error);
  nd_graph_tag (g, id, 1, "blk", role, 3);
  return id;
}

static int
op (NdGraph *g, NdOp o, const NdOpParams *p, const int *ins, int n, NdRole role)
{
  g_autoptr(GError) error = NULL;
  int id = nd_graph_add (g, o, p, ins, n, NULL, &error);

  g_assert_no_error (error);
  nd_graph_tag (g, id, 1, "blk", role, 3);
  return id;
}

static int
op1 (NdGraph *g, NdOp o, const NdOpParams *p, int in, NdRole role)
{
  return op (g, o, p, &in, 1, role);
}

static int
find (const NdGraph *g, const char *name)
{
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    if (g_strcmp0 (nd_graph_node (g, i)->name, name) == 0)
      return i;
  return -1;
}

static int
count_op (const NdGraph *g, NdOp o)
{
  int n = 0;

  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    n += nd_graph_node (g, i)->op == o;
  return n;
}

static void
assert_origins (const NdGraph *g, const char *name, const char * const *expected)
{
  int id = find (g, name);
  const NdNode *node;

  if (id < 0)
    g_error ("no node %s in the fused graph", name);
  node = nd_graph_node (g, id);
  g_assert_nonnull (node->origins);
  g_assert_cmpstrv (node->origins, expected);
}

/* Dense ids, inputs before readers, no dead references. */
static void
assert_well_formed (const NdGraph *g)
{
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *node = nd_graph_node (g, i);

      g_assert_cmpint (node->id, ==, i);
      for (int k = 0; k < node->n_inputs; k++)
        {
          g_assert_cmpint (node->inputs[k], >=, 0);
          g_assert_cmpint (node->inputs[k], <, i);
        }
    }
  g_assert_cmpint (g->output, >=, 0);
  g_assert_cmpint (g->output, <, nd_graph_n_nodes (g));
}

/* Fuses @g (after random weights) and checks the fused output against the training form on
 * a random batch of 2. Returns the fused graph. */
static NdGraph *
fuse_and_compare (NdGraph *g, guint32 seed, double rtol)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) fused = NULL;
  g_autoptr(NdTensor) x = NULL, y = NULL, yf = NULL;

  nd_test_randomize_graph (g, seed);
  fused = nd_fuse_graph (g, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fused);
  g_assert_true (fused->fused);
  assert_well_formed (fused);

  x = nd_test_random_input (2, g->in_c, g->in_h, g->in_w, seed + 1);
  y = nd_ref_run_graph (g, x, NULL);
  yf = nd_ref_run_graph (fused, x, NULL);
  nd_test_assert_close (yf, y, rtol, 0, g->model_name ? g->model_name : "fused vs unfused");
  return g_steal_pointer (&fused);
}

/* ---- ResNet: conv → BN folding, names kept ---------------------------------------------- */

static void
test_resnet_conv_bn (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 17, 13);
  g_autoptr(NdGraph) f = NULL;
  NdOpParams mp = { .kernel = 3, .stride = 2, .pad = 1 };
  int x, y, sc, ins[2];

  x = conv (g, 0, 8, 7, 2, 3, 1, FALSE, "conv1", ND_ROLE_CONV);
  x = bn (g, x, 1e-5f, "bn1", ND_ROLE_BN);
  x = op1 (g, ND_OP_RELU, NULL, x, ND_ROLE_ACTIVATION);
  x = op1 (g, ND_OP_MAXPOOL, &mp, x, ND_ROLE_POOL);
  y = conv (g, x, 16, 3, 2, 1, 1, FALSE, "layer1.0.conv1", ND_ROLE_CONV);
  y = bn (g, y, 1e-5f, "layer1.0.bn1", ND_ROLE_BN);
  y = op1 (g, ND_OP_RELU, NULL, y, ND_ROLE_ACTIVATION);
  y = conv (g, y, 16, 3, 1, 1, 1, FALSE, "layer1.0.conv2", ND_ROLE_CONV);
  y = bn (g, y, 1e-5f, "layer1.0.bn2", ND_ROLE_BN);
  sc = conv (g, x, 16, 1, 2, 0, 1, FALSE, "layer1.0.downsample.0", ND_ROLE_SHORTCUT);
  sc = bn (g, sc, 1e-5f, "layer1.0.downsample.1", ND_ROLE_SHORTCUT);
  ins[0] = y;
  ins[1] = sc;
  y = op (g, ND_OP_ADD, NULL, ins, 2, ND_ROLE_MERGE);
  op1 (g, ND_OP_RELU, NULL, y, ND_ROLE_ACTIVATION);

  f = fuse_and_compare (g, 11, 1e-5);
  g_assert_cmpint (count_op (f, ND_OP_BATCHNORM), ==, 0);
  /* the 3×3 beside the shortcut reads another tensor: nothing merges into it */
  g_assert_cmpint (count_op (f, ND_OP_ADD), ==, 1);
  g_assert_cmpint (count_op (f, ND_OP_CONV2D), ==, 4);
  g_assert_cmpint (nd_graph_n_nodes (f), ==, nd_graph_n_nodes (g) - 4);
  assert_origins (f, "conv1", (const char *[]) { "conv1", "bn1", NULL });
  assert_origins (f, "layer1.0.conv2", (const char *[]) { "layer1.0.conv2", "layer1.0.bn2", NULL });
  assert_origins (f, "layer1.0.downsample.0",
                  (const char *[]) { "layer1.0.downsample.0", "layer1.0.downsample.1", NULL });
  g_assert_nonnull (nd_graph_lookup_weight (f, "layer1.0.conv2.bias"));
  g_assert_null (nd_graph_lookup_weight (f, "layer1.0.bn2.weight"));
  g_assert_cmpint (nd_graph_node (f, find (f, "layer1.0.downsample.0"))->role, ==,
                   ND_ROLE_SHORTCUT);
  g_assert_cmpint (nd_graph_node (f, find (f, "conv1"))->role, ==, ND_ROLE_CONV);
  /* the source graph is untouched */
  g_assert_cmpint (count_op (g, ND_OP_BATCHNORM), ==, 4);
  g_assert_false (g->fused);
}

/* ---- RepVGG: 3×3 + 1×1 + identity BN → rbr_reparam ------------------------------------- */

static int
repvgg_block (NdGraph *g, int x, const char *X, int out_c, int stride, int groups)
{
  g_autofree char *dc = g_strdup_printf ("%s.rbr_dense.conv", X);
  g_autofree char *db = g_strdup_printf ("%s.rbr_dense.bn", X);
  g_autofree char *pc = g_strdup_printf ("%s.rbr_1x1.conv", X);
  g_autofree char *pb = g_strdup_printf ("%s.rbr_1x1.bn", X);
  g_autofree char *id = g_strdup_printf ("%s.rbr_identity", X);
  int ins[3], n = 0;

  ins[n] = conv (g, x, out_c, 3, stride, 1, groups, FALSE, dc, ND_ROLE_DENSE3X3);
  ins[n] = bn (g, ins[n], 1e-5f, db, ND_ROLE_DENSE3X3);
  n++;
  ins[n] = conv (g, x, out_c, 1, stride, 0, groups, FALSE, pc, ND_ROLE_BRANCH1X1);
  ins[n] = bn (g, ins[n], 1e-5f, pb, ND_ROLE_BRANCH1X1);
  n++;
  if (nd_graph_node (g, x)->out_c == out_c && stride == 1)
    ins[n++] = bn (g, x, 1e-5f, id, ND_ROLE_IDENTITY_BN);
  x = op (g, ND_OP_ADD, NULL, ins, n, ND_ROLE_MERGE);
  return op1 (g, ND_OP_RELU, NULL, x, ND_ROLE_ACTIVATION);
}

static void
assert_repvgg_fused (const NdGraph *f, const char *X, gboolean identity)
{
  g_autofree char *name = g_strdup_printf ("%s.rbr_reparam", X);
  g_autofree char *dc = g_strdup_printf ("%s.rbr_dense.conv", X);
  g_autofree char *db = g_strdup_printf ("%s.rbr_dense.bn", X);
  g_autofree char *pc = g_strdup_printf ("%s.rbr_1x1.conv", X);
  g_autofree char *pb = g_strdup_printf ("%s.rbr_1x1.bn", X);
  g_autofree char *id = g_strdup_printf ("%s.rbr_identity", X);
  const char *expected[] = { dc, db, pc, pb, identity ? id : NULL, NULL };
  const NdNode *node;

  assert_origins (f, name, expected);
  node = nd_graph_node (f, find (f, name));
  g_assert_cmpint (node->role, ==, ND_ROLE_FUSED3X3);
  g_assert_cmpint (node->p.kernel, ==, 3);
  g_assert_true (node->p.has_bias);
  g_assert_nonnull (node->w[ND_W_BIAS]);
  g_assert_cmpint (node->stream, ==, 1);
  g_assert_cmpstr (node->block, ==, "blk");
  g_assert_cmpint (node->depth, ==, 3);
  /* the ADD is gone: the activation reads the conv */
  g_assert_cmpint (nd_graph_node (f, node->id + 1)->op, ==, ND_OP_RELU);
  g_assert_cmpint (nd_graph_node (f, node->id + 1)->inputs[0], ==, node->id);
}

static void
test_repvgg_blocks (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 11, 9);
  g_autoptr(NdGraph) f = NULL;
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 10 };
  int x;

  /* odd maps are fine for RepVGG: a 1×1 s2 p0 and a 3×3 s2 p1 both give ⌈n/2⌉ */
  x = repvgg_block (g, 0, "stage0", 8, 2, 1);          /* no identity */
  x = repvgg_block (g, x, "stage1.0", 8, 1, 1);        /* identity */
  x = repvgg_block (g, x, "stage1.1", 8, 1, 2);        /* grouped identity, g = 2 */
  x = repvgg_block (g, x, "stage1.2", 8, 1, 4);        /* g = 4 */
  x = repvgg_block (g, x, "stage2.0", 12, 2, 4);       /* grouped, stride 2 */
  x = repvgg_block (g, x, "stage2.1", 12, 1, 1);
  x = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, x, ND_ROLE_POOL);
  {
    g_autoptr(GError) error = NULL;

    nd_graph_add (g, ND_OP_LINEAR, &fc, &x, 1, "linear", &error);
    g_assert_no_error (error);
  }

  f = fuse_and_compare (g, 21, 1e-5);
  assert_repvgg_fused (f, "stage0", FALSE);
  assert_repvgg_fused (f, "stage1.0", TRUE);
  assert_repvgg_fused (f, "stage1.1", TRUE);
  assert_repvgg_fused (f, "stage1.2", TRUE);
  assert_repvgg_fused (f, "stage2.0", FALSE);
  assert_repvgg_fused (f, "stage2.1", TRUE);
  /* input, 6 × (conv, relu), pool, linear */
  g_assert_cmpint (nd_graph_n_nodes (f), ==, 15);
  g_assert_cmpint (count_op (f, ND_OP_ADD), ==, 0);
  g_assert_cmpint (count_op (f, ND_OP_BATCHNORM), ==, 0);
  g_assert_cmpint (f->output, ==, 14);
  g_assert_cmpstr (nd_graph_node (f, f->output)->name, ==, "linear");
}

/* ---- ParNet: case A keeps BN_id → SSE, case B merges the AvgPool branch ------------------ */

static int
parnet_block (NdGraph *g, int x, const char *P, int out_c, int stride, int groups)
{
  g_autofree char *dc = g_strdup_printf ("%s.rbr_dense.conv", P);
  g_autofree char *db = g_strdup_printf ("%s.rbr_dense.bn", P);
  g_autofree char *pc = g_strdup_printf (stride == 2 ? "%s.rbr_1x1.1.conv" : "%s.rbr_1x1.conv", P);
  g_autofree char *pb = g_strdup_printf (stride == 2 ? "%s.rbr_1x1.1.bn" : "%s.rbr_1x1.bn", P);
  g_autofree char *id = g_strdup_printf ("%s.rbr_identity", P);
  g_autofree char *se = g_strdup_printf ("%s.se.cvsig.conv", P);
  NdOpParams pool = { .kernel = 2, .stride = 2 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams gate = { .alpha = 1.0f };
  NdOpParams shuffle = { .groups = groups };
  int ins[3], d, p, y;

  d = conv (g, x, out_c, 3, stride, 1, groups, FALSE, dc, ND_ROLE_DENSE3X3);
  d = bn (g, d, 1e-5f, db, ND_ROLE_DENSE3X3);
  p = x;
  if (stride == 2)
    p = op1 (g, ND_OP_AVGPOOL, &pool, x, ND_ROLE_BRANCH_POOL);
  p = conv (g, p, out_c, 1, 1, 0, groups, FALSE, pc, ND_ROLE_BRANCH1X1);
  p = bn (g, p, 1e-5f, pb, ND_ROLE_BRANCH1X1);
  if (nd_graph_node (g, x)->out_c == out_c && stride == 1)
    {
      int i = bn (g, x, 1e-5f, id, ND_ROLE_IDENTITY_BN);
      int e = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, i, ND_ROLE_SSE_GATE);

      e = conv (g, e, out_c, 1, 1, 0, groups, FALSE, se, ND_ROLE_SSE_GATE);
      ins[0] = i;
      ins[1] = e;
      e = op (g, ND_OP_GATE, &gate, ins, 2, ND_ROLE_SSE_GATE);
      ins[0] = d;
      ins[1] = p;
      ins[2] = e;
      y = op (g, ND_OP_ADD, NULL, ins, 3, ND_ROLE_MERGE);
    }
  else
    {
      int e = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, x, ND_ROLE_SSE_GATE);

      e = conv (g, e, out_c, 1, 1, 0, groups, FALSE, se, ND_ROLE_SSE_GATE);
      ins[0] = d;
      ins[1] = p;
      y = op (g, ND_OP_ADD, NULL, ins, 2, ND_ROLE_MERGE);
      gate.alpha = 2.0f;
      ins[0] = y;
      ins[1] = e;
      y = op (g, ND_OP_GATE, &gate, ins, 2, ND_ROLE_SSE_GATE);
    }
  y = op1 (g, ND_OP_SILU, NULL, y, ND_ROLE_ACTIVATION);
  if (groups > 1)
    y = op1 (g, ND_OP_CHANNEL_SHUFFLE, &shuffle, y, ND_ROLE_SHUFFLE);
  return y;
}

static void
assert_parnet_fused (const NdGraph *f, const char *P, int stride, gboolean case_a)
{
  g_autofree char *name = g_strdup_printf ("%s.rbr_dense", P);
  g_autofree char *dc = g_strdup_printf ("%s.rbr_dense.conv", P);
  g_autofree char *db = g_strdup_printf ("%s.rbr_dense.bn", P);
  g_autofree char *pc = g_strdup_printf (stride == 2 ? "%s.rbr_1x1.1.conv" : "%s.rbr_1x1.conv", P);
  g_autofree char *pb = g_strdup_printf (stride == 2 ? "%s.rbr_1x1.1.bn" : "%s.rbr_1x1.bn", P);
  g_autofree char *id = g_strdup_printf ("%s.rbr_identity", P);
  g_autofree char *se = g_strdup_printf ("%s.se.cvsig.conv", P);
  const char *expected[] = { dc, db, pc, pb, NULL };
  const NdNode *node, *next;
  int reader = -1;

  assert_origins (f, name, expected);
  node = nd_graph_node (f, find (f, name));
  g_assert_cmpint (node->role, ==, ND_ROLE_FUSED3X3);
  g_assert_cmpint (node->p.stride, ==, stride);
  g_assert_true (node->p.has_bias);
  g_assert_null (nd_graph_node (f, find (f, se))->origins);
  g_assert_false (nd_graph_node (f, find (f, se))->p.has_bias);
  for (int i = node->id + 1; i < nd_graph_n_nodes (f) && reader < 0; i++)
    for (int k = 0; k < nd_graph_node (f, i)->n_inputs; k++)
      if (nd_graph_node (f, i)->inputs[k] == node->id)
        reader = i;
  g_assert_cmpint (reader, >, 0);
  g_assert_cmpint (nd_graph_n_consumers (f, node->id), ==, 1);
  next = nd_graph_node (f, reader);
  if (case_a)
    {
      /* the identity BN feeds the SSE too, so it stays, and the ADD keeps the gate term */
      g_assert_cmpint (find (f, id), >, 0);
      g_assert_cmpint (next->op, ==, ND_OP_ADD);
      g_assert_cmpint (next->n_inputs, ==, 2);
      g_assert_cmpint (nd_graph_node (f, next->inputs[1])->op, ==, ND_OP_GATE);
    }
  else
    {
      g_assert_cmpint (next->op, ==, ND_OP_GATE);
      g_assert_cmpfloat (next->p.alpha, ==, 2.0f);
    }
  g_assert_cmpint (find (f, pc), ==, -1);
  g_assert_cmpint (find (f, dc), ==, -1);
}

static void
test_parnet_blocks (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 16, 16);
  g_autoptr(NdGraph) f = NULL;
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 10 };
  int x, y_old, b1, b2, ins[2];

  x = parnet_block (g, 0, "inits.0.0.block", 8, 2, 1);              /* B, AvgPool, 16 → 8 */
  x = parnet_block (g, x, "streams.0.0.block", 8, 1, 1);            /* A */
  x = parnet_block (g, x, "streams.0.1.block", 8, 1, 2);            /* A, g = 2 */
  y_old = parnet_block (g, x, "downsamples_2.0.block", 16, 2, 2);   /* B, AvgPool, g = 2 */
  x = parnet_block (g, y_old, "streams.1.0.block", 16, 1, 4);       /* A, g = 4 */
  /* fusion module: MultiBN stays */
  b1 = bn (g, x, 1e-5f, "combine.0.b1", ND_ROLE_FUSION_BN);
  b2 = bn (g, y_old, 1e-5f, "combine.0.b2", ND_ROLE_FUSION_BN);
  ins[0] = b1;
  ins[1] = b2;
  x = op (g, ND_OP_CONCAT_INTERLEAVE, NULL, ins, 2, ND_ROLE_CONCAT);
  x = parnet_block (g, x, "combine.2.block", 12, 1, 2);             /* B at stride 1 */
  x = parnet_block (g, x, "combine.3.block", 16, 2, 1);             /* B, 4 → 2 */
  x = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, x, ND_ROLE_HEAD);
  {
    g_autoptr(GError) error = NULL;

    nd_graph_add (g, ND_OP_LINEAR, &fc, &x, 1, "head.fc", &error);
    g_assert_no_error (error);
  }

  f = fuse_and_compare (g, 31, 1e-5);
  assert_parnet_fused (f, "inits.0.0.block", 2, FALSE);
  assert_parnet_fused (f, "streams.0.0.block", 1, TRUE);
  assert_parnet_fused (f, "streams.0.1.block", 1, TRUE);
  assert_parnet_fused (f, "downsamples_2.0.block", 2, FALSE);
  assert_parnet_fused (f, "streams.1.0.block", 1, TRUE);
  assert_parnet_fused (f, "combine.2.block", 1, FALSE);
  assert_parnet_fused (f, "combine.3.block", 2, FALSE);
  /* 3 identity BNs and the 2 MultiBN halves cannot fold */
  g_assert_cmpint (count_op (f, ND_OP_BATCHNORM), ==, 5);
  g_assert_cmpint (count_op (f, ND_OP_AVGPOOL), ==, 0);
  g_assert_cmpint (count_op (f, ND_OP_ADD), ==, 3);
  g_assert_cmpint (count_op (f, ND_OP_CHANNEL_SHUFFLE), ==, 4);
  g_assert_cmpint (find (f, "combine.0.b1"), >, 0);
}

/* ---- VanillaNet at λ = 1: leaky is the identity, conv pairs merge ------------------------ */

static int
vanilla_act (NdGraph *g, int x, const char *name)
{
  g_autofree char *bname = g_strconcat (name, ".bn", NULL);
  int c = nd_graph_node (g, x)->out_c;

  x = op1 (g, ND_OP_RELU, NULL, x, ND_ROLE_SERIES_ACT);
  x = conv (g, x, c, 7, 1, 3, c, FALSE, name, ND_ROLE_SERIES_ACT);
  return bn (g, x, 1e-6f, bname, ND_ROLE_SERIES_ACT);
}

static NdGraph *
build_vanillanet (float lambda)
{
  NdGraph *g = nd_graph_new (3, 16, 16);
  NdOpParams leaky = { .alpha = lambda };
  NdOpParams mp = { .kernel = 2, .stride = 2 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  int x;

  g->family = g_strdup ("vanillanet");
  x = conv (g, 0, 8, 4, 4, 0, 1, TRUE, "stem1.0", ND_ROLE_CONV);
  x = bn (g, x, 1e-6f, "stem1.1", ND_ROLE_BN);
  x = op1 (g, ND_OP_LEAKY_RELU, &leaky, x, ND_ROLE_ACTIVATION);
  x = conv (g, x, 8, 1, 1, 0, 1, TRUE, "stem2.0", ND_ROLE_CONV);
  x = bn (g, x, 1e-6f, "stem2.1", ND_ROLE_BN);
  x = vanilla_act (g, x, "stem2.2");
  /* stages.0: 8 → 16 with the pool; stages.1: 16 → 16 */
  for (int s = 0; s < 2; s++)
    {
      g_autofree char *c1 = g_strdup_printf ("stages.%d.conv1.0", s);
      g_autofree char *b1 = g_strdup_printf ("stages.%d.conv1.1", s);
      g_autofree char *c2 = g_strdup_printf ("stages.%d.conv2.0", s);
      g_autofree char *b2 = g_strdup_printf ("stages.%d.conv2.1", s);
      g_autofree char *act = g_strdup_printf ("stages.%d.act", s);
      int c = nd_graph_node (g, x)->out_c;

      x = conv (g, x, c, 1, 1, 0, 1, TRUE, c1, ND_ROLE_CONV);
      x = bn (g, x, 1e-6f, b1, ND_ROLE_BN);
      x = op1 (g, ND_OP_LEAKY_RELU, &leaky, x, ND_ROLE_ACTIVATION);
      x = conv (g, x, 16, 1, 1, 0, 1, TRUE, c2, ND_ROLE_CONV);
      x = bn (g, x, 1e-6f, b2, ND_ROLE_BN);
      if (s == 0)
        x = op1 (g, ND_OP_MAXPOOL, &mp, x, ND_ROLE_POOL);
      x = vanilla_act (g, x, act);
    }
  x = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, x, ND_ROLE_HEAD);
  x = conv (g, x, 10, 1, 1, 0, 1, TRUE, "cls1.2", ND_ROLE_HEAD);
  x = bn (g, x, 1e-6f, "cls1.3", ND_ROLE_HEAD);
  x = op1 (g, ND_OP_LEAKY_RELU, &leaky, x, ND_ROLE_HEAD);
  conv (g, x, 10, 1, 1, 0, 1, TRUE, "cls2.0", ND_ROLE_HEAD);
  return g;
}

static void
test_vanillanet (void)
{
  g_autoptr(NdGraph) g = build_vanillanet (1.0f);
  g_autoptr(NdGraph) f = fuse_and_compare (g, 41, 1e-5);
  static const char * const deploy[] = {
    "input", "stem.0", NULL, "stem.1", "stages.0.conv", NULL, NULL, "stages.0.act",
    "stages.1.conv", NULL, "stages.1.act", NULL, "cls.2",
  };
  static const NdOp ops[] = {
    ND_OP_INPUT, ND_OP_CONV2D, ND_OP_RELU, ND_OP_CONV2D, ND_OP_CONV2D, ND_OP_MAXPOOL,
    ND_OP_RELU, ND_OP_CONV2D, ND_OP_CONV2D, ND_OP_RELU, ND_OP_CONV2D, ND_OP_ADAPTIVE_AVGPOOL,
    ND_OP_CONV2D,
  };

  g_assert_cmpint (nd_graph_n_nodes (f), ==, G_N_ELEMENTS (deploy));
  for (guint i = 0; i < G_N_ELEMENTS (deploy); i++)
    {
      const NdNode *node = nd_graph_node (f, i);

      g_assert_cmpstr (node->name, ==, deploy[i]);
      g_assert_cmpint (node->op, ==, ops[i]);
      if (node->op == ND_OP_CONV2D)
        g_assert_nonnull (node->w[ND_W_BIAS]);
    }
  assert_origins (f, "stem.0", (const char *[]) { "stem1.0", "stem1.1", "stem2.0", "stem2.1",
                                                  NULL });
  assert_origins (f, "stem.1", (const char *[]) { "stem2.2", "stem2.2.bn", NULL });
  assert_origins (f, "stages.0.conv", (const char *[]) { "stages.0.conv1.0", "stages.0.conv1.1",
                                                         "stages.0.conv2.0", "stages.0.conv2.1",
                                                         NULL });
  assert_origins (f, "stages.1.act", (const char *[]) { "stages.1.act", "stages.1.act.bn",
                                                        NULL });
  assert_origins (f, "cls.2", (const char *[]) { "cls1.2", "cls1.3", "cls2.0", NULL });
  g_assert_cmpint (nd_graph_node (f, find (f, "stem.0"))->p.kernel, ==, 4);
  g_assert_cmpint (nd_graph_node (f, find (f, "stem.0"))->p.stride, ==, 4);
  g_assert_cmpint (nd_graph_node (f, find (f, "stages.0.conv"))->out_c, ==, 16);
  g_assert_cmpint (nd_graph_node (f, find (f, "stages.0.act"))->role, ==, ND_ROLE_SERIES_ACT);
  g_assert_cmpint (nd_graph_node (f, find (f, "stages.0.act"))->p.groups, ==, 16);
  g_assert_cmpint (f->output, ==, nd_graph_n_nodes (f) - 1);
  g_assert_nonnull (nd_graph_lookup_weight (f, "cls.2.bias"));
}

static void
test_vanillanet_lambda (void)
{
  g_autoptr(NdGraph) g = build_vanillanet (0.35f);
  g_autoptr(NdGraph) f = NULL;
  g_autoptr(GError) error = NULL;

  f = nd_fuse_graph (g, &error);
  g_assert_null (f);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "λ = 0.35"));
  g_assert_nonnull (strstr (error->message, "run it unfused"));
}

/* ---- Nothing to fuse: the same graph comes back -------------------------------------------- */

static void
test_nothing_to_fuse (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 9, 7);
  g_autoptr(NdGraph) f = NULL;
  NdOpParams mp = { .kernel = 2, .stride = 2 };
  NdOpParams leaky = { .alpha = 0.1f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 5 };
  int x, d, e, ins[2];

  x = conv (g, 0, 6, 3, 1, 1, 1, TRUE, "a", ND_ROLE_CONV);
  x = op1 (g, ND_OP_RELU, NULL, x, ND_ROLE_ACTIVATION);
  x = op1 (g, ND_OP_MAXPOOL, &mp, x, ND_ROLE_POOL);
  x = conv (g, x, 6, 3, 1, 1, 1, FALSE, "b", ND_ROLE_CONV);
  /* a slope other than 1 outside VanillaNet is just an activation: no merge, no refusal */
  x = op1 (g, ND_OP_LEAKY_RELU, &leaky, x, ND_ROLE_ACTIVATION);
  x = conv (g, x, 6, 1, 1, 0, 1, TRUE, "c", ND_ROLE_CONV);
  x = op1 (g, ND_OP_RELU, NULL, x, ND_ROLE_ACTIVATION);
  /* a conv read by its BN and by the ADD cannot fold; a BN that is not an identity branch and
   * a 3×3 read twice cannot merge */
  d = conv (g, x, 6, 3, 1, 1, 1, FALSE, "d", ND_ROLE_CONV);
  e = bn (g, d, 1e-5f, "d.bn", ND_ROLE_BN);
  ins[0] = d;
  ins[1] = e;
  x = op (g, ND_OP_ADD, NULL, ins, 2, ND_ROLE_MERGE);
  /* an identity BN beside a 3×3 that reads something else */
  e = bn (g, x, 1e-5f, "e.id", ND_ROLE_IDENTITY_BN);
  d = conv (g, d, 6, 3, 1, 1, 1, FALSE, "f", ND_ROLE_CONV);
  ins[0] = d;
  ins[1] = e;
  x = op (g, ND_OP_ADD, NULL, ins, 2, ND_ROLE_MERGE);
  x = op1 (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, x, ND_ROLE_HEAD);
  {
    g_autoptr(GError) error = NULL;

    nd_graph_add (g, ND_OP_LINEAR, &fc, &x, 1, "fc", &error);
    g_assert_no_error (error);
  }

  f = fuse_and_compare (g, 51, 0);
  g_assert_cmpint (nd_graph_n_nodes (f), ==, nd_graph_n_nodes (g));
  g_assert_cmpint (f->output, ==, g->output);
  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *a = nd_graph_node (g, i), *b = nd_graph_node (f, i);

      g_assert_cmpint (a->op, ==, b->op);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->role, ==, b->role);
      g_assert_cmpint (a->n_inputs, ==, b->n_inputs);
      g_assert_cmpmem (a->inputs, sizeof a->inputs, b->inputs, sizeof b->inputs);
      g_assert_cmpmem (&a->p, sizeof a->p, &b->p, sizeof b->p);
      for (int s = 0; s < ND_W_COUNT; s++)
        g_assert_true (a->w[s] == b->w[s]);
      g_assert_null (b->origins);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fuse/resnet-conv-bn", test_resnet_conv_bn);
  g_test_add_func ("/fuse/repvgg-blocks", test_repvgg_blocks);
  g_test_add_func ("/fuse/parnet-blocks", test_parnet_blocks);
  g_test_add_func ("/fuse/vanillanet", test_vanillanet);
  g_test_add_func ("/fuse/vanillanet-lambda", test_vanillanet_lambda);
  g_test_add_func ("/fuse/nothing-to-fuse", test_nothing_to_fuse);
  return g_test_run ();
}
