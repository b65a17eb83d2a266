/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-backend-cpu.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-grad.h"
#include "nd-model.h"
#include "nd-receptive-field.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* Every op's input gradient against central finite differences, on tiny graphs.
 *
 * The scalar is L = Σ r·y over the graph's output (r fixed random), so dL/dy = r is the seed.
 * The forward is the runtime's own float32 oracle (nd_ref_run_graph, double accumulation
 * inside); L, the differences and the quotient (L(x+h) − L(x−h)) / 2h are float64. Inputs
 * keep kinks (ReLU at 0, ReLU6 at 6, max-pool ties) further than h away, so that the
 * difference never straddles one. Each case runs with the reference loops and with the fast
 * paths. */

#define H_STEP 2e-3

typedef struct
{
  NdGraph  *g;
  NdTensor *x;
  NdTensor *r;
} Case;

static double
loss (const NdGraph *g, const NdTensor *x, const NdTensor *r)
{
  g_autoptr(NdTensor) y = nd_ref_run_graph (g, x, NULL);
  double l = 0;

  for (int64_t i = 0; i < y->numel; i++)
    l += (double) r->data[i] * y->data[i];
  return l;
}

/* Analytic dL/dx from nd_graph_backward_seed with @flags, checked element by element against
 * the finite difference: |fd − an| ≤ 2e-3·max|an| + 1e-3 (the noise bound is derived below). */
static void
check_case (NdGraph *g, NdTensor *x, guint32 seed, NdGradFlags flags, const char *what)
{
  g_autoptr(GPtrArray) acts = NULL;
  g_autoptr(NdTensor) y = nd_ref_run_graph (g, x, &acts);
  g_autoptr(NdTensor) r = nd_test_random_input ((int) y->shape[0], (int) y->shape[1],
                                                (int) y->shape[2], (int) y->shape[3], seed);
  g_autoptr(GPtrArray) grads = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) xp = nd_tensor_copy (x);
  const NdTensor *an;
  double amax = 0, worst = 0;
  int64_t worst_i = 0;
  double worst_fd = 0;

  g_assert_true (nd_graph_backward_seed (g, (NdTensor * const *) acts->pdata, g->output, r,
                                         flags, &grads, &error));
  g_assert_no_error (error);
  an = grads->pdata[0];
  g_assert_nonnull (an);
  g_assert_true (nd_tensor_same_shape (an, x));
  for (int64_t i = 0; i < an->numel; i++)
    amax = MAX (amax, fabs (an->data[i]));
  /* a gradient that is all zeros would pass any difference check that scales with it */
  g_assert_cmpfloat (amax, >, 1e-3);
  for (int64_t i = 0; i < x->numel; i++)
    {
      double fd, err;

      xp->data[i] = x->data[i] + H_STEP;
      fd = loss (g, xp, r);
      xp->data[i] = x->data[i] - H_STEP;
      fd = (fd - loss (g, xp, r)) / (2 * H_STEP);
      xp->data[i] = x->data[i];
      err = fabs (fd - an->data[i]);
      if (err > worst)
        {
          worst = err;
          worst_i = i;
          worst_fd = fd;
        }
    }
  /* float32 rounding of L (|L| ≲ 10, ~1e-7 relative) divided by 2h gives ~1e-3 absolute noise
   * at worst; a wrong derivative is off by the order of the gradient itself */
  if (worst > 2e-3 * amax + 1e-3)
    g_error ("%s (%s): dL/dx[%" G_GINT64_FORMAT "] = %g analytic, %g by central differences "
             "(max |grad| %g)", what, flags & ND_GRAD_REFERENCE ? "reference" : "fast",
             (gint64) worst_i, an->data[worst_i], worst_fd, amax);
  g_test_message ("%s: max |fd − analytic| %.2e of max |grad| %.2e", what, worst, amax);
}

static void
check_both (NdGraph *g, NdTensor *x, const char *what)
{
  nd_test_randomize_graph (g, 7);
  check_case (g, x, 99, ND_GRAD_REFERENCE, what);
  check_case (g, x, 99, ND_GRAD_DEFAULT, what);
}

