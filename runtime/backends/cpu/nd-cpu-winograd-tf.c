/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "nd-cpu-winograd-tf.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Winograd's input and output transforms, F(2,3), F(4,3) and F(6,3): scalar, one tile at a
 * time, and AVX-512, 16 tiles a vector (one a lane). F(6,3)'s use the points 0, ±1, ±2, ±½
 * and the factoring of ncnn's and NNPACK's (pairs of rows as a ± b). */

/* Scalar transforms, for CPUs without AVX-512. Bᵀ x (a = m + 2 values, @xs apart) → y (@ys
 * apart); a tile's 2-D transform is this down its columns, then along its rows. */
static void
bt_1d (int m, const float *x, int xs, float *y, int ys)
{
  float d0 = x[0], d1 = x[xs], d2 = x[2 * xs], d3 = x[3 * xs];

  if (m == 6)
    {
      float d4 = x[4 * xs], d5 = x[5 * xs], d6 = x[6 * xs], d7 = x[7 * xs];
      float a12 = d2 + d6 - 4.25f * d4, b12 = d1 + d5 - 4.25f * d3;
      float a34 = d6 + 0.25f * d2 - 1.25f * d4, b34 = 0.5f * d1 - 2.5f * d3 + 2 * d5;
      float a56 = d6 + 4 * (d2 - 1.25f * d4), b56 = 2 * d1 - 2.5f * d3 + 0.5f * d5;

      y[0] = d0 - d6 + 5.25f * (d4 - d2);
      y[ys] = a12 + b12;
      y[2 * ys] = a12 - b12;
      y[3 * ys] = a34 + b34;
      y[4 * ys] = a34 - b34;
      y[5 * ys] = a56 + b56;
      y[6 * ys] = a56 - b56;
      y[7 * ys] = d7 - d1 + 5.25f * (d3 - d5);
    }
  else if (m == 4)
    {
      float d4 = x[4 * xs], d5 = x[5 * xs];

      y[0] = 4 * d0 - 5 * d2 + d4;
      y[ys] = -4 * (d1 + d2) + d3 + d4;
      y[2 * ys] = 4 * (d1 - d2) - d3 + d4;
      y[3 * ys] = 2 * (d3 - d1) - d2 + d4;
      y[4 * ys] = 2 * (d1 - d3) - d2 + d4;
      y[5 * ys] = 4 * d1 - 5 * d3 + d5;
    }
  else
    {
      y[0] = d0 - d2;
      y[ys] = d1 + d2;
      y[2 * ys] = d2 - d1;
      y[3 * ys] = d1 - d3;
    }
}

/* Aᵀ x: a values → m */
static void
at_1d (int m, const float *x, int xs, float *y, int ys)
{
  float m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs];

  if (m == 6)
    {
      float m4 = x[4 * xs], m5 = x[5 * xs], m6 = x[6 * xs], m7 = x[7 * xs];
      float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
      float s56 = m5 + m6, d56 = m5 - m6;

      y[0] = m0 + s12 + s34 + s56;
      y[ys] = d12 + 2 * d34 + 0.5f * d56;
      y[2 * ys] = s12 + 4 * s34 + 0.25f * s56;
      y[3 * ys] = d12 + 8 * d34 + 0.125f * d56;
      y[4 * ys] = s12 + 16 * s34 + 0.0625f * s56;
      y[5 * ys] = m7 + d12 + 32 * d34 + 0.03125f * d56;
    }
  else if (m == 4)
    {
      float m4 = x[4 * xs], m5 = x[5 * xs];

      y[0] = m0 + m1 + m2 + m3 + m4;
      y[ys] = m1 - m2 + 2 * (m3 - m4);
      y[2 * ys] = m1 + m2 + 4 * (m3 + m4);
      y[3 * ys] = m1 - m2 + 8 * (m3 - m4) + m5;
    }
  else
    {
      y[0] = m0 + m1 + m2;
      y[ys] = m1 - m2 - m3;
    }
}

/* d (a × a, d[r·a + c]) → v = Bᵀ d B */
static void
in_tile (int m, const float *d, float *v)
{
  float t[64];
  int a = m + 2;

  for (int c = 0; c < a; c++)
    bt_1d (m, d + c, a, t + c, a);
  for (int r = 0; r < a; r++)
    bt_1d (m, t + r * a, 1, v + r * a, 1);
}

