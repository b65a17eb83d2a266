/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-grad-private.h"

int *
nd_grad_capture_all (const NdGraph *graph, int *n_capture)
{
  int n = nd_graph_n_nodes (graph);
  int *ids = g_new (int, n);

  for (int i = 0; i < n; i++)
    ids[i] = i;
  *n_capture = n;
  return ids;
}

/* The gradient lists hold NULL for nodes the seed never reached. */
static void
unref_or_null (gpointer t)
{
  if (t != NULL)
    nd_tensor_unref (t);
}

/* Every activation the backward reads must be there with its node's shape and one batch. */
static gboolean
check_acts (const NdGraph *graph, NdTensor * const *acts, int last, int batch, GError **error)
{
  for (int i = 0; i <= last; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const NdTensor *a = acts[i];

      if (a == NULL || a->ndim != 4 || a->shape[0] != batch || a->shape[1] != node->out_c
          || a->shape[2] != node->out_h || a->shape[3] != node->out_w)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("backward pass: node %d (%s) has no captured activation of its "
                         "shape; capture every node in the forward pass"),
                       i, nd_op_name (node->op));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
act_fits (const NdNode *node, const NdTensor *a, int batch)
{
  return a != NULL && a->ndim == 4 && a->shape[0] == batch && a->shape[1] == node->out_c
         && a->shape[2] == node->out_h && a->shape[3] == node->out_w;
}

/* A backward that stops at @stop reads only the outputs of the nodes after it and their
 * inputs: those must be there, the others need not be captured. */
static gboolean
check_reads (const NdGraph *graph, NdTensor * const *acts, int stop, int last, int batch,
             GError **error)
{
  for (int i = stop + 1; i <= last; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);

      for (int k = -1; k < node->n_inputs; k++)
        {
          int src = k < 0 ? i : node->inputs[k];

          if (!act_fits (nd_graph_node (graph, src), acts[src], batch))
            {
              g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                           _("backward pass: node %d (%s) has no captured activation of its "
                             "shape; capture the nodes the backward reads"),
                           src, nd_op_name (nd_graph_node (graph, src)->op));
              return FALSE;
            }
        }
    }
  return TRUE;
}

int *
nd_grad_capture_from (const NdGraph *graph, int stop, int last, int *n_capture)
{
  int n = nd_graph_n_nodes (graph);
  g_autofree gboolean *mask = g_new0 (gboolean, n);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));

  g_return_val_if_fail (stop >= 0 && stop <= last && last < n, NULL);
  mask[stop] = TRUE;
  for (int i = stop + 1; i <= last; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);

      mask[i] = TRUE;
      for (int k = 0; k < node->n_inputs; k++)
        mask[node->inputs[k]] = TRUE;
    }
  for (int i = 0; i < n; i++)
    if (mask[i])
      g_array_append_val (ids, i);
  *n_capture = ids->len;
  return (int *) g_array_free (ids, FALSE);
}

/* The gradients, every node's when @keep_all, else only the input's (index 0); from @node_id
 * down to the point where node @stop's gradient is complete (0: the input's). */