/* An input with no value within @margin of any of @kinks (so ReLU-like ops stay on one
 * side over ±h): N(0, 1) values pushed away. */
static NdTensor *
input_away_from (int n, int c, int h, int w, guint32 seed, const float *kinks, int n_kinks)
{
  NdTensor *x = nd_test_random_input (n, c, h, w, seed);

  for (int64_t i = 0; i < x->numel; i++)
    for (int k = 0; k < n_kinks; k++)
      if (fabsf (x->data[i] - kinks[k]) < 0.05f)
        x->data[i] = kinks[k] + (x->data[i] >= kinks[k] ? 0.05f : -0.05f);
  return x;
}

/* Distinct values 0.05 apart in random order: max windows never tie within ±h. */
static NdTensor *
input_distinct (int n, int c, int h, int w, guint32 seed)
{
  NdTensor *x = nd_tensor_new_4d (n, c, h, w);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (int64_t i = 0; i < x->numel; i++)
    x->data[i] = 0.05f * (float) (i - x->numel / 2);
  for (int64_t i = x->numel - 1; i > 0; i--)
    {
      int64_t j = g_rand_int_range (rand, 0, (gint32) i + 1);
      float t = x->data[i];

      x->data[i] = x->data[j];
      x->data[j] = t;
    }
  return x;
}

static int
add (NdGraph *g, NdOp op, const NdOpParams *p, const int *in, int n_in, const char *name)
{
  g_autoptr(GError) error = NULL;
  int id = nd_graph_add (g, op, p, in, n_in, name, &error);

  g_assert_no_error (error);
  g->output = id;
  return id;
}

/* One conv on a 2×C×H×W input. */
static void
check_conv (int c, int h, int w, NdOpParams p, const char *what)
{
  g_autoptr(NdGraph) g = nd_graph_new (c, h, w);
  g_autoptr(NdTensor) x = nd_test_random_input (2, c, h, w, 5);
  int in = 0;

  add (g, ND_OP_CONV2D, &p, &in, 1, "conv");
  check_both (g, x, what);
}

static void
test_conv (void)
{
  /* the fast path takes cg·og ≥ 16; depthwise and thin groups take the loop */
  check_conv (4, 5, 6, (NdOpParams) { .out_c = 6, .kernel = 3, .stride = 1, .pad = 1,
                                      .groups = 1, .has_bias = 1 }, "conv 3×3 s1 p1");
  check_conv (4, 7, 6, (NdOpParams) { .out_c = 8, .kernel = 3, .stride = 2, .pad = 1,
                                      .groups = 1 }, "conv 3×3 s2 p1");
  check_conv (4, 7, 7, (NdOpParams) { .out_c = 4, .kernel = 1, .stride = 2, .pad = 0,
                                      .groups = 1 }, "conv 1×1 s2");
  check_conv (8, 6, 5, (NdOpParams) { .out_c = 8, .kernel = 3, .stride = 1, .pad = 1,
                                      .groups = 2 }, "conv 3×3 groups 2");
  check_conv (4, 6, 6, (NdOpParams) { .out_c = 4, .kernel = 3, .stride = 1, .pad = 1,
                                      .groups = 4 }, "conv 3×3 depthwise");
  check_conv (3, 8, 8, (NdOpParams) { .out_c = 4, .kernel = 4, .stride = 4, .pad = 0,
                                      .groups = 1, .has_bias = 1 }, "conv 4×4 s4 (patchify)");
  check_conv (4, 6, 7, (NdOpParams) { .out_c = 5, .kernel = 1, .stride = 1, .pad = 0,
                                      .groups = 1, .kernel_w = 3, .pad_w = 1 },
              "conv 1×3 pad (0, 1)");
  check_conv (4, 7, 5, (NdOpParams) { .out_c = 5, .kernel = 5, .stride = 2, .pad = 2,
                                      .groups = 1, .kernel_w = 1, .pad_w = 0 },
              "conv 5×1 s2 pad (2, 0)");
}

