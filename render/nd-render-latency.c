/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "nd-colormap.h"
#include "nd-render-latency.h"

#define LABEL_W 70.0
#define MAX_STREAMS 8
/* Rows lower than this hold no text (it would be unreadable or touch its neighbours). */
#define MIN_ROW 12.0

/* Distinct hues for stream rows; shared ops use the muted colour. */
static const double stream_colors[][3] = {
  { 0.21, 0.52, 0.89 }, { 0.18, 0.76, 0.49 }, { 0.96, 0.76, 0.07 }, { 0.75, 0.38, 0.83 },
  { 0.90, 0.38, 0.00 }, { 0.40, 0.40, 0.40 }, { 0.60, 0.30, 0.20 }, { 0.10, 0.60, 0.60 },
};

int
nd_latency_stream_totals (const NdGraph *graph, const double *op_ms, double *totals,
                          int max_totals)
{
  int n_streams = 0;

  g_return_val_if_fail (graph != NULL && totals != NULL && max_totals >= 2, 0);
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    n_streams = MAX (n_streams, nd_graph_node (graph, i)->stream + 1);
  n_streams = MIN (n_streams, max_totals - 1);
  for (int s = 0; s <= n_streams; s++)
    totals[s] = 0;
  if (op_ms == NULL)
    return n_streams + 1;
  for (int i = 1; i < nd_graph_n_nodes (graph); i++)
    {
      int s = nd_graph_node (graph, i)->stream;

      totals[s >= 0 && s < n_streams ? s : n_streams] += op_ms[i];
    }
  return n_streams + 1;
}

static void
row_label (cairo_t *cr, int s, int n_streams, char *buf, gsize len)
{
  if (s < n_streams)
    g_snprintf (buf, len, _("stream %d"), s);
  else
    g_snprintf (buf, len, "%s", _("shared"));
}

void
nd_render_latency_timeline (cairo_t                   *cr,
                            const NdRenderLatencyData *data,
                            double                     width,
                            double                     height,
                            const NdRenderStyle       *style)
{
  double totals[MAX_STREAMS + 1], sum = 0, t = 0, row_h, scale;
  int n_rows, n_streams;
  char buf[64];

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (data->graph == NULL || data->op_ms == NULL)
    goto out;
  n_rows = nd_latency_stream_totals (data->graph, data->op_ms, totals, MAX_STREAMS + 1);
  n_streams = n_rows - 1;
  for (int s = 0; s < n_rows; s++)
    sum += totals[s];
  if (sum <= 0)
    goto out;
  row_h = (height - 4) / n_rows;
  scale = (width - LABEL_W - 6) / sum;
  cairo_set_font_size (cr, MIN (style->font_size, row_h * 0.72));
  /* Rows too low for readable text keep their bars only: labels never overlap. */
  for (int s = 0; s < n_rows && row_h >= MIN_ROW; s++)
    {
      row_label (cr, s, n_streams, buf, sizeof buf);
      nd_render_set_rgba (cr, style->fg);
      nd_render_text (cr, buf, 4, 2 + (s + 0.65) * row_h, 0);
    }
  /* Ops end to end in execution order: the CPU runs them one after another. */
  for (int i = 1; i < nd_graph_n_nodes (data->graph); i++)
    {
      const NdNode *node = nd_graph_node (data->graph, i);
      int row = node->stream >= 0 && node->stream < n_streams ? node->stream : n_streams;
      double w = data->op_ms[i] * scale;

      if (w > 0)
        {
          const double *c = stream_colors[row % G_N_ELEMENTS (stream_colors)];

          cairo_rectangle (cr, LABEL_W + t * scale, 2 + row * row_h + 1, MAX (w, 0.5),
                           row_h - 2);
          if (row == n_streams)
            nd_render_set_rgba (cr, style->muted);
          else
            cairo_set_source_rgb (cr, c[0], c[1], c[2]);
          cairo_fill (cr);
        }
      t += data->op_ms[i];
    }
out:
  cairo_restore (cr);
}

void
nd_render_latency_streams (cairo_t                   *cr,
                           const NdRenderLatencyData *data,
                           double                     width,
                           double                     height,
                           const NdRenderStyle       *style)
{
  double totals[MAX_STREAMS + 1], max = 0, row_h;
  int n_rows;
  char buf[64];

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  if (data->graph == NULL || data->op_ms == NULL)
    goto out;
  n_rows = nd_latency_stream_totals (data->graph, data->op_ms, totals, MAX_STREAMS + 1);
  for (int s = 0; s < n_rows; s++)
    max = MAX (max, totals[s]);
  if (max <= 0)
    goto out;
  row_h = (height - 4) / n_rows;
  cairo_set_font_size (cr, MIN (style->font_size, row_h * 0.72));
  for (int s = 0; s < n_rows; s++)
    {
      const double *c = stream_colors[s % G_N_ELEMENTS (stream_colors)];
      double w = (width - LABEL_W - 70) * totals[s] / max;
      gboolean text = row_h >= MIN_ROW;

      row_label (cr, s, n_rows - 1, buf, sizeof buf);
      nd_render_set_rgba (cr, style->fg);
      if (text)
        nd_render_text (cr, buf, 4, 2 + (s + 0.65) * row_h, 0);
      cairo_rectangle (cr, LABEL_W, 2 + s * row_h + 1, MAX (w, 0.5), row_h - 2);
      if (s == n_rows - 1)
        nd_render_set_rgba (cr, style->muted);
      else
        cairo_set_source_rgb (cr, c[0], c[1], c[2]);
      cairo_fill (cr);
      g_snprintf (buf, sizeof buf, _("%.2f ms"), totals[s]);
      nd_render_set_rgba (cr, style->fg);
      if (text)
        nd_render_text (cr, buf, LABEL_W + w + 4, 2 + (s + 0.65) * row_h, 0);
    }
out:
  cairo_restore (cr);
}

