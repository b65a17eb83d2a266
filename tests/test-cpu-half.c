/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-backend.h"
#include "nd-cpu-half.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* 16-bit weight storage on the CPU (nd-cpu-half.c), vector and scalar paths, against a
 * float64 reference. Stated tolerances, per output, with S = Σᵢ|wᵢ·xᵢ| (float32 weights):
 *   bf16: |y − y₆₄| ≤ 2⁻⁸·S           (weight rounding ≤ 2⁻⁹ relative, plus the activation's
 *                                       hi + lo split ≤ 2⁻¹⁷ and float32 accumulation)
 *   fp16: |y − y₆₄| ≤ 2⁻¹⁰·S + 2⁻²⁴·Σ|xᵢ|  (rounding ≤ 2⁻¹¹ relative; subnormals absolute)
 * and, against the float64 product of the *rounded* weights, 2⁻¹⁵·S: what is left there is
 * the kernel's own arithmetic, so a wrong row, lane or tail shows however small. */

static const struct { int N, O, I; } shapes[] = {
  { 1, 1, 1 }, { 1, 5, 3 }, { 2, 7, 31 }, { 1, 4, 32 }, { 3, 9, 33 }, { 1, 17, 100 },
  { 2, 63, 257 }, { 1, 130, 1000 }, { 4, 3, 4099 }, { 1, 1000, 512 },
};

