/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "nd-backend-cpu.h"
#include "nd-error.h"
#include "nd-lesson-private.h"

/* A lesson replays nd_fuse_graph() on one block, one rule at a time, on a working copy that
 * keeps every node id (nothing is renumbered), so the block can be run after each step with
 * the training form's captured tensors as its inputs. The demonstration steps that the fuse
 * pass does implicitly (a 1×1 or an identity written out as a 3×3 conv) run on side copies,
 * built by the same _nd_fuse_add_branch() that the merge rule sums with. */

typedef struct
{
  const char *id;
  const char *title;
  const char *explanation;
  const char *reference;
  const char *url;
} StepInfo;

#define REPVGG_URL "https://arxiv.org/abs/2101.03697"
#define PARNET_URL "https://arxiv.org/abs/2110.07641"
#define VANILLANET_URL "https://arxiv.org/abs/2305.12972"

static const StepInfo step_info[] = {
  { "training", N_("Training form"),
    N_("The block as trained: every branch is a convolution followed by batch normalization "
       "with its running statistics, y = γ·(W∗x − μ)/√(σ² + ε) + β. Every later step must "
       "give this output again."),
    N_("RepVGG §3.3"), REPVGG_URL },
  { "bn_folded", N_("BN folded into the conv"),
    N_("In eval mode a BN is an affine map per output channel, so it folds into the conv "
       "before it: t = γ/√(σ² + ε), W′ = t·W, b′ = β − μ·t (+ t·b₀ when the conv has a bias "
       "b₀). Only running statistics fold: batch statistics change with every input."),
    N_("RepVGG §3.3"), REPVGG_URL },
  { "pad_1x1", N_("1×1 kernel padded to 3×3"),
    N_("A 1×1 kernel is a 3×3 kernel that is zero but for its centre: with padding 1 "
       "instead of 0 and the same stride it reads the same pixel with the same weight, "
       "K₃ₓ₃ = pad(K₁ₓ₁, 1)."),
    N_("RepVGG §3.3"), REPVGG_URL },
  { "pool_1x1", N_("AvgPool 2×2 + 1×1 as a 3×3 stride-2 kernel"),
    N_("ParNet's stride-2 branch averages 2×2 pixels, then applies a 1×1 conv. Both are "
       "linear, so together they are one 3×3 stride-2 kernel with w/4 at the four taps "
       "(1..2, 1..2) that cover the pooling window (exact for even map sizes)."),
    N_("ParNet §3.1"), PARNET_URL },
  { "identity_kernel", N_("Identity as a 3×3 kernel"),
    N_("The identity branch is a BN of x itself, and x is x convolved with a kernel that is 1 "
       "at the centre where in = out and 0 elsewhere: K_id[i, i mod (C/g), 1, 1] = 1, grouped "
       "layers included. Folding the BN leaves t at the centre and the bias β − μ·t."),
    N_("RepVGG §3.3"), REPVGG_URL },
  { "fused", N_("Sum: one fused 3×3 conv"),
    N_("Every branch is now a 3×3 kernel on the same input with the same stride, so the sum "
       "of their outputs is the output of their sum: K = K₃ₓ₃′ + pad(K₁ₓ₁′) + K_id′, "
       "b = b₃ₓ₃′ + b₁ₓ₁′ + b_id′. One conv replaces the branches."),
    N_("RepVGG §3.3"), REPVGG_URL },
  { "sse", N_("The SSE gate stays outside"),
    N_("ParNet's Skip-Squeeze-Excitation multiplies a path (the identity BN in stride-1 "
       "blocks, the summed branches in the others) by σ(W·GAP(·)), a gate computed from this "
       "very input. A product of two terms that both depend on x is not linear in "
       "x, so no fixed kernel can hold it: the gate stays a branch of the deployed block."),
    N_("ParNet §3.1"), PARNET_URL },
  { "activation", N_("Deep-training activation removed"),
    N_("VanillaNet trains with leaky_relu(x, λ) = λ·x + (1 − λ)·ReLU(x) between its two 1×1 "
       "convs, λ going from 0 to 1. At λ = 1 it is the identity and disappears; at λ < 1 it "
       "bends for x < 0, so removing it changes the output and fusion is refused."),
    N_("VanillaNet §3.2"), VANILLANET_URL },
  { "merge_1x1", N_("Two convs merged into one"),
    N_("With nothing nonlinear between them, a 1×1 conv after a conv is one conv: "
       "W = W₂·W₁ (as matrices over channels), b = b₂ + W₂·b₁. The series activation "
       "(ReLU → depthwise k×k conv with its BN folded) stays."),
    N_("VanillaNet §3.2"), VANILLANET_URL },
};

