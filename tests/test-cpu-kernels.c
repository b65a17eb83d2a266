/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-backend.h"
#include "nd-backend-cpu.h"
#include "nd-cpu-kernel.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* Every fast CPU kernel against the naive oracle (nd_ref_run_graph): each convolution
 * algorithm forced on awkward shapes, the elementwise/pool ops, fused epilogues, and the
 * liveness-planned buffers on a branching ParNet-like graph. Tolerance 1e-5 relative to the
 * largest output, 1e-4 for Winograd F(4,3) (its transform constants up to 8 and 1/24 cost
 * about one decimal digit of float precision). */

typedef struct { int c, h, w, o, k, s, pad, g, bias; } ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 13, 11, 5, 3, 1, 1, 1, 1 },     /* odd map, edge tiles */
  { 17, 9, 7, 19, 3, 1, 1, 1, 0 },     /* channels not a multiple of the vector width */
  { 8, 7, 7, 12, 3, 2, 1, 4, 0 },      /* stride 2, groups */
  { 24, 10, 10, 18, 3, 1, 1, 2, 1 },   /* groups 2, stride 1 */
  { 6, 9, 9, 6, 3, 1, 1, 6, 1 },       /* depthwise 3×3 */
  { 10, 15, 15, 10, 7, 1, 3, 10, 0 },  /* depthwise 7×7 (VanillaNet) */
  { 6, 11, 11, 6, 3, 2, 1, 6, 1 },     /* depthwise stride 2 */
  { 5, 1, 1, 7, 1, 1, 0, 1, 1 },       /* 1×1 map */
  { 9, 1, 1, 4, 3, 1, 1, 1, 1 },       /* 1×1 map through a padded 3×3 */
  { 16, 14, 14, 9, 1, 1, 0, 1, 0 },    /* direct 1×1 */
  { 4, 12, 12, 8, 1, 2, 0, 2, 1 },     /* strided 1×1 */
  { 3, 16, 16, 10, 4, 4, 0, 1, 1 },    /* VanillaNet stem */
  { 2, 11, 13, 3, 7, 1, 3, 1, 0 },
  { 64, 8, 8, 64, 3, 1, 1, 2, 1 },
  { 33, 23, 21, 35, 3, 1, 1, 1, 1 },   /* several Winograd blocks and lanes */
  { 24, 9, 9, 400, 1, 1, 0, 1, 1 },    /* > 384 rows: the packed GEMM's row blocks, B packing */
  { 20, 26, 26, 136, 3, 1, 1, 1, 1 },  /* auto F(4,3), ≥ 128 rows, several tile blocks */
};

static const char *const algos[] = {
  NULL, "im2col+sgemm", "gemm-1x1", "winograd-f23", "winograd-f43", "dw-direct",
};

typedef struct { const ConvCase *cc; const char *algo; } ConvTest;

static void
test_conv_algo (gconstpointer data)
{
  const ConvTest *t = data;
  const ConvCase *cc = t->cc;
  g_autoptr(NdGraph) g = nd_graph_new (cc->c, cc->h, cc->w);
  g_autoptr(NdTensor) x = nd_test_random_input (2, cc->c, cc->h, cc->w, 7767517);
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .out_c = cc->o, .kernel = cc->k, .stride = cc->s, .pad = cc->pad,
                   .groups = cc->g, .has_bias = cc->bias };
  NdPlanOptions opts = { .batch = 2 };
  int in = 0;
  gboolean f43 = t->algo != NULL && g_str_equal (t->algo, "winograd-f43");

  g_assert_cmpint (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", &error), ==, 1);
  nd_test_randomize_graph (g, 42);
  want = nd_ref_run_graph (g, x, NULL);
  nd_cpu_conv_force_algo (t->algo);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  nd_cpu_conv_force_algo (NULL);
  g_assert_no_error (error);
  if (t->algo != NULL && g_strcmp0 (plan->op_algo[1], t->algo) != 0)
    {
      g_test_skip ("algorithm does not apply to this shape");
      return;
    }
  g_assert_cmpstr (plan->op_algo[1], !=, "ref");
  for (int r = 0; r < 2; r++)
    {
      g_assert_true (nd_plan_run (plan, x, &error));
      g_assert_no_error (error);
      nd_test_assert_close (plan->output, want, f43 ? 1e-4 : 1e-5, 1e-6, plan->op_algo[1]);
    }
}

