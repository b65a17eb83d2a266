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
#include "backend-ops.h"

/* One table for every backend (ggml's test-backend-ops, ncnn's per-layer tests): every op on
 * awkward shapes (odd channel counts, C not a multiple of the vector width, groups, stride 2,
 * 1×1 maps, maps wider than a tile row), the plan-level fusions and the liveness-planned
 * buffers, on each backend present, against the naive oracle (nd_ref_run_graph), two runs
 * each. Each case pins the algorithm every backend takes, and on the CPU the algorithms it can
 * be forced to: a change that narrows where an algorithm applies fails, it never skips.
 * Tolerances: the CPU 1e-5 relative to the largest output (+1e-6), 1e-4 for Winograd F(4,3)
 * and F(6,3) (transform constants up to 8 and 1/24, 32 and 1/90, cost about one decimal
 * digit) and for fused graphs;
 * Vulkan 1e-4. The Vulkan plan's own machinery (split-K epilogue, fp16, barriers, timings,
 * threads, devices) is tested in test-vulkan-plan.c. The convolutions are here, the graph
 * cases in backend-ops-graphs.c. */

static Backend backends[2];
static int n_backends;
static char *no_vulkan;

/* Relative and absolute tolerance: @loose for fused graphs, F(4,3) and F(6,3). */
static void
tolerance (const Backend *be, gboolean loose, double *rtol, double *atol)
{
  *rtol = be->kind == ND_DEVICE_KIND_CPU && !loose ? 1e-5 : 1e-4;
  *atol = be->kind == ND_DEVICE_KIND_CPU ? 1e-6 : 0;
}

