/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

#define DW_ROWS 14   /* output rows per block of the AVX-512 stride-1 kernel */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#include "nd-cpu-dw-strip.h"
#else
#define HAVE_X86 0
#define CV 16
#endif

/* Direct depthwise k×k convolution (groups = C = O; VanillaNet's series activation is a 7×7
 * one): each output row accumulates k·k shifted input rows, the inner loop over output
 * columns contiguous for stride 1, so it vectorises; split across the pool by channel planes.
 * im2col would expand every plane k² times for a GEMM of one row. */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, OH, OW, k, s, pad;
  gboolean padded;   /* stride 1, k ∈ {3, 5, 7}: the specialised padded-plane path */
  gboolean avx512;   /* stride 1 or 2, k ∈ {3, 5, 7}: the AVX-512 register-accumulating path */
  float   *wt;       /* channel-vector path (narrow maps): weights [C / 16][k²][16], or NULL */
  gsize    scratch_per_thread;
} ConvDw;


typedef struct
{
  ConvDw         *dw;
  const NdNode   *node;
  const NdTensor *x;
  NdTensor       *y;
  int             n_tasks;
} DwJob;

/* Stride 1: the plane is first copied into a zero-padded buffer, then each output row is
 * Σ_ky Σ_kx w·xp[oy + ky][ox + kx] with no bounds checks; K is a compile-time constant in the
 * specialised copies (3, 5, 7) so the tap loop unrolls and the ox loop vectorises. */
#define DW_S1(K)                                                                              \
  ND_CPU_HOT static void                                                                      \
  dw_s1_k##K (const float *restrict xp, int Wp, const float *restrict w, float bias,          \
              float *restrict y, int OH, int OW)                                              \
  {                                                                                           \
    for (int oy = 0; oy < OH; oy++)                                                           \
      {                                                                                       \
        float *restrict row = y + (gint64) oy * OW;                                           \
                                                                                              \
        for (int ox = 0; ox < OW; ox++)                                                       \
          row[ox] = bias;                                                                     \
        for (int ky = 0; ky < K; ky++)                                                        \
          {                                                                                   \
            const float *src = xp + (gint64) (oy + ky) * Wp;                                  \
            const float *wk = w + ky * K;                                                     \
                                                                                              \
            for (int ox = 0; ox < OW; ox++)                                                   \
              {                                                                               \
                float acc = row[ox];                                                          \
                                                                                              \
                for (int kx = 0; kx < K; kx++)                                                \
                  acc += wk[kx] * src[ox + kx];                                               \
                row[ox] = acc;                                                                \
              }                                                                               \
          }                                                                                   \
      }                                                                                       \
  }

DW_S1 (3)
DW_S1 (5)
DW_S1 (7)

ND_CPU_HOT static void
dw_plane (const float *restrict x, const float *restrict w, float bias, float *restrict y, int H,
          int W, int OH, int OW, int k, int s, int pad)
{
  for (int oy = 0; oy < OH; oy++)
    {
      float *restrict row = y + (gint64) oy * OW;

      for (int ox = 0; ox < OW; ox++)
        row[ox] = bias;
      for (int ky = 0; ky < k; ky++)
        {
          int iy = oy * s - pad + ky;
          const float *src;

          if (iy < 0 || iy >= H)
            continue;
          src = x + (gint64) iy * W;
          for (int kx = 0; kx < k; kx++)
            {
              float wv = w[ky * k + kx];
              int off = kx - pad;
              /* output columns whose input column ox·s + off lies inside [0, W) */
              int lo = off >= 0 ? 0 : (-off + s - 1) / s;
              int hi = (W - 1 - off) < 0 ? 0 : (W - 1 - off) / s + 1;

              hi = MIN (hi, OW);
              for (int ox = lo; ox < hi; ox++)
                row[ox] += wv * src[ox * s + off];
            }
        }
    }
}

#if HAVE_X86
/* AVX-512, stride 2, 16 output columns per step: all k·k taps accumulate in registers, split
 * over k accumulators (one per kernel row) so no FMA waits on the previous one. The padded
 * input row under kernel row ky is split into its even columns (@src_e[ky]) and odd ones
 * (@src_o[ky]); tap (ky, kx) of output column ox reads src_e[ky][ox + kx / 2] (kx even) or
 * src_o[ky][ox + kx / 2] (kx odd): contiguous either way. */
