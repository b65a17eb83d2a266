/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-backend.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-test-utils.h"
#include "nd-vk-plan.h"

/* Whole models on the Vulkan backend against the CPU backend (itself checked against the
 * oracle in the runtime suite), training form and fused form, with every block output
 * captured so a mismatch names the first bad node. Small resolutions keep lavapipe fast. */

typedef struct
{
  const char *model;
  int         resolution;
  gboolean    fused;
  gboolean    fp16;        /* float16 storage: every stored value keeps 11 significant bits */
  const char *env;         /* "NAME=VALUE" set while the Vulkan plan is prepared */
  const char *cpu_ops;     /* ops the env forces onto the CPU (comma-separated), checked to
                            * have run there */
} ModelCase;

static const ModelCase cases[] = {
  { "parnet-s", 64, FALSE },
  { "parnet-s", 64, TRUE },
  { "parnet-m", 64, FALSE },
  { "parnet-m", 64, TRUE },
  { "repvgg-a0", 64, FALSE },
  { "repvgg-a0", 64, TRUE },
  { "vanillanet-5", 64, FALSE },
  { "vanillanet-5", 64, TRUE },
  { "resnet-18", 64, FALSE },
  { "resnet-18", 64, TRUE },
  { "parnet-s", 64, TRUE, TRUE },
  { "parnet-s", 64, FALSE, TRUE },
  { "vanillanet-5", 64, TRUE, TRUE },
  { "resnet-18", 64, TRUE, TRUE },
  /* Split-K, which real GPUs take on their own for small late maps: forced on every conv
   * whose K allows it (ND_VK_MIN_GROUPS, as /vulkan/split-k does for one op). */
  { "parnet-s", 64, TRUE, FALSE, "ND_VK_MIN_GROUPS=1000000" },
  { "resnet-18", 64, FALSE, FALSE, "ND_VK_MIN_GROUPS=1000000" },
  /* The SSE gates' other forms (nd-vk-se.c): every product on its own after the pool
   * (the identity BN still folded), every pool and product in one dispatch (float16), and
   * the passes back to back (no groups, no early first passes). */
  { "parnet-s", 64, TRUE, FALSE, "ND_VK_SE_FUSE_MAX=0" },
  { "parnet-m", 64, TRUE, TRUE, "ND_VK_SE_FUSE_MAX=100000000" },
  { "parnet-s", 64, TRUE, FALSE, "ND_VK_GROUPED=0" },
  /* The resolution the official models run at: maps up to 112×112, Winograd's wide-map
   * tiling, buffers reused across the 224-px stem. */
  { "parnet-s", 224, TRUE },
  /* Per-op fallback: ops the device "cannot" run go to the CPU inside the same plan, with
   * the transfers in between; the results still equal the CPU backend's. The gate sits
   * mid-stream (GPU → CPU → GPU), the linear head last (the output comes from the CPU),
   * the convolutions everywhere including on the input. */
  { "parnet-s", 64, FALSE, FALSE, "ND_VK_UNSUPPORTED=gate", "gate" },
  { "parnet-s", 64, TRUE, FALSE, "ND_VK_UNSUPPORTED=linear,concat_interleave",
    "linear,concat_interleave" },
  { "resnet-18", 64, TRUE, FALSE, "ND_VK_UNSUPPORTED=conv2d", "conv2d" },
  { "vanillanet-5", 64, TRUE, TRUE, "ND_VK_UNSUPPORTED=leaky_relu,maxpool",
    "leaky_relu,maxpool" },
  /* the zoo's ops in whole models: ReLU6, SLICE, N-input CONCAT, non-square kernels */
  { "mobilenet-v2", 64, TRUE },
  { "shufflenet-v2-1.0", 64, TRUE },
  { "densenet-121", 64, FALSE },
  { "inception-v3", 80, TRUE },
};

/* Every node of an op in @ops ran on the CPU, every other one on the GPU; returns how many
 * did run on the CPU. */
