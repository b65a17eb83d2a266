/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* GCC 12's AVX-512 unpack intrinsics pass an "undefined" vector (__Y = __Y) that its
 * -Wmaybe-uninitialized reports once inlined at -O3 (GCC bug 105593) */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Direct stride-2 convolution with output channels in the vectors ("direct-oc"), the register
 * blocking of the channel-blocked engines (oneDNN, MLAS's NCHWc kernels) on a plain NCHW
 * map. A block is P output pixels of one row × V vectors of 16 output channels (3 × 7: 21
 * accumulators): each tap loads V weight vectors (packed at prepare as
 * [g][O / 16V][C][k][k][16V]) and broadcasts P input values, whatever the stride, so there
 * is no column matrix, no half-planes and no masked loads. The input is first copied into
 * zero-padded planes (the borders need no tests); the block is stored through a small
 * transpose, then the epilogue runs on each (channel block, row) unit written. AVX-512 only. */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, OH, OW, k, pad, g;
  int Cg, Og;       /* channels a group */
  int Hp, Wp;       /* padded planes */
  int V, P;         /* register block: V vectors of output channels × P pixels */
  int n_ob;         /* output-channel blocks of 16·V a group */
  float *wp;        /* packed weights, [g][n_ob][Cg][k][k][16V], zero padded */
  float *bias;      /* [g][n_ob · 16V], zeros without a bias */
} ConvOcv;

typedef struct
{
  ConvOcv     *co;
  const float *x;   /* this image */
  float       *y;
  int          n, n_tasks;
} OcvJob;

#if HAVE_X86
/* Pixels 0–7 of a block, pixel p's 16 channels in r[p], stored as 16 channel rows of @np
 * pixels (channel c at y + c·@cs, c < @nch): an 8 × 8 transpose in each half of the
 * registers (unpack, shuffle), then the 128-bit lanes paired up. Storing the accumulators to
 * a buffer and copying each channel's pixels out one by one took ~11 % of a block. */
static inline __attribute__((always_inline, target ("avx512f"))) void
store_t8 (const __m512 *r, int np, int nch, float *y, gsize cs)
{
  __m512 t0 = _mm512_unpacklo_ps (r[0], r[1]), t1 = _mm512_unpackhi_ps (r[0], r[1]);
  __m512 t2 = _mm512_unpacklo_ps (r[2], r[3]), t3 = _mm512_unpackhi_ps (r[2], r[3]);
  __m512 t4 = _mm512_unpacklo_ps (r[4], r[5]), t5 = _mm512_unpackhi_ps (r[4], r[5]);
  __m512 t6 = _mm512_unpacklo_ps (r[6], r[7]), t7 = _mm512_unpackhi_ps (r[6], r[7]);
  /* s[j], 128-bit lane q: channel 4q + j, pixels 0–3; s[j + 4]: its pixels 4–7 */
  __m512 s[8] = {
    _mm512_shuffle_ps (t0, t2, 0x44), _mm512_shuffle_ps (t0, t2, 0xEE),
    _mm512_shuffle_ps (t1, t3, 0x44), _mm512_shuffle_ps (t1, t3, 0xEE),
    _mm512_shuffle_ps (t4, t6, 0x44), _mm512_shuffle_ps (t4, t6, 0xEE),
    _mm512_shuffle_ps (t5, t7, 0x44), _mm512_shuffle_ps (t5, t7, 0xEE),
  };
  __mmask16 lo = (__mmask16) ((1u << np) - 1), hi = (__mmask16) (lo << 8);

#pragma GCC unroll 4
  for (int j = 0; j < 4; j++)
    {
      /* channels j (floats 0–7) and 4 + j (8–15); then 8 + j and 12 + j */
      __m512 a = _mm512_shuffle_f32x4 (s[j], s[j + 4], _MM_SHUFFLE (1, 0, 1, 0));
      __m512 b = _mm512_shuffle_f32x4 (s[j], s[j + 4], _MM_SHUFFLE (3, 2, 3, 2));

      a = _mm512_shuffle_f32x4 (a, a, _MM_SHUFFLE (3, 1, 2, 0));
      b = _mm512_shuffle_f32x4 (b, b, _MM_SHUFFLE (3, 1, 2, 0));
      /* the upper half's lanes stored 8 floats early: lanes 8–15 land on the row's start */
      if (j < nch)
        _mm512_mask_storeu_ps (y + j * cs, lo, a);
      if (4 + j < nch)
        _mm512_mask_storeu_ps (y + (4 + j) * cs - 8, hi, a);
      if (8 + j < nch)
        _mm512_mask_storeu_ps (y + (8 + j) * cs, lo, b);
      if (12 + j < nch)
        _mm512_mask_storeu_ps (y + (12 + j) * cs - 8, hi, b);
    }
}

