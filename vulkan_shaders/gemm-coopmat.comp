/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
/* ND_COOPMAT_NV: the same kernel on VK_NV_cooperative_matrix, which glslang 11 (Debian 12)
 * compiles; the KHR form needs glslang ≥ 13. */
#ifdef ND_COOPMAT_NV
#extension GL_NV_cooperative_matrix : require
#define ACC fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define MAT_A fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define MAT_B fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define LOAD(m, a, off, stride) coopMatLoadNV (m, a, off, stride, false)
#define STORE(m, a, off, stride) coopMatStoreNV (m, a, off, stride, false)
#define MUL_ADD(a, b, c) coopMatMulAddNV (a, b, c)
#else
#extension GL_KHR_cooperative_matrix : require
#define ACC coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>
#define MAT_A coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA>
#define MAT_B coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB>
#define LOAD(m, a, off, stride) coopMatLoad (m, a, off, stride, gl_CooperativeMatrixLayoutRowMajor)
#define STORE(m, a, off, stride) coopMatStore (m, a, off, stride, gl_CooperativeMatrixLayoutRowMajor)
#define MUL_ADD(a, b, c) coopMatMulAdd (a, b, c)
#endif
#include "nd-common.glsl"
#include "nd-epilogue.glsl"
#include "nd-gemm-io.glsl"

/* gemm.comp's products on cooperative matrices (issue 18): float16 operands, float32
 * accumulation, the same specialization constants, operands and epilogue (nd-gemm-io.glsl),
 * so the plan hands it 1×1 convolutions and Winograd's batched products of float16 plans
 * once the device passed the self-test (nd-vk-coopmat.c). A workgroup of four 32-wide
 * subgroups computes a 64×64 tile of C, each subgroup a 32×32 quarter as 2×2 accumulators
 * of 16×16 (the shape every driver that lists float16 16×16×16 offers). K goes in slices of
 * 16: each invocation stages 8 values of A and 8 of B as float16 in shared memory (zero past
 * the edges, so any M, N, K works); the accumulators go back through shared memory to
 * store_c, so every output takes gemm.comp's bias, epilogue and activation. */

layout (local_size_x = 128) in;

const uint TM = 64;
const uint TN = 64;
const uint TK = 16;
const uint NT = 128;

shared float16_t As[TM * TK];   /* [m][k] */
shared float16_t Bs[TK * TN];   /* [k][n] */
shared float Cs[TM * TN];

void
main ()
{
  uint z = gl_WorkGroupID.z;
  int m0 = int (gl_WorkGroupID.y * TM), n0 = int (gl_WorkGroupID.x * TN);
  uint lid = gl_LocalInvocationIndex;
  /* the subgroup's quarter of the tile (the host enables this kernel only with 32-wide
   * subgroups, so there are four) */
  uint qm = (gl_SubgroupID / 2u) * 32u, qn = (gl_SubgroupID % 2u) * 32u;
  ACC c00 = ACC (0.0), c01 = ACC (0.0), c10 = ACC (0.0), c11 = ACC (0.0);

  for (int k0 = 0; k0 < K; k0 += int (TK))
    {
      for (uint i = lid; i < TM * TK; i += NT)
        {
          int m = m0 + int (i / TK), k = k0 + int (i % TK);

          As[i] = float16_t (m < M && k < K ? load_a (z, m, k) : 0.0);
        }
      for (uint i = lid; i < TK * TN; i += NT)
        {
          int k = k0 + int (i / TN), n = n0 + int (i % TN);

          Bs[i] = float16_t (k < K && n < N ? load_b (z, k, n) : 0.0);
        }
      barrier ();
      {
        MAT_A a0, a1;
        MAT_B b0, b1;

        LOAD (a0, As, qm * TK, TK);
        LOAD (a1, As, (qm + 16u) * TK, TK);
        LOAD (b0, Bs, qn, TN);
        LOAD (b1, Bs, qn + 16u, TN);
        c00 = MUL_ADD (a0, b0, c00);
        c01 = MUL_ADD (a0, b1, c01);
        c10 = MUL_ADD (a1, b0, c10);
        c11 = MUL_ADD (a1, b1, c11);
      }
      barrier ();
    }
  STORE (c00, Cs, qm * TN + qn, TN);
  STORE (c01, Cs, qm * TN + qn + 16u, TN);
  STORE (c10, Cs, (qm + 16u) * TN + qn, TN);
  STORE (c11, Cs, (qm + 16u) * TN + qn + 16u, TN);
  barrier ();
  for (uint i = lid; i < TM * TN; i += NT)
    {
      int m = m0 + int (i / TN), n = n0 + int (i % TN);

      if (m < M && n < N)
        store_c (z, m, n, Cs[i]);
    }
}
