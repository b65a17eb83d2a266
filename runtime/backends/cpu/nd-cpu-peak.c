/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-peak.h"
#include "nd-cpu-pool.h"
#include "nd-error.h"

/* The CPU's compute peak for the lab's roofline: the best rate of a square float32 GEMM, run
 * the way the backend runs its convolutions (OpenBLAS split over the pool's threads, and the
 * packed AVX-512 kernel where there is one). At 1024 both kernels run at their full rate
 * (the panels fit the caches, packing is a small share); 512 as well, because on a loaded
 * machine a run of ~15 ms rarely has every core to itself while one of ~2 ms does (measured
 * on the 2-core development box at load 4: 512 best 101 GFLOP/s, 1024 best 53). */
static const int peak_sizes[] = { 512, 1024 };
#define PEAK_RUNS 4     /* after one untimed run; the best, so a preempted run does not count */

typedef struct
{
  const NdCpuPackedA *a;
  const float        *B;
  float              *C;
  int                 n, parts;
} GemmJob;

/* Columns split over the threads (aligned to the kernel's 32-wide panels): each thread
 * multiplies all of A by its own slice of B. */
static void
gemm_task (gpointer data, int task, int thread)
{
  GemmJob *j = data;
  gint64 b, e;

  nd_cpu_split (j->n, j->parts, task, 32, &b, &e);
  if (e > b)
    nd_cpu_gemm_run (j->a, 0, j->n, j->B, j->n, (int) b, (int) e, j->C, j->n);
}

/* C[i, j] in double, for the check that a timed kernel computed the product. */
static double
reference_entry (const float *A, const float *B, int n, int i, int j)
{
  double s = 0;

  for (int k = 0; k < n; k++)
    s += (double) A[(gsize) i * n + k] * B[(gsize) k * n + j];
  return s;
}

static gboolean
check_product (const float *A, const float *B, const float *C, int n, const char *what,
               GError **error)
{
  const int at[3][2] = { { 0, 0 }, { n / 2 + 5, 3 }, { n - 1, n - 1 } };

  for (int i = 0; i < 3; i++)
    {
      double want = reference_entry (A, B, n, at[i][0], at[i][1]);
      double have = C[(gsize) at[i][0] * n + at[i][1]];

      if (fabs (have - want) > 1e-4 * MAX (1.0, fabs (want)))
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_FAILED,
                       _("The %s peak probe computed C[%d, %d] = %g, expected %g"), what,
                       at[i][0], at[i][1], have, want);
          return FALSE;
        }
    }
  return TRUE;
}

/* The best of PEAK_RUNS timed runs of OpenBLAS (@packed NULL) or the packed kernel, n³. */
static gboolean
best_gflops (const float *A, const float *B, float *C, int n, const NdCpuPackedA *packed,
             double *gflops, GError **error)
{
  GemmJob job = { packed, B, C, n, nd_cpu_pool_n_threads () };
  double best = G_MAXDOUBLE;

  memset (C, 0, (gsize) n * n * sizeof (float));
  for (int r = 0; r <= PEAK_RUNS; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (packed != NULL)
        nd_cpu_parallel_for (job.parts, gemm_task, &job);
      else
        nd_cpu_sgemm (n, n, n, A, n, B, n, 0.0f, C, n);
      if (r > 0)
        best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  if (!check_product (A, B, C, n, packed != NULL ? "packed GEMM" : "sgemm", error))
    return FALSE;
  *gflops = best > 0 ? 2.0 * n * n * n / best / 1e9 : 0;
  return TRUE;
}

gboolean
nd_cpu_measure_peak (NdBackend *backend, NdBackendPeak *peak, GError **error)
{
  const int n_max = peak_sizes[G_N_ELEMENTS (peak_sizes) - 1];
  gsize bytes = (gsize) n_max * n_max * sizeof (float);
  g_autofree float *A = g_malloc (bytes);
  g_autofree float *B = g_malloc (bytes);
  g_autofree float *C = g_malloc (bytes);

  memset (peak, 0, sizeof *peak);
  nd_cpu_pool_init (0);   /* the backend's pool; started already unless reference-only */
  /* small values, no denormals, no exact zeros: the rate must not depend on the data */
  for (gsize i = 0; i < (gsize) n_max * n_max; i++)
    {
      A[i] = (float) ((int) (i % 17) - 8) * 0.01f + 0.001f;
      B[i] = (float) ((int) (i % 13) - 6) * 0.01f - 0.002f;
    }
  for (guint s = 0; s < G_N_ELEMENTS (peak_sizes); s++)
    {
      int n = peak_sizes[s];
      double rate;

      if (!best_gflops (A, B, C, n, NULL, &rate, error))
        return FALSE;
      if (rate > peak->sgemm_gflops)
        {
          peak->sgemm_gflops = rate;
          peak->gemm_size = n;
        }
      if (nd_cpu_gemm_supported ())
        {
          NdCpuPackedA *a = nd_cpu_gemm_pack (A, n, n, n);
          gboolean ok;

          if (a == NULL)
            {
              g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                                   _("Out of memory packing the GEMM peak probe"));
              return FALSE;
            }
          ok = best_gflops (A, B, C, n, a, &rate, error);
          nd_cpu_gemm_free (a);
          if (!ok)
            return FALSE;
          peak->gemm_gflops = MAX (peak->gemm_gflops, rate);
        }
    }
  peak->gflops = peak->sgemm_gflops;
  peak->source = "sgemm";
  if (peak->gemm_gflops > peak->gflops)
    {
      peak->gflops = peak->gemm_gflops;
      peak->source = "nd-gemm";
    }
  return TRUE;
}