/* x → op (→ nothing else): the element-wise ops, BN, softmax, linear, shuffle, slice, pools. */
static void
check_single (NdOp op, NdOpParams p, NdTensor *x, const char *what)
{
  g_autoptr(NdGraph) g = nd_graph_new ((int) x->shape[1], (int) x->shape[2],
                                       (int) x->shape[3]);
  int in = 0;

  add (g, op, &p, &in, 1, "op");
  check_both (g, x, what);
}

static void
test_elementwise (void)
{
  const float relu6_kinks[] = { 0, 6 };
  g_autoptr(NdTensor) x0 = input_away_from (2, 3, 4, 5, 3, relu6_kinks, 1);
  g_autoptr(NdTensor) x6 = input_away_from (2, 3, 4, 5, 4, relu6_kinks, 2);
  g_autoptr(NdTensor) xs = nd_test_random_input (2, 3, 4, 5, 6);

  /* values around 6 as well, so ReLU6's upper kink is crossed by the data, not by h */
  for (int64_t i = 0; i < x6->numel; i += 3)
    x6->data[i] = x6->data[i] * 2 + 6;
  for (int64_t i = 0; i < x6->numel; i++)
    if (fabsf (x6->data[i] - 6) < 0.05f)
      x6->data[i] = 6.1f;
  check_single (ND_OP_BATCHNORM, (NdOpParams) { .eps = 1e-5f }, xs, "batchnorm");
  check_single (ND_OP_RELU, (NdOpParams) { 0 }, x0, "relu");
  check_single (ND_OP_RELU6, (NdOpParams) { 0 }, x6, "relu6");
  check_single (ND_OP_SILU, (NdOpParams) { 0 }, xs, "silu");
  check_single (ND_OP_SIGMOID, (NdOpParams) { 0 }, xs, "sigmoid");
  check_single (ND_OP_LEAKY_RELU, (NdOpParams) { .alpha = 0.3f }, x0, "leaky relu 0.3");
  check_single (ND_OP_SOFTMAX, (NdOpParams) { 0 }, xs, "softmax over channels");
  check_single (ND_OP_LINEAR, (NdOpParams) { .out_c = 7 }, xs, "linear (flattened)");
}

static void
test_channels (void)
{
  g_autoptr(NdTensor) x = nd_test_random_input (2, 6, 3, 4, 8);

  check_single (ND_OP_CHANNEL_SHUFFLE, (NdOpParams) { .groups = 3 }, x, "channel shuffle 3");
  check_single (ND_OP_CHANNEL_SHUFFLE, (NdOpParams) { .groups = 2 }, x, "channel shuffle 2");
  check_single (ND_OP_SLICE, (NdOpParams) { .out_c = 3, .offset = 2 }, x, "slice [2, 5)");
}

static void
test_pools (void)
{
  g_autoptr(NdTensor) xd = input_distinct (2, 3, 7, 6, 9);
  g_autoptr(NdTensor) xs = nd_test_random_input (2, 3, 7, 6, 10);

  check_single (ND_OP_MAXPOOL, (NdOpParams) { .kernel = 3, .stride = 2, .pad = 1 }, xd,
                "maxpool 3 s2 p1");
  check_single (ND_OP_MAXPOOL, (NdOpParams) { .kernel = 2, .stride = 2 }, xd, "maxpool 2 s2");
  check_single (ND_OP_AVGPOOL, (NdOpParams) { .kernel = 3, .stride = 2, .pad = 1 }, xs,
                "avgpool 3 s2 p1 (pad counted)");
  check_single (ND_OP_AVGPOOL, (NdOpParams) { .kernel = 2, .stride = 2 }, xs, "avgpool 2 s2");
  check_single (ND_OP_ADAPTIVE_AVGPOOL, (NdOpParams) { .out_h = 3, .out_w = 4 }, xs,
                "adaptive avgpool 7×6 → 3×4 (overlapping)");
  check_single (ND_OP_ADAPTIVE_AVGPOOL, (NdOpParams) { .out_h = 1, .out_w = 1 }, xs,
                "global avgpool");
  check_single (ND_OP_ADAPTIVE_MAXPOOL, (NdOpParams) { .out_h = 3, .out_w = 4 }, xd,
                "adaptive maxpool 7×6 → 3×4");
  check_single (ND_OP_ADAPTIVE_MAXPOOL, (NdOpParams) { .out_h = 1, .out_w = 1 }, xd,
                "global maxpool");
}

