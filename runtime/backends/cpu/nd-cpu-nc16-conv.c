/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cpu-nc16.h"
#include "nd-cpu-pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* The convolutions of the channel-blocked layout (nd-cpu-nc16.h): 1×1 and the stem, one
 * register tile of 12 positions × 32 channels. */

#define NP 12    /* positions a micro-tile: 12 × 32 channels in 24 accumulators */
#define KB 256   /* input channels a pass: a pair's weight panel (32 KiB) stays in L1 */

/* ---- 1×1 convolution ------------------------------------------------------------------ */

/* out[n][o][p] = bias[o] + Σ_c w[o][c] · x[n][c][p] with o in blocks of 32 (the last one 16
 * when O is an odd number of 16s): 12 positions a micro-tile, broadcast from the blocked input
 * where it lies (a position's 16 channels are one cache line: no packing pass; a first version
 * packed tiles of the input and lost 5 % to it), against weight vectors packed at prepare,
 * k-block major ([C / KB][pair][KB][32]: the panels one pass reads follow each other, one
 * stream for the layers whose weights come from DRAM). KB 128 and 256 measured alike on
 * VanillaNet-9. */
typedef struct
{
  NdCpuKernel parent;
  int         C, O, H, W;
  float      *w;      /* [C / KB][O / 32 rounded up][KB][32], zero past O */
  float      *bias;   /* [O + 16] */
  int         pb;     /* positions a task's range (a multiple of NP) */
} Conv1x1;

typedef struct
{
  Conv1x1        *k;
  const NdTensor *x;
  NdTensor       *y;
  int             tiles, n_pairs, q_parts, p_parts;
} Conv1x1Job;

#if HAVE_X86
/* acc (NPX positions × 16·NV channels) (+)= Σ_k x[k][i] · w[k][…], reading the blocked
 * input in place: @x at the tile's first position of channel block c0 / 16, @cs floats
 * between channel blocks; @first starts from the bias. Stores @np ≤ NPX positions of each of
 * the NV output blocks (@o0, @o1: [np][16]). */
#define C1_DIRECT(NV, NPX)                                                                    \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                            \
  c1_direct_##NV##_##NPX (int kc, const float *restrict w, const float *restrict x, gint64 cs, \
                  const float *bias, gboolean first, float *o0, float *o1, int np)            \
  {                                                                                           \
    __m512 a0[NPX], a1[NPX];                                                                  \
    __m512 b0 = first ? _mm512_loadu_ps (bias) : _mm512_setzero_ps ();                        \
    __m512 b1 = first && NV == 2 ? _mm512_loadu_ps (bias + 16) : _mm512_setzero_ps ();        \
                                                                                              \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NPX; i++)                                                             \
      {                                                                                       \
        a0[i] = b0;                                                                           \
        a1[i] = b1;                                                                           \
      }                                                                                       \
    for (int kb = 0; kb < kc; kb += 16, x += cs)                                              \
      for (int l = 0; l < 16; l++)                                                            \
        {                                                                                     \
          const float *wk = w + (kb + l) * 32;                                                \
          __m512 w0 = _mm512_load_ps (wk), w1 = _mm512_load_ps (wk + 16);                     \
                                                                                              \
          _mm_prefetch ((const char *) (wk + 1024), _MM_HINT_T0);                             \
                                                                                              \
          _Pragma ("GCC unroll 12")                                                           \
          for (int i = 0; i < NPX; i++)                                                       \
            {                                                                                 \
              __m512 b = _mm512_set1_ps (x[i * 16 + l]);                                      \
                                                                                              \
              a0[i] = _mm512_fmadd_ps (b, w0, a0[i]);                                         \
              if (NV == 2)                                                                    \
                a1[i] = _mm512_fmadd_ps (b, w1, a1[i]);                                       \
            }                                                                                 \
        }                                                                                     \
    if (!first)                                                                               \
      {                                                                                       \
        _Pragma ("GCC unroll 12")                                                             \
        for (int i = 0; i < NPX; i++)                                                         \
          if (i < np)                                                                         \
            {                                                                                 \
              a0[i] = _mm512_add_ps (a0[i], _mm512_load_ps (o0 + i * 16));                    \
              if (NV == 2)                                                                    \
                a1[i] = _mm512_add_ps (a1[i], _mm512_load_ps (o1 + i * 16));                  \
            }                                                                                 \
      }                                                                                       \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NPX; i++)                                                             \
      if (i < np)                                                                             \
        {                                                                                     \
          _mm512_store_ps (o0 + i * 16, a0[i]);                                               \
          if (NV == 2)                                                                        \
            _mm512_store_ps (o1 + i * 16, a1[i]);                                             \
        }                                                                                     \
  }

