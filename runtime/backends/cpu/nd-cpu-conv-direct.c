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
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* Direct convolution for stems: few input channels (≤ 4), stride 2, square k ∈ {3, 5, 7}
 * (ResNet's 7×7, MobileNetV2's, RepVGG's and ParNet's 3×3). im2col would write k²·C rows
 * the size of the output map (147 for ResNet's stem: 7 MiB) only for the GEMM to read them
 * back; here the input is copied once into zero-padded planes split into even and odd
 * columns, so every tap of a stride-2 row is one contiguous vector load, and an 8-channel ×
 * 32-column block of outputs accumulates all C·k² taps in 16 registers. Weights are packed
 * at prepare time as [O / 8][C][k][k][8]. AVX-512 only. */

#define OB 8    /* output channels per register block */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, OH, OW, k, pad;
  int Hp, ld;       /* padded rows; floats per row of each half-plane */
  float *wp;        /* packed weights, O rounded up to OB, zero padded */
  float *bias;      /* [O rounded up], zeros without a bias */
} ConvDirect;

typedef struct
{
  ConvDirect     *cd;
  const float    *x;      /* this image */
  float          *y;
  int             n, n_tasks;
} DirectJob;

#if HAVE_X86
/* Output rows' block: channels [ob·OB, +OB), columns [ox, ox + 16·NV) (the last masked),
 * of output row @oy. @pe / @po: the even / odd half-planes, [C][Hp][ld] each. */
static inline __attribute__((always_inline, target ("avx512f"), optimize ("O3"))) void
direct_block (const ConvDirect *cd, const float *pe, const float *po, int oy, int ox, int ob,
              int K, int NV, float *y)
{
  const int OW = cd->OW;
  const float *w = cd->wp + (gsize) ob * cd->C * K * K * OB;
  __mmask16 m0 = OW - ox >= 16 ? 0xFFFF : (__mmask16) ((1u << (OW - ox)) - 1);
  __mmask16 m1 = NV < 2 ? 0 : OW - ox - 16 >= 16 ? 0xFFFF
                 : (__mmask16) ((1u << MAX (0, OW - ox - 16)) - 1);
  __m512 acc[OB][2];

  for (int r = 0; r < OB; r++)
    for (int v = 0; v < NV; v++)
      acc[r][v] = _mm512_set1_ps (cd->bias[ob * OB + r]);
  for (int c = 0; c < cd->C; c++)
#pragma GCC unroll 7
    for (int ky = 0; ky < K; ky++)
      {
        gsize row = ((gsize) c * cd->Hp + 2 * oy + ky) * cd->ld + ox;

#pragma GCC unroll 7
        for (int kx = 0; kx < K; kx++, w += OB)
          {
            /* padded column 2·(ox + i) + kx: half-plane kx & 1, index ox + i + kx / 2 */
            const float *src = ((kx & 1) ? po : pe) + row + kx / 2;
            __m512 x0 = _mm512_maskz_loadu_ps (m0, src);
            __m512 x1 = NV > 1 ? _mm512_maskz_loadu_ps (m1, src + 16) : x0;

#pragma GCC unroll 8
            for (int r = 0; r < OB; r++)
              {
                __m512 wv = _mm512_set1_ps (w[r]);

                acc[r][0] = _mm512_fmadd_ps (wv, x0, acc[r][0]);
                if (NV > 1)
                  acc[r][1] = _mm512_fmadd_ps (wv, x1, acc[r][1]);
              }
          }
      }
  for (int r = 0; r < OB && ob * OB + r < cd->O; r++)
    {
      float *yr = y + ((gsize) (ob * OB + r) * cd->OH + oy) * OW + ox;

      _mm512_mask_storeu_ps (yr, m0, acc[r][0]);
      if (NV > 1)
        _mm512_mask_storeu_ps (yr + 16, m1, acc[r][1]);
    }
}