static const StepInfo *
info_of (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (step_info); i++)
    if (strcmp (step_info[i].id, id) == 0)
      return &step_info[i];
  g_assert_not_reached ();
}

static NdFuseWork *
work_new (const NdGraph *graph, int last)
{
  NdFuseWork *w = g_new0 (NdFuseWork, 1);

  w->graph = nd_graph_copy (graph);
  w->graph->output = last;
  w->dead = g_new0 (gboolean, nd_graph_n_nodes (graph));
  /* rules look no further than the block: its output is the work graph's output */
  w->n = last + 1;
  return w;
}

static NdFuseWork *
work_copy (const NdFuseWork *src)
{
  NdFuseWork *w = g_new0 (NdFuseWork, 1);

  w->graph = nd_graph_copy (src->graph);
  w->graph->output = src->graph->output;
  w->dead = g_memdup2 (src->dead, sizeof (gboolean) * nd_graph_n_nodes (src->graph));
  w->n = src->n;
  return w;
}

static void
work_free (NdFuseWork *w)
{
  if (w == NULL)
    return;
  nd_graph_unref (w->graph);
  g_free (w->dead);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NdFuseWork, work_free)

static void
lesson_tensor_free (NdLessonTensor *t)
{
  g_free (t->name);
  nd_tensor_unref (t->tensor);
  g_free (t);
}

static void
step_free (NdLessonStep *step)
{
  g_ptr_array_unref (step->tensors);
  g_clear_pointer (&step->output, nd_tensor_unref);
  g_free (step);
}

void
nd_lesson_free (NdLesson *lesson)
{
  if (lesson == NULL)
    return;
  g_clear_pointer (&lesson->train, nd_graph_unref);
  g_clear_pointer (&lesson->input, nd_tensor_unref);
  g_clear_pointer (&lesson->captured, g_ptr_array_unref);
  g_clear_pointer (&lesson->steps, g_ptr_array_unref);
  g_clear_pointer (&lesson->fused_work, work_free);
  g_free (lesson->block);
  g_free (lesson->family);
  g_free (lesson);
}

static void
add_tensor (NdLessonStep *step, const char *name, NdTensor *tensor, int groups)
{
  NdLessonTensor *t = g_new0 (NdLessonTensor, 1);

  t->name = g_strdup (name);
  t->tensor = tensor;   /* taken */
  t->groups = MAX (groups, 1);
  g_ptr_array_add (step->tensors, t);
}

/* The weights of node @id, as "<name>.<slot>"; a BN also gets its ε. */
static void
add_node_tensors (NdLessonStep *step, const NdNode *node)
{
  for (int s = 0; s < ND_W_COUNT; s++)
    {
      g_autofree char *key = NULL;

      if (node->w[s] == NULL)
        continue;
      key = g_strdup_printf ("%s.%s", node->name ? node->name : "?", nd_weight_slot_name (s));
      add_tensor (step, key, nd_tensor_ref (node->w[s]),
                  node->op == ND_OP_CONV2D ? node->p.groups : 1);
    }
  if (node->op == ND_OP_BATCHNORM)
    {
      g_autofree char *key = g_strdup_printf ("%s.eps", node->name ? node->name : "?");
      NdTensor *eps = nd_tensor_new_1d (1);

      eps->data[0] = node->p.eps;
      add_tensor (step, key, eps, 1);
    }
}

