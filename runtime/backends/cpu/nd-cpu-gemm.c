/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cpu-gemm.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Blocking: a KC × 32 panel of B (24 KiB), copied contiguous when enough rows of A will use
 * it, stays in L1 while every 8-row panel of packed A (KC × 8, streamed from L2) multiplies
 * it into 8 × 32 accumulators (16 zmm registers). */
#define MR ND_CPU_GEMM_MR
#define NR 32
#define KC 192
#define MC 384   /* rows of A per block: MC × KC (288 KiB) stays in L2 across B panels */

gboolean
nd_cpu_gemm_supported (void)
{
#if HAVE_X86
  static int ok = -1;

  if (ok < 0)
    {
      __builtin_cpu_init ();
      ok = __builtin_cpu_supports ("avx512f") && g_getenv ("ND_CPU_NO_PACKED_GEMM") == NULL;
    }
  return ok;
#else
  return FALSE;
#endif
}

NdCpuPackedA *
nd_cpu_gemm_pack (const float *A, int M, int K, int lda)
{
  NdCpuPackedA *a;
  int panels = (M + MR - 1) / MR;

  a = g_new0 (NdCpuPackedA, 1);
  a->M = M;
  a->K = K;
  if (posix_memalign ((void **) &a->data, 64, (gsize) panels * K * MR * sizeof (float)) != 0)
    {
      g_free (a);
      return NULL;
    }
  for (int p = 0; p < panels; p++)
    for (int k = 0; k < K; k++)
      for (int r = 0; r < MR; r++)
        {
          int m = p * MR + r;

          a->data[((gsize) p * K + k) * MR + r] = m < M ? A[(gsize) m * lda + k] : 0.0f;
        }
  return a;
}

void
nd_cpu_gemm_free (NdCpuPackedA *a)
{
  if (a == NULL)
    return;
  free (a->data);
  g_free (a);
}

