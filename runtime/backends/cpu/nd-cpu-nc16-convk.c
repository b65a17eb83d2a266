/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nd-cpu-nc16.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-winograd-tf.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* A k×k convolution on the channel-blocked layout (nd-cpu-nc16.h), any stride, padding and
 * groups whose channel counts are multiples of 16: the stride-2 layers and grouped fusions of
 * ParNet and RepVGG, ResNet's downsampling 1×1s, 3×3s on maps too small for Winograd.
 *
 * Per run, each image's input is copied once into zero-padded phase planes: for stride s, s²
 * planes of Hq × Wq positions, plane (py, px) holding padded pixel (y·s + py, x·s + px). A tap
 * (ky, kx) then reads plane (ky % s, kx % s) shifted by (ky / s, kx / s) with stride 1, so a
 * run of output positions q = oy·Wq + ox reads one contiguous run of every plane: a tile of 12
 * such positions broadcasts its inputs from one base address at fixed displacements, against
 * the weight vectors of 32 output channels (24 accumulators), through all C/g·k² taps without
 * leaving registers. Positions with ox ≥ OW (the Wq − OW columns each row adds, one or two for
 * a 3×3) are computed and not stored. Weights are packed at prepare as
 * [unit][C/g / 16][k²][16][32], a unit being 32 output channels of one group (16 where the
 * group's count is an odd number of 16s). */

#define NP 12

typedef struct
{
  NdCpuKernel parent;
  int         C, H, W, O, OH, OW, k, s, pad, g;
  int         Hq, Wq;        /* phase plane rows, positions a row */
  int         units_g;       /* units a group */
  int         kcb;           /* input blocks a pass (a weight panel of ≤ 512 KiB, in L2) */
  gint64      plane;         /* floats of one phase plane of one channel block */
  gint64     *toff;          /* [k²] a tap's offset from the tile's position in its block */
  float      *w;             /* [g · units_g][C/g / 16][k²][16][32] */
  float      *bias;          /* [O + 32] */
} ConvK;

typedef struct
{
  ConvK          *ck;
  const NdTensor *x;
  NdTensor       *y;
  float          *xq;        /* phase planes: [N][C / 16][s²][Hq][Wq][16] */
  int             u_parts, r_parts;
} ConvKJob;

#if HAVE_X86
/* acc (NPX positions × 16·NV channels) = bias + Σ over @ncb input blocks, @nt taps and 16
 * channels; @x at the tile's first position in the first block's planes, @cbs floats between
 * blocks. Stores position i to @o0[i] (and @o1[i]) when not NULL. */
#define CK_TILE(NV, NPX)                                                                      \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                            \
  ck_tile_##NV##_##NPX (int ncb, int nt, const gint64 *toff, gint64 cbs,                      \
                        const float *restrict w, const float *restrict x, const float *bias,  \
                        gboolean first, float *const *o0, float *const *o1)                   \
  {                                                                                           \
    __m512 a0[NPX], a1[NPX];                                                                  \
    __m512 b0 = _mm512_loadu_ps (bias);                                                       \
    __m512 b1 = NV == 2 ? _mm512_loadu_ps (bias + 16) : _mm512_setzero_ps ();                 \
                                                                                              \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NPX; i++)                                                             \
      {                                                                                       \
        a0[i] = first || o0[i] == NULL ? b0 : _mm512_load_ps (o0[i]);                         \
        a1[i] = NV == 1 || first || o0[i] == NULL ? b1 : _mm512_load_ps (o1[i]);              \
      }                                                                                       \
    for (int cb = 0; cb < ncb; cb++, x += cbs)                                                \
      for (int t = 0; t < nt; t++)                                                            \
        {                                                                                     \
          const float *xt = x + toff[t];                                                      \
                                                                                              \
          for (int l = 0; l < 16; l++, w += 32)                                               \
            {                                                                                 \
              __m512 w0 = _mm512_load_ps (w);                                                 \
              __m512 w1 = NV == 2 ? _mm512_load_ps (w + 16) : w0;                             \
                                                                                              \
              _mm_prefetch ((const char *) (w + 1024), _MM_HINT_T0);                          \
                                                                                              \
              _Pragma ("GCC unroll 12")                                                       \
              for (int i = 0; i < NPX; i++)                                                   \
                {                                                                             \
                  __m512 b = _mm512_set1_ps (xt[i * 16 + l]);                                 \
                                                                                              \
                  a0[i] = _mm512_fmadd_ps (b, w0, a0[i]);                                     \
                  if (NV == 2)                                                                \
                    a1[i] = _mm512_fmadd_ps (b, w1, a1[i]);                                   \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    _Pragma ("GCC unroll 12")                                                                 \
    for (int i = 0; i < NPX; i++)                                                             \
      if (o0[i] != NULL)                                                                      \
        {                                                                                     \
          _mm512_store_ps (o0[i], a0[i]);                                                     \
          if (NV == 2)                                                                        \
            _mm512_store_ps (o1[i], a1[i]);                                                   \
        }                                                                                     \
  }

CK_TILE (1, 12)
CK_TILE (2, 12)
CK_TILE (1, 4)
CK_TILE (2, 4)

/* The micro-kernel for @np (12 or 4) positions of @nv (1 or 2) output blocks */
__attribute__((target ("avx512f"))) static void
ck_tile (int np, int nv, int ncb, int nt, const gint64 *toff, gint64 cbs, const float *w,
         const float *x, const float *bias, gboolean first, float *const *o0, float *const *o1)
{
  if (np == NP)
    (nv == 2 ? ck_tile_2_12 : ck_tile_1_12) (ncb, nt, toff, cbs, w, x, bias, first, o0, o1);
  else
    (nv == 2 ? ck_tile_2_4 : ck_tile_1_4) (ncb, nt, toff, cbs, w, x, bias, first, o0, o1);
}

/* Positions [q0, q1) of the phase grid for output blocks y0 (and y1) */
__attribute__((target ("avx512f"))) static void
ck_range (const ConvK *ck, int ncb, const float *w, const float *x, const float *bias,
          gboolean first, float *y0, float *y1, int nv, gint64 q0, gint64 q1)
{
  int nt = ck->k * ck->k;
  gint64 cbs = ck->plane * ck->s * ck->s;

  for (gint64 q = q0; q < q1;)
    {
      /* whole tiles, the last one's positions past q1 not stored (a 1-position tile costs
       * the weight loads of a full one); 4-position tiles for the last ≤ 8 */
      int np = q1 - q > 8 ? NP : 4;
      float *o0[NP], *o1[NP];

      for (int i = 0; i < np; i++)
        {
          int oy = (int) ((q + i) / ck->Wq), ox = (int) ((q + i) % ck->Wq);
          gint64 p = (gint64) oy * ck->OW + ox;
          gboolean keep = ox < ck->OW && q + i < q1;

          o0[i] = keep ? y0 + p * 16 : NULL;
          o1[i] = keep && nv == 2 ? y1 + p * 16 : NULL;
        }
      ck_tile (np, nv, ncb, nt, ck->toff, cbs, w, x + q * 16, bias, first, o0, o1);
      q += np;
    }
}
#endif

/* One channel block @src (H × W positions) into its s² zero-padded phase planes of Hq × Wq
 * positions at @dst, @plane floats apart: plane (py, px) position (r, c) holds input pixel
 * (r·s + py − pad, c·s + px − pad) */
static void
phase_planes (const float *src, int H, int W, int s, int pad, int Hq, int Wq, gint64 plane,
              float *dst)
{
  for (int py = 0; py < s; py++)
    for (int px = 0; px < s; px++, dst += plane)
      for (int r = 0; r < Hq; r++)
        {
          int iy = r * s + py - pad;
          float *row = dst + (gint64) r * Wq * 16;

          if (iy < 0 || iy >= H)
            {
              memset (row, 0, (gsize) Wq * 16 * sizeof (float));
              continue;
            }
          if (s == 1)
            {
              /* one run: columns [c0, c1) are input columns [c0 − pad, c1 − pad) */
              int c0 = MIN (Wq, pad), c1 = CLAMP (W + pad, c0, Wq);

              memset (row, 0, (gsize) c0 * 16 * sizeof (float));
              memcpy (row + c0 * 16, src + ((gint64) iy * W + c0 - pad) * 16,
                      (gsize) (c1 - c0) * 16 * sizeof (float));
              memset (row + c1 * 16, 0, (gsize) (Wq - c1) * 16 * sizeof (float));
              continue;
            }
          for (int c = 0; c < Wq; c++)
            {
              int ix = c * s + px - pad;

              if (ix >= 0 && ix < W)
                memcpy (row + c * 16, src + ((gint64) iy * W + ix) * 16, 16 * sizeof (float));
              else
                memset (row + c * 16, 0, 16 * sizeof (float));
            }
        }
}

/* Channel block @task of the batch into its phase planes */
static void
phase_task (gpointer data, int task, int thread)
{
  ConvKJob *j = data;
  const ConvK *ck = j->ck;

  phase_planes (j->x->data + (gint64) task * ck->H * ck->W * 16, ck->H, ck->W, ck->s, ck->pad,
                ck->Hq, ck->Wq, ck->plane, j->xq + (gint64) task * ck->s * ck->s * ck->plane);
}

/* Task: image n, units [u0, u1), output rows [r0, r1) */
static void
ck_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  ConvKJob *j = data;
  ConvK *ck = j->ck;
  int per_img = j->u_parts * j->r_parts, n = task / per_img, r = task % per_img;
  int cg = ck->C / ck->g / 16, og = ck->O / ck->g;
  gint64 u0, u1, r0, r1, HW = (gint64) ck->OH * ck->OW;
  const NdCpuEpilogue *ep = &ck->parent.epilogue;

  nd_cpu_split ((gint64) ck->g * ck->units_g, j->u_parts, r / j->r_parts, 1, &u0, &u1);
  nd_cpu_split (ck->OH, j->r_parts, r % j->r_parts, 1, &r0, &r1);
  if (r0 >= r1)
    return;
  for (gint64 u = u0; u < u1; u++)
    {
      int grp = (int) (u / ck->units_g), uo = (int) (u % ck->units_g) * 32;
      int ob = (grp * og + uo) / 16, nv = MIN (2, (og - uo) / 16);
      const float *w = ck->w + u * (gint64) cg * ck->k * ck->k * 16 * 32;
      const float *x = j->xq + ((gint64) n * (ck->C / 16) + (gint64) grp * cg) * ck->s * ck->s
                                 * ck->plane;
      float *y0 = j->y->data + ((gint64) n * (ck->O / 16) + ob) * HW * 16;

      /* a chunk of input blocks at a time, its weight panel kept in L2 by every tile of the
       * range (chunks of 1–8 blocks, panels of 18–144 KiB, measured the same within 3 % on
       * ParNet-S: the L2 feeds two weight vectors a 24 FMAs) */
      for (int c0 = 0; c0 < cg; c0 += ck->kcb)
        ck_range (ck, MIN (ck->kcb, cg - c0), w + (gint64) c0 * ck->k * ck->k * 16 * 32,
                  x + (gint64) c0 * ck->s * ck->s * ck->plane, ck->bias + ob * 16, c0 == 0,
                  y0, y0 + HW * 16, nv, r0 * ck->Wq, (r1 - 1) * ck->Wq + ck->OW);
      if (ep->n_steps > 0)
        for (int v = 0; v < nv; v++)
          nd_cpu_epilogue_apply_nc16 (ep, n, ob + v, ck->O, HW, r0 * ck->OW,
                                      y0 + (v * HW + r0 * ck->OW) * 16, (r1 - r0) * ck->OW);
    }
#else
  g_assert_not_reached ();
#endif
}

static void
ck_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvK *ck = (ConvK *) kernel;
  int N = (int) in[0]->shape[0], T = nd_cpu_pool_n_threads ();
  int units = ck->g * ck->units_g;
  ConvKJob j = { ck, in[0], out, kernel->scratch, 1, 1 };

  nd_cpu_parallel_for (N * (ck->C / 16), phase_task, &j);
  /* the slack the last tile may read: zeros, not stale values (denormals are slow) */
  memset (j.xq + (gint64) N * (ck->C / 16) * ck->s * ck->s * ck->plane, 0,
          NP * 16 * sizeof (float));
  /* output channels split until there are ≥ 3 tasks a thread, then rows (each row range
   * ends in a partial tile) */
  while ((gint64) N * j.r_parts * j.u_parts < 3 * T && j.u_parts * 2 <= units)
    j.u_parts *= 2;
  while ((gint64) N * j.r_parts * j.u_parts < 3 * T && (j.r_parts * 2) * 24 <= ck->OH * ck->Wq
         && j.r_parts * 2 <= ck->OH)
    j.r_parts *= 2;
  nd_cpu_parallel_for (N * j.r_parts * j.u_parts, ck_task, &j);
}

