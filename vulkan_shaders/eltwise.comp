/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Elementwise ops with a fused activation epilogue: batch norm (host-folded scale/shift,
 * which may also take the residual/gate epilogue), relu, silu, sigmoid, leaky relu, add of
 * 2..4 inputs, gate in0 × alpha·σ(in1[n, c]) or × alpha·relu6(in1[n, c] + 3)/6 (hard). Inputs 1..3 share bindings 2..4 with the
 * epilogue's summands (r1..r3), which only BN uses. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_ELT_TOTAL) const uint TOTAL = 1;   /* N·C·H·W */
layout (constant_id = ND_ELT_C) const uint C = 1;
layout (constant_id = ND_ELT_HW) const uint HW = 1;
layout (constant_id = ND_ELT_OP) const int OP = 0;
layout (constant_id = ND_ELT_N_IN) const int N_IN = 1;
layout (constant_id = ND_ELT_OP_ALPHA) const float OP_ALPHA = 1.0;
layout (constant_id = ND_ELT_ACT) const int ACT = 0;
layout (constant_id = ND_ELT_ACT_ALPHA) const float ACT_ALPHA = 0.0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x0[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Scale { ND_T scale[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Shift { ND_T shift[]; };

void
main ()
{
  uint i = nd_index ();
  float v;

  if (i >= TOTAL)
    return;
  if (OP == ND_ELT_BN)
    {
      uint c = (i / HW) % C;

      v = nd_epilogue (fma (LD (x0[i]), LD (scale[c]), LD (shift[c])), i, i / HW);
    }
  else if (OP == ND_ELT_ADD)
    {
      v = LD (x0[i]) + LD (r1[i]);
      if (N_IN > 2)
        v += LD (r2[i]);
      if (N_IN > 3)
        v += LD (r3[i]);
    }
  else if (OP == ND_ELT_GATE)
    v = LD (x0[i]) * (OP_ALPHA * nd_sigmoid (LD (r1[i / HW])));
  else if (OP == ND_ELT_HGATE)
    v = LD (x0[i]) * (OP_ALPHA * (clamp (LD (r1[i / HW]) + 3.0, 0.0, 6.0) / 6.0));
  else
    v = LD (x0[i]);
  y[i] = ST (nd_act (v, ACT, ACT_ALPHA));
}
