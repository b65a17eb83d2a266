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

/* Winograd F(m×m, 3×3) for 3×3 stride-1 pad-1 convolutions (Lavin & Gray 2016), m = 2 or 4:
 * each m×m output tile costs (m+2)² multiplies per (in, out) channel pair instead of 9m²
 * (2.25× fewer for F(2,3), 4× for F(4,3)). Per image:
 *   1. the input is copied into a zero-padded plane per channel (edge tiles need no checks);
 *   2. tiles are processed in blocks of whole tile rows sized to stay in L2; per block and
 *      thread: input transform Bᵀ d B → V[pos][c][tile] (vectorised across 16 tiles),
 *      (m+2)² sgemms M[pos] (O × T) = U[pos] (O × C) · V[pos] (C × T) per group, then the
 *      output transform Aᵀ M A plus bias, and the fused epilogue on the finished rows;
 *   3. U = G g Gᵀ is computed once, at prepare (in double).
 * F(4,3)'s transforms have entries up to 8 and 1/24, so its float error is ~10× im2col's
 * (tests use 1e-4 relative for it, 1e-5 for F(2,3)). */

#define LANES 16

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, g, m, a;
  int TH, TW, Hp, Wp, rows_per_block, n_blocks, tiles_max;
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

/* ---- transforms (explicit, so the zero entries cost nothing) ---------------------------- */

/* L tiles side by side in one tile row starting at @xp: tile l starts at xp + 4·l, a constant
 * stride, so the loads vectorise as contiguous loads and permutes instead of gathers (slow
 * on AMD). */
ND_CPU_HOT static void
in_f43 (const float *restrict xp, int Wp, int L, float *restrict V, gint64 pos_stride)
{
  for (int l = 0; l < L; l++)
    {
      float t[6][6];
      const float *p = xp + 4 * l;

      for (int c = 0; c < 6; c++)
        {
          float d0 = p[c], d1 = p[Wp + c], d2 = p[2 * Wp + c];
          float d3 = p[3 * Wp + c], d4 = p[4 * Wp + c], d5 = p[5 * Wp + c];

          t[0][c] = 4 * d0 - 5 * d2 + d4;
          t[1][c] = -4 * (d1 + d2) + d3 + d4;
          t[2][c] = 4 * (d1 - d2) - d3 + d4;
          t[3][c] = 2 * (d3 - d1) - d2 + d4;
          t[4][c] = 2 * (d1 - d3) - d2 + d4;
          t[5][c] = 4 * d1 - 5 * d3 + d5;
        }
      for (int r = 0; r < 6; r++)
        {
          float d0 = t[r][0], d1 = t[r][1], d2 = t[r][2], d3 = t[r][3], d4 = t[r][4], d5 = t[r][5];
          float *v = V + (gint64) (r * 6) * pos_stride + l;

          v[0] = 4 * d0 - 5 * d2 + d4;
          v[pos_stride] = -4 * (d1 + d2) + d3 + d4;
          v[2 * pos_stride] = 4 * (d1 - d2) - d3 + d4;
          v[3 * pos_stride] = 2 * (d3 - d1) - d2 + d4;
          v[4 * pos_stride] = 2 * (d1 - d3) - d2 + d4;
          v[5 * pos_stride] = 4 * d1 - 5 * d3 + d5;
        }
    }
}

ND_CPU_HOT static void
in_f23 (const float *restrict xp, int Wp, int L, float *restrict V, gint64 pos_stride)
{
  for (int l = 0; l < L; l++)
    {
      float t[4][4];
      const float *p = xp + 2 * l;

      for (int c = 0; c < 4; c++)
        {
          float d0 = p[c], d1 = p[Wp + c], d2 = p[2 * Wp + c], d3 = p[3 * Wp + c];

          t[0][c] = d0 - d2;
          t[1][c] = d1 + d2;
          t[2][c] = d2 - d1;
          t[3][c] = d1 - d3;
        }
      for (int r = 0; r < 4; r++)
        {
          float d0 = t[r][0], d1 = t[r][1], d2 = t[r][2], d3 = t[r][3];
          float *v = V + (gint64) (r * 4) * pos_stride + l;

          v[0] = d0 - d2;
          v[pos_stride] = d1 + d2;
          v[2 * pos_stride] = d2 - d1;
          v[3 * pos_stride] = d1 - d3;
        }
    }
}

