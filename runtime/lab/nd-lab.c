/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-lab.h"

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Linear interpolation between order statistics of sorted @v. */
static double
quantile (const double *v, int n, double q)
{
  double pos = q * (n - 1);
  int lo = (int) pos;
  int hi = MIN (lo + 1, n - 1);

  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

void
nd_lab_spread (double *v, int n, NdLabSpread *out)
{
  memset (out, 0, sizeof *out);
  if (n <= 0)
    return;
  qsort (v, n, sizeof (double), cmp_double);
  out->median = quantile (v, n, 0.5);
  out->p25 = quantile (v, n, 0.25);
  out->p75 = quantile (v, n, 0.75);
  out->min = v[0];
  out->max = v[n - 1];
}

void
nd_lab_fill_weights (NdGraph *graph)
{
  for (int i = 0; i < nd_graph_n_nodes (graph); i++)
    {
      NdNode *node = nd_graph_node (graph, i);

      for (int s = 0; s < ND_W_COUNT; s++)
        if (node->w[s] != NULL)
          for (gint64 k = 0; k < node->w[s]->numel; k++)
            node->w[s]->data[k] = s == ND_W_VAR ? 1.0f
                                  : 0.02f * (float) ((k * 7919) % 101 - 50) / 50.0f;
    }
}

gboolean
nd_lab_time_plan (NdPlan *plan, const NdTensor *input, int warmup, int iters, double *totals,
                  double *op_ms, GError **error)
{
  int n = plan->n_nodes;
  g_autofree double *per = op_ms ? g_new0 (double, (gsize) n * iters) : NULL;

  for (int i = 0; i < warmup; i++)
    if (!nd_plan_run (plan, input, error))
      return FALSE;
  for (int i = 0; i < iters; i++)
    {
      if (!nd_plan_run (plan, input, error))
        return FALSE;
      if (totals)
        totals[i] = plan->total_ms;
      if (per)
        for (int k = 0; k < n; k++)
          per[(gsize) k * iters + i] = plan->timings ? plan->op_ms[k] : 0;
    }
  if (op_ms)
    for (int k = 0; k < n; k++)
      {
        NdLabSpread s;

        nd_lab_spread (per + (gsize) k * iters, iters, &s);
        op_ms[k] = s.median;
      }
  return TRUE;
}

/* Best time of node 1 (the probe op) over a few runs of a one-op graph. */
static double
probe_best_ms (NdBackend *backend, NdGraph *g, int iters, GError **error)
{
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  double best = G_MAXDOUBLE;

  nd_lab_fill_weights (g);
  plan = nd_backend_prepare (backend, g, &popts, error);
  if (plan == NULL)
    return -1;
  /* zeros: rates do not depend on values */
  input = nd_tensor_new_4d (1, g->in_c, g->in_h, g->in_w);
  if (!nd_plan_run (plan, input, error))
    return -1;
  for (int i = 0; i < iters; i++)
    {
      if (!nd_plan_run (plan, input, error))
        return -1;
      if (plan->op_ms[1] > 0)
        best = MIN (best, plan->op_ms[1]);
    }
  return best == G_MAXDOUBLE ? 0 : best;
}

/* Host streaming copy, one thread: read + write bytes per second. */
static double
memcpy_gbs (void)
{
  const gsize bytes = 64u << 20;
  g_autofree char *a = g_malloc (bytes);
  g_autofree char *b = g_malloc (bytes);
  double best = G_MAXDOUBLE;

  memset (a, 1, bytes);
  memset (b, 2, bytes);
  for (int i = 0; i < 5; i++)
    {
      gint64 t0 = g_get_monotonic_time ();

      memcpy (b, a, bytes);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e3);
      a[i] = b[bytes - 1 - i];   /* keep the copies observable */
    }
  return best > 0 ? 2.0 * bytes / (best * 1e6) : 0;
}