/* Every algorithm must be reachable by some case (a forced algorithm that never applies
 * would make its tests all skip). */
static void
test_algos_reachable (void)
{
  for (guint a = 1; a < G_N_ELEMENTS (algos); a++)
    {
      gboolean hit = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (conv_cases) && !hit; i++)
        {
          const ConvCase *cc = &conv_cases[i];
          g_autoptr(NdGraph) g = nd_graph_new (cc->c, cc->h, cc->w);
          NdOpParams p = { .out_c = cc->o, .kernel = cc->k, .stride = cc->s, .pad = cc->pad,
                           .groups = cc->g, .has_bias = cc->bias };
          NdCpuKernel *k;
          int in = 0;

          nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", NULL);
          nd_cpu_conv_force_algo (algos[a]);
          k = nd_cpu_conv_winograd_new (g, nd_graph_node (g, 1), 1);
          if (k == NULL)
            k = nd_cpu_conv_dw_new (g, nd_graph_node (g, 1), 1);
          if (k == NULL)
            k = nd_cpu_conv_gemm_new (g, nd_graph_node (g, 1), 1);
          nd_cpu_conv_force_algo (NULL);
          if (k != NULL)
            {
              hit = g_str_equal (k->algo, algos[a]);
              k->free (k);
            }
        }
      g_assert_true (hit);
    }
}

/* Non-square kernels (Inception's 1×7, 7×1, 1×3, 3×1): im2col+sgemm takes them; Winograd,
 * the depthwise kernel and the direct 1×1 path, which assume square ones, must not. */
static void
test_conv_rect (void)
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

/* ---- elementwise and pool ops ------------------------------------------------------- */

static void
test_eltwise_ops (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 11, 9);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 6, 11, 9, 5);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(GArray) capture = g_array_new (FALSE, FALSE, sizeof (int));
  NdOpParams bn = { .eps = 1e-5f }, leaky = { .alpha = 0.1f }, gate2 = { .alpha = 2.0f };
  NdOpParams ap = { .kernel = 3, .stride = 2, .pad = 1 }, mp = { .kernel = 3, .stride = 2, .pad = 1 };
  NdOpParams p2 = { .kernel = 2, .stride = 2 }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams ada = { .out_h = 4, .out_w = 3 }, sh = { .groups = 3 };
  NdOpParams fc = { .out_c = 7 };
  int b, r, s, sg, l, add, gp, gt, a1, m1, a2, m2, ad, am, cat, shf, two[2], three[3];
  NdPlanOptions opts = { .batch = 2 };

  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, (int[]) { 0 }, 1, "bn", NULL);
  r = nd_graph_add (g, ND_OP_RELU, NULL, &b, 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_SILU, NULL, &b, 1, NULL, NULL);
  sg = nd_graph_add (g, ND_OP_SIGMOID, NULL, &b, 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &b, 1, NULL, NULL);
  three[0] = r, three[1] = s, three[2] = l;
  add = nd_graph_add (g, ND_OP_ADD, NULL, three, 3, NULL, NULL);
  gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &sg, 1, NULL, NULL);
  two[0] = add, two[1] = gp;
  gt = nd_graph_add (g, ND_OP_GATE, &gate2, two, 2, NULL, NULL);
  a1 = nd_graph_add (g, ND_OP_AVGPOOL, &ap, &gt, 1, NULL, NULL);
  m1 = nd_graph_add (g, ND_OP_MAXPOOL, &mp, &gt, 1, NULL, NULL);
  a2 = nd_graph_add (g, ND_OP_AVGPOOL, &p2, &gt, 1, NULL, NULL);
  m2 = nd_graph_add (g, ND_OP_MAXPOOL, &p2, &gt, 1, NULL, NULL);
  ad = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &ada, &gt, 1, NULL, NULL);
  am = nd_graph_add (g, ND_OP_ADAPTIVE_MAXPOOL, &ada, &gt, 1, NULL, NULL);
  two[0] = a2, two[1] = m2;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, two, 2, NULL, NULL);
  shf = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &cat, 1, NULL, NULL);
  two[0] = a1, two[1] = m1;
  nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
  two[0] = ad, two[1] = am;
  nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_LINEAR, &fc, &shf, 1, "fc", NULL);
  nd_test_randomize_graph (g, 9);
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    g_array_append_val (capture, i);
  opts.capture = (const int *) capture->data;
  opts.n_capture = capture->len;
  want = nd_ref_run_graph (g, x, &all);
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
  nd_test_assert_close (plan->output, want, 1e-5, 1e-6, "output");
}

