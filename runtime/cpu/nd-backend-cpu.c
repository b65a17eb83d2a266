/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <cblas.h>
#include <glib/gi18n-lib.h>

#include "nd-backend-cpu.h"
#include "nd-cpu-kernel.h"
#include "nd-error.h"
#include "nd-ref-ops.h"

typedef struct
{
  NdBackend parent;
  int       n_threads;
  gboolean  reference_only;
} NdCpuBackend;

typedef struct
{
  NdPlan        parent;
  NdCpuKernel **kernels;   /* [n_nodes]; NULL = reference op */
  NdTensor    **buffers;   /* [n_nodes] output of each node (node 0: the input) */
  float        *scratch;
} NdCpuPlan;

static const NdCpuKernelFactory factories[] = {
  nd_cpu_conv_gemm_new,
  nd_cpu_linear_gemm_new,
};

static void
cpu_plan_free (NdPlan *plan)
{
  NdCpuPlan *self = (NdCpuPlan *) plan;

  for (int i = 0; i < plan->n_nodes; i++)
    {
      if (self->kernels[i] != NULL)
        self->kernels[i]->free (self->kernels[i]);
      g_clear_pointer (&self->buffers[i], nd_tensor_unref);
    }
  g_free (self->kernels);
  g_free (self->buffers);
  free (self->scratch);
  nd_plan_clear_common (plan);
  g_free (self);
}

static NdPlan *
cpu_prepare (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options, GError **error)
{
  NdCpuBackend *cpu = (NdCpuBackend *) backend;
  g_autofree NdCpuPlan *self = g_new0 (NdCpuPlan, 1);
  int n = nd_graph_n_nodes (graph);
  gsize scratch = 0;

  nd_plan_init_common (&self->parent, backend, graph, options);
  self->kernels = g_new0 (NdCpuKernel *, n);
  self->buffers = g_new0 (NdTensor *, n);

  for (int i = 1; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int64_t shape[4] = { options->batch, node->out_c, node->out_h, node->out_w };

      self->buffers[i] = nd_tensor_try_new (4, shape, error);
      if (self->buffers[i] == NULL)
        {
          cpu_plan_free (&g_steal_pointer (&self)->parent);
          return NULL;
        }
      if (!cpu->reference_only)
        for (guint f = 0; f < G_N_ELEMENTS (factories) && self->kernels[i] == NULL; f++)
          self->kernels[i] = factories[f] (graph, node, options->batch);
      if (self->kernels[i] != NULL)
        {
          scratch = MAX (scratch, self->kernels[i]->scratch_floats);
          self->parent.op_algo[i] = self->kernels[i]->algo;
        }
      else
        self->parent.op_algo[i] = "ref";
    }
  if (scratch > 0 && posix_memalign ((void **) &self->scratch, 64, scratch * sizeof (float)) != 0)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                           _("Out of memory for convolution scratch space"));
      cpu_plan_free (&g_steal_pointer (&self)->parent);
      return NULL;
    }
  for (int i = 1; i < n; i++)
    if (self->kernels[i] != NULL)
      self->kernels[i]->scratch = self->scratch;
  return &g_steal_pointer (&self)->parent;
}

static gboolean
cpu_run (NdPlan *plan, const NdTensor *input, GError **error)
{
  NdCpuPlan *self = (NdCpuPlan *) plan;
  const NdGraph *graph = plan->graph;

  g_clear_pointer (&self->buffers[0], nd_tensor_unref);
  self->buffers[0] = nd_tensor_ref ((NdTensor *) input);

  for (int i = 1; i < plan->n_nodes; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const NdTensor *in[ND_MAX_INPUTS] = { NULL };
      gint64 start = plan->timings ? g_get_monotonic_time () : 0;

      for (int k = 0; k < node->n_inputs; k++)
        in[k] = self->buffers[node->inputs[k]];
      if (self->kernels[i] != NULL)
        self->kernels[i]->run (self->kernels[i], node, in, self->buffers[i]);
      else
        nd_ref_op (node, in, self->buffers[i]);
      if (plan->timings)
        plan->op_ms[i] = (g_get_monotonic_time () - start) / 1000.0;
    }

  memcpy (plan->output->data, self->buffers[graph->output]->data,
          plan->output->numel * sizeof (float));
  for (int i = 0; i < plan->n_nodes; i++)
    if (plan->capture_mask[i])
      {
        g_clear_pointer (&plan->captured[i], nd_tensor_unref);
        plan->captured[i] = nd_tensor_copy (self->buffers[i]);
      }
  g_clear_pointer (&self->buffers[0], nd_tensor_unref);
  return TRUE;
}

static void
cpu_free (NdBackend *backend)
{
  g_free (backend);
}

static const NdBackendClass cpu_class = {
  .name = "cpu",
  .prepare = cpu_prepare,
  .run = cpu_run,
  .plan_free = cpu_plan_free,
  .free = cpu_free,
};

NdBackend *
nd_cpu_backend_new (int n_threads, gboolean reference_only)
{
  NdCpuBackend *self = g_new0 (NdCpuBackend, 1);

  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  self->n_threads = n_threads;
  self->reference_only = reference_only;
  self->parent.klass = &cpu_class;
  self->parent.name = g_strdup (reference_only ? "cpu-ref" : "cpu");
  if (reference_only)
    self->parent.description = g_strdup (_("CPU, naive reference ops"));
  else
    self->parent.description = g_strdup_printf (_("CPU, OpenBLAS %s, %d threads"),
                                                openblas_get_corename (), n_threads);
  return &self->parent;
}