static void
ck_free (NdCpuKernel *kernel)
{
  ConvK *ck = (ConvK *) kernel;

  free (ck->w);
  g_free (ck->bias);
  g_free (ck->toff);
  g_free (ck);
}

NdCpuKernel *
nd_cpu_nc16_convk_new (const NdNode *node, const NdNode *a, int batch)
{
  ConvK *ck;
  const float *w = node->w[ND_W_WEIGHT]->data;
  int cg, og, kk, units;
  gsize wfloats;

  ck = g_new0 (ConvK, 1);
  ck->C = a->out_c;
  ck->H = a->out_h;
  ck->W = a->out_w;
  ck->O = node->out_c;
  ck->OH = node->out_h;
  ck->OW = node->out_w;
  ck->k = node->p.kernel;
  ck->s = node->p.stride;
  ck->pad = node->p.pad;
  ck->g = node->p.groups;
  cg = ck->C / ck->g;
  og = ck->O / ck->g;
  kk = ck->k * ck->k;
  /* the last tile's taps reach (k − 1) / s rows and columns past its position; one more row
   * keeps a row's junk positions inside the plane */
  ck->Wq = ck->OW + (ck->k - 1) / ck->s;
  ck->Hq = ck->OH + (ck->k - 1) / ck->s + 1;
  ck->plane = (gint64) ck->Hq * ck->Wq * 16;
  ck->toff = g_new (gint64, kk);
  for (int ky = 0; ky < ck->k; ky++)
    for (int kx = 0; kx < ck->k; kx++)
      ck->toff[ky * ck->k + kx] = ((ky % ck->s) * ck->s + kx % ck->s) * ck->plane
                                  + ((gint64) (ky / ck->s) * ck->Wq + kx / ck->s) * 16;
  ck->units_g = (og + 31) / 32;
  ck->kcb = MAX (1, 256 / kk);
  units = ck->g * ck->units_g;
  wfloats = (gsize) units * cg * kk * 32;
  if (posix_memalign ((void **) &ck->w, 64, wfloats * sizeof (float)) != 0)
    {
      g_free (ck->toff);
      g_free (ck);
      return NULL;
    }
  /* w[o][c][ky][kx] (c within the group) → [unit][c / 16][tap][c % 16][32] */
  for (int u = 0; u < units; u++)
    for (int c = 0; c < cg; c++)
      for (int t = 0; t < kk; t++)
        for (int l = 0; l < 32; l++)
          {
            int grp = u / ck->units_g, oo = (u % ck->units_g) * 32 + l;
            gsize dst = ((((gsize) u * (cg / 16) + c / 16) * kk + t) * 16 + c % 16) * 32 + l;

            ck->w[dst] = oo < og ? w[((gsize) (grp * og + oo) * cg + c) * kk + t] : 0.0f;
          }
  ck->bias = g_new0 (float, ck->O + 32);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (ck->bias, node->w[ND_W_BIAS]->data, ck->O * sizeof (float));
  /* + a tile: the last tile of a small map reads up to 12 positions past its plane */
  ck->parent.scratch_floats = (gsize) batch * (ck->C / 16) * ck->s * ck->s * ck->plane + NP * 16;
  ck->parent.algo = "nc16-direct";
  ck->parent.run = ck_run;
  ck->parent.free = ck_free;
  ck->parent.fuses_epilogue = TRUE;
  return &ck->parent;
}