/* Multi-input ops: the second input is a 1×1 conv of the first, so the gradient reaches x
 * along both paths and the sum over readers is checked too. */
static void
check_joined (NdOp op, NdOpParams p, int c, int n_extra, const char *what)
{
  g_autoptr(NdGraph) g = nd_graph_new (c, 5, 4);
  g_autoptr(NdTensor) x = nd_test_random_input (2, c, 5, 4, 12);
  NdOpParams conv = { .out_c = c, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  int ins[ND_MAX_INPUTS] = { 0 };
  int in = 0;

  for (int k = 1; k <= n_extra; k++)
    {
      g_autofree char *name = g_strdup_printf ("conv%d", k);

      ins[k] = add (g, ND_OP_CONV2D, &conv, &in, 1, name);
    }
  add (g, op, &p, ins, n_extra + 1, "op");
  check_both (g, x, what);
}

static void
test_joins (void)
{
  check_joined (ND_OP_ADD, (NdOpParams) { 0 }, 3, 1, "add of 2");
  check_joined (ND_OP_ADD, (NdOpParams) { 0 }, 3, 2, "add of 3");
  check_joined (ND_OP_CONCAT, (NdOpParams) { 0 }, 3, 2, "concat of 3");
  check_joined (ND_OP_CONCAT_INTERLEAVE, (NdOpParams) { 0 }, 3, 1, "concat interleave");
}

/* The SE/SSE gate as the builders make it: x ⊙ α·σ(conv1×1(avgpool(x))), α 1 and 2. */
static void
check_gate (float alpha, const char *what)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 5, 5);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 4, 5, 5, 13);
  NdOpParams pool = { .out_h = 1, .out_w = 1 };
  NdOpParams conv = { .out_c = 4, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gate = { .alpha = alpha };
  int in = 0, ins[2] = { 0, 0 };

  ins[1] = add (g, ND_OP_ADAPTIVE_AVGPOOL, &pool, &in, 1, NULL);
  ins[1] = add (g, ND_OP_CONV2D, &conv, &ins[1], 1, "se");
  add (g, ND_OP_GATE, &gate, ins, 2, "gate");
  check_both (g, x, what);
}

static void
test_gate (void)
{
  check_gate (1, "gate σ (SE)");
  check_gate (2, "gate 2σ (ParNet SSE)");
}

/* VanillaNet's series activation as its builder lays it out: leaky(λ) → depthwise k×k conv →
 * BN; and a RepVGG-style block: three branches added, then ReLU. */
