/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nd-cpu-gemm.h"

/* The packed GEMM (nd-cpu-gemm.c) against a float64 product, on the shapes its blocking
 * treats differently: rows not a multiple of the 8-row panel and more than one row block
 * (> 384), depths either side of the 192-deep K block, and every kind of column tail — whole
 * 32-wide strips, a masked 32-wide strip (≥ 24 left), 16-wide strips (while > 8 are left),
 * groups of ≤ 4 columns — on sub-ranges of rows and columns as the thread split asks.
 * Tolerance per output: 2⁻¹⁸·Σₖ|a·b| (float32 accumulation over ≤ 500 terms). */

static float
uniform (guint32 *s)
{
  *s = *s * 1664525u + 1013904223u;
  return (float) ((*s >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void
check (int M, int K, int N, int m0, int m1, int n0, int n1, guint32 seed)
{
  g_autofree float *A = g_new (float, (gsize) M * K);
  g_autofree float *B = g_new (float, (gsize) K * N);
  g_autofree float *C = g_new (float, (gsize) M * N);
  NdCpuPackedA *packed;

  for (gsize i = 0; i < (gsize) M * K; i++)
    A[i] = uniform (&seed);
  for (gsize i = 0; i < (gsize) K * N; i++)
    B[i] = uniform (&seed);
  for (gsize i = 0; i < (gsize) M * N; i++)
    C[i] = 1e30f;   /* outside the range asked for must stay as it was */
  packed = nd_cpu_gemm_pack (A, M, K, K);
  g_assert_nonnull (packed);
  nd_cpu_gemm_run (packed, m0, m1, B, N, n0, n1, C, N);
  nd_cpu_gemm_free (packed);
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      {
        double want = 0, mag = 0;
        float got = C[(gsize) m * N + n];

        if (m < m0 || m >= m1 || n < n0 || n >= n1)
          {
            if (got != 1e30f)
              g_error ("M %d K %d N %d rows [%d, %d) cols [%d, %d): C[%d][%d] written", M, K,
                       N, m0, m1, n0, n1, m, n);
            continue;
          }
        for (int k = 0; k < K; k++)
          {
            double t = (double) A[(gsize) m * K + k] * B[(gsize) k * N + n];

            want += t;
            mag += fabs (t);
          }
        if (!(fabs (got - want) <= ldexp (mag, -18) + 1e-30))
          g_error ("M %d K %d N %d rows [%d, %d) cols [%d, %d): C[%d][%d] = %.9g, want %.9g",
                   M, K, N, m0, m1, n0, n1, m, n, got, want);
      }
}

static void
test_shapes (void)
{
  static const int Ms[] = { 1, 8, 13, 130, 500 };
  static const int Ks[] = { 1, 5, 192, 193, 450 };
  /* tails past whole strips: 0, 1, 3, 4, 15, 16, 17, 19, 20, 23, 24, 31 (and 8, 9 after 16) */
  static const int Ns[] = { 1, 2, 3, 4, 17, 19, 32, 33, 35, 36, 47, 48, 49, 51, 52, 55, 56, 63,
                            196, 57, 41, 25, 24, 9 };

  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the callers use OpenBLAS (tested by the backend table)");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (Ms); i++)
    for (guint j = 0; j < G_N_ELEMENTS (Ks); j++)
      for (guint k = 0; k < G_N_ELEMENTS (Ns); k++)
        {
          int M = Ms[i], K = Ks[j], N = Ns[k];

          if ((gint64) M * K * N > 20000000)
            continue;
          check (M, K, N, 0, M, 0, N, i * 1000 + j * 100 + k);
        }
  /* the thread split's sub-ranges: rows from a panel boundary, columns from anywhere */
  check (130, 193, 196, 16, 120, 32, 196, 1);
  check (500, 200, 81, 392, 500, 64, 81, 2);
  check (40, 450, 100, 8, 40, 3, 54, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu-gemm/shapes", test_shapes);
  return g_test_run ();
}
