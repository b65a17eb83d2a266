/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-error.h"
#include "nd-graph.h"

static int
add_conv (NdGraph *g, int in, int out_c, int k, int s, int pad, int groups, const char *name,
          GError **error)
{
  NdOpParams p = { .out_c = out_c, .kernel = k, .stride = s, .pad = pad, .groups = groups };

  return nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, name, error);
}

static void
test_shapes (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 7, 7);
  g_autoptr(GError) error = NULL;
  NdOpParams pool = { .kernel = 2, .stride = 2 };
  int c, p, cat, ins[2];

  c = add_conv (g, 0, 8, 3, 2, 1, 1, "conv", &error);
  g_assert_no_error (error);
  g_assert_cmpint (nd_graph_node (g, c)->out_c, ==, 8);
  g_assert_cmpint (nd_graph_node (g, c)->out_h, ==, 4);   /* (7 + 2 − 3) / 2 + 1 */
  p = nd_graph_add (g, ND_OP_AVGPOOL, &pool, &c, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nd_graph_node (g, p)->out_w, ==, 2);
  ins[0] = ins[1] = p;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, ins, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (nd_graph_node (g, cat)->out_c, ==, 16);
  g_assert_cmpint (g->output, ==, cat);

  /* weight shapes and keys */
  g_assert_nonnull (nd_graph_lookup_weight (g, "conv.weight"));
  g_assert_cmpint (nd_graph_lookup_weight (g, "conv.weight")->shape[1], ==, 3);
  g_assert_null (nd_graph_lookup_weight (g, "conv.bias"));
  g_assert_null (nd_graph_lookup_weight (g, "conv"));
  g_assert_cmpint (nd_graph_n_consumers (g, p), ==, 2);
  g_assert_cmpint (nd_graph_n_consumers (g, cat), ==, 1);
}

static void
test_shape_errors (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 4, 4);
  g_autoptr(GError) error = NULL;
  NdOpParams adaptive = { .out_h = 0, .out_w = 1 };
  int in = 0;

  g_assert_cmpint (add_conv (g, 0, 8, 7, 1, 0, 1, "big", &error), ==, -1);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "too small"));
  g_clear_error (&error);

  g_assert_cmpint (add_conv (g, 0, 8, 3, 1, 1, 4, "grouped", &error), ==, -1);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);

  g_assert_cmpint (nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &adaptive, &in, 1, NULL, &error),
                   ==, -1);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_assert_cmpint (nd_graph_n_nodes (g), ==, 1);   /* nothing half-added */
}

static void
test_counts (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 8, 8);
  g_autoptr(GPtrArray) blocks = NULL;
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 10 };
  gint64 params, macs;
  int depth, c, b, a, l;

  c = add_conv (g, 0, 6, 3, 1, 1, 2, "conv", NULL);
  nd_graph_tag (g, c, 0, "block0", ND_ROLE_DENSE3X3, 1);
  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "bn", NULL);
  nd_graph_tag (g, b, 0, "block0", ND_ROLE_BN, 1);
  a = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &b, 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LINEAR, &fc, &a, 1, "fc", NULL);
  nd_graph_tag (g, l, -1, "head", ND_ROLE_HEAD, 2);

  nd_graph_count (g, &params, &macs, &depth);
  /* conv 6·2·3·3 = 108, BN γβ 12, linear 60 + 10 */
  g_assert_cmpint (params, ==, 108 + 12 + 70);
  /* conv: 6·8·8 outputs × 2·9, linear 60 */
  g_assert_cmpint (macs, ==, 6 * 64 * 18 + 60);
  g_assert_cmpint (depth, ==, 2);

  blocks = nd_graph_block_stats (g);
  g_assert_cmpint (blocks->len, ==, 2);   /* block0, head; the unnamed pool belongs to none */
  {
    NdBlockStats *b0 = g_ptr_array_index (blocks, 0);

    g_assert_cmpstr (b0->block, ==, "block0");
    g_assert_cmpint (b0->params, ==, 120);
    g_assert_cmpint (b0->role, ==, ND_ROLE_DENSE3X3);
  }
}

