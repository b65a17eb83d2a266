/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nd-backend-cpu.h"
#include "nd-cpu-gemm.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-test-utils.h"

/* The channel-blocked CPU layout (nd-cpu-nc16.c, nd-cpu-layout.c) against the naive oracle:
 * whole models with every region forced blocked and as the plan picks them, the captured
 * values of blocked nodes (converted back for the caller), and hand-built graphs whose
 * regions start and end at every kind of edge. The stem kernel (the model's input in NCHW,
 * written blocked) runs in every blocked model here: VanillaNet's patchify stem, ResNet's and
 * MobileNet's padded ones. */

static gboolean
any_algo (const NdPlan *plan, const char *prefix)
{
  for (int i = 1; i < plan->n_nodes; i++)
    if (plan->op_algo[i] != NULL && g_str_has_prefix (plan->op_algo[i], prefix))
      return TRUE;
  return FALSE;
}

/* Up to @max nodes of @g whose algorithm (in @plan) starts with "nc16", for a second run
 * that captures them */
static int
blocked_nodes (const NdPlan *plan, int *out, int max)
{
  int n = 0;

  for (int i = 1; i < plan->n_nodes && n < max; i++)
    if (plan->op_algo[i] != NULL && g_str_has_prefix (plan->op_algo[i], "nc16")
        && (i % 3 == 0 || n == 0))
      out[n++] = i;
  return n;
}

typedef struct
{
  const char *model;
  int         resolution;
  double      width;
  gboolean    fused;
  const char *layout;      /* ND_CPU_LAYOUT */
  gboolean    expect;      /* forced: some node runs blocked (auto: timed, either may win) */
  const char *conv3;       /* ND_CPU_NC16_CONV3: the blocked 3×3 stride-1 kernel */
} ModelCase;

static const ModelCase model_cases[] = {
  { "vanillanet-5", 64, 0, TRUE, NULL, TRUE },
  { "vanillanet-5", 64, 0, FALSE, NULL, TRUE },
  { "vanillanet-5", 64, 0, TRUE, "nc16", TRUE },
  { "vanillanet-9", 96, 0, TRUE, NULL, TRUE },
  { "vanillanet-5", 160, 0.25, TRUE, "nc16", TRUE },  /* 40², 20², 10², 5²: strips past the row */
  { "vanillanet-9", 64, 0.25, FALSE, NULL, TRUE },    /* unfused: BN, leaky ReLU in the region */
  { "parnet-s", 64, 0.25, TRUE, "nc16", TRUE },
  { "parnet-s", 64, 0.25, FALSE, "nc16", TRUE },
  /* 48², 24², 12², 6²: F(4,3) and F(2,3) as chosen, stride-2 and 2-group direct convolutions,
   * the interleaving concat, the shuffle, the SSE gate; then each 3×3 kernel forced */
  { "parnet-s", 96, 0.25, TRUE, "nc16", TRUE },
  { "parnet-s", 64, 0.25, TRUE, "nc16", TRUE, "f43" },
  { "parnet-s", 64, 0.25, FALSE, "nc16", TRUE, "direct" },
  { "repvgg-a0", 64, 0, TRUE, "nc16", TRUE },      /* 48 channels: a lone 16-channel block */
  { "repvgg-a0", 64, 0, FALSE, "nc16", TRUE, "f23" },
  { "mobilenet-v2", 64, 0, FALSE, "nc16", TRUE },
  { "mobilenet-v2", 64, 0, FALSE, NULL, FALSE },
  { "resnet-18", 64, 0, TRUE, "nc16", TRUE },
  { "resnet-18", 64, 0, TRUE, NULL, FALSE },
};

