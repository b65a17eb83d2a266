/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-cpu-kernel.h"
#include "nd-cpu-pool.h"
#include "nd-cpu-simd.h"

/* Fast float paths for every non-GEMM op: the same definitions as nd-ref-ops.c, in float,
 * vectorisable, split across the pool by channel planes (or by element ranges). */

typedef struct
{
  NdCpuKernel parent;
  NdOp   op;
  int    C, H, W, OC, OH, OW;   /* input 0 and output dims */
  float *scale, *shift;     /* BATCHNORM, folded in double at prepare */
} Eltwise;

typedef struct
{
  Eltwise              *e;
  const NdNode         *node;
  const NdTensor *const *in;
  NdTensor             *out;
  gint64                n_units;   /* planes (N·C) or elements */
  int                   n_tasks;
} EltJob;

/* ---- epilogue ---------------------------------------------------------------------- */

ND_CPU_HOT static void
ep_relu (float *y, gint64 len)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

ND_CPU_HOT static void
ep_silu (float *y, gint64 len)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = y[i] / (1.0f + nd_cpu_expf (-y[i]));
}

ND_CPU_HOT static void
ep_sigmoid (float *y, gint64 len)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = 1.0f / (1.0f + nd_cpu_expf (-y[i]));
}

ND_CPU_HOT static void
ep_leaky (float *y, gint64 len, float a)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = y[i] >= 0.0f ? y[i] : a * y[i];
}

ND_CPU_HOT static void
ep_relu6 (float *y, gint64 len)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = y[i] > 0.0f ? (y[i] < 6.0f ? y[i] : 6.0f) : 0.0f;
}

ND_CPU_HOT static void
ep_scale (float *y, gint64 len, float s)
{
  for (gint64 i = 0; i < len; i++)
    y[i] *= s;
}

ND_CPU_HOT static void
ep_add (float *restrict y, const float *restrict x, gint64 len)
{
  for (gint64 i = 0; i < len; i++)
    y[i] += x[i];
}

static float
gate_of (float alpha, float s)
{
  return (float) (alpha / (1.0 + exp (-(double) s)));
}

/* The steps that act on each value alone; FALSE for GATE and ADD */
static gboolean
ep_elementwise (const NdCpuEpStep *st, float *y, gint64 len)
{
  switch (st->kind)
    {
    case ND_CPU_EP_RELU:
      ep_relu (y, len);
      return TRUE;
    case ND_CPU_EP_SILU:
      ep_silu (y, len);
      return TRUE;
    case ND_CPU_EP_SIGMOID:
      ep_sigmoid (y, len);
      return TRUE;
    case ND_CPU_EP_LEAKY:
      ep_leaky (y, len, st->alpha);
      return TRUE;
    case ND_CPU_EP_RELU6:
      ep_relu6 (y, len);
      return TRUE;
    default:
      return FALSE;
    }
}

