/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"

/* Channel layout ops (pure copies): CONCAT_INTERLEAVE z[2c] = a[c], z[2c+1] = b[c], and
 * CHANNEL_SHUFFLE out[j·g + i] = in[i·(C/g) + j]. */

#define MODE_CONCAT_INTERLEAVE 0
#define MODE_SHUFFLE           1

layout (local_size_x_id = 0) in;
layout (constant_id = 1) const uint TOTAL = 1;   /* output elements */
layout (constant_id = 2) const uint C = 1;       /* output channels */
layout (constant_id = 3) const uint HW = 1;
layout (constant_id = 4) const uint G = 1;
layout (constant_id = 5) const int MODE = 0;

layout (std430, binding = 0) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = 1) readonly buffer In0 { ND_T a[]; };
layout (std430, binding = 2) readonly buffer In1 { ND_T b[]; };

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
  if (MODE == MODE_CONCAT_INTERLEAVE)
    {
      uint src = (n * (C / 2u) + c / 2u) * HW + hw;

      y[i] = ST ((c & 1u) == 0u ? LD (a[src]) : LD (b[src]));
    }
  else
    {
      uint src = (n * C + (c % G) * (C / G) + c / G) * HW + hw;

      y[i] = ST (LD (a[src]));
    }
}
