/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-render-graph-private.h"

void
_nd_render_graph_layout_free (Layout *l)
{
  g_clear_pointer (&l->stats, g_ptr_array_unref);
  g_clear_pointer (&l->boxes, g_free);
  g_clear_pointer (&l->node_box, g_free);
  g_clear_pointer (&l->edges, g_array_unref);
  g_clear_pointer (&l->lane_res, g_free);
  g_clear_pointer (&l->lane_stream, g_free);
}

const char *
_nd_render_graph_node_key (const NdNode *node)
{
  return node->block ? node->block : node->name;
}

/* The box that produced node @id's value: untagged parameter-free nodes (an unnamed pool)
 * belong to their first input's box. */
static int
resolve_box (const Layout *l, const NdGraph *graph, int id)
{
  while (id > 0 && l->node_box[id] < 0)
    {
      const NdNode *n = nd_graph_node (graph, id);

      if (n->n_inputs == 0)
        return -1;
      id = n->inputs[0];
    }
  return id > 0 ? l->node_box[id] : -1;
}

int
nd_render_graph_n_lanes (const NdGraph *graph)
{
  int max_stream = -1;

  g_return_val_if_fail (graph != NULL, 1);
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    max_stream = MAX (max_stream, nd_graph_node (graph, i)->stream);
  return MAX (max_stream + 1, 1);
}

int
nd_render_graph_n_columns (const NdGraph *graph)
{
  g_auto(Layout) l = { 0 };
  NdRenderGraphData data = { .graph = graph };
  NdRenderStyle style;

  g_return_val_if_fail (graph != NULL, 1);
  nd_render_style_init (&style, FALSE);
  style.axis_depth = 0;
  _nd_render_graph_layout (&l, &data, 100, 100, &style);
  return l.n_cols;
}

static int *
longest_path_nodes (const NdGraph *graph, int *n_out)
{
  int n = nd_graph_n_nodes (graph);
  g_autofree int *best = g_new0 (int, n);
  g_autofree int *pred = g_new (int, n);
  int *path;
  int len = 0;

  for (int i = 0; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int w = node->op == ND_OP_CONV2D || node->op == ND_OP_LINEAR;

      pred[i] = -1;
      for (int k = 0; k < node->n_inputs; k++)
        if (pred[i] < 0 || best[node->inputs[k]] > best[pred[i]])
          pred[i] = node->inputs[k];
      best[i] = w + (pred[i] >= 0 ? best[pred[i]] : 0);
    }
  path = g_new (int, n);
  for (int i = graph->output; i >= 0; i = pred[i])
    path[len++] = i;
  /* Reverse to input → output order. */
  for (int i = 0; i < len / 2; i++)
    {
      int t = path[i];

      path[i] = path[len - 1 - i];
      path[len - 1 - i] = t;
    }
  *n_out = len;
  return path;
}

/* Residual shortcuts (ResNet): an add inside a conv block that takes the block's input
 * (identity) or a SHORTCUT conv (projection) as one operand. */
static void
find_skips (Layout *l, const NdGraph *graph)
{
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int b = l->node_box[i];

      if (node->op != ND_OP_ADD || b < 0 || !(l->boxes[b].roles & (1u << ND_ROLE_CONV)))
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        {
          const NdNode *in = nd_graph_node (graph, node->inputs[k]);

          if (in->role == ND_ROLE_SHORTCUT || (in->role == ND_ROLE_BN && in->n_inputs > 0
              && nd_graph_node (graph, in->inputs[0])->role == ND_ROLE_SHORTCUT))
            l->boxes[b].skip = 2;
          else if (resolve_box (l, graph, node->inputs[k]) != b && l->boxes[b].skip == 0)
            l->boxes[b].skip = 1;
        }
    }
}

