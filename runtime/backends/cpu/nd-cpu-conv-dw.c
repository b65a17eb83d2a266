/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

/* Direct depthwise k×k convolution (groups = C = O; VanillaNet's series activation is a 7×7
 * one): each output row accumulates k·k shifted input rows, the inner loop over output
 * columns contiguous for stride 1, so it vectorises; split across the pool by channel planes.
 * im2col would expand every plane k² times for a GEMM of one row. */

typedef struct
{
  NdCpuKernel parent;
  int C, H, W, OH, OW, k, s, pad;
  gboolean padded;   /* stride 1, k ∈ {3, 5, 7}: the specialised padded-plane path */
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

static void
dw_task (gpointer data, int task, int thread)
{
  DwJob *j = data;
  ConvDw *dw = j->dw;
  const NdTensor *b = j->node->w[ND_W_BIAS];
  gint64 planes = j->x->shape[0] * dw->C, p0, p1;
  gint64 in_plane = (gint64) dw->H * dw->W, out_plane = (gint64) dw->OH * dw->OW;

  nd_cpu_split (planes, j->n_tasks, task, 1, &p0, &p1);
  for (gint64 pl = p0; pl < p1; pl++)
    {
      int n = pl / dw->C, c = pl % dw->C;
      float *y = j->y->data + pl * out_plane;

      const float *x = j->x->data + pl * in_plane;
      const float *w = j->node->w[ND_W_WEIGHT]->data + (gint64) c * dw->k * dw->k;
      float bv = b != NULL ? b->data[c] : 0.0f;

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

  if (out->numel * dw->k * dw->k >= 32768)
    j.n_tasks = (int) MIN (planes, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.n_tasks, dw_task, &j);
}

static void
dw_free (NdCpuKernel *kernel)
{
  g_free (kernel);
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
  if (dw->padded)
    dw->parent.scratch_floats = (gsize) nd_cpu_pool_n_threads () * (dw->H + 2 * dw->pad)
                                * (dw->W + 2 * dw->pad);
  dw->parent.algo = "dw-direct";
  dw->parent.run = dw_run;
  dw->parent.free = dw_free;
  dw->parent.fuses_epilogue = TRUE;
  return &dw->parent;
}