/* One block: 16V output channels (weights @w, @bias; the first at @y) × pixels [ox, ox + P)
 * of output row @oy, from the group's padded planes @xp; stored for the @nv valid channels
 * and @np valid pixels. */
static inline __attribute__((always_inline, target ("avx512f"), optimize ("O3"))) void
ocv_block (const ConvOcv *co, const float *xp, const float *w, const float *bias, int oy,
           int ox, int V, int P, int nv, int np, float *y)
{
  const int k = co->k;
  __m512 acc[4][28];

#pragma GCC unroll 4
  for (int v = 0; v < V; v++)
    {
      __m512 b = _mm512_load_ps (bias + 16 * v);

#pragma GCC unroll 28
      for (int p = 0; p < P; p++)
        acc[v][p] = b;
    }
  for (int c = 0; c < co->Cg; c++)
    for (int ky = 0; ky < k; ky++)
      {
        const float *row = xp + ((gsize) c * co->Hp + 2 * oy + ky) * co->Wp + 2 * ox;

        for (int kx = 0; kx < k; kx++, w += 16 * V)
          {
            __m512 wv[4];

#pragma GCC unroll 4
            for (int v = 0; v < V; v++)
              wv[v] = _mm512_load_ps (w + 16 * v);
#pragma GCC unroll 28
            for (int p = 0; p < P; p++)
              {
                __m512 xb = _mm512_set1_ps (row[2 * p + kx]);

#pragma GCC unroll 4
                for (int v = 0; v < V; v++)
                  acc[v][p] = _mm512_fmadd_ps (wv[v], xb, acc[v][p]);
              }
          }
      }
  /* transposed eight pixels at a time: each channel's run of pixels in one store */
#pragma GCC unroll 4
  for (int v = 0; v < V; v++)
#pragma GCC unroll 4
    for (int g = 0; g < (P + 7) / 8; g++)
      {
        __m512 r[8];

#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
          r[i] = 8 * g + i < P ? acc[v][8 * g + i] : _mm512_setzero_ps ();
        if (np > 8 * g && nv > 16 * v)
          store_t8 (r, MIN (8, np - 8 * g), MIN (16, nv - 16 * v),
                    y + ((gsize) (16 * v) * co->OH + oy) * co->OW + ox + 8 * g,
                    (gsize) co->OH * co->OW);
      }
}

/* Units [u0, u1) of (channel block, output row) pairs, u = block · OH + row: a task's
 * rows of one block share its weights. V, P constant in each copy: the accumulators stay
 * in registers. */
#define OCV_ROWS(V, P)                                                                        \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                           \
  ocv_rows_##V##_##P (const ConvOcv *co, const float *xp, gint64 u0, gint64 u1, float *y)   \
  {                                                                                           \
    for (gint64 u = u0; u < u1; u++)                                                          \
      {                                                                                       \
        int b = u / co->OH, oy = u % co->OH;                                                  \
        int grp = b / co->n_ob, ob = b % co->n_ob, nv = MIN (16 * V, co->Og - ob * 16 * V);   \
        const float *w = co->wp + (gsize) b * co->Cg * co->k * co->k * 16 * V;                \
        const float *xg = xp + (gsize) grp * co->Cg * co->Hp * co->Wp;                        \
        float *yb = y + (gsize) (grp * co->Og + ob * 16 * V) * co->OH * co->OW;               \
                                                                                              \
        for (int ox = 0; ox < co->OW; ox += P)                                                \
          ocv_block (co, xg, w, co->bias + b * 16 * V, oy, ox, V, P, nv,                      \
                     MIN (P, co->OW - ox), yb);                                               \
      }                                                                                       \
  }

