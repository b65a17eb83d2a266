/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-cli-lab.h"
#include "nd-test-input.h"

/* What set the compute roof, for the text report. */
static const char *
peak_source_label (const char *source)
{
  if (g_strcmp0 (source, "sgemm") == 0)
    return _("OpenBLAS sgemm");
  if (g_strcmp0 (source, "nd-gemm") == 0)
    return _("the packed GEMM");
  if (g_strcmp0 (source, "shader-fma") == 0)
    return _("the FMA-loop shader");
  return _("a 1×1-conv probe");
}

static void
print_roof (const NdLabRoof *roof, NdBackend *backend)
{
  const NdBackendPeak *m = &roof->machine;
  g_autoptr(GString) how = g_string_new (NULL);
  double conv = 0;

  for (int i = 0; i < roof->n_conv; i++)
    conv = MAX (conv, roof->probe_gflops[i]);
  if (m->gemm_size > 0)
    g_string_append_printf (how, _("sgemm %d³ %.1f, "), m->gemm_size, m->sgemm_gflops);
  if (m->gemm_gflops > 0)
    g_string_append_printf (how, _("packed GEMM %.1f, "), m->gemm_gflops);
  if (m->fma_invocations > 0)
    g_string_append_printf (how, _("FMA-loop shader %.1f, "), m->fma_gflops);
  g_string_append_printf (how, _("best of %d 1×1-conv probes %.1f"), roof->n_conv, conv);
  printf (_("Roof on %s: compute %.1f GFLOP/s from %s (%s), bandwidth %.1f GB/s "
            "(best of %d copy sizes%s), ridge at %.2f FLOP/byte\n"),
          backend->description, roof->peak_gflops, peak_source_label (roof->peak_source),
          how->str, roof->bandwidth_gbs, roof->n_copy,
          roof->memcpy_gbs > 0 ? _(" and a memcpy") : "",
          roof->bandwidth_gbs > 0 ? roof->peak_gflops / roof->bandwidth_gbs : 0);
}

/* One point per op that has a time of its own; returns how many ran inside a neighbour's
 * kernel (no time of their own, so no point). */
static int
add_points (JsonBuilder *b, NdGraph *graph, NdPlan *plan, const double *op_ms,
            const NdLabRoof *roof, gboolean text)
{
  int merged = 0;

  json_builder_set_member_name (b, "points");
  json_builder_begin_array (b);
  for (int k = 1; k < plan->n_nodes; k++)
    {
      const NdNode *node = nd_graph_node (graph, k);
      const char *algo = plan->op_algo[k] ? plan->op_algo[k] : "";
      gint64 flops = nd_node_flops (graph, node), r, w;
      double ms = op_ms[k], ai, pct;

      nd_node_bytes (graph, node, &r, &w);
      if (ms <= 0)
        {
          merged++;   /* run inside a neighbour's kernel: no time of its own */
          continue;
        }
      ai = (double) flops / (r + w);
      pct = nd_lab_roof_percent (roof, flops, r + w, ms);
      json_builder_begin_object (b);
#define MEMBER_STR(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define MEMBER_INT(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define MEMBER_DBL(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)
      MEMBER_INT ("id", k);
      MEMBER_STR ("name", node->name ? node->name : "");
      MEMBER_STR ("op", nd_op_name (node->op));
      MEMBER_STR ("block", node->block ? node->block : "");
      MEMBER_STR ("role", nd_role_name (node->role));
      MEMBER_STR ("algo", algo);
      MEMBER_INT ("flops", flops);
      MEMBER_INT ("bytes", r + w);
      MEMBER_DBL ("intensity", ai);
      MEMBER_DBL ("median_ms", ms);
      MEMBER_DBL ("gflops", flops / (ms * 1e6));
      MEMBER_DBL ("gbs", (r + w) / (ms * 1e6));
      MEMBER_DBL ("attainable_gflops", nd_lab_attainable (roof, flops, r + w));
      MEMBER_DBL ("roof_pct", pct);
      json_builder_set_member_name (b, "effective");
      json_builder_add_boolean_value (b, nd_lab_algo_is_effective (algo));
      /* the backends time ops with a µs clock: below 10 µs a point's rate is ±10 % or worse */
      json_builder_set_member_name (b, "timer_limited");
      json_builder_add_boolean_value (b, ms < 0.01);
      json_builder_end_object (b);
      if (text)
        {
          g_autofree char *label = g_strdup_printf ("%d %s", k, node->name ? node->name
                                                    : node->block ? node->block : "");

          printf ("%-40.40s %-12s %-14s %10.2f %8.3f %9.1f %6.0f%%%s\n", label,
                  nd_op_name (node->op), algo, ai, ms, flops / (ms * 1e6), pct,
                  nd_lab_algo_is_effective (algo) ? " *" : "");
        }
    }
  json_builder_end_array (b);
#undef MEMBER_STR
#undef MEMBER_INT
#undef MEMBER_DBL
  return merged;
}

