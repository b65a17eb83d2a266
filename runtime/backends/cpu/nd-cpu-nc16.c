/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nd-cpu-gemm.h"
#include "nd-cpu-nc16.h"
#include "nd-cpu-pool.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#include "nd-cpu-dw-strip.h"
#else
#define HAVE_X86 0
#endif

/* Kernels on the channel-blocked layout (nd-cpu-nc16.h). */

#define NP 12    /* positions a 1×1 micro-tile: 12 × 32 channels in 24 accumulators */
#define KB 256   /* input channels a block: a weight panel of 256 × 32 (32 KiB) stays in L1 */

static gboolean
mult16 (int c)
{
  return c > 0 && c % 16 == 0;
}

/* ---- layout conversion --------------------------------------------------------------- */

typedef struct
{
  const float *x;
  float       *y;
  int          N, C;
  gint64       HW;
  gboolean     to_nc16;
  int          parts;
} ConvertJob;

#if HAVE_X86
__attribute__((target ("avx512f"))) static void
convert_block (const float *x, float *y, gint64 HW, gboolean to_nc16)
{
  /* one image's 16 channels: [16][HW] ↔ [HW][16], 16 × 16 tiles transposed in registers */
  for (gint64 p = 0; p < HW; p += 16)
    {
      int n = (int) MIN (16, HW - p);
      __mmask16 m = (__mmask16) ((1u << n) - 1);
      __m512 r[16];

      if (to_nc16)
        {
          for (int c = 0; c < 16; c++)
            r[c] = _mm512_maskz_loadu_ps (m, x + c * HW + p);
          transpose16 (r);
          for (int i = 0; i < n; i++)
            _mm512_storeu_ps (y + (p + i) * 16, r[i]);
        }
      else
        {
          for (int i = 0; i < 16; i++)
            r[i] = i < n ? _mm512_loadu_ps (x + (p + i) * 16) : _mm512_setzero_ps ();
          transpose16 (r);
          for (int c = 0; c < 16; c++)
            _mm512_mask_storeu_ps (y + c * HW + p, m, r[c]);
        }
    }
}
#endif

static void
convert_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  ConvertJob *j = data;
  gint64 units = (gint64) j->N * (j->C / 16), u0, u1;

  nd_cpu_split (units, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    convert_block (j->x + u * 16 * j->HW, j->y + u * 16 * j->HW, j->HW, j->to_nc16);
#else
  g_assert_not_reached ();
#endif
}

void
nd_cpu_nc16_convert (const float *x, float *y, int N, int C, gint64 HW, gboolean to_nc16)
{
  ConvertJob j = { x, y, N, C, HW, to_nc16, 1 };
  gint64 units = (gint64) N * (C / 16);

  g_return_if_fail (C % 16 == 0);
  if (HW == 1)
    {
      memcpy (y, x, (gsize) N * C * sizeof (float));   /* the same in both layouts */
      return;
    }
  if ((gint64) N * C * HW >= 32768)
    j.parts = (int) MIN (units, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.parts, convert_task, &j);
}

/* ---- 1×1 convolution ------------------------------------------------------------------ */

/* out[n][o][p] = bias[o] + Σ_c w[o][c] · x[n][c][p] with o in blocks of 32 (the last one 16
 * when O is an odd number of 16s). The input is first packed into tiles of 12 positions,
 * [tile][C][12] (one pass, shared by every task), so the micro-kernel's 12 broadcasts a
 * channel come from one cache line: read in place, a channel block of a 56² map lies 196 KiB
 * (a multiple of 4 KiB) from the next and the tile's lines fight over the same L1 sets. The
 * weights are packed at prepare, [pair][C][32]. */
typedef struct
{
  NdCpuKernel parent;
  int         C, O, H, W;
  float      *w;      /* [O / 32 rounded up][C][32], zero past O */
  float      *bias;   /* [O] */
  int         pb;     /* positions a task's range (a multiple of NP) */
} Conv1x1;

typedef struct
{
  Conv1x1        *k;
  const NdTensor *x;
  NdTensor       *y;
  float          *xp;   /* [N][tiles][C][12] */
  int             tiles, n_pairs, q_parts, p_parts;
} Conv1x1Job;