OCV_ROWS (1, 24)
OCV_ROWS (2, 14)
OCV_ROWS (3, 7)
#endif

/* The zero-padded copy of a share of the input's channels */
static void
pad_task (gpointer data, int task, int thread)
{
  OcvJob *j = data;
  ConvOcv *co = j->co;
  gint64 b, e;

  nd_cpu_split (co->C, j->n_tasks, task, 1, &b, &e);
  for (gint64 c = b; c < e; c++)
    {
      float *plane = co->parent.scratch + (gsize) c * co->Hp * co->Wp;

      memset (plane, 0, (gsize) co->pad * co->Wp * sizeof (float));
      for (int r = 0; r < co->H; r++)
        {
          float *dst = plane + (gsize) (r + co->pad) * co->Wp;

          memset (dst, 0, co->pad * sizeof (float));
          memcpy (dst + co->pad, j->x + ((gsize) c * co->H + r) * co->W, co->W * sizeof (float));
          memset (dst + co->pad + co->W, 0, (co->Wp - co->pad - co->W) * sizeof (float));
        }
      memset (plane + (gsize) (co->H + co->pad) * co->Wp, 0,
              (gsize) (co->Hp - co->H - co->pad) * co->Wp * sizeof (float));
    }
}

static void
compute_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  OcvJob *j = data;
  ConvOcv *co = j->co;
  gint64 b, e;

  nd_cpu_split ((gint64) co->g * co->n_ob * co->OH, j->n_tasks, task, 1, &b, &e);
  if (e <= b)
    return;
  switch (co->V)
    {
    case 1:
      ocv_rows_1_24 (co, co->parent.scratch, b, e, j->y);
      break;
    case 2:
      ocv_rows_2_14 (co, co->parent.scratch, b, e, j->y);
      break;
    default:
      ocv_rows_3_7 (co, co->parent.scratch, b, e, j->y);
      break;
    }
  for (gint64 u = b; u < e; u++)
    {
      int blk = u / co->OH, oy = u % co->OH, ob = blk % co->n_ob, L = 16 * co->V;
      int c0 = blk / co->n_ob * co->Og + ob * L;

      nd_cpu_epilogue_rows (&co->parent.epilogue, j->n, co->O, co->OH, co->OW, c0,
                            c0 + MIN (L, co->Og - ob * L), oy, oy + 1, j->y);
    }
#endif
}

static void
ocv_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvOcv *co = (ConvOcv *) kernel;
  int N = in[0]->shape[0];

  for (int n = 0; n < N; n++)
    {
      OcvJob j = {
        .co = co, .n = n,
        .x = in[0]->data + (gsize) n * co->C * co->H * co->W,
        .y = out->data + (gsize) n * co->O * co->OH * co->OW,
        .n_tasks = 4 * nd_cpu_pool_n_threads (),
      };

      /* (block, row) units, not rows: 7 rows made 7 tasks, 4 on one of 2 threads */
      nd_cpu_parallel_for (MIN (co->C, j.n_tasks), pad_task, &j);
      nd_cpu_parallel_for (j.n_tasks, compute_task, &j);
    }
}

static void
ocv_free (NdCpuKernel *kernel)
{
  ConvOcv *co = (ConvOcv *) kernel;

  free (co->wp);
  free (co->bias);
  g_free (co);
}

