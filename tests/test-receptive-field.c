/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-error.h"
#include "nd-model.h"
#include "nd-receptive-field.h"
#include "nd-test-utils.h"

static int
add (NdGraph *g, NdOp op, int k, int s, int p, const int *in, int n_in)
{
  NdOpParams params = { .out_c = 4, .kernel = k, .stride = s, .pad = p, .groups = 1, .eps = 1e-5,
                        .alpha = 1, .out_h = 1, .out_w = 1 };
  g_autoptr(GError) error = NULL;
  int id = nd_graph_add (g, op, &params, in, n_in, NULL, &error);

  g_assert_no_error (error);
  return id;
}

/* Two 3×3 convs: r = 5; with a stride-2 first conv: r = 3 + 2·2 = 7 (Distill eq. 2). */
static void
test_chain (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 17, 13);
  NdReceptiveField rf;
  int a = add (g, ND_OP_CONV2D, 3, 2, 1, (int[]) { 0 }, 1);
  int b = add (g, ND_OP_CONV2D, 3, 1, 1, (int[]) { a }, 1);

  g_assert_true (nd_receptive_field (g, a, 0, 0, &rf, NULL));
  g_assert_cmpint (rf.width, ==, 3);
  g_assert_cmpint (rf.x0, ==, 0);
  g_assert_cmpint (rf.x1, ==, 1);   /* [−1, 1] clipped */
  g_assert_true (nd_receptive_field (g, b, 3, 2, &rf, NULL));
  g_assert_cmpint (rf.width, ==, 7);
  g_assert_cmpint (rf.height, ==, 7);
  /* Cell 2 of b covers cells 1..3 of a, which cover pixels 1 … 7. */
  g_assert_cmpint (rf.x0, ==, 1);
  g_assert_cmpint (rf.x1, ==, 7);
  g_assert_cmpint (rf.y0, ==, 3);
  g_assert_cmpint (rf.y1, ==, 9);
  g_assert_false (rf.global);
}

/* Branches: 1×1 ∪ 3×3 ∪ (3×3 → 3×3) through an ADD is the biggest path, 5. */
static void
test_multipath_union (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 9, 9);
  NdReceptiveField rf;
  int one = add (g, ND_OP_CONV2D, 1, 1, 0, (int[]) { 0 }, 1);
  int three = add (g, ND_OP_CONV2D, 3, 1, 1, (int[]) { 0 }, 1);
  int deep = add (g, ND_OP_CONV2D, 3, 1, 1, (int[]) { three }, 1);
  int sum = add (g, ND_OP_ADD, 0, 1, 0, (int[]) { one, deep }, 2);
  int sum2 = add (g, ND_OP_ADD, 0, 1, 0, (int[]) { one, three }, 2);

  g_assert_true (nd_receptive_field (g, sum, 4, 4, &rf, NULL));
  g_assert_cmpint (rf.width, ==, 5);
  g_assert_cmpint (rf.x0, ==, 2);
  g_assert_cmpint (rf.x1, ==, 6);
  g_assert_true (nd_receptive_field (g, sum2, 4, 4, &rf, NULL));
  g_assert_cmpint (rf.width, ==, 3);
}

/* An SE gate keeps the local field and flags the global squeeze. */
static void
test_gate_global (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 8, 8);
  NdReceptiveField rf;
  int conv = add (g, ND_OP_CONV2D, 3, 1, 1, (int[]) { 0 }, 1);
  int pool = add (g, ND_OP_ADAPTIVE_AVGPOOL, 0, 1, 0, (int[]) { 0 }, 1);
  int se = add (g, ND_OP_CONV2D, 1, 1, 0, (int[]) { pool }, 1);
  int gate = add (g, ND_OP_GATE, 0, 1, 0, (int[]) { conv, se }, 2);
  int head = add (g, ND_OP_ADAPTIVE_AVGPOOL, 0, 1, 0, (int[]) { gate }, 1);

  g_assert_true (nd_receptive_field (g, gate, 5, 5, &rf, NULL));
  g_assert_cmpint (rf.width, ==, 3);
  g_assert_true (rf.global);
  g_assert_true (nd_receptive_field (g, head, 0, 0, &rf, NULL));
  g_assert_cmpint (rf.x0, ==, 0);
  g_assert_cmpint (rf.x1, ==, 7);
}

static void
test_errors (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 8, 8);
  g_autoptr(GError) error = NULL;
  NdReceptiveField rf;
  int conv = add (g, ND_OP_CONV2D, 3, 2, 1, (int[]) { 0 }, 1);

  g_assert_false (nd_receptive_field (g, conv, 4, 0, &rf, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (nd_receptive_field (g, 99, 0, 0, &rf, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
}

/* ParNet: a stream-2 block (lowest resolution) sees a far bigger field than the first stream-0
 * block, and every field is inside the image. */
static void
test_parnet (void)
{
  NdModelSpec spec;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(GError) error = NULL;
  int first0 = -1, last2 = -1;
  NdReceptiveField a, b;

  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
  spec.width = 0.25;
  spec.resolution = 64;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *n = nd_graph_node (g, i);

      if (g_strcmp0 (n->block, "streams.0.0") == 0 && first0 < 0)
        first0 = i;
      if (n->block && g_str_has_prefix (n->block, "streams.2."))
        last2 = i;
    }
  g_assert_cmpint (first0, >, 0);
  g_assert_cmpint (last2, >, 0);
  g_assert_true (nd_receptive_field (g, first0, 0, 0, &a, NULL));
  g_assert_true (nd_receptive_field (g, last2, nd_graph_node (g, last2)->out_h / 2,
                                     nd_graph_node (g, last2)->out_w / 2, &b, NULL));
  g_assert_cmpint (b.width, >, a.width);
  g_assert_cmpint (b.x1, <, 64);
  g_assert_cmpint (b.x0, >=, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/receptive-field/chain", test_chain);
  g_test_add_func ("/receptive-field/multipath-union", test_multipath_union);
  g_test_add_func ("/receptive-field/gate-global", test_gate_global);
  g_test_add_func ("/receptive-field/errors", test_errors);
  g_test_add_func ("/receptive-field/parnet", test_parnet);
  return g_test_run ();
}
