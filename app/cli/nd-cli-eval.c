/* Copyright 2026 The Nondeep Explorer authors
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "nd-cli.h"
#include "nd-dataset.h"

#define EVAL_BATCH 50

/* `eval`: accuracy on the Fashion-MNIST test set (Debian's dataset-fashion-mnist). Without
 * --model and --weights it evaluates the default ParNet with its shipped weights. JSON keys:
 * model, weights, dataset, n, correct, accuracy, seconds. */
int
nd_cli_eval (int argc, char **argv)
{
  NdCliModelOptions o = { 0 };
  g_autofree GOptionEntry *model_entries = nd_cli_model_entries (&o);
  g_autofree char *dataset = NULL, *data_dir = NULL;
  int limit = -1, status = 0;   /* -1: not given, every image */
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, N_("fashion-mnist"), N_("NAME") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Where the IDX files are (default /usr/share/datasets/fashion-mnist)"), N_("DIR") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Evaluate the first N test images"), "N" },
    { NULL }
  };
  g_autoptr(NdCliModel) model = NULL;
  g_autoptr(NdDataset) set = NULL;
  g_autoptr(NdBackend) backend = NULL;
  g_autoptr(NdPlan) plan = NULL;
  g_autoptr(NdTensor) input = NULL;
  g_autoptr(GError) error = NULL;
  NdGrayPreprocess pp;
  NdPlanOptions popts = { .batch = EVAL_BATCH };
  gint64 start;
  int n, correct = 0, classes;

  if (!nd_cli_parse ("eval", NULL, _("Accuracy of a model on the Fashion-MNIST test set."),
                     model_entries, entries, &argc, &argv))
    return 2;
  if (dataset != NULL && !g_str_equal (dataset, "fashion-mnist"))
    {
      status = nd_cli_failf (_("unknown dataset “%s” (only fashion-mnist)"), dataset);
      goto out;
    }
  if (limit != -1 && limit < 1)
    {
      status = nd_cli_failf (_("--limit must be at least 1, not %d"), limit);
      goto out;
    }
  o.batch = EVAL_BATCH;
  if (!nd_cli_use_trained_weights (&o, &error))
    goto fail;
  set = nd_dataset_load_fashion_mnist (data_dir, TRUE, &error);
  if (set == NULL)
    goto fail;
  model = nd_cli_model_load (&o, 0, &error);
  if (model == NULL)
    goto fail;
  if (!nd_gray_preprocess_parse (model->preprocess, &pp, &error))
    goto fail;
  if (model->graph->in_c != 1 || model->graph->in_h != pp.size)
    {
      status = nd_cli_failf (_("%s takes %d×%d×%d inputs; Fashion-MNIST needs a 1-channel model "
                               "at %d×%d (e.g. --in-channels 1 --classes 10)"),
                             model->spec.name, model->graph->in_c, model->graph->in_h,
                             model->graph->in_w, pp.size, pp.size);
      goto out;
    }
  classes = nd_graph_node (model->graph, model->graph->output)->out_c;
  plan = nd_cli_prepare (&o, model, NULL, &backend, &popts, &error);
  if (plan == NULL)
    goto fail;
  {
    int64_t shape[4] = { EVAL_BATCH, 1, pp.size, pp.size };

    input = nd_tensor_try_new (4, shape, &error);
    if (input == NULL)
      goto fail;
  }
  n = limit != -1 ? MIN (limit, set->n) : set->n;
  start = g_get_monotonic_time ();
  for (int base = 0; base < n; base += EVAL_BATCH)
    {
      int m = MIN (EVAL_BATCH, n - base);

      for (int i = 0; i < EVAL_BATCH; i++)
        nd_dataset_fill_input (set, base + MIN (i, m - 1), &pp, input, i);
      if (!nd_plan_run (plan, input, &error))
        goto fail;
      for (int i = 0; i < m; i++)
        {
          const float *logits = plan->output->data + (gsize) i * classes;
          int best = 0;

          for (int c = 1; c < classes; c++)
            if (logits[c] > logits[best])
              best = c;
          correct += best == set->labels[base + i];
        }
    }

  if (o.json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, model->spec.name);
      json_builder_set_member_name (b, "weights");
      json_builder_add_string_value (b, o.weights ? o.weights : "");
      json_builder_set_member_name (b, "dataset");
      json_builder_add_string_value (b, "fashion-mnist");
      json_builder_set_member_name (b, "fused");
      json_builder_add_boolean_value (b, model->graph->fused);
      json_builder_set_member_name (b, "n");
      json_builder_add_int_value (b, n);
      json_builder_set_member_name (b, "correct");
      json_builder_add_int_value (b, correct);
      json_builder_set_member_name (b, "accuracy");
      json_builder_add_double_value (b, (double) correct / n);
      json_builder_set_member_name (b, "seconds");
      json_builder_add_double_value (b, (g_get_monotonic_time () - start) / 1e6);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      nd_cli_print_json (root);
    }
  else
    printf (_("%s on Fashion-MNIST test: %d / %d correct, accuracy %.2f%% (%s form, %s)\n"),
            model->spec.name, correct, n, 100.0 * correct / n,
            model->graph->fused ? _("fused") : _("training"), backend->description);
  goto out;

fail:
  status = nd_cli_fail (error);
out:
  nd_cli_model_options_clear (&o);
  return status;
}