/* The stem's micro-kernel: the same with the 12 positions' inputs gathered into @xp,
 * [kc][12] (zeros where a window leaves the map) */
#define C1_PACKED(NV)                                                                         \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                            \
  c1_packed_##NV (int kc, const float *restrict w, const float *restrict xp,                  \
                  const float *bias, float *o0, float *o1, int np, gboolean relu)             \
  {                                                                                           \
    __m512 a0[NP], a1[NP];                                                                    \
    __m512 b0 = _mm512_loadu_ps (bias), z = _mm512_setzero_ps ();                             \
    __m512 b1 = NV == 2 ? _mm512_loadu_ps (bias + 16) : _mm512_setzero_ps ();                 \
                                                                                              \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NP; i++)                                                              \
      {                                                                                       \
        a0[i] = b0;                                                                           \
        a1[i] = b1;                                                                           \
      }                                                                                       \
    for (int k = 0; k < kc; k++)                                                              \
      {                                                                                       \
        __m512 w0 = _mm512_load_ps (w + k * 32), w1 = _mm512_load_ps (w + k * 32 + 16);       \
                                                                                              \
        _Pragma ("GCC unroll 12")                                                             \
        for (int i = 0; i < NP; i++)                                                          \
          {                                                                                   \
            __m512 b = _mm512_set1_ps (xp[k * NP + i]);                                       \
                                                                                              \
            a0[i] = _mm512_fmadd_ps (b, w0, a0[i]);                                           \
            if (NV == 2)                                                                      \
              a1[i] = _mm512_fmadd_ps (b, w1, a1[i]);                                         \
          }                                                                                   \
      }                                                                                       \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NP; i++)                                                              \
      if (i < np)                                                                             \
        {                                                                                     \
          _mm512_store_ps (o0 + i * 16, relu ? _mm512_maskz_max_ps (0xFFFF, a0[i], z) : a0[i]); \
          if (NV == 2)                                                                        \
            _mm512_store_ps (o1 + i * 16,                                                     \
                             relu ? _mm512_maskz_max_ps (0xFFFF, a1[i], z) : a1[i]);          \
        }                                                                                     \
  }

C1_PACKED (1)
C1_PACKED (2)
C1_DIRECT (1, 12)
C1_DIRECT (2, 12)
C1_DIRECT (1, 4)
C1_DIRECT (2, 4)
C1_DIRECT (1, 1)
C1_DIRECT (2, 1)
#endif

#if HAVE_X86
/* @np positions of output blocks ob (and ob + 1 when @nv is 2): 12 at a time, then 4, then 1
 * (never reading past the map: the last block's positions end the buffer) */
__attribute__((target ("avx512f"))) static void
c1_tile (int kc, const float *w, const float *x, gint64 cs, const float *bias, gboolean first,
         float *o0, float *o1, int nv, int np)
{
  for (int i = 0; i < np;)
    {
      int left = np - i;

      if (left >= 12)
        {
          if (nv == 2)
            c1_direct_2_12 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, o1 + i * 16, 12);
          else
            c1_direct_1_12 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, NULL, 12);
          i += 12;
        }
      else if (left >= 4)
        {
          if (nv == 2)
            c1_direct_2_4 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, o1 + i * 16, 4);
          else
            c1_direct_1_4 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, NULL, 4);
          i += 4;
        }
      else
        {
          if (nv == 2)
            c1_direct_2_1 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, o1 + i * 16, 1);
          else
            c1_direct_1_1 (kc, w, x + i * 16, cs, bias, first, o0 + i * 16, NULL, 1);
          i += 1;
        }
    }
}
#endif