/* K and the vector count constant in each inlined copy: the tap loops unroll. */
#define DIRECT_ROWS(K)                                                                        \
  __attribute__((target ("avx512f"), optimize ("O3"))) static void                           \
  direct_rows_k##K (const ConvDirect *cd, const float *pe, const float *po, int oy0, int oy1, \
                    float *y)                                                                 \
  {                                                                                           \
    for (int oy = oy0; oy < oy1; oy++)                                                        \
      for (int ox = 0; ox < cd->OW; ox += 32)                                                 \
        for (int ob = 0; ob * OB < cd->O; ob++)                                               \
          {                                                                                   \
            if (cd->OW - ox > 16)                                                             \
              direct_block (cd, pe, po, oy, ox, ob, K, 2, y);                                 \
            else                                                                              \
              direct_block (cd, pe, po, oy, ox, ob, K, 1, y);                                 \
          }                                                                                   \
  }

DIRECT_ROWS (3)
DIRECT_ROWS (5)
DIRECT_ROWS (7)
#endif

/* Zeroes padded rows [r0, r1) of channel @c in both half-planes */
static void
zero_rows (const ConvDirect *cd, int c, int r0, int r1)
{
  for (int r = r0; r < r1; r++)
    {
      float *pe = cd->parent.scratch + ((gsize) c * cd->Hp + r) * cd->ld;

      memset (pe, 0, cd->ld * sizeof (float));
      memset (pe + (gsize) cd->C * cd->Hp * cd->ld, 0, cd->ld * sizeof (float));
    }
}

/* Copies a share of the C·H input rows into the half-planes, with their zero borders (the
 * scratch is shared with the plan's other kernels). Zeroing all of it before, one thread,
 * took 6 % of ResNet's stem and more of a 48-channel 112² map's (2.5 MB). */
static void
split_task (gpointer data, int task, int thread)
{
  DirectJob *j = data;
  ConvDirect *cd = j->cd;
  int p = cd->pad, e0 = p & 1;   /* e0: the first input column landing in pe */
  /* half-plane indices: pe[i] holds padded column 2i, po[i] 2i + 1; the left border is
   * padded columns < p, the right one from W + p on */
  int le = (p + 1) / 2, lo = p / 2, re = (cd->W + p + 1) / 2, ro = (cd->W + p) / 2;
  gint64 b, e;

  nd_cpu_split ((gint64) cd->C * cd->H, j->n_tasks, task, 1, &b, &e);
  for (gint64 t = b; t < e; t++)
    {
      int c = t / cd->H, r = t % cd->H;
      const float *src = j->x + ((gsize) c * cd->H + r) * cd->W;
      float *pe = cd->parent.scratch + ((gsize) c * cd->Hp + r + p) * cd->ld;
      float *po = pe + (gsize) cd->C * cd->Hp * cd->ld;

      if (r == 0)
        zero_rows (cd, c, 0, p);
      if (r == cd->H - 1)
        zero_rows (cd, c, cd->H + p, cd->Hp);
      memset (pe, 0, le * sizeof (float));
      memset (po, 0, lo * sizeof (float));
      memset (pe + re, 0, (cd->ld - re) * sizeof (float));
      memset (po + ro, 0, (cd->ld - ro) * sizeof (float));
      nd_cpu_copy_s2 (pe + (e0 + p) / 2, src + e0, (cd->W - e0 + 1) / 2);
      nd_cpu_copy_s2 (po + (1 - e0 + p) / 2, src + 1 - e0, (cd->W - (1 - e0) + 1) / 2);
    }
}

static void
compute_task (gpointer data, int task, int thread)
{
#if HAVE_X86
  DirectJob *j = data;
  ConvDirect *cd = j->cd;
  const float *pe = cd->parent.scratch, *po = pe + (gsize) cd->C * cd->Hp * cd->ld;
  gint64 b, e;

  nd_cpu_split (cd->OH, j->n_tasks, task, 1, &b, &e);
  if (e <= b)
    return;
  if (cd->k == 3)
    direct_rows_k3 (cd, pe, po, b, e, j->y);
  else if (cd->k == 5)
    direct_rows_k5 (cd, pe, po, b, e, j->y);
  else
    direct_rows_k7 (cd, pe, po, b, e, j->y);
  nd_cpu_epilogue_rows (&cd->parent.epilogue, j->n, cd->O, cd->OH, cd->OW, 0, cd->O, b, e, j->y);
#endif
}