/* The weight pointers of the block, to list what a step changed. */
static NdTensor **
snapshot (const NdLesson *lesson, const NdFuseWork *w)
{
  int n = lesson->last - lesson->first + 1;
  NdTensor **snap = g_new0 (NdTensor *, (gsize) n * ND_W_COUNT);

  for (int id = lesson->first; id <= lesson->last; id++)
    for (int s = 0; s < ND_W_COUNT; s++)
      snap[(id - lesson->first) * ND_W_COUNT + s] = nd_graph_node (w->graph, id)->w[s];
  return snap;
}

static void
add_changed_tensors (NdLessonStep *step, const NdLesson *lesson, const NdFuseWork *w,
                     NdTensor **snap)
{
  for (int id = lesson->first; id <= lesson->last; id++)
    {
      const NdNode *node = nd_graph_node (w->graph, id);
      gboolean changed = FALSE;

      if (w->dead[id])
        continue;
      for (int s = 0; s < ND_W_COUNT; s++)
        changed |= node->w[s] != snap[(id - lesson->first) * ND_W_COUNT + s];
      if (changed)
        add_node_tensors (step, node);
    }
}

static NdLessonStep *
add_step (NdLesson *lesson, const NdFuseWork *w, const char *id, gboolean valid)
{
  const StepInfo *info = info_of (id);
  NdLessonStep *step = g_new0 (NdLessonStep, 1);

  step->id = info->id;
  step->title = info->title;
  step->explanation = info->explanation;
  step->reference = info->reference;
  step->url = info->url;
  step->valid = valid;
  step->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) lesson_tensor_free);
  step->output = _nd_lesson_run_block (lesson, w, ND_LESSON_RUN_FLOAT);
  if (lesson->steps->len > 0)
    {
      const NdLessonStep *ref = g_ptr_array_index (lesson->steps, 0);

      nd_tensor_compare (step->output, ref->output, &step->max_abs, &step->max_rel);
    }
  g_ptr_array_add (lesson->steps, step);
  return step;
}

/* The BN's t = γ/√(σ² + ε) and β − μ·t per channel, as the fuse rules compute them. */
static void
add_scale_shift (NdLessonStep *step, const NdNode *bn)
{
  g_autofree char *ks = g_strdup_printf ("%s.scale", bn->name);
  g_autofree char *kh = g_strdup_printf ("%s.shift", bn->name);
  NdTensor *scale = nd_tensor_new_1d (bn->out_c);
  NdTensor *shift = nd_tensor_new_1d (bn->out_c);

  for (int c = 0; c < bn->out_c; c++)
    {
      double t, sh;

      _nd_fuse_bn_scale_shift (bn, c, &t, &sh);
      scale->data[c] = (float) t;
      shift->data[c] = (float) sh;
    }
  add_tensor (step, ks, scale, 1);
  add_tensor (step, kh, shift, 1);
}

/* bn_folded: every conv → BN pair of the block, with the scale and shift of each BN. */
static void
step_fold_bn (NdLesson *lesson, NdFuseWork *w)
{
  g_autofree NdTensor **snap = snapshot (lesson, w);
  g_autoptr(GPtrArray) folded = g_ptr_array_new ();
  NdLessonStep *step;

  for (int id = lesson->first; id <= lesson->last; id++)
    if (!w->dead[id] && _nd_fuse_fold_bn (w, id))
      g_ptr_array_add (folded, nd_graph_node (lesson->train, id));
  if (folded->len == 0)
    return;
  step = add_step (lesson, w, "bn_folded", TRUE);
  for (guint i = 0; i < folded->len; i++)
    add_scale_shift (step, g_ptr_array_index (folded, i));
  add_changed_tensors (step, lesson, w, snap);
}

