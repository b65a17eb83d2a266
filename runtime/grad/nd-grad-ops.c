/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-grad-private.h"

/* The reference input gradients: each op's definition (nd-graph.h, nd-ref-ops.c) differentiated
 * by hand, plain loops, double where sums get long. Every function *adds* to dx, because a
 * value read by several nodes receives the sum of their gradients. */

#define AT(t, n, c, y, x) \
  ((t)->data[(((int64_t) (n) * (t)->shape[1] + (c)) * (t)->shape[2] + (y)) * (t)->shape[3] + (x)])

static double
sigmoid (double x)
{
  return 1.0 / (1.0 + exp (-x));
}

/* x is scattered into by every output whose window covers it: dx[i] += Σ w·dy. */
static void
grad_conv2d (const NdNode *node, const NdTensor *dy, NdTensor *dx)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = dx->shape[0], C = dx->shape[1], H = dx->shape[2], W = dx->shape[3];
  int O = dy->shape[1], OH = dy->shape[2], OW = dy->shape[3];
  int k = node->p.kernel, s = node->p.stride, pad = node->p.pad, g = node->p.groups;
  int kw = nd_op_kernel_w (&node->p), pad_w = nd_op_pad_w (&node->p);
  int cg = C / g, og = O / g;

  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            float d = AT (dy, n, o, oy, ox);

            if (d == 0.0f)
              continue;
            for (int ci = 0; ci < cg; ci++)
              for (int ky = 0; ky < k; ky++)
                {
                  int iy = oy * s - pad + ky;

                  if (iy < 0 || iy >= H)
                    continue;
                  for (int kx = 0; kx < kw; kx++)
                    {
                      int ix = ox * s - pad_w + kx;

                      if (ix < 0 || ix >= W)
                        continue;
                      AT (dx, n, (o / og) * cg + ci, iy, ix) +=
                        w->data[((int64_t) (o * cg + ci) * k + ky) * kw + kx] * d;
                    }
                }
          }
}

static void
grad_batchnorm (const NdNode *node, const NdTensor *dy, NdTensor *dx)
{
  int N = dy->shape[0], C = dy->shape[1];
  int64_t HW = dy->shape[2] * dy->shape[3];

  for (int c = 0; c < C; c++)
    {
      double t = node->w[ND_W_WEIGHT]->data[c]
                 / sqrt ((double) node->w[ND_W_VAR]->data[c] + node->p.eps);

      for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < HW; i++)
          dx->data[((int64_t) n * C + c) * HW + i] +=
            (float) (dy->data[((int64_t) n * C + c) * HW + i] * t);
    }
}

/* Derivatives at the input, with PyTorch's choice at the kinks: ReLU and ReLU6 pass the
 * gradient only strictly inside (0, ∞) and (0, 6); leaky ReLU takes 1 only for x > 0 (its
 * backward tests x > 0, although the forward's branches meet at 0 either way). */
static void
grad_unary (const NdNode *node, const NdTensor *x, const NdTensor *dy, NdTensor *dx)
{
  for (int64_t i = 0; i < x->numel; i++)
    {
      double v = x->data[i], d;

      switch (node->op)
        {
        case ND_OP_RELU:
          d = v > 0 ? 1 : 0;
          break;
        case ND_OP_RELU6:
          d = v > 0 && v < 6 ? 1 : 0;
          break;
        case ND_OP_LEAKY_RELU:
          d = v > 0 ? 1 : node->p.alpha;
          break;
        case ND_OP_SIGMOID:
          {
            double sg = sigmoid (v);

            d = sg * (1 - sg);
          }
          break;
        case ND_OP_SILU:
          {
            double sg = sigmoid (v);

            d = sg * (1 + v * (1 - sg));
          }
          break;
        default:
          g_assert_not_reached ();
        }
      dx->data[i] += (float) (dy->data[i] * d);
    }
}

/* y = x · α·σ(s): dx = dy · α·σ(s); ds = Σ_hw dy·x · α·σ(s)·(1 − σ(s)). */
static void
grad_gate (const NdNode *node, const NdTensor *x, const NdTensor *s, const NdTensor *dy,
           NdTensor *dx, NdTensor *ds)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      {
        int64_t base = ((int64_t) n * C + c) * HW;
        double sg = sigmoid (s->data[(int64_t) n * C + c]), acc = 0;

        for (int64_t i = 0; i < HW; i++)
          {
            if (dx)
              dx->data[base + i] += (float) (dy->data[base + i] * node->p.alpha * sg);
            acc += (double) dy->data[base + i] * x->data[base + i];
          }
        if (ds)
          ds->data[(int64_t) n * C + c] += (float) (acc * node->p.alpha * sg * (1 - sg));
      }
}