NdCpuKernel *
nd_cpu_conv_ocv_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  const char *forced = nd_cpu_conv_forced_algo ();
  ConvOcv *co;
  int k = node->p.kernel, L, Op, Kg;
  const float *w;

  if (node->op != ND_OP_CONV2D || !nd_cpu_gemm_supported () || node->p.stride != 2
      || !nd_op_is_square (&node->p, k, node->p.pad)
      || k > 7 || node->p.pad >= k
      || (forced != NULL && !g_str_equal (forced, "direct-oc")))
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  /* Chosen past the stems (≤ 4 channels: the half-plane kernel, nd-cpu-conv-direct.c, is
   * ahead there) for k ≥ 3 while a block's weights stay in L2 (a block sweeps the output rows
   * with them). One thread, min of 3 alternating runs of 7, ours against im2col: RepVGG-A0's
   * 48×112² → 48 0.56 ms / 0.78, 96×28² → 192 0.26 / 0.36, 192×14² → 1280 0.87 / 1.07;
   * ParNet-S's 64×112² → 92 1.43 / 1.87, grouped 384×28² → 384 1.08 / 1.57, 384×14² → 1280
   * 1.82 / 2.19; ResNet-18's 128×28² → 256 0.52 / 0.60. im2col stays ahead on a 1×1 (ResNet's
   * 256×56² → 512 1.09 / 0.95) and where a block's weights outgrow L2 while all of them
   * outgrow half the L3, so that each output row reads them from DRAM again (ParNet-M's
   * grouped 1024×14² → 2048, 885 KiB a block, 38 MB: 8.4 / 5.1; ResNet-50's 512×14² → 512,
   * 885 KiB, 9.4 MB, from L3: 1.01 / 1.27). */
  if (forced == NULL
      && (a->out_c <= 4 || k < 3
          || ((gsize) a->out_c / node->p.groups * k * k * 48 * sizeof (float) > 768 * 1024
              && (gsize) node->out_c * a->out_c / node->p.groups * k * k * sizeof (float)
                 > 16 * 1024 * 1024)))
    return NULL;
  co = g_new0 (ConvOcv, 1);
  co->C = a->out_c;
  co->H = a->out_h;
  co->W = a->out_w;
  co->O = node->out_c;
  co->OH = node->out_h;
  co->OW = node->out_w;
  co->k = k;
  co->pad = node->p.pad;
  co->g = node->p.groups;
  co->Cg = co->C / co->g;
  co->Og = co->O / co->g;
  /* 3 vectors × 7 pixels (21 accumulators) beat every other block measured, whole rows
   * or not: one thread, 128×28² → 256 (rows of 14) 0.52 ms against 0.66 as 4 × 6 and 0.74
   * as 2 × 14; 48×112² → 48 0.56 against 0.65 as 3 × 8; 512×14² → 512 1.01 against 1.22 as
   * 3 × 8 and 1.70 as 4 × 5. Fewer channels take narrower blocks. */
  co->V = co->Og <= 16 ? 1 : co->Og <= 32 ? 2 : 3;
  co->P = co->V == 1 ? 24 : co->V == 2 ? 14 : 7;
  L = 16 * co->V;
  co->n_ob = (co->Og + L - 1) / L;
  /* a block reads columns 2·(ox + p) + kx, ox + p < OW rounded up to a whole block */
  co->Hp = co->H + 2 * co->pad;
  co->Wp = MAX (co->W + 2 * co->pad,
                2 * (((co->OW + co->P - 1) / co->P) * co->P - 1) + k);
  Op = co->n_ob * L;   /* a group's, padded */
  Kg = co->Cg * k * k;
  if (posix_memalign ((void **) &co->wp, 64, (gsize) co->g * Op * Kg * sizeof (float)) != 0
      || posix_memalign ((void **) &co->bias, 64, (gsize) co->g * Op * sizeof (float)) != 0)
    {
      ocv_free (&co->parent);
      return NULL;
    }
  w = node->w[ND_W_WEIGHT]->data;
  for (int grp = 0; grp < co->g; grp++)
    for (int o = 0; o < Op; o++)
      {
        int oc = grp * co->Og + o;
        gsize blk = (gsize) grp * co->n_ob + o / L;

        for (int t = 0; t < Kg; t++)
          co->wp[(blk * Kg + t) * L + o % L] = o < co->Og ? w[(gsize) oc * Kg + t] : 0.0f;
        co->bias[(gsize) grp * Op + o] = o < co->Og && node->w[ND_W_BIAS] != NULL
                                         ? node->w[ND_W_BIAS]->data[oc] : 0.0f;
      }
  co->parent.algo = "direct-oc";
  co->parent.run = ocv_run;
  co->parent.free = ocv_free;
  co->parent.fuses_epilogue = TRUE;
  co->parent.scratch_floats = (gsize) co->C * co->Hp * co->Wp;
  return &co->parent;
}
