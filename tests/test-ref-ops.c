/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-backend.h"
#include "nd-backend-cpu.h"
#include "nd-error.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* Hand-computed cases for the oracle itself, then every CPU kernel against the oracle. */

static void
test_conv_by_hand (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (1, 3, 3);
  g_autoptr(NdTensor) x = nd_tensor_new_4d (1, 1, 3, 3);
  g_autoptr(NdTensor) y = NULL;
  NdOpParams p = { .out_c = 1, .kernel = 2, .stride = 1, .pad = 0, .groups = 1, .has_bias = 1 };
  int in = 0;
  NdNode *c;

  nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", NULL);
  c = nd_graph_node (g, 1);
  for (int i = 0; i < 9; i++)
    x->data[i] = i + 1;                      /* 1 2 3 / 4 5 6 / 7 8 9 */
  c->w[ND_W_WEIGHT]->data[0] = 1;            /* [[1, 0], [0, -1]] */
  c->w[ND_W_WEIGHT]->data[3] = -1;
  c->w[ND_W_BIAS]->data[0] = 0.5f;
  y = nd_ref_run_graph (g, x, NULL);
  /* x[i][j] − x[i+1][j+1] = −4 everywhere, plus 0.5 */
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (y->data[i], ==, -3.5f);
}

/* One conv node on a hand-filled input, run by the oracle and by the CPU backend's own kernel:
 * the oracle must give @want exactly (small integers, summed in float), the kernel within 1e-5
 * relative (Winograd's transforms round). @w is [out_c, c/groups, k, k], @b NULL without bias. */
