/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-backend.h"
#include "nd-backend-vulkan.h"
#include "nd-error.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"
#include "nd-vk-plan.h"

/* Every Vulkan kernel against the naive CPU oracle on awkward shapes (odd channel counts, C
 * not a multiple of 4, groups, stride 2, 1×1 maps), the plan-level fusions, barriers and
 * timings, and the no-device fallback. Skips (and says so) without a Vulkan device. */

#define RTOL 1e-4

static NdBackend *backend;
static char *skip_reason;

static gboolean
need_device (void)
{
  if (backend != NULL)
    return TRUE;
  g_test_skip (skip_reason);
  return FALSE;
}

/* Runs @g on the device twice (two inputs, to check that the recorded command buffer
 * replays) and compares the output, and every node in @capture, with the oracle. */
static NdPlan *
check_graph (NdGraph *g, int batch, const int *capture, int n_capture, gboolean timings,
             const char *what)
{
  g_autoptr(GError) error = NULL;
  NdPlanOptions opt = { .batch = batch, .capture = capture, .n_capture = n_capture,
                        .timings = timings };
  NdPlan *plan = nd_backend_prepare (backend, g, &opt, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plan);
  for (int r = 0; r < 2; r++)
    {
      g_autoptr(NdTensor) x = nd_test_random_input (batch, g->in_c, g->in_h, g->in_w, 17 + r);
      g_autoptr(GPtrArray) all = NULL;
      g_autoptr(NdTensor) want = nd_ref_run_graph (g, x, &all);
      g_autofree char *label = g_strdup_printf ("%s (run %d)", what, r);

      g_assert_true (nd_plan_run (plan, x, &error));
      g_assert_no_error (error);
      g_assert_cmpint (plan->output->numel, ==, want->numel);
      nd_test_assert_close (plan->output, want, RTOL, 0, label);
      for (int i = 0; i < n_capture; i++)
        {
          NdTensor *got = nd_plan_get_captured (plan, capture[i]);
          g_autofree char *l = g_strdup_printf ("%s node %d", label, capture[i]);

          g_assert_nonnull (got);
          nd_test_assert_close (got, g_ptr_array_index (all, capture[i]), RTOL, 0, l);
        }
    }
  return plan;
}

typedef struct
{
  int cin, cout, h, w, k, s, pad, groups, bias, batch;
  const char *algo;
} ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 13, 13, 13, 3, 1, 1, 1, 1, 1, "vk-implicit-gemm" },
  { 13, 127, 7, 5, 3, 2, 1, 1, 0, 2, "vk-implicit-gemm" },
  { 6, 9, 11, 11, 3, 2, 1, 3, 1, 1, "vk-implicit-gemm" },
  { 64, 70, 9, 9, 3, 1, 1, 1, 1, 1, "vk-winograd" },
  { 16, 16, 8, 8, 3, 1, 1, 1, 1, 2, "vk-winograd" },
  { 16, 16, 7, 9, 3, 1, 1, 1, 1, 1, "vk-implicit-gemm" },
  { 17, 33, 13, 7, 3, 1, 1, 1, 0, 2, "vk-winograd" },
  { 15, 16, 8, 8, 3, 1, 1, 1, 1, 1, "vk-implicit-gemm" },
  { 32, 24, 8, 8, 3, 1, 1, 2, 1, 1, "vk-implicit-gemm" },
  { 3, 24, 16, 16, 4, 4, 0, 1, 1, 1, "vk-implicit-gemm" },
  { 3, 8, 17, 17, 7, 2, 3, 1, 0, 2, "vk-implicit-gemm" },
  { 13, 7, 13, 13, 1, 2, 0, 1, 1, 1, "vk-implicit-gemm" },
  { 2, 6, 1, 1, 3, 1, 1, 2, 1, 3, "vk-implicit-gemm" },
  { 127, 3, 13, 13, 1, 1, 0, 1, 1, 1, "vk-gemm1x1" },
  { 8, 12, 5, 5, 1, 1, 0, 4, 0, 2, "vk-gemm1x1" },
  { 64, 65, 1, 1, 1, 1, 0, 1, 1, 3, "vk-gemv" },      /* an SE gate's 1×1 map */
  { 8, 12, 2, 2, 1, 1, 0, 4, 1, 2, "vk-gemv" },      /* grouped, a 2×2 map, batch 2 */
  { 16, 16, 9, 9, 7, 1, 3, 16, 0, 1, "vk-depthwise" },
  { 5, 5, 1, 1, 3, 1, 1, 5, 1, 2, "vk-depthwise" },
  { 13, 13, 12, 12, 3, 2, 1, 13, 1, 1, "vk-depthwise" },
};

