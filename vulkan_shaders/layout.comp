/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"

/* Channel layout ops (copies): CONCAT_INTERLEAVE z[2c] = a[c], z[2c+1] = b[c],
 * CHANNEL_SHUFFLE out[j·g + i] = in[i·(C/g) + j], CONCAT (torch.cat of up to 4 inputs of
 * C0, C1, C2 and the rest channels) and SLICE (channels OFFSET.. of an input of CIN). With
 * AFFINE, each output channel is scaled and shifted on the way: the BNs the plan folded in
 * (ParNet's fusion: BN on each input of the interleaving concat, nd-vk-se.c). */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_LAYOUT_TOTAL) const uint TOTAL = 1;   /* output elements */
layout (constant_id = ND_LAYOUT_C) const uint C = 1;       /* output channels */
layout (constant_id = ND_LAYOUT_HW) const uint HW = 1;
layout (constant_id = ND_LAYOUT_G) const uint G = 1;
layout (constant_id = ND_LAYOUT_MODE) const int MODE = 0;

layout (constant_id = ND_LAYOUT_C0) const uint C0 = 1;
layout (constant_id = ND_LAYOUT_C1) const uint C1 = 1;
layout (constant_id = ND_LAYOUT_C2) const uint C2 = 1;
layout (constant_id = ND_LAYOUT_OFFSET) const uint OFFSET = 0;
layout (constant_id = ND_LAYOUT_CIN) const uint CIN = 1;
layout (constant_id = ND_LAYOUT_AFFINE) const int AFFINE = 0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T a[]; };
layout (std430, binding = ND_BIND_IN1) readonly buffer In1 { ND_T b[]; };
layout (std430, binding = ND_BIND_IN2) readonly buffer In2 { ND_T d[]; };
layout (std430, binding = ND_BIND_IN3) readonly buffer In3 { ND_T e[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Scale { ND_T scale[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Shift { ND_T shift[]; };

float
affine (float v, uint c)
{
  return AFFINE != 0 ? fma (v, LD (scale[c]), LD (shift[c])) : v;
}

void
main ()
{
  uint i = nd_index ();
  uint hw, c, n;

  if (i >= TOTAL)
    return;
  hw = i % HW;
  c = (i / HW) % C;
  n = i / (HW * C);
  if (MODE == ND_LAYOUT_CONCAT_INTERLEAVE)
    {
      uint src = (n * (C / 2u) + c / 2u) * HW + hw;

      y[i] = ST (affine ((c & 1u) == 0u ? LD (a[src]) : LD (b[src]), c));
    }
  else if (MODE == ND_LAYOUT_SHUFFLE)
    {
      uint src = (n * C + (c % G) * (C / G) + c / G) * HW + hw;

      y[i] = ST (LD (a[src]));
    }
  else if (MODE == ND_LAYOUT_CONCAT)
    {
      if (c < C0)
        y[i] = ST (LD (a[(n * C0 + c) * HW + hw]));
      else if (c < C0 + C1)
        y[i] = ST (LD (b[(n * C1 + c - C0) * HW + hw]));
      else if (c < C0 + C1 + C2)
        y[i] = ST (LD (d[(n * C2 + c - C0 - C1) * HW + hw]));
      else
        {
          uint c3 = C - C0 - C1 - C2;

          y[i] = ST (LD (e[(n * c3 + c - C0 - C1 - C2) * HW + hw]));
        }
    }
  else
    y[i] = ST (LD (a[(n * CIN + OFFSET + c) * HW + hw]));
}
