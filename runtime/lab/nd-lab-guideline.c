/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-lab.h"
#include "nd-model.h"
#include "nd-test-input.h"

/* The efficient-design literature's guidelines as experiments, shared by `nondeep-cli
 * guideline` and the window's Guidelines page. Each builds a few small synthetic networks of
 * (nearly) equal FLOPs with nd_graph_add, runs them in turn on a backend, and states what the
 * paper claims next to what this machine shows. */

#define UNITS 4   /* every variant repeats its unit this often, so one op's noise averages */

typedef NdLabVariant Variant;

static void
variant_free (Variant *v)
{
  g_free (v->label);
  g_clear_pointer (&v->graph, nd_graph_unref);
  g_free (v);
}

static int
conv (NdGraph *g, int in, int out_c, int k, int groups, GError **error)
{
  NdOpParams p = { .out_c = out_c, .kernel = k, .stride = 1, .pad = k / 2, .groups = groups };

  return in < 0 ? -1 : nd_graph_add (g, ND_OP_CONV2D, &p, &in, 1, "conv", error);
}

static int
unary (NdGraph *g, NdOp op, int in, GError **error)
{
  NdOpParams bn = { .eps = 1e-5f };

  return in < 0 ? -1 : nd_graph_add (g, op, op == ND_OP_BATCHNORM ? &bn : NULL, &in, 1,
                                     op == ND_OP_BATCHNORM ? "bn" : NULL, error);
}

static int
round_to (double v, int m)
{
  return MAX (m, (int) lrint (v / m) * m);
}

static gboolean
add_variant (GPtrArray *out, NdGraph *g, int last, char *label)
{
  Variant *v;

  if (last < 0)
    {
      g_free (label);
      return FALSE;
    }
  v = g_new0 (Variant, 1);
  v->label = label;
  v->graph = g;
  nd_lab_fill_weights (g);
  g_ptr_array_add (out, v);
  return TRUE;
}

/* G1: 1×1 convs c1 → c2 → c1 with c1·c2 fixed. */
static gboolean
build_ratio (GPtrArray *out, int base, int size, GError **error)
{
  static const int ratios[] = { 1, 2, 6, 12 };

  for (guint r = 0; r < G_N_ELEMENTS (ratios); r++)
    {
      int c1 = round_to (base / sqrt (ratios[r]), 2), c2 = round_to (base * sqrt (ratios[r]), 2);
      NdGraph *g = nd_graph_new (c1, size, size);
      int x = 0;

      for (int u = 0; u < UNITS; u++)
        x = conv (g, conv (g, x, c2, 1, 1, error), c1, 1, 1, error);
      if (!add_variant (out, g, x, g_strdup_printf ("1:%d (%d→%d→%d)", ratios[r], c1, c2, c1)))
        return nd_graph_unref (g), FALSE;
    }
  return TRUE;
}

/* G2: 1×1 group convs, width grown with √g so the FLOPs stay put. */
static gboolean
build_groups (GPtrArray *out, int base, int size, GError **error)
{
  for (int gr = 1; gr <= 8; gr *= 2)
    {
      int c = round_to (base * sqrt (gr), 8);   /* a multiple of every g ≤ 8 */
      NdGraph *g = nd_graph_new (c, size, size);
      int x = 0;

      for (int u = 0; u < 2 * UNITS; u++)
        x = conv (g, x, c, 1, gr, error);
      if (!add_variant (out, g, x, g_strdup_printf ("g=%d (%d ch)", gr, c)))
        return nd_graph_unref (g), FALSE;
    }
  return TRUE;
}

/* G3: the same work as 1 conv, n convs in series, or n parallel convs summed. */
static gboolean
build_branches (GPtrArray *out, int base, int size, GError **error)
{
  static const int frags[][2] = { { 1, 0 }, { 2, 0 }, { 4, 0 }, { 2, 1 }, { 4, 1 } };

  for (guint f = 0; f < G_N_ELEMENTS (frags); f++)
    {
      int n = frags[f][0], parallel = frags[f][1];
      int c = round_to (base / sqrt (n), 4);
      NdGraph *g = nd_graph_new (c, size, size);
      int x = 0;

      for (int u = 0; u < UNITS && x >= 0; u++)
        {
          int outs[ND_MAX_INPUTS];

          for (int i = 0; i < n; i++)
            outs[i] = parallel ? conv (g, x, c, 1, 1, error) : (x = conv (g, x, c, 1, 1, error));
          if (parallel)
            x = outs[n - 1] < 0 ? -1 : nd_graph_add (g, ND_OP_ADD, NULL, outs, n, NULL, error);
        }
      if (!add_variant (out, g, x, n == 1 ? g_strdup_printf (_("1 conv (%d ch)"), c)
                                  : g_strdup_printf (parallel ? _("%d parallel (%d ch)")
                                                              : _("%d in series (%d ch)"), n, c)))
        return nd_graph_unref (g), FALSE;
    }
  return TRUE;
}