static void
test_conv (gconstpointer data)
{
  const ConvCase *c = data;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .out_c = c->cout, .kernel = c->k, .stride = c->s, .pad = c->pad,
                   .groups = c->groups, .has_bias = c->bias };
  int in = 0, id;

  if (!need_device ())
    return;
  g = nd_graph_new (c->cin, c->h, c->w);
  id = nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "conv", &error);
  g_assert_no_error (error);
  nd_test_randomize_graph (g, 3);
  plan = check_graph (g, c->batch, NULL, 0, FALSE, "conv");
  g_assert_cmpstr (plan->op_algo[id], ==, c->algo);
}

/* Non-square kernels go to the implicit GEMM, with and without split-K, never to the
 * Winograd, depthwise or 1×1 kernels. */
static void
test_conv_rect (void)
{
  static const struct { int c, h, w, o, kh, kw, s, ph, pw, g; } cases[] = {
    { 8, 9, 11, 6, 1, 7, 1, 0, 3, 1 },
    { 8, 9, 11, 6, 7, 1, 1, 3, 0, 1 },
    { 16, 8, 8, 16, 3, 1, 1, 1, 0, 1 },
    { 6, 10, 7, 4, 3, 1, 2, 1, 0, 2 },
    { 6, 7, 9, 6, 1, 5, 1, 0, 2, 6 },
    { 5, 6, 6, 7, 1, 1, 1, 0, 1, 1 },
    { 192, 3, 3, 32, 1, 7, 1, 0, 3, 1 },   /* a small map with a long K (split-K on wide GPUs) */
  };

  if (!need_device ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (cases[i].c, cases[i].h, cases[i].w);
      g_autoptr(NdPlan) plan = NULL;
      g_autoptr(GError) error = NULL;
      NdOpParams p = { .out_c = cases[i].o, .kernel = cases[i].kh, .kernel_w = cases[i].kw,
                       .stride = cases[i].s, .pad = cases[i].ph, .pad_w = cases[i].pw,
                       .groups = cases[i].g, .has_bias = 1 };
      int in = 0, id = nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", &error);

      g_assert_no_error (error);
      nd_test_randomize_graph (g, 30 + i);
      plan = check_graph (g, 2, NULL, 0, FALSE, "non-square conv");
      g_assert_true (g_str_has_prefix (plan->op_algo[id], "vk-implicit-gemm"));
    }
}

/* conv → BN → activation chains fold into one dispatch; a captured intermediate stops it. */
static void
test_conv_fusion (void)
{
  const NdOp acts[] = { ND_OP_RELU, ND_OP_LEAKY_RELU, ND_OP_SILU, ND_OP_SIGMOID };

  if (!need_device ())
    return;
  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (int with_bn = 0; with_bn < 2; with_bn++)
      for (int capture_mid = 0; capture_mid < 2; capture_mid++)
        {
          g_autoptr(NdGraph) g = nd_graph_new (5, 9, 7);
          g_autoptr(NdPlan) plan = NULL;
          NdOpParams conv = { .out_c = 11, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                              .has_bias = a % 2 };
          NdOpParams bn = { .eps = 1e-5f };
          NdOpParams act = { .alpha = 0.3f };
          int c, b, r, in = 0;

          c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
          b = with_bn ? nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "bn", NULL) : c;
          r = nd_graph_add (g, acts[a], &act, &b, 1, NULL, NULL);
          nd_test_randomize_graph (g, 5 + a);
          plan = check_graph (g, 2, capture_mid ? &c : NULL, capture_mid, FALSE, "conv-fusion");
          /* With the conv captured, the BN stays its own dispatch but still takes the
           * activation. */
          g_assert_cmpstr (plan->op_algo[r], ==,
                           capture_mid && !with_bn ? "vk-eltwise" : "fused");
          if (with_bn)
            g_assert_cmpstr (plan->op_algo[b], ==, capture_mid ? "vk-eltwise" : "fused");
        }
}

