/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-ref-ops.h"

/* Index helpers for NCHW tensors. */
#define AT(t, n, c, y, x) \
  ((t)->data[(((int64_t) (n) * (t)->shape[1] + (c)) * (t)->shape[2] + (y)) * (t)->shape[3] + (x)])

static double
sigmoid (double x)
{
  return 1.0 / (1.0 + exp (-x));
}

static void
ref_conv2d (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  const NdTensor *b = node->w[ND_W_BIAS];
  int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  int O = y->shape[1], OH = y->shape[2], OW = y->shape[3];
  int k = node->p.kernel, s = node->p.stride, pad = node->p.pad, g = node->p.groups;
  int kw = nd_op_kernel_w (&node->p), pad_w = nd_op_pad_w (&node->p);
  int cg = C / g, og = O / g;

  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++)
      {
        int grp = o / og;

        for (int oy = 0; oy < OH; oy++)
          for (int ox = 0; ox < OW; ox++)
            {
              double acc = b ? b->data[o] : 0.0;

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
                        acc += (double) w->data[((int64_t) (o * cg + ci) * k + ky) * kw + kx]
                               * AT (x, n, grp * cg + ci, iy, ix);
                      }
                  }
              AT (y, n, o, oy, ox) = (float) acc;
            }
      }
}

static void
ref_batchnorm (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      {
        double t = node->w[ND_W_WEIGHT]->data[c]
                   / sqrt ((double) node->w[ND_W_VAR]->data[c] + node->p.eps);
        double mu = node->w[ND_W_MEAN]->data[c];
        double beta = node->w[ND_W_BIAS]->data[c];
        const float *src = x->data + ((int64_t) n * C + c) * HW;
        float *dst = y->data + ((int64_t) n * C + c) * HW;

        for (int64_t i = 0; i < HW; i++)
          dst[i] = (float) ((src[i] - mu) * t + beta);
      }
}

static void
ref_unary (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  for (int64_t i = 0; i < x->numel; i++)
    {
      double v = x->data[i];

      switch (node->op)
        {
        case ND_OP_RELU:
          v = v > 0 ? v : 0;
          break;
        case ND_OP_SILU:
          v = v * sigmoid (v);
          break;
        case ND_OP_SIGMOID:
          v = sigmoid (v);
          break;
        case ND_OP_LEAKY_RELU:
          v = v >= 0 ? v : node->p.alpha * v;
          break;
        case ND_OP_RELU6:
          v = v > 0 ? (v < 6 ? v : 6) : 0;
          break;
        default:
          g_assert_not_reached ();
        }
      y->data[i] = (float) v;
    }
}

static void
ref_add (const NdNode *node, const NdTensor * const *in, NdTensor *y)
{
  for (int64_t i = 0; i < y->numel; i++)
    {
      double acc = 0;

      for (int k = 0; k < node->n_inputs; k++)
        acc += in[k]->data[i];
      y->data[i] = (float) acc;
    }
}

static void
ref_gate (const NdNode *node, const NdTensor *x, const NdTensor *s, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      {
        double gate = nd_op_gate_value (&node->p, s->data[(int64_t) n * C + c]);

        for (int64_t i = 0; i < HW; i++)
          y->data[((int64_t) n * C + c) * HW + i] =
            (float) (x->data[((int64_t) n * C + c) * HW + i] * gate);
      }
}

static void
ref_pool (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  int OH = y->shape[2], OW = y->shape[3];
  int k = node->p.kernel, s = node->p.stride, pad = node->p.pad;
  gboolean is_max = node->op == ND_OP_MAXPOOL;

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            double acc = is_max ? -INFINITY : 0.0;

            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  int iy = oy * s - pad + ky, ix = ox * s - pad + kx;

                  if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    continue;   /* max: −inf pad; avg: zero pad, counted below */
                  if (is_max)
                    acc = MAX (acc, AT (x, n, c, iy, ix));
                  else
                    acc += AT (x, n, c, iy, ix);
                }
            AT (y, n, c, oy, ox) = (float) (is_max ? acc : acc / (k * k));
          }
}

static void
ref_adaptive_pool (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
  int OH = y->shape[2], OW = y->shape[3];
  gboolean is_max = node->op == ND_OP_ADAPTIVE_MAXPOOL;

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
          {
            /* PyTorch: start = floor(i·H/OH), end = ceil((i+1)·H/OH) */
            int y0 = (oy * H) / OH, y1 = ((oy + 1) * H + OH - 1) / OH;
            int x0 = (ox * W) / OW, x1 = ((ox + 1) * W + OW - 1) / OW;
            double acc = is_max ? -INFINITY : 0.0;

            for (int iy = y0; iy < y1; iy++)
              for (int ix = x0; ix < x1; ix++)
                acc = is_max ? MAX (acc, AT (x, n, c, iy, ix)) : acc + AT (x, n, c, iy, ix);
            AT (y, n, c, oy, ox) = (float) (is_max ? acc : acc / ((y1 - y0) * (x1 - x0)));
          }
}

static void
ref_concat_interleave (const NdTensor *a, const NdTensor *b, NdTensor *y)
{
  int N = a->shape[0], C = a->shape[1];
  int64_t HW = a->shape[2] * a->shape[3];

  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++)
      {
        memcpy (y->data + ((int64_t) n * 2 * C + 2 * c) * HW,
                a->data + ((int64_t) n * C + c) * HW, HW * sizeof (float));
        memcpy (y->data + ((int64_t) n * 2 * C + 2 * c + 1) * HW,
                b->data + ((int64_t) n * C + c) * HW, HW * sizeof (float));
      }
}

