/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The tiled GEMM core shared by conv2d.comp (implicit GEMM: B is the im2col matrix, computed
 * on the fly) and gemm.comp (1×1 convolutions and linear layers).
 *
 * C[z][m][n] = Σ_k A[z][m][k] · B[z][k][n], one BM×BN tile per workgroup, z = image·groups +
 * group. The workgroup stages a BM×BK slice of A and a BK×BN slice of B in shared memory
 * (as vec4 along m and n), then every invocation accumulates a 4×4 register block: rows
 * 4·ty … 4·ty+3, columns 4·tx … 4·tx+3, one vec4 load of each operand per k.
 *
 * Split-K (SPLIT_K > 1, for grids too small to fill a GPU: a 7×7 map with K = 4608): the
 * z dimension of the grid is slice·ZN + z, each slice sums its own run of K and stores the
 * raw partial with store_partial; splitk.comp adds the slices, the bias and the epilogue.
 *
 * The including shader defines BM, BN, BK (specialization constants, BM and BN multiples of
 * 4), GM, GN, GK and the functions load_a, load_b, store_c and store_partial. */

#extension GL_EXT_control_flow_attributes : require

shared vec4 As[BK * BM / 4u];
shared vec4 Bs[BK * BN / 4u];

void
nd_gemm_tile ()
{
  const uint WG = gl_WorkGroupSize.x;
  uint tid = gl_LocalInvocationID.x;
  uint tx = tid % (BN / 4u);
  uint ty = tid / (BN / 4u);
  int n0 = int (gl_WorkGroupID.x * BN);
  int m0 = int (gl_WorkGroupID.y * BM);
  uint slice = SPLIT_K > 1 ? gl_WorkGroupID.z / ZN : 0u;
  uint z = SPLIT_K > 1 ? gl_WorkGroupID.z % ZN : gl_WorkGroupID.z;
  /* Each slice's run of K is a whole number of BK steps. */
  int k_chunk = SPLIT_K > 1 ? ((GK + SPLIT_K - 1) / SPLIT_K + int (BK) - 1) / int (BK) * int (BK)
                            : GK;
  int k_begin = int (slice) * k_chunk;
  int k_end = min (GK, k_begin + k_chunk);
  vec4 acc0 = vec4 (0.0), acc1 = vec4 (0.0), acc2 = vec4 (0.0), acc3 = vec4 (0.0);

  for (int k0 = k_begin; k0 < k_end; k0 += int (BK))
    {
      /* Staging: one scalar per invocation and pass, k fastest for A (rows of the weight
       * matrix are contiguous in k), n fastest for B (neighbouring output pixels). */
      for (uint e = tid; e < BM * BK; e += WG)
        {
          int mi = int (e / BK), ki = int (e % BK);
          int m = m0 + mi, k = k0 + ki;

          As[(uint (ki) * BM + uint (mi)) / 4u][mi % 4] = (m < GM && k < k_end) ? load_a (z, m, k)
                                                                               : 0.0;
        }
      for (uint e = tid; e < BK * BN; e += WG)
        {
          int ki = int (e / BN), ni = int (e % BN);
          int n = n0 + ni, k = k0 + ki;

          Bs[e / 4u][ni % 4] = (n < GN && k < k_end) ? load_b (z, k, n) : 0.0;
        }
      barrier ();
      [[unroll]] for (uint kk = 0u; kk < BK; kk++)
        {
          vec4 a = As[kk * (BM / 4u) + ty];
          vec4 b = Bs[kk * (BN / 4u) + tx];

          acc0 = fma (vec4 (a.x), b, acc0);
          acc1 = fma (vec4 (a.y), b, acc1);
          acc2 = fma (vec4 (a.z), b, acc2);
          acc3 = fma (vec4 (a.w), b, acc3);
        }
      barrier ();
    }

  [[unroll]] for (uint r = 0u; r < 4u; r++)
    {
      int m = m0 + int (ty * 4u + r);
      vec4 v = r == 0u ? acc0 : r == 1u ? acc1 : r == 2u ? acc2 : acc3;

      if (m >= GM)
        continue;
      [[unroll]] for (uint c = 0u; c < 4u; c++)
        {
          int n = n0 + int (tx * 4u + c);

          if (n < GN && SPLIT_K > 1)
            store_partial (slice, z, m, n, v[c]);
          else if (n < GN)
            store_c (z, m, n, v[c]);
        }
    }
}