static void
check_conv_by_hand (int n, int c, int h, int wd, const NdOpParams *p, const float *x,
                    const float *w, const float *b, int oh, int ow, const float *want)
{
  g_autoptr(NdGraph) g = nd_graph_new (c, h, wd);
  g_autoptr(NdTensor) in = nd_tensor_new_4d (n, c, h, wd);
  g_autoptr(NdTensor) y = NULL;
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (1, FALSE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  NdPlanOptions opts = { .batch = n };
  int input = 0;
  NdNode *node;
  gint64 numel = (gint64) n * p->out_c * oh * ow;

  g_assert_cmpint (nd_graph_add (g, ND_OP_CONV2D, p, &input, 1, "c", &error), ==, 1);
  g_assert_no_error (error);
  node = nd_graph_node (g, 1);
  memcpy (in->data, x, sizeof (float) * in->numel);
  memcpy (node->w[ND_W_WEIGHT]->data, w, sizeof (float) * node->w[ND_W_WEIGHT]->numel);
  if (b != NULL)
    memcpy (node->w[ND_W_BIAS]->data, b, sizeof (float) * p->out_c);
  y = nd_ref_run_graph (g, in, NULL);
  g_assert_cmpint (y->shape[0], ==, n);
  g_assert_cmpint (y->shape[1], ==, p->out_c);
  g_assert_cmpint (y->shape[2], ==, oh);
  g_assert_cmpint (y->shape[3], ==, ow);
  for (gint64 i = 0; i < numel; i++)
    if (y->data[i] != want[i])
      g_error ("oracle: output[%" G_GINT64_FORMAT "] = %g, by hand %g", i, y->data[i], want[i]);

  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_true (nd_plan_run (plan, in, &error));
  g_assert_no_error (error);
  for (gint64 i = 0; i < numel; i++)
    if (!(fabsf (plan->output->data[i] - want[i]) <= 1e-5f * MAX (1.0f, fabsf (want[i]))))
      g_error ("CPU %s: output[%" G_GINT64_FORMAT "] = %g, by hand %g", plan->op_algo[1], i,
               plan->output->data[i], want[i]);
}

/* Padding 1, stride 2, bias, batch 2: a 3×3 box sum over a zero-padded 4×4 map. */
static void
test_conv_pad_stride_by_hand (void)
{
  NdOpParams p = { .out_c = 1, .kernel = 3, .stride = 2, .pad = 1, .groups = 1, .has_bias = 1 };
  float x[32], w[9], b[1] = { 1 };
  /* x = 1..16 (image 0) and 2·(1..16) (image 1):
   *   1  2  3  4     out(0,0): rows 0–1, cols 0–1 = 1+2+5+6             = 14
   *   5  6  7  8     out(0,1): rows 0–1, cols 1–3 = 2+3+4+6+7+8         = 30
   *   9 10 11 12     out(1,0): rows 1–3, cols 0–1 = 5+6+9+10+13+14      = 57
   *  13 14 15 16     out(1,1): rows 1–3, cols 1–3 = 6+7+8+10+11+12+14+15+16 = 99
   * plus the bias 1; image 1 doubles the sums. Output side (4 + 2 − 3) / 2 + 1 = 2. */
  const float want[8] = { 15, 31, 58, 100, 29, 61, 115, 199 };

  for (int i = 0; i < 16; i++)
    {
      x[i] = i + 1;
      x[16 + i] = 2 * (i + 1);
    }
  for (int i = 0; i < 9; i++)
    w[i] = 1;
  check_conv_by_hand (2, 1, 4, 4, &p, x, w, b, 2, 2, want);
}

/* Padding with a one-hot kernel: cross-correlation (not convolution) shifts the map down-right. */
static void
test_conv_pad_orientation_by_hand (void)
{
  NdOpParams p = { .out_c = 1, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  const float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const float w[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 };   /* top-left tap: out(i,j) = x(i−1,j−1) */
  const float want[9] = { 0, 0, 0, 0, 1, 2, 0, 4, 5 };

  check_conv_by_hand (1, 1, 3, 3, &p, x, w, NULL, 3, 3, want);
}

/* groups = 2, 4 → 4 channels, 1×1: output o reads input channels 2·(o / 2) and 2·(o / 2) + 1. */
static void
test_conv_groups_by_hand (void)
{
  NdOpParams p = { .out_c = 4, .kernel = 1, .stride = 1, .pad = 0, .groups = 2, .has_bias = 1 };
  float x[16];
  const float w[8] = { 1, 10, 100, 1000, 1, 10, 100, 1000 };   /* [4, 2, 1, 1] */
  const float b[4] = { 0.5f, -0.5f, 0.25f, -0.25f };
  /* channel c is the constant c + 1 on a 2×2 map; group 0 sees 1, 2 and group 1 sees 3, 4:
   * o0 = 1 + 10·2 = 21, o1 = 100 + 1000·2 = 2100, o2 = 3 + 10·4 = 43, o3 = 300 + 4000 = 4300 */
  const float per[4] = { 21.5f, 2099.5f, 43.25f, 4299.75f };
  float want[16];

  for (int i = 0; i < 16; i++)
    {
      x[i] = i / 4 + 1;
      want[i] = per[i / 4];
    }
  check_conv_by_hand (1, 4, 2, 2, &p, x, w, b, 2, 2, want);
}

/* Depthwise (groups = channels), k 2, stride 2, no padding, bias: each channel its own tap. */
static void
test_conv_depthwise_stride_by_hand (void)
{
  NdOpParams p = { .out_c = 2, .kernel = 2, .stride = 2, .pad = 0, .groups = 2, .has_bias = 1 };
  float x[32];
  const float w[8] = { 1, 0, 0, 0,      /* channel 0: top-left of each 2×2 window */
                       0, 0, 0, 1 };    /* channel 1: bottom-right */
  const float b[2] = { 1, 2 };
  /* channel 0 = 1..16 → x(0,0), x(0,2), x(2,0), x(2,2) = 1, 3, 9, 11, plus 1;
   * channel 1 = −(1..16) → x(1,1), x(1,3), x(3,1), x(3,3) = −6, −8, −14, −16, plus 2 */
  const float want[8] = { 2, 4, 10, 12, -4, -6, -12, -14 };

  for (int i = 0; i < 16; i++)
    {
      x[i] = i + 1;
      x[16 + i] = -(i + 1);
    }
  check_conv_by_hand (1, 2, 4, 4, &p, x, w, b, 2, 2, want);
}

static void
test_layout_ops_by_hand (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (4, 1, 1);
  g_autoptr(NdTensor) x = nd_tensor_new_4d (1, 4, 1, 1);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) y = NULL;
  NdOpParams shuffle = { .groups = 2 };
  int ins[2] = { 0, 0 }, s, cat;
  const float *o;

  for (int i = 0; i < 4; i++)
    x->data[i] = i;
  s = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &shuffle, &ins[0], 1, NULL, NULL);
  ins[1] = s;
  cat = nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, ins, 2, NULL, NULL);
  y = nd_ref_run_graph (g, x, &all);
  /* g = 2: out[2j] = in[j], out[2j+1] = in[C/2 + j] → 0 2 1 3 */
  o = ((NdTensor *) g_ptr_array_index (all, s))->data;
  g_assert_cmpfloat (o[0], ==, 0);
  g_assert_cmpfloat (o[1], ==, 2);
  g_assert_cmpfloat (o[2], ==, 1);
  g_assert_cmpfloat (o[3], ==, 3);
  /* z[2c] = a[c], z[2c+1] = b[c] → 0 0 1 2 2 1 3 3 */
  g_assert_cmpint (y->shape[1], ==, 8);
  {
    const float want[8] = { 0, 0, 1, 2, 2, 1, 3, 3 };

    for (int i = 0; i < 8; i++)
      g_assert_cmpfloat (y->data[i], ==, want[i]);
  }
  (void) cat;
}

