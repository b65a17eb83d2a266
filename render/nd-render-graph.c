/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-colormap.h"
#include "nd-render-graph-private.h"

/* Branch rows drawn inside a block box, in this order. */
static const struct
{
  NdRole      role;
  const char *label, *narrow;   /* @narrow: for a box too small for @label */
} branch_rows[] = {
  { ND_ROLE_DENSE3X3, "3×3", "3" },
  { ND_ROLE_FUSED3X3, "3×3 ◆", "3◆" },
  { ND_ROLE_BRANCH1X1, "1×1", "1" },
  { ND_ROLE_IDENTITY_BN, "id·BN", "id" },
  { ND_ROLE_SSE_GATE, "SE", "SE" },
};

/* The block's op: "conv 3×3", or the kernel chain of a multi-conv block ("conv 1·3·1" for a
 * ResNet bottleneck), "fc", "concat", "pool"; else its role. */
static const char *
main_label (const NdGraph *graph, const NdBlockStats *st, char *buf, gsize len)
{
  GString *chain = g_string_new (NULL);
  int n_conv = 0, k0 = 0, k0w = 0;
  const char *other = NULL;

  for (int i = st->first_node; i <= st->last_node; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const char *key = _nd_render_graph_node_key (node);

      if (key == NULL || g_strcmp0 (key, st->block) != 0)
        continue;
      switch (node->op)
        {
        case ND_OP_CONV2D:
          if (node->role == ND_ROLE_SHORTCUT)
            break;
          /* a non-square kernel (Inception's 1×7) reads k_h×k_w in the chain too */
          if (nd_op_kernel_w (&node->p) != node->p.kernel)
            g_string_append_printf (chain, "%s%d×%d", n_conv > 0 ? "·" : "", node->p.kernel,
                                    nd_op_kernel_w (&node->p));
          else
            g_string_append_printf (chain, "%s%d", n_conv > 0 ? "·" : "", node->p.kernel);
          if (n_conv++ == 0)
            {
              k0 = node->p.kernel;
              k0w = nd_op_kernel_w (&node->p);
            }
          break;
        case ND_OP_LINEAR:
          other = other ? other : "fc";
          break;
        case ND_OP_CONCAT_INTERLEAVE:
          other = other ? other : "concat";
          break;
        case ND_OP_MAXPOOL:
        case ND_OP_AVGPOOL:
        case ND_OP_ADAPTIVE_AVGPOOL:
        case ND_OP_ADAPTIVE_MAXPOOL:
          other = other ? other : "pool";
          break;
        default:
          break;
        }
    }
  if (n_conv == 1)
    g_snprintf (buf, len, "conv %d×%d", k0, k0w);
  else if (n_conv > 1)
    g_snprintf (buf, len, "conv %s", chain->str);
  g_string_free (chain, TRUE);
  if (n_conv > 0)
    return buf;
  return other ? other : nd_role_name (st->role);
}

/* Draws @text at @size (content units) shrunk to fit @max_w, with its left edge at @x and
 * baseline at @y; leaves it out when that would be under MIN_TEXT_PX on screen. */
static gboolean
fit_text (cairo_t *cr, const char *text, double x, double y, double max_w, double size,
          double zoom)
{
  cairo_set_font_size (cr, size);
  return nd_render_text_fit (cr, text, x, y, 0, max_w, MIN_TEXT_PX / zoom);
}

/* Box titles: "streams.1.3" → "1.3", "stage3.5" → "s3.5", "stages.4" → "s4",
 * "layer2.1" → "L2.1", "downsamples_2.1" → "ds.1"; other names stay. */
static const char *
short_name (const char *block, char *buf, gsize len)
{
  if (g_str_has_prefix (block, "streams."))
    return block + strlen ("streams.");
  if (g_str_has_prefix (block, "downsamples_2."))
    g_snprintf (buf, len, "ds.%s", block + strlen ("downsamples_2."));
  else if (g_str_has_prefix (block, "classifier."))
    g_snprintf (buf, len, "cls.%s", block + strlen ("classifier."));
  else if (g_str_has_prefix (block, "stages."))
    g_snprintf (buf, len, "s%s", block + strlen ("stages."));
  else if (g_str_has_prefix (block, "stage"))
    g_snprintf (buf, len, "s%s", block + strlen ("stage"));
  else if (g_str_has_prefix (block, "layer"))
    g_snprintf (buf, len, "L%s", block + strlen ("layer"));
  else
    return block;
  return buf;
}

