/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-render-graph-private.h"

/* A block whose output is a channel concatenation (Inception's Mixed blocks, VoVNet's OSA
 * modules, CSPNet's stages) is drawn inside its box as the small graph it is: one lane per
 * branch, its convs and pools in order, every branch ending on one aggregation bar at the
 * right. Branches that share convs (an OSA module's chain, whose every conv output is also
 * aggregated) share a lane and tap it: the aggregation reads as one grouped edge per conv
 * instead of a fan of crossing lines. The block input taps the bar directly when it is one of
 * the concatenated maps (OSA, DenseNet's running concat). */

#define MAX_ENDS   16
#define MAX_PATH   12

typedef struct
{
  int n_ends;
  int path_len[MAX_ENDS];
  int path[MAX_ENDS][MAX_PATH];   /* node ids, block input side first */
  int row[MAX_ENDS];              /* lane of the branch; −1: the block input itself */
  int n_rows, n_cols;
} Branches;

static gboolean
in_block (const NdGraph *graph, const NdBlockStats *st, int id)
{
  const NdNode *n = nd_graph_node (graph, id);

  return id >= st->first_node && id <= st->last_node
         && g_strcmp0 (_nd_render_graph_node_key (n), st->block) == 0;
}

/* The inputs of the block's last concat, nested concats of the block flattened. */
static void
collect_ends (const NdGraph *graph, const NdBlockStats *st, int id, Branches *br)
{
  const NdNode *n = nd_graph_node (graph, id);

  for (int k = 0; k < n->n_inputs; k++)
    {
      int in = n->inputs[k];

      if (in_block (graph, st, in) && nd_graph_node (graph, in)->op == ND_OP_CONCAT)
        collect_ends (graph, st, in, br);
      else if (br->n_ends < MAX_ENDS)
        br->path[br->n_ends++][0] = in;
    }
}

/* The convs and pools from the block input to @end, following first inputs inside the block
 * (a branch's BN and activation are not drawn). */
static int
trace_path (const NdGraph *graph, const NdBlockStats *st, int end, int *path)
{
  int rev[MAX_PATH], n = 0;

  for (int id = end; id > 0 && in_block (graph, st, id) && n < MAX_PATH;
       id = nd_graph_node (graph, id)->inputs[0])
    {
      NdOp op = nd_graph_node (graph, id)->op;

      if (op == ND_OP_CONV2D || op == ND_OP_AVGPOOL || op == ND_OP_MAXPOOL)
        rev[n++] = id;
      if (nd_graph_node (graph, id)->n_inputs == 0)
        break;
    }
  for (int i = 0; i < n; i++)
    path[i] = rev[n - 1 - i];
  return n;
}

static gboolean
find_branches (const NdGraph *graph, const NdBlockStats *st, Branches *br)
{
  int cat = -1;

  memset (br, 0, sizeof *br);
  for (int i = st->last_node; i >= st->first_node && cat < 0; i--)
    if (in_block (graph, st, i) && nd_graph_node (graph, i)->op == ND_OP_CONCAT)
      cat = i;
  if (cat < 0)
    return FALSE;
  /* the outermost concat: the one no other concat of the block reads */
  for (int i = cat + 1; i <= st->last_node; i++)
    if (in_block (graph, st, i) && nd_graph_node (graph, i)->op == ND_OP_CONCAT)
      cat = i;
  collect_ends (graph, st, cat, br);
  if (br->n_ends < 2)
    return FALSE;
  for (int e = 0; e < br->n_ends; e++)
    {
      int end = br->path[e][0];

      br->path_len[e] = trace_path (graph, st, end, br->path[e]);
      br->row[e] = -1;
      if (br->path_len[e] == 0)
        continue;
      /* a branch that starts with a conv another branch already holds shares its lane */
      for (int o = 0; o < e && br->row[e] < 0; o++)
        if (br->path_len[o] > 0 && br->path[o][0] == br->path[e][0])
          br->row[e] = br->row[o];
      if (br->row[e] < 0)
        br->row[e] = br->n_rows++;
      br->n_cols = MAX (br->n_cols, br->path_len[e]);
    }
  return br->n_rows > 0;
}