/* M (a × a) → Y = Aᵀ M A (m × m) */
static void
out_tile (int m, const float *mm, float *y)
{
  float t[48];
  int a = m + 2;

  for (int c = 0; c < a; c++)
    at_1d (m, mm + c, a, t + c, a);
  for (int r = 0; r < m; r++)
    at_1d (m, t + r * a, 1, y + r * m, 1);
}

/* L ≤ 16 tiles side by side from the phase-split rows at @xp (@rs floats apart):
 * V[pos · ps + l] */
static void
in_scalar (int m, const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  int a = m + 2;

  for (int l = 0; l < L; l++)
    {
      float d[64], v[64];

      for (int r = 0; r < a; r++)
        for (int c = 0; c < a; c++)
          d[r * a + c] = nd_cpu_wino_col (xp + r * rs, m, PW, c)[l];
      in_tile (m, d, v);
      for (int p = 0; p < a * a; p++)
        V[p * ps + l] = v[p];
    }
}

/* L ≤ 16 tiles from M[pos · ps + l] into output rows @y (@ldy apart), plus @b: @rows rows of
 * m·L columns, the first @cols of each written */
static void
out_scalar (int m, const float *M, gint64 ps, int L, float b, float *y, gint64 ldy, int rows,
            int cols)
{
  int a = m + 2;

  for (int l = 0; l < L; l++)
    {
      float mm[64], o[36];

      for (int p = 0; p < a * a; p++)
        mm[p] = M[p * ps + l];
      out_tile (m, mm, o);
      for (int r = 0; r < rows; r++)
        for (int c = 0; c < m && l * m + c < cols; c++)
          y[r * ldy + l * m + c] = o[r * m + c] + b;
    }
}

#if HAVE_X86
#define AVX512 __attribute__((target ("avx512f")))
#define LANES ND_CPU_WINO_LANES

/* The same on 16 tiles at once, one tile a lane: first down the columns (Bᵀ d), then along
 * the rows of the result (· B). */
AVX512 static void
in_f43_x16 (const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  const __m512 k4 = _mm512_set1_ps (4), k5 = _mm512_set1_ps (5), k2 = _mm512_set1_ps (2);
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[6][6];

  for (int c = 0; c < 6; c++)
    {
      const float *p = nd_cpu_wino_col (xp, 4, PW, c);
      __m512 d0 = _mm512_loadu_ps (p), d1 = _mm512_loadu_ps (p + rs);
      __m512 d2 = _mm512_loadu_ps (p + 2 * rs), d3 = _mm512_loadu_ps (p + 3 * rs);
      __m512 d4 = _mm512_loadu_ps (p + 4 * rs), d5 = _mm512_loadu_ps (p + 5 * rs);
      __m512 s12 = _mm512_add_ps (d1, d2), m12 = _mm512_sub_ps (d1, d2);
      __m512 d42 = _mm512_sub_ps (d4, d2), m31 = _mm512_sub_ps (d3, d1);

      t[0][c] = _mm512_fmadd_ps (k4, d0, _mm512_fnmadd_ps (k5, d2, d4));
      t[1][c] = _mm512_fnmadd_ps (k4, s12, _mm512_add_ps (d3, d4));
      t[2][c] = _mm512_fmadd_ps (k4, m12, _mm512_sub_ps (d4, d3));
      t[3][c] = _mm512_fmadd_ps (k2, m31, d42);
      t[4][c] = _mm512_fnmadd_ps (k2, m31, d42);
      t[5][c] = _mm512_fmadd_ps (k4, d1, _mm512_fnmadd_ps (k5, d3, d5));
    }
  for (int r = 0; r < 6; r++)
    {
      __m512 d0 = t[r][0], d1 = t[r][1], d2 = t[r][2], d3 = t[r][3], d4 = t[r][4], d5 = t[r][5];
      __m512 s12 = _mm512_add_ps (d1, d2), m12 = _mm512_sub_ps (d1, d2);
      __m512 d42 = _mm512_sub_ps (d4, d2), m31 = _mm512_sub_ps (d3, d1);
      float *v = V + (gint64) (r * 6) * ps;

      _mm512_mask_storeu_ps (v, k, _mm512_fmadd_ps (k4, d0, _mm512_fnmadd_ps (k5, d2, d4)));
      _mm512_mask_storeu_ps (v + ps, k, _mm512_fnmadd_ps (k4, s12, _mm512_add_ps (d3, d4)));
      _mm512_mask_storeu_ps (v + 2 * ps, k, _mm512_fmadd_ps (k4, m12, _mm512_sub_ps (d4, d3)));
      _mm512_mask_storeu_ps (v + 3 * ps, k, _mm512_fmadd_ps (k2, m31, d42));
      _mm512_mask_storeu_ps (v + 4 * ps, k, _mm512_fnmadd_ps (k2, m31, d42));
      _mm512_mask_storeu_ps (v + 5 * ps, k, _mm512_fmadd_ps (k4, d1, _mm512_fnmadd_ps (k5, d3, d5)));
    }
}

