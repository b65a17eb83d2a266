/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
/* The tiled GEMM core shared by conv2d.comp (implicit GEMM: B is the im2col matrix, computed
 * on the fly) and gemm.comp (1×1 convolutions and linear layers).
 *
 * C[z][m][n] = Σ_k A[z][m][k] · B[z][k][n], one BM×BN tile per workgroup, z = image·groups +
 * group. The workgroup stages a BM×BK slice of A and a BK×BN slice of B in shared memory,
 * then every invocation accumulates a 4×4 register block (rows ty + r·BM/4, columns
 * tx + c·BN/4, so neighbouring invocations read neighbouring shared words).
 *
 * The including shader defines BM, BN, BK (specialization constants, BM and BN multiples of
 * 4), GM, GN, GK and the functions load_a, load_b and store_c. */

shared float As[BK * BM];
shared float Bs[BK * BN];

void
nd_gemm_tile ()
{
  const uint WG = gl_WorkGroupSize.x;
  uint tid = gl_LocalInvocationID.x;
  uint tx = tid % (BN / 4u);
  uint ty = tid / (BN / 4u);
  int n0 = int (gl_WorkGroupID.x * BN);
  int m0 = int (gl_WorkGroupID.y * BM);
  uint z = gl_WorkGroupID.z;
  float acc[4][4];

  for (uint r = 0u; r < 4u; r++)
    for (uint c = 0u; c < 4u; c++)
      acc[r][c] = 0.0;

  for (int k0 = 0; k0 < GK; k0 += int (BK))
    {
      for (uint e = tid; e < BM * BK; e += WG)
        {
          int mi = int (e / BK), ki = int (e % BK);
          int m = m0 + mi, k = k0 + ki;

          As[uint (ki) * BM + uint (mi)] = (m < GM && k < GK) ? load_a (z, m, k) : 0.0;
        }
      for (uint e = tid; e < BK * BN; e += WG)
        {
          int ki = int (e / BN), ni = int (e % BN);
          int n = n0 + ni, k = k0 + ki;

          Bs[e] = (n < GN && k < GK) ? load_b (z, k, n) : 0.0;
        }
      barrier ();
      for (uint kk = 0u; kk < BK; kk++)
        {
          float a[4], b[4];

          for (uint r = 0u; r < 4u; r++)
            a[r] = As[kk * BM + ty + r * (BM / 4u)];
          for (uint c = 0u; c < 4u; c++)
            b[c] = Bs[kk * BN + tx + c * (BN / 4u)];
          for (uint r = 0u; r < 4u; r++)
            for (uint c = 0u; c < 4u; c++)
              acc[r][c] = fma (a[r], b[c], acc[r][c]);
        }
      barrier ();
    }

  for (uint r = 0u; r < 4u; r++)
    {
      int m = m0 + int (ty + r * (BM / 4u));

      if (m >= GM)
        continue;
      for (uint c = 0u; c < 4u; c++)
        {
          int n = n0 + int (tx + c * (BN / 4u));

          if (n < GN)
            store_c (z, m, n, acc[r][c]);
        }
    }
}