/* ---- Winograd F(m, 3) ------------------------------------------------------------------ */

/* 3×3 stride 1 as Winograd F(2,3) or F(4,3) (nd-cpu-conv-winograd.c has the NCHW kernel and
 * the numbers): on this layout the input and output transforms work on 16 channels a vector,
 * with no transposes or phase-split rows, and each of the a² GEMMs, M[pos] = U[pos] · V[pos],
 * is the 1×1's: tiles in the positions' place, broadcast from V where it lies. Per band of
 * tile rows (V of a band ≤ ~1 MiB, so it stays in L2 for every output unit):
 *   A. per channel block, Bᵀ d B of each tile → V[pos][C / 16][tile][16];
 *   B. per output unit (32 channels of one group): the a² GEMMs into M[pos][2][tile][16]
 *      (per thread), then Aᵀ M A + bias into the output, then the fused epilogue on the
 *      band's rows. U = G g Gᵀ is packed at prepare as [pos][unit][C/g][32]: the order
 *      the GEMMs read it, one stream (a 14² layer's U is 16 MiB at 512 channels). */

typedef struct
{
  NdCpuKernel parent;
  int         C, H, W, O, OH, OW, g, m, a, pad;
  int         TH, TW, units_g;
  int         band_rows, Tp;   /* tile rows a band; V's tiles a (channel block, position) */
  int         u_parts;         /* unit ranges (threads) */
  float      *U;
  float      *bias;
  gsize       m_floats;        /* M per thread */
} Wino16;