/* Columns: the depth tag, else one after the inputs' columns (boxes are topological). */
static void
place_columns (Layout *l, const NdRenderStyle *style)
{
  l->n_cols = 1;
  for (int b = 0; b < l->n_boxes; b++)
    {
      Box *box = &l->boxes[b];

      if (box->st->depth > 0)
        box->col = box->st->depth;
      else
        {
          box->col = 1;
          for (guint e = 0; e < l->edges->len; e++)
            {
              const Edge *edge = &g_array_index (l->edges, Edge, e);

              if (edge->to == b && edge->from < b)
                box->col = MAX (box->col, l->boxes[edge->from].col + 1);
            }
        }
      l->n_cols = MAX (l->n_cols, box->col);
    }
  l->axis_cols = MAX (l->n_cols, style->axis_depth);
}

/* Lanes: one per stream at its resolution; shared blocks in the nearest one. Boxes sharing a
 * cell are stacked. */
static void
place_lanes (Layout *l, int max_stream)
{
  l->n_lanes = MAX (max_stream + 1, 1);
  l->lane_res = g_new0 (int, l->n_lanes);
  l->lane_stream = g_new (int, l->n_lanes);
  for (int s = 0; s < l->n_lanes; s++)
    l->lane_stream[s] = max_stream >= 0 ? s : -1;
  for (int b = 0; b < l->n_boxes; b++)
    {
      const NdBlockStats *st = l->boxes[b].st;

      if (st->stream >= 0 && l->lane_res[st->stream] == 0)
        l->lane_res[st->stream] = st->out_h;
    }
  for (int b = 0; b < l->n_boxes; b++)
    {
      Box *box = &l->boxes[b];
      double best = INFINITY;

      if (box->st->stream >= 0)
        {
          box->lane = box->st->stream;
          continue;
        }
      box->lane = 0;
      for (int s = 0; s < l->n_lanes; s++)
        {
          double d;

          if (l->lane_res[s] <= 0)
            continue;
          d = fabs (log ((double) MAX (box->st->out_h, 1) / l->lane_res[s]));
          /* Ties go to the later lane: the fusion tree flows downwards. */
          if (d <= best)
            {
              best = d;
              box->lane = s;
            }
        }
    }
  if (max_stream < 0 && l->n_boxes > 0)
    l->lane_res[0] = l->boxes[0].st->out_h;

  /* Boxes sharing a cell are stacked. */
  for (int b = 0; b < l->n_boxes; b++)
    for (int o = 0; o < b; o++)
      if (l->boxes[o].lane == l->boxes[b].lane && l->boxes[o].col == l->boxes[b].col)
        l->boxes[b].slot++;
  for (int b = 0; b < l->n_boxes; b++)
    {
      l->boxes[b].n_slots = 1;
      for (int o = 0; o < l->n_boxes; o++)
        if (l->boxes[o].lane == l->boxes[b].lane && l->boxes[o].col == l->boxes[b].col)
          l->boxes[b].n_slots = MAX (l->boxes[b].n_slots, l->boxes[o].slot + 1);
    }
}

/* The longest path, mapped onto boxes and edges. */
static void
mark_path (Layout *l, const NdGraph *graph)
{
  int n_path = 0;
  g_autofree int *path = longest_path_nodes (graph, &n_path);
  int prev = -1;

  for (int i = 0; i < n_path; i++)
    {
      int b = path[i] > 0 ? resolve_box (l, graph, path[i]) : -1;

      if (b < 0)
        continue;
      l->boxes[b].on_path = TRUE;
      if (prev >= 0 && prev != b)
        for (guint e = 0; e < l->edges->len; e++)
          {
            Edge *edge = &g_array_index (l->edges, Edge, e);

            if (edge->from == prev && edge->to == b)
              edge->on_path = TRUE;
          }
      prev = b;
    }
}

/* The parent path of a block key ("a.b.c" → "a.b"), or NULL. */
static char *
parent_key (const char *block)
{
  const char *dot = block ? strrchr (block, '.') : NULL;

  return dot != NULL && dot > block ? g_strndup (block, dot - block) : NULL;
}