static inline __attribute__((always_inline, target ("avx512f"), optimize ("O3"))) void
dw_row_avx512 (const float *const *src_e, const float *const *src_o, int K, const __m512 *wv,
               float bias, float *y, int OW)
{
  for (int ox = 0; ox < OW; ox += 16)
    {
      __mmask16 m = OW - ox >= 16 ? 0xFFFF : (__mmask16) ((1u << (OW - ox)) - 1);
      __m512 acc[7];

#pragma GCC unroll 7
      for (int ky = 0; ky < K; ky++)
        {
          acc[ky] = ky == 0 ? _mm512_set1_ps (bias) : _mm512_setzero_ps ();
#pragma GCC unroll 7
          for (int kx = 0; kx < K; kx++)
            {
              const float *s = ((kx & 1) ? src_o[ky] : src_e[ky]) + kx / 2;

              acc[ky] = _mm512_fmadd_ps (wv[ky * K + kx], _mm512_maskz_loadu_ps (m, s + ox),
                                         acc[ky]);
            }
        }
#pragma GCC unroll 7
      for (int ky = 1; ky < K; ky++)
        acc[0] = _mm512_add_ps (acc[0], acc[ky]);
      _mm512_mask_storeu_ps (y + ox, m, acc[0]);
    }
}

/* acc += w[t] (broadcast) · v. GCC: one FMA with the weight as an embedded broadcast from
 * w + 4t, w in one register; t is a constant once the loops unroll. An "m" operand per
 * weight instead made GCC keep 49 addresses, spilled to the stack and reloaded before each
 * FMA (nd-bench-conv "vanillanet dw7 56", 2 threads, 4 alternating runs: 1.64–2.04 →
 * 1.51–1.88 ms). Clang wants an "i" operand constant before unrolling: the intrinsic there. */
#if defined(__clang__)
#define DW_FMA(acc, v, w, t, K) (acc) = _mm512_fmadd_ps (_mm512_set1_ps ((w)[t]), (v), (acc))
#else
#define DW_FMA(acc, v, w, t, K)                                                               \
  __asm__ ("vfmadd231ps %c[off](%[wp])%{1to16%}, %[x], %[a]"                                  \
           : [a] "+v" (acc)                                                                   \
           : [x] "v" (v), [wp] "r" (w), [off] "i" (4 * (t)),                                  \
             "m" (*(const float (*)[(K) * (K)]) (w)))
#endif

/* Stride 1, AVX-512: a block of DW_ROWS output rows × 16 columns at a time. Each input
 * vector is loaded once and feeds every output row of the block its kernel row reaches
 * (up to k of them), the weight coming as an embedded broadcast of its float: 392 FMAs to
 * 98 vector loads for 7×7, where one output row at a time loads an input vector and a
 * weight vector per FMA (both from memory: 49 weights do not fit in registers) and ran at
 * a third of the speed (measured, 512 × 56² planes). Eight rows keep eight independent
 * accumulators in flight against the FMA latency. @xp is the zero-padded plane, @ld floats
 * a row, with DW_ROWS − 1 readable rows past the last one the outputs need. */
#define DW_S1_AVX512(K)                                                                       \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                           \
  dw_s1_avx512_k##K (const float *xp, int ld, const float *w, float bias, float *y, int OH,   \
                     int OW)                                                                  \
  {                                                                                           \
    for (int oy = 0; oy < OH; oy += DW_ROWS)                                                  \
      for (int ox = 0; ox < OW; ox += 16)                                                     \
        {                                                                                     \
          __mmask16 m = OW - ox >= 16 ? 0xFFFF : (__mmask16) ((1u << (OW - ox)) - 1);        \
          __m512 acc[DW_ROWS];                                                                \
                                                                                              \
          _Pragma ("GCC unroll 20")                                                           \
          for (int r = 0; r < DW_ROWS; r++)                                                   \
            acc[r] = _mm512_set1_ps (bias);                                                   \
          _Pragma ("GCC unroll 20")                                                           \
          for (int i = 0; i < DW_ROWS + K - 1; i++)                                           \
            {                                                                                 \
              const float *src = xp + (gint64) (oy + i) * ld + ox;                            \
                                                                                              \
              _Pragma ("GCC unroll 7")                                                        \
              for (int kx = 0; kx < K; kx++)                                                  \
                {                                                                             \
                  __m512 v = _mm512_maskz_loadu_ps (m, src + kx);                             \
                                                                                              \
                  _Pragma ("GCC unroll 14")                                                   \
                  for (int r = 0; r < DW_ROWS; r++)                                           \
                    if (i - r >= 0 && i - r < K)                                              \
                      DW_FMA (acc[r], v, w, (i - r) * K + kx, K);                             \
                }                                                                             \
            }                                                                                 \
          _Pragma ("GCC unroll 20")                                                           \
          for (int r = 0; r < DW_ROWS; r++)                                                   \
            if (oy + r < OH)                                                                  \
              _mm512_mask_storeu_ps (y + (gint64) (oy + r) * OW + ox, m, acc[r]);             \
        }                                                                                     \
  }