typedef struct
{
  Wino16         *k;
  const NdTensor *x;
  NdTensor       *y;
  float          *V, *M;
  int             ty0, ty1, u_parts, r_parts;
} Wino16Job;

#if HAVE_X86
#define AVX512 __attribute__((target ("avx512f"), optimize ("O3")))

/* Bᵀ and Aᵀ of nd-cpu-winograd-tf.c's F(2,3) and F(4,3) (the same points, so U from
 * nd_cpu_wino_kernel matches), on vectors @xs apart */
static inline __attribute__((always_inline)) AVX512 void
bt_v (int m, const __m512 *x, int xs, __m512 *y, int ys)
{
  __m512 d0 = x[0], d1 = x[xs], d2 = x[2 * xs], d3 = x[3 * xs];

  if (m == 4)
    {
      const __m512 k4 = _mm512_set1_ps (4), k5 = _mm512_set1_ps (5), k2 = _mm512_set1_ps (2);
      __m512 d4 = x[4 * xs], d5 = x[5 * xs];
      __m512 s12 = _mm512_add_ps (d1, d2), m12 = _mm512_sub_ps (d1, d2);
      __m512 d42 = _mm512_sub_ps (d4, d2), m31 = _mm512_sub_ps (d3, d1);

      y[0] = _mm512_fmadd_ps (k4, d0, _mm512_fnmadd_ps (k5, d2, d4));
      y[ys] = _mm512_fnmadd_ps (k4, s12, _mm512_add_ps (d3, d4));
      y[2 * ys] = _mm512_fmadd_ps (k4, m12, _mm512_sub_ps (d4, d3));
      y[3 * ys] = _mm512_fmadd_ps (k2, m31, d42);
      y[4 * ys] = _mm512_fnmadd_ps (k2, m31, d42);
      y[5 * ys] = _mm512_fmadd_ps (k4, d1, _mm512_fnmadd_ps (k5, d3, d5));
    }
  else
    {
      y[0] = _mm512_sub_ps (d0, d2);
      y[ys] = _mm512_add_ps (d1, d2);
      y[2 * ys] = _mm512_sub_ps (d2, d1);
      y[3 * ys] = _mm512_sub_ps (d1, d3);
    }
}