#if HAVE_X86
/* C[rows × 32] (masked columns) = or += Ap (kc × 8) · B (kc × 32) */
__attribute__((target ("avx512f"), always_inline)) static inline void
ukernel (int kc, const float *restrict Ap, const float *restrict B, int ldb, float *restrict C,
         int ldc, gboolean accumulate, int rows, __mmask16 k0, __mmask16 k1)
{
  __m512 c00 = _mm512_setzero_ps (), c01 = _mm512_setzero_ps ();
  __m512 c10 = _mm512_setzero_ps (), c11 = _mm512_setzero_ps ();
  __m512 c20 = _mm512_setzero_ps (), c21 = _mm512_setzero_ps ();
  __m512 c30 = _mm512_setzero_ps (), c31 = _mm512_setzero_ps ();
  __m512 c40 = _mm512_setzero_ps (), c41 = _mm512_setzero_ps ();
  __m512 c50 = _mm512_setzero_ps (), c51 = _mm512_setzero_ps ();
  __m512 c60 = _mm512_setzero_ps (), c61 = _mm512_setzero_ps ();
  __m512 c70 = _mm512_setzero_ps (), c71 = _mm512_setzero_ps ();

  /* C's tile is read (or written) after the k loop; its rows lie a map apart and are not in
   * any prefetcher's stream: asking for them now hides the L3 latency (~8% on a 512² × 56²
   * 1×1 convolution) */
  for (int r = 0; r < rows; r++)
    {
      _mm_prefetch ((const char *) (C + (gsize) r * ldc), _MM_HINT_T0);
      _mm_prefetch ((const char *) (C + (gsize) r * ldc + 16), _MM_HINT_T0);
    }
  for (int k = 0; k < kc; k++)
    {
      __m512 b0 = _mm512_maskz_loadu_ps (k0, B + (gsize) k * ldb);
      __m512 b1 = _mm512_maskz_loadu_ps (k1, B + (gsize) k * ldb + 16);
      const float *a = Ap + k * MR;
      __m512 a0 = _mm512_set1_ps (a[0]), a1 = _mm512_set1_ps (a[1]);
      __m512 a2 = _mm512_set1_ps (a[2]), a3 = _mm512_set1_ps (a[3]);

      c00 = _mm512_fmadd_ps (a0, b0, c00);
      c01 = _mm512_fmadd_ps (a0, b1, c01);
      c10 = _mm512_fmadd_ps (a1, b0, c10);
      c11 = _mm512_fmadd_ps (a1, b1, c11);
      c20 = _mm512_fmadd_ps (a2, b0, c20);
      c21 = _mm512_fmadd_ps (a2, b1, c21);
      c30 = _mm512_fmadd_ps (a3, b0, c30);
      c31 = _mm512_fmadd_ps (a3, b1, c31);
      a0 = _mm512_set1_ps (a[4]);
      a1 = _mm512_set1_ps (a[5]);
      a2 = _mm512_set1_ps (a[6]);
      a3 = _mm512_set1_ps (a[7]);
      c40 = _mm512_fmadd_ps (a0, b0, c40);
      c41 = _mm512_fmadd_ps (a0, b1, c41);
      c50 = _mm512_fmadd_ps (a1, b0, c50);
      c51 = _mm512_fmadd_ps (a1, b1, c51);
      c60 = _mm512_fmadd_ps (a2, b0, c60);
      c61 = _mm512_fmadd_ps (a2, b1, c61);
      c70 = _mm512_fmadd_ps (a3, b0, c70);
      c71 = _mm512_fmadd_ps (a3, b1, c71);
    }

#define STORE(r, v0, v1)                                                                    \
  if (r < rows)                                                                             \
    {                                                                                       \
      float *cr = C + (gsize) r * ldc;                                                      \
      if (accumulate)                                                                       \
        {                                                                                   \
          v0 = _mm512_add_ps (v0, _mm512_maskz_loadu_ps (k0, cr));                          \
          v1 = _mm512_add_ps (v1, _mm512_maskz_loadu_ps (k1, cr + 16));                     \
        }                                                                                   \
      _mm512_mask_storeu_ps (cr, k0, v0);                                                   \
      _mm512_mask_storeu_ps (cr + 16, k1, v1);                                              \
    }
  STORE (0, c00, c01);
  STORE (1, c10, c11);
  STORE (2, c20, c21);
  STORE (3, c30, c31);
  STORE (4, c40, c41);
  STORE (5, c50, c51);
  STORE (6, c60, c61);
  STORE (7, c70, c71);
#undef STORE
}
#endif

#if HAVE_X86
/* Whole strips of a packed panel get a copy with constant masks, which the compiler turns
 * into plain loads (masked loads in the hot loop cost ~8% at 2048² × 14²). */
__attribute__((target ("avx512f"), noinline)) static void
ukernel_full (int kc, const float *restrict Ap, const float *restrict B, float *restrict C,
              int ldc, gboolean accumulate, int rows)
{
  ukernel (kc, Ap, B, NR, C, ldc, accumulate, rows, 0xFFFF, 0xFFFF);
}

__attribute__((target ("avx512f"), noinline)) static void
ukernel_any (int kc, const float *restrict Ap, const float *restrict B, int ldb, float *restrict C,
             int ldc, gboolean accumulate, int rows, __mmask16 k0, __mmask16 k1)
{
  ukernel (kc, Ap, B, ldb, C, ldc, accumulate, rows, k0, k1);
}

/* The same for a strip of at most 16 columns: half the FMAs of a masked 32-wide call on
 * the last columns of a map whose side is not a multiple of 32 (14² = 6·32 + 4, 7² = 32 + 17) */
