/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <math.h>

#include <glib/gi18n-lib.h>

#include "nd-error.h"
#include "nd-graph.h"

static const char * const op_names[] = {
  [ND_OP_INPUT] = "input",
  [ND_OP_CONV2D] = "conv2d",
  [ND_OP_BATCHNORM] = "batchnorm",
  [ND_OP_RELU] = "relu",
  [ND_OP_SILU] = "silu",
  [ND_OP_SIGMOID] = "sigmoid",
  [ND_OP_LEAKY_RELU] = "leaky_relu",
  [ND_OP_ADD] = "add",
  [ND_OP_GATE] = "gate",
  [ND_OP_AVGPOOL] = "avgpool",
  [ND_OP_MAXPOOL] = "maxpool",
  [ND_OP_ADAPTIVE_AVGPOOL] = "adaptive_avgpool",
  [ND_OP_ADAPTIVE_MAXPOOL] = "adaptive_maxpool",
  [ND_OP_CONCAT_INTERLEAVE] = "concat_interleave",
  [ND_OP_CHANNEL_SHUFFLE] = "channel_shuffle",
  [ND_OP_LINEAR] = "linear",
  [ND_OP_SOFTMAX] = "softmax",
  [ND_OP_RELU6] = "relu6",
  [ND_OP_CONCAT] = "concat",
  [ND_OP_SLICE] = "slice",
};
G_STATIC_ASSERT (G_N_ELEMENTS (op_names) == ND_OP_COUNT);

static const char * const role_names[] = {
  [ND_ROLE_NONE] = "none",
  [ND_ROLE_INPUT] = "input",
  [ND_ROLE_CONV] = "conv",
  [ND_ROLE_BN] = "bn",
  [ND_ROLE_ACTIVATION] = "activation",
  [ND_ROLE_DENSE3X3] = "dense3x3",
  [ND_ROLE_BRANCH1X1] = "branch1x1",
  [ND_ROLE_BRANCH_POOL] = "branch_pool",
  [ND_ROLE_IDENTITY_BN] = "identity_bn",
  [ND_ROLE_SSE_GATE] = "sse_gate",
  [ND_ROLE_MERGE] = "merge",
  [ND_ROLE_FUSED3X3] = "fused3x3",
  [ND_ROLE_FUSION_BN] = "fusion_bn",
  [ND_ROLE_CONCAT] = "concat",
  [ND_ROLE_SHUFFLE] = "shuffle",
  [ND_ROLE_POOL] = "pool",
  [ND_ROLE_SERIES_ACT] = "series_act",
  [ND_ROLE_SHORTCUT] = "shortcut",
  [ND_ROLE_HEAD] = "head",
};
G_STATIC_ASSERT (G_N_ELEMENTS (role_names) == ND_ROLE_COUNT);

static const char * const slot_names[] = { "weight", "bias", "running_mean", "running_var" };
G_STATIC_ASSERT (G_N_ELEMENTS (slot_names) == ND_W_COUNT);

const char *
nd_op_name (NdOp op)
{
  g_return_val_if_fail (op < ND_OP_COUNT, "?");
  return op_names[op];
}

const char *
nd_role_name (NdRole role)
{
  g_return_val_if_fail (role < ND_ROLE_COUNT, "?");
  return role_names[role];
}

const char *
nd_weight_slot_name (NdWeightSlot slot)
{
  g_return_val_if_fail (slot < ND_W_COUNT, "?");
  return slot_names[slot];
}

int
nd_op_n_weights (NdOp op, const NdOpParams *p)
{
  switch (op)
    {
    case ND_OP_CONV2D:
      return p->has_bias ? 2 : 1;
    case ND_OP_BATCHNORM:
      return 4;
    case ND_OP_LINEAR:
      return 2;
    default:
      return 0;
    }
}

static void
node_free (NdNode *node)
{
  for (int i = 0; i < ND_W_COUNT; i++)
    g_clear_pointer (&node->w[i], nd_tensor_unref);
  g_free (node->name);
  g_free (node->block);
  g_strfreev (node->origins);
  g_free (node);
}

static void
graph_free (NdGraph *graph)
{
  g_ptr_array_unref (graph->nodes);
  g_free (graph->model_name);
  g_free (graph->family);
}

