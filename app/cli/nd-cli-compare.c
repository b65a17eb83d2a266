/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-lab.h"
#include "nd-quoted.h"
#include "nd-test-input.h"

typedef struct
{
  NdCliModel *model;
  NdPlan     *plan;
  NdTensor   *input;
  double     *totals;
  NdLabSpread lat;
  gint64      params, macs, flops, bytes;
  int         weight_depth, ops, branches;
} Row;

static void
row_clear (Row *r)
{
  g_clear_pointer (&r->plan, nd_plan_free);
  g_clear_pointer (&r->input, nd_tensor_unref);
  g_clear_pointer (&r->model, nd_cli_model_free);
  g_clear_pointer (&r->totals, g_free);
}

static void
row_json (JsonBuilder *b, const Row *r)
{
  const NdQuotedTop1 *q = nd_quoted_top1 (r->model->spec.name);

  json_builder_begin_object (b);
#define MEMBER_STR(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define MEMBER_INT(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define MEMBER_DBL(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)
  MEMBER_STR ("model", r->model->spec.name);
  json_builder_set_member_name (b, "fused");
  json_builder_add_boolean_value (b, r->model->graph->fused);
  MEMBER_INT ("resolution", r->model->graph->in_h);
  MEMBER_INT ("params", r->params);
  MEMBER_INT ("macs", r->macs);
  MEMBER_DBL ("gmacs", r->macs / 1e9);
  MEMBER_INT ("flops", r->flops);
  MEMBER_INT ("memory_access_bytes", r->bytes);
  MEMBER_DBL ("memory_access_mb", r->bytes / 1e6);
  MEMBER_INT ("weight_depth", r->weight_depth);
  MEMBER_INT ("ops", r->ops);
  MEMBER_INT ("branches", r->branches);
  MEMBER_DBL ("median_ms", r->lat.median);
  MEMBER_DBL ("p25_ms", r->lat.p25);
  MEMBER_DBL ("p75_ms", r->lat.p75);
  MEMBER_DBL ("min_ms", r->lat.min);
  MEMBER_DBL ("max_ms", r->lat.max);
  MEMBER_DBL ("throughput_ips", 1000.0 / r->lat.median);
  json_builder_set_member_name (b, "quoted_top1");
  if (q == NULL)
    json_builder_add_null_value (b);
  else
    {
      json_builder_begin_object (b);
      MEMBER_DBL ("value", q->top1);
      MEMBER_STR ("source", q->source);
      json_builder_set_member_name (b, "verified");
      json_builder_add_boolean_value (b, q->verified);
      json_builder_set_member_name (b, "measured");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
    }
#undef MEMBER_STR
#undef MEMBER_INT
#undef MEMBER_DBL
  json_builder_end_object (b);
}

static void
print_rows (const Row *rows, int n, gboolean csv, NdBackend *backend, int iters)
{
  if (csv)
    printf ("model,fused,resolution,params,gmacs,flops,memory_access_mb,weight_depth,ops,"
            "branches,median_ms,p25_ms,p75_ms,throughput_ips,quoted_top1,quoted_top1_source\n");
  else
    {
      printf (_("%d runs each, models alternating, on %s\n"), iters, backend->description);
      printf ("%-20s %9s %7s %9s %6s %5s %8s %10s %17s %8s %s\n", _("model"), _("params M"),
              "GMACs", _("MAC MB"), _("depth"), _("ops"), _("branches"), _("median ms"),
              _("IQR ms"), _("img/s"), _("top-1 (quoted)"));
    }
  for (int i = 0; i < n; i++)
    {
      const Row *r = &rows[i];
      const NdQuotedTop1 *q = nd_quoted_top1 (r->model->spec.name);
      g_autofree char *name = g_strdup_printf ("%s%s", r->model->spec.name,
                                               r->model->graph->fused ? _(" (fused)") : "");

      g_autofree char *top1_csv = q ? g_strdup_printf ("%.3f", q->top1) : g_strdup ("");

      if (csv)
        printf ("%s,%s,%d,%" PRId64 ",%.4f,%" PRId64 ",%.2f,%d,%d,%d,"
                "%.4f,%.4f,%.4f,%.2f,%s,\"%s\"\n", r->model->spec.name,
                r->model->graph->fused ? "true" : "false", r->model->graph->in_h, r->params,
                r->macs / 1e9, r->flops, r->bytes / 1e6, r->weight_depth, r->ops, r->branches,
                r->lat.median, r->lat.p25, r->lat.p75, 1000.0 / r->lat.median,
                top1_csv, q ? q->source : "");
      else
        {
          g_autofree char *iqr = g_strdup_printf ("%.3f–%.3f", r->lat.p25, r->lat.p75);
          g_autofree char *top1 = q ? g_strdup_printf ("%.2f%s", q->top1, q->verified ? "" : "?")
                                    : g_strdup ("–");

          printf ("%-20s %9.2f %7.3f %9.1f %6d %5d %8d %10.3f %17s %8.1f %s\n", name,
                  r->params / 1e6, r->macs / 1e9, r->bytes / 1e6, r->weight_depth, r->ops,
                  r->branches, r->lat.median, iqr, 1000.0 / r->lat.median, top1);
        }
    }
  if (!csv)
    printf (_("top-1 is quoted from the papers (ImageNet, trained weights), not measured: "
              "see --json for each source; ? = not checked against the paper\n"));
}