/* Text colour on a fill: dark on light colormap colours, light on dark ones. */
static const double *
text_on (const NdRenderStyle *style, double r, double g, double b)
{
  static const double light[4] = { 0.97, 0.97, 0.97, 1 };

  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 ? light : style->on_color;
}

/* For boxes too narrow for short_name: "inits.0.1" → "i0.1", "combine.3" → "c3",
 * "ds.1" → "d1"; the tooltip has the full name. */
static const char *
tiny_name (const char *block, char *buf, gsize len)
{
  static const char *prefixes[] = { "inits.", "combine", "downsamples_2.", "stages.", "stage",
                                    "layer", "streams." };
  const char *letters = "icdsslS";

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (block, prefixes[i]))
      {
        const char *rest = block + strlen (prefixes[i]);

        if (*rest == '.')
          rest++;
        if (i == G_N_ELEMENTS (prefixes) - 1)
          return rest;
        g_snprintf (buf, len, "%c%s", letters[i], rest);
        return buf;
      }
  return block;
}

static void
draw_box (cairo_t *cr, const Layout *l, const Box *box, const NdRenderGraphData *data,
          const NdRenderStyle *style, double fs)
{
  const NdGraph *graph = data->graph;
  gboolean selected = data->selected && g_strcmp0 (data->selected, box->st->block) == 0;
  const double *ink;
  double r, g, b, tw = box->w - 6, zoom = style->zoom;
  int n_rows = 0;
  char buf[48];

  if (data->op_ms != NULL && l->max_ms > 0)
    {
      nd_colormap_rgb (ND_COLORMAP_LATENCY, box->ms / l->max_ms, &r, &g, &b);
      ink = text_on (style, r, g, b);
    }
  else
    {
      r = style->surface[0], g = style->surface[1], b = style->surface[2];
      ink = style->on_surface;
    }
  cairo_rectangle (cr, box->x, box->y, box->w, box->h);
  cairo_set_source_rgb (cr, r, g, b);
  cairo_fill_preserve (cr);
  if (selected)
    {
      nd_render_set_rgba (cr, style->accent);
      cairo_set_line_width (cr, 3);
    }
  else if (box->on_path)
    {
      nd_render_set_rgba (cr, style->highlight);
      cairo_set_line_width (cr, 2.5);
    }
  else
    {
      nd_render_set_rgba (cr, style->muted);
      cairo_set_line_width (cr, 1);
    }
  cairo_stroke (cr);

  /* Title: the short block name; every label fits the box or is left out, never cut. */
  nd_render_set_rgba (cr, ink);
  if (!fit_text (cr, short_name (box->st->block, buf, sizeof buf), box->x + 3, box->y + fs + 1,
                 tw, fs, zoom)
      && !fit_text (cr, tiny_name (box->st->block, buf, sizeof buf), box->x + 3,
                    box->y + fs + 1, tw, fs, zoom))
    return;

  for (guint k = 0; k < G_N_ELEMENTS (branch_rows); k++)
    if (box->roles & (1u << branch_rows[k].role))
      n_rows++;
  if (n_rows > 0)
    {
      double top = box->y + fs + 4;
      double row_h = (box->y + box->h - top - 2) / n_rows;
      int row = 0;

      for (guint k = 0; k < G_N_ELEMENTS (branch_rows) && row_h >= 2; k++)
        {
          double ry, rfs = MIN (fs * 0.85, row_h - 2);

          if (!(box->roles & (1u << branch_rows[k].role)))
            continue;
          ry = top + row * row_h;
          cairo_rectangle (cr, box->x + 3, ry + 1, box->w - 6, MAX (row_h - 2, 1));
          if (ink == style->on_color)
            cairo_set_source_rgba (cr, 1, 1, 1, 0.55);
          else
            cairo_set_source_rgba (cr, ink[0], ink[1], ink[2], 0.12);
          cairo_fill (cr);
          nd_render_set_rgba (cr, ink);
          if (!fit_text (cr, branch_rows[k].label, box->x + 5, ry + row_h / 2 + rfs * 0.38,
                         box->w - 10, rfs, zoom))
            fit_text (cr, branch_rows[k].narrow, box->x + 5, ry + row_h / 2 + rfs * 0.38,
                      box->w - 10, rfs, zoom);
          row++;
        }
    }
  else if (box->h > 4 * fs
           && _nd_render_graph_draw_branches (cr, graph, box, ink, box->y + fs + 4,
                                              box->y + box->h - (data->op_ms ? 1.2 * fs : 3),
                                              zoom))
    ;   /* a concat block: its branches instead of the kernel chain */
  else if (box->h > 2.2 * fs)
    {
      const char *op = main_label (graph, box->st, buf, sizeof buf);

      /* "conv 1·3·1" in a narrow box: the kernels alone. */
      if (!fit_text (cr, op, box->x + 3, box->y + 2 * fs + 3, tw, fs * 0.85, zoom)
          && g_str_has_prefix (op, "conv "))
        fit_text (cr, op + strlen ("conv "), box->x + 3, box->y + 2 * fs + 3, tw, fs * 0.85,
                  zoom);
    }
  if (data->op_ms != NULL && box->h > 3.4 * fs && n_rows == 0)
    {
      g_snprintf (buf, sizeof buf, "%.2f ms", box->ms);
      if (!fit_text (cr, buf, box->x + 3, box->y + box->h - 3, tw, fs * 0.8, zoom))
        {
          g_snprintf (buf, sizeof buf, "%.2f", box->ms);
          fit_text (cr, buf, box->x + 3, box->y + box->h - 3, tw, fs * 0.8, zoom);
        }
    }
}