DW_S1_AVX512 (3)
DW_S1_AVX512 (5)
DW_S1_AVX512 (7)

/* Stride 2, one plane: @xe and @xo are the even and odd columns of the zero-padded input,
 * @ld floats per row. */
#define DW_S2_AVX512(K)                                                                       \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                           \
  dw_s2_avx512_k##K (const float *xe, const float *xo, int ld, const float *w, float bias,     \
                     float *y, int OH, int OW)                                                \
  {                                                                                           \
    __m512 wv[K * K];                                                                         \
                                                                                              \
    for (int t = 0; t < K * K; t++)                                                           \
      wv[t] = _mm512_set1_ps (w[t]);                                                          \
    for (int oy = 0; oy < OH; oy++)                                                           \
      {                                                                                       \
        const float *re[K], *ro[K];                                                           \
                                                                                              \
        for (int ky = 0; ky < K; ky++)                                                        \
          {                                                                                   \
            re[ky] = xe + (gint64) (oy * 2 + ky) * ld;                                        \
            ro[ky] = xo + (gint64) (oy * 2 + ky) * ld;                                        \
          }                                                                                   \
        dw_row_avx512 (re, ro, K, wv, bias, y + (gint64) oy * OW, OW);                        \
      }                                                                                       \
  }

DW_S2_AVX512 (3)
DW_S2_AVX512 (5)
DW_S2_AVX512 (7)

/* Stride 1, 16 channels a vector: the group's planes are transposed (16 × 16 blocks in
 * registers) into a zero-padded [Hp][Wr][16] buffer, each output row is computed in strips
 * (nd_cpu_dw_cv_strip), and the [OH][OWr][16] result is transposed back; use_cvec() says for which
 * sizes. @x, @y: the group's first plane; @nc ≤ 16 channels; @wt: the group's [k²][16]
 * weights. */
__attribute__((target ("avx512f"), optimize ("O3"))) static void
dw_cvec_group (const ConvDw *dw, const float *x, const float *wt, const float *bias, int nc,
               float *y, float *xt)
{
  int k = dw->k, pad = dw->pad, T = nd_cpu_dw_cv_strip (dw->OW);
  int OWr = (dw->OW + T - 1) / T * T, Wr = OWr + k - 1, Hp = dw->OH + k - 1;
  gint64 in_plane = (gint64) dw->H * dw->W, out_plane = (gint64) dw->OH * dw->OW;
  gint64 ld = (gint64) Wr * CV;
  float *ot = xt + (gsize) Hp * ld;
  __m512 bv = _mm512_setzero_ps ();

  /* rows and columns of padding, and the strip's overhang past the right edge */
  memset (xt, 0, (gsize) pad * ld * sizeof (float));
  for (int iy = 0; iy < Hp - pad; iy++)
    {
      float *row = xt + (gint64) (iy + pad) * ld;

      if (iy >= dw->H)
        {
          memset (row, 0, ld * sizeof (float));
          continue;
        }
      memset (row, 0, (gsize) pad * CV * sizeof (float));
      memset (row + (gint64) (dw->W + pad) * CV, 0, (gsize) (Wr - dw->W - pad) * CV * sizeof (float));
      for (int ix = 0; ix < dw->W; ix += 16)
        {
          int n = MIN (16, dw->W - ix);
          __mmask16 m = (__mmask16) ((1u << n) - 1);
          __m512 r[16];

          for (int c = 0; c < 16; c++)
            r[c] = c < nc ? _mm512_maskz_loadu_ps (m, x + c * in_plane + (gint64) iy * dw->W + ix)
                          : _mm512_setzero_ps ();
          transpose16 (r);
          for (int i = 0; i < n; i++)
            _mm512_store_ps (row + (gint64) (ix + pad + i) * CV, r[i]);
        }
    }
  if (bias != NULL)
    bv = _mm512_maskz_loadu_ps ((__mmask16) ((1u << nc) - 1), bias);
  nd_cpu_dw_cv_rows (k, T, xt, (int) ld, wt, bv, ot, OWr * CV, dw->OH, OWr);
  for (int oy = 0; oy < dw->OH; oy++)
    for (int ox = 0; ox < dw->OW; ox += 16)
      {
        int n = MIN (16, dw->OW - ox);
        __mmask16 m = (__mmask16) ((1u << n) - 1);
        __m512 r[16];

        for (int i = 0; i < 16; i++)
          r[i] = i < n ? _mm512_load_ps (ot + ((gint64) oy * OWr + ox + i) * CV)
                       : _mm512_setzero_ps ();
        transpose16 (r);
        for (int c = 0; c < nc; c++)
          _mm512_mask_storeu_ps (y + c * out_plane + (gint64) oy * dw->OW + ox, m, r[c]);
      }
}

