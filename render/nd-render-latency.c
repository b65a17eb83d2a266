/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

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

/* Series colours beyond fused / unfused (both themes: mid lightness). */
static const double series_colors[][3] = {
  { 0.21, 0.52, 0.89 }, { 0.90, 0.38, 0.00 }, { 0.18, 0.64, 0.41 }, { 0.75, 0.11, 0.16 },
  { 0.57, 0.25, 0.67 }, { 0.60, 0.42, 0.27 }, { 0.90, 0.65, 0.04 }, { 0.10, 0.60, 0.60 },
};

/* A tick step of 1, 2 or 5 × 10ⁿ giving about @n ticks up to @max. */
static double
nice_step (double max, int n)
{
  double raw = max / MAX (n, 1), p = pow (10, floor (log10 (raw))), f = raw / p;

  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void
series_rgba (const NdRenderLatencyData *data, const NdLatencySample *s,
             const NdRenderStyle *style, double rgba[4])
{
  const double *c;

  if (data->series_names == NULL)
    {
      memcpy (rgba, s->fused ? style->fused : style->unfused, 4 * sizeof (double));
      return;
    }
  c = series_colors[(guint) s->series % G_N_ELEMENTS (series_colors)];
  rgba[0] = c[0];
  rgba[1] = c[1];
  rgba[2] = c[2];
  rgba[3] = 1;
}

static gboolean
in_series (const NdRenderLatencyData *data, const NdLatencySample *s, int series)
{
  return data->series_names != NULL ? s->series == series : s->fused == (series == 1);
}

/* Axes: ms ticks on the left, seconds under the plot. */
static void
history_axes (cairo_t *cr, const NdRenderStyle *style, double x0, double y0, double pw,
              double ph, double max, double t0, double t1)
{
  double fs = style->font_size * 0.85, step = nice_step (max, MAX (2, (int) (ph / (2 * fs))));
  char buf[64];

  nd_render_set_rgba (cr, style->muted);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, x0, y0);
  cairo_line_to (cr, x0, y0 + ph);
  cairo_line_to (cr, x0 + pw, y0 + ph);
  cairo_stroke (cr);
  cairo_set_font_size (cr, fs);
  for (double v = 0; v <= max * 1.0001; v += step)
    {
      double y = y0 + ph - ph * v / max;

      cairo_move_to (cr, x0 - 3, y);
      cairo_line_to (cr, x0, y);
      cairo_stroke (cr);
      /* translators: a latency axis tick */
      g_snprintf (buf, sizeof buf, _("%g ms"), v);
      nd_render_text (cr, buf, x0 - 5, MIN (y + fs * 0.4, y0 + ph), 1);
    }
  if (t1 > t0)
    {
      double tstep = nice_step (t1 - t0, MAX (1, (int) (pw / (6 * fs))));

      for (double t = 0; t <= (t1 - t0) * 1.0001; t += tstep)
        {
          double x = x0 + pw * t / (t1 - t0);

          cairo_move_to (cr, x, y0 + ph);
          cairo_line_to (cr, x, y0 + ph + 3);
          cairo_stroke (cr);
          /* translators: a time axis tick, seconds since the first measurement */
          g_snprintf (buf, sizeof buf, _("%g s"), t);
          nd_render_text (cr, buf, x, y0 + ph + 3 + fs, t == 0 ? 0 : 0.5);
        }
    }
}

static double
sample_x (const NdRenderLatencyData *data, int i, double x0, double pw, double t0, double t1)
{
  if (t1 > t0)
    return x0 + pw * (data->history[i].t - t0) / (t1 - t0);
  return x0 + (data->n_history > 1 ? pw * i / (data->n_history - 1) : pw / 2);
}

/* The series drawn, right of the plot in as many columns as their count needs: returns the
 * width it takes (0 when nothing is drawn); with @draw FALSE only measures. */
static double
history_legend (cairo_t *cr, const NdRenderLatencyData *data, const NdRenderStyle *style,
                const gboolean *shown, double x1, double y0, double h, gboolean draw)
{
  double fs = style->font_size * 0.85, line = fs + 3, text_w = 0, col_w;
  int n = 0, rows = MAX (1, (int) (h / line)), cols, k_drawn = 0;

  cairo_set_font_size (cr, fs);
  for (int k = 0; k < data->n_series; k++)
    if (shown[k])
      {
        text_w = MAX (text_w, nd_render_text_width (cr, data->series_names[k]));
        n++;
      }
  if (n == 0)
    return 0;
  cols = (n + rows - 1) / rows;
  col_w = MIN (text_w + 16, x1 * 0.5 / cols);
  if (col_w < 40)
    return 0;
  for (int k = 0; draw && k < data->n_series; k++)
    {
      NdLatencySample probe = { .series = k };
      double rgba[4];
      double x = x1 - (cols - k_drawn / rows) * col_w, y = y0 + line * (k_drawn % rows + 1) - 3;

      if (!shown[k])
        continue;
      series_rgba (data, &probe, style, rgba);
      nd_render_set_rgba (cr, rgba);
      cairo_rectangle (cr, x + 2, y - fs * 0.7, 8, 8);
      cairo_fill (cr);
      nd_render_set_rgba (cr, style->fg);
      nd_render_text_fit (cr, data->series_names[k], x + 14, y, 0, col_w - 16, fs * 0.7);
      k_drawn++;
    }
  return cols * col_w;
}