/* Y[i][j][l] for the L tiles from M[pos][l] (stride pos_stride between positions). */
ND_CPU_HOT static void
out_f43 (const float *restrict M, gint64 pos_stride, int L, float *restrict Y)
{
  for (int l = 0; l < L; l++)
    {
      float t[4][6];

      for (int c = 0; c < 6; c++)
        {
          const float *q = M + (gint64) c * pos_stride + l;
          float m0 = q[0], m1 = q[6 * pos_stride], m2 = q[12 * pos_stride];
          float m3 = q[18 * pos_stride], m4 = q[24 * pos_stride], m5 = q[30 * pos_stride];

          t[0][c] = m0 + m1 + m2 + m3 + m4;
          t[1][c] = m1 - m2 + 2 * (m3 - m4);
          t[2][c] = m1 + m2 + 4 * (m3 + m4);
          t[3][c] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
      for (int r = 0; r < 4; r++)
        {
          float m0 = t[r][0], m1 = t[r][1], m2 = t[r][2], m3 = t[r][3], m4 = t[r][4], m5 = t[r][5];

          Y[(r * 4 + 0) * LANES + l] = m0 + m1 + m2 + m3 + m4;
          Y[(r * 4 + 1) * LANES + l] = m1 - m2 + 2 * (m3 - m4);
          Y[(r * 4 + 2) * LANES + l] = m1 + m2 + 4 * (m3 + m4);
          Y[(r * 4 + 3) * LANES + l] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
    }
}

ND_CPU_HOT static void
out_f23 (const float *restrict M, gint64 pos_stride, int L, float *restrict Y)
{
  for (int l = 0; l < L; l++)
    {
      float t[2][4];

      for (int c = 0; c < 4; c++)
        {
          const float *q = M + (gint64) c * pos_stride + l;
          float m0 = q[0], m1 = q[4 * pos_stride], m2 = q[8 * pos_stride], m3 = q[12 * pos_stride];

          t[0][c] = m0 + m1 + m2;
          t[1][c] = m1 - m2 - m3;
        }
      for (int r = 0; r < 2; r++)
        {
          Y[(r * 2 + 0) * LANES + l] = t[r][0] + t[r][1] + t[r][2];
          Y[(r * 2 + 1) * LANES + l] = t[r][1] - t[r][2] - t[r][3];
        }
    }
}

/* ---- run ---------------------------------------------------------------------------- */

static void
pad_task (gpointer data, int task, int thread)
{
  WinoJob *j = data;
  ConvWino *cw = j->cw;
  gint64 planes = (gint64) j->N * cw->C, p0, p1;
  gint64 psize = (gint64) cw->Hp * cw->Wp;

  nd_cpu_split (planes, 2 * nd_cpu_pool_n_threads (), task, 1, &p0, &p1);
  for (gint64 pl = p0; pl < p1; pl++)
    {
      float *dst = j->xp + pl * psize;
      const float *src = j->x + pl * cw->H * cw->W;

      memset (dst, 0, cw->Wp * sizeof (float));
      for (int y = 0; y < cw->H; y++)
        {
          float *row = dst + (gint64) (y + 1) * cw->Wp;

          row[0] = 0.0f;
          memcpy (row + 1, src + (gint64) y * cw->W, cw->W * sizeof (float));
          memset (row + 1 + cw->W, 0, (cw->Wp - 1 - cw->W) * sizeof (float));
        }
      memset (dst + (gint64) (cw->H + 1) * cw->Wp, 0,
              (gint64) (cw->Hp - cw->H - 1) * cw->Wp * sizeof (float));
    }
}

/* The three stages on tiles rows [ty0, ty1) of image @n, each over a sub-range so that small
 * maps (one block) can still be split across threads stage by stage. */
static void
stage_in (WinoJob *j, int n, int ty0, int ty1, float *V, int c0, int c1)
{
  ConvWino *cw = j->cw;
  int T = (ty1 - ty0) * cw->TW, m = cw->m;
  gint64 vstride = (gint64) cw->C * T;

  for (int c = c0; c < c1; c++)
    {
      const float *xp = j->xp + ((gint64) n * cw->C + c) * cw->Hp * cw->Wp;

      for (int ty = ty0; ty < ty1; ty++)
        for (int tx0 = 0; tx0 < cw->TW; tx0 += LANES)
          {
            int L = MIN (LANES, cw->TW - tx0), t0 = (ty - ty0) * cw->TW + tx0;
            const float *row = xp + (gint64) ty * m * cw->Wp + tx0 * m;

            if (m == 4)
              in_f43 (row, cw->Wp, L, V + (gint64) c * T + t0, vstride);
            else
              in_f23 (row, cw->Wp, L, V + (gint64) c * T + t0, vstride);
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

static void
stage_out (WinoJob *j, int n, int ty0, int ty1, const float *M, int o0, int o1)
{
  ConvWino *cw = j->cw;
  int T = (ty1 - ty0) * cw->TW, m = cw->m, OW = cw->W, OH = cw->H;
  gint64 mstride = (gint64) cw->O * T, plane = (gint64) OH * OW;
  const NdTensor *bias = j->node->w[ND_W_BIAS];
  float Y[16 * LANES];

  for (int o = o0; o < o1; o++)
    {
      float *yo = j->y + ((gint64) n * cw->O + o) * plane;
      float b = bias != NULL ? bias->data[o] : 0.0f;
      int y0 = ty0 * m, y1 = MIN (OH, ty1 * m);

      for (int t0 = 0; t0 < T; t0 += LANES)
        {
          int L = MIN (LANES, T - t0);

          if (m == 4)
            out_f43 (M + (gint64) o * T + t0, mstride, L, Y);
          else
            out_f23 (M + (gint64) o * T + t0, mstride, L, Y);
          for (int l = 0; l < L; l++)
            {
              int t = t0 + l, ty = ty0 + t / cw->TW, tx = t % cw->TW;
              int ih = MIN (m, OH - ty * m), iw = MIN (m, OW - tx * m);

              for (int i = 0; i < ih; i++)
                {
                  float *dst = yo + (gint64) (ty * m + i) * OW + tx * m;

                  for (int jj = 0; jj < iw; jj++)
                    dst[jj] = Y[(i * m + jj) * LANES + l] + b;
                }
            }
        }
      if (cw->parent.epilogue.n_steps > 0)
        nd_cpu_epilogue_apply (&cw->parent.epilogue, n, o, cw->O, plane, (gint64) y0 * OW,
                               yo + (gint64) y0 * OW, (gint64) (y1 - y0) * OW);
    }
}

static float *
thread_v (WinoJob *j, int thread)
{
  ConvWino *cw = j->cw;

  return cw->parent.scratch + (gsize) j->N * cw->C * cw->Hp * cw->Wp
         + (gsize) thread * cw->thread_floats;
}

/* Block mode: one task = all three stages on one block of tile rows, in this thread's V/M. */
static void
block_task (gpointer data, int task, int thread)
{
  WinoJob *j = data;
  ConvWino *cw = j->cw;
  int n = task / cw->n_blocks, blk = task % cw->n_blocks;
  int ty0 = blk * cw->rows_per_block, ty1 = MIN (cw->TH, ty0 + cw->rows_per_block);
  int T = (ty1 - ty0) * cw->TW;
  float *V = thread_v (j, thread), *M = V + (gsize) cw->a * cw->a * cw->C * T;

  stage_in (j, n, ty0, ty1, V, 0, cw->C);
  stage_gemm (cw, T, V, M, 0, cw->a * cw->a * cw->g);
  stage_out (j, n, ty0, ty1, M, 0, cw->O);
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
      stage_in (s->j, s->n, 0, cw->TH, s->V, b, e);
      break;
    case 1:
      nd_cpu_split (cw->a * cw->a * cw->g, s->parts, task, 1, &b, &e);
      stage_gemm (cw, T, s->V, s->M, b, e);
      break;
    default:
      nd_cpu_split (cw->O, s->parts, task, 1, &b, &e);
      stage_out (s->j, s->n, 0, cw->TH, s->M, b, e);
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
  static const double G43[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 },
  };
  static const double G23[4][3] = {
    { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 },
  };
  int a = cw->a, cpg = cw->C / cw->g;

  for (int o = 0; o < cw->O; o++)
    for (int c = 0; c < cpg; c++)
      {
        const float *k = w + ((gint64) o * cpg + c) * 9;
        double t[6][3];

        for (int i = 0; i < a; i++)
          for (int x = 0; x < 3; x++)
            {
              double s = 0;

              for (int y = 0; y < 3; y++)
                s += (a == 6 ? G43[i][y] : G23[i][y]) * k[y * 3 + x];
              t[i][x] = s;
            }
        for (int i = 0; i < a; i++)
          for (int jj = 0; jj < a; jj++)
            {
              double s = 0;

              for (int x = 0; x < 3; x++)
                s += t[i][x] * (a == 6 ? G43[jj][x] : G23[jj][x]);
              cw->U[((gint64) (i * a + jj) * cw->O + o) * cpg + c] = (float) s;
            }
      }
}

NdCpuKernel *
nd_cpu_conv_winograd_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const char *forced = nd_cpu_conv_forced_algo ();
  const NdNode *a;
  ConvWino *cw;
  int m, cpg, opg, target;

  if (node->op != ND_OP_CONV2D || !nd_op_is_square (&node->p, 3, 1) || node->p.stride != 1)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  cpg = a->out_c / node->p.groups;
  opg = node->out_c / node->p.groups;
  if (forced != NULL)
    {
      if (g_str_equal (forced, "winograd-f43"))
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
  cw->Wp = cw->TW * m + 2;
  /* Tiles per block (the GEMMs' N): 128 measured best from 92 to 512 channels (16–256
   * tried, nd-bench-conv with ND_WINO_TILES); fitting V and M in L2 instead gave N ≈ 16 for
   * wide layers and half the speed. */
  target = 128;
  if (g_getenv ("ND_WINO_TILES") != NULL)
    target = atoi (g_getenv ("ND_WINO_TILES"));
  target = CLAMP (target, 16, 1024);
  /* Enough blocks to share between threads (block mode keeps V and M in cache), as long as
   * a block keeps ≥ 32 tiles; maps too small for that use stage mode (see wino_run). */
  cw->rows_per_block = MIN (target / cw->TW,
                            MAX ((32 + cw->TW - 1) / cw->TW,
                                 (cw->TH + 2 * nd_cpu_pool_n_threads () - 1)
                                 / (2 * nd_cpu_pool_n_threads ())));
  /* Maps of 112² and more: one tile row per block (28+ tiles) measured 2× faster than 2–4
   * rows (VGG-16 features.2 and .7, nd-bench-conv with ND_WINO_TILES 32 vs 128). */
  if (cw->TW >= 28 && g_getenv ("ND_WINO_TILES") == NULL)
    cw->rows_per_block = 1;
  cw->rows_per_block = CLAMP (cw->rows_per_block, 1, cw->TH);
  cw->n_blocks = (cw->TH + cw->rows_per_block - 1) / cw->rows_per_block;
  cw->tiles_max = cw->rows_per_block * cw->TW;
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
  cw->parent.algo = m == 4 ? "winograd-f43" : "winograd-f23";
  cw->parent.run = wino_run;
  cw->parent.free = wino_free;
  cw->parent.fuses_epilogue = TRUE;
  cw->parent.scratch_floats = (gsize) batch * cw->C * cw->Hp * cw->Wp
                              + MAX ((gsize) nd_cpu_pool_n_threads () * cw->thread_floats,
                                     (gsize) cw->a * cw->a * (cw->C + cw->O) * cw->TH * cw->TW);
  return &cw->parent;
}
