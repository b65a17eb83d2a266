/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#extension GL_EXT_control_flow_attributes : require
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Winograd F(2×2, 3×3) for 3×3 stride-1 pad-1 convolutions, around a batched GEMM
 * (gemm.comp with 16 "groups"): MODE 0 transforms the input, V[e][ci][t] = (Bᵀ d B)[e] for
 * each 4×4 patch d of tile t; MODE 1 transforms the GEMM result back, Y = Aᵀ m A, adds the
 * bias and applies the fused epilogue and activation. Tiles t = (image, ty, tx) cover the
 * output in 2×2 blocks. The weights U = G g Gᵀ are transformed on the host. */

layout (local_size_x_id = ND_SPEC_WG) in;
layout (constant_id = ND_WINO_TOTAL) const uint TOTAL = 1;   /* channels · tiles */
layout (constant_id = ND_WINO_C) const int C = 1;        /* MODE 0: C_in; MODE 1: C_out */
layout (constant_id = ND_WINO_H) const int H = 1;        /* input = output size */
layout (constant_id = ND_WINO_W) const int W = 1;
layout (constant_id = ND_WINO_TH) const int TH = 1;
layout (constant_id = ND_WINO_TW) const int TW = 1;
layout (constant_id = ND_WINO_MODE) const int MODE = 0;
layout (constant_id = ND_WINO_HAS_BIAS) const int HAS_BIAS = 0;
layout (constant_id = ND_WINO_ACT) const int ACT = 0;
layout (constant_id = ND_WINO_ACT_ALPHA) const float ACT_ALPHA = 0.0;

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

void
main ()
{
  uint i = nd_index ();
  uint tiles = TOTAL / uint (C);
  uint t, c, n;
  int ty, tx;

  if (i >= TOTAL)
    return;
  t = i % tiles;
  c = i / tiles;
  tx = int (t % uint (TW));
  ty = int ((t / uint (TW)) % uint (TH));
  n = t / uint (TW * TH);
  if (MODE == 0)
    {
      float d[4][4], u[4][4];
      uint base = (n * uint (C) + c) * uint (H * W);

      [[unroll]] for (int r = 0; r < 4; r++)
        [[unroll]] for (int q = 0; q < 4; q++)
          {
            int iy = 2 * ty - 1 + r, ix = 2 * tx - 1 + q;

            d[r][q] = iy >= 0 && iy < H && ix >= 0 && ix < W ? LD (x[base + uint (iy * W + ix)])
                                                              : 0.0;
          }
      /* Bᵀ d, then (Bᵀ d) B; Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. */
      [[unroll]] for (int q = 0; q < 4; q++)
        {
          u[0][q] = d[0][q] - d[2][q];
          u[1][q] = d[1][q] + d[2][q];
          u[2][q] = d[2][q] - d[1][q];
          u[3][q] = d[1][q] - d[3][q];
        }
      [[unroll]] for (int r = 0; r < 4; r++)
        {
          float v0 = u[r][0] - u[r][2], v1 = u[r][1] + u[r][2];
          float v2 = u[r][2] - u[r][1], v3 = u[r][1] - u[r][3];
          uint e = uint (r * 4);

          y[((e + 0u) * uint (C) + c) * tiles + t] = ST (v0);
          y[((e + 1u) * uint (C) + c) * tiles + t] = ST (v1);
          y[((e + 2u) * uint (C) + c) * tiles + t] = ST (v2);
          y[((e + 3u) * uint (C) + c) * tiles + t] = ST (v3);
        }
    }
  else
    {
      float m[4][4], s[2][4];
      uint nc = n * uint (C) + c;

      [[unroll]] for (int r = 0; r < 4; r++)
        [[unroll]] for (int q = 0; q < 4; q++)
          m[r][q] = LD (x[(uint (r * 4 + q) * uint (C) + c) * tiles + t]);
      /* Aᵀ m A; Aᵀ = [1 1 1 0; 0 1 −1 −1]. */
      [[unroll]] for (int q = 0; q < 4; q++)
        {
          s[0][q] = m[0][q] + m[1][q] + m[2][q];
          s[1][q] = m[1][q] - m[2][q] - m[3][q];
        }
      [[unroll]] for (int r = 0; r < 2; r++)
        {
          float o[2];

          o[0] = s[r][0] + s[r][1] + s[r][2];
          o[1] = s[r][1] - s[r][2] - s[r][3];
          [[unroll]] for (int q = 0; q < 2; q++)
            {
              int oy = 2 * ty + r, ox = 2 * tx + q;
              uint idx = nc * uint (H * W) + uint (oy * W + ox);
              float v = o[q];

              if (oy >= H || ox >= W)
                continue;
              if (HAS_BIAS != 0)
                v += LD (bias[c]);
              y[idx] = ST (nd_act (nd_epilogue (v, idx, nc), ACT, ACT_ALPHA));
            }
        }
    }
}
