/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-inference.h"
#include "nd-op-table.h"

G_BEGIN_DECLS

/* Latency: warm and cold totals, the knob-to-result time, the per-op timeline, per-stream
 * totals and the history of warm latencies (fused vs unfused) as knobs change. */
#define ND_TYPE_LATENCY_PANEL (nd_latency_panel_get_type ())
G_DECLARE_FINAL_TYPE (NdLatencyPanel, nd_latency_panel, ND, LATENCY_PANEL, GtkWidget)

GtkWidget *nd_latency_panel_new          (void);
void       nd_latency_panel_add_result   (NdLatencyPanel    *self,
                                          NdInferenceResult *result);
/* While a newer model is built: no number of the one being replaced in the summary. */
void       nd_latency_panel_set_busy     (NdLatencyPanel    *self,
                                          gboolean           busy);
/* … or with @text in its place (kernel tuning). */
void       nd_latency_panel_set_busy_text (NdLatencyPanel   *self,
                                           const char       *text);
/* Whether inference runs continuously next to drawing (camera, live): the summary says the
 * times share the cores with it. */
void       nd_latency_panel_set_sharing  (NdLatencyPanel    *self,
                                          gboolean           sharing);
NdOpTable *nd_latency_panel_get_op_table (NdLatencyPanel  *self);
/* The summary line (tests). */
const char *nd_latency_panel_get_summary (NdLatencyPanel    *self);
/* Samples in the history plot. */
int        nd_latency_panel_get_n_history (NdLatencyPanel   *self);
const char * const *nd_latency_panel_get_series (NdLatencyPanel *self,
                                                int            *n);

G_END_DECLS
