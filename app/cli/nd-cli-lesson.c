/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-lesson.h"
#include "nd-npy.h"
#include "nd-test-input.h"
#include "nd-weights.h"
#if ND_CLI_PDF
#include "nd-render-lesson.h"
#endif

/* `lesson`: the re-parameterization of one block, step by step (nd-lesson.h), with each
 * step's tensors and the block output's measured difference from the training form. The JSON
 * keys are listed in the README's CLI section. */

typedef struct
{
  char    *block;
  char    *input;
  char    *image;
  char    *pitfall;
  char    *output;
  char    *frames;
  int      step;
  int      out_c;
  int      in_c;
} LessonOptions;

static void
json_add_double (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_double_value (b, v);
}

static void
json_add_ints (JsonBuilder *b, const char *key, const int *v, int n)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_int_value (b, v[i]);
  json_builder_end_array (b);
}

static void
tensor_stats (const NdTensor *t, double *lo, double *hi, double *mean_abs)
{
  *lo = INFINITY;
  *hi = -INFINITY;
  *mean_abs = 0;
  for (int64_t i = 0; i < t->numel; i++)
    {
      *lo = MIN (*lo, t->data[i]);
      *hi = MAX (*hi, t->data[i]);
      *mean_abs += fabs (t->data[i]);
    }
  *mean_abs /= MAX (t->numel, 1);
}

static void
json_tensor (JsonBuilder *b, const NdLessonTensor *lt, const LessonOptions *lo)
{
  const NdTensor *t = lt->tensor;
  float values[49];
  int n = 0;
  double lo_v, hi_v, mean_abs;

  tensor_stats (t, &lo_v, &hi_v, &mean_abs);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, lt->name);
  json_builder_set_member_name (b, "shape");
  json_builder_begin_array (b);
  for (int d = 0; d < t->ndim; d++)
    json_builder_add_int_value (b, t->shape[d]);
  json_builder_end_array (b);
  json_add_double (b, "min", lo_v);
  json_add_double (b, "max", hi_v);
  json_add_double (b, "mean_abs", mean_abs);
  json_builder_set_member_name (b, "slice");
  if (g_str_equal (lt->name, "activation_curve"))
    {
      /* the curve is whole: x then y */
      json_builder_begin_array (b);
      for (int64_t i = 0; i < t->numel; i++)
        json_builder_add_double_value (b, t->data[i]);
      json_builder_end_array (b);
    }
  else if (nd_lesson_tensor_slice (t, lo->out_c, lo->in_c, lt->groups, values, &n))
    {
      json_builder_begin_array (b);
      for (int i = 0; i < n; i++)
        json_builder_add_double_value (b, values[i]);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}

static void
json_step (JsonBuilder *b, const NdLessonStep *s, int index, const LessonOptions *lo)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, index);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, s->id);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, _(s->title));
  json_builder_set_member_name (b, "explanation");
  json_builder_add_string_value (b, _(s->explanation));
  json_builder_set_member_name (b, "reference");
  json_builder_add_string_value (b, _(s->reference));
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, s->url);
  json_builder_set_member_name (b, "valid");
  json_builder_add_boolean_value (b, s->valid);
  json_add_double (b, "max_abs", s->max_abs);
  json_add_double (b, "max_rel", s->max_rel);
  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->tensors->len; i++)
    json_tensor (b, g_ptr_array_index (s->tensors, i), lo);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
