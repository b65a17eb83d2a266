/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* The second pass of a split-K convolution: y = Σ_slices partial + bias, then the fused
 * epilogue and activation, exactly what store_c would have done in one pass. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_SPLITK_TOTAL) const uint TOTAL = 1;   /* images · channels · pixels */
layout (constant_id = ND_SPLITK_SLICES) const int SLICES = 1;
layout (constant_id = ND_SPLITK_C) const uint C = 1;       /* channels per image */
layout (constant_id = ND_SPLITK_HW) const uint HW = 1;
layout (constant_id = ND_SPLITK_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_SPLITK_ACT) const int ACT = 0;
layout (constant_id = ND_SPLITK_ACT_ALPHA) const float ACT_ALPHA = 0.0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T part[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

void
main ()
{
  uint i = nd_index ();
  float v = 0.0;

  if (i >= TOTAL)
    return;
  for (int s = 0; s < SLICES; s++)
    v += LD (part[uint (s) * TOTAL + i]);
  if (HAS_BIAS != 0)
    v += LD (bias[(i / HW) % C]);
  y[i] = ST (nd_act (nd_epilogue (v, i, i / HW), ACT, ACT_ALPHA));
}
