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
#include "nd-vk-tune.h"

/* The Vulkan plan's own machinery, against the naive CPU oracle: split-K with a fused block
 * tail, fp16 storage, barriers between streams, timings, plans on two threads, the device
 * list and the no-device error. The ops themselves are in the one backend table
 * (test-backend-ops.c). Skips (and says so) without a Vulkan device. */

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

static NdPlan *
check_graph (NdGraph *g, int batch, const int *capture, int n_capture, gboolean timings,
             const char *what)
{
  return nd_test_check_graph (backend, g, batch, capture, n_capture, timings, RTOL, 0, what);
}

/* A ParNet stream block (SiLU(BN(conv3×3 x) + I·σ(W·GAP(I))), I = BN(x)): the gate multiply
 * moves into the dense conv's epilogue as a gated summand; captured, it stays a dispatch. */
static void
test_gated_summand (void)
{
  NdOpParams c3 = { .out_c = 5, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams c1 = { .out_c = 5, .kernel = 1, .stride = 1, .pad = 0, .groups = 1, .has_bias = 1 };
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, gate = { .alpha = 1.0f };
  g_autoptr(NdGraph) g = nd_graph_new (5, 9, 9);
  int x = 0, id, d, se, gt;

  if (!need_device ())
    return;
  id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &x, 1, "block.rbr_identity", NULL);
  d = nd_graph_add (g, ND_OP_CONV2D, &c3, &x, 1, "block.rbr_dense.conv", NULL);
  d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "block.rbr_dense.bn", NULL);
  se = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
  se = nd_graph_add (g, ND_OP_CONV2D, &c1, &se, 1, "block.se.cvsig.conv", NULL);
  gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { id, se }, 2, NULL, NULL);
  x = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, gt }, 2, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_SILU, NULL, &x, 1, NULL, NULL);
  nd_test_randomize_graph (g, 7);
  for (int captured = 0; captured < 2; captured++)
    {
      g_autoptr(NdPlan) plan = check_graph (g, 2, &gt, captured, FALSE, "gated summand");

      g_assert_cmpstr (plan->op_algo[gt], ==, captured ? "vk-eltwise" : "fused");
      g_assert_cmpstr (plan->op_algo[x], ==, "fused");
    }
}

/* Squeeze-excitation gates on se.comp (nd-vk-se.c), against the oracle, batch 2, each run
 * twice (se.comp's counters are cleared per run): a RepVGG-SSE block with 24 grouped
 * channels (the pool and product in one dispatch; the identity BN folded away, its gated
 * summand x·A + B in the dense conv's epilogue), then the product alone (ND_VK_SE_FUSE_MAX=0:
 * the pool its own dispatch, still without the BN), then all of it off (ND_VK_SE=0);
 * captured nodes in the way keep their dispatches, and a captured dense BN stops the folding
 * after the fact (the plan is made again); the gate's z captured, as the window does, keeps
 * it all (z is written after the pairs). Last, a MobileNet-style squeeze (1×1 + ReLU on
 * the pooled vector, then a second 1×1) with the ReLU in se.comp, and a classifier head
 * (pool → linear, the graph's output). */