NdPlan *
backend_ops_check (const Backend *be, NdGraph *g, int batch, const int *capture, int n_capture,
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
#define F63     (1u << 5)
#define DW      (1u << 6)
#define DIRECT  (1u << 7)
#define OCV     (1u << 8)

static const char *const cpu_algos[] = {
  NULL, "im2col+sgemm", "gemm-1x1", "winograd-f23", "winograd-f43", "winograd-f63", "dw-direct", "direct",
  "direct-oc",
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
    IM2COL | F23 | F43 | F63 },  /* odd map, edge tiles */
  { 17, 9, 7, 19, 3, 1, 1, 1, 0, 2, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },  /* channels not a multiple of the vector width */
  { 8, 7, 7, 12, 3, 2, 1, 4, 0, 2, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV },  /* stride 2, groups */
  { 24, 10, 10, 18, 3, 1, 1, 2, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },  /* groups 2, stride 1 */
  { 6, 9, 9, 6, 3, 1, 1, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 3×3 */
  { 10, 15, 15, 10, 7, 1, 3, 10, 0, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 7×7 (VanillaNet) */
  { 6, 11, 11, 6, 3, 2, 1, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | OCV | DW },  /* depthwise stride 2 */
  { 5, 1, 1, 7, 1, 1, 0, 1, 1, 2, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* 1×1 map */
  { 9, 1, 1, 4, 3, 1, 1, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },  /* 1×1 map through a padded 3×3 */
  { 16, 14, 14, 9, 1, 1, 0, 1, 0, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* direct 1×1 */
  { 4, 12, 12, 8, 1, 2, 0, 2, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | OCV },  /* strided 1×1 */
  { 3, 16, 16, 10, 4, 4, 0, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* VanillaNet stem */
  { 2, 11, 13, 3, 7, 1, 3, 1, 0, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 64, 8, 8, 64, 3, 1, 1, 2, 1, 2, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 33, 23, 21, 35, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 | F63 },  /* several Winograd blocks and lanes */
  { 24, 9, 9, 400, 1, 1, 0, 1, 1, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* > 384 rows: the packed GEMM's row blocks, B packing */
  { 20, 26, 26, 136, 3, 1, 1, 1, 1, 2, "winograd-f43", NULL, "vk-winograd-f43",
    IM2COL | F23 | F43 | F63 },  /* auto F(4,3), ≥ 128 rows, several tile blocks */
  /* The shapes 224-px models take (issue 20): maps ≥ 55 wide are ≥ 28 F(2,3) tiles a row
   * and ≥ 109 wide ≥ 28 F(4,3) tiles, where Winograd switches to one tile row per block. */
  { 16, 7, 57, 16, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 | F63 },
  { 16, 24, 110, 16, 3, 1, 1, 1, 0, 2, "winograd-f43", NULL, "vk-winograd-f43",
    IM2COL | F23 | F43 | F63 },
  /* Winograd's vector transforms: 16 tiles a vector, so rows of 2 and 3 groups of tiles
   * with a tail (F(2,3): 75 tiles a row, F(4,3): 38), odd map sides */
  { 5, 9, 149, 6, 3, 1, 1, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 8, 12, 12, 8, 5, 1, 2, 8, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise 5×5 */
  /* maps of ≤ 8 columns take 16 channels a vector: several groups, a partial last one,
   * two images (VanillaNet's 7² layers), a 3×3 with pad 0 */
  { 40, 7, 7, 40, 7, 1, 3, 40, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 20, 14, 8, 20, 3, 1, 0, 20, 0, 1, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  { 6, 9, 9, 6, 3, 1, 0, 6, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },  /* depthwise, pad 0 */
  { 6, 10, 10, 12, 3, 1, 0, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },  /* pad 0 */
  { 32, 1, 1, 48, 1, 1, 0, 4, 1, 2, "gemm-1x1", NULL, "vk-gemv",
    GEMM1X1 },  /* grouped 1×1 on a 1×1 map (an SE) */
  { 16, 9, 9, 24, 1, 1, 0, 4, 0, 2, "gemm-1x1", NULL, "vk-gemm1x1",
    GEMM1X1 },  /* grouped 1×1 */
  { 3, 32, 30, 8, 7, 2, 3, 1, 0, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },  /* the ResNet stem: k7 s2 p3 */
  /* Shapes first written for the Vulkan kernels' tiles. */
  { 3, 13, 13, 13, 3, 1, 1, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 13, 7, 5, 127, 3, 2, 1, 1, 0, 2, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV },
  { 6, 11, 11, 9, 3, 2, 1, 3, 1, 1, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV },
  { 64, 9, 9, 70, 3, 1, 1, 1, 1, 1, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 | F63 },
  { 16, 8, 8, 16, 3, 1, 1, 1, 1, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 | F63 },
  { 16, 7, 9, 16, 3, 1, 1, 1, 1, 1, "winograd-f23", IGEMM, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 17, 13, 7, 33, 3, 1, 1, 1, 0, 2, "winograd-f23", IGEMM, "vk-winograd",
    IM2COL | F23 | F43 | F63 },
  { 15, 8, 8, 16, 3, 1, 1, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 32, 8, 8, 24, 3, 1, 1, 2, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
  { 3, 16, 16, 24, 4, 4, 0, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL },
  { 3, 17, 17, 8, 7, 2, 3, 1, 0, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },
  { 13, 13, 13, 7, 1, 2, 0, 1, 1, 1, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | OCV },
  { 2, 1, 1, 6, 3, 1, 1, 2, 1, 3, IGEMM, NULL, "vk-implicit-gemm",
    IM2COL | F23 | F43 | F63 },
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
    IM2COL | OCV | DW },
  /* the AVX-512 depthwise path: rows of several 16-column vectors plus a tail; stride 2
   * splits padded rows into even and odd columns (≥ 32 wide: the vector split), even and odd
   * pads put input column 0 in either half */
  { 5, 37, 70, 5, 5, 2, 2, 5, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | OCV | DW },
  { 7, 19, 41, 7, 3, 2, 1, 7, 0, 1, "dw-direct", NULL, "vk-depthwise",
    IM2COL | OCV | DW },
  { 3, 6, 35, 3, 7, 2, 3, 3, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | OCV | DW },
  { 4, 5, 40, 4, 3, 1, 1, 4, 1, 2, "dw-direct", NULL, "vk-depthwise",
    IM2COL | DW },
  /* stems through the direct kernel (AVX-512; elsewhere im2col): output channels not a
   * multiple of its 8-channel block, rows of one vector plus a tail and of 32 + 3 columns,
   * one input channel, pad 0 and odd / even pads */
  { 3, 29, 37, 20, 7, 2, 3, 1, 1, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },
  { 3, 20, 70, 9, 3, 2, 1, 1, 0, 1, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },
  { 1, 11, 12, 8, 5, 2, 2, 1, 1, 2, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },
  { 4, 9, 9, 16, 3, 2, 0, 1, 1, 1, "direct", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV | DIRECT },
  /* stride-2 convolutions past the stems (rows of ≥ 28 output columns): the output-channel
   * kernel, blocks of 1, 2 and 3 vectors of channels (13 and 16, 20, 40: padded, whole),
   * rows of 29–31 columns (a block and a tail), pad 0, k 5; the half-plane kernel forced */
  { 20, 58, 57, 13, 3, 2, 1, 1, 1, 2, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT | OCV },
  { 9, 60, 64, 16, 3, 2, 0, 1, 0, 1, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT | OCV },
  { 6, 31, 60, 8, 5, 2, 2, 1, 1, 1, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT | OCV },
  { 7, 56, 57, 20, 3, 2, 1, 1, 0, 2, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT | OCV },
  { 10, 60, 61, 40, 3, 2, 1, 1, 1, 1, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | DIRECT | OCV },
  /* Vulkan maps larger than 17×17 (issue 20): several tiles in both directions. */
  { 16, 24, 24, 16, 3, 1, 1, 1, 1, 1, "winograd-f43", NULL, "vk-winograd",
    IM2COL | F23 | F43 | F63 },
  { 8, 33, 31, 12, 3, 2, 1, 1, 0, 2, "direct-oc", IGEMM, "vk-implicit-gemm",
    IM2COL | OCV },
  /* Split-K (GPUs with a grid too small to fill them): plain convs, a grouped strided one, a
   * 1×1, and one whose K (12 per group) is too short to split. */
  { 96, 5, 5, 70, 3, 1, 1, 1, 1, 2, IGEMM, NULL, "vk-implicit-gemm-splitk",
    IM2COL | F23 | F43 | F63, TRUE },
  { 128, 7, 7, 64, 3, 2, 1, 2, 0, 1, "direct-oc", IGEMM, "vk-implicit-gemm-splitk",
    IM2COL | OCV, TRUE },
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
  /* the grid-filling rule pinned either way, so that a big GPU picks what lavapipe does */
  if (!cpu)
    g_setenv ("ND_VK_MIN_GROUPS", cc->splitk ? "1000000" : "1", TRUE);
  plan = backend_ops_check (t->be, g, cc->batch, NULL, 0,
                            g_strcmp0 (t->forced, "winograd-f43") == 0
                            || g_strcmp0 (t->forced, "winograd-f63") == 0, FALSE, "conv");
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

/* Depthwise stride-1 layers through both CPU paths, planes and 16 channels a vector
 * (ND_CPU_DW_CVEC), whichever the size would pick: every depthwise case of the table, and
 * shapes for the vector path's edges (strips of 7 and 8 with a partial last one, rows
 * shorter than a strip, a partial last group of channels, a plane wider than 16, pad below
 * k / 2, batch 2). */
static void
test_cpu_dw_paths (void)
{
  static const int extra[][6] = {   /* c, h, w, k, pad, batch */
    { 33, 5, 13, 3, 1, 2 },  { 16, 9, 21, 7, 3, 1 },  { 20, 3, 2, 5, 2, 1 },
    { 48, 23, 29, 7, 3, 1 }, { 17, 12, 40, 5, 1, 2 }, { 32, 14, 14, 7, 3, 1 },
  };
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  guint n = G_N_ELEMENTS (conv_cases) + G_N_ELEMENTS (extra);

  for (guint i = 0; i < n; i++)
    {
      ConvCase cc;

      if (i < G_N_ELEMENTS (conv_cases))
        cc = conv_cases[i];
      else
        {
          const int *e = extra[i - G_N_ELEMENTS (conv_cases)];

          cc = (ConvCase) { e[0], e[1], e[2], e[0], e[3], 1, e[4], e[0], 1, e[5] };
        }
      if (cc.g != cc.c || cc.o != cc.c || cc.s != 1 || cc.g == 1)
        continue;
      for (int vec = 0; vec < 2; vec++)
        {
          g_autoptr(NdGraph) g = nd_graph_new (cc.c, cc.h, cc.w);
          g_autoptr(NdPlan) plan = NULL;
          NdOpParams p = { .out_c = cc.o, .kernel = cc.k, .stride = 1, .pad = cc.pad,
                           .groups = cc.g, .has_bias = cc.bias };
          int in = 0;

          g_assert_cmpint (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "dw", NULL), ==, 1);
          nd_test_randomize_graph (g, 7 + i);
          g_setenv ("ND_CPU_DW_CVEC", vec ? "1" : "0", TRUE);
          plan = nd_test_check_graph (cpu, g, cc.batch, NULL, 0, FALSE, 1e-5, 1e-6, "dw");
          g_unsetenv ("ND_CPU_DW_CVEC");
          g_assert_cmpstr (plan->op_algo[1], ==, "dw-direct");
        }
    }
}

static gboolean
avx512_only (const char *algo)
{
  return g_str_equal (algo, "direct") || g_str_equal (algo, "direct-oc");
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
            k = nd_cpu_conv_ocv_new (g, nd_graph_node (g, 1), 1);
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
      /* the direct kernels are AVX-512 only */
      g_assert_true (hit || (avx512_only (cpu_algos[a]) && !nd_cpu_gemm_supported ()));
    }
}

/* ---- the table ------------------------------------------------------------------------ */

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
        /* the direct kernels do not exist without AVX-512 (the auto case covers their
         * stand-in) */
        if (a > 0 && avx512_only (cpu_algos[a]) && !nd_cpu_gemm_supported ())
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
  for (guint i = 0; i < backend_ops_n_graph_cases; i++)
    {
      GraphTest *t = g_new (GraphTest, 1);
      g_autofree char *path = g_strdup_printf ("/backend-ops/%s/%s", be->name,
                                               backend_ops_graph_cases[i].name);

      t->be = be;
      t->gc = &backend_ops_graph_cases[i];
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
  g_test_add_func ("/backend-ops/cpu/conv/dw-paths", test_cpu_dw_paths);
  g_test_add_func ("/backend-ops/vulkan/present", test_vulkan_present);
  ret = g_test_run ();
  for (int b = 0; b < n_backends; b++)
    nd_backend_free (backends[b].backend);
  g_free (no_vulkan);
  return ret;
}
