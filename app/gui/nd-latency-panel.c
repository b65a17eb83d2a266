/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "nd-latency-panel.h"
#include "nd-op-table.h"
#include "nd-render-latency.h"
#include "nd-theme.h"

#define MAX_HISTORY 64
#define MAX_SERIES 32

struct _NdLatencyPanel
{
  GtkWidget          parent_instance;
  GtkWidget         *box;
  GtkWidget         *summary;
  GtkWidget         *devices;   /* a split plan's devices, one a line; hidden otherwise */
  GtkWidget         *area;
  GtkWidget         *ops;
  NdInferenceResult *result;
  NdLatencySample    history[MAX_HISTORY];
  int                n_history;
  guint64            sampled_generation;
  GPtrArray         *series;         /* char*: model and knob set of each series */
  gint64             first_sample;   /* monotonic µs of the history's time 0 */
  double             last_knob_ms;
  gboolean           sharing;
  NdRenderStyle      style;
};

G_DEFINE_FINAL_TYPE (NdLatencyPanel, nd_latency_panel, GTK_TYPE_WIDGET)

static void
draw (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  NdLatencyPanel *self = data;
  NdRenderLatencyData d = { 0 };
  double timeline_h = h * 0.4, streams_h = h * 0.25;

  if (self->result != NULL)
    {
      d.graph = self->result->graph;
      d.op_ms = self->result->op_ms;
      d.total_ms = isfinite (self->result->latency_ms) ? self->result->latency_ms
                                                       : self->result->total_ms;
      d.prepare_ms = self->result->prepare_ms;
    }
  d.history = self->history;
  d.n_history = self->n_history;
  d.series_names = (const char * const *) self->series->pdata;
  d.n_series = self->series->len;
  nd_render_latency_timeline (cr, &d, w, timeline_h, &self->style);
  cairo_translate (cr, 0, timeline_h);
  nd_render_latency_streams (cr, &d, w, streams_h, &self->style);
  cairo_translate (cr, 0, streams_h);
  nd_render_latency_history (cr, &d, w, h - timeline_h - streams_h, &self->style);
}

static void
nd_latency_panel_dispose (GObject *object)
{
  NdLatencyPanel *self = ND_LATENCY_PANEL (object);

  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  g_clear_pointer (&self->series, g_ptr_array_unref);
  G_OBJECT_CLASS (nd_latency_panel_parent_class)->dispose (object);
}

static void
nd_latency_panel_class_init (NdLatencyPanelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = nd_latency_panel_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
nd_latency_panel_init (NdLatencyPanel *self)
{
  nd_render_style_init (&self->style, FALSE);
  self->series = g_ptr_array_new_with_free_func (g_free);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  gtk_widget_set_margin_start (self->box, 8);
  gtk_widget_set_margin_end (self->box, 8);
  gtk_widget_set_margin_top (self->box, 6);
  gtk_widget_set_margin_bottom (self->box, 6);
  self->summary = gtk_label_new (_("Waiting for the first run…"));
  gtk_label_set_xalign (GTK_LABEL (self->summary), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->summary), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->summary, "heading");
  gtk_box_append (GTK_BOX (self->box), self->summary);
  self->devices = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->devices), 0);
  gtk_label_set_wrap (GTK_LABEL (self->devices), TRUE);
  gtk_widget_set_visible (self->devices, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->devices);
  self->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw, self, NULL);
  nd_theme_follow (self->area, &self->style);
  gtk_widget_set_vexpand (self->area, TRUE);
  gtk_widget_set_size_request (self->area, 300, 150);
  gtk_box_append (GTK_BOX (self->box), self->area);
  self->ops = nd_op_table_new ();
  gtk_widget_set_size_request (self->ops, 300, 160);
  gtk_widget_set_vexpand (self->ops, TRUE);
  gtk_box_append (GTK_BOX (self->box), self->ops);
}

GtkWidget *
nd_latency_panel_new (void)
{
  return g_object_new (ND_TYPE_LATENCY_PANEL, NULL);
}

/* The series of @r's model and knob set (every knob that changes the plan), added when new;
 * the oldest is reused when there are MAX_SERIES. */
