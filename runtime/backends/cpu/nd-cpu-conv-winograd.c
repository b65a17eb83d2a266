/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Winograd F(m×m, 3×3) for 3×3 stride-1 pad-1 convolutions (Lavin & Gray 2016), m = 2 or 4:
 * each m×m output tile costs (m+2)² multiplies per (in, out) channel pair instead of 9m²
 * (2.25× fewer for F(2,3), 4× for F(4,3)). Per image:
 *   1. the input is copied into a zero-padded plane per channel (edge tiles need no checks),
 *      phase-split (see tile_col);
 *   2. tiles are processed in blocks (row-major ranges, a multiple of 16 tiles); per block and
 *      thread: input transform Bᵀ d B → V[pos][c][tile] (AVX-512: 16 tiles a vector),
 *      (m+2)² sgemms M[pos] (O × T) = U[pos] (O × C) · V[pos] (C × T) per group, then the
 *      output transform Aᵀ M A plus bias, and the fused epilogue on the finished rows;
 *   3. U = G g Gᵀ is computed once, at prepare (in double).
 * F(4,3)'s transforms have entries up to 8 and 1/24, so its float error is ~10× im2col's
 * (tests use 1e-4 relative for it, 1e-5 for F(2,3)). */

#define LANES 16

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, g, m, a;
  int TH, TW, Hp, PW, tiles_per_block, n_blocks, tiles_max;
  gint64 RS;          /* padded row: m phases of PW floats */
  gboolean x16;       /* AVX-512 transforms */
  float *U;           /* [a·a][O][C/g] */
  NdCpuPackedA **packed;   /* [a·a·g] U packed per position and group (AVX-512), or NULL */
  gsize thread_floats;
} ConvWino;

typedef struct
{
  ConvWino       *cw;
  const NdNode   *node;
  const float    *x;
  float          *y;
  float          *xp;   /* padded input of this batch */
  int             N;
} WinoJob;

/* ---- transforms ------------------------------------------------------------------------ */

/* The padded input is stored phase-split: row Y of a channel's padded plane holds its
 * columns X ≡ q (mod m) for q = 0 … m−1 one after another, PW floats each ("phases"), so
 * column c of tile tx lies at phase c mod m, index tx + c / m. The same column of 16 tiles
 * side by side is then one contiguous vector load; in the plain layout it is a stride-m
 * gather, which left the compilers' transforms scalar (a third of an F(4,3) layer's time at
 * 128 channels). */
static inline const float *
tile_col (const float *row, int m, int PW, int c)
{
  return row + (c % m) * PW + c / m;
}

/* Scalar transforms of one tile, for CPUs without AVX-512: d[r][c] (a × a) → v[r·a + c]. */
static void
in_tile (int m, const float *d, float *v)
{
  float t[36];
  int a = m + 2;

  for (int c = 0; c < a; c++)
    {
      const float *q = d + c;

      if (m == 4)
        {
          float d0 = q[0], d1 = q[6], d2 = q[12], d3 = q[18], d4 = q[24], d5 = q[30];

          t[c] = 4 * d0 - 5 * d2 + d4;
          t[6 + c] = -4 * (d1 + d2) + d3 + d4;
          t[12 + c] = 4 * (d1 - d2) - d3 + d4;
          t[18 + c] = 2 * (d3 - d1) - d2 + d4;
          t[24 + c] = 2 * (d1 - d3) - d2 + d4;
          t[30 + c] = 4 * d1 - 5 * d3 + d5;
        }
      else
        {
          float d0 = q[0], d1 = q[4], d2 = q[8], d3 = q[12];

          t[c] = d0 - d2;
          t[4 + c] = d1 + d2;
          t[8 + c] = d2 - d1;
          t[12 + c] = d1 - d3;
        }
    }
  for (int r = 0; r < a; r++)
    {
      const float *q = t + r * a;
      float *o = v + r * a;

      if (m == 4)
        {
          o[0] = 4 * q[0] - 5 * q[2] + q[4];
          o[1] = -4 * (q[1] + q[2]) + q[3] + q[4];
          o[2] = 4 * (q[1] - q[2]) - q[3] + q[4];
          o[3] = 2 * (q[3] - q[1]) - q[2] + q[4];
          o[4] = 2 * (q[1] - q[3]) - q[2] + q[4];
          o[5] = 4 * q[1] - 5 * q[3] + q[5];
        }
      else
        {
          o[0] = q[0] - q[2];
          o[1] = q[1] + q[2];
          o[2] = q[2] - q[1];
          o[3] = q[1] - q[3];
        }
    }
}

