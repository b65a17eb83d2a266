/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <cblas.h>
#include <glib.h>

#include "nd-backend-cpu.h"

/* sgemm GFLOP/s with OpenBLAS's own core choice (--no-fix) or the corrected one.
 * Not a test: prints numbers. Usage: nd-bench-sgemm [--no-fix] [n] [threads] */
int
main (int argc, char **argv)
{
  gboolean fix = !(argc > 1 && g_str_equal (argv[1], "--no-fix"));
  int a = fix ? 1 : 2;
  int n = argc > a ? atoi (argv[a]) : 1024;
  int threads = argc > a + 1 ? atoi (argv[a + 1]) : 2;
  float *A, *B, *C;
  double best = 1e30;

  if (fix)
    nd_cpu_ensure_blas_core (argv);
  openblas_set_num_threads (threads);
  A = g_new (float, (gsize) n * n);
  B = g_new (float, (gsize) n * n);
  C = g_new (float, (gsize) n * n);
  for (gsize i = 0; i < (gsize) n * n; i++)
    {
      A[i] = (float) (i % 13) / 13.0f;
      B[i] = (float) (i % 7) / 7.0f;
    }
  for (int r = 0; r < 7; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A, n, B, n, 0.0f,
                   C, n);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  printf ("core %s (wanted %s), %d threads, n=%d: best %.2f ms, %.1f GFLOP/s\n",
          openblas_get_corename (), nd_cpu_blas_wanted_core () ? nd_cpu_blas_wanted_core () : "-",
          threads, n, best * 1e3, 2.0 * n * n * n / best / 1e9);
  g_free (A);
  g_free (B);
  g_free (C);
  return 0;
}