/* A residual shortcut: an arc over the box from its input to its add, "+" where it joins;
 * dashed for an identity, solid for a 1×1 projection. */
static void
draw_skip (cairo_t *cr, const Box *box, const NdRenderStyle *style, double fs)
{
  double x0 = box->x + 2, x1 = box->x + box->w - 2, y = box->y;
  double lift = MIN (box->h * 0.3, 2.2 * fs);
  const double dash[] = { 3, 2 };

  cairo_save (cr);
  nd_render_set_rgba (cr, style->fg);
  cairo_set_line_width (cr, 1.5);
  if (box->skip == 1)
    cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, x0, y);
  cairo_curve_to (cr, x0, y - lift, x1, y - lift, x1, y);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_arc (cr, x1, y, MAX (fs * 0.3, 2), 0, 2 * G_PI);
  nd_render_set_rgba (cr, style->bg[3] > 0 ? style->bg : style->surface);
  cairo_fill_preserve (cr);
  nd_render_set_rgba (cr, style->fg);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* Lanes and their labels (left out when zoomed out too far to read them). */
static void
draw_lanes (cairo_t *cr, const Layout *l, const NdRenderStyle *style)
{
  gboolean text = style->font_size * 0.9 * style->zoom >= MIN_TEXT_PX;
  char buf[64];

  for (int s = 0; s < l->n_lanes; s++)
    {
      double y = MARGIN_TOP + s * l->lane_h;

      if (s % 2 == 1)
        {
          cairo_rectangle (cr, MARGIN_LEFT, y, l->axis_cols * l->col_w, l->lane_h);
          cairo_set_source_rgba (cr, style->muted[0], style->muted[1], style->muted[2], 0.10);
          cairo_fill (cr);
        }
      if (!text)
        continue;
      nd_render_set_rgba (cr, style->fg);
      cairo_set_font_size (cr, style->font_size);
      if (l->lane_stream[s] >= 0)
        g_snprintf (buf, sizeof buf, _("stream %d"), s);
      else
        g_snprintf (buf, sizeof buf, "%s", _("deep"));
      nd_render_text (cr, buf, 6, y + l->lane_h / 2 - 2, 0);
      nd_render_set_rgba (cr, style->muted);
      cairo_set_font_size (cr, style->font_size * 0.9);
      g_snprintf (buf, sizeof buf, "%d×%d", l->lane_res[s], l->lane_res[s]);
      nd_render_text (cr, buf, 6, y + l->lane_h / 2 + style->font_size, 0);
    }
}

