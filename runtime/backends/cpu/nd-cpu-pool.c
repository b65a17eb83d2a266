/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cblas.h>
#include <sched.h>
#include <stdlib.h>

#include "nd-cpu-pool.h"

/* Workers spin briefly on a generation counter (ops of a plan follow each other within
 * microseconds), then sleep on a condition variable so an idle app costs nothing. */

/* Pause-spin this long (~50 µs) before yielding / sleeping: ops follow each other within
 * microseconds on an idle machine, but on a loaded one (this 2-core box runs 8 agents)
 * spinning on a preempted thread only steals the core it needs. */
#define SPIN_ROUNDS 2000
#define YIELD_ROUNDS 50

/* The job word packs generation (24 bits), task count (20) and next unclaimed task (20), so a
 * claim is one compare-and-swap that fails if a new job replaced the one the claimer saw. A
 * caller waits only for tasks actually claimed, never for a worker to wake up: on a loaded
 * machine a descheduled worker costs nothing, the caller just runs the remaining tasks. */
#define GEN(s)   ((s) >> 40)
#define COUNT(s) (((s) >> 20) & 0xFFFFF)
#define NEXT(s)  ((s) & 0xFFFFF)
#define MAX_TASKS 0xFFFFF

typedef struct
{
  int            n_threads;
  GThread      **workers;
  GMutex         busy;          /* one parallel_for at a time */
  GMutex         lock;
  GCond          wake;
  int            sleepers;
  guint64        state;
  NdCpuTaskFunc  func;
  gpointer       data;
  gint           done;
} Pool;

static Pool pool;
static gsize pool_once;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#else
  sched_yield ();
#endif
}

/* Runs tasks of generation @gen until none is left; FALSE if the job changed meanwhile. */
static void
run_tasks (guint64 gen, int thread)
{
  for (;;)
    {
      guint64 s = __atomic_load_n (&pool.state, __ATOMIC_ACQUIRE);

      if (GEN (s) != gen || NEXT (s) >= COUNT (s))
        return;
      if (__atomic_compare_exchange_n (&pool.state, &s, s + 1, FALSE, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE))
        {
          pool.func (pool.data, (int) NEXT (s), thread);
          __atomic_add_fetch (&pool.done, 1, __ATOMIC_RELEASE);
        }
    }
}

static gpointer
worker_main (gpointer data)
{
  int thread = GPOINTER_TO_INT (data);
  guint64 seen = 0;

  for (;;)
    {
      int spin = 0;

      while (GEN (__atomic_load_n (&pool.state, __ATOMIC_ACQUIRE)) == seen
             && spin < SPIN_ROUNDS + YIELD_ROUNDS)
        {
          if (spin++ < SPIN_ROUNDS)
            cpu_relax ();
          else
            sched_yield ();
        }
      if (GEN (__atomic_load_n (&pool.state, __ATOMIC_ACQUIRE)) == seen)
        {
          g_mutex_lock (&pool.lock);
          pool.sleepers++;
          while (GEN (__atomic_load_n (&pool.state, __ATOMIC_ACQUIRE)) == seen)
            g_cond_wait (&pool.wake, &pool.lock);
          pool.sleepers--;
          g_mutex_unlock (&pool.lock);
        }
      seen = GEN (__atomic_load_n (&pool.state, __ATOMIC_ACQUIRE));
      run_tasks (seen, thread);
    }
  return NULL;
}

void
nd_cpu_pool_init (int n_threads)
{
  if (g_once_init_enter (&pool_once))
    {
      const char *env = g_getenv ("ND_CPU_THREADS");

      if (env != NULL && atoi (env) > 0)
        n_threads = atoi (env);
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
  guint64 gen;

  nd_cpu_pool_init (0);
  if (n_tasks <= 0)
    return;
  if (n_tasks == 1 || n_tasks > MAX_TASKS || pool.n_threads == 1
      || !g_mutex_trylock (&pool.busy))
    {
      for (int i = 0; i < n_tasks; i++)
        func (data, i, 0);
      return;
    }
  pool.func = func;
  pool.data = data;
  __atomic_store_n (&pool.done, 0, __ATOMIC_RELAXED);
  gen = (GEN (pool.state) + 1) & 0xFFFFFF;
  __atomic_store_n (&pool.state, (gen << 40) | ((guint64) n_tasks << 20), __ATOMIC_RELEASE);
  g_mutex_lock (&pool.lock);
  if (pool.sleepers > 0)
    g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.lock);
  run_tasks (gen, 0);
  for (int spin = 0; __atomic_load_n (&pool.done, __ATOMIC_ACQUIRE) < n_tasks; spin++)
    {
      /* the rest is running on a worker; if it was preempted, let it have the core */
      if (spin < SPIN_ROUNDS)
        cpu_relax ();
      else
        sched_yield ();
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