NdGraph *
nd_graph_new (int in_c, int in_h, int in_w)
{
  NdGraph *graph = g_atomic_rc_box_new0 (NdGraph);
  NdNode *input = g_new0 (NdNode, 1);

  graph->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  graph->in_c = in_c;
  graph->in_h = in_h;
  graph->in_w = in_w;
  input->op = ND_OP_INPUT;
  input->out_c = in_c;
  input->out_h = in_h;
  input->out_w = in_w;
  input->stream = -1;
  input->role = ND_ROLE_INPUT;
  input->name = g_strdup ("input");
  g_ptr_array_add (graph->nodes, input);
  graph->output = 0;
  return graph;
}

NdGraph *
nd_graph_new_shapes_only (int in_c, int in_h, int in_w)
{
  NdGraph *graph = nd_graph_new (in_c, in_h, in_w);

  graph->shapes_only = TRUE;
  return graph;
}

NdGraph *
nd_graph_ref (NdGraph *graph)
{
  return g_atomic_rc_box_acquire (graph);
}

void
nd_graph_unref (NdGraph *graph)
{
  g_atomic_rc_box_release_full (graph, (GDestroyNotify) graph_free);
}

NdGraph *
nd_graph_copy (const NdGraph *graph)
{
  NdGraph *copy = g_atomic_rc_box_new0 (NdGraph);

  copy->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const NdNode *src = g_ptr_array_index (graph->nodes, i);
      NdNode *dst = g_memdup2 (src, sizeof *src);

      for (int k = 0; k < ND_W_COUNT; k++)
        if (src->w[k] != NULL)
          dst->w[k] = nd_tensor_ref (src->w[k]);
      dst->name = g_strdup (src->name);
      dst->block = g_strdup (src->block);
      dst->origins = g_strdupv (src->origins);
      g_ptr_array_add (copy->nodes, dst);
    }
  copy->output = graph->output;
  copy->in_c = graph->in_c;
  copy->in_h = graph->in_h;
  copy->in_w = graph->in_w;
  copy->fused = graph->fused;
  copy->shapes_only = graph->shapes_only;
  copy->model_name = g_strdup (graph->model_name);
  copy->family = g_strdup (graph->family);
  return copy;
}

float
nd_op_gate_value (const NdOpParams *p, float s)
{
  if (p->hard_gate)
    {
      float h = s + 3.0f;

      h = h < 0.0f ? 0.0f : h > 6.0f ? 6.0f : h;
      return p->alpha * (h / 6.0f);
    }
  return (float) (p->alpha / (1.0 + exp (-(double) s)));
}

/* Output side of a sliding window; FALSE when the window does not fit. */
static gboolean
window_out (int in, int k, int stride, int pad, int *out)
{
  if (k < 1 || stride < 1 || pad < 0 || pad >= k + in)
    return FALSE;
  if (in + 2 * pad < k)
    return FALSE;
  *out = (in + 2 * pad - k) / stride + 1;
  return *out >= 1;
}

/* PyTorch's ceil_mode output side (pooling_output_shape): a partial last window counts, even
 * one that hangs past a map smaller than the window, unless it would start in the
 * right/bottom padding. PyTorch also caps the padding at half the window. */
static gboolean
window_out_ceil (int in, int k, int stride, int pad, int *out)
{
  if (k < 1 || stride < 1 || pad < 0 || pad > k / 2 || in < 1)
    return FALSE;
  if (in + 2 * pad - k + stride - 1 < 0)
    return FALSE;
  *out = (in + 2 * pad - k + stride - 1) / stride + 1;
  if ((*out - 1) * stride >= in + pad)
    (*out)--;
  return *out >= 1;
}

/* Convolutions and pools: the output side of a window sliding over the input map. */
static gboolean
infer_window (NdNode *node, const NdNode *a, const char *what, GError **error)
{
  const NdOpParams *p = &node->p;

  if (node->op == ND_OP_CONV2D
      && (p->out_c < 1 || p->groups < 1 || a->out_c % p->groups != 0
          || p->out_c % p->groups != 0))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("%s: %d input and %d output channels cannot be split into %d groups"),
                   what, a->out_c, p->out_c, p->groups);
      return FALSE;
    }
  if (p->ceil_mode && node->op != ND_OP_MAXPOOL)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("%s: ceil mode is supported for max pooling only"), what);
      return FALSE;
    }
  if (p->ceil_mode
      ? !window_out_ceil (a->out_h, p->kernel, p->stride, p->pad, &node->out_h)
        || !window_out_ceil (a->out_w, p->kernel, p->stride, p->pad, &node->out_w)
      : !window_out (a->out_h, p->kernel, p->stride, p->pad, &node->out_h)
        || !window_out (a->out_w, nd_op_kernel_w (p), p->stride, nd_op_pad_w (p),
                        &node->out_w))
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                   _("%s: a %d×%d map is too small for a %d×%d window at stride %d"),
                   what, a->out_h, a->out_w, p->kernel, nd_op_kernel_w (p), p->stride);
      return FALSE;
    }
  if (node->op == ND_OP_CONV2D)
    node->out_c = p->out_c;
  return TRUE;
}

