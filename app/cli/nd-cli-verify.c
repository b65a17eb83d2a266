/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-file.h"
#include "nd-fuse.h"
#include "nd-test-input.h"
#include "nd-weights-file.h"
#include "nd-weights.h"

/* Fused and unfused forms differ only by float rounding; anything above this is a bug. */
#define VERIFY_MAX_REL 1e-4
/* With --fp16 both forms round every stored activation to 11 significant bits. */
#define VERIFY_MAX_REL_FP16 3e-2

/* `verify`: the training form and the fused form on the same input (nd-fusion-check.h, as the
 * window). JSON keys: model, backend, max_abs, max_rel (the logits), tolerance, ok,
 * blocks_max_rel and worst_block (every block's output). Exit status 1 when max_rel >
 * tolerance. */
int
nd_cli_verify (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdGraph) fused = NULL;
  g_autoptr(NdBackend) backend = NULL;
  NdPlanOptions popts = { .batch = 1 };
  g_autofree int *capture_train = NULL, *capture_fused = NULL;
  NdFusionCheck check = { 0 };
  double tolerance;
  g_autoptr(NdPlan) plan_train = NULL;
  g_autoptr(NdPlan) plan_fused = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  double max_abs = 0, max_rel = 0;
  gboolean ok;
  int status = 0;

  if (!nd_cli_parse ("verify", NULL,
                     _("Check that the fused form computes what the training form does."),
                     model_entries, NULL, &argc, &argv))
    return 2;
  o.fused = FALSE;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    goto fail;
  if (model->graph->fused)
    {
      status = nd_cli_failf (_("%s holds deploy-form weights: there is no training form to "
                               "compare with"), o.weights);
      goto out;
    }
  fused = nd_fuse_graph (model->train, &error);
  if (fused == NULL)
    goto fail;
  tolerance = o.fp16 ? VERIFY_MAX_REL_FP16 : VERIFY_MAX_REL;
  capture_train = nd_fusion_check_capture (model->train, NULL, &popts.n_capture);
  popts.capture = capture_train;
  plan_train = nd_cli_prepare (&o, model, model->train, &backend, &popts, &error);
  capture_fused = nd_fusion_check_capture (fused, NULL, &popts.n_capture);
  popts.capture = capture_fused;
  if (plan_train != NULL)
    plan_fused = nd_cli_prepare (&o, model, fused, &backend, &popts, &error);
  if (plan_fused == NULL)
    goto fail;
  input = nd_test_input_new (1, model->train->in_c, model->train->in_h, model->train->in_w,
                             &error);
  if (input == NULL || !nd_fusion_check_run (plan_fused, plan_train, input, &check, &error))
    goto fail;
  max_abs = check.logits_abs;
  max_rel = check.logits_rel;
  ok = max_rel <= tolerance;
  status = ok ? 0 : 1;

  if (o.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model->spec.name);
      json_builder_set_member_name (b, "backend");
      json_builder_add_string_value (b, backend->name);
      json_builder_set_member_name (b, "max_abs");
      json_builder_add_double_value (b, max_abs);
      json_builder_set_member_name (b, "max_rel");
      json_builder_add_double_value (b, max_rel);
      json_builder_set_member_name (b, "tolerance");
      json_builder_add_double_value (b, tolerance);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_set_member_name (b, "blocks_max_rel");
      json_builder_add_double_value (b, check.blocks_max_rel);
      json_builder_set_member_name (b, "worst_block");
      if (check.worst_block != NULL)
        json_builder_add_string_value (b, check.worst_block);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
    }
  else
    printf (_("%s: fused vs training form: max |diff| %.3g, relative %.3g (%s, tolerance %g)\n"),
            model->spec.name, max_abs, max_rel, ok ? _("equal") : _("DIFFERENT"),
            tolerance);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_fusion_check_clear (&check);
  nd_cli_model_options_clear (&o);
  return status;
}