static void
test_se_gates (void)
{
  NdOpParams c3 = { .out_c = 24, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams c1 = { .out_c = 24, .kernel = 1, .stride = 1, .pad = 0, .groups = 2, .has_bias = 1 };
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, gate = { .alpha = 1.5f };
  g_autoptr(NdGraph) g = nd_graph_new (24, 7, 9);
  int x = 0, id, d, p, se, gt, add;
  struct
  {
    const char *env, *value;
    int         captured;
    const char *pool, *se, *id;
  } cases[] = {
    { NULL, NULL, -1, "vk-se", "fused", "fused" },
    { "ND_VK_SE_FUSE_MAX", "0", -1, "vk-global-pool", "vk-se-gemv", "fused" },
    { "ND_VK_SE", "0", -1, "vk-global-pool", "vk-gemv", "vk-eltwise" },
    { NULL, NULL, 0, "vk-global-pool", "vk-gemv", "vk-eltwise" },   /* the pool captured */
    { NULL, NULL, 1, "vk-se", "fused", "vk-eltwise" },   /* the dense BN captured */
    { NULL, NULL, 2, "vk-se", "fused", "fused" },   /* the gate's z captured (the window) */
    { "ND_VK_SE_FUSE_MAX", "0", 2, "vk-global-pool", "vk-se-gemv", "fused" },
  };

  if (!need_device ())
    return;
  id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &x, 1, "block.rbr_identity", NULL);
  d = nd_graph_add (g, ND_OP_CONV2D, &c3, &x, 1, "block.rbr_dense.conv", NULL);
  d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "block.rbr_dense.bn", NULL);
  p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
  se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "block.se.cvsig.conv", NULL);
  gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { id, se }, 2, NULL, NULL);
  add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, gt }, 2, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_SILU, NULL, &add, 1, NULL, NULL);
  nd_test_randomize_graph (g, 8);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      int capture = cases[k].captured == 0 ? p : cases[k].captured == 1 ? d : se;
      g_autoptr(NdPlan) plan = NULL;

      if (cases[k].env != NULL)
        g_setenv (cases[k].env, cases[k].value, TRUE);
      plan = check_graph (g, 2, &capture, cases[k].captured >= 0, FALSE, "se gate");
      if (cases[k].env != NULL)
        g_unsetenv (cases[k].env);
      g_assert_cmpint (nd_vk_plan_hazards (plan), ==, 0);
      g_test_message ("case %u: pool %s, se %s, identity BN %s", k, plan->op_algo[p],
                      plan->op_algo[se], plan->op_algo[id]);
      g_assert_cmpstr (plan->op_algo[p], ==, cases[k].pool);
      g_assert_cmpstr (plan->op_algo[se], ==, cases[k].se);
      g_assert_cmpstr (plan->op_algo[id], ==, cases[k].id);
      g_assert_cmpstr (plan->op_algo[gt], ==, cases[k].captured == 1 ? "vk-eltwise" : "fused");
    }
  {
    g_autoptr(NdGraph) m = nd_graph_new (16, 5, 6);
    g_autoptr(NdPlan) plan = NULL;
    NdOpParams r = { .out_c = 4, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
    NdOpParams e = { .out_c = 16, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
    int q, a, b;

    q = nd_graph_add (m, ND_OP_ADAPTIVE_AVGPOOL, &gap, &x, 1, NULL, NULL);
    q = nd_graph_add (m, ND_OP_CONV2D, &r, &q, 1, "se.reduce", NULL);
    a = nd_graph_add (m, ND_OP_RELU, NULL, &q, 1, NULL, NULL);
    b = nd_graph_add (m, ND_OP_CONV2D, &e, &a, 1, "se.expand", NULL);
    m->output = nd_graph_add (m, ND_OP_GATE, &gate, (int[]) { x, b }, 2, NULL, NULL);
    nd_test_randomize_graph (m, 9);
    plan = check_graph (m, 2, NULL, 0, FALSE, "squeeze with a ReLU");
    g_assert_cmpstr (plan->op_algo[1], ==, "vk-se");
    g_assert_cmpstr (plan->op_algo[q], ==, "fused");
    g_assert_cmpstr (plan->op_algo[a], ==, "fused");
  }
  {
    /* a classifier head: global pool → linear, the output (a small one: the shipped models'
     * ten classes) */
    g_autoptr(NdGraph) h = nd_graph_new (48, 3, 5);
    g_autoptr(NdPlan) plan = NULL;
    NdOpParams fc = { .out_c = 10 };
    int q;

    q = nd_graph_add (h, ND_OP_ADAPTIVE_AVGPOOL, &gap, &x, 1, NULL, NULL);
    h->output = nd_graph_add (h, ND_OP_LINEAR, &fc, &q, 1, "head.fc", NULL);
    nd_test_randomize_graph (h, 10);
    plan = check_graph (h, 3, NULL, 0, FALSE, "classifier head");
    g_assert_cmpstr (plan->op_algo[q], ==, "vk-se");
    g_assert_cmpstr (plan->op_algo[h->output], ==, "fused");
  }
}

/* Split-K (GPUs with a grid too small to fill them): forced on lavapipe by claiming the
 * device wants a million workgroups. A block tail whose BN, residual add, gate and activation
 * land in the reduction pass (the single split-K convs are rows of test-backend-ops.c). */
static void
test_split_k (void)
{
  if (!need_device ())
    return;
  g_setenv ("ND_VK_MIN_GROUPS", "1000000", TRUE);
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

/* The float16 cooperative-matrix kernel, on a device whose self-test passed (skipped elsewhere,
 * saying why): a 1×1 convolution with a residual add and ReLU in its epilogue, then a
 * Winograd 3×3, in a float16 plan, against the float64 oracle at float16's precision (as
 * test_fp16), and the ops say they ran it; a float32 plan of the same graph never does. */
static void
test_coopmat (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (40, 14, 14);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) plan32 = NULL;
  g_autoptr(NdTensor) x = nd_test_random_input (1, 40, 14, 14, 11);
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams c1 = { .out_c = 40, .kernel = 1, .stride = 1, .groups = 1, .has_bias = TRUE };
  NdOpParams c2 = { .out_c = 72, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                    .has_bias = TRUE };
  NdPlanOptions opt = { .batch = 1, .fp16 = TRUE };
  int in = 0, a, b, sum[2];

  if (!need_device ())
    return;
  if (!g_str_has_prefix (backend->matmul, "float16 cooperative"))
    {
      g_autofree char *why = g_strdup_printf ("no float16 cooperative matrices here: %s",
                                              backend->matmul);

      g_test_skip (why);
      return;
    }
  a = nd_graph_add (g, ND_OP_CONV2D, &c1, &in, 1, "c1", NULL);
  sum[0] = a, sum[1] = in;
  b = nd_graph_add (g, ND_OP_ADD, NULL, sum, 2, NULL, NULL);
  b = nd_graph_add (g, ND_OP_RELU, NULL, &b, 1, NULL, NULL);
  b = nd_graph_add (g, ND_OP_CONV2D, &c2, &b, 1, "c2", NULL);
  g->output = b;
  nd_test_randomize_graph (g, 9);
  plan = nd_backend_prepare (backend, g, &opt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (plan->op_algo[a], "coopmat"));
  g_assert_nonnull (strstr (plan->op_algo[b], "coopmat"));
  want = nd_ref_run_graph (g, x, NULL);
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_no_error (error);
  nd_test_assert_close (plan->output, want, 5e-3, 0, "coopmat");
  opt.fp16 = FALSE;
  plan32 = nd_backend_prepare (backend, g, &opt, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (plan32->op_algo[a], "coopmat"));
  g_assert_null (strstr (plan32->op_algo[b], "coopmat"));
}

/* fp16 storage: a conv → BN → ReLU → pool → linear chain close to the oracle at float16's
 * precision; then the same graph with weights scaled past float16's range must be refused
 * when planned, naming the layer, not hand back infinities. */
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
  g_assert_null (big);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "“fc”"));
}