static gboolean
is_collapsed (const char * const *collapsed, const char *group)
{
  for (int i = 0; collapsed != NULL && group != NULL && collapsed[i] != NULL; i++)
    if (strcmp (collapsed[i], group) == 0)
      return TRUE;
  return FALSE;
}

/* Merges each run of ≥ 2 consecutive blocks of a collapsed group into one block named after
 * the group: counts summed, the output shape and depth of the run's last block. */
static GPtrArray *
collapse_stats (GPtrArray *stats, const char * const *collapsed)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) nd_block_stats_free);

  /* every element moves to @out, as it is or merged (its members freed here) */
  g_ptr_array_set_free_func (stats, NULL);
  for (guint i = 0; i < stats->len;)
    {
      NdBlockStats *st = g_ptr_array_index (stats, i), *m;
      g_autofree char *group = parent_key (st->block);
      guint end = i + 1;

      while (end < stats->len && is_collapsed (collapsed, group))
        {
          g_autofree char *next = parent_key (((NdBlockStats *) g_ptr_array_index (stats,
                                                                                  end))->block);

          if (g_strcmp0 (next, group) != 0)
            break;
          end++;
        }
      if (end - i < 2)
        {
          g_ptr_array_add (out, st);
          i++;
          continue;
        }
      m = g_new0 (NdBlockStats, 1);
      *m = *st;
      m->block = g_strdup (group);
      for (guint k = i + 1; k < end; k++)
        {
          const NdBlockStats *o = g_ptr_array_index (stats, k);

          m->params += o->params, m->macs += o->macs, m->flops += o->flops;
          m->bytes_read += o->bytes_read, m->bytes_written += o->bytes_written;
          m->depth = o->depth, m->last_node = o->last_node;
          m->out_c = o->out_c, m->out_h = o->out_h, m->out_w = o->out_w;
        }
      for (guint k = i; k < end; k++)
        nd_block_stats_free (g_ptr_array_index (stats, k));
      g_ptr_array_add (out, m);
      i = end;
    }
  g_ptr_array_unref (stats);
  return out;
}

char *
nd_render_graph_block_group (const NdGraph *graph, const char *block)
{
  g_autoptr(GPtrArray) stats = NULL;
  g_autofree char *group = parent_key (block);
  int run = 0, best = 0;

  g_return_val_if_fail (graph != NULL, NULL);
  if (group == NULL)
    return NULL;
  stats = nd_graph_block_stats (graph);
  for (guint i = 0; i < stats->len; i++)
    {
      const char *key = ((NdBlockStats *) g_ptr_array_index (stats, i))->block;
      g_autofree char *p = parent_key (key);

      run = g_strcmp0 (p, group) == 0 ? run + 1 : 0;
      best = MAX (best, run);
    }
  return best >= 2 ? g_steal_pointer (&group) : NULL;
}