/* The input cell a max window picked: the first maximum in scan order, as the forward's
 * MAX () keeps the earlier of equal values. Returns −1 when the window is empty. */
static int64_t
window_argmax (const NdTensor *x, int n, int c, int y0, int y1, int x0, int x1)
{
  int64_t best = -1;
  float m = -INFINITY;

  for (int iy = y0; iy < y1; iy++)
    for (int ix = x0; ix < x1; ix++)
      if (best < 0 || AT (x, n, c, iy, ix) > m)
        {
          m = AT (x, n, c, iy, ix);
          best = (int64_t) iy * x->shape[3] + ix;
        }
  return best;
}

static void
grad_pool (const NdNode *node, const NdTensor *x, const NdTensor *dy, NdTensor *dx)
{
  int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  int OH = dy->shape[2], OW = dy->shape[3];
  int k = node->p.kernel, s = node->p.stride, pad = node->p.pad;
  gboolean is_max = node->op == ND_OP_MAXPOOL;

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            float d = AT (dy, n, c, oy, ox);
            int y0 = MAX (oy * s - pad, 0), y1 = MIN (oy * s - pad + k, H);
            int x0 = MAX (ox * s - pad, 0), x1 = MIN (ox * s - pad + k, W);

            if (is_max)
              {
                int64_t at = window_argmax (x, n, c, y0, y1, x0, x1);

                if (at >= 0)
                  dx->data[((int64_t) n * C + c) * H * W + at] += d;
                continue;
              }
            /* count_include_pad: every cell of the window weighs 1/k² */
            for (int iy = y0; iy < y1; iy++)
              for (int ix = x0; ix < x1; ix++)
                AT (dx, n, c, iy, ix) += d / (k * k);
          }
}

static void
grad_adaptive_pool (const NdNode *node, const NdTensor *x, const NdTensor *dy, NdTensor *dx)
{
  int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  int OH = dy->shape[2], OW = dy->shape[3];
  gboolean is_max = node->op == ND_OP_ADAPTIVE_MAXPOOL;

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            int y0 = (oy * H) / OH, y1 = ((oy + 1) * H + OH - 1) / OH;
            int x0 = (ox * W) / OW, x1 = ((ox + 1) * W + OW - 1) / OW;
            float d = AT (dy, n, c, oy, ox);

            if (is_max)
              {
                int64_t at = window_argmax (x, n, c, y0, y1, x0, x1);

                dx->data[((int64_t) n * C + c) * H * W + at] += d;
                continue;
              }
            for (int iy = y0; iy < y1; iy++)
              for (int ix = x0; ix < x1; ix++)
                AT (dx, n, c, iy, ix) += d / ((y1 - y0) * (x1 - x0));
          }
}

/* Adds @n_ch planes of @src starting at channel @s0 to @dst's channel @d0 onwards. */
static void
add_planes (NdTensor *dst, int d0, const NdTensor *src, int s0, int n_ch)
{
  int N = src->shape[0];
  int64_t HW = src->shape[2] * src->shape[3];

  for (int n = 0; n < N; n++)
    {
      float *d = dst->data + ((int64_t) n * dst->shape[1] + d0) * HW;
      const float *s = src->data + ((int64_t) n * src->shape[1] + s0) * HW;

      for (int64_t i = 0; i < n_ch * HW; i++)
        d[i] += s[i];
    }
}

static void
grad_channel_shuffle (const NdNode *node, const NdTensor *dy, NdTensor *dx)
{
  int C = dy->shape[1], g = node->p.groups, cpg = C / g;

  for (int i = 0; i < g; i++)
    for (int j = 0; j < cpg; j++)
      add_planes (dx, i * cpg + j, dy, j * g + i, 1);
}

static void
grad_linear (const NdNode *node, const NdTensor *dy, NdTensor *dx)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = dy->shape[0], O = node->p.out_c;
  int64_t I = dx->numel / N;

  for (int n = 0; n < N; n++)
    for (int64_t i = 0; i < I; i++)
      {
        double acc = 0;

        for (int o = 0; o < O; o++)
          acc += (double) w->data[o * I + i] * dy->data[(int64_t) n * O + o];
        dx->data[n * I + i] += (float) acc;
      }
}

