/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <glib/gi18n-lib.h>

#include "nd-backend-cpu.h"
#include "nd-buffer-plan.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-half.h"
#include "nd-cpu-pool.h"
#include "nd-error.h"
#include "nd-ref-ops.h"

/* The CPU plan. At prepare time, once:
 *  1. every node gets the first kernel factory that supports it (else the reference op);
 *  2. fusion: a conv whose output feeds only an activation / gate / merge add (each the only
 *     reader of the previous one, none captured) absorbs that chain into its output pass; the
 *     conv then runs at the position of the last absorbed node (its other inputs exist by
 *     then) and writes that node's buffer; absorbed nodes report "fused" and 0 ms;
 *  3. buffers: each node's output gets a slot from the shared planner (nd-buffer-plan.h),
 *     reused once its last reader has run (liveness); captured nodes and the output keep
 *     slots of their own. Nothing is allocated
 *     on the run path except the copies handed out for captured nodes. */

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
  NdTensor    **buffers;   /* [n_nodes] output of each node (views into slots), NULL if none */
  int          *runs_at;   /* [n_nodes] the node that executes at this position, -1: none */
  int          *writes;    /* [n_nodes] node whose buffer a node's execution writes */
  float       **slots;
  int           n_slots;
  float        *scratch;
} NdCpuPlan;

static const NdCpuKernelFactory factories[] = {
  nd_cpu_conv_winograd_new,
  nd_cpu_conv_dw_new,
  nd_cpu_conv_gemm_new,
  nd_cpu_linear_gemm_new,
  nd_cpu_eltwise_new,
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
  for (int s = 0; s < self->n_slots; s++)
    free (self->slots[s]);
  g_free (self->slots);
  g_free (self->kernels);
  g_free (self->buffers);
  g_free (self->runs_at);
  g_free (self->writes);
  free (self->scratch);
  nd_plan_clear_common (plan);
  g_free (self);
}

/* The single node that reads @id, or -1 when there are several, none, or it is the output. */
static int
only_reader (const NdGraph *graph, int id)
{
  int reader = -1, n = nd_graph_n_nodes (graph);

  if (id == graph->output || nd_graph_n_consumers (graph, id) != 1)
    return -1;
  for (int j = id + 1; j < n; j++)
    {
      const NdNode *node = nd_graph_node (graph, j);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] == id)
          {
            if (reader != -1)
              return -1;   /* read twice, e.g. ADD (x, x) */
            reader = j;
          }
    }
  return reader;
}

/* Grows @ep by the step(s) for node @u reading @cur; FALSE when @u cannot be absorbed. */
static gboolean
epilogue_add (NdCpuEpilogue *ep, const NdNode *u, int cur)
{
  NdCpuEpilogue next = *ep;

  switch (u->op)
    {
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
      if (next.n_steps >= ND_CPU_EP_MAX_STEPS)
        return FALSE;
      next.steps[next.n_steps++] = (NdCpuEpStep) {
        .kind = u->op == ND_OP_RELU ? ND_CPU_EP_RELU
                : u->op == ND_OP_SILU ? ND_CPU_EP_SILU
                : u->op == ND_OP_SIGMOID ? ND_CPU_EP_SIGMOID
                : u->op == ND_OP_RELU6 ? ND_CPU_EP_RELU6 : ND_CPU_EP_LEAKY,
        .alpha = u->p.alpha, .other_node = -1 };
      break;
    case ND_OP_GATE:
      if (u->inputs[0] != cur || next.n_steps >= ND_CPU_EP_MAX_STEPS)
        return FALSE;
      next.steps[next.n_steps++] = (NdCpuEpStep) {
        .kind = ND_CPU_EP_GATE, .alpha = u->p.alpha, .other_node = u->inputs[1] };
      break;
    case ND_OP_ADD:
      for (int k = 0; k < u->n_inputs; k++)
        if (u->inputs[k] != cur)
          {
            if (next.n_steps >= ND_CPU_EP_MAX_STEPS)
              return FALSE;
            next.steps[next.n_steps++] = (NdCpuEpStep) {
              .kind = ND_CPU_EP_ADD, .other_node = u->inputs[k] };
          }
      break;
    default:
      return FALSE;
    }
  *ep = next;
  return TRUE;
}

static void
plan_fusion (NdCpuPlan *self, const NdGraph *graph)
{
  NdPlan *plan = &self->parent;

  for (int i = 1; i < plan->n_nodes; i++)
    {
      NdCpuKernel *k = self->kernels[i];
      int cur = i, u;

      if (k == NULL || !k->fuses_epilogue || plan->capture_mask[i] || self->runs_at[i] != i)
        continue;
      /* runs_at[u] == u: not already absorbed by another conv (ADD (conv1, conv2), ResNet's
       * projection shortcut, has two candidates; the first one takes it) */
      while ((u = only_reader (graph, cur)) >= 0 && !plan->capture_mask[u]
             && self->runs_at[u] == u
             && epilogue_add (&k->epilogue, nd_graph_node (graph, u), cur))
        {
          plan->op_algo[u] = "fused";
          self->runs_at[u] = -1;
          cur = u;
        }
      if (cur != i)
        {
          self->runs_at[i] = -1;
          self->runs_at[cur] = i;
          self->writes[i] = cur;
        }
    }
}

static void
no_free (gpointer data)
{
}

/* Liveness through the shared planner (runtime/graph): every position is a fence, as the
 * CPU runs one node at a time; returns FALSE on allocation failure. */
