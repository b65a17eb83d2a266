/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The CPU kernels' thread pool: one process-wide set of workers, OpenBLAS kept
 * single-threaded so the two never compete for cores (every sgemm is split here instead).
 * Tasks are claimed dynamically; @thread (0 … n_threads−1) indexes per-thread scratch. */
typedef void (*NdCpuTaskFunc) (gpointer data, int task, int thread);

/* Starts the pool with @n_threads (≤ 0: one per core) the first time; later calls keep it. */
void     nd_cpu_pool_init        (int n_threads);
int      nd_cpu_pool_n_threads   (void);
/* Runs func (data, i, thread) for i in [0, n_tasks); returns when all are done. Runs inline
 * when the pool is busy (another plan on another thread) or n_tasks is 1. */
void     nd_cpu_parallel_for     (int           n_tasks,
                                  NdCpuTaskFunc func,
                                  gpointer      data);

/* C (M×N, ldc) = A (M×K, lda) · B (K×N, ldb) + beta·C, row-major, split across the pool. */
void     nd_cpu_sgemm            (int M, int N, int K,
                                  const float *A, int lda,
                                  const float *B, int ldb,
                                  float beta,
                                  float *C, int ldc);

/* Splits [0, n) into @parts nearly equal ranges aligned to @align; range @i. */
static inline void
nd_cpu_split (gint64 n, int parts, int i, int align, gint64 *begin, gint64 *end)
{
  gint64 chunk = (n + parts - 1) / parts;

  chunk = (chunk + align - 1) / align * align;
  *begin = MIN (n, chunk * i);
  *end = MIN (n, *begin + chunk);
}

G_END_DECLS
