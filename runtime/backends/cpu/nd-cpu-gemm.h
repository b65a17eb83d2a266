/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A GEMM on weights packed once per plan: C (M × N, ldc) = A (M × K) · B (K × N, ldb), all
 * row-major, A packed at prepare time into panels of ND_CPU_GEMM_MR rows ([K][MR] each, zero
 * padded). OpenBLAS has no pre-packed sgemm in its API and re-packs the weights on every
 * call, which measured ~12% of a 14² convolution's time (perf: sgemm_oncopy); the weights
 * never change, so we pack them once. AVX-512 only; elsewhere callers keep cblas_sgemm. */
#define ND_CPU_GEMM_MR 8

typedef struct
{
  int    M, K;
  float *data;   /* per K block of 192: [ceil(M / MR)][kc][MR] */
} NdCpuPackedA;

gboolean      nd_cpu_gemm_supported (void);
NdCpuPackedA *nd_cpu_gemm_pack      (const float *A, int M, int K, int lda);
void          nd_cpu_gemm_free      (NdCpuPackedA *a);
/* Rows [m0, m1) of C (m0 a multiple of MR) and columns [n0, n1). */
void          nd_cpu_gemm_run       (const NdCpuPackedA *a,
                                     int m0, int m1,
                                     const float *B, int ldb,
                                     int n0, int n1,
                                     float *C, int ldc);

/* What the last K block does to C before storing it, in registers: C = relu? (A·B + bias[m]
 * + add[m][n]). A convolution's bias and its fused ADD / ReLU (ResNet's conv3, VanillaNet's
 * biased 1×1s): done as a pass over the output afterwards, they read it back from L3. */
typedef struct
{
  const float *bias;   /* [M], or NULL */
  const float *add;    /* laid out as C (row m, column n at add[m · ldc + n]), or NULL */
  gboolean     relu;
} NdCpuGemmEp;

/* nd_cpu_gemm_run with @ep (NULL: none) */
void          nd_cpu_gemm_run_ep    (const NdCpuPackedA *a,
                                     int m0, int m1,
                                     const float *B, int ldb,
                                     int n0, int n1,
                                     float *C, int ldc,
                                     const NdCpuGemmEp *ep);

G_END_DECLS