void
nd_render_latency_history (cairo_t                   *cr,
                           const NdRenderLatencyData *data,
                           double                     width,
                           double                     height,
                           const NdRenderStyle       *style)
{
  double max = 0, x0 = 40, y0 = 4, pw, ph;
  char buf[64];

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  for (int i = 0; i < data->n_history; i++)
    max = MAX (max, MAX (data->history[i].ms, data->history[i].cold_ms));
  pw = width - x0 - 4;
  ph = height - y0 - style->font_size - 6;
  if (max <= 0 || pw <= 0 || ph <= 0)
    goto out;
  max *= 1.1;

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x0, y0 + ph);
  cairo_line_to (cr, x0 + pw, y0 + ph);
  cairo_stroke (cr);
  cairo_set_font_size (cr, style->font_size * 0.85);
  g_snprintf (buf, sizeof buf, _("%.0f ms"), max);
  nd_render_text (cr, buf, x0 - 3, y0 + style->font_size, 1);

  /* Each series joins its own samples; a sample's x is its place in the whole history. */
  for (int series = 0; series < 2; series++)
    {
      gboolean fused = series == 1;
      gboolean started = FALSE;

      nd_render_set_rgba (cr, fused ? style->fused : style->unfused);
      cairo_set_line_width (cr, 2);
      for (int i = 0; i < data->n_history; i++)
        {
          double x = x0 + (data->n_history > 1 ? pw * i / (data->n_history - 1) : pw / 2);
          double y = y0 + ph - ph * data->history[i].ms / max;

          if (data->history[i].fused != fused)
            continue;
          if (!started)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
          started = TRUE;
        }
      cairo_stroke (cr);
      for (int i = 0; i < data->n_history; i++)
        {
          double x = x0 + (data->n_history > 1 ? pw * i / (data->n_history - 1) : pw / 2);
          double y = y0 + ph - ph * data->history[i].ms / max;

          if (data->history[i].fused != fused)
            continue;
          cairo_arc (cr, x, y, 3, 0, 2 * G_PI);
          cairo_fill (cr);
          if (data->history[i].cold_ms > 0)
            {
              double yc = y0 + ph - ph * data->history[i].cold_ms / max;

              cairo_set_line_width (cr, 1.5);
              cairo_new_sub_path (cr);
              cairo_arc (cr, x, yc, 3.5, 0, 2 * G_PI);
              cairo_stroke (cr);
            }
        }
    }
  cairo_set_font_size (cr, style->font_size * 0.85);
  nd_render_set_rgba (cr, style->fused);
  nd_render_text (cr, _("fused"), x0 + 4, height - 3, 0);
  nd_render_set_rgba (cr, style->unfused);
  nd_render_text (cr, _("unfused"), x0 + 60, height - 3, 0);
  nd_render_set_rgba (cr, style->muted);
  nd_render_text (cr, _("● warm  ○ cold (first run)"), x0 + 130, height - 3, 0);
out:
  cairo_restore (cr);
}

void
nd_render_latency (cairo_t                   *cr,
                   const NdRenderLatencyData *data,
                   double                     width,
                   double                     height,
                   const NdRenderStyle       *style)
{
  double fs, h1, h2, h3;
  char buf[128];

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  fs = style->font_size;
  nd_render_set_rgba (cr, style->fg);
  cairo_set_font_size (cr, fs * 1.1);
  g_snprintf (buf, sizeof buf, _("warm %.2f ms · cold (plan) %.1f ms"), data->total_ms,
              data->prepare_ms);
  nd_render_text (cr, buf, 4, fs * 1.3, 0);
  h1 = (height - fs * 2) * 0.35;
  h2 = (height - fs * 2) * 0.25;
  h3 = height - fs * 2 - h1 - h2;
  cairo_translate (cr, 0, fs * 2);
  nd_render_latency_timeline (cr, data, width, h1, style);
  cairo_translate (cr, 0, h1);
  nd_render_latency_streams (cr, data, width, h2, style);
  cairo_translate (cr, 0, h2);
  nd_render_latency_history (cr, data, width, h3, style);
  cairo_restore (cr);
}
