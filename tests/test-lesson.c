/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nd-error.h"
#include "nd-fuse.h"
#include "nd-lesson.h"
#include "nd-model.h"
#include "nd-test-utils.h"

/* The lesson of every block of each family on random weights (non-trivial BN statistics):
 * every step that claims an equivalence reproduces the training form's block output within
 * 1e-5 relative in float32, the fused kernel is the one nd_fuse_graph() builds, and the
 * pitfalls show their effect. */

#define STEP_MAX_REL 1e-5

typedef struct
{
  const char *model;
  double      width;
  int         resolution;
  double      lambda;
  const char *block;      /* a block that must have all of @ids */
  const char *ids[6];
} Case;

static const Case cases[] = {
  { "parnet-s", 0.25, 32, 1, "streams.0.1", { "training", "bn_folded", "pad_1x1", "fused", "sse" } },
  { "parnet-s", 0.25, 32, 1, "inits.0.0", { "training", "bn_folded", "pool_1x1", "fused", "sse" } },
  { "repvgg-a0", 0.25, 32, 1, "stage1.1",
    { "training", "bn_folded", "pad_1x1", "identity_kernel", "fused" } },
  { "repvgg-b1g4", 0.25, 32, 1, "stage2.1",
    { "training", "bn_folded", "pad_1x1", "identity_kernel", "fused" } },
  { "vanillanet-5", 0.125, 32, 1, "stages.0",
    { "training", "bn_folded", "activation", "merge_1x1" } },
  { "resnet-18", 0.25, 32, 1, "layer2.0", { "training", "bn_folded" } },
};

static NdGraph *
build (const char *name, double width, int resolution, double lambda)
{
  NdModelSpec spec;
  g_autoptr(GError) error = NULL;
  NdGraph *graph;

  g_assert_true (nd_model_spec_parse (name, &spec, &error));
  spec.width = width;
  spec.resolution = resolution;
  if (spec.family == ND_FAMILY_VANILLANET)
    spec.lambda = lambda;
  graph = nd_model_build (&spec, &error);
  g_assert_no_error (error);
  nd_model_init_random (graph, 7);
  return graph;
}

static const NdLessonStep *
find_step (const NdLesson *lesson, const char *id)
{
  for (guint i = 0; i < lesson->steps->len; i++)
    {
      const NdLessonStep *s = g_ptr_array_index (lesson->steps, i);

      if (strcmp (s->id, id) == 0)
        return s;
    }
  return NULL;
}

static const NdTensor *
find_tensor (const NdLessonStep *step, const char *name)
{
  for (guint i = 0; i < step->tensors->len; i++)
    {
      const NdLessonTensor *t = g_ptr_array_index (step->tensors, i);

      if (strcmp (t->name, name) == 0)
        return t->tensor;
    }
  return NULL;
}

/* The fused step's kernel against the node nd_fuse_graph() made from the same dense conv. */
static void
check_fused_kernel (const NdLesson *lesson, const NdGraph *fused)
{
  const NdLessonStep *step = find_step (lesson, "fused");
  const NdLessonTensor *first;
  g_autofree char *dense = NULL;
  const NdTensor *ours;
  gboolean found = FALSE;

  if (step == NULL)
    return;
  /* tensors: the addends (first: the dense kernel), then the fused weight under its name */
  first = g_ptr_array_index (step->tensors, 0);
  dense = g_strndup (first->name, strlen (first->name) - strlen (".weight"));
  ours = NULL;
  for (guint i = 1; i < step->tensors->len; i++)
    {
      const NdLessonTensor *t = g_ptr_array_index (step->tensors, i);

      if (strcmp (t->name, first->name) == 0)
        ours = t->tensor;
    }
  for (int id = 0; id < nd_graph_n_nodes (fused); id++)
    {
      const NdNode *node = nd_graph_node (fused, id);
      double max_abs, max_rel;

      if (node->origins == NULL || !g_strv_contains ((const char * const *) node->origins, dense))
        continue;
      g_assert_true (nd_tensor_compare (ours, node->w[ND_W_WEIGHT], &max_abs, &max_rel));
      g_assert_cmpfloat (max_abs, ==, 0.0);
      found = TRUE;
    }
  g_assert_nonnull (ours);
  g_assert_true (found);
}