/* ReLU6, SLICE, N-input CONCAT, 3×3 s1 p1 average pool (the zoo's ops) against the oracle,
 * every node captured; a BN with γ = 8 puts values past both ends of ReLU6. Then conv → ReLU6
 * as an epilogue. */
static void
test_zoo_ops (void)
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

/* ---- fused epilogues ---------------------------------------------------------------- */

typedef enum { EP_RELU, EP_SILU, EP_LEAKY, EP_GATE2, EP_ADD_SILU, EP_CAPTURED_ACT,
               EP_CAPTURED_CONV, EP_DW_RELU, EP_ADD_TWO_CONVS } EpCase;

static void
test_fused_epilogue (gconstpointer data)
{
  EpCase ec = GPOINTER_TO_INT (data);
  g_autoptr(NdGraph) g = nd_graph_new (20, 13, 12);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 20, 13, 12, 11);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) want = NULL;
  NdOpParams c3 = { .out_c = 20, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  NdOpParams dw = { .out_c = 20, .kernel = 7, .stride = 1, .pad = 3, .groups = 20, .has_bias = 1 };
  NdOpParams c1 = { .out_c = 20, .kernel = 1, .stride = 1, .groups = 1 };
  NdOpParams leaky = { .alpha = 0.25f }, gate2 = { .alpha = 2.0f }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  int conv, act = -1, two[2], capture[1], zero = 0;
  NdPlanOptions opts = { .batch = 2 };

  conv = nd_graph_add (g, ND_OP_CONV2D, ec == EP_DW_RELU ? &dw : &c3, &zero, 1, "conv", NULL);
  switch (ec)
    {
    case EP_RELU:
    case EP_CAPTURED_ACT:
    case EP_CAPTURED_CONV:
    case EP_DW_RELU:
      act = nd_graph_add (g, ND_OP_RELU, NULL, &conv, 1, NULL, NULL);
      break;
    case EP_SILU:
      act = nd_graph_add (g, ND_OP_SILU, NULL, &conv, 1, NULL, NULL);
      break;
    case EP_LEAKY:
      act = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &conv, 1, NULL, NULL);
      break;
    case EP_GATE2:
      {
        /* ParNet case B: the gate comes from the block input, computed after the conv */
        int p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &zero, 1, NULL, NULL);
        int se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "se", NULL);

        two[0] = conv, two[1] = se;
        act = nd_graph_add (g, ND_OP_GATE, &gate2, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_SILU, NULL, &act, 1, NULL, NULL);
      }
      break;
    case EP_ADD_SILU:
      {
        /* ParNet case A: SiLU (conv + BN_id(x) ⊙ σ(se)) */
        int id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &zero, 1, "id", NULL);
        int p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
        int se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "se", NULL), gt;

        two[0] = id, two[1] = se;
        gt = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 1.0f }, two, 2, NULL, NULL);
        two[0] = conv, two[1] = gt;
        act = nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_SILU, NULL, &act, 1, NULL, NULL);
      }
      break;
    case EP_ADD_TWO_CONVS:
      {
        /* ResNet's projection shortcut: both convs could absorb the add; only one may */
        int sc = nd_graph_add (g, ND_OP_CONV2D, &c1, &zero, 1, "shortcut", NULL);

        two[0] = conv, two[1] = sc;
        act = nd_graph_add (g, ND_OP_ADD, NULL, two, 2, NULL, NULL);
        act = nd_graph_add (g, ND_OP_RELU, NULL, &act, 1, NULL, NULL);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  g->output = act;
  nd_test_randomize_graph (g, 77);
  if (ec == EP_CAPTURED_ACT || ec == EP_CAPTURED_CONV)
    {
      capture[0] = ec == EP_CAPTURED_ACT ? act : conv;
      opts.capture = capture;
      opts.n_capture = 1;
    }
  want = nd_ref_run_graph (g, x, &all);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  for (int r = 0; r < 2; r++)
    {
      g_assert_true (nd_plan_run (plan, x, &error));
      nd_test_assert_close (plan->output, want, 1e-4, 1e-6, "fused output");
    }
  if (ec == EP_CAPTURED_ACT || ec == EP_CAPTURED_CONV)
    {
      g_assert_cmpstr (plan->op_algo[act], !=, "fused");
      nd_test_assert_close (nd_plan_get_captured (plan, capture[0]),
                            g_ptr_array_index (all, capture[0]), 1e-4, 1e-6, "captured");
    }
  else
    {
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
      g_assert_cmpfloat (plan->op_ms[act], ==, 0);
    }
}