/* The depth axis: a tick per column, numbered as often as there is room on screen. */
static void
draw_axis (cairo_t *cr, const Layout *l, const NdRenderStyle *style)
{
  gboolean text = style->font_size * 0.85 * style->zoom >= MIN_TEXT_PX;
  double y = MARGIN_TOP + l->n_lanes * l->lane_h + 4;
  int step = MAX (1, (int) ceil (22.0 / (l->col_w * style->zoom)));
  char buf[16];

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, MARGIN_LEFT, y);
  cairo_line_to (cr, MARGIN_LEFT + l->axis_cols * l->col_w, y);
  cairo_stroke (cr);
  cairo_set_font_size (cr, style->font_size * 0.85);
  for (int c = 1; c <= l->axis_cols; c++)
    {
      double x = MARGIN_LEFT + (c - 0.5) * l->col_w;

      /* 1, then every step-th column at least a step away from it */
      if (c != 1 && (c % step != 0 || c - 1 < step))
        continue;
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x, y + 4);
      cairo_stroke (cr);
      g_snprintf (buf, sizeof buf, "%d", c);
      if (text)
        nd_render_text (cr, buf, x, y + 6 + style->font_size * 0.85, 0.5);
    }
  if (text)
    nd_render_text (cr, _("depth"), 6, y + 6 + style->font_size * 0.85, 0);
}

/* Edges, the path's last so they stay on top. */
static void
draw_edges (cairo_t *cr, const Layout *l, const NdRenderStyle *style)
{
  for (int pass = 0; pass < 2; pass++)
    for (guint e = 0; e < l->edges->len; e++)
      {
        const Edge *edge = &g_array_index (l->edges, Edge, e);
        const Box *a = &l->boxes[edge->from], *b = &l->boxes[edge->to];
        double x0 = a->x + a->w, y0 = a->y + a->h / 2, x1 = b->x, y1 = b->y + b->h / 2;
        double mx = (x0 + x1) / 2;

        if (edge->on_path != (pass == 1))
          continue;
        if (x1 <= x0)
          {
            x0 = a->x + a->w / 2;
            y0 = a->y + a->h;
            x1 = b->x + b->w / 2;
            y1 = b->y;
            mx = (x0 + x1) / 2;
          }
        cairo_move_to (cr, x0, y0);
        cairo_curve_to (cr, mx, y0, mx, y1, x1, y1);
        if (edge->on_path)
          {
            nd_render_set_rgba (cr, style->highlight);
            cairo_set_line_width (cr, 2.5);
          }
        else
          {
            nd_render_set_rgba (cr, style->muted);
            cairo_set_line_width (cr, 1);
          }
        cairo_stroke (cr);
      }
}

/* Tensor shapes on the edges, sized to fit the gap between columns, over everything. */
static void
draw_edge_labels (cairo_t *cr, const Layout *l, const NdRenderStyle *style, double fs)
{
  char buf[64];

  for (guint e = 0; e < l->edges->len; e++)
    {
      const Edge *edge = &g_array_index (l->edges, Edge, e);
      const Box *a = &l->boxes[edge->from], *b = &l->boxes[edge->to];
      double gap = b->x - (a->x + a->w), efs, tw;

      if (gap <= 0)
        continue;
      g_snprintf (buf, sizeof buf, "%d×%d×%d", a->st->out_c, a->st->out_h, a->st->out_w);
      cairo_set_font_size (cr, fs);
      tw = nd_render_text_width (cr, buf);
      efs = MIN (fs * 0.8, 0.9 * fs * (gap - 2) / MAX (tw, 1));
      if (efs * style->zoom < MIN_TEXT_PX)
        continue;
      cairo_set_font_size (cr, efs);
      tw = nd_render_text_width (cr, buf);
      {
        double lx = (a->x + a->w + b->x) / 2, ly = (a->y + a->h / 2 + b->y + b->h / 2) / 2 - 3;
        gboolean hidden = FALSE;

        /* A long edge can pass over other boxes: no label there. */
        for (int o = 0; o < l->n_boxes && !hidden; o++)
          hidden = lx + tw / 2 > l->boxes[o].x + 1
                   && lx - tw / 2 < l->boxes[o].x + l->boxes[o].w - 1
                   && ly > l->boxes[o].y && ly - efs < l->boxes[o].y + l->boxes[o].h;
        if (hidden)
          continue;
        nd_render_set_rgba (cr, style->fg);
        nd_render_text (cr, buf, lx, ly, 0.5);
      }
    }
}

