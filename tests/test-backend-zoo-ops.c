/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-backend-cpu.h"
#include "nd-cpu-gemm.h"
#include "nd-backend.h"
#include "nd-error.h"
#include "nd-graph.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* The ops the efficient-design backbones brought (ReLU6, SLICE, N-input CONCAT, non-square
 * kernels, Inception's padded 3×3 s1 average pool, VoVNet's ceil-mode max pool and
 * effective-SE hard-sigmoid gate) on the CPU backend and on Vulkan, against
 * the naive oracle, with the algorithm each must take pinned. The rest of the op table is
 * test-backend-ops.c. */

#define RTOL 1e-4

static NdBackend *backend;     /* Vulkan, or NULL */
static char *skip_reason;

static gboolean
need_device (void)
{
  if (backend != NULL)
    return TRUE;
  nd_test_skip_unless_required ("vulkan", skip_reason);
  return FALSE;
}

static NdPlan *
check_graph (NdGraph *g, int batch, const int *capture, int n_capture, gboolean timings,
             const char *what)
{
  return nd_test_check_graph (backend, g, batch, capture, n_capture, timings, RTOL, 0, what);
}

/* Non-square kernels (Inception's 1×7, 7×1, 1×3, 3×1): im2col+sgemm takes them; Winograd,
 * the depthwise kernel and the direct 1×1 path, which assume square ones, must not. */
static void
test_cpu_conv_rect (void)
{
  static const struct { int c, h, w, o, kh, kw, s, ph, pw, g; } cases[] = {
    { 8, 9, 11, 6, 1, 7, 1, 0, 3, 1 },
    { 8, 9, 11, 6, 7, 1, 1, 3, 0, 1 },
    { 16, 8, 8, 16, 3, 1, 1, 1, 0, 1 },    /* a Winograd shape but for the width */
    { 16, 8, 8, 16, 1, 3, 1, 0, 1, 1 },
    { 6, 10, 7, 4, 3, 1, 2, 1, 0, 2 },
    { 6, 7, 9, 6, 1, 5, 1, 0, 2, 6 },      /* depthwise, non-square */
    { 5, 6, 6, 7, 1, 1, 1, 0, 1, 1 },      /* 1×1 with column padding only */
  };
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (cases[i].c, cases[i].h, cases[i].w);
      g_autoptr(NdTensor) x = nd_test_random_input (2, cases[i].c, cases[i].h, cases[i].w, 3);
      g_autoptr(NdTensor) want = NULL;
      g_autoptr(NdPlan) plan = NULL;
      g_autoptr(GError) error = NULL;
      NdOpParams p = { .out_c = cases[i].o, .kernel = cases[i].kh, .kernel_w = cases[i].kw,
                       .stride = cases[i].s, .pad = cases[i].ph, .pad_w = cases[i].pw,
                       .groups = cases[i].g, .has_bias = 1 };
      NdPlanOptions opts = { .batch = 2 };
      int in = 0, id = nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", &error);
      const NdNode *n = nd_graph_node (g, id);

      g_assert_no_error (error);
      g_assert_cmpint (n->out_h, ==, (cases[i].h + 2 * cases[i].ph - cases[i].kh) / cases[i].s + 1);
      g_assert_cmpint (n->out_w, ==, (cases[i].w + 2 * cases[i].pw - cases[i].kw) / cases[i].s + 1);
      g_assert_cmpint (n->w[ND_W_WEIGHT]->shape[2], ==, cases[i].kh);
      g_assert_cmpint (n->w[ND_W_WEIGHT]->shape[3], ==, cases[i].kw);
      nd_test_randomize_graph (g, 40 + i);
      want = nd_ref_run_graph (g, x, NULL);
      plan = nd_backend_prepare (cpu, g, &opts, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (plan->op_algo[id], ==, "im2col+sgemm");
      g_assert_true (nd_plan_run (plan, x, &error));
      nd_test_assert_close (plan->output, want, 1e-5, 1e-6, "non-square conv");
    }
}

/* ReLU6, SLICE, N-input CONCAT, 3×3 s1 p1 average pool (the zoo's ops) against the oracle,
 * every node captured; a BN with γ = 8 puts values past both ends of ReLU6. Then conv → ReLU6
 * as an epilogue. */