json_pitfall (JsonBuilder *b, const NdLessonPitfallResult *r)
{
  gboolean fused = r->kind != ND_LESSON_PITFALL_EVAL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, nd_lesson_pitfall_name (r->kind));
  json_add_double (b, "block_unfused_max_abs", r->block_unfused_max_abs);
  json_add_double (b, "block_unfused_max_rel", r->block_unfused_max_rel);
  json_add_double (b, "logits_unfused_max_abs", r->logits_unfused_max_abs);
  json_add_double (b, "logits_unfused_max_rel", r->logits_unfused_max_rel);
  json_add_ints (b, "top5_float", r->top5_float, 5);
  json_add_ints (b, "top5_unfused", r->top5_unfused, 5);
  json_builder_set_member_name (b, "top5_changed_unfused");
  json_builder_add_int_value (b, r->top5_changed_unfused);
  if (fused)
    {
      int hb[ND_LESSON_HIST_BINS], hf[ND_LESSON_HIST_BINS];

      json_add_double (b, "block_fused_max_abs", r->block_fused_max_abs);
      json_add_double (b, "block_fused_max_rel", r->block_fused_max_rel);
      json_add_double (b, "logits_fused_max_abs", r->logits_fused_max_abs);
      json_add_double (b, "logits_fused_max_rel", r->logits_fused_max_rel);
      json_add_ints (b, "top5_fused", r->top5_fused, 5);
      json_builder_set_member_name (b, "top5_changed_fused");
      json_builder_add_int_value (b, r->top5_changed_fused);
      for (int i = 0; i < ND_LESSON_HIST_BINS; i++)
        {
          hb[i] = (int) r->hist_branches[i];
          hf[i] = (int) r->hist_fused[i];
        }
      json_add_double (b, "hist_range", r->hist_range);
      json_add_ints (b, "hist_branches", hb, ND_LESSON_HIST_BINS);
      json_add_ints (b, "hist_fused", hf, ND_LESSON_HIST_BINS);
      json_add_double (b, "int8_step_branches", r->scale_branches_max);
      json_add_double (b, "int8_step_fused", r->scale_fused);
      json_add_double (b, "zero_fraction_branches", r->zero_fraction_branches);
      json_add_double (b, "zero_fraction_fused", r->zero_fraction_fused);
    }
  json_builder_end_object (b);
}

static void
print_json (const NdCliModel *model, const NdLesson *lesson, const LessonOptions *lo,
            const NdLessonPitfallResult *pitfall)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const NdTensor *in = lesson->input;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model->spec.name);
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, lesson->family);
  json_builder_set_member_name (b, "block");
  json_builder_add_string_value (b, lesson->block);
  json_builder_set_member_name (b, "precision");
  json_builder_add_string_value (b, "float32");
  json_builder_set_member_name (b, "ops");
  json_builder_add_string_value (b, "naive reference");
  json_add_ints (b, "input_shape",
                 (int[]) { (int) in->shape[0], (int) in->shape[1], (int) in->shape[2],
                           (int) in->shape[3] }, 4);
  json_builder_set_member_name (b, "out_channel");
  json_builder_add_int_value (b, lo->out_c);
  json_builder_set_member_name (b, "in_channel");
  json_builder_add_int_value (b, lo->in_c);
  json_builder_set_member_name (b, "n_steps");
  json_builder_add_int_value (b, lesson->steps->len);
  json_builder_set_member_name (b, "steps");
  json_builder_begin_array (b);
  for (guint i = 0; i < lesson->steps->len; i++)
    if (lo->step < 0 || (guint) lo->step == i)
      json_step (b, g_ptr_array_index (lesson->steps, i), (int) i, lo);
  json_builder_end_array (b);
  if (pitfall != NULL)
    {
      json_builder_set_member_name (b, "pitfall");
      json_pitfall (b, pitfall);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  nd_cli_print_json (root);
}

static void
print_tensor (const NdLessonTensor *lt, const LessonOptions *lo)
{
  g_autofree char *shape = nd_tensor_shape_string (lt->tensor);
  float values[49];
  int n = 0;
  double lo_v, hi_v, mean_abs;

  tensor_stats (lt->tensor, &lo_v, &hi_v, &mean_abs);
  printf ("    %-40s %-14s min %-10.4g max %-10.4g mean|·| %.4g\n", lt->name, shape, lo_v,
          hi_v, mean_abs);
  if (g_str_equal (lt->name, "activation_curve")
      || !nd_lesson_tensor_slice (lt->tensor, lo->out_c, lo->in_c, lt->groups, values, &n))
    return;
  if (n == 1 && lt->tensor->ndim != 4)
    {
      printf (_("      [out %d] %.6g\n"), lo->out_c, values[0]);
      return;
    }
  {
    int side = (int) lt->tensor->shape[3];

    printf (_("      out %d ← in %d:\n"), lo->out_c, lo->in_c);
    for (int r = 0; r < n / side; r++)
      {
        printf ("       ");
        for (int c = 0; c < side; c++)
          printf (" %10.5f", values[r * side + c]);
        printf ("\n");
      }
  }
}

