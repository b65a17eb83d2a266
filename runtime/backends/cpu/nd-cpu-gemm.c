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
/* How far ahead (floats) the microkernels prefetch packed A. Its panels are consecutive, so
 * this runs into the next panel. A layer whose weights come from DRAM each run reads them in
 * its first strip of columns at a rate the hardware prefetchers did not keep up with: with
 * 4 KiB ahead a 4096² 1×1 on an 8² map (64 MB of weights) went 10.2 → 8.1–8.3 ms (one
 * thread); no change where A is in cache. Prefetching past the end of the array is harmless. */
#define PF_A 1024

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

/* The packed weights are K-block major: for each KC-deep block, every panel's kc × 8 values
 * in turn, so the rows one block of the GEMM multiplies lie in one contiguous run. Panel-major
 * ([panel][K][8]) put each panel's 6 KiB a whole panel apart: ~40 streams at once for a
 * row block, more than the prefetchers follow, on layers whose weights come from DRAM
 * every run (the 7×7 and 14² layers: ResNet-18's layer4 is 33 MB). */
static inline const float *
panel_at (const NdCpuPackedA *a, int p, int k0)
{
  int panels = (a->M + MR - 1) / MR, kc = MIN (KC, a->K - k0);

  return a->data + (gsize) k0 * panels * MR + (gsize) p * kc * MR;
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
  for (int k0 = 0; k0 < K; k0 += KC)
    for (int p = 0; p < panels; p++)
      {
        float *dst = (float *) panel_at (a, p, k0);

        for (int k = k0; k < MIN (K, k0 + KC); k++)
          for (int r = 0; r < MR; r++)
            {
              int m = p * MR + r;

              dst[(k - k0) * MR + r] = m < M ? A[(gsize) m * lda + k] : 0.0f;
            }
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
/* C[rows × 32] (masked columns) = or += Ap (kc × 8) · B (kc × 32); then, with @bias /
 * @add / @relu, the epilogue on the accumulators before the store (NdCpuGemmEp; @bias and
 * @add at this tile's first row and column) */
__attribute__((target ("avx512f"), always_inline)) static inline void
ukernel (int kc, const float *restrict Ap, const float *restrict B, int ldb, float *restrict C,
         int ldc, gboolean accumulate, int rows, __mmask16 k0, __mmask16 k1,
         const float *bias, const float *add, gboolean relu)
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

      _mm_prefetch ((const char *) (a + PF_A), _MM_HINT_T0);
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
      if (bias != NULL)                                                                     \
        {                                                                                   \
          v0 = _mm512_add_ps (v0, _mm512_set1_ps (bias[r]));                                \
          v1 = _mm512_add_ps (v1, _mm512_set1_ps (bias[r]));                                \
        }                                                                                   \
      if (add != NULL)                                                                      \
        {                                                                                   \
          v0 = _mm512_add_ps (v0, _mm512_maskz_loadu_ps (k0, add + (gsize) r * ldc));       \
          v1 = _mm512_add_ps (v1, _mm512_maskz_loadu_ps (k1, add + (gsize) r * ldc + 16));  \
        }                                                                                   \
      if (relu)                                                                             \
        {                                                                                   \
          v0 = _mm512_maskz_max_ps (0xFFFF, v0, _mm512_setzero_ps ());                      \
          v1 = _mm512_maskz_max_ps (0xFFFF, v1, _mm512_setzero_ps ());                      \
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
  ukernel (kc, Ap, B, NR, C, ldc, accumulate, rows, 0xFFFF, 0xFFFF, NULL, NULL, FALSE);
}

/* the last K block of a tile with an epilogue */
__attribute__((target ("avx512f"), noinline)) static void
ukernel_full_ep (int kc, const float *restrict Ap, const float *restrict B, float *restrict C,
                 int ldc, gboolean accumulate, int rows, const float *bias, const float *add,
                 gboolean relu)
{
  ukernel (kc, Ap, B, NR, C, ldc, accumulate, rows, 0xFFFF, 0xFFFF, bias, add, relu);
}

__attribute__((target ("avx512f"), noinline)) static void
ukernel_any (int kc, const float *restrict Ap, const float *restrict B, int ldb, float *restrict C,
             int ldc, gboolean accumulate, int rows, __mmask16 k0, __mmask16 k1)
{
  ukernel (kc, Ap, B, ldb, C, ldc, accumulate, rows, k0, k1, NULL, NULL, FALSE);
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

      _mm_prefetch ((const char *) (a + PF_A), _MM_HINT_T0);
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

/* At most 4 columns (@nc): C[rows × nc] = or += Ap (kc × 8) · B (kc × nc), with 256-bit
 * vectors down the panel's 8 rows, B broadcast, two sets of accumulators over even and odd k
 * against the FMA latency. A tail of 4 columns costs 2 cycles a k here, 8 as a masked 16-wide
 * strip; alone (N = 1: SE and classifier convs on 1×1 maps) it is a matrix-vector product. */
__attribute__((target ("avx512f,fma"), always_inline)) static inline void
narrow_cols (int kc, const float *restrict Ap, const float *restrict B, int ldb, int nc,
             float *restrict C, int ldc, gboolean accumulate, int rows)
{
  /* named accumulators, not an array: GCC kept an array of them on the stack, and every FMA
   * waited on a store and a reload (a 4-column tail of 196 took 16% of a 1×1 convolution's
   * time for 2% of its work) */
  __m256 e0 = _mm256_setzero_ps (), e1 = e0, e2 = e0, e3 = e0;
  __m256 o0 = e0, o1 = e0, o2 = e0, o3 = e0;
  float out[4][MR];
  int k = 0;

#define STEP(c0, c1, c2, c3, kk)                                                            \
  {                                                                                         \
    __m256 av = _mm256_load_ps (Ap + (kk) * MR);                                            \
    const float *b = B + (gsize) (kk) * ldb;                                                \
    c0 = _mm256_fmadd_ps (av, _mm256_set1_ps (b[0]), c0);                                   \
    if (nc > 1)                                                                             \
      c1 = _mm256_fmadd_ps (av, _mm256_set1_ps (b[1]), c1);                                 \
    if (nc > 2)                                                                             \
      c2 = _mm256_fmadd_ps (av, _mm256_set1_ps (b[2]), c2);                                 \
    if (nc > 3)                                                                             \
      c3 = _mm256_fmadd_ps (av, _mm256_set1_ps (b[3]), c3);                                 \
  }
  for (; k + 2 <= kc; k += 2)
    {
      STEP (e0, e1, e2, e3, k);
      STEP (o0, o1, o2, o3, k + 1);
    }
  if (k < kc)
    STEP (e0, e1, e2, e3, k);
#undef STEP
  _mm256_storeu_ps (out[0], _mm256_add_ps (e0, o0));
  _mm256_storeu_ps (out[1], _mm256_add_ps (e1, o1));
  _mm256_storeu_ps (out[2], _mm256_add_ps (e2, o2));
  _mm256_storeu_ps (out[3], _mm256_add_ps (e3, o3));
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < nc; j++)
      C[(gsize) r * ldc + j] = accumulate ? C[(gsize) r * ldc + j] + out[j][r] : out[j][r];
}

/* One column (a 7² map's 49th, or a whole 1×1 map): four chains over k, not two, or the
 * FMA latency sets the pace (a 49-column strip's last column cost 6 of its 32-wide strip's
 * columns) */
__attribute__((target ("avx512f,fma"))) static void
narrow_col1 (int kc, const float *restrict Ap, const float *restrict B, int ldb,
             float *restrict C, int ldc, gboolean accumulate, int rows)
{
  __m256 c0 = _mm256_setzero_ps (), c1 = c0, c2 = c0, c3 = c0;
  float out[MR];
  int k = 0;

  for (; k + 4 <= kc; k += 4)
    {
      c0 = _mm256_fmadd_ps (_mm256_load_ps (Ap + k * MR), _mm256_set1_ps (B[(gsize) k * ldb]), c0);
      c1 = _mm256_fmadd_ps (_mm256_load_ps (Ap + (k + 1) * MR),
                            _mm256_set1_ps (B[(gsize) (k + 1) * ldb]), c1);
      c2 = _mm256_fmadd_ps (_mm256_load_ps (Ap + (k + 2) * MR),
                            _mm256_set1_ps (B[(gsize) (k + 2) * ldb]), c2);
      c3 = _mm256_fmadd_ps (_mm256_load_ps (Ap + (k + 3) * MR),
                            _mm256_set1_ps (B[(gsize) (k + 3) * ldb]), c3);
    }
  for (; k < kc; k++)
    c0 = _mm256_fmadd_ps (_mm256_load_ps (Ap + k * MR), _mm256_set1_ps (B[(gsize) k * ldb]), c0);
  _mm256_storeu_ps (out, _mm256_add_ps (_mm256_add_ps (c0, c1), _mm256_add_ps (c2, c3)));
  for (int r = 0; r < rows; r++)
    C[(gsize) r * ldc] = accumulate ? C[(gsize) r * ldc] + out[r] : out[r];
}

/* one copy per column count, so the loops over columns unroll */
__attribute__((target ("avx512f,fma"), noinline)) static void
narrow_kernel (int kc, const float *restrict Ap, const float *restrict B, int ldb, int nc,
               float *restrict C, int ldc, gboolean accumulate, int rows)
{
  switch (nc)
    {
    case 1:
      narrow_col1 (kc, Ap, B, ldb, C, ldc, accumulate, rows);
      break;
    case 2:
      narrow_cols (kc, Ap, B, ldb, 2, C, ldc, accumulate, rows);
      break;
    case 3:
      narrow_cols (kc, Ap, B, ldb, 3, C, ldc, accumulate, rows);
      break;
    default:
      narrow_cols (kc, Ap, B, ldb, 4, C, ldc, accumulate, rows);
      break;
    }
}
#endif

/* The epilogue on a finished tile the other kernels left (ragged columns), while in L1 */
static void
tile_ep (const NdCpuGemmEp *ep, int m, int rows, int n, int cols, float *C, int ldc)
{
  for (int r = 0; r < rows; r++)
    {
      float *c = C + (gsize) r * ldc;
      const float *ad = ep->add != NULL ? ep->add + (gsize) (m + r) * ldc + n : NULL;
      float b = ep->bias != NULL ? ep->bias[m + r] : 0.0f;

      for (int j = 0; j < cols; j++)
        {
          float v = c[j] + b + (ad != NULL ? ad[j] : 0.0f);

          c[j] = ep->relu && v < 0.0f ? 0.0f : v;
        }
    }
}

void
nd_cpu_gemm_run (const NdCpuPackedA *a, int m0, int m1, const float *B, int ldb, int n0, int n1,
                 float *C, int ldc)
{
  nd_cpu_gemm_run_ep (a, m0, m1, B, ldb, n0, n1, C, ldc, NULL);
}

void
nd_cpu_gemm_run_ep (const NdCpuPackedA *a, int m0, int m1, const float *B, int ldb, int n0,
                    int n1, float *C, int ldc, const NdCpuGemmEp *ep)
{
#if HAVE_X86
  static __thread float bpanel[KC * NR] __attribute__((aligned (64)));
  int n_main, n_blocks, mc;

  g_return_if_fail (m0 % MR == 0);
  /* 32-wide strips up to n_main (the last one masked when ≥ 24 columns are left), then
   * 16-wide strips while more than 8 are left, then groups of ≤ 4 columns */
  n_main = n0 + (n1 - n0) / NR * NR;
  if (n1 - n_main >= 24)
    n_main = n1;
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

          for (int n = n0; n < n1;)
            {
              int left = n1 - n;
              int w = n < n_main ? MIN (NR, n_main - n) : left > 8 ? MIN (16, left) : MIN (4, left);
              __mmask16 mk0 = w >= 16 ? 0xFFFF : (__mmask16) ((1u << w) - 1);
              __mmask16 mk1 = w >= 32 ? 0xFFFF
                              : (w > 16 ? (__mmask16) ((1u << (w - 16)) - 1) : 0);
              /* B's panel, copied contiguous: read in place, its kc rows lie a whole map
               * row apart (a 56² map: 12 KiB), one TLB page each */
              const float *bp = B + (gsize) k0 * ldb + n;
              int ldp = ldb;

              if (w > 4 && mb1 - mb >= 4 * MR)
                {
                  pack_b (bpanel, bp, ldb, kc, mk0, mk1);
                  bp = bpanel;
                  ldp = NR;
                }
              for (int m = mb; m < mb1; m += MR)
                {
                  const float *Ap = panel_at (a, m / MR, k0);
                  float *Cp = C + (gsize) m * ldc + n;
                  int rows = MIN (MR, mb1 - m);
                  gboolean last = ep != NULL && k0 + kc == a->K;   /* the epilogue's turn */

                  if (w <= 4)
                    narrow_kernel (kc, Ap, bp, ldp, w, Cp, ldc, k0 > 0, rows);
                  else if (n >= n_main)
                    ukernel16 (kc, Ap, bp, ldp, Cp, ldc, k0 > 0, rows, mk0);
                  else if (w == NR && bp == bpanel && last)
                    {
                      ukernel_full_ep (kc, Ap, bp, Cp, ldc, k0 > 0, rows,
                                       ep->bias != NULL ? ep->bias + m : NULL,
                                       ep->add != NULL ? ep->add + (gsize) m * ldc + n : NULL,
                                       ep->relu);
                      continue;
                    }
                  else if (w == NR && bp == bpanel)
                    ukernel_full (kc, Ap, bp, Cp, ldc, k0 > 0, rows);
                  else
                    ukernel_any (kc, Ap, bp, ldp, Cp, ldc, k0 > 0, rows, mk0, mk1);
                  if (last)
                    tile_ep (ep, m, rows, n, w, Cp, ldc);
                }
              n += w;
            }
        }
    }
#else
  g_assert_not_reached ();
#endif
}