static void
test_norm_gate_pool_by_hand (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (1, 5, 5);
  g_autoptr(NdTensor) x = nd_tensor_new_4d (1, 1, 5, 5);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(NdTensor) y = NULL;
  NdOpParams bn = { .eps = 0.0f };
  NdOpParams ada = { .out_h = 3, .out_w = 3 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams gate = { .alpha = 2.0f };
  int b, a, gp, ins[2];
  NdNode *bnode;

  for (int i = 0; i < 25; i++)
    x->data[i] = i;
  b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, (int[]) { 0 }, 1, "bn", NULL);
  bnode = nd_graph_node (g, b);
  bnode->w[ND_W_WEIGHT]->data[0] = 2;     /* 2·(x − 1)/sqrt(4) + 3 = x + 2 */
  bnode->w[ND_W_BIAS]->data[0] = 3;
  bnode->w[ND_W_MEAN]->data[0] = 1;
  bnode->w[ND_W_VAR]->data[0] = 4;
  a = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &ada, &b, 1, NULL, NULL);
  gp = nd_graph_add (g, ND_OP_ADAPTIVE_MAXPOOL, &gap, &b, 1, NULL, NULL);
  ins[0] = b;
  ins[1] = gp;
  nd_graph_add (g, ND_OP_GATE, &gate, ins, 2, NULL, NULL);
  y = nd_ref_run_graph (g, x, &all);

  g_assert_cmpfloat (((NdTensor *) g_ptr_array_index (all, b))->data[7], ==, 9);
  /* 5 → 3 windows: rows [0,2) [1,4) [3,5); cell (1,1) averages rows 1..3, cols 1..3 of x+2 */
  g_assert_cmpfloat_with_epsilon (((NdTensor *) g_ptr_array_index (all, a))->data[4],
                                  12 + 2, 1e-5);
  g_assert_cmpfloat_with_epsilon (((NdTensor *) g_ptr_array_index (all, a))->data[0],
                                  (0 + 1 + 5 + 6) / 4.0 + 2, 1e-5);
  /* gate: (x + 2) · 2σ(max = 26) */
  g_assert_cmpfloat_with_epsilon (y->data[3], 5 * 2 / (1 + exp (-26.0)), 1e-5);
}

/* CPU kernels vs the oracle on awkward convolution shapes. */
typedef struct { int c, h, w, o, k, s, pad, g, bias; } ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 13, 11, 5, 3, 1, 1, 1, 1 },
  { 8, 7, 7, 12, 3, 2, 1, 4, 0 },
  { 6, 9, 9, 6, 3, 1, 1, 6, 1 },     /* depthwise */
  { 5, 1, 1, 7, 1, 1, 0, 1, 1 },     /* 1×1 map */
  { 16, 14, 14, 9, 1, 1, 0, 1, 0 },  /* direct 1×1 */
  { 4, 12, 12, 8, 1, 2, 0, 2, 1 },   /* strided 1×1 */
  { 3, 16, 16, 10, 4, 4, 0, 1, 1 },  /* VanillaNet stem */
  { 2, 11, 13, 3, 7, 1, 3, 1, 0 },
  { 64, 8, 8, 64, 3, 1, 1, 2, 1 },
};

/* The oracle against the textbook definition written out here, on the same awkward shapes:
 * y[n,o,i,j] = b[o] + Σ_{c<C/g, ki, kj} w[o,c,ki,kj] · x[n, (o / (O/g))·C/g + c, i·s − p + ki,
 * j·s − p + kj], zero outside the map. */
