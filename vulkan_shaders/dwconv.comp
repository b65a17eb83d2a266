/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Depthwise convolution (groups = C_in = C_out): one invocation per output value, the k×k
 * window unrolled by the compiler (K is a specialization constant), bias + activation fused. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_DW_TOTAL) const uint TOTAL = 1;   /* N·C·OH·OW */
layout (constant_id = ND_DW_C) const int C = 1;
layout (constant_id = ND_DW_H) const int H = 1;
layout (constant_id = ND_DW_W) const int W = 1;
layout (constant_id = ND_DW_OH) const int OH = 1;
layout (constant_id = ND_DW_OW) const int OW = 1;
layout (constant_id = ND_DW_K) const int K = 1;
layout (constant_id = ND_DW_S) const int S = 1;
layout (constant_id = ND_DW_P) const int P = 0;
layout (constant_id = ND_DW_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_DW_ACT) const int ACT = 0;
layout (constant_id = ND_DW_ACT_ALPHA) const float ACT_ALPHA = 0.0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_WEIGHT) readonly buffer Weight { ND_T w[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

void
main ()
{
  uint i = nd_index ();
  int ox, oy, c, iy0, ix0;
  uint nc, base, wbase;
  float acc = 0.0;

  if (i >= TOTAL)
    return;
  ox = int (i % uint (OW));
  oy = int ((i / uint (OW)) % uint (OH));
  nc = i / uint (OW * OH);
  c = int (nc % uint (C));
  base = nc * uint (H * W);
  wbase = uint (c * K * K);
  iy0 = oy * S - P;
  ix0 = ox * S - P;
  for (int ky = 0; ky < K; ky++)
    {
      int iy = iy0 + ky;

      if (iy < 0 || iy >= H)
        continue;
      for (int kx = 0; kx < K; kx++)
        {
          int ix = ix0 + kx;

          if (ix >= 0 && ix < W)
            acc = fma (LD (x[base + uint (iy * W + ix)]), LD (w[wbase + uint (ky * K + kx)]), acc);
        }
    }
  if (HAS_BIAS != 0)
    acc += LD (bias[c]);
  y[i] = ST (nd_act (nd_epilogue (acc, i, nc), ACT, ACT_ALPHA));
}
