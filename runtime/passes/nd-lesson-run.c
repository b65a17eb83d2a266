/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-dtype.h"
#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-lesson-private.h"
#include "nd-ref-ops.h"

/* Evaluating a lesson's graphs node by node on the naive reference ops, with the pitfalls
 * (train-mode BN, int8, float16) applied at the node where they act. */

void
_nd_lesson_tensor_unref0 (gpointer t)
{
  if (t != NULL)
    nd_tensor_unref (t);
}

NdTensor *
_nd_lesson_fake_int8 (const NdTensor *t, double *scale)
{
  NdTensor *q = nd_tensor_new (t->ndim, t->shape);
  double m = 0, s;

  for (int64_t i = 0; i < t->numel; i++)
    m = MAX (m, fabs (t->data[i]));
  s = m > 0 ? m / 127.0 : 1.0;
  for (int64_t i = 0; i < t->numel; i++)
    q->data[i] = (float) (CLAMP (nearbyint (t->data[i] / s), -127, 127) * s);
  if (scale != NULL)
    *scale = s;
  return q;
}

static NdTensor *
round_fp16 (const NdTensor *t)
{
  NdTensor *r = nd_tensor_new (t->ndim, t->shape);

  for (int64_t i = 0; i < t->numel; i++)
    r->data[i] = nd_half_to_float (nd_float_to_half (t->data[i]));
  return r;
}

/* The BN's running statistics replaced by those of @x [N, C, H, W] (biased variance, as
 * PyTorch normalizes in train mode). */
static void
batch_stats (const NdTensor *x, NdTensor **mean, NdTensor **var)
{
  int64_t n = x->shape[0], c = x->shape[1], hw = x->numel / (n * c);

  *mean = nd_tensor_new_1d (c);
  *var = nd_tensor_new_1d (c);
  for (int64_t k = 0; k < c; k++)
    {
      double s = 0, s2 = 0;

      for (int64_t b = 0; b < n; b++)
        for (int64_t i = 0; i < hw; i++)
          {
            double v = x->data[(b * c + k) * hw + i];

            s += v;
            s2 += v * v;
          }
      s /= (double) (n * hw);
      (*mean)->data[k] = (float) s;
      (*var)->data[k] = (float) MAX (s2 / (double) (n * hw) - s * s, 0.0);
    }
}

/* One node under @mode: a shallow copy of the node with substituted weights or inputs. */
static void
run_node (const NdNode *node, const NdTensor **inputs, NdTensor *out, NdLessonRun mode)
{
  NdNode tmp = *node;
  g_autoptr(NdTensor) w0 = NULL;
  g_autoptr(NdTensor) w1 = NULL;
  g_autoptr(NdTensor) w2 = NULL;
  g_autoptr(NdTensor) w3 = NULL;
  g_autoptr(NdTensor) x0 = NULL;
  const NdTensor *in[ND_MAX_INPUTS];

  memcpy (in, inputs, sizeof (in));
  if (mode == ND_LESSON_RUN_BATCH_STATS && node->op == ND_OP_BATCHNORM)
    {
      batch_stats (inputs[0], &w2, &w3);
      tmp.w[ND_W_MEAN] = w2;
      tmp.w[ND_W_VAR] = w3;
    }
  else if (mode == ND_LESSON_RUN_INT8 && (node->op == ND_OP_CONV2D || node->op == ND_OP_LINEAR))
    {
      /* biases stay wide, as int8 kernels accumulate into int32 */
      x0 = _nd_lesson_fake_int8 (inputs[0], NULL);
      in[0] = x0;
      w0 = _nd_lesson_fake_int8 (node->w[ND_W_WEIGHT], NULL);
      tmp.w[ND_W_WEIGHT] = w0;
    }
  else if (mode == ND_LESSON_RUN_FP16)
    {
      NdTensor **slots[ND_W_COUNT] = { &w0, &w1, &w2, &w3 };

      for (int s = 0; s < ND_W_COUNT; s++)
        if (node->w[s] != NULL)
          tmp.w[s] = *slots[s] = round_fp16 (node->w[s]);
    }
  nd_ref_op (&tmp, (const NdTensor * const *) in, out);
  if (mode == ND_LESSON_RUN_FP16)
    for (int64_t i = 0; i < out->numel; i++)
      out->data[i] = nd_half_to_float (nd_float_to_half (out->data[i]));
}