/* F(6,3)'s Bᵀ on 8 vectors */
AVX512 static inline void
bt8_x16 (const __m512 *d, __m512 *y)
{
  const __m512 k425 = _mm512_set1_ps (4.25f), k525 = _mm512_set1_ps (5.25f);
  const __m512 k125 = _mm512_set1_ps (1.25f), k25 = _mm512_set1_ps (2.5f);
  const __m512 k025 = _mm512_set1_ps (0.25f), k05 = _mm512_set1_ps (0.5f);
  const __m512 k2 = _mm512_set1_ps (2), k4 = _mm512_set1_ps (4);
  __m512 a12 = _mm512_fnmadd_ps (k425, d[4], _mm512_add_ps (d[2], d[6]));
  __m512 b12 = _mm512_fnmadd_ps (k425, d[3], _mm512_add_ps (d[1], d[5]));
  __m512 a34 = _mm512_fmadd_ps (k025, d[2], _mm512_fnmadd_ps (k125, d[4], d[6]));
  __m512 b34 = _mm512_fmadd_ps (k2, d[5], _mm512_fnmadd_ps (k25, d[3], _mm512_mul_ps (k05, d[1])));
  __m512 a56 = _mm512_fmadd_ps (k4, _mm512_fnmadd_ps (k125, d[4], d[2]), d[6]);
  __m512 b56 = _mm512_fmadd_ps (k05, d[5], _mm512_fnmadd_ps (k25, d[3], _mm512_mul_ps (k2, d[1])));

  y[0] = _mm512_fmadd_ps (k525, _mm512_sub_ps (d[4], d[2]), _mm512_sub_ps (d[0], d[6]));
  y[1] = _mm512_add_ps (a12, b12);
  y[2] = _mm512_sub_ps (a12, b12);
  y[3] = _mm512_add_ps (a34, b34);
  y[4] = _mm512_sub_ps (a34, b34);
  y[5] = _mm512_add_ps (a56, b56);
  y[6] = _mm512_sub_ps (a56, b56);
  y[7] = _mm512_fmadd_ps (k525, _mm512_sub_ps (d[3], d[5]), _mm512_sub_ps (d[7], d[1]));
}

AVX512 static void
in_f63_x16 (const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[8][8];

#pragma GCC unroll 8

  for (int c = 0; c < 8; c++)
    {
      const float *p = nd_cpu_wino_col (xp, 6, PW, c);
      __m512 d[8], y[8];

#pragma GCC unroll 8

      for (int r = 0; r < 8; r++)
        d[r] = _mm512_loadu_ps (p + r * rs);
      bt8_x16 (d, y);
#pragma GCC unroll 8
      for (int r = 0; r < 8; r++)
        t[r][c] = y[r];
    }
#pragma GCC unroll 8
  for (int r = 0; r < 8; r++)
    {
      __m512 y[8];

      bt8_x16 (t[r], y);
#pragma GCC unroll 8
      for (int j = 0; j < 8; j++)
        _mm512_mask_storeu_ps (V + (gint64) (r * 8 + j) * ps, k, y[j]);
    }
}

AVX512 static void
in_f23_x16 (const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[4][4];

  for (int c = 0; c < 4; c++)
    {
      const float *p = nd_cpu_wino_col (xp, 2, PW, c);
      __m512 d0 = _mm512_loadu_ps (p), d1 = _mm512_loadu_ps (p + rs);
      __m512 d2 = _mm512_loadu_ps (p + 2 * rs), d3 = _mm512_loadu_ps (p + 3 * rs);

      t[0][c] = _mm512_sub_ps (d0, d2);
      t[1][c] = _mm512_add_ps (d1, d2);
      t[2][c] = _mm512_sub_ps (d2, d1);
      t[3][c] = _mm512_sub_ps (d1, d3);
    }
  for (int r = 0; r < 4; r++)
    {
      float *v = V + (gint64) (r * 4) * ps;

      _mm512_mask_storeu_ps (v, k, _mm512_sub_ps (t[r][0], t[r][2]));
      _mm512_mask_storeu_ps (v + ps, k, _mm512_add_ps (t[r][1], t[r][2]));
      _mm512_mask_storeu_ps (v + 2 * ps, k, _mm512_sub_ps (t[r][2], t[r][1]));
      _mm512_mask_storeu_ps (v + 3 * ps, k, _mm512_sub_ps (t[r][1], t[r][3]));
    }
}