static inline __attribute__((always_inline)) AVX512 void
at_v (int m, const __m512 *x, int xs, __m512 *y, int ys)
{
  __m512 m0 = x[0], m1 = x[xs], m2 = x[2 * xs], m3 = x[3 * xs];

  if (m == 4)
    {
      const __m512 k2 = _mm512_set1_ps (2), k4 = _mm512_set1_ps (4), k8 = _mm512_set1_ps (8);
      __m512 m4 = x[4 * xs], m5 = x[5 * xs];
      __m512 s12 = _mm512_add_ps (m1, m2), d12 = _mm512_sub_ps (m1, m2);
      __m512 s34 = _mm512_add_ps (m3, m4), d34 = _mm512_sub_ps (m3, m4);

      y[0] = _mm512_add_ps (_mm512_add_ps (m0, s12), s34);
      y[ys] = _mm512_fmadd_ps (k2, d34, d12);
      y[2 * ys] = _mm512_fmadd_ps (k4, s34, s12);
      y[3 * ys] = _mm512_add_ps (_mm512_fmadd_ps (k8, d34, d12), m5);
    }
  else
    {
      y[0] = _mm512_add_ps (_mm512_add_ps (m0, m1), m2);
      y[ys] = _mm512_sub_ps (_mm512_sub_ps (m1, m2), m3);
    }
}

/* Tile rows [ty0, ty1) of one channel block @x (H × W positions) → V (@ps floats between
 * positions, tile tl of the band at V + tl·16). A tile's window is read in place, zeros where
 * it leaves the map: no padded copy (its pass was 7 % of RepVGG-A0's time). */