#if HAVE_X86
/* acc (12 × 16·NV) (+)= Σ_k xp[k][i] · w[k][…]; @first starts from the bias. Stores @np ≤ 12
 * positions of each of the NV output blocks (@o0, @o1: [np][16]). */
#define C1_KERNEL(NV)                                                                         \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                           \
  c1_kernel_##NV (int kc, const float *restrict w, const float *restrict xp, const float *bias, \
                  gboolean first, float *o0, float *o1, int np)                               \
  {                                                                                           \
    __m512 a0[NP], a1[NP];                                                                    \
    __m512 b0 = first ? _mm512_loadu_ps (bias) : _mm512_setzero_ps ();                        \
    __m512 b1 = first && NV == 2 ? _mm512_loadu_ps (bias + 16) : _mm512_setzero_ps ();        \
                                                                                              \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NP; i++)                                                              \
      {                                                                                       \
        a0[i] = b0;                                                                           \
        a1[i] = b1;                                                                           \
      }                                                                                       \
    for (int k = 0; k < kc; k++)                                                              \
      {                                                                                       \
        __m512 w0 = _mm512_load_ps (w + k * 32), w1 = _mm512_load_ps (w + k * 32 + 16);      \
        const float *x = xp + k * NP;                                                         \
                                                                                              \
        _mm_prefetch ((const char *) (w + k * 32 + 512), _MM_HINT_T0);                        \
        _Pragma ("GCC unroll 12")                                                             \
        for (int i = 0; i < NP; i++)                                                          \
          {                                                                                   \
            __m512 b = _mm512_set1_ps (x[i]);                                                 \
                                                                                              \
            a0[i] = _mm512_fmadd_ps (b, w0, a0[i]);                                           \
            if (NV == 2)                                                                      \
              a1[i] = _mm512_fmadd_ps (b, w1, a1[i]);                                         \
          }                                                                                   \
      }                                                                                       \
    if (!first)                                                                               \
      {                                                                                       \
        _Pragma ("GCC unroll 12")                                                             \
        for (int i = 0; i < NP; i++)                                                          \
          if (i < np)                                                                         \
            {                                                                                 \
              a0[i] = _mm512_add_ps (a0[i], _mm512_load_ps (o0 + i * 16));                    \
              if (NV == 2)                                                                    \
                a1[i] = _mm512_add_ps (a1[i], _mm512_load_ps (o1 + i * 16));                  \
            }                                                                                 \
      }                                                                                       \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NP; i++)                                                              \
      if (i < np)                                                                             \
        {                                                                                     \
          _mm512_store_ps (o0 + i * 16, a0[i]);                                               \
          if (NV == 2)                                                                        \
            _mm512_store_ps (o1 + i * 16, a1[i]);                                             \
        }                                                                                     \
  }

C1_KERNEL (1)
C1_KERNEL (2)

/* Packs positions [t·12, t·12 + 12) of image @n into [C][12], zeros past the map */
__attribute__((target ("avx512f"))) static void
c1_pack_tile (const Conv1x1 *k, const float *x, int t, float *dst)
{
  gint64 HW = (gint64) k->H * k->W, p0 = (gint64) t * NP;
  int np = (int) MIN (NP, HW - p0);

  for (int cb = 0; cb < k->C / 16; cb++)
    {
      const float *src = x + ((gint64) cb * HW + p0) * 16;
      __m512 r[16];

      /* 16 positions × 16 channels transposed: channel c's 12 values become a row of dst */
      for (int i = 0; i < 16; i++)
        r[i] = i < np ? _mm512_load_ps (src + i * 16) : _mm512_setzero_ps ();
      transpose16 (r);
      for (int c = 0; c < 16; c++)
        _mm512_mask_storeu_ps (dst + (cb * 16 + c) * NP, 0x0FFF, r[c]);
    }
}
#endif

