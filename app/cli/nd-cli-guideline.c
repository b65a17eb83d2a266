/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-lab.h"
#include "nd-test-input.h"

/* `guideline NAME`: the efficient-design literature's guidelines as experiments. Each builds
 * a few small synthetic networks of (nearly) equal FLOPs with nd_graph_add, runs them in
 * turn on the chosen backend, and prints what the paper claims next to what this machine
 * shows. */

#define UNITS 4   /* every variant repeats its unit this often, so one op's noise averages */

typedef struct
{
  char    *label;
  NdGraph *graph;
} Variant;

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
            int y = unary (g, ND_OP_BATCHNORM,
                           conv (g, unary (g, ND_OP_RELU,
                                           unary (g, ND_OP_BATCHNORM, conv (g, x, base, k, 1, error),
                                                  error), error), base, k, 1, error), error);

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
};

typedef struct
{
  NdPlan     *plan;
  NdTensor   *input;
  double     *totals;
  NdLabSpread lat;
  double      conv_ms, eltwise_ms;   /* from a timed plan: eltwise experiment only */
  gint64      conv_flops, eltwise_flops;
  int         merged;
} Result;

static gboolean
is_weight_op (NdOp op)
{
  return op == ND_OP_CONV2D || op == ND_OP_LINEAR;
}

/* Per-op medians of one variant, split into weight layers and element-wise ops. */
static gboolean
split_times (NdBackend *backend, Variant *v, Result *r, int warmup, int iters, GError **error)
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
        r->conv_ms += op_ms[k], r->conv_flops += f;
      else
        {
          r->eltwise_ms += op_ms[k];
          r->eltwise_flops += f;
          r->merged += op_ms[k] <= 0;
        }
    }
  return TRUE;
}

static gboolean
run_variants (NdBackend *backend, GPtrArray *variants, Result *res, gboolean split, int warmup,
              int iters, GError **error)
{
  NdPlanOptions popts = { .batch = 1 };

  for (guint i = 0; i < variants->len; i++)
    {
      Variant *v = g_ptr_array_index (variants, i);

      res[i].plan = nd_backend_prepare (backend, v->graph, &popts, error);
      if (res[i].plan == NULL)
        return FALSE;
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
      nd_lab_spread (res[i].totals, iters, &res[i].lat);
      if (split && !split_times (backend, g_ptr_array_index (variants, i), &res[i], warmup,
                                 iters, error))
        return FALSE;
    }
  return TRUE;
}

/* One sentence from the numbers: fastest and slowest, and for the eltwise experiment the
 * time and FLOP shares. */
static char *
finding (const Experiment *e, GPtrArray *variants, const Result *res)
{
  guint fast = 0, slow = 0;
  GString *s = g_string_new (NULL);

  for (guint i = 1; i < variants->len; i++)
    {
      if (res[i].lat.median < res[fast].lat.median)
        fast = i;
      if (res[i].lat.median > res[slow].lat.median)
        slow = i;
    }
  g_string_append_printf (s, _("Here the fastest is %s (%.3f ms), the slowest %s (%.3f ms, "
                               "%.2f× the fastest)."),
                          ((Variant *) g_ptr_array_index (variants, fast))->label,
                          res[fast].lat.median,
                          ((Variant *) g_ptr_array_index (variants, slow))->label,
                          res[slow].lat.median, res[slow].lat.median / res[fast].lat.median);
  if (g_str_equal (e->name, "eltwise"))
    for (guint i = 0; i < variants->len; i++)
      {
        double t = res[i].conv_ms + res[i].eltwise_ms;
        double f = (double) (res[i].conv_flops + res[i].eltwise_flops);

        g_string_append_printf (s, _(" %s: element-wise ops %.0f%% of the op time for %.1f%% "
                                     "of the FLOPs (%d of them run inside a conv's kernel)."),
                                ((Variant *) g_ptr_array_index (variants, i))->label,
                                t > 0 ? 100 * res[i].eltwise_ms / t : 0,
                                f > 0 ? 100 * res[i].eltwise_flops / f : 0, res[i].merged);
      }
  return g_string_free (s, FALSE);
}