static inline __attribute__((always_inline)) AVX512 void
wino_in (const Wino16 *k, int M_, const float *x, int ty0, int ty1, float *V, gint64 ps)
{
  const int A = M_ + 2;

  for (int ty = ty0; ty < ty1; ty++)
    for (int tx = 0; tx < k->TW; tx++)
      {
        int y0 = ty * M_ - k->pad, x0 = tx * M_ - k->pad;
        const float *d = x + ((gint64) y0 * k->W + x0) * 16;
        float *v = V + ((gint64) (ty - ty0) * k->TW + tx) * 16;
        __m512 t[36], u[36];

        if (y0 >= 0 && x0 >= 0 && y0 + A <= k->H && x0 + A <= k->W)
          for (int i = 0; i < A; i++)
            for (int c = 0; c < A; c++)
              t[i * A + c] = _mm512_load_ps (d + ((gint64) i * k->W + c) * 16);
        else
          for (int i = 0; i < A; i++)
            for (int c = 0; c < A; c++)
              t[i * A + c] = y0 + i >= 0 && y0 + i < k->H && x0 + c >= 0 && x0 + c < k->W
                             ? _mm512_load_ps (d + ((gint64) i * k->W + c) * 16)
                             : _mm512_setzero_ps ();
        for (int c = 0; c < A; c++)
          bt_v (M_, t + c, A, u + c, A);
        for (int i = 0; i < A; i++)
          bt_v (M_, u + i * A, 1, t + i * A, 1);
        for (int p = 0; p < A * A; p++)
          _mm512_store_ps (v + p * ps, t[p]);
      }
}

/* Aᵀ M A + bias of tiles [tl0, tl1) of the band (M: tile tl − tl0 at M + (tl − tl0)·16,
 * @ps floats between positions) into output block @y (OH × OW positions) */
static inline __attribute__((always_inline)) AVX512 void
wino_out (const Wino16 *k, int M_, const float *M, gint64 ps, int ty0, int tl0, int tl1,
          const float *bias, float *y)
{
  const int A = M_ + 2;
  __m512 b = _mm512_loadu_ps (bias);

  for (int tl = tl0; tl < tl1; tl++)
    {
      int ty = ty0 + tl / k->TW, tx = tl % k->TW;
      int rows = MIN (M_, k->OH - ty * M_), cols = MIN (M_, k->OW - tx * M_);
      const float *mm = M + (gint64) (tl - tl0) * 16;
      __m512 t[36], u[24], o[16];

      for (int p = 0; p < A * A; p++)
        t[p] = _mm512_load_ps (mm + p * ps);
      for (int c = 0; c < A; c++)
        at_v (M_, t + c, A, u + c, A);
      for (int i = 0; i < M_; i++)
        at_v (M_, u + i * A, 1, o + i * M_, 1);
      for (int i = 0; i < rows; i++)
        for (int c = 0; c < cols; c++)
          _mm512_store_ps (y + ((gint64) (ty * M_ + i) * k->OW + tx * M_ + c) * 16,
                           _mm512_add_ps (o[i * M_ + c], b));
    }
}

/* one instance a tile size, so that a and the transforms' loops are constants */
AVX512 static void
wino_in_2 (const Wino16 *k, const float *x, int ty0, int ty1, float *V, gint64 ps)
{
  wino_in (k, 2, x, ty0, ty1, V, ps);
}

AVX512 static void
wino_in_4 (const Wino16 *k, const float *x, int ty0, int ty1, float *V, gint64 ps)
{
  wino_in (k, 4, x, ty0, ty1, V, ps);
}

AVX512 static void
wino_out_2 (const Wino16 *k, const float *M, gint64 ps, int ty0, int tl0, int tl1,
            const float *bias, float *y)
{
  wino_out (k, 2, M, ps, ty0, tl0, tl1, bias, y);
}

AVX512 static void
wino_out_4 (const Wino16 *k, const float *M, gint64 ps, int ty0, int tl0, int tl1,
            const float *bias, float *y)
{
  wino_out (k, 4, M, ps, ty0, tl0, tl1, bias, y);
}
#endif

