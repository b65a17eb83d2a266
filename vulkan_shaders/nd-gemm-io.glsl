/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The operands and the output of gemm.comp's products, shared with gemm-coopmat.comp (the
 * same specialization constants, so the host can hand either the same op):
 *   A[g][m][k] = w[(g·M + m)·K + k]
 *   B[z][k][n] = x[b·B_BATCH + (g·K + k)·SBK + n·SBN]
 *   C[z][m][n] → y[b·C_BATCH + (g·M + m)·SCM + n·SCN], plus bias, the fused epilogue (for
 *   1×1 convolutions only: its channel index assumes C_BATCH = G·M·SCM) and activation,
 * with z = image·G + group (b the image, g the group). Include after nd-epilogue.glsl. */

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