static void
direct_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  ConvDirect *cd = (ConvDirect *) kernel;
  int N = in[0]->shape[0];

  for (int n = 0; n < N; n++)
    {
      DirectJob j = {
        .cd = cd, .n = n,
        .x = in[0]->data + (gsize) n * cd->C * cd->H * cd->W,
        .y = out->data + (gsize) n * cd->O * cd->OH * cd->OW,
        .n_tasks = MIN (cd->OH, 4 * nd_cpu_pool_n_threads ()),
      };

      nd_cpu_parallel_for (j.n_tasks, split_task, &j);
      nd_cpu_parallel_for (j.n_tasks, compute_task, &j);
    }
}

static void
direct_free (NdCpuKernel *kernel)
{
  ConvDirect *cd = (ConvDirect *) kernel;

  free (cd->wp);
  g_free (cd->bias);
  g_free (cd);
}

NdCpuKernel *
nd_cpu_conv_direct_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  const char *forced = nd_cpu_conv_forced_algo ();
  ConvDirect *cd;
  int k = node->p.kernel, Op;
  const float *w;

  if (node->op != ND_OP_CONV2D || !nd_cpu_gemm_supported () || node->p.groups != 1
      || node->p.stride != 2 || !nd_op_is_square (&node->p, k, node->p.pad)
      || (k != 3 && k != 5 && k != 7) || node->p.pad >= k
      || (forced != NULL && !g_str_equal (forced, "direct"))
      || (forced == NULL && g_getenv ("ND_CPU_NO_DIRECT") != NULL))   /* A/B measurements */
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  /* stems only, unless forced: past them nd-cpu-conv-ocv.c's kernel is ahead */
  if (forced == NULL && a->out_c > 4)
    return NULL;
  cd = g_new0 (ConvDirect, 1);
  cd->C = a->out_c;
  cd->H = a->out_h;
  cd->W = a->out_w;
  cd->O = node->out_c;
  cd->OH = node->out_h;
  cd->OW = node->out_w;
  cd->k = k;
  cd->pad = node->p.pad;
  /* rows 2·oy + ky < 2·OH + k; columns: half-plane index ox + kx / 2 < OW + k / 2 + 16
   * (the second vector's masked lanes are not read, but keep every row start in range) */
  cd->Hp = MAX (cd->H + 2 * cd->pad, 2 * cd->OH + k);
  cd->ld = MAX ((cd->W + 2 * cd->pad + 1) / 2, cd->OW + k / 2 + 1);
  Op = (cd->O + OB - 1) / OB * OB;
  if (posix_memalign ((void **) &cd->wp, 64, (gsize) Op * cd->C * k * k * sizeof (float)) != 0)
    {
      g_free (cd);
      return NULL;
    }
  w = node->w[ND_W_WEIGHT]->data;
  for (int o = 0; o < Op; o++)
    for (int t = 0; t < cd->C * k * k; t++)
      cd->wp[((gsize) (o / OB) * cd->C * k * k + t) * OB + o % OB] =
        o < cd->O ? w[(gsize) o * cd->C * k * k + t] : 0.0f;
  cd->bias = g_new0 (float, Op);
  if (node->w[ND_W_BIAS] != NULL)
    memcpy (cd->bias, node->w[ND_W_BIAS]->data, cd->O * sizeof (float));
  cd->parent.algo = "direct";
  cd->parent.run = direct_run;
  cd->parent.free = direct_free;
  cd->parent.fuses_epilogue = TRUE;
  cd->parent.scratch_floats = (gsize) 2 * cd->C * cd->Hp * cd->ld;
  return &cd->parent;
}