/* A: channel block (n, cb) of the band */
static void
wino_in_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  Wino16Job *j = data;
  const Wino16 *k = j->k;
  int CB = k->C / 16, n = task / CB, cb = task % CB, A2 = k->a * k->a;
  gint64 ps = (gint64) CB * k->Tp * 16;
  float *V = j->V + ((gint64) n * A2 * CB + cb) * k->Tp * 16;
  int tb = (j->ty1 - j->ty0) * k->TW;

  (k->m == 4 ? wino_in_4 : wino_in_2) (k, j->x->data + (gint64) task * k->H * k->W * 16, j->ty0,
                                       j->ty1, V, ps);
  /* the tiles the last GEMM tile reads past the band: zeros, not stale values */
  for (int p = 0; p < A2; p++)
    memset (V + p * ps + (gint64) tb * 16, 0, (gsize) (k->Tp - tb) * 16 * sizeof (float));
#else
  g_assert_not_reached ();
#endif
}

/* B: image n, units [u0, u1), the band's tile rows [r0, r1). Position-major: V[pos] of the
 * band is read once a task, for every unit's GEMM, and M[unit][pos][2][tile][16] (per thread)
 * is read back by the output transforms. */
static void
wino_gemm_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  static const float zeros[32];
  static const gint64 toff0 = 0;
  Wino16Job *j = data;
  const Wino16 *k = j->k;
  int per_img = j->u_parts * j->r_parts, n = task / per_img, r = task % per_img;
  int CB = k->C / 16, cg = k->C / k->g / 16, og = k->O / k->g, A2 = k->a * k->a;
  gint64 u0, u1, r0, r1, HW = (gint64) k->OH * k->OW;
  const NdCpuEpilogue *ep = &k->parent.epilogue;
  float *M = j->M + (gsize) thread * k->m_floats;
  int tl0, tl1, tt, oy0, oy1;
  gint64 mps, mus;

  nd_cpu_split ((gint64) k->g * k->units_g, j->u_parts, r / j->r_parts, 1, &u0, &u1);
  nd_cpu_split (j->ty1 - j->ty0, j->r_parts, r % j->r_parts, 1, &r0, &r1);
  if (r0 >= r1 || u0 >= u1)
    return;
  tl0 = (int) r0 * k->TW;
  tl1 = (int) r1 * k->TW;
  tt = tl1 - tl0;
  mps = (gint64) 2 * tt * 16;
  mus = A2 * mps;
  oy0 = (j->ty0 + (int) r0) * k->m;
  oy1 = MIN (k->OH, (j->ty0 + (int) r1) * k->m);
  for (int p = 0; p < A2; p++)
    for (gint64 u = u0; u < u1; u++)
      {
        int grp = (int) (u / k->units_g), nv = MIN (2, (og - (int) (u % k->units_g) * 32) / 16);
        const float *w = k->U + ((gsize) p * k->g * k->units_g + u) * cg * 16 * 32;
        const float *x = j->V + (((gint64) n * A2 + p) * CB + (gint64) grp * cg) * k->Tp * 16;
        float *mo = M + (u - u0) * mus + p * mps;

        for (int t = tl0; t < tl1;)
          {
            int np = tl1 - t > 8 ? NP : 4;
            float *o0[NP], *o1[NP];

            for (int i = 0; i < np; i++)
              {
                gboolean keep = t + i < tl1;

                o0[i] = keep ? mo + (gint64) (t + i - tl0) * 16 : NULL;
                o1[i] = keep && nv == 2 ? o0[i] + tt * 16 : NULL;
              }
            ck_tile (np, nv, cg, 1, &toff0, k->Tp * 16, w, x + (gint64) t * 16, zeros, TRUE,
                     o0, o1);
            t += np;
          }
      }
  for (gint64 u = u0; u < u1; u++)
    {
      int grp = (int) (u / k->units_g), uo = (int) (u % k->units_g) * 32;
      int ob = (grp * og + uo) / 16, nv = MIN (2, (og - uo) / 16);

      for (int v = 0; v < nv; v++)
        {
          float *y = j->y->data + ((gint64) n * (k->O / 16) + ob + v) * HW * 16;

          (k->m == 4 ? wino_out_4 : wino_out_2) (k, M + (u - u0) * mus + (gint64) v * tt * 16,
                                                 mps, j->ty0, tl0, tl1,
                                                 k->bias + (ob + v) * 16, y);
          if (ep->n_steps > 0)
            nd_cpu_epilogue_apply_nc16 (ep, n, ob + v, k->O, HW, (gint64) oy0 * k->OW,
                                        y + (gint64) oy0 * k->OW * 16,
                                        (gint64) (oy1 - oy0) * k->OW);
        }
    }
#else
  g_assert_not_reached ();
#endif
}