void
_nd_render_graph_layout (Layout *l, const NdRenderGraphData *data, double width, double height,
                         const NdRenderStyle *style)
{
  const NdGraph *graph = data->graph;
  int n = nd_graph_n_nodes (graph);
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_edges = g_hash_table_new (NULL, NULL);
  int max_stream = -1;
  double avail_w, avail_h;

  *l = (Layout) { 0 };
  l->stats = nd_graph_block_stats (graph);
  if (data->collapsed != NULL)
    l->stats = collapse_stats (l->stats, data->collapsed);
  l->n_boxes = l->stats->len;
  l->boxes = g_new0 (Box, MAX (l->n_boxes, 1));
  l->node_box = g_new (int, n);
  l->edges = g_array_new (FALSE, FALSE, sizeof (Edge));

  for (int b = 0; b < l->n_boxes; b++)
    {
      l->boxes[b].st = g_ptr_array_index (l->stats, b);
      g_hash_table_insert (index, l->boxes[b].st->block, GINT_TO_POINTER (b + 1));
      max_stream = MAX (max_stream, l->boxes[b].st->stream);
    }
  l->node_box[0] = -1;
  for (int i = 1; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const char *key = _nd_render_graph_node_key (node);
      Box *box;

      l->node_box[i] = key ? GPOINTER_TO_INT (g_hash_table_lookup (index, key)) - 1 : -1;
      if (l->node_box[i] < 0 && data->collapsed != NULL)
        {
          g_autofree char *group = parent_key (key);

          if (group != NULL)
            l->node_box[i] = GPOINTER_TO_INT (g_hash_table_lookup (index, group)) - 1;
        }
      if (l->node_box[i] < 0)
        continue;
      box = &l->boxes[l->node_box[i]];
      box->roles |= 1u << node->role;
      box->concat |= node->op == ND_OP_CONCAT;
      if (node->depth > 0 && (box->first_col == 0 || node->depth < box->first_col))
        box->first_col = node->depth;
      if (data->op_ms != NULL)
        box->ms += data->op_ms[i];
    }

  /* Edges between boxes, deduplicated. */
  for (int i = 1; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      int to = l->node_box[i];

      if (to < 0)
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        {
          int from = resolve_box (l, graph, node->inputs[k]);
          gpointer key = GINT_TO_POINTER (from * 65536 + to + 1);

          if (from < 0 || from == to || g_hash_table_contains (seen_edges, key))
            continue;
          g_hash_table_add (seen_edges, key);
          g_array_append_val (l->edges, ((Edge) { from, to, FALSE }));
        }
    }

  find_skips (l, graph);
  place_columns (l, style);
  place_lanes (l, max_stream);

  avail_w = MAX (width - MARGIN_LEFT - MARGIN_RIGHT, 10);
  avail_h = MAX (height - MARGIN_TOP - MARGIN_BOTTOM, 10);
  l->col_w = avail_w / l->axis_cols;
  l->lane_h = avail_h / l->n_lanes;
  for (int b = 0; b < l->n_boxes; b++)
    {
      Box *box = &l->boxes[b];
      double slot_h = l->lane_h / box->n_slots;
      int span;

      if (box->first_col <= 0 || box->first_col > box->col || box->st->depth <= 0)
        box->first_col = box->col;
      span = box->col - box->first_col + 1;
      box->w = l->col_w * (span - 0.34);
      /* a concat block draws its branches inside: it may take more of the lane */
      box->h = MIN (slot_h * 0.78, box->concat ? 200 : 96);
      box->x = MARGIN_LEFT + (box->first_col - 1) * l->col_w + l->col_w * 0.17;
      box->y = MARGIN_TOP + box->lane * l->lane_h + box->slot * slot_h + (slot_h - box->h) / 2;
      l->max_ms = MAX (l->max_ms, box->ms);
    }
  if (data->ms_scale > 0)
    l->max_ms = data->ms_scale;

  mark_path (l, graph);
}

GPtrArray *
nd_render_graph_longest_path (const NdGraph *graph)
{
  g_auto(Layout) l = { 0 };
  NdRenderGraphData data = { graph, NULL, NULL };
  NdRenderStyle style;
  g_autofree int *path = NULL;
  GPtrArray *out = g_ptr_array_new ();
  int n_path = 0, prev = -1;

  g_return_val_if_fail (graph != NULL, out);
  nd_render_style_init (&style, FALSE);
  _nd_render_graph_layout (&l, &data, 100, 100, &style);
  path = longest_path_nodes (graph, &n_path);
  for (int i = 0; i < n_path; i++)
    {
      int b = path[i] > 0 ? resolve_box (&l, graph, path[i]) : -1;

      if (b >= 0 && b != prev)
        g_ptr_array_add (out, (gpointer) _nd_render_graph_node_key (nd_graph_node (graph,
                                                                  l.boxes[b].st->first_node)));
      if (b >= 0)
        prev = b;
    }
  return out;
}

