/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#version 450
#extension GL_EXT_control_flow_attributes : require
#include "nd-common.glsl"
#include "nd-epilogue.glsl"

/* Winograd F(m×m, 3×3), m = 2 or 4, for 3×3 stride-1 pad-1 convolutions, around a batched
 * GEMM (gemm.comp with (m+2)² "groups"): MODE 0 transforms the input, V[e][ci][t] =
 * (Bᵀ d B)[e] for each (m+2)×(m+2) patch d of tile t; MODE 1 transforms the GEMM result
 * back, Y = Aᵀ M A, adds the bias and applies the fused epilogue and activation. Tiles
 * t = (image, ty, tx) cover the output in m×m blocks. The weights U = G g Gᵀ are transformed
 * on the host. F(4,3) does 36 products per 16 outputs against F(2,3)'s 16 per 4 (2.25 vs 4
 * multiplies an output) and its V holds 2.25 values per input value against 4. */

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
/* The output tile m: a build variant, not a specialization constant, so that neither
 * pipeline carries the other's transforms (winograd-f43.spv is built with ND_WINO_F43). */
#ifdef ND_WINO_F43
const int M = 4;
#else
const int M = 2;
#endif

layout (std430, binding = ND_BIND_OUT) writeonly buffer Out { ND_T y[]; };
layout (std430, binding = ND_BIND_IN0) readonly buffer In0 { ND_T x[]; };
layout (std430, binding = ND_BIND_BIAS) readonly buffer Bias { ND_T bias[]; };

/* The output of tile (ty, tx) at (r, q) of its block: bias, epilogue, activation. */
void
store_out (uint n, uint c, int ty, int tx, int r, int q, float v)
{
  int oy = M * ty + r, ox = M * tx + q;
  uint nc = n * uint (C) + c;
  uint idx = nc * uint (H * W) + uint (oy * W + ox);

  if (oy >= H || ox >= W)
    return;
  if (HAS_BIAS != 0)
    v += LD (bias[c]);
  y[idx] = ST (nd_act (nd_epilogue (v, idx, nc), ACT, ACT_ALPHA));
}

/* Bᵀ of F(2,3): [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1] */
vec4
b2 (vec4 d)
{
  return vec4 (d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]);
}

/* Bᵀ of F(4,3) on a column of 6 (two vec3s): rows [4 0 −5 0 1 0], [0 −4 −4 1 1 0],
 * [0 4 −4 −1 1 0], [0 −2 −1 2 1 0], [0 2 −1 −2 1 0], [0 4 0 −5 0 1] */
void
b4 (float d[6], out float u[6])
{
  u[0] = 4.0 * d[0] - 5.0 * d[2] + d[4];
  u[1] = -4.0 * (d[1] + d[2]) + d[3] + d[4];
  u[2] = 4.0 * (d[1] - d[2]) - d[3] + d[4];
  u[3] = 2.0 * (d[3] - d[1]) - d[2] + d[4];
  u[4] = 2.0 * (d[1] - d[3]) - d[2] + d[4];
  u[5] = 4.0 * d[1] - 5.0 * d[3] + d[5];
}

/* Aᵀ of F(4,3): [1 1 1 1 1 0], [0 1 −1 2 −2 0], [0 1 1 4 4 0], [0 1 −1 8 −8 1] */
void
a4 (float m[6], out float o[4])
{
  float p12 = m[1] + m[2], m12 = m[1] - m[2], p34 = m[3] + m[4], m34 = m[3] - m[4];

  o[0] = m[0] + p12 + p34;
  o[1] = m12 + 2.0 * m34;
  o[2] = p12 + 4.0 * p34;
  o[3] = m12 + 8.0 * m34 + m[5];
}

void
main ()
{
  const int A = M + 2;            /* the transformed tile's side */
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
      float d[6][6], u[6][6];
      uint base = (n * uint (C) + c) * uint (H * W);

      [[unroll]] for (int r = 0; r < 6; r++)
        [[unroll]] for (int q = 0; q < 6; q++)
          {
            int iy = M * ty - 1 + r, ix = M * tx - 1 + q;

            d[r][q] = r < A && q < A && iy >= 0 && iy < H && ix >= 0 && ix < W
                      ? LD (x[base + uint (iy * W + ix)]) : 0.0;
          }
      if (M == 4)
        {
          float col[6], v[6];

          /* Bᵀ d down the columns, then along the rows */
          [[unroll]] for (int q = 0; q < 6; q++)
            {
              [[unroll]] for (int r = 0; r < 6; r++)
                col[r] = d[r][q];
              b4 (col, v);
              [[unroll]] for (int r = 0; r < 6; r++)
                u[r][q] = v[r];
            }
          [[unroll]] for (int r = 0; r < 6; r++)
            {
              b4 (u[r], v);
              [[unroll]] for (int q = 0; q < 6; q++)
                y[(uint (r * 6 + q) * uint (C) + c) * tiles + t] = ST (v[q]);
            }
        }
      else
        {
          vec4 rows[4];

          [[unroll]] for (int q = 0; q < 4; q++)
            {
              vec4 v = b2 (vec4 (d[0][q], d[1][q], d[2][q], d[3][q]));

              [[unroll]] for (int r = 0; r < 4; r++)
                rows[r][q] = v[r];
            }
          [[unroll]] for (int r = 0; r < 4; r++)
            {
              vec4 v = b2 (rows[r]);

              [[unroll]] for (int q = 0; q < 4; q++)
                y[(uint (r * 4 + q) * uint (C) + c) * tiles + t] = ST (v[q]);
            }
        }
    }
  else if (M == 4)
    {
      float m[6][6], s[4][6], col[6], o[4];

      [[unroll]] for (int r = 0; r < 6; r++)
        [[unroll]] for (int q = 0; q < 6; q++)
          m[r][q] = LD (x[(uint (r * 6 + q) * uint (C) + c) * tiles + t]);
      [[unroll]] for (int q = 0; q < 6; q++)
        {
          [[unroll]] for (int r = 0; r < 6; r++)
            col[r] = m[r][q];
          a4 (col, o);
          [[unroll]] for (int r = 0; r < 4; r++)
            s[r][q] = o[r];
        }
      [[unroll]] for (int r = 0; r < 4; r++)
        {
          a4 (s[r], o);
          [[unroll]] for (int q = 0; q < 4; q++)
            store_out (n, c, ty, tx, r, q, o[q]);
        }
    }
  else
    {
      float m[4][4], s[2][4];

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
          store_out (n, c, ty, tx, r, 0, s[r][0] + s[r][1] + s[r][2]);
          store_out (n, c, ty, tx, r, 1, s[r][1] - s[r][2] - s[r][3]);
        }
    }
}
