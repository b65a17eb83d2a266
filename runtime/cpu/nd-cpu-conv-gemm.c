/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <cblas.h>

#include "nd-cpu-kernel.h"

/* Convolution as im2col + one sgemm per (image, group):
 *   out[g] (og × OH·OW) = W[g] (og × cg·k·k) · cols (cg·k·k × OH·OW)
 * A 1×1 stride-1 unpadded conv reads the input directly as its column matrix. */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, O, OH, OW, k, s, pad, g;
  gboolean direct;   /* 1×1, stride 1, pad 0: no im2col */
} ConvGemm;

static void
im2col (const float *x, int C, int H, int W, int k, int s, int pad, int OH, int OW, float *cols)
{
  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *row = cols + ((int64_t) (c * k + ky) * k + kx) * OH * OW;

          for (int oy = 0; oy < OH; oy++)
            {
              int iy = oy * s - pad + ky;

              if (iy < 0 || iy >= H)
                {
                  memset (row + oy * OW, 0, OW * sizeof (float));
                  continue;
                }
              for (int ox = 0; ox < OW; ox++)
                {
                  int ix = ox * s - pad + kx;

                  row[oy * OW + ox] = (ix >= 0 && ix < W) ? x[((int64_t) c * H + iy) * W + ix] : 0.0f;
                }
            }
        }
}

static void
conv_gemm_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor * const *in, NdTensor *out)
{
  ConvGemm *cg = (ConvGemm *) kernel;
  const float *w = node->w[ND_W_WEIGHT]->data;
  const NdTensor *b = node->w[ND_W_BIAS];
  int N = in[0]->shape[0];
  int cpg = cg->C / cg->g, opg = cg->O / cg->g, K = cpg * cg->k * cg->k;
  int64_t P = (int64_t) cg->OH * cg->OW;

  for (int n = 0; n < N; n++)
    {
      const float *x = in[0]->data + (int64_t) n * cg->C * cg->H * cg->W;
      float *y = out->data + (int64_t) n * cg->O * P;

      if (b != NULL)
        for (int o = 0; o < cg->O; o++)
          for (int64_t i = 0; i < P; i++)
            y[o * P + i] = b->data[o];

      for (int grp = 0; grp < cg->g; grp++)
        {
          const float *cols;

          if (cg->direct)
            cols = x + (int64_t) grp * cpg * P;
          else
            {
              im2col (x + (int64_t) grp * cpg * cg->H * cg->W, cpg, cg->H, cg->W, cg->k, cg->s,
                      cg->pad, cg->OH, cg->OW, kernel->scratch);
              cols = kernel->scratch;
            }
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, opg, P, K, 1.0f,
                       w + (int64_t) grp * opg * K, K, cols, P, b != NULL ? 1.0f : 0.0f,
                       y + (int64_t) grp * opg * P, P);
        }
    }
}

static void
conv_gemm_free (NdCpuKernel *kernel)
{
  g_free (kernel);
}

NdCpuKernel *
nd_cpu_conv_gemm_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  ConvGemm *cg;

  if (node->op != ND_OP_CONV2D)
    return NULL;
  a = nd_graph_node (graph, node->inputs[0]);
  cg = g_new0 (ConvGemm, 1);
  cg->C = a->out_c;
  cg->H = a->out_h;
  cg->W = a->out_w;
  cg->O = node->out_c;
  cg->OH = node->out_h;
  cg->OW = node->out_w;
  cg->k = node->p.kernel;
  cg->s = node->p.stride;
  cg->pad = node->p.pad;
  cg->g = node->p.groups;
  cg->direct = cg->k == 1 && cg->s == 1 && cg->pad == 0;
  cg->parent.algo = cg->direct ? "gemm-1x1" : "im2col+sgemm";
  cg->parent.run = conv_gemm_run;
  cg->parent.free = conv_gemm_free;
  if (!cg->direct)
    cg->parent.scratch_floats = (gsize) (cg->C / cg->g) * cg->k * cg->k * cg->OH * cg->OW;
  return &cg->parent;
}

/* Linear: out (N × O) = x (N × I) · Wᵀ + b */
static void
linear_gemm_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor * const *in,
                 NdTensor *out)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = in[0]->shape[0], O = w->shape[0], n_in = w->shape[1];

  for (int n = 0; n < N; n++)
    memcpy (out->data + (int64_t) n * O, node->w[ND_W_BIAS]->data, O * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, N, O, n_in, 1.0f, in[0]->data, n_in, w->data,
               n_in, 1.0f, out->data, O);
}

NdCpuKernel *
nd_cpu_linear_gemm_new (const NdGraph *graph, const NdNode *node, int batch)
{
  NdCpuKernel *k;

  if (node->op != ND_OP_LINEAR)
    return NULL;
  k = g_new0 (NdCpuKernel, 1);
  k->algo = "sgemm";
  k->run = linear_gemm_run;
  k->free = conv_gemm_free;
  return k;
}