/* Rewrites branch @id of @w as the 3×3 conv that _nd_fuse_add_branch() would add for it. */
static void
write_as_3x3 (NdFuseWork *w, const NdNode *dense, int id, NdFuseBranch kind)
{
  NdNode *node = nd_graph_node (w->graph, id);
  NdTensor *weight = nd_tensor_new (4, dense->w[ND_W_WEIGHT]->shape);
  NdTensor *bias = nd_tensor_new_1d (dense->out_c);
  GPtrArray *names = g_ptr_array_new ();

  _nd_fuse_add_branch (weight, bias, node, kind);
  _nd_fuse_add_origins (names, node);
  if (kind == ND_FUSE_BRANCH_POOL_1X1)
    {
      int pool = node->inputs[0];

      node->inputs[0] = dense->inputs[0];
      _nd_fuse_kill (w, pool, -1);
    }
  node->op = ND_OP_CONV2D;
  node->p.kernel = 3;
  node->p.pad = 1;
  node->p.stride = dense->p.stride;
  node->p.groups = dense->p.groups;
  node->p.out_c = dense->out_c;
  _nd_fuse_set_conv (node, weight, bias, names);
}

/* RepVGG / ParNet: the branches of every merge written as 3×3 kernels, then summed. */
static void
steps_branches (NdLesson *lesson, NdFuseWork *w)
{
  for (int add = lesson->first; add <= lesson->last; add++)
    {
      const NdNode *node = nd_graph_node (w->graph, add);
      const NdNode *dense = NULL;
      NdFuseBranch kinds[ND_MAX_INPUTS] = { ND_FUSE_BRANCH_NONE };
      gboolean any[ND_FUSE_BRANCH_IDENTITY + 1] = { FALSE };
      g_autoptr(NdFuseWork) side = NULL;
      g_autofree NdTensor **snap = NULL;
      GPtrArray *addends = NULL;

      if (w->dead[add] || node->op != ND_OP_ADD)
        continue;
      for (int k = 0; k < node->n_inputs && dense == NULL; k++)
        {
          const NdNode *d = nd_graph_node (w->graph, node->inputs[k]);

          if (d->op == ND_OP_CONV2D && d->p.kernel == 3 && d->p.pad == 1)
            dense = d;
        }
      if (dense == NULL)
        continue;
      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] != dense->id)
          any[kinds[k] = _nd_fuse_classify_addend (w, add, dense, node->inputs[k])] = TRUE;

      side = work_copy (w);
      for (NdFuseBranch kind = ND_FUSE_BRANCH_1X1; kind <= ND_FUSE_BRANCH_IDENTITY; kind++)
        {
          NdLessonStep *step;

          if (!any[kind])
            continue;
          snap = (g_free (snap), snapshot (lesson, side));
          for (int k = 0; k < node->n_inputs; k++)
            if (kinds[k] == kind)
              write_as_3x3 (side, nd_graph_node (side->graph, dense->id), node->inputs[k], kind);
          step = add_step (lesson, side,
                           kind == ND_FUSE_BRANCH_1X1 ? "pad_1x1"
                           : kind == ND_FUSE_BRANCH_POOL_1X1 ? "pool_1x1" : "identity_kernel",
                           TRUE);
          add_changed_tensors (step, lesson, side, snap);
          for (int k = 0; k < node->n_inputs && kind == ND_FUSE_BRANCH_IDENTITY; k++)
            if (kinds[k] == kind)
              add_scale_shift (step, nd_graph_node (lesson->train, node->inputs[k]));
        }

      snap = (g_free (snap), snapshot (lesson, w));
      /* the addends as 3×3 kernels, taken before the merge replaces the dense weight */
      addends = g_ptr_array_new_with_free_func ((GDestroyNotify) lesson_tensor_free);
      for (int k = -1; k < node->n_inputs; k++)
        if (k < 0 || kinds[k] != ND_FUSE_BRANCH_NONE)
          {
            const NdNode *a = k < 0 ? dense : nd_graph_node (side->graph, node->inputs[k]);
            NdLessonTensor *t = g_new0 (NdLessonTensor, 1);

            t->name = g_strdup_printf ("%s%s.weight", k < 0 ? "" : "+ ", a->name);
            t->tensor = nd_tensor_ref (a->w[ND_W_WEIGHT]);
            t->groups = a->p.groups;
            g_ptr_array_add (addends, t);
          }
      if (_nd_fuse_merge_branches (w, add))
        {
          NdLessonStep *step = add_step (lesson, w, "fused", TRUE);

          /* the sum reads left to right: the addends, then the fused kernel and bias */
          for (guint i = 0; i < addends->len; i++)
            g_ptr_array_add (step->tensors, g_steal_pointer (&addends->pdata[i]));
          g_ptr_array_set_free_func (addends, NULL);
          add_changed_tensors (step, lesson, w, snap);
        }
      g_clear_pointer (&addends, g_ptr_array_unref);
    }
}