static void
wino_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Wino16 *k = (Wino16 *) kernel;
  int N = (int) in[0]->shape[0], T = nd_cpu_pool_n_threads ();
  int units = k->g * k->units_g;
  Wino16Job j = { k, in[0], out, kernel->scratch, NULL, 0, 0, 1, 1 };

  j.M = j.V + (gint64) N * k->a * k->a * k->C * k->Tp;
  for (j.ty0 = 0; j.ty0 < k->TH; j.ty0 = j.ty1)
    {
      int rows;

      j.ty1 = MIN (k->TH, j.ty0 + k->band_rows);
      rows = j.ty1 - j.ty0;
      nd_cpu_parallel_for (N * (k->C / 16), wino_in_task, &j);
      /* one unit range a thread (each reads the band's V once), the band's tile rows split
       * only when the units are too few */
      j.u_parts = MIN (units, k->u_parts);
      j.r_parts = 1;
      while ((gint64) N * j.u_parts * j.r_parts < T && j.r_parts * 2 <= rows)
        j.r_parts *= 2;
      nd_cpu_parallel_for (N * j.u_parts * j.r_parts, wino_gemm_task, &j);
    }
}

static void
wino_free (NdCpuKernel *kernel)
{
  Wino16 *k = (Wino16 *) kernel;

  free (k->U);
  g_free (k->bias);
  g_free (k);
}

NdCpuKernel *
nd_cpu_nc16_wino_new (const NdNode *node, const NdNode *a, int m, int batch)
{
  Wino16 *k;
  const float *w = node->w[ND_W_WEIGHT]->data;
  int cg, og, A2, units, upt;
  gint64 tile_bytes;

  k = g_new0 (Wino16, 1);
  k->C = a->out_c;
  k->H = a->out_h;
  k->W = a->out_w;
  k->O = node->out_c;
  k->OH = node->out_h;
  k->OW = node->out_w;
  k->g = node->p.groups;
  k->pad = node->p.pad;
  k->m = m;
  k->a = m + 2;
  A2 = k->a * k->a;
  cg = k->C / k->g;
  og = k->O / k->g;
  k->TH = (k->OH + m - 1) / m;
  k->TW = (k->OW + m - 1) / m;
  k->units_g = (og + 31) / 32;
  units = k->g * k->units_g;
  /* bands: V of the band within ~2 MiB, but ≥ 64 tiles: each U[pos][unit] panel is read
   * once a band, and U is (m + 2)² / 9 times the weights (5 MiB for a 192-channel F(4,3)) */
  k->u_parts = MIN (units, nd_cpu_pool_n_threads ());
  upt = (units + k->u_parts - 1) / k->u_parts;
  tile_bytes = (gint64) A2 * k->C * sizeof (float);
  k->band_rows = (int) CLAMP (MAX ((64 + k->TW - 1) / k->TW,
                                   (2 << 20) / (tile_bytes * k->TW)), 1, k->TH);
  k->Tp = k->band_rows * k->TW + NP;
  k->m_floats = (gsize) upt * A2 * 32 * k->band_rows * k->TW;
  if (posix_memalign ((void **) &k->U, 64, (gsize) units * A2 * cg * 32 * sizeof (float)) != 0)
    {
      g_free (k);
      return NULL;
    }
  /* U[pos][unit][c][32], zero past the group's channels */
  memset (k->U, 0, (gsize) units * A2 * cg * 32 * sizeof (float));
  for (int o = 0; o < k->O; o++)
    {
      int grp = o / og, oo = o % og, u = grp * k->units_g + oo / 32;

      for (int c = 0; c < cg; c++)
        nd_cpu_wino_kernel (m, w + ((gsize) o * cg + c) * 9,
                            k->U + ((gsize) u * cg + c) * 32 + oo % 32,
                            (gint64) units * cg * 32);
    }
  k->bias = g_new0 (float, k->O + 32);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (k->bias, node->w[ND_W_BIAS]->data, k->O * sizeof (float));
  k->parent.scratch_floats = (gsize) batch * A2 * k->C * k->Tp
                             + (gsize) nd_cpu_pool_n_threads () * k->m_floats;
  k->parent.algo = m == 4 ? "nc16-wino-f43" : "nc16-wino-f23";
  k->parent.run = wino_run;
  k->parent.free = wino_free;
  k->parent.fuses_epilogue = TRUE;
  return &k->parent;
}