static gboolean
infer_shape (NdGraph *graph, NdNode *node, const char *name, GError **error)
{
  const NdNode *a = nd_graph_node (graph, node->inputs[0]);
  const NdOpParams *p = &node->p;
  const char *what = name ? name : nd_op_name (node->op);

  node->out_c = a->out_c;
  node->out_h = a->out_h;
  node->out_w = a->out_w;

  switch (node->op)
    {
    case ND_OP_CONV2D:
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
      return infer_window (node, a, what, error);

    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      if (p->out_h < 1 || p->out_w < 1)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("%s: adaptive pool to %d×%d"), what, p->out_h, p->out_w);
          return FALSE;
        }
      node->out_h = p->out_h;
      node->out_w = p->out_w;
      break;

    case ND_OP_ADD:
      for (int i = 1; i < node->n_inputs; i++)
        {
          const NdNode *b = nd_graph_node (graph, node->inputs[i]);

          if (b->out_c != a->out_c || b->out_h != a->out_h || b->out_w != a->out_w)
            {
              g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                           _("%s: cannot add %d×%d×%d and %d×%d×%d"), what,
                           a->out_c, a->out_h, a->out_w, b->out_c, b->out_h, b->out_w);
              return FALSE;
            }
        }
      break;

    case ND_OP_GATE:
      {
        const NdNode *b = nd_graph_node (graph, node->inputs[1]);

        if (b->out_c != a->out_c || b->out_h != 1 || b->out_w != 1)
          {
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                         _("%s: gate of %d×%d×%d does not fit %d channels"), what,
                         b->out_c, b->out_h, b->out_w, a->out_c);
            return FALSE;
          }
      }
      break;

    case ND_OP_CONCAT_INTERLEAVE:
      {
        const NdNode *b = nd_graph_node (graph, node->inputs[1]);

        if (b->out_c != a->out_c || b->out_h != a->out_h || b->out_w != a->out_w)
          {
            g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                         _("%s: cannot interleave %d×%d×%d with %d×%d×%d"), what,
                         a->out_c, a->out_h, a->out_w, b->out_c, b->out_h, b->out_w);
            return FALSE;
          }
        node->out_c = 2 * a->out_c;
      }
      break;

    case ND_OP_CONCAT:
      for (int i = 1; i < node->n_inputs; i++)
        {
          const NdNode *b = nd_graph_node (graph, node->inputs[i]);

          if (b->out_h != a->out_h || b->out_w != a->out_w)
            {
              g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                           _("%s: cannot concatenate %d×%d and %d×%d maps"), what,
                           a->out_h, a->out_w, b->out_h, b->out_w);
              return FALSE;
            }
          node->out_c += b->out_c;
        }
      break;

    case ND_OP_SLICE:
      if (p->offset < 0 || p->out_c < 1 || p->offset + p->out_c > a->out_c)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("%s: channels %d to %d are not within %d channels"), what,
                       p->offset, p->offset + p->out_c - 1, a->out_c);
          return FALSE;
        }
      node->out_c = p->out_c;
      break;

    case ND_OP_CHANNEL_SHUFFLE:
      if (p->groups < 1 || a->out_c % p->groups != 0)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("%s: %d channels cannot be shuffled in %d groups"), what,
                       a->out_c, p->groups);
          return FALSE;
        }
      break;

    case ND_OP_LINEAR:
      if (p->out_c < 1)
        {
          g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_SHAPE_MISMATCH,
                       _("%s: %d output features"), what, p->out_c);
          return FALSE;
        }
      node->out_c = p->out_c;
      node->out_h = 1;
      node->out_w = 1;
      break;

    default:
      break;
    }
  return TRUE;
}