static gboolean
plan_buffers (NdCpuPlan *self, const NdGraph *graph, int batch, GError **error)
{
  NdPlan *plan = &self->parent;
  int n = plan->n_nodes;
  g_autofree int *pos = g_new (int, n);        /* where each node's work happens */
  g_autofree int *last_use = g_new0 (int, n);
  g_autoptr(NdBufferPlan) bp = nd_buffer_plan_new (n, n);

  for (int p = 0; p < n; p++)
    pos[p] = p;
  for (int p = 1; p < n; p++)
    if (self->runs_at[p] >= 0)
      for (int v = self->runs_at[p]; ; v = only_reader (graph, v))
        {
          pos[v] = p;   /* the head and each absorbed node read their inputs at p */
          if (v == p)
            break;
        }
  for (int v = 1; v < n; v++)
    {
      const NdNode *node = nd_graph_node (graph, v);

      for (int k = 0; k < node->n_inputs; k++)
        last_use[node->inputs[k]] = MAX (last_use[node->inputs[k]], pos[v]);
    }
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p], v;
      const NdNode *out;

      if (h < 0)
        continue;
      v = self->writes[h];
      out = nd_graph_node (graph, v);
      nd_buffer_plan_set_value (bp, v,
                                MAX ((gsize) batch * out->out_c * out->out_h * out->out_w, 16),
                                p, last_use[v]);
      if (plan->capture_mask[v] || v == graph->output)
        nd_buffer_plan_keep (bp, v);
    }
  nd_buffer_plan_solve (bp);
  self->n_slots = nd_buffer_plan_n_slots (bp);
  plan->activation_bytes = nd_buffer_plan_total (bp) * sizeof (float);
  plan->activation_bytes_unshared = nd_buffer_plan_unshared (bp) * sizeof (float);
  g_debug ("CPU plan: %d nodes in %d buffers, %.1f MiB (%.1f MiB without reuse)", n - 1,
           self->n_slots, plan->activation_bytes / 1048576.0,
           plan->activation_bytes_unshared / 1048576.0);
  self->slots = g_new0 (float *, self->n_slots);
  for (int s = 0; s < self->n_slots; s++)
    if (posix_memalign ((void **) &self->slots[s], 64,
                        nd_buffer_plan_slot_size (bp, s) * sizeof (float)) != 0)
      {
        self->slots[s] = NULL;
        g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                             _("Out of memory for the activation buffers"));
        return FALSE;
      }
  for (int v = 1; v < n; v++)
    if (nd_buffer_plan_slot (bp, v) >= 0)
      {
        const NdNode *node = nd_graph_node (graph, v);
        int64_t shape[4] = { batch, node->out_c, node->out_h, node->out_w };

        /* a view: the plan frees the slot */
        self->buffers[v] = nd_tensor_new_wrap (4, shape, self->slots[nd_buffer_plan_slot (bp, v)],
                                               NULL, no_free);
      }
  return TRUE;
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
  self->runs_at = g_new (int, n);
  self->writes = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      self->runs_at[i] = i;
      self->writes[i] = i;
    }

  for (int i = 1; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);

      /* 16-bit weights (opt-in) come before the float32 factories */
      if (!cpu->reference_only && options->weights_precision != ND_WEIGHTS_FP32)
        self->kernels[i] = nd_cpu_half_linear_new (graph, node, options->batch,
                                                   options->weights_precision);
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
  if (!cpu->reference_only)
    plan_fusion (self, graph);
  if (!plan_buffers (self, graph, options->batch, error))
    {
      cpu_plan_free (&g_steal_pointer (&self)->parent);
      return NULL;
    }
  if (scratch > 0 && posix_memalign ((void **) &self->scratch, 64, scratch * sizeof (float)) != 0)
    {
      self->scratch = NULL;
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

  self->buffers[0] = (NdTensor *) input;   /* borrowed for this run */
  for (int p = 1; p < plan->n_nodes; p++)
    {
      int h = self->runs_at[p];
      const NdNode *node;
      const NdTensor *in[ND_MAX_INPUTS] = { NULL };
      NdCpuKernel *k;
      gint64 start;

      if (h < 0)
        continue;
      node = nd_graph_node (graph, h);
      k = self->kernels[h];
      start = plan->timings ? g_get_monotonic_time () : 0;
      for (int i = 0; i < node->n_inputs; i++)
        in[i] = self->buffers[node->inputs[i]];
      if (k != NULL)
        {
          for (int s = 0; s < k->epilogue.n_steps; s++)
            if (k->epilogue.steps[s].other_node >= 0)
              k->epilogue.steps[s].other = self->buffers[k->epilogue.steps[s].other_node];
          k->run (k, node, in, self->buffers[self->writes[h]]);
        }
      else
        nd_ref_op (node, in, self->buffers[h]);
      if (plan->timings)
        plan->op_ms[h] = (g_get_monotonic_time () - start) / 1000.0;
    }
  self->buffers[0] = NULL;

  memcpy (plan->output->data, self->buffers[graph->output]->data,
          plan->output->numel * sizeof (float));
  for (int i = 0; i < plan->n_nodes; i++)
    if (plan->capture_mask[i])
      {
        g_clear_pointer (&plan->captured[i], nd_tensor_unref);
        plan->captured[i] = i == 0 ? nd_tensor_copy (input) : nd_tensor_copy (self->buffers[i]);
      }
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
  self->parent.kind = ND_DEVICE_KIND_CPU;
  self->parent.name = g_strdup (reference_only ? "cpu-ref" : "cpu");
  if (reference_only)
    self->parent.description = g_strdup (_("CPU, naive reference ops"));
  else
    {
      nd_cpu_pool_init (n_threads);
      self->parent.description = g_strdup_printf (_("CPU, OpenBLAS %s, %d threads"),
                                                  openblas_get_corename (),
                                                  nd_cpu_pool_n_threads ());
    }
  return &self->parent;
}