static void
test_eltwise (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (13, 5, 3);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams leaky = { .alpha = 0.1f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams se = { .out_c = 13, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gate1 = { .alpha = 1.0f }, gate2 = { .alpha = 2.0f };
  int in = 0, b[4], a2, a3, a4, p, s, g1, g2, r, si, sg, l;
  int capture[16], n = 0;

  if (!need_device ())
    return;
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("bn%d", i);

      b[i] = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, name, NULL);
    }
  r = nd_graph_add (g, ND_OP_RELU, NULL, &in, 1, NULL, NULL);
  si = nd_graph_add (g, ND_OP_SILU, NULL, &b[0], 1, NULL, NULL);
  sg = nd_graph_add (g, ND_OP_SIGMOID, NULL, &b[1], 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &b[2], 1, NULL, NULL);
  a2 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1] }, 2, NULL, NULL);
  a3 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1], b[2] }, 3, NULL, NULL);
  a4 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { r, si, sg, l }, 4, NULL, NULL);
  p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &b[3], 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
  g1 = nd_graph_add (g, ND_OP_GATE, &gate1, (int[]) { a2, s }, 2, NULL, NULL);
  g2 = nd_graph_add (g, ND_OP_GATE, &gate2, (int[]) { a3, s }, 2, NULL, NULL);
  nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { g1, g2, a4 }, 3, NULL, NULL);
  nd_graph_add (g, ND_OP_SILU, NULL, (int[]) { nd_graph_n_nodes (g) - 1 }, 1, NULL, NULL);
  nd_test_randomize_graph (g, 9);
  for (int i = 0; i < 4; i++)
    capture[n++] = b[i];
  capture[n++] = r;
  capture[n++] = si;
  capture[n++] = sg;
  capture[n++] = l;
  capture[n++] = a2;
  capture[n++] = a3;
  capture[n++] = a4;
  capture[n++] = s;
  capture[n++] = g1;
  capture[n++] = g2;
  plan = check_graph (g, 3, capture, n, FALSE, "eltwise");
  /* The final ADD → SILU is one dispatch. */
  g_assert_cmpstr (plan->op_algo[nd_graph_n_nodes (g) - 1], ==, "fused");
}

static void
test_pools (void)
{
  const struct { NdOp op; int k, s, pad, oh, ow, h, w; } cases[] = {
    { ND_OP_AVGPOOL, 2, 2, 0, 0, 0, 13, 13 },
    { ND_OP_AVGPOOL, 3, 1, 1, 0, 0, 7, 5 },
    { ND_OP_MAXPOOL, 3, 2, 1, 0, 0, 13, 11 },
    { ND_OP_MAXPOOL, 2, 2, 0, 0, 0, 1 + 1, 3 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 13, 13 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 3, 3, 7, 5 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 2, 3, 7, 5 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 1, 1 },
    /* Global pools (one workgroup per plane): planes of more and fewer cells than threads. */
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 71, 69 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 1, 1, 9, 11 },
  };

  if (!need_device ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (3, cases[i].h, cases[i].w);
      g_autoptr(GError) error = NULL;
      NdOpParams p = { .kernel = cases[i].k, .stride = cases[i].s, .pad = cases[i].pad,
                       .out_h = cases[i].oh, .out_w = cases[i].ow };
      int in = 0;

      nd_graph_add (g, cases[i].op, &p, &in, 1, NULL, &error);
      g_assert_no_error (error);
      nd_plan_free (check_graph (g, 2, NULL, 0, FALSE, nd_op_name (cases[i].op)));
    }
}

static void
test_layout_ops (void)
{
  if (!need_device ())
    return;
  for (int groups = 1; groups <= 4; groups *= 2)
    {
      g_autoptr(NdGraph) g = nd_graph_new (12, 3, 5);
      NdOpParams sh = { .groups = groups };
      NdOpParams bn = { .eps = 1e-5f };
      int in = 0, b, s, capture[2];

      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "bn", NULL);
      s = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &in, 1, NULL, NULL);
      capture[0] = s;
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      capture[1] = nd_graph_add (g, ND_OP_SOFTMAX, NULL, (int[]) { s }, 1, NULL, NULL);
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      nd_test_randomize_graph (g, 11);
      nd_plan_free (check_graph (g, 2, capture, 2, FALSE, "layout"));
    }
}