__attribute__((target ("avx512f"))) static void
ukernel16 (int kc, const float *restrict Ap, const float *restrict B, int ldb, float *restrict C,
           int ldc, gboolean accumulate, int rows, __mmask16 k0)
{
  __m512 c0 = _mm512_setzero_ps (), c1 = _mm512_setzero_ps ();
  __m512 c2 = _mm512_setzero_ps (), c3 = _mm512_setzero_ps ();
  __m512 c4 = _mm512_setzero_ps (), c5 = _mm512_setzero_ps ();
  __m512 c6 = _mm512_setzero_ps (), c7 = _mm512_setzero_ps ();

  for (int k = 0; k < kc; k++)
    {
      __m512 b = _mm512_maskz_loadu_ps (k0, B + (gsize) k * ldb);
      const float *a = Ap + k * MR;

      c0 = _mm512_fmadd_ps (_mm512_set1_ps (a[0]), b, c0);
      c1 = _mm512_fmadd_ps (_mm512_set1_ps (a[1]), b, c1);
      c2 = _mm512_fmadd_ps (_mm512_set1_ps (a[2]), b, c2);
      c3 = _mm512_fmadd_ps (_mm512_set1_ps (a[3]), b, c3);
      c4 = _mm512_fmadd_ps (_mm512_set1_ps (a[4]), b, c4);
      c5 = _mm512_fmadd_ps (_mm512_set1_ps (a[5]), b, c5);
      c6 = _mm512_fmadd_ps (_mm512_set1_ps (a[6]), b, c6);
      c7 = _mm512_fmadd_ps (_mm512_set1_ps (a[7]), b, c7);
    }
#define STORE(r, v)                                                                         \
  if (r < rows)                                                                             \
    {                                                                                       \
      float *cr = C + (gsize) r * ldc;                                                      \
      if (accumulate)                                                                       \
        v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (k0, cr));                              \
      _mm512_mask_storeu_ps (cr, k0, v);                                                    \
    }
  STORE (0, c0);
  STORE (1, c1);
  STORE (2, c2);
  STORE (3, c3);
  STORE (4, c4);
  STORE (5, c5);
  STORE (6, c6);
  STORE (7, c7);
#undef STORE
}

__attribute__((target ("avx512f"))) static void
pack_b (float *restrict dst, const float *restrict B, int ldb, int kc, __mmask16 k0, __mmask16 k1)
{
  for (int k = 0; k < kc; k++)
    {
      _mm512_store_ps (dst + k * NR, _mm512_maskz_loadu_ps (k0, B + (gsize) k * ldb));
      _mm512_store_ps (dst + k * NR + 16, _mm512_maskz_loadu_ps (k1, B + (gsize) k * ldb + 16));
    }
}

/* One column: y[m] = Σ_k A[m][k]·b[k] over 8-row panels, one FMA per k (the micro-kernel
 * would spend 16 on a single useful column: SE convs and classifier convs on 1×1 maps). */
__attribute__((target ("avx512f,fma"))) static void
gemv_panels (const NdCpuPackedA *a, int m0, int m1, const float *B, int ldb, float *C, int ldc)
{
  for (int m = m0; m < m1; m += MR)
    {
      const float *Ap = a->data + (gsize) (m / MR) * a->K * MR;
      __m256 acc0 = _mm256_setzero_ps (), acc1 = _mm256_setzero_ps ();
      float out[MR];
      int k = 0;

      for (; k + 2 <= a->K; k += 2)
        {
          acc0 = _mm256_fmadd_ps (_mm256_load_ps (Ap + k * MR), _mm256_set1_ps (B[(gsize) k * ldb]),
                                  acc0);
          acc1 = _mm256_fmadd_ps (_mm256_load_ps (Ap + (k + 1) * MR),
                                  _mm256_set1_ps (B[(gsize) (k + 1) * ldb]), acc1);
        }
      for (; k < a->K; k++)
        acc0 = _mm256_fmadd_ps (_mm256_load_ps (Ap + k * MR), _mm256_set1_ps (B[(gsize) k * ldb]),
                                acc0);
      _mm256_storeu_ps (out, _mm256_add_ps (acc0, acc1));
      for (int r = 0; r < MR && m + r < m1; r++)
        C[(gsize) (m + r) * ldc] = out[r];
    }
}
#endif