/* ParNet: the SSE gate on this input, alpha·σ(W_se·GAP(·)), from the captured tensors. */
static void
step_sse (NdLesson *lesson, NdFuseWork *w)
{
  NdLessonStep *step = NULL;

  for (int id = lesson->first; id <= lesson->last; id++)
    {
      const NdNode *gate = nd_graph_node (lesson->train, id);
      const NdNode *se;
      const NdTensor *logit;
      g_autofree char *key = NULL;
      NdTensor *g;

      if (gate->op != ND_OP_GATE)
        continue;
      if (step == NULL)
        step = add_step (lesson, w, "sse", TRUE);
      se = nd_graph_node (lesson->train, gate->inputs[1]);
      logit = g_ptr_array_index (lesson->captured, se->id);
      g = nd_tensor_new_1d (logit->numel);
      for (int64_t c = 0; c < logit->numel; c++)
        g->data[c] = (float) (gate->p.alpha / (1.0 + exp (-(double) logit->data[c])));
      key = g_strdup_printf ("%s.gate", se->name ? se->name : "se");
      add_tensor (step, key, g, 1);
    }
}

/* VanillaNet: the activation dropped (forced at λ < 1), then the conv pairs merged. */
static void
steps_vanillanet (NdLesson *lesson, NdFuseWork *w)
{
  g_autofree NdTensor **snap = NULL;
  NdLessonStep *step;
  float lambda = 1.0f;
  gboolean found = FALSE, merged = FALSE;
  NdTensor *curve, *value;

  for (int id = lesson->first; id <= lesson->last; id++)
    {
      NdNode *node = nd_graph_node (w->graph, id);

      if (!w->dead[id] && node->op == ND_OP_LEAKY_RELU)
        {
          lambda = node->p.alpha;
          _nd_fuse_kill (w, id, node->inputs[0]);
          found = TRUE;
        }
    }
  if (!found)
    return;
  step = add_step (lesson, w, "activation", lambda == 1.0f);
  curve = nd_tensor_new (2, (int64_t[]) { 2, 25 });
  for (int i = 0; i < 25; i++)
    {
      double x = -3.0 + 0.25 * i;

      curve->data[i] = (float) x;
      curve->data[25 + i] = (float) (lambda * x + (1.0 - lambda) * MAX (x, 0.0));
    }
  value = nd_tensor_new_1d (1);
  value->data[0] = lambda;
  add_tensor (step, "lambda", value, 1);
  add_tensor (step, "activation_curve", curve, 1);

  snap = snapshot (lesson, w);
  for (int id = lesson->first; id <= lesson->last; id++)
    if (!w->dead[id])
      merged |= _nd_fuse_merge_convs (w, id);
  if (merged)
    add_changed_tensors (add_step (lesson, w, "merge_1x1", lambda == 1.0f), lesson, w, snap);
}

static gboolean
find_block (NdLesson *lesson, GError **error)
{
  lesson->first = -1;
  for (int id = 0; id < nd_graph_n_nodes (lesson->train); id++)
    {
      const NdNode *node = nd_graph_node (lesson->train, id);

      if (g_strcmp0 (node->block, lesson->block) != 0)
        continue;
      if (lesson->first < 0)
        lesson->first = id;
      lesson->last = id;
    }
  if (lesson->first < 0)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("The model has no block “%s”"), lesson->block);
      return FALSE;
    }
  return TRUE;
}

/* The training form's tensors up to the block's end: what flows into the block from the fast
 * CPU backend (the network before it is not the lesson), the block itself on the naive ops
 * like every step. Falls back to the naive ops for the whole prefix. */