/* Output row segment of 16 tiles from its m column vectors y[j] (lane l: tile l's column j):
 * interleaved with permutes into 16·m consecutive floats, plus the bias, the first @cols
 * stored. */
AVX512 static void
store_row (int m, __m512 *yv, __m512 b, float *dst, int cols)
{
  __m512 out[6];

  if (m == 6)
    {
      /* output vector v, lane j: column (16v + j) mod 6 of tile (16v + j) / 6; six masked
       * permutes a vector, the masks repeating every 3 vectors */
      static const int tile[3][16] = {
        { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2 },
        { 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5 },
        { 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7 },
      };
      static const __mmask16 col[6] = { 0x1041, 0x2082, 0x4104, 0x8208, 0x0410, 0x0820 };

      for (int v = 0; v < 6 && 16 * v < cols; v++)
        {
          __m512i idx = _mm512_add_epi32 (_mm512_loadu_si512 (tile[v % 3]),
                                          _mm512_set1_epi32 (8 * (v / 3)));
          __m512 o = _mm512_setzero_ps ();

#pragma GCC unroll 6
          for (int c = 0; c < 6; c++)
            o = _mm512_mask_permutexvar_ps (o, col[(c + 2 * (v % 3)) % 6], idx, yv[c]);
          out[v] = o;
        }
    }
  else if (m == 2)
    {
      const __m512i lo = _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const __m512i hi = _mm512_add_epi32 (lo, _mm512_set1_epi32 (8));

      out[0] = _mm512_permutex2var_ps (yv[0], lo, yv[1]);
      out[1] = _mm512_permutex2var_ps (yv[0], hi, yv[1]);
    }
  else
    {
      /* pairs first: p01[2s + b] = y_b[s] (tiles 0–7 low, 8–15 high), then the pairs of
       * pairs: tile u / 4's columns 0, 1 from p01, 2, 3 from p23 */
      const __m512i pl = _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const __m512i ph = _mm512_add_epi32 (pl, _mm512_set1_epi32 (8));
      const __m512i q0 = _mm512_setr_epi32 (0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
      const __m512i q1 = _mm512_add_epi32 (q0, _mm512_set1_epi32 (8));
      __m512 p01 = _mm512_permutex2var_ps (yv[0], pl, yv[1]);
      __m512 p23 = _mm512_permutex2var_ps (yv[2], pl, yv[3]);
      __m512 h01 = _mm512_permutex2var_ps (yv[0], ph, yv[1]);
      __m512 h23 = _mm512_permutex2var_ps (yv[2], ph, yv[3]);

      out[0] = _mm512_permutex2var_ps (p01, q0, p23);
      out[1] = _mm512_permutex2var_ps (p01, q1, p23);
      out[2] = _mm512_permutex2var_ps (h01, q0, h23);
      out[3] = _mm512_permutex2var_ps (h01, q1, h23);
    }
  for (int v = 0; v < m && 16 * v < cols; v++)
    {
      int n = MIN (16, cols - 16 * v);

      _mm512_mask_storeu_ps (dst + 16 * v, (__mmask16) ((1u << n) - 1),
                             _mm512_add_ps (out[v], b));
    }
}

/* F(6,3)'s Aᵀ on 8 vectors */
AVX512 static inline void
at8_x16 (const __m512 *m, __m512 *y)
{
  const __m512 k2 = _mm512_set1_ps (2), k4 = _mm512_set1_ps (4), k8 = _mm512_set1_ps (8);
  const __m512 k16 = _mm512_set1_ps (16), k32 = _mm512_set1_ps (32);
  const __m512 h2 = _mm512_set1_ps (0.5f), h4 = _mm512_set1_ps (0.25f);
  const __m512 h8 = _mm512_set1_ps (0.125f), h16 = _mm512_set1_ps (0.0625f);
  const __m512 h32 = _mm512_set1_ps (0.03125f);
  __m512 s12 = _mm512_add_ps (m[1], m[2]), d12 = _mm512_sub_ps (m[1], m[2]);
  __m512 s34 = _mm512_add_ps (m[3], m[4]), d34 = _mm512_sub_ps (m[3], m[4]);
  __m512 s56 = _mm512_add_ps (m[5], m[6]), d56 = _mm512_sub_ps (m[5], m[6]);

  y[0] = _mm512_add_ps (_mm512_add_ps (m[0], s12), _mm512_add_ps (s34, s56));
  y[1] = _mm512_fmadd_ps (h2, d56, _mm512_fmadd_ps (k2, d34, d12));
  y[2] = _mm512_fmadd_ps (h4, s56, _mm512_fmadd_ps (k4, s34, s12));
  y[3] = _mm512_fmadd_ps (h8, d56, _mm512_fmadd_ps (k8, d34, d12));
  y[4] = _mm512_fmadd_ps (h16, s56, _mm512_fmadd_ps (k16, s34, s12));
  y[5] = _mm512_add_ps (m[7], _mm512_fmadd_ps (h32, d56, _mm512_fmadd_ps (k32, d34, d12)));
}

AVX512 static void
out_f63_x16 (const float *M, gint64 ps, int L, float b, float *y, gint64 ldy, int rows, int cols)
{
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[6][8], bv = _mm512_set1_ps (b);

#pragma GCC unroll 8

  for (int c = 0; c < 8; c++)
    {
      __m512 m[8], r6[6];

#pragma GCC unroll 8

      for (int r = 0; r < 8; r++)
        m[r] = _mm512_maskz_loadu_ps (k, M + (gint64) (r * 8 + c) * ps);
      at8_x16 (m, r6);
#pragma GCC unroll 8
      for (int r = 0; r < 6; r++)
        t[r][c] = r6[r];
    }
#pragma GCC unroll 8
  for (int r = 0; r < rows; r++)
    {
      __m512 yv[6];

      at8_x16 (t[r], yv);
      store_row (6, yv, bv, y + r * ldy, cols);
    }
}

AVX512 static void
out_f43_x16 (const float *M, gint64 ps, int L, float b, float *y, gint64 ldy, int rows, int cols)
{
  const __m512 k2 = _mm512_set1_ps (2), k4 = _mm512_set1_ps (4), k8 = _mm512_set1_ps (8);
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[4][6], bv = _mm512_set1_ps (b);

  for (int c = 0; c < 6; c++)
    {
      const float *q = M + c * ps;
      __m512 m0 = _mm512_maskz_loadu_ps (k, q), m1 = _mm512_maskz_loadu_ps (k, q + 6 * ps);
      __m512 m2 = _mm512_maskz_loadu_ps (k, q + 12 * ps), m3 = _mm512_maskz_loadu_ps (k, q + 18 * ps);
      __m512 m4 = _mm512_maskz_loadu_ps (k, q + 24 * ps), m5 = _mm512_maskz_loadu_ps (k, q + 30 * ps);
      __m512 s12 = _mm512_add_ps (m1, m2), d12 = _mm512_sub_ps (m1, m2);
      __m512 s34 = _mm512_add_ps (m3, m4), d34 = _mm512_sub_ps (m3, m4);

      t[0][c] = _mm512_add_ps (_mm512_add_ps (m0, s12), s34);
      t[1][c] = _mm512_fmadd_ps (k2, d34, d12);
      t[2][c] = _mm512_fmadd_ps (k4, s34, s12);
      t[3][c] = _mm512_add_ps (_mm512_fmadd_ps (k8, d34, d12), m5);
    }
  for (int r = 0; r < rows; r++)
    {
      __m512 s12 = _mm512_add_ps (t[r][1], t[r][2]), d12 = _mm512_sub_ps (t[r][1], t[r][2]);
      __m512 s34 = _mm512_add_ps (t[r][3], t[r][4]), d34 = _mm512_sub_ps (t[r][3], t[r][4]);
      __m512 yv[4] = {
        _mm512_add_ps (_mm512_add_ps (t[r][0], s12), s34),
        _mm512_fmadd_ps (k2, d34, d12),
        _mm512_fmadd_ps (k4, s34, s12),
        _mm512_add_ps (_mm512_fmadd_ps (k8, d34, d12), t[r][5]),
      };

      store_row (4, yv, bv, y + r * ldy, cols);
    }
}

AVX512 static void
out_f23_x16 (const float *M, gint64 ps, int L, float b, float *y, gint64 ldy, int rows, int cols)
{
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[2][4], bv = _mm512_set1_ps (b);

  for (int c = 0; c < 4; c++)
    {
      const float *q = M + c * ps;
      __m512 m0 = _mm512_maskz_loadu_ps (k, q), m1 = _mm512_maskz_loadu_ps (k, q + 4 * ps);
      __m512 m2 = _mm512_maskz_loadu_ps (k, q + 8 * ps), m3 = _mm512_maskz_loadu_ps (k, q + 12 * ps);

      t[0][c] = _mm512_add_ps (_mm512_add_ps (m0, m1), m2);
      t[1][c] = _mm512_sub_ps (_mm512_sub_ps (m1, m2), m3);
    }
  for (int r = 0; r < rows; r++)
    {
      __m512 yv[2] = {
        _mm512_add_ps (_mm512_add_ps (t[r][0], t[r][1]), t[r][2]),
        _mm512_sub_ps (_mm512_sub_ps (t[r][1], t[r][2]), t[r][3]),
      };

      store_row (2, yv, bv, y + r * ldy, cols);
    }
}
/* One input row into its padded, phase-split row: input column x is padded column x + 1.
 * The plane is zeroed first, so whole vectors are stored (masked loads read zeros past the
 * row's end, where the padding is). */
AVX512 static void
pad_row_x16 (int m, const float *in, int W, float *row, int PW)
{
  if (m == 6)
    {
      /* phase q, index i: padded column 6i + q, input column 6i + q − 1 (gathered) */
      const __m512i lane6 = _mm512_setr_epi32 (0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60, 66,
                                               72, 78, 84, 90);

      for (int q = 0; q < 6; q++)
        for (int i0 = 0; 6 * i0 + q <= W; i0 += 16)
          {
            __m512i x = _mm512_add_epi32 (lane6, _mm512_set1_epi32 (6 * i0 + q - 1));
            __mmask16 in_row = _mm512_cmpge_epi32_mask (x, _mm512_setzero_si512 ())
                               & _mm512_cmplt_epi32_mask (x, _mm512_set1_epi32 (W));
            __mmask16 in_phase = (__mmask16) ((1u << MIN (16, PW - i0)) - 1);

            _mm512_mask_storeu_ps (row + (gint64) q * PW + i0, in_phase,
                                   _mm512_mask_i32gather_ps (_mm512_setzero_ps (), in_row, x,
                                                             in, 4));
          }
      return;
    }
  if (m == 2)
    {
      const __m512i ev = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const __m512i od = _mm512_add_epi32 (ev, _mm512_set1_epi32 (1));

      for (int x0 = 0; x0 < W; x0 += 32)
        {
          int n = MIN (32, W - x0), i0 = x0 / 2;
          __m512 r0 = _mm512_maskz_loadu_ps ((__mmask16) ((1u << MIN (16, n)) - 1), in + x0);
          __m512 r1 = _mm512_maskz_loadu_ps ((__mmask16) ((1u << MAX (0, n - 16)) - 1),
                                             in + x0 + 16);

          /* x = 2i: X = 2i + 1, phase 1; x = 2i + 1: phase 0, index i + 1 */
          _mm512_storeu_ps (row + PW + i0, _mm512_permutex2var_ps (r0, ev, r1));
          _mm512_storeu_ps (row + i0 + 1, _mm512_permutex2var_ps (r0, od, r1));
        }
      return;
    }
  {
    /* 4-way: pairs of phases from two vectors, then whole phases from two pairs */
    const __m512i p0 = _mm512_setr_epi32 (0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i p1 = _mm512_add_epi32 (p0, _mm512_set1_epi32 (2));
    const __m512i lo = _mm512_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i hi = _mm512_add_epi32 (lo, _mm512_set1_epi32 (8));

    for (int x0 = 0; x0 < W; x0 += 64)
      {
        int n = MIN (64, W - x0), i0 = x0 / 4;
        __m512 r[4], a01, a23, b01, b23;

        for (int v = 0; v < 4; v++)
          r[v] = _mm512_maskz_loadu_ps ((__mmask16) ((1u << CLAMP (n - 16 * v, 0, 16)) - 1),
                                        in + x0 + 16 * v);
        a01 = _mm512_permutex2var_ps (r[0], p0, r[1]);   /* x ≡ 0, 1 of the first 32 */
        a23 = _mm512_permutex2var_ps (r[0], p1, r[1]);   /* x ≡ 2, 3 */
        b01 = _mm512_permutex2var_ps (r[2], p0, r[3]);
        b23 = _mm512_permutex2var_ps (r[2], p1, r[3]);
        /* x = 4i + k: padded column 4i + k + 1, phase k + 1 (k < 3) or phase 0, index i + 1 */
        _mm512_storeu_ps (row + PW + i0, _mm512_permutex2var_ps (a01, lo, b01));
        _mm512_storeu_ps (row + 2 * PW + i0, _mm512_permutex2var_ps (a01, hi, b01));
        _mm512_storeu_ps (row + 3 * PW + i0, _mm512_permutex2var_ps (a23, lo, b23));
        _mm512_storeu_ps (row + i0 + 1, _mm512_permutex2var_ps (a23, hi, b23));
      }
  }
}
#undef AVX512
#endif

void
nd_cpu_wino_pad_row (int m, gboolean x16, const float *in, int W, float *row, int PW)
{
#if HAVE_X86
  if (x16)
    {
      pad_row_x16 (m, in, W, row, PW);
      return;
    }
#endif
  /* padded column X = x + 1 goes to phase X mod m, index X / m */
  for (int q = 0; q < m; q++)
    {
      float *ph = row + (gint64) q * PW;

      for (int X = q == 0 ? m : q; X <= W; X += m)
        ph[X / m] = in[X - 1];
    }
}

void
nd_cpu_wino_in (int m, gboolean x16, const float *xp, gint64 rs, int PW, int L, float *V,
                gint64 ps)
{
#if HAVE_X86
  if (x16)
    {
      if (m == 6)
        in_f63_x16 (xp, rs, PW, L, V, ps);
      else if (m == 4)
        in_f43_x16 (xp, rs, PW, L, V, ps);
      else
        in_f23_x16 (xp, rs, PW, L, V, ps);
      return;
    }
#endif
  in_scalar (m, xp, rs, PW, L, V, ps);
}

void
nd_cpu_wino_out (int m, gboolean x16, const float *M, gint64 ps, int L, float b, float *y,
                 gint64 ldy, int rows, int cols)
{
#if HAVE_X86
  if (x16)
    {
      if (m == 6)
        out_f63_x16 (M, ps, L, b, y, ldy, rows, cols);
      else if (m == 4)
        out_f43_x16 (M, ps, L, b, y, ldy, rows, cols);
      else
        out_f23_x16 (M, ps, L, b, y, ldy, rows, cols);
      return;
    }
#endif
  out_scalar (m, M, ps, L, b, y, ldy, rows, cols);
}

/* U = G g Gᵀ of one 3×3 kernel, in double: u[pos · us] */
void
nd_cpu_wino_kernel (int m, const float *k, float *u, gint64 us)
{
  static const double G43[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
  };
  static const double G23[4][3] = {
    { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 },
  };
  static const double G63[8][3] = {
    { 1, 0, 0 }, { -2.0 / 9, -2.0 / 9, -2.0 / 9 }, { -2.0 / 9, 2.0 / 9, -2.0 / 9 },
    { 1.0 / 90, 1.0 / 45, 2.0 / 45 }, { 1.0 / 90, -1.0 / 45, 2.0 / 45 },
    { 32.0 / 45, 16.0 / 45, 8.0 / 45 }, { 32.0 / 45, -16.0 / 45, 8.0 / 45 }, { 0, 0, 1 },
  };
  int a = m + 2;
  const double (*G)[3] = m == 6 ? G63 : m == 4 ? G43 : G23;
  double t[8][3];

  for (int i = 0; i < a; i++)
    for (int x = 0; x < 3; x++)
      {
        double s = 0;

        for (int y = 0; y < 3; y++)
          s += G[i][y] * k[y * 3 + x];
        t[i][x] = s;
      }
  for (int i = 0; i < a; i++)
    for (int jj = 0; jj < a; jj++)
      {
        double s = 0;

        for (int x = 0; x < 3; x++)
          s += t[i][x] * G[jj][x];
        u[(gint64) (i * a + jj) * us] = (float) s;
      }
}