static int
check_split (NdPlan *plan, const char *ops)
{
  g_auto(GStrv) names = g_strsplit (ops, ",", -1);
  int on_cpu = 0;

  for (int i = 1; i < plan->n_nodes; i++)
    {
      const NdNode *node = nd_graph_node (plan->graph, i);
      gboolean want_cpu = g_strv_contains ((const char * const *) names,
                                           nd_op_name (node->op));

      if (g_strcmp0 (plan->op_algo[i], "fused") == 0)
        {
          g_assert_false (want_cpu);   /* a CPU op is never folded into a GPU dispatch */
          continue;
        }
      g_assert_cmpint (plan->op_device[i], ==, want_cpu ? ND_DEVICE_KIND_CPU
                                                        : ND_DEVICE_KIND_VULKAN);
      on_cpu += want_cpu;
    }
  g_assert_cmpint (on_cpu, ==, nd_plan_count_on (plan, ND_DEVICE_KIND_CPU));
  return on_cpu;
}

static NdBackend *vulkan;
static NdBackend *cpu;
static char *skip_reason;

static void
test_model (gconstpointer data)
{
  const ModelCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) train = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(NdPlan) want_plan = NULL;
  g_autoptr(NdPlan) got_plan = NULL;
  g_autoptr(NdTensor) x = NULL;
  g_autoptr(GArray) capture = g_array_new (FALSE, FALSE, sizeof (int));
  NdPlanOptions opt = { .batch = 1 };
  NdModelSpec spec;
  /* fp16: relative to each tensor's largest value; a ParNet-S has 12 layers of rounding.
   * (Random weights can push activations past 65504, float16's largest value: RepVGG-A0's
   * do, so it is not among the fp16 cases; trained weights stay far below.) */
  double rtol = c->fp16 ? 2e-2 : 1e-4;

  if (vulkan == NULL)
    {
      g_test_skip (skip_reason);
      return;
    }
  g_assert_true (nd_model_spec_parse (c->model, &spec, &error));
  spec.resolution = c->resolution;
  train = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (train, 7);
  g = c->fused ? nd_fuse_graph (train, &error) : nd_graph_ref (train);
  g_assert_no_error (error);
  /* The last node of every block: the outputs the views show. */
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    {
      const NdNode *node = nd_graph_node (g, i);
      const NdNode *next = i + 1 < nd_graph_n_nodes (g) ? nd_graph_node (g, i + 1) : NULL;

      if (node->block != NULL && (next == NULL || g_strcmp0 (next->block, node->block) != 0))
        g_array_append_val (capture, i);
    }
  opt.capture = (const int *) capture->data;
  opt.n_capture = capture->len;
  want_plan = nd_backend_prepare (cpu, g, &opt, &error);
  g_assert_no_error (error);
  opt.fp16 = c->fp16;
  if (c->env != NULL)
    {
      g_auto(GStrv) kv = g_strsplit (c->env, "=", 2);

      g_setenv (kv[0], kv[1], TRUE);
      got_plan = nd_backend_prepare (vulkan, g, &opt, &error);
      g_unsetenv (kv[0]);
    }
  else
    got_plan = nd_backend_prepare (vulkan, g, &opt, &error);
  if (c->fp16 && g_error_matches (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  if (c->cpu_ops != NULL)
    g_assert_cmpint (check_split (got_plan, c->cpu_ops), >, 0);
  else
    g_assert_cmpint (nd_plan_count_on (got_plan, ND_DEVICE_KIND_CPU), ==, 0);
  if (c->env != NULL && g_str_has_prefix (c->env, "ND_VK_MIN_GROUPS"))
    {
      int split = 0;

      for (int i = 1; i < got_plan->n_nodes; i++)
        split += g_str_has_suffix (got_plan->op_algo[i], "-splitk");
      g_assert_cmpint (split, >, 0);   /* the forced path was taken, not silently missed */
    }
  g_assert_cmpint (nd_vk_plan_hazards (got_plan), ==, 0);
  x = nd_test_random_input (1, g->in_c, g->in_h, g->in_w, 31);
  g_assert_true (nd_plan_run (want_plan, x, &error));
  g_assert_true (nd_plan_run (got_plan, x, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < capture->len; i++)
    {
      int id = g_array_index (capture, int, i);
      g_autofree char *what = g_strdup_printf ("%s%s node %d (%s)", c->model,
                                               c->fused ? " fused" : "", id,
                                               nd_graph_node (g, id)->name
                                               ? nd_graph_node (g, id)->name : "");

      nd_test_assert_close (nd_plan_get_captured (got_plan, id),
                            nd_plan_get_captured (want_plan, id), rtol, 0, what);
    }
  nd_test_assert_close (got_plan->output, want_plan->output, rtol, 0, c->model);
  g_test_message ("%s%s at %d: %d nodes, prepare %.0f ms, first run %.1f ms",
                  c->model, c->fused ? " fused" : "", c->resolution, nd_graph_n_nodes (g),
                  got_plan->prepare_ms, got_plan->total_ms);
}

/* What the squeeze-excitation gates on se.comp, the BNs folded into their readers and the
 * grouped passes save on a fused ParNet-S at 224 px (nd-vk-se.c, record_grouped): dispatches and barriers per run against
 * the plan with both off, the same logits, no hazard in either recording. */
static void
test_parnet_schedule (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) train = NULL;
  g_autoptr(NdGraph) g = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) before = NULL;
  g_autoptr(NdTensor) x = NULL;
  g_autoptr(NdTensor) y = NULL;
  NdPlanOptions opt = { .batch = 1 };
  NdModelSpec spec;

  if (vulkan == NULL)
    {
      g_test_skip (skip_reason);
      return;
    }
  g_assert_true (nd_model_spec_parse ("parnet-s", &spec, &error));
  train = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (train, 5);
  g = nd_fuse_graph (train, &error);
  g_assert_no_error (error);
  plan = nd_backend_prepare (vulkan, g, &opt, &error);
  g_assert_no_error (error);
  g_setenv ("ND_VK_SE", "0", TRUE);
  g_setenv ("ND_VK_GROUPED", "0", TRUE);
  before = nd_backend_prepare (vulkan, g, &opt, &error);
  g_unsetenv ("ND_VK_SE");
  g_unsetenv ("ND_VK_GROUPED");
  g_assert_no_error (error);
  g_test_message ("parnet-s fused, 224 px: %d dispatches and %d barriers per run, %d and %d "
                  "before", plan->dispatches, plan->barriers, before->dispatches,
                  before->barriers);
  g_assert_cmpint (nd_vk_plan_hazards (plan), ==, 0);
  g_assert_cmpint (nd_vk_plan_hazards (before), ==, 0);
  /* the fusion modules' BNs go into the interleaving concat */
  for (int i = 1; i < nd_graph_n_nodes (g); i++)
    if (nd_graph_node (g, i)->op == ND_OP_BATCHNORM)
      g_assert_cmpstr (plan->op_algo[i], ==, "fused");
  /* 14 identity BNs, 4 fusion BNs and 10 or more pools or products less, and the Winograd
   * passes grouped */
  g_assert_cmpint (plan->dispatches, <=, before->dispatches - 14 - 4 - 10);
  g_assert_cmpint (plan->barriers, <, before->barriers - 14);
  x = nd_test_random_input (1, g->in_c, g->in_h, g->in_w, 3);
  g_assert_true (nd_plan_run (before, x, &error));
  y = nd_tensor_copy (before->output);
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_no_error (error);
  nd_test_assert_close (plan->output, y, 1e-5, 0, "parnet-s logits, gates fused or not");
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *cache = g_build_filename (builddir ? builddir : g_get_tmp_dir (),
                                            "vulkan-cache", NULL);
  int ret;

  /* Caches in the build tree (see test-backend-ops.c). */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (&argc, &argv, NULL);
  vulkan = nd_backend_new ("vulkan", -1, &error);
  if (vulkan == NULL)
    skip_reason = g_strdup_printf ("no Vulkan device: %s", error->message);
  cpu = nd_backend_new ("cpu", -1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *env = g_strconcat (cases[i].env != NULL ? "-" : "", cases[i].env,
                                          NULL);
      g_autofree char *res = cases[i].resolution != 64
                             ? g_strdup_printf ("-%d", cases[i].resolution) : g_strdup ("");
      g_autofree char *path = NULL;

      g_strdelimit (env, "=,", '-');
      /* the forced paths and 224 px are a suite of their own (a meson test each) */
      path = g_strdup_printf ("/vulkan-%s/%s%s%s%s%s",
                              cases[i].env != NULL || cases[i].resolution != 64
                              ? "forced" : "models", cases[i].model, res,
                              cases[i].fused ? "-fused" : "", cases[i].fp16 ? "-fp16" : "",
                              env);

      g_test_add_data_func (path, &cases[i], test_model);
    }
  g_test_add_func ("/vulkan-forced/parnet-s-224-schedule", test_parnet_schedule);
  ret = g_test_run ();
  nd_backend_free (vulkan);
  nd_backend_free (cpu);
  g_free (skip_reason);
  return ret;
}