static void
c1_pack_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  Conv1x1Job *j = data;
  gint64 units = (gint64) j->x->shape[0] * j->tiles, u0, u1;

  nd_cpu_split (units, 4 * nd_cpu_pool_n_threads (), task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      int n = (int) (u / j->tiles), t = (int) (u % j->tiles);

      c1_pack_tile (j->k, j->x->data + (gint64) n * j->k->C * j->k->H * j->k->W, t,
                    j->xp + u * j->k->C * NP);
    }
#else
  g_assert_not_reached ();
#endif
}

/* Task: image n, pairs [q0, q1), tiles [t0, t1); per input-channel block, each weight panel
 * is loaded into L1 once and used by every tile of the range */
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

      for (gint64 q = q0; q < q1; q++)
        {
          int ob = (int) q * 2, nv = MIN (2, k->O / 16 - ob);
          const float *w = k->w + ((gint64) q * k->C + c0) * 32;
          float *y0 = j->y->data + (((gint64) n * (k->O / 16) + ob) * HW) * 16;
          float *y1 = y0 + HW * 16;

          for (gint64 t = t0; t < t1; t++)
            {
              const float *xp = j->xp + (((gint64) n * j->tiles + t) * k->C + c0) * NP;
              gint64 p = t * NP;
              int np = (int) MIN (NP, HW - p);

              if (nv == 2)
                c1_kernel_2 (kc, w, xp, k->bias + ob * 16, c0 == 0, y0 + p * 16, y1 + p * 16, np);
              else
                c1_kernel_1 (kc, w, xp, k->bias + ob * 16, c0 == 0, y0 + p * 16, NULL, np);
              if (last && ep->n_steps > 0)
                for (int v = 0; v < nv; v++)
                  nd_cpu_epilogue_apply_nc16 (ep, n, ob + v, k->O, HW, p,
                                              (v == 0 ? y0 : y1) + p * 16, np);
            }
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
  Conv1x1Job j = { k, in[0], out, kernel->scratch, (int) ((HW + NP - 1) / NP),
                   (k->O / 16 + 1) / 2, 1, 1 };

  nd_cpu_parallel_for (4 * T, c1_pack_task, &j);
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

static NdCpuKernel *
conv1x1_new (const NdNode *node, const NdNode *a, int batch)
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
  for (int q = 0; q < pairs; q++)
    for (int c = 0; c < k->C; c++)
      for (int l = 0; l < 32; l++)
        {
          int o = q * 32 + l;

          k->w[((gsize) q * k->C + c) * 32 + l] = o < k->O ? w[(gsize) o * k->C + c] : 0.0f;
        }
  k->bias = g_new0 (float, k->O + 16);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (k->bias, node->w[ND_W_BIAS]->data, k->O * sizeof (float));
  /* a layer with more than 4 MB of weights (VanillaNet's from 28²: up to 64 MB) or a small
   * map reads them once: all its positions in one range, split by output channels instead */
  k->pb = (gint64) k->O * k->C * 4 > (4 << 20) || HW <= 256 ? (int) ((HW + NP - 1) / NP * NP)
                                                              : 8 * NP;
  k->parent.scratch_floats = (gsize) batch * ((HW + NP - 1) / NP) * NP * k->C;
  k->parent.algo = "nc16-1x1";
  k->parent.run = c1_run;
  k->parent.free = c1_free;
  k->parent.fuses_epilogue = TRUE;
  return &k->parent;
}

/* ---- depthwise ----------------------------------------------------------------------- */

typedef struct
{
  NdCpuKernel parent;
  int         C, H, W, OH, OW, k, pad, T, OWr;
  float      *wt;     /* [C / 16][k²][16] */
  float      *bias;   /* [C] */
  gsize       per_thread;
} DwNc16;

typedef struct
{
  DwNc16         *d;
  const NdTensor *x;
  NdTensor       *y;
  int             parts;
} DwJob;

#if HAVE_X86
/* One image's channel block: its [H][W][16] plane copied into a zero-padded one (rows are
 * contiguous runs of W·16 floats: no transposes), strips of the shared depthwise kernel,
 * written straight into the output where the strips tile its rows exactly */