static gboolean
load_rows (NdCliModelOptions *o, char **names, Row *rows, NdBackend *backend, GError **error)
{
  NdPlanOptions popts = { .batch = 1 };

  for (int i = 0; names[i] != NULL; i++)
    {
      Row *r = &rows[i];

      g_free (o->model);
      o->model = g_strdup (g_strstrip (names[i]));
      if ((r->model = nd_cli_model_load (o, 0, error)) == NULL)
        return FALSE;
      nd_graph_count (r->model->graph, &r->params, &r->macs, NULL);
      {
        gint64 br, bw;

        nd_graph_cost (r->model->graph, &r->flops, &br, &bw);
        r->bytes = br + bw;
      }
      nd_graph_structure (r->model->graph, &r->weight_depth, &r->ops, &r->branches);
      /* no per-op timestamps: on a GPU they serialise the streams and cost latency */
      r->plan = nd_backend_prepare (backend, r->model->graph, &popts, error);
      if (r->plan == NULL)
        return FALSE;
      r->input = nd_test_input_new (1, r->model->graph->in_c, r->model->graph->in_h,
                                    r->model->graph->in_w, error);
      if (r->input == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Warm-up for each, then round robin: model 1, 2, …, 1, 2, … so that a machine that
 * speeds up or slows down during the run treats every model alike. */
static gboolean
measure_rows (Row *rows, int n, int warmup, int iters, GError **error)
{
  for (int i = 0; i < n; i++)
    {
      rows[i].totals = g_new0 (double, iters);
      if (!nd_lab_time_plan (rows[i].plan, rows[i].input, warmup, 0, NULL, NULL, error))
        return FALSE;
    }
  for (int it = 0; it < iters; it++)
    for (int i = 0; i < n; i++)
      {
        if (!nd_plan_run (rows[i].plan, rows[i].input, error))
          return FALSE;
        rows[i].totals[it] = rows[i].plan->total_ms;
      }
  for (int i = 0; i < n; i++)
    nd_lab_spread (rows[i].totals, iters, &rows[i].lat);
  return TRUE;
}

#define ND_COMPARE_MAX_MODELS 16

/* `compare`: the models side by side. JSON keys: backend, device, threads, precision, date,
 * iters, warmup, rows[{model, fused, resolution, params, macs, gmacs, flops,
 * memory_access_bytes, memory_access_mb, weight_depth, ops, branches, median_ms, p25_ms,
 * p75_ms, min_ms, max_ms, throughput_ips, quoted_top1{value, source, verified, measured} or
 * null}]. */
int
nd_cli_compare (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *models = NULL;
  g_auto(GStrv) names = NULL;
  gboolean csv = FALSE;
  int iters = 10, warmup = 2, status = 0, n = 0;
  GOptionEntry entries[] = {
    { "models", 0, 0, G_OPTION_ARG_STRING, &models,
      N_("Comma-separated model presets (e.g. parnet-s,resnet-50)"), "M,M,…" },
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs per model (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 2)"), "N" },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &csv, N_("Print CSV"), NULL },
    { NULL }
  };
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  Row rows[ND_COMPARE_MAX_MODELS] = { { 0 } };

  if (!nd_cli_parse ("compare", NULL, _("Compare models: counts, measured latency, quoted "
                                        "accuracy."), model_entries, entries, &argc, &argv))
    return 2;
  if (models == NULL || o.model != NULL || o.weights != NULL)
    {
      status = nd_cli_failf (_("compare takes --models M,M,… (and no --model or --weights)"));
      goto out;
    }
  names = g_strsplit (models, ",", -1);
  n = (int) g_strv_length (names);
  if (n < 1 || n > ND_COMPARE_MAX_MODELS || iters < 1 || iters > 10000 || warmup < 0
      || warmup > 10000)
    {
      status = nd_cli_failf (_("--models takes 1–%d names, --iters 1–10000, --warmup 0–10000"),
                             ND_COMPARE_MAX_MODELS);
      goto out;
    }
  if (o.fp16)
    {
      status = nd_cli_failf (_("--fp16 is not supported here: the lab counts float32 bytes"));
      goto out;
    }
  if ((backend = nd_cli_backend_new (&o, &error)) == NULL
      || !load_rows (&o, names, rows, backend, &error)
      || !measure_rows (rows, n, warmup, iters, &error))
    {
      status = nd_cli_fail (error);
      goto out;
    }
  if (o.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      nd_lab_json_context (b, backend);
      json_builder_set_member_name (b, "iters");
      json_builder_add_int_value (b, iters);
      json_builder_set_member_name (b, "warmup");
      json_builder_add_int_value (b, warmup);
      json_builder_set_member_name (b, "rows");
      json_builder_begin_array (b);
      for (int i = 0; i < n; i++)
        row_json (b, &rows[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
    }
  else
    print_rows (rows, n, csv, backend, iters);
out:
  for (int i = 0; i < n && i < ND_COMPARE_MAX_MODELS; i++)
    row_clear (&rows[i]);
  nd_cli_model_options_clear (&o);
  return status;
}