static void
test_cpu_zoo_ops (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 11, 9);
  g_autoptr(NdGraph) f = nd_graph_new (6, 11, 9);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 6, 11, 9, 5);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL, fplan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) want = NULL, fwant = NULL;
  g_autoptr(GArray) capture = g_array_new (FALSE, FALSE, sizeof (int));
  NdOpParams bn = { .eps = 1e-5f }, conv = { .out_c = 8, .kernel = 3, .stride = 1, .pad = 1,
                                             .groups = 1, .has_bias = 1 };
  NdOpParams s1 = { .offset = 1, .out_c = 4 }, s2 = { .offset = 0, .out_c = 6 };
  NdPlanOptions opts = { .batch = 2 };
  int b, r6, c, r6c, sl1, sl2, cat2, cat3, cat4, in = 0;
  gboolean clipped = FALSE;

  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "bn", NULL);
  r6 = nd_graph_add (g, ND_OP_RELU6, NULL, &b, 1, NULL, NULL);
  c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
  r6c = nd_graph_add (g, ND_OP_RELU6, NULL, &c, 1, NULL, NULL);
  sl1 = nd_graph_add (g, ND_OP_SLICE, &s1, &r6, 1, NULL, NULL);
  sl2 = nd_graph_add (g, ND_OP_SLICE, &s2, &b, 1, NULL, NULL);
  cat2 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { sl1, r6c }, 2, NULL, NULL);
  cat4 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { b, sl1, r6c, r6 }, 4, NULL, NULL);
  cat3 = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { sl2, sl1, cat2 }, 3, NULL, NULL);
  /* Inception's pool branch: 3×3, stride 1, pad 1, pad cells counted (count_include_pad) */
  nd_graph_add (g, ND_OP_AVGPOOL, &(NdOpParams) { .kernel = 3, .stride = 1, .pad = 1 }, &b, 1,
                NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_CONCAT, NULL, (int[]) { cat3, cat4 }, 2, NULL, NULL);
  g_assert_cmpint (nd_graph_node (g, g->output)->out_c, ==, 22 + 24);
  nd_test_randomize_graph (g, 9);
  for (int i = 0; i < 6; i++)
    nd_graph_node (g, b)->w[ND_W_WEIGHT]->data[i] = 8.0f;
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    g_array_append_val (capture, i);
  opts.capture = (const int *) capture->data;
  opts.n_capture = capture->len;
  want = nd_ref_run_graph (g, x, &all);
  for (int64_t i = 0; i < want->numel; i++)
    clipped |= want->data[i] == 6.0f;
  g_assert_true (clipped);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (nd_plan_run (plan, x, &error));
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      g_autofree char *what = g_strdup_printf ("node %d %s (%s)", i,
                                               nd_op_name (nd_graph_node (g, i)->op),
                                               plan->op_algo[i]);

      g_assert_cmpstr (plan->op_algo[i], !=, "ref");
      nd_test_assert_close (nd_plan_get_captured (plan, i), g_ptr_array_index (all, i), 1e-5,
                            1e-6, what);
    }

  c = nd_graph_add (f, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
  f->output = nd_graph_add (f, ND_OP_RELU6, NULL, &c, 1, NULL, NULL);
  nd_test_randomize_graph (f, 10);
  for (int64_t i = 0; i < nd_graph_node (f, c)->w[ND_W_WEIGHT]->numel; i++)
    nd_graph_node (f, c)->w[ND_W_WEIGHT]->data[i] *= 8.0f;
  fwant = nd_ref_run_graph (f, x, NULL);
  opts.n_capture = 0;
  opts.capture = NULL;
  fplan = nd_backend_prepare (cpu, f, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (nd_plan_run (fplan, x, &error));
  g_assert_cmpstr (fplan->op_algo[f->output], ==, "fused");
  nd_test_assert_close (fplan->output, fwant, 1e-5, 1e-6, "conv-relu6");
}

/* Non-square kernels go to the implicit GEMM, with and without split-K, never to the
 * Winograd, depthwise or 1×1 kernels. */
static void
test_vk_conv_rect (void)
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

/* The zoo's ops: ReLU6 alone and fused after conv + BN (γ = 8 so both ends clip), SLICE, and
 * CONCAT of 2, 3 and 4 inputs of different widths. */
static void
test_vk_zoo_ops (void)
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

/* Ceil-mode max pool output sides as PyTorch 1.13's MaxPool2d(k, s, p, ceil_mode=True) gives
 * them (measured with python3-torch), and the values of a 4×4 map whose last windows hang
 * past the edge. Average pooling refuses ceil mode (no backend implements its divisor). */
static void
test_ceil_pool_shapes (void)
{
  static const struct { int in, k, s, p, out; } cases[] = {
    { 56, 3, 2, 0, 28 }, { 28, 3, 2, 0, 14 }, { 20, 3, 2, 0, 10 }, { 10, 3, 2, 0, 5 },
    { 5, 3, 2, 0, 2 }, { 2, 3, 2, 0, 1 }, { 4, 3, 2, 0, 2 }, { 7, 2, 2, 0, 4 },
    { 6, 3, 2, 1, 4 }, { 9, 3, 2, 0, 4 }, { 11, 3, 2, 0, 5 },
  };
  g_autoptr(NdGraph) g = nd_graph_new (1, 4, 4);
  g_autoptr(NdGraph) bad = nd_graph_new (1, 4, 4);
  g_autoptr(NdTensor) x = nd_tensor_new_4d (1, 1, 4, 4);
  g_autoptr(NdTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .kernel = 3, .stride = 2, .ceil_mode = 1 };
  int in = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) t = nd_graph_new (2, cases[i].in, cases[i].in + 1);
      NdOpParams q = { .kernel = cases[i].k, .stride = cases[i].s, .pad = cases[i].p,
                       .ceil_mode = 1 };
      int id = nd_graph_add (t, ND_OP_MAXPOOL, &q, &in, 1, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (nd_graph_node (t, id)->out_h, ==, cases[i].out);
    }
  g->output = nd_graph_add (g, ND_OP_MAXPOOL, &p, &in, 1, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 16; i++)
    x->data[i] = (float) i;
  y = nd_ref_run_graph (g, x, NULL);
  g_assert_cmpint (y->numel, ==, 4);
  g_assert_cmpfloat (y->data[0], ==, 10.0f);
  g_assert_cmpfloat (y->data[1], ==, 11.0f);
  g_assert_cmpfloat (y->data[2], ==, 14.0f);
  g_assert_cmpfloat (y->data[3], ==, 15.0f);
  g_assert_cmpint (nd_graph_add (bad, ND_OP_AVGPOOL, &p, &in, 1, NULL, &error), ==, -1);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
}

