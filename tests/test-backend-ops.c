/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-backend.h"
#include "nd-backend-cpu.h"
#include "nd-cpu-gemm.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

/* One table for every backend (ggml's test-backend-ops, ncnn's per-layer tests): every op on
 * awkward shapes (odd channel counts, C not a multiple of the vector width, groups, stride 2,
 * 1×1 maps, maps wider than a tile row), the plan-level fusions and the liveness-planned
 * buffers, on each backend present, against the naive oracle (nd_ref_run_graph), two runs
 * each. Each case pins the algorithm every backend takes, and on the CPU the algorithms it can
 * be forced to: a change that narrows where an algorithm applies fails, it never skips.
 * Tolerances: the CPU 1e-5 relative to the largest output (+1e-6), 1e-4 for Winograd F(4,3)
 * (transform constants up to 8 and 1/24 cost about one decimal digit) and for fused graphs;
 * Vulkan 1e-4. The Vulkan plan's own machinery (split-K epilogue, fp16, barriers, timings,
 * threads, devices) is tested in test-vulkan-plan.c. */

typedef struct
{
  const char   *name;
  NdBackend    *backend;
  NdDeviceKind  kind;
} Backend;

static Backend backends[2];
static int n_backends;
static char *no_vulkan;

/* Relative and absolute tolerance: @loose for fused graphs and F(4,3). */
static void
tolerance (const Backend *be, gboolean loose, double *rtol, double *atol)
{
  *rtol = be->kind == ND_DEVICE_KIND_CPU && !loose ? 1e-5 : 1e-4;
  *atol = be->kind == ND_DEVICE_KIND_CPU ? 1e-6 : 0;
}

static NdPlan *
check (const Backend *be, NdGraph *g, int batch, const int *capture, int n_capture,
       gboolean loose, gboolean timings, const char *what)
{
  double rtol, atol;

  tolerance (be, loose, &rtol, &atol);
  return nd_test_check_graph (be->backend, g, batch, capture, n_capture, timings, rtol, atol,
                              what);
}

/* ---- convolutions ------------------------------------------------------------------- */

/* The algorithms the CPU can be forced to, as bits of cpu_algos[] (1 << index). */
#define IM2COL  (1u << 1)
#define GEMM1X1 (1u << 2)
#define F23     (1u << 3)
#define F43     (1u << 4)
#define DW      (1u << 5)
#define DIRECT  (1u << 6)

static const char *const cpu_algos[] = {
  NULL, "im2col+sgemm", "gemm-1x1", "winograd-f23", "winograd-f43", "dw-direct", "direct",
};

/* @cpu: the CPU's automatic choice (@cpu_blas where it differs without the packed GEMM,
 * ND_CPU_NO_PACKED_GEMM); @vk: the Vulkan backend's; @forced: what the CPU can be forced to;
 * @splitk: Vulkan plans with split-K forced (ND_VK_MIN_GROUPS, as a big GPU would take). */
typedef struct
{
  int         c, h, w, o, k, s, pad, g, bias, batch;
  const char *cpu, *cpu_blas, *vk;
  guint       forced;
  gboolean    splitk;
} ConvCase;

