/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-backend.h"
#include "nd-backend-cpu.h"
#include "nd-error.h"
#if ND_HAVE_VULKAN
#include "nd-backend-vulkan.h"
#endif

NdBackend *
nd_backend_new (const char *name, int device, GError **error)
{
  g_return_val_if_fail (name != NULL, NULL);

  if (g_str_equal (name, "cpu"))
    return nd_cpu_backend_new (0, FALSE);
  if (g_str_equal (name, "cpu-ref"))
    return nd_cpu_backend_new (1, TRUE);
  if (g_str_equal (name, "vulkan"))
    {
#if ND_HAVE_VULKAN
      return nd_vulkan_backend_new (device, error);
#else
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_DEVICE_UNAVAILABLE,
                           _("This build has no Vulkan backend"));
      return NULL;
#endif
    }
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
               _("Unknown backend “%s” (expected cpu or vulkan)"), name);
  return NULL;
}

void
nd_backend_free (NdBackend *backend)
{
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;

  if (backend == NULL)
    return;
  name = backend->name;
  description = backend->description;
  backend->klass->free (backend);
}

NdPlan *
nd_backend_prepare (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options,
                    GError **error)
{
  static const NdPlanOptions defaults = { .batch = 1 };
  gint64 start = g_get_monotonic_time ();
  NdPlan *plan;

  g_return_val_if_fail (backend != NULL && graph != NULL, NULL);
  if (options == NULL)
    options = &defaults;
  if (options->batch < 1 || options->batch > 4096)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("Batch size %d is out of range (1–4096)"), options->batch);
      return NULL;
    }
  for (int i = 0; i < options->n_capture; i++)
    if (options->capture[i] < 0 || options->capture[i] >= nd_graph_n_nodes (graph))
      {
        g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                     _("No node %d to capture"), options->capture[i]);
        return NULL;
      }
  if (options->fp16 && !backend->fp16_storage)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("fp16 storage needs a device with 16-bit storage buffers (%s); run in "
                     "fp32"), backend->description);
      return NULL;
    }
  plan = backend->klass->prepare (backend, graph, options, error);
  if (plan != NULL)
    plan->prepare_ms = (g_get_monotonic_time () - start) / 1000.0;
  return plan;
}

gboolean
nd_plan_check_input (NdPlan *plan, const NdTensor *input, GError **error)
{
  const NdGraph *g = plan->graph;

  if (input->ndim != 4 || input->shape[0] != plan->batch || input->shape[1] != g->in_c
      || input->shape[2] != g->in_h || input->shape[3] != g->in_w)
    {
      g_autofree char *have = nd_tensor_shape_string (input);

      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("Input is %s but the model expects [%d, %d, %d, %d]"), have,
                   plan->batch, g->in_c, g->in_h, g->in_w);
      return FALSE;
    }
  return TRUE;
}

gboolean
nd_plan_run (NdPlan *plan, const NdTensor *input, GError **error)
{
  gint64 start;
  gboolean ok;

  g_return_val_if_fail (plan != NULL && input != NULL, FALSE);
  if (!nd_plan_check_input (plan, input, error))
    return FALSE;
  start = g_get_monotonic_time ();
  ok = plan->backend->klass->run (plan, input, error);
  plan->total_ms = (g_get_monotonic_time () - start) / 1000.0;
  return ok;
}

gboolean
nd_backend_supports_op (NdBackend *backend, const NdGraph *graph, const NdNode *node, int batch)
{
  g_return_val_if_fail (backend != NULL && node != NULL, FALSE);
  return backend->klass->supports_op == NULL
         || backend->klass->supports_op (backend, graph, node, batch);
}

int
nd_plan_count_on (NdPlan *plan, NdDeviceKind kind)
{
  int n = 0;

  for (int i = 1; i < plan->n_nodes; i++)
    n += plan->op_device[i] == kind && g_strcmp0 (plan->op_algo[i], "fused") != 0;
  return n;
}

NdTensor *
nd_plan_get_captured (NdPlan *plan, int node)
{
  g_return_val_if_fail (node >= 0 && node < plan->n_nodes, NULL);
  return plan->captured[node];
}

void
nd_plan_free (NdPlan *plan)
{
  if (plan != NULL)
    plan->backend->klass->plan_free (plan);
}

void
nd_plan_init_common (NdPlan *plan, NdBackend *backend, NdGraph *graph,
                     const NdPlanOptions *options)
{
  int n = nd_graph_n_nodes (graph);
  const NdNode *out = nd_graph_node (graph, graph->output);

  plan->backend = backend;
  plan->graph = nd_graph_ref (graph);
  plan->batch = options->batch;
  plan->n_nodes = n;
  plan->timings = options->timings;
  plan->output = nd_tensor_new_4d (options->batch, out->out_c, out->out_h, out->out_w);
  if (out->out_h == 1 && out->out_w == 1)
    {
      int64_t shape[2] = { options->batch, out->out_c };

      nd_tensor_reshape (plan->output, 2, shape);
    }
  plan->captured = g_new0 (NdTensor *, n);
  plan->capture_mask = g_new0 (gboolean, n);
  plan->op_ms = g_new0 (double, n);
  plan->op_algo = g_new0 (const char *, n);
  plan->op_variant = g_new0 (const char *, n);
  plan->op_device = g_new (NdDeviceKind, n);
  for (int i = 0; i < n; i++)
    plan->op_device[i] = backend->kind;
  for (int i = 0; i < options->n_capture; i++)
    plan->capture_mask[options->capture[i]] = TRUE;
}

void
nd_plan_clear_common (NdPlan *plan)
{
  for (int i = 0; i < plan->n_nodes; i++)
    g_clear_pointer (&plan->captured[i], nd_tensor_unref);
  g_clear_pointer (&plan->captured, g_free);
  g_clear_pointer (&plan->capture_mask, g_free);
  g_clear_pointer (&plan->op_ms, g_free);
  g_clear_pointer (&plan->op_algo, g_free);
  g_clear_pointer (&plan->op_variant, g_free);
  g_clear_pointer (&plan->op_device, g_free);
  g_clear_pointer (&plan->output, nd_tensor_unref);
  g_clear_pointer (&plan->graph, nd_graph_unref);
}

static const char *const streams_mode_names[] = { "auto", "concurrent", "sequential" };

const char *
nd_streams_mode_name (NdStreamsMode mode)
{
  g_return_val_if_fail ((guint) mode < G_N_ELEMENTS (streams_mode_names), NULL);
  return streams_mode_names[mode];
}

gboolean
nd_streams_mode_parse (const char *name, NdStreamsMode *mode, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (streams_mode_names); i++)
    if (name != NULL && g_str_equal (name, streams_mode_names[i]))
      {
        *mode = (NdStreamsMode) i;
        return TRUE;
      }
  g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
               _("Unknown streams mode “%s” (auto, concurrent or sequential)"),
               name ? name : "");
  return FALSE;
}