static float
uniform (guint32 *s)
{
  *s = *s * 1664525u + 1013904223u;
  return (float) ((*s >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void
check_gemv (NdWeightsPrecision p, gboolean scalar)
{
  nd_cpu_half_force_scalar (scalar);
  for (guint c = 0; c < G_N_ELEMENTS (shapes); c++)
    {
      int N = shapes[c].N, O = shapes[c].O, I = shapes[c].I, ld = nd_cpu_half_ld (I);
      g_autofree float *x = g_new (float, (gsize) N * I);
      g_autofree float *w = g_new (float, (gsize) O * I);
      g_autofree float *b = g_new (float, O);
      g_autofree guint16 *wh = g_new0 (guint16, (gsize) O * ld);
      g_autofree float *xs = g_new (float, (gsize) N * ld);
      g_autofree float *y = g_new (float, (gsize) N * O);
      guint32 s = 1234u + c;

      for (gsize i = 0; i < (gsize) N * I; i++)
        x[i] = uniform (&s) * (i % 7 == 0 ? 30.0f : 1.0f);   /* a spread of magnitudes */
      for (int o = 0; o < O; o++)
        {
          b[o] = uniform (&s);
          for (int i = 0; i < I; i++)
            {
              w[(gsize) o * I + i] = uniform (&s) / sqrtf ((float) I);
              wh[(gsize) o * ld + i] = nd_cpu_half_from_float (p, w[(gsize) o * I + i]);
            }
        }
      nd_cpu_half_gemv (p, N, O, I, x, wh, b, xs, y);
      for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
          {
            double exact = b[o], rounded = b[o], S = 0, X = 0, got = y[(gsize) n * O + o];
            double tol;

            for (int i = 0; i < I; i++)
              {
                double xi = x[(gsize) n * I + i], wi = w[(gsize) o * I + i];

                exact += xi * wi;
                rounded += xi * nd_cpu_half_to_float (p, wh[(gsize) o * ld + i]);
                S += fabs (xi * wi);
                X += fabs (xi);
              }
            tol = p == ND_WEIGHTS_BF16 ? ldexp (S, -8) : ldexp (S, -10) + ldexp (X, -24);
            if (fabs (got - exact) > tol + 1e-6 || fabs (got - rounded) > ldexp (S, -15) + 1e-6)
              g_error ("%s %s N=%d O=%d I=%d: y[%d,%d] = %.9g, float64 %.9g (rounded weights "
                       "%.9g), tolerance %.3g", p == ND_WEIGHTS_BF16 ? "bf16" : "fp16",
                       nd_cpu_half_isa (p), N, O, I, n, o, got, exact, rounded, tol);
          }
    }
  nd_cpu_half_force_scalar (FALSE);
}

static void
test_gemv (gconstpointer data)
{
  int v = GPOINTER_TO_INT (data);
  NdWeightsPrecision p = v & 1 ? ND_WEIGHTS_FP16 : ND_WEIGHTS_BF16;

  check_gemv (p, (v & 2) != 0);
}

/* Round to nearest even on known values, and every finite fp16 pattern round-trips. */
static void
test_convert (void)
{
  const NdWeightsPrecision bf = ND_WEIGHTS_BF16, hf = ND_WEIGHTS_FP16;

  g_assert_cmphex (nd_cpu_half_from_float (bf, 1.0f), ==, 0x3f80);
  /* 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: to even (1); 1 + 3·2⁻⁸: up to 1 + 2⁻⁶ */
  g_assert_cmphex (nd_cpu_half_from_float (bf, 1.0f + ldexpf (1, -8)), ==, 0x3f80);
  g_assert_cmphex (nd_cpu_half_from_float (bf, 1.0f + 3 * ldexpf (1, -8)), ==, 0x3f82);
  g_assert_cmphex (nd_cpu_half_from_float (bf, -2.5f), ==, 0xc020);
  g_assert_cmphex (nd_cpu_half_from_float (hf, 1.0f), ==, 0x3c00);
  g_assert_cmphex (nd_cpu_half_from_float (hf, 65504.0f), ==, 0x7bff);
  g_assert_cmphex (nd_cpu_half_from_float (hf, 65520.0f), ==, 0x7c00);     /* rounds to inf */
  g_assert_cmphex (nd_cpu_half_from_float (hf, 1.0f + ldexpf (1, -11)), ==, 0x3c00);
  g_assert_cmphex (nd_cpu_half_from_float (hf, 1.0f + 3 * ldexpf (1, -11)), ==, 0x3c02);
  g_assert_cmphex (nd_cpu_half_from_float (hf, ldexpf (1, -24)), ==, 0x0001);  /* subnormal */
  g_assert_cmphex (nd_cpu_half_from_float (hf, ldexpf (1, -25)), ==, 0x0000);  /* tie: even */
  g_assert_cmphex (nd_cpu_half_from_float (hf, ldexpf (3, -26)), ==, 0x0001);
  g_assert_cmphex (nd_cpu_half_from_float (hf, ldexpf (1023, -24) + ldexpf (1, -25)), ==,
                   0x0400);                                   /* carries into the normals */
  for (guint32 h = 0; h < 0x10000; h++)
    if ((h & 0x7c00) != 0x7c00)
      g_assert_cmphex (nd_cpu_half_from_float (hf, nd_cpu_half_to_float (hf, h)), ==, h);
  g_assert_cmpfloat (nd_cpu_half_to_float (hf, 0x0001), ==, ldexpf (1, -24));
  g_assert_cmpfloat (nd_cpu_half_to_float (bf, 0xc020), ==, -2.5f);
#ifdef __FLT16_MAX__
  /* the compiler's own conversion agrees on a sweep of magnitudes */
  {
    guint32 s = 99;

    for (int i = 0; i < 200000; i++)
      {
        float v = ldexpf (uniform (&s), (int) (i % 44) - 28);
        _Float16 ref = (_Float16) v;
        guint16 bits;

        memcpy (&bits, &ref, sizeof bits);
        g_assert_cmphex (nd_cpu_half_from_float (hf, v), ==, bits);
      }
  }
#endif
}

/* The plan takes the 16-bit kernel for linear layers only when asked, batch 1 and 3, and its
 * output stays within the stated tolerance of the float32 oracle; fp16 leaves a layer whose
 * weights it cannot hold in float32. */
static void
test_plan (void)
{
  g_autoptr(GError) error = NULL;
  NdBackend *cpu = nd_backend_new ("cpu", -1, &error);
  const NdWeightsPrecision precs[] = { ND_WEIGHTS_FP32, ND_WEIGHTS_BF16, ND_WEIGHTS_FP16 };
  const char *algos[] = { "gemv", "gemv-bf16", "gemv-fp16" };

  g_assert_no_error (error);
  for (int big = 0; big < 2; big++)
    for (guint k = 0; k < G_N_ELEMENTS (precs); k++)
      for (int batch = 1; batch <= 3; batch += 2)
        {
          g_autoptr(NdGraph) g = nd_graph_new (7, 3, 5);
          g_autoptr(NdPlan) plan = NULL;
          g_autoptr(NdTensor) x = nd_test_random_input (batch, 7, 3, 5, 21);
          g_autoptr(NdTensor) want = NULL;
          NdOpParams fc1 = { .out_c = 127 }, fc2 = { .out_c = 13 };
          NdPlanOptions opt = { .batch = batch, .weights_precision = precs[k] };
          int in = 0, l1, l2, r;
          gboolean fits = !(big && precs[k] == ND_WEIGHTS_FP16);

          l1 = nd_graph_add (g, ND_OP_LINEAR, &fc1, &in, 1, "fc1", NULL);
          r = nd_graph_add (g, ND_OP_RELU, NULL, &l1, 1, NULL, NULL);
          l2 = nd_graph_add (g, ND_OP_LINEAR, &fc2, &r, 1, "fc2", NULL);
          nd_test_randomize_graph (g, 13);
          if (big)
            nd_graph_node (g, l1)->w[ND_W_WEIGHT]->data[5] = 70000.0f;
          plan = nd_backend_prepare (cpu, g, &opt, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (plan->op_algo[l1], ==, algos[fits ? k : 0]);
          g_assert_cmpstr (plan->op_algo[l2], ==, algos[k]);
          g_assert_true (nd_plan_run (plan, x, &error));
          g_assert_no_error (error);
          want = nd_ref_run_graph (g, x, NULL);
          /* two layers of rounded weights: 2× the per-layer bound, relative to the largest
           * output (the inputs here are N(0, 1), the weights He-scaled) */
          nd_test_assert_close (plan->output, want,
                                precs[k] == ND_WEIGHTS_FP32 ? 1e-5
                                : precs[k] == ND_WEIGHTS_BF16 ? 2 * ldexp (1, -8)
                                : 2 * ldexp (1, -10), 1e-6, algos[k]);
        }
  nd_backend_free (cpu);
}

/* 1×1 convolutions: of a pooled 1×1 map (an SE gate) the 16-bit kernel; of a larger map
 * (compute-bound) never. */
static void
test_plan_conv1x1 (void)
{
  g_autoptr(GError) error = NULL;
  NdBackend *cpu = nd_backend_new ("cpu", -1, &error);

  g_assert_no_error (error);
  for (int batch = 1; batch <= 2; batch++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (37, 6, 6);
      g_autoptr(NdPlan) plan = NULL;
      g_autoptr(NdTensor) x = nd_test_random_input (batch, 37, 6, 6, 5);
      g_autoptr(NdTensor) want = NULL;
      NdOpParams c1 = { .out_c = 37, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
      NdOpParams gap = { .out_h = 1, .out_w = 1 };
      NdOpParams fc = { .out_c = 11 };
      NdPlanOptions opt = { .batch = batch, .weights_precision = ND_WEIGHTS_BF16 };
      int in = 0, map, p, se, r;

      map = nd_graph_add (g, ND_OP_CONV2D, &c1, &in, 1, "map", NULL);
      p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &map, 1, NULL, NULL);
      se = nd_graph_add (g, ND_OP_CONV2D, &c1, &p, 1, "se", NULL);
      r = nd_graph_add (g, ND_OP_SIGMOID, NULL, &se, 1, NULL, NULL);
      nd_graph_add (g, ND_OP_LINEAR, &fc, &r, 1, "fc", NULL);
      nd_test_randomize_graph (g, 3);
      plan = nd_backend_prepare (cpu, g, &opt, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (plan->op_algo[map], !=, "gemv-bf16");
      g_assert_cmpstr (plan->op_algo[se], ==, "gemv-bf16");
      g_assert_true (nd_plan_run (plan, x, &error));
      g_assert_no_error (error);
      want = nd_ref_run_graph (g, x, NULL);
      nd_test_assert_close (plan->output, want, 2 * ldexp (1, -8), 1e-6, "se-bf16");
    }
  nd_backend_free (cpu);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu-half/convert", test_convert);
  g_test_add_data_func ("/cpu-half/gemv/bf16", GINT_TO_POINTER (0), test_gemv);
  g_test_add_data_func ("/cpu-half/gemv/fp16", GINT_TO_POINTER (1), test_gemv);
  g_test_add_data_func ("/cpu-half/gemv/bf16-scalar", GINT_TO_POINTER (2), test_gemv);
  g_test_add_data_func ("/cpu-half/gemv/fp16-scalar", GINT_TO_POINTER (3), test_gemv);
  g_test_add_func ("/cpu-half/plan", test_plan);
  g_test_add_func ("/cpu-half/plan-conv1x1", test_plan_conv1x1);
  return g_test_run ();
}