void
nd_render_graph (cairo_t                 *cr,
                 const NdRenderGraphData *data,
                 double                   width,
                 double                   height,
                 const NdRenderStyle     *style)
{
  g_auto(Layout) l = { 0 };
  double fs;

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);

  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (data->graph == NULL || nd_graph_n_nodes (data->graph) < 2)
    {
      cairo_restore (cr);
      return;
    }
  _nd_render_graph_layout (&l, data, width, height, style);
  /* Box text follows the box size (and so the zoom); fit_text drops what would be
   * unreadable. */
  fs = CLAMP (l.lane_h * 0.14, 4, style->font_size);

  cairo_translate (cr, style->pan_x, style->pan_y);
  cairo_scale (cr, style->zoom, style->zoom);

  draw_lanes (cr, &l, style);
  draw_axis (cr, &l, style);
  draw_edges (cr, &l, style);
  for (int b = 0; b < l.n_boxes; b++)
    draw_box (cr, &l, &l.boxes[b], data, style, fs);
  for (int b = 0; b < l.n_boxes; b++)
    if (l.boxes[b].skip != 0)
      draw_skip (cr, &l.boxes[b], style, fs);

  _nd_render_graph_draw_dense_groups (cr, &l, data->graph, style, fs);
  draw_edge_labels (cr, &l, style, fs);
  cairo_restore (cr);
}

static const Box *
find_box (const Layout *l, const NdRenderStyle *style, double x, double y)
{
  double cx = (x - style->pan_x) / style->zoom;
  double cy = (y - style->pan_y) / style->zoom;

  for (int b = 0; b < l->n_boxes; b++)
    {
      const Box *box = &l->boxes[b];

      if (cx >= box->x && cx < box->x + box->w && cy >= box->y && cy < box->y + box->h)
        return box;
    }
  return NULL;
}

/* Lays the graph out into @l and returns the box under (@x, @y), or NULL. */
static const Box *
box_at (Layout *l, const NdRenderGraphData *data, double width, double height,
        const NdRenderStyle *style, double x, double y)
{
  if (data->graph == NULL || style->zoom <= 0)
    return NULL;
  _nd_render_graph_layout (l, data, width, height, style);
  return find_box (l, style, x, y);
}

const char *
nd_render_graph_block_at (const NdRenderGraphData *data,
                          double                   width,
                          double                   height,
                          const NdRenderStyle     *style,
                          double                   x,
                          double                   y)
{
  g_auto(Layout) l = { 0 };
  const Box *box;
  const NdNode *first;

  g_return_val_if_fail (data != NULL && style != NULL, NULL);
  box = box_at (&l, data, width, height, style, x, y);
  if (box == NULL)
    return NULL;
  /* Return a string owned by the graph, not by the temporary stats. */
  first = nd_graph_node (data->graph, box->st->first_node);
  return _nd_render_graph_node_key (first);
}

gboolean
nd_render_graph_block_rect (const NdRenderGraphData *data,
                            double                   width,
                            double                   height,
                            const NdRenderStyle     *style,
                            const char              *block,
                            double                  *x,
                            double                  *y,
                            double                  *w,
                            double                  *h)
{
  g_auto(Layout) l = { 0 };

  g_return_val_if_fail (data != NULL && style != NULL && block != NULL, FALSE);
  if (data->graph == NULL)
    return FALSE;
  _nd_render_graph_layout (&l, data, width, height, style);
  for (int b = 0; b < l.n_boxes; b++)
    if (g_strcmp0 (l.boxes[b].st->block, block) == 0)
      {
        *x = l.boxes[b].x * style->zoom + style->pan_x;
        *y = l.boxes[b].y * style->zoom + style->pan_y;
        *w = l.boxes[b].w * style->zoom;
        *h = l.boxes[b].h * style->zoom;
        return TRUE;
      }
  return FALSE;
}

/* What an unfolded box says at full size: "layer2.0 · conv 1·3·1 · 512×28×28 · 3.65 ms". */
static char *
box_label (const NdRenderGraphData *data, const Box *box)
{
  char buf[48];
  const char *op = main_label (data->graph, box->st, buf, sizeof buf);

  if (data->op_ms != NULL)
    return g_strdup_printf ("%s · %s · %d×%d×%d · %.2f ms", box->st->block, op, box->st->out_c,
                            box->st->out_h, box->st->out_w, box->ms);
  return g_strdup_printf ("%s · %s · %d×%d×%d", box->st->block, op, box->st->out_c,
                          box->st->out_h, box->st->out_w);
}