/* An overflow inside: conv → sigmoid → conv on inputs ×100 with the first conv's weights
 * ×1e3 (all of which float16 holds; the first conv's output captured, so it is stored) has
 * values past ±65504 in between that the sigmoid squashes: the logits are finite either way,
 * but the float16 plan stored infinities. It must fail with the float16 error rather than
 * hand back what it made of them; the float32 plan of the same graph runs. */
static void
test_fp16_inner_overflow (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (5, 9, 7);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) plan32 = NULL;
  g_autoptr(NdTensor) x = nd_test_random_input (1, 5, 9, 7, 3);
  g_autoptr(GError) error = NULL;
  NdOpParams conv = { .out_c = 12, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  double inner = 0;
  int in = 0, c1, c2;

  if (!need_device ())
    return;
  c1 = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c1", NULL);
  c2 = nd_graph_add (g, ND_OP_SIGMOID, NULL, &c1, 1, NULL, NULL);
  c2 = nd_graph_add (g, ND_OP_CONV2D, &conv, &c2, 1, "c2", NULL);
  nd_test_randomize_graph (g, 5);
  {
    const NdTensor *w = nd_graph_node (g, c1)->w[ND_W_WEIGHT];

    for (int64_t i = 0; i < w->numel; i++)
      w->data[i] *= 1e3f;
  }
  for (int64_t i = 0; i < x->numel; i++)
    x->data[i] *= 100;
  for (int fp16 = 0; fp16 < 2; fp16++)
    {
      NdPlanOptions opt = { .batch = 1, .capture = &c1, .n_capture = 1, .fp16 = fp16 };
      NdPlan **p = fp16 ? &plan : &plan32;

      *p = nd_backend_prepare (backend, g, &opt, &error);
      if (fp16 && g_error_matches (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED))
        {
          g_test_skip (error->message);
          return;
        }
      g_assert_no_error (error);
    }
  g_assert_true (nd_plan_run (plan32, x, &error));
  g_assert_no_error (error);
  for (int64_t i = 0; i < nd_plan_get_captured (plan32, c1)->numel; i++)
    inner = MAX (inner, fabs (nd_plan_get_captured (plan32, c1)->data[i]));
  g_test_message ("float32: largest value in between %.3g", inner);
  g_assert_cmpfloat (inner, >, 65504);
  g_assert_false (nd_plan_run (plan, x, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
  g_test_message ("%s", error->message);
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
  g_test_message ("%d dispatches, %d barriers", n_steps, plan->barriers);
  g_assert_cmpint (plan->barriers, <=, 2 * 3);
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
      g_assert_cmpfloat (plan->op_ms[p], >, 0);   /* the pool and fc: one dispatch (se.comp) */
    }
  g_assert_cmpstr (plan->op_algo[l], ==, "fused");
  g_assert_cmpfloat (plan->op_ms[l], ==, 0);
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
      g_assert_cmpint (refresh->barriers, ==, untimed->barriers);
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

/* The tuner's choice per shape (nd-vk-tune.c), on made-up times: a variant must beat the
 * rules' median by the margin and stay below it in the upper quantile of its paired runs;
 * among those the fastest median wins. */
static void
test_tune_pick (void)
{
  const gboolean all[4] = { TRUE, TRUE, TRUE, TRUE };
  const gboolean not2[4] = { TRUE, TRUE, FALSE, TRUE };

  /* rules 1.0; v1 0.90 (quantile 0.98) wins */
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.90, 2.0, 2.0 },
                                    (double[]) { 1.0, 0.98, 2.0, 2.0 }, all, 4), ==, 1);
  /* the same median, but slower than the rules in a quarter of its pairs: the rules */
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.90, 2.0, 2.0 },
                                    (double[]) { 1.0, 1.05, 2.0, 2.0 }, all, 4), ==, 0);
  /* within the margin (0.97 > 0.95): the rules */
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.97, 2.0, 2.0 },
                                    (double[]) { 1.0, 0.98, 2.0, 2.0 }, all, 4), ==, 0);
  /* two clear winners: the faster median; an untimed one never wins */
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.90, 0.50, 0.80 },
                                    (double[]) { 1.0, 0.92, 0.60, 0.85 }, all, 4), ==, 2);
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.90, 0.50, 0.80 },
                                    (double[]) { 1.0, 0.92, 0.60, 0.85 }, not2, 4), ==, 3);
  /* the fastest median fails its quantile: the next one that passes */
  g_assert_cmpint (nd_vk_tune_pick ((double[]) { 1.0, 0.90, 0.50, 0.80 },
                                    (double[]) { 1.0, 0.92, 1.20, 0.85 }, all, 4), ==, 3);
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
  g_test_add_func ("/vulkan/split-k", test_split_k);
  g_test_add_func ("/vulkan/fp16", test_fp16);
  g_test_add_func ("/vulkan/fp16-inner-overflow", test_fp16_inner_overflow);
  g_test_add_func ("/vulkan/coopmat", test_coopmat);
  g_test_add_func ("/vulkan/streams-barriers", test_streams_and_barriers);
  g_test_add_func ("/vulkan/gated-summand", test_gated_summand);
  g_test_add_func ("/vulkan/se-gates", test_se_gates);
  g_test_add_func ("/vulkan/timings", test_timings);
  g_test_add_func ("/vulkan/threads", test_threads);
  g_test_add_func ("/vulkan/devices", test_devices);
  g_test_add_func ("/vulkan/no-device", test_no_device);
  g_test_add_func ("/vulkan/tune-pick", test_tune_pick);
  ret = g_test_run ();
  nd_backend_free (backend);
  g_free (skip_reason);
  return ret;
}