/* The zoo's ops: ReLU6 alone and fused after conv + BN (γ = 8 so both ends clip), SLICE, and
 * CONCAT of 2, 3 and 4 inputs of different widths. */
static void
test_zoo_ops (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 7, 5);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f }, conv = { .out_c = 8, .kernel = 3, .stride = 1, .pad = 1,
                                             .groups = 1, .has_bias = 1 };
  NdOpParams s1 = { .offset = 1, .out_c = 4 }, s2 = { .offset = 2, .out_c = 5 };
  int in = 0, b, r6, c, cb, r6c, sl1, sl2, cat2, cat3, cat4, capture[8];

  if (!need_device ())
    return;
  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "bn", NULL);
  r6 = nd_graph_add (g, ND_OP_RELU6, NULL, &b, 1, NULL, NULL);
  c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
  cb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "cb", NULL);
  r6c = nd_graph_add (g, ND_OP_RELU6, NULL, &cb, 1, NULL, NULL);
  sl1 = nd_graph_add (g, ND_OP_SLICE, &s1, &r6, 1, NULL, NULL);
  sl2 = nd_graph_add (g, ND_OP_SLICE, &s2, &r6c, 1, NULL, NULL);
  cat2 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { sl1, r6c }, 2, NULL, NULL);
  cat3 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { sl2, b, cat2 }, 3, NULL, NULL);
  cat4 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { b, sl1, sl2, r6 }, 4, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { cat3, cat4 }, 2, NULL, NULL);
  nd_test_randomize_graph (g, 13);
  for (int i = 0; i < 6; i++)
    nd_graph_node (g, b)->w[ND_W_WEIGHT]->data[i] = 8.0f;
  for (int i = 0; i < 8; i++)
    nd_graph_node (g, cb)->w[ND_W_WEIGHT]->data[i] = 8.0f;
  capture[0] = r6, capture[1] = r6c, capture[2] = sl1, capture[3] = sl2;
  capture[4] = cat2, capture[5] = cat3, capture[6] = cat4, capture[7] = b;
  plan = check_graph (g, 2, capture, 8, FALSE, "zoo-ops");
  g_assert_cmpstr (plan->op_algo[r6c], ==, "fused");
  g_assert_cmpstr (plan->op_algo[cat4], ==, "vk-concat-n");
  g_assert_cmpstr (plan->op_algo[sl2], ==, "vk-slice");
}

static void
test_linear_softmax (void)
{
  /* Batch 3 takes the matrix-vector path, batch 7 the tiled GEMM. */
  const struct { int batch; const char *algo; } cases[] = { { 3, "vk-gemv" }, { 7, "vk-gemm" } };

  if (!need_device ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (7, 3, 5);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams fc1 = { .out_c = 127 }, fc2 = { .out_c = 13 };
      int in = 0, l1, r;

      /* A linear on a 7×3×5 map flattens it; the second reads 127 features. */
      l1 = nd_graph_add (g, ND_OP_LINEAR, &fc1, &in, 1, "fc1", NULL);
      r = nd_graph_add (g, ND_OP_RELU, NULL, &l1, 1, NULL, NULL);
      r = nd_graph_add (g, ND_OP_LINEAR, &fc2, &r, 1, "fc2", NULL);
      nd_graph_add (g, ND_OP_SOFTMAX, NULL, &r, 1, NULL, NULL);
      nd_test_randomize_graph (g, 13);
      plan = check_graph (g, cases[i].batch, &r, 1, FALSE, "linear-softmax");
      g_assert_cmpstr (plan->op_algo[l1], ==, cases[i].algo);
      g_assert_cmpstr (plan->op_algo[l1 + 1], ==, "fused");
    }
}

/* Block tails folded into the producer's epilogue: ResNet's conv → BN → add → ReLU (with
 * 3×3 (Winograd), 1×1 and depthwise producers, the chain in either add position), ParNet case B
 * (conv → BN → add → gate → SiLU) and case A (identity BN → gate, then add → SiLU). */