static void
test_blocks (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 6, 6);
  g_autoptr(NdGraph) r = nd_graph_new (4, 6, 6);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 4, 6, 6, 14);
  NdOpParams leaky = { .alpha = 0.25f };
  NdOpParams dw = { .out_c = 4, .kernel = 7, .stride = 1, .pad = 3, .groups = 4 };
  NdOpParams bn = { .eps = 1e-6f };
  NdOpParams c3 = { .out_c = 4, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams c1 = { .out_c = 4, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
  int id = 0, b[3];

  id = add (g, ND_OP_LEAKY_RELU, &leaky, &id, 1, NULL);
  id = add (g, ND_OP_CONV2D, &dw, &id, 1, "act.weight_conv");
  add (g, ND_OP_BATCHNORM, &bn, &id, 1, "act.bn");
  check_both (g, x, "VanillaNet series activation");

  id = 0;
  b[0] = add (r, ND_OP_CONV2D, &c3, &id, 1, "dense.conv");
  b[0] = add (r, ND_OP_BATCHNORM, &bn, &b[0], 1, "dense.bn");
  b[1] = add (r, ND_OP_CONV2D, &c1, &id, 1, "1x1.conv");
  b[1] = add (r, ND_OP_BATCHNORM, &bn, &b[1], 1, "1x1.bn");
  b[2] = add (r, ND_OP_BATCHNORM, &bn, &id, 1, "identity");
  add (r, ND_OP_ADD, &(NdOpParams) { 0 }, b, 3, NULL);
  /* no ReLU at the end: its kink would sit wherever the sum lands */
  check_both (r, x, "RepVGG block (3 branches)");
}

/* Weight gradients of linear against differences in the weights. */
static void
test_linear_weights (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 2, 2);
  g_autoptr(NdTensor) x = nd_test_random_input (3, 3, 2, 2, 15);
  g_autoptr(NdTensor) r = nd_test_random_input (3, 5, 1, 1, 16);
  NdOpParams p = { .out_c = 5 };
  int in = 0;
  NdNode *lin;
  g_autoptr(NdTensor) dw = NULL;
  g_autoptr(NdTensor) db = nd_tensor_new_1d (5);

  add (g, ND_OP_LINEAR, &p, &in, 1, "fc");
  nd_test_randomize_graph (g, 8);
  lin = nd_graph_node (g, 1);
  dw = nd_tensor_new (2, (int64_t[]) { 5, 12 });
  nd_grad_linear_weights (lin, x, r, dw, db);
  for (int s = 0; s < 2; s++)
    {
      NdTensor *t = lin->w[s == 0 ? ND_W_WEIGHT : ND_W_BIAS];
      NdTensor *an = s == 0 ? dw : db;

      for (int64_t i = 0; i < t->numel; i++)
        {
          float keep = t->data[i];
          double fd;

          t->data[i] = keep + H_STEP;
          fd = loss (g, x, r);
          t->data[i] = keep - H_STEP;
          fd = (fd - loss (g, x, r)) / (2 * H_STEP);
          t->data[i] = keep;
          if (fabs (fd - an->data[i]) > 2e-3 * (1 + fabs (fd)))
            g_error ("linear d%s[%" G_GINT64_FORMAT "]: %g analytic, %g by differences",
                     s == 0 ? "W" : "b", (gint64) i, an->data[i], fd);
        }
    }
}

static NdGraph *
build (const char *name, int resolution, double width)
{
  g_autoptr(GError) error = NULL;
  NdModelSpec spec;
  NdGraph *g;

  g_assert_true (nd_model_spec_parse (name, &spec, &error));
  spec.resolution = resolution;
  spec.classes = 10;
  spec.width = width;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (g, 21);
  return g;
}

/* The input gradient of @unit from a CPU plan that captured every node (fast kernels, fast
 * backward), or NULL for the oracle's activations and the reference backward. */
static NdTensor *
model_grad (NdGraph *g, const NdTensor *x, const NdGradUnit *unit, gboolean fast)
{
  g_autoptr(GError) error = NULL;
  NdTensor *grad;

  if (fast)
    {
      g_autoptr(NdBackend) cpu = nd_cpu_backend_new (1, FALSE);
      g_autoptr(NdPlan) plan = NULL;
      int n_capture;
      g_autofree int *capture = nd_grad_capture_all (g, &n_capture);
      NdPlanOptions opts = { .batch = (int) x->shape[0], .capture = capture,
                             .n_capture = n_capture };

      plan = nd_backend_prepare (cpu, g, &opts, &error);
      g_assert_no_error (error);
      g_assert_true (nd_plan_run (plan, x, &error));
      grad = nd_graph_backward (g, plan->captured, unit, ND_GRAD_DEFAULT, &error);
    }
  else
    {
      g_autoptr(GPtrArray) acts = NULL;
      g_autoptr(NdTensor) y = nd_ref_run_graph (g, x, &acts);

      grad = nd_graph_backward (g, (NdTensor * const *) acts->pdata, unit, ND_GRAD_REFERENCE,
                                &error);
    }
  g_assert_no_error (error);
  return grad;
}