static void
test_model (gconstpointer data)
{
  const ModelCase *mc = data;
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) train = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) captured = NULL;
  NdModelSpec spec;
  int capture[6], n_capture;

  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the blocked layout is not used");
      return;
    }
  g_assert_true (nd_model_spec_parse (mc->model, &spec, &error));
  spec.resolution = mc->resolution;
  if (mc->width > 0)
    spec.width = mc->width;
  spec.classes = 10;
  train = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_test_randomize_graph (train, 11);
  g = mc->fused ? nd_fuse_graph (train, &error) : nd_graph_ref (train);
  g_assert_no_error (error);
  if (mc->layout != NULL)
    g_setenv ("ND_CPU_LAYOUT", mc->layout, TRUE);
  if (mc->conv3 != NULL)
    g_setenv ("ND_CPU_NC16_CONV3", mc->conv3, TRUE);
  plan = nd_test_check_graph (cpu, g, 2, NULL, 0, FALSE, 1e-4, 1e-5, mc->model);
  /* forced: blocked as expected; auto: whichever timed faster, as the plan reports it */
  if (mc->layout != NULL)
    g_assert_cmpint (any_algo (plan, "nc16"), ==, mc->expect);
  else
    g_assert_cmpint (any_algo (plan, "nc16"), ==, g_str_equal (plan->layout, "nc16"));
  /* again, capturing blocked nodes: the caller gets them in NCHW */
  n_capture = blocked_nodes (plan, capture, G_N_ELEMENTS (capture));
  if (n_capture > 0)
    captured = nd_test_check_graph (cpu, g, 1, capture, n_capture, FALSE, 1e-4, 1e-5, mc->model);
  g_unsetenv ("ND_CPU_LAYOUT");
  g_unsetenv ("ND_CPU_NC16_CONV3");
}

static int
add (NdGraph *g, NdOp op, const NdOpParams *p, int a, int b)
{
  int in[2] = { a, b };
  g_autoptr(GError) error = NULL;
  int id = nd_graph_add (g, op, p, in, b >= 0 ? 2 : 1, "n", &error);

  g_assert_no_error (error);
  return id;
}

/* A graph whose regions begin and end at each kind of edge: after a stem of 3 channels,
 * into and out of a 3×1 convolution (no blocked kernel), an ADD of a blocked and an NCHW
 * value, a depthwise 5×5 with pad 1 on an odd map, pools with padding, a BN, a 1×1 with
 * an odd number of 16-channel blocks and a fused epilogue (bias, ADD, ReLU), an SE gate,
 * the global pool, captured blocked values; batch 2. */
