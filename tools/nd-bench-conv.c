/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

#include "nd-backend.h"
#include "nd-backend-cpu.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-ref-ops.h"

/* Times the main 3×3 / 1×1 convolution shapes of ParNet-S, RepVGG-B1 and VGG-16 at 224 with
 * each CPU algorithm; prints median ms and GFLOP/s (2·MACs / time). A measurement tool, not a
 * test. Usage: nd-bench-conv [reps] [filter-substring]   (ND_BENCH_ALGO=name: that algorithm only)
 *        nd-bench-conv --model NAME [--fused] [--check] [reps]
 * The model mode prints wall and process-CPU medians (with ND_CPU_THREADS=1 the CPU time is
 * the uncontended single-core latency) and time per algorithm; --check compares the output
 * with the naive oracle. */

typedef struct { const char *model; int c, hw, o, k, s, g; } Shape;

static const Shape shapes[] = {
  { "parnet-s inits.0.1", 64, 112, 92, 3, 2, 1 },
  { "parnet-s streams.0", 92, 56, 92, 3, 1, 1 },
  { "parnet-s streams.1", 192, 28, 192, 3, 1, 1 },
  { "parnet-s streams.2", 384, 14, 384, 3, 1, 1 },
  { "parnet-s combine.2", 768, 14, 384, 3, 1, 2 },
  { "parnet-s combine.3", 384, 14, 1280, 3, 2, 1 },
  { "parnet-s downsamples_2.1", 384, 28, 384, 3, 2, 2 },
  { "parnet-m combine.3", 1024, 14, 2048, 3, 2, 2 },   /* 38 MB of weights */
  { "parnet-s se 1x1", 192, 1, 192, 1, 1, 1 },
  { "repvgg-b1 stage1", 128, 56, 128, 3, 1, 1 },
  { "repvgg-b1 stage2", 256, 28, 256, 3, 1, 1 },
  { "repvgg-b1 stage3", 512, 14, 512, 3, 1, 1 },
  { "vgg-16 features.2", 64, 224, 64, 3, 1, 1 },
  { "vgg-16 features.7", 128, 112, 128, 3, 1, 1 },
  { "vgg-16 features.14", 256, 56, 256, 3, 1, 1 },
  { "vgg-16 features.21", 512, 28, 512, 3, 1, 1 },
  { "vgg-16 features.28", 512, 14, 512, 3, 1, 1 },
  { "resnet-50 1x1", 256, 56, 64, 1, 1, 1 },
  { "vanillanet dw7", 512, 28, 512, 7, 1, 512 },
  { "vanillanet dw7 56", 512, 56, 512, 7, 1, 512 },
  { "vanillanet dw7 14", 2048, 14, 2048, 7, 1, 2048 },
  { "vanillanet dw7 7", 4096, 7, 4096, 7, 1, 4096 },
  { "resnet-50 stem7", 3, 224, 64, 7, 2, 1 },
  { "resnet-50 1x1 s2", 256, 56, 512, 1, 2, 1 },
  { "resnet-50 1x1 64-256", 64, 56, 256, 1, 1, 1 },
  { "resnet-50 1x1 1024", 1024, 14, 256, 1, 1, 1 },
  { "resnet-50 3x3 s2", 128, 56, 128, 3, 2, 1 },
  { "repvgg-a0 stage1.0", 48, 112, 48, 3, 2, 1 },
  { "repvgg-a0 stage2.0", 48, 56, 96, 3, 2, 1 },
  { "resnet-18 layer2.0.conv1", 64, 56, 128, 3, 2, 1 },
  { "parnet-m downsamples_2.0", 128, 56, 256, 3, 2, 1 },
  { "resnet-18 layer3.0.conv1", 128, 28, 256, 3, 2, 1 },
  { "repvgg-a0 stage3.0", 96, 28, 192, 3, 2, 1 },
  { "repvgg-a0 stage4.0", 192, 14, 1280, 3, 2, 1 },
  { "vanillanet 1x1 56", 512, 56, 512, 1, 1, 1 },
  { "vanillanet 1x1 28", 1024, 28, 2048, 1, 1, 1 },
  { "vanillanet 1x1 14", 2048, 14, 2048, 1, 1, 1 },
  { "vanillanet 1x1 7", 4096, 7, 4096, 1, 1, 1 },   /* 64 MB of weights: from DRAM */
  { "vanillanet-5 stages.0", 512, 56, 1024, 1, 1, 1 },
  { "vanillanet-5 stages.1", 1024, 28, 2048, 1, 1, 1 },
  { "vanillanet-5 stages.2", 2048, 14, 4096, 1, 1, 1 },   /* 32 MB of weights */
  { "resnet-50 3x3 s2 l4", 512, 14, 512, 3, 2, 1 },
  { "resnet-50 3x3 7x7", 512, 7, 512, 3, 1, 1 },
  { "mobilenet-v2 stem3", 3, 224, 32, 3, 2, 1 },
  { "mobilenet-v2 dw3 112", 32, 112, 32, 3, 1, 32 },
  { "mobilenet-v2 dw3 s2", 96, 112, 96, 3, 2, 96 },
  { "mobilenet-v2 dw3 56", 144, 56, 144, 3, 1, 144 },
  { "mobilenet-v2 dw3 14", 384, 14, 384, 3, 1, 384 },
  { "mobilenet-v2 dw3 7", 960, 7, 960, 3, 1, 960 },
};