/* Task: image n, pairs [q0, q1), tiles [t0, t1); per block of input channels, each weight
 * panel is loaded into L1 once and used by every tile of the range */
static void
c1_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  Conv1x1Job *j = data;
  Conv1x1 *k = j->k;
  gint64 HW = (gint64) k->H * k->W, q0, q1, t0, t1;
  int per_img = j->q_parts * j->p_parts, n = task / per_img, r = task % per_img;
  int tiles_per = k->pb / NP;
  const NdCpuEpilogue *ep = &k->parent.epilogue;

  nd_cpu_split (j->n_pairs, j->q_parts, r / j->p_parts, 1, &q0, &q1);
  t0 = (gint64) (r % j->p_parts) * tiles_per;
  t1 = MIN (j->tiles, t0 + tiles_per);
  for (int c0 = 0; c0 < k->C; c0 += KB)
    {
      int kc = MIN (KB, k->C - c0);
      gboolean last = c0 + kc == k->C;
      const float *x = j->x->data + (((gint64) n * (k->C / 16) + c0 / 16) * HW) * 16;

      for (gint64 q = q0; q < q1; q++)
        {
          int ob = (int) q * 2, nv = MIN (2, k->O / 16 - ob);
          /* k-block major: the pairs' panels of one block follow each other */
          const float *w = k->w + ((gint64) c0 * j->n_pairs + q * kc) * 32;
          float *y0 = j->y->data + (((gint64) n * (k->O / 16) + ob) * HW) * 16;
          float *y1 = nv == 2 ? y0 + HW * 16 : NULL;
          gint64 p0 = t0 * NP, p1 = MIN (HW, t1 * NP);

          c1_tile (kc, w, x + p0 * 16, HW * 16, k->bias + ob * 16, c0 == 0, y0 + p0 * 16,
                   y1 != NULL ? y1 + p0 * 16 : NULL, nv, (int) (p1 - p0));
          if (last && ep->n_steps > 0)
            for (int v = 0; v < nv; v++)
              nd_cpu_epilogue_apply_nc16 (ep, n, ob + v, k->O, HW, p0,
                                          (v == 0 ? y0 : y1) + p0 * 16, p1 - p0);
        }
    }
#else
  g_assert_not_reached ();
#endif
}

static void
c1_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Conv1x1 *k = (Conv1x1 *) kernel;
  gint64 HW = (gint64) k->H * k->W;
  int N = (int) in[0]->shape[0], T = nd_cpu_pool_n_threads ();
  Conv1x1Job j = { k, in[0], out, (int) ((HW + NP - 1) / NP), (k->O / 16 + 1) / 2, 1, 1 };

  /* positions in ranges of pb; the pairs split too until there are ≥ 3 tasks a thread */
  j.p_parts = (j.tiles + k->pb / NP - 1) / (k->pb / NP);
  while ((gint64) N * j.p_parts * j.q_parts < 3 * T && j.q_parts * 2 <= j.n_pairs)
    j.q_parts *= 2;
  nd_cpu_parallel_for (N * j.p_parts * j.q_parts, c1_task, &j);
}

static void
c1_free (NdCpuKernel *kernel)
{
  Conv1x1 *k = (Conv1x1 *) kernel;

  free (k->w);
  g_free (k->bias);
  g_free (k);
}