static const char *
node_label (const NdNode *n, char *buf, gsize len)
{
  if (n->op != ND_OP_CONV2D)
    return "pool";
  if (nd_op_kernel_w (&n->p) != n->p.kernel)
    g_snprintf (buf, len, "%d×%d", n->p.kernel, nd_op_kernel_w (&n->p));
  else
    g_snprintf (buf, len, "%d", n->p.kernel);
  return buf;
}

/* Draws the branches of @box between @top and @bottom (content units); FALSE when the block
 * has none or they would be too small to read at this zoom. */
gboolean
_nd_render_graph_draw_branches (cairo_t *cr, const NdGraph *graph, const Box *box,
                                const double *ink, double top, double bottom, double zoom)
{
  Branches br;
  double x0 = box->x + 4, bar_x = box->x + box->w - 5, row_h, col_w, node_w, node_h;
  double in_y;
  char buf[16];

  if (!find_branches (graph, box->st, &br))
    return FALSE;
  row_h = (bottom - top) / br.n_rows;
  col_w = (bar_x - 6 - x0) / br.n_cols;
  node_w = MIN (col_w * 0.72, 22);
  node_h = MIN (row_h * 0.62, 12);
  if (row_h * zoom < 6 || col_w * zoom < 5)
    return FALSE;
  in_y = (top + bottom) / 2;

  cairo_save (cr);
  cairo_set_source_rgba (cr, ink[0], ink[1], ink[2], 0.8);
  cairo_set_line_width (cr, MAX (0.6, 1.0 / zoom));
  /* the aggregation bar */
  cairo_move_to (cr, bar_x, top + row_h * 0.2);
  cairo_line_to (cr, bar_x, bottom - row_h * 0.2);
  cairo_stroke (cr);
  cairo_set_line_width (cr, MAX (0.4, 0.7 / zoom));
  for (int e = 0; e < br.n_ends; e++)
    {
      double y = br.row[e] >= 0 ? top + (br.row[e] + 0.5) * row_h : in_y;
      double end_x = x0;

      if (br.path_len[e] == 0)
        {
          /* the block input is one of the concatenated maps: a dashed tap to the bar */
          const double dash[] = { 2 / zoom, 2 / zoom };

          cairo_set_dash (cr, dash, 2, 0);
          cairo_move_to (cr, x0, top + 1);
          cairo_curve_to (cr, (x0 + bar_x) / 2, top + 1, (x0 + bar_x) / 2, top + 1, bar_x,
                          top + row_h * 0.2);
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
          continue;
        }
      /* from the block input into the branch, along it, out to the bar */
      cairo_move_to (cr, x0, in_y);
      cairo_curve_to (cr, x0 + col_w * 0.3, in_y, x0 + col_w * 0.2, y,
                      x0 + (col_w - node_w) / 2, y);
      end_x = x0 + (br.path_len[e] - 0.5) * col_w + node_w / 2;
      cairo_move_to (cr, end_x, y);
      cairo_curve_to (cr, (end_x + bar_x) / 2, y, (end_x + bar_x) / 2,
                      MIN (MAX (y, top + row_h * 0.2), bottom - row_h * 0.2), bar_x,
                      MIN (MAX (y + (e - br.n_ends / 2.0) * 0.6, top + row_h * 0.2),
                           bottom - row_h * 0.2));
      cairo_stroke (cr);
      for (int i = 0; i + 1 < br.path_len[e]; i++)
        {
          cairo_move_to (cr, x0 + (i + 0.5) * col_w + node_w / 2, y);
          cairo_line_to (cr, x0 + (i + 1.5) * col_w - node_w / 2, y);
        }
      cairo_stroke (cr);
    }
  /* the convs and pools, each once (a shared chain is drawn by its longest branch too) */
  cairo_set_font_size (cr, MIN (node_h * 0.8, 9));
  for (int e = 0; e < br.n_ends; e++)
    for (int i = 0; i < br.path_len[e]; i++)
      {
        const NdNode *n = nd_graph_node (graph, br.path[e][i]);
        double cx = x0 + (i + 0.5) * col_w, cy = top + (br.row[e] + 0.5) * row_h;

        cairo_rectangle (cr, cx - node_w / 2, cy - node_h / 2, node_w, node_h);
        cairo_set_source_rgba (cr, ink[0], ink[1], ink[2], n->op == ND_OP_CONV2D ? 0.22 : 0.08);
        cairo_fill_preserve (cr);
        cairo_set_source_rgba (cr, ink[0], ink[1], ink[2], 0.8);
        cairo_stroke (cr);
        nd_render_text_fit (cr, node_label (n, buf, sizeof buf), cx, cy + node_h * 0.3, 0.5,
                            node_w - 1, MIN_TEXT_PX / zoom);
      }
  cairo_restore (cr);
  return TRUE;
}