/* ev[i] = x[2i], od[i] = x[2i + 1] for the @n values of @x. */
__attribute__((target ("avx512f"))) static void
deinterleave (const float *restrict x, int n, float *restrict ev, float *restrict od)
{
  const __m512i ie = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i io = _mm512_add_epi32 (ie, _mm512_set1_epi32 (1));
  int i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512 a = _mm512_loadu_ps (x + i), b = _mm512_loadu_ps (x + i + 16);

      _mm512_storeu_ps (ev + i / 2, _mm512_permutex2var_ps (a, ie, b));
      _mm512_storeu_ps (od + i / 2, _mm512_permutex2var_ps (a, io, b));
    }
  for (; i < n; i++)
    (i & 1 ? od : ev)[i / 2] = x[i];
}

/* Copies plane @x (H × W) into the zero-padded scratch: stride 1 one plane of (H + 2·pad) ×
 * (W + 2·pad); stride 2 two planes, even and odd padded columns, (W + 2·pad + 1) / 2 wide.
 * Returns the row length. */
static int
dw_pad_plane (const ConvDw *dw, const float *x, float *xe, float **xo)
{
  int Hp = dw->H + 2 * dw->pad, Wp = dw->W + 2 * dw->pad;

  if (dw->s == 1)
    {
      /* DW_ROWS − 1 rows past the padded plane: read for rows of the last block past OH */
      memset (xe, 0, (gsize) (Hp + DW_ROWS - 1) * Wp * sizeof (float));
      for (int r = 0; r < dw->H; r++)
        memcpy (xe + (gint64) (r + dw->pad) * Wp + dw->pad, x + (gint64) r * dw->W,
                dw->W * sizeof (float));
      *xo = NULL;
      return Wp;
    }
  else
    {
      int ld = (Wp + 1) / 2;

      *xo = xe + (gsize) Hp * ld;
      memset (xe, 0, (gsize) 2 * Hp * ld * sizeof (float));
      for (int r = 0; r < dw->H; r++)
        {
          float *re = xe + (gint64) (r + dw->pad) * ld, *ro = *xo + (gint64) (r + dw->pad) * ld;
          const float *src = x + (gint64) r * dw->W;

          /* padded column c + pad: input x[2i] lands in the even plane for an even pad */
          if (dw->pad % 2 == 0)
            deinterleave (src, dw->W, re + dw->pad / 2, ro + dw->pad / 2);
          else
            deinterleave (src, dw->W, ro + (dw->pad - 1) / 2, re + (dw->pad + 1) / 2);
        }
      return ld;
    }
}
#endif

/* The channel-vector path: units of 16 channels of one image */
static void
dw_cvec_task (DwJob *j, int task, int thread)
{
#if HAVE_X86
  ConvDw *dw = j->dw;
  const NdTensor *b = j->node->w[ND_W_BIAS];
  int groups = (dw->C + CV - 1) / CV;
  gint64 in_plane = (gint64) dw->H * dw->W, out_plane = (gint64) dw->OH * dw->OW, u0, u1;
  float *xt = dw->parent.scratch + (gsize) thread * dw->scratch_per_thread;

  nd_cpu_split (j->x->shape[0] * groups, j->n_tasks, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      int n = u / groups, c0 = (u % groups) * CV, nc = MIN (CV, dw->C - c0);
      gint64 pl = (gint64) n * dw->C + c0;
      float *y = j->y->data + pl * out_plane;

      dw_cvec_group (dw, j->x->data + pl * in_plane, dw->wt + (gsize) c0 * dw->k * dw->k,
                     b != NULL ? b->data + c0 : NULL, nc, y, xt);
      if (dw->parent.epilogue.n_steps > 0)
        for (int c = 0; c < nc; c++)
          nd_cpu_epilogue_apply (&dw->parent.epilogue, n, c0 + c, dw->C, out_plane, 0,
                                 y + c * out_plane, out_plane);
    }
#else
  (void) j, (void) task, (void) thread;
  g_assert_not_reached ();
#endif
}