void
nd_cpu_epilogue_apply (const NdCpuEpilogue *ep, int n, int c, int C, gint64 plane, gint64 off,
                       float *y, gint64 len)
{
  for (int i = 0; i < ep->n_steps; i++)
    {
      const NdCpuEpStep *st = &ep->steps[i];

      if (ep_elementwise (st, y, len))
        continue;
      switch (st->kind)
        {
        case ND_CPU_EP_GATE:
          ep_scale (y, len, gate_of (st->alpha, st->other->data[(gint64) n * C + c]));
          break;
        case ND_CPU_EP_ADD:
          ep_add (y, st->other->data + ((gint64) n * C + c) * plane + off, len);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

void
nd_cpu_epilogue_apply_nc16 (const NdCpuEpilogue *ep, int n, int cb, int C, gint64 plane,
                            gint64 p0, float *y, gint64 np)
{
  gint64 len = np * 16;

  for (int i = 0; i < ep->n_steps; i++)
    {
      const NdCpuEpStep *st = &ep->steps[i];

      if (ep_elementwise (st, y, len))
        continue;
      switch (st->kind)
        {
        case ND_CPU_EP_GATE:
          {
            /* the squeezed values are [N][C] in either layout */
            float g[16];

            for (int l = 0; l < 16; l++)
              g[l] = gate_of (st->alpha, st->other->data[(gint64) n * C + cb * 16 + l]);
            for (gint64 p = 0; p < np; p++)
              for (int l = 0; l < 16; l++)
                y[p * 16 + l] *= g[l];
          }
          break;
        case ND_CPU_EP_ADD:
          ep_add (y, st->other->data + (((gint64) n * (C / 16) + cb) * plane + p0) * 16, len);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

void
nd_cpu_epilogue_rows (const NdCpuEpilogue *ep, int n, int C, int OH, int OW, int c0, int c1,
                      int oy0, int oy1, float *y)
{
  if (ep->n_steps == 0)
    return;
  for (int c = c0; c < c1; c++)
    nd_cpu_epilogue_apply (ep, n, c, C, (gint64) OH * OW, (gint64) oy0 * OW,
                           y + ((gint64) c * OH + oy0) * OW, (gint64) (oy1 - oy0) * OW);
}

/* ---- ops --------------------------------------------------------------------------- */

ND_CPU_HOT static void
bn_plane (float *restrict y, const float *restrict x, gint64 len, float a, float b)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = x[i] * a + b;
}

ND_CPU_HOT static void
add_range (float *restrict y, const NdTensor *const *in, int n_in, gint64 b, gint64 e)
{
  const float *x0 = in[0]->data, *x1 = in[1]->data;

  for (gint64 i = b; i < e; i++)
    y[i] = x0[i] + x1[i];
  for (int k = 2; k < n_in; k++)
    {
      const float *xk = in[k]->data;

      for (gint64 i = b; i < e; i++)
        y[i] += xk[i];
    }
}

ND_CPU_HOT static void
gate_plane (float *restrict y, const float *restrict x, gint64 len, float g)
{
  for (gint64 i = 0; i < len; i++)
    y[i] = x[i] * g;
}

ND_CPU_HOT static void
pool_plane (const NdNode *node, const float *restrict x, int H, int W, float *restrict y, int OH,
            int OW)
{
  int k = node->p.kernel, s = node->p.stride, pad = node->p.pad;
  gboolean is_max = node->op == ND_OP_MAXPOOL;
  float inv = 1.0f / (k * k);
  float row[W];

  if (k == 2 && s == 2 && pad == 0 && !node->p.ceil_mode)
    {
      for (int oy = 0; oy < OH; oy++)
        {
          const float *r0 = x + (gint64) (2 * oy) * W, *r1 = r0 + W;
          float *o = y + (gint64) oy * OW;

          if (is_max)
            for (int ox = 0; ox < OW; ox++)
              o[ox] = MAX (MAX (r0[2 * ox], r0[2 * ox + 1]), MAX (r1[2 * ox], r1[2 * ox + 1]));
          else
            for (int ox = 0; ox < OW; ox++)
              o[ox] = (r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]) * 0.25f;
        }
      return;
    }
  /* Any other window (ResNet's 3×3 stride-2 stem pool): the rows of a window reduced
   * first into one row of the input's width, then that row across each window's columns;
   * outside the input counts as −inf (max) or 0 (average, divided by k² as the reference) */

  for (int oy = 0; oy < OH; oy++)
    {
      int iy0 = MAX (0, oy * s - pad), iy1 = MIN (H, oy * s - pad + k);
      /* columns whose whole window lies inside the input */
      int lo = MIN (OW, (pad + s - 1) / s);
      int hi = W - k + pad < 0 ? lo : MAX (lo, MIN (OW, (W - k + pad) / s + 1));
      float *o = y + (gint64) oy * OW;

      if (iy1 <= iy0)
        {
          for (int ox = 0; ox < OW; ox++)
            o[ox] = is_max ? -INFINITY : 0.0f;
          continue;
        }
      memcpy (row, x + (gint64) iy0 * W, W * sizeof (float));
      for (int iy = iy0 + 1; iy < iy1; iy++)
        {
          const float *r = x + (gint64) iy * W;

          if (is_max)
            for (int ix = 0; ix < W; ix++)
              row[ix] = MAX (row[ix], r[ix]);
          else
            for (int ix = 0; ix < W; ix++)
              row[ix] += r[ix];
        }
      for (int ox = 0; ox < OW; ox++)
        {
          int ix0, ix1;
          float acc;

          if (ox == lo && lo < hi)
            {
              /* the interior: no bounds tests */
              for (; ox < hi; ox++)
                {
                  const float *r = row + ox * s - pad;

                  acc = r[0];
                  for (int kx = 1; kx < k; kx++)
                    acc = is_max ? MAX (acc, r[kx]) : acc + r[kx];
                  o[ox] = is_max ? acc : acc * inv;
                }
              if (ox >= OW)
                break;
            }
          ix0 = MAX (0, ox * s - pad);
          ix1 = MIN (W, ox * s - pad + k);
          acc = is_max ? -INFINITY : 0.0f;
          for (int ix = ix0; ix < ix1; ix++)
            acc = is_max ? MAX (acc, row[ix]) : acc + row[ix];
          o[ox] = is_max ? acc : acc * inv;
        }
    }
}

/* Global average: 16 partial sums so the loop vectorises without reassociation flags. */
ND_CPU_HOT static float
plane_mean (const float *restrict x, gint64 len)
{
  float acc[16] = { 0 };
  double total = 0;
  gint64 i = 0;

  for (; i + 16 <= len; i += 16)
    for (int l = 0; l < 16; l++)
      acc[l] += x[i + l];
  for (; i < len; i++)
    total += x[i];
  for (int l = 0; l < 16; l++)
    total += acc[l];
  return (float) (total / len);
}

static void
adaptive_plane (gboolean is_max, const float *x, int H, int W, float *y, int OH, int OW)
{
  if (!is_max && OH == 1 && OW == 1)
    {
      y[0] = plane_mean (x, (gint64) H * W);
      return;
    }
  for (int oy = 0; oy < OH; oy++)
    for (int ox = 0; ox < OW; ox++)
      {
        int y0 = (oy * H) / OH, y1 = ((oy + 1) * H + OH - 1) / OH;
        int x0 = (ox * W) / OW, x1 = ((ox + 1) * W + OW - 1) / OW;
        double acc = is_max ? -INFINITY : 0.0;

        for (int iy = y0; iy < y1; iy++)
          {
            const float *row = x + (gint64) iy * W;

            if (is_max)
              for (int ix = x0; ix < x1; ix++)
                acc = MAX (acc, row[ix]);
            else
              {
                float s = 0.0f;

                for (int ix = x0; ix < x1; ix++)
                  s += row[ix];
                acc += s;
              }
          }
        y[oy * OW + ox] = (float) (is_max ? acc : acc / ((y1 - y0) * (x1 - x0)));
      }
}

static gboolean
per_plane (NdOp op)
{
  switch (op)
    {
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
    case ND_OP_ADD:
      return FALSE;
    default:
      return TRUE;
    }
}

static void
elt_task (gpointer data, int task, int thread)
{
  EltJob *j = data;
  Eltwise *e = j->e;
  const NdNode *node = j->node;
  gint64 b, end;
  gint64 in_plane = (gint64) e->H * e->W, out_plane = (gint64) e->OH * e->OW;

  nd_cpu_split (j->n_units, j->n_tasks, task, per_plane (e->op) ? 1 : 16, &b, &end);
  if (!per_plane (e->op))
    {
      float *y = j->out->data + b;
      gint64 len = end - b;

      if (e->op == ND_OP_ADD)
        {
          add_range (j->out->data, j->in, node->n_inputs, b, end);
          return;
        }
      if (y != j->in[0]->data + b)
        memcpy (y, j->in[0]->data + b, len * sizeof (float));
      switch (e->op)
        {
        case ND_OP_RELU:
          ep_relu (y, len);
          break;
        case ND_OP_SILU:
          ep_silu (y, len);
          break;
        case ND_OP_SIGMOID:
          ep_sigmoid (y, len);
          break;
        case ND_OP_LEAKY_RELU:
          ep_leaky (y, len, node->p.alpha);
          break;
        case ND_OP_RELU6:
          ep_relu6 (y, len);
          break;
        default:
          g_assert_not_reached ();
        }
      return;
    }

  for (gint64 pl = b; pl < end; pl++)
    {
      int n = pl / e->C, c = pl % e->C;
      const float *x = j->in[0]->data + pl * in_plane;
      float *y = j->out->data + pl * out_plane;

      switch (e->op)
        {
        case ND_OP_BATCHNORM:
          bn_plane (y, x, in_plane, e->scale[c], e->shift[c]);
          break;
        case ND_OP_GATE:
          gate_plane (y, x, in_plane, nd_op_gate_value (&node->p, j->in[1]->data[pl]));
          break;
        case ND_OP_AVGPOOL:
        case ND_OP_MAXPOOL:
          pool_plane (node, x, e->H, e->W, y, e->OH, e->OW);
          nd_cpu_epilogue_apply (&e->parent.epilogue, n, c, e->C, out_plane, 0, y, out_plane);
          break;
        case ND_OP_ADAPTIVE_AVGPOOL:
        case ND_OP_ADAPTIVE_MAXPOOL:
          adaptive_plane (e->op == ND_OP_ADAPTIVE_MAXPOOL, x, e->H, e->W, y, e->OH, e->OW);
          nd_cpu_epilogue_apply (&e->parent.epilogue, n, c, e->C, out_plane, 0, y, out_plane);
          break;
        case ND_OP_CONCAT_INTERLEAVE:
          /* plane pl of the output: channel c of 2C comes from input c & 1, channel c / 2 */
          {
            int C2 = 2 * e->C;

            for (int half = 0; half < 2; half++)
              memcpy (j->out->data + ((gint64) n * C2 + 2 * c + half) * in_plane,
                      j->in[half]->data + pl * in_plane, in_plane * sizeof (float));
          }
          break;
        case ND_OP_CONCAT:
          /* unit pl is a plane of the output: find the input that holds its channel */
          {
            int oc = (int) (pl % e->OC), k = 0;
            gint64 n_img = pl / e->OC;

            while (oc >= j->in[k]->shape[1])
              oc -= j->in[k++]->shape[1];
            memcpy (j->out->data + pl * in_plane,
                    j->in[k]->data + (n_img * j->in[k]->shape[1] + oc) * in_plane,
                    in_plane * sizeof (float));
          }
          break;
        case ND_OP_SLICE:
          /* unit pl is a plane of the output */
          memcpy (j->out->data + pl * in_plane,
                  j->in[0]->data + ((pl / e->OC) * e->C + node->p.offset + pl % e->OC)
                                   * in_plane, in_plane * sizeof (float));
          break;
        case ND_OP_CHANNEL_SHUFFLE:
          {
            int g = node->p.groups, cpg = e->C / g, i = c / cpg, jj = c % cpg;

            memcpy (j->out->data + ((gint64) n * e->C + jj * g + i) * in_plane, x,
                    in_plane * sizeof (float));
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

static void
eltwise_run (NdCpuKernel *kernel, const NdNode *node, const NdTensor *const *in, NdTensor *out)
{
  Eltwise *e = (Eltwise *) kernel;
  EltJob j = { e, node, in, out, 0, 1 };
  gint64 N = in[0]->shape[0];
  gint64 work = MAX (in[0]->numel, out->numel);

  /* CONCAT and SLICE copy output planes; the other per-plane ops walk input planes */
  j.n_units = !per_plane (e->op) ? out->numel
              : e->op == ND_OP_CONCAT || e->op == ND_OP_SLICE ? N * e->OC : N * e->C;
  if (work >= 16384)
    j.n_tasks = (int) MIN (j.n_units, 4 * nd_cpu_pool_n_threads ());
  nd_cpu_parallel_for (j.n_tasks, elt_task, &j);
}

static void
eltwise_free (NdCpuKernel *kernel)
{
  Eltwise *e = (Eltwise *) kernel;

  g_free (e->scale);
  g_free (e->shift);
  g_free (e);
}

void
nd_cpu_bn_fold (const NdNode *node, int C, float **scale, float **shift)
{
  *scale = g_new (float, C);
  *shift = g_new (float, C);
  for (int c = 0; c < C; c++)
    {
      double t = node->w[ND_W_WEIGHT]->data[c]
                 / sqrt ((double) node->w[ND_W_VAR]->data[c] + node->p.eps);

      (*scale)[c] = (float) t;
      (*shift)[c] = (float) (node->w[ND_W_BIAS]->data[c] - node->w[ND_W_MEAN]->data[c] * t);
    }
}

NdCpuKernel *
nd_cpu_eltwise_new (const NdGraph *graph, const NdNode *node, int batch)
{
  const NdNode *a;
  Eltwise *e;

  switch (node->op)
    {
    case ND_OP_BATCHNORM:
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_ADD:
    case ND_OP_GATE:
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
    case ND_OP_RELU6:
    case ND_OP_CONCAT:
    case ND_OP_SLICE:
      break;
    default:
      return NULL;
    }
  a = nd_graph_node (graph, node->inputs[0]);
  e = g_new0 (Eltwise, 1);
  e->op = node->op;
  e->C = a->out_c;
  e->H = a->out_h;
  e->W = a->out_w;
  e->OC = node->out_c;
  e->OH = node->out_h;
  e->OW = node->out_w;
  if (node->op == ND_OP_BATCHNORM)
    nd_cpu_bn_fold (node, e->C, &e->scale, &e->shift);
  e->parent.algo = "fast";
  switch (node->op)
    {
    case ND_OP_BATCHNORM:
      e->parent.algo = "bn";
      break;
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      e->parent.algo = "pool";
      /* the activation after a pool (VanillaNet's pool → ReLU) on the plane just written,
       * in cache, instead of its own pass over the map */
      e->parent.fuses_epilogue = TRUE;
      break;
    case ND_OP_CONCAT_INTERLEAVE:
    case ND_OP_CHANNEL_SHUFFLE:
    case ND_OP_CONCAT:
    case ND_OP_SLICE:
      e->parent.algo = "copy";
      break;
    default:
      e->parent.algo = "eltwise";
      break;
    }
  e->parent.run = eltwise_run;
  e->parent.free = eltwise_free;
  return &e->parent;
}
