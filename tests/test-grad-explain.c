/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-backend-cpu.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-grad.h"
#include "nd-model.h"
#include "nd-test-utils.h"

/* The live explanation (nd_grad_saliency_map): from a forward that captured only the nodes
 * nd_grad_saliency_capture lists, its map equals nd_grad_saliency's (every node captured, the
 * backward down to the input), and Grad-CAM needs far fewer captures than the input gradient.
 * The backward that stops at a node reads nothing before it and says which activation is
 * missing. */

static NdGraph *
build (const char *name, gboolean fused)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdGraph) g = NULL;
  NdModelSpec spec;

  g_assert_true (nd_model_spec_parse (name, &spec, &error));
  spec.resolution = 32;
  spec.classes = 10;
  spec.width = 0.25;
  g = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (g, 21);
  if (!fused)
    return g_steal_pointer (&g);
  {
    NdGraph *f = nd_fuse_graph (g, &error);

    g_assert_no_error (error);
    return f;
  }
}

static NdPlan *
run (NdBackend *cpu, NdGraph *g, const int *capture, int n, const NdTensor *x)
{
  g_autoptr(GError) error = NULL;
  NdPlanOptions opts = { .batch = 1, .capture = capture, .n_capture = n };
  NdPlan *plan = nd_backend_prepare (cpu, g, &opts, &error);

  g_assert_no_error (error);
  g_assert_true (nd_plan_run (plan, x, &error));
  g_assert_no_error (error);
  return plan;
}

static void
test_equals_saliency (void)
{
  const char *models[] = { "parnet-s", "repvgg-a0", "vanillanet-5", "resnet-18" };
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (1, FALSE);

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    for (int fused = 0; fused < 2; fused++)
      {
        g_autoptr(NdGraph) g = build (models[m], fused);
        g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 32, 32, 40 + m);
        g_autofree int *all = NULL;
        g_autoptr(NdPlan) full = NULL;
        int n_all, klass = 7;

        all = nd_grad_capture_all (g, &n_all);
        full = run (cpu, g, all, n_all, x);
        for (int method = ND_SALIENCY_GRAD; method <= ND_SALIENCY_GRADCAM; method++)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(NdPlan) plan = NULL;
            g_autoptr(NdTensor) map = NULL;
            g_autofree int *ids = NULL;
            g_autofree char *what = g_strdup_printf ("%s %s, method %d", models[m],
                                                     fused ? "fused" : "training", method);
            NdSaliency sal;
            int n;

            ids = nd_grad_saliency_capture (g, method, &n);
            g_assert_nonnull (ids);
            if (method == ND_SALIENCY_GRADCAM)
              g_assert_cmpint (n, <, n_all / 2);
            else
              g_assert_cmpint (n, ==, n_all);
            plan = run (cpu, g, ids, n, x);
            map = nd_grad_saliency_map (g, plan->captured, klass, method, &error);
            g_assert_no_error (error);
            g_assert_true (nd_grad_saliency (g, full->captured, &klass, method, &sal, &error));
            g_assert_no_error (error);
            g_assert_true (nd_tensor_same_shape (map, sal.map));
            nd_test_assert_close (map, sal.map, 1e-6, 0, what);
            nd_saliency_clear (&sal);
          }
      }
}

static void
test_stop_errors (void)
{
  g_autoptr(NdGraph) g = build ("parnet-s", TRUE);
  g_autoptr(NdBackend) cpu = nd_cpu_backend_new (1, FALSE);
  g_autoptr(NdTensor) x = nd_test_random_input (1, 3, 32, 32, 50);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) grads = NULL;
  g_autoptr(NdTensor) map = NULL;
  g_autoptr(NdTensor) seed = NULL;
  g_autofree int *ids = NULL;
  int n, cam = nd_grad_cam_node (g);
  const NdNode *head = nd_graph_node (g, g->output);

  g_assert_cmpint (cam, >, 0);
  /* the block outputs the views capture are not what Grad-CAM reads */
  ids = nd_grad_capture_from (g, cam, g->output, &n);
  g_assert_cmpint (ids[0], ==, cam);
  plan = run (cpu, g, ids + 1, n - 1, x);
  map = nd_grad_saliency_map (g, plan->captured, 0, ND_SALIENCY_GRADCAM, &error);
  g_assert_null (map);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);
  seed = nd_tensor_new_4d (1, head->out_c, head->out_h, head->out_w);
  /* a stop after the node the backward starts from */
  g_assert_false (nd_graph_backward_seed_to (g, plan->captured, cam, seed, g->output,
                                             ND_GRAD_DEFAULT, &grads, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* the input gradient from Grad-CAM's captures: not enough */
  g_assert_null (nd_grad_saliency_map (g, plan->captured, 0, ND_SALIENCY_GRAD, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* a class the head does not have */
  g_clear_pointer (&plan, nd_plan_free);
  plan = run (cpu, g, ids, n, x);
  g_assert_null (nd_grad_saliency_map (g, plan->captured, 10, ND_SALIENCY_GRADCAM, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/grad-explain/equals-saliency", test_equals_saliency);
  g_test_add_func ("/grad-explain/stop-errors", test_stop_errors);
  return g_test_run ();
}
