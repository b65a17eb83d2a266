/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-lab-blocks.h"
#include "nd-render-plot.h"

G_BEGIN_DECLS

/* Shared by the Compare window's files: nd-compare-window.c (the Models page) and
 * nd-compare-roof.c (a model's roofline, measured off the main thread), nd-compare-sides.c and
 * nd-compare-table.c (the Side by side page). */

/* The roofline of one model: its ops under this machine's measured roof. */
typedef struct
{
  NdLabRoof    roof;
  NdRoofPoint *points;
  char       **blocks;   /* [n_points]: the block of each point's op (the node name if none) */
  char       **what;     /* [n_points]: one line on the op for the status bar */
  int          n_points;
  char        *model;
  char        *caption;
} Roofline;

/* The roof through the CPU backend and one point per op that has a time of its own (as
 * `nondeep-cli roofline`); touches no widgets, so a worker thread may call it. */
Roofline *_nd_compare_roofline_new  (const char *model,
                                     int         resolution,
                                     gboolean    fused,
                                     GError    **error);
void      _nd_compare_roofline_free (Roofline   *rl);

/* The Side by side page's table (nd-compare-table.c): a column view over @store (set to a
 * new store of pair items), sortable by every column. */
GtkWidget *_nd_compare_table_new   (GListStore          **store);
void       _nd_compare_table_fill  (GListStore           *store,
                                    const NdLabBlockDiff *diff);
void       _nd_compare_table_sort  (GtkWidget            *view,
                                    int                   col,
                                    gboolean              descending);
/* The text of cell @col of a row, as shown. */
char      *_nd_compare_table_cell  (gpointer              item,
                                    int                   col);
/* The pair (index in NdLabBlockDiff.pairs) a row shows. */
int        _nd_compare_table_item_pair (gpointer          item);
/* The rows of @model (in its order) as CSV: stage,position,block_a,block_b,a_ms,b_ms,
 * diff_ms,diff_pct with the CLI's formatting. */
char      *_nd_compare_table_csv   (GListModel           *model);

G_END_DECLS