static void
test_edges (void)
{
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdGraph) g = nd_graph_new (3, 19, 23);
  g_autoptr(NdPlan) plan = NULL;
  NdOpParams stem = { .out_c = 32, .kernel = 5, .stride = 1, .pad = 2, .groups = 1,
                      .has_bias = 1 };
  NdOpParams pw = { .out_c = 48, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams dw5 = { .out_c = 48, .kernel = 5, .stride = 1, .pad = 1, .groups = 48,
                     .has_bias = 1 };
  NdOpParams dw3 = { .out_c = 48, .kernel = 3, .stride = 1, .pad = 1, .groups = 48 };
  NdOpParams mp = { .kernel = 3, .stride = 2, .pad = 1 };
  NdOpParams ap = { .kernel = 2, .stride = 1 };
  NdOpParams c31 = { .out_c = 48, .kernel = 3, .kernel_w = 1, .stride = 1, .pad = 1,
                     .pad_w = 0, .groups = 1 };
  NdOpParams se = { .out_c = 48, .kernel = 1, .stride = 1, .groups = 1, .has_bias = 1 };
  NdOpParams gate = { .alpha = 1 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams bn = { .eps = 1e-5f };
  NdOpParams none = { 0 };
  int s, a, b, c, d, e, f, h, k, m, q, capture[5];

  s = add (g, ND_OP_CONV2D, &stem, 0, -1);          /* NCHW, 32 channels */
  a = add (g, ND_OP_CONV2D, &pw, s, -1);            /* 1×1 32 → 48: blocked from here */
  a = add (g, ND_OP_RELU, &none, a, -1);
  b = add (g, ND_OP_CONV2D, &dw5, a, -1);           /* 19 × 23 → 17 × 21 */
  c = add (g, ND_OP_BATCHNORM, &bn, b, -1);
  d = add (g, ND_OP_CONV2D, &c31, c, -1);           /* no blocked 3×1: back to NCHW */
  e = add (g, ND_OP_ADD, &none, c, d);              /* blocked + NCHW */
  f = add (g, ND_OP_CONV2D, &dw3, e, -1);
  h = add (g, ND_OP_MAXPOOL, &mp, f, -1);           /* 17 × 21 → 9 × 11 */
  k = add (g, ND_OP_AVGPOOL, &ap, h, -1);           /* 8 × 10 */
  q = add (g, ND_OP_CONV2D, &pw, k, -1);            /* 48 → 48, with the residual: */
  q = add (g, ND_OP_ADD, &none, q, k);              /* fused into the 1×1's epilogue */
  q = add (g, ND_OP_RELU, &none, q, -1);
  m = add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, q, -1);
  m = add (g, ND_OP_CONV2D, &se, m, -1);
  m = add (g, ND_OP_GATE, &gate, q, m);             /* the SE gate on a blocked value */
  m = add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, m, -1);
  g->output = m;
  capture[0] = b;
  capture[1] = c;
  capture[2] = e;
  capture[3] = h;
  capture[4] = q;
  nd_test_randomize_graph (g, 3);
  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the blocked layout is not used");
      return;
    }
  for (int mode = 0; mode < 2; mode++)
    {
      g_setenv ("ND_CPU_LAYOUT", mode ? "nc16" : "auto", TRUE);
      plan = nd_test_check_graph (cpu, g, 2, capture, G_N_ELEMENTS (capture), FALSE, 1e-4,
                                  1e-5, "edges");
      g_unsetenv ("ND_CPU_LAYOUT");
      if (mode == 1 || g_str_equal (plan->layout, "nc16"))   /* auto: if it timed faster */
        {
          /* an overlapping window: the NCHW stem (nc16-stem is for patchify stems) */
          g_assert_false (g_str_has_prefix (plan->op_algo[s], "nc16"));
          g_assert_cmpstr (plan->op_algo[b], ==, "nc16-dw");
          g_assert_cmpstr (plan->op_algo[d], !=, "nc16-dw");
          g_assert_cmpstr (plan->op_algo[h], ==, "nc16-pool");
        }
      g_clear_pointer (&plan, nd_plan_free);
    }
  /* with the layout off, no node runs blocked */
  g_setenv ("ND_CPU_LAYOUT", "nchw", TRUE);
  plan = nd_test_check_graph (cpu, g, 1, NULL, 0, FALSE, 1e-4, 1e-5, "edges");
  g_unsetenv ("ND_CPU_LAYOUT");
  g_assert_false (any_algo (plan, "nc16"));
}

/* The blocked k×k kernels (nd-cpu-nc16-convk.c) on awkward shapes, each 3×3 kernel forced in
 * turn: Winograd tiles past the map's edge (13 × 11, 11 × 9), a 3×3 without padding, a 5×5
 * stride 2 over 3 groups of 16 → 32 channels, a 1×1 stride 2, a 3×3 stride 3 over 2 groups of
 * 48 → 16 channels (lone 16-channel units), fused ReLU, SiLU and ADD; batch 2. */