/* `roofline`: the machine's measured roof and every op of a model under it. JSON keys:
 * model, fused, resolution, iters, backend, device, threads, precision, date,
 * roof{peak_gflops, bandwidth_gbs, ridge_intensity, conv_probes_gflops, copy_probes[{bytes,
 * gbs}], memcpy_gbs, peak_source, sgemm_gflops, nd_gemm_gflops, gemm_size, shader_fma_gflops,
 * shader_fma_invocations, shader_fma_timer}, merged_ops, points[{id, name, op, block, role, algo, flops, bytes,
 * intensity, median_ms, gflops, gbs, attainable_gflops, roof_pct, effective, timer_limited}]. */
int
nd_cli_roofline (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  int iters = 10, warmup = 2, status = 0, merged = 0;
  GOptionEntry entries[] = {
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 2)"), "N" },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree double *op_ms = NULL;
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };
  NdLabRoof roof;

  if (!nd_cli_parse ("roofline", NULL,
                     _("Measure this machine's roof and place every op of a model under it."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if (iters < 1 || iters > 10000 || warmup < 0 || warmup > 10000)
    {
      status = nd_cli_failf (_("--iters must be 1–10000, --warmup 0–10000"));
      goto out;
    }
  if (o.fp16)
    {
      status = nd_cli_failf (_("--fp16 is not supported here: the lab counts float32 bytes"));
      goto out;
    }
  if ((model = nd_cli_model_load (&o, 0, &error)) == NULL
      || (backend = nd_cli_backend_new (&o, &error)) == NULL
      || !nd_lab_measure_roof (backend, &roof, &error)
      || (plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error)) == NULL)
    goto fail;
  input = nd_test_input_new (1, model->graph->in_c, model->graph->in_h, model->graph->in_w,
                             &error);
  if (input == NULL)
    goto fail;
  op_ms = g_new0 (double, plan->n_nodes);
  if (!nd_lab_time_plan (plan, input, warmup, iters, NULL, op_ms, &error))
    goto fail;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->spec.name);
  json_builder_set_member_name (b, "fused");
  json_builder_add_boolean_value (b, model->graph->fused);
  json_builder_set_member_name (b, "resolution");
  json_builder_add_int_value (b, model->graph->in_h);
  json_builder_set_member_name (b, "iters");
  json_builder_add_int_value (b, iters);
  nd_lab_json_context (b, backend);
  nd_lab_json_roof (b, &roof);
  if (!o.json)
    {
      print_roof (&roof, backend);
      printf ("%-40s %-12s %-14s %10s %8s %9s %7s\n", _("op"), _("kind"), _("algorithm"),
              _("FLOP/byte"), _("ms"), "GFLOP/s", _("of roof"));
    }
  merged = add_points (b, model->graph, plan, op_ms, &roof, !o.json);
  json_builder_set_member_name (b, "merged_ops");
  json_builder_add_int_value (b, merged);
  json_builder_end_object (b);
  if (o.json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      nd_cli_print_json (root);
    }
  else
    printf (_("%d ops run inside a neighbour's kernel (no time of their own); * marks an "
              "algorithm that does fewer multiplies than counted (an effective rate)\n"), merged);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