static int
series_of (NdLatencyPanel *self, const NdInferenceResult *r)
{
  const NdModelSpec *sp = &r->spec;
  g_autoptr(GString) blocks = g_string_new (NULL);
  g_autofree char *name = NULL;
  g_autofree char *backend = g_strdup (r->backend != NULL ? r->backend : "");

  /* "CPU, OpenBLAS SkylakeX, 2 threads": the backend's name is enough to tell series apart */
  backend[strcspn (backend, ",(")] = '\0';
  g_strchomp (backend);
  for (int i = 0; i < sp->n_blocks; i++)
    g_string_append_printf (blocks, "%s%d", i ? "," : "", sp->blocks[i]);
  /* translators: a latency series: model, streams, width, blocks, resolution, fused or
   * unfused, backend; e.g. "parnet-s · 3×1 · 4,5,5 · 224 px · fused · cpu" */
  name = g_strdup_printf (_("%s · %d×%g · %s · %d px · %s · %s%s"), sp->name, sp->streams,
                          sp->width, blocks->str, sp->resolution,
                          r->graph->fused ? _("fused") : _("unfused"),
                          backend, r->fp16 ? " fp16" : "");
  if (r->n_devices > 0)
    {
      char *with = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s · %d device",
                                                 "%s · %d devices", r->n_devices),
                                    name, r->n_devices);

      g_free (name);
      name = with;
    }
  for (guint k = 0; k < self->series->len; k++)
    if (g_str_equal (g_ptr_array_index (self->series, k), name))
      return k;
  if (self->series->len == MAX_SERIES)
    {
      /* samples of the series given up join the new one's colour: drop them */
      int keep = 0;

      for (int i = 0; i < self->n_history; i++)
        if (self->history[i].series != 0)
          self->history[keep++] = self->history[i];
      self->n_history = keep;
      for (int i = 0; i < self->n_history; i++)
        self->history[i].series--;
      g_ptr_array_remove_index (self->series, 0);
    }
  g_ptr_array_add (self->series, g_steal_pointer (&name));
  return self->series->len - 1;
}

/* A plan split over devices, as `nondeep-cli bench --devices` reports it: per device its
 * streams and own run; the others also the first device's wait for them and the transfer. */
static char *
devices_text (const NdInferenceResult *r)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < r->n_devices; i++)
    {
      const NdPlanDevice *d = &r->devices[i];
      g_autoptr(GString) streams = g_string_new (NULL);
      g_autofree char *name = g_strdup (d->name ? d->name : "");

      name[strcspn (name, "(")] = '\0';   /* "llvmpipe (LLVM 15.0.6, 256 bits)" → "llvmpipe" */
      g_strchomp (name);
      for (int k = 0; k < 32; k++)
        if (d->streams & (1u << k))
          g_string_append_printf (streams, "%s%d", streams->len ? "," : "", k);
      if (i > 0)
        g_string_append_c (s, '\n');
      /* translators: one logical device of a ParNet split over devices (nondeep-cli
       * --devices): its entry, Vulkan device index and name, streams and its own run time,
       * e.g. "#1 device 0 (llvmpipe), streams 1: run 12.30 ms" */
      g_string_append_printf (s, _("#%d device %d (%s), streams %s: run %.2f ms"), i, d->index,
                              name, streams->str, d->run_ms);
      if (i > 0)
        /* translators: how long the first device waited for this one, and the copy of its
         * stream outputs to the first device */
        g_string_append_printf (s, _(", wait %.2f ms, transfer %.2f ms"), d->wait_ms,
                                d->transfer_ms);
    }
  return g_string_free (s, FALSE);
}

