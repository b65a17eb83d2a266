/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gi18n.h>

#include "nd-backend-cpu.h"
#include "nd-cli.h"
#include "nd-cli-lab.h"
#include "nd-test-input.h"

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Warm-up runs, then `iters` timed ones: wall time into @totals and, where @per_node is
 * given ([n_nodes × iters]), each node's time. */
static gboolean
time_runs (NdPlan *plan, const NdTensor *input, int warmup, int iters, double *totals,
           double *per_node, double *per_dev, GError **error)
{
  for (int i = 0; i < warmup; i++)
    if (!nd_plan_run (plan, input, error))
      return FALSE;
  for (int i = 0; i < iters; i++)
    {
      if (!nd_plan_run (plan, input, error))
        return FALSE;
      totals[i] = plan->total_ms;
      if (per_node != NULL)
        for (int k = 0; k < plan->n_nodes; k++)
          per_node[(gsize) k * iters + i] = plan->op_ms[k];
      /* a plan split over devices: [device][run, wait, transfer][iteration] */
      for (int d = 0; per_dev != NULL && d < plan->n_devices; d++)
        {
          per_dev[(d * 3 + 0) * iters + i] = plan->devices[d].run_ms;
          per_dev[(d * 3 + 1) * iters + i] = plan->devices[d].wait_ms;
          per_dev[(d * 3 + 2) * iters + i] = plan->devices[d].transfer_ms;
        }
    }
  return TRUE;
}

#define ND_BENCH_MAX_STREAMS 8

/* The fixed cost of one run on @backend: the median wall time of a plan of one tiny op (a
 * ReLU on one value), so the upload, one submission (or call), the wait and the readback
 * with nothing to compute. */
static gboolean
measure_fixed_us (NdBackend *backend, double *fixed_us, GError **error)
{
  enum { WARMUP = 20, ITERS = 200 };
  g_autoptr(NdGraph) graph = nd_graph_new (1, 1, 1);
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = nd_tensor_new_4d (1, 1, 1, 1);
  NdPlanOptions popts = { .batch = 1 };
  NdOpParams p = { 0 };
  const int in = 0;
  double totals[ITERS];

  graph->output = nd_graph_add (graph, ND_OP_RELU, &p, &in, 1, NULL, error);
  if (graph->output < 0)
    return FALSE;
  input->data[0] = -1.0f;
  plan = nd_backend_prepare (backend, graph, &popts, error);
  if (plan == NULL || !time_runs (plan, input, WARMUP, ITERS, totals, NULL, NULL, error))
    return FALSE;
  *fixed_us = median (totals, ITERS) * 1000.0;
  return TRUE;
}

/* `bench`: latency of one model on one backend. JSON keys: model, fused, backend, device,
 * blas_core, resolution, batch, iters, warmup, median_ms, min_ms, max_ms, mean_ms, macs,
 * gflops, prepare_ms, fixed_us, matmul (Vulkan), ops[{id, name, op, block, role, stream, algo,
 * variant (the tuned kernel variant, or null), device, median_ms, gflops, roof_pct}],
 * op_sum_ms, streams[{stream (-1 = shared), ms}], ops_on{cpu, vulkan}, activation_mib,
 * activation_mib_unshared, dispatches, barriers, kernels ("rules", "tuned", "tuned earlier",
 * "forced"), tuned_ops, tune_ms (Vulkan; null elsewhere), roof{…} (as roofline's), and with
 * --devices devices[{entry, index, name, streams[], run_ms, wait_ms, transfer_ms}] (medians). */
static const char *
device_name (NdDeviceKind kind)
{
  return kind == ND_DEVICE_KIND_CPU ? "cpu" : "vulkan";
}

/* Where the ops ran (a Vulkan plan runs the ops its device cannot on the CPU) and the
 * activation memory the buffer planner saved. */