static void
print_text (const NdCliModel *model, const NdLesson *lesson, const LessonOptions *lo,
            const NdLessonPitfallResult *r)
{
  printf (_("%s, block %s: %u steps; each step's block output on this input vs the training "
            "form (float32, naive reference ops)\n"), model->spec.name, lesson->block,
          lesson->steps->len);
  for (guint i = 0; i < lesson->steps->len; i++)
    {
      const NdLessonStep *s = g_ptr_array_index (lesson->steps, i);

      if (lo->step >= 0 && (guint) lo->step != i)
        continue;
      printf ("\n[%u] %-16s %s\n", i, s->id, _(s->title));
      printf (_("    max |Δ| %.3g   relative %.3g%s\n"), s->max_abs, s->max_rel,
              s->valid ? "" : _("   (not an equivalence: this is the error)"));
      printf ("    %s\n    %s — %s\n", _(s->explanation), _(s->reference), s->url);
      for (guint k = 0; k < s->tensors->len; k++)
        print_tensor (g_ptr_array_index (s->tensors, k), lo);
    }
  if (r == NULL)
    return;
  printf (_("\npitfall %s\n"), nd_lesson_pitfall_name (r->kind));
  printf (_("  block output, training form:  max |Δ| %.3g  relative %.3g\n"),
          r->block_unfused_max_abs, r->block_unfused_max_rel);
  printf (_("  logits, training form:        max |Δ| %.3g  relative %.3g  top-5 changed %d\n"),
          r->logits_unfused_max_abs, r->logits_unfused_max_rel, r->top5_changed_unfused);
  if (r->kind == ND_LESSON_PITFALL_EVAL)
    return;
  printf (_("  block output, fused:          max |Δ| %.3g  relative %.3g\n"),
          r->block_fused_max_abs, r->block_fused_max_rel);
  printf (_("  logits, fused:                max |Δ| %.3g  relative %.3g  top-5 changed %d\n"),
          r->logits_fused_max_abs, r->logits_fused_max_rel, r->top5_changed_fused);
  if (r->kind == ND_LESSON_PITFALL_INT8)
    printf (_("  int8 step: branches ≤ %.3g, fused %.3g; weights rounding to 0: %.1f %% → "
              "%.1f %%\n"), r->scale_branches_max, r->scale_fused,
            100 * r->zero_fraction_branches, 100 * r->zero_fraction_fused);
}

static NdTensor *
lesson_input (NdCliModelOptions *o, LessonOptions *lo, NdCliModel **model, GError **error)
{
  g_autoptr(NdTensor) input = NULL;

  if (lo->input != NULL)
    {
      input = nd_npy_load (lo->input, error);
      if (input == NULL)
        return NULL;
      if (input->ndim != 4 || input->shape[0] != 1 || input->shape[2] != input->shape[3])
        {
          g_autofree char *shape = nd_tensor_shape_string (input);

          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("%s: expected one square NCHW image [1, C, R, R], got %s"),
                       lo->input, shape);
          return NULL;
        }
    }
  *model = nd_cli_model_load (o, input ? (int) input->shape[2] : 0, error);
  if (*model == NULL)
    return NULL;
  if (lo->image != NULL)
    return nd_cli_load_image (lo->image, *model, error);
  if (input == NULL)
    input = nd_test_input_new (1, (*model)->train->in_c, (*model)->train->in_h,
                               (*model)->train->in_w, error);
  return g_steal_pointer (&input);
}

static int
list_blocks (const NdGraph *train)
{
  g_auto(GStrv) blocks = nd_lesson_blocks (train);
  g_autofree char *list = g_strjoinv (" ", blocks);

  if (blocks[0] == NULL)
    return nd_cli_failf (_("this model has no block to re-parameterize (no BN after a conv, "
                           "no branches)"));
  return nd_cli_failf (_("give --block; blocks with a lesson: %s"), list);
}

