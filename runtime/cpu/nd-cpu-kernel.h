/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* One prepared op of a CPU plan. A kernel factory looks at a node once, when the plan is
 * prepared (packing weights, sizing scratch), and returns NULL when it does not support it;
 * the plan then tries the next factory, ending with the naive reference op. */
typedef struct _NdCpuKernel NdCpuKernel;

struct _NdCpuKernel
{
  const char *algo;                 /* shown in bench's per-op table */
  void      (*run)  (NdCpuKernel     *kernel,
                     const NdNode    *node,
                     const NdTensor * const *inputs,
                     NdTensor        *out);
  void      (*free) (NdCpuKernel     *kernel);
  gsize       scratch_floats;       /* per-run scratch the kernel needs (batch included) */
  float      *scratch;              /* set by the plan before run */
};

typedef NdCpuKernel *(*NdCpuKernelFactory) (const NdGraph *graph,
                                            const NdNode  *node,
                                            int            batch);

/* Factories, tried in order. */
NdCpuKernel *nd_cpu_conv_gemm_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_linear_gemm_new (const NdGraph *graph, const NdNode *node, int batch);

G_END_DECLS
