/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* Gradients through the runtime (runtime/grad/): input gradients of every op of nd-graph.h
 * and nd_graph_backward(), which runs them in reverse topological order from one node of a
 * graph, reusing the activations a forward pass kept.
 *
 * Activations are a [n_nodes] array of every node's output (batch N), index = node id, as a
 * CPU plan that captured every node holds them (plan->captured, see nd_grad_capture_all())
 * or as nd_ref_run_graph (…, &all) returns them (all->pdata). Gradients are float32 NCHW
 * tensors of the same shapes; each image of the batch gets its own. */

/* The scalar to differentiate: the sum of node @node's outputs at channel @channel (−1: every
 * channel) and position (@y, @x) (−1 for both: every position). */
typedef struct
{
  int node;
  int channel;
  int y, x;
} NdGradUnit;

typedef enum
{
  ND_GRAD_DEFAULT   = 0,
  ND_GRAD_REFERENCE = 1 << 0,  /* naive loops only (the oracle the fast paths are tested on) */
} NdGradFlags;

/* Adds the input gradients of @node to @dx[k] (one per input; NULL skips that input), given
 * the forward's inputs @in, its output @out and the gradient of its output @dy. The naive
 * reference, straight from the op definitions. */
void       nd_grad_op_ref          (const NdNode           *node,
                                    const NdTensor * const *in,
                                    const NdTensor         *out,
                                    const NdTensor         *dy,
                                    NdTensor * const       *dx);
/* The same with the fast paths where they exist (conv: a transposed conv through sgemm). */
void       nd_grad_op              (const NdNode           *node,
                                    const NdTensor * const *in,
                                    const NdTensor         *out,
                                    const NdTensor         *dy,
                                    NdTensor * const       *dx);
/* Weight gradients of a LINEAR node, summed over the batch: @dw [O, I], @db [O] (either may
 * be NULL); overwritten, not added to. */
void       nd_grad_linear_weights  (const NdNode   *node,
                                    const NdTensor *x,
                                    const NdTensor *dy,
                                    NdTensor       *dw,
                                    NdTensor       *db);

/* The node ids a plan must capture for nd_graph_backward (every node); g_free() the array. */
int       *nd_grad_capture_all     (const NdGraph *graph,
                                    int           *n_capture);

/* Back-propagates @seed (the gradient of node @node's output, [N, out_c, out_h, out_w]) to the
 * input. Returns TRUE and, in *@grads, every node's output gradient (index = node id; NULL
 * for nodes the seed does not reach or that come after @node). FALSE with @error when the
 * activations are missing or do not fit the graph. */
gboolean   nd_graph_backward_seed  (const NdGraph    *graph,
                                    NdTensor * const *acts,
                                    int               node,
                                    const NdTensor   *seed,
                                    NdGradFlags       flags,
                                    GPtrArray       **grads,
                                    GError          **error);
/* As nd_graph_backward_seed, but stops once node @stop's gradient is complete (every reader
 * of it has run; 0: the input's): only the nodes after @stop and their inputs are read, the
 * nodes nd_grad_capture_from (graph, stop, node) lists. Gradients of nodes before @stop are
 * partial or NULL. */
gboolean   nd_graph_backward_seed_to (const NdGraph    *graph,
                                      NdTensor * const *acts,
                                      int               node,
                                      const NdTensor   *seed,
                                      int               stop,
                                      NdGradFlags       flags,
                                      GPtrArray       **grads,
                                      GError          **error);
/* The node ids a backward from @last down to @stop reads (@stop, the nodes after it up to
 * @last, and their inputs), ascending; g_free() the array. */
int       *nd_grad_capture_from    (const NdGraph *graph,
                                    int            stop,
                                    int            last,
                                    int           *n_capture);
/* The gradient of @unit with respect to the input [N, in_c, in_h, in_w], or NULL with
 * @error (a unit outside its node, missing activations). */
NdTensor  *nd_graph_backward       (const NdGraph    *graph,
                                    NdTensor * const *acts,
                                    const NdGradUnit *unit,
                                    NdGradFlags       flags,
                                    GError          **error);

/* ---- maps built on the backward pass (nd-grad-maps.c) ---- */

/* The smallest radii (Euclidean, in pixels, from (@cy, @cx)) of the discs holding 50 % and 95 %
 * of a non-negative @map's mass [h × w]. FALSE when the map holds no mass. */
gboolean   nd_grad_mass_radii      (const float *map,
                                    int          h,
                                    int          w,
                                    double       cy,
                                    double       cx,
                                    double      *radius_50,
                                    double      *radius_95);