void
nd_latency_panel_add_result (NdLatencyPanel *self, NdInferenceResult *result)
{
  g_autofree char *text = NULL;
  g_autofree char *form = NULL, *kernels = NULL;

  g_return_if_fail (ND_IS_LATENCY_PANEL (self));
  g_return_if_fail (result != NULL);

  nd_inference_result_ref (result);
  g_clear_pointer (&self->result, nd_inference_result_unref);
  self->result = result;
  if (result->rebuilt)
    self->last_knob_ms = result->knob_to_result_ms;
  /* One history sample per configuration: the median of its warm runs so far. */
  else if (result->generation == self->sampled_generation && self->n_history > 0)
    self->history[self->n_history - 1].ms = result->latency_ms;
  else if (result->generation != self->sampled_generation)
    {
      gint64 now = g_get_monotonic_time ();
      int series;

      if (self->n_history == MAX_HISTORY)
        {
          memmove (self->history, self->history + 1, sizeof self->history[0] * (MAX_HISTORY - 1));
          self->n_history--;
        }
      series = series_of (self, result);
      if (self->n_history == 0)
        self->first_sample = now;
      self->history[self->n_history++] = (NdLatencySample) {
        result->latency_ms, result->graph->fused, result->cold_ms,
        (now - self->first_sample) / (double) G_USEC_PER_SEC, series };
      self->sampled_generation = result->generation;
    }
  /* The fp16 switch is a latency knob too: say which storage these times are for, and
   * which kernels (Tune Kernels, `bench --tune`). */
  if (result->tuned_ops > 0)
    /* translators: convolutions of a Vulkan plan that run a tuned kernel variant */
    kernels = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, " · %d tuned kernel",
                                            " · %d tuned kernels", result->tuned_ops),
                               result->tuned_ops);
  else if (g_strcmp0 (result->kernels, "forced") == 0)
    kernels = g_strdup (_(" · kernels forced by the environment"));
  form = g_strdup_printf ("%s%s%s%s", result->graph->fused ? _("fused") : _("unfused"),
                          result->fp16 ? " · " : "", result->fp16 ? _("fp16 storage") : "",
                          kernels != NULL ? kernels : "");
  if (result->n_latency > 0)
    /* translators: median latency over N warm runs, its interquartile range, then the first
     * (cold) run of the plan apart, the plan's build time and knob-to-result time */
    text = g_strdup_printf (_("%s · warm median %.2f ms (IQR %.2f ms, %d runs) · cold %.1f ms · "
                              "plan %.0f ms · knob → result %.0f ms%s"),
                            form, result->latency_ms, result->latency_spread_ms,
                            result->n_latency, result->cold_ms, result->prepare_ms,
                            self->last_knob_ms,
                            self->sharing ? _(" · sharing the cores with drawing") : "");
  else
    text = g_strdup_printf (_("%s · warm: measuring · cold %.1f ms · plan %.0f ms · knob → "
                              "result %.0f ms"),
                            form, result->cold_ms, result->prepare_ms, self->last_knob_ms);
  gtk_label_set_text (GTK_LABEL (self->summary), text);
  if (result->n_devices > 0)
    {
      g_autofree char *split = devices_text (result);

      gtk_label_set_text (GTK_LABEL (self->devices), split);
    }
  gtk_widget_set_visible (self->devices, result->n_devices > 0);
  nd_op_table_set_result (ND_OP_TABLE (self->ops), result);
  gtk_widget_queue_draw (self->area);
}

void
nd_latency_panel_set_busy (NdLatencyPanel *self, gboolean busy)
{
  g_return_if_fail (ND_IS_LATENCY_PANEL (self));
  if (busy)
    gtk_label_set_text (GTK_LABEL (self->summary), _("Building the model…"));
}

void
nd_latency_panel_set_busy_text (NdLatencyPanel *self, const char *text)
{
  g_return_if_fail (ND_IS_LATENCY_PANEL (self));
  gtk_label_set_text (GTK_LABEL (self->summary), text);
}

void
nd_latency_panel_set_sharing (NdLatencyPanel *self, gboolean sharing)
{
  g_return_if_fail (ND_IS_LATENCY_PANEL (self));
  self->sharing = sharing;
}

NdOpTable *
nd_latency_panel_get_op_table (NdLatencyPanel *self)
{
  g_return_val_if_fail (ND_IS_LATENCY_PANEL (self), NULL);
  return ND_OP_TABLE (self->ops);
}

const char *
nd_latency_panel_get_summary (NdLatencyPanel *self)
{
  g_return_val_if_fail (ND_IS_LATENCY_PANEL (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->summary));
}

int
nd_latency_panel_get_n_history (NdLatencyPanel *self)
{
  g_return_val_if_fail (ND_IS_LATENCY_PANEL (self), 0);
  return self->n_history;
}

/* The model and knob set of each series in the history chart's legend (tests). */
const char * const *
nd_latency_panel_get_series (NdLatencyPanel *self, int *n)
{
  g_return_val_if_fail (ND_IS_LATENCY_PANEL (self), NULL);
  *n = self->series->len;
  return (const char * const *) self->series->pdata;
}