/* VoVNet's ops: ceil-mode max pools (3×3 s2, 2×2 s2 where the 2×2 fast path must not read
 * past the map, 3×3 s2 p1) and the effective-SE gate x · relu6(fc(mean in) + 3)/6 on a conv
 * that has no other reader, so that a backend could take the gate into the conv's epilogue
 * (which computes σ gates only: it must not). The fc biases span −6…6 so the gate saturates
 * at both ends and is linear between. Returns the graph; *@gate is the gate node. */
static NdGraph *
vovnet_ops_graph (int *gate, int *pools)
{
  NdGraph *g = nd_graph_new (32, 9, 11);
  NdOpParams conv = { .out_c = 32, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                      .has_bias = 1 };
  NdOpParams fc = { .out_c = 32, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gp = { .out_h = 1, .out_w = 1 }, hg = { .alpha = 1.0f, .hard_gate = 1 };
  NdOpParams p3 = { .kernel = 3, .stride = 2, .ceil_mode = 1 };
  NdOpParams p2 = { .kernel = 2, .stride = 2, .ceil_mode = 1 };
  NdOpParams p3p = { .kernel = 3, .stride = 2, .pad = 1, .ceil_mode = 1 };
  int in = 0, c, m, s, cat[3];
  NdNode *f;

  c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
  m = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gp, &in, 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_CONV2D, &fc, &m, 1, "fc", NULL);
  *gate = nd_graph_add (g, ND_OP_GATE, &hg, (int[]) { c, s }, 2, NULL, NULL);
  pools[0] = cat[0] = nd_graph_add (g, ND_OP_MAXPOOL, &p3, gate, 1, NULL, NULL);
  pools[1] = cat[1] = nd_graph_add (g, ND_OP_MAXPOOL, &p2, gate, 1, NULL, NULL);
  pools[2] = cat[2] = nd_graph_add (g, ND_OP_MAXPOOL, &p3p, gate, 1, NULL, NULL);
  g_assert_cmpint (nd_graph_node (g, cat[0])->out_h, ==, 4);    /* floor mode: 4 */
  g_assert_cmpint (nd_graph_node (g, cat[0])->out_w, ==, 5);    /* floor mode: 5 */
  g_assert_cmpint (nd_graph_node (g, cat[1])->out_h, ==, 5);    /* floor mode: 4 */
  g_assert_cmpint (nd_graph_node (g, cat[1])->out_w, ==, 6);    /* floor mode: 5 */
  g_assert_cmpint (nd_graph_node (g, cat[2])->out_h, ==, 5);
  g_assert_cmpint (nd_graph_node (g, cat[2])->out_w, ==, 6);
  g->output = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { cat[1], cat[2] }, 2, NULL, NULL);
  nd_test_randomize_graph (g, 17);
  f = nd_graph_node (g, s);
  for (int64_t i = 0; i < f->w[ND_W_WEIGHT]->numel; i++)
    f->w[ND_W_WEIGHT]->data[i] *= 0.01f;
  for (int o = 0; o < 32; o++)
    f->w[ND_W_BIAS]->data[o] = -6.0f + 12.0f * o / 31;
  return g;
}