/* Whole models: fast == reference, and the fused graph's input gradient == the training
 * form's (re-parameterization changes the function only by rounding). */
static void
test_models (void)
{
  const struct { const char *name; int res; double width; } models[] = {
    { "parnet-s", 32, 0.25 }, { "repvgg-a0", 32, 0.25 }, { "vanillanet-5", 32, 0.25 },
    { "resnet-18", 32, 0.25 },
  };

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autoptr(NdGraph) g = build (models[m].name, models[m].res, models[m].width);
      g_autoptr(GError) error = NULL;
      g_autoptr(NdGraph) f = nd_fuse_graph (g, &error);
      g_autoptr(NdTensor) x = nd_test_random_input (2, 3, models[m].res, models[m].res, 22);
      NdGradUnit unit = { g->output, 3, 0, 0 };
      NdGradUnit funit = { 0 };
      g_autoptr(NdTensor) ref = NULL, fast = NULL, fused = NULL;
      g_autofree char *what = g_strdup_printf ("%s: fused vs training gradient",
                                               models[m].name);

      g_assert_no_error (error);
      funit = unit;
      funit.node = f->output;
      ref = model_grad (g, x, &unit, FALSE);
      fast = model_grad (g, x, &unit, TRUE);
      fused = model_grad (f, x, &funit, TRUE);
      nd_test_assert_close (fast, ref, 1e-4, 0, models[m].name);
      nd_test_assert_close (fused, ref, 1e-4, 0, what);
    }
}

/* Without a global path (no SE gate, no linear on the way), a unit's gradient is zero outside
 * its theoretical receptive field and not zero inside. */
static void
test_local_support (void)
{
  g_autoptr(NdGraph) g = build ("resnet-18", 64, 0.25);
  g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 64, 64, 23);
  g_autoptr(GError) error = NULL;
  NdReceptiveField rf;
  int node = -1;
  double inside = 0;

  for (int i = 0; i < nd_graph_n_nodes (g); i++)
    if (g_strcmp0 (nd_graph_node (g, i)->block, "layer2.0") == 0)
      node = i;
  g_assert_cmpint (node, >, 0);
  {
    const NdNode *n = nd_graph_node (g, node);
    NdGradUnit unit = { node, -1, n->out_h / 2, n->out_w / 2 };
    g_autoptr(NdTensor) grad = model_grad (g, x, &unit, TRUE);

    g_assert_true (nd_receptive_field (g, node, unit.y, unit.x, &rf, &error));
    g_assert_no_error (error);
    g_assert_false (rf.global);
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < 64; y++)
        for (int xx = 0; xx < 64; xx++)
          {
            float v = grad->data[((int64_t) c * 64 + y) * 64 + xx];

            if (y < rf.y0 || y > rf.y1 || xx < rf.x0 || xx > rf.x1)
              g_assert_cmpfloat (v, ==, 0.0f);
            else
              inside += fabs (v);
          }
    g_assert_cmpfloat (inside, >, 0);
  }
}

