/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"

/* Softmax over channels, one invocation per (image, pixel), max-subtracted. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_SOFTMAX_TOTAL) const uint TOTAL = 1;   /* N·H·W */
layout (constant_id = ND_SOFTMAX_C) const uint C = 1;
layout (constant_id = ND_SOFTMAX_HW) const uint HW = 1;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };

void
main ()
{
  uint i = nd_index ();
  uint base;
  float m, sum = 0.0;

  if (i >= TOTAL)
    return;
  base = (i / HW) * C * HW + i % HW;
  m = LD (x[base]);
  for (uint c = 1u; c < C; c++)
    m = max (m, LD (x[base + c * HW]));
  for (uint c = 0u; c < C; c++)
    sum += exp (LD (x[base + c * HW]) - m);
  for (uint c = 0u; c < C; c++)
    y[base + c * HW] = ST (exp (LD (x[base + c * HW]) - m) / sum);
}