static void
test_convs (void)
{
  static const char *const conv3[] = { "direct", "f23", "f43" };
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(NdGraph) g = nd_graph_new (3, 13, 11);
  NdOpParams stem = { .out_c = 48, .kernel = 5, .stride = 1, .pad = 2, .groups = 1,
                      .has_bias = 1 };
  NdOpParams p1 = { .out_c = 80, .kernel = 3, .stride = 1, .pad = 1, .groups = 1,
                    .has_bias = 1 };
  NdOpParams p0 = { .out_c = 48, .kernel = 3, .stride = 1, .pad = 0, .groups = 1 };
  NdOpParams g3 = { .out_c = 96, .kernel = 5, .stride = 2, .pad = 2, .groups = 3,
                    .has_bias = 1 };
  NdOpParams s2 = { .out_c = 96, .kernel = 1, .stride = 2, .groups = 1, .has_bias = 1 };
  NdOpParams s3 = { .out_c = 32, .kernel = 3, .stride = 3, .pad = 1, .groups = 2,
                    .has_bias = 1 };
  NdOpParams gap = { .out_h = 1, .out_w = 1 };
  NdOpParams none = { 0 };
  int s, a, b, c, d, e, capture[5];

  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the blocked layout is not used");
      return;
    }
  s = add (g, ND_OP_CONV2D, &stem, 0, -1);
  a = add (g, ND_OP_CONV2D, &p1, s, -1);            /* 13 × 11 */
  a = add (g, ND_OP_RELU, &none, a, -1);
  b = add (g, ND_OP_CONV2D, &p0, a, -1);            /* 11 × 9 */
  c = add (g, ND_OP_CONV2D, &g3, b, -1);            /* 6 × 5 */
  c = add (g, ND_OP_SILU, &none, c, -1);
  d = add (g, ND_OP_CONV2D, &s2, b, -1);            /* 6 × 5 */
  d = add (g, ND_OP_ADD, &none, c, d);
  e = add (g, ND_OP_CONV2D, &s3, d, -1);            /* 2 × 2 */
  g->output = add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, e, -1);
  capture[0] = a;
  capture[1] = b;
  capture[2] = c;
  capture[3] = d;
  capture[4] = e;
  nd_test_randomize_graph (g, 5);
  g_setenv ("ND_CPU_LAYOUT", "nc16", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (conv3); i++)
    {
      g_autoptr(NdPlan) plan = NULL;
      const char *want = i == 0 ? "nc16-direct" : i == 1 ? "nc16-wino-f23" : "nc16-wino-f43";

      g_setenv ("ND_CPU_NC16_CONV3", conv3[i], TRUE);
      plan = nd_test_check_graph (cpu, g, 2, capture, G_N_ELEMENTS (capture), FALSE, 1e-4,
                                  1e-5, conv3[i]);
      g_assert_cmpstr (plan->op_algo[a - 1], ==, want);
      g_assert_cmpstr (plan->op_algo[b], ==, want);
      g_assert_cmpstr (plan->op_algo[c - 1], ==, "nc16-direct");
      g_assert_cmpstr (plan->op_algo[e], ==, "nc16-direct");
    }
  g_unsetenv ("ND_CPU_NC16_CONV3");
  g_unsetenv ("ND_CPU_LAYOUT");
}

/* VanillaNet-5 at 128 px, width 0.25: a graph no other case here prepares */
static NdGraph *
timed_graph (void)
{
  g_autoptr(GError) error = NULL;
  NdModelSpec spec;
  NdGraph *g;

  g_assert_true (nd_model_spec_parse ("vanillanet-5", &spec, &error));
  spec.resolution = 128;
  spec.width = 0.25;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_test_randomize_graph (g, 13);
  return g;
}

static char *
verdicts_file (void)
{
  return g_build_filename (g_get_user_cache_dir (), "nondeep", "cpu-layout.ini", NULL);
}

/* ND_CPU_LAYOUT unset: a graph with blocked regions is timed both ways at prepare and the
 * faster plan kept (blocked only when ≥ 1 % faster); the verdict is reused for the same graph
 * and written to the user's cache, over a malformed file there */
static void
test_timed (void)
{
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = verdicts_file ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) keys = NULL;
  static const char junk[] = "[nondeep " ND_VERSION "]\nzz=nc16;1;2\n0000beef=fast;x\n\xff\xfe\n";
  NdPlanOptions opts = { .batch = 1 };
  NdPlan *first, *again;

  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the blocked layout is not used");
      return;
    }
  g = timed_graph ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, junk, sizeof junk - 1, NULL));
  g_unsetenv ("ND_CPU_LAYOUT");
  first = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first->layout_reason, ==, "timed");
  g_assert_cmpfloat (first->layout_ms[0], >, 0);
  g_assert_cmpfloat (first->layout_ms[1], >, 0);
  g_assert_cmpint (any_algo (first, "nc16"), ==, g_str_equal (first->layout, "nc16"));
  again = nd_backend_prepare (cpu, g, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->layout_reason, ==, "timed earlier");
  g_assert_cmpstr (again->layout, ==, first->layout);
  /* the file: rewritten as a key file, this verdict in it */
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  keys = g_key_file_get_keys (kf, "nondeep " ND_VERSION, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (keys);
  for (int i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *v = g_key_file_get_value (kf, "nondeep " ND_VERSION, keys[i], NULL);

      if (g_str_has_prefix (v, first->layout) && strchr (v, ';') != NULL)
        break;
      g_assert_nonnull (keys[i + 1]);   /* not the last: ours is still to come */
    }
  nd_plan_free (first);
  nd_plan_free (again);
}