static void
test_epilogue (void)
{
  if (!need_device ())
    return;
  for (int variant = 0; variant < 4; variant++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (16, 9, 8);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams c3 = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
      NdOpParams c1 = { .out_c = 16, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
      NdOpParams dw = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 16 };
      NdOpParams bn = { .eps = 1e-5f };
      NdOpParams gap = { .out_h = 1, .out_w = 1 };
      NdOpParams se = { .out_c = 16, .kernel = 1, .stride = 1, .groups = 1 };
      NdOpParams gate = { .alpha = variant == 3 ? 1.0f : 2.0f };
      const NdOpParams *conv = variant == 1 ? &c1 : variant == 2 ? &dw : &c3;
      int in = 0, d, b, idb, p, s_, gt, add, act, other;

      d = nd_graph_add (g, ND_OP_CONV2D, conv, &in, 1, "dense", NULL);
      d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "dense.bn", NULL);
      b = nd_graph_add (g, ND_OP_CONV2D, &c1, &in, 1, "branch", NULL);
      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &b, 1, "branch.bn", NULL);
      p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &in, 1, NULL, NULL);
      s_ = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
      if (variant < 3)
        {
          /* The chain is the second summand for the 1×1 variant. */
          other = variant == 1 ? b : in;
          add = nd_graph_add (g, ND_OP_ADD, NULL,
                              variant == 1 ? (int[]) { other, d } : (int[]) { d, other }, 2,
                              NULL, NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { add, s_ }, 2, NULL, NULL);
          act = nd_graph_add (g, variant == 0 ? ND_OP_RELU : ND_OP_SILU, NULL, &gt, 1, NULL,
                              NULL);
        }
      else
        {
          idb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "identity", NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { idb, s_ }, 2, NULL, NULL);
          add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, b, gt }, 3, NULL, NULL);
          act = nd_graph_add (g, ND_OP_SILU, NULL, &add, 1, NULL, NULL);
        }
      nd_test_randomize_graph (g, 41 + variant);
      plan = check_graph (g, 2, NULL, 0, FALSE, "epilogue");
      g_assert_cmpstr (plan->op_algo[add], ==, "fused");
      g_assert_cmpstr (plan->op_algo[gt], ==, "fused");
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
    }
}

/* Split-K (GPUs with a grid too small to fill them): forced on lavapipe by claiming the
 * device wants a million workgroups. Plain convs, a grouped strided one, a 1×1, and a block
 * tail whose BN, residual add, gate and activation land in the reduction pass. */
static void
test_split_k (void)
{
  static const ConvCase cases[] = {
    { 96, 70, 5, 5, 3, 1, 1, 1, 1, 2, "vk-implicit-gemm-splitk" },
    { 128, 64, 7, 7, 3, 2, 1, 2, 0, 1, "vk-implicit-gemm-splitk" },
    { 300, 33, 6, 6, 1, 1, 0, 1, 1, 1, "vk-gemm1x1-splitk" },
    { 48, 40, 6, 6, 1, 1, 0, 4, 1, 1, "vk-gemm1x1" },   /* K = 12 per group: not split */
  };

  if (!need_device ())
    return;
  g_setenv ("ND_VK_MIN_GROUPS", "1000000", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    test_conv (&cases[i]);
  {
    g_autoptr(NdGraph) g = nd_graph_new (48, 6, 5);
    g_autoptr(NdPlan) plan = NULL;
    NdOpParams c3 = { .out_c = 48, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
    NdOpParams bn = { .eps = 1e-5f };
    NdOpParams gap = { .out_h = 1, .out_w = 1 };
    NdOpParams se = { .out_c = 48, .kernel = 1, .stride = 1, .groups = 1 };
    NdOpParams gate = { .alpha = 2.0f };
    int in = 0, d, p, s_, add, gt, act;

    d = nd_graph_add (g, ND_OP_CONV2D, &c3, &in, 1, "dense", NULL);
    d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "dense.bn", NULL);
    p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &in, 1, NULL, NULL);
    s_ = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
    add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, in }, 2, NULL, NULL);
    gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { add, s_ }, 2, NULL, NULL);
    act = nd_graph_add (g, ND_OP_SILU, NULL, &gt, 1, NULL, NULL);
    nd_test_randomize_graph (g, 77);
    plan = check_graph (g, 2, NULL, 0, FALSE, "split-k epilogue");
    g_assert_cmpstr (plan->op_algo[1], ==, "vk-implicit-gemm-splitk");
    g_assert_cmpstr (plan->op_algo[act], ==, "fused");
  }
  g_unsetenv ("ND_VK_MIN_GROUPS");
}