static void
check_lesson (const NdLesson *lesson)
{
  g_assert_cmpuint (lesson->steps->len, >=, 2);
  for (guint i = 0; i < lesson->steps->len; i++)
    {
      const NdLessonStep *s = g_ptr_array_index (lesson->steps, i);

      g_assert_nonnull (s->output);
      g_assert_cmpuint (s->tensors->len, >, 0);
      if (i == 0)
        g_assert_cmpfloat (s->max_abs, ==, 0.0);
      if (s->valid && !(s->max_rel <= STEP_MAX_REL))
        g_error ("%s %s step %s: max_rel %g > %g", lesson->train->model_name, lesson->block,
                 s->id, s->max_rel, STEP_MAX_REL);
      /* a real computation, not a copy of the reference */
      if (i > 0)
        g_assert_true (s->output != ((NdLessonStep *) g_ptr_array_index (lesson->steps, 0))->output);
    }
}

static void
test_family (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(NdGraph) graph = build (c->model, c->width, c->resolution, c->lambda);
  g_autoptr(NdGraph) fused = nd_fuse_graph (graph, NULL);
  g_autoptr(NdTensor) input = nd_test_random_input (1, graph->in_c, graph->in_h, graph->in_w, 3);
  g_auto(GStrv) blocks = nd_lesson_blocks (graph);
  gboolean seen = FALSE;

  g_assert_nonnull (fused);
  g_assert_cmpuint (g_strv_length (blocks), >, 0);
  for (int b = 0; blocks[b] != NULL; b++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NdLesson) lesson = nd_lesson_new (graph, blocks[b], input, &error);

      g_assert_no_error (error);
      check_lesson (lesson);
      check_fused_kernel (lesson, fused);
      if (strcmp (blocks[b], c->block) != 0)
        continue;
      seen = TRUE;
      for (int k = 0; k < (int) G_N_ELEMENTS (c->ids) && c->ids[k] != NULL; k++)
        if (find_step (lesson, c->ids[k]) == NULL)
          g_error ("%s %s: no step %s", c->model, c->block, c->ids[k]);
    }
  g_assert_true (seen);
}

/* Grouped identity: K_id[i, i mod (C/g), 1, 1] = t_i, and nothing across groups. */
static void
test_grouped_identity (void)
{
  g_autoptr(NdGraph) graph = build ("repvgg-b1g4", 0.25, 32, 1);
  g_autoptr(NdTensor) input = nd_test_random_input (1, graph->in_c, graph->in_h, graph->in_w, 5);
  g_autoptr(NdLesson) lesson = nd_lesson_new (graph, "stage2.1", input, NULL);
  const NdLessonStep *id_step = find_step (lesson, "identity_kernel");
  const NdLessonTensor *kernel = g_ptr_array_index (id_step->tensors, 0);
  const NdTensor *scale = find_tensor (id_step, "stage2.1.rbr_identity.scale");
  int out = (int) kernel->tensor->shape[0], cg = (int) kernel->tensor->shape[1];
  float v[49];
  int n;

  g_assert_cmpint (kernel->groups, ==, 4);
  g_assert_cmpint (cg * 4, ==, out);
  g_assert_nonnull (scale);
  for (int o = 0; o < out; o++)
    {
      g_assert_true (nd_lesson_tensor_slice (kernel->tensor, o, o, kernel->groups, v, &n));
      g_assert_cmpint (n, ==, 9);
      for (int k = 0; k < 9; k++)
        g_assert_cmpfloat (v[k], ==, k == 4 ? scale->data[o] : 0.0f);
      /* another input channel of the same group: zero; of another group: not connected */
      g_assert_true (nd_lesson_tensor_slice (kernel->tensor, o, (o / cg) * cg + (o + 1) % cg,
                                             kernel->groups, v, &n));
      g_assert_cmpfloat (v[4], ==, 0.0f);
      g_assert_false (nd_lesson_tensor_slice (kernel->tensor, o, (o + cg) % out, kernel->groups,
                                              v, &n));
    }
}

/* λ < 1: the activation is not the identity; the lesson still shows the forced merge, marked
 * invalid, with its (large) error. */
static void
test_vanillanet_lambda (void)
{
  g_autoptr(NdGraph) graph = build ("vanillanet-5", 0.125, 32, 0.5);
  g_autoptr(NdTensor) input = nd_test_random_input (1, graph->in_c, graph->in_h, graph->in_w, 9);
  g_autoptr(NdLesson) lesson = nd_lesson_new (graph, "stages.0", input, NULL);
  const NdLessonStep *act = find_step (lesson, "activation");
  const NdLessonStep *merge = find_step (lesson, "merge_1x1");
  const NdTensor *lambda = find_tensor (act, "lambda");
  g_autoptr(GError) error = NULL;
  NdLessonPitfallResult r;

  g_assert_true (find_step (lesson, "bn_folded")->valid);
  g_assert_false (act->valid);
  g_assert_false (merge->valid);
  g_assert_cmpfloat (lambda->data[0], ==, 0.5f);
  g_assert_cmpfloat (act->max_rel, >, 1e-2);
  g_assert_cmpfloat (merge->max_rel, >, 1e-2);
  /* the fused network does not exist at λ < 1 */
  g_assert_false (nd_lesson_pitfall (lesson, ND_LESSON_PITFALL_INT8, &r, &error));
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_UNSUPPORTED);
}

