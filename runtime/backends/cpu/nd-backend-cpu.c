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
#include "nd-cpu-plan-private.h"
#include "nd-cpu-half.h"
#include "nd-cpu-nc16.h"
#include "nd-cpu-peak.h"
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


static const NdCpuKernelFactory factories[] = {
  nd_cpu_conv_winograd_new,
  nd_cpu_conv_dw_new,
  nd_cpu_conv_ocv_new,
  nd_cpu_conv_direct_new,
  nd_cpu_conv_gemm_new,
  nd_cpu_linear_gemm_new,
  nd_cpu_eltwise_new,
};

static void
free_buffers (NdCpuPlan *self)
{
  for (int i = 0; i < self->parent.n_nodes; i++)
    g_clear_pointer (&self->buffers[i], nd_tensor_unref);
  for (int s = 0; s < self->n_slots; s++)
    free (self->slots[s]);
  g_clear_pointer (&self->slots, g_free);
  self->n_slots = 0;
}

static void
cpu_plan_free (NdPlan *plan)
{
  NdCpuPlan *self = (NdCpuPlan *) plan;

  for (int i = 0; i < plan->n_nodes; i++)
    if (self->kernels[i] != NULL)
      self->kernels[i]->free (self->kernels[i]);
  free_buffers (self);
  nd_cpu_layout_free (self);
  g_free (self->kernels);
  g_free (self->buffers);
  g_free (self->runs_at);
  g_free (self->writes);
  free (self->scratch);
  for (int i = 0; i < self->st_n; i++)
    free (self->st_scratch[i]);
  g_free (self->st_scratch);
  g_free (self->st_first);
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
      /* the epilogue computes σ gates only; a hard gate runs as its own op */
      if (u->inputs[0] != cur || u->p.hard_gate || next.n_steps >= ND_CPU_EP_MAX_STEPS)
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

/* @pos[v]: the position where node @v's work happens (an absorbed node's: its head's). */
static void
node_positions (const NdCpuPlan *self, const NdGraph *graph, int *pos)
{
  int n = self->parent.n_nodes;

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
}

/* Finds the first span of positions that runs ≥ 2 streams one after another (every node
 * tagged with its stream, each stream's positions contiguous, a stream reading only its own
 * values and those made before the span, never the model input). */
static void
plan_streams_find (NdCpuPlan *self, const NdGraph *graph)
{
  int n = self->parent.n_nodes, p0 = -1, p1, ns = 0, last = -2;
  g_autofree int *pos = g_new (int, n);
  g_autofree int *first = g_new (int, n + 1);

  node_positions (self, graph, pos);
  for (int p = 1; p < n && p0 < 0; p++)
    if (self->runs_at[p] >= 0 && nd_graph_node (graph, self->runs_at[p])->stream >= 0)
      p0 = p;
  if (p0 < 0)
    return;
  for (p1 = p0; p1 < n; p1++)
    {
      int h = self->runs_at[p1], st;

      if (h < 0)
        continue;
      st = nd_graph_node (graph, h)->stream;
      if (st < 0)
        break;
      if (st != last)
        {
          for (int i = 0; i < ns; i++)
            if (nd_graph_node (graph, self->runs_at[first[i]])->stream == st)
              return;   /* a stream resumed after another: not contiguous */
          first[ns++] = p1;
          last = st;
        }
    }
  for (int v = 1; v < n; v++)
    if (pos[v] >= p0 && pos[v] < p1)
      {
        const NdNode *node = nd_graph_node (graph, v);
        int st = nd_graph_node (graph, self->runs_at[pos[v]])->stream;

        if (node->stream != st)
          return;
        for (int k = 0; k < node->n_inputs; k++)
          {
            int u = node->inputs[k];

            if (u == 0 || (pos[u] >= p0 && nd_graph_node (graph, u)->stream != st))
              return;
          }
      }
  if (ns < 2)
    return;
  first[ns] = p1;
  self->st_p0 = p0;
  self->st_p1 = p1;
  self->st_n = ns;
  self->st_span_live = TRUE;
  self->st_first = g_memdup2 (first, (ns + 1) * sizeof (int));
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

  node_positions (self, graph, pos);
  for (int v = 1; v < n; v++)
    {
      const NdNode *node = nd_graph_node (graph, v);
      /* concurrent streams: a value read inside their span lives to its end */
      int at = self->st_span_live && pos[v] >= self->st_p0 && pos[v] < self->st_p1
               ? self->st_p1 - 1 : pos[v];

      for (int k = 0; k < node->n_inputs; k++)
        last_use[node->inputs[k]] = MAX (last_use[node->inputs[k]], at);
    }
  for (int p = 1; p < n; p++)
    {
      int h = self->runs_at[p], v;
      const NdNode *out;

      if (h < 0)
        continue;
      v = self->writes[h];
      out = nd_graph_node (graph, v);
      /* …and one written inside it lives from its start */
      nd_buffer_plan_set_value (bp, v,
                                MAX ((gsize) batch * out->out_c * out->out_h * out->out_w, 16),
                                self->st_span_live && p >= self->st_p0 && p < self->st_p1
                                ? self->st_p0 : p, last_use[v]);
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

static void run_streams (NdCpuPlan *self, gboolean concurrent);

/* Gives each stream a scratch of its own, then runs the streams as @want asks, or with
 * ND_STREAMS_AUTO times the span both ways (on zeroed buffers: no kernel's speed depends on
 * the values) and keeps the faster; ND_CPU_STREAMS=0 or 1 forces op-split or concurrent over
 * both. Reports the mode in the plan. FALSE on allocation failure. */
static gboolean
plan_streams_choose (NdCpuPlan *self, NdStreamsMode want, GError **error)
{
  NdPlan *plan = &self->parent;
  const char *force = g_getenv ("ND_CPU_STREAMS");
  double best[2] = { G_MAXDOUBLE, G_MAXDOUBLE };
  gboolean timings = plan->timings;
  g_autofree int *pos = g_new (int, plan->n_nodes);

  node_positions (self, plan->graph, pos);
  self->st_scratch = g_new0 (float *, self->st_n);
  for (int i = 0; i < self->st_n; i++)
    {
      gsize floats = 0;

      for (int v = 1; v < plan->n_nodes; v++)
        if (self->kernels[v] != NULL && pos[v] >= self->st_first[i] && pos[v] < self->st_first[i + 1])
          floats = MAX (floats, self->kernels[v]->scratch_floats);
      if (floats > 0 && posix_memalign ((void **) &self->st_scratch[i], 64,
                                        floats * sizeof (float)) != 0)
        {
          self->st_scratch[i] = NULL;
          g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_OUT_OF_MEMORY,
                               _("Out of memory for convolution scratch space"));
          return FALSE;
        }
      for (int v = 1; v < plan->n_nodes; v++)
        if (self->kernels[v] != NULL && pos[v] >= self->st_first[i] && pos[v] < self->st_first[i + 1])
          self->kernels[v]->scratch = self->st_scratch[i];
    }
  if (force != NULL || want != ND_STREAMS_AUTO || nd_cpu_pool_n_threads () < 2)
    {
      gboolean concurrent = force != NULL ? atoi (force) != 0 : want == ND_STREAMS_CONCURRENT;

      self->st_concurrent = concurrent && nd_cpu_pool_n_threads () >= 2;
      plan->streams_reason = nd_cpu_pool_n_threads () < 2 ? "one thread"
                             : force != NULL ? "ND_CPU_STREAMS" : "requested";
      plan->streams_mode = self->st_concurrent ? ND_STREAMS_CONCURRENT : ND_STREAMS_SEQUENTIAL;
      return TRUE;
    }
  for (int v = 1; v < plan->n_nodes; v++)
    if (self->buffers[v] != NULL)
      memset (self->buffers[v]->data, 0, self->buffers[v]->numel * sizeof (float));
  plan->timings = FALSE;
  for (int r = 0; r < 3; r++)   /* alternating, the first round a warm-up */
    for (int mode = 0; mode < 2; mode++)
      {
        gint64 t0 = g_get_monotonic_time ();

        run_streams (self, mode);
        if (r > 0)
          best[mode] = MIN (best[mode], (double) (g_get_monotonic_time () - t0));
      }
  plan->timings = timings;
  self->st_concurrent = best[1] < best[0];
  plan->streams_reason = "timed";
  plan->streams_mode = self->st_concurrent ? ND_STREAMS_CONCURRENT : ND_STREAMS_SEQUENTIAL;
  g_debug ("CPU plan: %d streams at positions %d–%d, op-split %.3f ms, concurrent %.3f ms: %s",
           self->st_n, self->st_p0, self->st_p1 - 1, best[0] / 1000.0, best[1] / 1000.0,
           self->st_concurrent ? "concurrent" : "op-split");
  return TRUE;
}

static NdPlan *
prepare_layout (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options,
                NdCpuLayoutMode layout, GError **error)
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
    {
      plan_fusion (self, graph);
      plan_streams_find (self, graph);
      if (nd_cpu_layout_plan (self, graph, options->batch, layout))
        for (int i = 1; i < n; i++)
          if (self->kernels[i] != NULL)
            scratch = MAX (scratch, self->kernels[i]->scratch_floats);
    }
  if (!plan_buffers (self, graph, options->batch, error)
      || !nd_cpu_layout_alloc (self, error))
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
  if (self->st_n > 0 && !plan_streams_choose (self, options->streams, error))
    {
      cpu_plan_free (&g_steal_pointer (&self)->parent);
      return NULL;
    }
  if (self->st_n > 0 && !self->st_concurrent)
    {
      /* run in order after all: let the streams share buffer slots again */
      free_buffers (self);
      self->st_span_live = FALSE;
      if (!plan_buffers (self, graph, options->batch, error))
        {
          cpu_plan_free (&g_steal_pointer (&self)->parent);
          return NULL;
        }
    }
  self->parent.layout = self->nc16 != NULL ? "nc16" : "nchw";
  return &g_steal_pointer (&self)->parent;
}

static gboolean cpu_run (NdPlan *plan, const NdTensor *input, GError **error);

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Times the two plans on a zero input (no kernel's speed depends on the values): after a
 * warm-up of each, five pairs in ABBA order, so that both see the same moments of a noisy
 * machine. @best: each plan's fastest run (ms); returns the median of the pairs' ratios,
 * blocked / NCHW: on a shared 2-core machine single runs move by 10 % and more, the ratio
 * of neighbouring runs far less. */
static double
time_plans (NdPlan *const plans[2], int batch, double best[2])
{
  const NdGraph *g = plans[0]->graph;
  g_autoptr(NdTensor) x = nd_tensor_new_4d (batch, g->in_c, g->in_h, g->in_w);
  double ratio[5];

  best[0] = best[1] = G_MAXDOUBLE;
  for (int i = 0; i < 2; i++)
    {
      plans[i]->timings = FALSE;
      cpu_run (plans[i], x, NULL);
    }
  for (int r = 0; r < 5; r++)
    {
      double ms[2];

      for (int k = 0; k < 2; k++)
        {
          int i = (r + k) % 2;   /* ABBA… */
          gint64 t0 = g_get_monotonic_time ();

          cpu_run (plans[i], x, NULL);
          ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
          best[i] = MIN (best[i], ms[i]);
        }
      ratio[r] = ms[1] / ms[0];
    }
  qsort (ratio, 5, sizeof (double), cmp_double);
  return ratio[2];
}

/* What the layout's speed depends on: the ops, their shapes and wiring, the batch, the
 * threads and the weights' precision, not the weights' values */
static guint
layout_key (const NdGraph *graph, const NdPlanOptions *options)
{
  guint h = (guint) (options->batch * 31 + nd_cpu_pool_n_threads ()) * 31
            + options->weights_precision + (guint) graph->output * 7919u;

  for (int i = 0; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *n = nd_graph_node (graph, i);
      const int v[] = { n->op, n->out_c, n->out_h, n->out_w, n->p.kernel, n->p.kernel_w,
                        n->p.stride, n->p.pad, n->p.pad_w, n->p.groups, n->n_inputs,
                        n->inputs[0], n->inputs[1] };

      for (guint k = 0; k < G_N_ELEMENTS (v); k++)
        h = h * 1000003u + (guint) v[k];
    }
  return h;
}

/* ND_CPU_LAYOUT=nchw or nc16 forces a layout (nc16: every region, for tests; "regions": the
 * candidates below, untimed, for benchmarks); unset or "auto", a plan with blocked regions of two kernels or more is timed against an NCHW plan of
 * the same graph and kept only when it is at least 1 % faster (the median ratio of five
 * paired runs), the verdict remembered for the
 * graph's shape (nd-cpu-layout.c: this process and the user's cache). Per model the verdicts differ
 * (bench, 2 threads, 224: ResNet-50 and RepVGG-B1 ~4 % faster blocked, ParNet-S level,
 * RepVGG-A0 slower), and on another CPU they may differ again: a measurement, not a rule. */
static NdPlan *
cpu_prepare (NdBackend *backend, NdGraph *graph, const NdPlanOptions *options, GError **error)
{
  const char *env = g_getenv ("ND_CPU_LAYOUT");
  NdPlan *plans[2] = { NULL, NULL };
  double best[2];
  gboolean keep_nc16;
  guint key = layout_key (graph, options);

  if (env != NULL && (g_str_equal (env, "nchw") || g_str_equal (env, "nc16")
                      || g_str_equal (env, "regions")))
    {
      plans[0] = prepare_layout (backend, graph, options,
                                 g_str_equal (env, "nc16") ? ND_CPU_LAYOUT_ALL
                                 : g_str_equal (env, "regions") ? ND_CPU_LAYOUT_REGIONS
                                 : ND_CPU_LAYOUT_NCHW, error);
      if (plans[0] != NULL)
        plans[0]->layout_reason = "ND_CPU_LAYOUT";
      return plans[0];
    }
  /* timed before, in this process or another (the window and the CLI agree) */
  if (nd_cpu_layout_verdict (key, &keep_nc16, best))
    {
      plans[0] = prepare_layout (backend, graph, options,
                                 keep_nc16 ? ND_CPU_LAYOUT_REGIONS : ND_CPU_LAYOUT_NCHW, error);
      if (plans[0] != NULL)
        {
          plans[0]->layout_reason = "timed earlier";
          plans[0]->layout_ms[0] = best[0];
          plans[0]->layout_ms[1] = best[1];
        }
      return plans[0];
    }
  plans[1] = prepare_layout (backend, graph, options, ND_CPU_LAYOUT_REGIONS, error);
  if (plans[1] == NULL || g_str_equal (plans[1]->layout, "nchw"))
    {
      if (plans[1] != NULL)
        plans[1]->layout_reason = "no blocked region";
      return plans[1];
    }
  /* Timing holds both plans at once: past 1 GiB of activations (a large batch) that could
   * exhaust memory, so such a plan runs NCHW, untimed and unremembered */
  if (plans[1]->activation_bytes > ((guint64) 1 << 30))
    {
      cpu_plan_free (plans[1]);
      plans[0] = prepare_layout (backend, graph, options, ND_CPU_LAYOUT_NCHW, error);
      if (plans[0] != NULL)
        plans[0]->layout_reason = "not timed: over 1 GiB of activations";
      return plans[0];
    }
  plans[0] = prepare_layout (backend, graph, options, ND_CPU_LAYOUT_NCHW, error);
  if (plans[0] == NULL)
    {
      cpu_plan_free (plans[1]);
      return NULL;
    }
  keep_nc16 = time_plans (plans, options->batch, best) < 0.99;
  nd_cpu_layout_remember (key, keep_nc16, best);
  g_debug ("CPU plan: NCHW %.3f ms, blocked %.3f ms: %s", best[0], best[1],
           keep_nc16 ? "blocked" : "NCHW");
  cpu_plan_free (plans[keep_nc16 ? 0 : 1]);
  plans[keep_nc16]->timings = options->timings;
  plans[keep_nc16]->layout_reason = "timed";
  plans[keep_nc16]->layout_ms[0] = best[0];
  plans[keep_nc16]->layout_ms[1] = best[1];
  return plans[keep_nc16];
}

/* Runs the node(s) of position @p. */
static void
run_position (NdCpuPlan *self, int p)
{
  NdPlan *plan = &self->parent;
  int h = self->runs_at[p];
  const NdNode *node;
  const NdTensor *in[ND_MAX_INPUTS] = { NULL };
  NdCpuKernel *k;
  gint64 start;

  if (h < 0)
    return;
  node = nd_graph_node (plan->graph, h);
  k = self->kernels[h];
  start = plan->timings ? g_get_monotonic_time () : 0;
  for (int i = 0; i < node->n_inputs; i++)
    in[i] = nd_cpu_layout_input (self, h, node->inputs[i]);
  if (k != NULL)
    {
      for (int s = 0; s < k->epilogue.n_steps; s++)
        if (k->epilogue.steps[s].other_node >= 0)
          k->epilogue.steps[s].other = nd_cpu_layout_input (self, h,
                                                            k->epilogue.steps[s].other_node);
      k->run (k, node, in, self->buffers[self->writes[h]]);
    }
  else
    nd_ref_op (node, in, self->buffers[h]);
  if (plan->timings)
    plan->op_ms[h] = (g_get_monotonic_time () - start) / 1000.0;
}

typedef struct
{
  NdCpuPlan *self;
  int        s0;   /* the first stream of this group */
} StreamJob;

/* One stream, start to end, on one pool thread: its kernels find the pool busy and run
 * their own parallel_for inline, on the stream's own scratch. */
static void
stream_task (gpointer data, int task, int thread)
{
  StreamJob *j = data;
  NdCpuPlan *self = j->self;

  for (int p = self->st_first[j->s0 + task]; p < self->st_first[j->s0 + task + 1]; p++)
    run_position (self, p);
}

/* The streams' span: as work items, n_threads streams at a time (a last lone stream splits
 * its ops across the pool as usual), or one op after another. */
static void
run_streams (NdCpuPlan *self, gboolean concurrent)
{
  int T = nd_cpu_pool_n_threads ();

  if (!concurrent || T < 2)
    {
      for (int p = self->st_p0; p < self->st_p1; p++)
        run_position (self, p);
      return;
    }
  for (int s0 = 0; s0 < self->st_n; s0 += T)
    {
      StreamJob j = { self, s0 };
      int g = MIN (T, self->st_n - s0);

      if (g == 1)
        stream_task (&j, 0, 0);
      else
        nd_cpu_parallel_for (g, stream_task, &j);
    }
}

static gboolean
cpu_run (NdPlan *plan, const NdTensor *input, GError **error)
{
  NdCpuPlan *self = (NdCpuPlan *) plan;
  const NdGraph *graph = plan->graph;

  self->buffers[0] = (NdTensor *) input;   /* borrowed for this run */
  for (int p = 1; p < plan->n_nodes; p++)
    if (self->st_n > 0 && p == self->st_p0)
      {
        run_streams (self, self->st_concurrent);
        p = self->st_p1 - 1;
      }
    else
      run_position (self, p);
  self->buffers[0] = NULL;

  nd_cpu_layout_copy_out (self, graph->output, plan->output->data);
  for (int i = 0; i < plan->n_nodes; i++)
    if (plan->capture_mask[i])
      {
        g_clear_pointer (&plan->captured[i], nd_tensor_unref);
        if (i == 0)
          plan->captured[i] = nd_tensor_copy (input);
        else
          {
            /* in NCHW whatever the buffer's layout */
            plan->captured[i] = nd_tensor_new (4, self->buffers[i]->shape);
            nd_cpu_layout_copy_out (self, i, plan->captured[i]->data);
          }
      }
  return TRUE;
}

int
nd_cpu_plan_concurrent_streams (NdPlan *plan)
{
  NdCpuPlan *self = (NdCpuPlan *) plan;

  g_return_val_if_fail (plan != NULL && plan->backend->klass->run == cpu_run, 0);
  return self->st_concurrent ? self->st_n : 0;
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
  .measure_peak = nd_cpu_measure_peak,
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
