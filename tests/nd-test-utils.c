/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "nd-model.h"
#include "nd-ref-ops.h"
#include "nd-test-utils.h"

void
nd_test_randomize_graph (NdGraph *graph, guint32 seed)
{
  /* the same distributions as the models' own random init */
  nd_model_init_random (graph, seed);
}

NdTensor *
nd_test_random_input (int n, int c, int h, int w, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  NdTensor *t = nd_tensor_new_4d (n, c, h, w);

  nd_tensor_fill_normal (t, rand, 0, 1);
  return t;
}

void
nd_test_assert_close (const NdTensor *a, const NdTensor *b, double rtol, double atol,
                      const char *what)
{
  double max_abs = 0, max_rel = 0, ref_max = 0;

  g_assert_cmpint (a->numel, ==, b->numel);
  g_assert_true (nd_tensor_compare (a, b, &max_abs, &max_rel));
  for (int64_t i = 0; i < b->numel; i++)
    ref_max = MAX (ref_max, fabs (b->data[i]));
  if (!(max_abs <= atol + rtol * ref_max))
    g_error ("%s: max |diff| %.3g exceeds %.3g + %.3g × %.3g (max rel %.3g)", what, max_abs,
             atol, rtol, ref_max, max_rel);
}

gboolean
nd_test_required (const char *what)
{
  const char *env = g_getenv ("ND_TEST_REQUIRE");
  g_auto(GStrv) items = NULL;

  if (env == NULL)
    return FALSE;
  items = g_strsplit_set (env, ", ", -1);
  return g_strv_contains ((const char * const *) items, what);
}

void
nd_test_skip_unless_required (const char *what, const char *reason)
{
  if (nd_test_required (what))
    g_test_fail_printf ("ND_TEST_REQUIRE names %s, but: %s", what, reason);
  else
    g_test_skip (reason);
}

NdPlan *
nd_test_check_graph (NdBackend *backend, NdGraph *g, int batch, const int *capture,
                     int n_capture, gboolean timings, double rtol, double atol, const char *what)
{
  g_autoptr(GError) error = NULL;
  NdPlanOptions opt = { .batch = batch, .capture = capture, .n_capture = n_capture,
                        .timings = timings };
  NdPlan *plan = nd_backend_prepare (backend, g, &opt, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plan);
  for (int r = 0; r < 2; r++)
    {
      g_autoptr(NdTensor) x = nd_test_random_input (batch, g->in_c, g->in_h, g->in_w, 17 + r);
      g_autoptr(GPtrArray) all = NULL;
      g_autoptr(NdTensor) want = nd_ref_run_graph (g, x, &all);
      g_autofree char *label = g_strdup_printf ("%s on %s (run %d)", what, backend->name, r);

      g_assert_true (nd_plan_run (plan, x, &error));
      g_assert_no_error (error);
      g_assert_cmpint (plan->output->numel, ==, want->numel);
      nd_test_assert_close (plan->output, want, rtol, atol, label);
      for (int i = 0; i < n_capture; i++)
        {
          NdTensor *got = nd_plan_get_captured (plan, capture[i]);
          g_autofree char *l = g_strdup_printf ("%s node %d", label, capture[i]);

          g_assert_nonnull (got);
          nd_test_assert_close (got, g_ptr_array_index (all, capture[i]), rtol, atol, l);
        }
    }
  return plan;
}