char *
nd_render_graph_block_label (const NdRenderGraphData *data,
                             const char              *block)
{
  g_auto(Layout) l = { 0 };
  NdRenderStyle style;

  g_return_val_if_fail (data != NULL && block != NULL, NULL);
  if (data->graph == NULL)
    return NULL;
  nd_render_style_init (&style, FALSE);
  _nd_render_graph_layout (&l, data, 100, 100, &style);
  for (int b = 0; b < l.n_boxes; b++)
    if (g_strcmp0 (l.boxes[b].st->block, block) == 0)
      return box_label (data, &l.boxes[b]);
  return NULL;
}

/* "2.68 G", "1.23 M", "45.6 k", "789": a count short enough for one tooltip line. */
static void
format_count (gint64 n, char *buf, gsize len)
{
  if (n >= 1000000000)
    g_snprintf (buf, len, "%.2f G", n / 1e9);
  else if (n >= 1000000)
    g_snprintf (buf, len, "%.2f M", n / 1e6);
  else if (n >= 1000)
    g_snprintf (buf, len, "%.1f k", n / 1e3);
  else
    g_snprintf (buf, len, "%" G_GINT64_FORMAT, n);
}

/* A folded group (box @b of @l, several blocks drawn as one): its name, the blocks it holds,
 * what they contain and how to unfold it; NULL when the box is a single block. */
static char *
folded_label (const NdRenderGraphData *data, const Layout *l, int b)
{
  const Box *box = &l->boxes[b];
  const char *first = NULL, *last = NULL;
  int n_blocks = 0, n_ops = 0, n_convs = 0;
  g_autofree char *blocks = NULL, *ops = NULL, *convs = NULL;
  char params[32], macs[32];
  GString *out;

  for (int i = box->st->first_node; i <= box->st->last_node; i++)
    {
      const char *key = _nd_render_graph_node_key (nd_graph_node (data->graph, i));

      if (l->node_box[i] != b)
        continue;
      n_ops++;
      n_convs += nd_graph_node (data->graph, i)->op == ND_OP_CONV2D;
      if (g_strcmp0 (key, last) != 0)
        n_blocks++, first = first ? first : key, last = key;
    }
  if (n_blocks < 2)
    return NULL;
  blocks = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d block", "%d blocks", n_blocks),
                            n_blocks);
  ops = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d op", "%d ops", n_ops), n_ops);
  convs = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d conv", "%d convs", n_convs),
                           n_convs);
  format_count (box->st->params, params, sizeof params);
  format_count (box->st->macs, macs, sizeof macs);
  out = g_string_new (NULL);
  /* Translators: a folded group in the graph view, e.g. "stages.3.blocks (folded): 2 blocks,
   * stages.3.blocks.0 … stages.3.blocks.1" */
  g_string_append_printf (out, _("%s (folded): %s, %s … %s"), box->st->block, blocks, first,
                          last);
  g_string_append_c (out, '\n');
  /* Translators: "24 ops, 12 convs · 9.52 M parameters · 154 M MACs · output 1024×2×2" */
  g_string_append_printf (out, _("%s, %s · %s parameters · %s MACs · output %d×%d×%d"), ops,
                          convs, params, macs, box->st->out_c, box->st->out_h, box->st->out_w);
  if (data->op_ms != NULL)
    g_string_append_printf (out, " · %.2f ms", box->ms);
  g_string_append_c (out, '\n');
  g_string_append (out, _("Double-click to unfold"));
  return g_string_free (out, FALSE);
}

char *
nd_render_graph_tooltip_at (const NdRenderGraphData *data,
                            double                   width,
                            double                   height,
                            const NdRenderStyle     *style,
                            double                   x,
                            double                   y)
{
  g_auto(Layout) l = { 0 };
  const Box *box;
  char *folded;

  g_return_val_if_fail (data != NULL && style != NULL, NULL);
  box = box_at (&l, data, width, height, style, x, y);
  if (box == NULL)
    return NULL;
  folded = folded_label (data, &l, (int) (box - l.boxes));
  return folded != NULL ? folded : box_label (data, box);
}
