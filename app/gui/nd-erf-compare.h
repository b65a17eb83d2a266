/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-grad.h"

G_BEGIN_DECLS

/* "ParNet streams vs a ResNet stage of the same depth": the effective receptive fields of the
 * last block of each of ParNet-S's three streams next to the ResNet block (ResNet-50 or -18)
 * whose depth (nd_graph_block_stats, as `nondeep-cli info --json` reports it) is closest to
 * the deepest stream block's. Every map is `nondeep-cli erf --model M --block B --resolution R
 * --samples N` (random weights, seed 1; random inputs, seed 1), computed on a worker thread. */
#define ND_TYPE_ERF_COMPARE (nd_erf_compare_get_type ())
G_DECLARE_FINAL_TYPE (NdErfCompare, nd_erf_compare, ND, ERF_COMPARE, GtkWidget)

#define ND_ERF_COMPARE_MAPS 4

GtkWidget    *nd_erf_compare_new         (void);
/* Recomputes at @resolution px with @samples random inputs per map. */
void          nd_erf_compare_start       (NdErfCompare *self,
                                          int           resolution,
                                          int           samples);
/* "resnet-50" (default) or "resnet-18"; a change recomputes. */
void          nd_erf_compare_set_resnet  (NdErfCompare *self,
                                          const char   *model);
void          nd_erf_compare_cancel      (NdErfCompare *self);
gboolean      nd_erf_compare_is_busy     (NdErfCompare *self);
/* Map @i (0–2 the ParNet streams, 3 the ResNet block): its field (NULL before it is ready),
 * model and the --block it was measured at. */
const NdErf  *nd_erf_compare_get_erf     (NdErfCompare *self,
                                          int           i);
const char   *nd_erf_compare_get_model   (NdErfCompare *self,
                                          int           i);
const char   *nd_erf_compare_get_block   (NdErfCompare *self,
                                          int           i);
int           nd_erf_compare_get_resolution (NdErfCompare *self);
int           nd_erf_compare_get_samples (NdErfCompare *self);
/* How many maps have been drawn since the last result arrived. */
int           nd_erf_compare_get_n_drawn (NdErfCompare *self);
/* In its own window (1024×700), transient for @parent's (may be NULL); returns the view. */
NdErfCompare *nd_erf_compare_present     (GtkWidget    *parent,
                                          int           resolution,
                                          int           samples);

G_END_DECLS