int
nd_cli_lesson (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  LessonOptions lo = { .step = -1 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  GOptionEntry entries[] = {
    { "block", 'b', 0, G_OPTION_ARG_STRING, &lo.block, N_("The block, e.g. stage1.0"),
      N_("PATH") },
    { "step", 0, 0, G_OPTION_ARG_INT, &lo.step, N_("Only this step (0 = training form)"), "N" },
    { "out-channel", 0, 0, G_OPTION_ARG_INT, &lo.out_c, N_("Output channel of the kernel "
      "slices shown (default 0)"), "O" },
    { "in-channel", 0, 0, G_OPTION_ARG_INT, &lo.in_c, N_("Input channel of the kernel slices "
      "shown (default 0)"), "I" },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &lo.input, N_("Input tensor: .npy float32 "
      "[1, C, R, R]"), N_("FILE.npy") },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &lo.image, N_("Input image"), N_("FILE") },
    { "pitfall", 0, 0, G_OPTION_ARG_STRING, &lo.pitfall, N_("Also measure a pitfall: eval, "
      "int8 or fp16"), N_("NAME") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &lo.output, N_("Write a PDF handout"),
      N_("FILE.pdf") },
    { "frames", 0, 0, G_OPTION_ARG_FILENAME, &lo.frames, N_("Write the merge of the fused "
      "step as 25 PNG frames"), N_("DIR") },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(NdLesson) lesson = NULL;
  g_autoptr(GError) error = NULL;
  NdLessonPitfallResult pitfall;
  NdLessonPitfall kind = ND_LESSON_PITFALL_EVAL;
  int status = 0;

  if (!nd_cli_parse ("lesson", NULL, _("Re-parameterize one block step by step and measure "
                                       "each step."), model_entries, entries, &argc, &argv))
    return 2;
  if (lo.pitfall != NULL && !nd_lesson_pitfall_parse (lo.pitfall, &kind))
    {
      status = nd_cli_failf (_("unknown pitfall “%s” (eval, int8 or fp16)"), lo.pitfall);
      goto out;
    }
  if (lo.input != NULL && lo.image != NULL)
    {
      status = nd_cli_failf (_("give --input or --image, not both"));
      goto out;
    }
#if !ND_CLI_PDF
  if (lo.output != NULL || lo.frames != NULL)
    {
      status = nd_cli_failf (_("this build has no Cairo: --output and --frames are not "
                               "available"));
      goto out;
    }
#endif
  o.fused = FALSE;
  input = lesson_input (&o, &lo, &model, &error);
  if (input == NULL)
    goto fail;
  if (model->graph->fused)
    {
      status = nd_cli_failf (_("%s holds deploy-form weights: there is nothing left to "
                               "re-parameterize"), o.weights);
      goto out;
    }
  if (lo.block == NULL)
    {
      status = list_blocks (model->train);
      goto out;
    }
  lesson = nd_lesson_new (model->train, lo.block, input, &error);
  if (lesson == NULL)
    goto fail;
  if (lo.step >= (int) lesson->steps->len)
    {
      status = nd_cli_failf (_("--step %d: block %s has steps 0 to %u"), lo.step, lo.block,
                             lesson->steps->len - 1);
      goto out;
    }
  if (lo.pitfall != NULL && !nd_lesson_pitfall (lesson, kind, &pitfall, &error))
    goto fail;
#if ND_CLI_PDF
  if (lo.output != NULL
      && !nd_render_lesson_pdf (lesson, lo.out_c, lo.in_c, lo.pitfall ? &pitfall : NULL,
                                lo.output, &error))
    goto fail;
  if (lo.frames != NULL
      && !nd_render_lesson_merge_frames (lesson, lo.out_c, lo.in_c, lo.frames, 25, &error))
    goto fail;
#endif
  if (o.json)
    print_json (model, lesson, &lo, lo.pitfall ? &pitfall : NULL);
  else
    print_text (model, lesson, &lo, lo.pitfall ? &pitfall : NULL);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  g_free (lo.block);
  g_free (lo.input);
  g_free (lo.image);
  g_free (lo.pitfall);
  g_free (lo.output);
  g_free (lo.frames);
  nd_cli_model_options_clear (&o);
  return status;
}
