/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-lab-blocks.h"

G_BEGIN_DECLS

/* The Compare window's Side by side page: two presets with one knob set (width, resolution,
 * fused) measured block by block off the main thread (nd_lab_blocks_measure, as `nondeep-cli
 * compare --per-block`), each drawn by the graph view's renderer one above the other on one
 * depth axis and one colour scale, with pan and zoom shared; the hovered block, its partner
 * and A − B in the readout; a sortable table of the pairs. */
#define ND_TYPE_COMPARE_SIDES (nd_compare_sides_get_type ())
G_DECLARE_FINAL_TYPE (NdCompareSides, nd_compare_sides, ND, COMPARE_SIDES, GtkBox)

GtkWidget  *nd_compare_sides_new      (void);
/* Sets the controls and starts measuring on a worker thread, as the Measure button does
 * (a measurement already running is cancelled). */
void        nd_compare_sides_start    (NdCompareSides *self,
                                       const char     *model_a,
                                       const char     *model_b,
                                       double          width,
                                       int             resolution,
                                       gboolean        fused,
                                       int             iters);
gboolean    nd_compare_sides_is_busy  (NdCompareSides *self);
void        nd_compare_sides_cancel   (NdCompareSides *self);
/* The last measurement, or NULL. */
const NdLabBlockDiff *nd_compare_sides_get_diff (NdCompareSides *self);
/* The status line (the error of a failed measurement, for instance). */
const char *nd_compare_sides_get_status (NdCompareSides *self);
/* What the readout says with the pointer at (@x, @y) of graph @side (0: A, 1: B), as moving
 * the pointer there does; NULL where there is no block. */
const char *nd_compare_sides_hover    (NdCompareSides *self,
                                       int             side,
                                       double          x,
                                       double          y);
/* The centre of @block's box in graph @side, in that graph's widget coordinates. */
gboolean    nd_compare_sides_block_center (NdCompareSides *self,
                                           int             side,
                                           const char     *block,
                                           double         *x,
                                           double         *y);
/* Zooms both graphs about the centre of graph @side, as the wheel over it does (@dy < 0 in). */
void        nd_compare_sides_scroll   (NdCompareSides *self,
                                       int             side,
                                       double          dy);
/* Frames graph @side has drawn with a model in it (a test hook). */
guint       nd_compare_sides_get_frames (NdCompareSides *self,
                                         int             side);
/* The table's rows in the order shown, as CSV with the first eight columns of `nondeep-cli
 * compare --per-block --csv` (stage,position,block_a,block_b,a_ms,b_ms,diff_ms,diff_pct). */
char       *nd_compare_sides_get_table_csv (NdCompareSides *self);
/* Sorts the table by column @col (0 stage, 1 block A, 2 A ms, 3 block B, 4 B ms, 5 A − B ms,
 * 6 A − B %), as a click on its header does. */
void        nd_compare_sides_sort_table (NdCompareSides *self,
                                         int             col,
                                         gboolean        descending);

G_END_DECLS