static void
variant_json (JsonBuilder *b, const Variant *v, const Result *r, gboolean split)
{
  gint64 params, macs, flops, br, bw;
  int depth, ops, branches;

  nd_graph_count (v->graph, &params, &macs, NULL);
  nd_graph_cost (v->graph, &flops, &br, &bw);
  nd_graph_structure (v->graph, &depth, &ops, &branches);
  json_builder_begin_object (b);
#define MEMBER_INT(k, x) json_builder_set_member_name (b, k); json_builder_add_int_value (b, x)
#define MEMBER_DBL(k, x) json_builder_set_member_name (b, k); json_builder_add_double_value (b, x)
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, v->label);
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, v->graph->in_c);
  json_builder_add_int_value (b, v->graph->in_h);
  json_builder_add_int_value (b, v->graph->in_w);
  json_builder_end_array (b);
  MEMBER_INT ("params", params);
  MEMBER_INT ("macs", macs);
  MEMBER_INT ("flops", flops);
  MEMBER_INT ("memory_access_bytes", br + bw);
  MEMBER_INT ("weight_depth", depth);
  MEMBER_INT ("ops", ops);
  MEMBER_INT ("branches", branches);
  MEMBER_DBL ("median_ms", r->lat.median);
  MEMBER_DBL ("p25_ms", r->lat.p25);
  MEMBER_DBL ("p75_ms", r->lat.p75);
  MEMBER_DBL ("min_ms", r->lat.min);
  MEMBER_DBL ("max_ms", r->lat.max);
  MEMBER_DBL ("gflops", flops / (r->lat.median * 1e6));
  if (split)
    {
      MEMBER_DBL ("weight_ops_ms", r->conv_ms);
      MEMBER_DBL ("eltwise_ms", r->eltwise_ms);
      MEMBER_INT ("eltwise_flops", r->eltwise_flops);
      MEMBER_INT ("eltwise_merged", r->merged);
    }
#undef MEMBER_INT
#undef MEMBER_DBL
  json_builder_end_object (b);
}

static gboolean
run_experiment (const Experiment *e, NdBackend *backend, int base, int size, int warmup,
                int iters, JsonBuilder *b, GError **error)
{
  g_autoptr(GPtrArray) variants = g_ptr_array_new_with_free_func ((GDestroyNotify) variant_free);
  gboolean split = g_str_equal (e->name, "eltwise");
  g_autofree Result *res = NULL;
  g_autofree char *found = NULL;
  gboolean ok;

  if (!e->build (variants, base, size, error))
    return FALSE;
  res = g_new0 (Result, variants->len);
  ok = run_variants (backend, variants, res, split, warmup, iters, error);
  if (ok)
    {
      found = finding (e, variants, res);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, e->name);
      json_builder_set_member_name (b, "claim");
      json_builder_add_string_value (b, _(e->claim));
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, e->source);
      json_builder_set_member_name (b, "finding");
      json_builder_add_string_value (b, found);
      json_builder_set_member_name (b, "variants");
      json_builder_begin_array (b);
      for (guint i = 0; i < variants->len; i++)
        variant_json (b, g_ptr_array_index (variants, i), &res[i], split);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  for (guint i = 0; i < variants->len; i++)
    {
      g_clear_pointer (&res[i].plan, nd_plan_free);
      g_clear_pointer (&res[i].input, nd_tensor_unref);
      g_free (res[i].totals);
    }
  return ok;
}

/* @s left-aligned in @width characters (not bytes: the labels hold × and →). */
static char *
pad (const char *s, int width)
{
  int n = (int) g_utf8_strlen (s, -1);

  return g_strdup_printf ("%s%*s", s, MAX (width - n, 0), "");
}