/* TRUE when box @b concatenates onto the running concatenation of box @b − 1 (DenseNet's
 * dense layers: cat_j = cat (cat_{j−1}, new_j)). */
static gboolean
dense_follows (const Layout *l, const NdGraph *graph, int b)
{
  const NdBlockStats *st = l->boxes[b].st;

  if (b == 0)
    return FALSE;
  for (int i = st->first_node; i <= st->last_node; i++)
    {
      const NdNode *n = nd_graph_node (graph, i);

      if (n->op != ND_OP_CONCAT || l->node_box[i] != b)
        continue;
      for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] > 0 && l->node_box[n->inputs[k]] == b - 1
            && nd_graph_node (graph, n->inputs[k])->op == ND_OP_CONCAT)
          return TRUE;
    }
  return FALSE;
}

/* Dense connections as one grouped edge per dense block: every layer reads the
 * concatenation of all earlier ones, so instead of n(n−1)/2 arcs a bus runs over the block's
 * layers with a drop into each, labelled with the number of layers. */
void
_nd_render_graph_draw_dense_groups (cairo_t *cr, const Layout *l, const NdGraph *graph,
                                    const NdRenderStyle *style, double fs)
{
  for (int b = 1; b < l->n_boxes; b++)
    {
      int first = b - 1, last;
      double y, x0, x1;
      char buf[32];

      if (!dense_follows (l, graph, b) || (b > 1 && dense_follows (l, graph, b - 1)))
        continue;
      for (last = b; last + 1 < l->n_boxes && dense_follows (l, graph, last + 1); last++)
        ;
      y = l->boxes[first].y;
      for (int o = first; o <= last; o++)
        y = MIN (y, l->boxes[o].y);
      y -= MAX (4, fs * 0.6);
      x0 = l->boxes[first].x + l->boxes[first].w / 2;
      x1 = l->boxes[last].x + l->boxes[last].w / 2;
      cairo_save (cr);
      nd_render_set_rgba (cr, style->fg);
      cairo_set_line_width (cr, MAX (0.8, 1.2 / style->zoom));
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, x1, y);
      for (int o = first; o <= last; o++)
        {
          double x = l->boxes[o].x + l->boxes[o].w / 2;

          cairo_move_to (cr, x, y);
          cairo_line_to (cr, x, l->boxes[o].y);
        }
      cairo_stroke (cr);
      /* the layers of the group */
      /* translators: a DenseNet dense block of %d layers, over the graph view's boxes */
      g_snprintf (buf, sizeof buf, _("dense ×%d"), last - first + 1);
      cairo_set_font_size (cr, fs * 0.85);
      nd_render_text_fit (cr, buf, x0, y - 2, 0, x1 - x0, MIN_TEXT_PX / style->zoom);
      cairo_restore (cr);
    }
}