/* fp16 storage: a conv → BN → ReLU → pool → linear chain close to the oracle at float16's
 * precision; then the same graph with weights scaled past float16's range must fail with an
 * error, not hand back infinities. */
static void
test_fp16 (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (5, 9, 7);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) big = NULL;
  g_autoptr(NdTensor) x = nd_test_random_input (2, 5, 9, 7, 3);
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams conv = { .out_c = 12, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, fc = { .out_c = 7 };
  NdPlanOptions opt = { .batch = 2, .fp16 = TRUE };
  int in = 0, c, r, fc_id;

  if (!need_device ())
    return;
  c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "conv", NULL);
  r = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "bn", NULL);
  r = nd_graph_add (g, ND_OP_RELU, NULL, &r, 1, NULL, NULL);
  r = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &r, 1, NULL, NULL);
  fc_id = nd_graph_add (g, ND_OP_LINEAR, &fc, &r, 1, "fc", NULL);
  nd_test_randomize_graph (g, 5);
  plan = nd_backend_prepare (backend, g, &opt, &error);
  if (g_error_matches (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  want = nd_ref_run_graph (g, x, NULL);
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_no_error (error);
  nd_test_assert_close (plan->output, want, 5e-3, 0, "fp16");

  {
    const NdTensor *w = nd_graph_node (g, fc_id)->w[ND_W_WEIGHT];

    for (int64_t i = 0; i < w->numel; i++)
      w->data[i] *= 1e6f;
  }
  big = nd_backend_prepare (backend, g, &opt, &error);
  g_assert_no_error (error);
  g_assert_false (nd_plan_run (big, x, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
}

/* A three-stream toy in ParNet's shape: independent 3×3 + 1×1 branches per stream, merged at
 * the end. Level ordering must keep the barrier count near the depth, not the node count. */
static void
test_streams_and_barriers (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 11, 11);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams c3 = { .out_c = 6, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams c1 = { .out_c = 6, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  int outs[3], n_steps = 0;

  if (!need_device ())
    return;
  for (int s = 0; s < 3; s++)
    {
      int x = 0;

      for (int d = 0; d < 3; d++)
        {
          g_autofree char *a = g_strdup_printf ("streams.%d.%d.dense", s, d);
          g_autofree char *ab = g_strdup_printf ("streams.%d.%d.dense.bn", s, d);
          g_autofree char *b = g_strdup_printf ("streams.%d.%d.b1x1", s, d);
          g_autofree char *bb = g_strdup_printf ("streams.%d.%d.b1x1.bn", s, d);
          int p, q;

          p = nd_graph_add (g, ND_OP_CONV2D, &c3, &x, 1, a, NULL);
          p = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &p, 1, ab, NULL);
          q = nd_graph_add (g, ND_OP_CONV2D, &c1, &x, 1, b, NULL);
          q = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &q, 1, bb, NULL);
          x = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { p, q }, 2, NULL, NULL);
          x = nd_graph_add (g, ND_OP_SILU, NULL, &x, 1, NULL, NULL);
          n_steps += 3;
        }
      outs[s] = x;
    }
  nd_graph_add (g, ND_OP_ADD, NULL, outs, 3, NULL, NULL);
  n_steps++;
  nd_test_randomize_graph (g, 21);
  plan = check_graph (g, 1, NULL, 0, FALSE, "streams");
  /* Per depth: one barrier before the add, one before the next convs; then the final add. */
  g_test_message ("%d dispatches, %d barriers", n_steps, nd_vk_plan_n_barriers (plan));
  g_assert_cmpint (nd_vk_plan_n_barriers (plan), <=, 2 * 3);
}

static gboolean
pipeline_cache_exists (void)
{
  g_autofree char *sub = g_build_filename (g_get_user_cache_dir (), "nondeep", NULL);
  g_autoptr(GDir) dir = g_dir_open (sub, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "vulkan-") && g_str_has_suffix (name, ".cache"))
      return TRUE;
  return FALSE;
}