NdCpuKernel *
nd_cpu_nc16_conv1x1_new (const NdNode *node, const NdNode *a, int batch)
{
  Conv1x1 *k;
  int pairs = (node->out_c / 16 + 1) / 2;
  gint64 HW = (gint64) a->out_h * a->out_w;
  const float *w = node->w[ND_W_WEIGHT]->data;

  k = g_new0 (Conv1x1, 1);
  k->C = a->out_c;
  k->O = node->out_c;
  k->H = a->out_h;
  k->W = a->out_w;
  if (posix_memalign ((void **) &k->w, 64, (gsize) pairs * k->C * 32 * sizeof (float)) != 0)
    {
      g_free (k);
      return NULL;
    }
  for (int c0 = 0; c0 < k->C; c0 += KB)
    for (int q = 0; q < pairs; q++)
      for (int c = c0; c < MIN (k->C, c0 + KB); c++)
        for (int l = 0; l < 32; l++)
          {
            int o = q * 32 + l;

            k->w[((gsize) c0 * pairs + (gsize) q * MIN (KB, k->C - c0) + c - c0) * 32 + l] =
              o < k->O ? w[(gsize) o * k->C + c] : 0.0f;
          }
  k->bias = g_new0 (float, k->O + 16);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (k->bias, node->w[ND_W_BIAS]->data, k->O * sizeof (float));
  /* a layer with more than 4 MB of weights (VanillaNet's from 28²: up to 32 MB) or a small
   * map reads them once: all its positions in one range, split by output channels instead */
  k->pb = (gint64) k->O * k->C * 4 > (4 << 20) || HW <= 256 ? (int) ((HW + NP - 1) / NP * NP)
                                                              : 8 * NP;
  k->parent.algo = "nc16-1x1";
  k->parent.run = c1_run;
  k->parent.free = c1_free;
  k->parent.fuses_epilogue = TRUE;
  return &k->parent;
}

/* ---- stem ---------------------------------------------------------------------------- */

/* A convolution reading the model's input (NCHW, any channel count, any window) and writing
 * NC16: VanillaNet's 4×4 stride-4 patchify stem, ResNet's 7×7. For each tile of 12 output
 * positions of a row, its C·k² inputs are gathered into [C·k²][12] (zeros outside the map), and
 * every pair of output blocks multiplies them in registers: no im2col of the map, and the
 * region after it starts blocked without a conversion. Weights [pair][C·k²][32]. */
typedef struct
{
  NdCpuKernel parent;
  int         C, H, W, O, OH, OW, k, s, pad, K;
  float      *w;
  float      *bias;
  gsize       per_thread;
} Stem;

typedef struct
{
  Stem           *st;
  const NdTensor *x;
  NdTensor       *y;
  int             parts;
} StemJob;

static void
stem_gather (const Stem *st, const float *x, int oy, int ox, int np, float *xp)
{
  int k = 0;
  int iy0 = oy * st->s - st->pad, ix0 = ox * st->s - st->pad;

  if (np == NP && iy0 >= 0 && iy0 + st->k <= st->H && ix0 >= 0
      && ix0 + (NP - 1) * st->s + st->k <= st->W)
    {
      /* inside the map: no bounds (a patchify stem's every tile but a row's last) */
      for (int c = 0; c < st->C; c++)
        for (int ky = 0; ky < st->k; ky++)
          {
            const float *row = x + ((gint64) c * st->H + iy0 + ky) * st->W + ix0;

            for (int kx = 0; kx < st->k; kx++, k++)
              for (int i = 0; i < NP; i++)
                xp[k * NP + i] = row[i * st->s + kx];
          }
      return;
    }
  for (int c = 0; c < st->C; c++)
    for (int ky = 0; ky < st->k; ky++)
      {
        int iy = oy * st->s - st->pad + ky;
        const float *row = x + ((gint64) c * st->H + iy) * st->W;

        for (int kx = 0; kx < st->k; kx++, k++)
          for (int i = 0; i < NP; i++)
            {
              int ix = (ox + i) * st->s - st->pad + kx;

              xp[k * NP + i] = i < np && iy >= 0 && iy < st->H && ix >= 0 && ix < st->W
                               ? row[ix] : 0.0f;
            }
      }
}