static void
dw_task (gpointer data, int task, int thread)
{
  DwJob *j = data;
  ConvDw *dw = j->dw;
  const NdTensor *b = j->node->w[ND_W_BIAS];
  gint64 planes = j->x->shape[0] * dw->C, p0, p1;
  gint64 in_plane = (gint64) dw->H * dw->W, out_plane = (gint64) dw->OH * dw->OW;

  if (dw->wt != NULL)
    {
      dw_cvec_task (j, task, thread);
      return;
    }
  nd_cpu_split (planes, j->n_tasks, task, 1, &p0, &p1);
  for (gint64 pl = p0; pl < p1; pl++)
    {
      int n = pl / dw->C, c = pl % dw->C;
      float *y = j->y->data + pl * out_plane;

      const float *x = j->x->data + pl * in_plane;
      const float *w = j->node->w[ND_W_WEIGHT]->data + (gint64) c * dw->k * dw->k;
      float bv = b != NULL ? b->data[c] : 0.0f;

#if HAVE_X86
      if (dw->avx512)
        {
          float *xe = dw->parent.scratch + (gsize) thread * dw->scratch_per_thread, *xo;
          int ld = dw_pad_plane (dw, x, xe, &xo);

          if (xo == NULL && dw->k == 3)
            dw_s1_avx512_k3 (xe, ld, w, bv, y, dw->OH, dw->OW);
          else if (xo == NULL && dw->k == 5)
            dw_s1_avx512_k5 (xe, ld, w, bv, y, dw->OH, dw->OW);
          else if (xo == NULL)
            dw_s1_avx512_k7 (xe, ld, w, bv, y, dw->OH, dw->OW);
          else if (dw->k == 3)
            dw_s2_avx512_k3 (xe, xo, ld, w, bv, y, dw->OH, dw->OW);
          else if (dw->k == 5)
            dw_s2_avx512_k5 (xe, xo, ld, w, bv, y, dw->OH, dw->OW);
          else
            dw_s2_avx512_k7 (xe, xo, ld, w, bv, y, dw->OH, dw->OW);
        }
      else
#endif
      if (dw->padded)
        {
          int Hp = dw->H + 2 * dw->pad, Wp = dw->W + 2 * dw->pad;
          float *xp = dw->parent.scratch + (gsize) thread * Hp * Wp;

          memset (xp, 0, (gsize) Hp * Wp * sizeof (float));
          for (int r = 0; r < dw->H; r++)
            memcpy (xp + (gint64) (r + dw->pad) * Wp + dw->pad, x + (gint64) r * dw->W,
                    dw->W * sizeof (float));
          if (dw->k == 3)
            dw_s1_k3 (xp, Wp, w, bv, y, dw->OH, dw->OW);
          else if (dw->k == 5)
            dw_s1_k5 (xp, Wp, w, bv, y, dw->OH, dw->OW);
          else
            dw_s1_k7 (xp, Wp, w, bv, y, dw->OH, dw->OW);
        }
      else
        dw_plane (x, w, bv, y, dw->H, dw->W, dw->OH, dw->OW, dw->k, dw->s, dw->pad);
      if (dw->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply (&dw->parent.epilogue, n, c, dw->C, out_plane, 0, y, out_plane);
    }
}

static void
dw_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvDw *dw = (ConvDw *) kernel;
  DwJob j = { dw, node, in[0], out, 1 };
  gint64 planes = in[0]->shape[0] * dw->C;

  if (dw->wt != NULL)
    planes = in[0]->shape[0] * ((dw->C + CV - 1) / CV);   /* units of 16 channels */
  if (out->numel * dw->k * dw->k >= 32768)
    j.n_tasks = (int) MIN (planes, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.n_tasks, dw_task, &j);
}

