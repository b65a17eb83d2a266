/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <cblas.h>

#include "nd-grad-private.h"

/* A conv's input gradient is the transposed conv of dy with the same weights: per image and
 * group, cols [cg·k·kw, OH·OW] = Wᵀ [cg·k·kw, og] · dy [og, OH·OW] (one sgemm), then each
 * column is scattered back to the input cells its window covered (col2im). Only the rows of
 * dy that hold a non-zero enter the sgemm: the gradient of one unit (an effective receptive
 * field) starts as a single non-zero cell and stays local for many layers. */

/* The first and last output rows of image @n where dy is non-zero; FALSE when all are 0. */
static gboolean
nonzero_rows (const NdTensor *dy, int n, int *r0, int *r1)
{
  int O = dy->shape[1], OH = dy->shape[2], OW = dy->shape[3];

  *r0 = OH;
  *r1 = -1;
  for (int o = 0; o < O; o++)
    for (int y = 0; y < OH; y++)
      {
        const float *row = dy->data + (((int64_t) n * O + o) * OH + y) * OW;

        if (y >= *r0 && y <= *r1)
          continue;
        for (int x = 0; x < OW; x++)
          if (row[x] != 0.0f)
            {
              *r0 = MIN (*r0, y);
              *r1 = MAX (*r1, y);
              break;
            }
      }
  return *r1 >= 0;
}

static void
col2im_add (const float *cols, int cg, int k, int kw, int s, int pad, int pad_w, int r0,
            int nrows, int OW, float *dx, int H, int W)
{
  int64_t ncols = (int64_t) nrows * OW;

  for (int ci = 0; ci < cg; ci++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < kw; kx++)
        {
          const float *c = cols + (((int64_t) ci * k + ky) * kw + kx) * ncols;
          float *plane = dx + (int64_t) ci * H * W;

          for (int r = 0; r < nrows; r++)
            {
              int iy = (r0 + r) * s - pad + ky;

              if (iy < 0 || iy >= H)
                continue;
              for (int ox = 0; ox < OW; ox++)
                {
                  int ix = ox * s - pad_w + kx;

                  if (ix >= 0 && ix < W)
                    plane[(int64_t) iy * W + ix] += c[(int64_t) r * OW + ox];
                }
            }
        }
}

gboolean
_nd_grad_conv2d_fast (const NdNode *node, const NdTensor *dy, NdTensor *dx)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = dx->shape[0], C = dx->shape[1], H = dx->shape[2], W = dx->shape[3];
  int O = dy->shape[1], OH = dy->shape[2], OW = dy->shape[3];
  int k = node->p.kernel, s = node->p.stride, g = node->p.groups;
  int kw = nd_op_kernel_w (&node->p);
  int cg = C / g, og = O / g, kk = cg * k * kw;
  g_autofree float *cols = NULL;

  /* a depthwise conv's sgemm would be a rank-1 update per channel: the loop is faster */
  if (cg * og < 16)
    return FALSE;
  cols = g_new (float, (int64_t) kk * OH * OW);
  for (int n = 0; n < N; n++)
    {
      int r0, r1, nrows;

      if (!nonzero_rows (dy, n, &r0, &r1))
        continue;
      nrows = r1 - r0 + 1;
      for (int grp = 0; grp < g; grp++)
        {
          const float *wg = w->data + (int64_t) grp * og * kk;
          const float *dyg = dy->data + ((int64_t) n * O + (int64_t) grp * og) * OH * OW
                             + (int64_t) r0 * OW;

          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, kk, nrows * OW, og,
                       1.0f, wg, kk, dyg, OH * OW, 0.0f, cols, nrows * OW);
          col2im_add (cols, cg, k, kw, s, node->p.pad, nd_op_pad_w (&node->p), r0, nrows, OW,
                      dx->data + ((int64_t) n * C + (int64_t) grp * cg) * H * W, H, W);
        }
    }
  return TRUE;
}