static void
test_timings (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 16, 16);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams c = { .out_c = 16, .kernel = 3, .stride = 2, .pad = 1, .groups = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 10 };
  int in = 0, conv, b, r, p, l;

  if (!need_device ())
    return;
  conv = nd_graph_add (g, ND_OP_CONV2D, &c, &in, 1, "conv", NULL);
  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &conv, 1, "bn", NULL);
  r = nd_graph_add (g, ND_OP_RELU, NULL, &b, 1, NULL, NULL);
  p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &r, 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LINEAR, &fc, &p, 1, "fc", NULL);
  nd_test_randomize_graph (g, 23);
  plan = check_graph (g, 1, NULL, 0, TRUE, "timings");
  g_test_message ("%s: prepare %.2f ms, run %.3f ms, conv %.4f ms, pool %.4f ms, fc %.4f ms",
                  backend->description, plan->prepare_ms, plan->total_ms, plan->op_ms[conv],
                  plan->op_ms[p], plan->op_ms[l]);
  g_assert_cmpfloat (plan->prepare_ms, >, 0);
  if (strstr (backend->description, "timestamps yes") != NULL)
    {
      g_assert_cmpfloat (plan->op_ms[conv], >, 0);
      g_assert_cmpfloat (plan->op_ms[l], >, 0);
    }
  g_assert_cmpfloat (plan->op_ms[b], ==, 0);
  g_assert_cmpfloat (plan->op_ms[r], ==, 0);
  g_assert_true (pipeline_cache_exists ());

  /* timings_refresh_ms (the GUI's mode): the first run is timed, the next ones within the
   * interval run the unfenced buffer — correct outputs, the same op_ms, and that buffer's
   * barrier count, the same as a plan without timings. */
  if (strstr (backend->description, "timestamps yes") != NULL)
    {
      g_autoptr(NdPlan) untimed = NULL;
      g_autoptr(NdPlan) refresh = NULL;
      g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 16, 16, 5);
      g_autoptr(NdTensor) want = nd_ref_run_graph (g, x, NULL);
      g_autoptr(GError) error = NULL;
      NdPlanOptions opt = { .batch = 1, .timings = TRUE, .timings_refresh_ms = 600000 };
      NdPlanOptions plain = { .batch = 1 };
      double conv_ms;

      refresh = nd_backend_prepare (backend, g, &opt, &error);
      g_assert_no_error (error);
      untimed = nd_backend_prepare (backend, g, &plain, &error);
      g_assert_no_error (error);
      g_assert_cmpint (nd_vk_plan_n_barriers (refresh), ==, nd_vk_plan_n_barriers (untimed));
      g_assert_true (nd_plan_run (refresh, x, &error));
      conv_ms = refresh->op_ms[conv];
      g_assert_cmpfloat (conv_ms, >, 0);
      for (int i = 0; i < 3; i++)
        {
          refresh->op_ms[conv] = -1;   /* an unfenced run leaves it alone */
          g_assert_true (nd_plan_run (refresh, x, &error));
          g_assert_no_error (error);
          g_assert_cmpfloat (refresh->op_ms[conv], ==, -1);
          nd_test_assert_close (refresh->output, want, RTOL, 0, "refresh-mode run");
        }
    }
}

static gpointer
thread_prepare_and_run (gpointer data)
{
  int seed = GPOINTER_TO_INT (data);
  g_autoptr(NdGraph) g = nd_graph_new (5, 11, 9);
  NdOpParams c = { .out_c = 7 + seed, .kernel = 3, .stride = 1 + seed % 2, .pad = 1,
                   .groups = 1, .has_bias = 1 };
  int in = 0;

  nd_graph_add (g, ND_OP_CONV2D, &c, &in, 1, "conv", NULL);
  nd_graph_add (g, ND_OP_SILU, NULL, (int[]) { 1 }, 1, NULL, NULL);
  nd_test_randomize_graph (g, seed);
  for (int i = 0; i < 3; i++)
    nd_plan_free (check_graph (g, 1 + i, NULL, 0, i == 1, "threads"));
  return NULL;
}

