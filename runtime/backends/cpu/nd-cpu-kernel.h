/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "nd-backend.h"
#include "nd-graph.h"
#include "nd-tensor.h"

G_BEGIN_DECLS

/* One prepared op of a CPU plan. A kernel factory looks at a node once, when the plan is
 * prepared (packing weights, sizing scratch), and returns NULL when it does not support it;
 * the plan then tries the next factory, ending with the naive reference op. */
typedef struct _NdCpuKernel NdCpuKernel;

/* A fused epilogue: the plan lets a conv absorb the chain of nodes that follow it when each
 * is its producer's only consumer and none is captured (activations, the SE/SSE gate, the
 * merge add). The steps run in order on each output value while it is still in cache. */
typedef enum
{
  ND_CPU_EP_RELU,
  ND_CPU_EP_SILU,
  ND_CPU_EP_SIGMOID,
  ND_CPU_EP_LEAKY,      /* alpha */
  ND_CPU_EP_RELU6,
  ND_CPU_EP_GATE,       /* y ·= alpha·σ(other[n, c]) */
  ND_CPU_EP_ADD,        /* y += other[n, c, …] */
} NdCpuEpKind;

#define ND_CPU_EP_MAX_STEPS 8

typedef struct
{
  NdCpuEpKind     kind;
  float           alpha;
  int             other_node;  /* GATE, ADD: the node read; the plan sets @other each run */
  const NdTensor *other;
} NdCpuEpStep;

typedef struct
{
  int         n_steps;
  NdCpuEpStep steps[ND_CPU_EP_MAX_STEPS];
} NdCpuEpilogue;

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
  /* Added for the fast kernels: a kernel that applies an epilogue sets fuses_epilogue in its
   * factory; the plan then fills @epilogue (n_steps 0: none). */
  gboolean      fuses_epilogue;
  NdCpuEpilogue epilogue;
  /* writes the channel-blocked layout (nd-cpu-nc16.h) instead of NCHW, and reads it unless
   * nchw_in (a stem reading the model's input) */
  gboolean      nc16;
  gboolean      nchw_in;
};

/* Applies @ep to @len values of channel @c of image @n, starting at offset @off within the
 * channel's plane of @plane values (@C channels). */
void nd_cpu_epilogue_apply (const NdCpuEpilogue *ep,
                            int                  n,
                            int                  c,
                            int                  C,
                            gint64               plane,
                            gint64               off,
                            float               *y,
                            gint64               len);

/* The same on channel-blocked values (nd-cpu-nc16.h): @np positions from @p0 of channel block
 * @cb (channels 16·cb …), @y their [np][16] values; an ADD's other tensor is blocked too. */
void nd_cpu_epilogue_apply_nc16 (const NdCpuEpilogue *ep,
                                 int                  n,
                                 int                  cb,
                                 int                  C,
                                 gint64               plane,
                                 gint64               p0,
                                 float               *y,
                                 gint64               np);

/* nd_cpu_epilogue_apply on rows [oy0, oy1) of channels [c0, c1) of image @n's output @y
 * (C × OH × OW): kernels that split their work by output rows */
void nd_cpu_epilogue_rows (const NdCpuEpilogue *ep,
                           int                  n,
                           int                  C,
                           int                  OH,
                           int                  OW,
                           int                  c0,
                           int                  c1,
                           int                  oy0,
                           int                  oy1,
                           float               *y);

/* BN's per-channel affine, folded in double: y = x · scale[c] + shift[c] (g_free both) */
void nd_cpu_bn_fold (const NdNode *node, int C, float **scale, float **shift);

/* Depthwise weights [C][kk] as [C / 16 rounded up][kk][16], zeros past C (g_free) */
float *nd_cpu_dw_weights16 (const float *w, int C, int kk);

typedef NdCpuKernel *(*NdCpuKernelFactory) (const NdGraph *graph,
                                            const NdNode  *node,
                                            int            batch);

/* Factories, tried in order. */
NdCpuKernel *nd_cpu_conv_gemm_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_linear_gemm_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_conv_winograd_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_conv_dw_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_conv_direct_new (const NdGraph *graph, const NdNode *node, int batch);
NdCpuKernel *nd_cpu_conv_ocv_new (const NdGraph *graph, const NdNode *node, int batch);
/* Batchnorm, activations, add, gate, pools, concat, shuffle, softmax: vectorisable loops
 * threaded over channels. */
NdCpuKernel *nd_cpu_eltwise_new (const NdGraph *graph, const NdNode *node, int batch);

/* Forces a convolution algorithm for tests and benchmarks: "winograd-f63", "winograd-f43",
 * "winograd-f23", "im2col+sgemm", "gemm-1x1", "dw-direct", "direct", "direct-oc"; NULL restores the
 * automatic choice. The factories return NULL for nodes they cannot run with the forced
 * algorithm. */
void         nd_cpu_conv_force_algo (const char *algo);
const char  *nd_cpu_conv_forced_algo (void);

/* dst[i] = src[2i] for i < n, reading no further than src[2n − 2] (stride-2 rows) */
void         nd_cpu_copy_s2 (float *restrict dst, const float *restrict src, int n);

/* How a CPU plan runs ParNet's streams: 0 when it found none (or runs them one op after
 * another, each op split across the pool), else the number it runs as concurrent work items
 * (one pool thread each). ND_CPU_STREAMS=0 / 1 forces the choice, made at prepare by timing
 * both. For tests and benchmarks. */
int          nd_cpu_plan_concurrent_streams (NdPlan *plan);

G_END_DECLS
