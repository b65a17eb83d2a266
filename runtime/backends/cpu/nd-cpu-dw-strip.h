/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The depthwise strips on 16 channels a vector, shared by the depthwise kernel's channel-
 * vector path (nd-cpu-conv-dw.c, planes transposed in and out) and the channel-blocked one
 * (nd-cpu-nc16.c, no transposes). AVX-512; include only where HAVE_X86. */

#include <immintrin.h>

#include <glib.h>

#define CV 16   /* channels a vector */

/* r[i] (16 values of row i) becomes column i: r[j] then holds value j of every row. (GCC 12
 * warns of the unpack intrinsics' own undefined operand once inlined: a false positive.) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
static inline __attribute__((always_inline, target ("avx512f"))) void
transpose16 (__m512 r[16])
{
  __m512 t[16];

  for (int i = 0; i < 16; i += 2)
    {
      t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
    }
  for (int i = 0; i < 16; i += 4)
    {
      __m512d a = _mm512_castps_pd (t[i]), b = _mm512_castps_pd (t[i + 1]);
      __m512d c = _mm512_castps_pd (t[i + 2]), d = _mm512_castps_pd (t[i + 3]);

      r[i] = _mm512_castpd_ps (_mm512_unpacklo_pd (a, c));
      r[i + 1] = _mm512_castpd_ps (_mm512_unpackhi_pd (a, c));
      r[i + 2] = _mm512_castpd_ps (_mm512_unpacklo_pd (b, d));
      r[i + 3] = _mm512_castpd_ps (_mm512_unpackhi_pd (b, d));
    }
  for (int i = 0; i < 4; i++)
    {
      t[i] = _mm512_shuffle_f32x4 (r[i], r[4 + i], 0x88);
      t[4 + i] = _mm512_shuffle_f32x4 (r[i], r[4 + i], 0xdd);
      t[8 + i] = _mm512_shuffle_f32x4 (r[8 + i], r[12 + i], 0x88);
      t[12 + i] = _mm512_shuffle_f32x4 (r[8 + i], r[12 + i], 0xdd);
    }
  for (int i = 0; i < 4; i++)
    {
      r[i] = _mm512_shuffle_f32x4 (t[i], t[8 + i], 0x88);
      r[8 + i] = _mm512_shuffle_f32x4 (t[i], t[8 + i], 0xdd);
      r[4 + i] = _mm512_shuffle_f32x4 (t[4 + i], t[12 + i], 0x88);
      r[12 + i] = _mm512_shuffle_f32x4 (t[4 + i], t[12 + i], 0xdd);
    }
}
#pragma GCC diagnostic pop

/* One output row of the channel-vector path, @T pixels a strip: per kernel row the strip's
 * T + K − 1 input vectors are loaded once and each feeds K FMAs (T accumulators, one weight
 * vector at a time), 2.5 FMAs a load for 7×7 where one pixel at a time loads two operands per
 * FMA. @r: the padded input row under kernel row 0 at the strip's first column; @o: [T][16]. */