static void
print_split (JsonBuilder *b, NdPlan *plan, gboolean json)
{
  int on_cpu = nd_plan_count_on (plan, ND_DEVICE_KIND_CPU);
  int on_vk = nd_plan_count_on (plan, ND_DEVICE_KIND_VULKAN);
  double mib = plan->activation_bytes / 1048576.0;
  double unshared = plan->activation_bytes_unshared / 1048576.0;

  json_builder_set_member_name (b, "ops_on");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cpu");
  json_builder_add_int_value (b, on_cpu);
  json_builder_set_member_name (b, "vulkan");
  json_builder_add_int_value (b, on_vk);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "activation_mib");
  json_builder_add_double_value (b, mib);
  json_builder_set_member_name (b, "activation_mib_unshared");
  json_builder_add_double_value (b, unshared);
  if (json)
    return;
  if (on_vk > 0)
    printf (_("ops run on Vulkan: %d, on the CPU: %d\n"), on_vk, on_cpu);
  printf (_("activation buffers: %.1f MiB (%.1f MiB without reuse)\n"), mib, unshared);
}

#define MEMBER_STR(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define MEMBER_INT(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define MEMBER_DBL(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)

/* Members that are null where a backend has no such value (the CPU's layout on Vulkan, …). */
static void
member_str_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
member_int_or_null (JsonBuilder *b, const char *name, gboolean have, gint64 value)
{
  json_builder_set_member_name (b, name);
  if (!have)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, value);
}

static void
member_dbl_or_null (JsonBuilder *b, const char *name, gboolean have, double value)
{
  json_builder_set_member_name (b, name);
  if (!have)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

static void
add_shape (JsonBuilder *b, const char *key, const NdNode *node)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  json_builder_add_int_value (b, node->out_c);
  json_builder_add_int_value (b, node->out_h);
  json_builder_add_int_value (b, node->out_w);
  json_builder_end_array (b);
}

/* The per-op rows of @ops (medians over @iters runs in @per_node), then op_sum_ms and the
 * per-stream sums, into the open "ops" array of @b and the object around it (@per_node is
 * sorted in place). */
static void
add_ops (JsonBuilder *b, gboolean json, const NdGraph *graph, const NdBackend *backend,
         const NdPlan *ops, double *per_node, int iters, int batch,
         const NdLabRoof *roof)
{
  double stream_ms[ND_BENCH_MAX_STREAMS + 1] = { 0 };   /* [0] shared, [1 + s] stream s */
  double op_sum = 0;

  for (int k = 1; k < ops->n_nodes; k++)
    {
      const NdNode *node = nd_graph_node (graph, k);
      double op_med = median (per_node + (gsize) k * iters, iters);
      gint64 op_macs = nd_node_macs (graph, node) * batch;
      double gf = op_med > 0 ? 2.0 * op_macs / (op_med * 1e6) : 0;
      gint64 op_r, op_w;
      double pct;

      nd_node_bytes (graph, node, &op_r, &op_w);
      pct = nd_lab_roof_percent (roof, nd_node_flops (graph, node) * batch,
                                 (op_r + op_w) * batch, op_med);

      json_builder_begin_object (b);
      MEMBER_INT ("id", k);
      MEMBER_STR ("name", node->name ? node->name : "");
      MEMBER_STR ("op", nd_op_name (node->op));
      MEMBER_STR ("block", node->block ? node->block : "");
      MEMBER_STR ("role", nd_role_name (node->role));
      json_builder_set_member_name (b, "stream");
      json_builder_add_int_value (b, node->stream);
      MEMBER_STR ("algo", ops->op_algo[k] ? ops->op_algo[k] : "");
      member_str_or_null (b, "variant", ops->op_variant[k]);
      MEMBER_STR ("device", device_name (ops->op_device[k]));
      MEMBER_DBL ("median_ms", op_med);
      MEMBER_DBL ("gflops", gf);
      MEMBER_DBL ("roof_pct", pct);
      MEMBER_INT ("macs", op_macs);
      /* [C, H, W] of the op's first input and of its output: tools match ops to other
       * engines' by them */
      add_shape (b, "in_shape", nd_graph_node (graph, node->n_inputs > 0 ? node->inputs[0] : 0));
      add_shape (b, "out_shape", node);
      json_builder_end_object (b);
      if (!json)
        {
          g_autofree char *label = g_strdup_printf ("%d %s", k,
                                                    node->name ? node->name : node->block ? node->block : "");

          gboolean tuned = ops->op_variant[k] != NULL;
          g_autofree char *algo = g_strdup_printf ("%s%s%s%s",
                                                   ops->op_algo[k] ? ops->op_algo[k] : "",
                                                   tuned ? " · " : "",
                                                   tuned ? ops->op_variant[k] : "",
                                                   ops->op_device[k] != backend->kind
                                                   ? " (cpu)" : "");

          printf ("%-40.40s %-18s %-16s %10.3f %9.1f %6.0f%%\n", label, nd_op_name (node->op),
                  algo, op_med, gf, pct);
        }
      if (node->stream < ND_BENCH_MAX_STREAMS)
        stream_ms[node->stream + 1] += op_med;
      op_sum += op_med;
    }
  json_builder_end_array (b);
  /* Per-stream GPU (or CPU) time: the sum of each stream's op medians. With the
   * streams serialised for timing, op_sum_ms against median_ms shows the overlap won. */
  MEMBER_DBL ("op_sum_ms", op_sum);
  json_builder_set_member_name (b, "streams");
  json_builder_begin_array (b);
  for (int s = 0; s <= ND_BENCH_MAX_STREAMS; s++)
    if (stream_ms[s] > 0)
      {
        json_builder_begin_object (b);
        MEMBER_INT ("stream", s - 1);
        MEMBER_DBL ("ms", stream_ms[s]);
        json_builder_end_object (b);
        if (!json)
          {
            if (s == 0)
              printf (_("shared (stem, fusion, head): %.3f ms\n"), stream_ms[s]);
            else
              printf (_("stream %d: %.3f ms\n"), s - 1, stream_ms[s]);
          }
      }
  json_builder_end_array (b);
}