/* Plans of one backend prepared and run on two threads at once (the GUI's worker and a
 * benchmark, say): the shared pipeline table and queue are locked, pools are per plan. */
static void
test_threads (void)
{
  GThread *t[2];

  if (!need_device ())
    return;
  for (int i = 0; i < 2; i++)
    t[i] = g_thread_new ("vk-test", thread_prepare_and_run, GINT_TO_POINTER (i + 1));
  for (int i = 0; i < 2; i++)
    g_thread_join (t[i]);
}

static void
test_devices (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = nd_vulkan_list_devices (&error);
  g_autoptr(NdBackend) bad = NULL;

  if (!need_device ())
    return;
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, >, 0);
  for (guint i = 0; i < list->len; i++)
    {
      NdVulkanDeviceInfo *info = g_ptr_array_index (list, i);

      g_test_message ("device %d: %s (%s), %s, API %s", info->index, info->name, info->type,
                      info->driver, info->api_version);
      g_assert_cmpint (info->index, ==, (int) i);
      g_assert_true (strlen (info->name) > 0);
    }
  bad = nd_backend_new ("vulkan", (int) list->len + 3, &error);
  g_assert_null (bad);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
}

/* With the loader pointed at an empty driver list, the backend must say so, not crash. */
static void
test_no_device (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("nd-no-icd-XXXXXX", NULL);
      g_autofree char *json = g_build_filename (dir, "none.json", NULL);
      g_autoptr(NdBackend) b = NULL;

      g_assert_true (g_file_set_contents (json, "{}", -1, NULL));
      g_setenv ("VK_ICD_FILENAMES", json, TRUE);
      g_setenv ("VK_DRIVER_FILES", json, TRUE);
      g_setenv ("VK_LOADER_DEBUG", "none", TRUE);
      b = nd_backend_new ("vulkan", -1, &error);
      g_assert_null (b);
      g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE);
      g_assert_null (nd_vulkan_list_devices (NULL));
      g_remove (json);
      g_rmdir (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *cache = g_build_filename (builddir ? builddir : g_get_tmp_dir (),
                                            "vulkan-cache", NULL);
  int ret;

  /* Not G_TEST_OPTION_ISOLATE_DIRS: that also hides the loader's driver manifests
   * (XDG_DATA_DIRS). The caches (ours, and Mesa's shader cache, which holds lavapipe's
   * compiled code) go to the build tree, where they survive between test runs. */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  if (!g_test_subprocess ())
    {
      backend = nd_backend_new ("vulkan", -1, &error);
      if (backend == NULL)
        skip_reason = g_strdup_printf ("no Vulkan device: %s", error->message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      const ConvCase *c = &conv_cases[i];
      g_autofree char *path = g_strdup_printf ("/vulkan/conv/%d-%d-%dx%d-k%d-s%d-p%d-g%d-b%d",
                                               c->cin, c->cout, c->h, c->w, c->k, c->s, c->pad,
                                               c->groups, c->batch);

      g_test_add_data_func (path, c, test_conv);
    }
  g_test_add_func ("/vulkan/conv-fusion", test_conv_fusion);
  g_test_add_func ("/vulkan/eltwise", test_eltwise);
  g_test_add_func ("/vulkan/pools", test_pools);
  g_test_add_func ("/vulkan/layout", test_layout_ops);
  g_test_add_func ("/vulkan/zoo-ops", test_zoo_ops);
  g_test_add_func ("/vulkan/conv-non-square", test_conv_rect);
  g_test_add_func ("/vulkan/linear-softmax", test_linear_softmax);
  g_test_add_func ("/vulkan/epilogue", test_epilogue);
  g_test_add_func ("/vulkan/split-k", test_split_k);
  g_test_add_func ("/vulkan/fp16", test_fp16);
  g_test_add_func ("/vulkan/streams-barriers", test_streams_and_barriers);
  g_test_add_func ("/vulkan/timings", test_timings);
  g_test_add_func ("/vulkan/threads", test_threads);
  g_test_add_func ("/vulkan/devices", test_devices);
  g_test_add_func ("/vulkan/no-device", test_no_device);
  ret = g_test_run ();
  nd_backend_free (backend);
  g_free (skip_reason);
  return ret;
}