void
nd_render_latency_history (cairo_t                   *cr,
                           const NdRenderLatencyData *data,
                           double                     width,
                           double                     height,
                           const NdRenderStyle       *style)
{
  double max = 0, x0 = 46, y0 = 4, pw, ph, t0 = 0, t1 = 0, fs, legend_w;
  int n_series;
  g_autofree gboolean *shown = NULL;

  g_return_if_fail (cr != NULL && data != NULL && style != NULL);
  cairo_save (cr);
  nd_render_fill_bg (cr, style, width, height);
  fs = style->font_size * 0.85;
  n_series = data->series_names != NULL ? data->n_series : 2;
  shown = g_new0 (gboolean, MAX (n_series, 1));
  for (int i = 0; i < data->n_history; i++)
    {
      const NdLatencySample *s = &data->history[i];

      max = MAX (max, MAX (s->ms, s->cold_ms));
      t0 = i == 0 ? s->t : MIN (t0, s->t);
      t1 = MAX (t1, s->t);
      if (s->series >= 0 && s->series < n_series)
        shown[s->series] = TRUE;
    }
  /* under the plot: the time ticks, then (fused / unfused) the legend line; the series
   * legend on the right */
  ph = height - y0 - (fs + 6) - (data->series_names == NULL ? fs + 4 : 0);
  legend_w = data->series_names != NULL
             ? history_legend (cr, data, style, shown, width, 0, height, FALSE) : 0;
  pw = width - x0 - 10 - (legend_w > 0 ? legend_w + 8 : 0);
  if (max <= 0 || pw <= 0 || ph <= 0)
    goto out;
  max *= 1.1;
  history_axes (cr, style, x0, y0, pw, ph, max, t0, t1);

  /* Each series joins its own samples; x is the time (or the place in the history while
   * every sample has the same time). */
  for (int series = 0; series < n_series; series++)
    {
      double rgba[4];
      gboolean started = FALSE;

      for (int i = 0; i < data->n_history; i++)
        {
          const NdLatencySample *s = &data->history[i];

          if (!in_series (data, s, series))
            continue;
          series_rgba (data, s, style, rgba);
          nd_render_set_rgba (cr, rgba);
          if (!started)
            cairo_move_to (cr, sample_x (data, i, x0, pw, t0, t1), y0 + ph - ph * s->ms / max);
          else
            cairo_line_to (cr, sample_x (data, i, x0, pw, t0, t1), y0 + ph - ph * s->ms / max);
          started = TRUE;
        }
      cairo_set_line_width (cr, 2);
      cairo_stroke (cr);
      for (int i = 0; i < data->n_history; i++)
        {
          const NdLatencySample *s = &data->history[i];
          double x = sample_x (data, i, x0, pw, t0, t1);

          if (!in_series (data, s, series))
            continue;
          cairo_arc (cr, x, y0 + ph - ph * s->ms / max, 3, 0, 2 * G_PI);
          cairo_fill (cr);
          if (s->cold_ms > 0)
            {
              cairo_set_line_width (cr, 1.5);
              cairo_new_sub_path (cr);
              cairo_arc (cr, x, y0 + ph - ph * s->cold_ms / max, 3.5, 0, 2 * G_PI);
              cairo_stroke (cr);
            }
        }
    }
  if (data->series_names != NULL)
    history_legend (cr, data, style, shown, width, 0, height, TRUE);
  else
    {
      cairo_set_font_size (cr, fs);
      nd_render_set_rgba (cr, style->fused);
      nd_render_text (cr, _("fused"), x0 + 4, height - 3, 0);
      nd_render_set_rgba (cr, style->unfused);
      nd_render_text (cr, _("unfused"), x0 + 60, height - 3, 0);
      nd_render_set_rgba (cr, style->muted);
      nd_render_text (cr, _("● warm  ○ cold (first run)"), x0 + 130, height - 3, 0);
    }
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