void
_nd_lesson_run_range (const NdGraph *graph, const gboolean *dead, int first, int last,
                      GPtrArray *outs, NdLessonRun mode)
{
  g_assert (outs->len >= (guint) last + 1);
  for (int id = first; id <= last; id++)
    {
      const NdNode *node = nd_graph_node (graph, id);
      const NdTensor *inputs[ND_MAX_INPUTS] = { NULL };
      NdTensor *out;

      if ((dead != NULL && dead[id]) || node->op == ND_OP_INPUT)
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        {
          inputs[k] = g_ptr_array_index (outs, node->inputs[k]);
          g_assert (inputs[k] != NULL);
        }
      out = nd_tensor_new_4d (inputs[0]->shape[0], node->out_c, node->out_h, node->out_w);
      run_node (node, inputs, out, mode);
      g_clear_pointer (&outs->pdata[id], nd_tensor_unref);
      outs->pdata[id] = out;
    }
}

NdTensor *
_nd_lesson_run_block (const NdLesson *lesson, const NdFuseWork *work, NdLessonRun mode)
{
  g_autoptr(GPtrArray) outs = g_ptr_array_new_full (lesson->last + 1,
                                                    _nd_lesson_tensor_unref0);

  /* the block's inputs are the training form's float32 tensors, whatever @mode */
  for (int id = 0; id <= lesson->last; id++)
    {
      NdTensor *t = id < lesson->first ? g_ptr_array_index (lesson->captured, id) : NULL;

      g_ptr_array_add (outs, t != NULL ? nd_tensor_ref (t) : NULL);
    }
  _nd_lesson_run_range (work->graph, work->dead, lesson->first, lesson->last, outs, mode);
  return nd_tensor_ref (g_ptr_array_index (outs, work->graph->output));
}

/* The whole network's logits under @mode. */
static NdTensor *
run_network (const NdGraph *graph, const NdTensor *input, NdLessonRun mode)
{
  g_autoptr(GPtrArray) outs = g_ptr_array_new_full (nd_graph_n_nodes (graph),
                                                    _nd_lesson_tensor_unref0);

  g_ptr_array_add (outs, mode == ND_LESSON_RUN_FP16 ? round_fp16 (input)
                                                    : nd_tensor_ref ((NdTensor *) input));
  for (int id = 1; id < nd_graph_n_nodes (graph); id++)
    g_ptr_array_add (outs, NULL);
  _nd_lesson_run_range (graph, NULL, 1, graph->output, outs, mode);
  return nd_tensor_ref (g_ptr_array_index (outs, graph->output));
}

static void
top5 (const NdTensor *logits, int *top)
{
  for (int k = 0; k < 5; k++)
    {
      top[k] = -1;
      for (int i = 0; i < logits->numel; i++)
        {
          gboolean taken = FALSE;

          for (int j = 0; j < k; j++)
            taken |= top[j] == i;
          if (!taken && (top[k] < 0 || logits->data[i] > logits->data[top[k]]))
            top[k] = i;
        }
    }
}

static int
top5_changed (const int *ref, const int *got)
{
  int changed = 0;

  for (int k = 0; k < 5; k++)
    {
      gboolean found = FALSE;

      for (int j = 0; j < 5; j++)
        found |= ref[k] >= 0 && got[j] == ref[k];
      changed += ref[k] >= 0 && !found;
    }
  return changed;
}

static void
histogram (const NdTensor *w, double range, guint *bins, guint *n_zero, guint *n)
{
  double scale;
  g_autoptr(NdTensor) q = _nd_lesson_fake_int8 (w, &scale);

  for (int64_t i = 0; i < w->numel; i++)
    {
      int b = (int) floor ((w->data[i] + range) / (2 * range) * ND_LESSON_HIST_BINS);

      bins[CLAMP (b, 0, ND_LESSON_HIST_BINS - 1)]++;
      *n_zero += q->data[i] == 0.0f;
    }
  *n += (guint) w->numel;
}

/* The block's convs as trained against the kernels they became (BN folded, merged). */
static void
kernel_histograms (NdLesson *lesson, NdLessonPitfallResult *r)
{
  const NdFuseWork *fw = lesson->fused_work;
  guint zb = 0, nb = 0, zf = 0, nf = 0;
  double range = 0;

  for (int pass = 0; pass < 2; pass++)
    for (int id = lesson->first; id <= lesson->last; id++)
      {
        const NdNode *t = nd_graph_node (lesson->train, id);
        const NdNode *f = nd_graph_node (fw->graph, id);
        gboolean branch = t->op == ND_OP_CONV2D && t->role != ND_ROLE_SSE_GATE;
        gboolean fused = !fw->dead[id] && f->op == ND_OP_CONV2D && branch
                         && f->w[ND_W_WEIGHT] != t->w[ND_W_WEIGHT];

        for (int side = 0; side < 2; side++)
          {
            const NdTensor *w = side == 0 ? (branch ? t->w[ND_W_WEIGHT] : NULL)
                                          : (fused ? f->w[ND_W_WEIGHT] : NULL);
            double m = 0;

            if (w == NULL)
              continue;
            for (int64_t i = 0; i < w->numel; i++)
              m = MAX (m, fabs (w->data[i]));
            if (pass == 0)
              {
                range = MAX (range, m);
                if (side == 0)
                  r->scale_branches_max = MAX (r->scale_branches_max, m / 127);
                else
                  r->scale_fused = MAX (r->scale_fused, m / 127);
              }
            else if (side == 0)
              histogram (w, range, r->hist_branches, &zb, &nb);
            else
              histogram (w, range, r->hist_fused, &zf, &nf);
          }
      }
  r->hist_range = range;
  r->zero_fraction_branches = nb > 0 ? (double) zb / nb : 0;
  r->zero_fraction_fused = nf > 0 ? (double) zf / nf : 0;
}

