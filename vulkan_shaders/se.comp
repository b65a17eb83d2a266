/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"

/* A squeeze-excitation gate's squeeze: global average pool → 1×1 convolution (grouped, with
 * bias, an optional activation), z[n, o] = b[o] + Σ_i W[o, i]·mean(x[n, g(o)·CG + i]).
 *
 * MODE FUSED, one dispatch for both: the workgroups pool the input planes (a team of
 * POOL_TEAM invocations each) and write the means to scratch; the last workgroup to finish (an atomic count in the flags buffer, cleared
 * before every run) then does the whole product from the means. Workgroups never wait on
 * each other, so it needs no forward-progress guarantee; the means are summed in a fixed
 * order, so the result does not depend on which workgroup is last. The plan takes it for
 * small products only (one workgroup does all of them).
 * MODE GEMV: x is the pool's output; a workgroup per output strides over its inputs.
 *
 * OUT_PAIRS 1 (ParNet's SSE branch BN(x)·α·σ(z), the BN folded into W and b by the plan):
 * writes g = α·σ(z) as the pair (g·s[o], g·t[o]), s and t the identity BN's scale and shift
 * (bias[COUT + o], bias[2·COUT + o]), so the consumer's epilogue adds x·A + B (GATE_FIRST 3)
 * without the BN's own pass over the map; z itself follows the pairs (the views capture the
 * gates). */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_SE_N) const uint N = 1;
layout (constant_id = ND_SE_CIN) const uint CIN = 1;     /* all groups */
layout (constant_id = ND_SE_HW) const uint HW = 1;
layout (constant_id = ND_SE_COUT) const uint COUT = 1;
layout (constant_id = ND_SE_G) const uint G = 1;
layout (constant_id = ND_SE_MODE) const int MODE = 0;
layout (constant_id = ND_SE_OUT_PAIRS) const int OUT_PAIRS = 0;
layout (constant_id = ND_SE_COUNTER) const uint COUNTER = 1;
layout (constant_id = ND_SE_ALPHA) const float ALPHA = 1.0;
layout (constant_id = ND_SE_ACT) const int ACT = 0;
layout (constant_id = ND_SE_ACT_ALPHA) const float ACT_ALPHA = 0.0;
layout (constant_id = ND_SE_TEAM) const uint TEAM = 1;
layout (constant_id = ND_SE_POOL_TEAM) const uint POOL_TEAM = 1;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_IN1) coherent buffer Means { float means[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Weight { ND_T w[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };
#ifndef ND_F16
layout (std430, binding = ND_BIND_FLAGS) buffer Flags { uint nd_flags[]; };
#endif

const uint CG = CIN / G;     /* inputs per output */
const uint OG = COUT / G;    /* outputs per group */

shared float partial[gl_WorkGroupSize.x];
shared bool is_last;

/* Tree sums over teams of @team invocations (a power of two; the same for the whole
 * workgroup, so every invocation reaches every barrier): each team's total lands in
 * partial[its first invocation]. */
float
team_sum (float v, uint team)
{
  uint tid = gl_LocalInvocationID.x;

  partial[tid] = v;
  barrier ();
  for (uint s = team / 2u; s > 0u; s >>= 1)
    {
      if (tid % team < s)
        partial[tid] += partial[tid + s];
      barrier ();
    }
  return partial[tid - tid % team];
}

void
emit (uint o, float z)
{
  uint c = o % COUT;

  z += LD (bias[c]);
  if (OUT_PAIRS == 0)
    {
      y[o] = ST (nd_act (z, ACT, ACT_ALPHA));
      return;
    }
  y[2u * N * COUT + o] = ST (z);   /* z itself after the pairs, for a capture */
  z = ALPHA * nd_sigmoid (z);
  y[2u * o] = ST (z * LD (bias[COUT + c]));
  y[2u * o + 1u] = ST (z * LD (bias[2u * COUT + c]));
}

void
fused ()
{
  uint tid = gl_LocalInvocationID.x;
  uint group = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  /* POOL_TEAM invocations a plane: small maps (a 7×7, a head's 1×1) share a workgroup */
  uint plane = group * (gl_WorkGroupSize.x / POOL_TEAM) + tid / POOL_TEAM;
  float acc = 0.0;

  if (plane < N * CIN)
    for (uint e = tid % POOL_TEAM; e < HW; e += POOL_TEAM)
      acc += LD (x[plane * HW + e]);
  acc = team_sum (acc, POOL_TEAM);
  if (tid % POOL_TEAM == 0u && plane < N * CIN)
    {
      means[plane] = acc / float (HW);
      memoryBarrierBuffer ();   /* visible before the count says this plane is done */
    }
  barrier ();
  if (tid == 0u)
    is_last = atomicAdd (nd_flags[COUNTER], 1u) == gl_NumWorkGroups.x * gl_NumWorkGroups.y - 1u;
  barrier ();
  if (!is_last)
    return;   /* uniform across the workgroup */
  memoryBarrierBuffer ();
  /* Teams of TEAM invocations, one output each per round: a few outputs (a classifier head's
   * ten) still spread the sum over the workgroup. Neighbouring invocations read neighbouring
   * weights: [i][o] for small teams, [o][i] for large ones. */
  const uint TEAMS = gl_WorkGroupSize.x / TEAM;
  uint lane = tid % TEAM;

  for (uint first = 0u; first < N * COUT; first += TEAMS)
    {
      uint o = first + tid / TEAM;
      uint n = o / COUT, c = o % COUT;
      uint base = n * CIN + (c / OG) * CG;
      float z = 0.0;

      if (o < N * COUT)
        for (uint i = lane; i < CG; i += TEAM)
          z = fma (LD (w[TEAM < 8u ? i * COUT + c : c * CG + i]), means[base + i], z);
      z = team_sum (z, TEAM);
      if (lane == 0u && o < N * COUT)
        emit (o, z);
      barrier ();   /* partial is reused by the next round */
    }
}

void
gemv ()
{
  uint tid = gl_LocalInvocationID.x;
  uint o = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  uint n = o / COUT, c = o % COUT;
  uint base = n * CIN + (c / OG) * CG;
  float z = 0.0;

  if (o < N * COUT)
    for (uint i = tid; i < CG; i += gl_WorkGroupSize.x)
      z = fma (LD (w[c * CG + i]), LD (x[base + i]), z);
  z = team_sum (z, gl_WorkGroupSize.x);
  if (tid == 0u && o < N * COUT)
    emit (o, z);
}

void
main ()
{
  if (MODE == ND_SE_FUSED)
    fused ();
  else
    gemv ();
}