/* dx_c = y_c · (dy_c − Σ_j y_j·dy_j) at each position. */
static void
grad_softmax (const NdTensor *y, const NdTensor *dy, NdTensor *dx)
{
  int N = y->shape[0], C = y->shape[1];
  int64_t HW = y->shape[2] * y->shape[3];

  for (int n = 0; n < N; n++)
    for (int64_t i = 0; i < HW; i++)
      {
        double dot = 0;

        for (int c = 0; c < C; c++)
          dot += (double) y->data[((int64_t) n * C + c) * HW + i]
                 * dy->data[((int64_t) n * C + c) * HW + i];
        for (int c = 0; c < C; c++)
          {
            int64_t j = ((int64_t) n * C + c) * HW + i;

            dx->data[j] += (float) (y->data[j] * (dy->data[j] - dot));
          }
      }
}

void
nd_grad_linear_weights (const NdNode *node, const NdTensor *x, const NdTensor *dy,
                        NdTensor *dw, NdTensor *db)
{
  int N = dy->shape[0], O = node->p.out_c;
  int64_t I = x->numel / N;

  for (int o = 0; o < O; o++)
    {
      double bacc = 0;

      for (int n = 0; n < N; n++)
        bacc += dy->data[(int64_t) n * O + o];
      if (db)
        db->data[o] = (float) bacc;
      if (dw)
        for (int64_t i = 0; i < I; i++)
          {
            double acc = 0;

            for (int n = 0; n < N; n++)
              acc += (double) dy->data[(int64_t) n * O + o] * x->data[n * I + i];
            dw->data[o * I + i] = (float) acc;
          }
    }
}

/* Everything but the convolution, which the fast path replaces. */
static void
grad_op_common (const NdNode *node, const NdTensor * const *in, const NdTensor *out,
                const NdTensor *dy, NdTensor * const *dx)
{
  switch (node->op)
    {
    case ND_OP_INPUT:
      break;
    case ND_OP_BATCHNORM:
      if (dx[0])
        grad_batchnorm (node, dy, dx[0]);
      break;
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
      if (dx[0])
        grad_unary (node, in[0], dy, dx[0]);
      break;
    case ND_OP_ADD:
      for (int k = 0; k < node->n_inputs; k++)
        if (dx[k])
          add_planes (dx[k], 0, dy, 0, (int) dy->shape[1]);
      break;
    case ND_OP_GATE:
      grad_gate (node, in[0], in[1], dy, dx[0], dx[1]);
      break;
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
      if (dx[0])
        grad_pool (node, in[0], dy, dx[0]);
      break;
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      if (dx[0])
        grad_adaptive_pool (node, in[0], dy, dx[0]);
      break;
    case ND_OP_CONCAT_INTERLEAVE:
      for (int c = 0; c < (int) in[0]->shape[1]; c++)
        for (int k = 0; k < 2; k++)
          if (dx[k])
            add_planes (dx[k], c, dy, 2 * c + k, 1);
      break;
    case ND_OP_CHANNEL_SHUFFLE:
      if (dx[0])
        grad_channel_shuffle (node, dy, dx[0]);
      break;
    case ND_OP_LINEAR:
      if (dx[0])
        grad_linear (node, dy, dx[0]);
      break;
    case ND_OP_SOFTMAX:
      if (dx[0])
        grad_softmax (out, dy, dx[0]);
      break;
    case ND_OP_CONCAT:
      for (int k = 0, c0 = 0; k < node->n_inputs; c0 += (int) in[k]->shape[1], k++)
        if (dx[k])
          add_planes (dx[k], 0, dy, c0, (int) in[k]->shape[1]);
      break;
    case ND_OP_SLICE:
      if (dx[0])
        add_planes (dx[0], node->p.offset, dy, 0, node->p.out_c);
      break;
    case ND_OP_CONV2D:
    case ND_OP_COUNT:
    default:
      g_assert_not_reached ();
    }
}

void
nd_grad_op_ref (const NdNode *node, const NdTensor * const *in, const NdTensor *out,
                const NdTensor *dy, NdTensor * const *dx)
{
  if (node->op == ND_OP_CONV2D)
    {
      if (dx[0])
        grad_conv2d (node, dy, dx[0]);
      return;
    }
  grad_op_common (node, in, out, dy, dx);
}

void
nd_grad_op (const NdNode *node, const NdTensor * const *in, const NdTensor *out,
            const NdTensor *dy, NdTensor * const *dx)
{
  if (node->op == ND_OP_CONV2D)
    {
      if (dx[0] && !_nd_grad_conv2d_fast (node, dy, dx[0]))
        grad_conv2d (node, dy, dx[0]);
      return;
    }
  grad_op_common (node, in, out, dy, dx);
}
