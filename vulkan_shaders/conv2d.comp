/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Convolution as an implicit GEMM (no im2col buffer): per image and group,
 * M = C_out/g, N = OH·OW, K = C_in/g·k·k; the B tile is gathered from the input with the
 * (ci, ky, kx) / (oy, ox) decode, which the compiler turns into multiplies because every
 * shape is a specialization constant. Bias (with any BN folded in on the host), a fused
 * residual add / gate and the activation are applied in the epilogue. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_TILE_BM) const uint BM = 64;
layout (constant_id = ND_TILE_BN) const uint BN = 64;
layout (constant_id = ND_TILE_BK) const uint BK = 16;
layout (constant_id = ND_CONV_CIN) const int CIN = 1;     /* per group */
layout (constant_id = ND_CONV_H) const int H = 1;
layout (constant_id = ND_CONV_W) const int W = 1;
layout (constant_id = ND_CONV_COUT) const int COUT = 1;    /* per group */
layout (constant_id = ND_CONV_OH) const int OH = 1;
layout (constant_id = ND_CONV_OW) const int OW = 1;
layout (constant_id = ND_CONV_KS) const int KS = 1;
layout (constant_id = ND_CONV_S) const int S = 1;
layout (constant_id = ND_CONV_P) const int P = 0;
layout (constant_id = ND_CONV_G) const uint G = 1;
layout (constant_id = ND_TILE_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_TILE_ACT) const int ACT = 0;
layout (constant_id = ND_TILE_ACT_ALPHA) const float ACT_ALPHA = 0.0;
layout (constant_id = ND_TILE_SPLIT_K) const int SPLIT_K = 1;  /* see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_ZN) const uint ZN = 1;      /* z = image · groups, with SPLIT_K > 1 */
layout (constant_id = ND_TILE_RM) const uint RM = 4;      /* register block, see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_RN) const uint RN = 4;
layout (constant_id = ND_CONV_KW) const int KW = 1;      /* kernel width, column padding (KS, P: the */
layout (constant_id = ND_CONV_PW) const int PW = 0;      /* height's; equal for a square kernel) */

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Weight { ND_T w[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

const int GM = COUT;
const int GN = OH * OW;
const int GK = CIN * KS * KW;

float
load_a (uint z, int m, int k)
{
  return LD (w[((z % G) * uint (COUT) + uint (m)) * uint (GK) + uint (k)]);
}

float
load_b (uint z, int k, int n)
{
  int ci = k / (KS * KW);
  int r = k - ci * (KS * KW);
  int ky = r / KW;
  int kx = r - ky * KW;
  int oy = n / OW;
  int ox = n - oy * OW;
  int iy = oy * S - P + ky;
  int ix = ox * S - PW + kx;

  if (iy < 0 || iy >= H || ix < 0 || ix >= W)
    return 0.0;
  return LD (x[(z * uint (CIN) + uint (ci)) * uint (H * W) + uint (iy * W + ix)]);
}

void
store_c (uint z, int m, int n, float v)
{
  uint nc = z * uint (COUT) + uint (m);
  uint idx = nc * uint (GN) + uint (n);

  if (HAS_BIAS != 0)
    v += LD (bias[(z % G) * uint (COUT) + uint (m)]);
  y[idx] = ST (nd_act (nd_epilogue (v, idx, nc), ACT, ACT_ALPHA));
}

/* Split-K partials, [slice][z][m][n]: the layout of the output itself (for gemm.comp that
 * holds for 1×1 convolutions, the only ones split), one copy per slice. */
void
store_partial (uint slice, uint z, int m, int n, float v)
{
  y[slice * ZN * uint (GM * GN) + (z * uint (COUT) + uint (m)) * uint (GN) + uint (n)] = ST (v);
}

#include "nd-gemm-tile.glsl"

void
main ()
{
  nd_gemm_tile ();
}
