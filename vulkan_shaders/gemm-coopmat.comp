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

/* GEMM on VK_KHR_cooperative_matrix: float16 operands, float32 accumulation (issue 18).
 * For 1×1 stride-1 convolutions without groups: A = the weights [M, K], B = the input map
 * [K, N = H·W] of image z, C → y[z·C_BATCH + m·N + n] with bias and activation.
 * A workgroup computes a 32×32 tile of C as 2×2 subgroup tiles of 16×16 (the shape every
 * driver that lists float16 16×16×16 offers); operands are staged through shared memory as
 * float16, so either storage precision works. Not yet dispatched by any plan: it is built and
 * validated (needs glslang ≥ 13 and --target-env=vulkan1.3), see vulkan_shaders/meson.build. */

layout (local_size_x = 128) in;
layout (constant_id = ND_GEMM_M) const int M = 1;
layout (constant_id = ND_GEMM_N) const int N = 1;
layout (constant_id = ND_GEMM_K) const int K = 1;
layout (constant_id = ND_GEMM_B_BATCH) const uint B_BATCH = 0;
layout (constant_id = ND_GEMM_C_BATCH) const uint C_BATCH = 0;
layout (constant_id = ND_TILE_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_TILE_ACT) const int ACT = 0;
layout (constant_id = ND_TILE_ACT_ALPHA) const float ACT_ALPHA = 0.0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Weight { ND_T w[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

const uint TM = 32;
const uint TN = 32;
const uint TK = 16;
const uint NT = 128;

shared float16_t As[TM * TK];
shared float16_t Bs[TK * TN];
shared float Cs[TM * TN];

/* One subgroup tile t (0..3: row t / 2, column t % 2) of the staged K slice. */
ACC
mul_tile (uint t, ACC acc)
{
  MAT_A a;
  MAT_B b;

  LOAD (a, As, (t / 2) * 16 * TK, TK);
  LOAD (b, Bs, (t % 2) * 16, TN);
  return MUL_ADD (a, b, acc);
}

void
main ()
{
  uint z = gl_WorkGroupID.z;
  uint m0 = gl_WorkGroupID.y * TM, n0 = gl_WorkGroupID.x * TN;
  uint lid = gl_LocalInvocationIndex;
  /* 4 tiles over the subgroups: one each with 4 subgroups, two each with 2 */
  uint t0 = gl_SubgroupID, t1 = gl_SubgroupID + gl_NumSubgroups;
  ACC acc0 = ACC (0.0), acc1 = ACC (0.0);

  for (uint k0 = 0; k0 < uint (K); k0 += TK)
    {
      for (uint i = lid; i < TM * TK; i += NT)
        {
          uint m = m0 + i / TK, k = k0 + i % TK;

          As[i] = float16_t (m < uint (M) && k < uint (K) ? LD (w[m * uint (K) + k]) : 0.0);
        }
      for (uint i = lid; i < TK * TN; i += NT)
        {
          uint k = k0 + i / TN, n = n0 + i % TN;

          Bs[i] = float16_t (k < uint (K) && n < uint (N)
                             ? LD (x[z * B_BATCH + k * uint (N) + n]) : 0.0);
        }
      barrier ();
      if (t0 < 4)
        acc0 = mul_tile (t0, acc0);
      if (t1 < 4)
        acc1 = mul_tile (t1, acc1);
      barrier ();
    }
  if (t0 < 4)
    STORE (acc0, Cs, (t0 / 2) * 16 * TN + (t0 % 2) * 16, TN);
  if (t1 < 4)
    STORE (acc1, Cs, (t1 / 2) * 16 * TN + (t1 % 2) * 16, TN);
  barrier ();
  for (uint i = lid; i < TM * TN; i += NT)
    {
      uint m = m0 + i / TN, n = n0 + i % TN;
      float v;

      if (m >= uint (M) || n >= uint (N))
        continue;
      v = Cs[i] + (HAS_BIAS != 0 ? LD (bias[m]) : 0.0);
      y[z * C_BATCH + m * uint (N) + n] = ST (nd_act (v, ACT, ACT_ALPHA));
    }
}