#define DW_CV_STRIP(K, T)                                                                     \
  static inline __attribute__((always_inline, target ("avx512f"))) void                       \
  dw_cv_strip_k##K##_t##T (const float *r, int ld, const float *wt, __m512 bv, float *o)      \
  {                                                                                           \
    __m512 a[T];                                                                              \
                                                                                              \
    _Pragma ("GCC unroll 8")                                                                  \
    for (int i = 0; i < T; i++)                                                               \
      a[i] = bv;                                                                              \
    _Pragma ("GCC unroll 1")                                                                  \
    for (int ky = 0; ky < K; ky++)                                                            \
      {                                                                                       \
        __m512 xv[T + K - 1];                                                                 \
                                                                                              \
        _Pragma ("GCC unroll 14")                                                             \
        for (int j = 0; j < T + K - 1; j++)                                                   \
          xv[j] = _mm512_load_ps (r + (gint64) ky * ld + j * CV);                             \
        _Pragma ("GCC unroll 7")                                                              \
        for (int kx = 0; kx < K; kx++)                                                        \
          {                                                                                   \
            __m512 w = _mm512_loadu_ps (wt + (ky * K + kx) * CV);                             \
                                                                                              \
            _Pragma ("GCC unroll 8")                                                          \
            for (int i = 0; i < T; i++)                                                       \
              a[i] = _mm512_fmadd_ps (w, xv[i + kx], a[i]);                                   \
          }                                                                                   \
      }                                                                                       \
    _Pragma ("GCC unroll 8")                                                                  \
    for (int i = 0; i < T; i++)                                                               \
      _mm512_store_ps (o + i * CV, a[i]);                                                     \
  }                                                                                           \
                                                                                              \
  /* Two output rows at once: each input row's vectors feed both (kernel rows j and j − 1),   \
   * 2T independent accumulators against the FMA latency, 3.4 FMAs a load for 7×7 */          \
  static inline __attribute__((always_inline, target ("avx512f"))) void                       \
  dw_cv_strip2_k##K##_t##T (const float *r, int ld, const float *wt, __m512 bv, float *o,     \
                            int ldo)                                                          \
  {                                                                                           \
    __m512 a[T], b[T];                                                                        \
                                                                                              \
    _Pragma ("GCC unroll 8")                                                                  \
    for (int i = 0; i < T; i++)                                                               \
      a[i] = b[i] = bv;                                                                       \
    _Pragma ("GCC unroll 1")                                                                  \
    for (int j = 0; j <= K; j++)                                                              \
      {                                                                                       \
        __m512 xv[T + K - 1];                                                                 \
                                                                                              \
        _Pragma ("GCC unroll 14")                                                             \
        for (int x = 0; x < T + K - 1; x++)                                                   \
          xv[x] = _mm512_load_ps (r + (gint64) j * ld + x * CV);                              \
        if (j < K)                                                                            \
          {                                                                                   \
            _Pragma ("GCC unroll 7")                                                          \
            for (int kx = 0; kx < K; kx++)                                                    \
              {                                                                               \
                __m512 w = _mm512_loadu_ps (wt + (j * K + kx) * CV);                          \
                                                                                              \
                _Pragma ("GCC unroll 8")                                                      \
                for (int i = 0; i < T; i++)                                                   \
                  a[i] = _mm512_fmadd_ps (w, xv[i + kx], a[i]);                               \
              }                                                                               \
          }                                                                                   \
        if (j > 0)                                                                            \
          {                                                                                   \
            _Pragma ("GCC unroll 7")                                                          \
            for (int kx = 0; kx < K; kx++)                                                    \
              {                                                                               \
                __m512 w = _mm512_loadu_ps (wt + ((j - 1) * K + kx) * CV);                    \
                                                                                              \
                _Pragma ("GCC unroll 8")                                                      \
                for (int i = 0; i < T; i++)                                                   \
                  b[i] = _mm512_fmadd_ps (w, xv[i + kx], b[i]);                               \
              }                                                                               \
          }                                                                                   \
      }                                                                                       \
    _Pragma ("GCC unroll 8")                                                                  \
    for (int i = 0; i < T; i++)                                                               \
      {                                                                                       \
        _mm512_store_ps (o + i * CV, a[i]);                                                   \
        _mm512_store_ps (o + ldo + i * CV, b[i]);                                             \
      }                                                                                       \
  }                                                                                           \
                                                                                              \
  static inline __attribute__((target ("avx512f"), optimize ("O3"), unused)) void             \
  dw_cv_rows_k##K##_t##T (const float *xt, int ld, const float *wt, __m512 bv, float *ot,     \
                          int ldo, int OH, int OWr)                                           \
  {                                                                                           \
    int oy = 0;                                                                               \
                                                                                              \
    for (; oy + 2 <= OH; oy += 2)                                                             \
      for (int ox = 0; ox < OWr; ox += T)                                                     \
        dw_cv_strip2_k##K##_t##T (xt + (gint64) oy * ld + (gint64) ox * CV, ld, wt, bv,       \
                                  ot + (gint64) oy * ldo + (gint64) ox * CV, ldo);            \
    for (; oy < OH; oy++)                                                                     \
      for (int ox = 0; ox < OWr; ox += T)                                                     \
        dw_cv_strip_k##K##_t##T (xt + (gint64) oy * ld + (gint64) ox * CV, ld, wt, bv,        \
                                 ot + (gint64) oy * ldo + (gint64) ox * CV);                  \
  }

DW_CV_STRIP (3, 7)
DW_CV_STRIP (3, 8)
DW_CV_STRIP (5, 7)
DW_CV_STRIP (5, 8)
DW_CV_STRIP (7, 7)
DW_CV_STRIP (7, 8)

/* The strip width for @OW output columns: 7 where it divides them (VanillaNet's 56, 28, 14
 * and 7), else 8, the row then computed to a multiple of 8 */
static inline int
nd_cpu_dw_cv_strip (int OW)
{
  return OW % 7 == 0 && OW % 8 != 0 ? 7 : 8;
}

/* Output rows [0, OH) of one group: @xt the zero-padded input ([OH + k − 1][ld / 16][16]),
 * @ot the output ([OH][ldo / 16][16]), strips of @T (nd_cpu_dw_cv_strip) up to column OWr */
static inline __attribute__((target ("avx512f"), unused)) void
nd_cpu_dw_cv_rows (int k, int T, const float *xt, int ld, const float *wt, __m512 bv, float *ot,
                   int ldo, int OH, int OWr)
{
#define DW_CV_CASE(K)                                                                         \
  case K:                                                                                     \
    if (T == 7)                                                                               \
      dw_cv_rows_k##K##_t7 (xt, ld, wt, bv, ot, ldo, OH, OWr);                                \
    else                                                                                      \
      dw_cv_rows_k##K##_t8 (xt, ld, wt, bv, ot, ldo, OH, OWr);                                \
    break;
  switch (k)
    {
    DW_CV_CASE (3)
    DW_CV_CASE (5)
    DW_CV_CASE (7)
    default:
      g_assert_not_reached ();
    }
#undef DW_CV_CASE
}
