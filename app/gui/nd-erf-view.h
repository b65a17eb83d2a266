/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "nd-grad.h"
#include "nd-graph.h"
#include "nd-render-style.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* A block's effective receptive field (the mean |input gradient| of its centre unit over random
 * inputs, nd_grad_erf, or, for models Fashion-MNIST fits, its test images) drawn over its theoretical box with the 50 % and 95 % mass radii, next
 * to Grad-CAM of the top class on the current input. Both are computed off the main thread,
 * on the CPU, with the graph's own weights. */
#define ND_TYPE_ERF_VIEW (nd_erf_view_get_type ())
G_DECLARE_FINAL_TYPE (NdErfView, nd_erf_view, ND, ERF_VIEW, GtkWidget)

GtkWidget   *nd_erf_view_new        (void);
/* Starts computing for @block of @graph; @input [1, C, H, W] is Grad-CAM's image; @labels
 * (may be NULL) name the classes. */
void         nd_erf_view_set_source (NdErfView          *self,
                                     NdGraph            *graph,
                                     NdTensor           *input,
                                     const char         *block,
                                     const char * const *labels);
gboolean     nd_erf_view_is_busy    (NdErfView *self);
/* The inputs the field is averaged over: Fashion-MNIST test images (TRUE) or random ones.
 * The choice is offered where the dataset fits the model (one channel) and is installed;
 * elsewhere setting TRUE returns FALSE. A change recomputes. */
gboolean     nd_erf_view_get_dataset (NdErfView *self);
gboolean     nd_erf_view_set_dataset (NdErfView *self,
                                      gboolean   dataset);
/* The field measured, or NULL while computing or after a failure. */
const NdErf *nd_erf_view_get_erf    (NdErfView *self);
/* Grad-CAM's class, −1 before it is ready. */
int          nd_erf_view_get_class  (NdErfView *self);
/* In its own window, transient for @parent's (may be NULL); returns the view (transfer
 * none; its root is the window). */
NdErfView   *nd_erf_view_present    (GtkWidget          *parent,
                                     NdGraph            *graph,
                                     NdTensor           *input,
                                     const char         *block,
                                     const char * const *labels);

/* Draws @erf's map (viridis, scaled to its maximum) fitted into @w × @h, with its theoretical
 * box in the accent colour and the 50 % (solid) and 95 % (dashed) mass circles. */
void         nd_erf_draw            (cairo_t             *cr,
                                     int                  w,
                                     int                  h,
                                     const NdErf         *erf,
                                     const NdRenderStyle *style);

G_END_DECLS
