/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-inference-private.h"

/* A run of the serving plan as the result the main thread gets: copies of what the views
 * read, the latency statistics and the top classes. */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Median and interquartile range of the serving plan's last warm runs (the cold run apart). */
static void
latency_stats (const Serving *s, NdInferenceResult *r)
{
  int n = MIN (s->n_latency, LATENCY_WINDOW);
  double v[LATENCY_WINDOW];

  r->n_latency = n;
  if (n == 0)
    {
      r->latency_ms = NAN;
      r->latency_spread_ms = NAN;
      return;
    }
  memcpy (v, s->latency, sizeof (double) * n);
  qsort (v, n, sizeof (double), cmp_double);
  r->latency_ms = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  r->latency_spread_ms = v[(3 * (n - 1)) / 4] - v[(n - 1) / 4];
  /* per op, as `nondeep-cli bench` lists them */
  r->op_median_ms = g_new0 (double, s->plan->n_nodes);
  for (int k = 0; k < s->plan->n_nodes && s->op_hist != NULL; k++)
    {
      for (int i = 0; i < n; i++)
        v[i] = s->op_hist[(gsize) i * s->plan->n_nodes + k];
      qsort (v, n, sizeof (double), cmp_double);
      r->op_median_ms[k] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
  r->op_algo = g_new0 (char *, s->plan->n_nodes + 1);
  r->op_variant = g_new0 (char *, s->plan->n_nodes + 1);
  for (int k = 0; k < s->plan->n_nodes; k++)
    {
      r->op_algo[k] = g_strdup (s->plan->op_algo && s->plan->op_algo[k] ? s->plan->op_algo[k]
                                                                         : "");
      r->op_variant[k] = g_strdup (s->plan->op_variant && s->plan->op_variant[k]
                                   ? s->plan->op_variant[k] : "");
    }
}

/* Whether node @i's output is one the views of @block read: the block's own nodes and the
 * SE gate inputs of its gates. NULL: every block. */
static gboolean
wanted (const NdGraph *graph, int i, const char *block)
{
  const NdNode *n = nd_graph_node (graph, i);

  if (block == NULL || g_strcmp0 (n->block ? n->block : n->name, block) == 0)
    return TRUE;
  for (int k = i + 1; k < nd_graph_n_nodes (graph); k++)
    {
      const NdNode *g = nd_graph_node (graph, k);

      if (g->op == ND_OP_GATE && g->inputs[1] == i && g_strcmp0 (g->block, block) == 0)
        return TRUE;
    }
  return FALSE;
}

NdInferenceResult *
_nd_inference_collect (Serving *s, guint64 serial, gboolean rebuilt, const NdTensor *input,
                       guint64 image_serial, const char *want_block)
{
  NdInferenceResult *r = g_atomic_rc_box_new0 (NdInferenceResult);
  NdPlan *plan = s->plan;
  const char *desc = s->backend->description ? s->backend->description : s->backend->name;
  g_autofree float *prob = NULL;
  g_autofree gboolean *view_mask = NULL;
  int classes;
  double max = -INFINITY, sum = 0;

  _nd_inference_result_counted ();
  r->generation = s->generation;
  r->serial = serial;
  r->image_serial = image_serial;
  r->rebuilt = rebuilt;
  r->graph = nd_graph_ref (s->graph);
  r->training = nd_graph_ref (s->training);
  r->spec = s->spec;
  /* The description says whether the device could store float16; this, that the plan does. */
  r->backend = s->fp16 ? g_strdup_printf ("%s · %s", desc, _("fp16 storage in use"))
                       : g_strdup (desc);
  r->fp16 = s->fp16;
  r->kernels = plan->kernels;
  r->tuned_ops = plan->tuned_ops;
  r->tune_ms = plan->tune_ms;
  _nd_inference_result_set_devices (r, plan);
  r->n_nodes = plan->n_nodes;
  r->op_ms = g_memdup2 (plan->op_ms, sizeof (double) * plan->n_nodes);
  r->total_ms = plan->total_ms;
  r->cold_ms = s->cold_ms;
  latency_stats (s, r);
  r->weights_status = s->weights_status;
  r->weights_detail = g_strdup (s->weights_detail);
  r->prepare_ms = s->prepare_ms;
  r->random_weights = s->random_weights;
  r->fused_only = s->fused_only;
  r->input_text = g_strdup (s->input_text);
  r->captured = g_new0 (NdTensor *, plan->n_nodes);
  /* Copies: a backend may refill its capture buffers in place on the next run while the main
   * thread still draws this result. Only the block asked for, when one is: copying every
   * block's maps of a 224-px model (tens of MB a run) slowed the live rate. What the plan
   * captures for the explanation alone stays in the worker. */
  view_mask = _nd_inference_view_mask (s->graph, s->plan_block, s->plan_explain);
  for (int i = 0; i < plan->n_nodes; i++)
    if (plan->captured[i] != NULL && (view_mask == NULL || view_mask[i])
        && wanted (s->graph, i, want_block))
      r->captured[i] = nd_tensor_copy (plan->captured[i]);
  if (s->block_diff != NULL)
    r->block_diff = g_hash_table_ref (s->block_diff);
  if (s->block_rel != NULL)
    r->block_rel = g_hash_table_ref (s->block_rel);
  r->logits_rel = s->block_rel != NULL ? s->logits_rel : NAN;
  r->diff_error = g_strdup (s->diff_error);
  r->logits = nd_tensor_copy (plan->output);
  r->input = nd_tensor_copy (input);

  classes = (int) r->logits->numel;
  prob = g_new (float, classes);
  for (int c = 0; c < classes; c++)
    max = MAX (max, r->logits->data[c]);
  for (int c = 0; c < classes; c++)
    sum += prob[c] = expf (r->logits->data[c] - max);
  /* Ranked by logit, as `nondeep-cli run`: probabilities that underflow to 0 (large logits
   * of random weights) would otherwise tie. */
  r->n_top = MIN (5, classes);
  for (int k = 0; k < r->n_top; k++)
    {
      int best = -1;

      for (int c = 0; c < classes; c++)
        if (prob[c] >= 0 && (best < 0 || r->logits->data[c] > r->logits->data[best]))
          best = c;
      r->top_class[k] = best;
      r->top_prob[k] = (float) (prob[best] / sum);
      prob[best] = -1;
    }
  return r;
}