static const char *const algos[] = {
  NULL, "im2col+sgemm", "gemm-1x1", "winograd-f23", "winograd-f43", "winograd-f63", "dw-direct", "direct",
  "direct-oc",
};

/* Process CPU time: on this shared, loaded machine wall time mostly measures the other
 * tenants; with ND_CPU_THREADS=1 CPU time is what the kernel itself costs. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static int
bench_model (int argc, char **argv)
{
  const char *name = NULL;
  gboolean fused = FALSE, check = FALSE;
  int reps = 10;
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(NdBackend) cpu = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) x = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(GHashTable) per_algo = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  NdPlanOptions opts = { .batch = 1, .timings = TRUE };
  g_autofree double *ms = NULL, *cms = NULL;
  gint64 macs;
  GHashTableIter it;
  gpointer key, value;

  for (int i = 2; i < argc; i++)
    if (g_str_equal (argv[i], "--fused"))
      fused = TRUE;
    else if (g_str_equal (argv[i], "--check"))
      check = TRUE;
    else if (name == NULL)
      name = argv[i];
    else
      reps = MAX (1, atoi (argv[i]));
  if (name == NULL || !nd_model_spec_parse (name, &spec, &error)
      || (g = nd_model_build (&spec, &error)) == NULL)
    {
      fprintf (stderr, "%s\n", error ? error->message : "usage: --model NAME");
      return 1;
    }
  nd_model_init_random (g, 1);
  if (fused)
    {
      NdGraph *f = nd_fuse_graph (g, &error);

      if (f == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      nd_graph_unref (g);
      g = f;
    }
  cpu = nd_cpu_backend_new (0, FALSE);
  x = nd_tensor_new_4d (1, g->in_c, g->in_h, g->in_w);
  nd_tensor_fill_normal (x, rand, 0, 1);
  plan = nd_backend_prepare (cpu, g, &opts, &error);
  if (plan == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  ms = g_new (double, reps);
  cms = g_new (double, reps);
  nd_plan_run (plan, x, NULL);
  nd_plan_run (plan, x, NULL);
  {
    g_autofree double *algo_ms = g_new0 (double, plan->n_nodes);

    for (int r = 0; r < reps; r++)
      {
        double c0 = cpu_ms ();

        nd_plan_run (plan, x, NULL);
        cms[r] = cpu_ms () - c0;
        ms[r] = plan->total_ms;
        for (int i = 0; i < plan->n_nodes; i++)
          algo_ms[i] += plan->op_ms[i] / reps;
      }
    for (int i = 1; i < plan->n_nodes; i++)
      {
        double *sum = g_hash_table_lookup (per_algo, plan->op_algo[i]);

        if (sum == NULL)
          {
            sum = g_new0 (double, 1);
            g_hash_table_insert (per_algo, (gpointer) plan->op_algo[i], sum);
          }
        *sum += algo_ms[i];
      }
  }
  qsort (ms, reps, sizeof (double), cmp_double);
  qsort (cms, reps, sizeof (double), cmp_double);
  nd_graph_count (g, NULL, &macs, NULL);
  printf ("%s%s 224: %s, core %s\n", name, fused ? " fused" : "", cpu->description,
          nd_cpu_blas_corename ());
  printf ("wall median %.2f ms (min %.2f), process CPU median %.2f ms (min %.2f), %.2f GMAC\n",
          ms[reps / 2], ms[0], cms[reps / 2], cms[0], macs / 1e9);
  g_hash_table_iter_init (&it, per_algo);
  while (g_hash_table_iter_next (&it, &key, &value))
    printf ("  %-14s %8.2f ms (mean wall per run)\n", (const char *) key, *(double *) value);
  if (check)
    {
      g_autoptr(NdTensor) want = nd_ref_run_graph (g, x, NULL);
      double max_abs = 0, max_rel = 0;

      nd_tensor_compare (plan->output, want, &max_abs, &max_rel);
      printf ("vs oracle: max |diff| %.3g, max rel %.3g\n", max_abs, max_rel);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr(NdBackend) cpu = NULL;
  const char *filter, *only = g_getenv ("ND_BENCH_ALGO");
  int reps;

  if (argc > 1 && g_str_equal (argv[1], "--model"))
    {
      nd_cpu_ensure_blas_core (argv);
      return bench_model (argc, argv);
    }

  reps = argc > 1 ? atoi (argv[1]) : 7;
  filter = argc > 2 ? argv[2] : NULL;

  nd_cpu_ensure_blas_core (argv);
  cpu = nd_cpu_backend_new (0, FALSE);
  reps = MAX (reps, 1);
  printf ("# %s; OpenBLAS core %s; pool %d threads\n", cpu->description, nd_cpu_blas_corename (),
          nd_cpu_pool_n_threads ());
  printf ("%-22s %-26s %-14s %9s %9s %9s %9s %9s\n", "shape", "C×HW→O k s g", "algo",
          "median ms", "min ms", "GFLOP/s", "cpu ms", "cpuGFLOP/s");
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const Shape *sh = &shapes[i];
      g_autoptr(NdGraph) g = nd_graph_new (sh->c, sh->hw, sh->hw);
      g_autoptr(NdTensor) x = nd_tensor_new_4d (1, sh->c, sh->hw, sh->hw);
      g_autoptr(GRand) rand = g_rand_new_with_seed (1);
      NdOpParams p = { .out_c = sh->o, .kernel = sh->k, .stride = sh->s, .pad = sh->k / 2,
                       .groups = sh->g, .has_bias = 1 };
      NdPlanOptions opts = { .batch = 1 };
      int in = 0;
      double flops;

      if (filter != NULL && strstr (sh->model, filter) == NULL)
        continue;
      nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", NULL);
      nd_tensor_fill_normal (nd_graph_node (g, 1)->w[ND_W_WEIGHT], rand, 0, 0.05);
      nd_tensor_fill_normal (x, rand, 0, 1);
      flops = 2.0 * nd_node_macs (g, nd_graph_node (g, 1));
      for (guint a = 0; a < G_N_ELEMENTS (algos); a++)
        {
          g_autoptr(NdPlan) plan = NULL;
          g_autofree double *ms = g_new (double, reps);
          g_autofree double *cms = g_new (double, reps);
          g_autofree char *desc = g_strdup_printf ("%d×%d²→%d k%d s%d g%d", sh->c, sh->hw, sh->o,
                                                   sh->k, sh->s, sh->g);

          if (only != NULL && g_strcmp0 (algos[a], only) != 0)
            continue;
          nd_cpu_conv_force_algo (algos[a]);
          plan = nd_backend_prepare (cpu, g, &opts, NULL);
          nd_cpu_conv_force_algo (NULL);
          if (plan == NULL || (algos[a] != NULL && g_strcmp0 (plan->op_algo[1], algos[a]) != 0))
            continue;
          nd_plan_run (plan, x, NULL);
          for (int r = 0; r < reps; r++)
            {
              double c0 = cpu_ms ();

              nd_plan_run (plan, x, NULL);
              cms[r] = cpu_ms () - c0;
              ms[r] = plan->total_ms;
            }
          qsort (ms, reps, sizeof (double), cmp_double);
          qsort (cms, reps, sizeof (double), cmp_double);
          printf ("%-22s %-26s %-14s %9.3f %9.3f %9.1f %9.3f %9.1f%s\n", sh->model, desc,
                  plan->op_algo[1], ms[reps / 2], ms[0], flops / (ms[reps / 2] * 1e6),
                  cms[reps / 2], flops / (cms[reps / 2] * 1e6),
                  algos[a] == NULL ? "  (auto)" : "");
        }
    }
  return 0;
}