/* The last node of @block or of any block under it ("streams.1" → the last node tagged
 * streams.1.*; "layer3" → the last of layer3.*), or −1. */
int        nd_grad_find_block      (const NdGraph *graph,
                                    const char    *block);

/* The effective receptive field of a unit (Luo et al. 2016): the mean over @samples inputs
 * (N(0, 1), from @seed) of |d unit / d input|, averaged over the input channels, with its
 * mass radii around the centre of the unit's theoretical field. */
typedef struct
{
  int          node;
  int          y, x;          /* the unit's position in the node's output */
  int          samples;
  NdTensor    *map;           /* [1, 1, in_h, in_w] mean |input gradient| */
  double       centre_y, centre_x;   /* the theoretical field's centre, input pixels */
  double       radius_50, radius_95;
  int          rf_x0, rf_y0, rf_x1, rf_y1;   /* theoretical field, clipped (inclusive) */
  int          rf_width, rf_height;          /* … and its unclipped size */
  gboolean     rf_global;     /* some path pools the whole image (SE gates, linear) */
  double       mass_outside_rf;  /* the map's mass outside the theoretical box, a fraction:
                                  * what reaches the unit only through global paths */
  double       forward_ms, backward_ms;      /* medians per sample */
} NdErf;

/* @unit.channel −1 for every channel; @unit.y/x −1 for the centre of the node's output.
 * Runs the forward on @backend (a plan capturing every node, batch 1). */
gboolean   nd_grad_erf             (NdGraph           *graph,
                                    NdBackend         *backend,
                                    const NdGradUnit  *unit,
                                    int                samples,
                                    guint32            seed,
                                    NdErf             *erf,
                                    GError           **error);
/* The same over @inputs [N, C, H, W] (dataset images, preprocessed as the model takes them)
 * instead of random ones: erf->samples = N. */
gboolean   nd_grad_erf_inputs      (NdGraph           *graph,
                                    NdBackend         *backend,
                                    const NdGradUnit  *unit,
                                    const NdTensor    *inputs,
                                    NdErf             *erf,
                                    GError           **error);
void       nd_erf_clear            (NdErf *erf);

/* Saliency of a class score (logit) for each image of a forward pass (activations @acts):
 * ND_SALIENCY_GRAD the input gradient's max over channels of |dy/dx| (Simonyan et al. 2014);
 * ND_SALIENCY_GRADCAM ReLU(Σ_c α_c·A_c) on the last spatial node before the head, α_c the
 * spatial mean of dy/dA_c (Selvaraju et al. 2017), upsampled bilinearly to the input. */
typedef enum
{
  ND_SALIENCY_GRAD,
  ND_SALIENCY_GRADCAM,
} NdSaliencyMethod;

typedef struct
{
  NdTensor *input_grad;   /* [N, C, H, W] d logit[class] / d input */
  NdTensor *map;          /* [N, 1, H, W] the saliency, ≥ 0 */
  int       cam_node;     /* Grad-CAM's layer, −1 for ND_SALIENCY_GRAD */
} NdSaliency;

/* The node Grad-CAM reads: the last one with a spatial map (more than one cell) before the
 * graph's output, or −1. */
int        nd_grad_cam_node        (const NdGraph *graph);
/* @classes: one class index per image. */
gboolean   nd_grad_saliency        (const NdGraph     *graph,
                                    NdTensor * const  *acts,
                                    const int         *classes,
                                    NdSaliencyMethod   method,
                                    NdSaliency        *out,
                                    GError           **error);
void       nd_saliency_clear       (NdSaliency *saliency);

/* ---- the live explanation (nd-grad-explain.c) ---- */

/* The nodes a forward pass must capture for nd_grad_saliency_map (@method): every node for the
 * input gradient, Grad-CAM's layer and what lies after it for Grad-CAM. NULL (and *@n 0) when
 * the graph has no layer for Grad-CAM. g_free() the array. */
int       *nd_grad_saliency_capture (const NdGraph    *graph,
                                     NdSaliencyMethod  method,
                                     int              *n_capture);
/* One image's saliency map [1, 1, H, W] for class @klass, equal to nd_grad_saliency's map,
 * from the activations nd_grad_saliency_capture lists: Grad-CAM's backward stops at its layer
 * instead of running down to the input. NULL with @error. */
NdTensor  *nd_grad_saliency_map    (const NdGraph     *graph,
                                    NdTensor * const  *acts,
                                    int                klass,
                                    NdSaliencyMethod   method,
                                    GError           **error);

G_END_DECLS