gboolean
nd_lesson_pitfall (NdLesson *lesson, NdLessonPitfall kind, NdLessonPitfallResult *r,
                   GError **error)
{
  static const NdLessonRun modes[] = {
    ND_LESSON_RUN_BATCH_STATS, ND_LESSON_RUN_INT8, ND_LESSON_RUN_FP16,
  };
  NdLessonRun mode = modes[kind];
  const NdLessonStep *train_step = g_ptr_array_index (lesson->steps, 0);
  g_autoptr(NdTensor) ref = NULL;
  g_autoptr(NdTensor) got = NULL;
  g_autoptr(NdGraph) fused = NULL;
  NdFuseWork train_work = { lesson->train, NULL, lesson->last + 1 };
  NdGraph tmp;

  g_return_val_if_fail (lesson != NULL && r != NULL, FALSE);
  memset (r, 0, sizeof (*r));
  r->kind = kind;

  /* the block: training form under the pitfall, and (int8, fp16) the fused block */
  tmp = *lesson->train;
  tmp.output = lesson->last;
  train_work.graph = &tmp;
  got = _nd_lesson_run_block (lesson, &train_work, mode);
  nd_tensor_compare (got, train_step->output, &r->block_unfused_max_abs,
                     &r->block_unfused_max_rel);
  if (kind != ND_LESSON_PITFALL_EVAL)
    {
      g_clear_pointer (&got, nd_tensor_unref);
      got = _nd_lesson_run_block (lesson, lesson->fused_work, mode);
      nd_tensor_compare (got, train_step->output, &r->block_fused_max_abs,
                         &r->block_fused_max_rel);
      kernel_histograms (lesson, r);
      fused = nd_fuse_graph (lesson->train, error);
      if (fused == NULL)
        return FALSE;
    }

  /* the network: logits and top-5 */
  ref = run_network (lesson->train, lesson->input, ND_LESSON_RUN_FLOAT);
  top5 (ref, r->top5_float);
  g_clear_pointer (&got, nd_tensor_unref);
  got = run_network (lesson->train, lesson->input, mode);
  nd_tensor_compare (got, ref, &r->logits_unfused_max_abs, &r->logits_unfused_max_rel);
  top5 (got, r->top5_unfused);
  r->top5_changed_unfused = top5_changed (r->top5_float, r->top5_unfused);
  if (fused != NULL)
    {
      g_clear_pointer (&got, nd_tensor_unref);
      got = run_network (fused, lesson->input, mode);
      nd_tensor_compare (got, ref, &r->logits_fused_max_abs, &r->logits_fused_max_rel);
      top5 (got, r->top5_fused);
      r->top5_changed_fused = top5_changed (r->top5_float, r->top5_fused);
    }
  return TRUE;
}

static const char * const pitfall_names[] = { "eval", "int8", "fp16" };

const char *
nd_lesson_pitfall_name (NdLessonPitfall kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (pitfall_names), NULL);
  return pitfall_names[kind];
}

gboolean
nd_lesson_pitfall_parse (const char *name, NdLessonPitfall *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (pitfall_names); i++)
    if (g_strcmp0 (name, pitfall_names[i]) == 0)
      {
        *kind = (NdLessonPitfall) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
nd_lesson_tensor_slice (const NdTensor *t, int out_c, int in_c, int groups, float *values,
                        int *n_values)
{
  *n_values = 0;
  if (out_c < 0 || out_c >= t->shape[0])
    return FALSE;
  if (t->ndim == 4)
    {
      int64_t cg = t->shape[1], kk = t->shape[2] * t->shape[3];
      int64_t group = out_c / MAX (t->shape[0] / MAX (groups, 1), 1);
      int64_t local = in_c - group * cg;

      if (local < 0 || local >= cg || kk > 49)
        return FALSE;
      memcpy (values, t->data + ((int64_t) out_c * cg + local) * kk, kk * sizeof (float));
      *n_values = (int) kk;
      return TRUE;
    }
  values[0] = t->data[(int64_t) out_c * (t->numel / t->shape[0])];
  *n_values = 1;
  return TRUE;
}