/* G4: residual blocks in training form (conv, BN, ReLU, add), k×k, with and without an SE
 * gate: how much of the time goes to the element-wise ops. */
static gboolean
build_eltwise (GPtrArray *out, int base, int size, GError **error)
{
  for (int k = 1; k <= 3; k += 2)
    for (int se = 0; se <= 1; se++)
      {
        NdGraph *g = nd_graph_new (base, size, size);
        NdOpParams gap = { .out_h = 1, .out_w = 1 }, gate = { .alpha = 1.0f };
        int x = 0;

        for (int u = 0; u < UNITS && x >= 0; u++)
          {
            int y = unary (g, ND_OP_BATCHNORM, conv (g, x, base, k, 1, error), error);

            y = unary (g, ND_OP_RELU, y, error);
            y = unary (g, ND_OP_BATCHNORM, conv (g, y, base, k, 1, error), error);

            if (se && y >= 0)
              {
                int p = nd_graph_add (g, ND_OP_ADAPTIVE_AVGPOOL, &gap, &y, 1, NULL, error);
                int s = conv (g, p, base, 1, 1, error);

                y = s < 0 ? -1 : nd_graph_add (g, ND_OP_GATE, &gate, (int[]) { y, s }, 2,
                                               NULL, error);
              }
            x = y < 0 ? -1 : unary (g, ND_OP_RELU,
                                    nd_graph_add (g, ND_OP_ADD, NULL, (int[]) { x, y }, 2, NULL,
                                                  error), error);
          }
        if (!add_variant (out, g, x, g_strdup_printf (se ? _("%d×%d block + SE") : _("%d×%d block"),
                                                      k, k)))
          return nd_graph_unref (g), FALSE;
      }
  return TRUE;
}

/* Depth vs width: d 3×3 convs (+ReLU) of width w with d·w² fixed. */
static gboolean
build_depth (GPtrArray *out, int base, int size, GError **error)
{
  for (int d = 2; d <= 16; d *= 2)
    {
      int c = round_to (base * sqrt (4.0 / d), 8);
      NdGraph *g = nd_graph_new (c, size, size);
      int x = 0;

      for (int i = 0; i < d; i++)
        x = unary (g, ND_OP_RELU, conv (g, x, c, 3, 1, error), error);
      if (!add_variant (out, g, x, g_strdup_printf (_("depth %d × width %d"), d, c)))
        return nd_graph_unref (g), FALSE;
    }
  return TRUE;
}

/* ParNet's table: the presets at resolution @size, each unfused and fused, ParNet fused also
 * with its streams forced concurrent and sequential (dropped later on backends without the
 * choice). The same deterministic random weights as `compare` (seed 1). */
static const char *const ptable_models[] = { "parnet-s", "parnet-m", "resnet-34", "resnet-50" };

static gboolean
add_model_variant (GPtrArray *out, NdGraph *g, const char *model, gboolean fused,
                   NdStreamsMode streams)
{
  Variant *v = g_new0 (Variant, 1);

  /* short, so the bar labels fit: the forced stream modes are of the fused form */
  v->label = g_strdup_printf (streams == ND_STREAMS_CONCURRENT ? _("%s concurrent")
                              : streams == ND_STREAMS_SEQUENTIAL ? _("%s sequential")
                              : fused ? _("%s fused") : _("%s unfused"), model);
  v->graph = nd_graph_ref (g);
  v->model = model;
  v->fused = fused;
  v->streams = streams;
  v->quoted = nd_quoted_top1 (model);
  g_ptr_array_add (out, v);
  return TRUE;
}

