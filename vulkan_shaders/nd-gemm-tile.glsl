/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The tiled GEMM core shared by conv2d.comp (implicit GEMM: B is the im2col matrix, computed
 * on the fly) and gemm.comp (1×1 convolutions and linear layers).
 *
 * C[z][m][n] = Σ_k A[z][m][k] · B[z][k][n], one BM×BN tile per workgroup, z = image·groups +
 * group. The workgroup stages a BM×BK slice of A and a BK×BN slice of B in shared memory
 * (as vec4 along m and n), then every invocation accumulates an RM×RN register block (4 or 8
 * each): row groups of 4 at (i·BM/RM + ty)·4 and column groups at (j·BN/RN + tx)·4, so that a
 * warp's vec4 loads of B are contiguous and its loads of A broadcast. 8×8 does 64 FMAs per 4
 * shared loads, 4×4 16 per 2: big tiles for big products, where shared-memory bandwidth is
 * the limit. The next K slice is loaded from global memory into registers while the current
 * one is multiplied (software pipelining): a deep K loop (a 3×3 conv over 1024 channels is
 * K = 9216) is otherwise one global-memory latency per step.
 *
 * Split-K (SPLIT_K > 1, for grids too small to fill a GPU: a 7×7 map with K = 4608): the
 * z dimension of the grid is slice·ZN + z, each slice sums its own run of K and stores the
 * raw partial with store_partial; splitk.comp adds the slices, the bias and the epilogue.
 *
 * The including shader defines BM, BN, BK, RM, RN (specialization constants; BM a multiple
 * of RM, BN of RN, the workgroup (BM/RM)·(BN/RN) invocations), GM, GN, GK and the functions
 * load_a, load_b, store_c and store_partial. */

#extension GL_EXT_control_flow_attributes : require

shared vec4 As[BK * BM / 4u];
shared vec4 Bs[BK * BN / 4u];

/* The register block (a value other than 8 is 4, so an unset constant means 4×4). */
const uint RB_M = RM == 8u ? 8u : 4u;
const uint RB_N = RN == 8u ? 8u : 4u;

/* Per-invocation staging registers: BK·BM / WG of A and BK·BN / WG of B, at most 16 for
 * the tiles the host picks (64×16 with 4×4: 64 invocations stage 16 each). */
const uint STAGE_MAX = 16u;
float pa[STAGE_MAX], pb[STAGE_MAX];

/* Loads the K slice k0 … k0+BK of the tile into pa / pb. */
void
nd_gemm_fetch (uint z, int m0, int n0, int k0, int k_end)
{
  const uint WG = gl_WorkGroupSize.x;
  const uint NA = (BM * BK + WG - 1u) / WG, NB = (BK * BN + WG - 1u) / WG;
  uint tid = gl_LocalInvocationID.x;

  [[unroll]] for (uint i = 0u; i < STAGE_MAX; i++)
    {
      uint e = tid + i * WG;
      int m = m0 + int (e / BK), k = k0 + int (e % BK);
      int kb = k0 + int (e / BN), n = n0 + int (e % BN);

      if (i < NA && e < BM * BK)
        pa[i] = (m < GM && k < k_end) ? load_a (z, m, k) : 0.0;
      if (i < NB && e < BK * BN)
        pb[i] = (n < GN && kb < k_end) ? load_b (z, kb, n) : 0.0;
    }
}

void
nd_gemm_tile ()
{
  const uint WG = gl_WorkGroupSize.x;
  const uint TXN = BN / RB_N, TYN = BM / RB_M;
  const uint NA = (BM * BK + WG - 1u) / WG, NB = (BK * BN + WG - 1u) / WG;
  uint tid = gl_LocalInvocationID.x;
  uint tx = tid % TXN;
  uint ty = tid / TXN;
  int n0 = int (gl_WorkGroupID.x * BN);
  int m0 = int (gl_WorkGroupID.y * BM);
  uint slice = SPLIT_K > 1 ? gl_WorkGroupID.z / ZN : 0u;
  uint z = SPLIT_K > 1 ? gl_WorkGroupID.z % ZN : gl_WorkGroupID.z;
  /* Each slice's run of K is a whole number of BK steps. */
  int k_chunk = SPLIT_K > 1 ? ((GK + SPLIT_K - 1) / SPLIT_K + int (BK) - 1) / int (BK) * int (BK)
                            : GK;
  int k_begin = int (slice) * k_chunk;
  int k_end = min (GK, k_begin + k_chunk);
  vec4 acc[8][2];

  [[unroll]] for (uint r = 0u; r < 8u; r++)
    {
      acc[r][0] = vec4 (0.0);
      acc[r][1] = vec4 (0.0);
    }
  /* Step k0 stores the slice fetched at the previous step, fetches slice k0 (one call site,
   * so the loads are compiled once) and multiplies the stored one while those loads are in
   * flight; the first step only fetches, the last (k0 = the end) only multiplies. */
  for (int k0 = k_begin; k0 < k_end + int (BK); k0 += int (BK))
    {
      if (k0 > k_begin)
        {
          /* registers → shared: k fastest for A (rows of the weight matrix are contiguous in
           * k), n fastest for B (neighbouring output pixels) */
          [[unroll]] for (uint i = 0u; i < STAGE_MAX; i++)
            {
              uint e = tid + i * WG;
              uint mi = e / BK, ki = e % BK;

              if (i < NA && e < BM * BK)
                As[(ki * BM + mi) / 4u][mi % 4u] = pa[i];
              if (i < NB && e < BK * BN)
                Bs[e / 4u][e % 4u] = pb[i];
            }
          barrier ();
        }
      if (k0 < k_end)
        nd_gemm_fetch (z, m0, n0, k0, k_end);
      if (k0 == k_begin)
        continue;
      [[unroll]] for (uint kk = 0u; kk < BK; kk++)
        {
          vec4 a[2], b[2];

          [[unroll]] for (uint i = 0u; i < 2u; i++)
            {
              a[i] = i < RB_M / 4u ? As[kk * (BM / 4u) + i * TYN + ty] : vec4 (0.0);
              b[i] = i < RB_N / 4u ? Bs[kk * (BN / 4u) + i * TXN + tx] : vec4 (0.0);
            }
          [[unroll]] for (uint i = 0u; i < 2u; i++)
            [[unroll]] for (uint e = 0u; e < 4u; e++)
              [[unroll]] for (uint j = 0u; j < 2u; j++)
                if (i < RB_M / 4u && j < RB_N / 4u)
                  acc[i * 4u + e][j] = fma (vec4 (a[i][e]), b[j], acc[i * 4u + e][j]);
        }
      barrier ();
    }

  [[unroll]] for (uint i = 0u; i < 2u; i++)
    [[unroll]] for (uint e = 0u; e < 4u; e++)
      {
        int m = m0 + int ((i * TYN + ty) * 4u + e);

        if (i >= RB_M / 4u || m >= GM)
          continue;
        [[unroll]] for (uint j = 0u; j < 2u; j++)
          [[unroll]] for (uint c = 0u; c < 4u; c++)
            {
              int n = n0 + int ((j * TXN + tx) * 4u + c);

              if (j >= RB_N / 4u || n >= GN)
                continue;
              if (SPLIT_K > 1)
                store_partial (slice, z, m, n, acc[i * 4u + e][j][c]);
              else
                store_c (z, m, n, acc[i * 4u + e][j][c]);
            }
      }
}