/* M (a × a, mm[r·a + c]) → Y (m × m) */
static void
out_tile (int m, const float *mm, float *y)
{
  float t[24];
  int a = m + 2;

  for (int c = 0; c < a; c++)
    {
      const float *q = mm + c;

      if (m == 4)
        {
          float m0 = q[0], m1 = q[6], m2 = q[12], m3 = q[18], m4 = q[24], m5 = q[30];

          t[c] = m0 + m1 + m2 + m3 + m4;
          t[6 + c] = m1 - m2 + 2 * (m3 - m4);
          t[12 + c] = m1 + m2 + 4 * (m3 + m4);
          t[18 + c] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
      else
        {
          t[c] = q[0] + q[4] + q[8];
          t[4 + c] = q[4] - q[8] - q[12];
        }
    }
  for (int r = 0; r < m; r++)
    {
      const float *q = t + r * a;
      float *o = y + r * m;

      if (m == 4)
        {
          o[0] = q[0] + q[1] + q[2] + q[3] + q[4];
          o[1] = q[1] - q[2] + 2 * (q[3] - q[4]);
          o[2] = q[1] + q[2] + 4 * (q[3] + q[4]);
          o[3] = q[1] - q[2] + 8 * (q[3] - q[4]) + q[5];
        }
      else
        {
          o[0] = q[0] + q[1] + q[2];
          o[1] = q[1] - q[2] - q[3];
        }
    }
}

/* L ≤ 16 tiles side by side from the phase-split rows at @xp (@rs floats apart):
 * V[pos · ps + l] */
static void
in_scalar (int m, const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  int a = m + 2;

  for (int l = 0; l < L; l++)
    {
      float d[36], v[36];

      for (int r = 0; r < a; r++)
        for (int c = 0; c < a; c++)
          d[r * a + c] = tile_col (xp + r * rs, m, PW, c)[l];
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
      float mm[36], o[16];

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
      const float *p = tile_col (xp, 4, PW, c);
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

AVX512 static void
in_f23_x16 (const float *xp, gint64 rs, int PW, int L, float *V, gint64 ps)
{
  __mmask16 k = (__mmask16) ((1u << L) - 1);
  __m512 t[4][4];

  for (int c = 0; c < 4; c++)
    {
      const float *p = tile_col (xp, 2, PW, c);
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
  __m512 out[4];

  if (m == 2)
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

/* ---- run ---------------------------------------------------------------------------- */

static void
pad_task (gpointer data, int task, int thread)
{
  WinoJob *j = data;
  ConvWino *cw = j->cw;
  gint64 planes = (gint64) j->N * cw->C, p0, p1;
  gint64 psize = (gint64) cw->Hp * cw->RS;
  int m = cw->m;

  nd_cpu_split (planes, 2 * nd_cpu_pool_n_threads (), task, 1, &p0, &p1);
  for (gint64 pl = p0; pl < p1; pl++)
    {
      float *dst = j->xp + pl * psize;
      const float *src = j->x + pl * cw->H * cw->W;

      memset (dst, 0, psize * sizeof (float));
      for (int y = 0; y < cw->H; y++)
        {
          float *row = dst + (gint64) (y + 1) * cw->RS;
          const float *in = src + (gint64) y * cw->W;

#if HAVE_X86
          if (cw->x16)
            {
              pad_row_x16 (m, in, cw->W, row, cw->PW);
              continue;
            }
#endif
          /* padded column X = x + 1 goes to phase X mod m, index X / m */
          for (int q = 0; q < m; q++)
            {
              float *ph = row + (gint64) q * cw->PW;

              for (int X = q == 0 ? m : q; X <= cw->W; X += m)
                ph[X / m] = in[X - 1];
            }
        }
    }
}

/* A block is a range [t0, t1) of an image's tiles in row-major order, not whole tile rows:
 * its size, the GEMMs' N, is then a multiple of 16 (4 tile rows of a 56² map, 56 tiles,
 * left a masked 24-column strip computed as 32). Its tiles of tile row @ty: [*x0, *x1). */
static inline void
row_span (const ConvWino *cw, int t0, int t1, int ty, int *x0, int *x1)
{
  *x0 = ty == t0 / cw->TW ? t0 % cw->TW : 0;
  *x1 = ty == (t1 - 1) / cw->TW ? (t1 - 1) % cw->TW + 1 : cw->TW;
}

/* The three stages on tiles [t0, t1) of image @n, each over a sub-range so that small maps
 * (one block) can still be split across threads stage by stage. */
static void
stage_in (WinoJob *j, int n, int t0, int t1, float *V, int c0, int c1)
{
  ConvWino *cw = j->cw;
  int T = t1 - t0, m = cw->m;
  gint64 vstride = (gint64) cw->C * T;

  for (int c = c0; c < c1; c++)
    {
      const float *xp = j->xp + ((gint64) n * cw->C + c) * cw->Hp * cw->RS;

      for (int ty = t0 / cw->TW; ty <= (t1 - 1) / cw->TW; ty++)
        {
          int x0, x1;

          row_span (cw, t0, t1, ty, &x0, &x1);
          for (int tx0 = x0; tx0 < x1; tx0 += LANES)
          {
            int L = MIN (LANES, x1 - tx0), t = ty * cw->TW + tx0 - t0;
            const float *row = xp + (gint64) ty * m * cw->RS + tx0;
            float *v = V + (gint64) c * T + t;

#if HAVE_X86
            if (cw->x16)
              {
                if (m == 4)
                  in_f43_x16 (row, cw->RS, cw->PW, L, v, vstride);
                else
                  in_f23_x16 (row, cw->RS, cw->PW, L, v, vstride);
                continue;
              }
#endif
            in_scalar (m, row, cw->RS, cw->PW, L, v, vstride);
          }
        }
    }
}

/* GEMMs for (position, group) pairs [q0, q1) */
static void
stage_gemm (ConvWino *cw, int T, const float *V, float *M, int q0, int q1)
{
  int cpg = cw->C / cw->g, opg = cw->O / cw->g;
  gint64 vstride = (gint64) cw->C * T, mstride = (gint64) cw->O * T;

  for (int q = q0; q < q1; q++)
    {
      int pos = q / cw->g, grp = q % cw->g;

      if (cw->packed != NULL)
        nd_cpu_gemm_run (cw->packed[q], 0, opg, V + pos * vstride + (gint64) grp * cpg * T, T,
                         0, T, M + pos * mstride + (gint64) grp * opg * T, T);
      else
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, opg, T, cpg, 1.0f,
                     cw->U + ((gint64) pos * cw->O + (gint64) grp * opg) * cpg, cpg,
                     V + pos * vstride + (gint64) grp * cpg * T, T, 0.0f,
                     M + pos * mstride + (gint64) grp * opg * T, T);
    }
}

/* The fused epilogue on output rows [y0, y1), columns [x0, x1) of channel @o */
static void
epilogue_rect (WinoJob *j, int n, int o, float *yo, int y0, int y1, int x0, int x1)
{
  ConvWino *cw = j->cw;
  gint64 plane = (gint64) cw->H * cw->W;

  if (x0 == 0 && x1 == cw->W)   /* whole rows: one run */
    nd_cpu_epilogue_apply (&cw->parent.epilogue, n, o, cw->O, plane, (gint64) y0 * cw->W,
                           yo + (gint64) y0 * cw->W, (gint64) (y1 - y0) * cw->W);
  else
    for (int y = y0; y < y1; y++)
      nd_cpu_epilogue_apply (&cw->parent.epilogue, n, o, cw->O, plane,
                             (gint64) y * cw->W + x0, yo + (gint64) y * cw->W + x0, x1 - x0);
}

static void
stage_out (WinoJob *j, int n, int t0, int t1, const float *M, int o0, int o1)
{
  ConvWino *cw = j->cw;
  int T = t1 - t0, m = cw->m, OW = cw->W, OH = cw->H;
  int ty0 = t0 / cw->TW, ty1 = (t1 - 1) / cw->TW;
  gint64 mstride = (gint64) cw->O * T, plane = (gint64) OH * OW;
  const NdTensor *bias = j->node->w[ND_W_BIAS];

  for (int o = o0; o < o1; o++)
    {
      float *yo = j->y + ((gint64) n * cw->O + o) * plane;
      float b = bias != NULL ? bias->data[o] : 0.0f;

      for (int ty = ty0; ty <= ty1; ty++)
        {
          int x0, x1;

          row_span (cw, t0, t1, ty, &x0, &x1);
          for (int tx0 = x0; tx0 < x1; tx0 += LANES)
            {
              int L = MIN (LANES, x1 - tx0), t = ty * cw->TW + tx0 - t0;
              int rows = MIN (m, OH - ty * m), cols = MIN (OW, x1 * m) - tx0 * m;
              const float *mo = M + (gint64) o * T + t;
              float *dst = yo + (gint64) ty * m * OW + tx0 * m;

#if HAVE_X86
              if (cw->x16)
                {
                  if (m == 4)
                    out_f43_x16 (mo, mstride, L, b, dst, OW, rows, cols);
                  else
                    out_f23_x16 (mo, mstride, L, b, dst, OW, rows, cols);
                  continue;
                }
#endif
              out_scalar (m, mo, mstride, L, b, dst, OW, rows, cols);
            }
        }
      if (cw->parent.epilogue.n_steps > 0)
        {
          /* a partial first tile row, the whole rows, a partial last one */
          int f0, f1, l0, l1, full0 = ty0, full1 = ty1 + 1;

          row_span (cw, t0, t1, ty0, &f0, &f1);
          row_span (cw, t0, t1, ty1, &l0, &l1);
          if (f0 > 0 || (ty0 == ty1 && f1 < cw->TW))
            {
              epilogue_rect (j, n, o, yo, ty0 * m, MIN (OH, ty0 * m + m), f0 * m,
                             MIN (OW, f1 * m));
              full0++;
            }
          if (full0 < full1 && l1 < cw->TW)
            {
              epilogue_rect (j, n, o, yo, ty1 * m, MIN (OH, ty1 * m + m), 0, MIN (OW, l1 * m));
              full1--;
            }
          if (full0 < full1)
            epilogue_rect (j, n, o, yo, full0 * m, MIN (OH, full1 * m), 0, OW);
        }
    }
}

static float *
thread_v (WinoJob *j, int thread)
{
  ConvWino *cw = j->cw;

  return cw->parent.scratch + (gsize) j->N * cw->C * cw->Hp * cw->RS
         + (gsize) thread * cw->thread_floats;
}

/* Block mode: one task = all three stages on one block of tile rows, in this thread's V/M. */
static void
block_task (gpointer data, int task, int thread)
{
  WinoJob *j = data;
  ConvWino *cw = j->cw;
  int n = task / cw->n_blocks, blk = task % cw->n_blocks;
  int t0 = blk * cw->tiles_per_block;
  /* the last block takes the remainder */
  int t1 = blk == cw->n_blocks - 1 ? cw->TH * cw->TW : t0 + cw->tiles_per_block;
  int T = t1 - t0;
  float *V = thread_v (j, thread), *M = V + (gsize) cw->a * cw->a * cw->C * T;

  stage_in (j, n, t0, t1, V, 0, cw->C);
  stage_gemm (cw, T, V, M, 0, cw->a * cw->a * cw->g);
  stage_out (j, n, t0, t1, M, 0, cw->O);
}

/* Stage mode (a small map, too few blocks to share): each stage split across threads. */
typedef struct
{
  WinoJob *j;
  int      n, stage, parts;
  float   *V, *M;
} StageJob;

static void
stage_task (gpointer data, int task, int thread)
{
  StageJob *s = data;
  ConvWino *cw = s->j->cw;
  int T = cw->TH * cw->TW;
  gint64 b, e;

  switch (s->stage)
    {
    case 0:
      nd_cpu_split (cw->C, s->parts, task, 1, &b, &e);
      stage_in (s->j, s->n, 0, T, s->V, b, e);
      break;
    case 1:
      nd_cpu_split (cw->a * cw->a * cw->g, s->parts, task, 1, &b, &e);
      stage_gemm (cw, T, s->V, s->M, b, e);
      break;
    default:
      nd_cpu_split (cw->O, s->parts, task, 1, &b, &e);
      stage_out (s->j, s->n, 0, T, s->M, b, e);
      break;
    }
}

static void
wino_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvWino *cw = (ConvWino *) kernel;
  WinoJob j = { cw, node, in[0]->data, out->data, kernel->scratch, in[0]->shape[0] };
  int threads = nd_cpu_pool_n_threads ();

  nd_cpu_parallel_for (2 * threads, pad_task, &j);
  if (j.N * cw->n_blocks >= 2 * threads || threads == 1)
    {
      nd_cpu_parallel_for (j.N * cw->n_blocks, block_task, &j);
      return;
    }
  for (int n = 0; n < j.N; n++)
    {
      StageJob s = { &j, n, 0, 4 * threads, thread_v (&j, 0), NULL };

      s.M = s.V + (gsize) cw->a * cw->a * cw->C * cw->TH * cw->TW;
      for (s.stage = 0; s.stage < 3; s.stage++)
        nd_cpu_parallel_for (s.parts, stage_task, &s);
    }
}

static void
wino_free (NdCpuKernel *kernel)
{
  ConvWino *cw = (ConvWino *) kernel;

  if (cw->packed != NULL)
    for (int q = 0; q < cw->a * cw->a * cw->g; q++)
      nd_cpu_gemm_free (cw->packed[q]);
  g_free (cw->packed);
  free (cw->U);
  g_free (cw);
}

/* U[pos][o][c] = (G g Gᵀ)[pos] */
static void
transform_weights (ConvWino *cw, const float *w)
{
  static const double G43[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
  };
  static const double G23[4][3] = {
    { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 },
  };
  int a = cw->a, cpg = cw->C / cw->g;

  for (int o = 0; o < cw->O; o++)
    for (int c = 0; c < cpg; c++)
      {
        const float *k = w + ((gint64) o * cpg + c) * 9;
        double t[6][3];

        for (int i = 0; i < a; i++)
          for (int x = 0; x < 3; x++)
            {
              double s = 0;

              for (int y = 0; y < 3; y++)
                s += (a == 6 ? G43[i][y] : G23[i][y]) * k[y * 3 + x];
              t[i][x] = s;
            }
        for (int i = 0; i < a; i++)
          for (int jj = 0; jj < a; jj++)
            {
              double s = 0;

              for (int x = 0; x < 3; x++)
                s += t[i][x] * (a == 6 ? G43[jj][x] : G23[jj][x]);
              cw->U[((gint64) (i * a + jj) * cw->O + o) * cpg + c] = (float) s;
            }
      }
}

NdCpuKernel *
nd_cpu_conv_winograd_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const char *forced = nd_cpu_conv_forced_algo ();
  const NdNode *a;
  ConvWino *cw;
  int m, cpg, opg, target, threads, rows, tiles;

  if (node->op != ND_OP_CONV2D || !nd_op_is_square (&node->p, 3, 1) || node->p.stride != 1)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  cpg = a->out_c / node->p.groups;
  opg = node->out_c / node->p.groups;
  if (forced != NULL)
    {
      if (g_str_equal (forced, "winograd-f43"))
        m = 4;
      else if (g_str_equal (forced, "winograd-f23"))
        m = 2;
      else
        return NULL;
      if (cpg == 1 && opg == 1)
        return NULL;   /* depthwise */
    }
  else
    {
      /* Transforms cost O(C + O) per tile, the GEMMs O(C·O): narrow layers stay on GEMM.
       * F(4,3) from 24² maps; below, F(4,3) has too few tiles per GEMM and F(2,3) wins
       * (measured with nd-bench-conv: 384×14² F(2,3) 2.8 ms vs im2col 4.8 ms, one core).
       * Without the packed GEMM (no AVX-512) OpenBLAS is slow on those narrow GEMMs and
       * im2col+sgemm wins below 24². */
      if (cpg < 16 || opg < 16 || a->out_h < 6 || a->out_w < 6)
        return NULL;
      if (a->out_h >= 24 && a->out_w >= 24)
        m = 4;
      else if (nd_cpu_gemm_supported ())
        m = 2;
      else
        return NULL;
    }

  cw = g_new0 (ConvWino, 1);
  cw->C = a->out_c;
  cw->H = a->out_h;
  cw->W = a->out_w;
  cw->O = node->out_c;
  cw->g = node->p.groups;
  cw->m = m;
  cw->a = m + 2;
  cw->TH = (cw->H + m - 1) / m;
  cw->TW = (cw->W + m - 1) / m;
  cw->Hp = cw->TH * m + 2;
  /* a tile row's vector loads reach index (groups of 16 tiles) · 16 of a phase */
  cw->PW = (cw->TW + LANES - 1) / LANES * LANES + 1;
  cw->RS = (gint64) m * cw->PW;
  cw->x16 = HAVE_X86 && nd_cpu_gemm_supported ();
  /* Tiles per block (the GEMMs' N): 128 measured best from 92 to 512 channels (16–256
   * tried, nd-bench-conv with ND_WINO_TILES); fitting V and M in L2 instead gave N ≈ 16 for
   * wide layers and half the speed. */
  target = 128;
  if (g_getenv ("ND_WINO_TILES") != NULL)
    target = atoi (g_getenv ("ND_WINO_TILES"));
  target = CLAMP (target, 16, 1024);
  /* Enough blocks to share between threads (block mode keeps V and M in cache), as long as
   * a block keeps ≥ 32 tiles; maps too small for that use stage mode (see wino_run). */
  threads = nd_cpu_pool_n_threads ();
  rows = MIN (target / cw->TW, MAX ((32 + cw->TW - 1) / cw->TW,
                                    (cw->TH + 2 * threads - 1) / (2 * threads)));
  /* Maps of 112² and more: one tile row per block (28+ tiles) measured 2× faster than 2–4
   * rows (VGG-16 features.2 and .7, nd-bench-conv with ND_WINO_TILES 32 vs 128). */
  if (cw->TW >= 28 && g_getenv ("ND_WINO_TILES") == NULL)
    rows = 1;
  tiles = CLAMP (rows, 1, cw->TH) * cw->TW;
  /* as many tiles, to a multiple of 16: the nearest, or the one below where the nearest
   * leaves too few blocks for block mode */
  cw->tiles_per_block = MAX (16, (tiles + 8) / 16 * 16);
  if (cw->TH * cw->TW / cw->tiles_per_block < 2 * threads)
    cw->tiles_per_block = MAX (16, tiles / 16 * 16);
  cw->n_blocks = MAX (1, cw->TH * cw->TW / cw->tiles_per_block);
  cw->tiles_max = cw->TH * cw->TW - (cw->n_blocks - 1) * cw->tiles_per_block;
  cw->thread_floats = (gsize) cw->a * cw->a * (cw->C + cw->O) * cw->tiles_max;
  if (posix_memalign ((void **) &cw->U, 64,
                      (gsize) cw->a * cw->a * cw->O * cpg * sizeof (float)) != 0)
    {
      g_free (cw);
      return NULL;
    }
  transform_weights (cw, node->w[ND_W_WEIGHT]->data);
  if (nd_cpu_gemm_supported ())
    {
      cw->packed = g_new0 (NdCpuPackedA *, cw->a * cw->a * cw->g);
      for (int q = 0; q < cw->a * cw->a * cw->g; q++)
        {
          int pos = q / cw->g, grp = q % cw->g;

          cw->packed[q] = nd_cpu_gemm_pack (cw->U + ((gint64) pos * cw->O + (gint64) grp * opg)
                                            * cpg, opg, cpg, cpg);
          if (cw->packed[q] == NULL)
            {
              wino_free (&cw->parent);
              return NULL;
            }
        }
    }
  cw->parent.algo = m == 4 ? "winograd-f43" : "winograd-f23";
  cw->parent.run = wino_run;
  cw->parent.free = wino_free;
  cw->parent.fuses_epilogue = TRUE;
  cw->parent.scratch_floats = (gsize) batch * cw->C * cw->Hp * cw->RS
                              + MAX ((gsize) nd_cpu_pool_n_threads () * cw->thread_floats,
                                     (gsize) cw->a * cw->a * (cw->C + cw->O) * cw->TH * cw->TW);
  return &cw->parent;
}
