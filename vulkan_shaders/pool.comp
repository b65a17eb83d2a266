/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"

/* Average / max pooling (fixed window, floor mode; avg counts pad cells as PyTorch's
 * count_include_pad=True, max ignores them) and the adaptive forms (PyTorch's start/end). */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_POOL_TOTAL) const uint TOTAL = 1;   /* N·C·OH·OW */
layout (constant_id = ND_POOL_H) const int H = 1;
layout (constant_id = ND_POOL_W) const int W = 1;
layout (constant_id = ND_POOL_OH) const int OH = 1;
layout (constant_id = ND_POOL_OW) const int OW = 1;
layout (constant_id = ND_POOL_K) const int K = 1;
layout (constant_id = ND_POOL_S) const int S = 1;
layout (constant_id = ND_POOL_P) const int P = 0;
layout (constant_id = ND_POOL_MODE) const int MODE = 0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };

shared float partial[gl_WorkGroupSize.x];

/* Global pooling (SE/SSE gates, classifier heads): a thread per output would walk a whole
 * 112×112 plane alone; here the workgroup strides over it and reduces in shared memory. */
void
global_pool ()
{
  const uint WG = gl_WorkGroupSize.x;
  uint plane = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  uint tid = gl_LocalInvocationID.x;
  uint base = plane * uint (H * W);
  bool is_max = MODE == ND_POOL_GLOBAL_MAX;
  float acc = is_max ? uintBitsToFloat (0xff800000u) : 0.0;

  if (plane >= TOTAL)
    return;   /* uniform across the workgroup */
  for (uint e = tid; e < uint (H * W); e += WG)
    acc = is_max ? max (acc, LD (x[base + e])) : acc + LD (x[base + e]);
  partial[tid] = acc;
  barrier ();
  for (uint s = WG / 2u; s > 0u; s >>= 1)
    {
      if (tid < s)
        partial[tid] = is_max ? max (partial[tid], partial[tid + s]) : partial[tid] + partial[tid + s];
      barrier ();
    }
  if (tid == 0u)
    y[plane] = ST (is_max ? partial[0] : partial[0] / float (H * W));
}

void
main ()
{
  uint i = nd_index ();
  int ox, oy, y0, y1, x0, x1;
  uint base;
  bool is_max = MODE == ND_POOL_MAX || MODE == ND_POOL_ADAPTIVE_MAX;
  float acc;

  if (MODE >= ND_POOL_GLOBAL_AVG)
    {
      global_pool ();
      return;
    }
  if (i >= TOTAL)
    return;
  ox = int (i % uint (OW));
  oy = int ((i / uint (OW)) % uint (OH));
  base = (i / uint (OW * OH)) * uint (H * W);
  if (MODE == ND_POOL_AVG || MODE == ND_POOL_MAX)
    {
      y0 = oy * S - P;
      x0 = ox * S - P;
      y1 = y0 + K;
      x1 = x0 + K;
    }
  else
    {
      y0 = (oy * H) / OH;
      y1 = ((oy + 1) * H + OH - 1) / OH;
      x0 = (ox * W) / OW;
      x1 = ((ox + 1) * W + OW - 1) / OW;
    }
  acc = is_max ? uintBitsToFloat (0xff800000u) : 0.0;
  for (int iy = max (y0, 0); iy < min (y1, H); iy++)
    for (int ix = max (x0, 0); ix < min (x1, W); ix++)
      {
        float v = LD (x[base + uint (iy * W + ix)]);

        acc = is_max ? max (acc, v) : acc + v;
      }
  if (MODE == ND_POOL_AVG)
    acc /= float (K * K);
  else if (MODE == ND_POOL_ADAPTIVE_AVG)
    acc /= float ((y1 - y0) * (x1 - x0));
  y[i] = ST (acc);
}
