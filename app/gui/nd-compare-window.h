/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The architecture lab's Compare page: pick presets, measure them alternately on the CPU
 * (as `nondeep-cli compare` does), and see them as a scatter with selectable axes and the
 * Pareto front, a click on a model for its roofline, a table, and export (plot as PNG or SVG,
 * table as CSV); a Guidelines page; and a Side by side page (nd-compare-sides.h): two models'
 * graphs with per-block latency differences. */
#define ND_TYPE_COMPARE_WINDOW (nd_compare_window_get_type ())
G_DECLARE_FINAL_TYPE (NdCompareWindow, nd_compare_window, ND, COMPARE_WINDOW, AdwWindow)

GtkWidget *nd_compare_window_new     (GtkWindow  *parent);
/* Measures @models (comma-separated) synchronously, for tests and --screenshot-like use;
 * FALSE with @error when a model cannot be built or run. */
gboolean   nd_compare_window_measure (NdCompareWindow *self,
                                      const char      *models,
                                      int              resolution,
                                      gboolean         fused,
                                      int              iters,
                                      GError         **error);
int        nd_compare_window_get_n_rows (NdCompareWindow *self);
/* The table as the Export button writes it to a .csv file. */
char      *nd_compare_window_get_csv    (NdCompareWindow *self);
/* Selects @model's row and measures its roofline (as a click on its point does, but
 * synchronously); the points placed are counted by get_n_roof_points. */
gboolean   nd_compare_window_show_roofline     (NdCompareWindow *self,
                                                const char      *model,
                                                GError         **error);
int        nd_compare_window_get_n_roof_points (NdCompareWindow *self);
/* Draws the scatter as the window shows it into a PNG or SVG file (by extension). */
gboolean   nd_compare_window_export_plot (NdCompareWindow *self,
                                          const char      *path,
                                          GError         **error);

/* Marks point @point of the roofline shown (as a click on it does; -1 clears), describes its
 * op and emits "block-activated" (model, block); returns the block, or NULL. */
const char *nd_compare_window_select_op (NdCompareWindow *self,
                                         int              point);
/* Switches to the Guidelines page and returns it (an NdGuidelinePage). */
GtkWidget *nd_compare_window_show_guidelines (NdCompareWindow *self);
/* Switches to the Side by side page and returns it (an NdCompareSides). */
GtkWidget *nd_compare_window_show_sides      (NdCompareWindow *self);

G_END_DECLS