/* A plan split over devices (--devices): each device's streams and median times. */
static void
add_devices (JsonBuilder *b, gboolean json, const NdPlan *plan, double *per_dev, int iters)
{
  if (plan->n_devices == 0)
    return;
  json_builder_set_member_name (b, "devices");
  json_builder_begin_array (b);
  for (int d = 0; d < plan->n_devices; d++)
    {
      const NdPlanDevice *dev = &plan->devices[d];
      double run = median (per_dev + (gsize) (d * 3 + 0) * iters, iters);
      double wait = median (per_dev + (gsize) (d * 3 + 1) * iters, iters);
      double transfer = median (per_dev + (gsize) (d * 3 + 2) * iters, iters);
      g_autoptr(GString) streams = g_string_new (NULL);

      json_builder_begin_object (b);
      MEMBER_INT ("entry", d);
      MEMBER_INT ("index", dev->index);
      MEMBER_STR ("name", dev->name);
      json_builder_set_member_name (b, "streams");
      json_builder_begin_array (b);
      for (int s = 0; s < 32; s++)
        if (dev->streams & (1u << s))
          {
            json_builder_add_int_value (b, s);
            g_string_append_printf (streams, "%s%d", streams->len ? "," : "", s);
          }
      json_builder_end_array (b);
      MEMBER_DBL ("run_ms", run);
      MEMBER_DBL ("wait_ms", wait);
      MEMBER_DBL ("transfer_ms", transfer);
      json_builder_end_object (b);
      if (!json)
        printf (_("device %d (%s): streams %s; run %.3f ms, the first device waited %.3f ms, "
                  "transfer %.3f ms\n"), dev->index, dev->name, streams->str, run, wait,
                transfer);
    }
  json_builder_end_array (b);
}

