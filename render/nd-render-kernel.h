/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "nd-graph.h"
#include "nd-render-style.h"

G_BEGIN_DECLS

/* How one 3×3 kernel slice (output channel o, input channel i of its group) of a
 * re-parameterizable block is made (RepVGG/ParNet):
 *   fused = dense·s_d + pad(1×1)·s_1 + δ·s_id,   bias = Σ (β − μ·s),   s = γ / √(σ² + ε)
 * The identity term only where the identity BN is summed directly (RepVGG); ParNet's identity
 * is gated by the SSE and stays outside the fused conv. The stride-2 ParNet branch
 * AvgPool2×2 → 1×1 becomes w/4 on the 2×2 bottom-right corner. */
typedef struct
{
  float    dense[9];          /* raw 3×3 weights */
  float    one[9];            /* raw 1×1 (or pool+1×1) placed in a 3×3 */
  float    identity[9];       /* the delta kernel (1 at the centre when i is o's channel) */
  float    scale_dense, scale_one, scale_id;     /* γ/√(σ²+ε) of each branch's BN */
  float    shift_dense, shift_one, shift_id;     /* β − μ·scale */
  float    fused[9];          /* the sum of the scaled kernels */
  float    fused_bias;
  gboolean has_one, has_identity, pooled_one;
  int      out_channel, in_channel;
  double   measured_diff;     /* max |fused − unfused| of the block output; < 0: not measured */
} NdKernelSteps;

/* Reads the branches of @block in a training-form graph. Fails (with a reason) for a block
 * without a 3×3 dense branch or out-of-range channels. */
gboolean nd_kernel_steps_compute (const NdGraph *graph,
                                  const char    *block,
                                  int            out_channel,
                                  int            in_channel,
                                  NdKernelSteps *steps,
                                  GError       **error);

/* Draws: dense·s + 1×1·s + identity·s = fused, each a 3×3 matrix with its values, the BN
 * scale and shift under each, and the measured output difference. */
void     nd_render_kernel        (cairo_t             *cr,
                                  const NdKernelSteps *steps,
                                  double               width,
                                  double               height,
                                  const NdRenderStyle *style);
/* "fused 3×3 · row 1, column 2 · 0.0312": the value under (@px, @py) as drawn (scaled by its
 * BN), for a tooltip where the cells are too small for their numbers; NULL off the cells. */
char    *nd_render_kernel_value_at (const NdKernelSteps *steps,
                                    double               width,
                                    double               height,
                                    const NdRenderStyle *style,
                                    double               px,
                                    double               py);

/* Test hook: the numbers the last nd_render_kernel () call printed in its matrix cells, as
 * laid out ("%.2f" of each value as drawn), matrix after matrix (dense, 1×1, identity, fused:
 * those drawn), row by row; empty where the cells were too small for numbers. */
char   **nd_render_kernel_drawn_numbers (void);

G_END_DECLS