static void
dw_free (NdCpuKernel *kernel)
{
  g_free (((ConvDw *) kernel)->wt);
  g_free (kernel);
}

float *
nd_cpu_dw_weights16 (const float *w, int C, int kk)
{
  float *wt = g_new0 (float, (gsize) (C + 15) / 16 * 16 * kk);

  for (int c = 0; c < C; c++)
    for (int t = 0; t < kk; t++)
      wt[((gsize) (c / 16) * kk + t) * 16 + c % 16] = w[(gsize) c * kk + t];
  return wt;
}

/* The channel-vector path or the plane path for a stride-1 layer (ND_CPU_DW_CVEC=0|1 forces
 * one, for nd-bench-conv) */
static gboolean
use_cvec (const ConvDw *dw)
{
  const char *force = g_getenv ("ND_CPU_DW_CVEC");

  if (g_getenv ("ND_CPU_NO_DW_CVEC") != NULL)
    return FALSE;
  if (force != NULL)
    return atoi (force) != 0;
  /* nd-bench-conv, 2 threads, 3 alternating rounds of 31 runs, medians (plane → vector):
   * 7×7 kernels on 7² 0.35 → 0.12 ms, 14² 0.23–0.30 → 0.18–0.21, 28² even (0.19–0.36 →
   * 0.17–0.31), 56² even (0.91–0.94 → 0.75–0.99: the transposes cost what the strips
   * save); 3×3 on 7² 0.031 → 0.016, 14² even, 56² and 112² the planes ahead (0.098 →
   * 0.115, 0.083 → 0.098). */
  return dw->OW <= 8 || (dw->k == 7 && dw->OW <= 28);
}

NdCpuKernel *
nd_cpu_conv_dw_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  ConvDw *dw;
  const char *forced = nd_cpu_conv_forced_algo ();

  if (node->op != ND_OP_CONV2D)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  if (node->p.groups != a->out_c || node->out_c != a->out_c || node->p.groups == 1
      || !nd_op_is_square (&node->p, node->p.kernel, node->p.pad))
    return NULL;   /* a non-square depthwise kernel takes im2col+sgemm */
  if (forced != NULL && !g_str_equal (forced, "dw-direct"))
    return NULL;
  dw = g_new0 (ConvDw, 1);
  dw->C = a->out_c;
  dw->H = a->out_h;
  dw->W = a->out_w;
  dw->OH = node->out_h;
  dw->OW = node->out_w;
  dw->k = node->p.kernel;
  dw->s = node->p.stride;
  dw->pad = node->p.pad;
  dw->padded = dw->s == 1 && (dw->k == 3 || dw->k == 5 || dw->k == 7);
  /* the output must lie inside the padded plane (pad ≤ k − 1, the usual k / 2) */
  dw->avx512 = nd_cpu_gemm_supported () && (dw->s == 1 || dw->s == 2)
               && (dw->k == 3 || dw->k == 5 || dw->k == 7) && dw->pad < dw->k
               && g_getenv ("ND_CPU_NO_DW_AVX512") == NULL;
  if (dw->avx512)
    dw->padded = FALSE;
  dw->scratch_per_thread = (gsize) (dw->H + 2 * dw->pad + DW_ROWS) * (dw->W + 2 * dw->pad + 1);
  if (dw->avx512 && dw->s == 1 && use_cvec (dw))
    {
      int kk = dw->k * dw->k, T = nd_cpu_dw_cv_strip (dw->OW);
      int OWr = (dw->OW + T - 1) / T * T;
      const float *w = node->w[ND_W_WEIGHT]->data;

      dw->wt = nd_cpu_dw_weights16 (w, dw->C, kk);
      /* the padded input, then the output rows */
      dw->scratch_per_thread = (gsize) ((dw->OH + dw->k - 1) * (OWr + dw->k - 1)
                                        + dw->OH * OWr) * CV;
    }
  /* whole cache lines a thread: the channel-vector path's loads are aligned */
  dw->scratch_per_thread = (dw->scratch_per_thread + 15) / 16 * 16;
  if (dw->padded || dw->avx512)
    dw->parent.scratch_floats = (gsize) nd_cpu_pool_n_threads () * dw->scratch_per_thread;
  dw->parent.algo = "dw-direct";
  dw->parent.run = dw_run;
  dw->parent.free = dw_free;
  dw->parent.fuses_epilogue = TRUE;
  return &dw->parent;
}