/* ---- liveness on a branching graph --------------------------------------------------- */

/* Two ParNet-like streams (case A and case B blocks), a fusion (MultiBN + interleaved concat +
 * grouped block + shuffle), a stride-2 block with the pool branch, head. */
static int
block (NdGraph *g, int x, int cin, int cout, int s, int groups, const char *name)
{
  NdOpParams d = { .out_c = cout, .kernel = 3, .stride = s, .pad = 1, .groups = groups };
  NdOpParams p1 = { .out_c = cout, .kernel = 1, .stride = 1, .groups = groups };
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams pool = { .kernel = 2, .stride = 2 }, sh = { .groups = groups };
  g_autofree char *n1 = g_strconcat (name, ".d", NULL), *n2 = g_strconcat (name, ".dbn", NULL);
  g_autofree char *n3 = g_strconcat (name, ".p", NULL), *n4 = g_strconcat (name, ".pbn", NULL);
  g_autofree char *n5 = g_strconcat (name, ".se", NULL), *n6 = g_strconcat (name, ".id", NULL);
  int dc = nd_graph_add (g, ND_OP_CONV2D, &d, &x, 1, n1, NULL);
  int db = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &dc, 1, n2, NULL);
  int src = s == 2 ? nd_graph_add (g, ND_OP_AVGPOOL, &pool, &x, 1, NULL, NULL) : x;
  int pc = nd_graph_add (g, ND_OP_CONV2D, &p1, &src, 1, n3, NULL);
  int pb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &pc, 1, n4, NULL);
  int ins[3], y;

  if (cin == cout && s == 1)
    {
      int id = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &x, 1, n6, NULL);
      int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &id, 1, NULL, NULL);
      int se = nd_graph_add (g, ND_OP_CONV2D, &p1, &gp, 1, n5, NULL);
      int gt;

      ins[0] = id, ins[1] = se;
      gt = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 1 }, ins, 2, NULL, NULL);
      ins[0] = db, ins[1] = pb, ins[2] = gt;
      y = nd_graph_add (g, ND_OP_ADD, NULL, ins, 3, NULL, NULL);
    }
  else
    {
      int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &x, 1, NULL, NULL);
      int se = nd_graph_add (g, ND_OP_CONV2D, &p1, &gp, 1, n5, NULL), a;

      ins[0] = db, ins[1] = pb;
      a = nd_graph_add (g, ND_OP_ADD, NULL, ins, 2, NULL, NULL);
      ins[0] = a, ins[1] = se;
      y = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 2 }, ins, 2, NULL, NULL);
    }
  y = nd_graph_add (g, ND_OP_SILU, NULL, &y, 1, NULL, NULL);
  if (groups > 1)
    y = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &y, 1, NULL, NULL);
  return y;
}

