/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "nd-backend.h"
#include "nd-fuse.h"
#include "nd-model.h"
#include "nd-test-utils.h"

/* A timing loop, not a test: `vulkan-bench [-r RES] [-n ITERS] [-b BACKEND] MODEL[:fused]…`
 * prints cold prepare time and the median warm latency (batch 1, timings off), or, with
 * `--conv CIN,COUT,H,K,S,G`, the same for one convolution. */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
bench (NdBackend *backend, NdGraph *g, const char *label, int iters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) x = nd_test_random_input (1, g->in_c, g->in_h, g->in_w, 1);
  g_autofree double *ms = g_new (double, iters);
  gint64 macs = 0;
  double first;

  nd_graph_count (g, NULL, &macs, NULL);
  plan = nd_backend_prepare (backend, g, NULL, &error);
  if (plan == NULL)
    {
      printf ("%s: %s\n", label, error->message);
      return;
    }
  nd_plan_run (plan, x, NULL);   /* first run after prepare (which already replayed once) */
  first = plan->total_ms;
  for (int i = 0; i < iters; i++)
    {
      nd_plan_run (plan, x, NULL);
      ms[i] = plan->total_ms;
    }
  qsort (ms, iters, sizeof (double), cmp_double);
  printf ("%-20s %4d nodes  prepare %7.1f ms  first run %8.1f ms  median %8.2f ms  "
          "min %8.2f ms  %6.2f GFLOP/s\n",
          label, nd_graph_n_nodes (g), plan->prepare_ms, first, ms[iters / 2], ms[0],
          2e-6 * macs / ms[iters / 2]);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NdBackend) backend = NULL;
  const char *backend_name = "vulkan", *conv = NULL;
  int res = 64, iters = 5;
  const GOptionEntry entries[] = {
    { "resolution", 'r', 0, G_OPTION_ARG_INT, &res, "Input side", "R" },
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, "Timed runs", "N" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name, "cpu or vulkan", "NAME" },
    { "conv", 0, 0, G_OPTION_ARG_STRING, &conv, "One conv: CIN,COUT,H,K,S,G", "SPEC" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MODEL[:fused]…");

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  iters = CLAMP (iters, 1, 1000);
  backend = nd_backend_new (backend_name, -1, &error);
  if (backend == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("%s\n", backend->description);
  if (conv != NULL)
    {
      int cin = 0, cout = 0, h = 0, k = 0, s = 0, grp = 0, in = 0;
      g_autoptr(NdGraph) g = NULL;
      NdOpParams p;

      if (sscanf (conv, "%d,%d,%d,%d,%d,%d", &cin, &cout, &h, &k, &s, &grp) != 6)
        return 2;
      p = (NdOpParams) { .out_c = cout, .kernel = k, .stride = s, .pad = k / 2, .groups = grp };
      g = nd_graph_new (cin, h, h);
      if (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "c", &error) < 0)
        {
          fprintf (stderr, "%s\n", error->message);
          return 2;
        }
      nd_test_randomize_graph (g, 1);
      bench (backend, g, conv, iters);
    }
  for (int i = 1; i < argc; i++)
    {
      g_auto(GStrv) parts = g_strsplit (argv[i], ":", 2);
      g_autoptr(NdGraph) train = NULL;
      g_autoptr(NdGraph) g = NULL;
      NdModelSpec spec;

      if (!nd_model_spec_parse (parts[0], &spec, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 2;
        }
      spec.resolution = res;
      train = nd_model_build (&spec, &error);
      if (train == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 2;
        }
      nd_model_init_random (train, 1);
      g = parts[1] != NULL ? nd_fuse_graph (train, &error) : nd_graph_ref (train);
      if (g == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 2;
        }
      bench (backend, g, argv[i], iters);
    }
  return 0;
}