static GPtrArray *
run_backward (const NdGraph *graph, NdTensor * const *acts, int node_id, const NdTensor *seed,
              int stop, NdGradFlags flags, gboolean keep_all, GError **error)
{
  int n = nd_graph_n_nodes (graph), batch;
  g_autoptr(GPtrArray) grads = NULL;

  if (node_id < 0 || node_id >= n)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("backward pass: no node %d (the graph has %d)"), node_id, n);
      return NULL;
    }
  batch = (int) seed->shape[0];
  if (stop == 0 ? !check_acts (graph, acts, node_id, batch, error)
                : !check_reads (graph, acts, stop, node_id, batch, error))
    return NULL;
  if (!nd_tensor_same_shape (seed, acts[node_id]))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("backward pass: the seed gradient does not have node %d's shape"),
                   node_id);
      return NULL;
    }
  grads = g_ptr_array_new_full (n, unref_or_null);
  g_ptr_array_set_size (grads, n);
  grads->pdata[node_id] = nd_tensor_copy (seed);

  /* reverse topological order: every reader of node i has an id above i, so by the time i
   * is reached its gradient holds the sum over all of them */
  for (int i = node_id; i > stop; i--)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const NdTensor *in[ND_MAX_INPUTS] = { NULL };
      NdTensor *dx[ND_MAX_INPUTS] = { NULL };
      const NdTensor *dy = grads->pdata[i];

      if (dy == NULL)
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        {
          int src = node->inputs[k];

          in[k] = acts[src];
          if (grads->pdata[src] == NULL)
            grads->pdata[src] = nd_tensor_new_4d (batch, acts[src]->shape[1],
                                                  acts[src]->shape[2], acts[src]->shape[3]);
          dx[k] = grads->pdata[src];
        }
      if (flags & ND_GRAD_REFERENCE)
        nd_grad_op_ref (node, in, acts[i], dy, dx);
      else
        nd_grad_op (node, in, acts[i], dy, dx);
      /* without a caller to hand them to, a consumed gradient is dead weight */
      if (!keep_all)
        g_clear_pointer (&grads->pdata[i], nd_tensor_unref);
    }
  if (stop == 0 && grads->pdata[0] == NULL)
    grads->pdata[0] = nd_tensor_new_4d (batch, graph->in_c, graph->in_h, graph->in_w);
  return g_steal_pointer (&grads);
}

gboolean
nd_graph_backward_seed (const NdGraph *graph, NdTensor * const *acts, int node_id,
                        const NdTensor *seed, NdGradFlags flags, GPtrArray **grads,
                        GError **error)
{
  GPtrArray *all = run_backward (graph, acts, node_id, seed, 0, flags, TRUE, error);

  if (all == NULL)
    return FALSE;
  *grads = all;
  return TRUE;
}

gboolean
nd_graph_backward_seed_to (const NdGraph *graph, NdTensor * const *acts, int node_id,
                           const NdTensor *seed, int stop, NdGradFlags flags, GPtrArray **grads,
                           GError **error)
{
  GPtrArray *all;

  if (stop < 0 || stop > node_id)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("backward pass: cannot stop at node %d going back from node %d"), stop,
                   node_id);
      return FALSE;
    }
  all = run_backward (graph, acts, node_id, seed, stop, flags, TRUE, error);
  if (all == NULL)
    return FALSE;
  *grads = all;
  return TRUE;
}

NdTensor *
nd_graph_backward (const NdGraph *graph, NdTensor * const *acts, const NdGradUnit *unit,
                   NdGradFlags flags, GError **error)
{
  g_autoptr(NdTensor) seed = NULL;
  g_autoptr(GPtrArray) grads = NULL;
  const NdNode *node;
  int n = nd_graph_n_nodes (graph), batch;

  if (unit->node < 0 || unit->node >= n || acts[0] == NULL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("backward pass: no node %d (the graph has %d) or no input activation"),
                   unit->node, n);
      return NULL;
    }
  node = nd_graph_node (graph, unit->node);
  if (unit->channel < -1 || unit->channel >= node->out_c
      || (unit->y == -1) != (unit->x == -1) || unit->y < -1 || unit->y >= node->out_h
      || unit->x < -1 || unit->x >= node->out_w)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_ARGUMENT,
                   _("backward pass: unit (channel %d, y %d, x %d) is outside node %d's "
                     "output %d×%d×%d"), unit->channel, unit->y, unit->x, unit->node,
                   node->out_c, node->out_h, node->out_w);
      return NULL;
    }
  batch = (int) acts[0]->shape[0];
  seed = nd_tensor_new_4d (batch, node->out_c, node->out_h, node->out_w);
  for (int b = 0; b < batch; b++)
    for (int c = 0; c < node->out_c; c++)
      for (int y = 0; y < node->out_h; y++)
        for (int x = 0; x < node->out_w; x++)
          if ((unit->channel < 0 || c == unit->channel) && (unit->y < 0 || (y == unit->y
                                                                            && x == unit->x)))
            seed->data[(((int64_t) b * node->out_c + c) * node->out_h + y) * node->out_w + x] =
              1.0f;
  grads = run_backward (graph, acts, unit->node, seed, 0, flags, FALSE, error);
  if (grads == NULL)
    return NULL;
  return nd_tensor_ref (grads->pdata[0]);
}