static void
test_branching_liveness (gconstpointer data)
{
  gboolean fused_convs = GPOINTER_TO_INT (data);
  g_autoptr(NdGraph) g = nd_graph_new (3, 32, 32);
  g_autoptr(NdTensor) x = nd_test_random_input (2, 3, 32, 32, 21);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) want = NULL;
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, fc = { .out_c = 10 };
  NdOpParams c3 = { .out_c = 24, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  int i0, i1, s0, s1, d0, b1, b2, cat, f, two[2], capture[2];
  NdPlanOptions opts = { .batch = 2, .capture = capture, .n_capture = 2, .timings = TRUE };

  i0 = block (g, 0, 3, 24, 2, 1, "inits.0");           /* 16 */
  i1 = block (g, i0, 24, 32, 2, 1, "inits.1");         /* 8 */
  s0 = i0;
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *name = g_strdup_printf ("streams.0.%d", k);

      if (fused_convs)
        {
          /* a fused block: conv with bias → gate(2σ) → SiLU */
          int c = nd_graph_add (g, ND_OP_CONV2D, &c3, &s0, 1, name, NULL);
          int gp = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &s0, 1, NULL, NULL);
          g_autofree char *se = g_strconcat (name, ".se", NULL);
          int sc = nd_graph_add (g, ND_OP_CONV2D,
                                 &(NdOpParams) { .out_c = 24, .kernel = 1, .stride = 1,
                                                 .groups = 1 }, &gp, 1, se, NULL);
          two[0] = c, two[1] = sc;
          s0 = nd_graph_add (g, ND_OP_GATE, &(NdOpParams) { .alpha = 2 }, two, 2, NULL, NULL);
          s0 = nd_graph_add (g, ND_OP_SILU, NULL, &s0, 1, NULL, NULL);
        }
      else
        s0 = block (g, s0, 24, 24, 1, 1, name);
    }
  s1 = block (g, i1, 32, 32, 1, 1, "streams.1.0");
  d0 = block (g, s0, 24, 32, 2, 1, "downsamples_2.0");
  b1 = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &s1, 1, "f.b1", NULL);
  b2 = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d0, 1, "f.b2", NULL);
  two[0] = b1, two[1] = b2;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, two, 2, NULL, NULL);
  f = block (g, cat, 64, 48, 2, 2, "f.2");              /* 4, g = 2 */
  f = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &f, 1, NULL, NULL);
  g->output = nd_graph_add (g, ND_OP_LINEAR, &fc, &f, 1, "head.fc", NULL);
  nd_test_randomize_graph (g, 5);
  capture[0] = s0;
  capture[1] = cat;
  want = nd_ref_run_graph (g, x, &all);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  for (int r = 0; r < 3; r++)
    {
      g_autoptr(NdTensor) other = nd_test_random_input (2, 3, 32, 32, 99);

      /* a run on another input between checks: stale buffers would show */
      g_assert_true (nd_plan_run (plan, r == 1 ? other : x, &error));
      if (r == 1)
        continue;
      nd_test_assert_close (plan->output, want, 1e-4, 1e-6, "output");
      for (int c = 0; c < 2; c++)
        nd_test_assert_close (nd_plan_get_captured (plan, capture[c]),
                              g_ptr_array_index (all, capture[c]), 1e-4, 1e-6, "captured");
    }
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    g_assert_cmpstr (plan->op_algo[i], !=, "ref");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    for (guint a = 0; a < G_N_ELEMENTS (algos); a++)
      {
        const ConvCase *cc = &conv_cases[i];
        ConvTest *t = g_new (ConvTest, 1);
        g_autofree char *path = g_strdup_printf ("/cpu-kernels/conv/%s/c%d-%dx%d-o%d-k%d-s%d-p%d-g%d",
                                                 algos[a] ? algos[a] : "auto", cc->c, cc->h,
                                                 cc->w, cc->o, cc->k, cc->s, cc->pad, cc->g);

        t->cc = cc;
        t->algo = algos[a];
        g_test_add_data_func_full (path, t, test_conv_algo, g_free);
      }
  g_test_add_func ("/cpu-kernels/conv/algorithms-reachable", test_algos_reachable);
  g_test_add_func ("/cpu-kernels/eltwise", test_eltwise_ops);
  g_test_add_func ("/cpu-kernels/zoo-ops", test_zoo_ops);
  g_test_add_func ("/cpu-kernels/conv/non-square", test_conv_rect);
  g_test_add_data_func ("/cpu-kernels/fused/conv-relu", GINT_TO_POINTER (EP_RELU),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/conv-silu", GINT_TO_POINTER (EP_SILU),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/conv-leaky", GINT_TO_POINTER (EP_LEAKY),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/conv-gate2-silu", GINT_TO_POINTER (EP_GATE2),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/conv-add-silu", GINT_TO_POINTER (EP_ADD_SILU),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/add-of-two-convs-relu",
                        GINT_TO_POINTER (EP_ADD_TWO_CONVS), test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/dw-relu", GINT_TO_POINTER (EP_DW_RELU),
                        test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/captured-act-not-fused",
                        GINT_TO_POINTER (EP_CAPTURED_ACT), test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/fused/captured-conv-not-fused",
                        GINT_TO_POINTER (EP_CAPTURED_CONV), test_fused_epilogue);
  g_test_add_data_func ("/cpu-kernels/liveness/parnet-like-unfused", GINT_TO_POINTER (FALSE),
                        test_branching_liveness);
  g_test_add_data_func ("/cpu-kernels/liveness/parnet-like-fused", GINT_TO_POINTER (TRUE),
                        test_branching_liveness);
  return g_test_run ();
}