/* torch.cat (in, dim=1) */
static void
ref_concat (const NdNode *node, const NdTensor * const *in, NdTensor *y)
{
  int N = y->shape[0], C = y->shape[1];
  int64_t HW = y->shape[2] * y->shape[3];

  for (int n = 0; n < N; n++)
    for (int k = 0, c0 = 0; k < node->n_inputs; c0 += in[k]->shape[1], k++)
      memcpy (y->data + ((int64_t) n * C + c0) * HW,
              in[k]->data + (int64_t) n * in[k]->shape[1] * HW,
              in[k]->shape[1] * HW * sizeof (float));
}

static void
ref_slice (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    memcpy (y->data + (int64_t) n * node->p.out_c * HW,
            x->data + ((int64_t) n * C + node->p.offset) * HW,
            node->p.out_c * HW * sizeof (float));
}

static void
ref_channel_shuffle (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1], g = node->p.groups, cpg = C / g;
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    for (int i = 0; i < g; i++)
      for (int j = 0; j < cpg; j++)
        memcpy (y->data + ((int64_t) n * C + j * g + i) * HW,
                x->data + ((int64_t) n * C + i * cpg + j) * HW, HW * sizeof (float));
}

static void
ref_linear (const NdNode *node, const NdTensor *x, NdTensor *y)
{
  const NdTensor *w = node->w[ND_W_WEIGHT];
  int N = x->shape[0], O = node->p.out_c;
  int64_t I = x->numel / N;

  for (int n = 0; n < N; n++)
    for (int o = 0; o < O; o++)
      {
        double acc = node->w[ND_W_BIAS]->data[o];

        for (int64_t i = 0; i < I; i++)
          acc += (double) w->data[o * I + i] * x->data[n * I + i];
        y->data[(int64_t) n * O + o] = (float) acc;
      }
}

static void
ref_softmax (const NdTensor *x, NdTensor *y)
{
  int N = x->shape[0], C = x->shape[1];
  int64_t HW = x->shape[2] * x->shape[3];

  for (int n = 0; n < N; n++)
    for (int64_t i = 0; i < HW; i++)
      {
        double m = -INFINITY, sum = 0;

        for (int c = 0; c < C; c++)
          m = MAX (m, x->data[((int64_t) n * C + c) * HW + i]);
        for (int c = 0; c < C; c++)
          sum += exp (x->data[((int64_t) n * C + c) * HW + i] - m);
        for (int c = 0; c < C; c++)
          y->data[((int64_t) n * C + c) * HW + i] =
            (float) (exp (x->data[((int64_t) n * C + c) * HW + i] - m) / sum);
      }
}

void
nd_ref_op (const NdNode *node, const NdTensor * const *in, NdTensor *out)
{
  switch (node->op)
    {
    case ND_OP_INPUT:
      memcpy (out->data, in[0]->data, out->numel * sizeof (float));
      break;
    case ND_OP_CONV2D:
      ref_conv2d (node, in[0], out);
      break;
    case ND_OP_BATCHNORM:
      ref_batchnorm (node, in[0], out);
      break;
    case ND_OP_RELU:
    case ND_OP_SILU:
    case ND_OP_SIGMOID:
    case ND_OP_LEAKY_RELU:
    case ND_OP_RELU6:
      ref_unary (node, in[0], out);
      break;
    case ND_OP_ADD:
      ref_add (node, in, out);
      break;
    case ND_OP_GATE:
      ref_gate (node, in[0], in[1], out);
      break;
    case ND_OP_AVGPOOL:
    case ND_OP_MAXPOOL:
      ref_pool (node, in[0], out);
      break;
    case ND_OP_ADAPTIVE_AVGPOOL:
    case ND_OP_ADAPTIVE_MAXPOOL:
      ref_adaptive_pool (node, in[0], out);
      break;
    case ND_OP_CONCAT_INTERLEAVE:
      ref_concat_interleave (in[0], in[1], out);
      break;
    case ND_OP_CHANNEL_SHUFFLE:
      ref_channel_shuffle (node, in[0], out);
      break;
    case ND_OP_LINEAR:
      ref_linear (node, in[0], out);
      break;
    case ND_OP_SOFTMAX:
      ref_softmax (in[0], out);
      break;
    case ND_OP_CONCAT:
      ref_concat (node, in, out);
      break;
    case ND_OP_SLICE:
      ref_slice (node, in[0], out);
      break;
    case ND_OP_COUNT:
    default:
      g_assert_not_reached ();
    }
}

NdTensor *
nd_ref_run_graph (const NdGraph *graph, const NdTensor *input, GPtrArray **all)
{
  int n = nd_graph_n_nodes (graph);
  int N = input->shape[0];
  g_autoptr(GPtrArray) outs = g_ptr_array_new_full (n, (GDestroyNotify) nd_tensor_unref);
  NdTensor *result;

  for (int i = 0; i < n; i++)
    {
      const NdNode *node = nd_graph_node (graph, i);
      const NdTensor *in[ND_MAX_INPUTS] = { NULL };
      NdTensor *out = nd_tensor_new_4d (N, node->out_c, node->out_h, node->out_w);

      if (node->op == ND_OP_INPUT)
        in[0] = input;
      for (int k = 0; k < node->n_inputs; k++)
        in[k] = g_ptr_array_index (outs, node->inputs[k]);
      nd_ref_op (node, in, out);
      g_ptr_array_add (outs, out);
    }
  result = nd_tensor_ref (g_ptr_array_index (outs, graph->output));
  if (all)
    *all = g_steal_pointer (&outs);
  return result;
}