/* The oracle's hard gate, checked element by element against relu6(s + 3)/6 written here. */
static void
assert_hard_gate (const NdTensor *x, const NdTensor *s, const NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];
  int low = 0, high = 0, mid = 0;

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      {
        double v = s->data[n * C + c] + 3.0, gate = (v < 0 ? 0 : v > 6 ? 6 : v) / 6.0;

        low += v <= 0, high += v >= 6, mid += v > 0 && v < 6;
        for (int64_t i = 0; i < HW; i += 7)
          g_assert_cmpfloat (fabs (y->data[(n * C + c) * HW + i]
                                   - x->data[(n * C + c) * HW + i] * gate), <=,
                             1e-5 * (1 + fabs (x->data[(n * C + c) * HW + i])));
      }
  g_assert_cmpint (low, >, 0);
  g_assert_cmpint (high, >, 0);
  g_assert_cmpint (mid, >, 0);
}

static void
test_cpu_vovnet_ops (void)
{
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 32, 9, 11, 7);
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  int gate, pools[3];
  g_autoptr(NdGraph) g = vovnet_ops_graph (&gate, pools);
  NdPlanOptions opts = { .batch = 2, .capture = pools, .n_capture = 3 };
  const NdNode *gn = nd_graph_node (g, gate);

  want = nd_ref_run_graph (g, x, &all);
  assert_hard_gate (g_ptr_array_index (all, gn->inputs[0]),
                    g_ptr_array_index (all, gn->inputs[1]), g_ptr_array_index (all, gate));
  /* the NCHW kernels, then the channel-blocked ones (nd-cpu-nc16.c: the same ceil-mode
   * windows and hard gate) where the CPU has them */
  for (int blocked = 0; blocked < 2; blocked++)
    {
      const char *want_gate = blocked ? "nc16-gate" : "eltwise";
      const char *want_pool = blocked ? "nc16-pool" : "pool";

      if (blocked && !nd_cpu_gemm_supported ())
        break;
      g_setenv ("ND_CPU_LAYOUT", blocked ? "nc16" : "nchw", TRUE);
      plan = nd_backend_prepare (cpu, g, &opts, &error);
      g_unsetenv ("ND_CPU_LAYOUT");
      g_assert_no_error (error);
      g_assert_true (nd_plan_run (plan, x, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (plan->op_algo[gate], ==, want_gate);
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *what = g_strdup_printf ("pool %d (%s)", i, plan->op_algo[pools[i]]);

          g_assert_cmpstr (plan->op_algo[pools[i]], ==, want_pool);
          nd_test_assert_close (nd_plan_get_captured (plan, pools[i]),
                                g_ptr_array_index (all, pools[i]), 1e-5, 1e-6, what);
        }
      nd_test_assert_close (plan->output, want, 1e-5, 1e-6, "vovnet ops");
      g_clear_pointer (&plan, nd_plan_free);
    }
}

static void
test_vk_vovnet_ops (void)
{
  g_autoptr(NdPlan) plan = NULL;
  int gate, pools[3];
  g_autoptr(NdGraph) g = NULL;

  if (!need_device ())
    return;
  g = vovnet_ops_graph (&gate, pools);
  plan = check_graph (g, 2, pools, 3, FALSE, "vovnet-ops");
  g_assert_cmpstr (plan->op_algo[gate], ==, "vk-eltwise");
  g_assert_cmpstr (plan->op_algo[pools[1]], ==, "vk-pool");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (!g_str_equal (g_getenv ("ND_TEST_BACKENDS") ? g_getenv ("ND_TEST_BACKENDS") : "", "cpu"))
    backend = nd_backend_new ("vulkan", -1, &error);
  if (backend == NULL)
    skip_reason = g_strdup_printf ("no Vulkan device: %s",
                                   error ? error->message : "ND_TEST_BACKENDS=cpu");
  g_test_add_func ("/backend-zoo-ops/cpu/conv-non-square", test_cpu_conv_rect);
  g_test_add_func ("/backend-zoo-ops/cpu/ops", test_cpu_zoo_ops);
  g_test_add_func ("/backend-zoo-ops/vulkan/conv-non-square", test_vk_conv_rect);
  g_test_add_func ("/backend-zoo-ops/vulkan/ops", test_vk_zoo_ops);
  g_test_add_func ("/backend-zoo-ops/ref/ceil-pool", test_ceil_pool_shapes);
  g_test_add_func ("/backend-zoo-ops/cpu/vovnet-ops", test_cpu_vovnet_ops);
  g_test_add_func ("/backend-zoo-ops/vulkan/vovnet-ops", test_vk_vovnet_ops);
  status = g_test_run ();
  if (backend != NULL)
    nd_backend_free (backend);
  g_free (skip_reason);
  return status;
}
