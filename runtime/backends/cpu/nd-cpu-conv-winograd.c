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
#include "nd-cpu-winograd-tf.h"

/* Winograd F(m×m, 3×3) for 3×3 stride-1 pad-1 convolutions (Lavin & Gray 2016), m = 2, 4
 * or 6: each m×m output tile costs (m+2)² multiplies per (in, out) channel pair instead of
 * 9m² (2.25× fewer for F(2,3), 4× for F(4,3), 5.06× for F(6,3)). Per image:
 *   1. the input is copied into a zero-padded plane per channel (edge tiles need no checks),
 *      phase-split (nd-cpu-winograd-tf.h);
 *   2. tiles are processed in blocks (row-major ranges, a multiple of 16 tiles); per block and
 *      thread: input transform Bᵀ d B → V[pos][c][tile] (AVX-512: 16 tiles a vector),
 *      (m+2)² sgemms M[pos] (O × T) = U[pos] (O × C) · V[pos] (C × T) per group, then the
 *      output transform Aᵀ M A plus bias, and the fused epilogue on the finished rows;
 *   3. U = G g Gᵀ is computed once, at prepare (in double).
 * F(4,3)'s transforms have entries up to 8 and 1/24, so its float error is ~10× im2col's;
 * F(6,3)'s (up to 32 and 1/90) about twice F(4,3)'s: the backend table's largest, relative
 * to the largest output, 3.4e-7 for F(2,3), 4.8e-6 for F(4,3), 8.9e-6 for F(6,3) (tests use
 * 1e-4 for F(4,3) and F(6,3), 1e-5 for F(2,3)). */

#define LANES ND_CPU_WINO_LANES

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

          nd_cpu_wino_pad_row (m, cw->x16, in, cw->W, row, cw->PW);
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

              nd_cpu_wino_in (m, cw->x16, row, cw->RS, cw->PW, L, V + (gint64) c * T + t,
                              vstride);
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

              nd_cpu_wino_out (m, cw->x16, mo, mstride, L, b, dst, OW, rows, cols);
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
  int cpg = cw->C / cw->g;

  for (int o = 0; o < cw->O; o++)
    for (int c = 0; c < cpg; c++)
      nd_cpu_wino_kernel (cw->m, w + ((gint64) o * cpg + c) * 9,
                          cw->U + (gint64) o * cpg + c, (gint64) cw->O * cpg);
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
      if (g_str_equal (forced, "winograd-f63"))
        m = 6;
      else if (g_str_equal (forced, "winograd-f43"))
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
      /* F(6,3) is never the automatic choice: it loses to F(4,3) on every shape measured
       * (nd-bench-conv, one thread, min of 5 alternating runs: ParNet-S's 92×56² 2.08 vs
       * 1.66 ms, 192×28² 2.52 vs 1.78, VGG-16's 256×56² 15.3 vs 13.5, 128×112² 18.0 vs
       * 15.1). Its 9–18 % fewer multiplies are eaten by the maps' padding to 6 (56 → 60:
       * +15 %), by tile rows of 10 or 19 tiles in 16-lane vectors, and by a² = 64 GEMMs a
       * block. It can be forced ("winograd-f63"). */
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
  cw->x16 = nd_cpu_gemm_supported ();   /* AVX-512 */
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
  cw->parent.algo = m == 6 ? "winograd-f63" : m == 4 ? "winograd-f43" : "winograd-f23";
  cw->parent.run = wino_run;
  cw->parent.free = wino_free;
  cw->parent.fuses_epilogue = TRUE;
  cw->parent.scratch_floats = (gsize) batch * cw->C * cw->Hp * cw->RS
                              + MAX ((gsize) nd_cpu_pool_n_threads () * cw->thread_floats,
                                     (gsize) cw->a * cw->a * (cw->C + cw->O) * cw->TH * cw->TW);
  return &cw->parent;
}