static void
test_errors (void)
{
  g_autoptr(NdGraph) g = build ("repvgg-a0", 32, 0.25);
  g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 32, 32, 24);
  g_autoptr(GPtrArray) acts = NULL;
  g_autoptr(NdTensor) y = nd_ref_run_graph (g, x, &acts);
  g_autoptr(GError) error = NULL;
  NdGradUnit outside = { g->output, 10, 0, 0 };
  NdGradUnit ok = { g->output, 0, 0, 0 };
  NdTensor *keep;

  g_assert_null (nd_graph_backward (g, (NdTensor * const *) acts->pdata, &outside,
                                    ND_GRAD_DEFAULT, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* a node the forward did not keep */
  keep = acts->pdata[5];
  acts->pdata[5] = NULL;
  g_assert_null (nd_graph_backward (g, (NdTensor * const *) acts->pdata, &ok, ND_GRAD_DEFAULT,
                                    &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  acts->pdata[5] = keep;
}

static void
test_mass_radii (void)
{
  float map[25] = { 0 };
  double r50, r95;

  g_assert_false (nd_grad_mass_radii (map, 5, 5, 2, 2, &r50, &r95));
  /* the centre and its four neighbours, one each: half the mass needs radius 1 */
  map[12] = map[7] = map[11] = map[13] = map[17] = 1;
  g_assert_true (nd_grad_mass_radii (map, 5, 5, 2, 2, &r50, &r95));
  g_assert_cmpfloat (r50, ==, 1);
  g_assert_cmpfloat (r95, ==, 1);
  /* centre and a corner, equal: 50 % at the centre itself, 95 % needs the corner */
  memset (map, 0, sizeof map);
  map[12] = map[0] = 1;
  g_assert_true (nd_grad_mass_radii (map, 5, 5, 2, 2, &r50, &r95));
  g_assert_cmpfloat (r50, ==, 0);
  g_assert_cmpfloat_with_epsilon (r95, sqrt (8), 1e-12);
}

/* Grad-CAM on logits = linear(global average of A): α_c = w[k, c] / HW, so the map is
 * ReLU(Σ_c w[k, c]·A_c) / HW, upsampled (here from the same size: unchanged). */
static void
test_gradcam (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 4, 4);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 3, 4, 4, 30);
  g_autoptr(GPtrArray) acts = NULL;
  g_autoptr(NdTensor) y = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams conv = { .out_c = 5, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams pool = { .out_h = 1, .out_w = 1 };
  NdOpParams lin = { .out_c = 4 };
  NdSaliency sal = { 0 };
  int classes[2] = { 1, 3 };
  int id = 0, a;
  const NdTensor *w;

  a = add (g, ND_OP_CONV2D, &conv, &id, 1, "features");
  id = add (g, ND_OP_ADAPTIVE_AVGPOOL, &pool, &a, 1, NULL);
  id = add (g, ND_OP_LINEAR, &lin, &id, 1, "fc");
  nd_test_randomize_graph (g, 31);
  w = nd_graph_node (g, id)->w[ND_W_WEIGHT];
  y = nd_ref_run_graph (g, x, &acts);
  g_assert_cmpint (nd_grad_cam_node (g), ==, a);
  g_assert_true (nd_grad_saliency (g, (NdTensor * const *) acts->pdata, classes,
                                   ND_SALIENCY_GRADCAM, &sal, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sal.cam_node, ==, a);
  for (int n = 0; n < 2; n++)
    for (int i = 0; i < 16; i++)
      {
        const NdTensor *A = acts->pdata[a];
        double want = 0;

        for (int c = 0; c < 5; c++)
          want += w->data[classes[n] * 5 + c] * A->data[(n * 5 + c) * 16 + i] / 16.0;
        want = MAX (want, 0);
        g_assert_cmpfloat_with_epsilon (sal.map->data[n * 16 + i], want, 1e-5);
      }
  nd_saliency_clear (&sal);
  /* a class the head does not have */
  classes[1] = 4;
  g_assert_false (nd_grad_saliency (g, (NdTensor * const *) acts->pdata, classes,
                                    ND_SALIENCY_GRAD, &sal, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/grad/conv", test_conv);
  g_test_add_func ("/grad/elementwise", test_elementwise);
  g_test_add_func ("/grad/channels", test_channels);
  g_test_add_func ("/grad/pools", test_pools);
  g_test_add_func ("/grad/joins", test_joins);
  g_test_add_func ("/grad/gate", test_gate);
  g_test_add_func ("/grad/blocks", test_blocks);
  g_test_add_func ("/grad/linear-weights", test_linear_weights);
  g_test_add_func ("/grad/models", test_models);
  g_test_add_func ("/grad/local-support", test_local_support);
  g_test_add_func ("/grad/errors", test_errors);
  g_test_add_func ("/grad/mass-radii", test_mass_radii);
  g_test_add_func ("/grad/gradcam", test_gradcam);
  return g_test_run ();
}