static void
capture_inputs (NdLesson *lesson)
{
  g_autofree int *ids = g_new (int, (lesson->last - lesson->first + 1) * ND_MAX_INPUTS);
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  NdPlanOptions options = { .batch = 1 };
  int n = 0, first_run = 1;

  lesson->captured = g_ptr_array_new_full (lesson->last + 1, _nd_lesson_tensor_unref0);
  g_ptr_array_add (lesson->captured, nd_tensor_ref (lesson->input));
  for (int id = 1; id <= lesson->last; id++)
    g_ptr_array_add (lesson->captured, NULL);
  for (int id = lesson->first; id <= lesson->last; id++)
    {
      const NdNode *node = nd_graph_node (lesson->train, id);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] > 0 && node->inputs[k] < lesson->first)
          ids[n++] = node->inputs[k];
    }
  options.capture = ids;
  options.n_capture = n;
  if (n > 0)
    {
      backend = nd_cpu_backend_new (0, FALSE);
      plan = nd_backend_prepare (backend, lesson->train, &options, NULL);
    }
  if (plan != NULL && nd_plan_run (plan, lesson->input, NULL))
    {
      first_run = lesson->first;
      for (int i = 0; i < n; i++)
        {
          NdTensor *t = nd_plan_get_captured (plan, ids[i]);

          if (t == NULL)
            {
              first_run = 1;
              break;
            }
          g_clear_pointer (&lesson->captured->pdata[ids[i]], nd_tensor_unref);
          lesson->captured->pdata[ids[i]] = nd_tensor_copy (t);
        }
    }
  _nd_lesson_run_range (lesson->train, NULL, first_run, lesson->last, lesson->captured,
                        ND_LESSON_RUN_FLOAT);
}

NdLesson *
nd_lesson_new (NdGraph *train, const char *block, const NdTensor *input, GError **error)
{
  g_autoptr(NdLesson) lesson = g_new0 (NdLesson, 1);
  g_autoptr(NdFuseWork) w = NULL;
  NdLessonStep *step;

  g_return_val_if_fail (train != NULL && block != NULL && input != NULL, NULL);

  if (train->fused)
    {
      g_set_error_literal (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                           _("The lesson needs the training form, and this model is fused"));
      return NULL;
    }
  lesson->train = nd_graph_ref (train);
  lesson->block = g_strdup (block);
  lesson->family = g_strdup (train->family);
  lesson->input = nd_tensor_ref ((NdTensor *) input);
  lesson->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  if (!find_block (lesson, error))
    return NULL;

  capture_inputs (lesson);

  w = work_new (train, lesson->last);
  step = add_step (lesson, w, "training", TRUE);
  for (int id = lesson->first; id <= lesson->last; id++)
    add_node_tensors (step, nd_graph_node (train, id));

  step_fold_bn (lesson, w);
  if (g_strcmp0 (train->family, "vanillanet") == 0)
    steps_vanillanet (lesson, w);
  else
    steps_branches (lesson, w);
  step_sse (lesson, w);

  if (lesson->steps->len < 2)
    {
      g_set_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL,
                   _("Block “%s” has nothing to re-parameterize (no BN after a conv, no "
                     "branches)"), block);
      return NULL;
    }
  lesson->fused_work = g_steal_pointer (&w);
  return g_steal_pointer (&lesson);
}

char **
nd_lesson_blocks (const NdGraph *graph)
{
  g_autoptr(GPtrArray) blocks = g_ptr_array_new ();

  for (int id = 1; id < nd_graph_n_nodes (graph); id++)
    {
      const NdNode *node = nd_graph_node (graph, id);
      const NdNode *in = nd_graph_node (graph, node->inputs[0]);
      const char *last = blocks->len ? g_ptr_array_index (blocks, blocks->len - 1) : NULL;

      /* what the rules act on: a BN after a conv, or a merge of branches */
      if (node->block == NULL || g_strcmp0 (last, node->block) == 0)
        continue;
      if ((node->op == ND_OP_BATCHNORM && in->op == ND_OP_CONV2D) || node->op == ND_OP_ADD)
        g_ptr_array_add (blocks, g_strdup (node->block));
    }
  g_ptr_array_add (blocks, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&blocks), FALSE);
}
