/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-cpu-kernel.h"

G_BEGIN_DECLS

/* The channel-blocked layout ("nc16", NCHW16c): value (n, c, h, w) at
 * x[n][c / 16][h][w][c % 16]. Sixteen channels of a pixel fill one AVX-512 vector, so a
 * depthwise tap, a pool window or a BN is one vector op a pixel with no transposes, and a 1×1
 * convolution broadcasts input values against weight vectors. Used only where every channel
 * count is a multiple of 16 (no padded lanes); a tensor of 1 × 1 maps is the same in both
 * layouts. The plan (nd-cpu-layout.c) chooses which nodes run blocked and converts at the
 * edges of those regions. AVX-512 only. */

/* NCHW → NC16 (@to_nc16) or back, @C a multiple of 16, split over the pool */
void          nd_cpu_nc16_convert    (const float *x,
                                      float       *y,
                                      int          N,
                                      int          C,
                                      gint64       HW,
                                      gboolean     to_nc16);

/* A kernel for @node that writes NC16 (kernel->nc16), or NULL: 1×1 convolutions (stride 1, no
 * padding, no groups, maps of 8² and up), depthwise 3×3 / 5×5 / 7×7 stride 1, max and average
 * pools, global average pool, batchnorm (all reading NC16), and the stem: a convolution of
 * the model's input, read in NCHW (kernel->nchw_in). */
NdCpuKernel  *nd_cpu_nc16_new        (const NdGraph *graph,
                                      const NdNode  *node,
                                      int            batch);

/* Ops whose NCHW kernel is correct on NC16 data unchanged: element-wise activations, ADD,
 * CONCAT of 16-multiple channel counts. */
gboolean      nd_cpu_nc16_agnostic   (const NdGraph *graph,
                                      const NdNode  *node);

/* nd-cpu-nc16-conv.c, for the factory: a 1×1 convolution reading and writing NC16, and the
 * stem (NCHW in, NC16 out); NULL when out of memory */
NdCpuKernel  *nd_cpu_nc16_conv1x1_new (const NdNode *node,
                                       const NdNode *a,
                                       int           batch);
NdCpuKernel  *nd_cpu_nc16_stem_new    (const NdNode *node,
                                       const NdNode *a);
/* nd-cpu-nc16-convk.c: a k×k convolution (any stride, padding, groups of 16-multiple
 * channel counts) reading and writing NC16; NULL when out of memory */
NdCpuKernel  *nd_cpu_nc16_convk_new   (const NdNode *node,
                                       const NdNode *a,
                                       int           batch);
/* the same file: a 3×3 stride-1 convolution as Winograd F(@m, 3), m = 2 or 4 */
NdCpuKernel  *nd_cpu_nc16_wino_new    (const NdNode *node,
                                       const NdNode *a,
                                       int           m,
                                       int           batch);

G_END_DECLS