static void
stem_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  StemJob *j = data;
  Stem *st = j->st;
  int pairs = (st->O / 16 + 1) / 2;
  gint64 rows = j->x->shape[0] * st->OH, r0, r1, HW = (gint64) st->OH * st->OW;
  float *xp = st->parent.scratch + (gsize) thread * st->per_thread;
  /* a lone ReLU (VanillaNet's, ResNet's) in the store, not as a pass over each small tile */
  gboolean relu = st->parent.epilogue.n_steps == 1
                  && st->parent.epilogue.steps[0].kind == ND_CPU_EP_RELU;

  nd_cpu_split (rows, j->parts, task, 1, &r0, &r1);
  for (gint64 r = r0; r < r1; r++)
    {
      int n = (int) (r / st->OH), oy = (int) (r % st->OH);
      const float *x = j->x->data + (gint64) n * st->C * st->H * st->W;

      for (int ox = 0; ox < st->OW; ox += NP)
        {
          int np = MIN (NP, st->OW - ox);
          gint64 p = (gint64) oy * st->OW + ox;

          stem_gather (st, x, oy, ox, np, xp);
          for (int q = 0; q < pairs; q++)
            {
              int ob = q * 2, nv = MIN (2, st->O / 16 - ob);
              float *y0 = j->y->data + (((gint64) n * (st->O / 16) + ob) * HW + p) * 16;
              const float *w = st->w + (gsize) q * st->K * 32;

              if (nv == 2)
                c1_packed_2 (st->K, w, xp, st->bias + ob * 16, y0, y0 + HW * 16, np, relu);
              else
                c1_packed_1 (st->K, w, xp, st->bias + ob * 16, y0, NULL, np, relu);
              if (st->parent.epilogue.n_steps > 0 && !relu)
                for (int v = 0; v < nv; v++)
                  nd_cpu_epilogue_apply_nc16 (&st->parent.epilogue, n, ob + v, st->O, HW, p,
                                              y0 + v * HW * 16, np);
            }
        }
    }
#else
  g_assert_not_reached ();
#endif
}

static void
stem_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Stem *st = (Stem *) kernel;
  gint64 rows = in[0]->shape[0] * st->OH;
  StemJob j = { st, in[0], out, (int) MIN (rows, 4 * nd_cpu_pool_n_threads ()) };

  nd_cpu_parallel_for (j.parts, stem_task, &j);
}

static void
stem_free (NdCpuKernel *kernel)
{
  Stem *st = (Stem *) kernel;

  free (st->w);
  g_free (st->bias);
  g_free (st);
}

NdCpuKernel *
nd_cpu_nc16_stem_new (const NdNode *node, const NdNode *a)
{
  Stem *st = g_new0 (Stem, 1);
  int pairs = (node->out_c / 16 + 1) / 2;
  const float *w = node->w[ND_W_WEIGHT]->data;

  st->C = a->out_c;
  st->H = a->out_h;
  st->W = a->out_w;
  st->O = node->out_c;
  st->OH = node->out_h;
  st->OW = node->out_w;
  st->k = node->p.kernel;
  st->s = node->p.stride;
  st->pad = node->p.pad;
  st->K = st->C * st->k * st->k;
  if (posix_memalign ((void **) &st->w, 64, (gsize) pairs * st->K * 32 * sizeof (float)) != 0)
    {
      g_free (st);
      return NULL;
    }
  /* w[o][c][ky][kx] is already [o][K] */
  for (int q = 0; q < pairs; q++)
    for (int kk = 0; kk < st->K; kk++)
      for (int l = 0; l < 32; l++)
        {
          int o = q * 32 + l;

          st->w[((gsize) q * st->K + kk) * 32 + l] = o < st->O ? w[(gsize) o * st->K + kk] : 0.0f;
        }
  st->bias = g_new0 (float, st->O + 16);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (st->bias, node->w[ND_W_BIAS]->data, st->O * sizeof (float));
  st->per_thread = (gsize) (st->K * NP + 15) / 16 * 16;
  st->parent.scratch_floats = (gsize) nd_cpu_pool_n_threads () * st->per_thread;
  st->parent.algo = "nc16-stem";
  st->parent.run = stem_run;
  st->parent.free = stem_free;
  st->parent.fuses_epilogue = TRUE;
  st->parent.nchw_in = TRUE;
  return &st->parent;
}