static gboolean
build_ptable (GPtrArray *out, int base, int size, GError **error)
{
  if (size < 32 || size > 4096)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("ParNet's table needs a resolution of 32–4096 pixels, not %d"), size);
      return FALSE;
    }
  for (guint m = 0; m < G_N_ELEMENTS (ptable_models); m++)
    {
      const char *model = ptable_models[m];
      g_autoptr(NdGraph) train = NULL;
      g_autoptr(NdGraph) fused = NULL;
      NdModelSpec spec;

      if (!nd_model_spec_parse (model, &spec, error))
        return FALSE;
      spec.resolution = size;
      if ((train = nd_model_build (&spec, error)) == NULL)   /* checks the memory budget */
        return FALSE;
      nd_model_init_random (train, 1);
      if ((fused = nd_fuse_graph (train, error)) == NULL)
        return FALSE;
      add_model_variant (out, train, model, FALSE, ND_STREAMS_AUTO);
      add_model_variant (out, fused, model, TRUE, ND_STREAMS_AUTO);
      if (spec.family == ND_FAMILY_PARNET)
        {
          add_model_variant (out, fused, model, TRUE, ND_STREAMS_CONCURRENT);
          add_model_variant (out, fused, model, TRUE, ND_STREAMS_SEQUENTIAL);
        }
    }
  return TRUE;
}

typedef struct
{
  const char *name;
  const char *claim;
  const char *source;
  gboolean  (*build) (GPtrArray *out, int base, int size, GError **error);
} Experiment;

static const Experiment experiments[] = {
  { "ratio", N_("At equal FLOPs, 1×1 convs with equal input and output widths are fastest: "
                "memory access cost is smallest at c_in:c_out = 1:1."),
    "Ma et al., ShuffleNet V2, ECCV 2018, guideline G1, Table 1", build_ratio },
  { "groups", N_("At equal FLOPs, more groups in a conv cost more time: memory access grows "
                 "with the group count."),
    "Ma et al., ShuffleNet V2, ECCV 2018, guideline G2, Table 2", build_groups },
  { "branches", N_("Network fragmentation (many small ops, in series or in parallel) reduces the "
                   "degree of parallelism: one big op beats the same work in fragments."),
    "Ma et al., ShuffleNet V2, ECCV 2018, guideline G3, Table 3", build_branches },
  { "eltwise", N_("Element-wise ops (ReLU, add, BN, gates) take a share of the time far above "
                  "their share of the FLOPs."),
    "Ma et al., ShuffleNet V2, ECCV 2018, guideline G4, Fig. 2 and Table 4", build_eltwise },
  { "depth-width", N_("At equal FLOPs a shallow, wide network runs faster than a deep, narrow one "
                      "on parallel hardware: depth is sequential work."),
    "Goyal et al., Non-deep Networks, NeurIPS 2022, §1 and §4", build_depth },
  { "parnet-table", N_("ParNet's paper times it on a GPU against ResNets of similar accuracy "
                       "(ParNet-S beside ResNet-34, ParNet-M beside ResNet-50) and reports the "
                       "12-layer ParNet faster though it has more parameters and FLOPs; fusing "
                       "the branches and running the three streams in parallel (one GPU each) "
                       "lower its latency further."),
    "Goyal et al., Non-deep Networks, NeurIPS 2022, Tables 2 and 3; their numbers not checked "
    "here, docs/reference/networks.md §5", build_ptable },
};

typedef struct
{
  NdPlan     *plan;
  NdTensor   *input;
  double     *totals;
} Result;

static gboolean
is_weight_op (NdOp op)
{
  return op == ND_OP_CONV2D || op == ND_OP_LINEAR;
}

/* Per-op medians of one variant, split into weight layers and element-wise ops. */
static gboolean
split_times (NdBackend *backend, Variant *v, const Result *r, int warmup, int iters,
             GError **error)
{
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };
  g_autoptr(NdPlan) plan = nd_backend_prepare (backend, v->graph, &popts, error);
  g_autofree double *op_ms = NULL;

  if (plan == NULL)
    return FALSE;
  op_ms = g_new0 (double, plan->n_nodes);
  if (!nd_lab_time_plan (plan, r->input, warmup, iters, NULL, op_ms, error))
    return FALSE;
  for (int k = 1; k < plan->n_nodes; k++)
    {
      const NdNode *node = nd_graph_node (v->graph, k);
      gint64 f = nd_node_flops (v->graph, node);

      if (is_weight_op (node->op))
        v->weight_ops_ms += op_ms[k];
      else
        {
          v->eltwise_ms += op_ms[k];
          v->eltwise_flops += f;
          v->eltwise_merged += op_ms[k] <= 0;
        }
    }
  return TRUE;
}

