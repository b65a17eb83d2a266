/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-shader-abi.h"

/* The device's float32 FMA rate, for the lab's roofline (runtime/backends/vulkan/nd-vk-peak.c).
 * Every invocation runs ND_FMA_CHAINS independent vec4 chains a = fma (a, M, C) on registers
 * (independent, so the FMA latency is hidden within one invocation too), ITERS · ND_FMA_UNROLL
 * steps each, and writes their sum so that nothing is optimised away. M < 1 keeps every
 * chain between its start and C / (1 − M) = 1: no overflow, no denormals. The host replays two
 * invocations in C with the same formulas to check the dispatch ran them all. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_FMA_ITERS) const uint ITERS = 1;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { float y[]; };

#define M vec4 (0.999, 0.9991, 0.9992, 0.9993)
#define C vec4 (0.001, 0.0009, 0.0008, 0.0007)
#define STEP \
  a0 = fma (a0, M, C); a1 = fma (a1, M, C); a2 = fma (a2, M, C); a3 = fma (a3, M, C); \
  a4 = fma (a4, M, C); a5 = fma (a5, M, C); a6 = fma (a6, M, C); a7 = fma (a7, M, C);

void
main ()
{
  uint i = gl_GlobalInvocationID.x
           + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  float s = float (i & 1023u) * (1.0 / 1024.0);
  vec4 a0 = vec4 (s) + vec4 (0.0, 0.1, 0.2, 0.3);
  vec4 a1 = a0 + 1.0, a2 = a0 + 2.0, a3 = a0 + 3.0;
  vec4 a4 = a0 + 4.0, a5 = a0 + 5.0, a6 = a0 + 6.0, a7 = a0 + 7.0;
  vec4 t;

  /* ND_FMA_UNROLL = 4 steps a trip, ND_FMA_CHAINS = 8 chains a step */
  for (uint it = 0u; it < ITERS; it++)
    {
      STEP STEP STEP STEP
    }
  t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  y[i] = (t.x + t.y) + (t.z + t.w);
}