gboolean
nd_lab_measure_roof (NdBackend *backend, NdLabRoof *roof, GError **error)
{
  /* probe sizes: the same FLOPs per conv at three shapes, the sizes of a model's convs;
   * copies from L2-sized to well past the last-level cache (larger on a GPU, whose caches
   * and rate are larger); none so small that the µs timer decides the rate */
  static const int cpu_conv[3][2] = { { 128, 56 }, { 256, 28 }, { 512, 14 } };
  static const int gpu_conv[3][2] = { { 512, 112 }, { 1024, 56 }, { 2048, 28 } };
  static const gint64 cpu_copy[5] = { 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24 };
  static const gint64 gpu_copy[5] = { 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28 };
  const int (*conv)[2] = backend->gpu ? gpu_conv : cpu_conv;
  const gint64 *copy = backend->gpu ? gpu_copy : cpu_copy;
  int iters = backend->gpu ? 20 : 10;

  memset (roof, 0, sizeof *roof);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new (conv[i][0], conv[i][1], conv[i][1]);
      NdOpParams p = { .out_c = conv[i][0], .kernel = 1, .stride = 1, .groups = 1 };
      int in = 0;
      double ms;

      if (nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "probe", error) < 0)
        return FALSE;
      ms = probe_best_ms (backend, g, iters, error);
      if (ms < 0)
        return FALSE;
      roof->probe_gflops[i] = ms > 0 ? nd_node_flops (g, nd_graph_node (g, 1)) / (ms * 1e6) : 0;
      roof->peak_gflops = MAX (roof->peak_gflops, roof->probe_gflops[i]);
    }
  roof->n_conv = 3;
  roof->peak_source = "conv-probe";
  if (backend->klass->measure_peak != NULL)
    {
      roof->has_machine = TRUE;
      if (!backend->klass->measure_peak (backend, &roof->machine, error))
        {
          g_prefix_error (error, _("Measuring the compute peak: "));
          return FALSE;
        }
      if (roof->machine.gflops > roof->peak_gflops)
        {
          roof->peak_gflops = roof->machine.gflops;
          roof->peak_source = roof->machine.source;
        }
    }
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(NdGraph) g = nd_graph_new ((int) (copy[i] / 4096), 64, 64);
      gint64 r, w;
      int in = 0;
      double ms;

      if (nd_graph_add (g, ND_OP_RELU, NULL, &in, 1, NULL, error) < 0)
        return FALSE;
      ms = probe_best_ms (backend, g, iters, error);
      if (ms < 0)
        return FALSE;
      nd_node_bytes (g, nd_graph_node (g, 1), &r, &w);
      roof->probe_bytes[i] = r + w;
      roof->probe_gbs[i] = ms > 0 ? (r + w) / (ms * 1e6) : 0;
      roof->bandwidth_gbs = MAX (roof->bandwidth_gbs, roof->probe_gbs[i]);
    }
  roof->n_copy = 5;
  if (!backend->gpu && g_str_equal (backend->name, "cpu"))
    {
      roof->memcpy_gbs = memcpy_gbs ();
      roof->bandwidth_gbs = MAX (roof->bandwidth_gbs, roof->memcpy_gbs);
    }
  return TRUE;
}

double
nd_lab_attainable (const NdLabRoof *roof, gint64 flops, gint64 bytes)
{
  if (bytes <= 0)
    return roof->peak_gflops;
  return MIN (roof->peak_gflops, (double) flops / bytes * roof->bandwidth_gbs);
}

double
nd_lab_roof_percent (const NdLabRoof *roof, gint64 flops, gint64 bytes, double ms)
{
  if (ms <= 0 || bytes <= 0 || roof->bandwidth_gbs <= 0)
    return -1;
  if (flops <= 0)
    return 100.0 * (bytes / (ms * 1e6)) / roof->bandwidth_gbs;
  return 100.0 * (flops / (ms * 1e6)) / nd_lab_attainable (roof, flops, bytes);
}

/* An algorithm that does fewer multiplies than the direct count (Winograd): its "achieved"
 * rate is an effective one and may pass the roof. */
gboolean
nd_lab_algo_is_effective (const char *algo)
{
  return algo != NULL && g_str_has_prefix (algo, "winograd");
}
