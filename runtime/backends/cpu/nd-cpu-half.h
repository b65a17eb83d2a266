/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "nd-backend.h"
#include "nd-cpu-kernel.h"

G_BEGIN_DECLS

/* 16-bit weight storage for the memory-bound layers (NdPlanOptions.weights_precision).
 * Weights are rounded to bfloat16 or IEEE half once, at prepare (round to nearest even);
 * activations and accumulation stay float32:
 *  - bf16: AVX-512 BF16 `vdpbf16ps`, the activation split into two bf16 terms (hi + lo) so
 *    only the weights lose precision (x − hi − lo ≤ 2⁻¹⁷|x|);
 *  - fp16: AVX-512F `vcvtph2ps` (F16C's conversion) then float32 FMA;
 *  - otherwise a portable scalar loop (runtime dispatch, once). */

/* A linear layer, or a 1×1 convolution of a 1×1 map (an SE gate, VanillaNet's classifier),
 * with 16-bit weights; NULL for other nodes, for FP32, or when a weight does not fit the
 * format (rounds to ±inf: fp16 beyond ±65504) or is not finite. Other 1×1 convolutions reuse each
 * weight over the whole map: compute-bound, they stay float32. */
NdCpuKernel *nd_cpu_half_linear_new (const NdGraph     *graph,
                                     const NdNode      *node,
                                     int                batch,
                                     NdWeightsPrecision precision);

/* The building blocks, exposed for the tests. */
guint16      nd_cpu_half_from_float (NdWeightsPrecision precision, float x);
float        nd_cpu_half_to_float   (NdWeightsPrecision precision, guint16 h);
/* Rows padded to a multiple of this many weights (zeros): the vector loops have no tail. */
#define ND_CPU_HALF_ALIGN 32
int          nd_cpu_half_ld         (int n_in);
/* y[n·O + o] = bias[o] + Σᵢ x[n·n_in + i] · w[o·ld + i] for n < N, o < O, i < n_in, with
 * ld = nd_cpu_half_ld (n_in) and the rows of @w zero-padded to it; @bias may be NULL;
 * @xs: scratch of N·ld floats. Split across the pool. */
void         nd_cpu_half_gemv       (NdWeightsPrecision precision,
                                     int N, int O, int n_in,
                                     const float *x,
                                     const guint16 *w,
                                     const float *bias,
                                     float *xs,
                                     float *y);
/* "avx512-bf16", "avx512-f16c" or "scalar": what nd_cpu_half_gemv runs for @precision. */
const char  *nd_cpu_half_isa        (NdWeightsPrecision precision);
/* Tests: TRUE makes every later call take the scalar path. */
void         nd_cpu_half_force_scalar (gboolean scalar);

G_END_DECLS