__attribute__((target ("avx512f"))) static void
dw_block (const DwNc16 *d, int cb, const float *x, float *y, float *xt)
{
  int Wp = d->OWr + d->k - 1, Hp = d->OH + d->k - 1;
  gint64 ld = (gint64) Wp * 16;
  float *ot = xt + (gsize) Hp * ld;
  gboolean direct = d->OWr == d->OW;

  memset (xt, 0, (gsize) d->pad * ld * sizeof (float));
  for (int r = 0; r < Hp - d->pad; r++)
    {
      float *row = xt + (gint64) (r + d->pad) * ld;

      if (r >= d->H)
        {
          memset (row, 0, ld * sizeof (float));
          continue;
        }
      memset (row, 0, (gsize) d->pad * 16 * sizeof (float));
      memcpy (row + d->pad * 16, x + (gint64) r * d->W * 16, (gsize) d->W * 16 * sizeof (float));
      memset (row + (gint64) (d->pad + d->W) * 16, 0,
              (gsize) (Wp - d->pad - d->W) * 16 * sizeof (float));
    }
  nd_cpu_dw_cv_rows (d->k, d->T, xt, (int) ld, d->wt + (gsize) cb * d->k * d->k * 16,
                     _mm512_loadu_ps (d->bias + cb * 16), direct ? y : ot, d->OWr * 16, d->OH,
                     d->OWr);
  if (!direct)
    for (int r = 0; r < d->OH; r++)
      memcpy (y + (gint64) r * d->OW * 16, ot + (gint64) r * d->OWr * 16,
              (gsize) d->OW * 16 * sizeof (float));
}
#endif