#define IGEMM "im2col+sgemm"
static const ConvCase conv_cases[] = {
  { 3, 13, 11, 5, 3, 1, 1, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },  /* odd map, edge tiles */
  { 17, 9, 7, 19, 3, 1, 1, 1, 0, 2, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 },  /* channels not a multiple of the vector width */
  { 8, 7, 7, 12, 3, 2, 1, 4, 0, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* stride 2, groups */
  { 24, 10, 10, 18, 3, 1, 1, 2, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },  /* groups 2, stride 1 */
  { 6, 9, 9, 6, 3, 1, 1, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 3×3 */
  { 10, 15, 15, 10, 7, 1, 3, 10, 0, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 7×7 (VanillaNet) */
  { 6, 11, 11, 6, 3, 2, 1, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise stride 2 */
  { 5, 1, 1, 7, 1, 1, 0, 1, 1, 2, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* 1×1 map */
  { 9, 1, 1, 4, 3, 1, 1, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },  /* 1×1 map through a padded 3×3 */
  { 16, 14, 14, 9, 1, 1, 0, 1, 0, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* direct 1×1 */
  { 4, 12, 12, 8, 1, 2, 0, 2, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* strided 1×1 */
  { 3, 16, 16, 10, 4, 4, 0, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* VanillaNet stem */
  { 2, 11, 13, 3, 7, 1, 3, 1, 0, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 64, 8, 8, 64, 3, 1, 1, 2, 1, 2, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 33, 23, 21, 35, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 },  /* several Winograd blocks and lanes */
  { 24, 9, 9, 400, 1, 1, 0, 1, 1, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* > 384 rows: the packed GEMM's row blocks, B packing */
  { 20, 26, 26, 136, 3, 1, 1, 1, 1, 2, "winograd-f43", NULL, "vk-winograd",
    IM2COL | F23 | F43 },  /* auto F(4,3), ≥ 128 rows, several tile blocks */
  /* The shapes 224-px models take (issue 20): maps ≥ 55 wide are ≥ 28 F(2,3) tiles a row
   * and ≥ 109 wide ≥ 28 F(4,3) tiles, where Winograd switches to one tile row per block. */
  { 16, 7, 57, 16, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 },
  { 16, 24, 110, 16, 3, 1, 1, 1, 0, 2, "winograd-f43", NULL, "vk-winograd",
    IM2COL | F23 | F43 },
  { 8, 12, 12, 8, 5, 1, 2, 8, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 5×5 */
  { 6, 9, 9, 6, 3, 1, 0, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise, pad 0 */
  { 6, 10, 10, 12, 3, 1, 0, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* pad 0 */
  { 32, 1, 1, 48, 1, 1, 0, 4, 1, 2, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* grouped 1×1 on a 1×1 map (an SE) */
  { 16, 9, 9, 24, 1, 1, 0, 4, 0, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* grouped 1×1 */
  { 3, 32, 30, 8, 7, 2, 3, 1, 0, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },  /* the ResNet stem: k7 s2 p3 */
  /* Shapes first written for the Vulkan kernels' tiles. */
  { 3, 13, 13, 13, 3, 1, 1, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 13, 7, 5, 127, 3, 2, 1, 1, 0, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 6, 11, 11, 9, 3, 2, 1, 3, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 64, 9, 9, 70, 3, 1, 1, 1, 1, 1, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 },
  { 16, 8, 8, 16, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 },
  { 16, 7, 9, 16, 3, 1, 1, 1, 1, 1, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 17, 13, 7, 33, 3, 1, 1, 1, 0, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 },
  { 15, 8, 8, 16, 3, 1, 1, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 32, 8, 8, 24, 3, 1, 1, 2, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 3, 16, 16, 24, 4, 4, 0, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 3, 17, 17, 8, 7, 2, 3, 1, 0, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },
  { 13, 13, 13, 7, 1, 2, 0, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 2, 1, 1, 6, 3, 1, 1, 2, 1, 3, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 },
  { 127, 13, 13, 3, 1, 1, 0, 1, 1, 1, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },
  { 8, 5, 5, 12, 1, 1, 0, 4, 0, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },
  { 64, 1, 1, 65, 1, 1, 0, 1, 1, 3, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* an SE gate's 1×1 map */
  { 8, 2, 2, 12, 1, 1, 0, 4, 1, 2, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* grouped, a 2×2 map, batch 2 */
  { 16, 9, 9, 16, 7, 1, 3, 16, 0, 1, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 5, 1, 1, 5, 3, 1, 1, 5, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 13, 12, 12, 13, 3, 2, 1, 13, 1, 1, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  /* the AVX-512 depthwise path: rows of several 16-column vectors plus a tail; stride 2
   * splits padded rows into even and odd columns (≥ 32 wide: the vector split), even and odd
   * pads put input column 0 in either half */
  { 5, 37, 70, 5, 5, 2, 2, 5, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 7, 19, 41, 7, 3, 2, 1, 7, 0, 1, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 3, 6, 35, 3, 7, 2, 3, 3, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 4, 5, 40, 4, 3, 1, 1, 4, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  /* stems through the direct kernel (AVX-512; elsewhere im2col): output channels not a
   * multiple of its 8-channel block, rows of one vector plus a tail and of 32 + 3 columns,
   * one input channel, pad 0 and odd / even pads */
  { 3, 29, 37, 20, 7, 2, 3, 1, 1, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },
  { 3, 20, 70, 9, 3, 2, 1, 1, 0, 1, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },
  { 1, 11, 12, 8, 5, 2, 2, 1, 1, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },
  { 4, 9, 9, 16, 3, 2, 0, 1, 1, 1, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT },
  /* Vulkan maps larger than 17×17 (issue 20): several tiles in both directions. */
  { 16, 24, 24, 16, 3, 1, 1, 1, 1, 1, "winograd-f43", NULL, "vk-winograd",
    IM2COL | F23 | F43 },
  { 8, 33, 31, 12, 3, 2, 1, 1, 0, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  /* Split-K (GPUs with a grid too small to fill them): plain convs, a grouped strided one, a
   * 1×1, and one whose K (12 per group) is too short to split. */
  { 96, 5, 5, 70, 3, 1, 1, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm-splitk",
    IM2COL | F23 | F43, TRUE },
  { 128, 7, 7, 64, 3, 2, 1, 2, 0, 1, IGEMM, NULL, "vk-implicit-gemm-splitk",
    IM2COL, TRUE },
  { 300, 6, 6, 33, 1, 1, 0, 1, 1, 1, "gemm-1x1", NULL, "vk-gemm1x1-splitk",
    GEMM1X1, TRUE },
  { 48, 6, 6, 40, 1, 1, 0, 4, 1, 1, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1, TRUE },
};

typedef struct
{
  const Backend  *be;
  const ConvCase *cc;
  const char     *forced;   /* CPU: the algorithm forced, or NULL */
} ConvTest;

static void
test_conv (gconstpointer data)
{
  const ConvTest *t = data;
  const ConvCase *cc = t->cc;
  gboolean cpu = t->be->kind == ND_DEVICE_KIND_CPU;
  g_autoptr(NdGraph) g = nd_graph_new (cc->c, cc->h, cc->w);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  NdOpParams p = { .out_c = cc->o, .kernel = cc->k, .stride = cc->s, .pad = cc->pad,
                   .groups = cc->g, .has_bias = cc->bias };
  const char *want;
  int in = 0;

  g_assert_cmpint (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "conv", &error), ==, 1);
  g_assert_no_error (error);
  nd_test_randomize_graph (g, 42);
  if (cpu)
    nd_cpu_conv_force_algo (t->forced);
  if (!cpu && cc->splitk)
    g_setenv ("ND_VK_MIN_GROUPS", "1000000", TRUE);
  plan = check (t->be, g, cc->batch, NULL, 0, g_strcmp0 (t->forced, "winograd-f43") == 0,
                FALSE, "conv");
  nd_cpu_conv_force_algo (NULL);
  g_unsetenv ("ND_VK_MIN_GROUPS");
  /* pinned: a forced algorithm the shape no longer takes fails, as does a changed choice */
  if (!cpu)
    want = cc->vk;
  else if (t->forced != NULL)
    want = t->forced;
  else
    want = !nd_cpu_gemm_supported () && cc->cpu_blas != NULL ? cc->cpu_blas : cc->cpu;
  g_assert_cmpstr (plan->op_algo[1], ==, want);
}

/* ParNet's three streams as concurrent work items (forced) and one op after another, both
 * forms, against the oracle; the streams' values are captured (their slots must not be shared
 * across streams) and the plan must report running them concurrently whenever the pool has
 * two threads or more. */
static void
test_cpu_parnet_streams (void)
{
  for (int fused = 0; fused < 2; fused++)
    for (int mode = 0; mode < 2; mode++)
      {
        g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
        g_autoptr(GError) error = NULL;
        g_autoptr(NdGraph) train = NULL;
        g_autoptr(NdGraph) g = NULL;
        g_autoptr(NdPlan) plan = NULL;
        NdModelSpec spec;
        int capture[3], n_capture = 0;

        g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
        spec.resolution = 64;
        spec.width = 0.25;
        spec.classes = 10;
        train = nd_model_build (&spec, &error);
        g_assert_no_error (error);
        nd_test_randomize_graph (train, 5);
        g = fused ? nd_fuse_graph (train, &error) : nd_graph_ref (train);
        g_assert_no_error (error);
        for (int v = 1; v < nd_graph_n_nodes (g) && n_capture < 3; v++)
          if (nd_graph_node (g, v)->stream == n_capture && nd_graph_node (g, v)->op == ND_OP_CONV2D)
            capture[n_capture++] = v;
        g_assert_cmpint (n_capture, ==, 3);
        g_setenv ("ND_CPU_STREAMS", mode ? "1" : "0", TRUE);
        plan = nd_test_check_graph (cpu, g, 2, capture, n_capture, TRUE, 1e-4, 1e-5, "parnet");
        g_unsetenv ("ND_CPU_STREAMS");
        g_assert_cmpint (nd_cpu_plan_concurrent_streams (plan), ==,
                         mode && nd_cpu_pool_n_threads () >= 2 ? 3 : 0);
      }
}

/* Every CPU algorithm is reachable by some case (one that never applies would have no test). */
static void
test_cpu_algos_reachable (void)
{
  for (guint a = 1; a < G_N_ELEMENTS (cpu_algos); a++)
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
          nd_cpu_conv_force_algo (cpu_algos[a]);
          k = nd_cpu_conv_winograd_new (g, nd_graph_node (g, 1), 1);
          if (k == NULL)
            k = nd_cpu_conv_dw_new (g, nd_graph_node (g, 1), 1);
          if (k == NULL)
            k = nd_cpu_conv_direct_new (g, nd_graph_node (g, 1), 1);
          if (k == NULL)
            k = nd_cpu_conv_gemm_new (g, nd_graph_node (g, 1), 1);
          nd_cpu_conv_force_algo (NULL);
          if (k != NULL)
            {
              hit = g_str_equal (k->algo, cpu_algos[a]);
              k->free (k);
            }
        }
      /* the direct kernel is AVX-512 only */
      g_assert_true (hit || (g_str_equal (cpu_algos[a], "direct") && !nd_cpu_gemm_supported ()));
    }
}

/* ---- graphs: fusions, elementwise, pools, layout, liveness --------------------------- */

typedef enum { EP_RELU, EP_SILU, EP_LEAKY, EP_GATE2, EP_ADD_SILU, EP_CAPTURED_ACT,
               EP_CAPTURED_CONV, EP_DW_RELU, EP_ADD_TWO_CONVS } EpCase;

static void
graph_cpu_eltwise (const Backend *be, int variant)
{
  g_autoptr(NdGraph) g = nd_graph_new (6, 11, 9);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GArray) capture = g_array_new (FALSE, FALSE, sizeof (int));
  NdOpParams bn = { .eps = 1e-5f }, leaky = { .alpha = 0.1f }, gate2 = { .alpha = 2.0f };
  NdOpParams ap = { .kernel = 3, .stride = 2, .pad = 1 }, mp = { .kernel = 3, .stride = 2, .pad = 1 };
  NdOpParams p2 = { .kernel = 2, .stride = 2 }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams ada = { .out_h = 4, .out_w = 3 }, sh = { .groups = 3 };
  NdOpParams fc = { .out_c = 7 };
  int b, r, s, sg, l, add, gp, gt, a1, m1, a2, m2, ad, am, cat, shf, two[2], three[3];

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
  plan = check (be, g, 2, (const int *) capture->data, capture->len, FALSE, FALSE, "eltwise");
  /* every op has a fast CPU kernel */
  for (int i = 1; i < nd_graph_n_nodes (g) && be->kind == ND_DEVICE_KIND_CPU; i++)
    g_assert_cmpstr (plan->op_algo[i], !=, "ref");
}

/* Fused epilogues: a conv absorbs the activation / gate / merge add that follows it. */
static void
graph_cpu_fused (const Backend *be, int variant)
{
  EpCase ec = variant;
  g_autoptr(NdGraph) g = nd_graph_new (20, 13, 12);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams c3 = { .out_c = 20, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  NdOpParams dw = { .out_c = 20, .kernel = 7, .stride = 1, .pad = 3, .groups = 20, .has_bias = 1 };
  NdOpParams c1 = { .out_c = 20, .kernel = 1, .stride = 1, .groups = 1 };
  NdOpParams leaky = { .alpha = 0.25f }, gate2 = { .alpha = 2.0f }, gap = { .out_h = 1, .out_w = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  int conv, act = -1, two[2], capture[1], zero = 0, n_capture = 0;

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
    capture[n_capture++] = ec == EP_CAPTURED_ACT ? act : conv;
  plan = check (be, g, 2, capture, n_capture, TRUE, FALSE, "fused");
  if (be->kind != ND_DEVICE_KIND_CPU)
    return;
  if (n_capture > 0)
    g_assert_cmpstr (plan->op_algo[act], !=, "fused");
  else
    {
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
      g_assert_cmpfloat (plan->op_ms[act], ==, 0);
    }
}

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
graph_liveness (const Backend *be, int variant)
{
  gboolean fused_convs = variant;
  g_autoptr(NdGraph) g = nd_graph_new (3, 32, 32);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f }, gap = { .out_h = 1, .out_w = 1 }, fc = { .out_c = 10 };
  NdOpParams c3 = { .out_c = 24, .kernel = 3, .stride = 1, .pad = 1, .groups = 1, .has_bias = 1 };
  int i0, i1, s0, s1, d0, b1, b2, cat, f, two[2], capture[2];

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
  /* two runs on different inputs: a stale reused buffer would show */
  plan = check (be, g, 2, capture, 2, TRUE, TRUE, "liveness");
  for (int i = 1; i < nd_graph_n_nodes (g) && be->kind == ND_DEVICE_KIND_CPU; i++)
    g_assert_cmpstr (plan->op_algo[i], !=, "ref");
}

static void
graph_conv_fusion (const Backend *be, int variant)
{
  const NdOp acts[] = { ND_OP_RELU, ND_OP_LEAKY_RELU, ND_OP_SILU, ND_OP_SIGMOID };

  for (guint a = 0; a < G_N_ELEMENTS (acts); a++)
    for (int with_bn = 0; with_bn < 2; with_bn++)
      for (int capture_mid = 0; capture_mid < 2; capture_mid++)
        {
          g_autoptr(NdGraph) g = nd_graph_new (5, 9, 7);
          g_autoptr(NdPlan) plan = NULL;
          NdOpParams conv = { .out_c = 11, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                              .has_bias = a % 2 };
          NdOpParams bn = { .eps = 1e-5f };
          NdOpParams act = { .alpha = 0.3f };
          int c, b, r, in = 0;

          c = nd_graph_add (g, ND_OP_CONV2D, &conv, &in, 1, "c", NULL);
          b = with_bn ? nd_graph_add (g, ND_OP_BATCHNORM, &bn, &c, 1, "bn", NULL) : c;
          r = nd_graph_add (g, acts[a], &act, &b, 1, NULL, NULL);
          nd_test_randomize_graph (g, 5 + a);
          plan = check (be, g, 2, capture_mid ? &c : NULL, capture_mid, TRUE, FALSE, "conv-fusion");
          /* With the conv captured, the BN stays its own dispatch but still takes the
           * activation. */
          if (be->kind != ND_DEVICE_KIND_VULKAN)
            continue;
          g_assert_cmpstr (plan->op_algo[r], ==,
                           capture_mid && !with_bn ? "vk-eltwise" : "fused");
          if (with_bn)
            g_assert_cmpstr (plan->op_algo[b], ==, capture_mid ? "vk-eltwise" : "fused");
        }
}

static void
graph_eltwise (const Backend *be, int variant)
{
  g_autoptr(NdGraph) g = nd_graph_new (13, 5, 3);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams leaky = { .alpha = 0.1f };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams se = { .out_c = 13, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gate1 = { .alpha = 1.0f }, gate2 = { .alpha = 2.0f };
  int in = 0, b[4], a2, a3, a4, p, s, g1, g2, r, si, sg, l;
  int capture[16], n = 0;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("bn%d", i);

      b[i] = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, name, NULL);
    }
  r = nd_graph_add (g, ND_OP_RELU, NULL, &in, 1, NULL, NULL);
  si = nd_graph_add (g, ND_OP_SILU, NULL, &b[0], 1, NULL, NULL);
  sg = nd_graph_add (g, ND_OP_SIGMOID, NULL, &b[1], 1, NULL, NULL);
  l = nd_graph_add (g, ND_OP_LEAKY_RELU, &leaky, &b[2], 1, NULL, NULL);
  a2 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1] }, 2, NULL, NULL);
  a3 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { b[0], b[1], b[2] }, 3, NULL, NULL);
  a4 = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { r, si, sg, l }, 4, NULL, NULL);
  p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &b[3], 1, NULL, NULL);
  s = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
  g1 = nd_graph_add (g, ND_OP_GATE, &gate1, (int[]) { a2, s }, 2, NULL, NULL);
  g2 = nd_graph_add (g, ND_OP_GATE, &gate2, (int[]) { a3, s }, 2, NULL, NULL);
  nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { g1, g2, a4 }, 3, NULL, NULL);
  nd_graph_add (g, ND_OP_SILU, NULL, (int[]) { nd_graph_n_nodes (g) - 1 }, 1, NULL, NULL);
  nd_test_randomize_graph (g, 9);
  for (int i = 0; i < 4; i++)
    capture[n++] = b[i];
  capture[n++] = r;
  capture[n++] = si;
  capture[n++] = sg;
  capture[n++] = l;
  capture[n++] = a2;
  capture[n++] = a3;
  capture[n++] = a4;
  capture[n++] = s;
  capture[n++] = g1;
  capture[n++] = g2;
  plan = check (be, g, 3, capture, n, TRUE, FALSE, "eltwise");
  /* The final ADD → SILU is one dispatch. */
  if (be->kind == ND_DEVICE_KIND_VULKAN)
    g_assert_cmpstr (plan->op_algo[nd_graph_n_nodes (g) - 1], ==, "fused");
}

static void
graph_pools (const Backend *be, int variant)
{
  const struct { NdOp op; int k, s, pad, oh, ow, h, w; } cases[] = {
    { ND_OP_AVGPOOL, 2, 2, 0, 0, 0, 13, 13 },
    { ND_OP_AVGPOOL, 3, 1, 1, 0, 0, 7, 5 },
    { ND_OP_MAXPOOL, 3, 2, 1, 0, 0, 13, 11 },
    { ND_OP_MAXPOOL, 2, 2, 0, 0, 0, 1 + 1, 3 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 13, 13 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 3, 3, 7, 5 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 2, 3, 7, 5 },
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 1, 1 },
    /* Global pools (one workgroup per plane): planes of more and fewer cells than threads. */
    { ND_OP_ADAPTIVE_AVGPOOL, 0, 0, 0, 1, 1, 71, 69 },
    { ND_OP_ADAPTIVE_MAXPOOL, 0, 0, 0, 1, 1, 9, 11 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (3, cases[i].h, cases[i].w);
      g_autoptr(GError) error = NULL;
      NdOpParams p = { .kernel = cases[i].k, .stride = cases[i].s, .pad = cases[i].pad,
                       .out_h = cases[i].oh, .out_w = cases[i].ow };
      int in = 0;

      nd_graph_add (g, cases[i].op, &p, &in, 1, NULL, &error);
      g_assert_no_error (error);
      nd_plan_free (check (be, g, 2, NULL, 0, TRUE, FALSE, nd_op_name (cases[i].op)));
    }
}

static void
graph_layout (const Backend *be, int variant)
{
  for (int groups = 1; groups <= 4; groups *= 2)
    {
      g_autoptr(NdGraph) g = nd_graph_new (12, 3, 5);
      NdOpParams sh = { .groups = groups };
      NdOpParams bn = { .eps = 1e-5f };
      int in = 0, b, s, capture[2];

      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "bn", NULL);
      s = nd_graph_add (g, ND_OP_CHANNEL_SHUFFLE, &sh, &in, 1, NULL, NULL);
      capture[0] = s;
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      capture[1] = nd_graph_add (g, ND_OP_SOFTMAX, NULL, (int[]) { s }, 1, NULL, NULL);
      nd_graph_add (g, ND_OP_CONCAT_INTERLEAVE, NULL, (int[]) { b, s }, 2, NULL, NULL);
      nd_test_randomize_graph (g, 11);
      nd_plan_free (check (be, g, 2, capture, 2, TRUE, FALSE, "layout"));
    }
}

static void
graph_linear_softmax (const Backend *be, int variant)
{
  /* Batch 3 takes the matrix-vector path, batch 7 the tiled GEMM. */
  const struct { int batch; const char *algo; } cases[] = { { 3, "vk-gemv" }, { 7, "vk-gemm" } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (7, 3, 5);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams fc1 = { .out_c = 127 }, fc2 = { .out_c = 13 };
      int in = 0, l1, r;

      /* A linear on a 7×3×5 map flattens it; the second reads 127 features. */
      l1 = nd_graph_add (g, ND_OP_LINEAR, &fc1, &in, 1, "fc1", NULL);
      r = nd_graph_add (g, ND_OP_RELU, NULL, &l1, 1, NULL, NULL);
      r = nd_graph_add (g, ND_OP_LINEAR, &fc2, &r, 1, "fc2", NULL);
      nd_graph_add (g, ND_OP_SOFTMAX, NULL, &r, 1, NULL, NULL);
      nd_test_randomize_graph (g, 13);
      plan = check (be, g, cases[i].batch, &r, 1, TRUE, FALSE, "linear-softmax");
      if (be->kind != ND_DEVICE_KIND_VULKAN)
        continue;
      g_assert_cmpstr (plan->op_algo[l1], ==, cases[i].algo);
      g_assert_cmpstr (plan->op_algo[l1 + 1], ==, "fused");
    }
}

static void
graph_epilogue (const Backend *be, int unused)
{
  for (int variant = 0; variant < 4; variant++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (16, 9, 8);
      g_autoptr(NdPlan) plan = NULL;
      NdOpParams c3 = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 1 };
      NdOpParams c1 = { .out_c = 16, .kernel = 1, .stride = 1, .pad = 0, .groups = 1 };
      NdOpParams dw = { .out_c = 16, .kernel = 3, .stride = 1, .pad = 1, .groups = 16 };
      NdOpParams bn = { .eps = 1e-5f };
      NdOpParams gap = { .out_h = 1, .out_w = 1 };
      NdOpParams se = { .out_c = 16, .kernel = 1, .stride = 1, .groups = 1 };
      NdOpParams gate = { .alpha = variant == 3 ? 1.0f : 2.0f };
      const NdOpParams *conv = variant == 1 ? &c1 : variant == 2 ? &dw : &c3;
      int in = 0, d, b, idb, p, s_, gt, add, act, other;

      d = nd_graph_add (g, ND_OP_CONV2D, conv, &in, 1, "dense", NULL);
      d = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &d, 1, "dense.bn", NULL);
      b = nd_graph_add (g, ND_OP_CONV2D, &c1, &in, 1, "branch", NULL);
      b = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &b, 1, "branch.bn", NULL);
      p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &in, 1, NULL, NULL);
      s_ = nd_graph_add (g, ND_OP_CONV2D, &se, &p, 1, "se", NULL);
      if (variant < 3)
        {
          /* The chain is the second summand for the 1×1 variant. */
          other = variant == 1 ? b : in;
          add = nd_graph_add (g, ND_OP_ADD, NULL,
                              variant == 1 ? (int[]) { other, d } : (int[]) { d, other }, 2,
                              NULL, NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { add, s_ }, 2, NULL, NULL);
          act = nd_graph_add (g, variant == 0 ? ND_OP_RELU : ND_OP_SILU, NULL, &gt, 1, NULL,
                              NULL);
        }
      else
        {
          idb = nd_graph_add (g, ND_OP_BATCHNORM, &bn, &in, 1, "identity", NULL);
          gt = nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { idb, s_ }, 2, NULL, NULL);
          add = nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { d, b, gt }, 3, NULL, NULL);
          act = nd_graph_add (g, ND_OP_SILU, NULL, &add, 1, NULL, NULL);
        }
      nd_test_randomize_graph (g, 41 + variant);
      plan = check (be, g, 2, NULL, 0, TRUE, FALSE, "epilogue");
      if (be->kind != ND_DEVICE_KIND_VULKAN)
        continue;
      g_assert_cmpstr (plan->op_algo[add], ==, "fused");
      g_assert_cmpstr (plan->op_algo[gt], ==, "fused");
      g_assert_cmpstr (plan->op_algo[act], ==, "fused");
    }
}

/* ---- the table ------------------------------------------------------------------------ */

typedef struct
{
  const char *name;
  void      (*run) (const Backend *be, int variant);
  int         variant;
} GraphCase;

static const GraphCase graph_cases[] = {
  { "eltwise-pools-head", graph_cpu_eltwise, 0 },
  { "fused/conv-relu", graph_cpu_fused, EP_RELU },
  { "fused/conv-silu", graph_cpu_fused, EP_SILU },
  { "fused/conv-leaky", graph_cpu_fused, EP_LEAKY },
  { "fused/conv-gate2-silu", graph_cpu_fused, EP_GATE2 },
  { "fused/conv-add-silu", graph_cpu_fused, EP_ADD_SILU },
  { "fused/add-of-two-convs-relu", graph_cpu_fused, EP_ADD_TWO_CONVS },
  { "fused/dw-relu", graph_cpu_fused, EP_DW_RELU },
  { "fused/captured-act-not-fused", graph_cpu_fused, EP_CAPTURED_ACT },
  { "fused/captured-conv-not-fused", graph_cpu_fused, EP_CAPTURED_CONV },
  { "liveness/parnet-like-unfused", graph_liveness, FALSE },
  { "liveness/parnet-like-fused", graph_liveness, TRUE },
  { "conv-fusion", graph_conv_fusion, 0 },
  { "eltwise", graph_eltwise, 0 },
  { "pools", graph_pools, 0 },
  { "layout", graph_layout, 0 },
  { "linear-softmax", graph_linear_softmax, 0 },
  { "epilogue", graph_epilogue, 0 },
};

typedef struct
{
  const Backend   *be;
  const GraphCase *gc;
} GraphTest;

static void
test_graph (gconstpointer data)
{
  const GraphTest *t = data;

  t->gc->run (t->be, t->gc->variant);
}

/* Without a Vulkan device its half of the table is not registered: this one says why. */
static void
test_vulkan_present (void)
{
  if (no_vulkan != NULL)
    g_test_skip (no_vulkan);
}

static void
add_backend_tests (const Backend *be)
{
  gboolean cpu = be->kind == ND_DEVICE_KIND_CPU;

  for (guint i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    for (guint a = 0; a < (cpu ? G_N_ELEMENTS (cpu_algos) : 1); a++)
      {
        const ConvCase *cc = &conv_cases[i];
        ConvTest *t;
        g_autofree char *path = NULL;

        /* only the algorithms the case pins as applying: none is registered to skip */
        if (a > 0 && !(cc->forced & (1u << a)))
          continue;
        /* the direct kernel does not exist without AVX-512 (the auto case covers its stand-in) */
        if (a > 0 && g_str_equal (cpu_algos[a], "direct") && !nd_cpu_gemm_supported ())
          continue;
        t = g_new (ConvTest, 1);
        t->be = be;
        t->cc = cc;
        t->forced = cpu_algos[a];
        path = g_strdup_printf ("/backend-ops/%s/conv/%s/c%d-%dx%d-o%d-k%d-s%d-p%d-g%d-b%d%s",
                                be->name, a > 0 ? cpu_algos[a] : "auto", cc->c, cc->h, cc->w,
                                cc->o, cc->k, cc->s, cc->pad, cc->g, cc->batch,
                                cc->splitk ? "-splitk" : "");
        g_test_add_data_func_full (path, t, test_conv, g_free);
      }
  for (guint i = 0; i < G_N_ELEMENTS (graph_cases); i++)
    {
      GraphTest *t = g_new (GraphTest, 1);
      g_autofree char *path = g_strdup_printf ("/backend-ops/%s/%s", be->name,
                                               graph_cases[i].name);

      t->be = be;
      t->gc = &graph_cases[i];
      g_test_add_data_func_full (path, t, test_graph, g_free);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *cache = g_build_filename (builddir ? builddir : g_get_tmp_dir (),
                                            "vulkan-cache", NULL);
  NdBackend *vk;
  int ret;

  /* The Vulkan pipeline cache and Mesa's shader cache (lavapipe's compiled code) in the
   * build tree, where they survive between runs. */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  backends[n_backends++] = (Backend) { "cpu", nd_cpu_backend_new (0, FALSE), ND_DEVICE_KIND_CPU };
  /* ND_TEST_BACKENDS=cpu: the CPU configurations (tests/meson.build) skip the Vulkan half */
  if (g_strcmp0 (g_getenv ("ND_TEST_BACKENDS"), "cpu") == 0)
    no_vulkan = g_strdup ("ND_TEST_BACKENDS=cpu");
  else if ((vk = nd_backend_new ("vulkan", -1, &error)) != NULL)
    backends[n_backends++] = (Backend) { "vulkan", vk, ND_DEVICE_KIND_VULKAN };
  else
    no_vulkan = g_strdup_printf ("no Vulkan device: %s", error->message);
  for (int b = 0; b < n_backends; b++)
    add_backend_tests (&backends[b]);
  g_test_add_func ("/backend-ops/cpu/conv/algorithms-reachable", test_cpu_algos_reachable);
  g_test_add_func ("/backend-ops/cpu/parnet-streams", test_cpu_parnet_streams);
  g_test_add_func ("/backend-ops/vulkan/present", test_vulkan_present);
  ret = g_test_run ();
  for (int b = 0; b < n_backends; b++)
    nd_backend_free (backends[b].backend);
  g_free (no_vulkan);
  return ret;
}