/* Another process (the window, then the CLI) finds the verdict in the cache: the same layout,
 * untimed */
static void
test_timed_other_process (void)
{
  if (!nd_cpu_gemm_supported ())
    {
      g_test_skip ("no AVX-512: the blocked layout is not used");
      return;
    }
  if (g_test_subprocess ())
    {
      g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
      g_autoptr(GError) error = NULL;
      g_autoptr(NdGraph) g = timed_graph ();
      NdPlanOptions opts = { .batch = 1 };
      NdPlan *plan;

      g_unsetenv ("ND_CPU_LAYOUT");
      plan = nd_backend_prepare (cpu, g, &opts, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (plan->layout_reason, ==, "timed earlier");
      g_assert_cmpfloat (plan->layout_ms[0], >, 0);
      printf ("layout %s\n", plan->layout);
      nd_plan_free (plan);
      return;
    }
  else
    {
      /* here first (timing it unless /cpu-nc16/timed did), then in a child process */
      g_autoptr(NdBackend) cpu = nd_cpu_backend_new (0, FALSE);
      g_autoptr(GError) error = NULL;
      g_autoptr(NdGraph) g = timed_graph ();
      g_autoptr(NdPlan) plan = NULL;
      g_autofree char *want = NULL;
      NdPlanOptions opts = { .batch = 1 };

      g_unsetenv ("ND_CPU_LAYOUT");
      plan = nd_backend_prepare (cpu, g, &opts, &error);
      g_assert_no_error (error);
      want = g_strdup_printf ("*layout %s\n*", plan->layout);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      g_test_trap_assert_stdout (want);
    }
}

int
main (int argc, char **argv)
{
  /* ND_TEST_NC16_QUICK: the cases the 3-thread and sanitizer runs repeat (tests/meson.build) */
  gboolean quick = g_getenv ("ND_TEST_NC16_QUICK") != NULL;
  /* the timed layout verdicts go to the user's cache: a fresh one, so /cpu-nc16/timed times
   * (its subprocess inherits it) */
  gboolean own = g_getenv ("ND_TEST_NC16_CACHE") == NULL;
  g_autofree char *cache = own ? g_dir_make_tmp ("nd-nc16-XXXXXX", NULL)
                               : g_strdup (g_getenv ("ND_TEST_NC16_CACHE"));
  g_autofree char *sub = g_build_filename (cache, "nondeep", NULL);
  g_autofree char *ini = g_build_filename (sub, "cpu-layout.ini", NULL);
  int status;

  g_setenv ("ND_TEST_NC16_CACHE", cache, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (model_cases); i++)
    {
      const ModelCase *mc = &model_cases[i];
      g_autofree char *path = NULL;

      if (quick && !(i == 2 || i == 8 || i == 13))   /* VanillaNet-5, ParNet-S 96, MobileNet-v2 */
        continue;
      path = g_strdup_printf ("/cpu-nc16/model/%s-%d-%s-%s%s%s", mc->model, mc->resolution,
                              mc->fused ? "fused" : "unfused",
                              mc->layout != NULL ? mc->layout : "auto",
                              mc->conv3 != NULL ? "-" : "", mc->conv3 != NULL ? mc->conv3 : "");

      g_test_add_data_func (path, mc, test_model);
    }
  g_test_add_func ("/cpu-nc16/edges", test_edges);
  g_test_add_func ("/cpu-nc16/convs", test_convs);
  g_test_add_func ("/cpu-nc16/timed", test_timed);
  g_test_add_func ("/cpu-nc16/timed/other-process", test_timed_other_process);
  status = g_test_run ();
  if (own)
    {
      g_remove (ini);
      g_rmdir (sub);
      g_rmdir (cache);
    }
  return status;
}