static void
dw_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  DwJob *j = data;
  DwNc16 *d = j->d;
  int cbs = d->C / 16;
  gint64 in_plane = (gint64) d->H * d->W, out_plane = (gint64) d->OH * d->OW, u0, u1;

  nd_cpu_split ((gint64) j->x->shape[0] * cbs, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      float *y = j->y->data + u * out_plane * 16;

      dw_block (d, (int) (u % cbs), j->x->data + u * in_plane * 16, y,
                d->parent.scratch + (gsize) thread * d->per_thread);
      if (d->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply_nc16 (&d->parent.epilogue, (int) (u / cbs), (int) (u % cbs), d->C,
                                    out_plane, 0, y, out_plane);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
dw_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  DwNc16 *d = (DwNc16 *) kernel;
  gint64 units = in[0]->shape[0] * (d->C / 16);
  DwJob j = { d, in[0], out, (int) MIN (units, 4 * nd_cpu_pool_n_threads ()) };

  nd_cpu_parallel_for (j.parts, dw_task, &j);
}

static void
dw_free (NdCpuKernel *kernel)
{
  DwNc16 *d = (DwNc16 *) kernel;

  g_free (d->wt);
  g_free (d->bias);
  g_free (d);
}

static NdCpuKernel *
dw_new (const NdNode *node, const NdNode *a)
{
  DwNc16 *d = g_new0 (DwNc16, 1);
  int kk = node->p.kernel * node->p.kernel;
  const float *w = node->w[ND_W_WEIGHT]->data;

  d->C = a->out_c;
  d->H = a->out_h;
  d->W = a->out_w;
  d->OH = node->out_h;
  d->OW = node->out_w;
  d->k = node->p.kernel;
  d->pad = node->p.pad;
#if HAVE_X86
  d->T = nd_cpu_dw_cv_strip (d->OW);
#endif
  d->OWr = (d->OW + d->T - 1) / d->T * d->T;
  d->wt = g_new (float, (gsize) d->C * kk);
  for (int c = 0; c < d->C; c++)
    for (int t = 0; t < kk; t++)
      d->wt[((gsize) (c / 16) * kk + t) * 16 + c % 16] = w[(gsize) c * kk + t];
  d->bias = g_new0 (float, d->C);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (d->bias, node->w[ND_W_BIAS]->data, d->C * sizeof (float));
  /* the padded input, then the rows of strips when they overhang the output's */
  d->per_thread = ((gsize) (d->OH + d->k - 1) * (d->OWr + d->k - 1) + (gsize) d->OH * d->OWr)
                  * 16;
  d->parent.scratch_floats = (gsize) nd_cpu_pool_n_threads () * d->per_thread;
  d->parent.algo = "nc16-dw";
  d->parent.run = dw_run;
  d->parent.free = dw_free;
  d->parent.fuses_epilogue = TRUE;
  return &d->parent;
}

/* ---- pools and batchnorm --------------------------------------------------------------- */

typedef struct
{
  NdCpuKernel parent;
  NdOp        op;
  int         C, H, W, OH, OW, k, s, pad;
  float      *scale, *shift;   /* BATCHNORM */
} Pool16;

typedef struct
{
  Pool16         *e;
  const NdTensor *x;
  NdTensor       *y;
  int             parts;
} PoolJob;

#if HAVE_X86
/* One image's channel block of a pool: each output pixel the max or the sum / k² of the
 * window's cells inside the map (the reference's semantics, ceil_mode's windows included) */
__attribute__((target ("avx512f"))) static void
pool_block (const Pool16 *e, const float *x, float *y)
{
  gboolean is_max = e->op == ND_OP_MAXPOOL;
  __m512 inv = _mm512_set1_ps (1.0f / (e->k * e->k));

  for (int oy = 0; oy < e->OH; oy++)
    {
      int iy0 = MAX (0, oy * e->s - e->pad), iy1 = MIN (e->H, oy * e->s - e->pad + e->k);

      for (int ox = 0; ox < e->OW; ox++)
        {
          int ix0 = MAX (0, ox * e->s - e->pad), ix1 = MIN (e->W, ox * e->s - e->pad + e->k);
          __m512 acc = _mm512_set1_ps (is_max ? -INFINITY : 0.0f);

          for (int iy = iy0; iy < iy1; iy++)
            for (int ix = ix0; ix < ix1; ix++)
              {
                __m512 v = _mm512_load_ps (x + ((gint64) iy * e->W + ix) * 16);

                acc = is_max ? _mm512_maskz_max_ps (0xFFFF, acc, v) : _mm512_add_ps (acc, v);
              }
          _mm512_store_ps (y + ((gint64) oy * e->OW + ox) * 16,
                           is_max ? acc : _mm512_mul_ps (acc, inv));
        }
    }
}

__attribute__((target ("avx512f"))) static void
mean_block (const float *x, gint64 HW, float *y)
{
  __m512 a0 = _mm512_setzero_ps (), a1 = a0;
  gint64 p = 0;

  for (; p + 2 <= HW; p += 2)
    {
      a0 = _mm512_add_ps (a0, _mm512_load_ps (x + p * 16));
      a1 = _mm512_add_ps (a1, _mm512_load_ps (x + p * 16 + 16));
    }
  if (p < HW)
    a0 = _mm512_add_ps (a0, _mm512_load_ps (x + p * 16));
  _mm512_storeu_ps (y, _mm512_mul_ps (_mm512_add_ps (a0, a1), _mm512_set1_ps (1.0f / HW)));
}

__attribute__((target ("avx512f"))) static void
bn_block (const Pool16 *e, int cb, const float *x, gint64 HW, float *y)
{
  __m512 a = _mm512_loadu_ps (e->scale + cb * 16), b = _mm512_loadu_ps (e->shift + cb * 16);

  for (gint64 p = 0; p < HW; p++)
    _mm512_store_ps (y + p * 16, _mm512_fmadd_ps (_mm512_load_ps (x + p * 16), a, b));
}
#endif

static void
pool_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  PoolJob *j = data;
  Pool16 *e = j->e;
  int cbs = e->C / 16;
  gint64 in_plane = (gint64) e->H * e->W, out_plane = (gint64) e->OH * e->OW, u0, u1;

  nd_cpu_split ((gint64) j->x->shape[0] * cbs, j->parts, task, 1, &u0, &u1);
  for (gint64 u = u0; u < u1; u++)
    {
      const float *x = j->x->data + u * in_plane * 16;
      float *y = j->y->data + u * out_plane * 16;

      if (e->op == ND_OP_BATCHNORM)
        bn_block (e, (int) (u % cbs), x, in_plane, y);
      else if (e->op == ND_OP_ADAPTIVE_AVGPOOL)
        mean_block (x, in_plane, y);
      else
        pool_block (e, x, y);
      if (e->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply_nc16 (&e->parent.epilogue, (int) (u / cbs), (int) (u % cbs), e->C,
                                    out_plane, 0, y, out_plane);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
pool_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Pool16 *e = (Pool16 *) kernel;
  gint64 units = in[0]->shape[0] * (e->C / 16);
  PoolJob j = { e, in[0], out, 1 };

  if (in[0]->numel >= 16384)
    j.parts = (int) MIN (units, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.parts, pool_task, &j);
}

static void
pool_free (NdCpuKernel *kernel)
{
  Pool16 *e = (Pool16 *) kernel;

  g_free (e->scale);
  g_free (e->shift);
  g_free (e);
}

static NdCpuKernel *
pool_new (const NdNode *node, const NdNode *a)
{
  Pool16 *e = g_new0 (Pool16, 1);

  e->op = node->op;
  e->C = a->out_c;
  e->H = a->out_h;
  e->W = a->out_w;
  e->OH = node->out_h;
  e->OW = node->out_w;
  e->k = node->p.kernel;
  e->s = node->p.stride;
  e->pad = node->p.pad;
  if (node->op == ND_OP_BATCHNORM)
    {
      e->scale = g_new (float, e->C);
      e->shift = g_new (float, e->C);
      for (int c = 0; c < e->C; c++)
        {
          double t = node->w[ND_W_WEIGHT]->data[c]
                     / sqrt ((double) node->w[ND_W_VAR]->data[c] + node->p.eps);

          e->scale[c] = (float) t;
          e->shift[c] = (float) (node->w[ND_W_BIAS]->data[c] - node->w[ND_W_MEAN]->data[c] * t);
        }
    }
  e->parent.algo = node->op == ND_OP_BATCHNORM ? "nc16-bn" : "nc16-pool";
  e->parent.run = pool_run;
  e->parent.free = pool_free;
  e->parent.fuses_epilogue = node->op != ND_OP_BATCHNORM;
  return &e->parent;
}

/* ---- factory --------------------------------------------------------------------------- */

NdCpuKernel *
nd_cpu_nc16_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  NdCpuKernel *k = NULL;

  if (!nd_cpu_gemm_supported () || node->n_inputs < 1)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  if (!mult16 (a->out_c) || !mult16 (node->out_c))
    return NULL;
  switch (node->op)
    {
    case ND_OP_CONV2D:
      if (node->p.kernel_w > 0 && node->p.kernel_w != node->p.kernel)
        return NULL;
      if (node->p.kernel == 1 && node->p.stride == 1 && node->p.pad == 0 && node->p.groups == 1
          && (gint64) a->out_h * a->out_w >= NP)
        k = conv1x1_new (node, a, batch);
      else if (node->p.groups == a->out_c && node->out_c == a->out_c && node->p.stride == 1
               && (node->p.kernel == 3 || node->p.kernel == 5 || node->p.kernel == 7)
               && node->p.pad < node->p.kernel && (node->p.pad_w == 0 || node->p.pad_w == node->p.pad))
        k = dw_new (node, a);
      break;
    case ND_OP_MAXPOOL:
    case ND_OP_AVGPOOL:
    case ND_OP_BATCHNORM:
      k = pool_new (node, a);
      break;
    case ND_OP_ADAPTIVE_AVGPOOL:
      if (node->out_h == 1 && node->out_w == 1)
        k = pool_new (node, a);
      break;
    default:
      break;
    }
  if (k != NULL)
    k->nc16 = TRUE;
  return k;
}

gboolean
nd_cpu_nc16_agnostic (const NdGraph *graph, const NdNode *node)
{
  switch (node->op)
    {
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
    case ND_OP_ADD:
      return mult16 (node->out_c);
    case ND_OP_CONCAT:
      for (int i = 0; i < node->n_inputs; i++)
        if (!mult16 (nd_graph_node (graph, node->inputs[i])->out_c))
          return FALSE;
      return mult16 (node->out_c);
    default:
      return FALSE;
    }
}