static void
test_copy_shares_weights (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 5, 5);
  g_autoptr(NdGraph) copy = NULL;

  add_conv (g, 0, 4, 1, 1, 0, 1, "c", NULL);
  nd_graph_lookup_weight (g, "c.weight")->data[0] = 42.0f;
  copy = nd_graph_copy (g);
  g_assert_cmpfloat (nd_graph_lookup_weight (copy, "c.weight")->data[0], ==, 42.0f);
  g_assert_true (nd_graph_lookup_weight (copy, "c.weight") == nd_graph_lookup_weight (g, "c.weight"));
  g_assert_false (nd_graph_node (copy, 1) == nd_graph_node (g, 1));
}

/* Memory access cost against ShuffleNet V2's formula, h·w·(c_in + c_out) + c_in·c_out·k²
 * elements (stride 1, "same" padding, no bias), worked out by hand; FLOPs 2·MAC plus the
 * element-wise work; depth in weight layers; branches. */
static void
test_costs (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (32, 14, 14);
  NdOpParams bn = { .eps = 1e-5f };
  gint64 r, w, flops, tr, tw;
  int c1, c3, b, a, add, depth, ops, branches;

  c1 = add_conv (g, 0, 64, 1, 1, 0, 1, "pw", NULL);       /* 1×1 32 → 64 at 14×14 */
  nd_node_bytes (g, nd_graph_node (g, c1), &r, &w);
  /* 196·(32 + 64) + 32·64 = 18816 + 2048 = 20864 elements */
  g_assert_cmpint (r + w, ==, 4 * 20864);
  g_assert_cmpint (w, ==, 4 * 196 * 64);
  g_assert_cmpint (nd_node_flops (g, nd_graph_node (g, c1)), ==, 2 * 196 * 32 * 64);

  c3 = add_conv (g, c1, 64, 3, 1, 1, 1, "dense", NULL);   /* 3×3 64 → 64 */
  nd_node_bytes (g, nd_graph_node (g, c3), &r, &w);
  /* 196·128 + 64·64·9 = 25088 + 36864 = 61952 */
  g_assert_cmpint (r + w, ==, 4 * 61952);
  g_assert_cmpint (nd_node_flops (g, nd_graph_node (g, c3)), ==, 2 * 196 * 64 * 64 * 9);

  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c3, 1, "bn", NULL);
  nd_node_bytes (g, nd_graph_node (g, b), &r, &w);
  g_assert_cmpint (r, ==, 4 * (196 * 64 + 4 * 64));        /* map + γ β μ σ² */
  g_assert_cmpint (nd_node_flops (g, nd_graph_node (g, b)), ==, 2 * 196 * 64);
  add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { c1, b }, 2, NULL, NULL);
  a = nd_graph_add (g, ND_OP_RELU, NULL, &add, 1, NULL, NULL);
  g_assert_cmpint (nd_node_flops (g, nd_graph_node (g, add)), ==, 196 * 64);
  g_assert_cmpint (nd_node_flops (g, nd_graph_node (g, a)), ==, 196 * 64);

  nd_graph_cost (g, &flops, &tr, &tw);
  g_assert_cmpint (flops, ==, 2 * 196 * 32 * 64 + 2 * 196 * 64 * 64 * 9 + 4 * 196 * 64);
  /* writes: the four 64×14×14 maps and the relu (the input is not written) */
  g_assert_cmpint (tw, ==, 4 * 5 * 196 * 64);
  nd_graph_structure (g, &depth, &ops, &branches);
  g_assert_cmpint (depth, ==, 2);      /* pw → dense; the shortcut has one */
  g_assert_cmpint (ops, ==, 5);
  g_assert_cmpint (branches, ==, 2);   /* pw feeds dense and the add */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/graph/shapes", test_shapes);
  g_test_add_func ("/graph/shape-errors", test_shape_errors);
  g_test_add_func ("/graph/counts", test_counts);
  g_test_add_func ("/graph/copy", test_copy_shares_weights);
  g_test_add_func ("/graph/costs", test_costs);
  return g_test_run ();
}