static void
test_conv_oracle_formula (gconstpointer data)
{
  const ConvCase *cc = data;
  g_autoptr(NdGraph) g = nd_graph_new (cc->c, cc->h, cc->w);
  g_autoptr(NdTensor) x = nd_test_random_input (2, cc->c, cc->h, cc->w, 99);
  g_autoptr(NdTensor) y = NULL;
  NdOpParams p = { .out_c = cc->o, .kernel = cc->k, .stride = cc->s, .pad = cc->pad,
                   .groups = cc->g, .has_bias = cc->bias };
  int in = 0, cpg = cc->c / cc->g, opg = cc->o / cc->g;
  int oh = (cc->h + 2 * cc->pad - cc->k) / cc->s + 1;
  int ow = (cc->w + 2 * cc->pad - cc->k) / cc->s + 1;
  const float *w, *b;

  nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", NULL);
  nd_test_randomize_graph (g, 5);
  w = nd_graph_node (g, 1)->w[ND_W_WEIGHT]->data;
  b = cc->bias ? nd_graph_node (g, 1)->w[ND_W_BIAS]->data : NULL;
  y = nd_ref_run_graph (g, x, NULL);
  g_assert_cmpint (y->shape[2], ==, oh);
  g_assert_cmpint (y->shape[3], ==, ow);
  for (int n = 0; n < 2; n++)
    for (int o = 0; o < cc->o; o++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
          {
            double acc = b ? b[o] : 0, got;

            for (int c = 0; c < cpg; c++)
              for (int ki = 0; ki < cc->k; ki++)
                for (int kj = 0; kj < cc->k; kj++)
                  {
                    int r = i * cc->s - cc->pad + ki, q = j * cc->s - cc->pad + kj;
                    int ch = (o / opg) * cpg + c;

                    if (r >= 0 && r < cc->h && q >= 0 && q < cc->w)
                      acc += (double) w[((o * cpg + c) * cc->k + ki) * cc->k + kj]
                             * x->data[((n * cc->c + ch) * cc->h + r) * cc->w + q];
                  }
            got = y->data[((n * cc->o + o) * oh + i) * ow + j];
            if (!(fabs (got - acc) <= 1e-5 * MAX (1.0, fabs (acc))))
              g_error ("y[%d,%d,%d,%d] = %g, formula %g", n, o, i, j, got, acc);
          }
}

static void
test_conv_kernels (gconstpointer data)
{
  const ConvCase *cc = data;
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

  g_assert_cmpint (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", &error), ==, 1);
  nd_test_randomize_graph (g, 42);
  want = nd_ref_run_graph (g, x, NULL);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plan->op_algo[1], !=, "ref");
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_no_error (error);
  nd_test_assert_close (plan->output, want, 1e-5, 1e-6, "conv");
}

static void
test_plan_capture_and_errors (void)
{
  g_autoptr(NdGraph) g = nd_graph_new (3, 8, 8);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (1, TRUE);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 8, 8, 1);
  g_autoptr(NdTensor) wrong = nd_test_random_input (1, 3, 9, 8, 1);
  g_autoptr(NdTensor) want = NULL;
  g_autoptr(GPtrArray) all = NULL;
  NdOpParams p = { .out_c = 4, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams fc = { .out_c = 5 };
  int in = 0, c, r, a;
  int capture[] = { 2 };
  NdPlanOptions opts = { .batch = 1, .capture = capture, .n_capture = 1, .timings = TRUE };

  c = nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", NULL);
  r = nd_graph_add (g, ND_OP_RELU, NULL, &c, 1, NULL, NULL);
  a = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &r, 1, NULL, NULL);
  nd_graph_add (g, ND_OP_LINEAR, &fc, &a, 1, "fc", NULL);
  nd_test_randomize_graph (g, 3);
  want = nd_ref_run_graph (g, x, &all);

  plan = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_false (nd_plan_run (plan, wrong, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_cmpint (plan->output->ndim, ==, 2);
  nd_test_assert_close (plan->output, want, 0, 0, "reference plan = oracle");
  nd_test_assert_close (nd_plan_get_captured (plan, r), g_ptr_array_index (all, r), 0, 0,
                        "captured relu");
  g_assert_null (nd_plan_get_captured (plan, c));
  for (int i = 0; i < G_N_ELEMENTS (capture); i++)
    g_assert_cmpfloat (plan->op_ms[capture[i]], >=, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ref-ops/conv-by-hand", test_conv_by_hand);
  g_test_add_func ("/ref-ops/conv-pad-stride-by-hand", test_conv_pad_stride_by_hand);
  g_test_add_func ("/ref-ops/conv-pad-orientation-by-hand", test_conv_pad_orientation_by_hand);
  g_test_add_func ("/ref-ops/conv-groups-by-hand", test_conv_groups_by_hand);
  g_test_add_func ("/ref-ops/conv-depthwise-stride-by-hand", test_conv_depthwise_stride_by_hand);
  g_test_add_func ("/ref-ops/layout-by-hand", test_layout_ops_by_hand);
  g_test_add_func ("/ref-ops/norm-gate-pool-by-hand", test_norm_gate_pool_by_hand);
  g_test_add_func ("/ref-ops/plan-capture-errors", test_plan_capture_and_errors);
  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    {
      const ConvCase *cc = &conv_cases[i];
      g_autofree char *path = g_strdup_printf ("/cpu/conv/c%d-%dx%d-o%d-k%d-s%d-p%d-g%d",
                                               cc->c, cc->h, cc->w, cc->o, cc->k, cc->s,
                                               cc->pad, cc->g);

      g_autofree char *formula = g_strconcat ("/ref-ops/conv-formula/",
                                              path + strlen ("/cpu/conv/"), NULL);

      g_test_add_data_func (path, cc, test_conv_kernels);
      g_test_add_data_func (formula, cc, test_conv_oracle_formula);
    }
  return g_test_run ();
}