static void
test_pitfalls (void)
{
  g_autoptr(NdGraph) graph = build ("repvgg-a0", 0.25, 32, 1);
  g_autoptr(NdTensor) input = nd_test_random_input (1, graph->in_c, graph->in_h, graph->in_w, 11);
  g_autoptr(NdLesson) lesson = nd_lesson_new (graph, "stage1.1", input, NULL);
  g_autoptr(GError) error = NULL;
  NdLessonPitfallResult r;
  guint nb = 0, nf = 0;

  /* forgot .eval(): the batch statistics of one image are far from the running ones */
  g_assert_true (nd_lesson_pitfall (lesson, ND_LESSON_PITFALL_EVAL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (r.block_unfused_max_rel, >, 0.05);
  g_assert_cmpfloat (r.logits_unfused_max_rel, >, 0.05);

  /* int8: both forms lose precision, and the fused kernels' wider range makes the step
   * coarser than the branches' */
  g_assert_true (nd_lesson_pitfall (lesson, ND_LESSON_PITFALL_INT8, &r, &error));
  g_assert_cmpfloat (r.block_unfused_max_rel, >, 1e-4);
  g_assert_cmpfloat (r.block_fused_max_rel, >, 1e-4);
  g_assert_cmpfloat (r.scale_fused, >, 0);
  g_assert_cmpfloat (r.hist_range, >, 0);
  for (int i = 0; i < ND_LESSON_HIST_BINS; i++)
    {
      nb += r.hist_branches[i];
      nf += r.hist_fused[i];
    }
  g_assert_cmpuint (nb, >, 0);
  g_assert_cmpuint (nf, >, 0);
  for (int k = 0; k < 5; k++)
    g_assert_cmpint (r.top5_float[k], >=, 0);

  /* float16: small but not zero on the block */
  g_assert_true (nd_lesson_pitfall (lesson, ND_LESSON_PITFALL_FP16, &r, &error));
  g_assert_cmpfloat (r.block_unfused_max_rel, >, 1e-6);
  g_assert_cmpfloat (r.block_unfused_max_rel, <, 1e-2);
  g_assert_cmpfloat (r.block_fused_max_rel, >, 1e-6);
  g_assert_cmpfloat (r.block_fused_max_rel, <, 1e-2);
}

static void
test_errors (void)
{
  g_autoptr(NdGraph) graph = build ("repvgg-a0", 0.25, 32, 1);
  g_autoptr(NdGraph) fused = nd_fuse_graph (graph, NULL);
  g_autoptr(NdGraph) vgg = build ("vgg-16", 0.25, 32, 1);
  g_autoptr(NdTensor) input = nd_test_random_input (1, graph->in_c, graph->in_h, graph->in_w, 1);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) vgg_blocks = nd_lesson_blocks (vgg);
  NdLesson *lesson;

  lesson = nd_lesson_new (graph, "stage9.9", input, &error);
  g_assert_null (lesson);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  g_clear_error (&error);
  lesson = nd_lesson_new (fused, "stage1.1", input, &error);
  g_assert_null (lesson);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
  g_clear_error (&error);
  /* VGG-16 without BN has nothing to fold */
  g_assert_cmpuint (g_strv_length (vgg_blocks), ==, 0);
  lesson = nd_lesson_new (vgg, nd_graph_node (vgg, 1)->block, input, &error);
  g_assert_null (lesson);
  g_assert_error (error, ND_RUNTIME_ERROR, ND_RUNTIME_ERROR_INVALID_MODEL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/lesson/family/%s/%s", cases[i].model,
                                               cases[i].block);

      g_test_add_data_func (path, &cases[i], test_family);
    }
  g_test_add_func ("/lesson/grouped-identity", test_grouped_identity);
  g_test_add_func ("/lesson/vanillanet-lambda", test_vanillanet_lambda);
  g_test_add_func ("/lesson/pitfalls", test_pitfalls);
  g_test_add_func ("/lesson/errors", test_errors);
  return g_test_run ();
}
