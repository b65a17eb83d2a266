/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cblas.h>
#include <sched.h>

#include "nd-cpu-pool.h"

/* Workers spin briefly on a generation counter (ops of a plan follow each other within
 * microseconds), then sleep on a condition variable so an idle app costs nothing. */

#define SPIN_ROUNDS 20000

typedef struct
{
  int            n_threads;
  GThread      **workers;
  GMutex         busy;          /* one parallel_for at a time */
  GMutex         lock;
  GCond          wake;
  int            sleepers;
  volatile guint generation;
  NdCpuTaskFunc  func;
  gpointer       data;
  int            n_tasks;
  volatile gint  next;
  volatile gint  finished;      /* workers done with the current generation */
} Pool;

static Pool pool;
static gsize pool_once;

static void
run_tasks (int thread)
{
  int i;

  while ((i = g_atomic_int_add (&pool.next, 1)) < pool.n_tasks)
    pool.func (pool.data, i, thread);
}

static gpointer
worker_main (gpointer data)
{
  int thread = GPOINTER_TO_INT (data);
  guint seen = 0;

  for (;;)
    {
      int spin = 0;

      while (g_atomic_int_get (&pool.generation) == seen && spin < SPIN_ROUNDS)
        {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause ();
#endif
          spin++;
        }
      if (g_atomic_int_get (&pool.generation) == seen)
        {
          g_mutex_lock (&pool.lock);
          pool.sleepers++;
          while (g_atomic_int_get (&pool.generation) == seen)
            g_cond_wait (&pool.wake, &pool.lock);
          pool.sleepers--;
          g_mutex_unlock (&pool.lock);
        }
      seen = g_atomic_int_get (&pool.generation);
      run_tasks (thread);
      g_atomic_int_inc (&pool.finished);
    }
  return NULL;
}

void
nd_cpu_pool_init (int n_threads)
{
  if (g_once_init_enter (&pool_once))
    {
      if (n_threads <= 0)
        n_threads = (int) g_get_num_processors ();
      pool.n_threads = CLAMP (n_threads, 1, 64);
      /* Our own threads split every GEMM; OpenBLAS's would only contend with them. */
      openblas_set_num_threads (1);
      pool.workers = g_new0 (GThread *, pool.n_threads);
      for (int t = 1; t < pool.n_threads; t++)
        pool.workers[t] = g_thread_new ("nd-cpu", worker_main, GINT_TO_POINTER (t));
      g_once_init_leave (&pool_once, 1);
    }
}

int
nd_cpu_pool_n_threads (void)
{
  nd_cpu_pool_init (0);
  return pool.n_threads;
}

void
nd_cpu_parallel_for (int n_tasks, NdCpuTaskFunc func, gpointer data)
{
  nd_cpu_pool_init (0);
  if (n_tasks <= 0)
    return;
  if (n_tasks == 1 || pool.n_threads == 1 || !g_mutex_trylock (&pool.busy))
    {
      for (int i = 0; i < n_tasks; i++)
        func (data, i, 0);
      return;
    }
  pool.func = func;
  pool.data = data;
  pool.n_tasks = n_tasks;
  g_atomic_int_set (&pool.next, 0);
  g_atomic_int_set (&pool.finished, 0);
  g_atomic_int_inc (&pool.generation);
  g_mutex_lock (&pool.lock);
  if (pool.sleepers > 0)
    g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);
  run_tasks (0);
  while (g_atomic_int_get (&pool.finished) < pool.n_threads - 1)
    {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause ();
#else
      sched_yield ();
#endif
    }
  g_mutex_unlock (&pool.busy);
}

typedef struct
{
  int M, N, K, lda, ldb, ldc, parts;
  gboolean split_n;
  const float *A, *B;
  float beta, *C;
} SgemmJob;

static void
sgemm_task (gpointer data, int task, int thread)
{
  SgemmJob *j = data;
  gint64 b, e;

  if (j->split_n)
    {
      nd_cpu_split (j->N, j->parts, task, 16, &b, &e);
      if (e > b)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, j->M, e - b, j->K, 1.0f, j->A,
                     j->lda, j->B + b, j->ldb, j->beta, j->C + b, j->ldc);
    }
  else
    {
      nd_cpu_split (j->M, j->parts, task, 4, &b, &e);
      if (e > b)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, e - b, j->N, j->K, 1.0f,
                     j->A + b * j->lda, j->lda, j->B, j->ldb, j->beta, j->C + b * j->ldc,
                     j->ldc);
    }
}

void
nd_cpu_sgemm (int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc)
{
  SgemmJob j = { M, N, K, lda, ldb, ldc, nd_cpu_pool_n_threads (), FALSE, A, B, beta, C };

  if ((gint64) M * N * K < 32 * 1024 || j.parts == 1)
    {
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb,
                   beta, C, ldc);
      return;
    }
  j.split_n = N >= 64 * j.parts || N >= M;
  nd_cpu_parallel_for (j.parts, sgemm_task, &j);
}
