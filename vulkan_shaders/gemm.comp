/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Strided GEMM for 1×1 stride-1 convolutions (B = the input map itself, [K, H·W] per group)
 * and linear layers (B = the batch of feature rows, transposed by strides). z = image·G + group.
 *   A[g][m][k] = w[(g·M + m)·K + k]
 *   B[z][k][n] = x[b·B_BATCH + (g·K + k)·SBK + n·SBN]
 *   C[z][m][n] → y[b·C_BATCH + (g·M + m)·SCM + n·SCN], plus bias, the fused epilogue (for
 *   1×1 convolutions only: its channel index assumes C_BATCH = G·M·SCM) and activation. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_TILE_BM) const uint BM = 64;
layout (constant_id = ND_TILE_BN) const uint BN = 64;
layout (constant_id = ND_TILE_BK) const uint BK = 16;
layout (constant_id = ND_GEMM_M) const int M = 1;
layout (constant_id = ND_GEMM_N) const int N = 1;
layout (constant_id = ND_GEMM_K) const int K = 1;
layout (constant_id = ND_GEMM_G) const uint G = 1;
layout (constant_id = ND_GEMM_SBK) const uint SBK = 1;
layout (constant_id = ND_GEMM_SBN) const uint SBN = 1;
layout (constant_id = ND_GEMM_B_BATCH) const uint B_BATCH = 0;
layout (constant_id = ND_GEMM_SCM) const uint SCM = 1;
layout (constant_id = ND_GEMM_SCN) const uint SCN = 1;
layout (constant_id = ND_GEMM_C_BATCH) const uint C_BATCH = 0;
layout (constant_id = ND_TILE_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_TILE_ACT) const int ACT = 0;
layout (constant_id = ND_TILE_ACT_ALPHA) const float ACT_ALPHA = 0.0;
layout (constant_id = ND_TILE_SPLIT_K) const int SPLIT_K = 1;  /* see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_ZN) const uint ZN = 1;      /* z = image · groups, with SPLIT_K > 1 */
layout (constant_id = ND_TILE_RM) const uint RM = 4;      /* register block, see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_RN) const uint RN = 4;
layout (constant_id = ND_GEMM_GEMV) const int GEMV = 0;   /* 1: a workgroup per output (m, n), see gemv */

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Weight { ND_T w[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

const int GM = M;
const int GN = N;
const int GK = K;

float
load_a (uint z, int m, int k)
{
  return LD (w[((z % G) * uint (M) + uint (m)) * uint (K) + uint (k)]);
}

float
load_b (uint z, int k, int n)
{
  return LD (x[(z / G) * B_BATCH + ((z % G) * uint (K) + uint (k)) * SBK + uint (n) * SBN]);
}

void
store_c (uint z, int m, int n, float v)
{
  uint row = (z % G) * uint (M) + uint (m);
  uint idx = (z / G) * C_BATCH + row * SCM + uint (n) * SCN;

  if (HAS_BIAS != 0)
    v += LD (bias[row]);
  y[idx] = ST (nd_act (nd_epilogue (v, idx, (z / G) * G * uint (M) + row), ACT, ACT_ALPHA));
}

/* Split-K partials, [slice][z][m][n]: the layout of the output itself (for gemm.comp that
 * holds for 1×1 convolutions, the only ones split), one copy per slice. */
void
store_partial (uint slice, uint z, int m, int n, float v)
{
  y[slice * ZN * uint (GM * GN) + (z * uint (M) + uint (m)) * uint (N) + uint (n)] = ST (v);
}

#include "nd-gemm-tile.glsl"

/* N ≤ 4 (a 1×1 map or a small batch): the workgroup strides over K for one output and
 * reduces in shared memory (As, at least BK·BM/4 ≥ the workgroup size, is free here). */
void
gemv ()
{
  const uint WG = gl_WorkGroupSize.x;
  uint tid = gl_LocalInvocationID.x;
  int n = int (gl_WorkGroupID.x), m = int (gl_WorkGroupID.y);
  uint z = gl_WorkGroupID.z;
  float acc = 0.0;

  for (int k = int (tid); k < K; k += int (WG))
    acc = fma (load_a (z, m, k), load_b (z, k, n), acc);
  As[tid].x = acc;
  barrier ();
  for (uint s = WG / 2u; s > 0u; s >>= 1)
    {
      if (tid < s)
        As[tid].x += As[tid + s].x;
      barrier ();
    }
  if (tid == 0u)
    store_c (z, m, n, As[0].x);
}

void
main ()
{
  if (GEMV != 0)
    gemv ();
  else
    nd_gemm_tile ();
}