static void
print_text (JsonObject *root)
{
  JsonArray *exps = json_object_get_array_member (root, "experiments");

  printf (_("%s, %s, %s, %s\n"), json_object_get_string_member (root, "device"),
          json_object_get_string_member (root, "precision"),
          json_object_get_string_member (root, "date"),
          _("median of repeated runs, variants alternating"));
  for (guint i = 0; i < json_array_get_length (exps); i++)
    {
      JsonObject *e = json_array_get_object_element (exps, i);
      JsonArray *vs = json_object_get_array_member (e, "variants");

      printf ("\n%s\n", json_object_get_string_member (e, "name"));
      printf (_("  claim: %s (%s)\n"), json_object_get_string_member (e, "claim"),
              json_object_get_string_member (e, "source"));
      printf ("  %-28s %9s %9s %10s %17s %9s\n", _("variant"), "MFLOPs", _("MAC MB"),
              _("median ms"), _("IQR ms"), "GFLOP/s");
      for (guint k = 0; k < json_array_get_length (vs); k++)
        {
          JsonObject *v = json_array_get_object_element (vs, k);
          g_autofree char *label = pad (json_object_get_string_member (v, "label"), 28);
          g_autofree char *iqr = g_strdup_printf ("%.3f–%.3f",
                                                  json_object_get_double_member (v, "p25_ms"),
                                                  json_object_get_double_member (v, "p75_ms"));

          printf ("  %s %9.1f %9.2f %10.3f %17s %9.1f\n", label,
                  json_object_get_int_member (v, "flops") / 1e6,
                  json_object_get_int_member (v, "memory_access_bytes") / 1e6,
                  json_object_get_double_member (v, "median_ms"), iqr,
                  json_object_get_double_member (v, "gflops"));
        }
      printf (_("  this machine: %s\n"), json_object_get_string_member (e, "finding"));
    }
}

/* `guideline NAME|all`: JSON keys: backend, device, threads, precision, date, iters,
 * warmup, channels, size, experiments[{name, claim, source, finding, variants[{label, input,
 * params, macs, flops, memory_access_bytes, weight_depth, ops, branches, median_ms, p25_ms,
 * p75_ms, min_ms, max_ms, gflops (eltwise also: weight_ops_ms, eltwise_ms, eltwise_flops,
 * eltwise_merged)}]}]. */
int
nd_cli_guideline (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  int iters = 10, warmup = 2, base = 128, size = 28, status = 0;
  GOptionEntry entries[] = {
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs per variant (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 2)"), "N" },
    { "channels", 0, 0, G_OPTION_ARG_INT, &base, N_("Base channel width (default 128)"), "C" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, N_("Feature map side (default 28)"), "S" },
    { NULL }
  };
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) names = g_string_new ("all");
  const char *which;

  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    g_string_append_printf (names, ", %s", experiments[i].name);
  if (!nd_cli_parse ("guideline", "NAME", _("Design-guideline experiments on synthetic "
                                            "networks."), model_entries, entries, &argc, &argv))
    return 2;
  which = argc >= 2 ? argv[1] : NULL;
  if (which == NULL || argc > 2)
    {
      status = nd_cli_failf (_("guideline takes one NAME: %s"), names->str);
      goto out;
    }
  if (iters < 1 || iters > 10000 || warmup < 0 || warmup > 10000 || base < 8 || base > 4096
      || size < 1 || size > 512)
    {
      status = nd_cli_failf (_("--iters must be 1–10000, --warmup 0–10000, --channels 8–4096, "
                               "--size 1–512"));
      goto out;
    }
  if (o.fp16)
    {
      status = nd_cli_failf (_("--fp16 is not supported here: the lab counts float32 bytes"));
      goto out;
    }
  if (!g_str_equal (which, "all"))
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
        known |= g_str_equal (which, experiments[i].name);
      if (!known)
        {
          status = nd_cli_failf (_("Unknown guideline “%s”; known: %s"), which, names->str);
          goto out;
        }
    }
  if ((backend = nd_cli_backend_new (&o, &error)) == NULL)
    goto fail;
  json_builder_begin_object (b);
  nd_lab_json_context (b, backend);
#define MEMBER_INT(k, x) json_builder_set_member_name (b, k); json_builder_add_int_value (b, x)
  MEMBER_INT ("iters", iters);
  MEMBER_INT ("warmup", warmup);
  MEMBER_INT ("channels", base);
  MEMBER_INT ("size", size);
#undef MEMBER_INT
  json_builder_set_member_name (b, "experiments");
  json_builder_begin_array (b);
  for (guint i = 0; i < G_N_ELEMENTS (experiments); i++)
    if ((g_str_equal (which, "all") || g_str_equal (which, experiments[i].name))
        && !run_experiment (&experiments[i], backend, base, size, warmup, iters, b, &error))
      goto fail;
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  if (o.json)
    nd_cli_print_json (root);
  else
    print_text (json_node_get_object (root));
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