int
nd_cli_bench (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  int iters = 20, warmup = 3, batch = 1, status = 0;
  g_autofree char *streams_mode = NULL;
  GOptionEntry entries[] = {
    { "iters", 'n', 0, G_OPTION_ARG_INT, &iters, N_("Timed runs (default 20)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed runs first (default 3)"), "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Images per run (default 1)"), "N" },
    { "streams-mode", 0, 0, G_OPTION_ARG_STRING, &streams_mode,
      N_("CPU: run ParNet's streams concurrently, in sequence, or whichever timed faster "
         "(default auto)"), "auto|concurrent|sequential" },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdPlan) op_plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *totals = NULL;
  g_autofree double *per_node = NULL;   /* [n_nodes × iters] */
  g_autofree double *per_dev = NULL;    /* [n_devices × 3 × iters] */
  NdPlanOptions popts = { .batch = 1, .timings = TRUE };
  gint64 macs;
  double med, min, max, mean = 0, fixed_us;
  gboolean separate;
  NdLabRoof roof;
  int n;

  if (!nd_cli_parse ("bench", NULL, _("Measure a model's latency: median of repeated runs."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if (iters < 1 || iters > 100000 || warmup < 0 || warmup > 100000 || batch < 1
      || batch > ND_CLI_MAX_BATCH)
    {
      status = nd_cli_failf (_("--iters must be 1–100000, --warmup 0–100000, --batch 1–%d"),
                             ND_CLI_MAX_BATCH);
      goto out;
    }
  if (streams_mode != NULL && !nd_streams_mode_parse (streams_mode, &popts.streams, &error))
    goto fail;
  o.batch = batch;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    goto fail;
  backend = nd_cli_backend_new (&o, &error);
  if (backend == NULL)
    goto fail;
  popts.batch = batch;
  /* On a GPU the per-op timestamps need a full barrier around every dispatch, which
   * serialises ParNet's streams: the latency is timed on a plan without them, and the
   * per-op breakdown on a second plan. The CPU runs ops in order anyway, so one plan. */
  separate = backend->timings_serialize;
  popts.timings = !separate;
  plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
  if (plan == NULL)
    goto fail;
  input = nd_test_input_new (batch, model->graph->in_c, model->graph->in_h, model->graph->in_w,
                             &error);
  if (input == NULL)
    goto fail;
  n = plan->n_nodes;
  totals = g_new (double, iters);
  per_node = g_new0 (double, (gsize) n * iters);
  per_dev = g_new0 (double, (gsize) 3 * MAX (plan->n_devices, 1) * iters);
  if (!time_runs (plan, input, warmup, iters, totals, separate ? NULL : per_node, per_dev,
                  &error))
    goto fail;
  if (separate)
    {
      g_autofree double *unused = g_new (double, iters);

      popts.timings = TRUE;
      op_plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
      if (op_plan == NULL
          || !time_runs (op_plan, input, warmup, iters, unused, per_node, NULL, &error))
        goto fail;
    }
  /* after the model's runs, so the probes do not warm or cool what the model sees */
  if (!nd_lab_measure_roof (backend, &roof, &error)
      || !measure_fixed_us (backend, &fixed_us, &error))
    goto fail;
  for (int i = 0; i < iters; i++)
    mean += totals[i] / iters;
  nd_graph_count (model->graph, NULL, &macs, NULL);
  macs *= batch;
  med = median (totals, iters);
  min = totals[0];
  max = totals[iters - 1];

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    const char *core = backend->kind == ND_DEVICE_KIND_CPU ? nd_cpu_blas_corename () : NULL;
    NdPlan *ops = separate ? op_plan : plan;

    json_builder_begin_object (b);
    MEMBER_STR ("model", model->spec.name);
    json_builder_set_member_name (b, "fused");
    json_builder_add_boolean_value (b, model->graph->fused);
    MEMBER_STR ("backend", backend->name);
    MEMBER_STR ("device", backend->description);
    if (backend->matmul != NULL)
      {
        MEMBER_STR ("matmul", backend->matmul);
      }
    if (core != NULL)
      {
        MEMBER_STR ("blas_core", core);
      }
    MEMBER_INT ("resolution", model->graph->in_h);
    MEMBER_INT ("batch", batch);
    MEMBER_INT ("iters", iters);
    MEMBER_INT ("warmup", warmup);
    MEMBER_DBL ("median_ms", med);
    MEMBER_DBL ("min_ms", min);
    MEMBER_DBL ("max_ms", max);
    MEMBER_DBL ("mean_ms", mean);
    MEMBER_DBL ("prepare_ms", plan->prepare_ms);
    MEMBER_DBL ("fixed_us", fixed_us);
    MEMBER_INT ("macs", macs);
    MEMBER_DBL ("gflops", 2.0 * macs / (med * 1e6));
    /* streams_mode, streams_reason: null where the plan runs no streams in parallel */
    MEMBER_STR ("streams_requested", nd_streams_mode_name (popts.streams));
    member_str_or_null (b, "streams_mode", plan->streams_mode == ND_STREAMS_AUTO ? NULL
                        : nd_streams_mode_name (plan->streams_mode));
    member_str_or_null (b, "streams_reason", plan->streams_reason);
    /* layout, layout_reason, layout_ms {nchw, nc16}: CPU plans; null elsewhere, layout_ms
     * null unless the two layouts were timed */
    member_str_or_null (b, "layout", plan->layout);
    member_str_or_null (b, "layout_reason", plan->layout_reason);
    json_builder_set_member_name (b, "layout_ms");
    if (plan->layout_ms[0] <= 0)
      json_builder_add_null_value (b);
    else
      {
        json_builder_begin_object (b);
        MEMBER_DBL ("nchw", plan->layout_ms[0]);
        MEMBER_DBL ("nc16", plan->layout_ms[1]);
        json_builder_end_object (b);
      }
    /* dispatches, barriers: per run, Vulkan plans; null elsewhere */
    member_int_or_null (b, "dispatches", plan->dispatches > 0, plan->dispatches);
    member_int_or_null (b, "barriers", plan->dispatches > 0, plan->barriers);
    /* kernels, tuned_ops, tune_ms: how a Vulkan plan chose its convolutions' kernels */
    member_str_or_null (b, "kernels", plan->kernels);
    member_int_or_null (b, "tuned_ops", plan->kernels != NULL, plan->tuned_ops);
    member_dbl_or_null (b, "tune_ms", plan->kernels != NULL, plan->tune_ms);
    json_builder_set_member_name (b, "ops");
    json_builder_begin_array (b);
    if (!o.json)
      {
        printf (_("%s, %s form, %d×%d, batch %d on %s\n"), model->spec.name,
                model->graph->fused ? _("fused") : _("training"), model->graph->in_h,
                model->graph->in_w, batch, backend->description);
        printf ("%-40s %-18s %-16s %10s %9s %7s\n", _("op"), _("kind"), _("algorithm"),
                _("median ms"), "GFLOP/s", _("of roof"));
      }
    add_ops (b, o.json, model->graph, backend, ops, per_node, iters, batch, &roof);
    nd_lab_json_roof (b, &roof);
    print_split (b, ops, o.json);
    add_devices (b, o.json, plan, per_dev, iters);
    json_builder_end_object (b);
    if (o.json)
      {
        g_autoptr(JsonNode) root = json_builder_get_root (b);

        nd_cli_print_json (root);
      }
    else
      printf (_("median %.3f ms (min %.3f, max %.3f) over %d runs after %d warm-up; "
                "%.1f GFLOP/s; plan prepared in %.1f ms%s%s\n"),
              med, min, max, iters, warmup, 2.0 * macs / (med * 1e6), plan->prepare_ms,
              core ? _("; OpenBLAS core ") : "", core ? core : "");
  if (!o.json && plan->streams_mode != ND_STREAMS_AUTO)
    printf (_("streams: %s (%s)\n"), nd_streams_mode_name (plan->streams_mode),
            plan->streams_reason);
  if (!o.json && plan->layout != NULL && plan->layout_ms[0] > 0)
    /* TRANSLATORS: the CPU's activation layout, nchw or nc16 (channel-blocked), chosen by
     * timing both */
    printf (_("layout: %s (timed at prepare: NCHW %.2f ms, channel-blocked %.2f ms)\n"),
            plan->layout, plan->layout_ms[0], plan->layout_ms[1]);
  else if (!o.json && plan->layout != NULL)
    printf (_("layout: %s (%s)\n"), plan->layout, plan->layout_reason);
  if (!o.json && plan->dispatches > 0)
    printf (_("per run: %d compute dispatches, %d barriers between them\n"), plan->dispatches,
            plan->barriers);
  if (!o.json && plan->kernels != NULL && g_str_equal (plan->kernels, "tuned"))
    printf (_("kernels: timed at prepare in %.1f s; %d convolutions run another kernel than "
              "the rules'\n"), plan->tune_ms / 1000.0, plan->tuned_ops);
  else if (!o.json && plan->kernels != NULL && g_str_equal (plan->kernels, "tuned earlier"))
    printf (_("kernels: as timed earlier on this device; %d convolutions run another kernel "
              "than the rules'\n"), plan->tuned_ops);
  if (!o.json)
    printf (_("fixed cost: %.1f µs per run (median of one tiny op: upload, submit, wait, "
              "readback)\n"), fixed_us);
  }
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}

#undef MEMBER_STR
#undef MEMBER_INT
#undef MEMBER_DBL