void
nd_cpu_gemm_run (const NdCpuPackedA *a, int m0, int m1, const float *B, int ldb, int n0, int n1,
                 float *C, int ldc)
{
#if HAVE_X86
  static __thread float bpanel[KC * NR] __attribute__((aligned (64)));
  int n_main, n_gemv, rest, n_blocks, mc;

  g_return_if_fail (m0 % MR == 0);
  if (n1 - n0 <= 2)
    {
      for (int n = n0; n < n1; n++)
        gemv_panels (a, m0, m1, B + n, ldb, C + n, ldc);
      return;
    }
  /* columns past the last whole 32-wide strip: 16-wide strips where they cover them at less
   * cost, the last ≤ 3 as matrix-vector products */
  n_main = n0 + (n1 - n0) / NR * NR;
  n_gemv = n1;
  rest = n1 - n_main;

  if (rest >= 24)
    n_main = n1;
  else if (rest <= 3 || (rest > 16 && rest - 16 <= 3))
    n_gemv = n_main + (rest > 16 ? 16 : 0);
  /* blocks of equal height: 512 rows as 2 × 256, not 384 + 128 (B's packing pays off over
   * every panel of a block) */
  n_blocks = (m1 - m0 + MC - 1) / MC;
  mc = ((m1 - m0 + n_blocks - 1) / n_blocks + MR - 1) / MR * MR;

  for (int mb = m0; mb < m1; mb += mc)
    {
      int mb1 = MIN (m1, mb + mc);

      for (int k0 = 0; k0 < a->K; k0 += KC)
        {
          int kc = MIN (KC, a->K - k0);

          for (int n = n0; n < n_gemv;)
            {
              gboolean narrow = n >= n_main;
              int w = MIN (narrow ? 16 : NR, (narrow ? n_gemv : n_main) - n);
              __mmask16 mk0 = w >= 16 ? 0xFFFF : (__mmask16) ((1u << w) - 1);
              __mmask16 mk1 = w >= 32 ? 0xFFFF
                              : (w > 16 ? (__mmask16) ((1u << (w - 16)) - 1) : 0);
              /* B's panel, copied contiguous: read in place, its kc rows lie a whole map
               * row apart (a 56² map: 12 KiB), one TLB page each */
              const float *bp = B + (gsize) k0 * ldb + n;

              if (mb1 - mb >= 16 * MR)
                {
                  pack_b (bpanel, B + (gsize) k0 * ldb + n, ldb, kc, mk0, mk1);
                  bp = bpanel;
                }
              for (int m = mb; m < mb1; m += MR)
                if (narrow)
                  ukernel16 (kc, a->data + ((gsize) (m / MR) * a->K + k0) * MR,
                             bp, bp == bpanel ? NR : ldb, C + (gsize) m * ldc + n, ldc, k0 > 0,
                             MIN (MR, mb1 - m), mk0);
                else if (w == NR && bp == bpanel)
                  ukernel_full (kc, a->data + ((gsize) (m / MR) * a->K + k0) * MR,
                                bp, C + (gsize) m * ldc + n, ldc, k0 > 0, MIN (MR, mb1 - m));
                else
                  ukernel_any (kc, a->data + ((gsize) (m / MR) * a->K + k0) * MR,
                           bp, bp == bpanel ? NR : ldb, C + (gsize) m * ldc + n, ldc, k0 > 0,
                           MIN (MR, mb1 - m), mk0, mk1);
              n += w;
            }
        }
    }
  for (int n = n_gemv; n < n1; n++)
    gemv_panels (a, m0, m1, B + n, ldb, C + n, ldc);
#else
  g_assert_not_reached ();
#endif
}