static void
alloc_weights (NdGraph *graph, NdNode *node)
{
  const NdNode *a = nd_graph_node (graph, node->inputs[0]);

  switch (node->op)
    {
    case ND_OP_CONV2D:
      {
        int64_t shape[4] = { node->p.out_c, a->out_c / node->p.groups,
                             node->p.kernel, nd_op_kernel_w (&node->p) };

        node->w[ND_W_WEIGHT] = nd_tensor_new (4, shape);
        if (node->p.has_bias)
          node->w[ND_W_BIAS] = nd_tensor_new_1d (node->p.out_c);
      }
      break;
    case ND_OP_BATCHNORM:
      for (int i = 0; i < ND_W_COUNT; i++)
        node->w[i] = nd_tensor_new_1d (a->out_c);
      /* identity until weights are loaded */
      for (int c = 0; c < a->out_c; c++)
        node->w[ND_W_WEIGHT]->data[c] = node->w[ND_W_VAR]->data[c] = 1.0f;
      break;
    case ND_OP_LINEAR:
      {
        int64_t shape[2] = { node->p.out_c, (int64_t) a->out_c * a->out_h * a->out_w };

        node->w[ND_W_WEIGHT] = nd_tensor_new (2, shape);
        node->w[ND_W_BIAS] = nd_tensor_new_1d (node->p.out_c);
      }
      break;
    default:
      break;
    }
}

static int
expected_inputs (NdOp op, int *max)
{
  switch (op)
    {
    case ND_OP_INPUT:
      *max = 0;
      return 0;
    case ND_OP_ADD:
    case ND_OP_CONCAT:
      *max = ND_MAX_INPUTS;
      return 2;
    case ND_OP_GATE:
    case ND_OP_CONCAT_INTERLEAVE:
      *max = 2;
      return 2;
    default:
      *max = 1;
      return 1;
    }
}

int
nd_graph_add (NdGraph          *graph,
              NdOp              op,
              const NdOpParams *params,
              const int        *inputs,
              int               n_inputs,
              const char       *name,
              GError          **error)
{
  static const NdOpParams defaults = { .stride = 1, .groups = 1, .eps = 1e-5f, .alpha = 1.0f };
  g_autofree NdNode *node = NULL;
  int min, max;

  g_return_val_if_fail (graph != NULL, -1);
  g_return_val_if_fail (op > ND_OP_INPUT && op < ND_OP_COUNT, -1);

  min = expected_inputs (op, &max);
  g_return_val_if_fail (n_inputs >= min && n_inputs <= max, -1);
  for (int i = 0; i < n_inputs; i++)
    g_return_val_if_fail (inputs[i] >= 0 && inputs[i] < nd_graph_n_nodes (graph), -1);

  node = g_new0 (NdNode, 1);
  node->id = nd_graph_n_nodes (graph);
  node->op = op;
  node->p = params ? *params : defaults;
  node->n_inputs = n_inputs;
  memcpy (node->inputs, inputs, n_inputs * sizeof (int));
  node->stream = -1;

  if (!infer_shape (graph, node, name, error))
    return -1;

  node->name = g_strdup (name);
  if (!graph->shapes_only)
    alloc_weights (graph, node);
  g_ptr_array_add (graph->nodes, g_steal_pointer (&node));
  graph->output = nd_graph_n_nodes (graph) - 1;
  return graph->output;
}

void
nd_graph_tag (NdGraph *graph, int id, int stream, const char *block, NdRole role, int depth)
{
  NdNode *node = nd_graph_node (graph, id);

  node->stream = stream;
  g_free (node->block);
  node->block = g_strdup (block);
  node->role = role;
  node->depth = depth;
}

int
nd_graph_n_consumers (const NdGraph *graph, int id)
{
  int n = graph->output == id ? 1 : 0;

  for (guint i = id + 1; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);

      for (int k = 0; k < node->n_inputs; k++)
        n += node->inputs[k] == id;
    }
  return n;
}

NdTensor *
nd_graph_lookup_weight (const NdGraph *graph, const char *key)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);
      gsize len;

      if (node->name == NULL || !g_str_has_prefix (key, node->name))
        continue;
      len = strlen (node->name);
      if (key[len] != '.')
        continue;
      for (int s = 0; s < ND_W_COUNT; s++)
        if (node->w[s] != NULL && strcmp (key + len + 1, slot_names[s]) == 0)
          return node->w[s];
    }
  return NULL;
}

void
nd_graph_foreach_weight (const NdGraph *graph, NdWeightFunc func, gpointer user_data)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);

      for (int s = 0; s < ND_W_COUNT; s++)
        {
          g_autofree char *key = NULL;

          if (node->w[s] == NULL)
            continue;
          key = g_strdup_printf ("%s.%s", node->name, slot_names[s]);
          func (key, node->w[s], s == ND_W_WEIGHT || s == ND_W_BIAS, user_data);
        }
    }
}

