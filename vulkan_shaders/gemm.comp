/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Strided GEMM for 1×1 stride-1 convolutions (B = the input map itself, [K, H·W] per group),
 * Winograd's batched products and linear layers (B = the batch of feature rows, transposed by
 * strides); the operands and output as nd-gemm-io.glsl says. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_TILE_BM) const uint BM = 64;
layout (constant_id = ND_TILE_BN) const uint BN = 64;
layout (constant_id = ND_TILE_BK) const uint BK = 16;
layout (constant_id = ND_TILE_SPLIT_K) const int SPLIT_K = 1;  /* see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_ZN) const uint ZN = 1;      /* z = image · groups, with SPLIT_K > 1 */
layout (constant_id = ND_TILE_RM) const uint RM = 4;      /* register block, see nd-gemm-tile.glsl */
layout (constant_id = ND_TILE_RN) const uint RN = 4;
layout (constant_id = ND_GEMM_GEMV) const int GEMV = 0;   /* 1: a workgroup per output (m, n), see gemv */

#include "nd-gemm-io.glsl"

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