static gboolean
run_variants (NdBackend *backend, GPtrArray *variants, Result *res, gboolean split, int warmup,
              int iters, GError **error)
{
  for (guint i = 0; i < variants->len; i++)
    {
      Variant *v = g_ptr_array_index (variants, i);
      NdPlanOptions popts = { .batch = 1, .streams = v->streams };

      res[i].plan = nd_backend_prepare (backend, v->graph, &popts, error);
      if (res[i].plan == NULL)
        return FALSE;
      v->streams_ran = res[i].plan->streams_mode;
      v->streams_reason = res[i].plan->streams_reason;
      res[i].input = nd_test_input_new (1, v->graph->in_c, v->graph->in_h, v->graph->in_w,
                                        error);
      if (res[i].input == NULL)
        return FALSE;
      res[i].totals = g_new0 (double, iters);
      if (!nd_lab_time_plan (res[i].plan, res[i].input, warmup, 0, NULL, NULL, error))
        return FALSE;
    }
  /* round robin, as compare does */
  for (int it = 0; it < iters; it++)
    for (guint i = 0; i < variants->len; i++)
      {
        if (!nd_plan_run (res[i].plan, res[i].input, error))
          return FALSE;
        res[i].totals[it] = res[i].plan->total_ms;
      }
  for (guint i = 0; i < variants->len; i++)
    {
      Variant *v = g_ptr_array_index (variants, i);

      nd_lab_spread (res[i].totals, iters, &v->lat);
      v->split = split;
      if (split && !split_times (backend, v, &res[i], warmup, iters, error))
        return FALSE;
    }
  return TRUE;
}

/* One sentence from the numbers: fastest and slowest, and for the eltwise experiment the
 * time and FLOP shares. */
static char *
finding (const Experiment *e, GPtrArray *variants)
{
  guint fast = 0, slow = 0;
  GString *s = g_string_new (NULL);
  const Variant *vf, *vs;

#define V(i) ((const Variant *) g_ptr_array_index (variants, (i)))
  for (guint i = 1; i < variants->len; i++)
    {
      if (V (i)->lat.median < V (fast)->lat.median)
        fast = i;
      if (V (i)->lat.median > V (slow)->lat.median)
        slow = i;
    }
  vf = V (fast);
  vs = V (slow);
  g_string_append_printf (s, _("Here the fastest is %s (%.3f ms), the slowest %s (%.3f ms, "
                               "%.2f× the fastest)."), vf->label, vf->lat.median, vs->label,
                          vs->lat.median, vs->lat.median / vf->lat.median);
  if (g_str_equal (e->name, "eltwise"))
    for (guint i = 0; i < variants->len; i++)
      {
        const Variant *v = V (i);
        double t = v->weight_ops_ms + v->eltwise_ms;
        double f = (double) v->flops;

        g_string_append_printf (s, _(" %s: element-wise ops %.0f%% of the op time for %.1f%% "
                                     "of the FLOPs (%d of them run inside a conv's kernel)."),
                                v->label, t > 0 ? 100 * v->eltwise_ms / t : 0,
                                f > 0 ? 100 * v->eltwise_flops / f : 0, v->eltwise_merged);
      }
#undef V
  return g_string_free (s, FALSE);
}

const NdLabVariant *
nd_lab_experiment_find (const NdLabExperiment *e, const char *model, gboolean fused,
                        NdStreamsMode streams)
{
  g_return_val_if_fail (e != NULL && model != NULL, NULL);
  for (guint i = 0; i < e->variants->len; i++)
    {
      const Variant *v = g_ptr_array_index (e->variants, i);

      if (v->model != NULL && g_str_equal (v->model, model) && v->fused == fused
          && v->streams == streams)
        return v;
    }
  return NULL;
}

/* ParNet's table from the numbers: each ParNet against its ResNet (fused, the form both
 * papers deploy), what fusing saved, and concurrent against sequential streams. */