gint64
nd_node_params (const NdNode *node)
{
  gint64 n = 0;

  if (node->w[ND_W_WEIGHT])
    n += node->w[ND_W_WEIGHT]->numel;
  if (node->w[ND_W_BIAS])
    n += node->w[ND_W_BIAS]->numel;
  return n;
}

gint64
nd_node_macs (const NdGraph *graph, const NdNode *node)
{
  const NdNode *a;

  switch (node->op)
    {
    case ND_OP_CONV2D:
      a = nd_graph_node (graph, node->inputs[0]);
      return (gint64) node->out_c * node->out_h * node->out_w
             * (a->out_c / node->p.groups) * node->p.kernel * nd_op_kernel_w (&node->p);
    case ND_OP_LINEAR:
      return node->w[ND_W_WEIGHT]->numel;
    default:
      return 0;
    }
}

void
nd_graph_count (const NdGraph *graph, gint64 *params, gint64 *macs, int *depth)
{
  gint64 p = 0, m = 0;
  int d = 0;

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);

      p += nd_node_params (node);
      m += nd_node_macs (graph, node);
      d = MAX (d, node->depth);
    }
  if (params)
    *params = p;
  if (macs)
    *macs = m;
  if (depth)
    *depth = d;
}

/* Weight elements of @node from its shapes, as alloc_weights() would allocate them. */
guint64
nd_node_weight_elements (const NdGraph *graph, const NdNode *node)
{
  const NdNode *a;

  if (node->n_inputs == 0)
    return 0;
  a = nd_graph_node (graph, node->inputs[0]);
  switch (node->op)
    {
    case ND_OP_CONV2D:
      return (guint64) node->p.out_c * (guint64) (a->out_c / MAX (node->p.groups, 1))
             * (guint64) node->p.kernel * (guint64) nd_op_kernel_w (&node->p)
             + (node->p.has_bias ? (guint64) node->p.out_c : 0);
    case ND_OP_BATCHNORM:
      return 4 * (guint64) a->out_c;
    case ND_OP_LINEAR:
      return (guint64) node->p.out_c * (guint64) a->out_c * (guint64) a->out_h
             * (guint64) a->out_w + (guint64) node->p.out_c;
    default:
      return 0;
    }
}

void
nd_graph_memory (const NdGraph *graph, guint64 *weight_bytes, guint64 *activation_bytes)
{
  guint64 w = 0, act = 0;

  /* each term is below 2^50 (channels, sides and kernels are bounded ints), and a graph has
   * at most a few thousand nodes: the sums cannot overflow */
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);

      w += nd_node_weight_elements (graph, node);
      act += (guint64) node->out_c * (guint64) node->out_h * (guint64) node->out_w;
    }
  if (weight_bytes)
    *weight_bytes = w * sizeof (float);
  if (activation_bytes)
    *activation_bytes = act * sizeof (float);
}

void
nd_block_stats_free (NdBlockStats *stats)
{
  g_free (stats->block);
  g_free (stats);
}

/* The op that stands for a block in a table: its first conv-like node. */
static gboolean
is_main_op (const NdNode *node)
{
  return node->op == ND_OP_CONV2D || node->op == ND_OP_LINEAR;
}

GPtrArray *
nd_graph_block_stats (const NdGraph *graph)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_block_stats_free);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) has_main = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 1; i < graph->nodes->len; i++)
    {
      const NdNode *node = g_ptr_array_index (graph->nodes, i);
      const char *key = node->block ? node->block : node->name;
      NdBlockStats *st;

      if (key == NULL)
        continue;
      st = g_hash_table_lookup (index, key);
      if (st == NULL)
        {
          st = g_new0 (NdBlockStats, 1);
          st->block = g_strdup (key);
          st->stream = node->stream;
          st->role = node->role;
          st->first_node = node->id;
          g_ptr_array_add (out, st);
          g_hash_table_insert (index, st->block, st);
        }
      if (is_main_op (node) && !g_hash_table_contains (has_main, st->block))
        {
          st->role = node->role;
          g_hash_table_add (has_main, st->block);
        }
      st->params += nd_node_params (node);
      st->macs += nd_node_macs (graph, node);
      st->flops += nd_node_flops (graph, node);
      {
        gint64 r, w;

        nd_node_bytes (graph, node, &r, &w);
        st->bytes_read += r;
        st->bytes_written += w;
      }
      st->depth = MAX (st->depth, node->depth);
      st->out_c = node->out_c;
      st->out_h = node->out_h;
      st->out_w = node->out_w;
      st->last_node = node->id;
    }
  return out;
}