static char *
finding_ptable (const NdLabExperiment *e)
{
  static const char *const pairs[][2] = { { "parnet-s", "resnet-34" }, { "parnet-m", "resnet-50" } };
  GString *s = g_string_new (NULL);
  const char *faster = NULL;
  int n_faster = 0;

  for (guint p = 0; p < G_N_ELEMENTS (pairs); p++)
    {
      const Variant *par = nd_lab_experiment_find (e, pairs[p][0], TRUE, ND_STREAMS_AUTO);
      const Variant *res = nd_lab_experiment_find (e, pairs[p][1], TRUE, ND_STREAMS_AUTO);
      const Variant *unf = nd_lab_experiment_find (e, pairs[p][0], FALSE, ND_STREAMS_AUTO);
      const Variant *con = nd_lab_experiment_find (e, pairs[p][0], TRUE, ND_STREAMS_CONCURRENT);
      const Variant *seq = nd_lab_experiment_find (e, pairs[p][0], TRUE, ND_STREAMS_SEQUENTIAL);
      double r = par->lat.median / res->lat.median;

      if (r < 1)
        {
          n_faster++;
          faster = par->model;
        }
      if (p > 0)
        g_string_append_c (s, ' ');
      g_string_append_printf (s, r < 1 ? _("Fused %s takes %.1f ms here, %.2f× %s's %.1f ms: "
                                           "faster.")
                                       : _("Fused %s takes %.1f ms here, %.2f× %s's %.1f ms: "
                                           "slower."),
                              par->model, par->lat.median, r, res->model, res->lat.median);
      g_string_append_printf (s, _(" Fused it takes %.2f× its unfused %.1f ms."),
                              par->lat.median / unf->lat.median, unf->lat.median);
      if (con != NULL && seq != NULL)
        g_string_append_printf (s, _(" Its streams run concurrently take %.2f× the time of "
                                     "running them in sequence (%.1f vs %.1f ms)."),
                                con->lat.median / seq->lat.median, con->lat.median,
                                seq->lat.median);
    }
  if (n_faster == G_N_ELEMENTS (pairs))
    g_string_append (s, _(" So here both ParNets are faster than their ResNets, as the paper "
                          "reports for its GPU."));
  else if (n_faster == 0)
    g_string_append (s, _(" So here neither ParNet is faster than its ResNet: the paper's GPU "
                          "result does not carry over to this backend."));
  else
    g_string_append_printf (s, _(" So here only %s is faster than its ResNet."), faster);
  return g_string_free (s, FALSE);
}

gboolean
nd_lab_guideline_uses_models (const char *name)
{
  return name != NULL && g_str_equal (name, "parnet-table");
}

const char *const *
nd_lab_guideline_names (void)
{
  static const char *names[G_N_ELEMENTS (experiments) + 1];

  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    names[i] = experiments[i].name;
  return names;
}

void
nd_lab_experiment_free (NdLabExperiment *e)
{
  if (e == NULL)
    return;
  g_clear_pointer (&e->variants, g_ptr_array_unref);
  g_free (e->finding);
  g_free (e);
}

NdLabExperiment *
nd_lab_guideline_run (const char *name, NdBackend *backend, int base, int size, int warmup,
                      int iters, GError **error)
{
  const Experiment *e = NULL;
  g_autoptr(NdLabExperiment) out = NULL;
  g_autofree Result *res = NULL;
  gboolean ok;

  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    if (g_str_equal (name, experiments[i].name))
      e = &experiments[i];
  if (e == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Unknown guideline “%s”"), name);
      return NULL;
    }
  out = g_new0 (NdLabExperiment, 1);
  out->name = e->name;
  out->claim = _(e->claim);
  out->source = e->source;
  out->variants = g_ptr_array_new_with_free_func ((GDestroyNotify) variant_free);
  if (!e->build (out->variants, base, size, error))
    return NULL;
  /* a forced stream mode where the backend makes no such choice would time the same plan */
  for (guint i = out->variants->len; i-- > 0;)
    if (((Variant *) g_ptr_array_index (out->variants, i))->streams != ND_STREAMS_AUTO
        && backend->kind != ND_DEVICE_KIND_CPU)
      g_ptr_array_remove_index (out->variants, i);
  for (guint i = 0; i < out->variants->len; i++)
    {
      Variant *v = g_ptr_array_index (out->variants, i);
      gint64 br, bw;

      nd_graph_count (v->graph, &v->params, &v->macs, NULL);
      nd_graph_cost (v->graph, &v->flops, &br, &bw);
      v->bytes = br + bw;
      nd_graph_structure (v->graph, &v->weight_depth, &v->ops, &v->branches);
    }
  res = g_new0 (Result, out->variants->len);
  ok = run_variants (backend, out->variants, res, g_str_equal (e->name, "eltwise"), warmup,
                     iters, error);
  for (guint i = 0; i < out->variants->len; i++)
    {
      g_clear_pointer (&res[i].plan, nd_plan_free);
      g_clear_pointer (&res[i].input, nd_tensor_unref);
      g_free (res[i].totals);
    }
  if (!ok)
    return NULL;
  out->finding = nd_lab_guideline_uses_models (e->name) ? finding_ptable (out)
                                                        : finding (e, out->variants);
  return g_steal_pointer (&out);
}
